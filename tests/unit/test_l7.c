/*
 * The application layer through the engine, a TCP flow's first message
 * (src/l7/l7.c, l7tcp.c): TLS hellos, HTTP requests and DNS queries in
 * TCP segments in every shape an evader tries (cut at every byte,
 * reordered, overlapping with other bytes, urgent, with a wrong checksum,
 * on a reused port pair, in a RST, behind a SYN with another ISN, outside
 * the window, on a SYN, in segments the server's TCP discards (no ACK, an
 * MD5 option, PAWS, a lower TTL, an ack the server refuses), seen from
 * the middle, with the flow table or the reassembly buffers full); flows
 * kept when their first message is lost; flows.connmark, tls_ja4, the
 * batch prefetch's hints and the checksum's sum; each decided exactly as
 * docs/l7.md says.  QUIC is test_l7udp.c's, what follows a first message
 * test_l7later.c's; both share l7harness.c with this file.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/l7.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/l7/ja4.h"
#include "nfqd/l7/names.h"
#include "nfqd/l7/tls.h"
#include "nfqd/queue.h"
#include "l7harness.h"
#include "unit.h"

/* Send msg[off..off+n) of the stream starting after isn. */
static const char *
part(struct run *r, uint16_t sport, uint32_t isn, const uint8_t *msg,
    size_t off, size_t n, uint32_t mark, uint32_t skbinfo, bool badsum)
{
	struct seg		s = cli(sport, isn + 1 + (uint32_t)off, 0x18);
	struct nfqd_decision	d;

	s.badsum = badsum;
	d = decide(r, mk(&s, msg + off, n), mark, skbinfo);
	return what(&d);
}

static void
test_whole(void)
{
	struct run		 r;
	uint8_t			 h[600];
	size_t			 n;
	struct seg		 s;
	struct nfqd_decision	 d;

	if (!setup(&r, ""))
		return;
	CHECK_STR_EQ(syn(&r, 1000, 100), "pending", "SYN: pending");
	n = hello(h, "blocked.example");
	CHECK_STR_EQ(part(&r, 1000, 100, h, 0, n, 0, 0, false), "blocked",
	    "whole hello, blocked name: repeat with the drop mark");
	CHECK_INT_EQ(r.ctr[0].hits, 1, "rule tls counted once");
	s = cli(1000, 101 + (uint32_t)n, 0x10);
	d = decide(&r, mk(&s, NULL, 0), 0, 0);
	CHECK(d.flow && d.rule == 0 && d.verdict == NF_REPEAT,
	    "a later packet: the flow's verdict, without the rules");
	CHECK_INT_EQ(r.ctr[0].hits, 2, "... counted to the rule");
	CHECK_STR_EQ(part(&r, 1000, 100, h, 0, n, 0, 0, false), "blocked",
	    "the hello again (a retransmission): blocked");

	CHECK_STR_EQ(syn(&r, 1001, 5000), "pending", "another SYN: pending");
	n = hello(h, "www.ok.example");
	CHECK_STR_EQ(part(&r, 1001, 5000, h, 0, n, 0, 0, false), "accept",
	    "whole hello, other name: accepted, no mark");
	n = hello(h, "WWW.Ads.Example.");
	CHECK_STR_EQ(syn(&r, 1002, 7), "pending", "SYN");
	CHECK_STR_EQ(part(&r, 1002, 7, h, 0, n, 0, 0, false), "blocked",
	    "a listed name's subdomain in capitals with a trailing dot");
	n = hello(h, "notads.example");
	CHECK_STR_EQ(syn(&r, 1003, 7), "pending", "SYN");
	CHECK_STR_EQ(part(&r, 1003, 7, h, 0, n, 0, 0, false), "accept",
	    "a name that only ends like a listed one");
	/* The same ports again, a new ISN: a new connection. */
	CHECK_STR_EQ(syn(&r, 1000, 90000), "pending",
	    "a new SYN on a blocked flow's ports: a new flow, pending");
	n = hello(h, "ok.example");
	CHECK_STR_EQ(part(&r, 1000, 90000, h, 0, n, 0, 0, false), "accept",
	    "... and its own hello decides it");
	teardown(&r);
}

/* Every segment size and order for a hello: pending until the last. */
static void
test_segments(void)
{
	static const size_t	sizes[] = { 1, 2, 7, 100 };
	static const char *const orders[] = { "in", "reverse", "odd-even" };
	struct run		r;
	uint8_t			h[600];
	size_t			n, k, i, j, cnt, idx[600];
	unsigned		o, sz, port = 2000, pend, bad;
	const char		*w, *last;
	int			blocked;

	if (!setup(&r, ""))
		return;
	for (blocked = 0; blocked < 2; blocked++)
	for (sz = 0; sz < 4; sz++)
	for (o = 0; o < 3; o++) {
		n = hello(h, blocked ? "blocked.example" : "ok.example");
		k = sizes[sz];
		cnt = (n + k - 1) / k;
		for (i = 0; i < cnt; i++)
			idx[i] = o == 1 ? cnt - 1 - i : i;
		if (o == 2)	/* odd ones first, then even */
			for (i = 0, j = 0; j < 2; j++)
				for (size_t m = (size_t)(1 - j); m < cnt; m += 2)
					idx[i++] = m;
		port++;
		syn(&r, (uint16_t)port, 1000);
		pend = bad = 0;
		last = "";
		for (i = 0; i < cnt; i++) {
			size_t off = idx[i] * k;

			w = part(&r, (uint16_t)port, 1000, h, off,
			    off + k > n ? n - off : k, 0, 0, false);
			if (i + 1 < cnt && strcmp(w, "pending") == 0)
				pend++;
			else if (i + 1 < cnt)
				bad++;
			last = w;
		}
		CHECKF(pend == cnt - 1 && bad == 0 &&
		    strcmp(last, blocked ? "blocked" : "accept") == 0,
		    unit_fmt("%s hello in %zu-byte segments, order %s: "
		    "pending until the last, which decides",
		    blocked ? "blocked" : "allowed", k, orders[o]),
		    "%u pending, %u other, last %s (of %zu)", pend, bad, last,
		    cnt);
		if (blocked) {
			w = part(&r, (uint16_t)port, 1000, h, 0,
			    k > n ? n : k, 0, 0, false);
			CHECK_STR_EQ(w, "blocked", unit_fmt("... a "
			    "retransmitted segment after it: blocked (%zu, %s)",
			    k, orders[o]));
		}
	}
	teardown(&r);
}

static void
test_evasions(void)
{
	struct run		 r;
	uint8_t			 h[600], x[600];
	size_t			 n, i;
	struct seg		 s;
	struct nfqd_decision	 d;

	if (!setup(&r, ""))
		return;
	n = hello(h, "blocked.example");
	memcpy(x, h, n);
	for (i = 40; i < 80; i++)
		x[i] ^= 0x55;

	syn(&r, 3000, 1);
	CHECK_STR_EQ(part(&r, 3000, 1, h, 0, 60, 0, 0, false), "pending",
	    "conflict: first 60 bytes pending");
	CHECK_STR_EQ(part(&r, 3000, 1, x, 40, 40, 0, 0, false), "l7_error",
	    "conflict: bytes 40-80 that differ from those read: refused");
	CHECK_STR_EQ(part(&r, 3000, 1, h, 60, n - 60, 0, 0, false),
	    "l7_error", "conflict: the rest of the flow refused too");

	syn(&r, 3001, 1);
	CHECK_STR_EQ(part(&r, 3001, 1, h, 0, 40, 0, 0, false), "pending",
	    "identical overlap: first 40 bytes");
	CHECK_STR_EQ(part(&r, 3001, 1, h, 20, 40, 0, 0, false), "pending",
	    "identical overlap: 20-60 again, pending");
	CHECK_STR_EQ(part(&r, 3001, 1, h, 60, n - 60, 0, 0, false),
	    "blocked", "identical overlap: the rest decides");

	syn(&r, 3002, 1);
	s = cli(3002, 2, 0x38);	/* URG */
	d = decide(&r, mk(&s, h, n), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "urgent data in a hello: refused");

	syn(&r, 3003, 1);
	CHECK_STR_EQ(part(&r, 3003, 1, h, 0, n, 0,
	    NFQA_SKB_CSUM_NOTVERIFIED, true), "l7_error",
	    "a wrong checksum nobody verified: refused, not read");
	n = hello(x, "ok.example");
	syn(&r, 3004, 1);
	CHECK_STR_EQ(part(&r, 3004, 1, x, 0, n, 0,
	    NFQA_SKB_CSUM_NOTVERIFIED, true), "l7_error",
	    "a harmless hello with a wrong checksum: refused");
	n = hello(h, "blocked.example");
	CHECK_STR_EQ(part(&r, 3004, 1, h, 0, n, 0,
	    NFQA_SKB_CSUM_NOTVERIFIED, false), "blocked",
	    "... then the real one is read: blocked");
	syn(&r, 3005, 1);
	CHECK_STR_EQ(part(&r, 3005, 1, h, 0, n, 0, 0, true), "blocked",
	    "a checksum the device verified is not checked again");

	/* Seen from the middle (no SYN): nothing reassembled. */
	CHECK_STR_EQ(part(&r, 3006, 1, h, 50, n - 50, 0, 0, false), "accept",
	    "midstream: a hello's tail alone is no message");
	CHECK_STR_EQ(part(&r, 3006, 1, h, 0, 50, 0, 0, false), "untracked",
	    "midstream: a hello's start it does not hold: flows.full_verdict");
	CHECK_STR_EQ(part(&r, 3007, 1, h, 0, n, 0, 0, false), "blocked",
	    "midstream: a whole hello is read");
	CHECK_STR_EQ(part(&r, 3008, 1, h, 50, n - 50, P, 0, false),
	    "untracked", "midstream with the pending mark: a lost hello's "
	    "rest is not let through");
	teardown(&r);
}

/*
 * A RST's payload is no stream bytes (a receiver never delivers it): a
 * harmless hello's bytes 1..n in a RST, its byte 0 after, then a blocked
 * hello's bytes 1..m complete the blocked one.
 */
/*
 * TLS alert records before the ClientHello.  Go's crypto/tls server takes
 * an alert record as a connection's first (besides a handshake record:
 * readRecordOrCCS(), "first record does not look like a TLS handshake"),
 * with any version below 0x1000, and steps over warning alerts there (up
 * to 16, maxUselessRecords), then reads the hello after them and answers
 * for its server name; BoringSSL's server steps over 4 (kMaxWarningAlerts).
 * No client sends an alert before its hello.  The stream does not start
 * with a handshake record, so it was read as no TLS ("none") and the
 * blocked name reached the server.
 */
static void
test_alert_first(void)
{
	static const uint8_t	 warn[] = { 21, 3, 1, 0, 2, 1, 90 };
	static const uint8_t	 v0001[] = { 21, 0, 1, 0, 2, 1, 90 };
	static const struct {
		const uint8_t	*rec;
		unsigned	 count;		/* records before the hello */
		bool		 apart;		/* the records in a segment of
						   their own */
		const char	*what;
	} rows[] = {
		{ warn, 1, false, "a warning alert and a blocked hello, one "
		    "segment" },
		{ warn, 1, true, "a warning alert, then a blocked hello" },
		{ warn, 16, false, "16 warning alerts, then a blocked hello" },
		{ v0001, 1, false, "an alert of record version 0x0001, then a "
		    "blocked hello" },
	};
	struct run	 r;
	uint8_t		 b[800];
	size_t		 i, j, k, n;
	uint16_t	 port = 3900;
	const char	*w;

	if (!setup(&r, ""))
		return;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++, port++) {
		for (j = k = 0; j < rows[i].count; j++, k += 7)
			memcpy(b + k, rows[i].rec, 7);
		n = k + hello(b + k, "blocked.example");
		syn(&r, port, 100);
		if (rows[i].apart) {
			w = part(&r, port, 100, b, 0, k, 0, 0, false);
			CHECKF(strcmp(w, "l7_error") == 0, rows[i].what,
			    "the alert alone: got %s, expected l7_error", w);
			w = part(&r, port, 100, b, k, n - k, 0, 0, false);
		} else {
			w = part(&r, port, 100, b, 0, n, 0, 0, false);
		}
		CHECKF(strcmp(w, "l7_error") == 0, rows[i].what,
		    "got %s, expected l7_error (Go's server reads the name)",
		    w);
	}
	/* A stream that only starts with byte 21 is no alert: read as before. */
	memcpy(b, "\x15\x41zz\r\n", 6);
	syn(&r, port, 100);
	CHECK_STR_EQ(part(&r, port, 100, b, 0, 6, 0, 0, false), "accept",
	    "21 then bytes that are no alert record: no TLS, accepted");
	teardown(&r);
}

static void
test_rst_payload(void)
{
	struct run	 r;
	uint8_t		 ok[600], bl[600];
	size_t		 n, m;

	if (!setup(&r, ""))
		return;
	n = hello(ok, "ok.example");
	m = hello(bl, "blocked.example");
	CHECK_STR_EQ(syn(&r, 3100, 1000), "pending", "rst payload: SYN");
	CHECK_STR_EQ(seg_at(&r, 3100, 1001, 0x10, NULL, 0, 0), "pending",
	    "rst payload: the handshake's ACK");
	CHECK_STR_EQ(seg_at(&r, 3100, 1002, 0x14, ok + 1, n - 1, 0),
	    "pending", "rst payload: a RST holding a harmless hello's bytes "
	    "1..n: pending, nothing read");
	CHECK_STR_EQ(part(&r, 3100, 1000, ok, 0, 1, 0, 0, false), "pending",
	    "rst payload: the hello's byte 0: pending (the RST's bytes are "
	    "not the stream's)");
	CHECK_STR_EQ(part(&r, 3100, 1000, bl, 1, m - 1, 0, 0, false),
	    "blocked", "rst payload: the blocked hello's bytes 1..m complete "
	    "it: blocked");
	CHECK_STR_EQ(part(&r, 3100, 1000, bl, 0, m, 0, 0, false), "blocked",
	    "rst payload: the blocked hello again: blocked");

	/* Without a flow entry (midstream), a RST's payload is not read. */
	CHECK_STR_EQ(seg_at(&r, 3101, 5000, 0x14, ok, n, 0), "pending",
	    "rst payload: a whole harmless hello in a RST seen midstream: "
	    "not read, the flow undecided");
	CHECK_STR_EQ(seg_at(&r, 3101, 5000, 0x18, bl, m, 0), "blocked",
	    "rst payload: ... then the blocked hello whole: blocked");
	teardown(&r);
}

/*
 * A server name with a port: nginx cuts "blocked.example:443" at the
 * colon and serves blocked.example, so a TLS hello that names it is
 * refused; an HTTP Host with a port is the name before it.
 */
static void
test_name_port(void)
{
	static const char	req[] = "GET / HTTP/1.1\r\nHost: "
				    "blocked.example:443\r\n\r\n";
	struct run		r;
	uint8_t			h[600];
	size_t			n;

	if (!setup(&r, ""))
		return;
	n = hello(h, "blocked.example:443");
	syn(&r, 3200, 1);
	CHECK_STR_EQ(part(&r, 3200, 1, h, 0, n, 0, 0, false), "l7_error",
	    "TLS server name \"blocked.example:443\": l7_error_verdict");
	n = hello(h, "ok.example:443");
	syn(&r, 3201, 1);
	CHECK_STR_EQ(part(&r, 3201, 1, h, 0, n, 0, 0, false), "l7_error",
	    "TLS server name \"ok.example:443\": l7_error_verdict too");
	syn(&r, 3202, 1);
	CHECK_STR_EQ(part(&r, 3202, 1, (const uint8_t *)req, 0,
	    sizeof(req) - 1, 0, 0, false), "blocked",
	    "HTTP Host \"blocked.example:443\": the host, blocked");
	teardown(&r);
}

/*
 * A SYN with another ISN on a flow whose hello is unread, after the
 * client's ACK: Linux discards it (a challenge ACK), so it starts
 * nothing, and the hello at the old numbers is read.
 */
