/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tokens: token buckets. See tokens.h.
 */
#include "tokens.h"

#define MILLI 1000

struct dg_tokens dg_tokens_full(uint64_t rate, uint64_t now_ms)
{
	return (struct dg_tokens){ .milli = rate * MILLI, .refill_ms = now_ms };
}

void dg_tokens_refill(struct dg_tokens *t, uint64_t rate, uint64_t period_ms,
		      uint64_t now_ms)
{
	uint64_t full = rate * MILLI;
	uint64_t elapsed, add;

	/* A clock that stepped back starts again from there, rather than
	 * refilling nothing until it catches up. */
	if (now_ms < t->refill_ms)
		t->refill_ms = now_ms;
	elapsed = now_ms - t->refill_ms;
	/* Past a period the bucket is full anyway, which also keeps the
	 * product from overflowing. */
	add = (elapsed > period_ms ? period_ms : elapsed) * rate * MILLI /
	      period_ms;
	/* Advance the clock only with tokens granted, so frequent checks do
	 * not round the refill away (at 60 a minute, checks every
	 * millisecond would otherwise earn nothing). */
	if (add > 0) {
		t->milli = t->milli + add > full ? full : t->milli + add;
		t->refill_ms = now_ms;
	}
}

bool dg_tokens_any(const struct dg_tokens *t)
{
	return t->milli >= MILLI;
}

bool dg_tokens_take(struct dg_tokens *t, uint64_t rate, uint64_t period_ms,
		    uint64_t now_ms)
{
	dg_tokens_refill(t, rate, period_ms, now_ms);
	if (!dg_tokens_any(t))
		return false;
	t->milli -= MILLI;
	return true;
}

void dg_tokens_put_back(struct dg_tokens *t)
{
	t->milli += MILLI;
}
