#!/usr/bin/env bash
# make_corpus.sh: the seed corpus of the fuzz targets, from real packets.
# Queries are what dig, kdig and drill send (caught by a python3 UDP
# socket), answers are what nsd sends for a zone with the record types
# dnsgate treats specially (A, AAAA, CNAME chains, HTTPS/SVCB with address
# hints, MX, large TXT, many records, NXDOMAIN with SOA), and a few
# hand-made ones that real tools never send (pointer loops, pointers out
# of bounds, two OPTs). Configurations are the project's own files.
# Writes tests/fuzz/corpus/{query,response,config}/, each file named by its
# SHA-1. Loopback only; every process it starts is stopped by PID.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$here/corpus
# shellcheck disable=SC1091
. "$top/tests/common.sh"
tool_setup make_corpus dig kdig drill nsd python3 sha1sum
mkdir -p "$out/query" "$out/response" "$out/config"

# keep DIR FILE: the file into DIR under its SHA-1.
keep() {
	local sum
	sum=$(sha1sum "$2" | cut -c1-16)
	cp "$2" "$1/$sum"
}

# Queries: a socket that keeps every datagram and answers nothing.
qport=$(free_port)
python3 - "$qport" "$tmp/q" <<'PY' &
import os, socket, sys
os.makedirs(sys.argv[2], exist_ok=True)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(3)
n = 0
while True:
    try:
        d, _ = s.recvfrom(65535)
    except socket.timeout:
        break
    n += 1
    open(os.path.join(sys.argv[2], "%04d" % n), "wb").write(d)
PY
pids+=($!)
sleep 0.3
ask() { "$@" >/dev/null 2>&1 || true; }
for name in www.example.com h1.allowed.test A.ALLOWED.TEST \
	x.y.z.example.com mfzwizltojswk3ltmvzgk3dfmfzwizltojswk3ltmvzgk3dfmfzwizlt.tunnel.example \
	private.test "a\\.b.example.com" . com; do
	for type in A AAAA HTTPS SVCB TXT MX ANY CNAME NULL TYPE65280; do
		ask dig @127.0.0.1 -p "$qport" +time=1 +tries=1 "$name" "$type"
	done
