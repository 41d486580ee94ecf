/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * name: domain names in uncompressed wire format (RFC 1035 3.1), without
 * ldns. A name is a sequence of labels, each a length byte (1..63) and that
 * many bytes, ended by the zero-length root label; at most 255 bytes.
 *
 * Every function but dg_name_check() takes a name that dg_name_check() has
 * accepted: validate once at the boundary, then walk without re-checking
 * (as Knot's knot_dname_wire_check). Labels are opaque byte strings: a label
 * holding a '.' or a NUL byte is one label. Comparison folds ASCII case only
 * (RFC 4343). Pure: no I/O, no allocation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

#define DG_NAME_MAXLEN 255  /* wire bytes, RFC 1035 2.3.4 */
#define DG_LABEL_MAXLEN 63
#define DG_NAME_MAXLABELS 127 /* 255 bytes hold at most 127 one-byte labels */
/* Room for any name in presentation form: every byte as \DDD, plus dots. */
#define DG_NAME_STRLEN (DG_NAME_MAXLEN * 4 + 1)

/*
 * Check that name[0..maxlen) starts with a valid uncompressed wire name.
 * Compression pointers and extended label types are rejected.
 * @return its wire length (1..255), or DG_EMALFORMED.
 */
int dg_name_check(const uint8_t *name, size_t maxlen);

/* Wire length of a checked name, the final zero byte included. */
size_t dg_name_length(const uint8_t *name);

/* Number of labels, the root not counted ("." has 0, "a.b" has 2). */
unsigned dg_name_labels(const uint8_t *name);

/*
 * Offsets of the labels' length bytes, left to right, into off[]
 * (which holds DG_NAME_MAXLABELS). @return the number of labels.
 */
unsigned dg_name_label_offsets(const uint8_t *name, uint8_t *off);

/* Equal up to ASCII case. */
bool dg_name_equal(const uint8_t *a, const uint8_t *b);

/*
 * How many labels `name` has below `zone`: 0 when equal, N when name ends
 * with zone and has N more labels, -1 when name is not at or under zone.
 * Compared label by label, so "xexample.com" is not under "example.com".
 */
int dg_name_depth_under(const uint8_t *name, const uint8_t *zone);

/*
 * A hash of (name up to ASCII case, type, class) under a secret key: the
 * key of the cache and of the fetches in flight, whose names a client
 * chooses (hash.h says why it is keyed).
 */
uint32_t dg_name_key_hash(const struct dg_hash_key *key, const uint8_t *name,
			  uint16_t qtype, uint16_t qclass);

/* Copy a checked name to dst (DG_NAME_MAXLEN bytes), ASCII-lowercased. */
void dg_name_lower(uint8_t *dst, const uint8_t *src);

/* Every byte, 'A'..'Z' folded: one load where every name is hashed or
 * compared, several times a query. */
extern const uint8_t dg_ascii_lower_table[256];

static inline uint8_t dg_ascii_lower(uint8_t c)
{
	return dg_ascii_lower_table[c];
}

/*
 * Presentation form without the final dot ("." for the root). Bytes outside
 * printable ASCII become \DDD and the characters . \ " ( ) ; @ $ are
 * backslash-escaped, so the text names exactly one wire name and cannot
 * break a log line. Writes at most size bytes, always NUL-terminated when
 * size > 0.
 * @return the length of the full text, as snprintf.
 */
size_t dg_name_to_str(const uint8_t *name, char *buf, size_t size);
