#!/usr/bin/env bash
# t_blackhole: an upstream that reads every query and answers none, and
# clients that keep asking. At the default caps, max_inflight (4096
# distinct questions fetched) and max_waiting (16384 client queries
# waiting, joined ones included), every query past either gets SERVFAIL
# at once; nothing past max_inflight reaches the upstream; the memory the
# two caps hold is measured (the figures are this test's "# " lines); and
# when the fetches time out, every waiter gets its SERVFAIL and every
# fetch's socket is closed.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" python3

start_blackhole hole
mport=$(free_port) || exit 99
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$hole_port
timeout_ms = 10000
[policy]
allow = *.example.com
new_names_per_minute = 1000000
new_names_per_minute_total = 1000000
[log]
query_log = off
[metrics]
listen = 127.0.0.1:$mport
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

# The client: 5000 distinct names (4096 become fetches), then 14000
# queries for a name already in flight (12288 of them join it: 16384
# waiting), 100 at a time: the next hundred only once dnsgate counted the
# last (a miss is counted as it is read), so none is lost to a full socket
# buffer however slowly dnsgate runs (under valgrind, say). Between
# the phases it reads dnsgate's gauges and RSS; answers that come before
# the fetches could have timed out are "at once".
cat >"$tmp/client.py" <<'PY'
import os, select, socket, struct, sys, time, urllib.request
port, mport, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def q(name, qid):
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(
        bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
def metric(name):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5).read().decode()
    return sum(float(l.split()[-1]) for l in text.splitlines() if l.split("{")[0].split(" ")[0] == name)
def status(key):
    for l in open("/proc/%s/status" % pid):
        if l.startswith(key + ":"):
            return int(l.split()[1])
def fds():
    return len(os.listdir("/proc/%s/fd" % pid))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
s.setblocking(False)
rcodes = {}
def drain(wait):
    end = time.monotonic() + wait
    while True:
        r, _, _ = select.select([s], [], [], max(end - time.monotonic(), 0))
        if not r:
            return
        while True:
            try:
                a = s.recv(4096)
            except BlockingIOError:
                break
            rc = a[3] & 15
            rcodes[rc] = rcodes.get(rc, 0) + 1
sent = 0
def settle():  # until dnsgate has read all sent: none lost to a full buffer, however slow it runs
    end = time.monotonic() + 60
    while metric("dnsgate_cache_misses_total") < sent and time.monotonic() < end:
        drain(0.005)
def send(names):
    global sent
    for n in names:
        s.sendto(q(n, sent & 0xffff), ("127.0.0.1", port))
        sent += 1
        if sent % 100 == 0:
            settle()
    settle()
print("idle_rss_kib %d" % status("VmRSS"))
print("idle_fds %d" % fds())
t0 = time.monotonic()
send(["d%d.example.com" % i for i in range(5000)])
drain(0.3)
print("a_inflight %d" % metric("dnsgate_upstream_inflight"))
print("a_waiting %d" % metric("dnsgate_queries_waiting"))
print("a_rss_kib %d" % status("VmRSS"))
print("a_fds %d" % fds())
print("a_servfail_at_once %d" % rcodes.get(2, 0))
send(["d0.example.com"] * 14000)
drain(0.3)
print("b_inflight %d" % metric("dnsgate_upstream_inflight"))
print("b_waiting %d" % metric("dnsgate_queries_waiting"))
print("b_rss_kib %d" % status("VmRSS"))
print("b_servfail_at_once %d" % rcodes.get(2, 0))
print("at_once_s %.2f" % (time.monotonic() - t0))
drain(12)
print("end_fds %d" % fds())  # before a scrape opens a connection
print("end_rss_kib %d" % status("VmRSS"))
print("end_servfail %d" % rcodes.get(2, 0))
print("end_other_rcodes %d" % sum(v for k, v in rcodes.items() if k != 2))
print("end_inflight %d" % metric("dnsgate_upstream_inflight"))
print("end_waiting %d" % metric("dnsgate_queries_waiting"))
print("received %d" % metric("dnsgate_queries_total"))
PY
timeout $((60 * time_scale)) python3 "$tmp/client.py" "$DG_PORT" "$mport" "$DG_PID" >"$tmp/client.out" 2>&1
ok $? "the client ran to its end"
sed 's/^/# /' "$tmp/client.out"
val() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/client.out"; }

is "$(val a_inflight)" 4096 "5000 distinct names: max_inflight (4096) fetches in flight"
is "$(val a_waiting)" 4096 "and 4096 client queries waiting on them"
is "$(val a_servfail_at_once)" 904 "the other 904 got SERVFAIL at once"
is "$(grep -c '^query' "$tmp/hole.log")" 4096 "the upstream saw 4096 queries, none past the cap"
is "$(val b_inflight)" 4096 "14000 more for a name in flight: no new fetch"
is "$(val b_waiting)" 16384 "max_waiting (16384) client queries waiting"
is "$(val b_servfail_at_once)" $((904 + 14000 - 12288)) "the 1712 past it got SERVFAIL at once"
at_once=$(val at_once_s)
[ "${at_once%.*}" -lt 10 ]
ok $? "all of that before the fetches could time out (${at_once} s < 10 s)"
is "$(val received)" 19000 "dnsgate received every query sent"
is "$(val end_servfail)" 19000 "once the fetches timed out, every query had its SERVFAIL"
is "$(val end_other_rcodes)" 0 "and nothing else"
is "$(val end_inflight) $(val end_waiting)" "0 0" "no fetch and no query left waiting"

idle=$(val idle_rss_kib) a=$(val a_rss_kib) b=$(val b_rss_kib) end=$(val end_rss_kib)
echo "# memory: idle $idle KiB; max_inflight full +$((a - idle)) KiB" \
	"($(((a - idle) * 1024 / 4096)) bytes a fetch); max_waiting full too" \
	"+$((b - idle)) KiB ($(((b - a) * 1024 / 12288)) bytes a joined query); after $end KiB"
[ "$a" -lt $((idle + 16384 * memory_scale)) ]
ok $? "4096 fetches hold under $((16 * memory_scale)) MiB (+$((a - idle)) KiB)"
[ "$b" -lt $((idle + 24576 * memory_scale)) ]
ok $? "both caps full hold under $((24 * memory_scale)) MiB (+$((b - idle)) KiB)"
is "$(val end_fds)" "$(val idle_fds)" "every fetch's socket closed (descriptors back to $(val idle_fds))"
check_alive_and_stop
done_testing
