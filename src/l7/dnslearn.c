/*
 * The table of names learned from DNS answers and the table of queries
 * waiting for their answers, in one shared mapping (dnslearn.h says how
 * they are laid out and kept safe from a writer that dies).
 *
 * The bucket's lock word says who writes (a pid, 0: nobody), its
 * seqcount when: odd while a write is under way.  Writers store the
 * seqcount odd, a release fence, the data, then the seqcount even with
 * release; readers load it with acquire, copy, an acquire fence, and
 * load it again (the usual seqlock; x86 reorders none of it).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "nfqd/fault.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/l7/dnstcp.h"
#include "nfqd/nfqd.h"
#include "nfqd/util.h"

#define TAB_MAGIC	0x4c534e44u	/* "DNSL" */

struct tab_hdr {
	uint32_t	magic;
	uint32_t	nways;
	uint64_t	nb;		/* buckets */
	uint64_t	size;		/* of the mapping */
	uint64_t	seed;
	uint64_t	bucket_off, ent_off, pend_off;
	int64_t		entries;	/* atomic: entries in use */
	uint64_t	sweep;		/* atomic: next bucket to sweep */
} __attribute__((aligned(NFQD_CACHELINE)));

struct bucket {
	uint32_t	lock;		/* writer's pid, 0: free */
	uint32_t	seq;		/* odd while written */
	uint32_t	exp[NFQD_DNSL_WAYS];	/* monotonic second it ends,
					   0: free */
	uint16_t	tag[NFQD_DNSL_WAYS];	/* of the address's hash */
	uint8_t		keep;		/* bit i: way i's name is one a rule's
					   dst_name names (gives way last) */
	uint32_t	gen;		/* the oldest rules generation a
					   live way's bit was computed under
					   (nfqd_dnsl_sweep()); 0: unknown */
} __attribute__((aligned(NFQD_CACHELINE)));

struct ent {
	uint8_t		family;
	uint8_t		len;		/* of name */
	uint8_t		addr[16];	/* IPv4: 4 bytes, then zeros */
	char		name[NFQD_L7_NAME_MAX + 1];
};

struct pend {
	uint64_t	deadline;	/* monotonic ns, 0: free */
	struct nfqd_dnsl_query q;
};

struct pbucket {
	uint32_t	lock, seq;
	struct pend	p[NFQD_DNSL_PWAYS];
} __attribute__((aligned(NFQD_CACHELINE)));

/*
 * A process's handle on the mapping: its geometry as the master made it,
 * copied before the first fork, since every worker can write the
 * mapping's header.  Only the two shared counters are read there.
 */
struct nfqd_dnsl_tab {
	char		*base;		/* the mapping, its header first */
	uint64_t	 nb;		/* buckets */
	uint64_t	 size;		/* of the mapping */
	uint64_t	 seed;
	uint64_t	 bucket_off, ent_off, pend_off;
};

_Static_assert(sizeof(struct bucket) == NFQD_CACHELINE, "a bucket a line");
_Static_assert(NFQD_DNSL_WAYS <= 8, "a bit of keep per way");

/* The mapping's header: only entries and sweep are read there. */
static inline struct tab_hdr *
hdr(const struct nfqd_dnsl_tab *t)
{
	return (struct tab_hdr *)(void *)t->base;
}

static uint64_t
nbuckets(uint32_t max_entries)
{
	return ((uint64_t)max_entries + NFQD_DNSL_WAYS - 1) / NFQD_DNSL_WAYS;
}

static size_t
align_up(size_t n)
{
	return (n + NFQD_CACHELINE - 1) & ~(size_t)(NFQD_CACHELINE - 1);
}

size_t
nfqd_dnsl_size(uint32_t max_entries)
{
	uint64_t	nb = nbuckets(max_entries);

	return align_up(sizeof(struct tab_hdr)) +
	    align_up(nb * sizeof(struct bucket)) +
	    align_up(nb * NFQD_DNSL_WAYS * sizeof(struct ent)) +
	    NFQD_DNSL_PBUCKETS * sizeof(struct pbucket);
}

