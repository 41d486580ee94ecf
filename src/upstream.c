/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * upstream: fetches and attempts on libuv. See upstream.h.
 *
 * Ownership: the upstream owns its fetches (on the in-flight table) and
 * every attempt, each of which is in one of four places:
 *   ready    on a pool (one per address family): a fresh UDP socket,
 *            reading, bound to nothing yet;
 *   busy     a fetch's current attempt;
 *   closing  detached, its socket closing; the close callback moves it
 *            to spent;
 *   spent    no socket, its timer kept: memory for the next socket.
 * Fetches done with are kept too (SPARE_MAX at most), so a steady stream
 * of misses allocates nothing here. A callback that finds its attempt
 * detached does nothing more.
 *
 * The pools are refilled in the loop's check phase, after the callbacks
 * of a wakeup ran, so a miss takes a socket that is already made and
 * registered with the poller (socket(2) and epoll_ctl(2) off its path).
 * Each socket still serves one attempt: connect(2) binds it to a port
 * the kernel picks at random, and it is closed when the attempt ends, so
 * every attempt has a source port and an ID of its own (RFC 5452 9.2).
 * The upstream is freed once its last attempt is (hiredis' libuv
 * adapter, knot-resolver's session close).
 */
#include "upstream.h"

#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "log.h"
#include "name.h"

#define QUERY_MAX (DG_WIRE_HEADER + DG_NAME_MAXLEN + 4 + 11)
#define ID_POOL 256
/* Spent attempts beyond SPARE_MAX are freed: a burst does not keep its
 * memory. */
#define SPARE_MAX 256

struct fetch;

struct attempt {
	struct dg_upstream *up;
	struct fetch *fetch; /* NULL once detached */
	struct attempt *next; /* on a pool or the spent list */
	bool tcp;
	bool tls; /* on the server's dg_dot: h is unused, dq linked */
	union {
		uv_handle_t handle;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} h;
	uv_timer_t timer;
	uv_connect_t connect;
	uv_write_t write;
	uv_udp_send_t send;
	uint8_t query[2 + QUERY_MAX]; /* TCP length prefix, then the query */
	size_t query_len;
	uint64_t sent_ms;
	uint8_t *reply; /* TCP: the length-prefixed answer as it arrives */
	size_t reply_len, reply_cap;
	struct dg_dot_query dq;
};

struct fetch {
	struct dg_upstream *up;
	struct fetch *chain; /* in-flight table bucket */
	uint32_t hash;
	struct dg_fetch_waiter *waiters;
	struct attempt *att;
	uint64_t start_ms;
	size_t set, pos; /* its server set, and the place in it tried now */
	size_t server;   /* index of the server tried now */
	int last_error;
	uint16_t id;
	uint16_t qtype, qclass;
	uint8_t qname[DG_NAME_MAXLEN]; /* lowercased */
};

struct dg_upstream {
	uv_loop_t *loop;
	struct dg_upstream_config cfg;
	struct dg_addr *servers;
	struct dg_upstream_counters *counters; /* one per server */
	struct dg_dot **dots; /* one per server; NULL: a plain one */
	gnutls_certificate_credentials_t creds; /* NULL: no tls:// server */
	struct fetch **table;
	size_t mask;
	size_t inflight;
	uint64_t last_answer_ms; /* see dg_upstream_last_answer() */
	uint8_t ids[ID_POOL];
	size_t ids_left;
	/* Ready UDP sockets for IPv4 and IPv6 servers, spent attempts, and
	 * fetches done with (linked by chain), kept for the next ones. */
	struct attempt *ready[2], *spent;
	size_t n_ready[2], n_spent;
	struct fetch *spare_fetches;
	size_t n_spare_fetches;
	bool wants[2]; /* a plain server of that family is configured */
	uv_check_t refill;
	size_t alive; /* attempts, and the refill handle until closed */
	uint8_t udp_buf[DG_WIRE_MAX];
	/* Every answer is parsed here, handed to the waiters, and done
	 * with before the next: its buffers serve every fetch. */
	struct dg_response resp;
	bool closing;
};

static uint16_t next_id(struct dg_upstream *up)
{
	/* uv_random without a callback is synchronous: getrandom(2). A
	 * failure leaves the pool as it was, still unpredictable enough
	 * to move on rather than stop answering. */
	if (up->ids_left < 2) {
		if (uv_random(NULL, NULL, up->ids, sizeof(up->ids), 0, NULL) != 0)
			up->ids[0] ^= (uint8_t)uv_hrtime();
		up->ids_left = sizeof(up->ids);
	}
	up->ids_left -= 2;
	return (uint16_t)(up->ids[up->ids_left] << 8 | up->ids[up->ids_left + 1]);
}

/* A dg_dot for each tls:// server, all trusting the same CAs. */
static int dots_new(struct dg_upstream *up,
		    const struct dg_upstream_config *cfg)
{
	const char *why = NULL;

	up->dots = calloc(cfg->n_servers ? cfg->n_servers : 1,
			  sizeof(*up->dots));
	if (up->dots == NULL)
		return DG_ENOMEM;
	for (size_t i = 0; cfg->tls_names != NULL && i < cfg->n_servers; i++) {
		if (cfg->tls_names[i] == NULL)
			continue;
		if (up->creds == NULL &&
		    dg_dot_creds_new(cfg->tls_ca_file, &up->creds, &why) != 0) {
			dg_log(DG_LOG_ERR, "upstream: TLS CAs (%s): %s",
			       cfg->tls_ca_file ? cfg->tls_ca_file : "system",
			       why);
			return DG_ECONFIG;
		}
		up->dots[i] = dg_dot_new(up->loop, &cfg->servers[i],
					 cfg->tls_names[i], up->creds);
		if (up->dots[i] == NULL)
			return DG_ENOMEM;
	}
	return 0;
}

static struct fetch **table_slot(struct dg_upstream *up, const uint8_t *qname,
				 uint16_t qtype, uint16_t qclass, uint32_t h)
{
	struct fetch **slot = &up->table[h & up->mask];

	for (; *slot != NULL; slot = &(*slot)->chain) {
		struct fetch *f = *slot;

		if (f->hash == h && f->qtype == qtype && f->qclass == qclass &&
		    dg_name_equal(f->qname, qname))
			break;
	}
	return slot;
}

/* One of the things the upstream waits for before it is freed is gone. */
static void upstream_release(struct dg_upstream *up);

static void on_timer_closed(uv_handle_t *handle)
{
	struct attempt *a = handle->data;
	struct dg_upstream *up = a->up;

	free(a->reply);
	free(a);
	upstream_release(up);
}

/* The attempt has no handle open: keep it for the next socket, unless
 * enough are kept or the upstream is closing. */
static void attempt_spent(struct attempt *a)
{
	struct dg_upstream *up = a->up;

	if (up->closing || up->n_spent >= SPARE_MAX) {
		uv_close((uv_handle_t *)&a->timer, on_timer_closed);
		return;
	}
	a->next = up->spent;
	up->spent = a;
	up->n_spent++;
}

static void on_handle_closed(uv_handle_t *handle)
{
	struct attempt *a = handle->data;

	attempt_spent(a);
}

/* An attempt without a handle: a spent one, or a new one. NULL: OOM. */
static struct attempt *attempt_get(struct dg_upstream *up)
{
	struct attempt *a = up->spent;

	if (a != NULL) {
		up->spent = a->next;
		up->n_spent--;
		a->next = NULL;
		return a;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->up = up;
	uv_timer_init(up->loop, &a->timer);
	a->timer.data = a;
	up->alive++;
	return a;
}

static void on_udp_alloc(uv_handle_t *handle, size_t suggested,
			 uv_buf_t *buf);
static void on_udp_recv(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *from, unsigned flags);

/* A fresh UDP socket of `family` on a, already reading: nothing arrives
 * before connect(2) gives it a port. On error a is no longer the
 * caller's. @return 0 or a libuv error. */
static int attempt_open_udp(struct attempt *a, int family)
{
	int rc = uv_udp_init_ex(a->up->loop, &a->h.udp, (unsigned)family);

	if (rc != 0) {
		attempt_spent(a);
		return rc;
	}
	a->h.handle.data = a;
	rc = uv_udp_recv_start(&a->h.udp, on_udp_alloc, on_udp_recv);
	if (rc != 0)
		uv_close(&a->h.handle, on_handle_closed);
	return rc;
}

static size_t family_index(int family)
{
	return family == AF_INET6;
}

/* Top the pools up: run in the check phase, after a wakeup's callbacks. */
static void on_refill(uv_check_t *check)
{
	struct dg_upstream *up = check->data;

	for (size_t i = 0; i < 2; i++) {
		while (up->wants[i] && up->n_ready[i] < DG_UPSTREAM_POOL) {
			struct attempt *a = attempt_get(up);

			/* Out of memory or descriptors: the next wakeup
			 * tries again, and a miss makes its own socket. */
			if (a == NULL ||
			    attempt_open_udp(a, i ? AF_INET6 : AF_INET) != 0)
				return;
			a->next = up->ready[i];
			up->ready[i] = a;
			up->n_ready[i]++;
		}
	}
}

/* A ready UDP socket for a server of `family`, or one made now when the
 * pool ran dry. NULL: none could be made. */
static struct attempt *pool_take(struct dg_upstream *up, int family)
{
	size_t i = family_index(family);
	struct attempt *a = up->ready[i];

	if (a != NULL) {
		up->ready[i] = a->next;
		up->n_ready[i]--;
		a->next = NULL;
		return a;
	}
	a = attempt_get(up);
	if (a == NULL || attempt_open_udp(a, family) != 0)
		return NULL;
	return a;
}

/* Detach the attempt from its fetch and close its socket: the socket
 * served this attempt alone. */
static void attempt_end(struct attempt *a)
{
	a->fetch->att = NULL;
	a->fetch = NULL;
	uv_timer_stop(&a->timer);
	if (a->tls) {
		dg_dot_cancel(&a->dq);
		attempt_spent(a);
	} else {
		uv_close(&a->h.handle, on_handle_closed);
	}
}

struct dg_upstream *dg_upstream_new(uv_loop_t *loop,
				    const struct dg_upstream_config *cfg)
{
	struct dg_upstream *up = calloc(1, sizeof(*up));
	size_t n = 16;

	if (up == NULL)
		return NULL;
	up->loop = loop;
	up->cfg = *cfg;
	up->servers = calloc(cfg->n_servers ? cfg->n_servers : 1,
			     sizeof(*up->servers));
	while (n < cfg->max_inflight && n < ((size_t)1 << 24))
		n *= 2;
	up->counters = calloc(cfg->n_servers ? cfg->n_servers : 1,
			      sizeof(*up->counters));
	up->table = calloc(n, sizeof(*up->table));
	if (up->servers == NULL || up->counters == NULL || up->table == NULL) {
		free(up->servers);
		free(up->counters);
		free(up->table);
		free(up);
		return NULL;
	}
	memcpy(up->servers, cfg->servers, cfg->n_servers * sizeof(*up->servers));
	up->cfg.servers = up->servers;
	up->cfg.tls_names = NULL;
	up->cfg.tls_ca_file = NULL;
	up->mask = n - 1;
	for (size_t i = 0; i < cfg->n_servers; i++)
		if (cfg->tls_names == NULL || cfg->tls_names[i] == NULL)
			up->wants[family_index(cfg->servers[i].u.sa.sa_family)] =
				true;
	uv_check_init(loop, &up->refill);
	up->refill.data = up;
	up->alive = 1;
	/* The refill never keeps the loop running on its own. */
	uv_unref((uv_handle_t *)&up->refill);
	if (uv_check_start(&up->refill, on_refill) != 0 ||
	    dots_new(up, cfg) != 0) {
		dg_upstream_close(up);
		return NULL;
	}
	/* Filled now, not at the first check phase, which waits for the
	 * loop's first event: the first misses find their sockets too. */
	on_refill(&up->refill);
	return up;
}

/* A zeroed fetch: a spare one, or a new one. NULL: OOM. */
static struct fetch *fetch_get(struct dg_upstream *up)
{
	struct fetch *f = up->spare_fetches;

	if (f == NULL)
		return calloc(1, sizeof(*f));
	up->spare_fetches = f->chain;
	up->n_spare_fetches--;
	memset(f, 0, sizeof(*f));
	return f;
}

static void fetch_put(struct dg_upstream *up, struct fetch *f)
{
	if (up->closing || up->n_spare_fetches >= SPARE_MAX) {
		free(f);
		return;
	}
	f->chain = up->spare_fetches;
	up->spare_fetches = f;
	up->n_spare_fetches++;
}

/* Hand the result to every waiter, then forget the fetch. resp (NULL on
 * failure) is the caller's, read by each waiter in turn. */
static void fetch_finish(struct fetch *f, int status,
			 const struct dg_response *resp)
{
	struct dg_upstream *up = f->up;
	struct fetch **slot = table_slot(up, f->qname, f->qtype, f->qclass,
					 f->hash);
	struct dg_fetch_waiter *w = f->waiters;
	uint64_t elapsed = uv_now(up->loop) - f->start_ms;

	/* Unlink first: a callback may start a fetch for the same key. */
	*slot = f->chain;
	up->inflight--;
	if (f->att != NULL)
		attempt_end(f->att);
	while (w != NULL) {
		struct dg_fetch_waiter *next = w->next;

		w->fetch = NULL;
		w->next = NULL;
		w->server = status == UV_ECANCELED ? NULL
						   : &up->servers[f->server];
		w->fetch_ms = elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t)elapsed;
		w->cb(w, status, resp);
		w = next;
	}
	fetch_put(up, f);
}

static int attempt_start(struct fetch *f, bool tcp);

/* f->server set to the server at f->pos of its set; false past the end,
 * where f->server stays the last one tried. */
static bool at_server(struct fetch *f)
{
	const struct dg_server_sets *s = f->up->cfg.sets;
	size_t i = s->start[f->set] + f->pos;

	if (i >= s->start[f->set + 1])
		return false;
	f->server = s->order[i];
	return true;
}

/* With no attempt open: try the servers after this one, or give up. */
static void next_server(struct fetch *f)
{
	for (f->pos++; at_server(f); f->pos++)
		if (attempt_start(f, false) == 0)
			return;
	fetch_finish(f, f->last_error, NULL);
}

/* This server is given up on: try the next. */
static void attempt_given_up(struct fetch *f, int error)
{
	attempt_end(f->att);
	f->last_error = error;
	next_server(f);
}

/* This server failed: it refused, answered garbage, or the socket did. */
static void attempt_failed(struct fetch *f, int error)
{
	f->up->counters[f->server].failures++;
	attempt_given_up(f, error);
}

/*
 * An answer that matched: check it. A malformed one, or one that refuses
 * (SERVFAIL, REFUSED, …), counts as this server failing; whatever it
 * says, the server is there, which is all readiness asks.
 */
static void attempt_answered(struct fetch *f, const uint8_t *pkt, size_t len)
{
	struct dg_response *resp = &f->up->resp;

	f->up->last_answer_ms = dg_clock_ms();
	if (!f->att->tcp && !f->att->tls && dg_wire_truncated(pkt, len)) {
		/* RFC 7766 5: the same server, over TCP. */
		attempt_end(f->att);
		if (attempt_start(f, true) != 0) {
			f->last_error = DG_EMISMATCH;
			next_server(f);
		}
		return;
	}
	if (dg_response_parse(pkt, len, resp) != 0) {
		attempt_failed(f, DG_EMISMATCH);
		return;
	}
	f->up->counters[f->server].answers++;
	dg_metrics_count_latency(&f->up->counters[f->server],
				 uv_now(f->up->loop) - f->att->sent_ms);
	fetch_finish(f, 0, resp);
}

static void on_timeout(uv_timer_t *timer)
{
	struct attempt *a = dg_container_of(timer, struct attempt, timer);

	if (a->fetch != NULL) {
		a->fetch->up->counters[a->fetch->server].timeouts++;
		attempt_given_up(a->fetch, DG_ETIMEOUT);
	}
}

static void on_udp_alloc(uv_handle_t *handle, size_t suggested,
			 uv_buf_t *buf)
{
	struct attempt *a = handle->data;
	struct dg_upstream *up = a->fetch ? a->fetch->up : NULL;

	if (up == NULL) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)up->udp_buf, sizeof(up->udp_buf));
}

