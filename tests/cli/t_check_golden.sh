#!/usr/bin/env bash
# t_check_golden: `dnsgate -c FILE --check` prints the effective
# configuration and allowlist. Compared with a committed golden file
# (tests/data/check.golden, the source folder written as @SRCDIR@); a config
# with errors exits 2 with every error as FILE:LINE on stderr; and what
# --check prints is itself a configuration that loads to the same output.
. "$srcdir/tests/cli/lib.sh"

data=$srcdir/tests/data

run -c "$data/check.conf" --check
tap_status 0 "--check on a valid config exits 0"
tap_is "$(out | subst "$srcdir" @SRCDIR@)" "$(cat "$data/check.golden")" \
	"--check prints the golden effective configuration"
tap_is "$(err)" "" "--check of a valid config says nothing on stderr"
cp "$tmp/out" "$tmp/first"

run -c "$data/bad.conf" --check
tap_status 2 "--check on a config with errors exits 2"
tap_is "$(out)" "" "nothing is printed on stdout for a bad config"
tap_is "$(err | subst "$srcdir" @SRCDIR@)" \
"@SRCDIR@/tests/data/bad.conf:4: listen: 'localhost' is not an address (ADDR, ADDR:PORT or [IPV6]:PORT)
@SRCDIR@/tests/data/bad.conf:5: max_udp_size: '100' is not a number from 512 to 4096
@SRCDIR@/tests/data/bad.conf:6: max_udp_size: repeated key (first set at line 5)
@SRCDIR@/tests/data/bad.conf:7: frob: unknown key in [server]
@SRCDIR@/tests/data/bad.conf:15: min_ttl: 10 is above max_ttl 5
@SRCDIR@/tests/data/bad.conf:13: zones: cannot read '@SRCDIR@/tests/data/missing.zones': No such file or directory
@SRCDIR@/tests/data/bad.conf:14: bad name 'bad..example': Empty label
dnsgate: 7 errors in the configuration" \
	"every error is reported as FILE:LINE: key: problem, then counted"

run -c "$tmp/no-such.conf" --check
tap_status 2 "--check on a missing config exits 2"
tap_is "$(err)" "$tmp/no-such.conf: cannot read: No such file or directory
dnsgate: 1 error in the configuration" "a missing config is named"

# The printed configuration, without the allowlist listing that follows
# `; allowlist:`, loads again and prints the same. It keeps zones paths as
# written, relative to the config's folder, so it is read from a copy of
# tests/data (the source folder may be read-only).
cp -R "$data" "$tmp/data" && chmod -R u+w "$tmp/data"
sed '/^; allowlist:/,$d' "$tmp/first" >"$tmp/data/again.conf"
run -c "$tmp/data/again.conf" --check
tap_status 0 "the effective configuration printed by --check loads"
# Only the first line (the file's name) and the lines of the entries'
# sources may differ.
tap_is "$(out | sed '1d; s/  # .*$//')" \
	"$(sed '1d; s/  # .*$//' "$tmp/first")" \
	"and prints the same configuration and allowlist"

# Entries printed in the listing are valid zones lines, one a line.
sed -n '/^; allowlist:/,$p' "$tmp/first" | sed '1d; s/  # .*$//' >"$tmp/list.zones"
run --zones "$tmp/list.zones" --upstream 127.0.0.1:5399 --check
tap_status 0 "the allowlist lines of --check load as a zones file"
tap_is "$(out | sed -n '/^; allowlist:/,$p' | sed 's/  # .*$//')" \
	"$(sed -n '/^; allowlist:/,$p' "$tmp/first" | sed 's/  # .*$//')" \
	"and give the same entries"

# The embedded default with flags only: what --check prints for it.
run --listen 127.0.0.1:5301 --upstream 127.0.0.1:5302 --allow '*.example.com' \
	--query-log off --check
tap_status 0 "--check with flags and no file exits 0"
tap_is "$(out | sed -n '1,3p')" "; effective configuration of <embedded default>
[server]
listen = 127.0.0.1:5301" "the embedded default is named, --listen applied"
tap_match "$(out)" "servers = 127.0.0.1:5302" "--upstream applied"
tap_match "$(out)" "query_log = off" "--query-log applied"
tap_match "$(out)" "*.example.com depth=1  # --allow" \
	"--allow entries name their source"
tap_match "$(out)" "zones =
allow = *.example.com" "--allow replaces the default zones file"

tap_done
