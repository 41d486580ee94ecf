/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_addr: socket addresses and prefixes as users write them (addr.h).
 * Parsing is strict: every malformed form is refused and leaves the output
 * untouched; host names are never accepted (no lookup while loading).
 * Private-address classification is checked at the edges of every range.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

/* Parse s and print it back; "ERR" when it is refused. */
static const char *roundtrip(const char *s, uint16_t port)
{
	static char buf[DG_ADDR_STRLEN];
	struct dg_addr a;

	if (dg_addr_parse(s, port, &a) != 0)
		return "ERR";
	dg_addr_format(&a, buf, sizeof(buf));
	return buf;
}

static const char *prefix_roundtrip(const char *s)
{
	static char buf[DG_ADDR_STRLEN];
	struct dg_prefix p;

	if (dg_prefix_parse(s, &p) != 0)
		return "ERR";
	dg_prefix_format(&p, buf, sizeof(buf));
	return buf;
}

static void test_parse_good(void)
{
	struct dg_addr a;

	is_str(roundtrip("127.0.0.1", 53), "127.0.0.1:53",
	       "a bare IPv4 address takes the default port");
	is_str(roundtrip("127.0.0.1:5353", 53), "127.0.0.1:5353",
	       "an IPv4 address with a port keeps its port");
	is_str(roundtrip("[::1]:53", 5353), "[::1]:53",
	       "a bracketed IPv6 address with a port keeps its port");
	is_str(roundtrip("::1", 5353), "[::1]:5353",
	       "a bare IPv6 address takes the default port");
	is_str(roundtrip("[::1]", 5353), "[::1]:5353",
	       "a bracketed IPv6 address without a port takes the default");
	is_str(roundtrip("fd00:18::1", 53), "[fd00:18::1]:53",
	       "a bare IPv6 address with several colons is not host:port");
	is_str(roundtrip("[2001:db8::1]:65535", 53), "[2001:db8::1]:65535",
	       "port 65535 is the largest accepted");
	is_str(roundtrip("1.2.3.4:1", 53), "1.2.3.4:1",
	       "port 1 is the smallest accepted");
	is_str(roundtrip("[::ffff:192.0.2.1]:53", 53), "[::ffff:192.0.2.1]:53",
	       "an IPv4-mapped IPv6 address stays IPv6");
	is_str(roundtrip("[2001:DB8::A]:53", 53), "[2001:db8::a]:53",
	       "IPv6 is printed in its canonical lower-case form");

	ok(dg_addr_parse("127.0.0.1:5353", 53, &a) == 0 &&
		   a.u.sa.sa_family == AF_INET && a.len == sizeof(a.u.in4),
	   "an IPv4 address gives an AF_INET sockaddr of the right length");
	is_int(dg_addr_port(&a), 5353, "dg_addr_port reads the port back");
	ok(dg_addr_parse("[::1]:53", 5353, &a) == 0 &&
		   a.u.sa.sa_family == AF_INET6 && a.len == sizeof(a.u.in6),
	   "an IPv6 address gives an AF_INET6 sockaddr of the right length");
	is_int(dg_addr_port(&a), 53, "dg_addr_port reads an IPv6 port back");
}

static void test_parse_bad(void)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "256.0.0.1", "an IPv4 octet above 255" },
		{ "1.2.3.4:0", "port 0" },
		{ "1.2.3.4:65536", "a port above 65535" },
		{ "1.2.3.4:99999999999999999999", "a port that overflows" },
		{ "1.2.3.4:", "an empty port after the colon" },
		{ "1.2.3.4:53x", "a port with trailing garbage" },
		{ "1.2.3.4:+53", "a port with a sign" },
		{ "1.2.3.4: 53", "a port with a leading blank" },
		{ "1.2.3.4:-1", "a negative port" },
		{ "[::1", "'[' without ']'" },
		{ "[::1]x", "garbage after ']'" },
		{ "[::1]:", "an empty port after ']:'" },
		{ "[::1]:53x", "a bracketed address with a bad port" },
		{ "[]:53", "empty brackets" },
		{ "[]", "empty brackets without a port" },
		{ ":53", "a port without an address" },
		{ "localhost", "a host name (no lookups)" },
		{ "localhost:53", "a host name with a port" },
		{ "dns.example:53", "a dotted host name with a port" },
		{ "", "the empty string" },
		{ "1.2.3", "an IPv4 address with three parts" },
		{ "1.2.3.4.5", "an IPv4 address with five parts" },
		{ " 1.2.3.4", "a leading blank" },
		{ "1.2.3.4 ", "a trailing blank" },
		{ "fe80::1%eth0", "a scoped IPv6 address" },
		{ "::1::2", "two '::' in an IPv6 address" },
		{ "[1.2.3.4:53", "an unclosed bracket around IPv4" },
		{ "0x7f.0.0.1", "a hexadecimal IPv4 octet" },
		{ "127.1", "a shortened IPv4 address (inet_aton style)" },
		{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000]:53",
		  "an IPv6 address longer than any valid one" },
	};
	struct dg_addr a, before;

	for (size_t i = 0; i < DG_ARRAY_SIZE(bad); i++) {
		memset(&a, 0xA5, sizeof(a));
		before = a;
		is_int(dg_addr_parse(bad[i].text, 53, &a), DG_EMALFORMED,
		       "'%s' is refused: %s", bad[i].text, bad[i].why);
		ok(memcmp(&a, &before, sizeof(a)) == 0,
		   "a refused '%s' leaves the output untouched", bad[i].text);
	}
	is_int(dg_addr_parse("1.2.3.4", 0, &a), DG_EMALFORMED,
	       "a missing port with default port 0 is refused");
	is_int(dg_addr_parse("[::1]", 0, &a), DG_EMALFORMED,
	       "a bracketed address with default port 0 is refused");
}

