/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wire: DNS messages in and out. The one module that turns bytes from the
 * network into our structs and back:
 *   - client queries: header checks on raw bytes, then the question and the
 *     EDNS OPT record, parsed by hand with strict bounds (as Unbound's
 *     worker_check_request and query_info_parse): a query is a header, one
 *     name and at most one OPT, and the name must stay in wire form;
 *   - local answers: FORMERR, NOTIMP, SERVFAIL, denials with a synthesized
 *     SOA, and the client's EDNS echoed, with an Extended DNS Error saying
 *     why when asked;
 *   - upstream queries (our own ID, lowercased name, EDNS 1232, no client
 *     options) and the match of a response against them;
 *   - every answer encoded from a struct dg_answer (the answer section
 *     only, names uncompressed: response.h makes one from an upstream's
 *     response), never relayed.
 * No I/O, no ldns: every byte is read with its bounds checked here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define DG_WIRE_HEADER 12
#define DG_WIRE_MAX 65535       /* a DNS message over TCP */
#define DG_WIRE_UDP_DEFAULT 512 /* without EDNS, RFC 1035 */
#define DG_EDNS_SIZE 1232       /* our EDNS buffer, RFC 9715 advice */

#define DG_RCODE_NOERROR 0
#define DG_RCODE_FORMERR 1
#define DG_RCODE_SERVFAIL 2
#define DG_RCODE_NXDOMAIN 3
#define DG_RCODE_NOTIMP 4
#define DG_RCODE_REFUSED 5
#define DG_RCODE_BADVERS 16

#define DG_RR_TYPE_A 1     /* RFC 1035 */
#define DG_RR_TYPE_NS 2    /* RFC 1035 */
#define DG_RR_TYPE_CNAME 5 /* RFC 1035 */
#define DG_RR_TYPE_AAAA 28 /* RFC 3596 */
#define DG_RR_TYPE_SVCB 64 /* RFC 9460 */
#define DG_RR_TYPE_HTTPS 65 /* RFC 9460 */

/* Network byte order; the caller checked the bytes are there. */
static inline uint16_t dg_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dg_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void dg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void dg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* What to do with a client message after the header checks. */
enum dg_wire_check {
	DG_WIRE_OK = 0,
	DG_WIRE_DROP,    /* not a query we answer at all (too short, QR set) */
	DG_WIRE_FORMERR, /* answer FORMERR: reason malformed */
	DG_WIRE_NOTIMP,  /* answer NOTIMP: reason opcode */
	DG_WIRE_BADVERS, /* EDNS version above 0: answer BADVERS */
};

/* A parsed client query. Points into the message it came from. */
struct dg_query_info {
	uint16_t id;
	uint16_t flags;          /* the header's second 16 bits */
	const uint8_t *qname;    /* checked wire name, the client's case */
	size_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	size_t question_end;     /* offset just past the question */
	bool edns;               /* an OPT record was present */
	uint16_t edns_size;      /* its UDP size (512 when below) */
	bool edns_do;
};

/*
 * Check and parse a client query. *q is filled as far as the message
 * allowed (id always when len >= 2; the question when it parsed).
 */
enum dg_wire_check dg_wire_parse_query(const uint8_t *pkt, size_t len,
				       struct dg_query_info *q);

/* The largest answer the client takes over UDP: EDNS size capped, or 512. */
size_t dg_wire_udp_limit(const struct dg_query_info *q, size_t cap);

/*
 * An answer without records: `rcode` for the query q (whose question, if
 * parsed, is echoed from pkt), with our SOA in authority when `soa_ttl` is
 * not UINT32_MAX, and an OPT when the query had one.
 * @return the length written to out, or 0 when cap is too small.
 */
size_t dg_wire_build_empty(const uint8_t *pkt, size_t len,
			   const struct dg_query_info *q, bool question_ok,
			   unsigned rcode, uint32_t soa_ttl, uint8_t *out,
			   size_t cap);

/* Extended DNS Error INFO-CODEs (RFC 8914 4) that denials carry. */
#define DG_EDE_BLOCKED 15    /* the operator's policy blocks the question */
#define DG_EDE_PROHIBITED 18 /* the client is refused, not the name */

