#!/usr/bin/env bash
# t_harden_docker_host: contrib/harden-docker-host.sh run on a Docker host
# stand-in, tested with real packets from a sandbox whose traffic that host
# forwards.
#
# Four namespaces this test creates (and deletes on exit, whatever happens),
# joined by veth pairs with test-only addresses; the router forwards:
#   sandbox  10.96.1.2    fd96:1::2    the client; default route via router
#   router   10.96.1.1    fd96:1::1    the Docker host: the script runs here;
#            10.96.2.1    fd96:2::1    a DOCKER-USER chain jumped from
#            10.96.3.1    fd96:3::1    FORWARD stands in for Docker's
#   dnsgate  10.96.3.2    fd96:3::2    dnsgate on port 53, ldns-testns
#                                      upstream on its 127.0.0.1
#   outside  10.96.2.2    fd96:2::2    a rogue resolver (dnsmasq: every name
#                                      is 198.51.100.66) on 53/udp+tcp and a
#                                      TCP listener on 853
# With --subnet 10.96.1.0/24 --subnet fd96:1::/64 and the test's dnsgate.conf:
# the script refuses while DOCKER-USER is missing and changes nothing, but
# --dry-run previews the rules all the same;
# --dry-run prints the commands and rules and changes nothing; applying makes dnsgate
# the only resolver the sandbox reaches, twice leaves one copy; --remove
# restores the router's exact iptables-save, twice is fine; without
# ip6tables' DOCKER-USER the IPv6 half is skipped, and said so.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip ss sh python3 dnsmasq iptables ip6tables iptables-save ip6tables-save \
	iptables-restore ip6tables-restore "$DIG" "$LDNS_TESTNS"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"

docker_host_namespaces dghd
ip netns exec "$RT" iptables -S >/dev/null 2>&1 &&
	ip netns exec "$RT" ip6tables -S >/dev/null 2>&1 || skip_all "iptables does not work here"

# Topology (lib.sh). No DOCKER-USER yet: the script must first refuse.
docker_host_topology 96
# The rogue outside; dnsgate in its own namespace, reached through the
# router; its configuration ($tmp/dnsgate.conf) is what the script is given.
docker_host_servers

# hd ARGS...: the script in the router with the test's dnsgate and its
# configuration; its status, stdout and stderr in hd_rc, hd_out, hd_err.
hd() {
	rt env DNSGATE="$DNSGATE" sh "$srcdir/contrib/harden-docker-host.sh" "$@" \
		>"$tmp/hd.out" 2>"$tmp/hd.err"
	hd_rc=$?
	hd_out=$(cat "$tmp/hd.out")
	hd_err=$(cat "$tmp/hd.err")
	[ -s "$tmp/hd.err" ] && sed 's/^/#   stderr: /' "$tmp/hd.err"
	return 0
}
subnets=(--subnet 10.96.1.0/24 --subnet fd96:1::/64)
apply() { hd -c "$tmp/dnsgate.conf" "${subnets[@]}" "$@"; }

# The router's whole iptables state, both families, without counters and
# the timestamps of iptables-save's comments.
snapshot() {
	{ rt iptables-save; rt ip6tables-save; } 2>/dev/null |
		grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//'
}
# jumps IPTABLES: how many jumps to DNSGATE-USER its DOCKER-USER holds,
# and its raw PREROUTING.
jumps() {
	echo "$(rt "$1" -S DOCKER-USER 2>/dev/null | grep -c -- '-j DNSGATE-USER')+$(
		rt "$1" -t raw -S PREROUTING 2>/dev/null | grep -c -- '-j DNSGATE-USER')"
}

# Control, with no rules: the rogue answers (the test is real).
sandbox_rogue_paths "no rules" "$rogue" 10.96.1.2 fd96:1::2

# No Docker yet: no DOCKER-USER chain. The script refuses, changes nothing.
before=$(snapshot)
apply
is "$hd_rc" 1 "no DOCKER-USER: the script refuses (exit 1)"
like "$hd_err" 'the DOCKER-USER chain does not exist' "no DOCKER-USER: it says the chain is missing"
like "$hd_err" 'Docker creates it' "no DOCKER-USER: it says Docker creates it"
is "$(snapshot)" "$before" "no DOCKER-USER: nothing changed"
apply --dry-run
is "$hd_rc" 0 "no DOCKER-USER, --dry-run: exit 0, a preview all the same"
like "$hd_out" '^iptables -I DOCKER-USER 1 -j DNSGATE-USER$' "no DOCKER-USER, --dry-run: prints the rules and the jump"
like "$hd_err" 'no DOCKER-USER chain yet' "no DOCKER-USER, --dry-run: says a real run needs the chain"
is "$(snapshot)" "$before" "no DOCKER-USER, --dry-run: nothing changed"

# Docker's part: DOCKER-USER, jumped to first from FORWARD.
docker_user_chain
before=$(snapshot)

