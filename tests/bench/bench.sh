#!/bin/bash
# nfqd benchmark: throughput, CPU per packet and added latency of NFQUEUE
# consumers, measured side by side.  Run as root:
#
#   tests/bench/bench.sh [--quick] [--runs N] [--duration S] [--rates LIST]
#                        [--sizes LIST] [--consumers LIST] [--rules N]
#                        [--no-latency] [--probe-interval USEC] [--retry N]
#                        [--json FILE]
#
#   generator (NSG)  veth0 10.78.0.1/24      udpgen / udpecho client, CPU 0
#   consumer  (NSC)  veth1 10.78.0.2/24      consumer under test, CPU 1
#                    mangle PREROUTING  udp dport 9999 -j NFQUEUE --queue-num 0
#                    filter INPUT       udp dport 9999 -j DROP   (counts accepts)
#
# Consumers: nfqd (one worker), refq (tests/bench/refq.c, the least work per
# packet), classicq (tests/bench/classicq.c, the tutorial loop), and with
# --rules N (or NFQD_RULES=N) "nfqd-rN": nfqd with N rules that never match.
# NFQD_QUEUE='copy_range = "auto";' adds settings to nfqd's queue group.
# Each (rate, size) case runs every consumer in turn, A B C A B C ..., and
# reports medians.  See docs/performance.md for the method.
#
# Everything happens in two namespaces with random names, deleted on exit
# with every process the benchmark started.  The host's interfaces and
# firewall are never touched.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP" || exit 1
ME=bench
# shellcheck source=tests/bench/lib.sh
. "$TOP/tests/bench/lib.sh"

# sleep_until T: until now() is T.
sleep_until() {
	local d=$(( $1 - $(now) ))
	[ "$d" -gt 0 ] && sleep "$(printf '%d.%06d' $((d / 1000000)) $((d % 1000000)))"
	return 0
}
NFQD=$TOP/build/nfqd
UDPGEN=$TOP/build/tools/udpgen
BB=$TOP/build/bench

RUNS=5
DURATION=3
RATES=50000,100000,max
SIZES=64,1400
CONSUMERS=nfqd,refq,classicq
LATENCY=1
PROBE_US=500
RETRY=2
RETRY_PCT=5
RULES=${NFQD_RULES:-0}
JSON=

usage() {
	cat <<EOF
usage: tests/bench/bench.sh [options]      (as root; needs CPUs 0 and 1)
  --runs N              runs per case, medians reported (default $RUNS)
  --duration S          seconds of traffic per run (default $DURATION)
  --rates LIST          packets/s, "max" = udpgen without -r
                        (default $RATES)
  --sizes LIST          UDP payload bytes (default $SIZES)
  --consumers LIST      from nfqd,refq,classicq (default $CONSUMERS)
  --rules N             also measure nfqd with N never-matching rules
                        (also NFQD_RULES=N); skipped by an nfqd without rules
  --no-latency          skip the round-trip measurements
  --probe-interval US   latency probe interval, microseconds (default $PROBE_US)
  --retry N             run a measurement again, up to N times, when the
                        consumer waited for CPU 1 more than $RETRY_PCT% of the
                        time (something else ran there) (default $RETRY)
  --json FILE           results file (default build/bench/bench-DATE.json)
  --quick               smoke test: 2 runs of 2 s, 100000 pps, 64 bytes
EOF
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=${2:?}; shift ;;
	--duration) DURATION=${2:?}; shift ;;
	--rates) RATES=${2:?}; shift ;;
	--sizes) SIZES=${2:?}; shift ;;
	--consumers) CONSUMERS=${2:?}; shift ;;
	--rules) RULES=${2:?}; shift ;;
	--no-latency) LATENCY=0 ;;
	--probe-interval) PROBE_US=${2:?}; shift ;;
	--retry) RETRY=${2:?}; shift ;;
	--json) JSON=${2:?}; shift ;;
	--quick) RUNS=2 DURATION=2 RATES=100000 SIZES=64 ;;
	-h|--help) usage 0 ;;
	*) echo "bench: unknown option $1" >&2; usage ;;
	esac
	shift
done

