#!/bin/bash
# HTTP/2 with prior knowledge (h2c, docs/l7.md): curl
# --http2-prior-knowledge against nghttpd --no-tls, with the documented
# host rules.  A blocked :authority (curl turns -H "Host:" into it), a
# blocked path, a request whose HEADERS frame is cut over segments
# (MSS 88, TSO and GSO off), and the host given only as a host field
# (written by hand) are never taken by the server; allowed ones transfer
# 1 MiB byte for byte.  Later requests on one connection (nghttp's
# streams sent at once, python3-h2's one after another) are read with
# the connection's header table: an allowed one is answered, a blocked
# one never reaches the server.  nghttpd -v logs every header it
# receives, so that is read from the server's side.  The same after an
# HTTP/1.1 request that asks to switch (Upgrade: h2c: curl --http2,
# nghttp -u, python3-h2) against tests/tools/h2upserve.py.
. "$(dirname "$0")/lib.sh"

HP=8080

for c in curl nghttpd nghttp ethtool; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
if ! /usr/bin/python3 -c 'import h2' 2>/dev/null; then
	fail "python3-h2 is not installed (scripts/deps.sh installs it)"
	finish
fi
setup_net
l7_host_rules 0:0

conf=$TMP/nfqd.conf
rules="rules = (
  { name = \"host\"; http_host = \"blocked.example\"; verdict = \"repeat\";
    mark = $L7D; },
  { name = \"path\"; http_path = \"/private\"; verdict = \"repeat\";
    mark = $L7D; }
);"
write_conf "$conf" 'queue: { balance = "0:0"; };' "$rules"
start_nfqd "$conf" 1 || finish

mkdir -p "$TMP/www/private"
head -c 1048576 /dev/urandom >"$TMP/www/f"
echo secret >"$TMP/www/private/x"
echo g >"$TMP/www/g"
echo h >"$TMP/www/h"
want=$(sha256sum <"$TMP/www/f" | cut -d' ' -f1)
in2 nghttpd --no-tls -v -d "$TMP/www" -a $A2 $HP >"$TMP/h2.log" 2>&1 &
BG_PIDS+=($!)
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $HP || fail "nghttpd did not listen"

# get HOST PATH [curl options]: "CODE VERSION SHA256" of the body, or
# "000 0 -" when no answer came.
get() {
	local h=$1 p=$2 out
	shift 2
	rm -f "$TMP/got"
	out=$(in1 curl -s --http2-prior-knowledge --max-time 4 \
	    -o "$TMP/got" -w '%{http_code} %{http_version}' -H "Host: $h" \
	    "$@" "http://$A2:$HP$p")
	if [ -s "$TMP/got" ]; then
		echo "$out $(sha256sum <"$TMP/got" | cut -d' ' -f1)"
	else
		echo "$out -"
	fi
}
rule() { js ".rules[] | select(.name == \"$1\") | .hits"; }

check "allowed host: 1 MiB over HTTP/2 byte for byte" \
    "$(get ok.example /f)" "200 2 $want"
check "blocked host: no answer" "$(get blocked.example /f)" "000 0 -"
check "a subdomain of it, capitals and a port: no answer" \
    "$(get WWW.Blocked.Example:8080 /f)" "000 0 -"
check "blocked path: no answer" "$(get ok.example /private/x)" "000 0 -"
check "blocked path spelt otherwise (/./%70rivate): no answer" \
    "$(get ok.example /./%70rivate/x --path-as-is)" "000 0 -"

# The HEADERS frame in several segments: 3,000 bytes of another field,
# sent under an MSS of 88 with the client's offloads off.
in2 iptables -t mangle -A OUTPUT -p tcp --sport $HP --tcp-flags SYN,ACK \
    SYN,ACK -j TCPMSS --set-mss 88
in1 ethtool -K veth0 tso off gso off >/dev/null 2>&1
pad=$(head -c 3000 /dev/zero | tr '\0' x)
check "allowed, HEADERS in MSS-88 segments: 1 MiB byte for byte" \
    "$(get ok2.example /f -H "x-pad: $pad")" "200 2 $want"
check "blocked, HEADERS in MSS-88 segments: no answer" \
    "$(get blocked.example /f -H "x-pad: $pad")" "000 0 -"
in2 iptables -t mangle -D OUTPUT -p tcp --sport $HP --tcp-flags SYN,ACK \
    SYN,ACK -j TCPMSS --set-mss 88
in1 ethtool -K veth0 tso on gso on >/dev/null 2>&1

# Later requests on one connection.  nghttp sends its URIs as streams of
# one connection at once (each block after the first names fields the
# first added to the header table), so a blocked one among them stops
# them all.
nghttp_ok() {
	in1 nghttp -nv -t 4 -H ":authority: $1" "${@:2}" 2>&1 |
	    grep -c 'recv HEADERS frame'
}
check "nghttp: 3 allowed requests on one connection: 3 answers" \
    "$(nghttp_ok ok6.example http://$A2:$HP/f http://$A2:$HP/g \
    http://$A2:$HP/h)" 3
check "nghttp: an allowed request and a blocked path at once: no answer" \
    "$(nghttp_ok ok7.example http://$A2:$HP/f http://$A2:$HP/private/x)" 0

# One request after another on one connection, each waiting for its
# answer, written by python3-h2 (its own HPACK encoder and table:
# tests/tools/h2seq.py): the answers, or "silent" from the first
# unanswered on.
h2seq() {
	in1 /usr/bin/python3 "$TOP/tests/tools/h2seq.py" "$A2" "$HP" "$@"
}
check "python3-h2: allowed, allowed again, then a blocked host" \
    "$(h2seq 'ok8.example /f' 'ok8.example /f' 'blocked.example /f')" \
    "200 200 silent"
