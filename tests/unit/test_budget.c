/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_budget: the new-name budget with time injected: the budget at and
 * one past its bound, names seen stay free, refill over time, clients and
 * entries apart, ports and addresses inside one IPv6 /64 do not escape,
 * the total per entry that no number of addresses multiplies, and the
 * memory bound.
 */
#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "tap.h"

static void name(uint8_t *out, unsigned i)
{
	out[0] = (uint8_t)snprintf((char *)out + 1, 32, "n%u", i);
	memcpy(out + 1 + out[0], "\x07" "example\x03" "com", 13);
}

static struct dg_addr addr(const char *s)
{
	struct dg_addr a;

	if (dg_addr_parse(s, 53, &a) != 0)
		memset(&a, 0, sizeof(a));
	return a;
}

static bool is_granted(enum dg_budget_verdict v)
{
	return v == DG_BUDGET_NEW || v == DG_BUDGET_KNOWN;
}

/* Names new to `client` granted, of names first..first+n-1 below entry
 * of policy at now. */
static unsigned ask_in(struct dg_budget *b, const struct dg_addr *client,
		       uint32_t policy, uint32_t entry, unsigned first,
		       unsigned n, uint64_t now)
{
	unsigned count = 0;
	uint8_t w[64];

	for (unsigned i = first; i < first + n; i++) {
		name(w, i);
		count += is_granted(dg_budget_check(b, client, policy, entry, w, now));
	}
	return count;
}

/* The same in policy 0, whose totals are too large to matter. */
static unsigned ask(struct dg_budget *b, const struct dg_addr *client,
		    uint32_t entry, unsigned first, unsigned n, uint64_t now)
{
	return ask_in(b, client, 0, entry, first, n, now);
}

static unsigned refetches(struct dg_budget *b, const struct dg_addr *client,
			  uint32_t policy, unsigned n, uint64_t now)
{
	unsigned count = 0;

	for (unsigned i = 0; i < n; i++)
		count += dg_budget_refetch(b, client, policy, 0, now) == DG_BUDGET_SEEN;
	return count;
}

/* 127.0.0.x, as any process on a host may bind. */
static struct dg_addr loopback(unsigned x)
{
	char text[32];

	snprintf(text, sizeof(text), "127.0.%u.%u:53", x / 250, 1 + x % 250);
	return addr(text);
}

/*
 * new_names_per_minute_total: policy 1 has 2 entries and a total of 100
 * a minute each, clients 60 each. Whatever addresses ask, at most the
 * total of new names gets through.
 */