static void on_udp_recv(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *from, unsigned flags)
{
	struct attempt *a = udp->data;
	struct fetch *f = a->fetch;

	if (f == NULL || nread == 0)
		return;
	if (nread < 0) {
		/* ICMP port unreachable on a connected socket: this server is
		 * not there, no need to wait out the timer. */
		attempt_failed(f, DG_ETIMEOUT);
		return;
	}
	if (flags & UV_UDP_PARTIAL)
		return;
	if (dg_wire_match_response((const uint8_t *)buf->base, (size_t)nread,
				   f->id, f->qname, f->qtype, f->qclass) != 0)
		return; /* not ours: keep waiting (spoofing, late answers) */
	attempt_answered(f, (const uint8_t *)buf->base, (size_t)nread);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	struct attempt *a = req->handle->data;

	if (status < 0 && status != UV_ECANCELED && a->fetch != NULL)
		attempt_failed(a->fetch, DG_ETIMEOUT);
}

static void on_tcp_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct attempt *a = handle->data;
	size_t want = 2;

	if (a->reply_len >= 2)
		want = 2 + (size_t)(a->reply[0] << 8 | a->reply[1]);
	if (dg_grow(&a->reply, &a->reply_cap, want, 1) != 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)a->reply + a->reply_len,
			   (unsigned)(want - a->reply_len));
}

