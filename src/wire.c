/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wire: see wire.h.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "name.h"

#define TYPE_SOA 6
#define TYPE_OPT 41
#define CLASS_IN 1
#define FLAG_QR 0x80     /* in byte 2 */
#define FLAG_TC 0x02     /* in byte 2 */
#define FLAG_RD 0x01     /* in byte 2 */
#define FLAG_RA 0x80     /* in byte 3 */
#define OPCODE_MASK 0x78 /* in byte 2 */

/* The OPT record of a query: RFC 6891 6.1. Must end the message. */
static enum dg_wire_check parse_opt(const uint8_t *pkt, size_t len,
				    size_t pos, struct dg_query_info *q)
{
	uint16_t size, rdlen;
	uint8_t version;
	bool dnssec_ok;

	if (len - pos < 11 || pkt[pos] != 0 || dg_get16(pkt + pos + 1) != TYPE_OPT)
		return DG_WIRE_FORMERR;
	size = dg_get16(pkt + pos + 3);
	version = pkt[pos + 6];
	dnssec_ok = (pkt[pos + 7] & 0x80) != 0;
	rdlen = dg_get16(pkt + pos + 9);
	pos += 11;
	if (len - pos != rdlen)
		return DG_WIRE_FORMERR;
	/* Options must tile the RDATA exactly. */
	while (pos < len) {
		if (len - pos < 4 || len - pos - 4 < dg_get16(pkt + pos + 2))
			return DG_WIRE_FORMERR;
		pos += 4 + (size_t)dg_get16(pkt + pos + 2);
	}
	q->edns = true;
	q->edns_size = size < DG_WIRE_UDP_DEFAULT ? DG_WIRE_UDP_DEFAULT : size;
	q->edns_do = dnssec_ok;
	return version == 0 ? DG_WIRE_OK : DG_WIRE_BADVERS;
}

/*
 * The single question after the header: a checked name, a type and a
 * class. @return the offset just past it, or 0 when it does not fit.
 */
static size_t read_question(const uint8_t *pkt, size_t len, uint16_t *qtype,
			    uint16_t *qclass)
{
	int n = dg_name_check(pkt + DG_WIRE_HEADER, len - DG_WIRE_HEADER);
	size_t pos;

	if (n < 0)
		return 0;
	pos = DG_WIRE_HEADER + (size_t)n;
	if (len - pos < 4)
		return 0;
	*qtype = dg_get16(pkt + pos);
	*qclass = dg_get16(pkt + pos + 2);
	return pos + 4;
}

enum dg_wire_check dg_wire_parse_query(const uint8_t *pkt, size_t len,
				       struct dg_query_info *q)
{
	size_t pos;

	memset(q, 0, sizeof(*q));
	if (len >= 2)
		q->id = dg_get16(pkt);
	/* Too short to answer, or an answer sent to us: never reply, so
	 * dnsgate cannot be bounced off into a reflection loop. */
	if (len < DG_WIRE_HEADER || (pkt[2] & FLAG_QR))
		return DG_WIRE_DROP;
	q->flags = dg_get16(pkt + 2);
	if ((pkt[2] & OPCODE_MASK) != 0)
		return DG_WIRE_NOTIMP;
	if ((pkt[2] & FLAG_TC) || dg_get16(pkt + 4) != 1 ||
	    dg_get16(pkt + 6) != 0 || dg_get16(pkt + 8) != 0 ||
	    dg_get16(pkt + 10) > 1)
		return DG_WIRE_FORMERR;
	pos = read_question(pkt, len, &q->qtype, &q->qclass);
	if (pos == 0)
		return DG_WIRE_FORMERR;
	q->qname = pkt + DG_WIRE_HEADER;
	q->qname_len = pos - 4 - DG_WIRE_HEADER;
	q->question_end = pos;
	if (dg_get16(pkt + 10) == 1)
		return parse_opt(pkt, len, pos, q);
	/* Trailing bytes are a malformed message, not padding. */
	return pos == len ? DG_WIRE_OK : DG_WIRE_FORMERR;
}

size_t dg_wire_udp_limit(const struct dg_query_info *q, size_t cap)
{
	size_t limit = q->edns ? q->edns_size : DG_WIRE_UDP_DEFAULT;

	return limit < cap ? limit : cap;
}

/* Header of an answer to q: ID, opcode and RD copied, QR and RA set. */
static void put_header(uint8_t *out, const struct dg_query_info *q,
		       unsigned rcode, uint16_t qd, uint16_t an, uint16_t ns,
		       uint16_t ar)
{
	dg_put16(out, q->id);
	out[2] = (uint8_t)(FLAG_QR | ((q->flags >> 8) & (OPCODE_MASK | FLAG_RD)));
	out[3] = (uint8_t)(FLAG_RA | (rcode & 0x0f));
	dg_put16(out + 4, qd);
	dg_put16(out + 6, an);
	dg_put16(out + 8, ns);
	dg_put16(out + 10, ar);
}

/* Our SOA, owned by the root, for negative answers (RFC 2308 3). The
 * names live under .invalid (RFC 6761), so they can point nowhere. */
