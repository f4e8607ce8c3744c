#!/bin/bash
# Names, end to end, with real clients and servers in the namespaces and
# the documented host rules (docs/l7.md): TLS (a threaded Python TLS
# server, curl, openssl s_client), HTTP (python3 http.server, curl), DNS
# (dnsmasq, dig over UDP and TCP, several queries in one segment or one
# after another on a connection), a ClientHello cut into many segments
# by a real client (MSS 88, no TSO/GSO) and by a tool that writes its own
# segments (1 byte each, in every order, a conflicting overlap, behind a
# decoy the server's TCP discards).  Blocked names never complete; the
# others transfer byte for byte.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
L7SEG=$TOP/tests/tools/l7seg.py
TLSP=4433
HTTPP=8080

for c in openssl curl dig dnsmasq ethtool; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
setup_net

l7_host_rules 0:1
# The raw client's kernel knows nothing of its connections: no RSTs.
in1 iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP

printf '%s\n' blocked.example "# a comment" "0.0.0.0 ads.example" \
    >"$TMP/blocked.txt"
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; };' \
    "name_sets = ( { name = \"blocked\"; file = \"$TMP/blocked.txt\"; } );" \
    "rules = (
  { name = \"tls\"; tls_sni = \"@blocked\"; verdict = \"repeat\"; mark = $L7D; },
  { name = \"http\"; http_host = \"@blocked\"; verdict = \"repeat\"; mark = $L7D; },
  { name = \"path\"; http_path = \"/private\"; verdict = \"repeat\"; mark = $L7D; },
  { name = \"dns\"; dns_qname = (\"@blocked\", \"=exact.example\");
    verdict = \"drop\"; }
);"
start_nfqd "$conf" 2 || finish
rule() { js ".rules[] | select(.name == \"$1\") | .hits"; }
# tls_hit N: rule tls has more than N hits.
tls_hit() { dump; [ "$(rule tls)" -gt "$1" ]; }

# Servers.
mkdir -p "$TMP/www/private" "$TMP/www/public"
head -c 1048576 /dev/urandom >"$TMP/www/public/data"
cp "$TMP/www/public/data" "$TMP/www/private/data"
want=$(sha256sum <"$TMP/www/public/data" | cut -d' ' -f1)
test_cert "$NS2"
tls_server "$NS2" $A2 $TLSP "$TMP/www"
(cd "$TMP/www" && exec ip netns exec "$NS2" $PY -m http.server $HTTPP \
    --bind $A2 >"$TMP/http.log" 2>&1) &
BG_PIDS+=($!)
# In the foreground, a process per TCP connection (--no-daemon would read
# them one at a time: one whose query nfqd dropped stalls the rest).
in2 dnsmasq --keep-in-foreground --pid-file="$TMP/dnsmasq.pid" \
    --no-resolv --no-hosts --bind-interfaces \
    --listen-address=$A2 --port=53 --address=/ok.example/10.1.1.1 \
    --address=/blocked.example/10.1.1.2 --address=/exact.example/10.1.1.3 \
    >"$TMP/dnsmasq.log" 2>&1 &
BG_PIDS+=($!)
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $TLSP || fail "the TLS server did not listen"
wait_until 10 listening $HTTPP || fail "http.server did not listen"
wait_until 10 listening 53 || fail "dnsmasq did not listen"

# get NAME PATH PORT SCHEME: sha256 of the body curl fetched, or "fail"
# (why in $TMP/get.why: curl's exit status and error, its client port).
get() {
	local w rc
	rm -f "$TMP/body"
	w=$(in1 curl -sSf -k --max-time 4 -o "$TMP/body" \
	    -w '%{local_port} %{http_code} %{time_total}' \
	    --resolve "$1:$3:$A2" "$4://$1:$3$2" 2>"$TMP/get.err")
	rc=$?
	if [ "$rc" = 0 ]; then
		sha256sum <"$TMP/body" | cut -d' ' -f1
	else
		echo "curl exit $rc: $(tr '\n' ' ' <"$TMP/get.err")" \
		    "(client port, HTTP code, time: $w)" >"$TMP/get.why"
		echo fail
	fi
}

# get_ok: get, for a fetch that must succeed; when it fails, why and
# what NS2 holds of its connection, as comments.
get_ok() {
	local r
	r=$(get "$@")
	if [ "$r" = fail ]; then
		sed 's/^/# /' "$TMP/get.why" >&2
		l7_diag "$(awk '{ print $(NF - 2) }' "$TMP/get.why")" >&2
	fi
	echo "$r"
}

# TLS, whole hellos.
check "TLS allowed name: 1 MiB byte for byte" \
    "$(get_ok ok.example /public/data $TLSP https)" "$want"
check "TLS blocked name: no handshake" \
    "$(get blocked.example /public/data $TLSP https)" "fail"
check "TLS blocked subdomain of a listed name" \
    "$(get www.ads.example /public/data $TLSP https)" "fail"
check "TLS name that only ends like a listed one" \
    "$(get_ok notblocked.example /public/data $TLSP https)" "$want"
out=$(echo | in1 timeout 5 openssl s_client -connect $A2:$TLSP \
    -servername BLOCKED.Example. 2>&1)
check "openssl s_client, blocked name in capitals with a trailing dot" \
    "$(echo "$out" | grep -c 'BEGIN CERTIFICATE')" 0
# nginx cuts a server name at ':' and serves blocked.example's site.
out=$(echo | in1 timeout 5 openssl s_client -connect $A2:$TLSP \
    -servername blocked.example:443 2>&1)
check "openssl s_client, blocked name with a port: no handshake" \
    "$(echo "$out" | grep -c 'BEGIN CERTIFICATE')" 0

# TLS, the hello cut into segments by a real client: the server's SYN-ACK
# says MSS 88, and the client's veth does not hand nfqd one big packet.
in2 iptables -t mangle -A OUTPUT -p tcp --sport $TLSP --tcp-flags SYN,ACK \
    SYN,ACK -j TCPMSS --set-mss 88
in1 ethtool -K veth0 tso off gso off >/dev/null 2>&1
pend0=$(dump; js '.total.l7_pending')
check "TLS allowed name, hello in MSS-88 segments: 1 MiB byte for byte" \
    "$(get_ok ok.example /public/data $TLSP https)" "$want"
check "TLS blocked name, hello in MSS-88 segments: no handshake" \
    "$(get blocked.example /public/data $TLSP https)" "fail"
dump
pend=$(js '.total.l7_pending')
if [ "$pend" -ge $((pend0 + 10)) ]; then
	pass "segments before each hello's last were passed pending ($((pend - pend0)))"
else
	fail "pending packets: $pend0 -> $pend, want 10 more at least"
fi
in2 iptables -t mangle -D OUTPUT -p tcp --sport $TLSP --tcp-flags SYN,ACK \
    SYN,ACK -j TCPMSS --set-mss 88

# TLS and HTTP, segments written by hand.
seg() { l7seg --dst $A2 "$@"; }
for order in in reverse shuffle swap; do
	check "TLS allowed, 1-byte segments, order $order: server answers" \
	    "$(seg --port $TLSP --sni ok.example --seg 1 --order $order)" yes
	check "TLS blocked, 1-byte segments, order $order: server silent" \
	    "$(seg --port $TLSP --sni blocked.example --seg 1 --order $order)" no
done
check "TLS blocked, 7-byte segments shuffled: server silent" \
    "$(seg --port $TLSP --sni blocked.example --seg 7 --order shuffle --seed 3)" no
dump
c0=$(js '.total.l7_conflicts')
check "TLS allowed after a conflicting overlap: refused" \
    "$(seg --port $TLSP --sni ok.example --seg 100 --conflict)" no
dump
check "the conflict was counted" "$(js '.total.l7_conflicts')" $((c0 + 1))
check "HTTP blocked Host, 1-byte segments shuffled: server silent" \
    "$(seg --port $HTTPP --host blocked.example --seg 1 --order shuffle)" no
check "HTTP allowed Host, 1-byte segments shuffled: server answers" \
    "$(seg --port $HTTPP --host ok.example --seg 1 --order shuffle)" yes
# What the server's TCP keeps of a stream, not what a naive reader would
# (docs/l7.md, TCP): not a RST's payload, not a SYN with another ISN once
# the connection is up, not a SYN's data without a Fast Open cookie.
# (l7seg writes through a packet socket: its RSTs pass NS1's RST drop.)
for shape in rst-decoy syn-jump syn-data=other; do
	check "TLS blocked, $shape: server silent" \
	    "$(seg --port $TLSP --sni blocked.example "--$shape")" no
done
for shape in syn-jump syn-data=same; do
	check "TLS allowed, $shape: server answers" \
	    "$(seg --port $TLSP --sni ok.example "--$shape")" yes
done
check "HTTP blocked Host, rst-decoy: server silent" \
    "$(seg --port $HTTPP --host blocked.example --rst-decoy)" no
# A harmless hello first in a segment the server's TCP discards (docs/l7.md,
# Reassembly): no ACK, an MD5 option, a timestamp older than the SYN's,
# TTL 2.  The one without ACK never reaches nfqd here: conntrack finds its
# flags invalid, so the rules do not queue it (the build before passed it
# too).  On this host the TTL-2 segment arrives (no router in between):
# that nfqd refuses it anyway is what the ttl checks show.
for shape in no-ack md5 paws ttl; do
	check "TLS blocked, decoy $shape: server silent" \
	    "$(seg --port $TLSP --sni blocked.example --decoy $shape)" no
	check "TLS allowed, decoy $shape: server answers" \
	    "$(seg --port $TLSP --sni ok.example --decoy $shape)" yes
done
# Request lines Python's http.server splits on any whitespace and serves.
for sp in ' GET /' 'GET\t/' 'GET\x0b/' 'GET\x1c/'; do
	check "HTTP blocked Host, request line '$sp': server silent" \
	    "$(seg --port $HTTPP --request \
	    "$sp HTTP/1.1\r\nHost: blocked.example\r\n\r\n")" no
done
in1 ethtool -K veth0 tso on gso on >/dev/null 2>&1

# A dropped connection stays dropped in the kernel: nfqd sees the SYN,
# the ACK and each segment of the hello once; the retransmissions and the
# RST after the drop never reach it.  PREFIX starts the checks' names,
# SPORT is the client's port.  What the kernel queued of that connection
# is counted by two rules without a target, each just before an NFQUEUE
# rule of the chain (docs/l7.md's order: save, drop, restore, connbytes,
# pending): earlier connections' retransmissions, which a loaded machine
# can still have on the way, do not count.
blocked_segments() {
	local h0 out nseg pid n q1 q2

	read -r q1 q2 <<<"$(in2 iptables -t mangle -L NFQD --line-numbers -n |
	    awk '/NFQUEUE/ { printf "%s ", $1 }')"
	in2 iptables -t mangle -I NFQD "$q1" -p tcp --sport "$2" -m connbytes \
	    --connbytes 1:3 --connbytes-dir original --connbytes-mode packets
	in2 iptables -t mangle -I NFQD "$((q2 + 1))" -p tcp --sport "$2" \
	    -m connmark --mark $L7P/$L7P
	dump
	h0=$(rule tls)
	# The retransmissions once nfqd has dropped the hello (its rule hit),
	# so that none of them can still find the connection undecided.
	rm -f "$TMP/hold"
	in1 $PY "$L7SEG" --dst $A2 --port $TLSP --sni blocked.example --seg 50 \
	    --sport "$2" --hold "$TMP/hold" >"$TMP/seg.out" &
	pid=$!
	wait_until 10 tls_hit "$h0" ||
	    fail "${1}blocked: no hit of rule tls after the first pass"
	touch "$TMP/hold"
	wait $pid
	out=$(cat "$TMP/seg.out")
	nseg=$(echo "$out" | awk '/^segments/ { print $2 }')
	check "${1}blocked, 50-byte segments: server silent" \
	    "$(echo "$out" | l7reply)" no
	n=$(in2 iptables -t mangle -L NFQD -v -x -n |
	    awk -v p="spt:$2" '$0 ~ p { n += $1 } END { print n + 0 }')
	check "${1}blocked: nfqd saw the SYN, the ACK and the $nseg segments once" \
	    "$n" "$((nseg + 2))"
	in2 iptables -t mangle -D NFQD "$((q2 + 1))"
	in2 iptables -t mangle -D NFQD "$q1"
}
blocked_segments "" 19001

# HTTP with curl.
check "HTTP allowed Host: 1 MiB byte for byte" \
    "$(get_ok ok.example /public/data $HTTPP http)" "$want"
check "HTTP blocked Host" "$(get blocked.example /public/data $HTTPP http)" fail
check "HTTP blocked path" "$(get ok.example /private/data $HTTPP http)" fail
check "HTTP blocked path spelt /./private" \
    "$(in1 curl -s --path-as-is --max-time 4 -o /dev/null -w '%{http_code}' \
    "http://$A2:$HTTPP/./private/data")" 000

# DNS with dig.
q() { in1 dig @$A2 +time=1 +tries=1 +short "$@" 2>/dev/null | grep -v '^;' |
    head -n 1; }
check "DNS over UDP, allowed name" "$(q ok.example)" 10.1.1.1
check "DNS over UDP, blocked name: no answer" "$(q blocked.example)" ""
check "DNS over UDP, subdomain of a blocked name: no answer" \
    "$(q www.blocked.example)" ""
check "DNS over UDP, exact-only name: itself blocked" "$(q exact.example)" ""
check "DNS over UDP, exact-only name: a subdomain answers" \
    "$(q a.exact.example)" 10.1.1.3
check "DNS over TCP, allowed name" "$(q +tcp ok.example)" 10.1.1.1
check "DNS over TCP, blocked name: no answer" "$(q +tcp blocked.example)" ""
# Several queries in one segment (tests/tools/dnspipe.py): dnsmasq reads
# and answers them all, so nfqd reads them all.
pipe() { in1 /usr/bin/python3 "$TOP/tests/tools/dnspipe.py" $A2 "$@"; }
check "DNS over TCP, two allowed queries in one segment: both answered" \
    "$(pipe ok.example a.exact.example)" \
    "ok.example=10.1.1.1 a.exact.example=10.1.1.3"
check "DNS over TCP, an allowed then a blocked query in one segment: none" \
    "$(pipe ok.example www.blocked.example)" silent
# One query after another on one connection (dig +keepopen): the second
# comes after the connbytes window, so nfqd's accept of the first must
# keep the connection queued (the pending bit), and reads it.
keep() { in1 dig @$A2 +tcp +keepopen +time=1 +tries=1 +short "$@" \
    2>/dev/null | grep -v '^;' | tr '\n' ' ' | sed 's/ $//'; }
check "DNS over TCP, one connection: allowed, allowed: both answered" \
    "$(keep ok.example a.exact.example)" "10.1.1.1 10.1.1.3"
check "DNS over TCP, one connection: allowed, blocked: the second unanswered" \
    "$(keep ok.example a.exact.example www.blocked.example)" \
    "10.1.1.1 10.1.1.3"

# Offload: 1 GiB over an allowed connection; nfqd sees its first 3
# packets (the connbytes window: SYN, ACK, the first data) and those the
# client sent while nfqd decided the third (the connection still had the
# pending bit): at most its initial window of 10 segments.  Counted as
# blocked_segments() counts, by two rules just before the chain's NFQUEUE
# rules: the FINs that the clients of connections nfqd dropped above (a
# blocked DNS query's, say) send again for a while are not this
# transfer's.
in2 socat -u TCP-LISTEN:5201,reuseaddr,bind=$A2 OPEN:/dev/null &
BG_PIDS+=($!)
wait_until 10 listening 5201 || fail "the sink did not listen"
read -r q1 q2 <<<"$(in2 iptables -t mangle -L NFQD --line-numbers -n |
    awk '/NFQUEUE/ { printf "%s ", $1 }')"
in2 iptables -t mangle -I NFQD "$q1" -p tcp --dport 5201 -m connbytes \
    --connbytes 1:3 --connbytes-dir original --connbytes-mode packets
in2 iptables -t mangle -I NFQD "$((q2 + 1))" -p tcp --dport 5201 \
    -m connmark --mark $L7P/$L7P
in1 sh -c "head -c 1073741824 /dev/zero | socat -u - TCP:$A2:5201"
check "1 GiB sent" "$?" 0
n=$(in2 iptables -t mangle -L NFQD -v -x -n |
    awk '/dpt:5201/ { n += $1 } END { print n + 0 }')
in2 iptables -t mangle -D NFQD "$((q2 + 1))"
in2 iptables -t mangle -D NFQD "$q1"
if [ "$n" -ge 3 ] && [ "$n" -le 13 ]; then
	pass "1 GiB transfer: nfqd saw $n packets of it (3 to 13)"
else
	fail "1 GiB transfer: nfqd saw $n packets of it, want 3 to 13"
fi

dump
for r in tls http path dns; do
	h=$(rule $r)
	if [ "${h:-0}" -ge 1 ]; then
		pass "rule $r counted ($h)"
	else
		fail "rule $r: hits '$h'"
	fi
done
for k in l7_tls l7_http l7_dns flows_created; do
	v=$(js ".total.$k")
	if [ "${v:-0}" -ge 1 ]; then
		pass "$k counted ($v)"
	else
		fail "$k: '$v'"
	fi
done
# nfqctl top: names were read, so it has the l7 line (and no dns line:
# no dns_learn table).
"$TOP/${NFQD_BUILD:-build}/nfqctl" -s "$TMP/nfqd.shm" top --batch \
    --iterations 1 --interval 0.2 >"$TMP/top" 2>&1
check "nfqctl top: the l7 line, no dns line" \
    "$(grep -c '^ *l7 tls/s ' "$TMP/top") $(grep -c '^ *dns ' "$TMP/top")" "1 0"
check "no worker died" "$(js '.total.restarts // 0')" 0
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0

# flows.connmark = "auto" (docs/l7.md).  Where the kernel takes conntrack
# marks in verdicts, nfqd marks a blocked connection itself: without the
# rule that saves the drop mark, the kernel still drops the rest of the
# connection (a repeated packet that found no mark would come back to
# nfqd again and again).  Elsewhere one line says so, the rules stay, and
# everything is as before.
ctk=$(kernel_ct_verdicts)
l0=$(wc -l <"$TMP/nfqd.log")
write_conf "$conf" 'queue: { balance = "0:1"; };' \
    'flows: { connmark = "auto"; };' \
    "name_sets = ( { name = \"blocked\"; file = \"$TMP/blocked.txt\"; } );" \
    "rules = (
  { name = \"tls\"; tls_sni = \"@blocked\"; verdict = \"repeat\"; mark = $L7D; },
  { name = \"http\"; http_host = \"@blocked\"; verdict = \"repeat\"; mark = $L7D; }
);"
start_nfqd "$conf" 2 || finish
since() { tail -n +$((l0 + 1)) "$TMP/nfqd.log"; }
case $ctk in
yes)
	said="flows.connmark: the kernel takes conntrack marks in verdicts;"
	for t in iptables ip6tables; do
		in2 $t -t mangle -D NFQD -m mark --mark $L7D/$L7D -j CONNMARK \
		    --save-mark --nfmask $L7D --ctmask $L7D
	done ;;
no)
	said="flows.connmark: this kernel does not take conntrack marks in verdicts (NFQA_CT: Operation not supported); the connmark is left to the rules of docs/l7.md" ;;
*)
	said="(the test could not ask the kernel)" ;;
esac
check "connmark auto: the kernel's answer ($ctk) logged once at start" \
    "$(since | grep -c "master: flows.connmark: ")/$(since | grep -cF "$said")" \
    1/1
check "connmark auto ($ctk): TLS allowed name, 1 MiB byte for byte" \
    "$(get_ok ok.example /public/data $TLSP https)" "$want"
check "connmark auto ($ctk): TLS blocked name, no handshake" \
    "$(get blocked.example /public/data $TLSP https)" "fail"
check "connmark auto ($ctk): HTTP blocked Host" \
    "$(get blocked.example /public/data $HTTPP http)" fail
blocked_segments "connmark auto ($ctk): " 19002
check "connmark auto: no worker died" "$(js '.total.restarts // 0')" 0
stop_nfqd
check "connmark auto: nfqd exits 0" "$NFQD_STATUS" 0
check "connmark auto: the line once in the whole run" \
    "$(since | grep -c "master: flows.connmark: ")" 1
finish
