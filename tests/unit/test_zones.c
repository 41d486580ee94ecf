/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_zones: allowlist entries as people write them (zones.h): one entry,
 * inline lists, zones files and printing entries back. Diagnostics are
 * compared byte for byte: they are what a user reads to fix a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "name.h"
#include "policy.h"
#include "capture.h"
#include "entries.h"
#include "tap.h"
#include "zones.h"

static struct dg_policy *policy_new(void)
{
	struct dg_policy *p = dg_policy_new();

	if (p == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(99);
	}
	return p;
}

/*
 * Add one entry as line 3 of t.zones and compare the diagnostics and the
 * entries that result. want_diag "" means accepted (rc 0); otherwise the
 * entry must be refused with DG_EMALFORMED and add nothing.
 */
static void check_entry(const char *text, const char *want_diag,
			const char *want_entries)
{
	struct dg_policy *p = policy_new();
	struct capture c;
	char *got;
	int rc;

	cap_open(&c);
	rc = dg_zones_add_entry(p, text, "t.zones", 3, &c.d);
	got = entries_text(p);
	if (*want_diag == '\0') {
		is_int(rc, 0, "'%s' is accepted", text);
		is_int(c.d.errors + c.d.warnings, 0,
		       "'%s' gives no diagnostic", text);
	} else {
		is_int(rc, DG_EMALFORMED, "'%s' is refused", text);
		is_int(c.d.errors, 1, "'%s' counts one error", text);
	}
	is_str(cap_text(&c), want_diag, "'%s': the diagnostic", text);
	is_str(got, want_entries, "'%s': the entries it gives", text);
	free(got);
	cap_close(&c);
	dg_policy_free(p);
}

static char long_label[64], label63[64], label61[62], label62[63];

static void make_labels(void)
{
	memset(long_label, 'a', 64);
	memset(label63, 'a', 63);
	memset(label61, 'a', 61);
	memset(label62, 'a', 62);
	/* The arrays are one longer than the run; the last byte stays 0,
	 * except long_label which is cut at 64 below. */
}

