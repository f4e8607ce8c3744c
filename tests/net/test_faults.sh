#!/bin/bash
# Faults, injected deterministically with the fault points of
# build/nfqd-faults (src/fault.h): a worker killed at every step of its
# loop with a batch of blocked and allowed packets read (orphans released
# by "repeat": blocked never delivered, allowed never lost, counters
# exact), a packet that kills every worker that decides it, a worker that
# hangs (watchdog), a master that dies in a reload; then a full queue with
# fail_open off and the master killed (--queue-bypass).
. "$(dirname "$0")/lib.sh"

NFQD=$TOP/${NFQD_BUILD:-build}/nfqd-faults
BLOCK=7777
setup_net
# UDP to PORT and BLOCK goes to queue 0; INPUT counts what comes back.
for p in $PORT $BLOCK; do
	in2 iptables -A INPUT -p udp --dport $p -j DROP
done
in2 iptables -t mangle -A PREROUTING -p udp -m multiport \
    --dports $PORT,$BLOCK -j NFQUEUE --queue-num 0
conf=$TMP/nfqd.conf
RULES='rules = ( { name = "block"; proto = "udp"; dst_port = 7777;
  verdict = "drop"; } );'

count() {
	in2 iptables -nvxL INPUT | awk -v p="dpt:$1" \
	    '$0 ~ p { print $1; exit }'
}
allowed() { echo $(( $(count $PORT) - base_a )); }
blocked() { echo $(( $(count $BLOCK) - base_b )); }

# start SPEC [QUEUE_SETTINGS]: nfqd-faults with NFQD_FAULT=SPEC, one queue.
start() {
	local spec=$1
	write_conf "$conf" "$RULES" "queue: { balance = \"0:0\"; ${2:-} };"
	base_a=$(count $PORT)
	base_b=$(count $BLOCK)
	export NFQD_FAULT=$spec
	start_nfqd "$conf" 1
	local r=$?
	unset NFQD_FAULT
	return $r
}

# batch A B: with the worker stopped, A datagrams to PORT then B to BLOCK,
# so that it reads all of them in one recvmmsg() when it goes on.
batch() {
	w=$(workers_of "$NFQD_PID")
	kill -STOP "$w"
	send 0 "$1" >/dev/null
	in1 "$UDPGEN" -d $A2 -p $BLOCK -n "$2" -c 0 >/dev/null 2>&1
	wait_eq 5 $(($1 + $2)) kq 0 3
	kill -CONT "$w"
}

# died HOW: the first worker ended as HOW says, and another took its slot.
died() {
	wait_until 5 grep -q "worker 0 (queue 0, pid $w) $1" "$TMP/nfqd.log" &&
	    wait_until 5 fresh_workers "$NFQD_PID" 1 "$w"
}

# fault NAME SPEC HOW ORPHANS RECEIVED ACCEPTED DROPPED [QUEUE_SETTINGS]:
# 10 allowed and 10 blocked datagrams to a worker that SPEC ends (HOW);
# none blocked is delivered, every allowed one is, once, and the counters
# are what the kernel says.
fault() {
	local name=$1 spec=$2 how=$3 orphans=$4 rcvd=$5 acc=$6 drop=$7
	start "$spec" "${8:-}" || return
	batch 10 10
	if died "$how"; then
		pass "$name: the worker $how, and was replaced"
	else
		fail "$name: the worker did not end as planned ($how)"
	fi
	wait_eq 5 10 allowed
	wait_eq 5 0 kq 0 3
	check "$name: all 10 allowed delivered" "$(allowed)" 10
	check "$name: no blocked one delivered" "$(blocked)" 0
	# Each released packet is queued again: a new id each.
	check "$name: ids the kernel gave out" "$(kq 0 8)" $((20 + orphans))
	dump
	check "$name: orphans counted" "$(js .total.orphans)" "$orphans"
	check "$name: received, accepted, dropped" \
	    "$(js '"\(.total.received) \(.total.accepted) \(.total.dropped)"')" \
	    "$rcvd $acc $drop"
	check "$name: no id skipped" "$(js .total.skipped)" 0
	check "$name: one restart" "$(js .total.restarts)" 1
	if [ "$orphans" != 0 ]; then
		if grep -q "released $orphans packets the previous worker had read but not verdicted (repeat" \
		    "$TMP/nfqd.log"; then
			pass "$name: the release is logged"
		else
			fail "$name: the release is logged"
		fi
	fi
	stop_nfqd
	check "$name: exit status" "$NFQD_STATUS" 0
}

# The dead worker's last batch: read, recorded or half decided, none of
# it verdicted: all 20 are orphans, repeated, decided by the successor.
fault "killed before recording its read" worker-read:1 \
    "was killed by signal 9" 20 20 10 10 'watchdog_ms = 500;'
fault "killed after recording its read" worker-recorded:1 \
    "was killed by signal 9" 20 20 10 10
