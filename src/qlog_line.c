/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog_line: see qlog_line.h.
 */
#include "qlog_line.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

struct dg_qlog_limit {
	unsigned rate;          /* lines a second a client */
	struct dg_tokens total; /* LIMIT_TOTAL_FACTOR × rate, all clients */
	struct dg_hash_key key; /* the slots': clients choose addresses */
	struct limit_slot slots[LIMIT_SLOTS];
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
		!r->allow       ? "deny"
		: r->would_deny ? "would-deny"
				: "allow");
	if (!r->allow || r->would_deny)
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
	if (r->local)
		put_fmt(buf, size, &n, ",\"local\":true");
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

size_t dg_qlog_format_control(const struct dg_qlog_control *c, char *buf,
			      size_t size)
{
	size_t n = 0;

	put_fmt(buf, size, &n, "{\"ts\":\"");
	put_ts(buf, size, &n, c->time_ms);
	put_fmt(buf, size, &n, "\",\"control\":\"%s\",\"id\":%u,\"entry\":\"",
		c->action, c->id);
	put_json(buf, size, &n, c->entry);
	put_fmt(buf, size, &n, "\",\"scope\":\"");
	put_json(buf, size, &n, c->scope);
	put_fmt(buf, size, &n, "\"");
	if (c->seconds > 0)
		put_fmt(buf, size, &n, ",\"seconds\":%llu",
			(unsigned long long)c->seconds);
	put_fmt(buf, size, &n, "}\n");
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

size_t dg_qlog_format_summary(const struct dg_qlog_summary *s,
			      uint64_t time_ms, char *buf, size_t size)
{
	char client[DG_ADDR_STRLEN];
	size_t n = 0;

	dg_addr_format(&s->client, client, sizeof(client));
	put_fmt(buf, size, &n, "{\"ts\":\"");
	put_ts(buf, size, &n, time_ms);
	put_fmt(buf, size, &n, "\",\"client\":\"");
	put_json(buf, size, &n, client);
	put_fmt(buf, size, &n,
		"\",\"verdict\":\"deny\",\"suppressed\":%llu,\"since\":\"",
		(unsigned long long)s->held);
	put_ts(buf, size, &n, time_ms > s->age_ms ? time_ms - s->age_ms : 0);
	put_fmt(buf, size, &n, "\"}\n");
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

struct dg_qlog_limit *dg_qlog_limit_new(unsigned rate,
					const struct dg_hash_key *key)
{
	struct dg_qlog_limit *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->rate = rate;
	l->total = dg_tokens_full((uint64_t)rate * LIMIT_TOTAL_FACTOR, 0);
	l->key = *key;
	return l;
}

void dg_qlog_limit_free(struct dg_qlog_limit *l)
{
	free(l);
}

/* Hand over what s held back as of now_ms, and clear it. */
static void take_summary(struct limit_slot *s, uint64_t now_ms,
			 struct dg_qlog_summary *sum)
{
	sum->client = s->client;
	sum->held = s->held;
	/* A clock behind since_ms is not one the caller should pass; say
	 * "just now" rather than wrap. */
	sum->age_ms = now_ms > s->since_ms ? now_ms - s->since_ms : 0;
	s->held = 0;
}

bool dg_qlog_limit_take(struct dg_qlog_limit *l, const struct dg_addr *client,
			uint64_t now_ms, struct dg_qlog_summary *sum)
{
	uint64_t key = dg_addr_client_key(&l->key, client);
	bool found;
	struct limit_slot *s = dg_ways_lookup(l->slots, sizeof(*s),
					      LIMIT_SLOTS / LIMIT_WAYS,
					      LIMIT_WAYS, key, &found);

	sum->held = 0;
	if (!found) {
		take_summary(s, now_ms, sum);
		memset(s, 0, sizeof(*s));
		s->way.key = key;
		s->client = *client;
		s->lines = dg_tokens_full(l->rate, now_ms);
	}
	s->way.used_ms = now_ms;
	/* Both refill; a line takes from both or from neither. */
	if (dg_tokens_take(&s->lines, l->rate, SECOND_MS, now_ms)) {
		if (dg_tokens_take(&l->total,
				   (uint64_t)l->rate * LIMIT_TOTAL_FACTOR,
				   SECOND_MS, now_ms)) {
			/* A new slot held nothing: the summary is the
			 * evicted client's, if any. */
			if (found)
				take_summary(s, now_ms, sum);
			return true;
		}
		dg_tokens_put_back(&s->lines);
	}
	if (s->held++ == 0)
		s->since_ms = now_ms;
	return false;
}

bool dg_qlog_limit_next_held(struct dg_qlog_limit *l, uint64_t now_ms,
			     size_t *cursor, struct dg_qlog_summary *sum)
{
	for (; *cursor < LIMIT_SLOTS; (*cursor)++) {
		struct limit_slot *s = &l->slots[*cursor];

		if (s->held > 0) {
			take_summary(s, now_ms, sum);
			(*cursor)++;
			return true;
		}
	}
	return false;
}
