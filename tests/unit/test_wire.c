/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_wire: client query checks on raw bytes (every rejection and its
 * answer), denials, our upstream query, response matching, and answers
 * Extended DNS Errors on denials (the option's bytes, only with EDNS,
 * within the client's size), answers
 * parsed from ldns-built upstream packets and re-encoded for a client:
 * ID and question case restored, TTLs clamped and counted down,
 * authority and additional dropped, TC when it does not fit.
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "name.h"
#include "response.h"
#include "scrub.h"
#include "tap.h"
#include "wire.h"

/* A query: header, www.Example.com IN A, optional OPT (version, size). */
static size_t query(uint8_t *p, uint8_t flags2, uint16_t qd, bool opt,
		    uint8_t version)
{
	static const uint8_t name[] = "\x03www\x07" "Example\x03" "com";
	size_t pos = 12;

	memset(p, 0, 12);
	p[0] = 0xab;
	p[1] = 0xcd;
	p[2] = flags2;
	p[5] = (uint8_t)qd;
	p[11] = opt;
	memcpy(p + pos, name, sizeof(name));
	pos += sizeof(name);
	p[pos++] = 0;
	p[pos++] = 1;
	p[pos++] = 0;
	p[pos++] = 1;
	if (opt) {
		static const uint8_t rr[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0 };

		memcpy(p + pos, rr, sizeof(rr));
		p[pos + 6] = version;
		pos += sizeof(rr);
	}
	return pos;
}

static void test_parse_query(void)
{
	uint8_t p[512];
	struct dg_query_info q;
	size_t len;

	len = query(p, 0x01, 1, false, 0);
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_OK, "a plain query parses");
	is_int(q.id, 0xabcd, "its ID is read");
	is_int(q.qtype, 1, "its type");
	ok(q.qname == p + 12 && q.qname_len == 17, "its name, in place");
	ok(!q.edns, "no EDNS without OPT");
	is_int(dg_wire_udp_limit(&q, 1232), 512, "without EDNS the UDP limit is 512");

	len = query(p, 0x01, 1, true, 0);
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_OK, "a query with OPT parses");
	ok(q.edns && q.edns_size == 1232 && q.edns_do, "EDNS size and DO are read");
	is_int(dg_wire_udp_limit(&q, 1232), 1232, "the UDP limit follows EDNS");
	p[len - 8] = 0x10; /* size 0x10d0 = 4304 */
	(void)dg_wire_parse_query(p, len, &q);
	is_int(dg_wire_udp_limit(&q, 1232), 1232, "and is capped by max_udp_size");
	p[len - 8] = 0x00;
	p[len - 7] = 0x10; /* size 16 */
	(void)dg_wire_parse_query(p, len, &q);
	is_int(q.edns_size, 512, "an EDNS size under 512 counts as 512");

	len = query(p, 0x01, 1, true, 1);
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_BADVERS, "EDNS version 1 is BADVERS");

	len = query(p, 0x81, 1, false, 0);
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_DROP, "QR set: dropped, never answered");
	is_int(dg_wire_parse_query(p, 11, &q), DG_WIRE_DROP, "11 bytes: dropped");
	len = query(p, 0x01 | (2 << 3), 1, false, 0);
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_NOTIMP, "opcode 2 (status): NOTIMP");
	len = query(p, 0x03, 1, false, 0);
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "TC in a query: FORMERR");
	len = query(p, 0x01, 0, false, 0);
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "QDCOUNT 0: FORMERR");
	len = query(p, 0x01, 2, false, 0);
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "QDCOUNT 2: FORMERR");
	len = query(p, 0x01, 1, false, 0);
	p[7] = 1;
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "ANCOUNT 1: FORMERR");
	p[7] = 0;
	p[11] = 2;
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "ARCOUNT 2: FORMERR");
	p[11] = 0;
	p[len] = 0;
	is_int(dg_wire_parse_query(p, len + 1, &q), DG_WIRE_FORMERR, "trailing bytes: FORMERR");
	is_int(dg_wire_parse_query(p, len - 1, &q), DG_WIRE_FORMERR, "a cut question: FORMERR");
	ok(q.question_end == 0, "and no question is claimed");

	/* A compression pointer in the question points nowhere useful. */
	len = query(p, 0x01, 1, false, 0);
	p[12] = 0xc0;
	p[13] = 0x0c;
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "a pointer as the qname: FORMERR");

	/* OPT shapes. */
	len = query(p, 0x01, 1, true, 0);
	p[len - 11] = 1;
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "an OPT not owned by the root: FORMERR");
	len = query(p, 0x01, 1, true, 0);
	p[len - 9] = 16;
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "a TXT record in additional: FORMERR");
	len = query(p, 0x01, 1, true, 0);
	p[len - 1] = 4; /* rdlength 4 with nothing after */
	is_int(dg_wire_parse_query(p, len, &q), DG_WIRE_FORMERR, "an OPT longer than the message: FORMERR");
	memcpy(p + len, "\x00\x0a\x00\x08", 4); /* cookie, length 8, no data */
	is_int(dg_wire_parse_query(p, len + 4, &q), DG_WIRE_FORMERR, "an option overrunning the OPT: FORMERR");
	memcpy(p + len, "\x00\x0a\x00\x00", 4);
	is_int(dg_wire_parse_query(p, len + 4, &q), DG_WIRE_OK, "an empty option tiles the OPT");
}

