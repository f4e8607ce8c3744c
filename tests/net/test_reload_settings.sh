#!/bin/bash
# Every setting, changed alone by a reload: what the settings table says a
# change needs is what happens (workers replaced or left alone, queues
# bound, parameters set, values kept to the next start), and the change
# shows.  One nfqd, one setting more per reload; `nfqd -S` lists the
# settings, and one without a step here fails the test.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-balance 0:5 --queue-cpu-fanout --queue-bypass"
conf=$TMP/nfqd.conf

# The file: these settings per group (name -> value as written), one more
# or one other each step.
declare -A D Q S T F P L
D[pidfile]="\"$TMP/nfqd.pid\""
D[log_level]='"info"'
Q[balance]='"0:1"'
S[file]="\"$TMP/stats.json\""
S[shm]="\"$TMP/nfqd.shm\""
S[interval]=1
T[rules]='( { name = "r"; proto = "udp"; dst_port = 1; verdict = "drop"; } )'
group() {	# group NAME ARRAY
	local -n a=$2
	local k
	printf '%s: {' "$1"
	for k in "${!a[@]}"; do
		printf ' %s = %s;' "$k" "${a[$k]}"
	done
	printf ' };\n'
}
write() {
	local k
	{
		group daemon D
		group queue Q
		group stats S
		if [ -n "${F[*]+x}" ]; then group flows F; fi
		if [ -n "${P[*]+x}" ]; then group pcap P; fi
		if [ -n "${L[*]+x}" ]; then group dns_learn L; fi
		for k in "${!T[@]}"; do
			printf '%s = %s;\n' "$k" "${T[$k]}"
		done
	} >"$conf.new"
	mv "$conf.new" "$conf"	# atomically, as the docs say
}
write
start_nfqd "$conf" 2 || finish

declare -A class
while IFS=$'\t' read -r name what; do
	class[$name]=$what
done < <("$NFQD" -S)
done_names=""

reloads() { grep -c "master: reloaded:" "$TMP/nfqd.log"; }
# The statistics, from wherever stats.file is now.
sfile() { eval echo "${S[file]}"; }
sdump() {
	rm -f "$(sfile)"
	kill -USR1 "$NFQD_PID"
	wait_until 5 test -s "$(sfile)"
}
running_same() {	# the workers in $1 still run, all of them
	sdump
	[ "$(jq -r '[.workers[] | select(.state == "running") | .pid] |
	    sort | map(tostring) | join(" ")' "$(sfile)")" = "$1" ]
}
replaced_all() {	# none of $1 runs, $2 workers do
	local p
	for p in $1; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	[ "$(nworkers "$NFQD_PID")" = "$2" ]
}

# step NAME WHAT VALUE [N]: set NAME ("group.key" or a top-level key) to
# VALUE ("" removes it), reload, and check that what the table says its
# change needs (WHAT) happened; N workers afterwards (default 2).
step() {
	local name=$1 what=$2 value=$3 n=${4:-2} before r key=${1#*.}
	local -n a=T
	done_names="$done_names $name"
	check "$name: the table says" "${class[$name]:-none}" "$what"
	case $name in
	daemon.*) local -n a=D ;;
	queue.*) local -n a=Q ;;
	stats.*) local -n a=S ;;
	flows.*) local -n a=F ;;
	pcap.*) local -n a=P ;;
	dns_learn.*) local -n a=L ;;
	esac
	if [ -n "$value" ]; then
		a[$key]=$value
	else
		unset "a[$key]"
	fi
	write
	before=$(workers_of "$NFQD_PID")
	r=$(reloads)
	kill -HUP "$NFQD_PID"
	if ! wait_eq 10 $((r + 1)) reloads; then
		fail "$name: no reload ($(grep "reload" "$TMP/nfqd.log" | tail -1))"
		return
	fi
	# queue.base's change shows as queue.balance's (one range).
	if grep -q "reload: ${name/queue.base/queue.balance} changed" \
	    "$TMP/nfqd.log"; then
		pass "$name: the reload saw the change"
	else
		fail "$name: the reload saw the change"
	fi
	case $what in
	"workers replaced")
		wait_until 10 replaced_all "$before" "$n"
		check "$name: workers replaced" \
		    "$(replaced_all "$before" "$n" && echo yes)" yes ;;
	"queues")
		wait_until 10 replaced_all "$before" "$n"
		check "$name: workers of the new queues" \
		    "$(replaced_all "$before" "$n" && echo yes)" yes ;;
	*)
		check "$name: the workers left alone" \
		    "$(running_same "$before" && echo yes)" yes ;;
	esac
}

