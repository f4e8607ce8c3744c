/*
 * TCP reassembly of a stream's first NFQD_REASM_MAX bytes (the policy is
 * in include/nfqd/l7/reasm.h): a byte array, a bitmap of the bytes
 * present, and two marks that keep the common cases O(1) per segment.
 *
 * contig only grows, and the bitmap is scanned from it a word at a time,
 * so keeping it up to date costs O(NFQD_REASM_MAX / 64) per stream in
 * all.  hi is one past the highest byte ever stored: a segment that
 * starts at or past hi overlaps nothing (an in-order segment appended at
 * contig == hi is a memcpy and a bitmap range set), and only the bitmap
 * words below hi need clearing when the buffer goes back to the pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nfqd/l7/reasm.h"

#define MAPWORDS	(NFQD_REASM_MAX / 64)

struct nfqd_reasm {
	uint32_t		 seq0;	/* sequence number of byte 0 */
	uint32_t		 contig; /* bytes present from byte 0 */
	uint32_t		 hi;	/* one past the highest byte present:
					   map is 0 from it */
	uint32_t		 inuse;	/* handed out by get, not yet put */
	struct nfqd_reasm	*next;	/* the pool's free list */
	uint64_t		 map[MAPWORDS];	/* bit i of word w: byte
						   w * 64 + i is present */
	uint8_t			 buf[NFQD_REASM_MAX];
} __attribute__((aligned(64)));

struct nfqd_reasm_pool {
	size_t			 size;	/* bytes mapped, for munmap */
	unsigned		 n;	/* buffers */
	unsigned		 used;	/* buffers handed out */
	unsigned		 fresh;	/* bufs[fresh .. n) never handed
					   out: their pages untouched */
	struct nfqd_reasm	*free;	/* buffers put back, LIFO: one just
					   put is still in the cache */
	struct nfqd_reasm	*bufs;	/* bufs[0 .. n), in the same
					   mapping, after this */
};

/* Where the buffers start in the mapping: past the pool, cache-aligned. */
#define POOL_HDR	((sizeof(struct nfqd_reasm_pool) + 63) & ~(size_t)63)

struct nfqd_reasm_pool *
nfqd_reasm_pool_new(unsigned n)
{
	struct nfqd_reasm_pool	*pool;
	size_t			 size;
	void			*p;

	if (n == 0 || __builtin_mul_overflow((size_t)n,
	    sizeof(struct nfqd_reasm), &size) ||
	    __builtin_add_overflow(size, POOL_HDR, &size)) {
		errno = EINVAL;
		return NULL;
	}
	/* Anonymous pages are zero (every bitmap empty) and are committed
	 * only when touched: a pool sized for the worst case costs little
	 * until flows use it. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	pool = p;
	pool->size = size;
	pool->n = n;
	pool->used = 0;
	pool->bufs = (struct nfqd_reasm *)((char *)p + POOL_HDR);
	/* Handed out from the lowest, each buffer only when first needed:
	 * no page of one is written before (no free list threaded through
	 * them all, which would touch a page of every buffer). */
	pool->fresh = 0;
	pool->free = NULL;
	return pool;
}

void
nfqd_reasm_pool_free(struct nfqd_reasm_pool *pool)
{
	if (pool != NULL)
		munmap(pool, pool->size);
}

struct nfqd_reasm *
nfqd_reasm_get(struct nfqd_reasm_pool *pool, uint32_t seq0)
{
	struct nfqd_reasm	*r = pool->free;

	if (r != NULL)
		pool->free = r->next;
	else if (pool->fresh < pool->n)
		r = &pool->bufs[pool->fresh++];	/* zero: map empty */
	else
		return NULL;
	pool->used++;
	r->next = NULL;
	r->inuse = 1;
	r->seq0 = seq0;
	r->contig = 0;
	r->hi = 0;
	return r;
}

