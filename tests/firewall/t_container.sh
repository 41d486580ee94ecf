#!/usr/bin/env bash
# t_container: `dnsgate firewall --target container`, nft and iptables,
# applied in a sandbox network namespace and tested with real packets.
#
# Three namespaces this test creates (and deletes on exit, whatever happens),
# joined by veth pairs with test-only addresses; the router forwards:
#   sandbox  10.99.1.2    fd99:1::2    the rules under test go here
#   router   10.99.1.1    fd99:1::1    dnsgate on port 53 (these are its
#            10.99.2.1    fd99:2::1    listeners), ldns-testns upstream on
#                                      its own 127.0.0.1
#   outside  10.99.2.2    fd99:2::2    a rogue resolver (dnsmasq: every name
#                                      is 198.51.100.66) on 53/udp+tcp and a
#                                      TCP listener on 853
# In the sandbox, a second rogue dnsmasq on 127.0.0.11:5399 with a DNAT of
# 127.0.0.11:53 to it plays Docker's embedded resolver: only a match on the
# original destination port catches that path; and asked at 5399 directly
# (its real port, which the sandbox reads in /proc/net/udp), only a rule on
# 127.0.0.11 itself, whatever the port. Two more play it as it is
# with dns: set, forwarding from the sandbox (to dnsgate, to the rogue):
# with --docker-dns it is reached, and its forwarded queries meet the rules.
# For each backend: (a) the allowed name resolves through dnsgate, (b) every
# path to a rogue resolver fails (UDP 53, TCP 53, TCP 853, IPv4 and IPv6,
# the DNATed 127.0.0.11 and its real port), (c) with --redirect a query to
# the rogue address is answered by dnsgate under its policy, (d) applying
# twice leaves one copy and removing the rules restores what was there
# before, (e) with --docker-dns, 127.0.0.11 answers through dnsgate and
# nothing else, and not at all at its real port.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 dnsmasq nft iptables-restore ip6tables-restore "$DIG" "$LDNS_TESTNS"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

SB=dgfw-sb-$$
RT=dgfw-rt-$$
OUT=dgfw-out-$$
make_namespaces "$SB" "$RT" "$OUT"
# Probe both backends once in the sandbox, where nothing depends on them.
probe_backends "$SB"

sb() { ip netns exec "$SB" "$@"; }

# Topology. nodad: the IPv6 addresses are usable at once.
ip link add sb0 netns "$SB" type veth peer name rt0 netns "$RT" &&
ip link add rt1 netns "$RT" type veth peer name out0 netns "$OUT" || {
	echo "# cannot create veth pairs"; exit 99; }
addr "$SB" sb0 10.99.1.2/24 fd99:1::2/64 &&
addr "$RT" rt0 10.99.1.1/24 fd99:1::1/64 &&
addr "$RT" rt1 10.99.2.1/24 fd99:2::1/64 &&
addr "$OUT" out0 10.99.2.2/24 fd99:2::2/64 &&
ip -n "$SB" route add default via 10.99.1.1 &&
ip -n "$SB" -6 route add default via fd99:1::1 &&
ip -n "$OUT" route add default via 10.99.2.1 &&
ip -n "$OUT" -6 route add default via fd99:2::1 &&
ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1 &&
ip netns exec "$RT" sysctl -qw net.ipv6.conf.all.forwarding=1 || {
	echo "# cannot set up the topology"; exit 99; }

# The rogue resolvers and the DoT stand-in.
start_rogue "$OUT" 10.99.2.2 fd99:2::2
nsbg "$SB" "$tmp/rogue11.log" dnsmasq -k --conf-file=/dev/null --no-resolv \
	--no-hosts --user=root --group=root --pid-file="$tmp/rogue11.pid" \
	--bind-interfaces --listen-address=127.0.0.11 \
	--address=/#/198.51.100.66 --port=5399
# Docker's embedded resolver as it is when the container's dns: is set:
# forwarding to those servers from the container's own namespace. One whose
# dns: is dnsgate (5400), one whose dns: is the rogue (5401).
for fwd in 5400:10.99.1.1 5401:10.99.2.2; do
	nsbg "$SB" "$tmp/embedded${fwd%%:*}.log" dnsmasq -k --conf-file=/dev/null \
		--no-resolv --no-hosts --user=root --group=root \
		--pid-file="$tmp/embedded${fwd%%:*}.pid" --bind-interfaces \
		--listen-address=127.0.0.11 --port="${fwd%%:*}" --server="${fwd#*:}" \
		--cache-size=0
done

