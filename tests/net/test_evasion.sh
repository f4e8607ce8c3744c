#!/bin/bash
# Evasion: no packet shape carries a datagram past a drop rule that the
# whole, reassembled datagram would hit, and the same shapes to an allowed
# port are delivered where the kernel itself delivers them.
#
# tests/tools/evasion.py builds the table: shapes (IPv4 fragments with a
# first fragment of 8..40 bytes, in order and reversed; IPv4 options; AH;
# IPv6 chains of 1..40 extension headers of each kind, whole and fragmented;
# IPv6 header chains split over two fragments; IPv6 UDP with a length of
# 0, which the kernel reads as the rest of the datagram) times targets
# (TCP 2323 and UDP 7777, dropped by port; TCP and UDP 5555 from .66 /
# ::66, dropped by source; TCP and UDP 5555, allowed).  It sends them as raw frames into
# veth0 and sees in the receiver, after netfilter and reassembly, which
# datagrams the IP layer delivers (raw sockets).
#
# First with no queue at all: what the kernel delivers (the reference).
# Then through nfqd without rules (the control: the queue alone changes
# nothing), and with the rules once per copy range.  Blocked targets must
# never be delivered; an allowed one exactly when the kernel delivers it
# and its ports lie in the first fragment within the copy range (nfqd
# cannot decide a packet whose ports it was not given).  The receiver has
# no conntrack, so nfqd sees fragments as sent and the kernel reassembles
# after the queue.  About 10 s.
#
#   EVASION_COPIES="64 auto" tests/net/test_evasion.sh   some copy ranges only
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3	# Debian's, with scapy; "python3" may be another
EV=$TOP/tests/tools/evasion.py
COPIES=${EVASION_COPIES:-65535 128 64 auto}
A66=10.77.0.66
A666=fd77::66
# What nfqd counted in a run, from its statistics (a jq filter).
# shellcheck disable=SC2016
COUNTS='.total as $t | "received \($t.received), accepted \($t.accepted), "
    + "dropped \($t.dropped), malformed \($t.malformed), "
    + "nomatch \($t.nomatch); rule hits: "
    + ([.rules[] | "\(.name) \(.hits)"] | join(", "))'
RULES='rules = (
  { name = "tcp2323"; proto = "tcp"; dst_port = 2323; verdict = "drop"; },
  { name = "udp7777"; proto = "udp"; dst_port = 7777; verdict = "drop"; },
  { name = "src66";   src = ("10.77.0.66", "fd77::66"); verdict = "drop"; }
);'

need_root
if ! "$PY" -c 'import scapy.all' 2>/dev/null; then
	fail "$PY cannot import scapy (scripts/deps.sh installs python3-scapy)"
	finish
fi
"$PY" "$EV" build "$TMP/cases.pkl" >"$TMP/build.out" 2>&1 ||
    { fail "evasion.py build: $(cat "$TMP/build.out")"; finish; }
echo "# table: $(cat "$TMP/build.out")"

setup_net
ip -n "$NS1" addr add $A66/24 dev veth0
ip -n "$NS1" addr add $A666/64 dev veth0 nodad
# A quiet link: the sender sends no router solicitations, and the receiver
# needs no neighbour discovery to answer (RST, ICMP).  Whatever else still
# arrives is queued like the rest; the test's own packets carry DSCP 8 and
# are counted apart.
in1 sysctl -qw net.ipv6.conf.veth0.router_solicitations=0
mac=$(ip -n "$NS1" -j link show veth0 | jq -r '.[0].address')
for a in $A1 $A66 $A61 $A666; do
	ip -n "$NS2" neigh replace "$a" lladdr "$mac" dev veth1 nud permanent
done
# Each datagram a drop leaves incomplete waits in a reassembly queue (30 s
# IPv4, 60 s IPv6), thousands per run: past ipfrag_high_thresh (4 MiB)
# the kernel would refuse new fragments and lose allowed datagrams.
in2 sysctl -qw net.ipv4.ipfrag_high_thresh=268435456 \
    net.ipv6.ip6frag_high_thresh=268435456
# Counted before the queue, per family: rule 1 the test's packets (DSCP 8),
# rule 2 everything that goes on to the NFQUEUE rule (added later).  Only
# the mangle table and the dscp match: nothing that loads conntrack or
# defragmentation.
for t in iptables ip6tables; do
	in2 $t -t mangle -A PREROUTING -i veth1 -m dscp --dscp 8
	in2 $t -t mangle -A PREROUTING -i veth1
done

