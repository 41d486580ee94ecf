/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_import: other tools' lists to zones syntax (import.h). Output and
 * diagnostics are compared byte for byte: the output is a zones file a
 * user keeps, the diagnostics what they read to fix the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"
#include "policy.h"
#include "capture.h"
#include "entries.h"
#include "tap.h"
#include "zones.h"

/*
 * Import `in` as file "l.txt" in `format` with --depth `depth`; compare
 * the result, the entries printed (header cut) and the diagnostics.
 */
static void check(const char *what, enum dg_import_format format,
		  unsigned depth, const char *in, int want_rc,
		  const char *want_out, const char *want_diag)
{
	FILE *fin = fmemopen((void *)in, strlen(in), "r");
	struct dg_import *imp = dg_import_new(format, depth);
	char *out = NULL;
	size_t out_len = 0;
	FILE *fout = open_memstream(&out, &out_len);
	struct capture c;
	const char *body;
	int rc;

	if (fin == NULL || imp == NULL || fout == NULL) {
		perror("check");
		exit(99);
	}
	cap_open(&c);
	rc = dg_import_read(imp, fin, "l.txt", &c.d);
	dg_import_write(imp, fout);
	fclose(fout);
	fclose(fin);
	/* The header: "# imported…" and one line for the input. */
	body = strchr(out, '\n');
	body = body ? strchr(body + 1, '\n') : NULL;
	is_int(rc, want_rc, "%s: result", what);
	is_str(body ? body + 1 : out, want_out, "%s: entries", what);
	is_str(cap_text(&c), want_diag, "%s: diagnostics", what);
	free(out);
	cap_close(&c);
	dg_import_free(imp);
}

/* The format detected for `in`, as the header names it. */
static void check_detect(const char *in, const char *want)
{
	FILE *fin = fmemopen((void *)in, strlen(in), "r");
	struct dg_import *imp = dg_import_new(DG_IMPORT_AUTO, 0);
	char *out = NULL, want_line[128];
	size_t out_len = 0;
	FILE *fout = open_memstream(&out, &out_len);
	struct capture c;

	if (fin == NULL || imp == NULL || fout == NULL) {
		perror("check_detect");
		exit(99);
	}
	cap_open(&c);
	if (dg_import_read(imp, fin, "l.txt", &c.d) == DG_ENOMEM)
		exit(99);
	dg_import_write(imp, fout);
	fclose(fout);
	fclose(fin);
	snprintf(want_line, sizeof(want_line), "# l.txt: %s (detected)\n",
		 want);
	ok(strstr(out, want_line) != NULL, "detected as %s", want);
	free(out);
	cap_close(&c);
	dg_import_free(imp);
}

#define EVERY(pat, name, depth)                                          \
	"l.txt:1: warning: '" pat "' matched every name below " name       \
	" at any depth; imported with depth " depth
#define NO_DEPTH ": pass --depth N (or add depth=N to the entry) if more " \
		 "is needed"

static void test_detect(void)
{
	check_detect("127.0.0.1 localhost\n0.0.0.0 a.example\n", "hosts");
	check_detect("a.example\n*.b.example\n", "list");
	check_detect("! comment\n||a.example^\n", "adblock");
	check_detect("allowed-endpoints: >\n  a.example:443\n",
		     "harden-runner");
	check_detect("a.example:443 b.example:80\n", "harden-runner");
	check_detect("toFQDNs:\n  - matchName: a.example\n", "cilium");
	check_detect("a.example\n.b.example\n", "squid");
	check_detect("^a\\.example$\n", "tinyproxy");
	check_detect("", "list");
}

static void test_hosts(void)
{
	check("hosts: local names skipped, duplicates once", DG_IMPORT_HOSTS,
	      0,
	      "127.0.0.1 localhost localhost.localdomain\n"
	      "::1 ip6-localhost ip6-loopback\n"
	      "ff02::1 ip6-allnodes\n"
	      "fe80::1%lo0 localhost\n"
	      "255.255.255.255 broadcasthost\n"
	      "0.0.0.0 0.0.0.0\n"
	      "0.0.0.0 a.example # comment\n"
	      "0.0.0.0\tb.example A.Example.\n",
	      0, "a.example\t# l.txt:7\nb.example\t# l.txt:8\n", "");
	check("hosts: junk lines", DG_IMPORT_HOSTS, 0,
	      "a.example\n0.0.0.0\n0.0.0.0 https://x.example/\n",
	      DG_EMALFORMED, "",
	      "l.txt:1: cannot import 'a.example': a hosts line is ADDRESS "
	      "NAME... (a list of names? try --format list)\n"
	      "l.txt:2: cannot import '0.0.0.0': an address with no name "
	      "after it\n"
	      "l.txt:3: cannot import 'https://x.example/': a URL, not a "
	      "name: write its host name alone");
	check("hosts: a BOM and CRLF", DG_IMPORT_HOSTS, 0,
	      "\xEF\xBB\xBF" "0.0.0.0 bom.example\r\n", 0,
	      "bom.example\t# l.txt:1\n", "");
}

