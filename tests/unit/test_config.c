/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config: the INI configuration (config.h) read from files written
 * into a fresh folder. Every problem must come out as `FILE:LINE: key:
 * problem`, all of them in one run, and a configuration with an error is
 * never handed back. resolv.conf is always one the test wrote, so the
 * machine's /etc/resolv.conf never matters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"
#include "capture.h"
#include "tap.h"
#include "zones.h"

static char tmpdir[] = "/tmp/dg_test_config.XXXXXX";

/* Write a file relative to tmpdir (the working directory). */
static void write_file(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(name, "w");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror(name);
		exit(99);
	}
}

static void put(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

/* The overrides every test starts from: our own resolv.conf. */
static struct dg_overrides base(void)
{
	return (struct dg_overrides){ .resolv_conf = "resolv.conf" };
}

/* A sentinel: *out must keep it when a load fails. */
static struct dg_config sentinel;

/*
 * Load `text` as t.conf and expect it refused with exactly the diagnostics
 * want (lines joined by '\n') and `errors` errors.
 */
static void check_error(const char *what, const char *text,
			const char *want, unsigned errors)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg = &sentinel;
	struct capture c;
	int rc;

	put("t.conf", text);
	cap_open(&c);
	rc = dg_config_load("t.conf", &ov, &c.d, &cfg);
	is_int(rc, DG_ECONFIG, "%s: refused", what);
	ok(cfg == &sentinel, "%s: *out is left untouched", what);
	is_str(cap_text(&c), want, "%s: the diagnostics", what);
	is_int(c.d.errors, errors, "%s: %u error(s) counted", what, errors);
	if (cfg != &sentinel)
		dg_config_free(cfg);
	cap_close(&c);
}

/* Load `text` as t.conf and expect success with diagnostics want. */
static struct dg_config *check_load(const char *what, const char *text,
				    const struct dg_overrides *ov,
				    const char *want)
{
	struct dg_config *cfg = &sentinel;
	struct capture c;
	int rc;

	put("t.conf", text);
	cap_open(&c);
	rc = dg_config_load("t.conf", ov, &c.d, &cfg);
	is_int(rc, 0, "%s: loads", what);
	is_str(cap_text(&c), want, "%s: the diagnostics", what);
	is_int(c.d.errors, 0, "%s: no error", what);
	cap_close(&c);
	if (rc != 0)
		return NULL;
	return cfg;
}

static const char *prefix_str(const struct dg_prefix *p)
{
	static char buf[DG_ADDR_STRLEN];

	dg_prefix_format(p, buf, sizeof(buf));
	return buf;
}

static const char *addr_str(const struct dg_addr *a)
{
	static char buf[4][DG_ADDR_STRLEN];
	static int i;

	i = (i + 1) % 4;
	dg_addr_format(a, buf[i], sizeof(buf[i]));
	return buf[i];
}

/* All addresses of a list, ", " between them. */
static const char *addrs_str(const struct dg_addrs *a)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->n && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? ", " : "", addr_str(&a->v[i]));
	return buf;
}

static const char *strings_str(const struct dg_strings *s)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s@%u",
				      i ? "|" : "", s->v[i], s->lines[i]);
	return buf;
}

/* Every entry of the policy in zones syntax, '|' between them. */
static const char *entries_str(const struct dg_policy *p)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < dg_policy_count(p) && n < sizeof(buf); i++) {
		char text[DG_ENTRY_STRLEN];

		dg_zones_format_entry(p, dg_policy_entry(p, i), text,
				      sizeof(text));
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? "|" : "", text);
	}
	return buf;
}

static void test_defaults(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	const struct dg_limits *lim;

	put("resolv.conf", "nameserver 192.0.2.53\n");
	cfg = check_load("a file with allow only",
			 "[policy]\nallow = x.example\n", &ov, "");
	if (cfg == NULL)
		return;
	lim = dg_policy_limits_const(cfg->policy);
	is_str(cfg->path, "t.conf", "the path read is kept");
	is_str(addrs_str(&cfg->listen), "127.0.0.1:5353",
	       "listen defaults to 127.0.0.1:5353");
	ok(cfg->user == NULL, "user defaults to none (keep the user)");
	is_int(cfg->tcp_idle_timeout_ms, 10000, "tcp_idle_timeout_ms default");
	is_int(cfg->max_tcp_clients, 512, "max_tcp_clients default");
	is_int(cfg->max_udp_size, 1232, "max_udp_size default");
	is_str(addrs_str(&cfg->servers), "192.0.2.53:53",
	       "servers default to resolv.conf's, port 53");
	ok(cfg->servers_from_resolv_conf, "and say they came from resolv.conf");
	is_int(cfg->upstream_timeout_ms, 1500, "timeout_ms default");
	is_int(cfg->max_inflight, 4096, "max_inflight default");
	is_int(cfg->max_waiting, 16384, "max_waiting default");
	is_str(strings_str(&cfg->zones), "", "zones default to none in a file");
	is_str(strings_str(&cfg->allow), "x.example@2",
	       "allow keeps its value and line");
	is_int(cfg->deny_rcode, DG_DENY_NXDOMAIN, "deny_rcode default nxdomain");
	is_int(cfg->cname, DG_CNAME_PASS, "cname default pass");
	ok(cfg->ede, "ede default yes");
	is_int(cfg->new_names_per_minute, 60, "new_names_per_minute default");
	is_int(cfg->new_names_per_minute_total, 300,
	       "new_names_per_minute_total default");
	is_int(cfg->min_ttl, 0, "min_ttl default");
	is_int(cfg->max_ttl, 86400, "max_ttl default");
	is_int(cfg->cache_max_entries, 100000, "cache max_entries default");
	is_int(cfg->negative_ttl, 60, "negative_ttl default");
	is_int(cfg->nft_set_min_ttl, 300, "nft_set_min_ttl default");
	is_int(cfg->n_allow_cidrs, 0, "allow_cidrs default none");
	ok(cfg->query_log == NULL, "query_log default (stderr) is NULL");
	ok(cfg->log_allowed, "log_allowed default yes");
	is_int(cfg->log_level, DG_LOG_INFO, "level default info");
	ok(!cfg->metrics_enabled, "metrics off by default");
	is_int(cfg->n_groups, 0, "no groups");
	is_int(lim->max_label_length, 40, "max_label_length default");
	is_int(lim->max_name_length, 160, "max_name_length default");
	is_int(lim->charset, DG_CHARSET_LDH_UNDERSCORE,
	       "charset default ldh_underscore");
	ok(lim->default_types.n == 5 &&
		   dg_typeset_has(&lim->default_types, 1) &&
		   dg_typeset_has(&lim->default_types, 28) &&
		   dg_typeset_has(&lim->default_types, 5) &&
		   dg_typeset_has(&lim->default_types, 64) &&
		   dg_typeset_has(&lim->default_types, 65),
	   "default_types are A, AAAA, CNAME, SVCB, HTTPS");
	is_str(entries_str(cfg->policy), "x.example", "the policy holds allow=");
	dg_config_free(cfg);
}

/*
 * Every key set to a value that is not its default, groups too; after the
 * [metrics] line come the keys test_every_key does not look at, so the
 * lines it checks keep their numbers.
 */
static const char all_keys[] =
	"; a comment\n"
	"# another\n"
	"[server]\n"
	"listen = 127.0.0.1:5301, [::1]:5302\n"
	"listen = 127.0.0.2\n"
	"user = nobody\n"
	"tcp_idle_timeout_ms = 100\n"
	"max_tcp_clients = 7\n"
	"max_udp_size = 4096\n"
	"[upstream]\n"
	"servers = 192.0.2.1, [2001:db8::1]:5353\n"
	"timeout_ms = 60000\n"
	"max_inflight = 1\n"
	"max_waiting = 7\n"
	"[policy]\n"
	"zones = all.zones\n"
	"allow = a.example, *.b.example depth=2\n"
	"allow = c.example types=A,AAAA, d.example\n"
	"deny_rcode = REFUSED\n"
	"default_types = A, TXT\n"
	"max_label_length = 63\n"
	"max_name_length = 253\n"
	"charset = ldh\n"
	"cname = strict\n"
	"ede = no\n"
	"mode = AUDIT\n"
	"new_names_per_minute = 1000000\n"
	"new_names_per_minute_total = 7\n"
	"min_ttl = 30\n"
	"max_ttl = 30\n"
	"[cache]\n"
	"max_entries = 0\n"
	"negative_ttl = 86400\n"
	"[log]\n"
	"query_log = /var/log/dnsgate.json\n"
	"log_allowed = off\n"
	"level = debug\n"
	"[metrics]\n"
	"listen = 127.0.0.1\n"
	"[server]\n"
	"workers = 2\n"
	"client_rate_limit = 9\n"
	"[log]\n"
	"deny_log_rate = 3\n"
	"[firewall]\n"
	"nft_set = inet egress allowed4\n"
	"nft_set6 = ip6 egress6 allowed6\n"
	"nft_set_min_ttl = 60\n"
	"allow_cidrs = 192.0.2.0/24, 2001:db8::/32\n"
	"allow_cidrs = 198.51.100.7\n"
	"[group lab]\n"
	"clients = 10.0.0.0/8, fd00::/64\n"
	"nft_set = inet egress lab4\n"
	"nft_set6 = inet egress lab6\n"
	"zones = all.zones\n"
	"allow = e.example\n"
	"new_names_per_minute_total = 5\n"
	"mode = enforce\n"
	"[group box]\n"
	"listen = 127.0.0.2\n"
	"allow = f.example\n"
	"[local]\n"
	"local = registry.internal 300 A 10.0.0.5\n"
	"[forward corp.example]\n"
	"servers = 10.0.0.53, 10.0.0.54:5353\n";

