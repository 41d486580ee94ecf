#!/usr/bin/env bash
# t_inflight: [upstream] max_inflight bounds the distinct fetches in flight;
# past it a query gets SERVFAIL at once instead of queueing. A query for the
# name already in flight joins it and does not count. The bound frees up
# when the fetch ends.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" curl

start_upstream up "$srcdir/tests/integration/data/inflight.testns"
mport=$(free_port) || exit 99
cat >"$tmp/dnsgate.conf" <<CONF
[upstream]
max_inflight = 1
timeout_ms = 4000
[metrics]
listen = 127.0.0.1:$mport
CONF
start_dnsgate -c "$tmp/dnsgate.conf" --upstream "127.0.0.1:$up_port" \
	--allow '*.example.com'

sp='[[:space:]]+'
# The upstream answers slow.example.com after 2 s: one fetch in flight.
t0=$(now_ms)
q "$(dig_time 6)" slow.example.com A >"$tmp/slow1.out" 2>&1 &
c1=$!
wait_until 3 log_has "$tmp/up.log" "bytes: slow\.example\.com\." 1
ok $? "the slow fetch reached the upstream"

# The same name joins the fetch in flight.
q "$(dig_time 6)" slow.example.com A >"$tmp/slow2.out" 2>&1 &
c2=$!

# A second distinct name: past the bound.
t1=$(now_ms)
out=$(q "$(dig_time 5)" other.example.com A)
elapsed=$(($(now_ms) - t1))
like "$out" "status: SERVFAIL" "a second distinct name while one is in flight: SERVFAIL"
like "$out" "^;other\.example\.com\.${sp}IN${sp}A\$" "with its question"
limit=$(scaled_ms 1000 1900) # the upstream answers after 2 s
if [ "$elapsed" -lt "$limit" ]; then
	ok 0 "at once, well before the slow upstream answers (${elapsed} ms < $limit)"
else
	ok 1 "at once, well before the slow upstream answers (${elapsed} ms < $limit)"
fi

wait "$c1" "$c2" # dig's own +time bounds both
slow_ms=$(($(now_ms) - t0))
like "$(cat "$tmp/slow1.out")" "^slow\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.20\$" "the fetch in flight is answered"
like "$(cat "$tmp/slow2.out")" "^slow\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.20\$" "the query that joined it is answered too"
if [ "$slow_ms" -ge 1500 ]; then
	ok 0 "and it took the upstream's time (${slow_ms} ms >= 1500)"
else
	ok 1 "and it took the upstream's time (${slow_ms} ms >= 1500)"
fi
is "$(upstream_count up slow.example.com.)" 1 "one upstream query for the two"
is "$(upstream_count up other.example.com.)" 0 "the query past the bound was not sent"

# Nothing in flight now: the second name resolves (the SERVFAIL was not
# cached).
out=$(q other.example.com A)
like "$out" "^other\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.21\$" "once the fetch ended, the second name is answered"
is "$(upstream_count up other.example.com.)" 1 "and sent upstream"

# Stopping with a fetch in flight, waited on by a UDP and a TCP client:
# the waiters are cancelled, every handle closes, exit 0.
q "$(dig_time 3)" last.example.com A >"$tmp/last1.out" 2>&1 &
c1=$!
q "$(dig_time 3)" +tcp last.example.com A >"$tmp/last2.out" 2>&1 &
c2=$!
wait_until 3 log_has "$tmp/up.log" "bytes: last\.example\.com\." 1
ok $? "a last fetch is in flight"
# The TCP client's query has arrived too: both wait on the one fetch.
waiting() {
	curl -sf "http://127.0.0.1:$mport/metrics" |
		awk '$1 == "dnsgate_queries_waiting" { print $2 }'
}
both_waiting() { [ "$(waiting)" -ge 2 ]; }
wait_until 3 both_waiting
ok $? "the UDP and the TCP client both wait on it ($(waiting) waiting)"
check_alive_and_stop
wait "$c1" "$c2" # dig gives up by itself after 3 s
done_testing
