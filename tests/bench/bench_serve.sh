#!/usr/bin/env bash
# bench_serve.sh: how fast and how lean dnsgate serves, measured against
# the resolvers it would replace (dnsmasq, unbound) and against the ceiling
# of this machine (echo, a UDP responder that does no DNS work at all).
# Run by `make bench`; not part of `make check`: it prints figures and
# checks targets, and only a failure to measure makes it exit non-zero.
#
# Why it is built this way:
# - One upstream for everyone, nsd, authoritative for allowed.test with a
#   wildcard: every name h1, m123... answers at once and nothing depends on
#   the network, so the miss path measures the servers, not a resolver.
# - The machine has two cores. Core 0 holds only the server under test;
#   dnsperf and nsd share core 1. So a server's CPU per query is its own,
#   and its qps can at most reach what dnsperf on one core sends and
#   receives: that is what echo measures, and why the deny and hit qps
#   targets are relative to echo rather than absolute.
# - dnsperf -c 4 -q 200 (the first draft's): against echo, -c 1..16 and
#   -q 100..500 all gave 123k to 135k qps, so the limit is dnsperf's one
#   thread on core 1, not these settings; no other choice reached more.
# - CPU per query comes from the server's utime+stime in /proc/PID/stat
#   (clock ticks) around the run, divided by the answers dnsperf counted:
#   the cost of an answer, whoever is faster. It includes the kernel's
#   share of receiving and sending, which echo's figure shows alone. It
#   also adds cutime+cstime, once the server has reaped its children:
#   dnsmasq serves each TCP connection in a forked child.
# - The miss path's floor is two exchanges (client and upstream), so its
#   CPU target is relative to echo's one-exchange figure of the same run
#   (2.5 x, from the deny runs). Its allocations per miss are counted as
#   make profile counts them: memcheck's "total heap usage" of a dnsgate
#   that answered 3000 misses at 1500/s less that of one that answered
#   none, over the answers; memcheck would make a full-load run meaningless.
# - TCP: deny and hit again with dnsperf -m tcp, which opens one
#   connection per client (-c 4) and keeps it for the run (it reconnects
#   only with -O num-queries-per-conn), so a run measures pipelined
#   queries, not handshakes. Each server must answer dig +tcp first; a
#   peer that does not, or whose run fails, is left out with a line
#   saying so. echo answers UDP only and is not in these runs.
# - The 1M-entry allowlist's dnsgate runs in the same rounds as the
#   one-entry one, each round one after the other: the noise of this
#   machine (15% between runs minutes apart) would swamp a 10% target
#   if the two were measured in different sections.
# - Workers: two dnsperf from 127.0.0.1 and 127.0.0.2 (dnsgate steers a
#   client address to one worker), nothing pinned. Their own CPU is
#   printed beside dnsgate's, with the rest of the machine's (/proc/stat):
#   on two cores, the clients take CPU a second worker would need, and
#   those shares say how far workers = 2 can go here.
# - Latency: dnsperf 2.10 prints only the mean, and at full load the mean
#   is mostly queueing (outstanding / qps). So a second, short run at a
#   fixed moderate rate prints every answer (-v) and the mean and p99 are
#   computed from those lines, a lost query counted as slower than any
#   answer. The miss path uses a lower rate for it, one that dnsmasq and
#   unbound can also sustain, or their p99 would be their backlog.
# - The deny set keeps the first draft's shape (a third of it tunnel-like,
#   a random 30-character label), but under tunnel.example rather than
#   under allowed.test: dnsmasq and unbound allow every depth below
#   allowed.test and would forward those names to nsd, which makes a deny
#   run a miss run for them.
# - unbound: local-zone "." always_nxdomain is the deny rule, and
#   allowed.test needs its own transparent local-zone or unbound's
#   built-in test. zone (RFC 6761) answers NXDOMAIN before the forward.
# - Processes are stopped by the PID this script started them with (TERM,
#   then KILL) and ports come from free_port in tests/common.sh, so a run
#   next to the test suite touches none of its daemons or ports; every
#   wait is bounded, so a server that hangs ends the run, not the machine.
#
# Environment: DNSGATE, ECHO (binaries), SECONDS_PER_RUN (default 5) and
# BENCH_ROUNDS (default 2; their product at most 12, to stay under 10
# minutes), LAT_QPS (20000), LAT_QPS_MISS (2000), BENCH_CSV
# (bench_serve.csv in the current folder).
set -u

t_start=$(date +%s%N)
seconds=${SECONDS_PER_RUN:-5}
rounds=${BENCH_ROUNDS:-2}
lat_seconds=3
lat_qps=${LAT_QPS:-20000}
lat_qps_miss=${LAT_QPS_MISS:-2000}
csv=${BENCH_CSV:-bench_serve.csv}
alloc_queries=3000
alloc_qps=1500
clients=4
outstanding=200
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dnsgate=${DNSGATE:-$top/src/dnsgate}
echo_bin=${ECHO:-$top/tests/bench/echo}
default_zones=$top/zones/default.zones
PATH=$PATH:/usr/sbin:/sbin

say() { printf '%s\n' "$*"; }
die() {
	say "bench_serve: $*" >&2
	exit 2
}

case $seconds in '' | *[!0-9]*) die "SECONDS_PER_RUN wants whole seconds" ;; esac
case $rounds in 1 | 2 | 3) ;; *) die "BENCH_ROUNDS is 1, 2 or 3" ;; esac
if [ "$seconds" -lt 1 ] || [ "$seconds" -gt 12 ]; then
	die "SECONDS_PER_RUN between 1 and 12 (the whole run must stay under 10 minutes)"
fi
if [ $((seconds * rounds)) -gt 12 ]; then
	die "SECONDS_PER_RUN x BENCH_ROUNDS at most 12 (the whole run must stay under 10 minutes)"
fi
for v in "$lat_qps" "$lat_qps_miss"; do
	case $v in '' | *[!0-9]* | 0) die "LAT_QPS and LAT_QPS_MISS want a number of queries per second" ;; esac
