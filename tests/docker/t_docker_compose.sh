#!/usr/bin/env bash
# t_docker_compose: the README recipe "Compose", contrib/docker-compose.yml
# brought up by docker-compose on the real Docker daemon
# (tests/docker/dockerd.sh), as shipped but for an override file that gives
# dnsgate the test's upstream (on the Docker host, through the egress
# network) and adds a rogue resolver (every name is $rogue) on the sandbox
# network, where the agent could otherwise reach it.
#
# Shown: the agent shares netguard's network namespace and the container
# rules are in it whenever the agent runs; names resolve through dnsgate
# only; the rogue answers a container without the rules and not the agent;
# the agent cannot remove the rules; `docker restart` of the agent keeps
# them, and so does recreating it.
. "$srcdir/tests/integration/lib.sh"
. "$srcdir/tests/firewall/lib.sh"
. "$srcdir/tests/docker/lib.sh"
need python3 docker-compose "$DIG" "$LDNS_TESTNS"
docker_setup
dnsgate_image
host_upstream

sandbox_rogue=172.30.53.66
# The shipped configuration with only its upstream changed: the Docker
# host's end of the egress network, where host_upstream listens.
sed 's/^servers = .*/servers = 172.31.54.1:5300/' "$srcdir/contrib/compose/dnsgate.conf" >"$tmp/dnsgate.conf"
cat >"$tmp/override.yml" <<EOF2
services:
  dnsgate:
    volumes: ["$tmp/dnsgate.conf:/etc/dnsgate/dnsgate.conf:ro"]
  netguard:
    volumes: ["$tmp/dnsgate.conf:/etc/dnsgate/dnsgate.conf:ro"]
  rogue:
    image: $DG_DOCKER_BASE
    command: [dnsmasq, -k, --conf-file=/dev/null, --no-resolv, --no-hosts,
              --user=root, --group=root, "--address=/#/$rogue", --port=53]
    networks:
      sandbox:
        ipv4_address: $sandbox_rogue
networks:
  egress:
    ipam:
      config:
        - subnet: 172.31.54.0/24
EOF2
compose_project=dgk$$
compose_files=(-f "$srcdir/contrib/docker-compose.yml" -f "$tmp/override.yml")
dc() { docker-compose -p "$compose_project" "${compose_files[@]}" "$@"; }

timeout $((180 * time_scale)) docker-compose -p "$compose_project" "${compose_files[@]}" \
	up -d >"$tmp/up.out" 2>&1
rc=$?
ok $rc "docker-compose up -d: netguard healthy, then the agent"
[ $rc = 0 ] || { sed 's/^/#   /' "$tmp/up.out"; dc ps | sed 's/^/#   /'; dc logs --no-color | tail -n 30 | sed 's/^/#   /'; }

cid() { dc ps -q "$1"; }           # cid SERVICE: its container
cpid() { docker inspect -f '{{.State.Pid}}' "$(cid "$1")"; }
netns_of() { readlink "/proc/$(cpid "$1")/ns/net"; }
in_svc() { echo "nsenter -t $(cpid "$1") -n"; }
# ag_dig ARGS...: the agent's own dig, through its own resolv.conf.
ag_dig() {
	docker exec "$(cid agent)" dig +time=$((2 * time_scale)) +tries=1 "$@" 2>&1 | dig_result
}
# checks LABEL: what must hold whenever the agent runs.
checks() {
	is "$(netns_of agent)" "$(netns_of netguard)" "$1: the agent runs in netguard's network namespace"
	$(in_svc agent) nft list table inet dnsgate >/dev/null 2>&1
	ok $? "$1: the container rules are in the agent's namespace"
	wait_until 5 eval '[ "$(ag_dig www.example.com)" = "$allowed" ]'
	is "$(ag_dig www.example.com)" "$allowed" "$1: the allowed name resolves through dnsgate"
	is "$(ag_dig denied.example.org)" NXDOMAIN "$1: a name off the list gets NXDOMAIN"
	is "$(dig_a "$(in_svc agent)" "$sandbox_rogue" www.example.com)" "no answer" \
		"$1: the rogue on the sandbox network gets no UDP query through"
	is "$(dig_a "$(in_svc agent)" "$sandbox_rogue" www.example.com +tcp)" "no answer" \
		"$1: nor a TCP one"
}

# The rogue is real: a container on the same network without the rules
# reaches it.
net=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$(cid rogue)")
agent probe --network "$net"
wait_until 5 eval '[ "$(dig_a "$(in_ct probe)" "$sandbox_rogue" www.example.com)" = "$rogue" ]'
is "$(dig_a "$(in_ct probe)" "$sandbox_rogue" www.example.com)" "$rogue" \
	"a container on the sandbox network without the rules reaches the rogue"

checks "up"
docker exec "$(cid agent)" nft flush ruleset >/dev/null 2>&1
is "$?" 1 "the agent cannot remove the rules (no NET_ADMIN)"
docker exec "$(cid agent)" python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)' \
	>/dev/null 2>&1
is "$?" 1 "the agent cannot open a raw socket (no NET_RAW)"

before=$(cpid agent)
docker restart -t 1 "$(cid agent)" >/dev/null
ok $? "docker restart of the agent"
[ "$(cpid agent)" != "$before" ]
ok $? "the agent runs again as a new process"
checks "after docker restart"

dc up -d --force-recreate --no-deps agent >"$tmp/recreate.out" 2>&1
ok $? "the agent recreated (up -d --force-recreate agent)"
checks "after recreating the agent"

is "$(grep -c 'denied.example.org' "$tmp/up.log")" 0 "no denied name reached the upstream"
done_testing
