/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * board: the figures of every worker, for the one scrape that shows them.
 *
 * With [server] workers = N, N servers run, each on a loop and thread of
 * its own with its own counters. Each worker but the first publishes a
 * copy of its figures on the board now and then; the first one, which
 * serves the metrics, adds them to its live figures at each scrape. The
 * board's lock is all the workers share but the configuration.
 *
 * Each publication is also a worker's sign of life: it comes from a timer
 * on the worker's loop, so a worker that stops publishing has a loop
 * that stopped turning, and /healthz says so.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "metrics_text.h"
#include "nftset.h"
#include "util.h"

/* What a scrape shows of one server, or of all of them summed. */
struct dg_figures {
	struct dg_query_counters queries;
	struct dg_upstream_counters *upstream; /* one per upstream server */
	size_t n_upstreams;
	size_t cache_entries, inflight, waiting, tcp_connections;
	uint64_t tcp_unknown_peers;
	struct dg_nftset_stats nftset;
	/* dg_upstream_last_answer(): never summed, see
	 * dg_board_last_answer(). */
	uint64_t last_answer_ms;
};

/* Zeroed figures with room for n_upstreams servers. @return 0 or
 * DG_ENOMEM. */
DG_NODISCARD int dg_figures_init(struct dg_figures *f, size_t n_upstreams);
void dg_figures_fini(struct dg_figures *f);

/* dst += src; both have room for the same upstream servers. */
void dg_figures_add(struct dg_figures *dst, const struct dg_figures *src);

/* v shows f, its upstream servers named by upstreams[0..f->n_upstreams). v
 * borrows from f and upstreams. */
void dg_figures_view(const struct dg_figures *f,
		     const struct dg_addr *upstreams, struct dg_metrics_view *v);

struct dg_board;

/* A board for n_workers workers with n_upstreams upstream servers each.
 * NULL: out of memory. */
DG_NODISCARD struct dg_board *dg_board_new(size_t n_workers,
					   size_t n_upstreams);
/* After every worker on it stopped. NULL is allowed. */
void dg_board_free(struct dg_board *b);

/* Worker `worker` (1..n_workers-1) publishes its figures f. */
void dg_board_publish(struct dg_board *b, unsigned worker,
		      const struct dg_figures *f);

/* f += what every worker but the first last published. */
void dg_board_add_others(struct dg_board *b, struct dg_figures *f);

/* The latest last_answer_ms every worker but the first published. */
uint64_t dg_board_last_answer(struct dg_board *b);

/*
 * A worker (1..n_workers-1) that has not published in the stall_ms before
 * now_ms (dg_clock_ms(), which publishing stamps): its loop is
 * stuck. @return the first such worker, *silent_ms how long it has been
 * silent; 0 when every one published in time.
 */
unsigned dg_board_stalled(struct dg_board *b, uint64_t now_ms,
			  uint64_t stall_ms, uint64_t *silent_ms);
