/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_metrics: the exposition text written from a view with a few
 * counters set: each family has its HELP and TYPE, the values land on the
 * labels they belong to, and the latency histogram is cumulative; the
 * readiness figures; and the board's signs of life, which /healthz reads.
 * What the HTTP server adds is tests/integration/t_metrics.sh's and
 * t_health.sh's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "metrics_text.h"
#include "tap.h"

/* Is line one whole line of text? */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '\n');

		if (end != NULL && (size_t)(end - p) == len &&
		    memcmp(p, line, len) == 0)
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

#define has(text, line, ...) \
	do { \
		if (!ok(has_line((text), (line)), __VA_ARGS__)) \
			printf("#   no line '%s'\n", (line)); \
	} while (0)

static void test_counting(void)
{
	struct dg_query_counters q = { 0 };
	struct dg_upstream_counters u = { 0 };

	dg_metrics_count_type(&q, 28);
	dg_metrics_count_type(&q, 65280);
	is_int(q.by_type[1], 1, "AAAA is counted by name");
	is_int(q.by_type[DG_METRICS_TYPES], 1, "an unlisted type is other");
	dg_metrics_count_latency(&u, 1);
	dg_metrics_count_latency(&u, 3);
	dg_metrics_count_latency(&u, 5000);
	ok(u.latency[0] == 1 && u.latency[2] == 1 &&
		   u.latency[DG_METRICS_LATENCY_BUCKETS] == 1,
	   "latencies fall in the first bucket at least as large, or +Inf");
	is_int(u.latency_sum_ms, 5004, "and add up");
}

/* A worker that stops publishing is named; the last answer is the
 * latest any worker published, never a sum. */
static void test_board(void)
{
	struct dg_board *b = dg_board_new(3, 1);
	struct dg_figures f;
	uint64_t now = dg_clock_ms(), silent = 0;

	if (!ok(b != NULL && dg_figures_init(&f, 1) == 0, "a board"))
		return;
	is_int(dg_board_stalled(b, now, 10000, &silent), 0,
	       "a new board: every worker is given time to publish");
	is_int(dg_board_stalled(b, now + 20000, 10000, &silent), 1,
	       "silent past the bound: the first such worker is named");
	ok(silent >= 20000, "with how long it has been silent");
	f.last_answer_ms = 5;
	dg_board_publish(b, 1, &f);
	f.last_answer_ms = 7;
	dg_board_publish(b, 2, &f);
	is_int(dg_board_stalled(b, dg_clock_ms() + 5000, 10000,
				&silent),
	       0, "publishing is a sign of life");
	is_int(dg_board_last_answer(b), 7, "the last answer: the latest");
	dg_figures_fini(&f);
	dg_board_free(b);
}

