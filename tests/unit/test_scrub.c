/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_scrub: the answer policy (scrub.h) on packets built with ldns from
 * text, as an upstream could send them: private addresses at the edges of
 * every range and in their mapped and NAT64 forms, the rebinding set,
 * SVCB/HTTPS address hints (well-formed and not), records off the
 * question's CNAME chain, long and looping chains, DNAME, and
 * cname = strict. Each case prints what was kept, so a failure shows it.
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "name.h"
#include "response.h"
#include "scrub.h"
#include "tap.h"
#include "util.h"

static const struct dg_scrub_policy deny_private = { 0 };
static const struct dg_scrub_policy allow_private = { .private_allow = true };

static _Noreturn void bail(const char *what, const char *text)
{
	printf("Bail out! %s: %s\n", what, text);
	exit(1);
}

/* `text` in wire form, in a static buffer. */
static const uint8_t *wire_name(const char *text)
{
	static uint8_t buf[DG_NAME_MAXLEN];
	ldns_rdf *d = ldns_dname_new_frm_str(text);

	if (d == NULL || ldns_rdf_size(d) > sizeof(buf))
		bail("bad name", text);
	memcpy(buf, ldns_rdf_data(d), ldns_rdf_size(d));
	ldns_rdf_deep_free(d);
	return buf;
}

static ldns_rr *rr_from_text(const char *text)
{
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		bail("bad record", text);
	return rr;
}

/* A response: the question `qname qtype` (IN) and the answer records. */
static ldns_pkt *response(const char *qname, const char *qtype,
			  const char *const *answer)
{
	char q[512];
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *rr = NULL;

	if (p == NULL)
		bail("out of memory", "ldns_pkt_new");
	snprintf(q, sizeof(q), "%s IN %s", qname, qtype);
	if (ldns_rr_new_question_frm_str(&rr, q, NULL, NULL) != LDNS_STATUS_OK)
		bail("bad question", q);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	for (; answer != NULL && *answer != NULL; answer++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr_from_text(*answer));
	ldns_pkt_set_qr(p, true);
	return p;
}

/* The answer as "owner TYPE rdata | …" (no TTL or class), "" when empty. */
static const char *answer_text(const ldns_pkt *p)
{
	static char out[8192];
	ldns_rr_list *an = ldns_pkt_answer(p);
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; an != NULL && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(rr));
		char *type = ldns_rr_type2str(ldns_rr_get_type(rr));

		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s %s",
					i ? " | " : "", owner, type);
		free(owner);
		free(type);
		for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
			char *rd = ldns_rdf2str(ldns_rr_rdf(rr, k));

			len += (size_t)snprintf(out + len, sizeof(out) - len,
						" %s", rd ? rd : "?");
			free(rd);
		}
		if (len >= sizeof(out))
			bail("answer too long for the test buffer", out);
	}
	return out;
}

/*
 * p as an upstream sends it (ldns compresses its names), parsed by
 * response.c and scrubbed; then p rebuilt from the records dg_scrub wrote,
 * so a test reads the answer a client gets.
 */
static int scrub_into(ldns_pkt **p, const uint8_t *qname, uint16_t qtype,
		      const struct dg_scrub_policy *sp,
		      struct dg_scrub_report *r)
{
	struct dg_response resp = { 0 };
	uint8_t *wire = NULL, *out = NULL;
	size_t len = 0, question, n;
	uint16_t count = 0;
	ldns_pkt *back = NULL;
	int rc;

	if (ldns_pkt2wire(&wire, *p, &len) != LDNS_STATUS_OK)
		bail("cannot encode", "scrub_into");
	rc = dg_response_parse(wire, len, &resp);
	if (rc != 0)
		goto done;
	question = dg_name_length(wire + DG_WIRE_HEADER) + 4;
	out = malloc(DG_WIRE_HEADER + question + resp.len + 1);
	if (out == NULL)
		bail("out of memory", "scrub_into");
	n = dg_scrub(&resp, qname, qtype, sp,
		     out + DG_WIRE_HEADER + question, &count, r);
	memcpy(out, wire, DG_WIRE_HEADER + question);
	dg_put16(out + 6, count);
	dg_put16(out + 8, 0);
	dg_put16(out + 10, 0);
	if (ldns_wire2pkt(&back, out, DG_WIRE_HEADER + question + n) !=
	    LDNS_STATUS_OK)
		bail("dg_scrub wrote what does not parse", "scrub_into");
	ldns_pkt_free(*p);
	*p = back;
done:
	dg_response_free(&resp);
	free(out);
	free(wire);
	return rc;
}

