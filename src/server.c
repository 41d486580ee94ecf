/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server: the query pipeline. See server.h.
 *
 * A query that is answered at once (malformed, denied, cached) never
 * allocates: its request lives on the stack and is answered from the
 * listener's buffer into the replier's (reply.h). Only a query that waits
 * on an upstream is copied into a struct query, which holds the client
 * (for TCP, a reference on the connection) and its snapshot until
 * query_finish().
 */
#include "server.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "board.h"
#include "budget.h"
#include "cache.h"
#include "forward.h"
#include "listener.h"
#include "localdata.h"
#include "log.h"
#include "metrics.h"
#include "nftset.h"
#include "overlay.h"
#include "policy.h"
#include "reply.h"
#include "scrub.h"
#include "snapshot.h"
#include "upstream.h"
#include "wire.h"

/* Queries in flight on one TCP connection, RFC 7766 6.2.1.1 suggests a
 * bound; Unbound's default incoming-num-tcp queries is of this order. */
#define TCP_PIPELINE 32
#define QLOG_TICK_MS 10000
/* How stale another worker's figures may be in a scrape. */
#define PUBLISH_MS 1000
/* A worker silent for ten publications has a loop that stopped turning
 * (/healthz); a busy loop still runs its timers far more often. */
#define STALL_MS (10 * PUBLISH_MS)
/* How often worker 0 weighs whether to probe the upstreams. */
#define HEALTH_TICK_MS 1000

struct dg_server {
	uv_loop_t *loop;
	/* What runs: the configuration the server started with, whose
	 * listen addresses a client's listener index names and whose
	 * upstream servers it asks. A reload changes neither. */
	struct dg_config *start;
	struct dg_snapshot *snap; /* the current one: one reference */
	struct dg_listener *listener;
	struct dg_upstream *upstream;
	size_t waiting; /* queries in forward(), at most max_waiting */
	/* Queries done with, kept for the next misses (SPARE_QUERIES at
	 * most): a steady stream of misses allocates none. */
	struct query *spare;
	size_t n_spare;
	struct dg_hash_key hash_key; /* the caches', the fetch table's, the budget's */
	unsigned n_workers;          /* running, whatever a reload says */
	struct dg_nftset *nftset; /* NULL: no nft_set anywhere */
	uv_timer_t *qlog_tick;    /* summaries of held-back denial lines */
	struct dg_metrics *metrics; /* NULL: no [metrics] listen */
	struct dg_replier reply;    /* output buffer, counters, query log */
	struct dg_board *board; /* NULL: the only worker */
	unsigned worker;        /* its index on the board */
	uv_timer_t *publish;    /* workers but the first */
	uv_timer_t *health;     /* the first, with metrics: maybe_probe() */
	struct dg_fetch_waiter probe;
	bool probing; /* probe is waiting */
	uint64_t probes;
	uint64_t ready_asked_ms; /* the last GET /ready; 0: none yet */
	/* Read for each use: what a worker publishes, or for the first
	 * one, a scrape's totals. */
	struct dg_figures figures;
	/* The temporary entries, one reference; NULL: none yet. */
	struct dg_overlay *overlay;
	/* The control socket's counters, for worker 0's metrics; NULL:
	 * no control socket. */
	const struct dg_control_counters *control;
};

/* A client query waiting on an upstream. It keeps the message only up to
 * the end of the question, all an answer echoes (the rest is in info), so
 * max_waiting bounds its memory whatever the client sent. */
#define SPARE_QUERIES 256
/* Room every query gets for its message: a question of a name up to 80
 * bytes, most of them, so a spare one serves most misses; a longer one
 * gets what it needs. */
#define QUERY_MSG_MIN (DG_WIRE_HEADER + 80 + 4)
struct query {
	struct dg_server *srv;
	struct dg_fetch_waiter waiter;
	struct dg_client client; /* held: req.client */
	struct dg_request req;   /* req.snap: one reference */
	struct query *next;      /* on srv->spare */
	size_t cap;              /* of msg */
	uint8_t msg[];           /* req.msg */
};

/* The request's cached answer, if its snapshot still has caches. */
static inline const struct dg_answer *cache_lookup(const struct dg_server *srv,
					    const struct dg_request *req,
					    uint32_t *elapsed)
{
	struct dg_cache *c = dg_snapshot_cache(req->snap, req->pi);

	if (c == NULL)
		return NULL;
	return dg_cache_lookup(c, req->info.qname, req->info.qtype,
			       req->info.qclass, req->hash, uv_now(srv->loop),
			       elapsed);
}

