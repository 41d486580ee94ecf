/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * util: the small pieces every module shares. Error codes and their names,
 * attribute macros, container_of and overflow-checked sizes, and the one
 * way dnsgate opens a file it writes, and the clock workers compare. Owns
 * no state; that open is its only I/O.
 *
 * Error convention (as libuv and Knot): 0 is success, a negative value is a
 * failure. Negative errno values (which on Linux are also libuv's UV_E*
 * codes) pass through unchanged; dnsgate's own failures use DG_E*, in a
 * range no errno reaches. dg_strerror() names both.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define dg_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define DG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define DG_NODISCARD __attribute__((warn_unused_result))

enum dg_error {
	DG_EMALFORMED = -20001, /* input that is not what its format says */
	DG_EBUSY = -20002,      /* a bound was reached */
	DG_ETIMEOUT = -20003,   /* no answer in time */
	DG_EMISMATCH = -20004,  /* an answer that does not belong to its query */
	DG_ECONFIG = -20005,    /* a configuration with errors (already printed) */
	DG_ENOMEM = -12,        /* -ENOMEM, so it passes through as libuv's */
};

/* The name of an error: DG_E*, or a negative errno. Never NULL. */
const char *dg_strerror(int err);

/* Programmer errors abort in every build; input errors never come here. */
#define dg_assert(x)                                                      \
	do {                                                              \
		if (!(x))                                                 \
			dg_assert_fail(#x, __FILE__, __LINE__, __func__); \
	} while (0)
_Noreturn void dg_assert_fail(const char *expr, const char *file, int line,
			      const char *func);

/* n * size, or 0 when it would overflow (callers treat 0 as out of memory). */
static inline size_t dg_mul_size(size_t n, size_t size)
{
	size_t r;
	if (__builtin_mul_overflow(n, size, &r))
		return 0;
	return r;
}

/*
 * Grow an array to hold at least `need` elements of `size` bytes, doubling.
 * *arr and *cap are updated only on success.
 * @return 0, or DG_ENOMEM.
 */
DG_NODISCARD int dg_grow(void *arr, size_t *cap, size_t need, size_t size);

/*
 * A decimal number in [min, max], digits only: no sign, blanks or suffix
 * (strtoul alone would take " -1" as a huge value).
 * @return true and *out, or false with *out untouched.
 */
bool dg_parse_ulong(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out);

/*
 * Milliseconds of the monotonic clock, which every thread shares: what
 * workers compare across their loops (uv_now() is each loop's own).
 */
uint64_t dg_clock_ms(void);

/*
 * Open a file dnsgate writes (the query log, the pid file): appended to,
 * or truncated when `append` is false; created mode 0644. Never through a
 * symbolic link at the last component: dnsgate often starts as root, and
 * a link planted where the file should be (a world-writable folder) would
 * have it write wherever the link points. Close-on-exec.
 * @return the stream, or NULL with errno set (ELOOP for a link).
 */
DG_NODISCARD FILE *dg_open_for_writing(const char *path, bool append);
