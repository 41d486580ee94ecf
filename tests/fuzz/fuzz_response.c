/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_response: raw bytes as an upstream's answer, down the path an
 * answer takes: matched against the question it carries (as if that were
 * ours), parsed by response.c, scrubbed (private addresses, SVCB hints, the
 * CNAME chain, strict mode on odd inputs), stored in a cache and encoded
 * for a client. The upstream is the internet's side: nothing in it is
 * trusted.
 *
 * Beyond crashes, two oracles that abort:
 *   - no address the policy scrubs survives: every A/AAAA record left, and
 *     every SVCB/HTTPS ipv4hint/ipv6hint, is checked against the harness's
 *     own table of the ranges scrub.h names (written from the RFCs as
 *     CIDR text, read with inet_pton; not addr.c's table), unless the
 *     entry allows private addresses;
 *   - response.c reads the answer section as ldns does, where ldns reads
 *     it at all (oracle_parsed);
 *   - what a client gets is what was kept: where ldns read the upstream's
 *     message alike, each encoded answer parses back with ldns to the
 *     records the dg_answer holds (owner up to case, type, class, TTL
 *     less the time elapsed, rdata byte for byte), all of them, or with
 *     TC a leading part when the limit cut it;
 *   - the parsed response is shared by every waiter of a fetch: making
 *     another waiter's answer from it (the other private policy) and then
 *     this one's again gives this one's answer byte for byte.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fuzz.h"
#include "cache.h"
#include "name.h"
#include "response.h"
#include "scrub.h"
#include "wire.h"

/* The ranges no public name may resolve to (scrub.h): special-purpose
 * blocks of RFC 6890 and after, as an operator would write them. The
 * documentation ranges (192.0.2.0/24, 2001:db8::/32, …) are left out, as
 * addr.c says: the tests use them as public addresses. */
static const char *const ref_private[] = {
	"0.0.0.0/8",       /* this network */
	"10.0.0.0/8",      /* RFC 1918 */
	"100.64.0.0/10",   /* CGNAT, RFC 6598 */
	"127.0.0.0/8",     /* loopback */
	"169.254.0.0/16",  /* link-local; 169.254.169.254 the cloud metadata */
	"172.16.0.0/12",   /* RFC 1918 */
	"192.0.0.0/24",    /* IETF protocol assignments */
	"192.168.0.0/16",  /* RFC 1918 */
	"198.18.0.0/15",   /* benchmarking */
	"224.0.0.0/4",     /* multicast */
	"240.0.0.0/4",     /* reserved, and 255.255.255.255 */
	"::/128",          /* unspecified */
	"::1/128",         /* loopback */
	"fe80::/10",       /* link-local */
	"fec0::/10",       /* site-local, deprecated */
	"fc00::/7",        /* ULA; fd00:ec2::254 the cloud metadata */
	"ff00::/8",        /* multicast */
	"100::/64",        /* discard, RFC 6666 */
	"64:ff9b:1::/48",  /* local-use NAT64, RFC 8215: any v4 behind it */
};

struct ref_prefix {
	int family;
	unsigned bits;
	uint8_t addr[16];
};
static struct ref_prefix ref_prefixes[sizeof(ref_private) / sizeof(ref_private[0])];

static void ref_setup(void)
{
	for (size_t i = 0; i < sizeof(ref_private) / sizeof(ref_private[0]); i++) {
		char text[64];
		char *slash;
		struct ref_prefix *p = &ref_prefixes[i];

		snprintf(text, sizeof(text), "%s", ref_private[i]);
		slash = strchr(text, '/');
		if (slash == NULL)
			abort();
		*slash = 0;
		p->bits = (unsigned)atoi(slash + 1);
		p->family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
		if (inet_pton(p->family, text, p->addr) != 1)
			abort();
	}
}

static bool ref_in_prefix(int family, const uint8_t *a,
			  const struct ref_prefix *p)
{
	if (family != p->family)
		return false;
	for (unsigned bit = 0; bit < p->bits; bit++) {
		unsigned byte = bit / 8, shift = 7 - bit % 8;

		if (((a[byte] ^ p->addr[byte]) >> shift) & 1)
			return false;
	}
	return true;
}

static bool ref_private4(const uint8_t a[4])
{
	for (size_t i = 0; i < sizeof(ref_prefixes) / sizeof(ref_prefixes[0]); i++)
		if (ref_in_prefix(AF_INET, a, &ref_prefixes[i]))
			return true;
	return false;
}

static bool ref_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != 0)
			return false;
	return true;
}

