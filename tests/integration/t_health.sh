#!/usr/bin/env bash
# t_health: the probes on the metrics listener. GET /healthz answers 200
# while the event loops run (two workers here) and not at all from a
# stopped process, and again once it continues; the upstream plays no part
# in it. No probe goes out before GET /ready is asked; then it turns 200
# with no client query at all (asking sends the health probe, ". NS",
# whose answer counts), 503 with its reason within [metrics] ready_window
# once the upstream is gone, and 200 again when it is back. While /ready
# is asked, clients' answers spare the upstream the probe. Other paths
# still get 404. HTTP through bash's /dev/tcp: curl is not installed
# everywhere the tests run.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" timeout

data=$srcdir/tests/integration/data/health.testns
window=6
start_upstream up "$data"
mport=$(free_port) || exit 99
cat >"$tmp/dnsgate.conf" <<EOC
[server]
workers = 2
[upstream]
servers = 127.0.0.1:$up_port
timeout_ms = 300
[policy]
allow = www.example.com
[cache]
max_entries = 0
[metrics]
listen = 127.0.0.1:$mport
ready_window = $window
EOC

get() { # get PATH: http_get on the metrics listener
	http_get "$mport" "$1"
}
# is_get PATH WANT: get's output is WANT (with wait_until).
is_get() {
	[ "$(get "$1")" = "$2" ]
}
probes() { # the probes the upstream received
	upstream_count_type up . NS
}
# forget PID: a process this test stopped and reaped leaves pids, so
# that the cleanup never signals another process given its number.
forget() {
	local p keep=()
	for p in "${pids[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

start_dnsgate -c "$tmp/dnsgate.conf"
is "$(get /healthz)" "200 ok" "/healthz: 200 ok while the loops run"

# No client asks anything: the probe alone makes dnsgate ready, at once
# (the first GET /ready sends it), well within a second times time_scale.
# Nothing was probed before anyone asked.
is "$(probes)" 0 "no probe before /ready is asked"
wait_until 1 is_get /ready "200 ok"
ok $? "/ready turns 200 with no client query: $(get /ready)"
[ "$(probes)" -ge 1 ]
ok $? "the upstream got the probe (. NS): $(probes)"
is "$(grep -c '^query [0-9]*:' "$tmp/up.log")" "$(probes)" \
	"and nothing but the probe"
get /metrics >"$tmp/m1.txt"
like "$(grep -E '^dnsgate_(ready|upstream_probes_total|upstream_last_answer_seconds) ' "$tmp/m1.txt")" \
	'^dnsgate_ready 1
dnsgate_upstream_probes_total [1-9][0-9]*
dnsgate_upstream_last_answer_seconds [0-9]+\.[0-9]{3}$' \
	"/metrics shows ready, the probes and the last answer's age"

# While clients' queries are answered (no cache: each one goes
# upstream), no probe though /ready is asked: a query every 0.5 s for
# twice the half window after which an idle dnsgate would probe. The
# other worker's answers reach the first one's count within a publication
# (1 s): counted after that.
q www.example.com A >/dev/null
sleep 1.5
before=$(probes)
for _ in $(seq $((2 * window))); do
	q www.example.com A >/dev/null
	get /ready >/dev/null
	sleep 0.5
done
is "$(probes)" "$before" "a client's answers spare the upstream the probe"

# The upstream goes: /ready says so within the window (plus a tick and a
# probe's timeout), /healthz does not care.
kill "$up_pid"
wait "$up_pid" 2>/dev/null
forget "$up_pid"
t0=$(now_ms)
wait_until $((window + 2)) is_get /ready "503 no upstream answered in the last $window s"
ok $? "the upstream gone: /ready 503 with its reason: $(get /ready)"
took=$(( $(now_ms) - t0 ))
[ "$took" -lt "$(scaled_ms $(( (window + 2) * 1000 )))" ]
ok $? "within the window and a second or two ($took ms)"
is "$(get /healthz)" "200 ok" "/healthz stays 200 without an upstream"
like "$(get /metrics | grep '^dnsgate_ready ')" '^dnsgate_ready 0$' "/metrics: dnsgate_ready 0"

# Back on the same port (this test's claim): the next probe finds it.
stdbuf -oL "$LDNS_TESTNS" -v -p "$up_port" "$data" >>"$tmp/up.log" 2>&1 &
up_pid=$!
pids+=("$up_pid")
wait_until $((window + 2)) is_get /ready "200 ok"
ok $? "the upstream back: /ready 200 again: $(get /ready)"

# A stopped process answers nothing: the kubelet's probe times out.
kill -STOP "$DG_PID"
is "$(get /healthz)" timeout "SIGSTOP: /healthz gets no answer"
kill -CONT "$DG_PID"
wait_until 3 is_get /healthz "200 ok"
ok $? "SIGCONT: /healthz 200 again: $(get /healthz)"

like "$(get /nope)" '^404 ' "another path: still 404"
like "$(get /healthz/x)" '^404 ' "a path that only starts like a probe: 404"
wait_until 3 is_get '/ready?verbose=1' "200 ok"
ok $? "a query string is fine (and the probe found the upstream again after the stop)"
check_alive_and_stop
done_testing
