#!/usr/bin/env bash
# t_ipv6: dnsgate listening on [::1]:PORT as well as 127.0.0.1:PORT answers
# over UDP and TCP on both, forwarding to an upstream on ::1.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$KDIG" "$LDNS_TESTNS" ip
ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' ||
	skip_all "::1 is not configured on lo"

start_upstream up "$srcdir/tests/integration/data/basic.testns" -6
start_dnsgate --listen '[::1]:@DG_PORT@' --upstream "[::1]:$up_port" \
	--allow '*.example.com'

sp='[[:space:]]+'
q6() {
	"$DIG" @::1 -p "$DG_PORT" "$(dig_time 2)" +tries=1 "$@"
}

out=$(q6 www.example.com A)
like "$out" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.10\$" "UDP on ::1: answered"
like "$out" "SERVER: ::1#$DG_PORT\(::1\) \(UDP\)" "UDP on ::1: from ::1"
out=$(q6 +tcp www.example.com AAAA)
like "$out" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}AAAA${sp}2001:db8::10\$" "TCP on ::1: answered"
like "$out" "SERVER: ::1#$DG_PORT\(::1\) \(TCP\)" "TCP on ::1: from ::1"
out=$(q6 +tcp cname.example.com A)
like "$out" "CNAME${sp}www\.example\.com\." "TCP on ::1: a fresh fetch"
out=$(q6 evil.example A)
like "$out" "status: NXDOMAIN" "UDP on ::1: a denied name is NXDOMAIN"
out=$(q6 +tcp evil.example A)
like "$out" "status: NXDOMAIN" "TCP on ::1: a denied name is NXDOMAIN"
out=$("$KDIG" @::1 -p "$DG_PORT" "$(dig_time 2)" +retry=0 missing.example.com A)
like "$out" "status: NXDOMAIN" "kdig over UDP on ::1: the upstream's NXDOMAIN"

# The IPv4 listener on the same port still works.
out=$(q www.example.com A)
like "$out" "192\.0\.2\.10" "UDP on 127.0.0.1: answered"
out=$(q +tcp www.example.com AAAA)
like "$out" "2001:db8::10" "TCP on 127.0.0.1: answered"

# The upstream on ::1 got each allowed name once (the rest was cached).
is "$(upstream_count up www.example.com.)" 2 "the ::1 upstream: www A and AAAA, once each"
is "$(upstream_count up evil.example.)" 0 "the ::1 upstream: never the denied name"

check_alive_and_stop
done_testing
