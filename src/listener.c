/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * listener: client sockets and TCP connections. See listener.h.
 *
 * Lifetimes: the listener counts its open handles and frees itself after
 * the last close callback. A TCP connection holds one reference for being
 * open (dropped when both its handles closed) and one per query in flight;
 * the last reference frees it.
 */
#include "listener.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/filter.h>

#include "wire.h"

#define TCP_READ_CHUNK 4096
/* libuv's recvmmsg takes one 64 KiB slice of the buffer per datagram, and
 * at most 20 at a time (1.44's UV__MMSG_MAXWIDTH). Pages the kernel never
 * writes are never made resident, so the 1.25 MiB cost little RSS. */
#define UDP_SLICE 65536
#define UDP_BATCH 20
/* Answers to one batch wait here for one sendmmsg; a larger one (up to
 * [server] max_udp_size) goes out alone. */
#define UDP_REPLY_SLOT 1232

struct socket_pair {
	struct dg_listener *owner;
	uv_udp_t udp;
	uv_tcp_t tcp;
	bool accept_pending; /* a connection waits: we were at the cap */
};

/* Answers to the datagrams of one recvmmsg, sent by one sendmmsg when
 * libuv says the batch is over (a callback without an address). */
struct reply_batch {
	uv_udp_t *udp; /* the socket of the batch being read; NULL: none */
	unsigned n;
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct dg_addr to[UDP_BATCH];
	uint8_t data[UDP_BATCH][UDP_REPLY_SLOT];
};

struct dg_listener {
	uv_loop_t *loop;
	struct dg_listener_config cfg;
	struct socket_pair *pairs;
	size_t n_pairs;
	struct tcp_conn *conns; /* open connections */
	size_t n_conns;
	size_t open_handles;
	bool closing;
	uint8_t *udp_buf; /* UDP_BATCH slices */
	struct reply_batch batch;
};

struct tcp_conn {
	struct dg_listener *owner; /* NULL once the listener is gone */
	struct tcp_conn *prev, *next;
	uv_tcp_t tcp;
	uv_timer_t idle;
	unsigned refs;
	unsigned inflight;
	int open_handles;
	bool closing;
	bool reading;
	bool delivering; /* inside conn_deliver: a nested call must not run */
	struct dg_addr peer;
	uint8_t *buf; /* bytes read and not yet framed */
	size_t len, cap;
};

struct udp_send {
	uv_udp_send_t req;
	size_t len;
	uint8_t data[];
};

struct tcp_write {
	uv_write_t req;
	uint8_t data[];
};

static void listener_free(struct dg_listener *l)
{
	free(l->udp_buf);
	free(l->pairs);
	free(l);
}

static void on_listener_handle_closed(uv_handle_t *handle)
{
	struct socket_pair *p = handle->data;
	struct dg_listener *l = p->owner;

	if (--l->open_handles == 0)
		listener_free(l);
}

static void conn_unref(struct tcp_conn *c)
{
	if (--c->refs == 0) {
		free(c->buf);
		free(c);
	}
}

static void on_conn_handle_closed(uv_handle_t *handle)
{
	struct tcp_conn *c = handle->data;

	if (--c->open_handles == 0)
		conn_unref(c);
}

static void try_accept(struct socket_pair *p);

/* Close a connection: unlink it, close its handles, maybe accept another. */
static void conn_close(struct tcp_conn *c)
{
	struct dg_listener *l = c->owner;

	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->idle, on_conn_handle_closed);
	if (l == NULL)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	l->n_conns--;
	c->owner = NULL;
	/* A slot is free: take a connection that waited at the cap. */
	for (size_t i = 0; i < l->n_pairs && !l->closing; i++)
		if (l->pairs[i].accept_pending)
			try_accept(&l->pairs[i]);
}

static void on_idle(uv_timer_t *timer)
{
	struct tcp_conn *c = dg_container_of(timer, struct tcp_conn, idle);

	/* A connection waiting on answers is not idle: the upstream timeout
	 * bounds that wait, not this timer. */
	if (c->inflight > 0)
		return;
	conn_close(c);
}

