#!/usr/bin/env bash
# t_host: `dnsgate firewall --target host`, nft and iptables, applied on a
# plain host where dnsgate runs as a user of its own, tested with real
# packets.
#
# Two namespaces this test creates (and deletes on exit, whatever happens),
# joined by a veth pair with test-only addresses:
#   host     10.97.1.1    fd97:1::1    the rules under test go here; dnsgate
#                                      on 127.0.0.1:53 and [::1]:53, started
#                                      as root, running as nobody; a local
#                                      stub (dnsmasq on 127.0.0.53, like
#                                      systemd-resolved) answering 198.51.100.53
#   outside  10.97.1.2    fd97:1::2    dnsgate's upstream (dnsmasq: only
#                                      www.example.com, 192.0.2.10)
#            10.97.1.3    fd97:1::3    a rogue resolver (dnsmasq: every name
#                                      is 198.51.100.66) on 53/udp+tcp and a
#                                      TCP listener on 853
# For each backend: (a) the allowed name resolves through dnsgate, whose
# user reaches its upstream; (b) every other process (here root) reaches no
# other resolver: not the upstream itself, not the rogue, not the local
# stub, over UDP and TCP 53, TCP 853, IPv4 and IPv6, while dnsgate's user
# still does (the exception is by user, nothing else); (c) with --redirect,
# root's queries to the rogue and to the stub are answered by dnsgate under
# its policy, and dnsgate's own are not redirected; (d) applying twice leaves
# one copy and removing the rules restores what was there before.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 dnsmasq setpriv nft iptables iptables-restore ip6tables-restore "$DIG"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"
id nobody >/dev/null 2>&1 || skip_all "no user nobody to run dnsgate as"

HS=dgho$$-host
OUT=dgho$$-out
make_namespaces "$HS" "$OUT"
probe_backends "$HS"

hs() { ip netns exec "$HS" "$@"; }
# as_dnsgate COMMAND...: in the host namespace, as dnsgate's user.
as_dnsgate() {
	hs setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"
}

# Topology. nodad: the IPv6 addresses are usable at once.
ip link add hs0 netns "$HS" type veth peer name out0 netns "$OUT" || {
	echo "# cannot create the veth pair"; exit 99; }
addr "$HS" hs0 10.97.1.1/24 fd97:1::1/64 &&
addr "$OUT" out0 10.97.1.2/24 fd97:1::2/64 &&
ip -n "$OUT" addr add 10.97.1.3/24 dev out0 &&
ip -n "$OUT" addr add fd97:1::3/64 dev out0 nodad &&
ip -n "$HS" addr add 127.0.0.53/8 dev lo || {
	echo "# cannot set up the topology"; exit 99; }

# The upstream: answers www.example.com only, and logs every query.
nsbg "$OUT" "$tmp/up.log" dnsmasq -k --conf-file=/dev/null --no-resolv \
	--no-hosts --user=root --group=root --pid-file="$tmp/up.pid" \
	--bind-interfaces --listen-address=10.97.1.2 --listen-address=fd97:1::2 \
	--address=/www.example.com/192.0.2.10 --log-queries --log-facility=- --port=53
start_rogue "$OUT" 10.97.1.3 fd97:1::3
# The local stub, like systemd-resolved's 127.0.0.53.
nsbg "$HS" "$tmp/stub.log" dnsmasq -k --conf-file=/dev/null --no-resolv \
	--no-hosts --user=root --group=root --pid-file="$tmp/stub.pid" \
	--bind-interfaces --listen-address=127.0.0.53 \
	--address=/#/198.51.100.53 --port=53

cat >"$tmp/dnsgate.conf" <<EOC
[server]
listen = 127.0.0.1:53, [::1]:53
user = nobody
[upstream]
servers = 10.97.1.2:53
[policy]
allow = www.example.com
EOC
nsbg "$HS" "$tmp/dnsgate.log" "$DNSGATE" -c "$tmp/dnsgate.conf"
DG_PID=${pids[-1]}
wait_until 5 bound "$OUT" u 10.97.1.2 53 && wait_until 5 bound "$OUT" u 10.97.1.3 53 &&
	wait_until 5 bound "$OUT" t '*' 853 && wait_until 5 bound "$HS" u 127.0.0.53 53 &&
	wait_until 5 grep -q "listening on" "$tmp/dnsgate.log" || {
	echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }

rogue=198.51.100.66
stub=198.51.100.53
allowed=192.0.2.10

# a SERVER NAME [dig options]: what a query from root on the host gets;
# a_dnsgate: from dnsgate's user.
a() { dig_a hs "$@"; }
a_dnsgate() { dig_a as_dnsgate "$@"; }
tcp_open() { tcp_connect hs "$@"; }