# dnsgate in the router, its upstream on the router's loopback.
start_resolver "$RT" 10.99.1.1 fd99:1::1
wait_until 5 bound "$OUT" u 10.99.2.2 53 && wait_until 5 bound "$OUT" t '*' 853 &&
	wait_until 5 bound "$SB" u 127.0.0.11 5399 &&
	wait_until 5 bound "$SB" u 127.0.0.11 5400 && wait_until 5 bound "$SB" u 127.0.0.11 5401 &&
	wait_until 5 grep -q "Listening on port" "$tmp/up.log" &&
	wait_until 5 grep -q "listening on" "$tmp/dnsgate.log" || {
	echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }

# Docker's embedded resolver, as its rules do it: 127.0.0.11:53 DNATed to
# the port the resolver really listens on (5399 unless given).
docker_sim() { # docker_sim add [PORT] | del
	local port=${2:-5399}
	if [ "$1" = add ]; then
		printf '%s\n' 'table ip dockersim {' \
			'chain output { type nat hook output priority -100; policy accept;' \
			"ip daddr 127.0.0.11 udp dport 53 dnat to 127.0.0.11:$port" \
			"ip daddr 127.0.0.11 tcp dport 53 dnat to 127.0.0.11:$port" '}' '}' |
			sb nft -f -
	else
		sb nft delete table ip dockersim
	fi
}

rogue=198.51.100.66
allowed=192.0.2.10

# a SERVER NAME [dig options]: what a query from the sandbox gets.
a() { dig_a sb "$@"; }
tcp_open() { tcp_connect sb "$@"; }

# Every path to a rogue resolver: PREFIX WANT (the answer every query gets).
rogue_paths() {
	local label=$1 want=$2 server open_want
	for server in 10.99.2.2 fd99:2::2; do
		is "$(a "$server" www.example.com)" "$want" "$label: UDP 53 to $server"
		is "$(a "$server" www.example.com +tcp)" "$want" "$label: TCP 53 to $server"
	done
	is "$(a 127.0.0.11 www.example.com)" "$want" "$label: UDP 127.0.0.11:53 (DNATed)"
	is "$(a 127.0.0.11 www.example.com +tcp)" "$want" "$label: TCP 127.0.0.11:53 (DNATed)"
	is "$(a 127.0.0.11 www.example.com -p 5399)" "$want" "$label: UDP 127.0.0.11:5399 (its real port)"
	is "$(a 127.0.0.11 www.example.com -p 5399 +tcp)" "$want" "$label: TCP 127.0.0.11:5399 (its real port)"
	[ "$want" = "$rogue" ] && open_want=0 || open_want=1
	for server in 10.99.2.2 fd99:2::2; do
		tcp_open "$server" 853
		[ $? = 0 ]
		is "$?" "$open_want" "$label: TCP 853 to $server $([ $open_want = 0 ] && echo connects || echo fails)"
	done
}

# The rules: gen ARGS... prints them for this configuration.
gen() {
	"$DNSGATE" -c "$tmp/dnsgate.conf" firewall "$@"
}

snapshot() { fw_snapshot "$SB"; }
apply() { fw_apply "$SB" "$@"; }
remove() { fw_remove "$SB" "$@"; }
copies() { fw_copies "$SB" "$@"; }

# Control: with no rules, the rogue resolvers answer (the test is real).
# First wait until every server answers (IPv6 neighbours, a slow start).
docker_sim add || { echo "# cannot add the Docker stand-in"; exit 99; }
answers() { [ "$(a "$1" www.example.com)" = "$2" ]; }
for s in 10.99.2.2 fd99:2::2 127.0.0.11; do
	wait_until 5 answers "$s" "$rogue" || echo "# $s does not answer yet"
done
for s in 10.99.1.1 fd99:1::1; do
	wait_until 5 answers "$s" "$allowed" || echo "# $s does not answer yet"
done
rogue_paths "no rules" "$rogue"
is "$(a 10.99.1.1 www.example.com)" "$allowed" "no rules: dnsgate answers the allowed name"
before=$(snapshot)

