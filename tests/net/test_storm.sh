#!/bin/bash
# Crash storm: for 20 s, a steady flood to a port the rules allow and one
# they drop, from both CPUs, while worker 0 is SIGKILLed every 0.6 s (or
# once its replacement runs, when that takes longer).  With
# the default orphan_verdict ("repeat") no blocked datagram is delivered
# and every allowed one is (or, under overload, counted by the kernel as
# dropped: fail_open is off, so an overload cannot let a blocked one
# through); within a second of the flood's end nothing waits in any queue.
. "$(dirname "$0")/lib.sh"

BLOCK=7777
setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
in2 iptables -t mangle -A PREROUTING -p udp --dport $BLOCK -j NFQUEUE \
    --queue-balance 0:1 --queue-cpu-fanout --queue-bypass
in2 iptables -A INPUT -p udp --dport $BLOCK -j DROP
blocked() {
	in2 iptables -nvxL INPUT | awk -v p="dpt:$BLOCK" \
	    '$0 ~ p { print $1; exit }'
}
write_conf "$TMP/nfqd.conf" 'queue: { balance = "0:1"; fail_open = false; };' \
    'rules = ( { name = "block"; proto = "udp"; dst_port = 7777;' \
    '  verdict = "drop"; } );'
start_nfqd "$TMP/nfqd.conf" 2 || finish

SECS=${STORM_SECS:-20}
RATE=${STORM_RATE:-5000}
gens=()
for cpu in 0 1; do
	for p in $PORT $BLOCK; do
		in1 "$UDPGEN" -d $A2 -p $p -r "$RATE" -t "$SECS" -c $cpu \
		    >"$TMP/gen.$p.$cpu" 2>/dev/null &
		gens+=($!)
		BG_PIDS+=($!)
	done
done

# A kill every 0.6 s while the flood runs (pacing, not synchronisation),
# each of a worker that runs, and the next only once it was replaced.
w0() {
	local p
	for p in $(pgrep -P "$NFQD_PID" -x nfqd-w0); do
		# Not a zombie the master has yet to reap.
		[ "$(awk '{ print $3 }' /proc/$p/stat 2>/dev/null)" != Z ] &&
		    echo "$p" && return
	done
}
replaced() { p=$(w0); [ -n "$p" ] && [ "$p" != "$1" ]; }
kills=0
while kill -0 "${gens[0]}" 2>/dev/null; do
	sleep 0.6
	kill -0 "${gens[0]}" 2>/dev/null || break
	p=$(w0)
	[ -n "$p" ] && kill -KILL "$p" || continue
	kills=$((kills + 1))
	wait_until 10 replaced "$p" || fail "worker 0 (pid $p) not replaced"
done
wait "${gens[@]}"
t_end=$(date +%s%N)
sent() { cat "$TMP"/gen.$1.* | awk '{ n += $2 } END { print n }'; }
empty() { in2 awk '$3 != 0 { exit 1 }' /proc/net/netfilter/nfnetlink_queue; }
wait_until 1 empty
ms=$(( ($(date +%s%N) - t_end) / 1000000 ))
check "nothing waits in the queues within a second of the end" \
    "$(empty && echo empty)" empty
echo "# queues empty ${ms} ms after the flood ended"
kdrops() {
	in2 awk '{ n += $6 + $7 } END { print n + 0 }' \
	    /proc/net/netfilter/nfnetlink_queue
}
check "$kills kills in ${SECS} s: none of $(sent $BLOCK) blocked datagrams delivered" \
    "$(blocked)" 0
settled() { [ $(( $(delivered) + $(kdrops) )) -ge "$(sent $PORT)" ]; }
wait_until 5 settled
dump
lost=$(( $(sent $PORT) - $(delivered) ))
echo "# orphans released: $(js .total.orphans), restarts: $(js .total.restarts)," \
    "kernel drops: $(kdrops), allowed not delivered: $lost"
if [ "$lost" -le "$(kdrops)" ] && [ "$lost" -ge 0 ]; then
	pass "every allowed datagram delivered, or counted as a kernel drop ($lost)"
else
	fail "$lost allowed datagrams lost, the kernel counted $(kdrops) drops"
fi
check "every kill was respawned" "$(js '.workers[0].restarts')" "$kills"
check "two workers at the end" "$(nworkers "$NFQD_PID")" 2
# 0.6 s apart, each after the last replacement: a busy machine respawns
# more slowly, but never slower than one a second.
[ "$kills" -ge "$SECS" ] &&
    pass "the worker was killed at least once a second ($kills)" ||
    fail "only $kills kills in $SECS s"
stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