static void on_tcp_read(uv_stream_t *stream, ssize_t nread,
			const uv_buf_t *buf)
{
	struct attempt *a = stream->data;
	struct fetch *f = a->fetch;
	size_t need;

	if (f == NULL)
		return;
	if (nread < 0 || (nread == 0 && buf->base == NULL)) {
		attempt_failed(f, DG_ETIMEOUT);
		return;
	}
	a->reply_len += (size_t)nread;
	if (a->reply_len < 2)
		return;
	need = 2 + (size_t)(a->reply[0] << 8 | a->reply[1]);
	if (a->reply_len < need)
		return;
	/* One question, one answer: anything else on this stream is a
	 * broken server. */
	if (dg_wire_match_response(a->reply + 2, need - 2, f->id, f->qname,
				   f->qtype, f->qclass) != 0) {
		attempt_failed(f, DG_EMISMATCH);
		return;
	}
	attempt_answered(f, a->reply + 2, need - 2);
}

static void on_tcp_written(uv_write_t *req, int status)
{
	struct attempt *a = req->handle->data;

	if (status < 0 && status != UV_ECANCELED && a->fetch != NULL)
		attempt_failed(a->fetch, DG_ETIMEOUT);
}

static void on_tcp_connected(uv_connect_t *req, int status)
{
	struct attempt *a = req->handle->data;
	uv_buf_t buf;

	if (a->fetch == NULL)
		return;
	if (status < 0) {
		attempt_failed(a->fetch, DG_ETIMEOUT);
		return;
	}
	buf = uv_buf_init((char *)a->query, (unsigned)(a->query_len + 2));
	if (uv_write(&a->write, (uv_stream_t *)&a->h.tcp, &buf, 1,
		     on_tcp_written) != 0 ||
	    uv_read_start((uv_stream_t *)&a->h.tcp, on_tcp_alloc,
			  on_tcp_read) != 0) {
		attempt_failed(a->fetch, DG_ETIMEOUT);
		return;
	}
}