static void idle_restart(struct tcp_conn *c)
{
	struct dg_listener *l = c->owner;

	if (l != NULL && !c->closing)
		uv_timer_start(&c->idle, on_idle, l->cfg.tcp_idle_timeout_ms,
			       l->cfg.tcp_idle_timeout_ms);
}

static void on_conn_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct tcp_conn *c = handle->data;
	size_t want = c->len + TCP_READ_CHUNK;

	if (c->len >= 2) {
		size_t frame = 2 + (size_t)(c->buf[0] << 8 | c->buf[1]);

		if (frame > c->len && frame - c->len > TCP_READ_CHUNK)
			want = frame;
	}
	if (dg_grow(&c->buf, &c->cap, want, 1) != 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void conn_read_start(struct tcp_conn *c);
static void conn_read_stop(struct tcp_conn *c);

/*
 * Hand every whole frame to the server, up to the pipeline cap; at the cap,
 * stop reading. The caller holds a reference, so a close from a callback
 * cannot free c. A query answered at once may release its client from
 * inside the callback, which calls back here: the outer loop is already
 * walking the buffer, so the nested call returns at once.
 */
static void conn_deliver(struct tcp_conn *c)
{
	size_t pos = 0;

	if (c->delivering)
		return;
	c->delivering = true;
	while (!c->closing && c->owner != NULL && c->len - pos >= 2) {
		struct dg_listener *l = c->owner;
		size_t frame = (size_t)(c->buf[pos] << 8 | c->buf[pos + 1]);
		struct dg_client client = {
			.transport = DG_TRANSPORT_TCP,
			.addr = c->peer,
			.conn = c,
		};

		if (c->inflight >= l->cfg.max_tcp_pipeline) {
			conn_read_stop(c);
			break;
		}
		if (c->len - pos - 2 < frame)
			break;
		pos += 2 + frame;
		/* An empty frame holds no message; skip it (RFC 7766 8
		 * leaves it to the server). */
		if (frame == 0)
			continue;
		/* The server holds the client (dg_client_hold) if it keeps
		 * the query; that is what counts against the cap. */
		l->cfg.on_message(l->cfg.arg, c->buf + pos - frame, frame,
				  &client);
	}
	if (pos > 0) {
		memmove(c->buf, c->buf + pos, c->len - pos);
		c->len -= pos;
	}
	c->delivering = false;
}

/* Below the cap: frame what is buffered, and read on if room is left. */
static void conn_resume(struct tcp_conn *c)
{
	conn_deliver(c);
	if (!c->closing && c->owner != NULL &&
	    c->inflight < c->owner->cfg.max_tcp_pipeline)
		conn_read_start(c);
}

static void on_conn_read(uv_stream_t *stream, ssize_t nread,
			 const uv_buf_t *buf)
{
	struct tcp_conn *c = stream->data;

	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	idle_restart(c);
	c->refs++; /* delivering may close the connection under us */
	conn_deliver(c);
	conn_unref(c);
}

static void conn_read_start(struct tcp_conn *c)
{
	if (c->reading || c->closing)
		return;
	if (uv_read_start((uv_stream_t *)&c->tcp, on_conn_alloc, on_conn_read) == 0)
		c->reading = true;
	else
		conn_close(c);
}

static void conn_read_stop(struct tcp_conn *c)
{
	if (!c->reading)
		return;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = false;
}

static void try_accept(struct socket_pair *p)
{
	struct dg_listener *l = p->owner;
	struct tcp_conn *c;
	int len;

	if (l->n_conns >= l->cfg.max_tcp_clients) {
		/* Leave it to libuv, which stops polling this socket until we
		 * accept; the kernel's backlog holds the rest. */
		p->accept_pending = true;
		return;
	}
	p->accept_pending = false;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		p->accept_pending = true;
		return;
	}
	uv_tcp_init(l->loop, &c->tcp);
	uv_timer_init(l->loop, &c->idle);
	c->tcp.data = c;
	c->idle.data = c;
	c->open_handles = 2;
	c->refs = 1;
	c->owner = l;
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
	l->n_conns++;
	if (uv_accept((uv_stream_t *)&p->tcp, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	len = sizeof(c->peer.u);
	if (uv_tcp_getpeername(&c->tcp, &c->peer.u.sa, &len) == 0)
		c->peer.len = (socklen_t)len;
	uv_tcp_nodelay(&c->tcp, 1);
	idle_restart(c);
	conn_read_start(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct socket_pair *p = server->data;

	if (status < 0 || p->owner->closing)
		return;
	try_accept(p);
}

static void on_udp_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct socket_pair *p = handle->data;

	*buf = uv_buf_init((char *)p->owner->udp_buf, UDP_SLICE * UDP_BATCH);
}

static void batch_flush(struct dg_listener *l);

static void on_udp_recv(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *from, unsigned flags)
{
	struct socket_pair *p = udp->data;
	struct dg_listener *l = p->owner;
	struct dg_client client = { .transport = DG_TRANSPORT_UDP, .udp = udp };

	/* No address: the end of a batch (UV_UDP_MMSG_FREE), or libuv's
	 * "nothing more to read"; either way the answers go now. */
	if (from == NULL) {
		batch_flush(l);
		return;
	}
	if (nread <= 0 || (flags & UV_UDP_PARTIAL) || l->closing)
		return;
	if ((flags & UV_UDP_MMSG_CHUNK) && l->batch.udp != udp) {
		batch_flush(l);
		l->batch.udp = udp;
	}
	if (from->sa_family == AF_INET) {
		memcpy(&client.addr.u.in4, from, sizeof(client.addr.u.in4));
		client.addr.len = sizeof(client.addr.u.in4);
	} else {
		memcpy(&client.addr.u.in6, from, sizeof(client.addr.u.in6));
		client.addr.len = sizeof(client.addr.u.in6);
	}
	l->cfg.on_message(l->cfg.arg, (const uint8_t *)buf->base, (size_t)nread,
			  &client);
}

/* SO_REUSEPORT, so several dnsgate processes may share a port. */
static int set_reuseport(uv_handle_t *h)
{
	uv_os_fd_t fd;
	int on = 1;

	if (uv_fileno(h, &fd) != 0)
		return UV_EINVAL;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0)
		return UV_EINVAL;
	return 0;
}

/*
 * With several workers, each binds its own socket to every address, and
 * the kernel picks one per datagram or connection. Its own pick hashes the
 * source port too, so a client asking from fresh ports would meet every
 * worker, each with a tunnel budget of its own. This program picks by the
 * client as the budget counts it (an IPv4 address, an IPv6 /64), so each
 * client meets one worker. The workers' sockets join each group in worker
 * order, so the index is the worker.
 */
static int steer_by_client(uv_handle_t *h, int family, unsigned workers)
{
	struct sock_filter v4[] = {
		/* A = source address */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter v6[] = {
		/* A = the source's /64, its two words folded */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 8),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = {
		.len = family == AF_INET6 ? DG_ARRAY_SIZE(v6) : DG_ARRAY_SIZE(v4),
		.filter = family == AF_INET6 ? v6 : v4,
	};
	uv_os_fd_t fd;

	if (workers < 2)
		return 0;
	if (uv_fileno(h, &fd) != 0)
		return UV_EINVAL;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
		       sizeof(prog)) != 0)
		return uv_translate_sys_error(errno);
	return 0;
}

