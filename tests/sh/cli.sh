#!/bin/bash
# The command line: -t on good and bad files, -h, -V, bad options.
# Needs no root.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd
NFQCTL=$TOP/${NFQD_BUILD:-build}/nfqctl
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

echo 'queue: { };' >"$TMP/min.conf"
out=$("$NFQD" -t -c "$TMP/min.conf" --queue-balance 4:7 2>&1)
check "-t --queue-balance: overrides the range" "$?/$out" \
    "0/nfqd: $TMP/min.conf: configuration is valid (queues 4-7, 4 workers)"
# A relative path through a symbolic link is made absolute, not resolved:
# messages name the link, and @include is relative to the link's directory.
mkdir "$TMP/v1"
printf 'queue: { maxlen = 0; };\n@include "local.conf"\n' >"$TMP/v1/sl.conf"
echo 'stats: { interval = 5; };' >"$TMP/local.conf"
ln -s v1/sl.conf "$TMP/sl.conf"
(cd "$TMP" && "$NFQD" -t -c ./sl.conf) >"$TMP/out" 2>"$TMP/err"
check "-t through a symbolic link: the link named, the include found" \
    "$(cat "$TMP/err")" "$TMP/sl.conf:1: queue.maxlen: 0 is out of range \
(1 to 16777216)
nfqd: $TMP/sl.conf: 1 error; configuration is invalid"
"$NFQD" -t -c "$TMP/min.conf" --queue-balance 7:4 2>"$TMP/err"
check "--queue-balance 7:4 is refused" "$?" 1
"$NFQD" -t -c "$TMP/min.conf" -p relative.pid 2>"$TMP/err"
check "-p with a relative path is refused" "$?" 1

# Files that must neither end nor hang nfqd: each is refused at once (under
# a timeout, so a hang fails instead of blocking) with FILE:LINE: reason.
t_err() {	# t_err NAME FILE WANT-FIRST-LINE
	local t0 ms rc
	t0=$(date +%s%N)
	timeout 20 "$NFQD" -t -c "$2" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	check "$1: exits 1" "$rc" 1
	check "$1: message" "$(sed -n 1p "$TMP/err")" "$3"
	check "$1: one error" "$(sed -n 2p "$TMP/err")" \
	    "nfqd: $2: 1 error; configuration is invalid"
	[ "$ms" -lt 5000 ] && pass "$1: answers in $ms ms" ||
	    fail "$1: took $ms ms"
}
mkdir "$TMP/incdir" "$TMP/a\\b"
mkfifo "$TMP/fifo"
printf 'queue: { };\n@include "incdir"\n' >"$TMP/i-dir.conf"
t_err "-t: include of a directory" "$TMP/i-dir.conf" \
    "$TMP/i-dir.conf:2: cannot include \"incdir\": Is a directory"
printf '@include "a\\\\b"\n' >"$TMP/i-esc.conf"
t_err "-t: include of a directory by an escaped path \"a\\\\b\"" \
    "$TMP/i-esc.conf" \
    "$TMP/i-esc.conf:1: cannot include \"a\\b\": Is a directory"
printf 'queue: { };\n\n@include "fifo"\n' >"$TMP/i-fifo.conf"
t_err "-t: include of a FIFO" "$TMP/i-fifo.conf" \
    "$TMP/i-fifo.conf:3: cannot include \"fifo\": not a regular file"
t_err "-t: a FIFO as the file" "$TMP/fifo" \
    "$TMP/fifo: cannot read: not a regular file"
printf '@include "/dev/zero"\n' >"$TMP/i-zero.conf"
t_err "-t: include of /dev/zero" "$TMP/i-zero.conf" \
    "$TMP/i-zero.conf:1: cannot include \"/dev/zero\": not a regular file"
printf '@include "nowhere.conf"\n' >"$TMP/i-miss.conf"
t_err "-t: include of a missing file" "$TMP/i-miss.conf" \
    "$TMP/i-miss.conf:1: cannot include \"nowhere.conf\": No such file or directory"
printf 'queue: { };\n@include "i-self.conf"\n' >"$TMP/i-self.conf"
t_err "-t: a file that includes itself" "$TMP/i-self.conf" \
    "$TMP/i-self.conf:2: cannot include \"i-self.conf\": an include cycle ($TMP/i-self.conf is being read already)"
for i in $(seq 0 11); do
	printf 'x%d = %d;\n@include "d%d.conf"\n' "$i" "$i" $((i + 1)) \
	    >"$TMP/d$i.conf"
done
t_err "-t: include nested 11 deep" "$TMP/d0.conf" \
    "$TMP/d10.conf:2: cannot include \"d11.conf\": @include is nested more than 10 deep"
# Sparse: 300 MiB of size, no disk.
truncate -s 300M "$TMP/huge.conf"
t_err "-t: a file over 256 MiB" "$TMP/huge.conf" \
    "$TMP/huge.conf: cannot read: too large: 314572800 bytes (a configuration, with what it includes, may have 256 MiB)"