/* An IPv6 address is private when it is in the table, or when it carries
 * a private IPv4 address the way a host reaches it: IPv4-mapped
 * (::ffff:a.b.c.d), SIIT (::ffff:0:a.b.c.d), IPv4-compatible
 * (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:AABB:CCDD::) or
 * Teredo (2001:0:SERVER:…:~CLIENT). */
static bool ref_private6(const uint8_t a[16])
{
	static const uint8_t nat64[4] = { 0x00, 0x64, 0xff, 0x9b };
	uint8_t client[4];

	for (size_t i = 0; i < sizeof(ref_prefixes) / sizeof(ref_prefixes[0]); i++)
		if (ref_in_prefix(AF_INET6, a, &ref_prefixes[i]))
			return true;
	if (ref_zero(a, 10) && a[10] == 0xff && a[11] == 0xff)
		return ref_private4(a + 12);
	if (ref_zero(a, 8) && a[8] == 0xff && a[9] == 0xff && ref_zero(a + 10, 2))
		return ref_private4(a + 12);
	if (ref_zero(a, 12))
		return ref_private4(a + 12);
	if (memcmp(a, nat64, 4) == 0 && ref_zero(a + 4, 8))
		return ref_private4(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02)
		return ref_private4(a + 2);
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
		for (int i = 0; i < 4; i++)
			client[i] = (uint8_t)~a[12 + i];
		return ref_private4(a + 4) || ref_private4(client);
	}
	return false;
}

