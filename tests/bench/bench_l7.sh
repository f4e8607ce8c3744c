#!/bin/bash
# nfqd benchmark, names: what reading every ClientHello against a set of
# 1,000,000 names costs per packet, next to the reference consumer on the
# same flood of new flows, and what the documented host rules (docs/l7.md)
# cost a long TCP transfer that nfqd decides on its first packets.  Run as
# root:
#
#   tests/bench/bench_l7.sh [--quick] [--runs N] [--duration S]
#                           [--rates LIST] [--consumers LIST]
#                           [--names N] [--miss FRACTION]
#                           [--bytes N] [--retry N] [--no-flood]
#                           [--no-transfer] [--no-quic] [--quic-only]
#                           [--json FILE]
#
#   generator (NSG)  veth0 10.78.0.1/24    hellogen, transfer sender, CPU 0
#   consumer  (NSC)  veth1 10.78.0.2/24    consumer under test, CPU 1
#     flood:     mangle PREROUTING  tcp dport 443 -j NFQUEUE --queue-num 0
#                filter INPUT       tcp dport 443 -j DROP   (counts accepts)
#     transfer:  nothing ("none"); the documented host rules, nothing bound
#                ("rules"); the documented host rules and nfqd ("nfqd");
#                a receiver on port 5201, CPU 1
#
# The flood: tests/tools/hellogen opens new flows at a fixed rate, each a
# SYN and a segment with a whole ClientHello, half of them for a name in
# the set.  nfqd (one worker, copy_range auto, the set loaded, one rule
# that drops the set's names) and refq (tests/bench/refq.c) take turns, A
# B A B ..., and their CPU time per packet is compared (medians); before
# each measured flood, a warm-up fills nfqd's flow table.  Then
# nfqd's memory with and without the set, and the time -t takes to load
# it.  Then the same flows through the engine in process
# (build/bench/bench_flows: no kernel, no netlink), with the caches warm
# and cold.  The transfer: BYTES (1 GiB) over one TCP connection, the
# three set-ups in turn, throughput medians.  The QUIC flood: the same
# with new QUIC connections, each a post-quantum ClientHello (1.4 KB) in
# two Initials of 1,200 bytes (as Chrome sends it; tests/tools/quicgen
# writes them beforehand, then sends the file at the rate), UDP to port
# 443 queued, nfqd with the same set and rule against refq; then
# build/bench/bench_quic, the QUIC reader alone in process.  See
# docs/performance.md.
#
# NFQD_EXTRA="TEXT": lines added to every nfqd configuration, to measure a
# setting (NFQD_EXTRA='flows = { max = 1024; };': a flow table that fits
# in the caches; give --warmup a matching number of flows).
# NFQD_DAEMON="TEXT": settings added to every nfqd configuration's daemon
# group (NFQD_DAEMON='sandbox = false;').
# NFQD_B_BIN=PATH: another nfqd binary (an older build, or one built with
# other flags), the consumer "nfqd-b", with nfqd's configuration: give
# --consumers nfqd,nfqd-b,refq and the two take turns in the same runs,
# so that the machine's drift weighs on both alike; the summary adds
# nfqd-b / nfqd.
#
# Everything happens in two namespaces with random names, deleted on exit
# with every process the benchmark started.  The host's interfaces and
# firewall are never touched.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP" || exit 1
ME=bench_l7
# shellcheck source=tests/bench/lib.sh
. "$TOP/tests/bench/lib.sh"
NFQD=$TOP/build/nfqd
NFQD_B=${NFQD_B_BIN:-}
HELLOGEN=$TOP/build/tools/hellogen
QUICGEN=$TOP/build/tools/quicgen
BB=$TOP/build/bench
PY=/usr/bin/python3

RUNS=5
DURATION=3
RATES=5000,20000
CONSUMERS=nfqd,refq
NAMES=1000000
WARMUP=65536
MISS=0.5
BYTES=1073741824
RETRY=2
RETRY_PCT=5
FLOOD=1
TRANSFER=1
QUIC=1
JSON=

usage() {
	cat <<EOF
usage: tests/bench/bench_l7.sh [options]   (as root; needs CPUs 0 and 1)
  --runs N          runs per case and consumer, medians reported (default $RUNS)
  --duration S      seconds of each flood (default $DURATION)
  --rates LIST      new flows per second, each a SYN and a hello
                    (default $RATES)
  --consumers LIST  from nfqd,refq,nfqd-noset,nfqd-plain (default $CONSUMERS);
                    nfqd-noset: the rule names one name instead of the set;
                    nfqd-plain: no rules (nothing parsed, copy_range 64);
                    nfqd-b: NFQD_B_BIN with nfqd's configuration
  --names N         names in the set (default $NAMES)
  --warmup N        new flows sent (from another address, not measured)
                    before each flood: nfqd's flow table (65,536 flows) is
                    then full and its pages written once; 0: none
                    (default $WARMUP)
  --miss F          fraction of hellos for names not in the set (default $MISS)
  --bytes N         bytes of each transfer (default $BYTES, 1 GiB)
  --retry N         run a measurement again, up to N times, when the
                    consumer (the receiver, the sender) waited for its CPU
                    more than $RETRY_PCT% of the time (default $RETRY)
  --no-flood        skip the flood, the memory and the load time
  --no-transfer     skip the transfer
  --no-quic         skip the QUIC flood and bench_quic
  --quic-only       only the QUIC flood and bench_quic
  --json FILE       results file (default build/bench/bench_l7-DATE.json)
  --quick           smoke test: 2 runs, 2 s at 5000 flows/s, 100,000
                    names, a warm-up of 10,000 flows, transfers of 256 MiB
EOF
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=${2:?}; shift ;;
	--duration) DURATION=${2:?}; shift ;;
	--rates) RATES=${2:?}; shift ;;
	--consumers) CONSUMERS=${2:?}; shift ;;
	--names) NAMES=${2:?}; shift ;;
	--warmup) WARMUP=${2:?}; shift ;;
	--miss) MISS=${2:?}; shift ;;
	--bytes) BYTES=${2:?}; shift ;;
	--retry) RETRY=${2:?}; shift ;;
	--no-flood) FLOOD=0 ;;
	--no-transfer) TRANSFER=0 ;;
	--no-quic) QUIC=0 ;;
	--quic-only) FLOOD=0 TRANSFER=0 QUIC=1 ;;
	--json) JSON=${2:?}; shift ;;
	--quick) RUNS=2 DURATION=2 RATES=5000 NAMES=100000 WARMUP=10000
		BYTES=268435456 ;;
	-h|--help) usage 0 ;;
	*) echo "bench_l7: unknown option $1" >&2; usage ;;
	esac
	shift
done

