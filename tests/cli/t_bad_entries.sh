#!/usr/bin/env bash
# t_bad_entries: what people paste into an allowlist that is not a name (a
# URL, an adblock rule, host:port, a range, an address, a name in Unicode,
# a flag, an option on a line of its own) makes `dnsgate --check` exit 2
# with each line as FILE:LINE and what to write instead; so does a comma
# between the options of an inline allow = entry, which once made an entry
# of its own and let `explain` say allow.
. "$srcdir/tests/cli/lib.sh"

zones=$tmp/bad.zones
cat >"$zones" <<'ZONES'
# each line below is refused; fine.example is the one good entry
https://github.com/
||adblock.example^
foo.example:443
10.0.0.0/8
bücher.example
-i
types=a
depth=3
192.0.2.1
fine.example depth=1 types=A,AAAA private=allow
ZONES

run --zones "$zones" --upstream 127.0.0.1:5399 --check
tap_status 2 "--check of a zones file with bad entries exits 2"
tap_is "$(out)" "" "nothing on stdout"
tap_is "$(err)" "$zones:2: 'https://github.com/' is a URL, not a name; write github.com
$zones:3: '||adblock.example^' is an adblock rule, not a name; write adblock.example
$zones:4: 'foo.example:443' is a host and port, not a name; write foo.example
$zones:5: 10.0.0.0/8 is an address range; dnsgate allows names
$zones:6: 'bücher.example' is an internationalized name; write xn--bcher-kva.example
$zones:7: -i is a flag, not a name
$zones:8: 'types=a' is an option: it follows its entry on the same line, separated by a space
$zones:9: 'depth=3' is an option: it follows its entry on the same line, separated by a space
$zones:10: '192.0.2.1' is an address; dnsgate allows names
dnsgate: 9 errors in the configuration" \
	"each bad line as FILE:LINE with what to write instead"

# The suggestions are entries that load.
printf '%s\n' github.com adblock.example foo.example xn--bcher-kva.example \
	>"$tmp/fixed.zones"
run --zones "$tmp/fixed.zones" --upstream 127.0.0.1:5399 --check
tap_status 0 "the suggested names load"
run --zones "$tmp/fixed.zones" explain xn--bcher-kva.example
tap_is "$(out)" "allow (entry xn--bcher-kva.example)" \
	"the A-label entry matches the name queries carry"

# A config of accepted allow = forms: the comma ends an entry after
# types=A,AAAA and a blank, and before a name. Then one more line, with
# a comma between options: an error at the config's line, no longer an
# entry of the default types plus one named types=a.
cat >"$tmp/good.conf" <<'CONF'
[server]
listen = 127.0.0.1:5300
[upstream]
servers = 127.0.0.1:5399
[policy]
allow = ok.example types=A,AAAA, other.example depth=2,more.example
CONF
{
	cat "$tmp/good.conf"
	echo 'allow = api.example.com depth=1,types=A'
} >"$tmp/comma.conf"
run -c "$tmp/comma.conf" --check
tap_status 2 "--check of allow = with a comma between options exits 2"
tap_is "$(err)" "$tmp/comma.conf:7: 'depth=1,types=A': options are separated by spaces and types by commas; write api.example.com depth=1 types=A
dnsgate: 1 error in the configuration" \
	"the error names the config line and the entry as it should be"
run -c "$tmp/comma.conf" explain x.api.example.com AAAA
tap_status 2 "explain with that config exits 2, never allow"
tap_is "$(out)" "" "explain prints no verdict"
tap_match "$(err)" "comma.conf:7: 'depth=1,types=A': options are separated" \
	"explain says why"

# The same in a [group], and accepted forms still accepted.
{
	cat "$tmp/good.conf"
	printf '%s\n' '[group lab]' 'clients = 127.0.0.2/32' \
		'allow = lab.example private=allow,types=TXT'
} >"$tmp/group.conf"
run -c "$tmp/group.conf" --check
tap_status 2 "a [group] allow = with the comma mistake exits 2"
tap_is "$(err)" "$tmp/group.conf:9: 'private=allow,types=TXT': options are separated by spaces and types by commas; write lab.example private=allow types=TXT
dnsgate: 1 error in the configuration" \
	"the [group] error names its line"
run -c "$tmp/good.conf" explain ok.example AAAA
tap_status 0 "types=A,AAAA, then more entries: still accepted"
run -c "$tmp/good.conf" explain a.b.other.example
tap_is "$(out)" "allow (entry other.example depth=2)" \
	"depth=2,NAME: the comma still ends the entry"
run -c "$tmp/good.conf" explain more.example
tap_is "$(out)" "allow (entry more.example)" \
	"depth=2,NAME: the name after the comma is an entry"

tap_done
