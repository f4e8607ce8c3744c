#!/bin/bash
# Files the master writes, in a world-writable sticky directory (like /tmp)
# where another user (nobody) planted FIFOs, symbolic links and a directory
# at the names nfqd uses: the master never blocks on them or writes through
# them, logs each problem, and answers SIGUSR1, SIGHUP and SIGTERM at once.
# At start, a planted pidfile or counters region, or an unsafe directory,
# is refused with a message naming it.
. "$(dirname "$0")/lib.sh"

setup_net
queue_rules "--queue-num 0 --queue-bypass"
conf=$TMP/nfqd.conf
# nobody may pass through $TMP (not list it) to reach the public directory.
chmod 0711 "$TMP"
W=$TMP/pub
mkdir "$W" && chmod 1777 "$W"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
echo "not nfqd's" >"$TMP/victim"

# conf STATS_FILE [PIDFILE] [SHM]
conf() {
	cat >"$conf" <<CONF
daemon: { pidfile = "${2:-$TMP/nfqd.pid}"; log_level = "info"; };
stats: { file = "$1"; shm = "${3:-$TMP/nfqd.shm}"; };
queue: { balance = "0:0"; };
CONF
}

nlines() { grep -c -- "$1" "$TMP/nfqd.log"; }
more_than() { [ "$(nlines "$1")" -gt "$2" ]; }

# answered NAME SIGNAL PATTERN: send SIGNAL, expect one more log line with
# PATTERN within 5 s.
answered() {
	local name=$1 sig=$2 pat=$3 before t0 ms
	before=$(nlines "$pat")
	t0=$(date +%s%N)
	kill "-$sig" "$NFQD_PID"
	if wait_until 5 more_than "$pat" "$before"; then
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		pass "$name: SIG$sig answered in $ms ms"
	else
		fail "$name: SIG$sig not answered within 5 s (no \"$pat\")"
	fi
}

# --- A FIFO at the temporary name of the statistics: another name is used.
conf "$W/stats.json"
start_nfqd "$conf" 1 || finish
as_nobody mkfifo "$W/stats.json.tmp.$NFQD_PID"
answered "FIFO at the temporary name" USR1 "statistics written to $W/stats.json"
check "FIFO at the temporary name: statistics in place" \
    "$(stat -c %F "$W/stats.json") $(jq -r .pid "$W/stats.json")" \
    "regular file $NFQD_PID"
if grep -q "statistics: open($W/stats.json.tmp.$NFQD_PID): File exists: a FIFO is in the way; used another name" "$TMP/nfqd.log"; then
	pass "FIFO at the temporary name: logged"
else
	fail "FIFO at the temporary name: not logged"
fi
check "FIFO at the temporary name: left alone" \
    "$(stat -c '%F %U' "$W/stats.json.tmp.$NFQD_PID")" "fifo nobody"

# --- A symbolic link at the final name: refused, its target untouched.
as_nobody ln -s "$TMP/victim" "$W/link.json"
conf "$W/link.json"
answered "symlink at the final name" HUP "reloaded: queues 0-0"
answered "symlink at the final name" USR1 "statistics not written: refusing to replace $W/link.json: it is a symbolic link"
check "symlink at the final name: the target is untouched" \
    "$(cat "$TMP/victim")" "not nfqd's"
check "symlink at the final name: the link is left alone" \
    "$(stat -c '%F %U' "$W/link.json")" "symbolic link nobody"

# --- FIFOs at both names: refused without opening either.
as_nobody mkfifo "$W/fifo.json" "$W/fifo.json.tmp.$NFQD_PID"
conf "$W/fifo.json"
answered "FIFOs at both names" HUP "reloaded: queues 0-0"
answered "FIFOs at both names" USR1 "statistics not written: refusing to replace $W/fifo.json: it is a FIFO"

# --- A directory at the final name.
as_nobody mkdir "$W/dir.json"
conf "$W/dir.json"
answered "directory at the final name" HUP "reloaded: queues 0-0"
answered "directory at the final name" USR1 "statistics not written: refusing to replace $W/dir.json: it is a directory"

# --- A directory anyone may change (not sticky): not written in at all.
mkdir -m 0777 "$TMP/open" && chmod 0777 "$TMP/open"
conf "$TMP/open/stats.json"
answered "world-writable directory" HUP "reloaded: queues 0-0"
answered "world-writable directory" USR1 "statistics not written: directory $TMP/open is writable by every user (mode 0777) and not sticky"
check "world-writable directory: nothing written there" \
    "$(ls -A "$TMP/open")" ""

# --- Still a working daemon: traffic, then SIGTERM.
check "traffic after all that" "$(send 0 100)" 100
wait_eq 5 100 delivered
check "delivered" "$(delivered)" 100
t0=$(date +%s%N)
kill -TERM "$NFQD_PID"
stopped() { ! kill -0 "$NFQD_PID" 2>/dev/null; }
if wait_until 5 stopped; then
	pass "SIGTERM answered in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
	fail "SIGTERM not answered within 5 s"
fi
wait "$NFQD_PID"
check "SIGTERM: exit status" "$?" 0
check "planted files left as they were" \
    "$(stat -c %F "$W/stats.json.tmp.$NFQD_PID" "$W/link.json" "$W/fifo.json" "$W/fifo.json.tmp.$NFQD_PID" "$W/dir.json" | tr '\n' ,)" \
    "fifo,symbolic link,fifo,fifo,directory,"

# --- At start: planted pidfile or region, or an unsafe directory.
# start_refused NAME PATTERN: nfqd must exit 1 within 10 s and say PATTERN.
start_refused() {
	local out rc
	out=$(timeout 10 ip netns exec "$NS2" "$NFQD" -c "$conf" 2>&1)
	rc=$?
	check "$1: refused to start" "$rc" 1
	if echo "$out" | grep -qF -- "$2"; then
		pass "$1: says why"
	else
		fail "$1: message: $out"
	fi
}
as_nobody ln -s "$TMP/victim" "$W/nfqd.pid"
conf "$W/s.json" "$W/nfqd.pid"
start_refused "symlink as the pidfile" \
    "pidfile: refusing to open $W/nfqd.pid: it is a symbolic link"
as_nobody mkfifo "$W/nfqd.shm"
conf "$W/s.json" "$TMP/nfqd.pid" "$W/nfqd.shm"
start_refused "FIFO as the counters region" \
    "creating the counters region: refusing to replace $W/nfqd.shm: it is a FIFO"
as_nobody sh -c "echo 1 >'$W/other.pid'"
conf "$W/s.json" "$W/other.pid"
start_refused "someone else's pidfile" \
    "pidfile: refusing to use $W/other.pid: it belongs to uid 65534"
conf "$W/s.json" "$TMP/open/nfqd.pid"
start_refused "pidfile in a world-writable directory" \
    "pidfile: directory $TMP/open is writable by every user"
check "victim untouched, nothing bound" \
    "$(cat "$TMP/victim")/$(kernel_queues)" "not nfqd's/"
finish
