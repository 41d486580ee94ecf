#!/usr/bin/env bash
# t_docker_egress: `dnsgate firewall --nft --target docker-user --egress`
# (README "Egress by answer") on the real Docker daemon
# (tests/docker/dockerd.sh): dnsgate on the Docker host with its answers
# going to the nft sets the rules declare; two destinations, 192.0.2.80
# (what allowed.example resolves to, egress.testns) and 192.0.2.81 (what
# no answer names), TCP port 80 in a namespace this test makes outside
# Docker, routed from the Docker host.
#
# Shown: before the rules a container reaches both; with them, neither
# until dnsgate has answered allowed.example, then .80 and never .81, from
# docker0 and from a network created after the rules; a refusal comes at
# once (ICMP admin-prohibited), not as a timeout; firewall --verify
# --outside from the container's namespace agrees.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
. "$srcdir/tests/docker/lib.sh"
need ip ss python3 dnsmasq nft "$DIG" "$LDNS_TESTNS"
docker_setup
docker_outside 3
ip -n "$OUT" addr add 192.0.2.80/32 dev eth0 && ip -n "$OUT" addr add 192.0.2.81/32 dev eth0 &&
	hostns ip route add 192.0.2.80/31 via 10.97.3.2 || { echo "# cannot route the destinations"; exit 99; }
start_tcp_listener "$OUT" 80
wait_until 5 bound "$OUT" t '*' 80 || { echo "# the destination does not listen"; exit 99; }
host_upstream egress.testns
host_config allowed.example '[firewall]
nft_set = inet dnsgate_egress allowed4
nft_set6 = inet dnsgate_egress allowed6
'

agent ag --cap-drop NET_RAW --dns 172.17.0.1
# reach NAME ADDR: NAME's container connects to ADDR port 80 (its status);
# how it went in $how: connected, the errno's name (refused by a reject:
# EHOSTUNREACH, ECONNREFUSED, EACCES), or timeout (dropped).
cat >"$tmp/reach.py" <<'PY'
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.connect((sys.argv[1], 80))
    print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PY
reach() {
	how=$($(in_ct "$1") python3 "$tmp/reach.py" "$2")
	[ "$how" = connected ]
}
reach ag 192.0.2.81
ok $? "no rules: the container reaches 192.0.2.81"

# The rules first (they declare the sets dnsgate fills), then dnsgate.
"$DNSGATE" -c "$tmp/dnsgate.conf" firewall --nft --target docker-user --egress >"$tmp/rules.nft" &&
	hostns nft -f "$tmp/rules.nft"
ok $? "firewall --nft --target docker-user --egress applies on the Docker host"
grep '^#' "$tmp/rules.nft" | head -n 20 | sed 's/^/#   /'
host_dnsgate -c "$tmp/dnsgate.conf"

! reach ag 192.0.2.80
ok $? "before any answer: 192.0.2.80 is refused ($how)"
[ "$how" = EHOSTUNREACH ]
ok $? "... at once, by ICMP admin-prohibited (EHOSTUNREACH), not dropped into a timeout"
is "$(ct_dig ag allowed.example)" \
	192.0.2.80 "the container resolves allowed.example through dnsgate"
hostns nft list set inet dnsgate_egress allowed4 | grep -q '192.0.2.80'
ok $? "dnsgate added the answer to the set on the Docker host"
reach ag 192.0.2.80
ok $? "after the answer: the container reaches 192.0.2.80"
! reach ag 192.0.2.81
ok $? "192.0.2.81, named by no answer, stays refused ($how)"
! reach ag 10.97.3.2
ok $? "the outside namespace's own address, in no answer, is refused ($how)"

docker network create --label "$label" "dgk$$-later" >/dev/null || { echo "# docker network create failed"; exit 99; }
agent later --cap-drop NET_RAW --network "dgk$$-later" --dns 172.17.0.1
! reach later 192.0.2.81
ok $? "a network created after the rules: 192.0.2.81 refused"
reach later 192.0.2.80
ok $? "a network created after the rules: 192.0.2.80, in the set, reached"

nsenter -t "$ag_pid" -n "$DNSGATE" -c "$tmp/dnsgate.conf" firewall --verify \
	--allowed allowed.example --outside 192.0.2.81:80 >"$tmp/verify.out" 2>&1
ok $? "firewall --verify --outside 192.0.2.81:80 from the container's namespace: every check passes"
sed 's/^/#   /' "$tmp/verify.out"
hostns nft delete table inet dnsgate_egress
hostns nft delete table inet dnsgate_docker
reach ag 192.0.2.81
ok $? "rules removed: 192.0.2.81 reached again"

done_testing
