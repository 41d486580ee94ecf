#!/usr/bin/env bash
# t_explain: `dnsgate explain NAME [TYPE]` prints one verdict line and
# exits 0 (allow), 1 (deny) or 2 (a name or type it cannot read).
. "$srcdir/tests/cli/lib.sh"

allow=(--allow anthropic.com --allow api.example.com --allow '*.example.com'
	--allow 'txt.example.org types=TXT' --allow 'deep.example depth=2')

# explain_is WANT_STATUS WANT_LINE NAME [TYPE]
explain_is() {
	local want_status=$1 want=$2
	shift 2
	run "${allow[@]}" explain "$@"
	tap_status "$want_status" "explain $*: exit status $want_status"
	tap_is "$(out)" "$want" "explain $*: $want"
}

explain_is 0 "allow (entry api.example.com)" api.example.com
explain_is 0 "allow (entry *.example.com depth=1)" www.example.com
explain_is 0 "allow (entry *.example.com depth=1)" example.com
explain_is 1 "deny too-deep (entry *.example.com depth=1)" a.b.example.com
explain_is 0 "allow (entry deep.example depth=2)" a.b.deep.example
explain_is 1 "deny too-deep (entry deep.example depth=2)" a.b.c.deep.example
explain_is 1 "deny not-listed" other.test
explain_is 1 "deny not-listed" example.net
explain_is 1 "deny qtype (entry api.example.com)" api.example.com TXT
explain_is 1 "deny qtype (entry txt.example.org types=TXT)" txt.example.org
explain_is 0 "allow (entry txt.example.org types=TXT)" txt.example.org TXT
explain_is 0 "allow (entry txt.example.org types=TXT)" txt.example.org txt
explain_is 1 "deny qtype" evil.example MX
explain_is 0 "allow (entry anthropic.com)" anthropic.com AAAA
explain_is 0 "allow (entry anthropic.com)" anthropic.com https
explain_is 0 "allow (entry anthropic.com)" anthropic.com TYPE65
explain_is 1 "deny qtype (entry anthropic.com)" anthropic.com TXT

# Lookalikes: a suffix or prefix match on text would allow these.
explain_is 1 "deny not-listed" anthropic.com.evil.example
explain_is 1 "deny not-listed" xanthropic.com
explain_is 1 "deny not-listed" anthropic.co
explain_is 1 "deny too-deep (entry anthropic.com)" www.anthropic.com
explain_is 1 "deny charset" 'anthropic\.com.evil.example'
# Case and the final dot do not matter.
explain_is 0 "allow (entry anthropic.com)" AnThRoPiC.CoM
explain_is 0 "allow (entry anthropic.com)" anthropic.com.
explain_is 0 "allow (entry *.example.com depth=1)" WWW.EXAMPLE.COM.

# The global limits come before the allowlist.
label41=$(printf 'a%.0s' {1..41})
label40=$(printf 'a%.0s' {1..40})
explain_is 1 "deny label-length" "$label41.example.com"
explain_is 0 "allow (entry *.example.com depth=1)" "$label40.example.com"
explain_is 1 "deny name-length" "$label40.$label40.$label40.$label40.com"
explain_is 1 "deny charset" 'a!b.example.com'
explain_is 1 "deny charset" 'a\.b.example.com'
explain_is 1 "deny charset" 'a\000b.example.com'
explain_is 1 "deny charset" 'a\032b.example.com'
explain_is 0 "allow (entry *.example.com depth=1)" a_b.example.com
explain_is 0 "allow (entry *.example.com depth=1)" a-b.example.com

# What explain cannot read: exit 2, nothing on stdout, a reason on stderr.
run "${allow[@]}" explain a..b
tap_status 2 "explain a..b: exit status 2"
tap_is "$(out)" "" "explain a..b: nothing on stdout"
tap_is "$(err)" "dnsgate: explain: bad name 'a..b': Empty label" \
	"explain a..b: the reason on stderr"
run "${allow[@]}" explain "$label41$label41.example.com"
tap_status 2 "explain of a label over 63 bytes: exit status 2"
tap_is "$(err)" "dnsgate: explain: bad name '$label41$label41.example.com': Label length overflow" \
	"explain of a label over 63 bytes: the reason on stderr"
run "${allow[@]}" explain api.example.com BOGUS
tap_status 2 "explain with an unknown type: exit status 2"
tap_is "$(err)" "dnsgate: explain: unknown type 'BOGUS'" \
	"explain with an unknown type: the reason on stderr"
run "${allow[@]}" explain
tap_status 2 "explain without a name: exit status 2"
tap_is "$(err)" "dnsgate: usage: dnsgate explain NAME [TYPE]" \
	"explain without a name: usage on stderr"
run "${allow[@]}" explain a.example A extra
tap_status 2 "explain with three arguments: exit status 2"

