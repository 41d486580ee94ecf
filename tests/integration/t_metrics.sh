#!/usr/bin/env bash
# t_metrics: [metrics] listen serves the Prometheus text format on
# /metrics. Scraped with curl after known traffic, parsed line by line
# (python3: every sample of a family announced by HELP and TYPE, numbers
# only, histograms cumulative), and the figures checked: verdicts and
# reasons, types, transports, cache hits and misses, SERVFAIL, budget
# exhaustion, upstream queries, answers, timeouts and latency, reloads and
# failed reloads, build info. Other paths, methods and garbage get 404,
# 405 and 400.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3 curl

start_upstream up "$srcdir/tests/integration/data/basic.testns"
mport=$(free_port) || exit 99
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
timeout_ms = 300
[policy]
allow = *.example.com
new_names_per_minute = 2
[metrics]
listen = 127.0.0.1:$mport
EOC
start_dnsgate -c "$tmp/dnsgate.conf"
url=http://127.0.0.1:$mport/metrics

q www.example.com A >/dev/null              # new name 1, fetched
q www.example.com A >/dev/null              # cached
q +tcp www.example.com A >/dev/null         # cached, over TCP
q www.example.com TXT >/dev/null            # a denied type
q denied.example.org A >/dev/null           # not listed
q silent.example.com A >/dev/null           # new name 2: no upstream answers
q third.example.com A >/dev/null            # new name 3: over the budget

curl -sf "$url" >"$tmp/m1.txt"
ok $? "GET /metrics answers 200"

# check FILE: the exposition format; prints problems, nothing when fine.
check_format() {
	python3 - "$1" <<'PY'
import re, sys
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)?\})? (-?[0-9.e+]+|\+Inf|NaN)$')
help_, type_ = set(), {}
hist = {}
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        help_.add(line.split()[2]); continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split()
        type_[name] = kind; continue
    m = sample.match(line)
    if not m:
        print(f"line {n}: not a sample: {line}"); continue
    name = m.group(1)
    family = re.sub(r'_(bucket|sum|count)$', '', name) if name not in type_ else name
    if family not in type_ or family not in help_:
        print(f"line {n}: {name} has no HELP or TYPE before it")
    if name.endswith("_bucket"):
        labels = m.group(3)
        key = re.sub(r',?le="[^"]*"', '', labels)
        le = re.search(r'le="([^"]*)"', labels).group(1)
        hist.setdefault(key, []).append((le, float(m.group(5))))
for key, buckets in hist.items():
    values = [v for _, v in buckets]
    if values != sorted(values) or buckets[-1][0] != "+Inf":
        print(f"histogram {key}: not cumulative or no +Inf: {buckets}")
PY
}
# value FILE NAME{LABELS}: one sample's value.
value() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

is "$(check_format "$tmp/m1.txt")" "" "the exposition format holds: HELP and TYPE, numbers, cumulative buckets"
m1=$tmp/m1.txt
is "$(value "$m1" 'dnsgate_queries_total{verdict="allow",reason="none"}')" 4 \
	"allowed: 3 answers and 1 SERVFAIL"
is "$(value "$m1" 'dnsgate_queries_total{verdict="deny",reason="qtype"}')" 1 "denied for its type: 1"
is "$(value "$m1" 'dnsgate_queries_total{verdict="deny",reason="not-listed"}')" 1 "denied, not listed: 1"
is "$(value "$m1" 'dnsgate_queries_total{verdict="deny",reason="budget"}')" 1 "denied, over budget: 1"
is "$(value "$m1" 'dnsgate_budget_exhausted_total')" 1 "the budget was exhausted once"
is "$(value "$m1" 'dnsgate_queries_by_type_total{type="A"}') $(value "$m1" 'dnsgate_queries_by_type_total{type="TXT"}')" "6 1" \
	"by type: 6 A, 1 TXT"
