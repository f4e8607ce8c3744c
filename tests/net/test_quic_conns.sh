#!/bin/bash
# One QUIC connection a flow, a second hello after a HelloRetryRequest,
# and datagrams a server never reads (docs/l7.md#quic), through nfqd to a
# UDP listener in the other namespace, both directions queued.
# tests/tools/quicgen writes each flight from a fixed source port with
# chosen connection IDs and seed, so a datagram can be sent again byte for
# byte, a later flight can go to "the server's" ID with the keys of the
# client's first, and its CRYPTO data can start where the first hello
# ended.  The listener prints each datagram that arrives by its last 8
# bytes; a marker datagram after each step (same addresses, so the same
# queue) says when the step was decided.  Rules: tls_sni
# "blocked.example" drops; other names get the default (accept).
#
# What it shows, datagram by datagram:
# - a blocked hello in two datagrams: the first passes (pending), the last
#   is dropped; a harmless connection on the same ports is refused, and
#   the blocked hello's last datagram sent again is still dropped (before,
#   the harmless one made nfqd start afresh and the last datagram passed
#   as a new connection's incomplete hello: the listener held the whole
#   blocked hello);
# - after the server's Retry, a new connection on the ports is read;
# - a second hello for the same name passes, for another name (blocked
#   or not) the datagram that completes it is dropped and so is every
#   later packet of the connection; CRYPTO data sent after a second hello
#   is refused;
# - a datagram with another TTL than the connection's first is refused
#   unread;
# - a connection ID is one flow's: a blocked hello's last datagram from
#   another port than its first is refused, and so is one a new worker
#   reads after both were killed.
. "$(dirname "$0")/lib.sh"

QP=4443
QUICGEN=$TOP/${NFQD_BUILD:-build}/tools/quicgen

command -v python3 >/dev/null ||
    { fail "python3 is not installed (scripts/deps.sh installs it)"; finish; }
[ -x "$QUICGEN" ] || { fail "$QUICGEN missing (make tests)"; finish; }
setup_net
in2 iptables -t mangle -A PREROUTING -p udp --dport $QP -j NFQUEUE \
    --queue-balance 0:1 --queue-bypass
in2 iptables -t mangle -A OUTPUT -p udp --sport $QP -j NFQUEUE \
    --queue-balance 0:1 --queue-bypass
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; };' \
    'rules = (
  { name = "sni"; tls_sni = "blocked.example"; verdict = "drop"; }
);'
start_nfqd "$conf" 2 || finish

# The listener: "dgram LEN TAG" per datagram (TAG: its last 8 bytes in
# hex), a marker's text; "nfqd-server-PORT-HEX" makes it send the bytes
# HEX to the sender's address, port PORT, from its own port (the server's
# side of that flow), and print "server PORT".
cat >"$TMP/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(65535)
    if d.startswith(b"nfqd-marker-"):
        print(d.decode(), flush=True)
    elif d.startswith(b"nfqd-server-"):
        _, _, port, data = d.decode().split("-")
        s.sendto(bytes.fromhex(data), (a[0], int(port)))
        print("server", port, flush=True)
    else:
        print("dgram", len(d), d[-8:].hex(), flush=True)
PY
ip netns exec "$NS2" python3 "$TMP/listen.py" $A2 $QP \
    >"$TMP/listen.out" 2>"$TMP/listen.err" &
BG_PIDS+=($!)
wait_until 10 grep -qx ready "$TMP/listen.out" ||
    { fail "the listener did not start: $(head -1 "$TMP/listen.err")"; finish; }

# udp SPORT TEXT: a datagram from NS1's port SPORT (4444 for markers and
# requests to the listener, outside the ports the cases use).
udp() {
	in1 python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
d = sys.argv[2]
s.sendto(bytes.fromhex(d[4:]) if d.startswith("hex:") else d.encode(), (sys.argv[3], int(sys.argv[4])))' \
	    "$1" "$2" $A2 $QP
}
marker() {
	udp 4444 "nfqd-marker-$1" &&
	    wait_until 10 grep -qx "nfqd-marker-$1" "$TMP/listen.out"
}
marker 0 || { fail "the first marker did not arrive"; finish; }

# arrived N: the tags of the datagrams between markers N-1 and N.
arrived() {
	awk -v a="nfqd-marker-$(($1 - 1))" -v b="nfqd-marker-$1" '
	    $0 == a { on = 1; next } $0 == b { on = 0 }
	    on && $1 == "dgram" { print $3 }' "$TMP/listen.out" | sort |
	    tr '\n' ' '
}

