#!/bin/bash
# nfqctl against a live nfqd: stats --json is the master's own JSON once
# traffic has stopped, rules and metrics show the same counts, reload and
# stop do what they say and say so in their exit status (reload through
# a symlink swapped to another file too, stop without the
# pidfile too, and nothing sent to the stranger a pidfile left behind
# names), stats and stop need only their two settings from the
# configuration, check is nfqd -t, and a user who may only read the region
# can read it.
. "$(dirname "$0")/lib.sh"
NFQCTL=$TOP/${NFQD_BUILD:-build}/nfqctl

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
# The configuration is a symlink, as a deployment that swaps versions
# has it: a reload reads the file the link names then.
conf=$TMP/nfqd.conf
ln -s a.conf "$conf"
write_conf "$conf" 'queue: { balance = "0:1"; };' 'rules = (
  { name = "v6"; proto = "udp"; dst = "fd77::2/128"; verdict = "accept"; },
  { name = "v4-udp"; proto = "udp"; verdict = "accept"; },
  { name = "never"; proto = "tcp"; dst_port = 1; verdict = "drop"; }
);'
# Only a user with the right to read the region: TMP is 0700.
chmod 0711 "$TMP"
start_nfqd "$conf" 2 || finish

ctl() { in2 "$NFQCTL" "$@"; }
shm=$TMP/nfqd.shm

check "traffic: sent on two CPUs and over IPv6" \
    "$(send 0 300) $(send 1 200) $(in1 "$UDPGEN" -d $A62 -p $PORT -n 100 \
    -c 0 2>/dev/null | awk '{ print $2 }')" "300 200 100"
wait_eq 5 500 delivered
wait_eq 5 100 delivered 6
settle
# The workers publish after each batch: wait until the totals are in.
got_received() { ctl -s "$shm" stats --json | jq -r .total.received; }
wait_eq 5 600 got_received

dump
strip='del(.time, .uptime_s)'
ctl -s "$shm" stats --json >"$TMP/ctl.json"
check "stats --json: exit status" "$?" 0
check "stats --json: the master's JSON but for time and uptime" \
    "$(jq -S "$strip" "$TMP/ctl.json")" "$(jq -S "$strip" "$TMP/stats.json")"
check "stats --json: 600 received, 2 workers, 3 rules" \
    "$(jq -r '"\(.total.received) \(.workers | length) \(.rules | length)"' \
    "$TMP/ctl.json")" "600 2 3"

ctl -c "$conf" stats >"$TMP/table" 2>"$TMP/err"
check "stats (through -c): exit status" "$?" 0
check "stats: the SIGUSR1 table's first line" "$(sed -n 1p "$TMP/table" |
    sed 's/uptime [0-9]* s/uptime N s/')" \
    "statistics: uptime N s, 2 workers, configuration 1"
check "stats: the total line" "$(awk '$1 == "total" { print $3, $4 }' \
    "$TMP/table")" "600 600"
check "stats: nothing on stderr" "$(cat "$TMP/err")" ""

ctl -s "$shm" rules >"$TMP/rules"
check "rules: exit status" "$?" 0
check "rules: the header" "$(sed -n 1p "$TMP/rules" | tr -s ' ')" \
    " rule name hits bytes"
check "rules: hits in rule order" "$(awk 'NR > 1 { print $2, $3 }' \
    "$TMP/rules" | tr '\n' ' ')" "v6 100 v4-udp 500 never 0 "
check "rules: bytes as in the JSON" \
    "$(awk '$2 == "v4-udp" { print $4 }' "$TMP/rules")" \
    "$(js '.rules[] | select(.name == "v4-udp") | .bytes')"
check "rules --sort hits: largest first" "$(ctl -s "$shm" rules --sort hits |
    awk 'NR > 1 { print $1, $2 }' | tr '\n' ' ')" "2 v4-udp 1 v6 3 never "
ctl -s "$shm" rules --sort size >/dev/null 2>&1
check "rules --sort size: usage, exit 2" "$?" 2

ctl -s "$shm" metrics >"$TMP/metrics"
check "metrics: exit status" "$?" 0
check "metrics: HELP and TYPE of the verdicts" \
    "$(grep -c '^# \(HELP\|TYPE\) nfqd_verdicts_total ' "$TMP/metrics")" 2
