#!/bin/bash
# Queue parameters reach the kernel, at start and on reload: copy mode and
# range (visible in /proc), maxlen and fail_open (visible in what happens
# when the queue is full).
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-num 0"
conf=$TMP/nfqd.conf
kmode() { echo "$(kq 0 4) $(kq 0 5)"; }	# copy_mode copy_range

write_conf "$conf" 'queue: { balance = "0:0"; copy_range = 128; };'
start_nfqd "$conf" 1 || finish
check "copy_range 128: copy mode packet, range 128" "$(kmode)" "2 128"
check "copy_range 128: sent" "$(send 0 100 -s 1000)" 100
wait_eq 5 100 delivered
dump
check "copy_range 128: bytes count whole packets" "$(js .total.bytes)" \
    $((100 * 1028))

reloads() { grep -c "master: reloaded" "$TMP/nfqd.log"; }
reload_to() {
	local n
	n=$(( $(reloads) + 1 ))
	write_conf "$conf" "$1"
	kill -HUP "$NFQD_PID"
	wait_eq 5 "$n" reloads
}
reload_to 'queue: { balance = "0:0"; copy_range = 0; };'
wait_eq 5 "1 0" kmode
check "reload to copy_range 0: metadata only" "$(kmode)" "1 0"
check "metadata only: sent" "$(send 0 100 -s 1000)" 100
wait_eq 5 200 delivered
check "metadata only: verdicts work" "$(delivered)" 200
dump
# The kernel sends no packet length in metadata-only mode.
check "metadata only: no bytes counted" "$(js .total.bytes)" \
    $((100 * 1028))
check "metadata only: packets counted" "$(js .total.received)" 200

# Queue full, fail_open off: the kernel drops what does not fit.
reload_to 'queue: { balance = "0:0"; maxlen = 100; fail_open = false; };'
wait_eq 5 "2 65531" kmode
w=$(workers_of "$NFQD_PID")
wait_eq 5 1 nworkers "$NFQD_PID"
kill -STOP $w
check "maxlen 100, fail_open off: sent to a stopped worker" "$(send 0 300)" 300
wait_eq 5 100 kq 0 3
check "maxlen 100: 100 wait" "$(kq 0 3)" 100
check "fail_open off: the other 200 dropped by the kernel" "$(kq 0 6)" 200
check "fail_open off: none delivered meanwhile" "$(delivered)" 200
kill -CONT $w
wait_eq 5 300 delivered
check "fail_open off: the 100 waiting delivered once the worker runs" \
    "$(delivered)" 300

# Queue full, fail_open on: the kernel accepts what does not fit.
reload_to 'queue: { balance = "0:0"; maxlen = 100; fail_open = true; };'
wait_until 5 fresh_workers "$NFQD_PID" 1 "$w"
w2=$(workers_of "$NFQD_PID")
# The new worker applies the flags when it starts: wait for a verdict.
check "fail_open on: probe" "$(send 0 1)" 1
wait_eq 5 301 delivered
kill -STOP $w2
check "maxlen 100, fail_open on: sent to a stopped worker" "$(send 0 300)" 300
wait_eq 5 501 delivered
check "fail_open on: 200 accepted uninspected" "$(delivered)" 501
check "fail_open on: 100 wait" "$(kq 0 3)" 100
check "fail_open on: no new kernel drops" "$(kq 0 6)" 200
kill -CONT $w2
wait_eq 5 601 delivered
check "fail_open on: all delivered once the worker runs" "$(delivered)" 601

stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
