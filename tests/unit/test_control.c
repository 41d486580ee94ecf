/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_control: the pure parts of `dnsgate control`. Durations and their
 * bounds; command lines, the allow entry with its options and every way
 * a line can be wrong; and the temporary entries: checked by the zones
 * parser under their scope's limits, looked up by scope, expiring by a
 * clock the test moves, and rebuilt under a new configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control_cmd.h"
#include "diag.h"
#include "name.h"
#include "overlay.h"
#include "tap.h"
#include "zones.h"

static void test_duration(void)
{
	uint64_t ms = 0;

	ok(dg_overlay_parse_duration("30s", &ms) == 0 && ms == 30000, "30s");
	ok(dg_overlay_parse_duration("10m", &ms) == 0 && ms == 600000, "10m");
	ok(dg_overlay_parse_duration("2h", &ms) == 0 && ms == 7200000, "2h");
	ok(dg_overlay_parse_duration("1d", &ms) == 0 && ms == 86400000, "1d");
	ok(dg_overlay_parse_duration("45", &ms) == 0 && ms == 45000,
	   "plain seconds");
	ok(dg_overlay_parse_duration("25h", &ms) != 0, "more than a day");
	ok(dg_overlay_parse_duration("2d", &ms) != 0, "2d is over a day");
	ok(dg_overlay_parse_duration("0s", &ms) != 0, "zero");
	ok(dg_overlay_parse_duration("", &ms) != 0, "empty");
	ok(dg_overlay_parse_duration("s", &ms) != 0, "a unit alone");
	ok(dg_overlay_parse_duration("5ms", &ms) != 0, "two units");
	ok(dg_overlay_parse_duration("-5s", &ms) != 0, "a sign");
	ok(dg_overlay_parse_duration("1.5h", &ms) != 0, "a fraction");
	ok(dg_overlay_parse_duration("99999999999999999999s", &ms) != 0,
	   "a number too long");
}

/* Parse text (copied: parsing cuts it up); why for a failure. */
static int parse(const char *text, struct dg_control_cmd *cmd, char *line,
		 size_t size, char *why, size_t why_size)
{
	snprintf(line, size, "%s", text);
	return dg_control_parse(line, cmd, why, why_size);
}

