#!/usr/bin/env bash
# t_tcp_fallback: an upstream UDP answer with TC set is retried over TCP to
# the same upstream (RFC 7766 5); the client, over UDP, gets the whole
# answer.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/tcp_fallback.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow '*.example.com'

sp='[[:space:]]+'
out=$(q +ignore tc.example.com A)
like "$out" "status: NOERROR" "NOERROR"
like "$out" "flags: qr rd ra;" "the client's answer is not truncated"
like "$out" "ANSWER: 3," "three records"
for i in 31 32 33; do
	like "$out" "^tc\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.$i\$" "the record 192.0.2.$i from the TCP answer"
done
is "$(upstream_transports up tc.example.com. A)" "UDP TCP" "the upstream saw a UDP query, then a TCP one"

# The whole answer was cached: no more upstream queries.
out=$(q +ignore tc.example.com A)
like "$out" "ANSWER: 3," "asked again: the three records"
is "$(upstream_count up tc.example.com.)" 2 "from the cache"

check_alive_and_stop
done_testing
