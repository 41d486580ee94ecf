#!/usr/bin/env bash
# coverage.sh [TARGET=DIR ...]: the source lines each fuzz target reaches
# from its corpus, by clang's source-based coverage (not part of
# `make check`). Builds the committed tree (git HEAD) in a scratch folder
# with -fprofile-instr-generate, replays tests/fuzz/corpus/TARGET and any
# extra DIR given for that target (e.g. config=/tmp/fuzz/corpus-config,
# what a long libFuzzer run found), and prints, per target, the lines of
# each file of src/ it enters that its corpus reached. Needs clang,
# llvm-profdata and llvm-cov.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
for t in clang llvm-profdata llvm-cov git autoreconf; do
	command -v $t >/dev/null || { echo "coverage: $t is not installed" >&2; exit 2; }
done
declare -A extra=()
for a in "$@"; do
	case $a in
	query=* | response=* | config=*) extra[${a%%=*}]+=" $(cd "${a#*=}" && pwd)" ;;
	*) echo "usage: coverage.sh [query|response|config=DIR ...]" >&2; exit 2 ;;
	esac
done
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git -C "$top" archive HEAD | tar -x -C "$tmp/src" || exit 2
cd "$tmp/src" || exit 2
flags="-O1 -g -fprofile-instr-generate -fcoverage-mapping"
{ autoreconf -fi && ./configure CC=clang CFLAGS="$flags" LDFLAGS=-fprofile-instr-generate &&
	make -j"$(nproc)" tests/fuzz/fuzz_query tests/fuzz/fuzz_response tests/fuzz/fuzz_config; } \
	>"$tmp/build.log" 2>&1 || { tail -n 30 "$tmp/build.log"; exit 1; }
for target in query response config; do
	# shellcheck disable=SC2086
	LLVM_PROFILE_FILE="$tmp/$target.profraw" "./tests/fuzz/fuzz_$target" -runs=0 \
		"tests/fuzz/corpus/$target" ${extra[$target]:-} >/dev/null 2>&1 ||
		{ echo "coverage: fuzz_$target failed on its corpus" >&2; exit 1; }
	llvm-profdata merge -o "$tmp/$target.profdata" "$tmp/$target.profraw" || exit 1
	# shellcheck disable=SC2086
	inputs=$(find "tests/fuzz/corpus/$target" ${extra[$target]:-} -type f | wc -l)
	echo "# fuzz_$target, $inputs inputs: lines reached of each file it enters"
	# Lines are columns 8 to 10 of the report; files the target never
	# enters (linked in with the library) are left out of the sum.
	llvm-cov report "./tests/fuzz/fuzz_$target" -instr-profile="$tmp/$target.profdata" \
		-ignore-filename-regex='tests/' | awk '
		NR == 1 || /^-/ || /^TOTAL/ || $9 == $8 { next }
		{ printf "  %-12s %5d of %5d lines (%s)\n", $1, $8 - $9, $8, $10; n += $8; m += $9 }
		END { printf "  %-12s %5d of %5d lines (%.2f%%)\n", "together", n - m, n, 100 * (n - m) / n }'
done