static void oracle_fail(const char *what, const uint8_t *pkt, size_t len)
{
	fuzz_oracle_fail("fuzz_response", what, pkt, len);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The wire length of the uncompressed name at p, within n bytes, or 0. */
static size_t ref_name_len(const uint8_t *p, size_t n)
{
	size_t pos = 0;

	while (pos < n && p[pos] != 0) {
		if (p[pos] > 63)
			return 0;
		pos += 1 + (size_t)p[pos];
	}
	return pos < n ? pos + 1 : 0;
}

/* An SVCB/HTTPS record's address hints (keys 4 and 6): whole addresses,
 * none private. Rdata the walk cannot follow is left to ldns's checks. */
static bool ref_hints_ok(const uint8_t *rd, size_t n)
{
	size_t target, off;

	if (n < 3 || (target = ref_name_len(rd + 2, n - 2)) == 0)
		return true;
	for (off = 2 + target; n - off >= 4;) {
		uint16_t key = rd16(rd + off), vlen = rd16(rd + off + 2);
		size_t step = key == 4 ? 4 : 16;

		off += 4;
		if (vlen > n - off)
			return key != 4 && key != 6;
		if (key == 4 || key == 6) {
			if (vlen == 0 || vlen % step != 0)
				return false;
			for (size_t a = 0; a < vlen; a += step)
				if (step == 4 ? ref_private4(rd + off + a)
					      : ref_private6(rd + off + a))
					return false;
		}
		off += vlen;
	}
	return true;
}

/* Oracle 1: nothing private is left in a, when the policy scrubs. */
static void oracle_scrubbed(const struct dg_answer *a, bool private_allow,
			    const uint8_t *pkt, size_t len)
{
	struct dg_rr rr;
	size_t pos = 0;
	unsigned count = 0;

	while (dg_answer_next(a, &pos, &rr)) {
		count++;
		if (private_allow)
			continue;
		/* An A or AAAA that is not one whole address cannot be checked,
		 * so it must not be left either. */
		if (rr.type == 1 && (rr.rdlen != 4 || ref_private4(rr.rdata)))
			oracle_fail("a private or malformed A record was kept",
				    pkt, len);
		if (rr.type == 28 && (rr.rdlen != 16 || ref_private6(rr.rdata)))
			oracle_fail("a private or malformed AAAA record was kept",
				    pkt, len);
		if ((rr.type == 64 || rr.type == 65) &&
		    !ref_hints_ok(rr.rdata, rr.rdlen))
			oracle_fail("a private or malformed address hint was kept",
				    pkt, len);
	}
	if (count != a->ancount || pos != a->len)
		oracle_fail("the answer's records do not add up to its counts",
			    pkt, len);
}

/* Two wire names, equal up to ASCII case. */
static bool ref_name_equal(const uint8_t *x, size_t xl, const uint8_t *y,
			   size_t yl)
{
	if (xl != yl)
		return false;
	for (size_t i = 0; i < xl; i++) {
		uint8_t c = x[i], d = y[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (d >= 'A' && d <= 'Z')
			d = (uint8_t)(d + 32);
		if (c != d)
			return false;
	}
	return true;
}

/*
 * Oracle 2: out (len bytes, encoded from a for elapsed seconds) parses
 * back with ldns to a's records; all of them unless TC is set, and then
 * the first ones.
 */
static void oracle_encoded(const struct dg_answer *a, const uint8_t *out,
			   size_t len, uint32_t elapsed, const uint8_t *pkt,
			   size_t pkt_len)
{
	ldns_pkt *p = NULL;
	ldns_buffer *buf;
	ldns_rr_list *an;
	struct dg_rr rr;
	size_t pos = 0, n;
	bool tc;

	if (len == 0)
		return; /* the limit does not hold even the header */
	if (ldns_wire2pkt(&p, out, len) != LDNS_STATUS_OK)
		oracle_fail("the encoded answer does not parse", pkt, pkt_len);
	an = ldns_pkt_answer(p);
	n = ldns_rr_list_rr_count(an);
	tc = ldns_pkt_tc(p);
	if ((unsigned)ldns_pkt_get_rcode(p) != a->rcode || n > a->ancount ||
	    (n < a->ancount) != tc)
		oracle_fail("the encoded answer's rcode, count or TC is wrong",
			    pkt, pkt_len);
	buf = ldns_buffer_new(DG_WIRE_MAX);
	if (buf == NULL)
		abort();
	for (size_t i = 0; i < n && dg_answer_next(a, &pos, &rr); i++) {
		const ldns_rr *got = ldns_rr_list_rr(an, i);
		const ldns_rdf *owner = ldns_rr_owner(got);
		size_t owner_len = rr.len - 10 - rr.rdlen;
		uint32_t ttl = rr.ttl > elapsed ? rr.ttl - elapsed : 0;

		ldns_buffer_clear(buf);
		if (ldns_rr_rdata2buffer_wire(buf, got) != LDNS_STATUS_OK)
			abort();
		if (!ref_name_equal(ldns_rdf_data(owner), ldns_rdf_size(owner),
				    rr.owner, owner_len) ||
		    ldns_rr_get_type(got) != rr.type ||
		    ldns_rr_get_class(got) != rd16(rr.owner + owner_len + 2) ||
		    ldns_rr_ttl(got) != ttl ||
		    ldns_buffer_position(buf) != rr.rdlen ||
		    memcmp(ldns_buffer_begin(buf), rr.rdata, rr.rdlen) != 0)
			oracle_fail("an encoded record is not the one kept", pkt,
				    pkt_len);
	}
	ldns_buffer_free(buf);
	ldns_pkt_free(p);
}

/* The types whose rdata hold names a server may compress (RFC 3597 4,
 * and DNAME), with SVCB and HTTPS: response.c reads their fields. */
static bool has_names(uint16_t type)
{
	static const uint16_t types[] = { 2,  3,  4,  5,  6,  7,  8,  9,  12, 14,
					  15, 17, 18, 21, 26, 33, 35, 36, 39,
					  64, 65 };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i] == type)
			return true;
	return false;
}

