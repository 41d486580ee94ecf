#!/usr/bin/env bash
# t_docker_user: `dnsgate firewall --target docker-user`, nft and iptables,
# applied on a router's forward path (the Docker host) and tested with real
# packets from a sandbox whose traffic that router forwards.
#
# Four namespaces this test creates (and deletes on exit, whatever happens),
# joined by veth pairs with test-only addresses; the router forwards:
#   sandbox  10.98.1.2    fd98:1::2    the client; default route via router.
#            10.98.4.2    fd98:4::2    also: a source in a subnet NOT given
#                                      with --subnet (another Docker network)
#   router   10.98.1.1    fd98:1::1    the Docker host: the rules under test
#            10.98.4.1    fd98:4::1    go here, on its forward path; for
#            10.98.2.1    fd98:2::1    iptables a DOCKER-USER chain jumped
#            10.98.3.1    fd98:3::1    from FORWARD stands in for Docker's
#   dnsgate  10.98.3.2    fd98:3::2    dnsgate on port 53 (its listeners),
#                                      ldns-testns upstream on its 127.0.0.1
#   outside  10.98.2.2    fd98:2::2    a rogue resolver (dnsmasq: every name
#                                      is 198.51.100.66) on 53/udp+tcp and a
#                                      TCP listener on 853
# For each backend, with --subnet 10.98.1.0/24 --subnet fd98:1::/64: the
# allowed name resolves through dnsgate (forwarded); every path from the
# listed subnets to the rogue fails, IPv4 and IPv6; the unlisted subnet
# still reaches the rogue; applying twice leaves one copy; removal restores
# the prior rules and the rogue path.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 dnsmasq nft iptables iptables-restore ip6tables-restore "$DIG" "$LDNS_TESTNS"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

SB=dgdu$$-sb
RT=dgdu$$-rt
DG=dgdu$$-dg
OUT=dgdu$$-out
make_namespaces "$SB" "$RT" "$DG" "$OUT"
# Probe both backends once in the router, before anything depends on them.
probe_backends "$RT"

sb() { ip netns exec "$SB" "$@"; }
rt() { ip netns exec "$RT" "$@"; }

# Topology. nodad: the IPv6 addresses are usable at once.
ip link add sb0 netns "$SB" type veth peer name rt0 netns "$RT" &&
ip link add rt1 netns "$RT" type veth peer name out0 netns "$OUT" &&
ip link add rt2 netns "$RT" type veth peer name dg0 netns "$DG" || {
	echo "# cannot create veth pairs"; exit 99; }
gw() { # gw NS V4 V6: default routes
	ip -n "$1" route add default via "$2" &&
	ip -n "$1" -6 route add default via "$3"
}
addr "$SB" sb0 10.98.1.2/24 fd98:1::2/64 &&
addr "$SB" sb0 10.98.4.2/24 fd98:4::2/64 &&
addr "$RT" rt0 10.98.1.1/24 fd98:1::1/64 &&
addr "$RT" rt0 10.98.4.1/24 fd98:4::1/64 &&
addr "$RT" rt1 10.98.2.1/24 fd98:2::1/64 &&
addr "$RT" rt2 10.98.3.1/24 fd98:3::1/64 &&
addr "$OUT" out0 10.98.2.2/24 fd98:2::2/64 &&
addr "$DG" dg0 10.98.3.2/24 fd98:3::2/64 &&
gw "$SB" 10.98.1.1 fd98:1::1 &&
gw "$OUT" 10.98.2.1 fd98:2::1 &&
gw "$DG" 10.98.3.1 fd98:3::1 &&
rt sysctl -qw net.ipv4.ip_forward=1 &&
rt sysctl -qw net.ipv6.conf.all.forwarding=1 || {
	echo "# cannot set up the topology"; exit 99; }

# Docker's part, for iptables: the DOCKER-USER chain, jumped to first from
# FORWARD (Docker creates both; the rules only ever jump from it).
for ipt in iptables ip6tables; do
	rt $ipt -N DOCKER-USER && rt $ipt -I FORWARD 1 -j DOCKER-USER || {
		echo "# cannot create the DOCKER-USER stand-in"; exit 99; }
done

# The rogue resolver and the DoT stand-in.
start_rogue "$OUT" 10.98.2.2 fd98:2::2
# connect.py SRC DST PORT: exit 0 when a TCP connection from SRC succeeds
# within 2 seconds, 1 otherwise.
cat >"$tmp/connect.py" <<'EOF'
import socket, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(2)
try:
    s.bind((src, 0))
    s.connect((dst, port))
except OSError:
    sys.exit(1)
EOF

# dnsgate in its own namespace, reached through the router; its upstream on
# that namespace's loopback.
start_resolver "$DG" 10.98.3.2 fd98:3::2
wait_until 5 bound "$OUT" u 10.98.2.2 53 && wait_until 5 bound "$OUT" t '*' 853 &&
	wait_until 5 grep -q "Listening on port" "$tmp/up.log" &&
	wait_until 5 grep -q "listening on" "$tmp/dnsgate.log" || {
	echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }

rogue=198.51.100.66
allowed=192.0.2.10

# a SRC SERVER NAME [dig options]: the A records (or the status) a query
# from the sandbox's address SRC gets, one try of one second.
a() {
	local src=$1
	shift
	dig_a sb "$@" -b "$src"
}
# tcp_open SRC DST PORT: a TCP connection from the sandbox's SRC succeeds.
tcp_open() {
	sb python3 "$tmp/connect.py" "$@"
}

