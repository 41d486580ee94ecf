/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nftset_msg: what dnsgate tells nftables, without the socket: the names
 * of the sets ("inet dnsgate_egress allowed") as the configuration gives
 * them, and the nfnetlink batch that adds addresses to them, built into a
 * buffer (libmnl for the attributes). Pure; nftset.c sends the batches.
 *
 * The messages are the ones `nft add element` sends: NEWSETELEM with
 * NLM_F_CREATE but not NLM_F_EXCL, so adding an address that is already
 * there succeeds and (Linux 6.x) renews its timeout. No acknowledgement is
 * asked for: the kernel answers only what it refuses.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

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
/* A table's or set's name is at most this (NFT_NAME_MAXLEN, without its
 * NUL); a formatted name, NUL included, at most DG_NFTSET_NAME_STRLEN. */
#define DG_NFTSET_NAME_MAX 255
#define DG_NFTSET_NAME_STRLEN (2 * DG_NFTSET_NAME_MAX + 16)

/* "inet dnsgate_egress allowed", into buf; @return buf. */
const char *dg_nftset_name_format(const struct dg_nftset_name *n, char *buf,
				  size_t size);

/* A batch is sent in one datagram of at most this. */
#define DG_NFTSET_BATCH 8192

/*
 * A batch being built: begin, NEWSETELEM messages, end; one transaction.
 * A message's sequence number carries its set in the low byte, so the
 * kernel's error about it names the set. Zeroed, it is an empty batch.
 */
struct dg_nftset_batch {
	uint32_t seq;    /* the last one given, low byte aside */
	size_t len;      /* bytes so far; 0: not begun */
	size_t n_elems;
	/* Netlink messages are read in place: aligned for any header. */
	_Alignas(max_align_t) uint8_t buf[DG_NFTSET_BATCH];
};

/*
 * Add addr (4 or 16 bytes) to set, with a timeout of timeout_ms; which
 * (below DG_NFTSET_SEQ_SETS) is the set's number in the sequence numbers.
 * @return false, and nothing added, when the batch has no room left.
 */
bool dg_nftset_batch_add(struct dg_nftset_batch *b,
			 const struct dg_nftset_name *set, unsigned which,
			 const uint8_t *addr, size_t addr_len,
			 uint64_t timeout_ms);

/*
 * End the batch: *n_elems its elements, and the bytes at b->buf to send,
 * 0 when it holds none (nothing to send). The bytes stay there until the
 * next add, which begins a new batch.
 */
size_t dg_nftset_batch_end(struct dg_nftset_batch *b, size_t *n_elems);

/* How many sets the sequence numbers tell apart: which, as given to
 * dg_nftset_batch_add, is below this. */
#define DG_NFTSET_SEQ_SETS 256

/* The sequence number's set: which, as given to dg_nftset_batch_add, or 0
 * for the batch's own messages. */
static inline unsigned dg_nftset_seq_set(uint32_t seq)
{
	return seq % DG_NFTSET_SEQ_SETS;
}
