/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * addr: see addr.h.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dg_addr_parse(const char *s, uint16_t default_port, struct dg_addr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *port_text = NULL;
	size_t host_len;
	uint16_t port = default_port;
	struct dg_addr a;

	memset(&a, 0, sizeof(a));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			return DG_EMALFORMED;
		host_len = (size_t)(close - s - 1);
		if (close[1] == ':')
			port_text = close + 2;
		else if (close[1] != '\0')
			return DG_EMALFORMED;
		s++;
	} else {
		const char *colon = strchr(s, ':');

		/* One colon separates a port; more make a bare IPv6 address. */
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			host_len = (size_t)(colon - s);
			port_text = colon + 1;
		} else {
			host_len = strlen(s);
		}
	}
	if (host_len == 0 || host_len >= sizeof(host))
		return DG_EMALFORMED;
	memcpy(host, s, host_len);
	host[host_len] = '\0';
	if (port_text != NULL) {
		unsigned long v;

		if (!dg_parse_ulong(port_text, 1, 65535, &v))
			return DG_EMALFORMED;
		port = (uint16_t)v;
	}
	if (port == 0)
		return DG_EMALFORMED;

	if (inet_pton(AF_INET, host, &a.u.in4.sin_addr) == 1) {
		a.u.in4.sin_family = AF_INET;
		a.u.in4.sin_port = htons(port);
		a.len = sizeof(a.u.in4);
	} else if (inet_pton(AF_INET6, host, &a.u.in6.sin6_addr) == 1) {
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_port = htons(port);
		a.len = sizeof(a.u.in6);
	} else {
		return DG_EMALFORMED;
	}
	*out = a;
	return 0;
}

size_t dg_addr_format(const struct dg_addr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int n;

	if (a->u.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->u.in4.sin_addr, host, sizeof(host));
		n = snprintf(buf, size, "%s:%u", host, dg_addr_port(a));
	} else {
		inet_ntop(AF_INET6, &a->u.in6.sin6_addr, host, sizeof(host));
		n = snprintf(buf, size, "[%s]:%u", host, dg_addr_port(a));
	}
	return n < 0 ? 0 : (size_t)n;
}

uint16_t dg_addr_port(const struct dg_addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return ntohs(a->u.in4.sin_port);
	return ntohs(a->u.in6.sin6_port);
}

bool dg_addr_equal(const struct dg_addr *a, const struct dg_addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_port == b->u.in4.sin_port &&
		       a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
	return a->u.in6.sin6_port == b->u.in6.sin6_port &&
	       memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr,
		      sizeof(a->u.in6.sin6_addr)) == 0;
}

