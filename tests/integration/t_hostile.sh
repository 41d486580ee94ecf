#!/usr/bin/env bash
# t_hostile: every malformed message in issue 9's list, over UDP and over
# TCP, against the running daemon. Each gets the answer RFC 1035/6891/7766
# asks for (FORMERR, NOTIMP, BADVERS) or a silent drop; none reaches the
# upstream (they all ask an allowed name, leak.example.com, that would be
# forwarded were it ever parsed as a query); and after each the daemon
# answers a normal query on a fresh socket. TCP framing is tried too:
# a 64 KiB frame, zero-length frames, a query sent a byte at a time.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3

start_upstream up "$srcdir/tests/integration/data/basic.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow '*.example.com'

cat >"$tmp/hostile.py" <<'PY'
import socket, struct, sys, time

port = int(sys.argv[1])

def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"

def hdr(qid, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)

leak = name("leak.example.com") + struct.pack(">HH", 1, 1)
opt0 = b"\0" + struct.pack(">HHBBHH", 41, 1232, 0, 0, 0, 0)
def opt(options):
    return b"\0" + struct.pack(">HHBBHH", 41, 1232, 0, 0, 0, len(options)) + options

# name: (message, expected over UDP, expected over TCP)
cases = [
    ("header-7-bytes", hdr(1)[:7], "drop", "drop"),
    ("header-11-bytes", hdr(2)[:11], "drop", "drop"),
    ("header-only", hdr(3), "FORMERR", "FORMERR"),
    ("qdcount-0", hdr(4, qd=0), "FORMERR", "FORMERR"),
    ("qdcount-2", hdr(5, qd=2) + leak + leak, "FORMERR", "FORMERR"),
    ("qdcount-65535", hdr(6, qd=65535) + leak, "FORMERR", "FORMERR"),
    ("pointer-loop", hdr(7) + b"\xc0\x0c" + struct.pack(">HH", 1, 1), "FORMERR", "FORMERR"),
    ("pointer-to-itself-mid-name", hdr(8) + b"\x04leak\xc0\x11" + struct.pack(">HH", 1, 1), "FORMERR", "FORMERR"),
    ("pointer-forward", hdr(9) + b"\xc0\x12" + struct.pack(">HH", 1, 1) + name("leak.example.com"), "FORMERR", "FORMERR"),
    ("pointer-out-of-bounds", hdr(10) + b"\x04leak\xc3\xff" + struct.pack(">HH", 1, 1), "FORMERR", "FORMERR"),
    ("label-64", hdr(11) + b"\x40" + b"a" * 64 + name("example.com") + struct.pack(">HH", 1, 1), "FORMERR", "FORMERR"),
    ("label-type-01", hdr(12) + b"\x41" + b"a" * 1 + name("example.com") + struct.pack(">HH", 1, 1), "FORMERR", "FORMERR"),
    ("name-256", hdr(13) + (b"\x3f" + b"a" * 63) * 4 + name("example.com") + struct.pack(">HH", 1, 1), "FORMERR", "FORMERR"),
    ("label-past-end", hdr(14) + b"\x3fleak", "FORMERR", "FORMERR"),
    ("no-qtype", hdr(15) + name("leak.example.com") + b"\x00", "FORMERR", "FORMERR"),
    ("two-opts", hdr(16, ar=2) + leak + opt0 + opt0, "FORMERR", "FORMERR"),
    ("opt-in-answer", hdr(17, an=1) + leak + opt0, "FORMERR", "FORMERR"),
    ("opt-in-authority", hdr(18, ns=1) + leak + opt0, "FORMERR", "FORMERR"),
    ("opt-not-opt", hdr(19, ar=1) + leak + b"\0" + struct.pack(">HHIH", 1, 1, 0, 4) + b"\x7f\0\0\1", "FORMERR", "FORMERR"),
    ("opt-owner-not-root", hdr(20, ar=1) + leak + b"\x01a\0" + struct.pack(">HHBBHH", 41, 1232, 0, 0, 0, 0), "FORMERR", "FORMERR"),
    ("opt-option-overruns", hdr(21, ar=1) + leak + opt(struct.pack(">HH", 10, 200) + b"x" * 8), "FORMERR", "FORMERR"),
    ("opt-rdlen-overruns", hdr(22, ar=1) + leak + b"\0" + struct.pack(">HHBBHH", 41, 1232, 0, 0, 0, 500), "FORMERR", "FORMERR"),
    ("opt-version-1", hdr(23, ar=1) + leak + b"\0" + struct.pack(">HHBBHH", 41, 1232, 0, 1, 0, 0), "BADVERS", "BADVERS"),
    ("opcode-iquery", hdr(24, flags=(1 << 11) | 0x0100) + leak, "NOTIMP", "NOTIMP"),
    ("opcode-status", hdr(25, flags=(2 << 11) | 0x0100) + leak, "NOTIMP", "NOTIMP"),
    ("opcode-notify", hdr(26, flags=(4 << 11)) + leak, "NOTIMP", "NOTIMP"),
    ("opcode-update", hdr(27, flags=(5 << 11)) + leak, "NOTIMP", "NOTIMP"),
    ("opcode-15", hdr(28, flags=(15 << 11) | 0x0100) + leak, "NOTIMP", "NOTIMP"),
    ("qr-set", hdr(29, flags=0x8180) + leak, "drop", "drop"),
    ("qr-set-with-answer", hdr(30, flags=0x8180, an=1) + leak + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + b"\x7f\0\0\1", "drop", "drop"),
    ("tc-set", hdr(31, flags=0x0300) + leak, "FORMERR", "FORMERR"),
    ("trailing-garbage", hdr(32) + leak + b"\xde\xad\xbe\xef", "FORMERR", "FORMERR"),
    ("trailing-after-opt", hdr(33, ar=1) + leak + opt0 + b"\0", "FORMERR", "FORMERR"),
    ("all-zero-512", b"\0" * 512, "FORMERR", "FORMERR"),
    ("all-ff-512", b"\xff" * 512, "drop", "drop"),
]

