#!/usr/bin/env bash
# t_hint: the start-up lines say which configuration runs (the file, read
# with -c or as the installed one without it, or the embedded default) and
# offer a dig command for a name the allowlist allows: its first entry
# whose own name is allowed for A, not a fixed www.example.com. With an
# empty allowlist they say every query is denied instead.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/basic.testns"
log() { cat "$tmp/dnsgate.log"; }
# write_conf FILE ALLOW: forwarding to the upstream, allowing ALLOW.
write_conf() {
	printf '[upstream]\nservers = 127.0.0.1:%s\n[policy]\n%s\n' "$up_port" "$2" >"$1"
}

write_conf "$tmp/api.conf" "allow = api.example.org"
start_dnsgate -c "$tmp/api.conf"
like "$(log)" "listening on .*; configuration: $tmp/api\.conf\$" \
	"-c: the start-up line names the file"
like "$(log)" "^dnsgate: try: dig @127\.0\.0\.1 -p $DG_PORT api\.example\.org\$" \
	"the hint names the one name the allowlist allows"
check_alive_and_stop

# The first entry allows AAAA only: a dig for A there would be denied.
write_conf "$tmp/installed.conf" "allow = v6.example.net types=AAAA, www.example.com"
DNSGATE_DEFAULT_CONFIG=$tmp/installed.conf start_dnsgate
like "$(log)" "listening on .*; configuration: $tmp/installed\.conf\$" \
	"without -c: the installed configuration is read and named"
like "$(log)" "^dnsgate: try: dig @127\.0\.0\.1 -p $DG_PORT www\.example\.com\$" \
	"the hint skips an entry that does not allow A"
like "$(q www.example.com A)" "status: NOERROR" "and the name it offers resolves"
check_alive_and_stop

DNSGATE_DEFAULT_CONFIG=$tmp/absent.conf start_dnsgate \
	--upstream "127.0.0.1:$up_port" --allow www.example.com
like "$(log)" "listening on .*; configuration: the embedded default\$" \
	"no installed configuration: the embedded default is named"
check_alive_and_stop

write_conf "$tmp/empty.conf" ""
start_dnsgate -c "$tmp/empty.conf"
like "$(log)" "^dnsgate: the allowlist is empty: every query is denied\$" \
	"an empty allowlist: said instead of a hint"
ok "$(grep -c "try:" "$tmp/dnsgate.log")" "and no dig command is offered"
check_alive_and_stop

done_testing
