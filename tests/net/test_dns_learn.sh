#!/bin/bash
# dns_learn end to end: dnsmasq in the receiver's namespace answers dig
# in the sender's with A, AAAA and CNAME records; both directions of DNS
# are queued (queries on INPUT, answers on OUTPUT) and TCP through the
# documented host rules (docs/l7.md).  A rule dst_name = "blocked.example"
# drops TCP connections to the addresses answered for it (directly, over
# IPv6, through a CNAME chain); an allowed name's address passes; after
# the TTL (dns_learn.max_ttl) the entries expire, counted, and the same
# connections pass; an answer over TCP (dig +tcp) is learned like one over
# UDP, and so is one over two segments (its first 32 addresses, in the
# order tshark reads from the same segments); an answer sent with no query (scapy, from the server's
# side, so that it is queued like dnsmasq's) is refused, counted, and its
# address is not learned.  Then a worker killed while it writes the table
# (nfqd-faults): the master repairs the bucket and the successor learns.
# Then dns_learn.servers: an answer from a server not listed teaches
# nothing; after a reload that lists it, the same answer does.  Last,
# names a client makes up cannot push a blocked name out of the table,
# also when it was learned before a reload brought the rule naming it.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3	# Debian's, with scapy
NFQCTL=$TOP/${NFQD_BUILD:-build}/nfqctl
TCPP=8080
TTL=10			# dns_learn.max_ttl: dnsmasq's 600 s comes down to it

for c in dig dnsmasq socat ethtool tcpdump tshark; do
	if ! command -v $c >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
if ! "$PY" -c 'import scapy.all' 2>/dev/null; then
	fail "$PY cannot import scapy (scripts/deps.sh installs python3-scapy)"
	finish
fi
setup_net

# The answered addresses, all the receiver's.
B4=10.77.0.10		# blocked.example
OK4=10.77.0.11		# ok.example
SP4=10.77.0.12		# the spoofed answer's
CN4=10.77.0.13		# cdn.blocked.example, via www.alias.example
TC4=10.77.0.14		# tcp.blocked.example, asked over TCP
B6=fd77::10		# blocked.example AAAA
for a in $B4 $OK4 $SP4 $CN4 $TC4; do
	ip -n "$NS2" addr add $a/32 dev veth1
done
ip -n "$NS2" addr add $B6/128 dev veth1 nodad
# big.blocked.example: 100 addresses, 10.77.0.101 to 10.77.0.200.
BIG1=10.77.0.101
for i in $(seq 101 200); do
	echo "address add 10.77.0.$i/32 dev veth1"
	echo "10.77.0.$i big.blocked.example" >>"$TMP/big.hosts"
done | ip -n "$NS2" -batch - || fail "adding big.blocked.example's addresses"

l7_host_rules 0:1
# The answers leave the receiver: queued on their way out too.
for t in iptables ip6tables; do
	in2 $t -t mangle -A OUTPUT -p udp --sport 53 -j NFQUEUE \
	    --queue-balance 0:1 --queue-bypass
	in2 $t -t mangle -A OUTPUT -p tcp --sport 53 -j NFQUEUE \
	    --queue-balance 0:1 --queue-bypass
done

conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; };' \
    "dns_learn = { enabled = true; max_entries = 1024; min_ttl = 1; max_ttl = $TTL; };" \
    "rules = (
  { name = \"learned\"; dst_name = \"blocked.example\"; verdict = \"drop\"; }
);"
start_nfqd "$conf" 2 || finish
ctr() {
	"$NFQCTL" -s "$TMP/nfqd.shm" stats --json | jq -r ".total.$1"
}

in2 dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null \
    --bind-interfaces --listen-address=$A2 --port=53 --local-ttl=600 \
    --host-record=blocked.example,$B4,$B6 --host-record=ok.example,$OK4 \
    --host-record=cdn.blocked.example,$CN4 \
    --host-record=tcp.blocked.example,$TC4 \
    --cname=www.alias.example,cdn.blocked.example \
    $(for i in 1 2 3 4 5 6 7 8; do echo "--host-record=a$i.attacker.example,$B4"; done) \
    >"$TMP/dnsmasq.log" 2>&1 &
