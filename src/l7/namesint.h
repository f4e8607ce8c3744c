/*
 * What the name sets' builder (names.c) and lookup (namematch.c) share:
 * a built set's layout and the hash both compute a name's slots with
 * (names.c says how a set is laid out and why the hash is so).
 */
#ifndef NFQD_L7_NAMESINT_H
#define NFQD_L7_NAMESINT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/l7/l7parse.h"
#include "nfqd/l7/names.h"

struct nfqd_names {
	uint32_t	*table;		/* slots; NULL when the set is empty */
	const uint8_t	*names;		/* entries [len][name] from offset 1 */
	size_t		 tbytes;	/* bytes of table */
	size_t		 nbytes;	/* bytes of names */
	uint32_t	 mask;		/* slots - 1 */
	uint32_t	 omask;		/* offset bits of a slot */
	uint32_t	 sub;		/* the "subdomains too" bit of a slot */
	unsigned	 tshift;	/* slot >> tshift is the tag */
	size_t		 count;		/* distinct names */
	uint64_t	 key[3];	/* the hash's keys (hash_keys()) */
	unsigned	 refs;		/* name sets that hold it (master) */
};

/*
 * The load's yield (nfqd_load_yield()), if one is set, and names-read,
 * the fault point: 0, or -1 to give up.
 */
int	nfqd_names_yield(void);

/* Little-endian loads, so that bit i of dots8() is byte i. */
static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint64_t
le32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

/* The 128-bit product of a and b, its halves folded. */
static inline uint64_t
mum(uint64_t a, uint64_t b)
{
	__uint128_t	r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * h, the hash of the labels to the right, extended by the label p[0..n)
 * to its left.  Every byte is read once or twice, none outside the label
 * (wyhash's overlapping reads), and n is mixed in.
 */
static inline uint64_t
hash_label(const uint64_t *key, uint64_t h, const uint8_t *p, size_t n)
{
	__uint128_t	r;
	uint64_t	a, b;
	size_t		i = n, d;

	if (n > 16) {
		for (; i > 16; i -= 16, p += 16)
			h = mum(le64(p) ^ key[0], le64(p + 8) ^ h);
		a = le64(p + i - 16);
		b = le64(p + i - 8);
	} else if (n >= 4) {
		d = (n >> 3) << 2;
		a = le32(p) << 32 | le32(p + d);
		b = le32(p + n - 4) << 32 | le32(p + n - 4 - d);
	} else if (n > 0) {
		a = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
		b = 0;
	} else {
		a = b = 0;
	}
	r = (__uint128_t)(a ^ key[1]) * (b ^ h);
	return mum((uint64_t)r ^ key[0] ^ n, (uint64_t)(r >> 64) ^ key[1]);
}

/* Bit i set where byte i of the little-endian word x is a dot. */
static inline uint64_t
dots8(uint64_t x)
{
	uint64_t	t = x ^ 0x2e2e2e2e2e2e2e2eull, y;

	/* 0x80 in each byte of t that is 0, exactly (no borrow). */
	y = (t & 0x7f7f7f7f7f7f7f7full) + 0x7f7f7f7f7f7f7f7full;
	y = ~(y | t | 0x7f7f7f7f7f7f7f7full);
	return (y >> 7) * 0x0102040810204080ull >> 56;
}

/*
 * The hash of each suffix of q[0..len) (len <= NFQD_L7_NAME_MAX) that
 * starts a label, shortest first, in hv[], where it starts in at[];
 * returns how many (the whole name last).  Each suffix's first slots in
 * s are prefetched as soon as its hash is known, so that the fetch
 * overlaps the hashing of the labels to its left.
 */
static inline size_t
hash_suffixes(const struct nfqd_names *s, const uint8_t *q, size_t len,
    uint64_t *hv, uint8_t *at)
{
	const uint64_t	*key = s->key;
	uint64_t	dots[4] = { 0, 0, 0, 0 }, m, h = key[2];
	const uint32_t	*t = s->table;
	size_t		i, end = len, n = 0, d;
	int		w;

	_Static_assert(NFQD_L7_NAME_MAX < 256, "dots[] holds every byte");
	if (len >= 8) {
		for (i = 0; i + 8 <= len; i += 8)
			dots[i >> 6] |= dots8(le64(q + i)) << (i & 63);
		/* The last 8 bytes, overlapping: no loop of unknown length. */
		if (i < len) {
			i = len - 8;
			m = dots8(le64(q + i));
			dots[i >> 6] |= m << (i & 63);
			if ((i & 63) > 56)
				dots[(i >> 6) + 1] |= m >> (64 - (i & 63));
		}
	} else {
		for (i = 0; i < len; i++)
			dots[0] |= (uint64_t)(q[i] == '.') << i;
	}
	for (w = (int)(len >> 6); w >= 0; w--) {
		for (m = dots[w]; m != 0; m ^= (uint64_t)1 << (d & 63)) {
			d = (size_t)w * 64 + 63 - (size_t)__builtin_clzll(m);
			h = hash_label(key, h, q + d + 1, end - d - 1);
			__builtin_prefetch(&t[(uint32_t)h & s->mask]);
			hv[n] = h;
			at[n++] = (uint8_t)(d + 1);
			end = d;
		}
	}
	hv[n] = h = hash_label(key, h, q, end);
	__builtin_prefetch(&t[(uint32_t)h & s->mask]);
	at[n++] = 0;
	return n;
}

#endif