fault "killed while deciding" worker-decide:5 "was killed by signal 9" \
    20 20 10 10
if grep -q "packet 5 was being decided when the previous worker died: repeated with mark bit 0x40000000" \
    "$TMP/nfqd.log"; then
	pass "killed while deciding: the packet it decided is repeated, marked"
else
	fail "killed while deciding: the packet it decided is repeated, marked"
fi
fault "crashed while deciding" worker-decide:3=crash \
    "was killed by signal 4" 20 20 10 10
# Its verdicts sent, not counted: the successor learns from the kernel
# that none of the batch still waits, and takes its pending counters.
fault "killed after sending, before counting" worker-sent:1 \
    "was killed by signal 9" 0 20 10 10
# Half of the verdict messages sent (the accept run): the drop run's 10
# are orphans.  The dead worker's counters are not taken, since some of
# its batch still waited: what it sent is not counted (one send to the
# kernel is processed whole, so only this fault point splits one).
fault "killed halfway through its verdicts" worker-send:1 \
    "was killed by signal 9" 10 10 0 10
lines=$(wc -l <"$TMP/nfqd.log")
fault "hung after recording its read" worker-recorded:1=hang \
    "gave no verdict for" 20 20 10 10 'watchdog_ms = 500;'
# The watchdog says what the worker was doing: asleep (the fault's
# nanosleep), and where in the kernel when it may know that.
if tail -n +$((lines + 1)) "$TMP/nfqd.log" | grep -q "gave no verdict for [0-9]* ms with 20 packets waiting, it was asleep\(, in the kernel at [A-Za-z0-9_.]*\)\?; killing it$"; then
	pass "hung: the watchdog says the worker was asleep"
else
	fail "hung: the watchdog says the worker was asleep"
fi

# --- A packet of death: it ends every worker that decides it.  Repeated
# once with the orphan mark bit, it ends the next worker too and is
# dropped by the third, which decides the others.
start worker-poison || finish
w=$(workers_of "$NFQD_PID")
kill -STOP "$w"
send 0 5 >/dev/null
echo "NFQD-POISON" | in1 socat -u - UDP4-SENDTO:$A2:$PORT
send 0 5 >/dev/null
wait_eq 5 11 kq 0 3
kill -CONT "$w"
wait_eq 5 10 allowed
wait_eq 5 0 kq 0 3
check "poison: the 10 other datagrams delivered" "$(allowed)" 10
dump
check "poison: two workers ended by it" "$(js .total.restarts)" 2
if grep -q "was being decided when the previous worker died: repeated with mark bit 0x40000000" "$TMP/nfqd.log" &&
    grep -q "was being decided when the previous worker died, and came back marked after the same happened to the worker before: dropped" \
    "$TMP/nfqd.log"; then
	pass "poison: repeated once, then dropped, and logged as such"
else
	fail "poison: repeated once, then dropped, and logged as such"
fi
check "poison: not delivered" "$(allowed)" 10
stop_nfqd

# --- orphan_verdict "accept": what nobody recorded waits for the next
# packet (the kernel id is not safe to take without "repeat"); the worker
# that waits with them is alive, and the watchdog leaves it alone.
start worker-read:1 'watchdog_ms = 200; orphan_verdict = "accept";' || finish
lines=$(wc -l <"$TMP/nfqd.log")
batch 10 10
died "was killed by signal 9" || fail "accept: the worker did not die"
# A dwell, not a synchronisation: the watchdog looks every 50 ms; give it
# 20 looks at a queue with 20 packets waiting and a worker that is idle.
sleep 1
check "accept: the orphans wait for a packet" "$(kq 0 3)" 20
check "accept: the waiting worker is not killed" "$(nworkers "$NFQD_PID")/$(
    tail -n +$((lines + 1)) "$TMP/nfqd.log" | grep -c "gave no verdict")" "1/0"
send 0 1 >/dev/null
wait_eq 5 11 allowed
wait_eq 5 0 kq 0 3
check "accept: the next packet releases them: allowed" "$(allowed)" 11
check "accept: and, accepted undecided, the blocked ones" "$(blocked)" 10
dump
check "accept: orphans counted" "$(js .total.orphans)" 20
stop_nfqd

# --- The packet that releases them comes to a worker that has waited
# longer than watchdog_ms, and is read slowly (the worker is stopped for
# 1.5 s): the watchdog counts its time unread from when it came, not from
# the last verdict, and leaves the worker alone.  (Dwells, not
# synchronisation: the watchdog's own time is what is tested; it looks
# every second, the heartbeat comes every second.)
start worker-read:1 'watchdog_ms = 4000; orphan_verdict = "accept";' || finish
lines=$(wc -l <"$TMP/nfqd.log")
batch 10 10
died "was killed by signal 9" || fail "slow read: the worker did not die"
sleep 4.5
w=$(workers_of "$NFQD_PID")
kill -STOP "$w"
send 0 1 >/dev/null
sleep 1.5
kill -CONT "$w"
wait_eq 5 11 allowed
wait_eq 5 0 kq 0 3
check "slow read after a long wait: the worker is not killed" \
    "$(workers_of "$NFQD_PID")/$(tail -n +$((lines + 1)) "$TMP/nfqd.log" |
    grep -c "gave no verdict")" "$w/0"
