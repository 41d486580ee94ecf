/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policy: dg_policy_decide() against a table of questions: exact and
 * wildcard entries, depth at and one past the limit, lookalikes, overlapping
 * entries (union), types per entry, the global limits and the order of the
 * reasons. Ends with a property check that adding entries only widens.
 */
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "policy.h"
#include "tap.h"

#define A 1
#define CNAME 5
#define TXT 16
#define AAAA 28
#define HTTPS 65
#define CLASS_CH 3

/* Dotted text (no escapes) to wire form. */
static void wire(const char *dotted, uint8_t *out)
{
	size_t pos = 0;

	for (const char *s = dotted; *s != '\0';) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		out[pos] = (uint8_t)len;
		memcpy(out + pos + 1, s, len);
		pos += len + 1;
		s += len + (dot != NULL);
	}
	out[pos] = 0;
}

static void add(struct dg_policy *p, const char *name, unsigned depth,
		bool wildcard, const uint16_t *types, size_t n_types)
{
	uint8_t w[DG_NAME_MAXLEN];
	struct dg_typeset t;
	struct dg_entry_spec spec = { .name = w, .depth = depth,
				      .wildcard = wildcard };
	int rc;

	dg_typeset_init(&t);
	for (size_t i = 0; i < n_types; i++)
		if (dg_typeset_add(&t, types[i]) != 0)
			abort();
	if (n_types > 0)
		spec.types = &t;
	wire(name, w);
	rc = dg_policy_add(p, &spec);
	if (rc != 0) {
		printf("Bail out! cannot add %s: %d\n", name, rc);
		exit(1);
	}
	dg_typeset_deinit(&t);
}

/* The entry's name in text, or "-" when there is none. */
static const char *entry_text(const struct dg_policy *p,
			      const struct dg_entry *e, char *buf, size_t size)
{
	uint8_t n[DG_NAME_MAXLEN];

	if (e == NULL)
		return "-";
	dg_policy_entry_name(p, e, n);
	dg_name_to_str(n, buf, size);
	return buf;
}

struct row {
	const char *name; /* dotted; NULL means `raw` */
	const char *raw;  /* wire bytes, for labels with dots or NULs */
	size_t raw_len;
	uint16_t qtype;
	uint16_t qclass;
	bool allow;
	enum dg_reason reason;
	const char *entry; /* expected entry name, "-" for none */
	bool name_allowed;
	const char *why;
};

#define L40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define L41 L40 "b"
#define L40_4 L40 "." L40 "." L40 "." L40

