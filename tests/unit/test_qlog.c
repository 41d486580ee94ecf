/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_qlog: one JSON object a line, whatever the name: quotes,
 * backslashes, NULs, newlines and high bytes in labels are escaped, and
 * the fields a denial needs are there.
 */
#include <string.h>

#include "qlog.h"
#include "tap.h"

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
	return done_testing();
}
