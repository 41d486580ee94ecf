/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog: see qlog.h.
 */
#include "qlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <uv.h>

#include "hash.h"
#include "name.h"
#include "tokens.h"
#include "ways.h"

/* Clients the limiter tells apart at once: sets of LIMIT_WAYS slots, so
 * a client loses its slot (after its summary) only to a fifth in its set,
 * the one idle the longest giving way. With a keyed hash a client cannot
 * aim at another's set. */
#define LIMIT_WAYS 4
#define LIMIT_SLOTS (1024 * LIMIT_WAYS)
#define SECOND_MS 1000
/* The limit in all, as a multiple of a client's. */
#define LIMIT_TOTAL_FACTOR 16

struct limit_slot {
	struct dg_way way;   /* key: the client's */
	struct dg_addr client;
	struct dg_tokens lines;
	uint64_t held;       /* lines held back since the last summary */
	uint64_t since_ms;   /* when the first of them was */
};

struct dg_qlog {
	FILE *f;      /* NULL: syslog */
	bool owned;   /* f is ours to close */
	char *path;   /* a file sink's name, to reopen */
	unsigned rate;  /* denial lines a second a client; 0: no limit */
	struct dg_tokens total; /* LIMIT_TOTAL_FACTOR × rate, all clients */
	struct dg_hash_key key; /* the slots': clients choose addresses */
	struct limit_slot *slots;
};

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{ 1, "A" },       { 2, "NS" },     { 5, "CNAME" },  { 6, "SOA" },
	{ 10, "NULL" },   { 12, "PTR" },   { 13, "HINFO" }, { 15, "MX" },
	{ 16, "TXT" },    { 28, "AAAA" },  { 33, "SRV" },   { 35, "NAPTR" },
	{ 39, "DNAME" },  { 41, "OPT" },   { 43, "DS" },    { 46, "RRSIG" },
	{ 47, "NSEC" },   { 48, "DNSKEY" }, { 64, "SVCB" },  { 65, "HTTPS" },
	{ 99, "SPF" },    { 251, "IXFR" }, { 252, "AXFR" }, { 255, "ANY" },
	{ 256, "URI" },   { 257, "CAA" },
};

const char *dg_qlog_type_name(uint16_t type, char *buf, size_t size)
{
	for (size_t i = 0; i < DG_ARRAY_SIZE(types); i++)
		if (types[i].type == type)
			return types[i].name;
	snprintf(buf, size, "TYPE%u", type);
	return buf;
}

/* Append text with JSON string escaping (RFC 8259 7). */
static void put_json(char *buf, size_t size, size_t *n, const char *s)
{
	for (; *s != '\0'; s++) {
		char esc[8];
		const char *out = esc;
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		for (; *out != '\0'; out++) {
			if (*n + 1 < size)
				buf[*n] = *out;
			(*n)++;
		}
	}
}

DG_PRINTF(4, 5)
static void put_fmt(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + (*n < size ? *n : size), *n < size ? size - *n : 0,
		      fmt, ap);
	va_end(ap);
	if (w > 0)
		*n += (size_t)w;
}

/* "2023-11-14T22:13:20.123Z" */
static void put_ts(char *buf, size_t size, size_t *n, uint64_t ms)
{
	char ts[40];
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	put_fmt(buf, size, n, "%s.%03uZ", ts, (unsigned)(ms % 1000));
}

