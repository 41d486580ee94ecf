/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_qlog: one JSON object a line, whatever the name: quotes,
 * backslashes, NULs, newlines and high bytes in labels are escaped, and
 * the fields a denial needs are there. The denial limit counts on the
 * monotonic clock: the wall clock only stamps lines, and stepping it
 * neither refills nor freezes the limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlog.h"
#include "tap.h"

/* Lines of text, and those among them holding s. */
static int lines_with(const char *text, const char *s)
{
	int n = 0;

	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '\n');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (s == NULL || (memmem(p, len, s, strlen(s)) != NULL))
			n++;
		p = end != NULL ? end + 1 : NULL;
	}
	return n;
}

/* The denial limit: per client, in all, and the summaries. */
static void test_limit(void)
{
	static const uint8_t name[] = "\x01" "x\x07" "example";
	struct dg_addr a, b, v6a, v6b, many;
	struct dg_qlog *q = NULL;
	uint64_t now = 5000; /* monotonic: any origin */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct dg_qlog_record r = { .name = name, .qtype = 1, .rcode = 3,
				    .reason = DG_REASON_NOT_LISTED };

	if (f == NULL || dg_addr_parse("10.0.0.1", 53, &a) != 0 ||
	    dg_addr_parse("10.0.0.2", 53, &b) != 0 ||
	    dg_addr_parse("[2001:db8:1:2::1]:53", 53, &v6a) != 0 ||
	    dg_addr_parse("[2001:db8:1:2::ffff]:53", 53, &v6b) != 0 ||
	    dg_qlog_open_stream(f, 3, &q) != 0) {
		ok(false, "the limit test sets up");
		return;
	}
	r.time_ms = 1700000000000ull;
	r.client = &a;
	for (int i = 0; i < 10; i++)
		dg_qlog_write(q, &r, now);
	r.client = &b;
	for (int i = 0; i < 10; i++)
		dg_qlog_write(q, &r, now);
	r.allow = true;
	r.client = &a;
	for (int i = 0; i < 10; i++)
		dg_qlog_write(q, &r, now);
	r.allow = false;
	fflush(f);
	is_int(lines_with(text, "10.0.0.1:53\",\"proto\":\"udp\",\"name\":\"x.example\",\"type\":\"A\",\"verdict\":\"deny\""), 3,
	       "10 denials from one client at once: 3 lines (rate 3)");
	is_int(lines_with(text, "10.0.0.2:53\",\"proto"), 3,
	       "another client has its own 3");
	is_int(lines_with(text, "\"verdict\":\"allow\""), 10,
	       "allowed lines are not limited");
	is_int(lines_with(text, "suppressed"), 0, "no summary yet");
	r.allow = true;
	r.would_deny = true;
	for (int i = 0; i < 10; i++)
		dg_qlog_write(q, &r, now);
	r.allow = false;
	r.would_deny = false;
	fflush(f);
	is_int(lines_with(text, "\"verdict\":\"would-deny\""), 10,
	       "would-deny lines are not limited: audit mode logs each one");

	r.time_ms += 1000;
	now += 1000;
	r.client = &a;
	dg_qlog_write(q, &r, now);
	fflush(f);
	ok(lines_with(text, "{\"ts\":\"2023-11-14T22:13:21.000Z\",\"client\":"
			    "\"10.0.0.1:53\",\"verdict\":\"deny\",\"suppressed\":7,"
			    "\"since\":\"2023-11-14T22:13:20.000Z\"}") == 1,
	   "a second later, the client's next line comes after its summary "
	   "(7 held back, since when)");

	/* Two IPv6 clients in one /64 are one client. */
	r.client = &v6a;
	for (int i = 0; i < 2; i++)
		dg_qlog_write(q, &r, now);
	r.client = &v6b;
	for (int i = 0; i < 2; i++)
		dg_qlog_write(q, &r, now);
	fflush(f);
	is_int(lines_with(text, "2001:db8:1:2::"), 3,
	       "IPv6 clients of one /64 share the limit");

	/* In all, 16 × 3 a second: 60 clients at once get 48 lines. */
	r.time_ms += 5000;
	now += 5000;
	for (int i = 0; i < 60; i++) {
		char text_addr[32];

		snprintf(text_addr, sizeof(text_addr), "10.1.%d.%d", i / 200,
			 i % 200 + 1);
		if (dg_addr_parse(text_addr, 53, &many) != 0)
			continue;
		r.client = &many;
		dg_qlog_write(q, &r, now);
	}
	fflush(f);
	is_int(lines_with(text, "\"client\":\"10.1."), 48,
	       "60 clients at once: 48 lines in all (16 x 3)");
	dg_qlog_tick(q, now + 10000, r.time_ms + 10000);
	fflush(f);
	is_int(lines_with(text, "\"suppressed\":1,"), 12 + 1,
	       "the tick sums up the 12 held back, and the /64's one");
	ok(lines_with(text, "\"client\":\"10.0.0.2:53\",\"verdict\":\"deny\","
			    "\"suppressed\":7,") == 1,
	   "and the client that stopped, its 7");
	dg_qlog_tick(q, now + 20000, r.time_ms + 20000);
	fflush(f);
	is_int(lines_with(text, "suppressed"), 1 + 1 + 13,
	       "a summary is written once");
	dg_qlog_close(q);
	fclose(f);
	free(text);
}

