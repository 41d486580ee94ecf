#!/usr/bin/env bash
# t_reload: SIGHUP re-reads the configuration and its zones files and swaps
# it in whole. The new policy applies at once, to cached names too; a query
# in flight finishes under the policy it started with; a configuration with
# errors is refused with FILE:LINE and the running one stays; 50 reloads
# under a steady stream of queries lose none and turn none into SERVFAIL.
# The signals go by --pidfile, as an init script sends them.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/basic.testns"
conf=$tmp/dnsgate.conf
# write_conf NAME ALLOW...: a configuration, moved into place whole (a
# reload never reads a half-written file).
write_conf() {
	local name=$1
	shift
	{
		printf '[upstream]\nservers = 127.0.0.1:%s\n[policy]\nzones = %s.zones\n' \
			"$up_port" "$name"
		printf '[log]\nquery_log = %s\n' "$tmp/query.log"
	} >"$tmp/next.conf"
	printf '%s\n' "$@" >"$tmp/$name.zones"
	mv "$tmp/next.conf" "$conf"
}
reloads() { grep -c "dnsgate: reloaded" "$tmp/dnsgate.log"; }
status() { q "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }

write_conf a www.example.com cname.example.com
start_dnsgate -c "$conf" --pidfile "$tmp/dnsgate.pid"
is "$(cat "$tmp/dnsgate.pid")" "$DG_PID" "--pidfile holds the process ID"
is "$(status www.example.com A)" NOERROR "policy a: www.example.com is allowed"
is "$(status cname.example.com A)" NOERROR "policy a: cname.example.com is allowed (and now cached)"
is "$(status x.slow.example.com A)" NXDOMAIN "policy a: x.slow.example.com is not listed"

write_conf b www.example.com '*.slow.example.com'
hup
is "$(reloads)" 1 "SIGHUP: reloaded"
like "$(grep 'dnsgate: reloaded' "$tmp/dnsgate.log")" "reloaded $conf: 2 allowlist entries" \
	"the log names the file and counts the new entries"
is "$(status cname.example.com A)" NXDOMAIN "policy b: the cached cname.example.com is denied, not served"
is "$(status x.slow.example.com A)" NOERROR "policy b: x.slow.example.com resolves"

# A query in flight (the upstream takes a second) when policy a, which
# denies it, comes back: it finishes under b, where it started.
q y.slow.example.com A >"$tmp/inflight.out" &
inflight=$!
wait_until 2 log_has "$tmp/up.log" "bytes: y\.slow\.example\.com\." 1
write_conf a www.example.com cname.example.com
hup
wait "$inflight"
like "$(cat "$tmp/inflight.out")" "status: NOERROR" "a query in flight across the reload is answered under its policy"
like "$(grep '"name":"y.slow.example.com"' "$tmp/query.log")" '"verdict":"allow","entry":"\*\.slow\.example\.com depth=1"' \
	"and logged with the entry of the policy it started with"
is "$(status z.slow.example.com A)" NXDOMAIN "while new queries get the policy now in force"

# A configuration with errors: refused, the running one stays.
printf '[upstream]\nservers = 127.0.0.1:%s\n[policy]\nzones = a.zones\nallow = bad..name\nfrob = 1\n' \
	"$up_port" >"$tmp/next.conf"
mv "$tmp/next.conf" "$conf"
hup
like "$(cat "$tmp/dnsgate.log")" "$conf:5: bad name 'bad\.\.name'" "a bad entry: its FILE:LINE error is logged"
like "$(cat "$tmp/dnsgate.log")" "reload: 2 errors in the configuration; still serving the previous one" \
	"the reload is refused, the running policy kept"
is "$(status www.example.com A)" NOERROR "www.example.com still resolves"
is "$(status x.slow.example.com A)" NXDOMAIN "and the policy is still a"

# 50 reloads while a client asks steadily (in batches of 500, until the
# reloads are done; 100 batches at most): no answer lost, no SERVFAIL.
for i in $(seq 1 500); do echo "www.example.com A"; done >"$tmp/steady.txt"
(
	for b in $(seq 1 100); do
		[ -e "$tmp/stop" ] && break
		"$DIG" @127.0.0.1 -p "$DG_PORT" "$(dig_time 2)" +tries=1 -f "$tmp/steady.txt"
	done
) >"$tmp/steady.out" 2>&1 &
steady=$!
before=$(reloads)
for i in $(seq 1 50); do
	if [ $((i % 2)) = 0 ]; then
		write_conf a www.example.com cname.example.com
	else
		write_conf b www.example.com '*.slow.example.com'
	fi
	hup
done
kill -0 "$steady" 2>/dev/null
ok $? "the client was still asking when the 50th reload was done"
touch "$tmp/stop"
wait "$steady"
asked=$(grep -c 'status: \|timed out\|communications error' "$tmp/steady.out")
is "$(( $(reloads) - before ))" 50 "50 reloads, every one taken"
[ "$asked" -ge 1000 ]
ok $? "$asked queries across them"
is "$(grep -c 'status: NOERROR' "$tmp/steady.out")" "$asked" "every one answered NOERROR"
is "$(grep -c 'status: SERVFAIL' "$tmp/steady.out")" 0 "none SERVFAIL"
is "$(grep -c 'timed out\|communications error' "$tmp/steady.out")" 0 "none lost"
check_alive_and_stop
[ ! -e "$tmp/dnsgate.pid" ]
ok $? "the pid file is removed at exit"
"$DNSGATE" -c "$conf" --listen "127.0.0.1:$(free_port)" --pidfile "$tmp/no/such/dir.pid" \
	>"$tmp/nopid.log" 2>&1
is "$?" 1 "a pid file that cannot be written: exit 1"
like "$(cat "$tmp/nopid.log")" "cannot write the pid file $tmp/no/such/dir.pid: No such file or directory" \
	"naming the file and why"
done_testing
