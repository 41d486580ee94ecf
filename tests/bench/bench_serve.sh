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
#   share of receiving and sending, which echo's figure shows alone.
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
# BENCH_ROUNDS (default 2; their product at most 12, to stay under 5
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
	die "SECONDS_PER_RUN between 1 and 12 (the whole run must stay under 5 minutes)"
fi
if [ $((seconds * rounds)) -gt 12 ]; then
	die "SECONDS_PER_RUN x BENCH_ROUNDS at most 12 (the whole run must stay under 5 minutes)"
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

# stop_one PID: TERM, KILL after 5 s, and forget it.
stop_one() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget "$pid"
}

# wait_ready NAME PID PORT LOG: until the server answers anything (3 s at most).
wait_ready() {
	local name=$1 pid=$2 port=$3 log=$4
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || { sed 's/^/  | /' "$log" >&2; die "$name exited at start"; }
		dig @127.0.0.1 -p "$port" +time=1 +tries=1 ready.example A >/dev/null 2>&1 && return 0
		sleep 0.1
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

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# field FILE WHAT: one figure of a dnsperf report.
field() {
	case $2 in
	qps) awk '/Queries per second:/ { print $4 }' "$1" ;;
	sent) awk '/Queries sent:/ { print $3 }' "$1" ;;
	completed) awk '/Queries completed:/ { print $3 }' "$1" ;;
	lost) awk '/Queries lost:/ { print $3 }' "$1" ;;
	mean_us) awk '/Average Latency \(s\):/ { printf "%.0f", $4 * 1e6 }' "$1" ;;
	rcodes) sed -n 's/^ *Response codes: *//p' "$1" ;;
	esac
}

# perf OUT CORE PORT FILE ARGS...: one dnsperf run, report in OUT.
perf() {
	local out=$1 core=$2 port=$3 file=$4
	shift 4
	local cmd=(timeout $((seconds + 30)) dnsperf -s 127.0.0.1 -p "$port" -d "$file" -t 2 "$@")
	if [ "$core" = any ]; then "${cmd[@]}" >"$out" 2>&1; else taskset -c "$core" "${cmd[@]}" >"$out" 2>&1; fi
	grep -q 'Queries per second:' "$out" || { sed 's/^/  | /' "$out" >&2; die "dnsperf failed against 127.0.0.1:$port"; }
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

declare -A PID PORT QPS LOST CPU RSS MEAN LMEAN P99 NOTE

# measure PATH SERVER FILE LATFILE LATQPS [ARGS...]: the load run (qps,
# CPU, loss, mean), then, the first time, the fixed-rate run (mean and
# p99), on SERVER. Called once a round: the round with the most qps is
# kept, for this machine's noise only ever slows a run down (the same
# binary swung by 15% from one run to the next).
measure() {
	local path=$1 s=$2 file=$3 latfile=$4 latqps=$5
	shift 5
	local pid=${PID[$s]} port=${PORT[$s]} k="$path/$s" before after answered rc want out qps
	out=$tmp/perf.$path.$s
	before=$(cpu_ticks "$pid")
	perf "$out" 1 "$port" "$file" -l "$seconds" -c "$clients" -q "$outstanding" "$@"
	after=$(cpu_ticks "$pid")
	kill -0 "$pid" 2>/dev/null || die "$s died during the $path run"
	answered=$(field "$out" completed)
	[ "${answered:-0}" -gt 0 ] || die "$s answered nothing on the $path path"
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
		[ "$path" = deny ] && want=NXDOMAIN || want=NOERROR
		rc=$(field "$out" rcodes)
		case $rc in "$want $answered (100.00%)"*) ;; *) NOTE[$k]="answers: $rc (expected all $want)" ;; esac
	fi
	if [ "$path" = miss ] && [ "$(field "$out" sent)" -ge "$miss_lines" ]; then
		NOTE[$k]="${NOTE[$k]:+${NOTE[$k]}; }miss file exhausted before the time limit"
	fi
	[ -n "${P99[$k]:-}" ] && return 0
	perf "$out.lat" 1 "$port" "$latfile" -l "$lat_seconds" -Q "$latqps" -c "$clients" -q "$outstanding" -v "$@"
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

