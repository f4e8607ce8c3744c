# Shared by the network tests: two namespaces joined by veth, nfqd in the
# receiving one, and helpers that poll state instead of sleeping.
#
#   sender   (NS1)  veth0 10.77.0.1/24 fd77::1/64
#   receiver (NS2)  veth1 10.77.0.2/24 fd77::2/64   nfqd, iptables rules
#
# Every namespace, process and file a test makes is removed on exit.
# shellcheck shell=bash

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd
UDPGEN=$TOP/build/tools/udpgen
TEST=$(basename "$0" .sh)
SFX=$(tr -dc a-z0-9 </dev/urandom | head -c 6)
NS1=nfqd-s-$SFX
NS2=nfqd-r-$SFX
A1=10.77.0.1
A2=10.77.0.2
A61=fd77::1
A62=fd77::2
PORT=9999
TMP=$(mktemp -d /tmp/nfqd-$TEST.XXXXXX)
# tests/tools/l7seg.py's client ports: in turn, none used twice in a test.
# They lie below the kernel's ephemeral ports, which setup_net fixes.
export L7SEG_PORTS=$TMP/l7seg.ports
FAILS=0
NFQD_PIDS=()
BG_PIDS=()
EXTRA_NS=()	# more namespaces a test made, removed as NS1 and NS2 are

pass() { echo "PASS: $TEST: $*"; }
fail() { echo "FAIL: $TEST: $*"; FAILS=$((FAILS + 1)); }

# check NAME GOT WANT
check() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

cleanup() {
	local p
	for p in "${NFQD_PIDS[@]}" "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${NFQD_PIDS[@]}" "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	# Workers exit with their master (PR_SET_PDEATHSIG); a daemonized
	# nfqd is not our child: kill whatever still runs in our namespaces.
	for ns in "$NS1" "$NS2" "${EXTRA_NS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$FAILS" != 0 ] && [ -f "$TMP/nfqd.log" ]; then
		echo "--- $TEST: last lines of the nfqd log"
		tail -n 30 "$TMP/nfqd.log"
	fi
	[ -n "${KEEP_TMP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

in1() { ip netns exec "$NS1" "$@"; }
in2() { ip netns exec "$NS2" "$@"; }

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: $TEST: needs root"
		exit 0
	fi
}

# wait_until SECONDS COMMAND...: poll every 20 ms; 0 when it came true.
wait_until() {
	local end=$(( $(date +%s%N) + ${1%.*} * 1000000000 )) t
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		t=$(date +%s%N)
		[ "$t" -ge "$end" ] && return 1
		sleep 0.02
	done
}

# wait_eq SECONDS WANT COMMAND...: poll until COMMAND prints WANT.
wait_eq() {
	local secs=$1 want=$2
	shift 2
	wait_until "$secs" _eq "$want" "$@"
}
_eq() {
	local want=$1
	shift
	[ "$("$@")" = "$want" ]
}

setup_net() {
	need_root
	ip netns add "$NS1" && ip netns add "$NS2" || exit 1
	ip link add veth0 netns "$NS1" type veth peer name veth1 netns "$NS2"
	ip -n "$NS1" addr add $A1/24 dev veth0
	ip -n "$NS2" addr add $A2/24 dev veth1
	ip -n "$NS1" addr add $A61/64 dev veth0 nodad
	ip -n "$NS2" addr add $A62/64 dev veth1 nodad
	ip -n "$NS1" link set lo up
	ip -n "$NS2" link set lo up
	ip -n "$NS1" link set veth0 up
	ip -n "$NS2" link set veth1 up
	# The kernel's clients here (curl, openssl, dig) and l7seg.py's raw
	# connections from the same address must never share a port: a
	# connection nfqd dropped leaves a conntrack entry with the drop
	# mark, and a new SYN on that port meets it and is dropped.  l7seg
	# keeps to 1024-32767 and 61000-65535 and checks this range.
	ip netns exec "$NS1" sysctl -qw \
	    net.ipv4.ip_local_port_range="32768 60999" || exit 1
	wait_until 5 in1 ping -c 1 -W 1 $A2 || { fail "setup: no IPv4 path"; exit 1; }
	wait_until 5 in1 ping -6 -c 1 -W 1 $A62 || { fail "setup: no IPv6 path"; exit 1; }
}

