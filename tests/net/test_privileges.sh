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
finish
