#!/bin/bash
# Run every libFuzzer target for a bounded time (FUZZ_TIME seconds each,
# default 20; or the first argument), starting from its seed corpus in
# tests/fuzz/corpus/NAME (a scratch copy: the repository is not written).
# One PASS or FAIL line per target.  Build them first: make fuzz.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-${FUZZ_TIME:-20}}
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
fails=0
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d /tmp/nfqd-fuzz.XXXXXX)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	timeout $((secs + 60)) "$f" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" \
	    "$work" >"$work/log" 2>&1
	rc=$?
	runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$work/log")
	if [ "$rc" = 0 ]; then
		echo "PASS: fuzz: $name: ${runs:-?} inputs in $secs s, no crash"
		rm -rf "$work"
	else
		echo "FAIL: fuzz: $name: exit $rc after ${runs:-?} inputs; crash input and log kept in $work"
		grep -m 5 -E "ERROR|SUMMARY|Test unit written" "$work/log"
		# An input runs from new state (the targets that keep state
		# take a script): the crash input alone reproduces it.
		for c in "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
		    "$work"/oom-*; do
			[ -e "$c" ] && echo "  reproduce: LSAN_OPTIONS=$LSAN_OPTIONS $f $c"
		done
		fails=$((fails + 1))
	fi
done
exit $((fails != 0))