static void query_finish(struct query *qr)
{
	struct dg_server *srv = qr->srv;

	srv->waiting--;
	dg_client_release(&qr->client);
	dg_snapshot_unref(qr->req.snap);
	dg_overlay_unref(qr->req.overlay);
	if (srv->n_spare >= SPARE_QUERIES) {
		free(qr);
		return;
	}
	qr->next = srv->spare;
	srv->spare = qr;
	srv->n_spare++;
}

/* A query with room for `len` bytes of message: a spare one, or a new
 * one. NULL: OOM. */
static struct query *query_get(struct dg_server *srv, size_t len)
{
	struct query *qr = srv->spare;

	if (qr != NULL && qr->cap >= len) {
		srv->spare = qr->next;
		srv->n_spare--;
		return qr;
	}
	if (len < QUERY_MSG_MIN)
		len = QUERY_MSG_MIN;
	qr = malloc(sizeof(*qr) + len);
	if (qr != NULL)
		qr->cap = len;
	return qr;
}

static void on_fetch_done(struct dg_fetch_waiter *w, int status,
			  const struct dg_response *resp);

/* The request waits on an upstream, in a struct query of its own. */
static void forward(struct dg_server *srv, const struct dg_request *req)
{
	size_t keep = req->info.question_end;
	struct query *qr = NULL;
	size_t set;

	srv->reply.counters.cache_misses++;
	/* Past max_waiting (a flood of one name joins a single fetch, so
	 * max_inflight alone would not bound it): SERVFAIL now. */
	if (srv->waiting < req->snap->cfg->max_waiting)
		qr = query_get(srv, keep);
	if (qr == NULL) {
		dg_reply_servfail(&srv->reply, req, NULL);
		return;
	}
	srv->waiting++;
	qr->srv = srv;
	memcpy(qr->msg, req->msg, keep);
	dg_client_hold(&qr->client, req->client);
	qr->req = *req;
	qr->req.client = &qr->client;
	qr->req.msg = qr->msg;
	qr->req.len = keep;
	qr->req.info.qname = qr->msg + (req->info.qname - req->msg);
	dg_snapshot_ref(qr->req.snap);
	if (qr->req.overlay != NULL)
		dg_overlay_ref(qr->req.overlay);
	qr->waiter.cb = on_fetch_done;
	/* The servers the upstream started with: forward zones, like them,
	 * wait for a restart. */
	set = dg_forward_set(srv->start->forwards, srv->start->n_forwards,
			     req->info.qname);
	if (dg_fetch_start(srv->upstream, set, qr->req.info.qname,
			   req->info.qtype, req->info.qclass, req->hash,
			   &qr->waiter) != 0) {
		/* Past max_inflight: SERVFAIL now rather than queue. */
		dg_reply_servfail(&srv->reply, &qr->req, NULL);
		query_finish(qr);
	}
}

/* A budget verdict that denies turns v into a denial, counted. */
static bool budget_denies(struct dg_server *srv, enum dg_budget_verdict bv,
			  struct dg_verdict *v)
{
	if (bv != DG_BUDGET_EXHAUSTED && bv != DG_BUDGET_TOTAL_EXHAUSTED)
		return false;
	v->allow = false;
	v->reason = DG_REASON_BUDGET;
	srv->reply.counters.budget_exhausted++;
	if (bv == DG_BUDGET_TOTAL_EXHAUSTED)
		srv->reply.counters.budget_total_exhausted++;
	return true;
}

/* The client may be served at all: its address is known, and (UDP) it
 * is within its rate. */
static bool admit(struct dg_server *srv, const struct dg_client *client)
{
	const struct dg_config *cfg = srv->snap->cfg;

	/* A query is never decided or logged for a client whose address
	 * is unknown (DESIGN.md, trust boundaries): it would miss its
	 * group, share one budget with every other such client, and name
	 * no one in the log. The listener already closes such a TCP
	 * connection; this holds for any transport. */
	if (client->addr.len == 0 ||
	    (client->addr.u.sa.sa_family != AF_INET &&
	     client->addr.u.sa.sa_family != AF_INET6)) {
		srv->reply.counters.unknown_client++;
		return false;
	}
	/* Over its rate, a client's datagram is dropped before anything is
	 * read of it: the cheapest answer to a flood, and none to a spoofed
	 * source (Unbound's ip-ratelimit does the same). TCP clients are
	 * bounded by the connection and pipeline caps instead. */
	if (cfg->client_rate_limit > 0 &&
	    client->transport == DG_TRANSPORT_UDP &&
	    !dg_budget_query(srv->snap->budget, &client->addr,
			     cfg->client_rate_limit, uv_now(srv->loop))) {
		srv->reply.counters.rate_limited++;
		return false;
	}
	return true;
}

