#!/usr/bin/env bash
# t_merge: identical queries in flight are merged: five clients (UDP and
# TCP, in mixed case) ask for a name the upstream answers after a second;
# all five get the answer, and the upstream sees one query.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/merge.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow '*.example.com'

names=(merge.example.com merge.example.com MERGE.example.com merge.example.com Merge.Example.Com)
opts=(+notcp +notcp +notcp +tcp +tcp)
clients=()
for i in 0 1 2 3 4; do
	q "$(dig_time 5)" "${opts[$i]}" "${names[$i]}" A >"$tmp/dig$i.out" 2>&1 &
	clients+=("$!")
done
# dig gives up after its own 5 s, so this wait is bounded.
wait "${clients[@]}"

for i in 0 1 2 3 4; do
	out=$(cat "$tmp/dig$i.out")
	re=${names[$i]//./\\.}
	like "$out" "^$re\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.20" "client $((i + 1)) (${opts[$i]#+}, ${names[$i]}): the answer, in its case"
done
is "$(upstream_count up merge.example.com.)" 1 "the upstream saw one query for the five"

# Once done, the name is served from the cache: still one.
out=$(q merge.example.com A)
like "$out" "192\.0\.2\.20" "a sixth query, after: answered"
is "$(upstream_count up merge.example.com.)" 1 "from the cache"

check_alive_and_stop
done_testing