check "slow read after a long wait: allowed, blocked" \
    "$(allowed) $(blocked)" "11 10"
dump
check "slow read after a long wait: orphans counted" "$(js .total.orphans)" 20
stop_nfqd

# --- The master dies in a reload: its workers go, the queue unbinds, and
# a new nfqd starts on the same pidfile and queue.
start master-reload=exit || finish
w=$(workers_of "$NFQD_PID")
kill -HUP "$NFQD_PID"
wait "$NFQD_PID"
check "master dies in a reload: exit status" "$?" 1
gone() { ! kill -0 "$w" 2>/dev/null; }
wait_until 5 gone
check "master dies in a reload: its worker exits too" \
    "$(gone && echo gone)" gone
wait_eq 5 "" kernel_queues
check "master dies in a reload: no queue left bound" "$(kernel_queues)" ""
start "" || finish
check "a new nfqd binds the queue again" "$(kernel_queues)" "0"
stop_nfqd

# Plain nfqd from here, on lib.sh's rules.
NFQD=$TOP/${NFQD_BUILD:-build}/nfqd
in2 iptables -t mangle -F PREROUTING
in2 iptables -F INPUT
queue_rules "--queue-num 0 --queue-bypass"

# --- Watchdog: a SIGSTOPped worker is replaced within watchdog_ms + 1 s.
write_conf "$conf" 'queue: { balance = "0:0"; watchdog_ms = 1000; };'
start_nfqd "$conf" 1 || finish
w=$(workers_of "$NFQD_PID")
base=$(delivered)
in1 "$UDPGEN" -d $A2 -p $PORT -r 2000 -t 6 -c 0 >"$TMP/gen" 2>/dev/null &
g=$!
BG_PIDS+=($g)
wait_until 5 kq_over 0 8 100
kill -STOP "$w"
t0=$(date +%s%N)
replaced() { fresh_workers "$NFQD_PID" 1 "$w"; }
wait_until 5 replaced
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if replaced && [ "$ms" -le 2000 ]; then
	pass "watchdog: stopped worker replaced in $ms ms (watchdog_ms 1000 + 1 s)"
else
	fail "watchdog: not replaced within 2 s ($ms ms)"
fi
if grep -q "worker 0 (queue 0, pid $w) gave no verdict for [0-9]* ms with [0-9]* packets waiting, it was stopped (SIGSTOP or a debugger); killing it$" "$TMP/nfqd.log"; then
	pass "watchdog: says why it killed the worker, and that it was stopped"
else
	fail "watchdog: no log line"
fi
wait "$g"
sent=$(awk '{ print $2 }' "$TMP/gen")
wait_eq 5 0 kq 0 3
check "watchdog: queue_total back to 0" "$(kq 0 3)" 0
wait_eq 5 $((base + sent)) delivered
check "watchdog: every packet delivered (orphans repeated)" \
    "$(( $(delivered) - base ))" "$sent"
stop_nfqd

# --- A paused machine: the master and the worker stopped together for
# longer than watchdog_ms while packets wait (a virtual machine's host took
# its CPUs).  The master goes on first and looks at a queue whose worker
# has given no verdict for 2 s: it must see that it did not run either and
# leave the worker alone.  The 2 s are the pause being tested, not a wait.
write_conf "$conf" 'queue: { balance = "0:0"; watchdog_ms = 500; };'
start_nfqd "$conf" 1 || finish
w=$(workers_of "$NFQD_PID")
base=$(delivered)
from=$(( $(wc -l <"$TMP/nfqd.log") + 1 ))
kill -STOP "$NFQD_PID" "$w"
n=$(send 0 10)
wait_eq 5 10 kq 0 3
sleep 2
kill -CONT "$NFQD_PID"
looked() {
	sed -n "$from,\$p" "$TMP/nfqd.log" |
	    grep -qE 'were last looked at|gave no verdict'
}
wait_until 5 looked
kill -CONT "$w"
wait_eq 5 $((base + n)) delivered
check "paused machine: sent 10, all delivered" "$(( $(delivered) - base ))" 10
if sed -n "$from,\$p" "$TMP/nfqd.log" | grep -q "watchdog: the queues were last looked at [0-9]* ms ago (the master did not run: a paused machine or process?); workers' progress is measured afresh$"; then
	pass "paused machine: the master says it did not run"
else
	fail "paused machine: no log line about the master's pause"
fi
check "paused machine: the worker was not killed" \
    "$(sed -n "$from,\$p" "$TMP/nfqd.log" | grep -c 'gave no verdict') $(workers_of "$NFQD_PID")" \
    "0 $w"
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
