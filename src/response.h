/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * response: an upstream's response, parsed by dnsgate's own checked code
 * into the form the cache keeps, and the answer a client gets from it.
 *
 * The parse decompresses every name of the answer section (owners, and
 * the names inside the rdata of the types RFC 3597 4 lets a server
 * compress: the RFC 1035 types, and RP, AFSDB, RT, PX, NAPTR, SRV, KX and
 * DNAME, which old servers compress too), so the records lie one after
 * another as a dg_answer holds them; scrubbing (scrub.h) then copies
 * those that stay. Of the authority section only the SOAs are read, for
 * the negative TTL; the additional section is never read.
 *
 * Everything here reads bytes an upstream the attacker may steer wrote:
 * every length is checked before it is used, a compression pointer must
 * point backwards into the message and at most DG_NAME_MAXLABELS of them
 * make one name, and a name, a record or the whole answer section that
 * does not fit its bounds makes the response malformed.
 *
 * No allocation per response: a dg_response keeps its buffers from one
 * parse to the next (one per upstream), and the answer made from it is
 * a single allocation. Pure: no I/O.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "wire.h"

/*
 * A parsed response. Read, never changed, by every client query waiting
 * on it, each judging it under its own policy; valid until the next
 * parse into it. Zero it before the first parse; dg_response_free
 * releases its buffers.
 */
struct dg_response {
	unsigned rcode;    /* NOERROR or NXDOMAIN: the others are refused */
	uint16_t qclass;   /* the question's */
	/* min(TTL, MINIMUM) of the authority section's SOAs (RFC 2308 5),
	 * UINT32_MAX when it has none. */
	uint32_t soa_ttl;
	size_t count;      /* answer records */
	struct dg_rr *rr;  /* count records, pointing into rrs */
	uint8_t *rrs;      /* the answer section, uncompressed */
	size_t len;        /* bytes of rrs, at most DG_WIRE_MAX */
	size_t rr_cap, rrs_cap;
};

/*
 * Parse pkt, a response already matched to its question (one question
 * that parses), into r, replacing what r held.
 * @return 0; DG_EMISMATCH when its rcode is neither NOERROR nor NXDOMAIN
 * (ask another server); DG_EMALFORMED; or DG_ENOMEM.
 */
DG_NODISCARD int dg_response_parse(const uint8_t *pkt, size_t len,
				   struct dg_response *r);
void dg_response_free(struct dg_response *r);

struct dg_scrub_policy;
struct dg_scrub_report;

/*
 * The answer a client gets from r for the question (qname, qtype):
 * scrubbed (scrub.h) under the client's policy, TTLs clamped, as a new
 * dg_answer holding one reference for the caller. What scrubbing did is
 * in *report (a refused CNAME chain among it). r is not changed.
 * @return 0 and *out, or DG_ENOMEM.
 */
DG_NODISCARD int dg_response_answer(const struct dg_response *r,
				    const uint8_t *qname, uint16_t qtype,
				    const struct dg_ttl_policy *ttl,
				    const struct dg_scrub_policy *scrub,
				    struct dg_scrub_report *report,
				    struct dg_answer **out);
