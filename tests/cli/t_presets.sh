#!/usr/bin/env bash
# t_presets: every shipped zones/*.zones loads on its own without an error
# or a warning and opens with a header comment naming it; the key names
# each preset exists for are allowed, and a name in none is denied.
. "$srcdir/tests/cli/lib.sh"

zones=()
for f in "$srcdir"/zones/*.zones; do
	[ -e "$f" ] || continue
	zones+=(--zones "$f")
	name=$(basename "$f")
	run --zones "$f" --upstream 127.0.0.1:5399 --check
	tap_status 0 "$name loads with --check"
	tap_is "$(err)" "" "$name loads without errors or warnings"
	tap_match "$(out)" "; allowlist: " "$name: --check lists its entries"
	tap_match "$(head -n 1 "$f")" "# $name - " \
		"$name opens with a header comment naming it"
done
tap_result $([ "${#zones[@]}" -ge 2 ]; echo $?) "there are presets to test"

for name in api.anthropic.com github.com registry.npmjs.org pypi.org \
	files.pythonhosted.org deb.debian.org proxy.golang.org \
	index.crates.io registry-1.docker.io; do
	run "${zones[@]}" explain "$name"
	tap_status 0 "$name is allowed by the presets"
	tap_match "$(out)" "allow (entry " "$name: the entry is named"
done

for name in evil.example anthropic.com.evil.example; do
	run "${zones[@]}" explain "$name"
	tap_status 1 "$name is denied by the presets"
	tap_is "$(out)" "deny not-listed" "$name: not listed"
done

# All presets together load as one policy, still silently.
run "${zones[@]}" --upstream 127.0.0.1:5399 --check
tap_status 0 "all presets together load"
tap_is "$(err)" "" "all presets together: no warning"

tap_done