/* The question parsed into req->info; a message that is not one is
 * answered (or dropped) here. @return whether it is a question. */
static bool parse(struct dg_server *srv, struct dg_request *req)
{
	switch (dg_wire_parse_query(req->msg, req->len, &req->info)) {
	case DG_WIRE_DROP:
		return false;
	case DG_WIRE_FORMERR:
		dg_reply_empty(&srv->reply, req, req->info.question_end > 0,
			    DG_RCODE_FORMERR, false);
		return false;
	case DG_WIRE_NOTIMP:
		dg_reply_empty(&srv->reply, req, false, DG_RCODE_NOTIMP, false);
		return false;
	case DG_WIRE_BADVERS:
		dg_reply_empty(&srv->reply, req, true, DG_RCODE_BADVERS, false);
		return false;
	case DG_WIRE_OK:
		break;
	}
	return true;
}

/*
 * A question the allowlist denies for a reason a temporary entry can lift
 * (no entry lists the name, too deep, a type no entry allows) is allowed
 * when one of them allows it: its own policy checks every limit again.
 * The budget counts it in a slot after the policy's entries. A name only
 * a temporary entry lists, but too deep or not for that type, is denied
 * for that, naming the entry.
 */
static void overlay_decide(struct dg_server *srv, struct dg_request *req,
			   const struct dg_question *q, struct dg_verdict *v)
{
	const struct dg_overlay_item *it, *near;
	struct dg_verdict w;

	if (v->allow || srv->overlay == NULL || srv->overlay->n == 0 ||
	    (v->reason != DG_REASON_NOT_LISTED &&
	     v->reason != DG_REASON_TOO_DEEP && v->reason != DG_REASON_QTYPE))
		return;
	it = dg_overlay_decide(srv->overlay, q,
			       req->group != NULL ? req->group->name : NULL,
			       &req->client->addr, dg_clock_ms(), &w, &near);
	if (it == NULL && (near == NULL || v->reason != DG_REASON_NOT_LISTED))
		return;
	*v = w;
	req->entry = v->entry;
	req->entry_policy = it != NULL ? it->policy : near->policy;
	req->overlay = srv->overlay;
	if (it != NULL)
		req->entry_index =
			(uint32_t)dg_policy_count(req->policy) + it->slot;
}

/*
 * The client's policy decides, then the tunnel budget: new names below a
 * wildcard or depth entry, per client and in total, after the policy
 * allowed them (DESIGN.md order). An entry's own name is never new: it
 * has one name only. The listener goes by address, never by index into
 * the configuration: a reload may reorder or rename the groups, and each
 * listener keeps the group that now lists its address.
 */
static enum dg_budget_verdict decide(struct dg_server *srv,
				     struct dg_request *req,
				     struct dg_verdict *v)
{
	const struct dg_config *cfg = req->snap->cfg;
	const struct dg_question question = { .name = req->info.qname,
					      .qtype = req->info.qtype,
					      .qclass = req->info.qclass };
	enum dg_budget_verdict bv = DG_BUDGET_SEEN;

	req->policy = dg_config_policy_for(
		cfg, &req->client->addr,
		&srv->start->listen.v[req->client->listener], &req->group);
	req->pi = req->group != NULL
			  ? (uint32_t)(req->group - cfg->groups) + 1
			  : 0;
	req->audit = dg_config_audits(cfg, req->group);
	req->would_deny = DG_REASON_NONE;
	dg_policy_decide(req->policy, &question, v);
	req->entry = v->entry;
	req->entry_policy = req->policy;
	req->entry_index = v->entry != NULL
				   ? dg_policy_entry_index(req->policy, v->entry)
				   : 0;
	req->overlay = NULL;
	overlay_decide(srv, req, &question, v);
	if (v->allow && v->depth > 0)
		bv = dg_budget_check(req->snap->budget, &req->client->addr,
				     req->pi, req->entry_index,
				     req->info.qname, uv_now(srv->loop));
	budget_denies(srv, bv, v);
	return bv;
}

/*
 * Does the denial in v stand? In audit mode it does not: the request goes
 * on as allowed, remembering what enforce would have denied it for, and
 * its reply is logged as would-deny. Only the policy's and the budget's
 * verdicts come here; what admit() and parse() refuse is no policy and
 * stays refused in either mode.
 */
static bool denies(struct dg_request *req, struct dg_verdict *v)
{
	if (v->allow)
		return false;
	if (!req->audit)
		return true;
	req->would_deny = v->reason;
	v->allow = true;
	return false;
}

