#!/bin/bash
# nfqd's parsers against tshark's on the same packets: real clients (curl,
# openssl s_client, dig) talk to real servers (a Python TLS server,
# openssl s_server over IPv6, python3 http.server, nghttpd for HTTP/2
# without TLS, dnsmasq) while tcpdump
# captures the receiver's side; then l7dump (nfqd's own code, tests/tools)
# and tshark read the capture, and every client message must give the
# same frame, server name, ALPN list, Host, method, path, query name and
# type in both (a DNS query over IPv6 with UDP length 0 too).  Some
# hellos, a request and a DNS query over TCP are cut into MSS-88
# segments, so both must name the frame that completes them.
# No nfqd runs and no queue rules are set: only the parsers are compared.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
L7DUMP=$TOP/${NFQD_BUILD:-build}/tools/l7dump
TLSP=4433	# the Python TLS server, IPv4
TLS6P=4434	# openssl s_server, IPv6
HTTPP=8080
HTTPK=8081	# tests/tools/httpserve.py: kept-alive connections
H2P=8082	# nghttpd --no-tls: HTTP/2 with prior knowledge
CAP=$TMP/cap.pcap

for c in tshark tcpdump openssl curl dig dnsmasq ethtool nghttpd; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
if [ ! -x "$L7DUMP" ]; then
	fail "$L7DUMP is missing (make tests builds it)"
	finish
fi
setup_net

# Servers.
mkdir -p "$TMP/www"
echo hello >"$TMP/www/index.html"
test_cert "$NS2"
tls_server "$NS2" $A2 $TLSP "$TMP/www"
ip netns exec "$NS2" openssl s_server -quiet -www -6 -accept "[$A62]:$TLS6P" \
    -cert "$TMP/cert.pem" -key "$TMP/key.pem" </dev/null \
    >"$TMP/s_server.log" 2>&1 &
BG_PIDS+=($!)
# "::" serves IPv4 and IPv6 on one socket.
(cd "$TMP/www" && exec ip netns exec "$NS2" $PY -m http.server $HTTPP \
    --bind :: >"$TMP/http.log" 2>&1) &
BG_PIDS+=($!)
ip netns exec "$NS2" $PY "$TOP/tests/tools/httpserve.py" $A2 $HTTPK \
    >"$TMP/httpk.log" 2>&1 &
BG_PIDS+=($!)
ip netns exec "$NS2" nghttpd --no-tls -d "$TMP/www" -a $A2 $H2P \
    >"$TMP/nghttpd.log" 2>&1 &
BG_PIDS+=($!)
ip netns exec "$NS2" dnsmasq --no-daemon --no-resolv --no-hosts \
    --bind-interfaces --listen-address=$A2 --listen-address=$A62 --port=53 \
    --address=/ok.example/10.1.1.1 --address=/ok.example/fd00::1 \
    --mx-host=ok.example,mail.ok.example,10 --txt-record=ok.example,hello \
    >"$TMP/dnsmasq.log" 2>&1 &
BG_PIDS+=($!)
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $TLSP || fail "the TLS server did not listen"
wait_until 10 listening $TLS6P || fail "openssl s_server did not listen"
wait_until 10 listening $HTTPP || fail "http.server did not listen"
wait_until 10 listening $HTTPK || fail "httpserve.py did not listen"
wait_until 10 listening $H2P || fail "nghttpd did not listen"
wait_until 10 listening 53 || fail "dnsmasq did not listen"

# The capture, on the receiver's side of the veth, where nfqd would read.
# Immediate mode: each packet is written as it comes, not when a buffer
# block fills, so a marker seen in the file means what came before it is
# there too.
ip netns exec "$NS2" tcpdump -i veth1 -U --immediate-mode -Z root -w "$CAP" \
    >"$TMP/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
