/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * util: error names, the assertion handler and array growth. See util.h.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

const char *dg_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case DG_EMALFORMED:
		return "malformed input";
	case DG_EBUSY:
		return "limit reached";
	case DG_ETIMEOUT:
		return "timed out";
	case DG_EMISMATCH:
		return "answer does not match the query";
	case DG_ECONFIG:
		return "configuration has errors";
	default:
		break;
	}
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

void dg_assert_fail(const char *expr, const char *file, int line,
		    const char *func)
{
	dg_log(DG_LOG_ERR, "%s:%d: %s: assertion '%s' failed", file, line, func,
	       expr);
	abort();
}

int dg_grow(void *arr, size_t *cap, size_t need, size_t size)
{
	void **p = arr;
	size_t ncap = *cap ? *cap : 8;
	size_t bytes;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return DG_ENOMEM;
		ncap *= 2;
	}
	bytes = dg_mul_size(ncap, size);
	if (bytes == 0)
		return DG_ENOMEM;
	n = realloc(*p, bytes);
	if (n == NULL)
		return DG_ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

bool dg_parse_ulong(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

FILE *dg_open_for_writing(const char *path, bool append)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		    (append ? O_APPEND : O_TRUNC);
	int fd = open(path, flags, 0644);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, append ? "a" : "w");
	if (f == NULL) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return f;
}

uint64_t dg_clock_ms(void)
{
	struct timespec ts;

	/* Never fails for CLOCK_MONOTONIC with a valid pointer (POSIX). */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
