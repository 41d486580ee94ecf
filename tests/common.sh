# shellcheck shell=bash
# common.sh: what the tests and the tools that start their own servers
# share (sourced, not run): free loopback ports, and stopping what they
# started, by PID.
#
# Two tests that ran at once could pick the same port: dnsgate's listeners
# set SO_REUSEPORT, so both would bind it, and the kernel would hand some
# of one test's queries to the other's daemon. So each port is claimed
# first, a folder of its own under $port_claims made with mkdir (atomic),
# holding the PID of the test that owns it; a claim whose test is gone is
# taken over. Ports come from 20000..31999, below the kernel's ephemeral
# range (32768 and up), so no socket bound to port 0 lands on one between
# the check and the bind.

port_claims=${TMPDIR:-/tmp}/dnsgate-test-ports

# free_port: print a claimed port no one has bound, UDP or TCP.
free_port() {
	local p owner
	mkdir -p "$port_claims" 2>/dev/null
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 12000))
		if ! mkdir "$port_claims/$p" 2>/dev/null; then
			owner=$(cat "$port_claims/$p/pid" 2>/dev/null) || continue
			kill -0 "$owner" 2>/dev/null && continue
			rm -rf "${port_claims:?}/$p"
			mkdir "$port_claims/$p" 2>/dev/null || continue
		fi
		echo $$ >"$port_claims/$p/pid"
		if ! ss -Hlnu "sport = :$p" 2>/dev/null | grep -q . &&
		   ! ss -Hlnt "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}

# release_ports: give back every port this test claimed.
release_ports() {
	local f
	for f in "$port_claims"/*/pid; do
		[ -f "$f" ] && [ "$(cat "$f" 2>/dev/null)" = "$$" ] && rm -rf "${f%/pid}"
	done
	return 0 # whoever owns the last claim, no failure (set -e, as above)
}

# stop_pids: stop every process in the array pids, TERM first, KILL after
# 5 s (times time_scale, tests/integration/lib.sh, when set: a daemon
# under memcheck checks for leaks as it exits), and empty it. One already gone is no failure (a script under set -e
# calls this from its EXIT trap, and must get through the whole list).
stop_pids() {
	local pid
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq $((50 * ${time_scale:-1}))); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	pids=()
}

# tool_setup NAME TOOL...: the start of a tool script (profile, soak,
# corpus): each TOOL installed, or exit 2 naming it; then an empty $tmp
# and pids, and on exit or INT/TERM every process in pids stopped, every
# claimed port released and $tmp removed.
tool_setup() {
	local name=$1 t
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$name: $t is not installed" >&2; exit 2; }
	done
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnsgate-$name.XXXXXX") || exit 2
	pids=()
	trap 'stop_pids; release_ports; rm -rf "$tmp"' EXIT
	trap 'exit 2' INT TERM
}