# With -c: the zones file and allow= of the config, relative paths and all.
conf=$srcdir/tests/data/explain.conf
run -c "$conf" explain api.example.com
tap_status 0 "-c: a name from the zones file is allowed"
tap_is "$(out)" "allow (entry api.example.com)" "-c: the entry from the file"
run -c "$conf" explain a.cdn.example.net AAAA
tap_is "$(out)" "allow (entry *.cdn.example.net depth=1)" \
	"-c: a wildcard from the zones file"
run -c "$conf" explain dns.example.org TXT
tap_is "$(out)" "allow (entry dns.example.org types=TXT)" \
	"-c: an entry with its own types"
run -c "$conf" explain inline.example
tap_is "$(out)" "allow (entry inline.example)" "-c: an entry from allow="
run -c "$conf" explain x.y.z.deep.example
tap_status 1 "-c: too deep is denied"
tap_is "$(out)" "deny too-deep (entry deep.example depth=2)" \
	"-c: the entry it is too deep for"
run -c "$conf" --allow other.example explain api.example.com
tap_status 1 "-c with --allow: --allow replaces the file's allowlist"
tap_is "$(out)" "deny not-listed" "-c with --allow: the file's entry is gone"
run -c "$conf" --allow other.example explain other.example
tap_status 0 "-c with --allow: the --allow entry is allowed"

# --listener: the group of the listener a query arrives on, whatever the
# client's address; --client alone: the group of its address.
cat >"$tmp/groups.conf" <<EOF
[server]
listen = 127.0.0.1:5300
[policy]
allow = global.example
[group sandbox]
listen = 127.0.0.1:5301
allow = sandbox.example
[group lab]
clients = 127.0.0.2/32
allow = lab.example, sandbox.example
EOF
# explain_group WANT_STATUS WANT_LINE ARGS...
explain_group() {
	local want_status=$1 want=$2
	shift 2
	run -c "$tmp/groups.conf" explain "$@"
	tap_status "$want_status" "explain $*: exit status $want_status"
	tap_is "$(out)" "$want" "explain $*: $want"
}
explain_group 0 "allow (entry sandbox.example) [group sandbox]" \
	--listener 127.0.0.1:5301 sandbox.example
explain_group 1 "deny not-listed [group sandbox]" \
	--listener 127.0.0.1:5301 --client 127.0.0.2 lab.example
explain_group 0 "allow (entry lab.example) [group lab]" \
	--listener 127.0.0.1:5300 --client 127.0.0.2 lab.example
explain_group 0 "allow (entry lab.example) [group lab]" --client 127.0.0.2 lab.example
explain_group 1 "deny not-listed [no group]" --listener 127.0.0.1:5300 lab.example
explain_group 0 "allow (entry global.example) [no group]" \
	--listener 127.0.0.1:5300 --client 127.0.0.1 global.example
run -c "$tmp/groups.conf" explain --listener 127.0.0.1:5399 lab.example
tap_status 2 "explain --listener of no listener: exit status 2"
tap_is "$(err)" "dnsgate: explain: --listener: '127.0.0.1:5399' is not a listen address of the configuration" \
	"explain --listener of no listener: said, not taken for the global policy"
run -c "$tmp/groups.conf" explain --listener here lab.example
tap_status 2 "explain --listener that is no address: exit status 2"
tap_is "$(err)" "dnsgate: explain: --listener: 'here' is not an address" \
	"explain --listener that is no address: the reason on stderr"
run -c "$tmp/groups.conf" --listener 127.0.0.1:5301 --check
tap_status 2 "--listener without explain: exit status 2"
tap_is "$(err)" "dnsgate: --client and --listener go with the explain command" \
	"--listener without explain: said so"

# Where an allowed question goes: local records, or the longest forward
# zone holding the name; a denied one goes nowhere, and says nothing of it.
cat >"$tmp/split.conf" <<EOF
[upstream]
servers = 127.0.0.1:5300
[policy]
allow = *.corp.example, *.lab.corp.example, registry.internal
[local]
local = registry.internal A 10.0.0.5
[forward corp.example]
servers = 10.0.0.53
[forward lab.corp.example]
servers = 10.0.1.53
EOF
explain_split() {
	local want_status=$1 want=$2
	shift 2
	run -c "$tmp/split.conf" explain "$@"
	tap_status "$want_status" "explain $*: exit status $want_status"
	tap_is "$(out)" "$want" "explain $*: $want"
}
explain_split 0 "allow (entry registry.internal) [local]" registry.internal
explain_split 0 "allow (entry *.corp.example depth=1) [forward corp.example]" \
	git.corp.example
explain_split 0 "allow (entry *.lab.corp.example depth=1) [forward lab.corp.example]" \
	x.lab.corp.example
explain_split 1 "deny too-deep (entry *.corp.example depth=1)" a.b.corp.example
explain_split 0 "allow (entry *.corp.example depth=1) [forward corp.example]" \
	corp.example.
explain_split 1 "deny not-listed" other.internal

tap_done
