#!/usr/bin/env bash
# t_reload_running: a reload that changes settings which only take effect
# at the next start serves on with what runs. The metrics name the
# upstream servers dnsgate really asks (the start's), not the new file's:
# with one worker and with three, a reload to five servers, then one
# fewer than at start (twice), and a scrape after each; and every reload
# says the servers wait for a restart, the one that changed nothing too. The old server
# summed the upstream figures over the new file's count, reading and
# writing past arrays sized at start (a heap overflow under ASan).
. "$srcdir/tests/integration/lib.sh"
need "$DIG" "$LDNS_TESTNS" curl

start_upstream up "$srcdir/tests/integration/data/basic.testns"
start_upstream up2 "$srcdir/tests/integration/data/basic.testns"

# conf WORKERS SERVERS: the configuration file, servers comma separated.
conf() {
	cat >"$tmp/dnsgate.conf" <<EOC
[server]
workers = $1
[upstream]
servers = $2
[policy]
allow = *.example.com
[metrics]
listen = 127.0.0.1:$mport
EOC
}

for workers in 1 3; do
	mport=$(free_port) || exit 99
	conf "$workers" "127.0.0.1:$up_port, 127.0.0.1:$up2_port"
	start_dnsgate -c "$tmp/dnsgate.conf"
	url=http://127.0.0.1:$mport/metrics
	like "$(q www.example.com A)" "status: NOERROR" "$workers worker(s): answered before the reload"

	reloads=0
	for servers in "127.0.0.1:$up_port, 127.0.0.1:$up2_port, 127.0.0.1:1, 127.0.0.1:2, 127.0.0.1:3" \
		"127.0.0.1:$up2_port" "127.0.0.1:$up2_port"; do
		conf "$workers" "$servers"
		reloads=$((reloads + 1))
		kill -HUP "$DG_PID"
		wait_until 5 log_has "$tmp/dnsgate.log" "dnsgate: reloaded" "$reloads"
		like "$(q www.example.com A)" "status: NOERROR" \
			"$workers worker(s): answered after reload $reloads"
		curl -sf "$url" >"$tmp/m.txt"
		ok $? "$workers worker(s): scraped after reload $reloads"
		is "$(grep -c '^dnsgate_upstream_queries_total{' "$tmp/m.txt")" 2 \
			"$workers worker(s): the two running upstreams, no more, no fewer"
		is "$(grep -c "^dnsgate_upstream_queries_total{upstream=\"127.0.0.1:$up_port\"}" "$tmp/m.txt")" 1 \
			"$workers worker(s): the first running upstream is named"
	done
	# Against what runs, not the last file: the third reload changes
	# nothing in the file, and the servers still wait for a restart.
	is "$(grep -c 'upstream\] servers changed; it takes effect at the next start' "$tmp/dnsgate.log")" 3 \
		"$workers worker(s): each reload says the servers change at the next start"
	check_alive_and_stop
	# That dnsgate is stopped and reaped: forget its PID, keep the
	# upstreams' for the cleanup.
	keep=()
	for pid in "${pids[@]}"; do
		[ "$pid" = "$DG_PID" ] || keep+=("$pid")
	done
	pids=("${keep[@]}")
done
done_testing
