/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * response: see response.h.
 */
#include "response.h"

#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "scrub.h"

#define TYPE_SOA 6
#define SOA_FIXED 20 /* SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM */

/* How much rdata can grow once its names are decompressed: at most two
 * names (rdata_format), each from a 2-byte pointer. */
#define RDATA_GROWTH (2 * DG_NAME_MAXLEN)

/*
 * The rdata of the types whose names a server may compress (RFC 3597 4),
 * and of SVCB and HTTPS, whose target the scrub must step over to reach
 * the parameters: a string of fields read in order,
 *   'n'  a name, compressed or not;
 *   'N'  a name, never compressed (RFC 9460 2.2);
 *   's'  a character-string (a length byte, then that many bytes);
 *   '2', '4', '6'  that many fixed bytes;
 *   '*'  the rest, as it is (last).
 * Without '*' the fields must fill the rdata exactly. An A or AAAA is
 * one address, in any class, as every client reads it; any other type's
 * rdata is copied as it came (RFC 3597 5).
 */
static const char *rdata_format(uint16_t type)
{
	switch (type) {
	case 1: /* A */
		return "4";
	case 28: /* AAAA */
		return "4444";
	case 2:  /* NS */
	case 3:  /* MD */
	case 4:  /* MF */
	case 5:  /* CNAME */
	case 7:  /* MB */
	case 8:  /* MG */
	case 9:  /* MR */
	case 12: /* PTR */
	case 39: /* DNAME */
		return "n";
	case 6: /* SOA */
		return "nn44444";
	case 14: /* MINFO */
	case 17: /* RP */
		return "nn";
	case 15: /* MX */
	case 18: /* AFSDB */
	case 21: /* RT */
	case 36: /* KX */
		return "2n";
	case 26: /* PX */
		return "2nn";
	case 33: /* SRV */
		return "6n";
	case 35: /* NAPTR */
		return "4sssn";
	case 64: /* SVCB */
	case 65: /* HTTPS */
		return "2N*";
	default:
		return NULL;
	}
}

/*
 * The name at pkt[*pos], decompressed into out (DG_NAME_MAXLEN bytes),
 * case kept; *pos moves past its bytes in place. `compressed`: may it
 * use pointers? Each pointer must point before the one read last, so
 * the walk always ends, and at most DG_NAME_MAXLABELS are followed.
 * @return the name's length, or 0 when it is malformed.
 */
static size_t read_name(const uint8_t *pkt, size_t len, size_t *pos,
			bool compressed, uint8_t *out)
{
	size_t at = *pos, limit = *pos, n = 0;
	unsigned jumps = 0;

	for (;;) {
		uint8_t c;

		if (at >= len)
			return 0;
		c = pkt[at];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (!compressed || len - at < 2 ||
			    ++jumps > DG_NAME_MAXLABELS)
				return 0;
			target = (size_t)(c & 0x3f) << 8 | pkt[at + 1];
			if (jumps == 1)
				*pos = at + 2;
			/* Backwards from the first pointer, then from each
			 * target: strictly decreasing, so no loop. */
			if (target < DG_WIRE_HEADER || target >= limit)
				return 0;
			limit = target;
			at = target;
			continue;
		}
		if (c > DG_LABEL_MAXLEN || n + 1 + c > DG_NAME_MAXLEN ||
		    len - at < 1 + (size_t)c)
			return 0;
		memcpy(out + n, pkt + at, 1 + (size_t)c);
		n += 1 + (size_t)c;
		at += 1 + (size_t)c;
		if (c == 0) {
			if (jumps == 0)
				*pos = at;
			return n;
		}
	}
}

/*
 * The rdata at pkt[pos, pos + rdlen) of a record of `type`, names
 * decompressed, into out (room for rdlen + 2 names' growth).
 * @return the bytes written, or 0 with *ok false when the rdata does not
 * fit its type's format.
 */
