#!/bin/bash
# nfqd latency benchmark: the round trip of UDP probes through an NFQUEUE
# consumer, its median and its tail, on the consumer's own CPU and across
# CPUs.  Run as root:
#
#   tests/bench/bench_latency.sh [--rounds N] [--probes N] [--interval US]
#                                [--modes LIST] [--consumers LIST]
#                                [--rules N] [--json FILE] [--trace FILE]
#                                [--quick]
#
#   client (NSG)  veth0 10.79.0.1/24   udpecho -d: probes, CPU 0
#   server (NSC)  veth1 10.79.0.2/24   udpecho -l: echoes them, CPU 0
#                 mangle PREROUTING udp dport 7777 -j NFQUEUE --queue-num 0
#
# The veth delivers a probe on the CPU that sent it (CPU 0), so:
#   same   the consumer runs on CPU 0 too: a packet is received, queued,
#          decided, verdicted and echoed on one CPU, which is what
#          --queue-cpu-fanout with pinned workers gives.  nfqd's master
#          shares that CPU, as it must when there is one worker per CPU.
#   cross  the consumer runs on CPU 1: every packet wakes another CPU.
#
# Consumers: none (no queue rule), refq (tests/bench/refq.c: recvmmsg and
# one batch verdict, the least a consumer can do), nfqd (the default
# configuration, balance 0:0, no rules), nfqd-rN (N rules that never
# match), refq2 (refq again, a second run in the same round: the control
# that says how far two runs of one consumer differ, so how much of a
# ratio to refq is noise).  nfqd runs under taskset on the mode's CPU with
# cpu_affinity "auto", so its worker and its master share that CPU.
#
# A round runs every consumer once in each mode, in turn (none refq
# [refq2] nfqd nfqd-rN, each round starting one further on), each with a
# fresh process, 200 warm-up probes and then PROBES probes one INTERVAL
# apart; the report gives, per mode and consumer, the
# medians over the rounds of p50, p99, p99.9 and max, the reader's CPU time
# per probe (refq, or nfqd's worker), and for nfqd the CPU time its master
# used and how often it woke; then each consumer against refq, twice: the
# medians' difference and ratios, and the medians over the rounds of each
# round's difference and ratios (a consumer against refq in the same
# round, which takes out what moves from one round to the next).  See
# docs/performance.md.
#
# --trace FILE records the scheduler's events on CPUs 0 and 1 during the
# probes (tracefs: sched_switch, sched_wakeup, netif_rx, a marker per
# run) into FILE, and tests/bench/latency_paths.py then says, per
# consumer, in which order the client, the consumer and the echo server
# ran for each probe.  Tracing adds to every probe's time: figures from a
# traced run are for the order, not for comparison with untraced ones.
#
# NFQD_BIN=PATH measures another nfqd binary (an older build, to compare).
# NFQD_B_BIN=PATH adds the consumer nfqd-b: that binary with nfqd's
# configuration, next to nfqd in the order, so that two builds meet the
# same state of the machine.
#
# Everything happens in two namespaces with random names, deleted on exit
# with every process the benchmark started.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP" || exit 1
ME=bench_latency
# shellcheck source=tests/bench/lib.sh
. "$TOP/tests/bench/lib.sh"

NFQD=${NFQD_BIN:-$TOP/build/nfqd}
NFQD_B=${NFQD_B_BIN:-}
BB=$TOP/build/bench

ROUNDS=10
PROBES=3000
INTERVAL=200
MODES=same,cross
CONSUMERS=none,refq,nfqd
RULES=1000
JSON=
TRACE=

usage() {
	cat <<EOF
usage: tests/bench/bench_latency.sh [options]   (as root; needs CPUs 0 and 1)
  --rounds N        rounds, every consumer once per mode each (default $ROUNDS)
  --probes N        probes per run (default $PROBES)
  --interval US     microseconds between probes (default $INTERVAL)
  --modes LIST      same,cross (default $MODES)
  --consumers LIST  from none,refq,refq2,nfqd (default $CONSUMERS; refq2:
                    refq once more a round, the ratios' control)
  --rules N         also nfqd with N never-matching rules, "nfqd-rN"
                    (default $RULES; 0: not)
  --json FILE       results file (default build/bench/latency-DATE.json)
  --trace FILE      trace the scheduler on CPUs 0-1 during the probes into
                    FILE and say in which order the tasks ran (see
                    tests/bench/latency_paths.py); slows every probe
  --quick           smoke test: 2 rounds of 500 probes
environment: NFQD_BIN=PATH (the nfqd measured), NFQD_B_BIN=PATH (also
  nfqd-b, that binary, next to nfqd in the order)
EOF
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=${2:?}; shift ;;
	--probes) PROBES=${2:?}; shift ;;
	--interval) INTERVAL=${2:?}; shift ;;
	--modes) MODES=${2:?}; shift ;;
	--consumers) CONSUMERS=${2:?}; shift ;;
	--rules) RULES=${2:?}; shift ;;
	--json) JSON=${2:?}; shift ;;
	--trace) TRACE=${2:?}; shift ;;
	--quick) ROUNDS=2 PROBES=500 ;;
	-h|--help) usage 0 ;;
	*) echo "$ME: unknown option $1" >&2; usage ;;
	esac
	shift