BG_PIDS+=($!)
# One listener for both families (two would race for the port).
in2 socat TCP6-LISTEN:$TCPP,ipv6only=0,reuseaddr,fork PIPE >/dev/null 2>&1 &
BG_PIDS+=($!)
listening() { in2 ss -Hln "sport = :$1" | grep -q .; }
wait_until 10 listening 53 || fail "dnsmasq did not listen"
wait_until 10 listening $TCPP || fail "socat did not listen"

# resolve NAME TYPE [TRIES]: the addresses dig got, sorted, one line.
resolve() {
	in1 dig +short +tries=${3:-1} +time=2 @$A2 "$1" "$2" | grep -v '\.$' |
	    sort | tr '\n' ' ' | sed 's/ $//'
}
# tcp ADDR: "pass" when a line comes back through a TCP connection to
# ADDR:TCPP within 2 s, else "drop".
tcp() {
	local a=$1
	case $a in *:*) a="[$a]" ;; esac
	if [ "$(echo hello | in1 timeout 4 socat -t 1 -T 2 - \
	    "TCP:$a:$TCPP,connect-timeout=2" 2>/dev/null)" = hello ]; then
		echo pass
	else
		echo drop
	fi
}

# Before any answer: every connection passes.
check "nothing learned yet: $B4 passes" "$(tcp $B4)" pass
check "nothing learned yet: $B6 passes" "$(tcp $B6)" pass
check "nothing learned yet: $CN4 passes" "$(tcp $CN4)" pass

check "dig blocked.example A" "$(resolve blocked.example A)" $B4
check "dig blocked.example AAAA" "$(resolve blocked.example AAAA)" $B6
check "dig ok.example A" "$(resolve ok.example A)" $OK4
check "dig www.alias.example A (CNAME)" \
    "$(resolve www.alias.example A)" $CN4
# Each answer: 1 + 1 + 1 + 2 (the chain's two names) entries.
wait_eq 10 5 ctr dns_learned ||
    fail "dns_learned: got $(ctr dns_learned), want 5"
check "learned 5 (address, name) entries" "$(ctr dns_learned)" 5
wait_eq 10 5 ctr dns_entries || fail "dns_entries: got $(ctr dns_entries)"
check "the table holds 5" "$(ctr dns_entries)" 5
check "no answer refused" "$(ctr dns_refused)" 0

check "blocked.example's address: dropped" "$(tcp $B4)" drop
check "blocked.example's IPv6 address: dropped" "$(tcp $B6)" drop
check "through a CNAME to cdn.blocked.example: dropped" "$(tcp $CN4)" drop
check "ok.example's address: passes" "$(tcp $OK4)" pass
hits=$(ctr dns_hits)
check "lookups that found names counted (at least 4)" \
    "$([ "$hits" -ge 4 ] && echo yes)" yes

# An answer nobody asked for, from the server's address and port.
before=$(ctr dns_refused)
in2 "$PY" - $A2 $A1 $SP4 <<'PY' >"$TMP/scapy.log" 2>&1
import sys
from scapy.all import IP, UDP, DNS, DNSQR, DNSRR, L3RawSocket, conf, send
src, dst, addr = sys.argv[1:4]
# A raw IP socket, which goes through OUTPUT (scapy's default packet
# socket would not: the answer must be queued like dnsmasq's).
conf.L3socket = L3RawSocket
send(IP(src=src, dst=dst) / UDP(sport=53, dport=33333) /
     DNS(id=4242, qr=1, aa=1, rd=1, ra=1,
         qd=DNSQR(qname="blocked.example", qtype="A"),
         an=DNSRR(rrname="blocked.example", type="A", ttl=600, rdata=addr)),
     verbose=False)
PY
check "spoof: scapy sent it" "$?" 0
wait_eq 10 $((before + 1)) ctr dns_refused ||
    fail "dns_refused: got $(ctr dns_refused), want $((before + 1))"
