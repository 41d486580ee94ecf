/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dot: DNS over TLS connections on libuv. See dot.h.
 *
 * Ownership: a dg_dot owns its current connection until it detaches it; a
 * detached connection owns itself and frees itself after both its
 * handles' close callbacks (as upstream.c's attempts do). Its GnuTLS
 * session goes at the detach: nothing calls GnuTLS for it after that. A
 * write request owns the bytes it writes and frees them in its callback,
 * which libuv runs before the close callback.
 *
 * Every query linked to a dg_dot belongs to its current connection: a
 * connection that fails takes them all with it. A generation number tells
 * them from those linked by the callbacks of the failed ones, which go to
 * the next connection.
 */
#include "dot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wire.h"

/* Answers awaited at once on one connection; past that, queries wait
 * their turn, so one server is never sent an unbounded pipeline. */
#define MAX_SENT 64
/* A connection idle this long closes; so does one whose handshake takes
 * as long (the queries on it time out well before). */
#define IDLE_MS 10000
/* RFC 7766: a message and its two-byte length. */
#define FRAME_MAX (2 + 65535)
/* Ciphertext read at once: a TLS record and its overhead. */
#define READ_CHUNK (16384 + 2048)
/* Non-fatal GnuTLS results (a warning alert, a renegotiation request)
 * taken in one pass before leaving the rest to the next read. */
#define PASSES_MAX 64

struct conn;

struct dg_dot {
	uv_loop_t *loop;
	struct dg_addr addr;
	char *name;
	gnutls_certificate_credentials_t creds;
	struct dg_list queries; /* newest first */
	size_t n_sent;          /* of them, written and awaiting an answer */
	unsigned gen;           /* of the current connection */
	struct conn *conn;      /* NULL: none open */
};

struct conn {
	struct dg_dot *dot; /* NULL once detached */
	uv_tcp_t tcp;
	uv_timer_t timer; /* the handshake, idleness or a deferred failure */
	int open_handles;
	uv_connect_t connect;
	gnutls_session_t session;
	bool ready;  /* handshake done */
	bool broken; /* a write failed: the timer fails it from the loop */
	uint8_t *in; /* ciphertext read, from in_off on not yet pulled */
	size_t in_len, in_off, in_cap;
	uint8_t *frame; /* plaintext: answers as they arrive, FRAME_MAX */
	size_t frame_len;
};

struct write_req {
	uv_write_t req;
	uint8_t data[];
};

static void on_conn_closed(uv_handle_t *handle)
{
	struct conn *c = handle->data;

	if (--c->open_handles == 0) {
		free(c->in);
		free(c->frame);
		free(c);
	}
}

static void conn_detach(struct conn *c)
{
	struct dg_dot *dot = c->dot;

	dot->conn = NULL;
	dot->n_sent = 0;
	dot->gen++;
	c->dot = NULL;
	if (c->session != NULL)
		gnutls_deinit(c->session);
	c->session = NULL;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

/* The connection is done for: every query on it fails with status. */
static void conn_failed(struct dg_dot *dot, int status)
{
	unsigned gen = dot->gen;
	struct dg_list_node *n;

	if (dot->conn != NULL)
		conn_detach(dot->conn);
	while ((n = dot->queries.last) != NULL) {
		struct dg_dot_query *q = dg_list_entry(n, struct dg_dot_query,
						       node);

		if (q->gen != gen)
			break;
		dg_list_remove(&dot->queries, n);
		q->dot = NULL;
		q->cb(q, status, NULL, 0);
	}
}

static void on_timer(uv_timer_t *timer)
{
	struct conn *c = timer->data;

	if (c->dot != NULL)
		conn_failed(c->dot, DG_ETIMEOUT);
}

/* Fail c from the loop, not from inside whoever called. */
static void conn_fail_later(struct conn *c)
{
	c->broken = true;
	uv_timer_start(&c->timer, on_timer, 0, 0);
}

/* Nothing waits on a working connection: it may go once idle. */
static void maybe_idle(struct dg_dot *dot)
{
	struct conn *c = dot->conn;

	if (c != NULL && c->ready && !c->broken &&
	    dg_list_empty(&dot->queries))
		uv_timer_start(&c->timer, on_timer, IDLE_MS, 0);
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = dg_container_of(req, struct write_req, req);
	struct conn *c = req->handle->data;

	free(w);
	if (status < 0 && status != UV_ECANCELED && c->dot != NULL &&
	    !c->broken)
		conn_fail_later(c);
}

/* GnuTLS's output: each record goes out in a write of its own. */
static ssize_t push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct conn *c = ptr;
	struct write_req *w = malloc(sizeof(*w) + len);
	uv_buf_t buf;

	if (w == NULL) {
		gnutls_transport_set_errno(c->session, ENOMEM);
		return -1;
	}
	memcpy(w->data, data, len);
	buf = uv_buf_init((char *)w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1,
		     on_written) != 0) {
		free(w);
		gnutls_transport_set_errno(c->session, EIO);
		return -1;
	}
	return (ssize_t)len;
}

