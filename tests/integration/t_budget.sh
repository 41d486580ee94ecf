#!/usr/bin/env bash
# t_budget: the new-name budget. One client floods 500 unique names under
# an allowed wildcard: at most the budget reaches the upstream (counted in
# the upstream's own log), the rest are denied with reason "budget"; names
# already seen keep resolving; a second client is unaffected.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

budget=20
start_upstream up "$srcdir/tests/integration/data/flood.testns"
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.flood.example.com
new_names_per_minute = $budget
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

for i in $(seq 1 500); do echo "x$i.flood.example.com A"; done >"$tmp/flood.txt"
t0=$(date +%s)
"$DIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 3)" +tries=1 -f "$tmp/flood.txt" >"$tmp/flood.out" 2>&1
elapsed=$(( $(date +%s) - t0 + 1 ))
# The upstream has logged, and answered, every query it got.
wait_until 2 upstream_idle up
reached=$(grep -c "^query [0-9]*: .*x[0-9]*\.flood\.example\.com\." "$tmp/up.log")
# A bucket of 20 plus one token every 3 s of the flood.
max=$((budget + elapsed * budget / 60 + 1))
[ "$reached" -ge "$budget" ] && [ "$reached" -le "$max" ]
ok $? "500 new names from one client: $reached reached the upstream (budget $budget, at most $max in ${elapsed}s)"
answered=$(grep -c 'status: NOERROR' "$tmp/flood.out")
[ "$answered" -le "$reached" ] && [ "$answered" -ge "$budget" ]
status=$?
if [ "$status" != 0 ]; then
	# Name what was answered without reaching the upstream, and whether
	# this dnsgate answered it: a leak in the budget, an upstream log
	# lagging, or another daemon on the port (tests/common.sh).
	wait_until 1 upstream_idle up
	awk '/status: NOERROR/ { ok = 1 } /^;x[0-9]+\./ { if (ok) print substr($1, 2); ok = 0 }' \
		"$tmp/flood.out" | while read -r name; do
		grep -qF "bytes: $name" "$tmp/up.log" ||
			echo "# answered, not in the upstream log: $name;" \
				"this dnsgate logged it $(grep -c "\"name\":\"${name%.}\"" "$tmp/dnsgate.log") times"
	done
	echo "# the upstream log now holds $(grep -c '^query [0-9]*: .*x[0-9]*\.flood\.example\.com\.' "$tmp/up.log")"
fi
ok "$status" "only those were answered ($answered)"
denied=$(grep -c 'status: NXDOMAIN' "$tmp/flood.out")
[ "$((denied + reached))" -ge 495 ] && [ "$((denied + reached))" -le 500 ]
ok $? "the other $denied were denied (a loaded machine may lose a reply or two)"
like "$(grep '"reason":"budget"' "$tmp/dnsgate.log" | head -n 1)" '"name":"x[0-9]+\.flood\.example\.com".*"entry":"\*\.flood\.example\.com depth=1"' \
	"the query log names the reason (budget) and the entry"

# Names this client asked before still resolve, budget or not.
first=$(grep -B20 'status: NOERROR' "$tmp/flood.out" | sed -n 's/^;\(x[0-9]*\.flood\.example\.com\)\..*/\1/p' | head -n 5)
seen_ok=0
for name in $first; do
	q "$name" A | grep -q "status: NOERROR" && seen_ok=$((seen_ok + 1))
done
is "$seen_ok" 5 "5 names seen before the budget ran out still resolve"

# A second client (another loopback address) has its own budget.
other_ok=0
for i in $(seq 1 10); do
	"$DIG" @127.0.0.1 -p "$DG_PORT" -b 127.0.0.2 "$(dig_time 2)" +tries=1 "y$i.flood.example.com" A | grep -q "status: NOERROR" &&
		other_ok=$((other_ok + 1))
done
is "$other_ok" 10 "a second client gets its 10 new names"

# Repeats of a seen name whose answer is never cached (TTL 0) would reach
# the upstream every time; they draw on the refetch budget (4 × 20).
for i in $(seq 1 300); do echo "ttl0.flood.example.com A"; done >"$tmp/ttl0.txt"
t0=$(date +%s)
"$DIG" @127.0.0.1 -p "$DG_PORT" -b 127.0.0.3 "$(dig_time 3)" +tries=1 -f "$tmp/ttl0.txt" >"$tmp/ttl0.out" 2>&1
elapsed=$(( $(date +%s) - t0 + 1 ))
wait_until 2 upstream_idle up
reached=$(grep -c "^query [0-9]*: .*ttl0\.flood\.example\.com\." "$tmp/up.log")
max=$((1 + 4 * budget + elapsed * 4 * budget / 60 + 1))
[ "$reached" -ge $((4 * budget)) ] && [ "$reached" -le "$max" ]
ok $? "300 repeats of a TTL-0 name: $reached reached the upstream (refetch budget $((4 * budget)), at most $max)"

# The same for the entry's own name, in two types: its repeats pay too.
for i in $(seq 1 150); do echo "flood.example.com A"; echo "flood.example.com AAAA"; done >"$tmp/apex.txt"
t0=$(date +%s)
"$DIG" @127.0.0.1 -p "$DG_PORT" -b 127.0.0.4 "$(dig_time 3)" +tries=1 -f "$tmp/apex.txt" >"$tmp/apex.out" 2>&1
elapsed=$(( $(date +%s) - t0 + 1 ))
wait_until 2 upstream_idle up
reached=$(grep -c "^query [0-9]*: .* bytes: flood\.example\.com\." "$tmp/up.log")
max=$((4 * budget + elapsed * 4 * budget / 60 + 1))
[ "$reached" -ge $((4 * budget)) ] && [ "$reached" -le "$max" ]
ok $? "300 repeats of the apex in A and AAAA: $reached reached the upstream (at most $max)"

check_alive_and_stop
done_testing
