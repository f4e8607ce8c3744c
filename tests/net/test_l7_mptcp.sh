#!/bin/bash
# Multipath TCP and the names nfqd reads (docs/l7.md#multipath-tcp), with
# Linux's own MPTCP client and server (Python sockets of IPPROTO_MPTCP,
# TLS over them).  An MPTCP server's application reads the bytes in the
# data sequence the client maps with DSS options, not in the TCP
# sequence nfqd reads, so MPTCP must not be negotiated on a connection
# nfqd reads:
# - with the documented rules (TCPOPTSTRIP on SYNs) the client gets a
#   plain TCP connection at once;
# - without that rule nfqd refuses the SYNs that offer MPTCP, and the
#   client falls back to plain TCP after sending it twice more (its
#   fourth SYN, 3 s on).
# Either way the server's connection is plain TCP (TCP_IS_MPTCP 0), a
# blocked name gets no handshake and an allowed one does.  Before, the
# SYN without the rule passed and the connection was MPTCP.  About 20 s.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
PORT=4435

[ "$(sysctl -n net.mptcp.enabled 2>/dev/null)" = 1 ] ||
    { fail "this kernel has no Multipath TCP (net.mptcp.enabled)"; finish; }
setup_net
l7_host_rules 0:0
# Every connection offers MPTCP: no blackhole memory between cases.
in1 sysctl -qw net.mptcp.blackhole_timeout=0
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    "rules = (
  { name = \"tls\"; tls_sni = \"blocked.example\"; verdict = \"repeat\"; mark = $L7D; }
);"
start_nfqd "$conf" 1 || finish
test_cert "$NS2"

# The server: an MPTCP listener; per connection "conn N mptcp M" (M:
# TCP_IS_MPTCP of the accepted socket), then a TLS handshake and a line.
cat >"$TMP/server.py" <<'PY'
import socket, ssl, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
print("ready", flush=True)
n = 0
def serve(c):
    try:
        c.settimeout(10)
        t = ctx.wrap_socket(c, server_side=True)
        t.sendall(b"hello\n")
        t.close()
    except Exception:
        c.close()
while True:
    c, a = s.accept()
    n += 1
    print("conn", n, "mptcp", c.getsockopt(socket.IPPROTO_TCP, 43),
        flush=True)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# The client: an MPTCP socket, TLS with server name NAME; prints "ok
# SECONDS" with what the server said, or "fail SECONDS ERROR".
cat >"$TMP/client.py" <<'PY'
import socket, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t0 = time.monotonic()
try:
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    c.settimeout(12)
    c.connect((sys.argv[1], int(sys.argv[2])))
    c.settimeout(4)
    t = ctx.wrap_socket(c, server_hostname=sys.argv[3])
    line = t.recv(100).decode().strip()
    print("ok %.1f %s" % (time.monotonic() - t0, line))
except Exception as e:
    print("fail %.1f %s" % (time.monotonic() - t0, type(e).__name__))
PY
ip netns exec "$NS2" $PY "$TMP/server.py" $A2 $PORT "$TMP/cert.pem" \
    "$TMP/key.pem" >"$TMP/server.out" 2>"$TMP/server.err" &
BG_PIDS+=($!)
wait_until 10 grep -qx ready "$TMP/server.out" ||
    { fail "the server did not start: $(head -1 "$TMP/server.err")"; finish; }

# conn NAME: a connection with server name NAME; sets RES (the client's
# "ok hello" or "fail"), SECS (its time, for the log) and MP (the server's
# TCP_IS_MPTCP of the connection it accepted, "none": none accepted).
conn() {
	local out before
	before=$(grep -c '^conn ' "$TMP/server.out")
	out=$(in1 $PY "$TMP/client.py" $A2 $PORT "$1")
	RES=$(echo "$out" | awk '{ print $1 == "ok" ? $1 " " $3 : $1 }')
	SECS=$(echo "$out" | awk '{ print $2 }')
	MP=none
	if wait_until 2 sh -c "[ \$(grep -c '^conn ' '$TMP/server.out') -gt $before ]"; then
		MP=$(grep '^conn ' "$TMP/server.out" | tail -1 | awk '{ print $4 }')
	fi
}

dump
e0=$(js '.total.l7_errors') m0=$(js '.total.l7_mptcp')
# The documented rules: the option stripped before nfqd.
conn ok.example
check "stripped: an MPTCP client, allowed name: handshake, server's line" "$RES" "ok hello"
check "stripped: ... the server's connection is plain TCP" "$MP" 0
conn blocked.example
check "stripped: an MPTCP client, blocked name: no handshake" "$RES" fail
check "stripped: ... plain TCP" "$MP" 0
dump
check "stripped: no SYN refused (l7_errors unchanged)" \
    "$(( $(js '.total.l7_errors') - e0 ))" 0
check "stripped: no SYN refused (l7_mptcp unchanged)" \
    "$(( $(js '.total.l7_mptcp') - m0 ))" 0

# Without the strip rule: nfqd refuses the SYNs that offer MPTCP.
in2 iptables -t mangle -D NFQD -p tcp --syn -j TCPOPTSTRIP --strip-options 30 ||
    fail "the TCPOPTSTRIP rule could not be deleted"
e0=$(js '.total.l7_errors') m0=$(js '.total.l7_mptcp')
conn ok.example
check "refused: an MPTCP client, allowed name: handshake after its fallback" "$RES" "ok hello"
check "refused: ... the server's connection is plain TCP (was MPTCP)" "$MP" 0
echo "refused: the allowed connection took $SECS s (the client's fallback)"
conn blocked.example
check "refused: an MPTCP client, blocked name: no handshake" "$RES" fail
check "refused: ... plain TCP" "$MP" 0
dump
check "refused: the MPTCP SYNs counted as l7_errors (3 a connection: the first and the two sent again before the client fell back)" \
    "$(( $(js '.total.l7_errors') - e0 ))" 6
check "refused: ... and as l7_mptcp (6)" "$(( $(js '.total.l7_mptcp') - m0 ))" 6
check "the log names the refused SYN and the rule that strips the option" \
    "$(grep -c 'a SYN that offers Multipath TCP (strip TCP option 30' "$TMP/nfqd.log" | awk '{ print ($1 >= 1) ? "yes" : "no" }')" yes
check "rule tls matched the blocked hellos" \
    "$(js '.rules[] | select(.name == "tls") | .hits')" 2
finish
