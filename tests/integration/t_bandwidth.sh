#!/usr/bin/env bash
# t_bandwidth: the covert-bandwidth figure of tests/exfil/bandwidth.sh holds
# on the real daemon. With a small budget (120 new names a minute) and a
# short run (10 s), a sender that encodes a random payload in one label of
# the longest length allowed and the query type gets through at most the
# computed bound (bucket + rate × T names, log2 of the names allowed below
# the entry plus log2 of the types in bits each) and at least 80% of it,
# decoded from the attacker's server's own log; refetches of seen TTL-0
# names stay within the refetch bucket; and ten clients on ten loopback
# addresses get no more new names through than the entry's total
# (new_names_per_minute_total), not ten budgets. The computed table for the
# default configuration is printed too (as TAP comments).
. "$srcdir/tests/integration/lib.sh"
need "$LDNS_TESTNS" python3 ss stdbuf
BW="$srcdir/tests/exfil/bandwidth.sh"

# The computed figures, for the record.
out=$(DNSGATE="$DNSGATE" bash "$BW" 2>&1)
ok $? "bandwidth.sh computes the figure for the default configuration"
printf '%s\n' "$out" | sed 's/^/# /'
like "$out" "^\*\.exfil\.example\.com depth=1 +1 +5 +40 +212\.[0-9]+ +26\.[0-9]+ +1592 +1592" \
	"default limits: one new name carries 212 bits (26.5 bytes): 1592 bytes a minute"
like "$out" "^\*\.exfil\.example\.com depth=1 +300 +7960 +[0-9]+\$" \
	"whatever addresses are used: the total of 300 names, 7960 bytes a minute"
like "$out" "^TOTAL BOUND: 7960 bytes a minute in new names \+ [0-9]+ in refetches" \
	"the bound that holds whatever the addresses is stated"

budget=120
secs=10
out=$(DNSGATE="$DNSGATE" LDNS_TESTNS="$LDNS_TESTNS" timeout $((90 * time_scale)) bash "$BW" --measure -T "$secs" --budget "$budget" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "bandwidth.sh --measure -T $secs --budget $budget runs"
result=$(printf '%s\n' "$out" | sed -n 's/^RESULT //p' | tail -n 1)
like "$result" "^names=[0-9]+ names_bound=[0-9.]+ bytes=[0-9]+ bytes_bound=[0-9]+ refetch=[0-9]+ refetch_bound=[0-9.]+ " \
	"a RESULT line"
val() { # val KEY: its number in the RESULT line, rounded down
	printf '%s\n' "$result" | tr ' ' '\n' | sed -n "s/^$1=\([0-9]*\).*/\1/p"
}
names=$(val names); names_bound=$(val names_bound)
bytes=$(val bytes); bytes_bound=$(val bytes_bound)
refetch=$(val refetch); refetch_bound=$(val refetch_bound)

[ -n "$bytes" ] && [ -n "$bytes_bound" ] && [ "$bytes" -le "$bytes_bound" ]
ok $? "measured payload within the computed bound: $bytes <= $bytes_bound bytes in ${secs}s"
[ -n "$bytes" ] && [ -n "$bytes_bound" ] && [ $((bytes * 100)) -ge $((bytes_bound * 80)) ]
ok $? "measured payload is at least 80% of the bound: $bytes >= 0.8 * $bytes_bound"
# The bound is fractional (the bucket refills continuously): names <= floor.
[ -n "$names" ] && [ -n "$names_bound" ] && [ "$names" -le "$names_bound" ] &&
	[ "$names" -ge $((names_bound * 80 / 100)) ]
ok $? "new names at the upstream: $names, bound $names_bound (>= 80% of it)"
[ -n "$refetch" ] && [ -n "$refetch_bound" ] && [ "$refetch" -le "$refetch_bound" ] &&
	[ "$refetch" -ge $((refetch_bound * 80 / 100)) ]
ok $? "refetches of seen TTL-0 names at the upstream: $refetch, bound $refetch_bound (>= 80% of it)"
multi=$(val multi_names); multi_bound=$(val multi_bound)
[ -n "$multi" ] && [ -n "$multi_bound" ] && [ "$multi" -le "$multi_bound" ] &&
	[ "$multi" -ge $((multi_bound * 80 / 100)) ]
ok $? "10 loopback addresses: $multi new names at the upstream, bound by the total: $multi_bound (>= 80% of it), not 10 x $budget"
like "$out" "dnsgate denials: budget [0-9]+" "the denials are for the budget"

done_testing
