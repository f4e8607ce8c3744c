/*
 * Name sets (include/nfqd/l7/names.h): the builder (the lookup is
 * namematch.c, the list file reader namefile.c).
 *
 * A built set is two blocks.  names: entries [length byte][name bytes],
 * each distinct normalized name once, from offset 1 (offset 0 is a spare
 * byte, so that a slot of 0 can mean "empty").  table: a power-of-two
 * array of 32-bit slots, open addressing with linear probing, at most 3/4
 * full, with the first 3 slots repeated after the last so that a lookup
 * reads any 4 in a row without wrapping.  A slot holds an entry's offset
 * in its low obits bits, then one bit "subdomains too", then as many bits
 * of the hash as are left: a tag that spares nearly every string compare
 * of a probe that does not match.  At 1 million names of ~24 bytes that
 * is 25 bytes of names and 8 of table per name.
 *
 * A name's hash is computed label by label from its last label to its
 * first, so that one backward pass over a query gives the hash of each of
 * its suffixes that starts a label: a name of 4 labels costs 4 probes
 * whatever the size of the set, and each probe's slots are prefetched as
 * soon as its hash is known.  A label is taken 8 or 16 bytes at a time
 * and mixed with 128-bit multiplies under keys drawn at random per
 * process (the way wyhash does): several times faster than a byte at a
 * time, and a list's author cannot choose names that collide, which
 * could make the build quadratic and stall a reload.
 *
 * Big blocks are mmap'd (and made read-only once built) rather than
 * malloc'd: glibc serves big allocations from its heap once its mmap
 * threshold has grown, and a freed heap block is not given back, so a set
 * rebuilt on every reload would grow the process.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "nfqd/fault.h"
#include "nfqd/l7/l7parse.h"
#include "nfqd/l7/names.h"
#include "nfqd/util.h"
#include "nfqd/yield.h"
#include "namesint.h"

/* A block this big or bigger is mmap'd; smaller ones are malloc'd. */
#define BIG_BLOCK	(128 * 1024)
/* Names a build inserts between two calls of the yield (a power of 2). */
#define BUILD_YIELD	16384
/* The smallest table. */
#define MIN_SLOTS	8
/* A DNS label's limit (RFC 1035). */
#define LABEL_MAX	63

_Static_assert(NFQD_NAMES_TOTAL_MAX <= (1ul << 30), "offsets fit 30 bits");

struct nfqd_names_builder {
	uint8_t	*buf;		/* entries [len][sub][name], from offset 1 */
	size_t	 used;		/* bytes of buf in use */
	size_t	 cap;		/* bytes of buf allocated */
	size_t	 n;		/* entries, duplicates included */
	size_t	 slots;		/* a table's for n, at most 3/4 full */
	size_t	 limit;		/* nfqd_names_builder_limit(); SIZE_MAX */
	bool	 over;		/* an entry was refused for the limit */
};


/* Bytes allowed in an element once folded: LDH, '_' (SRV and DKIM
 * names) and the dots between labels. */
