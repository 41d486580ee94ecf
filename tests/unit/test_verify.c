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

/* The name dg_verify_allowed_name (denied: dg_verify_denied_name, with
 * nonce) finds in the policy of list: its status and its text. */
static void name_case(const char *list, bool denied, uint64_t nonce,
		      int want_rc, const char *want, const char *what)
{
	struct dg_policy *p = policy_of(list);
	char buf[256] = "unset";
	int rc = DG_ENOMEM;

	if (p != NULL)
		rc = denied ? dg_verify_denied_name(p, nonce, buf, sizeof(buf))
			    : dg_verify_allowed_name(p, buf, sizeof(buf));
	is_int(rc, want_rc, "%s: the status", what);
	is_str(buf, want, "%s: the name", what);
	dg_policy_free(p);
}

int main(void)
{
	static const char *const list =
		"*.wild.example, www.Example.COM, api.example.org";

	name_case(list, false, 0, 0, "www.example.com",
		  "the first plain name, not the wildcard before it, "
		  "lowercased");
	name_case(list, true, 0x1234abcdULL, 0,
		  "dnsgate-verify-000000001234abcd.invalid",
		  "a denied name: a label from the nonce, under invalid.");
	name_case("*.only.example", false, 0, DG_EMALFORMED, "",
		  "only wildcards: no plain name, and the buffer says nothing");
	name_case("example.net types=AAAA, example.org", false, 0, 0,
		  "example.org",
		  "an entry whose types exclude A is passed over for the next");
	name_case("invalid depth=2", true, 7, DG_EMALFORMED,
		  "dnsgate-verify-0000000000000007.invalid",
		  "a policy that allows the fresh name: refused, the name kept "
		  "to say so");
	name_case("", false, 0, DG_EMALFORMED, "", "an empty policy: no name");
	return done_testing();
}