# start_dnsgate NAME CORE CONF: PID and PORT of NAME set.
start_dnsgate() {
	local name=$1 core=$2 conf=$3 out
	out=$("$dnsgate" -c "$conf" --check 2>&1) || { say "$out" | sed 's/^/  | /' >&2; die "$name: dnsgate --check refused $conf"; }
	launch "$core" "$tmp/$name.log" "$dnsgate" -c "$conf"
	PID[$name]=$last_pid
	wait_ready "$name" "$last_pid" "${PORT[$name]}" "$tmp/$name.log"
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

# Warm the hit path: every h name once through each server.
for s in dnsgate dnsmasq unbound; do
	perf "$tmp/warm.$s" 1 "${PORT[$s]}" "$tmp/hit.txt" -n 1 -Q 5000 -c 1 -q 50
	[ "$(field "$tmp/warm.$s" completed)" = 1000 ] || die "$s: warming the hit names lost queries"
done

# And a 2 s deny run on each, thrown away: the first heavy run after the
# start was up to a quarter slower than the same run later (first touches
# of buffers, the CPU waking up), and it fell on whoever came first.
for s in echo dnsgate dnsmasq unbound; do
	perf "$tmp/warmup.$s" 1 "${PORT[$s]}" "$tmp/deny.txt" -l 2 -c "$clients" -q "$outstanding"
done

# ---------------------------------------------------------------- main paths
: >"$tmp/csv"
for _ in $(seq "$rounds"); do
	for s in echo dnsgate dnsmasq unbound; do measure deny "$s" "$tmp/deny.txt" "$tmp/deny.txt" "$lat_qps"; done
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
	for s in echo dnsgate dnsmasq unbound; do measure hit "$s" "$tmp/hit.txt" "$tmp/hit.txt" "$lat_qps"; done
done
print_table hit dnsgate echo dnsmasq unbound

# Each miss name is asked once, so the miss path has one round only.
for s in dnsgate dnsmasq unbound; do
	measure miss "$s" "$tmp/miss.txt" "$tmp/lat_miss.txt" "$lat_qps_miss" -n 1
done
print_table miss dnsgate dnsmasq unbound

for path in deny hit miss; do
	for s in dnsgate echo dnsmasq unbound; do
		[ -n "${QPS[$path/$s]:-}" ] && csv_row "$path" "$s"
	done
done
{
	say "date,path,server,qps,mean_us,p99_us,lost,cpu_us_per_query,rss_kib"
	cat "$tmp/csv"
} >"$csv" || die "cannot write $csv"
say ""
say "# wrote $csv (mean_us: full-load run; p99_us: fixed-rate run)"

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

# The main servers are done; what follows starts its own.
for s in echo dnsmasq unbound dnsgate; do stop_one "${PID[$s]}"; done

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
declare -A FILL0 FILL1
for s in dgfill ubfill; do
	FILL0[$s]=$(rss_kib "${PID[$s]}")
	perf "$tmp/fill.$s" 1 "${PORT[$s]}" "$tmp/fill.txt" -n 1 -Q 20000 -c "$clients" -q 100 -l 30
	answered=$(field "$tmp/fill.$s" completed)
	rc=$(field "$tmp/fill.$s" rcodes)
	[ "$answered" = 100000 ] || say "   note: $s: $answered of 100000 fill queries answered ($(field "$tmp/fill.$s" lost) lost)"
	case $rc in "NOERROR $answered (100.00%)"*) ;; *) say "   note: $s: fill answers: $rc" ;; esac
	FILL1[$s]=$(rss_kib "${PID[$s]}")
