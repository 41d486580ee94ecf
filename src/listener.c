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
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/filter.h>

#include "list.h"
#include "wire.h"

#define TCP_READ_CHUNK 4096
/* Answers made while a read is delivered go out together, in one write
 * of at most this much (more is written as it fills). */
#define TCP_CORK_MAX 16384
/* Connections the kernel queues for us, each handshake done, while we do
 * not accept (at max_tcp_clients). */
#define TCP_BACKLOG 128
/* accept4 calls one wakeup makes at most, as UDP_ROUNDS, so that a flood
 * of connections leaves the rest of the loop its turn. */
#define ACCEPT_ROUNDS 32
/* Datagrams one recvmmsg takes, and answers one sendmmsg sends. */
#define UDP_BATCH 32
/* recvmmsg calls one wakeup makes at most, so that TCP clients and the
 * upstream answers get their turn under a flood. */
#define UDP_ROUNDS 8
/* A query is a header, a name and an OPT: a larger datagram is none we
 * answer, and is dropped (its tail never read). */
#define UDP_QUERY_MAX 4096
/* Answers to one batch wait here for one sendmmsg; a larger one (up to
 * [server] max_udp_size) goes out alone. */
#define UDP_REPLY_SLOT 1232
/* Answers waiting for room in a full socket buffer; past this they are
 * dropped, as UDP may, rather than queued without bound. */
#define UDP_PENDING_MAX 4096

struct udp_pending {
	struct udp_pending *next;
	struct dg_addr to;
	size_t len;
	uint8_t data[];
};

/*
 * A UDP socket read and written here, a batch at a time: libuv's poll
 * says when it is readable, and writable while answers wait for room.
 * (uv_udp_t reads one datagram a call, or with UV_UDP_RECVMMSG sets up
 * its 20 headers again every call and ends each wakeup with a read that
 * finds nothing: a third more instructions a query at a light load.)
 */
struct udp_socket {
	struct socket_pair *pair;
	uv_poll_t poll;
	uv_os_sock_t fd; /* -1: not open */
	struct udp_pending *pending, **pending_tail;
	size_t n_pending;
};

/*
 * A UDP socket and a TCP listening socket on one address. The listening
 * socket is ours, watched by a poll, not a uv_tcp_t: libuv accepts with no
 * address and leaves the peer to getpeername(), which fails for a
 * connection its client reset while it waited in the backlog. accept4()
 * names the peer even then (Linux fills it in whatever the socket's
 * state), so that is where we take it.
 */
struct socket_pair {
	struct dg_listener *owner;
	struct udp_socket udp;
	uv_poll_t tcp_poll;
	uv_os_sock_t tcp_fd; /* -1: not open */
	int family;          /* a peer of another family is no peer we know */
	bool accept_pending; /* a connection waits: we were at the cap */
};

/* The datagrams of one recvmmsg. The headers point into it for good:
 * only msg_namelen is set again before each call. */
struct recv_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct dg_addr from[UDP_BATCH];
	uint8_t data[UDP_BATCH][UDP_QUERY_MAX];
};

/* Answers to the datagrams of one recvmmsg, sent by one sendmmsg once
 * the batch is answered; or answers from the upstream, gathered while
 * the loop runs the callbacks of one wakeup and sent in its check phase
 * (each its own sendto was most of a miss's kernel time: a wakeup of
 * the client's process apiece). */
struct reply_batch {
	struct udp_socket *udp; /* the socket of the batch being read */
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
	/* Open connections, the most recently active first: at the cap the
	 * last one, idle the longest, makes room for a new one. */
	struct dg_list conns;
	size_t open_handles;
	bool closing;
	/* Given up when accept4() finds no descriptor left, so that what
	 * waits can be accepted and closed; -1: none held. */
	int spare_fd;
	uint64_t unknown_peers; /* connections closed: no peer address */
	/* Large, and allocated with the listener: calloc maps it fresh, and
	 * pages no datagram reached are never made resident. */
	struct recv_batch recv;
	struct reply_batch batch;
	uv_check_t flush; /* active while answers from the upstream wait */
};

