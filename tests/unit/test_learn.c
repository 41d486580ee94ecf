/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_learn: query log lines to a zones file (learn.h): the strict line
 * reader, types narrowed to what was asked, the collapse threshold, the
 * tunnel classifier on real-looking labels, presets, and the same output
 * whatever the order of the lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn.h"
#include "tap.h"
#include "zones.h"

static const struct dg_hash_key key = { 1, 2 };

/* A query line as qlog_line.c writes it. */
static char *line(char *buf, size_t size, const char *name, const char *type,
		  const char *verdict, unsigned second)
{
	snprintf(buf, size,
		 "{\"ts\":\"2026-12-01T10:00:%02u.000Z\",\"client\":\"127.0.0.1\","
		 "\"proto\":\"udp\",\"name\":\"%s\",\"type\":\"%s\","
		 "\"verdict\":\"%s\",\"rcode\":0,\"cached\":false}",
		 second, name, type, verdict);
	return buf;
}

static int add(struct dg_learn *l, const char *name, const char *type,
	       const char *verdict, unsigned second)
{
	char buf[512];
	const char *why = NULL;

	line(buf, sizeof(buf), name, type, verdict, second);
	return dg_learn_add_line(l, buf, strlen(buf), &why);
}

/* The zones text for l. The caller frees it. */
static char *write_text(struct dg_learn *l, const struct dg_learn_options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL || dg_learn_write(l, o, f) != 0) {
		perror("learn");
		exit(99);
	}
	fclose(f);
	return buf;
}

static bool has_line(const char *text, const char *start)
{
	size_t n = strlen(start);

	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, start, n) == 0)
			return true;
		p = strchr(p, '\n');
		p = p == NULL ? NULL : p + 1;
	}
	return false;
}

static void test_lines(void)
{
	static const struct {
		const char *line;
		int rc;
		const char *what;
	} cases[] = {
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"a.example\","
		  "\"type\":\"A\",\"verdict\":\"allow\",\"n\":-1.5e3,"
		  "\"b\":true,\"z\":null}", 0, "a query with numbers and literals" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"q\\\"x\\\\y.example\","
		  "\"type\":\"TXT\",\"verdict\":\"deny\",\"reason\":\"charset\"}",
		  0, "escapes in a name" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"client\":\"::1\","
		  "\"verdict\":\"deny\",\"suppressed\":3,\"since\":\"x\"}",
		  DG_LEARN_SKIPPED, "a summary line is skipped" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"a.example\","
		  "\"type\":\"A\",\"verdict\":\"allow\"", DG_EMALFORMED,
		  "a line cut short" },
		{ "{\"ts\":\"yesterday\",\"name\":\"a.example\",\"type\":\"A\","
		  "\"verdict\":\"allow\"}", DG_EMALFORMED, "a bad timestamp" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"a.example\","
		  "\"type\":\"A\",\"verdict\":\"maybe\"}", DG_EMALFORMED,
		  "an unknown verdict" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"a.example\","
		  "\"type\":\"A\",\"verdict\":\"allow\",\"x\":{}}", DG_EMALFORMED,
		  "a nested object" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"a.example\","
		  "\"type\":\"A\",\"verdict\":\"allow\"} x", DG_EMALFORMED,
		  "text after the object" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"a\\u00e9.example\","
		  "\"type\":\"A\",\"verdict\":\"allow\"}", DG_EMALFORMED,
		  "a \\u escape outside ASCII" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"type\":\"A\","
		  "\"verdict\":\"allow\"}", DG_EMALFORMED, "no name" },
		{ "{\"ts\":\"2026-12-01T10:00:00.000Z\",\"name\":\"a.example\","
		  "\"type\":\"NOTATYPE\",\"verdict\":\"allow\"}", DG_EMALFORMED,
		  "an unknown type" },
		{ "", DG_EMALFORMED, "an empty line" },
	};
	struct dg_learn *l = dg_learn_new(&key);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		int rc = dg_learn_add_line(l, cases[i].line,
					   strlen(cases[i].line), &why);

		is_int(rc, cases[i].rc, "line: %s", cases[i].what);
		ok(rc != DG_EMALFORMED || why != NULL, "line: %s says why",
		   cases[i].what);
	}
	is_int(dg_learn_queries(l), 2, "two queries counted");
	dg_learn_free(l);
}

