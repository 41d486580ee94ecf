/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_response: response.c's parse of an upstream's message, on bytes
 * written by hand, as a hostile upstream could send them: compression
 * pointers in owners and in the rdata of each type that may carry them,
 * pointers that loop, point forwards or into the header, names past 255
 * bytes once decompressed, rdata that does not fill its format, an
 * answer section that outgrows a message once decompressed, the SOA's
 * negative TTL, and the rcodes that ask for another server. The fuzz
 * target compares the same parse with ldns on random inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "response.h"
#include "tap.h"
#include "wire.h"

/* A message under construction: a header, then whatever a case adds. */
struct msg {
	uint8_t b[DG_WIRE_MAX + 1024];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t len)
{
	if (m->n + len > sizeof(m->b))
		abort();
	memcpy(m->b + m->n, p, len);
	m->n += len;
}

static void put16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

/* The header (rcode, an, ns), then the question www.example.com. A IN at
 * offset 12: www at 12, example at 16, com at 24. */
static void start(struct msg *m, unsigned rcode, uint16_t an, uint16_t ns)
{
	static const uint8_t q[] = "\x03www\x07" "example\x03" "com";

	m->n = 0;
	put16(m, 0x1234);
	put16(m, (uint16_t)(0x8180 | rcode));
	put16(m, 1);
	put16(m, an);
	put16(m, ns);
	put16(m, 0);
	put(m, q, sizeof(q));
	put16(m, 1);
	put16(m, 1);
}

/* A record's fixed part: type, class IN, TTL, rdlength. */
static void fixed(struct msg *m, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
}

static const uint8_t ptr_www[] = { 0xc0, 12 };     /* www.example.com */
static const uint8_t ptr_example[] = { 0xc0, 16 }; /* example.com */
static const uint8_t www_name[] = "\x03www\x07" "example\x03" "com";

static int parse(const struct msg *m, struct dg_response *r)
{
	return dg_response_parse(m->b, m->n, r);
}

static void test_owner_and_rdata_pointers(void)
{
	struct dg_response r = { 0 };
	struct msg m;
	static const uint8_t mail[] = "\x04mail\xc0\x10"; /* mail.example.com */

	start(&m, 0, 4, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 5 /* CNAME */, 300, 2);
	put(&m, ptr_example, 2);
	put(&m, ptr_example, 2);
	fixed(&m, 15 /* MX */, 300, 2 + 7);
	put16(&m, 10);
	put(&m, mail, 7);
	put(&m, ptr_example, 2);
	fixed(&m, 6 /* SOA */, 300, 2 + 2 + 20);
	put(&m, ptr_www, 2);
	put(&m, ptr_example, 2);
	for (int i = 0; i < 5; i++)
		put32(&m, (uint32_t)(i + 1));
	put(&m, ptr_example, 2);
	fixed(&m, 33 /* SRV */, 300, 6 + 2);
	put16(&m, 1);
	put16(&m, 2);
	put16(&m, 443);
	put(&m, ptr_www, 2);

	is_int(parse(&m, &r), 0, "owners and rdata names compressed: parsed");
	is_int((int)r.count, 4, "four records");
	if (r.count == 4) {
		ok(memcmp(r.rr[0].owner, www_name, sizeof(www_name)) == 0,
		   "a pointer owner is decompressed");
		ok(r.rr[0].rdlen == 13 &&
		   memcmp(r.rr[0].rdata, www_name + 4, 13) == 0,
		   "a CNAME target is decompressed");
		ok(r.rr[1].rdlen == 2 + 18 &&
		   memcmp(r.rr[1].rdata + 2, "\x04mail\x07" "example\x03" "com", 18) == 0,
		   "an MX exchange, a label then a pointer, is decompressed");
		ok(r.rr[2].rdlen == 17 + 13 + 20 && r.rr[2].rdata[17 + 13 + 19] == 5,
		   "both SOA names are decompressed, the numbers follow");
		ok(r.rr[3].rdlen == 6 + 17 &&
		   memcmp(r.rr[3].rdata + 6, www_name, 17) == 0,
		   "an SRV target is decompressed");
		is_int(r.rr[2].ttl, 300, "the TTL is read");
	}
	ok(r.len == r.rr[0].len + r.rr[1].len + r.rr[2].len + r.rr[3].len,
	   "the records lie one after another");
	dg_response_free(&r);
}

