/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cache: a chained hash table of entries that also sit on an LRU list.
 * The table has a power-of-two bucket count chosen at creation for the
 * entry bound, so it never rehashes while serving.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "name.h"

struct entry {
	struct entry *chain;           /* next in the bucket */
	struct entry *lru_prev, *lru_next; /* most recent at the head */
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
	size_t count, max;
	struct entry *lru_head, *lru_tail;
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
	for (struct entry *e = c->lru_head, *next; e != NULL; e = next) {
		next = e->lru_next;
		entry_free(e);
	}
	free(c->buckets);
	free(c);
}

static void lru_unlink(struct dg_cache *c, struct entry *e)
{
	if (e->lru_prev != NULL)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next != NULL)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(struct dg_cache *c, struct entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = c->lru_head;
	if (c->lru_head != NULL)
		c->lru_head->lru_prev = e;
	c->lru_head = e;
	if (c->lru_tail == NULL)
		c->lru_tail = e;
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
	lru_unlink(c, e);
	entry_free(e);
	c->count--;
}

const struct dg_answer *dg_cache_lookup(struct dg_cache *c,
					const uint8_t *qname, uint16_t qtype,
					uint16_t qclass, uint64_t now_ms,
					uint32_t *elapsed)
{
	uint32_t h = dg_name_key_hash(&c->key, qname, qtype, qclass);
	struct entry *e = *find(c, qname, qtype, qclass, h);

	if (e == NULL)
		return NULL;
	if (now_ms >= e->expires_ms) {
		remove_entry(c, e);
		return NULL;
	}
	lru_unlink(c, e);
	lru_push_head(c, e);
	*elapsed = (uint32_t)((now_ms - e->stored_ms) / 1000);
	return e->answer;
}

int dg_cache_store(struct dg_cache *c, const uint8_t *qname, uint16_t qtype,
		   uint16_t qclass, struct dg_answer *a, uint64_t now_ms)
{
	uint32_t h = dg_name_key_hash(&c->key, qname, qtype, qclass);
	size_t len = dg_name_length(qname);
	struct entry **slot, *e;

	if (c->max == 0 || a->ttl == 0)
		return 0;
	slot = find(c, qname, qtype, qclass, h);
	if (*slot != NULL)
		remove_entry(c, *slot);
	else if (c->count >= c->max)
		remove_entry(c, c->lru_tail);
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
	e->lru_prev = e->lru_next = NULL;
	lru_push_head(c, e);
	c->count++;
	return 0;
}

size_t dg_cache_count(const struct dg_cache *c)
{
	return c->count;
}
