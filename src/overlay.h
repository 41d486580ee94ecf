/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * overlay: the temporary allowlist entries of `dnsgate control allow`.
 *
 * The daemon keeps them as grants (struct dg_grants): the entry as it was
 * typed, its scope and when it expires, apart from the configuration, so
 * a reload keeps them and no file ever holds them. What the workers read
 * is an overlay built from the grants and the configuration in force: an
 * immutable array, each entry parsed by the zones-line parser into a
 * policy of its own that carries the limits of its scope's policy (label
 * and name length, charset, default types), so a temporary entry obeys
 * every limit a written one does. An overlay is never changed once built:
 * a change builds another, which each worker swaps in on its own loop,
 * and the last holder of the old one frees it (the count is atomic, since
 * the holders are threads). The query path so takes no lock.
 *
 * Each grant holds a slot (0..DG_OVERLAY_MAX-1) that the tunnel budget
 * counts it under, after the policy's own entries.
 *
 * Pure: time comes in as now_ms (dg_clock_ms, shared by every thread).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "config.h"
#include "policy.h"
#include "util.h"

/* Temporary entries at once: a person approves them one by one. */
#define DG_OVERLAY_MAX 64
/* `allow` without `for`, and the longest it takes: a day. */
#define DG_OVERLAY_DEFAULT_MS (3600ull * 1000)
#define DG_OVERLAY_MAX_MS (24ull * 3600 * 1000)

enum dg_scope {
	DG_SCOPE_GLOBAL, /* the [policy]'s clients: those of no group */
	DG_SCOPE_GROUP,  /* the clients of one [group NAME] */
	DG_SCOPE_CLIENT, /* queries from one source address */
};

/* One temporary entry as the daemon holds it. */
struct dg_grant {
	uint32_t id;
	uint32_t slot;
	char *text; /* the zones line as given */
	enum dg_scope scope;
	char *group;           /* DG_SCOPE_GROUP */
	struct dg_addr client; /* DG_SCOPE_CLIENT; the port is not compared */
	uint64_t expires_ms;   /* monotonic */
};

struct dg_grants {
	struct dg_grant v[DG_OVERLAY_MAX];
	size_t n;
	uint32_t next_id;
};

void dg_grants_init(struct dg_grants *g);
void dg_grants_deinit(struct dg_grants *g);

/*
 * Add spec (its text, scope, group or client and expiry; id and slot are
 * chosen here) after checking it under cfg: the text must be one entry
 * the zones parser takes under its scope's limits, the group must exist,
 * and there must be room. What is wrong goes into why.
 * @return 0 and *id, DG_EMALFORMED (why says) or DG_ENOMEM.
 */
DG_NODISCARD int dg_grants_add(struct dg_grants *g,
			       const struct dg_config *cfg,
			       const struct dg_grant *spec, char *why,
			       size_t size, uint32_t *id);

/* @return whether grant id was there (it is gone now). */
bool dg_grants_revoke(struct dg_grants *g, uint32_t id);

/*
 * Take out the first grant expired at now_ms into *out (the caller then
 * owns its strings: dg_grant_deinit). @return false when none is.
 */
bool dg_grants_take_expired(struct dg_grants *g, uint64_t now_ms,
			    struct dg_grant *out);
void dg_grant_deinit(struct dg_grant *gr);

/* When the next grant expires; UINT64_MAX: none. */
uint64_t dg_grants_next_expiry(const struct dg_grants *g);

/* "global", "group ci", "client 10.0.0.2", as snprintf. */
size_t dg_grant_scope(const struct dg_grant *gr, char *buf, size_t size);

struct dg_overlay_item {
	uint32_t id;
	uint32_t slot;
	enum dg_scope scope;
	char *group;
	struct dg_addr client;
	uint64_t expires_ms;
	struct dg_policy *policy; /* its one entry, under its scope's limits */
};

struct dg_overlay {
	atomic_uint refs;
	size_t n;
	struct dg_overlay_item items[];
};

/*
 * The grants as the workers read them under cfg (one reference). A grant
 * that cfg no longer takes (its group is gone, a limit now refuses it)
 * is left out, with a line to err, and kept: a later reload may take it
 * again. NULL: out of memory.
 */
DG_NODISCARD struct dg_overlay *dg_overlay_build(const struct dg_grants *g,
						 const struct dg_config *cfg,
						 FILE *err);
void dg_overlay_ref(struct dg_overlay *ov);
/* NULL is allowed; any thread may drop the last reference. */
void dg_overlay_unref(struct dg_overlay *ov);

/*
 * Does a temporary entry, unexpired at now_ms, allow q for a client of
 * group (NULL: of the global policy) at address client? @return the
 * item, and its verdict in *v. NULL when none does: then *near is the
 * first whose entry lists the name but denies it (too deep, or not that
 * type), its verdict in *v; or NULL, and *v untouched.
 */
const struct dg_overlay_item *dg_overlay_decide(
	const struct dg_overlay *ov, const struct dg_question *q,
	const char *group, const struct dg_addr *client, uint64_t now_ms,
	struct dg_verdict *v, const struct dg_overlay_item **near);

/*
 * "30s", "10m", "2h", "1d", or plain seconds, into ms: at least a second,
 * at most DG_OVERLAY_MAX_MS. @return 0, or DG_EMALFORMED.
 */
DG_NODISCARD int dg_overlay_parse_duration(const char *s, uint64_t *ms);
