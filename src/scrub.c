/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scrub: see scrub.h. The records come from an upstream the attacker may
 * steer, laid out by response.c, which checked every name (owners, and
 * the names in CNAME and SVCB/HTTPS rdata), every length and the size of
 * every address; what it did not check, the SvcParams, is checked here.
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
 * The question's name and the targets of the CNAMEs followed from it,
 * borrowed from the question and the response.
 */
struct chain {
	const uint8_t *name[CHAIN_MAX_HOPS + 1];
	size_t link[CHAIN_MAX_HOPS]; /* link[i]: name[i] -> name[i+1] */
	unsigned n_names;
	unsigned n_links;
};

static bool chain_has(const struct chain *c, const uint8_t *name)
{
	for (unsigned i = 0; i < c->n_names; i++)
		if (dg_name_equal(c->name[i], name))
			return true;
	return false;
}

static bool chain_is_link(const struct chain *c, size_t i)
{
	for (unsigned k = 0; k < c->n_links; k++)
		if (c->link[k] == i)
			return true;
	return false;
}

/*
 * Follow CNAMEs from qname through the answer. Only the first CNAME owned
 * by a chain name is a link: a name has at most one CNAME (RFC 2181 10.1),
 * and a second one would let the upstream hang a branch the client never
 * asked about off the chain. The walk stops at a name without a CNAME, at
 * a target already on the chain (a loop) or after CHAIN_MAX_HOPS.
 * O(hops x records): the answer is at most a message's worth.
 */
static void chain_build(struct chain *c, const struct dg_response *r,
			const uint8_t *qname, uint16_t qtype)
{
	memset(c, 0, sizeof(*c));
	c->name[c->n_names++] = qname;
	while (c->n_links < CHAIN_MAX_HOPS) {
		const uint8_t *cur = c->name[c->n_names - 1];
		const struct dg_rr *link = NULL;
		size_t i;

		for (i = 0; i < r->count; i++) {
			link = &r->rr[i];
			if (link->type == DG_RR_TYPE_CNAME &&
			    link->rclass == r->qclass &&
			    dg_name_equal(link->owner, cur))
				break;
		}
		if (i == r->count)
			return;
		c->link[c->n_links++] = i;
		/* A query for the CNAME itself ends at the first one: the
		 * client asked for the alias, not where it leads. */
		if (qtype == DG_RR_TYPE_CNAME || chain_has(c, link->rdata))
			return;
		c->name[c->n_names++] = link->rdata;
	}
}

/* Is this A/AAAA record's address one a public name must not have? Its
 * rdata is one address: response.c refuses any other. */
static bool addr_rr_private(const struct dg_rr *rr)
{
	if (rr->type == DG_RR_TYPE_A)
		return dg_addr4_is_private(rr->rdata);
	return dg_addr6_is_private(rr->rdata);
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
 * Copy the SvcParams in[0..len) (key, length, value triples) to out,
 * leaving out every ipv4hint and ipv6hint that is malformed or names a
 * private address. Nothing upstream checked that the lengths add up: a
 * param whose header or value runs past the end is cut off with whatever
 * follows, since nothing after it can be parsed.
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
		key = dg_get16(in + off);
		vlen = dg_get16(in + off + 2);
		hint = key == SVC_KEY_IPV4HINT || key == SVC_KEY_IPV6HINT;
		if (vlen > len - off - 4) {
			if (hint)
				(*removed)++;
			break;
		}
		if (hint && !hint_ok(key, in + off + 4, vlen)) {
			(*removed)++;
		} else {
			memcpy(out + n, in + off, 4 + (size_t)vlen);
			n += 4 + (size_t)vlen;
		}
		off += 4 + (size_t)vlen;
	}
	return n;
}

/* rr into out, its SvcParams filtered (SVCB/HTTPS rdata: a priority, the
 * target name response.c checked, the params). @return bytes written. */
static size_t put_svcb(const struct dg_rr *rr, uint8_t *out,
		       unsigned *removed)
{
	size_t head = rr->len - rr->rdlen;
	size_t fixed = 2 + dg_name_length(rr->rdata + 2);
	size_t params;

	memcpy(out, rr->owner, head + fixed);
	params = svcparams_filter(rr->rdata + fixed, rr->rdlen - fixed,
				  out + head + fixed, removed);
	dg_put16(out + head - 2, (uint16_t)(fixed + params));
	return head + fixed + params;
}

size_t dg_scrub(const struct dg_response *r, const uint8_t *qname,
		uint16_t qtype, const struct dg_scrub_policy *sp, uint8_t *out,
		uint16_t *count, struct dg_scrub_report *rep)
{
	struct chain c;
	size_t n = 0;

	memset(rep, 0, sizeof(*rep));
	*count = 0;
	dg_assert(!sp->cname_strict || sp->target_allowed != NULL);
	chain_build(&c, r, qname, qtype);

	/* cname = strict: every name the chain leads to must be one the
	 * client could have asked for itself, else the chain is a way
	 * around the allowlist. Nothing of a refused answer is kept, but
	 * in audit mode, which reports it and goes on as pass. */
	if (sp->cname_strict) {
		for (unsigned i = 0; i < c.n_links; i++) {
			if (!sp->target_allowed(sp->arg, r->rr[c.link[i]].rdata,
						qtype)) {
				rep->cname_refused = true;
				if (!sp->cname_report_only)
					return 0;
				break;
			}
		}
	}

	for (size_t i = 0; i < r->count; i++) {
		const struct dg_rr *rr = &r->rr[i];
		bool on_chain;

		if (rr->type == DG_RR_TYPE_CNAME)
			on_chain = chain_is_link(&c, i);
		else
			on_chain = rr->type == qtype &&
				   rr->rclass == r->qclass &&
				   chain_has(&c, rr->owner);
		if (!on_chain) {
			rep->offchain_removed++;
			continue;
		}
		if ((rr->type == DG_RR_TYPE_A || rr->type == DG_RR_TYPE_AAAA) &&
		    !sp->private_allow && addr_rr_private(rr)) {
			rep->private_removed++;
			continue;
		}
		if ((rr->type == DG_RR_TYPE_SVCB ||
		     rr->type == DG_RR_TYPE_HTTPS) && !sp->private_allow) {
			n += put_svcb(rr, out + n, &rep->hints_removed);
		} else {
			memcpy(out + n, rr->owner, rr->len);
			n += rr->len;
		}
		(*count)++;
	}
	return n;
}
