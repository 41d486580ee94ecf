/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cache: keys fold case, types and classes are apart, entries expire
 * at their TTL with time injected, the least recently used goes first at
 * the bound, and answers are shared by reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "tap.h"

static struct dg_answer *answer(uint32_t ttl, uint8_t tag)
{
	struct dg_answer *a = malloc(sizeof(*a) + 1);

	if (a == NULL)
		abort();
	a->refs = 1;
	a->rcode = 0;
	a->ancount = 0;
	a->ttl = ttl;
	a->len = 1;
	a->rrs[0] = tag;
	return a;
}

static const uint8_t www[] = "\x03www\x07" "example\x03" "com";
static const uint8_t WWW[] = "\x03WwW\x07" "EXAMPLE\x03" "com";
static const uint8_t api[] = "\x03" "api\x07" "example\x03" "com";

/* Store and drop the caller's reference, as the server does. */
static void put(struct dg_cache *c, const uint8_t *name, uint16_t type,
		struct dg_answer *a, uint64_t now)
{
	if (dg_cache_store(c, name, type, 1, dg_cache_hash(c, name, type, 1), a,
			   now) != 0)
		abort();
	dg_answer_unref(a);
}

/* A lookup hashed as the server hashes it. */
static const struct dg_answer *get(struct dg_cache *c, const uint8_t *name,
				   uint16_t type, uint16_t class, uint64_t now,
				   uint32_t *elapsed)
{
	return dg_cache_lookup(c, name, type, class,
			       dg_cache_hash(c, name, type, class), now,
			       elapsed);
}

static int tag(const struct dg_answer *a)
{
	return a ? a->rrs[0] : -1;
}

int main(void)
{
	const struct dg_hash_key key = { 7, 11 };
	struct dg_cache *c = dg_cache_new(2, &key);
	const struct dg_answer *a;
	struct dg_answer *kept;
	uint32_t elapsed = 99;

	put(c, www, 1, answer(60, 1), 1000);
	a = get(c, WWW, 1, 1, 1000, &elapsed);
	is_int(tag(a), 1, "a stored answer is found under any case of its name");
	is_int(elapsed, 0, "no time has passed");
	ok(get(c, www, 28, 1, 1000, &elapsed) == NULL,
	   "another type is another key");
	ok(get(c, www, 1, 3, 1000, &elapsed) == NULL,
	   "another class is another key");

	a = get(c, www, 1, 1, 1000 + 30500, &elapsed);
	is_int(elapsed, 30, "after 30.5 s the hit says 30 whole seconds");
	ok(get(c, www, 1, 1, 1000 + 60000, &elapsed) == NULL,
	   "at its TTL the entry is gone");
	is_int(dg_cache_count(c), 0, "and it was removed");

	/* LRU at a bound of two. */
	put(c, www, 1, answer(60, 1), 0);
	put(c, api, 1, answer(60, 2), 0);
	(void)get(c, www, 1, 1, 1, &elapsed);
	put(c, www, 28, answer(60, 3), 2);
	is_int(dg_cache_count(c), 2, "the count stays at the bound");
	ok(get(c, api, 1, 1, 3, &elapsed) == NULL,
	   "the least recently used entry was evicted");
	is_int(tag(get(c, www, 1, 1, 3, &elapsed)), 1,
	       "the recently used entry survived");

	put(c, www, 1, answer(60, 4), 4);
	is_int(tag(get(c, www, 1, 1, 5, &elapsed)), 4,
	       "a new answer replaces the old one");
	is_int(dg_cache_count(c), 2, "without growing the count");

	put(c, api, 1, answer(0, 5), 6);
	ok(get(c, api, 1, 1, 6, &elapsed) == NULL,
	   "an answer with TTL 0 is not kept");

	/* References: an answer held elsewhere outlives its eviction. */
	kept = answer(60, 6);
	if (dg_cache_store(c, api, 1, 1, dg_cache_hash(c, api, 1, 1), kept,
			   10) != 0)
		abort();
	is_int(kept->refs, 2, "the cache holds its own reference");
	dg_cache_free(c);
	is_int(kept->refs, 1, "freeing the cache drops only its reference");
	is_int(tag(kept), 6, "and the answer is still there for its holder");
	dg_answer_unref(kept);

	c = dg_cache_new(0, &key);
	kept = answer(60, 7);
	if (dg_cache_store(c, www, 1, 1, dg_cache_hash(c, www, 1, 1), kept,
			   0) != 0)
		abort();
	ok(get(c, www, 1, 1, 0, &elapsed) == NULL,
	   "a cache of size 0 keeps nothing");
	is_int(kept->refs, 1, "and takes no reference");
	dg_answer_unref(kept);
	dg_cache_free(c);

	/* Many entries in a large cache: each is found. */
	c = dg_cache_new(5000, &key);
	for (unsigned i = 0; i < 5000; i++) {
		uint8_t n[32];

		n[0] = (uint8_t)snprintf((char *)n + 1, sizeof(n) - 1, "h%u", i);
		n[n[0] + 1] = 0;
		put(c, n, 1, answer(60, (uint8_t)i), 0);
	}
	{
		unsigned found = 0;

		for (unsigned i = 0; i < 5000; i++) {
			uint8_t n[32];

			n[0] = (uint8_t)snprintf((char *)n + 1, sizeof(n) - 1,
						 "h%u", i);
			n[n[0] + 1] = 0;
			found += tag(get(c, n, 1, 1, 1, &elapsed)) ==
				 (uint8_t)i;
		}
		is_int(found, 5000, "5000 entries in a cache of 5000 are all found");
	}
	dg_cache_free(c);
	return done_testing();
}
