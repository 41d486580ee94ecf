#!/usr/bin/env bash
# t_notify: under systemd (Type=notify) dnsgate says READY=1 once it
# listens, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a reload,
# good or refused, and STOPPING=1 on SIGTERM: datagrams to $NOTIFY_SOCKET,
# here a python3 socket standing in for systemd.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3

start_upstream up "$srcdir/tests/integration/data/basic.testns"
sock=$tmp/notify.sock
# The listener: one line per datagram; it gives up after 20 s of silence.
python3 - "$sock" >"$tmp/notify.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
print("bound", flush=True)
try:
    while True:
        print(s.recv(4096).decode().replace("\n", " "), flush=True)
except socket.timeout:
    pass
PY
listener=$!
pids+=("$listener")
wait_until 5 grep -q bound "$tmp/notify.log" || { echo "# the listener did not start"; exit 99; }

cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = www.example.com
EOC
NOTIFY_SOCKET=$sock start_dnsgate -c "$tmp/dnsgate.conf"
wait_until 3 grep -q '^READY=1$' "$tmp/notify.log"
ok $? "READY=1 once listening"
like "$(q www.example.com A)" "status: NOERROR" "and it is: an allowed name resolves"

kill -HUP "$DG_PID"
wait_until 3 eval '[ "$(grep -c "^READY=1$" "$tmp/notify.log")" -ge 2 ]'
like "$(sed -n '3,4p' "$tmp/notify.log" | paste -sd'|')" '^RELOADING=1 MONOTONIC_USEC=[0-9]+\|READY=1$' \
	"a reload: RELOADING=1 with MONOTONIC_USEC, then READY=1"
printf 'frob = 1\n' >>"$tmp/dnsgate.conf"
kill -HUP "$DG_PID"
wait_until 3 eval '[ "$(grep -c "^READY=1$" "$tmp/notify.log")" -ge 3 ]'
ok $? "a refused reload: READY=1 again (the old configuration serves on)"

kill -TERM "$DG_PID"
wait_until 5 grep -q '^STOPPING=1$' "$tmp/notify.log"
ok $? "STOPPING=1 on SIGTERM"
wait "$DG_PID"
is "$?" 0 "and a clean exit"
is "$(grep -cv '^bound$\|^READY=1$\|^RELOADING=1 MONOTONIC_USEC=[0-9]*$\|^STOPPING=1$' "$tmp/notify.log")" 0 \
	"nothing else was sent"
done_testing
