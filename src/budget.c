/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * budget: token buckets and names seen, in fixed tables. See budget.h.
 */
#include "budget.h"

#include <stdlib.h>
#include <string.h>

#include "name.h"

#define WAYS 4
#define BUCKET_SETS 4096  /* 16384 (client, entry) buckets */
#define SEEN_SETS 32768   /* 131072 names seen */
#define RATE_SETS 1024    /* 4096 clients' query rates */
#define MINUTE_MS 60000
#define SECOND_MS 1000
/* The entry index the query rate is keyed under: no entry has it. */
#define RATE_ENTRY UINT32_MAX

/* Tokens are counted in thousandths, so refill needs no floating point. */
#define MILLI 1000

/* Thousandths of a token, refilled up to `full` at `rate` a minute. */
struct tokens {
	uint64_t milli;
	uint64_t refill_ms; /* time they were last brought up to */
};

struct bucket {
	uint64_t key;       /* hash of (client, entry); 0: free */
	uint64_t used_ms;   /* the LRU clock */
	struct tokens names;   /* new names */
	struct tokens refetch; /* seen names that missed the cache */
};

struct seen {
	uint64_t tag;     /* hash of (client, entry, name); 0: free */
	uint64_t last_ms;
};

struct rate {
	uint64_t key;     /* hash of the client; 0: free */
	uint64_t used_ms; /* the LRU clock */
	struct tokens queries;
};

struct dg_budget {
	uint64_t per_minute;
	uint64_t seed;
	struct bucket *buckets; /* BUCKET_SETS * WAYS */
	struct seen *seen;      /* SEEN_SETS * WAYS */
	struct rate *rates;     /* RATE_SETS * WAYS */
};

struct dg_budget *dg_budget_new(unsigned per_minute, uint64_t seed)
{
	struct dg_budget *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->per_minute = per_minute;
	b->seed = seed | 1;
	b->buckets = calloc((size_t)BUCKET_SETS * WAYS, sizeof(*b->buckets));
	b->seen = calloc((size_t)SEEN_SETS * WAYS, sizeof(*b->seen));
	b->rates = calloc((size_t)RATE_SETS * WAYS, sizeof(*b->rates));
	if (b->buckets == NULL || b->seen == NULL || b->rates == NULL) {
		dg_budget_free(b);
		return NULL;
	}
	return b;
}

void dg_budget_free(struct dg_budget *b)
{
	if (b == NULL)
		return;
	free(b->buckets);
	free(b->seen);
	free(b->rates);
	free(b);
}

size_t dg_budget_bytes(const struct dg_budget *b)
{
	return sizeof(*b) + (size_t)BUCKET_SETS * WAYS * sizeof(*b->buckets) +
	       (size_t)SEEN_SETS * WAYS * sizeof(*b->seen) +
	       (size_t)RATE_SETS * WAYS * sizeof(*b->rates);
}

