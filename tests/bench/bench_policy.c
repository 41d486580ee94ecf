/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_policy: dg_policy_decide() decisions per second on one core, for
 * the same query mix against allowlists of 10, 10k and 100k entries.
 *
 * The mix is what a sandbox sends: half allowed names (API hosts, a CDN
 * wildcard), the rest tunnel-like names too deep under an allowed wildcard,
 * random names under unlisted domains, and over-long base32 labels. The
 * bigger lists add synthetic entries under the same TLDs, so misses walk
 * into crowded nodes. Prints one line per size; not part of `make check`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "name.h"
#include "policy.h"

#define N_QUERIES 65536
#define ROUNDS 5
#define DECISIONS_PER_ROUND (N_QUERIES * 64)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

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

static void base32(char *out, size_t n)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[next() % 32];
	out[n] = '\0';
}

static void add(struct dg_policy *p, const char *name, unsigned depth)
{
	uint8_t w[DG_NAME_MAXLEN];
	struct dg_entry_spec spec = { .name = w, .depth = depth,
				      .wildcard = depth == 1 };

	wire(name, w);
	if (dg_policy_add(p, &spec) != 0) {
		fprintf(stderr, "bench_policy: cannot add %s\n", name);
		exit(1);
	}
}

static const char *const base_entries[] = {
	"api.anthropic.com", "statsig.anthropic.com", "github.com",
	"api.github.com", "registry.npmjs.org", "pypi.org",
	"files.pythonhosted.org", "deb.debian.org", "proxy.golang.org",
};

static struct dg_policy *build(size_t size)
{
	static const char *const tlds[] = { "com", "net", "org", "io" };
	struct dg_policy *p = dg_policy_new();

	if (p == NULL)
		exit(1);
	for (size_t i = 0; i < sizeof(base_entries) / sizeof(*base_entries); i++)
		add(p, base_entries[i], 0);
	add(p, "cdn.example.net", 1);
	for (size_t i = 10; i < size; i++) {
		char name[128], label[16];

		base32(label, 6 + next() % 6);
		snprintf(name, sizeof(name), "%s%zu.%s", label, i,
			 tlds[next() % 4]);
		if (i % 3 == 0) {
			char host[140];

			snprintf(host, sizeof(host), "api.%s", name);
			add(p, host, 0);
		} else {
			add(p, name, i % 3);
		}
	}
	return p;
}

static uint8_t (*make_queries(void))[DG_NAME_MAXLEN]
{
	uint8_t (*q)[DG_NAME_MAXLEN] = malloc(N_QUERIES * sizeof(*q));

	if (q == NULL)
		exit(1);
	for (size_t i = 0; i < N_QUERIES; i++) {
		char name[300], a[64], b[64];
		unsigned kind = next() % 100;

		if (kind < 40) {
			snprintf(name, sizeof(name), "%s",
				 base_entries[next() % 9]);
		} else if (kind < 50) {
			base32(a, 8);
			snprintf(name, sizeof(name), "%s.cdn.example.net", a);
		} else if (kind < 65) {
			base32(a, 38);
			base32(b, 38);
			snprintf(name, sizeof(name), "%s.%s.cdn.example.net", a, b);
		} else if (kind < 90) {
			base32(a, 12);
			base32(b, 10);
			snprintf(name, sizeof(name), "www.%s.%s.com", a, b);
		} else {
			base32(a, 60);
			snprintf(name, sizeof(name), "%s.attacker.example", a);
		}
		wire(name, q[i]);
	}
	return q;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	static const size_t sizes[] = { 10, 10000, 100000 };
	uint8_t (*queries)[DG_NAME_MAXLEN] = make_queries();
	double base_rate = 0;

	printf("# dg_policy_decide, one core, %d queries in the mix\n", N_QUERIES);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
		struct dg_policy *p = build(sizes[s]);
		double best = 0;
		unsigned long allowed = 0;

		for (int r = 0; r < ROUNDS; r++) {
			double t0 = now(), rate;

			for (size_t i = 0; i < DECISIONS_PER_ROUND; i++) {
				struct dg_question q = {
					.name = queries[i % N_QUERIES],
					.qtype = 1,
					.qclass = 1,
				};
				struct dg_verdict v;

				dg_policy_decide(p, &q, &v);
				allowed += v.allow;
			}
			rate = DECISIONS_PER_ROUND / (now() - t0);
			if (rate > best)
				best = rate;
		}
		if (s == 0)
			base_rate = best;
		printf("entries=%-7zu decisions/s=%.2fM ns/decision=%.1f "
		       "vs-10-entries=%+.1f%% allowed=%.1f%%\n",
		       sizes[s], best / 1e6, 1e9 / best,
		       (base_rate / best - 1) * 100,
		       100.0 * (double)allowed / (ROUNDS * (double)DECISIONS_PER_ROUND));
		dg_policy_free(p);
	}
	free(queries);
	return 0;
}