/*
 * The limit on the monotonic clock, whatever the wall clock does: stepped
 * back an hour it does not freeze the limit, stepped forward an hour it
 * does not refill it, and a summary's "since" stays before its "ts".
 */
static void test_clock_steps(void)
{
	static const uint8_t name[] = "\x01" "x\x07" "example";
	static const struct dg_hash_key key = { 1, 2 };
	struct dg_qlog_limit *l = dg_qlog_limit_new(3, &key);
	struct dg_qlog_summary sum;
	struct dg_addr a;
	struct dg_qlog *q = NULL;
	char *text = NULL, line[512];
	size_t len = 0, cursor = 0;
	FILE *f = open_memstream(&text, &len);
	struct dg_qlog_record r = { .name = name, .qtype = 1, .rcode = 3,
				    .reason = DG_REASON_NOT_LISTED,
				    .client = &a };
	uint64_t now = 1000, wall = 1700000000000ull;
	int taken = 0;

	if (l == NULL || f == NULL || dg_addr_parse("10.0.0.9", 53, &a) != 0 ||
	    dg_qlog_open_stream(f, 3, &q) != 0) {
		ok(false, "the clock test sets up");
		return;
	}
	for (int i = 0; i < 5; i++)
		taken += dg_qlog_limit_take(l, &a, now, &sum);
	is_int(taken, 3, "the limiter alone: a burst of 3");
	ok(!dg_qlog_limit_take(l, &a, now, &sum) && sum.held == 0,
	   "the rest held, no summary yet");
	ok(dg_qlog_limit_take(l, &a, now + 1000, &sum),
	   "a second later (monotonic), a line again");
	ok(sum.held == 3 && sum.age_ms == 1000,
	   "after the summary of the 3 held, 1000 ms old");
	dg_qlog_limit_take(l, &a, now + 1000, &sum);
	dg_qlog_limit_take(l, &a, now + 1000, &sum);
	dg_qlog_limit_take(l, &a, now + 1000, &sum);
	ok(dg_qlog_limit_next_held(l, now + 1500, &cursor, &sum) &&
		   sum.held == 1 && sum.age_ms == 500,
	   "the next held: one, 500 ms old");
	ok(!dg_qlog_limit_next_held(l, now + 1500, &cursor, &sum),
	   "and no other");
	cursor = 0;
	ok(!dg_qlog_limit_next_held(l, now + 1500, &cursor, &sum),
	   "taken once only");
	dg_qlog_format_summary(&(struct dg_qlog_summary){ .client = a,
							  .held = 7,
							  .age_ms = 2500 },
			       wall, line, sizeof(line));
	is_str(line,
	       "{\"ts\":\"2023-11-14T22:13:20.000Z\",\"client\":\"10.0.0.9:53\","
	       "\"verdict\":\"deny\",\"suppressed\":7,"
	       "\"since\":\"2023-11-14T22:13:17.500Z\"}\n",
	       "a summary: since is its age before ts");
	dg_qlog_limit_free(l);

	/* Through the sink: the burst, then the wall clock steps. */
	r.time_ms = wall;
	for (int i = 0; i < 5; i++)
		dg_qlog_write(q, &r, now);
	r.time_ms = wall + 3600000;
	for (int i = 0; i < 5; i++)
		dg_qlog_write(q, &r, now);
	fflush(f);
	is_int(lines_with(text, "\"reason\""), 3,
	       "the wall clock an hour ahead, the monotonic one still: no "
	       "refill, still 3 lines");
	now += 1000;
	r.time_ms = wall - 3600000;
	for (int i = 0; i < 5; i++)
		dg_qlog_write(q, &r, now);
	fflush(f);
	is_int(lines_with(text, "\"reason\""), 6,
	       "the wall clock an hour back, a second on: 3 more, not frozen");
	ok(lines_with(text, "\"ts\":\"2023-11-14T21:13:20.000Z\","
			    "\"client\":\"10.0.0.9:53\",\"verdict\":\"deny\","
			    "\"suppressed\":7,\"since\":\"2023-11-14T21:13:19.000Z\"}") == 1,
	   "the 7 held back summed up, since a second before its line");
	dg_qlog_close(q);
	fclose(f);
	free(text);
}

