#!/usr/bin/env bash
# t_files: the deployment files under contrib/ are valid for their tools and
# agree with each other and with dnsgate, without Docker, Kubernetes or a
# running systemd (no root needed):
#   dnsgate.service           systemd-analyze verify; every hardening
#                             directive; its ExecStart passes --check
#   harden-docker-host.sh     dash -n, shellcheck -s sh, --help, usage errors
#   docker-compose.yml        the agent's only network is internal and its
#                             DNS is dnsgate's fixed address (also in the
#                             resolv.conf it mounts); dnsgate's config passes
#                             --check and listens there
#   kubernetes/*.yaml         the agent pod's nameserver is the Service IP;
#                             only dnsgate's pods get the agents' port 53;
#                             the ConfigMap passes --check; non-root pod;
#                             NET_RAW dropped in both pods; ClientIP
#                             affinity; the probes are paths the
#                             ConfigMap's dnsgate answers 200, run here on
#                             loopback, on its metrics port
#   Dockerfile                two bookworm stages, a runtime library for each
#                             -dev package, a non-root USER
. "$srcdir/tests/integration/lib.sh"
need python3 dash shellcheck systemd-analyze timeout
python3 -c 'import yaml' 2>/dev/null || skip_all "python3 has no yaml module"
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
c=$srcdir/contrib

# y FILE EXPR: EXPR (Python) on FILE's YAML documents: d, the list of them;
# kind(K) the first of kind K; top (a dict) printed as JSON, a list space
# separated, a bool as true/false.
cat >"$tmp/y.py" <<'EOF'
import ipaddress, json, os, sys, yaml
docs = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x is not None]
def kind(k):
    return next(x for x in docs if x.get("kind") == k)
v = eval(sys.argv[2], {"d": docs, "kind": kind, "ipaddress": ipaddress, "os": os})
if isinstance(v, bool):
    print("true" if v else "false")
elif isinstance(v, (list, tuple)):
    print(" ".join(map(str, v)))
elif isinstance(v, dict):
    print(json.dumps(v, sort_keys=True))
else:
    print(v)
EOF
y() { python3 "$tmp/y.py" "$@"; }

# check_conf FILE MSG: dnsgate accepts FILE (its --check output in
# $tmp/check.out).
check_conf() {
	"$DNSGATE" -c "$1" --check >"$tmp/check.out" 2>"$tmp/check.err"
	ok $? "$2"
	[ -s "$tmp/check.err" ] && sed 's/^/#   /' "$tmp/check.err"
}
# conf_value SECTION KEY: its value in the last --check output.
conf_value() {
	awk -v s="[$1]" -v k="$2" '/^\[/ { in_s = ($0 == s) }
		in_s && index($0, k " = ") == 1 { print substr($0, length(k) + 4) }' "$tmp/check.out"
}

# A configuration for running the unit's command line here: the installed
# one names a path that does not exist on a build machine.
cat >"$tmp/test.conf" <<'EOF'
[server]
listen = 127.0.0.1:5353
[upstream]
servers = 127.0.0.1:5300
[policy]
allow = www.example.com
EOF

## dnsgate.service
unit=$c/dnsgate.service
mkdir "$tmp/unit"
exec_line=$(sed -n 's/^ExecStart=//p' "$unit")
read -r -a exec_args <<<"$exec_line"
# verify checks that the binary exists: point it at the built one.
sed "s|^ExecStart=${exec_args[0]}|ExecStart=$DNSGATE|" "$unit" >"$tmp/unit/dnsgate.service"
out=$(systemd-analyze verify "$tmp/unit/dnsgate.service" 2>&1)
rc=$?
is "$rc:$out" "0:" "dnsgate.service: systemd-analyze verify has nothing to say"
for directive in \
	'Type=notify' \
	'ExecReload=/bin/kill -HUP $MAINPID' \
	'Restart=on-failure' \
	'User=dnsgate' \
	'AmbientCapabilities=CAP_NET_BIND_SERVICE' \
	'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' \
	'NoNewPrivileges=yes' \
	'ProtectSystem=strict' \
	'ProtectHome=yes' \
	'PrivateTmp=yes' \
	'PrivateDevices=yes' \
	'ProtectKernelTunables=yes' \
	'ProtectKernelModules=yes' \
	'ProtectKernelLogs=yes' \
	'ProtectControlGroups=yes' \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK' \
	'RestrictNamespaces=yes' \
	'LockPersonality=yes' \
	'MemoryDenyWriteExecute=yes' \
	'SystemCallArchitectures=native' \
	'SystemCallFilter=@system-service'; do
	grep -qxF -- "$directive" "$unit"
	ok $? "dnsgate.service: $directive"
