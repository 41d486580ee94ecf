#!/usr/bin/env bash
# t_nftset: [firewall] nft_set and nft_set6. dnsgate adds the addresses it
# answers with to nftables sets, each for its TTL, and an egress rule that
# allows only those addresses lets a connection through exactly while the
# answer is valid.
#
# Two namespaces this test creates (and deletes on exit, whatever happens),
# joined by a veth pair with test-only addresses:
#   host     203.0.113.1    2001:db8:95::1   dnsgate on 127.0.0.1:53, running
#                                            as nobody; its upstream
#                                            (ldns-testns, nftset.testns) on
#                                            127.0.0.1; the egress rules:
#                                            TCP port 80 only to @allowed4 or
#                                            @allowed6
#   outside  203.0.113.2-4  2001:db8:95::2-3 a TCP listener on port 80
# Shown: before an answer a connection is dropped; after it, it passes, to
# that address only, IPv4 and IPv6; the element's timeout is the TTL, and
# when it expires the connection is dropped again; a scrubbed (private)
# address and a denied name's address never enter the set, nor in audit
# mode, which answers that name; a missing set is reported and does not
# stop the answers.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 nft "$DIG" "$LDNS_TESTNS"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"
id nobody >/dev/null 2>&1 || skip_all "no user nobody to run dnsgate as"

HS=dgns$$-host
OUT=dgns$$-out
make_namespaces "$HS" "$OUT"
ip netns exec "$HS" nft list ruleset >/dev/null 2>&1 || skip_all "nft does not work here"
hs() { ip netns exec "$HS" "$@"; }

ip link add hs0 netns "$HS" type veth peer name out0 netns "$OUT" || {
	echo "# cannot create the veth pair"; exit 99; }
addr "$HS" hs0 203.0.113.1/24 2001:db8:95::1/64 &&
addr "$OUT" out0 203.0.113.2/24 2001:db8:95::2/64 &&
ip -n "$OUT" addr add 203.0.113.3/24 dev out0 &&
ip -n "$OUT" addr add 203.0.113.4/24 dev out0 &&
ip -n "$OUT" addr add 2001:db8:95::3/64 dev out0 nodad || {
	echo "# cannot set up the topology"; exit 99; }

# The web servers.
start_tcp_listener "$OUT" 80
nsbg "$HS" "$tmp/up.log" stdbuf -oL "$LDNS_TESTNS" -v -p 5300 \
	"$srcdir/tests/integration/data/nftset.testns"

# The egress rules: the sets dnsgate fills, and port 80 only to them.
egress_rules() {
	cat <<'EOF'
table inet egress {
	set allowed4 { type ipv4_addr; flags timeout; }
	set allowed6 { type ipv6_addr; flags timeout; }
	chain output {
		type filter hook output priority filter; policy accept;
		tcp dport 80 ip daddr != @allowed4 drop
		tcp dport 80 ip6 daddr != @allowed6 drop
	}
}
EOF
}

cat >"$tmp/dnsgate.conf" <<EOC
[server]
listen = 127.0.0.1:53
user = nobody
[upstream]
servers = 127.0.0.1:5300
[policy]
allow = ok.example.com, mixed.example.com
[firewall]
nft_set = inet egress allowed4
nft_set6 = inet egress allowed6
; no floor: the timeout is the TTL, seen to expire
nft_set_min_ttl = 0
EOC
wait_until 5 bound "$OUT" t '*' 80 && wait_until 5 grep -q "Listening on port" "$tmp/up.log" || {
	echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }

a() { dig_a hs 127.0.0.1 "$@"; }
# web ADDR: a TCP connection to ADDR port 80 from the host succeeds.
web() {
	tcp_connect hs "$1" 80
}
# in_set SET: the set's elements, as nft lists them.
in_set() {
	hs nft list set inet egress "$1" | tr -d '\n' | sed -n 's/.*elements = { \([^}]*\) }.*/\1/p'
}

# start_dnsgate_ns LOG: dnsgate in the host namespace on the test's
# configuration, logging to $tmp/LOG; DG_PID once it listens.
start_dnsgate_ns() {
	nsbg "$HS" "$tmp/$1" "$DNSGATE" -c "$tmp/dnsgate.conf"
	DG_PID=${pids[-1]}
	wait_until 5 grep -q "listening on" "$tmp/$1" || {
		echo "# dnsgate did not start:"; sed 's/^/#   /' "$tmp/$1"; exit 99; }
}
# stop_dnsgate_ns MESSAGE: SIGTERM, and it must exit 0.
stop_dnsgate_ns() {
	kill -TERM "$DG_PID"
	wait_until 5 eval '! kill -0 "$DG_PID" 2>/dev/null'
	wait "$DG_PID"
	is "$?" 0 "$1"
}

# Control: without the egress rules every address answers (the test is real).
web 203.0.113.2 && web 203.0.113.3 && web 2001:db8:95::2
ok $? "no rules: the web servers accept, IPv4 and IPv6"

