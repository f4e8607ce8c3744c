#!/bin/bash
# A packet nfqd read, dropped by a rule that does not decide the flow,
# must not let other bytes take its place (docs/l7.md, A dropped packet
# nfqd read).  Rule "dropped" stands for such a rule above the name rules
# (a rate limit): it drops what the kernel marked DROPPED, here the
# packets that carry "allowed.example".  tests/tools/l7seg.py --decoy
# dropped sends a whole hello (or request) for allowed.example, which that
# rule drops, then the message for the name asked, as long, at the same
# sequence numbers.  nfqd read the first and does not read those bytes
# again, so the drop decides the connection: a blocked name after it never
# reaches the server (before, nfqd took it for bytes already read and the
# server answered).  The controls: an allowed name alone is answered, and
# the decoy alone is dropped.  About 20 s.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TLSP=4433
HTTPP=8080
DROPPED=0x4

setup_net
l7_host_rules 0:0
# The raw client's kernel knows nothing of its connections: no RSTs.
in1 iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
# Marked first thing in the chain that queues (before the connbytes and
# pending rules), so nfqd sees the mark on the decoys.
in2 iptables -t mangle -I NFQD 1 -p tcp -m string --algo bm \
    --string allowed.example -j MARK --set-xmark $DROPPED/$DROPPED

conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    "rules = (
  { name = \"dropped\"; match_mark = \"$DROPPED/$DROPPED\"; verdict = \"drop\"; },
  { name = \"tls\"; tls_sni = \"blocked.example\"; verdict = \"repeat\"; mark = $L7D; },
  { name = \"http\"; http_host = \"blocked.example\"; verdict = \"repeat\"; mark = $L7D; }
);"
start_nfqd "$conf" 1 || finish

mkdir -p "$TMP/www"
echo hello >"$TMP/www/index.html"
test_cert "$NS2"
tls_server "$NS2" $A2 $TLSP "$TMP/www"
(cd "$TMP/www" && exec ip netns exec "$NS2" $PY -m http.server $HTTPP \
    --bind $A2 >"$TMP/http.log" 2>&1) &
BG_PIDS+=($!)
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $TLSP || fail "the TLS server did not listen"
wait_until 10 listening $HTTPP || fail "http.server did not listen"

seg() { l7seg --dst $A2 "$@"; }
rule() { js ".rules[] | select(.name == \"$1\") | .hits"; }

check "TLS ok.example: server answers" \
    "$(seg --port $TLSP --sni ok.example)" yes
check "HTTP ok.example: server answers" \
    "$(seg --port $HTTPP --host ok.example)" yes
check "TLS allowed.example (the decoy) alone: dropped, server silent" \
    "$(seg --port $TLSP --sni allowed.example)" no
check "TLS blocked.example after a dropped decoy: server silent" \
    "$(seg --port $TLSP --sni blocked.example --decoy dropped)" no
check "HTTP blocked.example after a dropped decoy: server silent" \
    "$(seg --port $HTTPP --host blocked.example --decoy dropped)" no
# Every packet of those connections after the first drop got the flow's
# verdict, counted to rule dropped: l7seg sends its message twice and a
# RST at the end, which the pending mark the SYN left on the connection
# keeps queueing.  The decoy alone: 2 copies and the RST; each blocked
# one: the decoy, 2 copies and the RST.  (Before, rule dropped counted
# only the 4 packets that carry allowed.example.)
dump
check "rule dropped decided the decoys' connections: 3 + 4 + 4 hits" \
    "$(rule dropped)" 11
check "rule tls never matched: the blocked hello was not read" \
    "$(rule tls)" 0
check "rule http never matched: the blocked request was not read" \
    "$(rule http)" 0
stop_nfqd
finish
