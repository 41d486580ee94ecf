#!/usr/bin/env bash
# t_egress: `dnsgate firewall --nft --egress`, applied in namespaces this
# test makes (and deletes on exit, whatever happens), with real traffic.
#
# (a) Target container, the devcontainer pattern: dnsgate runs inside the
# sandbox on 127.0.0.1 and [::1], its upstream (ldns-testns, egress.testns)
# on the sandbox's 127.0.0.1; a peer namespace over a veth pair holds TCP
# listeners on 192.0.2.80, .81, .90 and 2001:db8:e::80, ::81:
#   sandbox  192.0.2.1/24  2001:db8:e::1/64
#   peer     192.0.2.80 .81 .90   2001:db8:e::80 ::81
# Before an answer 192.0.2.80 is rejected at once (not a timeout); after
# dnsgate answered allowed.example it connects, IPv4 and IPv6; .81 stays
# rejected; .90, in allow_cidrs, connects. Applying again keeps the set's
# elements and does not pile up rules. The element's timeout is the floor
# (nft_set_min_ttl) while the client sees the record's TTL of 2 s.
#
# (b) Target docker-user by interface (no --subnet): a router namespace
# with a bridge br-egr (a Docker bridge by name) joining two sandboxes, one
# in each group (clients by address, each group with its own set); dnsgate
# on the router's bridge address; a destination namespace behind the
# router, 203.0.113.2. Group a's answer opens it for a and not for b.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 nft "$DIG" "$LDNS_TESTNS"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

SB=egress$$-sb PEER=egress$$-peer
RT=egress$$-rt SA=egress$$-sa SBB=egress$$-sbb DST=egress$$-dst
make_namespaces "$SB" "$PEER" "$RT" "$SA" "$SBB" "$DST"
ip netns exec "$SB" nft list ruleset >/dev/null 2>&1 || skip_all "nft does not work here"
sbx() { ip netns exec "$SB" "$@"; }
rtx() { ip netns exec "$RT" "$@"; }
sa() { ip netns exec "$SA" "$@"; }
sbb() { ip netns exec "$SBB" "$@"; }
testns=$srcdir/tests/integration/data/egress.testns

# attempt RUN ADDR PORT [SRC]: a TCP connection run by RUN (from SRC):
# "connected", "rejected ERRNO" when refused within 2 s, or "timeout" after
# 5 s (times time_scale): a reject must be quick to be one. (An ICMP error
# that meets a socket still sending its SYN is a soft error: a locally
# rejected IPv6 connect() fails at the SYN's first resend, after 1 s; a
# dropped one would hang for minutes.)
cat >"$tmp/attempt.py" <<'EOF'
import errno, socket, sys, time
dst, port = sys.argv[1], int(sys.argv[2])
src = sys.argv[3] if len(sys.argv) > 3 else ""
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET,
                  socket.SOCK_STREAM)
s.settimeout(5 * int(sys.argv[4] if len(sys.argv) > 4 else 1))
start = time.monotonic()
try:
    if src:
        s.bind((src, 0))
    s.connect((dst, port))
    print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    took = time.monotonic() - start
    print("rejected " + errno.errorcode.get(e.errno, str(e.errno))
          if took < 2 else "slow %s" % e)
EOF
attempt() {
	$1 python3 "$tmp/attempt.py" "$2" "$3" "${4:-}" "$time_scale"
}
# rules NS: the rules of the egress chains of NS, one a line, and how
# many there are in the last line.
rules() {
	ip netns exec "$1" nft list table inet dg_egress |
		grep -E '(accept|reject|jump [a-z_]+)$' | sed 's/^[[:space:]]*//'
}
# elements NS SET: the set's elements, as nft lists them.
elements() {
	ip netns exec "$1" nft list set inet dg_egress "$2" | tr -d '\n' |
		sed -n 's/.*elements = { \([^}]*\) }.*/\1/p'
}

