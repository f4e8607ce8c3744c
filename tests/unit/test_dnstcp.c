/*
 * Unit tests for src/l7/dnstcp.c, DNS over TCP put together for
 * dns_learn: a table of segment shapes (splits, orders, retransmissions,
 * conflicts, windows, wraparound, GSO-sized segments, RST, Fast Open)
 * with the messages expected to be handed over, whole and in order; then
 * streams kept apart, the pool's limit and its reclaim, the table under
 * churn, and idle streams ending.
 *
 * Message bytes are 0xf0 and above: read as a length prefix they ask for
 * over 61,000 bytes, so a segment read out of step (as if it started a
 * message, dnstcp.h) can never hand over a message made of them.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/l7/dnstcp.h"
#include "nfqd/l7/reasm.h"
#include "unit.h"

#define SYN	NFQD_TCP_SYN
#define FIN	NFQD_TCP_FIN
#define RST	NFQD_TCP_RST
#define MAXMSG	8
#define STREAM	(8 * 20000)

static const uint64_t	T0 = 5000000000000ull;

/* The true stream: each message's 2-byte length, then its bytes. */
static uint8_t	stream[STREAM];
static size_t	slen, mstart[MAXMSG], mlens[MAXMSG];
static unsigned	nmsgs;

static void
build(const size_t *lens, unsigned n)
{
	unsigned	i;
	size_t		j;

	slen = 0;
	nmsgs = n;
	for (i = 0; i < n; i++) {
		stream[slen] = (uint8_t)(lens[i] >> 8);
		stream[slen + 1] = (uint8_t)lens[i];
		mstart[i] = slen + 2;
		mlens[i] = lens[i];
		for (j = 0; j < lens[i]; j++)
			stream[slen + 2 + j] = (uint8_t)(0xf0 |
			    ((i * 7 + j * 13) & 0x0f));
		slen += 2 + lens[i];
	}
}

/* What was handed over: in order, each the true message's bytes. */
struct rec {
	unsigned	n;
	bool		bad;
	char		why[128];
};

static void
on_msg(void *arg, const uint8_t *m, size_t len)
{
	struct rec	*r = arg;

	if (r->n >= nmsgs || len != mlens[r->n] ||
	    memcmp(m, stream + mstart[r->n], len) != 0) {
		if (!r->bad)
			snprintf(r->why, sizeof(r->why), "message %u: %zu "
			    "bytes, not the stream's (%zu)", r->n, len,
			    r->n < nmsgs ? mlens[r->n] : 0);
		r->bad = true;
	}
	r->n++;
}

static uint8_t	seg[STREAM];

/* One segment of a stream between C port cport and S port 53. */
static unsigned
send_seg(struct nfqd_dnst *t, uint16_t cport, uint32_t seq, uint8_t flags,
    const uint8_t *pay, size_t len, uint64_t now, struct rec *r)
{
	struct nfqd_dnst_seg	s;
	static const uint8_t	S[4] = { 10, 9, 2, 1 }, C[4] = { 10, 9, 2, 2 };

	s.family = AF_INET;
	s.saddr = S;
	s.daddr = C;
	s.sport = 53;
	s.dport = cport;
	s.seq = seq;
	s.tcp_flags = flags;
	s.pay = pay;
	s.len = len;
	return nfqd_dnst_segment(t, &s, now, on_msg, r);
}

struct segspec {
	int32_t		off;	/* stream offset of its first byte */
	uint32_t	len;
	uint8_t		flags;
	uint8_t		corrupt;	/* its bytes changed */
};

struct tcase {
	const char	*name;
	size_t		 lens[MAXMSG];
	unsigned	 nlens;
	bool		 syn;		/* the SYN first */
	uint32_t	 isn;
	struct segspec	 s[12];
	unsigned	 nseg;
	unsigned	 want;		/* messages handed over */
	bool		 lost;		/* NFQD_DNST_LOST from some segment */
	unsigned	 bufs;		/* buffers held at the end */
};

