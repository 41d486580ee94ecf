/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * localdata: [local] records and their responses. See localdata.h.
 */
#include "localdata.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "zones.h"

/* NAME [TTL] [IN] TYPE DATA: five words at most. */
#define WORDS_MAX 5
/* RFC 2181 8: a TTL is a 31-bit number. */
#define TTL_MAX 2147483647UL

/* The data of a record of type rr->type, from its presentation form. */
static bool parse_rdata(struct dg_local_rr *rr, const char *s)
{
	switch (rr->type) {
	case DG_RR_TYPE_A:
		rr->rdlen = 4;
		return inet_pton(AF_INET, s, rr->rdata) == 1;
	case DG_RR_TYPE_AAAA:
		rr->rdlen = 16;
		return inet_pton(AF_INET6, s, rr->rdata) == 1;
	default:
		if (dg_zones_name_from_str(s, rr->rdata, NULL) != 0)
			return false;
		dg_name_lower(rr->rdata, rr->rdata);
		rr->rdlen = (uint16_t)dg_name_length(rr->rdata);
		return true;
	}
}

/* Why rr cannot join ld's records, or NULL; *first: the line of the one
 * it clashes with. */
static const char *clash(const struct dg_localdata *ld,
			 const struct dg_local_rr *rr, unsigned *first)
{
	for (size_t i = 0; i < ld->n; i++) {
		const struct dg_local_rr *o = &ld->rr[i];

		if (!dg_name_equal(o->name, rr->name))
			continue;
		*first = o->line;
		if (o->type == DG_RR_TYPE_CNAME || rr->type == DG_RR_TYPE_CNAME)
			return "a CNAME cannot share its name with another "
			       "record";
		if (o->type == rr->type && o->rdlen == rr->rdlen &&
		    memcmp(o->rdata, rr->rdata, rr->rdlen) == 0)
			return "repeated record";
	}
	return NULL;
}

