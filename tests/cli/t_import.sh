#!/usr/bin/env bash
# t_import: `dnsgate import FILE...` turns lists written for other tools
# into zones syntax, one format per file (detected or --format): hosts,
# plain lists, AdBlock, harden-runner, Cilium, Squid and tinyproxy. Output
# compared with tests/data/import-*.expected (each entry followed by its
# FILE:LINE), warnings and errors as FILE:LINE on stderr, exit 2 and
# nothing printed on a line it cannot convert, and the output loads as a
# zones file.
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

# One sample per format, detected, with --depth 2 for the wildcards that
# meant every depth.
for f in hosts:txt list:txt adblock:txt harden-runner:txt cilium:yaml \
	squid:txt tinyproxy:txt; do
	name=${f%%:*}
	file=import-$name.${f##*:}
	import_in_data --depth 2 "$file"
	tap_status 0 "$name: import exits 0"
	tap_is "$(out)" "$(cat "$data/import-$name.expected")" \
		"$name: detected and converted"
	cp "$tmp/out" "$tmp/$name.zones"
	loads "$tmp/$name.zones" "$name: the output"
	import_in_data --format "$name" --depth 2 "$file"
	tap_is "$(out)" "$(cat "$data/import-$name.expected" |
		sed 's/ (detected)$//')" "$name: the same with --format $name"
done

import_in_data import-hosts.txt
tap_is "$(err)" "" "hosts: localhost and friends skipped, silently"

import_in_data import-squid.txt
tap_is "$(err)" "import-squid.txt:3: warning: '.cdn.example.net' matched every name below cdn.example.net at any depth; imported with depth 1: pass --depth N (or add depth=N to the entry) if more is needed
import-squid.txt:4: warning: '*.static.example.org' matched every name below static.example.org at any depth; imported with depth 1: pass --depth N (or add depth=N to the entry) if more is needed" \
	"squid: without --depth, .domain becomes depth 1, said at its line"
cp "$tmp/out" "$tmp/squid1.zones"
run --zones "$tmp/squid1.zones" explain a.b.cdn.example.net
tap_is "$(out)" "deny too-deep (entry *.cdn.example.net depth=1)" \
	"squid: .domain is imported with depth 1, never unlimited"

import_in_data import-tinyproxy.txt
tap_match "$(out)" "www.example.com	# import-tinyproxy.txt:2" \
	"tinyproxy: ^(www\\.)?example\\.com\$ gives www.example.com"
tap_match "$(out)" "example.com	# import-tinyproxy.txt:2" \
	"tinyproxy: and example.com"

import_in_data import-cilium.yaml
tap_status 2 "cilium: **. without --depth exits 2"
tap_is "$(out)" "" "cilium: nothing printed"
tap_is "$(err)" "import-cilium.yaml:12: cannot import '**.docker.io': '**.' matches every depth: pass --depth N to say how deep to allow
dnsgate: import: 1 error; nothing printed" "cilium: the error names the line and says what to do"

import_in_data import-bad.txt
tap_status 2 "junk lines exit 2"
tap_is "$(out)" "" "junk lines: nothing printed, not even the good lines"
tap_is "$(err)" "import-bad.txt:3: cannot import 'acl allowed dstdomain .x.example': a squid.conf line, not a dstdomain list: import the file its acl names, or list the names alone
import-bad.txt:4: cannot import '-i': a flag, not a name: remove it (names are case-insensitive already)
import-bad.txt:5: cannot import 'https://www.example.org/path': a URL, not a name: write its host name alone
import-bad.txt:6: warning: '.after.example' matched every name below after.example at any depth; imported with depth 1: pass --depth N (or add depth=N to the entry) if more is needed
dnsgate: import: 3 errors; nothing printed" \
	"junk lines: each error names FILE:LINE with a suggestion"

# Several files at once: one header, each name once.
import_in_data import-squid.txt import-adblock.txt
tap_status 0 "import of two files exits 0"
tap_is "$(out)" "# imported by dnsgate import
# import-squid.txt: squid (detected)
# import-adblock.txt: adblock (detected)
api.example.com	# import-squid.txt:2
*.cdn.example.net	# import-squid.txt:3
*.static.example.org	# import-squid.txt:4
*.api.example.com	# import-adblock.txt:3" \
	"two files: converted in order, *.cdn.example.net once"

# Standard input.
status=0
printf '0.0.0.0 stdin.example\n0.0.0.0 localhost stdin.example\n' |
	"$DNSGATE" import - >"$tmp/out" 2>"$tmp/err" || status=$?
tap_status 0 "import - reads standard input"
tap_is "$(out)" "# imported by dnsgate import
# <stdin>: hosts (detected)
stdin.example	# <stdin>:1" "import -: converted"

# Options and what it cannot read.
run import --format yaml x
tap_status 2 "an unknown --format exits 2"
tap_is "$(err)" "dnsgate: import: --format: unknown format 'yaml' (known: hosts, list, adblock, harden-runner, cilium, squid, tinyproxy)" \
	"an unknown --format lists the known ones"
run import --depth 0 x
tap_status 2 "--depth 0 exits 2"
run --depth 2 explain a.example
tap_status 2 "--depth goes with import only"
run import "$tmp/no-such.txt"
tap_status 2 "import of a missing file exits 2"
tap_match "$(err)" "$tmp/no-such.txt: cannot read: No such file or directory" \
	"a missing file is named"
run import
tap_status 2 "import without a file exits 2"
tap_is "$(err)" "dnsgate: import: name at least one FILE (or - for standard input)" \
	"import without a file says what is missing"

tap_done