isnum "$RUNS" && [ "$RUNS" -ge 1 ] || die "--runs: a positive integer"
[[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] &&
    awk -v d="$DURATION" 'BEGIN { exit !(d >= 1) }' ||
    die "--duration: seconds, at least 1"
isnum "$RULES" || die "--rules: a number"
isnum "$RETRY" || die "--retry: a number"
isnum "$PROBE_US" && [ "$PROBE_US" -ge 50 ] || die "--probe-interval: >= 50"
IFS=, read -r -a RATE_LIST <<<"$RATES"
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
IFS=, read -r -a CONS_LIST <<<"$CONSUMERS"
for r in "${RATE_LIST[@]}"; do
	[ "$r" = max ] || { isnum "$r" && [ "$r" -gt 0 ]; } ||
	    die "--rates: numbers or max, got '$r'"
done
for s in "${SIZE_LIST[@]}"; do
	isnum "$s" && [ "$s" -ge 16 ] && [ "$s" -le 1472 ] ||
	    die "--sizes: 16 to 1472 bytes, got '$s'"
done
for c in "${CONS_LIST[@]}"; do
	case $c in nfqd|refq|classicq) ;; *) die "--consumers: unknown '$c'" ;;
	esac
done
[ "$RULES" -gt 0 ] && CONS_LIST+=("nfqd-r$RULES")

[ "$(id -u)" = 0 ] || die "needs root (namespaces, iptables, NFQUEUE)"
[ -d /sys/devices/system/cpu/cpu1 ] && [ "$(nproc --all)" -ge 2 ] ||
    die "needs two CPUs: the generator runs on CPU 0, the consumer on CPU 1"
for t in ip iptables nsenter taskset pgrep jq awk cc pkg-config make sha256sum; do
	command -v $t >/dev/null || die "$t is missing (scripts/deps.sh installs it)"
done

# ---------------------------------------------------------------- build

CC=${CC:-cc}
BENCH_CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -Wpointer-arith -Wformat=2 -D_GNU_SOURCE -Iinclude"

build() {
	local x
	if [ ! -x "$NFQD" ] || [ ! -x "$UDPGEN" ]; then
		make -s all build/tools/udpgen || die "make failed"
	fi
	if [ -n "$(find src include -newer "$NFQD" -name '*.[ch]' 2>/dev/null)" ]; then
		echo "bench: note: build/nfqd is older than src/ or include/;" \
		    "'make' to measure the current code" >&2
	fi
	mkdir -p "$BB"
	for x in refq classicq udpecho; do
		if [ ! -x "$BB/$x" ] || [ "tests/bench/$x.c" -nt "$BB/$x" ]; then
			# shellcheck disable=SC2086,SC2046
			$CC $BENCH_CFLAGS -o "$BB/$x" "tests/bench/$x.c" \
			    $(pkg-config --cflags --libs libnetfilter_queue libmnl) ||
			    die "building $x failed"
		fi
	done
}
build

# ---------------------------------------------------------------- setup

SFX=$(tr -dc a-z0-9 </dev/urandom | head -c 6)
NSG=nfqb-g-$SFX
NSC=nfqb-c-$SFX
A1=10.78.0.1
A2=10.78.0.2
PORT=9999		# the measured flow
EPORT=7777		# latency probes
TMP=$(mktemp -d /tmp/nfqd-bench.XXXXXX)
TSV=$TMP/results.tsv
declare -A PIDS=()	# background processes we started and have not reaped
CPID=			# the running consumer
HOLDER=			# a process that sits in NSC: /proc/HOLDER/net is NSC's

trap cleanup EXIT
trap 'exit 130' INT TERM HUP

keep_nfqd

# The script and everything it starts run on CPU 0, with the generator; only
# the consumer runs on CPU 1 (taskset -c 1).
taskset -p -c 0 $$ >/dev/null || die "cannot pin the benchmark to CPU 0"

setup_net() {
	net_pair
	inc iptables -A INPUT -p udp --dport $PORT -j DROP || die "iptables"
	inc iptables -t mangle -A PREROUTING -p udp --dport $PORT \
	    -j NFQUEUE --queue-num 0 || die "iptables NFQUEUE"
}

# Echo requests are queued too, in the latency phase only.
queue_echo() {	# on|off
	local op=-D
	[ "$1" = on ] && op=-A
	inc iptables -t mangle $op PREROUTING -p udp --dport $EPORT \
	    -j NFQUEUE --queue-num 0
}
queue_flow() {	# on|off
	local op=-D
	[ "$1" = on ] && op=-A
	inc iptables -t mangle $op PREROUTING -p udp --dport $PORT \
	    -j NFQUEUE --queue-num 0
}

unbound() { [ -z "$(kq)" ]; }

# ---------------------------------------------------------------- consumers

