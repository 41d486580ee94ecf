#!/usr/bin/env bash
# t_example_conf: the shipped example configuration loads, sets every key
# that --check prints, and its values are the defaults.
set -u
n=0 failed=0
tap() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
sed -e "s|@zonesdir@|$srcdir/zones|g" "$srcdir/contrib/dnsgate.conf.in" >"$tmp/dnsgate.conf"

"$DNSGATE" -c "$tmp/dnsgate.conf" --upstream 127.0.0.1:5399 --check >"$tmp/check.out" 2>"$tmp/check.err"
tap $? "the example configuration passes --check"
[ ! -s "$tmp/check.err" ]
tap $? "with no warning"; sed 's/^/# /' "$tmp/check.err"

# Every key --check prints appears in the example, set or commented out.
missing=""
while IFS= read -r key; do
	grep -Eq "^;?$key = " "$tmp/dnsgate.conf" || missing="$missing $key"
done < <(sed -n 's/^\([a-z_]*\) =.*/\1/p' "$tmp/check.out" | sort -u)
[ -z "$missing" ]
tap $? "the example documents every key (missing:${missing:- none})"

# The example states the defaults: the embedded default prints the same
# values but for listen, zones and servers, which it sets itself, and the
# control socket, which only an installed dnsgate opens.
"$DNSGATE" --upstream 127.0.0.1:5399 --zones "$srcdir/zones/default.zones" --check 2>/dev/null | grep -Ev '^(;|zones|servers|listen|socket)' >"$tmp/default.out"
grep -Ev '^(;|zones|servers|listen|socket)' "$tmp/check.out" >"$tmp/example.out"
diff "$tmp/default.out" "$tmp/example.out" >"$tmp/diff"
tap $? "the example's values are the built-in defaults"; sed 's/^/# /' "$tmp/diff"

echo "1..$n"
[ "$failed" = 0 ]
