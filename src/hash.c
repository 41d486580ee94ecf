/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hash: SipHash-2-4. See hash.h. Written from the paper's description;
 * tests/unit/test_hash.c checks it against the paper's test vectors.
 */
#include "hash.h"

#include <endian.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
};

/* Inlined: a call per round cost as much as the round (callgrind). */
static inline __attribute__((always_inline)) void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

/* Two compression rounds per 8-byte word: the "2" of SipHash-2-4. */
static inline __attribute__((always_inline)) void
sip_compress(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

/* Little-endian, whatever the host, as the specification reads words. */
static inline uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)p[i] << (8 * i);
	return m;
}

/* A whole word: one load where the host is little-endian. */
static inline uint64_t load_word(const uint8_t *p)
{
	uint64_t m;

	memcpy(&m, p, sizeof(m));
	return le64toh(m);
}

uint64_t dg_siphash(const struct dg_hash_key *key, const void *data,
		    size_t len)
{
	const uint8_t *p = data;
	struct sip s = {
		.v0 = key->k0 ^ 0x736f6d6570736575ull,
		.v1 = key->k1 ^ 0x646f72616e646f6dull,
		.v2 = key->k0 ^ 0x6c7967656e657261ull,
		.v3 = key->k1 ^ 0x7465646279746573ull,
	};
	size_t whole = len & ~(size_t)7;

	for (size_t i = 0; i < whole; i += 8)
		sip_compress(&s, load_word(p + i));
	/* The last word: the bytes left over, and the length's low byte on
	 * top, so messages that differ only by trailing zeros differ. */
	sip_compress(&s, load_le(p + whole, len - whole) | (uint64_t)len << 56);
	s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void dg_hash_key_random(struct dg_hash_key *key)
{
	uint8_t bytes[16];

	/* 16 bytes never block or come short once the pool is initialised;
	 * if it fails anyway, the clock is still unknown to a client. */
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		memcpy(bytes, &ts, sizeof(bytes) < sizeof(ts) ? sizeof(bytes)
							       : sizeof(ts));
	}
	key->k0 = load_le(bytes, 8);
	key->k1 = load_le(bytes + 8, 8);
}
