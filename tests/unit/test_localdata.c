/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_localdata: [local] lines parsed into records, their errors with
 * file and line, and the responses the records make (parsed back through
 * wire.c, as the server does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "localdata.h"
#include "response.h"
#include "scrub.h"
#include "tap.h"
#include "wire.h"
#include "zones.h"

/* Add text as line 7 of t.conf: want "" accepted, else that message. */
static void check_line(struct dg_localdata *ld, const char *text,
		       const char *want)
{
	struct capture c;
	int rc;

	cap_open(&c);
	rc = dg_localdata_add(ld, text, "t.conf", 7, &c.d);
	if (*want == '\0')
		ok(rc == 0 && c.d.errors == 0, "'%s' accepted", text);
	else
		ok(rc == DG_EMALFORMED && c.d.errors == 1,
		   "'%s' refused", text);
	is_str(cap_text(&c), want, "'%s': message", text);
	cap_close(&c);
}

static void test_parse(void)
{
	struct dg_localdata ld = { 0 };

	check_line(&ld, "registry.internal A 10.0.0.5", "");
	check_line(&ld, "registry.internal 300 IN A 10.0.0.6", "");
	check_line(&ld, "Registry.Internal. AAAA fd00::5", "");
	check_line(&ld, "git.internal 60 CNAME registry.internal", "");
	is_int(ld.n, 4, "four records");
	is_int(ld.rr[0].ttl, DG_LOCAL_TTL, "no TTL: the default");
	is_int(ld.rr[1].ttl, 300, "a TTL as given");
	is_int(ld.rr[2].type, DG_RR_TYPE_AAAA, "AAAA");
	is_int(ld.rr[3].rdlen, 19, "a CNAME's data is its target's wire name");

	check_line(&ld, "registry.internal A 10.0.0.5",
		   "t.conf:7: local: 'registry.internal A 10.0.0.5': repeated "
		   "record (line 7)");
	check_line(&ld, "git.internal A 10.0.0.7",
		   "t.conf:7: local: 'git.internal A 10.0.0.7': a CNAME cannot "
		   "share its name with another record (line 7)");
	check_line(&ld, "registry.internal CNAME x.internal",
		   "t.conf:7: local: 'registry.internal CNAME x.internal': a "
		   "CNAME cannot share its name with another record (line 7)");
	check_line(&ld, "a..internal A 10.0.0.1",
		   "t.conf:7: local: 'a..internal' is not a name");
	check_line(&ld, "x.internal MX mail.internal",
		   "t.conf:7: local: 'MX' is not A, AAAA or CNAME");
	check_line(&ld, "x.internal TXT hello",
		   "t.conf:7: local: 'TXT' is not A, AAAA or CNAME");
	check_line(&ld, "x.internal A 10.0.0.300",
		   "t.conf:7: local: '10.0.0.300' is not an address of the "
		   "type");
	check_line(&ld, "x.internal AAAA 10.0.0.1",
		   "t.conf:7: local: '10.0.0.1' is not an address of the type");
	check_line(&ld, "x.internal 99999999999 A 10.0.0.1",
		   "t.conf:7: local: '99999999999' is not a TTL (0 to "
		   "2147483647 seconds)");
	check_line(&ld, "x.internal A",
		   "t.conf:7: local: 'x.internal A': expected NAME [TTL] [IN] "
		   "TYPE DATA");
	check_line(&ld, "x.internal A 10.0.0.1 extra",
		   "t.conf:7: local: 'x.internal A 10.0.0.1 extra': expected "
		   "NAME [TTL] [IN] TYPE DATA");
	check_line(&ld, "x.internal 1 IN A 10.0.0.1 extra",
		   "t.conf:7: local: 'x.internal 1 IN A 10.0.0.1 extra': "
		   "expected NAME [TTL] [IN] TYPE DATA");
	is_int(ld.n, 4, "refused lines added nothing");
	dg_localdata_free(&ld);
}

static void wire_name(const char *text, uint8_t *out)
{
	if (dg_zones_name_from_str(text, out, NULL) != 0)
		exit(99);
}

/* The response to (name, qtype), through the upstream's check and the
 * answer builder as the server takes it (private addresses allowed):
 * its rcode and the records the client gets. */
static void answer(const struct dg_localdata *ld, const char *name,
		   uint16_t qtype, unsigned *rcode, unsigned *ancount)
{
	const struct dg_ttl_policy ttl = { 0, 86400, 60 };
	const struct dg_scrub_policy sp = { .private_allow = true };
	struct dg_scrub_report report;
	uint8_t q[DG_NAME_MAXLEN];
	struct dg_response resp = { 0 };
	struct dg_answer *a = NULL;
	uint8_t *pkt = NULL;
	size_t len = 0;

	*rcode = 99;
	*ancount = 99;
	wire_name(name, q);
	if (dg_localdata_response(ld, q, qtype, &pkt, &len) != 0)
		return;
	if (dg_response_parse(pkt, len, &resp) == 0 &&
	    dg_response_answer(&resp, q, qtype, &ttl, &sp, &report, &a) == 0) {
		*rcode = a->rcode;
		*ancount = a->ancount;
		dg_answer_unref(a);
	}
	dg_response_free(&resp);
	free(pkt);
}

static void test_response(void)
{
	struct dg_localdata ld = { 0 };
	struct capture c;
	static const char *const lines[] = {
		"registry.internal A 10.0.0.5",
		"registry.internal A 10.0.0.6",
		"registry.internal AAAA fd00::5",
		"git.internal CNAME registry.internal",
		"docs.internal CNAME www.example.com",
		"loop1.internal CNAME loop2.internal",
		"loop2.internal CNAME loop1.internal",
	};
	unsigned rcode, an;
	uint8_t q[DG_NAME_MAXLEN];

	cap_open(&c);
	for (size_t i = 0; i < DG_ARRAY_SIZE(lines); i++)
		if (dg_localdata_add(&ld, lines[i], "t.conf", 1, &c.d) != 0)
			exit(99);
	cap_close(&c);
	wire_name("REGISTRY.internal", q);
	ok(dg_localdata_has(&ld, q), "a local name, whatever its case");
	wire_name("x.registry.internal", q);
	ok(!dg_localdata_has(&ld, q), "a name under it is not local");

	answer(&ld, "registry.internal", DG_RR_TYPE_A, &rcode, &an);
	ok(rcode == 0 && an == 2, "A: both addresses (rcode %u, %u)", rcode,
	   an);
	answer(&ld, "registry.internal", DG_RR_TYPE_AAAA, &rcode, &an);
	ok(rcode == 0 && an == 1, "AAAA: its one address");
	answer(&ld, "registry.internal", 16 /* TXT */, &rcode, &an);
	ok(rcode == 0 && an == 0, "another type: NODATA");
	answer(&ld, "git.internal", DG_RR_TYPE_A, &rcode, &an);
	ok(rcode == 0 && an == 3, "a CNAME followed through local data");
	answer(&ld, "git.internal", DG_RR_TYPE_CNAME, &rcode, &an);
	ok(rcode == 0 && an == 1, "CNAME asked: the CNAME alone");
	answer(&ld, "docs.internal", DG_RR_TYPE_A, &rcode, &an);
	ok(rcode == 0 && an == 1, "a target without local data: the CNAME");
	answer(&ld, "loop1.internal", DG_RR_TYPE_A, &rcode, &an);
	/* Local data stops after DG_LOCAL_CHAIN links, and the scrub keeps
	 * a chain's records once each. */
	ok(rcode == 0 && an == 2, "a loop ends: each CNAME once (%u)", an);
	dg_localdata_free(&ld);
}

int main(void)
{
	test_parse();
	test_response();
	return done_testing();
}