static const struct tcase cases[] = {
	{ "one message, one segment", { 100 }, 1, true, 1000,
	    { { 0, 102, 0, 0 } }, 1, 1, false, 0 },
	{ "split in two", { 100 }, 1, true, 1000,
	    { { 0, 50, 0, 0 }, { 50, 52, 0, 0 } }, 2, 1, false, 0 },
	{ "split in three, in order", { 100 }, 1, true, 1000,
	    { { 0, 30, 0, 0 }, { 30, 30, 0, 0 }, { 60, 42, 0, 0 } }, 3, 1,
	    false, 0 },
	{ "split in three, the last first", { 100 }, 1, true, 1000,
	    { { 60, 42, 0, 0 }, { 0, 30, 0, 0 }, { 30, 30, 0, 0 } }, 3, 1,
	    false, 0 },
	{ "split in three, the middle first", { 100 }, 1, true, 1000,
	    { { 30, 30, 0, 0 }, { 0, 30, 0, 0 }, { 60, 42, 0, 0 } }, 3, 1,
	    false, 0 },
	{ "length prefix split", { 100 }, 1, true, 1000,
	    { { 0, 1, 0, 0 }, { 1, 101, 0, 0 } }, 2, 1, false, 0 },
	{ "length prefix alone", { 100 }, 1, true, 1000,
	    { { 0, 2, 0, 0 }, { 2, 100, 0, 0 } }, 2, 1, false, 0 },
	{ "a segment repeated after it was read", { 100 }, 1, true, 1000,
	    { { 0, 102, 0, 0 }, { 0, 102, 0, 0 } }, 2, 1, false, 0 },
	{ "a retransmission spanning two messages", { 100, 50 }, 2, true,
	    1000, { { 0, 60, 0, 0 }, { 0, 102, 0, 0 }, { 50, 104, 0, 0 } }, 3,
	    2, false, 0 },
	{ "a retransmission that differs", { 100 }, 1, true, 1000,
	    { { 0, 60, 0, 0 }, { 30, 40, 0, 1 }, { 60, 42, 0, 0 } }, 3, 0,
	    true, 1 },
	{ "bytes past a gap that differ", { 100 }, 1, true, 1000,
	    { { 0, 30, 0, 0 }, { 60, 42, 0, 0 }, { 50, 30, 0, 1 } }, 3, 0,
	    true, 0 },
	{ "a message as big as the window", { 16382 }, 1, true, 1000,
	    { { 0, 8000, 0, 0 }, { 8000, 8384, 0, 0 } }, 2, 1, false, 0 },
	{ "a message one byte over the window", { 16383 }, 1, true, 1000,
	    { { 0, 8000, 0, 0 }, { 8000, 8385, 0, 0 } }, 2, 0, true, 0 },
	{ "pipelined, the second split", { 100, 200, 50 }, 3, true, 1000,
	    { { 0, 150, 0, 0 }, { 150, 200, 0, 0 }, { 350, 6, 0, 0 } }, 3,
	    3, false, 0 },
	{ "the second message before the first's tail", { 100, 100 }, 2,
	    true, 1000, { { 0, 50, 0, 0 }, { 102, 102, 0, 0 },
	    { 50, 52, 0, 0 } }, 3, 2, false, 0 },
	{ "two messages of 10,000 bytes", { 10000, 10000 }, 2, true, 1000,
	    { { 0, 5000, 0, 0 }, { 5000, 5002, 0, 0 }, { 10002, 10002, 0,
	    0 } }, 3, 2, false, 0 },
	{ "a 32 KB segment through a held window", { 8000, 8000, 8000,
	    8000 }, 4, true, 1000, { { 0, 100, 0, 0 }, { 100, 31908, 0,
	    0 } }, 2, 4, false, 0 },
	{ "a 32 KB segment that ends inside a message", { 8000, 8000, 8000,
	    8000 }, 4, true, 1000, { { 0, 100, 0, 0 }, { 100, 30000, 0, 0 },
	    { 30100, 1908, 0, 0 } }, 3, 4, false, 0 },
	{ "bytes more than a window past a gap", { 100, 16000, 8000 }, 3,
	    true, 1000, { { 0, 50, 0, 0 }, { 16500, 100, 0, 0 },
	    { 50, 52, 0, 0 } }, 3, 0, true, 1 },
	{ "sequence numbers wrap", { 300 }, 1, true, 0xffffff00u,
	    { { 0, 100, 0, 0 }, { 100, 202, 0, 0 } }, 2, 1, false, 0 },
	{ "sequence numbers wrap, out of order", { 300 }, 1, true,
	    0xffffff00u, { { 200, 102, 0, 0 }, { 0, 200, 0, 0 } }, 2, 1,
	    false, 0 },
	{ "no SYN: split in two", { 100 }, 1, false, 1000,
	    { { 0, 50, 0, 0 }, { 50, 52, 0, 0 } }, 2, 1, false, 0 },
	{ "no SYN: whole", { 100, 20 }, 2, false, 1000,
	    { { 0, 124, 0, 0 } }, 1, 2, false, 0 },
	{ "no SYN: the tail first, then the head", { 100 }, 1, false, 1000,
	    { { 50, 52, 0, 0 }, { 0, 50, 0, 0 } }, 2, 0, false, 1 },
	{ "empty messages", { 0, 10, 0 }, 3, true, 1000,
	    { { 0, 1, 0, 0 }, { 1, 13, 0, 0 }, { 14, 2, 0, 0 } }, 3, 3,
	    false, 0 },
	{ "RST ends the stream", { 100 }, 1, true, 1000,
	    { { 0, 50, 0, 0 }, { 50, 0, RST, 0 }, { 50, 52, 0, 0 } }, 3, 0,
	    false, 1 },
	{ "the payload of a RST is not read", { 100 }, 1, true, 1000,
	    { { 0, 102, RST, 0 } }, 1, 0, false, 0 },
	{ "FIN on the last segment", { 100 }, 1, true, 1000,
	    { { 0, 50, 0, 0 }, { 50, 52, FIN, 0 } }, 2, 1, false, 0 },
	{ "data on the SYN (Fast Open)", { 100 }, 1, false, 1000,
	    { { 0, 102, SYN, 0 } }, 1, 1, false, 0 },
	{ "bytes before the SYN's", { 100 }, 1, true, 1000,
	    { { -10, 60, 0, 0 }, { 50, 52, 0, 0 } }, 2, 1, false, 0 },
};

