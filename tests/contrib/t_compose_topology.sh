#!/usr/bin/env bash
# t_compose_topology: contrib/docker-compose.yml's topology rebuilt in network
# namespaces, with its dnsgate configuration and the container rules applied
# as its netguard applies them, tested with real packets (and IPv6, which
# the real Docker test, tests/docker/t_docker_compose.sh, does not reach).
#
# Five namespaces this test creates (and deletes on exit, whatever happens):
#   host     a bridge with no address: the compose file's internal network
#            (nothing on it routes out)
#   dnsgate  on the bridge at the compose file's fixed address, running
#            contrib/compose/dnsgate.conf with only its upstream rewritten;
#            10.94.2.2 on its second network (egress); it does not route
#   up       10.94.2.1: the upstream (ldns-testns, port 53), reachable only
#            over dnsgate's egress network
#   agent    netguard's namespace, where the agent runs: on the bridge at
#            another address of the compose subnet, default
#            route via dnsgate; /etc/resolv.conf from the compose dns: (through
#            ip netns exec's /etc/netns/NAME, made here and removed on exit);
#            10.94.3.2, fd94:3::2 on a second link, an escape path to:
#   outside  10.94.3.1, fd94:3::1: a rogue resolver (dnsmasq: every name is
#            198.51.100.66) on 53/udp+tcp and a TCP listener on 853
# Shown: the allowed name resolves through resolv.conf, i.e. dnsgate; a name
# not listed gets NXDOMAIN; the agent never reaches the upstream itself;
# the rogue answers before the container rules and is unreachable after
# them on UDP/TCP 53 and TCP 853, IPv4 and IPv6.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 dnsmasq nft nsenter sleep "$DIG" "$LDNS_TESTNS"
python3 -c 'import yaml' 2>/dev/null || skip_all "python3 has no yaml module"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

HOST=dgct$$-host
DG=dgct$$-dg
UP=dgct$$-up
AG=dgct$$-ag
OUT=dgct$$-out
etc_netns=/etc/netns/$AG
made_etc_netns=
# Besides the namespaces: the agent's resolv.conf folder, whatever happens.
cleanup_all() {
	cleanup_ns
	rm -rf "$etc_netns"
	[ -z "$made_etc_netns" ] || rmdir /etc/netns 2>/dev/null
}
trap cleanup_all EXIT

# The compose file's plan: what the test builds, read from it.
dc=$srcdir/contrib/docker-compose.yml
compose() { # compose EXPR: EXPR (Python) on the compose file as c
	python3 -c 'import ipaddress, sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$dc" "$1"
}
# The agent joins netguard's namespace: its network and dns: are netguard's.
net=$(compose "c['services']['netguard']['networks'][0]")
dg_ip=$(compose "c['services']['dnsgate']['networks']['$net']['ipv4_address']")
prefix=$(compose "ipaddress.ip_network(c['networks']['$net']['ipam']['config'][0]['subnet']).prefixlen")
# The agent: the first address Docker would hand out (after the gateway's).
ag_ip=$(compose "[str(h) for h in list(ipaddress.ip_network(c['networks']['$net']['ipam']['config'][0]['subnet']).hosts())[1:3] if str(h) != '$dg_ip'][0]")
dns=$(compose "c['services']['netguard']['dns']")
conf=$srcdir/contrib/$(compose "[v.split(':')[0] for v in c['services']['dnsgate']['volumes'] if v.split(':')[1] == '/etc/dnsgate/dnsgate.conf'][0]")
[ -n "$dg_ip" ] && [ -n "$ag_ip" ] && [ -n "$dns" ] && [ -f "$conf" ] || {
	echo "# cannot read the plan from $dc"; exit 99; }
echo "# compose: network $net/$prefix, dnsgate $dg_ip, agent $ag_ip, dns $dns"
# The command netguard runs, which this test runs in the agent's stead.
guard=$(compose "c['services']['netguard']['command'][0]")
like "$guard" 'dnsgate -c /etc/dnsgate/dnsgate.conf firewall --nft --target container' \
	"compose: netguard prints the rules from dnsgate's configuration"
like "$guard" '\| nft -f - \|\| exit 1;' "compose: netguard applies them in its namespace, or stops"

make_namespaces "$HOST" "$DG" "$UP" "$AG" "$OUT"
ip netns exec "$AG" nft list ruleset >/dev/null 2>&1 || skip_all "nft does not work here"

ag() { ip netns exec "$AG" "$@"; }

# Topology. nodad: the IPv6 addresses are usable at once.
ip -n "$HOST" link add br0 type bridge &&
ip -n "$HOST" link set br0 up &&
ip link add ag0 netns "$AG" type veth peer name hag netns "$HOST" &&
ip link add dg0 netns "$DG" type veth peer name hdg netns "$HOST" &&
ip link add dg1 netns "$DG" type veth peer name up0 netns "$UP" &&
ip link add ag1 netns "$AG" type veth peer name out0 netns "$OUT" || {
	echo "# cannot create the links"; exit 99; }
for port in hag hdg; do
	ip -n "$HOST" link set "$port" master br0 && ip -n "$HOST" link set "$port" up || {
		echo "# cannot attach $port to the bridge"; exit 99; }