struct tcp_conn {
	struct dg_listener *owner; /* NULL once the listener is gone */
	struct dg_list_node link; /* on the owner's conns */
	uv_tcp_t tcp;
	uv_timer_t idle;
	unsigned refs;
	unsigned inflight;
	int open_handles;
	bool closing;
	bool reading;
	bool delivering; /* inside conn_deliver: a nested call must not run */
	struct dg_addr peer;
	unsigned listener; /* the index of the socket that accepted it */
	uint8_t *buf; /* bytes read and not yet framed */
	size_t len, cap;
	/* Length-prefixed answers made while delivering, written at its
	 * end: one write(2) for a pipeline's worth, not one each. */
	uint8_t *out;
	size_t out_len, out_cap;
};

struct tcp_write {
	uv_write_t req;
	uint8_t data[];
};

static void listener_free(struct dg_listener *l)
{
	if (l->spare_fd >= 0)
		close(l->spare_fd);
	free(l->pairs);
	free(l);
}

/* A close callback of a listening socket's handle ran. */
static void listener_handle_gone(struct dg_listener *l)
{
	if (--l->open_handles == 0)
		listener_free(l);
}

static void on_tcp_listen_closed(uv_handle_t *handle)
{
	struct socket_pair *p = handle->data;

	close(p->tcp_fd);
	listener_handle_gone(p->owner);
}

static void conn_unref(struct tcp_conn *c)
{
	if (--c->refs == 0) {
		free(c->buf);
		free(c->out);
		free(c);
	}
}

static void on_conn_handle_closed(uv_handle_t *handle)
{
	struct tcp_conn *c = handle->data;

	if (--c->open_handles == 0)
		conn_unref(c);
}

static bool try_accept(struct socket_pair *p);

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
	dg_list_remove(&l->conns, &c->link);
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

/*
 * The connection did something useful: a whole query arrived, or an
 * answer went out. Only that restarts the idle timer, so a client that
 * trickles a byte at a time (slowloris) is closed when the timeout runs
 * out, however often it writes; and it moves the connection to the head
 * of the list, away from eviction.
 */