printf 'queue: { };\n@include "huge.conf"\n' >"$TMP/i-huge.conf"
t_err "-t: include of a file over 256 MiB" "$TMP/i-huge.conf" \
    "$TMP/i-huge.conf:2: cannot include \"huge.conf\": too large: 314572800 bytes (a configuration, with what it includes, may have 256 MiB)"
{ printf 'a = '; head -c 100000 /dev/zero | tr '\0' '('
  head -c 100000 /dev/zero | tr '\0' ')'; printf ';\n'; } >"$TMP/deep.conf"
t_err "-t: 100,000 nested lists" "$TMP/deep.conf" \
    "$TMP/deep.conf:1: memory exhausted (lists or groups nested too deeply?)"
printf 'a = 1;\n\0b = 2;\n' >"$TMP/nul.conf"
t_err "-t: a NUL byte" "$TMP/nul.conf" \
    "$TMP/nul.conf:2: a NUL byte: this is not a text file"

# Integers: the real number in the message, not what 32 bits kept of it.
printf 'queue: { base = 4294967297; };\n' >"$TMP/base.conf"
t_err "-t: base = 4294967297" "$TMP/base.conf" \
    "$TMP/base.conf:1: queue.base: 4294967297 is out of range (0 to 65535)"
printf 'queue: {\n  maxlen = 4294967295;\n};\n' >"$TMP/maxlen.conf"
t_err "-t: maxlen = 4294967295" "$TMP/maxlen.conf" \
    "$TMP/maxlen.conf:2: queue.maxlen: 4294967295 is out of range (1 to 16777216)"
printf 'queue: { maxlen = 99999999999999999999; };\n' >"$TMP/huge-int.conf"
t_err "-t: an integer beyond 64 bits" "$TMP/huge-int.conf" \
    "$TMP/huge-int.conf:1: 99999999999999999999 is out of range (-9223372036854775808 to 9223372036854775807)"
cat >"$TMP/marks.conf" <<'CONF'
queue: { balance = "0:1"; orphan_mark = 0; };
rules = ( { name = "m"; mark = 0xFFFFFFFF; uid = 4294967295;
            verdict = "accept"; } );
CONF
"$NFQD" -t -c "$TMP/marks.conf" >/dev/null 2>"$TMP/err"
check "-t: mark = 0xFFFFFFFF and uid = 4294967295 are valid" \
    "$?/$(cat "$TMP/err")" "0/"

# No settings at all: a copy in progress, refused.
: >"$TMP/empty.conf"
t_err "-t: an empty file" "$TMP/empty.conf" \
    "$TMP/empty.conf: no settings: an empty configuration is refused (a file still being written? write it elsewhere and rename it into place)"
printf '# only a comment\n\n' >"$TMP/comment.conf"
t_err "-t: a file of comments only" "$TMP/comment.conf" \
    "$TMP/comment.conf: no settings: an empty configuration is refused (a file still being written? write it elsewhere and rename it into place)"

# name_sets_max_bytes: a list that would pass it is refused at the name
# that does (60,000 names: a set of 1.4 MiB).
seq -f 'n%g.cap.test' 60000 >"$TMP/big.txt"
sets_conf() {	# sets_conf CAP
	printf 'queue: { balance = "0:0"; };\nname_sets_max_bytes = "%s";\n' "$1"
	printf 'name_sets = ( { name = "big"; file = "%s"; } );\n' "$TMP/big.txt"
	printf 'rules = ( { name = "r"; tls_sni = "x.test"; verdict = "drop"; } );\n'
}
sets_conf 1M >"$TMP/cap.conf"
t_err "-t: name sets over name_sets_max_bytes" "$TMP/cap.conf" \
    "$TMP/cap.conf:3: file: $TMP/big.txt: name sets would take over 1 MiB (name_sets_max_bytes)"
sets_conf 2M >"$TMP/cap.conf"
out=$("$NFQD" -t -c "$TMP/cap.conf" 2>&1)
check "-t: name sets under name_sets_max_bytes" "$?/$out" \
    "0/nfqd: $TMP/cap.conf: configuration is valid (queues 0-0, 1 workers)"

# A name list of no names (a blocklist emptied by a failed download)
# loads, with a warning that names the file and the set.
printf '# emptied\n\n' >"$TMP/empty.txt"
{ printf 'queue: { balance = "0:0"; };\nname_sets = ( { name = "ads"; file = "%s"; } );\n' \
    "$TMP/empty.txt"
  printf 'rules = ( { name = "r"; tls_sni = "@ads"; verdict = "drop"; } );\n'
} >"$TMP/empty.conf"
"$NFQD" -t -c "$TMP/empty.conf" >"$TMP/out" 2>"$TMP/err"
check "-t: an empty name list: valid" "$?" 0
check "-t: an empty name list: the warning" "$(cat "$TMP/err")" \
    "$TMP/empty.conf:2: warning: file: $TMP/empty.txt: no names in it: set \"ads\" is empty and matches nothing"