done
printf '100k fresh allowed names fed once each at 20000 qps to fresh instances (VmRSS, KiB):\n'
printf '  %-8s before %8s  after %8s  cost %8s\n' dnsgate "${FILL0[dgfill]}" "${FILL1[dgfill]}" $((FILL1[dgfill] - FILL0[dgfill]))
printf '  %-8s before %8s  after %8s  cost %8s\n' unbound "${FILL0[ubfill]}" "${FILL1[ubfill]}" $((FILL1[ubfill] - FILL0[ubfill]))
printf '  dnsgate/unbound after the fill: %s\n' "$(ratio "${FILL1[dgfill]}" "${FILL1[ubfill]}")"
target "100k cached: dnsgate RSS ${FILL1[dgfill]} KiB <= 1.5 x unbound ${FILL1[ubfill]} KiB (ratio $(ratio "${FILL1[dgfill]}" "${FILL1[ubfill]}"))" \
	'g <= 1.5 * u' g="${FILL1[dgfill]}" u="${FILL1[ubfill]}"
stop_one "${PID[dgfill]}"
stop_one "${PID[ubfill]}"

# ---------------------------------------------------------------- 100k allowlist
say ""
say "== 100k-entry allowlist (50k NAME, 50k *.NAME, plus *.allowed.test)"
awk 'BEGIN { print "# bench_serve: 100k entries"
	for (i = 0; i < 50000; i++) { printf "name%d.example.net\n", i; printf "*.zone%d.example.org\n", i }
	print "*.allowed.test" }' >"$tmp/big.zones"
PORT[dgbig]=$(free_port) || die "no free port"
dg_conf "$tmp/dgbig.conf" "${PORT[dgbig]}" "zones = $tmp/big.zones"
# Load time: a whole process that loads the list and decides one name;
# the best of 3, as a compiler on the other core can stall any one run.
load_ms=
for _ in 1 2 3; do
	t0=$(date +%s%N)
	timeout 20 "$dnsgate" -c "$tmp/dgbig.conf" explain h1.allowed.test >"$tmp/explain.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	[ "$rc" = 0 ] || { sed 's/^/  | /' "$tmp/explain.out" >&2; die "dnsgate explain h1.allowed.test with the 100k list: status $rc (0 = allowed)"; }
	ms=$(((t1 - t0) / 1000000))
	if [ -z "$load_ms" ] || [ "$ms" -lt "$load_ms" ]; then load_ms=$ms; fi
done
t0=$(date +%s%N)
timeout 20 "$dnsgate" -c "$tmp/dnsgate.conf" explain h1.allowed.test >/dev/null 2>&1
t1=$(date +%s%N)
printf 'load: dnsgate -c CONF explain h1.allowed.test: %s ms, best of 3 (one-entry list: %s ms)\n' \
	"$load_ms" $(((t1 - t0) / 1000000))
target "100k allowlist load ${load_ms} ms < 500 ms" 'l < 500' l="$load_ms"

start_dnsgate dgbig 0 "$tmp/dgbig.conf"
check_policy "dnsgate (100k list)" "${PORT[dgbig]}"
perf "$tmp/warm.dgbig" 1 "${PORT[dgbig]}" "$tmp/hit.txt" -n 1 -Q 5000 -c 1 -q 50
big_rss=$(rss_kib "${PID[dgbig]}")
for _ in $(seq "$rounds"); do
	for path in deny hit; do measure "$path" dgbig "$tmp/$path.txt" "$tmp/$path.txt" "$lat_qps"; done
done
say "dnsgate with the 100k list (VmRSS $big_rss KiB after loading), next to the main run (one entry):"
printf '  %-5s %12s %12s %6s   %12s %12s %6s\n' path qps_100k qps_main ratio cpu_us_100k cpu_us_main ratio
for path in deny hit; do
	printf '  %-5s %12.0f %12.0f %6s   %12s %12s %6s\n' "$path" "${QPS[$path/dgbig]}" "${QPS[$path/dnsgate]}" \
		"$(ratio "${QPS[$path/dgbig]}" "${QPS[$path/dnsgate]}")" "${CPU[$path/dgbig]}" "${CPU[$path/dnsgate]}" \
		"$(ratio "${CPU[$path/dgbig]}" "${CPU[$path/dnsgate]}")"
	[ -n "${NOTE[$path/dgbig]}" ] && say "  note: $path: ${NOTE[$path/dgbig]}"
	target "100k allowlist $path: qps $(printf %.0f "${QPS[$path/dgbig]}") >= 0.90 x main run $(printf %.0f "${QPS[$path/dnsgate]}") (CPU/query ${CPU[$path/dgbig]} vs ${CPU[$path/dnsgate]} us)" \
		'b >= 0.90 * m' b="${QPS[$path/dgbig]}" m="${QPS[$path/dnsgate]}"