done
ask dig @127.0.0.1 -p "$qport" +time=1 +tries=1 +noedns www.example.com
ask dig @127.0.0.1 -p "$qport" +time=1 +tries=1 +dnssec +bufsize=4096 www.example.com
ask dig @127.0.0.1 -p "$qport" +time=1 +tries=1 +nsid +cookie +expire www.example.com
ask dig @127.0.0.1 -p "$qport" +time=1 +tries=1 +edns=1 www.example.com
ask dig @127.0.0.1 -p "$qport" +time=1 +tries=1 +opcode=2 www.example.com
ask dig @127.0.0.1 -p "$qport" +time=1 +tries=1 -c CH version.bind TXT
ask kdig @127.0.0.1 -p "$qport" +timeout=1 +retry=0 +padding=468 www.example.com
ask kdig @127.0.0.1 -p "$qport" +timeout=1 +retry=0 +subnet=192.0.2.0/24 www.example.com
ask kdig @127.0.0.1 -p "$qport" +timeout=1 +retry=0 +nsid +dnssec h1.allowed.test AAAA
ask drill -p "$qport" -Q @127.0.0.1 www.example.com
ask drill -p "$qport" -Q -o rd @127.0.0.1 h2.allowed.test AAAA
wait "${pids[0]}" 2>/dev/null || true
for f in "$tmp"/q/*; do keep "$out/query" "$f"; done

# Hand-made messages real tools do not send.
python3 - "$tmp/hand" <<'PY'
import os, struct, sys
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
def hdr(qd=1, an=0, ns=0, ar=0, flags=0x0100, id=0x1234):
    return struct.pack(">HHHHHH", id, flags, qd, an, ns, ar)
name = b"\x03www\x07example\x03com\x00"
q = name + struct.pack(">HH", 1, 1)
opt = b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)
msgs = {
    "loop": hdr() + b"\xc0\x0c" + struct.pack(">HH", 1, 1),
    "fwdptr": hdr() + b"\xc0\x20" + struct.pack(">HH", 1, 1) + b"\x00" * 20,
    "oob": hdr() + b"\x03www\xc0\xff" + struct.pack(">HH", 1, 1),
    "qd0": hdr(qd=0),
    "qd2": hdr(qd=2) + q + q,
    "qdmax": hdr(qd=65535) + q,
    "twoopt": hdr(ar=2) + q + opt + opt,
    "optan": hdr(an=1) + q + opt,
    "bigopt": hdr(ar=1) + q + b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 4 + 3000) + struct.pack(">HH", 65001, 3000) + b"x" * 3000,
    "label64": hdr() + b"\x40" + b"a" * 64 + b"\x00" + struct.pack(">HH", 1, 1),
    "name300": hdr() + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + struct.pack(">HH", 1, 1),
    "trailing": hdr() + q + b"garbage",
    "qr": hdr(flags=0x8100) + q,
    "short": b"\x12\x34\x01",
    "opcode5": hdr(flags=0x2900) + q,
    "extlabel": hdr() + b"\x41www\x00" + struct.pack(">HH", 1, 1),
}
for k, v in msgs.items():
    open(os.path.join(d, k), "wb").write(v)
# Responses: a pointer loop in the answer, a pointer past the end, an
# answer whose CNAME points at itself.
r = hdr(an=1, flags=0x8180) + q
resp = {
    "r_loop": r + b"\xc0\x1d" + struct.pack(">HHIH", 1, 1, 60, 4) + b"\xc0\x00\x02\x01",
    "r_oob": r + b"\xc0\xf0" + struct.pack(">HHIH", 1, 1, 60, 4) + b"\xc0\x00\x02\x01",
    "r_selfcname": r + b"\xc0\x0c" + struct.pack(">HHIH", 5, 1, 60, 2) + b"\xc0\x0c",
    "r_rdlen": r + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 400) + b"\xc0\x00\x02\x01",
}
os.makedirs(d + "-r", exist_ok=True)
for k, v in resp.items():
    open(os.path.join(d + "-r", k), "wb").write(v)
PY
for f in "$tmp"/hand/*; do keep "$out/query" "$f"; done
for f in "$tmp"/hand-r/*; do keep "$out/response" "$f"; done

# Answers: nsd for allowed.test, asked by a python3 client that keeps them.
nport=$(free_port)
cat >"$tmp/allowed.test.zone" <<'EOZ'
$ORIGIN allowed.test.
$TTL 300
@	SOA ns hostmaster 1 3600 600 86400 60
@	NS ns
ns	A 127.0.0.1
h1	A 192.0.2.1
h1	AAAA 2001:db8::1
priv	A 10.0.0.1
priv	A 192.0.2.7
meta	A 169.254.169.254
v6priv	AAAA fd00::1
v6priv	AAAA ::ffff:10.0.0.1
c1	CNAME c2
c2	CNAME h1
out	CNAME www.elsewhere.example.
svc	HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.1,10.0.0.1 ipv6hint=2001:db8::1,fd00::1
svc	SVCB 1 svc2 port=8443 ipv4hint=169.254.169.254
alias	HTTPS 0 h1
mx	MX 10 h1
txt	TXT "v=spf1 -all" "a second string"
big	TXT "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
EOZ
for i in $(seq 1 120); do echo "many A 192.0.2.$((i % 250 + 1))"; done >>"$tmp/allowed.test.zone"
cat >"$tmp/nsd.conf" <<EON
server:
	ip-address: 127.0.0.1@$nport
	port: $nport
	username: ""
	zonesdir: "$tmp"
	database: ""
	pidfile: "$tmp/nsd.pid"
	xfrdfile: "$tmp/xfrd.state"
	zonelistfile: "$tmp/zone.list"
	verbosity: 0
remote-control:
	control-enable: no
zone:
	name: allowed.test.
	zonefile: allowed.test.zone
EON
nsd -d -c "$tmp/nsd.conf" >"$tmp/nsd.log" 2>&1 &
pids+=($!)
sleep 1
python3 - "$nport" "$tmp/r" <<'PY'
import os, random, socket, struct, sys
port, d = int(sys.argv[1]), sys.argv[2]
os.makedirs(d, exist_ok=True)
def wire(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\x00"
T = {"A": 1, "AAAA": 28, "CNAME": 5, "MX": 15, "TXT": 16, "SVCB": 64, "HTTPS": 65, "SOA": 6, "NS": 2}
asks = [("h1", "A"), ("h1", "AAAA"), ("priv", "A"), ("meta", "A"), ("v6priv", "AAAA"),
        ("c1", "A"), ("out", "A"), ("svc", "HTTPS"), ("svc", "SVCB"), ("alias", "HTTPS"),
        ("mx", "MX"), ("txt", "TXT"), ("big", "TXT"), ("many", "A"), ("nothere", "A"),
        ("h1", "TXT"), ("", "SOA"), ("", "NS"), ("H1", "A")]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i, (n, t) in enumerate(asks):
    for edns in (False, True):
        qid = random.randrange(65536)
        q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
        q += wire(n + ".allowed.test" if n else "allowed.test") + struct.pack(">HH", T[t], 1)
        if edns:
            q += b"\x00" + struct.pack(">HHIH", 41, 4096, 0, 0)
        s.sendto(q, ("127.0.0.1", port))
        try:
            r, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        open(os.path.join(d, "%02d%d" % (i, edns)), "wb").write(r)
PY
for f in "$tmp"/r/*; do keep "$out/response" "$f"; done
# nsd hands its work to a child (its main process, in nsd.pid) and the
# PID started is xfrd: stop the main one by its own PID too.
[ -s "$tmp/nsd.pid" ] && kill -TERM "$(cat "$tmp/nsd.pid")" 2>/dev/null

# Configurations: the project's own, each with a zones file after a NUL.
for conf in "$top"/contrib/dnsgate.conf.in "$top"/tests/data/*.conf; do
	for zones in "$top"/tests/data/*.zones "$top"/zones/default.zones; do
		{ cat "$conf"; printf '\0'; cat "$zones"; } >"$tmp/c"
		keep "$out/config" "$tmp/c"
	done
done
count() { find "$1" -type f | wc -l; }
echo "make_corpus: $(count "$out/query") queries, $(count "$out/response") responses, $(count "$out/config") configurations"