struct nfqd_dnsl_tab *
nfqd_dnsl_create(uint32_t max_entries, uint64_t seed)
{
	struct nfqd_dnsl_tab	*t;
	size_t			 size;
	void			*p;

	if (max_entries < NFQD_DNSL_MIN_ENTRIES ||
	    max_entries > NFQD_DNSL_MAX_ENTRIES) {
		errno = EINVAL;
		return NULL;
	}
	size = nfqd_dnsl_size(max_entries);
	/* Zero pages, touched only as entries come. */
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		free(t);
		return NULL;
	}
	t->base = p;
	t->nb = nbuckets(max_entries);
	t->size = size;
	t->seed = seed;
	t->bucket_off = align_up(sizeof(struct tab_hdr));
	t->ent_off = t->bucket_off + align_up(t->nb * sizeof(struct bucket));
	t->pend_off = t->ent_off + align_up(t->nb * NFQD_DNSL_WAYS *
	    sizeof(struct ent));
	/* As before, for a reader of the mapping; nothing reads them. */
	hdr(t)->magic = TAB_MAGIC;
	hdr(t)->nways = NFQD_DNSL_WAYS;
	hdr(t)->nb = t->nb;
	hdr(t)->size = t->size;
	hdr(t)->bucket_off = t->bucket_off;
	hdr(t)->ent_off = t->ent_off;
	hdr(t)->pend_off = t->pend_off;
	return t;
}

void
nfqd_dnsl_destroy(struct nfqd_dnsl_tab *t)
{
	if (t == NULL)
		return;
	munmap(t->base, t->size);
	free(t);
}

uint64_t
nfqd_dnsl_entries(const struct nfqd_dnsl_tab *t)
{
	int64_t	n = __atomic_load_n(&hdr(t)->entries, __ATOMIC_RELAXED);

	return n > 0 ? (uint64_t)n : 0;
}

uint64_t
nfqd_dnsl_capacity(const struct nfqd_dnsl_tab *t)
{
	return t->nb * NFQD_DNSL_WAYS;
}

size_t
nfqd_dnsl_mapped(const struct nfqd_dnsl_tab *t)
{
	return t->size;
}

void
nfqd_dnsl_init(struct nfqd_dnsl *d, struct nfqd_dnsl_tab *t, uint32_t min_ttl,
    uint32_t max_ttl, uint32_t self)
{
	memset(d, 0, sizeof(*d));
	d->t = t;
	d->min_ttl = min_ttl;
	d->max_ttl = max_ttl;
	d->self = self;
}

void
nfqd_dnsl_keep(struct nfqd_dnsl *d,
    bool (*keeps)(const void *, const char *, size_t), const void *arg,
    uint32_t gen)
{
	d->keeps = keeps;
	d->keeps_arg = arg;
	d->gen = gen;
}

bool
nfqd_dnsl_kept(const struct nfqd_dnsl *d, const char *name, size_t len)
{
	return d->keeps != NULL && d->keeps(d->keeps_arg, name, len);
}

void
nfqd_dnsl_servers(struct nfqd_dnsl *d, const struct nfqd_cidr *v, uint32_t n)
{
	if (n > NFQD_DNSL_SERVERS_MAX)
		n = NFQD_DNSL_SERVERS_MAX;
	memcpy(d->servers, v, n * sizeof(*v));
	d->nservers = n;
}

int
nfqd_dnsl_tcp_init(struct nfqd_dnsl *d)
{
	uint64_t	seed;

	nfqd_random_bytes((unsigned char *)&seed, sizeof(seed));
	nfqd_dnst_free(d->tcp);
	return (d->tcp = nfqd_dnst_new(seed)) != NULL ? 0 : -1;
}

void
nfqd_dnsl_fini(struct nfqd_dnsl *d)
{
	nfqd_dnst_free(d->tcp);
	d->tcp = NULL;
}

static inline struct bucket *
buckets(const struct nfqd_dnsl_tab *t)
{
	return (struct bucket *)(t->base + t->bucket_off);
}

static inline struct ent *
ents(const struct nfqd_dnsl_tab *t, uint64_t b)
{
	return (struct ent *)(t->base + t->ent_off) + b * NFQD_DNSL_WAYS;
}

static inline struct pbucket *
pbuckets(const struct nfqd_dnsl_tab *t)
{
	return (struct pbucket *)(t->base + t->pend_off);
}