/* Does the scrubbed packet still encode, and decode to the same answer?
 * ldns writes rdata from the rdfs: a rebuilt SvcParams rdf must be whole. */
static bool reencodes(const ldns_pkt *p)
{
	char before[8192];
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt *back = NULL;
	bool same;

	snprintf(before, sizeof(before), "%s", answer_text(p));
	if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK)
		return false;
	if (ldns_wire2pkt(&back, wire, len) != LDNS_STATUS_OK) {
		free(wire);
		return false;
	}
	same = ldns_pkt_ancount(back) == ldns_pkt_ancount(p) &&
	       strcmp(before, answer_text(back)) == 0;
	ldns_pkt_free(back);
	free(wire);
	return same;
}

struct result {
	int rc;
	struct dg_scrub_report r;
	unsigned ancount;
	bool reencodes;
	char text[8192];
};

/* Scrub a response to `qname qtype` holding `answer` under `sp`. */
static struct result scrub(const char *qname, const char *qtype,
			   const char *const *answer,
			   const struct dg_scrub_policy *sp)
{
	struct result res;
	ldns_pkt *p = response(qname, qtype, answer);

	memset(&res, 0, sizeof(res));
	res.r.private_removed = 99; /* dg_scrub must zero the report */
	res.rc = scrub_into(&p, wire_name(qname),
			    ldns_get_rr_type_by_name(qtype), sp, &res.r);
	res.ancount = ldns_pkt_ancount(p);
	res.reencodes = reencodes(p);
	snprintf(res.text, sizeof(res.text), "%s", answer_text(p));
	if (ldns_rr_list_rr_count(ldns_pkt_answer(p)) != res.ancount)
		bail("ancount differs from the answer list", qname);
	ldns_pkt_free(p);
	return res;
}