static void test_entries(void)
{
	char name[600], want[700];

	check_entry("api.example.com", "", "api.example.com");
	check_entry("  api.example.com  ", "", "api.example.com");
	check_entry("API.Example.COM.", "", "api.example.com");
	check_entry("*.example.com", "", "*.example.com depth=1");
	check_entry("*.example.com depth=1", "", "*.example.com depth=1");
	check_entry("*.example.com depth=4", "", "*.example.com depth=4");
	check_entry("example.com depth=3", "", "example.com depth=3");
	check_entry("example.com depth=0", "", "example.com");
	check_entry("example.com depth=127", "", "example.com depth=127");
	check_entry("example.com\tdepth=2\ttypes=a,aaaa", "",
		    "example.com depth=2 types=A,AAAA");
	check_entry("x.example types=AAAA,A,A", "", "x.example types=A,AAAA");
	check_entry("x.example types=TYPE65,txt", "",
		    "x.example types=TXT,HTTPS");
	check_entry("x.example types=TYPE65280", "",
		    "x.example types=TYPE65280");
	check_entry("x.example private=allow", "", "x.example private=allow");
	check_entry("x.example private=deny", "", "x.example");
	check_entry("x.example private=allow types=A depth=2", "",
		    "x.example depth=2 types=A private=allow");

	check_entry("*.x depth=0",
		    "t.zones:3: depth=0 contradicts '*.': write the name "
		    "without '*.' for that name alone",
		    "");
	check_entry("a.*.example.com",
		    "t.zones:3: bad name 'a.*.example.com': '*' is allowed "
		    "only as the whole leftmost label",
		    "");
	check_entry("*", "t.zones:3: bad name '*': '*' is allowed only as "
			 "the whole leftmost label",
		    "");
	check_entry("*.*.example",
		    "t.zones:3: bad name '*.*.example': '*' is allowed only as "
		    "the whole leftmost label",
		    "");
	check_entry("a*.example",
		    "t.zones:3: bad name 'a*.example': '*' is allowed only as "
		    "the whole leftmost label",
		    "");
	check_entry("*.", "t.zones:3: bad name '*.': Domainname length "
			  "underflow (zero length)",
		    "");
	check_entry(".", "t.zones:3: bad name '.': the root cannot be "
			 "allowlisted (it would allow every name)",
		    "");
	check_entry("a..b", "t.zones:3: bad name 'a..b': Empty label", "");
	check_entry(".x.example", "t.zones:3: bad name '.x.example': Empty label",
		    "");
	check_entry("x.example\\",
		    "t.zones:3: bad name 'x.example\\': Syntax error, bad "
		    "escape sequence",
		    "");
	check_entry("x.example foo",
		    "t.zones:3: unknown option 'foo' (expected depth=N, "
		    "types=T1,T2 or private=allow)",
		    "");
	check_entry("x.example DEPTH=1",
		    "t.zones:3: unknown option 'DEPTH=1' (expected depth=N, "
		    "types=T1,T2 or private=allow)",
		    "");
	check_entry("x.example depth=1 depth=1",
		    "t.zones:3: repeated option 'depth='", "");
	check_entry("x.example types=A types=AAAA",
		    "t.zones:3: repeated option 'types='", "");
	check_entry("x.example private=allow private=allow",
		    "t.zones:3: repeated option 'private='", "");
	check_entry("x.example depth=128",
		    "t.zones:3: depth: '128' is not a number from 0 to 127", "");
	check_entry("x.example depth=abc",
		    "t.zones:3: depth: 'abc' is not a number from 0 to 127", "");
	check_entry("x.example depth=",
		    "t.zones:3: depth: '' is not a number from 0 to 127", "");
	check_entry("x.example depth=-1",
		    "t.zones:3: depth: '-1' is not a number from 0 to 127", "");
	check_entry("x.example depth=+1",
		    "t.zones:3: depth: '+1' is not a number from 0 to 127", "");
	check_entry("x.example depth=0x1",
		    "t.zones:3: depth: '0x1' is not a number from 0 to 127", "");
	check_entry("x.example depth=99999999999999999999999",
		    "t.zones:3: depth: '99999999999999999999999' is not a "
		    "number from 0 to 127",
		    "");
	check_entry("x.example types=A,BOGUS",
		    "t.zones:3: types: unknown type 'BOGUS'", "");
	check_entry("x.example types=TYPE0",
		    "t.zones:3: types: unknown type 'TYPE0'", "");
	check_entry("x.example types=", "t.zones:3: types: empty list", "");
	check_entry("x.example types=,", "t.zones:3: types: empty list", "");
	check_entry("x.example private=maybe",
		    "t.zones:3: private: 'maybe' is not allow or deny", "");
	check_entry("x.example private=",
		    "t.zones:3: private: '' is not allow or deny", "");
	check_entry("", "t.zones:3: empty entry", "");
	check_entry(" \t ", "t.zones:3: empty entry", "");

	/* Label and name lengths are counted on the wire form. */
	make_labels();
	snprintf(name, sizeof(name), "%s.example", label63);
	check_entry(name, "", name);
	snprintf(name, sizeof(name), "%.64s.example", long_label);
	snprintf(want, sizeof(want),
		 "t.zones:3: bad name '%s': Label length overflow", name);
	check_entry(name, want, "");
	/* 3 * (1 + 63) + (1 + 61) + 1 = 255 wire bytes: the longest name. */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", label63, label63, label63,
		 label61);
	check_entry(name, "", name);
	snprintf(want, sizeof(want), "*.%s", name);
	snprintf(name, sizeof(name), "*.%s.%s.%s.%s", label63, label63,
		 label63, label61);
	strcat(want, " depth=1");
	check_entry(name, "", want);
	snprintf(name, sizeof(name), "%s.%s.%s.%s", label63, label63, label63,
		 label62);
	snprintf(want, sizeof(want),
		 "t.zones:3: bad name '%s': Domainname length overflow", name);
	check_entry(name, want, "");

	/* Escapes: a '.' or a NUL inside a label keeps it one label. */
	check_entry("a\\.b.example.com", "", "a\\.b.example.com");
	check_entry("a\\000b.example", "", "a\\000b.example");
	check_entry("a\\032b.example", "", "a\\032b.example");
	check_entry("a\\\\b.example", "", "a\\\\b.example");
	/* '#' and ',' mean something in zones syntax: printed as \DDD. */
	check_entry("a\\#b.example", "", "a\\035b.example");
	check_entry("a\\,b.example", "", "a\\044b.example");
	check_entry("a\\035b.example", "", "a\\035b.example");
	check_entry("\"q\".example", "", "\\\"q\\\".example");
	/* So are the bytes of the refused shapes below: escaped, such a
	 * name is accepted, and printed it must read back the same. */
	check_entry("a\\061b.example", "", "a\\061b.example");
	check_entry("a\\058443.example", "", "a\\058443.example");
	check_entry("a\\047b.example", "", "a\\047b.example");
	check_entry("\\045i.example", "", "\\045i.example");
	check_entry("a-b.example", "", "a-b.example");
}

