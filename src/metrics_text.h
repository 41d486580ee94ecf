/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics_text: dnsgate's counters, and the Prometheus text exposition
 * format (0.0.4) they are written in. The counters are plain integers the
 * server increments; the text is written from a dg_metrics_view, gathered
 * at the moment of a scrape. Pure: it writes to the stream it is given
 * and knows nothing of the HTTP server (metrics.h) that asks for it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "control_cmd.h"
#include "policy.h"
#include "util.h"

/* Upstream latency buckets, in ms (the exposition says seconds). */
#define DG_METRICS_LATENCY_BUCKETS 10
extern const uint32_t dg_metrics_latency_ms[DG_METRICS_LATENCY_BUCKETS];

/* Query types counted by name; the rest are "other". */
#define DG_METRICS_TYPES 8

struct dg_query_counters {
	uint64_t by_reason[DG_REASON_COUNT]; /* DG_REASON_NONE: allowed */
	/* Answered by audit mode, by the reason enforce would deny them
	 * for; not in by_reason. */
	uint64_t would_deny[DG_REASON_COUNT];
	uint64_t by_type[DG_METRICS_TYPES + 1];
	uint64_t udp, tcp;
	uint64_t servfail;        /* allowed, but no upstream answered */
	uint64_t cache_hits, cache_misses;
	uint64_t budget_exhausted;       /* either bound */
	uint64_t budget_total_exhausted; /* an entry's total, all clients */
	uint64_t rate_limited; /* UDP queries dropped: client_rate_limit */
	uint64_t unknown_client; /* queries dropped: no client address */
	uint64_t reloads, reload_failures;
};

/* One upstream server's counters. */
struct dg_upstream_counters {
	uint64_t queries;   /* attempts sent */
	uint64_t answers;   /* attempts answered and taken */
	uint64_t failures;  /* refused, malformed, or a socket error */
	uint64_t timeouts;
	uint64_t latency[DG_METRICS_LATENCY_BUCKETS + 1]; /* last: +Inf */
	uint64_t latency_sum_ms;
};

/* Count q in the type it was asked for. */
void dg_metrics_count_type(struct dg_query_counters *c, uint16_t qtype);
/* Count one answer's latency. */
void dg_metrics_count_latency(struct dg_upstream_counters *c, uint64_t ms);

/* Everything a scrape shows, gathered at the moment of the scrape. */
struct dg_metrics_view {
	const struct dg_query_counters *queries;
	const struct dg_addr *upstreams;
	const struct dg_upstream_counters *upstream; /* one per upstreams[] */
	size_t n_upstreams;
	size_t cache_entries;
	size_t inflight;
	size_t waiting;
	size_t tcp_connections;
	uint64_t tcp_unknown_peers;
	uint64_t nftset_added, nftset_dropped, nftset_errors;
	size_t audit_policies; /* global and groups' in audit mode */
	/* Readiness (GET /ready): the verdict, the probes sent, and how
	 * long ago an upstream last answered; UINT64_MAX: never. */
	bool ready;
	uint64_t probes;
	uint64_t last_answer_age_ms;
	/* The control socket's; NULL: none, and nothing said of it. */
	const struct dg_control_counters *control;
};

/* The exposition text into out. @return 0, or -EIO when writing failed. */
DG_NODISCARD int dg_metrics_write(const struct dg_metrics_view *v, FILE *out);
