/*
 * Name sets: the lookup, on the packet path (names.c says how a set is
 * laid out and built).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nfqd/l7/l7parse.h"
#include "nfqd/l7/names.h"
#include "namesint.h"

/*
 * a[0..n) == b[0..n), for names (at most 253 bytes) on the packet path:
 * eight bytes a step, inline, where memcmp() of a length known only at
 * run time is a call into the C library, one more page that a worker
 * maps again after each system call (see docs/performance.md).
 */
static inline bool
same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t	x, y;

	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	for (; n > 0; a++, b++, n--)
		if (*a != *b)
			return false;
	return true;
}

/*
 * The four slots from t: bit k set when slot k is a candidate (its tag
 * and meaning bits equal want's under cmp) before the first empty slot;
 * bit 4 set when none of the four is empty, so the probe goes on.  Tested
 * without branching, so that a miss's one branch (an empty slot among the
 * four) is taken nearly always and predicted.
 */
static inline unsigned
group(const uint32_t *t, uint32_t want, uint32_t cmp)
{
	unsigned	hit, empty;
#ifdef __SSE2__
	__m128i		v = _mm_loadu_si128((const __m128i *)(const void *)t);
	__m128i		z = _mm_setzero_si128(), x;

	x = _mm_and_si128(_mm_xor_si128(v, _mm_set1_epi32((int)want)),
	    _mm_set1_epi32((int)cmp));
	hit = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(x,
	    z)));
	empty = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v,
	    z)));
#else
	hit = (unsigned)(((t[0] ^ want) & cmp) == 0) |
	    (unsigned)(((t[1] ^ want) & cmp) == 0) << 1 |
	    (unsigned)(((t[2] ^ want) & cmp) == 0) << 2 |
	    (unsigned)(((t[3] ^ want) & cmp) == 0) << 3;
	empty = (unsigned)(t[0] == 0) | (unsigned)(t[1] == 0) << 1 |
	    (unsigned)(t[2] == 0) << 2 | (unsigned)(t[3] == 0) << 3;
#endif
	if (empty == 0)
		return hit | 16;
	return hit & ((empty & -empty) - 1);
}

/* What group() looks for: the tag of h, and the "subdomains too" bit
 * unless the suffix is the whole query (exact). */
static inline void
wanted(const struct nfqd_names *s, uint64_t h, int exact, uint32_t *want,
    uint32_t *cmp)
{
	uint32_t	need = exact ? 0 : s->sub;

	*want = ((uint32_t)(h >> 32) >> s->tshift) << s->tshift | need;
	*cmp = ~(uint32_t)0 << s->tshift | need;
}

/* Is q[0..len), whose hash is h, in the set, as a parent (exact 0) or
 * as the query itself (exact 1)? */
static int
probe(const struct nfqd_names *s, uint64_t h, const uint8_t *q, size_t len,
    int exact)
{
	uint32_t	i = (uint32_t)h & s->mask, want, cmp;
	unsigned	hit;
	const uint8_t	*e;

	wanted(s, h, exact, &want, &cmp);
	for (;; i = (i + 4) & s->mask) {
		hit = group(s->table + i, want, cmp);
		for (; (hit & 15) != 0; hit &= hit - 1) {
			e = s->names + (s->table[i +
			    (unsigned)__builtin_ctz(hit)] & s->omask);
			if (e[0] == len && same_bytes(e + 1, q, len))
				return 1;
		}
		if (hit == 0)
			return 0;
	}
}

/*
 * A query's length after its trailing dot (a normalized name has none;
 * should one come through, it must not be a way around the set), and
 * whether there is anything to look up: not for an empty set, an empty or
 * too long name.
 */
static bool
query_len(const struct nfqd_names *s, const uint8_t *q, size_t *len)
{
	if (*len > 0 && q[*len - 1] == '.')
		(*len)--;
	return s->count != 0 && *len != 0 && *len <= NFQD_L7_NAME_MAX;
}

/* hash_suffixes() of a query after query_len(); 0: nothing to look up. */
static size_t
query_suffixes(const struct nfqd_names *s, const uint8_t *q, size_t *len,
    uint64_t *hv, uint8_t *at)
{
	if (!query_len(s, q, len))
		return 0;
	return hash_suffixes(s, q, *len, hv, at);
}