static void on_dot_answer(struct dg_dot_query *q, int status,
			  const uint8_t *pkt, size_t len)
{
	struct attempt *a = dg_container_of(q, struct attempt, dq);

	if (a->fetch == NULL)
		return;
	if (status != 0)
		attempt_failed(a->fetch, status);
	else
		attempt_answered(a->fetch, pkt, len);
}

/* The query, on the server's TLS connection (opened if need be). */
static int dot_send(struct attempt *a, struct dg_dot *dot)
{
	struct fetch *f = a->fetch;

	a->dq.msg = a->query;
	a->dq.len = a->query_len + 2;
	a->dq.qname = f->qname;
	a->dq.id = f->id;
	a->dq.qtype = f->qtype;
	a->dq.qclass = f->qclass;
	a->dq.cb = on_dot_answer;
	return dg_dot_send(dot, &a->dq);
}

static int udp_send(struct attempt *a)
{
	uv_buf_t buf = uv_buf_init((char *)a->query + 2, (unsigned)a->query_len);
	int rc = uv_udp_try_send(&a->h.udp, &buf, 1, NULL);

	if (rc == UV_EAGAIN)
		rc = uv_udp_send(&a->send, &a->h.udp, &buf, 1, NULL, on_udp_sent);
	else if (rc > 0)
		rc = 0;
	return rc;
}

