#!/usr/bin/env bash
# t_answers: answers are rebuilt, not relayed: the upstream's authority and
# additional sections do not reach the client (only our OPT does), TTLs are
# clamped to [min_ttl, max_ttl], and the client's ID and EDNS are honoured.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/answers.testns"
cat >"$tmp/dnsgate.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = *.example.com
min_ttl = 60
max_ttl = 3600
EOC
start_dnsgate -c "$tmp/dnsgate.conf"

out=$(q mixed.example.com A +qid=4242)
like "$out" "id: 4242" "the answer carries the client's ID"
like "$out" "ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1" "two answers; authority dropped; additional holds only OPT"
like "$out" "^mixed\.example\.com\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.1" "TTL 5 raised to min_ttl 60"
like "$out" "^mixed\.example\.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.2" "TTL 999999 lowered to max_ttl 3600"
echo "$out" | grep -Eq "attacker|smuggled|198\.51\.100\.66"
is "$?" 1 "nothing of the upstream's NS, glue or extra records reaches the client"

out=$(q +noedns mixed.example.com A)
like "$out" "ADDITIONAL: 0" "without EDNS in the query there is no OPT in the answer"

check_alive_and_stop
done_testing