static size_t read_rdata(const uint8_t *pkt, size_t pos, size_t rdlen,
			 uint16_t type, uint8_t *out, bool *ok)
{
	const char *f = rdata_format(type);
	size_t end = pos + rdlen, n = 0;

	*ok = true;
	if (f == NULL) {
		memcpy(out, pkt + pos, rdlen);
		return rdlen;
	}
	for (; *f != '\0'; f++) {
		size_t take;

		switch (*f) {
		case 'n':
		case 'N':
			take = read_name(pkt, end, &pos, *f == 'n', out + n);
			if (take == 0)
				goto malformed;
			n += take;
			continue;
		case 's':
			if (pos >= end || end - pos < 1 + (size_t)pkt[pos])
				goto malformed;
			take = 1 + (size_t)pkt[pos];
			break;
		case '*':
			take = end - pos;
			break;
		default:
			take = (size_t)(*f - '0');
			if (end - pos < take)
				goto malformed;
			break;
		}
		memcpy(out + n, pkt + pos, take);
		n += take;
		pos += take;
	}
	if (pos != end)
		goto malformed;
	return n;
malformed:
	*ok = false;
	return 0;
}

/*
 * The answer section from pkt[*pos], ancount records, into r->rrs.
 * @return 0, DG_EMALFORMED or DG_ENOMEM.
 */
static int read_answer(const uint8_t *pkt, size_t len, size_t *pos,
		       uint16_t ancount, struct dg_response *r)
{
	for (uint16_t i = 0; i < ancount; i++) {
		size_t owner, rdlen, rdout;
		uint8_t *rec;
		bool ok;

		if (dg_grow(&r->rrs, &r->rrs_cap, r->len + DG_NAME_MAXLEN, 1))
			return DG_ENOMEM;
		owner = read_name(pkt, len, pos, true, r->rrs + r->len);
		if (owner == 0 || len - *pos < 10)
			return DG_EMALFORMED;
		rdlen = dg_get16(pkt + *pos + 8);
		if (len - *pos - 10 < rdlen)
			return DG_EMALFORMED;
		if (dg_grow(&r->rrs, &r->rrs_cap,
			    r->len + owner + 10 + rdlen + RDATA_GROWTH, 1))
			return DG_ENOMEM;
		rec = r->rrs + r->len;
		memcpy(rec + owner, pkt + *pos, 8);
		rdout = read_rdata(pkt, *pos + 10, rdlen, dg_get16(pkt + *pos),
				   rec + owner + 10, &ok);
		/* Decompressed, an answer can outgrow any message: refuse it
		 * rather than keep what no client could be sent. */
		if (!ok || r->len + owner + 10 + rdout > DG_WIRE_MAX)
			return DG_EMALFORMED;
		dg_put16(rec + owner + 8, (uint16_t)rdout);
		r->len += owner + 10 + rdout;
		*pos += 10 + rdlen;
	}
	return 0;
}

/* The negative TTL the authority section's SOAs give: their own TTL and
 * MINIMUM, the last 4 bytes of the rdata, whatever its names look like.
 * @return 0, or DG_EMALFORMED when the records do not fit. */
static int read_authority(const uint8_t *pkt, size_t len, size_t *pos,
			  uint16_t nscount, struct dg_response *r)
{
	uint8_t name[DG_NAME_MAXLEN];

	for (uint16_t i = 0; i < nscount; i++) {
		size_t rdlen;
		uint32_t ttl;

		if (read_name(pkt, len, pos, true, name) == 0 ||
		    len - *pos < 10)
			return DG_EMALFORMED;
		rdlen = dg_get16(pkt + *pos + 8);
		if (len - *pos - 10 < rdlen)
			return DG_EMALFORMED;
		if (dg_get16(pkt + *pos) == TYPE_SOA && rdlen >= 2 + SOA_FIXED) {
			ttl = dg_get32(pkt + *pos + 4);
			if (ttl < r->soa_ttl)
				r->soa_ttl = ttl;
			ttl = dg_get32(pkt + *pos + 10 + rdlen - 4);
			if (ttl < r->soa_ttl)
				r->soa_ttl = ttl;
		}
		*pos += 10 + rdlen;
	}
	return 0;
}