static void test_list(void)
{
	check("list: names, and *. at every depth", DG_IMPORT_LIST, 0,
	      "*.a.example\nb.example c.example\n", 0,
	      "*.a.example\t# l.txt:1\nb.example\t# l.txt:2\n"
	      "c.example\t# l.txt:2\n",
	      EVERY("*.a.example", "a.example", "1") NO_DEPTH);
	check("list: --depth", DG_IMPORT_LIST, 4, "*.a.example\n", 0,
	      "*.a.example depth=4\t# l.txt:1\n",
	      EVERY("*.a.example", "a.example", "4"));
	check("list: junk", DG_IMPORT_LIST, 0,
	      "^a\\.example$\n192.0.2.1\na..b\n", DG_EMALFORMED, "",
	      "l.txt:1: cannot import '^a\\.example$': a pattern, not a "
	      "name: only NAME and *.NAME are understood (a tinyproxy filter? "
	      "try --format tinyproxy)\n"
	      "l.txt:2: cannot import '192.0.2.1': an address, not a name (a "
	      "hosts file? try --format hosts)\n"
	      "l.txt:3: cannot import 'a..b': Empty label");
}

static void test_adblock(void)
{
	check("adblock: allow and block rules", DG_IMPORT_ADBLOCK, 0,
	      "@@||a.example^\n! comment\n[Adblock Plus 2.0]\n||b.example^|\n",
	      0, "*.a.example\t# l.txt:1\n*.b.example\t# l.txt:4\n",
	      EVERY("@@||a.example^", "a.example", "1") NO_DEPTH "\n"
	      "l.txt:4: warning: '||b.example^|' matched every name below "
	      "b.example at any depth; imported with depth 1" NO_DEPTH);
	check("adblock: junk", DG_IMPORT_ADBLOCK, 0,
	      "||a.example^$third-party\nexample.org##.ad\n||*.b^\n",
	      DG_EMALFORMED, "",
	      "l.txt:1: cannot import '||a.example^$third-party': rule "
	      "options ($...) have no DNS meaning dnsgate could keep: remove "
	      "them\n"
	      "l.txt:2: cannot import 'example.org##.ad': only ||name^ and "
	      "@@||name^ rules name a domain\n"
	      "l.txt:3: cannot import '||*.b^': not a host name");
}

static void test_harden_runner(void)
{
	check("harden-runner: host:port, port dropped",
	      DG_IMPORT_HARDEN_RUNNER, 0,
	      "allowed-endpoints: >\n"
	      "  api.github.com:443 github.com:443\n"
	      "  '*.blob.example:443'\n",
	      0,
	      "api.github.com\t# l.txt:2\ngithub.com\t# l.txt:2\n"
	      "*.blob.example\t# l.txt:3\n",
	      "l.txt:3: warning: '*.blob.example' matched every name below "
	      "blob.example at any depth; imported with depth 1" NO_DEPTH);
	check("harden-runner: junk", DG_IMPORT_HARDEN_RUNNER, 0,
	      "github.com\nx.example:99999\n", DG_EMALFORMED, "",
	      "l.txt:1: cannot import 'github.com': allowed-endpoints lists "
	      "HOST:PORT\n"
	      "l.txt:2: cannot import 'x.example:99999': allowed-endpoints "
	      "lists HOST:PORT");
}

