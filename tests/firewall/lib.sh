# lib.sh: what the firewall tests share (sourced after
# tests/integration/lib.sh, whose TAP helpers, pids and stop_pids it uses).
# Namespaces made here are deleted on exit, whatever happens.

made=()
cleanup_ns() {
	local ns
	stop_pids
	release_ports
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
# PID), recorded for stop_pids.
nsbg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	pids+=("$!")
}
bound() { # bound NS PROTO(u|t) ADDR PORT
	ip netns exec "$1" ss -Hln"$2" "src $3:$4" 2>/dev/null | grep -q .
}

# The answers that tell who answered: the rogue's (start_rogue, to every
# name) and dnsgate's upstream's to www.example.com (basic.testns).
rogue=198.51.100.66
allowed=192.0.2.10

# start_rogue NS V4 V6: a rogue resolver (dnsmasq: every name is $rogue)
# on V4 and V6 port 53, and a DoT stand-in accepting TCP on 853, in NS.
start_rogue() {
	nsbg "$1" "$tmp/rogue.log" dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --user=root --group=root --pid-file="$tmp/rogue.pid" \
		--bind-interfaces --listen-address="$2" --listen-address="$3" \
		--address=/#/"$rogue" --port=53
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

# start_resolver NS V4 V6 [CONF]: in NS, an ldns-testns upstream
# (basic.testns) on its loopback and dnsgate on V4:53 and [V6]:53 forwarding
# to it, allowing www.example.com; CONF, more of its configuration (a
# group). Logs: $tmp/up.log, $tmp/dnsgate.log.
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
${4:-}
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
# RUN (a command prefix: the namespace, the user), one try of one second
# (times time_scale).
dig_a() {
	local run=$1 server=$2 name=$3
	shift 3
	$run "$DIG" @"$server" "$name" A "$(dig_time 1)" +tries=1 "$@" 2>&1 | dig_result
}
# tcp_connect RUN ADDR PORT: a TCP connection run by RUN succeeds in 2 s
# times time_scale (status 124 when it timed out).
tcp_connect() {
	$1 timeout $((2 * time_scale)) bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

# tcp_connect_from RUN SRC ADDR PORT: tcp_connect from the address SRC
# (empty: any), for a namespace in several networks, one of them under test.
tcp_connect_from() {
	[ -f "$tmp/connect.py" ] || cat >"$tmp/connect.py" <<'EOF'
import socket, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(2)
try:
    if src:
        s.bind((src, 0))
    s.connect((dst, port))
except OSError:
    sys.exit(1)
EOF
	$1 python3 "$tmp/connect.py" "$2" "$3" "$4"
}

# wait_servers NS V4: until the rogue in NS (start_rogue, V4 its IPv4
# address), the upstream ($tmp/up.log) and dnsgate ($tmp/dnsgate.log) all
# listen, so that a failure below is the rules' and not a slow start; one
# that does not ends the test, the logs shown.
wait_servers() {
	wait_until 5 bound "$1" u "$2" 53 && wait_until 5 bound "$1" t '*' 853 &&
		wait_until 5 grep -q "Listening on port" "$tmp/up.log" &&
		wait_until 5 grep -q "listening on" "$tmp/dnsgate.log" || {
		echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }
}

# await_answer RUN SERVER WANT [dig options]: until SERVER answers RUN's
# query for www.example.com with WANT (5 s at most: IPv6 neighbours, a slow
# start), so the control checks test the path, not the start; said if not.
await_answer() {
	wait_until 5 answer_is "$@" || echo "# $2 does not answer yet"
}
answer_is() { # answer_is RUN SERVER WANT [dig options]: await_answer's test
	[ "$(dig_a "$1" "$2" www.example.com "${@:4}")" = "$3" ]
}

# rogue_say: how check_rogue_paths words a path in its messages (@SRC@
# and @SERVER@ replaced); a test sets its own to keep its messages.
rogue_say='to @SERVER@'

# check_rogue_paths LABEL WANT RUN PATH...: whether RUN's namespace reaches
# the rogue resolver, the escape the rules exist to close: each PATH
# (SERVER, or SRC>SERVER: from RUN's address SRC) gets WANT on UDP and TCP
# 53, and TCP 853 connects exactly when WANT is the rogue's answer.
check_rogue_paths() {
	local label=$1 want=$2 run=$3 path src server say b open_want
	shift 3
	[ "$want" = "$rogue" ] && open_want=0 || open_want=1
	for path in "$@"; do
		server=${path#*>} src= b=()
		[ "$path" = "$server" ] || { src=${path%%>*}; b=(-b "$src"); }
		say=${rogue_say//@SRC@/$src}
		say=${say//@SERVER@/$server}
		is "$(dig_a "$run" "$server" www.example.com "${b[@]}")" "$want" \
			"$label: UDP 53 $say: $want"
		is "$(dig_a "$run" "$server" www.example.com +tcp "${b[@]}")" "$want" \
			"$label: TCP 53 $say: $want"
		tcp_connect_from "$run" "$src" "$server" 853
		is "$?" "$open_want" "$label: TCP 853 $say $([ $open_want = 0 ] && echo connects || echo fails)"
	done
}

# Forged sources (t_spoof, t_docker_user): what a sandbox with CAP_NET_RAW
# sends. The group whose clients forge_group_conf names is where a forged
# source buys a policy of its own: its names reach the upstream.
forge_count=3
forge_group_conf() { # forge_group_conf V4/LEN V6/LEN: for start_resolver
	printf '[group lab]\nclients = %s, %s\nallow = *.lab.example.com\n' "$1" "$2"
}
# forge_via: empty, a raw IP socket (through the sender's output hook); or
# "--packet IFACE MAC", an AF_PACKET frame (below it).
forge_via=

# count_sources NS SRC...: in NS, an nft counter of UDP port 53 from each
# SRC, before anything else there sees the packets; seen NS SRC reads it.
count_sources() {
	local ns=$1 src
	shift
	{
		echo 'table inet seen {'
		echo 'chain in { type filter hook prerouting priority raw; policy accept;'
		for src in "$@"; do
			case $src in
			*:*) echo "ip6 saddr $src udp dport 53 counter" ;;
			*) echo "ip saddr $src udp dport 53 counter" ;;
			esac
		done
		echo '}'
		echo '}'
	} | ip netns exec "$ns" nft -f - || { echo "# cannot count in $ns"; exit 99; }
}
seen() { # seen NS SRC
	ip netns exec "$1" nft list chain inet seen in | awk -v s="$2" '
		$2 == "saddr" && $3 == s { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
seen_at_least() { [ "$(seen "$1" "$2")" -ge "$3" ]; } # seen_at_least NS SRC N

# check_forged LABEL WANT RUN CASE...: each CASE, TAG:SRC>DST, sends
# forge_count queries for PHASE-TAG.lab.example.com (PHASE: LABEL made a
# DNS label) from the forged address SRC to DST, a dnsgate listener, port
# 53, from RUN's namespace; dnsgate's namespace, $DG, counts SRC
# (count_sources). Then RUN's own query to each DST, answered, shows that
# the forged ones are not still on their way. WANT all: each arrived in $DG
# and reached dnsgate (its query log) forge_count times, and a TAG starting
# grp (SRC in the lab group) reached the upstream; none: not one did. The
# figures go to the log.
check_forged() {
	local label=$1 want=$2 run=$3 phase case tag src dst name got up arrived
	local dsts=() counted=()
	shift 3
	phase=$(printf '%s' "$label" | tr -c 'a-z0-9' -)
	for case in "$@"; do
		tag=${case%%:*} src=${case#*:} dst=${case#*>}
		src=${src%%>*}
		counted+=("$(seen "$DG" "$src")")
		# shellcheck disable=SC2086
		$run python3 "$srcdir/tests/firewall/forge.py" --count "$forge_count" \
			$forge_via "$src" "$dst" "$phase-$tag.lab.example.com" >/dev/null 2>&1
		[[ " ${dsts[*]} " = *" $dst "* ]] || dsts+=("$dst")
	done
	for dst in "${dsts[@]}"; do
		is "$(dig_a "$run" "$dst" www.example.com)" "$allowed" \
			"$label: $run's own query to dnsgate at $dst answered"
	done
	for case in "$@"; do
		tag=${case%%:*} src=${case#*:}
		src=${src%%>*} name=$phase-$tag.lab.example.com
		if [ "$want" = all ]; then
			wait_until 5 log_has "$tmp/dnsgate.log" "\"name\":\"$name\"" "$forge_count"
			[[ $tag != grp* ]] || wait_until 5 log_has "$tmp/up.log" "$name" 1
		fi
		arrived=$(($(seen "$DG" "$src") - counted[0]))
		counted=("${counted[@]:1}")
		got=$(grep -c "\"name\":\"$name\"" "$tmp/dnsgate.log")
		up=$(grep -c "$name" "$tmp/up.log")
		echo "# $label: from $src ($tag): $forge_count forged, $arrived arrived, $got reached dnsgate, $up the upstream"
		if [ "$want" = all ]; then
			is "$arrived $got" "$forge_count $forge_count" "$label: forged $src ($tag) reaches dnsgate"
			[[ $tag != grp* ]] || { [ "$up" -ge 1 ]; ok $? "$label: and, as the lab group, the upstream"; }
		else
			is "$arrived $got $up" "0 0 0" "$label: forged $src ($tag) never reaches dnsgate"
		fi
	done
}

# The Docker host stand-in, for rules on a forward path (docker-user): four
# namespaces, the sandbox ($SB), dnsgate ($DG) and outside ($OUT) each
# linked to the router ($RT), which forwards. NET is the test's own network
# number (10.NET.x, fdNET:x::), so each test keeps the addresses its header
# documents:
#   sandbox  10.NET.1.2   fdNET:1::2   the client; default route via router
#   router   10.NET.1.1   fdNET:1::1   the Docker host, where the rules go:
#                                      on br-sb, a bridge named as Docker
#                                      names a network's (rt0 its port)
#            10.NET.5.1   fdNET:5::1   br-other: another Docker network
#                                      (a veth its port, the peer unused)
#            10.NET.2.1   fdNET:2::1
#            10.NET.3.1   fdNET:3::1
#   dnsgate  10.NET.3.2   fdNET:3::2   dnsgate on port 53, its upstream on
#                                      its 127.0.0.1 (start_resolver)
#   outside  10.NET.2.2   fdNET:2::2   the rogue (start_rogue)

# docker_host_namespaces TAG: the four namespaces, TAG$$-sb and so on, named
# per test and process so that no two runs share one.
docker_host_namespaces() {
	SB=$1$$-sb RT=$1$$-rt DG=$1$$-dg OUT=$1$$-out
	make_namespaces "$SB" "$RT" "$DG" "$OUT"
}
sb() { ip netns exec "$SB" "$@"; } # in the sandbox: the traffic under test
rt() { ip netns exec "$RT" "$@"; } # in the router: where the rules go

gw() { # gw NS V4 V6: default routes, for traffic the router forwards
	ip -n "$1" route add default via "$2" &&
	ip -n "$1" -6 route add default via "$3"
}

# docker_host_topology NET: the links, addresses and routes above; then
# net4 and net6 (10.NET, fdNET) build the test's addresses.
docker_host_topology() {
	net4=10.$1 net6=fd$1
	ip link add sb0 netns "$SB" type veth peer name rt0 netns "$RT" &&
	ip link add rt1 netns "$RT" type veth peer name out0 netns "$OUT" &&
	ip link add rt2 netns "$RT" type veth peer name dg0 netns "$DG" &&
	rt ip link add br-sb type bridge && rt ip link set rt0 master br-sb &&
	rt ip link set rt0 up && rt ip link add br-other type bridge &&
	rt ip link add other0 type veth peer name other1 &&
	rt ip link set other0 master br-other && rt ip link set other0 up &&
	rt ip link set other1 up || {
		echo "# cannot create the links"; exit 99; }
	addr "$SB" sb0 "$net4.1.2/24" "$net6:1::2/64" &&
	addr "$RT" br-sb "$net4.1.1/24" "$net6:1::1/64" &&
	addr "$RT" br-other "$net4.5.1/24" "$net6:5::1/64" &&
	addr "$RT" rt1 "$net4.2.1/24" "$net6:2::1/64" &&
	addr "$RT" rt2 "$net4.3.1/24" "$net6:3::1/64" &&
	addr "$OUT" out0 "$net4.2.2/24" "$net6:2::2/64" &&
	addr "$DG" dg0 "$net4.3.2/24" "$net6:3::2/64" &&
	gw "$SB" "$net4.1.1" "$net6:1::1" &&
	gw "$OUT" "$net4.2.1" "$net6:2::1" &&
	gw "$DG" "$net4.3.1" "$net6:3::1" &&
	rt sysctl -qw net.ipv4.ip_forward=1 &&
	rt sysctl -qw net.ipv6.conf.all.forwarding=1 || {
		echo "# cannot set up the topology"; exit 99; }
}

# docker_user_chain: Docker's part, which the docker-user rules only jump
# from: the DOCKER-USER chain, jumped to first from FORWARD, both families;
# and in raw PREROUTING, where the rules also jump from, what Docker 28
# puts there for a published port (8080 of the sandbox): no access to it
# but through its bridge.
docker_user_chain() {
	local ipt sb_addr=$net4.1.2/32
	for ipt in iptables ip6tables; do
		[ $ipt = ip6tables ] && sb_addr=$net6:1::2/128
		rt $ipt -N DOCKER-USER && rt $ipt -I FORWARD 1 -j DOCKER-USER &&
			rt $ipt -t raw -A PREROUTING -d "$sb_addr" ! -i br-sb -p tcp \
				-m tcp --dport 8080 -j DROP || {
			echo "# cannot create the DOCKER-USER stand-in"; exit 99; }
	done
}

# docker_host_servers [CONF]: the rogue outside and dnsgate in its
# namespace (start_rogue, start_resolver, given CONF), answering the sandbox
# before it returns, so the first checks test the paths.
docker_host_servers() {
	start_rogue "$OUT" "$net4.2.2" "$net6:2::2"
	start_resolver "$DG" "$net4.3.2" "$net6:3::2" "${1:-}"
	wait_servers "$OUT" "$net4.2.2"
	await_answer sb "$net4.2.2" "$rogue" -b "$net4.1.2"
	await_answer sb "$net6:2::2" "$rogue" -b "$net6:1::2"
	await_answer sb "$net4.3.2" "$allowed" -b "$net4.1.2"
	await_answer sb "$net6:3::2" "$allowed" -b "$net6:1::2"
}

# sandbox_rogue_paths LABEL WANT SRC...: check_rogue_paths from each of the
# sandbox's addresses SRC to the rogue's address of its family.
sandbox_rogue_paths() {
	local label=$1 want=$2 src paths=()
	shift 2
	for src in "$@"; do
		case $src in
		*:*) paths+=("$src>$net6:2::2") ;;
		*) paths+=("$src>$net4.2.2") ;;
		esac
	done
	check_rogue_paths "$label" "$want" sb "${paths[@]}"
}

# sandbox_via_dnsgate LABEL: that the rules leave the sandbox its resolver:
# the allowed name through dnsgate, forwarded, both families, UDP and TCP;
# a name not listed is still denied.
sandbox_via_dnsgate() {
	local label=$1 src server
	for server in "$net4.3.2" "$net6:3::2"; do
		case $server in *:*) src=$net6:1::2 ;; *) src=$net4.1.2 ;; esac
		is "$(dig_a sb "$server" www.example.com -b "$src")" "$allowed" \
			"$label: allowed name via dnsgate $server (UDP)"
		is "$(dig_a sb "$server" www.example.com +tcp -b "$src")" "$allowed" \
			"$label: allowed name via dnsgate $server (TCP)"
	done
	is "$(dig_a sb "$net4.3.2" denied.example.org -b "$net4.1.2")" NXDOMAIN \
		"$label: dnsgate still denies a name not listed"
}


# fw_snapshot NS: the firewall of NS, to compare: the nft tables (but the
# iptables-nft ones, which stay behind empty once created), every nft rule,
# and every iptables rule and chain of ours or Docker's, without counters.
fw_snapshot() {
	ip netns exec "$1" nft list tables 2>/dev/null | grep -v '^table ip6\? \(filter\|nat\|raw\)$'
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

# unit_command UNIT KEY INSTANCE CONF: the shell script of the systemd unit
# file UNIT's KEY (`/bin/sh -c '...'`), as systemd passes it ($$ and %%
# unescaped, %i the instance, \\ one backslash, a leading - dropped),
# with this build's dnsgate ($DNSGATE), CONF as its configuration and
# the nft on PATH.
unit_command() {
	sed -n "s/^$2=//p" "$1" | paste -sd' ' |
		sed -e "s/^-//; s|^/bin/sh -c '||; s|'\$||" \
			-e 's/\$\$/$/g; s/%%/%/g' -e "s/%i/$3/g" -e 's/\\\\/\\/g' \
			-e "s|/usr/local/sbin/dnsgate|$DNSGATE|g" \
			-e "s|/usr/local/etc/dnsgate/dnsgate.conf|$4|g" \
			-e "s|/usr/sbin/nft|nft|g"
}
