#!/usr/bin/env bash
# t_fdlimit: every fetch and every TCP client holds a descriptor, so dnsgate
# raises its soft limit on open files to what max_inflight and
# max_tcp_clients may take (workers x (max_inflight + max_tcp_clients + 32)
# + 64), and the hard limit too when it may (root). When it may not, it
# says so at start, and past the limit a query gets SERVFAIL at once: it
# neither crashes nor stops answering.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" python3 prlimit setpriv
[ "$(id -u)" = 0 ] || skip_all "needs root, to start dnsgate as another user"
[ "${DG_INSTRUMENTED:-}" = memcheck ] &&
	skip_all "valgrind keeps descriptors of its own and stands in for the limit"

start_blackhole hole
chmod 755 "$tmp"
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$hole_port
max_inflight = 2000
timeout_ms = 10000
[policy]
allow = *.example.com
new_names_per_minute = 1000000
new_names_per_minute_total = 1000000
[log]
query_log = off
EOC
chmod 644 "$tmp/dnsgate.conf"
# max_inflight, max_tcp_clients, the two families' ready sockets
# (DG_UPSTREAM_POOL), the worker's own 32, the process's 64.
need=$((2000 + 512 + 2 * 32 + 32 + 64))
dnsgate=$DNSGATE

# limited SOFT:HARD [USER]: dnsgate started under those limits (as USER).
limited() {
	local as=()
	[ -n "${2:-}" ] && as=(setpriv --reuid="$2" --regid="$2" --clear-groups)
	printf '#!/bin/sh\nexec prlimit --nofile=%s %s "%s" "$@"\n' "$1" "${as[*]}" "$dnsgate" \
		>"$tmp/limited"
	chmod 755 "$tmp/limited"
	DNSGATE=$tmp/limited start_dnsgate -c "$tmp/dnsgate.conf"
}
limits() { awk '/^Max open files/ { print $4, $5 }' "/proc/$DG_PID/limits"; }
stop() {
	kill -TERM "$DG_PID"
	wait "$DG_PID"
}

limited 256:8192
is "$(limits)" "$need 8192" "soft limit 256 under a hard 8192: raised to $need"
ok "$(grep -c warning "$tmp/dnsgate.log")" "no warning"
stop

# Raising a hard limit takes CAP_SYS_RESOURCE, which a container's root
# may lack (this machine's does): then it is the warning.
limited 256:1024
if prlimit --nofile=256:1024 sh -c "ulimit -Hn $need" 2>/dev/null; then
	is "$(limits)" "$need $need" "as root under a hard 1024: both raised to $need"
	ok "$(grep -c warning "$tmp/dnsgate.log")" "no warning"
else
	is "$(limits)" "1024 1024" "as root without CAP_SYS_RESOURCE under a hard 1024: 1024, all it may"
	like "$(cat "$tmp/dnsgate.log")" "warning: open files are limited to 1024, under the $need that" \
		"and it says so at start"
fi
stop

limited 64:64 65534
is "$(limits)" "64 64" "as nobody under a hard 64: 64, all it may"
like "$(cat "$tmp/dnsgate.log")" "warning: open files are limited to 64, under the $need that" \
	"and it says so at start"

# 100 distinct names at a black hole: the fetches take what descriptors
# there are, and the rest get SERVFAIL at once.
cat >"$tmp/client.py" <<'PY'
import select, socket, struct, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(100):
    s.sendto(struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + b"\x04d%03d\x07example\x03com\x00" % i
             + struct.pack(">HH", 1, 1), ("127.0.0.1", port))
    time.sleep(0.001)
n = 0
end = time.monotonic() + 3
while select.select([s], [], [], max(end - time.monotonic(), 0))[0]:
    if s.recv(4096)[3] & 15 == 2:
        n += 1
print(n)
PY
servfail=$(timeout $((10 * time_scale)) python3 "$tmp/client.py" "$DG_PORT")
fetches=$(grep -c '^query' "$tmp/hole.log")
echo "# 100 names: $fetches fetches reached the upstream, $servfail SERVFAIL at once"
[ "$fetches" -gt 0 ] && [ "$fetches" -lt 64 ]
ok $? "fetches up to the limit ($fetches)"
is "$((fetches + servfail))" 100 "and SERVFAIL at once for each of the rest"
check_alive_and_stop
done_testing