static const struct row rows[] = {
	{ "api.example.com", NULL, 0, A, 1, true, DG_REASON_NONE, "api.example.com", true,
	  "an exact entry allows its name" },
	{ "API.Example.COM", NULL, 0, AAAA, 1, true, DG_REASON_NONE, "api.example.com", true,
	  "matching ignores ASCII case" },
	{ "www.api.example.com", NULL, 0, A, 1, false, DG_REASON_TOO_DEEP, "api.example.com", false,
	  "an exact entry allows nothing below its name" },
	{ "example.com", NULL, 0, A, 1, false, DG_REASON_NOT_LISTED, "-", false,
	  "an entry does not allow its parent" },
	{ "example.net", NULL, 0, A, 1, true, DG_REASON_NONE, "example.net", true,
	  "*.example.net allows example.net itself" },
	{ "cdn.example.net", NULL, 0, A, 1, true, DG_REASON_NONE, "example.net", true,
	  "*.example.net allows one label below" },
	{ "a.cdn.example.net", NULL, 0, A, 1, false, DG_REASON_TOO_DEEP, "example.net", false,
	  "*.example.net denies two labels below" },
	{ "api.example.net", NULL, 0, A, 1, true, DG_REASON_NONE, "api.example.net", true,
	  "the most specific allowing entry is reported" },
	{ "a.b.c.deep.example.org", NULL, 0, A, 1, true, DG_REASON_NONE, "deep.example.org", true,
	  "depth=3 allows exactly three labels below" },
	{ "x.a.b.c.deep.example.org", NULL, 0, A, 1, false, DG_REASON_TOO_DEEP, "deep.example.org", false,
	  "depth=3 denies four labels below" },
	{ "anthropic.com", NULL, 0, A, 1, true, DG_REASON_NONE, "anthropic.com", true,
	  "the real name is allowed" },
	{ "anthropic.com.evil.example", NULL, 0, A, 1, false, DG_REASON_NOT_LISTED, "-", false,
	  "a lookalike with the entry as a prefix is not listed" },
	{ "xanthropic.com", NULL, 0, A, 1, false, DG_REASON_NOT_LISTED, "-", false,
	  "a lookalike with a longer label is not listed" },
	{ "nthropic.com", NULL, 0, A, 1, false, DG_REASON_NOT_LISTED, "-", false,
	  "a lookalike with a shorter label is not listed" },
	{ "anthropic.co", NULL, 0, A, 1, false, DG_REASON_NOT_LISTED, "-", false,
	  "a lookalike in another TLD is not listed" },
	{ "", NULL, 0, A, 1, false, DG_REASON_NOT_LISTED, "-", false,
	  "the root is not listed" },
	{ "com", NULL, 0, A, 1, false, DG_REASON_NOT_LISTED, "-", false,
	  "a TLD above entries is not listed" },

	/* Overlapping entries on u.test: depth=1 types=A, and depth=3. */
	{ "a.b.u.test", NULL, 0, AAAA, 1, true, DG_REASON_NONE, "u.test", true,
	  "union: the deeper entry allows what the narrow one does not" },
	{ "a.u.test", NULL, 0, A, 1, true, DG_REASON_NONE, "u.test", true,
	  "union: both entries allow one label below" },
	{ "a.b.c.d.u.test", NULL, 0, A, 1, false, DG_REASON_TOO_DEEP, "u.test", false,
	  "union: past the widest depth is too deep" },

	/* Types: t.test allows only TXT; TXT is not a default type. */
	{ "t.test", NULL, 0, TXT, 1, true, DG_REASON_NONE, "t.test", true,
	  "types=TXT allows TXT for its name" },
	{ "t.test", NULL, 0, A, 1, false, DG_REASON_QTYPE, "t.test", true,
	  "types=TXT narrows: A is denied for that name, which exists" },
	{ "api.example.com", NULL, 0, TXT, 1, false, DG_REASON_QTYPE, "api.example.com", true,
	  "a type one entry allows is not allowed by another entry" },
	{ "evil.example", NULL, 0, TXT, 1, false, DG_REASON_NOT_LISTED, "-", false,
	  "a type some entry allows goes on to the name checks" },
	{ "api.example.com", NULL, 0, 255, 1, false, DG_REASON_QTYPE, "api.example.com", true,
	  "ANY is denied on an allowed name" },
	{ "evil.example", NULL, 0, 10, 1, false, DG_REASON_QTYPE, "-", false,
	  "NULL (type 10), listed nowhere, is denied before the name" },
	{ "api.example.com", NULL, 0, HTTPS, 1, true, DG_REASON_NONE, "api.example.com", true,
	  "HTTPS is a default type" },
	{ "api.example.com", NULL, 0, CNAME, 1, true, DG_REASON_NONE, "api.example.com", true,
	  "CNAME is a default type" },

	/* Global limits. */
	{ "api.example.com", NULL, 0, A, CLASS_CH, false, DG_REASON_CLASS, "-", true,
	  "class CH is denied even for an allowed name" },
	{ L40 ".example.net", NULL, 0, A, 1, true, DG_REASON_NONE, "example.net", true,
	  "a 40-byte label is within max_label_length" },
	{ L41 ".example.net", NULL, 0, A, 1, false, DG_REASON_LABEL_LENGTH, "-", true,
	  "a 41-byte label is over max_label_length" },
	{ L40_4 ".abcdefghijklmnopqrstuvwxy", NULL, 0, A, 1, false, DG_REASON_NAME_LENGTH, "-", false,
	  "a 190-byte name is over max_name_length" },
	{ "a_b.example.net", NULL, 0, A, 1, true, DG_REASON_NONE, "example.net", true,
	  "an underscore is in the default charset" },
	{ "a-b.example.net", NULL, 0, A, 1, true, DG_REASON_NONE, "example.net", true,
	  "a hyphen is in the default charset" },
	{ NULL, "\x03" "a b" "\x07" "example" "\x03" "net", 16, A, 1, false, DG_REASON_CHARSET, "-", true,
	  "a space in a label is outside the charset" },
	{ NULL, "\x03" "a.b" "\x07" "example" "\x03" "net", 16, A, 1, false, DG_REASON_CHARSET, "-", true,
	  "a dot inside a label is outside the charset" },
	{ NULL, "\x03" "a\0b" "\x07" "example" "\x03" "net", 16, A, 1, false, DG_REASON_CHARSET, "-", true,
	  "a NUL inside a label is outside the charset" },
	{ NULL, "\x03" "a\xc3\xa9" "\x07" "example" "\x03" "net", 16, A, 1, false, DG_REASON_CHARSET, "-", true,
	  "bytes above 0x7F are outside the charset" },
	{ NULL, "\x03" "a=b" "\x07" "example" "\x03" "net", 16, A, 1, false, DG_REASON_CHARSET, "-", true,
	  "'=' (base64 padding) is outside the charset" },
	{ NULL, "\x0b" "example.net", 12, A, 1, false, DG_REASON_CHARSET, "-", false,
	  "'example\\.net' as one label is not example.net" },

	/* The order of reasons: the first that applies wins. */
	{ "t.test", NULL, 0, 10, 1, false, DG_REASON_QTYPE, "t.test", true,
	  "qtype comes before everything but class" },
	{ L41 ".evil.example", NULL, 0, A, 1, false, DG_REASON_LABEL_LENGTH, "-", false,
	  "label-length comes before not-listed" },
	{ NULL, "\x03" "a b" "\x04" "evil" "\x07" "example", 18, A, 1, false, DG_REASON_CHARSET, "-", false,
	  "charset comes before not-listed" },
	{ NULL, "\x03" "a b" "\x01" "x" "\x03" "cdn" "\x07" "example" "\x03" "net", 22, A, 1, false,
	  DG_REASON_CHARSET, "-", false, "charset comes before too-deep" },
};