static void
test_syn_isn(void)
{
	static const int64_t	deltas[] = { 0x80000000ll, 1000, -1000 };
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			bl[600], ok[600];
	uint32_t		y = 70000, x;
	uint16_t		port;
	size_t			m, n, i;
	uint64_t		out;

	if (!setup(&r, ""))
		return;
	m = hello(bl, "blocked.example");
	n = hello(ok, "ok.example");
	for (i = 0; i < 3; i++) {
		port = (uint16_t)(3300 + i);
		x = (uint32_t)((int64_t)y + deltas[i]);
		syn(&r, port, y);
		seg_at(&r, port, y + 1, 0x10, NULL, 0, 0);
		CHECK_STR_EQ(seg_at(&r, port, x, 0x02, NULL, 0, P), "pending",
		    unit_fmt("syn isn: a SYN at Y%+lld after the ACK: pending",
		    (long long)deltas[i]));
		CHECK_STR_EQ(part(&r, port, y, bl, 0, m, P, 0, false),
		    "blocked", unit_fmt("syn isn: ... the blocked hello at "
		    "Y+1 is read and blocked (Y%+lld)", (long long)deltas[i]));
	}

	/* In pieces around the SYN, and the SYN again with the same ISN. */
	syn(&r, 3310, y);
	seg_at(&r, 3310, y + 1, 0x10, NULL, 0, 0);
	CHECK_STR_EQ(part(&r, 3310, y, bl, 0, 40, P, 0, false), "pending",
	    "syn isn: the hello's first 40 bytes: pending");
	CHECK_STR_EQ(seg_at(&r, 3310, y + 5000, 0x02, NULL, 0, P), "pending",
	    "syn isn: a SYN at Y+5000 in the middle: pending");
	CHECK_STR_EQ(seg_at(&r, 3310, y, 0x02, NULL, 0, P), "pending",
	    "syn isn: the SYN again (same ISN): pending");
	CHECK_STR_EQ(part(&r, 3310, y, bl, 40, m - 40, P, 0, false),
	    "blocked", "syn isn: the rest completes the blocked hello");

	/* Only SYNs seen: the last one starts the connection. */
	syn(&r, 3311, y);
	CHECK_STR_EQ(syn(&r, 3311, y + 77), "pending",
	    "syn isn: a second SYN before any ACK: pending");
	CHECK_STR_EQ(part(&r, 3311, y + 77, bl, 0, m, 0, 0, false), "blocked",
	    "syn isn: ... its hello is read: blocked");

	/* A port reused after a FIN: read afresh. */
	for (i = 0; i < 2; i++) {
		port = (uint16_t)(3312 + i);
		syn(&r, port, y);
		seg_at(&r, port, y + 1, 0x10, NULL, 0, 0);
		CHECK_STR_EQ(seg_at(&r, port, y + 1, 0x11, NULL, 0, P),
		    "pending", "syn isn: a FIN before any data: pending");
		CHECK_STR_EQ(syn(&r, port, y + 900000), "pending",
		    "syn isn: a new SYN after it (no pending mark: a new "
		    "connection): pending");
		CHECK_STR_EQ(part(&r, port, y + 900000, i ? ok : bl, 0,
		    i ? n : m, 0, 0, false), i ? "accept" : "blocked",
		    i ? "syn isn: ... the new connection's allowed hello: "
		    "accepted" : "syn isn: ... the new connection's blocked "
		    "hello: blocked");
	}
	/* The same with the pending mark: conntrack's old connection. */
	syn(&r, 3314, y);
	seg_at(&r, 3314, y + 1, 0x10, NULL, 0, 0);
	seg_at(&r, 3314, y + 5001, 0x11, NULL, 0, P);
	CHECK_STR_EQ(seg_at(&r, 3314, y + 100, 0x02, NULL, 0, P), "pending",
	    "syn isn: a SYN after a FIN, with the pending mark: pending");
	CHECK_STR_EQ(part(&r, 3314, y + 100, ok, 0, n, P, 0, false),
	    "pending", "syn isn: ... an allowed hello at its numbers is "
	    "the open connection's byte 100 on: pending, nothing decided");
	CHECK_STR_EQ(part(&r, 3314, y, bl, 0, m, P, 0, false), "blocked",
	    "syn isn: ... the blocked hello at Y+1: blocked");

	/* A decided flow, no FIN seen: a new ISN is a new connection. */
	syn(&r, 3315, y);
	CHECK_STR_EQ(part(&r, 3315, y, ok, 0, n, 0, 0, false), "accept",
	    "syn isn: an allowed hello decides the flow");
	CHECK_STR_EQ(syn(&r, 3315, y + 900000), "pending",
	    "syn isn: a SYN with a new ISN on the decided flow: pending");
	CHECK_STR_EQ(part(&r, 3315, y + 900000, bl, 0, m, 0, 0, false),
	    "blocked", "syn isn: ... its blocked hello is read: blocked");
	CHECK_STR_EQ(syn(&r, 3315, y + 900000), "blocked",
	    "syn isn: the same SYN again: the flow's verdict");

	/* A wrong checksum nobody verified on a SYN that would restart. */
	syn(&r, 3316, y);
	CHECK_STR_EQ(part(&r, 3316, y, bl, 0, m, 0, 0, false), "blocked",
	    "syn isn: a blocked hello decides the flow");
	s = cli(3316, y + 900000, 0x02);
	s.badsum = true;
	d = decide(&r, mk(&s, NULL, 0), 0, NFQA_SKB_CSUM_NOTVERIFIED);
	CHECK_STR_EQ(what(&d), "l7_error",
	    "syn isn: a new SYN with a wrong checksum: l7_error_verdict");
	CHECK_STR_EQ(part(&r, 3316, y, bl, 0, m, 0, 0, false), "blocked",
	    "syn isn: ... the flow did not restart: the hello again blocked");

	/* Bytes outside the window of an undecided flow. */
	syn(&r, 3317, y);
	out = r.e.l7.outside;
	CHECK_STR_EQ(seg_at(&r, 3317, y - 9, 0x18, ok, 10, 0), "l7_error",
	    "syn isn: 10 bytes before byte 0: l7_error_verdict");
	CHECK_STR_EQ(seg_at(&r, 3317, y - 4, 0x18, ok, n, 0), "l7_error",
	    "syn isn: a hello that starts 5 bytes before byte 0: "
	    "l7_error_verdict");
	CHECK_STR_EQ(part(&r, 3317, y, ok, 16384, 10, 0, 0, false),
	    "l7_error", "syn isn: 10 bytes at stream byte 16384: "
	    "l7_error_verdict");
	CHECK_STR_EQ(seg_at(&r, 3317, y - 100, 0x10, NULL, 0, 0), "pending",
	    "syn isn: an ACK without bytes before byte 0: pending");
	CHECK_INT_EQ(r.e.l7.outside - out, 3, "syn isn: 3 segments counted");
	CHECK_STR_EQ(part(&r, 3317, y, bl, 0, m, 0, 0, false), "blocked",
	    "syn isn: ... the hello at byte 0: blocked");
	CHECK_STR_EQ(seg_at(&r, 3317, y - 9, 0x18, ok, 10, 0), "blocked",
	    "syn isn: decided: bytes before byte 0 get the flow's verdict");
	CHECK_STR_EQ(part(&r, 3317, y, ok, 16384, 10, 0, 0, false),
	    "blocked", "syn isn: decided: bytes past the window too");
	syn(&r, 3318, y);
	part(&r, 3318, y, ok, 0, n, 0, 0, false);
	CHECK_STR_EQ(seg_at(&r, 3318, y - 9, 0x18, ok, 10, 0), "accept",
	    "syn isn: decided accept: bytes before byte 0 accepted");
	CHECK_INT_EQ(r.e.l7.outside - out, 3, "syn isn: none counted once "
	    "decided");
	teardown(&r);
}

/* The server's SYN-ACK to port sport, acknowledging ack, in on dev. */
static const char *
synack(struct run *r, uint16_t sport, uint32_t ack, uint32_t dev)
{
	struct seg		s = cli(sport, 5555, 0x12);
	struct nfqd_decision	d;
	uint32_t		len;

	s.src = "10.0.0.2";
	s.dst = "10.0.0.1";
	s.sport = 443;
	s.dport = sport;
	len = mk(&s, NULL, 0);
	/* Not in the checksum, which nobody is told to check here. */
	pbuf[28] = (uint8_t)(ack >> 24);
	pbuf[29] = (uint8_t)(ack >> 16);
	pbuf[30] = (uint8_t)(ack >> 8);
	pbuf[31] = (uint8_t)ack;
	indev = dev;
	d = decide(r, len, 0, 0);
	indev = 2;
	return what(&d);
}

/*
 * Data on a SYN (TCP Fast Open): read, and a blocked hello dropped at
 * once, but an accept waits for the bytes to be sent again after the
 * handshake (a server without a Fast Open cookie drops them), unless
 * the server's SYN-ACK took them.
 */
static void
test_syn_data(void)
{
	struct run	r;
	uint8_t		ok[600], bl[600], more[40];
	uint32_t	isn = 90000;
	size_t		n, m;
	uint64_t	conflicts;

	if (!setup(&r, ""))
		return;
	n = hello(ok, "ok.example");
	m = hello(bl, "blocked.example");
	memset(more, 0x17, sizeof(more));

	conflicts = r.e.l7.conflicts;
	CHECK_STR_EQ(seg_at(&r, 3400, isn, 0x02, ok, n, 0), "pending",
	    "syn data: a harmless hello on the SYN: pending, not accepted");
	CHECK_STR_EQ(seg_at(&r, 3400, isn + 1, 0x10, NULL, 0, 0), "pending",
	    "syn data: the ACK: pending");
	CHECK_STR_EQ(part(&r, 3400, isn, bl, 0, m, 0, 0, false), "l7_error",
	    "syn data: ... the blocked hello at ISN+1: a conflict, refused");
	CHECK_INT_EQ(r.e.l7.conflicts - conflicts, 1,
	    "syn data: counted as a conflict");

	CHECK_STR_EQ(seg_at(&r, 3401, isn, 0x02, ok, n, 0), "pending",
	    "syn data: a harmless hello on the SYN");
	CHECK_STR_EQ(seg_at(&r, 3401, isn, 0x02, ok, n, 0), "pending",
	    "syn data: ... the SYN again: pending");
	CHECK_STR_EQ(part(&r, 3401, isn, ok, 0, 10, 0, 0, false), "pending",
	    "syn data: ... its first 10 bytes sent again: pending");
	CHECK_STR_EQ(part(&r, 3401, isn, ok, 10, n - 10, 0, 0, false),
	    "accept", "syn data: ... the rest sent again: accepted");
	CHECK_STR_EQ(part(&r, 3401, isn, more, n, sizeof(more), 0, 0,
	    false), "accept", "syn data: ... later data: accepted");

	CHECK_STR_EQ(seg_at(&r, 3402, isn, 0x02, bl, m, 0), "blocked",
	    "syn data: a blocked hello on the SYN: blocked at once");
	CHECK_STR_EQ(seg_at(&r, 3402, isn, 0x02, bl, m, 0), "blocked",
	    "syn data: ... the SYN again: blocked");
	CHECK_STR_EQ(part(&r, 3402, isn, bl, 0, m, 0, 0, false), "blocked",
	    "syn data: ... the hello after the handshake: blocked");

	/* Fast Open taken: the SYN-ACK acknowledges the SYN's data. */
	CHECK_STR_EQ(seg_at(&r, 3403, isn, 0x02, ok, n, 0), "pending",
	    "syn data: a harmless hello on the SYN");
	CHECK_STR_EQ(synack(&r, 3403, isn + 1 + (uint32_t)n, 3), "pending",
	    "syn data: ... a SYN-ACK that takes it: pending");
	cli_ack = 5556;		/* it came from the server's side */
	CHECK_STR_EQ(part(&r, 3403, isn, more, n, sizeof(more), 0, 0, false),
	    "accept", "syn data: ... data past it (Fast Open): accepted");
	CHECK_STR_EQ(part(&r, 3403, isn, bl, 0, m, 0, 0, false), "accept",
	    "syn data: ... decided: a later segment gets the flow's verdict");
	cli_ack = 0;

	/* Not taken, or no SYN-ACK seen: data past it decides nothing. */
	CHECK_STR_EQ(seg_at(&r, 3404, isn, 0x02, ok, n, 0), "pending",
	    "syn data: a harmless hello on the SYN");
	CHECK_STR_EQ(synack(&r, 3404, isn + 1, 0), "pending",
	    "syn data: ... a SYN-ACK (sent by this host) that drops it: "
	    "pending");
	CHECK_STR_EQ(part(&r, 3404, isn, more, n, sizeof(more), 0, 0, false),
	    "pending", "syn data: ... data past it: pending");
	CHECK_STR_EQ(part(&r, 3404, isn, bl, 0, m, 0, 0, false), "l7_error",
	    "syn data: ... then the blocked hello at ISN+1: refused");
	CHECK_STR_EQ(seg_at(&r, 3405, isn, 0x02, ok, n, 0), "pending",
	    "syn data: a harmless hello on the SYN");
	CHECK_STR_EQ(synack(&r, 3405, isn + 1 + (uint32_t)n, 2), "pending",
	    "syn data: ... a SYN-ACK that takes it, in where the SYN came "
	    "in (the client's forgery): pending");
	CHECK_STR_EQ(part(&r, 3405, isn, more, n, sizeof(more), 0, 0, false),
	    "pending", "syn data: ... data past it: pending (no SYN-ACK "
	    "counted)");
	CHECK_STR_EQ(part(&r, 3405, isn, ok, 0, n, 0, 0, false), "accept",
	    "syn data: ... the hello sent again: accepted");

	/* Part of a hello on the SYN: the rest cannot decide alone. */
	CHECK_STR_EQ(seg_at(&r, 3406, isn, 0x02, ok, 30, 0), "pending",
	    "syn data: a harmless hello's first 30 bytes on the SYN");
	CHECK_STR_EQ(part(&r, 3406, isn, ok, 30, n - 30, 0, 0, false),
	    "pending", "syn data: ... its rest after: pending");
	CHECK_STR_EQ(part(&r, 3406, isn, bl, 0, 30, 0, 0, false), "l7_error",
	    "syn data: ... the blocked hello's first 30 bytes (its lengths "
	    "differ): refused");
	CHECK_STR_EQ(seg_at(&r, 3407, isn, 0x02, ok, 30, 0), "pending",
	    "syn data: a harmless hello's first 30 bytes on the SYN");
	CHECK_STR_EQ(part(&r, 3407, isn, ok, 30, n - 30, 0, 0, false),
	    "pending", "syn data: ... its rest after: pending");
	CHECK_STR_EQ(part(&r, 3407, isn, ok, 0, 30, 0, 0, false), "accept",
	    "syn data: ... its first 30 bytes again: accepted");
	teardown(&r);
}