static ldns_pkt *parse_out(const uint8_t *out, size_t n)
{
	ldns_pkt *p = NULL;

	if (n == 0 || ldns_wire2pkt(&p, out, n) != LDNS_STATUS_OK)
		return NULL;
	return p;
}

static void test_build_empty(void)
{
	uint8_t p[512], out[1024];
	struct dg_query_info q;
	size_t len = query(p, 0x01, 1, true, 0), n;
	ldns_pkt *r;
	ldns_rr *soa;
	char *owner;

	(void)dg_wire_parse_query(p, len, &q);
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
	r = parse_out(out, n);
	ok(r != NULL, "a denial parses as DNS");
	if (r == NULL)
		return;
	is_int(ldns_pkt_id(r), 0xabcd, "it carries the client's ID");
	is_int(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN, "NXDOMAIN");
	ok(ldns_pkt_qr(r) && ldns_pkt_rd(r) && ldns_pkt_ra(r) && !ldns_pkt_aa(r),
	   "QR, RD copied, RA set, AA clear");
	is_int(ldns_pkt_qdcount(r), 1, "the question is echoed");
	ok(memcmp(out + 12, p + 12, 17) == 0, "in the client's case");
	is_int(ldns_pkt_nscount(r), 1, "one SOA in authority");
	soa = ldns_rr_list_rr(ldns_pkt_authority(r), 0);
	owner = ldns_rdf2str(ldns_rr_owner(soa));
	ok(ldns_rr_get_type(soa) == LDNS_RR_TYPE_SOA && ldns_rr_ttl(soa) == 60,
	   "an SOA with the negative TTL");
	is_str(owner, ".", "owned by the root");
	free(owner);
	ok(ldns_pkt_edns(r) && ldns_pkt_edns_udp_size(r) == DG_EDNS_SIZE && !ldns_pkt_edns_do(r),
	   "EDNS echoed with our size, no DO");
	ldns_pkt_free(r);

	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_REFUSED, UINT32_MAX, out, sizeof(out));
	r = parse_out(out, n);
	ok(r && ldns_pkt_get_rcode(r) == LDNS_RCODE_REFUSED && ldns_pkt_nscount(r) == 0,
	   "REFUSED carries no SOA");
	ldns_pkt_free(r);

	len = query(p, 0x01, 1, true, 1);
	(void)dg_wire_parse_query(p, len, &q);
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_BADVERS, UINT32_MAX, out, sizeof(out));
	ok(n > 0 && (out[3] & 0x0f) == 0 && out[n - 6] == 1,
	   "BADVERS is rcode 0 in the header, 1 in the OPT's extended rcode");

	len = query(p, 0x01, 2, false, 0);
	(void)dg_wire_parse_query(p, len, &q);
	n = dg_wire_build_empty(p, len, &q, false, DG_RCODE_FORMERR, UINT32_MAX, out, sizeof(out));
	ok(n == 12 && (out[3] & 0x0f) == DG_RCODE_FORMERR && out[5] == 0,
	   "FORMERR without a parsed question is a bare header");
	n = dg_wire_build_empty(p, len, &q, false, DG_RCODE_FORMERR, UINT32_MAX, out, 11);
	is_int(n, 0, "a buffer too small gets nothing written");
}

