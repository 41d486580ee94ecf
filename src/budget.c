/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * budget: token buckets and names seen, in fixed tables. See budget.h.
 */
#include "budget.h"

#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "tokens.h"
#include "ways.h"

#define WAYS 4
#define BUCKET_SETS 4096  /* 16384 (client, entry) buckets */
#define SEEN_SETS 32768   /* 131072 names seen by a client */
#define KNOWN_SETS 8192   /* 32768 names seen by a policy */
#define RATE_SETS 1024    /* 4096 clients' query rates */
#define MINUTE_MS 60000
#define SECOND_MS 1000
/* The policy and entry the query rate is keyed under: no entry has them. */
#define RATE_ENTRY UINT32_MAX

struct bucket {
	struct dg_way way;  /* key: hash of (client, policy, entry) */
	struct dg_tokens names;   /* new names */
	struct dg_tokens refetch; /* seen names that missed the cache */
};

/* A name seen, by a client (tag: hash of client, policy, entry, name)
 * or by a policy (tag: hash of policy, entry, name). */
struct seen {
	struct dg_way way; /* key: the tag */
};

struct rate {
	struct dg_way way; /* key: hash of the client */
	struct dg_tokens queries;
};

/* An entry's total over every client of its policy. */
struct total {
	struct dg_tokens names;
	struct dg_tokens refetch;
};

/* Where a policy's totals start, and their rate. */
struct policy_totals {
	size_t first;
	uint64_t per_minute;
};

struct dg_budget {
	uint64_t per_minute;
	struct dg_hash_key key;
	struct bucket *buckets; /* BUCKET_SETS * WAYS */
	struct seen *seen;      /* SEEN_SETS * WAYS */
	struct seen *known;     /* KNOWN_SETS * WAYS */
	struct rate *rates;     /* RATE_SETS * WAYS */
	struct policy_totals *policies;
	size_t n_policies;
	struct total *totals;   /* one per (policy, entry) */
	size_t n_totals;
};

struct dg_budget *dg_budget_new(unsigned per_minute,
				const struct dg_budget_policy *policies,
				size_t n_policies,
				const struct dg_hash_key *key)
{
	struct dg_budget *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->per_minute = per_minute;
	b->key = *key;
	b->buckets = calloc((size_t)BUCKET_SETS * WAYS, sizeof(*b->buckets));
	b->seen = calloc((size_t)SEEN_SETS * WAYS, sizeof(*b->seen));
	b->known = calloc((size_t)KNOWN_SETS * WAYS, sizeof(*b->known));
	b->rates = calloc((size_t)RATE_SETS * WAYS, sizeof(*b->rates));
	b->policies = calloc(n_policies ? n_policies : 1, sizeof(*b->policies));
	if (b->buckets == NULL || b->seen == NULL || b->known == NULL ||
	    b->rates == NULL || b->policies == NULL)
		goto fail;
	b->n_policies = n_policies;
	for (size_t i = 0; i < n_policies; i++) {
		b->policies[i].first = b->n_totals;
		b->policies[i].per_minute = policies[i].total_per_minute;
		b->n_totals += policies[i].n_entries;
	}
	b->totals = calloc(b->n_totals ? b->n_totals : 1, sizeof(*b->totals));
	if (b->totals == NULL)
		goto fail;
	for (size_t i = 0; i < n_policies; i++) {
		uint64_t rate = b->policies[i].per_minute;

		for (size_t e = 0; e < policies[i].n_entries; e++) {
			struct total *t = &b->totals[b->policies[i].first + e];

			t->names = dg_tokens_full(rate, 0);
			t->refetch = dg_tokens_full(rate * DG_BUDGET_REFETCH_FACTOR, 0);
		}
	}
	return b;
fail:
	dg_budget_free(b);
	return NULL;
}

void dg_budget_free(struct dg_budget *b)
{
	if (b == NULL)
		return;
	free(b->buckets);
	free(b->seen);
	free(b->known);
	free(b->rates);
	free(b->policies);
	free(b->totals);
	free(b);
}

size_t dg_budget_bytes(const struct dg_budget *b)
{
	return sizeof(*b) + (size_t)BUCKET_SETS * WAYS * sizeof(*b->buckets) +
	       (size_t)SEEN_SETS * WAYS * sizeof(*b->seen) +
	       (size_t)KNOWN_SETS * WAYS * sizeof(*b->known) +
	       (size_t)RATE_SETS * WAYS * sizeof(*b->rates) +
	       b->n_policies * sizeof(*b->policies) +
	       b->n_totals * sizeof(*b->totals);
}

/* Bytes to hash, appended one field at a time. */
struct hash_input {
	uint8_t bytes[DG_ADDR_CLIENT_BYTES + 4 + 4 + DG_NAME_MAXLEN];
	size_t len;
};

static void put(struct hash_input *in, const void *p, size_t n)
{
	memcpy(in->bytes + in->len, p, n);
	in->len += n;
}

/* A tag of the input: never 0, which marks a free slot. */
static uint64_t tag_of(const struct dg_budget *b, const struct hash_input *in)
{
	uint64_t h = dg_siphash(&b->key, in->bytes, in->len);

	return h ? h : 1;
}

/* The client (dg_addr_client_bytes), the policy and the entry: one hash. */
static uint64_t client_hash(const struct dg_budget *b,
			    const struct dg_addr *client, uint32_t policy,
			    uint32_t entry)
{
	struct hash_input in = { .len = 0 };

	in.len = dg_addr_client_bytes(client, in.bytes);
	put(&in, &policy, sizeof(policy));
	put(&in, &entry, sizeof(entry));
	return tag_of(b, &in);
}

