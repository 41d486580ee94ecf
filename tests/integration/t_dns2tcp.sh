#!/usr/bin/env bash
# t_dns2tcp: a real DNS tunnel (dns2tcp) through dnsgate must not carry data
# under the default limits.
#
# dns2tcpc only talks to port 53, so everything runs in a network namespace
# this test creates (and deletes on exit), on that namespace's own loopback:
#   sink       127.0.0.1:7000  a TCP sink that counts the bytes it receives
#   dns2tcpd   127.0.0.2:53    authoritative for tun.example.com, resource
#                              "sink" = 127.0.0.1:7000
#   dnsgate    127.0.0.1:53    in front of it
#   dns2tcpc   listens on 127.0.0.1:7100+, the sender pushes random bytes
#                              into it for a bounded time
# dns2tcp writes base64 (mixed case, '+', '/', '=') in its names, which
# dnsgate's charset and lowercasing destroy whatever the other limits. To
# test the limits themselves, a pair of UDP proxies ("codec") stands for a
# DNS-safe tunnel as an attacker would write it (iodine's base32): enc
# (127.0.0.3:53, dns2tcpc's server) rewrites each name's data in lowercase
# base32 labels, dec (127.0.0.4:5300, dnsgate's upstream) rewrites it back
# for dns2tcpd. Runs:
#   direct        dns2tcpc -> dns2tcpd: the harness is real (bytes/s)
#   plain         dns2tcpc -> permissive dnsgate: nothing (charset)
#   codec         enc -> permissive dnsgate -> dec: the tunnel works (bytes/s)
#   default       enc -> dnsgate with *.tun.example.com and default limits:
#                 nothing (qtype: TXT and KEY are not default types)
#   types=TXT     only the type relaxed: nothing (label-length)
#   labels 40     the codec writes 40-byte labels: nothing (too-deep or
#                 name-length)
#   budget        every shape allowed, default budget (60 new names a
#                 minute): at most (60 + 60*T/60 + 2) names of data pass
# dns2tcp authenticates first (a challenge, then its HMAC in a longer name),
# so where a limit bites it usually stops the tunnel at that step: one or
# two denials per run, and the client gives up. Every run is bounded in
# time; the whole test takes about 30 s.
. "$srcdir/tests/integration/lib.sh"
need dns2tcpc dns2tcpd python3 ip ss
DNSGATE=${DNSGATE:-$srcdir/src/dnsgate}
[ "$(id -u)" = 0 ] || skip_all "needs root to create a network namespace"

