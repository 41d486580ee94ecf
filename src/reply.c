/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reply: encode, send, count and log the reply of a request. See reply.h.
 */
#include "reply.h"

#include <stdio.h>
#include <time.h>

#include "zones.h"

static size_t reply_limit(const struct dg_request *req)
{
	if (req->client->transport == DG_TRANSPORT_TCP)
		return DG_WIRE_MAX;
	return dg_wire_udp_limit(&req->info, req->snap->cfg->max_udp_size);
}

/* The log's time stamps want the wall clock; uv_now is monotonic, and
 * only limits the log. */
static uint64_t wall_ms(void)
{
	uv_timeval64_t now;

	if (uv_gettimeofday(&now) != 0)
		return (uint64_t)time(NULL) * 1000;
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_usec / 1000;
}

/* A question answered: counted, and logged when the sink is on and the
 * verdict is logged. r holds what the caller knows of the outcome (the
 * entry too, when it was formatted already); the rest is filled here. */
static void record(struct dg_replier *rp, const struct dg_request *req,
		   struct dg_qlog_record *r)
{
	char entry[DG_ENTRY_STRLEN];
	const struct dg_client *c = req->client;

	/* Audit mode answered it: logged whatever log_allowed says, and
	 * counted apart from the questions the policy allowed. */
	if (r->allow && req->would_deny != DG_REASON_NONE) {
		r->would_deny = true;
		r->reason = req->would_deny;
		rp->counters.would_deny[r->reason]++;
	} else {
		rp->counters.by_reason[r->allow ? DG_REASON_NONE : r->reason]++;
	}
	dg_metrics_count_type(&rp->counters, req->info.qtype);
	if (c->transport == DG_TRANSPORT_TCP)
		rp->counters.tcp++;
	else
		rp->counters.udp++;
	if (r->allow && r->rcode == DG_RCODE_SERVFAIL)
		rp->counters.servfail++;
	if (rp->qlog == NULL ||
	    (r->allow && !r->would_deny && !req->snap->cfg->log_allowed))
		return;
	r->time_ms = wall_ms();
	r->client = &c->addr;
	r->tcp = c->transport == DG_TRANSPORT_TCP;
	r->name = req->info.qname;
	r->qtype = req->info.qtype;
	r->group = req->group != NULL ? req->group->name : NULL;
	if (r->entry == NULL && req->entry != NULL) {
		dg_zones_format_entry(req->entry_policy, req->entry, entry,
				      sizeof(entry));
		r->entry = entry;
	}
	dg_qlog_write(rp->qlog, r, uv_now(rp->loop));
}

/* Inline: a denial is the most common reply of all, and a call per
 * denial showed in the instruction counts (tests/bench/profile.sh). */
static inline size_t build_empty(struct dg_replier *rp,
				 const struct dg_request *req,
				 bool question_ok, unsigned rcode, bool soa)
{
	return dg_wire_build_empty(req->msg, req->len, &req->info, question_ok,
				   rcode,
				   soa ? req->snap->cfg->negative_ttl
				       : UINT32_MAX,
				   rp->out, sizeof(rp->out));
}

static inline void send_out(struct dg_replier *rp,
			    const struct dg_request *req, size_t n)
{
	if (n > 0)
		dg_listener_reply(req->client, rp->out, n);
}

static inline void send_empty(struct dg_replier *rp,
			      const struct dg_request *req, bool question_ok,
			      unsigned rcode, bool soa)
{
	send_out(rp, req, build_empty(rp, req, question_ok, rcode, soa));
}

/* Does the denial of req explain itself? Only to a client that sent
 * EDNS: RFC 8914 puts the explanation in the OPT record. */
static bool wants_ede(const struct dg_request *req)
{
	return req->info.edns && req->snap->cfg->ede;
}

/*
 * The Extended DNS Error of a denial onto the n bytes of rp->out, in the
 * words of the query log and `explain` (the reason's name, the entry in
 * zones syntax). INFO-CODE (RFC 8914 4):
 *   18 Prohibited for budget: the name is allowed, this client may not
 *      ask for more new names now; the client is refused, not the name;
 *   15 Blocked for every other reason: the operator's policy blocks the
 *      question itself (not-listed, too-deep, qtype, the global limits,
 *      a strict CNAME chain that leaves the allowlist).
 * entry: the entry formatted, or NULL.
 */