BG_PIDS+=("$TCPDUMP_PID")
# marker WORD: a datagram from NS1 that the capture must show.
marker() {
	in1 bash -c "echo $1 >/dev/udp/$A2/9" 2>/dev/null
	grep -qa "$1" "$CAP"
}
wait_until 10 marker nfqd-capture-start ||
    { fail "tcpdump did not capture"; cat "$TMP/tcpdump.log"; finish; }

# The clients.  WANT_*: the messages they send, one each.
WANT_TLS=0
WANT_HTTP=0
WANT_DNS=0

# tls NAME [curl args...]: a hello for NAME (resolved to A2) from curl.
tls() {
	local n=$1
	shift
	in1 curl -sk --max-time 4 -o /dev/null --resolve "$n:$TLSP:$A2" "$@" \
	    "https://$n:$TLSP/"
	WANT_TLS=$((WANT_TLS + 1))
}
# s_client NAME ALPN [ADDR:PORT]
s_client() {
	in1 timeout 5 openssl s_client -connect "${3:-$A2:$TLSP}" \
	    -servername "$1" -alpn "$2" </dev/null >/dev/null 2>&1
	WANT_TLS=$((WANT_TLS + 1))
}
# http URL [curl args...]
http() {
	local u=$1
	shift
	in1 curl -s --max-time 4 -o /dev/null "$@" "$u"
	WANT_HTTP=$((WANT_HTTP + 1))
}
# dns [dig args...]: one query each, unless +keepopen asks several
dns() {
	in1 dig @$A2 +time=2 +tries=1 "$@" >/dev/null 2>&1
	WANT_DNS=$((WANT_DNS + 1))
}

# TLS: names in capitals and with a trailing dot (curl sends its server
# name in lower case without the dot; openssl sends it as given), ALPN
# lists, none, and no server name.
tls ok.example
tls Mixed.Case.Example --http1.1
tls trailing.example.
tls www.ok.example --no-alpn
tls ok.example --http2
in1 curl -sk --max-time 4 -o /dev/null "https://$A2:$TLSP/"
WANT_TLS=$((WANT_TLS + 1))
s_client Openssl.Example h2,http/1.1
s_client dot.example. x-custom,http/1.1,h2
in1 curl -sk --max-time 4 -o /dev/null -6 \
    --resolve "six.example:$TLS6P:[$A62]" "https://six.example:$TLS6P/"
WANT_TLS=$((WANT_TLS + 1))
s_client Six.Openssl.Example http/1.1 "[$A62]:$TLS6P"

# HTTP: Host with and without a port, case, a trailing dot, none, an IPv6
# literal; methods and paths.
http "http://ok.example:$HTTPP/" --resolve "ok.example:$HTTPP:$A2"
http "http://Upper.Example:$HTTPP/a/b?x=1&y=2" \
    --resolve "Upper.Example:$HTTPP:$A2"
http "http://$A2:$HTTPP/index.html" -H "Host: host.example."
http "http://Dotted.Example.:$HTTPP/dot" \
    --resolve "Dotted.Example.:$HTTPP:$A2"
http "http://$A2:$HTTPP/nohost" -H "Host:"
http "http://$A2:$HTTPP/index.html" -I -H "Host: head.example"
http "http://$A2:$HTTPP/opt" -X OPTIONS -H "Host: opt.example:81"
http "http://$A2:$HTTPP/del/x.y" -X DELETE -H "Host: Del.Example"
http "http://$A2:$HTTPP/old" --http1.0 -H "Host: old.example"
http "http://[$A62]:$HTTPP/v6"
http "http://[$A62]:$HTTPP/v6name" -H "Host: v6.example"
# Later requests on one kept-alive connection (curl --next reuses it):
# a GET, a POST with a body, a chunked PUT, a GET.
printf 'body' >"$TMP/body"
in1 curl -s --max-time 4 -o /dev/null -H "Host: keep1.example" \
    "http://$A2:$HTTPK/k1" --next -s --max-time 4 -o /dev/null \
    -H "Host: Keep2.Example" -d a=b "http://$A2:$HTTPK/k2?x" \
    --next -s --max-time 4 -o /dev/null -H "Host: keep3.example" \
    -T - "http://$A2:$HTTPK/k3" \
    --next -s --max-time 4 -o /dev/null -H "Host: keep4.example" \
    "http://$A2:$HTTPK/k/../k4" <"$TMP/body"
