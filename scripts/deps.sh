#!/bin/sh
# Install the Debian packages nfqd needs to build, test and run its demo,
# when they are missing.  Run as root on Debian 12 (bookworm).
set -eu

PKGS="gcc make pkg-config libc6-dev
libnetfilter-queue-dev libmnl-dev libconfig-dev libcap-ng-dev libseccomp-dev
iptables iproute2 iputils-ping socat jq procps python3-scapy
clang libclang-rt-14-dev gdb valgrind
openssl curl dnsmasq-base bind9-dnsutils ethtool tcpdump tshark
mandoc prometheus prometheus-node-exporter"
# prometheus gives promtool; tests/net/test_prometheus.sh runs
# prometheus-node-exporter itself, inside its namespace.  On a host that
# runs systemd, installing them also starts prometheus (:9090) and
# prometheus-node-exporter (:9100) there, as Debian packages do (not where
# policy-rc.d forbids it, as in containers); the tests need neither.

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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