static void
test_http_dns(void)
{
	static const char	req[] = "GET /x HTTP/1.1\r\nHost: "
				    "Only.Example:8080\r\nAccept: */*\r\n\r\n";
	static const char	req2[] = "GET /x HTTP/1.1\r\nHost: "
				    "a.only.example\r\n\r\n";
	static const struct {
		const char	*name, *req;
	} lenient[] = {
		{ "a scheme without //", "GET http:/admin HTTP/1.1\r\n"
		  "Host: blocked.example\r\n\r\n" },
		{ "a method of 17", "UPDATEREDIRECTREF /admin HTTP/1.1\r\n"
		  "Host: blocked.example\r\n\r\n" },
		{ "a tab after the method", "GET\t/admin HTTP/1.1\r\n"
		  "Host: blocked.example\r\n\r\n" },
	};
	static const char	ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
	static const uint8_t	dnsq[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'b', 'l', 'o', 'c', 'k', 'e', 'd',
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	};
	static const uint8_t	dnsok[] = {
		0x12, 0x35, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		2, 'o', 'k', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1,
		0, 1,
	};
	struct run		 r;
	struct seg		 s;
	struct nfqd_decision	 d;
	uint8_t			 tcpdns[128];
	size_t			 i, n = sizeof(req) - 1;
	unsigned		 pend = 0;

	if (!setup(&r, ""))
		return;
	syn(&r, 4000, 9);
	for (i = 0; i + 1 < n; i++)
		pend += strcmp(part(&r, 4000, 9, (const uint8_t *)req, i, 1,
		    0, 0, false), "pending") == 0;
	CHECK_INT_EQ(pend, n - 1, "HTTP request in 1-byte segments: pending");
	CHECK_STR_EQ(part(&r, 4000, 9, (const uint8_t *)req, n - 1, 1, 0, 0,
	    false), "blocked", "... the last byte: Host =only.example blocked");
	syn(&r, 4001, 9);
	CHECK_STR_EQ(part(&r, 4001, 9, (const uint8_t *)req2, 0,
	    sizeof(req2) - 1, 0, 0, false), "pending",
	    "HTTP: a subdomain of an exact-only name is not blocked (pending: "
	    "the connection's later requests are read)");
	/* Lines some server serves and nfqd does not read: refused, not
	   taken for another protocol that carries no Host. */
	for (i = 0; i < sizeof(lenient) / sizeof(lenient[0]); i++) {
		syn(&r, (uint16_t)(4010 + i), 9);
		CHECK_STR_EQ(part(&r, (uint16_t)(4010 + i), 9,
		    (const uint8_t *)lenient[i].req, 0, strlen(lenient[i].req),
		    0, 0, false), "l7_error", unit_fmt("HTTP: a blocked Host, "
		    "%s: l7_error_verdict", lenient[i].name));
	}
	syn(&r, 4020, 9);
	for (i = pend = 0; i + 1 < sizeof("GET http:/admin HTTP/") - 1; i++)
		pend += strcmp(part(&r, 4020, 9,
		    (const uint8_t *)lenient[0].req, i, 1, 0, 0, false),
		    "pending") == 0;
	CHECK_INT_EQ(pend, 20, "GET http:/admin in 1-byte segments: pending");
	CHECK_STR_EQ(part(&r, 4020, 9, (const uint8_t *)lenient[0].req, 20, 1,
	    0, 0, false), "l7_error", "... refused at the '/' of HTTP/");
	syn(&r, 4021, 9);
	CHECK_STR_EQ(part(&r, 4021, 9, (const uint8_t *)ssh, 0,
	    sizeof(ssh) - 1, 0, 0, false), "accept",
	    "an SSH banner is no HTTP request: accepted");

	s = (struct seg){ "10.0.0.1", "10.0.0.2", 5353, 53, 0, 0, 17, false, 0, 0, 0, NULL };
	d = decide(&r, mk(&s, dnsq, sizeof(dnsq)), 0, 0);
	CHECK(d.verdict == NF_DROP && d.rule == 2,
	    "DNS over UDP: a blocked name's subdomain dropped by rule dns");
	d = decide(&r, mk(&s, dnsok, sizeof(dnsok)), 0, 0);
	CHECK(d.verdict == NF_ACCEPT && d.rule == NFQD_DECIDED_DEFAULT,
	    "DNS over UDP: the next query on the same ports is read anew");

	/* DNS over TCP: two queries, each in a segment of its own. */
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 4002, 53, 77, 0x02, 6,
	    false, 0, 0, 0, NULL };
	decide(&r, mk(&s, NULL, 0), 0, 0);
	tcpdns[0] = 0;
	tcpdns[1] = sizeof(dnsok);
	memcpy(tcpdns + 2, dnsok, sizeof(dnsok));
	s.seq = 78;
	s.flags = 0x18;
	d = decide(&r, mk(&s, tcpdns, 2 + sizeof(dnsok)), 0, 0);
	CHECK(d.verdict == NF_ACCEPT, "DNS over TCP: an allowed query");
	tcpdns[1] = sizeof(dnsq);
	memcpy(tcpdns + 2, dnsq, sizeof(dnsq));
	s.seq = 78 + 2 + sizeof(dnsok);
	d = decide(&r, mk(&s, tcpdns, 2 + sizeof(dnsq)), 0, 0);
	CHECK(d.verdict == NF_DROP && d.rule == 2,
	    "DNS over TCP: a second query on the connection is read and "
	    "dropped");
	s.seq += 2 + sizeof(dnsq);
	d = decide(&r, mk(&s, tcpdns, 5), 0, 0);
	CHECK(d.verdict == NF_DROP && d.rule == 2 && d.flow,
	    "DNS over TCP: after a query dropped, the connection is (the "
	    "server cannot read past the bytes it lacks)");
	teardown(&r);
}

/* A DNS message into b: a query for name (type A), or (addr) an answer
   to it with one A record for addr; its length. */
static size_t
dnsmsg(uint8_t *b, uint16_t id, const char *name, const char *addr)
{
	const char	*p = name, *dot;
	size_t		 n = 12, k;

	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = addr != NULL ? 0x81 : 0x01;
	b[3] = addr != NULL ? 0x80 : 0x00;
	b[5] = 1;
	b[7] = addr != NULL;
	for (; *p != '\0'; p += k + (dot != NULL)) {
		dot = strchr(p, '.');
		k = dot != NULL ? (size_t)(dot - p) : strlen(p);
		b[n++] = (uint8_t)k;
		memcpy(b + n, p, k);
		n += k;
	}
	b[n++] = 0;
	memcpy(b + n, "\0\1\0\1", 4);
	n += 4;
	if (addr == NULL)
		return n;
	b[n++] = 0xc0;			/* the question's name */
	b[n++] = 12;
	memcpy(b + n, "\0\1\0\1", 4);
	n += 4;
	put32(b + n, 300);
	n += 4;
	b[n++] = 0;
	b[n++] = 4;
	inet_pton(AF_INET, addr, b + n);
	return n + 4;
}

/*
 * A UDP GSO packet to port 53 (NFQA_SKB_GSO: a sendmsg() with
 * UDP_SEGMENT) is several queries, cut apart after the verdict at a size
 * nfqueue does not say: before, nfqd read the first alone and the
 * resolver answered a blocked one in the next.  Refused now; the same
 * bytes as one datagram are one query and its trailing bytes.
 */
static void
test_udp_gso(void)
{
	struct seg		 s = { "10.0.0.1", "10.0.0.2", 5353, 53, 0, 0,
				    17, false, 0, 0, 0, NULL };
	struct seg		 a = { "10.0.0.2", "10.0.0.1", 53, 5353, 0, 0,
				    17, false, 0, 0, 0, NULL };
	struct nfqd_decision	 d;
	struct run		 r;
	uint8_t			 b[128];
	size_t			 nok, nbl;
	uint64_t		 err;

	if (!setup(&r, ""))
		return;
	memset(b, 0, sizeof(b));
	nok = dnsmsg(b, 0x1111, "ok.example", NULL);
	/* gso_size 64 */
	nbl = dnsmsg(b + 64, 0x2222, "blocked.example", NULL);
	err = r.e.l7.l7_errors;
	d = decide(&r, mk(&s, b, 64 + nbl), 0, NFQA_SKB_GSO |
	    NFQA_SKB_CSUMNOTREADY);
	CHECK_STR_EQ(what(&d), "l7_error", "UDP GSO: [an allowed query, "
	    "padded to 64][a blocked one]: refused");
	CHECK_INT_EQ(r.e.l7.l7_errors - err, 1, "UDP GSO: ... counted");
	d = decide(&r, mk(&s, b, 64 + nok), 0, NFQA_SKB_GSO);
	CHECK_STR_EQ(what(&d), "l7_error", "UDP GSO: two allowed queries: "
	    "refused all the same (no client sends so)");
	d = decide(&r, mk(&s, b, 64 + nbl), 0, 0);
	CHECK_STR_EQ(what(&d), "accept", "UDP GSO: the same bytes, one "
	    "datagram: the allowed query, its trailing bytes unread");
	d = decide(&r, mk(&s, b + 64, nbl), 0, 0);
	CHECK_STR_EQ(what(&d), "drop", "UDP GSO: the blocked query alone: "
	    "dropped");
	/* An answer (from port 53) is not a query: as before. */
	d = decide(&r, mk(&a, b, 64 + nok), 0, NFQA_SKB_GSO);
	CHECK_STR_EQ(what(&d), "accept", "UDP GSO: from port 53: read as "
	    "before");
	teardown(&r);
}

/*
 * UDP length 0 over IPv6: Linux's __udp6_lib_rcv() takes it for the rest
 * of the datagram at any size, so dnsmasq reads the query.  Before, nfqd
 * called it malformed: dropped by default (a real query lost), passed
 * unread with malformed_verdict "accept" (a blocked name answered).
 * Over IPv4, __udp4_lib_rcv() drops it: malformed, as before.
 */
static void
test_udp6_len0(void)
{
	static const struct {
		const char	*name;
		const char	*extra;		/* settings */
		const char	*src, *dst;
		int		 blocked;	/* the query's name */
		const char	*want;
		int		 rule;
	} rows[] = {
		{ "ipv6, a blocked name", "", "fd00::1", "fd00::2", 1,
		    "drop", 2 },
		{ "ipv6, a blocked name, malformed_verdict accept",
		    "malformed_verdict = \"accept\";\n", "fd00::1",
		    "fd00::2", 1, "drop", 2 },
		{ "ipv6, an allowed name", "", "fd00::1", "fd00::2", 0,
		    "accept", NFQD_DECIDED_DEFAULT },
		{ "ipv4, an allowed name: malformed", "", "10.0.0.1",
		    "10.0.0.2", 0, "drop", NFQD_DECIDED_INCOMPLETE },
	};
	struct nfqd_decision	 d;
	struct run		 r;
	struct seg		 s;
	uint8_t			*l4, q[64];
	uint32_t		 len, iphl, alen, sum;
	size_t			 i, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!setup(&r, rows[i].extra))
			continue;
		s = (struct seg){ rows[i].src, rows[i].dst, 5353, 53, 0, 0,
		    17, false, 0, 0, 0, NULL };
		n = rows[i].blocked ? dnsmsg(q, 0x3333, "blocked.example",
		    NULL) : dnsmsg(q, 0x4444, "ok.example", NULL);
		len = mk(&s, q, n);
		/* Length 0, and the checksum the sender's would be. */
		iphl = strchr(s.src, ':') != NULL ? 40 : 20;
		alen = iphl == 40 ? 16 : 4;
		l4 = pbuf + iphl;
		l4[4] = l4[5] = l4[6] = l4[7] = 0;
		sum = csum_add(0, pbuf + iphl - 2 * alen, 2 * alen) + 17 + 8 +
		    (uint32_t)n;
		sum = csum_add(sum, l4, 8 + n);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		l4[6] = (uint8_t)(sum >> 8);
		l4[7] = (uint8_t)sum;
		d = decide(&r, len, 0, NFQA_SKB_CSUM_NOTVERIFIED);
		CHECK_STR_EQ(what(&d), rows[i].want, unit_fmt("UDP length 0, "
		    "%s: verdict", rows[i].name));
		CHECK_INT_EQ(d.rule, rows[i].rule, unit_fmt("UDP length 0, "
		    "%s: decided by", rows[i].name));
		CHECK_INT_EQ(d.status == NFQD_PKT_MALFORMED, rows[i].rule ==
		    NFQD_DECIDED_INCOMPLETE, unit_fmt("UDP length 0, %s: "
		    "malformed only over IPv4", rows[i].name));
		teardown(&r);
	}
}

/*
 * DNS learning from an answer with a wrong checksum (nobody verified it:
 * NFQA_SKB_CSUM_NOTVERIFIED): the client's kernel drops it and takes the
 * real answer after it.  Before, nfqd learned the forged address and the
 * real answer found its query taken: a connection to the address the
 * client uses passed a dst_name drop.  Over UDP and over TCP.
 */
static void
test_learn_badsum(void)
{
	static const char	 text[] =
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; max_entries = 1024; min_ttl = 1; "
	    "max_ttl = 3600; };\n"
	    "rules = ( { name = \"byaddr\"; dst_name = \"blocked.example\";"
	    " verdict = \"drop\"; } );\n";
	struct seg		 cq = { "10.0.0.1", "10.0.0.53", 40000, 53, 0, 0,
				    17, false, 0, 0, 0, NULL };
	struct seg		 sa = { "10.0.0.53", "10.0.0.1", 53, 40000, 0, 0,
				    17, true, 0, 0, 0, NULL };
	struct seg		 c = { "10.0.0.1", "10.0.0.53", 40100, 53, 100,
				    0x02, 6, false, 0, 0, 0, NULL };
	struct seg		 sv = { "10.0.0.53", "10.0.0.1", 53, 40100, 500,
				    0x12, 6, false, 101, 0, 0, NULL };
	struct seg		 syn1 = { "10.0.0.1", "198.51.100.7", 50000,
				    443, 1000, 0x02, 6, false, 0, 0, 0, NULL };
	struct nfqd_dnsl_tab	*t;
	struct nfqd_decision	 d;
	struct run		 r;
	uint8_t			 b[512];
	size_t			 n;

	if (!setup_text(&r, text))
		return;
	if ((t = nfqd_dnsl_create(1024, 7)) == NULL) {
		teardown(&r);
		return;
	}
	nfqd_engine_dnsl(&r.e, t, &r.cf, 1, 1);
	/* UDP: the query, a forged answer (wrong checksum), the real one. */
	n = dnsmsg(b, 0x4242, "blocked.example", NULL);
	(void)decide(&r, mk(&cq, b, n), 0, 0);
	n = dnsmsg(b, 0x4242, "blocked.example", "192.0.2.200");
	(void)decide(&r, mk(&sa, b, n), 0, NFQA_SKB_CSUM_NOTVERIFIED);
	CHECK_UINT_EQ(r.e.dnsl.c.learned, 0, "learn badsum: an answer with a "
	    "wrong UDP checksum teaches nothing");
	sa.badsum = false;
	n = dnsmsg(b, 0x4242, "blocked.example", "198.51.100.7");
	(void)decide(&r, mk(&sa, b, n), 0, NFQA_SKB_CSUM_NOTVERIFIED);
	CHECK_UINT_EQ(r.e.dnsl.c.learned, 1, "learn badsum: the real answer "
	    "after it is learned");
	d = decide(&r, mk(&syn1, NULL, 0), 0, 0);
	CHECK_STR_EQ(what(&d), "drop", "learn badsum: a connection to the "
	    "address the client took: dropped");
	syn1.dst = "192.0.2.200";
	d = decide(&r, mk(&syn1, NULL, 0), 0, 0);
	CHECK(d.verdict == NF_ACCEPT, "learn badsum: ... to the forged one: "
	    "not learned");

	/* TCP: the same, the forged answer at the real one's bytes. */
	(void)decide(&r, mk(&c, NULL, 0), 0, 0);
	indev = 3;
	(void)decide(&r, mk(&sv, NULL, 0), 0, 0);
	indev = 2;
	c.flags = 0x18;
	c.seq = 101;
	c.ack = 501;
	n = dnsmsg(b + 2, 0x4343, "blocked.example", NULL);
	b[0] = 0;
	b[1] = (uint8_t)n;
	(void)decide(&r, mk(&c, b, n + 2), 0, 0);
	sv.flags = 0x18;
	sv.seq = 501;
	sv.ack = 101 + (uint32_t)n + 2;
	sv.badsum = true;
	n = dnsmsg(b + 2, 0x4343, "blocked.example", "192.0.2.201");
	b[1] = (uint8_t)n;
	indev = 3;
	(void)decide(&r, mk(&sv, b, n + 2), 0, NFQA_SKB_CSUM_NOTVERIFIED);
	CHECK_UINT_EQ(r.e.dnsl.c.learned, 1, "learn badsum: over TCP, a "
	    "segment with a wrong checksum teaches nothing");
	sv.badsum = false;
	n = dnsmsg(b + 2, 0x4343, "blocked.example", "198.51.100.9");
	b[1] = (uint8_t)n;
	(void)decide(&r, mk(&sv, b, n + 2), 0, NFQA_SKB_CSUM_NOTVERIFIED);
	indev = 2;
	CHECK_UINT_EQ(r.e.dnsl.c.learned, 2, "learn badsum: ... the real one "
	    "at the same bytes is learned");
	syn1.dst = "198.51.100.9";
	syn1.sport = 50001;
	d = decide(&r, mk(&syn1, NULL, 0), 0, 0);
	CHECK_STR_EQ(what(&d), "drop", "learn badsum: over TCP, a connection "
	    "to the address the client took: dropped");
	teardown(&r);
	nfqd_dnsl_destroy(t);
}

