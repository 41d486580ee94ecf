/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snapshot: one configuration as one worker serves it, and the state that
 * starts again whenever the configuration changes: a cache per policy
 * (an answer scrubbed under one policy is never served under another) and
 * the tunnel budget, both kept by the policies' entries.
 *
 * A query holds a reference on the snapshot it was decided under and is
 * answered under it, even after a reload swapped in another. A worker's
 * snapshots live on its loop only: the count needs no atomics.
 */
#pragma once

#include <stddef.h>

#include "budget.h"
#include "cache.h"
#include "config.h"
#include "hash.h"
#include "util.h"

struct dg_snapshot {
	unsigned refs;
	struct dg_config *cfg; /* a reference of its own */
	/* [0] the global policy's, [i + 1] group i's: a policy's index. */
	struct dg_cache **caches;
	size_t n_caches;
	struct dg_budget *budget;
};

/*
 * A snapshot of cfg (taking a reference on it), its tables hashed under
 * key. The worker is one of n_workers running: each enforces that share
 * of every budget total, since a sandbox forging sources reaches them all.
 * NULL: out of memory.
 */
DG_NODISCARD struct dg_snapshot *dg_snapshot_new(struct dg_config *cfg,
						 const struct dg_hash_key *key,
						 unsigned n_workers);

/*
 * No query will be decided under s any more: its caches and budget go
 * now, not when its last waiting query finishes, so a reload never holds
 * two caches' worth of memory. Queries still holding s find no cache.
 */
void dg_snapshot_retire(struct dg_snapshot *s);

void dg_snapshot_ref(struct dg_snapshot *s);
/* NULL is allowed. */
void dg_snapshot_unref(struct dg_snapshot *s);

/* The cache of policy pi; NULL once retired. Inline: every query asks. */
static inline struct dg_cache *dg_snapshot_cache(const struct dg_snapshot *s,
						 size_t pi)
{
	return pi < s->n_caches ? s->caches[pi] : NULL;
}

/* Answers held in all its caches. */
size_t dg_snapshot_cache_entries(const struct dg_snapshot *s);