check "spoof: refused, counted once" "$(ctr dns_refused)" $((before + 1))
check "spoof: nothing learned" "$(ctr dns_learned)" 5
check "spoof: its address passes" "$(tcp $SP4)" pass

# Over TCP (a truncated answer retried, or a client that asks so): the
# query reaches nfqd through the host rules (the connection's third
# packet), the answer on its way out; each is whole in its segment.
refused=$(ctr dns_refused)
check "tcp: nothing learned yet: $TC4 passes" "$(tcp $TC4)" pass
check "tcp: dig +tcp tcp.blocked.example A" \
    "$(in1 dig +tcp +short +tries=1 +time=2 @$A2 tcp.blocked.example A)" $TC4
wait_eq 10 6 ctr dns_learned ||
    fail "tcp: dns_learned: got $(ctr dns_learned), want 6"
check "tcp: learned from the answer over TCP" "$(ctr dns_learned)" 6
check "tcp: no answer refused" "$(ctr dns_refused)" $refused
check "tcp: tcp.blocked.example's address: dropped" "$(tcp $TC4)" drop

# An answer over TCP in two segments, as a host that asks sees it (the
# host rules of docs/l7.md: the query queued on OUTPUT, the answer on
# INPUT): a second dnsmasq, in the sender's namespace, answers dig in the
# receiver's with 100 addresses for a name (1,637 bytes with the length),
# the receiver's own.  Segmentation offload off on the sender's side: the
# answer reaches the receiver as the two segments the wire would carry (a
# rule before the queue counts those with answer bytes).  Put together
# across them, its first 32 addresses (NFQD_DNSL_ADDRS_MAX) are learned.
refused=$(ctr dns_refused)
check "tcp, two segments: nothing learned yet: $BIG1 passes" \
    "$(tcp $BIG1)" pass
in1 ethtool -K veth0 tso off gso off >/dev/null 2>&1 ||
    fail "tcp, two segments: ethtool -K veth0 tso off gso off"
in1 dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null \
    --bind-interfaces --listen-address=$A1 --port=53 --local-ttl=600 \
    --addn-hosts="$TMP/big.hosts" >"$TMP/dnsmasq1.log" 2>&1 &
BG_PIDS+=($!)
wait_until 10 eval 'in1 ss -Hln "sport = :53" | grep -q .' ||
    fail "tcp, two segments: dnsmasq did not listen"
in2 iptables -t mangle -A OUTPUT -p tcp --dport 53 -j NFQUEUE \
    --queue-balance 0:1 --queue-bypass
in2 iptables -t mangle -I INPUT -p tcp --sport 53 -j NFQUEUE \
    --queue-balance 0:1 --queue-bypass
in2 iptables -t mangle -I INPUT -p tcp --sport 53 -m length --length 400:
# Captured as it arrives, for tshark. Not through in2: $! must be tcpdump.
ip netns exec "$NS2" tcpdump -i veth1 -U -n -w "$TMP/big.pcap" \
    "tcp src port 53" >"$TMP/tcpdump.log" 2>&1 &
TCPDUMP=$!
BG_PIDS+=($TCPDUMP)
wait_until 5 grep -q listening "$TMP/tcpdump.log" ||
    fail "tcp, two segments: tcpdump did not start"
in2 dig +tcp +short +tries=1 +time=2 @$A1 big.blocked.example A \
    >"$TMP/big.out" 2>&1
check "tcp, two segments: dig +tcp big.blocked.example: 100 addresses" \
    "$(sort -u "$TMP/big.out" | grep -c '^10\.77\.0\.')" 100
# At once, while the entries live (max_ttl, $TTL s; tshark below is slow
# on a loaded machine): dig's first, 32nd (NFQD_DNSL_ADDRS_MAX) and 33rd
# address, in the message's order, which tshark confirms after.
first=$(sed -n 1p "$TMP/big.out")
last=$(sed -n 32p "$TMP/big.out")
past=$(sed -n 33p "$TMP/big.out")
check "tcp, two segments: the first address ($first): dropped" \
    "$(tcp "$first")" drop