isnum "$RUNS" && [ "$RUNS" -ge 1 ] || die "--runs: a positive integer"
[[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] &&
    awk -v d="$DURATION" 'BEGIN { exit !(d >= 1) }' ||
    die "--duration: seconds, at least 1"
isnum "$NAMES" && [ "$NAMES" -ge 100 ] || die "--names: at least 100"
isnum "$WARMUP" || die "--warmup: a number"
[[ $MISS =~ ^(0|1|0?\.[0-9]+)$ ]] || die "--miss: a fraction, 0 to 1"
MISS=$(awk -v m="$MISS" 'BEGIN { print m + 0 }')
isnum "$BYTES" && [ "$BYTES" -ge 1048576 ] || die "--bytes: at least 1 MiB"
isnum "$RETRY" || die "--retry: a number"
IFS=, read -r -a RATE_LIST <<<"$RATES"
for r in "${RATE_LIST[@]}"; do
	isnum "$r" && [ "$r" -gt 0 ] || die "--rates: numbers, got '$r'"
done
IFS=, read -r -a CONS_LIST <<<"$CONSUMERS"
for c in "${CONS_LIST[@]}"; do
	case $c in nfqd|refq|nfqd-noset|nfqd-plain) ;;
	nfqd-b)	[ -x "$NFQD_B" ] ||
		    die "--consumers nfqd-b: set NFQD_B_BIN to an nfqd binary" ;;
	*) die "--consumers: unknown '$c'" ;;
	esac
done

[ "$(id -u)" = 0 ] || die "needs root (namespaces, iptables, NFQUEUE, raw sockets)"
[ -d /sys/devices/system/cpu/cpu1 ] && [ "$(nproc --all)" -ge 2 ] ||
    die "needs two CPUs: the generator runs on CPU 0, the consumer on CPU 1"
for t in ip iptables ip6tables nsenter taskset pgrep jq awk cc pkg-config \
    make sha256sum; do
	command -v $t >/dev/null || die "$t is missing (scripts/deps.sh installs it)"
done
[ -x "$PY" ] || die "$PY is missing"

# ---------------------------------------------------------------- build

CC=${CC:-cc}
BENCH_CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -Wpointer-arith -Wformat=2 -D_GNU_SOURCE -Iinclude"

build() {
	if [ ! -x "$NFQD" ] || [ ! -x "$HELLOGEN" ] ||
	    [ tests/tools/hellogen.c -nt "$HELLOGEN" ] ||
	    [ tests/tools/hello.c -nt "$HELLOGEN" ]; then
		make -s all build/tools/hellogen || die "make failed"
	fi
	make -s build/bench/bench_flows build/tools/quicgen \
	    build/bench/bench_quic || die "make (bench_flows, quicgen, bench_quic) failed"
	if [ -n "$(find src include -newer "$NFQD" -name '*.[ch]' 2>/dev/null)" ]; then
		echo "bench_l7: note: build/nfqd is older than src/ or include/;" \
		    "'make' to measure the current code" >&2
	fi
	mkdir -p "$BB"
	if [ ! -x "$BB/refq" ] || [ tests/bench/refq.c -nt "$BB/refq" ]; then
		# shellcheck disable=SC2086,SC2046
		$CC $BENCH_CFLAGS -o "$BB/refq" tests/bench/refq.c \
		    $(pkg-config --cflags --libs libnetfilter_queue libmnl) ||
		    die "building refq failed"
	fi
}
build

# ---------------------------------------------------------------- setup

SFX=$(tr -dc a-z0-9 </dev/urandom | head -c 6)
NSG=nfqb-g-$SFX
NSC=nfqb-c-$SFX
A1=10.78.0.1
A2=10.78.0.2
A3=10.78.0.3		# the warm-up's flows come from here
PORT=443		# the flood
XPORT=5201		# the transfer
D=0x10000000		# nfqd dropped the connection (docs/l7.md)
P=0x20000000		# flows.pending_mark
TMP=$(mktemp -d /tmp/nfqd-bench-l7.XXXXXX)
TSV=$TMP/results.tsv
LIST=$TMP/names.txt
declare -A PIDS=()	# background processes we started and have not reaped
CPID=			# the running consumer
HOLDER=			# a process that sits in NSC: /proc/HOLDER/net is NSC's
SINK=			# the transfer's receiver

trap cleanup EXIT
trap 'exit 130' INT TERM HUP

keep_nfqd

# The script and everything it starts run on CPU 0, with the generator; only
# the consumer (and the transfer's receiver) run on CPU 1 (taskset -c 1).
taskset -p -c 0 $$ >/dev/null || die "cannot pin the benchmark to CPU 0"

# The flood's rules: no conntrack.
flood_rules() {	# on|off
	local op=-D
	[ "$1" = on ] && op=-A
	inc iptables $op INPUT -p tcp --dport $PORT -j DROP &&
	inc iptables -t mangle $op PREROUTING -p tcp --dport $PORT \
	    -j NFQUEUE --queue-num 0
}

# The QUIC flood's: UDP to PORT queued, and dropped in INPUT by a rule
# put first, where delivered() finds it before the TCP one (the warm-up's
# flows are TCP: both rules stay).
quic_rules() {	# on|off
	if [ "$1" = on ]; then
		inc iptables -I INPUT 1 -p udp --dport $PORT -j DROP &&
		inc iptables -t mangle -A PREROUTING -p udp --dport $PORT \
		    -j NFQUEUE --queue-num 0
	else
		inc iptables -D INPUT -p udp --dport $PORT -j DROP &&
		inc iptables -t mangle -D PREROUTING -p udp --dport $PORT \
		    -j NFQUEUE --queue-num 0
	fi
}

# The documented host rules (docs/l7.md), as tests/net/lib.sh's
# l7_host_rules sets them, queues 0:1.
host_rules() {
	local t
	for t in iptables ip6tables; do
		inc $t -t mangle -N NFQD
		inc $t -t mangle -A INPUT -p tcp -j NFQD
		inc $t -t mangle -A INPUT -p udp --dport 53 -j NFQUEUE \
		    --queue-balance 0:1 --queue-bypass
		inc $t -t mangle -A NFQD -m conntrack --ctstate INVALID -j DROP
		inc $t -t mangle -A NFQD -m mark --mark $D/$D -j CONNMARK \
		    --save-mark --nfmask $D --ctmask $D
		inc $t -t mangle -A NFQD -m connmark --mark $D/$D -j DROP
		inc $t -t mangle -A NFQD -j CONNMARK --restore-mark \
		    --nfmask $P --ctmask $P
		inc $t -t mangle -A NFQD -m connbytes --connbytes 1:3 \
		    --connbytes-dir original --connbytes-mode packets \
		    -j NFQUEUE --queue-balance 0:1 --queue-bypass
		inc $t -t mangle -A NFQD -m connmark --mark $P/$P \
		    -j NFQUEUE --queue-balance 0:1 --queue-bypass
		inc $t -t filter -I INPUT -p tcp -j CONNMARK --save-mark \
		    --nfmask $P --ctmask $P
	done
}
# no_rules: every rule and chain of NSC gone (conntrack is then unused).
no_rules() {
	local t
	for t in iptables ip6tables; do
		inc $t -t mangle -F
		inc $t -t mangle -X
		inc $t -t filter -F
		inc $t -t filter -X
	done
}

