/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * import: lists written for other tools (host lists, Squid dstdomain,
 * tinyproxy filter files) converted to zones syntax (zones.h), so an
 * existing allowlist can be carried over. Names are checked with
 * zones.h's parser; problems are reported through dg_diag as
 * `FILE:LINE: problem`, and the conversion goes on after one so every bad
 * line is named.
 */
#pragma once

#include <stdio.h>

#include "diag.h"

/*
 * Convert a host list, Squid dstdomain list or tinyproxy filter file read
 * from `in` into zones syntax on `out`. Patterns that allowed more than an
 * entry can (a leading dot, `.*`) become `*.NAME` (depth 1) with a warning
 * naming the line. @return 0, or DG_EMALFORMED when a line was rejected.
 */
DG_NODISCARD int dg_import_file(FILE *in, const char *file, FILE *out,
				struct dg_diag *d);
