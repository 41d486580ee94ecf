#!/usr/bin/env bash
# t_docker_user: `dnsgate firewall --target docker-user`, nft and iptables,
# applied on a router's forward path (the Docker host) and tested with real
# packets from a sandbox whose traffic that router forwards.
#
# Four namespaces this test creates (and deletes on exit, whatever happens),
# joined by veth pairs with test-only addresses; the router forwards:
#   sandbox  10.98.1.2    fd98:1::2    the client; default route via router.
#            10.98.4.2    fd98:4::2    also: a source in a subnet NOT given
#                                      with --subnet (a second subnet of the
#                                      same Docker network)
#   router   10.98.1.1    fd98:1::1    the Docker host: the rules under test
#            10.98.4.1    fd98:4::1    go here, on its forward path; these on
#                                      br-sb, the sandbox's bridge
#            10.98.5.1    fd98:5::1    br-other, another Docker network
#            10.98.2.1    fd98:2::1    iptables a DOCKER-USER chain jumped
#            10.98.3.1    fd98:3::1    from FORWARD stands in for Docker's
#   dnsgate  10.98.3.2    fd98:3::2    dnsgate on port 53 (its listeners),
#                                      ldns-testns upstream on its 127.0.0.1;
#                                      br-other's subnets are its group lab
#   outside  10.98.2.2    fd98:2::2    a rogue resolver (dnsmasq: every name
#                                      is 198.51.100.66) on 53/udp+tcp and a
#                                      TCP listener on 853
# For each backend, with --subnet 10.98.1.0/24 --subnet fd98:1::/64: the
# allowed name resolves through dnsgate (forwarded); every path from the
# listed subnets to the rogue fails, IPv4 and IPv6; the unlisted subnet
# still reaches the rogue; applying twice leaves one copy; removal restores
# the prior rules and the rogue path.
# Forged sources (forge.py in the sandbox: raw IP socket, and one AF_PACKET
# frame): one outside every subnet (10.55.0.1, fd55::1) and one of
# br-other's (10.98.5.9, fd98:5::9, dnsgate's group lab) reach dnsgate and
# the rogue with no rules, and neither with the rules: the router drops,
# before routing, what it would not route back through the bridge it came
# from. A forged neighbour's address on the sandbox's own bridge (10.98.1.77,
# fd98:1::77) still reaches dnsgate: the limit of any rule on the host,
# which the test states.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 dnsmasq nft iptables iptables-restore ip6tables-restore "$DIG" "$LDNS_TESTNS"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

docker_host_namespaces dgdu
# Probe both backends once in the router, before anything depends on them.
probe_backends "$RT"

# Topology (lib.sh), and the sandbox's second, unlisted subnet.
docker_host_topology 98
addr "$SB" sb0 10.98.4.2/24 fd98:4::2/64 &&
addr "$RT" br-sb 10.98.4.1/24 fd98:4::1/64 || {
	echo "# cannot set up the topology"; exit 99; }
docker_user_chain

# The rogue resolver and the DoT stand-in outside; dnsgate in its own
# namespace, reached through the router, its upstream on that namespace's
# loopback.
docker_host_servers "$(forge_group_conf 10.98.5.0/24 fd98:5::/64)"
# The rogue paths' messages name the source: this sandbox has two subnets.
rogue_say='from @SRC@ to @SERVER@'

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
		rt $ipt -t raw -C PREROUTING -j DNSGATE-USER 2>/dev/null ||
			rt $ipt -t raw -I PREROUTING 1 -j DNSGATE-USER || return 1
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
		rt $ipt -t raw -D PREROUTING -j DNSGATE-USER &&
			rt $ipt -t raw -F DNSGATE-USER && rt $ipt -t raw -X DNSGATE-USER &&
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

# Forged sources. To dnsgate: check_forged (lib.sh). To the rogue, the
# escape itself: its namespace counts them too.
forged=(out4:10.55.0.1\>10.98.3.2 grp4:10.98.5.9\>10.98.3.2
	out6:fd55::1\>fd98:3::2 grp6:fd98:5::9\>fd98:3::2)
