#!/bin/bash
# QUIC end to end (docs/l7.md#quic): ngtcp2's gtlsclient and gtlsserver
# (Debian's ngtcp2-client and ngtcp2-server) in the namespaces, nfqd
# reading the client's Initials on a port that is not 443, both directions
# queued.  A name a rule blocks (tls_sni from a name set; server_name with
# l7 = "quic") never completes its handshake; the others fetch a file
# byte for byte.  A QUIC version nfqd does not decrypt (the v2 draft
# 0x709a50c4 this ngtcp2 speaks) is refused (l7_error_verdict, drop).
# Then nfqd's own reading of the capture (l7dump) against tshark's, which
# decrypts Initials itself: the same server name and ALPN list, from the
# same frame, for each name's first hello.  A second server on QP2 takes
# only P-384, which the client offers no key share for: it answers each
# first hello with a HelloRetryRequest, and nfqd reads the client's second
# hello too (docs/l7.md, A second ClientHello).
. "$(dirname "$0")/lib.sh"

QP=4443
QP2=4445
L7DUMP=$TOP/${NFQD_BUILD:-build}/tools/l7dump
CAP=$TMP/cap.pcap

for c in gtlsclient gtlsserver openssl tcpdump tshark; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
setup_net
# gtlsclient sends the host name it is given as SNI (its --sni is not
# used with GnuTLS): the names resolve in NS1 through its own hosts file.
NETNS_ETC=/etc/netns/$NS1
[ -d /etc/netns ] || NETNS_MADE=1
mkdir -p "$NETNS_ETC"
echo "$A2 allowed.example blocked.example www.blocked.example exact.example sub.exact.example" \
    >"$NETNS_ETC/hosts"
trap 'rm -rf "$NETNS_ETC"; [ -n "${NETNS_MADE:-}" ] && rmdir /etc/netns; cleanup' EXIT

for t in iptables ip6tables; do
	in2 $t -t mangle -A INPUT -p udp --dport $QP -j NFQUEUE \
	    --queue-balance 0:1 --queue-bypass
	in2 $t -t mangle -A OUTPUT -p udp --sport $QP -j NFQUEUE \
	    --queue-balance 0:1 --queue-bypass
	in2 $t -t mangle -A INPUT -p udp --dport $QP2 -j NFQUEUE \
	    --queue-balance 0:1 --queue-bypass
	in2 $t -t mangle -A OUTPUT -p udp --sport $QP2 -j NFQUEUE \
	    --queue-balance 0:1 --queue-bypass
