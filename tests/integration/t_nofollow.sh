#!/usr/bin/env bash
# t_nofollow: the files dnsgate writes (the query log, the pid file) are
# never opened through a symbolic link, since dnsgate often starts as root
# and a link planted where such a file goes (a world-writable folder)
# would have it write wherever the link points. A link is refused with an
# error naming the file, and its target is left as it was; a regular file
# is written as before.
. "$srcdir/tests/integration/lib.sh"
need "$DIG"

printf 'precious\n' >"$tmp/target"
ln -s "$tmp/target" "$tmp/query.log"
ln -s "$tmp/target" "$tmp/dnsgate.pid"

# run ARGS...: dnsgate on a free port for at most 5 s; its status and
# stderr in $tmp/run.err.
run() {
	local port
	port=$(free_port) || exit 99
	timeout $((5 * time_scale)) "$DNSGATE" --listen "127.0.0.1:$port" --upstream 127.0.0.1:9 \
		--allow example.com "$@" >/dev/null 2>"$tmp/run.err"
}

run --query-log "$tmp/query.log"
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ]
ok $? "a query log that is a symbolic link: dnsgate refuses to start (exit $rc)"
like "$(cat "$tmp/run.err")" "query log $tmp/query.log" "the error names the file"
is "$(cat "$tmp/target")" "precious" "and the link's target is untouched"

run --query-log "$tmp/real.log" --pidfile "$tmp/dnsgate.pid"
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ]
ok $? "a pid file that is a symbolic link: refused too (exit $rc)"
like "$(cat "$tmp/run.err")" "pid file $tmp/dnsgate.pid" "the error names the file"
is "$(cat "$tmp/target")" "precious" "and the link's target is untouched"

# Regular files still work: the pid file holds the pid, the log a line.
rm -f "$tmp/dnsgate.pid"
start_dnsgate --upstream 127.0.0.1:9 --allow example.com \
	--query-log "$tmp/plain.log" --pidfile "$tmp/dnsgate.pid"
wait_until 5 test -s "$tmp/dnsgate.pid"
is "$(cat "$tmp/dnsgate.pid")" "$DG_PID" "a regular pid file holds the pid"
q denied.invalid A >/dev/null
wait_until 5 log_has "$tmp/plain.log" '"name":"denied.invalid"' 1
ok $? "a regular query log gets its line"
check_alive_and_stop
done_testing
