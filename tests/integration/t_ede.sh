#!/usr/bin/env bash
# t_ede: a denial to a client that sent EDNS says why, as an Extended DNS
# Error (RFC 8914): 15 (Blocked) with the reason and entry of the query
# log, 18 (Prohibited) when the client's budget is spent; on NXDOMAIN,
# on NODATA for a denied type, on REFUSED, on a strict CNAME chain denied
# in the answer (fetched and cached). dig, kdig and drill all show it. A
# query without EDNS gets none, nor does any with `ede = no`, which a
# reload applies. A text too long for the client's size is cut, never TC.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$KDIG" "$DRILL" "$LDNS_TESTNS"

# Five labels of 40: a name near max_name_length, so the entry's text
# cannot fit a 512-byte reply whole.
l40=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
long=$l40.$l40.$l40.$l40.$l40.example

start_upstream up "$srcdir/tests/integration/data/hostile.testns"
conf=$tmp/dnsgate.conf
# write_conf LINES...: [policy] lines after the allowlist, moved into
# place whole (a reload never reads a half-written file).
write_conf() {
	{
		printf '[upstream]\nservers = 127.0.0.1:%s\n' "$up_port"
		printf '[policy]\nzones = ede.zones\n'
		printf 'cname = strict\nnew_names_per_minute = 2\nmax_name_length = 253\n'
		printf '%s\n' "$@"
	} >"$tmp/next.conf"
	mv "$tmp/next.conf" "$conf"
}
# hup: one SIGHUP, and wait until dnsgate has said how it went.
hup() {
	local before
	before=$(grep -c "dnsgate: reload" "$tmp/dnsgate.log")
	kill -HUP "$DG_PID"
	wait_until 3 eval '[ "$(grep -c "dnsgate: reload" "$tmp/dnsgate.log")" -gt "$before" ]'
}
no_ede() { # no_ede TEXT MESSAGE
	if printf '%s\n' "$1" | grep -q "EDE"; then
		ok 1 "$2"
	else
		ok 0 "$2"
	fi
}

printf '%s\n' '*.example.com' 'api.example.org types=A,AAAA' "*.$long" >"$tmp/ede.zones"
write_conf
start_dnsgate -c "$conf"

# dig 9.18 prints the INFO-CODE, its name and the EXTRA-TEXT in brackets.
out=$(q a.b.example.com A)
like "$out" "status: NXDOMAIN" "too deep: NXDOMAIN"
like "$out" "^; EDE: 15 \(Blocked\): \(too-deep \(entry \*\.example\.com depth=1\)\)\$" \
	"too deep: EDE 15 (Blocked) naming the reason and the entry"
out=$(q evil.example A)
like "$out" "^; EDE: 15 \(Blocked\): \(not-listed\)\$" "not listed: the reason alone"
out=$(q api.example.org TXT)
like "$out" "status: NOERROR" "a denied type on an allowed name: NODATA"
like "$out" "ANSWER: 0," "with no data"
like "$out" "^; EDE: 15 \(Blocked\): \(qtype \(entry api\.example\.org types=A,AAAA\)\)\$" \
	"NODATA carries the EDE, the entry with its types"
out=$(q +tcp a.b.example.com A)
like "$out" "^; EDE: 15 \(Blocked\): \(too-deep " "over TCP too"

out=$(q +noedns a.b.example.com A)
like "$out" "status: NXDOMAIN" "without EDNS: NXDOMAIN"
like "$out" "ADDITIONAL: 0" "without EDNS: no OPT"
no_ede "$out" "without EDNS: no EDE"

# kdig sends EDNS only with +edns; it quotes the text.
out=$("$KDIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 2)" +retry=0 +edns a.b.example.com A)
like "$out" "^;; EDE: 15 \(Blocked\): 'too-deep \(entry \*\.example\.com depth=1\)'\$" \
	"kdig shows the EDE"
out=$("$KDIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 2)" +retry=0 a.b.example.com A)
no_ede "$out" "kdig without +edns: no EDE"
# drill sends EDNS when given a buffer size; it prints the text in hex,
# then as text.
out=$("$DRILL" -b 1232 -p "$DG_PORT" @127.0.0.1 a.b.example.com A)
like "$out" "^; EDE: 15 \(Blocked\): [0-9a-f ]+ \(too-deep \(entry \*\.example\.com depth=1\)\)\$" \
	"drill shows the EDE"
out=$("$DRILL" -p "$DG_PORT" @127.0.0.1 a.b.example.com A)
no_ede "$out" "drill without EDNS: no EDE"

# At 512 bytes the entry's text does not fit whole: it is cut, the reply
# is 512 bytes, and not truncated.
out=$(q +bufsize=512 "a.b.$long" A)
like "$out" "^; EDE: 15 \(Blocked\): \(too-deep \(entry \*\.$l40" \
	"a text too long for 512 bytes: the EDE is still there"
printf '%s\n' "$out" | grep -q "depth=1))"
ok $((!$?)) "cut before its end"
like "$out" "MSG SIZE  rcvd: 512\$" "the reply fills the 512 bytes exactly"
like "$out" "flags: qr rd ra;" "and is not truncated"

# A strict CNAME chain leaving the allowlist, fetched then cached.
out=$(q out.example.com A)
like "$out" "status: NXDOMAIN" "a chain leaving the allowlist: NXDOMAIN"
like "$out" "^; EDE: 15 \(Blocked\): \(cname \(chain leaves the allowlist\)\)\$" \
	"a strict CNAME denial carries the EDE"
out=$(q out.example.com A)
like "$out" "^; EDE: 15 \(Blocked\): \(cname " "and so does its cached copy"

# The budget (2 new names, out.example.com was one): the name is allowed,
# this client may ask no more.
out=$(q rebind.example.com A)
like "$out" "status: NOERROR" "the second new name: answered"
no_ede "$out" "an answer has no EDE"
out=$(q inside.example.com A)
like "$out" "status: NXDOMAIN" "the third new name: denied"
like "$out" "^; EDE: 18 \(Prohibited\): \(budget \(entry \*\.example\.com depth=1\)\)\$" \
	"budget: EDE 18 (Prohibited)"

write_conf 'ede = no'
hup
out=$(q a.b.example.com A)
like "$out" "status: NXDOMAIN" "ede = no: still NXDOMAIN"
like "$out" "; EDNS: version: 0" "ede = no: EDNS echoed"
no_ede "$out" "ede = no, applied by a reload: no EDE"
out=$(q api.example.org TXT)
no_ede "$out" "ede = no: no EDE on NODATA either"

write_conf 'deny_rcode = refused'
hup
out=$(q a.b.example.com A)
like "$out" "status: REFUSED" "deny_rcode = refused: REFUSED"
like "$out" "^; EDE: 15 \(Blocked\): \(too-deep \(entry \*\.example\.com depth=1\)\)\$" \
	"REFUSED carries the EDE, ede back on by a reload"

check_alive_and_stop
done_testing
