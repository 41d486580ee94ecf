#!/usr/bin/env bash
# dockerd.sh: the Docker daemon the tests in tests/docker/ play the README's
# recipes on, and the image they start from; both private to the tests.
#
#   tests/docker/dockerd.sh start   start it (after building the image once)
#   tests/docker/dockerd.sh stop    stop it, remove its containers, networks
#                                   and state; the image's tarball stays cached
#
# The daemon is Debian's docker.io with the vfs storage driver, and it runs
# in a network namespace of its own (dgdocker-HASH): docker0, every network
# the tests create, Docker's iptables rules and the "host" side of each
# recipe live there, so nothing of it touches this machine's own network,
# and every address a test reaches is inside a namespace the tests made. Its
# state is under $DG_DOCKER_DIR (default /tmp/dnsgate-test-docker); the
# tests read $DG_DOCKER_DIR/env. No registry is used: the image is a minimal
# Debian 12 made by mmdebstrap from Debian's packages, imported as
# dnsgate-test-base, and tagged as the names the recipes use
# (debian:bookworm-slim); tests/docker/lib.sh adds dnsgate itself.
#
# When the daemon cannot start here, `start` says why, writes the reason
# to $DG_DOCKER_DIR/skip (each test then skips with it) and exits 0: the
# rest of the suite still runs. Exit status 1 only for a usage error or a
# failed stop.
set -uo pipefail

dir=${DG_DOCKER_DIR:-/tmp/dnsgate-test-docker}
# One namespace a state folder: a developer's daemon and CI's may run at
# once on one machine.
netns=dgdocker-$(printf '%s' "$dir" | md5sum | cut -c1-8)
cache=${DG_DOCKER_CACHE:-/var/cache/dnsgate-test}
base=dnsgate-test-base
# The runtime libraries contrib/Dockerfile installs, and what the tests run
# inside containers: DNS clients, nft and iptables for the container rules,
# dnsmasq as a rogue resolver, python3 for TCP probes, the sanitizers'
# runtimes for the ASan/UBSan build of dnsgate.
packages=libuv1,libldns3,libinih1,libidn2-0,libmnl0,libgnutls30,ca-certificates,passwd,dnsutils,iproute2,nftables,iptables,dnsmasq-base,python3-minimal,procps,libasan8,libubsan1

say() { printf 'dockerd.sh: %s\n' "$*" >&2; }

# fail_start REASON: the tests will skip with REASON.
fail_start() {
	say "cannot start the test Docker daemon: $*"
	printf '%s\n' "$*" >"$dir/skip"
	stop_daemon
	exit 0
}

dk() { DOCKER_HOST=unix://$dir/docker.sock docker "$@"; }

stop_daemon() {
	local pid
	if [ -S "$dir/docker.sock" ] && [ -f "$dir/dockerd.pid" ]; then
		# Containers first: their processes are dockerd's children's.
		dk ps -aq 2>/dev/null | xargs -r env DOCKER_HOST="unix://$dir/docker.sock" \
			docker rm -f >/dev/null 2>&1
	fi
	if [ -f "$dir/dockerd.pid" ]; then
		pid=$(cat "$dir/dockerd.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null
		rm -f "$dir/dockerd.pid"
	fi
	ip netns del "$netns" 2>/dev/null
	# vfs keeps a full copy of the image per layer and container.
	rm -rf "$dir/root" "$dir/exec" "$dir/docker.sock" "$dir/env"
}

# The image's tarball, made once per package list and kept in $cache.
base_tarball() {
	local key tar
	key=$(printf '%s' "$packages" | md5sum | cut -c1-12)
	tar=$cache/$base-$key.tar
	if [ ! -s "$tar" ]; then
		mkdir -p "$cache" || return 1
		say "building the image's root with mmdebstrap (once; about a minute)"
		mmdebstrap --quiet --format=tar --variant=minbase --include="$packages" bookworm \
			"$tar.part" >"$dir/mmdebstrap.log" 2>&1 || {
			tail -n 5 "$dir/mmdebstrap.log" >&2
			rm -f "$tar.part"
			return 1
		}
		mv "$tar.part" "$tar" || return 1
		# An older package list's image is of no more use.
		find "$cache" -maxdepth 1 -name "$base-*.tar" ! -name "${tar##*/}" -delete
	fi
	printf '%s\n' "$tar"
}

start() {
	local tar
	mkdir -p "$dir" || exit 1
	rm -f "$dir/skip"
	stop_daemon
	command -v dockerd >/dev/null || fail_start "no dockerd (apt-get install docker.io)"
	command -v docker >/dev/null || fail_start "no docker client (apt-get install docker.io)"
	command -v mmdebstrap >/dev/null || fail_start "no mmdebstrap (apt-get install mmdebstrap)"
	[ "$(id -u)" = 0 ] || fail_start "needs root"
	ip netns add "$netns" 2>/dev/null || fail_start "cannot create network namespace $netns"
	ip -n "$netns" link set lo up || fail_start "cannot bring up lo in $netns"
	# nsenter, not `ip netns exec`: that one remounts /sys without the
	# cgroup hierarchy dockerd needs.
	nsenter --net="/run/netns/$netns" dockerd --storage-driver=vfs \
		--data-root "$dir/root" --exec-root "$dir/exec" \
		--pidfile "$dir/dockerd.pid" -H "unix://$dir/docker.sock" \
		>"$dir/dockerd.log" 2>&1 &
	for _ in $(seq 1 150); do
		dk version >/dev/null 2>&1 && break
		kill -0 $! 2>/dev/null || fail_start "dockerd exited: $(tail -n 1 "$dir/dockerd.log")"
		sleep 0.2
	done
	dk version >/dev/null 2>&1 || fail_start "dockerd did not answer in 30 s: $(tail -n 1 "$dir/dockerd.log")"
	tar=$(base_tarball) || fail_start "mmdebstrap could not build the image (see $dir/mmdebstrap.log)"
	dk import "$tar" "$base" >/dev/null || fail_start "docker import of $tar failed"
	dk tag "$base" debian:bookworm-slim || fail_start "docker tag failed"
	cat >"$dir/env" <<EOT
DOCKER_HOST=unix://$dir/docker.sock
DG_DOCKER_NETNS=$netns
DG_DOCKER_BASE=$base
EOT
	say "dockerd $(dk version -f '{{.Server.Version}}') (vfs) in network namespace $netns; image $base"
}

case ${1:-} in
start) start ;;
stop) stop_daemon ;;
*)
	say "usage: $0 start|stop"
	exit 1
	;;
esac
