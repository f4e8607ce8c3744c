#!/bin/bash
# stats.prometheus: the master writes the metrics file every stats.interval
# and on SIGUSR1, in a directory it makes, mode 0644; promtool check
# metrics passes on it; it is byte for byte what nfqctl metrics prints for
# the same counters; its values are the stats JSON's; a real
# prometheus-node-exporter (textfile collector, run by the test in the
# receiver's namespace) serves the same series; a path changed by a reload
# is used at once; a refused write is logged and the daemon carries on.
. "$(dirname "$0")/lib.sh"
NFQCTL=$TOP/${NFQD_BUILD:-build}/nfqctl
EXPORTER=/usr/bin/prometheus-node-exporter

for c in promtool curl "$EXPORTER"; do
	if ! command -v "$c" >/dev/null; then
		fail "$c is not installed (scripts/deps.sh installs it)"
		finish
	fi
done

setup_net
queue_rules "--queue-balance 0:1 --queue-cpu-fanout --queue-bypass"
conf=$TMP/nfqd.conf
tdir=$TMP/textfile
prom=$tdir/nfqd.prom
write_conf "$conf" 'queue: { balance = "0:1"; };' 'rules = (
  { name = "v6"; proto = "udp"; dst = "fd77::2/128"; verdict = "drop"; },
  { name = "v4-udp"; proto = "udp"; verdict = "accept"; },
  { name = "never"; proto = "tcp"; dst_port = 1; verdict = "drop"; }
);'
sed -i "s|^stats: { |stats: { prometheus = \"$prom\"; interval = 1; |" "$conf"
start_nfqd "$conf" 2 || finish

# Written by the interval alone, in a directory the master made.
wait_until 5 test -s "$prom"
check "interval: the file written without a signal" "$?" 0
check "interval: the directory made" "$(stat -c %F "$tdir")" directory
check "file: mode 0644" "$(stat -c %a "$prom")" 644

check "traffic: 500 datagrams over IPv4 on two CPUs, 100 over IPv6" \
    "$(send 0 300) $(send 1 200) $(in1 "$UDPGEN" -d $A62 -p $PORT -n 100 \
    -c 0 2>/dev/null | awk '{ print $2 }')" "300 200 100"
wait_eq 5 500 delivered
settle
got_received() { in2 "$NFQCTL" -s "$TMP/nfqd.shm" stats --json |
    jq -r .total.received; }
wait_eq 5 600 got_received

# Traffic has stopped: SIGUSR1 writes the JSON and the file from one
# snapshot; an interval write after it holds the same counts.
rm -f "$prom"
dump
wait_until 5 test -s "$prom"
check "SIGUSR1: the file written" "$?" 0
check "SIGUSR1: said in the log" \
    "$(grep -c "metrics written to $prom" "$TMP/nfqd.log")" 1

promtool check metrics <"$prom" >"$TMP/promtool.out" 2>&1
check "promtool check metrics: exit status" "$?" 0
check "promtool check metrics: no problem reported" \
    "$(cat "$TMP/promtool.out")" ""

in2 "$NFQCTL" -s "$TMP/nfqd.shm" metrics >"$TMP/ctl.prom"
check "file: byte for byte what nfqctl metrics prints" \
    "$(cmp "$prom" "$TMP/ctl.prom" 2>&1)" ""

