#!/usr/bin/env bash
# t_upstream_faults: a first upstream that misbehaves in every way t_failover,
# t_mismatch and t_servfail leave out, and a second, good one. Per name the
# first one answers with random bytes; with the right ID and question but a
# broken record; from another port (a spoof, which the connected socket
# never delivers); twice; with TC, and then over TCP closes at once, cuts
# the answer short, or sends it whole and large. Each time the client gets
# the good answer (192.0.2.53; nothing of the bad one, 6.6.6.6) or, for the
# large one, the whole answer, within bounded time; nothing bad is cached;
# dnsgate keeps running.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" python3

cat >"$tmp/upstream.py" <<'PY'
import random, socket, struct, sys, threading
mode, port = sys.argv[1], int(sys.argv[2])

def parse(q):
    pos = 12
    labels = []
    while q[pos]:
        labels.append(q[pos + 1:pos + 1 + q[pos]].decode())
        pos += 1 + q[pos]
    return labels, pos + 5

def answer(q, addr, count=1, flags=0x8180):
    labels, end = parse(q)
    qid = q[:2]
    # Many records must differ: identical ones are one record (RFC 2181).
    addrs = [addr] if count == 1 else [
        "%s.%d" % (("192.0.2", "198.51.100", "203.0.113")[i % 3], i // 3) for i in range(count)]
    rrs = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + socket.inet_aton(a) for a in addrs)
    return qid + struct.pack(">HHHHH", flags, 1, count, 0, 0) + q[12:end] + rrs

udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", port))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("127.0.0.1", port))
tcp.listen(16)
spoofer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
spoofer.bind(("127.0.0.1", 0))
print("ready", flush=True)

def serve_tcp():
    while True:
        c, _ = tcp.accept()
        try:
            c.settimeout(3)
            head = c.recv(2)
            n = struct.unpack(">H", head)[0]
            q = b""
            while len(q) < n:
                q += c.recv(n - len(q))
            first = parse(q)[0][0]
            if mode == "good":
                r = answer(q, "192.0.2.53")
            elif first == "tcpclose":
                c.close(); continue
            elif first == "tcpcut":
                r = answer(q, "6.6.6.6")
                c.sendall(struct.pack(">H", len(r)) + r[:len(r) // 2])
                c.close(); continue
            elif first == "huge":
                r = answer(q, "", count=700)
            else:
                r = answer(q, "6.6.6.6")
            c.sendall(struct.pack(">H", len(r)) + r)
        except (OSError, struct.error):
            pass
        c.close()

threading.Thread(target=serve_tcp, daemon=True).start()
while True:
    q, peer = udp.recvfrom(65535)
    try:
        first = parse(q)[0][0]
    except (IndexError, UnicodeDecodeError):
        continue
    if mode == "good":
        udp.sendto(answer(q, "192.0.2.53"), peer)
    elif first == "garbage":
        udp.sendto(bytes(random.randrange(256) for _ in range(120)), peer)
    elif first == "badrecord":
        r = answer(q, "6.6.6.6")
        udp.sendto(r[:-6] + struct.pack(">H", 400) + r[-4:], peer)
    elif first == "spoofed":
        spoofer.sendto(answer(q, "6.6.6.6"), peer)
    elif first == "twice":
        udp.sendto(answer(q, "192.0.2.53"), peer)
        udp.sendto(answer(q, "6.6.6.6"), peer)
    elif first in ("tcpclose", "tcpcut", "huge"):
        udp.sendto(answer(q, "6.6.6.6", flags=0x8380), peer)
PY
faulty_port=$(free_port) && good_port=$(free_port) || exit 99
python3 "$tmp/upstream.py" faulty "$faulty_port" >"$tmp/faulty.log" 2>&1 &
pids+=($!)
python3 "$tmp/upstream.py" good "$good_port" >"$tmp/good.log" 2>&1 &
pids+=($!)
wait_until 5 grep -q ready "$tmp/faulty.log" && wait_until 5 grep -q ready "$tmp/good.log" ||
	{ sed 's/^/# /' "$tmp/faulty.log" "$tmp/good.log"; exit 99; }
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$faulty_port, 127.0.0.1:$good_port
timeout_ms = 600
[policy]
allow = *.example.com
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

for fault in garbage badrecord spoofed tcpclose tcpcut; do
	t0=$(now_ms)
	out=$(q "$fault.example.com" A)
	took=$(( $(now_ms) - t0 ))
	like "$out" "status: NOERROR" "$fault: answered"
	ok "$(printf '%s\n' "$out" | grep -q '6\.6\.6\.6'; echo $((1 - $?)))" \
		"$fault: nothing of the bad answer reaches the client"
	like "$out" "192\.0\.2\.53" "$fault: the good upstream's answer, in ${took} ms"
	[ "$took" -lt "$(scaled_ms 2000)" ]
	ok $? "$fault: within 2 s (timeout_ms 600, two upstreams)"
	again=$(q "$fault.example.com" A)
	like "$again" "192\.0\.2\.53" "$fault: asked again, the good answer (nothing bad was cached)"
done

out=$(q twice.example.com A)
like "$out" "192\.0\.2\.53" "twice: the first answer is taken"
ok "$(printf '%s\n' "$out" | grep -q '6\.6\.6\.6'; echo $((1 - $?)))" "twice: the second is ignored"
# Once the fetch's socket is closed the second answer can no longer land.
fetch_closed() { ! ss -Hunp "dport = :$faulty_port" | grep -q "pid=$DG_PID,"; }
wait_until 2 fetch_closed
like "$(q twice.example.com A)" "192\.0\.2\.53" "twice: and the first is what was cached"

out=$("$DIG" @127.0.0.1 -p "$DG_PORT" +tcp "$(dig_time 3)" +tries=1 huge.example.com A)
like "$out" "ANSWER: 700," "huge: TC from the first upstream, then 700 records (11 KB) over TCP, all to the client"
out=$(q +ignore huge.example.com A)
like "$out" "flags: qr[ a-z]* tc" "huge: over UDP the client gets TC, to retry over TCP"

check_alive_and_stop
done_testing
