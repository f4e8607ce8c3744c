#!/bin/bash
# make install into a staging directory: the files land where the README
# says, with the paths substituted.  Needs no root.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=install
TMP=$(mktemp -d /tmp/nfqd-install.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
pass() { echo "PASS: $TEST: $*"; }
fail() { echo "FAIL: $TEST: $*"; FAILS=$((FAILS + 1)); }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }

make -s -C "$TOP" install DESTDIR="$TMP" PREFIX=/usr >"$TMP/out" 2>&1
check "make install: status" "$?" 0
for f in usr/sbin/nfqd usr/sbin/nfqctl etc/nfqd/nfqd.conf etc/init.d/nfqd \
    lib/systemd/system/nfqd.service usr/share/man/man8/nfqd.8 \
    usr/share/man/man8/nfqctl.8 usr/share/man/man5/nfqd.conf.5; do
	check "installed $f" "$(test -s "$TMP/$f" && echo yes)" yes
done
check "binary is executable" "$(test -x "$TMP/usr/sbin/nfqd" && echo yes)" yes
check "nfqctl is executable, next to nfqd" \
    "$(test -x "$TMP/usr/sbin/nfqctl" && echo yes)" yes
check "init script is executable" "$(test -x "$TMP/etc/init.d/nfqd" && echo yes)" yes
check "init script points at the installed binary" \
    "$(grep '^DAEMON=' "$TMP/etc/init.d/nfqd")" "DAEMON=/usr/sbin/nfqd"
sh -n "$TMP/etc/init.d/nfqd"
check "init script parses" "$?" 0
check "init script has LSB headers" \
    "$(grep -c -e '^# Provides:' -e '^### BEGIN INIT INFO' -e '^### END INIT INFO' "$TMP/etc/init.d/nfqd")" 3
check "systemd unit points at the installed binary" \
    "$(grep -c '^Exec.*=/usr/sbin/nfqd ' "$TMP/lib/systemd/system/nfqd.service")" 3
check "no placeholder left in the unit" \
    "$(grep -c '@SBINDIR@' "$TMP/lib/systemd/system/nfqd.service")" 0
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/sbin/nfqd|$TMP/usr/sbin/nfqd|g" \
	    "$TMP/lib/systemd/system/nfqd.service" >"$TMP/nfqd.service"
	# Documentation= names the man pages: man finds them in the staging
	# directory.
	out=$(MANPATH="$TMP/usr/share/man" systemd-analyze verify \
	    "$TMP/nfqd.service" 2>&1)
	check "systemd-analyze verify finds nothing to say" "$?/$out" "0/"
fi
"$TMP/usr/sbin/nfqd" -t -c "$TMP/etc/nfqd/nfqd.conf" >/dev/null
check "installed configuration is valid" "$?" 0

check "man pages are the ones in docs/" \
    "$(cmp -s "$TOP/docs/nfqd.8" "$TMP/usr/share/man/man8/nfqd.8" &&
    cmp -s "$TOP/docs/nfqd.conf.5" "$TMP/usr/share/man/man5/nfqd.conf.5" &&
    echo yes)" yes

# An existing configuration is kept.
echo 'default_verdict = "drop";' >"$TMP/etc/nfqd/nfqd.conf"
make -s -C "$TOP" install DESTDIR="$TMP" PREFIX=/usr >/dev/null 2>&1
check "reinstall keeps the configuration" "$(cat "$TMP/etc/nfqd/nfqd.conf")" \
    'default_verdict = "drop";'

# make uninstall removes what make install put there, and leaves the
# configuration.
make -s -C "$TOP" uninstall DESTDIR="$TMP" PREFIX=/usr >/dev/null 2>&1
check "make uninstall: status" "$?" 0
for f in usr/sbin/nfqd usr/sbin/nfqctl etc/init.d/nfqd \
    lib/systemd/system/nfqd.service \
    usr/share/man/man8/nfqd.8 usr/share/man/man8/nfqctl.8 \
    usr/share/man/man5/nfqd.conf.5; do
	check "uninstalled $f" "$(test -e "$TMP/$f" || echo gone)" gone
done
check "uninstall keeps the configuration" \
    "$(test -s "$TMP/etc/nfqd/nfqd.conf" && echo yes)" yes
exit $((FAILS != 0))
