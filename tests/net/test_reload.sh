#!/bin/bash
# SIGHUP: an invalid file changes nothing; a valid one takes effect, worker
# count included; and reloads under a steady flow lose no packet.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout"
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; fail_open = false; };'
start_nfqd "$conf" 2 || finish
pids=$(workers_of "$NFQD_PID")

# reloaded N: wait for the Nth "reloaded" (or refused reload) in the log.
reloads() { grep -c -e "master: reloaded" -e "the running configuration stays" "$TMP/nfqd.log"; }
hup() {
	local n
	n=$(( $(reloads) + 1 ))
	kill -HUP "$NFQD_PID"
	wait_eq 5 "$n" reloads
}
replaced() {	# every worker in $1 is gone and $2 workers run
	local p
	for p in $1; do
		pgrep -P "$NFQD_PID" '^nfqd-w' | grep -qx "$p" && return 1
	done
	[ "$(nworkers "$NFQD_PID")" = "$2" ]
}

# An invalid file: error with file and line, nothing changes.
write_conf "$conf" 'queue: { balance = "0:1"; fail_open = false;' \
    '  maxlen = 0; };'
hup
if grep -q "error: $conf:4: queue.maxlen: 0 is out of range" "$TMP/nfqd.log"; then
	pass "invalid file: the error names file, line and setting"
else
	fail "invalid file: no FILE:LINE: error in the log"
fi
check "invalid file: still running" "$(kill -0 "$NFQD_PID" && echo yes)" yes
check "invalid file: same workers" "$(workers_of "$NFQD_PID")" "$pids"
check "invalid file: traffic still passes" "$(send 0 100)" 100
wait_eq 5 100 delivered
check "invalid file: delivered" "$(delivered)" 100

# A valid, changed file: default_verdict drop takes effect.
write_conf "$conf" 'queue: { balance = "0:1"; fail_open = false; };' \
    'default_verdict = "drop";'
hup
wait_until 5 replaced "$pids" 2 || fail "workers were not replaced"
check "changed file: both workers replaced" "$(replaced "$pids" 2 && echo yes)" yes
check "sent while dropping" "$(send 0 200) $(send 1 50)" "200 50"
dump
wait_until 5 sh -c "[ \$(jq .total.dropped $TMP/stats.json) = 250 ] || { kill -USR1 $NFQD_PID; false; }"
check "changed file: packets dropped" "$(js .total.dropped)" 250
check "changed file: none delivered" "$(delivered)" 100
check "changed file: generation counts good loads" "$(js .generation)" 2

# Fewer workers, then more: queues are unbound and bound.
write_conf "$conf" 'queue: { balance = "0:0"; fail_open = false; };'
hup
wait_eq 5 "0" kernel_queues
check "0:0: only queue 0 bound" "$(kernel_queues)" "0"
wait_eq 5 1 nworkers "$NFQD_PID"
check "0:0: one worker" "$(nworkers "$NFQD_PID")" 1
write_conf "$conf" 'queue: { balance = "0:1"; fail_open = false; };'
hup
wait_eq 5 "0 1" kernel_queues
wait_eq 5 2 nworkers "$NFQD_PID"
check "0:1 again: two queues, two workers" \
    "$(kernel_queues) / $(nworkers "$NFQD_PID")" "0 1 / 2"

# Reloads that replace every worker, under a steady flow on both queues,
# with fail_open off so that any loss would show: none may be lost.
base=$(delivered)
replaced_before=$(grep -c 'configuration changed' "$TMP/nfqd.log")
in1 "$UDPGEN" -d $A2 -p $PORT -r 15000 -t 3 -c 0 >"$TMP/gen0" 2>/dev/null &
BG_PIDS+=($!)
g0=$!
in1 "$UDPGEN" -d $A2 -p $PORT -r 15000 -t 3 -c 1 >"$TMP/gen1" 2>/dev/null &
BG_PIDS+=($!)
g1=$!
for i in 1 2 3 4 5 6; do
	b=$((16 << (i % 2)))	# 16, 32: never the default 64
	write_conf "$conf" "queue: { balance = \"0:1\"; fail_open = false; batch = $b; };"
	cur=$(workers_of "$NFQD_PID")
	hup
	wait_until 5 replaced "$cur" 2
	sleep 0.3	# pacing between reloads, not a readiness wait
done
wait "$g0" "$g1"
sent=$(( $(awk '{ print $2 }' "$TMP/gen0") + $(awk '{ print $2 }' "$TMP/gen1") ))
wait_eq 10 $((base + sent)) delivered
check "6 reloads under load: every packet delivered ($sent sent)" \
    "$(delivered)" $((base + sent))
check "6 reloads under load: kernel dropped none" \
    "$(kq 0 6) $(kq 0 7) $(kq 1 6) $(kq 1 7)" "0 0 0 0"
check "6 reloads: both workers replaced each time" \
    "$(( $(grep -c 'configuration changed' "$TMP/nfqd.log") - replaced_before ))" 12

stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
