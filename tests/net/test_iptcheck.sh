#!/bin/bash
# At start nfqd reads the namespace's NFQUEUE rules (iptables-save and
# ip6tables-save) and says what would leave its queues unserved: a rule
# that sends to a queue it does not serve, a rule without --queue-bypass,
# and, as a notice, no rule for its queues at all.
. "$(dirname "$0")/lib.sh"

setup_net
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; };'
NOTICE="no iptables or ip6tables rule sends to queues 0-1 yet"

# start_log: start nfqd, and once its master reads signals (so the look
# at the rules, made before, is over) print what it logged.
start_log() {
	local from
	from=$(( $( (cat "$TMP/nfqd.log" 2>/dev/null || true) | wc -l) + 1 ))
	start_nfqd "$conf" 2 || finish
	dump
	stop_nfqd
	check "$1: nfqd exits 0" "$NFQD_STATUS" 0
	sed -n "$from,\$p" "$TMP/nfqd.log" >"$TMP/case.log"
}
has() { grep -c -- "$1" "$TMP/case.log"; }

start_log "no rule"
check "no rule: one notice" "$(has "$NOTICE")" 1
check "no rule: no warning" "$(has 'warning')" 0

# A rule for queue 5 (IPv4), without --queue-bypass.
in2 iptables -t mangle -A PREROUTING -p udp --dport $PORT -j NFQUEUE \
    --queue-num 5
start_log "a rule for another queue"
check "another queue: it is named" "$(has "iptables-save: a rule in table mangle, chain PREROUTING sends to queue 5, but this nfqd serves 0-1")" 1
check "another queue: no --queue-bypass" "$(has "iptables-save: a rule in table mangle, chain PREROUTING has no --queue-bypass")" 1
check "another queue: still the notice" "$(has "$NOTICE")" 1

# Our queues, over IPv6 only, with --queue-bypass: no notice.
in2 ip6tables -t mangle -A PREROUTING -p udp --dport $PORT -j NFQUEUE \
    --queue-balance 0:1 --queue-bypass
start_log "a rule for nfqd's queues"
check "nfqd's queues: no notice" "$(has "$NOTICE")" 0
check "nfqd's queues: no warning for that rule" "$(has 'ip6tables-save')" 0
check "nfqd's queues: the IPv4 rule still warned of" "$(has "sends to queue 5")" 1

# A range that reaches one of ours is one of ours.
in2 ip6tables -t mangle -F PREROUTING
in2 iptables -t mangle -F PREROUTING
in2 iptables -t mangle -A PREROUTING -p udp --dport $PORT -j NFQUEUE \
    --queue-balance 1:3 --queue-bypass
start_log "a range over nfqd's"
check "a range over nfqd's: no notice" "$(has "$NOTICE")" 0
check "a range over nfqd's: its other queues named" "$(has "sends to queues 1-3, but this nfqd serves 0-1")" 1
finish