ipt() { [ "$1" = 4 ] && echo iptables || echo ip6tables; }
# pkts FAMILY RULE: packets counted by rule RULE of mangle PREROUTING.
pkts() {
	in2 "$(ipt "$1")" -t mangle -nvxL PREROUTING --line-numbers |
	    awk -v r="$2" '$1 == r { print $2 }'
}
zero() {
	in2 iptables -t mangle -Z PREROUTING
	in2 ip6tables -t mangle -Z PREROUTING
}
# zero_at_id: zero the counters at a moment no packet reaches the queue;
# prints the queue's last id then.
zero_at_id() {
	local a b tries=10
	while [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		a=$(kq 0 8)
		zero
		b=$(kq 0 8)
		[ "$a" = "$b" ] && { echo "$a"; return 0; }
	done
	return 1
}
# queue_state ID0: "queue_dropped user_dropped skipped ok", ok when the
# kernel's last id, nfqd's received count and the packets that reached
# the NFQUEUE rule since ID0 agree.
# Each look is logged to $TMP/qstate.log with its numbers and the time.
queue_state() {
	local p4 p6 out
	p4=$(pkts 4 2)
	p6=$(pkts 6 2)
	dump
	out=$(js "[.kernel[0].queue_dropped, .kernel[0].user_dropped,
	    .total.skipped, (.kernel[0].id_sequence == .total.received and
	    .kernel[0].id_sequence - $1 == $p4 + $p6)] | map(tostring) |
	    join(\" \")")
	echo "$(date +%T.%N | cut -c1-12) rule 2: $p4 + $p6;" \
	    "$(js '"id_sequence \(.kernel[0].id_sequence), waiting
	    \(.kernel[0].queue_total), received \(.total.received)"' |
	    tr -s ' \n\t' ' ' | sed 's/ $//'): $out" >>"$TMP/qstate.log"
	echo "$out"
}

# ids_detail LABEL ID0: what queue_state compared, for a failed check.
ids_detail() {
	echo "# $1: zeroed at id $2; rule 2 since then: $(pkts 4 2) IPv4," \
	    "$(pkts 6 2) IPv6; rule 1 (the test's): $(pkts 4 1) $(pkts 6 1)"
	dump
	echo "# $1: $(js '"kernel: id_sequence \(.kernel[0].id_sequence),
	    queue_total \(.kernel[0].queue_total); nfqd: received
	    \(.total.received), skipped \(.total.skipped), orphans
	    \(.total.orphans), nlerrors \(.total.nlerrors), enobufs
	    \(.total.enobufs), restarts \(.total.restarts), last_id
	    \([.workers[].last_id] | join(","))"' | tr -s ' \n\t' ' ')"
	tail -n 30 "$TMP/nfqd.log" | grep -v 'master: ' | sed 's/^/# nfqd log: /'
}

# probes LABEL LINE: queue_state's looks from line LINE of its log on
# (the first 10 and the last 3).
probes() {
	sed -n "$2,\$p" "$TMP/qstate.log" | awk -v l="$1" '{ a[NR] = $0 }
	    END { for (i = 1; i <= NR; i++)
		if (i <= 10 || i > NR - 3) print "# " l ": look at " a[i]
		else if (i == 11) print "# " l ": ..." }'
}

# run_table LABEL FILE RUN: send the table, results in $TMP/FILE.json.
run_table() {
	local out s4 s6
	if ! out=$("$PY" "$EV" run "$TMP/cases.pkl" "$NS1" "$NS2" "$3" \
	    "$TMP/$2.json" 2>&1); then
		fail "$1: evasion.py run: $out"
		return 1
	fi
	echo "# $1: $out"
	check "$1: every marker seen; nothing unknown, late or twice" \
	    "$(jq -r '.anomalies[:5] | join("; ")' "$TMP/$2.json")" ""
	s4=$(jq .sent4 "$TMP/$2.json")
	s6=$(jq .sent6 "$TMP/$2.json")
	check "$1: PREROUTING saw each packet, fragments one by one (v4 v6)" \
	    "$(pkts 4 1) $(pkts 6 1)" "$s4 $s6"
}

: >"$TMP/qstate.log"
zero
run_table "kernel" kernel 0 || finish