check "tcp, two segments: the 32nd address ($last): dropped" \
    "$(tcp "$last")" drop
check "tcp, two segments: the 33rd address ($past): not learned, passes" \
    "$(tcp "$past")" pass
check "tcp, two segments: the answer came in two data segments" \
    "$(in2 iptables -t mangle -L INPUT -v -x -n |
    awk '/length 400:/ { print $1 }')" 2
# tshark's reading of the same segments: one response, put together
# from two segments, and its addresses in the message's order.
answer_captured() {
	[ "$(tshark -r "$TMP/big.pcap" -Y 'dns.flags.response == 1' \
	    2>/dev/null | wc -l)" -ge 1 ]
}
wait_until 5 answer_captured || fail "tcp, two segments: nothing captured"
kill -TERM $TCPDUMP
wait $TCPDUMP 2>/dev/null
tshark -r "$TMP/big.pcap" -Y 'dns.flags.response == 1' -T fields \
    -e tcp.segment.count -e dns.a >"$TMP/big.tshark" 2>/dev/null
check "tcp, two segments: tshark: one response, from two segments" \
    "$(awk -F'\t' '{ print $1 }' "$TMP/big.tshark" | tr '\n' ' ')" "2 "
tr ',' '\n' <"$TMP/big.tshark" | sed 's/^.*\t//' >"$TMP/big.addrs"
check "tcp, two segments: tshark: 100 addresses, dig's in dig's order" \
    "$(cmp -s "$TMP/big.addrs" "$TMP/big.out" && echo same)" same
wait_eq 10 38 ctr dns_learned ||
    fail "tcp, two segments: dns_learned: got $(ctr dns_learned), want 38"
check "tcp, two segments: 32 addresses learned" "$(ctr dns_learned)" 38
check "tcp, two segments: no answer refused" "$(ctr dns_refused)" $refused

# After the TTL: the sweep reclaims all 38, and everything passes.
wait_eq $((TTL + 15)) 38 ctr dns_expiries ||
    fail "dns_expiries: got $(ctr dns_expiries), want 38"
check "expired: 38 counted" "$(ctr dns_expiries)" 38
wait_eq 10 0 ctr dns_entries || fail "dns_entries: got $(ctr dns_entries)"
check "expired: the table is empty" "$(ctr dns_entries)" 0
# nfqctl top: the dns line (the empty table and its size); no l7 line,
# since no rule reads names from flows (learning is on the dns line).
"$NFQCTL" -s "$TMP/nfqd.shm" top --batch --iterations 1 --interval 0.2 \
    >"$TMP/top" 2>&1
check "top: the dns_learn line" \
    "$(awk '$1 == "dns" { print $2, $3, $4, $5 }' "$TMP/top")" \
    "0 of $(ctr dns_capacity) entries;"
check "top: no l7 line" "$(grep -c '^ *l7 tls/s ' "$TMP/top")" 0
check "expired: $B4 passes" "$(tcp $B4)" pass
check "expired: $B6 passes" "$(tcp $B6)" pass
check "expired: $CN4 passes" "$(tcp $CN4)" pass
check "expired: $TC4 passes" "$(tcp $TC4)" pass
check "expired: $first passes" "$(tcp "$first")" pass
check "expired: $last passes" "$(tcp "$last")" pass
check "no worker died" "$(ctr restarts)" 0
check "no table write given up" "$(ctr dns_busy)" 0
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0

# A worker killed while it writes an entry (nfqd-faults, dnsl-write: its
# first one, the bucket locked and half written).  The master frees the
# lock when it reaps it; the successor learns into that bucket.
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd-faults
: >"$TMP/nfqd.log"
NFQD_FAULT=dnsl-write start_nfqd "$conf" 2 || finish
# Its answer's worker dies deciding it; dig may have to ask again.
check "faults: dig blocked.example A" "$(resolve blocked.example A 3)" $B4
wait_until 10 grep -q "died writing dns_learn's table" "$TMP/nfqd.log" ||
    fail "faults: no repair logged"
