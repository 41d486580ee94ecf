#!/usr/bin/env bash
# t_docker_harden: the README recipe "Harden an existing Docker host",
# played on the real Docker daemon (tests/docker/dockerd.sh): dnsgate on the
# Docker host (172.17.0.1:53), contrib/harden-docker-host.sh run there with
# no --subnet (every Docker bridge, by interface), then a network created
# after it; then the same with the nft rules, applied as
# contrib/dnsgate-firewall@docker-user.service's ExecStart applies them.
#
# The escape the rules close: a rogue resolver (every name is $rogue) in a
# namespace outside Docker, reached through the Docker host's forward path.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
. "$srcdir/tests/docker/lib.sh"
need ip ss python3 dnsmasq nft iptables sh "$DIG" "$LDNS_TESTNS"
docker_setup
docker_outside 2
host_upstream
host_config www.example.com
host_dnsgate -c "$tmp/dnsgate.conf"

# hardened LABEL NAME: NAME's container resolves through dnsgate alone.
hardened() {
	wait_until 5 eval '[ "$(ct_dig "$2" www.example.com)" = "$allowed" ]'
	is "$(ct_dig "$2" www.example.com)" "$allowed" "$1: the allowed name resolves through dnsgate"
	is "$(ct_dig "$2" denied.example.com)" NXDOMAIN "$1: a name off the list gets NXDOMAIN"
	check_rogue_paths "$1" "no answer" "$(in_ct "$2")" "$ROGUE"
}

agent first --cap-drop NET_RAW --dns 172.17.0.1
wait_until 5 eval '[ "$(dig_a "$(in_ct first)" "$ROGUE" www.example.com)" = "$rogue" ]'
check_rogue_paths "no rules" "$rogue" "$(in_ct first)" "$ROGUE"

# --- iptables: the script, as the README runs it ---
hostns env DNSGATE="$DNSGATE" sh "$srcdir/contrib/harden-docker-host.sh" -c "$tmp/dnsgate.conf" \
	>"$tmp/hd.out" 2>&1
ok $? "harden-docker-host.sh -c CONF (no --subnet) applies on the Docker host"
sed 's/^/#   /' "$tmp/hd.out"
hardened "iptables, docker0" first
docker network create --label "$label" "dgk$$-later" >/dev/null || { echo "# docker network create failed"; exit 99; }
agent later --cap-drop NET_RAW --network "dgk$$-later" --dns 172.17.0.1
hardened "iptables, a network created after the rules" later
hostns sh "$srcdir/contrib/harden-docker-host.sh" --remove
ok $? "harden-docker-host.sh --remove"
wait_until 5 eval '[ "$(dig_a "$(in_ct later)" "$ROGUE" www.example.com)" = "$rogue" ]'
is "$(dig_a "$(in_ct later)" "$ROGUE" www.example.com)" "$rogue" "removed: the rogue answers again"

# --- nft: the systemd unit's docker-user instance ---
unit=$srcdir/contrib/dnsgate-firewall@.service
script=$(unit_command "$unit" ExecStart docker-user "$tmp/dnsgate.conf")
hostns env DNSGATE_FIREWALL_OPTIONS= sh -c "$script" >"$tmp/unit.out" 2>&1
ok $? "dnsgate-firewall@docker-user's ExecStart applies on the Docker host"
sed 's/^/#   /' "$tmp/unit.out"
hardened "nft, a network that existed" later
docker network create --label "$label" "dgk$$-later2" >/dev/null || { echo "# docker network create failed"; exit 99; }
agent later2 --cap-drop NET_RAW --network "dgk$$-later2" --dns 172.17.0.1
hardened "nft, a network created after the rules" later2
hostns nft delete table inet dnsgate_docker

done_testing
