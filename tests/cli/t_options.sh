#!/usr/bin/env bash
# t_options: the command line itself: --help (each command's too),
# --version, and the exit status 2 for anything dnsgate cannot make sense
# of.
. "$srcdir/tests/cli/lib.sh"

run --help
tap_status 0 "--help exits 0"
tap_is "$(err)" "" "--help prints nothing on stderr"
help=$(out)
for word in "-c, --config FILE" --listen --upstream --zones --allow \
	--query-log --check --help --version \
	"explain [--client ADDR] [--listener ADDR:PORT]" \
	"import [--format F] [--depth N] FILE"; do
	tap_match "$help" "$word" "--help mentions $word"
done
run -h
tap_status 0 "-h exits 0"
tap_is "$(out)" "$help" "-h prints the same help"

# Each command's own help: its usage line, nothing of the others'.
for cmd in explain import learn firewall; do
	run "$cmd" --help
	tap_status 0 "$cmd --help exits 0"
	tap_match "$(out)" "Usage: dnsgate" "$cmd --help prints a usage"
	tap_match "$(head -n 1 "$tmp/out")" " $cmd" "$cmd --help: the usage of $cmd"
	tap_ok "$cmd --help is not the whole help" test "$(out)" != "$help"
	tap_is "$(err)" "" "$cmd --help prints nothing on stderr"
done
run import --depth 2 --help
tap_match "$(head -n 1 "$tmp/out")" "dnsgate import" \
	"--help after a command's options: still its help"
run --help explain
tap_match "$(head -n 1 "$tmp/out")" "explain" "--help before the command: its help"
run --check --help
tap_status 0 "--check --help exits 0"
tap_is "$(out)" "$help" "--check --help: the whole help (no configuration read)"

run --version
tap_status 0 "--version exits 0"
tap_is "$(out)" "dnsgate 0.1.0" "--version prints the name and version"
run -V
tap_is "$(out)" "dnsgate 0.1.0" "-V prints the same"

run --bogus
tap_status 2 "an unknown option exits 2"
tap_match "$(err)" "Try 'dnsgate --help'." "an unknown option points to --help"
tap_is "$(out)" "" "an unknown option prints nothing on stdout"
run --listen
tap_status 2 "an option without its argument exits 2"
run frobnicate
tap_status 2 "an unknown command exits 2"
tap_is "$(err)" "dnsgate: unknown command 'frobnicate'. Try 'dnsgate --help'." \
	"an unknown command is named"

run --listen bogus --allow x.example explain x.example
tap_status 2 "--listen bogus exits 2"
tap_is "$(err)" "command line: --listen: 'bogus' is not an address (ADDR, ADDR:PORT or [IPV6]:PORT)
dnsgate: 1 error in the configuration" "--listen bogus: the error names --listen"
run --upstream 127.0.0.1:0 --allow x.example --check
tap_status 2 "--upstream with port 0 exits 2"
tap_match "$(err)" "--upstream: '127.0.0.1:0' is not an address" \
	"--upstream: the error names --upstream"
run --allow 'x.example depth=abc' explain x.example
tap_status 2 "a bad --allow exits 2"
tap_match "$(err)" "--allow: depth: 'abc' is not a number from 0 to 127" \
	"a bad --allow: the error names --allow"
run --zones "$tmp/no-such.zones" explain x.example
tap_status 2 "a missing --zones file exits 2"
tap_is "$(err)" "--zones: zones: cannot read '$tmp/no-such.zones': No such file or directory
dnsgate: 1 error in the configuration" \
	"a missing --zones file: the error names --zones and the file"
run -c "$tmp/no-such.conf" explain x.example
tap_status 2 "a missing -c file exits 2"

# Repeated flags accumulate; --listen replaces the file's list.
run --listen 127.0.0.1:5301 --listen '[::1]:5302' --upstream 127.0.0.1:5399 \
	--upstream '::1' --allow a.example --allow b.example --check
tap_status 0 "repeated flags are accepted"
tap_match "$(out)" "listen = 127.0.0.1:5301, [::1]:5302" "--listen repeats"
tap_match "$(out)" "servers = 127.0.0.1:5399, [::1]:53" \
	"--upstream repeats, port 53 by default"
