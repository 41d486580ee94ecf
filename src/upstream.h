/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * upstream: forwarding allowed questions to the upstream resolvers, on the
 * libuv loop, never blocking it.
 *
 * GLOSSARY
 *   fetch    one logical question being resolved upstream, with everyone
 *            waiting for it (knot-resolver's qr_task, Unbound's
 *            serviced_query);
 *   attempt  one socket and one timer for one try at one server (Unbound's
 *            pending): a fresh UDP socket bound to port 0 and connected to
 *            the server, so the kernel picks a random source port and drops
 *            datagrams from anyone else; or a TCP connection after TC; or,
 *            for a tls:// server, a query on its kept TLS connection
 *            (dot.h), with a timer of its own;
 *   waiter   a client query waiting on a fetch; embedded in that query.
 *
 * Each attempt sends our own query (random ID, lowercased name, EDNS 1232)
 * and waits for an answer that matches ID and question; anything else is
 * ignored and the wait goes on. A timeout, a socket error, a malformed
 * answer, or SERVFAIL/REFUSED/NOTIMP/FORMERR moves to the next server; TC
 * retries the same server over TCP (over TLS it is taken as it is, as over
 * TCP); a TLS or certificate failure is a failure of that server, never a
 * reason to ask it in clear text; when every server of the fetch's set
 * (forward.h) failed, the waiters get DG_ETIMEOUT or DG_EMISMATCH.
 * Identical questions in flight share one fetch. At most max_inflight
 * fetches run; past that dg_fetch_start() returns DG_EBUSY at once.
 *
 * The upstream knows nothing of policy: it judges an answer only by the
 * wire (it matches, it parses, its rcode is one to keep) and hands the
 * parsed response to each waiter, which scrubs, checks and caches it
 * under the configuration it was asked under. Nothing here calls back up but the
 * waiters' own callbacks.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "addr.h"
#include "forward.h"
#include "metrics_text.h"
#include "response.h"
#include "util.h"
#include "wire.h"

/*
 * Ready UDP sockets an upstream keeps per address family its plain
 * servers use (upstream.c): one wakeup's worth of new misses (the
 * listener reads up to 64 datagrams a wakeup) rarely empties it.
 */
#define DG_UPSTREAM_POOL 32

struct dg_upstream_config {
	/* Every server once, and the sets a fetch tries in order (one per
	 * [upstream] and [forward ZONE], forward.h): servers copied, sets
	 * borrowed, so they must outlive the upstream. */
	const struct dg_addr *servers;
	size_t n_servers;
	/* NULL, or one per server: the name a DNS-over-TLS server's
	 * certificate must carry (dot.h); NULL for a plain one. Copied. */
	char *const *tls_names;
	const char *tls_ca_file; /* NULL: the system's CAs */
	const struct dg_server_sets *sets;
	unsigned timeout_ms;           /* per attempt */
	unsigned max_inflight;
};

struct dg_fetch_waiter;

/*
 * status 0: resp is the upstream's response, matched to the question and
 * parsed by dg_response_parse, once for every waiter; valid
 * only during the call. Otherwise resp is NULL and status is DG_ETIMEOUT
 * (no server answered), DG_EMISMATCH (every server refused or failed)
 * or UV_ECANCELED (dnsgate is shutting down).
 */
typedef void (*dg_fetch_cb)(struct dg_fetch_waiter *w, int status,
			    const struct dg_response *resp);

/* Embedded in whoever waits; the fields are the upstream's. */
struct dg_fetch_waiter {
	dg_fetch_cb cb;
	struct dg_fetch_waiter *next;
	struct fetch *fetch;
	/* Set before cb, for the query log: the server that answered, or
	 * the last one tried (NULL: none was), and the fetch's time. */
	const struct dg_addr *server;
	uint32_t fetch_ms;
};

struct dg_upstream;

/* NULL when out of memory. */
DG_NODISCARD struct dg_upstream *dg_upstream_new(uv_loop_t *loop,
				const struct dg_upstream_config *cfg);

/*
 * Wait for the answer to (qname, qtype, qclass) from server set `set`,
 * joining a fetch in flight for the same question or starting one. A
 * question has one set (the caller picks it from the name alone), so a
 * fetch joined is one of the same set. h is the question's
 * dg_name_key_hash under a key the caller keeps from clients (the one its
 * cache uses: a question is hashed once). w->cb must be set; it is called
 * exactly once, never from within this call.
 * @return 0, DG_EBUSY (max_inflight reached, or the set is empty) or
 * DG_ENOMEM; on error the callback is not called.
 */
DG_NODISCARD int dg_fetch_start(struct dg_upstream *up, size_t set,
				const uint8_t *qname, uint16_t qtype,
				uint16_t qclass, uint32_t h,
				struct dg_fetch_waiter *w);

/* One dg_upstream_counters per configured server, in their order. */
const struct dg_upstream_counters *dg_upstream_counters(
	const struct dg_upstream *up);
/* Fetches in flight. */
size_t dg_upstream_inflight(const struct dg_upstream *up);
/*
 * When a server last answered (any response that matched its query, even
 * SERVFAIL: the server is there), in dg_clock_ms(); 0: never.
 */
uint64_t dg_upstream_last_answer(const struct dg_upstream *up);

/*
 * Cancel every fetch (waiters get UV_ECANCELED), close every handle and
 * free the upstream once the last close callback ran.
 */
void dg_upstream_close(struct dg_upstream *up);
