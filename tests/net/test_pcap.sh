#!/bin/bash
# log = "pcap": the packets a rule counts are in the queue's capture file,
# exactly (tshark and tcpdump read it: as many packets and bytes as the
# rule's counters), within a second while nfqd runs and all of them when it
# stops; nothing of a rule without it; rotation keeps pcap.max_files files
# of at most pcap.max_bytes, the newest packets in the newest file; the
# configuration errors a missing or unwritable directory gives; and a
# writer that hangs (a disk that does not answer) costs captured packets,
# counted, and no verdict, no worker and no stop.
. "$(dirname "$0")/lib.sh"

NFQCTL=$TOP/${NFQD_BUILD:-build}/nfqctl
CAP=9998	# the capturing rule's port
OTHER=9999	# a rule without capture

setup_net
for t in iptables ip6tables; do
	in2 $t -t mangle -A PREROUTING -p udp --dport 9990:9999 -j NFQUEUE \
	    --queue-balance 0:1 --queue-cpu-fanout --queue-bypass
	in2 $t -A INPUT -p udp --dport 9990:9999 -j DROP
done

# The workers run as nobody: the directories are theirs alone.
mkdir "$TMP/pcap" "$TMP/rot" "$TMP/root"
chown nobody:nogroup "$TMP/pcap" "$TMP/rot"
chmod 0700 "$TMP/pcap" "$TMP/rot" "$TMP/root"

conf=$TMP/nfqd.conf
rules='rules = (
  { name = "cap"; proto = "udp"; dst_port = '$CAP'; verdict = "accept";
    log = "pcap"; },
  { name = "other"; proto = "udp"; dst_port = '$OTHER'; verdict = "accept"; }
);'
user='daemon: { pidfile = "'$TMP'/nfqd.pid"; user = "nobody"; };'
# conf PCAP-GROUP: the file with that pcap group ("" none).
mkconf() {
	cat >"$conf.new" <<CONF
$user
stats: { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
queue: { balance = "0:1"; };
$1
$rules
CONF
	mv "$conf.new" "$conf"
}

# Configuration errors, at -t.
mkconf ""
out=$("$NFQD" -t -c "$conf" 2>&1)
if grep -q "rule \"cap\": log = \"pcap\" needs a directory" <<<"$out"; then
	pass "no pcap.dir: an error that names the rule"
else
	fail "no pcap.dir: got '$out'"
fi
mkconf "pcap: { dir = \"$TMP/none\"; };"
check "pcap.dir missing: refused" "$("$NFQD" -t -c "$conf" 2>&1 |
    grep -c "pcap.dir: $TMP/none: No such file or directory")" 1
mkconf "pcap: { dir = \"$TMP/root\"; };"
check "pcap.dir not writable by daemon.user: refused" \
    "$("$NFQD" -t -c "$conf" 2>&1 | grep -c "the workers' user \"nobody\" cannot create files there")" 1
mkconf "pcap: { dir = \"$TMP/pcap\"; max_bytes = 1000; };"
check "pcap.max_bytes below one record: refused" \
    "$("$NFQD" -t -c "$conf" >/dev/null 2>&1; echo $?)" 1

mkconf "pcap: { dir = \"$TMP/pcap\"; };"
start_nfqd "$conf" 2 || finish

stats() { "$NFQCTL" -s "$TMP/nfqd.shm" stats --json; }
sj() { stats | jq -r "$1"; }
rule() { sj ".rules[] | select(.name == \"$1\") | \"\(.hits) \(.bytes)\""; }
hits() { sj '.rules[] | select(.name == "cap") | .hits'; }
# The capture files' packets and bytes (frame.len: the original length).
tcount() {	# FILE...
	local f
	for f in "$@"; do
		tshark -r "$f" -T fields -e frame.len 2>/dev/null
	done | awk '{ n++; b += $1 } END { printf "%d %d\n", n, b }'
}
files() { ls "$TMP/pcap"/nfqd-q*.pcap* 2>/dev/null; }
in_files() { tcount $(files); }
to() { in1 "$UDPGEN" -d "$2" -p "$1" -n "$3" -c "$4" "${@:5}" 2>/dev/null |
    awk '{ print $2 }'; }

