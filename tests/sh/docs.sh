#!/bin/bash
# Docs that cannot go stale: every source file is in README's source
# table; every setting (nfqd -S, from the settings table) has a row in
# docs/configuration.md that says what a reload does, as -S does, and a
# line in etc/nfqd.conf.  Needs no root.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd
TEST=docs
FAILS=0
pass() { echo "PASS: $TEST: $*"; }
fail() { echo "FAIL: $TEST: $*"; FAILS=$((FAILS + 1)); }

cd "$TOP" || exit 1
# README's source table: rows "| `src/a.c`, `src/b.c` | what |".
table=$(grep '^| `src/' README.md)
missing=""
for f in $(find src -name '*.c' | sort); do
	case $table in
	*"\`$f\`"*) ;;
	*) missing="$missing $f" ;;
	esac
done
if [ -z "$missing" ]; then
	pass "every file in src/ is in README's source table"
else
	fail "not in README's source table:$missing"
fi
stale=""
for f in $(echo "$table" | grep -o '`src/[^`]*\.c`' | tr -d '`'); do
	[ -e "$f" ] || stale="$stale $f"
done
if [ -z "$stale" ]; then
	pass "README's source table names no file that is gone"
else
	fail "README's source table names files that are gone:$stale"
fi

settings=$("$NFQD" -S) || { fail "nfqd -S failed"; exit 1; }
check_setting() {	# NAME WHAT
	local name=$1 what=$2 group key section row
	case $name in
	*.*) group=${name%%.*}; key=${name#*.} ;;
	*) group="Top level"; key=$name ;;
	esac
	# The rows of the setting's section of docs/configuration.md.
	section=$(awk -v g="## $group" '$0 == g { on = 1; next }
	    /^## / { on = 0 } on' docs/configuration.md)
	row=$(echo "$section" | grep "^| \`$key\` |")
	if [ -z "$row" ]; then
		fail "$name: no row in docs/configuration.md ($group)"
	elif [ "$(echo "$row" | awk -F' \\| ' '{ print $3 }')" != "$what" ]; then
		fail "$name: docs/configuration.md says \"$(echo "$row" |
		    awk -F' \\| ' '{ print $3 }')\" on reload, nfqd -S \"$what\""
	else
		pass "$name: in docs/configuration.md, on reload: $what"
	fi
	if grep -q "^[[:space:]]*#\{0,1\}[[:space:]]*$key = " etc/nfqd.conf; then
		pass "$name: in etc/nfqd.conf"
	else
		fail "$name: not in etc/nfqd.conf"
	fi
}
n=0
while IFS=$'\t' read -r name what; do
	check_setting "$name" "$what"
	n=$((n + 1))
done <<<"$settings"
[ "$n" -gt 20 ] && pass "$n settings checked" || fail "only $n settings from nfqd -S"
exit $((FAILS != 0))
