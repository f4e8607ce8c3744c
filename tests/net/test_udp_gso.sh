#!/bin/bash
# A UDP GSO packet (a sendmsg() with UDP_SEGMENT, on a host or from a
# container) reaches nfqd whole, its datagrams cut apart only after the
# verdict (NFQA_CFG_F_GSO: queue.gso).  nfqd cannot see where they
# start: before, it read the first DNS query alone and the resolver got
# a blocked one in the next datagram.  Now such a packet to port 53 gets
# l7_error_verdict (docs/l7.md, What nfqd reads).  The listener logs each
# query's id; a harmless query sent after each case says when the case's
# datagrams would have come.  About 10 s.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
setup_net
l7_host_rules 0:0
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    'rules = ( { name = "dns"; dns_qname = "blocked.example"; verdict = "drop"; } );'
start_nfqd "$conf" 1 || finish

cat >"$TMP/udp.py" <<'PYEOF'
import socket, struct, sys

def query(qid, name):
    b = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        b += bytes([len(label)]) + label.encode()
    return b + b"\0" + struct.pack(">HH", 1, 1)

if sys.argv[1] == "listen":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], 53))
    print("ready", flush=True)
    while True:
        d, _ = s.recvfrom(4096)
        print("id %04x" % struct.unpack(">H", d[:2]), flush=True)
# send DST SRC GSO ID:NAME...: one sendmsg(), each query padded to GSO
# bytes but the last (UDP_SEGMENT GSO), or one datagram each (GSO 0).
dst, src, gso = sys.argv[2], sys.argv[3], int(sys.argv[4])
qs = [query(int(a.split(":")[0], 16), a.split(":")[1]) for a in sys.argv[5:]]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 5353))
if gso:
    s.setsockopt(socket.SOL_UDP, 103, gso)  # UDP_SEGMENT
    s.sendto(b"".join(q.ljust(gso, b"\0") for q in qs[:-1]) + qs[-1],
        (dst, 53))
else:
    for q in qs:
        s.sendto(q, (dst, 53))
PYEOF
in2 $PY "$TMP/udp.py" listen $A2 >"$TMP/listen.out" 2>&1 &
BG_PIDS+=($!)
wait_until 10 grep -qx ready "$TMP/listen.out" ||
    fail "the listener did not start"

got() { grep -c "^id $1\$" "$TMP/listen.out"; }
# send GSO ID:NAME...; then the marker MARK (an allowed query alone):
# true once it came.
send() {
	local mark=$1
	shift
	in1 $PY "$TMP/udp.py" send $A2 $A1 "$@" &&
	    in1 $PY "$TMP/udp.py" send $A2 $A1 0 "$mark:ok.example" &&
	    wait_until 10 grep -qx "id $mark" "$TMP/listen.out"
}

dump
e0=$(js '.total.l7_errors') r0=$(js '.total.received')
send 0f01 0 0101:ok.example || fail "control: the marker did not come"
check "control: an allowed query alone reaches the server" "$(got 0101)" 1
send 0f02 0 0102:blocked.example || fail "control: the marker did not come"
check "control: a blocked query alone is dropped" "$(got 0102)" 0
send 0f03 64 0103:ok.example 0104:blocked.example ||
    fail "gso: the marker did not come"
check "gso: [an allowed query][a blocked one] in one GSO packet: the allowed one refused" \
    "$(got 0103)" 0
check "gso: ... and the blocked one" "$(got 0104)" 0
dump
check "nfqd got the GSO packet whole: 6 packets for 7 datagrams" \
    $(( $(js '.total.received') - r0 )) 6
check "l7_errors: the GSO packet (1)" $(( $(js '.total.l7_errors') - e0 )) 1
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0
finish