void
nfqd_reasm_put(struct nfqd_reasm_pool *pool, struct nfqd_reasm *r)
{
	uintptr_t	off;

	if (r == NULL)
		return;
	off = (uintptr_t)r - (uintptr_t)pool->bufs;
	/* A second put would link the buffer into the free list twice and
	 * hand it to two flows, each reading the other's bytes: stop here. */
	if ((uintptr_t)r < (uintptr_t)pool->bufs ||
	    off / sizeof(*r) >= pool->fresh || off % sizeof(*r) != 0 ||
	    !r->inuse)
		abort();
	/* The map is empty past hi; the bytes need no clearing, as only
	 * bytes the map says are present are ever read. */
	memset(r->map, 0, (r->hi + 63) / 64 * sizeof(r->map[0]));
	r->inuse = 0;
	r->next = pool->free;
	pool->free = r;
	pool->used--;
}

unsigned
nfqd_reasm_pool_used(const struct nfqd_reasm_pool *pool)
{
	return pool->used;
}

/* The first byte in [i, end) that is present, or end. */
static uint32_t
next_set(const uint64_t *map, uint32_t i, uint32_t end)
{
	uint64_t	w;

	while (i < end) {
		w = map[i / 64] >> (i % 64);
		if (w != 0) {
			i += (uint32_t)__builtin_ctzll(w);
			return i < end ? i : end;
		}
		i = (i | 63) + 1;
	}
	return end;
}

/* The first byte in [i, end) that is absent, or end. */
static uint32_t
next_clear(const uint64_t *map, uint32_t i, uint32_t end)
{
	uint64_t	w;

	while (i < end) {
		/* The shift brings in zeros, which read as "absent" only
		 * past bit 63: they end the word, not the run. */
		w = ~map[i / 64] >> (i % 64);
		if (w != 0) {
			i += (uint32_t)__builtin_ctzll(w);
			return i < end ? i : end;
		}
		i = (i | 63) + 1;
	}
	return end;
}

/* Mark bytes [a, b) present, a < b. */
static void
map_set(uint64_t *map, uint32_t a, uint32_t b)
{
	uint32_t	wa = a / 64, wb = (b - 1) / 64;
	uint64_t	first = ~(uint64_t)0 << (a % 64);
	uint64_t	last = ~(uint64_t)0 >> (63 - (b - 1) % 64);

	if (wa == wb) {
		map[wa] |= first & last;
		return;
	}
	map[wa] |= first;
	while (++wa < wb)
		map[wa] = ~(uint64_t)0;
	map[wb] |= last;
}

/*
 * Whether the stored bytes in [a, b) equal src (src[0] is byte a); *have
 * gets how many of them are stored.
 */
static int
same(const struct nfqd_reasm *r, uint32_t a, uint32_t b, const uint8_t *src,
    uint32_t *have)
{
	uint32_t	i = a, e, lim;

	*have = 0;
	/* Below contig every byte is present: one comparison. */
	if (i < r->contig) {
		e = b < r->contig ? b : r->contig;
		if (memcmp(r->buf + i, src, e - i) != 0)
			return 0;
		*have = e - i;
		i = e;
	}
	lim = b < r->hi ? b : r->hi;
	while (i < lim) {
		i = next_set(r->map, i, lim);
		if (i == lim)
			break;
		e = next_clear(r->map, i, lim);
		if (memcmp(r->buf + i, src + (i - a), e - i) != 0)
			return 0;
		*have += e - i;
		i = e;
	}
	return 1;
}

enum nfqd_reasm_res
nfqd_reasm_add(struct nfqd_reasm *r, uint32_t seq, const uint8_t *data,
    size_t len, unsigned *flags)
{
	int64_t		start;
	uint32_t	a, b, have;
	unsigned	fl = 0;

	if (flags != NULL)
		*flags = 0;
	if (len == 0)
		return NFQD_REASM_OK;
	/* The stream offset of data[0], from -2^31 to 2^31 - 1. */
	start = (int32_t)(seq - r->seq0);
	if (start >= NFQD_REASM_MAX) {
		if (flags != NULL)
			*flags = NFQD_REASM_PAST;
		return NFQD_REASM_OK;
	}
	/* start < MAX, so MAX - start < 2^32: no sum below can wrap. */
	if (len > (uint64_t)(NFQD_REASM_MAX - start)) {
		fl |= NFQD_REASM_PAST;
		b = NFQD_REASM_MAX;
	} else
		b = (uint32_t)(start + (int64_t)len);
	if (start < 0) {
		/* Before byte 0: the SYN's own sequence number or older. */
		if ((uint64_t)-start >= len) {
			if (flags != NULL)
				*flags = fl;
			return NFQD_REASM_OK;
		}
		data += -start;
		a = 0;
	} else
		a = (uint32_t)start;

	if (a >= r->hi)
		have = 0;		/* past all stored: no overlap */
	else if (!same(r, a, b, data, &have)) {
		if (flags != NULL)
			*flags = fl;
		return NFQD_REASM_CONFLICT;
	}
	if (have < b - a) {
		/* The stored bytes equal these: copy the range whole. */
		memcpy(r->buf + a, data, b - a);
		map_set(r->map, a, b);
		if (b > r->hi)
			r->hi = b;
		if (r->contig >= a && r->contig < b)
			r->contig = next_clear(r->map, b, r->hi);
		fl |= NFQD_REASM_NEW;
	}
	if (flags != NULL)
		*flags = fl;
	return NFQD_REASM_OK;
}

