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
#include "tap.h"
#include "zones.h"

/* Diagnostics captured in memory. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
	struct dg_diag d;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (c->f == NULL) {
		perror("open_memstream");
		exit(99);
	}
	dg_diag_init(&c->d, c->f);
}

/* What was printed so far, without the last newline. */
static const char *cap_text(struct capture *c)
{
	fflush(c->f);
	if (c->len > 0 && c->buf[c->len - 1] == '\n')
		c->buf[c->len - 1] = '\0';
	return c->buf;
}

static void cap_close(struct capture *c)
{
	fclose(c->f);
	free(c->buf);
}

/* The policy's entries in zones syntax, one a line. */
static char *entries_text(const struct dg_policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < dg_policy_count(p); i++) {
		char text[DG_ENTRY_STRLEN];

		dg_zones_format_entry(p, dg_policy_entry(p, i), text,
				      sizeof(text));
		fprintf(f, "%s%s", i ? "\n" : "", text);
	}
	fclose(f);
	return buf;
}

/* Import `in` as file "l.txt"; compare output, diagnostics and result. */
static void check_import(const char *what, const char *in, int want_rc,
			 const char *want_out, const char *want_diag)
{
	FILE *fin = fmemopen((void *)in, strlen(in), "r");
	char *out = NULL;
	size_t out_len = 0;
	FILE *fout = open_memstream(&out, &out_len);
	struct capture c;
	int rc;

	cap_open(&c);
	rc = dg_import_file(fin, "l.txt", fout, &c.d);
	fclose(fout);
	fclose(fin);
	is_int(rc, want_rc, "import %s: result", what);
	is_str(out, want_out, "import %s: output", what);
	is_str(cap_text(&c), want_diag, "import %s: diagnostics", what);
	free(out);
	cap_close(&c);
}

#define HDR "# imported from l.txt by dnsgate import\n"