WANT_HTTP=$((WANT_HTTP + 4))
check "the kept-alive requests went on one connection" \
    "$(awk 'tolower($0) ~ /^req keep/ { n++; p[$7] = 1 }
    END { print n + 0, length(p) }' \
    "$TMP/httpk.log")" "4 1"

# HTTP/2 with prior knowledge: the first request of each connection
# (curl turns Host into :authority; HPACK, Huffman and all).
http "http://H2.Example:$H2P/h2/a?x=1" --http2-prior-knowledge \
    --resolve "H2.Example:$H2P:$A2"
http "http://$A2:$H2P/h2/b" --http2-prior-knowledge -H "Host: h2b.example"
http "http://$A2:$H2P/h2/c" --http2-prior-knowledge -d x=1 \
    -H "Host: h2c.example:99"
# Later requests on one HTTP/2 connection, one after another
# (tests/tools/h2seq.py, python3-h2's encoder: the later blocks name the
# header table's entries).
check "python3-h2: three requests on one connection answered" \
    "$(in1 /usr/bin/python3 "$TOP/tests/tools/h2seq.py" "$A2" "$H2P" \
    'H2Seq.Example /h2/d' 'h2seq.example /h2/e?y=2' \
    'h2seq2.example:8 /h2/f')" "404 404 404"
WANT_HTTP=$((WANT_HTTP + 3))

# DNS: types, case, IPv6, TCP, and later queries on one TCP connection.
dns ok.example A
dns ok.example AAAA
dns ok.example MX
dns ok.example TXT
dns Mixed.CASE.Example A
dns -6 @$A62 six.example AAAA
dns +tcp ok.example A
dns +tcp Tcp.Example TXT
dns +tcp +keepopen ok.example A keep1.example MX keep2.example AAAA
WANT_DNS=$((WANT_DNS + 2))
# Over IPv6 with a UDP length of 0, which the kernel reads as the rest of
# the datagram (tests/tools/udp6len0.py): dnsmasq answers it, so both
# parsers must read it.
check "a query with UDP length 0 over IPv6: dnsmasq answers it" \
    "$(in1 $PY "$TOP/tests/tools/udp6len0.py" $A62 Zero.Ok.Example)" 10.1.1.1
WANT_DNS=$((WANT_DNS + 1))

# Cut into segments: the servers say MSS 88 and the client's veth makes
# no large segments.
for p in $TLSP $HTTPP 53; do
	in2 iptables -t mangle -A OUTPUT -p tcp --sport $p --tcp-flags SYN,ACK \
	    SYN,ACK -j TCPMSS --set-mss 88
done
in1 ethtool -K veth0 tso off gso off >/dev/null 2>&1
tls split.example
s_client Split.Openssl.Example h2,http/1.1
pad=$(printf '%0400d' 0)
http "http://split.example:$HTTPP/split/path" \
    --resolve "split.example:$HTTPP:$A2" -H "X-Pad: $pad"
long=$(printf 'a%.0s' {1..60})
dns +tcp "$long.$long.$long.Split.Example" A

wait_until 10 marker nfqd-capture-end || fail "the capture missed its end"
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID"
check "tcpdump exits 0" $? 0

