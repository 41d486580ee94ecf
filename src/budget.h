/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * budget: the new-name budget that bounds a covert channel through an
 * allowed wildcard (DESIGN.md "tunnel budget"). Two bounds, both on the
 * names that reach an upstream below one allowlist entry:
 *
 * - per client: at most `per_minute` distinct names below the entry that
 *   this client has not asked before ([policy] new_names_per_minute);
 *   names it has asked stay free, so normal use never notices;
 * - per entry, over every client of a policy: at most `total_per_minute`
 *   names that no client of the policy asked before
 *   ([policy] / [group] new_names_per_minute_total).
 *
 * The per-client bound keys on the source address, which a sandbox can
 * borrow (any 127/8 address on a host) or forge (NET_RAW): alone it
 * multiplies with every address used. The total keys on nothing a client
 * chooses, so it is the bound that holds whatever addresses are used, and
 * the one the README promises. A name another client of the policy asked
 * already costs only the asker's own token: it tells the upstream nothing
 * new, and a popular name asked by many sandboxes does not drain the
 * total.
 *
 * Each rate is a token bucket: it holds at most rate tokens and refills
 * rate tokens a minute, continuously; a new name takes one. So the
 * long-run rate is the rate a minute, and no 60-second window holds more
 * than twice it.
 *
 * A name seen before is free, but if its answer is not cached (a hostile
 * server answers with TTL 0) asking it again still reaches the upstream,
 * and which seen name is asked, when, could signal without limit. So a
 * second pair of buckets, DG_BUDGET_REFETCH_FACTOR times larger, pays for
 * names that miss the cache without being new to the policy
 * (dg_budget_refetch): every upstream query below an entry is bounded, per
 * client and in total.
 *
 * Clients are keyed on their address, IPv6 on its /64, never on the port.
 * Memory is fixed at creation (dg_budget_bytes): the totals one slot per
 * (policy, entry), never evicted, since an evicted total would start full
 * again; the rest in set-associative tables, of client buckets, of names
 * seen by a client and by a policy, and of query rates, each evicting its
 * least recently used slot (an evicted name is new again: stricter, never
 * looser). Their hashes are SipHash under a random key, so a client
 * cannot aim at someone else's slots. Pure: time comes in as now_ms, no
 * I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "hash.h"
#include "util.h"

/* Refetches of seen names allowed per new name: generous, so a client
 * refreshing its usual names as their TTLs run out never notices. */
#define DG_BUDGET_REFETCH_FACTOR 4

enum dg_budget_verdict {
	DG_BUDGET_SEEN,      /* this client asked it before: free */
	DG_BUDGET_KNOWN,     /* new to the client, not to its policy */
	DG_BUDGET_NEW,       /* new to the policy: a client and a total token */
	DG_BUDGET_EXHAUSTED, /* the client's bucket is empty: deny */
	DG_BUDGET_TOTAL_EXHAUSTED, /* the entry's total is spent: deny */
};

/* One policy as the budget sees it: how many entries it has, and the
 * total each of them allows a minute, over every client. */
struct dg_budget_policy {
	size_t n_entries;
	unsigned total_per_minute;
};

struct dg_budget;

/* NULL when out of memory. Policies are numbered as in policies[]. */
DG_NODISCARD struct dg_budget *dg_budget_new(
	unsigned per_minute, const struct dg_budget_policy *policies,
	size_t n_policies, const struct dg_hash_key *key);
void dg_budget_free(struct dg_budget *b);

/*
 * May `client` ask `name` (wire) below entry number `entry` of policy
 * number `policy` now? Tokens are taken only when the name is allowed.
 */
enum dg_budget_verdict dg_budget_check(struct dg_budget *b,
				       const struct dg_addr *client,
				       uint32_t policy, uint32_t entry,
				       const uint8_t *name, uint64_t now_ms);

/*
 * A name that was not new to the policy missed the cache and would go
 * upstream: may it? Takes a refetch token of the client and of the
 * entry's total. @return DG_BUDGET_SEEN when it may, else which bucket
 * was empty.
 */
enum dg_budget_verdict dg_budget_refetch(struct dg_budget *b,
					 const struct dg_addr *client,
					 uint32_t policy, uint32_t entry,
					 uint64_t now_ms);

/*
 * The query rate of a client ([server] client_rate_limit): may it ask
 * one more now, at most per_second a second (and as many at once)? The
 * same keys as the budget, in a table of its own. per_second 0: always.
 */
bool dg_budget_query(struct dg_budget *b, const struct dg_addr *client,
		     unsigned per_second, uint64_t now_ms);

/* The memory the budget holds, fixed at creation. */
size_t dg_budget_bytes(const struct dg_budget *b);
