/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ways: the one lookup of dnsgate's set-associative tables (the budget's
 * buckets, names seen and query rates; the query log limiter's clients).
 * Their memory is fixed: a key picks a set of a few slots, and when none
 * holds it the slot idle the longest is the one to take over. Every slot
 * struct begins with a struct dg_way. Keys are hashes under a secret key
 * (hash.h), so a client cannot pick the set it lands in.
 *
 * Pure: no I/O, time only as the caller's clock in used_ms.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dg_way {
	uint64_t key;     /* 0: free */
	uint64_t used_ms; /* the LRU clock; the caller sets it */
};

/*
 * In `table`, sets of `ways` slots of `size` bytes each, the slot for key
 * (never 0): the one holding it (*found true), or else the one idle the
 * longest, free ones first (*found false), which the caller may take over.
 * Nothing is written.
 */
void *dg_ways_lookup(void *table, size_t size, size_t sets, unsigned ways,
		     uint64_t key, bool *found);
