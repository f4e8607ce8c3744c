/*
 * The application layer through the engine: TCP segments of TLS hellos,
 * HTTP requests and DNS queries in every shape an evader tries (cut at
 * every byte, reordered, overlapping with other bytes, urgent, with a
 * wrong checksum, on a reused port pair, in a RST, behind a SYN with
 * another ISN, outside the window, on a SYN, in segments the server's
 * TCP discards (no ACK, an MD5 option, PAWS, a lower TTL, an ack the
 * server refuses), seen from the middle, with
 * the flow table or the reassembly buffers full), and QUIC Initials over UDP
 * (RFC 9001/9369's samples), each decided exactly as docs/l7.md says.
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
#include "nfqd/l7/ja4.h"
#include "nfqd/l7/names.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/l7/tls.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"
#include "nfqd/shm.h"
#include "qinitial.h"
#include "quic_vectors.h"
#include "unit.h"

#define D	0x10000000u	/* the rules' drop mark */
#define P	0x20000000u	/* flows.pending_mark */
#define REPEAT_D	NF_REPEAT

static uint8_t	pbuf[70000];
static uint64_t	now = 1000000000000ull;
static uint32_t	indev = 2;	/* where decide()'s packets come in */

/*
 * The lengths of a hello of n bytes in b[] set from where it ends: its
 * extension block's (length at b[ext]), its handshake message's (body at
 * b[hs]) and its record's.  Returns n.
 */
static size_t
hello_lengths(uint8_t *b, size_t ext, size_t hs, size_t n)
{
	b[ext] = (uint8_t)((n - ext - 2) >> 8);
	b[ext + 1] = (uint8_t)(n - ext - 2);
	b[hs - 3] = 0;
	b[hs - 2] = (uint8_t)((n - hs) >> 8);
	b[hs - 1] = (uint8_t)(n - hs);
	b[3] = (uint8_t)((n - 5) >> 8);
	b[4] = (uint8_t)(n - 5);
	return n;
}

/* A ClientHello for name (a real one's shape: TLS 1.2 record, SNI, ALPN). */
static size_t
hello(uint8_t *b, const char *name)
{
	size_t	n = strlen(name), i = 0, ext, hs;

	b[i++] = 22; b[i++] = 3; b[i++] = 1;
	i += 2;				/* record length */
	b[i++] = 1;			/* ClientHello */
	i += 3;				/* handshake length */
	hs = i;
	b[i++] = 3; b[i++] = 3;
	memset(b + i, 0xab, 32); i += 32;
	b[i++] = 0;			/* session id */
	b[i++] = 0; b[i++] = 4; b[i++] = 0x13; b[i++] = 1; b[i++] = 0xc0;
	b[i++] = 0x2f;
	b[i++] = 1; b[i++] = 0;		/* compression */
	ext = i;
	i += 2;
	/* server_name */
	b[i++] = 0; b[i++] = 0;
	b[i++] = (uint8_t)((n + 5) >> 8); b[i++] = (uint8_t)(n + 5);
	b[i++] = (uint8_t)((n + 3) >> 8); b[i++] = (uint8_t)(n + 3);
	b[i++] = 0;
	b[i++] = (uint8_t)(n >> 8); b[i++] = (uint8_t)n;
	memcpy(b + i, name, n); i += n;
	/* ALPN h2 */
	b[i++] = 0; b[i++] = 16; b[i++] = 0; b[i++] = 5; b[i++] = 0;
	b[i++] = 3; b[i++] = 2; b[i++] = 'h'; b[i++] = '2';
	return hello_lengths(b, ext, hs, i);
}

static uint32_t
csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

struct seg {
	const char	*src, *dst;
	uint16_t	 sport, dport;
	uint32_t	 seq;
	uint8_t		 flags;		/* TCP flags */
	uint8_t		 proto;		/* 6, 17 */
	bool		 badsum;
	/* TCP, zero unless set: */
	uint32_t	 ack;		/* acknowledgment number */
	uint8_t		 ttl;		/* TTL or hop limit (0: 64) */
	uint8_t		 optlen;	/* bytes of opt, a multiple of 4 */
	const uint8_t	*opt;		/* TCP options, as they are */
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/*
 * A TCP or UDP packet with its checksum, in pbuf; its length.  IPv6
 * when the source address has a ':'.
 */
static uint32_t
mk(const struct seg *s, const uint8_t *pay, size_t n)
{
	bool		 v6 = strchr(s->src, ':') != NULL;
	uint32_t	 iphl = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	uint8_t		*ip = pbuf, *l4 = pbuf + iphl;
	uint32_t	 hl = s->proto == 6 ? 20u + s->optlen : 8;
	uint32_t	 len = iphl + hl + (uint32_t)n, sum;

	memset(pbuf, 0, iphl + hl);
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)((len - 40) >> 8);
		ip[5] = (uint8_t)(len - 40);
		ip[6] = s->proto;
		ip[7] = s->ttl != 0 ? s->ttl : 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
	} else {
		ip[0] = 0x45;
		ip[2] = (uint8_t)(len >> 8);
		ip[3] = (uint8_t)len;
		ip[8] = s->ttl != 0 ? s->ttl : 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
	}
	l4[0] = (uint8_t)(s->sport >> 8); l4[1] = (uint8_t)s->sport;
	l4[2] = (uint8_t)(s->dport >> 8); l4[3] = (uint8_t)s->dport;
	if (s->proto == 6) {
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)((hl / 4) << 4);
		l4[13] = s->flags;
		l4[14] = 0xff;
		if (s->optlen > 0)
			memcpy(l4 + 20, s->opt, s->optlen);
	} else {
		l4[4] = (uint8_t)((8 + n) >> 8);
		l4[5] = (uint8_t)(8 + n);
	}
	if (n > 0)
		memcpy(l4 + hl, pay, n);
	/* The pseudo header's length as 16 bits adds up the same as
	   IPv6's 32 for these lengths. */
	sum = csum_add(0, ip + iphl - 2 * alen, 2 * alen) + s->proto + hl +
	    (uint32_t)n;
	sum = csum_add(sum, l4, hl + n);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (s->badsum)
		sum ^= 0x1111;
	l4[s->proto == 6 ? 16 : 6] = (uint8_t)(sum >> 8);
	l4[s->proto == 6 ? 17 : 7] = (uint8_t)sum;
	return len;
}

struct run {
	struct nfqd_config	cf;
	struct nfqd_engine	e;
	struct nfqd_rule_ctr	ctr[16];
	bool			ok;
};

static const char *setsfile = "/tmp/nfqd-test-l7-names.txt";
/* Names setup() adds to the set, making it big enough for the name
 * prefetch (NFQD_L7_PF_BYTES). */
static unsigned set_filler;

static bool	setup_text(struct run *, const char *);

static bool
setup(struct run *r, const char *extra)
{
	char			 text[4096];
	FILE			*fp;

	memset(r, 0, sizeof(*r));
	if ((fp = fopen(setsfile, "w")) == NULL)
		return false;
	fprintf(fp, "blocked.example\n0.0.0.0 ads.example\n");
	for (unsigned i = 0; i < set_filler; i++)
		fprintf(fp, "n%u.filler.example\n", i);
	fclose(fp);
	snprintf(text, sizeof(text),
	    "queue = { balance = \"0:0\"; };\n"
	    "%s\n"
	    "name_sets = ( { name = \"bl\"; file = \"%s\"; } );\n"
	    "rules = (\n"
	    "  { name = \"tls\"; tls_sni = \"@bl\"; verdict = \"repeat\";"
	    " mark = 0x10000000; },\n"
	    "  { name = \"http\"; http_host = (\"@bl\", \"=only.example\");"
	    " verdict = \"repeat\"; mark = 0x10000000; },\n"
	    "  { name = \"dns\"; dns_qname = \"@bl\"; verdict = \"drop\"; },\n"
	    "  { name = \"quic\"; server_name = \"=example.com\";"
	    " l7 = \"quic\"; alpn = \"alpn\"; verdict = \"repeat\";"
	    " mark = 0x10000000; }\n"
	    ");\n", extra, setsfile);
	return setup_text(r, text);
}

/* An engine for the configuration text (setup() writes the name set). */
static bool
setup_text(struct run *r, const char *text)
{
	struct unit_reports	 rs;

	memset(r, 0, sizeof(*r));
	memset(&rs, 0, sizeof(rs));
	if (nfqd_config_load_text(&r->cf, "l7.conf", text, strlen(text), NULL,
	    unit_collect, &rs) != 0) {
		CHECKF(0, "configuration loads", "%s:%d: %s", rs.r[0].file,
		    rs.r[0].line, rs.r[0].msg);
		return false;
	}
	if (!CHECK(nfqd_engine_init(&r->e, &r->cf, r->cf.rules, r->ctr, NULL,
	    NULL, 0) == 0, "engine init")) {
		nfqd_config_free(&r->cf);
		return false;
	}
	r->ok = true;
	return true;
}

static void
teardown(struct run *r)
{
	if (!r->ok)
		return;
	nfqd_engine_free(&r->e);
	nfqd_config_free(&r->cf);
	unlink(setsfile);
}

