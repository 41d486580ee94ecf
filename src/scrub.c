/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scrub: see scrub.h. Everything here reads ldns objects that came off the
 * wire from an upstream the attacker may steer, so no rdf is read before
 * its size is checked and no name from the answer is compared before
 * dg_name_check() accepted it (qname was checked by the caller).
 */
#include "scrub.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "name.h"
#include "util.h"

/*
 * CNAME hops followed from the question name. Real chains are a few hops
 * (a CDN's two or three); a longer one is cut here, and what hangs past
 * the cut is off-chain. Bounding the walk also bounds a loop.
 */
#define CHAIN_MAX_HOPS 16

/* SvcParamKeys that carry addresses (RFC 9460 7.3). */
#define SVC_KEY_IPV4HINT 4
#define SVC_KEY_IPV6HINT 6

/*
 * The question's name and the targets of the CNAMEs followed from it.
 * Names are borrowed from the question and the answer's rdfs, which stay
 * in place until the answer list is replaced.
 */
struct chain {
	const uint8_t *name[CHAIN_MAX_HOPS + 1];
	const ldns_rr *link[CHAIN_MAX_HOPS]; /* link[i]: name[i] -> name[i+1] */
	unsigned n_names;
	unsigned n_links;
};

/* The wire name in f, or NULL when f is no valid uncompressed name. ldns
 * checks names it parses off the wire, but one built in memory (or a
 * future parser) need not be: check, then walk without fear. */
static const uint8_t *rdf_name(const ldns_rdf *f)
{
	size_t size;

	if (f == NULL || ldns_rdf_get_type(f) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	size = ldns_rdf_size(f);
	if (size == 0 || size > DG_NAME_MAXLEN ||
	    dg_name_check(ldns_rdf_data(f), size) != (int)size)
		return NULL;
	return ldns_rdf_data(f);
}

static bool chain_has(const struct chain *c, const uint8_t *name)
{
	for (unsigned i = 0; i < c->n_names; i++)
		if (dg_name_equal(c->name[i], name))
			return true;
	return false;
}

static bool chain_is_link(const struct chain *c, const ldns_rr *rr)
{
	for (unsigned i = 0; i < c->n_links; i++)
		if (c->link[i] == rr)
			return true;
	return false;
}

/* Class filter: the question's class, or any when there is no question. */
static bool class_ok(const ldns_rr *rr, bool have_class, ldns_rr_class qclass)
{
	return !have_class || ldns_rr_get_class(rr) == qclass;
}

/*
 * Follow CNAMEs from qname through the answer. Only the first CNAME owned
 * by a chain name is a link: a name has at most one CNAME (RFC 2181 10.1),
 * and a second one would let the upstream hang a branch the client never
 * asked about off the chain. The walk stops at a name without a CNAME, at
 * a target already on the chain (a loop) or after CHAIN_MAX_HOPS.
 * O(hops x records): the answer is at most a message's worth.
 */
static void chain_build(struct chain *c, const ldns_rr_list *an,
			const uint8_t *qname, uint16_t qtype, bool have_class,
			ldns_rr_class qclass)
{
	size_t count = ldns_rr_list_rr_count(an);

	memset(c, 0, sizeof(*c));
	c->name[c->n_names++] = qname;
	while (c->n_links < CHAIN_MAX_HOPS) {
		const uint8_t *cur = c->name[c->n_names - 1];
		const ldns_rr *link = NULL;
		const uint8_t *target = NULL;

		for (size_t i = 0; i < count && link == NULL; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			const uint8_t *owner;

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
			    !class_ok(rr, have_class, qclass))
				continue;
			owner = rdf_name(ldns_rr_owner(rr));
			if (owner == NULL || !dg_name_equal(owner, cur))
				continue;
			/* A CNAME without a valid target cannot be
			 * followed; it is no link and is dropped. */
			target = rdf_name(ldns_rr_rdf(rr, 0));
			if (target != NULL)
				link = rr;
		}
		if (link == NULL)
			return;
		c->link[c->n_links++] = link;
		/* A query for the CNAME itself ends at the first one: the
		 * client asked for the alias, not where it leads. */
		if (qtype == LDNS_RR_TYPE_CNAME || chain_has(c, target))
			return;
		c->name[c->n_names++] = target;
	}
}