/*
 * What people paste into an allowlist that is not a name. ldns would take
 * each for one, and the entry would never match: refused, with what to
 * write instead.
 */
static void test_bad_shapes(void)
{
	check_entry("https://github.com/",
		    "t.zones:3: 'https://github.com/' is a URL, not a name; "
		    "write github.com",
		    "");
	check_entry("http://user@www.example.com:8080/path?q=1",
		    "t.zones:3: 'http://user@www.example.com:8080/path?q=1' "
		    "is a URL, not a name; write www.example.com",
		    "");
	check_entry("https://bücher.example/",
		    "t.zones:3: 'https://bücher.example/' is a URL, not a "
		    "name; write xn--bcher-kva.example",
		    "");
	check_entry("https://192.0.2.1/",
		    "t.zones:3: 'https://192.0.2.1/' is a URL, not a name; "
		    "its host 192.0.2.1 is an address and dnsgate allows "
		    "names",
		    "");
	check_entry("https://[2001:db8::1]:443/",
		    "t.zones:3: 'https://[2001:db8::1]:443/' is a URL, not a "
		    "name; its host [2001:db8::1] is an address and dnsgate "
		    "allows names",
		    "");
	check_entry("file:///etc/hosts",
		    "t.zones:3: 'file:///etc/hosts' is a URL, not a name", "");
	check_entry("github.com/anthropics",
		    "t.zones:3: 'github.com/anthropics' is a URL, not a name; "
		    "write github.com",
		    "");
	check_entry("foo.example:443",
		    "t.zones:3: 'foo.example:443' is a host and port, not a "
		    "name; write foo.example",
		    "");
	check_entry("*.foo.example:443",
		    "t.zones:3: '*.foo.example:443' is a host and port, not a "
		    "name; write *.foo.example",
		    "");
	check_entry("192.0.2.1:53",
		    "t.zones:3: '192.0.2.1:53' is a host and port, not a "
		    "name; its host 192.0.2.1 is an address and dnsgate "
		    "allows names",
		    "");
	check_entry("[2001:db8::1]:53",
		    "t.zones:3: '[2001:db8::1]:53' is a host and port, not a "
		    "name; its host [2001:db8::1] is an address and dnsgate "
		    "allows names",
		    "");
	check_entry("bücher.example",
		    "t.zones:3: 'bücher.example' is an internationalized "
		    "name; write xn--bcher-kva.example",
		    "");
	check_entry("*.Bücher.example depth=2",
		    "t.zones:3: '*.Bücher.example' is an internationalized "
		    "name; write *.xn--bcher-kva.example",
		    "");
	/* Decomposed: u, then U+0308 COMBINING DIAERESIS; NFC first. */
	check_entry("bu\xcc\x88" "cher.example",
		    "t.zones:3: 'bu\xcc\x88" "cher.example' is an "
		    "internationalized name; write xn--bcher-kva.example",
		    "");
	/* Non-transitional: 'ß' stays itself, not "ss" (fass.example). */
	check_entry("faß.example",
		    "t.zones:3: 'faß.example' is an internationalized name; "
		    "write xn--fa-hia.example",
		    "");
	check_entry("a\xff" ".example",
		    "t.zones:3: 'a\xff" ".example' is not a valid "
		    "internationalized name: string encoding error",
		    "");
	check_entry("||adblock.example^",
		    "t.zones:3: '||adblock.example^' is an adblock rule, not "
		    "a name; write adblock.example",
		    "");
	check_entry("@@||ads.example^$third-party",
		    "t.zones:3: '@@||ads.example^$third-party' is an adblock "
		    "rule, not a name; write ads.example",
		    "");
	check_entry("types=a",
		    "t.zones:3: 'types=a' is an option: it follows its entry "
		    "on the same line, separated by a space",
		    "");
	check_entry("depth=3",
		    "t.zones:3: 'depth=3' is an option: it follows its entry "
		    "on the same line, separated by a space",
		    "");
	check_entry("private=allow",
		    "t.zones:3: 'private=allow' is an option: it follows its "
		    "entry on the same line, separated by a space",
		    "");
	check_entry("ttl=60",
		    "t.zones:3: 'ttl=60' is shaped like an option, not a name "
		    "(the options are depth=N, types=T1,T2 and private=allow, "
		    "after their entry on the same line)",
		    "");
	check_entry("10.0.0.0/8",
		    "t.zones:3: 10.0.0.0/8 is an address range; dnsgate "
		    "allows names",
		    "");
	check_entry("2001:db8::/32",
		    "t.zones:3: 2001:db8::/32 is an address range; dnsgate "
		    "allows names",
		    "");
	check_entry("192.0.2.1",
		    "t.zones:3: '192.0.2.1' is an address; dnsgate allows "
		    "names",
		    "");
	check_entry("2001:db8::1",
		    "t.zones:3: '2001:db8::1' is an address; dnsgate allows "
		    "names",
		    "");
	check_entry("-i", "t.zones:3: -i is a flag, not a name", "");
	check_entry("--allow", "t.zones:3: --allow is a flag, not a name", "");
	/* Near misses that are names, and stay accepted. */
	check_entry("xn--bcher-kva.example", "", "xn--bcher-kva.example");
	check_entry("10.0.0.in-addr.arpa", "", "10.0.0.in-addr.arpa");
	check_entry("192.0.2.1.example", "", "192.0.2.1.example");
	check_entry("a-.example", "", "a-.example");
	check_entry("_dmarc.example", "", "_dmarc.example");
}