# egress_up NS TARGET: the rules of $tmp/TARGET.conf printed (into
# $tmp/TARGET.nft) and applied in NS, then dnsgate started there with it.
egress_up() {
	local ns=$1 target=$2
	"$DNSGATE" -c "$tmp/$target.conf" firewall --nft --egress \
		--target "$target" >"$tmp/$target.nft"
	ok $? "$target: firewall --nft --egress prints the rules"
	ip netns exec "$ns" nft -f "$tmp/$target.nft" 2>"$tmp/nft.err"
	ok $? "$target: nft applies them" || sed 's/^/#   /' "$tmp/nft.err"
	nsbg "$ns" "$tmp/$target.log" "$DNSGATE" -c "$tmp/$target.conf"
	wait_until 5 grep -q "listening on" "$tmp/$target.log" || {
		echo "# dnsgate did not start:"; sed 's/^/#   /' "$tmp/$target.log"
		exit 99; }
}

# --- (a) target container --------------------------------------------------
ip link add sb0 netns "$SB" type veth peer name peer0 netns "$PEER" &&
addr "$SB" sb0 192.0.2.1/24 2001:db8:e::1/64 &&
addr "$PEER" peer0 192.0.2.80/24 2001:db8:e::80/64 &&
ip -n "$PEER" addr add 192.0.2.81/24 dev peer0 &&
ip -n "$PEER" addr add 192.0.2.90/24 dev peer0 &&
ip -n "$PEER" addr add 2001:db8:e::81/64 dev peer0 nodad || {
	echo "# cannot set up the topology"; exit 99; }
start_tcp_listener "$PEER" 80
nsbg "$SB" "$tmp/up.log" stdbuf -oL "$LDNS_TESTNS" -v -p 5300 "$testns"
cat >"$tmp/container.conf" <<EOC
[server]
listen = 127.0.0.1:53, [::1]:53
[upstream]
servers = 127.0.0.1:5300
[policy]
allow = allowed.example, shared.example
[firewall]
nft_set = inet dg_egress allowed4
nft_set6 = inet dg_egress allowed6
nft_set_min_ttl = 120
allow_cidrs = 192.0.2.90/32
EOC
wait_until 5 bound "$PEER" t '*' 80 &&
	wait_until 5 grep -q "Listening on port" "$tmp/up.log" || {
	echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }

# Control: without the rules every destination connects (the test is real).
is "$(attempt sbx 192.0.2.81 80) $(attempt sbx 2001:db8:e::81 80)" \
	"connected connected" "no rules: 192.0.2.81 and [2001:db8:e::81] connect"

egress_up "$SB" container

like "$(attempt sbx 192.0.2.80 80)" '^rejected E(HOSTUNREACH|ACCES|NETUNREACH|CONNREFUSED)$' \
	"before an answer, 192.0.2.80 is rejected at once (no timeout)"
out=$(sbx "$DIG" @127.0.0.1 allowed.example A "$(dig_time 1)" +tries=1 +noall +answer)
like "$out" '^allowed\.example\.[[:space:]]+2[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.80$' \
	"dig allowed.example through dnsgate: 192.0.2.80, TTL 2 for the client"
is "$(attempt sbx 192.0.2.80 80)" connected "then 192.0.2.80 connects"
like "$(attempt sbx 192.0.2.81 80)" '^rejected ' "192.0.2.81, never answered, stays rejected"
is "$(attempt sbx 192.0.2.90 80)" connected "192.0.2.90, in allow_cidrs, connects"
like "$(elements "$SB" allowed4)" '^192\.0\.2\.80 timeout 2m expires 1m[0-9]' \
	"the element's timeout is the floor, 120 s, not the record's 2 s"

like "$(attempt sbx 2001:db8:e::80 80)" '^rejected ' \
	"IPv6: before an answer, [2001:db8:e::80] is rejected"
sbx "$DIG" @::1 allowed.example AAAA "$(dig_time 1)" +tries=1 +short >/dev/null
is "$(attempt sbx 2001:db8:e::80 80)" connected "after the AAAA answer it connects"
like "$(attempt sbx 2001:db8:e::81 80)" '^rejected ' "[2001:db8:e::81] stays rejected"

sleep 3
is "$(attempt sbx 192.0.2.80 80)" connected \
	"after the record's TTL, the address still connects (the floor holds it)"

before=$(rules "$SB")
sbx nft -f "$tmp/container.nft"
ok $? "the same rules apply again"
is "$(rules "$SB")" "$before" "and the egress chain holds the same rules, once"
like "$(elements "$SB" allowed4)" '^192\.0\.2\.80 timeout' \
	"the set kept its element"
