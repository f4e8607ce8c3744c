/*
 * libFuzzer target for the HPACK decoder (nfqd_hpack_decode()).
 *
 * Input: 3 bytes, then header blocks.  The first two bytes cut the rest
 * into up to 3 blocks (at byte * (n + 1) / 256, the two in order), decoded
 * one after another by one decoder, so its dynamic table carries over
 * (and decoding goes on after a refusal, which must not crash); the third
 * byte's low 2 bits pick the max given to the decoder (0, 256, 4096, or
 * 2^20, which it takes as NFQD_HPACK_TABLE_MAX), the rest the field at
 * which the callback returns 3 (0: never).  Each block is copied to an
 * allocation of exactly its size.  Asserted: every field's name and value
 * lie in the block's copy, in the decoder's table, in the Huffman buffer
 * (nfqd_hpack_scratch()), or are a static table entry's (learnt from the
 * decoder: indexes 1 to 61); the result is 0 with no why, -1 with a why
 * in range, or the callback's 3 with no why; after each block the
 * decoder's limit is the max given cut to NFQD_HPACK_TABLE_MAX, the
 * table's entries lie in its buffer in order, their sizes add up to its
 * size, at most its max, that at most the decoder's limit; and a second
 * run with a fresh decoder gives the same fields (hashed), results and
 * whys.
 *
 * Seeds (tests/fuzz/corpus/hpack/): RFC 7541 Appendix C's blocks, one
 * file a section, prefixed so the cuts fall between the blocks.
 *
 *   make fuzz; d=$(mktemp -d); cp -r tests/fuzz/corpus/hpack/. $d
 *   build/fuzz/fuzz_hpack -max_total_time=60 $d
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/hpack.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

/* The static table's entries as the decoder gives them. */
static struct {
	const uint8_t	*name, *value;
	uint32_t	 nlen, vlen;
}		statics[61];
static unsigned	nstat;

struct run {
	struct nfqd_hpack	*d;
	const uint8_t		*blk;
	size_t			 len;
	uint64_t		 hash;
	unsigned		 fields, stop;
};

static void
mix(uint64_t *h, const void *p, size_t n)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ull;
	}
}

static bool
within(const uint8_t *p, uint32_t n, const void *base, size_t size)
{
	uintptr_t	a = (uintptr_t)p, b = (uintptr_t)base;

	return a >= b && a - b <= size && n <= size - (a - b);
}

/* p[0..n) is in the block, the decoder's storage, or a static entry's. */
static bool
placed(const struct run *r, const uint8_t *p, uint32_t n, bool name)
{
	const uint8_t	*sc;
	size_t		 sclen;
	unsigned	 i;

	sc = nfqd_hpack_scratch(&sclen);
	if ((r->len > 0 && within(p, n, r->blk, r->len)) ||
	    within(p, n, r->d->buf, r->d->tail) || within(p, n, sc, sclen))
		return true;
	for (i = 0; i < nstat; i++)
		if (name ? p == statics[i].name && n == statics[i].nlen :
		    p == statics[i].value && n == statics[i].vlen)
			return true;
	return false;
}

static int
cb(void *arg, const struct nfqd_hpack_field *f)
{
	struct run	*r = arg;

	ASSERT(f->rep <= NFQD_HPACK_NEVER);
	ASSERT(f->nlen <= NFQD_HPACK_SCRATCH && f->vlen <= NFQD_HPACK_SCRATCH);
	ASSERT(placed(r, f->name, f->nlen, true));
	ASSERT(placed(r, f->value, f->vlen, false));
	mix(&r->hash, &f->rep, 1);
	mix(&r->hash, &f->nlen, sizeof(f->nlen));
	mix(&r->hash, f->name, f->nlen);
	mix(&r->hash, &f->vlen, sizeof(f->vlen));
	mix(&r->hash, f->value, f->vlen);
	return ++r->fields == r->stop ? 3 : 0;
}

