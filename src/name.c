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

/* Labels a and b (length byte first) are equal up to ASCII case. */
static bool label_equal(const uint8_t *a, const uint8_t *b)
{
	if (a[0] != b[0])
		return false;
	for (unsigned i = 1; i <= a[0]; i++)
		if (dg_ascii_lower(a[i]) != dg_ascii_lower(b[i]))
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

uint32_t dg_name_key_hash(const uint8_t *name, uint16_t qtype, uint16_t qclass)
{
	uint32_t h = 2166136261u;
	size_t len = dg_name_length(name);

	for (size_t i = 0; i < len; i++) {
		h ^= dg_ascii_lower(name[i]);
		h *= 16777619u;
	}
	h ^= (uint32_t)qtype << 16 | qclass;
	return h * 16777619u;
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