static void test_table(void)
{
	struct dg_policy *p = dg_policy_new();
	static const uint16_t only_a[] = { A };
	static const uint16_t only_txt[] = { TXT };

	add(p, "api.example.com", 0, false, NULL, 0);
	add(p, "example.net", 1, true, NULL, 0);
	add(p, "api.example.net", 0, false, NULL, 0);
	add(p, "deep.example.org", 3, false, NULL, 0);
	add(p, "anthropic.com", 0, false, NULL, 0);
	add(p, "u.test", 1, false, only_a, 1);
	add(p, "u.test", 3, false, NULL, 0);
	add(p, "t.test", 0, false, only_txt, 1);
	is_int(dg_policy_count(p), 8, "eight entries were added");

	for (size_t i = 0; i < DG_ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		uint8_t n[DG_NAME_MAXLEN + 1];
		char buf[DG_NAME_STRLEN];
		struct dg_question q = { .name = n, .qtype = r->qtype,
					 .qclass = r->qclass };
		struct dg_verdict v;
		const char *got;

		if (r->name != NULL) {
			wire(r->name, n);
		} else {
			memcpy(n, r->raw, r->raw_len);
			n[r->raw_len] = 0;
		}
		if (dg_name_check(n, sizeof(n)) < 0) {
			ok(false, "row %zu: its name is malformed", i);
			continue;
		}
		dg_policy_decide(p, &q, &v);
		got = entry_text(p, v.entry, buf, sizeof(buf));
		ok(v.allow == r->allow && v.reason == r->reason &&
			   strcmp(got, r->entry) == 0 &&
			   (v.allow || r->reason == DG_REASON_CLASS ||
			    r->reason == DG_REASON_LABEL_LENGTH ||
			    r->reason == DG_REASON_CHARSET ||
			    v.name_allowed == r->name_allowed),
		   "%s", r->why);
		if (v.allow != r->allow || v.reason != r->reason ||
		    strcmp(got, r->entry) != 0)
			printf("#   got %s %s (entry %s), want %s %s (entry %s)\n",
			       v.allow ? "allow" : "deny", dg_reason_name(v.reason),
			       got, r->allow ? "allow" : "deny",
			       dg_reason_name(r->reason), r->entry);
	}
	dg_policy_free(p);
}

