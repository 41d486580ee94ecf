/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_hash: SipHash-2-4 against the test vectors of its paper (key
 * 00 01 … 0f, messages 00 01 … of every length up to 15 and one of 64),
 * and the keyed name hash: case-blind, and a different key scatters the
 * same names differently.
 */
#include <string.h>

#include "hash.h"
#include "name.h"
#include "tap.h"

int main(void)
{
	/* From the reference implementation's vectors.h, lengths 0..15. */
	static const uint64_t want[16] = {
		0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull,
		0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
		0xcf2794e0277187b7ull, 0x18765564cd99a68dull,
		0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
		0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull,
		0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
		0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull,
		0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
	};
	struct dg_hash_key key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	struct dg_hash_key other = { 1, 2 };
	uint8_t msg[64];
	unsigned differ = 0;

	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (unsigned len = 0; len < 16; len++)
		ok(dg_siphash(&key, msg, len) == want[len],
		   "SipHash-2-4 test vector, %u bytes", len);
	ok(dg_siphash(&key, msg, 63) == 0x958a324ceb064572ull,
	   "SipHash-2-4 test vector, 63 bytes (whole words and a tail)");

	{
		const uint8_t lower[] = "\x03" "www\x07" "example\x03" "com";
		const uint8_t upper[] = "\x03" "WwW\x07" "eXample\x03" "COM";

		ok(dg_name_key_hash(&key, lower, 1, 1) ==
			   dg_name_key_hash(&key, upper, 1, 1),
		   "the name hash ignores ASCII case (RFC 4343)");
		ok(dg_name_key_hash(&key, lower, 1, 1) !=
			   dg_name_key_hash(&key, lower, 28, 1),
		   "and not the type");
	}
	/* 1000 names in 256 buckets: under another key, most land elsewhere;
	 * a client that cannot know the key cannot aim them at one bucket. */
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t n[16] = { 4, 'x', 'x', 'x', 'x', 0 };

		n[1] = (uint8_t)('a' + i % 26);
		n[2] = (uint8_t)('a' + i / 26 % 26);
		n[3] = (uint8_t)('a' + i / 676 % 26);
		differ += (dg_name_key_hash(&key, n, 1, 1) & 255) !=
			  (dg_name_key_hash(&other, n, 1, 1) & 255);
	}
	ok(differ > 950, "another key puts %u of 1000 names in another bucket",
	   differ);
	{
		struct dg_hash_key a, b;

		dg_hash_key_random(&a);
		dg_hash_key_random(&b);
		ok(a.k0 != b.k0 || a.k1 != b.k1, "two random keys differ");
	}
	return done_testing();
}