n=0
# q DESC WANT QUICGEN-ARGS...: quicgen to the listener, then a marker;
# WANT: the datagrams (quicgen's numbers, comma-separated) that must
# arrive, "" for none.
q() {
	local desc=$1 want=$2 got exp
	shift 2
	n=$((n + 1))
	if ! in1 "$QUICGEN" -d $A2 -p $QP -a h3 "$@" >"$TMP/gen$n.out" \
	    2>"$TMP/gen$n.err"; then
		fail "$desc: quicgen failed: $(head -1 "$TMP/gen$n.err")"
		return
	fi
	marker $n || { fail "$desc: the marker did not arrive"; return; }
	got=$(arrived $n)
	exp=$(awk -v w=",$want," '$1 == "conn" && index(w, "," $4 ",") {
	    print $(NF - 2) }' "$TMP/gen$n.out" | sort | tr '\n' ' ')
	if [ "$got" = "$exp" ]; then
		pass "$desc: $(echo $got | wc -w) datagram(s) arrived, as they should"
	else
		fail "$desc: got datagrams '$got', want '$exp'"
	fi
}
# raw DESC WANT SPORT HEX: one datagram of bytes HEX from SPORT; WANT
# "yes" or "no": whether it must arrive.
raw() {
	local got=no
	n=$((n + 1))
	udp "$3" "hex:$4" || { fail "$1: not sent"; return; }
	marker $n || { fail "$1: the marker did not arrive"; return; }
	[ -n "$(arrived $n)" ] && got=yes
	check "$1" $got "$2"
}
# hello_len GEN: where the first hello of quicgen output GEN ends.
hello_len() {
	awk '$1 == "conn" { n = split($10, r, /[-,]/)
	    for (i = 2; i <= n; i += 2) if (r[i] > m) m = r[i] } END { print m }' "$1"
}
# server SPORT HEX: the listener sends HEX to NS1's port SPORT; then wait
# until nfqd decided it (nothing left in a queue).
server() {
	udp 4444 "nfqd-server-$1-$2" &&
	    wait_until 10 grep -qx "server $1" "$TMP/listen.out" && settle
}

dump
r0=$(js .total.l7_quic_refused) e0=$(js .total.l7_errors)
m0=$(js .total.l7_malformed)
q0=$(js .total.l7_quic)
c0=$(js .total.quic_claims) h0=$(js .total.quic_claims_held)
f0=$(js .total.quic_claims_full)

# A blocked hello in two datagrams, a harmless connection between.
X="-e 101 -s blocked.example -k 2 -D 1111111111111111 -P 30001"
q "blocked hello: its first datagram passes pending" 0 $X -u 0
q "blocked hello: its last is dropped" "" $X -u 1
q "another connection on the ports (allowed.example): refused" "" \
    -e 102 -s allowed.example -k 1 -D 2222222222222222 -P 30001
q "the blocked hello's last datagram again: still dropped" "" $X -u 1

# The server asks the client to start afresh.
X="-e 103 -s blocked.example -k 2 -D 3333333333333333 -P 30002"
q "retry: a blocked hello's first datagram passes pending" 0 $X -u 0
# A Retry: long header 0xf0, version 1, DCID, SCID 55..., a 16-byte tag.
server 30002 f00000000108aaaaaaaaaaaaaaaa08555555555555555500000000000000000000000000000000 ||
    fail "retry: the server's Retry was not sent"
q "retry: then a new connection (allowed.example): read, passes" 0 \
    -e 104 -s allowed.example -k 1 -D 5555555555555555 -P 30002

# Second hellos, the server's side unseen (its ID learned from the
# client's Initials): ngtcp2's own are in test_quic.sh.
# Each connection its own ID: an ID is one flow's (below).
A="-s allowed.example -k 1 -q"
q "hrr: a first hello (allowed.example)" 0 -e 105 $A -D 3a3a3a3a3a3a3a3a \
    -P 30003
L=$(hello_len "$TMP/gen$n.out")
S2="-D 4b4b4b4b4b4b4b4b -O $L -B 2"
q "hrr: a second hello for the same name passes" 0 \
    -e 106 -s allowed.example -k 1 -K 3a3a3a3a3a3a3a3a $S2 -P 30003
q "hrr: ... its CRYPTO data again: refused" "" \
    -e 106 -s allowed.example -k 1 -K 3a3a3a3a3a3a3a3a $S2 -P 30003
q "hrr blocked: a first hello (allowed.example)" 0 -e 105 $A \
    -D 3b3b3b3b3b3b3b3b -P 30004
q "hrr blocked: a second hello for blocked.example: its first part passes, the part that completes it is dropped" \
    0 -e 107 -s blocked.example -k 2 -K 3b3b3b3b3b3b3b3b $S2 -P 30004
raw "hrr blocked: a later short-header packet of the connection: dropped" \
    no 30004 "$(printf '41%.0s' $(seq 60))"
q "hrr other: a first hello (allowed.example)" 0 -e 105 $A \
    -D 3c3c3c3c3c3c3c3c -P 30005
q "hrr other: a second hello for other.example (allowed too): dropped" "" \
    -e 108 -s other.example -k 1 -K 3c3c3c3c3c3c3c3c $S2 -P 30005

