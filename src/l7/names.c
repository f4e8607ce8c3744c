/*
 * Name sets (include/nfqd/l7/names.h): the list file reader, the builder
 * and the lookup.
 *
 * A built set is two blocks.  names: entries [length byte][name bytes],
 * each distinct normalized name once, from offset 1 (offset 0 is a spare
 * byte, so that a slot of 0 can mean "empty").  table: a power-of-two
 * array of 32-bit slots, open addressing with linear probing, at most 3/4
 * full.  A slot holds an entry's offset in its low obits bits, then one bit
 * "subdomains too", then as many bits of the hash as are left: a tag that
 * spares nearly every string compare of a probe that does not match.  At
 * 1 million names of ~24 bytes that is 25 bytes of names and 8 of table
 * per name.
 *
 * A name's hash is computed from its last byte to its first, so that one
 * backward pass over a query gives the hash of each of its suffixes that
 * starts a label: a name of 4 labels costs 4 probes whatever the size of
 * the set, and the 4 slots are prefetched before the first is read.
 *
 * Big blocks are mmap'd (and made read-only once built) rather than
 * malloc'd: glibc serves big allocations from its heap once its mmap
 * threshold has grown, and a freed heap block is not given back, so a set
 * rebuilt on every reload would grow the process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfqd/l7/l7parse.h"
#include "nfqd/l7/names.h"
#include "nfqd/util.h"

/* A block this big or bigger is mmap'd; smaller ones are malloc'd. */
#define BIG_BLOCK	(128 * 1024)
/* The file reader's buffer: many lines per read(), and one whole line. */
#define READ_CHUNK	(64 * 1024)
/* A DNS label's limit (RFC 1035). */
#define LABEL_MAX	63
/* Per-byte hash step: FNV-1a's 64-bit prime. */
#define HASH_MUL	0x100000001b3ull

_Static_assert(READ_CHUNK > NFQD_NAMES_LINE_MAX + 1, "a line fits a read");
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
	uint64_t	 seed;		/* the hash's starting state */
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
	return p == MAP_FAILED ? NULL : p;
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
		return q == MAP_FAILED ? NULL : q;
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

/* Not the same for two processes, so a list cannot be made to collide. */
static uint64_t
hash_seed(void)
{
	static uint64_t	seed;

	if (seed == 0) {
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(seed))
			seed = nfqd_now_ns() ^ (uint64_t)getpid() << 32;
		seed |= 1;
	}
	return seed;
}

static inline uint64_t
hash_step(uint64_t h, uint8_t c)
{
	return (h ^ c) * HASH_MUL;
}