check "-t: an empty name list: says valid" "$(cat "$TMP/out")" \
    "nfqd: $TMP/empty.conf: configuration is valid (queues 0-0, 1 workers)"

# 1,000 problems: the first 100 errors and 100 warnings, then one line of
# how many more; the closing line counts every error.
{
	printf 'queue: { balance = "0:0"; };\nrules = (\n'
	for i in $(seq 0 999); do
		printf '  { name = "r%d"; mark = 0x40000000; verdict = "accept"; }%s\n' \
		    "$i" "$([ "$i" -lt 999 ] && echo ,)"
	done
	printf ');\n'
} >"$TMP/many.conf"
not_shown="not shown (only the first 100 errors and the first 100 warnings are shown)"
"$NFQD" -t -c "$TMP/many.conf" >"$TMP/out" 2>"$TMP/err"
check "-t: 1,000 warnings: valid, 101 lines" "$?/$(wc -l <"$TMP/err")" 0/101
check "-t: 1,000 warnings: the 100th" "$(sed -n 100p "$TMP/err")" \
    "$TMP/many.conf:2: warning: rule \"r99\" (line 102) sets or matches mark bit 0x40000000, which queue.orphan_mark uses for packets a worker died deciding; choose another bit for one of them"
check "-t: 1,000 warnings: how many more" "$(sed -n 101p "$TMP/err")" \
    "$TMP/many.conf: warning: ... and 900 more warnings $not_shown"
sed 's/"accept"/"maybe"/' "$TMP/many.conf" >"$TMP/manyerr.conf"
"$NFQD" -t -c "$TMP/manyerr.conf" >"$TMP/out" 2>"$TMP/err"
check "-t: 1,000 errors: invalid, 102 lines" "$?/$(wc -l <"$TMP/err")" 1/102
check "-t: 1,000 errors: how many more" "$(sed -n 101p "$TMP/err")" \
    "$TMP/manyerr.conf: ... and 900 more errors $not_shown"
check "-t: 1,000 errors: all counted" "$(sed -n 102p "$TMP/err")" \
    "nfqd: $TMP/manyerr.conf: 1000 errors; configuration is invalid"
# nfqctl reads stats.shm from the same text: it shows its errors as nfqd.
{
	printf 'stats: { shm = "%s/s.shm"; };\n' "$TMP"
	for i in $(seq 0 999); do
		printf 'x%d = 99999999999999999999;\n' "$i"
	done
} >"$TMP/ctlmany.conf"
"$NFQCTL" -c "$TMP/ctlmany.conf" stats >"$TMP/out" 2>"$TMP/err"
check "nfqctl stats: 1,000 numbers out of range: exits 1, 102 lines" \
    "$?/$(wc -l <"$TMP/err")" 1/102
check "nfqctl stats: 1,000 numbers out of range: the 100th" \
    "$(sed -n 100p "$TMP/err")" \
    "$TMP/ctlmany.conf:101: 99999999999999999999 is out of range (-9223372036854775808 to 9223372036854775807)"
check "nfqctl stats: 1,000 numbers out of range: how many more" \
    "$(sed -n 101p "$TMP/err")" \
    "$TMP/ctlmany.conf: ... and 900 more errors $not_shown"
check "nfqctl stats: 1,000 numbers out of range: what to do" \
    "$(sed -n 102p "$TMP/err")" \
    "nfqctl: $TMP/ctlmany.conf: cannot take stats.shm from it; -s names the region"

check "-V" "$("$NFQD" -V | cut -d' ' -f1-2)" "nfqd $(sed -n 's/.*NFQD_VERSION[^"]*"\(.*\)".*/\1/p' "$TOP/include/nfqd/nfqd.h")"
out=$("$NFQD" -S)
check "-S: exits 0" "$?" 0
check "-S: one line per setting, with what a reload does" \
    "$(echo "$out" | grep -c "^[a-z0-9_.]*	\(at once\|queue parameters\|queues\|workers replaced\|next start\)$")" \
    "$(echo "$out" | wc -l)"
check "-S: queue.maxlen replaces workers" \
    "$(echo "$out" | grep "^queue.maxlen	")" "queue.maxlen	workers replaced"
check "-S: name_sets_max_bytes applies at once" \
    "$(echo "$out" | grep "^name_sets_max_bytes	")" \
    "name_sets_max_bytes	at once"
"$NFQD" -h | grep -q -- "--queue-balance A:B"
check "-h shows the options" "$?" 0
"$NFQD" --bogus 2>/dev/null
check "unknown option exits 1" "$?" 1
"$NFQD" -t -c "$TMP/min.conf" extra 2>/dev/null
check "stray argument exits 1" "$?" 1

exit $((FAILS != 0))
