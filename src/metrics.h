/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics: dnsgate's counters, written in the Prometheus text exposition
 * format (0.0.4), and a small HTTP/1.1 server on the same libuv loop that
 * answers GET /metrics with them.
 *
 * The counters are plain integers the server increments; the text is
 * written by a pure function from a dg_metrics_view, so the unit tests
 * read it without a socket. The HTTP side is as small as a scrape needs:
 * one request a connection (Connection: close), a request head of at most
 * 4 KiB, 5 s to send it, 64 connections at once; anything else gets 400,
 * 404 or 405 and the connection is closed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "policy.h"
#include "util.h"

struct uv_loop_s;

/* Upstream latency buckets, in ms (the exposition says seconds). */
#define DG_METRICS_LATENCY_BUCKETS 10
extern const uint32_t dg_metrics_latency_ms[DG_METRICS_LATENCY_BUCKETS];

/* Query types counted by name; the rest are "other". */
#define DG_METRICS_TYPES 8

struct dg_query_counters {
	uint64_t by_reason[DG_REASON_COUNT]; /* DG_REASON_NONE: allowed */
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
};

/* The exposition text into out. @return 0, or -EIO when writing failed. */
DG_NODISCARD int dg_metrics_write(const struct dg_metrics_view *v, FILE *out);

/* Fill v for a scrape; v's pointers must stay valid until the next call. */
typedef void (*dg_metrics_view_cb)(void *arg, struct dg_metrics_view *v);

struct dg_metrics;

/*
 * Listen on addr (TCP) on loop; each GET /metrics asks view for the
 * figures. @return 0, or a libuv error (the address in use, say).
 */
DG_NODISCARD int dg_metrics_open(struct uv_loop_s *loop,
				 const struct dg_addr *addr,
				 dg_metrics_view_cb view, void *arg,
				 struct dg_metrics **out);

/* Close the listener and every connection; freed once they are closed.
 * NULL is allowed. */
void dg_metrics_close(struct dg_metrics *m);
