#!/usr/bin/env bash
# t_root_user: started as root with no [server] user, dnsgate switches to
# the user dnsgate when it exists, and otherwise says loudly that it keeps
# every capability and how to fix it; user = root (here --user root) keeps
# root on purpose, without the warning. Only the warning path is tested:
# the test creates no user on the machine.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"
[ "$(id -u)" = 0 ] || skip_all "not root: nothing to drop"
id dnsgate >/dev/null 2>&1 &&
	skip_all "the user dnsgate exists: dnsgate would switch to it, and this test creates and removes no user"

start_upstream up "$srcdir/tests/integration/data/basic.testns"
printf '[upstream]\nservers = 127.0.0.1:%s\n[policy]\nallow = www.example.com\n' "$up_port" >"$tmp/dnsgate.conf"
warning="^dnsgate: running as root with every capability: no \[server\] user is set and there is no user 'dnsgate'\. Create it \(useradd --system dnsgate\) or set \[server\] user \(user = root to keep root\)\$"

start_dnsgate -c "$tmp/dnsgate.conf"
like "$(cat "$tmp/dnsgate.log")" "$warning" "root, no user, no user dnsgate: the warning says so and how to fix it"
check_alive_and_stop

start_dnsgate -c "$tmp/dnsgate.conf" --user root
ok "$(grep -c "running as root" "$tmp/dnsgate.log")" "--user root: root on purpose, no warning"
check_alive_and_stop

done_testing
