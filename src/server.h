/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server: one query from arrival to answer. For each client message:
 * header checks and parse (wire), the decision (policy), then either a
 * denial built here, an answer from the cache, or a fetch upstream whose
 * answer is cached and re-encoded for every client waiting on it. Nothing
 * of a denied query reaches the upstream module.
 *
 * The server owns the listener, the upstream and the snapshot (the
 * configuration in use, its caches and budget: snapshot.h); it holds a
 * reference on every configuration it serves, and on the one it started
 * with, whose sockets and upstreams it keeps across reloads.
 */
#pragma once

#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "control_cmd.h"
#include "overlay.h"
#include "qlog_line.h"
#include "util.h"

struct dg_board;
struct dg_server;

/*
 * Open the listeners and the upstream on `loop`, serving cfg (the server
 * takes a reference of its own), as worker `worker` of the board (board
 * NULL: the only one). With [server] workers = N, N servers run, one per
 * loop and thread, each with its own sockets (SO_REUSEPORT), caches,
 * budgets and upstream sockets. Workers start in index order: the order
 * of their sockets steers each client to one of them. Only worker 0
 * serves the metrics. A bind failure is reported with the address.
 * @return 0 and *out, or a libuv error.
 */
DG_NODISCARD int dg_server_start(uv_loop_t *loop, struct dg_config *cfg,
				 struct dg_board *board, unsigned worker,
				 struct dg_server **out);

/*
 * Serve with cfg from now on: every query after this call, and every fetch
 * answered after it, is decided, scrubbed and cached under cfg; queries in
 * flight finish under the configuration they started with. The cache and
 * the budgets start empty. Settings opened at start (listeners, upstreams,
 * the query log, the user, nft sets) stay, with a warning when they differ.
 * The server takes a reference of its own on cfg.
 * @return 0 or UV_ENOMEM.
 */
DG_NODISCARD int dg_server_reload(struct dg_server *srv, struct dg_config *cfg);

/* Decide with the temporary entries of ov from now on (the server takes
 * a reference of its own). */
void dg_server_set_overlay(struct dg_server *srv, struct dg_overlay *ov);

/* Empty the caches: every answer (name NULL), or name's (wire) only. */
void dg_server_flush(struct dg_server *srv, const uint8_t *name);

/* Worker 0: the control socket's counters, for the metrics (c outlives
 * the server, or is set to NULL first). */
void dg_server_set_control(struct dg_server *srv,
			   const struct dg_control_counters *c);

/* The metrics' exposition text, as a scrape would get it. @return 0 or
 * -EIO. */
DG_NODISCARD int dg_server_write_metrics(struct dg_server *srv, FILE *out);

/* A change to the temporary entries, into the query log. */
void dg_server_log_control(struct dg_server *srv,
			   const struct dg_qlog_control *c);

/* A reload refused (the configuration had errors), for the metrics. */
void dg_server_count_reload_failure(struct dg_server *srv);

/* Reopen the query log file (SIGUSR1, after logrotate); the old one stays
 * when that fails. @return 0 or a negative errno. */
DG_NODISCARD int dg_server_reopen_log(struct dg_server *srv);

/* Close everything; queries in flight are dropped. Handles finish closing
 * on the loop; the server memory is freed here. */
void dg_server_stop(struct dg_server *srv);