unbound() { [ -z "$(kq 0)" ] && [ -z "$(kq 1)" ]; }

# pss_kb PID...: the sum of their proportional set sizes (a page the
# master and its workers share counts once, split between them).
pss_kb() {
	local p s=0 v
	for p in "$@"; do
		v=$(awk '$1 == "Pss:" { print $2; exit }' /proc/"$p"/smaps_rollup 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo $s
}

# median: of the numbers on stdin, one a line; nothing when none.
median() {
	sort -g | awk '{ v[++n] = $1 } END { if (n > 0)
	    printf "%.6g\n", (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) }'
}

# ---------------------------------------------------------------- the set

# The list: NAMES names shaped like bench_names' (1-3 labels of 3-15 bytes
# from [a-z0-9-], one of its 20 top-level domains), one a line.
make_list() {
	awk -v n="$NAMES" -v seed="$RANDOM$RANDOM" 'BEGIN {
		srand(seed)
		split("com net org io de uk ru cn info xyz top fr jp br it nl co us eu online", tld, " ")
		c = "abcdefghijklmnopqrstuvwxyz0123456789-"
		for (i = 0; i < n; i++) {
			s = ""
			k = 1 + int(rand() * 3)
			for (j = 0; j < k; j++) {
				m = 3 + int(rand() * 13)
				for (x = 0; x < m; x++)
					s = s substr(c, 1 + int(rand() * 37), 1)
				s = s "."
			}
			print s tld[1 + int(rand() * 20)]
		}
	}' >"$LIST"
}

# ---------------------------------------------------------------- consumers

# nfqd_conf FILE KIND: "big": one worker, the set and a rule that drops its
# names; "noset": the same with the rule's own name instead of the set;
# "plain": no rules (copy_range auto is then 64 bytes, nothing parsed);
# "host": two workers (queues 0:1, as the documented rules) with the set
# and the repeat rule of docs/l7.md, for the transfer.
nfqd_conf() {
	local qset='balance = "0:0";' sets="" rules
	case $2 in
	big)
		sets="name_sets = ( { name = \"big\"; file = \"$LIST\"; } );"
		rules='rules = ( { name = "block"; tls_sni = "@big"; verdict = "drop"; } );'
		;;
	plain)
		rules=
		;;
	noset)
		rules='rules = ( { name = "block"; tls_sni = "blocked.example"; verdict = "drop"; } );'
		;;
	host)
		qset='balance = "0:1";'
		sets="name_sets = ( { name = \"big\"; file = \"$LIST\"; } );"
		rules="rules = ( { name = \"block\"; tls_sni = \"@big\"; verdict = \"repeat\"; mark = $D; } );"
		;;
	esac
	cat >"$1" <<CONF
daemon: { pidfile = "$TMP/nfqd.pid"; log_level = "notice"; ${NFQD_DAEMON:-} };
stats: { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
queue: { $qset cpu_affinity = "none"; fail_open = false; copy_range = "auto"; };
default_verdict = "accept";
$sets
$rules
${NFQD_EXTRA:-}
CONF
}

# start_consumer NAME: run it in NSC on CPU 1; wait until its queues are
# bound with copy mode "packet" (and for nfqd, its workers wait in epoll).
# nfqd, nfqd-noset, nfqd-plain, nfqd-host: nfqd with that configuration;
# nfqd-b: NFQD_B_BIN with nfqd's.  Sets CPID.
NWORKERS=1
start_consumer() {
	local c=$1 log=$TMP/$1.log
	: >"$log"
	wait_until 5 unbound || { echo "bench_l7: a queue is still bound" >&2; return 1; }
	case $c in
	nfqd*)
		local kind=big bin=$NFQD
		[ "$c" = nfqd ] || kind=${c#nfqd-}
		[ "$c" = nfqd-b ] && { kind=big bin=$NFQD_B; }
		NWORKERS=1
		[ "$kind" = host ] && NWORKERS=2
		[ -f "$TMP/$c.conf" ] || nfqd_conf "$TMP/$c.conf" "$kind"
		# ip netns exec and taskset exec: $! is nfqd itself.
		ip netns exec "$NSC" taskset -c 1 "$bin" -c "$TMP/$c.conf" \
		    >>"$log" 2>&1 &
		CPID=$!
		PIDS[$CPID]=1
		wait_until 30 _nfqd_ready || { _start_failed "$c"; return 1; }
		;;
	refq)
		ip netns exec "$NSC" taskset -c 1 "$BB/refq" >>"$log" 2>&1 &
		CPID=$!
		PIDS[$CPID]=1
		wait_until 10 _refq_ready || { _start_failed "$c"; return 1; }
		;;
	esac
}
# Workers are the master's children named nfqd-wN; each sleeps (state S)
# once its set-up is done and it waits in epoll.
_nfqd_ready() {
	local w i
	for ((i = 0; i < NWORKERS; i++)); do
		bound $i || return 1
	done
	w=$(workers)
	[ "$(echo $w | wc -w)" = "$NWORKERS" ] || return 1
	for i in $w; do
		[ "$(awk '{ print $3 }' /proc/"$i"/stat 2>/dev/null)" = S ] || return 1
	done
}
_refq_ready() { bound && grep -q "ready" "$TMP/refq.log"; }

workers() { pgrep -P "$CPID" '^nfqd-w' | sort -n | tr '\n' ' '; }
consumer_pids() { echo "$CPID" $(pgrep -P "$CPID" '^nfqd-w' | sort -n); }

# dump: nfqd's counters to TMP/stats.json (SIGUSR1).
dump() {
	rm -f "$TMP/stats.json"
	kill -USR1 "$CPID"
	wait_until 5 test -s "$TMP/stats.json"
}
js() { jq -r "$1" "$TMP/stats.json"; }

# retry FUNCTION ARGS...: run a measurement, which leaves its result line
# in TMP/row and in RUNQ the percentage of the time the measured process
# was runnable but waiting for its CPU.  Over RETRY_PCT, something else ran
# there (the machine is shared): run it again, up to RETRY times, and keep
# the last.
RETRIED=0
retry() {
	local i
	for ((i = 0; ; i++)); do
		"$@" || return 1
		awk -v w="$RUNQ" -v t="$RETRY_PCT" 'BEGIN { exit !(w > t) }' ||
		    break
		[ "$i" -lt "$RETRY" ] || break
		echo "  (waited for its CPU ${RUNQ}% of the time: something" \
		    "else ran there; running it again)"
		RETRIED=$((RETRIED + 1))
	done
	cat "$TMP/row" >>"$TSV"
}