check "metrics: a TYPE line for every HELP line" \
    "$(grep -c '^# HELP ' "$TMP/metrics")" "$(grep -c '^# TYPE ' \
    "$TMP/metrics")"
msum() { awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }' \
    "$TMP/metrics"; }
check "metrics: accept verdicts as in the JSON" \
    "$(msum 'nfqd_verdicts_total{')" "$(js .total.accepted)"
check "metrics: worker 1's packets as in the JSON" \
    "$(msum 'nfqd_packets_received_total{worker="1",')" \
    "$(js '.workers[1].received')"
check "metrics: bytes as in the JSON" \
    "$(msum 'nfqd_received_bytes_total{')" "$(js .total.bytes)"
check "metrics: rule v6 as in the JSON" \
    "$(msum 'nfqd_rule_hits_total{rule="v6"}')" "100"
check "metrics: the kernel's id sequence of queue 0" \
    "$(msum 'nfqd_kernel_queue_id_sequence{queue="0"}')" \
    "$(js '.kernel[] | select(.queue == 0) | .id_sequence')"
check "metrics: rules over the limit as _other" \
    "$(ctl -s "$shm" metrics --max-rules 1 | grep '^nfqd_rule_hits_total')" \
    "nfqd_rule_hits_total{rule=\"v6\"} 100
nfqd_rule_hits_total{rule=\"_other\"} 500"

check "region: mode 0644" "$(stat -c %a "$shm")" 644
in2 setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$NFQCTL" -s "$shm" stats --json >"$TMP/nobody.json" 2>"$TMP/err"
check "stats as nobody: exit status" "$?" 0
# The kernel's file is root's (0440): nobody gets all but those.
check "stats as nobody: the same counters but the kernel's" \
    "$(jq -S "$strip | del(.kernel)" "$TMP/nobody.json")" \
    "$(jq -S "$strip | del(.kernel)" "$TMP/ctl.json")"
check "stats as nobody: no kernel counters, and said" \
    "$(jq -c .kernel "$TMP/nobody.json") $(cat "$TMP/err")" \
    "[] nfqctl: no kernel counters: cannot read /proc/net/netfilter/nfnetlink_queue: Permission denied"
check "stats as nobody: the table says so too" \
    "$(in2 setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$NFQCTL" -s "$shm" stats | tail -n 1)" \
    "kernel: cannot read /proc/net/netfilter/nfnetlink_queue: Permission denied"

# A region of another version is refused, and said (the version this
# nfqctl reads, from -V, so the check outlives the next layout change).
ver=$("$NFQCTL" -V | sed -n 's/.*counters region version \([0-9]*\)).*/\1/p')
check "nfqctl -V names its region version" "$([ -n "$ver" ] && [ "$ver" != 3 ] && echo yes)" yes
cp "$shm" "$TMP/old.shm"
printf '\003' | dd of="$TMP/old.shm" bs=1 seek=4 conv=notrunc 2>/dev/null
ctl -s "$TMP/old.shm" stats >/dev/null 2>"$TMP/err"
check "version 3 region: exit 1" "$?" 1
check "version 3 region: message" "$(cat "$TMP/err")" \
    "nfqctl: $TMP/old.shm: counters region version 3; this program reads version $ver only (nfqd and its tools from different releases?)"

# check FILE is nfqd -t.
cat >"$TMP/bad.conf" <<'CONF'
queue: { maxlen = 0; };
rules = ( { name = "x"; verdict = "maybe"; } );
CONF
for f in "$conf" "$TMP/bad.conf"; do
	"$NFQD" -t -c "$f" >"$TMP/t.out" 2>"$TMP/t.err"
	want=$?
	"$NFQCTL" check "$f" >"$TMP/c.out" 2>"$TMP/c.err"
	rc=$?
	check "check ${f##*/}: exit status as nfqd -t" "$rc" "$want"
	check "check ${f##*/}: output as nfqd -t" \
	    "$(cat "$TMP/c.out" "$TMP/c.err")" "$(cat "$TMP/t.out" "$TMP/t.err")"
done
"$NFQCTL" check "$conf" >/dev/null
check "check good.conf: exit 0" "$?" 0
"$NFQCTL" check "$TMP/bad.conf" 2>/dev/null
check "check bad.conf: exit 1" "$?" 1