static const uint8_t name_byte[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

const void *
nfqd_names_builder_test_buf(const struct nfqd_names_builder *b)
{
	return b->buf;
}

static int
hold_yield(void *arg)
{
	(void)arg;
	return nfqd_load_yield();
}

/* The load's yield, and where the names-read fault point fires. */
int
nfqd_names_yield(void)
{
	if (!nfqd_load_yielding())
		return 0;
	/* Only where something waits on it: a start reads no differently. */
	if (nfqd_fault_due(NFQD_FAULT_NAMES_READ, 1) &&
	    nfqd_fault_hold(NFQD_FAULT_NAMES_READ, hold_yield, NULL) == -1)
		return -1;
	return nfqd_load_yield();
}

/* Blocks: zeroed; malloc'd below BIG_BLOCK, mmap'd from it. */
static void *
blk_alloc(size_t size)
{
	void	*p;

	if (size < BIG_BLOCK)
		return calloc(1, size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Not for a process forked while it is filled (a worker the master
	 * starts from the yield, in a reload): it would keep the pages the
	 * master changes or frees after the fork.  nfqd_names_build() gives
	 * a built set's blocks back to the forks (blk_fork()).  A hint:
	 * without it the fork only holds more memory. */
	(void)madvise(p, size, MADV_DONTFORK);
	/* Lookups land at random in the table and the names: 2 MiB pages
	 * spare them most TLB misses (where THP is "madvise" or
	 * "always"; a hint only). */
	madvise(p, size, MADV_HUGEPAGE);
	return p;
}

static void
blk_free(const void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size < BIG_BLOCK)
		free((void *)(uintptr_t)p);
	else
		munmap((void *)(uintptr_t)p, size);
}

/* A block of a built set: forked with the workers.  0, or -1 (errno). */
static int
blk_fork(const void *p, size_t size)
{
	if (p == NULL || size < BIG_BLOCK)
		return 0;
	return madvise((void *)(uintptr_t)p, size, MADV_DOFORK);
}

/* The block p of old bytes made size bytes, kept as far as both reach. */
static void *
blk_resize(void *p, size_t old, size_t size)
{
	void	*q;

	if (p != NULL && old >= BIG_BLOCK && size >= BIG_BLOCK) {
		q = mremap(p, old, size, MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			return NULL;
		madvise(q, size, MADV_HUGEPAGE);
		return q;
	}
	if ((p == NULL || old < BIG_BLOCK) && size < BIG_BLOCK)
		return realloc(p, size);
	if ((q = blk_alloc(size)) == NULL)
		return NULL;
	if (p != NULL)
		memcpy(q, p, old < size ? old : size);
	blk_free(p, old);
	return q;
}

/* The hash's keys: random, drawn once per process. */
static const uint64_t *
hash_keys(void)
{
	static uint64_t	key[3];
	uint64_t	x;
	int		i;

	if (key[0] != 0)
		return key;
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(key)) {
		/* No entropy yet (early boot): the clock, spread out. */
		x = nfqd_now_ns() ^ (uint64_t)getpid() << 32;
		for (i = 0; i < 3; i++) {
			x += 0x9e3779b97f4a7c15ull;
			key[i] = (x ^ x >> 31) * 0xbf58476d1ce4e5b9ull;
		}
	}
	key[0] |= 1;		/* drawn */
	return key;
}


const char *
nfqd_names_shown(char *buf, size_t size, const uint8_t *s, size_t len)
{
	size_t	i, n = 0;

	buf[n++] = '"';
	for (i = 0; i < len && n + 10 < size && i < 60; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\')
			buf[n++] = (char)s[i];
		else
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x",
			    s[i]);
	}
	if (i < len)
		n += (size_t)snprintf(buf + n, size - n, "...");
	snprintf(buf + n, size - n, "\"");
	return buf;
}

/*
 * Why the element text (its '=' dropped: s[0..len)) is refused, in the
 * words a list's author needs: the common mistakes (a wildcard, adblock
 * or dnsmasq syntax, a URL) by name, then the first byte or label at fault.
 */