done

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package: $2)"); }
need dnsperf dnsperf
need nsd nsd
need nsd-checkconf nsd
need unbound unbound
need unbound-checkconf unbound
need dnsmasq dnsmasq-base
need taskset util-linux
need dig bind9-dnsutils
need ss iproute2
need timeout coreutils
need getconf libc-bin
if [ ${#missing[@]} -gt 0 ]; then
	for m in "${missing[@]}"; do say "bench_serve: not installed: $m" >&2; done
	die "install the packages above (apt-get install dnsperf nsd unbound dnsmasq-base bind9-dnsutils)"
fi
[ -x "$dnsgate" ] || die "no dnsgate at $dnsgate (build it, or set DNSGATE)"
[ -x "$echo_bin" ] || die "no echo at $echo_bin (make tests/bench/echo, or set ECHO)"
[ -r "$default_zones" ] || die "no $default_zones"
[ "$(nproc)" -ge 2 ] || die "needs 2 cores: the server on core 0, dnsperf and nsd on core 1"

# shellcheck disable=SC1091
. "$top/tests/common.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnsgate-bench.XXXXXX") || exit 2
pids=()
# shellcheck disable=SC2317
cleanup() {
	stop_pids
	release_ports
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

# One binary for the whole run: a rebuild of src/ during it would swap the
# server under test (or remove it) between two sections.
if ! cp "$dnsgate" "$tmp/dnsgate" || ! cp "$echo_bin" "$tmp/echo"; then
	die "cannot copy $dnsgate and $echo_bin to $tmp"
fi
dnsgate_built=$dnsgate
dnsgate=$tmp/dnsgate
echo_bin=$tmp/echo

hz=$(getconf CLK_TCK)
run_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
user=$(id -un)

# launch CORE LOG CMD...: start CMD pinned to CORE (or "any"), PID in $last_pid.
last_pid=
launch() {
	local core=$1 log=$2
	shift 2
	if [ "$core" = any ]; then
		"$@" >"$log" 2>&1 &
	else
		taskset -c "$core" "$@" >"$log" 2>&1 &
	fi
	last_pid=$!
	pids+=("$last_pid")
}

# forget PID: a process that is gone leaves the list stop_pids works on.
forget() {
	local p rest=()
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || rest+=("$p"); done
	pids=("${rest[@]}")
}

# stop_one PID [TENTHS]: TERM, KILL after TENTHS tenths of a second (50),
# and forget it.
stop_one() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq "${2:-50}"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget "$pid"
}

# wait_ready NAME PID PORT LOG [TRIES]: until the server answers anything
# (TRIES probes 0.05 s apart, 60 by default: 3 s and the probes' time).
wait_ready() {
	local name=$1 pid=$2 port=$3 log=$4
	for _ in $(seq "${5:-60}"); do
		kill -0 "$pid" 2>/dev/null || { sed 's/^/  | /' "$log" >&2; die "$name exited at start"; }
		dig @127.0.0.1 -p "$port" +time=1 +tries=1 ready.example A >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	sed 's/^/  | /' "$log" >&2
	die "$name does not answer on 127.0.0.1:$port"
}

rcode_of() { # PORT NAME
	dig @127.0.0.1 -p "$1" +time=2 +tries=1 +noall +comments "$2" A 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}

# check_policy NAME PORT: the allowlist works before anything is measured.
check_policy() {
	local name=$1 port=$2 a rc n
	a=$(dig @127.0.0.1 -p "$port" +time=2 +tries=1 +short h1.allowed.test A 2>/dev/null)
	case $a in *192.0.2.1*) ;; *) die "$name: h1.allowed.test should answer 192.0.2.1 (got: ${a:-nothing})" ;; esac
	for n in denied.example "$tunnel_probe" x.y.allowed.test.evil.example; do
		rc=$(rcode_of "$port" "$n")
		[ "$rc" = NXDOMAIN ] || die "$name: $n should be NXDOMAIN (got: ${rc:-no answer})"
	done
}

# cpu_ticks PID: utime+stime, and cutime+cstime, the children's that PID
# has reaped: dnsmasq serves each TCP connection in a child of its own.
# check_tcp PORT: h1.allowed.test answers 192.0.2.1 and denied.example is
# NXDOMAIN over TCP; else print what came back and return 1.
check_tcp() {
	local a rc
	a=$(dig +tcp @127.0.0.1 -p "$1" +time=2 +tries=1 +short h1.allowed.test A 2>&1)
	case $a in *192.0.2.1*) ;; *) say "h1.allowed.test over TCP: $(printf '%s' "${a:-no answer}" | head -1)"; return 1 ;; esac
	rc=$(dig +tcp @127.0.0.1 -p "$1" +time=2 +tries=1 +noall +comments denied.example A 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	[ "$rc" = NXDOMAIN ] || { say "denied.example over TCP: ${rc:-no answer}"; return 1; }
}

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }'; }

# wait_children PID: until PID has no child left, reaped ones included in
# its cutime (5 s at most; a child still there is said in a note).
wait_children() {
	for _ in $(seq 50); do
		[ -z "$(cat /proc/"$1"/task/*/children 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}
# machine_ticks: all cores' busy and idle clock ticks, from /proc/stat
# (user nice system idle iowait irq softirq steal; guest is in user).
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# field FILE WHAT: one figure of a dnsperf report.
field() {
	case $2 in
	qps) awk '/Queries per second:/ { print $4 }' "$1" ;;
	sent) awk '/Queries sent:/ { print $3 }' "$1" ;;
	completed) awk '/Queries completed:/ { print $3 }' "$1" ;;
	lost) awk '/Queries lost:/ { print $3 }' "$1" ;;
	# Over TCP, a second "Average Latency" follows: the connections'.
	mean_us) awk '/Average Latency \(s\):/ { printf "%.0f", $4 * 1e6; exit }' "$1" ;;
	reconnections) awk '/Reconnections:/ { print $2 }' "$1" ;;
	rcodes) sed -n 's/^ *Response codes: *//p' "$1" ;;
	esac
}

# perf OUT CORE PORT FILE ARGS...: one dnsperf run, report in OUT. A run
# that fails ends the script, unless perf_soft is set: then it returns 1.
perf_soft=
perf() {
	local out=$1 core=$2 port=$3 file=$4
	shift 4
	local cmd=(timeout $((seconds + 30)) dnsperf -s 127.0.0.1 -p "$port" -d "$file" -t 2 "$@")
	if [ "$core" = any ]; then "${cmd[@]}" >"$out" 2>&1; else taskset -c "$core" "${cmd[@]}" >"$out" 2>&1; fi
	grep -q 'Queries per second:' "$out" && return 0
	[ -n "$perf_soft" ] && return 1
	sed 's/^/  | /' "$out" >&2
	die "dnsperf failed against 127.0.0.1:$port"
}

# latency OUT: "mean_us p99_us" from the per-answer lines of dnsperf -v.
# A lost query ("> T ...") is counted as slower than any answer, so a p99
# that lands on one reads "timeout".
latency() {
	awk '$1 == ">" { if ($2 == "T") print "inf"; else printf "%.1f\n", $NF * 1e6 }' "$1" |
		sort -g | awk '
		{ v[NR] = $1; if ($1 != "inf") { s += $1; n++ } }
		END {
			if (NR == 0) { print "nan nan"; exit }
			r = int(NR * 0.99); if (r < NR * 0.99) r++
			p = v[r] == "inf" ? "timeout" : sprintf("%.0f", v[r])
			printf "%s %s\n", (n ? sprintf("%.0f", s / n) : "nan"), p
		}'
}

# per_query TICKS COMPLETED: CPU microseconds per answer.
per_query() {
	awk -v t="$1" -v hz="$hz" -v q="$2" 'BEGIN { if (q > 0) printf "%.2f", t / hz * 1e6 / q; else print "nan" }'
}

declare -A PID PORT QPS LOST CPU RSS MEAN LMEAN P99 NOTE UP_MS TCP_OUT