w0() { workers_of "$NFQD_PID" | cut -d' ' -f1; }
status_of() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$(w0)/status"; }

# At once: the master uses it.
step stats.file "at once" "\"$TMP/s2.json\""
wait_until 5 test -s "$TMP/s2.json"
check "stats.file: the new file is written" "$(test -s "$TMP/s2.json" &&
    echo yes)" yes
step stats.file "at once" "\"$TMP/stats.json\""
step stats.interval "at once" 2
rm -f "$TMP/stats.json"
wait_until 5 test -s "$TMP/stats.json"
check "stats.interval: written without a signal" \
    "$(test -s "$TMP/stats.json" && echo yes)" yes
step stats.prometheus "at once" "\"$TMP/nfqd.prom\""
wait_until 5 test -s "$TMP/nfqd.prom"
check "stats.prometheus: the metrics file is written" \
    "$(grep -c '^nfqd_packets_received_total{' "$TMP/nfqd.prom" 2>/dev/null)" 2
step stats.prometheus "at once" ""

# Next start: kept, and said so.
step daemon.pidfile "next start" "\"$TMP/other.pid\""
check "daemon.pidfile: kept until the next start" \
    "$(cat "$TMP/nfqd.pid" 2>/dev/null)/$(test -e "$TMP/other.pid" || echo none)" \
    "$NFQD_PID/none"
if grep -q "reload: daemon.pidfile changed; it takes effect at the next start" \
    "$TMP/nfqd.log"; then
	pass "daemon.pidfile: the log says so"
else
	fail "daemon.pidfile: the log says so"
fi
step stats.shm "next start" "\"$TMP/other.shm\""
check "stats.shm: kept until the next start" \
    "$(test -e "$TMP/nfqd.shm" && echo old)$(test -e "$TMP/other.shm" && echo new)" \
    old

# Queue parameters: the master sets them on the live sockets.
step queue.rcvbuf "queue parameters" '"1M"'
wait_until 5 grep -q "queue 1: receive buffer 1048576 bytes" "$TMP/nfqd.log"
check "queue.rcvbuf: set on the live sockets" \
    "$(grep -c "receive buffer 1048576 bytes" "$TMP/nfqd.log")" 2

# Workers replaced, and where it shows, it shows.
step daemon.log_level "workers replaced" '"debug"'
wait_until 5 grep -q "worker 1/q1: serving queue 1" "$TMP/nfqd.log"
check "daemon.log_level: new workers log at debug" \
    "$(grep -c "worker [01]/q[01]: serving queue" "$TMP/nfqd.log")" 2
step daemon.sandbox "workers replaced" false
check "daemon.sandbox: no seccomp filter" "$(status_of Seccomp)" 0
step daemon.user "workers replaced" '"nobody"'
check "daemon.user: the workers run as nobody" \
    "$(ps -o user= -p "$(w0)")" nobody
step queue.cpu_affinity "workers replaced" '"none"'
check "queue.cpu_affinity: not pinned" \
    "$(status_of Cpus_allowed_list)" "0-$(( $(nproc) - 1 ))"
step queue.maxlen "workers replaced" 1000
step queue.copy_range "workers replaced" 1500
check "queue.copy_range: the kernel copies 1500 bytes" "$(kq 0 5)" 1500
step queue.batch "workers replaced" 8
step queue.busy_poll_us "workers replaced" 10
step queue.fail_open "workers replaced" false
step queue.gso "workers replaced" false
step queue.uid_gid "workers replaced" true
step queue.orphan_verdict "workers replaced" '"drop"'
step queue.orphan_mark "workers replaced" 0x100
step queue.watchdog_ms "workers replaced" 500
step malformed_verdict "workers replaced" '"accept"'
step truncated_verdict "workers replaced" '"accept"'
step tiny_fragment_verdict "workers replaced" '"accept"'
step header_chain_verdict "workers replaced" '"accept"'
step rate_table_size "workers replaced" 2048
step l7_error_verdict "workers replaced" '"accept"'
step flows.max "workers replaced" 1000
# The table of claimed QUIC connection IDs is made at start, for 65536
# flows on 2 queues (8 slots a flow): more flows than that are told so.
qwarn() { grep -c "reload: flows.max $1 on 2 queues wants a table of $2 claimed QUIC connection IDs; the one made at start holds 1048576 until the next start" "$TMP/nfqd.log"; }
check "start: the QUIC ID table's size logged (8 x 65536 x 2 slots, 64 bytes per 8 and a 64-byte header)" \
    "$(grep -c "quic: a table of 1048576 claimed connection IDs (8388672 bytes mapped, touched as used)" "$TMP/nfqd.log")" 1