/*
 * Add an Extended DNS Error (RFC 8914) option, INFO-CODE `code` and
 * EXTRA-TEXT `text` (UTF-8, sent without its NUL), to the OPT record that
 * ends out: n bytes that dg_wire_build_empty or dg_wire_encode_answer
 * wrote for q, in a buffer of at least limit bytes. Only when q had EDNS: RFC 8914 has no other place for it.
 * The reply stays within limit: the text is cut (at a character boundary)
 * to fit, and with no room for even the bare option none is added. Never
 * sets TC: the option explains, the answer does not need it.
 * @return the new length (n when nothing was added).
 */
size_t dg_wire_add_ede(uint8_t *out, size_t n, size_t limit,
		       const struct dg_query_info *q, uint16_t code,
		       const char *text);

/*
 * Our query to an upstream: id, RD, the name lowercased, EDNS 1232 and
 * nothing of the client's. @return the length, or 0 when cap is too small.
 */
size_t dg_wire_build_upstream_query(const uint8_t *qname, uint16_t qtype,
				    uint16_t qclass, uint16_t id, uint8_t *out,
				    size_t cap);

/*
 * Does pkt answer our query (QR set, same ID, one question equal to ours
 * up to case)? @return 0, or DG_EMISMATCH / DG_EMALFORMED.
 */
int dg_wire_match_response(const uint8_t *pkt, size_t len, uint16_t id,
			   const uint8_t *qname, uint16_t qtype,
			   uint16_t qclass);

/* The TC bit of a response header (len >= 12). */
bool dg_wire_truncated(const uint8_t *pkt, size_t len);

/* The response code in a response header (len >= 12). */
unsigned dg_wire_rcode(const uint8_t *pkt, size_t len);

/*
 * A cleaned answer, as the cache keeps it: the response code and the
 * answer section re-serialized without compression. Refcounted: the fetch
 * that parsed it and the cache that keeps it each hold a reference.
 */
struct dg_answer {
	unsigned refs;
	uint8_t rcode;
	uint8_t reason;  /* an enum dg_reason when the answer is a denial */
	uint16_t ancount;
	uint16_t scrubbed; /* records and address hints scrubbing removed */
	uint32_t ttl;  /* how long it may be kept, clamped */
	size_t len;    /* bytes of rrs */
	uint8_t rrs[]; /* ancount records: owner, type, class, TTL, rdlength, rdata */
};

/* One record of an answer, in place in its rrs. */
struct dg_rr {
	const uint8_t *owner; /* wire name, uncompressed */
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
	size_t len; /* of the whole record */
};

/* The record at *pos of rrs[0, len), records laid out whole as in a
 * dg_answer (start at 0), and *pos moved past it.
 * @return false after the last one. */
bool dg_rr_next(const uint8_t *rrs, size_t len, size_t *pos, struct dg_rr *rr);

static inline bool dg_answer_next(const struct dg_answer *a, size_t *pos,
				  struct dg_rr *rr)
{
	return dg_rr_next(a->rrs, a->len, pos, rr);
}

/* TTL bounds applied to upstream answers. */
struct dg_ttl_policy {
	uint32_t min_ttl;
	uint32_t max_ttl;
	uint32_t negative_ttl; /* cap for NXDOMAIN/NODATA */
};

void dg_answer_ref(struct dg_answer *a);
/* Drop a reference; the last one frees. NULL is allowed. */
void dg_answer_unref(struct dg_answer *a);

/* An answer with no records (a denial found in an answer), one reference. */
DG_NODISCARD struct dg_answer *dg_answer_new_empty(unsigned rcode,
						   uint32_t ttl,
						   uint8_t reason);

/*
 * Encode answer `a` for the client query q (question echoed from pkt),
 * TTLs reduced by `elapsed` seconds, in at most `limit` bytes: records
 * that do not fit are left out whole and TC is set.
 * @return the length written, or 0 when even the header does not fit.
 */
size_t dg_wire_encode_answer(const struct dg_answer *a, const uint8_t *pkt,
			     const struct dg_query_info *q, uint32_t elapsed,
			     uint32_t negative_ttl, size_t limit, uint8_t *out,
			     size_t cap);