# sample FILE NAME{LABELS}: the sum of the series whose line starts so.
sample() { awk -v m="$2" 'index($0, m) == 1 { s += $NF }
    END { printf "%.0f\n", s }' "$1"; }
# The values the stats JSON has, against those of FILE (labels sorted as
# node-exporter sorts them there).
against_json() {	# WHAT FILE
	local f=$2
	check "$1: packets received as in the JSON" \
	    "$(sample "$f" 'nfqd_packets_received_total{')" \
	    "$(js .total.received)"
	check "$1: worker 1's packets as in the JSON" \
	    "$(grep -E '^nfqd_packets_received_total\{' "$f" |
	    grep 'worker="1"' | awk '{ print $NF }')" \
	    "$(js '.workers[1].received')"
	check "$1: accept, drop, other verdicts as in the JSON" \
	    "$(for v in accept drop other; do grep -E '^nfqd_verdicts_total\{' \
	    "$f" | grep "verdict=\"$v\"" | awk '{ s += $NF }
	    END { printf "%.0f ", s }'; done)" \
	    "$(js '"\(.total.accepted) \(.total.dropped) \(.total.other) "')"
	check "$1: rule hits as in the JSON" \
	    "$(for r in v6 v4-udp never; do
	    sample "$f" "nfqd_rule_hits_total{rule=\"$r\"}"; done |
	    tr '\n' ' ')" \
	    "$(js '[.rules[].hits | tostring] | join(" ")') "
	check "$1: rule bytes as in the JSON" \
	    "$(sample "$f" 'nfqd_rule_bytes_total{rule="v4-udp"}')" \
	    "$(js '.rules[] | select(.name == "v4-udp") | .bytes')"
}
check "JSON: 600 received, 500 accepted, 100 dropped, hits 100 500 0" \
    "$(js '"\(.total.received) \(.total.accepted) \(.total.dropped) " +
    ([.rules[].hits | tostring] | join(" "))')" "600 500 100 100 500 0"
against_json "file" "$prom"

# node-exporter's textfile collector, in the receiver's namespace only.
addr=127.0.0.1:9100
in2 "$EXPORTER" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$tdir" --web.listen-address=$addr \
    >"$TMP/exporter.log" 2>&1 &
BG_PIDS+=($!)
scrape() { in2 curl -sf -o "$TMP/scrape" "http://$addr/metrics"; }
wait_until 10 scrape
check "node-exporter: /metrics served" "$?" 0
check "node-exporter: the textfile read without error" \
    "$(sample "$TMP/scrape" node_textfile_scrape_error)" 0
check "node-exporter: the file's mtime exported" \
    "$(grep -c "^node_textfile_mtime_seconds{file=\"\(nfqd.prom\|$prom\)\"}" \
    "$TMP/scrape")" 1
# Every series as NAME{LABELS sorted} VALUE, values as integers: the Go
# exposition sorts labels and writes large values as 1.2e+09.
series() { grep '^nfqd_' "$1" | python3 -c '
import re, sys
name = "[a-zA-Z_:][a-zA-Z0-9_:]*"
label = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\""
for line in sys.stdin:
    m = re.match("(%s)(?:{(.*)})? (\\S+)$" % name, line.rstrip("\n"))
    labels = ",".join(sorted(re.findall(label, m.group(2) or "")))
    print("%s{%s} %d" % (m.group(1), labels, int(float(m.group(3)))))
' | sort; }
series "$prom" >"$TMP/file.series"
series "$TMP/scrape" >"$TMP/scrape.series"
check "node-exporter: every nfqd series of the file, same values" \
    "$(diff "$TMP/file.series" "$TMP/scrape.series")" ""
check "node-exporter: as many series as the file" \
    "$(wc -l <"$TMP/scrape.series")" "$(grep -c '^nfqd_' "$prom")"
against_json "node-exporter" "$TMP/scrape"

# stats.prometheus takes effect at once on reload.
prom2=$tdir/other.prom
sed -i "s|prometheus = \"$prom\"|prometheus = \"$prom2\"|" "$conf"
in2 "$NFQCTL" -c "$conf" reload >/dev/null
check "reload: exit status" "$?" 0
wait_until 5 test -s "$prom2"
check "reload: the new path written" "$?" 0

# A refused write is logged; the daemon, the JSON and SIGUSR1 carry on.
rm -f "$prom2"
ln -s "$TMP/theirs" "$prom2"
dump
wait_until 5 grep -q "metrics not written: refusing to replace $prom2: \
it is a symbolic link" "$TMP/nfqd.log"
check "symlink at the name: refused and logged" "$?" 0
check "symlink at the name: not followed" "$(test -e "$TMP/theirs";
    echo $?)" 1
check "symlink at the name: the JSON still written" \
    "$(js .total.received)" 600
check "symlink at the name: the daemon still runs" \
    "$(kill -0 "$NFQD_PID" 2>&1; echo $?)" 0
rm -f "$prom2"

stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0
check "no temporary file left" \
    "$(find "$tdir" -name '*.tmp.*' | wc -l)" 0
finish
