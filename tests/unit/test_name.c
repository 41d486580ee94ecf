/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_name: wire-format name checks, label walking, case-insensitive
 * suffix matching and presentation output, with hostile inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "tap.h"
#include "util.h"

/* Dotted text (no escapes) to wire form; returns the wire length. */
static size_t wire(const char *dotted, uint8_t *out)
{
	size_t pos = 0;
	const char *s = dotted;

	while (*s != '\0') {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		out[pos] = (uint8_t)len;
		memcpy(out + pos + 1, s, len);
		pos += len + 1;
		s += len;
		if (*s == '.')
			s++;
	}
	out[pos] = 0;
	return pos + 1;
}

static void test_check(void)
{
	uint8_t buf[600];
	size_t len;

	len = wire("www.example.com", buf);
	is_int(dg_name_check(buf, len), (int)len, "a plain name checks to its length");
	is_int(dg_name_check(buf, len - 1), DG_EMALFORMED,
	       "a name cut before its root label is malformed");
	is_int(dg_name_check((const uint8_t *)"", 1), 1, "the root name is one byte");
	is_int(dg_name_check(buf, 0), DG_EMALFORMED, "an empty buffer is malformed");

	buf[0] = 0xc0;
	buf[1] = 0x0c;
	is_int(dg_name_check(buf, 2), DG_EMALFORMED,
	       "a compression pointer is refused in a name to check");
	buf[0] = 0x41;
	is_int(dg_name_check(buf, sizeof(buf)), DG_EMALFORMED,
	       "an extended label type (0x40) is refused");

	/* 63 is the longest label; 64 is a label type, not a length. */
	memset(buf, 'a', sizeof(buf));
	buf[0] = 63;
	buf[64] = 0;
	is_int(dg_name_check(buf, 65), 65, "a 63-byte label is valid");
	buf[0] = 64;
	buf[65] = 0;
	is_int(dg_name_check(buf, 66), DG_EMALFORMED, "a 64-byte label is refused");

	/* 255 bytes: three 63-byte labels and one of 61, then the root. */
	memset(buf, 'a', sizeof(buf));
	buf[0] = 63;
	buf[64] = 63;
	buf[128] = 63;
	buf[192] = 61;
	buf[254] = 0;
	is_int(dg_name_check(buf, sizeof(buf)), 255, "a 255-byte name is valid");
	is_int(dg_name_labels(buf), 4, "it has four labels");
	buf[192] = 62;
	buf[254] = 'a';
	buf[255] = 0;
	is_int(dg_name_check(buf, sizeof(buf)), DG_EMALFORMED,
	       "a 256-byte name is refused");

	/* 127 one-byte labels fill 255 bytes exactly. */
	for (int i = 0; i < 127; i++) {
		buf[2 * i] = 1;
		buf[2 * i + 1] = 'x';
	}
	buf[254] = 0;
	is_int(dg_name_check(buf, sizeof(buf)), 255, "127 one-byte labels are valid");
	is_int(dg_name_labels(buf), DG_NAME_MAXLABELS, "and count as 127 labels");
}

