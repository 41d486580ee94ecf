/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * diag: diagnostics for configuration and zones files. Every problem is
 * printed at once as `FILE:LINE: message` (or `FILE: message` when no line
 * applies) and counted, so a loader keeps going and reports every error,
 * like Unbound's config reader, instead of stopping at the first.
 *
 * A struct dg_diag is owned by whoever runs the load; it owns nothing.
 */
#pragma once

#include <stdio.h>

#include "util.h"

struct dg_diag {
	FILE *out;          /* where messages go (stderr, or a memstream in tests) */
	unsigned errors;
	unsigned warnings;
};

void dg_diag_init(struct dg_diag *d, FILE *out);

/* Report an error at FILE:LINE; line 0 prints `FILE: msg`. */
void dg_diag_error(struct dg_diag *d, const char *file, unsigned line,
		   const char *fmt, ...) DG_PRINTF(4, 5);

/* The same, as `FILE:LINE: warning: msg`; warnings do not fail a load. */
void dg_diag_warn(struct dg_diag *d, const char *file, unsigned line,
		  const char *fmt, ...) DG_PRINTF(4, 5);
