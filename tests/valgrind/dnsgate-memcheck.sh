#!/usr/bin/env bash
# dnsgate-memcheck.sh: dnsgate under valgrind's memcheck, for
# `make check-valgrind`, which runs the integration tests with this in
# place of the daemon. exec keeps the PID, so the tests signal and wait on
# dnsgate itself; any memcheck error, or a definite leak at exit, makes the
# exit status 99, which the tests' clean-exit checks report. The report
# goes to the test's dnsgate log, after dnsgate's own lines.
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--track-fds=no "${builddir:?}/src/dnsgate" "$@"