# ---------------------------------------------------------------- the flood

# counters: nfqd's "received l7_tls hits flows_evicted flows_full l7_errors
# l7_pending dropped" (hits: of the rule "block"; l7_quic in place of
# l7_tls in the QUIC flood), or nothing.
PROTO=tls	# the flood's: tls (hellogen) or quic (quicgen -F QFILE)
QFILE=		# the QUIC flood's connections, written by quicgen -w
QLISTED=	# how many of them have a listed name
counters() {
	dump && jq -r --arg k "l7_$PROTO" '[.total.received, .total[$k],
	    ([.rules[]? | select(.name == "block") | .hits] | add // 0),
	    .total.flows_evicted, .total.flows_full, .total.l7_errors,
	    .total.l7_pending, .total.dropped] | map(tostring) | join(" ")' \
	    "$TMP/stats.json"
}

# warm_up: WARMUP new flows from another source address before the
# measured flood, at up to 40,000 a second: nfqd's flow table has then
# been written once (its pages are in memory) and is full, as after any
# flood longer than the table holds; the measured flows evict the oldest.
warm_up() {
	[ "$WARMUP" -gt 0 ] || return 0
	ing "$HELLOGEN" -d $A2 -p $PORT -s $A3 -f "$LIST" -m "$MISS" \
	    -r 40000 -n "$WARMUP" -c 0 >/dev/null 2>&1
	LAST_ID=
	wait_until 10 drained || echo "bench_l7: warm-up: queue did not drain" >&2
}

# flood CONSUMER RATE RUN: one run; its "F" line goes to TMP/row.
flood() {
	local c=$1 rate=$2 run=$3 gpid pids k0 k1 c0 c1 d0 d1 n0 n1 out
	local flows pkts listed send_s pss=- nc="- - - - - - - -"
	start_consumer "$c" || return 1
	warm_up
	pids=$(consumer_pids)
	[ "${c%%-*}" = nfqd ] && n0=$(counters)
	k0=$(kq)
	d0=$(delivered)
	c0=$(cpu_ns $pids)
	if [ "$PROTO" = quic ]; then
		ing "$QUICGEN" -F "$QFILE" -d $A2 -p $PORT -r "$rate" -C 0 \
		    >"$TMP/gen.out" 2>"$TMP/gen.err" &
	else
		ing "$HELLOGEN" -d $A2 -p $PORT -f "$LIST" -m "$MISS" \
		    -r "$rate" -t "$DURATION" -c 0 >"$TMP/gen.out" \
		    2>"$TMP/gen.err" &
	fi
	gpid=$!
	PIDS[$gpid]=1
	wait "$gpid"
	unset "PIDS[$gpid]"
	LAST_ID=
	wait_until 10 drained || echo "bench_l7: $c: queue did not drain" >&2
	c1=$(cpu_ns $pids)
	d1=$(delivered)
	k1=$(kq)
	if [ "$(consumer_pids)" != "$pids" ]; then
		echo "bench_l7: $c: its processes changed during the run" \
		    "($pids -> $(consumer_pids)); CPU time is incomplete" >&2
	fi
	if [ "${c%%-*}" = nfqd ]; then
		pss=$(pss_kb $pids)
		n1=$(counters)
		if [ -n "$n0" ] && [ -n "$n1" ]; then
			# The measured flood's share of each counter.
			nc=$(echo "$n0 $n1" | awk '{ for (i = 1; i <= 8; i++)
			    printf "%s%d", (i > 1 ? " " : ""), $(i + 8) - $i }')
		else
			echo "bench_l7: $c: no statistics after SIGUSR1" >&2
		fi
	fi
	stop_consumer
	out=$(cat "$TMP/gen.out")
	# sent N flows M packets (L listed, U made up); quicgen -F: sent N
	# connections M datagrams (the listed ones counted when written)
	set -- $out
	flows=${2:-} pkts=${4:-}
	if [ "$PROTO" = quic ]; then listed=$QLISTED; else listed=${6#(}; fi
	send_s=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' "$TMP/gen.err")
	[ -n "$flows" ] && [ -n "$k1" ] || {
		echo "bench_l7: $c: run failed (sent '$out', queue '$k1')" >&2
		cat "$TMP/gen.err" >&2
		return 1
	}
	local recv tls hits evict full errs pend drop
	read -r recv tls hits evict full errs pend drop <<<"$nc"
	set -- $k0
	local qd0=$3 ud0=$4 id0=$5
	set -- $c0
	local on0=$1 wait0=$2 sl0=$3
	set -- $c1
	local on=$(($1 - on0)) waitq=$(($2 - wait0)) slices=$(($3 - sl0))
	set -- $k1
	# handled: packets the kernel put in the queue (ids given) and
	# delivered to the socket.
	awk -v c="$c" -v rate="$rate" -v run="$run" -v flows="$flows" \
	    -v pkts="$pkts" -v listed="$listed" -v ss="$send_s" \
	    -v handled=$(($5 - id0 - ($4 - ud0))) -v qd=$(($3 - qd0)) \
	    -v ud=$(($4 - ud0)) -v acc=$((d1 - d0)) -v cpu=$on -v wq=$waitq \
	    -v sl=$slices -v cr="$6" -v recv="$recv" \
	    -v tls="$tls" -v hits="$hits" -v evict="$evict" -v full="$full" \
	    -v errs="$errs" -v pend="$pend" -v drop="$drop" -v pss="$pss" \
	    -v type="$([ "$PROTO" = quic ] && echo Q || echo F)" 'BEGIN {
		printf "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.0f\t%d\t%.1f\t%d\t%d\t%d\t%.2f\t%.2f\t%.1f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		    type, c, rate, run, flows, pkts, listed, (ss > 0 ? flows / ss : 0),
		    handled, (handled > 0 ? cpu / handled : 0), qd, ud,
		    pkts - handled - qd - ud, cpu / ss / 1e7, wq / ss / 1e7,
		    (sl > 0 ? handled / sl : 0), cr, acc, recv, tls, hits,
		    evict, full, errs, pend, drop, pss
	    }' >"$TMP/row"
	RUNQ=$(cut -f 15 "$TMP/row")
	awk -F'\t' '{
		printf "  run %d %-6s %6d flows/s: %d flows (%d listed), %d packets, handled %d, %s ns/pkt; lost %d (queue %d, socket %d, other %d); on CPU %s%%, waiting for it %s%%; %s packets per wake-up",
		    $4, $2, $3, $5, $7, $6, $9, $10, $6 - $9, $11, $12, $13, $14, $15, $16
		if ($19 != "-")
			printf "; nfqd: received %s, l7_tls/quic %s, block hits %s, dropped %s, accepted here %s, pending %s, l7_errors %s, evicted %s, full %s, PSS %s KiB",
			    $19, $20, $21, $26, $18, $25, $24, $22, $23, $27
		printf "\n"
	}' "$TMP/row"
}

