/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server: one query from arrival to answer. For each client message:
 * header checks and parse (wire), the decision (policy), then either a
 * denial built here, an answer from the cache, or a fetch upstream whose
 * answer is cached and re-encoded for every client waiting on it. Nothing
 * of a denied query reaches the upstream module.
 *
 * The server owns the listener, the upstream and the cache; it reads the
 * configuration it was started with, which must outlive it.
 */
#pragma once

#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "util.h"

struct dg_server;

/*
 * With [server] workers = N, N servers run, one per loop and thread, each
 * with its own sockets (SO_REUSEPORT), cache, budgets and upstream
 * sockets. The board is what they share: the figures the first one's
 * metrics add up. NULL: out of memory.
 */
struct dg_server_board;
DG_NODISCARD struct dg_server_board *dg_server_board_new(
	size_t n_workers, const struct dg_config *cfg);
/* After every server on it stopped. NULL is allowed. */
void dg_server_board_free(struct dg_server_board *b);

/*
 * Open the listeners and the upstream on `loop`, as worker `worker` of the
 * board (board NULL: the only one). Workers start in index order: the
 * order of their sockets steers each client to one of them. Only worker 0
 * serves the metrics. A bind failure is reported on stderr with the
 * address.
 * @return 0 and *out, or a libuv error.
 */
DG_NODISCARD int dg_server_start(uv_loop_t *loop, const struct dg_config *cfg,
				 struct dg_server_board *board, unsigned worker,
				 struct dg_server **out);

/*
 * Serve with cfg from now on: every query after this call, and every fetch
 * answered after it, is decided, scrubbed and cached under cfg; queries in
 * flight finish under the configuration they started with. The cache and
 * the budgets start empty. Settings opened at start (listeners, upstreams,
 * the query log, the user, nft sets) stay, with a warning when they differ.
 * @return 0, the server owning cfg; or UV_ENOMEM, cfg still the caller's.
 */
DG_NODISCARD int dg_server_reload(struct dg_server *srv, struct dg_config *cfg);

/* The configuration the server serves now (its current snapshot's). */
const struct dg_config *dg_server_config(const struct dg_server *srv);

/* A reload refused (the configuration had errors), for the metrics. */
void dg_server_count_reload_failure(struct dg_server *srv);

/* Reopen the query log file (SIGUSR1, after logrotate); the old one stays
 * when that fails. @return 0 or a negative errno. */
DG_NODISCARD int dg_server_reopen_log(struct dg_server *srv);

/* Close everything; queries in flight are dropped. Handles finish closing
 * on the loop; the server memory is freed here. */
void dg_server_stop(struct dg_server *srv);
