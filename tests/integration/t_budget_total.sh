#!/usr/bin/env bash
# t_budget_total: new_names_per_minute_total, played as a sandbox that
# multiplies its source addresses. The per-client budget (60 here) keys on
# the source, which any process on a host can borrow (bind another 127/8
# address) and a process with NET_RAW can forge; the total per entry (100
# here) keys on nothing a client chooses. So:
#  - 10 bound loopback addresses, 60 new names each: at most the total
#    reaches the upstream, not 600;
#  - 8 forged sources over a raw socket (no answer needed to exfiltrate),
#    60 names each: the same, and dnsgate read every one of them;
#  - a name another client asked costs the total nothing;
#  - a group has a total of its own (its new_names_per_minute_total), and
#    draining it leaves the global policy's alone;
#  - with workers = 2 (clients spread over two workers by source address),
#    the sum over both workers stays within the total, also after a
#    reload that asks for one worker (both still run);
#  - the metric counts the denials for the total.
# The upstream's own log counts what reached it. Only 127/8 addresses.
. "$srcdir/tests/integration/lib.sh"
need "$LDNS_TESTNS" python3 curl

total=100
start_upstream up "$srcdir/tests/integration/data/total.testns"
mport=$(free_port) || exit 99
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.bound.total.example, *.forged.total.example
new_names_per_minute = 60
new_names_per_minute_total = $total
[group shared]
clients = 127.0.6.0/24
allow = *.shared.total.example
new_names_per_minute_total = 1
[group lab]
clients = 127.0.9.0/24
allow = *.lab.total.example
new_names_per_minute_total = 20
[log]
query_log = $tmp/query.log
deny_log_rate = 0
[metrics]
listen = 127.0.0.1:$mport
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

# The sandbox's tool: `ask_from ZONE N SRC...`: from each source address
# SRC, N new names under ZONE, each waiting for its answer; prints how
# many were answered NOERROR. Forged sources: tests/firewall/forge.py.
cat >"$tmp/sandbox.py" <<'PY'
import socket, struct, sys

def query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for l in name.split("."):
        q += bytes([len(l)]) + l.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)

