#!/bin/bash
# Port 53 and the names nfqd reads (docs/l7.md, DNS over TCP).  A
# connection to port 53 is DNS over TCP, whatever it carries: a TLS hello
# sent to a TLS server listening there is no query nfqd could wait for,
# and gets l7_error_verdict at once (before, nfqd waited for the 5,635
# bytes its first two bytes say, passing the hello pending, and the
# server answered a blocked name).  A client's own port says nothing: a
# TLS or HTTP client that connects from port 53 has its hello or request
# read as any other (before, both were read as DNS and passed pending,
# unread).  Real clients (openssl s_client, curl --local-port 53) and
# l7seg's raw ones (--sport 53).  About 25 s.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TLSP=4433
TLSP2=4434
HTTPP=8080
HTTPP2=8081

for c in openssl curl; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
setup_net
l7_host_rules 0:0
# The raw client's kernel knows nothing of its connections: no RSTs.
in1 iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP

conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    "rules = (
  { name = \"tls\"; tls_sni = \"blocked.example\"; verdict = \"repeat\"; mark = $L7D; },
  { name = \"http\"; http_host = \"blocked.example\"; verdict = \"repeat\"; mark = $L7D; }
);"
start_nfqd "$conf" 1 || finish

mkdir -p "$TMP/www"
echo hello >"$TMP/www/index.html"
test_cert "$NS2"
tls_server "$NS2" $A2 53 "$TMP/www"
tls_server "$NS2" $A2 $TLSP "$TMP/www"
tls_server "$NS2" $A2 $TLSP2 "$TMP/www"
for p in $HTTPP $HTTPP2; do
	(cd "$TMP/www" && exec ip netns exec "$NS2" $PY -m http.server $p \
	    --bind $A2 >>"$TMP/http.log" 2>&1) &
	BG_PIDS+=($!)
done
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening 53 || fail "the TLS server on port 53 did not listen"
for p in $TLSP $TLSP2 $HTTPP $HTTPP2; do
	wait_until 10 listening $p || fail "no server listened on port $p"
done

rule() { js ".rules[] | select(.name == \"$1\") | .hits"; }
# s_client NAME PORT: 1 when the server's certificate came (a handshake).
s_client() {
	echo | in1 timeout 5 openssl s_client -connect $A2:$2 \
	    -servername "$1" 2>&1 | grep -c 'BEGIN CERTIFICATE'
}

# To port 53: DNS over TCP, and a hello there is none.
dump
e0=$(js '.total.l7_errors')
check "openssl s_client to a TLS server on port 53, blocked name: no handshake" \
    "$(s_client blocked.example 53)" 0
check "... an allowed name: no handshake either (no DNS query)" \
    "$(s_client ok.example 53)" 0
check "control: openssl s_client to port $TLSP, allowed name: handshake" \
    "$(s_client ok.example $TLSP)" 1
dump
check "the hellos to port 53 counted as l7_errors" \
    "$([ "$(js '.total.l7_errors')" -ge $((e0 + 2)) ] && echo yes)" yes
check "rule tls never matched a hello to port 53" "$(rule tls)" 0

# From port 53: a client's port is no server's (each connection to a
# server port of its own: no two share their addresses and ports).
check "l7seg from port 53, TLS ok.example: server answers" \
    "$(l7seg --dst $A2 --port $TLSP --sni ok.example --sport 53)" yes
check "l7seg from port 53, HTTP ok.example: server answers" \
    "$(l7seg --dst $A2 --port $HTTPP --host ok.example --sport 53)" yes
check "l7seg from port 53, HTTP blocked.example: server silent" \
    "$(l7seg --dst $A2 --port $HTTPP2 --host blocked.example --sport 53)" no
code=$(in1 curl -s -k --max-time 4 --local-port 53 -o /dev/null \
    -w '%{http_code}' --resolve blocked.example:$TLSP2:$A2 \
    https://blocked.example:$TLSP2/)
check "curl --local-port 53, TLS blocked.example: no handshake" \
    "$code" 000
dump
check "rule tls matched the hello from port 53" \
    "$([ "$(rule tls)" -ge 1 ] && echo yes)" yes
check "rule http matched the request from port 53" \
    "$([ "$(rule http)" -ge 1 ] && echo yes)" yes
stop_nfqd
finish