pending = {}  # bytes read past a frame, per socket

def recv_frame(s):
    buf = pending.pop(s, b"")
    while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
        data = s.recv(65536)
        if not data:
            return None
        buf += data
    end = 2 + struct.unpack(">H", buf[:2])[0]
    pending[s] = buf[end:]
    return buf[2:end]

def verdict(msg):
    if msg is None:
        return "drop"
    flags = struct.unpack(">H", msg[2:4])[0]
    rcode = flags & 0xF
    qd, an, ns, ar = struct.unpack(">HHHH", msg[4:12])
    if ar:  # the extended rcode of an OPT at the end
        rcode |= msg[-6] << 4 if len(msg) >= 11 and msg[-11] == 0 else 0
    return {0: "NOERROR", 1: "FORMERR", 3: "NXDOMAIN", 4: "NOTIMP", 16: "BADVERS"}.get(rcode, "rcode%d" % rcode)

def ask(pkt, tcp, timeout=1.0):
    try:
        if tcp:
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            s.sendall(struct.pack(">H", len(pkt)) + pkt)
            return verdict(recv_frame(s))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.sendto(pkt, ("127.0.0.1", port))
        return verdict(s.recvfrom(65535)[0])
    except (socket.timeout, ConnectionError):
        return "drop"

good = hdr(0x7777) + name("www.example.com") + struct.pack(">HH", 1, 1)
for case, pkt, want_udp, want_tcp in cases:
    for tcp, want in ((False, want_udp), (True, want_tcp)):
        got = ask(pkt, tcp, 0.7 if want == "drop" else 2.0)
        alive = ask(good, False, 2.0)
        print("%s %s %s %s %s" % (case, "tcp" if tcp else "udp", got, want, alive))

# TCP framing. One connection: a zero-length frame, then a query.
s = socket.create_connection(("127.0.0.1", port), timeout=2)
s.sendall(b"\0\0" + struct.pack(">H", len(good)) + good)
print("zero-length-frame-then-query tcp %s NOERROR %s" % (verdict(recv_frame(s)), ask(good, False)))
# A 64 KiB frame of garbage, then a good query on the same connection.
s = socket.create_connection(("127.0.0.1", port), timeout=2)
big = hdr(0x4242) + b"\x01" * (65535 - 12)
s.sendall(struct.pack(">H", len(big)) + big + struct.pack(">H", len(good)) + good)
first = verdict(recv_frame(s))
second = verdict(recv_frame(s))
print("frame-64k tcp %s FORMERR %s" % (first, ask(good, False)))
print("query-after-64k-frame tcp %s NOERROR %s" % (second, ask(good, False)))
# A query a byte at a time, 20 ms apart.
s = socket.create_connection(("127.0.0.1", port), timeout=3)
framed = struct.pack(">H", len(good)) + good
for i in range(len(framed)):
    s.sendall(framed[i:i + 1])
    time.sleep(0.02)
print("byte-by-byte tcp %s NOERROR %s" % (verdict(recv_frame(s)), ask(good, False)))
# A frame header promising more than ever comes, then the connection closed.
s = socket.create_connection(("127.0.0.1", port), timeout=2)
s.sendall(struct.pack(">H", 500) + good)
s.close()
print("short-frame-then-close tcp drop drop %s" % ask(good, False))
PY

python3 "$tmp/hostile.py" "$DG_PORT" >"$tmp/hostile.out" 2>"$tmp/hostile.err"
ok $? "the hostile driver ran"
[ -s "$tmp/hostile.err" ] && sed 's/^/#   /' "$tmp/hostile.err"
while read -r case transport got want alive; do
	[ "$got" = "$want" ] && [ "$alive" = NOERROR ]
	ok $? "$case over $transport: $got (want $want), then a normal query: $alive"
done <"$tmp/hostile.out"
is "$(upstream_count up leak.example.com.)" 0 "none of them reached the upstream"
check_alive_and_stop
done_testing
