#!/bin/sh
# harden-docker-host.sh: make dnsgate the only resolver the containers of
# every Docker network (or of some, by --subnet) can reach, on the Docker
# host's forward path.
#
# It applies what `dnsgate firewall --iptables --target docker-user` prints,
# exactly as that output's header says: the DNSGATE-USER chains (flushed and
# refilled, so running again changes nothing), then one jump to each, from
# raw PREROUTING (forged sources) and from Docker's DOCKER-USER chain (DNS),
# for iptables and ip6tables. Run it as root,
# after Docker has started (Docker creates DOCKER-USER), and again after
# changing dnsgate's listeners (or, with --subnet, the networks). Without
# --subnet the rules match every Docker bridge by interface (docker0,
# br-*), so a network created later is covered with no second run. The
# rules do not survive a reboot or a restart of the firewall service: for
# that, contrib/dnsgate-firewall@.service applies the nft form at boot.

usage() {
	cat <<EOF
Usage: $prog [--dry-run] [--config FILE] [--listen ADDR:PORT]...
           [--subnet CIDR]...
       $prog [--dry-run] --remove

Apply dnsgate's DOCKER-USER rules: DNS (port 53, and 853, 5353, 5355)
forwarded from any Docker bridge (docker0, br-*: networks created later
too), or only from the sandbox networks CIDR..., may reach only dnsgate's
listeners; every other such packet is dropped, IPv4 and IPv6.
And from every Docker bridge (docker0, br-*), a packet whose source is not
routed back through that bridge (forged) is dropped before routing.
Running it again replaces the rules; it never adds a second copy.

  -c, --config FILE     dnsgate's configuration (its listeners); without it,
                        dnsgate's embedded default
      --listen ADDR:PORT  dnsgate listens here (repeatable; replaces the
                        configuration's listen)
      --subnet CIDR     only this Docker network's sandboxes, IPv4 or IPv6
                        (repeatable; default: every Docker bridge)
      --remove          delete the rules and the jump to them (both families;
                        nothing to do when they are absent)
      --dry-run         print the commands and rules, change nothing
  -h, --help            show this help

Environment: DNSGATE, the dnsgate binary (default: dnsgate from PATH).
Exit status: 0 done, 1 failed (nothing applied when DOCKER-USER is
missing; --dry-run prints all the same, and says so), 2 usage error.
EOF
}

prog=${0##*/}
dnsgate=${DNSGATE:-dnsgate}

err() {
	printf '%s: %s\n' "$prog" "$*" >&2
}
usage_error() {
	err "$1"
	printf 'Try: %s --help\n' "$prog" >&2
	exit 2
}

# quote ARG: ARG as one shell word, to keep dnsgate's arguments in a string
# that gen expands with eval (POSIX sh has no arrays).
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

dry_run=0
remove=0
dg_args=
subnet_args=
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		usage
		exit 0
		;;
	--dry-run) dry_run=1 ;;
	--remove) remove=1 ;;
	-c | --config | --listen | --subnet)
		[ $# -ge 2 ] || usage_error "$1 needs an argument"
		case $1 in
		--subnet) subnet_args="$subnet_args --subnet $(quote "$2")" ;;
		--listen) dg_args="$dg_args --listen $(quote "$2")" ;;
		*) dg_args="$dg_args --config $(quote "$2")" ;;
		esac
		shift
		;;
	*) usage_error "unknown argument: $1" ;;
	esac
	shift
done

# run COMMAND...: run it, or print it under --dry-run.
run() {
	if [ $dry_run = 1 ]; then
		printf '%s\n' "$*"
	else
		"$@"
	fi
}

# restore IPTABLES-RESTORE RULES: feed RULES to it, or print them as a
# here-document under --dry-run.
restore() {
	if [ $dry_run = 1 ]; then
		printf "%s --noflush <<'EOF'\n%s\nEOF\n" "$1" "$2"
	else
		printf '%s\n' "$2" | "$1" --noflush
	fi
}

# has_docker_user IPTABLES: the DOCKER-USER chain exists (its error, if
# any, in $why).
has_docker_user() {
	why=$("$1" -S DOCKER-USER 2>&1 >/dev/null) && return 0
	[ -n "$why" ] || why="$1 -S DOCKER-USER failed"
	return 1
}