static void test_compare(void)
{
	uint8_t a[DG_NAME_MAXLEN], b[DG_NAME_MAXLEN], z[DG_NAME_MAXLEN];
	uint8_t lower[DG_NAME_MAXLEN];

	wire("WwW.ExAmPle.CoM", a);
	wire("www.example.com", b);
	ok(dg_name_equal(a, b), "names are equal regardless of ASCII case");
	dg_name_lower(lower, a);
	ok(memcmp(lower, b, dg_name_length(b)) == 0, "lowercasing folds ASCII only");

	{
		unsigned wrong = 0;

		for (unsigned c = 0; c < 256; c++) {
			unsigned want = c >= 'A' && c <= 'Z' ? c + 32 : c;

			wrong += dg_ascii_lower((uint8_t)c) != want;
		}
		is_int(wrong, 0, "the lowercase table folds A-Z and leaves the other 230 bytes be");
	}
	wire("www.examplE.com", a);
	wire("www.example.coM", b);
	ok(dg_name_equal(a, b), "a case difference in the middle and at the end of a label");
	wire("www.example.con", b);
	ok(!dg_name_equal(a, b), "one byte differs: not equal");
	wire("WwW.ExAmPle.CoM", a);

	wire("example.com", z);
	is_int(dg_name_depth_under(a, z), 1, "www.example.com is one label under example.com");
	is_int(dg_name_depth_under(z, z), 0, "a name is at depth 0 under itself");
	is_int(dg_name_depth_under(z, a), -1, "a parent is not under its child");
	wire("xexample.com", a);
	is_int(dg_name_depth_under(a, z), -1, "xexample.com is not under example.com");
	wire("example.com.evil.example", a);
	is_int(dg_name_depth_under(a, z), -1,
	       "example.com.evil.example is not under example.com");
	wire("", a);
	is_int(dg_name_depth_under(z, a), 2, "everything is under the root");

	/* A label holding a dot is one label: "a.example" as one label
	 * under com is not www.a.example.com's parent or anything else. */
	memcpy(a, "\x09" "a.example" "\x03" "com", 14);
	a[14] = 0;
	wire("example.com", z);
	is_int(dg_name_labels(a), 2, "a label holding '.' is one label");
	is_int(dg_name_depth_under(a, z), -1,
	       "'a\\.example.com' is not under example.com");
	memcpy(b, "\x01" "a" "\x07" "example" "\x03" "com", 14);
	b[14] = 0;
	ok(!dg_name_equal(a, b), "'a\\.example.com' differs from a.example.com");

	/* A NUL inside a label is a byte like any other. */
	memcpy(a, "\x03" "a\0b" "\x03" "com", 8);
	a[8] = 0;
	is_int(dg_name_check(a, 9), 9, "a label may hold a NUL byte");
	is_int(dg_name_labels(a), 2, "which does not end the name");
	is_int(a[0], 3, "and counts in its label's length");

	/* Case folding is ASCII only: 0xC9 and 0xE9 stay different. */
	memcpy(a, "\x01\xc9", 2);
	a[2] = 0;
	memcpy(b, "\x01\xe9", 2);
	b[2] = 0;
	ok(!dg_name_equal(a, b), "bytes above 0x7F are not case-folded");
}

static void test_to_str(void)
{
	uint8_t n[DG_NAME_MAXLEN];
	char text[DG_NAME_STRLEN];
	size_t len;

	wire("www.example.com", n);
	dg_name_to_str(n, text, sizeof(text));
	is_str(text, "www.example.com", "a plain name prints without the final dot");
	n[0] = 0;
	dg_name_to_str(n, text, sizeof(text));
	is_str(text, ".", "the root prints as a dot");

	memcpy(n, "\x05" "a.b\0\"" "\x03" "com", 10);
	n[10] = 0;
	dg_name_to_str(n, text, sizeof(text));
	is_str(text, "a\\.b\\000\\\".com", "dots, NULs and quotes are escaped");

	memcpy(n, "\x04" "x y\xff", 5);
	n[5] = 0;
	dg_name_to_str(n, text, sizeof(text));
	is_str(text, "x\\032y\\255", "blanks and high bytes become \\DDD");

	wire("www.example.com", n);
	len = dg_name_to_str(n, text, 4);
	is_int(len, 15, "a short buffer reports the full length");
	is_str(text, "www", "and holds a NUL-terminated prefix");

	/* The worst case fits DG_NAME_STRLEN: every byte escaped. */
	memset(n, 0xff, sizeof(n));
	n[0] = 63;
	n[64] = 63;
	n[128] = 63;
	n[192] = 61;
	n[254] = 0;
	len = dg_name_to_str(n, text, sizeof(text));
	ok(len < sizeof(text), "a 255-byte name of escapes fits DG_NAME_STRLEN (%zu)", len);
}

int main(void)
{
	test_check();
	test_compare();
	test_to_str();
	return done_testing();
}