/* The table full of hellos being read; the buffers all taken. */
static void
test_full(void)
{
	struct run		 r;
	uint8_t			 h[600];
	size_t			 n;
	unsigned		 i, pend = 0;

	if (!setup(&r, "flows = { max = 16; reasm_buffers = 20; };"))
		return;
	n = hello(h, "blocked.example");
	for (i = 0; i < 16; i++) {
		syn(&r, (uint16_t)(6000 + i), 1);
		pend += strcmp(part(&r, (uint16_t)(6000 + i), 1, h, 0, 20, 0,
		    0, false), "pending") == 0;
	}
	CHECK_INT_EQ(pend, 16, "16 hellos being read fill a table of 16");
	CHECK_STR_EQ(syn(&r, 6100, 1), "accept",
	    "a 17th flow's SYN: no entry, decided alone (nothing to read)");
	CHECK_STR_EQ(part(&r, 6100, 1, h, 0, n, 0, 0, false), "blocked",
	    "... its whole hello is still read and blocked");
	CHECK_STR_EQ(part(&r, 6101, 1, h, 0, 20, 0, 0, false), "untracked",
	    "... a hello's start with no room to follow: flows.full_verdict");
	for (i = 0; i < 16; i++)
		pend += strcmp(part(&r, (uint16_t)(6000 + i), 1, h, 20, n - 20,
		    0, 0, false), "blocked") == 0;
	CHECK_INT_EQ(pend, 32, "the 16 flows being read were not evicted: "
	    "each hello's rest blocked");
	teardown(&r);

	if (!setup(&r, "flows = { reasm_buffers = 1; };"))
		return;
	syn(&r, 7000, 1);
	syn(&r, 7001, 1);
	CHECK_STR_EQ(part(&r, 7000, 1, h, 0, 20, 0, 0, false), "pending",
	    "one buffer: the first split hello takes it");
	CHECK_STR_EQ(part(&r, 7001, 1, h, 0, 20, 0, 0, false), "untracked",
	    "the second finds none: flows.full_verdict");
	CHECK_STR_EQ(part(&r, 7000, 1, h, 20, n - 20, 0, 0, false), "blocked",
	    "the first completes");
	CHECK_STR_EQ(part(&r, 7001, 1, h, 0, 20, 0, 0, false), "pending",
	    "its buffer is free again: the second's start is taken");
	teardown(&r);
}

/*
 * flows.connmark: the decision that decides a flow says which bits go to
 * its connection (the rule's mark, never the pending bit); no other
 * decision does, and none at all while it is off.
 */
static void
test_connmark(void)
{
	struct run		 r;
	struct seg		 s;
	struct nfqd_decision	 d;
	uint8_t			 h[600];
	size_t			 n;

	if (!setup(&r, ""))
		return;
	r.e.connmark = true;
	n = hello(h, "blocked.example");
	s = cli(1100, 100, 0x02);
	d = decide(&r, mk(&s, NULL, 0), 0, 0);
	CHECK(strcmp(what(&d), "pending") == 0 && d.ctmark == 0,
	    "connmark: a SYN passed pending sets nothing");
	s = cli(1100, 101, 0x18);
	d = decide(&r, mk(&s, h, 20), P, 0);
	CHECK(strcmp(what(&d), "pending") == 0 && d.ctmark == 0,
	    "connmark: the hello's first part, pending, sets nothing");
	s = cli(1100, 121, 0x18);
	d = decide(&r, mk(&s, h + 20, n - 20), P | 0x1, 0);
	CHECKF(strcmp(what(&d), "blocked") == 0 && d.ctmark == D,
	    "connmark: the packet that decides the flow sets the rule's mark "
	    "0x10000000, not the pending bit nor the packet's own bits",
	    "%s, ctmark 0x%x", what(&d), d.ctmark);
	s = cli(1100, 101 + (uint32_t)n, 0x10);
	d = decide(&r, mk(&s, NULL, 0), P, 0);
	CHECK(d.flow && d.verdict == NF_REPEAT && d.mark == D &&
	    d.ctmark == 0, "connmark: a later packet of the decided flow "
	    "sets nothing more");
	s = cli(1101, 7, 0x02);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	n = hello(h, "ok.example");
	s = cli(1101, 8, 0x18);
	d = decide(&r, mk(&s, h, n), 0, 0);
	CHECK(strcmp(what(&d), "accept") == 0 && d.ctmark == 0,
	    "connmark: a flow no rule decides sets nothing");

	r.e.connmark = false;
	n = hello(h, "blocked.example");
	s = cli(1102, 7, 0x02);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(1102, 8, 0x18);
	d = decide(&r, mk(&s, h, n), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.ctmark == 0,
	    "connmark off: the deciding packet sets nothing");
	teardown(&r);
}

/*
 * tls_ja4 through the engine: a fingerprint from a name set (written in
 * capitals: sets fold case) or a rule's own string decides the flow.
 */
static void
test_ja4(void)
{
	struct nfqd_tls_hello	th;
	struct run		r;
	struct nfqd_config	*cf = &r.cf;
	struct unit_reports	rs;
	char			fp[NFQD_JA4_LEN + 1], up[NFQD_JA4_LEN + 1];
	char			text[2048];
	uint8_t			h[600];
	size_t			n, i;
	FILE			*fp_file;
	int			other;
	static const char *const how[] = { "set", "list", "other" };

	n = hello(h, "x.example");
	if (!CHECK(nfqd_tls_hello_parse(h + 0, n, &th) == NFQD_L7_DONE &&
	    nfqd_ja4_init() == 0 && nfqd_ja4(&th, NFQD_JA4_TCP, fp) == 0,
	    "ja4: the test hello's fingerprint"))
		return;
	for (i = 0; i <= NFQD_JA4_LEN; i++)
		up[i] = (char)toupper((unsigned char)fp[i]);
	for (other = 0; other < 3; other++) {
		memset(&r, 0, sizeof(r));
		if ((fp_file = fopen(setsfile, "w")) == NULL)
			return;
		fprintf(fp_file, "%s\n", up);
		fclose(fp_file);
		snprintf(text, sizeof(text),
		    "queue = { balance = \"0:0\"; };\n"
		    "name_sets = ( { name = \"fp\"; file = \"%s\"; } );\n"
		    "rules = ( { name = \"ja4\"; tls_ja4 = %s; verdict = "
		    "\"repeat\"; mark = 0x10000000; } );\n", setsfile,
		    other == 0 ? "\"@fp\"" : other == 1 ?
		    unit_fmt("[\"t13d1516h2_8daaf6152771_e5627efa2ab1\", "
		    "\"%s\"]", fp) :
		    "\"t13d1516h2_8daaf6152771_e5627efa2ab1\"");
		memset(&rs, 0, sizeof(rs));
		if (nfqd_config_load_text(cf, "ja4.conf", text, strlen(text),
		    NULL, unit_collect, &rs) != 0) {
			CHECKF(0, "ja4: configuration loads", "%s:%d: %s",
			    rs.r[0].file, rs.r[0].line, rs.r[0].msg);
			unlink(setsfile);
			return;
		}
		if (!CHECK(nfqd_engine_init(&r.e, cf, cf->rules, r.ctr, NULL,
		    NULL, 0) == 0, unit_fmt("ja4 %s: engine init", how[other]))) {
			nfqd_config_free(cf);
			unlink(setsfile);
			return;
		}
		r.claims = NULL;
		r.ok = true;
		CHECK_STR_EQ(syn(&r, 3000, 100), "pending",
		    unit_fmt("ja4 %s: SYN", how[other]));
		CHECK_STR_EQ(part(&r, 3000, 100, h, 0, n, 0, 0, false),
		    other == 2 ? "accept" : "blocked", other == 0 ?
		    "ja4: the fingerprint in a set (in capitals): blocked" :
		    other == 1 ? "ja4: the fingerprint in the rule's list: "
		    "blocked" : "ja4: another fingerprint: accepted");
		CHECK_INT_EQ(r.ctr[0].hits, other == 2 ? 0 : 1,
		    unit_fmt("ja4 %s: rule hits", how[other]));
		teardown(&r);
	}
}

/* xorshift64*: the differential test's packets, the same every run. */
static uint64_t	rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/* Decide m with a hint made for it in a batch of one; hints_used after. */
static uint64_t
hinted(struct run *r, struct nfqd_qmsg *m, struct nfqd_decision *d)
{
	const struct nfqd_qmsg		*mp = m;
	const struct nfqd_flow_hint	*hp;
	struct nfqd_flow_hint		 h;

	nfqd_engine_prefetch(&r->e, &mp, &h, &hp, 1);
	now += 1000000;
	nfqd_engine_decide_hinted(&r->e, m, hp, now, d);
	return r->e.l7.hints_used;
}

/*
 * A client segment of flow sport (to 443) through hinted(): a SYN at seq
 * when p is NULL, else p[0..n) at seq.  Returns the hints used so far.
 */
static uint64_t
hinted_seg(struct run *r, uint16_t sport, uint32_t seq, const uint8_t *p,
    size_t n, struct nfqd_decision *d)
{
	struct nfqd_qmsg	m;
	struct seg		s = cli(sport, seq, p == NULL ? 0x02 : 0x18);

	memset(&m, 0, sizeof(m));
	m.hw_protocol = ETH_P_IP;
	m.payload = pbuf;
	m.caplen = m.len = mk(&s, p, n);
	return hinted(r, &m, d);
}

/*
 * The batch prefetch (nfqd_engine_prefetch): a hint is made for the
 * packets whose flow the decision looks up, and used only for the packet
 * and the table it was made for; decisions in batches with hints are
 * those of the same packets one by one without.
 */
