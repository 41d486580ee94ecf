/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * forward: which upstream servers a question goes to (split DNS). Names
 * at or under a [forward ZONE] go to that zone's servers, the longest
 * zone holding the name winning; every other name goes to [upstream]'s.
 * The allowlist has decided before: a zone here allows nothing.
 *
 * GLOSSARY
 *   server set  the servers one fetch tries, in order: set 0 is
 *               [upstream]'s, set i + 1 that of the i-th forward zone;
 *   server      one address, listed once however many sets name it, so
 *               that it has one set of counters (and one metrics label).
 *
 * Pure: no I/O, no ldns. The configuration fills it; the upstream and the
 * server read it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "name.h"
#include "util.h"

/* A [forward ZONE] section. Owned by its configuration. */
struct dg_forward {
	char *name;                   /* the zone as written */
	uint8_t zone[DG_NAME_MAXLEN]; /* wire form, lowercased */
	unsigned line;                /* of its section header */
	struct dg_addrs servers;      /* tried in order */
};

/* The server sets of a configuration. Owns its arrays. */
struct dg_server_sets {
	/* Every server once: an address and, for DNS over TLS, its name
	 * (addrs.tls_names, NULL while every server is plain). */
	struct dg_addrs addrs;
	size_t *order;         /* indices into addrs.v, set after set */
	size_t n_order, cap_order;
	size_t *start; /* set i is order[start[i] .. start[i + 1]) */
	size_t n_sets, cap_start;
};

/*
 * Append the set that tries servers->v[0..n) in turn; a server already in
 * s->addrs (the same address and the same TLS name, or none) is not added
 * again, the set names its index.
 * @return 0 or DG_ENOMEM.
 */
DG_NODISCARD int dg_server_sets_add(struct dg_server_sets *s,
				    const struct dg_addrs *servers);

/* Free what s holds and empty it. */
void dg_server_sets_free(struct dg_server_sets *s);

/*
 * The server set for name (a checked wire name): i + 1 when fwd[i] is the
 * longest of fwd[0..n) at or above it, 0 when none is.
 */
size_t dg_forward_set(const struct dg_forward *fwd, size_t n,
		      const uint8_t *name);
