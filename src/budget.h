/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * budget: the new-name budget that bounds a covert channel through an
 * allowed wildcard (DESIGN.md "tunnel budget"). Per client and allowlist
 * entry, at most `per_minute` distinct names below the entry that this
 * client has not asked before; names it has asked stay free, so normal use
 * never notices.
 *
 * The rate is a token bucket per (client, entry): it holds at most
 * per_minute tokens and refills per_minute tokens a minute, continuously;
 * a new name takes one. So the long-run rate is per_minute new names a
 * minute, and no 60-second window holds more than 2 × per_minute.
 *
 * A name seen before is free, but if its answer is not cached (a hostile
 * server answers with TTL 0) asking it again still reaches the upstream,
 * and which seen name is asked, when, could signal without limit. So a
 * second bucket, DG_BUDGET_REFETCH_FACTOR times larger, pays for seen
 * names that miss the cache (dg_budget_refetch): every upstream query a
 * client causes below an entry is then bounded.
 * Clients are keyed on their address, IPv6 on its /64, never on the port:
 * rotating source ports or addresses inside one /64 does not help.
 *
 * Memory is fixed at creation (dg_budget_bytes): set-associative
 * tables, of buckets, of names seen and of query rates, each evicting its least
 * recently used slot. Their hashes take a secret seed, so a client cannot
 * aim at someone else's slots. Pure: time comes in as now_ms, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "util.h"

/* Refetches of seen names allowed per new name: generous, so a client
 * refreshing its usual names as their TTLs run out never notices. */
#define DG_BUDGET_REFETCH_FACTOR 4

enum dg_budget_verdict {
	DG_BUDGET_SEEN,      /* asked before: free */
	DG_BUDGET_NEW,       /* a new name, paid for with a token */
	DG_BUDGET_EXHAUSTED, /* a new name, and no token left: deny */
};

struct dg_budget;

/* NULL when out of memory. `seed` should be random (uv_random). */
DG_NODISCARD struct dg_budget *dg_budget_new(unsigned per_minute,
					     uint64_t seed);
void dg_budget_free(struct dg_budget *b);

/* May `client` ask `name` (wire) below entry number `entry` now? */
enum dg_budget_verdict dg_budget_check(struct dg_budget *b,
				       const struct dg_addr *client,
				       uint32_t entry, const uint8_t *name,
				       uint64_t now_ms);

/*
 * A name the client has seen missed the cache and would go upstream: may
 * it? Takes a token of the refetch bucket. @return false when empty.
 */
bool dg_budget_refetch(struct dg_budget *b, const struct dg_addr *client,
		       uint32_t entry, uint64_t now_ms);

/*
 * The query rate of a client ([server] client_rate_limit): may it ask
 * one more now, at most per_second a second (and as many at once)? The
 * same keys as the budget, in a table of its own. per_second 0: always.
 */
bool dg_budget_query(struct dg_budget *b, const struct dg_addr *client,
		     unsigned per_second, uint64_t now_ms);

/* The memory the budget holds, fixed at creation. */
size_t dg_budget_bytes(const struct dg_budget *b);