/* The OPT that ends a reply of n bytes: its RDATA length. */
static unsigned opt_rdlen(const uint8_t *out, size_t n)
{
	return (unsigned)(out[n - 2] << 8 | out[n - 1]);
}

static void test_ede(void)
{
	static const char text[] = "too-deep (entry *.example.com depth=1)";
	static const uint8_t head[] = { 0, 15, 0, sizeof(text) + 1, 0, 15 };
	uint8_t p[512], out[1024], before[1024];
	char long_text[2048];
	struct dg_query_info q;
	size_t len = query(p, 0x01, 1, true, 0), n, m, t = sizeof(text) - 1;
	struct dg_answer *a;
	ldns_pkt *r;

	(void)dg_wire_parse_query(p, len, &q);
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
	m = dg_wire_add_ede(out, n, 1232, &q, DG_EDE_BLOCKED, text);
	is_int(m, n + 6 + t, "the EDE option adds 6 bytes and the text");
	is_int(opt_rdlen(out, n), 6 + t, "the OPT's RDATA length counts it");
	ok(memcmp(out + n, head, sizeof(head)) == 0,
	   "option 15, length 2 + text, INFO-CODE 15 (Blocked)");
	ok(memcmp(out + n + 6, text, t) == 0, "EXTRA-TEXT as given, without its NUL");
	r = parse_out(out, m);
	ok(r != NULL && ldns_pkt_arcount(r) == 0 && ldns_pkt_edns(r) &&
	   ldns_rdf_size(ldns_pkt_edns_data(r)) == 6 + t,
	   "the denial with EDE parses, the option in the OPT");
	ldns_pkt_free(r);
	ok(!(out[2] & 0x02), "no TC");

	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_REFUSED, UINT32_MAX, out, sizeof(out));
	m = dg_wire_add_ede(out, n, 1232, &q, DG_EDE_PROHIBITED, "budget");
	ok(m == n + 12 && out[n + 4] == 0 && out[n + 5] == 18,
	   "INFO-CODE 18 (Prohibited) on REFUSED");

	a = dg_answer_new_empty(DG_RCODE_NXDOMAIN, 60, 0);
	ok(a != NULL, "an empty answer");
	if (a != NULL) {
		n = dg_wire_encode_answer(a, p, &q, 0, 60, 1232, out, sizeof(out));
		m = dg_wire_add_ede(out, n, 1232, &q, DG_EDE_BLOCKED, "cname");
		ok(m == n + 11 && opt_rdlen(out, n) == 11,
		   "an encoded empty answer takes the option too");
		dg_answer_unref(a);
	}

	len = query(p, 0x01, 1, false, 0);
	(void)dg_wire_parse_query(p, len, &q);
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
	memcpy(before, out, n);
	m = dg_wire_add_ede(out, n, 1232, &q, DG_EDE_BLOCKED, text);
	ok(m == n && memcmp(before, out, n) == 0,
	   "a client without EDNS gets no EDE, the reply unchanged");

	/* The client's size bounds it: the text is cut, never TC. */
	len = query(p, 0x01, 1, true, 0);
	(void)dg_wire_parse_query(p, len, &q);
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
	m = dg_wire_add_ede(out, n, n + 6 + 5, &q, DG_EDE_BLOCKED, text);
	ok(m == n + 11 && opt_rdlen(out, n) == 11 && out[n + 3] == 7 &&
	   memcmp(out + n + 6, "too-d", 5) == 0 && !(out[2] & 0x02),
	   "a text too long for the limit is cut to fit, no TC");
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
	m = dg_wire_add_ede(out, n, n + 6, &q, DG_EDE_BLOCKED, text);
	ok(m == n + 6 && out[n + 3] == 2, "room for the bare option: no text");
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
	m = dg_wire_add_ede(out, n, n + 5, &q, DG_EDE_BLOCKED, text);
	ok(m == n && opt_rdlen(out, n) == 0, "no room for it: no option");
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
	m = dg_wire_add_ede(out, n, n + 6 + 3, &q, DG_EDE_BLOCKED, "ab\xc3\xa9");
	ok(m == n + 8 && memcmp(out + n + 6, "ab", 2) == 0,
	   "a cut never splits a UTF-8 character");

	/* A client at 512 and a text far longer than that. */
	p[len - 8] = 0x02;
	p[len - 7] = 0x00;
	(void)dg_wire_parse_query(p, len, &q);
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	n = dg_wire_build_empty(p, len, &q, true, DG_RCODE_NXDOMAIN, 60, out, sizeof(out));
	m = dg_wire_add_ede(out, n, dg_wire_udp_limit(&q, 1232), &q,
			    DG_EDE_BLOCKED, long_text);
	is_int(m, 512, "a client of EDNS size 512 gets exactly 512 bytes");
	r = parse_out(out, m);
	ok(r != NULL && !ldns_pkt_tc(r), "which parse, without TC");
	ldns_pkt_free(r);
}