static void test_entry_fields(void)
{
	static const uint8_t esc_dot[] = "\x03" "a.b" "\x07" "example"
					 "\x03" "com";
	static const uint8_t nul[] = "\x03" "a\0b" "\x07" "example";
	struct dg_policy *p = policy_new();
	const struct dg_entry *e;
	uint8_t wire[DG_NAME_MAXLEN];
	uint8_t q[DG_NAME_MAXLEN];
	struct dg_question question = { .name = q, .qtype = 1, .qclass = 1 };
	struct dg_verdict v;
	struct capture c;

	cap_open(&c);
	ok(dg_zones_add_entry(p, "*.Example.com", "f.zones", 7, &c.d) == 0,
	   "*.Example.com is added");
	e = dg_policy_entry(p, 0);
	ok(e != NULL && e->wildcard && e->depth == 1 && !e->private_allow,
	   "*.example.com is a wildcard entry of depth 1");
	is_int(e->line, 7, "the entry remembers its line");
	is_str(dg_policy_source(p, e->source), "f.zones",
	       "the entry remembers its file");
	ok(dg_policy_entry_types(p, e) == NULL,
	   "without types= the entry uses the default types");
	dg_policy_entry_name(p, e, wire);
	ok(memcmp(wire, "\x07" "example" "\x03" "com", 13) == 0,
	   "the name is stored without '*.', lowercased");

	ok(dg_zones_add_entry(p, "example.org depth=3 private=allow", "g.zones",
			      1, &c.d) == 0,
	   "example.org depth=3 private=allow is added");
	e = dg_policy_entry(p, 1);
	ok(e != NULL && !e->wildcard && e->depth == 3 && e->private_allow,
	   "depth=3 private=allow: not a wildcard, depth 3, private allowed");

	ok(dg_zones_add_entry(p, "a\\.b.example.com", "f.zones", 2, &c.d) == 0,
	   "a\\.b.example.com is added");
	dg_policy_entry_name(p, dg_policy_entry(p, 2), wire);
	ok(dg_name_labels(wire) == 3 &&
		   memcmp(wire, esc_dot, sizeof(esc_dot)) == 0,
	   "an escaped dot stays inside the first label: 3 labels");
	ok(dg_zones_add_entry(p, "a\\000b.example", "f.zones", 3, &c.d) == 0,
	   "a\\000b.example is added");
	dg_policy_entry_name(p, dg_policy_entry(p, 3), wire);
	ok(dg_name_labels(wire) == 2 && memcmp(wire, nul, sizeof(nul)) == 0,
	   "a NUL byte is kept inside its label: 2 labels");

	ok(dg_zones_name_from_str("a.b.example.com", q, NULL) == 0,
	   "a.b.example.com reads");
	dg_policy_decide(p, &question, &v);
	ok(!v.allow && v.reason == DG_REASON_TOO_DEEP,
	   "the entry a\\.b.example.com does not allow a.b.example.com: "
	   "that name is under *.example.com but too deep");
	is_int(c.d.errors + c.d.warnings, 0, "no diagnostic for valid entries");
	cap_close(&c);
	dg_policy_free(p);
}

