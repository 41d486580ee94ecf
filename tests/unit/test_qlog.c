/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_qlog: one JSON object a line, whatever the name: quotes,
 * backslashes, NULs, newlines and high bytes in labels are escaped, and
 * the fields a denial needs are there.
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
		dg_qlog_write(q, &r);
	r.client = &b;
	for (int i = 0; i < 10; i++)
		dg_qlog_write(q, &r);
	r.allow = true;
	r.client = &a;
	for (int i = 0; i < 10; i++)
		dg_qlog_write(q, &r);
	r.allow = false;
	fflush(f);
	is_int(lines_with(text, "10.0.0.1:53\",\"proto\":\"udp\",\"name\":\"x.example\",\"type\":\"A\",\"verdict\":\"deny\""), 3,
	       "10 denials from one client at once: 3 lines (rate 3)");
	is_int(lines_with(text, "10.0.0.2:53\",\"proto"), 3,
	       "another client has its own 3");
	is_int(lines_with(text, "\"verdict\":\"allow\""), 10,
	       "allowed lines are not limited");
	is_int(lines_with(text, "suppressed"), 0, "no summary yet");

	r.time_ms += 1000;
	r.client = &a;
	dg_qlog_write(q, &r);
	fflush(f);
	ok(lines_with(text, "{\"ts\":\"2023-11-14T22:13:21.000Z\",\"client\":"
			    "\"10.0.0.1:53\",\"verdict\":\"deny\",\"suppressed\":7,"
			    "\"since\":\"2023-11-14T22:13:20.000Z\"}") == 1,
	   "a second later, the client's next line comes after its summary "
	   "(7 held back, since when)");

	/* Two IPv6 clients in one /64 are one client. */
	r.client = &v6a;
	for (int i = 0; i < 2; i++)
		dg_qlog_write(q, &r);
	r.client = &v6b;
	for (int i = 0; i < 2; i++)
		dg_qlog_write(q, &r);
	fflush(f);
	is_int(lines_with(text, "2001:db8:1:2::"), 3,
	       "IPv6 clients of one /64 share the limit");

	/* In all, 16 × 3 a second: 60 clients at once get 48 lines. */
	r.time_ms += 5000;
	for (int i = 0; i < 60; i++) {
		char text_addr[32];

		snprintf(text_addr, sizeof(text_addr), "10.1.%d.%d", i / 200,
			 i % 200 + 1);
		if (dg_addr_parse(text_addr, 53, &many) != 0)
			continue;
		r.client = &many;
		dg_qlog_write(q, &r);
	}
	fflush(f);
	is_int(lines_with(text, "\"client\":\"10.1."), 48,
	       "60 clients at once: 48 lines in all (16 x 3)");
	dg_qlog_tick(q, r.time_ms + 10000);
	fflush(f);
	is_int(lines_with(text, "\"suppressed\":1,"), 12 + 1,
	       "the tick sums up the 12 held back, and the /64's one");
	ok(lines_with(text, "\"client\":\"10.0.0.2:53\",\"verdict\":\"deny\","
			    "\"suppressed\":7,") == 1,
	   "and the client that stopped, its 7");
	dg_qlog_tick(q, r.time_ms + 20000);
	fflush(f);
	is_int(lines_with(text, "suppressed"), 1 + 1 + 13,
	       "a summary is written once");
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
	test_limit();
	return done_testing();
}
