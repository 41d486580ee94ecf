/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dot: DNS over TLS to one upstream server (RFC 7858), on the libuv loop.
 *
 * A dg_dot keeps at most one TCP connection to its server open and runs
 * GnuTLS over it through push and pull callbacks on buffers, so neither
 * the handshake nor anything after it blocks the loop. The certificate
 * must chain to the trusted CAs and carry the configured name (sent as SNI
 * too); a connection that fails to show one is closed, and every query
 * waiting on it fails: nothing is ever sent in clear text instead.
 *
 * Queries are framed as over TCP (RFC 7766: a two-byte length first),
 * pipelined on the connection up to a bound, and answers are matched to
 * them by ID and question, in whatever order they come. The connection
 * stays open for the next queries until it was idle for a while; a query
 * sent while there is none opens a new one.
 *
 * Owns nothing of its callers': a dg_dot_query is embedded in whoever asks,
 * and its message must stay valid until its callback ran or it was
 * cancelled.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <uv.h>

#include "addr.h"
#include "list.h"
#include "util.h"

struct dg_dot_query;

/*
 * status 0: pkt is the answer (ID and question matched), valid only during
 * the call. Otherwise pkt is NULL and status is DG_ETIMEOUT (the
 * connection failed or closed: TCP, TLS, or the certificate) or
 * DG_EMISMATCH (the server answered with something that is not a DNS
 * message for one of our queries). The query is no longer linked when
 * the callback runs.
 */
typedef void (*dg_dot_cb)(struct dg_dot_query *q, int status,
			  const uint8_t *pkt, size_t len);

/* Embedded in the caller; set the first five fields, the rest are dot's. */
struct dg_dot_query {
	const uint8_t *msg;  /* the query with its two-byte length first */
	size_t len;          /* of msg, the prefix included */
	const uint8_t *qname; /* with id, the question answers must match */
	uint16_t id, qtype, qclass;
	dg_dot_cb cb;
	struct dg_list_node node;
	struct dg_dot *dot; /* NULL: not linked */
	unsigned gen;       /* the connection it went to */
	bool sent;
};

/*
 * Trust for every server of one upstream set: the PEM CAs in ca_file, or
 * the system's (NULL).
 * @return 0, or DG_ECONFIG or DG_ENOMEM with *why saying why (static).
 */
DG_NODISCARD int dg_dot_creds_new(const char *ca_file,
				  gnutls_certificate_credentials_t *out,
				  const char **why);
void dg_dot_creds_free(gnutls_certificate_credentials_t creds);

/*
 * For the server at addr whose certificate must name `name` (copied).
 * creds must outlive the dg_dot. NULL when out of memory.
 */
DG_NODISCARD struct dg_dot *dg_dot_new(uv_loop_t *loop,
				       const struct dg_addr *addr,
				       const char *name,
				       gnutls_certificate_credentials_t creds);

/*
 * Send q, connecting first if needed. Its callback is called exactly once,
 * never from within this call, unless it is cancelled first.
 * @return 0, DG_ENOMEM or a libuv error (no connection could be opened);
 * on error the callback is not called.
 */
DG_NODISCARD int dg_dot_send(struct dg_dot *dot, struct dg_dot_query *q);

/* Forget q (its timer fired, its fetch ended); a late answer is dropped.
 * Nothing happens for a query not linked. */
void dg_dot_cancel(struct dg_dot_query *q);

/*
 * Close the connection and free dot; no query may be linked. Its handles
 * close on the loop and free themselves after their callbacks.
 */
void dg_dot_close(struct dg_dot *dot);