/* The index of the records laid out in r->rrs. */
static int index_answer(struct dg_response *r)
{
	size_t pos = 0;

	r->count = 0;
	while (pos < r->len) {
		if (dg_grow(&r->rr, &r->rr_cap, r->count + 1, sizeof(*r->rr)))
			return DG_ENOMEM;
		dg_rr_next(r->rrs, r->len, &pos, &r->rr[r->count++]);
	}
	return 0;
}

int dg_response_parse(const uint8_t *pkt, size_t len, struct dg_response *r)
{
	size_t pos;
	int n, rc;

	r->count = 0;
	r->len = 0;
	r->soa_ttl = UINT32_MAX;
	if (len < DG_WIRE_HEADER || dg_get16(pkt + 4) != 1)
		return DG_EMALFORMED;
	r->rcode = pkt[3] & 0x0f;
	if (r->rcode != DG_RCODE_NOERROR && r->rcode != DG_RCODE_NXDOMAIN)
		return DG_EMISMATCH;
	n = dg_name_check(pkt + DG_WIRE_HEADER, len - DG_WIRE_HEADER);
	if (n < 0 || len - DG_WIRE_HEADER - (size_t)n < 4)
		return DG_EMALFORMED;
	pos = DG_WIRE_HEADER + (size_t)n;
	r->qclass = dg_get16(pkt + pos + 2);
	pos += 4;
	rc = read_answer(pkt, len, &pos, dg_get16(pkt + 6), r);
	if (rc == 0)
		rc = read_authority(pkt, len, &pos, dg_get16(pkt + 8), r);
	if (rc == 0)
		rc = index_answer(r);
	if (rc != 0) {
		r->count = 0;
		r->len = 0;
	}
	return rc;
}

void dg_response_free(struct dg_response *r)
{
	free(r->rr);
	free(r->rrs);
	memset(r, 0, sizeof(*r));
}

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int dg_response_answer(const struct dg_response *r, const uint8_t *qname,
		       uint16_t qtype, const struct dg_ttl_policy *t,
		       const struct dg_scrub_policy *scrub,
		       struct dg_scrub_report *report, struct dg_answer **out)
{
	struct dg_answer *a = malloc(sizeof(*a) + r->len);
	uint32_t ttl = UINT32_MAX;
	uint16_t count = 0;
	size_t pos = 0;
	struct dg_rr rr;

	if (a == NULL)
		return DG_ENOMEM;
	a->len = dg_scrub(r, qname, qtype, scrub, a->rrs, &count, report);
	/* Scrubbing only removes: what it removed need not stay allocated
	 * for as long as the cache keeps the answer. */
	if (a->len < r->len) {
		struct dg_answer *fit = realloc(a, sizeof(*a) + a->len);

		if (fit != NULL)
			a = fit;
	}
	while (dg_rr_next(a->rrs, a->len, &pos, &rr)) {
		uint32_t v = clamp(rr.ttl, t->min_ttl, t->max_ttl);

		/* The TTL sits 6 bytes before the rdata. */
		dg_put32(a->rrs + (rr.rdata - a->rrs) - 6, v);
		if (v < ttl)
			ttl = v;
	}
	if (r->rcode == DG_RCODE_NXDOMAIN || count == 0) {
		/* min_ttl raises a negative TTL, but never past negative_ttl,
		 * which caps it whatever the SOA says. */
		uint32_t floor = t->min_ttl < t->negative_ttl ? t->min_ttl
							      : t->negative_ttl;

		ttl = clamp(r->soa_ttl, floor, t->negative_ttl);
	}
	a->refs = 1;
	a->rcode = (uint8_t)r->rcode;
	a->reason = 0;
	a->ancount = count;
	a->scrubbed = (uint16_t)(report->private_removed +
				 report->offchain_removed +
				 report->hints_removed);
	a->ttl = ttl;
	*out = a;
	return 0;
}
