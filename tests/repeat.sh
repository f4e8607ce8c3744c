#!/bin/bash
# Run tests many times, to find the ones that fail only sometimes.
#
#   tests/repeat.sh [-n N] [--asan] [--busy] TEST...
#
# Each TEST (as tests/run.sh takes it: build/tests/test_x,
# tests/net/test_y.sh, ...) runs N times (default 20), each run through
# tests/run.sh: with --asan through tests/run.sh --asan, which runs it
# against build-asan/ with the sanitizer environment and fails the run if
# a sanitizer reported anything.  --busy keeps CPU 0 busy for the whole
# time (a shell loop pinned there with taskset), as another load would.
#
# Prints "TEST: P passed, F failed of N runs" per test and a tally; the
# output of every failed run is kept in a directory it names.  Exit status
# 0 when every run passed, 1 when one failed, 2 for a usage error.
set -u
cd "$(dirname "$0")/.." || exit 2

usage() {
	echo "usage: tests/repeat.sh [-n N] [--asan] [--busy] TEST..." >&2
	exit 2
}

n=20
asan=
busy=0
while [ $# -gt 0 ]; do
	case $1 in
	-n)	[ $# -ge 2 ] || usage
		n=$2
		shift 2 ;;
	-n*)	n=${1#-n}
		shift ;;
	--asan)	asan=--asan
		shift ;;
	--busy)	busy=1
		shift ;;
	--)	shift
		break ;;
	-*)	usage ;;
	*)	break ;;
	esac
done
[ $# -gt 0 ] || usage
case $n in
''|*[!0-9]*|0) echo "repeat: -n wants a positive number, not '$n'" >&2
	exit 2 ;;
esac
for t in "$@"; do
	if [ ! -x "$t" ]; then
		echo "repeat: $t: not an executable test" >&2
		exit 2
	fi
done

keep=$(mktemp -d /tmp/nfqd-repeat.XXXXXX)
hog=
stop_hog() {
	if [ -n "$hog" ]; then
		kill "$hog" 2>/dev/null
		wait "$hog" 2>/dev/null
		hog=
	fi
}
trap 'stop_hog' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$busy" = 1 ]; then
	# Its own pid (setpriv and taskset exec), and it dies with us even
	# if we are killed (parent-death signal).
	setpriv --pdeathsig KILL taskset -c 0 sh -c 'while :; do :; done' &
	hog=$!
	echo "repeat: CPU 0 kept busy by pid $hog"
fi

total_pass=0
total_fail=0
for t in "$@"; do
	pass=0
	fail=0
	name=$(echo "${t#./}" | tr / _)
	printf '%s ' "$t"
	for i in $(seq 1 "$n"); do
		out=$keep/$name.$i.log
		if tests/run.sh $asan "$t" >"$out" 2>&1; then
			pass=$((pass + 1))
			rm -f "$out"
			printf .
		else
			fail=$((fail + 1))
			printf F
		fi
	done
	echo
	echo "$t: $pass passed, $fail failed of $n runs${asan:+ (asan)}"
	if [ "$fail" != 0 ]; then
		grep -h '^FAIL:' "$keep/$name".*.log | sort | uniq -c |
		    sort -rn | head -5 | sed 's/^/    /'
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
stop_hog

what="$((total_pass + total_fail)) runs of $# tests${asan:+ (asan)}"
[ "$busy" = 1 ] && what="$what, CPU 0 busy"
echo "repeat: $what: $total_pass passed, $total_fail failed"
if [ "$total_fail" != 0 ]; then
	echo "repeat: logs of the failed runs are in $keep"
	exit 1
fi
rmdir "$keep"
exit 0
