/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics_text: see metrics_text.h.
 */
#include "metrics_text.h"

#include <errno.h>

const uint32_t dg_metrics_latency_ms[DG_METRICS_LATENCY_BUCKETS] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000,
};

static const struct {
	uint16_t type;
	const char *name;
} counted_types[DG_METRICS_TYPES] = {
	{ 1, "A" },   { 28, "AAAA" }, { 5, "CNAME" }, { 65, "HTTPS" },
	{ 15, "MX" }, { 12, "PTR" },  { 33, "SRV" },  { 16, "TXT" },
};

void dg_metrics_count_type(struct dg_query_counters *c, uint16_t qtype)
{
	for (size_t i = 0; i < DG_METRICS_TYPES; i++) {
		if (counted_types[i].type == qtype) {
			c->by_type[i]++;
			return;
		}
	}
	c->by_type[DG_METRICS_TYPES]++;
}

void dg_metrics_count_latency(struct dg_upstream_counters *c, uint64_t ms)
{
	size_t i = 0;

	while (i < DG_METRICS_LATENCY_BUCKETS && ms > dg_metrics_latency_ms[i])
		i++;
	c->latency[i]++;
	c->latency_sum_ms += ms;
}

static void head(FILE *out, const char *name, const char *type,
		 const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_upstreams(const struct dg_metrics_view *v, FILE *out)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} counters[] = {
		{ "dnsgate_upstream_queries_total",
		  "Queries sent to an upstream (each attempt).",
		  offsetof(struct dg_upstream_counters, queries) },
		{ "dnsgate_upstream_answers_total",
		  "Answers taken from an upstream.",
		  offsetof(struct dg_upstream_counters, answers) },
		{ "dnsgate_upstream_failures_total",
		  "Attempts that failed: refused, malformed, socket errors.",
		  offsetof(struct dg_upstream_counters, failures) },
		{ "dnsgate_upstream_timeouts_total",
		  "Attempts that got no answer in time.",
		  offsetof(struct dg_upstream_counters, timeouts) },
	};
	char addr[DG_ADDR_STRLEN];

	for (size_t k = 0; k < DG_ARRAY_SIZE(counters); k++) {
		head(out, counters[k].name, "counter", counters[k].help);
		for (size_t i = 0; i < v->n_upstreams; i++) {
			const uint64_t *n = (const uint64_t *)(
				(const char *)&v->upstream[i] + counters[k].offset);

			dg_addr_format(&v->upstreams[i], addr, sizeof(addr));
			fprintf(out, "%s{upstream=\"%s\"} %llu\n", counters[k].name,
				addr, (unsigned long long)*n);
		}
	}
	head(out, "dnsgate_upstream_latency_seconds", "histogram",
	     "Time from sending a query to taking its answer.");
	for (size_t i = 0; i < v->n_upstreams; i++) {
		const struct dg_upstream_counters *c = &v->upstream[i];
		uint64_t cumulative = 0;

		dg_addr_format(&v->upstreams[i], addr, sizeof(addr));
		for (size_t b = 0; b <= DG_METRICS_LATENCY_BUCKETS; b++) {
			cumulative += c->latency[b];
			if (b < DG_METRICS_LATENCY_BUCKETS)
				fprintf(out, "dnsgate_upstream_latency_seconds_bucket"
					     "{upstream=\"%s\",le=\"%g\"} %llu\n",
					addr, dg_metrics_latency_ms[b] / 1000.0,
					(unsigned long long)cumulative);
			else
				fprintf(out, "dnsgate_upstream_latency_seconds_bucket"
					     "{upstream=\"%s\",le=\"+Inf\"} %llu\n",
					addr, (unsigned long long)cumulative);
		}
		fprintf(out, "dnsgate_upstream_latency_seconds_sum{upstream=\"%s\"} "
			     "%.3f\n", addr, c->latency_sum_ms / 1000.0);
		fprintf(out, "dnsgate_upstream_latency_seconds_count"
			     "{upstream=\"%s\"} %llu\n",
			addr, (unsigned long long)cumulative);
	}
}

/* A metric of one sample. */
struct scalar {
	const char *name, *type, *help;
	uint64_t value;
};

static void write_scalars(const struct scalar *s, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		head(out, s[i].name, s[i].type, s[i].help);
		fprintf(out, "%s %llu\n", s[i].name,
			(unsigned long long)s[i].value);
	}
}

static void write_control(const struct dg_control_counters *c, FILE *out)
{
	const struct scalar scalars[] = {
		{ "dnsgate_control_refused_total", "counter",
		  "Control connections refused: the peer was not root, "
		  "dnsgate's user or its group.",
		  c->refused },
		{ "dnsgate_temporary_entries", "gauge",
		  "Temporary allowlist entries (dnsgate control allow) held.",
		  c->temporary_entries },
		{ "dnsgate_temporary_entries_expired_total", "counter",
		  "Temporary allowlist entries that ran out.", c->expired },
	};

	head(out, "dnsgate_control_commands_total", "counter",
	     "Commands answered on the control socket, by command (error: "
	     "a line that was no command).");
	for (size_t i = 0; i < DG_CONTROL_VERBS; i++)
		fprintf(out, "dnsgate_control_commands_total{command=\"%s\"} "
			     "%llu\n",
			dg_control_verb_name((enum dg_control_verb)i),
			(unsigned long long)c->commands[i]);
	write_scalars(scalars, DG_ARRAY_SIZE(scalars), out);
}

