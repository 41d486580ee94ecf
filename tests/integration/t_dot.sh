#!/usr/bin/env bash
# t_dot: DNS over TLS to the upstream (RFC 7858). Unbound serves TLS on
# loopback with a certificate from a CA made here; dnsgate asks it through
# `servers = tls://ADDR:PORT#NAME` and `tls_ca_file`. An answer comes
# through when the certificate chains to that CA and carries NAME; a wrong
# NAME or another CA gets SERVFAIL, the log says why, and no question
# reaches Unbound at all (it listens for plain DNS on UDP on the same port,
# so a fallback to clear text would show in its query log). Several
# queries share one connection; a dead tls:// server fails over to the
# next.
. "$srcdir/tests/integration/lib.sh"
need "$DIG" unbound unbound-checkconf openssl ss

sp='[[:space:]]+'
name=upstream.dnsgate.test

# A test CA, a server certificate it signs for $name, and another CA.
make_ca() { # make_ca BASENAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$tmp/$1.key" -out "$tmp/$1.pem" -days 2 \
		-subj "/CN=dnsgate $1" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
make_ca ca && make_ca other-ca || skip_all "openssl cannot make a CA"
printf '%s\n' "subjectAltName=DNS:$name" "basicConstraints=CA:FALSE" \
	"extendedKeyUsage=serverAuth" >"$tmp/server.ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/CN=$name" \
	2>/dev/null &&
	openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" \
		-CAkey "$tmp/ca.key" -CAcreateserial -days 2 \
		-extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null ||
	skip_all "openssl cannot sign a server certificate"

# Unbound: TLS on TCP, plain DNS on UDP, the same port; local data only
# (no root hints, no trust anchor), every query logged.
up_port=$(free_port) || exit 99
cat >"$tmp/unbound.conf" <<CONF
server:
	interface: 127.0.0.1@$up_port
	tls-port: $up_port
	tls-service-key: "$tmp/server.key"
	tls-service-pem: "$tmp/server.pem"
	do-ip6: no
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$tmp"
	pidfile: ""
	use-syslog: no
	logfile: ""
	log-queries: yes
	verbosity: 1
	do-not-query-localhost: no
	module-config: "iterator"
	tcp-idle-timeout: 60000
	local-zone: "example.com." static
	local-data: "www.example.com. 300 IN A 192.0.2.1"
	local-data: "wrongname.example.com. 300 IN A 192.0.2.2"
	local-data: "wrongca.example.com. 300 IN A 192.0.2.3"
	local-data: "failover.example.com. 300 IN A 192.0.2.4"
$(for i in 1 2 3 4 5 6; do
	printf '\tlocal-data: "n%s.example.com. 300 IN A 192.0.2.1%s"\n' "$i" "$i"
done)
remote-control:
	control-enable: no
CONF
out=$(unbound-checkconf "$tmp/unbound.conf" 2>&1)
like "$out" "no errors" "unbound-checkconf accepts the test's Unbound config"
unbound -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 &
pids+=($!)
wait_until 5 eval "ss -Htln 'sport = :$up_port' | grep -q ." ||
	{ sed 's/^/#   /' "$tmp/unbound.log"; exit 99; }

# Unbound's "info: 127.0.0.1 NAME A IN" lines for NAME.
unbound_count() { # unbound_count NAME
	grep -c "info: 127\.0\.0\.1 ${1//./\\.}\. A IN" "$tmp/unbound.log"
}

dot_conf() { # dot_conf SERVERS CA_FILE
	cat >"$tmp/dot.conf" <<CONF
[upstream]
servers = $1
tls_ca_file = $2
timeout_ms = $((1000 * time_scale))
[policy]
new_names_per_minute = 1000
new_names_per_minute_total = 1000
CONF
}

# Part 1: the right name and CA.
dot_conf "tls://127.0.0.1:$up_port#$name" "$tmp/ca.pem"
start_dnsgate -c "$tmp/dot.conf" --allow '*.example.com'
out=$(q "$(dig_time 4)" www.example.com A)
like "$out" "^www\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.1\$" "a name allowed: answered over TLS"
is "$(unbound_count www.example.com)" 1 "Unbound was asked once"
for i in 1 2 3 4 5 6; do
	out=$(q "$(dig_time 4)" "n$i.example.com" A)
	like "$out" "IN${sp}A${sp}192\.0\.2\.1$i\$" "query $i more answered"
done
# A burst past the 64 a connection has in flight: the rest wait their
# turn on it. Unbound's static zone answers NXDOMAIN for each at once.
cat >"$tmp/burst.py" <<'PY'
import os, select, socket, struct, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
for i in range(count):
    name = b"".join(bytes([len(l)]) + l
                    for l in (b"burst%d" % i, b"example", b"com")) + b"\0"
    s.send(struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + name +
           struct.pack(">HH", 1, 1))
rcodes, deadline = {}, time.time() + 5 * float(os.environ["DG_TIME_SCALE"])
while len(rcodes) < count and time.time() < deadline:
    if select.select([s], [], [], 0.2)[0]:
        pkt = s.recv(4096)
        rcodes[struct.unpack(">H", pkt[:2])[0]] = pkt[3] & 15
print(" ".join("%d:%d" % (r, list(rcodes.values()).count(r))
               for r in sorted(set(rcodes.values()))))
PY
is "$(python3 "$tmp/burst.py" "$DG_PORT" 150)" "3:150" "150 queries at once: each gets Unbound's NXDOMAIN"
is "$(grep -c 'info: 127\.0\.0\.1 burst[0-9]*\.example\.com\. A IN' "$tmp/unbound.log")" 150 "Unbound was asked each"
conns=$(ss -Htn state established "( dport = :$up_port )" | wc -l)
is "$conns" 1 "157 queries, one TLS connection open to Unbound"
closed=$(ss -Htn state time-wait "( dport = :$up_port )" | wc -l)
is "$closed" 0 "and none closed by dnsgate along the way"

# Idle for 10 s, the connection closes; the next query opens another.
wait_until 15 eval "[ \$(ss -Htn state established '( dport = :$up_port )' | wc -l) = 0 ]"
ok $? "idle, the connection is closed"
out=$(q "$(dig_time 4)" www.example.com A)
like "$out" "status: NOERROR" "the next query (from the cache) still answers"
out=$(q "$(dig_time 4)" n1.example.com AAAA)
like "$out" "status: NOERROR" "and one that needs Unbound, on a new connection"
check_alive_and_stop

# refused SERVERS CA_FILE QNAME LOG_REGEX WHAT: a certificate dnsgate must
# refuse: SERVFAIL, the log says why, and nothing reaches Unbound.
refused() {
	dot_conf "$1" "$2"
	start_dnsgate -c "$tmp/dot.conf" --allow '*.example.com'
	out=$(q "$(dig_time 4)" "$3" A)
	like "$out" "status: SERVFAIL" "$5: SERVFAIL"
	like "$(cat "$tmp/dnsgate.log")" "certificate refused:.*$4" "$5: the log says why"
	is "$(unbound_count "$3")" 0 "$5: the question never reached Unbound, over TLS or in clear text"
	check_alive_and_stop
}

# Part 2: a name the certificate does not carry.
refused "tls://127.0.0.1:$up_port#wrong.dnsgate.test" "$tmp/ca.pem" \
	wrongname.example.com "does not match" "a wrong #NAME"

# Part 3: a CA that did not sign the server's certificate.
refused "tls://127.0.0.1:$up_port#$name" "$tmp/other-ca.pem" \
	wrongca.example.com "(NOT trusted|issuer is unknown)" "another CA"

# Part 4: a dead tls:// server first, then the live one.
dead_port=$(free_port) || exit 99
dot_conf "tls://127.0.0.1:$dead_port#$name, tls://127.0.0.1:$up_port#$name" "$tmp/ca.pem"
start_dnsgate -c "$tmp/dot.conf" --allow '*.example.com'
out=$(q "$(dig_time 4)" failover.example.com A)
like "$out" "^failover\.example\.com\.${sp}[0-9]+${sp}IN${sp}A${sp}192\.0\.2\.4\$" "a dead first tls:// server: the second answers"
is "$(unbound_count failover.example.com)" 1 "Unbound was asked once"
check_alive_and_stop

done_testing