/* Decide the packet in pbuf (len bytes) with mark and skbinfo. */
static struct nfqd_decision
decide(struct run *r, uint32_t len, uint32_t mark, uint32_t skbinfo)
{
	struct nfqd_qmsg	m;
	struct nfqd_decision	d;

	memset(&m, 0, sizeof(m));
	m.hw_protocol = (pbuf[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
	m.payload = pbuf;
	m.caplen = m.len = len;
	m.mark = mark;
	m.skbinfo = skbinfo;
	m.indev = indev;
	now += 1000000;
	nfqd_engine_decide(&r->e, &m, now, &d);
	return d;
}

/* What a decision says, as one word for the tables below. */
static const char *
what(const struct nfqd_decision *d)
{
	if (d->verdict == NF_REPEAT && d->has_mark && d->mark == D)
		return "blocked";
	if (d->verdict == NF_ACCEPT && d->has_mark && d->mark == P)
		return "pending";
	if (d->verdict == NF_ACCEPT && !d->has_mark)
		return "accept";
	if (d->verdict == NF_DROP && d->status == NFQD_PKT_L7_ERROR)
		return "l7_error";
	if (d->verdict == NF_DROP && d->status == NFQD_PKT_L7_UNTRACKED)
		return "untracked";
	if (d->verdict == NF_DROP)
		return "drop";
	return "other";
}

/* The acknowledgment number of the client's segments below (cli()). */
static uint32_t	cli_ack;

static struct seg
cli(uint16_t sport, uint32_t seq, uint8_t flags)
{
	struct seg	s = { "10.0.0.1", "10.0.0.2", sport, 443, seq, flags, 6,
			    false, cli_ack, 0, 0, NULL };

	return s;
}

static const char *
syn(struct run *r, uint16_t sport, uint32_t isn)
{
	struct seg		s = cli(sport, isn, 0x02);
	struct nfqd_decision	d = decide(r, mk(&s, NULL, 0), 0, 0);

	return what(&d);
}

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

/* A client segment at seq with TCP flags fl and payload pay[0..n). */
static const char *
seg_at(struct run *r, uint16_t sport, uint32_t seq, uint8_t fl,
    const uint8_t *pay, size_t n, uint32_t mark)
{
	struct seg		s = cli(sport, seq, fl);
	struct nfqd_decision	d = decide(r, mk(&s, pay, n), mark, 0);

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


/* QUIC Initials over UDP: the RFC samples hold a hello for example.com. */
static void
test_quic(void)
{
	static const uint8_t	other[] = "not QUIC, just a datagram";
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			v1[1200], v2[1200], shorthdr[40];
	size_t			n1, n2;

	if (!setup(&r, ""))
		return;
	n1 = unit_unhex(rfc9001_a2_packet, v1, sizeof(v1));
	n2 = unit_unhex(rfc9369_a2_packet, v2, sizeof(v2));
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 5000, 443, 0, 0, 17, false, 0, 0, 0, NULL };
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC v1 Initial (RFC 9001 A.2): example.com, alpn, l7 quic blocked");
	memset(shorthdr, 0x41, sizeof(shorthdr));
	d = decide(&r, mk(&s, shorthdr, sizeof(shorthdr)), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC: a later short-header packet of the flow gets its verdict");
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC: the Initial again is read again, blocked again");
	s.sport = 5001;
	s.dport = 8443;
	d = decide(&r, mk(&s, v2, n2), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC v2 Initial (RFC 9369 A.2) on port 8443: blocked");
	s.sport = 5002;
	v1[n1 - 1] ^= 1;
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error",
	    "QUIC: an Initial whose tag does not verify: l7_error_verdict");
	v1[n1 - 1] ^= 1;
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC: ... then the good one on the same ports: blocked");
	s.sport = 5003;
	d = decide(&r, mk(&s, v1, n1 - 1), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error",
	    "QUIC: an Initial cut by one byte (1199 bytes): l7_error_verdict");
	d = decide(&r, mk(&s, other, sizeof(other)), 0, 0);
	CHECK(strcmp(what(&d), "accept") == 0 &&
	    d.rule == NFQD_DECIDED_DEFAULT,
	    "QUIC: another datagram on a flow with nothing read: no fields");
	s.sport = 5004;
	d = decide(&r, mk(&s, other, sizeof(other)), 0, 0);
	CHECK(strcmp(what(&d), "accept") == 0 &&
	    d.rule == NFQD_DECIDED_DEFAULT,
	    "UDP that is not QUIC: no fields, default verdict");
	teardown(&r);
}

/*
 * QUIC connections on one flow (docs/l7.md, QUIC): flights built by
 * tests/tools/qinitial.c, which shares no code with nfqd's reader.
 */
static struct qi_ctx	*qx;

/* A flight: server name sni, pieces Initials, connection IDs of byte id. */
static bool
qflight(struct qi_flight *f, const char *sni, unsigned pieces, uint8_t id)
{
	struct qi_spec	s;
	char		err[128];

	memset(&s, 0, sizeof(s));
	s.version = QI_V1;
	s.sni = sni;
	s.alpn = "h3";
	s.pieces = pieces;
	s.dcid_len = s.scid_len = 8;
	memset(s.dcid, id, 8);
	memset(s.scid, id ^ 0xff, 8);
	return CHECKF(qi_build(qx, &s, f, err, sizeof(err)) == 0,
	    "quic conns: a flight is built", "%s", err);
}

/*
 * The second hello of flight first's connection after a
 * HelloRetryRequest: sent to server ID sid (byte), protected with the
 * keys of the client's first ID, its CRYPTO data after the first hello.
 */
static bool
qsecond(struct qi_flight *f, const struct qi_flight *first, uint8_t id,
    uint8_t sid, const char *sni, unsigned pieces, size_t extra)
{
	struct qi_spec	s;
	uint8_t		kd[8];
	char		err[128];

	memset(&s, 0, sizeof(s));
	memset(kd, id, sizeof(kd));
	s.version = QI_V1;
	s.sni = sni;
	s.alpn = "h3";
	s.pieces = pieces;
	s.dcid_len = s.scid_len = 8;
	memset(s.dcid, sid, 8);
	memset(s.scid, id ^ 0xff, 8);
	s.key_dcid = kd;
	s.key_dcid_len = 8;
	s.crypto_off = first->hello_len + extra;
	s.pn_base = 2;
	return CHECKF(qi_build(qx, &s, f, err, sizeof(err)) == 0,
	    "quic conns: a second hello is built", "%s", err);
}

/* A client datagram from port sport (ttl 0: 64), checksum bad or not. */
static const char *
qsend(struct run *r, uint16_t sport, const uint8_t *dg, size_t n,
    uint8_t ttl, bool badsum)
{
	struct seg		s = { "10.0.0.1", "10.0.0.2", sport, 443, 0, 0,
				    17, badsum, 0, ttl, 0, NULL };
	struct nfqd_decision	d;

	d = decide(r, mk(&s, dg, n), 0,
	    badsum ? NFQA_SKB_CSUM_NOTVERIFIED : 0);
	return what(&d);
}

static const char *
qdg(struct run *r, uint16_t sport, const struct qi_flight *f, unsigned d)
{
	return qsend(r, sport, f->dgram[d], f->dgram_len[d], 0, false);
}

/*
 * A server datagram to port sport: an Initial-shaped long header from
 * server ID sid (byte), or a Retry (its new ID sid).
 */
static const char *
qserver(struct run *r, uint16_t sport, uint8_t cid, uint8_t sid, bool retry)
{
	struct seg		s = { "10.0.0.2", "10.0.0.1", 443, sport, 0, 0,
				    17, false, 0, 0, 0, NULL };
	struct nfqd_decision	d;
	uint8_t			b[120];
	size_t			n = 0;

	memset(b, 0, sizeof(b));
	b[n++] = retry ? 0xf0 : 0xc1;
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 1;
	b[n++] = 8;
	memset(b + n, cid ^ 0xff, 8);
	n += 8;
	b[n++] = 8;
	memset(b + n, sid, 8);
	n += 8;
	if (!retry) {
		b[n++] = 0;		/* no token */
		b[n] = 0x40;		/* Length: the rest */
		b[n + 1] = (uint8_t)(sizeof(b) - n - 2);
		n += 2;
	}
	d = decide(r, mk(&s, b, sizeof(b)), 0, 0);
	return what(&d);
}

/* The flights test_quic_conns() sends (qi_build() fills them). */
static struct qi_flight	 qf_x, qf_y, qf_z, qf_a, qf_a2, qf_b2, qf_o2;
static struct qi_flight	 qf_c2, qf_e2;

/* One datagram of a table below, from the client or the server. */
struct qstep {
	uint16_t		 port;		/* the client's */
	/* 'c': flight f's datagram d; 's': a server's Initial; 'r': its
	   Retry; 'h': a short header from the client */
	char			 kind;
	const struct qi_flight	*f;
	unsigned		 d;
	/* 's', 'r': the bytes of the client's ID and the server's */
	uint8_t			 cid, sid;
	const char		*want, *desc;
};

static void
qsteps(struct run *r, const struct qstep *t, size_t n)
{
	uint8_t		shorthdr[60];
	const char	*got;
	size_t		i;

	memset(shorthdr, 0x41, sizeof(shorthdr));
	for (i = 0; i < n; i++) {
		switch (t[i].kind) {
		case 'c':
			got = qdg(r, t[i].port, t[i].f, t[i].d);
			break;
		case 'h':
			got = qsend(r, t[i].port, shorthdr, sizeof(shorthdr),
			    0, false);
			break;
		default:
			got = qserver(r, t[i].port, t[i].cid, t[i].sid,
			    t[i].kind == 'r');
			break;
		}
		CHECK_STR_EQ(got, t[i].want, unit_fmt("quic %s", t[i].desc));
	}
}

/*
 * Another connection on a flow's ports.  The hole this closes (port
 * 6001): a blocked hello's first datagram passes pending (the server
 * keeps its bytes), its last is dropped; a harmless connection on the
 * same ports made nfqd start afresh, and the blocked one's last datagram
 * again was read alone, as the new connection's incomplete hello:
 * pending, so the server had the whole blocked hello.
 */
static const struct qstep conns_steps[] = {
	{ 6001, 'c', &qf_x, 0, 0, 0, "pending",
	  "conns: a blocked hello's first datagram passes pending" },
	{ 6001, 'c', &qf_x, 1, 0, 0, "blocked",
	  "conns: ... its last is dropped" },
	{ 6001, 'c', &qf_y, 0, 0, 0, "l7_error",
	  "conns: ... another connection's hello on the ports: refused, the "
	  "server did not ask for it" },
	{ 6001, 'c', &qf_x, 1, 0, 0, "blocked",
	  "conns: ... the blocked one's last again: blocked, not read as a "
	  "new connection's" },
	/* The same while the first connection's hello is incomplete. */
	{ 6002, 'c', &qf_x, 0, 0, 0, "pending",
	  "conns: incomplete: the first datagram passes pending" },
	{ 6002, 'c', &qf_y, 0, 0, 0, "l7_error",
	  "conns: incomplete: another connection's hello: refused" },
	{ 6002, 'c', &qf_x, 1, 0, 0, "blocked",
	  "conns: incomplete: ... the first one's rest: blocked" },
	/* A Retry from the server: the client starts afresh. */
	{ 6003, 'c', &qf_x, 0, 0, 0, "pending",
	  "conns: retry: the first datagram passes pending" },
	{ 6003, 'r', NULL, 0, 0x11, 0x55, "pending",
	  "conns: retry: the server's Retry passes" },
	{ 6003, 'c', &qf_y, 0, 0, 0, "accept",
	  "conns: retry: then a new connection is read afresh" },
	{ 6003, 'c', &qf_z, 0, 0, 0, "l7_error",
	  "conns: retry: ... and only that one" },
	/* A decided flow: a Retry too. */
	{ 6004, 'c', &qf_y, 0, 0, 0, "accept", "conns: decided: allowed" },
	{ 6004, 'c', &qf_z, 0, 0, 0, "l7_error",
	  "conns: decided: another connection: refused" },
	{ 6004, 'r', NULL, 0, 0x22, 0x56, "accept",
	  "conns: decided: the server's Retry gets the flow's verdict" },
	{ 6004, 'c', &qf_x, 0, 0, 0, "pending",
	  "conns: decided: after the Retry a new connection is read" },
	{ 6004, 'c', &qf_x, 1, 0, 0, "blocked",
	  "conns: decided: ... and its blocked hello dropped" },
};

/* A second hello after a HelloRetryRequest. */
static const struct qstep hrr_steps[] = {
	{ 6010, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr: the first hello, allowed" },
	{ 6010, 's', NULL, 0, 0x33, 0x44, "accept",
	  "hrr: the server's answer (its ID)" },
	{ 6010, 'c', &qf_a2, 0, 0, 0, "accept",
	  "hrr: a second hello for the same name: the flow's verdict" },
	{ 6010, 'c', &qf_a2, 0, 0, 0, "l7_error",
	  "hrr: ... its CRYPTO data again: refused (nothing to compare it "
	  "with)" },
	{ 6010, 'h', NULL, 0, 0, 0, "accept", "hrr: ... the flow goes on" },
	{ 6010, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr: ... the first hello again: passed over, the flow's" },
	{ 6011, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr blocked: the first hello, allowed" },
	{ 6011, 's', NULL, 0, 0x33, 0x44, "accept",
	  "hrr blocked: the server's answer" },
	{ 6011, 'c', &qf_b2, 1, 0, 0, "accept",
	  "hrr blocked: the second hello's last part first: the flow's "
	  "verdict" },
	{ 6011, 'c', &qf_b2, 0, 0, 0, "l7_error",
	  "hrr blocked: the part that completes a second hello for another "
	  "(blocked) name: l7_error" },
	{ 6011, 'h', NULL, 0, 0, 0, "l7_error",
	  "hrr blocked: ... and every later packet" },
	{ 6012, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr other: the first hello, allowed" },
	{ 6012, 'c', &qf_o2, 0, 0, 0, "l7_error",
	  "hrr other: a second hello for another allowed name, the server's "
	  "ID learned from the client (its side unseen): l7_error" },
	{ 6013, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr learn: the first hello, allowed" },
	{ 6013, 'c', &qf_c2, 0, 0, 0, "accept",
	  "hrr learn: CRYPTO data 40 bytes past the first hello, to a new ID: "
	  "read (the server's, learned), not whole" },
	{ 6013, 'c', &qf_b2, 0, 0, 0, "l7_error",
	  "hrr learn: a blocked second hello to the learned ID: its bytes "
	  "conflict with those read" },
	{ 6014, 'c', &qf_e2, 0, 0, 0, "pending",
	  "early bytes: a blocked second hello where the first hello will "
	  "end, sent first: pending" },
	{ 6014, 'c', &qf_a, 0, 0, 0, "l7_error",
	  "early bytes: the first hello with bytes after it already read: "
	  "l7_error" },
};

static void
test_quic_conns(void)
{
	struct qi_flight	*x = &qf_x, *y = &qf_y, *z = &qf_z, *a = &qf_a;
	struct qi_flight	*b2 = &qf_b2, *o2 = &qf_o2;
	struct run		 r;
	uint64_t		 refused, second, errs;

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic conns: libcrypto contexts");
		return;
	}
	if (!qflight(x, "blocked.example", 2, 0x11) ||
	    !qflight(y, "allowed.example", 1, 0x22) ||
	    !qflight(z, "allowed.example", 1, 0x23) ||
	    !qflight(a, "allowed.example", 1, 0x33) ||
	    !qsecond(&qf_a2, a, 0x33, 0x44, "allowed.example", 1, 0) ||
	    !qsecond(b2, a, 0x33, 0x44, "blocked.example", 2, 0) ||
	    !qsecond(o2, a, 0x33, 0x44, "other.example", 1, 0) ||
	    !qsecond(&qf_c2, a, 0x33, 0x44, "allowed.example", 1, 40) ||
	    !qsecond(&qf_e2, a, 0x33, 0x33, "blocked.example", 1, 0) ||
	    !setup(&r, "")) {
		qi_ctx_free(qx);
		return;
	}
	refused = r.e.l7.quic_refused;
	qsteps(&r, conns_steps, NFQD_ARRAY_SIZE(conns_steps));
	CHECK_INT_EQ(r.e.l7.quic_refused - refused, 4,
	    "quic conns: the four other connections refused, counted");
	second = r.e.l7.second_hellos;
	errs = r.e.l7.l7_errors;
	qsteps(&r, hrr_steps, NFQD_ARRAY_SIZE(hrr_steps));
	CHECK_INT_EQ(r.e.l7.second_hellos - second, 1,
	    "quic hrr: one second hello read whole and kept");
	CHECK_INT_EQ(r.e.l7.l7_errors - errs, 4,
	    "quic hrr: four connections broken (blocked, other, conflict, "
	    "early bytes), counted");

	/* Datagrams the server never reads: not read. */
	refused = r.e.l7.quic_refused;
	CHECK_STR_EQ(qsend(&r, 6020, x->dgram[0], x->dgram_len[0], 64, false),
	    "pending", "quic ttl: the first datagram, TTL 64");
	CHECK_STR_EQ(qsend(&r, 6020, x->dgram[1], x->dgram_len[1], 2, false),
	    "l7_error", "quic ttl: the last with TTL 2: refused unread");
	CHECK_STR_EQ(qsend(&r, 6020, x->dgram[1], x->dgram_len[1], 64, false),
	    "blocked", "quic ttl: ... with TTL 64: read, blocked");
	CHECK_STR_EQ(qsend(&r, 6021, x->dgram[0], x->dgram_len[0], 2, false),
	    "pending", "quic ttl: a first datagram with TTL 2");
	CHECK_STR_EQ(qsend(&r, 6021, x->dgram[1], x->dgram_len[1], 64, false),
	    "l7_error", "quic ttl: ... a later one with TTL 64: refused");
	CHECK_INT_EQ(r.e.l7.quic_refused - refused, 2,
	    "quic ttl: two refusals counted");
	CHECK_STR_EQ(qdg(&r, 6022, a, 0), "accept",
	    "quic ttl: decided: allowed");
	CHECK_STR_EQ(qsend(&r, 6022, b2->dgram[0], b2->dgram_len[0], 63,
	    false), "l7_error",
	    "quic ttl: decided: a second hello's part with TTL 63: refused");
	/* A flow first seen from the server's side: no TTL kept from it. */
	(void) qserver(&r, 6024, 0x22, 0x57, false);
	CHECK_STR_EQ(qsend(&r, 6024, y->dgram[0], y->dgram_len[0], 50, false),
	    "accept", "quic ttl: a flow the server's datagram made: the "
	    "client's hello (TTL 50) is read");
	errs = r.e.l7.bad_csum;
	CHECK_STR_EQ(qsend(&r, 6023, y->dgram[0], y->dgram_len[0], 0, true),
	    "l7_error", "quic checksum: a wrong UDP checksum: refused unread");
	CHECK_INT_EQ(r.e.l7.bad_csum - errs, 1, "quic checksum: counted");
	CHECK_STR_EQ(qdg(&r, 6023, x, 0), "pending",
	    "quic checksum: ... the flow reads the next one as its first");
	teardown(&r);

	/* flows.hello_retry = false: the first hello decides, as before. */
	if (setup(&r, "flows = { hello_retry = false; };")) {
		CHECK_STR_EQ(qdg(&r, 6030, a, 0), "accept",
		    "quic hrr off: the first hello, allowed");
		CHECK_STR_EQ(qdg(&r, 6030, o2, 0), "accept",
		    "quic hrr off: a second hello for another name: the "
		    "flow's verdict");
		CHECK_STR_EQ(qdg(&r, 6030, z, 0), "l7_error",
		    "quic hrr off: another connection: refused all the same");
		teardown(&r);
	}
	qi_ctx_free(qx);
}

/* A decided QUIC flow keeps its verdict for flows.udp_timeout idle. */
static void
test_udp_timeout(void)
{
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			v1[1200], shorthdr[40];
	size_t			n1;

	if (!setup(&r, "flows = { udp_timeout = 30; tcp_timeout = 600; };"))
		return;
	n1 = unit_unhex(rfc9001_a2_packet, v1, sizeof(v1));
	memset(shorthdr, 0x41, sizeof(shorthdr));
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 5100, 443, 0, 0, 17, false, 0, 0, 0, NULL };
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "udp_timeout: the Initial blocked");
	now += 29000000000ull;
	d = decide(&r, mk(&s, shorthdr, sizeof(shorthdr)), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.flow,
	    "udp_timeout: 29 s idle: the flow's verdict still");
	now += 31000000000ull;
	d = decide(&r, mk(&s, shorthdr, sizeof(shorthdr)), 0, 0);
	CHECK(strcmp(what(&d), "accept") == 0 && !d.flow &&
	    d.rule == NFQD_DECIDED_DEFAULT,
	    "udp_timeout: 31 s idle: the flow has ended (not tcp_timeout)");
	teardown(&r);
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

/*
 * tls_ja4 of a hello read from QUIC Initials: its fingerprint starts with
 * q (test_quic.c checks the value against one computed apart); the same
 * fingerprint with t, TLS over TCP, is another and does not match.
 */
static void
test_quic_ja4(void)
{
	static const char *const fps[] = {
		"q13d0211an_62ed6f6ca7ad_4d634acda6c0",
		"t13d0211an_62ed6f6ca7ad_4d634acda6c0",
	};
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	struct unit_reports	rs;
	char			text[1024];
	uint8_t			v1[1200];
	size_t			n1, i;

	n1 = unit_unhex(rfc9001_a2_packet, v1, sizeof(v1));
	for (i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		snprintf(text, sizeof(text),
		    "queue = { balance = \"0:0\"; };\n"
		    "rules = ( { name = \"ja4\"; tls_ja4 = \"%s\";"
		    " verdict = \"repeat\"; mark = 0x10000000; } );\n", fps[i]);
		memset(&rs, 0, sizeof(rs));
		if (nfqd_config_load_text(&r.cf, "ja4q.conf", text,
		    strlen(text), NULL, unit_collect, &rs) != 0) {
			CHECKF(0, "quic ja4: configuration loads", "%s:%d: %s",
			    rs.r[0].file, rs.r[0].line, rs.r[0].msg);
			return;
		}
		if (!CHECK(nfqd_engine_init(&r.e, &r.cf, r.cf.rules, r.ctr,
		    NULL, NULL, 0) == 0, "quic ja4: engine init")) {
			nfqd_config_free(&r.cf);
			return;
		}
		r.ok = true;
		s = (struct seg){ "10.0.0.1", "10.0.0.2", 5100, 443, 0, 0, 17,
		    false, 0, 0, 0, NULL };
		d = decide(&r, mk(&s, v1, n1), 0, 0);
		if (i == 0)
			CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 0,
			    "QUIC v1 Initial: tls_ja4 with its q fingerprint "
			    "blocks it");
		else
			CHECK(strcmp(what(&d), "accept") == 0 &&
			    d.rule == NFQD_DECIDED_DEFAULT,
			    "QUIC v1 Initial: the t fingerprint of the same "
			    "hello does not match it");
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

/* The flow of client port sport (cli()'s addresses) now, or NULL. */
static struct nfqd_flow *
flow_of(struct run *r, uint16_t sport)
{
	struct nfqd_flow_key	k;
	uint8_t			a[4], b[4];
	int			dir;

	inet_pton(AF_INET, "10.0.0.1", a);
	inet_pton(AF_INET, "10.0.0.2", b);
	nfqd_flow_key_make(&k, AF_INET, IPPROTO_TCP, a, b, sport, 443, &dir);
	return nfqd_flow_find(r->e.l7.flows, &k, now);
}

static bool
has_flow(struct run *r, uint16_t sport)
{
	return flow_of(r, sport) != NULL;
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

/* ---- a second ClientHello after a HelloRetryRequest ---- */

/*
 * A ClientHello for name ("": no server_name) that offers TLS 1.3
 * (supported_versions), and early data when early; more bytes of the
 * same handshake record after it when trail.
 */
static size_t
hello13(uint8_t *b, const char *name, bool early, size_t trail)
{
	size_t	i = hello(b, *name != '\0' ? name : "x");

	if (*name == '\0') {
		/* server_name for "x" is the first extension, 10 bytes. */
		memmove(b + 54, b + 64, i - 64);
		i -= 10;
	}

	b[i++] = 0; b[i++] = 43; b[i++] = 0; b[i++] = 3;
	b[i++] = 2; b[i++] = 3; b[i++] = 4;
	if (early) {
		b[i++] = 0; b[i++] = 42; b[i++] = 0; b[i++] = 0;
	}
	hello_lengths(b, 52, 9, i);
	if (trail > 0) {
		memset(b + i, 0x01, trail);
		i += trail;
		b[3] = (uint8_t)((i - 5) >> 8);
		b[4] = (uint8_t)(i - 5);
	}
	return i;
}

/* A record of type ct and n bytes (of v) at b; its length. */
static size_t
rec(uint8_t *b, uint8_t ct, size_t n, uint8_t v)
{
	b[0] = ct; b[1] = 3; b[2] = 3;
	b[3] = (uint8_t)(n >> 8); b[4] = (uint8_t)n;
	memset(b + 5, v, n);
	return 5 + n;
}

/* ChangeCipherSpec as TLS 1.3 clients send it (RFC 8446 D.4). */
static size_t
ccs(uint8_t *b)
{
	return rec(b, 20, 1, 1);
}

/*
 * In st: a first hello for name1 (offering TLS 1.3), a ChangeCipherSpec
 * and a second hello for name2; *first: the first's length.  Returns the
 * length of the three.
 */
static size_t
two_hellos(uint8_t *st, const char *name1, const char *name2, size_t *first)
{
	size_t	n = hello13(st, name1, false, 0), m = n + ccs(st + n);

	*first = n;
	return m + hello13(st + m, name2, false, 0);
}

/*
 * accept, also for a packet that came with the pending bit (the verdict
 * then carries the mark without it, so the connection leaves the state).
 */
static const char *
what2(const struct nfqd_decision *d)
{
	if (d->verdict == NF_ACCEPT && (!d->has_mark || d->mark == 0))
		return "accept";
	return what(d);
}

static const char *
part2(struct run *r, uint16_t sport, uint32_t isn, const uint8_t *msg,
    size_t off, size_t n, uint32_t mark)
{
	struct seg		s = cli(sport, isn + 1 + (uint32_t)off, 0x18);
	struct nfqd_decision	d = decide(r, mk(&s, msg + off, n), mark, 0);

	return what2(&d);
}

/*
 * HTTP's later requests on a kept-alive connection (docs/l7.md, HTTP):
 * each read and decided as the first, bodies stepped over as their
 * framing says.  stream: the client's bytes, '|' where a segment ends;
 * order: the segments' indexes in the order sent (a letter for 10 on),
 * NULL for in order; want: each one's outcome (what2()).  The first
 * segment goes without the pending bit, the rest with it, as the
 * documented rules give them.
 */
#define GETOK	"GET / HTTP/1.1\r\nHost: ok.example\r\n\r\n"
#define GETBL	"GET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n"
#define GETBLC	"GET / HTTP/1.1\r\nHost: blocked.example\r\nConnection: " \
		"close\r\n\r\n"
#define GETOKC	"GET / HTTP/1.1\r\nHost: ok.example\r\nConnection: " \
		"keep-alive, Close\r\n\r\n"
#define POSTOK(n) "POST /up HTTP/1.1\r\nHost: ok.example\r\nContent-Length: " \
		n "\r\n\r\n"
#define CHUNKOK	"POST /up HTTP/1.1\r\nHost: ok.example\r\nTransfer-Encoding: " \
		"chunked\r\n\r\n"

static const struct hlater {
	const char	*name, *extra, *stream, *order, *want;
} hlater[] = {
	{ "allowed, then blocked", "", GETOK "|" GETBL "|" GETOK, NULL,
	  "pending blocked blocked" },
	{ "allowed twice, then blocked", "", GETOK "|" GETOK "|" GETBL, NULL,
	  "pending pending blocked" },
	{ "blocked first", "", GETBL "|" GETOK, NULL, "blocked blocked" },
	{ "pipelined in one segment", "", GETOK GETOK GETBL, NULL, "blocked" },
	{ "pipelined, the blocked one first", "", GETBL GETOK, NULL,
	  "blocked" },
	{ "pipelined, cut in the second", "", GETOK "GET / HTTP/1.1\r\n|"
	  "Host: blocked.example\r\n\r\n", NULL, "pending blocked" },
	{ "empty lines between requests", "", GETOK "\r\n\r\n|" GETBL, NULL,
	  "pending blocked" },
	{ "the second in reverse order", "", GETOK "|GET / HTT|P/1.1\r\nHo|"
	  "st: blocked.exa|mple\r\n\r\n", "04321", "pending pending pending "
	  "pending blocked" },
	{ "the first sent again after the second", "", GETOK "|" GETOK "|"
	  GETBL, "0102", "pending pending pending blocked" },
	{ "a Content-Length body that looks like a request", "",
	  POSTOK("41") "|" GETBL "|" GETOK "|" GETBL, NULL,
	  "pending pending pending blocked" },
	{ "a body in the head's segment", "", POSTOK("41") GETBL "|" GETBL,
	  NULL, "pending blocked" },
	{ "a body and the next request in one segment", "", POSTOK("41")
	  GETBL GETBL, NULL, "blocked" },
	{ "a body's segments out of order", "", POSTOK("41") "|GET / HTTP/1.1"
	  "\r\n|Host: blocked.example\r\n\r\n|" GETBL, "0213", "pending pending "
	  "pending blocked" },
	{ "the request after a body before the body", "", POSTOK("41") "|"
	  GETBL "|" GETBL, "021", "pending blocked blocked" },
	{ "Content-Length 0", "", POSTOK("0") "|" GETBL, NULL,
	  "pending blocked" },
	{ "a chunked body", "", CHUNKOK "|5\r\nhello\r\n|29\r\n" GETBL
	  "\r\n0\r\n\r\n|" GETBL, NULL, "pending pending pending blocked" },
	{ "a chunked body with an extension and a trailer", "", CHUNKOK
	  "3;x=\"y\"\r\nabc\r\n0\r\nX-T: 1\r\n\r\n" GETBL, NULL, "blocked" },
	{ "a chunked body cut in its size lines", "", CHUNKOK "|2|9\r\n"
	  "01234567|890123456789012345678901234567890\r\n|0|\r\n\r|\n"
	  "|" GETBL, NULL, "pending pending pending pending pending pending "
	  "pending blocked" },
	{ "a chunked body out of order", "", CHUNKOK "|5\r\nhel|lo\r\n0\r\n"
	  "\r\n|" GETBL, "0213", "pending pending pending blocked" },
	{ "a chunk size with a space", "", CHUNKOK "|5 \r\nhello\r\n0\r\n\r\n"
	  "|" GETBL, NULL, "pending l7_error l7_error" },
	{ "a chunk line ended by LF", "", CHUNKOK "|5\nhello\r\n0\r\n\r\n|"
	  GETBL, NULL, "pending l7_error l7_error" },
	{ "Transfer-Encoding and Content-Length", "",
	  "POST / HTTP/1.1\r\nHost: ok.example\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n|" GETBL, NULL,
	  "l7_error l7_error" },
	{ "two Content-Lengths", "", "POST / HTTP/1.1\r\nHost: ok.example\r\n"
	  "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello|" GETBL, NULL,
	  "l7_error l7_error" },
	{ "a later request malformed", "", GETOK "|GET / HTTP/1.1\r\nHost: "
	  "ok.example\r\nHost: blocked.example\r\n\r\n|" GETOK, NULL,
	  "pending l7_error l7_error" },
	{ "Connection: close ends reading", "", GETOKC "|" GETBL, NULL,
	  "accept accept" },
	{ "a later request with Connection: close", "", GETOK "|" GETOKC "|"
	  GETBL, NULL, "pending accept accept" },
	{ "a blocked one with Connection: close", "", GETOK "|" GETBLC, NULL,
	  "pending blocked" },
	{ "no HTTP after a request (a WebSocket frame)", "", "GET /ws "
	  "HTTP/1.1\r\nHost: ok.example\r\nUpgrade: websocket\r\nConnection: "
	  "Upgrade\r\n\r\n|\x81\x85\x01\x02\x03\x04hello|" GETBL, NULL,
	  "pending accept accept" },
	{ "an HTTP/1.0 request", "", "GET / HTTP/1.0\r\nHost: ok.example\r\n"
	  "\r\n|" GETBL, NULL, "pending blocked" },
	{ "flows.http_requests = \"first\"", "flows = { http_requests = "
	  "\"first\"; };", GETOK "|" GETBL, NULL, "accept accept" },
};

/* The stream of c without its '|', and where each segment starts. */
static size_t
hsplit(const char *s, uint8_t *out, size_t *start, size_t *nseg)
{
	size_t	n = 0;

	*nseg = 0;
	start[(*nseg)++] = 0;
	for (; *s != '\0'; s++) {
		if (*s == '|')
			start[(*nseg)++] = n;
		else
			out[n++] = (uint8_t)*s;
	}
	start[*nseg] = n;
	return n;
}

/* Bodies past HSTEP, the window, pipelining's bound, a conflict. */
static void
test_http_later_edges(void)
{
	static uint8_t	 st[40 * 32];
	static const char post[] = "POST / HTTP/1.1\r\nHost: ok.example\r\n"
			    "Content-Length: 3221225472\r\n\r\n";
	const uint8_t	*ok = (const uint8_t *)GETOK, *bl = (const uint8_t *)GETBL;
	size_t		 nok = sizeof(GETOK) - 1, nbl = sizeof(GETBL) - 1, i, n;
	uint32_t	 isn = 0xfffff000u, base;
	unsigned	 pend = 0;
	struct run	 r;

	if (!setup(&r, ""))
		return;
	/* 3 GiB of body, sent as a client does, in order (a segment every
	   256 MiB here: nfqd steps over 512 MiB at a time as they come). */
	syn(&r, 4200, isn);
	CHECK_STR_EQ(part2(&r, 4200, isn, (const uint8_t *)post, 0,
	    sizeof(post) - 1, 0), "pending", "a 3 GiB body: the head pending");
	base = isn + 1 + (uint32_t)(sizeof(post) - 1);
	for (i = 1; i < 12; i++)
		pend += strcmp(seg_at(&r, 4200, base + (uint32_t)(i << 28), 0x18,
		    ok, nok, P), "pending") == 0;
	CHECK_INT_EQ(pend, 11, "... its segments (a request's bytes in them "
	    "are body): pending");
	CHECK_STR_EQ(seg_at(&r, 4200, base + 3u * (1u << 30), 0x18, bl, nbl,
	    P), "blocked", "... the request after it: read, blocked");

	/* Past the window: refused, and the flow goes on. */
	syn(&r, 4201, 50);
	CHECK_STR_EQ(part2(&r, 4201, 50, ok, 0, nok, 0), "pending",
	    "window: the first request pending");
	CHECK_STR_EQ(seg_at(&r, 4201, 51 + (uint32_t)nok + 20000, 0x18, bl, nbl,
	    P), "l7_error", "... a segment 20,000 bytes ahead: refused");
	CHECK_STR_EQ(seg_at(&r, 4201, 51 + (uint32_t)nok + 16384 - (uint32_t)nbl,
	    0x18, ok, nok, P), "pending", "... one within it: kept");
	CHECK_STR_EQ(seg_at(&r, 4201, 51 + (uint32_t)nok, 0x18, bl, nbl, P),
	    "blocked", "... the next in order: blocked");

	/* Pipelining: 32 heads in a segment are read, 33 refused. */
	for (n = 32; n <= 33; n++) {
		for (i = 0; i < n; i++)
			memcpy(st + i * nok, ok, nok);
		syn(&r, (uint16_t)(4202 + n), 70);
		CHECK_STR_EQ(part2(&r, (uint16_t)(4202 + n), 70, st, 0, n * nok,
		    0), n == 32 ? "pending" : "l7_error", unit_fmt("%zu "
		    "pipelined requests in one segment", n));
	}

	/* A conflict in what waits in the buffer. */
	syn(&r, 4240, 90);
	part2(&r, 4240, 90, ok, 0, nok, 0);
	memcpy(st, ok, nok);
	memcpy(st + nok, bl, nbl);
	CHECK_STR_EQ(part2(&r, 4240, 90, st, nok + 10, nbl - 10, P), "pending",
	    "conflict: the second request's end, out of order: pending");
	st[nok + 20] ^= 0x20;
	CHECK_STR_EQ(part2(&r, 4240, 90, st, nok + 5, 20, P), "l7_error",
	    "... bytes over it that differ: refused");
	CHECK_STR_EQ(part2(&r, 4240, 90, st, nok + 5, 5, P), "l7_error",
	    "... and the flow from then on");
	teardown(&r);
}

static void
test_http_later(void)
{
	static uint8_t	 st[4096];
	struct run	 r;
	size_t		 start[32], nseg, i, k, n;
	char		 got[256], w[64];
	const char	*o;
	int		 seg;

	for (i = 0; i < sizeof(hlater) / sizeof(hlater[0]); i++) {
		const struct hlater	*c = &hlater[i];

		if (!setup(&r, c->extra))
			return;
		n = hsplit(c->stream, st, start, &nseg);
		(void) n;
		syn(&r, 4100, 1000);
		got[0] = '\0';
		o = c->order != NULL ? c->order : "0123456789";
		for (k = 0; o[k] != '\0'; k++) {
			seg = isdigit((unsigned char)o[k]) ? o[k] - '0' :
			    o[k] - 'a' + 10;
			if ((size_t)seg >= nseg)
				break;
			snprintf(w, sizeof(w), "%s%s", k > 0 ? " " : "",
			    part2(&r, 4100, 1000, st, start[seg],
			    start[seg + 1] - start[seg], k > 0 ? P : 0));
			strncat(got, w, sizeof(got) - strlen(got) - 1);
		}
		CHECK_STR_EQ(got, c->want, unit_fmt("HTTP later requests: %s",
		    c->name));
		teardown(&r);
	}
}


/*
 * HTTP/2 without TLS: the later requests of a connection (docs/l7.md,
 * HTTP/2 without TLS), read with the connection's header table.  A
 * stream is built here frame by frame, its fields encoded by hand (RFC
 * 7541: 0x82 GET, 0x86 http, 0x84 "/", 0x41 a literal :authority added
 * to the table, 0xbe and 0xbf the table's newest and next entries), with
 * the segment ends marked; then sent as hlater's rows are.
 */
struct h2s {
	uint8_t		b[12288];
	size_t		n;
	size_t		start[32];
	size_t		nseg;
};

static void
h2s_put(struct h2s *w, const void *p, size_t n)
{
	if (w->n + n > sizeof(w->b))
		abort();
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* A segment ends here. */
static void
h2s_cut(struct h2s *w)
{
	w->start[++w->nseg] = w->n;
}

static void
h2s_frame(struct h2s *w, unsigned type, unsigned flags, uint32_t sid,
    const void *pay, size_t n)
{
	uint8_t	h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n,
		    (uint8_t)type, (uint8_t)flags, (uint8_t)(sid >> 24),
		    (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid };

	h2s_put(w, h, 9);
	h2s_put(w, pay, n);
}

/* A request's block: GET http "/" and :authority, added to the table
 * (auth) or the table's entry 61 + idx (auth NULL). */
static size_t
h2s_req(uint8_t *b, const char *auth, unsigned idx)
{
	size_t	n = 0, k;

	b[n++] = 0x82;
	b[n++] = 0x86;
	b[n++] = 0x84;
	if (auth != NULL) {
		k = strlen(auth);
		b[n++] = 0x41;
		b[n++] = (uint8_t)k;
		memcpy(b + n, auth, k);
		n += k;
	} else {
		b[n++] = (uint8_t)(0x80 | (61 + idx));
	}
	return n;
}

/* A HEADERS frame (END_HEADERS, END_STREAM) of such a request. */
static void
h2s_get(struct h2s *w, uint32_t sid, const char *auth, unsigned idx)
{
	uint8_t	b[300];

	h2s_frame(w, 1, 0x05, sid, b, h2s_req(b, auth, idx));
}

/* Empty, no segment ended. */
static void
h2s_reset(struct h2s *w)
{
	w->n = 0;
	w->nseg = 0;
	w->start[0] = 0;
}

/* The preface, an empty SETTINGS and the first request (host, added to
 * the table: entry 62). */
static void
h2s_first(struct h2s *w, const char *host)
{
	h2s_reset(w);
	h2s_put(w, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	h2s_frame(w, 4, 0, 0, "", 0);
	h2s_get(w, 1, host, 0);
}

/* The same for ok.example, then a segment's end. */
static void
h2s_start(struct h2s *w)
{
	h2s_first(w, "ok.example");
	h2s_cut(w);
}

/*
 * Sends w's segments (of any stream, not only HTTP/2's) on s's
 * connection, s.seq the sequence number of w's first byte: in order (o
 * NULL) or o's, the first sent without a mark and the rest with later.
 * Their outcomes, as name() gives them, spaced in got.
 */
static void
h2s_sendon(struct run *r, struct seg s, struct h2s *w, const char *o,
    uint32_t later, const char *(*name)(const struct nfqd_decision *),
    char *got, size_t size)
{
	struct nfqd_decision	d;
	uint32_t		isn = s.seq;
	char			x[64];
	size_t			k;
	int			seg;

	if (w->start[w->nseg] != w->n)
		h2s_cut(w);
	got[0] = '\0';
	if (o == NULL)
		o = "0123456789abcdef";
	for (k = 0; o[k] != '\0'; k++) {
		seg = isdigit((unsigned char)o[k]) ? o[k] - '0' :
		    o[k] - 'a' + 10;
		if ((size_t)seg >= w->nseg)
			break;
		s.seq = isn + (uint32_t)w->start[seg];
		d = decide(r, mk(&s, w->b + w->start[seg],
		    w->start[seg + 1] - w->start[seg]), k > 0 ? later : 0, 0);
		snprintf(x, sizeof(x), "%s%s", k > 0 ? " " : "", name(&d));
		strncat(got, x, size - strlen(got) - 1);
	}
}

/*
 * The same on a client's connection from sport, after its SYN (ISN
 * 1000), the later segments with the pending bit, as part2() sends.
 */
static void
h2s_send(struct run *r, uint16_t sport, struct h2s *w, const char *o,
    const char *(*name)(const struct nfqd_decision *), char *got,
    size_t size)
{
	syn(r, sport, 1000);
	h2s_sendon(r, cli(sport, 1001, 0x18), w, o, P, name, got, size);
}

/*
 * A row of the HTTP/2 tables: w's segments sent from sport as h2s_send()
 * sends them, on an engine set up with extra, their outcomes (what2())
 * checked against want; the check named "prefix: name".  False when
 * the set-up fails.
 */
static bool
h2row(struct run *r, struct h2s *w, uint16_t sport, const char *extra,
    const char *order, const char *want, const char *prefix,
    const char *name)
{
	char	got[256];

	if (!setup(r, extra))
		return false;
	h2s_send(r, sport, w, order, what2, got, sizeof(got));
	CHECK_STR_EQ(got, want, unit_fmt("%s: %s", prefix, name));
	teardown(r);
	return true;
}

static void
test_h2_later(void)
{
	static const char	 pre[] = "HTTP/2 later requests";
	static struct h2s	 w;
	uint8_t			 b[4096], fake[300];
	size_t			 n, k;
	char			 got[256];
	struct run		 r;
	uint64_t		 later;

	/* A request naming the table's entry: ok.example, read so. */
	h2s_start(&w);
	h2s_get(&w, 3, NULL, 1);
	h2s_cut(&w);
	h2s_get(&w, 5, "blocked.example", 0);
	h2s_cut(&w);
	h2s_get(&w, 7, NULL, 2);	/* ok.example, now entry 63 */
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending blocked blocked",
	    pre, "allowed from the table, then blocked"))
		return;

	/* An entry a trailer block added, named by a request: the bytes
	   0x82 0x86 0x84 0xbe read alone say nothing; with the table they
	   say "host: blocked.example". */
	h2s_start(&w);
	n = 0;
	b[n++] = 0x40;
	b[n++] = 4;
	memcpy(b + n, "host", 4);
	n += 4;
	b[n++] = 15;
	memcpy(b + n, "blocked.example", 15);
	n += 15;
	h2s_frame(&w, 1, 0x05, 1, b, n);	/* trailers of stream 1 */
	h2s_cut(&w);
	b[0] = 0x82;
	b[1] = 0x86;
	b[2] = 0x84;
	b[3] = 0xbe;
	h2s_frame(&w, 1, 0x05, 3, b, 4);
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending blocked", pre,
	    "a host field from the table, added by trailers"))
		return;
	/* The same without the first request's table: the first request
	   itself names entry 62, which nothing added. */
	h2s_start(&w);
	w.n = 24 + 9;
	w.nseg = 0;
	h2s_frame(&w, 1, 0x05, 1, b, 4);
	if (!h2row(&r, &w, 4300, "", NULL, "l7_error", pre,
	    "a first request naming an entry nothing added"))
		return;

	/* A DATA frame whose payload is a blocked request: stepped over. */
	h2s_start(&w);
	n = 0;
	h2s_frame(&w, 0, 0, 1, fake, 0);
	k = h2s_req(b, "blocked.example", 0);
	fake[0] = 0;
	fake[1] = 0;
	fake[2] = (uint8_t)k;
	fake[3] = 1;
	fake[4] = 5;
	fake[5] = fake[6] = fake[7] = 0;
	fake[8] = 3;
	memcpy(fake + 9, b, k);
	w.n -= 9;
	h2s_frame(&w, 0, 1, 1, fake, 9 + k);
	h2s_cut(&w);
	h2s_get(&w, 3, NULL, 1);
	h2s_cut(&w);
	h2s_get(&w, 5, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending pending blocked",
	    pre, "a DATA payload that looks like a blocked request"))
		return;

	/* A DATA frame over three segments, out of order, then blocked. */
	h2s_start(&w);
	memset(b, 'x', 3000);
	h2s_frame(&w, 0, 1, 1, b, 3000);
	w.start[++w.nseg] = w.n - 2000;
	w.start[++w.nseg] = w.n - 1000;
	h2s_cut(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "", "02134",
	    "pending pending pending pending blocked", pre,
	    "a DATA frame's segments out of order"))
		return;

	/* A request cut over segments, out of order; and over a
	   CONTINUATION. */
	h2s_start(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	w.start[++w.nseg] = w.n - 20;
	w.start[++w.nseg] = w.n - 7;
	if (!h2row(&r, &w, 4300, "", "0321",
	    "pending pending pending blocked", pre,
	    "a request's segments in reverse order"))
		return;
	h2s_start(&w);
	k = h2s_req(b, "blocked.example", 0);
	h2s_frame(&w, 1, 0x01, 3, b, 5);
	h2s_cut(&w);
	h2s_frame(&w, 9, 0x04, 3, b + 5, k - 5);
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending blocked", pre,
	    "a request over HEADERS and CONTINUATION"))
		return;

	/* Frames that carry no request, between. */
	h2s_start(&w);
	h2s_frame(&w, 8, 0, 0, "\0\0\x10\0", 4);
	h2s_frame(&w, 6, 0, 0, "12345678", 8);
	h2s_frame(&w, 4, 0, 0, "\0\x04\0\x01\0\0", 6);
	h2s_frame(&w, 3, 0, 1, "\0\0\0\x08", 4);
	h2s_frame(&w, 0xfa, 0, 9, "anything", 8);
	h2s_cut(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending blocked", pre,
	    "WINDOW_UPDATE, PING, SETTINGS, RST_STREAM, an unknown type"))
		return;

	/* What servers refuse. */
	h2s_start(&w);
	h2s_get(&w, 4, "ok.example", 0);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "HEADERS on an even stream"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 5, 0x04, 1, "\0\0\0\x02\x82", 5);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "PUSH_PROMISE from a client"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 9, 0x04, 1, "\x82", 1);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "CONTINUATION alone"))
		return;
	h2s_start(&w);
	h2s_get(&w, 1, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "a pseudo-header in a lower stream's block"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 1, 0x05, 3, "\x82\x86\x84\xc0", 4);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "an index past the table"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 1, 0x05, 3, "\x3f\xe2\x1f\x82\x86\x84\xbe", 7);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "a table size update to 4098"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 1, 0x01, 3, "\x82\x86\x84\xbe", 4);
	h2s_frame(&w, 6, 0, 0, "12345678", 8);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "a PING inside a block"))
		return;

	/* 32 requests completed by one packet are read, 33 refused (as
	   HTTP/1.x's pipelining). */
	for (n = 32; n <= 33; n++) {
		h2s_start(&w);
		for (k = 0; k < n; k++)
			h2s_get(&w, 3 + 2 * (uint32_t)k, NULL, 1);
		if (!h2row(&r, &w, 4300, "", NULL, n == 32 ? "pending pending" :
		    "pending l7_error", pre, unit_fmt("%zu requests in one "
		    "segment after the first", n)))
			return;
	}

	/* Reading only the first request. */
	h2s_start(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "flows = { http_requests = \"first\"; };",
	    NULL, "accept accept", pre, "flows.http_requests = \"first\""))
		return;

	/* No table free: the later bytes get flows.full_verdict; the
	   table goes back when its flow ends. */
	if (!setup(&r, "flows = { reasm_buffers = 1; tcp_timeout = 60; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4301, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending pending", "one table: the first flow's");
	h2s_send(&r, 4302, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending untracked", "... a second flow's later "
	    "bytes: flows.full_verdict");
	later = r.e.l7.h2_later;
	CHECK_UINT_EQ(later, 1, "... HTTP/2 later requests read: 1");
	teardown(&r);

	/* A flow refused after a later request in the same packet gives
	   its table back (the next flow's later requests are read). */
	if (!setup(&r, "flows = { reasm_buffers = 1; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_frame(&w, 5, 0x04, 1, "\0\0\0\x02\x82", 5);
	h2s_send(&r, 4304, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending l7_error", "a request, then PUSH_PROMISE "
	    "in one segment: refused");
	h2s_start(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	h2s_send(&r, 4305, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending blocked", "... the table back: the next "
	    "flow's later request read");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, "... both flows "
	    "decided: no table held");
	teardown(&r);
	if (!setup(&r, "flows = { reasm_buffers = 1; tcp_timeout = 60; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4301, &w, NULL, what2, got, sizeof(got));
	h2s_send(&r, 4302, &w, NULL, what2, got, sizeof(got));
	now += 61000000000ull;
	nfqd_l7_expire(&r.e.l7, now);
	h2s_send(&r, 4303, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending pending", "... the first flows past "
	    "tcp_timeout: their table read a third flow's");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 1, "... which holds it");
	teardown(&r);
}


static void
test_retry(void)
{
	static const struct {
		uint8_t		 ct, fill, major;
		size_t		 len;
		const char	*want, *what;
	} one[] = {
		{ 22, 16, 3, 70, "accept", "a ClientKeyExchange (TLS 1.2, "
		    "the server chose it): accepted" },
		{ 23, 0x42, 3, 100, "accept", "application data without early "
		    "data offered (TLS 1.3's encrypted Finished): accepted" },
		{ 21, 1, 3, 2, "pending", "an alert: stepped over, pending" },
		{ 20, 1, 3, 1, "pending", "a ChangeCipherSpec: stepped over, "
		    "pending" },
		{ 24, 1, 3, 3, "l7_error", "a record of type 24: refused" },
		{ 20, 1, 2, 1, "l7_error", "a record of version 2.3: refused" },
		{ 22, 1, 3, 0, "l7_error", "a record of length 0: refused" },
	};
	struct run	 r;
	uint8_t		 st[40000];
	size_t		 n, m, k, i;
	uint64_t	 err, sec;
	bool		 ok;

	if (!setup(&r, ""))
		return;

	/* The first hello alone: the flow waits for the client's next. */
	n = hello13(st, "www.ok.example", false, 0);
	syn(&r, 3700, 100);
	CHECK_STR_EQ(part2(&r, 3700, 100, st, 0, n, 0), "pending",
	    "retry: an allowed hello offering TLS 1.3: passes pending");
	CHECK(has_flow(&r, 3700) && !flow_of(&r, 3700)->decided,
	    "retry: ... the flow undecided");
	CHECK_STR_EQ(seg_at(&r, 3700, 101 + (uint32_t)n, 0x10, NULL, 0, P),
	    "pending", "retry: a pure ACK (of the server's answer): pending");
	CHECK_STR_EQ(part2(&r, 3700, 100, st, 0, n, P), "pending",
	    "retry: the hello again: pending (its own fields)");
	m = n + ccs(st + n);
	m += rec(st + m, 23, 53, 0x5a);
	CHECK_STR_EQ(part2(&r, 3700, 100, st, n, m - n, P), "accept",
	    "retry: ChangeCipherSpec and application data (the encrypted "
	    "Finished): accepted, no second hello");
	CHECK_STR_EQ(part2(&r, 3700, 100, st, m, 0, P), "accept",
	    "retry: ... and the flow's later packets");
	CHECK_INT_EQ(r.e.l7.second_hellos, 0, "retry: no second hello read");

	/* A blocked first hello: dropped at once, as before. */
	n = hello13(st, "blocked.example", false, 0);
	syn(&r, 3701, 100);
	CHECK_STR_EQ(part2(&r, 3701, 100, st, 0, n, 0), "blocked",
	    "retry: a blocked hello offering TLS 1.3: blocked at once");

	/* The same name twice: the second hello decides. */
	m = two_hellos(st, "www.ok.example", "WWW.OK.example.", &n);
	syn(&r, 3702, 100);
	CHECK_STR_EQ(part2(&r, 3702, 100, st, 0, n, 0), "pending",
	    "retry: first hello: pending");
	CHECK_STR_EQ(part2(&r, 3702, 100, st, n, m - n, P), "accept",
	    "retry: ChangeCipherSpec and a second hello for the same name: "
	    "accepted");
	CHECK_INT_EQ(r.e.l7.second_hellos, 1, "retry: ... read");

	/* Another name in the second: neither passes. */
	err = r.e.l7.l7_errors;
	m = two_hellos(st, "www.ok.example", "blocked.example", &n);
	syn(&r, 3703, 100);
	CHECK_STR_EQ(part2(&r, 3703, 100, st, 0, n, 0), "pending",
	    "retry: first hello, allowed: pending");
	CHECK_STR_EQ(part2(&r, 3703, 100, st, n, m - n, P), "l7_error",
	    "retry: a second hello for a blocked name: refused (l7_error)");
	CHECK_INT_EQ(r.e.l7.l7_errors - err, 1, "retry: ... counted");
	CHECK_STR_EQ(part2(&r, 3703, 100, st, n, m - n, P), "l7_error",
	    "retry: ... and again when sent again");
	/* Another allowed name: refused too (which one would the server
	   use?). */
	m = two_hellos(st, "www.ok.example", "other.ok.example", &n);
	syn(&r, 3704, 100);
	part2(&r, 3704, 100, st, 0, n, 0);
	CHECK_STR_EQ(part2(&r, 3704, 100, st, n, m - n, P), "l7_error",
	    "retry: a second hello for another allowed name: refused");
	/* A first hello without a name, a second with one. */
	m = two_hellos(st, "", "www.ok.example", &n);
	syn(&r, 3705, 100);
	CHECK_STR_EQ(part2(&r, 3705, 100, st, 0, n, 0), "pending",
	    "retry: first hello without a server name: pending");
	CHECK_STR_EQ(part2(&r, 3705, 100, st, n, m - n, P), "l7_error",
	    "retry: a second hello with one: refused");

	/* The second hello in 1-byte segments, in reverse order. */
	m = two_hellos(st, "www.ok.example", "blocked.example", &n);
	syn(&r, 3706, 100);
	part2(&r, 3706, 100, st, 0, n, 0);
	for (i = m - 1, ok = true; i > n; i--)
		ok &= strcmp(part2(&r, 3706, 100, st, i, 1, P), "pending") == 0;
	CHECK(ok, "retry: a blocked second hello in 1-byte segments, last "
	    "first: pending while the first byte is missing");
	CHECK_STR_EQ(part2(&r, 3706, 100, st, n, 1, P), "l7_error",
	    "retry: ... the first byte completes it: refused");
	/* In order, 7 bytes at a time, allowed: accepted on the last. */
	m = two_hellos(st, "www.ok.example", "www.ok.example", &n);
	syn(&r, 3707, 100);
	part2(&r, 3707, 100, st, 0, n, 0);
	for (i = n, ok = true; i + 7 < m; i += 7)
		ok &= strcmp(part2(&r, 3707, 100, st, i, 7, P), "pending") == 0;
	CHECK(ok, "retry: a second hello in 7-byte segments: pending");
	CHECK_STR_EQ(part2(&r, 3707, 100, st, i, m - i, P), "accept",
	    "retry: ... its last segment: accepted");

	/* All in one segment: the first hello, CCS, a blocked second. */
	m = two_hellos(st, "www.ok.example", "blocked.example", &n);
	syn(&r, 3708, 100);
	CHECK_STR_EQ(part2(&r, 3708, 100, st, 0, m, 0), "l7_error",
	    "retry: both hellos in one segment: refused");
	/* The first hello cut in two, its second part with the CCS and an
	   application data record: accepted there. */
	n = hello13(st, "www.ok.example", false, 0);
	m = n + ccs(st + n);
	m += rec(st + m, 23, 40, 0x77);
	syn(&r, 3709, 100);
	CHECK_STR_EQ(part2(&r, 3709, 100, st, 0, 30, 0), "pending",
	    "retry: a first hello's first 30 bytes: pending");
	CHECK_STR_EQ(part2(&r, 3709, 100, st, 30, m - 30, P), "accept",
	    "retry: its rest, with what a TLS 1.3 client sends next: "
	    "accepted");
	/* Bytes after the hello in its record: refused. */
	n = hello13(st, "www.ok.example", false, 20);
	syn(&r, 3710, 100);
	CHECK_STR_EQ(part2(&r, 3710, 100, st, 0, n, 0), "l7_error",
	    "retry: 20 bytes after the hello in its record: refused");

	/* A resumed TLS 1.2 session: CCS, an encrypted Finished whose
	   first byte is GCM's explicit nonce. */
	n = hello13(st, "www.ok.example", false, 0);
	m = n + ccs(st + n);
	m += rec(st + m, 22, 40, 0x00);
	syn(&r, 3712, 100);
	part2(&r, 3712, 100, st, 0, n, 0);
	CHECK_STR_EQ(part2(&r, 3712, 100, st, n, m - n, P), "accept",
	    "retry: CCS and an encrypted Finished (TLS 1.2): accepted");
	/* An alert is stepped over; what follows still decides. */
	n = hello13(st, "www.ok.example", false, 0);
	m = n + rec(st + n, 21, 2, 0x01);
	k = m;
	m += hello13(st + m, "blocked.example", false, 0);
	syn(&r, 3713, 100);
	part2(&r, 3713, 100, st, 0, n, 0);
	CHECK_STR_EQ(part2(&r, 3713, 100, st, n, k - n, P), "pending",
	    "retry: an alert: stepped over, pending");
	CHECK_STR_EQ(part2(&r, 3713, 100, st, k, m - k, P), "l7_error",
	    "retry: ... a blocked second hello after it: refused");

	/* One record after the first hello, alone in its segment. */
	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		n = hello13(st, "www.ok.example", false, 0);
		m = n + rec(st + n, one[i].ct, one[i].len, one[i].fill);
		st[n + 1] = one[i].major;
		syn(&r, (uint16_t)(3750 + i), 100);
		part2(&r, (uint16_t)(3750 + i), 100, st, 0, n, 0);
		CHECK_STR_EQ(part2(&r, (uint16_t)(3750 + i), 100, st, n, m - n,
		    P), one[i].want, unit_fmt("retry: %s", one[i].what));
	}
	/* Other bytes where bytes were stored: a conflict. */
	m = two_hellos(st, "www.ok.example", "www.ok.example", &n);
	syn(&r, 3716, 100);
	part2(&r, 3716, 100, st, 0, n, 0);
	CHECK_STR_EQ(part2(&r, 3716, 100, st, n + 10, 20, P), "pending",
	    "retry: second hello, bytes 10-30 first: pending");
	memcpy(st + 20000, st + n + 10, 20);
	st[20005] ^= 0xff;
	{
		struct seg		s = cli(3716, 101 + (uint32_t)n + 10,
					    0x18);
		struct nfqd_decision	d = decide(&r, mk(&s, st + 20000, 20),
					    P, 0);

		CHECK_STR_EQ(what2(&d), "l7_error",
		    "retry: ... the same bytes otherwise: a conflict, refused");
	}
	/* Past the window from the reading point: refused. */
	n = hello13(st, "www.ok.example", false, 0);
	syn(&r, 3717, 100);
	part2(&r, 3717, 100, st, 0, n, 0);
	memset(st + 30000, 0x33, 10);
	{
		struct seg		s = cli(3717, 101 + (uint32_t)n + 16384,
					    0x18);
		struct nfqd_decision	d = decide(&r, mk(&s, st + 30000, 10),
					    P, 0);

		CHECK_STR_EQ(what2(&d), "l7_error",
		    "retry: a segment 16 KiB past the reading point: refused");
		s.seq = 101 + (uint32_t)n + 16383;
		d = decide(&r, mk(&s, st + 30000, 10), P, 0);
		CHECK_STR_EQ(what2(&d), "pending",
		    "retry: ... one starting inside the window: kept, pending");
	}

	/* Early data: application data stepped over, then a hello. */
	n = hello13(st, "www.ok.example", true, 0);
	m = n + ccs(st + n);
	for (i = 0; i < 8; i++)
		m += rec(st + m, 23, 1000, (uint8_t)i);
	k = m;
	m += hello13(st + m, "blocked.example", false, 0);
	syn(&r, 3718, 100);
	CHECK_STR_EQ(part2(&r, 3718, 100, st, 0, n, 0), "pending",
	    "retry, early data: first hello: pending");
	for (i = n, ok = true; i + 1400 < k; i += 1400)
		ok &= strcmp(part2(&r, 3718, 100, st, i, 1400, P),
		    "pending") == 0;
	CHECK(ok, "retry, early data: 8,000 bytes of it: pending");
	CHECK_STR_EQ(part2(&r, 3718, 100, st, i, m - i, P), "l7_error",
	    "retry, early data: then a blocked second hello: refused");
	/* Up to EARLY_MAX stepped over; past it the first hello stands. */
	n = hello13(st, "www.ok.example", true, 0);
	m = n + ccs(st + n);
	for (i = 0; i < 18; i++)
		m += rec(st + m, 23, 1024, (uint8_t)i);	/* 18,432 */
	k = m;
	m += rec(st + m, 23, 1, 0x55);
	syn(&r, 3719, 100);
	part2(&r, 3719, 100, st, 0, n, 0);
	for (i = n, ok = true; i + 1000 < k; i += 1000)
		ok &= strcmp(part2(&r, 3719, 100, st, i, 1000, P),
		    "pending") == 0;
	CHECK(ok && strcmp(part2(&r, 3719, 100, st, i, k - i, P), "pending")
	    == 0, "retry, early data: 18,432 bytes of it: pending");
	CHECK_STR_EQ(part2(&r, 3719, 100, st, k, m - k, P), "accept",
	    "retry, early data: one byte more: the first hello stands");
	/* Tiny records until SECOND_END: refused. */
	n = hello13(st, "www.ok.example", true, 0);
	syn(&r, 3721, 100);
	part2(&r, 3721, 100, st, 0, n, 0);
	for (m = n; m + 6 <= n + 1200; )
		m += rec(st + m, 23, 1, 0x01);
	sec = 0;
	for (i = n, ok = true; i < 61000 && !sec; i += m - n) {
		const char *w = part2(&r, 3721, 100 + (uint32_t)(i - n), st, n,
		    m - n, P);

		if (strcmp(w, "l7_error") == 0)
			sec = i;
		else
			ok &= strcmp(w, "pending") == 0;
	}
	CHECK(ok && sec > 58800 && sec <= 60000, "retry: 1-byte early data "
	    "records: pending up to 60,000 stream bytes, then refused");

	/*
	 * A new connection on the ports of one waiting for a second hello
	 * (a SYN with another ISN, no pending mark: a new conntrack entry)
	 * is read afresh; one conntrack gives the old connection (the
	 * pending mark) changes nothing.
	 */
	n = hello13(st, "www.ok.example", false, 0);
	syn(&r, 3722, 100);
	part2(&r, 3722, 100, st, 0, n, 0);
	CHECK_STR_EQ(syn(&r, 3722, 900000), "pending",
	    "retry: a SYN with another ISN, no pending mark: pending");
	m = hello13(st + 1000, "blocked.example", false, 0);
	CHECK_STR_EQ(part2(&r, 3722, 900000, st + 1000, 0, m, 0), "blocked",
	    "retry: ... a new connection: its hello read, blocked");
	syn(&r, 3723, 100);
	part2(&r, 3723, 100, st, 0, n, 0);
	CHECK_STR_EQ(seg_at(&r, 3723, 900000, 0x02, NULL, 0, P), "pending",
	    "retry: a SYN with another ISN and the pending mark: pending");
	CHECK_STR_EQ(part2(&r, 3723, 900000, st + 1000, 0, m, P), "l7_error",
	    "retry: ... the old connection's: a hello there is outside its "
	    "window, refused");
	teardown(&r);

	/* flows.hello_retry = false: decided on the first, as before. */
	if (!setup(&r, "flows = { hello_retry = false; };"))
		return;
	n = hello13(st, "www.ok.example", false, 0);
	syn(&r, 3730, 100);
	CHECK_STR_EQ(part2(&r, 3730, 100, st, 0, n, 0), "accept",
	    "retry off: an allowed TLS 1.3 hello: accepted at once");
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
 * HTTP/2 after an HTTP/1.1 request that asks to switch (Upgrade: h2c,
 * RFC 7540 3.2): the preface where the next request would start, then
 * frames read as a connection's that started with the preface, the
 * request before them being stream 1.
 */
#define UPG(host, conn)	"GET / HTTP/1.1\r\nHost: " host "\r\nConnection: " \
		conn "\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA" \
		"\r\n\r\n"
#define PREFACE	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

static void
upg_start(struct h2s *w, const char *req)
{
	h2s_reset(w);
	h2s_put(w, req, strlen(req));
	h2s_cut(w);
}

static void
test_h2_upgrade(void)
{
	static const char	 pre[] = "HTTP/2 after Upgrade";
	static struct h2s	 w;
	char			 got[256];
	struct run		 r;
	uint64_t		 ups;

	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_frame(&w, 4, 0, 0, "", 0);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending blocked", pre,
	    "a blocked host on stream 3"))
		return;

	/* Entries the upgraded connection's own blocks added. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_cut(&w);
	h2s_frame(&w, 4, 0, 0, "", 0);
	h2s_cut(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_cut(&w);
	h2s_get(&w, 5, NULL, 1);	/* entry 62: ok.example */
	h2s_cut(&w);
	h2s_get(&w, 7, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL,
	    "pending pending pending pending pending blocked", pre,
	    "requests on streams 3, 5 (from its table), 7 blocked"))
		return;
	if (!setup(&r, ""))
		return;
	ups = r.e.l7.h2_upgrades;
	h2s_send(&r, 4401, &w, NULL, what2, got, sizeof(got));
	CHECK_UINT_EQ(r.e.l7.h2_upgrades - ups, 1, "... counted: 1 switch");
	CHECK_UINT_EQ(r.e.l7.h2_later, 3, "... 3 HTTP/2 requests read");
	teardown(&r);

	/* A table of its own, empty: an entry a request names that its
	   blocks did not add is refused. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, NULL, 1);
	if (!h2row(&r, &w, 4400, "", NULL, "pending l7_error", pre,
	    "an entry its table lacks"))
		return;

	/* It asks to switch and to close: what follows is read. */
	upg_start(&w, UPG("ok.example", "Upgrade, close"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending blocked", pre,
	    "Connection: close too"))
		return;

	/* The server did not switch: HTTP/1.1 goes on, read as it was. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, GETBL, strlen(GETBL));
	if (!h2row(&r, &w, 4400, "", NULL, "pending blocked", pre,
	    "no switch, a blocked HTTP/1.1 request after"))
		return;

	/* The preface cut, and out of order. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 7);
	h2s_cut(&w);
	h2s_put(&w, PREFACE + 7, 17);
	h2s_frame(&w, 4, 0, 0, "", 0);
	h2s_cut(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending pending pending blocked",
	    pre, "the preface cut in two segments"))
		return;
	if (!h2row(&r, &w, 4400, "", "0321",
	    "pending pending pending blocked", pre, "... sent out of order"))
		return;
	if (!h2row(&r, &w, 4400, "", "0132",
	    "pending pending pending blocked", pre,
	    "... the request before the SETTINGS"))
		return;

	/* A request on stream 1, the upgrade's own: trailers at most. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 1, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending l7_error", pre,
	    "a request on stream 1"))
		return;

	/* After a later HTTP/1.1 request that asks to switch. */
	upg_start(&w, GETOK);
	h2s_put(&w, UPG("ok.example", "Upgrade"), strlen(UPG("ok.example",
	    "Upgrade")));
	h2s_cut(&w);
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending pending blocked", pre,
	    "a second HTTP/1.1 request asks to switch"))
		return;

	/* Reading only the first request. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "flows = { http_requests = \"first\"; };",
	    NULL, "accept accept", pre, "flows.http_requests = \"first\""))
		return;

	/* No table free (another flow's): the bytes from the preface on
	   get flows.full_verdict; a blocked request before the preface in
	   its segment is refused whatever that says. */
	if (!setup(&r, "flows = { reasm_buffers = 1; tcp_timeout = 60; "
	    "full_verdict = \"accept\"; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4410, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending pending", "HTTP/2 after Upgrade: the one "
	    "table another flow's");
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	h2s_send(&r, 4411, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending accept", "... no table: the frames get "
	    "flows.full_verdict (accept)");
	h2s_reset(&w);
	h2s_put(&w, GETOK, strlen(GETOK));
	h2s_put(&w, UPG("blocked.example", "Upgrade"),
	    strlen(UPG("blocked.example", "Upgrade")));
	h2s_put(&w, PREFACE, 24);
	h2s_send(&r, 4412, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "blocked", "... a blocked request and the "
	    "preface in one segment: refused");
	teardown(&r);
	if (!setup(&r, "flows = { reasm_buffers = 1; tcp_timeout = 60; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4410, &w, NULL, what2, got, sizeof(got));
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_cut(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4411, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending untracked untracked", "... with "
	    "full_verdict drop: the preface and what follows dropped");
	teardown(&r);

	/* Refused in the segment that took the table: the table goes
	   back (the next flow's switch finds it). */
	if (!setup(&r, "flows = { reasm_buffers = 1; };"))
		return;
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_frame(&w, 5, 0x04, 3, "\0\0\0\x02\x82", 5);
	h2s_send(&r, 4415, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending l7_error", "HTTP/2 after Upgrade: "
	    "PUSH_PROMISE after the preface: refused");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, "... its table back");
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	h2s_send(&r, 4416, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending blocked", "... the next flow's requests "
	    "read with it");
	teardown(&r);

	/* Every table back once the flows end. */
	if (!setup(&r, "flows = { tcp_timeout = 1; };"))
		return;
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4420, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending pending", "HTTP/2 after Upgrade: allowed");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 1, "... a table held");
	now += 5000000000ull;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, "... none once its "
	    "flow timed out");
	teardown(&r);
}

