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

#include "name.h"

struct dg_qlog {
	FILE *f;      /* NULL: syslog */
	bool owned;   /* f is ours to close */
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

size_t dg_qlog_format(const struct dg_qlog_record *r, char *buf, size_t size)
{
	char name[DG_NAME_STRLEN], client[DG_ADDR_STRLEN], type[16], ts[40];
	time_t secs = (time_t)(r->time_ms / 1000);
	struct tm tm;
	size_t n = 0;

	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	dg_name_to_str(r->name, name, sizeof(name));
	dg_addr_format(r->client, client, sizeof(client));
	put_fmt(buf, size, &n, "{\"ts\":\"%s.%03uZ\",\"client\":\"", ts,
		(unsigned)(r->time_ms % 1000));
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
	if (r->entry != NULL) {
		put_fmt(buf, size, &n, ",\"entry\":\"");
		put_json(buf, size, &n, r->entry);
		put_fmt(buf, size, &n, "\"");
	}
	put_fmt(buf, size, &n, ",\"rcode\":%u,\"cached\":%s}\n", r->rcode,
		r->cached ? "true" : "false");
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

int dg_qlog_open(const char *target, struct dg_qlog **out)
{
	struct dg_qlog *q;

	if (target == NULL || strcmp(target, "off") == 0) {
		*out = NULL;
		return 0;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	if (strcmp(target, "stderr") == 0) {
		q->f = stderr;
	} else if (strcmp(target, "syslog") == 0) {
		openlog("dnsgate", LOG_PID, LOG_DAEMON);
	} else {
		q->f = fopen(target, "a");
		if (q->f == NULL) {
			int err = errno;

			free(q);
			return -err;
		}
		q->owned = true;
		/* One record a line, whole, even if we die next. */
		setvbuf(q->f, NULL, _IOLBF, 0);
	}
	*out = q;
	return 0;
}

void dg_qlog_close(struct dg_qlog *q)
{
	if (q == NULL)
		return;
	if (q->owned)
		fclose(q->f);
	else if (q->f == NULL)
		closelog();
	free(q);
}

void dg_qlog_write(struct dg_qlog *q, const struct dg_qlog_record *r)
{
	char line[DG_QLOG_LINE];
	size_t n;

	if (q == NULL)
		return;
	n = dg_qlog_format(r, line, sizeof(line));
	if (n >= sizeof(line))
		return; /* cannot happen with DG_QLOG_LINE; never a cut line */
	if (q->f != NULL) {
		fwrite(line, 1, n, q->f);
	} else {
		line[n - 1] = '\0';
		syslog(LOG_INFO, "%s", line);
	}
}