/*
 * Oracle 3: where ldns parses the response too, response.c read the same
 * answer section: each record's owner byte for byte, type, class, TTL,
 * and its rdata as ldns writes it back, names uncompressed. But ldns
 * reads a fixed-size type's rdata only as far as its fields go (an A of
 * another class with 19 bytes, say), and goes on reading the next record
 * from there: response.c keeps the rdata whole and moves by RDLENGTH, so
 * the comparison ends at such a record, unless its type has names, which
 * both must read alike.
 */
static bool oracle_parsed(const struct dg_response *r, const uint8_t *pkt,
			  size_t len)
{
	ldns_pkt *p = NULL;
	ldns_buffer *buf;
	ldns_rr_list *an;
	bool aligned = true;

	if (ldns_wire2pkt(&p, pkt, len) != LDNS_STATUS_OK)
		return false;
	an = ldns_pkt_answer(p);
	if (ldns_rr_list_rr_count(an) != r->count)
		oracle_fail("ldns reads another number of answer records", pkt,
			    len);
	buf = ldns_buffer_new(DG_WIRE_MAX);
	if (buf == NULL)
		abort();
	for (size_t i = 0; i < r->count; i++) {
		const ldns_rr *want = ldns_rr_list_rr(an, i);
		const ldns_rdf *owner = ldns_rr_owner(want);
		const struct dg_rr *got = &r->rr[i];

		ldns_buffer_clear(buf);
		if (ldns_rr_rdata2buffer_wire(buf, want) != LDNS_STATUS_OK)
			abort();
		if (ldns_buffer_position(buf) != got->rdlen &&
		    !has_names(got->type)) {
			aligned = false;
			break;
		}
		if (ldns_rdf_size(owner) != dg_name_length(got->owner) ||
		    memcmp(ldns_rdf_data(owner), got->owner,
			   ldns_rdf_size(owner)) != 0 ||
		    ldns_rr_get_type(want) != got->type ||
		    ldns_rr_get_class(want) != got->rclass ||
		    ldns_rr_ttl(want) != got->ttl ||
		    ldns_buffer_position(buf) != got->rdlen ||
		    memcmp(ldns_buffer_begin(buf), got->rdata, got->rdlen) != 0)
			oracle_fail("a record reads otherwise than with ldns", pkt,
				    len);
	}
	ldns_buffer_free(buf);
	ldns_pkt_free(p);
	return aligned;
}

/* cname = strict: only names under "allowed.test" may be chained to. */
static bool under_allowed(void *arg, const uint8_t *name, uint16_t qtype)
{
	static const uint8_t zone[] = "\x07" "allowed" "\x04" "test";

	return dg_name_depth_under(name, zone) >= 0;
}

/* Another waiter (the other private policy) made its answer from resp;
 * this waiter's answer made again is the same as `a`. */