/*
 * A packet that completes a first request and holds bytes past it that
 * find no buffer (or no HTTP/2 table) to be read with: the rules decide
 * on the request, and one they refuse is refused, whatever
 * flows.full_verdict says; one they accept gets flows.full_verdict.
 */
static const struct unread_case {
	const char	*name, *full;
	bool		 h2;
	const char	*host, *want;
} unread_cases[] = {
	{ "HTTP/1.1, a blocked host: refused", "accept", false,
	  "blocked.example", "blocked" },
	{ "HTTP/1.1, an allowed host: full_verdict accept", "accept", false,
	  "ok.example", "accept untracked" },
	{ "HTTP/1.1, an allowed host: full_verdict drop", "drop", false,
	  "ok.example", "untracked" },
	{ "HTTP/1.1, a blocked host, full_verdict drop", "drop", false,
	  "blocked.example", "blocked" },
	{ "HTTP/2, a blocked host: refused", "accept", true,
	  "blocked.example", "blocked" },
	{ "HTTP/2, an allowed host: full_verdict accept", "accept", true,
	  "ok.example", "accept untracked" },
	{ "HTTP/2, an allowed host: full_verdict drop", "drop", true,
	  "ok.example", "untracked" },
};

/* what(), or "accept untracked" for flows.full_verdict accept's. */
static const char *
what_untracked(const struct nfqd_decision *d)
{
	if (d->verdict == NF_ACCEPT && d->status == NFQD_PKT_L7_UNTRACKED)
		return "accept untracked";
	return what(d);
}