static void
run_case(const struct tcase *c)
{
	struct nfqd_dnst	*t = nfqd_dnst_new(7);
	struct rec		 r;
	const struct segspec	*s;
	uint32_t		 seq;
	unsigned		 i, res, lost = 0;
	size_t			 k;

	if (!CHECK(t != NULL, unit_fmt("%s: table", c->name)))
		return;
	memset(&r, 0, sizeof(r));
	build(c->lens, c->nlens);
	if (c->syn)
		send_seg(t, 40000, c->isn, SYN | 0x10, NULL, 0, T0, &r);
	for (i = 0; i < c->nseg; i++) {
		s = &c->s[i];
		seq = c->isn + 1 + (uint32_t)s->off;
		if (s->flags & SYN)
			seq--;		/* its payload follows the SYN */
		/* Bytes before stream byte 0 are the SYN's and older:
		 * anything, as on the wire. */
		for (k = 0; k < s->len; k++) {
			int64_t	o = (int64_t)s->off + (int64_t)k;

			seg[k] = o >= 0 && (size_t)o < slen ? stream[o] : 0x55;
			if (s->corrupt)
				seg[k] ^= 0x01;
		}
		res = send_seg(t, 40000, seq, s->flags, seg, s->len,
		    T0 + i + 1, &r);
		lost |= res & NFQD_DNST_LOST;
	}
	CHECKF(!r.bad, unit_fmt("%s: the stream's messages", c->name), "%s",
	    r.why);
	CHECK_UINT_EQ(r.n, c->want, unit_fmt("%s: messages handed over",
	    c->name));
	CHECK_UINT_EQ(lost != 0, c->lost, unit_fmt("%s: lost", c->name));
	CHECK_UINT_EQ(nfqd_dnst_bufs_used(t), c->bufs,
	    unit_fmt("%s: buffers held", c->name));
	nfqd_dnst_free(t);
}

/* Two streams interleaved (another client port): never mixed. */
static void
test_apart(void)
{
	struct nfqd_dnst	*t = nfqd_dnst_new(8);
	struct rec		 a, b;
	const size_t		 lens[1] = { 300 };

	if (!CHECK(t != NULL, "apart: table"))
		return;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	build(lens, 1);
	send_seg(t, 40001, 100, SYN | 0x10, NULL, 0, T0, &a);
	send_seg(t, 40002, 5000, SYN | 0x10, NULL, 0, T0, &b);
	send_seg(t, 40001, 101, 0, stream, 100, T0 + 1, &a);
	send_seg(t, 40002, 5001, 0, stream, 150, T0 + 2, &b);
	/* Bytes past a gap in the second. */
	send_seg(t, 40002, 5201, 0, stream + 200, 100, T0 + 3, &b);
	send_seg(t, 40001, 201, 0, stream + 100, 202, T0 + 4, &a);
	CHECK_UINT_EQ(a.n, 1, "apart: the first stream's message");
	CHECK_UINT_EQ(b.n, 0, "apart: nothing of it in the second");
	send_seg(t, 40002, 5151, 0, stream + 150, 152, T0 + 5, &b);
	CHECK_UINT_EQ(b.n, 1, "apart: the second's own message");
	CHECK(!a.bad && !b.bad, "apart: each its own bytes");
	CHECK_UINT_EQ(nfqd_dnst_bufs_used(t), 0, "apart: buffers back");
	nfqd_dnst_free(t);
}