done
# The 100k-list runs are not in the CSV: it holds the main paths only.
stop_one "${PID[dgbig]}"

# ---------------------------------------------------------------- workers
say ""
say "== workers (deny path; nothing pinned)"
say "   two dnsperf at once (from 127.0.0.1 and 127.0.0.2), each -c $clients -q $outstanding for ${seconds} s; qps in all = the sum of both."
say "   This machine has $(nproc) cores: the workers and the two dnsperf clients share them,"
say "   so 2 workers cannot double the rate; the figure shows whether the second one helps."
dg_conf "$tmp/w1.conf" 1 "allow = *.allowed.test" "workers = 1"
if ! "$dnsgate" -c "$tmp/w1.conf" --check >"$tmp/w1.check" 2>&1; then
	say "workers: not supported by this build ($(grep -m1 workers "$tmp/w1.check"))"
	summary+=("SKIP workers: not supported by this build")
else
	declare -A WQ
	for n in 1 2; do
		name=w$n
		PORT[$name]=$(free_port) || die "no free port"
		dg_conf "$tmp/$name.conf" "${PORT[$name]}" "allow = *.allowed.test" "workers = $n"
		start_dnsgate "$name" any "$tmp/$name.conf"
		# Started directly, not through perf, so that the PID is timeout's
		# own and stopping it stops its dnsperf.
		perf_args=(-s 127.0.0.1 -p "${PORT[$name]}" -d "$tmp/deny.txt" -t 2 -l "$seconds" -c "$clients" -q "$outstanding")
		launch any "$tmp/$name.a" timeout $((seconds + 30)) dnsperf "${perf_args[@]}"
		pa=$last_pid
		# dnsgate steers each client address to one worker (the tunnel
		# budget is per client), so the second client asks from another
		# address: 127.0.0.2 lands on the other worker of two.
		launch any "$tmp/$name.b" timeout $((seconds + 30)) dnsperf -a 127.0.0.2 "${perf_args[@]}"
		pb=$last_pid
		wait "$pa"
		wait "$pb"
		forget "$pa"
		forget "$pb"
		for c in a b; do
			grep -q 'Queries per second:' "$tmp/$name.$c" ||
				{ sed 's/^/  | /' "$tmp/$name.$c" >&2; die "workers = $n: a dnsperf failed"; }
		done
		kill -0 "${PID[$name]}" 2>/dev/null || die "dnsgate (workers = $n) died during the run"
		threads=$(awk '/^Threads:/ { print $2 }' "/proc/${PID[$name]}/status")
		kids=$(cat /proc/"${PID[$name]}"/task/*/children 2>/dev/null | wc -w)
		WQ[$n]=$(awk -v a="$(field "$tmp/$name.a" qps)" -v b="$(field "$tmp/$name.b" qps)" 'BEGIN { printf "%.0f", a + b }')
		printf 'workers = %s: %8s qps in all (%.0f + %.0f; lost %s + %s; %s threads, %s child processes)\n' \
			"$n" "${WQ[$n]}" "$(field "$tmp/$name.a" qps)" "$(field "$tmp/$name.b" qps)" \
			"$(field "$tmp/$name.a" lost)" "$(field "$tmp/$name.b" lost)" "$threads" "$kids"
		stop_one "${PID[$name]}"
	done
	say "workers 2/1: $(ratio "${WQ[2]}" "${WQ[1]}")"
	target "workers: 2 workers ${WQ[2]} qps > 1 worker ${WQ[1]} qps (ratio $(ratio "${WQ[2]}" "${WQ[1]}"))" \
		'b > a' a="${WQ[1]}" b="${WQ[2]}"
fi

# ---------------------------------------------------------------- summary
say ""
say "== targets"
for line in "${summary[@]}"; do say "$line"; done
say ""
say "# elapsed: $(elapsed) s"
exit 0
