#!/usr/bin/env bash
# t_large: answers that do not fit the client's UDP size get TC: 512 bytes
# without EDNS, the client's EDNS size capped at max_udp_size (1232) with
# it; over TCP the whole answer comes.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/large.testns"
start_dnsgate --upstream "127.0.0.1:$up_port" --allow '*.example.com'

count_a() { # count_a DIG_OUTPUT NAME: answer records of NAME
	printf '%s\n' "$1" | grep -c "^${2//./\\.}\.[[:space:]].*IN[[:space:]]A[[:space:]]"
}
size_of() { # size_of DIG_OUTPUT: the message size dig received
	printf '%s\n' "$1" | sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\)$/\1/p'
}
size_ok() { # size_ok DIG_OUTPUT LIMIT MESSAGE
	local s
	s=$(size_of "$1")
	if [ -n "$s" ] && [ "$s" -le "$2" ]; then
		ok 0 "$3 ($s <= $2 bytes)"
	else
		ok 1 "$3 (${s:-none} <= $2 bytes)"
	fi
}

# The first query for each name is a fresh fetch answered over UDP; the
# rest come from the cache, which holds the whole answer.
out=$(q +noedns +ignore big60.example.com A)
like "$out" "flags: qr tc rd ra;" "fresh, no EDNS, 60 records (> 512 bytes): TC"
size_ok "$out" 512 "fresh, no EDNS: the truncated answer fits 512"
out=$(q +bufsize=1232 +ignore big150.example.com A)
like "$out" "flags: qr tc rd ra;" "fresh, EDNS 1232, 150 records (> 1232 bytes): TC"
size_ok "$out" 1232 "fresh, EDNS 1232: the truncated answer fits 1232"

# Over TCP: everything.
out=$(q +tcp big60.example.com A)
is "$(count_a "$out" big60.example.com)" 60 "TCP: all 60 records"
out=$(q +tcp big150.example.com A)
is "$(count_a "$out" big150.example.com)" 150 "TCP: all 150 records"
like "$out" "flags: qr rd ra;" "TCP: no TC"

# Without EDNS: 512 bytes.
out=$(q +noedns +ignore big60.example.com A)
like "$out" "flags: qr tc rd ra;" "no EDNS, 60 records: TC"
size_ok "$out" 512 "no EDNS: the truncated answer fits 512"
out=$(q +noedns +ignore big150.example.com A)
like "$out" "flags: qr tc rd ra;" "no EDNS, 150 records: TC"
size_ok "$out" 512 "no EDNS: the truncated answer fits 512"

# EDNS 1232.
out=$(q +bufsize=1232 +ignore big60.example.com A)
like "$out" "flags: qr rd ra;" "EDNS 1232, 60 records (< 1232 bytes): no TC"
is "$(count_a "$out" big60.example.com)" 60 "EDNS 1232: all 60 records over UDP"
size_ok "$out" 1232 "EDNS 1232: the answer fits 1232"
out=$(q +bufsize=1232 +ignore big150.example.com A)
like "$out" "flags: qr tc rd ra;" "EDNS 1232, 150 records: TC"
size_ok "$out" 1232 "EDNS 1232: the truncated answer fits 1232"

# EDNS 4096 from the client: capped at max_udp_size (1232).
out=$(q +bufsize=4096 +ignore big150.example.com A)
like "$out" "flags: qr tc rd ra;" "EDNS 4096, 150 records: TC all the same"
size_ok "$out" 1232 "EDNS 4096: capped at max_udp_size"

# dig without +ignore retries over TCP on TC and gets everything.
out=$(q +noedns big150.example.com A)
is "$(count_a "$out" big150.example.com)" 150 "dig retrying over TCP after TC: all 150 records"

is "$(upstream_count up big60.example.com.)" 1 "the 60-record answer came from the upstream once"
is "$(upstream_count up big150.example.com.)" 1 "the 150-record answer too"

check_alive_and_stop
done_testing
