#!/usr/bin/env bash
# t_man: the manual pages under doc/ render without a groff warning, and
# stay complete: dnsgate.conf.5 describes every key the configuration
# knows (taken at test time from what --check prints, groups included),
# each under its own section, and dnsgate.8 every long option --help
# lists. Skips (TAP plan 0) when groff is missing.
. "$srcdir/tests/cli/lib.sh"

man8="$srcdir/doc/dnsgate.8"
conf5="$srcdir/doc/dnsgate.conf.5"
zones5="$srcdir/doc/dnsgate.zones.5"

# need TOOL...: skip the whole test when a tool is missing (the plan
# `1..0 # SKIP` is a skip for the TAP driver; exit 77 would be an error).
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || {
			echo "1..0 # SKIP $t is not installed"
			exit 0
		}
	done
}
need groff
export LC_ALL=C  # getopt_long says "unrecognized option" in English

# Each page renders, and groff has nothing to say about it (-ww: every
# warning).
for page in "$man8" "$conf5" "$zones5"; do
	name=${page##*/}
	rc=0
	groff -man -Tutf8 -ww -z "$page" >"$tmp/groff.out" 2>"$tmp/groff.err" || rc=$?
	tap_is "$rc" 0 "$name renders (groff exits 0)"
	tap_is "$(cat "$tmp/groff.err")" "" "$name renders without a warning"
done

# The keys: every `key = value` line of --check under its [section]
# header, on a configuration with a group so that [group NAME] keys are
# printed too. Lines `section key`.
printf 'g.example\n' >"$tmp/g.zones"
cat >"$tmp/man.conf" <<EOF
[group man]
clients = 10.0.0.0/8
zones = $tmp/g.zones
EOF
run -c "$tmp/man.conf" --allow x.example --upstream 127.0.0.1:5300 --check
tap_status 0 "--check prints the effective configuration"
out | awk '
	/^\[/ { s = $1; sub(/^\[/, "", s); sub(/\]$/, "", s); next }
	/^[a-z0-9_]+ =/ && s != "" { print s " " $1 }
' | sort -u >"$tmp/keys"
nkeys=$(wc -l <"$tmp/keys")
tap_ok "--check printed keys of every section (got $nkeys)" \
	test "$nkeys" -ge 20
tap_ok "--check printed the [group NAME] keys" grep -qx 'group clients' "$tmp/keys"

# The keys the page describes: the first word of each .TP heading, under
# its `.SS [section]` (`.SS [group NAME]` is the section group).
awk '
	/^\.SH/ { s = "" }
	/^\.SS \[/ { s = $2; sub(/^\[/, "", s); sub(/\]$/, "", s); next }
	/^\.TP/ { tp = 1; next }
	tp { tp = 0; if (s != "") { k = $2; gsub(/"/, "", k); print s " " k } }
' "$conf5" | sort -u >"$tmp/page-keys"
while read -r section key; do
	tap_ok "dnsgate.conf.5 describes [$section] $key" \
		grep -qxF "$section $key" "$tmp/page-keys"
done <"$tmp/keys"

# The long options: every `--word` of --help that dnsgate takes as an
# option (getopt_long calls the others, such as iptables-restore's
# --noflush, unrecognized). Each is tried before `--target bogus`, which
# stops dnsgate at once when the word itself did not: nothing is started.
run --help
tap_status 0 "--help exits 0"
: >"$tmp/options"
for opt in $(out | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
	run "$opt" --target bogus
	grep -q "unrecognized option" "$tmp/err" || echo "$opt" >>"$tmp/options"
done
nopts=$(wc -l <"$tmp/options")
tap_ok "--help lists long options (got $nopts)" test "$nopts" -ge 10

# The options the page describes: those of its .TP headings, `\-` read
# as `-`.
awk '
	/^\.TP/ { tp = 1; next }
	tp { tp = 0; gsub(/\\-/, "-"); print }
' "$man8" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u >"$tmp/page-options"
while read -r opt; do
	tap_ok "dnsgate.8 describes $opt" grep -qxF -- "$opt" "$tmp/page-options"
done <"$tmp/options"

tap_done
