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
 *     hold such an address (the record stays; the client then asks for
 *     A/AAAA, which are scrubbed in turn);
 *   - with cname = strict, refuses the answer when a CNAME target in the
 *     chain is not itself allowed.
 * Authority and additional sections are not its business: wire.c never
 * copies them. Pure: ldns objects in, ldns objects out, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* What the policy says about this answer. */
struct dg_scrub_policy {
	bool private_allow; /* the entry allows private addresses */
	bool cname_strict;
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
 * Scrub the answer section of `p` in place for the question (qname in wire
 * form, qtype). `r` is zeroed and filled.
 * @return 0, or DG_ENOMEM (p may be partly scrubbed: drop it).
 */
int dg_scrub(ldns_pkt *p, const uint8_t *qname, uint16_t qtype,
	     const struct dg_scrub_policy *sp, struct dg_scrub_report *r);
