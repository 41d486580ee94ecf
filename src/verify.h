/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * verify: `dnsgate firewall --verify`, run from inside the sandbox's
 * network namespace, checks that the rules in place do what they say: an
 * allowed name resolves through dnsgate, a denied one is denied, and each
 * resolver (and, for --egress, each outside destination) the user names
 * is unreachable. One line a check on out, `ok   ...` or `FAIL ...`.
 *
 * A command-line check, never on the serving path: plain blocking sockets
 * with poll() timeouts, one check after another; ldns builds and reads the
 * queries. Choosing the names to ask is pure (dg_verify_allowed_name,
 * dg_verify_denied_name), so the unit tests read it without a network.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define DG_VERIFY_TIMEOUT_MS 2000

struct dg_verify_options {
	const char *server;  /* ADDR[:PORT]; NULL: the first listener */
	const char *allowed; /* NULL: dg_verify_allowed_name */
	const char *denied;  /* NULL: dg_verify_denied_name */
	/* ADDR[:PORT] (port 53 when left out): must not answer, UDP or TCP.
	 * The caller owns the array. */
	const char *const *resolvers;
	size_t n_resolvers;
	/* ADDR:PORT: a TCP connection must fail. The caller owns the array. */
	const char *const *outside;
	size_t n_outside;
	unsigned timeout_ms; /* each check's; 0: DG_VERIFY_TIMEOUT_MS */
};

/*
 * The first name, in the policy's order, that an entry holds as itself
 * (not *.NAME) and the policy allows for an A query, as text with no final
 * dot. @return 0, or DG_EMALFORMED when there is none (buf then "").
 */
DG_NODISCARD int dg_verify_allowed_name(const struct dg_policy *p, char *buf,
					size_t size);

/*
 * A name under invalid. (RFC 6761: never delegated) with a label made from
 * nonce, so no cache or log holds it; the policy must deny it for A.
 * @return 0, or DG_EMALFORMED when the policy allows it (buf still holds
 * the name, to say so).
 */
DG_NODISCARD int dg_verify_denied_name(const struct dg_policy *p,
				       uint64_t nonce, char *buf, size_t size);

/*
 * Run every check for cfg (its first listener, its policy, its deny
 * rcode) and print one line each on out; problems with the options on
 * err. @return 0 when every check passed, 1 when one failed, 2 for a bad
 * option (an address or name that cannot be read).
 */
int dg_verify_run(const struct dg_config *cfg,
		  const struct dg_verify_options *opt, FILE *out, FILE *err);
