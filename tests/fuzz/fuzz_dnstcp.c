/*
 * libFuzzer target for src/l7/dnstcp.c (DNS over TCP put together for
 * dns_learn): the input picks a stream of messages and a script of
 * segments of it, in any order, sizes and overlaps, after the stream's
 * SYN.  Asserted, against the true stream:
 *   - every message handed over is the stream's next one, whole and with
 *     its bytes: none twice, none skipped, none made up, until a segment
 *     says NFQD_DNST_LOST (the stream is then read out of step);
 *   - the buffers and streams in use stay within their sizes;
 *   - once the whole stream has then been sent again in order, every
 *     message has been handed over, unless a segment said LOST.
 *
 * Input: byte 0 the number of messages (1 to 8, mod 8 + 1), then two
 * bytes each, big-endian, its length (mod 16,383: a message and its
 * prefix fit in a window); bytes 0xf0 and above make up each message, so
 * no message can be read out of step from inside one.  Then 5 bytes a
 * segment: offset (2 bytes; stream offset o - 64), length (2 bytes, mod
 * 20,000), and a byte of which bit 0 sets FIN.  Segment bytes are in a
 * buffer of exactly their length.
 *
 *   make fuzz
 *   build/fuzz/fuzz_dnstcp -max_total_time=60 corpus-copy
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/l7/dnstcp.h"
#include "nfqd/l7/reasm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

#define MAXMSG		8
#define STREAMMAX	(MAXMSG * 16384)

static uint8_t	stream[STREAMMAX];
static size_t	slen, mstart[MAXMSG], mlen[MAXMSG];
static unsigned	nmsg;

struct rec {
	unsigned	next;	/* the message expected next */
	bool		lost;
};

static void
on_msg(void *arg, const uint8_t *m, size_t len)
{
	struct rec	*r = arg;

	/* Given up, a stream is read out of step (dnstcp.h): what that
	 * yields only counts where it matches a query, as any answer. */
	if (r->lost)
		return;
	ASSERT(r->next < nmsg);
	ASSERT(len == mlen[r->next]);
	ASSERT(memcmp(m, stream + mstart[r->next], len) == 0);
	r->next++;
}

static unsigned
feed(struct nfqd_dnst *t, uint32_t seq, uint8_t flags, const uint8_t *p,
    size_t len, uint64_t now, struct rec *r)
{
	static const uint8_t	S[4] = { 10, 0, 0, 53 }, C[4] = { 10, 0, 0, 1 };
	struct nfqd_dnst_seg	s;
	uint8_t			*copy = malloc(len > 0 ? len : 1);
	unsigned		res;

	ASSERT(copy != NULL);
	if (len > 0)
		memcpy(copy, p, len);
	s.family = AF_INET;
	s.saddr = S;
	s.daddr = C;
	s.sport = 53;
	s.dport = 40000;
	s.seq = seq;
	s.tcp_flags = flags;
	s.pay = copy;
	s.len = len;
	res = nfqd_dnst_segment(t, &s, now, on_msg, r);
	free(copy);
	if (res & NFQD_DNST_LOST)
		r->lost = true;
	ASSERT(nfqd_dnst_bufs_used(t) <= NFQD_DNST_BUFS);
	ASSERT(nfqd_dnst_streams(t, now) <= NFQD_DNST_STREAMS);
	return res;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nfqd_dnst	*t;
	static uint8_t		 seg[20000 + 64];
	struct rec		 r = { 0, false };
	const uint32_t		 isn = 0xfffff000u;	/* wraps within */
	uint64_t		 now = 1000000000ull;
	size_t			 i, j, k, off, len;
	int64_t			 o;

	if (t == NULL && (t = nfqd_dnst_new(1)) == NULL)
		abort();
	if (size < 3)
		return 0;
	nmsg = data[0] % MAXMSG + 1;
	if (size < 1 + 2 * (size_t)nmsg)
		return 0;
	slen = 0;
	for (i = 0; i < nmsg; i++) {
		mlen[i] = (size_t)(data[1 + 2 * i] << 8 | data[2 + 2 * i]) %
		    16383;
		stream[slen] = (uint8_t)(mlen[i] >> 8);
		stream[slen + 1] = (uint8_t)mlen[i];
		mstart[i] = slen + 2;
		for (j = 0; j < mlen[i]; j++)
			stream[slen + 2 + j] = (uint8_t)(0xf0 | ((i + j) & 15));
		slen += 2 + mlen[i];
	}
	/* A stream of its own each run: a SYN resets it. */
	feed(t, isn, 0x12, NULL, 0, now, &r);
	for (i = 1 + 2 * (size_t)nmsg; i + 5 <= size; i += 5) {
		o = (int64_t)(data[i] << 8 | data[i + 1]) - 64;
		len = (size_t)(data[i + 2] << 8 | data[i + 3]) % 20000;
		for (k = 0; k < len; k++) {
			int64_t	b = o + (int64_t)k;

			seg[k] = b >= 0 && (size_t)b < slen ? stream[b] : 0;
		}
		/* Bytes past the stream's end are not sent. */
		if (o >= (int64_t)slen)
			continue;
		if (o + (int64_t)len > (int64_t)slen)
			len = (size_t)((int64_t)slen - o);
		/* Nor bytes before the SYN's: any value, which a receiver
		 * drops; the true stream only from byte 0. */
		feed(t, isn + 1 + (uint32_t)o, data[i + 4] & 1, seg, len,
		    ++now, &r);
	}
	/* The whole stream again, in order. */
	for (off = 0; off < slen; off += 1400) {
		len = slen - off < 1400 ? slen - off : 1400;
		feed(t, isn + 1 + (uint32_t)off, 0x10, stream + off, len, ++now,
		    &r);
	}
	if (!r.lost)
		ASSERT(r.next == nmsg);
	/* End it: its buffer back. */
	feed(t, isn + 1 + (uint32_t)slen, 0x04, NULL, 0, ++now, &r);
	ASSERT(nfqd_dnst_bufs_used(t) == 0);
	return 0;
}