static void test_bad_pointers(void)
{
	struct dg_response r = { 0 };
	struct msg m;
	size_t at;

	start(&m, 0, 1, 0);
	at = m.n;
	put16(&m, (uint16_t)(0xc000 | at)); /* points at itself */
	fixed(&m, 1, 300, 4);
	put32(&m, 0xc0000201);
	is_int(parse(&m, &r), DG_EMALFORMED, "a pointer to itself is malformed");

	start(&m, 0, 1, 0);
	put16(&m, (uint16_t)(0xc000 | (m.n + 2))); /* forwards */
	put(&m, "\x01x\x00", 3);
	fixed(&m, 1, 300, 4);
	put32(&m, 0xc0000201);
	is_int(parse(&m, &r), DG_EMALFORMED, "a pointer forwards is malformed");

	start(&m, 0, 1, 0);
	put16(&m, 0xc002); /* into the header */
	fixed(&m, 1, 300, 4);
	put32(&m, 0xc0000201);
	is_int(parse(&m, &r), DG_EMALFORMED, "a pointer into the header is malformed");

	/* Names laid in a TXT's rdata, which nothing reads, for the next
	 * record's owner to point into: y at b points forwards to x at
	 * b + 4, and x back to y. */
	start(&m, 0, 2, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 16 /* TXT */, 300, 8);
	at = m.n;
	put(&m, "\x01y", 2);
	put16(&m, (uint16_t)(0xc000 | (at + 4)));
	put(&m, "\x01x", 2);
	put16(&m, (uint16_t)(0xc000 | at));
	put16(&m, (uint16_t)(0xc000 | (at + 4)));
	fixed(&m, 1, 300, 4);
	put32(&m, 0xc0000201);
	is_int(parse(&m, &r), DG_EMALFORMED, "a loop through two names is malformed");

	/* 70 labels of 4 bytes, each with a pointer to the one before:
	 * 281 bytes once decompressed. */
	start(&m, 0, 2, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 16, 300, 1 + 70 * 6);
	at = m.n;
	put(&m, "\x00", 1);
	for (int i = 0; i < 70; i++) {
		size_t here = m.n;

		put(&m, "\x03" "abc", 4);
		put16(&m, (uint16_t)(0xc000 | at));
		at = here;
	}
	put16(&m, (uint16_t)(0xc000 | at));
	fixed(&m, 1, 300, 4);
	put32(&m, 0xc0000201);
	is_int(parse(&m, &r), DG_EMALFORMED,
	       "a name over 255 bytes once decompressed is malformed");

	start(&m, 0, 1, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 64 /* SVCB */, 300, 2 + 2);
	put16(&m, 1);
	put(&m, ptr_example, 2);
	is_int(parse(&m, &r), DG_EMALFORMED,
	       "an SVCB target may not be compressed (RFC 9460 2.2)");
	dg_response_free(&r);
}