static void
test_prefetch(void)
{
	static uint8_t			 b[8][700];
	static const char *const	 names[] = {
		"blocked.example", "ok.example", "www.ads.example",
		"only.example", "x.example"
	};
	struct run			 a, o;
	struct nfqd_qmsg		 m, bm[8];
	const struct nfqd_qmsg		*bp[8];
	struct nfqd_flow_hint		 h, bh[8];
	const struct nfqd_flow_hint	*hp, *bhp[8];
	struct nfqd_decision		 d, da, db;
	struct seg			 s;
	uint8_t				 hl[8][600], v6[60];
	size_t				 hn[8];
	uint32_t			 isn[40], len;
	uint64_t			 used, ntcp = 0, diff = 0, pkts = 0;
	unsigned			 i, j, n, f, k;

	if (!setup(&a, ""))
		return;
	memset(&m, 0, sizeof(m));
	m.hw_protocol = ETH_P_IP;
	m.payload = pbuf;
	CHECK_INT_EQ(a.e.l7.npf_sets, 0,
	    "a set small enough to stay cached: no name prefetch");

	s = cli(2000, 10, 0x02);
	m.caplen = m.len = mk(&s, NULL, 0);
	used = a.e.l7.hints_used;
	CHECK_INT_EQ(hinted(&a, &m, &d) - used, 1,
	    "IPv4 TCP SYN: its hint is used");
	CHECK_STR_EQ(what(&d), "pending", "... and it is decided as always");
	n = hello(hl[0], "blocked.example");
	s = cli(2000, 11, 0x18);
	m.caplen = m.len = mk(&s, hl[0], n);
	used = a.e.l7.hints_used;
	CHECK_INT_EQ(hinted(&a, &m, &d) - used, 1,
	    "IPv4 TCP hello: its hint is used");
	CHECK_STR_EQ(what(&d), "blocked", "... and it is blocked");

	/* The same packet with the hint of another flow: not used. */
	s = cli(2001, 10, 0x02);
	m.caplen = m.len = mk(&s, NULL, 0);
	bp[0] = &m;
	nfqd_engine_prefetch(&a.e, bp, &h, &hp, 1);
	CHECK(hp == &h && h.syn, "a hint for a SYN, which says so");
	s = cli(2002, 10, 0x02);
	m.caplen = m.len = mk(&s, NULL, 0);
	used = a.e.l7.hints_used;
	now += 1000000;
	nfqd_engine_decide_hinted(&a.e, &m, hp, now, &d);
	CHECK_INT_EQ(a.e.l7.hints_used - used, 0,
	    "another flow's hint: not used (the key differs)");
	CHECK_STR_EQ(what(&d), "pending", "... the packet decided as always");
	s = cli(2002, 20, 0x18);
	n = hello(hl[0], "ok.example");
	m.caplen = m.len = mk(&s, hl[0], n);
	bp[0] = &m;
	nfqd_engine_prefetch(&a.e, bp, &h, &hp, 1);
	h.t = NULL;
	h.hash ^= 1;
	used = a.e.l7.hints_used;
	now += 1000000;
	nfqd_engine_decide_hinted(&a.e, &m, hp, now, &d);
	CHECK_INT_EQ(a.e.l7.hints_used - used, 0,
	    "a hint for another table: not used");

	/* No hint: a later fragment, a first fragment, not TCP or UDP. */
	s = cli(2003, 10, 0x02);
	m.caplen = m.len = mk(&s, NULL, 0);
	pbuf[6] = 0x20;			/* MF */
	CHECK(!nfqd_l7_hint(&a.e.l7, pbuf, m.caplen, &h),
	    "IPv4 first fragment: no hint");
	pbuf[6] = 0;
	pbuf[7] = 8;			/* offset 64 */
	CHECK(!nfqd_l7_hint(&a.e.l7, pbuf, m.caplen, &h),
	    "IPv4 later fragment: no hint");
	pbuf[7] = 0;
	pbuf[9] = 1;			/* ICMP */
	CHECK(!nfqd_l7_hint(&a.e.l7, pbuf, m.caplen, &h), "ICMP: no hint");
	pbuf[9] = 6;
	CHECK(!nfqd_l7_hint(&a.e.l7, pbuf, 33, &h),
	    "a TCP header cut before its flags: no hint");
	CHECK(nfqd_l7_hint(&a.e.l7, pbuf, 34, &h), "... with them: a hint");
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 2004, 53, 0, 0, 17, false, 0, 0, 0, NULL };
	m.caplen = m.len = mk(&s, NULL, 0);
	CHECK(!nfqd_l7_hint(&a.e.l7, pbuf, m.caplen, &h),
	    "a UDP datagram to port 53 (read alone, no flow): no hint");

	/* IPv6, TCP first: a hint the decision uses. */
	memset(v6, 0, sizeof(v6));
	v6[0] = 0x60;
	v6[5] = 20;			/* payload length */
	v6[6] = 6;
	v6[7] = 64;
	inet_pton(AF_INET6, "fd00::2", v6 + 8);
	inet_pton(AF_INET6, "fd00::1", v6 + 24);
	v6[40] = 0x1f; v6[41] = 0x40;	/* 8000 */
	v6[42] = 0x01; v6[43] = 0xbb;	/* 443 */
	v6[52] = 5 << 4;
	v6[53] = 0x02;
	m.hw_protocol = ETH_P_IPV6;
	m.payload = v6;
	m.caplen = m.len = 60;
	used = a.e.l7.hints_used;
	CHECK_INT_EQ(hinted(&a, &m, &d) - used, 1,
	    "IPv6 TCP SYN: its hint is used");
	CHECK_STR_EQ(what(&d), "pending", "... and it is decided as always");
	v6[6] = 0;			/* hop-by-hop options first */
	CHECK(!nfqd_l7_hint(&a.e.l7, v6, 60, &h),
	    "IPv6 with an extension header first: no hint");
	CHECK_INT_EQ(a.e.l7.sni_peeks, 0, "... and no server name peeked at");
	teardown(&a);

	/*
	 * A set too big for the caches, which tls_sni names: a hint for a
	 * segment that starts a hello with its server name also fetches
	 * that name's slots; the decision is the same.
	 */
	set_filler = 20000;
	if (!setup(&a, ""))
		return;
	CHECK(a.e.l7.npf_sets == 1 && nfqd_names_count(a.e.l7.pf_sets[0]) ==
	    20002, "20,002 names: the set's slots are prefetched");
	hinted_seg(&a, 2100, 10, NULL, 0, &d);
	CHECK_INT_EQ(a.e.l7.sni_peeks, 0, "a SYN: no name");
	n = hello(hl[0], "Blocked.Example.");
	used = a.e.l7.hints_used;
	CHECK_INT_EQ(hinted_seg(&a, 2100, 11, hl[0], n, &d) - used, 1,
	    "a hello: its hint is used");
	CHECK_INT_EQ(a.e.l7.sni_peeks, 1, "... its name peeked at");
	CHECK_STR_EQ(what(&d), "blocked", "... and it is blocked");
	CHECK(nfqd_l7_hint(&a.e.l7, pbuf, (uint32_t)(40 + n), &h) &&
	    h.nnames == 2, "... its hint keeps the hashes of its 2 suffixes");
	CHECK(nfqd_l7_hint(&a.e.l7, pbuf, 40, &h) && h.nnames == 0,
	    "... and without the hello, none");
	hinted_seg(&a, 2101, 10, NULL, 0, &d);
	n = hello(hl[0], "n19999.filler.example");
	hinted_seg(&a, 2101, 11, hl[0], 60, &d);
	CHECK_INT_EQ(a.e.l7.sni_peeks, 2,
	    "the first 60 bytes of a hello: no name to peek at");
	CHECK_STR_EQ(what(&d), "pending", "... and it waits for the rest");
	hinted_seg(&a, 2101, 71, hl[0] + 60, n - 60, &d);
	CHECK_INT_EQ(a.e.l7.sni_peeks, 2, "the rest: none either");
	CHECK_STR_EQ(what(&d), "blocked", "... and the hello is blocked");
	hinted_seg(&a, 2102, 10, NULL, 0, &d);
	n = hello(hl[0], "ok.example");
	hinted_seg(&a, 2102, 11, hl[0], n, &d);
	CHECK_INT_EQ(a.e.l7.sni_peeks, 3, "a name not in the set: peeked at");
	CHECK_STR_EQ(what(&d), "accept", "... and accepted");
	teardown(&a);

	/*
	 * Differential: 40 flows in a table of 16 (evictions all the time),
	 * SYNs, hellos whole and in pieces in any order, ACKs, FINs and
	 * RSTs, in batches of 1 to 8 packets.  a decides each batch after
	 * its prefetch, with hints (a third left out), o the same packets
	 * one by one without.
	 */
	if (!setup(&a, "flows = { max = 16; reasm_buffers = 8; };"))
		return;
	if (!setup(&o, "flows = { max = 16; reasm_buffers = 8; };")) {
		teardown(&a);
		return;
	}
	set_filler = 0;
	for (f = 0; f < 40; f++)
		isn[f] = rnd(1u << 30);
	for (i = 0; i < 5; i++)
		hn[i] = hello(hl[i], names[i]);
	while (pkts < 20000) {
		n = 1 + rnd(8);
		for (j = 0; j < n; j++) {
			f = rnd(40);
			k = f % 5;
			switch (rnd(6)) {
			case 0:
				if (rnd(4) == 0)
					isn[f] += 100000;
				s = cli((uint16_t)(3000 + f), isn[f], 0x02);
				len = mk(&s, NULL, 0);
				break;
			case 1:
			case 2: {
				size_t	off = rnd(2) ? 0 : rnd((uint32_t)hn[k]);
				size_t	cnt = 1 + rnd((uint32_t)(hn[k] - off));

				s = cli((uint16_t)(3000 + f),
				    isn[f] + 1 + (uint32_t)off, 0x18);
				len = mk(&s, hl[k] + off, cnt);
				break;
			}
			case 3:
				s = cli((uint16_t)(3000 + f), isn[f] + 1, 0x10);
				len = mk(&s, NULL, 0);
				break;
			case 4:
				s = cli((uint16_t)(3000 + f), isn[f] + 1,
				    rnd(2) ? 0x11 : 0x04);
				len = mk(&s, NULL, 0);
				break;
			default:
				/* The server's answer to the client. */
				s = cli((uint16_t)(3000 + f), 7, 0x12);
				s.src = "10.0.0.2";
				s.dst = "10.0.0.1";
				s.sport = 443;
				s.dport = (uint16_t)(3000 + f);
				len = mk(&s, NULL, 0);
				break;
			}
			memcpy(b[j], pbuf, len);
			memset(&bm[j], 0, sizeof(bm[j]));
			bm[j].hw_protocol = ETH_P_IP;
			bm[j].payload = b[j];
			bm[j].caplen = bm[j].len = len;
			bm[j].id = (uint32_t)(pkts + j + 1);
			bp[j] = &bm[j];
		}
		nfqd_engine_prefetch(&a.e, bp, bh, bhp, n);
		for (j = 0; j < n; j++) {
			/*
			 * A third without their hint: a flow's packets then
			 * find it whether their hash came ahead or not.
			 */
			if (rnd(3) == 0)
				bhp[j] = NULL;
			else
				ntcp++;
			now += 1000000;
			nfqd_engine_decide_hinted(&a.e, &bm[j], bhp[j], now,
			    &da);
			nfqd_engine_decide(&o.e, &bm[j], now, &db);
			if (da.verdict != db.verdict ||
			    da.has_mark != db.has_mark ||
			    (da.has_mark && da.mark != db.mark) ||
			    da.rule != db.rule || da.flow != db.flow ||
			    da.status != db.status || da.ctmark != db.ctmark) {
				if (diff++ == 0)
					fprintf(stderr, "  packet %llu: %s "
					    "with hints, %s without\n",
					    (unsigned long long)(pkts + j),
					    what(&da), what(&db));
			}
		}
		pkts += n;
	}
	CHECKF(diff == 0, "20,000 packets in batches with hints: the "
	    "decisions of the same packets without", "%llu differ",
	    (unsigned long long)diff);
	CHECK_INT_EQ(a.e.l7.hints_used, ntcp,
	    "every hint given was used");
	CHECK_INT_EQ(o.e.l7.hints_used, 0, "none without the prefetch");
	CHECKF(a.e.l7.sni_peeks > 100 && o.e.l7.sni_peeks == 0,
	    "hellos' names peeked at with the prefetch, none without",
	    "%llu and %llu", (unsigned long long)a.e.l7.sni_peeks,
	    (unsigned long long)o.e.l7.sni_peeks);
	{
		struct nfqd_flowtab_stats	sa, so;

		nfqd_flowtab_stats(a.e.l7.flows, &sa);
		nfqd_flowtab_stats(o.e.l7.flows, &so);
		CHECK(sa.evicted > 1000 && sa.created == so.created &&
		    sa.evicted == so.evicted && sa.active == so.active &&
		    sa.timed_out == so.timed_out,
		    "the same flows created, evicted and active");
	}
	teardown(&a);
	teardown(&o);
}

/* TCP options for the tables below. */
static const uint8_t	o_md5[] = { 19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
			    11, 12, 13, 14, 15, 16, 1, 1 };
static const uint8_t	o_ao[] = { 29, 8, 1, 2, 3, 4, 5, 6 };
/* a timestamp's value at bytes 4-7 (ts_opt()) */
static uint8_t		o_ts[12] = { 1, 1, 8, 10 };
/* malformed: a length 0 or 1, or past the header, before a timestamp
   or a signature (Linux stops reading there, and so does nfqd) */
static uint8_t		o_len0[16] = { 3, 0, 1, 1, 1, 1, 8, 10 };
static uint8_t		o_len1[16] = { 1, 2, 1, 1, 3, 1, 8, 10 };
static const uint8_t	o_past[] = { 1, 1, 19, 40 };
static const uint8_t	o_eol[] = { 0, 19, 18, 0 };

static const uint8_t *
ts_opt(uint8_t *o, size_t at, uint32_t tsval)
{
	put32(o + at, tsval);
	return o;
}

/*
 * Insertion: a harmless hello in a segment the server's TCP discards,
 * then the blocked one in a good segment.  A flow that read the first
 * would be accepted on it; nfqd refuses it (l7_error_verdict, counted in
 * discarded) and reads the second.  The legitimate variants of each
 * shape are read.  gw: the server's SYN-ACK (ISN sisn) came in on
 * another interface than the SYN, then srv bytes of its data.
 */
struct ins {
	const char	*name;
	bool		 v6;
	uint8_t		 syn_ttl;
	const uint8_t	*syn_opt;
	uint8_t		 syn_optlen;
	uint32_t	 syn_ts;	/* with syn_opt o_ts */
	bool		 gw;
	uint32_t	 sisn, srv;
	uint8_t		 flags, ttl;	/* the decoy's */
	const uint8_t	*opt;
	uint8_t		 optlen;
	uint32_t	 ts;		/* with opt o_ts */
	uint32_t	 ack;		/* from the SYN-ACK's ISN + 1 */
	bool		 discard;
};

static const struct ins	ins_tab[] = {
	{ "no ACK (PSH)", false, 0, NULL, 0, 0, false, 0, 0, 0x08, 0,
	  NULL, 0, 0, 0, true },
	{ "no ACK (PSH FIN)", false, 0, NULL, 0, 0, false, 0, 0, 0x09, 0,
	  NULL, 0, 0, 0, true },
	{ "MD5 on a connection without", false, 0, NULL, 0, 0, false, 0, 0,
	  0x18, 0, o_md5, 20, 0, 0, true },
	{ "TCP-AO on a connection without", false, 0, NULL, 0, 0, false, 0, 0,
	  0x18, 0, o_ao, 8, 0, 0, true },
	{ "MD5 on a connection with MD5", false, 0, o_md5, 20, 0, false, 0, 0,
	  0x18, 0, o_md5, 20, 0, 0, false },
	{ "no MD5 on a connection with MD5", false, 0, o_md5, 20, 0, false, 0,
	  0, 0x18, 0, NULL, 0, 0, 0, true },
	{ "PAWS: 2 older", false, 0, o_ts, 12, 1000, false, 0, 0, 0x18, 0,
	  o_ts, 12, 998, 0, true },
	{ "PAWS: 1 older (no window while half open)", false, 0, o_ts, 12,
	  1000, false, 0, 0, 0x18, 0, o_ts, 12, 999, 0, true },
	{ "PAWS: 2^31 - 1 older", false, 0, o_ts, 12, 1000, false, 0, 0, 0x18,
	  0, o_ts, 12, 1000u - 0x7fffffffu, 0, true },
	{ "PAWS: 2^31 away reads as newer, as Linux's (s32)", false, 0, o_ts,
	  12, 1000, false, 0, 0, 0x18, 0, o_ts, 12, 1000u - 0x80000000u, 0,
	  false },
	{ "PAWS: equal", false, 0, o_ts, 12, 1000, false, 0, 0, 0x18, 0,
	  o_ts, 12, 1000, 0, false },
	{ "PAWS: newer", false, 0, o_ts, 12, 1000, false, 0, 0, 0x18, 0,
	  o_ts, 12, 1001, 0, false },
	{ "PAWS: newer across 2^32", false, 0, o_ts, 12, 0xfffffff0u, false,
	  0, 0, 0x18, 0, o_ts, 12, 5, 0, false },
	{ "PAWS: older across 2^32", false, 0, o_ts, 12, 5, false, 0, 0, 0x18,
	  0, o_ts, 12, 0xfffffff0u, 0, true },
	{ "PAWS: the SYN's timestamp 0 checks nothing", false, 0, o_ts, 12, 0,
	  false, 0, 0, 0x18, 0, o_ts, 12, 0x80000001u, 0, false },
	{ "PAWS: no timestamp (Linux 6.18 reads it)", false, 0, o_ts, 12, 1000,
	  false, 0, 0, 0x18, 0, NULL, 0, 0, 0, false },
	{ "PAWS: a timestamp without one on the SYN", false, 0, NULL, 0, 0,
	  false, 0, 0, 0x18, 0, o_ts, 12, 1, 0, false },
	{ "TTL lower", false, 64, NULL, 0, 0, false, 0, 0, 0x18, 63, NULL, 0,
	  0, 0, true },
	{ "TTL equal", false, 64, NULL, 0, 0, false, 0, 0, 0x18, 64, NULL, 0,
	  0, 0, false },
	{ "TTL higher", false, 64, NULL, 0, 0, false, 0, 0, 0x18, 65, NULL, 0,
	  0, 0, false },
	{ "IPv6 hop limit lower", true, 64, NULL, 0, 0, false, 0, 0, 0x18, 1,
	  NULL, 0, 0, 0, true },
	{ "IPv6 no ACK", true, 0, NULL, 0, 0, false, 0, 0, 0x08, 0, NULL, 0,
	  0, 0, true },
	{ "IPv6 PAWS: older", true, 0, o_ts, 12, 1000, false, 0, 0, 0x18, 0,
	  o_ts, 12, 900, 0, true },
	{ "IPv6 all good", true, 64, o_ts, 12, 1000, false, 0, 0, 0x18, 64,
	  o_ts, 12, 1000, 0, false },
	{ "gateway: ack of the SYN-ACK", false, 0, NULL, 0, 0, true, 7000, 0,
	  0x18, 0, NULL, 0, 0, 0, false },
	{ "gateway: ack before it", false, 0, NULL, 0, 0, true, 7000, 0, 0x18,
	  0, NULL, 0, 0, (uint32_t)-1, true },
	{ "gateway: ack 2^31 before it", false, 0, NULL, 0, 0, true, 7000, 0,
	  0x18, 0, NULL, 0, 0, 0x80000000u, true },
	{ "gateway: ack of data never sent", false, 0, NULL, 0, 0, true, 7000,
	  0, 0x18, 0, NULL, 0, 0, 1, true },
	{ "gateway: ack of the server's 40 bytes", false, 0, NULL, 0, 0, true,
	  7000, 40, 0x18, 0, NULL, 0, 0, 40, false },
	{ "gateway: ack past the server's 40 bytes", false, 0, NULL, 0, 0, true,
	  7000, 40, 0x18, 0, NULL, 0, 0, 41, true },
	{ "gateway: ack of 40 bytes across 2^32", false, 0, NULL, 0, 0, true,
	  0xffffffe0u, 40, 0x18, 0, NULL, 0, 0, 40, false },
	{ "gateway: ack past them across 2^32", false, 0, NULL, 0, 0, true,
	  0xffffffe0u, 40, 0x18, 0, NULL, 0, 0, 41, true },
	{ "options: a length 0 ends them (no timestamp)", false, 0, o_ts, 12,
	  1000, false, 0, 0, 0x18, 0, o_len0, 16, 1, 0, false },
	{ "options: a length 1 ends them (no timestamp)", false, 0, o_ts, 12,
	  1000, false, 0, 0, 0x18, 0, o_len1, 16, 1, 0, false },
	{ "options: a length past the header ends them (no MD5)", false, 0,
	  NULL, 0, 0, false, 0, 0, 0x18, 0, o_past, 4, 0, 0, false },
	{ "options: an EOL ends them (no MD5)", false, 0, NULL, 0, 0, false, 0,
	  0, 0x18, 0, o_eol, 4, 0, 0, false },
};