# memory CONSUMER: PSS of master and worker once ready, and after the
# warm-up and a flood at the highest rate; the time nfqd -t takes with the configuration.  Its
# "M" line goes to TMP/row.
memory() {
	local c=$1 idle busy gpid conf=$TMP/$1.conf t0 t i times=()
	start_consumer "$c" || return 1
	idle=$(pss_kb $(consumer_pids))
	warm_up
	ing "$HELLOGEN" -d $A2 -p $PORT -f "$LIST" -m "$MISS" \
	    -r "${RATE_LIST[-1]}" -t "$DURATION" -c 0 >/dev/null 2>&1 &
	gpid=$!
	PIDS[$gpid]=1
	wait "$gpid"
	unset "PIDS[$gpid]"
	LAST_ID=
	wait_until 10 drained
	busy=$(pss_kb $(consumer_pids))
	stop_consumer
	for ((i = 0; i < 3; i++)); do
		t0=$(now)
		"$NFQD" -t -c "$conf" >/dev/null 2>&1 || {
			echo "bench_l7: nfqd -t -c $conf failed" >&2
			return 1
		}
		t=$(now)
		times+=($((t - t0)))
	done
	t=$(printf '%s\n' "${times[@]}" | median)
	printf 'M\t%s\t%d\t%d\t%d\n' "$c" "$idle" "$busy" "$t" >"$TMP/row"
	RUNQ=0
	printf '  %-11s PSS %d KiB ready, %d KiB after %s s of %d flows/s; nfqd -t %.3f s (median of 3)\n' \
	    "$c" "$idle" "$busy" "$DURATION" "${RATE_LIST[-1]}" \
	    "$(awk -v t="$t" 'BEGIN { print t / 1e6 }')"
}

# ---------------------------------------------------------------- the transfer

cat >"$TMP/sink.py" <<'PY'
# Accepts connections one after another, reads each to its end into one
# buffer, closes it and prints the bytes read.
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(8)
print("ready", flush=True)
buf = bytearray(1 << 20)
while True:
    c, _ = s.accept()
    n = 0
    while True:
        k = c.recv_into(buf)
        if not k:
            break
        n += k
    c.close()
    print(n, flush=True)
PY
cat >"$TMP/send.py" <<'PY'
# Connects, sends BYTES zeros in writes of 1 MiB, shuts its side and waits
# for the receiver to close (it has read everything): prints the bytes, the
# seconds from before connect() to that close, and the nanoseconds it was
# runnable but waiting for a CPU meanwhile (schedstat).
import socket, sys, time
def waited():
    with open("/proc/thread-self/schedstat") as f:
        return int(f.read().split()[1])
addr, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
buf = memoryview(bytes(1 << 20))
w0 = waited()
t0 = time.monotonic()
c = socket.create_connection((addr, port))
left = total
while left > 0:
    k = min(left, len(buf))
    c.sendall(buf[:k])
    left -= k
c.shutdown(socket.SHUT_WR)
c.recv(1)
t1 = time.monotonic()
print(total, "%.6f" % (t1 - t0), waited() - w0)
PY

start_sink() {
	ip netns exec "$NSC" taskset -c 1 "$PY" "$TMP/sink.py" $A2 $XPORT \
	    >"$TMP/sink.out" 2>&1 &
	SINK=$!
	PIDS[$SINK]=1
	wait_until 10 grep -q ready "$TMP/sink.out" || die "the receiver did not start"
}

# rules_for VARIANT: none (no rule at all), rules (the documented rules,
# no queue bound: --queue-bypass lets the packets through), nfqd.
rules_for() {
	no_rules
	[ "$1" = none ] || host_rules
}

# transfer VARIANT RUN: one transfer; its "X" line goes to TMP/row.
transfer() {
	local v=$1 run=$2 out s0 s1 xs recv=- l7o=- pend=-
	rules_for "$v"
	[ "$v" = nfqd ] && { start_consumer nfqd-host || return 1; }
	s0=$(cpu_ns $SINK)
	# ip netns exec and taskset exec: $! is the sender itself.
	ing taskset -c 0 "$PY" "$TMP/send.py" $A2 $XPORT "$BYTES" \
	    >"$TMP/send.out" 2>"$TMP/send.err" &
	xs=$!
	PIDS[$xs]=1
	wait "$xs"
	unset "PIDS[$xs]"
	s1=$(cpu_ns $SINK)
	out=$(cat "$TMP/send.out")
	if [ "$v" = nfqd ]; then
		if dump; then
			recv=$(js '.total.received') l7o=$(js '.total.l7_other')
			pend=$(js '.total.l7_pending')
		else
			echo "bench_l7: nfqd: no statistics after SIGUSR1" >&2
		fi
		stop_consumer
	fi
	[ -n "$out" ] || {
		echo "bench_l7: transfer $v: no result" >&2
		cat "$TMP/send.err" >&2
		return 1
	}
	# bytes seconds sender_wait_ns
	set -- $out $s0 $s1
	awk -v v="$v" -v run="$run" -v b="$1" -v s="$2" -v ws="$3" \
	    -v wr=$(($8 - $5)) -v recv="$recv" -v l7o="$l7o" -v pend="$pend" \
	    'BEGIN {
		printf "X\t%s\t%d\t%d\t%.6f\t%.1f\t%s\t%s\t%s\t%.1f\t%.1f\n",
		    v, run, b, s, b / s / 1e6, recv, l7o, pend, wr / s / 1e7,
		    ws / s / 1e7
	}' >"$TMP/row"
	# The receiver's wait on CPU 1 decides a repeat, as the consumer's
	# does in the flood; and the sender's on CPU 0 over twice the limit:
	# it shares CPU 0 with the softirq work of both ends, and ksoftirqd/0
	# alone takes about 5% of it during a transfer.
	RUNQ=$(awk -F'\t' -v t="$RETRY_PCT" '{ print ($11 > 2 * t ? $11 : $10) }' "$TMP/row")
	awk -F'\t' '{
		printf "  run %d %-5s %d bytes in %.3f s: %.1f MB/s; waiting for a CPU: receiver %s%%, sender %s%%",
		    $3, $2, $4, $5, $6, $10, $11
		if ($7 != "-")
			printf "; nfqd received %s packets (l7_other %s, pending %s)", $7, $8, $9
		printf "\n"
	}' "$TMP/row"
}