int main(void)
{
	struct dg_query_counters q = { 0 };
	struct dg_upstream_counters up[2] = { 0 };
	struct dg_addr addrs[2];
	struct dg_metrics_view v = {
		.queries = &q,
		.upstreams = addrs,
		.upstream = up,
		.n_upstreams = 2,
		.cache_entries = 12,
		.tcp_connections = 3,
		.nftset_added = 9,
		.audit_policies = 2,
		.ready = true,
		.probes = 3,
		.last_answer_age_ms = 1500,
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	test_counting();
	test_board();
	if (f == NULL || dg_addr_parse("192.0.2.53", 53, &addrs[0]) != 0 ||
	    dg_addr_parse("[2001:db8::53]:5353", 53, &addrs[1]) != 0)
		return 1;
	q.by_reason[DG_REASON_NONE] = 5;
	q.by_reason[DG_REASON_TOO_DEEP] = 2;
	q.would_deny[DG_REASON_NOT_LISTED] = 4;
	dg_metrics_count_type(&q, 1);
	q.udp = 6;
	q.tcp = 1;
	q.cache_hits = 4;
	up[0].queries = 7;
	up[0].answers = 6;
	dg_metrics_count_latency(&up[0], 3);
	dg_metrics_count_latency(&up[0], 40);
	up[1].timeouts = 1;

	is_int(dg_metrics_write(&v, f), 0, "the text is written");
	fclose(f);

	has(text, "# HELP dnsgate_queries_total Questions answered, by verdict "
		  "and reason (none: allowed; would-deny: answered by audit "
		  "mode).",
	    "a family has its HELP");
	has(text, "# TYPE dnsgate_queries_total counter", "and its TYPE");
	has(text, "dnsgate_queries_total{verdict=\"allow\",reason=\"none\"} 5",
	    "allowed questions: reason none");
	has(text, "dnsgate_queries_total{verdict=\"deny\",reason=\"too-deep\"} 2",
	    "denials by reason");
	has(text, "dnsgate_queries_total{verdict=\"deny\",reason=\"budget\"} 0",
	    "a reason never seen is there, at 0");
	has(text, "dnsgate_queries_total{verdict=\"would-deny\","
		  "reason=\"not-listed\"} 4",
	    "audit mode's would-deny, by reason, in the same family");
	has(text, "dnsgate_queries_total{verdict=\"would-deny\","
		  "reason=\"budget\"} 0",
	    "every would-deny reason is there, at 0");
	ok(strstr(text, "verdict=\"would-deny\",reason=\"none\"") == NULL,
	   "no would-deny without a reason");
	has(text, "# TYPE dnsgate_audit_policies gauge",
	    "the policies in audit mode: a gauge");
	has(text, "dnsgate_audit_policies 2", "with its value from the view");
	has(text, "dnsgate_queries_by_type_total{type=\"A\"} 1", "by type");
	has(text, "dnsgate_queries_by_type_total{type=\"other\"} 0",
	    "and the other types");
	has(text, "dnsgate_queries_by_proto_total{proto=\"udp\"} 6", "by transport");
	has(text, "dnsgate_cache_hits_total 4", "a scalar counter");
	has(text, "# TYPE dnsgate_cache_entries gauge", "a gauge is typed so");
	has(text, "dnsgate_cache_entries 12", "with its value from the view");
	has(text, "dnsgate_tcp_connections 3", "connections from the view");
	has(text, "dnsgate_nftset_added_total 9", "nftset figures from the view");
	has(text, "dnsgate_upstream_queries_total{upstream=\"192.0.2.53:53\"} 7",
	    "an upstream's counter, labelled with its address");
	has(text, "dnsgate_upstream_timeouts_total"
		  "{upstream=\"[2001:db8::53]:5353\"} 1",
	    "an IPv6 upstream in brackets");
	has(text, "dnsgate_upstream_latency_seconds_bucket"
		  "{upstream=\"192.0.2.53:53\",le=\"0.005\"} 1",
	    "a histogram bucket counts what is at most its bound");
	has(text, "dnsgate_upstream_latency_seconds_bucket"
		  "{upstream=\"192.0.2.53:53\",le=\"0.05\"} 2",
	    "and everything below: cumulative");
	has(text, "dnsgate_upstream_latency_seconds_bucket"
		  "{upstream=\"192.0.2.53:53\",le=\"+Inf\"} 2",
	    "up to +Inf");
	has(text, "dnsgate_upstream_latency_seconds_sum"
		  "{upstream=\"192.0.2.53:53\"} 0.043",
	    "the sum in seconds");
	has(text, "dnsgate_upstream_latency_seconds_count"
		  "{upstream=\"192.0.2.53:53\"} 2",
	    "and the count");
	has(text, "dnsgate_ready 1", "ready, from the view");
	has(text, "dnsgate_upstream_probes_total 3", "the probes sent");
	has(text, "dnsgate_upstream_last_answer_seconds 1.500",
	    "the last answer's age, in seconds");
	has(text, "dnsgate_build_info{version=\"" PACKAGE_VERSION "\"} 1",
	    "the version running");
	ok(len > 0 && text[len - 1] == '\n', "the text ends with a newline");
	free(text);
	text = NULL;
	v.last_answer_age_ms = UINT64_MAX;
	f = open_memstream(&text, &len);
	if (f == NULL || dg_metrics_write(&v, f) != 0)
		return 1;
	fclose(f);
	has(text, "dnsgate_upstream_last_answer_seconds +Inf",
	    "no upstream has answered yet: +Inf");
	free(text);
	return done_testing();
}
