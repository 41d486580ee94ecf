#!/usr/bin/env bash
# t_servfail: when every upstream fails (each answers SERVFAIL or REFUSED,
# or each is too slow) the client gets SERVFAIL, with its question, within
# a bounded time; and the daemon answers normally afterwards.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up1 "$srcdir/tests/integration/data/servfail1.testns"
start_upstream up2 "$srcdir/tests/integration/data/servfail2.testns"
cat >"$tmp/dnsgate.conf" <<'CONF'
[upstream]
timeout_ms = 1000
CONF
start_dnsgate -c "$tmp/dnsgate.conf" --upstream "127.0.0.1:$up1_port" \
	--upstream "127.0.0.1:$up2_port" --allow '*.example.com'

sp='[[:space:]]+'
elapsed_ok() { # elapsed_ok MS LIMIT MESSAGE
	if [ "$1" -lt "$2" ]; then
		ok 0 "$3 (${1} ms < $2)"
	else
		ok 1 "$3 (${1} ms < $2)"
	fi
}

# Both upstreams answer SERVFAIL; then REFUSED and SERVFAIL; then both
# REFUSED. Each answer is a failure of that upstream: on to the next.
for name in bad mixed refused; do
	t0=$(now_ms)
	out=$(q "$(dig_time 5)" "$name.example.com" A)
	elapsed=$(($(now_ms) - t0))
	like "$out" "status: SERVFAIL" "$name.example.com: SERVFAIL"
	like "$out" "^;$name\.example\.com\.${sp}IN${sp}A\$" "$name.example.com: the question is echoed"
	elapsed_ok "$elapsed" "$(scaled_ms 900 990)" "$name.example.com: at once, not after a 1000 ms timeout"
	is "$(upstream_count up1 "$name.example.com.")" 1 "$name.example.com: the first upstream was asked"
	is "$(upstream_count up2 "$name.example.com.")" 1 "$name.example.com: then the second"
done

# Over TCP too.
out=$(q +tcp "$(dig_time 5)" bad.example.com A)
like "$out" "status: SERVFAIL" "over TCP: SERVFAIL"

# Both upstreams sleep 3 s on this name; 1000 ms each, then SERVFAIL, to
# every client waiting on the fetch (two over UDP, one over TCP).
q "$(dig_time 5)" slow.example.com A >"$tmp/slow2.out" 2>&1 &
c2=$!
q "$(dig_time 5)" +tcp slow.example.com A >"$tmp/slow3.out" 2>&1 &
c3=$!
t0=$(now_ms)
out=$(q "$(dig_time 5)" slow.example.com A)
elapsed=$(($(now_ms) - t0))
wait "$c2" "$c3" # bounded by dig's +time
like "$out" "status: SERVFAIL" "every upstream too slow: SERVFAIL"
elapsed_ok "$elapsed" 2900 "every upstream too slow: before either answers"
like "$(cat "$tmp/slow2.out")" "status: SERVFAIL" "every upstream too slow: a second UDP client waiting too gets SERVFAIL"
like "$(cat "$tmp/slow3.out")" "status: SERVFAIL" "every upstream too slow: a TCP client waiting too gets SERVFAIL"
is "$(upstream_count up1 slow.example.com.)" 1 "slow: the first upstream was asked"
is "$(upstream_count up2 slow.example.com.)" 1 "slow: then the second"

# ldns-testns serves one query at a time: wait (bounded) until both have
# woken and sent their late answers, then ask something new.
wait_until 6 upstream_idle up1
wait_until 6 upstream_idle up2
out=$(q "$(dig_time 5)" www.example.com A)
like "$out" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.11\$" "afterwards: a new name is answered by the first upstream"

check_alive_and_stop
done_testing
