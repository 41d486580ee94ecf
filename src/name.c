/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * name: wire-format name helpers. See name.h.
 */
#include "name.h"

#include "util.h"

int dg_name_check(const uint8_t *name, size_t maxlen)
{
	size_t pos = 0;

	for (;;) {
		uint8_t len;

		if (pos >= maxlen)
			return DG_EMALFORMED;
		len = name[pos];
		/* 0xC0 is a compression pointer, 0x40/0x80 the obsolete
		 * extended label types (RFC 6891 5): none belong here. */
		if (len > DG_LABEL_MAXLEN)
			return DG_EMALFORMED;
		pos += 1 + (size_t)len;
		if (pos > DG_NAME_MAXLEN)
			return DG_EMALFORMED;
		if (len == 0)
			return (int)pos;
	}
}

size_t dg_name_length(const uint8_t *name)
{
	size_t pos = 0;

	while (name[pos] != 0)
		pos += 1 + (size_t)name[pos];
	return pos + 1;
}

unsigned dg_name_labels(const uint8_t *name)
{
	unsigned n = 0;

	for (size_t pos = 0; name[pos] != 0; pos += 1 + (size_t)name[pos])
		n++;
	return n;
}

unsigned dg_name_label_offsets(const uint8_t *name, uint8_t *off)
{
	unsigned n = 0;

	for (size_t pos = 0; name[pos] != 0; pos += 1 + (size_t)name[pos])
		off[n++] = (uint8_t)pos;
	return n;
}

const uint8_t dg_ascii_lower_table[256] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
	0x40, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
	0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
	0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};

/* Labels a and b (length byte first) are equal up to ASCII case; most
 * compared names are in one case already, so fold only what differs. */
static bool label_equal(const uint8_t *a, const uint8_t *b)
{
	if (a[0] != b[0])
		return false;
	for (unsigned i = 1; i <= a[0]; i++)
		if (a[i] != b[i] && dg_ascii_lower(a[i]) != dg_ascii_lower(b[i]))
			return false;
	return true;
}

bool dg_name_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (!label_equal(a, b))
			return false;
		if (a[0] == 0)
			return true;
		a += 1 + a[0];
		b += 1 + b[0];
	}
}

int dg_name_depth_under(const uint8_t *name, const uint8_t *zone)
{
	unsigned nl = dg_name_labels(name);
	unsigned zl = dg_name_labels(zone);

	if (nl < zl)
		return -1;
	/* Skip the extra leading labels, then the rest must match exactly:
	 * a suffix compare label by label, never on bytes. */
	for (unsigned i = 0; i < nl - zl; i++)
		name += 1 + name[0];
	return dg_name_equal(name, zone) ? (int)(nl - zl) : -1;
}

uint32_t dg_name_key_hash(const struct dg_hash_key *key, const uint8_t *name,
			  uint16_t qtype, uint16_t qclass)
{
	uint8_t buf[DG_NAME_MAXLEN + 4];
	size_t len = dg_name_length(name);

	dg_name_lower(buf, name);
	buf[len] = (uint8_t)(qtype >> 8);
	buf[len + 1] = (uint8_t)qtype;
	buf[len + 2] = (uint8_t)(qclass >> 8);
	buf[len + 3] = (uint8_t)qclass;
	return (uint32_t)dg_siphash(key, buf, len + 4);
}

void dg_name_lower(uint8_t *dst, const uint8_t *src)
{
	size_t len = dg_name_length(src);

	for (size_t i = 0; i < len; i++)
		dst[i] = dg_ascii_lower(src[i]);
	/* Length bytes are at most 63, below 'A', so folding left them be. */
}

/* Append one character to buf if there is room, counting it anyway. */
static void put(char *buf, size_t size, size_t *n, char c)
{
	if (*n + 1 < size)
		buf[*n] = c;
	(*n)++;
}

size_t dg_name_to_str(const uint8_t *name, char *buf, size_t size)
{
	static const char special[] = ".\\\"();@$";
	size_t n = 0;

	if (name[0] == 0) {
		put(buf, size, &n, '.');
	}
	for (size_t pos = 0; name[pos] != 0; pos += 1 + (size_t)name[pos]) {
		if (pos > 0)
			put(buf, size, &n, '.');
		for (unsigned i = 1; i <= name[pos]; i++) {
			uint8_t c = name[pos + i];

			if (c <= 0x20 || c >= 0x7f) {
				put(buf, size, &n, '\\');
				put(buf, size, &n, (char)('0' + c / 100));
				put(buf, size, &n, (char)('0' + c / 10 % 10));
				put(buf, size, &n, (char)('0' + c % 10));
				continue;
			}
			for (const char *s = special; *s; s++) {
				if (c == (uint8_t)*s) {
					put(buf, size, &n, '\\');
					break;
				}
			}
			put(buf, size, &n, (char)c);
		}
	}
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}
