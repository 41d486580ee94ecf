/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nftset: the addresses dnsgate hands out, added to nftables sets
 * ([firewall] nft_set for A, nft_set6 for AAAA), each element with a
 * timeout of its record's TTL, so a host's egress rules can allow
 * connections only to addresses dnsgate answered with.
 *
 * It speaks nfnetlink itself (libmnl builds the attributes) on a
 * non-blocking socket of its own: the addresses of one answer go in one
 * batch, sent without waiting; no acknowledgement is asked for, and the
 * kernel's errors are read when the loop says the socket is readable. The socket is opened
 * before dnsgate drops root: the kernel checks CAP_NET_ADMIN against the
 * socket's opener, so later batches need no privilege.
 *
 * The set must exist, with `flags timeout` and the address type of its
 * family; a missing set is reported, not created: its rules are the
 * administrator's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct uv_loop_s;

/* An nftables set as "FAMILY TABLE SET", e.g. "inet dnsgate_egress allowed". */
struct dg_nftset_name {
	uint8_t family; /* NFPROTO_INET, NFPROTO_IPV4 or NFPROTO_IPV6 */
	char *table;
	char *set;
};

/*
 * Parse text into out (strings owned by out: dg_nftset_name_clear).
 * addr_family is AF_INET or AF_INET6, the addresses the set will hold: an
 * `ip` table cannot hold IPv6 addresses, nor `ip6` IPv4 ones.
 * @return 0; DG_EMALFORMED with *why set; DG_ENOMEM.
 */
DG_NODISCARD int dg_nftset_name_parse(const char *text, int addr_family,
				      struct dg_nftset_name *out,
				      const char **why);
void dg_nftset_name_clear(struct dg_nftset_name *n);
/* "inet dnsgate_egress allowed", into buf; @return buf. */
const char *dg_nftset_name_format(const struct dg_nftset_name *n, char *buf,
				  size_t size);

/*
 * The messages of a batch, pure, for the unit tests and for dg_nftset: a
 * batch is begin, any NEWSETELEM messages, end. Each writes one netlink
 * message at buf with sequence number seq.
 * @return the bytes written, or 0 when size is too small (nothing written).
 */
size_t dg_nftset_put_batch(uint8_t *buf, size_t size, bool begin,
			   uint32_t seq);
/* Add addr (4 or 16 bytes) to set, with a timeout of timeout_ms. */
size_t dg_nftset_put_elem(uint8_t *buf, size_t size,
			  const struct dg_nftset_name *set, const uint8_t *addr,
			  size_t addr_len, uint64_t timeout_ms, uint32_t seq);

struct dg_nftset;

/* Counters, for the log and the metrics. */
struct dg_nftset_stats {
	uint64_t added;   /* elements sent */
	uint64_t dropped; /* not sent: the socket buffer was full */
	uint64_t errors;  /* refused by the kernel */
};

/*
 * Open the netlink socket and watch it on loop. v4 and v6 may each be
 * NULL (no set for that family); the names are copied.
 * @return 0, or a negative errno (DG_ENOMEM included).
 */
DG_NODISCARD int dg_nftset_open(struct uv_loop_s *loop,
				const struct dg_nftset_name *v4,
				const struct dg_nftset_name *v6,
				struct dg_nftset **out);

/* Queue addr (family AF_INET or AF_INET6) for ttl seconds (at least 1: an
 * element without a timeout would never expire). A family without a set is
 * ignored. A full batch is sent at once. */
void dg_nftset_add(struct dg_nftset *s, int family, const uint8_t *addr,
		   uint32_t ttl);
/* Send what was queued: one batch, one transaction. Never blocks: when the
 * socket buffer is full the batch is dropped and counted. */
void dg_nftset_flush(struct dg_nftset *s);

void dg_nftset_stats(const struct dg_nftset *s, struct dg_nftset_stats *out);

/* Stop watching and free, once the loop has closed the handle. NULL is
 * allowed. */
void dg_nftset_close(struct dg_nftset *s);