static bool answer_local(struct dg_server *srv, struct dg_request *req);

static void on_message(void *arg, const uint8_t *msg, size_t len,
		       const struct dg_client *client)
{
	struct dg_server *srv = arg;
	struct dg_request req;
	struct dg_verdict v;
	const struct dg_answer *cached;
	enum dg_budget_verdict bv;
	uint32_t elapsed;

	/* Not zeroed as a whole: this runs for every datagram, and parse()
	 * fills the question, decide() the rest, before anything reads them. */
	req.client = client;
	req.msg = msg;
	req.len = len;
	req.snap = srv->snap;
	req.local = false;
	if (!admit(srv, client) || !parse(srv, &req))
		return;
	bv = decide(srv, &req, &v);
	if (denies(&req, &v)) {
		dg_reply_deny(&srv->reply, &req, &v);
		return;
	}
	if (answer_local(srv, &req))
		return;
	req.hash = dg_name_key_hash(&srv->hash_key, req.info.qname,
				    req.info.qtype, req.info.qclass);
	cached = cache_lookup(srv, &req, &elapsed);
	if (cached != NULL) {
		dg_reply_answer(&srv->reply, &req, cached, elapsed, NULL);
		return;
	}
	/* Any name but one new to the policy that would reach the upstream
	 * again pays too: with TTL-0 answers, which name and type is asked,
	 * and when, would otherwise signal at the query rate. A would-deny
	 * has paid already, or has no entry to pay from. */
	if (bv != DG_BUDGET_NEW && req.would_deny == DG_REASON_NONE &&
	    budget_denies(srv,
			  dg_budget_refetch(req.snap->budget, &client->addr,
					    req.pi, req.entry_index,
					    uv_now(srv->loop)),
			  &v) &&
	    denies(&req, &v)) {
		dg_reply_deny(&srv->reply, &req, &v);
		return;
	}
	forward(srv, &req);
}

/*
 * Private addresses stay only in the answer for a name its entry allows.
 * A would-deny of the budget's is such a name; one of the policy's is
 * not, so audit mode scrubs it as strictly as it can: the scrub guards
 * the host's own networks (rebinding, metadata addresses), not the
 * allowlist, and audit lifts only the allowlist.
 */
static bool private_allowed(const struct dg_request *req)
{
	if (req->entry == NULL || (req->would_deny != DG_REASON_NONE &&
				   req->would_deny != DG_REASON_BUDGET))
		return false;
	return req->entry->private_allow;
}

/*
 * The upstream's answer, parsed and scrubbed under the request's own
 * snapshot: the entry that allowed the question says whether private
 * addresses stay, and the client's policy judges a strict CNAME chain. A
 * reload while the answer was in flight changes neither (DESIGN.md "Trust
 * boundaries": an answer is judged under the snapshot of the query that
 * asked for it).
 *
 * A chain strict CNAME refuses is a denial like any other, so audit mode
 * answers it and logs would-deny (reason cname) rather than refuse it:
 * the client could ask for the target itself and be answered, so the
 * refusal would protect nothing, and the log would miss the very target
 * the allowlist lacks. *cacheable is false for it: a cache hit is not
 * judged again, and would serve the chain to a later question as
 * allowed.
 */
static int judge_answer(struct dg_request *req,
			const struct dg_response *resp, struct dg_answer **out,
			bool *cacheable)
{
	const struct dg_config *cfg = req->snap->cfg;
	struct dg_ttl_policy ttl = { .min_ttl = cfg->min_ttl,
				     .max_ttl = cfg->max_ttl,
				     .negative_ttl = cfg->negative_ttl };
	struct dg_scrub_policy sp = {
		.private_allow = private_allowed(req),
		.cname_strict = cfg->cname == DG_CNAME_STRICT,
		.cname_report_only = req->audit,
		.target_allowed = dg_policy_allows,
		.arg = (void *)req->policy,
	};
	struct dg_scrub_report report;
	int rc;

	/* A budget's would-deny is not kept either: the same name, asked
	 * again within the budget, would be a cache hit that skips the nft
	 * sets, which such an answer never fed. */
	*cacheable = req->would_deny != DG_REASON_BUDGET;
	rc = dg_response_answer(resp, req->info.qname, req->info.qtype, &ttl,
				&sp, &report, out);
	if (rc != 0 || !report.cname_refused)
		return rc;
	if (req->audit) {
		if (req->would_deny == DG_REASON_NONE)
			req->would_deny = DG_REASON_CNAME;
		*cacheable = false;
		return 0;
	}
	/* The chain leaves the allowlist: answer as for a denied name, and
	 * cache that like any negative answer. */
	dg_answer_unref(*out);
	*out = dg_answer_new_empty(cfg->deny_rcode == DG_DENY_REFUSED
					   ? DG_RCODE_REFUSED
					   : DG_RCODE_NXDOMAIN,
				   cfg->negative_ttl, DG_REASON_CNAME);
	return *out != NULL ? 0 : DG_ENOMEM;
}