static int
learn(void *arg, const struct nfqd_hpack_field *f)
{
	(void)arg;
	if (nstat < 61) {
		statics[nstat].name = f->name;
		statics[nstat].nlen = f->nlen;
		statics[nstat].value = f->value;
		statics[nstat].vlen = f->vlen;
		nstat++;
	}
	return 0;
}

/* Indexes 1 to 61 from the decoder itself, once. */
static void
learn_static(void)
{
	static struct nfqd_hpack	d;
	uint8_t				b[61];
	unsigned			i, why;

	if (nstat > 0)
		return;
	for (i = 0; i < 61; i++)
		b[i] = (uint8_t)(0x80 | (i + 1));
	nfqd_hpack_init(&d, 0);
	ASSERT(nfqd_hpack_decode(&d, b, sizeof(b), learn, NULL, &why) == 0);
	ASSERT(nstat == 61);
}

/* The entries lie in buf[] in order, below tail; their sizes add up. */
static void
check_table(const struct nfqd_hpack *d)
{
	const struct nfqd_hpack_entry	*e;
	uint32_t			 k, end = 0, sum = 0;

	ASSERT(d->size <= d->max && d->max <= d->limit &&
	    d->n <= NFQD_HPACK_ENTRIES && d->tail <= NFQD_HPACK_TABLE_MAX &&
	    (d->n > 0 || d->tail == 0));
	for (k = 0; k < d->n; k++) {
		e = &d->ent[(d->first + k) % NFQD_HPACK_ENTRIES];
		ASSERT(e->off >= end);
		end = e->off + e->nlen + e->vlen;
		sum += (uint32_t)e->nlen + e->vlen + 32;
	}
	ASSERT(end <= d->tail && sum == d->size);
}

/* Decode the blocks data[cut[i - 1]..cut[i]); the hash of it all. */
static uint64_t
run(const uint8_t *data, size_t n, const size_t *cut, uint32_t max,
    unsigned stop)
{
	struct run	r;
	size_t		a = 0, e;
	unsigned	i, why;
	uint8_t		*b;
	int		res;

	ASSERT(cut[0] <= cut[1] && cut[1] <= cut[2] && cut[2] == n);
	if ((r.d = malloc(sizeof(*r.d))) == NULL)
		abort();
	nfqd_hpack_init(r.d, max);
	r.hash = 0xcbf29ce484222325ull;
	r.fields = 0;
	r.stop = stop;
	for (i = 0; i < 3; i++, a = e) {
		e = cut[i];
		/* Exactly the block: a read past it is past the allocation. */
		if ((b = malloc(e - a > 0 ? e - a : 1)) == NULL)
			abort();
		memcpy(b, data + a, e - a);
		r.blk = b;
		r.len = e - a;
		res = nfqd_hpack_decode(r.d, b, e - a, cb, &r, &why);
		if (res == 0 || res == 3)
			ASSERT(why == NFQD_HPACK_R_NONE);
		else
			ASSERT(res == -1 && why > NFQD_HPACK_R_NONE &&
			    why < NFQD_HPACK_R_MAX);
		ASSERT(r.d->limit == (max > NFQD_HPACK_TABLE_MAX ?
		    NFQD_HPACK_TABLE_MAX : max));
		check_table(r.d);
		mix(&r.hash, &res, sizeof(res));
		mix(&r.hash, &why, sizeof(why));
		free(b);
	}
	free(r.d);
	return r.hash;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t	maxes[4] = { 0, 256, 4096, 1u << 20 };
	size_t			cut[3], n;
	uint32_t		max;
	unsigned		stop;
	uint64_t		h;

	if (size < 3)
		return 0;
	learn_static();
	n = size - 3;
	cut[0] = (size_t)data[0] * (n + 1) / 256;
	cut[1] = (size_t)data[1] * (n + 1) / 256;
	if (cut[1] < cut[0])
		cut[1] = cut[0];
	cut[2] = n;
	max = maxes[data[2] & 3];
	stop = data[2] >> 2;
	h = run(data + 3, n, cut, max, stop);
	ASSERT(run(data + 3, n, cut, max, stop) == h);
	return 0;
}