static void test_equal_format(void)
{
	struct dg_addr a, b;
	char buf[DG_ADDR_STRLEN];
	char small[8];
	size_t n;

	ok(dg_addr_parse("127.0.0.1", 53, &a) == 0 &&
		   dg_addr_parse("127.0.0.1:53", 5353, &b) == 0 &&
		   dg_addr_equal(&a, &b),
	   "the default port and the same port written out are equal");
	ok(dg_addr_parse("127.0.0.1:54", 53, &b) == 0 && !dg_addr_equal(&a, &b),
	   "a different port is not equal");
	ok(dg_addr_parse("127.0.0.2:53", 53, &b) == 0 && !dg_addr_equal(&a, &b),
	   "a different IPv4 address is not equal");
	ok(dg_addr_parse("[::ffff:127.0.0.1]:53", 53, &b) == 0 &&
		   !dg_addr_equal(&a, &b),
	   "an IPv4-mapped IPv6 address is not equal to the IPv4 address");
	ok(dg_addr_parse("::1", 53, &a) == 0 &&
		   dg_addr_parse("[0:0:0:0:0:0:0:1]:53", 5353, &b) == 0 &&
		   dg_addr_equal(&a, &b),
	   "two spellings of ::1 port 53 are equal");
	ok(dg_addr_parse("[::2]:53", 53, &b) == 0 && !dg_addr_equal(&a, &b),
	   "a different IPv6 address is not equal");

	ok(dg_addr_parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535",
			 53, &a) == 0,
	   "the longest IPv6 text form parses");
	n = dg_addr_format(&a, buf, sizeof(buf));
	is_str(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
	       "the longest address formats into DG_ADDR_STRLEN");
	is_int(n, strlen(buf), "dg_addr_format returns the length written");
	ok(n < DG_ADDR_STRLEN, "DG_ADDR_STRLEN holds the longest address");

	ok(dg_addr_parse("192.0.2.1:5353", 53, &a) == 0, "192.0.2.1:5353 parses");
	n = dg_addr_format(&a, small, sizeof(small));
	is_int(n, strlen("192.0.2.1:5353"),
	       "a short buffer: the full length is returned, as snprintf");
	is_str(small, "192.0.2",
	       "a short buffer: the text is cut and NUL-terminated");

	/* Each formatted address parses back to an equal one. */
	static const char *const texts[] = { "10.0.0.1:1", "[::]:53",
					     "0.0.0.0:53", "[fe80::1]:853",
					     "[::ffff:10.0.0.1]:5300" };
	for (size_t i = 0; i < DG_ARRAY_SIZE(texts); i++) {
		ok(dg_addr_parse(texts[i], 53, &a) == 0 &&
			   dg_addr_format(&a, buf, sizeof(buf)) > 0 &&
			   dg_addr_parse(buf, 1, &b) == 0 &&
			   dg_addr_equal(&a, &b) && strcmp(buf, texts[i]) == 0,
		   "'%s' formats to itself and parses back equal", texts[i]);
	}
}