/* GnuTLS's input: what was read, or EAGAIN until the next read. */
static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct conn *c = ptr;
	size_t avail = c->in_len - c->in_off;

	if (avail == 0) {
		gnutls_transport_set_errno(c->session, EAGAIN);
		return -1;
	}
	if (len > avail)
		len = avail;
	memcpy(data, c->in + c->in_off, len);
	c->in_off += len;
	return (ssize_t)len;
}

/* Write the waiting queries, oldest first, as far as the pipeline goes. */
static void send_waiting(struct dg_dot *dot)
{
	struct conn *c = dot->conn;
	struct dg_list_node *n;

	if (c == NULL || !c->ready || c->broken)
		return;
	dg_list_foreach_reverse(n, &dot->queries) {
		struct dg_dot_query *q = dg_list_entry(n, struct dg_dot_query,
						       node);

		if (dot->n_sent >= MAX_SENT)
			return;
		if (q->sent)
			continue;
		if (gnutls_record_send(c->session, q->msg, q->len) < 0) {
			conn_fail_later(c);
			return;
		}
		q->sent = true;
		dot->n_sent++;
	}
}

static void log_handshake_failure(struct conn *c, int rc)
{
	struct dg_dot *dot = c->dot;
	char where[DG_ADDR_STRLEN];
	gnutls_datum_t text = { NULL, 0 };

	dg_addr_format(&dot->addr, where, sizeof(where));
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR &&
	    gnutls_certificate_verification_status_print(
		    gnutls_session_get_verify_cert_status(c->session),
		    gnutls_certificate_type_get(c->session), &text, 0) == 0) {
		dg_log(DG_LOG_WARN,
		       "upstream tls://%s#%s: certificate refused: %s", where,
		       dot->name, (const char *)text.data);
		gnutls_free(text.data);
		return;
	}
	dg_log(DG_LOG_WARN, "upstream tls://%s#%s: TLS handshake failed: %s",
	       where, dot->name, gnutls_strerror(rc));
}

/* @return false when the handshake failed (the connection is gone) or
 * is not done yet. */
static bool handshake(struct conn *c)
{
	struct dg_dot *dot = c->dot;

	for (int i = 0; i < PASSES_MAX; i++) {
		int rc = gnutls_handshake(c->session);

		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
			return false;
		if (rc == 0) {
			c->ready = true;
			uv_timer_stop(&c->timer);
			send_waiting(dot);
			maybe_idle(dot);
			return true;
		}
		if (gnutls_error_is_fatal(rc)) {
			log_handshake_failure(c, rc);
			conn_failed(dot, DG_ETIMEOUT);
			return false;
		}
	}
	return false;
}

