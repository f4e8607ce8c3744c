#!/bin/bash
# SIGTERM leaves nothing behind; a second nfqd on the same queues or the
# same pidfile is refused with a clear message and harms nothing.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout"
write_conf "$TMP/nfqd.conf" 'queue: { balance = "0:1"; };'
start_nfqd "$TMP/nfqd.conf" 2 || finish
check "pidfile holds the master's pid" "$(cat "$TMP/nfqd.pid")" "$NFQD_PID"
check "counters region exists" "$(test -s "$TMP/nfqd.shm" && echo yes)" yes

# A second nfqd on the same queues, with its own pidfile and region.
write_conf "$TMP/other.conf" 'queue: { balance = "1:2"; };'
sed -i "s|$TMP/nfqd.pid|$TMP/other.pid|; s|$TMP/nfqd.shm|$TMP/other.shm|" \
    "$TMP/other.conf"
out=$(in2 "$NFQD" -c "$TMP/other.conf" 2>&1)
check "second nfqd on the same queues: exit status" "$?" 1
if echo "$out" | grep -q "queue 1 is already bound by another process"; then
	pass "second nfqd names the queue that is taken"
else
	fail "second nfqd message: $out"
fi
check "second nfqd left nothing bound" "$(kernel_queues)" "0 1"
check "second nfqd removed its pidfile and region" \
    "$(ls "$TMP/other.pid" "$TMP/other.shm" 2>/dev/null | wc -l)" 0

# A second nfqd with the same pidfile.
out=$(in2 "$NFQD" -c "$TMP/nfqd.conf" --queue-balance 5:5 2>&1)
check "second nfqd on the same pidfile: exit status" "$?" 1
if echo "$out" | grep -q "another nfqd is running (pid $NFQD_PID)"; then
	pass "second nfqd names the running one"
else
	fail "second nfqd message: $out"
fi
check "the first one still serves" "$(send 0 100) $(send 1 100)" "100 100"
wait_eq 5 200 delivered
check "the first one still delivers" "$(delivered)" 200
check "the first one kept its pidfile" "$(cat "$TMP/nfqd.pid")" "$NFQD_PID"

# Packets waiting in the kernel when nfqd stops are released (fail_open):
# stop the workers first so the queues fill, then SIGTERM the master.
for p in $(workers_of "$NFQD_PID"); do kill -STOP "$p"; done
check "sent to stopped workers" "$(send 0 50)" 50
wait_eq 5 50 kq 0 3
stop_nfqd
check "SIGTERM: exit status 0" "$NFQD_STATUS" 0
check "SIGTERM: no queue bound" "$(kernel_queues)" ""
check "SIGTERM: no pidfile" "$(test -e "$TMP/nfqd.pid" && echo left)" ""
check "SIGTERM: no counters region" "$(test -e "$TMP/nfqd.shm" && echo left)" ""
check "SIGTERM: waiting packets accepted, not dropped" "$(delivered)" 250
if grep -q "queue 0: 50 packets waiting at unbind were accepted" "$TMP/nfqd.log"; then
	pass "the release at unbind is logged"
else
	fail "the release at unbind is logged"
fi
# SIGSTOPped workers got SIGTERM, then SIGKILL from the stop timeout.
check "no worker left behind" "$(ip netns pids "$NS2" | wc -l)" 0
finish
