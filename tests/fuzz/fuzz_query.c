/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_query: raw bytes as a client query, down the server's own path:
 * header checks and parse (wire), the decision (policy), then the denial
 * (with its Extended DNS Error, which must stay within the client's
 * size) or error built from the query's bytes, or a cached answer encoded for
 * it. Every byte a client sends goes through these functions before any
 * other code sees it.
 *
 * Beyond crashes, an oracle that aborts on a wrong decision: the harness
 * reads the question from the bytes itself and decides it again by its
 * own plain reading of the policy (a scan over its own copy of the three
 * entries and the default limits, label by label, where the policy walks
 * a trie). An allowed question the entries do not cover, a denial whose
 * reason is not the first that applies in DESIGN.md's order, or an
 * allowed one credited to another entry or depth, aborts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "diag.h"
#include "name.h"
#include "policy.h"
#include "wire.h"
#include "zones.h"

static struct dg_policy *policy;
static struct dg_answer *answer;

/* The oracle's copy of setup()'s entries and of dg_policy_new()'s limits,
 * as dnsgate.zones(5) and DESIGN.md state them, not as the policy stores
 * them; setup() aborts when the policy's limits differ, so a changed
 * default shows here first. */
static const struct ref_entry {
	uint8_t nlabels;
	const char *labels[2]; /* lowercase, root last */
	unsigned depth;        /* labels below the name; `*.` is depth 1 */
	uint16_t types[6];     /* 0-terminated */
	bool private_allow;
} ref_entries[] = {
	{ 2, { "allowed", "test" }, 1, { 1, 5, 28, 64, 65 }, false },
	{ 2, { "example", "com" }, 2, { 1, 28, 65 }, false },
	{ 2, { "private", "test" }, 0, { 1, 5, 28, 64, 65 }, true },
};
/* Every type some entry allows: here the defaults, A CNAME AAAA SVCB HTTPS. */
static const uint16_t ref_any_type[] = { 1, 5, 28, 64, 65, 0 };
#define REF_MAX_LABEL 40
#define REF_MAX_NAME 160 /* bytes as written, no final dot */
#define REF_MAX_LABELS 128

/* A question as the oracle reads it from the message's bytes. */
struct ref_question {
	const uint8_t *label[REF_MAX_LABELS]; /* each at its length byte */
	unsigned nlabels;
	size_t wire_len; /* the root byte included */
	uint16_t qtype, qclass;
};

static void oracle_fail(const char *what, const uint8_t *pkt, size_t len)
{
	fuzz_oracle_fail("fuzz_query", what, pkt, len);
}

static bool ref_type_in(const uint16_t *types, uint16_t t)
{
	for (size_t i = 0; types[i] != 0; i++)
		if (types[i] == t)
			return true;
	return false;
}

/* The question after the header: plain labels only (a query's name has
 * nothing to point back to), at most 255 bytes, type and class after it.
 * @return false when it does not read so. */
static bool ref_read_question(const uint8_t *pkt, size_t len,
			      struct ref_question *rq)
{
	size_t pos = 12;

	rq->nlabels = 0;
	for (;;) {
		if (pos >= len || pkt[pos] > 63 || rq->nlabels == REF_MAX_LABELS)
			return false;
		if (pkt[pos] == 0)
			break;
		rq->label[rq->nlabels++] = pkt + pos;
		pos += 1 + (size_t)pkt[pos];
	}
	rq->wire_len = pos + 1 - 12;
	if (rq->wire_len > 255 || len - pos - 1 < 4)
		return false;
	rq->qtype = (uint16_t)(pkt[pos + 1] << 8 | pkt[pos + 2]);
	rq->qclass = (uint16_t)(pkt[pos + 3] << 8 | pkt[pos + 4]);
	return true;
}

/* Label l equals the lowercase text t, ASCII letters in any case. */
static bool ref_label_is(const uint8_t *l, const char *t)
{
	if (l[0] != strlen(t))
		return false;
	for (unsigned i = 0; i < l[0]; i++) {
		uint8_t c = l[1 + i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)t[i])
			return false;
	}
	return true;
}