static void test_upstream_query(void)
{
	static const uint8_t name[] = "\x03WwW\x07" "Example\x03" "COM";
	uint8_t out[512];
	size_t n = dg_wire_build_upstream_query(name, 28, 1, 0x1234, out, sizeof(out));
	ldns_pkt *r = parse_out(out, n);

	ok(r != NULL, "our upstream query parses");
	if (r == NULL)
		return;
	is_int(ldns_pkt_id(r), 0x1234, "with our ID");
	ok(ldns_pkt_rd(r) && !ldns_pkt_qr(r), "RD set");
	ok(memcmp(out + 12, "\x03www\x07" "example\x03" "com", 17) == 0,
	   "the name lowercased: none of the client's case pattern");
	ok(ldns_pkt_edns(r) && ldns_pkt_edns_udp_size(r) == 1232 &&
		   !ldns_pkt_edns_do(r) && ldns_pkt_edns_data(r) == NULL,
	   "EDNS 1232, no DO, no options");
	ldns_pkt_free(r);

	is_int(dg_wire_match_response(out, n, 0x1234, name, 28, 1), DG_EMALFORMED,
	       "a query is not a response");
	out[2] |= 0x80;
	is_int(dg_wire_match_response(out, n, 0x1234, name, 28, 1), 0,
	       "the same question with QR set matches, whatever the case");
	is_int(dg_wire_match_response(out, n, 0x1235, name, 28, 1), DG_EMISMATCH,
	       "another ID does not match");
	is_int(dg_wire_match_response(out, n, 0x1234, name, 1, 1), DG_EMISMATCH,
	       "another type does not match");
	is_int(dg_wire_match_response(out, n, 0x1234, (const uint8_t *)"\x03" "api\x07" "example\x03" "com", 28, 1),
	       DG_EMISMATCH, "another name does not match");
	is_int(dg_wire_match_response(out, 20, 0x1234, name, 28, 1), DG_EMALFORMED,
	       "a cut response is malformed");
}