t0=$(date +%s)
check "traffic sent: 300+200 to the capturing rule (two CPUs), 50 over IPv6, 400 beside it" \
    "$(to $CAP $A2 300 0) $(to $CAP $A2 200 1 -s 300) $(to $CAP $A62 50 0) $(to $OTHER $A2 400 1)" \
    "300 200 50 400"
wait_eq 5 550 hits
want=$(rule cap)
check "the rule counted every packet" "${want% *}" 550
# Written within a second (the heartbeat's flush), no stop needed.
wait_eq 3 "$want" in_files
check "while running: packets and bytes in the files = the rule's" \
    "$(in_files)" "$want"
# The counters are published right after the flush that wrote the
# files: a moment later than the files can show it.
pcounts() { sj '"\(.total.pcap_packets) \(.total.pcap_bytes)"'; }
wait_eq 3 "$want" pcounts
check "while running: pcap counters = the rule's" "$(pcounts)" "$want"
check "one file per queue, named by queue" \
    "$(files | xargs -n1 basename | tr '\n' ' ')" "nfqd-q0.pcap nfqd-q1.pcap "
check "tcpdump reads them too, as raw IP" \
    "$(for f in $(files); do tcpdump -nn -r "$f" 2>&1; done |
    grep -c "^reading from file .*link-type RAW")" 2
check "only the capturing rule's packets" \
    "$(for f in $(files); do tshark -r "$f" -T fields -e udp.dstport 2>/dev/null; done |
    sort -u | tr '\n' ' ')" "$CAP "
check "IPv4 and IPv6" \
    "$(for f in $(files); do tshark -r "$f" -T fields -e ip.version -e ipv6.version 2>/dev/null; done |
    awk '{ print $1 }' | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" "4:500 6:50 "
t1=$(date +%s)
check "time stamps are the wall clock of the traffic" \
    "$(for f in $(files); do tshark -r "$f" -T fields -e frame.time_epoch 2>/dev/null; done |
    awk -v a="$t0" -v b="$((t1 + 1))" '$1 < a || $1 > b { bad++ } END { print bad + 0 }')" 0
check "the workers wrote as nobody, mode 0600" \
    "$(stat -c '%U %a' $(files) | sort -u)" "nobody 600"

# Stopped right after more traffic: nothing counted is missing.
check "more sent" "$(to $CAP $A2 100 0)" 100
wait_eq 5 650 hits
want=$(rule cap)
stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
check "after SIGTERM: packets and bytes in the files = the rule's" \
    "$(in_files)" "$want"

# Rotation: 1000-byte datagrams (1044 bytes a record) into files of at
# most 65575 bytes (62 records), at most 3 of them; 400 sent from CPU 0,
# to queue 0.
mkconf "pcap: { dir = \"$TMP/rot\"; max_bytes = 65575; max_files = 3; };"
start_nfqd "$conf" 2 || finish
check "rotation: sent" "$(to $CAP $A2 400 0 -s 1000)" 400
wait_eq 5 400 hits
wait_eq 3 400 sj '.total.pcap_packets'
check "rotation: every packet written, none lost" \
    "$(sj '"\(.total.pcap_packets) \(.total.pcap_errors)"')" "400 0"
check "rotation: counted" "$(sj '.total.pcap_rotations')" 6
check "rotation: the statistics table's pcap line" \
    "$("$NFQCTL" -s "$TMP/nfqd.shm" stats | grep '^pcap: ')" \
    "pcap: packets 400, bytes $(sj '.total.pcap_bytes'), errors 0, behind 0, rotations 6"
check "rotation: at most max_files files" \
    "$(ls "$TMP/rot" | tr '\n' ' ')" "nfqd-q0.pcap nfqd-q0.pcap.1 nfqd-q0.pcap.2 nfqd-q1.pcap "