# The hook for the rule engine: N L3/L4 rules in libconfig syntax that never
# match the benchmark's traffic (UDP to 10.78.0.2), so every packet is still
# accepted by default_verdict.  Adjust the syntax here when the engine lands.
gen_rules() {
	local n=$1 i sep=
	echo "rules = ("
	for ((i = 0; i < n; i++)); do
		printf '%s  { name = "r%d"; dst = "198.%d.%d.0/24"; proto = "%s"; dst_port = %d; verdict = "drop"; }' \
		    "$sep" $i $((18 + i / 256 % 2)) $((i % 256)) \
		    "$( [ $((i % 2)) = 0 ] && echo tcp || echo udp)" $((1024 + i))
		sep=$',\n'
	done
	printf '\n);\n'
}

nfqd_conf() {	# FILE [RULES]
	cat >"$1" <<CONF
daemon: { pidfile = "$TMP/nfqd.pid"; log_level = "notice"; };
stats: { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
queue: { balance = "0:0"; cpu_affinity = "none"; fail_open = false; ${NFQD_QUEUE:-} };
default_verdict = "accept";
CONF
	[ "${2:-0}" -gt 0 ] && gen_rules "$2" >>"$1"
	return 0
}

SKIPPED=()
check_rules() {
	local c=nfqd-r$RULES out
	nfqd_conf "$TMP/$c.conf" "$RULES"
	out=$("$NFQD" -t -c "$TMP/$c.conf" 2>&1) && return 0
	if echo "$out" | grep -Eq "rules: unknown setting|unknown setting '?rules'?"; then
		echo "bench: $c: skipped: nfqd has no rule engine yet ($(echo "$out" | head -n 1))"
		SKIPPED+=("$c")
		printf 'S\t%s\t%s\n' "$c" "nfqd has no rule engine yet" >>"$TSV"
		local keep=() x
		for x in "${CONS_LIST[@]}"; do
			[ "$x" = "$c" ] || keep+=("$x")
		done
		CONS_LIST=("${keep[@]}")
		return 0
	fi
	echo "$out" >&2
	die "nfqd refused the $RULES generated rules (see gen_rules in $0)"
}

# start_consumer NAME: run it in NSC on CPU 1; wait until queue 0 is bound
# with copy mode "packet" (and for nfqd, its worker runs).  Sets CPID.
start_consumer() {
	local c=$1 log=$TMP/$1.log
	: >"$log"
	wait_until 5 unbound || { echo "bench: queue 0 still bound" >&2; return 1; }
	case $c in
	nfqd|nfqd-r*)
		local nrules=0
		[ "$c" = nfqd ] || nrules=${c#nfqd-r}
		[ -f "$TMP/$c.conf" ] || nfqd_conf "$TMP/$c.conf" "$nrules"
		# ip netns exec and taskset exec: $! is nfqd itself.
		ip netns exec "$NSC" taskset -c 1 "$NFQD" -c "$TMP/$c.conf" \
		    >>"$log" 2>&1 &
		CPID=$!
		PIDS[$CPID]=1
		wait_until 10 _nfqd_ready || { _start_failed "$c"; return 1; }
		;;
	refq|classicq)
		ip netns exec "$NSC" taskset -c 1 "$BB/$c" >>"$log" 2>&1 &
		CPID=$!
		PIDS[$CPID]=1
		wait_until 10 _simple_ready "$c" || { _start_failed "$c"; return 1; }
		;;
	esac
}
# The worker sleeps (state S) once its set-up is done and it waits in epoll.
_nfqd_ready() {
	local w
	bound && w=$(pgrep -P "$CPID") && [ -n "$w" ] &&
	    [ "$(awk '{ print $3 }' /proc/"$w"/stat 2>/dev/null)" = S ]
}
_simple_ready() { bound && grep -q "ready" "$TMP/$1.log"; }

consumer_pids() { echo "$CPID" $(pgrep -P "$CPID"); }

# ---------------------------------------------------------------- throughput

# retry FUNCTION ARGS...: run a measurement, which leaves its result line in
# TMP/row and in RUNQ the percentage of the time the consumer was runnable
# but waiting for CPU 1.  Over RETRY_PCT, something else was running there
# (the machine is shared): run it again, up to RETRY times, and keep the last.
RETRIED=0
retry() {
	local i
	for ((i = 0; ; i++)); do
		"$@" || return 1
		awk -v w="$RUNQ" -v t="$RETRY_PCT" 'BEGIN { exit !(w > t) }' ||
		    break
		[ "$i" -lt "$RETRY" ] || break
		echo "  (the consumer waited for CPU 1 ${RUNQ}% of the time:" \
		    "something else ran there; running it again)"
		RETRIED=$((RETRIED + 1))
	done
	cat "$TMP/row" >>"$TSV"
}

