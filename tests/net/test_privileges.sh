#!/bin/bash
# Workers keep only CAP_NET_ADMIN (the kernel checks it on every verdict)
# and run as daemon.user when it is set; verdicts still work.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout"

field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# CAP_NET_ADMIN is capability 12: 0x1000.
NET_ADMIN=0000000000001000

for user in "" nobody; do
	what=${user:-root}
	cat >"$TMP/nfqd.conf" <<CONF
daemon: { pidfile = "$TMP/nfqd.pid"; user = "$user"; };
stats: { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
queue: { balance = "0:1"; };
CONF
	start_nfqd "$TMP/nfqd.conf" 2 || finish
	uid=$(id -u "$what")
	for p in $(workers_of "$NFQD_PID"); do
		check "$what: worker $p uid" "$(field "$p" Uid)" "$uid"
		check "$what: worker $p effective caps" "$(field "$p" CapEff)" $NET_ADMIN
		check "$what: worker $p permitted caps" "$(field "$p" CapPrm)" $NET_ADMIN
		check "$what: worker $p bounding set" "$(field "$p" CapBnd)" 0000000000000000
	done
	check "$what: master stays root" "$(field "$NFQD_PID" Uid)" 0
	base=$(delivered)
	check "$what: sent" "$(send 0 150) $(send 1 150)" "150 150"
	wait_eq 5 $((base + 300)) delivered
	check "$what: verdicts accepted by the kernel" "$(delivered)" $((base + 300))
	stop_nfqd
	check "$what: SIGTERM: exit status" "$NFQD_STATUS" 0
done

# Under the systemd unit's limits: CapabilityBoundingSet and
# NoNewPrivileges, reproduced with setpriv.
cat >"$TMP/nfqd.conf" <<CONF
daemon: { pidfile = "$TMP/nfqd.pid"; user = "nobody"; };
stats: { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
queue: { balance = "0:1"; };
CONF
# Without CAP_KILL the master could not signal workers running as
# nobody: it says so and does not start.
out=$(ip netns exec "$NS2" setpriv --no-new-privs \
    --bounding-set -all,+net_admin,+setuid,+setgid,+setpcap \
    "$NFQD" -c "$TMP/nfqd.conf" 2>&1)
check "no CAP_KILL with daemon.user: refused" "$?" 1
case "$out" in
*'daemon.user "nobody" needs CAP_KILL in the master'*)
	pass "no CAP_KILL with daemon.user: says why" ;;
*)	fail "no CAP_KILL with daemon.user: $out" ;;
esac
check "no CAP_KILL with daemon.user: nothing left bound" "$(kernel_queues)" ""
ip netns exec "$NS2" setpriv --no-new-privs \
    --bounding-set -all,+net_admin,+setuid,+setgid,+setpcap,+kill \
    "$NFQD" -c "$TMP/nfqd.conf" >>"$TMP/nfqd.log" 2>&1 &
NFQD_PID=$!
NFQD_PIDS+=("$NFQD_PID")
if wait_eq 10 2 nworkers "$NFQD_PID" &&
    wait_until 5 grep -q "worker 1 started" "$TMP/nfqd.log"; then
	pass "unit limits: nfqd starts with the unit's bounding set and no_new_privs"
else
	fail "unit limits: nfqd did not start"
fi
check "unit limits: master bounding set" "$(field "$NFQD_PID" CapBnd)" \
    00000000000011e0
for p in $(workers_of "$NFQD_PID"); do
	check "unit limits: worker $p runs as nobody with CAP_NET_ADMIN" \
	    "$(field "$p" Uid) $(field "$p" CapEff)" "$(id -u nobody) $NET_ADMIN"
done
base=$(delivered)
check "unit limits: sent" "$(send 0 200) $(send 1 200)" "200 200"
wait_eq 5 $((base + 400)) delivered
check "unit limits: verdicts work" "$(delivered)" $((base + 400))
stop_nfqd
check "unit limits: SIGTERM: exit status" "$NFQD_STATUS" 0

# Started without CAP_KILL and without daemon.user, nfqd runs (its
# workers are its own user's); a reload that sets a user is refused, for
# the same reason, and the workers it has stay.
cat >"$TMP/nouser.conf" <<CONF
daemon: { pidfile = "$TMP/nfqd.pid"; };
stats: { file = "$TMP/stats.json"; shm = "$TMP/nfqd.shm"; };
queue: { balance = "0:1"; };
CONF
: >"$TMP/nouser.log"
ip netns exec "$NS2" setpriv --no-new-privs \
    --bounding-set -all,+net_admin,+setuid,+setgid,+setpcap \
    "$NFQD" -c "$TMP/nouser.conf" >>"$TMP/nouser.log" 2>&1 &
NFQD_PID=$!
NFQD_PIDS+=("$NFQD_PID")
if wait_eq 10 2 nworkers "$NFQD_PID" &&
    wait_until 5 grep -q "worker 1 started" "$TMP/nouser.log"; then
	pass "no CAP_KILL, no daemon.user: nfqd starts"
else
	fail "no CAP_KILL, no daemon.user: nfqd did not start"
fi
before=$(workers_of "$NFQD_PID")
sed -i 's|daemon: { pidfile = "\([^"]*\)"; };|daemon: { pidfile = "\1"; user = "nobody"; };|' \
    "$TMP/nouser.conf"
kill -HUP "$NFQD_PID"
if wait_until 5 grep -q "reload: the running configuration stays in force" \
    "$TMP/nouser.log"; then
	pass "no CAP_KILL: a reload that sets daemon.user is refused"
else
	fail "no CAP_KILL: a reload that sets daemon.user: $(tail -n 3 "$TMP/nouser.log")"
fi
check "no CAP_KILL: the refusal says why" \
    "$(grep -c 'daemon.user "nobody" needs CAP_KILL in the master' "$TMP/nouser.log")" 1
check "no CAP_KILL: the same workers run" "$(workers_of "$NFQD_PID")" "$before"
base=$(delivered)
check "no CAP_KILL: sent" "$(send 0 100) $(send 1 100)" "100 100"
wait_eq 5 $((base + 200)) delivered
check "no CAP_KILL: verdicts work" "$(delivered)" $((base + 200))
stop_nfqd
check "no CAP_KILL: SIGTERM: exit status" "$NFQD_STATUS" 0
finish