static void test_names_types(void)
{
	uint8_t wire[DG_NAME_MAXLEN];
	const char *why = NULL;
	uint16_t t = 0;
	char buf[32];

	ok(dg_zones_name_from_str("Example.COM.", wire, &why) == 0 &&
		   memcmp(wire, "\x07" "Example" "\x03" "COM", 13) == 0,
	   "name_from_str keeps case and takes a final dot");
	is_int(dg_zones_name_from_str("a..b", wire, &why), DG_EMALFORMED,
	       "name_from_str refuses an empty label");
	is_str(why, "Empty label", "and says why");
	is_int(dg_zones_name_from_str("a..b", wire, NULL), DG_EMALFORMED,
	       "name_from_str takes why = NULL");
	ok(dg_zones_name_from_str(".", wire, NULL) == 0 && wire[0] == 0,
	   "name_from_str reads the root (entries refuse it elsewhere)");

	ok(dg_zones_type_from_str("aaaa", &t) == 0 && t == 28,
	   "type mnemonics are case-insensitive");
	ok(dg_zones_type_from_str("TYPE65", &t) == 0 && t == 65,
	   "TYPEnnn is read");
	is_int(dg_zones_type_from_str("BOGUS", &t), DG_EMALFORMED,
	       "an unknown mnemonic is refused");
	is_int(dg_zones_type_from_str("", &t), DG_EMALFORMED,
	       "an empty type is refused");
	dg_zones_type_to_str(65, buf, sizeof(buf));
	is_str(buf, "HTTPS", "type 65 prints as HTTPS");
	dg_zones_type_to_str(65280, buf, sizeof(buf));
	is_str(buf, "TYPE65280", "an unnamed type prints as TYPEnnn");
}

/* An inline list as on line 9 of c.conf. */
static void check_inline(const char *list, const char *want_diag,
			 const char *want_entries)
{
	struct dg_policy *p = policy_new();
	struct capture c;
	char *got;
	int rc;

	cap_open(&c);
	rc = dg_zones_add_inline(p, list, "c.conf", 9, &c.d);
	got = entries_text(p);
	is_int(rc, *want_diag ? DG_EMALFORMED : 0, "inline '%s': result",
	       list);
	is_str(cap_text(&c), want_diag, "inline '%s': diagnostics", list);
	is_str(got, want_entries, "inline '%s': entries", list);
	free(got);
	cap_close(&c);
	dg_policy_free(p);
}

