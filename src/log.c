/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log: see log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char prefix[] = "dnsgate: ";

/* Read by every worker at each message and written by the main thread at
 * start and reload: an atomic, so logging takes no lock. */
static atomic_int log_level = DG_LOG_INFO;

void dg_log_set_level(enum dg_log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

bool dg_log_enabled(enum dg_log_level level)
{
	return (int)level <=
	       atomic_load_explicit(&log_level, memory_order_relaxed);
}

/*
 * The whole line is formatted first and leaves in one write(2), so that
 * two threads' lines never mix without a lock of ours: the kernel keeps
 * one write whole on a pipe (up to PIPE_BUF, above DG_LOG_LINE_MAX) and on
 * a file (the file position is taken under a lock), which is where
 * standard error goes under systemd, a container or a shell. stdio's
 * stderr is unbuffered, so nothing it holds can come out between.
 */
DG_PRINTF(1, 0)
static void vlog(const char *fmt, va_list ap)
{
	char line[DG_LOG_LINE_MAX];
	size_t n = sizeof(prefix) - 1;
	size_t room = sizeof(line) - n - 1; /* for the text; then '\n' */
	size_t off = 0;
	int saved = errno;
	int len;

	memcpy(line, prefix, n);
	len = vsnprintf(line + n, room + 1, fmt, ap);
	if (len < 0)
		len = snprintf(line + n, room + 1, "(unprintable message)");
	if ((size_t)len > room) {
		len = (int)room;
		memcpy(line + n + room - 3, "...", 3);
	}
	n += (size_t)len;
	line[n++] = '\n';
	while (off < n) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	errno = saved;
}

void dg_log(enum dg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!dg_log_enabled(level))
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

/*
 * Why an event number, and not the simpler "only worker 0 reports" or a
 * static flag: worker 0 does not meet all the others meet (a worker's own
 * reload can fail alone), and a flag, once set, would keep the next
 * SIGUSR1's failure an hour later silent for good. With the caller's
 * event, "once" means once per thing that happened; the compare-and-swap
 * lets whichever thread comes first say it, and the others see at once
 * that it was said, with no lock and no word between the threads.
 */
static bool claim(struct dg_log_once *once, uint64_t event)
{
	uint64_t said = atomic_load_explicit(&once->said, memory_order_relaxed);

	do {
		if (said >= event)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		&once->said, &said, event, memory_order_relaxed,
		memory_order_relaxed));
	return true;
}

bool dg_log_once(struct dg_log_once *once, uint64_t event,
		 enum dg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!dg_log_enabled(level) || !claim(once, event))
		return false;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	return true;
}
