#!/usr/bin/env bash
# t_root_user: started as root with no [server] user, dnsgate switches to
# the default user (dnsgate; here, through DNSGATE_DEFAULT_USER, nobody,
# since the test creates no user) when it exists, and otherwise says
# loudly that it keeps every capability and how to fix it; user = root
# (here --user root) keeps root on purpose, without the warning.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"
[ "$(id -u)" = 0 ] || skip_all "not root: nothing to drop"
id nobody >/dev/null 2>&1 || skip_all "no user nobody to switch to"
# make check names a user no machine has; the warning names it.
DNSGATE_DEFAULT_USER=${DNSGATE_DEFAULT_USER:-dnsgate-test-nobody}
export DNSGATE_DEFAULT_USER

start_upstream up "$srcdir/tests/integration/data/basic.testns"
printf '[upstream]\nservers = 127.0.0.1:%s\n[policy]\nallow = www.example.com\n' "$up_port" >"$tmp/dnsgate.conf"
u=$DNSGATE_DEFAULT_USER
warning="^dnsgate: running as root with every capability: no \[server\] user is set and there is no user '$u'\. Create it \(useradd --system $u\) or set \[server\] user \(user = root to keep root\)\$"

start_dnsgate -c "$tmp/dnsgate.conf"
like "$(cat "$tmp/dnsgate.log")" "$warning" "root, no user, no default user: the warning says so and how to fix it"
check_alive_and_stop

start_dnsgate -c "$tmp/dnsgate.conf" --user root
ok "$(grep -c "running as root" "$tmp/dnsgate.log")" "--user root: root on purpose, no warning"
check_alive_and_stop

# The default user exists: dnsgate switches to it, and says so.
DNSGATE_DEFAULT_USER=nobody start_dnsgate -c "$tmp/dnsgate.conf"
like "$(cat "$tmp/dnsgate.log")" "no \[server\] user: running as user 'nobody'" \
	"root, no user, the default user exists: dnsgate switches to it"
is "$(awk '/^Uid:/ { print $2 }' "/proc/$DG_PID/status")" "$(id -u nobody)" \
	"and runs as that user"
check_alive_and_stop

done_testing