static void test_rdata_formats(void)
{
	struct dg_response r = { 0 };
	struct msg m;

	start(&m, 0, 1, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 1, 300, 5);
	put32(&m, 0xc0000201);
	put(&m, "\x00", 1);
	is_int(parse(&m, &r), DG_EMALFORMED, "an A of 5 bytes is malformed");

	start(&m, 0, 1, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 28, 300, 4);
	put32(&m, 0xc0000201);
	is_int(parse(&m, &r), DG_EMALFORMED, "an AAAA of 4 bytes is malformed");

	start(&m, 0, 1, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 15, 300, 2 + 2 + 1);
	put16(&m, 10);
	put(&m, ptr_example, 2);
	put(&m, "\x00", 1);
	is_int(parse(&m, &r), DG_EMALFORMED,
	       "an MX with a byte after its name is malformed");

	start(&m, 0, 1, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 5, 300, 1);
	put(&m, "\x05", 1);
	is_int(parse(&m, &r), DG_EMALFORMED,
	       "a CNAME target running past its rdata is malformed");

	start(&m, 0, 1, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 16 /* TXT */, 300, 4);
	put(&m, "\x09" "abc", 4);
	is_int(parse(&m, &r), 0,
	       "a type without names is copied as it came (RFC 3597 5)");
	ok(r.count == 1 && r.rr[0].rdlen == 4 &&
	   memcmp(r.rr[0].rdata, "\x09" "abc", 4) == 0, "byte for byte");

	start(&m, 0, 1, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 16, 300, 40);
	put(&m, "abc", 3);
	is_int(parse(&m, &r), DG_EMALFORMED, "an RDLENGTH past the end is malformed");

	start(&m, 0, 2, 0);
	put(&m, ptr_www, 2);
	fixed(&m, 1, 300, 4);
	put32(&m, 0xc0000201);
	is_int(parse(&m, &r), DG_EMALFORMED,
	       "fewer records than ANCOUNT says is malformed");
	dg_response_free(&r);
}

/* Records whose names grow from 2 bytes to 255 each: 200 CNAMEs of 14
 * bytes on the wire are over 100 KiB uncompressed. */
static void test_too_big_decompressed(void)
{
	struct dg_response r = { 0 };
	struct msg m;
	size_t at;

	start(&m, 0, 1 + 200, 0);
	at = m.n;
	for (int i = 0; i < 63; i++)
		put(&m, "\x03" "abc", 4);
	put(&m, "\x01" "a\x00", 3);
	fixed(&m, 1, 300, 4);
	put32(&m, 0xc0000201);
	for (int i = 0; i < 200; i++) {
		put16(&m, (uint16_t)(0xc000 | at));
		fixed(&m, 5, 300, 2);
		put16(&m, (uint16_t)(0xc000 | at));
	}
	is_int(parse(&m, &r), DG_EMALFORMED,
	       "an answer section over 64 KiB once decompressed is malformed");
	m.b[6] = 0;
	m.b[7] = 1 + 100;
	is_int(parse(&m, &r), 0, "100 of those CNAMEs fit");
	ok(r.len > 50000 && r.len <= DG_WIRE_MAX, "in %zu bytes", r.len);
	dg_response_free(&r);
}

static void test_negative(void)
{
	struct dg_response r = { 0 };
	struct msg m;

	start(&m, 3, 0, 2);
	put(&m, ptr_example, 2);
	fixed(&m, 6, 900, 2 + 2 + 20);
	put(&m, ptr_www, 2);
	put(&m, ptr_example, 2);
	put32(&m, 1);
	put32(&m, 2);
	put32(&m, 3);
	put32(&m, 4);
	put32(&m, 120); /* MINIMUM */
	put(&m, ptr_example, 2);
	fixed(&m, 2 /* NS */, 30, 2);
	put(&m, ptr_www, 2);
	is_int(parse(&m, &r), 0, "an NXDOMAIN with an SOA parses");
	is_int((int)r.rcode, DG_RCODE_NXDOMAIN, "its rcode");
	is_int((int)r.count, 0, "no answer records");
	is_int((int)r.soa_ttl, 120, "min(SOA TTL, MINIMUM); the NS's TTL does not count");

	start(&m, 0, 0, 0);
	is_int(parse(&m, &r), 0, "a NODATA without SOA parses");
	ok(r.soa_ttl == UINT32_MAX, "and has no SOA TTL");

	start(&m, DG_RCODE_SERVFAIL, 0, 0);
	is_int(parse(&m, &r), DG_EMISMATCH, "SERVFAIL asks for another server");
	start(&m, DG_RCODE_REFUSED, 0, 0);
	is_int(parse(&m, &r), DG_EMISMATCH, "and so does REFUSED");
	dg_response_free(&r);
}

int main(void)
{
	test_owner_and_rdata_pointers();
	test_bad_pointers();
	test_rdata_formats();
	test_too_big_decompressed();
	test_negative();
	return done_testing();
}