# ---------------------------------------------------------------- main

machine_cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine_nproc=$(nproc --all)
machine_kernel=$(uname -r)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
nfqd_version=$("$NFQD" -V 2>&1 | head -n 1)
nfqd_sha=$(sha256sum "$NFQD" | cut -c 1-16)
[ -n "$JSON" ] || JSON=$BB/bench_l7-$(date -u +%Y%m%dT%H%M%SZ).json
: >"$TSV"

echo "nfqd names benchmark: $machine_cpu, $machine_nproc CPUs, Linux $machine_kernel"
echo "nfqd: $nfqd_version, tree $commit, build/nfqd built $nfqd_built (sha256 $nfqd_sha...)"
[ -n "$NFQD_B" ] && echo "nfqd-b: $NFQD_B, $("$NFQD_B" -V 2>&1 | head -n 1), built $(date -u -r "$NFQD_B" +%FT%TZ) (sha256 $(sha256sum "$NFQD_B" | cut -c 1-16)...)"
echo "runs $RUNS; floods of $DURATION s at $RATES flows/s, $NAMES names, $MISS not in the set; transfers of $BYTES bytes"
busy_before=$(busy_pct)
if [ "$busy_before" -gt 5 ]; then
	echo "bench_l7: warning: the machine is ${busy_before}% busy before we start;" \
	    "other work on CPU 1 perturbs the figures (see 'runq %')" >&2
fi
net_pair
bench_start=$(now)

if [ "$FLOOD" = 1 ]; then
	t0=$(now)
	make_list
	echo "list: $(wc -l <"$LIST") names, $(stat -c %s "$LIST") bytes, made in" \
	    "$(( ($(now) - t0) / 1000 )) ms"
	flood_rules on || die "iptables (flood rules)"
	for rate in "${RATE_LIST[@]}"; do
		echo "flood: $rate flows/s, $DURATION s"
		for ((run = 1; run <= RUNS; run++)); do
			for c in "${CONS_LIST[@]}"; do
				retry flood "$c" "$rate" "$run" ||
				    echo "bench_l7: $c: run $run failed" >&2
			done
		done
	done
	echo "memory and load time: nfqd with the set (nfqd) and without (nfqd-noset)"
	nfqd_conf "$TMP/nfqd-noset.conf" noset
	nfqd_conf "$TMP/nfqd.conf" big
	for c in nfqd-noset nfqd; do
		retry memory "$c" || echo "bench_l7: memory $c failed" >&2
	done
	flood_rules off
	# The same per-flow work in process, without the kernel: what the
	# code costs with the caches warm, and cold as the worker finds them
	# when it wakes up for a few packets (bench_flows.c).
	echo "in process: $BB/bench_flows, caches warm and cold, CPU 1"
	for cache in warm cold; do
		opts=(-f "$LIST" -R "$RUNS")
		[ $cache = cold ] && opts+=(-n 20000 -C 4096 -g 3)
		if taskset -c 1 "$BB/bench_flows" "${opts[@]}" >"$TMP/bf-$cache.out"; then
			awk -v c=$cache '$1 == "run" {
			    printf "P\t%s\t%s\t%s\t%s\n", $3, c, $2, $4 }' \
			    "$TMP/bf-$cache.out" >>"$TSV"
		else
			echo "bench_l7: bench_flows ($cache) failed" >&2
		fi
	done
fi

if [ "$QUIC" = 1 ]; then
	[ -f "$LIST" ] || make_list
	# The warm-up's flows are hellogen's (TCP): both protocols queued.
	flood_rules on && quic_rules on || die "iptables (QUIC flood rules)"
	PROTO=quic
	for rate in "${RATE_LIST[@]}"; do
		QFILE=$TMP/quic-$rate.pcap
		n=$(awk -v r="$rate" -v d="$DURATION" 'BEGIN { printf "%d", r * d }')
		t0=$(now)
		"$QUICGEN" -w "$QFILE" -f "$LIST" -m "$MISS" -n "$n" -k 2 \
		    -p $PORT >"$TMP/qgen.out" 2>"$TMP/qgen.err" ||
		    die "quicgen -w failed: $(head -1 "$TMP/qgen.err")"
		# wrote N connections M datagrams (L listed, U made up)
		QLISTED=$(awk '$1 == "wrote" { print substr($6, 2) }' "$TMP/qgen.out")
		echo "QUIC flood: $rate connections/s, $n connections (2" \
		    "Initials each, $QLISTED listed) written in" \
		    "$(( ($(now) - t0) / 1000 )) ms, $(stat -c %s "$QFILE") bytes"
		for ((run = 1; run <= RUNS; run++)); do
			for c in "${CONS_LIST[@]}"; do
				retry flood "$c" "$rate" "$run" ||
				    echo "bench_l7: QUIC $c: run $run failed" >&2
			done
		done
		rm -f "$QFILE"
	done
	PROTO=tls
	quic_rules off
	flood_rules off
	echo "in process: $BB/bench_quic, CPU 1"
	if taskset -c 1 "$BB/bench_quic" -R "$RUNS" >"$TMP/bq.out"; then
		awk '$1 == "run" { printf "B\t%s\t%s\t%s\n", $3, $2, $4 }' \
		    "$TMP/bq.out" >>"$TSV"
	else
		echo "bench_l7: bench_quic failed" >&2
	fi
fi

if [ "$TRANSFER" = 1 ]; then
	[ -f "$LIST" ] || make_list
	start_sink
	echo "transfer: $BYTES bytes, sender on CPU 0, receiver on CPU 1"
	for ((run = 1; run <= RUNS; run++)); do
		for v in none rules nfqd; do
			retry transfer "$v" "$run" ||
			    echo "bench_l7: transfer $v: run $run failed" >&2
		done
	done
	no_rules
fi
elapsed=$(( ($(now) - bench_start) / 1000000 ))
busy_after=$(busy_pct)

# ---------------------------------------------------------------- report