check "flows.max: fewer flows than at start: nothing said of the QUIC ID table" \
    "$(grep -c "claimed QUIC connection IDs" "$TMP/nfqd.log")" 0
step flows.max "workers replaced" 100000
check "flows.max: more flows than at start: the QUIC ID table's size said" \
    "$(qwarn 100000 1600000)" 1
step flows.max "workers replaced" 1000
step flows.reasm_buffers "workers replaced" 10
step flows.tcp_timeout "workers replaced" 60
step flows.closing_timeout "workers replaced" 5
step flows.hello_timeout "workers replaced" 5
step flows.udp_timeout "workers replaced" 30
step flows.full_verdict "workers replaced" '"accept"'
step flows.pending_mark "workers replaced" 0x200
step flows.hello_retry "workers replaced" false
step flows.http_requests "workers replaced" '"first"'
# flows.connmark: the master asks the kernel, once, and says what it found.
ctk=$(kernel_ct_verdicts)
ct_lines() { grep -c "master: flows.connmark: " "$TMP/nfqd.log"; }
step flows.connmark "workers replaced" '"auto"'
case $ctk in
yes) ct_said="flows.connmark: the kernel takes conntrack marks in verdicts;" ;;
no) ct_said="flows.connmark: this kernel does not take conntrack marks in verdicts (NFQA_CT: Operation not supported); the connmark is left to the rules of docs/l7.md" ;;
*) ct_said="(the test could not ask the kernel)" ;;
esac
check "flows.connmark: the kernel's answer ($ctk) logged once" \
    "$(ct_lines)/$(grep -cF "$ct_said" "$TMP/nfqd.log")" 1/1
# dns_learn: its table is the master's, made at start.
step dns_learn.enabled "next start" true
if grep -q "reload: dns_learn.enabled changed; it takes effect at the next start" \
    "$TMP/nfqd.log"; then
	pass "dns_learn.enabled: the log says so"
else
	fail "dns_learn.enabled: the log says so"
fi
sdump
check "dns_learn.enabled: still no table" \
    "$(jq -r '.total.dns_capacity' "$(sfile)")" 0
step dns_learn.max_entries "next start" 2048
step dns_learn.min_ttl "workers replaced" 5
step dns_learn.max_ttl "workers replaced" 600
step dns_learn.servers "workers replaced" "[\"10.0.0.53\", \"2001:db8::/32\"]"
echo "example.com" >"$TMP/set.txt"
step name_sets "workers replaced" "( { name = \"s\"; file = \"$TMP/set.txt\"; } )"
echo "example.org" >>"$TMP/set.txt"
step name_sets "workers replaced" "( { name = \"s\"; file = \"$TMP/set.txt\"; } )"
# name_sets_max_bytes: at once; sets that pass it refuse the reload, and
# the running configuration stays, its workers with it.
step name_sets_max_bytes "at once" '"1G"'
seq -f 'n%g.cap.test' 60000 >"$TMP/big.txt"	# 1.4 MiB as a set
refused() { grep -c "has errors (above); the running configuration stays in force" "$TMP/nfqd.log"; }
r=$(reloads)
e=$(refused)
before=$(workers_of "$NFQD_PID")
sets=${T[name_sets]}
T[name_sets]="( { name = \"s\"; file = \"$TMP/set.txt\"; }, { name = \"big\"; file = \"$TMP/big.txt\"; } )"
T[name_sets_max_bytes]='"1M"'
write
kill -HUP "$NFQD_PID"
wait_eq 10 $((e + 1)) refused
check "name_sets_max_bytes: a list past it refused, and said" \
    "$(refused)/$(grep -c "file: $TMP/big.txt: name sets would take over 1 MiB (name_sets_max_bytes)" "$TMP/nfqd.log")" \
    "$((e + 1))/1"
