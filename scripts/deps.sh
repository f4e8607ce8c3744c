#!/bin/sh
# Install the Debian packages nfqd needs to build, test and run its demo,
# when they are missing.  Run as root on Debian 12 (bookworm).
set -eu

PKGS="gcc make pkg-config libc6-dev
libnetfilter-queue-dev libmnl-dev libconfig-dev libcap-ng-dev libseccomp-dev libpcap-dev
libssl-dev
iptables iproute2 iputils-ping socat jq procps python3-scapy
clang libclang-rt-14-dev gdb valgrind
openssl curl dnsmasq-base bind9-dnsutils ethtool tcpdump tshark
mandoc prometheus prometheus-node-exporter libncurses-dev
dpkg-dev debhelper lintian adduser
ngtcp2-client ngtcp2-server nghttp2-server nghttp2-client python3-h2"
# make deb builds the package with dpkg-dev and debhelper; tests/sh/deb.sh
# checks it with lintian and installs it (it depends on adduser).
# tests/net/test_quic.sh runs ngtcp2's gtlsclient and gtlsserver;
# tests/net/test_l7_h2c.sh nghttp2-server's nghttpd (no service),
# nghttp2-client's nghttp (several requests on one connection) and
# python3-h2 (one request after another on one connection, written by
# the h2 and hpack libraries).
# prometheus gives promtool; tests/net/test_prometheus.sh runs
# prometheus-node-exporter itself, inside its namespace.  Their packages
# come with services (prometheus on :9090, the exporter on :9100) that
# Debian starts and enables on install; the tests need neither, so when
# this script installs them it keeps them from starting (a policy-rc.d
# for the length of the install, where none exists) and disables them
# where systemd runs.
# ngtcp2-server (gtlsserver for tests/net/test_quic.sh) comes with
# ngtcp2d.service.  Each entry: PACKAGE or PACKAGE:UNIT.
SERVICES="prometheus prometheus-node-exporter ngtcp2-server:ngtcp2d"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root, or install them with apt-get" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
services=""
for s in $SERVICES; do
	case " $missing " in *" ${s%%:*} "*) services="$services $s" ;; esac
done
policy=""
if [ -n "$services" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	trap 'rm -f "$policy"' EXIT
	printf '#!/bin/sh\n# deps.sh: no service starts while it installs\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
if [ -n "$services" ] && [ -d /run/systemd/system ]; then
	for s in $services; do
		systemctl disable --now "${s#*:}.service" >/dev/null 2>&1 ||
		    true
	done
	echo "deps: installed and disabled the services of:$services" \
	    "(for the tests only)"
fi