/* Is this A/AAAA record's address one a public name must not have? A
 * record whose rdata is not exactly one address cannot be checked, so it
 * counts as private too (Unbound's priv_rrset_bad checks rdlength first). */
static bool addr_rr_private(const ldns_rr *rr)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, 0);

	if (ldns_rr_rd_count(rr) != 1 || f == NULL)
		return true;
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A)
		return ldns_rdf_size(f) != 4 ||
		       dg_addr4_is_private(ldns_rdf_data(f));
	return ldns_rdf_size(f) != 16 || dg_addr6_is_private(ldns_rdf_data(f));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A hint value: one or more whole addresses, none of them private. */
static bool hint_ok(uint16_t key, const uint8_t *v, size_t len)
{
	size_t step = key == SVC_KEY_IPV4HINT ? 4 : 16;

	if (len == 0 || len % step != 0)
		return false;
	for (size_t off = 0; off < len; off += step)
		if (step == 4 ? dg_addr4_is_private(v + off)
			      : dg_addr6_is_private(v + off))
			return false;
	return true;
}

/*
 * Copy the SvcParams in[0..len) to out, leaving out every ipv4hint and
 * ipv6hint that is malformed or names a private address. ldns keeps
 * SvcParams as one rdf of raw wire (key, length, value triples) and does not
 * check that the lengths add up when it parses a record off the wire; a
 * param whose header or value runs past the end is cut off with whatever
 * follows, since nothing after it can be parsed. out NULL: only count.
 * @return the bytes written to out (at most len); *removed counts hints.
 */
static size_t svcparams_filter(const uint8_t *in, size_t len, uint8_t *out,
			       unsigned *removed)
{
	size_t off = 0, n = 0;

	while (off < len) {
		uint16_t key, vlen;
		bool hint;

		if (len - off < 4)
			break;
		key = get16(in + off);
		vlen = get16(in + off + 2);
		hint = key == SVC_KEY_IPV4HINT || key == SVC_KEY_IPV6HINT;
		if (vlen > len - off - 4) {
			if (hint)
				(*removed)++;
			break;
		}
		if (hint && !hint_ok(key, in + off + 4, vlen)) {
			(*removed)++;
		} else {
			if (out != NULL)
				memcpy(out + n, in + off, 4 + (size_t)vlen);
			n += 4 + (size_t)vlen;
		}
		off += 4 + (size_t)vlen;
	}
	return n;
}

/* Would svcb_rewrite change rr? */
static bool svcb_needs_rewrite(const ldns_rr *rr)
{
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		unsigned cut = 0;

		if (f != NULL &&
		    ldns_rdf_get_type(f) == LDNS_RDF_TYPE_SVCPARAMS &&
		    svcparams_filter(ldns_rdf_data(f), ldns_rdf_size(f), NULL,
				     &cut) != ldns_rdf_size(f))
			return true;
	}
	return false;
}

/* Remove the bad hints of rr, a copy of the caller's. @return 0, or
 * DG_ENOMEM (rr partly rewritten: drop it). */
