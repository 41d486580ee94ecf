#!/usr/bin/env bash
# soak.sh [MINUTES]: dnsgate under mixed traffic for MINUTES (default 30;
# not part of `make check`). Two workers, an upstream answering every name
# under soak.example, the query log on, metrics on. A python3 client sends
# about RATE (default 1000) queries a second: denied names, cached names,
# fresh names (misses), TCP queries on a long-lived connection, and
# malformed datagrams; every 5 minutes a SIGHUP reload. Every minute it
# prints dnsgate's RSS and open descriptors (less the fetches in flight, a
# socket each), which must stay flat; at the end the well-formed queries
# the client sent must equal the queries dnsgate counted, and dnsgate must
# still be the process that started.
# Loopback only, never port 53; stops what it started, by PID.
set -u
minutes=${1:-30}
rate=${RATE:-1000}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dnsgate=${DNSGATE:-$top/src/dnsgate}
# shellcheck disable=SC1091
. "$top/tests/common.sh"
tool_setup soak ldns-testns python3 curl

up_port=$(free_port) && dg_port=$(free_port) && m_port=$(free_port) || exit 2
cat >"$tmp/up.testns" <<'EOT'
ENTRY_BEGIN
MATCH opcode subdomain
ADJUST copy_id copy_query
REPLY QR AA NOERROR
SECTION QUESTION
soak.example. IN A
ENTRY_END
EOT
ldns-testns -p "$up_port" "$tmp/up.testns" >/dev/null 2>&1 &
pids+=($!)
cat >"$tmp/dnsgate.conf" <<EOC
[server]
listen = 127.0.0.1:$dg_port
workers = 2
tcp_idle_timeout_ms = 5000
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.soak.example
new_names_per_minute = 1000000
new_names_per_minute_total = 1000000
[cache]
max_entries = 20000
[log]
query_log = $tmp/query.log
[metrics]
listen = 127.0.0.1:$m_port
EOC
"$dnsgate" -c "$tmp/dnsgate.conf" >"$tmp/dnsgate.log" 2>&1 &
dg_pid=$!
pids+=("$dg_pid")
for _ in $(seq 50); do grep -q "listening on" "$tmp/dnsgate.log" && break; sleep 0.1; done
grep -q "listening on" "$tmp/dnsgate.log" || { cat "$tmp/dnsgate.log"; exit 2; }

cat >"$tmp/client.py" <<'PY'
import os, random, select, socket, struct, sys, time
port, seconds, rate, statefile = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rnd = random.Random(7)
def q(name, qid):
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(
        bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
udp = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for s in udp:
    s.setblocking(False)
tcp = None
sent = {"deny": 0, "hit": 0, "miss": 0, "tcp": 0, "malformed": 0}
answered = 0
tcp_buf = b""
t0 = time.monotonic()
tick = 0
fresh = 0
def tcp_conn():
    c = socket.create_connection(("127.0.0.1", port), timeout=2)
    c.setblocking(False)
    return c
while time.monotonic() - t0 < seconds:
    tick += 1
    for i in range(rate // 10):
        r = rnd.random()
        s = udp[i % 4]
        qid = rnd.randrange(65536)
        try:
            if r < 0.40:
                s.sendto(q("x%d.evil%d.example" % (rnd.randrange(10**9), i % 50), qid), ("127.0.0.1", port))
                sent["deny"] += 1
            elif r < 0.70:
                s.sendto(q("h%d.soak.example" % rnd.randrange(100), qid), ("127.0.0.1", port))
                sent["hit"] += 1
            elif r < 0.90:
                fresh += 1
                s.sendto(q("m%d.soak.example" % fresh, qid), ("127.0.0.1", port))
                sent["miss"] += 1
            elif r < 0.95:
                if tcp is None:
                    tcp = tcp_conn()
                m = q("t%d.soak.example" % rnd.randrange(1000), qid)
                tcp.sendall(struct.pack(">H", len(m)) + m)
                sent["tcp"] += 1
            else:
                s.sendto(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 80))), ("127.0.0.1", port))
                sent["malformed"] += 1
        except (BlockingIOError, ConnectionError, OSError):
            tcp = None
    deadline = t0 + tick * 0.1
    while True:
        wait = deadline - time.monotonic()
        socks = udp + ([tcp] if tcp is not None else [])
        r, _, _ = select.select(socks, [], [], max(wait, 0))
        for s in r:
            try:
                if s is tcp:
                    data = s.recv(65536)
                    if not data:
                        tcp = None
                        continue
                    tcp_buf += data
                    while len(tcp_buf) >= 2 and len(tcp_buf) >= 2 + struct.unpack(">H", tcp_buf[:2])[0]:
                        tcp_buf = tcp_buf[2 + struct.unpack(">H", tcp_buf[:2])[0]:]
                        answered += 1
                else:
                    while True:
                        s.recv(4096)
                        answered += 1
            except (BlockingIOError, ConnectionError):
                pass
        if wait <= 0:
            break
    if tick % 50 == 0:
        with open(statefile + ".tmp", "w") as f:
            f.write("%d %d %d %d %d %d %d\n" % (sent["deny"], sent["hit"], sent["miss"], sent["tcp"],
                                                sent["malformed"], sum(sent.values()), answered))
        os.replace(statefile + ".tmp", statefile)