tap_match "$(out)" "allow = a.example, b.example" "--allow repeats"
printf 'z.example\n' >"$tmp/z.zones"
run --zones "$tmp/z.zones" --allow a.example explain z.example
tap_status 0 "--zones and --allow together both apply"
run --query-log "$tmp/q.log" --upstream 127.0.0.1:5399 --allow a.example --check
tap_match "$(out)" "query_log = $tmp/q.log" "--query-log FILE is taken"

# firewall: the backend is required, one only; targets are checked.
run --listen 10.0.0.53:53 --allow x.example firewall --nft
tap_status 0 "firewall --nft exits 0"
tap_match "$(out)" "table inet dnsgate" "and prints an nftables table"
run --listen 10.0.0.53:53 --allow x.example firewall --iptables --family 4
tap_status 0 "firewall --iptables --family 4 exits 0"
tap_match "$(out)" ":DNSGATE - [0:0]" "and prints an iptables-restore chain"
run --listen 10.0.0.53:53 --allow x.example firewall
tap_status 2 "firewall without --nft or --iptables exits 2"
run --listen 10.0.0.53:53 --allow x.example firewall --nft --iptables
tap_status 2 "firewall with both backends exits 2"
run --listen 10.0.0.53:53 --allow x.example firewall --nft --target docker
tap_status 2 "an unknown target exits 2"
tap_match "$(err)" "unknown target 'docker'" "naming the target"
run --listen 10.0.0.53:53 --nft explain x.example
tap_status 2 "a firewall option without 'firewall' exits 2"

# docker-user: --subnet required, and only there.
run --listen 10.0.0.53:53 --allow x.example firewall --nft --target docker-user \
	--subnet 172.18.0.0/16 --subnet fd00:18::/64
tap_status 0 "firewall --target docker-user --subnet exits 0"
tap_match "$(out)" "table inet dnsgate_docker {" "and prints its own nft table"
tap_match "$(out)" "ip saddr 172.18.0.0/16 ip daddr 10.0.0.53" \
	"scoped to the IPv4 subnet"
tap_match "$(out)" "ip6 saddr fd00:18::/64 meta l4proto" \
	"and to the IPv6 subnet"
run --listen 10.0.0.53:53 --allow x.example firewall --iptables --target docker-user \
	--subnet 172.18.0.0/16 --family 4
tap_status 0 "firewall --iptables --target docker-user exits 0"
tap_match "$(out)" ":DNSGATE-USER - [0:0]" "and prints the DNSGATE-USER chain"
tap_match "$(out)" "iptables -C DOCKER-USER -j DNSGATE-USER" \
	"and the one-time jump from DOCKER-USER"
run --listen 10.0.0.53:53 --allow x.example firewall --nft --target docker-user
tap_status 0 "docker-user without --subnet exits 0"
tap_match "$(out)" 'iifname "br-*" meta l4proto { tcp, udp } th dport' \
	"and matches every Docker bridge by interface"
run --listen 10.0.0.53:53 --allow x.example firewall --iptables --target docker-user \
	--family 4
tap_status 0 "iptables docker-user without --subnet exits 0"
tap_match "$(out)" "-A DNSGATE-USER -i br-+ -d 10.0.0.53/32 -p udp" \
	"and matches the bridges with -i"

# --egress: nft only, with sets in one inet table.
cat >"$tmp/egress.conf" <<'EOC'
[policy]
allow = x.example
[firewall]
nft_set = inet eg allowed4
EOC
run -c "$tmp/egress.conf" --listen 127.0.0.1:53 firewall --iptables --egress
tap_status 2 "--iptables --egress exits 2"
tap_is "$(err)" "dnsgate: firewall: --egress needs --nft: iptables cannot match the nftables sets dnsgate fills" \
	"in one line, pointing at --nft"
tap_is "$(out)" "" "and prints no rules"
run -c "$tmp/egress.conf" --listen 127.0.0.1:53 firewall --nft --egress
tap_status 0 "--nft --egress exits 0"
tap_match "$(out)" "add set inet eg allowed4 { type ipv4_addr; flags timeout; }" \
	"and declares the set"
run -c "$tmp/egress.conf" --listen 127.0.0.1:53 firewall --nft --group x
tap_status 2 "--group without --egress exits 2"
run -c "$tmp/egress.conf" --listen 127.0.0.1:53 firewall --nft --egress \
	--target docker-user --group x