/*
 * Every buffer held by an incomplete message: the next stream that needs
 * one is given up; streams idle for NFQD_DNST_IDLE_S give theirs back.
 */
static void
test_pool(void)
{
	struct nfqd_dnst	*t = nfqd_dnst_new(9);
	struct rec		 r;
	const size_t		 lens[1] = { 500 };
	const uint64_t		 idle = (uint64_t)NFQD_DNST_IDLE_S *
				     1000000000ull;
	unsigned		 i, res = 0, waits = 0;

	if (!CHECK(t != NULL, "pool: table"))
		return;
	memset(&r, 0, sizeof(r));
	build(lens, 1);
	for (i = 0; i < NFQD_DNST_BUFS; i++)
		waits += send_seg(t, (uint16_t)(30000 + i), 1, 0, stream, 100,
		    T0 + i, &r) == NFQD_DNST_WAIT;
	CHECK_UINT_EQ(waits, NFQD_DNST_BUFS, "pool: every buffer taken");
	CHECK_UINT_EQ(nfqd_dnst_bufs_used(t), NFQD_DNST_BUFS,
	    "pool: all in use");
	res = send_seg(t, 31000, 1, 0, stream, 100, T0 + 100, &r);
	CHECK_UINT_EQ(res, NFQD_DNST_LOST, "pool: one more is given up");
	/* A held one completes: its buffer serves the next. */
	send_seg(t, 30000, 101, 0, stream + 100, 402, T0 + 101, &r);
	CHECK_UINT_EQ(r.n, 1, "pool: a held message completed");
	res = send_seg(t, 31001, 1, 0, stream, 100, T0 + 102, &r);
	CHECK_UINT_EQ(res, NFQD_DNST_WAIT, "pool: its buffer serves another");
	/* Past the idle time the held buffers go back when one is needed. */
	res = send_seg(t, 31002, 1, 0, stream, 100, T0 + 102 + idle, &r);
	CHECK_UINT_EQ(res, NFQD_DNST_WAIT, "pool: idle streams' buffers "
	    "reclaimed");
	CHECK_UINT_EQ(nfqd_dnst_bufs_used(t), 1, "pool: one in use after");
	CHECK_UINT_EQ(nfqd_dnst_streams(t, T0 + 102 + idle), 1,
	    "pool: one stream alive");
	CHECK(!r.bad, "pool: the messages' bytes");
	nfqd_dnst_free(t);
}

/* 20,000 streams, each with a message cut short: the table and the pool
 * stay within their sizes, and a later stream still works. */
static void
test_churn(void)
{
	struct nfqd_dnst	*t = nfqd_dnst_new(10);
	struct rec		 r;
	const size_t		 lens[1] = { 200 };
	struct nfqd_dnst_seg	 s;
	uint8_t			 S[4] = { 10, 9, 3, 1 }, C[4];
	unsigned		 i;

	if (!CHECK(t != NULL, "churn: table"))
		return;
	memset(&r, 0, sizeof(r));
	build(lens, 1);
	for (i = 0; i < 20000; i++) {
		C[0] = 10;
		C[1] = (uint8_t)(i >> 16);
		C[2] = (uint8_t)(i >> 8);
		C[3] = (uint8_t)i;
		s.family = AF_INET;
		s.saddr = S;
		s.daddr = C;
		s.sport = 53;
		s.dport = (uint16_t)(1024 + i);
		s.seq = i * 1000;
		s.tcp_flags = 0;
		s.pay = stream;
		s.len = 100;
		nfqd_dnst_segment(t, &s, T0 + i, on_msg, &r);
	}
	CHECK(nfqd_dnst_streams(t, T0 + 20000) <= NFQD_DNST_STREAMS,
	    "churn: streams within the table");
	CHECK(nfqd_dnst_bufs_used(t) <= NFQD_DNST_BUFS,
	    "churn: buffers within the pool");
	CHECK_UINT_EQ(r.n, 0, "churn: nothing handed over");
	nfqd_dnst_free(t);
}

/*
 * Answers left incomplete when their stream ends otherwise (a RST, a new
 * SYN, the idle time) are counted; a client's query so, and a stream a
 * segment gave up (NFQD_DNST_LOST, counted by the caller), are not.
 */