# remove_chain IPTABLES FROM [-t TABLE]: the jumps from FROM (every copy)
# and the chain DNSGATE-USER, in TABLE (filter if not given), when present.
remove_chain() {
	ipt=$1 from=$2
	shift 2
	# Every copy: one added by hand besides ours would keep the chain alive.
	jumps=$("$ipt" "$@" -S "$from" 2>/dev/null | grep -c -- "^-A $from -j DNSGATE-USER\$")
	while [ "$jumps" -gt 0 ]; do
		run "$ipt" "$@" -D "$from" -j DNSGATE-USER || return 1
		jumps=$((jumps - 1))
	done
	"$ipt" "$@" -S DNSGATE-USER >/dev/null 2>&1 || return 0
	run "$ipt" "$@" -F DNSGATE-USER && run "$ipt" "$@" -X DNSGATE-USER
}

# remove_family IPTABLES: its jumps and chains, when present.
remove_family() {
	command -v "$1" >/dev/null 2>&1 || return 0
	remove_chain "$1" DOCKER-USER && remove_chain "$1" PREROUTING -t raw
}

if [ $remove = 1 ]; then
	if ! { remove_family iptables && remove_family ip6tables; }; then
		err "removing the rules failed (see above)"
		exit 1
	fi
	exit 0
fi

command -v "$dnsgate" >/dev/null 2>&1 || {
	err "no dnsgate binary '$dnsgate' (install it, or set DNSGATE)"
	exit 1
}
# gen FAMILY: the rules of one family, as dnsgate prints them.
gen() {
	eval "\"\$dnsgate\" $dg_args firewall --iptables --target docker-user $subnet_args --family $1"
}
# Both halves first: a configuration dnsgate rejects changes nothing.
if ! { rules4=$(gen 4) && rules6=$(gen 6); }; then
	err "dnsgate could not print the rules (see above); nothing changed"
	exit 1
fi

if [ $dry_run = 1 ]; then
	# A preview needs no Docker: print both families, and say what is
	# missing for a real run.
	families="iptables ip6tables"
	for ipt in $families; do
		has_docker_user "$ipt" ||
			err "note: $ipt has no DOCKER-USER chain yet (Docker creates it); a real run would need it"
	done
elif ! has_docker_user iptables; then
	err "the DOCKER-USER chain does not exist in iptables: Docker creates it"
	err "when its daemon starts with its iptables support on; start Docker first."
	err "Nothing changed. (iptables -S DOCKER-USER: $why)"
	exit 1
elif ! command -v ip6tables >/dev/null 2>&1; then
	families=iptables
	err "no ip6tables: skipping the IPv6 rules; IPv6 DNS from the sandboxes is not filtered"
elif ! has_docker_user ip6tables; then
	families=iptables
	err "ip6tables has no DOCKER-USER chain (Docker's ip6tables support is off):"
	err "skipping the IPv6 rules; IPv6 DNS from the sandboxes is not filtered"
else
	families="iptables ip6tables"
fi

# The chain first, then the jump, once: -C only reads, also under --dry-run.
for ipt in $families; do
	if [ "$ipt" = iptables ]; then rules=$rules4; else rules=$rules6; fi
	if ! restore "$ipt-restore" "$rules"; then
		err "applying the $ipt rules failed (see above)"
		exit 1
	fi
	"$ipt" -t raw -C PREROUTING -j DNSGATE-USER 2>/dev/null ||
		run "$ipt" -t raw -I PREROUTING 1 -j DNSGATE-USER || {
		err "jumping to DNSGATE-USER from $ipt's raw PREROUTING failed (see above)"
		exit 1
	}
	"$ipt" -C DOCKER-USER -j DNSGATE-USER 2>/dev/null ||
		run "$ipt" -I DOCKER-USER 1 -j DNSGATE-USER || {
		err "jumping to DNSGATE-USER from $ipt's DOCKER-USER failed (see above)"
		exit 1
	}
done
[ $dry_run = 1 ] || err "DNSGATE-USER in place, jumped to from raw PREROUTING and DOCKER-USER: $families"
exit 0