# measure PATH SERVER FILE LATFILE LATQPS [ARGS...]: the load run (qps,
# CPU, loss, mean), then, the first time, the fixed-rate run (mean and
# p99), on SERVER. Called once a round: the round with the most qps is
# kept, for this machine's noise only ever slows a run down (the same
# binary swung by 15% from one run to the next). PATH deny-tcp and
# hit-tcp are deny and hit with ARGS -m tcp.
measure() {
	local path=$1 s=$2 file=$3 latfile=$4 latqps=$5
	shift 5
	local pid=${PID[$s]} port=${PORT[$s]} k="$path/$s" before after answered rc want out qps
	out=$tmp/perf.$path.$s
	# A TCP run's children (dnsmasq's) count once reaped, before and after.
	wait_children "$pid" || say "   note: $s: children left from before the $path run"
	before=$(cpu_ticks "$pid")
	perf "$out" 1 "$port" "$file" -l "$seconds" -c "$clients" -q "$outstanding" "$@" || return 1
	wait_children "$pid" || say "   note: $s: children still there 5 s after the $path run; their CPU is not counted"
	after=$(cpu_ticks "$pid")
	if ! kill -0 "$pid" 2>/dev/null; then
		[ -n "$perf_soft" ] && return 1
		die "$s died during the $path run"
	fi
	answered=$(field "$out" completed)
	if [ "${answered:-0}" -eq 0 ]; then
		[ -n "$perf_soft" ] && return 1
		die "$s answered nothing on the $path path"
	fi
	qps=$(field "$out" qps)
	RSS[$k]=$(rss_kib "$pid")
	if [ -n "${QPS[$k]:-}" ] && awk -v a="$qps" -v b="${QPS[$k]}" 'BEGIN { exit !(a <= b) }'; then
		return 0
	fi
	QPS[$k]=$qps
	LOST[$k]=$(field "$out" lost)
	MEAN[$k]=$(field "$out" mean_us)
	CPU[$k]=$(per_query $((after - before)) "$answered")
	NOTE[$k]=
	if [ "$s" != echo ]; then
		# The answers must be what the path is about, or the figure is not.
		[ "${path%-tcp}" = deny ] && want=NXDOMAIN || want=NOERROR
		rc=$(field "$out" rcodes)
		case $rc in "$want $answered (100.00%)"*) ;; *) NOTE[$k]="answers: $rc (expected all $want)" ;; esac
	fi
	case $path in *-tcp)
		rc=$(field "$out" reconnections)
		[ "${rc:-0}" = 0 ] || NOTE[$k]="${NOTE[$k]:+${NOTE[$k]}; }dnsperf reconnected $rc times: the server closed connections"
		;;
	esac
	if [ "$path" = miss ] && [ "$(field "$out" sent)" -ge "$miss_lines" ]; then
		NOTE[$k]="${NOTE[$k]:+${NOTE[$k]}; }miss file exhausted before the time limit"
	fi
	[ -n "${P99[$k]:-}" ] && return 0
	perf "$out.lat" 1 "$port" "$latfile" -l "$lat_seconds" -Q "$latqps" -c "$clients" -q "$outstanding" -v "$@" || return 1
	read -r "LMEAN[$k]" "P99[$k]" < <(latency "$out.lat")
}

# csv_row PATH SERVER: the kept figures, one CSV line.
csv_row() {
	local k="$1/$2"
	printf '%s,%s,%s,%.0f,%s,%s,%s,%s,%s\n' "$run_date" "$1" "$2" "${QPS[$k]}" "${MEAN[$k]}" \
		"${P99[$k]}" "${LOST[$k]}" "${CPU[$k]}" "${RSS[$k]}" >>"$tmp/csv"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }

print_table() {
	local path=$1 s k lq
	shift
	[ "$path" = miss ] && lq=$lat_qps_miss || lq=$lat_qps
	say ""
	if [ "$path" = miss ]; then
		say "== $path: qps, lost, CPU/query, RSS and mean(load) from the ${seconds} s full-load run;"
	else
		say "== $path: qps, lost, CPU/query, RSS and mean(load) from the best of $rounds ${seconds} s full-load runs;"
	fi
	say "   mean(fixed) and p99(fixed) from the ${lat_seconds} s run at $lq qps (dnsperf -Q $lq -v)"
	case $path in *-tcp) say "   over TCP: dnsperf -m tcp, each of its $clients clients one connection, kept open for the run" ;; esac
	printf '%-8s %10s %7s %10s %9s %11s %12s %12s\n' server qps lost cpu_us/q rss_kib mean_us_load mean_us_fixed p99_us_fixed
	for s in "$@"; do
		k="$path/$s"
		printf '%-8s %10.0f %7s %10s %9s %11s %12s %12s\n' "$s" "${QPS[$k]}" "${LOST[$k]}" "${CPU[$k]}" \
			"${RSS[$k]}" "${MEAN[$k]}" "${LMEAN[$k]}" "${P99[$k]}"
	done
	for s in "$@"; do
		[ -n "${NOTE[$path/$s]}" ] && say "   note: $s: ${NOTE[$path/$s]}"
	done
	for s in "$@"; do
		[ "$s" = dnsgate ] && continue
		printf '   dnsgate/%-8s qps %5s   cpu/query %5s\n' "$s" \
			"$(ratio "${QPS[$path/dnsgate]}" "${QPS[$path/$s]}")" "$(ratio "${CPU[$path/dnsgate]}" "${CPU[$path/$s]}")"
	done
}

summary=()
# target TEXT EXPR NAME=VALUE...: a summary line, PASS when the awk EXPR holds.
target() {
	local text=$1 expr=$2 verdict kv args=()
	shift 2
	for kv in "$@"; do args+=(-v "$kv"); done
	if awk "${args[@]}" "BEGIN { exit !($expr) }"; then verdict=PASS; else verdict=FAIL; fi
	summary+=("$(printf '%-4s %s' "$verdict" "$text")")
}

elapsed() { awk -v a="$t_start" -v b="$(date +%s%N)" 'BEGIN { printf "%.0f", (b - a) / 1e9 }'; }

# ---------------------------------------------------------------- inputs
say "# bench_serve: $(nproc) cores; servers on core 0, dnsperf and nsd on core 1"
say "# dnsperf -c $clients -q $outstanding -t 2, ${seconds} s a run; $("$dnsgate" --version 2>&1 | head -1), copied from $dnsgate_built"

awk 'BEGIN { srand(7); a = "abcdefghijklmnopqrstuvwxyz234567";
	for (i = 0; i < 100000; i++) {
		if (i % 3 == 0) { l = ""; for (j = 0; j < 30; j++) l = l substr(a, int(rand() * 32) + 1, 1);
			printf "%s.t%d.tunnel.example A\n", l, i }
		else printf "host%d.evil%d.example A\n", i, i % 1000 } }' >"$tmp/deny.txt"
tunnel_probe=$(awk 'NR == 1 { print $1 }' "$tmp/deny.txt")
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "h%d.allowed.test A\n", i }' >"$tmp/hit.txt"
# Enough fresh names for the whole run at 150k qps, above any rate seen.
miss_lines=$((seconds * 150000))
awk -v n="$miss_lines" 'BEGIN { for (i = 0; i < n; i++) printf "m%d.allowed.test A\n", i }' >"$tmp/miss.txt"
awk -v n=$((lat_qps_miss * lat_seconds + 1000)) \
	'BEGIN { for (i = 0; i < n; i++) printf "l%d.allowed.test A\n", i }' >"$tmp/lat_miss.txt"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "f%d.allowed.test A\n", i }' >"$tmp/fill.txt"

