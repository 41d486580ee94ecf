/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics: see metrics.h.
 */
#include "metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "list.h"

#define REQUEST_MAX 4096
#define REQUEST_TIMEOUT_MS 5000
#define CONNS_MAX 64

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

int dg_metrics_write(const struct dg_metrics_view *v, FILE *out)
{
	const struct dg_query_counters *q = v->queries;

	head(out, "dnsgate_queries_total", "counter",
	     "Questions answered, by verdict and reason (none: allowed).");
	for (int r = 0; r < DG_REASON_COUNT; r++)
		fprintf(out, "dnsgate_queries_total{verdict=\"%s\",reason=\"%s\"} "
			     "%llu\n",
			r == DG_REASON_NONE ? "allow" : "deny",
			dg_reason_name((enum dg_reason)r),
			(unsigned long long)q->by_reason[r]);
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
	const struct {
		const char *name, *type, *help;
		uint64_t value;
	} scalars[] = {
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
		  "Questions denied because a new-name budget was spent.",
		  q->budget_exhausted },
		{ "dnsgate_budget_total_exhausted_total", "counter",
		  "Of those, the ones denied because an entry's total over "
		  "every client was spent (new_names_per_minute_total).",
		  q->budget_total_exhausted },
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
	};

	for (size_t i = 0; i < DG_ARRAY_SIZE(scalars); i++) {
		head(out, scalars[i].name, scalars[i].type, scalars[i].help);
		fprintf(out, "%s %llu\n", scalars[i].name,
			(unsigned long long)scalars[i].value);
	}
	write_upstreams(v, out);
	head(out, "dnsgate_build_info", "gauge", "The version running.");
	fprintf(out, "dnsgate_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct dg_metrics *m;
	struct dg_list_node link; /* on m's conns */
	int open_handles;
	bool closing;
	bool answered;
	uint64_t active_ms; /* accepted, or last read from */
	size_t len;
	char req[REQUEST_MAX];
	char *resp; /* malloc'd by open_memstream */
	size_t resp_len;
	uv_write_t write;
};

struct dg_metrics {
	uv_tcp_t listener;
	dg_metrics_view_cb view;
	void *arg;
	struct dg_list conns; /* the newest first */
	bool closing;
	int open_handles; /* the listener and each connection */
};

static void metrics_maybe_free(struct dg_metrics *m)
{
	if (m->closing && m->open_handles == 0)
		free(m);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct dg_metrics *m = c->m;

	if (--c->open_handles > 0)
		return;
	free(c->resp);
	free(c);
	m->open_handles--;
	metrics_maybe_free(m);
}

static void conn_close(struct conn *c)
{
	struct dg_metrics *m = c->m;

	if (c->closing)
		return;
	c->closing = true;
	dg_list_remove(&m->conns, &c->link);
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
	conn_close(req->data);
}

/* One response, then the connection closes. */
static void respond(struct conn *c, const char *status, const char *extra,
		    const char *body, size_t body_len)
{
	FILE *f = open_memstream(&c->resp, &c->resp_len);
	uv_buf_t buf;

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	if (f == NULL) {
		conn_close(c);
		return;
	}
	fprintf(f, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
		   "%s\r\n",
		status, body_len, extra);
	fwrite(body, 1, body_len, f);
	if (fclose(f) != 0) {
		conn_close(c);
		return;
	}
	buf = uv_buf_init(c->resp, (unsigned)c->resp_len);
	c->write.data = c;
	if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0)
		conn_close(c);
}

static void respond_text(struct conn *c, const char *status, const char *text)
{
	respond(c, status, "Content-Type: text/plain; charset=utf-8\r\n", text,
		strlen(text));
}

static void serve_metrics(struct conn *c)
{
	struct dg_metrics_view v = { 0 };
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int rc;

	if (f == NULL) {
		respond_text(c, "500 Internal Server Error", "out of memory\n");
		return;
	}
	c->m->view(c->m->arg, &v);
	rc = dg_metrics_write(&v, f);
	if (fclose(f) != 0 || rc != 0)
		respond_text(c, "500 Internal Server Error", "out of memory\n");
	else
		respond(c, "200 OK",
			"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n",
			body, len);
	free(body);
}