# rogue_paths LABEL WANT SRC4 SRC6: every path to the rogue resolver from
# these sources gets WANT (the answer to every query).
rogue_paths() {
	local label=$1 want=$2 src4=$3 src6=$4 src server open_want
	[ "$want" = "$rogue" ] && open_want=0 || open_want=1
	for server in 10.98.2.2 fd98:2::2; do
		case $server in *:*) src=$src6 ;; *) src=$src4 ;; esac
		is "$(a "$src" "$server" www.example.com)" "$want" \
			"$label: UDP 53 from $src to $server: $want"
		is "$(a "$src" "$server" www.example.com +tcp)" "$want" \
			"$label: TCP 53 from $src to $server: $want"
		tcp_open "$src" "$server" 853
		is "$?" "$open_want" "$label: TCP 853 from $src to $server $([ $open_want = 0 ] && echo connects || echo fails)"
	done
}
# via_dnsgate LABEL: the allowed name through dnsgate, forwarded, both
# families, UDP and TCP; a name not listed is still denied.
via_dnsgate() {
	local label=$1 src server
	for server in 10.98.3.2 fd98:3::2; do
		case $server in *:*) src=fd98:1::2 ;; *) src=10.98.1.2 ;; esac
		is "$(a "$src" "$server" www.example.com)" "$allowed" \
			"$label: allowed name via dnsgate $server (UDP)"
		is "$(a "$src" "$server" www.example.com +tcp)" "$allowed" \
			"$label: allowed name via dnsgate $server (TCP)"
	done
	is "$(a 10.98.1.2 10.98.3.2 denied.example.org)" NXDOMAIN \
		"$label: dnsgate still denies a name not listed"
}

# The rules: gen ARGS... prints them for this configuration.
gen() {
	"$DNSGATE" -c "$tmp/dnsgate.conf" firewall --target docker-user \
		--subnet 10.98.1.0/24 --subnet fd98:1::/64 "$@"
}

snapshot() { fw_snapshot "$RT"; }

# apply nft|iptables: as the generated header says.
apply() {
	local ipt
	if [ "$1" = nft ]; then
		gen --nft | rt nft -f -
		return
	fi
	gen --iptables --family 4 | rt iptables-restore --noflush || return 1
	gen --iptables --family 6 | rt ip6tables-restore --noflush || return 1
	for ipt in iptables ip6tables; do
		rt $ipt -C DOCKER-USER -j DNSGATE-USER 2>/dev/null ||
			rt $ipt -I DOCKER-USER 1 -j DNSGATE-USER || return 1
	done
}
# remove nft|iptables: as the generated header says.
remove() {
	local ipt
	if [ "$1" = nft ]; then
		rt nft delete table inet dnsgate_docker
		return
	fi
	for ipt in iptables ip6tables; do
		rt $ipt -D DOCKER-USER -j DNSGATE-USER &&
			rt $ipt -F DNSGATE-USER && rt $ipt -X DNSGATE-USER || return 1
	done
}
# copies nft|iptables: how many tables, or jumps from DOCKER-USER (both
# families), hold the rules.
copies() {
	if [ "$1" = nft ]; then
		rt nft list tables | grep -c 'inet dnsgate_docker'
	else
		{ rt iptables -S DOCKER-USER; rt ip6tables -S DOCKER-USER; } |
			grep -c -- '-j DNSGATE-USER'
	fi
}

# Control: with no rules, the rogue answers from every source (the test is
# real). First wait until every server answers (IPv6 neighbours, a slow
# start).
answers() { [ "$(a "$1" "$2" www.example.com)" = "$3" ]; }
wait_until 5 answers 10.98.1.2 10.98.2.2 "$rogue" || echo "# 10.98.2.2 does not answer yet"
wait_until 5 answers fd98:1::2 fd98:2::2 "$rogue" || echo "# fd98:2::2 does not answer yet"
wait_until 5 answers 10.98.1.2 10.98.3.2 "$allowed" || echo "# 10.98.3.2 does not answer yet"
wait_until 5 answers fd98:1::2 fd98:3::2 "$allowed" || echo "# fd98:3::2 does not answer yet"
rogue_paths "no rules" "$rogue" 10.98.1.2 fd98:1::2
via_dnsgate "no rules"
before=$(snapshot)

for backend in nft iptables; do
	# The generated text is what gets applied; keep it in the log.
	gen --"$backend" | sed 's/^/# /' | head -n 24

	apply "$backend"
	ok $? "$backend: the rules apply"
	once=$(snapshot)
	[ "$once" != "$before" ] && printf '%s\n' "$once" | grep -q 10.98.1.0/24
	ok $? "$backend: the rules show in the router's ruleset"
	apply "$backend"
	ok $? "$backend: the rules apply a second time"
	is "$(snapshot)" "$once" "$backend: applying twice leaves the same rules"
	if [ "$backend" = nft ]; then
		is "$(copies nft)" 1 "nft: one dnsgate_docker table"
	else
		is "$(copies iptables)" 2 "iptables: one DOCKER-USER jump per family"
		is "$(rt iptables -S DNSGATE-USER | grep -c -- '^-A')" \
			"$(gen --iptables --family 4 | grep -c -- '^-A')" \
			"iptables: DNSGATE-USER holds one copy of the rules"
	fi

	via_dnsgate "$backend"
	rogue_paths "$backend" "no answer" 10.98.1.2 fd98:1::2
	# Scoped to --subnet: another network's traffic is not touched.
	rogue_paths "$backend, unlisted subnet" "$rogue" 10.98.4.2 fd98:4::2

	remove "$backend"
	ok $? "$backend: the rules are removed as the header says"
	is "$(snapshot)" "$before" "$backend: removal restores the prior rules"
	rogue_paths "$backend removed" "$rogue" 10.98.1.2 fd98:1::2
done

# The denied names above never reached the upstream.
is "$(grep -c 'denied.example.org' "$tmp/up.log")" 0 "no denied name reached the upstream"
done_testing
