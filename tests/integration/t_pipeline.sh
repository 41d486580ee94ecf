#!/usr/bin/env bash
# t_pipeline: RFC 7766 6.2.1.1: queries pipelined on one TCP connection are
# all answered on it, each matched by its ID (answers may come out of
# order: denials at once, fetches later). kdig +keepopen reuses one
# connection for several queries.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$KDIG" "$LDNS_TESTNS" python3

start_upstream up "$srcdir/tests/integration/data/pipeline.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow '*.example.com' \
	--allow '*.pipe.example.com'

# pipeline.py PORT NAME/TYPE...: one socket; every query (IDs 1, 2, ... in
# the order given) length-prefixed, all in one write; then the framed
# answers read back (3 s per read, 8 s in all), matched by ID. One line per
# answer, by ID: "ID RCODE ANCOUNT QNAME".
cat >"$tmp/pipeline.py" <<'PY'
import socket, struct, sys, time

port = int(sys.argv[1])
types = {"A": 1, "AAAA": 28, "TXT": 16}
queries = [(i + 1, a.split("/")[0], types[a.split("/")[1]])
           for i, a in enumerate(sys.argv[2:])]

def encode(qid, name, qtype):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    msg = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + b"\0" + \
        struct.pack(">HH", qtype, 1)
    return struct.pack(">H", len(msg)) + msg

def qname(msg):
    pos, labels = 12, []
    while msg[pos]:
        labels.append(msg[pos + 1:pos + 1 + msg[pos]].decode())
        pos += 1 + msg[pos]
    return ".".join(labels)

s = socket.create_connection(("127.0.0.1", port), timeout=3)
s.sendall(b"".join(encode(*q) for q in queries))
buf, answers, deadline = b"", {}, time.time() + 8
while len(answers) < len(queries) and time.time() < deadline:
    try:
        data = s.recv(65536)
    except socket.timeout:
        break
    if not data:
        break
    buf += data
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
        n = struct.unpack(">H", buf[:2])[0]
        msg, buf = buf[2:2 + n], buf[2 + n:]
        qid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
        answers[qid] = "%d %d %d %s" % (qid, flags & 0xF, an, qname(msg))
s.close()
for qid in sorted(answers):
    print(answers[qid])
PY

# Ten queries: fetched, denied, cached, merged, in one write.
out=$(python3 "$tmp/pipeline.py" "$DG_PORT" www.example.com/A \
	www.example.com/AAAA cname.example.com/A missing.example.com/A \
	evil.example/A a.b.example.com/A WWW.EXAMPLE.COM/A www.example.com/TXT \
	example.com.evil.example/A cname.example.com/A 2>&1)
printf '%s\n' "$out" | sed 's/^/# /'
line() { printf '%s\n' "$out" | grep "^$1 " ; }
is "$(printf '%s\n' "$out" | grep -c '^[0-9]* ')" 10 "ten answers on the one connection"
is "$(line 1)" "1 0 1 www.example.com" "www A: NOERROR, one record"
is "$(line 2)" "2 0 1 www.example.com" "www AAAA: NOERROR, one record"
is "$(line 3)" "3 0 2 cname.example.com" "cname A: the CNAME and the address"
is "$(line 4)" "4 3 0 missing.example.com" "missing: the upstream's NXDOMAIN"
is "$(line 5)" "5 3 0 evil.example" "evil.example: denied, NXDOMAIN"
is "$(line 6)" "6 3 0 a.b.example.com" "a.b.example.com: too deep, NXDOMAIN"
is "$(line 7)" "7 0 1 WWW.EXAMPLE.COM" "WWW.EXAMPLE.COM: answered, in its case"
is "$(line 8)" "8 0 0 www.example.com" "www TXT: denied type, NODATA"
is "$(line 9)" "9 3 0 example.com.evil.example" "the lookalike: NXDOMAIN"
is "$(line 10)" "10 0 2 cname.example.com" "cname A again: answered"
is "$(upstream_count_type up www.example.com. A)" 1 "www A went upstream once for the two queries"

# More queries than the server keeps in flight per connection (32): forty
# distinct names to fetch, then five denied names, in one write. Reading
# pauses at the bound and must resume as answers go out, for the frames
# already buffered too.
args=()
for i in $(seq 40); do
	args+=("p$i.pipe.example.com/A")
done
for i in $(seq 5); do
	args+=("evil$i.example/A")
done
out=$(python3 "$tmp/pipeline.py" "$DG_PORT" "${args[@]}" 2>&1)
is "$(printf '%s\n' "$out" | grep -c '^[0-9]* ')" 45 "45 pipelined queries (40 fetched, 5 denied): 45 answers"
is "$(printf '%s\n' "$out" | grep -c '^[0-9]* 0 1 p[0-9]*\.pipe\.example\.com$')" 40 "the 40 fetched names: NOERROR, one record each"
is "$(printf '%s\n' "$out" | grep -c '^[0-9]* 3 0 evil[0-9]\.example$')" 5 "the 5 denied names after them: NXDOMAIN"
missing=$(for i in $(seq 45); do printf '%s\n' "$out" | grep -q "^$i " || printf '%s ' "$i"; done)
is "${missing% }" "" "no query left unanswered (IDs listed)"

# Answers made while one read is delivered go out together, written
# whenever 16 KiB of them wait: 400 denials (about 40 KiB of answers) in
# one write are all answered, each once.
args=()
for i in $(seq 400); do
	args+=("denied$i.evil.example/A")
done
out=$(python3 "$tmp/pipeline.py" "$DG_PORT" "${args[@]}" 2>&1)
is "$(printf '%s\n' "$out" | grep -c '^[0-9]* 3 0 denied[0-9]*\.evil\.example$')" 400 "400 pipelined denials: 400 NXDOMAIN answers"
missing=$(for i in $(seq 400); do printf '%s\n' "$out" | grep -q "^$i 3 0 denied$i\." || printf '%s ' "$i"; done)
is "${missing% }" "" "each to its own query (IDs listed)"

# kdig: several queries on one kept-open connection.
out=$("$KDIG" @127.0.0.1 -p "$DG_PORT" +tcp +keepopen "$(dig_time 3)" +retry=0 \
	www.example.com A www.example.com AAAA cname.example.com A evil.example A 2>&1)
like "$out" "www\.example\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10" "kdig +keepopen: www A"
like "$out" "www\.example\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+AAAA[[:space:]]+2001:db8::10" "kdig +keepopen: www AAAA"
like "$out" "cname\.example\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+CNAME" "kdig +keepopen: the CNAME"
like "$out" "status: NXDOMAIN" "kdig +keepopen: the denied name"
is "$(printf '%s\n' "$out" | grep -c 'status: ')" 4 "kdig +keepopen: four answers"
errs=$(printf '%s\n' "$out" | grep -E '^;; (WARNING|ERROR)|failed')
if [ -n "$errs" ]; then
	printf '%s\n' "$errs" | sed 's/^/#   /'
	ok 1 "kdig +keepopen: no errors"
else
	ok 0 "kdig +keepopen: no errors"
fi

check_alive_and_stop
done_testing
