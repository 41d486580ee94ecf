#!/usr/bin/env bash
# t_defaults: what dnsgate does without being told. Without -c it reads the
# installed dnsgate.conf when there is one ($DNSGATE_DEFAULT_CONFIG stands
# for it here, so the machine's own never counts), else the embedded
# default, and it names the one in use; -c wins over both. A resolv.conf
# that names only dnsgate itself is refused with the way out.
. "$srcdir/tests/cli/lib.sh"

cat >"$tmp/installed.conf" <<'CONF'
[server]
listen = 127.0.0.1:5399
[upstream]
servers = 192.0.2.53
[policy]
allow = api.example.org
CONF
cat >"$tmp/other.conf" <<'CONF'
[upstream]
servers = 192.0.2.54
[policy]
allow = other.example.org
CONF

DNSGATE_DEFAULT_CONFIG=$tmp/installed.conf run --check
tap_status 0 "the installed configuration: --check exits 0"
tap_match "$(out)" "; effective configuration of $tmp/installed.conf" \
	"without -c, the installed configuration is read and named"
tap_match "$(out)" "listen = 127.0.0.1:5399" "and its keys are in effect"

DNSGATE_DEFAULT_CONFIG=$tmp/installed.conf run -c "$tmp/other.conf" --check
tap_match "$(out)" "; effective configuration of $tmp/other.conf" \
	"-c wins over the installed configuration"

# --allow: the embedded default's default.zones is not installed yet
# where make distcheck runs the tests.
DNSGATE_DEFAULT_CONFIG=$tmp/absent.conf run --upstream 192.0.2.53 --allow www.example.com --check
tap_status 0 "no installed configuration: --check exits 0"
tap_match "$(out)" "; effective configuration of <embedded default>" \
	"without one, the embedded default is read and named"

DNSGATE_DEFAULT_CONFIG=$tmp/installed.conf run explain api.example.org
tap_status 0 "explain reads the installed configuration too"

# Upstreams from resolv.conf ($DNSGATE_RESOLV_CONF stands for it): one
# that names only dnsgate's own listener is an error that says so, as
# after a reboot rewrote it to point at dnsgate.
printf 'nameserver 127.0.0.1\n' >"$tmp/resolv.self"
printf 'nameserver 127.0.0.1\nnameserver 192.0.2.53\n' >"$tmp/resolv.mixed"
DNSGATE_DEFAULT_CONFIG=$tmp/absent.conf DNSGATE_RESOLV_CONF=$tmp/resolv.self \
	run --listen 127.0.0.1:53 --allow www.example.com --check
tap_status 2 "resolv.conf naming only dnsgate: exits 2"
tap_is "$(err)" "<embedded default>: servers: $tmp/resolv.self names only dnsgate itself, which would forward to itself: set [upstream] servers (or --upstream) to the resolvers to use
dnsgate: 1 error in the configuration" "the error names resolv.conf and [upstream] servers"
DNSGATE_DEFAULT_CONFIG=$tmp/absent.conf DNSGATE_RESOLV_CONF=$tmp/resolv.mixed \
	run --listen 127.0.0.1:53 --allow www.example.com --check
tap_status 0 "resolv.conf naming dnsgate and another: exits 0"
tap_match "$(out)" "servers = 192.0.2.53:53" "the other is the upstream"
DNSGATE_DEFAULT_CONFIG=$tmp/absent.conf DNSGATE_RESOLV_CONF=$tmp/resolv.self \
	run --listen 127.0.0.1:53 --upstream 192.0.2.53 --allow www.example.com --check
tap_status 0 "configured servers: resolv.conf is not read"

tap_done