int main(void)
{
	static const uint8_t hostile[] = "\x08" "a\"b\\c\n\0\xff" "\x07" "example";
	static const uint8_t plain[] = "\x03" "www\x07" "example\x03" "com";
	struct dg_addr client;
	char line[DG_QLOG_LINE], type[16];
	struct dg_qlog_record r = {
		.time_ms = 1700000000123ull,
		.client = &client,
		.name = plain,
		.qtype = 1,
		.allow = false,
		.reason = DG_REASON_TOO_DEEP,
		.entry = "*.example.com depth=1",
		.rcode = 3,
	};
	size_t n;

	if (dg_addr_parse("[2001:db8::7]:5300", 53, &client) != 0)
		return 1;
	n = dg_qlog_format(&r, line, sizeof(line));
	is_str(line,
	       "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"client\":\"[2001:db8::7]:5300\","
	       "\"proto\":\"udp\",\"name\":\"www.example.com\",\"type\":\"A\","
	       "\"verdict\":\"deny\",\"reason\":\"too-deep\","
	       "\"entry\":\"*.example.com depth=1\",\"rcode\":3,\"cached\":false}\n",
	       "a denial is one JSON line with its reason and entry");
	is_int(n, strlen(line), "the length returned is the line's");

	r.name = hostile;
	r.allow = true;
	r.entry = NULL;
	r.tcp = true;
	r.cached = true;
	r.qtype = 65280;
	dg_qlog_format(&r, line, sizeof(line));
	ok(strstr(line, "\"name\":\"a\\\\\\\"b\\\\\\\\c\\\\010\\\\000\\\\255.example\"") != NULL,
	   "a hostile name is escaped twice over: \\DDD, then JSON (%s)", line);
	ok(strchr(line, '\n') == line + strlen(line) - 1, "the only newline ends the line");
	ok(strstr(line, "\"reason\"") == NULL, "an allowed query has no reason");
	ok(strstr(line, "\"type\":\"TYPE65280\"") != NULL, "an unknown type is TYPEnnn");
	ok(strstr(line, "\"proto\":\"tcp\"") && strstr(line, "\"cached\":true"),
	   "protocol and cache flags are set");
	for (const char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			ok(false, "a control byte leaked into the line");
	is_str(dg_qlog_type_name(28, type, sizeof(type)), "AAAA", "type names: AAAA");

	{
		struct dg_addr up;

		if (dg_addr_parse("192.0.2.53", 53, &up) != 0)
			return 1;
		r.name = plain;
		r.qtype = 1;
		r.cached = false;
		r.upstream = &up;
		r.upstream_ms = 17;
		r.has_answer = true;
		r.answers = 2;
		r.scrubbed = 3;
		dg_qlog_format(&r, line, sizeof(line));
		ok(strstr(line, "\"cached\":false,\"upstream\":\"192.0.2.53:53\","
				"\"upstream_ms\":17,\"answers\":2,\"scrubbed\":3}\n") != NULL,
		   "a fetched answer: its upstream, time, records and scrubbed (%s)",
		   line);
		r.upstream = NULL;
		r.has_answer = false;
	}
	{
		r.name = plain;
		r.qtype = 1;
		r.tcp = false;
		r.cached = false;
		r.allow = true;
		r.would_deny = true;
		r.reason = DG_REASON_TOO_DEEP;
		r.entry = "*.example.com depth=1";
		r.rcode = 0;
		dg_qlog_format(&r, line, sizeof(line));
		is_str(line,
		       "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"client\":\"[2001:db8::7]:5300\","
		       "\"proto\":\"udp\",\"name\":\"www.example.com\",\"type\":\"A\","
		       "\"verdict\":\"would-deny\",\"reason\":\"too-deep\","
		       "\"entry\":\"*.example.com depth=1\",\"rcode\":0,\"cached\":false}\n",
		       "audit: a would-deny line has the reason and the entry enforce would have used");
		r.reason = DG_REASON_NOT_LISTED;
		r.entry = NULL;
		r.group = "sandbox";
		dg_qlog_format(&r, line, sizeof(line));
		ok(strstr(line, "\"verdict\":\"would-deny\",\"reason\":\"not-listed\","
				"\"group\":\"sandbox\",\"rcode\":0") != NULL,
		   "a would-deny of a name off the list: no entry (%s)", line);
		r.group = NULL;
		r.would_deny = false;
	}
	test_limit();
	test_clock_steps();
	return done_testing();
}
