#!/usr/bin/env bash
# t_scrub: the answer policy against a hostile upstream. Private, loopback,
# link-local, CGNAT, metadata, ULA and IPv4-mapped addresses are removed
# (rebinding protection) unless the entry says private=allow; private
# HTTPS hints are removed and the record kept; records off the question's
# chain are removed; with cname = strict a chain leaving the allowlist is
# denied (reason cname) and with cname = pass it is answered.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/hostile.testns"
conf() { # conf CNAME_MODE
	cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.example.com, intranet.example.com private=allow
default_types = A, AAAA, CNAME, HTTPS, SVCB
cname = $1
EOC
}
conf strict
start_dnsgate -c "$tmp/dnsgate.conf"

out=$(q rebind.example.com A)
like "$out" "ANSWER: 1," "rebinding A answer: one record left of five"
like "$out" "IN[[:space:]]+A[[:space:]]+192\.0\.2\.7" "the public address"
echo "$out" | grep -Eq "IN[[:space:]]+A[[:space:]]+(127\.0\.0\.1|10\.0\.0\.5|169\.254\.169\.254|100\.64\.0\.1)"
is "$?" 1 "127.0.0.1, 10.0.0.5, 169.254.169.254 and 100.64.0.1 are gone"

out=$(q rebind.example.com AAAA)
like "$out" "ANSWER: 1," "rebinding AAAA answer: one record left of seven"
like "$out" "2001:db8::7" "the public address"
echo "$out" | grep -Eq "IN[[:space:]]+AAAA[[:space:]]+(::ffff|fd00|2002:|2001:0:)"
is "$?" 1 "::ffff:10.0.0.1, fd00::1, fd00:ec2::254 and 10.0.0.1 or 169.254.169.254 inside 6to4, Teredo and SIIT are gone"

out=$(q inside.example.com A)
like "$out" "status: NOERROR" "only private addresses: NOERROR"
like "$out" "ANSWER: 0," "with no data"

out=$(q intranet.example.com A)
like "$out" "IN[[:space:]]+A[[:space:]]+10\.0\.0\.5" "private=allow keeps 10.0.0.5 for its entry"

out=$(q svc.example.com HTTPS)
like "$out" "IN[[:space:]]+HTTPS[[:space:]]+1 \. alpn=\"?h2\"? ipv6hint=2001:db8::1" "HTTPS: the private ipv4hint is removed, alpn and the public ipv6hint kept"
echo "$out" | grep -q "ipv4hint"
is "$?" 1 "no ipv4hint left"

out=$(q in.example.com A)
like "$out" "ANSWER: 2," "a chain inside the allowlist: CNAME and address"
echo "$out" | grep -q "unrelated"
is "$?" 1 "a record off the chain is removed"

out=$(q out.example.com A)
like "$out" "status: NXDOMAIN" "strict: a chain to target.evil.example is denied"
echo "$out" | grep -q "192\.0\.2\.5"
is "$?" 1 "and nothing of it is sent"
like "$(grep '"name":"out.example.com"' "$tmp/dnsgate.log")" '"reason":"cname"' "the query log says reason cname"
check_alive_and_stop

conf pass
start_dnsgate -c "$tmp/dnsgate.conf"
out=$(q out.example.com A)
like "$out" "out\.example\.com\..*CNAME[[:space:]]+target\.evil\.example\." "pass: the same chain is answered"
like "$out" "192\.0\.2\.5" "to its end"

check_alive_and_stop
done_testing
