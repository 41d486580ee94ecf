#!/usr/bin/env bash
# t_tcp_reset: a TCP client is known by its address, or its connection is
# closed unserved (issue 14). The attacker connects, sends one query and
# resets at once (SO_LINGER 0, then close): by the time a server asks the
# kernel for the peer with getpeername(), the socket is closed and the
# answer is ENOTCONN. Served anyway, the query came from no address: it
# missed the client's group, was decided under the global policy with a
# tunnel budget of its own, and its log line named no one.
#
# Every loopback client here is in group sandbox, which may ask only
# exact.test; the global policy allows *.example.com. So a name under
# example.com that reaches the upstream went through as nobody. 100
# connections, each reset before dnsgate accepted it (dnsgate is paused
# while a batch connects, sends and resets), must leave no trace
# upstream and only sandbox lines from 127.x in the query log; each one
# logged, or counted as closed unknown by dnsgate_tcp_unknown_peer_total.
# Then a few from 127.0.0.2 to 127.0.0.4, each still known by its own
# address.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3 curl

start_upstream up "$srcdir/tests/integration/data/basic.testns"
mport=$(free_port) || exit 99
# Budgets out of the way: a client of no address would run into its own
# after a few names, and hide how many got through.
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
timeout_ms = 500
[policy]
allow = *.example.com
new_names_per_minute = 1000000
[group sandbox]
clients = 127.0.0.0/8
allow = exact.test
[log]
query_log = $tmp/qlog.json
deny_log_rate = 0
[metrics]
listen = 127.0.0.1:$mport
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

cat >"$tmp/reset.py" <<'PY'
# reset.py PORT PID SOURCE LABEL COUNT BATCH: COUNT connections from
# SOURCE, BATCH at a time, each one query for rNNN-LABEL.example.com then
# a reset. Prints the connections made.
#
# dnsgate (PID) is paused while a batch connects, sends and resets, so
# every connection is reset before dnsgate accepts it, as a busy dnsgate
# finds its backlog. Without the pause the attacker still won 97 to 99
# rounds of 100 against getpeername() on an idle machine; with it, all.
import os, signal, socket, struct, sys, time

port, pid, src, label = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
count, batch = int(sys.argv[5]), int(sys.argv[6])

def framed(qid, name):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for part in name.split("."):
        q += bytes([len(part)]) + part.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    return struct.pack(">H", len(q)) + q

done = 0
end = time.monotonic() + 20
while done < count and time.monotonic() < end:
    os.kill(pid, signal.SIGSTOP)
    try:
        for i in range(done, min(done + batch, count)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.settimeout(2)
            s.bind((src, 0))
            s.connect(("127.0.0.1", port))
            # One segment, then the RST: the query waits in the receive
            # queue of a connection reset before dnsgate accepted it.
            s.send(framed(i, "r%03d-%s.example.com" % (i, label)))
            s.close()
            done += 1
    finally:
        os.kill(pid, signal.SIGCONT)
    time.sleep(0.1)
print(done)
PY

# qlog LABEL: the query log's lines for rNNN-LABEL.example.com, as
# "CLIENT-ADDRESS GROUP VERDICT", one a line ("-" for no group).
qlog() {
	python3 - "$tmp/qlog.json" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["name"].rstrip(".").endswith("-" + sys.argv[2] + ".example.com"):
        print(r["client"].rsplit(":", 1)[0], r.get("group", "-"), r["verdict"])
PY
}
metric() { # metric NAME: its value in a fresh scrape
	curl -s --max-time 2 "http://127.0.0.1:$mport/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
# attack SOURCE LABEL COUNT BATCH: reset.py from SOURCE; dnsgate runs on
# after it, however it ended.
attack() {
	timeout $((30 * time_scale)) python3 "$tmp/reset.py" "$DG_PORT" "$DG_PID" "$@"
	kill -CONT "$DG_PID"
}
# accounted LABEL N: each of the N connections logged or counted unknown.
accounted() {
	local unknown
	unknown=$(metric dnsgate_tcp_unknown_peer_total)
	[ $(($(qlog "$1" | wc -l) + ${unknown:-0})) -ge "$2" ]
}

made=$(attack 127.0.0.1 tcpreset 100 20)
is "$made" 100 "the attacker made 100 connections, each a query then a reset"
wait_until 5 accounted tcpreset 100
unknown=$(metric dnsgate_tcp_unknown_peer_total)
logged=$(qlog tcpreset | wc -l)
reached=$(grep -c "^query [0-9]*: id [0-9]*: [A-Z]* [0-9]* bytes: r[0-9]*-tcpreset\.example\.com\." "$tmp/up.log")
echo "# 100 reset connections: $reached names reached the upstream, $logged logged, $unknown closed unknown"
is "$reached" 0 "none of the 100 names reached the upstream"
is "$(grep -c '"client":"\(\[::\]\|0\.0\.0\.0\):0"' "$tmp/qlog.json")" 0 \
	"no query log line names the unknown client [::]:0 or 0.0.0.0:0"
is "$(grep -vc '"client":"127\.' "$tmp/qlog.json")" 0 "every query log line names a 127.x client"
is "$(qlog tcpreset | grep -vcx '127\.0\.0\.1 sandbox deny')" 0 \
	"each logged one ($logged) is 127.0.0.1's, in group sandbox, denied"
[ -n "$unknown" ] && [ $((logged + unknown)) = 100 ]
ok $? "logged, or closed unknown and counted ($unknown): every connection accounted for"
is "$(metric dnsgate_unknown_client_total)" 0 "no query of an unknown client reached the server"

for i in 2 3 4; do
	made=$(attack "127.0.0.$i" "other$i" 5 5)
	wait_until 5 log_has "$tmp/qlog.json" "-other$i\.example\.com" 5
	is "$(qlog "other$i" | sort | uniq -c | awk '{ print $1, $2, $3, $4 }')" "5 127.0.0.$i sandbox deny" \
		"from 127.0.0.$i: $made reset connections, each logged as 127.0.0.$i in sandbox"
done
is "$(grep -c "^query [0-9]*: id [0-9]*: [A-Z]* [0-9]* bytes: r[0-9]*-other[0-9]\.example\.com\." "$tmp/up.log")" 0 \
	"and none of theirs reached the upstream"

check_alive_and_stop
done_testing