# measure CONSUMER RATE SIZE RUN: one run; its "T" line goes to TMP/row.
measure() {
	local c=$1 rate=$2 size=$3 run=$4 gpid d0 d1 k0 k1 pids c0 c1
	local t0 ta tb da db s1 s2 w a b sent send_s ra=()
	start_consumer "$c" || return 1
	pids=$(consumer_pids)
	k0=$(kq)
	d0=$(delivered)
	c0=$(cpu_ns $pids)
	[ "$rate" != max ] && ra=(-r "$rate")
	t0=$(now)
	ip netns exec "$NSG" "$UDPGEN" -d $A2 -p $PORT -t "$DURATION" \
	    "${ra[@]}" -s "$size" -c 0 >"$TMP/gen.out" 2>"$TMP/gen.err" &
	gpid=$!
	PIDS[$gpid]=1
	# The verdict rate is taken between two samples inside the sending
	# interval, away from its start and end.
	w=$(awk -v d="$DURATION" 'BEGIN { w = d * 0.15; if (w > 0.4) w = 0.4
	    printf "%.0f", w * 1e6 }')
	a=$((t0 + w))
	b=$((t0 + $(awk -v d="$DURATION" 'BEGIN { printf "%.0f", d * 1e6 }') - w))
	sleep_until $a
	s1=$(now); da=$(delivered); s2=$(now); ta=$(( (s1 + s2) / 2 ))
	sleep_until $b
	s1=$(now); db=$(delivered); s2=$(now); tb=$(( (s1 + s2) / 2 ))
	wait "$gpid"
	unset "PIDS[$gpid]"
	sent=$(awk '$1 == "sent" { print $2 }' "$TMP/gen.out")
	send_s=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' "$TMP/gen.err")
	LAST_ID=
	wait_until 10 drained || echo "bench: $c: queue did not drain" >&2
	c1=$(cpu_ns $pids)
	d1=$(delivered)
	local t1
	t1=$(now)
	k1=$(kq)
	if [ "$(consumer_pids)" != "$pids" ]; then
		echo "bench: $c: its processes changed during the run" \
		    "($pids -> $(consumer_pids)); CPU time is incomplete" >&2
	fi
	stop_consumer
	[ -n "$sent" ] && [ -n "$k1" ] || {
		echo "bench: $c: run failed (sent '${sent:-}', queue '$k1')" >&2
		cat "$TMP/gen.err" >&2
		return 1
	}
	# k: queue_total copy_mode queue_dropped user_dropped id_sequence
	# copy_range
	set -- $k0
	local qd0=$3 ud0=$4
	set -- $c0
	local on0=$1 wait0=$2 sl0=$3
	set -- $c1
	local on=$(($1 - on0)) waitq=$(($2 - wait0)) slices=$(($3 - sl0))
	set -- $k1
	awk -v c="$c" -v rate="$rate" -v size="$size" -v run="$run" \
	    -v sent="$sent" -v del=$((d1 - d0)) -v dd=$((db - da)) \
	    -v dt=$((tb - ta)) -v cpu=$on -v qd=$(($3 - qd0)) \
	    -v ud=$(($4 - ud0)) -v ss="$send_s" -v wq=$waitq \
	    -v span=$((t1 - t0)) -v sl=$slices -v cr="$6" \
	    'BEGIN {
		pps = dt > 0 ? dd * 1e6 / dt : 0
		printf "T\t%s\t%s\t%d\t%d\t%d\t%d\t%.0f\t%.1f\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.1f\t%d\n",
		    c, rate, size, run, sent, del, pps,
		    (del > 0 ? cpu / del : 0), qd, ud, sent - del - qd - ud,
		    (ss > 0 ? sent / ss : 0), cpu / span / 10, wq / span / 10,
		    (sl > 0 ? del / sl : 0), cr
	    }' >"$TMP/row"
	RUNQ=$(cut -f 15 "$TMP/row")
	awk -F'\t' '{
		printf "  run %d %-10s %7s pps %4d B: sent %d, verdicted %d (%d/s), %s ns/pkt, lost %d (queue %d, socket %d, before the queue %d); on CPU %s%%, waiting for it %s%%; %s packets per wake-up\n",
		    $5, $2, $3, $4, $6, $7, $8, $9, $6 - $7, $10, $11, $12, $14, $15, $16 }' \
	    "$TMP/row"
}

# ---------------------------------------------------------------- latency

