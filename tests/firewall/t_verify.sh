#!/usr/bin/env bash
# t_verify: `dnsgate firewall --verify`, run inside a sandbox namespace,
# against the container rules applied there and against no rules.
#
# Two namespaces this test creates (and deletes on exit, whatever happens),
# joined by a veth pair with test-only addresses:
#   sandbox  10.96.5.1    fd96:5::1    the container rules go here; dnsgate
#                                      on port 53 of both, its upstream
#                                      (ldns-testns) on its 127.0.0.1:5300
#                                      (start_resolver)
#   outside  10.96.5.2    fd96:5::2    a rogue resolver (start_rogue: 53
#                                      and a TCP listener on 853), TCP
#                                      listeners on 8080 and 8081
# Checks: with the rules, --verify prints only `ok` lines (the allowed and
# the denied name, each --resolver) and exits 0; with them removed, the
# --resolver check fails and it exits 1; an --outside destination a plain
# nft reject rule blocks passes, one nothing blocks fails; dnsgate not
# answering fails the allowed check; bad options exit 2.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss python3 dnsmasq nft "$LDNS_TESTNS" "$DIG"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

SB=dgvf$$-sb
OUT=dgvf$$-out
make_namespaces "$SB" "$OUT"
ip netns exec "$SB" nft list ruleset >/dev/null 2>&1 || skip_all "nft does not work here"
sb() { ip netns exec "$SB" "$@"; }

ip link add sb0 netns "$SB" type veth peer name out0 netns "$OUT" || {
	echo "# cannot create the veth pair"; exit 99; }
addr "$SB" sb0 10.96.5.1/24 fd96:5::1/64 &&
	addr "$OUT" out0 10.96.5.2/24 fd96:5::2/64 || {
	echo "# cannot set up the topology"; exit 99; }

start_rogue "$OUT" 10.96.5.2 fd96:5::2
start_tcp_listener "$OUT" 8080
start_tcp_listener "$OUT" 8081
start_resolver "$SB" 10.96.5.1 fd96:5::1
wait_servers "$OUT" 10.96.5.2
wait_until 5 bound "$OUT" t '*' 8081 || { echo "# no listener on 8081"; exit 99; }
await_answer sb 10.96.5.2 "$rogue"
await_answer sb fd96:5::2 "$rogue"
await_answer sb 10.96.5.1 "$allowed"

# verify ARGS...: --verify in the sandbox; its lines in $tmp/verify.out,
# each shown, and its status in $vstatus.
verify() {
	sb "$DNSGATE" -c "$tmp/dnsgate.conf" firewall --verify --timeout 1000 "$@" \
		>"$tmp/verify.out" 2>"$tmp/verify.err"
	vstatus=$?
	sed 's/^/#   /' "$tmp/verify.out" "$tmp/verify.err"
}
lines() { cat "$tmp/verify.out"; }
rogues=(--resolver 10.96.5.2 --resolver '[fd96:5::2]:53')

# With the container rules in place: every check passes.
"$DNSGATE" -c "$tmp/dnsgate.conf" firewall --nft | sb nft -f -
ok $? "the container rules apply in the sandbox"
verify "${rogues[@]}"
is "$vstatus" 0 "rules in place: --verify exits 0"
is "$(grep -vc '^ok   ' "$tmp/verify.out")" 0 "rules in place: only ok lines"
is "$(wc -l <"$tmp/verify.out")" 4 "one line a check: allowed, denied, two resolvers"
like "$(lines)" "^ok   allowed www.example.com \(the policy's first plain name\): NOERROR, 1 A from 10.96.5.1:53$" \
	"the allowed name, chosen from the policy, resolves through the first listener"
like "$(lines)" "^ok   denied dnsgate-verify-[0-9a-f]{16}\.invalid: NXDOMAIN from 10.96.5.1:53$" \
	"a fresh name under invalid. is denied"
like "$(lines)" "^ok   resolver 10.96.5.2:53: no UDP answer \(dropped here, EPERM\), TCP connect failed \(timed out\)$" \
	"the rogue resolver is unreachable, UDP and TCP"
like "$(lines)" "^ok   resolver \[fd96:5::2\]:53: no UDP answer" "over IPv6 too"

verify --server '[fd96:5::1]' --allowed www.example.com --denied x.example.org
is "$vstatus" 0 "--server, --allowed, --denied: exits 0"
like "$(lines)" "^ok   allowed www.example.com: NOERROR, 1 A from \[fd96:5::1\]:53$" \
	"the name and listener given"
like "$(lines)" "^ok   denied x.example.org: NXDOMAIN" "the denied name given"

verify --allowed x.example.org
is "$vstatus" 1 "an allowed name that is denied: exits 1"
like "$(lines)" "^FAIL allowed x.example.org: NXDOMAIN, 0 A from" "saying what came back"

verify --server 10.96.5.1:54
is "$vstatus" 1 "no dnsgate at --server: exits 1"
like "$(lines)" "^FAIL allowed www.example.com .*: no answer from 10.96.5.1:54" "the allowed check fails"

# --outside: a plain reject rule (what --egress does) blocks 8080, nothing
# blocks 8081.
sb nft -f - <<'EOF'
table inet t_verify {
	chain output {
		type filter hook output priority filter; policy accept;
		ip daddr 10.96.5.2 tcp dport 8080 reject with icmpx admin-prohibited
	}
}
EOF
ok $? "a reject rule for 10.96.5.2:8080"
verify --outside 10.96.5.2:8080
is "$vstatus" 0 "an --outside the rules reject: exits 0"
like "$(lines)" "^ok   outside 10.96.5.2:8080: TCP connect failed \(" "blocked, and how"
verify --outside 10.96.5.2:8080 --outside 10.96.5.2:8081
is "$vstatus" 1 "an --outside nothing blocks: exits 1"
like "$(lines)" "^FAIL outside 10.96.5.2:8081: TCP connects \(the rules do not block it\)$" \
	"naming the one that connects"
like "$(lines)" "^ok   outside 10.96.5.2:8080" "the blocked one still passes"

# Without the rules, the rogue answers: --verify says so and exits 1.
sb nft delete table inet dnsgate && sb nft delete table inet t_verify
ok $? "the rules are removed"
verify "${rogues[@]}"
is "$vstatus" 1 "no rules: --verify exits 1"
like "$(lines)" "^FAIL resolver 10.96.5.2:53: answered NOERROR for www.example.com \(the rules do not block it\)$" \
	"the rogue resolver's answer is a failure"
like "$(lines)" "^ok   allowed www.example.com" "dnsgate itself still passes"

# Bad options: exit 2, nothing checked.
verify --resolver not-an-address
is "$vstatus" 2 "a bad --resolver exits 2"
is "$(lines)" "" "and checks nothing"

done_testing