/* A new attempt at f->server: a pooled UDP socket, a TCP connection or
 * a query on the server's TLS connection. 0 or a libuv error. */
static int attempt_start(struct fetch *f, bool tcp)
{
	struct dg_upstream *up = f->up;
	const struct dg_addr *server = &up->servers[f->server];
	struct dg_dot *dot = up->dots[f->server];
	int family = server->u.sa.sa_family;
	struct attempt *a;
	int rc = 0;

	a = dot == NULL && !tcp ? pool_take(up, family) : attempt_get(up);
	if (a == NULL)
		return UV_ENOMEM;
	a->tcp = tcp;
	a->tls = dot != NULL;
	a->reply_len = 0;
	f->id = next_id(up);
	a->query_len = dg_wire_build_upstream_query(f->qname, f->qtype,
						    f->qclass, f->id,
						    a->query + 2, QUERY_MAX);
	a->query[0] = (uint8_t)(a->query_len >> 8);
	a->query[1] = (uint8_t)a->query_len;
	if (tcp && !a->tls) {
		rc = uv_tcp_init_ex(up->loop, &a->h.tcp, (unsigned)family);
		if (rc != 0) {
			attempt_spent(a);
			return rc;
		}
		a->h.handle.data = a;
	}
	a->fetch = f;
	f->att = a;
	if (a->tls) {
		rc = dot_send(a, dot);
	} else if (tcp) {
		rc = uv_tcp_connect(&a->connect, &a->h.tcp, &server->u.sa,
				    on_tcp_connected);
	} else {
		/* connect(2) picks the random port, and from then on the
		 * kernel drops datagrams from anyone but the server. */
		rc = uv_udp_connect(&a->h.udp, &server->u.sa);
		if (rc == 0)
			rc = udp_send(a);
	}
	if (rc == 0)
		rc = uv_timer_start(&a->timer, on_timeout, up->cfg.timeout_ms, 0);
	if (rc != 0) {
		attempt_end(a);
		return rc;
	}
	a->sent_ms = uv_now(up->loop);
	up->counters[f->server].queries++;
	return 0;
}

