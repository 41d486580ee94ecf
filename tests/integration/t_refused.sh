#!/usr/bin/env bash
# t_refused: with [policy] deny_rcode = refused in a config file, denied
# names get REFUSED (question echoed, nothing sent upstream); allowed names
# are still answered, and a denied type on an allowed name is still NODATA.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

cat >"$tmp/dnsgate.conf" <<'CONF'
[policy]
deny_rcode = refused
CONF

start_upstream up "$srcdir/tests/integration/data/basic.testns"
start_dnsgate -c "$tmp/dnsgate.conf" --upstream "127.0.0.1:$up_port" \
	--allow '*.example.com'

sp='[[:space:]]+'
for name in evil.example a.b.example.com example.com.evil.example; do
	re=${name//./\\.}
	out=$(q "$name" A)
	like "$out" "status: REFUSED" "$name: REFUSED"
	like "$out" "^;$re\.${sp}IN${sp}A\$" "$name: the question is echoed"
	like "$out" "; EDNS: version: 0" "$name: EDNS echoed"
	out=$(q +tcp "$name" A)
	like "$out" "status: REFUSED" "$name over TCP: REFUSED"
done

out=$(q www.example.com A)
like "$out" "status: NOERROR" "an allowed name: NOERROR"
like "$out" "192\.0\.2\.10" "an allowed name: the upstream's answer"
out=$(q missing.example.com A)
like "$out" "status: NXDOMAIN" "an upstream NXDOMAIN is still NXDOMAIN"

out=$(q www.example.com TXT)
like "$out" "status: NOERROR" "a denied type on an allowed name: NOERROR, not REFUSED"
like "$out" "ANSWER: 0," "a denied type on an allowed name: no data"

for name in evil.example. a.b.example.com. example.com.evil.example.; do
	is "$(upstream_count up "$name")" 0 "$name never reached the upstream"
done
is "$(upstream_count_type up www.example.com. TXT)" 0 "the denied type never reached the upstream"

check_alive_and_stop
done_testing
