/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_log: the operational log. A level shows its own messages and the
 * more severe ones; each message is one whole line with the prefix, cut
 * at DG_LOG_LINE_MAX; lines written by four threads at once never mix;
 * dg_log_once says a message once across four threads, again for a later
 * event, never for an earlier one. Standard error goes to a temporary
 * file that each check reads back.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <uv.h>

#include "log.h"
#include "tap.h"

#define THREADS 4
#define CALLS 1000
#define LINES 200

static FILE *captured; /* standard error, redirected here */
static char text[THREADS * LINES * 1100];

/* What was written since the last call, NUL-terminated, then forgotten. */
static const char *take(void)
{
	size_t n;

	fflush(captured);
	rewind(captured);
	n = fread(text, 1, sizeof(text) - 1, captured);
	text[n] = '\0';
	if (ftruncate(fileno(captured), 0) != 0)
		abort();
	rewind(captured);
	return text;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void check_levels(void)
{
	dg_log(DG_LOG_INFO, "info %d", 1);
	dg_log(DG_LOG_DEBUG, "debug %d", 1);
	is_str(take(), "dnsgate: info 1\n",
	       "the default level is info: info shown, debug not");
	dg_log_set_level(DG_LOG_ERR);
	ok(!dg_log_enabled(DG_LOG_WARN) && dg_log_enabled(DG_LOG_ERR),
	   "at err, warn is not enabled and err is");
	dg_log(DG_LOG_WARN, "warn");
	dg_log(DG_LOG_INFO, "info");
	dg_log(DG_LOG_ERR, "err");
	is_str(take(), "dnsgate: err\n", "at err, only errors");
	dg_log_set_level(DG_LOG_WARN);
	dg_log(DG_LOG_WARN, "warn");
	dg_log(DG_LOG_INFO, "info");
	is_str(take(), "dnsgate: warn\n", "at warn, warnings but not info");
	dg_log_set_level(DG_LOG_DEBUG);
	dg_log(DG_LOG_DEBUG, "debug");
	dg_log(DG_LOG_ERR, "err");
	is_str(take(), "dnsgate: debug\ndnsgate: err\n", "at debug, everything");
}

static void check_long_line(void)
{
	char *arg = malloc(3 * DG_LOG_LINE_MAX);
	const char *got;
	size_t len;

	if (arg == NULL)
		abort();
	memset(arg, 'x', 3 * DG_LOG_LINE_MAX - 1);
	arg[3 * DG_LOG_LINE_MAX - 1] = '\0';
	errno = EAGAIN;
	dg_log(DG_LOG_ERR, "%s", arg);
	is_int(errno, EAGAIN, "dg_log leaves errno as it was");
	got = take();
	len = strlen(got);
	is_int(len, DG_LOG_LINE_MAX, "a long message is cut at DG_LOG_LINE_MAX");
	ok(strncmp(got, "dnsgate: xxx", 12) == 0 &&
		   strcmp(got + len - 4, "...\n") == 0,
	   "with the prefix, and '...' before the newline");
	free(arg);
}

static uv_barrier_t start;

static void log_lines(void *arg)
{
	char body[1000];

	memset(body, 'a' + (int)(size_t)arg, sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	uv_barrier_wait(&start);
	for (int i = 0; i < LINES; i++)
		dg_log(DG_LOG_INFO, "%s", body);
}

/* Each line is the prefix and 999 times one letter: nothing mixed in. */
static bool lines_whole(const char *s)
{
	while (*s != '\0') {
		const char *nl = strchr(s, '\n');

		if (nl == NULL || nl - s != 9 + 999 ||
		    strncmp(s, "dnsgate: ", 9) != 0)
			return false;
		for (const char *c = s + 9; c < nl; c++)
			if (*c != s[9])
				return false;
		s = nl + 1;
	}
	return true;
}

static struct dg_log_once once;
static atomic_int said;

static void say_once(void *arg)
{
	uint64_t event = (uint64_t)(size_t)arg;

	uv_barrier_wait(&start);
	for (int i = 0; i < CALLS; i++)
		if (dg_log_once(&once, event, DG_LOG_WARN, "event %llu",
				(unsigned long long)event))
			atomic_fetch_add(&said, 1);
}

/* Run fn(arg) in THREADS threads, released together. */
static void in_threads(void (*fn)(void *), bool distinct_args, size_t arg)
{
	uv_thread_t t[THREADS];

	if (uv_barrier_init(&start, THREADS) != 0)
		abort();
	for (size_t i = 0; i < THREADS; i++)
		if (uv_thread_create(&t[i], fn,
				     (void *)(distinct_args ? i : arg)) != 0)
			abort();
	for (size_t i = 0; i < THREADS; i++)
		uv_thread_join(&t[i]);
	uv_barrier_destroy(&start);
}

static void check_threads(void)
{
	const char *got;

	in_threads(log_lines, true, 0);
	got = take();
	is_int(count_lines(got), THREADS * LINES,
	       "4 threads, 200 lines each: 800 lines");
	ok(lines_whole(got), "and not one of them mixed with another");

	in_threads(say_once, false, 1);
	is_str(take(), "dnsgate: event 1\n",
	       "4 threads meeting event 1 4000 times: said once");
	is_int(atomic_load(&said), 1, "and one call says it wrote it");

	in_threads(say_once, false, 2);
	is_str(take(), "dnsgate: event 2\n", "a later event is said again, once");
	in_threads(say_once, false, 1);
	is_str(take(), "", "an earlier event, after it: nothing");

	dg_log_set_level(DG_LOG_ERR);
	ok(!dg_log_once(&once, 3, DG_LOG_WARN, "hidden"),
	   "a message the level hides is not written");
	dg_log_set_level(DG_LOG_WARN);
	ok(dg_log_once(&once, 3, DG_LOG_WARN, "event 3"),
	   "nor claimed: once the level allows it, it is said");
	is_str(take(), "dnsgate: event 3\n", "as one line");
}

int main(void)
{
	captured = tmpfile();
	if (captured == NULL || dup2(fileno(captured), STDERR_FILENO) < 0) {
		perror("test_log: standard error to a temporary file");
		return 99;
	}
	check_levels();
	check_long_line();
	check_threads();
	fclose(captured);
	return done_testing();
}