static const uint8_t soa_names[] = "\x07" "dnsgate" "\x07" "invalid" "\x00"
				   "\x0a" "hostmaster" "\x07" "invalid";
#define SOA_NAMES_LEN (sizeof(soa_names)) /* the final NUL ends rname */
#define SOA_RR_LEN (1 + 10 + SOA_NAMES_LEN + 20)

static size_t put_soa(uint8_t *out, uint32_t ttl)
{
	uint8_t *p = out;

	*p++ = 0;
	dg_put16(p, TYPE_SOA);
	dg_put16(p + 2, CLASS_IN);
	dg_put32(p + 4, ttl);
	dg_put16(p + 8, (uint16_t)(SOA_NAMES_LEN + 20));
	p += 10;
	memcpy(p, soa_names, SOA_NAMES_LEN);
	p += SOA_NAMES_LEN;
	dg_put32(p, 1);         /* serial */
	dg_put32(p + 4, 3600);  /* refresh */
	dg_put32(p + 8, 600);   /* retry */
	dg_put32(p + 12, 86400); /* expire */
	dg_put32(p + 16, ttl);  /* minimum: the negative TTL */
	return SOA_RR_LEN;
}

#define OPT_RR_LEN 11

static size_t put_opt(uint8_t *out, unsigned rcode)
{
	out[0] = 0;
	dg_put16(out + 1, TYPE_OPT);
	dg_put16(out + 3, DG_EDNS_SIZE);
	out[5] = (uint8_t)(rcode >> 4); /* extended rcode */
	out[6] = 0;                     /* version */
	dg_put16(out + 7, 0);              /* no DO: we do not validate */
	dg_put16(out + 9, 0);
	return OPT_RR_LEN;
}

size_t dg_wire_build_empty(const uint8_t *pkt, size_t len,
			   const struct dg_query_info *q, bool question_ok,
			   unsigned rcode, uint32_t soa_ttl, uint8_t *out,
			   size_t cap)
{
	size_t question = question_ok ? q->question_end - DG_WIRE_HEADER : 0;
	bool soa = soa_ttl != UINT32_MAX;
	size_t need = DG_WIRE_HEADER + question + (soa ? SOA_RR_LEN : 0) +
		      (q->edns ? OPT_RR_LEN : 0);
	size_t pos;

	if (cap < need || (question_ok && len < q->question_end))
		return 0;
	put_header(out, q, rcode, question_ok, 0, soa, q->edns);
	pos = DG_WIRE_HEADER;
	memcpy(out + pos, pkt + DG_WIRE_HEADER, question);
	pos += question;
	if (soa)
		pos += put_soa(out + pos, soa_ttl);
	if (q->edns)
		pos += put_opt(out + pos, rcode);
	return pos;
}

#define OPT_CODE_EDE 15 /* RFC 8914 2 */
#define EDE_FIXED 6     /* OPTION-CODE, OPTION-LENGTH, INFO-CODE */

/* How much of text fits in room bytes, not cutting a UTF-8 sequence
 * (RFC 8914 2: EXTRA-TEXT is UTF-8). */
static size_t utf8_prefix(const char *text, size_t room)
{
	size_t len = strlen(text);

	if (len <= room)
		return len;
	while (room > 0 && ((unsigned char)text[room] & 0xc0) == 0x80)
		room--;
	return room;
}

size_t dg_wire_add_ede(uint8_t *out, size_t n, size_t limit,
		       const struct dg_query_info *q, uint16_t code,
		       const char *text)
{
	uint8_t *opt;
	size_t len;

	/* Lengths on the wire are 16 bits, and so is a message. */
	if (limit > DG_WIRE_MAX)
		limit = DG_WIRE_MAX;
	if (!q->edns || n < DG_WIRE_HEADER + OPT_RR_LEN || limit < n + EDE_FIXED)
		return n;
	/* Ours ends the reply with an OPT of no options; anything else is
	 * left alone. */
	opt = out + n - OPT_RR_LEN;
	if (opt[0] != 0 || dg_get16(opt + 1) != TYPE_OPT || dg_get16(opt + 9) != 0)
		return n;
	len = utf8_prefix(text, limit - n - EDE_FIXED);
	dg_put16(opt + 9, (uint16_t)(EDE_FIXED + len));
	dg_put16(out + n, OPT_CODE_EDE);
	dg_put16(out + n + 2, (uint16_t)(2 + len));
	dg_put16(out + n + 4, code);
	memcpy(out + n + EDE_FIXED, text, len);
	return n + EDE_FIXED + len;
}

size_t dg_wire_build_upstream_query(const uint8_t *qname, uint16_t qtype,
				    uint16_t qclass, uint16_t id, uint8_t *out,
				    size_t cap)
{
	size_t n = dg_name_length(qname);
	size_t need = DG_WIRE_HEADER + n + 4 + OPT_RR_LEN;

	if (cap < need)
		return 0;
	dg_put16(out, id);
	out[2] = FLAG_RD;
	out[3] = 0;
	dg_put16(out + 4, 1);
	dg_put16(out + 6, 0);
	dg_put16(out + 8, 0);
	dg_put16(out + 10, 1);
	dg_name_lower(out + DG_WIRE_HEADER, qname);
	dg_put16(out + DG_WIRE_HEADER + n, qtype);
	dg_put16(out + DG_WIRE_HEADER + n + 2, qclass);
	put_opt(out + DG_WIRE_HEADER + n + 4, 0);
	return need;
}