egress_rules | hs nft -f - || { echo "# cannot add the egress rules"; exit 99; }
start_dnsgate_ns dnsgate.log
is "$(ps -o user= -p "$DG_PID" | tr -d ' ')" nobody "dnsgate runs as nobody"
# CAP_NET_ADMIN is bit 12: 0x1000, and nothing else.
is "$(awk '/^CapEff/ { print $2 }' "/proc/$DG_PID/status")" 0000000000001000 \
	"it kept CAP_NET_ADMIN, and only that"

web 203.0.113.2
[ $? != 0 ]
ok $? "before any answer, 203.0.113.2:80 is dropped"

is "$(a ok.example.com)" 203.0.113.2 "ok.example.com resolves through dnsgate"
like "$(in_set allowed4)" '^203\.0\.113\.2 timeout 3s expires [0-9.ms]+$' \
	"its address is in the set, with a timeout of the TTL (3 s)"
web 203.0.113.2
ok $? "now 203.0.113.2:80 accepts"
web 203.0.113.3
[ $? != 0 ]
ok $? "203.0.113.3:80, never answered, is still dropped"

hs "$DIG" @127.0.0.1 ok.example.com AAAA "$(dig_time 1)" +tries=1 +short >/dev/null
like "$(in_set allowed6)" '^2001:db8:95::2 timeout 3s' "the AAAA answer is in the IPv6 set"
web 2001:db8:95::2
ok $? "[2001:db8:95::2]:80 accepts"
web 2001:db8:95::3
[ $? != 0 ]
ok $? "[2001:db8:95::3]:80, never answered, is dropped"

# The set holds what the client got: scrubbed first.
is "$(a mixed.example.com)" 203.0.113.4 "mixed.example.com: the private address is scrubbed"
in_set allowed4 | grep -q '203\.0\.113\.4' && ! in_set allowed4 | grep -q '10\.0\.0\.9'
ok $? "only the public address went into the set"
is "$(a denied.example.com)" NXDOMAIN "a name not listed is denied"
in_set allowed4 | grep -q '203\.0\.113\.3'
[ $? != 0 ]
ok $? "and its address never enters the set"

# The element expires with the TTL; the cached answer expires with it.
wait_until 6 eval '! in_set allowed4 | grep -q "203\.0\.113\.2 "'
ok $? "after the TTL, 203.0.113.2 has left the set"
web 203.0.113.2
[ $? != 0 ]
ok $? "and 203.0.113.2:80 is dropped again"
is "$(a ok.example.com)" 203.0.113.2 "asking again"
web 203.0.113.2
ok $? "lets it through again"

# A repeat renews the timeout rather than failing.
is "$(grep -c 'refused\|not sent' "$tmp/dnsgate.log")" 0 "no element was refused"

stop_dnsgate_ns "dnsgate exits 0 on SIGTERM, the netlink socket closed"

# Audit mode answers what enforce would deny, but the sets admit only
# what enforce would answer: the firewall goes on refusing, so a workload
# fails in audit as it will in enforce, where the operator sees it.
sed -i 's/^\[policy\]$/[policy]\nmode = audit/' "$tmp/dnsgate.conf"
start_dnsgate_ns dnsgate-audit.log
is "$(a denied.example.com)" 203.0.113.3 "audit: the name off the list is answered"
in_set allowed4 | grep -q '203\.0\.113\.3'
[ $? != 0 ]
ok $? "audit: but its address never enters the set"
web 203.0.113.3
[ $? != 0 ]
ok $? "audit: so 203.0.113.3:80 is still dropped"
wait_until 6 eval '! in_set allowed4 | grep -q "203\.0\.113\.2 "'
is "$(a ok.example.com)" 203.0.113.2 "audit: a listed name is answered"
like "$(in_set allowed4)" '203\.0\.113\.2 timeout' "and its address enters the set, as in enforce"
stop_dnsgate_ns "audit: dnsgate exits 0 on SIGTERM"
sed -i '/^mode = audit$/d' "$tmp/dnsgate.conf"

# A set that does not exist: reported once, answers go on. Two workers,
# each with its own cache and socket, both meet it: one line for both.
hs nft delete table inet egress
sed -i 's/^user = nobody$/workers = 2/' "$tmp/dnsgate.conf"
start_dnsgate_ns dnsgate2.log
is "$(a ok.example.com)" 203.0.113.2 "without the set, the answer still comes"
hs "$DIG" @127.0.0.1 mixed.example.com "$(dig_time 1)" +tries=1 >/dev/null
# Workers are picked by source address: from eight of them, both
# workers get queries, and each one's first miss tries the set.
for i in $(seq 2 9); do
	a ok.example.com -b "127.0.0.$i" >/dev/null
done
wait_until 2 grep -q "nft set inet egress allowed4: an element was refused: No such file or directory; create the set" "$tmp/dnsgate2.log"
ok $? "the missing set is reported, naming it"
is "$(grep -c 'nft set inet egress allowed4' "$tmp/dnsgate2.log")" 1 \
	"once a minute at most, whatever the workers"
stop_dnsgate_ns "and exits 0 on SIGTERM"
done_testing