# col TYPE NAME KEY COLUMN: the values of COLUMN of the TYPE rows whose
# column 2 is NAME and column 3 KEY ("" for any), one a line.
col() {
	awk -F'\t' -v t="$1" -v n="$2" -v k="$3" -v f="$4" \
	    '$1 == t && $2 == n && (k == "" || $3 == k) { print $f }' "$TSV"
}
med() { col "$@" | median; }
minmax() { col "$@" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { if (NR) printf "%.0f-%.0f", a, b }'; }
# paired TYPE A B KEY COLUMN RUNCOL: the median over runs of A's value
# over B's (runs with the same number ran one after the other).
paired() {
	awk -F'\t' -v t="$1" -v a="$2" -v b="$3" -v k="$4" -v f="$5" -v r="$6" '
	    $1 == t && (k == "" || $3 == k) && $2 == a { x[$r] = $f }
	    $1 == t && (k == "" || $3 == k) && $2 == b { y[$r] = $f }
	    END { for (i in x) if ((i in y) && y[i] > 0) print x[i] / y[i] }' \
	    "$TSV" | median
}
FT=F	# the flood rows nmed and lost read: F (TLS) or Q (QUIC)
nmed() { [ "${1%%-*}" = nfqd ] && med $FT "$@" || echo -; }
lost() { awk -F'\t' -v t=$FT -v c="$1" -v r="$2" '$1 == t && $2 == c && $3 == r { print $6 - $9 }' "$TSV" | median; }
# flood_rows PER-SECOND L7-COUNTER: the table of the flood FT, a row per
# rate and consumer.
flood_rows() {
	local rate c
	printf '%-10s %7s %8s %9s %10s %11s %11s %6s %6s %6s %6s %9s %9s %9s %8s %8s %9s\n' \
	    consumer rate "$1" packets handled "CPU ns/pkt" "(min-max)" \
	    "CPU %" "runq %" pkt/wk lost "$2" "hits" listed evicted errors "PSS KiB"
	for rate in "${RATE_LIST[@]}"; do
		for c in "${CONS_LIST[@]}"; do
			printf '%-10s %7s %8.0f %9.0f %10.0f %11.0f %11s %6.1f %6.1f %6.1f %6.0f %9s %9s %9s %8s %8s %9s\n' \
			    "$c" "$rate" "$(med $FT $c $rate 8)" "$(med $FT $c $rate 6)" \
			    "$(med $FT $c $rate 9)" "$(med $FT $c $rate 10)" \
			    "$(minmax $FT $c $rate 10)" "$(med $FT $c $rate 14)" \
			    "$(med $FT $c $rate 15)" "$(med $FT $c $rate 16)" \
			    "$(lost $c $rate)" \
			    "$(nmed $c $rate 20)" "$(nmed $c $rate 21)" \
			    "$(med $FT $c $rate 7)" "$(nmed $c $rate 22)" \
			    "$(nmed $c $rate 24)" "$(nmed $c $rate 27)"
		done
	done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.3f", a / b; else printf "-" }'; }
# cpu_ratio TYPE LABEL RATE A B: "LABEL: CPU/packet A / B = R (per run: R)",
# of the floods of TYPE (F: TLS, Q: QUIC) at RATE.
cpu_ratio() {
	echo "$2: CPU/packet $4 / $5 = $(ratio "$(med "$1" "$4" "$3" 10)" "$(med "$1" "$5" "$3" 10)") (per run: $(paired "$1" "$4" "$5" "$3" 10 4 | awk '{ printf "%.3f", $1 }'))"
}

echo
echo "== $machine_cpu, $machine_nproc CPUs, Linux $machine_kernel; nfqd $commit; $started"
if [ "$FLOOD" = 1 ]; then
	echo "== flood: new flows (a SYN and a ClientHello of 517 bytes each), $NAMES names in the set, $MISS of the hellos for other names; medians of $RUNS runs of $DURATION s; generator on CPU 0, consumer on CPU 1"
	flood_rows flows/s l7_tls
	for rate in "${RATE_LIST[@]}"; do
		for c in "${CONS_LIST[@]}"; do
			[ "$c" = refq ] && continue
			cpu_ratio F "at $rate flows/s" "$rate" "$c" refq
			[ "$c" = nfqd-b ] &&
			    cpu_ratio F "at $rate flows/s" "$rate" nfqd-b nfqd
		done
		# Every hello parsed: l7_tls = flows, hits = listed, received =
		# packets, in every run of nfqd (and nfqd-b).
		for c in nfqd nfqd-b; do
			awk -F'\t' -v r="$rate" -v c=$c '$1 == "F" && $2 == c && $3 == r {
				n++
				if ($20 == $5 && $21 == $7 && $19 == $6) ok++
				else printf "  %s run %d: flows %d, l7_tls %s; listed %d, hits %s; packets %d, received %s\n", c, $4, $5, $20, $7, $21, $6, $19
			} END { if (n) printf "  %s read every hello and matched every listed name in %d of %d runs\n", c, ok, n }' "$TSV"
		done
	done
	echo "== nfqd's memory (PSS of master and worker) and the time nfqd -t takes"
	printf '%-11s %12s %14s %12s\n' config "PSS ready" "PSS flooded" "nfqd -t s"
	awk -F'\t' '$1 == "M" { printf "%-11s %8d KiB %10d KiB %12.3f\n", $2, $3, $4, $5 / 1e6 }' "$TSV"
	awk -F'\t' '$1 == "M" { p[$2] = $3; q[$2] = $4; t[$2] = $5 } END {
		if (("nfqd" in p) && ("nfqd-noset" in p))
			printf "the set of %d names: %.1f MiB ready (%.1f bytes a name), %.3f s more for nfqd -t\n",
			    n, (p["nfqd"] - p["nfqd-noset"]) / 1024,
			    (p["nfqd"] - p["nfqd-noset"]) * 1024 / n,
			    (t["nfqd"] - t["nfqd-noset"]) / 1e6 }' n="$(wc -l <"$LIST")" "$TSV"
	echo "== in process (bench_flows): the engine's ns per flow (a SYN and its hello), medians of $RUNS runs; set: the rule and the set of nfqd, one: of nfqd-noset, plain: of nfqd-plain"
	printf '%-6s %10s %15s %10s %15s\n' config warm "(min-max)" cold "(min-max)"
	for k in set one plain; do
		printf '%-6s %10.0f %15s %10.0f %15s\n' $k "$(med P $k warm 5)" \
		    "$(minmax P $k warm 5)" "$(med P $k cold 5)" \
		    "$(minmax P $k cold 5)"
	done