check "python3-h2: allowed, then a subdomain of a blocked host" \
    "$(h2seq 'ok9.example /f' 'www.blocked.example /f')" "200 silent"
check "python3-h2: allowed, then a blocked path" \
    "$(h2seq 'ok10.example /f' 'ok10.example /private/x')" "200 silent"

# HTTP/2 after an HTTP/1.1 request that asks to switch (Upgrade: h2c),
# against tests/tools/h2upserve.py (nghttpd takes HTTP/2 with prior
# knowledge only), which logs every request it reads whole.  The
# requests after the switch are read as on a connection that started
# with the preface.
UP=8081
in2 /usr/bin/python3 "$TOP/tests/tools/h2upserve.py" $A2 $UP \
    >"$TMP/up.log" 2>&1 &
BG_PIDS+=($!)
wait_until 10 listening $UP || fail "h2upserve.py did not listen"
h2up() {
	in1 /usr/bin/python3 "$TOP/tests/tools/h2seq.py" --upgrade "$A2" \
	    "$UP" "$@"
}
check "curl --http2 (Upgrade: h2c): allowed, answered over HTTP/2" \
    "$(in1 curl -s --http2 --max-time 4 -o /dev/null \
    -w '%{http_code} %{http_version}' -H 'Host: okup1.example' \
    http://$A2:$UP/f)" "200 2"
check "python3-h2, Upgrade: allowed, allowed, then a blocked host" \
    "$(h2up 'okup2.example /f' 'okup2.example /g' \
    'blocked.example /f')" "200 200 silent"
check "python3-h2, Upgrade: allowed, then a blocked path" \
    "$(h2up 'okup3.example /f' 'okup3.example /private/x')" \
    "200 silent"
check "python3-h2, Upgrade: a blocked host asking to switch" \
    "$(h2up 'blocked.example /f' 'okup4.example /g')" "silent"
nghttp_up() {
	in1 nghttp -nv -u -t 4 "$@" 2>&1 | grep -c 'recv HEADERS frame'
}
check "nghttp -u: 2 allowed requests, the second after the switch" \
    "$(nghttp_up http://$A2:$UP/f http://$A2:$UP/g)" 2
check "nghttp -u: allowed, then a blocked path: the first answered" \
    "$(nghttp_up http://$A2:$UP/f http://$A2:$UP/private/x)" 1
check "h2upserve took no blocked request, and the 7 allowed ones" \
    "$(grep -ci 'blocked\|private' "$TMP/up.log") $(grep -c '^REQ' \
    "$TMP/up.log")" "0 7"

# By hand: the host in a host field, no :authority; the server would
# take it (nghttpd answers such a request).
h2raw() {
	in1 /usr/bin/python3 - "$A2" "$HP" "$1" <<'PY'
import socket, sys
def s7(b):
    assert len(b) < 127
    return bytes([len(b)]) + b
def frame(t, f, sid, p):
    return len(p).to_bytes(3, "big") + bytes([t, f]) + \
        sid.to_bytes(4, "big") + p
blk = bytes([0x82, 0x86, 0x84])     # :method GET, :scheme http, :path /
blk += b"\x00" + s7(b"host") + s7(sys.argv[3].encode())
out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + \
    frame(1, 5, 1, blk)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.sendall(out)
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
        # a HEADERS frame from the server: the answer came
        i = 0
        while i + 9 <= len(got):
            n = int.from_bytes(got[i:i + 3], "big")
            if got[i + 3] == 1:
                print("answered")
                sys.exit(0)
            i += 9 + n
except (socket.timeout, ConnectionResetError):
    pass
print("silent")
PY
}
check "host field alone, allowed: answered" "$(h2raw ok3.example)" \
    answered
check "host field alone, blocked: the server silent" \
    "$(h2raw blocked.example)" silent

# nghttpd logs a field as it decodes it, before its frame is whole: the
# HEADERS frame cut into segments shows the blocked :authority of its
# first segments.  What counts is that no request naming a blocked host
# or path was ever whole at the server ("recv HEADERS frame", logged at
# the frame's end) or answered ("send HEADERS frame").
taken() {
	awk -v bad=':authority: [^ ]*blocked|host: [^ ]*blocked|:path: /.*rivate' \
	    -v ok=':authority: ok|host: ok' '
	    /^\[id=/ { id = $1 }
	    tolower($0) ~ bad { b[id] = 1 }
	    tolower($0) ~ ok { g[id] = 1 }
	    /recv HEADERS frame|send HEADERS frame/ { t[id] = 1 }
	    END { nb = ng = 0
		for (i in b) nb += t[i] ? 1 : 0
		for (i in g) ng += t[i] ? 1 : 0
		print nb, ng }' "$TMP/h2.log"
}
check "the server took no blocked request, and the 7 allowed ones" \
    "$(taken)" "0 7"

# Each blocked request is one rule hit; a packet the client sent before
# the verdict (its SETTINGS ACK for the server's SETTINGS, which a server
# sends first) comes to nfqd too, decided by the flow, and counts again.
dump
check "rule host decided the 6 blocked hosts" "$(($(rule host) >= 6))" 1
check "rule path decided the 4 blocked paths" "$(($(rule path) >= 4))" 1
# 15 first requests, and on the connections that had several: nghttp's
# 3 + 2, python3-h2's 3 + 2 + 2; after Upgrade, python3-h2's 3 + 2 (its
# third refused first) and nghttp's 2 + 2.
check "every request read: l7_http" "$(js '.total.l7_http')" 32
check "nothing malformed: l7_errors" "$(js '.total.l7_errors')" 0
finish
