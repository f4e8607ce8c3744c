#!/bin/bash
# Faults: a worker killed between reading and verdicting (orphans), a
# stuck worker (watchdog), a full queue with fail_open off, and the master
# killed (--queue-bypass keeps traffic flowing; a new nfqd binds again).
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-num 0 --queue-bypass"
conf=$TMP/nfqd.conf

# --- Orphans: the worker reads 10 packets and dies before its verdicts.
write_conf "$conf" 'queue: { balance = "0:0"; fail_open = false; };'
start_nfqd "$conf" 1 || finish
w=$(workers_of "$NFQD_PID")
gdb -p "$w" -batch -ex 'break nfqd_queue_send' -ex 'continue' \
    -ex 'kill' >"$TMP/gdb.out" 2>&1 &
gdbpid=$!
BG_PIDS+=($gdbpid)
wait_until 10 grep -q "Continuing" "$TMP/gdb.out"
check "orphans: sent 10 to a worker about to die" \
    "$(in1 "$UDPGEN" -d $A2 -p $PORT -n 10 -b 10 -c 0 2>/dev/null |
    awk '{ print $2 }')" 10
wait "$gdbpid"
if grep -q "Breakpoint 1, .*nfqd_queue_send" "$TMP/gdb.out" &&
    wait_until 5 grep -q "worker 0 (queue 0, pid $w) was killed by signal 9" \
    "$TMP/nfqd.log"; then
	pass "orphans: the worker read them and was killed in its verdict send"
else
	fail "orphans: the worker did not stop in its verdict send"
fi
# No new packet comes: the successor must release them on its own.
wait_eq 5 0 kq 0 3
check "orphans: released by the successor without new traffic" \
    "$(kq 0 3)" 0
wait_eq 5 10 delivered
check "orphans: all 10 delivered (orphan_verdict accept)" "$(delivered)" 10
dump
check "orphans: counted" "$(js .total.orphans)" 10
if grep -q "released up to 10 packets the previous worker had read" \
    "$TMP/nfqd.log"; then
	pass "orphans: the release is logged"
else
	fail "orphans: the release is logged"
fi
stop_nfqd

# --- Watchdog: a SIGSTOPped worker is replaced within watchdog_ms + 1 s.
write_conf "$conf" 'queue: { balance = "0:0"; watchdog_ms = 1000; };'
start_nfqd "$conf" 1 || finish
w=$(workers_of "$NFQD_PID")
in1 "$UDPGEN" -d $A2 -p $PORT -r 2000 -t 6 -c 0 >"$TMP/gen" 2>/dev/null &
g=$!
BG_PIDS+=($g)
wait_until 5 test "$(kq 0 8)" -gt 100
kill -STOP "$w"
t0=$(date +%s%N)
replaced() { [ "$(workers_of "$NFQD_PID")" != "$w" ] &&
    [ "$(nworkers "$NFQD_PID")" = 1 ]; }
wait_until 5 replaced
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if replaced && [ "$ms" -le 2000 ]; then
	pass "watchdog: stopped worker replaced in $ms ms (watchdog_ms 1000 + 1 s)"
else
	fail "watchdog: not replaced within 2 s ($ms ms)"
fi
if grep -q "worker 0 (queue 0, pid $w) gave no verdict for .* ms with .* packets waiting; killing it" "$TMP/nfqd.log"; then
	pass "watchdog: says why it killed the worker"
else
	fail "watchdog: no log line"
fi
wait "$g"
sent=$(awk '{ print $2 }' "$TMP/gen")
wait_eq 5 0 kq 0 3
check "watchdog: queue_total back to 0" "$(kq 0 3)" 0
wait_eq 5 $((10 + sent)) delivered
check "watchdog: every packet delivered (fail_open on, orphans released)" \
    "$(delivered)" $((10 + sent))
stop_nfqd

# --- Queue full, fail_open off: what the kernel drops, nfqd reports.
write_conf "$conf" 'queue: { balance = "0:0"; maxlen = 100; fail_open = false;' \
    '  watchdog_ms = 0; };'
start_nfqd "$conf" 1 || finish
base=$(delivered)
w=$(workers_of "$NFQD_PID")
kill -STOP "$w"
n=$(send 0 1000)
wait_eq 5 100 kq 0 3
kill -CONT "$w"
wait_eq 5 $((base + 100)) delivered
check "queue full: sent $n, delivered 100" "$(( $(delivered) - base ))" 100
check "queue full: the kernel's drops are sent minus delivered" \
    "$(kq 0 6)" $((n - 100))
if wait_until 5 grep -q "queue 0: the kernel dropped $((n - 100)) packets because the queue was full (maxlen 100)" "$TMP/nfqd.log"; then
	pass "queue full: nfqd's log reports the kernel's drops"
else
	fail "queue full: no report of the drops in the log"
fi
stop_nfqd

# --- Master SIGKILL: workers go, queues unbind, bypass keeps traffic going.
write_conf "$conf" 'queue: { balance = "0:0"; };'
sed -i 's|^daemon: {|daemon: { user = "nobody";|' "$conf"
start_nfqd "$conf" 1 || finish
w=$(workers_of "$NFQD_PID")
kill -KILL "$NFQD_PID"
wait "$NFQD_PID" 2>/dev/null
gone() { ! kill -0 "$w" 2>/dev/null; }
wait_until 5 gone
check "master killed: its worker (running as nobody) exits too" \
    "$(gone && echo gone)" gone
wait_eq 5 "" kernel_queues
check "master killed: no queue left bound" "$(kernel_queues)" ""
base=$(delivered)
check "master killed: traffic sent" "$(send 0 500)" 500
wait_eq 5 $((base + 500)) delivered
check "master killed: --queue-bypass delivers it" "$(delivered)" $((base + 500))
rm -f "$TMP/nfqd.pid"
start_nfqd "$conf" 1 || finish
check "a new nfqd binds again" "$(kernel_queues)" "0"
check "and serves: sent" "$(send 0 300)" 300
wait_eq 5 $((base + 800)) delivered
dump
check "and serves: nfqd saw them" "$(js .total.received)" 300
stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
