/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog: the query log, one JSON object per line (RFC 8259), kept apart
 * from the operational messages. The formatter is pure; the sink is
 * stderr, a file (appended), syslog, or nothing.
 *
 * Names are printed in presentation form with \DDD escapes (name.c) and
 * then JSON-escaped, so no name a client can send breaks a line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	unsigned rcode;
	bool cached;
};

/* One JSON line, newline included, as snprintf. Pure. */
size_t dg_qlog_format(const struct dg_qlog_record *r, char *buf, size_t size);

/* "A", "AAAA", …, or "TYPE65280". */
const char *dg_qlog_type_name(uint16_t type, char *buf, size_t size);

struct dg_qlog;

/*
 * Open the sink named as in the configuration: "stderr", "syslog", "off"
 * or a file path (opened for appending).
 * @return 0 and *out (NULL for "off"), or a negative errno.
 */
DG_NODISCARD int dg_qlog_open(const char *target, struct dg_qlog **out);
void dg_qlog_close(struct dg_qlog *q);

/* Write one record; a NULL sink writes nothing. */
void dg_qlog_write(struct dg_qlog *q, const struct dg_qlog_record *r);