static void test_import(void)
{
	check_import("plain names", "a.example\nB.Example.\n\n", 0,
		     HDR "a.example\nB.Example.\n", "");
	check_import("comments and blanks",
		     "# a comment\n   \n  a.example   # trailing\n\t\n", 0,
		     HDR "a.example\n", "");
	check_import("a hosts file",
		     "127.0.0.1 localhost\n"
		     "0.0.0.0 ads.example\n"
		     "0.0.0.0\tads2.example tracker.example # two names\n"
		     "::1 ip6.example\n"
		     "0.0.0.0\n",
		     0,
		     HDR "localhost\nads.example\nads2.example\n"
			 "tracker.example\nip6.example\n",
		     "");
	check_import("CRLF and a BOM",
		     "\xEF\xBB\xBF" "0.0.0.0 bom.example\r\nx.example\r\n", 0,
		     HDR "bom.example\nx.example\n", "");
	check_import("Squid dstdomain", "# squid\nexact.example\n.example.com\n",
		     0, HDR "exact.example\n*.example.com\n",
		     "l.txt:3: warning: '.example.com' matched every name below "
		     "example.com at any depth; imported as *.example.com "
		     "(depth 1): add depth=N to the entry if more is needed");
	check_import("an explicit wildcard", "*.example.com\n", 0,
		     HDR "*.example.com\n", "");
	check_import("an anchored tinyproxy pattern", "^www\\.example\\.com$\n",
		     0, HDR "www.example.com\n", "");
	check_import("a tinyproxy subdomain group",
		     "^(.*\\.)?example\\.com$\n(.*\\.)?example\\.org\n", 0,
		     HDR "*.example.com\n*.example.org\n",
		     "l.txt:1: warning: '^(.*\\.)?example\\.com$' matched every "
		     "name below example.com at any depth; imported as "
		     "*.example.com (depth 1): add depth=N to the entry if more "
		     "is needed\n"
		     "l.txt:2: warning: '(.*\\.)?example\\.org' matched every "
		     "name below example.org at any depth; imported as "
		     "*.example.org (depth 1): add depth=N to the entry if more "
		     "is needed");
	check_import("a leading .*", "^.*\\.x\\.example$\n", 0,
		     HDR "*.x.example\n",
		     "l.txt:1: warning: '^.*\\.x\\.example$' matched every name "
		     "below x.example at any depth; imported as *.x.example "
		     "(depth 1): add depth=N to the entry if more is needed");
	check_import("unanchored regexes",
		     "www\\.example\\.com\n^api\\.example\\.com\n"
		     "cdn\\.example\\.com$\n",
		     0, HDR "www.example.com\napi.example.com\ncdn.example.com\n",
		     "l.txt:1: warning: 'www\\.example\\.com' is an unanchored "
		     "pattern that also matched longer names; imported as the "
		     "exact name www.example.com\n"
		     "l.txt:2: warning: '^api\\.example\\.com' is an unanchored "
		     "pattern that also matched longer names; imported as the "
		     "exact name api.example.com\n"
		     "l.txt:3: warning: 'cdn\\.example\\.com$' is an unanchored "
		     "pattern that also matched longer names; imported as the "
		     "exact name cdn.example.com");
	check_import("an unconvertible regex",
		     "good.example\nexa(mple|mpel)\\.com\nafter.example\n",
		     DG_EMALFORMED, HDR "good.example\nafter.example\n",
		     "l.txt:2: cannot import 'exa(mple|mpel)\\.com': only plain "
		     "names, '.domain', '*.domain' and anchored patterns with "
		     "escaped dots are understood");
	check_import("other regex operators",
		     "foo.*\n^[a-z]+\\.example$\nx?\\.example\n", DG_EMALFORMED,
		     HDR,
		     "l.txt:1: cannot import 'foo.*': only plain names, "
		     "'.domain', '*.domain' and anchored patterns with escaped "
		     "dots are understood\n"
		     "l.txt:2: cannot import '^[a-z]+\\.example$': only plain "
		     "names, '.domain', '*.domain' and anchored patterns with "
		     "escaped dots are understood\n"
		     "l.txt:3: cannot import 'x?\\.example': only plain names, "
		     "'.domain', '*.domain' and anchored patterns with escaped "
		     "dots are understood");
	check_import("names that are not names", "a..b\n.\n^$\n", DG_EMALFORMED,
		     HDR,
		     "l.txt:1: cannot import 'a..b': Empty label\n"
		     "l.txt:2: cannot import '.': not a domain name\n"
		     "l.txt:3: cannot import '^$': not a domain name");
	check_import("an empty input", "", 0, HDR, "");
}

/* The output of an import loads as a zones file, entry for entry. */
static void test_import_loads(void)
{
	static const char in[] = "0.0.0.0 ads.example\n.squid.example\n"
				 "^www\\.example\\.com$\n(.*\\.)?rx\\.example\n";
	FILE *fin = fmemopen((void *)in, sizeof(in) - 1, "r");
	char *out = NULL, *got;
	size_t len = 0;
	FILE *fout = open_memstream(&out, &len);
	struct dg_policy *p = dg_policy_new();
	struct capture c;
	char path[] = "/tmp/dg_test_import.XXXXXX";
	int fd = mkstemp(path);

	cap_open(&c);
	ok(dg_import_file(fin, "l.txt", fout, &c.d) == 0, "import succeeds");
	fclose(fout);
	fclose(fin);
	is_int(c.d.warnings, 2, "two warnings: the Squid and the regex wildcards");
	if (p == NULL || fd < 0 || write(fd, out, len) != (ssize_t)len ||
	    close(fd) != 0) {
		perror("test_import_loads");
		exit(99);
	}
	is_int(dg_zones_load_file(p, path, &c.d, NULL, 0), 0,
	       "the imported text loads as a zones file");
	got = entries_text(p);
	is_str(got, "ads.example\n*.squid.example depth=1\nwww.example.com\n"
		    "*.rx.example depth=1",
	       "with the entries imported");
	is_int(c.d.errors, 0, "no error");
	free(got);
	free(out);
	cap_close(&c);
	dg_policy_free(p);
	unlink(path);
}

int main(void)
{
	test_import();
	test_import_loads();
	return done_testing();
}