/*
 * A response judged under the request's snapshot, put in the sets, kept
 * in cache (when not NULL) and sent. Only under the snapshot in force
 * does a fresh answer feed the nft sets: a retired one has no cache
 * either, so what the old configuration allowed only answers this query.
 *
 * Nor does a would-deny answer feed them. Audit mode opens the resolver,
 * never the firewall: the sets admit what enforce would have answered,
 * so a connection to a would-deny address is refused as it will be once
 * audit ends, and the workload fails in audit as it would in enforce,
 * where the operator can see it.
 */
static void answer_response(struct dg_server *srv, struct dg_request *req,
			    const struct dg_fetch_waiter *w,
			    const struct dg_response *resp,
			    struct dg_cache *cache)
{
	struct dg_answer *a = NULL;
	bool cacheable = true;

	if (judge_answer(req, resp, &a, &cacheable) != 0) {
		dg_reply_servfail(&srv->reply, req, w);
		return;
	}
	if (req->snap == srv->snap && srv->nftset != NULL &&
	    req->would_deny == DG_REASON_NONE)
		dg_nftset_add_answer(srv->nftset, req->group,
				     req->snap->cfg->nft_set_min_ttl, a);
	/* Out of memory here only means this answer is not cached. */
	if (cache != NULL && cacheable)
		(void)dg_cache_store(cache, req->info.qname, req->info.qtype,
				     req->info.qclass, req->hash, a,
				     uv_now(srv->loop));
	dg_reply_answer(&srv->reply, req, a, 0, w);
	dg_answer_unref(a);
}

/* An answer for a waiting query. Another waiter of the same fetch and
 * policy may have cached it already: its cached copy serves. */
static void answer_waiting(struct dg_server *srv, struct dg_request *req,
			   const struct dg_fetch_waiter *w,
			   const struct dg_response *resp)
{
	const struct dg_answer *cached;
	uint32_t elapsed = 0;

	cached = cache_lookup(srv, req, &elapsed);
	if (cached != NULL) {
		dg_reply_answer(&srv->reply, req, cached, elapsed, w);
		return;
	}
	answer_response(srv, req, w, resp,
			dg_snapshot_cache(req->snap, req->pi));
}

/*
 * An allowed question for a name of the [local] records: their response
 * goes the way an upstream's does (check, scrub, clamps, sets, log), so
 * local data obeys the same answer policy. Not cached: building it costs
 * less than a lookup would save, and nothing leaves the process.
 * @return false when the name has no local record (class IN only).
 */
static bool answer_local(struct dg_server *srv, struct dg_request *req)
{
	const struct dg_localdata *ld = &req->snap->cfg->local;
	struct dg_response resp = { 0 };
	uint8_t *pkt = NULL;
	size_t len = 0;

	if (ld->n == 0 || req->info.qclass != 1 /* IN */ ||
	    !dg_localdata_has(ld, req->info.qname))
		return false;
	req->local = true;
	if (dg_localdata_response(ld, req->info.qname, req->info.qtype, &pkt,
				  &len) != 0 ||
	    dg_response_parse(pkt, len, &resp) != 0) {
		free(pkt);
		dg_response_free(&resp);
		dg_reply_servfail(&srv->reply, req, NULL);
		return true;
	}
	free(pkt);
	answer_response(srv, req, NULL, &resp, NULL);
	dg_response_free(&resp);
	return true;
}

static void on_fetch_done(struct dg_fetch_waiter *w, int status,
			  const struct dg_response *resp)
{
	struct query *qr = dg_container_of(w, struct query, waiter);

	if (status == 0)
		answer_waiting(qr->srv, &qr->req, w, resp);
	else if (status != UV_ECANCELED)
		dg_reply_servfail(&qr->srv->reply, &qr->req, w);
	query_finish(qr);
}

static void on_qlog_tick(uv_timer_t *t)
{
	struct dg_server *srv = t->data;

	dg_reply_tick(&srv->reply);
}

/* This server's figures, as they are now, into srv->figures. */
static struct dg_figures *figures_read(struct dg_server *srv)
{
	struct dg_figures *f = &srv->figures;