/* The first attempt: the first server that takes a socket. Nothing here
 * calls back, so no waiter's callback runs inside dg_fetch_start(). */
static int fetch_begin(struct fetch *f)
{
	for (; at_server(f); f->pos++)
		if (attempt_start(f, false) == 0)
			return 0;
	return DG_ETIMEOUT;
}

int dg_fetch_start(struct dg_upstream *up, size_t set, const uint8_t *qname,
		   uint16_t qtype, uint16_t qclass, uint32_t h,
		   struct dg_fetch_waiter *w)
{
	struct fetch **slot = table_slot(up, qname, qtype, qclass, h);
	struct fetch *f = *slot;

	if (up->closing)
		return DG_EBUSY;
	if (f != NULL) {
		w->fetch = f;
		w->next = f->waiters;
		f->waiters = w;
		return 0;
	}
	if (up->inflight >= up->cfg.max_inflight ||
	    set >= up->cfg.sets->n_sets ||
	    up->cfg.sets->start[set] == up->cfg.sets->start[set + 1])
		return DG_EBUSY;
	f = fetch_get(up);
	if (f == NULL)
		return DG_ENOMEM;
	f->up = up;
	f->set = set;
	f->hash = h;
	f->qtype = qtype;
	f->qclass = qclass;
	dg_name_lower(f->qname, qname);
	f->last_error = DG_ETIMEOUT;
	f->start_ms = uv_now(up->loop);
	if (fetch_begin(f) != 0) {
		fetch_put(up, f);
		return DG_EBUSY;
	}
	f->chain = *slot;
	*slot = f;
	up->inflight++;
	w->fetch = f;
	w->next = NULL;
	f->waiters = w;
	return 0;
}

