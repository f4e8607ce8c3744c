/*
 * The per-worker flow table (see include/nfqd/l7/flow.h): one mapping of
 * max fixed-size entries and one array of hash chain heads, both made and
 * linked when the table is made, so that finding, adding, touching and
 * ending a flow never allocate.
 *
 * Every entry is on exactly one list: the free list (a stack through
 * next) or the doubly linked list of its class, most recently touched at
 * the head, so that each class's tail is its oldest flow.  Expiry and
 * eviction look only at tails: O(1) per flow ended.
 *
 * A class's timeout of 0 means its flows never time out.  A flow times out
 * when now - last > timeout; a clock that went back (now < last) does not
 * time anything out.
 *
 * The release callback sees the flow already off every list (cls FREE),
 * its key and the application layer's fields untouched; an end of it from
 * inside the callback does nothing.  nfqd_flowtab_free() releases nothing.
 * The expire hook sees a flow past its timeout still in its class; one it
 * keeps changes class and list like a touch.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/l7/flow.h"

/* Entries a table may have: 2^26 are 32 GiB. */
#define FLOW_MAX_LIMIT		(UINT32_C(1) << 26)

/*
 * Flows past their timeout that an add finding no free entry ends before
 * it evicts a live one: a few, so that the timer's work is shared out
 * without making one packet wait long.
 */
#define FLOW_ADD_EXPIRE		8

_Static_assert(sizeof(struct nfqd_flow_key) == 40, "key hashed as 5 words");
_Static_assert(NFQD_FLOW_L7ZERO <= sizeof(((struct nfqd_flow *)0)->l7data),
    "l7data holds what an add zeroes");

struct nfqd_flowtab {
	struct nfqd_flow *e;		/* max entries */
	size_t		 esize;		/* bytes mapped for e */
	uint32_t	*bucket;	/* hash chain heads, mask + 1 of them */
	uint32_t	 mask;		/* buckets - 1, buckets a power of 2 */
	uint32_t	 max;
	uint32_t	 fresh;		/* entries from here on never used */
	uint64_t	 seed[2];	/* SipHash key, random per table */
	uint32_t	 head[NFQD_FC_MAX];	/* newest of a class; FREE: the
						   top of the free stack */
	uint32_t	 tail[NFQD_FC_MAX];	/* oldest of a class (not FREE) */
	uint32_t	 count[NFQD_FC_MAX];	/* entries of each class */
	uint64_t	 timeout[NFQD_FC_MAX];	/* ns; 0: never */
	void		(*release)(void *, struct nfqd_flow *);
	int		(*expire)(void *, struct nfqd_flow *, uint64_t);
	void		*arg;		/* release's and expire's first
					   argument */
	struct nfqd_flowtab_stats st;	/* all but active, made on demand */
};

/* For the tests (tests/unit/test_flow.c, tests/fuzz/fuzz_flow.c). */
int	nfqd_flowtab_check(const struct nfqd_flowtab *t,
	    uint32_t count[NFQD_FC_MAX]);

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/*
 * SipHash-1-3 of the key under the table's seed: a keyed function, so
 * that without the seed no one can choose addresses and ports that land
 * in one chain.  An IPv6 key is hashed whole (40 bytes); an IPv4 key's
 * 24 zero bytes (nfqd_flow_key_make() writes them) are left out: its two
 * addresses, then ports, family and protocol, 16 bytes.  The length goes
 * into the last block, so the two kinds never hash alike by
 * construction.
 */