is "$(attempt sbx 192.0.2.80 80)" connected "so 192.0.2.80 still connects"
is "$(sbx nft list tables | grep -c 'inet dnsgate$')" 1 "one DNS table"

# --- (b) target docker-user, by interface, two groups ----------------------
ip link add sa0 netns "$SA" type veth peer name rta netns "$RT" &&
ip link add sbb0 netns "$SBB" type veth peer name rtb netns "$RT" &&
ip link add rt1 netns "$RT" type veth peer name dst0 netns "$DST" &&
rtx ip link add br-egr type bridge &&
rtx ip link set rta master br-egr && rtx ip link set rtb master br-egr &&
rtx ip link set rta up && rtx ip link set rtb up || {
	echo "# cannot create the links"; exit 99; }
addr "$RT" br-egr 10.77.1.1/24 fd77:1::1/64 &&
addr "$SA" sa0 10.77.1.2/24 fd77:1::2/64 &&
addr "$SBB" sbb0 10.77.1.3/24 fd77:1::3/64 &&
addr "$RT" rt1 203.0.113.1/24 2001:db8:f::1/64 &&
addr "$DST" dst0 203.0.113.2/24 2001:db8:f::2/64 &&
ip -n "$SA" route add default via 10.77.1.1 &&
ip -n "$SBB" route add default via 10.77.1.1 &&
ip -n "$DST" route add default via 203.0.113.1 &&
rtx sysctl -qw net.ipv4.ip_forward=1 || {
	echo "# cannot set up the topology"; exit 99; }
start_tcp_listener "$DST" 80
nsbg "$RT" "$tmp/up2.log" stdbuf -oL "$LDNS_TESTNS" -v -p 5300 "$testns"
cat >"$tmp/docker-user.conf" <<EOC
[server]
listen = 10.77.1.1:53
[upstream]
servers = 127.0.0.1:5300
[policy]
allow = shared.example
[firewall]
nft_set = inet dg_egress rest4
[group a]
clients = 10.77.1.2/32
allow = shared.example
nft_set = inet dg_egress a4
[group b]
clients = 10.77.1.3/32
allow = shared.example
nft_set = inet dg_egress b4
EOC
wait_until 5 bound "$DST" t '*' 80 &&
	wait_until 5 grep -q "Listening on port" "$tmp/up2.log" || {
	echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }
is "$(attempt sa 203.0.113.2 80) $(attempt sbb 203.0.113.2 80)" \
	"connected connected" "no rules: both sandboxes reach 203.0.113.2"

egress_up "$RT" docker-user
grep -q 'any Docker bridge (docker0, br-\*, by interface' "$tmp/docker-user.nft"
ok $? "without --subnet the header says every Docker bridge, by interface"

like "$(attempt sa 203.0.113.2 80)" '^rejected ' \
	"before an answer, group a's sandbox is rejected at once"
is "$(dig_a sa 10.77.1.1 shared.example)" 203.0.113.2 \
	"group a's sandbox resolves shared.example"
like "$(elements "$RT" a4)" '^203\.0\.113\.2 timeout' "its answer is in a's set"
is "$(elements "$RT" b4)$(elements "$RT" rest4)" "" \
	"and in neither b's nor [firewall]'s"
is "$(attempt sa 203.0.113.2 80)" connected "group a now connects"
like "$(attempt sbb 203.0.113.2 80)" '^rejected ' \
	"group b, which did not ask, is still rejected"
is "$(dig_a sbb 10.77.1.1 shared.example)" 203.0.113.2 \
	"group b's sandbox resolves it too"
is "$(attempt sbb 203.0.113.2 80)" connected "then group b connects"
is "$(dig_a sbb 10.77.1.1 nothere.example)" NXDOMAIN \
	"dnsgate still denies a name not listed"

before=$(rules "$RT")
rtx nft -f "$tmp/docker-user.nft"
is "$(rules "$RT")" "$before" "docker-user: applying again keeps the same rules, once"
like "$(elements "$RT" a4)" '^203\.0\.113\.2 timeout' "and the set's element"
done_testing
