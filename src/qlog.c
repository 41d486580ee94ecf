/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog: see qlog.h.
 */
#include "qlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <uv.h>

struct dg_qlog {
	FILE *f;      /* NULL: syslog */
	bool owned;   /* f is ours to close */
	char *path;   /* a file sink's name, to reopen */
	struct dg_qlog_limit *limit; /* NULL: no limit */
};

static int qlog_new(FILE *f, bool owned, unsigned deny_rate,
		    struct dg_qlog **out)
{
	struct dg_qlog *q = calloc(1, sizeof(*q));
	struct dg_hash_key key;

	if (q == NULL)
		return -ENOMEM;
	q->f = f;
	q->owned = owned;
	if (deny_rate > 0) {
		dg_hash_key_random(&key);
		q->limit = dg_qlog_limit_new(deny_rate, &key);
		if (q->limit == NULL) {
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
	char *path;
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
	path = strdup(target);
	rc = path != NULL ? qlog_new(f, true, deny_rate, out) : -ENOMEM;
	if (rc != 0) {
		free(path);
		fclose(f);
		return rc;
	}
	(*out)->path = path;
	return 0;
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

/* What the limit held back from one client, as one line stamped
 * wall_ms; nothing when nothing was. */
static void write_summary(struct dg_qlog *q, const struct dg_qlog_summary *s,
			  uint64_t wall_ms)
{
	char line[512];
	size_t n;

	if (s->held == 0)
		return;
	n = dg_qlog_format_summary(s, wall_ms, line, sizeof(line));
	if (n < sizeof(line))
		put_line(q, line, n);
}

void dg_qlog_tick(struct dg_qlog *q, uint64_t now_ms, uint64_t wall_ms)
{
	struct dg_qlog_summary s;
	size_t cursor = 0;

	if (q == NULL || q->limit == NULL)
		return;
	while (dg_qlog_limit_next_held(q->limit, now_ms, &cursor, &s))
		write_summary(q, &s, wall_ms);
}

void dg_qlog_close(struct dg_qlog *q)
{
	uv_timeval64_t now;

	if (q == NULL)
		return;
	/* No loop here: uv_hrtime is the clock uv_now reads, finer. */
	if (q->limit != NULL && uv_gettimeofday(&now) == 0)
		dg_qlog_tick(q, uv_hrtime() / 1000000,
			     (uint64_t)now.tv_sec * 1000 +
				     (uint64_t)now.tv_usec / 1000);
	if (q->owned)
		fclose(q->f);
	else if (q->f == NULL)
		closelog();
	dg_qlog_limit_free(q->limit);
	free(q->path);
	free(q);
}

void dg_qlog_write(struct dg_qlog *q, const struct dg_qlog_record *r,
		   uint64_t now_ms)
{
	char line[DG_QLOG_LINE];
	struct dg_qlog_summary s;
	size_t n;

	if (q == NULL)
		return;
	if (!r->allow && q->limit != NULL) {
		bool allowed = dg_qlog_limit_take(q->limit, r->client, now_ms, &s);

		write_summary(q, &s, r->time_ms);
		if (!allowed)
			return;
	}
	n = dg_qlog_format(r, line, sizeof(line));
	if (n >= sizeof(line))
		return; /* cannot happen with DG_QLOG_LINE; never a cut line */
	put_line(q, line, n);
}

void dg_qlog_write_control(struct dg_qlog *q, const struct dg_qlog_control *c)
{
	char line[DG_QLOG_LINE];
	size_t n;

	if (q == NULL)
		return;
	n = dg_qlog_format_control(c, line, sizeof(line));
	if (n < sizeof(line))
		put_line(q, line, n);
}