/* The header each section of the tests' texts is printed under. */
static const char *section_header(const char *section)
{
	if (strcmp(section, "group") == 0)
		return "group box";
	if (strcmp(section, "forward") == 0)
		return "forward corp.example";
	return section;
}

static void test_every_key(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	const struct dg_limits *lim;

	put("all.zones", "# all\nfrom.file.example\n");
	cfg = check_load("every key set", all_keys, &ov, "");
	if (cfg == NULL)
		return;
	lim = dg_policy_limits_const(cfg->policy);
	is_str(addrs_str(&cfg->listen),
	       "127.0.0.1:5301, [::1]:5302, 127.0.0.2:53",
	       "listen repeats and accumulates; the default port is 53");
	is_str(cfg->user, "nobody", "user");
	is_int(cfg->tcp_idle_timeout_ms, 100, "tcp_idle_timeout_ms minimum");
	is_int(cfg->max_tcp_clients, 7, "max_tcp_clients");
	is_int(cfg->max_udp_size, 4096, "max_udp_size maximum");
	is_str(addrs_str(&cfg->servers), "192.0.2.1:53, [2001:db8::1]:5353",
	       "servers");
	ok(!cfg->servers_from_resolv_conf, "servers set: resolv.conf unused");
	is_int(cfg->upstream_timeout_ms, 60000, "timeout_ms");
	is_int(cfg->max_inflight, 1, "max_inflight");
	is_int(cfg->max_waiting, 7, "max_waiting");
	is_str(strings_str(&cfg->zones), "all.zones@16", "zones with its line");
	is_str(strings_str(&cfg->allow),
	       "a.example, *.b.example depth=2@17|"
	       "c.example types=A,AAAA, d.example@18",
	       "allow repeats, each value kept whole with its line");
	is_int(cfg->deny_rcode, DG_DENY_REFUSED, "deny_rcode, any case");
	ok(lim->default_types.n == 2 &&
		   dg_typeset_has(&lim->default_types, 1) &&
		   dg_typeset_has(&lim->default_types, 16),
	   "default_types replaces the built-in set");
	is_int(lim->max_label_length, 63, "max_label_length");
	is_int(lim->max_name_length, 253, "max_name_length");
	is_int(lim->charset, DG_CHARSET_LDH, "charset");
	is_int(cfg->cname, DG_CNAME_STRICT, "cname");
	ok(!cfg->ede, "ede no");
	is_int(cfg->mode, DG_MODE_AUDIT, "mode, any case");
	ok(!dg_config_audits(cfg, &cfg->groups[0]) &&
		   dg_config_audits(cfg, &cfg->groups[1]),
	   "[group] mode: lab enforces its own, box takes [policy]'s audit");
	is_int(cfg->new_names_per_minute, 1000000, "new_names_per_minute");
	is_int(cfg->new_names_per_minute_total, 7, "new_names_per_minute_total");
	ok(cfg->min_ttl == 30 && cfg->max_ttl == 30, "min_ttl == max_ttl is fine");
	is_int(cfg->cache_max_entries, 0, "cache max_entries 0");
	is_int(cfg->negative_ttl, 86400, "negative_ttl");
	is_str(cfg->query_log, "/var/log/dnsgate.json", "query_log");
	ok(!cfg->log_allowed, "log_allowed off");
	is_int(cfg->log_level, DG_LOG_DEBUG, "level");
	ok(cfg->metrics_enabled, "metrics enabled by an address");
	is_str(addr_str(&cfg->metrics_listen), "127.0.0.1:9153",
	       "metrics listen takes port 9153 by default");
	is_int(cfg->workers, 2, "workers");
	is_int(cfg->client_rate_limit, 9, "client_rate_limit");
	is_int(cfg->deny_log_rate, 3, "deny_log_rate");
	is_str(cfg->nft_set[1].set, "allowed6", "nft_set6");
	is_int(cfg->nft_set_min_ttl, 60, "nft_set_min_ttl");
	is_int(cfg->n_allow_cidrs, 3, "allow_cidrs: the lines add up");
	is_str(prefix_str(&cfg->allow_cidrs[2]), "198.51.100.7/32",
	       "allow_cidrs: a bare address is a whole prefix");
	is_str(cfg->groups[0].nft_set[0].set, "lab4", "[group] nft_set");
	is_str(dg_config_nft_sets(cfg, &cfg->groups[0])[1].set, "lab6",
	       "a group with sets: its answers go to its own");
	ok(dg_config_nft_sets(cfg, &cfg->groups[1]) == cfg->nft_set,
	   "a group without: to [firewall]'s");
	is_str(entries_str(cfg->policy),
	       "from.file.example|a.example|*.b.example depth=2|"
	       "c.example types=A,AAAA|d.example",
	       "zones files first, then the allow lists");
	dg_config_free(cfg);
}

static void test_key_errors(void)
{
	char line[400], text[600];

	check_error("an unknown section",
		    "[bogus]\nx = 1\ny = 2\n[policy]\nallow = x.example\n",
		    "t.conf:1: [bogus]: unknown section (expected server, "
		    "upstream, policy, cache, log, metrics, control, firewall, "
		    "local, group NAME or forward ZONE)",
		    1);
	check_error("an nft_set that is not FAMILY TABLE SET",
		    "[firewall]\nnft_set = dnsgate allowed\n",
		    "t.conf:2: nft_set: 'dnsgate allowed' is not FAMILY TABLE "
		    "SET (e.g. inet dnsgate_egress allowed)", 1);
	check_error("an nft_set of an unknown family",
		    "[firewall]\nnft_set = bridge t s\n",
		    "t.conf:2: nft_set: 'bridge t s' has a family that is not "
		    "inet, ip or ip6", 1);
	check_error("an nft_set in an ip6 table",
		    "[firewall]\nnft_set = ip6 t s\n",
		    "t.conf:2: nft_set: 'ip6 t s' is an ip6 table, which cannot "
		    "hold IPv4 addresses", 1);
	check_error("an nft_set6 in an ip table",
		    "[firewall]\nnft_set6 = ip t s\n",
		    "t.conf:2: nft_set6: 'ip t s' is an ip table, which cannot "
		    "hold IPv6 addresses", 1);
	check_error("an nft_set with a bad name",
		    "[firewall]\nnft_set = inet t s;x\n",
		    "t.conf:2: nft_set: 'inet t s;x' has a table or set name that "
		    "is not 1 to 255 letters, digits or _ . - /", 1);
	check_error("an allow_cidrs item that is not a prefix",
		    "[policy]\nallow = x.example\n[firewall]\n"
		    "allow_cidrs = 192.0.2.0/24, 192.0.2.1/24\n",
		    "t.conf:4: allow_cidrs: '192.0.2.1/24' is not an address "
		    "prefix (ADDR/LEN, host bits zero)", 1);
	check_error("a group's nft_set6 in an ip table",
		    "[policy]\nallow = x.example\n[group g]\n"
		    "clients = 10.0.0.0/8\nnft_set6 = ip t s\n",
		    "t.conf:5: nft_set6: 'ip t s' is an ip table, which cannot "
		    "hold IPv6 addresses", 1);
	check_error("an nft_set_min_ttl past a week",
		    "[firewall]\nnft_set_min_ttl = 604801\n",
		    "t.conf:2: nft_set_min_ttl: '604801' is not a number from "
		    "0 to 604800", 1);
	check_error("an unknown key", "[server]\nfrob = 1\n",
		    "t.conf:2: frob: unknown key in [server]", 1);
	check_error("a key of another section", "[server]\nservers = 1.2.3.4\n",
		    "t.conf:2: servers: unknown key in [server]", 1);
	check_error("a repeated scalar key",
		    "[server]\nmax_udp_size = 600\n\nmax_udp_size = 700\n",
		    "t.conf:4: max_udp_size: repeated key (first set at line 2)",
		    1);
	check_error("a scalar key repeated in a second [server]",
		    "[server]\nuser = a\n[log]\nlevel = info\n[server]\n"
		    "user = b\n",
		    "t.conf:6: user: repeated key (first set at line 2)", 1);
	check_error("a bad number", "[server]\ntcp_idle_timeout_ms = abc\n",
		    "t.conf:2: tcp_idle_timeout_ms: 'abc' is not a number from "
		    "100 to 3600000",
		    1);
	check_error("a number below its range", "[server]\nmax_udp_size = 511\n",
		    "t.conf:2: max_udp_size: '511' is not a number from 512 to "
		    "4096",
		    1);
	check_error("a number above its range",
		    "[server]\nmax_udp_size = 4097\n",
		    "t.conf:2: max_udp_size: '4097' is not a number from 512 to "
		    "4096",
		    1);
	check_error("a negative number", "[upstream]\ntimeout_ms = -1\n",
		    "t.conf:2: timeout_ms: '-1' is not a number from 10 to "
		    "60000",
		    1);
	check_error("a number that overflows",
		    "[cache]\nmax_entries = 99999999999999999999999\n",
		    "t.conf:2: max_entries: '99999999999999999999999' is not a "
		    "number from 0 to 100000000",
		    1);
	check_error("a number with a unit", "[cache]\nnegative_ttl = 60s\n",
		    "t.conf:2: negative_ttl: '60s' is not a number from 0 to "
		    "86400",
		    1);
	check_error("an empty number", "[cache]\nnegative_ttl =\n",
		    "t.conf:2: negative_ttl: '' is not a number from 0 to 86400",
		    1);
	check_error("a label length above 63",
		    "[policy]\nmax_label_length = 64\n",
		    "t.conf:2: max_label_length: '64' is not a number from 1 to "
		    "63",
		    1);
	check_error("a name length above 253",
		    "[policy]\nmax_name_length = 254\n",
		    "t.conf:2: max_name_length: '254' is not a number from 1 to "
		    "253",
		    1);
	check_error("a bad bool", "[log]\nlog_allowed = maybe\n",
		    "t.conf:2: log_allowed: 'maybe' is not yes or no", 1);
	check_error("a bad address",
		    "[server]\nlisten = 127.0.0.1:5300, localhost:53\n",
		    "t.conf:2: listen: 'localhost:53' is not an address (ADDR, "
		    "ADDR:PORT or [IPV6]:PORT)",
		    1);
	check_error("a bad upstream", "[upstream]\nservers = 192.0.2.1:0\n",
		    "t.conf:2: servers: '192.0.2.1:0' is not an address (ADDR, "
		    "ADDR:PORT or [IPV6]:PORT)",
		    1);
	check_error("a bad metrics address", "[metrics]\nlisten = here\n",
		    "t.conf:2: listen: 'here' is not an address (ADDR:PORT or "
		    "off)",
		    1);
	check_error("a bad deny_rcode", "[policy]\ndeny_rcode = servfail\n",
		    "t.conf:2: deny_rcode: 'servfail' is not nxdomain or refused",
		    1);
	check_error("a bad cname", "[policy]\ncname = loose\n",
		    "t.conf:2: cname: 'loose' is not pass or strict", 1);
	check_error("a bad charset", "[policy]\ncharset = utf8\n",
		    "t.conf:2: charset: 'utf8' is not ldh_underscore or ldh", 1);
	check_error("a bad level", "[log]\nlevel = loud\n",
		    "t.conf:2: level: 'loud' is not err, warn, info or debug", 1);
	check_error("an empty query_log", "[log]\nquery_log =\n",
		    "t.conf:2: query_log: empty value (use stderr, syslog, off "
		    "or a file)",
		    1);
	check_error("a bad default type", "[policy]\ndefault_types = A, BOGUS\n",
		    "t.conf:2: default_types: 'BOGUS' is not a query type", 1);
	check_error("a bad inline entry",
		    "[policy]\nallow = a.example, b..example\n",
		    "t.conf:2: bad name 'b..example': Empty label", 1);

	/* Lines inih would cut silently are refused whole. */
	memset(line, 'x', 300);
	memcpy(line, "user = ", 7);
	line[300] = '\0';
	snprintf(text, sizeof(text), "[server]\n%s\n", line);
	check_error("a 300-byte line", text,
		    "t.conf:2: line too long (300 bytes, at most 197)", 1);

	check_error("a key outside any section", "user = x\n[server]\n",
		    "t.conf:1: user: key outside of any [section]", 1);
	check_error("a line without '='", "[server]\nuser\n",
		    "t.conf:2: syntax error: expected 'key = value' or "
		    "'[section]'",
		    1);
	check_error("'[server' without ']'", "[server\nuser = x\n",
		    "t.conf:1: syntax error: '[' without ']'\n"
		    "t.conf:2: user: key outside of any [section]",
		    2);
	check_error("an indented line that is no key",
		    "[server]\nuser = a\n   more words\n",
		    "t.conf:3: syntax error: expected 'key = value' or "
		    "'[section]'",
		    1);
}

