#!/usr/bin/env bash
# t_flood: one client floods UDP queries as fast as it can, from many
# source ports; with [server] client_rate_limit = 50 it gets about 50
# answers a second and the rest are dropped unread (counted in the
# metrics), while another client on another address is answered every
# time (retrying as stubs do: what the kernel drops from a full socket
# buffer is nobody's choice); and memory does not grow.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3 curl

start_upstream up "$srcdir/tests/integration/data/basic.testns"
mport=$(free_port) || exit 99
cat >"$tmp/dnsgate.conf" <<EOC
[server]
client_rate_limit = 50
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.example.com
[log]
query_log = off
[metrics]
listen = 127.0.0.1:$mport
EOC
start_dnsgate -c "$tmp/dnsgate.conf"
rss_before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DG_PID/status")

cat >"$tmp/flood.py" <<'PY'
import select, socket, struct, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
q = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\x03www\x07example\x03com\x00" + struct.pack(">HH", 1, 1)
socks = []
for i in range(8):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.2", 0))
    s.setblocking(False)
    socks.append(s)
def drain(s):  # the answers waiting on s, read and counted
    n = 0
    while True:
        try:
            s.recv(4096)
            n += 1
        except BlockingIOError:
            return n

sent = answered = 0
started = False
t0 = time.monotonic()
while time.monotonic() - t0 < seconds:
    for s in socks:
        for _ in range(16):
            try:
                s.sendto(q, ("127.0.0.1", port))
                sent += 1
            except BlockingIOError:
                break
    r, _, _ = select.select(socks, [], [], 0)
    for s in r:
        answered += drain(s)
    if sent and not started:
        print("flooding", file=sys.stderr, flush=True)
        started = True
# The last answers still on their way (a grace, not a state to poll).
time.sleep(0.3)
for s in socks:
    answered += drain(s)
print(sent, answered, "%.2f" % (time.monotonic() - t0))
PY
python3 "$tmp/flood.py" "$DG_PORT" 3 >"$tmp/flood.out" 2>"$tmp/flood.log" &
flood=$!
pids+=("$flood")
wait_until 5 log_has "$tmp/flood.log" '^flooding' 1
others=0
for i in $(seq 1 20); do
	# Retries as a stub resolver makes them: the flood can fill the
	# socket buffer before dnsgate reads it, and the kernel drops from it
	# without asking whose datagram it was.
	"$DIG" @127.0.0.1 -p "$DG_PORT" -b 127.0.0.1 "$(dig_time 1)" +tries=3 "www.example.com" A |
		grep -q "status: NOERROR" && others=$((others + 1))
	sleep 0.05 # spread over the flood: pacing, not a wait
done
wait "$flood"
read -r sent answered elapsed <"$tmp/flood.out"
is "$others" 20 "while 127.0.0.2 floods, 20 of 20 queries of 127.0.0.1 are answered"
max=$(awk -v e="$elapsed" 'BEGIN { printf "%d", 50 + 50 * e + 10 }')
[ "$sent" -gt 2000 ] && [ "$answered" -le "$max" ] && [ "$answered" -ge 100 ]
ok $? "the flooder sent $sent in ${elapsed}s and got $answered answers (at most $max at 50 a second)"
limited=$(curl -s --max-time 2 "http://127.0.0.1:$mport/metrics" | awk '$1 == "dnsgate_rate_limited_total" { print $2 }')
[ "${limited:-0}" -ge $((20 * answered)) ] && [ "$limited" -le $((sent - answered)) ]
ok $? "dnsgate_rate_limited_total counts the drops ($limited; of the $((sent - answered)) unanswered, the kernel dropped the rest from a full buffer)"
rss_after=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DG_PID/status")
echo "# VmRSS $rss_before KiB before the flood, $rss_after KiB after"
[ "$rss_after" -lt $((rss_before + 4096)) ]
ok $? "the flood left memory where it was (+$((rss_after - rss_before)) KiB)"

check_alive_and_stop
done_testing
