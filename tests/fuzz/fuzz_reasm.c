/*
 * libFuzzer target for src/l7/reasm.c: the input is a script of segments
 * added to one stream's buffer and to a model too simple to be wrong (a
 * byte array and a presence array, first copy wins, a segment that
 * differs from a present byte refused whole).  After every step the
 * result, the flags, contig and the bytes [0, contig) must be the same,
 * and so must presence and bytes over the segment's range; the whole
 * state is compared when a stream ends.  A receiver that takes only the
 * segments nfqd took, last copy winning, must hold nfqd's bytes.
 *
 * Input: 4 bytes, big-endian, the sequence number of byte 0; then steps
 * of 6 bytes:
 *   0-1	offset o (big-endian): the segment starts at stream byte
 *		o - 2048, so from before byte 0 to well past the window
 *   2-3	length, 0 to 32767 (the top bit is ignored)
 *   4		kind, high nibble: 0xf ends the stream and starts another
 *		whose byte 0 is at seq0 + o * 65536 + length; 0xe makes the
 *		offset o * 65536 + length - 2^31 (far before or far past);
 *		low 2 bits: the bytes: 0 the true stream, 1 the true stream
 *		with the byte at length * p / 256 changed, 2 all p, 3 the
 *		true stream xor p
 *   5		p
 * Segment bytes are in a buffer of exactly their length, so a read past
 * it is a read past the allocation.
 *
 *   make fuzz
 *   build/fuzz/fuzz_reasm -max_total_time=60 corpus-copy
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/reasm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

#define MAX	NFQD_REASM_MAX

/* The model's byte loops are not what is being explored: without
 * comparison tracing in them a step costs microseconds, not a millisecond. */
#define HARNESS	__attribute__((no_sanitize("coverage"), noinline))

struct model {
	uint32_t	seq0;
	size_t		contig;		/* have[0 .. contig) are 1 */
	uint8_t		have[MAX];
	uint8_t		byte[MAX];	/* first copy */
	uint8_t		recv[MAX];	/* last copy of segments taken */
};

static struct model		 m;
static struct nfqd_reasm_pool	*pool;

/* The true stream's byte at offset off. */
HARNESS static uint8_t
sbyte(int64_t off)
{
	return (uint8_t)(off * 131 + (off >> 8) * 7 + 17);
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* The segment of len bytes at stream offset off, as kind and p say. */
HARNESS static void
fill(uint8_t *seg, int64_t off, uint32_t len, unsigned kind, uint8_t p)
{
	uint32_t	i, pos;

	for (i = 0; i < len; i++)
		seg[i] = sbyte(off + i);
	switch (kind) {
	case 1:
		pos = len * p / 256;
		if (pos < len)
			seg[pos] ^= 0xa5;
		break;
	case 2:
		memset(seg, p, len);
		break;
	case 3:
		for (i = 0; i < len; i++)
			seg[i] ^= p;
		break;
	}
}

HARNESS static int
model_add(uint32_t seq, const uint8_t *d, size_t len, unsigned *flags)
{
	int64_t	start = (int32_t)(seq - m.seq0), o;
	size_t	i;
	int	isnew = 0, conflict = 0;

	*flags = 0;
	for (i = 0; i < len; i++) {
		o = start + (int64_t)i;
		if (o >= MAX)
			*flags |= NFQD_REASM_PAST;
		else if (o >= 0 && m.have[o] && m.byte[o] != d[i])
			conflict = 1;
	}
	if (conflict)
		return NFQD_REASM_CONFLICT;
	for (i = 0; i < len; i++) {
		o = start + (int64_t)i;
		if (o < 0 || o >= MAX)
			continue;
		if (!m.have[o]) {
			m.have[o] = 1;
			m.byte[o] = d[i];
			isnew = 1;
		}
		m.recv[o] = d[i];
	}
	if (isnew)
		*flags |= NFQD_REASM_NEW;
	while (m.contig < MAX && m.have[m.contig])
		m.contig++;
	return NFQD_REASM_OK;
}

/* Presence and bytes agree over [a, b). */
HARNESS static void
same_range(const struct nfqd_reasm *r, int64_t a, int64_t b)
{
	const uint8_t	*d = nfqd_reasm_data(r);
	int64_t		 i;

	if (a < 0)
		a = 0;
	if (b > MAX)
		b = MAX;
	for (i = a; i < b; i++) {
		ASSERT(nfqd_reasm_present(r, (size_t)i) == m.have[i]);
		if (m.have[i])
			ASSERT(d[i] == m.byte[i] && d[i] == m.recv[i]);
	}
}

static void
start_stream(struct nfqd_reasm **r, uint32_t seq0)
{
	if (*r != NULL) {
		same_range(*r, 0, MAX);
		ASSERT(!nfqd_reasm_present(*r, MAX));
		nfqd_reasm_put(pool, *r);
	}
	memset(&m, 0, sizeof(m));
	m.seq0 = seq0;
	*r = nfqd_reasm_get(pool, seq0);
	ASSERT(*r != NULL);
	ASSERT(nfqd_reasm_pool_used(pool) == 1);
	ASSERT(nfqd_reasm_seq0(*r) == seq0 && nfqd_reasm_contig(*r) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct nfqd_reasm	*r = NULL;
	uint32_t		 seq0, o, len;
	int64_t			 off;
	uint8_t			*seg, kind, p;
	unsigned		 fl, mfl;
	int			 res, mres;

	if (pool == NULL && (pool = nfqd_reasm_pool_new(2)) == NULL)
		abort();
	if (size < 4)
		return 0;
	seq0 = get16(in) << 16 | get16(in + 2);
	start_stream(&r, seq0);
	for (in += 4, size -= 4; size >= 6; in += 6, size -= 6) {
		o = get16(in);
		len = get16(in + 2) & 0x7fff;
		kind = in[4];
		p = in[5];
		if (kind >> 4 == 0xf) {
			start_stream(&r, m.seq0 + (o << 16) + len);
			continue;
		}
		off = kind >> 4 == 0xe ? (int64_t)((o << 16) + len) -
		    ((int64_t)1 << 31) : (int64_t)o - 2048;
		if ((seg = malloc(len > 0 ? len : 1)) == NULL)
			abort();
		fill(seg, off, len, kind & 3, p);
		fl = 0xff;
		res = nfqd_reasm_add(r, m.seq0 + (uint32_t)off, seg, len, &fl);
		mres = model_add(m.seq0 + (uint32_t)off, seg, len, &mfl);
		ASSERT(res == mres && fl == mfl);
		ASSERT(!(res == NFQD_REASM_CONFLICT && (fl & NFQD_REASM_NEW)));
		ASSERT(nfqd_reasm_contig(r) == m.contig);
		ASSERT(memcmp(nfqd_reasm_data(r), m.byte, m.contig) == 0);
		same_range(r, off, off + len);
		free(seg);
	}
	start_stream(&r, 0);
	nfqd_reasm_put(pool, r);
	ASSERT(nfqd_reasm_pool_used(pool) == 0);
	return 0;
}