static int pair_open(struct dg_listener *l, struct socket_pair *p,
		     const struct dg_addr *a)
{
	int family = a->u.sa.sa_family;
	bool v6 = family == AF_INET6;
	int rc;

	p->owner = l;
	rc = uv_udp_init_ex(l->loop, &p->udp, (unsigned)family | UV_UDP_RECVMMSG);
	if (rc != 0)
		return rc;
	p->udp.data = p;
	l->open_handles++;
	rc = uv_tcp_init_ex(l->loop, &p->tcp, (unsigned)family);
	if (rc != 0)
		return rc;
	p->tcp.data = p;
	l->open_handles++;
	if ((rc = set_reuseport((uv_handle_t *)&p->udp)) != 0 ||
	    (rc = uv_udp_bind(&p->udp, &a->u.sa, v6 ? UV_UDP_IPV6ONLY : 0)) != 0 ||
	    (rc = steer_by_client((uv_handle_t *)&p->udp, family,
				  l->cfg.workers)) != 0 ||
	    (rc = uv_udp_recv_start(&p->udp, on_udp_alloc, on_udp_recv)) != 0 ||
	    (rc = set_reuseport((uv_handle_t *)&p->tcp)) != 0 ||
	    (rc = uv_tcp_bind(&p->tcp, &a->u.sa, v6 ? UV_TCP_IPV6ONLY : 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&p->tcp, 128, on_connection)) != 0 ||
	    (rc = steer_by_client((uv_handle_t *)&p->tcp, family,
				  l->cfg.workers)) != 0)
		return rc;
	return 0;
}