static void
test_unread(void)
{
	const struct unread_case	*c;
	struct run			 r;
	struct h2s			 w;
	char				 conf[160], req[128], got[64];
	static const char		 held[] = "GET / HTTP/1.1\r\nHost: ok.ex";
	uint64_t			 untracked;
	size_t				 i;

	for (i = 0; i < sizeof(unread_cases) / sizeof(unread_cases[0]);
	    i++) {
		c = &unread_cases[i];
		snprintf(conf, sizeof(conf), "flows = { reasm_buffers = 1; "
		    "full_verdict = \"%s\"; tcp_timeout = 60; };", c->full);
		if (!setup(&r, conf))
			return;
		/* The one buffer, or the one table, taken by another flow. */
		syn(&r, 5000, 1000);
		if (c->h2) {
			h2s_start(&w);
			h2s_get(&w, 3, "ok.example", 0);
			h2s_send(&r, 5001, &w, NULL, what2, got, sizeof(got));
		} else {
			(void) part2(&r, 5000, 1000, (const uint8_t *)held, 0,
			    sizeof(held) - 1, 0);
		}
		/* The request and one byte past it, in one segment. */
		if (c->h2) {
			h2s_first(&w, c->host);
			h2s_put(&w, "\0", 1);
		} else {
			snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: "
			    "%s\r\n\r\nG", c->host);
			upg_start(&w, req);
		}
		untracked = r.e.incomplete[NFQD_PKT_L7_UNTRACKED];
		h2s_send(&r, 5002, &w, NULL, what_untracked, got,
		    sizeof(got));
		CHECK_STR_EQ(got, c->want, c->name);
		CHECK_UINT_EQ(r.e.incomplete[NFQD_PKT_L7_UNTRACKED] -
		    untracked, strcmp(c->want, "blocked") == 0 ? 0 : 1,
		    "... counted as flows.full_verdict's where it gave it");
		teardown(&r);
	}
}

