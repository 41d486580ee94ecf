/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * entries: a policy's entries in zones syntax, one a line, for the unit
 * tests that compare what a file or an import loaded. Header-only: each
 * test is one translation unit.
 */
#pragma once

#include <stdio.h>

#include "policy.h"
#include "zones.h"

/* The text, malloc'd (the caller frees it). */
static char *entries_text(const struct dg_policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < dg_policy_count(p); i++) {
		char text[DG_ENTRY_STRLEN];

		dg_zones_format_entry(p, dg_policy_entry(p, i), text,
				      sizeof(text));
		fprintf(f, "%s%s", i ? "\n" : "", text);
	}
	fclose(f);
	return buf;
}
