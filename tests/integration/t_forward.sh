#!/usr/bin/env bash
# t_forward: split forwarding. Names under a [forward ZONE] go to that
# zone's servers only, every other name to [upstream]'s only; the longest
# zone wins; a name the allowlist denies goes nowhere, forward zone or
# not; a zone's servers fail over in order, as [upstream]'s do; and a
# reload that changes a zone's servers says it waits for a restart.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

sp='[[:space:]]+'
start_upstream corp "$srcdir/tests/integration/data/forward_corp.testns"
start_upstream pub "$srcdir/tests/integration/data/forward_public.testns"
dead_port=$(free_port) || exit 99

# The internal resolver comes second in its zone, after a closed port.
conf=$tmp/forward.conf
write_conf() { # write_conf CORP_SERVERS
	cat >"$conf" <<CONF
[upstream]
servers = 127.0.0.1:$pub_port
timeout_ms = 3000
[policy]
allow = www.example.com, *.corp.example, x.lab.corp.example
[forward corp.example]
servers = $1
[forward lab.corp.example]
servers = 127.0.0.1:$pub_port
CONF
}
write_conf "127.0.0.1:$dead_port, 127.0.0.1:$corp_port"
start_dnsgate -c "$conf" --pidfile "$tmp/dnsgate.pid"

t0=$(now_ms)
out=$(q "$(dig_time 6)" git.corp.example A)
elapsed=$(($(now_ms) - t0))
like "$out" "^git\.corp\.example\.${sp}[0-9]+${sp}IN${sp}A${sp}198\.51\.100\.1\$" \
	"a name under the forward zone: answered by the zone's server"
is "$(upstream_count corp git.corp.example.)" 1 "the zone's server was asked"
is "$(upstream_count pub git.corp.example.)" 0 "[upstream]'s was not"
limit=$(scaled_ms 1500 2900)
if [ "$elapsed" -lt "$limit" ]; then
	ok 0 "its first server, closed, was given up at once (${elapsed} ms < $limit)"
else
	ok 1 "its first server, closed, was given up at once (${elapsed} ms < $limit)"
fi
like "$(grep '"name":"git.corp.example"' "$tmp/dnsgate.log")" \
	"\"upstream\":\"127\.0\.0\.1:$corp_port\"" "the query log names the zone's server"

out=$(q www.example.com A)
like "$out" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.2\$" \
	"a name under no zone: answered by [upstream]"
is "$(upstream_count pub www.example.com.)" 1 "[upstream]'s server was asked"
is "$(upstream_count corp www.example.com.)" 0 "the zone's was not"

out=$(q x.lab.corp.example A)
like "$out" "^x\.lab\.corp\.example\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.12\$" \
	"under both zones: the longest (lab.corp.example) wins"
is "$(upstream_count corp x.lab.corp.example.)" 0 "the shorter zone's server was not asked"

out=$(q a.b.corp.example A)
like "$out" "status: NXDOMAIN" "a denied name under the forward zone is denied"
out=$(q secret.example.net A)
like "$out" "status: NXDOMAIN" "a name off the list is denied"
is "$(upstream_count corp a.b.corp.example.)$(upstream_count pub a.b.corp.example.)" 00 \
	"the denied name under the zone reached no upstream"
is "$(upstream_count corp secret.example.net.)$(upstream_count pub secret.example.net.)" 00 \
	"the name off the list reached no upstream"

# A reload cannot move a zone to other servers: the running upstreams stay
# those of the start, and the log says so.
write_conf "127.0.0.1:$pub_port"
hup
like "$(cat "$tmp/dnsgate.log")" "reload: \[forward corp\.example\] servers changed; it takes effect at the next start" \
	"a reload that changes a zone's servers says it waits for a restart"
out=$(q www.corp.example A)
is "$(upstream_count corp www.corp.example.)" 1 "after the reload the zone still goes to its servers of the start"
is "$(upstream_count pub www.corp.example.)" 0 "and not to the new ones"

check_alive_and_stop
done_testing