/* The request head is complete: its first line decides. */
static void handle_request(struct conn *c)
{
	char *line_end = memchr(c->req, '\r', c->len);
	char *sp1, *sp2;
	size_t path_len;

	if (line_end == NULL) {
		respond_text(c, "400 Bad Request", "bad request\n");
		return;
	}
	*line_end = '\0';
	sp1 = strchr(c->req, ' ');
	sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		respond_text(c, "400 Bad Request", "bad request\n");
		return;
	}
	if ((size_t)(sp1 - c->req) != 3 || strncmp(c->req, "GET", 3) != 0) {
		respond(c, "405 Method Not Allowed",
			"Allow: GET\r\nContent-Type: text/plain; charset=utf-8\r\n",
			"GET only\n", 9);
		return;
	}
	/* A query string is allowed: Prometheus may add one. */
	path_len = strcspn(sp1 + 1, " ?");
	if (path_len != 8 || strncmp(sp1 + 1, "/metrics", 8) != 0) {
		respond_text(c, "404 Not Found", "not found: try /metrics\n");
		return;
	}
	serve_metrics(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	*buf = uv_buf_init(c->req + c->len, (unsigned)(sizeof(c->req) - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->active_ms = uv_now(s->loop);
	/* The head ends with an empty line; a body is not read. */
	if (memmem(c->req, c->len, "\r\n\r\n", 4) != NULL)
		handle_request(c);
	else if (c->len == sizeof(c->req))
		respond_text(c, "431 Request Header Fields Too Large",
			     "request too large\n");
}

static void on_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (!c->answered)
		conn_close(c);
}

/*
 * At the cap, the connection idle the longest that is still waiting for
 * its request gives way (answered ones are closing anyway): otherwise 64
 * connections that send a byte and wait would lock every scraper out,
 * again each time their timeout ran out.
 */
static void evict_idlest(struct dg_metrics *m)
{
	struct conn *idlest = NULL;
	struct dg_list_node *n;

	dg_list_foreach(n, &m->conns) {
		struct conn *c = dg_list_entry(n, struct conn, link);

		if (!c->answered &&
		    (idlest == NULL || c->active_ms <= idlest->active_ms))
			idlest = c;
	}
	if (idlest != NULL)
		conn_close(idlest);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct dg_metrics *m = server->data;
	struct conn *c;

	if (status != 0)
		return;
	if (m->conns.count >= CONNS_MAX)
		evict_idlest(m);
	c = calloc(1, sizeof(*c));
	if (c == NULL || uv_tcp_init(server->loop, &c->tcp) != 0) {
		free(c);
		return;
	}
	c->m = m;
	c->active_ms = uv_now(server->loop);
	c->tcp.data = c;
	c->timer.data = c;
	c->open_handles = 2;
	uv_timer_init(server->loop, &c->timer);
	dg_list_push_front(&m->conns, &c->link);
	m->open_handles++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    m->conns.count > CONNS_MAX ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0 ||
	    uv_timer_start(&c->timer, on_timeout, REQUEST_TIMEOUT_MS, 0) != 0)
		conn_close(c);
}

static void on_listener_closed(uv_handle_t *h)
{
	struct dg_metrics *m = h->data;

	m->open_handles--;
	metrics_maybe_free(m);
}

int dg_metrics_open(uv_loop_t *loop, const struct dg_addr *addr,
		    dg_metrics_view_cb view, void *arg, struct dg_metrics **out)
{
	struct dg_metrics *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		return UV_ENOMEM;
	m->view = view;
	m->arg = arg;
	rc = uv_tcp_init(loop, &m->listener);
	if (rc != 0) {
		free(m);
		return rc;
	}
	m->listener.data = m;
	m->open_handles = 1;
	rc = uv_tcp_bind(&m->listener, &addr->u.sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&m->listener, 16, on_connection);
	if (rc != 0) {
		dg_metrics_close(m);
		return rc;
	}
	*out = m;
	return 0;
}

void dg_metrics_close(struct dg_metrics *m)
{
	if (m == NULL)
		return;
	m->closing = true;
	while (!dg_list_empty(&m->conns))
		conn_close(dg_list_entry(m->conns.first, struct conn, link));
	uv_close((uv_handle_t *)&m->listener, on_listener_closed);
}
