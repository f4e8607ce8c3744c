#!/bin/bash
# A second ClientHello after a HelloRetryRequest is read, with the
# documented host rules and a server built on OpenSSL 3.0 that takes only
# P-256, so a client whose first hello has no P-256 key share is asked
# again.
#
# OpenSSL 3.0 reads the second hello's server name even when it differs
# from the first's (its server-name callback sees it), so a client that
# names an allowed server first and a blocked one second would reach the
# blocked one if nfqd decided on the first hello.  nfqd refuses a second
# hello for another name, and decides on it otherwise.  tests/tools/hrr.py
# writes the hellos itself (over the kernel's TCP); curl is the real
# client, asked again because it offers an X25519 key share first.
. "$(dirname "$0")/lib.sh"

TLSP=4433

setup_net
l7_host_rules 0:0

conf=$TMP/nfqd.conf
rules="rules = (
  { name = \"tls\"; tls_sni = \"blocked.example\"; verdict = \"repeat\";
    mark = $L7D; }
);"
write_conf "$conf" 'queue: { balance = "0:0"; };' "$rules"
start_nfqd "$conf" 1 || finish

test_cert "$NS2"
mkdir -p "$TMP/www"
head -c 1048576 /dev/urandom >"$TMP/www/f"
tls_server "$NS2" $A2 $TLSP "$TMP/www" prime256v1
listening() { in2 ss -Hltn "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening $TLSP || fail "the TLS server did not listen"

get() {
	local n=$1
	shift
	in1 curl -sk -v --max-time 5 --resolve "$n:$TLSP:$A2" \
	    -o "$TMP/got" "$@" "https://$n:$TLSP/f" 2>"$TMP/curl.err"
}
stat_of() { dump; js ".total.$1"; }

# curl_case WHAT HELLOS LO HI [curl options]: curl fetches the 1 MiB file
# for ok.example; checks it came byte for byte, that curl sent HELLOS
# ClientHellos and nfqd read as many, and that nfqd saw LO to HI packets
# of the connection.
curl_case() {
	local what=$1 hellos=$2 lo=$3 hi=$4 t0 r0
	shift 4
	t0=$(stat_of l7_tls)
	r0=$(js '.total.received')
	rm -f "$TMP/got"
	get ok.example "$@"
	check "curl, allowed name, $what: 1 MiB byte for byte" \
	    "$(cmp -s "$TMP/got" "$TMP/www/f" && echo same)" same
	check "... curl sent $hellos ClientHellos" \
	    "$(grep -c 'OUT), TLS handshake, Client hello' "$TMP/curl.err")" \
	    "$hellos"
	check "... nfqd read as many" "$(( $(stat_of l7_tls) - t0 ))" "$hellos"
	in_range "... packets of the connection nfqd saw" \
	    $(( $(js '.total.received') - r0 )) "$lo" "$hi"
}

# A real client asked again, then one that is not (a P-256 key share):
# either is decided at the client's Finished.
curl_case "asked again" 2 4 20
curl_case "not asked again" 1 4 20 --curves P-256
t0=$(stat_of l7_tls)
get blocked.example
check "curl, blocked name: fails" "$?" 28
check "... its first hello was read and dropped" \
    "$(( $(stat_of l7_tls) - t0 ))" 1

# Second hellos written by hand.
m0=$(stat_of l7_malformed)
check "same name twice: the server takes the second" \
    "$(hrr $A2 $TLSP ok.example ok.example)" "hrr hello"
check "allowed name, then a blocked one: server silent" \
    "$(hrr $A2 $TLSP ok.example blocked.example)" "hrr silent"
check "... the second hello in 20-byte segments: server silent" \
    "$(hrr $A2 $TLSP ok.example blocked.example --seg 20)" "hrr silent"
check "... without a ChangeCipherSpec first: server silent" \
    "$(hrr $A2 $TLSP ok.example blocked.example --no-ccs)" "hrr silent"
check "... after early data (2000 bytes): server silent" \
    "$(hrr $A2 $TLSP ok.example blocked.example --early 2000)" "hrr silent"
check "allowed name, then another allowed one: refused, server silent" \
    "$(hrr $A2 $TLSP ok.example ok2.example)" "hrr silent"
check "blocked name first: server silent (not asked again)" \
    "$(hrr $A2 $TLSP blocked.example ok.example)" "silent none"
check "the five second hellos refused were counted in l7_malformed" \
    "$(( $(stat_of l7_malformed) - m0 ))" 5
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0

# The control: decided on the first hello, the server reads the second.
write_conf "$conf" 'queue: { balance = "0:0"; };' \
    'flows: { hello_retry = false; };' "$rules"
start_nfqd "$conf" 1 || finish
check "flows.hello_retry = false: allowed, then blocked: the server takes it" \
    "$(hrr $A2 $TLSP ok.example blocked.example)" "hrr hello"
curl_case "decided on the first hello" 1 3 13 --curves P-256
stop_nfqd
check "nfqd exits 0" "$NFQD_STATUS" 0
finish