static void test_inline(void)
{
	check_inline("a.example, *.b.example depth=2", "",
		     "a.example\n*.b.example depth=2");
	check_inline("x.example types=A,AAAA, y.example", "",
		     "x.example types=A,AAAA\ny.example");
	check_inline("a.example,b.example", "", "a.example\nb.example");
	check_inline(",a.example,,b.example,", "", "a.example\nb.example");
	check_inline("  , a.example ,  ", "", "a.example");
	check_inline("x.example types=A,AAAA,", "", "x.example types=A,AAAA");
	/* Inside types= a comma without a blank separates types. */
	check_inline("x.example types=A,AAAA,y.example",
		     "c.conf:9: types: unknown type 'y.example'", "");
	check_inline("a.example depth=2,b.example", "",
		     "a.example depth=2\nb.example");
	check_inline("a.example private=allow,b.example types=TXT", "",
		     "a.example private=allow\nb.example types=TXT");
	check_inline("a.example\tdepth=2,\tb.example", "",
		     "a.example depth=2\nb.example");
	check_inline("", "", "");
	check_inline(" , , ", "", "");
	check_inline("a.example, b..example, *.c.example",
		     "c.conf:9: bad name 'b..example': Empty label",
		     "a.example\n*.c.example depth=1");
	check_inline("a..example, b..example",
		     "c.conf:9: bad name 'a..example': Empty label\n"
		     "c.conf:9: bad name 'b..example': Empty label",
		     "");
	check_inline("x.example types=A,BOGUS, y.example",
		     "c.conf:9: types: unknown type 'BOGUS'", "y.example");
	check_inline("x.example depth=2 depth=3, y.example",
		     "c.conf:9: repeated option 'depth='", "y.example");
	/* A comma between options is a space mistyped: once it made
	 * `depth=1` an entry of the default types plus an entry named
	 * `types=A`. Refused whole, with the entry as it should be. */
	check_inline("api.example.com depth=1,types=A",
		     "c.conf:9: 'depth=1,types=A': options are separated by "
		     "spaces and types by commas; write api.example.com "
		     "depth=1 types=A",
		     "");
	check_inline("api.example.com depth=1,types=A,AAAA, b.example",
		     "c.conf:9: 'depth=1,types=A,AAAA': options are separated "
		     "by spaces and types by commas; write api.example.com "
		     "depth=1 types=A,AAAA",
		     "b.example");
	check_inline("x.example types=A,depth=2",
		     "c.conf:9: 'types=A,depth=2': options are separated by "
		     "spaces and types by commas; write x.example types=A "
		     "depth=2",
		     "");
	check_inline("x.example,private=allow",
		     "c.conf:9: 'x.example,private=allow': options are "
		     "separated by spaces and types by commas; write x.example "
		     "private=allow",
		     "");
	/* After a comma and a blank, an option starts an entry of its
	 * own, which is refused as one. */
	check_inline("x.example, types=A",
		     "c.conf:9: 'types=A' is an option: it follows its entry "
		     "on the same line, separated by a space",
		     "x.example");
	check_inline("x.example types=A,,AAAA", "", "x.example types=A,AAAA");
}

static char tmpdir[] = "/tmp/dg_test_zones.XXXXXX";

/* Write text to tmpdir/name; the full path in path. */
static void write_file(const char *name, const char *text, char *path,
		       size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
}

