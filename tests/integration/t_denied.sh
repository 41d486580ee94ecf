#!/usr/bin/env bash
# t_denied: names off the allowlist (not listed, too deep, a lookalike, a
# tunnel-shaped label) get NXDOMAIN with the question echoed, a synthesized
# SOA carrying the negative TTL, EDNS echoed only when asked with it; and
# none of them reaches the upstream, while an allowed name does.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

# A negative TTL that is not the default, so the SOA shows it is the
# configured one.
cat >"$tmp/dnsgate.conf" <<'CONF'
[cache]
negative_ttl = 45
CONF

start_upstream up "$srcdir/tests/integration/data/basic.testns"
start_dnsgate -c "$tmp/dnsgate.conf" --upstream "127.0.0.1:$up_port" \
	--allow '*.example.com'

# 50 characters of base32: the shape of a secret smuggled in a label.
tunnel=mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpiytemzug4.example.com
sp='[[:space:]]+'
soa="^\.${sp}45${sp}IN${sp}SOA${sp}dnsgate\.invalid\.${sp}hostmaster\.invalid\.${sp}1${sp}3600${sp}600${sp}86400${sp}45\$"

for name in evil.example a.b.example.com example.com.evil.example "$tunnel"; do
	re=${name//./\\.}
	out=$(q "$name" A)
	like "$out" "status: NXDOMAIN" "$name: NXDOMAIN"
	like "$out" "QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1" "$name: one SOA, and the OPT"
	like "$out" "^;$re\.${sp}IN${sp}A\$" "$name: the question is echoed"
	like "$out" "$soa" "$name: synthesized SOA with the negative TTL (45)"
	like "$out" "^; EDNS: version: 0" "$name: EDNS echoed to an EDNS query"

	out=$(q +noedns "$name" A)
	like "$out" "status: NXDOMAIN" "$name +noedns: NXDOMAIN"
	like "$out" "QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 0" "$name +noedns: no OPT record"
	if printf '%s\n' "$out" | grep -q "EDNS:"; then
		ok 1 "$name +noedns: no EDNS in the answer"
	else
		ok 0 "$name +noedns: no EDNS in the answer"
	fi
done

# Over TCP the denial is the same.
out=$(q +tcp evil.example AAAA)
like "$out" "status: NXDOMAIN" "over TCP: NXDOMAIN too"
like "$out" "$soa" "over TCP: with the SOA"

# A denied type on an allowed name: NOERROR, no data, the SOA.
out=$(q www.example.com TXT)
like "$out" "status: NOERROR" "denied type on an allowed name: NOERROR"
like "$out" "ANSWER: 0, AUTHORITY: 1" "denied type on an allowed name: no data, an SOA"

# The allowed name last: the upstream answers in order, so once it has
# answered this one, any denied query forwarded before would be in its log.
out=$(q www.example.com A)
like "$out" "192\.0\.2\.10" "an allowed name is answered"

is "$(upstream_count up www.example.com.)" 1 "the allowed name reached the upstream once"
for name in evil.example. a.b.example.com. example.com.evil.example. "$tunnel."; do
	is "$(upstream_count up "$name")" 0 "$name never reached the upstream"
done
is "$(upstream_count_type up www.example.com. TXT)" 0 "the denied type never reached the upstream"
is "$(grep -c '^query [0-9]*:' "$tmp/up.log")" 1 "the upstream saw one query in all"

check_alive_and_stop
done_testing
