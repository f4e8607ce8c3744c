#!/bin/bash
# nfqd under valgrind's memcheck: traffic through rules, a reload that
# replaces the workers, SIGUSR1, a killed worker, and a shutdown.  Every
# process (the master and each worker) must end with no memory error and
# nothing leaked (definitely, indirectly or possibly lost).
. "$(dirname "$0")/lib.sh"

case "$("$NFQD" -V)" in
*sanitizers*)
	echo "SKIP: $TEST: valgrind does not run sanitizer builds"
	exit 0 ;;
esac
command -v valgrind >/dev/null || { fail "valgrind is not installed"; finish; }
setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
conf=$TMP/nfqd.conf
rules='rules = (
  { name = "drop-9998"; dst_port = 9998; verdict = "drop"; },
  { name = "limit"; rate = "50/s"; per = "src"; verdict = "continue"; },
  { name = "all"; dst = "10.77.0.0/24"; verdict = "accept"; mark = 1; }
);'
# valgrind runs the program's own system calls and some of its own: no
# seccomp filter for this run.
write_conf "$conf" 'queue: { balance = "0:1"; };' "$rules"
sed -i 's|^daemon: {|daemon: { sandbox = false;|' "$conf"

ip netns exec "$NS2" valgrind --quiet --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible \
    --log-file="$TMP/vg.%p" "$NFQD" -c "$conf" >>"$TMP/nfqd.log" 2>&1 &
NFQD_PID=$!
NFQD_PIDS+=("$NFQD_PID")
wait_eq 60 2 nworkers "$NFQD_PID" || { fail "nfqd under valgrind did not start"; finish; }
wait_until 60 grep -q "worker 1 started" "$TMP/nfqd.log"
wait_until 30 sh -c "ip netns exec $NS2 awk '\$1 == 1' /proc/net/netfilter/nfnetlink_queue | grep -q ."

check "traffic sent" "$(send 0 1000 -r 2000) $(send 1 1000 -r 2000)" "1000 1000"
wait_eq 60 2000 delivered
check "traffic delivered under valgrind" "$(delivered)" 2000
kill -USR1 "$NFQD_PID"
wait_until 30 test -s "$TMP/stats.json"

# A worker killed: the master (under valgrind) reaps it and respawns.
victim=$(workers_of "$NFQD_PID" | cut -d' ' -f1)
kill -KILL "$victim"
respawned() { fresh_workers "$NFQD_PID" 2 "$victim"; }
wait_until 60 respawned
check "a killed worker is respawned" "$(respawned && echo yes)" yes

# A reload that changes the rules: both workers are replaced.
write_conf "$conf" 'queue: { balance = "0:1"; };' "${rules/50\/s/60\/s}"
sed -i 's|^daemon: {|daemon: { sandbox = false;|' "$conf"
old=$(workers_of "$NFQD_PID")
kill -HUP "$NFQD_PID"
replaced() { fresh_workers "$NFQD_PID" 2 "$old"; }
wait_until 60 replaced
check "the reload replaced both workers" "$(replaced && echo yes)" yes
check "traffic after the reload" "$(send 0 500 -r 2000)" 500
wait_eq 60 2500 delivered
check "delivered after the reload" "$(delivered)" 2500

kill -TERM "$NFQD_PID"
wait "$NFQD_PID"
check "SIGTERM: nfqd exits 0 under valgrind" "$?" 0
n=$(ls "$TMP"/vg.* 2>/dev/null | wc -l)
echo "# $n processes ran under valgrind (master, workers, replaced workers)"
[ "$n" -ge 5 ] && pass "every process was traced ($n)" || fail "only $n valgrind logs"
bad=0
for f in "$TMP"/vg.*; do
	# --quiet: a log with any line is a report.
	if [ -s "$f" ]; then
		bad=$((bad + 1))
		echo "--- $f"
		head -40 "$f"
	fi
done
check "no memory error and no leak in any process" "$bad" 0
finish
