#!/bin/bash
# Reload storm: SIGHUP every 200 ms for 20 s, alternating two rule files,
# under a flood, with fail_open off: no packet lost, the rules of the last
# file in force at the end, and the counters of the rule both files share
# carried over every reload.
. "$(dirname "$0")/lib.sh"

setup_net
for t in iptables ip6tables; do
	in2 $t -t mangle -A PREROUTING -p udp --dport 9997:9999 -j NFQUEUE \
	    --queue-balance 0:1 --queue-cpu-fanout
done
for p in 9997 9998 9999; do
	in2 iptables -A INPUT -p udp --dport $p -j DROP
done
port_in() {
	in2 iptables -nvxL INPUT | awk -v p="dpt:$1" '$0 ~ p { print $1; exit }'
}
conf=$TMP/nfqd.conf
file() {	# file A|B
	local drop=9998
	[ "$1" = B ] && drop=9997
	write_conf "$conf" 'queue: { balance = "0:1"; fail_open = false; };' \
	    "rules = (
  { name = \"$1-drop-$drop\"; dst_port = $drop; verdict = \"drop\"; },
  { name = \"common\"; dst_port = 9999; verdict = \"accept\"; }
);"
}
file A
start_nfqd "$conf" 2 || finish

SECS=${STORM_SECS:-20}
in1 "$UDPGEN" -d $A2 -p 9999 -r 10000 -t "$SECS" -c 0 >"$TMP/gen0" 2>/dev/null &
g0=$!
BG_PIDS+=($g0)
in1 "$UDPGEN" -d $A2 -p 9999 -r 10000 -t "$SECS" -c 1 >"$TMP/gen1" 2>/dev/null &
g1=$!
BG_PIDS+=($g1)
n=0
next=A
while kill -0 "$g0" 2>/dev/null; do
	[ "$next" = A ] && next=B || next=A
	file $next
	kill -HUP "$NFQD_PID"
	n=$((n + 1))
	sleep 0.2
done
wait "$g0" "$g1"
last=$next
sent=$(( $(awk '{ print $2 }' "$TMP/gen0") + $(awk '{ print $2 }' "$TMP/gen1") ))
wait_eq 10 "$sent" port_in 9999
check "$n reloads in $SECS s under load: all $sent packets delivered" \
    "$(port_in 9999)" "$sent"
check "no kernel drops" "$(kq 0 6) $(kq 0 7) $(kq 1 6) $(kq 1 7)" "0 0 0 0"
reloads() { grep -c -e "master: reloaded" "$TMP/nfqd.log"; }
wait_eq 10 "$n" reloads
check "every SIGHUP was a reload" "$(reloads)" "$n"
settled() {	# both workers run the last configuration
	dump >/dev/null
	[ "$(js '[.workers[] | "\(.state) \(.generation)"] | join(" ")')" = \
	    "running $(js .generation) running $(js .generation)" ]
}
wait_until 10 settled
check "both workers run the last configuration" "$(settled && echo yes)" yes
if [ "$last" = A ]; then dropped=9998 passed=9997; else dropped=9997 passed=9998; fi
check "the last file's rules are in force" "$(js '[.rules[].name] | join(" ")')" \
    "$last-drop-$dropped common"
in1 "$UDPGEN" -d $A2 -p $dropped -n 100 -c 0 >/dev/null 2>&1
in1 "$UDPGEN" -d $A2 -p $passed -n 100 -c 0 >/dev/null 2>&1
wait_eq 5 100 port_in $passed
check "the last file's drop rule drops" "$(port_in $dropped)" 0
check "the other file's drop rule is gone" "$(port_in $passed)" 100
dump
check "the shared rule counted every flood packet over all reloads" \
    "$(js '.rules[] | select(.name == "common") | .hits')" "$sent"
stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
