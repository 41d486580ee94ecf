/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * board: figures summed across workers. See board.h.
 */
#include "board.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

struct dg_board {
	uv_mutex_t lock;
	size_t n_workers, n_upstreams;
	struct dg_figures *slots; /* [0] unused: the first one's are live */
	uint64_t *alive_ms;       /* each slot's last publication */
};

int dg_figures_init(struct dg_figures *f, size_t n_upstreams)
{
	memset(f, 0, sizeof(*f));
	f->upstream = calloc(n_upstreams > 0 ? n_upstreams : 1,
			     sizeof(*f->upstream));
	if (f->upstream == NULL)
		return DG_ENOMEM;
	f->n_upstreams = n_upstreams;
	return 0;
}

void dg_figures_fini(struct dg_figures *f)
{
	free(f->upstream);
	f->upstream = NULL;
	f->n_upstreams = 0;
}

/* dst += src, both made of uint64_t only. */
static void add_u64s(void *dst, const void *src, size_t size)
{
	uint64_t *d = dst;
	const uint64_t *s = src;

	for (size_t i = 0; i < size / sizeof(uint64_t); i++)
		d[i] += s[i];
}

void dg_figures_add(struct dg_figures *dst, const struct dg_figures *src)
{
	static_assert(sizeof(struct dg_query_counters) % sizeof(uint64_t) == 0,
		      "query counters are uint64_t only");
	static_assert(sizeof(struct dg_upstream_counters) % sizeof(uint64_t) == 0,
		      "upstream counters are uint64_t only");
	static_assert(sizeof(struct dg_nftset_stats) % sizeof(uint64_t) == 0,
		      "nft set counters are uint64_t only");

	assert(dst->n_upstreams == src->n_upstreams);
	add_u64s(&dst->queries, &src->queries, sizeof(src->queries));
	add_u64s(dst->upstream, src->upstream,
		 src->n_upstreams * sizeof(*src->upstream));
	add_u64s(&dst->nftset, &src->nftset, sizeof(src->nftset));
	dst->cache_entries += src->cache_entries;
	dst->inflight += src->inflight;
	dst->waiting += src->waiting;
	dst->tcp_connections += src->tcp_connections;
	dst->tcp_unknown_peers += src->tcp_unknown_peers;
}

void dg_figures_view(const struct dg_figures *f,
		     const struct dg_addr *upstreams, struct dg_metrics_view *v)
{
	v->queries = &f->queries;
	v->upstreams = upstreams;
	v->upstream = f->upstream;
	v->n_upstreams = f->n_upstreams;
	v->cache_entries = f->cache_entries;
	v->inflight = f->inflight;
	v->waiting = f->waiting;
	v->tcp_connections = f->tcp_connections;
	v->tcp_unknown_peers = f->tcp_unknown_peers;
	v->nftset_added = f->nftset.added;
	v->nftset_dropped = f->nftset.dropped;
	v->nftset_errors = f->nftset.errors;
}

struct dg_board *dg_board_new(size_t n_workers, size_t n_upstreams)
{
	struct dg_board *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->slots = calloc(n_workers, sizeof(*b->slots));
	b->alive_ms = calloc(n_workers, sizeof(*b->alive_ms));
	if (b->slots == NULL || b->alive_ms == NULL ||
	    uv_mutex_init(&b->lock) != 0) {
		free(b->slots);
		free(b->alive_ms);
		free(b);
		return NULL;
	}
	b->n_upstreams = n_upstreams;
	/* A worker is given until its first publication, as if it had
	 * published now. */
	for (size_t i = 0; i < n_workers; i++)
		b->alive_ms[i] = dg_clock_ms();
	for (; b->n_workers < n_workers; b->n_workers++) {
		if (dg_figures_init(&b->slots[b->n_workers], n_upstreams) != 0) {
			dg_board_free(b);
			return NULL;
		}
	}
	return b;
}

void dg_board_free(struct dg_board *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n_workers; i++)
		dg_figures_fini(&b->slots[i]);
	free(b->slots);
	free(b->alive_ms);
	uv_mutex_destroy(&b->lock);
	free(b);
}

void dg_board_publish(struct dg_board *b, unsigned worker,
		      const struct dg_figures *f)
{
	struct dg_figures *slot = &b->slots[worker];
	struct dg_upstream_counters *upstream = slot->upstream;

	assert(worker > 0 && worker < b->n_workers);
	assert(f->n_upstreams == b->n_upstreams);
	uv_mutex_lock(&b->lock);
	*slot = *f;
	slot->upstream = upstream;
	memcpy(upstream, f->upstream, f->n_upstreams * sizeof(*upstream));
	/* Every worker reloads with the others: the first counts them. */
	slot->queries.reloads = slot->queries.reload_failures = 0;
	b->alive_ms[worker] = dg_clock_ms();
	uv_mutex_unlock(&b->lock);
}

void dg_board_add_others(struct dg_board *b, struct dg_figures *f)
{
	uv_mutex_lock(&b->lock);
	for (size_t i = 1; i < b->n_workers; i++)
		dg_figures_add(f, &b->slots[i]);
	uv_mutex_unlock(&b->lock);
}

uint64_t dg_board_last_answer(struct dg_board *b)
{
	uint64_t last = 0;

	uv_mutex_lock(&b->lock);
	for (size_t i = 1; i < b->n_workers; i++)
		if (b->slots[i].last_answer_ms > last)
			last = b->slots[i].last_answer_ms;
	uv_mutex_unlock(&b->lock);
	return last;
}

unsigned dg_board_stalled(struct dg_board *b, uint64_t now_ms,
			  uint64_t stall_ms, uint64_t *silent_ms)
{
	unsigned stalled = 0;

	uv_mutex_lock(&b->lock);
	for (size_t i = 1; i < b->n_workers && stalled == 0; i++) {
		uint64_t last = b->alive_ms[i];

		if (now_ms > last && now_ms - last > stall_ms) {
			stalled = (unsigned)i;
			*silent_ms = now_ms - last;
		}
	}
	uv_mutex_unlock(&b->lock);
	return stalled;
}
