/*
 * Name sets (include/nfqd/l7/names.h): the builder and the lookup (the
 * list file reader is namefile.c).
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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nfqd/l7/l7parse.h"
#include "nfqd/l7/names.h"
#include "nfqd/util.h"

/* A block this big or bigger is mmap'd; smaller ones are malloc'd. */
#define BIG_BLOCK	(128 * 1024)
/* A DNS label's limit (RFC 1035). */
#define LABEL_MAX	63

_Static_assert(NFQD_NAMES_TOTAL_MAX <= (1ul << 30), "offsets fit 30 bits");

struct nfqd_names_builder {
	uint8_t	*buf;		/* entries [len][sub][name], from offset 1 */
	size_t	 used;		/* bytes of buf in use */
	size_t	 cap;		/* bytes of buf allocated */
	size_t	 n;		/* entries, duplicates included */
};

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
static size_t
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
	return calloc(1, sizeof(struct nfqd_names_builder));
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
	b->used += 2 + (size_t)n;
	b->n++;
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
	size_t			 slots = 8, r, w, len;
	uint8_t			*names, *p;
	unsigned		 obits;

	if (b == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	memcpy(s->key, hash_keys(), sizeof(s->key));
	if (b->n == 0) {
		nfqd_names_builder_free(b);
		return s;
	}
	while (slots * 3 < b->n * 4)
		slots <<= 1;
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
	for (r = w = 1; r < b->used; r += 2 + len) {
		len = names[r];
		insert(s, names, &w, names + r + 2, len, names[r + 1]);
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
	b->buf = NULL;
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
	if (s == NULL)
		return;
	blk_free(s->table, s->tbytes);
	blk_free(s->names, s->nbytes);
	free(s);
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
