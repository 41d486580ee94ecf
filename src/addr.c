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