static void
test_insertion(void)
{
	static uint8_t		 syn_o[20], seg_o[20];
	struct run		 r;
	struct seg		 s;
	struct nfqd_decision	 d;
	const struct ins	*t;
	uint8_t			 ok[600], bl[600], srvd[40];
	uint32_t		 isn = 424242, a;
	size_t			 n, m, i;
	uint64_t		 disc;
	uint16_t		 port;

	if (!setup(&r, ""))
		return;
	n = hello(ok, "ok.example");
	m = hello(bl, "blocked.example");
	memset(srvd, 'S', sizeof(srvd));
	for (i = 0; i < NFQD_ARRAY_SIZE(ins_tab); i++) {
		t = &ins_tab[i];
		port = (uint16_t)(3500 + i);
		/* The SYN. */
		s = cli(port, isn, 0x02);
		if (t->v6) {
			s.src = "fd00::1";
			s.dst = "fd00::2";
		}
		s.ttl = t->syn_ttl;
		if (t->syn_opt != NULL) {
			memcpy(syn_o, t->syn_opt, t->syn_optlen);
			if (t->syn_opt == o_ts)
				ts_opt(syn_o, 4, t->syn_ts);
			s.opt = syn_o;
			s.optlen = t->syn_optlen;
		}
		decide(&r, mk(&s, NULL, 0), 0, 0);
		a = 0;
		if (t->gw) {
			/* The server's SYN-ACK and data, in on interface 3. */
			a = t->sisn + 1;
			s = cli(443, t->sisn, 0x12);
			s.src = "10.0.0.2";
			s.dst = "10.0.0.1";
			s.dport = port;
			s.ack = isn + 1;
			indev = 3;
			decide(&r, mk(&s, NULL, 0), 0, 0);
			if (t->srv > 0) {
				s.seq = a;
				s.flags = 0x18;
				decide(&r, mk(&s, srvd, t->srv), 0, 0);
			}
			indev = 2;
		}
		/* The decoy: a harmless hello. */
		s = cli(port, isn + 1, t->flags);
		if (t->v6) {
			s.src = "fd00::1";
			s.dst = "fd00::2";
		}
		s.ttl = t->ttl;
		s.ack = a + t->ack;
		if (t->opt != NULL) {
			memcpy(seg_o, t->opt, t->optlen);
			if (t->opt == o_ts)
				ts_opt(seg_o, 4, t->ts);
			if (t->opt == o_len0 || t->opt == o_len1)
				ts_opt(seg_o, 8, t->ts);
			s.opt = seg_o;
			s.optlen = t->optlen;
		}
		disc = r.e.l7.discarded;
		d = decide(&r, mk(&s, ok, n), 0, 0);
		CHECK_STR_EQ(what(&d), t->discard ? "l7_error" : "accept",
		    unit_fmt("insertion: %s: a harmless hello %s", t->name,
		    t->discard ? "refused" : "read"));
		CHECK_INT_EQ(r.e.l7.discarded - disc, t->discard ? 1 : 0,
		    unit_fmt("insertion: %s: counted", t->name));
		/* The blocked hello, as the server reads it. */
		s.flags = 0x18;
		s.ttl = t->syn_ttl;
		s.ack = a + t->srv;
		s.opt = t->syn_opt != NULL ? syn_o : NULL;
		s.optlen = t->syn_opt != NULL ? t->syn_optlen : 0;
		d = decide(&r, mk(&s, bl, m), 0, 0);
		CHECK_STR_EQ(what(&d), t->discard ? "blocked" : "accept",
		    unit_fmt("insertion: %s: then the blocked hello %s",
		    t->name, t->discard ? "is read: blocked" :
		    "gets the flow's verdict"));
	}
	teardown(&r);
}

/*
 * The timestamp nfqd checks against grows as Linux's ts_recent does:
 * from segments in order (a pure ACK, data, even one without ACK, which
 * Linux drops after taking its timestamp), never from one out of order,
 * and from SYNs sent again.  Out of order with older timestamps, a
 * hello's segments are read.  A host sends its own SYN-ACK: a
 * server-first protocol's client acknowledges the server's banner,
 * which nfqd never saw, and is read.
 */
static void
test_insertion_order(void)
{
	static uint8_t		 o[12] = { 1, 1, 8, 10 };
	struct run		 r;
	struct seg		 s;
	struct nfqd_decision	 d;
	uint8_t			 ok[600], bl[600];
	uint32_t		 isn = 900;
	size_t			 n, m;
	uint64_t		 disc;

	if (!setup(&r, ""))
		return;
	n = hello(ok, "ok.example");
	m = hello(bl, "blocked.example");
#define TS(v)	(s.opt = ts_opt(o, 4, (v)), s.optlen = 12)
	disc = r.e.l7.discarded;

	/* A pure ACK in order: its timestamp is the one to pass. */
	s = cli(3600, isn, 0x02); TS(100);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3600, isn + 1, 0x10); TS(500);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3600, isn + 1, 0x18); TS(400);
	d = decide(&r, mk(&s, ok, n), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "insertion order: a hello older "
	    "than the handshake's ACK: refused");
	s = cli(3600, isn + 1, 0x18); TS(500);
	d = decide(&r, mk(&s, bl, m), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "insertion order: ... then one as "
	    "new: read, blocked");

	/* A segment without ACK in order raises it too (tcp_check_req()). */
	s = cli(3601, isn, 0x02); TS(100);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3601, isn + 1, 0x08); TS(700);
	d = decide(&r, mk(&s, ok, 10), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "insertion order: 10 bytes "
	    "without ACK: refused");
	s = cli(3601, isn + 1, 0x18); TS(600);
	d = decide(&r, mk(&s, ok, n), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "insertion order: ... a hello "
	    "older than their timestamp: refused");

	/* Out of order: no raise; the older segment in order is read. */
	s = cli(3602, isn, 0x02); TS(100);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3602, isn + 1 + 50, 0x18); TS(300);
	d = decide(&r, mk(&s, bl + 50, m - 50), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "insertion order: a hello's "
	    "second part first, newer: pending");
	s = cli(3602, isn + 1, 0x18); TS(200);
	d = decide(&r, mk(&s, bl, 50), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "insertion order: ... its first "
	    "part, older, in order: read, blocked");
	s = cli(3603, isn, 0x02); TS(100);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3603, isn + 1 + 5000, 0x10); TS(900);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3603, isn + 1, 0x18); TS(200);
	d = decide(&r, mk(&s, ok, n), 0, 0);
	CHECK_STR_EQ(what(&d), "accept", "insertion order: an ACK out of "
	    "order raises nothing: a hello after it read");
	s = cli(3611, isn, 0x02); TS(100);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3611, isn + 1 - 70000, 0x10); TS(900);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3611, isn + 1, 0x18); TS(200);
	d = decide(&r, mk(&s, ok, n), 0, 0);
	CHECK_STR_EQ(what(&d), "accept", "insertion order: an ACK before "
	    "byte 0 (sent blind) raises nothing: a hello after it read");

	/* A SYN sent again with a newer timestamp raises it. */
	s = cli(3604, isn, 0x02); TS(100);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3604, isn, 0x02); TS(1100);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3604, isn + 1, 0x18); TS(1000);
	d = decide(&r, mk(&s, ok, n), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "insertion order: a hello older "
	    "than a second SYN: refused");
	/* ... and a second SYN's TTL, and its missing MD5 option. */
	s = cli(3605, isn, 0x02); s.ttl = 60;
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3605, isn, 0x02); s.ttl = 64;
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3605, isn + 1, 0x18); s.ttl = 60;
	d = decide(&r, mk(&s, ok, n), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "insertion order: a hello below "
	    "a second SYN's TTL: refused");
	s = cli(3606, isn, 0x02); s.opt = o_md5; s.optlen = 20;
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3606, isn, 0x02);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3606, isn + 1, 0x18); s.opt = o_md5; s.optlen = 20;
	d = decide(&r, mk(&s, ok, n), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "insertion order: MD5 after a "
	    "SYN without: refused");
	/* A new ISN starts afresh: the old SYN's TTL is gone. */
	s = cli(3607, isn, 0x02); s.ttl = 200;
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3607, isn + 77, 0x02);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3607, isn + 78, 0x18);
	d = decide(&r, mk(&s, bl, m), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "insertion order: a new ISN's "
	    "hello at its own TTL: read, blocked");
	CHECK_INT_EQ(r.e.l7.discarded - disc, 6,
	    "insertion order: 6 segments discarded");

	/* A gateway: acks rise with the client's. */
	s = cli(3608, isn, 0x02);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(443, 7000, 0x12); s.src = "10.0.0.2"; s.dst = "10.0.0.1";
	s.dport = 3608; s.ack = isn + 1;
	indev = 3;
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s.seq = 7001; s.flags = 0x18;
	decide(&r, mk(&s, ok, 100), 0, 0);
	indev = 2;
	s = cli(3608, isn + 1, 0x10); s.ack = 7101;
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3608, isn + 1, 0x18); s.ack = 7050;
	d = decide(&r, mk(&s, ok, n), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "insertion order: gateway: a "
	    "hello that acknowledges less than the client did: refused");
	s.ack = 7101;
	d = decide(&r, mk(&s, bl, m), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "insertion order: gateway: ... "
	    "then the blocked one: read, blocked");

	/* A host: its SYN-ACK is its own, its banner unseen. */
	s = cli(3609, isn, 0x02);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(443, 7000, 0x12); s.src = "10.0.0.2"; s.dst = "10.0.0.1";
	s.dport = 3609; s.ack = isn + 1;
	indev = 0;
	decide(&r, mk(&s, NULL, 0), 0, 0);
	indev = 2;
	s = cli(3609, isn + 1, 0x18); s.ack = 7001 + 40;
	d = decide(&r, mk(&s, (const uint8_t *)"SSH-2.0-OpenSSH_9.2\r\n", 21), 0, 0);
	CHECK_STR_EQ(what(&d), "accept", "insertion order: host: an SSH "
	    "banner that acknowledges the server's: read");
	/* A SYN-ACK in where the SYN came in is no server's: not used. */
	s = cli(3610, isn, 0x02);
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(443, 7000, 0x12); s.src = "10.0.0.2"; s.dst = "10.0.0.1";
	s.dport = 3610; s.ack = isn + 1;
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s = cli(3610, isn + 1, 0x18); s.ack = 99;
	d = decide(&r, mk(&s, bl, m), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "insertion order: a SYN-ACK from "
	    "the client's side checks no ack: read, blocked");
#undef TS
	teardown(&r);
}

/*
 * LOST flows: a TCP flow whose client's first message nfqd began to read
 * is kept past its hello or closing timeout, and its client's stream
 * bytes are not read again.
 */

#define SEC	1000000000ull

/*
 * A hello for outer whose last extension (of a type nfqd does not know)
 * holds, as its data, a whole hello record for inner; *split: where that
 * record starts, so that bytes [*split, end) alone are inner's hello.
 */
static size_t
polyglot(uint8_t *b, const char *outer, const char *inner, size_t *split)
{
	uint8_t	in[600];
	size_t	n = hello(b, outer), m = hello(in, inner);
	size_t	ext = 5 + 4 + 2 + 32 + 1 + 2 + 4 + 2, hs = 9;

	if (((size_t)b[ext] << 8 | b[ext + 1]) != n - ext - 2)
		abort();	/* hello()'s layout changed */
	b[n++] = 0x44; b[n++] = 0x69;
	b[n++] = (uint8_t)(m >> 8); b[n++] = (uint8_t)m;
	*split = n;
	memcpy(b + n, in, m);
	n += m;
	return hello_lengths(b, ext, hs, n);
}

/* The flow table's kept count (flow.c's expire hook). */
static uint64_t
kept(struct run *r)
{
	struct nfqd_flowtab_stats	st;

	nfqd_flowtab_stats(r->e.l7.flows, &st);
	return st.kept;
}

/* A server segment to the client on port sport. */
static const char *
srv_seg(struct run *r, uint16_t sport, uint32_t seq, uint8_t fl,
    const uint8_t *pay, size_t n)
{
	struct seg		s = { "10.0.0.2", "10.0.0.1", 443, sport, seq, fl,
				    6, false, 0, 0, 0, NULL };
	struct nfqd_decision	d = decide(r, mk(&s, pay, n), P, 0);

	return what(&d);
}

/* A DNS-over-TCP query for name into b, its length first; the length. */
static size_t
tcpq(uint8_t *b, uint16_t id, const char *name)
{
	size_t	n = dnsmsg(b + 2, id, name, NULL);

	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	return n + 2;
}

/*
 * A flow that reads on past its first message (DNS queries, HTTP
 * requests) and is closed by a RST the server ignores (in the window,
 * not at its next byte): kept lost past closing_timeout, as a flow whose
 * hello was being read is.  Before, it ended, and a segment from inside
 * the stream was read alone: a whole allowed query from its first byte,
 * a blocked one from the server's next byte on (where the server reads
 * from, having the bytes before), passed and left the pending state.
 */