size_t
nfqd_reasm_contig(const struct nfqd_reasm *r)
{
	return r->contig;
}

const uint8_t *
nfqd_reasm_data(const struct nfqd_reasm *r)
{
	return r->buf;
}

uint32_t
nfqd_reasm_seq0(const struct nfqd_reasm *r)
{
	return r->seq0;
}

size_t
nfqd_reasm_ahead(const struct nfqd_reasm *r)
{
	return r->hi - r->contig;
}

/* The bytes from n to hi, gaps and all, and their bits, move down n. */
static void
shift_down(struct nfqd_reasm *r, uint32_t n)
{
	uint32_t	words, w, ws, bs;

	memmove(r->buf, r->buf + n, r->hi - n);
	words = (r->hi + 63) / 64;
	ws = n / 64;
	bs = n % 64;
	for (w = 0; w + ws < words; w++) {
		r->map[w] = r->map[w + ws] >> bs;
		if (bs != 0 && w + ws + 1 < words)
			r->map[w] |= r->map[w + ws + 1] << (64 - bs);
	}
	for (; w < words; w++)
		r->map[w] = 0;
}

int
nfqd_reasm_advance(struct nfqd_reasm *r, size_t n)
{
	if (n > r->contig)
		return -1;
	if (n == 0)
		return 0;
	shift_down(r, (uint32_t)n);
	r->seq0 += (uint32_t)n;
	r->contig -= (uint32_t)n;
	r->hi -= (uint32_t)n;
	return 0;
}

int
nfqd_reasm_skip(struct nfqd_reasm *r, uint64_t n)
{
	uint32_t	hi;

	if (n <= r->contig)
		return nfqd_reasm_advance(r, (size_t)n);
	if (n >= r->hi) {
		/* Nothing stored is kept: the map is cleared as by put. */
		memset(r->map, 0, (r->hi + 63) / 64 * sizeof(r->map[0]));
		r->seq0 += (uint32_t)n;
		r->contig = r->hi = 0;
		return 0;
	}
	/* As advance, for bytes stored past a gap; n < hi <= MAX. */
	shift_down(r, (uint32_t)n);
	hi = r->hi - (uint32_t)n;
	r->seq0 += (uint32_t)n;
	r->hi = hi;
	r->contig = next_clear(r->map, 0, hi);
	return 0;
}

int
nfqd_reasm_present(const struct nfqd_reasm *r, size_t off)
{
	if (off >= NFQD_REASM_MAX)
		return 0;
	return (int)(r->map[off / 64] >> (off % 64) & 1);
}

void
nfqd_reasm_tcp_span(uint32_t seq, uint32_t paylen, uint8_t tcp_flags,
    struct nfqd_reasm_span *sp)
{
	sp->seq = seq + ((tcp_flags & NFQD_TCP_SYN) ? 1 : 0);
	if (tcp_flags & NFQD_TCP_RST) {
		/* Neither a RST's payload nor its FIN bit is stream. */
		sp->len = 0;
		sp->end = sp->seq;
		return;
	}
	sp->len = paylen;
	sp->end = sp->seq + paylen + ((tcp_flags & NFQD_TCP_FIN) ? 1 : 0);
}
