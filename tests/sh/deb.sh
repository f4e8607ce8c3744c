#!/bin/bash
# make deb: the package's name, files, fields and conffiles, and lintian.
# As root, also: dpkg -i; the nfqd user; nfqd -t on the shipped
# configuration; nothing started and the service disabled; a start of the
# packaged daemon in a network namespace of its own, workers as the nfqd
# user; dpkg --purge, after which the system is as the test found it.
#
# If a package nfqd is installed already, the test fails and leaves it
# alone (dpkg --purge nfqd, if it is a leftover of this test).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST=deb
TMP=$(mktemp -d /tmp/nfqd-deb.XXXXXX)
FAILS=0
pass() { echo "PASS: $TEST: $*"; }
fail() { echo "FAIL: $TEST: $*"; FAILS=$((FAILS + 1)); }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }

installed=0	# the package is installed by this test
policy=""	# the policy-rc.d this test wrote
daemon=""	# the nfqd this test started
# shellcheck disable=SC2317  # run by the trap
cleanup() {
	if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
		kill -KILL "$daemon"
	fi
	[ "$installed" = 1 ] && dpkg_wait --purge nfqd >/dev/null 2>&1
	[ -n "$policy" ] && rm -f "$policy"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

# dpkg, waiting up to 2 minutes while another dpkg or apt holds its lock
# (other jobs install packages on the machine too).
dpkg_wait() {
	local out rc
	for _ in $(seq 120); do
		out=$(dpkg "$@" 2>&1)
		rc=$?
		case $rc/$out in
		0/*) break ;;
		*"frontend lock"* | *"database is locked"*) sleep 1 ;;
		*) break ;;
		esac
	done
	echo "$out"
	return "$rc"
}

VERSION=$(sed -n 's/^#define NFQD_VERSION[[:space:]]*"\(.*\)"/\1/p' \
    "$TOP/include/nfqd/nfqd.h")
ARCH=$(dpkg --print-architecture)
DEB=$TOP/build/nfqd_${VERSION}_$ARCH.deb

check "debian/changelog names NFQD_VERSION" \
    "$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)" "$VERSION"

# make deb refuses a changelog that disagrees with NFQD_VERSION, before
# building anything.
mkdir -p "$TMP/skew/include/nfqd" "$TMP/skew/debian"
cp "$TOP/Makefile" "$TMP/skew/"
cp "$TOP/include/nfqd/nfqd.h" "$TMP/skew/include/nfqd/"
sed '1s/([^)]*)/(0.0.1)/' "$TOP/debian/changelog" >"$TMP/skew/debian/changelog"
out=$(make -s -C "$TMP/skew" deb 2>&1)
check "make deb refuses a changelog of another version" "$?/$(echo "$out" |
    grep -c "debian/changelog says 0.0.1, NFQD_VERSION .* $VERSION")" 2/1
check "and builds nothing" "$(ls "$TMP/skew")" "Makefile
debian
include"

make -s -C "$TOP" deb >"$TMP/build.log" 2>&1
rc=$?
check "make deb: status" "$rc" 0
[ "$rc" = 0 ] || tail -20 "$TMP/build.log"
check "the package builds without compiler warnings" \
    "$(grep -cE '\.[ch]:[0-9]+(:[0-9]+)?: warning:' "$TMP/build.log")" 0
check "built with dpkg-buildflags' hardening" \
    "$(grep -c -e '-D_FORTIFY_SOURCE=2 .*-fstack-protector-strong .*-c -o build/main.o' "$TMP/build.log")" 1
check "build/nfqd_${VERSION}_$ARCH.deb" "$(test -s "$DEB" && echo yes)" yes
[ -s "$DEB" ] || exit 1
check "the source tree's debian/ gets no build output" \
    "$(git -C "$TOP" status --porcelain --ignored --untracked-files=all \
    debian | grep '^[?!]')" ""

check "fields" "$(dpkg-deb -f "$DEB" Package Version Architecture Section)" \
    "Package: nfqd
Version: $VERSION
Architecture: $ARCH
Section: net"
deps=$(dpkg-deb -f "$DEB" Depends)
for d in adduser libnetfilter-queue1 libmnl0 libconfig9 libcap-ng0 \
    libseccomp2 libncurses6; do
	check "Depends: $d" "$(echo "$deps" | grep -c "\(^\|, \)$d\( \|,\|$\)")" 1
done

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\.||' >"$TMP/files"
for f in /usr/sbin/nfqd /usr/sbin/nfqctl /etc/nfqd/nfqd.conf \
    /etc/init.d/nfqd /lib/systemd/system/nfqd.service \
    /usr/share/man/man8/nfqd.8.gz /usr/share/man/man8/nfqctl.8.gz \
    /usr/share/man/man5/nfqd.conf.5.gz /usr/share/doc/nfqd/copyright \
    /usr/share/doc/nfqd/changelog.gz; do
	check "ships $f" "$(grep -cx "$f" "$TMP/files")" 1
done
check "ships nothing under /usr/local" "$(grep -c '^/usr/local' "$TMP/files")" 0
check "conffiles" "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)" \
    "/etc/init.d/nfqd
/etc/nfqd/nfqd.conf"

mkdir "$TMP/root"
dpkg-deb -x "$DEB" "$TMP/root"
check "the unit runs /usr/sbin/nfqd" \
    "$(grep -c '^Exec.*=/usr/sbin/nfqd ' "$TMP/root/lib/systemd/system/nfqd.service")" 3
check "the init script runs /usr/sbin/nfqd" \
    "$(grep '^DAEMON=' "$TMP/root/etc/init.d/nfqd")" "DAEMON=/usr/sbin/nfqd"
check "the configuration names the nfqd user" \
    "$(grep -c '^  user = "nfqd";$' "$TMP/root/etc/nfqd/nfqd.conf")" 1
check "the configuration is etc/nfqd.conf otherwise" \
    "$(diff "$TOP/etc/nfqd.conf" "$TMP/root/etc/nfqd/nfqd.conf" | grep -c '^[<>]')" 2
check "the man pages are the ones in docs/" \
    "$(for p in man8/nfqd.8 man8/nfqctl.8 man5/nfqd.conf.5; do
	zcat "$TMP/root/usr/share/man/$p.gz" | cmp -s - "$TOP/docs/${p#*/}" &&
	    echo -n y; done)" yyy