# reload: SIGHUP, and the exit status says whether it was loaded.
pid=$(cat "$TMP/nfqd.pid")
check "reload: says which configuration was loaded" \
    "$(ctl -c "$conf" reload)" "nfqd $pid: configuration 2 loaded"
dump
check "reload: the daemon's generation" "$(js .generation)" 2
cp "$conf" "$TMP/good.conf"
echo 'queue: { maxlen = 0; };' >>"$conf"
ctl -c "$conf" reload >/dev/null 2>"$TMP/err"
check "reload of an invalid file: exit 1" "$?" 1
check "reload of an invalid file: its problem, as nfqd -t says it" \
    "$(sed -n 1p "$TMP/err")" "$("$NFQD" -t -c "$conf" 2>&1 | sed -n 1p)"
cp "$TMP/good.conf" "$conf"
check "reload of an invalid file: nothing sent" \
    "$(ctl -s "$shm" stats --json | jq -r .generation)" 2

# The link swapped to another file: the reload reads that one.
sed 's/{ name = "never";/{ name = "swapped"; proto = "tcp"; dst_port = 2; verdict = "drop"; },\n  &/' \
    "$TMP/a.conf" >"$TMP/b.conf"
ln -sfn b.conf "$conf"
check "reload after the link was swapped: loaded" \
    "$(ctl -c "$conf" reload)" "nfqd $pid: configuration 3 loaded"
check "reload after the link was swapped: the new file's rules" \
    "$(ctl -s "$shm" rules | awk 'NR > 1 { print $2 }' | tr '\n' ' ')" \
    "v6 v4-udp swapped never "

# Only stats.shm and daemon.pidfile are read for stats and stop: an
# error elsewhere (a pending edit) does not stop them.
cp "$conf" "$TMP/broken.conf"
echo 'frobnicate = 1;' >>"$TMP/broken.conf"
"$NFQD" -t -c "$TMP/broken.conf" >/dev/null 2>&1
check "broken.conf: nfqd -t refuses it" "$?" 1
ctl -c "$TMP/broken.conf" stats >/dev/null 2>"$TMP/err"
check "stats with an error elsewhere: exit 0, nothing said" \
    "$?/$(cat "$TMP/err")" "0/"

# stop: SIGTERM, and exit 0 once nfqd is gone.  Without the pidfile (a
# daemon started with another -p), the region's master, which has it open.
mv "$TMP/nfqd.pid" "$TMP/moved.pid"
check "stop: says it stopped" "$(ctl -c "$TMP/broken.conf" stop \
    2>"$TMP/err")" "nfqd $pid stopped"
check "stop without the pidfile: the region's master, and said" \
    "$(cat "$TMP/err")" "nfqctl: $TMP/nfqd.pid: No such file or directory; nfqd $pid instead, the master of $shm"
wait "$NFQD_PID"
check "stop: nfqd exited 0" "$?" 0
check "stop: pidfile and region removed" \
    "$(ls "$TMP/nfqd.pid" "$shm" 2>/dev/null)" ""
rm -f "$TMP/moved.pid"
ctl -c "$conf" stop 2>"$TMP/err"
check "stop when not running: exit 1" "$?" 1
# A pidfile left by an nfqd killed with SIGKILL, its pid another
# process's now: that process does not have the file open, so it is sent
# nothing.
sleep 60 &
stranger=$!
echo "$stranger" >"$TMP/nfqd.pid"
ctl -c "$conf" stop 2>"$TMP/err"
check "stop with a pidfile left behind: exit 1" "$?" 1
check "stop with a pidfile left behind: said" "$(cat "$TMP/err")" \
    "nfqctl: $TMP/nfqd.pid names process $stranger, but that process does not have it open (a pidfile left behind?): nothing sent"
check "stop with a pidfile left behind: its process still runs" \
    "$(kill -0 "$stranger" 2>&1 && echo runs)" runs
kill "$stranger"
wait "$stranger" 2>/dev/null
rm -f "$TMP/nfqd.pid"
ctl -s "$shm" stats 2>"$TMP/err"
check "stats when not running: exit 1" "$?" 1
check "stats when not running: message" "$(cat "$TMP/err")" \
    "nfqctl: $shm: No such file or directory (is nfqd running?)"
"$NFQCTL" -s "$shm" frobnicate 2>/dev/null
check "an unknown command: exit 2" "$?" 2
finish
