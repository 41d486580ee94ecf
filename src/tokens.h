/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tokens: the one token bucket every rate in dnsgate uses (the new-name
 * budgets and their totals, client query rates, the query log's denial
 * lines). A bucket holds at most `rate` tokens and refills `rate` tokens a
 * period, continuously, counted in thousandths so no floating point is
 * needed; one event takes one token.
 *
 * Pure: time comes in as now_ms, monotonic (uv_now).
 * Never includes uv.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct dg_tokens {
	uint64_t milli;     /* thousandths of a token */
	uint64_t refill_ms; /* the time they were last brought up to */
};

/* A full bucket at rate, as of now_ms. */
struct dg_tokens dg_tokens_full(uint64_t rate, uint64_t now_ms);

/* Bring t up to now_ms at rate tokens a period_ms, at most rate. */
void dg_tokens_refill(struct dg_tokens *t, uint64_t rate, uint64_t period_ms,
		      uint64_t now_ms);

/* Is there a whole token (after a refill)? */
bool dg_tokens_any(const struct dg_tokens *t);

/* Take a token, or return false (after a refill). */
bool dg_tokens_take(struct dg_tokens *t, uint64_t rate, uint64_t period_ms,
		    uint64_t now_ms);

/* Give back the token just taken. */
void dg_tokens_put_back(struct dg_tokens *t);
