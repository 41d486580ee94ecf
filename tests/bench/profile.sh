#!/usr/bin/env bash
# profile: instructions per query of dnsgate on the deny, hit and miss
# paths, counted by callgrind (user space only: the kernel's share of a
# datagram is not in it). Counts are repeatable for one binary, whatever
# else the machine does, so two builds compare on this (DNSGATE=...).
#
# dnsgate runs under callgrind, its upstream is ldns-testns; the counters
# are zeroed once the cache is warm and dumped after K queries sent by
# dnsperf at RATE a second, so start-up and warming are not counted.
# Loopback only, never port 53, every process stopped by PID.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dnsgate=${DNSGATE:-$top/src/dnsgate}
k=${PROFILE_QUERIES:-5000}
# shellcheck disable=SC1091
. "$top/tests/common.sh"
tool_setup profile valgrind callgrind_control dnsperf ldns-testns dig

up_port=$(free_port) && dg_port=$(free_port) || exit 2

# The upstream: h0..h999 (the hit path) and m0..m(k-1) (the miss path).
{
	for i in $(seq 0 999); do echo "h$i"; done
	for i in $(seq 0 $((k - 1))); do echo "m$i"; done
} | awk '{ printf "ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\n%s.allowed.test. IN A\nSECTION ANSWER\n%s.allowed.test. 3600 IN A 192.0.2.1\nENTRY_END\n", $1, $1 }' \
	>"$tmp/up.testns"
ldns-testns -p "$up_port" "$tmp/up.testns" >/dev/null 2>&1 &
pids+=($!)

cat >"$tmp/dnsgate.conf" <<EOC
[server]
listen = 127.0.0.1:$dg_port
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.allowed.test
new_names_per_minute = 1000000
new_names_per_minute_total = 1000000
[log]
query_log = off
EOC

awk -v k="$k" 'BEGIN { srand(7); a = "abcdefghijklmnopqrstuvwxyz234567";
	for (i = 0; i < k; i++) {
		if (i % 3 == 0) { l = ""; for (j = 0; j < 30; j++) l = l substr(a, int(rand() * 32) + 1, 1);
			printf "%s.t%d.allowed.test A\n", l, i }
		else printf "host%d.evil%d.example A\n", i, i % 1000 } }' >"$tmp/deny.txt"
for i in $(seq 0 999); do echo "h$i.allowed.test A"; done >"$tmp/hit.txt"
for i in $(seq 0 $((k - 1))); do echo "m$i.allowed.test A"; done >"$tmp/miss.txt"

ready() { dig @127.0.0.1 -p "$dg_port" +time=1 +tries=1 ready.example >/dev/null 2>&1; }

# start TOOL ARGS...: dnsgate under valgrind; sets pid once it answers.
start() {
	valgrind "$@" "$dnsgate" -c "$tmp/dnsgate.conf" >"$tmp/valgrind.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	for i in $(seq 100); do ready && break; sleep 0.2; done
}

# warm PATH: the hit path's names asked twice, at a gentle rate.
warm() {
	[ "$1" = hit ] || return 0
	for i in 1 2; do
		dnsperf -s 127.0.0.1 -p "$dg_port" -d "$tmp/hit.txt" -n 1 -Q 500 >/dev/null 2>&1
	done
}

# send PATH N RATE: N queries of the path's file (looped as needed) at
# RATE a second (0: as fast as 200 outstanding allow); prints how many
# were answered.
send() {
	local path=$1 n=$2 rate=$3 lines limit=()
	lines=$(wc -l <"$tmp/$path.txt")
	[ "$rate" -gt 0 ] && limit=(-Q "$rate")
	dnsperf -s 127.0.0.1 -p "$dg_port" -d "$tmp/$path.txt" -n $(((n + lines - 1) / lines)) \
		"${limit[@]}" -c 4 -q 200 -t 5 2>&1 |
		awk '/Queries completed:/ { print $3 }'
}

stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null; }

# instructions PATH RATE: user-space instructions per answered query. The
# counters are zeroed once dnsgate is up (and the hit path warm), and
# dumped after the queries, so neither start-up nor warming counts.
instructions() {
	local out="$tmp/cg.$1.$2" completed ir
	start --tool=callgrind --callgrind-out-file="$out.%p"
	warm "$1"
	callgrind_control -z "$pid" >/dev/null 2>&1
	completed=$(send "$1" "$k" "$2")
	callgrind_control -d "$pid" >/dev/null 2>&1
	stop
	ir=$(cat "$out".*.1 2>/dev/null | awk '/^(summary|totals):/ { print $2; exit }')
	awk -v ir="${ir:-0}" -v q="${completed:-0}" 'BEGIN { if (q > 0) printf "%.0f", ir / q; else printf "nan" }'
}

# allocations PATH: heap allocations per answered query, from memcheck's
# count at exit, with the queries less without them.
allocations() {
	local with without completed
	start --tool=memcheck --leak-check=no
	warm "$1"
	stop
	without=$(awk '/total heap usage:/ { gsub(",", "", $5); print $5 }' "$tmp/valgrind.log")
	start --tool=memcheck --leak-check=no
	warm "$1"
	completed=$(send "$1" "$k" 1500)
	stop
	with=$(awk '/total heap usage:/ { gsub(",", "", $5); print $5 }' "$tmp/valgrind.log")
	awk -v a="${with:-0}" -v b="${without:-0}" -v q="${completed:-0}" \
		'BEGIN { if (q > 0) { v = (a - b) / q; printf "%.2f", (v < 0.005 && v > -0.005) ? 0 : v } else printf "nan" }'
}

echo "# profile: $dnsgate, $k queries a run; light: 1500/s, full: as fast as"
echo "# 200 outstanding queries allow (datagrams arrive in batches)"
printf '%-5s %14s %14s %12s\n' path "instr/q light" "instr/q full" "allocs/q"
for path in deny hit miss; do
	printf '%-5s %14s %14s %12s\n' "$path" "$(instructions "$path" 1500)" \
		"$(instructions "$path" 0)" "$(allocations "$path")"
done
