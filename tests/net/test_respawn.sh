#!/bin/bash
# A worker killed with SIGKILL is replaced in its slot, on its queue, within
# a second; traffic flows again and the slot's counters carry on.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
write_conf "$TMP/nfqd.conf" 'queue: { balance = "0:1"; };'
start_nfqd "$TMP/nfqd.conf" 2 || finish

check "sent before the kill" "$(send 0 1000)" 1000
wait_eq 5 1000 delivered
dump
old=$(js '.workers[0].pid')
other=$(js '.workers[1].pid')

slot0_pid() { dump >/dev/null; js '.workers[0] | "\(.pid) \(.state)"'; }
new_slot0() {
	local p
	p=$(pgrep -P "$NFQD_PID" '^nfqd-w' | grep -vx "$old" | grep -vx "$other")
	[ -n "$p" ] && echo "$p"
}
t0=$(date +%s%N)
kill -KILL "$old"
if wait_until 1 new_slot0; then
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	pass "a new worker took slot 0 within a second (${ms} ms)"
else
	fail "no new worker in slot 0 within a second"
fi
new=$(new_slot0)
check "the other worker was left alone" "$(pgrep -P "$NFQD_PID" '^nfqd-w' | grep -cx "$other")" 1
check "slot 0 in the statistics has the new pid" "$(slot0_pid)" "$new running"
check "slot 0 serves queue 0 on CPU 0 still" \
    "$(js '.workers[0] | "\(.queue) \(.cpu) \(.restarts)"')" "0 0 1"
check "queue 0 stayed bound" "$(kernel_queues)" "0 1"
if grep -q "worker 0 (queue 0, pid $old) was killed by signal 9 (Killed).*respawning" \
    "$TMP/nfqd.log"; then
	pass "the master logged the death and the respawn"
else
	fail "the master logged the death and the respawn"
fi

check "sent after the kill" "$(send 0 500)" 500
wait_eq 5 1500 delivered
check "traffic flows again through queue 0" "$(delivered)" 1500
dump
check "slot 0 counters carry on over the respawn" "$(js '.workers[0].received')" 1500
check "restarts in the totals" "$(js '.total.restarts')" 1

# Kill both, several times: every death is respawned.
for round in 1 2 3; do
	for p in $(workers_of "$NFQD_PID"); do
		kill -KILL "$p"
	done
	wait_eq 2 2 nworkers "$NFQD_PID"
done
check "two workers after repeated kills" "$(nworkers "$NFQD_PID")" 2
check "sent after repeated kills" "$(send 1 400)" 400
wait_eq 5 1900 delivered
check "traffic flows after repeated kills" "$(delivered)" 1900

stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