static void test_cilium(void)
{
	static const char yaml[] =
		"spec:\n"
		"  egress:\n"
		"    - toFQDNs:\n"
		"        - matchName: \"a.example\"\n"
		"        - matchPattern: '*.b.example'\n"
		"        - matchPattern: **.c.example\n";

	check("cilium: YAML, **. refused without --depth", DG_IMPORT_CILIUM,
	      0, yaml, DG_EMALFORMED,
	      "a.example\t# l.txt:4\n*.b.example\t# l.txt:5\n",
	      "l.txt:6: cannot import '**.c.example': '**.' matches every "
	      "depth: pass --depth N to say how deep to allow");
	check("cilium: YAML, **. with --depth", DG_IMPORT_CILIUM, 3, yaml, 0,
	      "a.example\t# l.txt:4\n*.b.example\t# l.txt:5\n"
	      "*.c.example depth=3\t# l.txt:6\n",
	      "l.txt:6: warning: '**.c.example' matched every name below "
	      "c.example at any depth; imported with depth 3");
	check("cilium: JSON on one line", DG_IMPORT_CILIUM, 0,
	      "{\"toFQDNs\": [{\"matchName\": \"a.example\"}, "
	      "{\"matchPattern\":\"*.b.example\"}]}\n",
	      0, "a.example\t# l.txt:1\n*.b.example\t# l.txt:1\n", "");
	check("cilium: * inside a label", DG_IMPORT_CILIUM, 0,
	      "- matchPattern: \"api-*.example\"\n- matchPattern: \"*\"\n",
	      DG_EMALFORMED, "",
	      "l.txt:1: cannot import 'api-*.example': '*' inside a label or "
	      "alone has no entry equivalent: list the names\n"
	      "l.txt:2: cannot import '*': '*' inside a label or alone has no "
	      "entry equivalent: list the names");
}

static void test_squid(void)
{
	check("squid: .domain at every depth", DG_IMPORT_SQUID, 0,
	      "exact.example\n.example.com\n", 0,
	      "exact.example\t# l.txt:1\n*.example.com\t# l.txt:2\n",
	      "l.txt:2: warning: '.example.com' matched every name below "
	      "example.com at any depth; imported with depth 1" NO_DEPTH);
	check("squid: squid.conf lines and flags", DG_IMPORT_SQUID, 0,
	      "acl ok dstdomain .x.example\n-i\nhttp_access allow ok\n",
	      DG_EMALFORMED, "",
	      "l.txt:1: cannot import 'acl ok dstdomain .x.example': a "
	      "squid.conf line, not a dstdomain list: import the file its "
	      "acl names, or list the names alone\n"
	      "l.txt:2: cannot import '-i': a flag, not a name: remove it "
	      "(names are case-insensitive already)\n"
	      "l.txt:3: cannot import 'http_access allow ok': a squid.conf "
	      "line, not a dstdomain list: import the file its acl names, or "
	      "list the names alone");
}

static void test_tinyproxy(void)
{
	check("tinyproxy: an optional group is two names", DG_IMPORT_TINYPROXY,
	      0, "^(www\\.)?example\\.com$\n", 0,
	      "www.example.com\t# l.txt:1\nexample.com\t# l.txt:1\n", "");
	check("tinyproxy: an alternation", DG_IMPORT_TINYPROXY, 0,
	      "^(a|b)\\.example$\n", 0,
	      "a.example\t# l.txt:1\nb.example\t# l.txt:1\n", "");
	check("tinyproxy: a subdomain group", DG_IMPORT_TINYPROXY, 0,
	      "^(.*\\.)?example\\.org$\n", 0, "*.example.org\t# l.txt:1\n",
	      EVERY("^(.*\\.)?example\\.org$", "example.org", "1") NO_DEPTH);
	check("tinyproxy: unanchored", DG_IMPORT_TINYPROXY, 0,
	      "^api\\.example\\.com\n", 0, "api.example.com\t# l.txt:1\n",
	      "l.txt:1: warning: '^api\\.example\\.com' is an unanchored "
	      "pattern that also matched longer names; imported as the exact "
	      "name api.example.com");
	check("tinyproxy: regexes that are not names", DG_IMPORT_TINYPROXY, 0,
	      "^[a-z]+\\.example$\n^(a|(b|c))\\.x$\nhttps://x.example/\n",
	      DG_EMALFORMED, "",
	      "l.txt:1: cannot import '^[a-z]+\\.example$': only names, "
	      "'.*\\.' before one, and groups of names like "
	      "^(www\\.)?example\\.com$ or (a|b)\\.example\\.com are "
	      "understood: list the names it should match\n"
	      "l.txt:2: cannot import '^(a|(b|c))\\.x$': only names, '.*\\.' "
	      "before one, and groups of names like ^(www\\.)?example\\.com$ "
	      "or (a|b)\\.example\\.com are understood: list the names it "
	      "should match\n"
	      "l.txt:3: cannot import 'https://x.example/': a URL, not a "
	      "name: write its host name alone");
	check("tinyproxy: too many alternatives", DG_IMPORT_TINYPROXY, 0,
	      "^(a|b)(c|d)(e|f)(g|h)(i|j)\\.x$\n", DG_EMALFORMED, "",
	      "l.txt:1: cannot import '^(a|b)(c|d)(e|f)(g|h)(i|j)\\.x$': only "
	      "names, '.*\\.' before one, and groups of names like "
	      "^(www\\.)?example\\.com$ or (a|b)\\.example\\.com are "
	      "understood: list the names it should match");
}

