/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log: the operational log, every diagnostic the daemon and the command
 * line print on standard error, as `dnsgate: message`. Owns the process's
 * log level ([log] level, set at start and at each reload) and nothing
 * else; the query log (qlog.c) and what a command prints on purpose to
 * standard output are not diagnostics and never come here.
 *
 * Safe from any thread: the workers are threads of one process, so each
 * message is written whole, in one write(2), never interleaved with
 * another thread's. dg_log_once lets a message that every worker meets
 * (the same failed reopen, three times with workers = 3) be said once per
 * process.
 */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

#include "util.h"

/* Most severe first: a level shows its own messages and those above. */
enum dg_log_level { DG_LOG_ERR, DG_LOG_WARN, DG_LOG_INFO, DG_LOG_DEBUG };

/* The longest message written, prefix and newline included; a longer one
 * is cut and ends with "...". */
#define DG_LOG_LINE_MAX 2048

/* Show messages of `level` and more severe from now on, in every thread.
 * Before the first call: DG_LOG_INFO (the [log] level default). */
void dg_log_set_level(enum dg_log_level level);

/* Would a message at `level` be written? (To skip costly arguments.) */
bool dg_log_enabled(enum dg_log_level level);

/* One message, printf-style, without the final newline. */
void dg_log(enum dg_log_level level, const char *fmt, ...) DG_PRINTF(2, 3);

/*
 * What one call site has said: zero-initialised (a static, or a member
 * of a struct made with calloc) means nothing yet.
 */
struct dg_log_once {
	_Atomic uint64_t said; /* the latest event reported */
};

/*
 * dg_log, but only the first time any thread reports `event` (or a later
 * one) through `once`: the others, meeting the same thing, stay silent.
 * Events are numbers from 1 up that only grow, chosen by the caller: 1
 * for "once per process", a reload's serial number for "once per reload", a
 * time divided by a period for "once per period".
 * A message the level hides claims nothing: had the level been raised
 * meanwhile, the next thread to meet the event would say it.
 * @return true when this call wrote the message.
 */
bool dg_log_once(struct dg_log_once *once, uint64_t event,
		 enum dg_log_level level, const char *fmt, ...) DG_PRINTF(4, 5);