neighbour=(same4:10.98.1.77\>10.98.3.2 same6:fd98:1::77\>fd98:3::2)
rogue_srcs=(10.55.0.1 10.98.5.9 fd55::1 fd98:5::9)
count_sources "$DG" "${rogue_srcs[@]}" 10.98.1.77 fd98:1::77
count_sources "$OUT" "${rogue_srcs[@]}"
# forged_at_rogue LABEL WANT: from each source the rogue counts, forged
# queries to it; WANT (0, or forge_count) of each arrive. With 0, the
# unlisted subnet's own queries, which the rules let through, go after
# them: when they are answered, the forged ones are not on their way.
forged_at_rogue() {
	local label=$1 want=$2 src dst i got counted=()
	for i in "${!rogue_srcs[@]}"; do
		src=${rogue_srcs[$i]}
		counted[i]=$(seen "$OUT" "$src")
		case $src in *:*) dst=fd98:2::2 ;; *) dst=10.98.2.2 ;; esac
		sb python3 "$srcdir/tests/firewall/forge.py" --count "$forge_count" \
			"$src" "$dst" rogue.example.org >/dev/null 2>&1
	done
	if [ "$want" = 0 ]; then
		dig_a sb 10.98.2.2 www.example.com -b 10.98.4.2 >/dev/null
		dig_a sb fd98:2::2 www.example.com -b fd98:4::2 >/dev/null
	fi
	for i in "${!rogue_srcs[@]}"; do
		src=${rogue_srcs[$i]}
		[ "$want" = 0 ] || wait_until 5 seen_at_least "$OUT" "$src" $((counted[i] + want))
		got=$(($(seen "$OUT" "$src") - counted[i]))
		echo "# $label: from $src to the rogue: $forge_count forged, $got arrived"
		is "$got" "$want" "$label: forged $src to the rogue: $want arrive"
	done
}
mac=$(rt ip link show br-sb | awk '/link\/ether/ { print $2 }')

# Control: with no rules, the rogue answers from every source (the test is
# real), and forged sources reach dnsgate and the rogue.
sandbox_rogue_paths "no rules" "$rogue" 10.98.1.2 fd98:1::2
sandbox_via_dnsgate "no rules"
check_forged "no rules" all sb "${forged[@]}" "${neighbour[@]}"
forged_at_rogue "no rules" "$forge_count"
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
		is "$({ rt iptables -t raw -S DNSGATE-USER; rt iptables -S DNSGATE-USER; } | grep -c -- '^-A')" \
			"$(gen --iptables --family 4 | grep -c -- '^-A')" \
			"iptables: DNSGATE-USER (filter and raw) holds one copy of the rules"
		is "$(rt iptables -t raw -S PREROUTING | grep -c -- '-j DNSGATE-USER')" 1 \
			"iptables: one raw PREROUTING jump"
	fi

	sandbox_via_dnsgate "$backend"
	sandbox_rogue_paths "$backend" "no answer" 10.98.1.2 fd98:1::2
	# Scoped to --subnet: another network's traffic is not touched.
	sandbox_rogue_paths "$backend, unlisted subnet" "$rogue" 10.98.4.2 fd98:4::2

	# Forged sources: not to dnsgate, not to the rogue, not even as a
	# frame (AF_PACKET) that no rule in the sandbox would have seen.
	check_forged "$backend" none sb "${forged[@]}"
	forged_at_rogue "$backend" 0
	forge_via="--packet sb0 $mac"
	check_forged "$backend AF_PACKET" none sb out4:10.55.0.1\>10.98.3.2 grp6:fd98:5::9\>fd98:3::2
	forge_via=
	check_forged "$backend, a neighbour on the bridge (the limit)" all sb "${neighbour[@]}"

	remove "$backend"
	ok $? "$backend: the rules are removed as the header says"
	is "$(snapshot)" "$before" "$backend: removal restores the prior rules"
	sandbox_rogue_paths "$backend removed" "$rogue" 10.98.1.2 fd98:1::2
done

# The denied names above never reached the upstream.
is "$(grep -c 'denied.example.org' "$tmp/up.log")" 0 "no denied name reached the upstream"
done_testing
