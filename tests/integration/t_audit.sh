#!/usr/bin/env bash
# t_audit: [policy] mode = audit. What enforce would deny (a name off the
# list, a name too deep, a name past the budget, a CNAME chain strict
# refuses) reaches the upstream, is answered, and is logged "would-deny"
# with its reason and entry, even with log_allowed = no. A group in
# enforce beside it still denies. Audit is loud: a warning at start and at
# each reload, --check, the metrics gauge. A reload to enforce denies at
# once.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" curl

budget=5
start_upstream up "$srcdir/tests/integration/data/basic.testns"
P2=$(free_port) || exit 99
mport=$(free_port) || exit 99
conf=$tmp/dnsgate.conf
qlog=$tmp/query.log
# write_conf MODE: moved into place whole, so a reload never reads half a
# file.
write_conf() {
	cat >"$tmp/next.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = cname.example.com, *.lab.example.com depth=1
cname = strict
new_names_per_minute = $budget
mode = $1
[log]
query_log = $qlog
log_allowed = no
[metrics]
listen = 127.0.0.1:$mport
[group strict]
listen = 127.0.0.1:$P2
allow = cname.example.com
mode = enforce
EOC
	mv "$tmp/next.conf" "$conf"
}
write_conf audit
start_dnsgate -c "$conf" --pidfile "$tmp/dnsgate.pid"
url=http://127.0.0.1:$mport/metrics

# logged NAME: the query log's last line for NAME.
logged() {
	grep "\"name\":\"$1\"" "$qlog" | tail -n 1
}
warnings() { grep -c "mode = audit: nothing is denied" "$tmp/dnsgate.log"; }

like "$(cat "$tmp/dnsgate.log")" "dnsgate: \[policy\] mode = audit: nothing is denied" \
	"a warning at start names [policy]"
is "$(grep -c '\[group strict\] mode = audit' "$tmp/dnsgate.log")" 0 \
	"and not the group that enforces"
"$DNSGATE" -c "$conf" --check >"$tmp/check.out" 2>&1
like "$(sed -n '/^\[policy\]/,/^$/p' "$tmp/check.out")" "^mode = audit$" "--check prints mode = audit"
like "$(cat "$tmp/check.out")" "^; AUDIT: nothing is denied" "and a warning under it"
like "$(sed -n '/^\[group strict\]/,/^$/p' "$tmp/check.out")" "^mode = enforce$" \
	"the group's own mode, enforce"

# Off the list: answered from the upstream, logged would-deny.
out=$(q www.example.com A)
like "$out" "status: NOERROR" "audit: a name off the list is answered"
like "$out" "192\.0\.2\.10" "with the upstream's address"
is "$(upstream_count up www.example.com.)" 1 "it reached the upstream"
wait_until 2 log_has "$qlog" '"name":"www.example.com"' 1
like "$(logged www.example.com)" '"verdict":"would-deny","reason":"not-listed","rcode":0' \
	"logged would-deny, not-listed, though log_allowed = no"

# Too deep for its entry: the same, with the entry it would have used.
out=$(q a.b.lab.example.com A)
like "$out" "status: NOERROR" "audit: a name too deep is answered"
is "$(upstream_count up a.b.lab.example.com.)" 1 "it reached the upstream"
wait_until 2 log_has "$qlog" '"name":"a.b.lab.example.com"' 1
like "$(logged a.b.lab.example.com)" '"verdict":"would-deny","reason":"too-deep","entry":"\*\.lab\.example\.com depth=1"' \
	"logged would-deny, too-deep, with its entry"

# An allowed name is not logged (log_allowed = no).
q ok.lab.example.com A >/dev/null
is "$(grep -c '"name":"ok.lab.example.com"' "$qlog")" 0 "an allowed name: no line (log_allowed = no)"

# A strict CNAME chain off the list: answered whole, logged would-deny.
out=$(q cname.example.com A)
like "$out" "cname\.example\.com\..*CNAME.*www\.example\.com\." "audit: a chain strict refuses is answered"
wait_until 2 log_has "$qlog" '"name":"cname.example.com"' 1
like "$(logged cname.example.com)" '"verdict":"would-deny","reason":"cname"' \
	"logged would-deny, cname"

# A burst past the budget: each answered, the ones past it would-deny.
for i in $(seq 1 20); do echo "n$i.lab.example.com A"; done >"$tmp/burst.txt"
"$DIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 2)" +tries=1 -f "$tmp/burst.txt" >"$tmp/burst.out" 2>&1
is "$(grep -c 'status: NOERROR' "$tmp/burst.out")" 20 "audit: 20 new names past a budget of $budget, every one answered"
wait_until 2 upstream_idle up
is "$(grep -c '^query [0-9]*: .* bytes: n[0-9]*\.lab\.example\.com\.' "$tmp/up.log")" 20 \
	"every one reached the upstream"
wait_until 2 log_has "$qlog" '"reason":"budget"' 14
# ok.lab.example.com took one token: 4 left for the burst.
is "$(grep -c '"name":"n[0-9]*\.lab\.example\.com","type":"A","verdict":"would-deny","reason":"budget","entry":"\*\.lab\.example\.com depth=1"' "$qlog")" 16 \
	"the 16 past the budget logged would-deny, budget, with the entry"

# The group beside it enforces.
out=$("$DIG" @127.0.0.1 -p "$P2" "$(dig_time 2)" +tries=1 www.example.com A)
like "$out" "status: NXDOMAIN" "a group in enforce beside a global audit still denies"
wait_until 2 log_has "$qlog" '"verdict":"deny"' 1
like "$(grep '"verdict":"deny"' "$qlog" | tail -n 1)" '"name":"www.example.com".*"reason":"not-listed","group":"strict"' \
	"and logs deny"

curl -sf "$url" >"$tmp/m1.txt"
ok $? "GET /metrics answers"
like "$(cat "$tmp/m1.txt")" "^dnsgate_audit_policies 1$" "the gauge counts the one policy in audit"
like "$(cat "$tmp/m1.txt")" '^dnsgate_queries_total\{verdict="would-deny",reason="not-listed"\} 1$' \
	"would-deny is counted by reason"
like "$(cat "$tmp/m1.txt")" '^dnsgate_queries_total\{verdict="would-deny",reason="budget"\} 16$' \
	"the budget's too"

# A reload keeping audit warns again; one to enforce denies at once.
hup
is "$(warnings)" 2 "a reload in audit warns again"
write_conf enforce
hup
like "$(grep 'dnsgate: reload' "$tmp/dnsgate.log" | tail -n 1)" "reloaded" "the reload to enforce is taken"
is "$(warnings)" 2 "no audit warning after it"
like "$(q www.example.com A)" "status: NXDOMAIN" "after the reload, the name off the list is denied"
like "$(q cname.example.com A)" "status: NXDOMAIN" "and the chain strict refuses"
like "$(q x.y.lab.example.com A)" "status: NXDOMAIN" "and a name too deep"
is "$(upstream_count up www.example.com.)" 1 "none of them reached the upstream"
curl -sf "$url" >"$tmp/m2.txt"
like "$(cat "$tmp/m2.txt")" "^dnsgate_audit_policies 0$" "the gauge falls to 0"

check_alive_and_stop
done_testing