/* FNV-1a, 64 bits, over bytes, from a running hash. */
static uint64_t mix(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The client as the budget sees it: IPv4 address, or IPv6 /64. */
static uint64_t client_hash(const struct dg_budget *b,
			    const struct dg_addr *client, uint32_t entry)
{
	uint64_t h = 14695981039346656037ull ^ b->seed;
	uint8_t family = (uint8_t)client->u.sa.sa_family;

	h = mix(h, &family, 1);
	if (client->u.sa.sa_family == AF_INET)
		h = mix(h, (const uint8_t *)&client->u.in4.sin_addr, 4);
	else
		h = mix(h, client->u.in6.sin6_addr.s6_addr, 8);
	h = mix(h, (const uint8_t *)&entry, sizeof(entry));
	return h ? h : 1;
}

static uint64_t name_tag(uint64_t key, const uint8_t *name)
{
	uint64_t h = key;
	size_t len = dg_name_length(name);

	for (size_t i = 0; i < len; i++) {
		h ^= dg_ascii_lower(name[i]);
		h *= 1099511628211ull;
	}
	return h ? h : 1;
}

/* The slot for key in its set: found, or the least recently used. */
static struct seen *seen_slot(struct dg_budget *b, uint64_t tag, bool *found)
{
	struct seen *set = &b->seen[(tag >> 32) % SEEN_SETS * WAYS];
	struct seen *oldest = &set[0];

	for (int i = 0; i < WAYS; i++) {
		if (set[i].tag == tag) {
			*found = true;
			return &set[i];
		}
		if (set[i].last_ms < oldest->last_ms)
			oldest = &set[i];
	}
	*found = false;
	return oldest;
}

static struct bucket *bucket_get(struct dg_budget *b, uint64_t key,
				 uint64_t now_ms)
{
	struct bucket *set = &b->buckets[(key >> 32) % BUCKET_SETS * WAYS];
	struct bucket *oldest = &set[0];

	for (int i = 0; i < WAYS; i++) {
		if (set[i].key == key)
			return &set[i];
		if (set[i].used_ms < oldest->used_ms)
			oldest = &set[i];
	}
	/* A client not seen lately starts with full buckets. Only an idle
	 * bucket is evicted: one in use stays the most recent of its set. */
	oldest->key = key;
	oldest->used_ms = now_ms;
	oldest->names.milli = b->per_minute * MILLI;
	oldest->names.refill_ms = now_ms;
	oldest->refetch.milli = b->per_minute * DG_BUDGET_REFETCH_FACTOR * MILLI;
	oldest->refetch.refill_ms = now_ms;
	return oldest;
}

/* Refill at `rate` tokens a period up to `rate`, then take one. */
static bool take(struct tokens *t, uint64_t rate, uint64_t period_ms,
		 uint64_t now_ms)
{
	uint64_t full = rate * MILLI;

	if (now_ms > t->refill_ms) {
		/* Past a period the bucket is full anyway, which also keeps
		 * the product from overflowing. */
		uint64_t elapsed = now_ms - t->refill_ms;
		uint64_t refill = (elapsed > period_ms ? period_ms : elapsed) *
				  rate * MILLI / period_ms;

		/* Advance the clock only with tokens granted, so frequent
		 * checks do not round the refill away. */
		if (refill > 0) {
			t->milli = t->milli + refill > full ? full
							    : t->milli + refill;
			t->refill_ms = now_ms;
		}
	}
	if (t->milli < MILLI)
		return false;
	t->milli -= MILLI;
	return true;
}

enum dg_budget_verdict dg_budget_check(struct dg_budget *b,
				       const struct dg_addr *client,
				       uint32_t entry, const uint8_t *name,
				       uint64_t now_ms)
{
	uint64_t key = client_hash(b, client, entry);
	uint64_t tag = name_tag(key, name);
	bool found;
	struct seen *s = seen_slot(b, tag, &found);
	struct bucket *k;

	if (found) {
		s->last_ms = now_ms;
		return DG_BUDGET_SEEN;
	}
	k = bucket_get(b, key, now_ms);
	k->used_ms = now_ms;
	if (!take(&k->names, b->per_minute, MINUTE_MS, now_ms))
		return DG_BUDGET_EXHAUSTED;
	s->tag = tag;
	s->last_ms = now_ms;
	return DG_BUDGET_NEW;
}

bool dg_budget_refetch(struct dg_budget *b, const struct dg_addr *client,
		       uint32_t entry, uint64_t now_ms)
{
	struct bucket *k = bucket_get(b, client_hash(b, client, entry), now_ms);

	k->used_ms = now_ms;
	return take(&k->refetch, b->per_minute * DG_BUDGET_REFETCH_FACTOR,
		    MINUTE_MS, now_ms);
}

bool dg_budget_query(struct dg_budget *b, const struct dg_addr *client,
		     unsigned per_second, uint64_t now_ms)
{
	uint64_t key;
	struct rate *set, *r;

	if (per_second == 0)
		return true;
	key = client_hash(b, client, RATE_ENTRY);
	set = &b->rates[(key >> 32) % RATE_SETS * WAYS];
	r = &set[0];
	for (int i = 0; i < WAYS; i++) {
		if (set[i].key == key) {
			r = &set[i];
			break;
		}
		if (set[i].used_ms < r->used_ms)
			r = &set[i];
	}
	if (r->key != key) {
		/* A client not seen lately starts with a full bucket. */
		r->key = key;
		r->queries.milli = (uint64_t)per_second * MILLI;
		r->queries.refill_ms = now_ms;
	}
	r->used_ms = now_ms;
	return take(&r->queries, per_second, SECOND_MS, now_ms);
}
