# lib.sh: shared by the integration tests (sourced, not run).
#
# Each test starts its own upstream (ldns-testns on a canned data file) and
# its own dnsgate, on free ports of 127.0.0.1 (and ::1), queries them with
# real clients, prints TAP, and on exit stops exactly the processes it
# started, by PID. Every wait and loop is bounded in tries and time.

set -u

n=0
failed=0
pids=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnsgate-test.XXXXXX") || exit 99
DIG=${DIG:-dig}
KDIG=${KDIG:-kdig}
DRILL=${DRILL:-drill}
LDNS_TESTNS=${LDNS_TESTNS:-ldns-testns}

# Memory bounds are a plain build's; under a sanitizer (redzones, a
# quarantine of freed blocks) or memcheck the same work takes a few times
# more, so a test multiplies its bounds by this.
memory_scale=1
[ -n "${DG_INSTRUMENTED:-}" ] && memory_scale=4

# Wall-clock bounds (how long to wait for a state, how soon an answer must
# come, how long a client waits before giving up) are a plain build's too.
# Under ASan/UBSan the daemon runs about 2-3 times slower (a shadow check on
# every access, checks on every call, freed blocks quarantined): 3 keeps a
# plain build's margin. Under memcheck (DG_INSTRUMENTED=memcheck, set by
# `make check-valgrind`) code runs 20-50 times slower, translated and every
# bit's definedness tracked; but the daemon spends the tests mostly waiting
# on sockets and its start (valgrind itself, then ldns and libuv) dominates
# its first second, so 20 covers it, and a larger factor would only make a
# failing wait slower to report. DG_TIME_SCALE overrides both. Figures that
# are the property under test (a TTL, an idle timeout, a rate window) are
# never scaled; bounds around them are.
case ${DG_INSTRUMENTED:-} in
'') time_scale=1 ;;
memcheck) time_scale=20 ;;
*) time_scale=3 ;;
esac
DG_TIME_SCALE=${DG_TIME_SCALE:-$time_scale}
time_scale=$DG_TIME_SCALE
export DG_TIME_SCALE # the tests' Python helpers scale their timeouts by it

