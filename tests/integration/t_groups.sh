#!/usr/bin/env bash
# t_groups: [group NAME] gives the clients of its prefixes a policy of
# their own. Two clients on different loopback addresses get different
# answers for the same names: what each may ask, and how its answers are
# scrubbed (the group's private=allow); each policy has a cache of its own,
# so an answer scrubbed for one is never served to the other; the query log
# names the group; explain --client says the same.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/hostile.testns"
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = rebind.example.com
[group lab]
clients = 127.0.0.2/32, 10.0.0.0/8
allow = rebind.example.com private=allow, intranet.example.com
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

# a SRC NAME: the A records (or the status) the client at SRC gets.
a() {
	local out
	out=$("$DIG" @127.0.0.1 -p "$DG_PORT" -b "$1" "$2" A "$(dig_time 2)" +tries=1)
	if printf '%s\n' "$out" | grep -q 'status: NOERROR'; then
		printf '%s\n' "$out" | awk '$4 == "A" { print $5 }' | sort | paste -sd' '
	else
		printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
	fi
}

is "$(a 127.0.0.1 rebind.example.com)" "192.0.2.7" \
	"global policy (127.0.0.1): rebind.example.com, its private addresses scrubbed"
is "$(a 127.0.0.2 rebind.example.com)" "10.0.0.5 100.64.0.1 127.0.0.1 169.254.169.254 192.0.2.7" \
	"group lab (127.0.0.2): the same name, private=allow keeps them"
is "$(upstream_count up rebind.example.com.)" 2 \
	"each policy fetched it for itself: two upstream queries, not one"
is "$(a 127.0.0.1 rebind.example.com)" "192.0.2.7" \
	"the global client's cached answer is still its own"
is "$(a 127.0.0.2 intranet.example.com)" "" \
	"group lab: intranet.example.com is allowed; without private=allow its 10.0.0.5 is scrubbed (NODATA)"
is "$(a 127.0.0.1 intranet.example.com)" NXDOMAIN "global: intranet.example.com is not listed"
is "$(upstream_count up intranet.example.com.)" 1 "and the denied asking never went upstream"

like "$(grep '"client":"127.0.0.2:' "$tmp/dnsgate.log" | grep intranet)" '"group":"lab","entry":"intranet\.example\.com"' \
	"the query log names the group and its entry"
like "$(grep '"client":"127.0.0.1:' "$tmp/dnsgate.log" | grep intranet)" '"reason":"not-listed"' \
	"and the global client's denial"
[[ "$(grep '"client":"127.0.0.1:' "$tmp/dnsgate.log")" != *'"group"'* ]]
ok $? "a client in no group has no group field"

is "$("$DNSGATE" -c "$tmp/dnsgate.conf" explain --client 10.9.8.7 intranet.example.com)" \
	"allow (entry intranet.example.com) [group lab]" "explain --client: a group client"
is "$("$DNSGATE" -c "$tmp/dnsgate.conf" explain --client 192.0.2.1 intranet.example.com)" \
	"deny not-listed [no group]" "explain --client: a client in no group"
check_alive_and_stop
done_testing