lintian --pedantic -I "$DEB" >"$TMP/lintian" 2>&1
rc=$?
grep -v 'running with root privileges' "$TMP/lintian" | sed 's/^/lintian: /'
check "lintian: status" "$rc" 0
check "lintian: errors" "$(grep -c '^E: ' "$TMP/lintian")" 0
check "lintian: warnings" "$(grep -c '^W: ' "$TMP/lintian")" 0

if [ "$(id -u)" != 0 ]; then
	echo "$TEST: not root: the package is built and checked, not installed"
	exit $((FAILS != 0))
fi

# --- as root: install, use, purge ---

state=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' nfqd 2>/dev/null)
case $state in
"" | "un "*) ;;
*)
	fail "package nfqd is on this machine already ($state): left alone;" \
	    "dpkg --purge nfqd if it is a leftover of this test"
	exit 1
	;;
esac

# What the package may touch, and may not leave behind.  Other packages
# may come and go in these directories meanwhile (other jobs install
# packages): a difference dpkg -S gives to another package is not ours.
snapshot() {
	find /usr/sbin /etc/nfqd /etc/init.d /etc/rc[0-6S].d /etc/default/nfqd \
	    /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system \
	    /var/lib/systemd/deb-systemd-helper-enabled \
	    /var/lib/systemd/deb-systemd-helper-masked /usr/share/man/man8 \
	    /usr/share/man/man5 /usr/share/doc/nfqd /run/nfqd \
	    /var/lib/nfqd 2>/dev/null | sort
	echo "passwd: $(getent passwd nfqd)"
	echo "group: $(getent group nfqd)"
	echo "dpkg: $(dpkg-query -W -f='${db:Status-Abbrev}' nfqd 2>/dev/null)"
}
snapshot >"$TMP/before"

# The package starts nothing (it is installed disabled); a policy-rc.d
# makes sure of it where there is none.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# tests/sh/deb.sh: no service starts while it installs\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
fi

installed=1
out=$(dpkg_wait -i "$DEB")
rc=$?
check "dpkg -i: status" "$rc" 0
[ "$rc" = 0 ] || echo "$out"
if [ -n "$policy" ]; then
	rm -f "$policy"
	policy=""
fi
check "installed" "$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' nfqd)" \
    "ii $VERSION"
