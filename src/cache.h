/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cache: answers already cleaned, keyed on (lowercased name, type, class),
 * positive and negative alike. Bounded by an entry count with LRU eviction;
 * an entry expires at the TTL its answer was stored with, and a hit says
 * how long it has been kept, so the encoder counts TTLs down.
 *
 * Pure: time comes in as now_ms from the caller (uv_now), no I/O. The
 * cache holds a reference on every answer it keeps and drops it on
 * eviction.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "util.h"
#include "wire.h"

struct dg_cache;

/* A cache of at most max_entries answers; 0 keeps nothing. Its table
 * hashes under key (hash.h). NULL: OOM. */
DG_NODISCARD struct dg_cache *dg_cache_new(size_t max_entries,
					   const struct dg_hash_key *key);
void dg_cache_free(struct dg_cache *c);

/*
 * The hash of (qname, qtype, qclass) under the cache's key: what lookups
 * and stores take (as Unbound's slabhash), so a query hashed once serves
 * every table keyed alike (the server hashes under the key it gave the
 * cache, and the fetch table's is the same).
 */
uint32_t dg_cache_hash(const struct dg_cache *c, const uint8_t *qname,
		       uint16_t qtype, uint16_t qclass);

/*
 * The answer for (qname, qtype, qclass), whose dg_cache_hash is h, if
 * fresh at now_ms, with the whole seconds since it was stored in
 * *elapsed. The answer is borrowed: valid until the next store or free
 * (take a reference to keep it longer). NULL on a miss; an expired entry
 * found here is dropped.
 */
const struct dg_answer *dg_cache_lookup(struct dg_cache *c,
					const uint8_t *qname, uint16_t qtype,
					uint16_t qclass, uint32_t h,
					uint64_t now_ms, uint32_t *elapsed);

/*
 * Keep `a` for (qname, qtype, qclass), whose dg_cache_hash is h, taking
 * a reference of its own (the caller keeps its own), and replacing an
 * older answer for the key. Nothing is kept when the cache holds no
 * entries or the answer's TTL is 0.
 * @return 0 or DG_ENOMEM.
 */
int dg_cache_store(struct dg_cache *c, const uint8_t *qname, uint16_t qtype,
		   uint16_t qclass, uint32_t h, struct dg_answer *a,
		   uint64_t now_ms);

/* Drop every answer (qname NULL), or those for qname of any type and
 * class. NULL c is allowed. @return how many went. */
size_t dg_cache_flush(struct dg_cache *c, const uint8_t *qname);

size_t dg_cache_count(const struct dg_cache *c);
