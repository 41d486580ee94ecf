/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog: the query log, one JSON object per line (RFC 8259), kept apart
 * from the operational messages. The formatter is pure; the sink is
 * stderr, a file (appended), syslog, or nothing.
 *
 * Names are printed in presentation form with \DDD escapes (name.c) and
 * then JSON-escaped, so no name a client can send breaks a line.
 *
 * Denials are what a flood produces, so their lines are rate-limited: per
 * client (an IPv6 client by its /64, as the budget counts it) at most
 * deny_rate a second with a burst of as many, and 16 times that in all, so
 * spoofed sources cannot fill a disk either. What is held back is counted
 * and written as one summary line a client: before its next line, at the
 * next dg_qlog_tick, or at close.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "policy.h"
#include "util.h"

/* Longest line dg_qlog_format can write: a name fully escaped, twice. */
#define DG_QLOG_LINE 8192

struct dg_qlog_record {
	uint64_t time_ms;           /* wall clock, ms since the epoch */
	const struct dg_addr *client;
	bool tcp;
	const uint8_t *name;        /* checked wire name */
	uint16_t qtype;
	bool allow;
	enum dg_reason reason;
	const char *entry;          /* the entry in zones syntax, or NULL */
	const char *group;          /* the client's [group NAME], or NULL */
	unsigned rcode;
	bool cached;
	/* A fetched answer or upstream failure: the server, and the time. */
	const struct dg_addr *upstream;
	uint32_t upstream_ms;
	/* An answer: its records, and what scrubbing removed. */
	bool has_answer;
	unsigned answers;
	unsigned scrubbed;
};

/* One JSON line, newline included, as snprintf. Pure. */
size_t dg_qlog_format(const struct dg_qlog_record *r, char *buf, size_t size);

/* "A", "AAAA", …, or "TYPE65280". */
const char *dg_qlog_type_name(uint16_t type, char *buf, size_t size);

struct dg_qlog;

/*
 * Open the sink named as in the configuration: "stderr", "syslog", "off"
 * or a file path (opened for appending). deny_rate: denial lines a second
 * a client; 0, no limit.
 * @return 0 and *out (NULL for "off"), or a negative errno.
 */
DG_NODISCARD int dg_qlog_open(const char *target, unsigned deny_rate,
			      struct dg_qlog **out);
/* The same, on a stream the caller keeps (the unit tests). */
DG_NODISCARD int dg_qlog_open_stream(FILE *f, unsigned deny_rate,
				     struct dg_qlog **out);
/* Write the summaries still held, then close. NULL is allowed. */
void dg_qlog_close(struct dg_qlog *q);

/* Reopen a file sink by its name (SIGUSR1, after logrotate moved it);
 * other sinks need nothing. On failure the old file stays in use.
 * @return 0 or a negative errno. */
DG_NODISCARD int dg_qlog_reopen(struct dg_qlog *q);

/* Write one record, unless it is a denial the limit holds back; a NULL
 * sink writes nothing. r->time_ms is the limiter's clock. */
void dg_qlog_write(struct dg_qlog *q, const struct dg_qlog_record *r);

/* Write a summary for every client with denials held back (call every few
 * seconds: a client that stopped would otherwise never get one). */
void dg_qlog_tick(struct dg_qlog *q, uint64_t now_ms);