/*
 * The names nfqd_names_prefetch() hashed last, with their suffixes'
 * hashes and offsets: nfqd_names_match() of the same name (the decision
 * that follows the batch's hints) takes them instead of hashing again.
 * A suffix's hash is a function of the keys and the bytes alone, so a
 * name hashed under the same keys (every set a process builds has them,
 * hash_keys(); they are compared anyway) gets these hashes in any set.
 * Direct-mapped by length and first byte; an entry another name took,
 * or a name with more suffixes than MEMO_SUFFIXES, is hashed again.  As
 * many slots as a batch has messages by default (queue.batch 64), so
 * that a batch's hellos seldom take each other's: with 8, 12% of the
 * flood's names were hashed again in bench_flows (batches of 3 flows),
 * with 64 2%.  64 slots of about 360 bytes; a name touches its own.
 * One per process: a worker matches names on its one thread (its pcap
 * writer's thread matches none).
 */
#define MEMO_SLOTS	64
#define MEMO_SUFFIXES	8

struct memo {
	uint64_t	key[3];		/* key[0] 0: empty (hash_keys() sets
					   bit 0) */
	uint8_t		len;
	uint8_t		n;		/* of hv[] and at[] */
	uint8_t		at[MEMO_SUFFIXES];
	uint64_t	hv[MEMO_SUFFIXES];
	uint8_t		name[NFQD_L7_NAME_MAX];
};

static struct memo	memo[MEMO_SLOTS];

static struct memo *
memo_slot(const uint8_t *q, size_t len)
{
	return &memo[(len ^ q[0]) & (MEMO_SLOTS - 1)];
}

static void
memo_put(const struct nfqd_names *s, const uint8_t *q, size_t len,
    const uint64_t *hv, const uint8_t *at, size_t n)
{
	struct memo	*m = memo_slot(q, len);

	if (n > MEMO_SUFFIXES) {
		m->key[0] = 0;
		return;
	}
	memcpy(m->key, s->key, sizeof(m->key));
	m->len = (uint8_t)len;
	m->n = (uint8_t)n;
	memcpy(m->at, at, n);
	memcpy(m->hv, hv, n * sizeof(hv[0]));
	memcpy(m->name, q, len);
}

/* The memo of q[0..len) under s's keys, or NULL. */
static const struct memo *
memo_get(const struct nfqd_names *s, const uint8_t *q, size_t len)
{
	const struct memo	*m = memo_slot(q, len);

	if (m->key[0] == 0 || m->len != len ||
	    memcmp(m->key, s->key, sizeof(m->key)) != 0 ||
	    !same_bytes(m->name, q, len))
		return NULL;
	return m;
}

size_t
nfqd_names_prefetch(const struct nfqd_names *s, const char *name, size_t len,
    uint64_t *out, size_t max)
{
	uint64_t	 hv[NFQD_L7_NAME_MAX];
	uint8_t		 at[NFQD_L7_NAME_MAX];
	size_t		 n, k;

	/* hash_suffixes() prefetches each suffix's first slots. */
	n = query_suffixes(s, (const uint8_t *)name, &len, hv, at);
	if (n > 0)
		memo_put(s, (const uint8_t *)name, len, hv, at, n);
	k = n < max ? n : max;
	if (k > 0)
		memcpy(out, hv + n - k, k * sizeof(hv[0]));
	return k;
}

void
nfqd_names_prefetch_names(const struct nfqd_names *s, const uint64_t *hv,
    size_t n)
{
	uint32_t	 i, want, cmp;
	unsigned	 hit;
	size_t		 k;

	if (s->count == 0)
		return;
	/* The whole name, last, is an exact probe; its suffixes are not. */
	for (k = 0; k < n; k++) {
		i = (uint32_t)hv[k] & s->mask;
		wanted(s, hv[k], k + 1 == n, &want, &cmp);
		for (hit = group(s->table + i, want, cmp) & 15; hit != 0;
		    hit &= hit - 1)
			__builtin_prefetch(s->names + (s->table[i +
			    (unsigned)__builtin_ctz(hit)] & s->omask));
	}
}

int
nfqd_names_match(const struct nfqd_names *s, const char *name, size_t len)
{
	const uint8_t		*q = (const uint8_t *)name;
	const struct memo	*m;
	/* Suffixes start at 0 and after each dot: at most len of them. */
	uint64_t		 hv[NFQD_L7_NAME_MAX];
	uint8_t			 at[NFQD_L7_NAME_MAX];
	const uint64_t		*h = hv;
	const uint8_t		*a = at;
	size_t			 k, n;

	if (!query_len(s, q, &len))
		return 0;
	if ((m = memo_get(s, q, len)) != NULL) {
		n = m->n;
		h = m->hv;
		a = m->at;
	} else
		n = hash_suffixes(s, q, len, hv, at);
	for (k = 0; k < n; k++)
		if (probe(s, h[k], q + a[k], len - a[k], a[k] == 0))
			return 1;
	return 0;
}