static int
refuse(const uint8_t *text, size_t tlen, const uint8_t *s, size_t len,
    char *err, size_t errlen)
{
	char		q[128], q2[128];
	size_t		i, label = 0;
	uint8_t		c;

	nfqd_names_shown(q, sizeof(q), text, tlen);
	if (len == 0 || (len == 1 && s[0] == '.'))
		return nfqd_errf(err, errlen, EINVAL, "%s: empty name", q);
	if (len > 2 && s[0] == '*' && s[1] == '.')
		return nfqd_errf(err, errlen, EINVAL, "%s: a wildcard is not "
		    "needed: %s already matches its subdomains", q,
		    nfqd_names_shown(q2, sizeof(q2), s + 2, len - 2));
	if ((len >= 2 && (memcmp(s, "||", 2) == 0 ||
	    memcmp(s, "@@", 2) == 0)) || memchr(s, '^', len) != NULL)
		return nfqd_errf(err, errlen, EINVAL, "%s: adblock syntax "
		    "(\"||name^\") is not supported: write the name alone", q);
	if (memmem(s, len, "://", 3) != NULL)
		return nfqd_errf(err, errlen, EINVAL, "%s: a URL, not a name",
		    q);
	if ((len > 9 && memcmp(s, "address=/", 9) == 0) ||
	    (len > 8 && memcmp(s, "server=/", 8) == 0) ||
	    (len > 7 && memcmp(s, "local=/", 7) == 0))
		return nfqd_errf(err, errlen, EINVAL, "%s: dnsmasq syntax "
		    "(\"address=/name/...\") is not supported: write the name "
		    "alone", q);
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!name_byte[c]) {
			if (c > 0x20 && c < 0x7f)
				return nfqd_errf(err, errlen, EINVAL,
				    "%s: byte 0x%02x ('%c') is not allowed in "
				    "a name", q, c, c);
			return nfqd_errf(err, errlen, EINVAL, "%s: byte 0x%02x "
			    "is not allowed in a name", q, c);
		}
	}
	if (s[len - 1] == '.')
		len--;
	if (len > NFQD_L7_NAME_MAX)
		return nfqd_errf(err, errlen, EINVAL, "%s: longer than %d "
		    "bytes", q, NFQD_L7_NAME_MAX);
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0)
				return nfqd_errf(err, errlen, EINVAL,
				    "%s: empty label", q);
			if (label > LABEL_MAX)
				return nfqd_errf(err, errlen, EINVAL, "%s: a "
				    "label longer than %d bytes", q, LABEL_MAX);
			label = 0;
		} else
			label++;
	}
	return nfqd_errf(err, errlen, EINVAL, "%s: not a name", q);
}

/*
 * What nfqd_names_build() makes of n entries in used bytes of the
 * builder, with a table of slots, when no entry repeats another: its
 * names lose each entry's "sub" byte.
 */
static size_t
set_bytes(size_t slots, size_t n, size_t used)
{
	if (n == 0)
		return sizeof(struct nfqd_names);
	return sizeof(struct nfqd_names) + (slots + 3) * sizeof(uint32_t) +
	    used - n;
}

/*
 * Count the entry of size bytes just written at the end of the builder,
 * or refuse it when the set would pass the builder's limit.
 */
static int
commit(struct nfqd_names_builder *b, size_t size, char *err, size_t errlen)
{
	size_t	slots = b->slots;

	/* One more entry: the table doubles at most once. */
	if (slots * 3 < (b->n + 1) * 4)
		slots <<= 1;
	if (b->limit != SIZE_MAX &&
	    set_bytes(slots, b->n + 1, b->used + size) > b->limit) {
		b->over = true;
		return nfqd_errf(err, errlen, EFBIG, "the set would take more "
		    "than %zu bytes", b->limit);
	}
	b->slots = slots;
	b->used += size;
	b->n++;
	return 0;
}

/* Room for n more bytes in the builder. */
static int
reserve(struct nfqd_names_builder *b, size_t n, char *err, size_t errlen)
{
	size_t	cap = b->cap, used = b->used > 0 ? b->used : 1;
	void	*p;

	if (used + n <= b->cap)
		return 0;
	if (used + n > NFQD_NAMES_TOTAL_MAX)
		return nfqd_errf(err, errlen, EFBIG, "more than %lu MiB of "
		    "names in one set", NFQD_NAMES_TOTAL_MAX >> 20);
	while (cap < used + n)
		cap = cap < 256 ? 256 : cap * 2;
	if ((p = blk_resize(b->buf, b->cap, cap)) == NULL)
		return nfqd_errf(err, errlen, ENOMEM, "out of memory");
	b->buf = p;
	b->cap = cap;
	if (b->used == 0) {
		b->buf[0] = 0;		/* the spare byte at offset 0 */
		b->used = 1;
	}
	return 0;
}

