#!/bin/bash
# Crash storm: a steady flood for 20 s while worker 0 is SIGKILLed every
# second.  With fail_open on, every packet is delivered past the queue, and
# within a second of the flood's end nothing waits in any queue (nothing
# stranded: what a dead worker had read is released by its successor).
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
write_conf "$TMP/nfqd.conf" 'queue: { balance = "0:1"; fail_open = true; };'
start_nfqd "$TMP/nfqd.conf" 2 || finish

SECS=${STORM_SECS:-20}
in1 "$UDPGEN" -d $A2 -p $PORT -r 10000 -t "$SECS" -c 0 >"$TMP/gen0" 2>/dev/null &
g0=$!
BG_PIDS+=($g0)
in1 "$UDPGEN" -d $A2 -p $PORT -r 10000 -t "$SECS" -c 1 >"$TMP/gen1" 2>/dev/null &
g1=$!
BG_PIDS+=($g1)

kills=0
while kill -0 "$g0" 2>/dev/null; do
	sleep 1
	kill -0 "$g0" 2>/dev/null || break
	rm -f "$TMP/stats.json"
	kill -USR1 "$NFQD_PID"
	wait_until 2 test -s "$TMP/stats.json" || continue
	p=$(js '.workers[0].pid')
	[ "$p" -gt 0 ] 2>/dev/null && kill -KILL "$p" && kills=$((kills + 1))
done
wait "$g0" "$g1"
t_end=$(date +%s%N)
sent=$(( $(awk '{ print $2 }' "$TMP/gen0") + $(awk '{ print $2 }' "$TMP/gen1") ))
empty() { in2 awk '$3 != 0 { exit 1 }' /proc/net/netfilter/nfnetlink_queue; }
wait_until 1 empty
ms=$(( ($(date +%s%N) - t_end) / 1000000 ))
check "nothing waits in the queues within a second of the end" \
    "$(empty && echo empty)" empty
echo "# queues empty ${ms} ms after the flood ended"
wait_eq 5 "$sent" delivered
check "$kills kills in ${SECS} s: every one of $sent packets delivered" \
    "$(delivered)" "$sent"
dump
echo "# orphans released: $(js .total.orphans), restarts: $(js .total.restarts)," \
    "kernel drops: $(kq 0 6)+$(kq 0 7) / $(kq 1 6)+$(kq 1 7)"
check "every kill was respawned" "$(js '.workers[0].restarts')" "$kills"
check "two workers at the end" "$(nworkers "$NFQD_PID")" 2
[ "$kills" -ge $((SECS - 3)) ] && pass "the worker was killed about every second ($kills)" ||
    fail "only $kills kills in $SECS s"
stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