# What nfqd read, and what tshark read, in the same format.  tshark says
# a request where its head ends, as nfqd does, not where its body does.
"$L7DUMP" "$CAP" >"$TMP/nfqd.txt" 2>"$TMP/l7dump.err"
check "l7dump exits 0" $? 0
cat "$TMP/l7dump.err"
tshark -r "$CAP" -n -o http.desegment_body:FALSE \
    -d tcp.port==$TLSP,tls -d tcp.port==$TLS6P,tls \
    -d tcp.port==$HTTPP,http -d tcp.port==$HTTPK,http \
    -d tcp.port==$H2P,http2 \
    -Y 'tls.handshake.type == 1 || http.request || dns.flags.response == 0 ||
    (http2.type == 1 && tcp.dstport == '$H2P')' \
    -T fields -E separator=/t -e frame.number -e tls.handshake.type \
    -e tls.handshake.extensions_server_name \
    -e tls.handshake.extensions_alpn_str -e http.host \
    -e http.request.method -e http.request.uri -e dns.qry.name \
    -e dns.qry.type -e dns.flags.response -e tcp.segment.count \
    -e http2.headers.authority -e http2.headers.method \
    -e http2.headers.path \
    >"$TMP/tshark.raw" 2>"$TMP/tshark.err"
rc=$?
check "tshark exits 0" $rc 0
[ $rc = 0 ] || cat "$TMP/tshark.err"
# Normalized as nfqd does: names in lower case without one trailing dot,
# a Host without its port (an IPv6 literal keeps its brackets).
awk -F '\t' -v OFS='\t' '
function norm(s) { s = tolower(s); sub(/\.$/, "", s); return s }
function host(h) {
	if (h ~ /^\[/)
		sub(/\].*$/, "]", h)
	else
		sub(/:[0-9]*$/, "", h)
	return norm(h)
}
$2 ~ /(^|,)1(,|$)/ { print $1, "tls", norm($3), $4; next }
$6 != "" { print $1, "http", host($5), $6 " " $7; next }
$13 != "" { print $1, "http", host($12), $13 " " $14; next }
$8 != "" && $10 ~ /^(0|False)$/ { print $1, "dns", norm($8), $9; next }
{ print $1, "unknown", $0 }
' "$TMP/tshark.raw" >"$TMP/tshark.txt"

# One check per message tshark saw; then what only nfqd saw.  Fields
# may be empty (no server name, no Host): lines are cut at the first tab
# only.
declare -A got seen
while IFS= read -r line; do
	got[${line%%$'\t'*}]=${line#*$'\t'}
done <"$TMP/nfqd.txt"
while IFS= read -r line; do
	fr=${line%%$'\t'*}
	want=${line#*$'\t'}
	seen[$fr]=1
	check "frame $fr: ${want//$'\t'/ }" "${got[$fr]:-nothing}" "$want"
done <"$TMP/tshark.txt"
for fr in "${!got[@]}"; do
	[ -n "${seen[$fr]:-}" ] ||
	    fail "frame $fr: nfqd read '${got[$fr]}', tshark nothing"
done

# kinds FILE PROTO: messages of PROTO in FILE.
kinds() { awk -F '\t' -v p="$2" '$2 == p { n++ } END { print n + 0 }' "$1"; }
for k in tls:$WANT_TLS http:$WANT_HTTP dns:$WANT_DNS; do
	check "tshark saw every ${k%:*} message the clients sent" \
	    "$(kinds "$TMP/tshark.txt" ${k%:*})" ${k#*:}
	check "nfqd and tshark saw as many ${k%:*} messages" \
	    "$(kinds "$TMP/nfqd.txt" ${k%:*})" "$(kinds "$TMP/tshark.txt" ${k%:*})"
done
check "nfqd found no message malformed" "$(kinds "$TMP/nfqd.txt" error)" 0
# The cut messages: tshark put each together from several segments.
check "the split hellos, request and query took several segments each" \
    "$(awk -F '\t' 'tolower($3 $5 $8) ~ /split/ && $11 >= 2 { n++ }
    END { print n + 0 }' "$TMP/tshark.raw")" 4
if [ "$FAILS" != 0 ]; then
	echo "--- $TEST: nfqd (l7dump)"
	cat "$TMP/nfqd.txt"
	echo "--- $TEST: tshark"
	cat "$TMP/tshark.txt"
fi
finish