check "faults: the repair logged once, for one bucket" \
    "$(grep -c "died writing dns_learn's table: 1 bucket emptied and unlocked" \
    "$TMP/nfqd.log")" 1
wait_eq 10 1 ctr restarts || fail "faults: restarts $(ctr restarts)"
# The answer's flow hashes to the respawned worker's queue again.
learned=$(ctr dns_learned)
check "faults: dig blocked.example A again" "$(resolve blocked.example A)" $B4
wait_eq 10 $((learned + 1)) ctr dns_learned ||
    fail "faults: dns_learned $(ctr dns_learned), want $((learned + 1))"
check "faults: learned into the repaired bucket: dropped" "$(tcp $B4)" drop
check "faults: no write given up" "$(ctr dns_busy)" 0
check "faults: one worker died" "$(ctr restarts)" 1
stop_nfqd
check "faults: nfqd exits 0" "$NFQD_STATUS" 0

# dns_learn.servers: only the servers listed teach.  The sender's dnsmasq
# ($A1) alone listed: dig's server ($A2) answers, nothing is learned, the
# answer counts in dns_refused, and blocked.example's address passes.
# Reloaded with the /24 of both listed and $A1 left out by "!": the same
# answer teaches, and the address is dropped.
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd
srv_conf() {
	write_conf "$conf" 'queue: { balance = "0:1"; };' \
	    "dns_learn = { enabled = true; max_entries = 1024; min_ttl = 1; max_ttl = $TTL; servers = $1; };" \
	    "rules = (
  { name = \"learned\"; dst_name = \"blocked.example\"; verdict = \"drop\"; }
);"
}
srv_conf "\"$A1\""
: >"$TMP/nfqd.log"
start_nfqd "$conf" 2 || finish
check "servers: dig blocked.example A" "$(resolve blocked.example A)" $B4
# At once: a wrong entry would live max_ttl ($TTL s), less than a wait.
check "servers: an answer from a server not listed: $B4 passes" \
    "$(tcp $B4)" pass
wait_eq 10 1 ctr dns_refused ||
    fail "servers: dns_refused: got $(ctr dns_refused), want 1"
check "servers: ... refused" "$(ctr dns_refused)" 1
check "servers: ... nothing learned" "$(ctr dns_learned)" 0
srv_conf "[\"${A2%.*}.0/24\", \"!$A1\"]"
reloaded() { grep -c "reloaded: " "$TMP/nfqd.log"; }
old=$(workers_of "$NFQD_PID")
kill -HUP "$NFQD_PID"
wait_eq 10 1 reloaded || fail "servers: reload not logged"
wait_until 10 fresh_workers "$NFQD_PID" 2 "$old" ||
    fail "servers: workers not replaced"
check "servers: reloaded, workers replaced" \
    "$(fresh_workers "$NFQD_PID" 2 "$old" && echo yes)" yes
check "servers: dig blocked.example A again" "$(resolve blocked.example A)" $B4
check "servers: an answer from a server in the prefix: $B4 dropped" \
    "$(tcp $B4)" drop
wait_eq 10 1 ctr dns_learned ||
    fail "servers: dns_learned: got $(ctr dns_learned), want 1"
check "servers: ... learned" "$(ctr dns_learned)" 1
check "servers: ... none refused since" "$(ctr dns_refused)" 1
stop_nfqd
check "servers: nfqd exits 0" "$NFQD_STATUS" 0

# Eviction: eight names of the client's choosing, all at blocked.example's
# address and learned after it (so expiring after it), fill that address's
# bucket of 8.  The entry a dst_name rule names is kept; the ninth name
# takes the place of one no rule names, and the address stays dropped.
srv_conf "\"$A2\""
: >"$TMP/nfqd.log"
start_nfqd "$conf" 2 || finish
check "eviction: dig blocked.example A" "$(resolve blocked.example A)" $B4
wait_eq 10 1 ctr dns_learned ||
    fail "eviction: dns_learned: got $(ctr dns_learned), want 1"