	f->queries = srv->reply.counters;
	memcpy(f->upstream, dg_upstream_counters(srv->upstream),
	       f->n_upstreams * sizeof(*f->upstream));
	f->cache_entries = dg_snapshot_cache_entries(srv->snap);
	f->inflight = dg_upstream_inflight(srv->upstream);
	f->waiting = srv->waiting;
	f->tcp_connections = dg_listener_tcp_count(srv->listener);
	f->tcp_unknown_peers = dg_listener_unknown_peers(srv->listener);
	f->last_answer_ms = dg_upstream_last_answer(srv->upstream);
	memset(&f->nftset, 0, sizeof(f->nftset));
	if (srv->nftset != NULL)
		dg_nftset_stats(srv->nftset, &f->nftset);
	return f;
}

static void on_publish(uv_timer_t *t)
{
	struct dg_server *srv = t->data;

	dg_board_publish(srv->board, srv->worker, figures_read(srv));
}

/* ms since any worker's upstream last answered; UINT64_MAX: never. */
static uint64_t answer_age(struct dg_server *srv, uint64_t now)
{
	uint64_t last = dg_upstream_last_answer(srv->upstream);

	if (srv->board != NULL) {
		uint64_t others = dg_board_last_answer(srv->board);

		if (others > last)
			last = others;
	}
	if (last == 0)
		return UINT64_MAX;
	return now > last ? now - last : 0;
}

/* GET /ready: listening, and an upstream answered within the window. */
static bool is_ready(struct dg_server *srv, uint64_t age, char *why,
		     size_t size)
{
	unsigned window = srv->snap->cfg->ready_window;

	if (srv->listener == NULL)
		snprintf(why, size, "not listening yet");
	else if (age == UINT64_MAX)
		snprintf(why, size, "no upstream has answered yet");
	else if (age >= (uint64_t)window * 1000)
		snprintf(why, size, "no upstream answered in the last %u s",
			 window);
	else
		return true;
	return false;
}

static void on_probe_done(struct dg_fetch_waiter *w, int status,
			  const struct dg_response *resp)
{
	struct dg_server *srv = dg_container_of(w, struct dg_server, probe);

	/* An answer was counted as the upstream took it. */
	srv->probing = false;
}

/*
 * As CoreDNS's forward plugin does: when no upstream has answered for
 * half the window, ". NS" goes to them through the usual fetch, so that
 * an idle dnsgate stays ready while they are there, with no client's
 * query needed. Only while someone asks GET /ready (within the window):
 * no one else reads what a probe learns, and the upstreams' counters
 * stay the clients' alone where no one does. Its question is fixed:
 * nothing a client chose goes into it, and its answer is neither cached
 * nor put in the sets. Another worker's answers are seen a publication
 * late (PUBLISH_MS): at worst a probe goes out that one of them made
 * needless.
 */
static void maybe_probe(struct dg_server *srv)
{
	static const uint8_t root[] = { 0 };
	uint64_t now = dg_clock_ms();
	uint64_t window = (uint64_t)srv->snap->cfg->ready_window * 1000;

	if (srv->probing || srv->ready_asked_ms == 0 ||
	    now - srv->ready_asked_ms >= window ||
	    answer_age(srv, now) < window / 2)
		return;
	srv->probe.cb = on_probe_done;
	if (dg_fetch_start(srv->upstream, 0, root, DG_RR_TYPE_NS, 1 /* IN */,
			   dg_name_key_hash(&srv->hash_key, root,
					    DG_RR_TYPE_NS, 1),
			   &srv->probe) != 0)
		return;
	srv->probing = true;
	srv->probes++;
}

static void on_health_tick(uv_timer_t *t)
{
	maybe_probe(t->data);
}

/*
 * GET /healthz asks whether every loop turns: this one does, as it
 * answers; each other worker's shows it by publishing on the board. The
 * upstreams play no part: a pod restarted for their silence would come
 * back to the same silence. GET /ready also sends a probe at once when
 * one is due, so that the first asker waits for no tick.
 */
static bool check(void *arg, enum dg_metrics_check which, char *why,
		  size_t size)
{
	struct dg_server *srv = arg;
	uint64_t now = dg_clock_ms();
	uint64_t silent = 0;
	unsigned stalled;

	if (which == DG_METRICS_READY) {
		srv->ready_asked_ms = now;
		maybe_probe(srv);
		return is_ready(srv, answer_age(srv, now), why, size);
	}
	stalled = srv->board != NULL
			  ? dg_board_stalled(srv->board, now, STALL_MS, &silent)
			  : 0;
	if (stalled == 0)
		return true;
	snprintf(why, size, "worker %u has not run for %llu ms", stalled,
		 (unsigned long long)silent);
	return false;
}