static void conn_active(struct tcp_conn *c)
{
	struct dg_listener *l = c->owner;

	if (l == NULL || c->closing)
		return;
	uv_timer_start(&c->idle, on_idle, l->cfg.tcp_idle_timeout_ms,
		       l->cfg.tcp_idle_timeout_ms);
	dg_list_move_front(&l->conns, &c->link);
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
static void conn_write(struct tcp_conn *c, const uint8_t *data, size_t len);

/* Write the answers held while delivering. A buffer grown past a read
 * chunk is not kept for the connection's life: 512 idle clients each
 * holding a full one would be 8 MiB. */
static void conn_flush(struct tcp_conn *c)
{
	if (c->out_len > 0 && !c->closing)
		conn_write(c, c->out, c->out_len);
	c->out_len = 0;
	if (c->out_cap > TCP_READ_CHUNK) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
}

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
	bool delivered = false;

	if (c->delivering)
		return;
	c->delivering = true;
	while (!c->closing && c->owner != NULL && c->len - pos >= 2) {
		struct dg_listener *l = c->owner;
		size_t frame = (size_t)(c->buf[pos] << 8 | c->buf[pos + 1]);
		struct dg_client client = {
			.transport = DG_TRANSPORT_TCP,
			.addr = c->peer,
			.listener = c->listener,
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
		delivered = true;
	}
	conn_flush(c);
	if (delivered)
		conn_active(c);
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

/*
 * At the cap, the connection idle the longest gives way to a new one, as
 * RFC 7766 6.2.3 lets a server close idle connections when it must: a
 * flood of connections that ask nothing cannot keep other clients out.
 * One with queries in flight is not idle; when every connection has some,
 * the new one waits in the kernel's backlog.
 */
static void evict_idlest(struct dg_listener *l)
{
	struct dg_list_node *n;

	dg_list_foreach_reverse(n, &l->conns) {
		struct tcp_conn *c = dg_list_entry(n, struct tcp_conn, link);

		if (c->inflight == 0) {
			conn_close(c);
			return;
		}
	}
}

static void on_tcp_listen_event(uv_poll_t *poll, int status, int events);

/* A connection waits in the backlog: the cap makes room only for one
 * that does. */
static bool backlog_waiting(uv_os_sock_t fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/*
 * Out of descriptors, accept4() fails and leaves the backlog readable, and
 * the loop would spin on it. As libuv does: give up the spare descriptor,
 * accept what waits and close it at once (its clients learn now rather
 * than time out), then take a spare again.
 */
static void shed_backlog(struct dg_listener *l, struct socket_pair *p)
{
	if (l->spare_fd < 0)
		return;
	close(l->spare_fd);
	for (unsigned i = 0; i < TCP_BACKLOG; i++) {
		int fd = accept4(p->tcp_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			close(fd);
		else if (errno != EINTR && errno != ECONNABORTED)
			break;
	}
	l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* accept4() named the peer: a whole address of the listener's family. */
static bool peer_known(const struct socket_pair *p, const struct dg_addr *a)
{
	socklen_t want = p->family == AF_INET6 ? sizeof(struct sockaddr_in6)
					       : sizeof(struct sockaddr_in);

	return a->len == want && a->u.sa.sa_family == p->family;
}

/*
 * Accept a connection, its peer read from accept4() itself. One whose peer
 * is not known is closed unread and counted: served, it would be a client
 * of no address, outside its group, with a budget of its own, and missing
 * from the log. So is one the kernel aborted because it could not name the
 * peer (ECONNABORTED, what Linux returns then).
 * @return the connection's socket; -EAGAIN when none waits (or the backlog
 * was shed); another -errno when this one is gone but more may wait.
 */
static int accept_peer(struct socket_pair *p, struct dg_addr *peer)
{
	struct dg_listener *l = p->owner;
	socklen_t len = sizeof(peer->u);
	int fd, err;

	fd = accept4(p->tcp_fd, &peer->u.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == EMFILE || err == ENFILE) {
			shed_backlog(l, p);
			return -EAGAIN;
		}
		if (err == ECONNABORTED)
			l->unknown_peers++;
		return -err;
	}
	peer->len = len;
	if (!peer_known(p, peer)) {
		close(fd);
		l->unknown_peers++;
		return -ECONNABORTED;
	}
	return fd;
}

/*
 * Take one connection from p's backlog. At the cap, one that waits takes
 * the place of the connection idle the longest; when none is idle, we stop
 * polling p until a slot frees, and the kernel's backlog holds the rest.
 * @return true when another may wait.
 */
static bool try_accept(struct socket_pair *p)
{
	struct dg_listener *l = p->owner;
	struct tcp_conn *c;
	int fd;

	/* Not pending while evicting: the close would take the slot for
	 * this socket's connection from inside this call. */
	p->accept_pending = false;
	if (l->conns.count >= l->cfg.max_tcp_clients) {
		if (!backlog_waiting(p->tcp_fd))
			return false;
		evict_idlest(l);
	}
	if (l->conns.count >= l->cfg.max_tcp_clients ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		p->accept_pending = true;
		uv_poll_stop(&p->tcp_poll);
		return false;
	}
	if (!uv_is_active((uv_handle_t *)&p->tcp_poll))
		uv_poll_start(&p->tcp_poll, UV_READABLE, on_tcp_listen_event);
	fd = accept_peer(p, &c->peer);
	if (fd < 0) {
		free(c);
		return fd != -EAGAIN;
	}
	uv_tcp_init(l->loop, &c->tcp);
	uv_timer_init(l->loop, &c->idle);
	c->tcp.data = c;
	c->idle.data = c;
	c->open_handles = 2;
	c->refs = 1;
	c->owner = l;
	c->listener = (unsigned)(p - l->pairs);
	dg_list_push_front(&l->conns, &c->link);
	if (uv_tcp_open(&c->tcp, fd) != 0) {
		close(fd);
		conn_close(c);
		return true;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	conn_active(c);
	conn_read_start(c);
	return true;
}

static void on_tcp_listen_event(uv_poll_t *poll, int status, int events)
{
	struct socket_pair *p = poll->data;

	if (status < 0)
		return;
	for (unsigned i = 0; i < ACCEPT_ROUNDS && !p->owner->closing; i++)
		if (!try_accept(p))
			return;
}

static void batch_flush(struct dg_listener *l);

/* Read what waits, a batch at a time, and answer each batch with one
 * sendmmsg. A batch that was not full emptied the socket: back to the
 * loop, which calls again when more arrives. */
static void udp_read(struct dg_listener *l, struct udp_socket *u)
{
	struct recv_batch *r = &l->recv;
	unsigned listener = (unsigned)(u->pair - l->pairs);

	/* Answers from the upstream waiting for the check phase go first:
	 * the batch is this socket's from here. */
	batch_flush(l);
	for (unsigned round = 0; round < UDP_ROUNDS && !l->closing; round++) {
		int n;

		for (unsigned i = 0; i < UDP_BATCH; i++)
			r->msgs[i].msg_hdr.msg_namelen = sizeof(r->from[i].u);
		n = recvmmsg(u->fd, r->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return; /* EAGAIN; an error is the kernel's to report once */
		l->batch.udp = u;
		for (int i = 0; i < n; i++) {
			const struct msghdr *h = &r->msgs[i].msg_hdr;
			struct dg_client client = { .transport = DG_TRANSPORT_UDP,
						    .listener = listener,
						    .udp = u };

			if ((h->msg_flags & MSG_TRUNC) || r->msgs[i].msg_len == 0)
				continue;
			client.addr = r->from[i];
			client.addr.len = h->msg_namelen;
			l->cfg.on_message(l->cfg.arg, r->data[i],
					  r->msgs[i].msg_len, &client);
		}
		batch_flush(l);
		if (n < UDP_BATCH)
			return;
	}
}

static void udp_send_pending(struct udp_socket *u);
static void on_udp_closed(uv_handle_t *handle);

static void on_udp_event(uv_poll_t *poll, int status, int events)
{
	struct udp_socket *u = poll->data;
	struct dg_listener *l = u->pair->owner;

	if (status < 0 || l->closing)
		return;
	if (events & UV_WRITABLE)
		udp_send_pending(u);
	if (events & UV_READABLE)
		udp_read(l, u);
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
static int steer_by_client(uv_os_fd_t fd, int family, unsigned workers)
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
	struct sock_fprog prog;

	if (workers < 2)
		return 0;
	/* Zeroed whole: the kernel copies the padding after len too. */
	memset(&prog, 0, sizeof(prog));
	prog.len = family == AF_INET6 ? DG_ARRAY_SIZE(v6) : DG_ARRAY_SIZE(v4);
	prog.filter = family == AF_INET6 ? v6 : v4;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
		       sizeof(prog)) != 0)
		return uv_translate_sys_error(errno);
	return 0;
}

/*
 * A socket of type bound to a, into *fd (the caller closes it, failed or
 * not): non-blocking, SO_REUSEPORT so that several dnsgate processes and
 * workers may share the port, IPv6 ones v6-only. TCP ones SO_REUSEADDR too,
 * as libuv sets it, so a restart binds while old connections linger.
 */
static int socket_bind(int type, const struct dg_addr *a, uv_os_sock_t *fd)
{
	int family = a->u.sa.sa_family, on = 1;

	*fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0 ||
	    setsockopt(*fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
	    (type == SOCK_STREAM &&
	     setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) ||
	    (family == AF_INET6 &&
	     setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
	    bind(*fd, &a->u.sa, a->len) != 0)
		return uv_translate_sys_error(errno);
	return 0;
}

static int udp_open(struct dg_listener *l, struct udp_socket *u,
		    const struct dg_addr *a)
{
	int rc;

	if ((rc = socket_bind(SOCK_DGRAM, a, &u->fd)) != 0 ||
	    (rc = steer_by_client(u->fd, a->u.sa.sa_family, l->cfg.workers)) != 0 ||
	    (rc = uv_poll_init_socket(l->loop, &u->poll, u->fd)) != 0)
		return rc;
	u->poll.data = u;
	l->open_handles++;
	return uv_poll_start(&u->poll, UV_READABLE, on_udp_event);
}

/* The TCP listening socket. Steered after listen(): that is when a TCP
 * socket joins its port's group. */
static int tcp_open(struct dg_listener *l, struct socket_pair *p,
		    const struct dg_addr *a)
{
	int rc;

	if ((rc = socket_bind(SOCK_STREAM, a, &p->tcp_fd)) != 0)
		return rc;
	if (listen(p->tcp_fd, TCP_BACKLOG) != 0)
		return uv_translate_sys_error(errno);
	if ((rc = steer_by_client(p->tcp_fd, p->family, l->cfg.workers)) != 0 ||
	    (rc = uv_poll_init_socket(l->loop, &p->tcp_poll, p->tcp_fd)) != 0)
		return rc;
	p->tcp_poll.data = p;
	l->open_handles++;
	return uv_poll_start(&p->tcp_poll, UV_READABLE, on_tcp_listen_event);
}

static int pair_open(struct dg_listener *l, struct socket_pair *p,
		     const struct dg_addr *a)
{
	int rc;

	p->owner = l;
	p->family = a->u.sa.sa_family;
	p->tcp_fd = -1;
	p->udp.pair = p;
	p->udp.fd = -1;
	p->udp.pending_tail = &p->udp.pending;
	if ((rc = udp_open(l, &p->udp, a)) != 0)
		return rc;
	return tcp_open(l, p, a);
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
	l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	l->pairs = calloc(cfg->n_addrs ? cfg->n_addrs : 1, sizeof(*l->pairs));
	if (l->pairs == NULL) {
		listener_free(l);
		return UV_ENOMEM;
	}
	uv_check_init(loop, &l->flush);
	l->flush.data = l;
	l->open_handles++;
	for (size_t i = 0; i < UDP_BATCH; i++) {
		struct recv_batch *r = &l->recv;

		r->iov[i] = (struct iovec){ .iov_base = r->data[i],
					    .iov_len = UDP_QUERY_MAX };
		r->msgs[i].msg_hdr = (struct msghdr){
			.msg_name = &r->from[i].u,
			.msg_iov = &r->iov[i],
			.msg_iovlen = 1,
		};
	}
	/* pairs[i] is addrs[i]: the index a client's listener names. */
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
	return l->conns.count;
}

uint64_t dg_listener_unknown_peers(const struct dg_listener *l)
{
	return l->unknown_peers;
}

static void on_flush_closed(uv_handle_t *handle)
{
	listener_handle_gone(handle->data);
}

void dg_listener_close(struct dg_listener *l)
{
	/* Answers from the upstream still waiting go before the sockets. */
	batch_flush(l);
	uv_close((uv_handle_t *)&l->flush, on_flush_closed);
	l->closing = true;
	while (!dg_list_empty(&l->conns))
		conn_close(dg_list_entry(l->conns.first, struct tcp_conn, link));
	/* A socket whose handle was never made is closed here; the others
	 * in their handles' close callbacks. */
	for (size_t i = 0; i < l->n_pairs; i++) {
		struct socket_pair *p = &l->pairs[i];

		if (p->udp.poll.data != NULL)
			uv_close((uv_handle_t *)&p->udp.poll, on_udp_closed);
		else if (p->udp.fd >= 0)
			close(p->udp.fd);
		if (p->tcp_poll.data != NULL)
			uv_close((uv_handle_t *)&p->tcp_poll, on_tcp_listen_closed);
		else if (p->tcp_fd >= 0)
			close(p->tcp_fd);
	}
	if (l->open_handles == 0)
		listener_free(l);
}

static void on_tcp_written(uv_write_t *req, int status)
{
	struct tcp_write *w = dg_container_of(req, struct tcp_write, req);
	struct tcp_conn *c = req->handle->data;

	if (status < 0 && status != UV_ECANCELED)
		conn_close(c);
	free(w);
}

/* The socket buffer is full: a copy waits until libuv says there is
 * room. */
static void udp_send_later(struct udp_socket *u, const struct dg_addr *to,
			   const uint8_t *msg, size_t len)
{
	struct udp_pending *q;

	if (u->n_pending >= UDP_PENDING_MAX ||
	    (q = malloc(sizeof(*q) + len)) == NULL)
		return;
	q->next = NULL;
	q->to = *to;
	q->len = len;
	memcpy(q->data, msg, len);
	*u->pending_tail = q;
	u->pending_tail = &q->next;
	if (u->n_pending++ == 0)
		uv_poll_start(&u->poll, UV_READABLE | UV_WRITABLE, on_udp_event);
}

/* @return false when the socket buffer is full; a datagram refused for
 * any other reason is dropped, as UDP may. */
static bool udp_send_one(struct udp_socket *u, const struct dg_addr *to,
			 const uint8_t *msg, size_t len)
{
	for (;;) {
		if (sendto(u->fd, msg, len, MSG_DONTWAIT, &to->u.sa, to->len) >= 0)
			return true;
		if (errno != EINTR)
			return errno != EAGAIN && errno != EWOULDBLOCK &&
			       errno != ENOBUFS;
	}
}

static void udp_send_pending(struct udp_socket *u)
{
	while (u->pending != NULL) {
		struct udp_pending *q = u->pending;

		if (!udp_send_one(u, &q->to, q->data, q->len))
			return;
		u->pending = q->next;
		if (u->pending == NULL)
			u->pending_tail = &u->pending;
		u->n_pending--;
		free(q);
	}
	uv_poll_start(&u->poll, UV_READABLE, on_udp_event);
}

static void on_udp_closed(uv_handle_t *handle)
{
	struct udp_socket *u = handle->data;
	struct dg_listener *l = u->pair->owner;

	while (u->pending != NULL) {
		struct udp_pending *q = u->pending;

		u->pending = q->next;
		free(q);
	}
	close(u->fd);
	listener_handle_gone(l);
}

/* Answers wait in line behind those already waiting. */
static void udp_send_now(struct udp_socket *u, const struct dg_addr *to,
			 const uint8_t *msg, size_t len)
{
	if (u->pending != NULL || !udp_send_one(u, to, msg, len))
		udp_send_later(u, to, msg, len);
}

/* Send the batch's answers with as few system calls as the socket
 * takes; what does not fit waits its turn. */
static void batch_flush(struct dg_listener *l)
{
	struct reply_batch *b = &l->batch;
	struct udp_socket *u = b->udp;
	unsigned i = 0;

	if (u == NULL)
		return;
	while (i < b->n && u->pending == NULL) {
		int sent = sendmmsg(u->fd, b->msgs + i, b->n - i, MSG_DONTWAIT);

		if (sent > 0)
			i += (unsigned)sent;
		else if (errno == EAGAIN || errno == EWOULDBLOCK ||
			 errno == ENOBUFS)
			break;
		else if (errno != EINTR)
			i++; /* this one was refused: dropped, as UDP may */
	}
	for (; i < b->n; i++)
		udp_send_later(u, &b->to[i], b->data[i], b->iov[i].iov_len);
	b->n = 0;
	b->udp = NULL;
}

static void on_flush(uv_check_t *check)
{
	struct dg_listener *l = check->data;

	batch_flush(l);
	uv_check_stop(check);
}

/* An answer to a datagram of the batch being read, or from the upstream:
 * keep it for one sendmmsg. @return false when it must go on its own. */
static bool batch_add(struct dg_listener *l, const struct dg_client *c,
		      const uint8_t *msg, size_t len)
{
	struct reply_batch *b = &l->batch;
	unsigned i = b->n;

	if (len > UDP_REPLY_SLOT)
		return false;
	if (b->udp == NULL) {
		/* Outside a read: an upstream's answer, sent in the check
		 * phase with the others of this wakeup. */
		if (uv_check_start(&l->flush, on_flush) != 0)
			return false;
		b->udp = c->udp;
	}
	if (b->udp != c->udp || i == UDP_BATCH) {
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
		struct udp_socket *u = c->udp;

		if (uv_is_closing((uv_handle_t *)&u->poll))
			return;
		if (!batch_add(u->pair->owner, c, msg, len))
			udp_send_now(u, &c->addr, msg, len);
	} else {
		struct tcp_conn *conn = c->conn;
		uint8_t *at;

		if (conn->closing || len > DG_WIRE_MAX)
			return;
		if (conn->out_len + 2 + len > TCP_CORK_MAX)
			conn_flush(conn);
		if (dg_grow(&conn->out, &conn->out_cap,
			    conn->out_len + 2 + len, 1) != 0)
			return;
		at = conn->out + conn->out_len;
		at[0] = (uint8_t)(len >> 8);
		at[1] = (uint8_t)len;
		memcpy(at + 2, msg, len);
		conn->out_len += 2 + len;
		/* Inside a delivery the answer waits for the others; an
		 * answer from the upstream goes at once. */
		if (!conn->delivering) {
			conn_flush(conn);
			conn_active(conn);
		}
	}
}

/* Bytes to the connection, copied: they wait in libuv's queue while the
 * socket is full. */
static void conn_write(struct tcp_conn *c, const uint8_t *data, size_t len)
{
	struct tcp_write *w = malloc(sizeof(*w) + len);
	uv_buf_t buf;

	if (w == NULL)
		return;
	memcpy(w->data, data, len);
	buf = uv_buf_init((char *)w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1,
		     on_tcp_written) != 0) {
		free(w);
		conn_close(c);
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
