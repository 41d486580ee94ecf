#!/usr/bin/env bash
# t_mismatch: an upstream answer that does not match the query (wrong ID;
# right ID but another question: another name or another type) is dropped
# and the wait goes on: the next upstream answers, or, with no other,
# SERVFAIL once the timeout is out. A mismatched packet followed by the
# right answer from the same upstream: the right answer is taken.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream bad "$srcdir/tests/integration/data/mismatch_bad.testns"
start_upstream good "$srcdir/tests/integration/data/mismatch_good.testns"
cat >"$tmp/dnsgate.conf" <<'CONF'
[upstream]
timeout_ms = 600
CONF

sp='[[:space:]]+'
cases=(wrongid.example.com x.wrongq.example.com wrongtype.example.com)
what=("wrong ID" "another name in the question" "another type in the question")

# Part 1: the bad upstream first, then a good one.
start_dnsgate -c "$tmp/dnsgate.conf" --upstream "127.0.0.1:$bad_port" \
	--upstream "127.0.0.1:$good_port" --allow 'example.com depth=2'
for i in 0 1 2; do
	name=${cases[$i]}
	re=${name//./\\.}
	out=$(q "$(dig_time 5)" "$name" A)
	like "$out" "^$re\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.1\$" "${what[$i]}: ignored, the second upstream's answer is used"
	if printf '%s\n' "$out" | grep -q "192\.0\.2\.66\|2001:db8::66"; then
		ok 1 "${what[$i]}: nothing of the mismatched answer reaches the client"
	else
		ok 0 "${what[$i]}: nothing of the mismatched answer reaches the client"
	fi
	is "$(upstream_count bad "$name.")" 1 "${what[$i]}: the bad upstream was asked first"
	is "$(upstream_count good "$name.")" 1 "${what[$i]}: then the good one"
done

# The bad upstream sends a packet with the wrong question, then the right
# answer: the first is skipped, the second taken.
out=$(q "$(dig_time 5)" late.example.com A)
like "$out" "^late\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.67\$" "a mismatch then the right answer: the right answer is used"
is "$(upstream_count good late.example.com.)" 0 "without asking the next upstream"
check_alive_and_stop

# Part 2: the bad upstream alone. Every answer it sends is dropped, so the
# client gets SERVFAIL only when the 600 ms timeout is out.
start_dnsgate -c "$tmp/dnsgate.conf" --upstream "127.0.0.1:$bad_port" \
	--allow 'example.com depth=2'
for i in 0 1 2; do
	name=${cases[$i]}
	t0=$(now_ms)
	out=$(q "$(dig_time 5)" "$name" A)
	elapsed=$(($(now_ms) - t0))
	like "$out" "status: SERVFAIL" "${what[$i]}, no other upstream: SERVFAIL"
	limit=$(scaled_ms 3000)
	if [ "$elapsed" -ge 500 ] && [ "$elapsed" -lt "$limit" ]; then
		ok 0 "${what[$i]}: after the timeout, not at the mismatch (${elapsed} ms in [500, $limit))"
	else
		ok 1 "${what[$i]}: after the timeout, not at the mismatch (${elapsed} ms in [500, $limit))"
	fi
	is "$(upstream_count bad "$name.")" 2 "${what[$i]}: the bad upstream answered (twice now)"
done

check_alive_and_stop
done_testing
