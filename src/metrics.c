/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics: see metrics.h.
 */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "list.h"

#define REQUEST_MAX 4096
#define REQUEST_TIMEOUT_MS 5000
#define CONNS_MAX 64
#define REASON_MAX 200

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
	struct dg_metrics_hooks hooks;
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
	c->m->hooks.view(c->m->hooks.arg, &v);
	rc = dg_metrics_write(&v, f);
	if (fclose(f) != 0 || rc != 0)
		respond_text(c, "500 Internal Server Error", "out of memory\n");
	else
		respond(c, "200 OK",
			"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n",
			body, len);
	free(body);
}

/* Probes read the status alone; the body is for the one who looks. */
static void serve_check(struct conn *c, enum dg_metrics_check check)
{
	char why[REASON_MAX + 2] = "";
	size_t len;

	if (c->m->hooks.check(c->m->hooks.arg, check, why, REASON_MAX)) {
		respond_text(c, "200 OK", "ok\n");
		return;
	}
	len = strlen(why);
	why[len] = '\n';
	why[len + 1] = '\0';
	respond_text(c, "503 Service Unavailable", why);
}

/* Is the request's path (len bytes) path? */
static bool path_is(const char *req, size_t len, const char *path)
{
	return len == strlen(path) && strncmp(req, path, len) == 0;
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
	if (path_is(sp1 + 1, path_len, "/metrics"))
		serve_metrics(c);
	else if (path_is(sp1 + 1, path_len, "/healthz"))
		serve_check(c, DG_METRICS_LIVE);
	else if (path_is(sp1 + 1, path_len, "/ready"))
		serve_check(c, DG_METRICS_READY);
	else
		respond_text(c, "404 Not Found",
			     "not found: try /metrics, /healthz or /ready\n");
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
		    const struct dg_metrics_hooks *hooks, struct dg_metrics **out)
{
	struct dg_metrics *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		return UV_ENOMEM;
	m->hooks = *hooks;
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
