#!/usr/bin/env bash
# t_learn: an allowlist learned from real traffic, as the README's "Build
# your allowlist" says: audit, learn, review, enforce. A workload (fixed
# names and types) and a DNS tunnel (30 base32 names under
# t.example.com) go through dnsgate in audit mode with an allowlist that
# holds none of them: every query is answered and logged would-deny;
# dnsgate learn turns the log into a zones file; dnsgate restarted in
# enforce with only that file answers the workload, denies the tunnel,
# and the tunnel's names are in the file only as comments.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

# The learning run's [policy] mode: audit, so the workload is learned from
# would-deny lines; with "" (enforce) and a broad allow, from allowed ones.
learn_mode=audit

start_upstream up "$srcdir/tests/integration/data/learn.testns"
qlog=$tmp/query.log
cat >"$tmp/learn.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
timeout_ms = 500
[policy]
${learn_mode:+mode = $learn_mode}
allow = ${learn_mode:+seed.example.net}${learn_mode:-example.com depth=3}
[log]
query_log = $qlog
log_allowed = yes
EOC
start_dnsgate -c "$tmp/learn.conf"

workload=(
	"www.example.com A"
	"www.example.com AAAA"
	"api.example.com A"
	"txt.example.com TXT"
	"deep.a.example.com A"
)
for w in "${workload[@]}"; do
	q $w >/dev/null
done
q www.example.com A >/dev/null # asked twice: counted twice

# The tunnel: 30 chunks of data, base32 as iodine and dnscat2 send it.
tunnel=()
for i in $(seq 30); do
	label=$(printf 'chunk %02d of the secret file, padded' "$i" | base32 -w0 |
		tr -d = | tr 'A-Z' 'a-z' | cut -c1-40)
	tunnel+=("$label.t.example.com")
done
for t in "${tunnel[@]}"; do
	q "$t" TXT >/dev/null
done
wait_until 5 log_has "$qlog" '"name"' 36
is "$(grep -c '"name"' "$qlog")" 36 "the log holds a line for each of the 36 queries"
if [ -n "$learn_mode" ]; then
	is "$(grep -c '"verdict":"would-deny"' "$qlog")" 36 "audit: all 36 answered and logged would-deny"
fi

learned=$tmp/learned.zones
"$DNSGATE" learn --presets "$srcdir/zones" "$qlog" >"$learned" 2>"$tmp/learn.err"
is "$?" 0 "dnsgate learn reads the log"
sed 's/^/#   /' "$learned"
like "$(cat "$learned")" '^www\.example\.com types=A,AAAA  # 3 queries, first [0-9T:.-]+Z, last [0-9T:.-]+Z$' \
	"www.example.com: both types, three queries, first and last seen"
like "$(cat "$learned")" '^api\.example\.com types=A  #' "api.example.com: only the type asked"
like "$(cat "$learned")" '^deep\.a\.example\.com types=A  #' "a deeper name stays exact"
is "$(grep -v '^#' "$learned" | grep -c '\.t\.example\.com')" 0 \
	"no tunnel name outside a comment"
is "$(grep -c '^# [a-z2-7]*\.t\.example\.com: left out, ' "$learned")" 30 \
	"every tunnel name listed as a comment with why"

"$DNSGATE" learn --presets "$srcdir/zones" "$qlog" >"$tmp/learned2.zones" 2>/dev/null
cmp -s "$learned" "$tmp/learned2.zones"
ok $? "learning twice gives the same file"

# In audit, a name off the list is forwarded too: the upstream has none.
check_alive_and_stop "${learn_mode:+SERVFAIL|}NXDOMAIN|REFUSED"

# Enforce with only what was learned.
cat >"$tmp/enforce.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
timeout_ms = 500
[policy]
zones = $learned
EOC
start_dnsgate -c "$tmp/enforce.conf"
for w in "${workload[@]}"; do
	out=$(q $w)
	like "$out" "status: NOERROR" "learned allowlist allows $w"
	like "$out" "ANSWER: 1," "and answers it"
done
like "$(q api.example.com AAAA)" "ANSWER: 0," "a type the workload never asked is not answered"
denied=0
for t in "${tunnel[@]}"; do
	q "$t" TXT | grep -q "status: NXDOMAIN" || denied=1
done
ok "$denied" "all 30 tunnel names are denied"
like "$(q other.example.com A)" "status: NXDOMAIN" "a name never asked is denied"

check_alive_and_stop
done_testing