/* Duplicates across inputs: the first place a name was seen is kept. */
static void test_duplicates(void)
{
	static const char a[] = "0.0.0.0 x.example y.example\n";
	static const char b[] = "Y.example\nz.example\nx.example.\n";
	FILE *fa = fmemopen((void *)a, sizeof(a) - 1, "r");
	FILE *fb = fmemopen((void *)b, sizeof(b) - 1, "r");
	struct dg_import *imp = dg_import_new(DG_IMPORT_AUTO, 0);
	char *out = NULL;
	size_t len = 0;
	FILE *fout = open_memstream(&out, &len);
	struct capture c;

	if (fa == NULL || fb == NULL || imp == NULL || fout == NULL)
		exit(99);
	cap_open(&c);
	is_int(dg_import_read(imp, fa, "a.txt", &c.d), 0, "a.txt reads");
	is_int(dg_import_read(imp, fb, "b.txt", &c.d), 0, "b.txt reads");
	dg_import_write(imp, fout);
	fclose(fout);
	is_str(out,
	       "# imported by dnsgate import\n"
	       "# a.txt: hosts (detected)\n"
	       "# b.txt: list (detected)\n"
	       "x.example\t# a.txt:1\n"
	       "y.example\t# a.txt:1\n"
	       "z.example\t# b.txt:2\n",
	       "each name once, where it was first seen, across inputs");
	is_str(cap_text(&c), "", "no diagnostic");
	fclose(fa);
	fclose(fb);
	free(out);
	cap_close(&c);
	dg_import_free(imp);
}

static void test_format_names(void)
{
	enum dg_import_format f;

	for (int i = DG_IMPORT_HOSTS; i <= DG_IMPORT_TINYPROXY; i++) {
		const char *name = dg_import_format_name(i);

		ok(dg_import_format_from_str(name, &f) == 0 && (int)f == i,
		   "--format %s reads back", name);
	}
	ok(dg_import_format_from_str("auto", &f) != 0,
	   "auto is not a --format value");
	ok(dg_import_format_from_str("Hosts", &f) != 0,
	   "format names are lowercase");
}

/* The output of an import loads as a zones file, entry for entry. */
static void test_loads(void)
{
	static const char in[] = ".squid.example\nexact.example\n"
				 ".deep.example\n";
	FILE *fin = fmemopen((void *)in, sizeof(in) - 1, "r");
	struct dg_import *imp = dg_import_new(DG_IMPORT_AUTO, 3);
	char *out = NULL, *got;
	size_t len = 0;
	FILE *fout = open_memstream(&out, &len);
	struct dg_policy *p = dg_policy_new();
	struct capture c;
	char path[] = "/tmp/dg_test_import.XXXXXX";
	int fd = mkstemp(path);

	if (fin == NULL || imp == NULL || fout == NULL || p == NULL || fd < 0)
		exit(99);
	cap_open(&c);
	is_int(dg_import_read(imp, fin, "l.txt", &c.d), 0, "import succeeds");
	dg_import_write(imp, fout);
	fclose(fout);
	fclose(fin);
	if (write(fd, out, len) != (ssize_t)len || close(fd) != 0) {
		perror(path);
		exit(99);
	}
	is_int(dg_zones_load_file(p, path, &c.d, NULL, 0), 0,
	       "the imported text loads as a zones file");
	got = entries_text(p);
	is_str(got, "*.squid.example depth=3\nexact.example\n"
		    "*.deep.example depth=3",
	       "with the entries imported");
	is_int(c.d.errors, 0, "no error");
	free(got);
	free(out);
	cap_close(&c);
	dg_policy_free(p);
	dg_import_free(imp);
	unlink(path);
}

int main(void)
{
	test_detect();
	test_hosts();
	test_list();
	test_adblock();
	test_harden_runner();
	test_cilium();
	test_squid();
	test_tinyproxy();
	test_duplicates();
	test_format_names();
	test_loads();
	return done_testing();
}
