#!/usr/bin/env bash
# t_host_stub: `dnsgate firewall --target host --allow-user` on a host where
# dnsgate forwards through a local forwarding stub (like systemd-resolved's
# 127.0.0.53), nft and iptables, tested with real packets.
#
# Two namespaces this test creates (and deletes on exit, whatever happens),
# joined by a veth pair with test-only addresses:
#   host     10.96.4.1    the rules under test go here; the stub (dnsmasq
#                         on 127.0.0.53:53, no cache, running as its own
#                         user $STUB) forwarding to the upstream; dnsgate on
#                         127.0.0.1:53, started as root, running as nobody,
#                         forwarding to 127.0.0.53 (no cache either, so each
#                         answer is a fresh trip through the stub)
#   outside  10.96.4.2    the upstream (ldns-testns, basic.testns:
#                         www.example.com is 192.0.2.10) on port 53
# For each backend: with --allow-user $STUB the allowed name resolves
# dnsgate -> stub -> upstream, while root's own queries to the upstream and
# to the stub get no answer; without it, the stub cannot reach its upstream
# and dnsgate's answer fails (so the option is what makes it work); removing
# the rules restores what was there before.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss dnsmasq setpriv nft iptables iptables-restore ip6tables-restore useradd "$LDNS_TESTNS" "$DIG"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"
id nobody >/dev/null 2>&1 || skip_all "no user nobody to run dnsgate as"

# The stub's user: dnsmasq-base's own, or one made once for this test and
# kept for later runs (never removed: another run may be using it).
STUB=dnsmasq
if ! id "$STUB" >/dev/null 2>&1; then
	STUB=dnsgate-stub
	id "$STUB" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin "$STUB" 2>/dev/null ||
		id "$STUB" >/dev/null 2>&1 || skip_all "cannot create a system user for the stub"
fi
[ "$STUB" != nobody ] || skip_all "the stub needs a user other than dnsgate's"
echo "# the stub runs as $STUB (uid $(id -u "$STUB"))"

HS=dghs$$-host
OUT=dghs$$-out
make_namespaces "$HS" "$OUT"
probe_backends "$HS"

hs() { ip netns exec "$HS" "$@"; }

ip link add hs0 netns "$HS" type veth peer name out0 netns "$OUT" || {
	echo "# cannot create the veth pair"; exit 99; }
ip -n "$HS" addr add 10.96.4.1/24 dev hs0 && ip -n "$HS" link set hs0 up &&
ip -n "$OUT" addr add 10.96.4.2/24 dev out0 && ip -n "$OUT" link set out0 up &&
ip -n "$HS" addr add 127.0.0.53/8 dev lo || {
	echo "# cannot set up the topology"; exit 99; }

nsbg "$OUT" "$tmp/up.log" stdbuf -oL "$LDNS_TESTNS" -v -p 53 \
	"$srcdir/tests/integration/data/basic.testns"
nsbg "$HS" "$tmp/stub.log" dnsmasq -k --conf-file=/dev/null --no-resolv \
	--no-hosts --user="$STUB" --group="$(id -gn "$STUB")" --pid-file= \
	--bind-interfaces --listen-address=127.0.0.53 --cache-size=0 \
	--server=10.96.4.2 --log-queries --log-facility=- --port=53
cat >"$tmp/dnsgate.conf" <<EOC
[server]
listen = 127.0.0.1:53
user = nobody
[upstream]
servers = 127.0.0.53
timeout_ms = 1000
[cache]
max_entries = 0
[policy]
allow = www.example.com
EOC
nsbg "$HS" "$tmp/dnsgate.log" "$DNSGATE" -c "$tmp/dnsgate.conf"
wait_until 5 grep -q "Listening on port" "$tmp/up.log" &&
	wait_until 5 bound "$HS" u 127.0.0.53 53 &&
	wait_until 5 grep -q "listening on" "$tmp/dnsgate.log" || {
	echo "# a server did not start:"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }

a() { dig_a hs "$@"; }
gen() {
	DNSGATE_SYSROOT=$tmp/sysroot "$DNSGATE" -c "$tmp/dnsgate.conf" firewall --target host "$@"
}
mkdir -p "$tmp/sysroot"

is "$(ps -o user= -p "${pids[-1]}" 2>/dev/null | tr -d ' ')" nobody "dnsgate runs as nobody"
stub_pid=$(hs ss -Hlnup 'sport = :53' 2>/dev/null | sed -n 's/.*"dnsmasq",pid=\([0-9]*\).*/\1/p' | head -n 1)
is "$(ps -o user= -p "${stub_pid:-0}" 2>/dev/null | tr -d ' ')" "$STUB" "the stub runs as $STUB"

# Control: with no rules, everything answers root (the test is real).
wait_until 5 answer_is hs 127.0.0.1 "$allowed" || echo "# dnsgate does not answer yet"
is "$(a 127.0.0.1 www.example.com)" "$allowed" "no rules: dnsgate -> stub -> upstream"
is "$(a 10.96.4.2 www.example.com)" "$allowed" "no rules: root reaches the upstream"
is "$(a 127.0.0.53 www.example.com)" "$allowed" "no rules: root reaches the stub"
before=$(fw_snapshot "$HS")

for backend in nft iptables; do
	gen --"$backend" --allow-user "$STUB" | sed 's/^/# /' | head -n 8
	fw_apply "$HS" "$backend" --allow-user "$STUB"
	ok $? "$backend --allow-user $STUB: the rules apply"
	is "$(a 127.0.0.1 www.example.com)" "$allowed" \
		"$backend --allow-user: the allowed name resolves dnsgate -> stub -> upstream"
	is "$(a 127.0.0.1 www.example.com +tcp)" "$allowed" \
		"$backend --allow-user: over TCP too"
	is "$(a 127.0.0.1 denied.example.org)" NXDOMAIN \
		"$backend --allow-user: a name not listed is still denied"
	is "$(a 10.96.4.2 www.example.com)" "no answer" \
		"$backend --allow-user: root's dig @10.96.4.2 (the upstream) gets no answer"
	is "$(a 10.96.4.2 www.example.com +tcp)" "no answer" \
		"$backend --allow-user: nor over TCP"
	is "$(a 127.0.0.53 www.example.com)" "no answer" \
		"$backend --allow-user: root's dig @127.0.0.53 (the stub) gets no answer"
	fw_remove "$HS" "$backend"
	ok $? "$backend --allow-user: the rules are removed"

	# Without --allow-user the stub's own queries are dropped: the path
	# breaks, which is what the option is for.
	fw_apply "$HS" "$backend"
	ok $? "$backend without --allow-user: the rules apply"
	got=$(a 127.0.0.1 www.example.com)
	[ "$got" != "$allowed" ]
	ok $? "$backend without --allow-user: dnsgate's answer fails (the stub reaches no upstream: $got)"
	fw_remove "$HS" "$backend"
	ok $? "$backend without --allow-user: the rules are removed"
	is "$(fw_snapshot "$HS")" "$before" "$backend: removal restores the prior rules"
	is "$(a 127.0.0.1 www.example.com)" "$allowed" "$backend removed: the path works again"
done

# The trips to the upstream were the stub's (dnsgate asked only the stub).
log_has "$tmp/stub.log" "forwarded www.example.com to 10.96.4.2" 1
ok $? "the stub forwarded to the upstream"
kill -TERM "${pids[-1]}"
wait_until 5 gone "${pids[-1]}"
wait "${pids[-1]}"
is "$?" 0 "dnsgate, running as nobody, exits 0 on SIGTERM"
done_testing