static void test_prefix(void)
{
	struct dg_prefix p, before;

	is_str(prefix_roundtrip("172.18.0.0/16"), "172.18.0.0/16",
	       "an IPv4 prefix with zero host bits is accepted");
	is_str(prefix_roundtrip("fd00:18::/64"), "fd00:18::/64",
	       "an IPv6 prefix is accepted");
	is_str(prefix_roundtrip("10.1.2.3"), "10.1.2.3/32",
	       "a bare IPv4 address is a /32");
	is_str(prefix_roundtrip("2001:db8::1"), "2001:db8::1/128",
	       "a bare IPv6 address is a /128");
	is_str(prefix_roundtrip("0.0.0.0/0"), "0.0.0.0/0",
	       "the IPv4 default route /0 is accepted");
	is_str(prefix_roundtrip("::/0"), "::/0",
	       "the IPv6 default route /0 is accepted");
	is_str(prefix_roundtrip("10.1.2.3/32"), "10.1.2.3/32",
	       "/32 on IPv4 is accepted");
	is_str(prefix_roundtrip("2001:db8::1/128"), "2001:db8::1/128",
	       "/128 on IPv6 is accepted");
	is_str(prefix_roundtrip("192.168.0.128/25"), "192.168.0.128/25",
	       "a prefix whose last network bit is set is accepted");
	is_str(prefix_roundtrip("FD00:18::/64"), "fd00:18::/64",
	       "an IPv6 prefix is printed in lower case");

	ok(dg_prefix_parse("172.18.0.0/16", &p) == 0 && p.family == AF_INET &&
		   p.len == 16 && p.bytes[0] == 172 && p.bytes[1] == 18,
	   "172.18.0.0/16: family, length and bytes");
	ok(dg_prefix_parse("fd00:18::/64", &p) == 0 && p.family == AF_INET6 &&
		   p.len == 64 && p.bytes[0] == 0xfd && p.bytes[3] == 0x18,
	   "fd00:18::/64: family, length and bytes");

	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "172.18.0.1/16", "host bits set past the prefix" },
		{ "192.168.0.128/24", "one host bit set" },
		{ "fd00:18::1/64", "IPv6 host bits set" },
		{ "10.0.0.0/33", "/33 on IPv4" },
		{ "::/129", "/129 on IPv6" },
		{ "10.0.0.0/", "an empty length" },
		{ "10.0.0.0/8x", "a length with trailing garbage" },
		{ "10.0.0.0/-1", "a negative length" },
		{ "10.0.0.0/+8", "a length with a sign" },
		{ "10.0.0.0/ 8", "a length with a blank" },
		{ "/8", "a length without an address" },
		{ "", "the empty string" },
		{ "ci.example/24", "a host name" },
		{ "[fd00::]/64", "brackets around an IPv6 prefix" },
		{ "10.0.0.0/8/8", "two slashes" },
		{ "10.0.0.0/99999999999999999999", "a length that overflows" },
	};
	for (size_t i = 0; i < DG_ARRAY_SIZE(bad); i++) {
		memset(&p, 0x5A, sizeof(p));
		before = p;
		is_int(dg_prefix_parse(bad[i].text, &p), DG_EMALFORMED,
		       "prefix '%s' is refused: %s", bad[i].text, bad[i].why);
		ok(memcmp(&p, &before, sizeof(p)) == 0,
		   "a refused prefix '%s' leaves the output untouched",
		   bad[i].text);
	}
}

/* Would forwarding to `server` loop back into the listener? */
static bool self(const char *listen, const char *server)
{
	struct dg_addr l, sv;

	if (dg_addr_parse(listen, 53, &l) != 0 || dg_addr_parse(server, 53, &sv) != 0)
		return false;
	return dg_addr_is_self(&l, &sv);
}

static void test_is_self(void)
{
	ok(self("127.0.0.1:53", "127.0.0.1"), "the listener's own address is itself");
	ok(self("0.0.0.0:53", "127.0.0.1"), "a wildcard listener answers on 127.0.0.1");
	ok(self("0.0.0.0:53", "127.0.0.53"), "and on all of 127/8");
	ok(!self("0.0.0.0:5353", "127.0.0.1"), "another port is another server");
	ok(!self("0.0.0.0:53", "192.0.2.53"), "a remote server is not itself");
	ok(self("[::]:53", "::1"), "a v6 wildcard listener answers on ::1");
	ok(!self("[::]:53", "127.0.0.1"), "a v6-only listener does not answer v4");
	ok(!self("127.0.0.1:53", "127.0.0.2"), "127.0.0.2 is not 127.0.0.1");
}

/* Is `text` (an IPv4 or IPv6 address) one no public name may resolve to? */
static int is_private(const char *text)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, text, a) == 1)
		return dg_addr4_is_private(a);
	if (inet_pton(AF_INET6, text, a) == 1)
		return dg_addr6_is_private(a);
	return -1;
}

