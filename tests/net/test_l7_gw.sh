#!/bin/bash
# Names through a gateway, with docs/l7.md's gateway rules (FORWARD): the
# client in NS1, nfqd and the rules in NS2, which routes, the servers in
# a third namespace.  nfqd sees both directions here: the server's SYN-ACK
# and data come in on another interface than the client's SYN, so it
# checks the client's acks against what the server sent (docs/l7.md,
# Reassembly).  Real clients get no segment refused: whole hellos, hellos
# in MSS-88 segments, a server that speaks first.  A harmless hello in a
# segment the server never reads (its TTL runs out past the gateway, an
# MD5 option, an old timestamp) does not let a blocked name through, nor
# does a second hello after a HelloRetryRequest (tests/tools/hrr.py).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TLSP=4433
BANP=2222
NS3=nfqd-g-$SFX
A3=10.77.1.2
GW3=10.77.1.1

for c in openssl curl ethtool socat; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
setup_net
in3() { ip netns exec "$NS3" "$@"; }
EXTRA_NS+=("$NS3")
ip netns add "$NS3" || finish
ip link add veth2 netns "$NS2" type veth peer name veth3 netns "$NS3"
ip -n "$NS2" addr add $GW3/24 dev veth2
ip -n "$NS3" addr add $A3/24 dev veth3
ip -n "$NS3" link set lo up
ip -n "$NS2" link set veth2 up
ip -n "$NS3" link set veth3 up
ip -n "$NS1" route add 10.77.1.0/24 via $A2
ip -n "$NS3" route add 10.77.0.0/24 via $GW3
in2 sysctl -qw net.ipv4.ip_forward=1
wait_until 5 in1 ping -c 1 -W 1 $A3 || { fail "setup: no path through NS2"; finish; }

l7_gw_rules 0:1
# The raw client's kernel knows nothing of its connections: no RSTs.
in1 iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
# A router between the gateway and the server: what reaches it with a
# TTL under 5 runs out there (a segment sent with TTL 2 passes nfqd).
in3 iptables -A INPUT -m ttl --ttl-lt 5 -j DROP

printf '%s\n' blocked.example >"$TMP/blocked.txt"
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; };' \
    "name_sets = ( { name = \"blocked\"; file = \"$TMP/blocked.txt\"; } );" \
    "rules = (
  { name = \"tls\"; tls_sni = \"@blocked\"; verdict = \"repeat\"; mark = $L7D; }
);"
start_nfqd "$conf" 2 || finish

# Servers: HTTPS, and one that speaks first (a banner, then an echo).
mkdir -p "$TMP/www"
head -c 1048576 /dev/urandom >"$TMP/www/data"
want=$(sha256sum <"$TMP/www/data" | cut -d' ' -f1)
test_cert "$NS3"
tls_server "$NS3" $A3 $TLSP "$TMP/www"
ip netns exec "$NS3" socat TCP-LISTEN:$BANP,bind=$A3,reuseaddr,fork \
    SYSTEM:'echo SSH-2.0-nfqd-test; exec cat' >/dev/null 2>&1 &
BG_PIDS+=($!)
listening() { in3 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $TLSP || fail "the TLS server did not listen"
wait_until 10 listening $BANP || fail "socat did not listen"

# get NAME: sha256 of what curl fetched from the HTTPS server, or "fail".
get() {
	rm -f "$TMP/body"
	if in1 curl -sf -k --max-time 4 -o "$TMP/body" \
	    --resolve "$1:$TLSP:$A3" "https://$1:$TLSP/data"; then
		sha256sum <"$TMP/body" | cut -d' ' -f1
	else
		echo fail
	fi
}
malformed() { dump; js '.total.l7_malformed'; }

m0=$(malformed)
check "TLS allowed name through the gateway: 1 MiB byte for byte" \
    "$(get ok.example)" "$want"
check "TLS blocked name through the gateway: no handshake" \
    "$(get blocked.example)" fail
# The hello in many segments: the server's SYN-ACK says MSS 88.
in3 iptables -t mangle -A OUTPUT -p tcp --sport $TLSP --tcp-flags SYN,ACK \
    SYN,ACK -j TCPMSS --set-mss 88
in1 ethtool -K veth0 tso off gso off >/dev/null 2>&1
check "TLS allowed name, hello in MSS-88 segments: 1 MiB byte for byte" \
    "$(get ok.example)" "$want"
check "TLS blocked name, hello in MSS-88 segments: no handshake" \
    "$(get blocked.example)" fail
in3 iptables -t mangle -D OUTPUT -p tcp --sport $TLSP --tcp-flags SYN,ACK \
    SYN,ACK -j TCPMSS --set-mss 88
# A server that speaks first: the client's first bytes acknowledge its
# banner, which nfqd saw on its way.
got=$(in1 timeout 5 $PY - $A3 $BANP <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
ban = s.recv(100)
s.sendall(b"SSH-2.0-client\r\n")
echo = b""
while len(echo) < 16:
    b = s.recv(100)
    if not b:
        break
    echo += b
print(ban.decode().strip(), echo.decode().strip())
PY
)
check "a server that speaks first: banner and echo" "$got" \
    "SSH-2.0-nfqd-test SSH-2.0-client"
check "real clients through the gateway: no segment refused" \
    "$(malformed)" "$m0"
# A second hello after a HelloRetryRequest: the server's answer passes
# nfqd while the connection waits for the client's next records.
check "TLS 1.3 asked again, the same name twice: the server takes the second" \
    "$(hrr $A3 $TLSP ok.example ok.example)" "hrr hello"
check "TLS 1.3 asked again, allowed name, then a blocked one: server silent" \
    "$(hrr $A3 $TLSP ok.example blocked.example)" "hrr silent"

# A harmless hello first in a segment the server never reads, then the
# real one (l7seg --decoy; the ttl decoy leaves with TTL 2 and runs out
# at the "router" above).
seg() { l7seg --dst $A3 "$@"; }
for shape in ttl md5 paws; do
	check "TLS blocked, decoy $shape: server silent" \
	    "$(seg --port $TLSP --sni blocked.example --decoy $shape)" no
	check "TLS allowed, decoy $shape: server answers" \
	    "$(seg --port $TLSP --sni ok.example --decoy $shape)" yes
done
in1 ethtool -K veth0 tso on gso on >/dev/null 2>&1
finish
