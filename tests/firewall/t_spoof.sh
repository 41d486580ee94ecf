#!/usr/bin/env bash
# t_spoof: the container rules drop forged sources. A sandbox with CAP_NET_RAW
# (Docker's default) writes any source address into its packets, and
# dnsgate's budgets and [group] clients key on that address; the rules let
# only the sandbox's own addresses leave. Real packets, nft and iptables.
#
# Two namespaces this test creates (and deletes on exit, whatever happens),
# joined by a veth pair with test-only addresses:
#   sandbox  10.97.1.2    fd97:1::2    the rules under test go here; it sends
#                                      with forge.py (raw IP socket, header
#                                      included: the source is ours to write)
#   dnsgate  10.97.1.1    fd97:1::1    dnsgate on port 53 (these are its
#                                      listeners), ldns-testns upstream on
#                                      its own 127.0.0.1; its group lab is
#                                      10.97.2.0/24 and fd97:2::/64, which
#                                      may ask *.lab.example.com
# Forged sources: another address of the sandbox's subnet (10.97.1.77,
# fd97:1::77), one outside it (10.55.0.1, fd55::1) and one of the lab group
# (10.97.2.5, fd97:2::5). With no rules each reaches dnsgate (the lab one
# the upstream too): the test is real. With the rules of each backend none
# does, while the sandbox's own queries (UDP and TCP, both families), its
# loopback, neighbour discovery and DAD (from ::) still work; removing the
# rules restores the prior state. An AF_PACKET frame leaves below netfilter:
# what it does is only reported (dropping NET_RAW, or the docker-user rules
# on the host, stop it; t_docker_user checks the latter).
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 nft iptables-restore ip6tables-restore "$DIG" "$LDNS_TESTNS"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

SB=dgsp$$-sb
DG=dgsp$$-dg
make_namespaces "$SB" "$DG"
probe_backends "$SB"
sb() { ip netns exec "$SB" "$@"; }

ip link add sb0 netns "$SB" type veth peer name dg0 netns "$DG" || {
	echo "# cannot create the veth pair"; exit 99; }
# dnsgate's default route leads its answers to forged sources somewhere.
addr "$SB" sb0 10.97.1.2/24 fd97:1::2/64 &&
addr "$DG" dg0 10.97.1.1/24 fd97:1::1/64 &&
ip -n "$SB" route add default via 10.97.1.1 &&
ip -n "$SB" -6 route add default via fd97:1::1 &&
ip -n "$DG" route add default via 10.97.1.2 &&
ip -n "$DG" -6 route add default via fd97:1::2 || {
	echo "# cannot set up the topology"; exit 99; }

start_resolver "$DG" 10.97.1.1 fd97:1::1 "$(forge_group_conf 10.97.2.0/24 fd97:2::/64)"
# A local service in the sandbox, for its loopback.
start_tcp_listener "$SB" 8053
wait_until 5 grep -q "Listening on port" "$tmp/up.log" &&
	wait_until 5 grep -q "listening on" "$tmp/dnsgate.log" &&
	wait_until 5 bound "$SB" t '*' 8053 || {
	echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }
await_answer sb 10.97.1.1 "$allowed"
await_answer sb fd97:1::1 "$allowed"

gen() { "$DNSGATE" -c "$tmp/dnsgate.conf" firewall "$@"; }
cases=(same4:10.97.1.77\>10.97.1.1 out4:10.55.0.1\>10.97.1.1
	grp4:10.97.2.5\>10.97.1.1 same6:fd97:1::77\>fd97:1::1
	out6:fd55::1\>fd97:1::1 grp6:fd97:2::5\>fd97:1::1)
count_sources "$DG" 10.97.1.77 10.55.0.1 10.97.2.5 fd97:1::77 fd55::1 fd97:2::5

# dad_detects LABEL: an address dnsgate's side holds already, added in the
# sandbox, fails DAD: its neighbour solicitation from :: went out.
dad_failed() { ip -n "$SB" -6 addr show dev sb0 | grep -q 'fd97:1::99/64.*dadfailed'; }
dad_detects() {
	ip -n "$DG" addr add fd97:1::99/64 dev dg0 nodad &&
		ip -n "$SB" addr add fd97:1::99/64 dev sb0 || { ok 1 "$1: DAD set-up"; return; }
	wait_until 5 dad_failed
	ok $? "$1: DAD (from ::) still finds a duplicate address"
	ip -n "$SB" addr del fd97:1::99/64 dev sb0
	ip -n "$DG" addr del fd97:1::99/64 dev dg0
}

# Control: with no rules, every forged source reaches dnsgate.
check_forged "no rules" all sb "${cases[@]}"
dad_detects "no rules"
before=$(fw_snapshot "$SB")
mac=$(ip -n "$DG" link show dg0 | awk '/link\/ether/ { print $2 }')

for backend in nft iptables; do
	gen --"$backend" | grep -E 'fib|addrtype|ipv6-icmp|icmpv6 type' | sed 's/^/# /'
	fw_apply "$SB" "$backend"
	ok $? "$backend: the rules apply"
	once=$(fw_snapshot "$SB")
	fw_apply "$SB" "$backend"
	is "$(fw_snapshot "$SB")" "$once" "$backend: applying twice leaves the same rules"

	check_forged "$backend" none sb "${cases[@]}"
	# What the sandbox does of its own still works: TCP to dnsgate, its
	# loopback, and, neighbours forgotten, neighbour discovery.
	is "$(dig_a sb 10.97.1.1 www.example.com +tcp)" "$allowed" "$backend: TCP to dnsgate (IPv4)"
	is "$(dig_a sb fd97:1::1 www.example.com +tcp)" "$allowed" "$backend: TCP to dnsgate (IPv6)"
	tcp_connect sb 127.0.0.1 8053
	ok $? "$backend: the sandbox's loopback, IPv4"
	tcp_connect sb ::1 8053
	ok $? "$backend: and IPv6"
	ip -n "$SB" neigh flush all
	is "$(dig_a sb fd97:1::1 www.example.com)" "$allowed" "$backend: neighbours forgotten, IPv6 found again"
	is "$(dig_a sb 10.97.1.1 www.example.com)" "$allowed" "$backend: and IPv4"
	dad_detects "$backend"

	# Below netfilter: reported, not required (see the header).
	pkt_before=$(seen "$DG" 10.55.0.1)
	sb python3 "$srcdir/tests/firewall/forge.py" --count "$forge_count" --packet sb0 "$mac" \
		10.55.0.1 10.97.1.1 "$backend-pkt4.lab.example.com" >/dev/null 2>&1
	dig_a sb 10.97.1.1 www.example.com >/dev/null
	echo "# $backend: AF_PACKET from 10.55.0.1: $forge_count sent, $(($(seen "$DG" 10.55.0.1) - pkt_before)) arrived (below netfilter: drop NET_RAW)"

	fw_remove "$SB" "$backend"
	ok $? "$backend: the rules are removed as the header says"
	is "$(fw_snapshot "$SB")" "$before" "$backend: removal restores the prior rules"
	check_forged "$backend removed" all sb same4:10.97.1.77\>10.97.1.1 same6:fd97:1::77\>fd97:1::1
done

is "$(dig_a sb 10.97.1.1 www.example.com)" "$allowed" "dnsgate still answers"
done_testing