static void test_parse(void)
{
	struct dg_control_cmd cmd;
	char line[DG_CONTROL_LINE_MAX + 1], why[512];
	static const struct {
		const char *line;
		enum dg_control_verb verb;
	} plain[] = {
		{ "status", DG_CONTROL_STATUS }, { "\tstats\t", DG_CONTROL_STATS },
		{ " reload ", DG_CONTROL_RELOAD }, { "list", DG_CONTROL_LIST },
		{ "flush", DG_CONTROL_FLUSH },
	};
	static const char *const bad[] = {
		"", "   ", "frob", "STATUS", "status now", "show", "show all",
		"show policy a b", "revoke", "revoke x", "revoke 0",
		"revoke 1 2", "allow", "allow for 2s", "allow a.example for",
		"allow a.example for 2x", "allow a.example for 2s for 3s",
		"allow a.example group", "allow a.example client nowhere",
		"allow a.example group g client 10.0.0.1",
		"allow a.example for 2s extra", "flush a b",
	};

	for (size_t i = 0; i < DG_ARRAY_SIZE(plain); i++)
		ok(parse(plain[i].line, &cmd, line, sizeof(line), why,
			 sizeof(why)) == 0 &&
			   cmd.verb == plain[i].verb && cmd.arg == NULL,
		   "'%s' parses", plain[i].line);
	for (size_t i = 0; i < DG_ARRAY_SIZE(bad); i++)
		ok(parse(bad[i], &cmd, line, sizeof(line), why,
			 sizeof(why)) != 0 &&
			   why[0] != '\0',
		   "'%s' is refused: %s", bad[i], why);
	parse("frob", &cmd, line, sizeof(line), why, sizeof(why));
	is_int(cmd.verb, DG_CONTROL_BAD, "an unknown verb is counted as error");
	ok(strstr(why, "unknown command 'frob'") != NULL, "and named: %s",
	   why);

	ok(parse("flush www.example.com", &cmd, line, sizeof(line), why,
		 sizeof(why)) == 0 &&
		   strcmp(cmd.arg, "www.example.com") == 0,
	   "flush NAME");
	ok(parse("show policy ci", &cmd, line, sizeof(line), why,
		 sizeof(why)) == 0 &&
		   cmd.verb == DG_CONTROL_SHOW && strcmp(cmd.arg, "ci") == 0,
	   "show policy GROUP");
	ok(parse("revoke 17", &cmd, line, sizeof(line), why, sizeof(why)) ==
			   0 &&
		   cmd.id == 17,
	   "revoke ID");

	ok(parse("allow api.example.com", &cmd, line, sizeof(line), why,
		 sizeof(why)) == 0 &&
		   strcmp(cmd.arg, "api.example.com") == 0 &&
		   cmd.duration_ms == DG_OVERLAY_DEFAULT_MS &&
		   cmd.scope == DG_SCOPE_GLOBAL,
	   "allow NAME: an hour, global");
	ok(parse("allow  *.example.org   depth=2 types=A for 10m group ci",
		 &cmd, line, sizeof(line), why, sizeof(why)) == 0 &&
		   strcmp(cmd.arg, "*.example.org   depth=2 types=A") == 0 &&
		   cmd.duration_ms == 600000 && cmd.scope == DG_SCOPE_GROUP &&
		   strcmp(cmd.group, "ci") == 0,
	   "allow ENTRY with options, for, group: '%s'", cmd.arg);
	ok(parse("allow x.example client 10.1.2.3 for 2s", &cmd, line,
		 sizeof(line), why, sizeof(why)) == 0 &&
		   cmd.scope == DG_SCOPE_CLIENT && cmd.duration_ms == 2000 &&
		   cmd.client.u.sa.sa_family == AF_INET,
	   "allow … client ADDR for D, in either order");
	ok(parse("allow x.example client ::1", &cmd, line, sizeof(line), why,
		 sizeof(why)) == 0 &&
		   cmd.client.u.sa.sa_family == AF_INET6,
	   "an IPv6 client");
	for (int v = 0; v < DG_CONTROL_VERBS; v++)
		ok(dg_control_verb_name((enum dg_control_verb)v) != NULL,
		   "verb %d has a name: %s", v,
		   dg_control_verb_name((enum dg_control_verb)v));
}

/* A configuration from text (a file of its own). NULL: it failed. */
static struct dg_config *load(const char *text)
{
	char path[] = "/tmp/test_control.XXXXXX";
	struct dg_overrides ov = { .resolv_conf = "/nonexistent" };
	struct dg_config *cfg = NULL;
	struct dg_diag d;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	dg_diag_init(&d, stderr);
	if (dg_config_load(path, &ov, &d, &cfg) != 0)
		cfg = NULL;
	unlink(path);
	return cfg;
}

/* With one group "ci" for 10.9.0.0/16, whose labels are at most 20. */
static struct dg_config *config(void)
{
	return load("[upstream]\nservers = 127.0.0.1:5399\n[policy]\n"
		    "allow = www.example.com\nmax_label_length = 20\n"
		    "[group ci]\nclients = 10.9.0.0/16\n"
		    "allow = build.example\n");
}

static int add(struct dg_grants *g, const struct dg_config *cfg,
	       const char *text, enum dg_scope scope, const char *group,
	       const char *client, uint64_t expires, uint32_t *id, char *why,
	       size_t size)
{
	struct dg_grant spec = { .text = (char *)text, .scope = scope,
				 .group = (char *)group,
				 .expires_ms = expires };

	if (client != NULL && dg_addr_parse(client, 53, &spec.client) != 0)
		return -1;
	return dg_grants_add(g, cfg, &spec, why, size, id);
}

/*
 * What ov says of name (presentation) of qtype for a client of group at
 * client, at now: DG_REASON_NONE when an entry allows it, else the reason
 * an entry that lists the name denies it for, else DG_REASON_NOT_LISTED.
 */
