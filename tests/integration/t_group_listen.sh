#!/usr/bin/env bash
# t_group_listen: [group NAME] listen = ADDR:PORT. A query that arrives on
# a group's own listener gets that group's policy, whatever its source
# address. The test plays a sandbox that forges its source: it asks on its
# listener (P2) from 127.0.0.2, an address of group lab, whose allowlist
# is wider. Over UDP and TCP it gets the sandbox's policy: the name only
# lab may ask is denied and never reaches the upstream, and the query log
# says group sandbox. The [server] listener (P1) still chooses by source.
# explain --listener says the same as the daemon, and a reload that
# reorders and renames the groups keeps each listener with its group.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS"

start_upstream up "$srcdir/tests/integration/data/basic.testns"
P2=$(free_port) || exit 99
P3=$(free_port) || exit 99
conf=$tmp/dnsgate.conf
qlog=$tmp/query.log
# write_conf GROUPS: [upstream], [policy] and [log], then GROUPS; moved
# into place whole, so a reload never reads half a file. [server] listen
# (P1) is start_dnsgate's --listen.
write_conf() {
	cat >"$tmp/next.conf" <<EOC
[upstream]
servers = 127.0.0.1:$up_port
[policy]
allow = www.example.com
[log]
query_log = $qlog
$1
EOC
	mv "$tmp/next.conf" "$conf"
}
sandbox="[group sandbox]
listen = 127.0.0.1:$P2
allow = www.example.com"
lab="[group lab]
clients = 127.0.0.2/32
allow = www.example.com, cname.example.com"
write_conf "$sandbox
$lab"
start_dnsgate -c "$conf" --pidfile "$tmp/dnsgate.pid"
P1=$DG_PORT

# status PORT SOURCE NAME [DIG ARGS...]: the status of NAME A asked at
# PORT from SOURCE.
status() {
	local port=$1 src=$2 name=$3
	shift 3
	"$DIG" @127.0.0.1 -p "$port" -b "$src" "$(dig_time 2)" +tries=1 "$@" "$name" A |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
# logged SOURCE NAME PROTO: the query log's last line for them.
logged() {
	grep "\"client\":\"$1:" "$qlog" | grep "\"proto\":\"$3\",\"name\":\"$2\"" | tail -n 1
}

like "$(grep "listening on" "$tmp/dnsgate.log")" "listening on 127\.0\.0\.1:$P1, 127\.0\.0\.1:$P2 \(udp, tcp\)" \
	"the group's listener is opened with [server] listen"

# The sandbox, from a borrowed address of lab, on its own listener.
is "$(status "$P2" 127.0.0.2 cname.example.com)" NXDOMAIN \
	"P2 from lab's 127.0.0.2 (UDP): cname.example.com is denied, as sandbox's policy says"
is "$(status "$P2" 127.0.0.2 cname.example.com +tcp)" NXDOMAIN \
	"and over TCP"
is "$(upstream_count up cname.example.com.)" 0 "neither asking reached the upstream"
like "$(logged 127.0.0.2 cname.example.com udp)" '"reason":"not-listed","group":"sandbox"' \
	"the query log names group sandbox (UDP)"
like "$(logged 127.0.0.2 cname.example.com tcp)" '"reason":"not-listed","group":"sandbox"' \
	"and over TCP"
is "$(status "$P2" 127.0.0.2 www.example.com)" NOERROR "P2: sandbox's own name resolves"
like "$(logged 127.0.0.2 www.example.com udp)" '"verdict":"allow","group":"sandbox"' \
	"under group sandbox"
is "$(status "$P2" 127.0.0.1 cname.example.com +tcp)" NXDOMAIN \
	"P2 from 127.0.0.1, in no group's clients: sandbox's policy too"

# The [server] listener chooses by source address, as before.
is "$(status "$P1" 127.0.0.1 cname.example.com)" NXDOMAIN "P1 from 127.0.0.1: the global policy"
[[ "$(logged 127.0.0.1 cname.example.com udp)" != *'"group"'* ]]
ok $? "logged with no group"
is "$(status "$P1" 127.0.0.1 www.example.com +tcp)" NOERROR "P1: the global name resolves"
is "$(status "$P1" 127.0.0.2 cname.example.com)" NOERROR \
	"P1 from 127.0.0.2: lab's policy, which P2 would not give"
is "$(upstream_count up cname.example.com.)" 1 "that one did reach the upstream"

# explain, with the daemon's own listeners (--listen as it was started).
explain() {
	"$DNSGATE" -c "$conf" --listen "127.0.0.1:$P1" explain "$@"
}
is "$(explain --listener "127.0.0.1:$P2" --client 127.0.0.2 cname.example.com)" \
	"deny not-listed [group sandbox]" "explain --listener P2 --client 127.0.0.2: as the daemon"
is "$(explain --listener "127.0.0.1:$P1" --client 127.0.0.2 cname.example.com)" \
	"allow (entry cname.example.com) [group lab]" "explain --listener P1 --client 127.0.0.2: as the daemon"
is "$(explain --listener "127.0.0.1:$P1" --client 127.0.0.1 cname.example.com)" \
	"deny not-listed [no group]" "explain --listener P1 --client 127.0.0.1: as the daemon"

# A reload that puts lab first and renames sandbox: were listeners mapped
# to groups by position, P2 would now be lab's and allow cname.
write_conf "$lab
[group box]
listen = 127.0.0.1:$P2
allow = www.example.com"
hup
is "$(grep -c "dnsgate: reloaded" "$tmp/dnsgate.log")" 1 "SIGHUP: the reordered groups are taken"
is "$(grep -c "listen changed" "$tmp/dnsgate.log")" 0 "with the same sockets, no restart is asked for"
is "$(status "$P2" 127.0.0.2 cname.example.com)" NXDOMAIN \
	"after the reload, P2 from 127.0.0.2 (UDP) is still denied cname.example.com"
is "$(status "$P2" 127.0.0.2 cname.example.com +tcp)" NXDOMAIN "and over TCP"
like "$(logged 127.0.0.2 cname.example.com tcp)" '"reason":"not-listed","group":"box"' \
	"logged under the group's new name"
is "$(status "$P1" 127.0.0.2 cname.example.com +tcp)" NOERROR \
	"P1 from 127.0.0.2 still gets lab's policy"
is "$(upstream_count up cname.example.com.)" 2 "only lab's askings reached the upstream"

# A group's new listen address needs a restart, as [server] listen does.
write_conf "$lab
[group box]
listen = 127.0.0.1:$P2, 127.0.0.1:$P3
allow = www.example.com"
hup
like "$(cat "$tmp/dnsgate.log")" "reload: \[group box\] listen changed; it takes effect at the next start" \
	"a group listen added on reload: said to wait for the next start"
is "$(status "$P2" 127.0.0.2 cname.example.com)" NXDOMAIN "P2 is still box's"
check_alive_and_stop
done_testing
