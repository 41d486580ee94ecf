#!/usr/bin/env bash
# t_workers: [server] workers = 2. Two event loops on two threads, each
# with its own sockets on the same port (SO_REUSEPORT); every query is
# answered whichever worker takes it; a client that asks from fresh source
# ports (as dig does) still meets one worker, so its tunnel budget is the
# configured one and not one per worker; the metrics add both workers up;
# a reload and SIGTERM reach both.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" curl ss

budget=20
start_upstream up "$srcdir/tests/integration/data/flood.testns"
mport=$(free_port) || exit 99
cat >"$tmp/dnsgate.conf" <<EOC
[server]
workers = 2
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.flood.example.com
new_names_per_minute = $budget
[metrics]
listen = 127.0.0.1:$mport
EOC
start_dnsgate -c "$tmp/dnsgate.conf"
like "$(cat "$tmp/dnsgate.log")" "2 workers" "dnsgate says it runs 2 workers"
is "$(ss -Hlnu "sport = :$DG_PORT" | wc -l)" 2 "two UDP sockets share the port"
is "$(ss -Hlnt "sport = :$DG_PORT" | wc -l)" 2 "two TCP listeners share the port"

# Eight clients, over UDP and TCP: every query answered.
answered=0
for c in 1 2 3 4 5 6 7 8; do
	for i in 1 2 3 4 5; do
		"$DIG" @127.0.0.1 -p "$DG_PORT" -b "127.0.0.$c" "$(dig_time 2)" +tries=1 "n$c-$i.denied.example" A |
			grep -q "status: NXDOMAIN" && answered=$((answered + 1))
	done
	"$DIG" @127.0.0.1 -p "$DG_PORT" -b "127.0.0.$c" +tcp "$(dig_time 2)" +tries=1 "t$c.denied.example" A |
		grep -q "status: NXDOMAIN" && answered=$((answered + 1))
done
is "$answered" 48 "48 queries from 8 clients over UDP and TCP, all denied"

# One client, 200 new names, each from a fresh source port.
for i in $(seq 1 200); do echo "w$i.flood.example.com A"; done >"$tmp/flood.txt"
t0=$(date +%s)
"$DIG" @127.0.0.1 -p "$DG_PORT" -b 127.0.0.9 "$(dig_time 3)" +tries=1 -f "$tmp/flood.txt" >"$tmp/flood.out" 2>&1
elapsed=$(( $(date +%s) - t0 + 1 ))
# The upstream has logged, and answered, every query it got.
wait_until 2 upstream_idle up
reached=$(grep -c "^query [0-9]*: .*w[0-9]*\.flood\.example\.com\." "$tmp/up.log")
max=$((budget + elapsed * budget / 60 + 1))
[ "$reached" -ge "$budget" ] && [ "$reached" -le "$max" ]
ok $? "200 new names from fresh ports of one client: $reached reached the upstream (budget $budget, at most $max; not one budget per worker)"

# The metrics count both workers (the second publishes every second).
metric() {
	curl -s --max-time 2 "http://127.0.0.1:$mport/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
wait_until 3 test "$(metric 'dnsgate_queries_total{verdict="deny",reason="not-listed"}')" = 48
is "$(metric 'dnsgate_queries_total{verdict="deny",reason="not-listed"}')" 48 "the metrics count the 48 denials of both workers"
# Each worker publishes its figures every second: wait for both.
allowed=$(grep -c 'status: NOERROR' "$tmp/flood.out")
wait_until 3 test "$(metric 'dnsgate_queries_total{verdict="allow",reason="none"}')" = "$allowed"
is "$(metric 'dnsgate_queries_total{verdict="allow",reason="none"}')" "$allowed" \
	"the metrics count the allowed ones"

# A reload reaches both workers: the wildcard goes, and no client finds it.
# (Also a restart-only key: said once, not once per worker.)
sed -i -e 's/^allow = .*/allow = only.example.net/' \
	-e 's/^workers = 2$/workers = 2\ntcp_idle_timeout_ms = 5000/' "$tmp/dnsgate.conf"
kill -HUP "$DG_PID"
wait_until 5 log_has "$tmp/dnsgate.log" "reloaded" 1
is "$(grep -cF '[server] tcp_idle_timeout_ms changed; it takes effect at the next start' "$tmp/dnsgate.log")" 1 \
	"a restart-only change is reported once, not once per worker"
denied=0
for c in 1 2 3 4 5 6 7 8; do
	"$DIG" @127.0.0.1 -p "$DG_PORT" -b "127.0.0.$c" "$(dig_time 2)" +tries=1 "w1.flood.example.com" A |
		grep -q "status: NXDOMAIN" && denied=$((denied + 1))
done
is "$denied" 8 "after the reload, the removed wildcard is denied to all 8 clients"
wait_until 3 test "$(metric dnsgate_reloads_total)" = 1
is "$(metric dnsgate_reloads_total)" 1 "one reload counted, not one per worker"

check_alive_and_stop
done_testing