struct nfqd_names_builder *
nfqd_names_builder_new(void)
{
	struct nfqd_names_builder	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->slots = MIN_SLOTS;
	b->limit = SIZE_MAX;
	return b;
}

void
nfqd_names_builder_limit(struct nfqd_names_builder *b, size_t max)
{
	b->limit = max;
}

size_t
nfqd_names_builder_bytes(const struct nfqd_names_builder *b)
{
	return set_bytes(b->slots, b->n, b->used);
}

bool
nfqd_names_builder_over(const struct nfqd_names_builder *b)
{
	return b->over;
}

void
nfqd_names_builder_free(struct nfqd_names_builder *b)
{
	if (b == NULL)
		return;
	blk_free(b->buf, b->cap);
	free(b);
}

int
nfqd_names_add(struct nfqd_names_builder *b, const char *text, size_t len,
    char *err, size_t errlen)
{
	const uint8_t	*t = (const uint8_t *)text, *s = t;
	size_t		 slen = len, i, label = 0;
	uint8_t		 sub = 1, *dst;
	int		 n;

	if (slen > 0 && s[0] == '=') {
		sub = 0;
		s++;
		slen--;
	}
	/* The name is folded straight into its place in the builder. */
	if (reserve(b, 2 + NFQD_L7_NAME_MAX + 1, err, errlen) == -1)
		return -1;
	dst = b->buf + b->used;
	if ((n = nfqd_l7_name_norm((char *)dst + 2, s, slen)) < 0)
		return refuse(t, len, s, slen, err, errlen);
	/* The norm drops one trailing dot: "a.." keeps one, an empty
	 * label. */
	if (n > 0 && dst[2 + n - 1] == '.')
		return refuse(t, len, s, slen, err, errlen);
	for (i = 0; i < (size_t)n; i++) {
		if (!name_byte[dst[2 + i]])
			return refuse(t, len, s, slen, err, errlen);
		if (dst[2 + i] != '.')
			label++;
		else
			label = 0;
		if (label > LABEL_MAX)
			return refuse(t, len, s, slen, err, errlen);
	}
	dst[0] = (uint8_t)n;
	dst[1] = sub;
	return commit(b, 2 + (size_t)n, err, errlen);
}