int dg_wire_match_response(const uint8_t *pkt, size_t len, uint16_t id,
			   const uint8_t *qname, uint16_t qtype,
			   uint16_t qclass)
{
	uint16_t type, class;

	if (len < DG_WIRE_HEADER || !(pkt[2] & FLAG_QR))
		return DG_EMALFORMED;
	if (dg_get16(pkt) != id || dg_get16(pkt + 4) != 1)
		return DG_EMISMATCH;
	if (read_question(pkt, len, &type, &class) == 0)
		return DG_EMALFORMED;
	if (!dg_name_equal(pkt + DG_WIRE_HEADER, qname) || type != qtype ||
	    class != qclass)
		return DG_EMISMATCH;
	return 0;
}

bool dg_wire_truncated(const uint8_t *pkt, size_t len)
{
	return len >= DG_WIRE_HEADER && (pkt[2] & FLAG_TC);
}

unsigned dg_wire_rcode(const uint8_t *pkt, size_t len)
{
	return len >= DG_WIRE_HEADER ? (unsigned)(pkt[3] & 0x0f) : DG_RCODE_SERVFAIL;
}

void dg_answer_ref(struct dg_answer *a)
{
	a->refs++;
}

void dg_answer_unref(struct dg_answer *a)
{
	if (a != NULL && --a->refs == 0)
		free(a);
}

struct dg_answer *dg_answer_new_empty(unsigned rcode, uint32_t ttl,
				      uint8_t reason)
{
	struct dg_answer *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->refs = 1;
	a->rcode = (uint8_t)rcode;
	a->reason = reason;
	a->ttl = ttl;
	return a;
}

bool dg_rr_next(const uint8_t *rrs, size_t len, size_t *pos, struct dg_rr *rr)
{
	const uint8_t *p = rrs + *pos;
	size_t owner;

	/* The records were laid out by response.c, whole and checked. */
	if (*pos >= len)
		return false;
	owner = dg_name_length(p);
	rr->owner = p;
	rr->type = dg_get16(p + owner);
	rr->rclass = dg_get16(p + owner + 2);
	rr->ttl = dg_get32(p + owner + 4);
	rr->rdlen = dg_get16(p + owner + 8);
	rr->rdata = p + owner + 10;
	rr->len = owner + 10 + rr->rdlen;
	*pos += rr->len;
	return true;
}

size_t dg_wire_encode_answer(const struct dg_answer *a, const uint8_t *pkt,
			     const struct dg_query_info *q, uint32_t elapsed,
			     uint32_t negative_ttl, size_t limit, uint8_t *out,
			     size_t cap)
{
	size_t question = q->question_end - DG_WIRE_HEADER;
	bool negative = a->rcode == DG_RCODE_NXDOMAIN || a->ancount == 0;
	size_t tail = (negative ? SOA_RR_LEN : 0) + (q->edns ? OPT_RR_LEN : 0);
	size_t pos = DG_WIRE_HEADER + question, src = 0;
	uint16_t written = 0;
	bool truncated = false;
	struct dg_rr rr;

	if (limit > cap)
		limit = cap;
	if (limit < pos + tail)
		return 0;
	memcpy(out + DG_WIRE_HEADER, pkt + DG_WIRE_HEADER, question);
	while (dg_answer_next(a, &src, &rr)) {
		size_t owner = rr.len - 10 - rr.rdlen;
		/* Most owners are the question name: point at it (RFC 1035
		 * 4.1.4), the one compression that needs no dictionary. */
		bool is_qname = dg_name_equal(rr.owner, q->qname);
		size_t out_len = (is_qname ? 2 : owner) + 10 + rr.rdlen;

		if (pos + out_len + tail > limit) {
			truncated = true;
			break;
		}
		if (is_qname) {
			out[pos] = 0xc0;
			out[pos + 1] = DG_WIRE_HEADER;
			pos += 2;
		} else {
			memcpy(out + pos, rr.owner, owner);
			pos += owner;
		}
		memcpy(out + pos, rr.owner + owner, 10 + (size_t)rr.rdlen);
		dg_put32(out + pos + 4, rr.ttl > elapsed ? rr.ttl - elapsed : 0);
		pos += 10 + (size_t)rr.rdlen;
		written++;
	}
	if (negative) {
		uint32_t ttl = a->ttl > elapsed ? a->ttl - elapsed : 0;

		pos += put_soa(out + pos, ttl < negative_ttl ? ttl : negative_ttl);
	}
	if (q->edns)
		pos += put_opt(out + pos, a->rcode);
	put_header(out, q, a->rcode, 1, written, negative, q->edns);
	if (truncated)
		out[2] |= FLAG_TC;
	return pos;
}