bool dg_addr_is_self(const struct dg_addr *listen, const struct dg_addr *server)
{
	if (dg_addr_equal(listen, server))
		return true;
	if (listen->u.sa.sa_family != server->u.sa.sa_family ||
	    dg_addr_port(listen) != dg_addr_port(server))
		return false;
	if (listen->u.sa.sa_family == AF_INET)
		return listen->u.in4.sin_addr.s_addr == htonl(INADDR_ANY) &&
		       (ntohl(server->u.in4.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_UNSPECIFIED(&listen->u.in6.sin6_addr) &&
	       IN6_IS_ADDR_LOOPBACK(&server->u.in6.sin6_addr);
}

bool dg_prefix_contains(const struct dg_prefix *p, const struct dg_addr *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *bytes;
	unsigned full, rest;

	if (a->u.sa.sa_family == AF_INET) {
		bytes = (const uint8_t *)&a->u.in4.sin_addr;
		if (p->family != AF_INET)
			return false;
	} else {
		bytes = a->u.in6.sin6_addr.s6_addr;
		if (p->family == AF_INET && memcmp(bytes, mapped, 12) == 0)
			bytes += 12;
		else if (p->family != AF_INET6)
			return false;
	}
	full = p->len / 8;
	rest = p->len % 8;
	if (memcmp(bytes, p->bytes, full) != 0)
		return false;
	return rest == 0 ||
	       ((bytes[full] ^ p->bytes[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int dg_prefix_parse(const char *s, struct dg_prefix *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t host_len = slash ? (size_t)(slash - s) : strlen(s);
	struct dg_prefix p;
	unsigned max;

	memset(&p, 0, sizeof(p));
	if (host_len == 0 || host_len >= sizeof(host))
		return DG_EMALFORMED;
	memcpy(host, s, host_len);
	host[host_len] = '\0';
	if (inet_pton(AF_INET, host, p.bytes) == 1) {
		p.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, p.bytes) == 1) {
		p.family = AF_INET6;
		max = 128;
	} else {
		return DG_EMALFORMED;
	}
	p.len = (uint8_t)max;
	if (slash != NULL) {
		char *end;
		unsigned long v;

		if (slash[1] < '0' || slash[1] > '9')
			return DG_EMALFORMED;
		errno = 0;
		v = strtoul(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || v > max)
			return DG_EMALFORMED;
		p.len = (uint8_t)v;
	}
	for (unsigned bit = p.len; bit < max; bit++)
		if (p.bytes[bit / 8] & (0x80 >> (bit % 8)))
			return DG_EMALFORMED;
	*out = p;
	return 0;
}

size_t dg_prefix_format(const struct dg_prefix *p, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int n;

	inet_ntop(p->family, p->bytes, host, sizeof(host));
	n = snprintf(buf, size, "%s/%u", host, p->len);
	return n < 0 ? 0 : (size_t)n;
}

/*
 * The ranges no public name should resolve to, as dnsmasq's private_net
 * tables: one prefix a line, bits past len zero. A name under an
 * allowlisted wildcard is the attacker's; answering it with one of these
 * would point the sandbox at its own host, its network or the cloud's
 * metadata service (DNS rebinding). Documentation ranges (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are left out on purpose:
 * nothing routes them, and the tests use them as public addresses.
 */
struct private_range {
	uint8_t bytes[16];
	uint8_t len; /* prefix length in bits */
};

static const struct private_range private4[] = {
	{ { 0 }, 8 },              /* 0/8: "this network", 0.0.0.0 */
	{ { 10 }, 8 },             /* 10/8: RFC 1918 */
	{ { 100, 64 }, 10 },       /* 100.64/10: CGNAT, RFC 6598 */
	{ { 127 }, 8 },            /* 127/8: loopback */
	{ { 169, 254 }, 16 },      /* 169.254/16: link-local, cloud metadata */
	{ { 172, 16 }, 12 },       /* 172.16/12: RFC 1918 */
	{ { 192, 0, 0 }, 24 },     /* 192.0.0/24: IETF protocol assignments */
	{ { 192, 168 }, 16 },      /* 192.168/16: RFC 1918 */
	{ { 198, 18 }, 15 },       /* 198.18/15: benchmarking, RFC 2544 */
	{ { 224 }, 4 },            /* 224/4: multicast */
	{ { 240 }, 4 },            /* 240/4: reserved, 255.255.255.255 */
};

static const struct private_range private6[] = {
	{ { 0 }, 128 },                       /* ::/128: unspecified */
	{ { [15] = 1 }, 128 },                /* ::1/128: loopback */
	{ { 0xfe, 0x80 }, 10 },               /* fe80::/10: link-local */
	{ { 0xfc }, 7 },                      /* fc00::/7: ULA, fd00:ec2::254 */
	{ { 0xff }, 8 },                      /* ff00::/8: multicast */
	{ { 0xfe, 0xc0 }, 10 },               /* fec0::/10: old site-local */
	{ { 0x01 }, 64 },                     /* 100::/64: discard, RFC 6666 */
	/* 64:ff9b:1::/48: local-use NAT64 (RFC 8215). Each site picks its own
	 * mapping, so the v4 address cannot be found: the whole /48 goes. */
	{ { 0, 0x64, 0xff, 0x9b, 0, 1 }, 48 },
};

/* Forms that carry an IPv4 address: that address decides. A v6-only
 * client behind NAT64, or with a 6to4 or Teredo relay, reaches the
 * embedded v4 host, so an attacker's name answered with 2002:a00:1:: is
 * an answer of 10.0.0.1. */
static const struct embed {
	struct private_range prefix;
	uint8_t at;   /* where the IPv4 address starts */
	bool flipped; /* stored with every bit inverted */
} embeds4[] = {
	{ { { [10] = 0xff, [11] = 0xff }, 96 }, 12, false }, /* ::ffff:0:0/96: v4-mapped */
	{ { { [8] = 0xff, [9] = 0xff }, 96 }, 12, false }, /* ::ffff:0:0:0/96: SIIT, RFC 2765 */
	{ { { 0, 0x64, 0xff, 0x9b }, 96 }, 12, false }, /* 64:ff9b::/96: NAT64 */
	/* ::/96: IPv4-compatible (deprecated, RFC 4291 2.5.5.1); :: and ::1
	 * are caught by private6 first. */
	{ { { 0 }, 96 }, 12, false },
	{ { { 0x20, 0x02 }, 16 }, 2, false }, /* 2002::/16: 6to4, RFC 3056 */
	/* 2001::/32: Teredo, RFC 4380: the server's address, then the
	 * client's (its NAT's), obfuscated; either may be the aim. */
	{ { { 0x20, 0x01, 0, 0 }, 32 }, 4, false },
	{ { { 0x20, 0x01, 0, 0 }, 32 }, 12, true },
};

static bool prefix_match(const uint8_t *a, const struct private_range *r)
{
	unsigned whole = r->len / 8, rest = r->len % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	if (memcmp(a, r->bytes, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ r->bytes[whole]) & mask) == 0;
}

bool dg_addr4_is_private(const uint8_t a[4])
{
	for (size_t i = 0; i < DG_ARRAY_SIZE(private4); i++)
		if (prefix_match(a, &private4[i]))
			return true;
	return false;
}

bool dg_addr6_is_private(const uint8_t a[16])
{
	for (size_t i = 0; i < DG_ARRAY_SIZE(private6); i++)
		if (prefix_match(a, &private6[i]))
			return true;
	for (size_t i = 0; i < DG_ARRAY_SIZE(embeds4); i++) {
		const struct embed *e = &embeds4[i];
		uint8_t v4[4];

		if (!prefix_match(a, &e->prefix))
			continue;
		for (int j = 0; j < 4; j++)
			v4[j] = e->flipped ? (uint8_t)~a[e->at + j] : a[e->at + j];
		if (dg_addr4_is_private(v4))
			return true;
	}
	return false;
}

size_t dg_addr_client_bytes(const struct dg_addr *a, uint8_t *out)
{
	out[0] = (uint8_t)a->u.sa.sa_family;
	if (a->u.sa.sa_family == AF_INET) {
		memcpy(out + 1, &a->u.in4.sin_addr, 4);
		return 5;
	}
	memcpy(out + 1, a->u.in6.sin6_addr.s6_addr, 8);
	return 9;
}

uint64_t dg_addr_client_key(const struct dg_hash_key *key,
			    const struct dg_addr *a)
{
	uint8_t in[DG_ADDR_CLIENT_BYTES];
	uint64_t h = dg_siphash(key, in, dg_addr_client_bytes(a, in));

	return h ? h : 1;
}
