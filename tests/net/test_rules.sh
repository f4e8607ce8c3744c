#!/bin/bash
# Rules against real traffic: each verdict does what it says, exactly, and
# the per-rule counters in the statistics say how often.
. "$(dirname "$0")/lib.sh"

setup_net
# UDP 9990-9999 goes to the queues, unless it carries the repeat mark 0x2.
for t in iptables ip6tables; do
	in2 $t -t mangle -A PREROUTING -p udp --dport 9990:9999 \
	    -m mark ! --mark 0x2/0x2 -j NFQUEUE \
	    --queue-balance 0:1 --queue-cpu-fanout --queue-bypass
done
# Counted before the NFQUEUE rule: every pass through the chain.
in2 iptables -t mangle -I PREROUTING -p udp --dport 9996
# What comes back with accept, per port (and 9997 by mark).
in2 iptables -A INPUT -p udp --dport 9997 -m mark --mark 0x10 -j DROP
for p in 9990 9991 9992 9993 9994 9995 9996 9997 9998 9999; do
	in2 iptables -A INPUT -p udp --dport $p -j DROP
	in2 ip6tables -A INPUT -p udp --dport $p -j DROP
done

# in NS2: packets counted by the INPUT rule for PORT (without a mark match).
port_in() {
	in2 ip${2:-}tables -nvxL INPUT | awk -v p="dpt:$1" \
	    '$0 ~ p && $0 !~ /mark/ { print $1; exit }'
}
mark_in() {
	in2 iptables -nvxL INPUT | awk '/dpt:9997/ && /mark match 0x10/ \
	    { print $1; exit }'
}
passes_9996() {
	in2 iptables -t mangle -nvxL PREROUTING | awk \
	    '/dpt:9996/ && !/NFQUEUE/ { print $1; exit }'
}
to() { in1 "$UDPGEN" -d $A2 -p "$1" -n "$2" -c 0 "${@:3}" 2>/dev/null |
    awk '{ print $2 }'; }
to6() { in1 "$UDPGEN" -d $A62 -p "$1" -n "$2" -c 0 2>/dev/null |
    awk '{ print $2 }'; }
rule() { js ".rules[] | select(.name == \"$1\") | \"\(.hits) \(.bytes)\""; }

conf=$TMP/nfqd.conf
rules='rules = (
  { name = "drop-9998"; proto = "udp"; dst_port = 9998; verdict = "drop"; },
  { name = "mark-9997"; dst_port = 9997; verdict = "accept"; mark = 0x10; },
  { name = "repeat-9996"; dst_port = 9996; verdict = "repeat"; mark = 0x2; },
  { name = "to-q5"; dst_port = 9995; verdict = "queue"; queue = 5; },
  { name = "limit-9994"; dst_port = 9994; rate = "100/s"; burst = 50;
    verdict = "drop"; },
  { name = "v6-9993"; dst = "fd77::2/128"; dst_port = 9993; verdict = "drop"; },
  { name = "count-9992"; dst_port = 9992; verdict = "continue"; },
  { name = "iface-9992"; in_iface = "late0"; dst_port = 9992;
    verdict = "drop"; },
  { name = "not-9991"; proto = "udp"; dst_port = ("9990-9991", "!9990");
    src = ["10.77.0.0/24", "!10.77.0.2/32"]; verdict = "drop"; }
);'
write_conf "$conf" 'queue: { balance = "0:1"; };' "$rules"
start_nfqd "$conf" 2 || finish
if grep -q 'warning: rule "iface-9992": in_iface: no interface "late0"' \
    "$TMP/nfqd.log"; then
	pass "an interface that does not exist yet is a warning"
else
	fail "no warning about interface late0"
fi

# drop
check "drop: sent 500 to the rule's port and 700 beside it" \
    "$(to 9998 500) $(to 9999 700)" "500 700"
wait_eq 5 700 port_in 9999
check "drop: the other port's packets all pass" "$(port_in 9999)" 700
check "drop: none of the rule's packets pass" "$(port_in 9998)" 0

# mark with accept, seen by a later iptables -m mark rule
check "mark: sent" "$(to 9997 300)" 300
wait_eq 5 300 mark_in
check "mark: every packet carries 0x10 into INPUT" "$(mark_in)" 300
check "mark: none without it" "$(port_in 9997)" 0

# repeat with mark: the chain runs again once, nfqd sees each packet once
check "repeat: sent" "$(to 9996 200)" 200
wait_eq 5 200 port_in 9996
check "repeat: delivered once each" "$(port_in 9996)" 200
check "repeat: PREROUTING ran twice per packet" "$(passes_9996)" 400

