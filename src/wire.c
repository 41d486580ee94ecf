/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wire: see wire.h.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "name.h"
#include "scrub.h"

#define TYPE_SOA 6
#define TYPE_OPT 41
#define CLASS_IN 1
#define FLAG_QR 0x80     /* in byte 2 */
#define FLAG_TC 0x02     /* in byte 2 */
#define FLAG_RD 0x01     /* in byte 2 */
#define FLAG_RA 0x80     /* in byte 3 */
#define OPCODE_MASK 0x78 /* in byte 2 */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The OPT record of a query: RFC 6891 6.1. Must end the message. */
static enum dg_wire_check parse_opt(const uint8_t *pkt, size_t len,
				    size_t pos, struct dg_query_info *q)
{
	uint16_t size, rdlen;
	uint8_t version;
	bool dnssec_ok;

	if (len - pos < 11 || pkt[pos] != 0 || get16(pkt + pos + 1) != TYPE_OPT)
		return DG_WIRE_FORMERR;
	size = get16(pkt + pos + 3);
	version = pkt[pos + 6];
	dnssec_ok = (pkt[pos + 7] & 0x80) != 0;
	rdlen = get16(pkt + pos + 9);
	pos += 11;
	if (len - pos != rdlen)
		return DG_WIRE_FORMERR;
	/* Options must tile the RDATA exactly. */
	while (pos < len) {
		if (len - pos < 4 || len - pos - 4 < get16(pkt + pos + 2))
			return DG_WIRE_FORMERR;
		pos += 4 + (size_t)get16(pkt + pos + 2);
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
	*qtype = get16(pkt + pos);
	*qclass = get16(pkt + pos + 2);
	return pos + 4;
}

enum dg_wire_check dg_wire_parse_query(const uint8_t *pkt, size_t len,
				       struct dg_query_info *q)
{
	size_t pos;

	memset(q, 0, sizeof(*q));
	if (len >= 2)
		q->id = get16(pkt);
	/* Too short to answer, or an answer sent to us: never reply, so
	 * dnsgate cannot be bounced off into a reflection loop. */
	if (len < DG_WIRE_HEADER || (pkt[2] & FLAG_QR))
		return DG_WIRE_DROP;
	q->flags = get16(pkt + 2);
	if ((pkt[2] & OPCODE_MASK) != 0)
		return DG_WIRE_NOTIMP;
	if ((pkt[2] & FLAG_TC) || get16(pkt + 4) != 1 || get16(pkt + 6) != 0 ||
	    get16(pkt + 8) != 0 || get16(pkt + 10) > 1)
		return DG_WIRE_FORMERR;
	pos = read_question(pkt, len, &q->qtype, &q->qclass);
	if (pos == 0)
		return DG_WIRE_FORMERR;
	q->qname = pkt + DG_WIRE_HEADER;
	q->qname_len = pos - 4 - DG_WIRE_HEADER;
	q->question_end = pos;
	if (get16(pkt + 10) == 1)
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
	put16(out, q->id);
	out[2] = (uint8_t)(FLAG_QR | ((q->flags >> 8) & (OPCODE_MASK | FLAG_RD)));
	out[3] = (uint8_t)(FLAG_RA | (rcode & 0x0f));
	put16(out + 4, qd);
	put16(out + 6, an);
	put16(out + 8, ns);
	put16(out + 10, ar);
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
	put16(p, TYPE_SOA);
	put16(p + 2, CLASS_IN);
	put32(p + 4, ttl);
	put16(p + 8, (uint16_t)(SOA_NAMES_LEN + 20));
	p += 10;
	memcpy(p, soa_names, SOA_NAMES_LEN);
	p += SOA_NAMES_LEN;
	put32(p, 1);         /* serial */
	put32(p + 4, 3600);  /* refresh */
	put32(p + 8, 600);   /* retry */
	put32(p + 12, 86400); /* expire */
	put32(p + 16, ttl);  /* minimum: the negative TTL */
	return SOA_RR_LEN;
}

#define OPT_RR_LEN 11

static size_t put_opt(uint8_t *out, unsigned rcode)
{
	out[0] = 0;
	put16(out + 1, TYPE_OPT);
	put16(out + 3, DG_EDNS_SIZE);
	out[5] = (uint8_t)(rcode >> 4); /* extended rcode */
	out[6] = 0;                     /* version */
	put16(out + 7, 0);              /* no DO: we do not validate */
	put16(out + 9, 0);
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
	if (opt[0] != 0 || get16(opt + 1) != TYPE_OPT || get16(opt + 9) != 0)
		return n;
	len = utf8_prefix(text, limit - n - EDE_FIXED);
	put16(opt + 9, (uint16_t)(EDE_FIXED + len));
	put16(out + n, OPT_CODE_EDE);
	put16(out + n + 2, (uint16_t)(2 + len));
	put16(out + n + 4, code);
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
	put16(out, id);
	out[2] = FLAG_RD;
	out[3] = 0;
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 1);
	dg_name_lower(out + DG_WIRE_HEADER, qname);
	put16(out + DG_WIRE_HEADER + n, qtype);
	put16(out + DG_WIRE_HEADER + n + 2, qclass);
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
	if (get16(pkt) != id || get16(pkt + 4) != 1)
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

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The negative TTL of RFC 2308 5: min(SOA TTL, SOA MINIMUM), capped. */
static uint32_t negative_ttl(const ldns_pkt *p, const struct dg_ttl_policy *t)
{
	ldns_rr_list *auth = ldns_pkt_authority(p);
	uint32_t ttl = t->negative_ttl;

	for (size_t i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		ldns_rdf *min;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
		    ldns_rr_rd_count(rr) != 7)
			continue;
		min = ldns_rr_rdf(rr, 6);
		if (ldns_rdf_size(min) == 4 && get32(ldns_rdf_data(min)) < ttl)
			ttl = get32(ldns_rdf_data(min));
		if (ldns_rr_ttl(rr) < ttl)
			ttl = ldns_rr_ttl(rr);
	}
	return ttl;
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

int dg_wire_check_response(const uint8_t *pkt, size_t len,
			   struct dg_response *out)
{
	ldns_pkt *p = NULL;
	unsigned rcode;

	out->parsed = NULL;
	if (ldns_wire2pkt(&p, pkt, len) != LDNS_STATUS_OK)
		return DG_EMALFORMED;
	rcode = ldns_pkt_get_rcode(p);
	if (rcode != DG_RCODE_NOERROR && rcode != DG_RCODE_NXDOMAIN) {
		ldns_pkt_free(p);
		return DG_EMISMATCH;
	}
	out->parsed = p;
	return 0;
}

void dg_response_clear(struct dg_response *r)
{
	ldns_pkt_free(r->parsed);
	r->parsed = NULL;
}

/* One kept record onto buf, its TTL clamped: written as it came, then the
 * TTL rewritten in place, since rr belongs to a packet other waiters read.
 * The record was laid out uncompressed: its owner starts at `at`. */
static int put_record(ldns_buffer *buf, const ldns_rr *rr,
		      const struct dg_ttl_policy *t, uint32_t *min_ttl)
{
	size_t at = ldns_buffer_position(buf);
	uint32_t ttl = clamp(ldns_rr_ttl(rr), t->min_ttl, t->max_ttl);

	uint8_t *owner;

	if (ldns_rr2buffer_wire(buf, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return DG_ENOMEM;
	owner = ldns_buffer_at(buf, at);
	put32(owner + dg_name_length(owner) + 4, ttl);
	if (ttl < *min_ttl)
		*min_ttl = ttl;
	return 0;
}

int dg_wire_make_answer(const struct dg_response *resp, const uint8_t *qname,
			uint16_t qtype, const struct dg_ttl_policy *t,
			const struct dg_scrub_policy *scrub,
			struct dg_scrub_report *report, struct dg_answer **out)
{
	const ldns_pkt *p = resp->parsed;
	unsigned rcode = ldns_pkt_get_rcode(p);
	ldns_buffer *buf = ldns_buffer_new(1024);
	ldns_rr_list *keep = ldns_rr_list_new();
	struct dg_answer *a = NULL;
	uint32_t ttl = UINT32_MAX;
	uint16_t count = 0;
	int rc = DG_ENOMEM;

	if (buf == NULL || keep == NULL ||
	    dg_scrub(p, qname, qtype, scrub, keep, report) != 0)
		goto fail;
	for (size_t i = 0; i < ldns_rr_list_rr_count(keep); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(keep, i);
		ldns_rr *copy = NULL;

		if (dg_scrub_svcb(scrub, rr, &copy, &report->hints_removed) != 0)
			goto fail;
		rc = put_record(buf, copy != NULL ? copy : rr, t, &ttl);
		ldns_rr_free(copy);
		if (rc != 0)
			goto fail;
		count++;
	}
	/* Decompressed, an answer can outgrow any message: refuse it rather
	 * than store what no client could be sent. */
	if (ldns_buffer_position(buf) > DG_WIRE_MAX) {
		rc = DG_EMALFORMED;
		goto fail;
	}
	if (rcode == DG_RCODE_NXDOMAIN || count == 0) {
		/* min_ttl raises a negative TTL, but never past negative_ttl,
		 * which caps it whatever the SOA says. */
		uint32_t floor = t->min_ttl < t->negative_ttl ? t->min_ttl
							      : t->negative_ttl;

		ttl = clamp(negative_ttl(p, t), floor, t->negative_ttl);
	}
	rc = DG_ENOMEM;
	a = malloc(sizeof(*a) + ldns_buffer_position(buf));
	if (a == NULL)
		goto fail;
	a->refs = 1;
	a->rcode = (uint8_t)rcode;
	a->reason = 0;
	a->ancount = count;
	a->scrubbed = (uint16_t)(report->private_removed +
				 report->offchain_removed +
				 report->hints_removed);
	a->ttl = ttl;
	a->len = ldns_buffer_position(buf);
	memcpy(a->rrs, ldns_buffer_begin(buf), a->len);
	*out = a;
	rc = 0;
fail:
	/* keep borrowed its records from p: free the list only. */
	ldns_rr_list_free(keep);
	ldns_buffer_free(buf);
	return rc;
}

bool dg_answer_next(const struct dg_answer *a, size_t *pos, struct dg_rr *rr)
{
	const uint8_t *p = a->rrs + *pos;
	size_t owner;

	/* The records were laid out by dg_wire_make_answer: whole. */
	if (*pos >= a->len)
		return false;
	owner = dg_name_length(p);
	rr->owner = p;
	rr->type = get16(p + owner);
	rr->ttl = get32(p + owner + 4);
	rr->rdlen = get16(p + owner + 8);
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
		put32(out + pos + 4, rr.ttl > elapsed ? rr.ttl - elapsed : 0);
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