static void test_total(void)
{
	const struct dg_budget_policy policies[] = {
		{ .n_entries = 8, .total_per_minute = 1000000 },
		{ .n_entries = 2, .total_per_minute = 100 },
	};
	struct dg_hash_key key = { 1, 2 };
	struct dg_budget *b = dg_budget_new(60, policies, 2, &key);
	struct dg_addr a = loopback(0), other = loopback(1);
	uint64_t t = 5000000;
	unsigned sum = 0;
	uint8_t w[64];

	if (!ok(b != NULL, "a budget with totals"))
		return;
	for (unsigned i = 0; i < 10; i++) {
		struct dg_addr c = loopback(i);

		sum += ask_in(b, &c, 1, 0, i * 60, 60, t);
	}
	is_int(sum, 100, "10 loopback addresses, 60 new names each: 100 get through, the total");
	name(w, 5000);
	is_int(dg_budget_check(b, &a, 1, 0, w, t), DG_BUDGET_EXHAUSTED,
	       "a client that spent its own 60 is refused for them");
	{
		struct dg_addr fresh = loopback(500);

		is_int(dg_budget_check(b, &fresh, 1, 0, w, t),
		       DG_BUDGET_TOTAL_EXHAUSTED,
		       "a fresh address is refused for the total");
	}
	sum = 0;
	for (unsigned i = 0; i < 1000; i++) {
		struct dg_addr c = loopback(100 + i);

		sum += ask_in(b, &c, 1, 0, 10000 + i * 5, 5, t);
	}
	is_int(sum, 0, "1000 more addresses get nothing more");
	{
		struct dg_addr fresh = loopback(501);

		name(w, 3);
		is_int(dg_budget_check(b, &fresh, 1, 0, w, t), DG_BUDGET_KNOWN,
		       "a name another client asked is known: its asker's token only");
		is_int(dg_budget_check(b, &fresh, 1, 0, w, t), DG_BUDGET_SEEN,
		       "and then seen by this client too");
	}
	is_int(ask_in(b, &a, 1, 1, 0, 60, t), 60, "another entry has a total of its own");
	is_int(ask_in(b, &a, 0, 0, 0, 60, t), 60, "another policy has totals of its own");

	/* 100 a minute: 10 back after 6 s, spread over whoever asks. */
	sum = 0;
	for (unsigned i = 0; i < 20; i++) {
		struct dg_addr c = loopback(2000 + i);

		sum += ask_in(b, &c, 1, 0, 20000 + i * 5, 5, t + 6000);
	}
	is_int(sum, 10, "after 6 s, 10 new names, whoever asks");

	/* A client turned away by the total keeps its own tokens: 36 s
	 * later the total has 60 again, and so has the client, not the 36
	 * it would have refilled had its refusals cost it. */
	{
		struct dg_addr c = loopback(2030);

		is_int(ask_in(b, &c, 1, 0, 30000, 60, t + 6000), 0,
		       "a fresh client gets none while the total is spent");
		is_int(ask_in(b, &c, 1, 0, 30100, 60, t + 6000 + 36000), 60,
		       "36 s on, all 60 of its own: refusals by the total cost it nothing");
	}

	/* Refetches: the total is 4 × 100, over every client. */
	sum = 0;
	for (unsigned i = 0; i < 10; i++) {
		struct dg_addr c = loopback(3000 + i);

		sum += refetches(b, &c, 1, 240, t + 10 * 60000);
	}
	is_int(sum, 100 * DG_BUDGET_REFETCH_FACTOR,
	       "10 clients, 240 refetches each: 400 in all, the refetch total");
	is_int(refetches(b, &other, 0, 10, t + 10 * 60000), 10,
	       "another policy's refetches are its own");

	/* An entry the budget was not told of has no total (none applies). */
	is_int(ask_in(b, &a, 1, 9, 0, 60, t), 60, "an entry past the policy's count: the client's bound only");
	dg_budget_free(b);
}