# ---------------------------------------------------------------- upstream
nsd_port=$(free_port) || die "no free port"
mkdir -p "$tmp/nsd"
cat >"$tmp/nsd/allowed.test.zone" <<'EOF'
$ORIGIN allowed.test.
$TTL 3600
@	IN SOA ns.allowed.test. hostmaster.allowed.test. 1 3600 600 86400 3600
@	IN NS ns.allowed.test.
ns	IN A 192.0.2.53
www	IN A 192.0.2.2
*	IN A 192.0.2.1
EOF
cat >"$tmp/nsd/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$nsd_port
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$tmp/nsd"
	database: ""
	pidfile: "$tmp/nsd/nsd.pid"
	xfrdfile: "$tmp/nsd/xfrd.state"
	zonelistfile: "$tmp/nsd/zone.list"
	verbosity: 0
	server-count: 1
	rrl-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: "allowed.test."
	zonefile: "allowed.test.zone"
EOF
nsd-checkconf "$tmp/nsd/nsd.conf" || die "nsd-checkconf refused the upstream's configuration"
launch 1 "$tmp/nsd.log" nsd -d -c "$tmp/nsd/nsd.conf"
nsd_pid=$last_pid
wait_ready nsd "$nsd_pid" "$nsd_port" "$tmp/nsd.log"
[ "$(dig @127.0.0.1 -p "$nsd_port" +short +time=1 +tries=1 h1.allowed.test A)" = 192.0.2.1 ] ||
	die "nsd does not answer h1.allowed.test"

# ---------------------------------------------------------------- servers
# dg_conf FILE PORT EXTRA: dnsgate's configuration, EXTRA the policy lines.
dg_conf() {
	cat >"$1" <<EOF
[server]
listen = 127.0.0.1:$2
${4:-}
[upstream]
servers = 127.0.0.1:$nsd_port
[policy]
$3
new_names_per_minute = 1000000
new_names_per_minute_total = 1000000
[cache]
max_entries = 200000
[log]
query_log = off
EOF
}

# start_dnsgate NAME CORE CONF [TRIES]: PID and PORT of NAME set, and
# UP_MS its time from start to first answer (to the 0.05 s of wait_ready).
start_dnsgate() {
	local name=$1 core=$2 conf=$3 out t0
	out=$("$dnsgate" -c "$conf" --check 2>&1) || { say "$out" | sed 's/^/  | /' >&2; die "$name: dnsgate --check refused $conf"; }
	t0=$(date +%s%N)
	launch "$core" "$tmp/$name.log" "$dnsgate" -c "$conf"
	PID[$name]=$last_pid
	wait_ready "$name" "$last_pid" "${PORT[$name]}" "$tmp/$name.log" "${4:-60}"
	UP_MS[$name]=$((($(date +%s%N) - t0) / 1000000))
}

# memcheck_allocs NAME [FILE]: a fresh dnsgate under memcheck on core 0,
# FILE's queries sent once at alloc_qps (none without FILE), then stopped;
# sets VG_ALLOCS (memcheck's "total heap usage" allocs) and VG_ANSWERED.
memcheck_allocs() {
	local name=$1 file=${2:-}
	PORT[$name]=$(free_port) || die "no free port"
	dg_conf "$tmp/$name.conf" "${PORT[$name]}" "allow = *.allowed.test"
	launch 0 "$tmp/$name.log" valgrind --tool=memcheck --leak-check=no "$dnsgate" -c "$tmp/$name.conf"
	PID[$name]=$last_pid
	# 400 probes: 20 s and more, as memcheck starts slowly.
	wait_ready "$name (memcheck)" "$last_pid" "${PORT[$name]}" "$tmp/$name.log" 400
	VG_ANSWERED=0
	if [ -n "$file" ]; then
		perf "$tmp/perf.$name" 1 "${PORT[$name]}" "$file" -n 1 -Q "$alloc_qps" -c 1 -q 100
		VG_ANSWERED=$(field "$tmp/perf.$name" completed)
	fi
	kill -0 "${PID[$name]}" 2>/dev/null || die "$name (memcheck) died during its run"
	# 30 s: memcheck writes its summary as the process exits.
	stop_one "${PID[$name]}" 300
	VG_ALLOCS=$(awk '/total heap usage:/ { gsub(",", "", $5); print $5 }' "$tmp/$name.log")
	[ -n "$VG_ALLOCS" ] || { sed 's/^/  | /' "$tmp/$name.log" >&2; die "$name: no memcheck summary"; }
}

PORT[dnsgate]=$(free_port) || die "no free port"
dg_conf "$tmp/dnsgate.conf" "${PORT[dnsgate]}" "allow = *.allowed.test"
start_dnsgate dnsgate 0 "$tmp/dnsgate.conf"

PORT[dnsmasq]=$(free_port) || die "no free port"
launch 0 "$tmp/dnsmasq.log" dnsmasq -k --no-resolv --no-hosts --no-poll --bind-interfaces \
	--listen-address=127.0.0.1 --port="${PORT[dnsmasq]}" --cache-size=10000 \
	--server="/allowed.test/127.0.0.1#$nsd_port" --address=/#/ --dns-forward-max=4096 \
	--pid-file="$tmp/dnsmasq.pid" --user="$user" --log-facility=-
PID[dnsmasq]=$last_pid
wait_ready dnsmasq "${PID[dnsmasq]}" "${PORT[dnsmasq]}" "$tmp/dnsmasq.log"

# ub_conf FILE PORT NAME
ub_conf() {
	cat >"$1" <<EOF
server:
	num-threads: 1
	interface: 127.0.0.1@$2
	port: $2
	do-ip4: yes
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$tmp"
	pidfile: "$tmp/$3.pid"
	use-syslog: no
	logfile: ""
	verbosity: 0
	module-config: "iterator"
	do-not-query-localhost: no
	qname-minimisation: no
	msg-cache-size: 64m
	rrset-cache-size: 128m
	num-queries-per-thread: 4096
	ratelimit: 0
	ip-ratelimit: 0
	so-reuseport: no
	local-zone: "." always_nxdomain
	local-zone: "allowed.test." transparent
remote-control:
	control-enable: no
forward-zone:
	name: "allowed.test."
	forward-addr: 127.0.0.1@$nsd_port
EOF
	grep -q "interface: 127.0.0.1@$2" "$1" || die "could not write $1"
	unbound-checkconf "$1" >/dev/null || die "unbound-checkconf refused $1"
}

start_unbound() { # NAME
	PORT[$1]=$(free_port) || die "no free port"
	ub_conf "$tmp/$1.conf" "${PORT[$1]}" "$1"
	launch 0 "$tmp/$1.log" unbound -d -c "$tmp/$1.conf"
	PID[$1]=$last_pid
	wait_ready "$1" "$last_pid" "${PORT[$1]}" "$tmp/$1.log"
}
start_unbound unbound

