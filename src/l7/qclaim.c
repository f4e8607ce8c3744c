/*
 * The shared table of claimed QUIC connection IDs (qclaim.h says why and
 * how it is kept safe without locks).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nfqd/l7/qclaim.h"
#include "nfqd/nfqd.h"
#include "nfqd/util.h"

#define TAB_MAGIC	0x4d4c4351u	/* "QCLM" */
#define CID_MAX		20

/* The mapping's first line; nothing reads it back (see below). */
struct tab_hdr {
	uint32_t	magic;
	uint32_t	nways;
	uint64_t	nb;		/* buckets */
	uint64_t	size;		/* of the mapping */
	uint64_t	seed;
} __attribute__((aligned(NFQD_CACHELINE)));

/*
 * A process's handle on the mapping: its geometry as the master made it,
 * copied before the first fork, since every worker can write the
 * mapping's header.
 */
struct nfqd_qclaim_tab {
	char		*base;		/* the mapping */
	uint64_t	 nb;		/* buckets */
	uint64_t	 size;		/* of the mapping */
	uint64_t	 seed;
	/* The master's count of live claims (nfqd_qclaim_sweep()): */
	uint64_t	*part;		/* live claims of each part, as last
					   counted (nparts entries) */
	uint64_t	 nparts;
	uint64_t	 next;		/* the part the next sweep counts */
	size_t		 pagesz;
};

struct bucket {
	uint64_t	w[NFQD_QCLAIM_WAYS];	/* tag << 32 | end, 0: free */
} __attribute__((aligned(NFQD_CACHELINE)));

_Static_assert(sizeof(struct bucket) == NFQD_CACHELINE, "a bucket a line");
_Static_assert(sizeof(struct tab_hdr) == NFQD_CACHELINE,
    "the header a line");

uint64_t
nfqd_qclaim_slots(uint64_t slots)
{
	if (slots < NFQD_QCLAIM_MIN)
		slots = NFQD_QCLAIM_MIN;
	if (slots > NFQD_QCLAIM_MAX)
		slots = NFQD_QCLAIM_MAX;
	return (slots + NFQD_QCLAIM_WAYS - 1) / NFQD_QCLAIM_WAYS *
	    NFQD_QCLAIM_WAYS;
}

size_t
nfqd_qclaim_size(uint64_t slots)
{
	return sizeof(struct tab_hdr) + (size_t)(nfqd_qclaim_slots(
	    slots) / NFQD_QCLAIM_WAYS) * sizeof(struct bucket);
}

struct nfqd_qclaim_tab *
nfqd_qclaim_create(uint64_t slots, uint64_t seed)
{
	struct nfqd_qclaim_tab	*t;
	struct tab_hdr		*h;
	size_t			 size = nfqd_qclaim_size(slots);
	void			*p;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->nb = nfqd_qclaim_slots(slots) / NFQD_QCLAIM_WAYS;
	t->nparts = (t->nb + NFQD_QCLAIM_PART - 1) / NFQD_QCLAIM_PART;
	if ((t->part = calloc(t->nparts, sizeof(*t->part))) == NULL) {
		free(t);
		return NULL;
	}
	t->pagesz = (size_t)sysconf(_SC_PAGESIZE);
	/* Zero pages, touched only as claims come. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		free(t->part);
		free(t);
		return NULL;
	}
	t->base = p;
	t->size = size;
	t->seed = seed;
	/* As before, for a reader of the mapping; nothing reads them. */
	h = p;
	h->magic = TAB_MAGIC;
	h->nways = NFQD_QCLAIM_WAYS;
	h->nb = t->nb;
	h->size = t->size;
	return t;
}

void
nfqd_qclaim_destroy(struct nfqd_qclaim_tab *t)
{
	if (t == NULL)
		return;
	munmap(t->base, t->size);
	free(t->part);
	free(t);
}

uint64_t
nfqd_qclaim_parts(const struct nfqd_qclaim_tab *t)
{
	return t->nparts;
}

uint64_t
nfqd_qclaim_capacity(const struct nfqd_qclaim_tab *t)
{
	return t->nb * NFQD_QCLAIM_WAYS;
}

static inline struct bucket *
buckets(const struct nfqd_qclaim_tab *t)
{
	return (struct bucket *)(void *)(t->base + sizeof(struct tab_hdr));
}

/* The keyed hash of an ID of len bytes (at most CID_MAX). */
static uint64_t
cid_hash(uint64_t seed, const uint8_t *cid, size_t len)
{
	uint64_t	w[3] = { 0, 0, 0 }, h;

	memcpy(w, cid, len);
	h = nfqd_mix64(w[0] ^ seed);
	h = nfqd_mix64(w[1] ^ h ^ (seed >> 17));
	return nfqd_mix64(w[2] ^ h ^ ((uint64_t)len << 56));
}