static inline unsigned
alen(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* The address as 16 bytes, IPv4 padded with zeros. */
static inline void
addr16(uint8_t *dst, uint8_t family, const uint8_t *addr)
{
	memset(dst, 0, 16);
	memcpy(dst, addr, alen(family));
}

static inline uint64_t
addr_hash(uint64_t seed, uint8_t family, const uint8_t *a16)
{
	uint64_t	lo, hi;

	memcpy(&lo, a16, 8);
	memcpy(&hi, a16 + 8, 8);
	return nfqd_mix64(lo ^ seed ^ nfqd_mix64(hi ^ (seed >> 7) ^ family));
}

/* Bucket of hash h: the high bits, scaled to nb (no power of two). */
static inline uint64_t
bucket_of(uint64_t h, uint64_t nb)
{
	return (uint64_t)(((unsigned __int128)h * nb) >> 64);
}

static inline uint16_t
tag_of(uint64_t h)
{
	return (uint16_t)(h | 1);	/* 0 is never a tag */
}

/*
 * Where (family, addr) lives: its 16-byte form into a, its bucket, the
 * bucket's entries and the tag its entries carry.
 */
static inline uint16_t
locate(const struct nfqd_dnsl_tab *t, uint8_t family, const uint8_t *addr,
    uint8_t a[16], struct bucket **b, struct ent **e)
{
	uint64_t	h, bi;

	addr16(a, family, addr);
	h = addr_hash(t->seed, family, a);
	bi = bucket_of(h, t->nb);
	*b = &buckets(t)[bi];
	*e = ents(t, bi);
	return tag_of(h);
}

static inline void
relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static bool
lock_take(uint32_t *lock, uint32_t self)
{
	uint32_t	free;
	unsigned	i;

	for (i = 0; i < NFQD_DNSL_LOCK_TRIES; i++) {
		free = 0;
		if (__atomic_load_n(lock, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(lock, &free, self, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		relax();
	}
	return false;
}

static void
write_begin(uint32_t *seq)
{
	__atomic_store_n(seq, __atomic_load_n(seq, __ATOMIC_RELAXED) + 1,
	    __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void
write_end(uint32_t *seq, uint32_t *lock)
{
	__atomic_store_n(seq, __atomic_load_n(seq, __ATOMIC_RELAXED) + 1,
	    __ATOMIC_RELEASE);
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static inline void
entries_add(struct nfqd_dnsl_tab *t, int64_t n)
{
	__atomic_fetch_add(&hdr(t)->entries, n, __ATOMIC_RELAXED);
}

static uint32_t
clamp_ttl(const struct nfqd_dnsl *d, uint32_t ttl)
{
	if (ttl < d->min_ttl)
		return d->min_ttl;
	return ttl > d->max_ttl ? d->max_ttl : ttl;
}

/* Way i of a bucket the caller holds: emptied if it has expired. */
static void
expire(struct nfqd_dnsl *d, struct bucket *b, unsigned i, uint32_t now)
{
	if (b->exp[i] != 0 && b->exp[i] <= now) {
		b->exp[i] = 0;
		d->c.expiries++;
		entries_add(d->t, -1);
	}
}

/*
 * A full bucket gives way to the entry that expires first among those
 * no rule's dst_name names (loose); only when all are named, to the one
 * that expires first of all: names a client makes up (any number, any
 * TTL, at the address of a blocked name) cannot push out the entry a
 * rule looks for.
 */
int
nfqd_dnsl_learn(struct nfqd_dnsl *d, uint8_t family, const uint8_t *addr,
    const char *name, size_t len, uint32_t ttl, uint32_t now, bool keep)
{
	struct nfqd_dnsl_tab	*t = d->t;
	uint8_t			 a[16];
	struct bucket		*b;
	struct ent		*e;
	uint32_t		 exp = now + clamp_ttl(d, ttl), least = UINT32_MAX;
	uint32_t		 least_loose = UINT32_MAX;
	uint16_t		 tag;
	unsigned		 i, way = NFQD_DNSL_WAYS, freeway = NFQD_DNSL_WAYS;
	unsigned		 oldest = 0, loose = NFQD_DNSL_WAYS, live;

	if (len == 0 || len > NFQD_L7_NAME_MAX)
		return 0;
	tag = locate(t, family, addr, a, &b, &e);
	if (!lock_take(&b->lock, d->self)) {
		d->c.busy++;
		return -1;
	}
	write_begin(&b->seq);
	for (i = 0; i < NFQD_DNSL_WAYS; i++) {
		expire(d, b, i, now);
		if (b->exp[i] == 0) {
			if (freeway == NFQD_DNSL_WAYS)
				freeway = i;
			continue;
		}
		if (b->tag[i] == tag && e[i].family == family &&
		    e[i].len == len && memcmp(e[i].addr, a, 16) == 0 &&
		    memcmp(e[i].name, name, len) == 0)
			way = i;
		if (b->exp[i] < least) {
			least = b->exp[i];
			oldest = i;
		}
		if (!(b->keep & (1u << i)) && b->exp[i] < least_loose) {
			least_loose = b->exp[i];
			loose = i;
		}
	}
	if (way == NFQD_DNSL_WAYS) {
		if (freeway != NFQD_DNSL_WAYS) {
			way = freeway;
			entries_add(t, 1);
		} else {
			way = loose != NFQD_DNSL_WAYS ? loose : oldest;
			d->c.evictions++;
		}
		d->c.learned++;
		e[way].family = family;
		e[way].len = (uint8_t)len;
		/* A test's writer dies here, its bucket torn (fault.h). */
		NFQD_FAULT(NFQD_FAULT_DNSL_WRITE, 1);
		memcpy(e[way].addr, a, 16);
		memcpy(e[way].name, name, len);
		e[way].name[len] = '\0';
		b->tag[way] = tag;
	}
	/* A later answer says how long it holds now, and the rules now
	   in force whether it is kept. */
	b->exp[way] = exp;
	if (keep)
		b->keep |= (uint8_t)(1u << way);
	else
		b->keep &= (uint8_t)~(1u << way);
	/* The bucket's generation is its oldest mark's (refresh()): this
	   one's alone, or an older one's than the bucket had. */
	for (i = 0, live = 0; i < NFQD_DNSL_WAYS; i++)
		live += i != way && b->exp[i] != 0;
	if (live == 0 || d->gen < b->gen)
		b->gen = d->gen;
	write_end(&b->seq, &b->lock);
	return 0;
}

unsigned
nfqd_dnsl_lookup(struct nfqd_dnsl *d, uint8_t family, const uint8_t *addr,
    uint32_t now, struct nfqd_dnames *out)
{
	const struct nfqd_dnsl_tab *t = d->t;
	struct bucket		*b;
	struct ent		*e;
	uint8_t			 a[16];
	uint32_t		 s1, s2, x;
	uint16_t		 tag;
	unsigned		 i, n, tries, len;

	out->n = 0;
	tag = locate(t, family, addr, a, &b, &e);
	/*
	 * The entries are read only after the head says which: ask for
	 * them all now, so that their misses overlap the head's.
	 */
	for (i = 0; i < NFQD_DNSL_WAYS; i++)
		__builtin_prefetch(&e[i]);
	for (tries = 0; tries < NFQD_DNSL_READ_TRIES; tries++) {
		s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			relax();
			continue;
		}
		for (i = n = 0; i < NFQD_DNSL_WAYS; i++) {
			x = __atomic_load_n(&b->exp[i], __ATOMIC_RELAXED);
			if (x <= now || __atomic_load_n(&b->tag[i],
			    __ATOMIC_RELAXED) != tag)
				continue;
			if (e[i].family != family ||
			    memcmp(e[i].addr, a, 16) != 0)
				continue;
			len = e[i].len;
			if (len == 0 || len > NFQD_L7_NAME_MAX)
				continue;	/* torn: the seqcount says */
			memcpy(out->name[n], e[i].name, len);
			out->name[n][len] = '\0';
			out->len[n] = (uint8_t)len;
			n++;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&b->seq, __ATOMIC_RELAXED);
		if (s1 == s2) {
			out->n = n;
			if (n > 0)
				d->c.hits++;
			return n;
		}
	}
	return 0;	/* torn every time: as if empty */
}

/*
 * The keep bits of a bucket the caller holds, computed again with this
 * process's rules, whose generation the bucket takes.
 *
 * Generations (the master's count of rule changes, nfqd_dnsl_keep()) only
 * grow, and during a reload workers of two of them run side by side.
 * A bucket's generation is the oldest its live marks were computed
 * under: nfqd_dnsl_learn() lowers it to its own when that is older (or
 * sets it, when its entry is the bucket's only one); a refresh raises it
 * to the refresher's after computing every live mark again.  A worker
 * refreshes only buckets older than its own rules, under the bucket's
 * lock, so the comparison and the writes are one step: an older worker
 * never overwrites what newer rules said, a newer one always wins, and
 * a mark an older worker learns after a refresh makes the bucket old
 * again, for the newer workers' next pass.  Once the old workers are
 * gone, each bucket with live entries is refreshed once and the sweep
 * writes nothing more for marks.
 */
static void
refresh(struct nfqd_dnsl *d, struct bucket *b, const struct ent *e)
{
	unsigned	i;
	uint8_t		keep = 0;

	for (i = 0; i < NFQD_DNSL_WAYS; i++)
		if (b->exp[i] != 0 && e[i].len > 0 &&
		    e[i].len <= NFQD_L7_NAME_MAX &&
		    nfqd_dnsl_kept(d, e[i].name, e[i].len))
			keep |= (uint8_t)(1u << i);
	b->keep = keep;
	b->gen = d->gen;
	d->c.refreshed++;
}

void
nfqd_dnsl_sweep(struct nfqd_dnsl *d, uint32_t now, uint32_t count)
{
	struct nfqd_dnsl_tab	*t = d->t;
	struct bucket		*b;
	uint64_t		 start, bi;
	uint32_t		 k, x, refreshes = 0;
	unsigned		 i;
	bool			 old, live, stale;

	if (count > t->nb)
		count = (uint32_t)t->nb;
	start = __atomic_fetch_add(&hdr(t)->sweep, count, __ATOMIC_RELAXED);
	for (k = 0; k < count; k++) {
		bi = (start + k) % t->nb;
		b = &buckets(t)[bi];
		for (i = 0, old = live = false; i < NFQD_DNSL_WAYS; i++) {
			x = __atomic_load_n(&b->exp[i], __ATOMIC_RELAXED);
			old = old || (x != 0 && x <= now);
			live = live || x > now;
		}
		/* Marks from older rules, and room to compute them again
		   (a bucket of 8 names costs 8 questions). */
		stale = live && refreshes < NFQD_DNSL_REFRESH_MAX &&
		    __atomic_load_n(&b->gen, __ATOMIC_RELAXED) < d->gen;
		if (!old && !stale)
			continue;
		if (!lock_take(&b->lock, d->self)) {
			d->c.busy++;
			continue;
		}
		write_begin(&b->seq);
		for (i = 0; i < NFQD_DNSL_WAYS; i++)
			expire(d, b, i, now);
		if (stale && b->gen < d->gen) {
			refresh(d, b, ents(t, bi));
			refreshes++;
		}
		write_end(&b->seq, &b->lock);
	}
}

/*
 * Free a lock pid holds: the seqcount even again (a new value), the
 * bucket emptied first, since what pid was writing may be half there.
 */
static bool
repair_begin(uint32_t *lock, uint32_t *seq, uint32_t pid)
{
	if (__atomic_load_n(lock, __ATOMIC_ACQUIRE) != pid)
		return false;
	if (!(__atomic_load_n(seq, __ATOMIC_RELAXED) & 1))
		write_begin(seq);
	return true;
}

unsigned
nfqd_dnsl_repair(struct nfqd_dnsl_tab *t, uint32_t pid)
{
	struct bucket	*b;
	struct pbucket	*pb;
	uint64_t	 i;
	unsigned	 n = 0, k;

	if (pid == 0)
		return 0;
	for (i = 0; i < t->nb; i++) {
		b = &buckets(t)[i];
		if (!repair_begin(&b->lock, &b->seq, pid))
			continue;
		for (k = 0; k < NFQD_DNSL_WAYS; k++)
			if (b->exp[k] != 0) {
				b->exp[k] = 0;
				entries_add(t, -1);
			}
		b->keep = 0;
		write_end(&b->seq, &b->lock);
		n++;
	}
	for (i = 0; i < NFQD_DNSL_PBUCKETS; i++) {
		pb = &pbuckets(t)[i];
		if (!repair_begin(&pb->lock, &pb->seq, pid))
			continue;
		for (k = 0; k < NFQD_DNSL_PWAYS; k++)
			pb->p[k].deadline = 0;
		write_end(&pb->seq, &pb->lock);
		n++;
	}
	return n;
}

void *
nfqd_dnsl_test_mapping(struct nfqd_dnsl_tab *t)
{
	return t->base;
}

unsigned
nfqd_dnsl_test_kept(struct nfqd_dnsl_tab *t, uint8_t family,
    const uint8_t *addr, struct nfqd_dnames *kept, uint32_t *gen,
    uint32_t *seq)
{
	uint8_t		 a[16];
	struct bucket	*b;
	struct ent	*e;
	unsigned	 i;

	locate(t, family, addr, a, &b, &e);
	kept->n = 0;
	for (i = 0; i < NFQD_DNSL_WAYS; i++) {
		if (b->exp[i] == 0 || !(b->keep & (1u << i)))
			continue;
		memcpy(kept->name[kept->n], e[i].name, e[i].len);
		kept->name[kept->n][e[i].len] = '\0';
		kept->len[kept->n++] = e[i].len;
	}
	*gen = b->gen;
	*seq = b->seq;
	return kept->n;
}

bool
nfqd_dnsl_test_lock(struct nfqd_dnsl_tab *t, uint8_t family,
    const uint8_t *addr, uint32_t pid)
{
	uint8_t		 a[16];
	struct bucket	*b;
	struct ent	*e;

	locate(t, family, addr, a, &b, &e);
	if (!lock_take(&b->lock, pid))
		return false;
	write_begin(&b->seq);	/* and die here */
	return true;
}

void
nfqd_dnsl_test_unlock(struct nfqd_dnsl_tab *t, uint8_t family,
    const uint8_t *addr)
{
	uint8_t		 a[16];
	struct bucket	*b;
	struct ent	*e;

	locate(t, family, addr, a, &b, &e);
	write_end(&b->seq, &b->lock);
}

/* The pending queries. */

static struct pbucket *
pbucket_of(const struct nfqd_dnsl_tab *t, const struct nfqd_dnsl_query *q)
{
	uint8_t		a[16];
	uint64_t	h;

	addr16(a, q->family, q->client);
	h = addr_hash(t->seed ^ 0x5bd1e995u, q->family, a) ^
	    nfqd_mix64((uint64_t)q->port << 16 | q->id);
	return &pbuckets(t)[bucket_of(nfqd_mix64(h), NFQD_DNSL_PBUCKETS)];
}

static bool
same_query(const struct nfqd_dnsl_query *a, const struct nfqd_dnsl_query *b)
{
	unsigned	n = alen(a->family);

	return a->family == b->family && a->proto == b->proto &&
	    a->port == b->port && a->id == b->id && a->qtype == b->qtype &&
	    a->qlen == b->qlen &&
	    memcmp(a->client, b->client, n) == 0 &&
	    memcmp(a->server, b->server, n) == 0 &&
	    memcmp(a->qname, b->qname, a->qlen) == 0;
}

int
nfqd_dnsl_expect(struct nfqd_dnsl *d, const struct nfqd_dnsl_query *q,
    uint64_t now_ns)
{
	struct pbucket	*pb = pbucket_of(d->t, q);
	struct pend	*p;
	unsigned	 i, way = NFQD_DNSL_PWAYS, free_way = NFQD_DNSL_PWAYS;
	unsigned	 oldest = 0;

	if (!lock_take(&pb->lock, d->self)) {
		d->c.busy++;
		return -1;
	}
	write_begin(&pb->seq);
	/*
	 * The same query again (a retransmission) waits where it waits: were
	 * it put in a way freed before it, two answers could take it.
	 */
	for (i = 0; i < NFQD_DNSL_PWAYS; i++) {
		p = &pb->p[i];
		if (p->deadline > now_ns && same_query(&p->q, q)) {
			way = i;
			break;
		}
		if (free_way == NFQD_DNSL_PWAYS && p->deadline <= now_ns)
			free_way = i;	/* the first free or over */
		if (p->deadline < pb->p[oldest].deadline)
			oldest = i;
	}
	if (way == NFQD_DNSL_PWAYS)
		way = free_way;
	if (way == NFQD_DNSL_PWAYS)
		way = oldest;	/* a flood of queries: the oldest goes */
	p = &pb->p[way];
	p->q = *q;
	p->deadline = now_ns + NFQD_DNSL_PENDING_S * 1000000000ull;
	write_end(&pb->seq, &pb->lock);
	return 0;
}

bool
nfqd_dnsl_take(struct nfqd_dnsl *d, const struct nfqd_dnsl_query *q,
    uint64_t now_ns)
{
	struct pbucket	*pb = pbucket_of(d->t, q);
	struct pend	*p;
	unsigned	 i;
	bool		 found = false;

	if (!lock_take(&pb->lock, d->self)) {
		d->c.busy++;
		return false;
	}
	write_begin(&pb->seq);
	for (i = 0; i < NFQD_DNSL_PWAYS; i++) {
		p = &pb->p[i];
		if (p->deadline > now_ns && same_query(&p->q, q)) {
			p->deadline = 0;	/* one answer per query */
			found = true;
			break;
		}
	}
	write_end(&pb->seq, &pb->lock);
	return found;
}