static enum dg_reason decide(const struct dg_overlay *ov, const char *name,
			     uint16_t qtype, const char *group,
			     const char *client, uint64_t now)
{
	uint8_t wire[DG_NAME_MAXLEN];
	struct dg_question q = { .name = wire, .qtype = qtype, .qclass = 1 };
	const struct dg_overlay_item *near;
	struct dg_addr a;
	struct dg_verdict v;

	if (dg_zones_name_from_str(name, wire, NULL) != 0 ||
	    dg_addr_parse(client, 53, &a) != 0)
		return DG_REASON_MALFORMED;
	if (dg_overlay_decide(ov, &q, group, &a, now, &v, &near) != NULL)
		return v.allow ? DG_REASON_NONE : DG_REASON_MALFORMED;
	return near != NULL ? v.reason : DG_REASON_NOT_LISTED;
}

static bool allows(const struct dg_overlay *ov, const char *name,
		   uint16_t qtype, const char *group, const char *client,
		   uint64_t now)
{
	return decide(ov, name, qtype, group, client, now) == DG_REASON_NONE;
}

static void test_overlay(void)
{
	struct dg_config *cfg = config();
	struct dg_config *nogroup;
	struct dg_grants g;
	struct dg_overlay *ov;
	struct dg_grant gone;
	char why[512];
	uint32_t id1 = 0, id2 = 0, id3 = 0, id;
	uint64_t now = 1000000; /* the fake clock, ms */

	if (cfg == NULL) {
		ok(false, "the test configuration loads");
		return;
	}
	dg_grants_init(&g);
	ok(add(&g, cfg, "api.example.com", DG_SCOPE_GLOBAL, NULL, NULL,
	       now + 2000, &id1, why, sizeof(why)) == 0 && id1 == 1,
	   "a global entry: id 1");
	ok(add(&g, cfg, "*.example.org depth=2 types=A", DG_SCOPE_GROUP, "ci",
	       NULL, now + 5000, &id2, why, sizeof(why)) == 0 && id2 == 2,
	   "a group's wildcard: id 2");
	ok(add(&g, cfg, "c.example.net", DG_SCOPE_CLIENT, NULL, "10.0.0.7",
	       now + 9000, &id3, why, sizeof(why)) == 0 && id3 == 3,
	   "a client's: id 3");
	ok(add(&g, cfg, "x.example", DG_SCOPE_GROUP, "nope", NULL, now + 1,
	       &id, why, sizeof(why)) != 0 && strstr(why, "no [group nope]"),
	   "an unknown group is refused: %s", why);
	ok(add(&g, cfg, "https://github.com/", DG_SCOPE_GLOBAL, NULL, NULL,
	       now + 1, &id, why, sizeof(why)) != 0 &&
		   strstr(why, "write github.com") != NULL,
	   "a URL gets the zones parser's advice: %s", why);
	ok(add(&g, cfg, "abcdefghijklmnopqrstuvwxyz.example", DG_SCOPE_GLOBAL,
	       NULL, NULL, now + 1, &id, why, sizeof(why)) == 0,
	   "an entry with a label over the limit is taken (as in a file)");
	dg_grants_revoke(&g, id);
	is_int((int)g.n, 3, "three grants held");

	ov = dg_overlay_build(&g, cfg, stderr);
	ok(ov != NULL && ov->n == 3, "the overlay holds all three");
	ok(allows(ov, "api.example.com", 1, NULL, "127.0.0.1", now),
	   "global: allowed for the policy's clients");
	ok(!allows(ov, "api.example.com", 1, "ci", "10.9.0.1", now),
	   "global: not for a group's");
	ok(!allows(ov, "x.api.example.com", 1, NULL, "127.0.0.1", now),
	   "global: a name below it is too deep");
	ok(allows(ov, "a.b.example.org", 1, "ci", "10.9.0.1", now),
	   "group: depth 2 below the wildcard");
	ok(!allows(ov, "a.b.c.example.org", 1, "ci", "10.9.0.1", now),
	   "group: depth 3 is over the entry's depth");
	ok(!allows(ov, "a.example.org", 28, "ci", "10.9.0.1", now),
	   "group: AAAA is not among its types");
	ok(!allows(ov, "a.example.org", 1, NULL, "10.9.0.1", now),
	   "group: not for the global policy");
	is_int(decide(ov, "a.b.c.example.org", 1, "ci", "10.9.0.1", now),
	       DG_REASON_TOO_DEEP, "too deep under it: the entry says so");
	is_int(decide(ov, "a.example.org", 28, "ci", "10.9.0.1", now),
	       DG_REASON_QTYPE, "a type it does not allow: qtype");
	is_int(decide(ov, "a.example.com", 1, "ci", "10.9.0.1", now),
	       DG_REASON_NOT_LISTED, "a name it does not list: no entry near");
	ok(!allows(ov, "abcdefghijklmnopqrstu.example.org", 1, "ci",
		   "10.9.0.1", now),
	   "group: a label over max_label_length is denied");
	ok(allows(ov, "c.example.net", 1, NULL, "10.0.0.7", now) &&
		   allows(ov, "c.example.net", 1, "ci", "10.0.0.7", now),
	   "client: for that address, in any group");
	ok(!allows(ov, "c.example.net", 1, NULL, "10.0.0.8", now),
	   "client: not for another address");

	ok(!allows(ov, "api.example.com", 1, NULL, "127.0.0.1", now + 2000),
	   "an entry stops at its expiry, by the clock alone");
	ok(allows(ov, "a.example.org", 1, "ci", "10.9.0.1", now + 2000),
	   "while a later one holds");
	is_int((long long)dg_grants_next_expiry(&g), (long long)(now + 2000),
	       "the next expiry is the earliest");
	ok(!dg_grants_take_expired(&g, now + 1999, &gone),
	   "nothing expired a millisecond before");
	ok(dg_grants_take_expired(&g, now + 2000, &gone) && gone.id == id1 &&
		   strcmp(gone.text, "api.example.com") == 0,
	   "at its time, entry 1 is taken out");
	dg_grant_deinit(&gone);
	ok(!dg_grants_take_expired(&g, now + 2000, &gone), "and only it");
	ok(dg_grants_revoke(&g, id3) && !dg_grants_revoke(&g, id3),
	   "revoke takes an entry out once");
	ok(add(&g, cfg, "new.example", DG_SCOPE_GLOBAL, NULL, NULL,
	       now + 99000, &id, why, sizeof(why)) == 0 && id == 5 &&
		   g.v[g.n - 1].slot == 0,
	   "ids are never reused; budget slots are");
	dg_overlay_unref(ov);

	/* A reload to a configuration without the group: its entry is left
	 * out of the overlay, and kept for a later reload. */
	nogroup = load("[upstream]\nservers = 127.0.0.1:5399\n");
	{
		FILE *devnull = fopen("/dev/null", "w");

		ov = nogroup != NULL && devnull != NULL
			     ? dg_overlay_build(&g, nogroup, devnull)
			     : NULL;
		ok(ov != NULL && ov->n == 1 && g.n == 2,
		   "without the group its entry is left out, and kept");
		dg_overlay_unref(ov);
		dg_config_free(nogroup);
		if (devnull != NULL)
			fclose(devnull);
	}

	while (g.n < DG_OVERLAY_MAX)
		if (add(&g, cfg, "fill.example", DG_SCOPE_GLOBAL, NULL, NULL,
			now + 99000, &id, why, sizeof(why)) != 0)
			break;
	ok(g.n == DG_OVERLAY_MAX &&
		   add(&g, cfg, "one.more.example", DG_SCOPE_GLOBAL, NULL,
		       NULL, now + 99000, &id, why, sizeof(why)) != 0,
	   "at most %d entries: %s", DG_OVERLAY_MAX, why);
	dg_grants_deinit(&g);
	dg_config_free(cfg);
}

int main(void)
{
	test_duration();
	test_parse();
	test_overlay();
	return done_testing();
}
