/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qlog: the query log's sink, kept apart from the operational messages:
 * stderr, a file (appended, reopened on SIGUSR1), syslog, or nothing. The
 * lines and the limit on denial lines are qlog_line.h's; what the limit
 * holds back is written as one summary line a client: before its next
 * line, at the next dg_qlog_tick, or at close.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "qlog_line.h"
#include "util.h"

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

/* Write one record, unless it is a denial the limit holds back at now_ms
 * (monotonic: uv_now); r->time_ms, the wall clock, only stamps the line.
 * A NULL sink writes nothing. */
void dg_qlog_write(struct dg_qlog *q, const struct dg_qlog_record *r,
		   uint64_t now_ms);

/* Write a change to the temporary entries: never held back. */
void dg_qlog_write_control(struct dg_qlog *q, const struct dg_qlog_control *c);

/* Write a summary for every client with denials held back, as of now_ms
 * (monotonic) and stamped wall_ms (call every few seconds: a client that
 * stopped would otherwise never get one). */
void dg_qlog_tick(struct dg_qlog *q, uint64_t now_ms, uint64_t wall_ms);
