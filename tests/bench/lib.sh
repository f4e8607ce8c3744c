#!/bin/bash
# What tests/bench/bench.sh and tests/bench/bench_l7.sh share: messages,
# waiting, the two namespaces (NSG, NSC; HOLDER sits in NSC), the
# kernel's queue counters, schedstat, and the consumer's and the
# benchmark's own clean-up.  Sourced; the script sets ME (its name in
# messages) first, and the variables the functions read (NSG, NSC, HOLDER,
# PIDS, CPID, TMP, PORT, A1, A2, NFQD) before it calls them.

die() { echo "$ME: $*" >&2; exit 1; }

isnum() { [[ $1 =~ ^[0-9]+$ ]]; }

cleanup() {
	local p ns
	for p in "${!PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${!PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for ns in "$NSG" "$NSC"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}

ing() { ip netns exec "$NSG" "$@"; }

inc() { ip netns exec "$NSC" "$@"; }

now() { echo "${EPOCHREALTIME/[.,]/}"; }	# microseconds

# wait_until SECONDS COMMAND...: poll every 10 ms; 0 once it is true.
wait_until() {
	local end=$(( $(now) + ${1%.*} * 1000000 ))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(now)" -ge "$end" ] && return 1
		sleep 0.01
	done
}

_holder_in() { [ "$(readlink /proc/"$HOLDER"/ns/net)" = "$1" ]; }

# net_pair: NSG and NSC joined by a veth pair, veth0 (A1/24) and veth1
# (A2/24), up and answering; HOLDER sits in NSC.
net_pair() {
	ip netns add "$NSG" && ip netns add "$NSC" || die "ip netns add"
	ip link add veth0 netns "$NSG" type veth peer name veth1 netns "$NSC" ||
	    die "ip link add veth"
	ip -n "$NSG" addr add "$A1"/24 dev veth0
	ip -n "$NSC" addr add "$A2"/24 dev veth1
	ip -n "$NSG" link set lo up
	ip -n "$NSC" link set lo up
	ip -n "$NSG" link set veth0 up
	ip -n "$NSC" link set veth1 up
	wait_until 5 ing ping -c 1 -W 1 "$A2" ||
	    die "no path between namespaces"
	ip netns exec "$NSC" sleep infinity &
	HOLDER=$!
	PIDS[$HOLDER]=1
	local want
	want=$(inc readlink /proc/self/ns/net)
	wait_until 5 _holder_in "$want" || die "namespace holder"
}

# keep_nfqd: every run uses a copy of NFQD in TMP, so that a rebuild of
# build/nfqd during the benchmark cannot mix two binaries into one
# result; nfqd_built says when NFQD was built.
keep_nfqd() {
	nfqd_built=$(date -u -r "$NFQD" +%Y-%m-%dT%H:%M:%SZ)
	cp "$NFQD" "$TMP/nfqd" || die "copying $NFQD"
	NFQD=$TMP/nfqd
}

# delivered: packets to PORT that came back from the queue with accept
# (the rule in INPUT that counts them).
delivered() {
	nsenter --net=/run/netns/"$NSC" iptables -w -nvxL INPUT | awk -v p="dpt:$PORT" \
	    '$0 ~ p { print $1; exit }'
}

# kq [QUEUE]: a queue in NSC: "queue_total copy_mode queue_dropped
# user_dropped id_sequence copy_range", or nothing when it is not bound.
kq() {
	awk -v q="${1:-0}" '$1 == q { print $3, $4, $6, $7, $8, $5 }' \
	    /proc/$HOLDER/net/netfilter/nfnetlink_queue 2>/dev/null
}

bound() { local a; a=$(kq "${1:-0}"); [ -n "$a" ] && [ "$(echo "$a" | cut -d' ' -f2)" = 2 ]; }

# drained: nothing waits for a verdict and no new packet reached the queue
# since the last call.
LAST_ID=
drained() {
	local a id
	a=$(kq)
	set -- $a
	id=${5:-x}
	[ "${1:-1}" = 0 ] && [ "$id" = "$LAST_ID" ] && return 0
	LAST_ID=$id
	return 1
}

# cpu_ns PID...: "ON WAIT SLICES" of every thread of these processes, from
# /proc/PID/task/TID/schedstat: nanoseconds on a CPU, nanoseconds runnable
# but waiting for one, and the number of times it got a CPU.
cpu_ns() {
	local p f v d n s=0 w=0 k=0
	for p in "$@"; do
		for f in /proc/"$p"/task/*/schedstat; do
			read -r v d n <"$f" 2>/dev/null &&
			    s=$((s + v)) w=$((w + d)) k=$((k + n))
		done
	done
	echo $s $w $k
}

# busy_pct: how busy the machine is (all CPUs, percent) over 1 s.
busy_pct() {
	local a b
	a=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $5+$6; exit }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $5+$6; exit }' /proc/stat)
	echo "$a $b" | awk '{ t = ($3 - $1) + ($4 - $2)
	    printf "%.0f", (t > 0 ? 100 * ($3 - $1) / t : 0) }'
}

_start_failed() {
	echo "$ME: $1 did not start; its log:" >&2
	tail -n 20 "$TMP/$1.log" >&2
	stop_consumer
}

stop_consumer() {
	[ -n "$CPID" ] || return 0
	kill -TERM "$CPID" 2>/dev/null
	if ! wait_until 5 _gone "$CPID"; then
		echo "$ME: consumer $CPID did not stop; killing it" >&2
		kill -KILL "$CPID" 2>/dev/null
	fi
	wait "$CPID" 2>/dev/null
	unset "PIDS[$CPID]"
	CPID=
}

_gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)" = Z ]; }