for backend in nft iptables; do
	# The generated text is what gets applied; keep it in the log.
	gen --"$backend" | sed 's/^/# /' | head -n 12

	apply "$backend"
	ok $? "$backend: the rules apply"
	once=$(snapshot)
	apply "$backend"
	ok $? "$backend: the rules apply a second time"
	is "$(snapshot)" "$once" "$backend: applying twice leaves the same rules"
	is "$(copies "$backend")" 1 "$backend: one copy (table or OUTPUT jump)"
	if [ "$backend" = iptables ]; then
		is "$(sb ip6tables -S OUTPUT | grep -c -- '-j DNSGATE')" 1 \
			"iptables: one ip6tables OUTPUT jump"
	fi

	# (a) the allowed name through dnsgate, both families, UDP and TCP.
	for server in 10.99.1.1 fd99:1::1; do
		is "$(a "$server" www.example.com)" "$allowed" "$backend: allowed name via dnsgate $server (UDP)"
		is "$(a "$server" www.example.com +tcp)" "$allowed" "$backend: allowed name via dnsgate $server (TCP)"
	done
	is "$(a 10.99.1.1 denied.example.org)" NXDOMAIN "$backend: dnsgate still denies a name not listed"
	# (b) every rogue path fails.
	rogue_paths "$backend" "no answer"

	# (d) removal restores reachability and the prior rules.
	remove "$backend"
	ok $? "$backend: the rules are removed as the header says"
	is "$(snapshot)" "$before" "$backend: removal restores the prior rules"
	rogue_paths "$backend removed" "$rogue"

	# (c) --redirect: the rogue addresses are answered by dnsgate. The
	# Docker stand-in is another nat chain at the same priority: whose
	# DNAT wins would be an accident of order, so it steps aside here.
	docker_sim del
	apply "$backend" --redirect
	ok $? "$backend --redirect: the rules apply"
	once=$(snapshot)
	apply "$backend" --redirect
	is "$(snapshot)" "$once" "$backend --redirect: applying twice leaves the same rules"
	for server in 10.99.2.2 fd99:2::2; do
		is "$(a "$server" www.example.com)" "$allowed" "$backend --redirect: UDP to $server answered by dnsgate with the upstream's data"
		is "$(a "$server" www.example.com +tcp)" "$allowed" "$backend --redirect: TCP to $server answered by dnsgate"
		is "$(a "$server" denied.example.org)" NXDOMAIN "$backend --redirect: a name not listed, sent to $server, is denied by dnsgate"
		tcp_open "$server" 853
		is "$?" 124 "$backend --redirect: TCP 853 to $server still fails"
	done
	is "$(a 10.99.1.1 www.example.com)" "$allowed" "$backend --redirect: dnsgate itself still answers"
	remove "$backend"
	ok $? "$backend --redirect: the rules are removed"
	docker_sim add
	is "$(snapshot)" "$before" "$backend --redirect: removal restores the prior rules"
	is "$(a 10.99.2.2 www.example.com)" "$rogue" "$backend --redirect removed: the rogue resolver answers again"

	# (e) --docker-dns: Docker's embedded resolver is reached, and is no
	# bypass: it forwards from this namespace, where only dnsgate is.
	for extra in "" --redirect; do
		label="$backend --docker-dns${extra:+ $extra}"
		docker_sim del
		docker_sim add 5400
		apply "$backend" --docker-dns $extra
		ok $? "$label: the rules apply"
		once=$(snapshot)
		apply "$backend" --docker-dns $extra
		is "$(snapshot)" "$once" "$label: applying twice leaves the same rules"
		is "$(a 127.0.0.11 www.example.com)" "$allowed" "$label: 127.0.0.11, dns: dnsgate, answers the allowed name (UDP)"
		is "$(a 127.0.0.11 www.example.com +tcp)" "$allowed" "$label: and over TCP"
		is "$(a 127.0.0.11 denied.example.org)" NXDOMAIN "$label: a name not listed, through 127.0.0.11, is denied by dnsgate"
		is "$(a 127.0.0.11 www.example.com -p 5400)" "no answer" "$label: 127.0.0.11 at its real port 5400, asked directly: nothing (UDP)"
		is "$(a 127.0.0.11 www.example.com -p 5400 +tcp)" "no answer" "$label: nor over TCP"
		docker_sim del
		docker_sim add 5401
		if [ -z "$extra" ]; then
			got=$(a 127.0.0.11 www.example.com)
			[ "$got" != "$rogue" ] && [ "$got" != "$allowed" ]
			ok $? "$label: 127.0.0.11 with dns: the rogue gets nothing from it ($got)"
			is "$(a 10.99.2.2 www.example.com)" "no answer" "$label: the rogue itself is still dropped"
		else
			is "$(a 127.0.0.11 www.example.com)" "$allowed" "$label: 127.0.0.11 with dns: the rogue is answered by dnsgate"
			is "$(a 127.0.0.11 denied.example.org)" NXDOMAIN "$label: under its policy"
		fi
		remove "$backend"
		ok $? "$label: the rules are removed"
		docker_sim del
		docker_sim add
		is "$(snapshot)" "$before" "$label: removal restores the prior rules"
	done
done

# The denied names above never reached the upstream.
is "$(grep -c 'denied.example.org' "$tmp/up.log")" 0 "no denied name reached the upstream"
done_testing