static void test_types_and_counts(void)
{
	struct dg_learn_options o = { .collapse = 8 };
	struct dg_learn *l = dg_learn_new(&key);
	char *text;

	ok(add(l, "www.example.com", "A", "allow", 5) == 0, "added");
	ok(add(l, "WWW.example.com", "AAAA", "would-deny", 1) == 0, "added");
	ok(add(l, "www.example.com", "A", "deny", 9) == 0, "added");
	ok(add(l, "mx.example.com", "MX", "allow", 3) == 0, "added");
	text = write_text(l, &o);
	ok(has_line(text, "www.example.com types=A,AAAA  # 3 queries, first "
			  "2026-12-01T10:00:01.000Z, last "
			  "2026-12-01T10:00:09.000Z"),
	   "types narrowed to those asked, case folded, counts and first/last "
	   "seen");
	ok(has_line(text, "mx.example.com types=MX  # 1 query"),
	   "a name asked one type gets only that type");
	ok(strstr(text, "mx.example.com") < strstr(text, "www.example.com"),
	   "sorted by reversed labels");
	free(text);
	dg_learn_free(l);
}

static void test_collapse(void)
{
	struct dg_learn_options o = { .collapse = 8 };
	struct dg_learn *l = dg_learn_new(&key);
	char name[64], *text;

	for (unsigned i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "n%u.cdn.example.net", i);
		ok(add(l, name, "A", "allow", i) == 0, "added %s", name);
	}
	ok(add(l, "cdn.example.net", "AAAA", "allow", 30) == 0, "added");
	text = write_text(l, &o);
	ok(has_line(text, "n0.cdn.example.net types=A"),
	   "7 siblings under threshold 8 stay exact names");
	free(text);
	ok(add(l, "n7.cdn.example.net", "HTTPS", "allow", 7) == 0, "added");
	text = write_text(l, &o);
	ok(has_line(text, "*.cdn.example.net types=A,AAAA,HTTPS  # 9 names, "
			  "9 queries, first 2026-12-01T10:00:00.000Z"),
	   "8 siblings collapse to *.parent, absorbing the parent, types "
	   "united");
	ok(has_line(text, "#   n7.cdn.example.net types=HTTPS"),
	   "collapsed names listed as comments");
	ok(!has_line(text, "cdn.example.net"), "no exact entry left for them");
	free(text);
	o.collapse = 0;
	text = write_text(l, &o);
	ok(!has_line(text, "*.cdn"), "--collapse 0 never collapses");
	free(text);
	o.collapse = 8;
	ok(add(l, "0123456789abcdef0123456789abcdef.cdn.example.net", "TXT",
	       "deny", 40) == 0, "added");
	text = write_text(l, &o);
	ok(!has_line(text, "*.cdn") && has_line(text, "n0.cdn.example.net"),
	   "one tunnel-like sibling stops the collapse");
	free(text);
	dg_learn_free(l);

	l = dg_learn_new(&key);
	for (unsigned i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "h%u.com", i);
		ok(add(l, name, "A", "allow", i) == 0, "added %s", name);
	}
	text = write_text(l, &o);
	ok(!has_line(text, "*.com"), "never collapse to a top-level domain");
	free(text);
	dg_learn_free(l);
}

