#!/usr/bin/env bash
# t_cache: answers are cached, positive and negative, keyed on (name, type,
# class) case-insensitively, with TTLs counted down; cached answers carry
# the client's ID (dig checks it) and the client's case; negative answers
# are kept for negative_ttl at most, then fetched again.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

# negative_ttl caps the upstream's (its SOA says 30) so that the negative
# entry expires within this test.
cat >"$tmp/dnsgate.conf" <<'CONF'
[cache]
negative_ttl = 2
CONF
start_upstream up "$srcdir/tests/integration/data/basic.testns"
start_dnsgate -c "$tmp/dnsgate.conf" --upstream "127.0.0.1:$up_port" \
	--allow '*.example.com'

sp='[[:space:]]+'
ttl_of() { # ttl_of DIG_OUTPUT TYPE: the TTL of the first answer record
	printf '%s\n' "$1" | awk -v t="$2" '$0 !~ /^;/ && $4 == t { print $2; exit }'
}

out1=$(q www.example.com A)
like "$out1" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.10" "first query: answered"
ttl1=$(ttl_of "$out1" A)
is "$ttl1" 300 "first query: the upstream's TTL"

# An upstream NXDOMAIN is cached too, for at most negative_ttl (2 s).
out=$(q missing.example.com A)
like "$out" "status: NXDOMAIN" "NXDOMAIN from the upstream"
out=$(q missing.example.com A)
like "$out" "status: NXDOMAIN" "NXDOMAIN again"
like "$out" "IN${sp}SOA" "with an SOA"
soa_ttl=$(ttl_of "$out" SOA)
if [ -n "$soa_ttl" ] && [ "$soa_ttl" -le 2 ]; then
	ok 0 "the negative TTL is capped by negative_ttl ($soa_ttl <= 2)"
else
	ok 1 "the negative TTL is capped by negative_ttl (${soa_ttl:-none} <= 2)"
fi
out=$(q MISSING.example.com A)
like "$out" "status: NXDOMAIN" "NXDOMAIN for a case-different name"
is "$(upstream_count up missing.example.com.)" 1 "the negative answer was cached"

# Whole seconds count down: wait a little over two. (A fixed sleep: the
# passing of time is what is tested.)
sleep 2.2
out2=$(q www.example.com A)
like "$out2" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.10" "second query: the same answer"
ttl2=$(ttl_of "$out2" A)
if [ -n "$ttl2" ] && [ "$ttl2" -lt "$ttl1" ] && [ "$ttl2" -ge $((ttl1 - 4)) ]; then
	ok 0 "second query: TTL counted down ($ttl1 -> $ttl2)"
else
	ok 1 "second query: TTL counted down ($ttl1 -> ${ttl2:-none})"
fi
is "$(upstream_count_type up www.example.com. A)" 1 "two queries, one upstream query"

# Over TCP, from the same entry.
out=$(q +tcp www.example.com A)
like "$out" "192\.0\.2\.10" "over TCP: from the cache"
is "$(upstream_count_type up www.example.com. A)" 1 "still one upstream query"

# Another type is another entry.
out=$(q www.example.com AAAA)
like "$out" "2001:db8::10" "AAAA: answered"
out=$(q www.example.com AAAA)
like "$out" "2001:db8::10" "AAAA again: answered"
is "$(upstream_count_type up www.example.com. AAAA)" 1 "AAAA: its own upstream query, once"
is "$(upstream_count_type up www.example.com. A)" 1 "A: still one upstream query"

# Case does not make another entry, and the answer comes back in the
# client's case.
out=$(q WWW.Example.COM A)
like "$out" "^WWW\.Example\.COM\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.10" "a case-different name: the cached answer, in the client's case"
like "$out" "^;WWW\.Example\.COM\.${sp}IN${sp}A" "and the question in the client's case"
is "$(upstream_count up www.example.com.)" 2 "a case-different name shares the entry (A and AAAA, one each)"

# The negative entry has expired (2 s, and 2.2 s have passed): fetched
# again.
out=$(q missing.example.com A)
like "$out" "status: NXDOMAIN" "after negative_ttl: NXDOMAIN"
is "$(upstream_count up missing.example.com.)" 2 "after negative_ttl: fetched again"

check_alive_and_stop
done_testing