tap_status 2 "--group with docker-user exits 2"
printf '[group g]\nclients = 10.0.0.0/8\nallow = g.example\nnft_set = inet other g4\n' >>"$tmp/egress.conf"
run -c "$tmp/egress.conf" --listen 127.0.0.1:53 firewall --nft --egress
tap_status 2 "--egress with a group's set in another table exits 2"
tap_is "$(err)" "dnsgate: firewall: $tmp/egress.conf:8: [group g] nft_set: 'inet other g4' is not in table inet eg (line 4): --egress needs every set in one table" \
	"naming the file and line of the key"
run --listen 10.0.0.53:53 --allow x.example firewall --nft --subnet 172.18.0.0/16
tap_status 2 "--subnet with the container target exits 2"
tap_match "$(err)" "--subnet goes with --target docker-user" \
	"saying where --subnet goes"
run --listen 10.0.0.53:53 --allow x.example firewall --iptables --target container \
	--subnet 172.18.0.0/16
tap_status 2 "--subnet with an explicit --target container exits 2"
run --listen 10.0.0.53:53 --allow x.example firewall --nft --target docker-user --subnet bogus
tap_status 2 "a bad --subnet exits 2"
tap_match "$(err)" "--subnet: 'bogus' is not a prefix" "naming the bad --subnet"
run --listen 10.0.0.53:53 --allow x.example firewall --nft --target docker-user \
	--subnet 172.18.0.1/16
tap_status 2 "a --subnet with host bits set exits 2"
run --listen 10.0.0.53:53 --allow x.example firewall --nft --target docker-user \
	--subnet 172.18.0.0/16 --redirect
tap_status 2 "--redirect with docker-user exits 2"
run --listen 10.0.0.53:53 --subnet 172.18.0.0/16 explain x.example
tap_status 2 "--subnet without 'firewall' exits 2"

# firewall --target host: only dnsgate's user may reach 53 and 853 elsewhere.
run --listen 127.0.0.1:53 --allow x.example firewall --nft --target host
tap_status 2 "host without a user exits 2"
tap_match "$(err)" "--target host needs the user dnsgate runs as" \
	"naming the missing user"
tap_is "$(out)" "" "host without a user prints no rules"
run --listen 127.0.0.1:53 --allow x.example --user dnsgate firewall --nft --target host
tap_status 0 "host with --user exits 0"
tap_match "$(out)" 'meta skuid "dnsgate" meta l4proto { tcp, udp } th dport { 53, 853 } accept' \
	"the user from --user reaches 53 and 853"
printf '[server]\nuser = _dnsgate\n[policy]\nallow = x.example\n' >"$tmp/user.conf"
run -c "$tmp/user.conf" --listen 127.0.0.1:53 firewall --iptables --target host --family 6
tap_status 0 "host with [server] user exits 0"
tap_match "$(out)" "-A DNSGATE -m owner --uid-owner _dnsgate -p tcp -m multiport --dports 53,853 -j RETURN" \
	"the user from [server] user, for ip6tables"
run --listen 127.0.0.1:53 --allow x.example --user dnsgate firewall --nft --target host \
	--docker-dns
tap_status 2 "--docker-dns with the host target exits 2"
tap_match "$(err)" "--docker-dns goes with --target container" "saying where it goes"
run --listen 10.0.0.53:53 --allow x.example firewall --iptables --docker-dns --family 4
tap_status 0 "--docker-dns with the container target exits 0"
tap_match "$(out)" "-A DNSGATE -d 127.0.0.11/32 -p udp -m conntrack --ctorigdstport 53 -j RETURN" \
	"and lets 127.0.0.11 through"
run --listen 127.0.0.1:53 --allow x.example --user dnsgate firewall --nft --target host \
	--subnet 172.18.0.0/16
tap_status 2 "--subnet with the host target exits 2"

# --allow-user: users of this system only, host and container targets.
run --listen 127.0.0.1:53 --allow x.example --user dnsgate firewall --nft --target host \
	--allow-user root --allow-user 0
tap_status 0 "--allow-user root and by uid exits 0"
tap_match "$(out)" 'meta skuid "root" meta l4proto { tcp, udp } th dport { 53, 853 } accept' \
	"the allowed user reaches 53 and 853"
tap_match "$(out)" 'meta skuid "0" meta l4proto' "a uid is kept as given"
run --listen 127.0.0.1:53 --allow x.example --user dnsgate firewall --nft --target host \
	--allow-user no-such-user-here
