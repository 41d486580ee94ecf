/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_forward: the zone a name is forwarded by (the longest wins, label
 * by label) and the server sets, each server listed once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "tap.h"
#include "zones.h"

static void zone(struct dg_forward *f, const char *text)
{
	memset(f, 0, sizeof(*f));
	if (dg_zones_name_from_str(text, f->zone, NULL) != 0) {
		fprintf(stderr, "bad zone %s\n", text);
		exit(99);
	}
	dg_name_lower(f->zone, f->zone);
}

static size_t set_of(const struct dg_forward *f, size_t n, const char *name)
{
	uint8_t wire[DG_NAME_MAXLEN];

	if (dg_zones_name_from_str(name, wire, NULL) != 0)
		exit(99);
	return dg_forward_set(f, n, wire);
}

static void test_match(void)
{
	struct dg_forward f[3];

	zone(&f[0], "corp.example");
	zone(&f[1], "lab.corp.example");
	zone(&f[2], "10.in-addr.arpa");
	is_int(set_of(f, 3, "www.example.com"), 0,
	       "a name under no zone: [upstream]");
	is_int(set_of(f, 3, "corp.example"), 1, "the zone's own name is in it");
	is_int(set_of(f, 3, "git.corp.example"), 1, "a name under the zone");
	is_int(set_of(f, 3, "GIT.Corp.Example."), 1, "case does not matter");
	is_int(set_of(f, 3, "a.b.lab.corp.example"), 2,
	       "the longest zone wins");
	is_int(set_of(f, 3, "lab.corp.example"), 2, "longest, at its own name");
	is_int(set_of(f, 3, "xcorp.example"), 0,
	       "matched by labels, not by text");
	is_int(set_of(f, 3, "example"), 0, "a zone's parent is not in it");
	is_int(set_of(f, 3, "4.3.2.10.in-addr.arpa"), 3, "a reverse zone");
	is_int(set_of(f, 0, "corp.example"), 0, "no zones: [upstream]");
	/* The order of the sections plays no part. */
	{
		struct dg_forward g[2] = { f[1], f[0] };

		is_int(set_of(g, 2, "a.lab.corp.example"), 1,
		       "the longest wins whatever the order");
		is_int(set_of(g, 2, "a.corp.example"), 2,
		       "and the shorter still");
	}
	zone(&f[0], ".");
	is_int(set_of(f, 2, "anything.example"), 1,
	       "the root holds every name");
	is_int(set_of(f, 2, "x.lab.corp.example"), 2,
	       "and loses to any longer");
}

static struct dg_addr addr(const char *text)
{
	struct dg_addr a;

	if (dg_addr_parse(text, 53, &a) != 0)
		exit(99);
	return a;
}

static void test_sets(void)
{
	struct dg_addr up[2] = { addr("192.0.2.1"), addr("192.0.2.2") };
	struct dg_addr corp[2] = { addr("10.0.0.53"), addr("192.0.2.2") };
	struct dg_addr lab[1] = { addr("10.0.0.53") };
	struct dg_addrs up_list = { .v = up, .n = 2 };
	struct dg_addrs corp_list = { .v = corp, .n = 2 };
	struct dg_addrs lab_list = { .v = lab, .n = 1 };
	struct dg_addrs none = { 0 };
	struct dg_server_sets s = { 0 };

	ok(dg_server_sets_add(&s, &up_list) == 0 &&
	   dg_server_sets_add(&s, &corp_list) == 0 &&
	   dg_server_sets_add(&s, &lab_list) == 0 &&
	   dg_server_sets_add(&s, &none) == 0, "four sets added");
	is_int(s.n_sets, 4, "four sets");
	is_int(s.addrs.n, 3, "three servers: each address once");
	is_int(s.start[1] - s.start[0], 2, "set 0 has two servers");
	is_int(s.order[s.start[0]], 0, "set 0 tries 192.0.2.1 first");
	is_int(s.order[s.start[1]], 2, "set 1 tries 10.0.0.53 first");
	is_int(s.order[s.start[1] + 1], 1, "then 192.0.2.2, set 0's own");
	is_int(s.order[s.start[2]], 2, "set 2 shares 10.0.0.53");
	is_int(s.start[4] - s.start[3], 0, "an empty set is empty");
	ok(s.addrs.tls_names == NULL, "every server plain: no TLS names");
	dg_server_sets_free(&s);
	is_int(s.n_sets, 0, "freed: empty again");
}

/* A tls:// server is another server than a plain one on its address, and
 * its name follows it into the shared list. */
static void test_sets_tls(void)
{
	struct dg_addr plain[1] = { addr("192.0.2.1") };
	struct dg_addr tls[2] = { addr("192.0.2.1"), addr("192.0.2.9") };
	char *names[2] = { "dns.example", "other.example" };
	struct dg_addrs plain_list = { .v = plain, .n = 1 };
	struct dg_addrs tls_list = { .v = tls, .n = 2, .tls_names = names };
	struct dg_server_sets s = { 0 };

	ok(dg_server_sets_add(&s, &plain_list) == 0 &&
	   dg_server_sets_add(&s, &tls_list) == 0 &&
	   dg_server_sets_add(&s, &tls_list) == 0, "three sets added");
	is_int(s.addrs.n, 3, "the plain and the tls:// 192.0.2.1 are two servers");
	ok(s.addrs.tls_names != NULL && s.addrs.tls_names[0] == NULL,
	   "the plain one listed first has no name");
	ok(s.addrs.tls_names != NULL &&
	   strcmp(s.addrs.tls_names[1], "dns.example") == 0 &&
	   strcmp(s.addrs.tls_names[2], "other.example") == 0,
	   "each tls:// server keeps its own name");
	is_int(s.order[s.start[2]], 1, "a set naming the same tls:// server again shares it");
	dg_server_sets_free(&s);
}

int main(void)
{
	test_match();
	test_sets();
	test_sets_tls();
	return done_testing();
}
