/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * addr: socket addresses as users write them. Parses and prints
 * `ADDR`, `ADDR:PORT`, `[V6ADDR]` and `[V6ADDR]:PORT`, and compares
 * addresses. Pure: no I/O, no name lookups (a host name is an error, never a
 * DNS query made while loading a DNS filter's configuration).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "hash.h"
#include "util.h"

/* "[ffff:…:ffff]:65535" and its NUL fit. */
#define DG_ADDR_STRLEN 56

struct dg_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

/*
 * Parse s into out; a missing port is default_port. Port 0 is refused.
 * @return 0, or DG_EMALFORMED (out untouched).
 */
DG_NODISCARD int dg_addr_parse(const char *s, uint16_t default_port,
			       struct dg_addr *out);

/*
 * The client as every per-client limit counts it (budgets, query rates,
 * log lines): an IPv4 address, or an IPv6 /64, never the port, so neither
 * fresh ports nor the addresses of one /64 make another client. Written
 * to out (DG_ADDR_CLIENT_BYTES at most), for a hash of the caller's that
 * adds its own fields. @return the bytes written.
 */
#define DG_ADDR_CLIENT_BYTES 9
size_t dg_addr_client_bytes(const struct dg_addr *a, uint8_t *out);

/* Those bytes hashed under key (hash.h: the client chooses its address);
 * never 0. */
uint64_t dg_addr_client_key(const struct dg_hash_key *key,
			    const struct dg_addr *a);

/* "127.0.0.1:53" or "[::1]:53"; as snprintf. */
size_t dg_addr_format(const struct dg_addr *a, char *buf, size_t size);

/* The same family, address and port. */
bool dg_addr_equal(const struct dg_addr *a, const struct dg_addr *b);

uint16_t dg_addr_port(const struct dg_addr *a);

/*
 * Would a query sent to `server` reach the listener `listen`? True when
 * they are equal, or when the listener is the wildcard address on the same
 * port and the server is a loopback address (a resolv.conf that names
 * 127.0.0.1 while dnsgate listens on 0.0.0.0:53).
 */
bool dg_addr_is_self(const struct dg_addr *listen, const struct dg_addr *server);

/*
 * Is this an address no public name should resolve to: private (RFC 1918),
 * loopback, link-local, unspecified, CGNAT (RFC 6598), ULA (RFC 4193),
 * multicast, reserved, broadcast or cloud metadata, or an IPv4-mapped or
 * NAT64 (64:ff9b::/96, 64:ff9b:1::/48) form of one of those?
 */
bool dg_addr4_is_private(const uint8_t a[4]);
bool dg_addr6_is_private(const uint8_t a[16]);

/* A list of addresses, grown with dg_grow; the owner frees v. */
struct dg_addrs {
	struct dg_addr *v;
	size_t n, cap;
	/* Upstream servers only: NULL while every one is plain, else one
	 * per address, the name a tls:// server's certificate must carry
	 * (NULL for a plain one). Owned. */
	char **tls_names;
	size_t tls_cap;
};

/* An address prefix as in `172.18.0.0/16` or `fd00:18::/64`. */
struct dg_prefix {
	sa_family_t family;
	uint8_t len;        /* prefix length in bits */
	uint8_t bytes[16];  /* network byte order; bits past len are zero */
};

/*
 * Parse `ADDR/LEN` (or a bare address, a full-length prefix). Host bits set
 * past LEN are refused, as a likely typo.
 * @return 0, or DG_EMALFORMED.
 */
DG_NODISCARD int dg_prefix_parse(const char *s, struct dg_prefix *out);

/* "172.18.0.0/16"; as snprintf. */
size_t dg_prefix_format(const struct dg_prefix *p, char *buf, size_t size);

/* Is a inside p? An IPv4-mapped IPv6 address (a client of a dual-stack
 * socket) is taken as the IPv4 address it maps. */
bool dg_prefix_contains(const struct dg_prefix *p, const struct dg_addr *a);
