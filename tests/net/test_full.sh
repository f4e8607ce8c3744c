#!/bin/bash
# A full queue (the review's case): worker stopped with SIGSTOP, maxlen 100,
# 1,000 packets.  With fail_open the kernel accepts the 900 that find the
# queue full without giving them an id or counting them anywhere; nfqd can
# only see the queue full: it counts that (kernel[].full_seen) and warns.
# Without fail_open the kernel drops them (queue_dropped).  The watchdog is
# off (watchdog_ms = 0), so the stopped worker is not replaced: after
# SIGCONT it goes on, with no restart and nothing counted against it.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-num 0"
conf=$TMP/nfqd.conf

# What passed the queue without waiting, and the kernel's queue_dropped.
passed() { echo "$(( $(delivered) - base ))/$(kq 0 6)"; }
# A value from a fresh statistics dump.
fresh() { dump; js "$1"; }

# full_case FAIL_OPEN WANT_DELIVERED WANT_QUEUE_DROPPED MESSAGE
full_case() {
	local fo=$1 want=$2 qdrop=$3 msg=$4 w n t full
	t="fail_open $fo"
	write_conf "$conf" "queue: { balance = \"0:0\"; maxlen = 100;" \
	    "  fail_open = $fo; watchdog_ms = 0; };"
	start_nfqd "$conf" 1 || return
	base=$(delivered)
	w=$(workers_of "$NFQD_PID")
	kill -STOP "$w"
	n=$(send 0 1000)
	check "$t: sent" "$n" 1000
	wait_eq 5 100 kq 0 3
	check "$t: 100 packets wait in the queue" "$(kq 0 3)" 100
	wait_eq 5 "$((want - 100))/$qdrop" passed
	check "$t: passed or dropped without waiting" "$(passed)" \
	    "$((want - 100))/$qdrop"
	check "$t: the kernel gave ids to the 100 queued only" "$(kq 0 8)" 100
	check "$t: user_dropped" "$(kq 0 7)" 0
	if wait_until 5 grep -q "queue 0 is full (100 of 100 packets waiting): $msg; raise queue.maxlen or add workers" "$TMP/nfqd.log"; then
		pass "$t: the full queue is reported"
	else
		fail "$t: no report of the full queue"
	fi
	dump
	full=$(js '.kernel[0].full_seen')
	if [ "$full" -ge 1 ]; then
		pass "$t: kernel[0].full_seen counts it ($full)"
	else
		fail "$t: kernel[0].full_seen is '$full'"
	fi
	kill -CONT "$w"
	wait_eq 5 $((base + want)) delivered
	check "$t: delivered in all" "$(( $(delivered) - base ))" "$want"
	settle
	wait_eq 5 "100 100" fresh '"\(.total.received) \(.total.accepted)"'
	check "$t: the worker verdicted the 100 it was given" \
	    "$(js '.total.received') $(js '.total.accepted')" "100 100"
	check "$t: nothing skipped, no restart, same worker" \
	    "$(js '.total.skipped') $(js '.total.restarts') $(workers_of "$NFQD_PID")" \
	    "0 0 $w"
	check "$t: full_seen kept" "$(( $(js '.kernel[0].full_seen') >= full ))" 1
	if grep -q "killing it\|respawning" "$TMP/nfqd.log"; then
		fail "$t: a worker was killed or respawned"
	else
		pass "$t: no worker killed or respawned"
	fi
	if grep -q "full_seen" <(tail -n 20 "$TMP/nfqd.log"); then
		pass "$t: the table in the log has full_seen"
	else
		fail "$t: the table in the log has no full_seen"
	fi
	stop_nfqd
	check "$t: exit status" "$NFQD_STATUS" 0
}

# fail_open: 900 pass uninspected, nothing counts them.
full_case true 1000 0 "fail_open accepts new packets uninspected and nothing counts them"
# Without: the kernel drops the 900 and counts them.
full_case false 100 900 "the kernel drops new packets (queue_dropped)"
finish
