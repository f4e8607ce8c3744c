#!/bin/bash
# Two workers on --queue-balance 0:1 --queue-cpu-fanout: traffic passes,
# each CPU's packets land on its queue, and the statistics add up exactly.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
write_conf "$TMP/nfqd.conf" 'queue: { balance = "0:1"; };'
start_nfqd "$TMP/nfqd.conf" 2 || finish
check "both queues bound" "$(kernel_queues)" "0 1"

check "sent from CPU 0 and CPU 1" "$(send 0 1000) $(send 1 700)" "1000 700"
wait_eq 5 1700 delivered
check "every IPv4 packet came back with accept" "$(delivered)" 1700

dump
check "total received" "$(js .total.received)" 1700
check "total accepted" "$(js .total.accepted)" 1700
check "total dropped" "$(js .total.dropped)" 0
check "total bytes (92 per datagram)" "$(js .total.bytes)" $((1700 * 92))
check "queue 0 got the CPU 0 packets" \
    "$(js '.workers[0] | "\(.queue) \(.received)"')" "0 1000"
check "queue 1 got the CPU 1 packets" \
    "$(js '.workers[1] | "\(.queue) \(.received)"')" "1 700"
check "workers pinned to CPU 0 and 1" "$(js '[.workers[].cpu] | join(" ")')" "0 1"
check "worker pids in the JSON are the running workers" \
    "$(js '[.workers[].pid] | sort | join(" ")')" "$(workers_of "$NFQD_PID")"
check "kernel ids match what workers read" \
    "$(js '[.kernel[] | "\(.queue):\(.id_sequence):\(.queue_total)"] | join(" ")')" \
    "0:1000:0 1:700:0"
check "no losses or errors" \
    "$(js '[.total.skipped, .total.enobufs, .total.nlerrors, .total.malformed, .total.restarts] | join(" ")')" \
    "0 0 0 0 0"
if grep -q "master: statistics: uptime" "$TMP/nfqd.log" &&
    grep -q "master:  total .* 1700 " "$TMP/nfqd.log"; then
	pass "SIGUSR1 table in the log"
else
	fail "SIGUSR1 table in the log"
fi

# IPv6 takes the same queues.
n6=$(in1 "$UDPGEN" -d $A62 -p $PORT -n 300 -c 0 2>/dev/null | awk '{ print $2 }')
check "sent IPv6" "$n6" 300
wait_eq 5 300 delivered 6
check "every IPv6 packet came back with accept" "$(delivered 6)" 300

# ping and a TCP transfer through the queues as well.
for t in iptables ip6tables; do
	in2 $t -t mangle -I PREROUTING -p tcp --dport 5001 -j NFQUEUE \
	    --queue-balance 0:1 --queue-cpu-fanout --queue-bypass
done
in2 iptables -t mangle -I PREROUTING -p icmp -j NFQUEUE \
    --queue-balance 0:1 --queue-cpu-fanout --queue-bypass
if in1 ping -c 3 -i 0.2 -W 2 $A2 >/dev/null; then
	pass "ping through the queue"
else
	fail "ping through the queue"
fi
head -c 4194304 /dev/urandom >"$TMP/send.bin"
ip netns exec "$NS2" socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$TMP/recv.bin",creat,trunc &
BG_PIDS+=($!)
wait_until 5 in2 sh -c "ss -ltn | grep -q ':5001 '"
in1 socat -u OPEN:"$TMP/send.bin" TCP:$A2:5001,connect-timeout=5
wait_until 10 cmp -s "$TMP/send.bin" "$TMP/recv.bin"
if cmp -s "$TMP/send.bin" "$TMP/recv.bin"; then
	pass "4 MiB TCP transfer through the queue, byte for byte"
else
	fail "4 MiB TCP transfer through the queue differs"
fi
dump
before=$((1700 + 300 + 3))
if [ "$(js .total.received)" -gt "$before" ] &&
    [ "$(js .total.received)" = "$(js .total.accepted)" ]; then
	pass "TCP segments were verdicted by nfqd"
else
	fail "TCP segments were verdicted: received $(js .total.received)"
fi

stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
