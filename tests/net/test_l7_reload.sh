#!/bin/bash
# A name set is reloaded on SIGHUP like the rest of the configuration, also
# when only its file changed: new names take effect, no packet is lost
# (fail_open off, a steady flow through the queues while the workers are
# replaced), and memory does not grow over repeated reloads of a set of
# 200,000 names (loaded by the master, shared with the workers).  And the
# warning for --queue-cpu-fanout when rules read names.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
setup_net
l7_host_rules 0:1
queue_rules "--queue-balance 0:1"

# 200,000 names: n0.example-list.test ... plus one a test looks up.
$PY -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        f.write("n%d.example-list.test\n" % i)
    f.write("blocked.example\n")
' "$TMP/big.txt"
conf=$TMP/nfqd.conf
write_conf "$conf" 'queue: { balance = "0:1"; fail_open = false; };' \
    "name_sets = ( { name = \"big\"; file = \"$TMP/big.txt\"; } );" \
    'rules = ( { name = "dns"; dns_qname = "@big"; verdict = "drop"; } );'
# A chain nothing jumps to, with --queue-cpu-fanout: nfqd warns, since
# rules read names and a fanned-out flow may reach two workers.
in2 iptables -t mangle -N FANOUT
in2 iptables -t mangle -A FANOUT -p tcp -j NFQUEUE --queue-balance 0:1 \
    --queue-cpu-fanout --queue-bypass
start_nfqd "$conf" 2 || finish
if wait_until 5 grep -q "chain FANOUT has --queue-cpu-fanout" "$TMP/nfqd.log"; then
	pass "--queue-cpu-fanout with rules that read names: a warning at start"
else
	fail "no warning for --queue-cpu-fanout"
fi
if grep -q "chain NFQD has --queue-cpu-fanout" "$TMP/nfqd.log"; then
	fail "a warning for --queue-balance alone"
else
	pass "--queue-balance alone: no such warning"
fi

in2 dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
    --listen-address=$A2 --port=53 --address=/example/10.1.1.1 \
    --address=/example-list.test/10.1.1.2 >"$TMP/dnsmasq.log" 2>&1 &
BG_PIDS+=($!)
listening() { in2 ss -Hlun "sport = :$1" | grep -q 53; }
wait_until 10 listening 53 || fail "dnsmasq did not listen"
q() { in1 dig @$A2 +time=1 +tries=1 +short "$@" 2>/dev/null | grep -v '^;' |
    head -n 1; }

check "a listed name: no answer" "$(q blocked.example)" ""
check "the 200,000th name: no answer" "$(q n199999.example-list.test)" ""
check "a name not listed: answered" "$(q newly.example)" 10.1.1.1

reloads() { grep -c "master: reloaded" "$TMP/nfqd.log"; }
replaced() {	# every worker in $1 is gone and 2 run
	local p
	for p in $1; do
		pgrep -P "$NFQD_PID" '^nfqd-w' | grep -qx "$p" && return 1
	done
	[ "$(nworkers "$NFQD_PID")" = 2 ]
}
# hup: reload and wait until both workers were replaced.
hup() {
	local n cur
	n=$(( $(reloads) + 1 ))
	cur=$(workers_of "$NFQD_PID")
	kill -HUP "$NFQD_PID"
	wait_eq 10 "$n" reloads || fail "reload $n not logged"
	wait_until 10 replaced "$cur" || fail "reload $n: workers not replaced"
}
# pss: the proportional set size of nfqd's master and workers, KiB.
pss() {
	local p t=0 v
	for p in "$NFQD_PID" $(workers_of "$NFQD_PID"); do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo $t
}
# pss_settled: pss once two readings 0.2 s apart agree within 1% (at most
# 5 s): a worker just started may not have touched its tables yet, and a
# reading then is too low to compare with.
pss_settled() {
	local a b i
	a=$(pss)
	for i in $(seq 25); do
		sleep 0.2
		b=$(pss)
		if [ $((a > b ? a - b : b - a)) -le $((b / 100)) ]; then
			break
		fi
		a=$b
	done
	echo "$b"
}

# Only the list file changes.
echo "newly.example" >>"$TMP/big.txt"
hup
if grep -q "reload: name_sets changed" "$TMP/nfqd.log"; then
	pass "a changed list file is seen as a change"
else
	fail "no 'reload: name_sets changed' in the log"
fi
check "after the reload: the new name gets no answer" "$(q newly.example)" ""
check "after the reload: a listed name still none" "$(q blocked.example)" ""
check "after the reload: another name answered" "$(q other.example)" 10.1.1.1

# Reloads under a steady flow: none lost; memory flat.
base=$(delivered)
in1 "$UDPGEN" -d $A2 -p $PORT -r 10000 -t 4 -c 0 >"$TMP/gen" 2>/dev/null &
BG_PIDS+=($!)
g=$!
for i in 1 2 3 4 5 6 7 8; do
	echo "# reload $i" >>"$TMP/big.txt"
	hup
	[ "$i" = 2 ] && m2=$(pss_settled)
done
m8=$(pss_settled)
wait "$g"
sent=$(awk '{ print $2 }' "$TMP/gen")
wait_eq 10 $((base + sent)) delivered
check "8 reloads of the set under load: every packet delivered ($sent sent)" \
    "$(delivered)" $((base + sent))
if [ "${NFQD_BUILD:-build}" = build-asan ]; then
	# ASan keeps freed memory in its quarantine: nothing to compare.
	pass "memory: not compared under ASan (${m2} KiB PSS after 2, ${m8} after 8)"
elif [ "$m8" -le $((m2 + m2 / 10)) ]; then
	pass "memory after 8 reloads: ${m8} KiB PSS, after 2: ${m2} KiB (within 10%)"
else
	fail "memory grew over reloads: ${m2} KiB PSS after 2, ${m8} KiB after 8"
fi
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0
finish
