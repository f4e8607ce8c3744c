#!/bin/bash
# Workers run with no_new_privs under a seccomp allow-list; a system call
# outside it kills the worker, the master says why and respawns it.  Each
# worker may write only its own pages of the shared counter regions.  The
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

# A rule with a shared rate bucket: the rule region has every part.
write_conf "$TMP/nfqd.conf" 'queue: { balance = "0:1"; };' \
    'rules = ( { name = "lim"; dst_port = 9; rate = "1000/s"; verdict = "drop"; } );'
start_nfqd "$TMP/nfqd.conf" 2 || finish
# perms and offset of each mapping of FILE in PID, in address order.
maps() { awk -v f="$2" '$6 == f { printf "%s%s %s", s, $2, $3; s = " " }' "/proc/$1/maps"; }
# The counters region: a page of header, 16 of ctl lines (1,024 slots),
# then a page per slot (shm.h); the rule region: header page, names page,
# a page per slot, the rate cells.
for s in 0 1; do
	p=$(pgrep -P "$NFQD_PID" -x "nfqd-w$s")
	check "worker $s: writes only its slot of the counters region" \
	    "$(maps "$p" "$TMP/nfqd.shm")" \
	    "r--s 00000000 rw-s 000$((11 + s))000 r--s 000$((12 + s))000"
done
check "worker 0: writes only its rule counters and the rate cells" \
    "$(maps "$(pgrep -P "$NFQD_PID" -x nfqd-w0)" "$TMP/nfqd.shm.rules")" \
    "r--s 00000000 rw-s 00002000 r--s 00003000 rw-s 00004000"
check "worker 1: writes only its rule counters and the rate cells" \
    "$(maps "$(pgrep -P "$NFQD_PID" -x nfqd-w1)" "$TMP/nfqd.shm.rules")" \
    "r--s 00000000 rw-s 00003000"
check "the master writes all of both" \
    "$(maps "$NFQD_PID" "$TMP/nfqd.shm") $(maps "$NFQD_PID" "$TMP/nfqd.shm.rules")" \
    "rw-s 00000000 rw-s 00000000"
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
check "the new worker 0 writes only its slot" \
    "$(maps "$(pgrep -P "$NFQD_PID" -x nfqd-w0)" "$TMP/nfqd.shm")" \
    "r--s 00000000 rw-s 00011000 r--s 00012000"
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
