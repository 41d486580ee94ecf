#!/usr/bin/env bash
# t_reload_race: an answer in flight across a reload is judged under the
# configuration its query was asked under, never under the new one, and
# only answers decided under the configuration in force feed the nft sets.
#
# The attack: the sandbox owns late.example.com, whose server answers one
# second late with a private address (10.5.5.5) and a public one. Its
# client is in [group sandbox], whose entry for the name has no
# private=allow; the global policy's entry has it. The sandbox asks, and
# before the answer comes dnsgate reloads (SIGHUP; an attacker can keep
# such a fetch in flight at every reload). Before this was fixed, the
# answer to a fetch started before the reload was scrubbed under the new
# global policy: the group's client got 10.5.5.5, and 10.5.5.5 went into
# the nft egress set.
#
# One namespace this test creates (and deletes on exit): dnsgate on its
# 127.0.0.1:53, its upstream (ldns-testns, race.testns) on 127.0.0.1:5300,
# and the nft set dnsgate fills.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip python3 nft "$DIG" "$LDNS_TESTNS"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

HS=dgrr$$
make_namespaces "$HS"
hs() { ip netns exec "$HS" "$@"; }
hs nft -f - <<'EOF2' || skip_all "nft does not work here"
table inet egress {
	set allowed4 { type ipv4_addr; flags timeout; }
}
EOF2

nsbg "$HS" "$tmp/up.log" stdbuf -oL "$LDNS_TESTNS" -v -p 5300 \
	"$srcdir/tests/integration/data/race.testns"
conf() { # conf COMMENT: the configuration, a comment making each reload's differ
	cat <<EOC
# $1
[server]
listen = 127.0.0.1:53
[upstream]
servers = 127.0.0.1:5300
timeout_ms = 3000
[policy]
allow = late.example.com private=allow
[group sandbox]
clients = 127.0.0.2/32
allow = late.example.com
[firewall]
nft_set = inet egress allowed4
[log]
query_log = $tmp/query.log
EOC
}
conf first >"$tmp/dnsgate.conf"
wait_until 5 grep -q "Listening on port" "$tmp/up.log" || {
	echo "# the upstream did not start:"; sed 's/^/#   /' "$tmp/up.log"; exit 99; }
nsbg "$HS" "$tmp/dnsgate.log" "$DNSGATE" -c "$tmp/dnsgate.conf"
DG_PID=${pids[-1]}
wait_until 5 grep -q "listening on" "$tmp/dnsgate.log" || {
	echo "# dnsgate did not start:"; sed 's/^/#   /' "$tmp/dnsgate.log"; exit 99; }

in_set() { hs nft list set inet egress allowed4 | tr -d '\n' | sed -n 's/.*elements = { \([^}]*\) }.*/\1/p'; }
ask() { # ask SOURCE: the A records late.example.com gets from SOURCE
	hs "$DIG" @127.0.0.1 -b "$1" late.example.com A "$(dig_time 4)" +tries=1 2>&1 | dig_result
}

# The sandbox asks; the reload comes while the upstream sleeps.
ask 127.0.0.2 >"$tmp/sandbox.out" &
asker=$!
wait_until 3 grep -q "late.example.com" "$tmp/up.log"
conf second >"$tmp/dnsgate.conf"
kill -HUP "$DG_PID"
wait_until 3 grep -q "dnsgate: reloaded" "$tmp/dnsgate.log"
ok $? "dnsgate reloaded while the answer was in flight"
wait "$asker"
is "$(cat "$tmp/sandbox.out")" 192.0.2.77 \
	"the sandbox's answer, in flight across the reload, is scrubbed under its group: no 10.5.5.5"
[[ "$(in_set)" != *10.5.5.5* ]]
ok $? "and 10.5.5.5 is not in the nft set ($(in_set))"
like "$(grep '"client":"127.0.0.2:' "$tmp/query.log")" '"group":"sandbox".*"scrubbed":1' \
	"the query log names the group and the scrubbed record"

# The same name now, under the configuration in force: the group's answer
# was not cached by the old one, so it is fetched and judged again.
is "$(ask 127.0.0.2)" 192.0.2.77 "asked again after the reload: scrubbed, as before"
[[ "$(in_set)" != *10.5.5.5* ]]
ok $? "10.5.5.5 still not in the set"

# Control: the global policy's private=allow keeps the address, and its
# answer, decided under the configuration in force, does enter the set;
# so the checks above can fail.
is "$(ask 127.0.0.1)" "10.5.5.5 192.0.2.77" "the global client (private=allow) gets 10.5.5.5"
[[ "$(in_set)" == *10.5.5.5* ]]
ok $? "and that answer feeds the set ($(in_set))"

kill -0 "$DG_PID"
ok $? "dnsgate is still running"
done_testing