static void test_private_edges(void)
{
	static const struct {
		const char *type, *addr;
		bool private;
	} cases[] = {
		{ "A", "9.255.255.255", false },
		{ "A", "10.0.0.0", true },
		{ "A", "10.255.255.255", true },
		{ "A", "11.0.0.0", false },
		{ "A", "172.15.255.255", false },
		{ "A", "172.16.0.0", true },
		{ "A", "172.31.255.255", true },
		{ "A", "172.32.0.0", false },
		{ "A", "100.63.255.255", false },
		{ "A", "100.64.0.1", true },
		{ "A", "100.127.255.255", true },
		{ "A", "100.128.0.0", false },
		{ "A", "169.254.169.254", true },
		{ "A", "169.253.255.255", false },
		{ "A", "169.255.0.0", false },
		{ "A", "127.0.0.1", true },
		{ "A", "0.0.0.0", true },
		{ "A", "192.168.1.1", true },
		{ "A", "192.0.0.8", true },
		{ "A", "198.18.0.1", true },
		{ "A", "198.19.255.255", true },
		{ "A", "198.20.0.0", false },
		{ "A", "224.0.0.1", true },
		{ "A", "239.255.255.255", true },
		{ "A", "223.255.255.255", false },
		{ "A", "255.255.255.255", true },
		{ "A", "192.0.2.1", false },
		{ "A", "198.51.100.7", false },
		{ "A", "203.0.113.9", false },
		{ "A", "8.8.8.8", false },
		{ "AAAA", "::1", true },
		{ "AAAA", "::", true },
		{ "AAAA", "fe80::1", true },
		{ "AAAA", "febf:ffff::1", true },
		{ "AAAA", "fec0::1", true },
		{ "AAAA", "fd00::1", true },
		{ "AAAA", "fc00::1", true },
		{ "AAAA", "fd00:ec2::254", true },
		{ "AAAA", "fe00::1", false },
		{ "AAAA", "ff02::1", true },
		{ "AAAA", "100::1", true },
		{ "AAAA", "100:0:0:1::1", false },
		{ "AAAA", "::ffff:10.0.0.1", true },
		{ "AAAA", "::ffff:169.254.169.254", true },
		{ "AAAA", "::ffff:192.0.2.1", false },
		{ "AAAA", "::10.0.0.1", true },
		{ "AAAA", "::192.0.2.1", false },
		{ "AAAA", "64:ff9b::a00:1", true },
		{ "AAAA", "64:ff9b::7f00:1", true },
		{ "AAAA", "64:ff9b::c000:201", false },
		{ "AAAA", "64:ff9b:1::c000:201", true },
		{ "AAAA", "64:ff9b:2::c000:201", false },
		{ "AAAA", "2001:db8::1", false },
		{ "AAAA", "2606:4700::1111", false },
	};

	for (size_t i = 0; i < DG_ARRAY_SIZE(cases); i++) {
		char rr[256];
		const char *an[] = { rr, NULL };
		struct result res;

		snprintf(rr, sizeof(rr), "www.example.com. 300 IN %s %s",
			 cases[i].type, cases[i].addr);
		res = scrub("www.example.com.", cases[i].type, an, &deny_private);
		ok(res.rc == 0 && res.r.private_removed == (cases[i].private ? 1u : 0u) &&
			   res.ancount == (cases[i].private ? 0u : 1u),
		   "%s %s is %s", cases[i].type, cases[i].addr,
		   cases[i].private ? "removed as private" : "kept as public");
	}
}

/* The addresses a hostile name would use to reach into the sandbox's host,
 * network or cloud. */
static const char *const rebind_a[] = {
	"evil.example.com. 300 IN A 127.0.0.1",
	"evil.example.com. 300 IN A 10.0.0.5",
	"evil.example.com. 300 IN A 169.254.169.254",
	"evil.example.com. 300 IN A 100.64.0.1",
	NULL,
};
static const char *const rebind_aaaa[] = {
	"evil.example.com. 300 IN AAAA ::ffff:10.0.0.1",
	"evil.example.com. 300 IN AAAA fd00::1",
	"evil.example.com. 300 IN AAAA fd00:ec2::254",
	"evil.example.com. 300 IN AAAA ::1",
	NULL,
};

static void test_rebinding(void)
{
	struct result res;

	res = scrub("evil.example.com.", "A", rebind_a, &deny_private);
	is_int(res.rc, 0, "the IPv4 rebinding set scrubs");
	is_int(res.r.private_removed, 4, "all four private A records are removed");
	is_int(res.ancount, 0, "nothing is left: ancount 0 (NODATA)");
	is_str(res.text, "", "the answer section is empty");
	ok(res.reencodes, "the emptied packet still encodes");

	res = scrub("evil.example.com.", "AAAA", rebind_aaaa, &deny_private);
	is_int(res.r.private_removed, 4, "all four private AAAA records are removed");
	is_int(res.ancount, 0, "nothing is left of the AAAA answer");
	is_int(res.r.offchain_removed, 0, "and none of it counted as off-chain");

	res = scrub("evil.example.com.", "A", rebind_a, &allow_private);
	is_int(res.r.private_removed, 0, "private=allow removes nothing");
	is_int(res.ancount, 4, "private=allow keeps all four A records");
	res = scrub("evil.example.com.", "AAAA", rebind_aaaa, &allow_private);
	is_int(res.ancount, 4, "private=allow keeps all four AAAA records");

	static const char *const via_cname[] = {
		"evil.example.com. 300 IN CNAME inside.example.net.",
		"inside.example.net. 300 IN A 192.168.0.1",
		NULL,
	};
	res = scrub("evil.example.com.", "A", via_cname, &deny_private);
	is_str(res.text, "evil.example.com. CNAME inside.example.net.",
	       "a private address at the end of a CNAME chain is removed too");
	is_int(res.r.private_removed, 1, "and counted as private");
}

