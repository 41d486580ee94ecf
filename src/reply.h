/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reply: what a client question gets back. A request (knot-resolver's
 * kr_request plays this part) carries everything about one question and
 * what was decided for it; each reply here is encoded under the request's
 * own snapshot, sent, counted and logged. The server decides which reply
 * a request gets; nothing here decides anything.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "listener.h"
#include "overlay.h"
#include "metrics_text.h"
#include "policy.h"
#include "qlog.h"
#include "snapshot.h"
#include "upstream.h"
#include "wire.h"

/*
 * One client question and what was decided for it. On the stack for a
 * query answered at once, where it borrows the client, the message and
 * the snapshot; inside the server's waiting query, where each is held.
 */
struct dg_request {
	const struct dg_client *client;
	const uint8_t *msg;
	size_t len;
	struct dg_query_info info;      /* points into msg */
	struct dg_snapshot *snap;       /* decides, scrubs and answers */
	const struct dg_group *group;   /* of snap->cfg; NULL: global */
	const struct dg_policy *policy; /* the client's */
	uint32_t pi;                    /* its index: 0 global, i + 1 group i */
	const struct dg_entry *entry;   /* of entry_policy; NULL: none */
	/* The policy entry belongs to: the client's, or a temporary
	 * entry's (of overlay, which the request then holds). */
	const struct dg_policy *entry_policy;
	uint32_t entry_index; /* entry's, as the budget counts it */
	struct dg_overlay *overlay;
	bool audit;                     /* the policy's mode is audit */
	/* What enforce would have denied the question for, when audit mode
	 * lets it on: its reply is logged and counted as would-deny.
	 * DG_REASON_NONE: the verdict is the policy's own. */
	enum dg_reason would_deny;
	bool local; /* answered from [local] records, no upstream asked */
	/* The question's dg_name_key_hash under the server's key, which its
	 * caches and the fetch table share: hashed once, once allowed. */
	uint32_t hash;
};

/* What replying needs of a worker, one per server. */
struct dg_replier {
	uv_loop_t *loop;
	struct dg_qlog *qlog; /* NULL: no query log */
	struct dg_query_counters counters;
	uint8_t out[DG_WIRE_MAX];
};

/* An answer with no records: errors and denials. question_ok: the
 * question parsed and is echoed; soa: with our SOA (a negative answer). */
void dg_reply_empty(struct dg_replier *rp, const struct dg_request *req,
		    bool question_ok, unsigned rcode, bool soa);

/* SERVFAIL for an allowed question: no upstream answered (w says which
 * was tried last), or there was none to ask (w NULL). */
void dg_reply_servfail(struct dg_replier *rp, const struct dg_request *req,
		       const struct dg_fetch_waiter *w);

/* Deny a parsed question: NODATA for a denied type on a name that exists,
 * else the configured rcode, with an Extended DNS Error naming the reason
 * and entry when the client sent EDNS and [policy] ede is on. Nothing of
 * it goes anywhere but back. */
void dg_reply_deny(struct dg_replier *rp, const struct dg_request *req,
		   const struct dg_verdict *v);

/* An answer, from the cache (w NULL, `elapsed` seconds old), just
 * fetched (w) or from local records (req->local, w NULL); one that is a
 * denial (a->reason) explains itself as dg_reply_deny's do. */
void dg_reply_answer(struct dg_replier *rp, const struct dg_request *req,
		     const struct dg_answer *a, uint32_t elapsed,
		     const struct dg_fetch_waiter *w);

/* Summaries of the denial lines the query log held back. */
void dg_reply_tick(struct dg_replier *rp);
