/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * import: lists written for other tools converted to zones syntax
 * (zones.h), so an existing allowlist can be carried over. One format per
 * input, detected or forced: hosts files, plain lists, AdBlock rules,
 * harden-runner allowed-endpoints, Cilium toFQDNs, Squid dstdomain and
 * tinyproxy filters.
 *
 * A struct dg_import gathers the entries of every input, de-duplicated
 * across them in first-seen order, each remembering its FILE:LINE; it owns
 * them and the file names, and dg_import_free frees it all. Names are
 * checked with zones.h's parser; problems are reported through dg_diag as
 * `FILE:LINE: problem`, and reading goes on after one so every bad line is
 * named.
 */
#pragma once

#include <stdio.h>

#include "diag.h"

enum dg_import_format {
	DG_IMPORT_AUTO = 0,      /* detect per input */
	DG_IMPORT_HOSTS,         /* hosts(5): ADDR NAME... */
	DG_IMPORT_LIST,          /* one name a line; `*.x` at every depth */
	DG_IMPORT_ADBLOCK,       /* `||x^`, `@@||x^` */
	DG_IMPORT_HARDEN_RUNNER, /* allowed-endpoints: `host:port` */
	DG_IMPORT_CILIUM,        /* toFQDNs: matchName, matchPattern */
	DG_IMPORT_SQUID,         /* dstdomain: `x`, `.x` */
	DG_IMPORT_TINYPROXY,     /* filter: extended regexes */
};

/* "hosts", "harden-runner"… → format (not "auto"). @return 0 or
 * DG_EMALFORMED. */
DG_NODISCARD int dg_import_format_from_str(const char *s,
					   enum dg_import_format *f);

/* The name --format takes for f ("auto" for DG_IMPORT_AUTO). */
const char *dg_import_format_name(enum dg_import_format f);

struct dg_import;

/*
 * An empty import. format: DG_IMPORT_AUTO to detect each input's, or the
 * one for all. depth: what a wildcard that meant every depth becomes
 * (`*.x depth=N`); 0 when none was given: such wildcards become depth 1,
 * and Cilium's `**.` is refused. @return NULL only when out of memory.
 */
DG_NODISCARD struct dg_import *dg_import_new(enum dg_import_format format,
					     unsigned depth);

void dg_import_free(struct dg_import *imp);

/*
 * Read one input; `file` names it in messages and in the output. A
 * wildcard that meant every depth in its format is warned about with the
 * depth it became. @return 0, DG_EMALFORMED when a line was rejected
 * (reported; the other lines are kept) or DG_ENOMEM.
 */
DG_NODISCARD int dg_import_read(struct dg_import *imp, FILE *in,
				const char *file, struct dg_diag *d);

/*
 * Print the zones file: a header naming each input and its format, then
 * one entry a line, each followed by `# FILE:LINE` of where it was first
 * seen.
 */
void dg_import_write(const struct dg_import *imp, FILE *out);