# Another TTL than the connection's first datagram's.
X="-e 109 -s allowed.example -k 2 -D 6666666666666666 -P 30006"
q "ttl: an allowed hello's first datagram passes pending" 0 $X -u 0
q "ttl: its last with TTL 2: refused unread" "" $X -u 1 -T 2
q "ttl: its last with the system's TTL: read, passes" 1 $X -u 1

# A connection ID is one flow's: a server finds the connection by it
# from any port (quic-go, quiche, lsquic, aioquic), so a blocked hello's
# halves from two ports must not both pass (before, the second passed
# pending too: nfqd read each port's half alone).
X="-e 110 -s blocked.example -k 2 -D 7777777777777777"
q "ports: a blocked hello's first datagram from port 30007 passes pending" \
    0 $X -P 30007 -u 0
q "ports: its last from port 30008: refused (port 30007's connection ID)" \
    "" $X -P 30008 -u 1
q "ports: ... from port 30007: dropped" "" $X -P 30007 -u 1
# The claim outlives the worker that made it: a new worker has no flow
# for the ports, and read the rest alone before.
X="-e 111 -s blocked.example -k 2 -D 8888888888888888 -P 30009"
q "respawn: a blocked hello's first datagram passes pending" 0 $X -u 0
old=$(workers_of "$NFQD_PID")
kill -KILL $old
if wait_until 10 fresh_workers "$NFQD_PID" 2 "$old"; then
	pass "respawn: both workers killed and replaced"
else
	fail "respawn: the workers were not replaced"
fi
q "respawn: the hello's last datagram, read by a new worker: refused" "" \
    $X -u 1

dump
check "l7_quic_refused: the other connection, the data after a second hello, the TTL, two claimed IDs (5)" \
    $(($(js .total.l7_quic_refused) - r0)) 5
check "l7_malformed: two second hellos for another name (2)" \
    $(($(js .total.l7_malformed) - m0)) 2
check "l7_errors: the 5 refused, the second hello for another allowed name (6; the blocked one and the packet after it are the rule's)" \
    $(($(js .total.l7_errors) - e0)) 6
check "l7_quic: 7 first hellos read whole and three second ones (10)" \
    $(($(js .total.l7_quic) - q0)) 10
check "quic_claims: the IDs of 9 connections read (the retry's two, not the one refused on port 30001's flow)" \
    $(($(js .total.quic_claims) - c0)) 9
check "quic_claims_held: the two Initials for a claimed ID (2)" \
    $(($(js .total.quic_claims_held) - h0)) 2
check "quic_claims_full: none (0)" $(($(js .total.quic_claims_full) - f0)) 0
check "quic_claim_capacity: 8 x flows.max (65536) x 2 workers" \
    "$(js .total.quic_claim_capacity)" 1048576
# The first claim was made seconds ago, far from the 90 s a claim lives,
# and SIGUSR1 (dump) counts the whole table.
check "quic_claims_live: the 9 IDs claimed, all live (SIGUSR1 counts the table whole)" \
    "$(js .total.quic_claims_live)" 9

# A datagram nfqd cannot follow in a flow is read alone (docs/l7.md,
# Flows): with each worker's one reassembly buffer held by half a hello
# (every datagram here comes from one address pair: one worker), a
# blocked hello whole in one datagram is dropped whatever
# flows.full_verdict says, and an allowed one gets flows.full_verdict.
# alone VERDICT ID WANT: reload with full_verdict VERDICT, then hellos
# whose connection IDs are ID repeated (new ones: claims outlive reloads).
alone() {
	local old
	write_conf "$conf" 'queue: { balance = "0:1"; };' \
	    "flows: { reasm_buffers = 1; full_verdict = \"$1\"; };" \
	    'rules = (
  { name = "sni"; tls_sni = "blocked.example"; verdict = "drop"; }
);'
	old=$(workers_of "$NFQD_PID")
	kill -HUP "$NFQD_PID"
	if wait_until 10 fresh_workers "$NFQD_PID" 2 "$old"; then
		pass "alone ($1): reloaded, both workers replaced"
	else
		fail "alone ($1): the workers were not replaced"
	fi
	q "alone ($1): half a blocked hello holds the buffer: pending" 0 \
	    -e 120 -s blocked.example -k 2 -D "${2}1${2}1${2}1${2}1" -P 30020 -u 0
	q "alone ($1): a blocked hello whole in one datagram, no buffer: dropped" \
	    "" -e 121 -s blocked.example -k 1 -D "${2}2${2}2${2}2${2}2" -P 30021
	q "alone ($1): an allowed one, no buffer: flows.full_verdict" "$3" \
	    -e 122 -s allowed.example -k 1 -D "${2}3${2}3${2}3${2}3" -P 30022
}
dump
b0=$(js .total.reasm_full) q0=$(js .total.l7_quic)
alone drop c ""
alone accept d 0
dump
check "reasm_full: the whole hellos that found no buffer (4)" \
    $(($(js .total.reasm_full) - b0)) 4
check "l7_quic: the same, read alone (4)" $(($(js .total.l7_quic) - q0)) 4
finish