static size_t add_ede(struct dg_replier *rp, const struct dg_request *req,
		      size_t n, enum dg_reason reason, const char *entry)
{
	char text[DG_ENTRY_STRLEN + 64];
	const char *name = dg_reason_name(reason);

	if (reason == DG_REASON_CNAME)
		snprintf(text, sizeof(text), "%s (chain leaves the allowlist)",
			 name);
	else if (entry != NULL)
		snprintf(text, sizeof(text), "%s (entry %s)", name, entry);
	else
		snprintf(text, sizeof(text), "%s", name);
	return dg_wire_add_ede(rp->out, n, reply_limit(req), &req->info,
			       reason == DG_REASON_BUDGET ? DG_EDE_PROHIBITED
							  : DG_EDE_BLOCKED,
			       text);
}

void dg_reply_empty(struct dg_replier *rp, const struct dg_request *req,
		    bool question_ok, unsigned rcode, bool soa)
{
	send_empty(rp, req, question_ok, rcode, soa);
}

/* The upstream and its time in r, when one was asked (w). */
static void record_upstream(struct dg_qlog_record *r,
			    const struct dg_fetch_waiter *w)
{
	if (w != NULL) {
		r->upstream = w->server;
		r->upstream_ms = w->fetch_ms;
	}
}

void dg_reply_servfail(struct dg_replier *rp, const struct dg_request *req,
		     const struct dg_fetch_waiter *w)
{
	struct dg_qlog_record r = { .allow = true,
				    .rcode = DG_RCODE_SERVFAIL };

	send_empty(rp, req, true, DG_RCODE_SERVFAIL, false);
	record_upstream(&r, w);
	record(rp, req, &r);
}

void dg_reply_deny(struct dg_replier *rp, const struct dg_request *req,
		 const struct dg_verdict *v)
{
	char entry[DG_ENTRY_STRLEN];
	unsigned rcode;
	size_t n;
	struct dg_qlog_record r = { .allow = false, .reason = v->reason };

	if (v->reason == DG_REASON_QTYPE && v->name_allowed)
		rcode = DG_RCODE_NOERROR;
	else if (req->snap->cfg->deny_rcode == DG_DENY_REFUSED)
		rcode = DG_RCODE_REFUSED;
	else
		rcode = DG_RCODE_NXDOMAIN;
	n = build_empty(rp, req, true, rcode, rcode != DG_RCODE_REFUSED);
	if (wants_ede(req)) {
		/* Formatted once, for the EDE and the log line alike. */
		if (req->entry != NULL) {
			dg_zones_format_entry(req->entry_policy, req->entry, entry,
					      sizeof(entry));
			r.entry = entry;
		}
		n = add_ede(rp, req, n, v->reason, r.entry);
	}
	send_out(rp, req, n);
	r.rcode = rcode;
	record(rp, req, &r);
}

void dg_reply_answer(struct dg_replier *rp, const struct dg_request *req,
			 const struct dg_answer *a, uint32_t elapsed,
			 const struct dg_fetch_waiter *w)
{
	size_t n = dg_wire_encode_answer(a, req->msg, &req->info, elapsed,
					 req->snap->cfg->negative_ttl,
					 reply_limit(req), rp->out,
					 sizeof(rp->out));
	struct dg_qlog_record r = {
		.allow = a->reason == DG_REASON_NONE,
		.reason = (enum dg_reason)a->reason,
		.rcode = a->rcode,
		.cached = w == NULL && !req->local,
		.local = req->local,
		.has_answer = a->reason == DG_REASON_NONE,
		.answers = a->ancount,
		.scrubbed = a->scrubbed,
	};

	/* A denial found in the answer (a strict CNAME chain) explains
	 * itself as a denial of the question does. */
	if (a->reason != DG_REASON_NONE && wants_ede(req))
		n = add_ede(rp, req, n, (enum dg_reason)a->reason, NULL);
	send_out(rp, req, n);
	if (w == NULL && !req->local)
		rp->counters.cache_hits++;
	record_upstream(&r, w);
	record(rp, req, &r);
}

void dg_reply_tick(struct dg_replier *rp)
{
	dg_qlog_tick(rp->qlog, uv_now(rp->loop), wall_ms());
}