port, zone, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
srcs = sys.argv[4:]
answered = 0
for si, src in enumerate(srcs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(1.0)
    for i in range(n):
        qid = (si * n + i) & 0xffff
        s.sendto(query(qid, "n%d-%d.%s" % (si, i, zone)), ("127.0.0.1", port))
        try:
            while True:
                m = s.recv(4096)
                if struct.unpack("!H", m[:2])[0] == qid:
                    answered += (m[3] & 0x0f) == 0
                    break
        except socket.timeout:
            pass
    s.close()
print(answered)
PY
ask_from() { python3 "$tmp/sandbox.py" "$DG_PORT" "$@"; }
forge() { # forge ZONE N SRC...: N new names from each forged SRC
	local src sent=0 k
	for src in "${@:3}"; do
		k=$(python3 "$srcdir/tests/firewall/forge.py" --port "$DG_PORT" \
			--count "$2" "$src" 127.0.0.1 "f{i}-${src//./-}.$1") || return 1
		sent=$((sent + k))
	done
	echo "$sent"
}
reached() { # reached ZONE: distinct names below ZONE at the upstream
	grep -o "bytes: [^ 	]*\.$1\." "$tmp/up.log" | sort -u | wc -l
}
logged() { # logged ZONE: query log lines for names below ZONE
	grep -c "\"name\":\"[^\"]*\.$1\"" "$tmp/query.log"
}
# At most the total, plus what it refills at 100 a minute while the
# attack lasts (bucket + rate × seconds, rounded up).
bound() { echo $(($2 + ($2 * $1 + 59) / 60)); }
# attack ZONE TOTAL SRC...: 60 new names under ZONE from each SRC; sets
# answered, got (distinct names at the upstream), elapsed and max (the
# bound for TOTAL over that time).
attack() {
	local zone=$1 t0
	t0=$(date +%s)
	answered=$(ask_from "$zone" 60 "${@:3}")
	elapsed=$(( $(date +%s) - t0 + 1 ))
	got=$(reached "$zone")
	max=$(bound "$elapsed" "$2")
}

attack bound.total.example "$total" $(seq -f '127.0.0.%g' 11 20)
[ "$got" -ge "$total" ] && [ "$got" -le "$max" ]
ok $? "10 bound loopback addresses, 600 new names: $got reached the upstream (total $total, at most $max in ${elapsed}s; 10 budgets would let 600)"
is "$answered" "$got" "exactly those were answered; the rest denied"

if [ "$(id -u)" = 0 ]; then
	t0=$(date +%s)
	sent=$(forge forged.total.example 60 $(seq -f '127.0.3.%g' 1 8))
	wait_until 5 log_has "$tmp/query.log" "\.forged\.total\.example\"" "$sent"
	elapsed=$(( $(date +%s) - t0 + 1 ))
	got=$(reached forged.total.example)
	max=$(bound "$elapsed" "$total")
	is "$(logged forged.total.example)" 480 "dnsgate read all 480 queries from 8 forged sources"
	[ "$got" -ge "$total" ] && [ "$got" -le "$max" ]
	ok $? "8 forged sources, 480 new names: $got reached the upstream (total $total, at most $max; 8 budgets would let 480)"
else
	ok 0 "# SKIP forging sources needs root (a raw socket)"
	ok 0 "# SKIP forging sources needs root (a raw socket)"
fi

# A name another client asked is not new to the policy: asking it from a
# fresh address costs the asker's own token, not the total's. (Group
# shared has a total of 1 a minute: the first name spends it.)
like "$(q -b 127.0.6.1 a.shared.total.example A)" "status: NOERROR" \
	"group shared: the first new name takes its total of 1"
like "$(q -b 127.0.6.2 a.shared.total.example A)" "status: NOERROR" \
	"the same name resolves for a fresh address with the total spent"
like "$(q -b 127.0.6.3 b.shared.total.example A)" "status: NXDOMAIN" \
	"a name no client asked does not"
like "$(grep '"name":"b.shared.total.example"' "$tmp/query.log")" '"reason":"budget"' \
	"denied for the budget"
is "$(reached shared.total.example)" 1 "and the upstream saw one name"

# The group's total is its own: 5 addresses of lab, 60 names each.
attack lab.total.example 20 $(seq -f '127.0.9.%g' 1 5)
[ "$got" -ge 20 ] && [ "$got" -le "$max" ]
ok $? "group lab, 5 addresses, 300 new names: $got reached the upstream (its total 20, at most $max)"
like "$(grep '"name":"n4-59.lab.total.example"' "$tmp/query.log")" '"reason":"budget","group":"lab"' \
	"the query log names the group and the reason"

scrape=$(curl -s --max-time 2 "http://127.0.0.1:$mport/metrics")
exhausted=$(printf '%s\n' "$scrape" | awk '$1 == "dnsgate_budget_total_exhausted_total" { print $2 }')
[ -n "$exhausted" ] && [ "$exhausted" -ge 700 ]
ok $? "dnsgate_budget_total_exhausted_total counts the denials for a total ($exhausted)"
check_alive_and_stop

# Two workers: each client is steered to one of them by its address, and
# each enforces half the total, so 10 addresses meet both and still get
# the total through, not twice it.
cat >"$tmp/workers.conf" <<EOC
[server]
workers = 2
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.workers.total.example
new_names_per_minute = 60
new_names_per_minute_total = $total
EOC
start_dnsgate -c "$tmp/workers.conf"
attack workers.total.example "$total" $(seq -f '127.0.5.%g' 1 10)
[ "$got" -le "$max" ] && [ "$got" -ge $((total / 2)) ]
ok $? "workers = 2, 10 addresses, 600 new names: $got reached the upstream (total $total over both workers, at most $max)"

# A reload to workers = 1 leaves both workers running (it takes effect at
# the next start): each must still allow half, not the whole total.
sed -i -e 's/^workers = 2$/workers = 1/' -e 's/\*\.workers\./*.reloaded./' "$tmp/workers.conf"
kill -HUP "$DG_PID"
wait_until 5 log_has "$tmp/dnsgate.log" "reloaded" 1
attack reloaded.total.example "$total" $(seq -f '127.0.7.%g' 1 10)
[ "$got" -le "$max" ] && [ "$got" -ge $((total / 2)) ]
ok $? "after a reload to workers = 1 with two still running: $got reached the upstream (at most $max, not twice the total)"
check_alive_and_stop
done_testing