done

isnum "$ROUNDS" && [ "$ROUNDS" -ge 1 ] || die "--rounds: a positive integer"
isnum "$PROBES" && [ "$PROBES" -ge 100 ] || die "--probes: at least 100"
isnum "$INTERVAL" && [ "$INTERVAL" -ge 50 ] || die "--interval: >= 50"
isnum "$RULES" || die "--rules: a number"
IFS=, read -r -a MODE_LIST <<<"$MODES"
IFS=, read -r -a CONS_LIST <<<"$CONSUMERS"
for m in "${MODE_LIST[@]}"; do
	case $m in same|cross) ;; *) die "--modes: same or cross, got '$m'" ;; esac
done
for c in "${CONS_LIST[@]}"; do
	case $c in none|refq|refq2|nfqd) ;; *) die "--consumers: unknown '$c'" ;; esac
done
if [ -n "$NFQD_B" ]; then
	[ -x "$NFQD_B" ] || die "NFQD_B_BIN: $NFQD_B is not an executable"
	L=()
	for c in "${CONS_LIST[@]}"; do
		L+=("$c")
		[ "$c" = nfqd ] && L+=(nfqd-b)
	done
	[ "${#L[@]}" -gt "${#CONS_LIST[@]}" ] ||
	    die "NFQD_B_BIN needs the consumer nfqd"
	CONS_LIST=("${L[@]}")
fi
[ "$RULES" -gt 0 ] && CONS_LIST+=("nfqd-r$RULES")

[ "$(id -u)" = 0 ] || die "needs root (namespaces, iptables, NFQUEUE)"
[ -d /sys/devices/system/cpu/cpu1 ] && [ "$(nproc --all)" -ge 2 ] ||
    die "needs two CPUs: probes and echoes on CPU 0, cross-CPU consumers on 1"
for t in ip iptables taskset pgrep jq awk cc pkg-config make sha256sum; do
	command -v $t >/dev/null || die "$t is missing (scripts/deps.sh installs it)"
done

CC=${CC:-cc}
BENCH_CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -Wpointer-arith -Wformat=2 -D_GNU_SOURCE -Iinclude"

[ -x "$NFQD" ] || make -s all || die "make failed"
if [ -n "$(find src include -newer "$NFQD" -name '*.[ch]' 2>/dev/null)" ]; then
	echo "$ME: note: build/nfqd is older than src/ or include/;" \
	    "'make' to measure the current code" >&2
fi
mkdir -p "$BB"
for x in refq udpecho; do
	if [ ! -x "$BB/$x" ] || [ "tests/bench/$x.c" -nt "$BB/$x" ]; then
		# shellcheck disable=SC2086,SC2046
		$CC $BENCH_CFLAGS -o "$BB/$x" "tests/bench/$x.c" \
		    $(pkg-config --cflags --libs libnetfilter_queue libmnl) ||
		    die "building $x failed"
	fi
done

SFX=$(tr -dc a-z0-9 </dev/urandom | head -c 6)
NSG=nfqb-g-$SFX
NSC=nfqb-c-$SFX
A1=10.79.0.1
A2=10.79.0.2
PORT=7777
TMP=$(mktemp -d /tmp/nfqd-latency.XXXXXX)
TSV=$TMP/results.tsv
declare -A PIDS=()
CPID=
HOLDER=