check "name_sets_max_bytes: the running configuration stays" \
    "$(reloads)/$(running_same "$before" && echo same)" "$r/same"
T[name_sets]=$sets
T[name_sets_max_bytes]='"1G"'
base=$(delivered)
step default_verdict "workers replaced" '"drop"'
send 0 10 >/dev/null
settle
check "default_verdict: traffic no rule decides is dropped" \
    "$(( $(delivered) - base ))" 0
step rules "workers replaced" "( { name = \"r\"; proto = \"udp\"; dst_port = $PORT; verdict = \"drop\"; } )"
send 0 10 >/dev/null
settle
sdump
check "rules: the new rule decides" "$(jq -r '.rules[0].hits' "$(sfile)")" 10

# The capture files: where they go, their size and number, and a rule's
# log = "pcap" (which needs pcap.dir first).  The workers run as nobody.
mkdir "$TMP/pcap1" "$TMP/pcap2"
chown nobody:nogroup "$TMP/pcap1" "$TMP/pcap2"
captured() { sdump; jq -r '.total.pcap_packets' "$(sfile)"; }
in_dir() {	# packets in the capture files in $1
	local f
	for f in "$1"/nfqd-q*.pcap*; do
		[ -e "$f" ] && tshark -r "$f" -T fields -e frame.len 2>/dev/null
	done | wc -l
}
per_queue() {	# the most files one queue has in $1
	ls "$1" | sed 's/\.pcap.*//' | sort | uniq -c | sort -rn |
	    awk 'NR == 1 { print $1 }'
}
step pcap.dir "workers replaced" "\"$TMP/pcap1\""
step rules "workers replaced" "( { name = \"r\"; proto = \"udp\"; dst_port = $PORT; verdict = \"drop\"; log = \"pcap\"; } )"
c0=$(captured)
send 0 10 >/dev/null
wait_eq 5 $((c0 + 10)) captured
check "rules: log = \"pcap\": the rule's packets captured" \
    "$(in_dir "$TMP/pcap1")" 10
step pcap.dir "workers replaced" "\"$TMP/pcap2\""
c0=$(captured)
send 0 10 >/dev/null
wait_eq 5 $((c0 + 10)) captured
check "pcap.dir: the new workers write in the new directory" \
    "$(in_dir "$TMP/pcap2")/$(in_dir "$TMP/pcap1")" 10/10
# 1000-byte datagrams, 1044 bytes a record: 62 records a file.
step pcap.max_bytes "workers replaced" 65575
c0=$(captured)
send 0 150 -s 1000 >/dev/null
wait_eq 5 $((c0 + 150)) captured
check "pcap.max_bytes: files rotated at it" \
    "$(stat -c %s "$TMP"/pcap2/* | awk '$1 > 65575 { n++ } END { print n + 0 }')/$(per_queue "$TMP/pcap2")" 0/4
step pcap.max_files "workers replaced" 2
check "pcap.max_files: a queue's files beyond it removed" \
    "$(per_queue "$TMP/pcap2")" 2

# Queues: bound, and served by workers of their own.
step queue.balance "queues" '"2:3"'
check "queue.balance: queues 2 and 3 served" "$(kernel_queues)" "2 3"
unset "Q[balance]"
step queue.base "queues" 4 "$(nproc)"
check "queue.base: queues from 4 served" "$(kernel_queues | cut -d' ' -f1)" 4

# Last: the log leaves stderr, so the workers tell that it was reloaded.
check "daemon.log: the table says" "${class[daemon.log]}" "workers replaced"
done_names="$done_names daemon.log"
D[log]='"syslog"'
write
before=$(workers_of "$NFQD_PID")
kill -HUP "$NFQD_PID"
wait_until 10 replaced_all "$before" "$(nproc)"
check "daemon.log: workers replaced" \
    "$(replaced_all "$before" "$(nproc)" && echo yes)" yes
if grep -q "reload: daemon.log changed" "$TMP/nfqd.log"; then
	pass "daemon.log: the reload saw the change"
else
	fail "daemon.log: the reload saw the change"
fi

check "flows.connmark: the reloads that left it alone did not ask again" \
    "$(ct_lines)" 1

for name in "${!class[@]}"; do
	case " $done_names " in
	*" $name "*) ;;
	*) fail "$name: no step changes it" ;;
	esac
done
stop_nfqd
check "SIGTERM: exit status" "$NFQD_STATUS" 0
finish