int
nfqd_names_add_set(struct nfqd_names_builder *b, const struct nfqd_names *s,
    char *err, size_t errlen)
{
	const uint8_t	*e;
	uint8_t		*dst;
	uint32_t	 i, slot;

	/* Each distinct name has one slot among the first mask + 1 (the
	   3 after them repeat the first 3); its "subdomains too" bit is
	   the slot's.  The names are normalized already. */
	for (i = 0; s->table != NULL && i <= s->mask; i++) {
		if ((slot = s->table[i]) == 0)
			continue;
		e = s->names + (slot & s->omask);
		if (reserve(b, 2 + (size_t)e[0], err, errlen) == -1)
			return -1;
		dst = b->buf + b->used;
		dst[0] = e[0];
		dst[1] = (slot & s->sub) != 0;
		memcpy(dst + 2, e + 1, e[0]);
		if (commit(b, 2 + (size_t)e[0], err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Bits to hold every offset below size. */
static unsigned
bits_for(size_t size)
{
	unsigned	n = 1;

	while (n < 32 && ((size_t)1 << n) < size)
		n++;
	return n;
}

/*
 * Put the builder's entry (name, len, sub) in the set: a new name is
 * moved to the end of the set's names, at *w; a known one only widens.
 * The entry itself lies at or after *w, so moving it is a memmove.
 */
static void
insert(struct nfqd_names *s, uint8_t *names, size_t *w, const uint8_t *name,
    size_t len, int sub)
{
	uint64_t	hv[NFQD_L7_NAME_MAX], h;
	uint8_t		at[NFQD_L7_NAME_MAX];
	uint32_t	i, tag, slot;
	const uint8_t	*e;

	h = hv[hash_suffixes(s, name, len, hv, at) - 1];
	i = (uint32_t)h & s->mask;

	tag = (uint32_t)(h >> 32) >> s->tshift;
	while ((slot = s->table[i]) != 0) {
		if (slot >> s->tshift == tag) {
			e = names + (slot & s->omask);
			if (e[0] == len && memcmp(e + 1, name, len) == 0) {
				if (sub)
					s->table[i] |= s->sub;
				return;
			}
		}
		i = (i + 1) & s->mask;
	}
	names[*w] = (uint8_t)len;
	memmove(names + *w + 1, name, len);
	s->table[i] = (uint32_t)*w | (sub ? s->sub : 0) | tag << s->tshift;
	*w += 1 + len;
	s->count++;
}

struct nfqd_names *
nfqd_names_build(struct nfqd_names_builder *b)
{
	struct nfqd_names	*s = NULL;
	size_t			 slots, r, w, len, n;
	uint8_t			*names, *p;
	unsigned		 obits;

	if (b == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->refs = 1;
	memcpy(s->key, hash_keys(), sizeof(s->key));
	if (b->n == 0) {
		nfqd_names_builder_free(b);
		return s;
	}
	slots = b->slots;
	s->tbytes = (slots + 3) * sizeof(uint32_t);
	if ((s->table = blk_alloc(s->tbytes)) == NULL)
		goto fail;
	s->mask = (uint32_t)(slots - 1);
	obits = bits_for(b->used);
	s->omask = (uint32_t)((1ul << obits) - 1);
	s->sub = (uint32_t)1 << obits;
	s->tshift = obits + 1;

	/* Compacted in place: [len][sub][name] becomes [len][name]. */
	names = b->buf;
	for (r = w = 1, n = 0; r < b->used; r += 2 + len) {
		len = names[r];
		insert(s, names, &w, names + r + 2, len, names[r + 1]);
		/* The build goes on whatever the answer. */
		if ((++n & (BUILD_YIELD - 1)) == 0)
			(void)nfqd_names_yield();
	}
	if ((p = blk_resize(names, b->cap, w)) == NULL) {
		/* Shrinking failed: keep the bigger block. */
		s->names = names;
		s->nbytes = b->cap;
	} else {
		s->names = p;
		s->nbytes = w;
	}
	memcpy(s->table + slots, s->table, 3 * sizeof(uint32_t));
	b->buf = NULL;		/* s->names now */
	if (blk_fork(s->table, s->tbytes) == -1 ||
	    blk_fork(s->names, s->nbytes) == -1)
		goto fail;
	nfqd_names_builder_free(b);
	/* Read-only from here on: a stray write faults instead of
	 * unsharing the workers' copy-on-write pages. */
	if (s->tbytes >= BIG_BLOCK)
		mprotect(s->table, s->tbytes, PROT_READ);
	if (s->nbytes >= BIG_BLOCK)
		mprotect((void *)(uintptr_t)s->names, s->nbytes, PROT_READ);
	return s;
fail:
	nfqd_names_free(s);
	nfqd_names_builder_free(b);
	return NULL;
}

void
nfqd_names_free(struct nfqd_names *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	blk_free(s->table, s->tbytes);
	blk_free(s->names, s->nbytes);
	free(s);
}

struct nfqd_names *
nfqd_names_ref(struct nfqd_names *s)
{
	s->refs++;
	return s;
}

size_t
nfqd_names_count(const struct nfqd_names *s)
{
	return s->count;
}

size_t
nfqd_names_bytes(const struct nfqd_names *s)
{
	return sizeof(*s) + s->tbytes + s->nbytes;
}
