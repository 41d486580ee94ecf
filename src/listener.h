/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * listener: the client side. For each configured ADDR:PORT a UDP socket
 * and a TCP listening socket (SO_REUSEPORT set, IPv6 sockets v6-only), and
 * the TCP connections they accept, per RFC 7766: 2-byte length framing,
 * many queries per connection answered in any order, an idle timeout, a cap
 * on connections (at the cap we stop accepting; the kernel backlog holds
 * the rest) and a cap on queries in flight per connection (at it we stop
 * reading that connection). UDP is read and answered in batches: one
 * recvmmsg, then one sendmmsg for the answers given during it.
 *
 * Every client has an address: a TCP connection whose peer the kernel
 * cannot name is closed unread, and counted.
 *
 * Every whole message goes to one callback with a struct dg_client saying
 * where to send the answer. A query that keeps the client past the
 * callback copies it with dg_client_hold() and lets go with
 * dg_client_release(): for TCP that holds a reference on the connection,
 * so an answer to a connection closed meanwhile is simply discarded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "addr.h"
#include "util.h"

enum dg_transport { DG_TRANSPORT_UDP, DG_TRANSPORT_TCP };

struct tcp_conn;
struct udp_socket;

/* Where a message came from and how to answer it. */
struct dg_client {
	enum dg_transport transport;
	struct dg_addr addr;
	/* The listener it arrived on: an index into dg_listener_config
	 * addrs. Unlike addr, a client cannot forge it. */
	unsigned listener;
	struct udp_socket *udp; /* UDP: the socket it arrived on */
	struct tcp_conn *conn; /* TCP: the connection */
};

/*
 * A whole message from a client. `msg` is valid only during the call;
 * `client` too (copy it with dg_client_hold to keep it).
 */
typedef void (*dg_message_cb)(void *arg, const uint8_t *msg, size_t len,
			      const struct dg_client *client);

struct dg_listener_config {
	const struct dg_addr *addrs;
	size_t n_addrs;
	unsigned tcp_idle_timeout_ms;
	unsigned max_tcp_clients;
	unsigned max_tcp_pipeline; /* queries in flight per connection */
	unsigned workers; /* >1: each client is steered to one of the workers'
			   * sockets, in the order they were bound */
	dg_message_cb on_message;
	void *arg;
};

struct dg_listener;

/*
 * Bind and listen on every address. On failure nothing stays open, and
 * *failed names the address that could not be bound.
 * @return 0, or a libuv error.
 */
DG_NODISCARD int dg_listener_open(uv_loop_t *loop,
				  const struct dg_listener_config *cfg,
				  struct dg_listener **out,
				  const struct dg_addr **failed);

/* Close every socket and connection; the listener frees itself once the
 * last close callback ran. Held clients stay valid until released. */
void dg_listener_close(struct dg_listener *l);

/* Client TCP connections open now. */
size_t dg_listener_tcp_count(const struct dg_listener *l);

/* TCP connections closed unread since the listener opened: the kernel
 * named no peer for them. */
uint64_t dg_listener_unknown_peers(const struct dg_listener *l);

/* Send `msg` to the client (copied when it cannot go out at once). */
void dg_listener_reply(const struct dg_client *c, const uint8_t *msg,
		       size_t len);

/* Copy a client for later; for TCP this holds the connection. */
void dg_client_hold(struct dg_client *dst, const struct dg_client *src);
void dg_client_release(struct dg_client *c);
