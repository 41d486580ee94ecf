/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server: the query pipeline. See server.h.
 *
 * A query that is answered at once (malformed, denied, cached) never
 * allocates: it is answered from the listener's buffer into the server's.
 * Only a query that waits on an upstream is copied into a struct query,
 * which holds the client (for TCP, a reference on the connection) until
 * query_finish().
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "listener.h"
#include "policy.h"
#include "upstream.h"
#include "wire.h"

/* Queries in flight on one TCP connection, RFC 7766 6.2.1.1 suggests a
 * bound; Unbound's default incoming-num-tcp queries is of this order. */
#define TCP_PIPELINE 32

struct dg_server {
	uv_loop_t *loop;
	const struct dg_config *cfg;
	struct dg_listener *listener;
	struct dg_upstream *upstream;
	struct dg_cache *cache;
	uint8_t out[DG_WIRE_MAX];
};

/* A client query waiting on an upstream. */
struct query {
	struct dg_server *srv;
	struct dg_fetch_waiter waiter;
	struct dg_client client;
	struct dg_query_info info; /* points into msg */
	size_t len;
	uint8_t msg[];
};

static size_t reply_limit(const struct dg_server *srv,
			  const struct dg_client *c,
			  const struct dg_query_info *q)
{
	if (c->transport == DG_TRANSPORT_TCP)
		return DG_WIRE_MAX;
	return dg_wire_udp_limit(q, srv->cfg->max_udp_size);
}

/* An answer with no records: errors and denials. */
static void reply_empty(struct dg_server *srv, const struct dg_client *c,
			const uint8_t *msg, size_t len,
			const struct dg_query_info *q, bool question_ok,
			unsigned rcode, bool soa)
{
	size_t n = dg_wire_build_empty(msg, len, q, question_ok, rcode,
				       soa ? srv->cfg->negative_ttl : UINT32_MAX,
				       srv->out, sizeof(srv->out));

	if (n > 0)
		dg_listener_reply(c, srv->out, n);
}

static void reply_answer(struct dg_server *srv, const struct dg_client *c,
			 const uint8_t *msg, const struct dg_query_info *q,
			 const struct dg_answer *a, uint32_t elapsed)
{
	size_t n = dg_wire_encode_answer(a, msg, q, elapsed,
					 srv->cfg->negative_ttl,
					 reply_limit(srv, c, q), srv->out,
					 sizeof(srv->out));

	if (n > 0)
		dg_listener_reply(c, srv->out, n);
}

static void query_finish(struct query *qr)
{
	dg_client_release(&qr->client);
	free(qr);
}

static void on_fetch_done(struct dg_fetch_waiter *w, int status,
			  const struct dg_answer *a)
{
	struct query *qr = dg_container_of(w, struct query, waiter);
	struct dg_server *srv = qr->srv;

	if (status == 0)
		reply_answer(srv, &qr->client, qr->msg, &qr->info, a, 0);
	else if (status != UV_ECANCELED)
		reply_empty(srv, &qr->client, qr->msg, qr->len, &qr->info, true,
			    DG_RCODE_SERVFAIL, false);
	query_finish(qr);
}

static void forward(struct dg_server *srv, const uint8_t *msg, size_t len,
		    const struct dg_query_info *info,
		    const struct dg_client *client)
{
	struct query *qr = malloc(sizeof(*qr) + len);
	int rc;

	if (qr == NULL) {
		reply_empty(srv, client, msg, len, info, true,
			    DG_RCODE_SERVFAIL, false);
		return;
	}
	qr->srv = srv;
	qr->len = len;
	memcpy(qr->msg, msg, len);
	qr->info = *info;
	qr->info.qname = qr->msg + (info->qname - msg);
	qr->waiter.cb = on_fetch_done;
	dg_client_hold(&qr->client, client);
	rc = dg_fetch_start(srv->upstream, qr->info.qname, info->qtype,
			    info->qclass, &qr->waiter);
	if (rc != 0) {
		/* Past max_inflight: SERVFAIL now rather than queue. */
		reply_empty(srv, client, msg, len, info, true,
			    DG_RCODE_SERVFAIL, false);
		query_finish(qr);
	}
}

