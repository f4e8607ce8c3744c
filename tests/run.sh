#!/bin/bash
# Run the tests and print one summary line: "N passed, N failed".
#
#   tests/run.sh            everything:
#                           unit tests (build/tests/test_*), no root needed
#                           tests/sh/*.sh: command line, install; no root
#                           tests/fuzz/run.sh: libFuzzer targets, FUZZ_TIME s
#                           tests/net/test_*.sh: namespaces, veth, iptables
#                           (root); then unit, sh and net tests again against
#                           the ASan+UBSan build in build-asan/ (names
#                           prefixed asan/), and a check that no sanitizer
#                           reported anything
#   tests/run.sh --asan     only the sanitizer part
#   tests/run.sh FILE...    those tests only
#   tests/run.sh --asan FILE...
#                           those tests against build-asan/ (a unit test
#                           named build/tests/X runs as build-asan/tests/X),
#                           and the check that no sanitizer reported
#                           anything
#
# Every test prints one "PASS: ..." or "FAIL: ..." line per case.  A test
# program that dies without saying FAIL counts as a failure.
set -u
cd "$(dirname "$0")/.."

log=$(mktemp /tmp/nfqd-check.XXXXXX)
san=$(mktemp -d /tmp/nfqd-sanitizers.XXXXXX)
trap 'rm -f "$log"; rm -rf "$san"' EXIT
skipped=0
root=0
[ "$(id -u)" = 0 ] && root=1

run_one() {	# run_one TEST [TAG]
	local t=$1 tag=${2:-} before after rc
	before=$(grep -c '^FAIL:' "$log")
	echo "== ${tag:+$tag/}$t"
	if [ -n "$tag" ]; then
		NFQD_BUILD=build-$tag "$t" 2>&1 |
		    sed -u "s/^\(PASS\|FAIL\|SKIP\): /\1: $tag\//" | tee -a "$log"
	else
		"$t" 2>&1 | tee -a "$log"
	fi
	rc=${PIPESTATUS[0]}
	after=$(grep -c '^FAIL:' "$log")
	if [ "$rc" != 0 ] && [ "$after" = "$before" ]; then
		echo "FAIL: ${tag:+$tag/}$t: exited with status $rc" |
		    tee -a "$log"
	fi
}

plain() {
	local t
	for t in build/tests/test_* tests/sh/*.sh tests/fuzz/run.sh; do
		[ -x "$t" ] && run_one "$t"
	done
	if [ "$root" = 1 ]; then
		for t in tests/net/test_*.sh; do
			run_one "$t"
		done
	else
		skipped=$((skipped + $(ls tests/net/test_*.sh | wc -l)))
	fi
}

# The sanitizer environment: every report goes to a file in $san; none
# may appear (sanitizer_reports checks).
sanitizer_env() {
	export ASAN_OPTIONS="log_path=$san/asan:detect_leaks=1:halt_on_error=1"
	export UBSAN_OPTIONS="log_path=$san/ubsan:halt_on_error=1:print_stacktrace=1"
	export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp"
}

sanitized() {	# sanitized [FILE...]: those, or every test
	local t
	if [ ! -x build-asan/nfqd ]; then
		echo "FAIL: asan: build-asan/nfqd missing (make asan)" | tee -a "$log"
		return
	fi
	sanitizer_env
	if [ $# -gt 0 ]; then
		for t in "$@"; do
			run_one "${t/#build\//build-asan/}" asan
		done
	else
		for t in build-asan/tests/test_*; do
			[ -x "$t" ] && run_one "$t" asan
		done
		for t in tests/sh/cli.sh; do
			run_one "$t" asan
		done
		if [ "$root" = 1 ]; then
			for t in tests/net/test_*.sh; do
				run_one "$t" asan
			done
		fi
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	sanitizer_reports
}

sanitizer_reports() {
	local f n

	n=$(find "$san" -type f | wc -l)
	if [ "$n" = 0 ]; then
		echo "PASS: asan: no AddressSanitizer, LeakSanitizer or UBSan report" |
		    tee -a "$log"
	else
		echo "FAIL: asan: $n sanitizer reports" | tee -a "$log"
		for f in $(find "$san" -type f | head -5); do
			echo "--- $f"
			head -30 "$f"
		done
	fi
}

if [ $# -gt 0 ] && [ "$1" = --asan ]; then
	shift
	sanitized "$@"
elif [ $# -gt 0 ]; then
	for t in "$@"; do
		run_one "$t"
	done
else
	plain
	sanitized
fi

pass=$(grep -c '^PASS:' "$log")
fail=$(grep -c '^FAIL:' "$log")
if [ "$fail" != 0 ]; then
	echo "failed:"
	grep '^FAIL:' "$log" | sed 's/^/  /'
fi
[ "$skipped" != 0 ] && echo "$skipped network test files skipped: they need root"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