/* The per-byte state mixed so that every bit counts (MurmurHash3). */
static inline uint64_t
hash_end(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t
hash_name(uint64_t seed, const uint8_t *s, size_t len)
{
	uint64_t	h = seed;

	while (len-- > 0)
		h = hash_step(h, s[len]);
	return hash_end(h);
}

/* s[0..len) for a message: quoted, odd bytes as \xNN, cut at ~60 bytes. */
static const char *
shown(char *buf, size_t size, const uint8_t *s, size_t len)
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

static int
has(const uint8_t *s, size_t len, const char *what)
{
	size_t	w = strlen(what), i;

	for (i = 0; i + w <= len; i++)
		if (memcmp(s + i, what, w) == 0)
			return 1;
	return 0;
}

/*
 * Why the element text (its '=' dropped: s[0..len)) is refused, in the
 * words a list's author needs: the common mistakes (a wildcard, adblock
 * syntax, a URL) by name, then the first byte or label at fault.
 */
static int
refuse(const uint8_t *text, size_t tlen, const uint8_t *s, size_t len,
    char *err, size_t errlen)
{
	char		q[128], q2[128];
	size_t		i, label = 0;
	uint8_t		c;

	shown(q, sizeof(q), text, tlen);
	if (len == 0 || (len == 1 && s[0] == '.'))
		return nfqd_errf(err, errlen, EINVAL, "%s: empty name", q);
	if (len > 2 && s[0] == '*' && s[1] == '.')
		return nfqd_errf(err, errlen, EINVAL, "%s: a wildcard is not "
		    "needed: %s already matches its subdomains", q,
		    shown(q2, sizeof(q2), s + 2, len - 2));
	if ((len >= 2 && (memcmp(s, "||", 2) == 0 ||
	    memcmp(s, "@@", 2) == 0)) || memchr(s, '^', len) != NULL)
		return nfqd_errf(err, errlen, EINVAL, "%s: adblock syntax "
		    "(\"||name^\") is not supported: write the name alone", q);
	if (has(s, len, "://"))
		return nfqd_errf(err, errlen, EINVAL, "%s: a URL, not a name",
		    q);
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!name_byte[c]) {
			if (c > 0x20 && c < 0x7f)
				return nfqd_errf(err, errlen, EINVAL, "%s: byte "
				    "0x%02x ('%c') is not allowed in a name",
				    q, c, c);
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
				return nfqd_errf(err, errlen, EINVAL, "%s: empty "
				    "label", q);
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
	size_t	cap = b->cap;
	void	*p;

	if (b->used + n <= b->cap)
		return 0;
	if (b->used + n > NFQD_NAMES_TOTAL_MAX)
		return nfqd_errf(err, errlen, EFBIG, "more than %lu MiB of "
		    "names in one set", NFQD_NAMES_TOTAL_MAX >> 20);
	while (cap < b->used + n)
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

/* A list's reading position, for FILE:LINE in messages. */
struct list {
	struct nfqd_names_builder *b;
	const char	*label;		/* the file's path, or a caller's label */
	unsigned long	 line;		/* the line being read, from 1 */
	char		*err;
	size_t		 errlen;
};

static int
list_fail(struct list *l, const char *msg)
{
	return nfqd_errf(l->err, l->errlen, EINVAL, "%s:%lu: %s", l->label,
	    l->line, msg);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* An IPv4 or IPv6 address (with an IPv6 zone, "fe80::1%lo0"): the first
 * field of a hosts-file line. */
static int
is_addr(const char *s, size_t len)
{
	char		buf[INET6_ADDRSTRLEN + 1];
	uint8_t		a[16];
	const char	*pct;
	size_t		i;

	if (memchr(s, ':', len) != NULL) {
		if ((pct = memchr(s, '%', len)) != NULL && pct + 1 < s + len)
			len = (size_t)(pct - s);
		if (len >= sizeof(buf))
			return 0;
		memcpy(buf, s, len);
		buf[len] = '\0';
		return inet_pton(AF_INET6, buf, a) == 1;
	}
	if (len >= sizeof(buf))
		return 0;
	for (i = 0; i < len; i++)
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.')
			return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, a) == 1;
}

static int
list_add(struct list *l, const char *s, size_t len)
{
	char	msg[512];

	if (nfqd_names_add(l->b, s, len, msg, sizeof(msg)) == 0)
		return 0;
	return list_fail(l, msg);
}

/* One line, its newline gone: blank, a name, or a hosts-file line. */
static int
list_line(struct list *l, const char *p, size_t len)
{
	const char	*end, *f, *g, *hash;
	char		 q[128], msg[256];
	size_t		 flen;

	if (l->line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	if ((hash = memchr(p, '#', len)) != NULL)
		len = (size_t)(hash - p);
	end = p + len;
	for (f = p; f < end && blank(*f); f++)
		;
	if (f == end)
		return 0;
	for (g = f; g < end && !blank(*g); g++)
		;
	flen = (size_t)(g - f);
	while (g < end && blank(*g))
		g++;
	if (g == end) {
		if (is_addr(f, flen)) {
			snprintf(msg, sizeof(msg), "%s: an address with no name "
			    "after it", shown(q, sizeof(q), (const uint8_t *)f,
			    flen));
			return list_fail(l, msg);
		}
		return list_add(l, f, flen);
	}
	if (!is_addr(f, flen)) {
		snprintf(msg, sizeof(msg), "%s is not an IP address: only a "
		    "hosts-file line (an address, then names) holds more than "
		    "one name", shown(q, sizeof(q), (const uint8_t *)f, flen));
		return list_fail(l, msg);
	}
	while (g < end) {
		for (f = g; g < end && !blank(*g); g++)
			;
		if (list_add(l, f, (size_t)(g - f)) == -1)
			return -1;
		while (g < end && blank(*g))
			g++;
	}
	return 0;
}

/*
 * The whole lines of p[0..len), and the rest as a last line when final.
 * *done: the bytes read (the start of a line not yet whole).
 */
static int
list_feed(struct list *l, const char *p, size_t len, int final, size_t *done)
{
	const char	*nl;
	size_t		 off = 0, n;

	*done = 0;
	while (off < len) {
		nl = memchr(p + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (p + off)) : len - off;
		if (n > NFQD_NAMES_LINE_MAX) {
			l->line++;
			return list_fail(l, "line longer than 4096 bytes");
		}
		if (nl == NULL && !final)
			break;
		l->line++;
		if (list_line(l, p + off, n) == -1)
			return -1;
		off += n + (nl != NULL);
		*done = off;
	}
	return 0;
}

_Static_assert(NFQD_NAMES_LINE_MAX == 4096, "the message names the limit");

int
nfqd_names_add_text(struct nfqd_names_builder *b, const char *label,
    const char *text, size_t len, char *err, size_t errlen)
{
	struct list	l = { b, label, 0, err, errlen };
	size_t		done;

	return list_feed(&l, text, len, 1, &done);
}

int
nfqd_names_add_file(struct nfqd_names_builder *b, const char *path,
    char *err, size_t errlen)
{
	struct list	 l = { b, path, 0, err, errlen };
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 have = 0, done;
	uint64_t	 total = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	/* O_NONBLOCK: a FIFO put in a list's place must not hang the
	 * master in open(); it is refused below. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1)
		return nfqd_errf(err, errlen, errno, "open(%s): %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == -1) {
		nfqd_errf(err, errlen, errno, "fstat(%s): %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		nfqd_errf(err, errlen, EINVAL, "%s is %s, not a regular file",
		    path, nfqd_file_kind(sb.st_mode));
		goto out;
	}
	if ((uint64_t)sb.st_size > NFQD_NAMES_FILE_MAX) {
		nfqd_errf(err, errlen, EFBIG, "%s: larger than %lu MiB, the "
		    "limit for a name list", path, NFQD_NAMES_FILE_MAX >> 20);
		goto out;
	}
	if ((buf = malloc(READ_CHUNK)) == NULL) {
		nfqd_errf(err, errlen, ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		r = read(fd, buf + have, READ_CHUNK - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			nfqd_errf(err, errlen, errno, "read(%s): %s", path,
			    strerror(errno));
			goto out;
		}
		/* It may have grown since fstat(). */
		if ((total += (uint64_t)r) > NFQD_NAMES_FILE_MAX) {
			nfqd_errf(err, errlen, EFBIG, "%s: larger than %lu MiB, "
			    "the limit for a name list", path,
			    NFQD_NAMES_FILE_MAX >> 20);
			goto out;
		}
		have += (size_t)r;
		if (list_feed(&l, buf, have, r == 0, &done) == -1)
			goto out;
		if (r == 0)
			break;
		memmove(buf, buf + done, have - done);
		have -= done;
	}
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
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
	uint64_t	h = hash_name(s->seed, name, len);
	uint32_t	i = (uint32_t)h & s->mask, tag, slot;
	const uint8_t	*e;

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
	struct nfqd_names	*s;
	size_t			 slots = 8, r, w, len;
	uint8_t			*names, *p;
	unsigned		 obits;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->seed = hash_seed();
	if (b->n == 0) {
		nfqd_names_builder_free(b);
		return s;
	}
	while (slots * 3 < b->n * 4)
		slots <<= 1;
	s->tbytes = slots * sizeof(uint32_t);
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
	free(s);
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

/* Is q[0..len) in the set, as a parent (sub) or as the query itself? */
static inline int
probe(const struct nfqd_names *s, uint64_t h, const uint8_t *q, size_t len,
    int exact)
{
	uint32_t	i = (uint32_t)h & s->mask, slot, tag;
	const uint8_t	*e;

	tag = (uint32_t)(h >> 32) >> s->tshift;
	while ((slot = s->table[i]) != 0) {
		if (slot >> s->tshift == tag && (exact || (slot & s->sub))) {
			e = s->names + (slot & s->omask);
			if (e[0] == len && memcmp(e + 1, q, len) == 0)
				return 1;
		}
		i = (i + 1) & s->mask;
	}
	return 0;
}

int
nfqd_names_match(const struct nfqd_names *s, const char *name, size_t len)
{
	const uint8_t	*q = (const uint8_t *)name;
	/* Suffixes start at 0 and after each dot: at most len of them. */
	uint64_t	 hv[NFQD_L7_NAME_MAX];
	uint8_t		 at[NFQD_L7_NAME_MAX];
	uint64_t	 h;
	size_t		 i, k, n = 0;

	/* A normalized name has no trailing dot; should one come through,
	 * it must not be a way around the set. */
	if (len > 0 && q[len - 1] == '.')
		len--;
	if (s->count == 0 || len == 0 || len > NFQD_L7_NAME_MAX)
		return 0;
	h = s->seed;
	for (i = len; i-- > 0;) {
		h = hash_step(h, q[i]);
		if (i == 0 || q[i - 1] == '.') {
			hv[n] = hash_end(h);
			at[n] = (uint8_t)i;
			__builtin_prefetch(&s->table[(uint32_t)hv[n] & s->mask]);
			n++;
		}
	}
	for (k = 0; k < n; k++)
		if (probe(s, hv[k], q + at[k], len - at[k], at[k] == 0))
			return 1;
	return 0;
}
