#!/usr/bin/env bash
# t_control: `dnsgate control` over [control] socket, with two workers (a
# change must reach the one on its own thread too). The interactive
# approval: a denied name (NXDOMAIN, never forwarded) is allowed for 2 s,
# resolves through the upstream, and is denied again once the entry
# expires. Revoke ends an entry at once; a group's and a client's entries
# hold for them only; every limit applies under a temporary wildcard;
# flush makes cached answers be fetched again, while queries flow; an
# entry survives a SIGHUP; show policy gives each entry's FILE:LINE and
# the temporary ones; bad commands get errors; a peer of another uid is
# kept out by the socket's mode, and refused and logged when the mode
# lets it connect; the query log and the metrics count the changes.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" setpriv

start_upstream up "$srcdir/tests/integration/data/control.testns"
mport=$(free_port) || exit 99
# The socket's folder: the test's own is 0700, which would keep out the
# other user before the socket's mode is even looked at.
run=$(mktemp -d "${TMPDIR:-/tmp}/dnsgate-control.XXXXXX") || exit 99
chmod 0755 "$run"
trap 'cleanup; rm -rf "$run"' EXIT
sock=$run/control.sock
printf 'www.example.com\nwww2.example.com\n' >"$tmp/main.zones"
cat >"$tmp/dnsgate.conf" <<EOC
[server]
workers = 2
[upstream]
servers = 127.0.0.1:$up_port
[policy]
zones = $tmp/main.zones
max_label_length = 40
[group lab]
clients = 127.0.0.3/32
allow = lab.example.com
[control]
socket = $sock
[log]
query_log = $tmp/query.log
[metrics]
listen = 127.0.0.1:$mport
EOC
start_dnsgate -c "$tmp/dnsgate.conf" --pidfile "$tmp/dnsgate.pid"