/* One framed message from the server: hand it to its query. */
static void answer(struct dg_dot *dot, const uint8_t *pkt, size_t len)
{
	struct dg_dot_query *by_id = NULL, *q = NULL;
	struct dg_list_node *n;
	int status = DG_EMISMATCH;

	if (len < 2)
		return;
	dg_list_foreach(n, &dot->queries) {
		struct dg_dot_query *x = dg_list_entry(n, struct dg_dot_query,
						       node);

		if (!x->sent || x->id != (uint16_t)(pkt[0] << 8 | pkt[1]))
			continue;
		if (dg_wire_match_response(pkt, len, x->id, x->qname,
					   x->qtype, x->qclass) == 0) {
			q = x;
			status = 0;
			break;
		}
		if (by_id == NULL)
			by_id = x;
	}
	if (q == NULL)
		q = by_id;
	/* None: the answer to a query given up on. */
	if (q == NULL)
		return;
	dg_list_remove(&dot->queries, &q->node);
	q->dot = NULL;
	dot->n_sent--;
	q->cb(q, status, status == 0 ? pkt : NULL, status == 0 ? len : 0);
	send_waiting(dot);
	maybe_idle(dot);
}

/* Hand over every whole message in c->frame; false when c went. */
static bool take_answers(struct conn *c)
{
	size_t off = 0;

	while (c->frame_len - off >= 2) {
		size_t need = 2 + (size_t)(c->frame[off] << 8 |
					   c->frame[off + 1]);

		if (c->frame_len - off < need)
			break;
		answer(c->dot, c->frame + off + 2, need - 2);
		off += need;
		if (c->dot == NULL)
			return false;
	}
	memmove(c->frame, c->frame + off, c->frame_len - off);
	c->frame_len -= off;
	return true;
}

/* Run GnuTLS on what was read: the handshake, then records. */
static void drive(struct conn *c)
{
	if (!c->ready && !handshake(c))
		return;
	for (int i = 0; i < PASSES_MAX && c->dot != NULL; i++) {
		/* Room is always left: a whole frame is taken at once. */
		ssize_t n = gnutls_record_recv(c->session,
					       c->frame + c->frame_len,
					       FRAME_MAX - c->frame_len);

		/* A post-handshake message (a TLS 1.3 session ticket) ends
		 * a call with AGAIN too, the records after it still unread. */
		if ((n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) &&
		    c->in_off == c->in_len &&
		    gnutls_record_check_pending(c->session) == 0)
			return;
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == 0 || (n < 0 && gnutls_error_is_fatal((int)n))) {
			conn_failed(c->dot, DG_ETIMEOUT);
			return;
		}
		if (n < 0)
			continue;
		c->frame_len += (size_t)n;
		if (!take_answers(c))
			return;
	}
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = handle->data;

	if (c->dot == NULL ||
	    dg_grow(&c->in, &c->in_cap, c->in_len + READ_CHUNK, 1) != 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)c->in + c->in_len, READ_CHUNK);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = stream->data;

	if (c->dot == NULL || nread == 0)
		return;
	if (nread < 0) {
		conn_failed(c->dot, DG_ETIMEOUT);
		return;
	}
	c->in_len += (size_t)nread;
	drive(c);
	if (c->dot == NULL)
		return;
	/* What GnuTLS left is less than a record: keep it at the front. */
	memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
	c->in_len -= c->in_off;
	c->in_off = 0;
}

static void on_connected(uv_connect_t *req, int status)
{
	struct conn *c = req->handle->data;

	if (c->dot == NULL)
		return;
	if (status < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
		conn_failed(c->dot, DG_ETIMEOUT);
		return;
	}
	drive(c);
}

/* The session: the server's name checked against its certificate (and
 * sent as SNI), through our buffers, never blocking. */
static int session_init(struct conn *c, const struct dg_dot *dot)
{
	int rc = gnutls_init(&c->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);

	if (rc < 0) {
		c->session = NULL;
		return rc;
	}
	if ((rc = gnutls_set_default_priority(c->session)) < 0 ||
	    (rc = gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE,
					 dot->creds)) < 0 ||
	    (rc = gnutls_server_name_set(c->session, GNUTLS_NAME_DNS,
					 dot->name, strlen(dot->name))) < 0)
		return rc;
	gnutls_session_set_verify_cert(c->session, dot->name, 0);
	gnutls_transport_set_ptr(c->session, c);
	gnutls_transport_set_push_function(c->session, push);
	gnutls_transport_set_pull_function(c->session, pull);
	return 0;
}