ok() { # ok STATUS MESSAGE: STATUS 0 passes
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

is() { # is GOT WANT MESSAGE
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

like() { # like TEXT REGEX MESSAGE
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '%s\n' "$1" | sed 's/^/#   /' | head -n 30
		printf '#   wanted a match for: %s\n' "$2"
	fi
}

skip_all() { # skip_all REASON: the whole test skips (TAP plan 0)
	echo "1..0 # SKIP $1"
	exit 0
}

need() { # need TOOL...: skip when a client or server is missing
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
	done
}

# What in a log is a bug whatever the checks said: the daemon's own
# complaint at exit (daemon.c), a sanitizer's report, or memcheck's
# (tests/valgrind/dnsgate-memcheck.sh, whose errors and definite leaks go
# to the daemon's log, each line after valgrind's ==PID== prefix).
report_pattern='left open|did not close|ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:'
report_pattern+='|==[0-9]+== +(Invalid (read|write|free)|Mismatched free|Conditional jump|Use of uninitialised|Syscall param|Source and destination overlap|.* are definitely lost in loss record)'

# check_reports: one TAP line, failing when a log of this test ($tmp/*.log:
# every daemon's, and start_dnsgate keeps those of earlier daemons) holds
# a report. Whatever still runs is stopped first, so that what a process
# writes as it exits (LeakSanitizer, memcheck's leak check) is read too.
check_reports() {
	local f found=()
	stop_pids
	for f in "$tmp"/*.log; do
		[ -f "$f" ] && grep -Eq -- "$report_pattern" "$f" && found+=("$f")
	done
	if [ "${#found[@]}" = 0 ]; then
		ok 0 "no sanitizer, memcheck or open-handle report in the logs"
		return
	fi
	ok 1 "no sanitizer, memcheck or open-handle report in the logs"
	for f in "${found[@]}"; do
		echo "#   in ${f##*/}:"
		grep -E -m 3 -A 12 -- "$report_pattern" "$f" | head -n 45 | sed 's/^/#     /'
	done
}

# done_testing: the reports check, the plan, and the status.
done_testing() {
	check_reports
	echo "1..$n"
	[ "$failed" = 0 ]
}

. "$srcdir/tests/common.sh"

cleanup() {
	stop_pids
	release_ports
	rm -rf "$tmp"
}
trap cleanup EXIT

# start_upstream NAME DATAFILE [ARGS...]: ldns-testns on a free port; sets
# NAME_port. Extra ARGS go to ldns-testns (e.g. -6 for ::1).
# Its log (stdout, line-buffered) is $tmp/NAME.log: one "query N:" line per
# query received, which the tests count and grep.
start_upstream() {
	local name=$1 data=$2 port pid i
	shift 2
	port=$(free_port) || exit 99
	stdbuf -oL "$LDNS_TESTNS" -v -p "$port" "$@" "$data" >"$tmp/$name.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	eval "${name}_pid=$pid ${name}_port=$port"
	for i in $(seq $((50 * time_scale))); do
		grep -q "Listening on port" "$tmp/$name.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# $name did not start:"; sed 's/^/#   /' "$tmp/$name.log"
	exit 99
}

# start_blackhole NAME: an upstream on a free port (NAME_port) that reads
# every UDP query and answers none. $tmp/NAME.log has a "query HEX" line
# per query received (HEX: its bytes past the header).
start_blackhole() {
	local name=$1 port
	port=$(free_port) || exit 99
	cat >"$tmp/blackhole.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "w", buffering=1) as log:
    log.write("ready\n")
    while True:
        log.write("query %s\n" % s.recv(4096)[12:].hex())
PY
	: >"$tmp/$name.log"
	python3 "$tmp/blackhole.py" "$port" "$tmp/$name.log" &
	pids+=($!)
	eval "${name}_port=$port"
	wait_until 5 log_has "$tmp/$name.log" "^ready" 1 || exit 99
}

# start_dnsgate ARGS...: dnsgate on a free port (DG_PORT) with extra args,
# e.g. --upstream 127.0.0.1:$up_port --allow '*.example.com'. In ARGS,
# @DG_PORT@ stands for that port (e.g. --listen '[::1]:@DG_PORT@').
# Its log is $tmp/dnsgate.log; an earlier daemon's is moved aside
# (dnsgate.N.log), not overwritten, so check_reports still reads it.
dg_starts=0
start_dnsgate() {
	if [ -e "$tmp/dnsgate.log" ]; then
		dg_starts=$((dg_starts + 1))
		mv "$tmp/dnsgate.log" "$tmp/dnsgate.$dg_starts.log"
	fi
	DG_PORT=$(free_port) || exit 99
	"$DNSGATE" --listen "127.0.0.1:$DG_PORT" "${@//@DG_PORT@/$DG_PORT}" >"$tmp/dnsgate.log" 2>&1 &
	DG_PID=$!
	pids+=("$DG_PID")
	wait_listening "$DG_PID" "$tmp/dnsgate.log"
}

# wait_listening PID LOG: until the dnsgate PID logs that it listens (5 s
# at most, times time_scale); a dnsgate that died or never got there ends
# the test.
wait_listening() {
	local i
	for i in $(seq $((50 * time_scale))); do
		grep -q "listening on" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	echo "# dnsgate did not start:"; sed 's/^/#   /' "$2"
	exit 99
}

# q ARGS...: dig at dnsgate, one try, two seconds (times time_scale). A
# later +time= in ARGS wins: scale it with dig_time.
q() {
	"$DIG" @127.0.0.1 -p "$DG_PORT" +time=$((2 * time_scale)) +tries=1 "$@"
}

# dig_time SECONDS: a dig +time= option for a client that must outwait the
# daemon (not one whose giving up is the point), scaled by time_scale.
dig_time() {
	echo "+time=$(($1 * time_scale))"
}

# Upstream queries seen for NAME (a dotted name with its final dot).
upstream_count() { # upstream_count LOGNAME QNAME
	grep -c "^query [0-9]*: id [0-9]*: [A-Z]* [0-9]* bytes: $2" "$tmp/$1.log"
}

# Upstream queries seen for NAME and TYPE exactly (over UDP or TCP).
upstream_count_type() { # upstream_count_type LOGNAME QNAME TYPE
	local name=${2//./\\.}
	grep -c "^query [0-9]*: id [0-9]*: [A-Z]* [0-9]* bytes: $name	IN	$3\$" "$tmp/$1.log"
}

# The transports of the upstream queries for NAME and TYPE, in order,
# space separated, e.g. "UDP TCP".
upstream_transports() { # upstream_transports LOGNAME QNAME TYPE
	local name=${2//./\\.}
	grep "^query [0-9]*: id [0-9]*: [A-Z]* [0-9]* bytes: $name	IN	$3\$" "$tmp/$1.log" |
		awk '{ printf "%s%s", (NR > 1 ? " " : ""), $5 } END { print "" }'
}

# scaled_ms MS [CAP]: a bound of MS milliseconds on how long something
# takes, times time_scale, but below CAP when given: the figure the check
# is about (a configured timeout, an upstream's delay), which no build may
# reach.
scaled_ms() {
	local ms=$(($1 * time_scale))
	[ $# -ge 2 ] && [ "$ms" -gt "$2" ] && ms=$2
	echo "$ms"
}

# Milliseconds since the epoch, to time an answer.
now_ms() {
	date +%s%3N
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds,
# at most SECONDS times time_scale; the status is COMMAND's last.
wait_until() {
	local tries=$(($1 * 10 * time_scale)) i
	shift
	for i in $(seq "$tries"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# The process PID has exited (with wait_until).
gone() { # gone PID
	! kill -0 "$1" 2>/dev/null
}

# The number of lines of FILE that match REGEX is at least N.
log_has() { # log_has FILE REGEX N
	[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ]
}

# The upstream NAME has finished with every query it received (answered it,
# after any sleep=, or found no entry for it). With wait_until, to let a
# sleeping ldns-testns (one query at a time) wake before asking it more.
upstream_idle() { # upstream_idle NAME
	local queries done_
	queries=$(grep -c '^query [0-9]*:' "$tmp/$1.log")
	done_=$(grep -c '^Answer packet size\|^no answer packet' "$tmp/$1.log")
	[ "$queries" -le "$done_" ]
}

# http_get PORT PATH: "STATUS BODY" of GET PATH on 127.0.0.1:PORT (the
# metrics listener), or "timeout" when nothing answers within 2 s (times
# time_scale). Plain bash, no curl: cheap enough to poll with.
http_get() {
	local resp rc
	resp=$(exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
		timeout $((2 * time_scale)) cat <&3)
	rc=$?
	if [ "$rc" = 124 ]; then
		echo timeout
		return
	fi
	resp=${resp//$'\r'/}
	printf '%s %s\n' "$(sed -n '1s/^HTTP\/1\.1 \([0-9]*\) .*/\1/p' <<<"$resp")" \
		"${resp#*$'\n\n'}"
}

# hup: one SIGHUP to the dnsgate started with --pidfile "$tmp/dnsgate.pid",
# and wait until it has said how the reload went.
hup() {
	local before
	before=$(grep -c "dnsgate: reload" "$tmp/dnsgate.log")
	kill -HUP "$(cat "$tmp/dnsgate.pid")"
	wait_until 3 eval '[ "$(grep -c "dnsgate: reload" "$tmp/dnsgate.log")" -gt "$before" ]'
}

# The daemon still answers, and stops cleanly (exit 0: every handle closed
# and uv_loop_close() succeeded) when asked. Ends every test.
check_alive_and_stop() { # [STATUS_REGEX]: what a name off the list gets
	local out rc i
	out=$(q alive.check.invalid A)
	like "$out" "status: (${1:-NXDOMAIN|REFUSED})" "dnsgate still answers after the test"
	kill -TERM "$DG_PID"
	for i in $(seq $((50 * time_scale))); do
		kill -0 "$DG_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$DG_PID"
	rc=$?
	is "$rc" 0 "dnsgate exits 0 on SIGTERM, every handle closed"
	# Its log is read for reports by done_testing (check_reports).
}
