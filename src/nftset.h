/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nftset: the addresses dnsgate hands out, added to nftables sets
 * ([firewall] nft_set for A, nft_set6 for AAAA; or a [group]'s own), each
 * element with a timeout of its record's TTL, at least [firewall]
 * nft_set_min_ttl, so a host's egress rules can allow connections only to
 * addresses dnsgate answered with. A group with sets of its own gets its
 * answers there and nowhere else: one group's answers never open egress
 * for another's clients.
 *
 * This is the socket: a non-blocking netlink socket of its own, watched
 * on the loop. The addresses of one answer go in one batch (built by
 * nftset_msg.c), sent without waiting; the kernel's errors are read when
 * the loop says the socket is readable. The socket is opened before
 * dnsgate drops root: the kernel checks CAP_NET_ADMIN against the
 * socket's opener, so later batches need no privilege.
 *
 * The set must exist, with `flags timeout` and the address type of its
 * family; a missing set is reported, not created: its rules are the
 * administrator's.
 */
#pragma once

#include <stdint.h>

#include "config.h"
#include "nftset_msg.h"
#include "wire.h"
#include "util.h"

struct uv_loop_s;

struct dg_nftset;

/* Counters, for the log and the metrics. */
struct dg_nftset_stats {
	uint64_t added;   /* elements sent */
	uint64_t dropped; /* not sent: the socket buffer was full */
	uint64_t errors;  /* refused by the kernel */
};

/*
 * Open the netlink socket and watch it on loop, for the sets cfg names
 * ([firewall]'s and each group's; the names are copied: they are read at
 * start only).
 * @return 0, DG_EMALFORMED when more groups have sets than the sequence
 * numbers tell apart, or a negative errno (DG_ENOMEM included).
 */
DG_NODISCARD int dg_nftset_open(struct uv_loop_s *loop,
				const struct dg_config *cfg,
				struct dg_nftset **out);

/*
 * The addresses of a fresh answer, scrubbed, for a client of group g (NULL:
 * none; matched by name with the groups dnsgate started with): the ones
 * that client may now connect to, each for its TTL but at least min_ttl
 * seconds (and 1 s: an element without a timeout would never expire), in
 * one batch, one transaction. They go to g's sets when it has any, else to
 * [firewall]'s; a family without a set is skipped, and so is the whole
 * answer of a group whose sets came with a reload (they wait for a
 * restart). Never blocks: when the socket buffer is full the batch is
 * dropped and counted. Cached copies need nothing: they expire with the
 * elements.
 */
void dg_nftset_add_answer(struct dg_nftset *s, const struct dg_group *g,
			  unsigned min_ttl, const struct dg_answer *a);

void dg_nftset_stats(const struct dg_nftset *s, struct dg_nftset_stats *out);

/* Stop watching and free, once the loop has closed the handle. NULL is
 * allowed. */
void dg_nftset_close(struct dg_nftset *s);
