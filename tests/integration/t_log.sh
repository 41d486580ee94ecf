#!/usr/bin/env bash
# t_log: [log] level filters the diagnostics, at start and after each
# reload. With workers = 3: level = debug shows the debug lines, each
# once; level = err says nothing at start (not even where it listens) and
# serves all the same; a reload to debug is taken at once; a query log
# that every worker fails to reopen on SIGUSR1 is reported once per
# signal, not once per worker.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/basic.testns"
conf=$tmp/dnsgate.conf
mkdir "$tmp/qlog"
# write_conf LEVEL: three workers, at that level, moved into place whole.
write_conf() {
	printf '[server]\nworkers = 3\n[upstream]\nservers = 127.0.0.1:%s\n' "$up_port" >"$tmp/next.conf"
	printf '[policy]\nallow = www.example.com\n' >>"$tmp/next.conf"
	printf '[log]\nquery_log = %s\nlevel = %s\n' "$tmp/qlog/query.log" "$1" >>"$tmp/next.conf"
	mv "$tmp/next.conf" "$conf"
}
log() { cat "$tmp/dnsgate.log"; }
count() { grep -c -- "$1" "$tmp/dnsgate.log"; }
# Lines said more than once from line FROM on (none expected: each is
# one event's).
repeated() { tail -n "+${1:-1}" "$tmp/dnsgate.log" | sort | uniq -d; }

write_conf debug
start_dnsgate -c "$conf"
like "$(log)" "^dnsgate: open files are limited to [0-9]+, over the [0-9]+ the caps may take" \
	"level = debug: the debug line on the descriptor limit is shown"
like "$(log)" "listening on .*; 3 workers" "and the start-up line"
is "$(repeated)" "" "each line once, with 3 workers"
check_alive_and_stop

# level = err: nothing to wait for in the log, so wait for answers.
write_conf err
DG_PORT=$(free_port) || exit 99
"$DNSGATE" -c "$conf" --listen "127.0.0.1:$DG_PORT" >"$tmp/dnsgate.log" 2>&1 &
DG_PID=$!
pids+=("$DG_PID")
if ! wait_until 5 eval 'q www.example.com A | grep -q "status: NOERROR"'; then
	echo "# dnsgate did not start:"; sed 's/^/#   /' "$tmp/dnsgate.log"
	exit 99
fi
is "$(log)" "" "level = err: nothing said at start, not even where it listens"

write_conf debug
kill -HUP "$DG_PID"
wait_until 5 log_has "$tmp/dnsgate.log" "reloaded" 1
is "$(count "reloaded $conf: 1 allowlist entries")" 1 \
	"reloaded to level = debug: the reload is said (info), once"
is "$(count "SIGHUP: reading")" 0 \
	"what was said before the new level was taken stays filtered"
from=$(($(wc -l <"$tmp/dnsgate.log") + 1))
kill -HUP "$DG_PID"
wait_until 5 log_has "$tmp/dnsgate.log" "reloaded" 2
is "$(count "SIGHUP: reading $conf")" 1 "the next SIGHUP: its debug line, once"
is "$(count "reloaded")" 2 "one 'reloaded' a reload, not one a worker"
is "$(repeated "$from")" "" "no line of that reload said twice"

# The query log's folder goes: each of the 3 workers fails to reopen it.
rm -rf "$tmp/qlog"
kill -USR1 "$DG_PID"
wait_until 5 log_has "$tmp/dnsgate.log" "cannot reopen the query log" 1
sleep 0.5
is "$(count "SIGUSR1: cannot reopen the query log: no such file or directory; writing to the old one")" 1 \
	"3 workers fail to reopen the query log: said once"
kill -USR1 "$DG_PID"
wait_until 5 log_has "$tmp/dnsgate.log" "cannot reopen the query log" 2
sleep 0.5
is "$(count "cannot reopen the query log")" 2 "a second SIGUSR1 failing too: said again, once"
mkdir "$tmp/qlog"
kill -USR1 "$DG_PID"
wait_until 5 log_has "$tmp/dnsgate.log" "SIGUSR1: reopened the query log" 1
is "$(count "cannot reopen the query log")" 2 "the folder back: no failure more"
check_alive_and_stop
done_testing
