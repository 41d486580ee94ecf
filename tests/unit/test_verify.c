/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_verify: the names `firewall --verify` asks. The checks themselves
 * need packets and rules: tests/firewall/t_verify.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "policy.h"
#include "tap.h"
#include "verify.h"
#include "zones.h"

/* A policy of the inline list (zones syntax), or NULL. */
static struct dg_policy *policy_of(const char *list)
{
	struct dg_policy *p = dg_policy_new();
	struct dg_diag d;

	dg_diag_init(&d, stderr);
	if (p != NULL && *list != '\0' &&
	    dg_zones_add_inline(p, list, "test", 1, &d) != 0) {
		dg_policy_free(p);
		return NULL;
	}
	return p;
}

int main(void)
{
	char buf[256];
	struct dg_policy *p;

	p = policy_of("*.wild.example, www.Example.COM, api.example.org");
	ok(p != NULL && dg_verify_allowed_name(p, buf, sizeof(buf)) == 0,
	   "a plain name is found");
	is_str(buf, "www.example.com",
	       "the first plain name, not the wildcard before it, lowercased");
	ok(dg_verify_denied_name(p, 0x1234abcdULL, buf, sizeof(buf)) == 0,
	   "the fresh name is denied");
	is_str(buf, "dnsgate-verify-000000001234abcd.invalid",
	       "a label from the nonce, under invalid.");
	dg_policy_free(p);

	p = policy_of("*.only.example");
	ok(p != NULL && dg_verify_allowed_name(p, buf, sizeof(buf)) ==
				 DG_EMALFORMED,
	   "only wildcards: no plain name");
	is_str(buf, "", "and the buffer says nothing");
	dg_policy_free(p);

	p = policy_of("example.net types=AAAA, example.org");
	ok(p != NULL && dg_verify_allowed_name(p, buf, sizeof(buf)) == 0,
	   "an entry whose types exclude A is passed over");
	is_str(buf, "example.org", "for the next one that allows A");
	dg_policy_free(p);

	p = policy_of("invalid depth=2");
	ok(p != NULL && dg_verify_denied_name(p, 7, buf, sizeof(buf)) ==
				 DG_EMALFORMED,
	   "a policy that allows the fresh name: said, not asked");
	is_str(buf, "dnsgate-verify-0000000000000007.invalid",
	       "the name is still there to say so");
	dg_policy_free(p);

	p = policy_of("");
	ok(p != NULL && dg_verify_allowed_name(p, buf, sizeof(buf)) ==
				 DG_EMALFORMED,
	   "an empty policy: no name");
	dg_policy_free(p);
	return done_testing();
}