ECHO_PID=
start_echo() {
	ip netns exec "$NSC" "$BB/udpecho" -l -p $EPORT -c 0 &
	ECHO_PID=$!
	PIDS[$ECHO_PID]=1
	wait_until 5 _probe_ok || die "the echo server does not answer"
}
_probe_ok() {
	ing "$BB/udpecho" -d $A2 -p $EPORT -n 1 -w 200 | grep -q "lost 0"
}

# latency CONSUMER LOAD_PPS RUN: LOAD_PPS 0 = probes only.  Its "L" line
# goes to TMP/row.
latency() {
	local c=$1 load=$2 run=$3 gpid="" out n
	n=$(awk -v d="$DURATION" -v i="$PROBE_US" 'BEGIN { printf "%d", d * 1e6 / i }')
	local pids="" c0="" c1="" t0 wq=0
	if [ "$c" = none ]; then
		queue_flow off; queue_echo off
	else
		start_consumer "$c" || return 1
		pids=$(consumer_pids)
	fi
	if [ "$load" -gt 0 ]; then
		ip netns exec "$NSG" "$UDPGEN" -d $A2 -p $PORT -r "$load" -s 64 \
		    -c 0 -t "$(awk -v d="$DURATION" 'BEGIN { print d + 2 }')" \
		    >/dev/null 2>&1 &
		gpid=$!
		PIDS[$gpid]=1
		sleep 0.3	# let the flow reach its rate before the probes
	fi
	[ -n "$pids" ] && c0=$(cpu_ns $pids)
	t0=$(now)
	out=$(ing "$BB/udpecho" -d $A2 -p $EPORT -n "$n" -i "$PROBE_US" \
	    -s 64 -w 500 -c 0)
	if [ -n "$pids" ]; then
		# Time the consumer was runnable but waiting for CPU 1.
		c1=$(cpu_ns $pids)
		wq=$(( ($(echo "$c1" | cut -d' ' -f2) - $(echo "$c0" | cut -d' ' -f2)) \
		    / 10 / ($(now) - t0) ))
	fi
	if [ -n "$gpid" ]; then
		kill -TERM "$gpid" 2>/dev/null
		wait "$gpid" 2>/dev/null
		unset "PIDS[$gpid]"
	fi
	if [ "$c" = none ]; then
		queue_flow on; queue_echo on
	else
		stop_consumer
	fi
	[ -n "$out" ] || { echo "bench: $c: no output from udpecho" >&2; return 1; }
	set -- $out
	# probes N received N lost N min_us X p50_us X p90_us X p99_us X max_us X
	printf 'L\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$load" \
	    "$run" "$2" "$4" "${10}" "${12}" "${14}" "${16}" "$wq" >"$TMP/row"
	RUNQ=$wq
	printf '  run %d %-10s load %6s/s: p50 %s us, p99 %s us, lost %s of %s; consumer waiting for CPU 1 %s%%\n' \
	    "$run" "$c" "$load" "${10}" "${14}" "$6" "$2" "$wq"
}

# max_rate CONSUMER: median verdicted/s at the generator's maximum, 64 bytes.
max_rate() {
	awk -F'\t' -v c="$1" '$1 == "T" && $2 == c && $3 == "max" && $4 == 64 {
		print $8 }' "$TSV" | sort -n | awk '{ v[++n] = $1 } END {
		if (n > 0) printf "%d", (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) }'
}

# ---------------------------------------------------------------- main

machine_cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine_nproc=$(nproc --all)
machine_kernel=$(uname -r)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
nfqd_version=$("$NFQD" -V 2>&1 | head -n 1)
nfqd_sha=$(sha256sum "$NFQD" | cut -c 1-16)
[ -n "$JSON" ] || JSON=$BB/bench-$(date -u +%Y%m%dT%H%M%SZ).json
: >"$TSV"

echo "nfqd benchmark: $machine_cpu, $machine_nproc CPUs, Linux $machine_kernel"
echo "nfqd: $nfqd_version, tree $commit, build/nfqd built $nfqd_built (sha256 $nfqd_sha...)"
echo "runs $RUNS x ${DURATION} s; rates $RATES; sizes $SIZES; consumers ${CONS_LIST[*]}"
busy_before=$(busy_pct)
if [ "$busy_before" -gt 5 ]; then
	echo "bench: warning: the machine is ${busy_before}% busy before we start;" \
	    "other work on CPU 1 perturbs the figures (see 'runq %')" >&2
fi
setup_net
[ "$RULES" -gt 0 ] && check_rules
[ "${#CONS_LIST[@]}" -gt 0 ] || die "no consumer left to measure"

