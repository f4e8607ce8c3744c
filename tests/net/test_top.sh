#!/bin/bash
# nfqctl top against a live nfqd with traffic at a known rate: --batch
# shows a frame per interval with a row per worker, packets/s while the
# traffic flows, the rule that has the hits above the one that has none;
# on a terminal (a pseudo-terminal, TERM=xterm) q and SIGTERM end it
# with status 0 and give the terminal back as it was.
. "$(dirname "$0")/lib.sh"
NFQCTL=$TOP/${NFQD_BUILD:-build}/nfqctl
PTYRUN=$TOP/tests/tools/ptyrun.py

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
conf=$TMP/nfqd.conf
# "never" comes first in rule order and has no hits.
write_conf "$conf" 'queue: { balance = "0:1"; };' 'rules = (
  { name = "never"; proto = "tcp"; dst_port = 1; verdict = "drop"; },
  { name = "udp-in"; proto = "udp"; verdict = "accept"; }
);'
start_nfqd "$conf" 2 || finish
shm=$TMP/nfqd.shm
ctl() { in2 "$NFQCTL" "$@"; }

# 300 datagrams/s from each of the two CPUs (--queue-cpu-fanout: one per
# queue) for up to 60 s; killed by the test once it is done.
for cpu in 0 1; do
	ip netns exec "$NS1" "$UDPGEN" -d $A2 -p $PORT -r 300 -t 60 -c $cpu \
	    >/dev/null 2>&1 &
	BG_PIDS+=("$!")
done
both_busy() {
	ctl -s "$shm" stats --json |
	    jq -e '[.workers[].received > 0] == [true, true]'
}
wait_until 10 both_busy || fail "traffic: not both workers receive"

ctl -s "$shm" top --batch --iterations 2 --interval 0.5 >"$TMP/top" \
    2>"$TMP/err"
check "top --batch: exit status" "$?" 0
check "top --batch: nothing on stderr" "$(cat "$TMP/err")" ""
check "top --batch --iterations 2: two frames" \
    "$(grep -c '^nfqd [0-9]*: uptime' "$TMP/top")" 2
check "top --batch: the title" "$(sed -n 1p "$TMP/top" |
    sed 's/uptime [0-9]* s/uptime N s/; s/over [0-9.]* s/over T s/')" \
    "nfqd $NFQD_PID: uptime N s, 2 workers, configuration 1; rates over T s; sort: workers by worker, rules by hits/s"
# The second frame: from its title to the end.
awk '/^nfqd [0-9]*: uptime/ { n++ } n == 2' "$TMP/top" >"$TMP/frame"
check "top --batch: the workers' header" \
    "$(grep '^worker' "$TMP/frame" | tr -s ' ')" \
    "worker queue cpu state pkts/s accept/s drop/s other/s enobufs restarts backlog kdrops flows"
check "top --batch: a running row per worker, queues 0 and 1" \
    "$(awk '$1 ~ /^[0-9]+$/ && NF == 13 { print $1, $2, $4 }' \
    "$TMP/frame" | head -2 | tr '\n' ',')" "0 0 running,1 1 running,"
# 300/s each, on a machine that may be busy: well above 0, not above 2x.
rates=$(awk '$1 ~ /^[0-9]+$/ && NF == 13 && $4 == "running" {
    print ($5 > 50 && $5 <= 600) ? "ok" : "off(" $5 ")" }' "$TMP/frame" |
    tr '\n' ' ')
check "top --batch: each worker near 300 packets/s" "$rates" "ok ok "
check "top --batch: all accepted" "$(awk '$1 == "total" {
    print ($2 == $3 && $2 > 0 && $4 == 0) ? "yes" : $0 }' "$TMP/frame")" yes
check "top --batch: the kernel's backlog and drops are numbers" \
    "$(awk '$1 ~ /^[0-9]+$/ && NF == 13 {
    print ($10 ~ /^[0-9]+$/ && $11 ~ /^[0-9]+$/) }' "$TMP/frame" |
    tr -d '\n')" 11
check "top --batch: the rule with hits first, then the one without" \
    "$(awk '$1 == "rule" { on = 1; next } on && NF { print $1, $2 }' \
    "$TMP/frame" | tr '\n' ',')" "2 udp-in,1 never,"
check "top --batch: udp-in's hits/s near the total" "$(awk '
    $1 == "total" { t = $2 } $2 == "udp-in" { r = $3 }
    END { print (r > 0 && r >= t * 0.8 && r <= t * 1.2) ? "yes" : r " " t }' \
    "$TMP/frame")" yes

# Without a terminal, top is --batch.
ctl -s "$shm" top --iterations 1 --interval 0.2 >"$TMP/top1" 2>&1
check "top on a pipe: plain frames, exit 0" \
    "$?/$(grep -c '^nfqd [0-9]*: uptime' "$TMP/top1")" "0/1"
ctl -s "$shm" top --interval 0 >/dev/null 2>&1
check "top --interval 0: usage, exit 2" "$?" 2
ctl -s "$shm" top --iterations x >/dev/null 2>&1
check "top --iterations x: usage, exit 2" "$?" 2

# On a terminal: q, and SIGTERM, each end it with status 0, the screen
# and cursor given back, echo and canonical mode as they were.
for how in q term; do
	out=$(in2 "$PTYRUN" "$how" "keys:" 20 "$NFQCTL" -s "$shm" top \
	    --interval 0.2 | tr '\n' ',')
	check "top on a terminal, ended by $how" "$out" \
	    "status 0,echo on,icanon on,rmcup after the screen yes,cnorm after the screen yes,"
done

# A daemon that goes away: top says so and exits 1, terminal or not.
kill "${BG_PIDS[@]}" 2>/dev/null
stop_nfqd
ctl -s "$shm" top --batch --iterations 1 >/dev/null 2>"$TMP/err"
check "top when nfqd is gone: exit 1" "$?" 1
check "top when nfqd is gone: message" "$(cat "$TMP/err")" \
    "nfqctl: $shm: No such file or directory (is nfqd running?)"
finish
