#!/bin/bash
# nfqd demo: a client and a server namespace joined by veth; every IPv4
# packet the server receives goes through NFQUEUE to nfqd (one worker per
# CPU); ping, UDP and a TCP transfer cross it; SIGUSR1 shows the numbers.
# Everything it creates is removed at the end.  Run as root: make demo
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
NFQD=$TOP/build/nfqd
UDPGEN=$TOP/build/tools/udpgen
N=$(nproc)
SFX=$(tr -dc a-z0-9 </dev/urandom | head -c 6)
CLIENT=nfqd-demo-client-$SFX
SERVER=nfqd-demo-server-$SFX
TMP=$(mktemp -d /tmp/nfqd-demo.XXXXXX)
PID=

[ "$(id -u)" = 0 ] || { echo "demo: run as root" >&2; exit 1; }
for f in "$NFQD" "$UDPGEN"; do
	[ -x "$f" ] || { echo "demo: $f missing; run make demo" >&2; exit 1; }
done

cleanup() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	ip netns del "$CLIENT" 2>/dev/null
	ip netns del "$SERVER" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "+ $*"; "$@"; }
c() { ip netns exec "$CLIENT" "$@"; }
s() { ip netns exec "$SERVER" "$@"; }

step "Two namespaces joined by veth: client 10.88.0.1, server 10.88.0.2"
ip netns add "$CLIENT"
ip netns add "$SERVER"
ip link add veth0 netns "$CLIENT" type veth peer name veth1 netns "$SERVER"
ip -n "$CLIENT" addr add 10.88.0.1/24 dev veth0
ip -n "$SERVER" addr add 10.88.0.2/24 dev veth1
for ns in "$CLIENT" "$SERVER"; do ip -n "$ns" link set lo up; done
ip -n "$CLIENT" link set veth0 up
ip -n "$SERVER" link set veth1 up

step "Server: every IPv4 packet from the client goes to queues 0..$((N - 1))"
run s iptables -t mangle -A PREROUTING -i veth1 -j NFQUEUE \
    --queue-balance 0:$((N - 1)) --queue-cpu-fanout --queue-bypass
# Count, in a later hook, what comes back from nfqd with accept.
run s iptables -A INPUT -i veth1 -p udp --dport 9000 -j ACCEPT
run s iptables -A INPUT -i veth1 -p udp --dport 9001 -j ACCEPT
run s iptables -A INPUT -i veth1 -p tcp --dport 5001 -m mark --mark 0x1

step "Start nfqd in the server namespace: $N workers, one per CPU, 3 rules"
cat >"$TMP/nfqd.conf" <<CONF
daemon: { pidfile = "$TMP/nfqd.pid"; };
queue:  { balance = "0:$((N - 1))"; cpu_affinity = "auto"; };
stats:  { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
rules = (
  { name = "no-udp-9001"; proto = "udp"; dst_port = 9001; verdict = "drop"; },
  { name = "mark-tcp-5001"; proto = "tcp"; dst_port = 5001;
    verdict = "accept"; mark = 0x1; },
  { name = "log-pings"; proto = "icmp"; icmp_type = 8; verdict = "continue";
    log = true; }
);
default_verdict = "accept";
CONF
cat "$TMP/nfqd.conf"
ip netns exec "$SERVER" "$NFQD" -c "$TMP/nfqd.conf" 2>"$TMP/nfqd.log" &
PID=$!
for _ in $(seq 100); do
	[ "$(pgrep -c -P "$PID")" = "$N" ] && break
	sleep 0.05
done
cat "$TMP/nfqd.log"
echo "+ cat /proc/net/netfilter/nfnetlink_queue   (in the server namespace)"
s cat /proc/net/netfilter/nfnetlink_queue

step "ping through the queue (rule log-pings logs them, at most one a second)"
run c ping -c 4 -i 0.2 10.88.0.2
grep "rule log-pings" "$TMP/nfqd.log" | head -2

step "UDP: 20000 datagrams from each CPU (--queue-cpu-fanout: CPU i -> queue i)"
sent=0
for cpu in $(seq 0 $((N - 1))); do
	n=$(c "$UDPGEN" -d 10.88.0.2 -p 9000 -n 20000 -s 200 -c "$cpu" 2>/dev/null |
	    awk '{ print $2 }')
	echo "CPU $cpu: sent $n"
	sent=$((sent + n))
done
wait_count() {	# wait until INPUT's counter for $1 stops growing
	local last=-1 now
	for _ in $(seq 50); do
		now=$(s iptables -nvxL INPUT | awk -v p="$1" '$0 ~ p { print $1; exit }')
		[ "$now" = "$last" ] && break
		last=$now
		sleep 0.1
	done
	echo "$now"
}
got=$(wait_count dpt:9000)
echo "sent $sent, accepted by nfqd and delivered: $got"
n=$(c "$UDPGEN" -d 10.88.0.2 -p 9001 -n 5000 -c 0 2>/dev/null | awk '{ print $2 }')
echo "sent $n to port 9001, which rule no-udp-9001 drops; delivered: $(wait_count dpt:9001)"

step "TCP: 16 MiB with socat, compared byte for byte"
head -c 16777216 /dev/urandom >"$TMP/send.bin"
ip netns exec "$SERVER" socat -u TCP-LISTEN:5001,reuseaddr \
    OPEN:"$TMP/recv.bin",creat,trunc &
lpid=$!
for _ in $(seq 100); do
	s ss -ltn | grep -q ':5001 ' && break
	sleep 0.05
done
start=$(date +%s%N)
c socat -u OPEN:"$TMP/send.bin" TCP:10.88.0.2:5001
wait "$lpid"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if cmp -s "$TMP/send.bin" "$TMP/recv.bin"; then
	echo "16 MiB transferred in $ms ms, identical"
else
	echo "TRANSFER DIFFERS"
fi
echo "segments that reached INPUT with nfqd's mark 0x1: $(wait_count 'mark match 0x1')"

step "SIGUSR1: the statistics table (log) and JSON ($TMP/stats.json)"
lines=$(wc -l <"$TMP/nfqd.log")
run kill -USR1 "$PID"
for _ in $(seq 100); do
	grep -q "statistics written" "$TMP/nfqd.log" && break
	sleep 0.05
done
tail -n +"$((lines + 1))" "$TMP/nfqd.log"
jq . "$TMP/stats.json"

step "SIGTERM: workers finish, the master unbinds the queues and exits"
run kill -TERM "$PID"
wait "$PID"
echo "exit status $?"
PID=
tail -n 4 "$TMP/nfqd.log"
echo "+ cat /proc/net/netfilter/nfnetlink_queue   (empty: nothing bound)"
s cat /proc/net/netfilter/nfnetlink_queue

step "Cleaning up: namespaces and files removed"