static void
test_lost_later(void)
{
	struct seg		 s;
	struct nfqd_decision	 d;
	struct run		 r;
	uint8_t			 q1[256], b[512], bl[128];
	size_t			 l1, off, n, i;
	const size_t		 k = 2;	/* where the segment starts */

	if (!setup(&r, ""))
		return;
	l1 = tcpq(q1, 0x51, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.ok.example");
	for (i = 0; i < 2; i++) {
		s = (struct seg){ "10.0.0.1", "10.0.0.2",
		    (uint16_t)(7100 + i), 53, 77, 0x02, 6, false, 0, 0, 0,
		    NULL };
		(void)decide(&r, mk(&s, NULL, 0), 0, 0);
		s.flags = 0x18;
		s.seq = 78;
		d = decide(&r, mk(&s, q1, l1), 0, 0);
		CHECK_STR_EQ(what(&d), "pending", "lost later: an allowed "
		    "query: pending");
		if (i == 1) {
			s.flags = 0x04;
			s.seq = 78 + (uint32_t)l1 + 1000;
			(void)decide(&r, mk(&s, NULL, 0), P, 0);
			now += 11 * SEC;
			nfqd_l7_expire(&r.e.l7, now);
		}
		/* [an allowed query from byte k][a blocked one from the
		   server's next byte, l1, on]. */
		memset(b, 0, sizeof(b));
		(void)tcpq(b, 0x52, "ok.example");
		off = l1 - k;
		n = tcpq(bl, 0x53, "www.blocked.example");
		memcpy(b + off, bl, n);
		n += off;
		b[0] = (uint8_t)((n - 2) >> 8);
		b[1] = (uint8_t)(n - 2);
		s.flags = 0x18;
		s.seq = 78 + (uint32_t)k;
		d = decide(&r, mk(&s, b, n), P, 0);
		CHECK_STR_EQ(what(&d), i == 0 ? "drop" : "untracked",
		    unit_fmt("lost later: %s: a segment from inside the "
		    "stream, a blocked query from the server's next byte: %s",
		    i == 0 ? "followed" : "a RST ignored, 11 s",
		    i == 0 ? "dropped" : "kept lost, flows.full_verdict"));
	}
	teardown(&r);
}

/*
 * How the two bypasses end: the rest of the hello after the pause (1:
 * the polyglot, its harmless record alone; 2: byte 0, a RST at byte 0,
 * then bytes 1 on).  mark: the rest's (the pending bit where conntrack
 * still had the connection, none on a new entry); expire: the timer ran
 * past the timeout (else the rest's find ends it); pause: 0, the rest
 * at once.
 */
struct lost_case {
	const char	*name;
	int		 shape;		/* 1, 2 */
	uint64_t	 pause;		/* ns before the rest */
	bool		 expire;	/* the timer runs before it */
	uint32_t	 mark;		/* of the rest */
	const char	*rest;		/* expected: what(rest) */
	uint64_t	 lost;		/* l7.lost after it */
	uint64_t	 lost_flows;	/* l7.lost_flows after it */
};

static const struct lost_case lost_cases[] = {
	{ "polyglot, no pause: the whole blocked hello read", 1, 0, false, P,
	  "blocked", 0, 0 },
	{ "polyglot, 11 s pause, the timer ran: the rest not read", 1,
	  11 * SEC, true, P, "untracked", 1, 1 },
	{ "polyglot, 11 s pause, found late: the rest not read", 1,
	  11 * SEC, false, P, "untracked", 1, 1 },
	{ "polyglot, 11 s pause, no pending mark: the rest not read", 1,
	  11 * SEC, true, 0, "untracked", 1, 1 },
	{ "polyglot, 9 s pause: read on, blocked", 1, 9 * SEC, true, P,
	  "blocked", 0, 0 },
	{ "RST at byte 0, no pause: the rest read, blocked", 2, 0, false, P,
	  "blocked", 0, 0 },
	{ "RST at byte 0, 11 s pause, the timer ran: the rest not read", 2,
	  11 * SEC, true, 0, "untracked", 1, 1 },
	{ "RST at byte 0, 25 s pause, found late: the rest not read", 2,
	  25 * SEC, false, 0, "untracked", 1, 1 },
};

static void
test_lost_bypass(void)
{
	const struct lost_case	*c;
	struct run		 r;
	uint8_t			 h[1200];
	size_t			 n, split, ci;
	uint16_t		 port;
	const char		*w1, *w2, *w3;

	for (ci = 0; ci < NFQD_ARRAY_SIZE(lost_cases); ci++) {
		c = &lost_cases[ci];
		if (!setup(&r, ""))
			return;
		port = (uint16_t)(9100 + ci);
		n = polyglot(h, "blocked.example", "ok.example", &split);
		if (c->shape == 2)
			split = 1;
		w1 = syn(&r, port, 100);
		w2 = part(&r, port, 100, h, 0, split, 0, 0, false);
		w3 = c->shape == 2 ? seg_at(&r, port, 101, 0x14, NULL, 0, P) :
		    "pending";
		CHECKF(strcmp(w1, "pending") == 0 &&
		    strcmp(w2, "pending") == 0 && strcmp(w3, "pending") == 0,
		    unit_fmt("lost %s: the start pending", c->name),
		    "SYN %s, bytes [0, %zu) %s, RST %s", w1, split, w2, w3);
		now += c->pause;
		if (c->expire)
			nfqd_l7_expire(&r.e.l7, now);
		CHECK_STR_EQ(part(&r, port, 100, h, split, n - split, c->mark,
		    0, false), c->rest, unit_fmt("lost %s: bytes [%zu, %zu)",
		    c->name, split, n));
		CHECKF(r.e.l7.lost == c->lost &&
		    r.e.l7.lost_flows == c->lost_flows &&
		    kept(&r) == c->lost_flows,
		    unit_fmt("lost %s: counted", c->name), "lost %llu, lost "
		    "flows %llu, kept %llu", (unsigned long long)r.e.l7.lost,
		    (unsigned long long)r.e.l7.lost_flows,
		    (unsigned long long)kept(&r));
		if (c->lost > 0) {
			/* Sent again and again: never read. */
			CHECK_STR_EQ(part(&r, port, 100, h, split, n - split,
			    c->mark, 0, false), "untracked",
			    unit_fmt("lost %s: sent again: not read", c->name));
			CHECK_STR_EQ(part(&r, port, 100, h, 0, n, c->mark,
			    0, false), "untracked", unit_fmt("lost %s: the "
			    "whole hello from byte 0: not read", c->name));
			CHECK(r.e.l7.lost == c->lost + 2 &&
			    r.e.l7.names[NFQD_L7P_TLS] == 0,
			    unit_fmt("lost %s: nothing read", c->name));
		}
		teardown(&r);
	}
}

/*
 * A lost flow's other packets: pure ACK, FIN, RST, the server's: as
 * before a decision (pending), each keeping it (WAIT, the TCP timeout
 * from its last packet); a SYN with another ISN starts a new flow,
 * unless it carries the pending mark; tcp_timeout ends it.
 */
static void
test_lost_flow(void)
{
	struct run		 r;
	uint8_t			 h[600], ok[600];
	size_t			 n, nok;
	uint16_t		 port = 9200;

	if (!setup(&r, ""))
		return;
	n = hello(h, "blocked.example");
	nok = hello(ok, "ok.example");
	syn(&r, port, 100);
	part(&r, port, 100, h, 0, 20, 0, 0, false);
	now += 11 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK(r.e.l7.lost_flows == 1 && kept(&r) == 1,
	    "lost flow: made lost by the timer");
	CHECK_STR_EQ(seg_at(&r, port, 121, 0x10, NULL, 0, P), "pending",
	    "lost flow: a pure ACK: pending");
	CHECK_STR_EQ(srv_seg(&r, port, 5000, 0x18, ok, 100), "pending",
	    "lost flow: the server's data: pending");
	CHECK_STR_EQ(seg_at(&r, port, 121, 0x11, NULL, 0, P), "pending",
	    "lost flow: a FIN: pending");
	CHECK_STR_EQ(seg_at(&r, port, 101, 0x14, NULL, 0, P), "pending",
	    "lost flow: a RST: pending");
	CHECK_STR_EQ(syn(&r, port, 100), "pending",
	    "lost flow: its own SYN again: pending");
	CHECK(r.e.l7.lost == 0, "lost flow: none of them counted as lost");
	/* The FIN and RST did not make it CLOSING: 11 s on, still there. */
	now += 11 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK_STR_EQ(part(&r, port, 100, h, 20, n - 20, P, 0, false),
	    "untracked", "lost flow: 11 s after its FIN and RST: kept, the "
	    "rest not read");
	CHECK(r.e.l7.lost == 1 && r.e.l7.lost_flows == 1 && kept(&r) == 1,
	    "lost flow: one lost segment, made lost once");
	/* 599 s idle: still there; 601 s: ended, read from the middle. */
	now += 599 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK_STR_EQ(part(&r, port, 100, h, 20, n - 20, P, 0, false),
	    "untracked", "lost flow: 599 s idle: still kept");
	now += 601 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK_STR_EQ(part(&r, port, 100, h, 0, n, 0, 0, false), "blocked",
	    "lost flow: past tcp_timeout: ended, a whole hello alone read "
	    "from the middle (blocked)");
	CHECK(kept(&r) == 1 && r.e.l7.lost == 2,
	    "lost flow: ended, not kept again");
	teardown(&r);

	/* A SYN with another ISN: a new connection, read afresh. */
	if (!setup(&r, ""))
		return;
	syn(&r, port, 100);
	part(&r, port, 100, h, 0, 20, 0, 0, false);
	now += 11 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK_STR_EQ(syn(&r, port, 70000), "pending",
	    "lost flow: a SYN with another ISN, no pending mark: pending");
	CHECK_STR_EQ(part(&r, port, 70000, ok, 0, 30, 0, 0, false), "pending",
	    "... a new flow: its hello's start pending");
	CHECK_STR_EQ(part(&r, port, 70000, ok, 30, nok - 30, 0, 0, false),
	    "accept", "... its hello's rest read: accepted");
	CHECK(r.e.l7.lost == 0 && r.e.l7.names[NFQD_L7P_TLS] == 1,
	    "... read, nothing lost");
	teardown(&r);

	/* One with the pending mark is the old connection's (conntrack). */
	if (!setup(&r, ""))
		return;
	syn(&r, port, 100);
	part(&r, port, 100, h, 0, 20, 0, 0, false);
	now += 11 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	{
		struct seg		s = cli(port, 100 + 20, 0x02);
		struct nfqd_decision	d = decide(&r, mk(&s, NULL, 0), P, 0);

		CHECK_STR_EQ(what(&d), "pending", "lost flow: a SYN with the "
		    "pending mark, its ISN one before the rest: pending");
	}
	CHECK_STR_EQ(part(&r, port, 100, h, 20, n - 20, P, 0, false),
	    "untracked", "... the flow still lost: the rest (byte 0 of the "
	    "SYN's stream) not read");
	CHECK(r.e.l7.lost == 1 && r.e.l7.names[NFQD_L7P_TLS] == 0,
	    "... counted, nothing read");
	teardown(&r);
}

/*
 * Flows that end at their timeout as before: a handshake and a FIN
 * (CLOSING, no client byte), a decided one, an allowed one.
 */
static void
test_lost_not(void)
{
	struct run		 r;
	uint8_t			 h[600], ok[600];
	size_t			 n, nok;

	if (!setup(&r, ""))
		return;
	n = hello(h, "blocked.example");
	nok = hello(ok, "ok.example");
	/* SYN, ACK, FIN: closing without a byte. */
	syn(&r, 9300, 100);
	seg_at(&r, 9300, 101, 0x10, NULL, 0, P);
	CHECK_STR_EQ(seg_at(&r, 9300, 101, 0x11, NULL, 0, P), "pending",
	    "not lost: SYN, ACK, FIN: pending");
	/* SYN, ACK only: WAIT, the TCP timeout. */
	syn(&r, 9301, 100);
	seg_at(&r, 9301, 101, 0x10, NULL, 0, P);
	/* Decided: blocked. */
	syn(&r, 9302, 100);
	CHECK_STR_EQ(part(&r, 9302, 100, h, 0, n, 0, 0, false), "blocked",
	    "not lost: a blocked hello");
	seg_at(&r, 9302, 101 + (uint32_t)n, 0x11, NULL, 0, 0);
	/* Read, allowed (not decided by a rule). */
	syn(&r, 9303, 100);
	CHECK_STR_EQ(part(&r, 9303, 100, ok, 0, nok, 0, 0, false), "accept",
	    "not lost: an allowed hello");
	seg_at(&r, 9303, 101 + (uint32_t)nok, 0x11, NULL, 0, 0);
	now += 11 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK(r.e.l7.lost_flows == 0 && kept(&r) == 0,
	    "not lost: closing flows past closing_timeout: none kept");
	CHECK_STR_EQ(part(&r, 9300, 100, h, 0, n, P, 0, false), "blocked",
	    "not lost: handshake and FIN, ended: a whole hello read from the "
	    "middle");
	CHECK_STR_EQ(part(&r, 9302, 100, ok, 0, nok, 0, 0, false), "accept",
	    "not lost: the blocked flow ended: another hello read afresh");
	CHECK_STR_EQ(part(&r, 9303, 100, h, 0, n, 0, 0, false), "blocked",
	    "not lost: the allowed flow ended: another hello read afresh");
	now += 601 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK_STR_EQ(part(&r, 9301, 100, h, 0, n, P, 0, false), "blocked",
	    "not lost: SYN and ACK past tcp_timeout: ended, a whole hello "
	    "read from the middle");
	CHECK(r.e.l7.lost_flows == 0 && kept(&r) == 0 && r.e.l7.lost == 0,
	    "not lost: none kept, none lost");
	teardown(&r);
}

/*
 * A full table still evicts lost flows, as WAIT ones, oldest first
 * (memory stays bounded).  16 entries: a WAIT flow, a lost one, 14 more
 * WAIT; the 17th SYN ends the first, the 18th the lost one.
 */
static void
test_lost_evicted(void)
{
	struct run		 r;
	uint8_t			 h[1200];
	size_t			 n, split;
	unsigned		 i;
	struct nfqd_flowtab_stats st;

	if (!setup(&r, "flows = { max = 16; };"))
		return;
	n = polyglot(h, "blocked.example", "ok.example", &split);
	syn(&r, 9400, 100);
	syn(&r, 9401, 100);
	part(&r, 9401, 100, h, 0, split, 0, 0, false);
	now += 11 * SEC;
	nfqd_l7_expire(&r.e.l7, now);
	for (i = 0; i < 14; i++)
		syn(&r, (uint16_t)(9410 + i), 100);
	nfqd_flowtab_stats(r.e.l7.flows, &st);
	CHECK(st.active == 16 && st.evicted == 0 && r.e.l7.lost_flows == 1,
	    "evicted: 16 flows, one lost");
	CHECK_STR_EQ(syn(&r, 9430, 100), "pending", "evicted: a 17th SYN: "
	    "a flow (the oldest WAIT ended)");
	CHECK(!has_flow(&r, 9400) && has_flow(&r, 9401),
	    "evicted: ... not the lost one, the older WAIT");
	CHECK_STR_EQ(syn(&r, 9431, 100), "pending", "evicted: an 18th SYN: "
	    "a flow");
	nfqd_flowtab_stats(r.e.l7.flows, &st);
	CHECK(st.evicted == 2 && !has_flow(&r, 9401) && has_flow(&r, 9410),
	    "evicted: the lost one next, before the 14 younger WAIT");
	CHECK_STR_EQ(part(&r, 9401, 100, h, split, n - split, 0, 0, false),
	    "accept", "evicted: the lost one went next: its rest read from "
	    "the middle (the table's bound)");
	teardown(&r);
}

/* A sum folded to 16 bits with the carries added back, 0 kept 0. */
static uint16_t
fold16(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * nfqd_l7_sum_words() against csum_add(): the same 16-bit sum (byte-swapped
 * on this little-endian machine), for every length to 300 at every
 * alignment of the buffer, over random bytes, bytes near all ones (every
 * add carries) and zeros, and split in two pieces at every even offset as
 * l7_csum_ok() adds the pseudo header and the segment; running sums near
 * 2^64; words whose carries, added back, carry again.
 */
static void
test_sum_words(void)
{
	static uint8_t	buf[8 * 41 + 8];	/* the carries' case's longest */
	uint64_t	s;
	uint16_t	got, want;
	size_t		n, a, k, bad = 0, cmp = 0;
	int		fill;

	for (fill = 0; fill < 3; fill++)
		for (n = 0; n <= 300; n++)
			for (a = 0; a < 8; a++) {
				for (k = 0; k < sizeof(buf); k++)
					buf[k] = fill == 0 ? (uint8_t)rnd(256) :
					    fill == 1 ? (uint8_t)(0xff -
					    rnd(2)) : 0;
				s = nfqd_l7_sum_words(0, buf + a, n);
				got = fold16(s);
				want = fold16(csum_add(0, buf + a, n));
				want = (uint16_t)(want << 8 | want >> 8);
				bad += got != want;
				cmp++;
				for (k = 0; k + 2 <= n; k += 2 + 6 * (n > 64)) {
					s = nfqd_l7_sum_words(0, buf + a, k);
					s = nfqd_l7_sum_words(s, buf + a + k,
					    n - k);
					bad += fold16(s) != want;
					cmp++;
				}
			}
	/* A running sum near the top of 64 bits carries too. */
	for (n = 0; n < 64; n++) {
		for (k = 0; k < 300; k++)
			buf[k] = (uint8_t)(0xff - rnd(4));
		s = nfqd_l7_sum_words(UINT64_MAX - n, buf, 296 + n % 4);
		want = fold16(csum_add(0, buf, 296 + n % 4));
		want = (uint16_t)(want << 8 | want >> 8);
		bad += fold16(s) != fold16((uint64_t)want +
		    fold16(UINT64_MAX - n));
		cmp++;
	}
	/*
	 * k words of all ones and a 1 (k from 1 to 40): k - 1 carries
	 * above bit 63 and 2^64 - k + 1 below, so adding the carries back
	 * carries again.
	 */
	for (k = 1; k <= 40; k++) {
		memset(buf, 0xff, 8 * k);
		memset(buf + 8 * k, 0, 8);
		buf[8 * k] = 1;
		for (n = 8 * (k + 1); n <= 8 * (k + 1) + 6; n += 2) {
			want = fold16(csum_add(0, buf, n));
			want = (uint16_t)(want << 8 | want >> 8);
			bad += fold16(nfqd_l7_sum_words(0, buf, n)) != want;
			cmp++;
		}
	}
	CHECKF(bad == 0 && cmp > 100000, "checksum: the 64-bit sum is the sum "
	    "of 16-bit words", "%zu of %zu differ", bad, cmp);
}

/*
 * A client whose connection comes from port 53 (bind(2) to it: root on
 * the client's own machine) to a TLS or HTTP server on 443 or 80: the
 * server reads a TLS hello or an HTTP request, whatever the client's
 * port.  nfqd must read them as such, not as DNS over TCP (whose 2-byte
 * length, 0x1603 for a TLS record, 'GE' for GET, would make it wait for
 * kilobytes while the whole handshake passes pending).
 */
static void
test_sport53(void)
{
	static const char	req[] = "GET / HTTP/1.1\r\nHost: "
				    "blocked.example\r\n\r\n";
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			h[600];
	size_t			n;

	if (!setup(&r, ""))
		return;
	n = hello(h, "blocked.example");
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 53, 443, 100, 0x02, 6,
	    false, 0, 0, 0, NULL };
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s.seq = 101;
	s.flags = 0x18;
	d = decide(&r, mk(&s, h, n), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "from port 53 to 443: a whole "
	    "hello for a blocked name is blocked");
	s.seq = 101 + (uint32_t)n;
	d = decide(&r, mk(&s, (const uint8_t *)"\x14\x03\x03\x00\x01\x01",
	    6), P, 0);
	CHECK_STR_EQ(what(&d), "blocked", "... and the client's next "
	    "records with it");

	s = (struct seg){ "10.0.0.1", "10.0.0.2", 53, 80, 100, 0x02, 6,
	    false, 0, 0, 0, NULL };
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s.seq = 101;
	s.flags = 0x18;
	d = decide(&r, mk(&s, (const uint8_t *)req, sizeof(req) - 1), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "from port 53 to 80: an HTTP "
	    "request for a blocked host is blocked");
	teardown(&r);
}

/*
 * A PROXY protocol header (HAProxy's, v1 text or v2 binary) where the
 * first message should start.  A server told to take one on a port
 * (nginx's "listen ... proxy_protocol", HAProxy's accept-proxy, Envoy's
 * filter) takes it from whoever connects and reads the hello or request
 * after it: nginx 1.22 reads blocked.example after either header.  nfqd
 * read such a stream as no protocol, the name unread: now refused, by the
 * byte that completes the signature, whatever follows; on port 53 too
 * (v2's signature read as a query's length and header).
 */
static void
test_proxy_header(void)
{
	static const char	v1[] = "PROXY TCP4 192.0.2.1 192.0.2.2 5555 443"
	    "\r\n";
	static const uint8_t	v2[] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
	    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,
	    192, 0, 2, 1, 192, 0, 2, 2, 0x15, 0xb3, 0x01, 0xbb };
	static const uint8_t	qb[] = {
		0, 33, 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'b', 'l', 'o', 'c', 'k', 'e', 'd', 7, 'e', 'x', 'a',
		'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	};
	static const struct {
		int		 v;		/* 1, 2 */
		char		 then;		/* 'h' a hello, 'r' a request,
						   'q' a query (port 53) */
		const char	*name;		/* what follows */
		bool		 apart;		/* a byte at a time */
		const char	*want;
		unsigned	 pend;		/* segments pending first */
	} rows[] = {
		{ 1, 'h', "blocked.example", false, "l7_error", 0 },
		{ 1, 'r', "blocked.example", false, "l7_error", 0 },
		{ 2, 'h', "blocked.example", false, "l7_error", 0 },
		{ 2, 'r', "blocked.example", false, "l7_error", 0 },
		{ 1, 'h', "www.ok.example", false, "l7_error", 0 },
		{ 1, 'h', "blocked.example", true, "l7_error", 5 },
		{ 2, 'h', "blocked.example", true, "l7_error", 11 },
		{ 2, 'q', "blocked.example", false, "l7_error", 0 },
		{ 2, 'q', "blocked.example", true, "l7_error", 11 },
	};
	static const char	propfind[] = "PROPFIND / HTTP/1.1\r\nHost: "
	    "blocked.example\r\n\r\n";
	struct run		 r;
	struct seg		 s;
	struct nfqd_decision	 d;
	uint8_t			 b[800];
	size_t			 i, k, n;
	unsigned		 pend;
	uint16_t		 port = 3950;
	char			 req[128];

	if (!setup(&r, ""))
		return;
	for (i = 0; i < NFQD_ARRAY_SIZE(rows); i++, port++) {
		k = rows[i].v == 1 ? strlen(v1) : sizeof(v2);
		memcpy(b, rows[i].v == 1 ? (const uint8_t *)v1 : v2, k);
		if (rows[i].then == 'r') {
			n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1"
			    "\r\nHost: %s\r\n\r\n", rows[i].name);
			memcpy(b + k, req, n);
			n += k;
		} else if (rows[i].then == 'q') {
			memcpy(b + k, qb, sizeof(qb));
			n = k + sizeof(qb);
		} else {
			n = k + hello(b + k, rows[i].name);
		}
		s = (struct seg){ "10.0.0.1", "10.0.0.2", port,
		    rows[i].then == 'q' ? 53 : 443, 100, 0x02, 6, false, 0, 0,
		    0, NULL };
		decide(&r, mk(&s, NULL, 0), 0, 0);
		s.flags = 0x18;
		pend = 0;
		for (k = 0; rows[i].apart && k + 1 < n; k++) {
			s.seq = 101 + (uint32_t)k;
			d = decide(&r, mk(&s, b + k, 1), k > 0 ? P : 0, 0);
			if (strcmp(what(&d), "pending") != 0)
				break;
			pend++;
		}
		if (!rows[i].apart) {
			s.seq = 101;
			d = decide(&r, mk(&s, b, n), 0, 0);
		}
		CHECK_STR_EQ(what(&d), rows[i].want, unit_fmt("PROXY v%d "
		    "header, then %s for %s%s%s", rows[i].v,
		    rows[i].then == 'h' ? "a hello" : rows[i].then == 'r' ?
		    "a request" : "a query (port 53)", rows[i].name,
		    rows[i].apart ? ", a byte at a time" : "",
		    rows[i].apart ? "" : ", one segment"));
		CHECK_UINT_EQ(pend, rows[i].pend, unit_fmt("PROXY v%d header, "
		    "then %s%s: segments pending before", rows[i].v,
		    rows[i].name, rows[i].apart ? ", a byte at a time" : ""));
	}
	/* WebDAV's PROPFIND starts as "PROXY " does: read as HTTP. */
	s = (struct seg){ "10.0.0.1", "10.0.0.2", port++, 80, 100, 0x02, 6,
	    false, 0, 0, 0, NULL };
	decide(&r, mk(&s, NULL, 0), 0, 0);
	s.seq = 101;
	s.flags = 0x18;
	d = decide(&r, mk(&s, (const uint8_t *)propfind, sizeof(propfind) - 1),
	    0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "PROPFIND for a blocked host: "
	    "read as HTTP, blocked");
	teardown(&r);
}

