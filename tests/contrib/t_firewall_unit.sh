#!/usr/bin/env bash
# t_firewall_unit: contrib/dnsgate-firewall@.service, the oneshot unit that
# applies the companion rules at boot and again after the firewall
# service's own ruleset replaced them. systemd-analyze verifies both
# instances; its order and membership are read from the file; then its
# ExecStart, ExecReload and ExecStop, as systemd would run them (its
# specifiers and $$ unescaped, the binary and configuration paths made this
# build's), run in a network namespace this test makes:
#   start        the table is there, and a rejected configuration fails the
#                unit and loads nothing (never an empty rule set)
#   flush        `nft flush ruleset` (nftables.service's reload) removes it;
#                reload brings it back, once
#   stop         removes it; again, with nothing left, is ignored (- prefix)
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
need ip nft systemd-analyze
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create network namespaces"
unit=$srcdir/contrib/dnsgate-firewall@.service

for inst in host docker-user; do
	cp "$unit" "$tmp/dnsgate-firewall@$inst.service"
	out=$(systemd-analyze verify "$tmp/dnsgate-firewall@$inst.service" 2>&1)
	is "$out" "" "dnsgate-firewall@$inst.service: systemd-analyze verify has nothing to say"
done
# key KEY: the unit's value of KEY (every line of it, space separated).
key() { sed -n "s/^$1=//p" "$unit" | paste -sd' '; }
is "$(key Type)" oneshot "Type=oneshot"
is "$(key RemainAfterExit)" yes "RemainAfterExit=yes: applied stays active, so a reload reaches it"
is "$(key Before)" network-pre.target "Before=network-pre.target: the rules are in before any network"
is "$(key PartOf)" "nftables.service firewalld.service" \
	"PartOf the firewall services: stopped and started again with them"
is "$(key ReloadPropagatedFrom)" "nftables.service firewalld.service" \
	"ReloadPropagatedFrom them: applied again after their reload (a flush ruleset)"
is "$(key WantedBy)" multi-user.target "WantedBy=multi-user.target: at boot"

# command KEY INSTANCE: KEY's shell script as systemd runs it, with this
# build's dnsgate and the test's configuration.
command() { unit_command "$unit" "$1" "$2" "$tmp/dnsgate.conf"; }
NS=dgfu$$
make_namespaces "$NS"
probe_nft() { ip netns exec "$NS" nft list ruleset >/dev/null 2>&1; }
probe_nft || skip_all "nft does not work here"
# run KEY INSTANCE [OPTIONS]: KEY's command in the namespace, with
# DNSGATE_FIREWALL_OPTIONS as the unit's environment file would set it.
run() {
	ip netns exec "$NS" env DNSGATE_FIREWALL_OPTIONS="${3:-}" sh -c "$(command "$1" "$2")" \
		>"$tmp/run.out" 2>&1
}
tables() { ip netns exec "$NS" nft list tables | paste -sd' '; }
chains() { ip netns exec "$NS" nft list ruleset | grep -c '^	chain '; }

printf '[server]\nlisten = 127.0.0.1:53\nuser = nobody\n' >"$tmp/dnsgate.conf"
run ExecStart host
ok $? "ExecStart (host) succeeds"
is "$(tables)" "table inet dnsgate" "ExecStart (host) loads dnsgate's table"
n_chains=$(chains)
ip netns exec "$NS" nft flush ruleset
is "$(tables)" "" "nftables.service's flush ruleset removes it"
run ExecReload host
ok $? "ExecReload (host) succeeds"
is "$(tables)" "table inet dnsgate" "ExecReload brings the table back"
run ExecReload host
is "$(chains)" "$n_chains" "ExecReload again: the same chains, nothing piled up"
run ExecStop host
ok $? "ExecStop (host) succeeds"
is "$(tables)" "" "ExecStop removes the table"
run ExecStop host
[[ $(key ExecStop) == -* ]]
ok $? "ExecStop with nothing left fails, and its - prefix tells systemd that is fine"

run ExecStart host "--allow-user root"
ok $? "DNSGATE_FIREWALL_OPTIONS reaches dnsgate (--allow-user root)"
ip netns exec "$NS" nft list table inet dnsgate | grep -q 'skuid 0\|skuid "root"'
ok $? "... and the rules hold what it asked for"
run ExecStop host

run ExecStart docker-user
ok $? "ExecStart (docker-user) succeeds, with no --subnet: every Docker bridge"
is "$(tables)" "table inet dnsgate_docker" "ExecStart (docker-user) loads its table"
run ExecStop docker-user
is "$(tables)" "" "ExecStop (docker-user) removes its table"

printf '[server]\nlisten = nowhere\n' >"$tmp/dnsgate.conf"
run ExecStart host
[ $? != 0 ]
ok $? "a configuration dnsgate rejects fails ExecStart"
like "$(cat "$tmp/run.out")" 'dnsgate' "... with dnsgate's own message"
is "$(tables)" "" "... and loads nothing, not an empty rule set"

done_testing
