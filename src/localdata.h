/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * localdata: fixed A, AAAA and CNAME records from the [local] section
 * (`local = NAME [TTL] [IN] TYPE DATA`, close to Unbound's local-data),
 * and the DNS response they make for a question.
 *
 * The response is a plain upstream-shaped message: the server feeds it
 * through dg_response_parse() and dg_response_answer() like an
 * upstream's, so local records meet the same answer policy (the private
 * address scrub, the CNAME check, the TTL clamps, the nft sets and the
 * query log). A local record allows nothing: the allowlist has decided
 * before it is looked up.
 *
 * A name with local records answers from them alone: NOERROR with no
 * records (NODATA) for a type it lacks. A CNAME is followed through local
 * records only (at most DG_LOCAL_CHAIN links); a target without any ends
 * the answer at the CNAME, which a client then asks for itself.
 *
 * Pure: no I/O. Names and type mnemonics go through zones.h; problems are
 * reported as `FILE:LINE: local: problem`. Lookups scan the records: a
 * [local] section holds tens of names, not a zone.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "name.h"
#include "util.h"
#include "wire.h"

#define DG_LOCAL_TTL 3600   /* a record's TTL when its line gives none */
#define DG_LOCAL_CHAIN 8    /* CNAME links followed in one answer */

struct dg_local_rr {
	uint8_t name[DG_NAME_MAXLEN]; /* wire form, lowercased */
	uint16_t type;                /* A, AAAA or CNAME */
	uint16_t rdlen;
	uint32_t ttl;
	uint8_t rdata[DG_NAME_MAXLEN]; /* address, or target name lowercased */
	unsigned line;
};

/* The records of one configuration. Owns rr; zeroed is empty. */
struct dg_localdata {
	struct dg_local_rr *rr;
	size_t n, cap;
};

/*
 * Parse one `local =` value and add its record. A repeated record, or a
 * CNAME next to any other record of its name, is an error (RFC 1034 3.6.2).
 * @return 0, DG_EMALFORMED (reported to d at file:line) or DG_ENOMEM.
 */
DG_NODISCARD int dg_localdata_add(struct dg_localdata *ld, const char *text,
				  const char *file, unsigned line,
				  struct dg_diag *d);

void dg_localdata_free(struct dg_localdata *ld);

/* Has the name (a checked wire name) any local record? */
bool dg_localdata_has(const struct dg_localdata *ld, const uint8_t *name);

/*
 * The response of local data to (qname, qtype, class IN), qname having
 * local records: a header (QR, RD, RA, NOERROR), the question as
 * asked, and the records of the answer, uncompressed.
 * @return 0 and *out, *len (the caller frees *out with free()), or
 * DG_ENOMEM.
 */
DG_NODISCARD int dg_localdata_response(const struct dg_localdata *ld,
				       const uint8_t *qname, uint16_t qtype,
				       uint8_t **out, size_t *len);
