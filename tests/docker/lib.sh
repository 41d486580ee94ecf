# shellcheck shell=bash
# lib.sh: what the Docker tests share (sourced after tests/integration/lib.sh
# and tests/firewall/lib.sh). They play the README's Deploy recipes on the
# real Docker daemon that tests/docker/dockerd.sh started (.ci/run starts
# it), whose network namespace, $HOSTNS, stands for the Docker host: dnsgate
# "on the host", the hardening rules and the upstream run there. A recipe's
# other side, a rogue resolver or an egress destination, is a namespace the
# test makes and joins to $HOSTNS by a veth (docker_outside). Without that
# daemon the test skips, saying why.
#
# The daemon is one for the whole suite, and a recipe binds the host's
# port 53: one Docker test at a time (a lock). Everything a test makes in
# Docker carries the label dnsgate-test=$$ and is removed on exit.
# DG_DOCKER_SKIP=REASON skips them all with REASON (.ci/run: once is
# enough, in the plain build's suite).

dg_docker_dir=${DG_DOCKER_DIR:-/tmp/dnsgate-test-docker}
label=dnsgate-test=$$

# docker_setup: the daemon's environment, the lock, the clean-up; or skip.
docker_setup() {
	[ -n "${DG_DOCKER_SKIP:-}" ] && skip_all "$DG_DOCKER_SKIP"
	[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, nsenter)"
	[ -f "$dg_docker_dir/skip" ] && skip_all "no Docker daemon: $(cat "$dg_docker_dir/skip")"
	[ -f "$dg_docker_dir/env" ] ||
		skip_all "no test Docker daemon: start one with tests/docker/dockerd.sh start (.ci/run does)"
	need docker nsenter flock
	# shellcheck disable=SC1091
	. "$dg_docker_dir/env"
	export DOCKER_HOST
	HOSTNS=$DG_DOCKER_NETNS
	docker version >/dev/null 2>&1 || skip_all "the test Docker daemon does not answer ($DOCKER_HOST)"
	exec 8>"$dg_docker_dir/lock"
	flock -w $((600 * time_scale)) 8 || { echo "# another Docker test holds the lock"; exit 99; }
	trap cleanup_docker EXIT
}

# The test's own containers first: one attached to a compose network would
# keep `down` from removing it.
cleanup_docker() {
	docker ps -aq --filter "label=$label" | xargs -r docker rm -f >/dev/null 2>&1
	if [ -n "${compose_project:-}" ]; then
		docker-compose -p "$compose_project" "${compose_files[@]}" down -v -t 1 >/dev/null 2>&1
		docker network ls -q --filter "label=com.docker.compose.project=$compose_project" |
			xargs -r docker network rm >/dev/null 2>&1
	fi
	docker network ls -q --filter "label=$label" | xargs -r docker network rm >/dev/null 2>&1
	cleanup_ns
}

hostns() { ip netns exec "$HOSTNS" "$@"; } # hostns COMMAND...: on the Docker host

# agent NAME DOCKER-RUN-ARGS...: a container of the base image that sleeps
# (ten minutes at most); its PID in NAME_pid.
agent() {
	local name=$1 pid
	shift
	docker run -d --label "$label" --name "$name-$$" "$@" debian:bookworm-slim \
		sleep 600 >/dev/null || { echo "# docker run $name failed"; exit 99; }
	pid=$(docker inspect -f '{{.State.Pid}}' "$name-$$")
	eval "${name}_pid=$pid"
}

# in_ct NAME: a command prefix running in the container NAME's network
# namespace with this host's tools (the rules' check, not the container's).
in_ct() {
	local pid
	pid=$(docker inspect -f '{{.State.Pid}}' "$1-$$") || return 1
	echo "nsenter -t $pid -n"
}