PORT[echo]=$(free_port) || die "no free port"
launch 0 "$tmp/echo.log" "$echo_bin" "${PORT[echo]}"
PID[echo]=$last_pid
wait_ready echo "${PID[echo]}" "${PORT[echo]}" "$tmp/echo.log"

for s in dnsgate dnsmasq unbound; do check_policy "$s" "${PORT[$s]}"; done
say "# checked: h1.allowed.test answers 192.0.2.1, denied names are NXDOMAIN, on dnsgate, dnsmasq and unbound"

# ---------------------------------------------------------------- 1M allowlist
# The 1M-entry list's dnsgate (dgbig) runs in the same rounds as the
# one-entry one, next to it, so that both meet the same noise; its
# figures are printed in a section of their own further down. Its load
# time is a whole process that loads the list and decides one name, the
# best of 3, as a compiler on the other core can stall any one run.
awk 'BEGIN { print "# bench_serve: 1M entries"
	for (i = 0; i < 500000; i++) { printf "name%d.example.net\n", i; printf "*.zone%d.example.org\n", i }
	print "*.allowed.test" }' >"$tmp/big.zones"
PORT[dgbig]=$(free_port) || die "no free port"
dg_conf "$tmp/dgbig.conf" "${PORT[dgbig]}" "zones = $tmp/big.zones"
load_ms=
for _ in 1 2 3; do
	t0=$(date +%s%N)
	timeout 20 "$dnsgate" -c "$tmp/dgbig.conf" explain h1.allowed.test >"$tmp/explain.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	[ "$rc" = 0 ] || { sed 's/^/  | /' "$tmp/explain.out" >&2; die "dnsgate explain h1.allowed.test with the 1M list: status $rc (0 = allowed)"; }
	ms=$(((t1 - t0) / 1000000))
	if [ -z "$load_ms" ] || [ "$ms" -lt "$load_ms" ]; then load_ms=$ms; fi
done
t0=$(date +%s%N)
timeout 20 "$dnsgate" -c "$tmp/dnsgate.conf" explain h1.allowed.test >/dev/null 2>&1
t1=$(date +%s%N)
one_ms=$(((t1 - t0) / 1000000))
# 400 probes: 20 s and more for the daemon to load the list and answer.
start_dnsgate dgbig 0 "$tmp/dgbig.conf" 400
big_rss=$(rss_kib "${PID[dgbig]}")
check_policy "dnsgate (1M list)" "${PORT[dgbig]}"

# Warm the hit path: every h name once through each server.
for s in dnsgate dgbig dnsmasq unbound; do
	perf "$tmp/warm.$s" 1 "${PORT[$s]}" "$tmp/hit.txt" -n 1 -Q 5000 -c 1 -q 50
	[ "$(field "$tmp/warm.$s" completed)" = 1000 ] || die "$s: warming the hit names lost queries"
done

# And a 2 s deny run on each, thrown away: the first heavy run after the
# start was up to a quarter slower than the same run later (first touches
# of buffers, the CPU waking up), and it fell on whoever came first.
for s in echo dnsgate dgbig dnsmasq unbound; do
	perf "$tmp/warmup.$s" 1 "${PORT[$s]}" "$tmp/deny.txt" -l 2 -c "$clients" -q "$outstanding"
done

# ---------------------------------------------------------------- main paths
: >"$tmp/csv"
for _ in $(seq "$rounds"); do
	for s in echo dnsgate dgbig dnsmasq unbound; do measure deny "$s" "$tmp/deny.txt" "$tmp/deny.txt" "$lat_qps"; done
done
print_table deny dnsgate echo dnsmasq unbound

# The deny runs took long enough for a cached TTL to have gone down.
for s in dnsgate dnsmasq unbound; do
	ttl=$(dig @127.0.0.1 -p "${PORT[$s]}" +time=2 +tries=1 +noall +answer h7.allowed.test A | awk '{ print $2; exit }')
	if [ -z "$ttl" ] || [ "$ttl" -ge 3600 ]; then
		say "   note: $s: h7.allowed.test has TTL ${ttl:-none} after warming; it may not answer hits from its cache"
	fi
done
for _ in $(seq "$rounds"); do
	for s in echo dnsgate dgbig dnsmasq unbound; do measure hit "$s" "$tmp/hit.txt" "$tmp/hit.txt" "$lat_qps"; done
done
print_table hit dnsgate echo dnsmasq unbound
stop_one "${PID[dgbig]}"

# Each miss name is asked once, so the miss path has one round only.
for s in dnsgate dnsmasq unbound; do
	measure miss "$s" "$tmp/miss.txt" "$tmp/lat_miss.txt" "$lat_qps_miss" -n 1
done
print_table miss dnsgate dnsmasq unbound

# ---------------------------------------------------------------- TCP
# Deny and hit again over TCP (dnsperf -m tcp), against dnsgate, dnsmasq
# and unbound (echo answers UDP only), pinned as the UDP runs are. Each
# server must first answer dig +tcp, or it is left out with its reason;
# so is a peer whose every run of a path failed (dnsperf 2.10 sometimes
# gives up with "Bad file descriptor" when dnsmasq closes a connection:
# a failed round is said, and the other round may still count).
tcp_servers=()
say ""
for s in dnsgate dnsmasq unbound; do
	if why=$(check_tcp "${PORT[$s]}"); then
		tcp_servers+=("$s")
	else
		say "# TCP: $s left out: $why"
		TCP_OUT[$s]=1
	fi
done
if [ -z "${TCP_OUT[dnsgate]:-}" ]; then
	say "# checked over TCP (dig +tcp): h1.allowed.test answers 192.0.2.1, denied.example is NXDOMAIN, on ${tcp_servers[*]}"
	for path in deny hit; do
		for _ in $(seq "$rounds"); do
			for s in "${tcp_servers[@]}"; do
				kill -0 "${PID[$s]}" 2>/dev/null || continue
				[ "$s" = dnsgate ] && perf_soft= || perf_soft=1
				if ! measure "$path-tcp" "$s" "$tmp/$path.txt" "$tmp/$path.txt" "$lat_qps" -m tcp; then
					why=$(grep -h -m1 -i 'error\|fail' "$tmp/perf.$path-tcp.$s"* 2>/dev/null | head -1)
					kill -0 "${PID[$s]}" 2>/dev/null || why="$s died"
					say "# TCP: a $path-tcp run of $s failed (${why:-dnsperf gave no figures})"
				fi
			done
		done
		perf_soft=
		shown=()
		for s in "${tcp_servers[@]}"; do
			if [ -n "${QPS[$path-tcp/$s]:-}" ] && [ -n "${P99[$path-tcp/$s]:-}" ]; then
				shown+=("$s")
			else
				say "# TCP: $s left out of $path-tcp: no run of it went through"
				TCP_OUT[$path-tcp/$s]=1
			fi
		done
		print_table "$path-tcp" "${shown[@]}"
	done
fi

for path in deny hit miss deny-tcp hit-tcp; do
	for s in dnsgate echo dnsmasq unbound; do
		case $path in *-tcp) [ -n "${TCP_OUT[$s]:-}${TCP_OUT[$path/$s]:-}" ] && continue ;; esac
		[ -n "${QPS[$path/$s]:-}" ] && csv_row "$path" "$s"
	done