int main(void)
{
	const struct dg_budget_policy policies[] = {
		{ .n_entries = 8, .total_per_minute = 1000000 },
	};
	struct dg_hash_key key = { 0x1234, 0x5678 };
	struct dg_budget *b = dg_budget_new(60, policies, 1, &key);
	struct dg_addr c1 = addr("192.0.2.1:1000"), c1port = addr("192.0.2.1:2000");
	struct dg_addr c2 = addr("192.0.2.2:1000");
	struct dg_addr v6a = addr("[2001:db8:1:2::1]:53"), v6b = addr("[2001:db8:1:2:ffff::9]:53");
	struct dg_addr v6other = addr("[2001:db8:1:3::1]:53");
	uint8_t w[64];
	uint64_t t = 1000000;

	is_int(ask(b, &c1, 0, 0, 60, t), 60, "60 new names fit a budget of 60");
	name(w, 60);
	is_int(dg_budget_check(b, &c1, 0, 0, w, t), DG_BUDGET_EXHAUSTED, "the 61st is refused");
	name(w, 5);
	is_int(dg_budget_check(b, &c1, 0, 0, w, t), DG_BUDGET_SEEN, "a name seen before stays free");
	w[1] = 'N';
	is_int(dg_budget_check(b, &c1, 0, 0, w, t), DG_BUDGET_SEEN, "in any case");
	is_int(ask(b, &c1port, 0, 100, 10, t), 0, "another source port is the same client");
	is_int(ask(b, &c1, 1, 100, 10, t), 10, "another entry has its own budget");
	is_int(ask(b, &c2, 0, 100, 60, t), 60, "another client has its own budget");

	/* Refill: one token a second at 60 a minute. */
	is_int(ask(b, &c1, 0, 200, 5, t + 999), 0, "after 999 ms no token has come back");
	is_int(ask(b, &c1, 0, 200, 5, t + 1000), 1, "after 1 s one has");
	is_int(ask(b, &c1, 0, 300, 100, t + 31000), 30, "after 30 more s, 30 more");
	is_int(ask(b, &c1, 0, 400, 100, t + 10 * 60000), 60, "after a long pause the bucket is full, not more");

	/* Checks every millisecond must not round the refill away. */
	{
		unsigned count = 0;

		for (uint64_t ms = 1; ms <= 5000; ms++) {
			name(w, 10000 + (unsigned)ms);
			count += is_granted(dg_budget_check(b, &c1, 0, 0, w, t + 10 * 60000 + ms));
		}
		is_int(count, 5, "asking every ms for 5 s still earns 5 tokens");
	}

	/* IPv6: the /64 is the client. */
	is_int(ask(b, &v6a, 0, 0, 60, t), 60, "an IPv6 client gets its 60");
	is_int(ask(b, &v6b, 0, 500, 10, t), 0, "another address in the same /64 gets none");
	is_int(ask(b, &v6other, 0, 500, 10, t), 10, "another /64 is another client");

	/* Flood: 500 unique names in a burst give at most the budget. */
	{
		struct dg_addr c3 = addr("198.51.100.7:1");

		is_int(ask(b, &c3, 7, 0, 500, t), 60, "a burst of 500 new names gets 60 through");
	}

	/* Refetches: seen names missing the cache, 4 × 60 a minute. */
	{
		struct dg_addr c4 = addr("198.51.100.8:1");
		is_int(refetches(b, &c4, 0, 1000, t), 60 * DG_BUDGET_REFETCH_FACTOR,
		       "a client gets 240 refetches at once, not more");
		is_int(refetches(b, &c4, 0, 1, t + 250), 1, "and one more every 250 ms");
		is_int(refetches(b, &c4, 0, 1, t + 251), 0, "but not two");
		is_int(ask(b, &c4, 0, 0, 60, t + 251), 60, "new names have their own bucket");
	}

	/* The query rate: 100 a second, as many at once. */
	{
		struct dg_addr f = addr("203.0.113.9:1"), fport = addr("203.0.113.9:2");
		struct dg_addr g = addr("203.0.113.10:1");
		struct dg_addr f6 = addr("[2001:db8:9:9::1]:1"), f6b = addr("[2001:db8:9:9::2]:1");
		unsigned granted = 0;

		for (int i = 0; i < 1000; i++)
			granted += dg_budget_query(b, &f, 100, t);
		is_int(granted, 100, "a client gets 100 queries at once at 100 a second, not more");
		ok(!dg_budget_query(b, &fport, 100, t), "from another port neither");
		ok(dg_budget_query(b, &g, 100, t), "another client is not limited by it");
		ok(dg_budget_query(b, &f, 100, t + 10), "one more 10 ms later");
		ok(!dg_budget_query(b, &f, 100, t + 10), "but not two");
		granted = 0;
		for (int i = 0; i < 1000; i++)
			granted += dg_budget_query(b, &f, 100, t + 10 + 5000);
		is_int(granted, 100, "after 5 s idle, a full bucket of 100 again, not 500");
		ok(dg_budget_query(b, &f, 0, t + 5010), "a limit of 0 never limits");
		for (int i = 0; i < 10; i++)
			(void)dg_budget_query(b, &f6, 10, t);
		ok(!dg_budget_query(b, &f6b, 10, t), "an IPv6 /64 is one client");
	}

	ok(dg_budget_bytes(b) < 4u << 20, "the budget holds a fixed %zu bytes", dg_budget_bytes(b));
	dg_budget_free(b);
	test_total();
	return done_testing();
}