static inline uint32_t
w_end(uint64_t w)
{
	return (uint32_t)w;
}

static inline uint32_t
w_tag(uint64_t w)
{
	return (uint32_t)(w >> 32);
}

/* Whether slot word w holds a claim that lives at second now. */
static inline bool
live(uint64_t w, uint32_t now)
{
	return w != 0 && (int32_t)(w_end(w) - now) > 0;
}

/* The two buckets ID cid[0..len) may lie in, and its tag. */
static uint32_t
locate(const struct nfqd_qclaim_tab *t, const uint8_t *cid, size_t len,
    struct bucket *b[2])
{
	uint64_t	h;
	uint32_t	tag;

	if (len > CID_MAX)
		len = CID_MAX;
	h = cid_hash(t->seed, cid, len);
	b[0] = &buckets(t)[(uint64_t)(((unsigned __int128)h * t->nb) >> 64)];
	b[1] = &buckets(t)[(uint64_t)(((unsigned __int128)nfqd_mix64(h ^
	    0x243f6a8885a308d3ull) * t->nb) >> 64)];
	tag = (uint32_t)nfqd_mix64(h ^ 0x9e3779b97f4a7c15ull);
	return tag != 0 ? tag : 1;
}

/* The second a claim made at now for life seconds ends (never 0). */
static inline uint32_t
claim_end(uint32_t now, uint32_t life)
{
	uint32_t	end = now + life;

	return end != 0 ? end : 1;
}

/* Whether a live claim of tag lies in b's slots but skip (-1: none). */
static bool
holds(struct bucket *b, uint32_t tag, uint32_t now, int skip)
{
	uint64_t	w;
	int		i;

	for (i = 0; i < NFQD_QCLAIM_WAYS; i++) {
		if (i == skip)
			continue;
		w = __atomic_load_n(&b->w[i], __ATOMIC_SEQ_CST);
		if (live(w, now) && w_tag(w) == tag)
			return true;
	}
	return false;
}

/* b's first slot without a live claim (-1: none) and how many there are. */
static int
first_free(struct bucket *b, uint32_t now, uint64_t *old, int *nfree)
{
	uint64_t	w;
	int		i, first = -1;

	*nfree = 0;
	for (i = 0; i < NFQD_QCLAIM_WAYS; i++) {
		w = __atomic_load_n(&b->w[i], __ATOMIC_SEQ_CST);
		if (live(w, now))
			continue;
		if (first == -1) {
			first = i;
			*old = w;
		}
		(*nfree)++;
	}
	return first;
}

/*
 * An ID may lie in either of two buckets (its hash picks both): a claim
 * goes to the one with more free slots, which keeps a bucket from filling
 * while the table has room: filling 524,288 slots, none of the first
 * 393,216 claims (three quarters) found both full, 0.7% of the first
 * 471,859 (nine tenths); with one bucket, 1.6% of the first 300,000.
 */