done
ip -n "$AG" addr add "$ag_ip/$prefix" dev ag0 && ip -n "$AG" link set ag0 up &&
ip -n "$DG" addr add "$dg_ip/$prefix" dev dg0 && ip -n "$DG" link set dg0 up &&
ip -n "$DG" addr add 10.94.2.2/24 dev dg1 && ip -n "$DG" link set dg1 up &&
ip -n "$UP" addr add 10.94.2.1/24 dev up0 && ip -n "$UP" link set up0 up &&
addr "$AG" ag1 10.94.3.2/24 fd94:3::2/64 &&
addr "$OUT" out0 10.94.3.1/24 fd94:3::1/64 &&
ip -n "$AG" route add default via "$dg_ip" &&
ip netns exec "$DG" sysctl -qw net.ipv4.ip_forward=0 || {
	echo "# cannot set up the topology"; exit 99; }

# The agent's resolv.conf, as the compose dns: says.
[ -d /etc/netns ] || made_etc_netns=1
mkdir -p "$etc_netns" && printf 'nameserver %s\n' $dns >"$etc_netns/resolv.conf" || {
	echo "# cannot write $etc_netns/resolv.conf"; exit 99; }

# The compose configuration; only its upstream becomes the test's.
sed 's/^servers = .*/servers = 10.94.2.1:53/' "$conf" >"$tmp/dnsgate.conf"
is "$(diff "$conf" "$tmp/dnsgate.conf" | grep -c '^[<>]')" 2 "the compose configuration runs with only its upstream line changed"

nsbg "$UP" "$tmp/up.log" stdbuf -oL "$LDNS_TESTNS" -v -p 53 "$srcdir/tests/integration/data/basic.testns"
nsbg "$DG" "$tmp/dnsgate.log" "$DNSGATE" -c "$tmp/dnsgate.conf"
start_rogue "$OUT" 10.94.3.1 fd94:3::1
# The agent itself (compose: command: sleep infinity), in the namespace
# netguard holds; nsenter enters it by its PID, as netguard's nft runs there.
nsbg "$AG" "$tmp/agent.log" sleep 600
agent_pid=${pids[-1]}
wait_servers "$OUT" 10.94.3.1

# resolve NAME [dig options]: the agent's plain `dig NAME` (its resolv.conf),
# one try of two seconds; the dig output in $tmp/dig.out.
resolve() {
	local name=$1
	shift
	ag "$DIG" "$name" A +time=2 +tries=1 "$@" >"$tmp/dig.out" 2>&1
	dig_result <"$tmp/dig.out"
}
# rogue_paths LABEL WANT: every path from the agent to the rogue gets WANT.
rogue_say='to the rogue @SERVER@'
rogue_paths() { check_rogue_paths "$1" "$2" ag 10.94.3.1 fd94:3::1; }
# no_upstream LABEL: the agent cannot reach the upstream itself, UDP or TCP.
no_upstream() {
	is "$(dig_a ag 10.94.2.1 www.example.com)" "no answer" "$1: the agent gets no answer from the upstream over UDP"
	! tcp_connect ag 10.94.2.1 53
	ok $? "$1: the agent cannot connect to the upstream over TCP"
}
# via_dnsgate LABEL: names resolve through resolv.conf, that is dnsgate.
via_dnsgate() {
	is "$(resolve www.example.com)" "$allowed" "$1: the allowed name resolves (resolv.conf, UDP)"
	like "$(cat "$tmp/dig.out")" "^;; SERVER: $dg_ip#53" "$1: ... answered by dnsgate at $dg_ip"
	is "$(resolve www.example.com +tcp)" "$allowed" "$1: the allowed name resolves (resolv.conf, TCP)"
	is "$(resolve denied.example.org)" NXDOMAIN "$1: a name not listed gets NXDOMAIN"
}

await_answer ag 10.94.3.1 "$rogue"
await_answer ag fd94:3::1 "$rogue"
await_answer ag "$dg_ip" "$allowed"

# Without the rules: dnsgate answers, the internal network keeps the
# upstream away, and the escape path reaches the rogue (the test is real).
via_dnsgate "no rules"
no_upstream "no rules"
rogue_paths "no rules" "$rogue"

# The rules, as netguard applies them: generated from dnsgate's
# configuration, applied in the namespace the agent runs in.
"$DNSGATE" -c "$tmp/dnsgate.conf" firewall --nft --target container >"$tmp/rules.nft"
ok $? "dnsgate prints the container rules for the compose configuration"
sed 's/^/#   /' "$tmp/rules.nft" | head -n 16
nsenter -t "$agent_pid" -n nft -f - <"$tmp/rules.nft"
ok $? "the rules apply in the agent's namespace"
ag nft list tables | grep -qx 'table inet dnsgate'
ok $? "the agent's namespace holds them"

via_dnsgate "rules"
no_upstream "rules"
rogue_paths "rules" "no answer"

is "$(grep -c 'denied.example.org' "$tmp/up.log")" 0 "no denied name reached the upstream"
done_testing