# ctl ARGS...: dnsgate control on the test's socket; its output (both
# streams) in $out, its exit status in $rc.
ctl() {
	out=$("$DNSGATE" control --socket "$sock" "$@" 2>&1)
	rc=$?
}
status() { q "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
# All of N queries for NAME from source SRC (127.0.0.1 by default) get
# STATUS: N over fresh ports, so both workers are asked.
all_status() { # all_status N NAME STATUS [SRC]
	local i got
	for i in $(seq "$1"); do
		got=$(status -b "${4:-127.0.0.1}" "$2" A)
		[ "$got" = "$3" ] || { echo "# query $i for $2: $got"; return 1; }
	done
}

is "$(stat -c %a "$sock")" 660 "the socket is made mode 0660"

# --- the interactive approval: deny, allow for 2 s, allow, expiry, deny.
all_status 4 api.example.com NXDOMAIN
ok $? "api.example.com is denied (NXDOMAIN)"
is "$(upstream_count up api.example.com.)" 0 "and never forwarded"
ctl allow api.example.com for 2s
allowed_at=$(now_ms)
is "$rc $out" "0 ok 1" "control allow NAME for 2s: ok 1, exit 0"
# Within the 2 s: few steps, so that a loaded machine still fits them.
ctl list
like "$out" "^1	api\.example\.com	global	[12]s$" "list: ID, entry, scope, time left"
like "$(q +short api.example.com A)" '^192\.0\.2\.20$' "api.example.com is now allowed, and answered"
[ "$(upstream_count up api.example.com.)" -ge 1 ]
ok $? "it was forwarded"
wait_until 5 eval '[ "$(status api.example.com A)" = NXDOMAIN ]'
ok $? "after the entry expires, api.example.com is denied again"
elapsed=$(($(now_ms) - allowed_at))
[ "$elapsed" -ge 1900 ]
ok $? "not before its 2 s ran out (${elapsed} ms)"
all_status 4 api.example.com NXDOMAIN
ok $? "on every worker, though its answer is still cached"
ctl list
is "$rc:$out" "0:" "list is empty again"
like "$(grep '"control"' "$tmp/query.log")" \
	'"control":"allow","id":1,"entry":"api\.example\.com","scope":"global","seconds":2}' \
	"the query log has the allow"
like "$(grep '"control"' "$tmp/query.log")" '"control":"expire","id":1,' \
	"and the expiry"

# --- revoke before expiry.
ctl allow api.example.com for 1h
is "$out" "ok 2" "allow for 1h: ok 2"
all_status 6 api.example.com NOERROR
ok $? "allowed, on every worker"
ctl revoke 2
is "$rc $out" "0 ok" "revoke 2: ok"
all_status 4 api.example.com NXDOMAIN
ok $? "denied at once after the revoke"
ctl revoke 2
is "$rc" 1 "revoking it again is an error (exit 1)"
like "$out" "^error: revoke: no temporary entry 2" "that says so"
like "$(grep '"control"' "$tmp/query.log")" '"control":"revoke","id":2,' \
	"the query log has the revoke"

# --- scopes: a group's, a client's.
ctl allow g.example.net group lab
is "$out" "ok 3" "allow … group lab"
all_status 3 g.example.net NOERROR 127.0.0.3
ok $? "group: allowed for a client of [group lab] (127.0.0.3)"
all_status 3 g.example.net NXDOMAIN
ok $? "group: denied for a client of the global policy"
ctl allow c.example.net client 127.0.0.4
is "$out" "ok 4" "allow … client 127.0.0.4"
all_status 3 c.example.net NOERROR 127.0.0.4
ok $? "client: allowed from 127.0.0.4"
all_status 3 c.example.net NXDOMAIN
ok $? "client: denied from 127.0.0.1"
all_status 3 c.example.net NXDOMAIN 127.0.0.3
ok $? "client: denied from 127.0.0.3"
ctl list
like "$out" "	group lab	" "list names the group scope"
like "$out" "	client 127\.0\.0\.4	" "and the client scope"

# --- the limits of a temporary wildcard.
ctl allow '*.example.org' depth=2 types=A for 10m
is "$out" "ok 5" "allow '*.example.org depth=2 types=A'"
is "$(status x.example.org A)" NOERROR "depth 1 below it: allowed"
is "$(status y.x.example.org A)" NOERROR "depth 2: allowed"
is "$(status z.y.x.example.org A)" NXDOMAIN "depth 3: denied"
is "$(upstream_count up z.y.x.example.org.)" 0 "and not forwarded"
like "$(grep '"name":"z.y.x.example.org"' "$tmp/query.log")" \
	'"verdict":"deny","reason":"too-deep","entry":"\*\.example\.org depth=2 types=A"' \
	"logged as too-deep, naming the temporary entry"
like "$(q x.example.org TXT)" "status: (NOERROR|NXDOMAIN)" "TXT, not among its types, is answered"
is "$(grep -c 'bytes: x\.example\.org\.	IN	TXT' "$tmp/up.log")" 0 "but not forwarded"
is "$(status "$(printf 'a%.0s' $(seq 50)).example.org" A)" NXDOMAIN \
	"a label over max_label_length is denied"

# --- flush while queries flow.
fetches() { upstream_count up "$1"; }
# 20 queries each: the chance that one worker never saw a name is 2^-19.
all_status 20 www.example.com NOERROR && all_status 20 www2.example.com NOERROR
ok $? "two allowed names are asked, and cached by both workers"
w1=$(fetches www.example.com.)
w2=$(fetches www2.example.com.)
all_status 6 www.example.com NOERROR
is "$(fetches www.example.com.)" "$w1" "asked again, they come from the caches"
for i in $(seq 300); do echo "www.example.com A"; done >"$tmp/flow.txt"
"$DIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 2)" +tries=1 -f "$tmp/flow.txt" >"$tmp/flow.out" 2>&1 &
flow=$!
ctl flush www.example.com
is "$rc $out" "0 ok" "flush www.example.com: ok, while queries flow"
wait "$flow"
is "$(grep -c 'status: NOERROR' "$tmp/flow.out")" 300 "every query of the flow was answered"
all_status 6 www.example.com NOERROR
[ "$(fetches www.example.com.)" -gt "$w1" ]
ok $? "after flush NAME, www.example.com is fetched again"
all_status 6 www2.example.com NOERROR
is "$(fetches www2.example.com.)" "$w2" "www2.example.com, not flushed, still comes from the caches"
ctl flush
is "$out" "ok" "flush (everything): ok"
all_status 6 www2.example.com NOERROR
[ "$(fetches www2.example.com.)" -gt "$w2" ]
ok $? "after flush, www2.example.com is fetched again"
ctl flush 'bad..name'
like "$rc $out" "^1 error: flush: bad name" "flush of a bad name is an error"

# --- a reload keeps the temporary entries; show policy.
ctl allow api.example.com for 1h
is "$out" "ok 6" "allow api.example.com for 1h"
hup
like "$(grep 'dnsgate: reloaded' "$tmp/dnsgate.log")" reloaded "SIGHUP: reloaded"
is "$(status api.example.com A)" NOERROR "the entry survives the reload"
ctl reload
is "$rc $out" "0 ok" "control reload: ok"
is "$(status api.example.com A)" NOERROR "and that reload too"
ctl show policy
like "$out" "^www\.example\.com  # $tmp/main\.zones:1$" "show policy: a zones file's entry with FILE:LINE"
like "$out" "^www2\.example\.com  # $tmp/main\.zones:2$" "each on its own line"
like "$out" "^api\.example\.com  # control 6 \(expires in [0-9]+ s\)$" \
	"and the temporary entry as control ID"
like "$out" "^c\.example\.net  # control 4 \(expires in [0-9]+ s\), client 127\.0\.0\.4$" \
	"a client's entry under the global policy, with its client"
like "$out" "^\[group lab\]$" "the group's section follows"
ctl show policy lab
like "$out" "^lab\.example\.com  # $tmp/dnsgate\.conf:[0-9]+$" "show policy lab: its inline entry, FILE:LINE"
like "$out" "^g\.example\.net  # control 3 " "and its temporary entry"
ctl show policy nope
like "$rc $out" "^1 error: show policy: no \[group nope\]" "show policy of no group: an error"

# --- bad commands.
bad() { # bad WANT_REGEX ARGS...
	local want=$1
	shift
	ctl "$@"
	like "$rc $out" "^1 error: $want" "'$*' is refused: ${out//$'\n'/ }"
}
bad "unknown command 'frob'" frob
bad "usage: allow ENTRY" allow
bad "allow: 'https://x\.example/' is a URL, not a name; write x\.example" allow 'https://x.example/'
bad "'5y' is not a duration" allow x.example for 5y
bad "'2d' is not a duration" allow x.example for 2d
bad "no \[group nope\] in the configuration" allow x.example group nope
bad "'nowhere' is not an address" allow x.example client nowhere
bad "usage: revoke ID" revoke x
bad "stats: unexpected 'now'" stats now
long=$(printf 'x%.0s' $(seq 1100))
out=$(printf 'allow %s\n' "$long" | timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)
print(s.makefile().read(), end="")' "$sock")
like "$out" "^error: the command is longer than 1024 bytes" "an over-long line is refused"
out=$(timeout 10 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.settimeout(9); t = time.time(); d = s.recv(100)
print("closed after %.0f s" % (time.time() - t), repr(d))' "$sock")
like "$out" "^closed after [4-8] s b''" "an idle connection is closed after its timeout"
ctl status
like "$out" "^version [0-9]" "status: the version"
like "$out" "^workers 2$" "the workers"
like "$out" "^listen 127\.0\.0\.1:$DG_PORT$" "the listener"
like "$out" "^temporary_entries 4$" "and the temporary entries"
"$DNSGATE" control -c "$tmp/dnsgate.conf" list >"$tmp/list.out" 2>&1
is "$?" 0 "-c FILE finds the socket in the configuration"
like "$(cat "$tmp/list.out")" "^6	api\.example\.com	global	" "and lists the entries"
"$DNSGATE" control --socket "$run/none.sock" status >/dev/null 2>&1
is "$?" 2 "no socket there: exit 2"

# --- a peer of another uid.
as_nobody() {
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$DNSGATE" control --socket "$sock" "$@" 2>&1)
	rc=$?
}
as_nobody allow api.example.com
is "$rc" 2 "nobody: the socket's mode keeps it out (exit 2)"
like "$out" "Permission denied" "and says so"
chmod 0666 "$sock"
as_nobody allow evil.example
is "$rc" 1 "with the socket 0666, nobody connects but is refused (exit 1)"
like "$out" "^error: permission denied" "with an error line"
wait_until 2 log_has "$tmp/dnsgate.log" "control: refused a peer: pid [0-9]*, uid 65534, gid 65534" 1
ok $? "the refusal is logged, with the peer's uid"
ctl list
if printf '%s\n' "$out" | grep -q evil; then ok 1 "nobody's allow took no effect"; else ok 0 "nobody's allow took no effect"; fi

# --- the metrics and stats.
m=$(http_get "$mport" /metrics)
allows=$(sed -n 's/^dnsgate_control_commands_total{command="allow"} //p' <<<"$m")
[ "${allows:-0}" -ge 6 ]
ok $? "/metrics counts the allows (${allows:-none})"
like "$m" 'dnsgate_control_commands_total\{command="revoke"\} 2' "and the revokes"
like "$m" 'dnsgate_control_commands_total\{command="error"\} [1-9]' "and the bad commands"
like "$m" 'dnsgate_control_refused_total 1' "and the refused peer"
like "$m" 'dnsgate_temporary_entries 4' "dnsgate_temporary_entries: 4 held"
like "$m" 'dnsgate_temporary_entries_expired_total 1' "one expired"
ctl stats
like "$out" '^dnsgate_control_commands_total\{command="stats"\} 1$' "stats: the same figures, name value"
if printf '%s\n' "$out" | grep -q '^#'; then ok 1 "stats: no comment lines"; else ok 0 "stats: no comment lines"; fi

check_alive_and_stop
done_testing