time.sleep(2)
for s in udp + ([tcp] if tcp is not None else []):
    try:
        while True:
            d = s.recv(65536)
            answered += 1 if s is not tcp else 0
    except (BlockingIOError, ConnectionError, OSError):
        pass
with open(statefile, "w") as f:
    f.write("%d %d %d %d %d %d %d\n" % (sent["deny"], sent["hit"], sent["miss"], sent["tcp"],
                                        sent["malformed"], sum(sent.values()), answered))
PY
python3 "$tmp/client.py" "$dg_port" $((minutes * 60)) "$rate" "$tmp/state" &
client=$!
pids+=("$client")

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$dg_pid/status"; }
fds() { find "/proc/$dg_pid/fd" -mindepth 1 | wc -l; }
# sum_metric AWK-PATTERN: the sum of dnsgate's metric lines it matches.
sum_metric() {
	curl -s --max-time 5 "http://127.0.0.1:$m_port/metrics" |
		awk "$1"' { n += $2 } END { printf "%d", n }'
}
# Each fetch in flight holds a socket of its own, as many as the upstream
# is slow at that moment: the descriptors judged are the others.
inflight() { sum_metric '/^dnsgate_upstream_inflight /'; }
echo "# soak: $minutes minutes at about $rate queries a second; dnsgate $dnsgate (pid $dg_pid)"
printf '%-7s %9s %5s %8s %10s %10s\n' minute rss_kib fds inflight sent answered
base_rss=0
base_fds=0
status=0
for m in $(seq 1 "$minutes"); do
	sleep 60
	if ! kill -0 "$dg_pid" 2>/dev/null; then
		echo "soak: dnsgate died in minute $m"; tail -n 20 "$tmp/dnsgate.log"; exit 1
	fi
	read -r _ _ _ _ _ total answered <"$tmp/state" 2>/dev/null || total=0 answered=0
	r=$(rss) i=$(inflight) f=$(fds)
	f=$((f - i))
	printf '%-7s %9s %5s %8s %10s %10s\n' "$m" "$r" "$f" "$i" "$total" "$answered"
	# Flat: the first 5 minutes fill the cache (and a reload empties
	# it), so their highest RSS and descriptor count are the bound the
	# rest may not pass by a quarter, or by more than a TCP connection.
	if [ "$m" -le 5 ]; then
		[ "$r" -gt "${base_rss:-0}" ] && base_rss=$r
		[ "$f" -gt "${base_fds:-0}" ] && base_fds=$f
	elif [ "$r" -gt $((base_rss * 5 / 4)) ] || [ "$f" -gt $((base_fds + 2)) ]; then
		echo "soak: growth in minute $m: $r KiB, $f descriptors (bound $((base_rss * 5 / 4)), $((base_fds + 2)))"
		status=1
	fi
	# After the figures: a reload has old and new caches alive a moment.
	[ $((m % 5)) = 0 ] && kill -HUP "$dg_pid"
done
wait "$client"
read -r deny hit miss tcp malformed total answered <"$tmp/state"
sleep 2
counted=$(sum_metric '/^dnsgate_queries_total\{/ && !/reason="malformed"/')
wellformed=$((deny + hit + miss + tcp))
echo "# client: $total sent ($deny deny, $hit hit, $miss miss, $tcp tcp, $malformed malformed), $answered answered"
echo "# dnsgate counted $counted well-formed queries; the client sent $wellformed"
[ "$counted" = "$wellformed" ] || { echo "soak: the totals differ"; status=1; }
kill -0 "$dg_pid" || status=1
echo "# dnsgate pid $dg_pid alive: $(kill -0 "$dg_pid" 2>/dev/null && echo yes || echo no); reloads: $(grep -c 'reloaded' "$tmp/dnsgate.log"); query log $(wc -l <"$tmp/query.log") lines"
kill -TERM "$dg_pid"
wait "$dg_pid"
rc=$?
echo "# dnsgate exit status $rc after SIGTERM"
[ "$rc" = 0 ] || status=1
[ "$status" = 0 ] && echo "soak: pass" || echo "soak: FAIL"
exit $status