/* Files with bytes strlen cannot carry. */
static void test_nul(void)
{
	static const char text[] = "[server]\nuser = a\0b\n";
	struct dg_overrides ov = base();
	struct dg_config *cfg = &sentinel;
	struct capture c;

	write_file("t.conf", text, sizeof(text) - 1);
	cap_open(&c);
	is_int(dg_config_load("t.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a NUL byte in a line is refused");
	is_str(cap_text(&c), "t.conf:2: line holds a NUL byte",
	       "and reported at its line");
	ok(cfg == &sentinel, "*out untouched");
	cap_close(&c);
}

static void test_lines(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;

	put("resolv.conf", "nameserver 192.0.2.53\n");
	cfg = check_load("an indented key",
			 "[server]\nuser = a\n  max_tcp_clients = 7\n"
			 "\tmax_udp_size = 600\n[policy]\nallow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_str(cfg->user, "a",
		       "an indented key does not continue the previous value");
		is_int(cfg->max_tcp_clients, 7, "the indented key is set");
		is_int(cfg->max_udp_size, 600, "a tab-indented key is set");
		dg_config_free(cfg);
	}
	cfg = check_load("inline comments",
			 "[server] ; the server\n"
			 "max_tcp_clients = 9 ; nine\n"
			 "[log]\nquery_log = a;b\n"
			 "[policy]\nallow = x.example ; one name\n",
			 &ov, "");
	if (cfg != NULL) {
		is_str(cfg->query_log, "a;b", "';' without a blank before is data");
		is_int(cfg->max_tcp_clients, 9, "'; comment' after a value is cut");
		is_str(strings_str(&cfg->allow), "x.example@6",
		       "an inline comment is cut from allow");
		dg_config_free(cfg);
	}
	cfg = check_load("CRLF line ends",
			 "[server]\r\nuser = crlf\r\n\r\n[policy]\r\n"
			 "allow = x.example\r\n",
			 &ov, "");
	if (cfg != NULL) {
		is_str(cfg->user, "crlf", "CR is not part of the value");
		is_str(strings_str(&cfg->allow), "x.example@5",
		       "CRLF lines are counted once each");
		dg_config_free(cfg);
	}
	cfg = check_load("a UTF-8 byte order mark",
			 "\xEF\xBB\xBF[server]\nuser = bom\n[policy]\n"
			 "allow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_str(cfg->user, "bom", "the BOM does not hide [server]");
		dg_config_free(cfg);
	}
	cfg = check_load("a 150-byte line",
			 "[log]\nquery_log = "
			 "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
			 "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
			 "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\n"
			 "[policy]\nallow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_int(strlen(cfg->query_log), 138, "a long value within bounds is "
						    "kept whole");
		dg_config_free(cfg);
	}
	cfg = check_load("an empty user", "[server]\nuser =\n[policy]\n"
					  "allow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		ok(cfg->user == NULL, "an empty user means none");
		dg_config_free(cfg);
	}
	cfg = check_load("metrics off", "[metrics]\nlisten = off\n[policy]\n"
					"allow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		ok(!cfg->metrics_enabled, "listen = off disables metrics");
		dg_config_free(cfg);
	}
}

static void test_several_errors(void)
{
	check_error("several errors in one file",
		    "key_outside = 1\n"
		    "[server]\n"
		    "max_udp_size = 100\n"
		    "max_udp_size = 600\n"
		    "frob = 2\n"
		    "[log]\n"
		    "log_allowed = maybe\n"
		    "[policy]\n"
		    "min_ttl = 100\n"
		    "max_ttl = 10\n"
		    "allow = ok.example, bad..example\n"
		    "zones = missing.zones\n",
		    "t.conf:1: key_outside: key outside of any [section]\n"
		    "t.conf:3: max_udp_size: '100' is not a number from 512 to "
		    "4096\n"
		    "t.conf:4: max_udp_size: repeated key (first set at line 3)\n"
		    "t.conf:5: frob: unknown key in [server]\n"
		    "t.conf:7: log_allowed: 'maybe' is not yes or no\n"
		    "t.conf:9: min_ttl: 100 is above max_ttl 10\n"
		    "t.conf:12: zones: cannot read 'missing.zones': No such "
		    "file or directory\n"
		    "t.conf:11: bad name 'bad..example': Empty label",
		    8);
	check_error("min_ttl above max_ttl",
		    "[policy]\nmax_ttl = 10\nallow = x.example\nmin_ttl = 11\n",
		    "t.conf:4: min_ttl: 11 is above max_ttl 10", 1);
	check_error("min_ttl above the default max_ttl",
		    "[policy]\nmin_ttl = 86401\nallow = x.example\n",
		    "t.conf:2: min_ttl: 86401 is above max_ttl 86400", 1);
}

