#!/bin/bash
# The man pages: mandoc finds nothing to say about any docs/*.[1-8];
# nfqd.conf.5 has an item for every setting (nfqd -S, as docs.sh) and
# every rule key (the key tables of src/rulekeys.c and src/l7keys.c);
# nfqd.8 has every option of nfqd -h, nfqctl.8 every option and command
# of nfqctl -h.  Needs no root.
#
# mandoc runs at -W warning: -W style (what -T lint shows by default)
# also says "referenced manual not found" for every .Xr to a page not
# installed on this machine (nfqd.conf(5) itself before make install,
# iptables-extensions(8) without iptables), which is not a fault of
# the page.
#
# NFQD_DOCS=DIR checks the pages in DIR instead of docs/.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd
NFQCTL=$TOP/${NFQD_BUILD:-build}/nfqctl
DOCS=${NFQD_DOCS:-$TOP/docs}
TEST="man"
FAILS=0
pass() { echo "PASS: $TEST: $*"; }
fail() { echo "FAIL: $TEST: $*"; FAILS=$((FAILS + 1)); }

cd "$TOP" || exit 1

# Every page, so that one added later is linted too.
if ! command -v mandoc >/dev/null; then
	fail "mandoc is not installed (scripts/deps.sh installs it)"
else
	n=0
	for page in "$DOCS"/*.[1-8]; do
		[ -e "$page" ] || continue
		n=$((n + 1))
		out=$(mandoc -T lint -W warning "$page" 2>&1)
		rc=$?
		if [ "$rc" = 0 ] && [ -z "$out" ]; then
			pass "mandoc -T lint -W warning: $(basename "$page")"
		else
			fail "mandoc -T lint -W warning: $(basename "$page")" \
			    "(status $rc): $(echo "$out" | paste -sd ';')"
		fi
	done
	if [ "$n" -ge 2 ]; then
		pass "$n man pages linted"
	else
		fail "only $n man pages in $DOCS"
	fi
fi

# The lines of section NAME (".Sh NAME" up to the next .Sh) of a page.
section() {	# section PAGE NAME
	awk -v s=".Sh $2" '$0 == s { on = 1; next } /^\.Sh / { on = 0 } on' \
	    "$1"
}
# Whether an .It line of the text on stdin names WORD after MACRO
# (".It Ic queue.maxlen No = ...", ".It Ic src , Ic dst No = ...").
has_item() {	# has_item MACRO WORD
	local w
	w=$(printf '%s' "$2" | sed 's/[.\\[*^$]/\\&/g')
	grep -q "^\.It\( .*\)\{0,1\} $1 $w\( \|$\)"
}

conf=$DOCS/nfqd.conf.5
man8=$DOCS/nfqd.8
for page in "$conf" "$man8"; do
	[ -s "$page" ] || { fail "$page is missing"; exit 1; }
done

# Settings, from the settings table as docs.sh reads them.
settings=$("$NFQD" -S) || { fail "nfqd -S failed"; exit 1; }
sect=$(section "$conf" SETTINGS)
n=0
missing=""
for name in $(echo "$settings" | cut -f1); do
	n=$((n + 1))
	echo "$sect" | has_item Ic "$name" || missing="$missing $name"
done
if [ "$n" -le 20 ]; then
	fail "only $n settings from nfqd -S"
elif [ -z "$missing" ]; then
	pass "nfqd.conf.5 describes all $n settings of nfqd -S"
else
	fail "not in nfqd.conf.5's SETTINGS:$missing"
fi

# Rule keys, from the rows of the two key tables the rule reader walks.
keys_of() {	# keys_of FILE TABLE
	awk -v t="$2" 'index($0, t "[] = {") { on = 1; next }
	    on && /^};/ { exit } on' "$1" | grep -o '{ "[a-z0-9_]*",' |
	    tr -d '{",' | tr -d ' '
}
core=$(keys_of src/rulekeys.c "nfqd_rulekey keys")
l7=$(keys_of src/l7keys.c nfqd_l7_rulekeys)
nc=$(echo "$core" | grep -c .)
nl=$(echo "$l7" | grep -c .)
sect=$(section "$conf" RULES)
missing=""
for key in $core $l7; do
	echo "$sect" | has_item Ic "$key" || missing="$missing $key"
done
if [ "$nc" -lt 10 ] || [ "$nl" -lt 5 ]; then
	fail "read only $nc + $nl rule keys from src/rulekeys.c and src/l7keys.c"
elif [ -z "$missing" ]; then
	pass "nfqd.conf.5 describes all $((nc + nl)) rule keys ($nc + $nl)"
else
	fail "rule keys not in nfqd.conf.5's RULES:$missing"
fi

# Options: every one of PROG -h ("  -c, --config FILE", "      --queue-
# balance") an item of PAGE and in its SYNOPSIS.
options() {	# options NAME PROG PAGE
	local help synopsis n=0 missing="" short long

	help=$("$2" -h) || { fail "$1 -h failed"; return; }
	synopsis=$(mandoc -T ascii "$3" 2>/dev/null | col -b |
	    awk '/^SYNOPSIS/ { on = 1; next } /^[A-Z]/ { on = 0 } on')
	while read -r short long; do
		n=$((n + 1))
		if [ "$short" != - ]; then
			has_item Fl "$short" <"$3" || missing="$missing -$short"
			echo "$synopsis" | grep -q -- "\(^\|[[ ]\)-[A-Za-z]*$short" ||
			    missing="$missing -$short(SYNOPSIS)"
		else
			echo "$synopsis" | grep -q -- "--$long\( \|\]\|$\)" ||
			    missing="$missing --$long(SYNOPSIS)"
		fi
		has_item Fl "\\-$long" <"$3" || missing="$missing --$long"
	done < <(echo "$help" | sed -n \
	    -e 's/^  -\([A-Za-z]\), --\([a-z-]*\).*/\1 \2/p' \
	    -e 's/^      --\([a-z-]*\).*/- \1/p')
	if [ "$n" -lt 4 ]; then
		fail "read only $n options from $1 -h"
	elif [ -z "$missing" ]; then
		pass "$(basename "$3") describes all $n options of $1 -h"
	else
		fail "options not in $(basename "$3"):$missing"
	fi
}
options nfqd "$NFQD" "$man8"

# nfqctl.8: its options, and every command of nfqctl -h ("Commands:",
# then "  stats [--json]") an item of the page.
man8ctl=$DOCS/nfqctl.8
if [ ! -s "$man8ctl" ]; then
	fail "$man8ctl is missing"
else
	options nfqctl "$NFQCTL" "$man8ctl"
	n=0
	missing=""
	while read -r cmd; do
		n=$((n + 1))
		has_item Cm "$cmd" <"$man8ctl" || missing="$missing $cmd"
	done < <("$NFQCTL" -h | awk '/^Commands:/ { on = 1; next }
	    on && /^  [a-z]/ { print $1 }')
	if [ "$n" -lt 5 ]; then
		fail "read only $n commands from nfqctl -h"
	elif [ -z "$missing" ]; then
		pass "nfqctl.8 describes all $n commands of nfqctl -h"
	else
		fail "commands not in nfqctl.8:$missing"
	fi
fi
exit $((FAILS != 0))