enum nfqd_qclaim_res
nfqd_qclaim_take(struct nfqd_qclaim_tab *t, const uint8_t *cid, size_t len,
    uint32_t now, uint32_t life, struct nfqd_qclaim_ref *ref)
{
	struct bucket	*b[2], *bb;
	uint64_t	 old[2], mine, w;
	uint32_t	 tag, end;
	int		 f[2], nfree[2], k, tries;

	ref->slot = NULL;
	ref->word = 0;
	tag = locate(t, cid, len, b);
	end = claim_end(now, life);
	mine = (uint64_t)tag << 32 | end;
	for (tries = 0; tries < 4 * NFQD_QCLAIM_WAYS; tries++) {
		if (holds(b[0], tag, now, -1) || (b[1] != b[0] &&
		    holds(b[1], tag, now, -1)))
			return NFQD_QCLAIM_HELD;
		f[0] = first_free(b[0], now, &old[0], &nfree[0]);
		f[1] = first_free(b[1], now, &old[1], &nfree[1]);
		if (f[0] == -1 && f[1] == -1)
			return NFQD_QCLAIM_FULL;
		k = nfree[1] > nfree[0] ? 1 : 0;
		bb = b[k];
		w = old[k];
		if (!__atomic_compare_exchange_n(&bb->w[f[k]], &w, mine, false,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			continue;	/* taken meanwhile: look again */
		/* Another worker may have claimed the ID in another slot
		   at the same moment: one that sees the other's gives its
		   own back (both may: then neither has it). */
		if (holds(bb, tag, now, f[k]) || (b[1 - k] != bb &&
		    holds(b[1 - k], tag, now, -1))) {
			w = mine;
			__atomic_compare_exchange_n(&bb->w[f[k]], &w, 0, false,
			    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			return NFQD_QCLAIM_HELD;
		}
		ref->slot = &bb->w[f[k]];
		ref->word = mine;
		return NFQD_QCLAIM_TAKEN;
	}
	return NFQD_QCLAIM_FULL;	/* the buckets kept changing */
}

enum nfqd_qclaim_res
nfqd_qclaim_refresh(struct nfqd_qclaim_tab *t, const uint8_t *cid,
    size_t len, uint32_t now, uint32_t life, struct nfqd_qclaim_ref *ref)
{
	struct bucket	*b[2];
	uint64_t	 w, want;
	uint32_t	 tag, end;
	int		 k, i, tries;

	tag = locate(t, cid, len, b);
	end = claim_end(now, life);
	for (k = 0; k < 2; k++) {
		if (k == 1 && b[1] == b[0])
			break;
		for (i = 0; i < NFQD_QCLAIM_WAYS; i++) {
			for (tries = 0; tries < 4; tries++) {
				w = __atomic_load_n(&b[k]->w[i],
				    __ATOMIC_SEQ_CST);
				if (!live(w, now) || w_tag(w) != tag)
					break;
				if ((int32_t)(end - w_end(w)) <= 0)
					return NFQD_QCLAIM_HELD;
				want = (uint64_t)tag << 32 | end;
				if (__atomic_compare_exchange_n(&b[k]->w[i], &w,
				    want, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST))
					return NFQD_QCLAIM_HELD;
			}
		}
	}
	return nfqd_qclaim_take(t, cid, len, now, life, ref);
}

void
nfqd_qclaim_undo(struct nfqd_qclaim_ref *ref)
{
	uint64_t	old = ref->word;

	if (ref->slot != NULL)
		__atomic_compare_exchange_n(ref->slot, &old, 0, false,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	ref->slot = NULL;
	ref->word = 0;
}

uint64_t
nfqd_qclaim_count(const struct nfqd_qclaim_tab *t, uint32_t now)
{
	const struct bucket	*b = buckets(t);
	uint64_t		 i, n = 0;
	int			 j;

	for (i = 0; i < t->nb; i++)
		for (j = 0; j < NFQD_QCLAIM_WAYS; j++)
			n += live(__atomic_load_n(&b[i].w[j],
			    __ATOMIC_RELAXED), now);
	return n;
}

/*
 * The live claims of buckets first .. first + n - 1 (at most one part) in
 * pages of the mapping that are in memory.  A page no claim ever touched
 * is a hole of the shared mapping: reading it would give it a page of its
 * own (a scan of a whole table of 2^26 slots that way made all its
 * 512 MiB resident, and took 307 ms), and it holds no claim.  A page
 * swapped out is not counted either (nor read back in).  0, or -1
 * (errno) when mincore() fails.
 */
static int
count_part(const struct nfqd_qclaim_tab *t, uint64_t first, uint64_t n,
    uint32_t now, uint64_t *live_n)
{
	static unsigned char	 in[NFQD_QCLAIM_PART * sizeof(struct bucket) /
				    4096 + 2];
	const uint64_t		*w = buckets(t)[first].w, *lo, *hi, *end;
	uintptr_t		 start;
	size_t			 npages, pg;
	uint64_t		 c = 0;

	end = w + n * NFQD_QCLAIM_WAYS;
	start = (uintptr_t)w & ~(uintptr_t)(t->pagesz - 1);
	npages = ((uintptr_t)end - start + t->pagesz - 1) / t->pagesz;
	if (npages > sizeof(in)) {
		errno = EINVAL;		/* a page smaller than 4 KiB */
		return -1;
	}
	if (mincore((void *)start, (uintptr_t)end - start, in) == -1)
		return -1;
	for (pg = 0; pg < npages; pg++) {
		if ((in[pg] & 1) == 0)
			continue;
		lo = (const uint64_t *)(start + pg * t->pagesz);
		hi = (const uint64_t *)(start + (pg + 1) * t->pagesz);
		if (lo < w)
			lo = w;
		if (hi > end)
			hi = end;
		for (; lo < hi; lo++)
			c += live(__atomic_load_n(lo, __ATOMIC_RELAXED), now);
	}
	*live_n = c;
	return 0;
}

int
nfqd_qclaim_sweep(struct nfqd_qclaim_tab *t, uint32_t now, uint64_t *live_n)
{
	uint64_t	first, n, c, sum = 0, k;
	int		rc = 0;

	first = t->next * NFQD_QCLAIM_PART;
	n = t->nb - first < NFQD_QCLAIM_PART ? t->nb - first :
	    NFQD_QCLAIM_PART;
	if (count_part(t, first, n, now, &c) == -1)
		rc = -1;	/* the part keeps its last count */
	else
		t->part[t->next] = c;
	t->next = t->next + 1 < t->nparts ? t->next + 1 : 0;
	for (k = 0; k < t->nparts; k++)
		sum += t->part[k];
	*live_n = sum;
	return rc;
}

void *
nfqd_qclaim_test_mapping(struct nfqd_qclaim_tab *t)
{
	return t->base;
}
