#!/bin/bash
# SIGHUP with a bad file put in place (atomically, by rename): an @include of
# a directory (also by an escaped path), a FIFO or /dev/zero, a file over
# the size cap, an empty file, a file without its rules, numbers out of
# range, a NUL byte, lists nested 100,000 deep, a dst_name rule when nfqd
# started without dns_learn's table.  Each reload is refused with
# its reason in the log; the master and its workers keep their pids, the
# queues stay bound, the rules in force keep deciding (a dropped port stays
# dropped, and counted); and a good file reloads afterwards.
. "$(dirname "$0")/lib.sh"

setup_net
for t in iptables ip6tables; do
	in2 $t -t mangle -A PREROUTING -p udp --dport 9998:9999 -j NFQUEUE \
	    --queue-balance 0:1 --queue-cpu-fanout
done
# Counted once accepted: what came back from the queue, per port.
in2 iptables -A INPUT -p udp --dport 9998 -j DROP
in2 iptables -A INPUT -p udp --dport 9999 -j DROP
port_in() {
	in2 iptables -nvxL INPUT | awk -v p="dpt:$1" '$0 ~ p { print $1; exit }'
}
to() { in1 "$UDPGEN" -d $A2 -p "$1" -n "$2" -c 0 2>/dev/null |
    awk '{ print $2 }'; }
hits() { js ".rules[] | select(.name == \"$1\") | .hits"; }

conf=$TMP/nfqd.conf
next=$TMP/next.conf
rules='rules = ( { name = "drop-9998"; dst_port = 9998; verdict = "drop"; } );'
write_conf "$conf" 'queue: { balance = "0:1"; };' "$rules"
start_nfqd "$conf" 2 || finish
pids=$(workers_of "$NFQD_PID")

mkdir "$TMP/incdir" "$TMP/a\\b"
mkfifo "$TMP/fifo"
truncate -s 300M "$TMP/huge.conf"

refusals() { grep -c "the running configuration stays in force" "$TMP/nfqd.log"; }
dropped=0
passed=0

# refused NAME REASON: put $next in place, SIGHUP, and check that the reload
# was refused for REASON (a fixed string in the log) and changed nothing.
refused() {
	local name=$1 reason=$2 n
	mv -f "$next" "$conf"
	n=$(( $(refusals) + 1 ))
	kill -HUP "$NFQD_PID"
	if ! wait_eq 10 "$n" refusals; then
		fail "$name: no refusal in the log"
		kill -0 "$NFQD_PID" 2>/dev/null || {
			fail "$name: the master is gone"; finish; }
		return
	fi
	if grep -qF -- "$reason" "$TMP/nfqd.log"; then
		pass "$name: refused: $reason"
	else
		fail "$name: refused, but the log does not say: $reason"
	fi
	check "$name: the master runs" "$(kill -0 "$NFQD_PID" && echo yes)" yes
	check "$name: the same workers" "$(workers_of "$NFQD_PID")" "$pids"
	# The parser's child is reaped before the refusal is logged.
	check "$name: no other child" "$(pgrep -c -P "$NFQD_PID")" 2
	check "$name: queues still bound" "$(kernel_queues)" "0 1"
	# Port 9998 first: once 9999's packets are through, 9998's are done.
	check "$name: sent" "$(to 9998 50) $(to 9999 50)" "50 50"
	dropped=$((dropped + 50))
	passed=$((passed + 50))
	wait_eq 5 $passed port_in 9999
	check "$name: traffic passes" "$(port_in 9999)" $passed
	check "$name: the dropped port stays dropped" "$(port_in 9998)" 0
	dump
	check "$name: the rule counts its drops" "$(hits drop-9998)" $dropped
}

# good FILE [extra lines]: a valid file with the rule.
good() {
	local f=$1
	shift
	write_conf "$f" 'queue: { balance = "0:1"; };' "$rules" "$@"
}

good "$next" '@include "incdir"'
refused "include of a directory" \
    "error: $conf:5: cannot include \"incdir\": Is a directory"
good "$next" '@include "a\\b"'
refused "include of a directory by an escaped path" \
    "error: $conf:5: cannot include \"a\\b\": Is a directory"
good "$next" '' '@include "fifo"'
refused "include of a FIFO" \
    "error: $conf:6: cannot include \"fifo\": not a regular file"
good "$next" '@include "/dev/zero"'
refused "include of /dev/zero" \
    "error: $conf:5: cannot include \"/dev/zero\": not a regular file"
