/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ways: the set-associative lookup: a key is found where it was put,
 * a free slot is taken before a used one, then the one idle the longest,
 * and a key of another set never disturbs this one.
 */
#include "tap.h"
#include "ways.h"

struct slot {
	struct dg_way way;
	int value;
};

/* Keys in set 0 of 2: the set is picked by the upper half. */
#define IN_SET0(n) ((uint64_t)(n) << 1 | 1)
#define IN_SET1(n) ((uint64_t)1 << 32 | (uint64_t)(n))

static struct slot *take(struct slot *table, uint64_t key, uint64_t now,
			 int value)
{
	bool found;
	struct slot *s = dg_ways_lookup(table, sizeof(*s), 2, 4, key, &found);

	if (!found)
		*s = (struct slot){ .way = { .key = key }, .value = value };
	s->way.used_ms = now;
	return s;
}

int main(void)
{
	struct slot table[8] = { { { 0, 0 }, 0 } };
	bool found;
	struct slot *s;

	for (int i = 0; i < 4; i++)
		take(table, IN_SET0(i), 100 + (uint64_t)i, i);
	s = dg_ways_lookup(table, sizeof(*s), 2, 4, IN_SET0(2), &found);
	ok(found && s->value == 2, "a key is found in its set");
	ok(s >= table && s < table + 4, "set 0 is the first four slots");
	take(table, IN_SET1(7), 50, 7);
	s = dg_ways_lookup(table, sizeof(*s), 2, 4, IN_SET1(7), &found);
	ok(found && s >= table + 4, "a key of set 1 went to set 1");
	s = dg_ways_lookup(table, sizeof(*s), 2, 4, IN_SET1(8), &found);
	ok(!found && s->way.key == 0, "in set 1, a free slot is offered first");
	take(table, IN_SET0(0), 200, 0);
	s = dg_ways_lookup(table, sizeof(*s), 2, 4, IN_SET0(9), &found);
	ok(!found && s->value == 1,
	   "set 0 full: the slot idle the longest is offered (key 1, not 0)");
	take(table, IN_SET0(9), 300, 9);
	s = dg_ways_lookup(table, sizeof(*s), 2, 4, IN_SET0(1), &found);
	ok(!found, "and once taken over, its old key is gone");
	s = dg_ways_lookup(table, sizeof(*s), 2, 4, IN_SET1(7), &found);
	ok(found && s->value == 7, "set 1 was not touched");
	return done_testing();
}