done
printf '%s\n' blocked.example >"$TMP/blocked.txt"
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; };' \
    "name_sets = ( { name = \"blocked\"; file = \"$TMP/blocked.txt\"; } );" \
    "rules = (
  { name = \"sni\"; tls_sni = \"@blocked\"; verdict = \"drop\"; },
  { name = \"exact\"; server_name = \"=exact.example\"; l7 = \"quic\";
    verdict = \"drop\"; }
);"
start_nfqd "$conf" 2 || finish
rule() { js ".rules[] | select(.name == \"$1\") | .hits"; }
# verify NAME COMMAND...: PASS when the command succeeds.
verify() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

mkdir -p "$TMP/www"
head -c 200000 /dev/urandom >"$TMP/www/data"
want=$(sha256sum <"$TMP/www/data" | cut -d' ' -f1)
test_cert "$NS2"
ip netns exec "$NS2" gtlsserver -q -d "$TMP/www" $A2 $QP "$TMP/key.pem" \
    "$TMP/cert.pem" >"$TMP/server.log" 2>&1 &
BG_PIDS+=($!)
ip netns exec "$NS2" gtlsserver -q -d "$TMP/www" \
    --groups=-GROUP-ALL:+GROUP-SECP384R1 $A2 $QP2 "$TMP/key.pem" \
    "$TMP/cert.pem" >"$TMP/server2.log" 2>&1 &
BG_PIDS+=($!)
listening() { in2 ss -Hlun "sport = :$1" | grep -q .; }
wait_until 10 listening $QP || { fail "gtlsserver did not listen"; finish; }
wait_until 10 listening $QP2 || { fail "gtlsserver (P-384) did not listen"; finish; }

ip netns exec "$NS2" tcpdump -i veth1 -U --immediate-mode -Z root -w "$CAP" \
    udp port $QP >"$TMP/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
BG_PIDS+=("$TCPDUMP_PID")
wait_until 10 test -s "$CAP" || { fail "tcpdump did not start"; finish; }

# fetch NAME [VERSION [PORT]]: the file over QUIC with NAME as SNI; its
# exit status (124: the handshake never completed in 6 s).
n=0
fetch() {
	local port=${3:-$QP}
	n=$((n + 1))
	mkdir -p "$TMP/dl$n"
	timeout 6 ip netns exec "$NS1" gtlsclient -q \
	    --exit-on-all-streams-close --download="$TMP/dl$n" \
	    ${2:+-v $2} "$1" $port "https://$1:$port/data" \
	    >"$TMP/client$n.log" 2>&1
}
got() { [ -f "$TMP/dl$n/data" ] && sha256sum <"$TMP/dl$n/data" | cut -d' ' -f1; }

fetch allowed.example
rc=$?
verify "allowed.example over QUIC v1: fetched byte for byte (exit $rc)" \
    test "$rc" = 0 -a "$(got)" = "$want"
fetch blocked.example
rc=$?
verify "blocked.example (tls_sni from a name set): no handshake (exit $rc)" \
    test "$rc" != 0 -a ! -e "$TMP/dl$n/data"
fetch www.blocked.example
rc=$?
verify "www.blocked.example: no handshake (exit $rc)" \
    test "$rc" != 0 -a ! -e "$TMP/dl$n/data"
fetch exact.example
rc=$?
verify "exact.example (server_name, l7 = quic): no handshake (exit $rc)" \
    test "$rc" != 0 -a ! -e "$TMP/dl$n/data"
fetch sub.exact.example
rc=$?
verify "sub.exact.example (not =exact.example): fetched (exit $rc)" \
    test "$rc" = 0 -a "$(got)" = "$want"
dump
r0=$(js .total.l7_quic_refused)
fetch allowed.example 0x709a50c4
rc=$?
verify "allowed.example over the v2 draft 0x709a50c4: refused (exit $rc)" \
    test "$rc" != 0 -a ! -e "$TMP/dl$n/data"
dump
if [ "$(js .total.l7_quic_refused)" -gt "$r0" ]; then
	pass "l7_quic_refused counts the v2 draft's Initials (+$(($(js .total.l7_quic_refused) - r0)))"
else
	fail "l7_quic_refused did not count the v2 draft's Initials (bad_csum $(js .total.l7_bad_csum), l7_errors $(js .total.l7_errors), flows_created $(js .total.flows_created), client: $(head -c 300 "$TMP/client$n.log" | tr '\n' ' '))"
fi

# Asked again: two hellos a connection, read both.
dump
q0=$(js .total.l7_quic) e0=$(js .total.l7_errors)
fetch allowed.example "" $QP2
rc=$?
verify "allowed.example, asked again (P-384 only): fetched byte for byte (exit $rc)" \
    test "$rc" = 0 -a "$(got)" = "$want"
dump
check "allowed.example, asked again: l7_quic +2 (the first and the second hello)" \
    $(($(js .total.l7_quic) - q0)) 2
fetch blocked.example "" $QP2
rc=$?
verify "blocked.example, asked again: no handshake (exit $rc)" \
    test "$rc" != 0 -a ! -e "$TMP/dl$n/data"
dump
check "no l7 errors in either" $(($(js .total.l7_errors) - e0)) 0

dump
verify "rule sni read the blocked names' hellos ($(rule sni) hits)" \
    test "$(rule sni)" -ge 2
verify "rule exact read exact.example's hellos ($(rule exact) hits)" \
    test "$(rule exact)" -ge 1
verify "l7_quic counts hellos read ($(js .total.l7_quic))" \
    test "$(js .total.l7_quic)" -ge 5
verify "both workers still run (libcrypto inside the sandbox)" \
    test "$(nworkers "$NFQD_PID")" = 2

# The differential: each name's first hello, as nfqd and tshark read it.
marker() {
	in1 bash -c "echo nfqd-capture-end >/dev/udp/$A2/$QP" 2>/dev/null
	grep -qa nfqd-capture-end "$CAP"
}
wait_until 10 marker || fail "tcpdump did not capture the end marker"
kill -TERM "$TCPDUMP_PID" 2>/dev/null
wait "$TCPDUMP_PID" 2>/dev/null
"$L7DUMP" "$CAP" >"$TMP/l7dump.out" 2>"$TMP/l7dump.err" ||
    fail "l7dump failed: $(head -1 "$TMP/l7dump.err")"
awk -F'\t' '$2 == "quic" && !seen[$3]++ { print $1, $3, $4 }' \
    "$TMP/l7dump.out" >"$TMP/nfqd.names"
tshark -r "$CAP" -d udp.port==$QP,quic -Y 'tls.handshake.type == 1' -T fields \
    -e frame.number -e tls.handshake.extensions_server_name \
    -e tls.handshake.extensions_alpn_str 2>"$TMP/tshark.err" |
    awk -F'\t' '!seen[$2]++ { print $1, $2, $3 }' >"$TMP/tshark.names"
verify "tshark read 5 names from the v1 Initials ($(wc -l <"$TMP/tshark.names"))" \
    test "$(wc -l <"$TMP/tshark.names")" = 5
if cmp -s "$TMP/nfqd.names" "$TMP/tshark.names"; then
	pass "nfqd and tshark: the same names, ALPN and frames ($(tr '\n' ';' <"$TMP/nfqd.names"))"
else
	fail "nfqd and tshark differ"
	diff "$TMP/nfqd.names" "$TMP/tshark.names" | head -20
fi
finish