good "$next" '@include "huge.conf"'
refused "include of a 300 MiB file" \
    "error: $conf:5: cannot include \"huge.conf\": too large: 314572800 bytes"
: >"$next"
refused "an empty file" \
    "error: $conf: no settings: an empty configuration is refused"
write_conf "$next" 'queue: { balance = "0:1"; };'
refused "a file without its rules" \
    "reload: $conf has no rules setting, which would remove the 1 rule in force (a file still being written?): refused, the running configuration stays in force; to remove every rule, write \"rules = ();\""
write_conf "$next" 'queue: { balance = "0:1"; maxlen = 4294967295; };' \
    "$rules"
refused "maxlen = 4294967295" \
    "error: $conf:3: queue.maxlen: 4294967295 is out of range (1 to 16777216)"
write_conf "$next" 'queue: { balance = "0:1"; batch = 4294967297; };' \
    "$rules"
refused "batch = 4294967297" \
    "error: $conf:3: queue.batch: 4294967297 is out of range (1 to 1024)"
good "$next" 'rate_table_size = 99999999999999999999;'
refused "an integer beyond 64 bits" \
    "error: $conf:5: 99999999999999999999 is out of range"
good "$next"
printf 'x = 1;\0\n' >>"$next"
refused "a NUL byte" "error: $conf:5: a NUL byte: this is not a text file"
good "$next"
{ printf 'x = '; head -c 100000 /dev/zero | tr '\0' '('
  head -c 100000 /dev/zero | tr '\0' ')'; printf ';\n'; } >>"$next"
refused "lists nested 100,000 deep" \
    "error: $conf:5: memory exhausted (lists or groups nested too deeply?)"
write_conf "$next" 'queue: { balance = "0:1"; };' \
    'dns_learn: { enabled = true; };' \
    'rules = ( { name = "drop-9998"; dst_port = 9998; verdict = "drop"; },
  { name = "learned"; dst_name = "blocked.example"; verdict = "drop"; } );'
refused "a dst_name rule, nfqd started without dns_learn" \
    "reload: $conf has a rule with dst_name, but nfqd was started without dns_learn, whose table is made at start: refused, the running configuration stays in force; restart nfqd to load it"

# A good file still reloads: a second rule drops 9999 too.
reloads() { grep -c "master: reloaded" "$TMP/nfqd.log"; }
replaced() {	# every worker in $1 is gone, and two others run
	local p
	for p in $1; do
		pgrep -P "$NFQD_PID" | grep -qx "$p" && return 1
	done
	[ "$(nworkers "$NFQD_PID")" = 2 ]
}
rules='rules = ( { name = "drop-9998"; dst_port = 9998; verdict = "drop"; },
  { name = "drop-9999"; dst_port = 9999; verdict = "drop"; } );'
good "$next"
mv -f "$next" "$conf"
kill -HUP "$NFQD_PID"
wait_eq 10 1 reloads
check "a good file afterwards: reloaded" "$(reloads)" 1
wait_until 10 replaced "$pids"
check "a good file afterwards: workers replaced" \
    "$(replaced "$pids" && echo yes)" yes
check "a good file afterwards: 9999 is dropped now" \
    "$(to 9999 40) $(to 9998 10)" "40 10"
dump
wait_until 5 sh -c "[ \$(jq '.rules[] | select(.name == \"drop-9999\") | .hits' $TMP/stats.json) = 40 ] ||
    { kill -USR1 $NFQD_PID; false; }"
check "a good file afterwards: the new rule counts" "$(hits drop-9999)" 40
check "a good file afterwards: none of it passed" \
    "$(port_in 9999) $(port_in 9998)" "$passed 0"

# Removing every rule on purpose: rules = ().
write_conf "$next" 'queue: { balance = "0:1"; };' 'rules = ();'
mv -f "$next" "$conf"
pids=$(workers_of "$NFQD_PID")
kill -HUP "$NFQD_PID"
wait_eq 10 2 reloads
wait_until 10 replaced "$pids"
check "rules = (): reloaded" "$(grep -c 'master: reloaded: .*, 0 rules' \
    "$TMP/nfqd.log")" 1
check "rules = (): both ports pass" "$(to 9998 30) $(to 9999 30)" "30 30"
wait_eq 5 $((passed + 30)) port_in 9999
wait_eq 5 30 port_in 9998
check "rules = (): delivered" "$(port_in 9998) $(port_in 9999)" \
    "30 $((passed + 30))"

stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
