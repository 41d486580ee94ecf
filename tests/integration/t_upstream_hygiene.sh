#!/usr/bin/env bash
# t_upstream_hygiene: what reaches the upstream is dnsgate's own query:
# a random ID (never the client's), the name lowercased (not the client's
# case pattern), EDNS with a 1232 buffer and no options (not the client's
# cookie or NSID); each attempt from a fresh socket on its own random
# source port, connected to the upstream.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" ss

start_upstream up "$srcdir/tests/integration/data/basic.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow '*.example.com' --allow '*.slow.example.com'

out=$(q +cookie +nsid -q WwW.eXaMpLe.CoM -t A +qid=4660)
like "$out" "192\.0\.2\.10" "the mixed-case query with EDNS options is answered"
line=$(grep "^query 1: " "$tmp/up.log")
like "$line" "www\.example\.com\." "the upstream saw the name lowercased"
like "$line" "UDP 44 bytes" "and 44 bytes: header, name, type, class and a bare OPT (no options)"
like "$(sed -n '/^query 1: /,/^;; EDNS/p' "$tmp/up.log")" ";; EDNS: version 0; flags: ; udp: 1232" "EDNS 1232 without DO"
id=$(echo "$line" | sed -n 's/^query 1: id \([0-9]*\):.*/\1/p')
[ "$id" != 4660 ]
ok $? "the upstream query does not carry the client's ID 4660 (it had $id)"

# IDs across attempts: 20 names, 20 different IDs, not a counter.
qp=()
for i in $(seq 1 20); do q "n$i.example.com" A >/dev/null & qp+=($!); done
wait "${qp[@]}" # only the queries: the daemons are children too
ids=$(sed -n 's/^query [0-9]*: id \([0-9]*\): .*n[0-9]*\.example\.com\..*/\1/p' "$tmp/up.log")
is "$(echo "$ids" | sort -u | wc -l)" 20 "20 upstream queries carried 20 distinct IDs"
steps=$(echo "$ids" | sort -n | awk 'NR > 1 && $1 - p == 1 { c++ } { p = $1 } END { print c + 0 }')
[ "$steps" -lt 5 ]
ok $? "and they are not consecutive numbers ($steps adjacent pairs)"

# Sockets: while 5 slow questions are in flight, 5 connected UDP sockets.
qp=()
for i in $(seq 1 5); do q "s$i.slow.example.com" A >/dev/null & qp+=($!); done
up_socks() { ss -Hunp state established "dport = :$up_port" | grep "pid=$DG_PID,"; }
five_socks() { [ "$(up_socks | grep -c .)" -ge 5 ]; }
wait_until 2 five_socks
socks=$(up_socks)
wait "${qp[@]}"
is "$(echo "$socks" | grep -c .)" 5 "5 questions in flight use 5 sockets connected to the upstream"
is "$(echo "$socks" | awk '{ print $3 }' | sed 's/.*://' | sort -u | wc -l)" 5 "on 5 different source ports"

# The socket pool: sockets made ahead of time have no port until an
# attempt connects one, so nothing can reach them; a socket serves one
# attempt, so two questions asked one after the other leave from two
# ports, never the pool's same socket again.
stray=$(ss -Huanp | grep "pid=$DG_PID," | grep -v ":$DG_PORT " | grep -v "ESTAB")
is "$stray" "" "no socket of dnsgate's is bound to a port but its listener and the attempts in flight"
ports=()
one_sock() { [ "$(up_socks | grep -c .)" -ge 1 ]; }
for i in 1 2 3; do
	q "t$i.slow.example.com" A >/dev/null &
	qpid=$!
	wait_until 2 one_sock
	ports+=("$(up_socks | awk '{ print $3 }' | sed 's/.*://' | head -1)")
	wait "$qpid"
done
is "$(printf '%s\n' "${ports[@]}" | sort -u | grep -c .)" 3 "three questions in a row: three source ports (${ports[*]})"

check_alive_and_stop
done_testing
