#!/usr/bin/env bash
# t_failover: upstreams are tried in order. A first upstream that does not
# answer within timeout_ms is given up for the second; a first upstream
# whose port is closed (ICMP port unreachable) is given up at once.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

sp='[[:space:]]+'
start_upstream up1 "$srcdir/tests/integration/data/failover1.testns"
start_upstream up2 "$srcdir/tests/integration/data/failover2.testns"

# Part 1: the first upstream sleeps 3 s, the timeout is 300 ms.
cat >"$tmp/slow.conf" <<'CONF'
[upstream]
timeout_ms = 300
CONF
start_dnsgate -c "$tmp/slow.conf" --upstream "127.0.0.1:$up1_port" \
	--upstream "127.0.0.1:$up2_port" --allow '*.example.com'

t0=$(now_ms)
out=$(q "$(dig_time 5)" slow.example.com A)
elapsed=$(($(now_ms) - t0))
like "$out" "^slow\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.2\$" "a slow first upstream: the answer comes from the second"
limit=$(scaled_ms 2500 2900) # the first answers after 3 s
if [ "$elapsed" -lt "$limit" ]; then
	ok 0 "and before the first would have answered (${elapsed} ms < $limit)"
else
	ok 1 "and before the first would have answered (${elapsed} ms < $limit)"
fi
is "$(upstream_count up1 slow.example.com.)" 1 "the first upstream was asked"
is "$(upstream_count up2 slow.example.com.)" 1 "then the second"
check_alive_and_stop

# Part 2: nothing listens on the first upstream's port. The timeout is long,
# so an answer well within it shows the refusal was taken at once.
dead_port=$(free_port) || exit 99
cat >"$tmp/dead.conf" <<'CONF'
[upstream]
timeout_ms = 3000
CONF
start_dnsgate -c "$tmp/dead.conf" --upstream "127.0.0.1:$dead_port" \
	--upstream "127.0.0.1:$up2_port" --allow '*.example.com'

t0=$(now_ms)
out=$(q "$(dig_time 6)" www.example.com A)
elapsed=$(($(now_ms) - t0))
like "$out" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.2\$" "a closed first upstream: the answer comes from the second"
limit=$(scaled_ms 1500 2900)
if [ "$elapsed" -lt "$limit" ]; then
	ok 0 "without waiting out the 3000 ms timeout (${elapsed} ms < $limit)"
else
	ok 1 "without waiting out the 3000 ms timeout (${elapsed} ms < $limit)"
fi
is "$(upstream_count up2 www.example.com.)" 1 "the second upstream was asked once"

check_alive_and_stop
done_testing
