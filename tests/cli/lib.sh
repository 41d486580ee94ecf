# tests/cli/lib.sh: what every CLI test shares. Sourced (not run) by
# tests/cli/t_*.sh, which the TAP driver runs with DNSGATE (the built
# binary), srcdir (the absolute source folder, read-only under distcheck)
# and builddir set.
#
# TAP: tap_ok, tap_is, tap_status, tap_match, tap_done print `ok N - msg`
# or `not ok N - msg` (with what differed as `#` comments) and, at the
# end, the plan `1..N`; the script exits 0 only when all passed.
#
# run ARGS... runs $DNSGATE, its output in $tmp/out and $tmp/err and its
# exit status in $status. Temporary files live in $tmp (mktemp -d), removed
# on exit; nothing is ever written under $srcdir.

set -u

: "${DNSGATE:?DNSGATE must name the dnsgate binary}"
: "${srcdir:?srcdir must name the source folder}"

tap_n=0
tap_failed=0
status=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnsgate-cli.XXXXXX") || {
	echo "Bail out! mktemp -d failed"
	exit 99
}
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' HUP INT TERM

# Print every line of stdin as a TAP comment.
tap_comment() {
	sed 's/^/#   /'
}

# tap_result OK MSG: OK is 0 for a pass.
tap_result() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $2"
	fi
}

# tap_ok MSG CMD...: pass when CMD exits 0.
tap_ok() {
	local msg=$1
	shift
	"$@" >/dev/null 2>&1
	tap_result $? "$msg"
}

# tap_is GOT WANT MSG: the two texts are equal; a diff when not.
tap_is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		diff -u --label want --label got \
			<(printf '%s\n' "$2") <(printf '%s\n' "$1") | tap_comment
	fi
}

# tap_status WANT MSG: the last `run` exited with WANT.
tap_status() {
	if [ "$status" -eq "$1" ]; then
		tap_result 0 "$2"
	else
		tap_result 1 "$2"
		echo "exit status $status, want $1; stderr:" | tap_comment
		tap_comment <"$tmp/err"
	fi
}

# tap_match TEXT PATTERN MSG: TEXT holds PATTERN (a fixed string).
tap_match() {
	if printf '%s\n' "$1" | grep -qF -e "$2"; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		{
			echo "no '$2' in:"
			printf '%s\n' "$1"
		} | tap_comment
	fi
}

# Print the plan and exit with the result.
tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ] && exit 0
	echo "# $tap_failed of $tap_n failed"
	exit 1
}

# run ARGS...: dnsgate with ARGS; sets $status, fills $tmp/out, $tmp/err.
run() {
	status=0
	"$DNSGATE" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || status=$?
}

# The output of the last run, trailing newlines cut.
out() {
	cat "$tmp/out"
}

err() {
	cat "$tmp/err"
}

# Replace every occurrence of the literal string $1 in stdin by $2.
subst() {
	awk -v from="$1" -v to="$2" '{
		out = ""
		while ((i = index($0, from)) > 0) {
			out = out substr($0, 1, i - 1) to
			$0 = substr($0, i + length(from))
		}
		print out $0
	}'
}