done
{
	say "date,path,server,qps,mean_us,p99_us,lost,cpu_us_per_query,rss_kib"
	cat "$tmp/csv"
} >"$csv" || die "cannot write $csv"
say ""
say "# wrote $csv (mean_us: full-load run; p99_us: fixed-rate run; deny-tcp, hit-tcp: over TCP)"

for path in deny hit; do
	target "$path: dnsgate CPU/query ${CPU[$path/dnsgate]} us <= 0.5 x min(dnsmasq ${CPU[$path/dnsmasq]}, unbound ${CPU[$path/unbound]})" \
		'g <= 0.5 * (m < u ? m : u)' g="${CPU[$path/dnsgate]}" m="${CPU[$path/dnsmasq]}" u="${CPU[$path/unbound]}"
	# What bounds the target above: echo does no DNS work, so its CPU a
	# query is the kernel's share of one datagram in and one out, which
	# every server pays. What a server adds to it is its own work.
	target "$path: above echo's floor (${CPU[$path/echo]} us, the kernel's share), dnsgate adds $(awk -v g="${CPU[$path/dnsgate]}" -v e="${CPU[$path/echo]}" 'BEGIN { printf "%.2f", g - e }') us, <= 0.5 x min(dnsmasq $(awk -v g="${CPU[$path/dnsmasq]}" -v e="${CPU[$path/echo]}" 'BEGIN { printf "%.2f", g - e }'), unbound $(awk -v g="${CPU[$path/unbound]}" -v e="${CPU[$path/echo]}" 'BEGIN { printf "%.2f", g - e }'))" \
		'g - e <= 0.5 * (m < u ? m - e : u - e)' g="${CPU[$path/dnsgate]}" m="${CPU[$path/dnsmasq]}" u="${CPU[$path/unbound]}" e="${CPU[$path/echo]}"
	target "$path: dnsgate qps $(printf %.0f "${QPS[$path/dnsgate]}") >= 0.95 x echo $(printf %.0f "${QPS[$path/echo]}") (ratio $(ratio "${QPS[$path/dnsgate]}" "${QPS[$path/echo]}"))" \
		'g >= 0.95 * e' g="${QPS[$path/dnsgate]}" e="${QPS[$path/echo]}"
done
target "miss: dnsgate qps $(printf %.0f "${QPS[miss/dnsgate]}") >= 1.5 x max(dnsmasq $(printf %.0f "${QPS[miss/dnsmasq]}"), unbound $(printf %.0f "${QPS[miss/unbound]}"))" \
	'g >= 1.5 * (m > u ? m : u)' g="${QPS[miss/dnsgate]}" m="${QPS[miss/dnsmasq]}" u="${QPS[miss/unbound]}"
target "miss: dnsgate CPU/query ${CPU[miss/dnsgate]} us < dnsmasq ${CPU[miss/dnsmasq]} and < unbound ${CPU[miss/unbound]}" \
	'g < m && g < u' g="${CPU[miss/dnsgate]}" m="${CPU[miss/dnsmasq]}" u="${CPU[miss/unbound]}"
# A miss is two exchanges, the client's and the upstream's: its floor is
# about twice echo's one, measured on the deny path of this same run.
target "miss: dnsgate CPU/query ${CPU[miss/dnsgate]} us <= 2.5 x echo's ${CPU[deny/echo]} us (deny runs, same run; ratio $(ratio "${CPU[miss/dnsgate]}" "${CPU[deny/echo]}"))" \
	'g <= 2.5 * e' g="${CPU[miss/dnsgate]}" e="${CPU[deny/echo]}"
for path in deny-tcp hit-tcp; do
	if [ -n "${TCP_OUT[dnsgate]:-}" ]; then
		summary+=("SKIP $path: dnsgate did not answer over TCP")
		continue
	fi
	best='' bestcpu=''
	for s in dnsmasq unbound; do
		[ -n "${TCP_OUT[$s]:-}${TCP_OUT[$path/$s]:-}" ] && continue
		if [ -z "$best" ] || awk -v a="${CPU[$path/$s]}" -v b="$bestcpu" 'BEGIN { exit !(a < b) }'; then
			best=$s bestcpu=${CPU[$path/$s]}
		fi
	done
	if [ -z "$best" ]; then
		summary+=("SKIP $path: no peer answered over TCP")
		continue
	fi
	target "$path: dnsgate CPU/query ${CPU[$path/dnsgate]} us < best peer's ($best ${bestcpu} us; ratio $(ratio "${CPU[$path/dnsgate]}" "$bestcpu"))" \
		'g < b' g="${CPU[$path/dnsgate]}" b="$bestcpu"
done

# The main servers are done; what follows starts its own.
for s in echo dnsmasq unbound dnsgate; do stop_one "${PID[$s]}"; done

# ---------------------------------------------------------------- allocations
# Heap allocations per miss, as profile.sh counts them: memcheck's "total
# heap usage" of a dnsgate that answered N misses, less that of one that
# answered none (start-up, probes and exit), over the N answers; at a
# gentle rate, for memcheck slows dnsgate many times over.
say ""
say "== allocations per miss (valgrind memcheck, $alloc_queries fresh names at $alloc_qps/s)"
if ! command -v valgrind >/dev/null 2>&1; then
	say "SKIP: valgrind is not installed (Debian package: valgrind)"
	summary+=("SKIP miss: allocations per miss <= 4 (valgrind is not installed)")
else
	awk -v n="$alloc_queries" 'BEGIN { for (i = 0; i < n; i++) printf "a%d.allowed.test A\n", i }' >"$tmp/alloc.txt"
	memcheck_allocs vg0
	without=$VG_ALLOCS
	memcheck_allocs vg1 "$tmp/alloc.txt"
	with=$VG_ALLOCS
	apm=$(awk -v a="$with" -v b="$without" -v q="$VG_ANSWERED" 'BEGIN { if (q > 0) printf "%.2f", (a - b) / q; else print "nan" }')
	printf 'heap allocations: %s with %s misses answered, %s without; %s per answered miss\n' \
		"$with" "$VG_ANSWERED" "$without" "$apm"
	[ "$VG_ANSWERED" = "$alloc_queries" ] || say "   note: $VG_ANSWERED of $alloc_queries answered ($(field "$tmp/perf.vg1" rcodes))"
	target "miss: allocations per miss $apm <= 4 (memcheck, $VG_ANSWERED misses at $alloc_qps/s)" 'a <= 4' a="$apm"
fi

# ---------------------------------------------------------------- memory
say ""
say "== memory"
PORT[idle]=$(free_port) || die "no free port"
cat >"$tmp/idle.conf" <<EOF
[server]
listen = 127.0.0.1:${PORT[idle]}
[upstream]
servers = 127.0.0.1:$nsd_port
[policy]
zones = $default_zones
[log]
query_log = off
EOF
"$dnsgate" -c "$tmp/idle.conf" --check >/dev/null 2>&1 || die "dnsgate --check refused $tmp/idle.conf"
launch 0 "$tmp/idle.log" "$dnsgate" -c "$tmp/idle.conf" --pidfile "$tmp/idle.pid"
PID[idle]=$last_pid
for _ in $(seq 50); do
	[ -s "$tmp/idle.pid" ] && break
	kill -0 "${PID[idle]}" 2>/dev/null || die "dnsgate (default zones) exited at start"
	sleep 0.05