/* The figures of a scrape: this server's as they are now, plus the other
 * workers' as they last published them. */
static void metrics_view(void *arg, struct dg_metrics_view *v)
{
	struct dg_server *srv = arg;
	struct dg_figures *f = figures_read(srv);
	char why[128];

	if (srv->board != NULL)
		dg_board_add_others(srv->board, f);
	dg_figures_view(f, srv->start->sets.addrs.v, v);
	v->audit_policies = dg_config_audit_count(srv->snap->cfg);
	v->last_answer_age_ms = answer_age(srv, dg_clock_ms());
	v->ready = is_ready(srv, v->last_answer_age_ms, why, sizeof(why));
	v->probes = srv->probes;
	v->control = srv->control;
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

/* A repeating timer of the server's; *out NULL when it could not start. */
static int timer_start(struct dg_server *srv, uv_timer_t **out,
		       uv_timer_cb cb, uint64_t first_ms, uint64_t every_ms)
{
	uv_timer_t *t = malloc(sizeof(*t));
	int rc;

	*out = NULL;
	if (t == NULL)
		return UV_ENOMEM;
	rc = uv_timer_init(srv->loop, t);
	if (rc != 0) {
		free(t);
		return rc;
	}
	t->data = srv;
	*out = t;
	return uv_timer_start(t, cb, first_ms, every_ms);
}

static void timer_close(uv_timer_t *t)
{
	if (t != NULL)
		uv_close((uv_handle_t *)t, free_handle);
}

int dg_server_reload(struct dg_server *srv, struct dg_config *cfg)
{
	struct dg_snapshot *snap =
		dg_snapshot_new(cfg, &srv->hash_key, srv->n_workers);

	if (snap == NULL)
		return UV_ENOMEM;
	/* Cached answers were scrubbed, and budgets kept, by the old
	 * policies' entries: both start again, so nothing they allowed is
	 * served under the new ones. */
	dg_snapshot_retire(srv->snap);
	dg_snapshot_unref(srv->snap);
	srv->snap = snap;
	srv->reply.counters.reloads++;
	/* The old caches went back to malloc in thousands of small pieces
	 * among the new ones; glibc keeps such pages unless asked, and the
	 * soak saw RSS climb by about 2 MiB at each reload. */
	malloc_trim(0);
	return 0;
}

void dg_server_set_overlay(struct dg_server *srv, struct dg_overlay *ov)
{
	dg_overlay_ref(ov);
	dg_overlay_unref(srv->overlay);
	srv->overlay = ov;
}

void dg_server_flush(struct dg_server *srv, const uint8_t *name)
{
	for (size_t i = 0; i < srv->snap->n_caches; i++)
		dg_cache_flush(srv->snap->caches[i], name);
}

void dg_server_set_control(struct dg_server *srv,
			   const struct dg_control_counters *c)
{
	srv->control = c;
}

int dg_server_write_metrics(struct dg_server *srv, FILE *out)
{
	struct dg_metrics_view v;

	metrics_view(srv, &v);
	return dg_metrics_write(&v, out);
}

void dg_server_log_control(struct dg_server *srv,
			   const struct dg_qlog_control *c)
{
	dg_qlog_write_control(srv->reply.qlog, c);
}

void dg_server_count_reload_failure(struct dg_server *srv)
{
	srv->reply.counters.reload_failures++;
}

int dg_server_reopen_log(struct dg_server *srv)
{
	return dg_qlog_reopen(srv->reply.qlog);
}

/* The query log, the nft sets and the metrics, as cfg asks. */
static int open_sinks(struct dg_server *srv, const struct dg_config *cfg)
{
	char text[DG_ADDR_STRLEN];
	int rc;

	rc = dg_qlog_open(cfg->query_log ? cfg->query_log : "stderr",
			  cfg->deny_log_rate, &srv->reply.qlog);
	if (rc != 0) {
		dg_log(DG_LOG_ERR, "cannot open the query log %s: %s",
		       cfg->query_log, uv_strerror(rc));
		return rc;
	}
	if (srv->reply.qlog != NULL && cfg->deny_log_rate > 0 &&
	    (rc = timer_start(srv, &srv->qlog_tick, on_qlog_tick,
			      QLOG_TICK_MS, QLOG_TICK_MS)) != 0)
		return rc;
	/* Before dnsgate drops root: the kernel checks the socket's opener. */
	if (dg_config_has_nft_sets(cfg)) {
		rc = dg_nftset_open(srv->loop, cfg, &srv->nftset);
		if (rc == DG_EMALFORMED) {
			dg_log(DG_LOG_ERR, "nft_set: more than %d groups have "
					   "sets of their own",
			       DG_NFTSET_SEQ_SETS / 2 - 1);
			return UV_EINVAL;
		}
		if (rc != 0) {
			dg_log(DG_LOG_ERR, "cannot open a netlink socket for "
					   "the nft sets: %s",
			       uv_strerror(rc));
			return rc;
		}
	}
	if (cfg->metrics_enabled && srv->worker == 0) {
		struct dg_metrics_hooks hooks = { metrics_view, check, srv };

		rc = dg_metrics_open(srv->loop, &cfg->metrics_listen, &hooks,
				     &srv->metrics);
		if (rc != 0) {
			dg_addr_format(&cfg->metrics_listen, text, sizeof(text));
			dg_log(DG_LOG_ERR, "cannot serve metrics on %s: %s",
			       text, uv_strerror(rc));
			return rc;
		}
		rc = timer_start(srv, &srv->health, on_health_tick,
				 HEALTH_TICK_MS, HEALTH_TICK_MS);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int dg_server_start(uv_loop_t *loop, struct dg_config *cfg,
		    struct dg_board *board, unsigned worker,
		    struct dg_server **out)
{
	struct dg_server *srv = calloc(1, sizeof(*srv));
	struct dg_upstream_config ucfg = {
		.servers = cfg->sets.addrs.v,
		.n_servers = cfg->sets.addrs.n,
		.tls_names = cfg->sets.addrs.tls_names,
		.tls_ca_file = cfg->tls_ca_file,
		.sets = &cfg->sets,
		.timeout_ms = cfg->upstream_timeout_ms,
		.max_inflight = cfg->max_inflight,
	};
	struct dg_listener_config lcfg = {
		.addrs = cfg->listen.v,
		.n_addrs = cfg->listen.n,
		.tcp_idle_timeout_ms = cfg->tcp_idle_timeout_ms,
		.max_tcp_clients = cfg->max_tcp_clients,
		.max_tcp_pipeline = TCP_PIPELINE,
		.workers = cfg->workers,
		.on_message = on_message,
	};
	const struct dg_addr *failed = NULL;
	int rc;

	if (srv == NULL)
		return UV_ENOMEM;
	srv->loop = loop;
	srv->reply.loop = loop;
	dg_config_ref(cfg);
	srv->start = cfg;
	srv->board = board;
	srv->worker = worker;
	srv->n_workers = cfg->workers;
	lcfg.arg = srv;
	dg_hash_key_random(&srv->hash_key);
	srv->snap = dg_snapshot_new(cfg, &srv->hash_key, srv->n_workers);
	srv->upstream = dg_upstream_new(loop, &ucfg);
	if (srv->snap == NULL || srv->upstream == NULL ||
	    dg_figures_init(&srv->figures, cfg->sets.addrs.n) != 0) {
		rc = UV_ENOMEM;
		goto fail;
	}
	if (board != NULL && worker > 0 &&
	    (rc = timer_start(srv, &srv->publish, on_publish, 0,
			      PUBLISH_MS)) != 0)
		goto fail;
	if ((rc = open_sinks(srv, cfg)) != 0)
		goto fail;
	rc = dg_listener_open(loop, &lcfg, &srv->listener, &failed);
	if (rc != 0) {
		char text[DG_ADDR_STRLEN] = "?";

		if (failed != NULL)
			dg_addr_format(failed, text, sizeof(text));
		dg_log(DG_LOG_ERR, "cannot listen on %s: %s", text,
		       uv_strerror(rc));
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	dg_server_stop(srv);
	return rc;
}

void dg_server_stop(struct dg_server *srv)
{
	/* Listener first: no new queries. Then the upstream, whose cancelled
	 * waiters release their clients and snapshots. */
	if (srv->listener != NULL)
		dg_listener_close(srv->listener);
	if (srv->upstream != NULL)
		dg_upstream_close(srv->upstream);
	timer_close(srv->qlog_tick);
	timer_close(srv->publish);
	timer_close(srv->health);
	dg_figures_fini(&srv->figures);
	dg_metrics_close(srv->metrics);
	dg_nftset_close(srv->nftset);
	dg_qlog_close(srv->reply.qlog);
	dg_snapshot_unref(srv->snap);
	dg_overlay_unref(srv->overlay);
	dg_config_free(srv->start);
	while (srv->spare != NULL) {
		struct query *qr = srv->spare;

		srv->spare = qr->next;
		free(qr);
	}
	free(srv);
}