bench_start=$(now)
for size in "${SIZE_LIST[@]}"; do
	for rate in "${RATE_LIST[@]}"; do
		echo "throughput: $rate pps, $size bytes"
		for ((run = 1; run <= RUNS; run++)); do
			for c in "${CONS_LIST[@]}"; do
				retry measure "$c" "$rate" "$size" "$run" ||
				    echo "bench: $c: run $run failed" >&2
			done
		done
	done
done

if [ "$LATENCY" = 1 ]; then
	declare -A LOAD
	for c in "${CONS_LIST[@]}"; do
		LOAD[$c]=$(max_rate "$c")
		if [ -z "${LOAD[$c]}" ]; then
			# No max-rate run at 64 bytes this time: measure it once.
			echo "latency: measuring $c's maximum rate (64 bytes) for the load"
			retry measure "$c" max 64 0
			LOAD[$c]=$(max_rate "$c")
		fi
		LOAD[$c]=$(( ${LOAD[$c]:-0} / 2 ))
	done
	# Without a consumer the flow runs at nfqd's load (the first consumer's
	# when nfqd is not measured).
	LOAD[none]=${LOAD[nfqd]:-${LOAD[${CONS_LIST[0]}]}}
	start_echo		# answers before its requests are queued
	queue_echo on
	echo "latency: probes every $PROBE_US us for $DURATION s; load = half" \
	    "the consumer's maximum rate at 64 bytes"
	for ((run = 1; run <= RUNS; run++)); do
		for load in low half; do
			for c in none "${CONS_LIST[@]}"; do
				l=0
				[ $load = half ] && l=${LOAD[$c]}
				retry latency "$c" "$l" "$run" ||
				    echo "bench: latency $c run $run failed" >&2
			done
		done
	done
	kill -TERM "$ECHO_PID" 2>/dev/null
	wait "$ECHO_PID" 2>/dev/null
	unset "PIDS[$ECHO_PID]"
fi
elapsed=$(( ($(now) - bench_start) / 1000000 ))
busy_after=$(busy_pct)

# ---------------------------------------------------------------- report

mkdir -p "$(dirname "$JSON")"
jq -R -s \
    --arg cpu "$machine_cpu" --argjson nproc "$machine_nproc" \
    --arg kernel "$machine_kernel" --arg date "$started" \
    --arg commit "$commit" --argjson runs "$RUNS" \
    --arg nver "$nfqd_version" --arg nsha "$nfqd_sha" --arg nbuilt "$nfqd_built" \
    --argjson duration "$DURATION" --arg rates "$RATES" --arg sizes "$SIZES" \
    --argjson probe_us "$PROBE_US" --argjson rules "$RULES" \
    --argjson elapsed "$elapsed" --argjson busy0 "$busy_before" \
    --argjson busy1 "$busy_after" --argjson retried "$RETRIED" \
    --argjson retry "$RETRY" --argjson retry_pct "$RETRY_PCT" --arg order "none,${CONS_LIST[*]}" '
def median: map(select(. != null)) | sort | length as $n |
    if $n == 0 then null elif $n % 2 == 1 then .[($n - 1) / 2]
    else (.[$n / 2 - 1] + .[$n / 2]) / 2 end |
    if . == null then null else (. * 100 | round) / 100 end;
def num: if test("^[0-9.]+$") then tonumber else . end;
($order | split(" ") | join(",") | split(",")) as $order |
def ord: . as $c | ($order | index([$c])) // 99;
def rkey: if type == "number" then . else 1e12 end;
[split("\n")[] | select(length > 0) | split("\t")] as $rows |
($rows | map(select(.[0] == "T") | {consumer: .[1], rate: (.[2] | num),
    size: (.[3] | tonumber), run: (.[4] | tonumber), sent: (.[5] | tonumber),
    verdicted: (.[6] | tonumber), verdicted_pps: (.[7] | tonumber),
    cpu_ns_per_pkt: (.[8] | tonumber), queue_dropped: (.[9] | tonumber),
    user_dropped: (.[10] | tonumber), lost_before_queue: (.[11] | tonumber),
    offered_pps: (.[12] | tonumber), cpu_busy_pct: (.[13] | tonumber),
    runq_wait_pct: (.[14] | tonumber), pkts_per_wakeup: (.[15] | tonumber),
    copy_range: (.[16] | tonumber)}) |
    map(select(.run > 0))) as $t |