/* An upstream response built with ldns, as wire bytes in *len. */
static uint8_t *upstream_response(const char *const *answer, const char *const *authority,
				  ldns_pkt_rcode rcode, size_t *len)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *q = NULL;
	uint8_t *wire = NULL;

	ldns_rr_new_question_frm_str(&q, "www.example.com. IN A", NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	for (; answer && *answer; answer++) {
		ldns_rr *rr = NULL;

		ldns_rr_new_frm_str(&rr, *answer, 0, NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	for (; authority && *authority; authority++) {
		ldns_rr *rr = NULL;

		ldns_rr_new_frm_str(&rr, *authority, 0, NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	}
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(p);
	return wire;
}


/* An upstream response as a waiting query gets it: checked by the
 * upstream, then made into the client's answer. */
static int answer_from(const uint8_t *pkt, size_t len, const uint8_t *qname,
		       uint16_t qtype, const struct dg_ttl_policy *ttl,
		       const struct dg_scrub_policy *sp,
		       struct dg_scrub_report *rep, struct dg_answer **out)
{
	struct dg_response resp = { 0 };
	int rc = dg_response_parse(pkt, len, &resp);

	if (rc == 0)
		rc = dg_response_answer(&resp, qname, qtype, ttl, sp, rep, out);
	dg_response_free(&resp);
	return rc;
}

static void test_answers(void)
{
	static const char *const an[] = {
		"www.example.com. 300 IN CNAME edge.example.net.",
		"edge.example.net. 20 IN A 192.0.2.1",
		"edge.example.net. 99999 IN A 192.0.2.2",
		NULL,
	};
	static const char *const ns[] = {
		"example.com. 3600 IN NS ns.evil.example.", NULL,
	};
	static const char *const soa[] = {
		"example.com. 3600 IN SOA ns.example.com. h.example.com. 1 2 3 4 45", NULL,
	};
	struct dg_ttl_policy ttl = { .min_ttl = 30, .max_ttl = 3600, .negative_ttl = 60 };
	/* The chain www.example.com → edge.example.net is kept; scrubbing is
	 * test_scrub's business. */
	static const uint8_t www[] = "\x03www\x07" "example\x03" "com";
	struct dg_scrub_policy sp = { .private_allow = false };
	struct dg_scrub_report rep;
	uint8_t p[512], out[2048];
	struct dg_query_info q;
	size_t len, rlen, n;
	uint8_t *resp;
	struct dg_answer *a = NULL;
	ldns_pkt *r;

	len = query(p, 0x01, 1, true, 0);
	(void)dg_wire_parse_query(p, len, &q);

	resp = upstream_response(an, ns, LDNS_RCODE_NOERROR, &rlen);
	is_int(answer_from(resp, rlen, www, 1, &ttl, &sp, &rep, &a), 0, "an upstream answer parses");
	free(resp);
	if (a == NULL)
		return;
	is_int(a->ancount, 3, "its three answer records are kept");
	is_int(a->ttl, 30, "its TTL is the smallest, raised to min_ttl");

	n = dg_wire_encode_answer(a, p, &q, 10, 60, 1232, out, sizeof(out));
	r = parse_out(out, n);
	ok(r != NULL, "the re-encoded answer parses");
	if (r != NULL) {
		ldns_rr_list *rrs = ldns_pkt_answer(r);

		is_int(ldns_pkt_id(r), 0xabcd, "it has the client's ID");
		ok(memcmp(out + 12, p + 12, 17) == 0, "and the client's question case");
		is_int(ldns_pkt_ancount(r), 3, "three answers");
		is_int(ldns_pkt_nscount(r), 0, "the NS records in authority are gone");
		is_int(ldns_rr_ttl(ldns_rr_list_rr(rrs, 0)), 290, "TTL 300 counted down by 10 s");
		is_int(ldns_rr_ttl(ldns_rr_list_rr(rrs, 1)), 20, "TTL 20 raised to 30, then counted down");
		is_int(ldns_rr_ttl(ldns_rr_list_rr(rrs, 2)), 3590, "TTL 99999 clamped to 3600, counted down");
		ok(out[12 + 17 + 4] == 0xc0 && out[12 + 17 + 5] == 12,
		   "the first owner points at the question name");
		ok(ldns_pkt_edns(r), "EDNS is in the answer, as in the query");
		ldns_pkt_free(r);
	}

	n = dg_wire_encode_answer(a, p, &q, 400, 60, 1232, out, sizeof(out));
	r = parse_out(out, n);
	ok(r && ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r), 0)) == 0,
	   "a TTL never counts below 0");
	ldns_pkt_free(r);

	n = dg_wire_encode_answer(a, p, &q, 0, 60, 80, out, sizeof(out));
	r = parse_out(out, n);
	ok(r && ldns_pkt_tc(r) && ldns_pkt_ancount(r) < 3 && n <= 80,
	   "past the size limit, whole records are left out and TC is set");
	ldns_pkt_free(r);
	dg_answer_unref(a);

	resp = upstream_response(NULL, soa, LDNS_RCODE_NXDOMAIN, &rlen);
	a = NULL;
	is_int(answer_from(resp, rlen, www, 1, &ttl, &sp, &rep, &a), 0, "an upstream NXDOMAIN parses");
	free(resp);
	if (a != NULL) {
		is_int(a->ttl, 45, "its TTL is the SOA minimum, under negative_ttl");
		n = dg_wire_encode_answer(a, p, &q, 5, 60, 1232, out, sizeof(out));
		r = parse_out(out, n);
		ok(r && ldns_pkt_get_rcode(r) == LDNS_RCODE_NXDOMAIN && ldns_pkt_nscount(r) == 1 &&
			   ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(r), 0)) == 40,
		   "it is re-encoded with our SOA and the remaining negative TTL");
		ldns_pkt_free(r);
		dg_answer_unref(a);
	}

	resp = upstream_response(NULL, NULL, LDNS_RCODE_SERVFAIL, &rlen);
	a = NULL;
	is_int(answer_from(resp, rlen, www, 1, &ttl, &sp, &rep, &a), DG_EMISMATCH,
	       "an upstream SERVFAIL is a failure of that upstream");
	free(resp);
	is_int(answer_from((const uint8_t *)"\x12\x34\x81\x80\x00\x01", 6, www, 1,
					    &ttl, &sp, &rep, &a),
	       DG_EMALFORMED, "garbage is malformed");
}