static int svcb_rewrite(ldns_rr *rr, unsigned *removed)
{
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		ldns_rdf *f = ldns_rr_rdf(rr, i);
		ldns_rdf *fresh = NULL;
		uint8_t *buf = NULL;
		unsigned cut = 0;
		size_t size, n;

		if (f == NULL ||
		    ldns_rdf_get_type(f) != LDNS_RDF_TYPE_SVCPARAMS)
			continue;
		size = ldns_rdf_size(f);
		if (size == 0)
			continue;
		buf = malloc(size);
		if (buf == NULL)
			return DG_ENOMEM;
		n = svcparams_filter(ldns_rdf_data(f), size, buf, &cut);
		if (n == size) {
			free(buf);
			continue;
		}
		if (n == 0 && i + 1 == ldns_rr_rd_count(rr)) {
			/* Nothing left: drop the rdf, as ldns itself has none
			 * for a record without params. pop cannot fail. */
			ldns_rdf_deep_free(ldns_rr_pop_rdf(rr));
			free(buf);
			*removed += cut;
			return 0;
		}
		/* ldns_rdf_new takes buf; n == 0 here only if the params
		 * were not last, which ldns never builds, and an empty rdf
		 * still encodes as nothing. */
		fresh = ldns_rdf_new(LDNS_RDF_TYPE_SVCPARAMS, n, buf);
		if (fresh == NULL) {
			free(buf);
			return DG_ENOMEM;
		}
		ldns_rdf_deep_free(ldns_rr_set_rdf(rr, fresh, i));
		*removed += cut;
	}
	return 0;
}

int dg_scrub_svcb(const struct dg_scrub_policy *sp, const ldns_rr *rr,
		  ldns_rr **out, unsigned *removed)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	ldns_rr *copy;

	*out = NULL;
	if (sp->private_allow ||
	    (type != LDNS_RR_TYPE_SVCB && type != LDNS_RR_TYPE_HTTPS) ||
	    !svcb_needs_rewrite(rr))
		return 0;
	copy = ldns_rr_clone(rr);
	if (copy == NULL)
		return DG_ENOMEM;
	if (svcb_rewrite(copy, removed) != 0) {
		ldns_rr_free(copy);
		return DG_ENOMEM;
	}
	*out = copy;
	return 0;
}

int dg_scrub(const ldns_pkt *p, const uint8_t *qname, uint16_t qtype,
	     const struct dg_scrub_policy *sp, ldns_rr_list *keep,
	     struct dg_scrub_report *r)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	const ldns_rr_list *qd = ldns_pkt_question(p);
	bool have_class = false;
	ldns_rr_class qclass = LDNS_RR_CLASS_IN;
	struct chain c;
	size_t count;

	memset(r, 0, sizeof(*r));
	dg_assert(!sp->cname_strict || sp->target_allowed != NULL);
	if (an == NULL)
		return 0;
	if (qd != NULL && ldns_rr_list_rr_count(qd) > 0) {
		have_class = true;
		qclass = ldns_rr_get_class(ldns_rr_list_rr(qd, 0));
	}
	count = ldns_rr_list_rr_count(an);
	chain_build(&c, an, qname, qtype, have_class, qclass);

	/* cname = strict: every name the chain leads to must be one the
	 * client could have asked for itself, else the chain is a way
	 * around the allowlist. Nothing of a refused answer is kept, but
	 * in audit mode, which reports it and goes on as pass. */
	if (sp->cname_strict) {
		for (unsigned i = 0; i < c.n_links; i++) {
			const uint8_t *target = ldns_rdf_data(
				ldns_rr_rdf(c.link[i], 0));

			if (!sp->target_allowed(sp->arg, target, qtype)) {
				r->cname_refused = true;
				if (!sp->cname_report_only)
					return 0;
				break;
			}
		}
	}

	for (size_t i = 0; i < count; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		const uint8_t *owner = rdf_name(ldns_rr_owner(rr));
		bool on_chain;

		if (type == LDNS_RR_TYPE_CNAME)
			on_chain = chain_is_link(&c, rr);
		else
			on_chain = type == qtype && owner != NULL &&
				   class_ok(rr, have_class, qclass) &&
				   chain_has(&c, owner);
		if (!on_chain) {
			r->offchain_removed++;
			continue;
		}
		if ((type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) &&
		    !sp->private_allow && addr_rr_private(rr)) {
			r->private_removed++;
			continue;
		}
		if (!ldns_rr_list_push_rr(keep, rr))
			return DG_ENOMEM;
	}
	return 0;
}