int dg_listener_open(uv_loop_t *loop, const struct dg_listener_config *cfg,
		     struct dg_listener **out, const struct dg_addr **failed)
{
	struct dg_listener *l = calloc(1, sizeof(*l));
	int rc = 0;

	if (l == NULL)
		return UV_ENOMEM;
	l->loop = loop;
	l->cfg = *cfg;
	l->cfg.addrs = NULL;
	l->pairs = calloc(cfg->n_addrs ? cfg->n_addrs : 1, sizeof(*l->pairs));
	l->udp_buf = malloc(UDP_SLICE * UDP_BATCH);
	if (l->pairs == NULL || l->udp_buf == NULL) {
		listener_free(l);
		return UV_ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_addrs; i++) {
		rc = pair_open(l, &l->pairs[i], &cfg->addrs[i]);
		l->n_pairs = i + 1;
		if (rc != 0) {
			*failed = &cfg->addrs[i];
			break;
		}
	}
	if (rc != 0) {
		dg_listener_close(l);
		return rc;
	}
	*out = l;
	return 0;
}

size_t dg_listener_tcp_count(const struct dg_listener *l)
{
	return l->n_conns;
}

void dg_listener_close(struct dg_listener *l)
{
	l->closing = true;
	while (l->conns != NULL)
		conn_close(l->conns);
	if (l->open_handles == 0) {
		listener_free(l);
		return;
	}
	for (size_t i = 0; i < l->n_pairs; i++) {
		struct socket_pair *p = &l->pairs[i];

		if (p->udp.data != NULL)
			uv_close((uv_handle_t *)&p->udp, on_listener_handle_closed);
		if (p->tcp.data != NULL)
			uv_close((uv_handle_t *)&p->tcp, on_listener_handle_closed);
	}
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	free(dg_container_of(req, struct udp_send, req));
}

static void on_tcp_written(uv_write_t *req, int status)
{
	struct tcp_write *w = dg_container_of(req, struct tcp_write, req);
	struct tcp_conn *c = req->handle->data;

	if (status < 0 && status != UV_ECANCELED)
		conn_close(c);
	free(w);
}

/* The socket is full: a copy waits in libuv's queue. */
static void udp_send_later(uv_udp_t *udp, const struct sockaddr *to,
			   const uint8_t *msg, size_t len)
{
	struct udp_send *s = malloc(sizeof(*s) + len);
	uv_buf_t buf;

	if (s == NULL)
		return;
	memcpy(s->data, msg, len);
	s->len = len;
	buf = uv_buf_init((char *)s->data, (unsigned)len);
	if (uv_udp_send(&s->req, udp, &buf, 1, to, on_udp_sent) != 0)
		free(s);
}

static void udp_send_now(uv_udp_t *udp, const struct sockaddr *to,
			 const uint8_t *msg, size_t len)
{
	uv_buf_t buf = uv_buf_init((char *)msg, (unsigned)len);

	/* Anything but EAGAIN: sent, or undeliverable (UDP may drop). */
	if (uv_udp_try_send(udp, &buf, 1, to) == UV_EAGAIN)
		udp_send_later(udp, to, msg, len);
}