# Every path root has to a resolver but dnsgate: LABEL WANT_ROGUE
# WANT_UPSTREAM WANT_STUB (what each answers).
other_paths() {
	local label=$1 rogue_want=$2 up_want=$3 stub_want=$4 server open_want
	for server in 10.97.1.3 fd97:1::3; do
		is "$(a "$server" www.example.com)" "$rogue_want" "$label: UDP 53 to the rogue $server"
		is "$(a "$server" www.example.com +tcp)" "$rogue_want" "$label: TCP 53 to the rogue $server"
	done
	for server in 10.97.1.2 fd97:1::2; do
		is "$(a "$server" www.example.com)" "$up_want" "$label: UDP 53 to the upstream $server, bypassing dnsgate"
	done
	is "$(a 127.0.0.53 www.example.com)" "$stub_want" "$label: UDP to the local stub 127.0.0.53"
	is "$(a 127.0.0.53 www.example.com +tcp)" "$stub_want" "$label: TCP to the local stub 127.0.0.53"
	[ "$rogue_want" = "$rogue" ] && open_want=0 || open_want=124
	for server in 10.97.1.3 fd97:1::3; do
		tcp_open "$server" 853
		is "$?" "$open_want" "$label: TCP 853 to $server $([ $open_want = 0 ] && echo connects || echo fails)"
	done
}
# via_dnsgate LABEL: the allowed name through dnsgate, both families, UDP
# and TCP; a name not listed is still denied.
via_dnsgate() {
	local server
	for server in 127.0.0.1 ::1; do
		is "$(a "$server" www.example.com)" "$allowed" "$1: allowed name via dnsgate $server (UDP)"
		is "$(a "$server" www.example.com +tcp)" "$allowed" "$1: allowed name via dnsgate $server (TCP)"
	done
	is "$(a 127.0.0.1 denied.example.org)" NXDOMAIN "$1: dnsgate still denies a name not listed"
}

gen() {
	"$DNSGATE" -c "$tmp/dnsgate.conf" firewall --target host "$@"
}

# dnsgate dropped root for its user.
is "$(ps -o user= -p "$DG_PID" 2>/dev/null | tr -d ' ')" nobody "dnsgate runs as nobody"

# Control: with no rules every resolver answers root (the test is real).
answers() { [ "$(a "$1" www.example.com)" = "$2" ]; }
for s in 10.97.1.3 fd97:1::3; do
	wait_until 5 answers "$s" "$rogue" || echo "# $s does not answer yet"
done
for s in 10.97.1.2 fd97:1::2 127.0.0.1 ::1; do
	wait_until 5 answers "$s" "$allowed" || echo "# $s does not answer yet"
done
other_paths "no rules" "$rogue" "$allowed" "$stub"
via_dnsgate "no rules"
before=$(fw_snapshot "$HS")

for backend in nft iptables; do
	gen --"$backend" | sed 's/^/# /' | head -n 20

	fw_apply "$HS" "$backend"
	ok $? "$backend: the rules apply"
	once=$(fw_snapshot "$HS")
	printf '%s\n' "$once" | grep -Eq "(skuid|uid-owner) $(id -u nobody)( |\$)"
	ok $? "$backend: the ruleset holds dnsgate's uid"
	fw_apply "$HS" "$backend"
	ok $? "$backend: the rules apply a second time"
	is "$(fw_snapshot "$HS")" "$once" "$backend: applying twice leaves the same rules"
	is "$(fw_copies "$HS" "$backend")" 1 "$backend: one copy (table or OUTPUT jump)"

	# (a) dnsgate, as its user, still reaches its upstream.
	via_dnsgate "$backend"
	# (b) root reaches nothing else; dnsgate's user still does.
	other_paths "$backend" "no answer" "no answer" "no answer"
	is "$(a_dnsgate 10.97.1.3 www.example.com)" "$rogue" \
		"$backend: dnsgate's user is the exception (it reaches any port 53)"
	is "$(a_dnsgate 127.0.0.53 www.example.com)" "$stub" \
		"$backend: dnsgate's user reaches the local stub too (an upstream there works)"

	# (d) removal restores reachability and the prior rules.
	fw_remove "$HS" "$backend"
	ok $? "$backend: the rules are removed as the header says"
	is "$(fw_snapshot "$HS")" "$before" "$backend: removal restores the prior rules"
	other_paths "$backend removed" "$rogue" "$allowed" "$stub"

	# (c) --redirect: root's stray port 53 is answered by dnsgate.
	fw_apply "$HS" "$backend" --redirect
	ok $? "$backend --redirect: the rules apply"
	once=$(fw_snapshot "$HS")
	fw_apply "$HS" "$backend" --redirect
	is "$(fw_snapshot "$HS")" "$once" "$backend --redirect: applying twice leaves the same rules"
	for server in 10.97.1.3 fd97:1::3 127.0.0.53; do
		is "$(a "$server" www.example.com)" "$allowed" "$backend --redirect: UDP to $server answered by dnsgate with the upstream's data"
		is "$(a "$server" www.example.com +tcp)" "$allowed" "$backend --redirect: TCP to $server answered by dnsgate"
		is "$(a "$server" denied.example.org)" NXDOMAIN "$backend --redirect: a name not listed, sent to $server, is denied by dnsgate"
	done
	tcp_open 10.97.1.3 853
	is "$?" 124 "$backend --redirect: TCP 853 to the rogue still fails"
	is "$(a_dnsgate 10.97.1.3 www.example.com)" "$rogue" \
		"$backend --redirect: dnsgate's own queries are not redirected"
	via_dnsgate "$backend --redirect"
	fw_remove "$HS" "$backend"
	ok $? "$backend --redirect: the rules are removed"
	is "$(fw_snapshot "$HS")" "$before" "$backend --redirect: removal restores the prior rules"
	is "$(a 10.97.1.3 www.example.com)" "$rogue" "$backend --redirect removed: the rogue answers again"
done

# The names root asked the upstream directly reached it only without rules;
# the denied names never did.
is "$(grep -c 'query\[A\] denied.example.org' "$tmp/up.log")" 0 "no denied name reached the upstream"
kill -TERM "$DG_PID"
wait_until 5 eval '! kill -0 "$DG_PID" 2>/dev/null'
wait "$DG_PID"
is "$?" 0 "dnsgate, running as nobody, exits 0 on SIGTERM"
done_testing
