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

#include <assert.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/rr.h>

#include "budget.h"
#include "cache.h"
#include "listener.h"
#include "metrics.h"
#include "nftset.h"
#include "policy.h"
#include "qlog.h"
#include "scrub.h"
#include "upstream.h"
#include "wire.h"
#include "zones.h"

/* Queries in flight on one TCP connection, RFC 7766 6.2.1.1 suggests a
 * bound; Unbound's default incoming-num-tcp queries is of this order. */
#define TCP_PIPELINE 32
#define QLOG_TICK_MS 10000
/* How stale another worker's figures may be in a scrape. */
#define PUBLISH_MS 1000

/* What a scrape shows of one server. */
struct figures {
	struct dg_query_counters queries;
	struct dg_upstream_counters *upstream; /* one per upstream server */
	size_t cache_entries, inflight, waiting, tcp_connections;
	uint64_t tcp_unknown_peers;
	struct dg_nftset_stats nftset;
};

/* The workers' figures: each worker but the first copies its own into
 * its slot every PUBLISH_MS, and the first one's scrape adds them to its
 * live ones. The lock is all the workers share but the configuration. */
struct dg_server_board {
	uv_mutex_t lock;
	size_t n_workers, n_upstreams;
	struct figures *slots;
};

/* A configuration in use, and the queries still using it: a reload swaps
 * in a new one, and the old one goes when its last query has finished, so
 * each finishes under the policy it started with. */
struct snapshot {
	unsigned refs;
	const struct dg_config *cfg;
	struct dg_config *owned; /* cfg, freed with it; NULL: the caller's */
};

struct dg_server {
	uv_loop_t *loop;
	struct snapshot *snap;        /* the current one: one reference */
	const struct dg_config *cfg;  /* snap->cfg */
	struct dg_listener *listener;
	/* The addresses the listener opened, by a client's listener index:
	 * the start configuration's, which outlives the server. A reload
	 * keeps the sockets, so these stay what the indexes name. */
	const struct dg_addr *listen_addrs;
	struct dg_upstream *upstream;
	/* One cache per policy: [0] the global one, [i + 1] group i's, so an
	 * answer scrubbed under one policy is never served under another. */
	struct dg_cache **caches;
	size_t n_caches;
	size_t waiting; /* queries in forward(), at most max_waiting */
	struct dg_hash_key hash_key; /* the caches' and the budget's */
	/* Workers running: [server] workers at start, which a reload does
	 * not change, so the budget's share of each total follows it. */
	unsigned n_workers;
	struct dg_budget *budget;
	struct dg_qlog *qlog;
	struct dg_nftset *nftset; /* NULL: no [firewall] nft_set */
	uv_timer_t *qlog_tick;    /* summaries of held-back denial lines */
	struct dg_metrics *metrics; /* NULL: no [metrics] listen */
	struct dg_query_counters counters;
	struct dg_server_board *board; /* NULL: the only worker */
	unsigned worker;               /* its index on the board */
	uv_timer_t *publish;           /* workers but the first */
	struct figures sum;            /* the first: a scrape's totals */
	uint8_t out[DG_WIRE_MAX];
};

/* A client query waiting on an upstream. It keeps the message only up to
 * the end of the question, all an answer echoes (the rest is in info), so
 * max_waiting bounds its memory whatever the client sent. */
struct query {
	struct dg_server *srv;
	struct dg_fetch_waiter waiter;
	struct dg_client client;
	struct dg_query_info info; /* points into msg */
	struct snapshot *snap;     /* one reference: what judges the answer */
	const struct dg_policy *policy; /* of snap: the client's */
	uint32_t pi;               /* its index: 0 global, i + 1 group i */
	const struct dg_entry *entry;   /* of policy: what allowed it */
	size_t len;
	uint8_t msg[];
};

static struct snapshot *snapshot_new(const struct dg_config *cfg,
				     struct dg_config *owned)
{
	struct snapshot *s = malloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	s->refs = 1;
	s->cfg = cfg;
	s->owned = owned;
	return s;
}

static void snapshot_unref(struct snapshot *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	dg_config_free(s->owned);
	free(s);
}