fi
if [ "$QUIC" = 1 ]; then
	FT=Q
	echo "== QUIC flood: new connections (a post-quantum ClientHello of 1.4 KB in two QUIC v1 Initials of 1,200 bytes), $NAMES names in the set, $MISS of the hellos for other names; medians of $RUNS runs of $DURATION s; generator on CPU 0, consumer on CPU 1"
	flood_rows conns/s l7_quic
	for rate in "${RATE_LIST[@]}"; do
		for c in "${CONS_LIST[@]}"; do
			[ "$c" = refq ] && continue
			cpu_ratio Q "QUIC at $rate connections/s" "$rate" "$c" refq
			[ "$c" = nfqd-b ] &&
			    cpu_ratio Q "QUIC at $rate connections/s" "$rate" \
			    nfqd-b nfqd
		done
		for c in nfqd nfqd-b; do
			awk -F'\t' -v r="$rate" -v c=$c '$1 == "Q" && $2 == c && $3 == r {
				n++
				if ($20 == $5 && $21 == $7 && $19 == $6 && $25 == $5 && $24 == 0) ok++
				else printf "  %s run %d: connections %d, l7_quic %s; listed %d, hits %s; packets %d, received %s; pending %s; l7_errors %s\n", c, $4, $5, $20, $7, $21, $6, $19, $25, $24
			} END { if (n) printf "  %s read every hello, matched every listed name, passed every first Initial pending in %d of %d runs\n", c, ok, n }' "$TSV"
		done
	done
	FT=F
	echo "== in process (bench_quic): nfqd's QUIC reader, ns per connection, medians of $RUNS runs; one: a hello in one Initial; pq2: a post-quantum hello in two; keys: the key derivation alone"
	printf '%-6s %10s %15s\n' shape "ns/conn" "(min-max)"
	for k in one pq2 keys; do
		printf '%-6s %10.0f %15s\n' $k "$(med B $k "" 4)" "$(minmax B $k "" 4)"
	done
fi
if [ "$TRANSFER" = 1 ]; then
	echo "== transfer: $BYTES bytes over one TCP connection; medians of $RUNS runs"
	printf '%-6s %10s %15s %9s %14s\n' setup "MB/s" "(min-max)" seconds "nfqd received"
	for v in none rules nfqd; do
		printf '%-6s %10.1f %15s %9.3f %14s\n' "$v" "$(med X $v "" 6)" \
		    "$(minmax X $v "" 6)" "$(med X $v "" 5)" \
		    "$( [ $v = nfqd ] && med X $v "" 7 || echo -)"
	done
	echo "throughput nfqd / none = $(ratio "$(med X nfqd "" 6)" "$(med X none "" 6)") (per run: $(paired X nfqd none "" 6 3 | awk '{ printf "%.3f", $1 }')); rules / none = $(ratio "$(med X rules "" 6)" "$(med X none "" 6)")"
	echo "packets of each transfer nfqd received: $(col X nfqd "" 7 | sort -n | uniq -c | awk '{ printf "%s%s (%d runs)", sep, $2, $1; sep = ", " }')"
fi
kept=$(awk -F'\t' -v t="$RETRY_PCT" '(($1 == "F" || $1 == "Q") && $15 > t) ||
    ($1 == "X" && ($10 > t || $11 > 2 * t))' "$TSV" | wc -l)
[ "$kept" -gt 0 ] && echo "warning: in $kept runs kept the measured process waited for its CPU over $RETRY_PCT% of the time: something else ran there, and those figures are perturbed"
echo "machine busy before/after: ${busy_before}% / ${busy_after}% (all CPUs, 1 s);" \
    "$RETRIED runs repeated because something else ran on the CPU"

mkdir -p "$(dirname "$JSON")"
jq -R -s --arg cpu "$machine_cpu" --argjson nproc "$machine_nproc" \
    --arg kernel "$machine_kernel" --arg date "$started" --arg commit "$commit" \
    --arg nver "$nfqd_version" --arg nsha "$nfqd_sha" --arg nbuilt "$nfqd_built" \
    --argjson runs "$RUNS" --argjson duration "$DURATION" --arg rates "$RATES" \
    --argjson names "$NAMES" --argjson miss "$MISS" --argjson bytes "$BYTES" \
    --argjson elapsed "$elapsed" --argjson busy0 "$busy_before" \
    --argjson busy1 "$busy_after" --argjson retried "$RETRIED" '
def num: if test("^-?[0-9.]+$") then tonumber elif . == "-" then null else . end;
[split("\n")[] | select(length > 0) | split("\t") | map(num)] as $rows |
{
  machine: {cpu: $cpu, nproc: $nproc, kernel: $kernel,
    busy_pct_before: $busy0, busy_pct_after: $busy1},
  date: $date, elapsed_s: $elapsed, runs_repeated: $retried,
  nfqd: {version: $nver, tree: $commit, built: $nbuilt, sha256_prefix: $nsha},
  settings: {runs: $runs, duration_s: $duration,
    rates: ($rates | split(",") | map(tonumber)), names: $names, miss: $miss,
    bytes: $bytes, generator_cpu: 0, consumer_cpu: 1},
  flood: [$rows[] | select(.[0] == "F") | {consumer: .[1], rate: .[2],
    run: .[3], flows: .[4], packets: .[5], listed: .[6], flows_per_s: .[7],
    handled: .[8], cpu_ns_per_pkt: .[9], queue_dropped: .[10],
    user_dropped: .[11], lost_other: .[12], cpu_busy_pct: .[13],
    runq_wait_pct: .[14], pkts_per_wakeup: .[15], copy_range: .[16],
    accepted: .[17], nfqd_received: .[18], l7_tls: .[19], rule_hits: .[20],
    flows_evicted: .[21], flows_full: .[22], l7_errors: .[23],
    l7_pending: .[24], nfqd_dropped: .[25], pss_kib: .[26]}],
  memory: [$rows[] | select(.[0] == "M") | {config: .[1], pss_ready_kib: .[2],
    pss_flooded_kib: .[3], nfqd_t_us: .[4]}],
  in_process: [$rows[] | select(.[0] == "P") | {config: .[1], caches: .[2],
    run: .[3], ns_per_flow: .[4]}],
  quic_flood: [$rows[] | select(.[0] == "Q") | {consumer: .[1], rate: .[2],
    run: .[3], connections: .[4], packets: .[5], listed: .[6],
    conns_per_s: .[7], handled: .[8], cpu_ns_per_pkt: .[9],
    queue_dropped: .[10], user_dropped: .[11], lost_other: .[12],
    cpu_busy_pct: .[13], runq_wait_pct: .[14], pkts_per_wakeup: .[15],
    accepted: .[17], nfqd_received: .[18], l7_quic: .[19],
    rule_hits: .[20], flows_evicted: .[21], flows_full: .[22],
    l7_errors: .[23], l7_pending: .[24], nfqd_dropped: .[25],
    pss_kib: .[26]}],
  quic_in_process: [$rows[] | select(.[0] == "B") | {shape: .[1],
    run: .[2], ns_per_conn: .[3]}],
  transfer: [$rows[] | select(.[0] == "X") | {setup: .[1], run: .[2],
    bytes: .[3], seconds: .[4], mb_per_s: .[5], nfqd_received: .[6],
    l7_other: .[7], l7_pending: .[8], runq_wait_pct: .[9],
    sender_runq_wait_pct: .[10]}]
}' "$TSV" >"$JSON" || die "writing $JSON failed"
echo "results: $JSON ($elapsed s)"
