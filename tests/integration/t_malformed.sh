#!/usr/bin/env bash
# t_malformed (basic; more in the fuzz and hardening tests): raw packets
# that are not a well-formed query get the answer RFC 1035/6891 asks for,
# or none at all for a packet that is itself an answer; and the daemon
# answers normally after each.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3

start_upstream up "$srcdir/tests/integration/data/basic.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow '*.example.com'

# raw.py PORT CASE [tcp]: send one crafted packet, print what came back:
# "id=ID qr=QR opcode=OP rcode=RCODE qd=N an=N ns=N ar=N" (RCODE extended
# by the OPT record, if any), or "no answer" after 1.5 s.
cat >"$tmp/raw.py" <<'PY'
import socket, struct, sys

port, case = int(sys.argv[1]), sys.argv[2]
tcp = len(sys.argv) > 3 and sys.argv[3] == "tcp"

def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"

def hdr(qid, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)

question = name("www.example.com") + struct.pack(">HH", 1, 1)
opt = lambda version: b"\0" + struct.pack(">HHBBHH", 41, 1232, 0, version, 0, 0)
cases = {
    "qr":        hdr(0x1001, 0x8100) + question,
    "qdcount2":  hdr(0x1002, 0x0100, qd=2) + question + name("other.example.com") + struct.pack(">HH", 1, 1),
    "qdcount0":  hdr(0x1003, 0x0100, qd=0),
    "opcode15":  hdr(0x1004, (15 << 11) | 0x0100) + question,
    "ednsv1":    hdr(0x1005, 0x0100, ar=1) + question + opt(1),
    "trailing":  hdr(0x1006, 0x0100) + question + b"\xde\xad\xbe\xef",
    "short":     hdr(0x1007, 0x0100)[:7],
    "badlabel":  hdr(0x1008, 0x0100) + b"\x3fwww",
    "ancount":   hdr(0x100a, 0x0100, an=1) + question,
    "good":      hdr(0x100b, 0x0100) + question,
}
pkt = cases[case]

def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    rcode = flags & 0xF
    pos = 12
    def skip_name(pos):
        while True:
            l = msg[pos]
            if l == 0:
                return pos + 1
            if l & 0xC0 == 0xC0:
                return pos + 2
            pos += 1 + l
    for _ in range(qd):
        pos = skip_name(pos) + 4
    for i in range(an + ns + ar):
        pos = skip_name(pos)
        rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
        if rtype == 41 and i >= an + ns:
            rcode |= (ttl >> 24) << 4
        pos += 10 + rdlen
    return "id=%d qr=%d opcode=%d rcode=%d qd=%d an=%d ns=%d ar=%d" % (
        qid, flags >> 15, (flags >> 11) & 0xF, rcode, qd, an, ns, ar)

try:
    if tcp:
        s = socket.create_connection(("127.0.0.1", port), timeout=1.5)
        s.sendall(struct.pack(">H", len(pkt)) + pkt)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            data = s.recv(65536)
            if not data:
                break
            buf += data
        msg = buf[2:]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1.5)
        s.sendto(pkt, ("127.0.0.1", port))
        msg, _ = s.recvfrom(65536)
    print(parse(msg) if len(msg) >= 12 else "no answer")
except (socket.timeout, ConnectionError):
    print("no answer")
PY
raw() {
	python3 "$tmp/raw.py" "$DG_PORT" "$@" 2>&1
}
still_answers() { # still_answers AFTER-WHAT
	local out
	out=$(q www.example.com A)
	like "$out" "192\.0\.2\.10" "after $1: a normal query is answered"
}

is "$(raw good)" "id=4107 qr=1 opcode=0 rcode=0 qd=1 an=1 ns=0 ar=0" "a well-formed raw query: answered (the script works)"

is "$(raw qr)" "no answer" "a query with QR set: dropped, no answer"
still_answers "a QR packet"
is "$(raw short)" "no answer" "a packet shorter than a header: dropped"
still_answers "a short packet"

is "$(raw qdcount2)" "id=4098 qr=1 opcode=0 rcode=1 qd=0 an=0 ns=0 ar=0" "QDCOUNT 2: FORMERR"
still_answers "QDCOUNT 2"
is "$(raw qdcount0)" "id=4099 qr=1 opcode=0 rcode=1 qd=0 an=0 ns=0 ar=0" "QDCOUNT 0: FORMERR"
like "$(raw ancount)" "^id=4106 qr=1 opcode=0 rcode=1 qd=[01] an=0 ns=0 ar=0\$" "ANCOUNT 1 in a query: FORMERR"
is "$(raw badlabel)" "id=4104 qr=1 opcode=0 rcode=1 qd=0 an=0 ns=0 ar=0" "a label running past the end: FORMERR"
still_answers "the FORMERR cases"

is "$(raw opcode15)" "id=4100 qr=1 opcode=15 rcode=4 qd=0 an=0 ns=0 ar=0" "opcode 15: NOTIMP, opcode echoed"
out=$(q +opcode=15 www.example.com A)
like "$out" "status: NOTIMP" "dig +opcode=15: NOTIMP"
still_answers "an unknown opcode"

is "$(raw ednsv1)" "id=4101 qr=1 opcode=0 rcode=16 qd=1 an=0 ns=0 ar=1" "EDNS version 1: BADVERS (16, in the OPT's extended rcode)"
out=$(q +edns=1 +noednsnegotiation www.example.com A)
like "$out" "status: BADVERS" "dig +edns=1: BADVERS"
like "$out" "EDNS: version: 0" "with an OPT of version 0"
still_answers "EDNS version 1"

is "$(raw trailing)" "id=4102 qr=1 opcode=0 rcode=1 qd=1 an=0 ns=0 ar=0" "trailing bytes after the question: FORMERR, question echoed"
is "$(raw trailing tcp)" "id=4102 qr=1 opcode=0 rcode=1 qd=1 an=0 ns=0 ar=0" "the same over TCP: FORMERR"
is "$(raw qr tcp)" "no answer" "QR set over TCP: no answer"
still_answers "trailing bytes"

is "$(upstream_count up www.example.com.)" 1 "nothing malformed reached the upstream (only the first good query)"

check_alive_and_stop
done_testing