# queue_rules SPEC: UDP to PORT (IPv4 and IPv6) goes to the queues, e.g.
# SPEC="--queue-balance 0:1 --queue-cpu-fanout --queue-bypass".  Queued in
# mangle PREROUTING, counted in filter INPUT: an accepted packet leaves the
# NFQUEUE hook, so only a later hook can count it.
queue_rules() {
	local t
	for t in iptables ip6tables; do
		in2 $t -t mangle -A PREROUTING -p udp --dport $PORT \
		    -j NFQUEUE $1
		in2 $t -A INPUT -p udp --dport $PORT -j DROP
	done
}

# delivered [6]: packets that came back from the queue with accept.
delivered() {
	in2 ip${1:-}tables -nvxL INPUT | awk -v p="dpt:$PORT" \
	    '$0 ~ p { print $1; exit }'
}

# write_conf FILE [extra settings...]: a configuration in TMP.
write_conf() {
	local f=$1
	shift
	cat >"$f" <<CONF
daemon: { pidfile = "$TMP/nfqd.pid"; log_level = "info"; };
stats: { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
CONF
	local line
	for line in "$@"; do
		echo "$line" >>"$f"
	done
}

# kernel_queues: queue numbers bound in NS2, space-separated.
kernel_queues() {
	in2 cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
	    awk '{ printf "%s%s", sep, $1; sep = " " } END { print "" }'
}

# kq QUEUE FIELD: a field of the kernel's line for QUEUE (3 queue_total,
# 6 queue_dropped, 7 user_dropped, 8 id_sequence).
kq() {
	in2 cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
	    awk -v q="$1" -v f="$2" '$1 == q { print $f }'
}

# Workers are the master's children named nfqd-wN (the master also runs
# iptables-save now and then, to check the NFQUEUE rules).
workers_of() { pgrep -P "$1" '^nfqd-w' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
nworkers() { pgrep -c -P "$1" '^nfqd-w'; }
# fresh_workers PID N OLD: PID has N workers and none of them is in OLD,
# from one look at the process table.  Two looks (a count, then the pids)
# can each see another moment of a replacement: the new worker 0 beside the
# old worker 1, then the old one gone and its successor not yet named.
fresh_workers() {
	local p n=0
	for p in $(workers_of "$1"); do
		n=$((n + 1))
		case " $3 " in *" $p "*) return 1 ;; esac
	done
	[ "$n" = "$2" ]
}
# kq_over Q FIELD MIN: queue Q's /proc field FIELD is over MIN.
kq_over() { local v; v=$(kq "$1" "$2"); [ -n "$v" ] && [ "$v" -gt "$3" ]; }

# start_nfqd CONF NWORKERS [args...]: run nfqd in NS2 and wait until its
# queues are bound and its workers are running.  Sets NFQD_PID.
start_nfqd() {
	local conf=$1 n=$2
	shift 2
	# Not through in2: $! must be nfqd itself (ip netns exec execs it).
	ip netns exec "$NS2" "$NFQD" -c "$conf" "$@" >>"$TMP/nfqd.log" 2>&1 &
	NFQD_PID=$!
	NFQD_PIDS+=("$NFQD_PID")
	if ! wait_eq 10 "$n" nworkers "$NFQD_PID"; then
		fail "nfqd did not start $n workers"
		return 1
	fi
	wait_until 5 grep -q "worker $((n - 1)) started" "$TMP/nfqd.log"
}

# stop_nfqd: SIGTERM and wait; sets NFQD_STATUS.
stop_nfqd() {
	kill -TERM "$NFQD_PID"
	wait "$NFQD_PID"
	NFQD_STATUS=$?
}

# dump: SIGUSR1, then wait for a fresh stats file.
dump() {
	rm -f "$TMP/stats.json"
	kill -USR1 "$NFQD_PID"
	wait_until 5 test -s "$TMP/stats.json" || fail "no stats file after SIGUSR1"
}

# js FILTER: a value from the last stats file.
js() { jq -r "$1" "$TMP/stats.json"; }

# send CPU COUNT [udpgen args...]: COUNT datagrams from a sender on CPU
# (with --queue-cpu-fanout, to queue base + CPU).  Prints the number sent.
send() {
	local cpu=$1 n=$2
	shift 2
	in1 "$UDPGEN" -d $A2 -p $PORT -n "$n" -c "$cpu" "$@" 2>/dev/null |
	    awk '{ print $2 }'
}

# settle: wait until nothing waits in any queue of NS2.
settle() {
	wait_until 5 sh -c "ip netns exec $NS2 awk '\$3 != 0 { exit 1 }' \
	    /proc/net/netfilter/nfnetlink_queue"
}

# l7reply: reads tests/tools/l7seg.py's output; prints "yes" when the
# server sent bytes back, "no" when it answered the SYN and nothing after,
# "no handshake" when no SYN-ACK came.  A check that wants "no" (server
# silent) then cannot pass on a connection that never began.
l7reply() {
	awk '/^reply/ { r = $2 > 0 ? "yes" : "no" }
	    END { print r == "" ? "no handshake" : r }'
}

# l7seg ARGS...: tests/tools/l7seg.py run in NS1, its answer as l7reply
# prints it.  What the tool wrote on stderr follows as comments; when no
# SYN-ACK came, so does what the other namespaces hold of the connection
# (l7_diag).
l7seg() {
	local err=$TMP/l7seg.$BASHPID.err r port
	r=$(in1 /usr/bin/python3 "$TOP/tests/tools/l7seg.py" "$@" 2>"$err" |
	    l7reply)
	sed 's/^/# /' "$err" >&2
	if [ "$r" = "no handshake" ]; then
		port=$(sed -n 's/^l7seg: no SYN-ACK.*: port \([0-9]*\) .*/\1/p' \
		    "$err")
		[ -n "$port" ] && l7_diag "$port" >&2
	fi
	rm -f "$err"
	echo "$r"
}

# l7_diag PORT: what NS2 (nfqd's rules and queues) and each namespace's
# TCP hold of the connection from client port PORT, as comments: where
# its SYN (or a later packet) stopped.
l7_diag() {
	local p=$1 ns t
	echo "# client port $p; $NS2's conntrack:"
	in2 grep -w "sport=$p" /proc/net/nf_conntrack | sed 's/^/#   /' |
	    grep . || echo "#   (no entry)"
	echo "# queues:"
	in2 cat /proc/net/netfilter/nfnetlink_queue | sed 's/^/#   /'
	for t in mangle filter; do
		echo "# $t table (counters since the test began):"
		in2 iptables -t $t -nvxL | grep -vE '^$|^ +pkts' |
		    sed 's/^/#   /'
	done
	for ns in "$NS2" "${EXTRA_NS[@]}"; do
		echo "# $ns: sockets of port $p, nonzero TCP drop counters:"
		ip netns exec "$ns" ss -tanH "( sport = :$p or dport = :$p )" |
		    sed 's/^/#   /'
		ip netns exec "$ns" nstat -asz 2>/dev/null | awk '$2 != 0 &&
		    /Listen|ReqQ|Csum|Drop|Syncookie|InErrs|PAWS|Backlog/ {
		    print "#   " $1 " " $2 }'
	done
	if [ -n "${NFQD_PID:-}" ] && kill -0 "$NFQD_PID" 2>/dev/null; then
		dump
		echo "# nfqd: $(jq -c '.total' "$TMP/stats.json")"
	fi
}

# l7_host_rules A:B: the documented host rules of docs/l7.md in NS2, for
# queues A to B: TCP through the NFQD chain (INVALID dropped, Multipath
# TCP stripped from SYNs, drop mark
# saved and obeyed, pending bit restored, the first 3 packets and pending
# connections queued), DNS over UDP queued, the pending bit saved after
# nfqd's accept.
# l7_gw_rules A:B: the same from FORWARD, docs/l7.md's gateway rules.
L7D=0x10000000	# nfqd dropped the connection (the rules' repeat mark)
L7P=0x20000000	# flows.pending_mark
l7_host_rules() { l7_rules INPUT "$1"; }
l7_gw_rules() { l7_rules FORWARD "$1"; }
l7_rules() {
	local t q h=$1
	shift
	# One queue: --queue-num (iptables refuses a balance of one).
	if [ "${1%:*}" = "${1#*:}" ]; then
		q="--queue-num ${1%:*}"
	else
		q="--queue-balance $1"
	fi
	for t in iptables ip6tables; do
		in2 $t -t mangle -N NFQD
		in2 $t -t mangle -A NFQD -m conntrack --ctstate INVALID -j DROP
		in2 $t -t mangle -A NFQD -p tcp --syn -j TCPOPTSTRIP \
		    --strip-options 30
		in2 $t -t mangle -A $h -p tcp -j NFQD
		in2 $t -t mangle -A $h -p udp --dport 53 -j NFQUEUE \
		    $q --queue-bypass
		in2 $t -t mangle -A NFQD -m mark --mark $L7D/$L7D -j CONNMARK \
		    --save-mark --nfmask $L7D --ctmask $L7D
		in2 $t -t mangle -A NFQD -m connmark --mark $L7D/$L7D -j DROP
		in2 $t -t mangle -A NFQD -j CONNMARK --restore-mark \
		    --nfmask $L7P --ctmask $L7P
		in2 $t -t mangle -A NFQD -m connbytes --connbytes 1:3 \
		    --connbytes-dir original --connbytes-mode packets \
		    -j NFQUEUE $q --queue-bypass
		in2 $t -t mangle -A NFQD -m connmark --mark $L7P/$L7P \
		    -j NFQUEUE $q --queue-bypass
		in2 $t -t filter -I $h -p tcp -j CONNMARK --save-mark \
		    --nfmask $L7P --ctmask $L7P
	done
}

# test_cert NS: a self-signed P-256 key and certificate for the TLS
# servers, $TMP/key.pem and $TMP/cert.pem, made in namespace NS.
test_cert() {
	ip netns exec "$1" openssl req -x509 -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/key.pem" \
	    -out "$TMP/cert.pem" -days 2 -subj /CN=nfqd-test 2>/dev/null
}

# tls_server NS ADDR PORT DIR [GROUP]: tests/tools/tlsserve.py in
# namespace NS on ADDR:PORT, serving DIR with test_cert's certificate, in
# the background (its log $TMP/tls.log); GROUP: the only key exchange
# group it takes.
tls_server() {
	(cd "$4" && exec ip netns exec "$1" /usr/bin/python3 \
	    "$TOP/tests/tools/tlsserve.py" "$2" "$3" "$TMP/cert.pem" \
	    "$TMP/key.pem" ${5:+"$5"} >>"$TMP/tls.log" 2>&1) &
	BG_PIDS+=($!)
}

# hrr ADDR PORT NAME1 NAME2 [hrr.py's options]: tests/tools/hrr.py from
# NS1, a hello for NAME1 the server must answer with a HelloRetryRequest,
# then one for NAME2; prints "FIRST SECOND", the server's answers.
hrr() {
	in1 /usr/bin/python3 "$TOP/tests/tools/hrr.py" "$@" |
	    awk '{ printf "%s%s", s, $2; s = " " }'
}

# in_range NAME N LO HI: passes when LO <= N <= HI.
in_range() {
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		pass "$1: $2 ($3 to $4)"
	else
		fail "$1: $2, want $3 to $4"
	fi
}

# kernel_ct_verdicts: "yes" when the kernel of NS2 takes conntrack marks in
# verdicts (NFQA_CT), "no" when not, else "unknown".  Asked as nfqd asks,
# written apart from it: the queue flag NFQA_CFG_F_CONNTRACK for queue
# 65000, which nobody binds here; the kernel checks flags first (ENODEV:
# taken, EOPNOTSUPP: refused) and changes nothing.
kernel_ct_verdicts() {
	in2 python3 - <<'PY'
import errno, socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETFILTER
s.bind((0, 0))
s.settimeout(2)
attrs = struct.pack("=HHI", 8, 4, socket.htonl(2))   # CFG_MASK: CONNTRACK
attrs += struct.pack("=HHI", 8, 5, socket.htonl(2))  # CFG_FLAGS
body = struct.pack("=BBH", 0, 0, socket.htons(65000)) + attrs
# NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_CONFIG; NLM_F_REQUEST | NLM_F_ACK
msg = struct.pack("=IHHII", 16 + len(body), 3 << 8 | 2, 1 | 4, 1, 0) + body
s.sendto(msg, (0, 0))
try:
    r = s.recv(4096)
except OSError:
    print("unknown")
    raise SystemExit
ln, typ = struct.unpack("=IH", r[:6])
err = -struct.unpack("=i", r[16:20])[0] if typ == 2 else -1
print({errno.ENODEV: "yes", errno.EOPNOTSUPP: "no"}.get(err, "unknown"))
PY
}

finish() {
	exit $((FAILS != 0))
}
