# lib.sh: what the firewall tests share (sourced after
# tests/integration/lib.sh, whose TAP helpers, pids and stop_all it uses).
# Namespaces made here are deleted on exit, whatever happens.

made=()
cleanup_ns() {
	local ns
	stop_all
	for ns in "${made[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup_ns EXIT
trap 'exit 130' INT TERM HUP

# make_namespaces NS...: each with lo up; skip the test where this host
# cannot make them.
make_namespaces() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns" 2>/dev/null || skip_all "cannot create a network namespace"
		made+=("$ns")
		ip netns exec "$ns" ip link set lo up || skip_all "cannot bring up lo in a namespace"
	done
}

# probe_backends NS: nft and iptables both work in NS, or the test skips.
probe_backends() {
	ip netns exec "$1" nft list ruleset >/dev/null 2>&1 || skip_all "nft does not work here"
	ip netns exec "$1" iptables -S >/dev/null 2>&1 &&
		ip netns exec "$1" ip6tables -S >/dev/null 2>&1 || skip_all "iptables does not work here"
	echo "# iptables: $(iptables -V)"
}

addr() { # addr NS DEV V4/LEN V6/LEN; nodad: the IPv6 address is usable at once
	ip -n "$1" addr add "$3" dev "$2" &&
	ip -n "$1" addr add "$4" dev "$2" nodad &&
	ip -n "$1" link set "$2" up
}

# nsbg NS LOG COMMAND...: start COMMAND in NS (ip exec()s it, so $! is its
# PID), recorded for stop_all.
nsbg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	pids+=("$!")
}
bound() { # bound NS PROTO(u|t) ADDR PORT
	ip netns exec "$1" ss -Hln"$2" "src $3:$4" 2>/dev/null | grep -q .
}

# start_rogue NS V4 V6: a rogue resolver (dnsmasq: every name is
# 198.51.100.66) on V4 and V6 port 53, and a DoT stand-in accepting TCP
# on 853, in NS.
start_rogue() {
	nsbg "$1" "$tmp/rogue.log" dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --user=root --group=root --pid-file="$tmp/rogue.pid" \
		--bind-interfaces --listen-address="$2" --listen-address="$3" \
		--address=/#/198.51.100.66 --port=53
	start_tcp_listener "$1" 853
}

# start_tcp_listener NS PORT: in NS, accept TCP connections on [::]:PORT
# (IPv4 too) and close them. Log: $tmp/tcpPORT.log.
start_tcp_listener() {
	cat >"$tmp/tcp_listener.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1])))
s.listen(16)
while True:
    s.accept()[0].close()
PY
	nsbg "$1" "$tmp/tcp$2.log" python3 "$tmp/tcp_listener.py" "$2"
}

# start_resolver NS V4 V6: in NS, an ldns-testns upstream (basic.testns) on
# its loopback and dnsgate on V4:53 and [V6]:53 forwarding to it, allowing
# www.example.com. Logs: $tmp/up.log, $tmp/dnsgate.log.
start_resolver() {
	local up_port=5300
	nsbg "$1" "$tmp/up.log" stdbuf -oL "$LDNS_TESTNS" -v -p "$up_port" \
		"$srcdir/tests/integration/data/basic.testns"
	cat >"$tmp/dnsgate.conf" <<EOC
[server]
listen = $2:53, [$3]:53
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = www.example.com
EOC
	nsbg "$1" "$tmp/dnsgate.log" "$DNSGATE" -c "$tmp/dnsgate.conf"
}

# dig_result: what the dig output on stdin says: its A records, sorted and
# space separated, its status when not NOERROR, or "no answer".
dig_result() {
	local out
	out=$(cat)
	if printf '%s\n' "$out" | grep -q 'status: NOERROR'; then
		printf '%s\n' "$out" | awk '$4 == "A" { print $5 }' | sort | paste -sd' '
	elif printf '%s\n' "$out" | grep -q 'status:'; then
		printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
	else
		echo "no answer"
	fi
}

# dig_a RUN SERVER NAME [dig options]: the dig_result of an A query run by
# RUN (a command prefix: the namespace, the user), one try of one second.
dig_a() {
	local run=$1 server=$2 name=$3
	shift 3
	$run "$DIG" @"$server" "$name" A +time=1 +tries=1 "$@" 2>&1 | dig_result
}
# tcp_connect RUN ADDR PORT: a TCP connection run by RUN succeeds in 2 s
# (status 124 when it timed out).
tcp_connect() {
	$1 timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

# fw_snapshot NS: the firewall of NS, to compare: the nft tables (but the
# iptables-nft ones, which stay behind empty once created), every nft rule,
# and every iptables rule and chain of ours or Docker's, without counters.
fw_snapshot() {
	ip netns exec "$1" nft list tables 2>/dev/null | grep -v '^table ip6\? \(filter\|nat\)$'
	# (nft warns on iptables-nft's tables, and cannot show its xt DNAT.)
	ip netns exec "$1" nft list ruleset 2>/dev/null |
		grep -Ev '^[[:space:]]*(table|chain|type|}|$)' |
		sed 's/packets [0-9]* bytes [0-9]*//'
	{ ip netns exec "$1" iptables-save; ip netns exec "$1" ip6tables-save; } 2>/dev/null |
		grep -E '^(-A|:DNSGATE|:DOCKER)' | sed 's/ \[[0-9]*:[0-9]*\]$//'
}

# The output-path targets (container, host), applied and removed as their
# header says. `gen ARGS...` (the test's own) prints the rules.
# fw_apply NS nft|iptables [GEN OPTIONS...]: with --redirect among them,
# the nat chain too.
fw_apply() {
	local ns=$1 backend=$2 nat= ipt tbl
	shift 2
	case " $* " in *" --redirect "*) nat=nat ;; esac
	if [ "$backend" = nft ]; then
		gen --nft "$@" | ip netns exec "$ns" nft -f -
		return
	fi
	gen --iptables --family 4 "$@" | ip netns exec "$ns" iptables-restore --noflush || return 1
	gen --iptables --family 6 "$@" | ip netns exec "$ns" ip6tables-restore --noflush || return 1
	for ipt in iptables ip6tables; do
		for tbl in filter $nat; do
			ip netns exec "$ns" $ipt -t "$tbl" -C OUTPUT -j DNSGATE 2>/dev/null ||
				ip netns exec "$ns" $ipt -t "$tbl" -I OUTPUT 1 -j DNSGATE || return 1
		done
	done
}
# fw_remove NS nft|iptables
fw_remove() {
	local ns=$1 ipt tbl
	if [ "$2" = nft ]; then
		ip netns exec "$ns" nft delete table inet dnsgate
		return
	fi
	for ipt in iptables ip6tables; do
		for tbl in filter nat; do
			ip netns exec "$ns" $ipt -t "$tbl" -S DNSGATE >/dev/null 2>&1 || continue
			ip netns exec "$ns" $ipt -t "$tbl" -D OUTPUT -j DNSGATE &&
				ip netns exec "$ns" $ipt -t "$tbl" -F DNSGATE &&
				ip netns exec "$ns" $ipt -t "$tbl" -X DNSGATE || return 1
		done
	done
}
# fw_copies NS nft|iptables: how many tables, or OUTPUT jumps, hold the rules.
fw_copies() {
	if [ "$2" = nft ]; then
		ip netns exec "$1" nft list tables | grep -c 'inet dnsgate'
	else
		ip netns exec "$1" iptables -S OUTPUT | grep -c -- '-j DNSGATE'
	fi
}