/* Name length: the written form without the final dot, at and past 160. */
static void test_name_length(void)
{
	struct dg_policy *p = dg_policy_new();
	uint8_t n[DG_NAME_MAXLEN];
	struct dg_question q = { .name = n, .qtype = A, .qclass = 1 };
	struct dg_verdict v;
	char text[200];

	add(p, "example.net", 4, false, NULL, 0);
	/* 3 * (39 + 1) + 28 + ".example.net" (12) = 160. */
	snprintf(text, sizeof(text), "%.39s.%.39s.%.39s.%.28s.example.net",
		 L40, L40, L40, L40);
	is_int(strlen(text), 160, "the test name is 160 bytes long");
	wire(text, n);
	dg_policy_decide(p, &q, &v);
	ok(v.allow, "a 160-byte name is within max_name_length");
	snprintf(text, sizeof(text), "%.39s.%.39s.%.39s.%.29s.example.net",
		 L40, L40, L40, L40);
	wire(text, n);
	dg_policy_decide(p, &q, &v);
	ok(!v.allow && v.reason == DG_REASON_NAME_LENGTH,
	   "a 161-byte name is over max_name_length");

	dg_policy_limits(p)->max_name_length = 161;
	dg_policy_decide(p, &q, &v);
	ok(v.allow, "raising max_name_length lets it through");
	dg_policy_free(p);
}

static void test_limits(void)
{
	struct dg_policy *p = dg_policy_new();
	uint8_t n[DG_NAME_MAXLEN];
	struct dg_question q = { .name = n, .qtype = A, .qclass = 1 };
	struct dg_verdict v;

	add(p, "example.net", 1, true, NULL, 0);
	wire("a_b.example.net", n);
	dg_policy_limits(p)->charset = DG_CHARSET_LDH;
	dg_policy_decide(p, &q, &v);
	ok(!v.allow && v.reason == DG_REASON_CHARSET,
	   "charset=ldh denies an underscore");

	wire("example.net", n);
	q.qtype = TXT;
	dg_policy_decide(p, &q, &v);
	ok(!v.allow && v.reason == DG_REASON_QTYPE && v.name_allowed,
	   "TXT is denied when no entry allows it, and the name exists");
	if (dg_typeset_add(&dg_policy_limits(p)->default_types, TXT) != 0)
		abort();
	dg_policy_decide(p, &q, &v);
	ok(v.allow, "adding TXT to the default types allows it");
	dg_policy_free(p);
}

static void test_add_errors(void)
{
	struct dg_policy *p = dg_policy_new();
	uint8_t root[1] = { 0 }, n[DG_NAME_MAXLEN];
	struct dg_entry_spec spec = { .name = root };
	const struct dg_entry *e;
	char buf[DG_NAME_STRLEN];
	uint32_t src, src2;

	is_int(dg_policy_add(p, &spec), DG_EMALFORMED, "the root cannot be an entry");
	wire("Example.COM", n);
	spec.name = n;
	spec.depth = DG_NAME_MAXLABELS + 1;
	is_int(dg_policy_add(p, &spec), DG_EMALFORMED, "a depth over 127 is refused");
	spec.depth = 2;
	ok(dg_policy_add_source(p, "a.zones", &src) == 0 &&
		   dg_policy_add_source(p, "b.zones", &src2) == 0 &&
		   dg_policy_add_source(p, "a.zones", &spec.source) == 0,
	   "sources are interned");
	is_int(spec.source, src, "the same file gets the same index");
	ok(src != src2, "another file another");
	spec.line = 7;
	is_int(dg_policy_add(p, &spec), 0, "a mixed-case entry is added");
	e = dg_policy_entry(p, 0);
	is_str(entry_text(p, e, buf, sizeof(buf)), "example.com",
	       "entries are stored lowercased");
	is_str(dg_policy_source(p, e->source), "a.zones", "the entry keeps its file");
	is_int(e->line, 7, "and its line");
	ok(dg_policy_entry(p, 1) == NULL, "there is no second entry");
	dg_policy_free(p);
}