done
[ -s "$tmp/idle.pid" ] || die "dnsgate (default zones) wrote no pidfile"
idle_start=$(rss_kib "${PID[idle]}")
wait_ready "dnsgate (default zones)" "${PID[idle]}" "${PORT[idle]}" "$tmp/idle.log"
idle_rss=$(rss_kib "${PID[idle]}")
stop_one "${PID[idle]}"
printf 'dnsgate idle, default.zones, defaults otherwise: VmRSS %s KiB once listening, %s KiB after one query\n' \
	"$idle_start" "$idle_rss"
target "idle RSS $idle_rss KiB < 8 MiB (8192 KiB)" 'r < 8192' r="$idle_rss"

# 100k cached answers: fresh instances, so that before and after show
# what the fill cost each; dnsgate as configured for the main runs
# (max_entries 200000), unbound likewise (msg-cache 64m, rrset-cache 128m).
PORT[dgfill]=$(free_port) || die "no free port"
dg_conf "$tmp/dgfill.conf" "${PORT[dgfill]}" "allow = *.allowed.test"
start_dnsgate dgfill 0 "$tmp/dgfill.conf"
start_unbound ubfill
declare -A FILL0 FILL1 FILLN PERANS
for s in dgfill ubfill; do
	FILL0[$s]=$(rss_kib "${PID[$s]}")
	perf "$tmp/fill.$s" 1 "${PORT[$s]}" "$tmp/fill.txt" -n 1 -Q 20000 -c "$clients" -q 100 -l 30
	answered=$(field "$tmp/fill.$s" completed)
	FILLN[$s]=$answered
	rc=$(field "$tmp/fill.$s" rcodes)
	[ "$answered" = 100000 ] || say "   note: $s: $answered of 100000 fill queries answered ($(field "$tmp/fill.$s" lost) lost)"
	case $rc in "NOERROR $answered (100.00%)"*) ;; *) say "   note: $s: fill answers: $rc" ;; esac
	FILL1[$s]=$(rss_kib "${PID[$s]}")
	# Bytes per cached answer: the fill's RSS cost over the answers it
	# cached (100000 when none was lost).
	PERANS[$s]=$(awk -v a="${FILL1[$s]}" -v b="${FILL0[$s]}" -v n="$answered" \
		'BEGIN { if (n > 0) printf "%.0f", (a - b) * 1024 / n; else print "nan" }')
done
printf '100k fresh allowed names fed once each at 20000 qps to fresh instances (VmRSS, KiB):\n'
printf '  %-8s before %8s  after %8s  cost %8s  = %5s bytes per cached answer (%s answers)\n' dnsgate \
	"${FILL0[dgfill]}" "${FILL1[dgfill]}" $((FILL1[dgfill] - FILL0[dgfill])) "${PERANS[dgfill]}" "${FILLN[dgfill]}"
printf '  %-8s before %8s  after %8s  cost %8s  = %5s bytes per cached answer (%s answers)\n' unbound \
	"${FILL0[ubfill]}" "${FILL1[ubfill]}" $((FILL1[ubfill] - FILL0[ubfill])) "${PERANS[ubfill]}" "${FILLN[ubfill]}"
printf '  dnsgate/unbound after the fill: %s\n' "$(ratio "${FILL1[dgfill]}" "${FILL1[ubfill]}")"
target "100k cached: dnsgate RSS ${FILL1[dgfill]} KiB <= 1.5 x unbound ${FILL1[ubfill]} KiB (ratio $(ratio "${FILL1[dgfill]}" "${FILL1[ubfill]}"); ${PERANS[dgfill]} vs ${PERANS[ubfill]} bytes per cached answer)" \
	'g <= 1.5 * u' g="${FILL1[dgfill]}" u="${FILL1[ubfill]}"
stop_one "${PID[dgfill]}"
stop_one "${PID[ubfill]}"

# ---------------------------------------------------------------- 1M allowlist
# Set up and measured with the main runs (dgbig), reported here.
say ""
say "== 1M-entry allowlist (500k NAME, 500k *.NAME, plus *.allowed.test)"
printf 'load: dnsgate -c CONF explain h1.allowed.test: %s ms, best of 3 (one-entry list: %s ms)\n' "$load_ms" "$one_ms"
printf 'daemon: start to first answer %s ms (one-entry list: %s ms), VmRSS %s KiB after loading\n' \
	"${UP_MS[dgbig]}" "${UP_MS[dnsgate]}" "$big_rss"
target "1M allowlist load ${load_ms} ms < 2000 ms (daemon's start to first answer: ${UP_MS[dgbig]} ms)" 'l < 2000' l="$load_ms"
say "dnsgate with the 1M list, in the same rounds as the main run's (one entry):"
printf '  %-5s %12s %12s %6s   %12s %12s %6s\n' path qps_1m qps_main ratio cpu_us_1m cpu_us_main ratio
for path in deny hit; do
	printf '  %-5s %12.0f %12.0f %6s   %12s %12s %6s\n' "$path" "${QPS[$path/dgbig]}" "${QPS[$path/dnsgate]}" \
		"$(ratio "${QPS[$path/dgbig]}" "${QPS[$path/dnsgate]}")" "${CPU[$path/dgbig]}" "${CPU[$path/dnsgate]}" \
		"$(ratio "${CPU[$path/dgbig]}" "${CPU[$path/dnsgate]}")"
	[ -n "${NOTE[$path/dgbig]}" ] && say "  note: $path: ${NOTE[$path/dgbig]}"
	target "1M allowlist $path: qps $(printf %.0f "${QPS[$path/dgbig]}") >= 0.90 x main run $(printf %.0f "${QPS[$path/dnsgate]}") (ratio $(ratio "${QPS[$path/dgbig]}" "${QPS[$path/dnsgate]}"))" \
		'b >= 0.90 * m' b="${QPS[$path/dgbig]}" m="${QPS[$path/dnsgate]}"
	target "1M allowlist $path: CPU/query ${CPU[$path/dgbig]} us <= 1.10 x main run ${CPU[$path/dnsgate]} us (ratio $(ratio "${CPU[$path/dgbig]}" "${CPU[$path/dnsgate]}"))" \
		'b <= 1.10 * m' b="${CPU[$path/dgbig]}" m="${CPU[$path/dnsgate]}"
done
# The 1M-list runs are not in the CSV: it holds the main paths only.

