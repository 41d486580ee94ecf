/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_response: raw bytes as an upstream's answer, down the path an
 * answer takes: matched against the question it carries (as if that were
 * ours), parsed with ldns, scrubbed (private addresses, SVCB hints, the
 * CNAME chain, strict mode on odd inputs), stored in a cache and encoded
 * for a client. The upstream is the internet's side: nothing in it is
 * trusted.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "cache.h"
#include "name.h"
#include "scrub.h"
#include "wire.h"

/* cname = strict: only names under "allowed.test" may be chained to. */
static bool under_allowed(void *arg, const uint8_t *name, uint16_t qtype)
{
	static const uint8_t zone[] = "\x07" "allowed" "\x04" "test";

	return dg_name_depth_under(name, zone) >= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t query[DG_WIRE_MAX], out[DG_WIRE_MAX];
	const struct dg_ttl_policy ttl = { .min_ttl = 0, .max_ttl = 86400,
					   .negative_ttl = 60 };
	struct dg_scrub_policy sp = { .target_allowed = under_allowed };
	struct dg_scrub_report report;
	struct dg_response *resp = NULL;
	struct dg_answer *a = NULL;
	struct dg_cache *cache;
	/* Fixed: the fuzzer replays inputs, so the hash must not vary. */
	const struct dg_hash_key key = { 1, 2 };
	struct dg_query_info q;
	const struct dg_answer *hit;
	uint16_t id, qtype, qclass;
	uint32_t elapsed;
	size_t qlen;
	int n, rc;

	/* The question the answer carries stands for ours. */
	if (size < DG_WIRE_HEADER + 5)
		return 0;
	n = dg_name_check(data + DG_WIRE_HEADER, size - DG_WIRE_HEADER);
	if (n < 0 || size - DG_WIRE_HEADER - (size_t)n < 4)
		return 0;
	id = (uint16_t)(data[0] << 8 | data[1]);
	qtype = (uint16_t)(data[DG_WIRE_HEADER + n] << 8 |
			   data[DG_WIRE_HEADER + n + 1]);
	qclass = (uint16_t)(data[DG_WIRE_HEADER + n + 2] << 8 |
			    data[DG_WIRE_HEADER + n + 3]);
	if (dg_wire_match_response(data, size, id, data + DG_WIRE_HEADER,
				   qtype, qclass) != 0)
		return 0;
	/* The bits of the header nobody reads pick the scrub policy. */
	sp.private_allow = data[3] & 0x40;
	sp.cname_strict = data[3] & 0x20;
	if (dg_wire_check_response(data, size, &resp) != 0)
		return 0;
	rc = dg_wire_make_answer(resp, data + DG_WIRE_HEADER, qtype, &ttl, &sp,
				 &report, &a);
	dg_response_free(resp);
	if (rc != 0)
		return 0;

	/* Kept, found again, and encoded for a client asking the question
	 * in another case, with and without EDNS. */
	qlen = dg_wire_build_upstream_query(data + DG_WIRE_HEADER, qtype,
					    qclass, id, query, sizeof(query));
	cache = dg_cache_new(4, &key);
	if (qlen > 0 && cache != NULL &&
	    dg_cache_store(cache, data + DG_WIRE_HEADER, qtype, qclass, a,
			   1000) == 0 &&
	    dg_wire_parse_query(query, qlen, &q) == DG_WIRE_OK) {
		hit = dg_cache_lookup(cache, query + DG_WIRE_HEADER, qtype,
				      qclass, 3500, &elapsed);
		if (hit != NULL) {
			(void)dg_wire_encode_answer(hit, query, &q, elapsed, 60,
						    512, out, sizeof(out));
			(void)dg_wire_encode_answer(hit, query, &q, elapsed, 60,
						    DG_WIRE_MAX, out,
						    sizeof(out));
		}
	}
	dg_cache_free(cache);
	dg_answer_unref(a);
	return 0;
}