/*
 * A connection to port 53 is read as DNS over TCP; bytes that cannot be
 * a query nfqd could wait for (a TLS record, an HTTP request's letters
 * read as a length over a buffer) are refused at once, whole or a byte at
 * a time, where they passed pending, unread, to a TLS or HTTP server
 * listening on port 53.  Each row: the client's bytes, in one segment
 * or in 1-byte segments (all but the last pending), then the verdict.
 */
static void
test_dport53(void)
{
	static const uint8_t	q[] = {
		0, 28, 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		2, 'o', 'k', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1,
		0, 1,
	};
	static const uint8_t	qb[] = {
		0, 33, 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'b', 'l', 'o', 'c', 'k', 'e', 'd', 7, 'e', 'x', 'a',
		'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	};
	static const char	get[] = "GET / HTTP/1.1\r\nHost: "
				    "blocked.example\r\n\r\n";
	static const char	pri[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	/* 16 10: a query of 5,650 bytes is waited for (its start here) */
	static const uint8_t	long16[] = { 0x16, 0x10, 0x12, 0x34, 0x01 };
	/* 3f fe: 16,382, the longest a buffer holds with its length */
	static const uint8_t	longest[] = { 0x3f, 0xfe, 0x12, 0x34 };
	static const uint8_t	over[] = { 0x3f, 0xff, 0x12, 0x34 };
	uint8_t			hb[600], hv[600], ha[600];
	struct {
		const char	*name;
		const uint8_t	*b;
		size_t		 n;
		const char	*whole, *bytes;
	} rows[] = {
		{ "a blocked hello", hb, 0, "l7_error", "l7_error" },
		/*
		 * Go's crypto/tls server takes a first record of any
		 * version below 0x1000, and an alert there (warning alerts
		 * stepped over): 16 00 and 15 03 were lengths of queries
		 * nfqd waited for, passing the hello after them pending.
		 */
		{ "a blocked hello in a record of version 0x0001", hv, 0,
		  "l7_error", "l7_error" },
		{ "a warning alert, then a blocked hello", ha, 0, "l7_error",
		  "l7_error" },
		{ "a blocked HTTP request", (const uint8_t *)get,
		  sizeof(get) - 1, "l7_error", "l7_error" },
		{ "the HTTP/2 preface", (const uint8_t *)pri, sizeof(pri) - 1,
		  "l7_error", "l7_error" },
		{ "a length of 16,383", over, sizeof(over), "l7_error",
		  "l7_error" },
		/* read: a query's accept is its own (pending) */
		{ "a query for ok.example", q, sizeof(q), "pending",
		  "pending" },
		{ "a query for blocked.example", qb, sizeof(qb), "drop",
		  "drop" },
		{ "the start of a query of 5,650 bytes", long16,
		  sizeof(long16), "pending", "pending" },
		{ "the start of a query of 16,382 bytes", longest,
		  sizeof(longest), "pending", "pending" },
	};
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	size_t			i, k;
	unsigned		pend;
	uint16_t		sport = 41000;

	rows[0].n = hello(hb, "blocked.example");
	rows[1].n = hello(hv, "blocked.example");
	hv[1] = 0;
	hv[2] = 1;
	memcpy(ha, "\x15\x03\x01\x00\x02\x01\x5a", 7);
	rows[2].n = 7 + hello(ha + 7, "blocked.example");
	if (!setup(&r, ""))
		return;
	for (i = 0; i < NFQD_ARRAY_SIZE(rows); i++) {
		s = (struct seg){ "10.0.0.1", "10.0.0.2", sport++, 53, 100,
		    0x02, 6, false, 0, 0, 0, NULL };
		decide(&r, mk(&s, NULL, 0), 0, 0);
		s.seq = 101;
		s.flags = 0x18;
		d = decide(&r, mk(&s, rows[i].b, rows[i].n), 0, 0);
		CHECK_STR_EQ(what(&d), rows[i].whole, unit_fmt("to port 53, "
		    "whole: %s", rows[i].name));

		s = (struct seg){ "10.0.0.1", "10.0.0.2", sport++, 53, 100,
		    0x02, 6, false, 0, 0, 0, NULL };
		decide(&r, mk(&s, NULL, 0), 0, 0);
		s.flags = 0x18;
		pend = 0;
		for (k = 0; k + 1 < rows[i].n; k++) {
			s.seq = 101 + (uint32_t)k;
			d = decide(&r, mk(&s, rows[i].b + k, 1), P, 0);
			if (strcmp(what(&d), "pending") != 0)
				break;
			pend++;
		}
		if (k + 1 == rows[i].n) {
			s.seq = 101 + (uint32_t)k;
			d = decide(&r, mk(&s, rows[i].b + k, 1), P, 0);
		}
		CHECK_STR_EQ(what(&d), rows[i].bytes, unit_fmt("to port 53, a "
		    "byte at a time: %s (after %u pending)", rows[i].name,
		    pend));
		if (strcmp(rows[i].bytes, "l7_error") == 0)
			CHECKF(pend <= 1, unit_fmt("to port 53, a byte at a "
			    "time: %s: refused by its second byte",
			    rows[i].name), "%u bytes pending", pend);
	}
	teardown(&r);
}

/*
 * A client SYN that offers Multipath TCP gets l7_error_verdict (l7tcp.c):
 * the server's application reads an MPTCP connection's bytes in the data
 * sequence the client maps with DSS options, not in the TCP sequence nfqd
 * reads.  Options as Linux's tcp_parse_options() reads them: an MPTCP
 * option past an EOL, or after one whose length is under 2 or runs past
 * the header, is not read by the server either.  Before, every SYN here
 * was pending, and an MPTCP connection was read like any other.
 */
/* A client SYN from sport with TCP options opt[0..optlen). */
static struct nfqd_decision
syn_opts(struct run *r, uint16_t sport, const uint8_t *opt, uint8_t optlen)
{
	struct seg	s = cli(sport, 100, 0x02);

	s.opt = opt;
	s.optlen = optlen;
	return decide(r, mk(&s, NULL, 0), 0, 0);
}

static void
test_mptcp(void)
{
	static const struct {
		const char	*desc;
		uint8_t		 optlen;
		uint8_t		 opt[20];
		const char	*want;
	} rows[] = {
		{ "MP_CAPABLE (v1, 4 bytes)", 4, { 30, 4, 0x01, 0x81 },
		  "l7_error" },
		{ "MP_CAPABLE (v0, with a key)", 12,
		  { 30, 12, 0x00, 0x81, 1, 2, 3, 4, 5, 6, 7, 8 }, "l7_error" },
		{ "MP_JOIN (another subflow)", 12,
		  { 30, 12, 0x10, 0x01, 9, 9, 9, 9, 7, 7, 7, 7 }, "l7_error" },
		{ "MP_CAPABLE after an MSS and NOPs", 12,
		  { 2, 4, 0x05, 0xb4, 1, 1, 1, 1, 30, 4, 0x01, 0x81 },
		  "l7_error" },
		{ "an MPTCP option of an unknown subtype", 4, { 30, 4, 0xf0, 0x00 }, "l7_error" },
		{ "MP_CAPABLE after an EOL (not read)", 8,
		  { 0, 1, 1, 1, 30, 4, 0x01, 0x81 }, "pending" },
		{ "MP_CAPABLE after an option of length 1 (not read)", 8,
		  { 99, 1, 1, 1, 30, 4, 0x01, 0x81 }, "pending" },
		{ "an MPTCP option whose length runs past the header (not read)", 4,
		  { 30, 8, 0x01, 0x81 }, "pending" },
		{ "a timestamp, no MPTCP", 12,
		  { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0 }, "pending" },
	};
	struct run		 r;
	struct nfqd_decision	 d;
	uint8_t			 h[600];
	uint64_t		 mp;
	size_t			 i, n, want = 0;
	struct nfqd_l7_counts	 k;

	if (!setup(&r, ""))
		return;
	mp = r.e.l7.mptcp;
	for (i = 0; i < NFQD_ARRAY_SIZE(rows); i++) {
		d = syn_opts(&r, (uint16_t)(4000 + i), rows[i].opt,
		    rows[i].optlen);
		CHECK_STR_EQ(what(&d), rows[i].want,
		    unit_fmt("mptcp: a SYN with %s", rows[i].desc));
		CHECK_UINT_EQ(d.reason, strcmp(rows[i].want, "l7_error") == 0 ?
		    NFQD_PKT_R_MPTCP : NFQD_PKT_R_NONE,
		    unit_fmt("mptcp: ... its reason (the log's)"));
		want += strcmp(rows[i].want, "l7_error") == 0;
	}
	CHECK_INT_EQ(r.e.l7.mptcp - mp, want, "mptcp: the refusals counted");
	nfqd_l7_counts(&r.e.l7, &k);
	CHECK_UINT_EQ(k.mptcp, r.e.l7.mptcp,
	    "mptcp: ... in the counts the worker publishes (l7_mptcp)");
	CHECK(flow_of(&r, 4000) == NULL,
	    "mptcp: a refused SYN makes no flow");
	CHECK(flow_of(&r, 4005) != NULL,
	    "mptcp: ... one it does not refuse makes one");
	/* The client falls back to TCP: a plain SYN, then its hello. */
	n = hello(h, "blocked.example");
	CHECK_STR_EQ(syn(&r, 4000, 100), "pending",
	    "mptcp: the SYN again without the option: pending");
	CHECK_STR_EQ(part(&r, 4000, 100, h, 0, n, 0, 0, false), "blocked",
	    "mptcp: ... its hello read, blocked");
	/* A SYN sent again with MPTCP on a flow: refused, the flow kept. */
	d = syn_opts(&r, 4000, rows[0].opt, rows[0].optlen);
	CHECK_STR_EQ(what(&d), "l7_error",
	    "mptcp: an MPTCP SYN on a decided flow's ports: refused");
	CHECK_STR_EQ(part(&r, 4000, 100, h, 0, n, 0, 0, false), "blocked",
	    "mptcp: ... the flow's verdict stands");
	teardown(&r);
	/* With l7_error_verdict "accept" it passes: the operator's choice. */
	if (setup(&r, "l7_error_verdict = \"accept\";")) {
		d = syn_opts(&r, 4100, rows[0].opt, rows[0].optlen);
		CHECK_STR_EQ(what(&d), "accept",
		    "mptcp (l7_error_verdict accept): the SYN passes");
		teardown(&r);
	}
}

int
main(void)
{
	test_sum_words();
	test_whole();
	test_segments();
	test_evasions();
	test_alert_first();
	test_rst_payload();
	test_name_port();
	test_sport53();
	test_dport53();
	test_proxy_header();
	test_syn_isn();
	test_syn_data();
	test_insertion();
	test_insertion_order();
	test_http_dns();
	test_udp_gso();
	test_udp6_len0();
	test_learn_badsum();
	test_full();
	test_connmark();
	test_ja4();
	test_prefetch();
	test_lost_bypass();
	test_lost_flow();
	test_lost_later();
	test_lost_not();
	test_lost_evicted();
	test_mptcp();
	return unit_done();
}