static void test_mixed(void)
{
	static const char *const a[] = {
		"www.example.com. 300 IN A 192.0.2.1",
		"www.example.com. 300 IN A 10.0.0.1",
		"www.example.com. 300 IN A 192.0.2.2",
		"www.example.com. 300 IN A 127.0.0.1",
		NULL,
	};
	static const char *const aaaa[] = {
		"www.example.com. 300 IN AAAA fe80::1",
		"www.example.com. 300 IN AAAA 2001:db8::1",
		"www.example.com. 300 IN AAAA 64:ff9b::a00:1",
		"www.example.com. 300 IN AAAA 64:ff9b::c000:201",
		NULL,
	};
	struct result res;

	res = scrub("www.example.com.", "A", a, &deny_private);
	is_str(res.text, "www.example.com. A 192.0.2.1 | www.example.com. A 192.0.2.2",
	       "a mixed A answer keeps only the public addresses, in order");
	is_int(res.r.private_removed, 2, "two private A records counted");
	is_int(res.ancount, 2, "ancount follows");

	res = scrub("www.example.com.", "AAAA", aaaa, &deny_private);
	is_str(res.text,
	       "www.example.com. AAAA 2001:db8::1 | www.example.com. AAAA 64:ff9b::c000:201",
	       "a mixed AAAA answer keeps 2001:db8::1 and the NAT64 form of 192.0.2.1");
	is_int(res.r.private_removed, 2, "link-local and NAT64-of-10/8 counted");
}

/* An HTTPS record with the given params text, scrubbed for qtype HTTPS. */
static struct result https(const char *type, const char *params,
			   const struct dg_scrub_policy *sp)
{
	char rr[512];
	const char *an[] = { rr, NULL };

	snprintf(rr, sizeof(rr), "svc.example.com. 300 IN %s 1 . %s", type,
		 params);
	return scrub("svc.example.com.", type, an, sp);
}

static void test_svcb_hints(void)
{
	struct result res;

	res = https("HTTPS", "alpn=h2 ipv4hint=10.0.0.1,192.0.2.1 ipv6hint=2001:db8::1",
		    &deny_private);
	is_str(res.text, "svc.example.com. HTTPS 1 . alpn=h2 ipv6hint=2001:db8::1",
	       "an ipv4hint holding one private address goes whole; alpn and a public ipv6hint stay");
	is_int(res.r.hints_removed, 1, "one hint counted");
	is_int(res.r.private_removed, 0, "the record itself is not removed");
	ok(res.reencodes, "the rebuilt record encodes and decodes the same");

	res = https("HTTPS", "alpn=h2,h3 ipv4hint=192.0.2.1 ipv6hint=2001:db8::1,fd00::1",
		    &deny_private);
	is_str(res.text, "svc.example.com. HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.1",
	       "a private address in ipv6hint removes that hint, the public ipv4hint stays");
	is_int(res.r.hints_removed, 1, "one hint counted");

	res = https("HTTPS", "alpn=h2 ipv4hint=127.0.0.1 ipv6hint=::ffff:10.0.0.1",
		    &deny_private);
	is_str(res.text, "svc.example.com. HTTPS 1 . alpn=h2",
	       "both private hints (one IPv4-mapped) removed, alpn kept");
	is_int(res.r.hints_removed, 2, "two hints counted");
	ok(res.reencodes, "and the record encodes");

	res = https("HTTPS", "ipv4hint=169.254.169.254 ipv6hint=fd00:ec2::254",
		    &deny_private);
	is_str(res.text, "svc.example.com. HTTPS 1 .",
	       "with only metadata hints, the record is left without params");
	is_int(res.ancount, 1, "the record stays");
	is_int(res.r.hints_removed, 2, "two hints counted");
	ok(res.reencodes, "a record stripped of every param encodes");

	res = https("HTTPS", "alpn=h2 ipv4hint=192.0.2.1,198.51.100.1 ipv6hint=2001:db8::1",
		    &deny_private);
	is_str(res.text,
	       "svc.example.com. HTTPS 1 . alpn=h2 ipv4hint=192.0.2.1,198.51.100.1 ipv6hint=2001:db8::1",
	       "public hints are kept as they are");
	is_int(res.r.hints_removed, 0, "nothing counted");

	res = https("SVCB", "port=853 ipv4hint=10.1.2.3", &deny_private);
	is_str(res.text, "svc.example.com. SVCB 1 . port=853",
	       "SVCB hints are scrubbed like HTTPS ones");

	res = https("HTTPS", "alpn=h2 ipv4hint=10.0.0.1 ipv6hint=fd00::1",
		    &allow_private);
	is_str(res.text, "svc.example.com. HTTPS 1 . alpn=h2 ipv4hint=10.0.0.1 ipv6hint=fd00::1",
	       "private=allow keeps private hints");
	is_int(res.r.hints_removed, 0, "and counts none");
}