check "eviction: $B4 dropped" "$(tcp $B4)" drop
got=
for i in 1 2 3 4 5 6 7 8; do
	got="$got $(resolve a$i.attacker.example A)"
done
check "eviction: dig a1..a8.attacker.example A" "$got" \
    "$(printf " $B4%.0s" 1 2 3 4 5 6 7 8)"
wait_eq 10 9 ctr dns_learned ||
    fail "eviction: dns_learned: got $(ctr dns_learned), want 9"
# The master copies the table's count into the region once a second.
wait_eq 10 8 ctr dns_entries ||
    fail "eviction: dns_entries: got $(ctr dns_entries), want 8"
check "eviction: 9 learned for one address, 1 evicted, 8 held" \
    "$(ctr dns_learned) $(ctr dns_evictions) $(ctr dns_entries)" "9 1 8"
check "eviction: blocked.example kept: $B4 still dropped" "$(tcp $B4)" drop
stop_nfqd
check "eviction: nfqd exits 0" "$NFQD_STATUS" 0

# Marks after a reload: blocked.example learned while no rule named it
# (not kept), then a reload brings the rule that does.  The new workers'
# sweep computes that bucket's marks again, once (dns_refreshed), and
# eight names of the client's choosing at its address no longer push it
# out.  max_ttl 60: every entry outlives the section.
mark_conf() {
	write_conf "$conf" "queue: { balance = \"${2:-0:1}\"; };" \
	    "dns_learn = { enabled = true; max_entries = 1024; min_ttl = 1; max_ttl = 60; servers = \"$A2\"; };" \
	    "rules = (
  { name = \"learned\"; dst_name = \"$1\"; verdict = \"drop\"; }
);"
}
mark_conf ok.example
: >"$TMP/nfqd.log"
start_nfqd "$conf" 2 || finish
check "refresh: dig blocked.example A" "$(resolve blocked.example A)" $B4
wait_eq 10 1 ctr dns_learned ||
    fail "refresh: dns_learned: got $(ctr dns_learned), want 1"
mark_conf blocked.example
old=$(workers_of "$NFQD_PID")
kill -HUP "$NFQD_PID"
wait_until 10 fresh_workers "$NFQD_PID" 2 "$old" ||
    fail "refresh: workers not replaced"
wait_eq 10 1 ctr dns_refreshed ||
    fail "refresh: dns_refreshed: got $(ctr dns_refreshed), want 1"
check "refresh: the bucket's marks computed again, once" \
    "$(ctr dns_refreshed)" 1
check "refresh: $B4 dropped by the new rule" "$(tcp $B4)" drop
got=
for i in 1 2 3 4 5 6 7 8; do
	got="$got $(resolve a$i.attacker.example A)"
done
check "refresh: dig a1..a8.attacker.example A" "$got" \
    "$(printf " $B4%.0s" 1 2 3 4 5 6 7 8)"
wait_eq 10 9 ctr dns_learned ||
    fail "refresh: dns_learned: got $(ctr dns_learned), want 9"
wait_eq 10 8 ctr dns_entries ||
    fail "refresh: dns_entries: got $(ctr dns_entries), want 8"
check "refresh: 9 learned for one address, 1 evicted, 8 held" \
    "$(ctr dns_learned) $(ctr dns_evictions) $(ctr dns_entries)" "9 1 8"
check "refresh: blocked.example kept: $B4 still dropped" "$(tcp $B4)" drop
# A reload that only adds a queue keeps the rules' generation (though it
# makes a new rule counters region): the third worker finds the marks
# current, and in the 3 s its sweep takes the whole table 3 times it
# computes none again.
mark_conf blocked.example 0:2
kill -HUP "$NFQD_PID"
wait_eq 10 3 nworkers "$NFQD_PID" || fail "refresh: no third worker"
refreshed_more() { [ "$(ctr dns_refreshed)" -gt 1 ]; }
wait_until 3 refreshed_more
check "refresh: a reload that adds a queue computes no mark again" \
    "$(ctr dns_refreshed)" 1
stop_nfqd
check "refresh: nfqd exits 0" "$NFQD_STATUS" 0
finish
