/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zones: the allowlist as people write it. Reads zones files (one entry a
 * line: `NAME [depth=N] [types=T1,T2,…] [private=allow]`, `*.NAME` for
 * depth 1, `#` comments) and inline `allow =` lists into a dg_policy, prints
 * entries back in that syntax. Imports of other list formats are in
 * import.h.
 *
 * What people paste into an allowlist that is no name (a URL, host:port,
 * an address or range, an adblock rule, a flag, an option on a line of its
 * own, a name in Unicode) would load and never match a query: such an
 * entry is an error that says what to write instead. Unicode names get
 * their A-label from libidn2.
 *
 * This is one of the three modules that use ldns (names and type mnemonics
 * in presentation form). Problems are reported through dg_diag as
 * `FILE:LINE: problem`; loading goes on after an error so every one is
 * reported.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "policy.h"

/* Longest entry text printed by dg_zones_format_entry (name, depth, types). */
#define DG_ENTRY_STRLEN 2048

/*
 * Presentation name (escapes allowed, final dot optional) to wire form.
 * @return 0, or DG_EMALFORMED with a reason in *why when why is not NULL.
 */
DG_NODISCARD int dg_zones_name_from_str(const char *s, uint8_t *out,
					const char **why);

/* "A", "aaaa", "TYPE65" → type number. @return 0 or DG_EMALFORMED. */
DG_NODISCARD int dg_zones_type_from_str(const char *s, uint16_t *type);

/* Mnemonic of a type ("A", "TYPE65280"), as snprintf. */
size_t dg_zones_type_to_str(uint16_t type, char *buf, size_t size);

/*
 * Parse one entry (no comment, surrounding blanks allowed) into the policy.
 * Problems go to d as `file:line: …`, with the fix for an entry that is
 * not a name (`'https://github.com/' is a URL, not a name; write
 * github.com`).
 * @return 0, DG_EMALFORMED (reported) or DG_ENOMEM.
 */
DG_NODISCARD int dg_zones_add_entry(struct dg_policy *p, const char *text,
				    const char *file, unsigned line,
				    struct dg_diag *d);

/*
 * Parse an inline list (`allow = a.example, *.b.example depth=2`): entries
 * separated by commas; inside `types=` the commas separate types, so an
 * entry ends at a comma followed by a blank, or at a comma outside an
 * option. A comma before an option (`depth=1,types=A`) would make the
 * option an entry of its own: that entry is refused, with its text as it
 * should be written (`depth=1 types=A`).
 * @return 0, DG_EMALFORMED (reported) or DG_ENOMEM.
 */
DG_NODISCARD int dg_zones_add_inline(struct dg_policy *p, const char *list,
				     const char *file, unsigned line,
				     struct dg_diag *d);

/*
 * Load a zones file. A missing or unreadable file is an error, reported at
 * ref_file:ref_line (the config line that named it) when ref_file is set.
 * @return 0, DG_EMALFORMED (reported) or DG_ENOMEM.
 */
DG_NODISCARD int dg_zones_load_file(struct dg_policy *p, const char *path,
				    struct dg_diag *d, const char *ref_file,
				    unsigned ref_line);

/* An entry in zones syntax, e.g. `*.example.com depth=1 types=A,AAAA`. */
size_t dg_zones_format_entry(const struct dg_policy *p,
			     const struct dg_entry *e, char *buf, size_t size);
