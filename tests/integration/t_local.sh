#!/usr/bin/env bash
# t_local: [local] records. An allowed question for a local name is
# answered from its records and reaches no upstream: A, AAAA, a CNAME
# followed through local data, NODATA for another type. A local name the
# allowlist does not allow is denied. The answer policy applies as to an
# upstream's answer: private addresses scrubbed unless private=allow, TTLs
# clamped by [policy] min_ttl and max_ttl, a query log line (with
# "local":true). A reload applies changed records.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

sp='[[:space:]]+'
start_upstream up "$srcdir/tests/integration/data/local.testns"
conf=$tmp/local.conf
write_conf() { # write_conf REGISTRY_ADDRESS [EXTRA_LOCAL_LINE]
	cat >"$conf" <<CONF
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = registry.internal, git.internal, lan.internal, www.example.com
allow = private.internal private=allow, short.internal, long.internal
min_ttl = 100
max_ttl = 1000
[local]
local = registry.internal 300 A $1
local = registry.internal 300 IN AAAA 2001:db8::5
local = git.internal 600 CNAME registry.internal
local = lan.internal A 10.0.0.5
local = private.internal A 10.0.0.6
local = long.internal 99999 A 198.51.100.9
local = denied.internal A 198.51.100.10
$2
CONF
}
write_conf 198.51.100.5 "local = short.internal 5 A 198.51.100.8"
start_dnsgate -c "$conf" --pidfile "$tmp/dnsgate.pid"

out=$(q registry.internal A)
like "$out" "^registry\.internal\.${sp}300${sp}IN${sp}A${sp}198\.51\.100\.5\$" \
	"a local A record, with its TTL"
out=$(q registry.internal AAAA)
like "$out" "^registry\.internal\.${sp}300${sp}IN${sp}AAAA${sp}2001:db8::5\$" \
	"a local AAAA record"
out=$(q git.internal A)
like "$out" "^git\.internal\.${sp}600${sp}IN${sp}CNAME${sp}registry\.internal\.\$" \
	"a local CNAME"
like "$out" "^registry\.internal\.${sp}300${sp}IN${sp}A${sp}198\.51\.100\.5\$" \
	"followed through local data"
out=$(q registry.internal HTTPS)
like "$out" "status: NOERROR" "another type of a local name: NOERROR"
like "$out" "ANSWER: 0," "with no data"
is "$(grep -c '^query [0-9]*:.*internal\.' "$tmp/up.log")" 0 \
	"no local name reached the upstream"

out=$(q denied.internal A)
like "$out" "status: NXDOMAIN" "a local name off the allowlist is denied"
echo "$out" | grep -q "198\.51\.100\.10"
is "$?" 1 "and its record is not given"

out=$(q lan.internal A)
like "$out" "status: NOERROR" "a local private address without private=allow: NOERROR"
like "$out" "ANSWER: 0," "scrubbed, as an upstream's would be"
out=$(q private.internal A)
like "$out" "^private\.internal\.${sp}[0-9]+${sp}IN${sp}A${sp}10\.0\.0\.6\$" \
	"with private=allow the private address stays"

out=$(q short.internal A)
like "$out" "^short\.internal\.${sp}100${sp}IN${sp}A${sp}198\.51\.100\.8\$" \
	"a TTL below min_ttl is raised to it"
out=$(q long.internal A)
like "$out" "^long\.internal\.${sp}1000${sp}IN${sp}A${sp}198\.51\.100\.9\$" \
	"a TTL above max_ttl is lowered to it"

out=$(q www.example.com A)
like "$out" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.2\$" \
	"other names are forwarded as usual"
is "$(upstream_count up www.example.com.)" 1 "to the upstream"

line=$(grep '"name":"registry.internal","type":"A"' "$tmp/dnsgate.log" | head -n 1)
like "$line" '"verdict":"allow".*"cached":false,"local":true' \
	"the query log says the answer is local"
echo "$line" | grep -q '"upstream"'
is "$?" 1 "and names no upstream"
like "$(grep '"name":"lan.internal"' "$tmp/dnsgate.log")" '"scrubbed":1' \
	"and counts what scrubbing removed"

# A reload changes the records: a new address, and a name no longer local
# goes upstream.
write_conf 198.51.100.55 ""
hup
like "$(cat "$tmp/dnsgate.log")" "reloaded $conf" "reloaded"
out=$(q registry.internal A)
like "$out" "^registry\.internal\.${sp}300${sp}IN${sp}A${sp}198\.51\.100\.55\$" \
	"after a reload the new record answers"
out=$(q short.internal A)
like "$out" "^short\.internal\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.8\$" \
	"a record removed: its name is forwarded again"
is "$(upstream_count up short.internal.)" 1 "to the upstream"

check_alive_and_stop
done_testing
