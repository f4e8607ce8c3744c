#!/bin/bash
# Run every test and print one summary line: "N passed, N failed".
#   unit tests (build/tests/test_*)     no root needed
#   tests/sh/*.sh                       command line, no root needed
#   tests/net/test_*.sh                 root: namespaces, veth, iptables
# Every test prints one "PASS: ..." or "FAIL: ..." line per case.  A test
# program that dies without saying FAIL counts as a failure.
# Run a subset with: tests/run.sh tests/net/test_reload.sh ...
set -u
cd "$(dirname "$0")/.."

log=$(mktemp /tmp/nfqd-check.XXXXXX)
trap 'rm -f "$log"' EXIT
skipped=0

run_one() {
	local t=$1 before after rc
	before=$(grep -c '^FAIL:' "$log")
	echo "== $t"
	"$t" 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	after=$(grep -c '^FAIL:' "$log")
	if [ "$rc" != 0 ] && [ "$after" = "$before" ]; then
		echo "FAIL: $t: exited with status $rc" | tee -a "$log"
	fi
}

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=(build/tests/test_* tests/sh/*.sh tests/fuzz/run.sh)
	if [ "$(id -u)" = 0 ]; then
		tests+=(tests/net/test_*.sh)
	else
		skipped=$(ls tests/net/test_*.sh | wc -l)
	fi
fi
for t in "${tests[@]}"; do
	[ -x "$t" ] && run_one "$t"
done

pass=$(grep -c '^PASS:' "$log")
fail=$(grep -c '^FAIL:' "$log")
if [ "$fail" != 0 ]; then
	echo "failed:"
	grep '^FAIL:' "$log" | sed 's/^/  /'
fi
[ "$skipped" != 0 ] && echo "$skipped network test files skipped: they need root"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
