#!/usr/bin/env bash
# t_qlog: the query log of a real run, every line parsed as JSON (python3)
# and its fields checked: allowed (fetched and cached), denied, scrubbed,
# SERVFAIL with the upstream that failed, log_allowed = no; a flood of
# denials from one client is held to deny_log_rate lines with a summary
# line, another client keeps its own; SIGUSR1 reopens the file logrotate
# moved away.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" python3

start_upstream up "$srcdir/tests/integration/data/hostile.testns"
start_upstream up2 "$srcdir/tests/integration/data/basic.testns"
qlog=$tmp/query.log
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up2_port
timeout_ms = 300
[policy]
allow = www.example.com, rebind.example.com, silent.example.com
[log]
query_log = $qlog
deny_log_rate = 5
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

# lines PYEXPR: the log's lines for which PYEXPR (over `d`, one parsed
# line) holds, as JSON with sorted keys.
lines() {
	python3 - "$qlog" "$1" <<'PY'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
for n, raw in enumerate(open(path, encoding="utf-8"), 1):
    d = json.loads(raw)
    if eval(expr, {}, {"d": d}):
        print(json.dumps(d, sort_keys=True))
PY
}

q www.example.com A >/dev/null
q www.example.com A >/dev/null
q denied.example.org A >/dev/null
q silent.example.com A >/dev/null
q 'quote"and\\slash.example.org' TXT >/dev/null
wait_until 2 log_has "$qlog" . 5 # a line for each query

# Every line is one JSON object (json.loads fails the test otherwise).
python3 - "$qlog" <<'PY'
import json, sys
n = 0
for raw in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(raw)
    assert isinstance(d, dict), raw
    for k in ("ts", "client", "proto", "name", "type", "verdict", "rcode", "cached"):
        assert k in d, (k, raw)
    n += 1
print(n)
PY
ok $? "every line parses as one JSON object with ts, client, proto, name, type, verdict, rcode, cached"

fetched=$(lines 'd["name"] == "www.example.com" and not d["cached"]')
like "$fetched" '"answers": 1, "cached": false, "client": "127\.0\.0\.1:[0-9]+", "entry": "www\.example\.com", "name": "www\.example\.com", "proto": "udp", "rcode": 0, "scrubbed": 0, "ts": "[0-9T:.-]+Z", "type": "A", "upstream": "127\.0\.0\.1:'"$up2_port"'", "upstream_ms": [0-9]+, "verdict": "allow"' \
	"a fetched answer: its upstream, the time it took, its records"
cached=$(lines 'd["name"] == "www.example.com" and d["cached"]')
like "$cached" '"answers": 1, "cached": true' "a cached answer: its records, no upstream"
[[ "$cached" != *upstream* ]]
ok $? "and no upstream field"
like "$(lines 'd["name"] == "denied.example.org"')" '"reason": "not-listed".*"verdict": "deny"' \
	"a denial: its reason"
like "$(lines 'd["name"] == "silent.example.com"')" '"rcode": 2, .*"upstream": "127\.0\.0\.1:'"$up2_port"'", "upstream_ms": [0-9]+, "verdict": "allow"' \
	"SERVFAIL (no upstream answered): rcode 2, the upstream tried last"
is "$(lines 'd["name"] == r"""quote\"and\\slash.example.org"""' | wc -l)" 1 \
	"a name with a quote and a backslash survives: \\\", \\\\ in presentation form"
check_alive_and_stop

# Scrubbed records are counted (the hostile upstream answers rebind.).
sed -i "s/^servers = .*/servers = 127.0.0.1:$up_port/" "$tmp/dnsgate.conf"
: >"$qlog"
start_dnsgate -c "$tmp/dnsgate.conf"
q rebind.example.com A >/dev/null
wait_until 2 log_has "$qlog" '"rebind\.example\.com"' 1
like "$(lines 'd["name"] == "rebind.example.com"')" '"answers": [1-9], .*"scrubbed": [1-9]' \
	"an answer with private addresses: what was kept, what was scrubbed"

# A flood of denials from one client: 5 lines a second, then a summary.
for i in $(seq 1 200); do echo "flood$i.example.org A"; done >"$tmp/flood.txt"
"$DIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 2)" +tries=1 -f "$tmp/flood.txt" >/dev/null 2>&1
for i in 1 2 3; do q -b 127.0.0.2 "other$i.example.org" A >/dev/null; done
# A fixed sleep: the limiter's one-second window has to end for the
# summary of what it held back to be written.
sleep 1.2
q after.example.org A >/dev/null
wait_until 2 log_has "$qlog" '"after\.example\.org"' 1
flood=$(lines '"flood" in d.get("name", "")' | wc -l)
[ "$flood" -ge 5 ] && [ "$flood" -le 12 ]
ok $? "200 denials in a burst from one client: $flood lines (5 a second)"
summary=$(lines 'd.get("suppressed") and d["client"].startswith("127.0.0.1:")')
like "$summary" '"client": "127\.0\.0\.1:[0-9]+", "since": "[0-9T:.-]+Z", "suppressed": [0-9]+, "ts": ".*", "verdict": "deny"' \
	"then one summary line, before the client's next line"
held=$(printf '%s\n' "$summary" | python3 -c 'import json,sys; print(sum(json.loads(l)["suppressed"] for l in sys.stdin))')
is "$((held + flood))" 200 "the summary counts every denial not written ($held)"
is "$(lines '"other" in d.get("name", "")' | wc -l)" 3 "another client keeps its own lines"

# SIGUSR1: the file logrotate moved away is left; a new one is written.
mv "$qlog" "$qlog.1"
kill -USR1 "$DG_PID"
wait_until 2 test -e "$qlog" # reopened: created again
q www.example.com A >/dev/null
wait_until 2 test -s "$qlog"
ok $? "after SIGUSR1 a new file is written"
like "$(lines 'True')" '"name": "www\.example\.com"' "holding the query made after it"
[ "$(grep -c '"name":"www.example.com"' "$qlog.1")" = 0 ]
ok $? "and the moved file got nothing more"
check_alive_and_stop

# log_allowed = no: only denials.
printf 'log_allowed = no\n' >>"$tmp/dnsgate.conf"
sed -i "s/^servers = .*/servers = 127.0.0.1:$up2_port/" "$tmp/dnsgate.conf"
: >"$qlog"
start_dnsgate -c "$tmp/dnsgate.conf"
q www.example.com A >/dev/null
q nope.example.org A >/dev/null
wait_until 2 log_has "$qlog" '"nope\.example\.org"' 1
is "$(lines 'd["verdict"] == "allow"' | wc -l) $(lines 'd["verdict"] == "deny"' | wc -l)" "0 1" \
	"log_allowed = no: the denial only"
check_alive_and_stop
done_testing