tap_status 2 "an unknown --allow-user exits 2"
tap_match "$(err)" "--allow-user: no user 'no-such-user-here' on this system" "naming it"
tap_is "$(out)" "" "and prints no rules"
run --listen 127.0.0.1:53 --allow x.example firewall --nft --allow-user 'a" accept; #'
tap_status 2 "a --allow-user that is no user never reaches the rules"
run --listen 10.0.0.53:53 --allow x.example firewall --iptables --family 4 --allow-user root
tap_status 0 "--allow-user with the container target exits 0"
tap_match "$(out)" "-A DNSGATE -m owner --uid-owner root -p udp" "and allows that user"
run --listen 10.0.0.53:53 --allow x.example firewall --nft --target docker-user \
	--subnet 172.18.0.0/16 --allow-user root
tap_status 2 "--allow-user with docker-user exits 2"
tap_match "$(err)" "--allow-user goes with --target host or container" "saying where it goes"
run --listen 127.0.0.1:53 --allow-user root --check
tap_status 2 "--allow-user without 'firewall' exits 2"

# systemd-resolved, looked for under DNSGATE_SYSROOT: named in the host
# header when present, by its runtime directory or by resolv.conf.
mkdir -p "$tmp/none/etc" "$tmp/rundir/run/systemd/resolve" "$tmp/stub/etc"
echo 'nameserver 10.0.0.1' >"$tmp/none/etc/resolv.conf"
printf '# systemd\nnameserver 127.0.0.53\noptions edns0\n' >"$tmp/stub/etc/resolv.conf"
for root in none rundir stub; do
	DNSGATE_SYSROOT=$tmp/$root run --listen 127.0.0.1:53 --allow x.example \
		--user dnsgate firewall --nft --target host
	tap_status 0 "host rules with sysroot $root exit 0"
	if [ $root = none ]; then
		tap_ok "no systemd-resolved: not named" \
			bash -c '! grep -q systemd-resolved "$1"' _ "$tmp/out"
	else
		tap_match "$(out)" "# systemd-resolved runs here" "$root: systemd-resolved named"
		tap_match "$(out)" "add --allow-user systemd-resolve" "$root: and the option to add"
	fi
done
DNSGATE_SYSROOT=$tmp/stub run --listen 10.0.0.53:53 --allow x.example firewall --nft
tap_ok "the container target: not named" bash -c '! grep -q systemd-resolved "$1"' _ "$tmp/out"

# --verify: its options go with it, and it takes none of the printing ones.
run --listen 127.0.0.1:53 --allow x.example firewall --nft --resolver 10.0.0.1
tap_status 2 "--resolver without --verify exits 2"
tap_match "$(err)" "go with --verify" "saying so"
run --listen 127.0.0.1:53 --allow x.example firewall --verify --nft
tap_status 2 "--verify with --nft exits 2"
tap_match "$(err)" "it takes none of the options that print them" "saying why"
run --listen 127.0.0.1:53 --allow x.example firewall --verify --target host
tap_status 2 "--verify with --target exits 2"
run --listen 127.0.0.1:53 --allow x.example firewall --verify --timeout 0
tap_status 2 "--timeout 0 exits 2"
run --listen 127.0.0.1:53 --allow x.example firewall --verify --outside 10.0.0.1
tap_status 2 "--outside without a port exits 2"
tap_match "$(err)" "--outside: '10.0.0.1' is not an address with a port" "naming it"
tap_is "$(out)" "" "and checks nothing"
run --listen 127.0.0.1:53 --allow x.example firewall --verify --resolver bogus
tap_status 2 "a bad --resolver exits 2"
run --listen 127.0.0.1:53 --allow x.example firewall --verify --allowed 'a..b'
tap_status 2 "a bad --allowed exits 2"
run --listen 127.0.0.1:53 --allow x.example --verify --check
tap_status 2 "--verify without 'firewall' exits 2"

run --listen 127.0.0.1:53 --allow x.example --user 'a b' --check
tap_status 2 "a --user that is not a user name exits 2"
tap_match "$(err)" "--user: 'a b' is not a user name or uid" "naming the bad --user"
printf '[server]\nuser = x/y\n[policy]\nallow = x.example\n' >"$tmp/baduser.conf"
run -c "$tmp/baduser.conf" --check
tap_status 2 "a [server] user that is not a user name exits 2"
tap_match "$(err)" "baduser.conf:2: user: 'x/y' is not a user name or uid" \
	"naming the file, line and key"

tap_done
