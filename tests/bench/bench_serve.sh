#!/usr/bin/env bash
# bench_serve: a first look at serving speed (not part of `make check`).
# Starts ldns-testns as the upstream for allowed.test, then dnsgate and
# dnsmasq with the same allowlist (*.allowed.test allowed, NXDOMAIN for the
# rest), and runs dnsperf for SECONDS (default 10) on two paths:
#   deny: 100k distinct names off the list, tunnel-shaped labels included;
#   hit:  100 allowed names, asked once to warm the cache first.
# Servers are pinned to core 0 and dnsperf to core 1. Prints qps and CPU
# microseconds per query (from the server's /proc/PID/stat) per server and
# path, and the ratio dnsgate/dnsmasq. Loopback only, never port 53; every
# process it starts is stopped by PID.
set -u
seconds=${SECONDS_PER_RUN:-${1:-10}}
top=$(cd "$(dirname "$0")/../.." && pwd)
dnsgate=${DNSGATE:-$top/src/dnsgate}
for t in dnsperf dnsmasq ldns-testns taskset dig; do
	command -v $t >/dev/null || { echo "bench_serve: $t is not installed" >&2; exit 2; }
done
tmp=$(mktemp -d) || exit 2
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for i in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

port() { echo $((30000 + RANDOM % 20000)); }
up_port=$(port); dg_port=$(port); dm_port=$(port)

# The upstream: 100 names with an A record each.
for i in $(seq 0 99); do
	cat <<EOT
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA NOERROR
SECTION QUESTION
h$i.allowed.test. IN A
SECTION ANSWER
h$i.allowed.test. 3600 IN A 192.0.2.$((i % 250 + 1))
ENTRY_END
EOT
done >"$tmp/up.testns"
taskset -c 0 ldns-testns -p "$up_port" "$tmp/up.testns" >/dev/null 2>&1 &
pids+=($!)

taskset -c 0 "$dnsgate" --listen "127.0.0.1:$dg_port" --upstream "127.0.0.1:$up_port" \
	--allow '*.allowed.test' --query-log off >"$tmp/dnsgate.log" 2>&1 &
dg_pid=$!; pids+=($dg_pid)
taskset -c 0 dnsmasq -k --no-resolv --no-hosts --no-poll --bind-interfaces \
	--listen-address=127.0.0.1 --port="$dm_port" --cache-size=10000 \
	--server="/allowed.test/127.0.0.1#$up_port" --address=/#/ \
	--pid-file="$tmp/dnsmasq.pid" --user=root --log-facility=- >"$tmp/dnsmasq.log" 2>&1 &
dm_pid=$!; pids+=($dm_pid)

for p in $dg_port $dm_port; do
	for i in $(seq 50); do
		dig @127.0.0.1 -p $p +time=1 +tries=1 warm.example >/dev/null 2>&1 && break
		sleep 0.1
	done
done

# Query files.
awk 'BEGIN { srand(7); a = "abcdefghijklmnopqrstuvwxyz234567";
	for (i = 0; i < 100000; i++) {
		if (i % 3 == 0) { l = ""; for (j = 0; j < 30; j++) l = l substr(a, int(rand() * 32) + 1, 1);
			printf "%s.t%d.allowed.test A\n", l, i }
		else printf "host%d.evil%d.example A\n", i, i % 1000 } }' >"$tmp/deny.txt"
for i in $(seq 0 99); do echo "h$i.allowed.test A"; done >"$tmp/hit.txt"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# run NAME PID PORT FILE: prints "qps us_per_query"
run() {
	local pid=$2 port=$3 file=$4 before after out qps queries
	before=$(cpu_ticks "$pid")
	out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$file" -l "$seconds" -c 4 -q 200 -t 2 2>&1)
	after=$(cpu_ticks "$pid")
	qps=$(echo "$out" | awk '/Queries per second:/ { print $4 }')
	queries=$(echo "$out" | awk '/Queries completed:/ { print $3 }')
	lost=$(echo "$out" | awk '/Queries lost:/ { print $3 }')
	echo "$qps $(awk -v t=$((after - before)) -v hz="$hz" -v q="${queries:-0}" \
		'BEGIN { if (q > 0) printf "%.2f", t / hz * 1e6 / q; else print "nan" }') ${lost:-?}"
}

# Warm the hit path (one query per name through each server).
for p in $dg_port $dm_port; do
	while read -r name type; do dig @127.0.0.1 -p $p +time=1 +tries=1 "$name" "$type" >/dev/null; done <"$tmp/hit.txt"
done

printf '# bench_serve: %s s per run, servers on core 0, dnsperf on core 1\n' "$seconds"
printf '%-6s %-8s %12s %10s %8s\n' path server qps us/query lost
for path in deny hit; do
	read -r g_qps g_cpu g_lost < <(run dnsgate $dg_pid $dg_port "$tmp/$path.txt")
	read -r m_qps m_cpu m_lost < <(run dnsmasq $dm_pid $dm_port "$tmp/$path.txt")
	printf '%-6s %-8s %12s %10s %8s\n' "$path" dnsgate "$g_qps" "$g_cpu" "$g_lost"
	printf '%-6s %-8s %12s %10s %8s\n' "$path" dnsmasq "$m_qps" "$m_cpu" "$m_lost"
	awk -v a="$g_qps" -v b="$m_qps" -v c="$g_cpu" -v d="$m_cpu" -v p="$path" \
		'BEGIN { printf "%-6s ratio    qps dnsgate/dnsmasq %.2f, cpu/query dnsgate/dnsmasq %.2f\n", p, a / b, c / d }'
done
kill -0 $dg_pid && echo "# dnsgate still running after the runs"