static void test_entropy(void)
{
	static const struct {
		const char *label;
		bool tunnel;
	} cases[] = {
		/* CDN and cloud names: short runs or words. */
		{ "d1a2b3c4", false },
		{ "d1a2b3c4d5e6f7", false },
		{ "internal-my-loadbalancer-1234567890", false },
		{ "productionresultssa0", false },
		{ "githubusercontentproduction", false },
		{ "windowsupdatedeliveryoptimization", false },
		{ "productionresultssa0123456", false },
		{ "r3---sn-4g5e6nsz", false },
		{ "xn--bcher-kva", false },
		/* Tunnel data: base32, hex, too long. */
		{ "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dz", true },
		{ "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", true },
		{ "e3b0c44298fc1c149afbf4c8996fb924", true },
		{ "0123456789abcdef0123456789abcdef", true },
		{ "a-perfectly-readable-label-but-over-forty-chars", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = dg_learn_label_tunnel(
			(const uint8_t *)cases[i].label, strlen(cases[i].label));

		ok((why != NULL) == cases[i].tunnel, "%s is %stunnel-like%s%s",
		   cases[i].label, cases[i].tunnel ? "" : "not ",
		   why ? ": " : "", why ? why : "");
	}
	ok(dg_learn_entropy((const uint8_t *)"aaaa", 4) == 0,
	   "one symbol: 0 bits");
	ok(dg_learn_entropy((const uint8_t *)"abcd", 4) == 2,
	   "four symbols once each: 2 bits");
}

static void test_one_offs(void)
{
	struct dg_learn_options o = { .collapse = 8 };
	struct dg_learn *l = dg_learn_new(&key);
	char name[64], *text;

	/* Readable words, so only the shape gives them away. */
	for (unsigned i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "word%c%c.t.example.org",
			 'a' + i % 26, 'a' + i / 26);
		ok(add(l, name, "TXT", "allow", i) == 0, "added %s", name);
	}
	ok(add(l, "keep.t.example.org", "A", "allow", 1) == 0, "added");
	ok(add(l, "keep.t.example.org", "A", "allow", 2) == 0, "added");
	text = write_text(l, &o);
	ok(has_line(text, "# wordaa.t.example.org: left out, one of many"),
	   "16 names each asked once under one parent: left out");
	ok(has_line(text, "keep.t.example.org types=A"),
	   "a name asked twice there stays");
	ok(!has_line(text, "*.t.example.org"), "and the parent does not "
	   "collapse");
	free(text);
	dg_learn_free(l);
}

static void test_presets(void)
{
	struct dg_policy *p = dg_policy_new();
	struct dg_diag d;
	struct dg_learn_preset preset = { "github", p };
	struct dg_learn_options o = { .collapse = 8, .presets = &preset,
				      .n_presets = 1 };
	struct dg_learn *l = dg_learn_new(&key);
	char *text;

	dg_diag_init(&d, stderr);
	ok(dg_zones_add_entry(p, "api.github.com", "t", 1, &d) == 0,
	   "preset built");
	ok(add(l, "api.github.com", "A", "allow", 1) == 0, "added");
	ok(add(l, "x.github.com", "A", "allow", 1) == 0, "added");
	text = write_text(l, &o);
	ok(has_line(text, "# api.github.com: in preset github (types=A; 1 "
			  "query"), "a name the preset covers is a comment");
	ok(has_line(text, "x.github.com types=A"), "one it does not, an entry");
	free(text);
	ok(add(l, "api.github.com", "TXT", "allow", 1) == 0, "added");
	text = write_text(l, &o);
	ok(has_line(text, "api.github.com types=A,TXT"),
	   "a type the preset does not allow keeps the entry");
	free(text);
	dg_learn_free(l);
	dg_policy_free(p);
}

static void test_order(void)
{
	static const char *const names[] = {
		"a.example.com", "b.example.com", "c.example.com",
		"d.example.com", "e.example.com", "f.example.com",
		"g.example.com", "h.example.com", "www.example.org",
		"0123456789abcdef0123456789abcdef.t.example.org",
	};
	struct dg_learn_options o = { .collapse = 8 };
	char *first = NULL;
	unsigned seed = 7;

	for (int round = 0; round < 5; round++) {
		struct dg_learn *l = dg_learn_new(&(struct dg_hash_key){ round, 9 });
		size_t order[30];
		char *text;

		for (size_t i = 0; i < 30; i++)
			order[i] = i;
		for (size_t i = 29; round > 0 && i > 0; i--) {
			size_t j, t;

			seed = seed * 1103515245 + 12345;
			j = (seed >> 16) % (i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < 30; i++) {
			size_t k = order[i];

			if (add(l, names[k % 10], k < 20 ? "A" : "AAAA", "allow",
				(unsigned)k) != 0)
				exit(99);
		}
		text = write_text(l, &o);
		if (first == NULL)
			first = text;
		else {
			ok(strcmp(text, first) == 0,
			   "shuffled input %d gives the same output", round);
			free(text);
		}
		dg_learn_free(l);
	}
	free(first);
}

int main(void)
{
	test_lines();
	test_types_and_counts();
	test_collapse();
	test_entropy();
	test_one_offs();
	test_presets();
	test_order();
	return done_testing();
}
