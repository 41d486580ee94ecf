/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tap.h: the few Test Anything Protocol calls our unit tests need (the
 * vocabulary of Knot's libtap). Each check prints `ok N - message` or
 * `not ok N - message`; done_testing() prints the plan and returns the exit
 * status, non-zero when anything failed.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 2, 3)))
static inline bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

#define is_int(got, want, ...)                                              \
	do {                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);    \
		if (!ok(g_ == w_, __VA_ARGS__))                             \
			printf("#   got %lld, want %lld\n", g_, w_);         \
	} while (0)

#define is_str(got, want, ...)                                              \
	do {                                                                \
		const char *g_ = (got), *w_ = (want);                       \
		if (!ok(g_ != NULL && strcmp(g_, w_) == 0, __VA_ARGS__))    \
			printf("#   got '%s'\n#  want '%s'\n",              \
			       g_ ? g_ : "(null)", w_);                     \
	} while (0)

static inline void diag(const char *msg)
{
	printf("# %s\n", msg);
}

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}
