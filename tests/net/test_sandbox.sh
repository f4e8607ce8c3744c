#!/bin/bash
# Workers run with no_new_privs under a seccomp allow-list; a system call
# outside it kills the worker, the master says why and respawns it.  The
# statistics and counter files are not world-writable.
. "$(dirname "$0")/lib.sh"

case "$("$NFQD" -V)" in
*sanitizers*)
	echo "SKIP: $TEST: this nfqd is built with sanitizers, whose runtime"\
	    "needs system calls the sandbox refuses"
	exit 0 ;;
esac
setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

write_conf "$TMP/nfqd.conf" 'queue: { balance = "0:1"; };'
start_nfqd "$TMP/nfqd.conf" 2 || finish
for p in $(workers_of "$NFQD_PID"); do
	check "worker $p: seccomp filter (mode 2)" "$(field "$p" Seccomp)" 2
	check "worker $p: no_new_privs" "$(field "$p" NoNewPrivs)" 1
	# The filter does not force the speculation mitigations on: the
	# worker keeps the master's (kernels before 5.16 would force them).
	check "worker $p: speculative store bypass as the master's" \
	    "$(grep Speculation_Store_Bypass "/proc/$p/status" | cut -f2-)" \
	    "$(grep Speculation_Store_Bypass "/proc/$NFQD_PID/status" | cut -f2-)"
done
check "the master is not filtered" "$(field "$NFQD_PID" Seccomp)" 0
check "traffic under the filter" "$(send 0 500) $(send 1 500)" "500 500"
wait_eq 5 1000 delivered
check "traffic under the filter: delivered" "$(delivered)" 1000

dump
for f in "$TMP/stats.json" "$TMP/nfqd.shm" "$TMP/nfqd.shm.rules"; do
	check "$(basename "$f"): mode 0644" "$(stat -c %a "$f")" 644
done

# Make worker 0 call getppid(), which its loop never does.
victim=$(js '.workers[0].pid')
gdb -p "$victim" -batch -ex 'call (int)getppid()' >"$TMP/gdb.out" 2>&1
died() { ! kill -0 "$victim" 2>/dev/null || [ "$(ps -o stat= -p "$victim")" = Z ]; }
wait_until 5 died
check "a forbidden system call kills the worker" "$(died && echo yes)" yes
if wait_until 5 grep -q "worker 0 made a system call outside its seccomp allow-list" "$TMP/nfqd.log" &&
    grep -q "worker 0 (queue 0, pid $victim) was killed by signal 31" "$TMP/nfqd.log"; then
	pass "the master logs the sandbox violation"
else
	fail "the master logs the sandbox violation"
fi
wait_eq 5 2 nworkers "$NFQD_PID"
check "a new worker took its place" "$(nworkers "$NFQD_PID")" 2
check "traffic after the violation" "$(send 0 300)" 300
wait_eq 5 1300 delivered
check "traffic after the violation: delivered" "$(delivered)" 1300
stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0

# daemon.sandbox = false: no filter.
write_conf "$TMP/nfqd.conf" 'queue: { balance = "0:1"; };'
sed -i 's|^daemon: {|daemon: { sandbox = false;|' "$TMP/nfqd.conf"
start_nfqd "$TMP/nfqd.conf" 2 || finish
for p in $(workers_of "$NFQD_PID"); do
	check "sandbox = false: worker $p unfiltered" "$(field "$p" Seccomp)" 0
	check "sandbox = false: worker $p still no_new_privs" \
	    "$(field "$p" NoNewPrivs)" 1
done
stop_nfqd
finish
