#!/bin/bash
# A reload that reads a name list: the master goes on supervising while it
# reads (held there by the fault point names-read=wait of build/nfqd-faults
# until the gate file is made), so a worker killed meanwhile is replaced at
# once and its queue served; a SIGHUP meanwhile reloads after it; the
# reload then ends as usual.  A SIGTERM in such a reading abandons the
# reload and stops nfqd without waiting for the list.
. "$(dirname "$0")/lib.sh"

NFQD=$TOP/${NFQD_BUILD:-build}/nfqd-faults
setup_net
# UDP to PORT goes to queue 0; INPUT counts what comes back.
in2 iptables -A INPUT -p udp --dport $PORT -j DROP
in2 iptables -t mangle -A PREROUTING -p udp --dport $PORT -j NFQUEUE \
    --queue-num 0
conf=$TMP/nfqd.conf
list=$TMP/names.txt
RULES='rules = ( { name = "block"; proto = "udp"; dst_port = 7777;
  verdict = "drop"; } );'"
name_sets = ( { name = \"big\"; file = \"$list\"; } );"

count() {
	in2 iptables -nvxL INPUT | awk -v p="dpt:$1" \
	    '$0 ~ p { print $1; exit }'
}
allowed() { echo $(( $(count $PORT) - base_a )); }
since() { tail -n +$((mark + 1)) "$TMP/nfqd.log"; }
logged() { since | grep -q "$1"; }

export NFQD_FAULT_GATE=$TMP/gate
echo a.example >"$list"
write_conf "$conf" "$RULES" 'queue: { balance = "0:0"; };'
base_a=$(count $PORT)
mark=0
touch "$TMP/nfqd.log"
NFQD_FAULT=names-read=wait start_nfqd "$conf" 1 || finish
w=$(workers_of "$NFQD_PID")
echo b.example >>"$list"
kill -HUP "$NFQD_PID"
wait_until 5 logged "fault point names-read fires (wait for $NFQD_FAULT_GATE)"
kill -KILL "$w"
if wait_until 5 fresh_workers "$NFQD_PID" 1 "$w"; then
	pass "reload reading a list: a worker killed meanwhile is replaced"
else
	fail "reload reading a list: the killed worker was not replaced"
fi
check "reload reading a list: replaced before the reload ends" \
    "$(since | grep -c 'reloaded: ')" 0
send 0 10 >/dev/null
wait_eq 5 10 allowed
check "reload reading a list: the queue is served meanwhile" "$(allowed)" 10
# A second SIGHUP meanwhile: its reload follows, on the same bytes.
kill -HUP "$NFQD_PID"
touch "$NFQD_FAULT_GATE"
wait_until 5 logged "reloaded: queues 0-0 (1 worker), 1 rules$"
check "reload reading a list: then the reload ends" \
    "$(since | grep -c 'reloaded: queues 0-0 (1 worker), 1 rules; replacing')" 1
check "reload reading a list: a SIGHUP meanwhile reloads after it" \
    "$(since | grep -c 'reloaded: queues 0-0 (1 worker), 1 rules$')" 1
rm -f "$NFQD_FAULT_GATE"
mark=$(wc -l <"$TMP/nfqd.log")
echo c.example >>"$list"
kill -HUP "$NFQD_PID"
wait_until 5 logged "fault point names-read fires (wait for $NFQD_FAULT_GATE)"
kill -TERM "$NFQD_PID"
if ! wait_until 5 logged "stopped: received"; then
	# A master that does not look while it reads: no hanging here.
	touch "$NFQD_FAULT_GATE"
	wait_until 5 logged "stopped: received" || kill -KILL "$NFQD_PID"
fi
check "SIGTERM while a reload reads a list: the reading gives up" \
    "$(since | grep -c "$list: not read to its end: nfqd is stopping")" 1
check "SIGTERM while a reload reads a list: the reload is abandoned" \
    "$(since | grep -c 'reload abandoned: nfqd is stopping')" 1
check "SIGTERM while a reload reads a list: nfqd stops" \
    "$(since | grep -c 'stopped: received')" 1
wait "$NFQD_PID"
check "SIGTERM while a reload reads a list: exit status" "$?" 0
finish