done
is "$(grep -c '^ExecStart=' "$unit")" 1 "dnsgate.service: one ExecStart"
is "${exec_args[1]:-}" -c "dnsgate.service: ExecStart names its configuration with -c"
is "${#exec_args[@]}" 3 "dnsgate.service: ExecStart has nothing else"
# Its command line, run here: the built binary, the test configuration.
run_args=("$DNSGATE")
for ((i = 1; i < ${#exec_args[@]}; i++)); do
	run_args+=("${exec_args[i]}")
	[ "${exec_args[i]}" = -c ] && run_args+=("$tmp/test.conf") && i=$((i + 1))
done
"${run_args[@]}" --check >/dev/null 2>"$tmp/check.err"
ok $? "dnsgate.service: its ExecStart, on a test configuration, passes --check"

## harden-docker-host.sh
hd=$c/harden-docker-host.sh
dash -n "$hd"
ok $? "harden-docker-host.sh: dash -n"
out=$(shellcheck -s sh "$hd" 2>&1)
ok $? "harden-docker-host.sh: shellcheck -s sh"
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/#   /'
out=$(sh "$hd" --help 2>&1)
rc=$?
is "$rc" 0 "harden-docker-host.sh --help: exit 0"
like "$out" '^Usage: harden-docker-host.sh \[--dry-run\]' "harden-docker-host.sh --help: the usage"
# usage_error WANT_REGEX ARGS...: exit 2 and a message on stderr, nothing on stdout.
usage_error() {
	local want=$1 out err rc
	shift
	out=$(sh "$hd" "$@" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
	is "$rc:$out" 2: "harden-docker-host.sh $*: exit 2, nothing on stdout"
	like "$err" "$want" "harden-docker-host.sh $*: says why on stderr"
}
usage_error '--subnet needs an argument' --config "$tmp/test.conf" --subnet
usage_error 'unknown argument: --bogus' --subnet 10.0.0.0/8 --bogus
usage_error '--listen needs an argument' --subnet 10.0.0.0/8 --listen

## YAML: every file parses
yamls=$(find "$c" -name '*.yml' -o -name '*.yaml' | sort)
[ -n "$yamls" ]
ok $? "contrib/ holds YAML files"
for f in $yamls; do
	y "$f" 'len(d) > 0' >/dev/null 2>"$tmp/err"
	ok $? "${f#"$srcdir"/}: parses (safe_load_all)"
	[ -s "$tmp/err" ] && sed 's/^/#   /' "$tmp/err"
done

## docker-compose.yml
dc=$c/docker-compose.yml
svc() { y "$dc" "d[0]['services']['$1']$2"; }
agent_nets=$(svc netguard "['networks']")
dnsgate_ip=$(svc dnsgate "['networks']['$agent_nets']['ipv4_address']")
is "$(svc agent "['network_mode']")" service:netguard \
	"compose: the agent runs in netguard's network namespace"
is "$(y "$dc" "d[0]['services']['agent']['depends_on']['netguard']['condition']")" service_healthy \
	"compose: the agent starts only once netguard is healthy"
like "$(svc netguard "['healthcheck']['test']")" 'nft list table inet dnsgate' \
	"compose: netguard is healthy only once the rules are in"
is "$(svc netguard "['cap_add']")" NET_ADMIN "compose: netguard adds NET_ADMIN alone"
is "$(svc netguard "['cap_drop']")" ALL "compose: ... after dropping every capability"
is "$(y "$dc" "bool({'ALL', 'NET_ADMIN'} & set(d[0]['services']['agent'].get('cap_drop', [])))")" true \
	"compose: the agent has no NET_ADMIN (it cannot change the rules)"
is "$(svc netguard "['dns']")" "$dnsgate_ip" "compose: netguard's dns: (the agent's) is dnsgate's fixed address ($dnsgate_ip)"
is "$(wc -w <<<"$agent_nets")" 1 "compose: the agent's namespace is on one network ($agent_nets)"
is "$(y "$dc" "d[0]['networks']['$agent_nets'].get('internal')")" true \
	"compose: the agent's network is internal"
is "$(y "$dc" "ipaddress.ip_address('$dnsgate_ip') in ipaddress.ip_network(d[0]['networks']['$agent_nets']['ipam']['config'][0]['subnet'])")" \
	true "compose: dnsgate's address is in that network's subnet"
is "$(y "$dc" "[n for n in d[0]['services']['dnsgate']['networks'] if n != '$agent_nets' and not (d[0]['networks'][n] or {}).get('internal')] != []")" \
	true "compose: dnsgate has a second, non-internal network for its upstreams"
is "$(svc dnsgate "['read_only']")" true "compose: dnsgate's root filesystem is read-only"
is "$(svc dnsgate "['cap_drop']")" ALL "compose: dnsgate drops every capability"
is "$(y "$dc" "bool({'ALL', 'NET_RAW'} & set(d[0]['services']['agent'].get('cap_drop', [])))")" true \
	"compose: the agent drops NET_RAW (raw sockets forge sources)"
is "$(svc dnsgate "['sysctls']['net.ipv4.ip_unprivileged_port_start']")" 53 \
	"compose: port 53 is unprivileged in dnsgate's namespace"
is "$(svc dnsgate "['build']['context']")/$(svc dnsgate "['build']['dockerfile']")" ../contrib/Dockerfile \
	"compose: dnsgate is built from contrib/Dockerfile, the repository as context"
# bind_source SERVICE TARGET: the host side of SERVICE's bind mount on TARGET.
bind_source() {
	y "$dc" "[v.split(':')[0] for v in d[0]['services']['$1']['volumes'] if v.split(':')[1] == '$2'][0]"
}
conf=$(realpath -m "$c/$(bind_source dnsgate /etc/dnsgate/dnsgate.conf)")
check_conf "$conf" "compose: dnsgate's configuration (${conf#"$srcdir"/}) passes --check"
is "$(conf_value server listen)" "$dnsgate_ip:53" "compose: dnsgate listens on its fixed address, port 53"
[ -n "$(conf_value upstream servers)" ]
ok $? "compose: dnsgate's configuration names its upstreams"
resolv=$(realpath -m "$c/$(bind_source agent /etc/resolv.conf)")
is "$(awk '$1 == "nameserver" { print $2 }' "$resolv" | paste -sd' ')" "$(svc netguard "['dns']")" \
	"compose: the agent's mounted resolv.conf names its dns: servers"

## Dockerfile: instructions as STAGE<TAB>KEYWORD<TAB>ARGUMENTS
python3 - "$c/Dockerfile" >"$tmp/df" <<'EOF'
import re, sys
text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
stage = -1
for line in text.splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    kw, _, rest = line.partition(" ")
    if kw.upper() == "FROM":
        stage += 1
    print("%d\t%s\t%s" % (stage, kw.upper(), " ".join(rest.split())))
EOF
df() { awk -F'\t' -v s="$1" -v k="$2" '$1 == s && $2 == k { print $3 }' "$tmp/df"; }
is "$(grep -c "$(printf '\tFROM\t')" "$tmp/df")" 2 "Dockerfile: two stages"
like "$(df 0 FROM)" '^debian:bookworm( |$)' "Dockerfile: the build stage is Debian 12 (bookworm)"
is "$(df 1 FROM)" debian:bookworm-slim "Dockerfile: the runtime stage is debian:bookworm-slim"
runtime_user=$(df 1 USER)
[ -n "$runtime_user" ] && [ "$runtime_user" != root ] && [ "${runtime_user%%:*}" != 0 ]
ok $? "Dockerfile: the runtime stage runs as a user that is not root ($runtime_user)"
is "$(df 1 ENTRYPOINT)" '["/usr/sbin/dnsgate"]' "Dockerfile: ENTRYPOINT is dnsgate"
is "$(df 1 CMD)" '["-c", "/etc/dnsgate/dnsgate.conf"]' "Dockerfile: CMD reads /etc/dnsgate/dnsgate.conf"
is "$(df 1 EXPOSE)" '53/udp 53/tcp' "Dockerfile: EXPOSE 53/udp 53/tcp"
# apt_packages STAGE: the packages its apt-get install lines name.
apt_packages() {
	df "$1" RUN | grep -o 'apt-get install [^&;|]*' | tr ' ' '\n' | grep -v '^-\|^apt-get$\|^install$\|^$' | sort
}
build_pkgs=$(apt_packages 0)
runtime_pkgs=$(apt_packages 1)
declare -A runtime_of=(
	[libuv1-dev]=libuv1 [libldns-dev]=libldns3 [libinih-dev]=libinih1
	[libidn2-dev]=libidn2-0
	[libmnl-dev]=libmnl0 [libgnutls28-dev]=libgnutls30
)
for dev in "${!runtime_of[@]}"; do
	grep -qx "$dev" <<<"$build_pkgs"
	ok $? "Dockerfile: the build stage installs $dev"
	grep -qx "${runtime_of[$dev]}" <<<"$runtime_pkgs"
	ok $? "Dockerfile: the runtime stage installs ${runtime_of[$dev]} (for $dev)"
done
is "$(grep -c -- '-dev$' <<<"$runtime_pkgs")" 0 "Dockerfile: no -dev package in the runtime stage"
# The map above, against Debian's own dependencies, where apt knows them.
if command -v apt-cache >/dev/null 2>&1 &&
	apt-cache show --no-all-versions "${!runtime_of[@]}" >"$tmp/apt" 2>/dev/null; then
	for dev in "${!runtime_of[@]}"; do
		deps=$(awk -v p="$dev" '/^Package: / { cur = $2 } cur == p && /^Depends: / { print }' "$tmp/apt")
		like "$deps" "[ :]${runtime_of[$dev]} \\(" "apt: $dev depends on ${runtime_of[$dev]}"
	done
else
	echo "# apt-cache knows none of the -dev packages: the runtime map is not cross-checked"
fi

## Kubernetes
k=$c/kubernetes
deploy="['spec']['template']['spec']"
dg_uid=$(df 1 RUN | grep -o 'useradd [^&]*--uid [0-9]*' | sed 's/.*--uid //')
service_ip=$(y "$k/dnsgate.yaml" "kind('Service')['spec']['clusterIP']")
is "$(y "$k/agent-pod.yaml" "kind('Pod')['spec']['dnsConfig']['nameservers']")" "$service_ip" \
	"kubernetes: the agent pod's only nameserver is dnsgate's Service ($service_ip)"
is "$(y "$k/agent-pod.yaml" "kind('Pod')['spec']['dnsPolicy']")" None \
	"kubernetes: the agent pod's dnsPolicy is None"
is "$(y "$k/agent-pod.yaml" "all('NET_RAW' in c['securityContext']['capabilities']['drop'] for c in kind('Pod')['spec']['containers'])")" true \
	"kubernetes: every agent container drops NET_RAW (raw sockets forge sources)"
is "$(y "$k/dnsgate.yaml" "sorted('%s/%s' % (p['port'], p['protocol']) for p in kind('Service')['spec']['ports'])")" \
	"53/TCP 53/UDP" "kubernetes: the Service is 53/UDP and 53/TCP"
is "$(y "$k/dnsgate.yaml" "kind('Service')['spec']['selector'].items() <= kind('Deployment')['spec']['template']['metadata']['labels'].items()")" \
	true "kubernetes: the Service selects the Deployment's pods"
pod_sc=$(y "$k/dnsgate.yaml" "kind('Deployment')${deploy}['securityContext']")
ctr_sc=$(y "$k/dnsgate.yaml" "kind('Deployment')${deploy}['containers'][0]['securityContext']")
like "$pod_sc" '"runAsNonRoot": true' "kubernetes: dnsgate runs as non-root"
like "$pod_sc" "\"runAsUser\": ${dg_uid}[,}]" "kubernetes: dnsgate runs as the image's user (uid $dg_uid)"
like "$pod_sc" '"name": "net.ipv4.ip_unprivileged_port_start", "value": "53"' \
	"kubernetes: port 53 is unprivileged in dnsgate's pod"
like "$ctr_sc" '"readOnlyRootFilesystem": true' "kubernetes: dnsgate's root filesystem is read-only"
like "$ctr_sc" '"allowPrivilegeEscalation": false' "kubernetes: dnsgate cannot escalate privileges"
like "$ctr_sc" '"capabilities": \{"add": \["NET_BIND_SERVICE"\], "drop": \["ALL", "NET_RAW"\]\}' \
	"kubernetes: dnsgate drops every capability but NET_BIND_SERVICE, NET_RAW named"
is "$(y "$k/dnsgate.yaml" "kind('Service')['spec']['sessionAffinity']")" ClientIP \
	"kubernetes: the Service keeps each client on one replica (one budget)"
is "$(y "$k/dnsgate.yaml" "[m['mountPath'] + '/' + k for m in kind('Deployment')${deploy}['containers'][0]['volumeMounts'] for k in kind('ConfigMap')['data']]")" \
	"$(y "$k/dnsgate.yaml" "kind('Deployment')${deploy}['containers'][0]['args'][1]")" \
	"kubernetes: dnsgate reads the ConfigMap's file"
# The presets the ConfigMap names are in the image's zones folder: here,
# this tree's zones/.
y "$k/dnsgate.yaml" "kind('ConfigMap')['data']['dnsgate.conf']" |
	sed "s|/usr/share/dnsgate/zones/|$srcdir/zones/|g" >"$tmp/k8s.conf"
check_conf "$tmp/k8s.conf" "kubernetes: the ConfigMap's dnsgate.conf passes --check"
like "$(conf_value server listen)" '(^|, )0\.0\.0\.0:53(,|$)' "kubernetes: dnsgate listens on the pod's port 53"

# The probes: HTTP GET on the port the ConfigMap's [metrics] listen names
# (a named port resolved through the container's ports), on paths that
# dnsgate answers 200.
metrics_listen=$(conf_value metrics listen)
ctr="kind('Deployment')${deploy}['containers'][0]"
probe_get() { # probe_get PROBE: "PORT PATH" of its httpGet
	y "$k/dnsgate.yaml" "(lambda g: [next((p['containerPort'] for p in ${ctr}['ports'] if p.get('name') == g['port']), g['port']), g['path']])(${ctr}['$1']['httpGet'])"
}
live=$(probe_get livenessProbe)
ready=$(probe_get readinessProbe)
is "${live% *} ${ready% *}" "${metrics_listen##*:} ${metrics_listen##*:}" \
	"kubernetes: both probes go to the metrics port ($metrics_listen)"
is "$(y "$k/dnsgate.yaml" "[p['containerPort'] for p in ${ctr}['ports'] if p['containerPort'] == ${metrics_listen##*:}]")" \
	"${metrics_listen##*:}" "kubernetes: the metrics port is a containerPort"
is "$(y "$k/dnsgate.yaml" "[p['targetPort'] for s in d if s['kind'] == 'Service' for p in s['spec']['ports'] if p['name'] == 'metrics']")" \
	metrics "kubernetes: a Service exposes the metrics port"
# The ConfigMap's dnsgate here: its listeners moved to loopback, its
# upstreams to a local ldns-testns (nothing leaves this machine).
if command -v "$LDNS_TESTNS" >/dev/null 2>&1; then
	start_upstream up "$srcdir/tests/integration/data/health.testns"
	mport=$(free_port) || exit 99
	sed "/^listen = /s|$metrics_listen|127.0.0.1:$mport|" "$tmp/k8s.conf" >"$tmp/k8s-here.conf"
	start_dnsgate -c "$tmp/k8s-here.conf" --upstream "127.0.0.1:$up_port"
	is "$(http_get "$mport" "${live#* }")" "200 ok" \
		"kubernetes: dnsgate answers the liveness probe's ${live#* } with 200"
	wait_until 3 eval '[ "$(http_get "$mport" "${ready#* }")" = "200 ok" ]'
	ok $? "kubernetes: and the readiness probe's ${ready#* } with 200, once its upstream answered"
else
	echo "# $LDNS_TESTNS is not installed: the probes are not played"
fi

# NetworkPolicy: what each policy selecting the agent pod lets out on a
# DNS port, in words; "" when it is only dnsgate's pods, UDP and TCP 53.
python3 - "$k/networkpolicy.yaml" "$k/agent-pod.yaml" "$k/dnsgate.yaml" >"$tmp/np" <<'EOF'
import sys, yaml
load = lambda f: [x for x in yaml.safe_load_all(open(f)) if x]
pols = [p for p in load(sys.argv[1]) if p["kind"] == "NetworkPolicy"]
pod = next(x for x in load(sys.argv[2]) if x["kind"] == "Pod")
dg = next(x for x in load(sys.argv[3]) if x["kind"] == "Deployment")
dg_labels = dg["spec"]["template"]["metadata"]["labels"].items()
def selects(pol, labels):
    sel = pol["spec"]["podSelector"]
    return set(sel.get("matchLabels", {}).items()) <= set(labels) and not sel.get("matchExpressions")
def opens(rule, port):  # protocols of the rule's ports that include port
    ports = rule.get("ports") or [{"protocol": "UDP"}, {"protocol": "TCP"}]
    return {p.get("protocol", "TCP") for p in ports
            if "port" not in p or p["port"] == port or p["port"] <= port <= p.get("endPort", p["port"])}
def only_dnsgate(rule):
    peers = rule.get("to") or [{}]
    return all(list(p) == ["podSelector"] and set(p["podSelector"].get("matchLabels", {}).items())
               and set(p["podSelector"]["matchLabels"].items()) <= set(dg_labels) for p in peers)
agent = [p for p in pols if selects(p, pod["metadata"]["labels"].items())]
print("agent-policies\t%d" % len([p for p in agent if "Egress" in p["spec"]["policyTypes"]]))
bad, to_dnsgate = [], set()
for p in agent:
    for i, r in enumerate(p["spec"].get("egress", [])):
        for port in (53, 853):
            got = opens(r, port)
            if got and (port != 53 or not only_dnsgate(r)):
                bad.append("%s egress[%d] opens %d/%s beyond dnsgate" % (p["metadata"]["name"], i, port, ",".join(sorted(got))))
            elif got:
                to_dnsgate |= got
print("agent-beyond\t%s" % "; ".join(bad))
print("agent-to-dnsgate\t%s" % " ".join(sorted(to_dnsgate)))
dgp = [p for p in pols if selects(p, dg_labels) and "Egress" in p["spec"]["policyTypes"]]
up = set()
for p in dgp:
    for r in p["spec"].get("egress", []):
        if not r.get("to"):
            up |= opens(r, 53)
print("dnsgate-anywhere\t%s" % " ".join(sorted(up)))
EOF
np() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$tmp/np"; }
is "$(np agent-policies)" 1 "networkpolicy: one Egress policy selects the agent pod"
is "$(np agent-beyond)" "" "networkpolicy: the agents' port 53 (and 853) goes nowhere but dnsgate's pods"
is "$(np agent-to-dnsgate)" "TCP UDP" "networkpolicy: the agents reach dnsgate's pods on 53/UDP and 53/TCP"
is "$(np dnsgate-anywhere)" "TCP UDP" "networkpolicy: dnsgate reaches port 53 anywhere, UDP and TCP"

done_testing
