#!/usr/bin/env bash
# t_allowed: an allowed name is answered with the upstream's data, over UDP
# and TCP, by dig, kdig and drill; the question's case comes back as asked;
# an upstream NXDOMAIN comes back as NXDOMAIN with an SOA.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$KDIG" "$DRILL" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/basic.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow '*.example.com'

out=$(q www.example.com A)
like "$out" "status: NOERROR" "dig over UDP: NOERROR"
like "$out" "^www\.example\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10" "dig over UDP: the upstream's address"

out=$(q +tcp www.example.com AAAA)
like "$out" "2001:db8::10" "dig over TCP: the upstream's AAAA"

out=$("$KDIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 2)" +retry=0 www.example.com A)
like "$out" "192\.0\.2\.10" "kdig over UDP gets the answer"
out=$("$KDIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 2)" +retry=0 +tcp www.example.com AAAA)
like "$out" "2001:db8::10" "kdig over TCP gets the answer"

out=$("$DRILL" -p "$DG_PORT" cname.example.com @127.0.0.1 A)
like "$out" "cname\.example\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+www\.example\.com\." "drill gets the CNAME"
like "$out" "www\.example\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10" "and the address it points to"

out=$(q WwW.ExAmPlE.cOm A)
like "$out" "^;WwW\.ExAmPlE\.cOm\.[[:space:]]+IN[[:space:]]+A" "the question comes back in the client's case"
like "$out" "^WwW\.ExAmPlE\.cOm\.[[:space:]].*192\.0\.2\.10" "and so does the answer's owner"

out=$(q missing.example.com A)
like "$out" "status: NXDOMAIN" "an upstream NXDOMAIN is passed on"
like "$out" "IN[[:space:]]+SOA" "with an SOA in authority"

check_alive_and_stop
done_testing
