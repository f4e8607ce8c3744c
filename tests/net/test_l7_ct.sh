#!/bin/bash
# What conntrack and the flow table forget of a connection must not walk
# a hello past nfqd.
#
# A client can have conntrack close its entry while the server keeps the
# connection: a RST with the stream's first sequence number, once the
# server holds the first byte (the server finds it stale; conntrack, which
# has not yet seen the server acknowledge that byte, takes it).  When the
# entry is gone, a SYN with another ISN opens a new one, and the rest of
# the hello, an ACK on what conntrack takes for a connection still
# opening, is INVALID: no entry, so no connbytes and no connmark rule of
# the NFQD chain matches it.  The documented rules drop INVALID packets
# first thing (docs/l7.md).  Without the SYN, the rest makes a new entry
# (conntrack picks up a connection from its middle) without the pending
# mark, and goes to nfqd: its flow, past closing_timeout by then, is kept
# as lost, so the rest is not read but gets flows.full_verdict.
#
# A hello for a blocked name whose last extension holds a whole hello for
# an allowed one, its last bytes sent after hello_timeout: the flow is
# lost, and those bytes, a whole harmless hello on their own, are not
# read alone.
. "$(dirname "$0")/lib.sh"

TLSP=4433

setup_net
l7_host_rules 0:0
in1 iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
# conntrack's CLOSE state lasts 1 s here (10 by default): the shape then
# waits 2 s for the entry to go.
in2 sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=1

conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    'flows: { hello_timeout = 2; closing_timeout = 2; };' \
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
invalid() {
	in2 iptables -t mangle -L NFQD -v -x -n |
	    awk '/ctstate INVALID/ { n += $1 } END { print n + 0 }'
}
# The server's pure ACKs from the TLS port never reach conntrack (raw
# table, before it), so conntrack takes the RST whenever it comes, as it
# does when a client's RST overtakes the server's ACK of the first byte
# (a race that a client wins in a few tries).
hide_acks() {
	in2 iptables -t raw -"$1" OUTPUT -p tcp --sport $TLSP \
	    --tcp-flags ALL ACK -m length --length 40 -j DROP
}

hide_acks A
i0=$(invalid)
check "blocked name, RST, SYN, then the hello's rest: server silent" \
    "$(seg --sni blocked.example --reopen 2)" no
check "both copies of the hello's rest were dropped as INVALID" \
    "$(( $(invalid) - i0 ))" 2
# The same without the INVALID rule: the server reads the blocked hello.
in2 iptables -t mangle -D NFQD -m conntrack --ctstate INVALID -j DROP
check "the same without the INVALID rule: server answers" \
    "$(seg --sni blocked.example --reopen 2)" yes
in2 iptables -t mangle -I NFQD 1 -m conntrack --ctstate INVALID -j DROP

dump
u0=$(js '.total.flows_untracked')
check "blocked name, RST, 3 s, then the hello's rest: server silent" \
    "$(seg --sni blocked.example --rst-wait 3)" no
hide_acks D
check "blocked name, a whole harmless hello as its last bytes, sent 3 s later: server silent" \
    "$(seg --sni blocked.example --polyglot 3)" no
dump
# Each shape sends the rest twice.
check "the rest of both hellos got flows.full_verdict" \
    "$(( $(js '.total.flows_untracked') - u0 ))" 4
hits() { dump; js '.rules[] | select(.name == "tls") | .hits'; }
h0=$(hits)
check "the same hello without the pause: server silent" \
    "$(seg --sni blocked.example --polyglot 0)" no
check "it was read whole: rule tls decided it" "$(( $(hits) - h0 ))" 1
# The cost: a real client that pauses that long in its hello loses it.
check "allowed name, the same 3 s pause: flows.full_verdict, server silent" \
    "$(seg --sni ok.example --polyglot 3)" no
check "allowed name: server answers" "$(seg --sni ok.example --seg 40)" yes
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0
finish