NS=dgtun$$
NS_MADE=
cleanup_ns() {
	stop_pids
	[ -n "$NS_MADE" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup_ns EXIT
trap 'exit 130' INT TERM HUP
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
NS_MADE=1
ip netns exec "$NS" ip link set lo up || skip_all "cannot bring up lo in the namespace"

nsx() { ip netns exec "$NS" "$@"; }

# nsbg LOG COMMAND...: start COMMAND in the namespace (ip exec()s it, so $!
# is its PID); sets BG_PID and records it for stop_pids.
nsbg() {
	local log=$1
	shift
	ip netns exec "$NS" "$@" >"$log" 2>&1 &
	BG_PID=$!
	pids+=("$BG_PID")
}

# stop_one PID: TERM, KILL after 3 s; forget it.
stop_one() {
	local pid=$1 i keep=()
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for i in "${pids[@]}"; do
		[ "$i" = "$pid" ] || keep+=("$i")
	done
	pids=("${keep[@]}")
}

# A socket is bound in the namespace: PROTO (u|t) ADDR PORT.
ns_bound() {
	nsx ss -Hln"$1" "src $2:$3" 2>/dev/null | grep -q .
}

cat >"$tmp/sink.py" <<'EOF'
# sink.py PORT FILE: accept any number of connections on 127.0.0.1:PORT,
# count the bytes received, write the total to FILE every 0.1 s.
import os, select, socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
conns, total, last = [], 0, None
while True:
    r, _, _ = select.select([ls] + conns, [], [], 0.1)
    for s in r:
        if s is ls:
            conns.append(ls.accept()[0])
            continue
        try:
            d = s.recv(65536)
        except OSError:
            d = b""
        if d:
            total += len(d)
        else:
            conns.remove(s)
            s.close()
    if total != last:
        with open(out + ".tmp", "w") as f:
            f.write("%d\n" % total)
        os.replace(out + ".tmp", out)
        last = total
EOF

cat >"$tmp/send.py" <<'EOF'
# send.py PORT SECONDS: connect to 127.0.0.1:PORT and push random bytes for
# SECONDS (or until the connection fails); print the bytes accepted.
import os, socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
end = time.time() + secs
chunk = os.urandom(4096)
sent = 0
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.settimeout(0.2)
    while time.time() < end:
        try:
            sent += s.send(chunk)
        except socket.timeout:
            pass
    s.close()
except OSError as e:
    print("send error:", e, file=sys.stderr)
print(sent)
EOF

cat >"$tmp/codec.py" <<'EOF'
# codec.py enc|dec LISTEN TARGET DOMAIN [LABEL]: a UDP proxy that rewrites
# the data labels of names under DOMAIN. enc: dns2tcp's base64 text (with
# '.' and '=') read as one number in base 66, written as lowercase base32
# in labels of at most LABEL (63) bytes; queries gain EDNS (1232) so long
# answers are not truncated. dec: the reverse. Answers go back with the
# question the client asked, answer owners as a pointer to it.
import base64, select, socket, struct, sys, time

ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/.="
IDX = {c: i for i, c in enumerate(ALPHA)}
B = len(ALPHA)

def read_name(msg, off):
    labels = []
    while msg[off]:
        n = msg[off]
        if n & 0xC0:
            raise ValueError("compressed question")
        labels.append(msg[off + 1:off + 1 + n])
        off += 1 + n
    return labels, off + 1

def wire(labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"

def encode(prefix, label):
    v = 1  # a leading 1 keeps leading zero digits
    for c in b".".join(prefix).decode():
        v = v * B + IDX[c]
    raw = v.to_bytes((v.bit_length() + 7) // 8, "big")
    s = base64.b32encode(raw).decode().rstrip("=").lower().encode()
    return [s[i:i + label] for i in range(0, len(s), label)]

def decode(prefix):
    s = b"".join(prefix).decode().upper()
    v = int.from_bytes(base64.b32decode(s + "=" * (-len(s) % 8)), "big")
    out = []
    while v > 1:
        v, d = divmod(v, B)
        out.append(ALPHA[d])
    if v != 1:
        raise ValueError("not an encoded name")
    return [l.encode() for l in "".join(reversed(out)).split(".")]

def rr_end(msg, off):  # (end of the owner name, end of the record)
    while True:
        n = msg[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0 == 0xC0:
            off += 2
            break
        off += 1 + n
    return off, off + 10 + struct.unpack("!H", msg[off + 8:off + 10])[0]

mode, listen, target, domain = sys.argv[1:5]
label = int(sys.argv[5]) if len(sys.argv) > 5 else 63
domain = [l.encode() for l in domain.lower().split(".")]
la, lp = listen.rsplit(":", 1)
ta, tp = target.rsplit(":", 1)
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind((la, int(lp)))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.connect((ta, int(tp)))
pending, next_id = {}, 1
while True:
    r, _, _ = select.select([front, back], [], [], 1.0)
    if front in r:
        msg, addr = front.recvfrom(4096)
        try:
            labels, end = read_name(msg, 12)
            k = len(domain)
            if len(labels) <= k or [l.lower() for l in labels[-k:]] != domain:
                raise ValueError("not under the domain")
            prefix = labels[:-k]
            new = (encode(prefix, label) if mode == "enc" else decode(prefix)) + domain
        except (ValueError, KeyError, IndexError, UnicodeError) as e:
            print("drop query:", e, file=sys.stderr, flush=True)
            continue
        oid = struct.pack("!H", next_id)
        next_id = next_id % 65535 + 1
        q = oid + msg[2:4] + struct.pack("!HHHH", 1, 0, 0, 1 if mode == "enc" else 0)
        q += wire(new) + msg[end:end + 4]
        if mode == "enc":
            q += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
        pending[oid] = (addr, msg[:2], msg[12:end + 4], time.time())
        back.send(q)
    if back in r:
        try:
            msg = back.recv(4096)
        except OSError:
            continue
        p = pending.pop(msg[:2], None)
        if p is None:
            continue
        addr, cid, question, _ = p
        try:
            off = read_name(msg, 12)[1] + 4
            an = struct.unpack("!H", msg[6:8])[0]
            answers = b""
            for _ in range(an):
                owner_end, rr = rr_end(msg, off)
                answers += b"\xc0\x0c" + msg[owner_end:rr]
                off = rr
        except (ValueError, IndexError, struct.error) as e:
            print("drop answer:", e, file=sys.stderr, flush=True)
            continue
        front.sendto(cid + msg[2:4] + struct.pack("!HHHH", 1, an, 0, 0) + question + answers, addr)
    if len(pending) > 4096:
        now = time.time()
        for k in [k for k, v in pending.items() if now - v[3] > 5]:
            del pending[k]
EOF

# The fixed cast: sink, dns2tcpd, dec.
nsbg "$tmp/sink.log" python3 "$tmp/sink.py" 7000 "$tmp/sink.count"
cat >"$tmp/dns2tcpd.conf" <<EOF
listen = 127.0.0.2
port = 53
domain = tun.example.com
resources = sink:127.0.0.1:7000
EOF
nsbg "$tmp/dns2tcpd.log" dns2tcpd -F -f "$tmp/dns2tcpd.conf"
nsbg "$tmp/dec.log" python3 "$tmp/codec.py" dec 127.0.0.4:5300 127.0.0.2:53 tun.example.com
wait_until 5 ns_bound t 127.0.0.1 7000 && wait_until 5 ns_bound u 127.0.0.2 53 &&
	wait_until 5 ns_bound u 127.0.0.4 5300 ||
	{ echo "# the sink, dns2tcpd or the codec did not start"; sed 's/^/#   /' "$tmp"/*.log; exit 99; }

sink_total() {
	cat "$tmp/sink.count" 2>/dev/null || echo 0
}
# The bytes still in the tunnel have arrived: the sink's count held still
# for 0.3 s (with wait_until).
sink_settled() {
	local was
	was=$(sink_total)
	sleep 0.3
	[ "$(sink_total)" = "$was" ]
}

# Start dnsgate in the namespace on 127.0.0.1:53 with the config in FILE.
DG_PID=
ns_dnsgate() { # ns_dnsgate CONF LOG
	nsbg "$2" "$DNSGATE" -c "$1"
	DG_PID=$BG_PID
	wait_listening "$DG_PID" "$2"
}

# run NAME SERVER SECONDS [dns2tcpc ARGS...]: dns2tcpc (through SERVER) on
# a fresh local port, resource sink; push bytes for SECONDS; sets BYTES
# (arrived at the sink) and RATE (bytes/s).
lport=7100
run() {
	local name=$1 server=$2 secs=$3 before sent cpid
	shift 3
	lport=$((lport + 1))
	nsbg "$tmp/$name.client.log" dns2tcpc -f /dev/null -z tun.example.com -r sink -l "$lport" "$@" "$server"
	cpid=$BG_PID
	wait_until 5 ns_bound t 127.0.0.1 "$lport" || echo "# $name: dns2tcpc did not listen"
	before=$(sink_total)
	sent=$(nsx timeout $(((secs + 5) * time_scale)) python3 "$tmp/send.py" "$lport" "$secs" 2>>"$tmp/$name.send.log")
	wait_until 3 sink_settled
	BYTES=$(( $(sink_total) - before ))
	RATE=$((BYTES / secs))
	stop_one "$cpid"
	echo "# $name: ${sent:-0} bytes written into dns2tcpc, $BYTES arrived in ${secs}s: $RATE bytes/s"
}

# reasons LOG: "reason:count ..." from dnsgate's query log.
reasons() {
	grep -o '"reason":"[a-z-]*"' "$1" | sed 's/"reason":"\(.*\)"/\1/' | sort | uniq -c |
		awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 } END { print "" }'
}

# dnsgate configurations.
permissive() { # permissive FILE UPSTREAM: every shape the tunnel needs
	cat >"$1" <<EOF
[server]
listen = 127.0.0.1:53
[upstream]
servers = $2
[policy]
allow = tun.example.com depth=10 types=A,TXT,KEY,CNAME
max_label_length = 63
max_name_length = 253
new_names_per_minute = ${3:-1000000}
new_names_per_minute_total = 1000000
EOF
}
defaults() { # defaults FILE ENTRY: the default limits
	cat >"$1" <<EOF
[server]
listen = 127.0.0.1:53
[upstream]
servers = 127.0.0.4:5300
[policy]
allow = $2
EOF
}

# 1. direct: no dnsgate; proves the tunnel, the sink and the sender work.
run direct 127.0.0.2 5
direct_rate=$RATE
[ "$BYTES" -gt 100000 ]
ok $? "direct dns2tcp tunnel carries data: $BYTES bytes in 5 s ($direct_rate bytes/s)"

# 2. plain dns2tcp through a permissive dnsgate: its base64 names fail the
#    charset (and lowercasing would corrupt them anyway).
permissive "$tmp/plain.conf" 127.0.0.2:53
ns_dnsgate "$tmp/plain.conf" "$tmp/plain.dnsgate.log"
run plain 127.0.0.1 3
stop_one "$DG_PID"
is "$BYTES" 0 "plain dns2tcp through a permissive dnsgate: no data"
r=$(reasons "$tmp/plain.dnsgate.log")
echo "# plain: dnsgate denials: $r"
like "$r" "charset:" "plain: denied for charset"

# 3. control: the DNS-safe codec through a permissive dnsgate works.
permissive "$tmp/codec.conf" 127.0.0.4:5300
ns_dnsgate "$tmp/codec.conf" "$tmp/codec.dnsgate.log"
nsbg "$tmp/enc.log" python3 "$tmp/codec.py" enc 127.0.0.3:53 127.0.0.1:53 tun.example.com 63
enc_pid=$BG_PID
wait_until 5 ns_bound u 127.0.0.3 53 || echo "# enc did not start"
run codec 127.0.0.3 5
codec_rate=$RATE
stop_one "$DG_PID"
[ "$BYTES" -gt 50000 ]
ok $? "control: codec tunnel through a permissive dnsgate carries data: $BYTES bytes in 5 s ($codec_rate bytes/s)"
allowed=$(grep -c '"verdict":"allow"' "$tmp/codec.dnsgate.log")
echo "# codec: $allowed queries allowed, denials: $(reasons "$tmp/codec.dnsgate.log")"

# 4. the default limits, *.tun.example.com: TXT/KEY are not default types.
defaults "$tmp/default.conf" '*.tun.example.com'
ns_dnsgate "$tmp/default.conf" "$tmp/default.dnsgate.log"
run default 127.0.0.3 5
is "$BYTES" 0 "default limits, TXT queries: the tunnel carries nothing in 5 s"
run default-key 127.0.0.3 3 -T KEY
is "$BYTES" 0 "default limits, KEY queries: the tunnel carries nothing"
stop_one "$DG_PID"
r=$(reasons "$tmp/default.dnsgate.log")
echo "# default: dnsgate denials: $r"
like "$r" "qtype:" "default: denied for qtype"
is "$(grep -c '"verdict":"allow"' "$tmp/default.dnsgate.log")" 0 "default: no tunnel query reached dns2tcpd"

# 5. only the type relaxed (types=TXT on the wildcard): 63-byte labels.
defaults "$tmp/txt.conf" '*.tun.example.com types=TXT'
ns_dnsgate "$tmp/txt.conf" "$tmp/txt.dnsgate.log"
run txt 127.0.0.3 3
stop_one "$DG_PID"
[ "$BYTES" -le 1024 ]
ok $? "types=TXT, other limits default: at most 1 KiB passes ($BYTES bytes)"
r=$(reasons "$tmp/txt.dnsgate.log")
echo "# types=TXT: dnsgate denials: $r"
like "$r" "label-length:" "types=TXT: denied for label-length"

# 6. the codec keeps to 40-byte labels: too long a name, or too deep.
stop_one "$enc_pid"
nsbg "$tmp/enc40.log" python3 "$tmp/codec.py" enc 127.0.0.3:53 127.0.0.1:53 tun.example.com 40
enc_pid=$BG_PID
wait_until 5 ns_bound u 127.0.0.3 53 || echo "# enc did not start"
ns_dnsgate "$tmp/txt.conf" "$tmp/txt40.dnsgate.log"
run txt40 127.0.0.3 3
stop_one "$DG_PID"
[ "$BYTES" -le 1024 ]
ok $? "types=TXT, 40-byte labels: at most 1 KiB passes ($BYTES bytes)"
r=$(reasons "$tmp/txt40.dnsgate.log")
echo "# 40-byte labels: dnsgate denials: $r"
like "$r" "(name-length|too-deep):" "40-byte labels: denied for name-length or too-deep"

# 7. every shape allowed, default budget (60 new names a minute): the
#    budget alone caps the tunnel at (burst + rate*T) names of data.
stop_one "$enc_pid"
nsbg "$tmp/enc.log" python3 "$tmp/codec.py" enc 127.0.0.3:53 127.0.0.1:53 tun.example.com 63
enc_pid=$BG_PID
wait_until 5 ns_bound u 127.0.0.3 53 || echo "# enc did not start"
permissive "$tmp/budget.conf" 127.0.0.4:5300 60
ns_dnsgate "$tmp/budget.conf" "$tmp/budget.dnsgate.log"
secs=10
run budget 127.0.0.3 $secs
stop_one "$DG_PID"
new=$(grep '"verdict":"allow"' "$tmp/budget.dnsgate.log" | grep -o '"name":"[^"]*"' | sort -u | wc -l)
names_max=$((60 + secs + 2))
# A dns2tcp query holds at most 200 - 17 bytes of base64: 137 bytes.
bytes_max=$((names_max * 137))
[ "$new" -le "$names_max" ]
ok $? "budget 60/min: $new distinct names reached dns2tcpd in ${secs}s (at most $names_max)"
[ "$BYTES" -le "$bytes_max" ]
ok $? "budget 60/min: $BYTES bytes passed (at most $bytes_max; control $codec_rate bytes/s)"
r=$(reasons "$tmp/budget.dnsgate.log")
echo "# budget: dnsgate denials: $r"
like "$r" "budget:" "budget: denied for budget"

stop_pids
done_testing
