#!/usr/bin/env bash
# t_limits: the global limits on the wire, each at and one past its bound,
# with the reason in the query log and, for every denial, nothing in the
# upstream's log: label length 40/41, name length 160/161, the charset,
# class IN only, and the tunnel-friendly types (TXT, NULL, ANY, MX, SRV,
# AXFR, IXFR, private-use, unknown) denied unless an entry allows them.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3

start_upstream up "$srcdir/tests/integration/data/limits.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow 'limits.example.com depth=10' \
	--allow 'txt.limits.example.com types=TXT'

l40=$(printf 'a%.0s' $(seq 40))
l41=$(printf 'b%.0s' $(seq 41))
# 160 and 161 bytes as written: 3 labels of 39, one of 21, then
# .limits.example.com (19): 3 * 40 + 21 + 19 = 160.
n160="$(printf 'c%.0s' $(seq 39)).$(printf 'd%.0s' $(seq 39)).$(printf 'e%.0s' $(seq 39)).$(printf 'f%.0s' $(seq 21)).limits.example.com"
n161="g$n160"
is "${#n160}" 160 "the test name is 160 bytes"

seen() { grep -c "^query [0-9]*: .* bytes: $1\.[[:space:]]" "$tmp/up.log"; }
reason() { grep -F "\"name\":\"$1\"" "$tmp/dnsgate.log" | grep -o '"reason":"[a-z-]*"' | head -n 1; }

out=$(q "$l40.limits.example.com" A)
like "$out" "status: NOERROR" "a 40-byte label is allowed"
is "$(seen "$l40.limits.example.com")" 1 "and forwarded"
out=$(q "$l41.limits.example.com" A)
like "$out" "status: NXDOMAIN" "a 41-byte label is denied"
is "$(reason "$l41.limits.example.com")" '"reason":"label-length"' "reason label-length"
is "$(seen "$l41.limits.example.com")" 0 "and not forwarded"

out=$(q "$n160" A)
like "$out" "status: NOERROR" "a 160-byte name is allowed"
out=$(q "$n161" A)
like "$out" "status: NXDOMAIN" "a 161-byte name is denied"
is "$(reason "$n161")" '"reason":"name-length"' "reason name-length"
is "$(seen "$n161")" 0 "and not forwarded"

for label in 'a=b' 'a+b' 'a/b'; do
	out=$(q "$label.limits.example.com" A)
	like "$out" "status: NXDOMAIN" "'$label' in a label is denied"
done
is "$(reason 'a=b.limits.example.com')" '"reason":"charset"' "reason charset"
out=$(q under_score.limits.example.com A)
like "$out" "status: NOERROR" "an underscore is allowed"

# Raw labels dig cannot type: a space, a backslash, a NUL, a high byte, a dot.
cat >"$tmp/raw.py" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
labels = [b"a b", b"a\\b", b"a\x00b", b"a\xc3\xa9", b"a.b"]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i, label in enumerate(labels):
    q = struct.pack(">HHHHHH", 100 + i, 0x0100, 1, 0, 0, 0)
    q += bytes([len(label)]) + label + b"\x06limits\x07example\x03com\x00" + struct.pack(">HH", 1, 1)
    s.sendto(q, ("127.0.0.1", port))
    try:
        r = s.recv(4096)
        print(r[3] & 0x0f)
    except socket.timeout:
        print("none")
PY
is "$(python3 "$tmp/raw.py" "$DG_PORT" | tr '\n' ' ')" "3 3 3 3 3 " "space, backslash, NUL, byte >= 0x80 and a dot inside a label: NXDOMAIN"

for t in TXT NULL ANY MX SRV TYPE65280 TYPE4242; do
	out=$(q "t.limits.example.com" "$t")
	like "$out" "status: NOERROR" "$t on an allowed name: NODATA"
	like "$out" "ANSWER: 0," "  with no answer"
done
is "$(seen t.limits.example.com)" 0 "none of those types was forwarded"
for t in AXFR IXFR=1; do
	out=$(q +tcp "x.limits.example.com" "$t")
	echo "$out" | grep -q "XFR size\|Transfer failed\|NOERROR\|NXDOMAIN"
	ok $? "$t gets an answer without a zone transfer"
done
is "$(seen x.limits.example.com)" 0 "AXFR and IXFR were not forwarded"
out=$(q txt.limits.example.com TXT)
like "$out" "status: NOERROR" "TXT is allowed where an entry says types=TXT"
is "$(grep -c "^query [0-9]*: .*txt\.limits\.example\.com\.[[:space:]]IN[[:space:]]TXT" "$tmp/up.log")" 1 "and forwarded there"

out=$(q -c CH ch.limits.example.com A)
like "$out" "status: NXDOMAIN" "class CH is denied"
is "$(seen ch.limits.example.com)" 0 "and not forwarded"

check_alive_and_stop
done_testing
