/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cache: a chained hash table of entries that also sit on an LRU list.
 * The table has a power-of-two bucket count chosen at creation for the
 * entry bound, so it never rehashes while serving.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "name.h"

struct entry {
	struct entry *chain;           /* next in the bucket */
	struct dg_list_node lru;       /* its place in the LRU order */
	struct dg_answer *answer;
	uint64_t stored_ms;
	uint64_t expires_ms;
	uint32_t hash;
	uint16_t qtype, qclass;
	uint8_t qname[];               /* lowercased wire name */
};

struct dg_cache {
	struct dg_hash_key key;
	struct entry **buckets;
	size_t mask;
	size_t max;
	/* Every entry, the most recently used first: the last is evicted.
	 * Its count is the cache's. */
	struct dg_list lru;
};

struct dg_cache *dg_cache_new(size_t max_entries,
			      const struct dg_hash_key *key)
{
	struct dg_cache *c = calloc(1, sizeof(*c));
	size_t n = 16;

	if (c == NULL)
		return NULL;
	while (n < max_entries && n < ((size_t)1 << 30))
		n *= 2;
	c->buckets = calloc(n, sizeof(*c->buckets));
	if (c->buckets == NULL) {
		free(c);
		return NULL;
	}
	c->mask = n - 1;
	c->max = max_entries;
	c->key = *key;
	return c;
}

static void entry_free(struct entry *e)
{
	dg_answer_unref(e->answer);
	free(e);
}

void dg_cache_free(struct dg_cache *c)
{
	if (c == NULL)
		return;
	while (!dg_list_empty(&c->lru)) {
		struct entry *e = dg_list_entry(c->lru.first, struct entry, lru);

		dg_list_remove(&c->lru, &e->lru);
		entry_free(e);
	}
	free(c->buckets);
	free(c);
}

/* The bucket slot that points at the entry for the key, or at NULL. */
static struct entry **find(struct dg_cache *c, const uint8_t *qname,
			   uint16_t qtype, uint16_t qclass, uint32_t h)
{
	struct entry **slot = &c->buckets[h & c->mask];

	for (; *slot != NULL; slot = &(*slot)->chain) {
		struct entry *e = *slot;

		if (e->hash == h && e->qtype == qtype && e->qclass == qclass &&
		    dg_name_equal(e->qname, qname))
			break;
	}
	return slot;
}

static void remove_entry(struct dg_cache *c, struct entry *e)
{
	struct entry **slot = find(c, e->qname, e->qtype, e->qclass, e->hash);

	*slot = e->chain;
	dg_list_remove(&c->lru, &e->lru);
	entry_free(e);
}

uint32_t dg_cache_hash(const struct dg_cache *c, const uint8_t *qname,
		       uint16_t qtype, uint16_t qclass)
{
	return dg_name_key_hash(&c->key, qname, qtype, qclass);
}

const struct dg_answer *dg_cache_lookup(struct dg_cache *c,
					const uint8_t *qname, uint16_t qtype,
					uint16_t qclass, uint32_t h,
					uint64_t now_ms, uint32_t *elapsed)
{
	struct entry *e = *find(c, qname, qtype, qclass, h);

	if (e == NULL)
		return NULL;
	if (now_ms >= e->expires_ms) {
		remove_entry(c, e);
		return NULL;
	}
	dg_list_move_front(&c->lru, &e->lru);
	*elapsed = (uint32_t)((now_ms - e->stored_ms) / 1000);
	return e->answer;
}

int dg_cache_store(struct dg_cache *c, const uint8_t *qname, uint16_t qtype,
		   uint16_t qclass, uint32_t h, struct dg_answer *a,
		   uint64_t now_ms)
{
	size_t len = dg_name_length(qname);
	struct entry **slot, *e;

	if (c->max == 0 || a->ttl == 0)
		return 0;
	slot = find(c, qname, qtype, qclass, h);
	if (*slot != NULL)
		remove_entry(c, *slot);
	else if (c->lru.count >= c->max)
		remove_entry(c, dg_list_entry(c->lru.last, struct entry, lru));
	e = malloc(sizeof(*e) + len);
	if (e == NULL)
		return DG_ENOMEM;
	dg_answer_ref(a);
	dg_name_lower(e->qname, qname);
	e->hash = h;
	e->qtype = qtype;
	e->qclass = qclass;
	e->answer = a;
	e->stored_ms = now_ms;
	e->expires_ms = now_ms + (uint64_t)a->ttl * 1000;
	/* remove_entry may have emptied the bucket this key goes to. */
	slot = &c->buckets[h & c->mask];
	e->chain = *slot;
	*slot = e;
	dg_list_push_front(&c->lru, &e->lru);
	return 0;
}

size_t dg_cache_flush(struct dg_cache *c, const uint8_t *qname)
{
	struct dg_list_node *n, *next;
	size_t gone = 0;

	if (c == NULL)
		return 0;
	for (n = c->lru.first; n != NULL; n = next) {
		struct entry *e = dg_list_entry(n, struct entry, lru);

		next = n->next;
		if (qname == NULL || dg_name_equal(e->qname, qname)) {
			remove_entry(c, e);
			gone++;
		}
	}
	return gone;
}

size_t dg_cache_count(const struct dg_cache *c)
{
	return c->lru.count;
}