static void
test_abandoned(void)
{
	struct nfqd_dnst	*t = nfqd_dnst_new(12);
	struct nfqd_dnst_seg	 s;
	struct rec		 r;
	const size_t		 lens[1] = { 100 };
	const uint64_t		 idle = (uint64_t)NFQD_DNST_IDLE_S *
				     1000000000ull;
	static const uint8_t	 S[4] = { 10, 9, 2, 1 }, C[4] = { 10, 9, 2, 2 };

	if (!CHECK(t != NULL, "abandoned: table"))
		return;
	memset(&r, 0, sizeof(r));
	build(lens, 1);
	send_seg(t, 40000, 1, 0, stream, 50, T0, &r);
	send_seg(t, 40000, 51, RST, NULL, 0, T0 + 1, &r);
	CHECK_UINT_EQ(nfqd_dnst_abandoned(t), 1, "abandoned: a RST");
	send_seg(t, 40000, 1, 0, stream, 50, T0 + 2, &r);
	send_seg(t, 40000, 7000, SYN | 0x10, NULL, 0, T0 + 3, &r);
	CHECK_UINT_EQ(nfqd_dnst_abandoned(t), 2, "abandoned: a new SYN");
	send_seg(t, 40000, 7001, 0, stream, 50, T0 + 4, &r);
	send_seg(t, 40000, 9000, 0, stream, 50, T0 + 4 + idle, &r);
	CHECK_UINT_EQ(nfqd_dnst_abandoned(t), 3, "abandoned: the idle time");
	/* A query cut short (to port 53), then a RST: not an answer. */
	s.family = AF_INET;
	s.saddr = C;
	s.daddr = S;
	s.sport = 40001;
	s.dport = 53;
	s.seq = 1;
	s.tcp_flags = 0;
	s.pay = stream;
	s.len = 50;
	nfqd_dnst_segment(t, &s, T0 + 5 + idle, on_msg, &r);
	s.tcp_flags = RST;
	s.len = 0;
	nfqd_dnst_segment(t, &s, T0 + 6 + idle, on_msg, &r);
	CHECK_UINT_EQ(nfqd_dnst_abandoned(t), 3, "abandoned: not a query");
	/* Given up by a segment: LOST, not abandoned. */
	send_seg(t, 40002, 1, 0, stream, 50, T0 + 7 + idle, &r);
	seg[0] = stream[40] ^ 1;
	CHECK_UINT_EQ(send_seg(t, 40002, 41, 0, seg, 1, T0 + 8 + idle, &r),
	    NFQD_DNST_LOST, "abandoned: a conflict is LOST");
	CHECK_UINT_EQ(nfqd_dnst_abandoned(t), 3, "abandoned: ... not counted "
	    "again");
	CHECK_UINT_EQ(r.n, 0, "abandoned: nothing handed over");
	nfqd_dnst_free(t);
}

/* A stream that sees nothing for NFQD_DNST_IDLE_S ends. */
static void
test_idle(void)
{
	struct nfqd_dnst	*t = nfqd_dnst_new(11);
	struct rec		 r;
	const size_t		 lens[1] = { 100 };
	const uint64_t		 idle = (uint64_t)NFQD_DNST_IDLE_S *
				     1000000000ull;

	if (!CHECK(t != NULL, "idle: table"))
		return;
	memset(&r, 0, sizeof(r));
	build(lens, 1);
	send_seg(t, 40000, 1000, SYN | 0x10, NULL, 0, T0, &r);
	send_seg(t, 40000, 1001, 0, stream, 50, T0 + idle - 1, &r);
	CHECK_UINT_EQ(nfqd_dnst_streams(t, T0 + idle), 1,
	    "idle: alive while segments come");
	/* The tail after the idle time: read out of step, nothing. */
	send_seg(t, 40000, 1051, 0, stream + 50, 52, T0 + 2 * idle, &r);
	CHECK_UINT_EQ(r.n, 0, "idle: the tail after the stream ended");
	CHECK(!r.bad, "idle: nothing made of its bytes");

	/* A SYN sent again counts as a segment seen: the stream it starts
	 * again lives on from then, not from the first SYN (the message's
	 * tail first: read out of step, it would be taken for a length). */
	memset(&r, 0, sizeof(r));
	send_seg(t, 40001, 5000, SYN | 0x10, NULL, 0, T0, &r);
	send_seg(t, 40001, 5000, SYN | 0x10, NULL, 0, T0 + idle - 1, &r);
	send_seg(t, 40001, 5051, 0, stream + 50, 52, T0 + idle + 1, &r);
	send_seg(t, 40001, 5001, 0, stream, 50, T0 + idle + 2, &r);
	CHECK_UINT_EQ(r.n, 1, "idle: a SYN sent again keeps its stream");
	CHECK(!r.bad, "idle: ... and the message read whole");
	nfqd_dnst_free(t);
}

int
main(void)
{
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_apart();
	test_pool();
	test_churn();
	test_abandoned();
	test_idle();
	return unit_done();
}