static void test_is_private(void)
{
	/* Each range at and just past its edges, the metadata addresses, the
	 * embedded forms, and the documentation ranges the other tests use
	 * as public answers. */
	static const struct {
		const char *text;
		int private;
	} cases[] = {
		{ "0.0.0.0", 1 },
		{ "0.255.255.255", 1 },
		{ "1.0.0.0", 0 },
		{ "9.255.255.255", 0 },
		{ "10.0.0.0", 1 },
		{ "10.255.255.255", 1 },
		{ "11.0.0.0", 0 },
		{ "100.63.255.255", 0 },
		{ "100.64.0.0", 1 },
		{ "100.127.255.255", 1 },
		{ "100.128.0.0", 0 },
		{ "126.255.255.255", 0 },
		{ "127.0.0.1", 1 },
		{ "127.255.255.255", 1 },
		{ "128.0.0.0", 0 },
		{ "169.253.255.255", 0 },
		{ "169.254.0.0", 1 },
		{ "169.254.169.254", 1 },
		{ "169.255.0.0", 0 },
		{ "172.15.255.255", 0 },
		{ "172.16.0.0", 1 },
		{ "172.31.255.255", 1 },
		{ "172.32.0.0", 0 },
		{ "191.255.255.255", 0 },
		{ "192.0.0.0", 1 },
		{ "192.0.0.255", 1 },
		{ "192.0.1.0", 0 },
		{ "192.0.2.1", 0 },
		{ "192.167.255.255", 0 },
		{ "192.168.0.0", 1 },
		{ "192.168.255.255", 1 },
		{ "192.169.0.0", 0 },
		{ "198.17.255.255", 0 },
		{ "198.18.0.0", 1 },
		{ "198.19.255.255", 1 },
		{ "198.20.0.0", 0 },
		{ "198.51.100.1", 0 },
		{ "203.0.113.1", 0 },
		{ "223.255.255.255", 0 },
		{ "224.0.0.0", 1 },
		{ "224.0.0.1", 1 },
		{ "239.255.255.255", 1 },
		{ "240.0.0.0", 1 },
		{ "255.255.255.255", 1 },
		{ "8.8.8.8", 0 },
		{ "::", 1 },
		{ "::1", 1 },
		{ "::2", 1 },
		{ "fe80::", 1 },
		{ "fe80::1", 1 },
		{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ "fec0::1", 1 },
		{ "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ "fc00::", 1 },
		{ "fd00::1", 1 },
		{ "fd00:ec2::254", 1 },
		{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "fe00::", 0 },
		{ "ff00::", 1 },
		{ "ff02::1", 1 },
		{ "100::", 1 },
		{ "100::ffff:ffff:ffff:ffff", 1 },
		{ "100:0:0:1::", 0 },
		{ "::ffff:10.0.0.1", 1 },
		{ "::ffff:127.0.0.1", 1 },
		{ "::ffff:169.254.169.254", 1 },
		{ "::ffff:192.0.2.1", 0 },
		{ "::fffe:10.0.0.1", 0 },
		{ "::10.0.0.1", 1 },
		{ "::192.0.2.1", 0 },
		{ "64:ff9b::a00:1", 1 },
		{ "64:ff9b::7f00:1", 1 },
		{ "64:ff9b::a9fe:a9fe", 1 },
		{ "64:ff9b::c000:201", 0 },
		{ "64:ff9b:1::c000:201", 1 },
		{ "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "64:ff9b:2::", 0 },
		{ "64:ff9b:0:1::a00:1", 0 },
		{ "2001:db8::1", 0 },
		{ "2606:4700::1111", 0 },
		/* SIIT (RFC 2765): ::ffff:0:a.b.c.d */
		{ "::ffff:0:10.0.0.1", 1 },
		{ "::ffff:0:169.254.169.254", 1 },
		{ "::ffff:0:192.0.2.1", 0 },
		/* 6to4 (RFC 3056): 2002:AABB:CCDD::/48 */
		{ "2002:a00:1::", 1 },
		{ "2002:a9fe:a9fe::1", 1 },
		{ "2002:7f00:1:1234::5", 1 },
		{ "2002:c000:201::1", 0 },
		/* Teredo (RFC 4380): server v4, then the client's, inverted */
		{ "2001:0:a00:1::", 1 },
		{ "2001:0:4136:e378:8000:63bf:f5ff:fffe", 1 },
		{ "2001:0:4136:e378:8000:63bf:3fff:fdd2", 0 },
		{ "2001:1::a00:1", 0 },
	};

	for (size_t i = 0; i < DG_ARRAY_SIZE(cases); i++)
		is_int(is_private(cases[i].text), cases[i].private, "%s is %s",
		       cases[i].text, cases[i].private ? "private" : "public");
}

int main(void)
{
	test_is_self();
	test_parse_good();
	test_parse_bad();
	test_equal_format();
	test_prefix();
	test_is_private();
	return done_testing();
}