int dg_metrics_write(const struct dg_metrics_view *v, FILE *out)
{
	const struct dg_query_counters *q = v->queries;

	head(out, "dnsgate_queries_total", "counter",
	     "Questions answered, by verdict and reason (none: allowed; "
	     "would-deny: answered by audit mode).");
	for (int r = 0; r < DG_REASON_COUNT; r++)
		fprintf(out, "dnsgate_queries_total{verdict=\"%s\",reason=\"%s\"} "
			     "%llu\n",
			r == DG_REASON_NONE ? "allow" : "deny",
			dg_reason_name((enum dg_reason)r),
			(unsigned long long)q->by_reason[r]);
	for (int r = DG_REASON_NONE + 1; r < DG_REASON_COUNT; r++)
		fprintf(out, "dnsgate_queries_total{verdict=\"would-deny\","
			     "reason=\"%s\"} %llu\n",
			dg_reason_name((enum dg_reason)r),
			(unsigned long long)q->would_deny[r]);
	head(out, "dnsgate_queries_by_type_total", "counter",
	     "Questions answered, by query type.");
	for (size_t i = 0; i <= DG_METRICS_TYPES; i++)
		fprintf(out, "dnsgate_queries_by_type_total{type=\"%s\"} %llu\n",
			i < DG_METRICS_TYPES ? counted_types[i].name : "other",
			(unsigned long long)q->by_type[i]);
	head(out, "dnsgate_queries_by_proto_total", "counter",
	     "Questions answered, by transport.");
	fprintf(out, "dnsgate_queries_by_proto_total{proto=\"udp\"} %llu\n"
		     "dnsgate_queries_by_proto_total{proto=\"tcp\"} %llu\n",
		(unsigned long long)q->udp, (unsigned long long)q->tcp);
	const struct scalar scalars[] = {
		{ "dnsgate_servfail_total", "counter",
		  "Allowed questions no upstream answered (SERVFAIL).",
		  q->servfail },
		{ "dnsgate_cache_hits_total", "counter",
		  "Allowed questions answered from the cache.", q->cache_hits },
		{ "dnsgate_cache_misses_total", "counter",
		  "Allowed questions that went upstream.", q->cache_misses },
		{ "dnsgate_cache_entries", "gauge", "Answers in the cache.",
		  v->cache_entries },
		{ "dnsgate_upstream_inflight", "gauge",
		  "Upstream fetches in flight.", v->inflight },
		{ "dnsgate_queries_waiting", "gauge",
		  "Client queries waiting on upstream answers.", v->waiting },
		{ "dnsgate_tcp_connections", "gauge",
		  "Client TCP connections open.", v->tcp_connections },
		{ "dnsgate_tcp_unknown_peer_total", "counter",
		  "Client TCP connections closed unread: the kernel named no "
		  "peer address for them.",
		  v->tcp_unknown_peers },
		{ "dnsgate_unknown_client_total", "counter",
		  "Queries dropped unread: their client's address was unknown.",
		  q->unknown_client },
		{ "dnsgate_rate_limited_total", "counter",
		  "UDP queries dropped unread: the client was over [server] "
		  "client_rate_limit.",
		  q->rate_limited },
		{ "dnsgate_budget_exhausted_total", "counter",
		  "Questions denied (audit mode: would-deny) because a "
		  "new-name budget was spent.",
		  q->budget_exhausted },
		{ "dnsgate_budget_total_exhausted_total", "counter",
		  "Of those, the ones because an entry's total over "
		  "every client was spent (new_names_per_minute_total).",
		  q->budget_total_exhausted },
		{ "dnsgate_audit_policies", "gauge",
		  "Policies (global and groups) in audit mode: they deny "
		  "nothing, and log would-deny instead.",
		  v->audit_policies },
		{ "dnsgate_reloads_total", "counter",
		  "Configurations reloaded (SIGHUP).", q->reloads },
		{ "dnsgate_reload_failures_total", "counter",
		  "Reloads refused: the configuration had errors.",
		  q->reload_failures },
		{ "dnsgate_nftset_added_total", "counter",
		  "Addresses sent to the nftables sets.", v->nftset_added },
		{ "dnsgate_nftset_dropped_total", "counter",
		  "Addresses not sent: the netlink socket was full.",
		  v->nftset_dropped },
		{ "dnsgate_nftset_errors_total", "counter",
		  "Addresses the kernel refused.", v->nftset_errors },
		{ "dnsgate_ready", "gauge",
		  "1 when GET /ready answers 200: listening, and an upstream "
		  "answered within [metrics] ready_window.",
		  v->ready },
		{ "dnsgate_upstream_probes_total", "counter",
		  "Health probes (. NS) sent, while GET /ready was asked, "
		  "because no upstream had answered for half of [metrics] "
		  "ready_window.",
		  v->probes },
	};

	write_scalars(scalars, DG_ARRAY_SIZE(scalars), out);
	head(out, "dnsgate_upstream_last_answer_seconds", "gauge",
	     "Seconds since an upstream last answered anything (+Inf: none "
	     "has yet).");
	if (v->last_answer_age_ms == UINT64_MAX)
		fputs("dnsgate_upstream_last_answer_seconds +Inf\n", out);
	else
		fprintf(out, "dnsgate_upstream_last_answer_seconds %.3f\n",
			v->last_answer_age_ms / 1000.0);
	write_upstreams(v, out);
	if (v->control != NULL)
		write_control(v->control, out);
	head(out, "dnsgate_build_info", "gauge", "The version running.");
	fprintf(out, "dnsgate_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