# --trace: tracefs set for the run, and put back as it was on exit.
TRACEFS=/sys/kernel/tracing
TRACE_MOUNTED=0
TRACE_SAVED=
trace_setup() {
	local t=$TRACEFS e
	if [ ! -e "$t/trace_marker" ]; then
		mount -t tracefs nodev "$t" 2>/dev/null ||
		    die "--trace: cannot mount tracefs on $t"
		TRACE_MOUNTED=1
	fi
	for e in sched/sched_switch sched/sched_wakeup net/netif_rx; do
		[ -e "$t/events/$e/enable" ] ||
		    die "--trace: this kernel has no $e trace event"
	done
	TRACE_SAVED=$(printf '%s\n%s\n%s\n' "$(cat "$t/tracing_on")" \
	    "$(cat "$t/tracing_cpumask")" "$(cat "$t/buffer_size_kb")")
	cp "$t/set_event" "$TMP/set_event.saved" ||
	    die "--trace: cannot read $t/set_event"
	if ! { echo 0 >"$t/tracing_on" && echo 3 >"$t/tracing_cpumask" &&
	    echo 131072 >"$t/buffer_size_kb" && echo >"$t/set_event" &&
	    echo sched:sched_switch >>"$t/set_event" &&
	    echo sched:sched_wakeup >>"$t/set_event" &&
	    echo net:netif_rx >>"$t/set_event" && echo >"$t/trace"; }; then
		die "--trace: cannot set up $t"
	fi
}
trace_restore() {
	local t=$TRACEFS on mask kb e
	if [ -n "$TRACE_SAVED" ]; then
		{ read -r on; read -r mask; read -r kb; } <<<"$TRACE_SAVED"
		echo 0 >"$t/tracing_on"
		echo >"$t/set_event"
		while read -r e; do
			[ -n "$e" ] && echo "$e" >>"$t/set_event"
		done <"$TMP/set_event.saved"
		echo "$mask" >"$t/tracing_cpumask"
		echo "$kb" >"$t/buffer_size_kb"
		echo >"$t/trace"
		echo "$on" >"$t/tracing_on"
		TRACE_SAVED=
	fi
	if [ "$TRACE_MOUNTED" = 1 ]; then
		umount "$t" 2>/dev/null || echo "$ME: cannot unmount $t" >&2
		TRACE_MOUNTED=0
	fi
}
# trace_run begin|end MODE CONSUMER ROUND: tracing on around one run's
# probes, with the markers latency_paths.py reads.
trace_run() {
	[ -n "$TRACE" ] || return 0
	[ "$1" = begin ] && echo 1 >"$TRACEFS/tracing_on"
	echo "bench_latency $*" >"$TRACEFS/trace_marker"
	[ "$1" = end ] && echo 0 >"$TRACEFS/tracing_on"
	return 0
}

trap 'trace_restore; cleanup' EXIT
trap 'exit 130' INT TERM HUP

keep_nfqd

# The script, the client and the echo server run on CPU 0.
taskset -p -c 0 $$ >/dev/null || die "cannot pin the benchmark to CPU 0"

QUEUED=0
queue_rule() {	# on|off
	local op=-D
	[ "$1" = on ] && op=-A
	[ "$1" = on ] && [ "$QUEUED" = 1 ] && return 0
	[ "$1" = off ] && [ "$QUEUED" = 0 ] && return 0
	inc iptables -w -t mangle $op PREROUTING -p udp --dport $PORT \
	    -j NFQUEUE --queue-num 0 || die "iptables NFQUEUE"
	[ "$1" = on ] && QUEUED=1 || QUEUED=0
}

unbound() { [ -z "$(kq)" ]; }

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

# The default configuration but for the paths, and queue 0 alone.
nfqd_conf() {	# FILE RULES
	cat >"$1" <<CONF
daemon: { pidfile = "$TMP/nfqd.pid"; };
stats: { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
queue: { balance = "0:0"; };
CONF
	[ "$2" -gt 0 ] && gen_rules "$2" >>"$1"
	"$NFQD" -t -c "$1" >/dev/null || die "nfqd -t refused $1"
}

_nfqd_ready() {
	local w
	bound && w=$(pgrep -P "$CPID") && [ -n "$w" ] &&
	    [ "$(awk '{ print $3 }' /proc/"$w"/stat 2>/dev/null)" = S ]
}
_refq_ready() { bound && grep -q "ready" "$TMP/$1.log"; }

# start_consumer NAME CPU: sets CPID (nfqd: the master).
start_consumer() {
	local c=$1 cpu=$2 log=$TMP/$1.log bin
	: >"$log"
	wait_until 5 unbound || { echo "$ME: queue 0 still bound" >&2; return 1; }
	case $c in
	nfqd*)
		bin=$NFQD
		[ "$c" = nfqd-b ] && bin=$NFQD_B
		ip netns exec "$NSC" taskset -c "$cpu" "$bin" \
		    -c "$TMP/$c.conf" >>"$log" 2>&1 &
		CPID=$!
		PIDS[$CPID]=1
		wait_until 10 _nfqd_ready || { _start_failed "$c"; return 1; }
		;;
	refq|refq2)
		ip netns exec "$NSC" taskset -c "$cpu" "$BB/refq" >>"$log" 2>&1 &
		CPID=$!
		PIDS[$CPID]=1
		wait_until 10 _refq_ready "$c" || { _start_failed "$c"; return 1; }
		;;
	esac
}

