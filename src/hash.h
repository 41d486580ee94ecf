/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hash: SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed hash for every
 * table whose keys a client chooses: the cache, the fetches in flight and
 * the budget's tables. With an unkeyed hash (FNV, as before) a sandbox can
 * compute names that all land in one bucket and turn each lookup into a
 * walk of a long chain, or aim its names at the slots that hold another
 * client's budget. With a random key it cannot know which names collide.
 *
 * Pure but for dg_hash_key_random, which asks the kernel for a key once,
 * when a table is created, never per query. Never includes uv.h.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct dg_hash_key {
	uint64_t k0, k1;
};

/* A key from getrandom(2), or from the clock if that fails. */
void dg_hash_key_random(struct dg_hash_key *key);

/* SipHash-2-4 of len bytes under key. */
uint64_t dg_siphash(const struct dg_hash_key *key, const void *data,
		    size_t len);
