#!/usr/bin/env bash
# t_defaults: what dnsgate does without being told. Without -c it reads the
# installed dnsgate.conf when there is one ($DNSGATE_DEFAULT_CONFIG stands
# for it here, so the machine's own never counts), else the embedded
# default, and it names the one in use; -c wins over both.
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

DNSGATE_DEFAULT_CONFIG=$tmp/absent.conf run --upstream 192.0.2.53 --check
tap_status 0 "no installed configuration: --check exits 0"
tap_match "$(out)" "; effective configuration of <embedded default>" \
	"without one, the embedded default is read and named"

DNSGATE_DEFAULT_CONFIG=$tmp/installed.conf run explain api.example.org
tap_status 0 "explain reads the installed configuration too"

tap_done