/*
 * A segment that completes requests and then holds one refused (two Host
 * headers; HTTP/2: a PUSH_PROMISE): the requests before go to the rules,
 * and one they refuse is refused whatever l7_error_verdict says; one
 * they accept gets l7_error_verdict.
 */
#define BADREQ	"GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"

static const struct refused_case {
	const char	*name, *errv, *first, *second, *want;
	bool		 h2;
} refused_cases[] = {
	{ "first request blocked, then a refused one", "accept", GETBL BADREQ,
	  NULL, "blocked", false },
	{ "first request allowed, then a refused one", "accept", GETOK BADREQ,
	  NULL, "accept l7_error", false },
	{ "... l7_error_verdict drop", "drop", GETOK BADREQ, NULL, "l7_error",
	  false },
	{ "a later request blocked, then a refused one", "accept", GETOK,
	  GETBL BADREQ, "pending blocked", false },
	{ "a later request allowed, then a refused one", "accept", GETOK,
	  GETOK BADREQ, "pending accept l7_error", false },
	{ "HTTP/2: a later request blocked, then PUSH_PROMISE", "accept",
	  NULL, "blocked.example", "pending blocked", true },
	{ "HTTP/2: a later request allowed, then PUSH_PROMISE", "accept",
	  NULL, "ok.example", "pending accept l7_error", true },
};

