#!/usr/bin/env bash
# t_tcp_limits: RFC 7766 limits of the TCP listener: idle connections are
# closed after tcp_idle_timeout_ms; at max_tcp_clients a new connection
# takes the place of the one idle the longest, or, when every connection
# waits on an answer, waits (not refused, not crashed) until a slot frees;
# a client that hangs up
# before its answer does not hurt (SIGPIPE ignored); SO_REUSEPORT lets a
# second process bind the same port; SIGINT stops cleanly too.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3

start_upstream up "$srcdir/tests/integration/data/slow.testns"
cat >"$tmp/dnsgate.conf" <<EOC
[server]
tcp_idle_timeout_ms = 400
max_tcp_clients = 2
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.slow.example.com
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

cat >"$tmp/tcp.py" <<'EOF2'
import socket, struct, sys, time

port = int(sys.argv[1])

def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)

def framed(msg):
    return struct.pack(">H", len(msg)) + msg

def read_answer(s, timeout):
    s.settimeout(timeout)
    try:
        head = s.recv(2)
        if len(head) < 2:
            return None
        n = struct.unpack(">H", head)[0]
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data
    except socket.timeout:
        return None

def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=3)

test = sys.argv[2]
if test == "idle":
    s = conn()
    t0 = time.monotonic()
    s.settimeout(3)
    try:
        closed = s.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        closed = False
    print("closed" if closed else "open", round(time.monotonic() - t0, 2))
elif test == "cap":
    a = conn()
    time.sleep(0.05)
    b = conn()
    time.sleep(0.05)
    c = conn()
    c.sendall(framed(query("denied.example", 7)))
    first = read_answer(c, 1.0)
    b.sendall(framed(query("denied.example", 8)))
    b_answer = read_answer(b, 1.0)
    a.settimeout(1.0)
    try:
        a_closed = a.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        a_closed = False
    print("served" if first is not None else "unanswered",
          "oldest-closed" if a_closed else "oldest-open",
          "next-open" if b_answer is not None else "next-closed")
    b.close(); c.close()
elif test == "busy":
    a, b = conn(), conn()
    a.sendall(framed(query("h1.slow.example.com", 1)))
    b.sendall(framed(query("h2.slow.example.com", 2)))
    time.sleep(0.1)
    c = conn()
    c.sendall(framed(query("denied.example", 7)))
    first = read_answer(c, 0.5)
    second = read_answer(c, 4.0) if first is None else first
    print("waited" if first is None else "served-early",
          "answered" if second is not None else "unanswered")
    a.close(); b.close(); c.close()
elif test == "hangup":
    s = conn()
    s.sendall(framed(query("h1.slow.example.com", 9)))
    s.close()
    print("sent")
EOF2

out=$(python3 "$tmp/tcp.py" "$DG_PORT" idle)
like "$out" "^closed 0\.[3-9]|^closed 1\.[0-4]" "an idle connection is closed after tcp_idle_timeout_ms (400 ms): $out"

out=$(python3 "$tmp/tcp.py" "$DG_PORT" cap)
is "$out" "served oldest-closed next-open" \
	"at max_tcp_clients a third connection is served at once, in place of the one idle the longest"

out=$(python3 "$tmp/tcp.py" "$DG_PORT" busy)
is "$out" "waited answered" \
	"when both connections wait on answers, a third waits, then is served when a slot frees"

out=$(python3 "$tmp/tcp.py" "$DG_PORT" hangup)
# The slow answer came back, and dnsgate wrote it to the closed
# connection: the upstream is done, and a query after it is answered.
wait_until 3 upstream_idle up
q denied.example A >/dev/null
kill -0 "$DG_PID" 2>/dev/null
ok $? "a client hanging up before its slow answer does not kill dnsgate (SIGPIPE ignored)"

out=$(q +tcp h2.slow.example.com A)
like "$out" "status: NOERROR" "TCP still answers after all that"

# SO_REUSEPORT: a second process binds the same address and port.
"$DNSGATE" -c "$tmp/dnsgate.conf" --listen "127.0.0.1:$DG_PORT" >"$tmp/second.log" 2>&1 &
second=$!
pids+=("$second")
wait_until 3 grep -q "listening on" "$tmp/second.log"
ok $? "a second dnsgate shares the port (SO_REUSEPORT)"
kill -INT "$second"
wait_until 5 gone "$second"
wait "$second"
is "$?" 0 "SIGINT stops it cleanly, exit 0"

# SIGHUP reloads (t_reload tests what); it never stops the daemon.
kill -HUP "$DG_PID"
wait_until 3 grep -q "dnsgate: reloaded" "$tmp/dnsgate.log"
kill -0 "$DG_PID" 2>/dev/null
ok $? "SIGHUP does not stop dnsgate"
like "$(cat "$tmp/dnsgate.log")" "dnsgate: reloaded" "it reloads the configuration"

check_alive_and_stop
done_testing
