/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog_line: the query log's lines and which of them are written, without
 * the sink (qlog.h). A record becomes one JSON object a line (RFC 8259);
 * names are printed in presentation form with \DDD escapes (name.c) and
 * then JSON-escaped, so no name a client can send breaks a line.
 *
 * Denials are what a flood produces, so their lines are rate-limited: per
 * client (an IPv6 client by its /64, as the budget counts it) at most
 * `rate` a second with a burst of as many, and 16 times that in all, so
 * spoofed sources cannot fill a disk either. What is held back is counted
 * and becomes one summary line a client.
 *
 * Pure. The limiter runs on the monotonic clock (uv_now), so a wall clock
 * stepped back or forward neither freezes nor refills it; the wall clock
 * only stamps the lines, as the caller gives it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "hash.h"
#include "policy.h"
#include "util.h"

/* Longest line dg_qlog_format can write: a name fully escaped, twice. */
#define DG_QLOG_LINE 8192

struct dg_qlog_record {
	uint64_t time_ms;           /* wall clock, ms since the epoch: "ts" */
	const struct dg_addr *client;
	bool tcp;
	const uint8_t *name;        /* checked wire name */
	uint16_t qtype;
	bool allow;
	/* Allowed by audit mode only: "would-deny", and reason is what
	 * enforce would have denied it for. */
	bool would_deny;
	enum dg_reason reason;
	const char *entry;          /* the entry in zones syntax, or NULL */
	const char *group;          /* the client's [group NAME], or NULL */
	unsigned rcode;
	bool cached;
	bool local; /* from [local] records: "local":true */
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

/* A change to the temporary entries of `dnsgate control`. */
struct dg_qlog_control {
	uint64_t time_ms;   /* wall clock: "ts" */
	const char *action; /* "allow", "revoke" or "expire" */
	uint32_t id;
	const char *entry;  /* in zones syntax */
	const char *scope;  /* "global", "group G", "client ADDR" */
	uint64_t seconds;   /* allow: how long it holds */
};

/* The change as one JSON line, newline included, as snprintf. Pure. */
size_t dg_qlog_format_control(const struct dg_qlog_control *c, char *buf,
			      size_t size);

/* "A", "AAAA", …, or "TYPE65280". */
const char *dg_qlog_type_name(uint16_t type, char *buf, size_t size);

/* What the limiter held back from one client, for one summary line. */
struct dg_qlog_summary {
	struct dg_addr client;
	uint64_t held;   /* lines held back; 0: none, and no line */
	uint64_t age_ms; /* since the first of them */
};

/* The summary as one JSON line stamped time_ms (the wall clock); its
 * "since" is age_ms before that. As snprintf. */
size_t dg_qlog_format_summary(const struct dg_qlog_summary *s,
			      uint64_t time_ms, char *buf, size_t size);

struct dg_qlog_limit;

/* A limiter of rate denial lines a second a client (rate > 0), its
 * clients' table hashed under key. NULL: OOM. */
DG_NODISCARD struct dg_qlog_limit *dg_qlog_limit_new(
	unsigned rate, const struct dg_hash_key *key);
void dg_qlog_limit_free(struct dg_qlog_limit *l);

/*
 * May a denial line from client be written at now_ms (monotonic)? Either
 * way, a summary to write first comes back in *sum (held 0: none): this
 * client's, before its next line, or that of the client whose place in
 * the table it took.
 */
bool dg_qlog_limit_take(struct dg_qlog_limit *l, const struct dg_addr *client,
			uint64_t now_ms, struct dg_qlog_summary *sum);

/*
 * The next client with lines held back, from *cursor (0 to start), as of
 * now_ms: its summary in *sum, its count then cleared. @return false when
 * there is none left.
 */
bool dg_qlog_limit_next_held(struct dg_qlog_limit *l, uint64_t now_ms,
			     size_t *cursor, struct dg_qlog_summary *sum);