/* what2(), or "accept l7_error" for l7_error_verdict accept's. */
static const char *
what2_err(const struct nfqd_decision *d)
{
	if (d->verdict == NF_ACCEPT && d->status == NFQD_PKT_L7_ERROR)
		return "accept l7_error";
	return what2(d);
}

static void
test_refused_after(void)
{
	const struct refused_case	*c;
	struct run			 r;
	static struct h2s		 w;
	char				 conf[96], got[64];
	size_t				 i;

	for (i = 0; i < sizeof(refused_cases) / sizeof(refused_cases[0]);
	    i++) {
		c = &refused_cases[i];
		snprintf(conf, sizeof(conf), "l7_error_verdict = \"%s\";",
		    c->errv);
		if (!setup(&r, conf))
			return;
		if (c->h2) {
			h2s_start(&w);
			h2s_get(&w, 3, c->second, 0);
			h2s_frame(&w, 5, 0x04, 1, "\0\0\0\x02\x82", 5);
		} else {
			upg_start(&w, c->first);
			if (c->second != NULL)
				h2s_put(&w, c->second, strlen(c->second));
		}
		h2s_send(&r, 5100, &w, NULL, what2_err, got, sizeof(got));
		CHECK_STR_EQ(got, c->want, c->name);
		teardown(&r);
	}
}