static void test_files(void)
{
	char path[512], want[4096], *got;
	struct dg_policy *p = policy_new();
	struct capture c;
	int rc;

	cap_open(&c);
	write_file("good.zones",
		   "\xEF\xBB\xBF# a header comment\r\n"
		   "\r\n"
		   "api.example.com\r\n"
		   "   *.cdn.example.net   depth=2   # trailing comment\n"
		   "\t\n"
		   "#only.a.comment\n"
		   "x.example\ttypes=A,AAAA\n"
		   "last.example",
		   path, sizeof(path));
	rc = dg_zones_load_file(p, path, &c.d, NULL, 0);
	is_int(rc, 0, "a zones file with comments, blanks, CRLF and a BOM "
		      "loads");
	is_str(cap_text(&c), "", "and gives no diagnostic");
	got = entries_text(p);
	is_str(got, "api.example.com\n*.cdn.example.net depth=2\n"
		    "x.example types=A,AAAA\nlast.example",
	       "its entries, the last without a final newline");
	free(got);
	is_int(dg_policy_entry(p, 0)->line, 3,
	       "line numbers count comments, blanks and CRLF lines");
	is_int(dg_policy_entry(p, 2)->line, 7, "the types= entry is line 7");
	is_str(dg_policy_source(p, dg_policy_entry(p, 0)->source), path,
	       "entries name their file");
	cap_close(&c);
	dg_policy_free(p);

	p = policy_new();
	cap_open(&c);
	write_file("bad.zones",
		   "ok1.example\n"
		   "a..b\n"
		   "# comment\n"
		   "*.x depth=0\n"
		   "ok2.example types=TXT\n"
		   "y.example types=A,BOGUS bogus=1\n",
		   path, sizeof(path));
	rc = dg_zones_load_file(p, path, &c.d, NULL, 0);
	is_int(rc, DG_EMALFORMED, "a zones file with errors is refused");
	is_int(c.d.errors, 4, "every error of the file is counted");
	snprintf(want, sizeof(want),
		 "%1$s:2: bad name 'a..b': Empty label\n"
		 "%1$s:4: depth=0 contradicts '*.': write the name without "
		 "'*.' for that name alone\n"
		 "%1$s:6: types: unknown type 'BOGUS'\n"
		 "%1$s:6: unknown option 'bogus=1' (expected depth=N, "
		 "types=T1,T2 or private=allow)",
		 path);
	is_str(cap_text(&c), want, "each error names the file and its line");
	got = entries_text(p);
	is_str(got, "ok1.example\nok2.example types=TXT",
	       "loading goes on after an error");
	free(got);
	cap_close(&c);
	dg_policy_free(p);

	p = policy_new();
	cap_open(&c);
	snprintf(path, sizeof(path), "%s/missing.zones", tmpdir);
	is_int(dg_zones_load_file(p, path, &c.d, NULL, 0), DG_EMALFORMED,
	       "a missing zones file is an error");
	snprintf(want, sizeof(want),
		 "%s: cannot read zones file: No such file or directory", path);
	is_str(cap_text(&c), want, "a missing file is reported on its own");
	cap_close(&c);

	cap_open(&c);
	is_int(dg_zones_load_file(p, path, &c.d, "dnsgate.conf", 12),
	       DG_EMALFORMED, "a missing file named by a config is an error");
	snprintf(want, sizeof(want),
		 "dnsgate.conf:12: zones: cannot read '%s': No such file or "
		 "directory",
		 path);
	is_str(cap_text(&c), want,
	       "a missing file is reported at the config line naming it");
	is_int(c.d.errors, 1, "one error counted");
	cap_close(&c);

	cap_open(&c);
	is_int(dg_zones_load_file(p, tmpdir, &c.d, NULL, 0), DG_EMALFORMED,
	       "a folder given as a zones file is an error");
	snprintf(want, sizeof(want), "%s: cannot read zones file: Is a directory",
		 tmpdir);
	is_str(cap_text(&c), want, "a folder is reported as unreadable");
	is_int(dg_policy_count(p), 0, "no entry came from missing files");
	cap_close(&c);

	/* A FIFO no one writes to: refused at once, not waited on (a glob
	 * in zones= may match one; fuzz_config found the hang). */
	cap_open(&c);
	snprintf(path, sizeof(path), "%s/fifo.zones", tmpdir);
	if (mkfifo(path, 0600) == 0) {
		is_int(dg_zones_load_file(p, path, &c.d, NULL, 0), DG_EMALFORMED,
		       "a FIFO given as a zones file is an error, not a hang");
		snprintf(want, sizeof(want),
			 "%s: cannot read zones file: not a regular file", path);
		is_str(cap_text(&c), want, "it is reported as not a regular file");
		unlink(path);
	} else {
		ok(false, "mkfifo %s", path);
	}
	cap_close(&c);

	cap_open(&c);
	write_file("empty.zones", "# nothing here\n\n", path, sizeof(path));
	is_int(dg_zones_load_file(p, path, &c.d, NULL, 0), 0,
	       "a zones file of comments only loads");
	is_int(dg_policy_count(p) + c.d.errors + c.d.warnings, 0,
	       "and adds nothing, silently");
	cap_close(&c);
	dg_policy_free(p);
}