/* Split text at blanks into at most WORDS_MAX words; false when more. */
static bool split(char *text, char **word, size_t *n)
{
	char *save = NULL;

	*n = 0;
	for (char *w = strtok_r(text, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		if (*n == WORDS_MAX)
			return false;
		word[(*n)++] = w;
	}
	return true;
}

/* Parse text into *rr; NULL, or why not (bad names the word in *what). */
static const char *parse(char *text, struct dg_local_rr *rr,
			 const char **what)
{
	char *word[WORDS_MAX];
	size_t n, i = 1;
	unsigned long ttl = DG_LOCAL_TTL;

	if (!split(text, word, &n) || n < 3)
		return "expected NAME [TTL] [IN] TYPE DATA";
	*what = word[0];
	if (dg_zones_name_from_str(word[0], rr->name, NULL) != 0)
		return "is not a name";
	dg_name_lower(rr->name, rr->name);
	if (isdigit((unsigned char)word[i][0])) {
		*what = word[i];
		if (!dg_parse_ulong(word[i], 0, TTL_MAX, &ttl))
			return "is not a TTL (0 to 2147483647 seconds)";
		i++;
	}
	if (i < n && strcasecmp(word[i], "IN") == 0)
		i++;
	if (n - i != 2)
		return "expected NAME [TTL] [IN] TYPE DATA";
	rr->ttl = (uint32_t)ttl;
	*what = word[i];
	if (dg_zones_type_from_str(word[i], &rr->type) != 0 ||
	    (rr->type != DG_RR_TYPE_A && rr->type != DG_RR_TYPE_AAAA &&
	     rr->type != DG_RR_TYPE_CNAME))
		return "is not A, AAAA or CNAME";
	*what = word[i + 1];
	if (!parse_rdata(rr, word[i + 1]))
		return rr->type == DG_RR_TYPE_CNAME ? "is not a name"
						    : "is not an address of "
						      "the type";
	return NULL;
}

int dg_localdata_add(struct dg_localdata *ld, const char *text,
		     const char *file, unsigned line, struct dg_diag *d)
{
	struct dg_local_rr rr = { .line = line };
	const char *what = NULL, *why;
	char *copy = strdup(text);
	unsigned first = 0;

	if (copy == NULL)
		return DG_ENOMEM;
	why = parse(copy, &rr, &what);
	if (why != NULL) {
		if (what != NULL && strncmp(why, "expected", 8) != 0)
			dg_diag_error(d, file, line, "local: '%s' %s", what,
				      why);
		else
			dg_diag_error(d, file, line, "local: '%s': %s", text,
				      why);
		free(copy);
		return DG_EMALFORMED;
	}
	free(copy);
	why = clash(ld, &rr, &first);
	if (why != NULL) {
		dg_diag_error(d, file, line, "local: '%s': %s (line %u)", text,
			      why, first);
		return DG_EMALFORMED;
	}
	if (dg_grow(&ld->rr, &ld->cap, ld->n + 1, sizeof(*ld->rr)) != 0)
		return DG_ENOMEM;
	ld->rr[ld->n++] = rr;
	return 0;
}

void dg_localdata_free(struct dg_localdata *ld)
{
	free(ld->rr);
	*ld = (struct dg_localdata){ 0 };
}

bool dg_localdata_has(const struct dg_localdata *ld, const uint8_t *name)
{
	for (size_t i = 0; i < ld->n; i++)
		if (dg_name_equal(ld->rr[i].name, name))
			return true;
	return false;
}

/* A message being written; oom once a write failed. */
struct out {
	uint8_t *v;
	size_t n, cap;
	bool oom;
};

static void put(struct out *o, const void *p, size_t len)
{
	if (o->oom || dg_grow(&o->v, &o->cap, o->n + len, 1) != 0) {
		o->oom = true;
		return;
	}
	memcpy(o->v + o->n, p, len);
	o->n += len;
}

static void put16(struct out *o, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(o, b, sizeof(b));
}

static void put_rr(struct out *o, const struct dg_local_rr *rr)
{
	uint8_t ttl[4] = { (uint8_t)(rr->ttl >> 24), (uint8_t)(rr->ttl >> 16),
			   (uint8_t)(rr->ttl >> 8), (uint8_t)rr->ttl };

	put(o, rr->name, dg_name_length(rr->name));
	put16(o, rr->type);
	put16(o, 1 /* IN */);
	put(o, ttl, sizeof(ttl));
	put16(o, rr->rdlen);
	put(o, rr->rdata, rr->rdlen);
}

/* The records of name for qtype into o; @return its CNAME, if any (not
 * written when qtype is CNAME: then it is the answer itself). */
static const struct dg_local_rr *put_records(const struct dg_localdata *ld,
					     const uint8_t *name,
					     uint16_t qtype, struct out *o,
					     uint16_t *count)
{
	const struct dg_local_rr *cname = NULL;

	for (size_t i = 0; i < ld->n; i++) {
		const struct dg_local_rr *rr = &ld->rr[i];

		if (!dg_name_equal(rr->name, name))
			continue;
		if (rr->type == DG_RR_TYPE_CNAME && qtype != DG_RR_TYPE_CNAME)
			cname = rr;
		else if (rr->type != qtype)
			continue;
		put_rr(o, rr);
		(*count)++;
	}
	return cname;
}

int dg_localdata_response(const struct dg_localdata *ld, const uint8_t *qname,
			  uint16_t qtype, uint8_t **out, size_t *len)
{
	/* ID 0 (never matched: the response goes no further than us), QR
	 * RD RA, NOERROR, one question; ANCOUNT written at the end. The
	 * client's flags are dnsgate's own, as for any answer. */
	static const uint8_t header[DG_WIRE_HEADER] = { 0, 0, 0x81, 0x80,
							0, 1 };
	struct out o = { 0 };
	const uint8_t *name = qname;
	uint16_t count = 0;

	put(&o, header, sizeof(header));
	put(&o, qname, dg_name_length(qname));
	put16(&o, qtype);
	put16(&o, 1 /* IN */);
	for (unsigned link = 0; link <= DG_LOCAL_CHAIN; link++) {
		const struct dg_local_rr *cname =
			put_records(ld, name, qtype, &o, &count);

		if (cname == NULL || !dg_localdata_has(ld, cname->rdata))
			break;
		name = cname->rdata;
	}
	if (o.oom) {
		free(o.v);
		return DG_ENOMEM;
	}
	o.v[6] = (uint8_t)(count >> 8);
	o.v[7] = (uint8_t)count;
	*out = o.v;
	*len = o.n;
	return 0;
}