static void on_message(void *arg, const uint8_t *msg, size_t len,
		       const struct dg_client *client)
{
	struct dg_server *srv = arg;
	const struct dg_config *cfg = srv->cfg;
	struct dg_query_info info;
	struct dg_question question;
	struct dg_verdict v;
	const struct dg_answer *cached;
	uint32_t elapsed;

	switch (dg_wire_parse_query(msg, len, &info)) {
	case DG_WIRE_DROP:
		return;
	case DG_WIRE_FORMERR:
		reply_empty(srv, client, msg, len, &info,
			    info.question_end > 0, DG_RCODE_FORMERR, false);
		return;
	case DG_WIRE_NOTIMP:
		reply_empty(srv, client, msg, len, &info, false,
			    DG_RCODE_NOTIMP, false);
		return;
	case DG_WIRE_BADVERS:
		reply_empty(srv, client, msg, len, &info, true,
			    DG_RCODE_BADVERS, false);
		return;
	case DG_WIRE_OK:
		break;
	}

	question.name = info.qname;
	question.qtype = info.qtype;
	question.qclass = info.qclass;
	dg_policy_decide(cfg->policy, &question, &v);
	if (!v.allow) {
		/* A denied type on a name that exists: NODATA, so the
		 * client does not conclude the name is gone. */
		if (v.reason == DG_REASON_QTYPE && v.name_allowed)
			reply_empty(srv, client, msg, len, &info, true,
				    DG_RCODE_NOERROR, true);
		else if (cfg->deny_rcode == DG_DENY_REFUSED)
			reply_empty(srv, client, msg, len, &info, true,
				    DG_RCODE_REFUSED, false);
		else
			reply_empty(srv, client, msg, len, &info, true,
				    DG_RCODE_NXDOMAIN, true);
		return;
	}

	cached = dg_cache_lookup(srv->cache, info.qname, info.qtype,
				 info.qclass, uv_now(srv->loop), &elapsed);
	if (cached != NULL) {
		reply_answer(srv, client, msg, &info, cached, elapsed);
		return;
	}
	forward(srv, msg, len, &info, client);
}

static void on_answer(void *arg, const uint8_t *qname, uint16_t qtype,
		      uint16_t qclass, struct dg_answer *a)
{
	struct dg_server *srv = arg;

	/* Out of memory here only means this answer is not cached. */
	(void)dg_cache_store(srv->cache, qname, qtype, qclass, a,
			     uv_now(srv->loop));
}

int dg_server_start(uv_loop_t *loop, const struct dg_config *cfg,
		    struct dg_server **out)
{
	struct dg_server *srv = calloc(1, sizeof(*srv));
	struct dg_upstream_config ucfg = {
		.servers = cfg->servers.v,
		.n_servers = cfg->servers.n,
		.timeout_ms = cfg->upstream_timeout_ms,
		.max_inflight = cfg->max_inflight,
		.ttl = { .min_ttl = cfg->min_ttl, .max_ttl = cfg->max_ttl,
			 .negative_ttl = cfg->negative_ttl },
		.on_answer = on_answer,
	};
	struct dg_listener_config lcfg = {
		.addrs = cfg->listen.v,
		.n_addrs = cfg->listen.n,
		.tcp_idle_timeout_ms = cfg->tcp_idle_timeout_ms,
		.max_tcp_clients = cfg->max_tcp_clients,
		.max_tcp_pipeline = TCP_PIPELINE,
		.on_message = on_message,
	};
	const struct dg_addr *failed = NULL;
	int rc;

	if (srv == NULL)
		return UV_ENOMEM;
	srv->loop = loop;
	srv->cfg = cfg;
	ucfg.arg = srv;
	lcfg.arg = srv;
	srv->cache = dg_cache_new(cfg->cache_max_entries);
	srv->upstream = dg_upstream_new(loop, &ucfg);
	if (srv->cache == NULL || srv->upstream == NULL) {
		rc = UV_ENOMEM;
		goto fail;
	}
	rc = dg_listener_open(loop, &lcfg, &srv->listener, &failed);
	if (rc != 0) {
		char text[DG_ADDR_STRLEN] = "?";

		if (failed != NULL)
			dg_addr_format(failed, text, sizeof(text));
		fprintf(stderr, "dnsgate: cannot listen on %s: %s\n", text,
			uv_strerror(rc));
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	if (srv->upstream != NULL)
		dg_upstream_close(srv->upstream);
	dg_cache_free(srv->cache);
	free(srv);
	return rc;
}

void dg_server_stop(struct dg_server *srv)
{
	/* Listener first: no new queries. Then the upstream, whose cancelled
	 * waiters release their clients, before the cache goes. */
	dg_listener_close(srv->listener);
	dg_upstream_close(srv->upstream);
	dg_cache_free(srv->cache);
	free(srv);
}