($rows | map(select(.[0] == "L") | {consumer: .[1],
    load_pps: (.[2] | tonumber), run: (.[3] | tonumber),
    probes: (.[4] | tonumber), lost: ((.[4] | tonumber) - (.[5] | tonumber)),
    p50_us: (.[6] | tonumber), p90_us: (.[7] | tonumber),
    p99_us: (.[8] | tonumber), max_us: (.[9] | tonumber),
    runq_wait_pct: (.[10] | tonumber)})) as $l |
($t | group_by([.size, (.rate | tostring), .consumer]) | map({
    consumer: .[0].consumer, rate: .[0].rate, size: .[0].size,
    copy_range: .[0].copy_range,
    median: {verdicted_pps: (map(.verdicted_pps) | median),
        cpu_ns_per_pkt: (map(.cpu_ns_per_pkt) | median),
        cpu_ns_per_pkt_min: (map(.cpu_ns_per_pkt) | min),
        cpu_ns_per_pkt_max: (map(.cpu_ns_per_pkt) | max),
        pkts_per_wakeup: (map(.pkts_per_wakeup) | median),
        offered_pps: (map(.offered_pps) | median),
        sent: (map(.sent) | median), verdicted: (map(.verdicted) | median),
        lost: (map(.sent - .verdicted) | median),
        queue_dropped: (map(.queue_dropped) | median),
        user_dropped: (map(.user_dropped) | median),
        lost_before_queue: (map(.lost_before_queue) | median),
        cpu_busy_pct: (map(.cpu_busy_pct) | median),
        runq_wait_pct: (map(.runq_wait_pct) | median)},
    runs: map(del(.consumer, .rate, .size))}) |
    sort_by([.size, (.rate | rkey), (.consumer | ord)])) as $tp |
($l | group_by([.load_pps > 0, .consumer]) | map({
    consumer: .[0].consumer,
    load: (if .[0].load_pps > 0 then "half" else "low" end),
    load_pps: .[0].load_pps,
    median: {p50_us: (map(.p50_us) | median), p90_us: (map(.p90_us) | median),
        p99_us: (map(.p99_us) | median), lost: (map(.lost) | median),
        runq_wait_pct: (map(.runq_wait_pct) | median)},
    runs: map(del(.consumer))}) |
    sort_by([.load_pps > 0, (.consumer | ord)])) as $lat |
# Runs with the same number ran one after the other: the median of the
# per-run ratios is less sensitive to slow drifts of the machine.
def truns($c; $s): [$tp[] | select(.consumer == $c and .rate == 100000 and
    .size == $s) | .runs[] | {key: (.run | tostring), value: .cpu_ns_per_pkt}] |
    from_entries;
def paired($a; $b; $s): truns($a; $s) as $x | truns($b; $s) as $y |
    [$x | keys[] | select($y[.] != null and $y[.] > 0) | $x[.] / $y[.]] |
    if length == 0 then null else median end;
def tcpu($c; $s): [$tp[] | select(.consumer == $c and .rate == 100000 and
    .size == $s) | .median.cpu_ns_per_pkt][0];
def p50($c; $ld): [$lat[] | select(.consumer == $c and .load == $ld) |
    .median.p50_us][0];
def ratio($a; $b): if $a == null or $b == null or $b == 0 then null
    else ($a / $b * 1000 | round) / 1000 end;
def diff($a; $b): if $a == null or $b == null then null
    else (($a - $b) * 10 | round) / 10 end;
{
  machine: {cpu: $cpu, nproc: $nproc, kernel: $kernel,
    busy_pct_before: $busy0, busy_pct_after: $busy1},
  date: $date, nfqd_commit: $commit, elapsed_s: $elapsed,
  nfqd: {version: $nver, tree: $commit, built: $nbuilt, sha256_prefix: $nsha},
  runs_repeated: $retried,
  settings: {runs: $runs, duration_s: $duration,
    rates: ($rates | split(",") | map(num)),
    sizes: ($sizes | split(",") | map(tonumber)),
    probe_interval_us: $probe_us, nfqd_rules: $rules,
    retry: $retry, retry_runq_pct: $retry_pct,
    generator_cpu: 0, consumer_cpu: 1},
  throughput: $tp,
  latency: $lat,
  ratios: {
    at_100k_pps: ([$tp[] | .size] | unique | map(. as $s | {size: $s,
        nfqd_cpu_over_refq: ratio(tcpu("nfqd"; $s); tcpu("refq"; $s)),
        classicq_cpu_over_nfqd: ratio(tcpu("classicq"; $s); tcpu("nfqd"; $s)),
        nfqd_cpu_over_refq_paired: paired("nfqd"; "refq"; $s),
        classicq_cpu_over_nfqd_paired: paired("classicq"; "nfqd"; $s)})),
    nfqd_minus_refq_p50_us: {low: diff(p50("nfqd"; "low"); p50("refq"; "low")),
        half: diff(p50("nfqd"; "half"); p50("refq"; "half"))}
  },
  skipped: ($rows | map(select(.[0] == "S") | {consumer: .[1], reason: .[2]}))
}' "$TSV" >"$JSON" || die "writing $JSON failed"