/* Many entries: every one is found, and misses stay misses. */
static void test_many(void)
{
	struct dg_policy *p = dg_policy_new();
	uint8_t n[DG_NAME_MAXLEN];
	struct dg_question q = { .name = n, .qtype = A, .qclass = 1 };
	struct dg_verdict v;
	char name[64];
	unsigned allowed = 0, wrong = 0;

	for (unsigned i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "h%u.d%u.test", i, i % 97);
		add(p, name, 0, false, NULL, 0);
	}
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "h%u.d%u.test", i, i % 97);
		wire(name, n);
		dg_policy_decide(p, &q, &v);
		allowed += v.allow;
		snprintf(name, sizeof(name), "h%u.d%u.test", i, (i + 1) % 97);
		wire(name, n);
		dg_policy_decide(p, &q, &v);
		wrong += v.allow;
	}
	is_int(allowed, 20000, "each of 20000 entries allows its name");
	is_int(wrong, 0, "and none allows a name under a sibling");
	dg_policy_free(p);
}

/* Union: a policy with more entries allows at least what it did. */
static void test_union_property(void)
{
	static const char *const labels[] = { "a", "b", "c", "A" };
	static const uint16_t types[] = { A, AAAA, TXT };
	unsigned seed = 12345, violations = 0, checks = 0;

	for (int round = 0; round < 50; round++) {
		struct dg_policy *small = dg_policy_new();
		struct dg_policy *big = dg_policy_new();

		for (int i = 0; i < 6; i++) {
			char name[32];
			unsigned depth;
			uint16_t t = types[(seed = seed * 1103515245 + 12345) >> 16 & 1 ? 0 : 2];
			int labels_n = 1 + (int)((seed >> 8) % 3);

			name[0] = '\0';
			for (int j = 0; j < labels_n; j++) {
				seed = seed * 1103515245 + 12345;
				strcat(name, labels[(seed >> 16) % 4]);
				if (j + 1 < labels_n)
					strcat(name, ".");
			}
			depth = (seed >> 4) % 3;
			add(big, name, depth, false, &t, (seed >> 20) & 1);
			if (i < 3)
				add(small, name, depth, false, &t, (seed >> 20) & 1);
		}
		for (int k = 0; k < 200; k++) {
			char name[32];
			uint8_t n[DG_NAME_MAXLEN];
			struct dg_question q = { .name = n, .qclass = 1 };
			struct dg_verdict vs, vb;
			int labels_n = 1 + k % 5;

			name[0] = '\0';
			for (int j = 0; j < labels_n; j++) {
				seed = seed * 1103515245 + 12345;
				strcat(name, labels[(seed >> 16) % 4]);
				if (j + 1 < labels_n)
					strcat(name, ".");
			}
			q.qtype = types[(seed >> 3) % 3];
			wire(name, n);
			dg_policy_decide(small, &q, &vs);
			dg_policy_decide(big, &q, &vb);
			checks++;
			violations += vs.allow && !vb.allow;
		}
		dg_policy_free(small);
		dg_policy_free(big);
	}
	is_int(violations, 0, "adding entries never denied a question allowed before (%u checks)",
	       checks);
}

int main(void)
{
	test_table();
	test_name_length();
	test_limits();
	test_add_errors();
	test_many();
	test_union_property();
	return done_testing();
}