# through_nfqd LABEL FILE RUN QUEUE-SETTINGS [RULES]: send the table
# through nfqd started with that configuration; results in $TMP/FILE.json,
# the copy range the kernel applies in KCOPY.
through_nfqd() {
	local label=$1 file=$2 run=$3 conf=$TMP/$2.conf from=1 id0 quiet line id
	local state t0 look
	write_conf "$conf" "queue: { balance = \"0:0\"; $4 };" "${5:-}"
	[ -f "$TMP/nfqd.log" ] && from=$(( $(wc -l <"$TMP/nfqd.log") + 1 ))
	start_nfqd "$conf" 1 || return 1
	KCOPY=$(kq 0 5)
	echo "# $label: the kernel copies $KCOPY bytes of each packet to nfqd"
	if ! id0=$(zero_at_id); then
		fail "$label: packets kept arriving while the counters were zeroed"
		stop_nfqd
		return 1
	fi
	run_table "$label" "$file" "$run" || { stop_nfqd; return 1; }
	# Agreement comes at once on a quiet machine; the deadline is for a
	# loaded one.  Each look is logged: one that waited says so, with
	# what disagreed and for how long.  The check takes the look that
	# agreed (or the last, at the deadline), not a fresh one: a packet
	# not the test's that reaches the queue between reading the rule
	# counters and the ids makes that one look disagree (CI saw it once:
	# rule 2 read 10992 IPv6, then id_sequence read one more).
	t0=$SECONDS
	look=$(( $(wc -l <"$TMP/qstate.log") + 1 ))
	wait_until 20 settle || echo "# $label: packets still waiting after 20 s"
	wait_eq 20 "0 0 0 true" queue_state "$id0"
	state=$(tail -n 1 "$TMP/qstate.log" | sed 's/.*: //')
	check "$label: queue_dropped user_dropped skipped, ids all read" \
	    "$state" "0 0 0 true"
	if [ "$state" != "0 0 0 true" ]; then
		probes "$label" "$look"
		ids_detail "$label" "$id0"
	elif [ $((SECONDS - t0)) -ge 3 ]; then
		echo "# $label: the ids agreed after $((SECONDS - t0)) s"
		probes "$label" "$look"
	fi
	# A respawn repeats what the dead worker had read (new ids).
	check "$label: no worker restarted" "$(js .total.restarts)" 0
	echo "# $label: nfqd: $(js "$COUNTS")"
	stop_nfqd
	check "$label: nfqd exits 0" "$NFQD_STATUS" 0
	# nfqd logs one packet it could not parse every 10 s: name its case.
	# The kernel numbers packets in arrival order, so packet id - id0 is
	# the packet's place in the run when nothing else reached the queue.
	quiet=0
	[ "$(pkts 4 1) $(pkts 6 1)" = "$(pkts 4 2) $(pkts 6 2)" ] && quiet=1
	sed -n "$from,\$p" "$TMP/nfqd.log" | grep -v 'no --queue-bypass' |
	    grep -E 'malformed_verdict|warning|error:' |
	    sed 's/^[0-9T:.-]* nfqd\[[0-9]*\]: //' >"$TMP/$file.log"
	while IFS= read -r line; do
		echo "# $label: nfqd log: $line"
		id=$(echo "$line" | sed -n 's/.*: packet \([0-9]*\) is .*/\1/p')
		if [ -z "$id" ] || [ "$quiet" = 0 ]; then
			continue
		fi
		echo "# $label:     packet $id: $("$PY" "$EV" which \
		    "$TMP/cases.pkl" "$TMP/$file.json" $((id - id0)))"
	done <"$TMP/$file.log"
}

for t in iptables ip6tables; do
	in2 $t -t mangle -A PREROUTING -i veth1 -j NFQUEUE --queue-num 0
done
# The control: nfqd without rules accepts everything (and parses nothing);
# the queue itself must change nothing the kernel delivers.
results=()
through_nfqd "no rules" norules 1 "copy_range = 65535;" &&
    results+=("control:no rules=$KCOPY=$TMP/norules.json")
run=2
for copy in $COPIES; do
	case $copy in
	auto) q='copy_range = "auto";' ;;
	*) q="copy_range = $copy;" ;;
	esac
	through_nfqd "copy $copy" "copy-$copy" $run "$q" "$RULES" &&
	    results+=("copy $copy=$KCOPY=$TMP/copy-$copy.json")
	run=$((run + 1))
done

"$PY" "$EV" judge "$TMP/cases.pkl" "$TMP/kernel.json" "${results[@]}" \
    >"$TMP/judge.out" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"PASS "*) pass "${line#PASS }" ;;
	"FAIL "*) fail "${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done <"$TMP/judge.out"
[ "$rc" -le 1 ] || fail "evasion.py judge exited with status $rc"
echo "# $TEST: ${SECONDS} s"
finish