/* How many labels rq has below entry e, or -1 when it is not under it. */
static int ref_below(const struct ref_question *rq, const struct ref_entry *e)
{
	if (rq->nlabels < e->nlabels)
		return -1;
	for (unsigned i = 0; i < e->nlabels; i++)
		if (!ref_label_is(rq->label[rq->nlabels - e->nlabels + i],
				  e->labels[i]))
			return -1;
	return (int)(rq->nlabels - e->nlabels);
}

/* The wire name w is entry e's name. */
static bool ref_name_is(const uint8_t *w, const struct ref_entry *e)
{
	for (unsigned i = 0; i < e->nlabels; i++, w += 1 + w[0])
		if (!ref_label_is(w, e->labels[i]))
			return false;
	return w[0] == 0;
}

static bool ref_charset_ok(const struct ref_question *rq)
{
	for (unsigned i = 0; i < rq->nlabels; i++)
		for (unsigned j = 1; j <= rq->label[i][0]; j++) {
			uint8_t c = rq->label[i][j];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return false;
		}
	return true;
}

/*
 * Check the parse and the verdict v against the oracle's own: the reasons
 * in DESIGN.md's order (class, qtype, label-length, name-length, charset,
 * not-listed, too-deep), else allowed by the entry whose name the question
 * ends with, within its depth, for its type.
 */
static void oracle_check(const uint8_t *pkt, size_t len,
			 const struct dg_query_info *q,
			 const struct dg_verdict *v)
{
	const struct ref_entry *covering = NULL, *allowing = NULL;
	bool listed = false;
	unsigned longest = 0;
	int allowing_depth = 0;
	enum dg_reason want;
	struct ref_question rq;
	uint8_t ename[DG_NAME_MAXLEN];

	if (!ref_read_question(pkt, len, &rq))
		oracle_fail("parsed a question the oracle cannot read", pkt, len);
	if (q->qname != pkt + 12 || q->qname_len != rq.wire_len ||
	    q->qtype != rq.qtype || q->qclass != rq.qclass ||
	    q->question_end != 12 + rq.wire_len + 4)
		oracle_fail("the parsed question is not the one in the bytes",
			    pkt, len);

	for (size_t i = 0; i < DG_ARRAY_SIZE(ref_entries); i++) {
		const struct ref_entry *e = &ref_entries[i];
		int below = ref_below(&rq, e);

		if (below < 0)
			continue;
		listed = true;
		if ((unsigned)below > e->depth)
			continue;
		covering = e;
		if (ref_type_in(e->types, rq.qtype)) {
			allowing = e;
			allowing_depth = below;
		}
	}
	for (unsigned i = 0; i < rq.nlabels; i++)
		if (rq.label[i][0] > longest)
			longest = rq.label[i][0];

	if (rq.qclass != 1)
		want = DG_REASON_CLASS;
	else if (!ref_type_in(ref_any_type, rq.qtype) ||
		 (covering != NULL && allowing == NULL))
		want = DG_REASON_QTYPE;
	else if (longest > REF_MAX_LABEL)
		want = DG_REASON_LABEL_LENGTH;
	/* Written without the final dot: the wire bytes less the root byte
	 * and the first length byte. */
	else if (rq.nlabels > 0 && rq.wire_len - 2 > REF_MAX_NAME)
		want = DG_REASON_NAME_LENGTH;
	else if (!ref_charset_ok(&rq))
		want = DG_REASON_CHARSET;
	else if (!listed)
		want = DG_REASON_NOT_LISTED;
	else if (covering == NULL)
		want = DG_REASON_TOO_DEEP;
	else
		want = DG_REASON_NONE;

	if (v->allow != (want == DG_REASON_NONE) || v->reason != want) {
		fprintf(stderr, "fuzz_query oracle: %s (%s), want %s\n",
			v->allow ? "allowed" : "denied",
			dg_reason_name(v->reason), dg_reason_name(want));
		oracle_fail("the verdict is not the policy's", pkt, len);
	}
	if (!v->allow)
		return;
	if (v->entry == NULL)
		oracle_fail("allowed without an entry", pkt, len);
	dg_policy_entry_name(policy, v->entry, ename);
	if (!ref_name_is(ename, allowing))
		oracle_fail("allowed under another entry", pkt, len);
	if (v->depth != (unsigned)allowing_depth ||
	    v->entry->depth != allowing->depth ||
	    v->entry->private_allow != allowing->private_allow)
		oracle_fail("allowed at another depth or with other options",
			    pkt, len);
}

