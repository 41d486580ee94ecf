/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn: an allowlist from what a workload asked. Reads query log lines
 * (qlog_line.c's JSON objects, one a line, from an audit or an enforcing
 * run), aggregates them per name (types asked, queries, first and last
 * timestamp) and writes a zones file: exact names; siblings collapsed into
 * `*.PARENT` only past a threshold and only where nothing under the parent
 * looks like a tunnel; names a shipped preset already covers, and names
 * left out (tunnel-like, or denied by a global limit no entry can lift),
 * as comments saying why. The rules and their thresholds are documented in
 * dnsgate(8), LEARN.
 *
 * Output is sorted by reversed labels (com.example.www), so a zone's names
 * sit together as a reviewer reads them, and depends only on the set of
 * records, never on their order.
 *
 * Pure: no clock, no files opened (dg_learn_write writes to the stream it
 * is given); presets arrive as loaded policies. Uses zones.c for names and
 * type mnemonics. A struct dg_learn owns everything it aggregated.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hash.h"
#include "policy.h"

/* Siblings collapse into *.PARENT from this many distinct names under it:
 * dnsgate(8) says why 8. */
#define DG_LEARN_COLLAPSE_DEFAULT 8

/* dg_learn_add_line: a well-formed line that is no query (a summary of
 * held-back denials) */
#define DG_LEARN_SKIPPED 1

/* A shipped preset, loaded: its name ("github") and its allowlist. */
struct dg_learn_preset {
	const char *name;
	const struct dg_policy *policy;
};

struct dg_learn_options {
	unsigned collapse; /* siblings that collapse; 0: never collapse */
	const struct dg_learn_preset *presets;
	size_t n_presets;
};

struct dg_learn;

/* An empty aggregate whose table hashes names under key (chosen at
 * random by the caller: the names come from the workload). NULL: OOM. */
DG_NODISCARD struct dg_learn *dg_learn_new(const struct dg_hash_key *key);
void dg_learn_free(struct dg_learn *l);

/*
 * Add one log line (len bytes, without its newline).
 * @return 0 for a query counted, DG_LEARN_SKIPPED for a well-formed record
 * that is no query, DG_EMALFORMED with the reason in *why, or DG_ENOMEM.
 */
DG_NODISCARD int dg_learn_add_line(struct dg_learn *l, const char *line,
				   size_t len, const char **why);

/* Queries counted and distinct names so far. */
uint64_t dg_learn_queries(const struct dg_learn *l);
size_t dg_learn_names(const struct dg_learn *l);

/*
 * Why a label (len bytes) looks like tunnel data, or NULL when it does not:
 * too long, a long hex run, or a long run of high entropy mixing letters
 * and digits (dnsgate(8), LEARN, gives the figures).
 */
const char *dg_learn_label_tunnel(const uint8_t *label, size_t len);

/* Shannon entropy of s[0..len), in bits per character. */
double dg_learn_entropy(const uint8_t *s, size_t len);

/*
 * Write the zones file for everything added so far.
 * @return 0, DG_ENOMEM, or -errno when writing failed.
 */
DG_NODISCARD int dg_learn_write(const struct dg_learn *l,
				const struct dg_learn_options *opt, FILE *out);