/* Send the batch's answers with as few system calls as the socket
 * takes; a datagram the kernel refuses is dropped, as UDP may. */
static void batch_flush(struct dg_listener *l)
{
	struct reply_batch *b = &l->batch;
	unsigned i = 0;
	uv_os_fd_t fd;

	if (b->udp == NULL)
		return;
	if (b->n > 0 && !uv_is_closing((uv_handle_t *)b->udp) &&
	    uv_fileno((uv_handle_t *)b->udp, &fd) == 0) {
		while (i < b->n) {
			int sent = sendmmsg(fd, b->msgs + i, b->n - i,
					    MSG_DONTWAIT);

			if (sent > 0)
				i += (unsigned)sent;
			else if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			else if (errno != EINTR)
				i++;
		}
		for (; i < b->n; i++)
			udp_send_later(b->udp, &b->to[i].u.sa, b->data[i],
				       b->iov[i].iov_len);
	}
	b->n = 0;
	b->udp = NULL;
}

/* An answer to a datagram of the batch being read: keep it for one
 * sendmmsg. @return false when it must go on its own. */
static bool batch_add(struct dg_listener *l, const struct dg_client *c,
		      const uint8_t *msg, size_t len)
{
	struct reply_batch *b = &l->batch;
	unsigned i = b->n;

	if (b->udp != c->udp || len > UDP_REPLY_SLOT)
		return false;
	if (i == UDP_BATCH) {
		batch_flush(l);
		b->udp = c->udp;
		i = 0;
	}
	memcpy(b->data[i], msg, len);
	b->to[i] = c->addr;
	b->iov[i] = (struct iovec){ .iov_base = b->data[i], .iov_len = len };
	b->msgs[i] = (struct mmsghdr){ .msg_hdr = {
		.msg_name = &b->to[i].u.sa,
		.msg_namelen = b->to[i].len,
		.msg_iov = &b->iov[i],
		.msg_iovlen = 1,
	} };
	b->n++;
	return true;
}

void dg_listener_reply(const struct dg_client *c, const uint8_t *msg,
		       size_t len)
{
	if (c->transport == DG_TRANSPORT_UDP) {
		struct socket_pair *p = c->udp->data;

		if (uv_is_closing((uv_handle_t *)c->udp))
			return;
		if (!batch_add(p->owner, c, msg, len))
			udp_send_now(c->udp, &c->addr.u.sa, msg, len);
	} else {
		struct tcp_conn *conn = c->conn;
		struct tcp_write *w;
		uv_buf_t buf;

		if (conn->closing || len > DG_WIRE_MAX)
			return;
		w = malloc(sizeof(*w) + 2 + len);
		if (w == NULL)
			return;
		w->data[0] = (uint8_t)(len >> 8);
		w->data[1] = (uint8_t)len;
		memcpy(w->data + 2, msg, len);
		buf = uv_buf_init((char *)w->data, (unsigned)(len + 2));
		if (uv_write(&w->req, (uv_stream_t *)&conn->tcp, &buf, 1,
			     on_tcp_written) != 0) {
			free(w);
			conn_close(conn);
			return;
		}
		idle_restart(conn);
	}
}

void dg_client_hold(struct dg_client *dst, const struct dg_client *src)
{
	*dst = *src;
	if (src->transport == DG_TRANSPORT_TCP) {
		src->conn->refs++;
		src->conn->inflight++;
	}
}

void dg_client_release(struct dg_client *c)
{
	struct tcp_conn *conn = c->conn;

	if (c->transport != DG_TRANSPORT_TCP || conn == NULL)
		return;
	c->conn = NULL;
	conn->inflight--;
	/* Below the cap again. The query's reference, dropped last, keeps
	 * conn alive meanwhile. */
	if (!conn->closing && conn->owner != NULL && !conn->delivering &&
	    conn->inflight < conn->owner->cfg.max_tcp_pipeline)
		conn_resume(conn);
	conn_unref(conn);
}