check "rotation: each within max_bytes" \
    "$(stat -c %s "$TMP"/rot/* | awk '$1 > 65575 { n++ } END { print n + 0 }')" 0
# The sequence numbers udpgen puts first in each payload (64-bit, little
# endian), first and last of a file.
seqs() {
	tshark -r "$1" -T fields -e udp.payload 2>/dev/null | awk '
	function le(h,   i, v) {
		v = 0
		for (i = 15; i >= 1; i -= 2)
			v = v * 256 + hx(substr(h, i, 1)) * 16 + hx(substr(h, i + 1, 1))
		return v
	}
	function hx(c) { return index("0123456789abcdef", c) - 1 }
	NR == 1 { f = le($1) } { l = le($1) } END { print f "-" l }'
}
# 400 records, 62 a file: 7 files (0-61 ... 372-399), the last 3 kept.
check "rotation: the newest packets in the newest files, the oldest dropped" \
    "$(seqs "$TMP/rot/nfqd-q0.pcap.2") $(seqs "$TMP/rot/nfqd-q0.pcap.1") $(seqs "$TMP/rot/nfqd-q0.pcap")" \
    "248-309 310-371 372-399"
check "rotation: no worker died (the seccomp filter allows rotating)" \
    "$(sj '.total.restarts')" 0
stop_nfqd
check "rotation: SIGTERM: exit status" "$NFQD_STATUS" 0

# A disk that does not answer: the writer thread hangs before it writes
# its first buffer (nfqd-faults, pcap-write=hang).  The worker must go on
# deciding every packet and count what it cannot capture.  1000-byte
# datagrams make records of 1056 bytes in the buffers (pcapw.c), 248 in
# each of the 8 of 256 KiB: 3000 of them hold at least 3000 - 8 * 248 =
# 1016 that no buffer takes, whenever the worker hands one over.
check "stall: no worker was killed, stops included (the writer thread's calls are in the seccomp filter)" \
    "$(grep -c 'seccomp allow-list\|was killed by signal' "$TMP/nfqd.log")" 0
rm -rf "$TMP/rot"/*
NFQD_BIN_SAVED=$NFQD
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd-faults
export NFQD_FAULT=pcap-write=hang
start_nfqd "$conf" 2 || finish
unset NFQD_FAULT
NFQD=$NFQD_BIN_SAVED
check "stall: sent" "$(to $CAP $A2 3000 0 -s 1000)" 3000
wait_eq 5 3000 hits
settle
check "stall: every packet decided, nothing waits, no worker restarted" \
    "$(hits) $(ip netns exec "$NS2" awk '{ n += $3 } END { print n }' \
    /proc/net/netfilter/nfnetlink_queue) $(sj '.total.restarts')" "3000 0 0"
# Counted at the worker's next publication (at most a second).
over_1015() { [ "$(sj '.total.pcap_behind')" -ge 1016 ]; }
wait_until 3 over_1015
check "stall: nothing written, at least 1016 packets counted as not captured (pcap_behind), fewer than sent, no write failed" \
    "$(sj '"\(.total.pcap_packets) \(.total.pcap_behind >= 1016) \(.total.pcap_behind < 3000) \(.total.pcap_errors)"')" \
    "0 true true 0"
wait_until 3 grep -q "nfqd-q0.pcap: the disk is not keeping up" "$TMP/nfqd.log"
check "stall: the log says so" \
    "$(grep -c "pcap: nfqd-q0.pcap: the disk is not keeping up (every buffer still being written): [0-9]* packets not captured" "$TMP/nfqd.log")" 1
# The worker waits 1 s for the writer at exit, then ends anyway (the
# master would kill it after 2 s).
stop_nfqd
check "stall: SIGTERM: exit status" "$NFQD_STATUS" 0
check "stall: queue 0's worker gave up on its writer, queue 1's had nothing to wait for" \
    "$(grep -c "the writer has not finished after 1000 ms" "$TMP/nfqd.log") $(grep -c "nfqd-q0.pcap: the writer has not finished" "$TMP/nfqd.log")" "1 1"
finish