probe() {	# probe COUNT: udpecho's line
	ing taskset -c 0 "$BB/udpecho" -d $A2 -p $PORT -n "$1" -i "$INTERVAL" \
	    -s 64 -w 500 -c 0
}

_probe_ok() { probe 1 | grep -q "lost 0"; }

# run MODE CONSUMER ROUND: one measurement, its "L" line to the TSV.
run() {
	local mode=$1 c=$2 round=$3 cpu=0 out m0="" m1 mcpu=- mwake=-
	local rd="" r0="" r1 rcpu=-
	[ "$mode" = cross ] && cpu=1
	if [ "$c" = none ]; then
		queue_rule off
	else
		queue_rule on
		start_consumer "$c" "$cpu" || return 1
	fi
	probe 200 >/dev/null	# warm-up: caches, the first wake-ups
	# The reader: refq, or nfqd's worker (the master's child).
	case $c in
	nfqd*) m0=$(cpu_ns "$CPID"); rd=$(pgrep -P "$CPID") ;;
	refq|refq2) rd=$CPID ;;
	esac
	[ -n "$rd" ] && r0=$(cpu_ns $rd)
	trace_run begin "$mode" "$c" "$round"
	out=$(probe "$PROBES")
	trace_run end "$mode" "$c" "$round"
	if [ -n "$r0" ]; then
		r1=$(cpu_ns $rd)
		set -- $r0 $r1
		# nanoseconds of CPU per probe
		rcpu=$(( ($4 - $1) / PROBES ))
	fi
	if [ -n "$m0" ]; then
		m1=$(cpu_ns "$CPID")
		set -- $m0 $m1
		mcpu=$(( ($4 - $1) / 1000 ))
		mwake=$(( $6 - $3 ))
	fi
	[ "$c" = none ] || stop_consumer
	[ -n "$out" ] || { echo "$ME: $c: no output from udpecho" >&2; return 1; }
	set -- $out
	# probes N received N lost N min_us X p50_us X p90_us X p99_us X
	# max_us X p999_us X
	[ "${17:-}" = p999_us ] || die "udpecho is too old (no p999_us): rebuild it"
	printf 'L\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$c" \
	    "$round" "$2" "$4" "${10}" "${14}" "${18}" "${16}" "$mcpu" \
	    "$mwake" "$rcpu" >>"$TSV"
	printf '  round %2d %-5s %-10s p50 %7s  p99 %7s  p99.9 %7s  max %7s us, lost %s%s\n' \
	    "$round" "$mode" "$c" "${10}" "${14}" "${18}" "${16}" "$6" \
	    "$( [ "$rcpu" != - ] && echo ", reader ${rcpu} ns CPU/probe")$( [ "$mcpu" != - ] && echo ", master ${mcpu} us CPU in $mwake wake-ups")"
}

machine_cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine_nproc=$(nproc --all)
machine_kernel=$(uname -r)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
nfqd_sha=$(sha256sum "$NFQD" | cut -c 1-16)
[ -n "$JSON" ] || JSON=$BB/latency-$(date -u +%Y%m%dT%H%M%SZ).json
: >"$TSV"

echo "nfqd latency: $machine_cpu, $machine_nproc CPUs, Linux $machine_kernel"
echo "nfqd tree $commit, build/nfqd built $nfqd_built (sha256 $nfqd_sha...)"
[ -n "$NFQD_B" ] && echo "nfqd-b: $NFQD_B (sha256 $(sha256sum "$NFQD_B" | cut -c 1-16)...)"
echo "$ROUNDS rounds; $PROBES probes every $INTERVAL us; modes ${MODE_LIST[*]};" \
    "consumers ${CONS_LIST[*]}"
busy_before=$(busy_pct)
[ "$busy_before" -gt 5 ] && echo "$ME: warning: the machine is" \
    "${busy_before}% busy before we start: the tail figures will show it" >&2
