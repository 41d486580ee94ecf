/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tokens: the token bucket every rate uses: full at the start, empty
 * after rate takes, refilled continuously without losing fractions to
 * frequent checks, never above rate, and going on when the clock steps
 * back.
 */
#include "tap.h"
#include "tokens.h"

static unsigned take_n(struct dg_tokens *t, unsigned n, uint64_t rate,
		       uint64_t period_ms, uint64_t now_ms)
{
	unsigned got = 0;

	for (unsigned i = 0; i < n; i++)
		got += dg_tokens_take(t, rate, period_ms, now_ms);
	return got;
}

int main(void)
{
	struct dg_tokens t = dg_tokens_full(60, 1000);
	unsigned got = 0;

	is_int(take_n(&t, 100, 60, 60000, 1000), 60, "a full bucket of 60 gives 60");
	ok(!dg_tokens_any(&t), "and is empty");
	is_int(take_n(&t, 5, 60, 60000, 1999), 0, "at 60 a minute, none back after 999 ms");
	is_int(take_n(&t, 5, 60, 60000, 2000), 1, "one after a second");
	for (uint64_t ms = 2001; ms <= 7000; ms++)
		got += dg_tokens_take(&t, 60, 60000, ms);
	is_int(got, 5, "checked every millisecond for 5 s: still 5");
	is_int(take_n(&t, 100, 60, 60000, 7000 + 3600000), 60,
	       "an hour idle: full, not more");
	dg_tokens_put_back(&t);
	ok(dg_tokens_any(&t), "a token put back can be taken again");

	t = dg_tokens_full(10, 50000);
	is_int(take_n(&t, 10, 10, 1000, 50000), 10, "10 a second");
	is_int(take_n(&t, 1, 10, 1000, 20000), 0, "the clock steps back 30 s: nothing yet");
	is_int(take_n(&t, 5, 10, 1000, 20500), 5, "and it refills from there");
	return done_testing();
}