static void test_zones_paths(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	struct capture c;

	put("resolv.conf", "nameserver 192.0.2.53\n");
	check_error("a missing zones file",
		    "[policy]\nallow = x.example\nzones = missing.zones\n",
		    "t.conf:3: zones: cannot read 'missing.zones': No such file "
		    "or directory",
		    1);

	/* Relative paths follow the config file, not the working folder. */
	mkdir("sub", 0700);
	mkdir("sub/d", 0700);
	mkdir("sub/empty", 0700);
	put("sub/rel.zones", "rel.example\n");
	put("sub/d/b.zones", "b.example\n");
	put("sub/d/a.zones", "a.example\n");
	put("sub/d/c.txt", "c.example\n");
	put("rel.zones", "wrong.example\n");
	put("sub/s.conf", "[policy]\nzones = rel.zones, d/*.zones\n"
			  "zones = empty/*.zones\nzones = nodir/*.zones\n");
	cfg = &sentinel;
	cap_open(&c);
	is_int(dg_config_load("sub/s.conf", &ov, &c.d, &cfg), 0,
	       "relative zones paths and globs load");
	is_str(cap_text(&c),
	       "sub/s.conf:3: warning: zones: 'sub/empty/*.zones' matches no "
	       "file\n"
	       "sub/s.conf:4: warning: zones: 'sub/nodir/*.zones' matches no "
	       "file",
	       "a glob matching nothing, even in a missing folder, is a "
	       "warning");
	is_int(c.d.warnings, 2, "two warnings");
	if (cfg != &sentinel) {
		is_str(entries_str(cfg->policy),
		       "rel.example|a.example|b.example",
		       "paths are read from the config's folder; a glob "
		       "loads its files in order");
		is_str(strings_str(&cfg->zones),
		       "rel.zones@2|d/*.zones@2|empty/*.zones@3|"
		       "nodir/*.zones@4",
		       "zones are kept as written");
		dg_config_free(cfg);
	}
	cap_close(&c);

	put("sub/m.conf", "[policy]\nzones = missing.zones\n");
	cfg = &sentinel;
	cap_open(&c);
	is_int(dg_config_load("sub/m.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a missing relative zones file is an error");
	is_str(cap_text(&c),
	       "sub/m.conf:2: zones: cannot read 'sub/missing.zones': No such "
	       "file or directory",
	       "the error names the config line and the resolved path");
	ok(cfg == &sentinel, "*out untouched");
	cap_close(&c);

	put("sub/bad.zones", "ok.example\nbad..example\n");
	put("sub/b.conf", "[policy]\nzones = bad.zones\n");
	cfg = &sentinel;
	cap_open(&c);
	is_int(dg_config_load("sub/b.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "an error inside a zones file fails the config");
	is_str(cap_text(&c),
	       "sub/bad.zones:2: bad name 'bad..example': Empty label",
	       "and is reported at the zones file's own line");
	cap_close(&c);

	put("e.conf", "[policy]\nzones = sub/empty/*.zones\n");
	cfg = &sentinel;
	cap_open(&c);
	is_int(dg_config_load("e.conf", &ov, &c.d, &cfg), 0,
	       "an empty allowlist loads");
	is_str(cap_text(&c),
	       "e.conf:2: warning: zones: 'sub/empty/*.zones' matches no file\n"
	       "e.conf: warning: the allowlist is empty: every query will be "
	       "denied",
	       "with a warning that everything is denied");
	if (cfg != &sentinel)
		dg_config_free(cfg);
	cap_close(&c);
}

static void test_forward_and_local(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;

	cfg = check_load("forward zones",
			 "[upstream]\nservers = 192.0.2.1, 192.0.2.2\n"
			 "[policy]\nallow = x.example\n"
			 "[forward corp.example]\n"
			 "servers = 10.0.0.53, 192.0.2.2\n"
			 "servers = [fd00::53]:5353\n"
			 "[forward Lab.Corp.Example.]\nservers = 10.0.0.53\n",
			 &ov, "");
	if (cfg != NULL) {
		is_int(cfg->n_forwards, 2, "two forward zones");
		is_str(addrs_str(&cfg->forwards[0].servers),
		       "10.0.0.53:53, 192.0.2.2:53, [fd00::53]:5353",
		       "servers lines accumulate, port 53 by default");
		is_int(cfg->sets.n_sets, 3, "[upstream]'s set and one a zone");
		is_int(cfg->sets.addrs.n, 4, "four distinct servers");
		is_int(cfg->forwards[1].line, 8, "a zone knows its line");
		dg_config_free(cfg);
	}
	check_error("a forward zone without a name",
		    "[policy]\nallow = x.example\n[forward]\n"
		    "servers = 10.0.0.1\n",
		    "t.conf:3: [forward]: a forward zone needs one name, as "
		    "[forward ZONE]", 1);
	check_error("a forward zone that is no name",
		    "[policy]\nallow = x.example\n[forward a..b]\n"
		    "servers = 10.0.0.1\n",
		    "t.conf:3: [forward a..b]: 'a..b' is not a zone name: "
		    "Empty label", 1);
	check_error("a forward zone twice, whatever its case",
		    "[policy]\nallow = x.example\n[forward a.example]\n"
		    "servers = 10.0.0.1\n[forward A.example.]\n"
		    "servers = 10.0.0.2\n",
		    "t.conf:5: [forward A.example.]: repeated zone (first at "
		    "line 3)", 1);
	check_error("a forward zone without servers",
		    "[policy]\nallow = x.example\n[forward a.example]\n",
		    "t.conf:3: [forward a.example]: no servers", 1);
	check_error("a forward zone with a bad server",
		    "[policy]\nallow = x.example\n[forward a.example]\n"
		    "servers = 10.0.0.1:0\n",
		    "t.conf:4: servers: '10.0.0.1:0' is not an address (ADDR, "
		    "ADDR:PORT or [IPV6]:PORT)\n"
		    "t.conf:3: [forward a.example]: no servers", 2);
	check_error("another key in a forward zone",
		    "[policy]\nallow = x.example\n[forward a.example]\n"
		    "servers = 10.0.0.1\ntimeout_ms = 5\n",
		    "t.conf:5: timeout_ms: unknown key in [forward]", 1);

	cfg = check_load("local records",
			 "[policy]\nallow = x.example\n[local]\n"
			 "local = x.example A 10.0.0.1\n"
			 "local = x.example 60 AAAA fd00::1\n",
			 &ov, "");
	if (cfg != NULL) {
		is_int(cfg->local.n, 2, "two local records");
		is_int(cfg->local.rr[1].ttl, 60, "with their TTL");
		dg_config_free(cfg);
	}
	check_error("a bad local record names its line",
		    "[policy]\nallow = x.example\n[local]\n"
		    "local = x.example A 10.0.0.1\n"
		    "local = x.example TXT hi\n",
		    "t.conf:5: local: 'TXT' is not A, AAAA or CNAME", 1);
}

static void test_groups(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;

	put("resolv.conf", "nameserver 192.0.2.53\n");
	put("ci.zones", "*.ci.example\nregistry.ci.example types=A\n");
	cfg = check_load("a group",
			 "[policy]\nallow = x.example\n"
			 "[group ci]\n"
			 "clients = 172.18.0.0/16, fd00:18::/64\n"
			 "clients = 10.0.0.1\n"
			 "zones = ci.zones\n",
			 &ov,
			 "");
	if (cfg != NULL) {
		char text[DG_ADDR_STRLEN];

		is_int(cfg->n_groups, 1, "one group");
		is_str(cfg->groups[0].name, "ci", "its name");
		is_int(cfg->groups[0].line, 3, "its line");
		is_int(cfg->groups[0].n_clients, 3, "clients accumulate");
		dg_prefix_format(&cfg->groups[0].clients[1], text, sizeof(text));
		is_str(text, "fd00:18::/64", "an IPv6 client prefix");
		dg_prefix_format(&cfg->groups[0].clients[2], text, sizeof(text));
		is_str(text, "10.0.0.1/32", "a bare client address is a /32");
		is_str(strings_str(&cfg->groups[0].zones), "ci.zones@6",
		       "group zones as written");
		ok(cfg->groups[0].policy != NULL &&
			   dg_policy_count(cfg->groups[0].policy) == 2,
		   "its zones file is loaded into its own policy");
		is_int(dg_policy_count(cfg->policy), 1,
		       "and not into the global one");
		dg_config_free(cfg);
	}
	cfg = check_load("groups with allow, nested prefixes",
			 "[policy]\nallow = x.example\nmax_label_length = 20\n"
			 "[group wide]\nclients = 10.0.0.0/8\n"
			 "allow = wide.example, *.w.example\n"
			 "[group narrow]\nclients = 10.1.0.0/16\n"
			 "allow = narrow.example\n",
			 &ov, "");
	if (cfg != NULL) {
		const struct dg_group *g = NULL;
		struct dg_addr a;

		is_str(strings_str(&cfg->groups[0].allow),
		       "wide.example, *.w.example@6", "group allow as written");
		is_int(dg_policy_count(cfg->groups[0].policy), 2,
		       "group allow lines are its entries");
		is_int(dg_policy_limits_const(cfg->groups[1].policy)
			       ->max_label_length,
		       20, "a group keeps the global limits");
		if (dg_addr_parse("10.1.2.3", 53, &a) == 0)
			ok(dg_config_policy_for(cfg, &a, NULL, &g) ==
				   cfg->groups[1].policy && g == &cfg->groups[1],
			   "the longest prefix wins: 10.1.2.3 is narrow's");
		if (dg_addr_parse("10.2.0.1", 53, &a) == 0)
			ok(dg_config_policy_for(cfg, &a, NULL, &g) ==
				   cfg->groups[0].policy,
			   "10.2.0.1 is wide's");
		if (dg_addr_parse("[::ffff:10.1.0.9]:53", 53, &a) == 0)
			ok(dg_config_policy_for(cfg, &a, NULL, &g) ==
				   cfg->groups[1].policy,
			   "an IPv4-mapped client is matched as IPv4");
		if (dg_addr_parse("192.0.2.1", 53, &a) == 0)
			ok(dg_config_policy_for(cfg, &a, NULL, &g) == cfg->policy &&
				   g == NULL,
			   "a client in no group: the global policy");
		dg_config_free(cfg);
	}
	check_error("a group without listen or clients",
		    "[policy]\nallow = x.example\n[group idle]\n"
		    "allow = y.example\n",
		    "t.conf:3: [group idle]: neither listen nor clients: it "
		    "would apply to nobody",
		    1);
	check_error("a group's missing zones file",
		    "[policy]\nallow = x.example\n[group ci]\nzones = gone.zones\n",
		    "t.conf:4: zones: cannot read 'gone.zones': No such file or "
		    "directory",
		    1);
	check_error("[group] without a name",
		    "[group]\nclients = 10.0.0.0/8\n[policy]\nallow = x.example\n",
		    "t.conf:1: [group]: a group needs one name, as [group NAME]",
		    1);
	check_error("[group a b] with two names", "[group a b]\n",
		    "t.conf:1: [group a b]: a group needs one name, as [group "
		    "NAME]",
		    1);
	check_error("a repeated group", "[group ci]\n[group ci]\n",
		    "t.conf:2: [group ci]: repeated group (first at line 1)",
		    1);
	check_error("an unknown key in a group", "[group ci]\nfrob = 1\n",
		    "t.conf:2: frob: unknown key in [group]",
		    1);
	check_error("a client prefix with host bits",
		    "[group ci]\nclients = 172.18.0.1/16\n",
		    "t.conf:2: clients: '172.18.0.1/16' is not an address "
		    "prefix (ADDR/LEN, host bits zero)",
		    1);
}

/* new_names_per_minute_total: global, per group, once per group. */
static void test_totals(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;

	put("resolv.conf", "nameserver 192.0.2.53\n");
	cfg = check_load("totals per group",
			 "[policy]\nallow = x.example\n"
			 "new_names_per_minute_total = 500\n"
			 "[group a]\nclients = 10.0.0.0/8\nallow = a.example\n"
			 "new_names_per_minute_total = 40\n"
			 "[group b]\nclients = 10.1.0.0/16\nallow = b.example\n"
			 "new_names_per_minute_total = 50\n"
			 "[group c]\nclients = 10.2.0.0/16\nallow = c.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_int(dg_config_total_for(cfg, 0), 500, "the global policy's total");
		is_int(dg_config_total_for(cfg, 1), 40, "group a's own");
		is_int(dg_config_total_for(cfg, 2), 50,
		       "group b's own: the key may be set once in each group");
		is_int(dg_config_total_for(cfg, 3), 500,
		       "group c has none: the global one");
		dg_config_free(cfg);
	}
	check_error("a total repeated in one group",
		    "[group a]\nnew_names_per_minute_total = 4\n"
		    "new_names_per_minute_total = 5\n",
		    "t.conf:3: new_names_per_minute_total: repeated key "
		    "(first set at line 2)",
		    1);
	check_error("a total of 0",
		    "[policy]\nnew_names_per_minute_total = 0\n",
		    "t.conf:2: new_names_per_minute_total: '0' is not a "
		    "number from 1 to 1000000",
		    1);
}

/* The group a query gets, by name ("-": none), from SOURCE on LISTENER
 * (NULL: unknown). */
static const char *group_for(const struct dg_config *cfg, const char *source,
			     const char *listener)
{
	const struct dg_group *g = &cfg->groups[0];
	struct dg_addr s, l;
	const struct dg_policy *p;

	if (dg_addr_parse(source, 53, &s) != 0 ||
	    (listener != NULL && dg_addr_parse(listener, 53, &l) != 0))
		return "(bad address)";
	p = dg_config_policy_for(cfg, &s, listener ? &l : NULL, &g);
	if (g == NULL)
		return p == cfg->policy ? "-" : "(policy without a group)";
	return p == g->policy ? g->name : "(another group's policy)";
}

/* [group] listen: groups a sandbox cannot borrow by forging its source. */
static void test_group_listen(void)
{
	static const char groups[] =
		"[group sandbox]\n"
		"listen = 127.0.0.1:5302, [::1]:5303\n"
		"listen = 127.0.0.1:5301\n"
		"allow = s.example\n"
		"[group lab]\n"
		"clients = 127.0.0.2/32\n"
		"allow = l.example\n"
		"[group both]\n"
		"listen = 127.0.0.3\n"
		"clients = 10.0.0.0/8\n"
		"allow = b.example\n";
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	char text[1024];

	put("resolv.conf", "nameserver 127.0.0.3\nnameserver 192.0.2.53\n");
	snprintf(text, sizeof(text),
		 "[server]\nlisten = 127.0.0.1:5300, 127.0.0.1:5301\n"
		 "[policy]\nallow = x.example\n%s", groups);
	cfg = check_load("group listeners", text, &ov, "");
	if (cfg != NULL) {
		is_str(addrs_str(&cfg->groups[0].listen),
		       "127.0.0.1:5302, [::1]:5303, 127.0.0.1:5301",
		       "a group's listen accumulates, as written");
		is_str(addrs_str(&cfg->groups[2].listen), "127.0.0.3:53",
		       "a group's listen port defaults to 53");
		is_str(addrs_str(&cfg->listen),
		       "127.0.0.1:5300, 127.0.0.1:5301, 127.0.0.1:5302, "
		       "[::1]:5303, 127.0.0.3:53",
		       "every address is opened once: [server] listen, then "
		       "the groups'");
		is_int(cfg->n_server_listen, 2, "the first two are [server]'s");
		is_str(addrs_str(&cfg->servers), "192.0.2.53:53",
		       "a group's listener is ours too: skipped in resolv.conf");
		is_str(group_for(cfg, "127.0.0.2", "127.0.0.1:5302"), "sandbox",
		       "on sandbox's listener from lab's address: sandbox");
		is_str(group_for(cfg, "10.1.2.3", "[::1]:5303"), "sandbox",
		       "on sandbox's IPv6 listener from both's clients: "
		       "sandbox");
		is_str(group_for(cfg, "127.0.0.2", "127.0.0.1:5301"), "sandbox",
		       "an address in [server] listen and a group's is the "
		       "group's");
		is_str(group_for(cfg, "127.0.0.2", "127.0.0.1:5300"), "lab",
		       "on a [server] listener: by source, lab");
		is_str(group_for(cfg, "127.0.0.1", "127.0.0.1:5300"), "-",
		       "on a [server] listener from no group's clients: global");
		is_str(group_for(cfg, "127.0.0.2", NULL), "lab",
		       "no listener known: by source");
		is_str(group_for(cfg, "127.0.0.9", "127.0.0.3:53"), "both",
		       "a group with both: its listener selects it");
		is_str(group_for(cfg, "10.0.0.1", "127.0.0.1:5300"), "both",
		       "and its clients do on a [server] listener");
		is_str(group_for(cfg, "127.0.0.2", "127.0.0.1:53"), "lab",
		       "another port of a listener's address is not it");
		dg_config_free(cfg);
	}

	/* The same groups in another order, as a reload may bring: each
	 * listener is still its group's. */
	snprintf(text, sizeof(text),
		 "[server]\nlisten = 127.0.0.1:5300\n[policy]\n"
		 "allow = x.example\n"
		 "[group both]\nlisten = 127.0.0.3\nclients = 10.0.0.0/8\n"
		 "[group lab]\nclients = 127.0.0.2/32\n"
		 "[group box]\nlisten = 127.0.0.1:5302\n");
	cfg = check_load("groups reordered and renamed", text, &ov,
			 "t.conf:5: warning: [group both]: its allowlist is "
			 "empty: its clients get every query denied\n"
			 "t.conf:8: warning: [group lab]: its allowlist is "
			 "empty: its clients get every query denied\n"
			 "t.conf:10: warning: [group box]: its allowlist is "
			 "empty: its clients get every query denied");
	if (cfg != NULL) {
		is_str(group_for(cfg, "127.0.0.2", "127.0.0.1:5302"), "box",
		       "reordered: the listener goes with the group that lists "
		       "it now");
		is_str(group_for(cfg, "127.0.0.2", "127.0.0.3:53"), "both",
		       "reordered: and so does the other");
		dg_config_free(cfg);
	}

	cfg = check_load("group listeners only",
			 "[policy]\nallow = x.example\n"
			 "[group sandbox]\nlisten = 127.0.0.1:5302\n"
			 "allow = s.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_str(addrs_str(&cfg->listen), "127.0.0.1:5302",
		       "no [server] listen: the default is not added");
		is_int(cfg->n_server_listen, 0, "and [server] listen is empty");
		dg_config_free(cfg);
	}

	{
		const char *listen[] = { "127.0.0.1:5309" };

		ov.listen = listen;
		ov.n_listen = 1;
		snprintf(text, sizeof(text),
			 "[server]\nlisten = 127.0.0.1:5300\n[policy]\n"
			 "allow = x.example\n%s", groups);
		cfg = check_load("--listen with group listeners", text, &ov, "");
		if (cfg != NULL) {
			is_str(addrs_str(&cfg->listen),
			       "127.0.0.1:5309, 127.0.0.1:5302, [::1]:5303, "
			       "127.0.0.1:5301, 127.0.0.3:53",
			       "--listen replaces [server] listen only");
			is_int(cfg->n_server_listen, 1,
			       "the first is --listen's");
			dg_config_free(cfg);
		}
		ov = base();
	}

	check_error("a listener of two groups",
		    "[policy]\nallow = x.example\n"
		    "[group a]\nlisten = 127.0.0.1:5302\n"
		    "[group b]\nlisten = 127.0.0.2:5302, 127.0.0.1:5302\n",
		    "t.conf:6: listen: '127.0.0.1:5302' already belongs to "
		    "group a",
		    1);
	check_error("a listener twice in one group",
		    "[policy]\nallow = x.example\n"
		    "[group a]\nlisten = [::1]:5302\nlisten = [0::1]:5302\n",
		    "t.conf:5: listen: '[0::1]:5302' already belongs to group a",
		    1);
	check_error("a group listener that is no address",
		    "[policy]\nallow = x.example\n"
		    "[group a]\nlisten = localhost:53\n",
		    "t.conf:4: listen: 'localhost:53' is not an address (ADDR, "
		    "ADDR:PORT or [IPV6]:PORT)",
		    1);
}

static void test_resolv_conf(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	struct capture c;

	put("resolv.conf", "# written by the test\n"
			   "search example\n"
			   "nameserver 192.0.2.53\n"
			   "nameserver 127.0.0.1\n"
			   "nameserver\t::1\r\n"
			   "nameserver fe80::1%eth0\n"
			   "nameserver\n"
			   "nameserver dns.example\n"
			   "options edns0\n");
	cfg = check_load("upstreams from resolv.conf",
			 "[server]\nlisten = 127.0.0.1:53\n[policy]\n"
			 "allow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_str(addrs_str(&cfg->servers), "192.0.2.53:53, [::1]:53",
		       "our own listener is skipped; unusable lines too");
		ok(cfg->servers_from_resolv_conf, "marked as from resolv.conf");
		dg_config_free(cfg);
	}

	put("resolv.conf", "nameserver 127.0.0.1\n");
	ov.need_upstream = true;
	cfg = check_load("no upstream when none is needed",
			 "[server]\nlisten = 127.0.0.1:53\n[policy]\n"
			 "allow = x.example\n",
			 &(struct dg_overrides){ .resolv_conf = "resolv.conf" },
			 "");
	if (cfg != NULL) {
		is_int(cfg->servers.n, 0, "no upstream at all");
		ok(!cfg->servers_from_resolv_conf,
		   "and none said to come from resolv.conf");
		dg_config_free(cfg);
	}
	cfg = &sentinel;
	put("t.conf", "[server]\nlisten = 127.0.0.1:53\n[policy]\n"
		      "allow = x.example\n");
	cap_open(&c);
	is_int(dg_config_load("t.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "need_upstream without any upstream is an error");
	is_str(cap_text(&c),
	       "t.conf: servers: resolv.conf names only dnsgate itself, "
	       "which would forward to itself: set [upstream] servers (or "
	       "--upstream) to the resolvers to use",
	       "resolv.conf naming only our listener: the error says so, and "
	       "where to set one");
	ok(cfg == &sentinel, "*out untouched");
	cap_close(&c);

	ov.resolv_conf = "no-such-resolv.conf";
	cfg = &sentinel;
	cap_open(&c);
	is_int(dg_config_load("t.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a missing resolv.conf gives no upstream either");
	is_str(cap_text(&c),
	       "t.conf: servers: no upstream: set [upstream] servers or "
	       "--upstream (no-such-resolv.conf lists none usable)",
	       "and names the file it read");
	cap_close(&c);
}

/* A CA certificate (made for this test, any will do) for tls_ca_file. */
static const char test_ca[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBlDCCATugAwIBAgIUb4CEqD1L0ZtCRZNr/4jOylhIxGcwCgYIKoZIzj0EAwIw\n"
	"HzEdMBsGA1UEAwwUZG5zZ2F0ZSB1bml0IHRlc3QgQ0EwIBcNMjYxMjA2MTE0ODUw\n"
	"WhgPMjEyNjExMTIxMTQ4NTBaMB8xHTAbBgNVBAMMFGRuc2dhdGUgdW5pdCB0ZXN0\n"
	"IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECP6mkDFgInSEl5ib4Iq4s41Y\n"
	"fPHrJsjvJfQaGZc95Y1/B1w7KJ4gvTh6p2dSXmQnfy9ISHJJjpSFye+wNIig6qNT\n"
	"MFEwHQYDVR0OBBYEFJ9ptqzbt16swr2Kuvg799wEOxaGMB8GA1UdIwQYMBaAFJ9p\n"
	"tqzbt16swr2Kuvg799wEOxaGMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID\n"
	"RwAwRAIgXc11MmJTJyv4gSXDa4KfC8wAT7PnCfqErnERQ/J3spECICcCBNM9A49I\n"
	"ItaA34cBn4b4Ivjy3Gxa9wchkgi94dcb\n"
	"-----END CERTIFICATE-----\n";

/* [upstream] servers = tls://ADDR[:PORT]#NAME and tls_ca_file. */
static void test_dot(void)
{
	const char *upstream[] = { "tls://[::1]:8853#b.example" };
	const char *mixed[] = { "192.0.2.9", "tls://192.0.2.1#a.example" };
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	struct capture c;

	put("ca.pem", test_ca);
	cfg = check_load("tls:// servers",
			 "[upstream]\nservers = tls://192.0.2.1#dns.example, "
			 "tls://[2001:db8::1]:8853#Other-1.example\n"
			 "tls_ca_file = ca.pem\n[policy]\nallow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_str(addrs_str(&cfg->servers),
		       "192.0.2.1:853, [2001:db8::1]:8853",
		       "port 853 unless given");
		ok(cfg->servers.tls_names != NULL, "with their names");
		if (cfg->servers.tls_names != NULL) {
			is_str(cfg->servers.tls_names[0], "dns.example",
			       "the first's name");
			is_str(cfg->servers.tls_names[1], "Other-1.example",
			       "the second's name");
		}
		is_str(cfg->tls_ca_file, "ca.pem", "tls_ca_file");
		cap_open(&c);
		dg_config_print(cfg, c.f);
		ok(strstr(cap_text(&c),
			  "servers = tls://192.0.2.1:853#dns.example, "
			  "tls://[2001:db8::1]:8853#Other-1.example\n") != NULL,
		   "--check prints them as tls://ADDR:PORT#NAME");
		cap_close(&c);
		dg_config_free(cfg);
	}
	cfg = check_load("plain servers",
			 "[upstream]\nservers = 192.0.2.1\n"
			 "[policy]\nallow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		ok(cfg->servers.tls_names == NULL, "plain servers: no names");
		ok(cfg->tls_ca_file == NULL, "no tls_ca_file: the system's");
		dg_config_free(cfg);
	}

	check_error("tls:// without #NAME",
		    "[upstream]\nservers = tls://192.0.2.1:853\n",
		    "t.conf:2: servers: 'tls://192.0.2.1:853' has no #NAME: a "
		    "tls:// server needs the name its certificate must carry "
		    "(tls://ADDR[:PORT]#NAME)",
		    1);
	check_error("tls:// with an empty NAME",
		    "[upstream]\nservers = tls://192.0.2.1#\n",
		    "t.conf:2: servers: 'tls://192.0.2.1#' has no host name "
		    "after # (tls://ADDR[:PORT]#NAME)",
		    1);
	check_error("tls:// with a NAME no certificate carries",
		    "[upstream]\nservers = tls://192.0.2.1#a/b\n",
		    "t.conf:2: servers: 'tls://192.0.2.1#a/b' has no host name "
		    "after # (tls://ADDR[:PORT]#NAME)",
		    1);
	check_error("tls:// with a host name for ADDR",
		    "[upstream]\nservers = tls://dns.example#dns.example\n",
		    "t.conf:2: servers: 'tls://dns.example#dns.example' is not "
		    "an address (tls://ADDR[:PORT]#NAME)",
		    1);
	check_error("plain after tls://",
		    "[upstream]\nservers = tls://192.0.2.1#a.example, "
		    "192.0.2.2\n",
		    "t.conf:2: servers: '192.0.2.2' mixes plain and tls:// "
		    "servers: a failed TLS server's questions would go to the "
		    "next in clear text",
		    1);
	check_error("tls:// after plain, on another line",
		    "[upstream]\nservers = 192.0.2.2\n"
		    "servers = tls://192.0.2.1#a.example\n",
		    "t.conf:3: servers: 'tls://192.0.2.1#a.example' mixes plain "
		    "and tls:// servers: a failed TLS server's questions would "
		    "go to the next in clear text",
		    1);
	cfg = check_load("tls:// in a [forward ZONE]",
			 "[upstream]\nservers = 192.0.2.1\n"
			 "[policy]\nallow = x.corp.example\n"
			 "[forward corp.example]\n"
			 "servers = tls://192.0.2.1#dns.corp.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_int(cfg->sets.addrs.n, 2,
		       "the plain and the tls:// 192.0.2.1 are two servers");
		ok(cfg->sets.addrs.tls_names != NULL &&
			   cfg->sets.addrs.tls_names[0] == NULL &&
			   strcmp(cfg->sets.addrs.tls_names[1],
				  "dns.corp.example") == 0,
		   "the upstream sees the zone's server's name");
		cap_open(&c);
		dg_config_print(cfg, c.f);
		ok(strstr(cap_text(&c), "[forward corp.example]\nservers = "
					"tls://192.0.2.1:853#dns.corp.example\n") !=
			   NULL,
		   "--check prints the zone's tls:// server");
		cap_close(&c);
		dg_config_free(cfg);
	}
	check_error("a [forward ZONE] mixing plain and tls://",
		    "[forward corp.example]\nservers = 192.0.2.2, "
		    "tls://192.0.2.1#a.example\n",
		    "t.conf:2: servers: 'tls://192.0.2.1#a.example' mixes plain "
		    "and tls:// servers: a failed TLS server's questions would "
		    "go to the next in clear text",
		    1);
	check_error("a tls_ca_file that does not exist",
		    "[upstream]\ntls_ca_file = nothere.pem\n",
		    "t.conf:2: tls_ca_file: nothere.pem: Error while reading "
		    "file.",
		    1);
	put("empty.pem", "no certificate here\n");
	check_error("a tls_ca_file without a certificate",
		    "[upstream]\ntls_ca_file = empty.pem\n",
		    "t.conf:2: tls_ca_file: empty.pem: no CA certificate found "
		    "in it",
		    1);

	ov.upstream = upstream;
	ov.n_upstream = 1;
	cfg = check_load("--upstream tls://",
			 "[upstream]\nservers = 192.0.2.1\n"
			 "[policy]\nallow = x.example\n",
			 &ov, "");
	if (cfg != NULL) {
		is_str(addrs_str(&cfg->servers), "[::1]:8853",
		       "--upstream tls:// replaces the file's plain servers");
		ok(cfg->servers.tls_names != NULL &&
			   strcmp(cfg->servers.tls_names[0], "b.example") == 0,
		   "with its name");
		dg_config_free(cfg);
	}
	ov.upstream = mixed;
	ov.n_upstream = 2;
	cfg = &sentinel;
	cap_open(&c);
	is_int(dg_config_load("t.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "--upstream mixing plain and tls://: refused");
	ok(strstr(cap_text(&c),
		  "command line: --upstream: 'tls://192.0.2.1#a.example' mixes "
		  "plain and tls:// servers") != NULL,
	   "and said so");
	if (cfg != &sentinel)
		dg_config_free(cfg);
	cap_close(&c);
	unlink("ca.pem");
	unlink("empty.pem");
}

static void test_overrides(void)
{
	const char *listen[] = { "127.0.0.1:5301", "[::1]:5302" };
	const char *upstream[] = { "192.0.2.9" };
	const char *zones[] = { "o.zones" };
	const char *allow[] = { "o.example, p.example", "*.q.example" };
	const char *bogus[] = { "bogus" };
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	struct capture c;
	static const char file[] = "[server]\nlisten = 127.0.0.1:53\n"
				   "[upstream]\nservers = 192.0.2.1\n"
				   "[policy]\nzones = f.zones\n"
				   "allow = f.example\n"
				   "[log]\nquery_log = off\n";

	put("f.zones", "ffile.example\n");
	put("o.zones", "ofile.example\n");
	ov.listen = listen;
	ov.n_listen = 2;
	ov.upstream = upstream;
	ov.n_upstream = 1;
	ov.query_log = "stderr";
	cfg = check_load("--listen, --upstream, --query-log", file, &ov, "");
	if (cfg != NULL) {
		is_str(addrs_str(&cfg->listen), "127.0.0.1:5301, [::1]:5302",
		       "--listen replaces the file's listen list");
		is_str(addrs_str(&cfg->servers), "192.0.2.9:53",
		       "--upstream replaces the file's servers");
		is_str(cfg->query_log, "stderr", "--query-log replaces query_log");
		is_str(entries_str(cfg->policy), "ffile.example|f.example",
		       "without --zones or --allow the file's allowlist stays");
		dg_config_free(cfg);
	}

	ov = base();
	ov.allow = allow;
	ov.n_allow = 2;
	cfg = check_load("--allow", file, &ov, "");
	if (cfg != NULL) {
		is_str(entries_str(cfg->policy),
		       "o.example|p.example|*.q.example depth=1",
		       "--allow replaces both zones= and allow=");
		is_str(strings_str(&cfg->allow),
		       "o.example, p.example@0|*.q.example@0",
		       "--allow values come from line 0");
		is_str(strings_str(&cfg->zones), "", "no zones left");
		dg_config_free(cfg);
	}

	ov = base();
	ov.zones = zones;
	ov.n_zones = 1;
	cfg = check_load("--zones", file, &ov, "");
	if (cfg != NULL) {
		is_str(entries_str(cfg->policy), "ofile.example",
		       "--zones replaces both zones= and allow=");
		dg_config_free(cfg);
	}

	ov = base();
	ov.listen = bogus;
	ov.n_listen = 1;
	cfg = &sentinel;
	put("t.conf", file);
	cap_open(&c);
	is_int(dg_config_load("t.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a bad --listen is an error");
	is_str(cap_text(&c),
	       "command line: --listen: 'bogus' is not an address (ADDR, "
	       "ADDR:PORT or [IPV6]:PORT)",
	       "it names the flag");
	cap_close(&c);

	ov = base();
	ov.upstream = bogus;
	ov.n_upstream = 1;
	cap_open(&c);
	is_int(dg_config_load("t.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a bad --upstream is an error");
	is_str(cap_text(&c),
	       "command line: --upstream: 'bogus' is not an address (ADDR, "
	       "ADDR:PORT or [IPV6]:PORT)",
	       "it names the flag");
	cap_close(&c);

	ov = base();
	zones[0] = "missing.zones";
	ov.zones = zones;
	ov.n_zones = 1;
	cap_open(&c);
	is_int(dg_config_load("t.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a missing --zones file is an error");
	is_str(cap_text(&c),
	       "--zones: zones: cannot read 'missing.zones': No such file or "
	       "directory",
	       "blamed on --zones, not on the config file");
	cap_close(&c);

	ov = base();
	allow[0] = "bad..example";
	ov.allow = allow;
	ov.n_allow = 1;
	cap_open(&c);
	is_int(dg_config_load("t.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a bad --allow is an error");
	is_str(cap_text(&c), "--allow: bad name 'bad..example': Empty label",
	       "blamed on --allow");
	ok(cfg == &sentinel, "*out untouched");
	cap_close(&c);
}

static void test_embedded_and_missing(void)
{
	const char *allow[] = { "x.example" };
	struct dg_overrides ov = base();
	struct dg_config *cfg = &sentinel;
	struct capture c;

	put("resolv.conf", "nameserver 192.0.2.53\n");
	ov.allow = allow;
	ov.n_allow = 1;
	cap_open(&c);
	is_int(dg_config_load(NULL, &ov, &c.d, &cfg), 0,
	       "the embedded default loads with --allow");
	is_str(cap_text(&c), "", "without diagnostics");
	if (cfg != &sentinel) {
		ok(cfg->path == NULL, "the embedded default has no path");
		is_str(addrs_str(&cfg->listen), "127.0.0.1:5353",
		       "the embedded default listens on 127.0.0.1:5353");
		is_str(entries_str(cfg->policy), "x.example",
		       "--allow replaces the default zones");
		dg_config_free(cfg);
	}
	cap_close(&c);

	cfg = &sentinel;
	cap_open(&c);
	is_int(dg_config_load("no-such.conf", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a missing config file is an error");
	is_str(cap_text(&c), "no-such.conf: cannot read: No such file or "
			     "directory",
	       "naming the file");
	ok(cfg == &sentinel, "*out untouched");
	cap_close(&c);

	cfg = &sentinel;
	cap_open(&c);
	is_int(dg_config_load("sub", &ov, &c.d, &cfg), DG_ECONFIG,
	       "a folder as config file is an error");
	is_str(cap_text(&c), "sub: cannot read: Is a directory",
	       "reported as unreadable");
	cap_close(&c);
}

/* cfg as --check prints it; free the result. */
static char *printed(const struct dg_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		perror("open_memstream");
		exit(99);
	}
	dg_config_print(cfg, f);
	fclose(f);
	return text;
}

/* Is `key =` a line of the section that starts with the line header? */
static bool section_has(const char *text, const char *header, const char *key)
{
	const char *start = strstr(text, header);
	const char *end;
	size_t n = strlen(key);

	if (start == NULL)
		return false;
	start += strlen(header);
	end = strstr(start, "\n[");
	for (const char *line = start; end == NULL || line < end; line++) {
		if (strncmp(line, key, n) == 0 && strncmp(line + n, " =", 2) == 0)
			return true;
		line = strchr(line, '\n');
		if (line == NULL)
			break;
	}
	return false;
}

/* mode: enforce by default, audit per policy, a group taking [policy]'s
 * unless it sets its own; --check says so next to each auditing policy. */
static void test_modes(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	char *text;

	put("resolv.conf", "nameserver 192.0.2.53\n");
	cfg = check_load("enforce by default",
			 "[policy]\nallow = x.example\n"
			 "[group a]\nclients = 10.0.0.0/8\nallow = a.example\n",
			 &ov, "");
	if (cfg != NULL) {
		ok(!dg_config_audits(cfg, NULL) &&
			   !dg_config_audits(cfg, &cfg->groups[0]),
		   "no mode anywhere: every policy enforces");
		is_int(dg_config_audit_count(cfg), 0, "none audits");
		text = printed(cfg);
		ok(strstr(text, "AUDIT") == NULL,
		   "--check has no audit warning when nothing audits");
		free(text);
		dg_config_free(cfg);
	}
	cfg = check_load("one group audits",
			 "[policy]\nallow = x.example\n"
			 "[group a]\nclients = 10.0.0.0/8\nallow = a.example\n"
			 "mode = audit\n"
			 "[group b]\nclients = 10.1.0.0/16\nallow = b.example\n",
			 &ov, "");
	if (cfg != NULL) {
		ok(!dg_config_audits(cfg, NULL) &&
			   dg_config_audits(cfg, &cfg->groups[0]) &&
			   !dg_config_audits(cfg, &cfg->groups[1]),
		   "a group's audit is its own: the others still enforce");
		is_int(dg_config_audit_count(cfg), 1, "one policy audits");
		text = printed(cfg);
		ok(section_has(text, "\n[group a]\n", "mode") &&
			   strstr(text, "mode = audit\n; AUDIT: nothing is "
					"denied") != NULL,
		   "--check prints mode = audit and a warning under it");
		ok(strstr(text, "[policy]") != NULL &&
			   strstr(strstr(text, "[policy]"), "mode = enforce\n") !=
				   NULL,
		   "[policy] prints its own mode, enforce");
		free(text);
		dg_config_free(cfg);
	}
	check_error("a mode that is neither",
		    "[policy]\nmode = learn\n",
		    "t.conf:2: mode: 'learn' is not enforce or audit", 1);
}

static void test_print_every_key(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg;
	struct dg_config_key k;
	char *text;

	put("all.zones", "# all\nfrom.file.example\n");
	cfg = check_load("every key and two groups", all_keys, &ov, "");
	if (cfg == NULL)
		return;
	text = printed(cfg);
	for (size_t i = 0; dg_config_key(i, &k); i++) {
		char header[64];

		snprintf(header, sizeof(header), "\n[%s]\n",
			 section_header(k.section));
		ok(section_has(text, header, k.name),
		   "[%s] %s is printed in its section", k.section, k.name);
		if (strcmp(k.section, "group") == 0)
			ok(section_has(text, "\n[group lab]\n", k.name),
			   "[group] %s is printed in each group", k.name);
	}
	free(text);
	dg_config_free(cfg);
}

/* What --check prints loads again and prints the same. */
static void test_print_round_trip(void)
{
	struct dg_overrides ov = base();
	struct dg_config *cfg, *again;
	char *first, *second, *cut;

	put("all.zones", "# all\nfrom.file.example\n");
	cfg = check_load("round trip: the original", all_keys, &ov, "");
	if (cfg == NULL)
		return;
	first = printed(cfg);
	dg_config_free(cfg);
	/* The allowlist listing is no configuration: its entries come back
	 * from the zones and allow lines. */
	cut = strstr(first, "\n; allowlist:");
	if (cut != NULL)
		cut[1] = '\0';
	again = check_load("round trip: the printed one", first, &ov, "");
	if (again == NULL) {
		free(first);
		return;
	}
	second = printed(again);
	cut = strstr(second, "\n; allowlist:");
	if (cut != NULL)
		cut[1] = '\0';
	/* Only the first line, naming the file read, may differ. */
	is_str(strchr(second, '\n'), strchr(first, '\n'),
	       "printed again, the same configuration");
	free(first);
	free(second);
	dg_config_free(again);
}

/* The lines dg_config_warn_restart_only writes from old to new text. */
static char *restart_warnings(const char *what, const char *old_text,
			      const char *new_text)
{
	struct dg_overrides ov = base();
	struct dg_config *old, *cfg;
	struct capture c;

	old = check_load(what, old_text, &ov, "");
	cfg = check_load(what, new_text, &ov, "");
	cap_open(&c);
	if (old != NULL && cfg != NULL)
		dg_config_warn_restart_only(old, cfg, c.f);
	cap_text(&c);
	fclose(c.f);
	dg_config_free(old);
	dg_config_free(cfg);
	return c.buf;
}

static void test_restart_only(void)
{
	/* Two values of each restart-only key. */
	static const struct {
		const char *section, *name, *a, *b;
	} values[] = {
		{ "server", "listen", "127.0.0.1:5301", "127.0.0.1:5302" },
		{ "server", "user", "nobody", "daemon" },
		{ "server", "tcp_idle_timeout_ms", "1000", "2000" },
		{ "server", "max_tcp_clients", "10", "20" },
		{ "server", "workers", "1", "2" },
		{ "upstream", "servers", "192.0.2.1", "192.0.2.2" },
		{ "upstream", "tls_ca_file", "ca1.pem", "ca2.pem" },
		{ "upstream", "timeout_ms", "100", "200" },
		{ "upstream", "max_inflight", "10", "20" },
		{ "log", "query_log", "off", "stderr" },
		{ "log", "deny_log_rate", "1", "2" },
		{ "metrics", "listen", "127.0.0.1:9154", "off" },
		{ "control", "socket", "/run/a.sock", "off" },
		{ "firewall", "nft_set", "inet egress allowed4", "off" },
		{ "firewall", "nft_set6", "inet egress allowed6", "off" },
		{ "group", "listen", "127.0.0.1:5310", "127.0.0.1:5311" },
		{ "group", "nft_set", "inet egress g4", "off" },
		{ "group", "nft_set6", "inet egress g6", "off" },
		{ "forward", "servers", "192.0.2.1", "192.0.2.2" },
	};
	/* Changes a reload applies, and listeners whose sockets stay. */
	static const struct {
		const char *what, *old_text, *new_text, *want;
	} cases[] = {
		{ "[policy] allow changed: no warning, a reload applies it",
		  "[policy]\nallow = x.example\n",
		  "[policy]\nallow = y.example\n", "" },
		{ "a group renamed, same sockets: no warning",
		  "[policy]\nallow = x.example\n"
		  "[group a]\nlisten = 127.0.0.1:5310\nallow = g.example\n",
		  "[policy]\nallow = x.example\n"
		  "[group b]\nlisten = 127.0.0.1:5310\nallow = g.example\n",
		  "" },
		{ "an address moved from [server] to a group: no warning",
		  "[server]\nlisten = 127.0.0.1:5301, 127.0.0.1:5310\n"
		  "[policy]\nallow = x.example\n"
		  "[group a]\nclients = 10.0.0.0/8\nallow = g.example\n",
		  "[server]\nlisten = 127.0.0.1:5301\n"
		  "[policy]\nallow = x.example\n"
		  "[group a]\nlisten = 127.0.0.1:5310\nallow = g.example\n",
		  "" },
		{ "a group dropped with its listener: its socket stays, said",
		  "[server]\nlisten = 127.0.0.1:5301\n"
		  "[policy]\nallow = x.example\n"
		  "[group a]\nlisten = 127.0.0.1:5310\nallow = g.example\n",
		  "[server]\nlisten = 127.0.0.1:5301\n"
		  "[policy]\nallow = x.example\n",
		  "dnsgate: reload: [group a] listen changed; it takes effect "
		  "at the next start" },
		{ "a forward zone added: waits, said",
		  "[policy]\nallow = x.example\n",
		  "[policy]\nallow = x.example\n"
		  "[forward corp.example]\nservers = 10.0.0.53\n",
		  "dnsgate: reload: [forward corp.example] servers changed; it "
		  "takes effect at the next start" },
		{ "a forward zone dropped: waits, said",
		  "[policy]\nallow = x.example\n"
		  "[forward corp.example]\nservers = 10.0.0.53\n",
		  "[policy]\nallow = x.example\n",
		  "dnsgate: reload: [forward corp.example] servers changed; it "
		  "takes effect at the next start" },
		{ "forward zones reordered, same servers: no warning",
		  "[policy]\nallow = x.example\n"
		  "[forward a.example]\nservers = 10.0.0.1\n"
		  "[forward b.example]\nservers = 10.0.0.2\n",
		  "[policy]\nallow = x.example\n"
		  "[forward B.example.]\nservers = 10.0.0.2:53\n"
		  "[forward a.example]\nservers = 10.0.0.1\n",
		  "" },
		{ "[local] changed: no warning, a reload applies it",
		  "[policy]\nallow = x.example\n"
		  "[local]\nlocal = x.example A 10.0.0.1\n",
		  "[policy]\nallow = x.example\n"
		  "[local]\nlocal = x.example A 10.0.0.2\n",
		  "" },
	};
	static const char base_text[] = "[policy]\nallow = x.example\n";
	/* Clients too: a group's keys other than listen leave it none. */
	static const char group_allow[] = "allow = g.example\n"
					  "clients = 10.9.0.0/16\n";
	struct dg_config_key k;
	char *got;

	put("resolv.conf", "nameserver 192.0.2.53\n");
	put("ca1.pem", test_ca);
	put("ca2.pem", test_ca);
	for (size_t i = 0; dg_config_key(i, &k); i++) {
		bool group = strcmp(k.section, "group") == 0;
		const char *sec = group ? "group g" : section_header(k.section);
		size_t j = 0;
		char a[256], b[256], want[128];

		if (!k.restart)
			continue;
		while (j < DG_ARRAY_SIZE(values) &&
		       (strcmp(values[j].section, k.section) != 0 ||
			strcmp(values[j].name, k.name) != 0))
			j++;
		if (!ok(j < DG_ARRAY_SIZE(values),
			"[%s] %s: the test has values for it", k.section,
			k.name))
			continue;
		snprintf(a, sizeof(a), "%s[%s]\n%s%s = %s\n", base_text, sec,
			 group ? group_allow : "", k.name, values[j].a);
		snprintf(b, sizeof(b), "%s[%s]\n%s%s = %s\n", base_text, sec,
			 group ? group_allow : "", k.name, values[j].b);
		snprintf(want, sizeof(want),
			 "dnsgate: reload: [%s] %s changed; it takes effect at "
			 "the next start",
			 sec, k.name);
		got = restart_warnings(k.name, a, b);
		is_str(got, want, "[%s] %s changed: one warning, naming it",
		       k.section, k.name);
		free(got);
	}

	for (size_t i = 0; i < DG_ARRAY_SIZE(cases); i++) {
		got = restart_warnings(cases[i].what, cases[i].old_text,
				       cases[i].new_text);
		is_str(got, cases[i].want, "%s", cases[i].what);
		free(got);
	}
}

/* Remove what the tests wrote; tmpdir holds nothing else. */
static void cleanup(void)
{
	static const char *const files[] = {
		"t.conf",        "resolv.conf",   "all.zones",
		"rel.zones",     "f.zones",       "o.zones",
		"e.conf",        "sub/rel.zones", "sub/d/a.zones",
		"sub/d/b.zones", "sub/d/c.txt",   "sub/s.conf",
		"sub/m.conf",    "sub/b.conf",    "sub/bad.zones",
		"ca1.pem",       "ca2.pem",
	};
	static const char *const dirs[] = { "sub/d", "sub/empty", "sub" };

	for (size_t i = 0; i < DG_ARRAY_SIZE(files); i++)
		unlink(files[i]);
	for (size_t i = 0; i < DG_ARRAY_SIZE(dirs); i++)
		rmdir(dirs[i]);
	if (chdir("/") == 0)
		rmdir(tmpdir);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0) {
		perror(tmpdir);
		return 99;
	}
	test_defaults();
	test_every_key();
	test_key_errors();
	test_nul();
	test_lines();
	test_several_errors();
	test_zones_paths();
	test_groups();
	test_forward_and_local();
	test_totals();
	test_modes();
	test_group_listen();
	test_resolv_conf();
	test_overrides();
	test_dot();
	test_embedded_and_missing();
	test_print_every_key();
	test_print_round_trip();
	test_restart_only();
	cleanup();
	return done_testing();
}