const struct dg_upstream_counters *dg_upstream_counters(
	const struct dg_upstream *up)
{
	return up->counters;
}

size_t dg_upstream_inflight(const struct dg_upstream *up)
{
	return up->inflight;
}

uint64_t dg_upstream_last_answer(const struct dg_upstream *up)
{
	return up->last_answer_ms;
}

static void upstream_release(struct dg_upstream *up)
{
	if (--up->alive > 0 || !up->closing)
		return;
	dg_response_free(&up->resp);
	free(up->table);
	free(up->servers);
	free(up->counters);
	free(up);
}

static void on_refill_closed(uv_handle_t *handle)
{
	upstream_release(handle->data);
}

void dg_upstream_close(struct dg_upstream *up)
{
	up->closing = true;
	for (size_t i = 0; i <= up->mask; i++)
		while (up->table[i] != NULL)
			fetch_finish(up->table[i], UV_ECANCELED, NULL);
	for (size_t i = 0; i < 2; i++) {
		while (up->ready[i] != NULL) {
			struct attempt *a = up->ready[i];

			up->ready[i] = a->next;
			uv_close(&a->h.handle, on_handle_closed);
		}
		up->n_ready[i] = 0;
	}
	while (up->spent != NULL) {
		struct attempt *a = up->spent;

		up->spent = a->next;
		uv_close((uv_handle_t *)&a->timer, on_timer_closed);
	}
	up->n_spent = 0;
	while (up->spare_fetches != NULL) {
		struct fetch *f = up->spare_fetches;

		up->spare_fetches = f->chain;
		free(f);
	}
	up->n_spare_fetches = 0;
	for (size_t i = 0; up->dots != NULL && i < up->cfg.n_servers; i++)
		dg_dot_close(up->dots[i]);
	dg_dot_creds_free(up->creds);
	free(up->dots);
	up->dots = NULL;
	uv_close((uv_handle_t *)&up->refill, on_refill_closed);
}