echo
echo "== $machine_cpu, $machine_nproc CPUs, Linux $machine_kernel; nfqd $commit; $started"
echo "== throughput: medians of $RUNS runs of $DURATION s; generator on CPU 0, consumer on CPU 1"
jq -r '.throughput[] | [.consumer, (.rate | tostring), .size, .copy_range,
    (.median | .offered_pps, .verdicted_pps, .cpu_ns_per_pkt,
    .cpu_ns_per_pkt_min, .cpu_ns_per_pkt_max, .cpu_busy_pct,
    .runq_wait_pct, .pkts_per_wakeup, .sent, .lost, .queue_dropped,
    .user_dropped, .lost_before_queue)] | @tsv' "$JSON" |
    awk -F'\t' 'BEGIN {
	printf "%-10s %7s %5s %5s %10s %12s %11s %11s %6s %6s %6s %9s %8s %8s %8s %8s\n",
	    "consumer", "rate", "size", "copy", "offered/s", "verdicted/s",
	    "CPU ns/pkt", "(min-max)", "CPU %", "runq %", "pkt/wk", "sent",
	    "lost", "q_drop", "u_drop", "other" }
	{ printf "%-10s %7s %5s %5s %10.0f %12.0f %11.0f %11s %6.1f %6.1f %6.1f %9.0f %8.0f %8.0f %8.0f %8.0f\n",
	    $1, $2, $3, $4, $5, $6, $7, sprintf("%.0f-%.0f", $8, $9), $10,
	    $11, $12, $13, $14, $15, $16, $17 }'
if [ "$LATENCY" = 1 ]; then
	echo "== latency: UDP round trip, $(( ${DURATION%.*} * 1000000 / PROBE_US )) probes every $PROBE_US us; medians of $RUNS runs"
	jq -r '. as $r | .latency[] | . as $x | [.consumer, .load, .load_pps,
	    (.median | .p50_us, .p90_us, .p99_us, .lost, .runq_wait_pct),
	    ([$r.latency[] | select(.consumer == "none" and .load == $x.load) |
	      .median.p50_us][0] as $n | if $n == null then "-" else
	      ((($x.median.p50_us - $n) * 10 | round) / 10) end)] | @tsv' \
	    "$JSON" | awk -F'\t' 'BEGIN {
		printf "%-10s %5s %9s %8s %8s %8s %6s %6s %14s\n", "consumer",
		    "load", "flow/s", "p50 us", "p90 us", "p99 us", "lost",
		    "runq %", "p50 - none us" }
		{ printf "%-10s %5s %9s %8.1f %8.1f %8.1f %6.0f %6s %14s\n",
		    $1, $2, $3, $4, $5, $6, $7, ($1 == "none" ? "-" : $8), $9 }'
fi
echo "== ratios"
jq -r '.ratios.at_100k_pps[] | "at 100000 pps, \(.size) bytes: CPU/packet nfqd / refq = \(.nfqd_cpu_over_refq // "-") (per run: \(.nfqd_cpu_over_refq_paired // "-")), classicq / nfqd = \(.classicq_cpu_over_nfqd // "-") (per run: \(.classicq_cpu_over_nfqd_paired // "-"))"' "$JSON"
[ "$LATENCY" = 1 ] && jq -r '.ratios.nfqd_minus_refq_p50_us |
    "nfqd p50 - refq p50: \(.low // "-") us (probes only), \(.half // "-") us (half load)"' "$JSON"
jq -r --argjson t "$RETRY_PCT" '[.throughput[].runs[], .latency[].runs[] |
    select(.runq_wait_pct > $t)] | length | select(. > 0) |
    "warning: in \(.) runs kept the consumer waited for CPU 1 over \($t)% of the time: something else ran there, and those figures are perturbed"' "$JSON"
echo "machine busy before/after: ${busy_before}% / ${busy_after}% (all CPUs, 1 s);" \
    "$RETRIED runs repeated because something else ran on CPU 1"
for c in "${SKIPPED[@]}"; do
	echo "$c: skipped: nfqd has no rule engine yet"
done
echo "results: $JSON ($elapsed s)"