/* The policy and a cached answer, built once: wildcards, depth, types. */
static void setup(void)
{
	static const char *const entries[] = {
		"*.allowed.test", "example.com depth=2 types=A,AAAA,HTTPS",
		"private.test private=allow",
	};
	static const uint8_t rrs[] = {
		/* allowed.test. 300 IN A 192.0.2.1, uncompressed */
		7, 'a', 'l', 'l', 'o', 'w', 'e', 'd', 4, 't', 'e', 's', 't', 0,
		0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1,
	};
	struct dg_diag d;
	const struct dg_limits *l;

	dg_diag_init(&d, stderr);
	policy = dg_policy_new();
	if (policy == NULL)
		abort();
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (dg_zones_add_entry(policy, entries[i], "fuzz", 1, &d) != 0)
			abort();
	answer = malloc(sizeof(*answer) + sizeof(rrs));
	if (answer == NULL)
		abort();
	*answer = (struct dg_answer){ .refs = 1, .ancount = 1, .ttl = 300,
				      .len = sizeof(rrs) };
	memcpy(answer->rrs, rrs, sizeof(rrs));

	l = dg_policy_limits_const(policy);
	if (l->max_label_length != REF_MAX_LABEL ||
	    l->max_name_length != REF_MAX_NAME ||
	    l->charset != DG_CHARSET_LDH_UNDERSCORE ||
	    l->default_types.n != DG_ARRAY_SIZE(ref_any_type) - 1 ||
	    dg_policy_count(policy) != DG_ARRAY_SIZE(ref_entries))
		abort(); /* the oracle's copy is out of date */
	for (size_t i = 0; i < l->default_types.n; i++)
		if (!ref_type_in(ref_any_type, l->default_types.types[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DG_WIRE_MAX];
	struct dg_query_info q;
	struct dg_question question;
	struct dg_verdict v;
	enum dg_wire_check check;

	if (policy == NULL)
		setup();
	check = dg_wire_parse_query(data, size, &q);
	switch (check) {
	case DG_WIRE_DROP:
		return 0;
	case DG_WIRE_FORMERR:
	case DG_WIRE_NOTIMP:
	case DG_WIRE_BADVERS:
		(void)dg_wire_build_empty(data, size, &q,
					  check != DG_WIRE_NOTIMP &&
						  q.question_end > 0,
					  DG_RCODE_FORMERR, UINT32_MAX, out,
					  sizeof(out));
		return 0;
	case DG_WIRE_OK:
		break;
	}
	question = (struct dg_question){ .name = q.qname, .qtype = q.qtype,
					 .qclass = q.qclass };
	dg_policy_decide(policy, &question, &v);
	oracle_check(data, size, &q, &v);
	if (!v.allow) {
		size_t limit = dg_wire_udp_limit(&q, 4096);
		size_t n = dg_wire_build_empty(data, size, &q, true,
					       DG_RCODE_NXDOMAIN, 60, out,
					       sizeof(out));
		char text[DG_NAME_STRLEN];

		/* The explanation never takes a reply past the client's
		 * size: the name as its text, escaped, is long enough to be
		 * cut at 512 bytes. */
		dg_name_to_str(q.qname, text, sizeof(text));
		if (dg_wire_add_ede(out, n, limit, &q, DG_EDE_BLOCKED, text) >
		    limit)
			fuzz_oracle_fail("query", "EDE past the UDP limit", data,
					 size);
		return 0;
	}
	/* Every limit a client may ask for, the smallest too. */
	(void)dg_wire_encode_answer(answer, data, &q, q.id % 400, 60,
				    dg_wire_udp_limit(&q, 4096), out,
				    sizeof(out));
	return 0;
}