# docker_outside N: the namespace OUT, 10.97.N.2 (default route via
# 10.97.N.1, $HOSTNS's end of the veth), with the rogue resolver
# (start_rogue: every name is $rogue) on port 53 and 853: an escape the
# rules must close, reached from containers through Docker's forwarding.
docker_outside() {
	OUT=dgk$$-out
	make_namespaces "$OUT"
	ip link add "dgk$$o" netns "$HOSTNS" type veth peer name eth0 netns "$OUT" ||
		{ echo "# cannot make a veth into $HOSTNS"; exit 99; }
	hostns ip addr add "10.97.$1.1/24" dev "dgk$$o" && hostns ip link set "dgk$$o" up &&
		ip -n "$OUT" addr add "10.97.$1.2/24" dev eth0 && ip -n "$OUT" link set eth0 up &&
		ip -n "$OUT" route add default via "10.97.$1.1" || { echo "# cannot address $OUT"; exit 99; }
	start_tcp_listener "$OUT" 853
	nsbg "$OUT" "$tmp/rogue.log" dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --user=root --group=root --pid-file="$tmp/rogue.pid" \
		--bind-interfaces --listen-address="10.97.$1.2" --address=/#/"$rogue" --port=53
	ROGUE=10.97.$1.2
	wait_until 5 bound "$OUT" u "$ROGUE" 53 || { echo "# the rogue did not start"; exit 99; }
}

# host_upstream [DATA]: ldns-testns (DATA, default basic.testns, in
# tests/integration/data) on port 5300 of every address of $HOSTNS: dnsgate
# on the host reaches it on 127.0.0.1, a dnsgate container through its
# network's gateway.
host_upstream() {
	nsbg "$HOSTNS" "$tmp/up.log" stdbuf -oL "$LDNS_TESTNS" -v -p 5300 \
		"$srcdir/tests/integration/data/${1:-basic.testns}"
	wait_until 5 grep -q "Listening on port" "$tmp/up.log" || { echo "# the upstream did not start"; exit 99; }
}

# host_config ENTRY [MORE]: $tmp/dnsgate.conf for a dnsgate on the Docker
# host: on the bridge address (172.17.0.1:53), forwarding to host_upstream,
# allowing ENTRY; MORE (sections) appended.
host_config() {
	printf '[server]\nlisten = 172.17.0.1:53\n[upstream]\nservers = 127.0.0.1:5300\n[policy]\nallow = %s\n%s' \
		"$1" "${2:-}" >"$tmp/dnsgate.conf"
}

# ct_dig NAME DIG-ARGS...: the container NAME's own dig (through its own
# resolv.conf unless told otherwise); its dig_result.
ct_dig() {
	local name=$1
	shift
	docker exec "$name-$$" dig +time=$((2 * time_scale)) +tries=1 "$@" 2>&1 | dig_result
}

# host_dnsgate ARGS...: dnsgate on the Docker host (its log $tmp/dnsgate.log).
host_dnsgate() {
	nsbg "$HOSTNS" "$tmp/dnsgate.log" "$DNSGATE" "$@"
	DG_PID=${pids[-1]}
	wait_listening "$DG_PID" "$tmp/dnsgate.log"
}

# dnsgate_image: the image the recipes call dnsgate:local, made as
# contrib/Dockerfile's last stage makes it (same user, uid, entry point)
# from the base image, which has that stage's libraries, and this build's
# binary: a build inside Docker would need a registry and the network.
dnsgate_image() {
	local ctx=$tmp/image
	mkdir -p "$ctx" && cp "$DNSGATE" "$ctx/dnsgate" || exit 99
	cat >"$ctx/Dockerfile" <<EOD
FROM $DG_DOCKER_BASE
RUN useradd --system --uid 10053 --user-group --no-create-home \
	--home-dir /nonexistent --shell /usr/sbin/nologin dnsgate
COPY dnsgate /usr/sbin/dnsgate
USER dnsgate
ENTRYPOINT ["/usr/sbin/dnsgate"]
CMD ["-c", "/etc/dnsgate/dnsgate.conf"]
EOD
	docker build -q -t dnsgate:local "$ctx" >"$tmp/build.log" 2>&1 ||
		{ echo "# docker build failed:"; sed 's/^/#   /' "$tmp/build.log"; exit 99; }
}
