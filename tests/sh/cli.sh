#!/bin/bash
# The command line: -t on good and bad files, -h, -V, bad options.
# Needs no root.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd
TEST=cli
TMP=$(mktemp -d /tmp/nfqd-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
pass() { echo "PASS: $TEST: $*"; }
fail() { echo "FAIL: $TEST: $*"; FAILS=$((FAILS + 1)); }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }

out=$("$NFQD" -t -c "$TOP/etc/nfqd.conf" 2>&1)
check "-t: the example configuration is valid" "$?" 0
case "$out" in
*"configuration is valid"*) pass "-t: says valid" ;;
*) fail "-t: says valid: $out" ;;
esac

cat >"$TMP/bad.conf" <<'CONF'
# comment
queue: {
  fail-open = true;
  maxlen = 0;
};
CONF
"$NFQD" -t -c "$TMP/bad.conf" >"$TMP/out" 2>"$TMP/err"
check "-t: invalid file exits 1" "$?" 1
check "-t: nothing on stdout for an invalid file" "$(cat "$TMP/out")" ""
check "-t: first problem as FILE:LINE: message" "$(sed -n 1p "$TMP/err")" \
    "$TMP/bad.conf:3: queue.fail-open: unknown setting; did you mean 'fail_open'?"
check "-t: second problem as FILE:LINE: message" "$(sed -n 2p "$TMP/err")" \
    "$TMP/bad.conf:4: queue.maxlen: 0 is out of range (1 to 16777216)"
check "-t: summary line" "$(sed -n 3p "$TMP/err")" \
    "nfqd: $TMP/bad.conf: 2 errors; configuration is invalid"

printf 'queue: { maxlen = 10\n' >"$TMP/syntax.conf"
"$NFQD" -t -c "$TMP/syntax.conf" 2>"$TMP/err"
check "-t: syntax error exits 1" "$?" 1
check "-t: syntax error with its line" "$(sed -n 1p "$TMP/err")" \
    "$TMP/syntax.conf:2: syntax error"

"$NFQD" -t -c "$TMP/missing.conf" 2>"$TMP/err"
check "-t: missing file exits 1" "$?" 1
check "-t: missing file message" "$(sed -n 1p "$TMP/err")" \
    "$TMP/missing.conf: cannot open: No such file or directory"

: >"$TMP/empty.conf"
out=$("$NFQD" -t -c "$TMP/empty.conf" --queue-balance 4:7 2>&1)
check "-t --queue-balance: overrides the range" "$?/$out" \
    "0/nfqd: $TMP/empty.conf: configuration is valid (queues 4-7, 4 workers)"
"$NFQD" -t -c "$TMP/empty.conf" --queue-balance 7:4 2>"$TMP/err"
check "--queue-balance 7:4 is refused" "$?" 1
"$NFQD" -t -c "$TMP/empty.conf" -p relative.pid 2>"$TMP/err"
check "-p with a relative path is refused" "$?" 1

check "-V" "$("$NFQD" -V | cut -d' ' -f1-2)" "nfqd $(sed -n 's/.*NFQD_VERSION[^"]*"\(.*\)".*/\1/p' "$TOP/include/nfqd/nfqd.h")"
"$NFQD" -h | grep -q -- "--queue-balance A:B"
check "-h shows the options" "$?" 0
"$NFQD" --bogus 2>/dev/null
check "unknown option exits 1" "$?" 1
"$NFQD" -t -c "$TMP/empty.conf" extra 2>/dev/null
check "stray argument exits 1" "$?" 1

exit $((FAILS != 0))