size_t dg_qlog_format(const struct dg_qlog_record *r, char *buf, size_t size)
{
	char name[DG_NAME_STRLEN], client[DG_ADDR_STRLEN], type[16];
	size_t n = 0;

	dg_name_to_str(r->name, name, sizeof(name));
	dg_addr_format(r->client, client, sizeof(client));
	put_fmt(buf, size, &n, "{\"ts\":\"");
	put_ts(buf, size, &n, r->time_ms);
	put_fmt(buf, size, &n, "\",\"client\":\"");
	put_json(buf, size, &n, client);
	put_fmt(buf, size, &n, "\",\"proto\":\"%s\",\"name\":\"",
		r->tcp ? "tcp" : "udp");
	put_json(buf, size, &n, name);
	put_fmt(buf, size, &n, "\",\"type\":\"%s\",\"verdict\":\"%s\"",
		dg_qlog_type_name(r->qtype, type, sizeof(type)),
		r->allow ? "allow" : "deny");
	if (!r->allow)
		put_fmt(buf, size, &n, ",\"reason\":\"%s\"",
			dg_reason_name(r->reason));
	if (r->group != NULL) {
		put_fmt(buf, size, &n, ",\"group\":\"");
		put_json(buf, size, &n, r->group);
		put_fmt(buf, size, &n, "\"");
	}
	if (r->entry != NULL) {
		put_fmt(buf, size, &n, ",\"entry\":\"");
		put_json(buf, size, &n, r->entry);
		put_fmt(buf, size, &n, "\"");
	}
	put_fmt(buf, size, &n, ",\"rcode\":%u,\"cached\":%s", r->rcode,
		r->cached ? "true" : "false");
	if (r->upstream != NULL) {
		dg_addr_format(r->upstream, client, sizeof(client));
		put_fmt(buf, size, &n, ",\"upstream\":\"");
		put_json(buf, size, &n, client);
		put_fmt(buf, size, &n, "\",\"upstream_ms\":%u", r->upstream_ms);
	}
	if (r->has_answer)
		put_fmt(buf, size, &n, ",\"answers\":%u,\"scrubbed\":%u",
			r->answers, r->scrubbed);
	put_fmt(buf, size, &n, "}\n");
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

static int qlog_new(FILE *f, bool owned, unsigned deny_rate,
		    struct dg_qlog **out)
{
	struct dg_qlog *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return -ENOMEM;
	q->f = f;
	q->owned = owned;
	q->rate = deny_rate;
	q->total = dg_tokens_full((uint64_t)deny_rate * LIMIT_TOTAL_FACTOR, 0);
	dg_hash_key_random(&q->key);
	if (deny_rate > 0) {
		q->slots = calloc(LIMIT_SLOTS, sizeof(*q->slots));
		if (q->slots == NULL) {
			free(q);
			return -ENOMEM;
		}
	}
	*out = q;
	return 0;
}

int dg_qlog_open_stream(FILE *f, unsigned deny_rate, struct dg_qlog **out)
{
	return qlog_new(f, false, deny_rate, out);
}

/* One record a line, whole, even if we die next. */
static FILE *open_append(const char *path)
{
	FILE *f = dg_open_for_writing(path, true);

	if (f != NULL)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

int dg_qlog_open(const char *target, unsigned deny_rate, struct dg_qlog **out)
{
	FILE *f;
	int rc;

	if (target == NULL || strcmp(target, "off") == 0) {
		*out = NULL;
		return 0;
	}
	if (strcmp(target, "stderr") == 0)
		return qlog_new(stderr, false, deny_rate, out);
	if (strcmp(target, "syslog") == 0) {
		rc = qlog_new(NULL, false, deny_rate, out);
		if (rc == 0)
			openlog("dnsgate", LOG_PID, LOG_DAEMON);
		return rc;
	}
	f = open_append(target);
	if (f == NULL)
		return -errno;
	rc = qlog_new(f, true, deny_rate, out);
	if (rc == 0)
		(*out)->path = strdup(target);
	if (rc == 0 && (*out)->path == NULL) {
		dg_qlog_close(*out);
		rc = -ENOMEM;
	}
	if (rc != 0)
		fclose(f);
	return rc;
}

int dg_qlog_reopen(struct dg_qlog *q)
{
	FILE *f;

	if (q == NULL || q->path == NULL)
		return 0;
	f = open_append(q->path);
	if (f == NULL)
		return -errno;
	fclose(q->f);
	q->f = f;
	return 0;
}

static void put_line(struct dg_qlog *q, char *line, size_t n)
{
	if (q->f != NULL) {
		fwrite(line, 1, n, q->f);
	} else {
		line[n - 1] = '\0';
		syslog(LOG_INFO, "%s", line);
	}
}

/* What a slot held back, as one line: the client, how many, since when. */
static void write_summary(struct dg_qlog *q, struct limit_slot *s,
			  uint64_t now_ms)
{
	char line[512], client[DG_ADDR_STRLEN];
	size_t n = 0;

	if (s->held == 0)
		return;
	dg_addr_format(&s->client, client, sizeof(client));
	put_fmt(line, sizeof(line), &n, "{\"ts\":\"");
	put_ts(line, sizeof(line), &n, now_ms);
	put_fmt(line, sizeof(line), &n, "\",\"client\":\"");
	put_json(line, sizeof(line), &n, client);
	put_fmt(line, sizeof(line), &n,
		"\",\"verdict\":\"deny\",\"suppressed\":%llu,\"since\":\"",
		(unsigned long long)s->held);
	put_ts(line, sizeof(line), &n, s->since_ms);
	put_fmt(line, sizeof(line), &n, "\"}\n");
	s->held = 0;
	if (n < sizeof(line))
		put_line(q, line, n);
}

/* A denial line may be written: the client's bucket and the total's. */
static bool limit_allows(struct dg_qlog *q, const struct dg_addr *client,
			 uint64_t now_ms)
{
	uint64_t key = dg_addr_client_key(&q->key, client);
	bool found;
	struct limit_slot *s = dg_ways_lookup(q->slots, sizeof(*s),
					      LIMIT_SLOTS / LIMIT_WAYS,
					      LIMIT_WAYS, key, &found);

	if (!found) {
		write_summary(q, s, now_ms);
		memset(s, 0, sizeof(*s));
		s->way.key = key;
		s->client = *client;
		s->lines = dg_tokens_full(q->rate, now_ms);
	}
	s->way.used_ms = now_ms;
	/* Both refill; a line takes from both or from neither. */
	if (dg_tokens_take(&s->lines, q->rate, SECOND_MS, now_ms)) {
		if (dg_tokens_take(&q->total,
				   (uint64_t)q->rate * LIMIT_TOTAL_FACTOR,
				   SECOND_MS, now_ms)) {
			write_summary(q, s, now_ms);
			return true;
		}
		dg_tokens_put_back(&s->lines);
	}
	if (s->held++ == 0)
		s->since_ms = now_ms;
	return false;
}

void dg_qlog_tick(struct dg_qlog *q, uint64_t now_ms)
{
	if (q == NULL || q->slots == NULL)
		return;
	for (size_t i = 0; i < LIMIT_SLOTS; i++)
		write_summary(q, &q->slots[i], now_ms);
}

void dg_qlog_close(struct dg_qlog *q)
{
	uv_timeval64_t now;

	if (q == NULL)
		return;
	if (q->slots != NULL && uv_gettimeofday(&now) == 0)
		dg_qlog_tick(q, (uint64_t)now.tv_sec * 1000 +
					(uint64_t)now.tv_usec / 1000);
	if (q->owned)
		fclose(q->f);
	else if (q->f == NULL)
		closelog();
	free(q->slots);
	free(q->path);
	free(q);
}

void dg_qlog_write(struct dg_qlog *q, const struct dg_qlog_record *r)
{
	char line[DG_QLOG_LINE];
	size_t n;

	if (q == NULL)
		return;
	if (!r->allow && q->slots != NULL &&
	    !limit_allows(q, r->client, r->time_ms))
		return;
	n = dg_qlog_format(r, line, sizeof(line));
	if (n >= sizeof(line))
		return; /* cannot happen with DG_QLOG_LINE; never a cut line */
	put_line(q, line, n);
}