/*
 * DNS over TCP with several queries in a segment (pipelined), or one cut
 * over segments: a server reads them all, one after another, so nfqd
 * reads the stream as it does: each whole query goes to the rules, one
 * they refuse decides the packet, and part of one waits for its rest (an
 * accept passes pending: the connection stays with nfqd).  An answer, or
 * bytes that are no query, refused.
 * spec: the client's stream, a letter a query ('o' ok.example, 'b'
 * www.blocked.example, 'r' an answer, 'p' the first 10 bytes of a query
 * for blocked, 'q' its rest), '|' where a segment ends; split: not 0,
 * the offset where the first segment ends instead of at the first '|';
 * order: the segments' indexes in the order sent (an index twice: that
 * segment sent again), NULL in order; want: each one's outcome (what(),
 * "accept l7_error" for l7_error_verdict accept's).
 */
static const struct dnsp_case {
	const char	*name, *extra, *spec;
	size_t		 split;
	const char	*order, *want;
} dnsp_cases[] = {
	{ "first segment: allowed, allowed", "", "oo", 0, NULL, "pending" },
	{ "first segment: allowed, then blocked", "", "ob", 0, NULL, "drop" },
	{ "first segment: blocked, then allowed", "", "bo", 0, NULL, "drop" },
	{ "first segment: allowed, then part of a blocked one", "", "op", 0,
	  NULL, "pending" },
	{ "... its rest in the next", "", "op|q", 0, NULL, "pending drop" },
	{ "... the rest sent first", "", "op|q", 0, "10", "pending drop" },
	{ "... l7_error_verdict accept", "l7_error_verdict = \"accept\";",
	  "op|q", 0, NULL, "pending drop" },
	{ "... blocked, then part of one", "l7_error_verdict = \"accept\";",
	  "bp", 0, NULL, "drop" },
	{ "a blocked one cut in three segments", "", "o|p|q", 0, NULL,
	  "pending pending drop" },
	{ "... sent last, middle, first", "", "o|p|q", 0, "210",
	  "pending pending drop" },
	{ "an allowed one cut in two", "", "o|p|q", 0, "01",
	  "pending pending" },
	{ "first segment: allowed, then an answer", "", "or", 0, NULL,
	  "l7_error" },
	{ "a later segment: an answer", "", "o|r", 0, NULL,
	  "pending l7_error" },
	{ "... and the connection's later queries refused", "", "o|r|o", 0,
	  NULL, "pending l7_error l7_error" },
	{ "a later segment: allowed, then blocked", "", "o|ob", 0, NULL,
	  "pending drop" },
	{ "a later segment: allowed three times", "", "o|ooo", 0, NULL,
	  "pending pending" },
	{ "a later segment: part of one first (the stream's bytes are no "
	  "query there)", "", "o|po", 0, NULL, "pending l7_error" },
	{ "the first split, the blocked one after it sent first", "",
	  "o|ob", 15, "10", "pending drop" },
	{ "the first sent again with a blocked one after it", "", "ob", 0,
	  "00", "drop drop" },
};

static size_t
dnsp_put(uint8_t *b, char c)
{
	static const uint8_t	ok[] = {
		0x12, 0x35, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		2, 'o', 'k', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1,
		0, 1,
	};
	static const uint8_t	bl[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'b', 'l', 'o', 'c', 'k', 'e', 'd',
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	};
	const uint8_t	*q = c == 'o' ? ok : bl;
	size_t		 n = c == 'o' ? sizeof(ok) : sizeof(bl);

	b[0] = 0;
	b[1] = (uint8_t)n;
	memcpy(b + 2, q, n);
	if (c == 'r')
		b[2 + 2] |= 0x80;	/* QR: an answer */
	if (c == 'q') {
		memmove(b, b + 10, 2 + n - 10);
		return 2 + n - 10;
	}
	return c == 'p' ? 10 : 2 + n;
}

