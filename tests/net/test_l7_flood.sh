#!/bin/bash
# A flood of new flows must not walk a blocked name past the rules: with
# a flow table of 32, 3,000 SYNs from random ports come between the first
# and the rest of a blocked ClientHello's segments.  The flow being read
# is never evicted, so the hello is still read and blocked; the flood's
# flows are evicted instead.  With the flood before the hello (its flow
# evicted before it sent a byte), its first segment cannot be read alone
# and gets flows.full_verdict: blocked too.  An allowed name then still
# completes once the flood is over, and idle flows time out.
. "$(dirname "$0")/lib.sh"

TLSP=4433

setup_net
l7_host_rules 0:0
in1 iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
# The flood's SYN-ACKs are answered by nobody: no need for the server to
# keep them (the host's backlog is not what is tested).
in2 sysctl -qw net.ipv4.tcp_syncookies=1

conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    'flows: { max = 32; tcp_timeout = 6; closing_timeout = 6; };' \
    "rules = (
  { name = \"tls\"; tls_sni = \"blocked.example\"; verdict = \"repeat\";
    mark = $L7D; }
);"
start_nfqd "$conf" 1 || finish

test_cert "$NS2"
mkdir -p "$TMP/www"
tls_server "$NS2" $A2 $TLSP "$TMP/www"
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $TLSP || fail "the TLS server did not listen"

seg() { l7seg --dst $A2 --port $TLSP "$@"; }

dump
e0=$(js '.total.flows_evicted')
check "blocked name, 3,000 new flows between its hello's first segment and the rest: server silent" \
    "$(seg --sni blocked.example --seg 40 --flood 3000)" no
dump
e1=$(js '.total.flows_evicted')
if [ "$((e1 - e0))" -ge 2900 ]; then
	pass "the flood's flows were evicted ($((e1 - e0)))"
else
	fail "evicted $e0 -> $e1: want 2900 more at least"
fi
check "the hello being read was not evicted: rule tls decided it" \
    "$(js '.rules[] | select(.name == "tls") | .hits >= 1')" true

# The flood first: the victim's SYN-only flow is evicted before it sends
# anything; its hello's first segment then starts a hello nfqd cannot
# follow.
u0=$(js '.total.flows_untracked')
check "blocked name, its flow evicted by a flood before the hello: server silent" \
    "$(seg --sni blocked.example --seg 40 --flood-first 3000)" no
dump
if [ "$(js '.total.flows_untracked')" -gt "$u0" ]; then
	pass "its segments got flows.full_verdict ($(( $(js '.total.flows_untracked') - u0 )))"
else
	fail "flows_untracked did not grow ($u0)"
fi
check "allowed name after the floods: server answers" \
    "$(seg --sni ok.example --seg 40)" yes
# Idle flows end by their timeouts, from the worker's timer.
active() { dump; js '.total.flows_active'; }
if wait_eq 20 0 active; then
	pass "every flow timed out once idle ($(js '.total.flows_timed_out') so far)"
else
	fail "flows still active after 20 s: $(active)"
fi
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0
finish