/* One response, parsed once by the upstream, is read by every waiter of
 * its fetch, each under its own policy: making one client's answer must
 * not change what the next one is made from. */
static void test_response_shared(void)
{
	static const char *const an[] = {
		"www.example.com. 300 IN A 192.0.2.1",
		"www.example.com. 300 IN A 10.0.0.1",
		"www.example.com. 300 IN HTTPS 1 . alpn=h2 ipv4hint=10.1.1.1",
		NULL,
	};
	static const uint8_t www[] = "\x03www\x07" "example\x03" "com";
	struct dg_ttl_policy clamp_low = { .max_ttl = 60, .negative_ttl = 60 };
	struct dg_ttl_policy plain = { .max_ttl = 86400, .negative_ttl = 60 };
	struct dg_scrub_policy strict = { .private_allow = false };
	struct dg_scrub_policy lab = { .private_allow = true };
	struct dg_scrub_report rep;
	struct dg_response resp = { 0 };
	struct dg_answer *a = NULL, *b = NULL, *c = NULL, *h = NULL, *h2 = NULL;
	size_t rlen;
	uint8_t *pkt = upstream_response(an, NULL, LDNS_RCODE_NOERROR, &rlen);

	is_int(dg_response_parse(pkt, rlen, &resp), 0, "a response is parsed once");
	free(pkt);
	is_int(dg_response_answer(&resp, www, LDNS_RR_TYPE_A, &clamp_low, &strict, &rep, &a), 0,
	       "the first waiter's answer: private scrubbed, TTL clamped to 60");
	is_int(dg_response_answer(&resp, www, LDNS_RR_TYPE_A, &plain, &lab, &rep, &b), 0,
	       "a second waiter, private=allow, from the same response");
	is_int(dg_response_answer(&resp, www, LDNS_RR_TYPE_A, &plain, &strict, &rep, &c), 0,
	       "a third waiter, as the first but with no clamp");
	is_int(dg_response_answer(&resp, www, LDNS_RR_TYPE_HTTPS, &plain, &strict, &rep, &h), 0,
	       "an HTTPS waiter: its private hint goes");
	is_int(rep.hints_removed, 1, "one hint removed");
	is_int(dg_response_answer(&resp, www, LDNS_RR_TYPE_HTTPS, &plain, &lab, &rep, &h2), 0,
	       "an HTTPS waiter with private=allow");
	if (a != NULL && b != NULL && c != NULL && h != NULL && h2 != NULL) {
		is_int(a->ancount, 1, "the first answer holds the public address only");
		is_int(a->ttl, 60, "its TTL is clamped");
		is_int(b->ancount, 2, "the second still gets the private address the first lost");
		is_int(c->ttl, 300, "the third gets the TTL as it came, not the first's clamp");
		is_int(c->ancount, 1, "and the public address only");
		is_int(rep.hints_removed, 0, "with private=allow, no hint is removed");
		ok(h2->len > h->len, "the hint the HTTPS waiter lost is still there for the next");
	}
	dg_answer_unref(a);
	dg_answer_unref(b);
	dg_answer_unref(c);
	dg_answer_unref(h);
	dg_answer_unref(h2);
	dg_response_free(&resp);
}

int main(void)
{
	test_parse_query();
	test_build_empty();
	test_ede();
	test_upstream_query();
	test_answers();
	test_response_shared();
	return done_testing();
}