check "user nfqd: a system user without home or shell" \
    "$(getent passwd nfqd | awk -F: '{ print ($3 < 1000) ":" $6 ":" $7 }')" \
    "1:/nonexistent:/usr/sbin/nologin"
check "group nfqd is the user's" \
    "$(getent group nfqd | cut -d: -f3)" "$(getent passwd nfqd | cut -d: -f4)"
out=$(/usr/sbin/nfqd -t -c /etc/nfqd/nfqd.conf 2>&1)
check "nfqd -t on the shipped configuration" "$?" 0
echo "$out"
check "nfqd -V" "$(/usr/sbin/nfqd -V)" "nfqd $VERSION"
check "nfqctl -V" "$(/usr/sbin/nfqctl -V | cut -d' ' -f1,2)" "nfqctl $VERSION"
/usr/sbin/nfqctl -h >/dev/null 2>&1
check "nfqctl -h" "$?" 0
pages="/usr/share/man/man8/nfqd.8.gz
/usr/share/man/man8/nfqctl.8.gz
/usr/share/man/man5/nfqd.conf.5.gz"
if command -v man >/dev/null; then
	check "man finds the man pages" "$(man -M /usr/share/man -w 8 nfqd
	    man -M /usr/share/man -w 8 nfqctl
	    man -M /usr/share/man -w 5 nfqd.conf)" "$pages"
else
	# shellcheck disable=SC2086
	check "the man pages are installed (no man here)" \
	    "$(ls $pages 2>&1)" "$(echo "$pages" | sort)"
fi
links() { local l n=0; for l in "$@"; do [ -e "$l" ] && n=$((n + 1)); done; echo $n; }
check "SysV: disabled (stop links in runlevels 0-6, no start link)" \
    "$(links /etc/rc[0-6S].d/S[0-9][0-9]nfqd)/$(links /etc/rc[0-6].d/K[0-9][0-9]nfqd)" 0/7
check "systemd: disabled (no multi-user.target.wants link)" \
    "$(links /etc/systemd/system/*.wants/nfqd.service)" 0
check "no nfqd started" "$(pgrep -f '^/usr/sbin/nfqd( |$)' | wc -l)" 0

# A start as configured (user nfqd), in a network namespace of its own and
# with its files in $TMP: unshare execs nfqd, so $! is the master.
sed -e "s|\"/run/nfqd/|\"$TMP/|" /etc/nfqd/nfqd.conf >"$TMP/nfqd.conf"
unshare -n /usr/sbin/nfqd -c "$TMP/nfqd.conf" >"$TMP/nfqd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
	grep -q 'workers, default verdict' "$TMP/nfqd.log" && break
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.1
done
n=$(nproc)
for _ in $(seq 50); do
	[ "$(grep -c ': worker [0-9]* started' "$TMP/nfqd.log")" = "$n" ] && break
	sleep 0.1
done
# Each worker becomes nfqd itself, after the master logged its start.
workers() { ps -o user= --ppid "$daemon" | sort | uniq -c | awk '{ print $1, $2 }'; }
for _ in $(seq 50); do
	[ "$(workers)" = "$n nfqd" ] && break
	sleep 0.1
done
check "the packaged nfqd starts: $n workers, each as user nfqd" \
    "$(workers)" "$n nfqd"
kill -TERM "$daemon"
wait "$daemon"
check "and stops: status" "$?" 0
daemon=""
[ "$FAILS" = 0 ] || cat "$TMP/nfqd.log"

out=$(dpkg_wait --purge nfqd)
rc=$?
check "dpkg --purge: status" "$rc" 0
[ "$rc" = 0 ] || echo "$out"
installed=0
check "no nfqd left running" "$(pgrep -f '^/usr/sbin/nfqd( |$)' | wc -l)" 0
snapshot >"$TMP/after"
# diff's lines: "< gone" or "> new".
changed=""
while read -r side line; do
	case $line in
	/*)
		if dpkg -S "$line" >/dev/null 2>&1; then
			echo "$TEST: $side $line: another package's (dpkg -S)"
			continue
		fi
		;;
	esac
	changed="$changed${changed:+; }$side $line"
done < <(diff "$TMP/before" "$TMP/after" | grep '^[<>] ')
check "purge leaves the system as it was" "$changed" ""
exit $((FAILS != 0))