is "$(value "$m1" 'dnsgate_queries_by_proto_total{proto="udp"}') $(value "$m1" 'dnsgate_queries_by_proto_total{proto="tcp"}')" "6 1" \
	"by transport: 6 UDP, 1 TCP"
is "$(value "$m1" 'dnsgate_cache_hits_total') $(value "$m1" 'dnsgate_cache_misses_total')" "2 2" \
	"cache: 2 hits, 2 misses"
is "$(value "$m1" 'dnsgate_cache_entries')" 1 "one answer cached"
is "$(value "$m1" 'dnsgate_servfail_total')" 1 "one SERVFAIL"
u="upstream=\"127.0.0.1:$up_port\""
is "$(value "$m1" "dnsgate_upstream_queries_total{$u}")" 2 "the upstream was asked twice"
is "$(value "$m1" "dnsgate_upstream_answers_total{$u}")" 1 "answered once"
is "$(value "$m1" "dnsgate_upstream_timeouts_total{$u}")" 1 "and timed out once"
is "$(value "$m1" "dnsgate_upstream_latency_seconds_count{$u}")" 1 "one latency observed"
is "$(value "$m1" "dnsgate_upstream_latency_seconds_bucket{$u,le=\"+Inf\"}")" 1 "in the +Inf bucket too"
is "$(value "$m1" 'dnsgate_upstream_inflight')" 0 "nothing in flight"
like "$(grep '^dnsgate_build_info' "$m1")" '^dnsgate_build_info\{version="[0-9.]+"\} 1$' "build info names the version"

# Reloads, good and bad.
kill -HUP "$DG_PID"
wait_until 3 grep -q "dnsgate: reloaded" "$tmp/dnsgate.log"
printf 'frob = 1\n' >>"$tmp/dnsgate.conf"
kill -HUP "$DG_PID"
wait_until 3 grep -q "still serving the previous one" "$tmp/dnsgate.log"
curl -sf "$url" >"$tmp/m2.txt"
is "$(value "$tmp/m2.txt" 'dnsgate_reloads_total') $(value "$tmp/m2.txt" 'dnsgate_reload_failures_total')" "1 1" \
	"one reload, one refused"
is "$(value "$tmp/m2.txt" 'dnsgate_cache_entries')" 0 "the reload emptied the cache"

# Anything but GET /metrics.
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/")" 404 "another path: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")" 405 "another method: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' "$url?name[]=x")" 200 "a query string is fine"
reply=$(exec 3<>"/dev/tcp/127.0.0.1/$mport"; printf 'garbage\r\n\r\n' >&3; timeout $((2 * time_scale)) head -n 1 <&3)
like "$reply" '^HTTP/1\.1 400 ' "a request line that is not HTTP: 400"
reply=$(exec 3<>"/dev/tcp/127.0.0.1/$mport"; head -c 5000 /dev/zero | tr '\0' 'a' >&3; timeout $((2 * time_scale)) head -n 1 <&3)
like "$reply" '^HTTP/1\.1 431 ' "a head over 4 KiB: 431"

# 100 connections that send one byte and wait (the cap is 64): the idlest
# give way, so a scraper still gets its answer at once, not after their
# 5 s timeout.
cat >"$tmp/hold.py" <<'PY'
import socket, sys, time
held = []
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.send(b"G")
    held.append(s)
sys.stdout.write("holding\n")
sys.stdout.flush()
time.sleep(8)
PY
python3 "$tmp/hold.py" "$mport" >"$tmp/hold.out" &
hold_pid=$!
pids+=("$hold_pid")
wait_until 5 grep -q holding "$tmp/hold.out"
t0=$(now_ms)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time $((3 * time_scale)) "$url")
took=$(( $(now_ms) - t0 ))
is "$code" 200 "100 one-byte connections held open: a scrape still gets 200"
[ "$took" -lt "$(scaled_ms 2000 4900)" ] # their timeout: 5 s
ok $? "at once ($took ms), not after their timeout"
kill "$hold_pid" 2>/dev/null
wait "$hold_pid" 2>/dev/null
check_alive_and_stop
done_testing