# ---------------------------------------------------------------- workers
# Two dnsperf at once, from 127.0.0.1 and 127.0.0.2: dnsgate steers each
# client address to one worker (the tunnel budget is per client), so with
# two workers each client has one. Nothing is pinned. dnsgate's CPU is
# its utime+stime, all threads; the two dnsperf's is this shell's
# children's user+sys (the times builtin) just before they start and
# just after both are waited for: they, and the timeout each runs under,
# are the only children reaped in between.
say ""
say "== workers (deny and hit paths; nothing pinned)"
say "   two dnsperf at once (from 127.0.0.1 and 127.0.0.2), each -c $clients -q $outstanding for ${seconds} s; qps in all = the sum of both;"
say "   CPU/query: dnsgate's utime+stime over the answers of both; the dnsperf clients' own CPU beside it."
dg_conf "$tmp/w1.conf" 1 "allow = *.allowed.test" "workers = 1"
if ! "$dnsgate" -c "$tmp/w1.conf" --check >"$tmp/w1.check" 2>&1; then
	say "workers: not supported by this build ($(grep -m1 workers "$tmp/w1.check"))"
	summary+=("SKIP workers: not supported by this build")
else
	declare -A WQ WCPU WSHARE WIDLE
	for n in 1 2; do
		name=w$n
		PORT[$name]=$(free_port) || die "no free port"
		dg_conf "$tmp/$name.conf" "${PORT[$name]}" "allow = *.allowed.test" "workers = $n"
		start_dnsgate "$name" any "$tmp/$name.conf"
		for path in deny hit; do
			k=$path/$n
			out=$tmp/$name.$path
			if [ "$path" = hit ]; then
				# A worker keeps a cache of its own: warm the names from both addresses.
				for a in 127.0.0.1 127.0.0.2; do
					perf "$out.warm.$a" any "${PORT[$name]}" "$tmp/hit.txt" -n 1 -Q 5000 -c 1 -q 50 -a "$a"
					[ "$(field "$out.warm.$a" completed)" = 1000 ] || die "workers = $n: warming the hit names from $a lost queries"
				done
			fi
			perf_args=(-s 127.0.0.1 -p "${PORT[$name]}" -d "$tmp/$path.txt" -t 2 -l "$seconds" -c "$clients" -q "$outstanding")
			before=$(cpu_ticks "${PID[$name]}")
			read -r busy0 idle0 < <(machine_ticks)
			t0=$(date +%s%N)
			times >"$out.times0"
			# Started directly, not through perf, so that the PID is timeout's
			# own and stopping it stops its dnsperf.
			launch any "$out.a" timeout $((seconds + 30)) dnsperf "${perf_args[@]}"
			pa=$last_pid
			launch any "$out.b" timeout $((seconds + 30)) dnsperf -a 127.0.0.2 "${perf_args[@]}"
			pb=$last_pid
			wait "$pa"
			wait "$pb"
			times >"$out.times1"
			t1=$(date +%s%N)
			read -r busy1 idle1 < <(machine_ticks)
			after=$(cpu_ticks "${PID[$name]}")
			forget "$pa"
			forget "$pb"
			for c in a b; do
				grep -q 'Queries per second:' "$out.$c" ||
					{ sed 's/^/  | /' "$out.$c" >&2; die "workers = $n, $path: a dnsperf failed"; }
			done
			kill -0 "${PID[$name]}" 2>/dev/null || die "dnsgate (workers = $n) died during the $path run"
			threads=$(awk '/^Threads:/ { print $2 }' "/proc/${PID[$name]}/status")
			answers=$(($(field "$out.a" completed) + $(field "$out.b" completed)))
			WQ[$k]=$(awk -v a="$(field "$out.a" qps)" -v b="$(field "$out.b" qps)" 'BEGIN { printf "%.0f", a + b }')
			WCPU[$k]=$(per_query $((after - before)) "$answers")
			# times prints the shell's user and sys, then its children's.
			cli=$(cat "$out.times0" "$out.times1" | awk 'NR == 2 || NR == 4 {
				split($1, u, /[ms]/); split($2, s, /[ms]/)
				v = u[1] * 60 + u[2] + s[1] * 60 + s[2]; if (NR == 2) a = v; else b = v }
				END { printf "%.2f", b - a }')
			dg=$(awk -v t=$((after - before)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
			wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
			# Shares of all the cores' time over the run: dnsgate, the two
			# dnsperf, everything else on the machine, and idle.
			read -r "WIDLE[$k]" "WSHARE[$k]" < <(awk -v d="$dg" -v c="$cli" -v hz="$hz" \
				-v b=$((busy1 - busy0)) -v i=$((idle1 - idle0)) 'BEGIN {
				t = (b + i) / hz; if (t <= 0) t = 1
				o = b / hz - d - c; if (o < 0) o = 0
				printf "%.0f dnsgate %.0f%%, the two dnsperf %.0f%%, other processes %.0f%%, idle %.0f%%\n",
					i / hz * 100 / t, d * 100 / t, c * 100 / t, o * 100 / t, i / hz * 100 / t }')
			printf 'workers = %s, %-4s %8s qps in all (%.0f + %.0f; lost %s + %s), dnsgate %s us/query (%s s CPU, %s threads),\n' \
				"$n" "$path:" "${WQ[$k]}" "$(field "$out.a" qps)" "$(field "$out.b" qps)" \
				"$(field "$out.a" lost)" "$(field "$out.b" lost)" "${WCPU[$k]}" "$dg" "$threads"
			printf '   the two dnsperf %s s CPU (%s us/query); the %s cores over the %s s: %s\n' \
				"$cli" "$(per_query "$(awk -v c="$cli" -v hz="$hz" 'BEGIN { printf "%.0f", c * hz }')" "$answers")" \
				"$(nproc)" "$wall" "${WSHARE[$k]}"
			[ "$path" = deny ] && want=NXDOMAIN || want=NOERROR
			for c in a b; do
				rc=$(field "$out.$c" rcodes)
				case $rc in "$want "*"(100.00%)"*) ;; *) say "   note: client $c: answers: $rc (expected all $want)" ;; esac
			done
		done
		stop_one "${PID[$name]}"
	done
	for path in deny hit; do
		say "$path: workers 2/1: qps $(ratio "${WQ[$path/2]}" "${WQ[$path/1]}"), CPU/query $(ratio "${WCPU[$path/2]}" "${WCPU[$path/1]}")"
		target "workers $path: 2 workers ${WQ[$path/2]} qps > 1 worker ${WQ[$path/1]} qps (ratio $(ratio "${WQ[$path/2]}" "${WQ[$path/1]}"); CPU/query ${WCPU[$path/2]} vs ${WCPU[$path/1]} us)" \
			'b > a' a="${WQ[$path/1]}" b="${WQ[$path/2]}"
	done
	for path in deny hit; do
		if [ "${WIDLE[$path/2]}" -le 10 ]; then
			say "what limits $path: the cores, all busy with 2 workers: ${WSHARE[$path/2]}."
			say "   What the clients and other processes take, the second worker cannot have, so qps in all cannot double here."
		else
			say "what limits $path: not the cores alone, idle ${WIDLE[$path/2]}% with 2 workers: ${WSHARE[$path/2]};"
			say "   each dnsperf is one thread, and waits on its outstanding queries."
		fi
	done
fi

# ---------------------------------------------------------------- summary
say ""
say "== targets"
for line in "${summary[@]}"; do say "$line"; done
say ""
say "# elapsed: $(elapsed) s"
exit 0