/* A new connection to dot's server, its handshake to follow the connect. */
static int conn_open(struct dg_dot *dot)
{
	struct conn *c = calloc(1, sizeof(*c));
	int rc = DG_ENOMEM;

	if (c == NULL || (c->frame = malloc(FRAME_MAX)) == NULL)
		goto fail;
	rc = uv_tcp_init_ex(dot->loop, &c->tcp, dot->addr.u.sa.sa_family);
	if (rc != 0)
		goto fail;
	uv_timer_init(dot->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->open_handles = 2;
	c->dot = dot;
	dot->conn = c;
	if (session_init(c, dot) < 0)
		rc = DG_ENOMEM;
	if (rc == 0)
		rc = uv_tcp_connect(&c->connect, &c->tcp, &dot->addr.u.sa,
				    on_connected);
	if (rc == 0)
		rc = uv_timer_start(&c->timer, on_timer, IDLE_MS, 0);
	if (rc != 0)
		conn_detach(c); /* its handles' callbacks free it */
	return rc;
fail:
	if (c != NULL)
		free(c->frame);
	free(c);
	return rc;
}

int dg_dot_send(struct dg_dot *dot, struct dg_dot_query *q)
{
	int rc;

	if (dot->conn == NULL && (rc = conn_open(dot)) != 0)
		return rc;
	q->dot = dot;
	q->sent = false;
	q->gen = dot->gen;
	dg_list_push_front(&dot->queries, &q->node);
	if (dot->conn->ready && !dot->conn->broken) {
		uv_timer_stop(&dot->conn->timer);
		send_waiting(dot);
	}
	return 0;
}

void dg_dot_cancel(struct dg_dot_query *q)
{
	struct dg_dot *dot = q->dot;

	if (dot == NULL)
		return;
	dg_list_remove(&dot->queries, &q->node);
	q->dot = NULL;
	if (q->sent) {
		dot->n_sent--;
		send_waiting(dot);
	}
	maybe_idle(dot);
}

int dg_dot_creds_new(const char *ca_file,
		     gnutls_certificate_credentials_t *out, const char **why)
{
	gnutls_certificate_credentials_t creds;
	int rc = gnutls_certificate_allocate_credentials(&creds);

	if (rc < 0) {
		*why = gnutls_strerror(rc);
		return DG_ENOMEM;
	}
	if (ca_file != NULL)
		rc = gnutls_certificate_set_x509_trust_file(creds, ca_file,
							    GNUTLS_X509_FMT_PEM);
	else
		rc = gnutls_certificate_set_x509_system_trust(creds);
	if (rc <= 0) {
		*why = rc < 0 ? gnutls_strerror(rc)
			      : "no CA certificate found in it";
		gnutls_certificate_free_credentials(creds);
		return DG_ECONFIG;
	}
	*out = creds;
	return 0;
}

void dg_dot_creds_free(gnutls_certificate_credentials_t creds)
{
	if (creds != NULL)
		gnutls_certificate_free_credentials(creds);
}

struct dg_dot *dg_dot_new(uv_loop_t *loop, const struct dg_addr *addr,
			  const char *name,
			  gnutls_certificate_credentials_t creds)
{
	struct dg_dot *dot = calloc(1, sizeof(*dot));

	if (dot == NULL)
		return NULL;
	dot->name = strdup(name);
	if (dot->name == NULL) {
		free(dot);
		return NULL;
	}
	dot->loop = loop;
	dot->addr = *addr;
	dot->creds = creds;
	return dot;
}

void dg_dot_close(struct dg_dot *dot)
{
	if (dot == NULL)
		return;
	if (dot->conn != NULL)
		conn_detach(dot->conn);
	free(dot->name);
	free(dot);
}