static void oracle_shared(const struct dg_response *resp,
			  const struct dg_scrub_policy *sp,
			  const struct dg_answer *a, const uint8_t *data,
			  size_t size)
{
	const struct dg_ttl_policy ttl = { .min_ttl = 0, .max_ttl = 86400,
					   .negative_ttl = 60 };
	const struct dg_ttl_policy other_ttl = { .min_ttl = 100,
						 .max_ttl = 200,
						 .negative_ttl = 60 };
	struct dg_scrub_policy other = *sp;
	struct dg_scrub_report report;
	struct dg_answer *b = NULL, *again = NULL;
	const uint8_t *qname = data + DG_WIRE_HEADER;
	uint16_t qtype = (uint16_t)(data[DG_WIRE_HEADER + dg_name_length(qname)] << 8 |
				    data[DG_WIRE_HEADER + dg_name_length(qname) + 1]);

	other.private_allow = !sp->private_allow;
	if (dg_response_answer(resp, qname, qtype, &other_ttl, &other,
				&report, &b) == 0 &&
	    dg_response_answer(resp, qname, qtype, &ttl, sp, &report,
				&again) == 0 &&
	    (again->len != a->len || again->ancount != a->ancount ||
	     again->ttl != a->ttl || memcmp(again->rrs, a->rrs, a->len) != 0))
		fuzz_oracle_fail("fuzz_response",
				 "another waiter's answer changed the response",
				 data, size);
	dg_answer_unref(b);
	dg_answer_unref(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t query[DG_WIRE_MAX], out[DG_WIRE_MAX];
	const struct dg_ttl_policy ttl = { .min_ttl = 0, .max_ttl = 86400,
					   .negative_ttl = 60 };
	struct dg_scrub_policy sp = { .target_allowed = under_allowed };
	struct dg_scrub_report report;
	static struct dg_response resp;
	struct dg_answer *a = NULL;
	struct dg_cache *cache;
	/* Fixed: the fuzzer replays inputs, so the hash must not vary. */
	const struct dg_hash_key key = { 1, 2 };
	struct dg_query_info q;
	const struct dg_answer *hit;
	uint16_t id, qtype, qclass;
	uint32_t elapsed;
	size_t qlen, len;
	int n, rc;
	bool ldns_agrees;
	static bool ready;

	if (!ready) {
		ref_setup();
		ready = true;
	}

	/* The question the answer carries stands for ours. */
	if (size < DG_WIRE_HEADER + 5)
		return 0;
	n = dg_name_check(data + DG_WIRE_HEADER, size - DG_WIRE_HEADER);
	if (n < 0 || size - DG_WIRE_HEADER - (size_t)n < 4)
		return 0;
	id = (uint16_t)(data[0] << 8 | data[1]);
	qtype = (uint16_t)(data[DG_WIRE_HEADER + n] << 8 |
			   data[DG_WIRE_HEADER + n + 1]);
	qclass = (uint16_t)(data[DG_WIRE_HEADER + n + 2] << 8 |
			    data[DG_WIRE_HEADER + n + 3]);
	if (dg_wire_match_response(data, size, id, data + DG_WIRE_HEADER,
				   qtype, qclass) != 0)
		return 0;
	/* The bits of the header nobody reads pick the scrub policy. */
	sp.private_allow = data[3] & 0x40;
	sp.cname_strict = data[3] & 0x20;
	if (dg_response_parse(data, size, &resp) != 0)
		return 0;
	ldns_agrees = oracle_parsed(&resp, data, size);
	rc = dg_response_answer(&resp, data + DG_WIRE_HEADER, qtype, &ttl, &sp,
				 &report, &a);
	if (rc == 0)
		oracle_shared(&resp, &sp, a, data, size);
	if (rc != 0)
		return 0;
	oracle_scrubbed(a, sp.private_allow, data, size);

	/* Kept, found again, and encoded for a client asking the question
	 * in another case, with and without EDNS. */
	qlen = dg_wire_build_upstream_query(data + DG_WIRE_HEADER, qtype,
					    qclass, id, query, sizeof(query));
	cache = dg_cache_new(4, &key);
	if (qlen > 0 && cache != NULL &&
	    dg_cache_store(cache, data + DG_WIRE_HEADER, qtype, qclass,
			   dg_cache_hash(cache, data + DG_WIRE_HEADER, qtype,
					 qclass),
			   a, 1000) == 0 &&
	    dg_wire_parse_query(query, qlen, &q) == DG_WIRE_OK) {
		len = dg_wire_encode_answer(a, query, &q, 0, 60, DG_WIRE_MAX,
					    out, sizeof(out));
		if (ldns_agrees)
			oracle_encoded(a, out, len, 0, data, size);
		hit = dg_cache_lookup(cache, query + DG_WIRE_HEADER, qtype,
				      qclass,
				      dg_cache_hash(cache,
						    query + DG_WIRE_HEADER,
						    qtype, qclass),
				      3500, &elapsed);
		if (hit != NULL) {
			len = dg_wire_encode_answer(hit, query, &q, elapsed, 60,
						    512, out, sizeof(out));
			if (ldns_agrees)
				oracle_encoded(hit, out, len, elapsed, data,
					       size);
			len = dg_wire_encode_answer(hit, query, &q, elapsed, 60,
						    DG_WIRE_MAX, out,
						    sizeof(out));
			if (ldns_agrees)
				oracle_encoded(hit, out, len, elapsed, data,
					       size);
		}
	}
	dg_cache_free(cache);
	dg_answer_unref(a);
	return 0;
}