/*
 * Each entry printed and read back (alone, from a zones file and from an
 * inline list) prints the same: --check output is valid input.
 */
static void test_roundtrip(void)
{
	static const char *const texts[] = {
		"api.example.com",
		"*.example.com",
		"*.example.net depth=3 types=TXT,SRV private=allow",
		"example.org depth=5",
		"x.example types=A,AAAA,HTTPS",
		"x.example types=TYPE65280",
		"a\\.b.example.com",
		"a\\000b.example",
		"a\\032b.example",
		"a\\\\b.example",
		"a\\#b.example",
		"a\\,b.example",
		"a\\;b.example",
		"a\\061b.example",
		"a\\058443.example",
		"\\045i.example",
		"a\\047b.example",
		"\\124\\124a.example",
		"\\\"q\\\".example depth=1",
		"\\255\\128.example",
	};
	struct dg_policy *p = policy_new(), *q, *r;
	char path[512];
	char *first, *again;
	struct capture c;
	FILE *f;
	char *list = NULL, *file_text = NULL;
	size_t list_len = 0, file_len = 0;

	cap_open(&c);
	for (size_t i = 0; i < DG_ARRAY_SIZE(texts); i++) {
		struct dg_policy *one = policy_new();
		char *a, *b;

		ok(dg_zones_add_entry(p, texts[i], "r", 1, &c.d) == 0 &&
			   dg_zones_add_entry(one, texts[i], "r", 1, &c.d) == 0,
		   "'%s' is accepted", texts[i]);
		a = entries_text(one);
		dg_policy_free(one);
		one = policy_new();
		ok(dg_zones_add_entry(one, a, "r", 1, &c.d) == 0,
		   "its printed form '%s' is accepted", a);
		b = entries_text(one);
		is_str(b, a, "'%s' prints the same after a round trip", texts[i]);
		free(a);
		free(b);
		dg_policy_free(one);
	}
	first = entries_text(p);

	/* Through a zones file. */
	f = open_memstream(&file_text, &file_len);
	fprintf(f, "%s\n", first);
	fclose(f);
	write_file("round.zones", file_text, path, sizeof(path));
	q = policy_new();
	is_int(dg_zones_load_file(q, path, &c.d, NULL, 0), 0,
	       "the printed entries load as a zones file");
	again = entries_text(q);
	is_str(again, first, "and print the same");
	free(again);

	/* Through an inline list: entries joined by ", ". */
	f = open_memstream(&list, &list_len);
	for (const char *s = first; *s; s++) {
		if (*s == '\n')
			fputs(", ", f);
		else
			fputc(*s, f);
	}
	fclose(f);
	r = policy_new();
	is_int(dg_zones_add_inline(r, list, "c.conf", 1, &c.d), 0,
	       "the printed entries, joined by ', ', load as an inline list");
	again = entries_text(r);
	is_str(again, first, "and print the same");
	free(again);
	is_str(cap_text(&c), "", "no diagnostic in any round trip");

	free(list);
	free(file_text);
	free(first);
	cap_close(&c);
	dg_policy_free(p);
	dg_policy_free(q);
	dg_policy_free(r);
}

static void cleanup(void)
{
	static const char *const files[] = { "good.zones",  "bad.zones",
					     "empty.zones", "round.zones" };
	char path[512];

	for (size_t i = 0; i < DG_ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_entries();
	test_bad_shapes();
	test_entry_fields();
	test_names_types();
	test_inline();
	test_files();
	test_roundtrip();
	cleanup();
	return done_testing();
}