apply --dry-run
is "$hd_rc" 0 "--dry-run: exit 0"
like "$hd_out" "^iptables-restore --noflush <<'EOF'$" "--dry-run: prints the iptables-restore command"
like "$hd_out" '^-A DNSGATE-USER -s 10\.96\.1\.0/24 -d 10\.96\.3\.2/32 -p udp' "--dry-run: prints the IPv4 rules"
like "$hd_out" "^ip6tables-restore --noflush <<'EOF'$" "--dry-run: prints the ip6tables-restore command"
like "$hd_out" '^-A DNSGATE-USER -s fd96:1::/64 -d fd96:3::2/128 -p udp' "--dry-run: prints the IPv6 rules"
like "$hd_out" '^iptables -I DOCKER-USER 1 -j DNSGATE-USER$' "--dry-run: prints the IPv4 jump"
like "$hd_out" '^ip6tables -I DOCKER-USER 1 -j DNSGATE-USER$' "--dry-run: prints the IPv6 jump"
like "$hd_out" '^iptables -t raw -I PREROUTING 1 -j DNSGATE-USER$' "--dry-run: prints the IPv4 raw jump (forged sources)"
like "$hd_out" '^ip6tables -t raw -I PREROUTING 1 -j DNSGATE-USER$' "--dry-run: prints the IPv6 raw jump"
is "$(snapshot)" "$before" "--dry-run: nothing changed"
apply --dry-run --listen 10.96.3.9:53
like "$hd_out" '^-A DNSGATE-USER -s 10\.96\.1\.0/24 -d 10\.96\.3\.9/32 ' "--dry-run --listen: the listener given replaces the configuration's"
sandbox_rogue_paths "--dry-run" "$rogue" 10.96.1.2

apply
is "$hd_rc" 0 "apply: exit 0"
once=$(snapshot)
[ "$once" != "$before" ] && grep -q -- '-A DNSGATE-USER -s 10.96.1.0/24' <<<"$once" &&
	grep -q -- '-A DNSGATE-USER -s fd96:1::/64' <<<"$once"
ok $? "apply: the rules show in the router's iptables and ip6tables"
sandbox_via_dnsgate "applied"
sandbox_rogue_paths "applied" "no answer" 10.96.1.2 fd96:1::2

apply
is "$hd_rc" 0 "apply again: exit 0"
is "$(snapshot)" "$once" "apply again: the same rules"
is "$(jumps iptables) $(jumps ip6tables)" "1+1 1+1" "apply again: one jump per family and table"
for fam in 4 6; do
	ipt=iptables
	[ $fam = 6 ] && ipt=ip6tables
	is "$({ rt $ipt -t raw -S DNSGATE-USER; rt $ipt -S DNSGATE-USER; } | grep -c -- '^-A')" \
		"$("$DNSGATE" -c "$tmp/dnsgate.conf" firewall --iptables --target docker-user "${subnets[@]}" --family $fam | grep -c -- '^-A')" \
		"apply again: $ipt's DNSGATE-USER holds one copy of the rules"
done

hd --remove --dry-run
like "$hd_out" '^ip6tables -D DOCKER-USER -j DNSGATE-USER$' "--remove --dry-run: prints the commands"
like "$hd_out" '^ip6tables -t raw -X DNSGATE-USER$' "--remove --dry-run: the raw chain's too"
is "$(snapshot)" "$once" "--remove --dry-run: nothing changed"
hd --remove
is "$hd_rc" 0 "--remove: exit 0"
is "$(snapshot)" "$before" "--remove: the router's iptables-save is what it was"
sandbox_rogue_paths "removed" "$rogue" 10.96.1.2 fd96:1::2
hd --remove
is "$hd_rc" 0 "--remove again: exit 0"
is "$(snapshot)" "$before" "--remove again: nothing changed"

# Docker without IPv6 (ip6tables off): the IPv4 half alone, and said so.
rt ip6tables -D FORWARD -j DOCKER-USER && rt ip6tables -X DOCKER-USER || {
	echo "# cannot remove the IPv6 DOCKER-USER stand-in"; exit 99; }
before=$(snapshot)
apply
is "$hd_rc" 0 "no IPv6 DOCKER-USER: exit 0"
like "$hd_err" 'ip6tables has no DOCKER-USER chain' "no IPv6 DOCKER-USER: it says so"
like "$hd_err" 'skipping the IPv6 rules' "no IPv6 DOCKER-USER: it says the IPv6 rules are skipped"
rt ip6tables -S DNSGATE-USER >/dev/null 2>&1 || rt ip6tables -t raw -S DNSGATE-USER >/dev/null 2>&1
is "$? $(jumps iptables)" "1 1+1" "no IPv6 DOCKER-USER: IPv4 rules only"
sandbox_rogue_paths "IPv4 only" "no answer" 10.96.1.2
hd --remove
is "$hd_rc" 0 "no IPv6 DOCKER-USER: --remove, exit 0"
is "$(snapshot)" "$before" "no IPv6 DOCKER-USER: --remove restores the prior state"

is "$(grep -c 'denied.example.org' "$tmp/up.log")" 0 "no denied name reached the upstream"
done_testing
