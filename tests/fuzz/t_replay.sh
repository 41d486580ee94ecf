#!/usr/bin/env bash
# t_replay: every committed fuzz input, crashes found once included, runs
# through its target without a crash or a sanitizer report. Built without
# libFuzzer the targets replay the files themselves; built with it,
# -runs=0 makes libFuzzer run the corpus once and stop.
set -u
n=0
failed=0
for target in query response config; do
	n=$((n + 1))
	out=$("$builddir/tests/fuzz/fuzz_$target" -runs=0 "$srcdir/tests/fuzz/corpus/$target" 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok $n - fuzz_$target replays its $(find "$srcdir/tests/fuzz/corpus/$target" -type f | wc -l) inputs"
	else
		echo "not ok $n - fuzz_$target replays its corpus (exit $rc)"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" = 0 ]