/* A client's policy under cfg, its group in *group. The listener goes by
 * address, never by index into cfg: a reload may reorder or rename the
 * groups, and each listener keeps the group that now lists its address. */
static const struct dg_policy *client_policy(const struct dg_server *srv,
					     const struct dg_config *cfg,
					     const struct dg_client *c,
					     const struct dg_group **group)
{
	return dg_config_policy_for(cfg, &c->addr,
				    &srv->listen_addrs[c->listener], group);
}

static size_t reply_limit(const struct dg_config *cfg,
			  const struct dg_client *c,
			  const struct dg_query_info *q)
{
	if (c->transport == DG_TRANSPORT_TCP)
		return DG_WIRE_MAX;
	return dg_wire_udp_limit(q, cfg->max_udp_size);
}

static void caches_free(struct dg_cache **caches, size_t n)
{
	for (size_t i = 0; caches != NULL && i < n; i++)
		dg_cache_free(caches[i]);
	free(caches);
}

/* A cache for the global policy and for each group; NULL: out of memory. */
static struct dg_cache **caches_new(const struct dg_config *cfg,
				    const struct dg_hash_key *key)
{
	size_t n = cfg->n_groups + 1;
	struct dg_cache **caches = calloc(n, sizeof(*caches));

	for (size_t i = 0; caches != NULL && i < n; i++) {
		caches[i] = dg_cache_new(cfg->cache_max_entries, key);
		if (caches[i] == NULL) {
			caches_free(caches, n);
			return NULL;
		}
	}
	return caches;
}

/* The log wants the wall clock; uv_now is monotonic. */
static uint64_t wall_ms(uv_loop_t *loop)
{
	uv_timeval64_t now;

	if (uv_gettimeofday(&now) != 0)
		return uv_now(loop);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_usec / 1000;
}

/* A question answered: counted, and logged when the sink is on and the
 * verdict is logged. r holds what the caller knows of the outcome; the
 * rest is filled here. */