static uint64_t
flow_hash(const struct nfqd_flowtab *t, const struct nfqd_flow_key *k)
{
	const unsigned char	*p = (const unsigned char *)k;
	uint64_t		 v0, v1, v2, v3, m, w[5];
	uint32_t		 a, b;
	int			 i, n;

	_Static_assert(offsetof(struct nfqd_flow_key, port) == 32 &&
	    sizeof(struct nfqd_flow_key) == 40, "the key's last 8 bytes are "
	    "ports, family, protocol and pad");
	if (k->family == AF_INET) {
		memcpy(&a, k->addr[0], 4);
		memcpy(&b, k->addr[1], 4);
		w[0] = (uint64_t)le32toh(a) | (uint64_t)le32toh(b) << 32;
		memcpy(&w[1], p + 32, 8);
		w[1] = le64toh(w[1]);
		n = 2;
	} else {
		for (i = 0; i < 5; i++) {
			memcpy(&w[i], p + i * 8, 8);
			w[i] = le64toh(w[i]);
		}
		n = 5;
	}
	v0 = UINT64_C(0x736f6d6570736575) ^ t->seed[0];
	v1 = UINT64_C(0x646f72616e646f6d) ^ t->seed[1];
	v2 = UINT64_C(0x6c7967656e657261) ^ t->seed[0];
	v3 = UINT64_C(0x7465646279746573) ^ t->seed[1];
	for (i = 0; i < n; i++) {
		m = w[i];
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)(n * 8) << 56;
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t
nfqd_flow_hash(const struct nfqd_flowtab *t, const struct nfqd_flow_key *k)
{
	return (uint32_t)flow_hash(t, k);
}

/*
 * The seed: getrandom(), not waiting for the pool (a worker must start
 * early at boot too).  getrandom is not on the worker's seccomp list
 * (sandbox.c): a worker must make its table before it enters the
 * sandbox, or a table made later (on a reload) ends the worker.  When that fails (pool not yet ready, no such call)
 * the clocks and the table's address are mixed instead: weaker, as an
 * attacker who knows roughly when the worker started may guess it, but
 * better than no table.
 */
static void
flow_seed(struct nfqd_flowtab *t)
{
	struct timespec	 a, b;
	uint64_t	 x;
	int		 i;

	if (getrandom(t->seed, sizeof(t->seed), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(t->seed))
		return;
	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_REALTIME, &b);
	x = (uint64_t)a.tv_sec * 1000000000u + (uint64_t)a.tv_nsec;
	x ^= ((uint64_t)b.tv_sec * 1000000000u + (uint64_t)b.tv_nsec) << 1;
	x ^= (uint64_t)(uintptr_t)t ^ ((uint64_t)getpid() << 40);
	for (i = 0; i < 2; i++) {
		/* splitmix64 */
		x += UINT64_C(0x9e3779b97f4a7c15);
		t->seed[i] = x;
		t->seed[i] = (t->seed[i] ^ (t->seed[i] >> 30)) *
		    UINT64_C(0xbf58476d1ce4e5b9);
		t->seed[i] = (t->seed[i] ^ (t->seed[i] >> 27)) *
		    UINT64_C(0x94d049bb133111eb);
		t->seed[i] ^= t->seed[i] >> 31;
	}
}

struct nfqd_flowtab *
nfqd_flowtab_new(const struct nfqd_flowtab_params *p)
{
	struct nfqd_flowtab	*t;
	uint32_t		 nb;
	int			 c, e;

	if (p == NULL || p->max < 1 || p->max > FLOW_MAX_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
#if SIZE_MAX / NFQD_FLOW_SIZE < FLOW_MAX_LIMIT
	/* A 32-bit address space cannot map the largest tables. */
	if (p->max > SIZE_MAX / sizeof(struct nfqd_flow)) {
		errno = ENOMEM;
		return NULL;
	}
#endif
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	for (nb = 1; nb < p->max; nb <<= 1)
		;
	t->max = p->max;
	t->mask = nb - 1;
	t->esize = (size_t)p->max * sizeof(struct nfqd_flow);
	t->e = mmap(NULL, t->esize, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->e == MAP_FAILED) {
		e = errno;
		free(t);
		errno = e;
		return NULL;
	}
	/* Best effort: a find is a random access into e, mostly a TLB miss
	   with 4 KiB pages. */
	(void) madvise(t->e, t->esize, MADV_HUGEPAGE);
	if ((t->bucket = malloc((size_t)nb * sizeof(uint32_t))) == NULL) {
		e = errno;
		munmap(t->e, t->esize);
		free(t);
		errno = e;
		return NULL;
	}
	/* NFQD_FLOW_NONE is all ones in every byte. */
	memset(t->bucket, 0xff, (size_t)nb * sizeof(uint32_t));
	for (c = 0; c < NFQD_FC_MAX; c++) {
		t->head[c] = t->tail[c] = NFQD_FLOW_NONE;
		t->timeout[c] = p->timeout[c];
	}
	t->timeout[NFQD_FC_FREE] = 0;
	/*
	 * Every entry is free: the ones never used are taken in order from
	 * fresh (so a table's pages are touched only as flows come: a big
	 * idle table costs no memory), the ones ended are on the free stack.
	 */
	t->head[NFQD_FC_FREE] = NFQD_FLOW_NONE;
	t->fresh = 0;
	t->count[NFQD_FC_FREE] = t->max;
	t->release = p->release;
	t->expire = p->expire;
	t->arg = p->arg;
	flow_seed(t);
	return t;
}

/*
 * The flows still in the table are not released: whoever owns what they
 * hold (the reassembly buffers' pool) frees it whole, before or after.
 */
void
nfqd_flowtab_free(struct nfqd_flowtab *t)
{
	if (t == NULL)
		return;
	munmap(t->e, t->esize);
	free(t->bucket);
	free(t);
}

void
nfqd_flow_key_make(struct nfqd_flow_key *k, uint8_t family, uint8_t proto,
    const uint8_t *saddr, const uint8_t *daddr, uint16_t sport,
    uint16_t dport, int *dir)
{
	uint32_t	s, d;
	int		c, swap;

	memset(k, 0, sizeof(*k));
	if (family == AF_INET) {
		/* memcmp()'s order of 4 bytes: as big-endian numbers. */
		memcpy(&s, saddr, 4);
		memcpy(&d, daddr, 4);
		s = ntohl(s);
		d = ntohl(d);
		swap = s > d || (s == d && sport > dport);
		memcpy(k->addr[0], swap ? daddr : saddr, 4);
		memcpy(k->addr[1], swap ? saddr : daddr, 4);
	} else {
		/* A family not IPv4 is compared and copied as 16 bytes. */
		c = memcmp(saddr, daddr, 16);
		swap = c > 0 || (c == 0 && sport > dport);
		memcpy(k->addr[0], swap ? daddr : saddr, 16);
		memcpy(k->addr[1], swap ? saddr : daddr, 16);
	}
	k->port[0] = swap ? dport : sport;
	k->port[1] = swap ? sport : dport;
	k->family = family;
	k->proto = proto;
	if (dir != NULL)
		*dir = swap;
}

/* Put entry i at the head of the list of class c. */
static void
list_push(struct nfqd_flowtab *t, uint32_t i, uint8_t c)
{
	struct nfqd_flow	*f = &t->e[i];

	f->cls = c;
	f->prev = NFQD_FLOW_NONE;
	f->next = t->head[c];
	if (t->head[c] != NFQD_FLOW_NONE)
		t->e[t->head[c]].prev = i;
	else
		t->tail[c] = i;
	t->head[c] = i;
	t->count[c]++;
}

/* Take entry i (not free) off the list of its class. */
static void
list_unlink(struct nfqd_flowtab *t, uint32_t i)
{
	struct nfqd_flow	*f = &t->e[i];
	uint8_t			 c = f->cls;

	if (f->prev != NFQD_FLOW_NONE)
		t->e[f->prev].next = f->next;
	else
		t->head[c] = f->next;
	if (f->next != NFQD_FLOW_NONE)
		t->e[f->next].prev = f->prev;
	else
		t->tail[c] = f->prev;
	t->count[c]--;
}

/* Take entry i off its hash chain. */
static void
chain_unlink(struct nfqd_flowtab *t, uint32_t i)
{
	uint32_t	*pp = &t->bucket[t->e[i].hash & t->mask];

	while (*pp != NFQD_FLOW_NONE && *pp != i)
		pp = &t->e[*pp].hnext;
	if (*pp == i)
		*pp = t->e[i].hnext;
	t->e[i].hnext = NFQD_FLOW_NONE;
}

/*
 * End flow i: off its chain and list, released (its key still there for
 * the callback), then on top of the free stack.
 */
static void
flow_finish(struct nfqd_flowtab *t, uint32_t i)
{
	struct nfqd_flow	*f = &t->e[i];

	chain_unlink(t, i);
	list_unlink(t, i);
	/* Free before the callback: an end from inside it is a no-op. */
	f->cls = NFQD_FC_FREE;
	if (t->release != NULL)
		t->release(t->arg, f);
	f->prev = NFQD_FLOW_NONE;
	f->next = t->head[NFQD_FC_FREE];
	t->head[NFQD_FC_FREE] = i;
	t->count[NFQD_FC_FREE]++;
}

static int
flow_expired(const struct nfqd_flowtab *t, const struct nfqd_flow *f,
    uint64_t now)
{
	uint64_t	tmo = t->timeout[f->cls];

	return tmo != 0 && now > f->last && now - f->last > tmo;
}

/*
 * Flow i is past its timeout at now: ended (1), or kept by the expire
 * hook (0), at the head of the class it chose with last = now, so that
 * it is not past any timeout at now again: an expiry that keeps it
 * cannot come back to it.
 */
static int
flow_timeout(struct nfqd_flowtab *t, uint32_t i, uint64_t now)
{
	struct nfqd_flow	*f = &t->e[i];
	int			 c;

	if (t->expire != NULL) {
		c = t->expire(t->arg, f, now);
		if (f->cls == NFQD_FC_FREE) {
			/* The hook ended it itself. */
			t->st.timed_out++;
			return 1;
		}
	} else {
		c = -1;
	}
	if (c > NFQD_FC_FREE && c < NFQD_FC_MAX) {
		list_unlink(t, i);
		f->last = now;
		list_push(t, i, (uint8_t)c);
		t->st.kept++;
		return 0;
	}
	flow_finish(t, i);
	t->st.timed_out++;
	return 1;
}

/*
 * End up to max flows past their timeout, from the tails, class by class
 * in the order of enum nfqd_flow_class.  A tail not past its timeout
 * means nothing before it in its list is either (the lists are in order
 * of last as long as the clock does not go back).  A flow kept counts
 * against max as one ended does: each is looked at once.
 */
static unsigned
flow_expire(struct nfqd_flowtab *t, uint64_t now, unsigned max)
{
	unsigned	n = 0, work = 0;
	uint32_t	i;
	int		c;

	for (c = NFQD_FC_FREE + 1; c < NFQD_FC_MAX; c++) {
		while (work < max && (i = t->tail[c]) != NFQD_FLOW_NONE &&
		    flow_expired(t, &t->e[i], now)) {
			n += (unsigned)flow_timeout(t, i, now);
			work++;
		}
	}
	return n;
}

unsigned
nfqd_flowtab_expire(struct nfqd_flowtab *t, uint64_t now, unsigned max)
{
	return flow_expire(t, now, max);
}

/*
 * The flow to end to make room: the oldest of the tails of UDP, CLOSING
 * and DECIDED (a tie goes to the first in that order), else the oldest
 * WAIT; never REASM.
 */
static uint32_t
flow_victim(const struct nfqd_flowtab *t)
{
	static const uint8_t	first[] = {
		NFQD_FC_UDP, NFQD_FC_CLOSING, NFQD_FC_DECIDED
	};
	uint32_t		best = NFQD_FLOW_NONE, i;
	size_t			k;

	for (k = 0; k < sizeof(first); k++) {
		i = t->tail[first[k]];
		if (i != NFQD_FLOW_NONE && (best == NFQD_FLOW_NONE ||
		    t->e[i].last < t->e[best].last))
			best = i;
	}
	if (best == NFQD_FLOW_NONE)
		best = t->tail[NFQD_FC_WAIT];
	return best;
}

struct nfqd_flow *
nfqd_flow_find_hashed(struct nfqd_flowtab *t, const struct nfqd_flow_key *k,
    uint32_t h, uint64_t now)
{
	uint32_t	i;

	for (i = t->bucket[h & t->mask]; i != NFQD_FLOW_NONE;
	    i = t->e[i].hnext) {
		if (t->e[i].hash != h ||
		    memcmp(&t->e[i].key, k, sizeof(*k)) != 0)
			continue;
		if (flow_expired(t, &t->e[i], now) &&
		    flow_timeout(t, i, now))
			return NULL;
		return &t->e[i];
	}
	return NULL;
}

void
nfqd_flow_prefetch_head(const struct nfqd_flowtab *t, uint32_t h)
{
	__builtin_prefetch(&t->bucket[h & t->mask]);
}

void
nfqd_flow_prefetch_entry(const struct nfqd_flowtab *t, uint32_t h)
{
	uint32_t	i = t->bucket[h & t->mask];

	if (i != NFQD_FLOW_NONE)
		__builtin_prefetch(&t->e[i]);
}

/*
 * As flow_victim() would choose them one after the other: the oldest of
 * the tails of UDP, CLOSING and DECIDED, then that list's next; WAIT's
 * once those three are empty.  (Expiry before an eviction ends the
 * expired tails first; where it does, the guess is only less useful.)
 * Each step reads the entry before (a dependent load), but the chain
 * heads' fetches overlap.
 */
unsigned
nfqd_flow_prefetch_victims(const struct nfqd_flowtab *t, unsigned n,
    uint32_t *v)
{
	static const uint8_t	first[] = {
		NFQD_FC_UDP, NFQD_FC_CLOSING, NFQD_FC_DECIDED
	};
	uint32_t		cur[sizeof(first)], best;
	unsigned		nv = 0;
	size_t			k, bk = 0;
	bool			wait = false;

	if (t->count[NFQD_FC_FREE] >= n)
		return 0;
	n -= t->count[NFQD_FC_FREE];
	if (n > NFQD_FLOW_PREFETCH_MAX)
		n = NFQD_FLOW_PREFETCH_MAX;
	for (k = 0; k < sizeof(first); k++)
		cur[k] = t->tail[first[k]];
	while (nv < n) {
		best = NFQD_FLOW_NONE;
		for (k = 0; k < sizeof(first); k++)
			if (cur[k] != NFQD_FLOW_NONE &&
			    (best == NFQD_FLOW_NONE ||
			    t->e[cur[k]].last < t->e[best].last)) {
				best = cur[k];
				bk = k;
			}
		if (best == NFQD_FLOW_NONE) {
			/* Those three ran out: WAIT's, oldest first. */
			if (wait || t->tail[NFQD_FC_WAIT] == NFQD_FLOW_NONE)
				break;
			wait = true;
			cur[0] = t->tail[NFQD_FC_WAIT];
			cur[1] = cur[2] = NFQD_FLOW_NONE;
			continue;
		}
		v[nv++] = best;
		/* Its entry becomes the new flow's: zeroed up to line 3. */
		__builtin_prefetch((const char *)&t->e[best] + 64, 1);
		__builtin_prefetch((const char *)&t->e[best] + 128, 1);
		__builtin_prefetch((const char *)&t->e[best] + 192, 1);
		__builtin_prefetch(&t->bucket[t->e[best].hash & t->mask]);
		if ((cur[bk] = t->e[best].prev) != NFQD_FLOW_NONE)
			__builtin_prefetch(&t->e[cur[bk]]);
	}
	return nv;
}

void
nfqd_flow_prefetch_chains(const struct nfqd_flowtab *t, const uint32_t *v,
    unsigned n)
{
	uint32_t	i;
	unsigned	j;

	for (j = 0; j < n; j++) {
		i = t->bucket[t->e[v[j]].hash & t->mask];
		if (i != NFQD_FLOW_NONE && i != v[j])
			__builtin_prefetch(&t->e[i]);
	}
}

struct nfqd_flow *
nfqd_flow_find(struct nfqd_flowtab *t, const struct nfqd_flow_key *k,
    uint64_t now)
{
	return nfqd_flow_find_hashed(t, k, nfqd_flow_hash(t, k), now);
}

struct nfqd_flow *
nfqd_flow_add(struct nfqd_flowtab *t, const struct nfqd_flow_key *k,
    enum nfqd_flow_class cls, uint64_t now)
{
	return nfqd_flow_add_hashed(t, k, nfqd_flow_hash(t, k), cls, now);
}

struct nfqd_flow *
nfqd_flow_add_hashed(struct nfqd_flowtab *t, const struct nfqd_flow_key *k,
    uint32_t h, enum nfqd_flow_class cls, uint64_t now)
{
	struct nfqd_flow	*f;
	uint32_t		 i, b;

	if ((int)cls <= NFQD_FC_FREE || (int)cls >= NFQD_FC_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (t->count[NFQD_FC_FREE] == 0) {
		flow_expire(t, now, FLOW_ADD_EXPIRE);
		if (t->count[NFQD_FC_FREE] == 0) {
			if ((i = flow_victim(t)) == NFQD_FLOW_NONE) {
				t->st.full++;
				errno = ENOSPC;
				return NULL;
			}
			flow_finish(t, i);
			t->st.evicted++;
		}
	}
	if ((i = t->head[NFQD_FC_FREE]) != NFQD_FLOW_NONE) {
		f = &t->e[i];
		t->head[NFQD_FC_FREE] = f->next;
	} else {
		i = t->fresh++;
		f = &t->e[i];
	}
	t->count[NFQD_FC_FREE]--;

	memset(f, 0, offsetof(struct nfqd_flow, l7data) + NFQD_FLOW_L7ZERO);
	f->key = *k;
	f->hash = h;
	f->last = now;
	b = h & t->mask;
	f->hnext = t->bucket[b];
	t->bucket[b] = i;
	list_push(t, i, (uint8_t)cls);
	t->st.created++;
	return f;
}

/* The index of f, when it is an entry of t in use; else NFQD_FLOW_NONE. */
static uint32_t
flow_index(const struct nfqd_flowtab *t, const struct nfqd_flow *f)
{
	uintptr_t	off;

	if (f == NULL || (uintptr_t)f < (uintptr_t)t->e)
		return NFQD_FLOW_NONE;
	off = (uintptr_t)f - (uintptr_t)t->e;
	if (off % sizeof(*f) != 0 || off / sizeof(*f) >= t->max ||
	    f->cls == NFQD_FC_FREE || f->cls >= NFQD_FC_MAX)
		return NFQD_FLOW_NONE;
	return (uint32_t)(off / sizeof(*f));
}

/*
 * A class out of range (FREE among them) leaves f in its class; a flow
 * already ended is left alone.
 */
void
nfqd_flow_touch(struct nfqd_flowtab *t, struct nfqd_flow *f,
    enum nfqd_flow_class cls, uint64_t now)
{
	uint32_t	i;

	if ((i = flow_index(t, f)) == NFQD_FLOW_NONE)
		return;
	if ((int)cls <= NFQD_FC_FREE || (int)cls >= NFQD_FC_MAX)
		cls = f->cls;
	list_unlink(t, i);
	f->last = now;
	list_push(t, i, (uint8_t)cls);
}

/* A flow already ended (or not of this table) is left alone. */
void
nfqd_flow_end(struct nfqd_flowtab *t, struct nfqd_flow *f)
{
	uint32_t	i;

	if ((i = flow_index(t, f)) != NFQD_FLOW_NONE)
		flow_finish(t, i);
}

void
nfqd_flowtab_stats(const struct nfqd_flowtab *t, struct nfqd_flowtab_stats *s)
{
	*s = t->st;
	s->active = t->max - t->count[NFQD_FC_FREE];
}

/*
 * 0 when the table holds together: every entry on exactly one list, of
 * the class it says, its links agreeing both ways, each list's count and
 * tail right; every flow in use on the chain its key hashes to, once, and
 * nothing else on a chain.  Else the line of the first check that failed.
 * count (may be NULL) gets the entries of each class.  Allocates: for
 * tests only.
 */
int
nfqd_flowtab_check(const struct nfqd_flowtab *t, uint32_t count[NFQD_FC_MAX])
{
	uint8_t		*seen;
	uint32_t	 i, prev, n, b, total = 0, chained = 0;
	int		 c, bad = 0;

#define FAIL	do { bad = __LINE__; goto out; } while (0)
	if ((seen = calloc(t->max, 1)) == NULL)
		return __LINE__;
	for (c = 0; c < NFQD_FC_MAX; c++) {
		prev = NFQD_FLOW_NONE;
		n = 0;
		for (i = t->head[c]; i != NFQD_FLOW_NONE; i = t->e[i].next) {
			if (i >= t->max || seen[i] || n >= t->max)
				FAIL;
			seen[i] = 1;
			if (t->e[i].cls != c)
				FAIL;
			if (c != NFQD_FC_FREE && t->e[i].prev != prev)
				FAIL;
			prev = i;
			n++;
		}
		/* Entries never used are free without being on the stack. */
		if (c == NFQD_FC_FREE)
			n += t->max - t->fresh;
		if (n != t->count[c])
			FAIL;
		if (c != NFQD_FC_FREE && t->tail[c] != prev)
			FAIL;
		if (count != NULL)
			count[c] = n;
		total += n;
	}
	if (total != t->max)
		FAIL;
	memset(seen, 0, t->max);
	for (b = 0; b <= t->mask; b++) {
		for (i = t->bucket[b]; i != NFQD_FLOW_NONE;
		    i = t->e[i].hnext) {
			if (i >= t->max || seen[i])
				FAIL;
			seen[i] = 1;
			if (t->e[i].cls == NFQD_FC_FREE ||
			    t->e[i].hash != nfqd_flow_hash(t, &t->e[i].key) ||
			    (t->e[i].hash & t->mask) != b)
				FAIL;
			chained++;
		}
	}
	if (chained != t->max - t->count[NFQD_FC_FREE])
		FAIL;
#undef FAIL
out:
	free(seen);
	return bad;
}
