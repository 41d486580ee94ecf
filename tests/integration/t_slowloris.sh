#!/usr/bin/env bash
# t_slowloris: 10,000 TCP connections at once, half sending nothing and
# half a byte a second, against max_tcp_clients = 512. Other clients are
# still answered over UDP and over TCP (a new connection takes the place
# of the one idle the longest); a connection that trickles bytes without
# ever completing a query is closed when tcp_idle_timeout_ms runs out,
# like one that sends nothing; dnsgate's memory stays bounded, and its
# descriptors come back down when the flood ends.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3

start_upstream up "$srcdir/tests/integration/data/basic.testns"
cat >"$tmp/dnsgate.conf" <<EOC
[server]
tcp_idle_timeout_ms = 1500
max_tcp_clients = 512
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.example.com
[log]
query_log = off
EOC
start_dnsgate -c "$tmp/dnsgate.conf"
# Counted after a first TCP client: libuv takes a spare descriptor of its
# own with the first TCP handle, and keeps it.
q +tcp www.example.com A >/dev/null
fds_before=$(find "/proc/$DG_PID/fd" -mindepth 1 | wc -l)
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$DG_PID/status"; }
rss_before=$(rss_kib)

# Idle timeout first, below the cap: 5 connections that send nothing, 5
# that send a byte every 0.3 s; each reports when dnsgate closed it.
cat >"$tmp/idle.py" <<'PY'
import select, socket, sys, time
port = int(sys.argv[1])
conns = []
for i in range(10):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.setblocking(False)
    conns.append(s)
t0 = time.monotonic()
closed = {}
trickle = b"\x00\x40" + b"\x12" * 64  # a 64-byte frame, never finished
while len(closed) < 10 and time.monotonic() - t0 < 6:
    r, _, _ = select.select([s for s in conns if s not in closed], [], [], 0.3)
    for s in r:
        try:
            data = s.recv(100)
        except ConnectionError:
            data = b""
        if data == b"":
            closed[s] = time.monotonic() - t0
    i = int((time.monotonic() - t0) / 0.3)
    for k, s in enumerate(conns[5:]):
        if s not in closed and i < len(trickle):
            try:
                s.send(trickle[i:i + 1])
            except OSError:
                pass
for k, s in enumerate(conns):
    print("%s %s" % ("silent" if k < 5 else "trickle", "%.1f" % closed[s] if s in closed else "open"))
PY
python3 "$tmp/idle.py" "$DG_PORT" >"$tmp/idle.out"
while read -r kind when; do
	[ "$when" != open ] && awk -v t="$when" 'BEGIN { exit !(t >= 1.3 && t <= 3.0) }'
	ok $? "a $kind connection is closed after the 1.5 s idle timeout (at $when s)"
done <"$tmp/idle.out"

# The flood: 10,000 connections, held 8 s; half trickle a byte a second.
cat >"$tmp/flood.py" <<'PY'
import errno, resource, socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(n + 100, soft), max(n + 100, hard)))
conns = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    conns.append(s)
print("open", len(conns), flush=True)
t0 = time.monotonic()
while time.monotonic() - t0 < hold:
    for s in conns[::2]:
        try:
            s.send(b"\x00")
        except OSError:
            pass
    time.sleep(1)
for s in conns:
    s.close()
print("closed", flush=True)
PY
python3 "$tmp/flood.py" "$DG_PORT" 10000 8 >"$tmp/flood.out" 2>&1 &
flood=$!
pids+=("$flood")
wait_until 10 grep -q "^open" "$tmp/flood.out"
like "$(cat "$tmp/flood.out")" "^open 10000" "10,000 connections opened against dnsgate"
# dnsgate has taken connections up to its cap before the checks.
fds_now() { find "/proc/$DG_PID/fd" -mindepth 1 | wc -l; }
flood_held() { [ "$(fds_now)" -ge $((fds_before + 500)) ]; }
wait_until 5 flood_held ||
	echo "# dnsgate holds $(fds_now) descriptors, $fds_before before the flood"

udp_ok=0 tcp_ok=0 rss_max=0
for i in $(seq 1 10); do
	q "www.example.com" A | grep -q "status: NOERROR" && udp_ok=$((udp_ok + 1))
	"$DIG" @127.0.0.1 -p "$DG_PORT" +tcp "$(dig_time 3)" +tries=1 "t$i.denied.example" A |
		grep -q "status: NXDOMAIN" && tcp_ok=$((tcp_ok + 1))
	r=$(rss_kib)
	[ "$r" -gt "$rss_max" ] && rss_max=$r
done
is "$udp_ok" 10 "during the flood, 10 of 10 UDP queries answered"
is "$tcp_ok" 10 "during the flood, 10 of 10 TCP queries answered, each on a new connection"
kill -0 "$DG_PID"
ok $? "dnsgate is still running"
echo "# VmRSS: $rss_before KiB before the flood, at most $rss_max KiB during it"
[ "$rss_max" -lt $((rss_before + 32768)) ]
ok $? "memory bounded: at most $((rss_max - rss_before)) KiB more during the flood (512 connections at most)"

wait_until 15 grep -q "^closed" "$tmp/flood.out"
wait "$flood"
fds_settled() { [ "$(find "/proc/$DG_PID/fd" -mindepth 1 | wc -l)" -le "$fds_before" ]; }
wait_until 5 fds_settled
ok $? "after the flood its descriptors are back to $fds_before (now $(find "/proc/$DG_PID/fd" -mindepth 1 | wc -l))"

check_alive_and_stop
done_testing
