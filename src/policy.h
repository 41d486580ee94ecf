/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy: the allowlist and the decision. Given a question (a checked wire
 * name, a type and a class) it says allow or deny, which entry allowed it
 * or stands behind the denial, and the first reason that applies in the
 * fixed order of DESIGN.md:
 *   malformed, opcode, class, qtype, label-length, name-length, charset,
 *   not-listed, too-deep, budget,
 * and then, in the answer, cname.
 * (malformed and opcode are found by the wire layer before a question
 * exists; budget by the tunnel budget. Their names live here so that every
 * denial has one vocabulary.)
 *
 * Entries are a union: a question is allowed when at least one entry covers
 * its name (at most `depth` labels below the entry's name) and its type.
 * Lookup walks a trie of labels from the root down, one hash probe per
 * label, so its cost follows the number of labels in the question, not the
 * number of entries.
 *
 * Pure: no I/O, no clock, no ldns. A policy is built once (dg_policy_add),
 * then only read, so a served snapshot may share it freely.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum dg_reason {
	DG_REASON_NONE = 0,
	DG_REASON_MALFORMED,
	DG_REASON_OPCODE,
	DG_REASON_CLASS,
	DG_REASON_QTYPE,
	DG_REASON_LABEL_LENGTH,
	DG_REASON_NAME_LENGTH,
	DG_REASON_CHARSET,
	DG_REASON_NOT_LISTED,
	DG_REASON_TOO_DEEP,
	DG_REASON_BUDGET,
	/* Found in the upstream's answer, after the question was allowed:
	 * with cname = strict, a CNAME target that is not allowed. */
	DG_REASON_CNAME,
};
#define DG_REASON_COUNT (DG_REASON_CNAME + 1)

/* "not-listed", "too-deep", …; "none" for DG_REASON_NONE. */
const char *dg_reason_name(enum dg_reason reason);

/* A set of query types, sorted and without repeats. Owns `types`. */
struct dg_typeset {
	size_t n;
	size_t cap;
	uint16_t *types;
};

void dg_typeset_init(struct dg_typeset *s);
void dg_typeset_deinit(struct dg_typeset *s);
DG_NODISCARD int dg_typeset_add(struct dg_typeset *s, uint16_t type);
bool dg_typeset_has(const struct dg_typeset *s, uint16_t type);
bool dg_typeset_equal(const struct dg_typeset *a, const struct dg_typeset *b);
DG_NODISCARD int dg_typeset_copy(struct dg_typeset *dst,
				 const struct dg_typeset *src);

enum dg_charset {
	DG_CHARSET_LDH_UNDERSCORE = 0, /* letters, digits, '-', '_' */
	DG_CHARSET_LDH,                /* letters, digits, '-' */
};

/* The global limits, checked before the allowlist for every question. */
struct dg_limits {
	struct dg_typeset default_types; /* types every entry allows */
	unsigned max_label_length;       /* 1..63 */
	unsigned max_name_length;        /* 1..253: bytes as written, no final dot */
	enum dg_charset charset;
};

/* One allowlist entry. Owned by its policy; read-only once added. */
struct dg_entry {
	uint32_t node;       /* the trie node of the entry's name */
	uint32_t next;       /* next entry on the same node, or DG_NONE */
	uint32_t typeset;    /* index into the policy's typesets; 0: the defaults */
	uint32_t source;     /* index of the file it came from (dg_policy_source) */
	uint32_t line;       /* line in that file, 0 when none */
	uint8_t depth;       /* labels allowed below the name */
	bool wildcard;       /* written as *.NAME (kept to print it back alike) */
	bool private_allow;  /* answers may hold private addresses */
};

#define DG_NONE UINT32_MAX

/* What a caller hands dg_policy_add(). The policy copies what it keeps. */
struct dg_entry_spec {
	const uint8_t *name;             /* checked wire name, any case */
	unsigned depth;                  /* 0..DG_NAME_MAXLABELS */
	bool wildcard;
	bool private_allow;
	const struct dg_typeset *types;  /* NULL: the default types */
	uint32_t source;
	uint32_t line;
};

struct dg_question {
	const uint8_t *name; /* checked wire name (dg_name_check) */
	uint16_t qtype;
	uint16_t qclass;
};

struct dg_verdict {
	bool allow;
	enum dg_reason reason;        /* DG_REASON_NONE when allowed */
	/* The entry that allowed the question, or for too-deep and qtype the
	 * closest entry that fell short; NULL when no entry applies. */
	const struct dg_entry *entry;
	/* Some entry covers the name at this depth: a denied type then gets
	 * NOERROR with no data rather than NXDOMAIN (the name exists). */
	bool name_allowed;
	/* Allowed: how many labels the name has below the entry's name
	 * (0 for the entry's name itself; the tunnel budget counts only
	 * names below). */
	unsigned depth;
};

struct dg_policy;

/* A new, empty policy with the default limits. NULL when out of memory. */
DG_NODISCARD struct dg_policy *dg_policy_new(void);
void dg_policy_free(struct dg_policy *p);

/* The limits, to read or to set while building. */
struct dg_limits *dg_policy_limits(struct dg_policy *p);
const struct dg_limits *dg_policy_limits_const(const struct dg_policy *p);

/*
 * Remember a file name so entries can point back to it.
 * @return 0 and its index in *index, or DG_ENOMEM.
 */
DG_NODISCARD int dg_policy_add_source(struct dg_policy *p, const char *file,
				      uint32_t *index);
/* The file name of a source index ("" when out of range). */
const char *dg_policy_source(const struct dg_policy *p, uint32_t index);

/*
 * Add an entry. The root name cannot be an entry.
 * @return 0, DG_EMALFORMED (root, depth out of range) or DG_ENOMEM.
 */
DG_NODISCARD int dg_policy_add(struct dg_policy *p,
			       const struct dg_entry_spec *spec);

size_t dg_policy_count(const struct dg_policy *p);

/* The index of an entry of p, as dg_policy_entry() takes it. */
uint32_t dg_policy_entry_index(const struct dg_policy *p,
			       const struct dg_entry *e);
const struct dg_entry *dg_policy_entry(const struct dg_policy *p, size_t i);

/* The entry's name, lowercased, in wire form into out (DG_NAME_MAXLEN). */
void dg_policy_entry_name(const struct dg_policy *p,
			  const struct dg_entry *e, uint8_t *out);

/* The entry's own types, or NULL when it uses the default types. */
const struct dg_typeset *dg_policy_entry_types(const struct dg_policy *p,
					       const struct dg_entry *e);

/*
 * May a client of `policy` (a const struct dg_policy *) ask for name (wire)
 * and qtype? The shape scrub's cname = strict check takes, so scrub asks
 * the policy itself and nothing above it.
 */
bool dg_policy_allows(void *policy, const uint8_t *name, uint16_t qtype);

/* Decide a question. Never fails; *v is always written. */
void dg_policy_decide(const struct dg_policy *p, const struct dg_question *q,
		      struct dg_verdict *v);