static void record_query(struct dg_server *srv, const struct dg_config *cfg,
			 const struct dg_client *c,
			 const struct dg_query_info *q,
			 const struct dg_entry *e, struct dg_qlog_record *r)
{
	char entry[DG_ENTRY_STRLEN];
	const struct dg_group *group;
	const struct dg_policy *policy;

	srv->counters.by_reason[r->allow ? DG_REASON_NONE : r->reason]++;
	dg_metrics_count_type(&srv->counters, q->qtype);
	if (c->transport == DG_TRANSPORT_TCP)
		srv->counters.tcp++;
	else
		srv->counters.udp++;
	if (r->allow && r->rcode == DG_RCODE_SERVFAIL)
		srv->counters.servfail++;
	if (srv->qlog == NULL || (r->allow && !cfg->log_allowed))
		return;
	/* Found again only for the line: the entry is named in its
	 * policy, and the group by name. */
	policy = client_policy(srv, cfg, c, &group);
	r->time_ms = wall_ms(srv->loop);
	r->client = &c->addr;
	r->tcp = c->transport == DG_TRANSPORT_TCP;
	r->name = q->qname;
	r->qtype = q->qtype;
	r->group = group != NULL ? group->name : NULL;
	if (e != NULL) {
		dg_zones_format_entry(policy, e, entry, sizeof(entry));
		r->entry = entry;
	}
	dg_qlog_write(srv->qlog, r);
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

/* SERVFAIL for an allowed question: no upstream answered (w says which
 * was tried last), or there was none to ask. */
static void servfail(struct dg_server *srv, const struct dg_config *cfg,
		     const struct dg_client *c, const uint8_t *msg, size_t len,
		     const struct dg_query_info *q, const struct dg_entry *e,
		     const struct dg_fetch_waiter *w)
{
	struct dg_qlog_record r = { .allow = true,
				    .rcode = DG_RCODE_SERVFAIL };

	reply_empty(srv, c, msg, len, q, true, DG_RCODE_SERVFAIL, false);
	if (w != NULL) {
		r.upstream = w->server;
		r.upstream_ms = w->fetch_ms;
	}
	record_query(srv, cfg, c, q, e, &r);
}

/* Deny a parsed question: NODATA for a denied type on a name that exists,
 * else the configured rcode. Nothing of it goes anywhere but back. */
static void deny(struct dg_server *srv, const struct dg_client *c,
		 const uint8_t *msg, size_t len, const struct dg_query_info *q,
		 const struct dg_verdict *v)
{
	unsigned rcode;
	struct dg_qlog_record r = { .allow = false, .reason = v->reason };

	if (v->reason == DG_REASON_QTYPE && v->name_allowed)
		rcode = DG_RCODE_NOERROR;
	else if (srv->cfg->deny_rcode == DG_DENY_REFUSED)
		rcode = DG_RCODE_REFUSED;
	else
		rcode = DG_RCODE_NXDOMAIN;
	reply_empty(srv, c, msg, len, q, true, rcode, rcode != DG_RCODE_REFUSED);
	r.rcode = rcode;
	record_query(srv, srv->cfg, c, q, v->entry, &r);
}

/* An answer, from the cache (w NULL) or just fetched (w), under cfg, the
 * query's own snapshot; e is an entry of its policy. */
static void reply_answer(struct dg_server *srv, const struct dg_config *cfg,
			 const struct dg_client *c, const uint8_t *msg,
			 const struct dg_query_info *q, const struct dg_entry *e,
			 const struct dg_answer *a, uint32_t elapsed,
			 const struct dg_fetch_waiter *w)
{
	size_t n = dg_wire_encode_answer(a, msg, q, elapsed,
					 cfg->negative_ttl,
					 reply_limit(cfg, c, q), srv->out,
					 sizeof(srv->out));
	struct dg_qlog_record r = {
		.allow = a->reason == DG_REASON_NONE,
		.reason = (enum dg_reason)a->reason,
		.rcode = a->rcode,
		.cached = w == NULL,
		.has_answer = a->reason == DG_REASON_NONE,
		.answers = a->ancount,
		.scrubbed = a->scrubbed,
	};

	if (n > 0)
		dg_listener_reply(c, srv->out, n);
	if (w == NULL)
		srv->counters.cache_hits++;
	if (w != NULL) {
		r.upstream = w->server;
		r.upstream_ms = w->fetch_ms;
	}
	record_query(srv, cfg, c, q, e, &r);
}

static void query_finish(struct query *qr)
{
	qr->srv->waiting--;
	dg_client_release(&qr->client);
	snapshot_unref(qr->snap);
	free(qr);
}

static void on_fetch_done(struct dg_fetch_waiter *w, int status,
			  const uint8_t *pkt, size_t len);

static void forward(struct dg_server *srv, const uint8_t *msg, size_t len,
		    const struct dg_query_info *info,
		    const struct dg_client *client,
		    const struct dg_policy *policy, uint32_t pi,
		    const struct dg_entry *e)
{
	struct query *qr = NULL;
	int rc;

	srv->counters.cache_misses++;
	/* Past max_waiting (a flood of one name joins a single fetch, so
	 * max_inflight alone would not bound it): SERVFAIL now. */
	if (srv->waiting < srv->cfg->max_waiting)
		qr = malloc(sizeof(*qr) + info->question_end);
	if (qr == NULL) {
		servfail(srv, srv->cfg, client, msg, len, info, e, NULL);
		return;
	}
	srv->waiting++;
	qr->srv = srv;
	qr->snap = srv->snap;
	qr->snap->refs++;
	qr->policy = policy;
	qr->pi = pi;
	qr->len = info->question_end;
	qr->entry = e;
	memcpy(qr->msg, msg, qr->len);
	qr->info = *info;
	qr->info.qname = qr->msg + (info->qname - msg);
	qr->waiter.cb = on_fetch_done;
	dg_client_hold(&qr->client, client);
	rc = dg_fetch_start(srv->upstream, qr->info.qname, info->qtype,
			    info->qclass, &qr->waiter);
	if (rc != 0) {
		/* Past max_inflight: SERVFAIL now rather than queue. */
		servfail(srv, srv->cfg, client, msg, len, info, e, NULL);
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
	srv->counters.budget_exhausted++;
	if (bv == DG_BUDGET_TOTAL_EXHAUSTED)
		srv->counters.budget_total_exhausted++;
	return true;
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
	const struct dg_group *group;
	const struct dg_policy *policy;
	enum dg_budget_verdict bv = DG_BUDGET_SEEN;
	uint32_t elapsed, entry = 0, pi;

	/* A query is never decided or logged for a client whose address is
	 * unknown (DESIGN.md, trust boundaries): it would miss its group,
	 * share one budget with every other such client, and name no one in
	 * the log. The listener already closes such a TCP connection; this
	 * holds for any transport. */
	if (client->addr.len == 0 ||
	    (client->addr.u.sa.sa_family != AF_INET &&
	     client->addr.u.sa.sa_family != AF_INET6)) {
		srv->counters.unknown_client++;
		return;
	}
	/* Over its rate, a client's datagram is dropped before anything is
	 * read of it: the cheapest answer to a flood, and none to a spoofed
	 * source (Unbound's ip-ratelimit does the same). TCP clients are
	 * bounded by the connection and pipeline caps instead. */
	if (cfg->client_rate_limit > 0 &&
	    client->transport == DG_TRANSPORT_UDP &&
	    !dg_budget_query(srv->budget, &client->addr, cfg->client_rate_limit,
			     uv_now(srv->loop))) {
		srv->counters.rate_limited++;
		return;
	}
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
	policy = client_policy(srv, cfg, client, &group);
	pi = group != NULL ? (uint32_t)(group - cfg->groups) + 1 : 0;
	dg_policy_decide(policy, &question, &v);
	/* The tunnel budget: new names below a wildcard or depth entry,
	 * per client and in total, after the policy allowed them (DESIGN.md
	 * order). An entry's own name is never new: it has one name only. */
	if (v.allow) {
		entry = dg_policy_entry_index(policy, v.entry);
		if (v.depth > 0)
			bv = dg_budget_check(srv->budget, &client->addr, pi,
					     entry, info.qname,
					     uv_now(srv->loop));
		budget_denies(srv, bv, &v);
	}
	if (!v.allow) {
		deny(srv, client, msg, len, &info, &v);
		return;
	}

	cached = dg_cache_lookup(srv->caches[pi], info.qname, info.qtype,
				 info.qclass, uv_now(srv->loop), &elapsed);
	if (cached != NULL) {
		reply_answer(srv, cfg, client, msg, &info, v.entry, cached,
			     elapsed, NULL);
		return;
	}
	/* Any name but one new to the policy that would reach the upstream
	 * again pays too: with TTL-0 answers, which name and type is asked,
	 * and when, would otherwise signal at the query rate. */
	if (bv != DG_BUDGET_NEW &&
	    budget_denies(srv, dg_budget_refetch(srv->budget, &client->addr,
						  pi, entry, uv_now(srv->loop)),
			  &v)) {
		deny(srv, client, msg, len, &info, &v);
		return;
	}
	forward(srv, msg, len, &info, client, policy, pi, v.entry);
}

/* The addresses of a fresh answer, scrubbed, to the nft sets: the ones a
 * client may now connect to, for as long as it may keep them. Cached
 * copies need nothing: they expire with the elements. */
static void add_to_nftset(struct dg_server *srv, const struct dg_answer *a)
{
	struct dg_rr rr;
	size_t pos = 0;

	while (dg_answer_next(a, &pos, &rr)) {
		if (rr.type == LDNS_RR_TYPE_A && rr.rdlen == 4)
			dg_nftset_add(srv->nftset, AF_INET, rr.rdata, rr.ttl);
		else if (rr.type == LDNS_RR_TYPE_AAAA && rr.rdlen == 16)
			dg_nftset_add(srv->nftset, AF_INET6, rr.rdata, rr.ttl);
	}
	dg_nftset_flush(srv->nftset);
}

/*
 * The upstream's answer, parsed and scrubbed under the query's own
 * snapshot: the entry that allowed the question says whether private
 * addresses stay, and the client's policy judges a strict CNAME chain. A
 * reload while the answer was in flight changes neither (DESIGN.md "Trust
 * boundaries": an answer is judged under the snapshot of the query that
 * asked for it).
 */
static int judge_answer(const struct query *qr, const uint8_t *pkt,
			size_t len, struct dg_answer **out)
{
	const struct dg_config *cfg = qr->snap->cfg;
	struct dg_ttl_policy ttl = { .min_ttl = cfg->min_ttl,
				     .max_ttl = cfg->max_ttl,
				     .negative_ttl = cfg->negative_ttl };
	struct dg_scrub_policy sp = {
		.private_allow = qr->entry->private_allow,
		.cname_strict = cfg->cname == DG_CNAME_STRICT,
		.target_allowed = dg_policy_allows,
		.arg = (void *)qr->policy,
	};
	struct dg_scrub_report report;
	int rc;

	rc = dg_wire_parse_answer(pkt, len, qr->info.qname, qr->info.qtype,
				  &ttl, &sp, &report, out);
	if (rc != 0 || !report.cname_refused)
		return rc;
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
 * An answer for a waiting query. Under the snapshot in force it is cached
 * for the query's policy and feeds the nft sets (another waiter of the
 * same fetch and policy may have done both already: its cached copy
 * serves). Under an older snapshot it only answers this query: neither
 * the cache nor the sets of the new configuration take what the old one
 * allowed.
 */
static void answer_waiting(struct dg_server *srv, struct query *qr,
			   const struct dg_fetch_waiter *w, const uint8_t *pkt,
			   size_t len)
{
	const struct dg_config *cfg = qr->snap->cfg;
	bool current = qr->snap == srv->snap;
	const struct dg_answer *cached = NULL;
	struct dg_answer *a = NULL;
	uint32_t elapsed = 0;

	if (current)
		cached = dg_cache_lookup(srv->caches[qr->pi], qr->info.qname,
					 qr->info.qtype, qr->info.qclass,
					 uv_now(srv->loop), &elapsed);
	if (cached != NULL) {
		reply_answer(srv, cfg, &qr->client, qr->msg, &qr->info,
			     qr->entry, cached, elapsed, w);
		return;
	}
	if (judge_answer(qr, pkt, len, &a) != 0) {
		servfail(srv, cfg, &qr->client, qr->msg, qr->len, &qr->info,
			 qr->entry, w);
		return;
	}
	if (current) {
		if (srv->nftset != NULL)
			add_to_nftset(srv, a);
		/* Out of memory here only means this answer is not cached. */
		(void)dg_cache_store(srv->caches[qr->pi], qr->info.qname,
				     qr->info.qtype, qr->info.qclass, a,
				     uv_now(srv->loop));
	}
	reply_answer(srv, cfg, &qr->client, qr->msg, &qr->info, qr->entry, a,
		     0, w);
	dg_answer_unref(a);
}

static void on_fetch_done(struct dg_fetch_waiter *w, int status,
			  const uint8_t *pkt, size_t len)
{
	struct query *qr = dg_container_of(w, struct query, waiter);
	struct dg_server *srv = qr->srv;

	if (status == 0)
		answer_waiting(srv, qr, w, pkt, len);
	else if (status != UV_ECANCELED)
		servfail(srv, qr->snap->cfg, &qr->client, qr->msg, qr->len,
			 &qr->info, qr->entry, w);
	query_finish(qr);
}

static void on_qlog_tick(uv_timer_t *t)
{
	struct dg_server *srv = t->data;

	dg_qlog_tick(srv->qlog, wall_ms(srv->loop));
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

/* Summaries every QLOG_TICK_MS: a client whose flood stopped gets its own
 * before the next query of anyone. */
static int start_qlog_tick(struct dg_server *srv)
{
	int rc;

	srv->qlog_tick = malloc(sizeof(*srv->qlog_tick));
	if (srv->qlog_tick == NULL)
		return UV_ENOMEM;
	rc = uv_timer_init(srv->loop, srv->qlog_tick);
	if (rc != 0) {
		free(srv->qlog_tick);
		srv->qlog_tick = NULL;
		return rc;
	}
	srv->qlog_tick->data = srv;
	return uv_timer_start(srv->qlog_tick, on_qlog_tick, QLOG_TICK_MS,
			      QLOG_TICK_MS);
}

/*
 * The budget of one worker, policies numbered as the caches are.
 * Each worker keeps its own, and a sandbox that forges sources reaches
 * every worker (they are picked by source address), so each worker
 * allows 1/workers of every total: their sum is the configured total,
 * whatever addresses are used. Workers as running, not as cfg says: a
 * reload that lowers [server] workers leaves them all running.
 */
static struct dg_budget *budget_new(const struct dg_server *srv,
				    const struct dg_config *cfg)
{
	size_t n = cfg->n_groups + 1;
	struct dg_budget_policy *policies = calloc(n, sizeof(*policies));
	struct dg_budget *b;

	if (policies == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct dg_policy *p = i == 0 ? cfg->policy
						   : cfg->groups[i - 1].policy;
		unsigned total = dg_config_total_for(cfg, i);

		policies[i].n_entries = dg_policy_count(p);
		policies[i].total_per_minute =
			total / srv->n_workers > 0 ? total / srv->n_workers : 1;
	}
	b = dg_budget_new(cfg->new_names_per_minute, policies, n,
			  &srv->hash_key);
	free(policies);
	return b;
}

int dg_server_reload(struct dg_server *srv, struct dg_config *cfg)
{
	struct snapshot *snap = snapshot_new(cfg, cfg);
	struct dg_cache **caches = caches_new(cfg, &srv->hash_key);
	struct dg_budget *budget = budget_new(srv, cfg);

	if (snap == NULL || caches == NULL || budget == NULL) {
		if (snap != NULL)
			snap->owned = NULL;
		snapshot_unref(snap);
		caches_free(caches, cfg->n_groups + 1);
		dg_budget_free(budget);
		return UV_ENOMEM;
	}
	/* Cached answers were scrubbed, and budgets kept, by the old
	 * policies' entries: both start again, so nothing they allowed is
	 * served under the new ones. */
	caches_free(srv->caches, srv->n_caches);
	dg_budget_free(srv->budget);
	srv->caches = caches;
	srv->n_caches = cfg->n_groups + 1;
	srv->budget = budget;
	snapshot_unref(srv->snap);
	srv->snap = snap;
	srv->cfg = cfg;
	srv->counters.reloads++;
	/* The old caches went back to malloc in thousands of small pieces
	 * among the new ones; glibc keeps such pages unless asked, and the
	 * soak saw RSS climb by about 2 MiB at each reload. */
	malloc_trim(0);
	return 0;
}

const struct dg_config *dg_server_config(const struct dg_server *srv)
{
	return srv->cfg;
}

void dg_server_count_reload_failure(struct dg_server *srv)
{
	srv->counters.reload_failures++;
}

/* This server's figures, as they are now; f->upstream has room for
 * every upstream server. */
static void figures_read(const struct dg_server *srv, struct figures *f)
{
	const struct dg_upstream_counters *up =
		dg_upstream_counters(srv->upstream);

	f->queries = srv->counters;
	memcpy(f->upstream, up, srv->cfg->servers.n * sizeof(*up));
	f->cache_entries = 0;
	for (size_t i = 0; i < srv->n_caches; i++)
		f->cache_entries += dg_cache_count(srv->caches[i]);
	f->inflight = dg_upstream_inflight(srv->upstream);
	f->waiting = srv->waiting;
	f->tcp_connections = dg_listener_tcp_count(srv->listener);
	f->tcp_unknown_peers = dg_listener_unknown_peers(srv->listener);
	memset(&f->nftset, 0, sizeof(f->nftset));
	if (srv->nftset != NULL)
		dg_nftset_stats(srv->nftset, &f->nftset);
}

/* dst += src, both made of uint64_t only. */
static void add_u64s(void *dst, const void *src, size_t size)
{
	uint64_t *d = dst;
	const uint64_t *s = src;

	for (size_t i = 0; i < size / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static void figures_add(struct figures *dst, const struct figures *src,
			size_t n_upstreams)
{
	static_assert(sizeof(struct dg_query_counters) % sizeof(uint64_t) == 0,
		      "query counters are uint64_t only");
	static_assert(sizeof(struct dg_upstream_counters) % sizeof(uint64_t) == 0,
		      "upstream counters are uint64_t only");

	add_u64s(&dst->queries, &src->queries, sizeof(src->queries));
	for (size_t i = 0; i < n_upstreams; i++)
		add_u64s(&dst->upstream[i], &src->upstream[i],
			 sizeof(src->upstream[i]));
	dst->cache_entries += src->cache_entries;
	dst->inflight += src->inflight;
	dst->waiting += src->waiting;
	dst->tcp_connections += src->tcp_connections;
	dst->tcp_unknown_peers += src->tcp_unknown_peers;
	dst->nftset.added += src->nftset.added;
	dst->nftset.dropped += src->nftset.dropped;
	dst->nftset.errors += src->nftset.errors;
}

static void on_publish(uv_timer_t *t)
{
	struct dg_server *srv = t->data;
	struct figures *slot = &srv->board->slots[srv->worker];

	uv_mutex_lock(&srv->board->lock);
	figures_read(srv, slot);
	/* Every worker reloads with the others: the first counts them. */
	slot->queries.reloads = slot->queries.reload_failures = 0;
	uv_mutex_unlock(&srv->board->lock);
}

/* The figures of a scrape: this server's as they are now, plus the other
 * workers' as they last published them. */
static void metrics_view(void *arg, struct dg_metrics_view *v)
{
	struct dg_server *srv = arg;
	struct figures *f = &srv->sum;

	figures_read(srv, f);
	if (srv->board != NULL) {
		uv_mutex_lock(&srv->board->lock);
		for (size_t i = 1; i < srv->board->n_workers; i++)
			figures_add(f, &srv->board->slots[i],
				    srv->board->n_upstreams);
		uv_mutex_unlock(&srv->board->lock);
	}
	v->queries = &f->queries;
	v->upstreams = srv->cfg->servers.v;
	v->upstream = f->upstream;
	v->n_upstreams = srv->cfg->servers.n;
	v->cache_entries = f->cache_entries;
	v->inflight = f->inflight;
	v->waiting = f->waiting;
	v->tcp_connections = f->tcp_connections;
	v->tcp_unknown_peers = f->tcp_unknown_peers;
	v->nftset_added = f->nftset.added;
	v->nftset_dropped = f->nftset.dropped;
	v->nftset_errors = f->nftset.errors;
}

struct dg_server_board *dg_server_board_new(size_t n_workers,
					    const struct dg_config *cfg)
{
	struct dg_server_board *b = calloc(1, sizeof(*b));
	size_t n_up = cfg->servers.n;

	if (b == NULL)
		return NULL;
	b->n_workers = n_workers;
	b->n_upstreams = n_up;
	b->slots = calloc(n_workers, sizeof(*b->slots));
	if (b->slots == NULL || uv_mutex_init(&b->lock) != 0) {
		free(b->slots);
		free(b);
		return NULL;
	}
	for (size_t i = 0; i < n_workers; i++) {
		b->slots[i].upstream = calloc(n_up ? n_up : 1,
					      sizeof(*b->slots[i].upstream));
		if (b->slots[i].upstream == NULL) {
			dg_server_board_free(b);
			return NULL;
		}
	}
	return b;
}

void dg_server_board_free(struct dg_server_board *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n_workers; i++)
		free(b->slots[i].upstream);
	free(b->slots);
	uv_mutex_destroy(&b->lock);
	free(b);
}

/* Workers but the first copy their figures to the board on a timer. */
static int start_publish(struct dg_server *srv)
{
	int rc;

	srv->publish = malloc(sizeof(*srv->publish));
	if (srv->publish == NULL)
		return UV_ENOMEM;
	rc = uv_timer_init(srv->loop, srv->publish);
	if (rc != 0) {
		free(srv->publish);
		srv->publish = NULL;
		return rc;
	}
	srv->publish->data = srv;
	return uv_timer_start(srv->publish, on_publish, 0, PUBLISH_MS);
}

int dg_server_reopen_log(struct dg_server *srv)
{
	return dg_qlog_reopen(srv->qlog);
}

int dg_server_start(uv_loop_t *loop, const struct dg_config *cfg,
		    struct dg_server_board *board, unsigned worker,
		    struct dg_server **out)
{
	struct dg_server *srv = calloc(1, sizeof(*srv));
	struct dg_upstream_config ucfg = {
		.servers = cfg->servers.v,
		.n_servers = cfg->servers.n,
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
	srv->cfg = cfg;
	srv->listen_addrs = cfg->listen.v;
	srv->board = board;
	srv->worker = worker;
	lcfg.arg = srv;
	dg_hash_key_random(&srv->hash_key);
	srv->snap = snapshot_new(cfg, NULL);
	srv->caches = caches_new(cfg, &srv->hash_key);
	srv->n_caches = cfg->n_groups + 1;
	srv->n_workers = cfg->workers;
	srv->budget = budget_new(srv, cfg);
	srv->upstream = dg_upstream_new(loop, &ucfg);
	srv->sum.upstream = calloc(cfg->servers.n ? cfg->servers.n : 1,
				   sizeof(*srv->sum.upstream));
	if (srv->snap == NULL || srv->caches == NULL || srv->budget == NULL ||
	    srv->upstream == NULL || srv->sum.upstream == NULL) {
		rc = UV_ENOMEM;
		goto fail;
	}
	if (board != NULL && worker > 0 && (rc = start_publish(srv)) != 0)
		goto fail;
	rc = dg_qlog_open(cfg->query_log ? cfg->query_log : "stderr",
			  cfg->deny_log_rate, &srv->qlog);
	if (rc != 0) {
		fprintf(stderr, "dnsgate: cannot open the query log %s: %s\n",
			cfg->query_log, uv_strerror(rc));
		goto fail;
	}
	if (srv->qlog != NULL && cfg->deny_log_rate > 0 &&
	    (rc = start_qlog_tick(srv)) != 0)
		goto fail;
	/* Before dnsgate drops root: the kernel checks the socket's opener. */
	if (cfg->nft_set[0].table != NULL || cfg->nft_set[1].table != NULL) {
		rc = dg_nftset_open(loop, &cfg->nft_set[0], &cfg->nft_set[1],
				    &srv->nftset);
		if (rc != 0) {
			fprintf(stderr, "dnsgate: cannot open a netlink socket "
					"for [firewall] nft_set: %s\n",
				uv_strerror(rc));
			goto fail;
		}
	}
	if (cfg->metrics_enabled && worker == 0) {
		rc = dg_metrics_open(loop, &cfg->metrics_listen, metrics_view,
				     srv, &srv->metrics);
		if (rc != 0) {
			char text[DG_ADDR_STRLEN];

			dg_addr_format(&cfg->metrics_listen, text, sizeof(text));
			fprintf(stderr, "dnsgate: cannot serve metrics on %s: %s\n",
				text, uv_strerror(rc));
			goto fail;
		}
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
	if (srv->qlog_tick != NULL)
		uv_close((uv_handle_t *)srv->qlog_tick, free_handle);
	if (srv->publish != NULL)
		uv_close((uv_handle_t *)srv->publish, free_handle);
	free(srv->sum.upstream);
	dg_metrics_close(srv->metrics);
	dg_nftset_close(srv->nftset);
	dg_qlog_close(srv->qlog);
	dg_budget_free(srv->budget);
	caches_free(srv->caches, srv->n_caches);
	snapshot_unref(srv->snap);
	free(srv);
	return rc;
}

void dg_server_stop(struct dg_server *srv)
{
	/* Listener first: no new queries. Then the upstream, whose cancelled
	 * waiters release their clients, before the cache goes. */
	dg_listener_close(srv->listener);
	dg_upstream_close(srv->upstream);
	if (srv->qlog_tick != NULL)
		uv_close((uv_handle_t *)srv->qlog_tick, free_handle);
	if (srv->publish != NULL)
		uv_close((uv_handle_t *)srv->publish, free_handle);
	free(srv->sum.upstream);
	dg_metrics_close(srv->metrics);
	dg_nftset_close(srv->nftset);
	caches_free(srv->caches, srv->n_caches);
	dg_budget_free(srv->budget);
	dg_qlog_close(srv->qlog);
	snapshot_unref(srv->snap);
	free(srv);
}
