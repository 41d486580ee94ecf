#!/usr/bin/env bash
# t_import: `dnsgate import FILE...` turns host lists, Squid dstdomain and
# tinyproxy filter files into zones syntax: output compared with
# tests/data/import-*.expected, warnings and errors as FILE:LINE on stderr,
# exit 2 on a line it cannot convert, and the output loads as a zones file.
. "$srcdir/tests/cli/lib.sh"

data=$srcdir/tests/data

# Run from the data folder so that FILE in messages is the bare name.
import_in_data() {
	status=0
	(cd "$data" && "$DNSGATE" import "$@") >"$tmp/out" 2>"$tmp/err" \
		</dev/null || status=$?
}

# loads ZONES MSG: the file loads with --zones and --check, silently.
loads() {
	run --zones "$1" --upstream 127.0.0.1:5399 --check
	tap_status 0 "$2 loads with --zones and --check"
	tap_is "$(err)" "" "$2 loads without a warning"
}

import_in_data import-hosts.txt
tap_status 0 "import of a hosts file exits 0"
tap_is "$(out)" "$(cat "$data/import-hosts.expected")" \
	"a hosts file: addresses dropped, every name kept"
tap_is "$(err)" "" "a hosts file: no warning"
cp "$tmp/out" "$tmp/hosts.zones"
loads "$tmp/hosts.zones" "the imported hosts file"

import_in_data import-squid.txt
tap_status 0 "import of a Squid list exits 0"
tap_is "$(out)" "$(cat "$data/import-squid.expected")" \
	"a Squid list: .domain becomes *.domain"
tap_is "$(err)" "import-squid.txt:3: warning: '.cdn.example.net' matched every name below cdn.example.net at any depth; imported as *.cdn.example.net (depth 1): add depth=N to the entry if more is needed" \
	"a Squid list: the warning names the file and line of .domain"
cp "$tmp/out" "$tmp/squid.zones"
loads "$tmp/squid.zones" "the imported Squid list"
run --zones "$tmp/squid.zones" explain a.b.cdn.example.net
tap_is "$(out)" "deny too-deep (entry *.cdn.example.net depth=1)" \
	"a Squid .domain is imported with depth 1, never unlimited"

import_in_data import-tinyproxy.txt
tap_status 0 "import of a tinyproxy filter exits 0"
tap_is "$(out)" "$(cat "$data/import-tinyproxy.expected")" \
	"a tinyproxy filter: anchored patterns become names"
tap_is "$(err)" "import-tinyproxy.txt:3: warning: '^(.*\.)?example\.org\$' matched every name below example.org at any depth; imported as *.example.org (depth 1): add depth=N to the entry if more is needed
import-tinyproxy.txt:4: warning: '^api\.example\.net' is an unanchored pattern that also matched longer names; imported as the exact name api.example.net" \
	"a tinyproxy filter: warnings for the subdomain group and the unanchored pattern"
cp "$tmp/out" "$tmp/tinyproxy.zones"
loads "$tmp/tinyproxy.zones" "the imported tinyproxy filter"

import_in_data import-bad.txt
tap_status 2 "import of a line it cannot convert exits 2"
tap_is "$(out)" "# imported from import-bad.txt by dnsgate import
good.example
after.example" "the other lines are still converted"
tap_is "$(err)" "import-bad.txt:3: cannot import 'exa(mple|mpel)\.com': only plain names, '.domain', '*.domain' and anchored patterns with escaped dots are understood" \
	"the error names the file and line"

# Several files at once, one header each.
import_in_data import-squid.txt import-hosts.txt
tap_status 0 "import of two files exits 0"
tap_is "$(out)" "$(cat "$data/import-squid.expected" "$data/import-hosts.expected")" \
	"two files: both converted, in order"

# Standard input.
status=0
printf '0.0.0.0 stdin.example\n.dot.example\n' |
	"$DNSGATE" import - >"$tmp/out" 2>"$tmp/err" || status=$?
tap_status 0 "import - reads standard input"
tap_is "$(out)" "# imported from <stdin> by dnsgate import
stdin.example
*.dot.example" "import -: converted"
tap_is "$(err)" "<stdin>:2: warning: '.dot.example' matched every name below dot.example at any depth; imported as *.dot.example (depth 1): add depth=N to the entry if more is needed" \
	"import -: warnings name <stdin>"

# What it cannot read.
run import "$tmp/no-such.txt"
tap_status 2 "import of a missing file exits 2"
tap_is "$(err)" "$tmp/no-such.txt: cannot read: No such file or directory" \
	"a missing file is named"
run import
tap_status 2 "import without a file exits 2"
tap_is "$(err)" "dnsgate: import: name at least one FILE (or - for standard input)" \
	"import without a file says what is missing"

tap_done