[ -n "$TRACE" ] && trace_setup
net_pair
for c in "${CONS_LIST[@]}"; do
	case $c in
	nfqd|nfqd-b) nfqd_conf "$TMP/$c.conf" 0 ;;
	nfqd-r*) nfqd_conf "$TMP/$c.conf" "${c#nfqd-r}" ;;
	esac
done
ip netns exec "$NSC" taskset -c 0 "$BB/udpecho" -l -p $PORT -c 0 &
PIDS[$!]=1
wait_until 5 _probe_ok || die "the echo server does not answer"

# Each round starts one consumer further on (round 1: none refq nfqd ...,
# round 2: refq nfqd ... none), so that over the rounds every consumer
# runs in every place of the order alike: the one after another consumer
# can find the machine otherwise than the first of a round.
bench_start=$(now)
NC=${#CONS_LIST[@]}
for ((round = 1; round <= ROUNDS; round++)); do
	for mode in "${MODE_LIST[@]}"; do
		for ((k = 0; k < NC; k++)); do
			c=${CONS_LIST[$(( (k + round - 1) % NC ))]}
			run "$mode" "$c" "$round" ||
			    echo "$ME: $mode $c round $round failed" >&2
		done
	done
done
elapsed=$(( ($(now) - bench_start) / 1000000 ))
busy_after=$(busy_pct)

mkdir -p "$(dirname "$JSON")"
jq -R -s \
    --arg cpu "$machine_cpu" --argjson nproc "$machine_nproc" \
    --arg kernel "$machine_kernel" --arg date "$started" \
    --arg commit "$commit" --arg nsha "$nfqd_sha" --arg nbuilt "$nfqd_built" \
    --argjson rounds "$ROUNDS" --argjson probes "$PROBES" \
    --argjson interval "$INTERVAL" --argjson rules "$RULES" \
    --argjson elapsed "$elapsed" --argjson busy0 "$busy_before" \
    --argjson busy1 "$busy_after" '
def median_of: map(select(. != null)) | sort | length as $n |
    if $n == 0 then null elif $n % 2 == 1 then .[($n - 1) / 2]
    else (.[$n / 2 - 1] + .[$n / 2]) / 2 end;
def median: median_of | if . == null then null else (. * 100 | round) / 100 end;
def num: if test("^[0-9.]+$") then tonumber else null end;
[split("\n")[] | select(length > 0) | split("\t") | select(.[0] == "L") |
    {mode: .[1], consumer: .[2], round: (.[3] | tonumber),
     probes: (.[4] | tonumber), lost: ((.[4] | tonumber) - (.[5] | tonumber)),
     p50_us: (.[6] | tonumber), p99_us: (.[7] | tonumber),
     p999_us: (.[8] | tonumber), max_us: (.[9] | tonumber),
     master_cpu_us: (.[10] | num), master_wakeups: (.[11] | num),
     reader_cpu_ns_per_probe: (.[12] // "-" | num)}] as $rows |
($rows | group_by([.mode, .consumer]) | map({mode: .[0].mode,
    consumer: .[0].consumer,
    median: {p50_us: (map(.p50_us) | median), p99_us: (map(.p99_us) | median),
        p999_us: (map(.p999_us) | median), max_us: (map(.max_us) | median),
        lost: (map(.lost) | median),
        master_cpu_us: (map(.master_cpu_us) | median),
        reader_cpu_ns_per_probe: (map(.reader_cpu_ns_per_probe) | median),
        master_wakeups: (map(.master_wakeups) | median)},
    runs: map(del(.mode, .consumer))})) as $m |
def get($mode; $c; $k): [$m[] | select(.mode == $mode and .consumer == $c) |
    .median[$k]][0];
def ratio($a; $b): if $a == null or $b == null or $b == 0 then null
    else ($a / $b * 1000 | round) / 1000 end;
def diff($a; $b): if $a == null or $b == null then null
    else (($a - $b) * 100 | round) / 100 end;
# The run of $c in each round with the run of refq in the same round: [c, refq].
def pairs($mode; $c): $rows[] | select(.mode == $mode and .consumer == $c) |
    . as $x | [$rows[] | select(.mode == $mode and .consumer == "refq" and
    .round == $x.round)][0] as $y | select($y != null) | [$x, $y];
def median3: median_of | if . == null then null else (. * 1000 | round) / 1000 end;
{
  machine: {cpu: $cpu, nproc: $nproc, kernel: $kernel,
    busy_pct_before: $busy0, busy_pct_after: $busy1},
  date: $date, nfqd: {tree: $commit, built: $nbuilt, sha256_prefix: $nsha},
  elapsed_s: $elapsed,
  settings: {rounds: $rounds, probes: $probes, interval_us: $interval,
    rules: $rules, client_cpu: 0, echo_cpu: 0,
    consumer_cpu: {same: 0, cross: 1}},
  latency: $m,
  ratios: ([$m[] | .mode] | unique | map(. as $mode |
    [$m[] | select(.mode == $mode and (.consumer | startswith("nfqd") or . == "refq2")) |
     .consumer] | map(. as $c | {mode: $mode, consumer: $c,
      p50_minus_refq_us: diff(get($mode; $c; "p50_us"); get($mode; "refq"; "p50_us")),
      p99_over_refq: ratio(get($mode; $c; "p99_us"); get($mode; "refq"; "p99_us")),
      p999_over_refq: ratio(get($mode; $c; "p999_us"); get($mode; "refq"; "p999_us")),
      max_over_refq: ratio(get($mode; $c; "max_us"); get($mode; "refq"; "max_us"))})) |
    flatten),
  paired: ([$m[] | .mode] | unique | map(. as $mode |
    [$m[] | select(.mode == $mode and (.consumer | startswith("nfqd") or . == "refq2")) |
     .consumer] | map(. as $c | [pairs($mode; $c)] as $p | {mode: $mode,
      consumer: $c, rounds: ($p | length),
      p50_minus_refq_us: ($p | map(diff(.[0].p50_us; .[1].p50_us)) | median),
      p99_over_refq: ($p | map(ratio(.[0].p99_us; .[1].p99_us)) | median3),
      p999_over_refq: ($p | map(ratio(.[0].p999_us; .[1].p999_us)) | median3),
      max_over_refq: ($p | map(ratio(.[0].max_us; .[1].max_us)) | median3)})) |
    flatten)
}' "$TSV" >"$JSON" || die "writing $JSON failed"

echo
echo "== $machine_cpu, $machine_nproc CPUs, Linux $machine_kernel; nfqd $commit; $started"
echo "== UDP round trip, $PROBES probes every $INTERVAL us; medians of $ROUNDS rounds"
jq -r '.latency[] | [.mode, .consumer, (.median | .p50_us, .p99_us,
    .p999_us, .max_us, .lost, (.reader_cpu_ns_per_probe // "-"),
    (.master_cpu_us // "-"), (.master_wakeups // "-"))] | @tsv' "$JSON" |
    awk -F'\t' 'BEGIN {
	printf "%-6s %-11s %8s %8s %8s %8s %5s %11s %10s %9s\n", "mode",
	    "consumer", "p50 us", "p99 us", "p99.9 us", "max us", "lost",
	    "reader ns", "master us", "wake-ups" }
	{ printf "%-6s %-11s %8.1f %8.1f %8.1f %8.1f %5.0f %11s %10s %9s\n",
	    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
echo "== against refq (medians)"
jq -r '.ratios[] | "\(.mode) \(.consumer): p50 \(.p50_minus_refq_us // "-") us over refq; p99 x\(.p99_over_refq // "-"), p99.9 x\(.p999_over_refq // "-"), max x\(.max_over_refq // "-")"' "$JSON"
echo "== against refq in the same round (medians of the rounds' differences and ratios)"
jq -r '.paired[] | "\(.mode) \(.consumer): p50 \(.p50_minus_refq_us // "-") us over refq; p99 x\(.p99_over_refq // "-"), p99.9 x\(.p999_over_refq // "-"), max x\(.max_over_refq // "-") (\(.rounds) rounds)"' "$JSON"
echo "machine busy before/after: ${busy_before}% / ${busy_after}% (all CPUs, 1 s)"
echo "results: $JSON ($elapsed s)"
if [ -n "$TRACE" ]; then
	cat "$TRACEFS/trace" >"$TRACE" || die "--trace: writing $TRACE failed"
	trace_restore
	echo "== the order of the tasks per probe (traced runs: the times include the tracing)"
	if [ -x /usr/bin/python3 ]; then
		/usr/bin/python3 "$TOP/tests/bench/latency_paths.py" "$TRACE"
	else
		echo "$ME: no /usr/bin/python3 for tests/bench/latency_paths.py" >&2
	fi
	echo "trace: $TRACE"
fi
