#!/bin/bash
# Every request of a kept-alive HTTP connection is read (docs/l7.md, Later
# requests on a connection), with the documented host rules, curl and a
# kept-alive HTTP/1.1 server (tests/tools/httpserve.py, which logs each
# request it read).  curl reuses its connection for a second URL on the
# same address (--next), so a harmless first request and a blocked one
# after it travel on one connection; the server must never read the
# blocked one, whatever came before it: a Content-Length body, a chunked
# upload, several requests in one segment.  The control, with
# flows.http_requests = "first", shows the way around that the default
# closes: the server answers the blocked request.
. "$(dirname "$0")/lib.sh"

HP=8080

for c in curl python3; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
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

mkdir -p "$TMP/www"
head -c 1048576 /dev/urandom >"$TMP/up"
cp "$TMP/up" "$TMP/www/f"
want=$(sha256sum <"$TMP/up" | cut -d' ' -f1)
(cd "$TMP/www" && exec ip netns exec "$NS2" /usr/bin/python3 \
    "$TOP/tests/tools/httpserve.py" $A2 $HP >"$TMP/http.log" 2>&1) &
BG_PIDS+=($!)
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $HP || fail "the HTTP server did not listen"

# two [curl options for the first] -- HOST2 PATH2: a request with the
# first's options, then GET HOST2 PATH2 on the same connection.  Prints
# each one's status and new connections ("200 1 200 0": both answered, on
# one connection).
two() {
	local a=()
	while [ "$1" != -- ]; do
		a+=("$1")
		shift
	done
	in1 curl -s --max-time 4 -o "$TMP/got" \
	    -w '%{http_code} %{num_connects} ' "${a[@]}" \
	    --next -s --max-time 4 -o /dev/null -w '%{http_code} %{num_connects}' \
	    -H "Host: $2" "http://$A2:$HP$3"
}
# served HOST: requests the server read with Host HOST.
served() { grep -c "^REQ $1 " "$TMP/http.log"; }
rule() { js ".rules[] | select(.name == \"$1\") | .hits"; }

check "allowed, then allowed: both answered on one connection" \
    "$(two -H "Host: ok.example" "http://$A2:$HP/a" -- two.example /b)" \
    "200 1 200 0"
check "allowed, then blocked Host: the second not answered" \
    "$(two -H "Host: ok.example" "http://$A2:$HP/a" -- blocked.example /b)" \
    "200 1 000 0"
check "allowed, then a blocked path: not answered" \
    "$(two -H "Host: ok.example" "http://$A2:$HP/a" -- ok.example \
    /private/x)" "200 1 000 0"
check "a 1 MiB POST, then blocked: the POST's body arrives whole" \
    "$(two -H "Host: ok.example" --data-binary @"$TMP/up" \
    "http://$A2:$HP/up" -- blocked.example /b) $(cat "$TMP/got")" \
    "200 1 000 0 $want"
check "a 1 MiB chunked upload (curl -T -), then blocked" \
    "$(two -H "Host: ok.example" -T - "http://$A2:$HP/up" -- \
    blocked.example /b <"$TMP/up") $(cat "$TMP/got")" "200 1 000 0 $want"
check "a 1 MiB chunked upload, then allowed" \
    "$(two -H "Host: ok.example" -T - "http://$A2:$HP/up" -- \
    three.example /b <"$TMP/up") $(cat "$TMP/got")" "200 1 200 0 $want"
check "a 1 MiB download, then blocked" \
    "$(two -H "Host: ok.example" "http://$A2:$HP/f" -- blocked.example /b) \
$(sha256sum <"$TMP/got" | cut -d' ' -f1)" "200 1 000 0 $want"
check "the server never read a request for blocked.example" \
    "$(served blocked.example)" 0
check "... nor for /private" "$(grep -c " /private" "$TMP/http.log")" 0

# Requests pipelined in one write (one segment): each is decided.
pipe() {
	in1 /usr/bin/python3 - "$A2" "$HP" "$@" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.sendall(b"".join(b"GET /p HTTP/1.1\r\nHost: %s\r\n\r\n" % h.encode()
                   for h in sys.argv[3:]))
got = b""
try:
    while got.count(b"HTTP/1.1 200") < len(sys.argv) - 3:
        d = s.recv(65536)
        if not d:
            break
        got += d
except socket.timeout:
    pass
print(got.count(b"HTTP/1.1 200"))
PY
}
check "three allowed requests in one segment: three answers" \
    "$(pipe p1.example p2.example p3.example)" 3
check "allowed, blocked, allowed in one segment: no answer" \
    "$(pipe p4.example p.blocked.example p5.example)" 0
check "... the server read none of them" \
    "$(($(served p4.example) + $(served p5.example) + \
    $(served p.blocked.example)))" 0

dump
check "rule host counted the blocked requests" "$(rule host)" 5
check "rule path counted the blocked path" "$(rule path)" 1
check "every request read: l7_http" "$(js '.total.l7_http')" 20

# The control: the first request alone decides, and a blocked Host in a
# later request on the same connection is served.
stop_nfqd
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    'flows: { http_requests = "first"; };' "$rules"
start_nfqd "$conf" 1 || finish
check "http_requests = \"first\": allowed, then blocked: answered" \
    "$(two -H "Host: ok.example" "http://$A2:$HP/a" -- c.blocked.example \
    /b)" "200 1 200 0"
check "... the server read it" "$(served c.blocked.example)" 1
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0
finish
