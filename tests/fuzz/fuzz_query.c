/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_query: raw bytes as a client query, down the server's own path:
 * header checks and parse (wire), the decision (policy), then the denial
 * or error built from the query's bytes, or a cached answer encoded for
 * it. Every byte a client sends goes through these functions before any
 * other code sees it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "diag.h"
#include "policy.h"
#include "wire.h"
#include "zones.h"

static struct dg_policy *policy;
static struct dg_answer *answer;

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
	if (!v.allow) {
		(void)dg_wire_build_empty(data, size, &q, true,
					  DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
		return 0;
	}
	/* Every limit a client may ask for, the smallest too. */
	(void)dg_wire_encode_answer(answer, data, &q, q.id % 400, 60,
				    dg_wire_udp_limit(&q, 4096), out,
				    sizeof(out));
	return 0;
}