# queue to queue 5: nobody serves it yet, so bypass lets packets through
check "queue, queue 5 unbound: sent" "$(to 9995 100)" 100
wait_eq 5 100 port_in 9995
check "queue, queue 5 unbound: bypass delivers them" "$(port_in 9995)" 100
# a second nfqd on queue 5, dropping what it gets
cat >"$TMP/q5.conf" <<CONF
daemon: { pidfile = "$TMP/q5.pid"; };
stats: { file = "$TMP/q5.json"; shm = "$TMP/q5.shm"; };
queue: { balance = "5:5"; };
default_verdict = "drop";
CONF
ip netns exec "$NS2" "$NFQD" -c "$TMP/q5.conf" >>"$TMP/q5.log" 2>&1 &
q5=$!
NFQD_PIDS+=("$q5")
wait_eq 5 1 nworkers "$q5"
wait_until 5 grep -q "worker 0 started" "$TMP/q5.log"
check "queue, queue 5 served: sent" "$(to 9995 150)" 150
q5_received() {
	rm -f "$TMP/q5.json"
	kill -USR1 "$q5"
	wait_until 2 test -s "$TMP/q5.json" && jq .total.received "$TMP/q5.json"
}
wait_eq 5 150 q5_received
check "queue: the second nfqd got every packet" "$(q5_received)" 150
check "queue: it dropped them" "$(port_in 9995)" 100

# rate limit: 100/s, burst 50, drop over the limit; 1000/s for 2 s
n=$(to 9994 0 -r 1000 -t 2)
wait_until 5 settle
got=$(port_in 9994)
echo "# rate limit: sent $n at 1000/s for 2 s, $got passed (100/s x 2 s + 50 = 250)"
if [ "$got" -ge 225 ] && [ "$got" -le 280 ]; then
	pass "rate limit: about rate x time + burst passed ($got of $n)"
else
	fail "rate limit: $got of $n passed, expected about 250"
fi

# IPv6: the rule names an IPv6 destination; IPv4 to the same port passes
check "ipv6: sent v6 and v4" "$(to6 9993 120) $(to 9993 80)" "120 80"
wait_eq 5 80 port_in 9993
check "ipv6: v6 packets dropped" "$(port_in 9993 6)" 0
check "ipv6: v4 packets passed" "$(port_in 9993)" 80

# negations: ports 9990-9991 but not 9990, from 10.77.0.0/24 but not .2
check "negation: sent" "$(to 9991 60) $(to 9990 40)" "60 40"
wait_eq 5 40 port_in 9990
check "negation: the excluded port passes" "$(port_in 9990)" 40
check "negation: the included port is dropped" "$(port_in 9991)" 0

# interfaces: "late0" does not exist; packets pass until veth1 is renamed
check "iface: sent before the rename" "$(to 9992 50)" 50
wait_eq 5 50 port_in 9992
check "iface: no such interface yet, so no match" "$(port_in 9992)" 50
in2 ip link set veth1 down
in2 ip link set veth1 name late0
in2 ip link set late0 up
wait_until 5 in1 ping -c 1 -W 1 $A2
check "iface: sent after the rename" "$(to 9992 70)" 70
wait_until 5 settle
check "iface: the rule matches the renamed interface, no reload" \
    "$(port_in 9992)" 50

dump
check "counters: drop-9998" "$(rule drop-9998)" "500 $((500 * 92))"
check "counters: mark-9997" "$(rule mark-9997)" "300 $((300 * 92))"
check "counters: repeat-9996 (once per packet)" "$(rule repeat-9996)" \
    "200 $((200 * 92))"
check "counters: to-q5" "$(rule to-q5)" "250 $((250 * 92))"
check "counters: limit-9994 counts what it dropped" \
    "$(rule limit-9994 | cut -d' ' -f1)" "$((n - got))"
check "counters: v6-9993" "$(rule v6-9993)" "120 $((120 * 112))"
check "counters: continue counts and goes on" "$(rule count-9992)" \
    "120 $((120 * 92))"
check "counters: iface-9992" "$(rule iface-9992)" "70 $((70 * 92))"
check "counters: not-9991" "$(rule not-9991)" "60 $((60 * 92))"
# 9999, 9994 under the limit, 9993 over IPv4, 9990, 9992 before the
# rename (count-9992 continues, then nothing matches).
check "counters: packets no rule decided got the default" \
    "$(js .total.nomatch)" $((700 + got + 80 + 40 + 50))

# A reload that changes one rule resets only that rule's counters.
rules2=${rules/\"drop-9998\"; proto = \"udp\"/\"drop-9998\"; proto = 17}
rules2=${rules2/burst = 50/burst = 60}
write_conf "$conf" 'queue: { balance = "0:1"; };' "$rules2"
reloads() { grep -c "master: reloaded" "$TMP/nfqd.log"; }
kill -HUP "$NFQD_PID"
wait_eq 5 1 reloads
# Both workers replaced: four "started" lines in all.
started() { grep -c "worker . started" "$TMP/nfqd.log"; }
wait_eq 5 4 started
dump
check "reload: unchanged rule keeps its counters (proto udp = 17)" \
    "$(rule drop-9998)" "500 $((500 * 92))"
check "reload: unchanged rule keeps its counters (mark-9997)" \
    "$(rule mark-9997)" "300 $((300 * 92))"
check "reload: the changed rule starts again" "$(rule limit-9994)" "0 0"

stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