/* A name under a prefix: a client's hash, or a policy and entry. */
static uint64_t name_tag(const struct dg_budget *b, const void *prefix,
			 size_t prefix_len, const uint8_t *name)
{
	struct hash_input in = { .len = 0 };

	put(&in, prefix, prefix_len);
	dg_name_lower(in.bytes + in.len, name);
	in.len += dg_name_length(name);
	return tag_of(b, &in);
}

static struct bucket *bucket_get(struct dg_budget *b, uint64_t key,
				 uint64_t now_ms)
{
	bool found;
	struct bucket *k = dg_ways_lookup(b->buckets, sizeof(*k), BUCKET_SETS,
					  WAYS, key, &found);

	/* A client not seen lately starts with full buckets. Only an idle
	 * bucket is evicted: one in use stays the most recent of its set.
	 * (So an evicted client's budget starts again: that is what the
	 * totals are for.) */
	if (!found) {
		k->way.key = key;
		k->names = dg_tokens_full(b->per_minute, now_ms);
		k->refetch = dg_tokens_full(
			b->per_minute * DG_BUDGET_REFETCH_FACTOR, now_ms);
	}
	k->way.used_ms = now_ms;
	return k;
}

/* The total of an entry of a policy; NULL for one the budget was not
 * told of (no total applies). */
static struct total *total_get(struct dg_budget *b, uint32_t policy,
			       uint32_t entry, uint64_t *per_minute)
{
	const struct policy_totals *p;
	size_t end;

	if (policy >= b->n_policies)
		return NULL;
	p = &b->policies[policy];
	end = policy + 1 < b->n_policies ? b->policies[policy + 1].first
					 : b->n_totals;
	if (entry >= end - p->first)
		return NULL;
	*per_minute = p->per_minute;
	return &b->totals[p->first + entry];
}

/*
 * One token from each of two buckets, or none: a client's and its
 * entry's total (t NULL: no total). Neither is taken when either is
 * empty, so a client turned away by the total keeps its own tokens.
 */
static enum dg_budget_verdict take_pair(struct dg_tokens *mine,
					uint64_t rate, struct dg_tokens *t,
					uint64_t total_rate, uint64_t now_ms)
{
	dg_tokens_refill(mine, rate, MINUTE_MS, now_ms);
	if (!dg_tokens_any(mine))
		return DG_BUDGET_EXHAUSTED;
	if (t != NULL && !dg_tokens_take(t, total_rate, MINUTE_MS, now_ms))
		return DG_BUDGET_TOTAL_EXHAUSTED;
	(void)dg_tokens_take(mine, rate, MINUTE_MS, now_ms);
	return DG_BUDGET_SEEN;
}

enum dg_budget_verdict dg_budget_check(struct dg_budget *b,
				       const struct dg_addr *client,
				       uint32_t policy, uint32_t entry,
				       const uint8_t *name, uint64_t now_ms)
{
	uint64_t key = client_hash(b, client, policy, entry);
	uint64_t tag = name_tag(b, &key, sizeof(key), name);
	uint32_t where[2] = { policy, entry };
	uint64_t known_tag, total_rate = 0;
	bool found, known;
	struct seen *s = dg_ways_lookup(b->seen, sizeof(*s), SEEN_SETS, WAYS,
					tag, &found);
	struct seen *k;
	struct total *t;
	struct bucket *mine;
	enum dg_budget_verdict v;

	/* A name this client asked lately, the common case: one name
	 * hashed, not the two a new one costs. */
	if (found) {
		s->way.used_ms = now_ms;
		return DG_BUDGET_SEEN;
	}
	known_tag = name_tag(b, where, sizeof(where), name);
	k = dg_ways_lookup(b->known, sizeof(*k), KNOWN_SETS, WAYS, known_tag,
			   &known);
	t = known ? NULL : total_get(b, policy, entry, &total_rate);
	mine = bucket_get(b, key, now_ms);
	v = take_pair(&mine->names, b->per_minute, t ? &t->names : NULL,
		      total_rate, now_ms);
	if (v != DG_BUDGET_SEEN)
		return v;
	s->way = (struct dg_way){ .key = tag, .used_ms = now_ms };
	k->way = (struct dg_way){ .key = known_tag, .used_ms = now_ms };
	return known ? DG_BUDGET_KNOWN : DG_BUDGET_NEW;
}

enum dg_budget_verdict dg_budget_refetch(struct dg_budget *b,
					 const struct dg_addr *client,
					 uint32_t policy, uint32_t entry,
					 uint64_t now_ms)
{
	struct bucket *mine = bucket_get(
		b, client_hash(b, client, policy, entry), now_ms);
	uint64_t total_rate = 0;
	struct total *t = total_get(b, policy, entry, &total_rate);

	return take_pair(&mine->refetch,
			 b->per_minute * DG_BUDGET_REFETCH_FACTOR,
			 t ? &t->refetch : NULL,
			 total_rate * DG_BUDGET_REFETCH_FACTOR, now_ms);
}

bool dg_budget_query(struct dg_budget *b, const struct dg_addr *client,
		     unsigned per_second, uint64_t now_ms)
{
	uint64_t key;
	bool found;
	struct rate *r;

	if (per_second == 0)
		return true;
	key = client_hash(b, client, RATE_ENTRY, RATE_ENTRY);
	r = dg_ways_lookup(b->rates, sizeof(*r), RATE_SETS, WAYS, key, &found);
	if (!found) {
		/* A client not seen lately starts with a full bucket. */
		r->way.key = key;
		r->queries = dg_tokens_full(per_second, now_ms);
	}
	r->way.used_ms = now_ms;
	return dg_tokens_take(&r->queries, per_second, SECOND_MS, now_ms);
}