/* what(), or "accept l7_error" for l7_error_verdict accept's. */
static const char *
what_err(const struct nfqd_decision *d)
{
	if (d->verdict == NF_ACCEPT && d->status == NFQD_PKT_L7_ERROR)
		return "accept l7_error";
	return what(d);
}

static void
test_dns_pipelined(void)
{
	const struct dnsp_case	*c;
	struct run		 r;
	struct seg		 s;
	static struct h2s	 w;
	size_t			 i, k;
	char			 got[128];
	uint16_t		 sport = 6000;

	for (i = 0; i < sizeof(dnsp_cases) / sizeof(dnsp_cases[0]); i++) {
		c = &dnsp_cases[i];
		if (!setup(&r, c->extra))
			return;
		h2s_reset(&w);
		for (k = 0; c->spec[k] != '\0'; k++) {
			if (c->spec[k] == '|')
				h2s_cut(&w);
			else
				w.n += dnsp_put(w.b + w.n, c->spec[k]);
		}
		h2s_cut(&w);
		if (c->split != 0)
			w.start[1] = c->split;
		s = (struct seg){ "10.0.0.1", "10.0.0.2", ++sport, 53, 77,
		    0x02, 6, false, 0, 0, 0, NULL };
		decide(&r, mk(&s, NULL, 0), 0, 0);
		s.seq = 78;
		s.flags = 0x18;
		h2s_sendon(&r, s, &w, c->order, 0, what_err, got, sizeof(got));
		CHECK_STR_EQ(got, c->want, c->name);
		teardown(&r);
	}
}

/*
 * DNS over TCP read as the server's TCP reads the stream, not a segment
 * at a time: a segment that starts inside bytes already read (Linux
 * takes only its bytes past them) is read from there.  Read alone, the
 * segment below is one allowed query whose trailing bytes (which a
 * server ignores, as nfqd does) hold a blocked one exactly where the
 * bytes before end; the server reads that blocked query.
 */
static size_t
dns_q(uint8_t *b, const char *name, size_t pad)
{
	size_t	n = 14, k, i;

	memcpy(b, "\0\0\x12\x34\x01\x00\0\x01\0\0\0\0\0\0", 14);
	for (i = 0; name[i] != '\0'; i += k + (name[i + k] == '.')) {
		k = strcspn(name + i, ".");
		b[n++] = (uint8_t)k;
		memcpy(b + n, name + i, k);
		n += k;
	}
	memcpy(b + n, "\0\0\x01\0\x01", 5);
	n += 5;
	memset(b + n, 'x', pad);	/* past the question: ignored */
	n += pad;
	b[0] = (uint8_t)((n - 2) >> 8);
	b[1] = (uint8_t)(n - 2);
	return n;
}

/* A DNS-over-TCP connection from port sport, after its SYN: its first
 * data segment (stream byte 0 at sequence number 78). */
static struct seg
dns_syn(struct run *r, uint16_t sport)
{
	struct seg	s = { "10.0.0.1", "10.0.0.2", sport, 53, 77, 0x02, 6,
			    false, 0, 0, 0, NULL };

	decide(r, mk(&s, NULL, 0), 0, 0);
	s.flags = 0x18;
	s.seq = 78;
	return s;
}

static void
test_dns_stream(void)
{
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			st[20000], seg2[256];
	size_t			n1, n2, k, m;
	uint64_t		later;

	if (!setup(&r, ""))
		return;
	CHECK(r.e.l7.dns_all, "a rule reads dns_qname: every query is read");
	/* Two allowed queries, then one whose bytes from 59 on (where the
	   first segment ends, 1 + 59 = 60) are a blocked query. */
	n1 = dns_q(st, "ok.example", 0);
	n1 += dns_q(st + n1, "ok.example", 0);
	m = dns_q(seg2, "ok.example", 0);
	k = dns_q(seg2 + 59, "www.blocked.example", 0);
	CHECK_UINT_EQ(n1, 60, "the first segment: 60 bytes");
	memset(seg2 + m, 'x', 59 - m);
	n2 = 59 + k;
	seg2[0] = (uint8_t)((n2 - 2) >> 8);
	seg2[1] = (uint8_t)(n2 - 2);
	s = dns_syn(&r, 6100);
	later = r.e.l7.dns_later;
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "two allowed queries: pending");
	s.seq = 79;
	d = decide(&r, mk(&s, seg2, n2), P, 0);
	CHECK_STR_EQ(what(&d), "drop", "a segment 1 byte into them, one "
	    "allowed query read alone: read from byte 60, the blocked query, "
	    "dropped");
	CHECK_UINT_EQ(r.e.l7.dns_later - later, 2, "... the second query and "
	    "the blocked one read as later queries");
	teardown(&r);

	/*
	 * A blocked query dropped, then an allowed one with bytes past its
	 * question, then other bytes where the blocked one was: were the
	 * flow not decided, they would be old bytes to nfqd, while the
	 * server reads them and, with their own lengths, a query hidden in
	 * the allowed one's tail.
	 */
	if (!setup(&r, ""))
		return;
	n1 = dns_q(st, "ok.example", 0);
	k = dns_q(st + n1, "www.blocked.example", 0);	/* 39 bytes */
	m = dns_q(seg2, "ok.example", 45);
	dns_q(seg2 + 35, "www.blocked.example", 0);	/* in its tail */
	s = dns_syn(&r, 6104);
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "an allowed query");
	s.seq = 78 + (uint32_t)n1;
	d = decide(&r, mk(&s, st + n1, k), P, 0);
	CHECK_STR_EQ(what(&d), "drop", "a blocked one");
	s.seq = 78 + (uint32_t)(n1 + k);
	d = decide(&r, mk(&s, seg2, m), P, 0);
	CHECK_STR_EQ(what(&d), "drop", "an allowed one after it: dropped "
	    "with the connection");
	s.seq = 78 + (uint32_t)n1;
	dns_q(st + n1, "ok.example", k - 30);	/* k bytes, but its length */
	st[n1 + 1] = (uint8_t)(k - 2 + 35);	/* runs 35 into the next */
	d = decide(&r, mk(&s, st + n1, k), P, 0);
	CHECK_STR_EQ(what(&d), "drop", "other bytes where the blocked one "
	    "was: dropped with the connection");
	teardown(&r);

	/* A repeat (the documented drop mark, or any other) does not
	   decide the flow: the kernel's rules take it from there. */
	if (!setup_text(&r, "queue = { balance = \"0:0\"; };\n"
	    "rules = ( { name = \"dns\"; dns_qname = \"blocked.example\";"
	    " verdict = \"repeat\"; mark = 0x10000000; } );\n"))
		return;
	n1 = dns_q(st, "ok.example", 0);
	k = dns_q(st + n1, "www.blocked.example", 0);
	s = dns_syn(&r, 6105);
	d = decide(&r, mk(&s, st, n1 + k), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "repeat: an allowed and a blocked "
	    "query, the drop mark");
	CHECK(!d.flow, "... the flow not decided");
	s.seq += (uint32_t)(n1 + k);
	d = decide(&r, mk(&s, st, n1), P, 0);
	CHECK_STR_EQ(what(&d), "pending", "... the next query read");
	teardown(&r);

	/* 33 queries in a segment (32 whole ones is the most). */
	if (!setup(&r, ""))
		return;
	for (k = n1 = 0; k < 33; k++)
		n1 += dns_q(st + n1, "ok.example", 0);
	s = dns_syn(&r, 6101);
	d = decide(&r, mk(&s, st,
	    n1 - 30), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "32 queries in a segment: pending");
	s.seq += (uint32_t)(n1 - 30);
	d = decide(&r, mk(&s, st, n1), P, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "33 in the next: l7_error_verdict");
	teardown(&r);

	/* A query longer than a buffer holds is never whole: refused at
	   its length. */
	if (!setup(&r, ""))
		return;
	n1 = dns_q(st, "ok.example", 0);
	n2 = dns_q(st + n1, "ok.example", NFQD_REASM_MAX);
	s = dns_syn(&r, 6102);
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "an allowed query");
	s.seq += (uint32_t)n1;
	d = decide(&r, mk(&s, st + n1,
	    1400), P, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "the start of one of 16,415 bytes: "
	    "l7_error_verdict");
	teardown(&r);

	/* No rule reads DNS fields: the first query decides, the
	   connection is not kept. */
	if (!setup_text(&r, "queue = { balance = \"0:0\"; };\n"
	    "rules = ( { name = \"tls\"; tls_sni = \"blocked.example\";"
	    " verdict = \"drop\"; } );\n"))
		return;
	CHECK(!r.e.l7.dns_all, "no rule reads DNS fields: no later queries");
	n1 = dns_q(st, "ok.example", 0);
	s = dns_syn(&r, 6103);
	later = r.e.l7.dns_later;
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "accept", "... a query accepted, not pending");
	s.seq += (uint32_t)n1;
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "accept", "... and the next");
	CHECK_UINT_EQ(r.e.l7.dns_later - later, 0, "... not read as a later "
	    "query of the stream");
	teardown(&r);
}

/*
 * TLS: what follows a first hello in its segment refused (a second hello
 * naming another server, a record of no TLS type) or without a buffer:
 * the first hello still goes to the rules.
 */
static void
test_hello_then_refused(void)
{
	struct run	r;
	uint8_t		st[4096];
	size_t		n, first;
	char		got[64];

	if (!setup(&r, "l7_error_verdict = \"accept\";"))
		return;
	n = two_hellos(st, "blocked.example", "other.example", &first);
	syn(&r, 5201, 1000);
	CHECK_STR_EQ(part2(&r, 5201, 1000, st, 0, n, 0), "blocked",
	    "a blocked hello, then one for another server: refused");
	n = two_hellos(st, "ok.example", "other.example", &first);
	syn(&r, 5202, 1000);
	CHECK_STR_EQ(part2(&r, 5202, 1000, st, 0, n, 0), "accept",
	    "an allowed one, then one for another: l7_error_verdict (accept)");
	n = hello13(st, "blocked.example", false, 0);
	memcpy(st + n, "\x30\x03\x03\x00\x01\x00", 6);	/* no TLS type */
	syn(&r, 5203, 1000);
	CHECK_STR_EQ(part2(&r, 5203, 1000, st, 0, n + 6, 0), "blocked",
	    "a blocked hello, then a record of no TLS type: refused");
	teardown(&r);
	if (!setup(&r, "l7_error_verdict = \"accept\"; flows = { "
	    "reasm_buffers = 1; full_verdict = \"accept\"; };"))
		return;
	syn(&r, 5204, 1000);
	n = hello13(st, "blocked.example", false, 0);
	(void) part2(&r, 5204, 1000, st, 0, 20, 0);	/* holds the buffer */
	n = hello13(st, "blocked.example", false, 0);
	memcpy(st + n, "\x16\x03\x03\x00\x40\x01", 6);	/* a record begun */
	syn(&r, 5205, 1000);
	snprintf(got, sizeof(got), "%s", part2(&r, 5205, 1000, st, 0, n + 6,
	    0));
	CHECK_STR_EQ(got, "blocked", "a blocked hello, then part of a record "
	    "with no buffer free: refused");
	teardown(&r);
}

/*
 * QUIC: a datagram whose Initial completes a blocked hello, then a packet
 * refused (another Destination Connection ID, which RFC 9000 12.2 lets a
 * server ignore): the hello still goes to the rules.
 */
static void
test_quic_refused_after(void)
{
	static const uint8_t	other_dcid[] = {
		0xc0, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x05,
	};
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			v1[1300];
	size_t			n1;

	if (!setup(&r, "l7_error_verdict = \"accept\";"))
		return;
	n1 = unit_unhex(rfc9001_a2_packet, v1, 1200);
	memcpy(v1 + n1, other_dcid, sizeof(other_dcid));
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 5300, 443, 0, 0, 17, false,
	    0, 0, 0, NULL };
	d = decide(&r, mk(&s, v1, n1 + sizeof(other_dcid)), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3 &&
	    d.status == NFQD_PKT_OK, "QUIC: a blocked hello, then a packet "
	    "for another connection ID: blocked by its rule");
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "... the flow decided so");
	teardown(&r);
}

int
main(void)
{
	test_sum_words();
	test_whole();
	test_segments();
	test_evasions();
	test_rst_payload();
	test_name_port();
	test_syn_isn();
	test_syn_data();
	test_insertion();
	test_insertion_order();
	test_http_dns();
	test_http_later();
	test_http_later_edges();
	test_h2_later();
	test_unread();
	test_quic_refused_after();
	test_hello_then_refused();
	test_dns_pipelined();
	test_dns_stream();
	test_refused_after();
	test_h2_upgrade();
	test_quic();
	test_quic_conns();
	test_udp_timeout();
	test_quic_ja4();
	test_full();
	test_connmark();
	test_ja4();
	test_prefetch();
	test_lost_bypass();
	test_lost_flow();
	test_lost_not();
	test_lost_evicted();
	test_retry();
	return unit_done();
}