/* An HTTPS record for svc.example.com with raw SvcParams, as ldns parses
 * it off the wire: ldns does not check that the param lengths add up. */
static struct result https_wire(const uint8_t *params, size_t plen)
{
	uint8_t w[512];
	size_t n = 0, pos = 0;
	ldns_rr *rr = NULL;
	ldns_pkt *p = response("svc.example.com.", "HTTPS", NULL);
	struct result res;
	const uint8_t head[] = {
		3, 's', 'v', 'c', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'c', 'o', 'm', 0, 0, 65, 0, 1, 0, 0, 1, 44,
	};

	memcpy(w, head, sizeof(head));
	n = sizeof(head);
	w[n++] = (uint8_t)((3 + plen) >> 8);
	w[n++] = (uint8_t)(3 + plen);
	w[n++] = 0; /* priority 1, target "." */
	w[n++] = 1;
	w[n++] = 0;
	memcpy(w + n, params, plen);
	n += plen;
	if (ldns_wire2rr(&rr, w, n, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		bail("ldns refused a test record", "https_wire");
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);

	memset(&res, 0, sizeof(res));
	res.rc = scrub_into(&p, wire_name("svc.example.com."),
			    LDNS_RR_TYPE_HTTPS, &deny_private, &res.r);
	res.ancount = ldns_pkt_ancount(p);
	res.reencodes = reencodes(p);
	snprintf(res.text, sizeof(res.text), "%s", answer_text(p));
	ldns_pkt_free(p);
	return res;
}

static void test_svcb_malformed(void)
{
	/* alpn=h2, then ipv4hint with 5 bytes: not whole addresses. */
	static const uint8_t odd_len[] = { 0, 1, 0, 3, 2, 'h', '2',
					   0, 4, 0, 5, 192, 0, 2, 1, 7 };
	/* alpn=h2, ipv4hint claiming 8 bytes with 4 left. */
	static const uint8_t past_end[] = { 0, 1, 0, 3, 2, 'h', '2',
					    0, 4, 0, 8, 192, 0, 2, 1 };
	/* alpn=h2, then 3 bytes: half a param header. */
	static const uint8_t half_header[] = { 0, 1, 0, 3, 2, 'h', '2', 0, 4, 0 };
	/* An empty ipv4hint, then a public ipv6hint. */
	static const uint8_t empty_hint[] = {
		0, 4, 0, 0,
		0, 6, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1,
	};
	/* Keys repeated out of order: each ipv4hint is judged alone. */
	static const uint8_t repeated[] = { 0, 4, 0, 4, 192, 0, 2, 1,
					    0, 4, 0, 4, 10, 0, 0, 1 };
	struct result res;

	res = https_wire(odd_len, sizeof(odd_len));
	is_str(res.text, "svc.example.com. HTTPS 1 . alpn=h2",
	       "an ipv4hint that is not whole addresses is removed");
	is_int(res.r.hints_removed, 1, "and counted");
	ok(res.reencodes, "and the record encodes");

	res = https_wire(past_end, sizeof(past_end));
	is_str(res.text, "svc.example.com. HTTPS 1 . alpn=h2",
	       "a hint running past the rdata is cut off");
	is_int(res.r.hints_removed, 1, "and counted");

	res = https_wire(half_header, sizeof(half_header));
	is_str(res.text, "svc.example.com. HTTPS 1 . alpn=h2",
	       "a half param header at the end is cut off");
	is_int(res.r.hints_removed, 0, "and not counted as a hint");

	res = https_wire(empty_hint, sizeof(empty_hint));
	is_str(res.text, "svc.example.com. HTTPS 1 . ipv6hint=2001:db8::1",
	       "an empty ipv4hint is removed, the public ipv6hint after it kept");

	res = https_wire(repeated, sizeof(repeated));
	is_str(res.text, "svc.example.com. HTTPS 1 . ipv4hint=192.0.2.1",
	       "of two ipv4hints only the private one is removed");
	is_int(res.rc, 0, "none of these is an error");
}

static void test_offchain(void)
{
	static const char *const an[] = {
		"www.example.com. 300 IN A 192.0.2.1",
		"other.example.com. 300 IN A 192.0.2.9",
		"www.example.com. 300 IN TXT \"hello\"",
		"www.example.com. 300 IN AAAA 2001:db8::1",
		"www.example.com. 300 CH A 192.0.2.7",
		"example.com. 300 IN NS ns.evil.example.",
		NULL,
	};
	static const char *const upper[] = {
		"WWW.Example.COM. 300 IN A 192.0.2.1",
		NULL,
	};
	struct result res;

	res = scrub("www.example.com.", "A", an, &deny_private);
	is_str(res.text, "www.example.com. A 192.0.2.1",
	       "only the question's name and type are kept");
	is_int(res.r.offchain_removed, 5,
	       "another name, TXT, AAAA, another class and NS counted off-chain");
	is_int(res.r.private_removed, 0, "none counted as private");
	is_int(res.ancount, 1, "ancount 1");

	res = scrub("www.example.com.", "A", upper, &deny_private);
	is_int(res.ancount, 1, "owner names compare without case");

	static const char *const private_elsewhere[] = {
		"other.example.com. 300 IN A 10.0.0.1",
		NULL,
	};
	res = scrub("www.example.com.", "A", private_elsewhere, &deny_private);
	ok(res.ancount == 0 && res.r.offchain_removed == 1 &&
		   res.r.private_removed == 0,
	   "an off-chain private record counts as off-chain only");

	res = scrub("www.example.com.", "A", NULL, &deny_private);
	ok(res.rc == 0 && res.ancount == 0 && res.r.offchain_removed == 0,
	   "an empty answer scrubs to an empty answer");
}

static void test_cname_chain(void)
{
	static const char *const three[] = {
		"c.example.org. 300 IN A 192.0.2.3",
		"www.example.com. 300 IN CNAME a.example.net.",
		"b.example.net. 300 IN CNAME C.example.org.",
		"a.example.net. 300 IN CNAME b.example.net.",
		"c.example.org. 300 IN A 192.0.2.4",
		NULL,
	};
	static const char *const loop[] = {
		"www.example.com. 300 IN CNAME x.example.net.",
		"x.example.net. 300 IN CNAME www.example.com.",
		"x.example.net. 300 IN A 192.0.2.1",
		NULL,
	};
	static const char *const self_loop[] = {
		"www.example.com. 300 IN CNAME www.example.com.",
		NULL,
	};
	static const char *const two_cnames[] = {
		"www.example.com. 300 IN CNAME a.example.net.",
		"www.example.com. 300 IN CNAME b.example.net.",
		"a.example.net. 300 IN A 192.0.2.1",
		"b.example.net. 300 IN A 192.0.2.2",
		NULL,
	};
	static const char *const alias[] = {
		"www.example.com. 300 IN CNAME a.example.net.",
		"a.example.net. 300 IN CNAME b.example.net.",
		NULL,
	};
	struct result res;

	res = scrub("www.example.com.", "A", three, &deny_private);
	is_int(res.ancount, 5, "a chain of three CNAMEs and its A records are kept in full");
	is_int(res.r.offchain_removed, 0, "nothing off-chain");
	/* ldns compresses C.example.org. into a pointer to the first
	 * owner, c.example.org.: the chain is followed whatever the case. */
	is_str(res.text,
	       "c.example.org. A 192.0.2.3 | www.example.com. CNAME a.example.net. | "
	       "b.example.net. CNAME c.example.org. | a.example.net. CNAME b.example.net. | "
	       "c.example.org. A 192.0.2.4",
	       "in the upstream's order, whatever it is");

	res = scrub("www.example.com.", "A", loop, &deny_private);
	is_int(res.rc, 0, "a CNAME loop ends");
	is_str(res.text,
	       "www.example.com. CNAME x.example.net. | x.example.net. CNAME www.example.com. | "
	       "x.example.net. A 192.0.2.1",
	       "the loop's CNAMEs stay, and so does the A at a name on the chain");
	is_int(res.r.offchain_removed, 0, "nothing counted off-chain");

	res = scrub("www.example.com.", "A", self_loop, &deny_private);
	ok(res.rc == 0 && res.ancount == 1, "a CNAME to itself ends");

	res = scrub("www.example.com.", "A", two_cnames, &deny_private);
	is_str(res.text,
	       "www.example.com. CNAME a.example.net. | a.example.net. A 192.0.2.1",
	       "of two CNAMEs at one name only the first is followed and kept");
	is_int(res.r.offchain_removed, 2, "the second CNAME and its branch are dropped");

	res = scrub("www.example.com.", "CNAME", alias, &deny_private);
	is_str(res.text, "www.example.com. CNAME a.example.net.",
	       "a CNAME query keeps the alias, not the chain behind it");
}

static void test_long_chain(void)
{
	enum { LEN = 20 };
	char text[LEN + 1][128];
	const char *an[LEN + 2];
	struct result res;

	for (int i = 0; i < LEN; i++) {
		snprintf(text[i], sizeof(text[i]),
			 "n%d.example.com. 300 IN CNAME n%d.example.com.", i, i + 1);
		an[i] = text[i];
	}
	snprintf(text[LEN], sizeof(text[LEN]), "n%d.example.com. 300 IN A 192.0.2.1", LEN);
	an[LEN] = text[LEN];
	an[LEN + 1] = NULL;

	res = scrub("n0.example.com.", "A", an, &deny_private);
	is_int(res.ancount, 16, "a chain of 20 CNAMEs is cut at 16 hops");
	is_int(res.r.offchain_removed, 5, "the 4 further CNAMEs and the A are off-chain");

	an[LEN] = NULL; /* 16 hops exactly, then the A at n16 */
	snprintf(text[16], sizeof(text[16]), "n16.example.com. 300 IN A 192.0.2.1");
	an[17] = NULL;
	res = scrub("n0.example.com.", "A", an, &deny_private);
	is_int(res.ancount, 17, "16 hops and the A at their end are kept");
}

static void test_dname(void)
{
	static const char *const synthesized[] = {
		"sub.example.com. 300 IN DNAME other.example.net.",
		"www.sub.example.com. 300 IN CNAME www.other.example.net.",
		"www.other.example.net. 300 IN A 192.0.2.1",
		NULL,
	};
	static const char *const bare[] = {
		"sub.example.com. 300 IN DNAME other.example.net.",
		"www.other.example.net. 300 IN A 192.0.2.1",
		NULL,
	};
	struct result res;

	res = scrub("www.sub.example.com.", "A", synthesized, &deny_private);
	is_str(res.text,
	       "www.sub.example.com. CNAME www.other.example.net. | www.other.example.net. A 192.0.2.1",
	       "a DNAME is dropped; the synthesized CNAME chain stays");
	is_int(res.r.offchain_removed, 1, "the DNAME counted off-chain");

	res = scrub("www.sub.example.com.", "A", bare, &deny_private);
	is_int(res.ancount, 0, "a DNAME is not followed: what hangs off it alone is dropped");
	is_int(res.r.offchain_removed, 2, "both counted off-chain");
}

/* cname = strict: names under example.net are allowed. */
struct seen {
	unsigned calls;
	uint16_t qtype;
	char last[DG_NAME_STRLEN];
};

static bool under_example_net(void *arg, const uint8_t *name, uint16_t qtype)
{
	struct seen *s = arg;
	static const uint8_t zone[] = "\x07" "example\x03" "net";

	s->calls++;
	s->qtype = qtype;
	dg_name_to_str(name, s->last, sizeof(s->last));
	return dg_name_depth_under(name, zone) >= 0;
}

static void test_strict(void)
{
	static const char *const inside[] = {
		"www.example.com. 300 IN CNAME edge.example.net.",
		"edge.example.net. 300 IN CNAME EDGE2.example.net.",
		"edge2.example.net. 300 IN A 192.0.2.1",
		NULL,
	};
	static const char *const outside[] = {
		"www.example.com. 300 IN CNAME edge.example.net.",
		"edge.example.net. 300 IN CNAME tunnel.evil.example.",
		"tunnel.evil.example. 300 IN A 192.0.2.1",
		NULL,
	};
	static const char *const offchain_outside[] = {
		"www.example.com. 300 IN A 192.0.2.1",
		"other.example.com. 300 IN CNAME tunnel.evil.example.",
		NULL,
	};
	struct seen seen = { 0 };
	struct dg_scrub_policy strict = {
		.cname_strict = true,
		.target_allowed = under_example_net,
		.arg = &seen,
	};
	struct result res;

	res = scrub("www.example.com.", "A", inside, &strict);
	ok(!res.r.cname_refused, "strict: a chain inside the allowlist is accepted");
	is_int(seen.calls, 2, "each of the two targets is asked about");
	is_str(seen.last, "EDGE2.example.net", "the last target asked is the chain's end");
	is_int(seen.qtype, LDNS_RR_TYPE_A, "with the question's type");
	is_int(res.ancount, 3, "and the chain is kept");

	memset(&seen, 0, sizeof(seen));
	res = scrub("www.example.com.", "A", outside, &strict);
	ok(res.r.cname_refused, "strict: a target outside the allowlist refuses the answer");
	is_str(seen.last, "tunnel.evil.example", "the refused target is the one asked");
	is_int(res.ancount, 0, "a refused answer keeps nothing");
	is_int(res.rc, 0, "refusal is a verdict, not an error");

	strict.cname_report_only = true;
	memset(&seen, 0, sizeof(seen));
	res = scrub("www.example.com.", "A", outside, &strict);
	ok(res.r.cname_refused && res.ancount == 3,
	   "strict, report only (audit): the refusal is reported, the chain kept");
	strict.cname_report_only = false;

	memset(&seen, 0, sizeof(seen));
	res = scrub("www.example.com.", "A", offchain_outside, &strict);
	ok(!res.r.cname_refused && seen.calls == 0,
	   "strict: a CNAME off the chain is dropped, not asked about");
	is_int(res.ancount, 1, "and the answer kept");

	static const char *const loop[] = {
		"www.example.com. 300 IN CNAME x.example.net.",
		"x.example.net. 300 IN CNAME www.example.com.",
		NULL,
	};
	memset(&seen, 0, sizeof(seen));
	res = scrub("www.example.com.", "A", loop, &strict);
	is_int(seen.calls, 2, "strict: a loop is walked once round, not to the hop limit");

	strict.cname_strict = false;
	memset(&seen, 0, sizeof(seen));
	res = scrub("www.example.com.", "A", outside, &strict);
	ok(!res.r.cname_refused && seen.calls == 0 && res.ancount == 3,
	   "cname = pass: the same chain is kept without asking");
}

int main(void)
{
	test_private_edges();
	test_rebinding();
	test_mixed();
	test_svcb_hints();
	test_svcb_malformed();
	test_offchain();
	test_cname_chain();
	test_long_chain();
	test_dname();
	test_strict();
	return done_testing();
}
