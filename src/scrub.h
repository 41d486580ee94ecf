/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scrub: the answer policy, applied to a parsed upstream answer before it
 * is cached or sent (DESIGN.md "Answer policy"). In the answer section it
 *   - keeps only records for the question's name and its CNAME chain
 *     (followed from the question name; DNAME is not followed, so a DNAME
 *     and anything hanging off it alone are dropped), and of those only
 *     the question's type and CNAMEs;
 *   - removes A/AAAA records whose address is private, loopback,
 *     link-local, unspecified, CGNAT, ULA, multicast, reserved or cloud
 *     metadata (169.254.169.254, fd00:ec2::254), in IPv4-mapped and NAT64
 *     forms too, unless the entry says private=allow (rebinding
 *     protection, as Unbound's private-address);
 *   - removes the ipv4hint/ipv6hint parameters of HTTPS/SVCB records that
 *     hold such an address (dg_scrub_svcb: the record stays; the client
 *     then asks for A/AAAA, which are scrubbed in turn);
 *   - with cname = strict, refuses the answer when a CNAME target in the
 *     chain is not itself allowed.
 * Authority and additional sections are not its business: response.c
 * never copies them. Pure: a parsed response in, the records that stay
 * out, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "response.h"

/* What the policy says about this answer. */
struct dg_scrub_policy {
	bool private_allow; /* the entry allows private addresses */
	bool cname_strict;
	/* cname_strict, audit mode: a refused chain is reported, and kept
	 * as if cname were pass. */
	bool cname_report_only;
	/* cname_strict: may a client ask for `name` (wire) and `qtype`? */
	bool (*target_allowed)(void *arg, const uint8_t *name, uint16_t qtype);
	void *arg;
};

/* What scrubbing did, for the query log and the tests. */
struct dg_scrub_report {
	unsigned private_removed;  /* A/AAAA records dropped */
	unsigned hints_removed;    /* SVCB/HTTPS address hints dropped */
	unsigned offchain_removed; /* records not on the question's chain */
	bool cname_refused;        /* strict: a target is not allowed */
};

/*
 * The records of r's answer section that stay for the question (qname in
 * wire form, qtype), written to out in order as a dg_answer lays them
 * out; out has room for r->len bytes, which is enough, since scrubbing
 * only removes. A kept SVCB/HTTPS record loses its private or malformed
 * address hints, unless the policy allows private addresses: the record
 * itself stays, and without hints the client asks for A/AAAA, which are
 * scrubbed in their turn (as Unbound's priv_svcb_rrset_bad, which only
 * looks at hints). A refused CNAME chain keeps nothing. r is not changed:
 * every client waiting on one upstream answer is judged from it, each
 * under its own policy. `rep` is zeroed and filled.
 * @return the bytes written to out; *count, the records.
 */
size_t dg_scrub(const struct dg_response *r, const uint8_t *qname,
		uint16_t qtype, const struct dg_scrub_policy *sp, uint8_t *out,
		uint16_t *count, struct dg_scrub_report *rep);
