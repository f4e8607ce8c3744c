#!/bin/bash
# -d detaches and writes a locked pidfile; the SysV init script starts,
# reports, reloads and stops the daemon through it.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout"
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; };'

alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }

in2 "$NFQD" -d -c "$conf" >"$TMP/d.out" 2>&1
check "-d: exit status once started" "$?" 0
pid=$(cat "$TMP/nfqd.pid" 2>/dev/null)
check "-d: pidfile names a live process" "$(alive "$pid" && echo yes)" yes
# Double fork: a new session, of which the daemon is not the leader (so it
# can never get a controlling terminal back).
sid=$(ps -o sid= -p "$pid" | tr -d ' ')
check "-d: in a session of its own, not leading it" \
    "$([ "$sid" != "$(ps -o sid= -p $$ | tr -d ' ')" ] && [ "$sid" != "$pid" ] && echo yes)" yes
check "-d: two workers, queues bound" "$(nworkers "$pid") $(kernel_queues)" "2 0 1"
check "-d: traffic" "$(send 0 300)" 300
wait_eq 5 300 delivered
check "-d: delivered" "$(delivered)" 300

out=$(in2 "$NFQD" -d -c "$conf" 2>&1)
check "-d twice: refused" "$?" 1
if echo "$out" | grep -q "another nfqd is running (pid $pid)"; then
	pass "-d twice: says which pid holds the pidfile"
else
	fail "-d twice: message: $out"
fi
check "-d twice: the first one is untouched" "$(alive "$pid" && cat "$TMP/nfqd.pid")" "$pid"

kill -TERM "$pid"
wait_until 5 dead "$pid"
check "-d: SIGTERM stops it" "$(dead "$pid" && echo yes)" yes
check "-d: pidfile removed" "$(test -e "$TMP/nfqd.pid" && echo left)" ""
check "-d: queues unbound" "$(kernel_queues)" ""

# A configuration that cannot start: -d reports failure.
write_conf "$TMP/bad.conf" 'queue: { balance = "0:1"; maxlen = 0; };'
out=$(in2 "$NFQD" -d -c "$TMP/bad.conf" 2>&1)
check "-d with an invalid file: exit status" "$?" 1
if echo "$out" | grep -q "bad.conf:3: queue.maxlen"; then
	pass "-d with an invalid file: FILE:LINE on stderr"
else
	fail "-d with an invalid file: $out"
fi

# The init script, pointed at this build and these files.
cat >"$TMP/defaults" <<DEF
DAEMON=$NFQD
CONFIG=$conf
PIDFILE=$TMP/nfqd.pid
DEF
init() { NFQD_DEFAULTS=$TMP/defaults in2 "$TOP/scripts/nfqd.init" "$@"; }

init start >"$TMP/init.out" 2>&1
check "init start: status" "$?" 0
pid=$(cat "$TMP/nfqd.pid" 2>/dev/null)
check "init start: running" "$(alive "$pid" && nworkers "$pid")" 2
init start >>"$TMP/init.out" 2>&1
check "init start again: still one daemon" "$?/$(cat "$TMP/nfqd.pid")" "0/$pid"
init status >>"$TMP/init.out" 2>&1
check "init status while running" "$?" 0

old=$(workers_of "$pid")
write_conf "$conf" 'queue: { balance = "0:1"; };' 'default_verdict = "drop";'
init reload >>"$TMP/init.out" 2>&1
check "init reload: status" "$?" 0
changed() { fresh_workers "$pid" 2 "$old"; }
wait_until 5 changed
check "init reload: workers replaced" "$(changed && echo yes)" yes
base=$(delivered)
check "init reload: traffic" "$(send 1 100)" 100
wait_until 5 sh -c "kill -USR1 $pid; sleep 0.1; [ \$(jq .total.dropped $TMP/stats.json) = 100 ]"
check "init reload: new verdict in force" "$(js .total.dropped) $(delivered)" "100 $base"

write_conf "$conf" 'queue: { balance = "0:1"; maxlen = "x"; };'
init reload >>"$TMP/init.out" 2>&1
check "init reload with an invalid file: fails" "$?" 1
check "init reload with an invalid file: daemon untouched" \
    "$(alive "$pid" && nworkers "$pid")" 2
write_conf "$conf" 'queue: { balance = "0:1"; };'

init stop >>"$TMP/init.out" 2>&1
check "init stop: status" "$?" 0
wait_until 5 dead "$pid"	# reaped by whoever adopted it
check "init stop: stopped" "$(dead "$pid" && echo yes)" yes
init status >>"$TMP/init.out" 2>&1
check "init status when stopped" "$?" 3
check "init stop: queues unbound, pidfile gone" \
    "$(kernel_queues)$(test -e "$TMP/nfqd.pid" && echo left)" ""
[ "$FAILS" != 0 ] && cat "$TMP/init.out"
finish
