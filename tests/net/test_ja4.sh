#!/bin/bash
# tls_ja4 end to end: a real client's ClientHello (openssl s_client) is
# captured on the receiver's veth; its JA4 as nfqd computes it (l7dump -j,
# nfqd's own flow table, reassembly and parsers) must equal the one
# tests/tools/ja4tshark.py computes from tshark's fields (an
# implementation of JA4.md apart from nfqd's).  Then nfqd runs with a rule
# holding that fingerprint: the same client gets no handshake and the
# rule's log line says ja4=<it>; a client whose hello differs (TLS 1.2
# only, other ciphers) is not matched and gets its certificate; a rule
# holding another fingerprint never matches.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
L7DUMP=$TOP/${NFQD_BUILD:-build}/tools/l7dump
TLSP=4433

for c in openssl tshark tcpdump; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
setup_net
l7_host_rules 0:0

test_cert "$NS2"
tls_server "$NS2" $A2 $TLSP "$TMP"
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $TLSP || fail "the TLS server did not listen"

# client [ARGS...]: openssl s_client's certificates seen (0: no handshake).
client() {
	echo | in1 timeout 5 openssl s_client -connect $A2:$TLSP \
	    -servername ja4.example -alpn h2,http/1.1 "$@" 2>&1 |
	    grep -c 'BEGIN CERTIFICATE'
}

# The hello, captured with no nfqd running (the queue rules bypass).
# Not through in2: $! must be tcpdump itself (ip netns exec execs it).
ip netns exec "$NS2" tcpdump -i veth1 -U -n -w "$TMP/hello.pcap" \
    "tcp dst port $TLSP" >"$TMP/tcpdump.log" 2>&1 &
TCPDUMP=$!
BG_PIDS+=($TCPDUMP)
wait_until 5 grep -q listening "$TMP/tcpdump.log" ||
    fail "tcpdump did not start"
check "without nfqd: the client's handshake completes" "$(client)" 1
hello_captured() { [ "$(tshark -r "$TMP/hello.pcap" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)" -ge 1 ]; }
wait_until 5 hello_captured || fail "no ClientHello captured"
kill -TERM $TCPDUMP
wait $TCPDUMP 2>/dev/null

ours=$("$L7DUMP" -j "$TMP/hello.pcap" | awk -F'\t' '$2 == "tls" { print $5; exit }')
ref=$($PY "$TOP/tests/tools/ja4tshark.py" "$TMP/hello.pcap")
echo "# openssl s_client: l7dump $ours, tshark fields $ref"
check "l7dump's JA4 of the captured hello is the tshark fields' one" \
    "$ours" "$ref"
case $ours in
t13d????h2_????????????_????????????) pass "the fingerprint's shape: t13d, h2" ;;
*) fail "the fingerprint's shape: got '$ours'" ;;
esac

conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    "rules = (
  { name = \"other\"; tls_ja4 = [\"t13d1516h2_8daaf6152771_e5627efa2ab1\",
    \"t12i000000_000000000000_000000000000\"]; verdict = \"repeat\"; mark = $L7D; },
  { name = \"ja4\"; tls_ja4 = \"$ours\"; verdict = \"repeat\"; mark = $L7D;
    log = true; }
);"
start_nfqd "$conf" 1 || finish
rule() { js ".rules[] | select(.name == \"$1\") | .hits"; }

check "the captured client's fingerprint: no handshake" "$(client)" 0
check "... again: no handshake" "$(client)" 0
dump
hits=$(rule ja4)
if [ "${hits:-0}" -ge 2 ]; then
	pass "rule ja4 matched ($hits packets)"
else
	fail "rule ja4 hits: got '$hits', want 2 at least"
fi
check "rule other never matched" "$(rule other)" 0
logged() { grep -q "rule ja4: TCP $A1:[0-9]* -> $A2:$TLSP .* ja4=$ours: repeat" "$TMP/nfqd.log"; }
if wait_until 5 logged; then
	pass "the rule's log line says ja4=$ours"
else
	fail "no log line with ja4=$ours"
	grep 'rule ja4' "$TMP/nfqd.log" | head -3
fi

check "a TLS 1.2 hello with other ciphers: not matched, handshake completes" \
    "$(client -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)" 1
dump
check "... rule ja4 did not match it" "$(rule ja4)" "$hits"
check "... nor rule other" "$(rule other)" 0
finish
