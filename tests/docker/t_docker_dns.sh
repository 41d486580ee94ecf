#!/usr/bin/env bash
# t_docker_dns: the README recipe "A container's dns: setting", played on
# the real Docker daemon (tests/docker/dockerd.sh): dnsgate on the Docker
# host's bridge address (172.17.0.1:53), a container started with
# `--cap-drop NET_RAW --dns 172.17.0.1`, and the container rules applied in
# its network namespace with nsenter, nft (and iptables-restore), exactly
# as the README writes them. Then the user-defined network variant: Docker's
# embedded resolver 127.0.0.11 with `--docker-dns`.
#
# The escape the rules close: a rogue resolver (every name is $rogue) in a
# namespace outside Docker, which containers reach through Docker's
# forwarding: answered before the rules, unreachable after them.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
. "$srcdir/tests/docker/lib.sh"
need ip ss python3 dnsmasq nft iptables-restore "$DIG" "$LDNS_TESTNS"
docker_setup
docker_outside 1
host_upstream
host_dnsgate --listen 172.17.0.1:53 --upstream 127.0.0.1:5300 --allow www.example.com

# --- dns: and the nft container rules ---
agent nft --cap-drop NET_RAW --dns 172.17.0.1
is "$(docker exec "nft-$$" cat /etc/resolv.conf | awk '$1 == "nameserver" { print $2 }')" \
	172.17.0.1 "dns: puts dnsgate in the container's resolv.conf"
wait_until 5 eval '[ "$(ct_dig nft www.example.com)" = "$allowed" ]'
is "$(ct_dig nft www.example.com)" "$allowed" "before the rules: an allowed name resolves through dnsgate"
check_rogue_paths "before the rules" "$rogue" "$(in_ct nft)" "$ROGUE"

# The README's command, as it is written there.
"$DNSGATE" --listen 172.17.0.1:53 firewall --nft | nsenter -t "$nft_pid" -n nft -f -
ok $? "the container rules apply with nsenter -t PID -n nft -f -"
is "$(ct_dig nft www.example.com)" "$allowed" "after: the allowed name still resolves"
is "$(ct_dig nft denied.example.com)" NXDOMAIN "after: a name off the list gets NXDOMAIN from dnsgate"
check_rogue_paths "after the nft rules" "no answer" "$(in_ct nft)" "$ROGUE"
is "$(upstream_count up denied.example.com.)" 0 "the denied name never reached the upstream"

# firewall --verify from inside the container's namespace: every check ok.
nsenter -t "$nft_pid" -n "$DNSGATE" --listen 172.17.0.1:53 --allow www.example.com \
	firewall --verify --resolver "$ROGUE" >"$tmp/verify.out" 2>&1
ok $? "firewall --verify in the container's namespace: every check passes"
sed 's/^/#   /' "$tmp/verify.out"
is "$(grep -c '^ok ' "$tmp/verify.out")" 3 "... one ok line each: allowed, denied, the rogue resolver"

# NET_RAW dropped: a raw socket is refused in the container itself.
docker exec "nft-$$" python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)' \
	>/dev/null 2>&1
is "$?" 1 "--cap-drop NET_RAW: the container cannot open a raw socket"

# --- the same with iptables ---
agent ipt --cap-drop NET_RAW --dns 172.17.0.1
check_rogue_paths "iptables, before" "$rogue" "$(in_ct ipt)" "$ROGUE"
nsenter -t "$ipt_pid" -n "$DNSGATE" --listen 172.17.0.1:53 --allow www.example.com \
	firewall --verify --resolver "$ROGUE" >"$tmp/verify.out" 2>&1
is "$?" 1 "firewall --verify before the rules: a check fails (exit 1)"
like "$(cat "$tmp/verify.out")" "^FAIL .*$ROGUE" "... the rogue resolver's, on a FAIL line"
"$DNSGATE" --listen 172.17.0.1:53 firewall --iptables --family 4 |
	nsenter -t "$ipt_pid" -n iptables-restore --noflush &&
	{ nsenter -t "$ipt_pid" -n iptables -C OUTPUT -j DNSGATE 2>/dev/null ||
		nsenter -t "$ipt_pid" -n iptables -I OUTPUT 1 -j DNSGATE; }
ok $? "the iptables rules and their one jump apply with nsenter"
is "$(ct_dig ipt www.example.com)" "$allowed" "iptables: the allowed name resolves"
is "$(ct_dig ipt denied.example.com)" NXDOMAIN "iptables: a name off the list gets NXDOMAIN"
check_rogue_paths "after the iptables rules" "no answer" "$(in_ct ipt)" "$ROGUE"

# --- a user-defined network: Docker's 127.0.0.11 with --docker-dns ---
docker network create --label "$label" "dgk$$" >/dev/null || { echo "# docker network create failed"; exit 99; }
agent udn --cap-drop NET_RAW --network "dgk$$" --dns 172.17.0.1
agent udnrogue --cap-drop NET_RAW --network "dgk$$" --dns "$ROGUE"
is "$(docker exec "udn-$$" awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf)" 127.0.0.11 \
	"on a user-defined network the container's resolv.conf names 127.0.0.11"
wait_until 5 eval '[ "$(ct_dig udn www.example.com)" = "$allowed" ]'
is "$(ct_dig udnrogue www.example.com)" "$rogue" \
	"before the rules: 127.0.0.11 forwards to whatever dns: names (here the rogue)"
for c in udn udnrogue; do
	"$DNSGATE" --listen 172.17.0.1:53 firewall --nft --docker-dns |
		nsenter -t "$(docker inspect -f '{{.State.Pid}}' "$c-$$")" -n nft -f - ||
		ok 1 "--docker-dns rules apply in $c"
done
is "$(ct_dig udn www.example.com)" "$allowed" "--docker-dns: 127.0.0.11 answers an allowed name from dnsgate"
is "$(ct_dig udn denied.example.com)" NXDOMAIN "--docker-dns: a name off the list gets NXDOMAIN through 127.0.0.11"
is "$(ct_dig udnrogue www.example.com)" "no answer" \
	"--docker-dns: with dns: the rogue, 127.0.0.11 gets nothing (it asks from the container's namespace)"
# The embedded resolver's real port, in the container's /proc/net/udp:
# a query sent there directly passes no DNAT of port 53, so it is dropped.
port=$(docker exec "udn-$$" awk 'NR > 1 && $2 ~ /^0B00007F:/ { print $2 }' /proc/net/udp |
	head -n 1 | cut -d: -f2)
if [ -n "$port" ]; then
	is "$(ct_dig udn @127.0.0.11 -p $((16#$port)) www.example.com)" "no answer" \
		"--docker-dns: 127.0.0.11's real port ($((16#$port))) is not reachable directly"
else
	ok 1 "the embedded resolver's port is in the container's /proc/net/udp"
fi
check_rogue_paths "user-defined network, after" "no answer" "$(in_ct udn)" "$ROGUE"

done_testing
