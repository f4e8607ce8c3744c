/*
 * Unit tests for src/l7/reasm.c: tables of segment shapes with the result,
 * flags and contig expected after each segment; every order of a few
 * overlapping segments; a stream in 1-byte segments in random order;
 * conflicts that must leave the buffer as it was; the window's edges and
 * sequence wraparound; the pool; the TCP span helper; and 100,000 random
 * operations checked against a model that is too simple to be wrong.
 * Lines starting with "#" only report timings: nothing is asserted on them.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/l7/reasm.h"
#include "unit.h"

#define MAX		NFQD_REASM_MAX
#define PAST		NFQD_REASM_PAST
#define NEW		NFQD_REASM_NEW
#define OK		NFQD_REASM_OK
#define CONFLICT	NFQD_REASM_CONFLICT

/* The true stream, with room for segments that run past the window. */
#define STREAMLEN	(MAX + 70000)
static uint8_t		stream[STREAMLEN];
static uint8_t		seg[STREAMLEN];

static struct nfqd_reasm_pool	*pool;

static uint64_t		rng_state;

/* xorshift64*: fixed seeds, the same sequence on every run. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t
rnd(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

/* The stream's byte at offset off (offsets below 0 too). */
static uint8_t
sbyte(int64_t off)
{
	return (uint8_t)(off * 131 + (off >> 8) * 7 + 17);
}

static void
fill_stream(void)
{
	int64_t	i;

	for (i = 0; i < STREAMLEN; i++)
		stream[i] = sbyte(i);
}

/*
 * The segment of len bytes at stream offset off, in seg[]: the true bytes,
 * with byte flip (an offset in the stream, or -1 for none) changed.
 */
static const uint8_t *
mkseg(int64_t off, size_t len, int64_t flip)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		seg[i] = sbyte(off + (int64_t)i);
		if (off + (int64_t)i == flip)
			seg[i] ^= 0x5a;
	}
	return seg;
}

/* contig is n and its bytes are the true stream's. */
static int
prefix_ok(const struct nfqd_reasm *r, size_t n)
{
	return nfqd_reasm_contig(r) == n &&
	    memcmp(nfqd_reasm_data(r), stream, n) == 0;
}

/* Everything the API shows about a buffer. */
struct snap {
	size_t		contig;
	uint8_t		present[MAX];
	uint8_t		bytes[MAX];	/* 0 where not present */
};

static void
snapshot(const struct nfqd_reasm *r, struct snap *s)
{
	const uint8_t	*d = nfqd_reasm_data(r);
	size_t		 i;

	s->contig = nfqd_reasm_contig(r);
	for (i = 0; i < MAX; i++) {
		s->present[i] = (uint8_t)nfqd_reasm_present(r, i);
		s->bytes[i] = s->present[i] ? d[i] : 0;
	}
}

/* ---- shapes: segments applied in order, each with what it must give ---- */

struct step {
	int64_t		off;		/* stream offset of data[0] */
	size_t		len;
	int64_t		flip;		/* stream offset to change, or -1 */
	int		res;		/* expected result */
	unsigned	flags;		/* expected flags */
	size_t		contig;		/* expected contig after */
};

struct shape {
	const char	*name;
	uint32_t	 seq0;
	struct step	 steps[8];
	unsigned	 nsteps;
};

#define S(o, l, f, r, fl, c)	{ (o), (l), (f), (r), (fl), (c) }

static const struct shape shapes[] = {
	{ "in order", 1000, {
		S(0, 100, -1, OK, NEW, 100),
		S(100, 100, -1, OK, NEW, 200),
		S(200, 100, -1, OK, NEW, 300) }, 3 },
	{ "reversed", 1000, {
		S(200, 100, -1, OK, NEW, 0),
		S(100, 100, -1, OK, NEW, 0),
		S(0, 100, -1, OK, NEW, 300) }, 3 },
	{ "gap filled last", 7, {
		S(0, 10, -1, OK, NEW, 10),
		S(20, 10, -1, OK, NEW, 10),
		S(10, 10, -1, OK, NEW, 30) }, 3 },
	{ "duplicate", 7, {
		S(0, 10, -1, OK, NEW, 10),
		S(0, 10, -1, OK, 0, 10),
		S(20, 5, -1, OK, NEW, 10),
		S(20, 5, -1, OK, 0, 10) }, 4 },
	{ "retransmission inside contig", 7, {
		S(0, 100, -1, OK, NEW, 100),
		S(10, 20, -1, OK, 0, 100),
		S(99, 1, -1, OK, 0, 100) }, 3 },
	{ "partial overlap identical, tail new", 7, {
		S(0, 10, -1, OK, NEW, 10),
		S(5, 10, -1, OK, NEW, 15) }, 2 },
	{ "partial overlap identical, head new", 7, {
		S(10, 10, -1, OK, NEW, 0),
		S(0, 15, -1, OK, NEW, 20) }, 2 },
	{ "one segment over several runs, identical", 7, {
		S(0, 5, -1, OK, NEW, 5),
		S(10, 5, -1, OK, NEW, 5),
		S(20, 5, -1, OK, NEW, 5),
		S(0, 30, -1, OK, NEW, 30) }, 4 },
	{ "covered runs join contig past the segment", 7, {
		S(30, 10, -1, OK, NEW, 0),
		S(10, 10, -1, OK, NEW, 0),
		S(20, 10, -1, OK, NEW, 0),
		S(0, 10, -1, OK, NEW, 40) }, 4 },
	{ "conflict fully inside", 7, {
		S(0, 100, -1, OK, NEW, 100),
		S(10, 20, 15, CONFLICT, 0, 100),
		S(10, 20, -1, OK, 0, 100) }, 3 },
	{ "conflict at the head of the overlap", 7, {
		S(10, 20, -1, OK, NEW, 0),
		S(0, 15, 10, CONFLICT, 0, 0),
		S(0, 15, -1, OK, NEW, 30) }, 3 },
	{ "conflict at the tail of the overlap", 7, {
		S(10, 20, -1, OK, NEW, 0),
		S(25, 20, 29, CONFLICT, 0, 0),
		S(25, 20, -1, OK, NEW, 0) }, 3 },
	{ "conflict in the last of several runs", 7, {
		S(10, 5, -1, OK, NEW, 0),
		S(20, 5, -1, OK, NEW, 0),
		S(30, 5, -1, OK, NEW, 0),
		S(0, 40, 34, CONFLICT, 0, 0),
		S(0, 40, -1, OK, NEW, 40) }, 5 },
	{ "conflict straddling the end", 7, {
		S(MAX - 20, 10, -1, OK, NEW, 0),
		S(MAX - 15, 30, MAX - 11, CONFLICT, PAST, 0),
		S(MAX - 15, 30, -1, OK, PAST | NEW, 0) }, 3 },
	{ "segment straddling byte 0", 7, {
		S(-10, 30, -1, OK, NEW, 20),
		S(-10, 10, -1, OK, 0, 20),
		S(-5, 30, -1, OK, NEW, 25) }, 3 },
	{ "conflict in the trimmed head is not seen", 7, {
		S(0, 10, -1, OK, NEW, 10),
		S(-10, 20, -3, OK, 0, 10) }, 2 },
	{ "segment straddling the end", 7, {
		S(MAX - 10, 30, -1, OK, PAST | NEW, 0),
		S(MAX, 1, -1, OK, PAST, 0),
		S(MAX + 100, 100, -1, OK, PAST, 0),
		S(0, MAX - 10, -1, OK, NEW, MAX) }, 4 },
	{ "one segment larger than the window", 7, {
		S(0, 70000, -1, OK, PAST | NEW, MAX) }, 1 },
	{ "zero-length segments", 7, {
		S(0, 0, -1, OK, 0, 0),
		S(MAX, 0, -1, OK, 0, 0),
		S(-1, 0, -1, OK, 0, 0),
		S(0, 1, -1, OK, NEW, 1),
		S(1, 0, -1, OK, 0, 1) }, 5 },
	{ "wraparound at 2^32", 0xfffffff0u, {
		S(20, 20, -1, OK, NEW, 0),
		S(10, 10, -1, OK, NEW, 0),
		S(0, 12, -1, OK, NEW, 40),
		S(5, 30, 33, CONFLICT, 0, 40) }, 4 },
	{ "byte 0 at 0xffffffff", 0xffffffffu, {
		S(1, 5, -1, OK, NEW, 0),
		S(0, 1, -1, OK, NEW, 6),
		S(-1, 2, -1, OK, 0, 6) }, 3 },
	{ "byte 0 at 0", 0, {
		S(-5, 10, -1, OK, NEW, 5),
		S(5, 5, -1, OK, NEW, 10) }, 2 },
};

/* Crafted shapes an evader would try. */
static const struct shape evasions[] = {
	{ "other bytes under a retransmission of byte 0", 0x7fffffffu, {
		S(0, 1, -1, OK, NEW, 1),
		S(0, 1, 0, CONFLICT, 0, 1) }, 2 },
	{ "future segment 2^31 - 1 ahead is past, not before", 100, {
		S(0x7fffffff, 10, -1, OK, PAST, 0) }, 1 },
	{ "segment 2^31 back is before byte 0", 100, {
		S(-(int64_t)0x80000000, 10, -1, OK, 0, 0) }, 1 },
	{ "segment ending at byte 0, then one byte further", 100, {
		S(-100, 100, -1, OK, 0, 0),
		S(-100, 101, -1, OK, NEW, 1) }, 2 },
	{ "old data at the SYN's sequence number", 100, {
		S(-1, 1, -1, OK, 0, 0),
		S(0, 1, -1, OK, NEW, 1) }, 2 },
	{ "tiny segment past the window, then the hello", 100, {
		S(MAX, 1, -1, OK, PAST, 0),
		S(0, 517, -1, OK, NEW, 517) }, 2 },
	{ "conflict on the last byte of the window", 100, {
		S(MAX - 1, 1, -1, OK, NEW, 0),
		S(0, MAX, MAX - 1, CONFLICT, 0, 0),
		S(0, MAX, -1, OK, NEW, MAX) }, 3 },
	{ "conflict between present runs cannot be smuggled", 100, {
		S(0, 64, -1, OK, NEW, 64),
		S(128, 64, -1, OK, NEW, 64),
		/* the gap [64, 128) is new, a byte in [128, 192) differs */
		S(60, 132, 191, CONFLICT, 0, 64),
		S(60, 132, -1, OK, NEW, 192) }, 4 },
	{ "word-boundary runs", 100, {
		S(63, 2, -1, OK, NEW, 0),
		S(127, 1, -1, OK, NEW, 0),
		S(0, 63, -1, OK, NEW, 65),
		S(65, 63, -1, OK, NEW, 128),
		S(64, 64, 127, CONFLICT, 0, 128) }, 5 },
};

static void
run_shapes(const char *table, const struct shape *tab, size_t n)
{
	struct nfqd_reasm	*r;
	static struct snap	 before, after;
	const struct step	*st;
	size_t			 i, j;
	unsigned		 fl;
	int			 res;

	for (i = 0; i < n; i++) {
		r = nfqd_reasm_get(pool, tab[i].seq0);
		for (j = 0; j < tab[i].nsteps; j++) {
			st = &tab[i].steps[j];
			snapshot(r, &before);
			fl = 0xff;
			res = nfqd_reasm_add(r, tab[i].seq0 + (uint32_t)st->off,
			    mkseg(st->off, st->len, st->flip), st->len, &fl);
			CHECKF(res == st->res && fl == st->flags &&
			    prefix_ok(r, st->contig),
			    unit_fmt("%s: %s: step %zu", table, tab[i].name, j),
			    "got res %d flags %#x contig %zu, expected %d %#x "
			    "%zu", res, fl, nfqd_reasm_contig(r), st->res,
			    st->flags, st->contig);
			if (res == CONFLICT) {
				snapshot(r, &after);
				CHECK(memcmp(&before, &after,
				    sizeof(before)) == 0,
				    unit_fmt("%s: %s: step %zu: conflict left "
				    "the buffer as it was", table,
				    tab[i].name, j));
			}
		}
		nfqd_reasm_put(pool, r);
	}
}

/* ---- every order of a few overlapping segments ---- */

static void
test_permutations(void)
{
	static const struct { int64_t off; size_t len; } segs[4] = {
		{ 0, 7 }, { 5, 15 }, { 20, 1 }, { 15, 25 },
	};
	static const int perms[24][4] = {
		{0,1,2,3},{0,1,3,2},{0,2,1,3},{0,2,3,1},{0,3,1,2},{0,3,2,1},
		{1,0,2,3},{1,0,3,2},{1,2,0,3},{1,2,3,0},{1,3,0,2},{1,3,2,0},
		{2,0,1,3},{2,0,3,1},{2,1,0,3},{2,1,3,0},{2,3,0,1},{2,3,1,0},
		{3,0,1,2},{3,0,2,1},{3,1,0,2},{3,1,2,0},{3,2,0,1},{3,2,1,0},
	};
	struct nfqd_reasm	*r;
	unsigned		 p, k, fl, bad;
	size_t			 want;
	int			 s;

	for (p = 0; p < 24; p++) {
		r = nfqd_reasm_get(pool, 0xfffffffau);
		bad = 0;
		for (k = 0; k < 4; k++) {
			s = perms[p][k];
			if (nfqd_reasm_add(r,
			    0xfffffffau + (uint32_t)segs[s].off,
			    mkseg(segs[s].off, segs[s].len, -1), segs[s].len,
			    &fl) != OK || (fl & PAST))
				bad++;
		}
		/* A conflicting copy of the whole range after any order. */
		want = nfqd_reasm_contig(r);
		if (nfqd_reasm_add(r, 0xfffffffau, mkseg(0, 40, 21), 40,
		    &fl) != CONFLICT || fl != 0)
			bad++;
		CHECKF(bad == 0 && want == 40 && prefix_ok(r, 40),
		    unit_fmt("permutation %d%d%d%d: contig 40, bytes equal, "
		    "conflict refused", perms[p][0], perms[p][1], perms[p][2],
		    perms[p][3]), "bad %u contig %zu", bad,
		    nfqd_reasm_contig(r));
		nfqd_reasm_put(pool, r);
	}
}

/* ---- a stream in 1-byte segments ---- */

static void
test_one_byte(void)
{
	static uint32_t		 order[2000];
	struct nfqd_reasm	*r;
	uint32_t		 i, j, t, bad = 0, early = 0;
	unsigned		 fl;

	for (i = 0; i < 2000; i++)
		order[i] = i;
	rng_state = 0x1b2c3d4e5f60718ULL;
	for (i = 1999; i > 0; i--) {
		j = rnd(i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	r = nfqd_reasm_get(pool, 0xfffffc00u);
	for (i = 0; i < 2000; i++) {
		if (nfqd_reasm_add(r, 0xfffffc00u + order[i],
		    &stream[order[i]], 1, &fl) != OK || fl != NEW)
			bad++;
		/* contig never runs ahead of the bytes given so far */
		if (i < 1999 && nfqd_reasm_contig(r) == 2000)
			early++;
	}
	CHECKF(bad == 0 && early == 0 && prefix_ok(r, 2000),
	    "2000 1-byte segments in random order: contig 2000, bytes equal",
	    "bad %u early %u contig %zu", bad, early, nfqd_reasm_contig(r));
	/* and every one again, as retransmissions */
	for (i = 0, bad = 0; i < 2000; i++)
		if (nfqd_reasm_add(r, 0xfffffc00u + order[i],
		    &stream[order[i]], 1, &fl) != OK || fl != 0)
			bad++;
	CHECK_UINT_EQ(bad, 0, "2000 1-byte retransmissions: OK, nothing new");
	nfqd_reasm_put(pool, r);

	/* A whole window, 1 byte at a time, in order. */
	r = nfqd_reasm_get(pool, 12345);
	for (i = 0, bad = 0; i < MAX; i++)
		if (nfqd_reasm_add(r, 12345 + i, &stream[i], 1, &fl) != OK ||
		    fl != NEW || nfqd_reasm_contig(r) != i + 1)
			bad++;
	CHECKF(bad == 0 && prefix_ok(r, MAX),
	    "16384 1-byte segments in order: contig after each", "bad %u",
	    bad);
	nfqd_reasm_put(pool, r);
}

/* ---- a conflicting copy cannot change what was read ---- */

/*
 * An HTTP request head whose Host an evader sends twice, in overlapping
 * segments with different text.  Whichever copy nfqd stores first is the
 * one it reads; the other is refused, so the caller drops it and the
 * server can only receive the bytes nfqd read.
 */
static void
test_decision(void)
{
	static const char	good[] =
	    "GET / HTTP/1.1\r\nHost: allowed.example\r\n\r\n";
	static const char	evil[] =
	    "GET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n";
	const size_t		 n = sizeof(good) - 1;
	struct nfqd_reasm	*r;
	const char		*first, *second;
	unsigned		 fl;
	int			 o, r1, r2, r3;

	for (o = 0; o < 2; o++) {
		first = o == 0 ? good : evil;
		second = o == 0 ? evil : good;
		r = nfqd_reasm_get(pool, 5000);
		/* the head, then the Host line twice, then the rest */
		r1 = nfqd_reasm_add(r, 5000, (const uint8_t *)first, 16, &fl);
		r2 = nfqd_reasm_add(r, 5016, (const uint8_t *)first + 16, 10,
		    &fl);
		r3 = nfqd_reasm_add(r, 5010, (const uint8_t *)second + 10,
		    n - 10, &fl);
		CHECKF(r1 == OK && r2 == OK && r3 == CONFLICT &&
		    nfqd_reasm_contig(r) == 26 &&
		    memcmp(nfqd_reasm_data(r), first, 26) == 0,
		    unit_fmt("evasion: %s Host first: the other refused",
		    o == 0 ? "allowed" : "blocked"), "res %d %d %d contig %zu",
		    r1, r2, r3, nfqd_reasm_contig(r));
		r3 = nfqd_reasm_add(r, 5010, (const uint8_t *)first + 10,
		    n - 10, &fl);
		CHECKF(r3 == OK && fl == NEW && nfqd_reasm_contig(r) == n &&
		    memcmp(nfqd_reasm_data(r), first, n) == 0,
		    unit_fmt("evasion: %s Host first: the rest completes it",
		    o == 0 ? "allowed" : "blocked"), "res %d contig %zu", r3,
		    nfqd_reasm_contig(r));
		nfqd_reasm_put(pool, r);
	}
}

/* ---- the pool ---- */

static void
test_pool(void)
{
	struct nfqd_reasm_pool	*p;
	struct nfqd_reasm	*r[4], *again;
	unsigned		 fl;
	int			 i, ok;

	errno = 0;
	p = nfqd_reasm_pool_new(0);
	CHECKF(p == NULL && errno == EINVAL, "pool of 0 buffers: EINVAL",
	    "pool %p errno %d", (void *)p, errno);

	p = nfqd_reasm_pool_new(3);
	if (!CHECK(p != NULL, "pool of 3 buffers"))
		return;
	CHECK_UINT_EQ(nfqd_reasm_pool_used(p), 0, "new pool: none used");
	for (i = 0; i < 4; i++)
		r[i] = nfqd_reasm_get(p, 100 * (uint32_t)i);
	CHECK(r[0] != NULL && r[1] != NULL && r[2] != NULL &&
	    r[0] != r[1] && r[1] != r[2] && r[0] != r[2],
	    "pool: 3 distinct buffers");
	CHECK(r[3] == NULL, "pool: the 4th get is NULL");
	CHECK_UINT_EQ(nfqd_reasm_pool_used(p), 3, "pool: 3 used");
	CHECK_UINT_EQ(nfqd_reasm_seq0(r[2]), 200, "pool: seq0 kept");

	/* Fill one with scattered bytes, put it, get it back empty. */
	nfqd_reasm_add(r[1], 100, stream, 10, &fl);
	nfqd_reasm_add(r[1], 100 + 1000, stream + 1000, 10, &fl);
	nfqd_reasm_add(r[1], 100 + MAX - 1, stream + MAX - 1, 1, &fl);
	nfqd_reasm_put(p, r[1]);
	CHECK_UINT_EQ(nfqd_reasm_pool_used(p), 2, "pool: put: 2 used");
	again = nfqd_reasm_get(p, 7);
	CHECK(again == r[1], "pool: get after put reuses the buffer put");
	CHECK_UINT_EQ(nfqd_reasm_pool_used(p), 3, "pool: 3 used again");
	ok = again != NULL && nfqd_reasm_contig(again) == 0 &&
	    nfqd_reasm_seq0(again) == 7;
	for (i = 0; ok && i < MAX; i++)
		if (nfqd_reasm_present(again, (size_t)i))
			ok = 0;
	CHECK(ok, "pool: a buffer got again is empty");
	/* Other bytes at the same offsets are no conflict now. */
	CHECK(again != NULL && nfqd_reasm_add(again, 7, mkseg(0, 10, 3), 10,
	    &fl) == OK && fl == NEW, "pool: old bytes do not conflict");
	nfqd_reasm_put(p, NULL);
	CHECK_UINT_EQ(nfqd_reasm_pool_used(p), 3, "pool: put NULL: nothing");
	nfqd_reasm_put(p, r[0]);
	nfqd_reasm_put(p, r[2]);
	nfqd_reasm_put(p, again);
	CHECK_UINT_EQ(nfqd_reasm_pool_used(p), 0, "pool: all put: none used");
	nfqd_reasm_pool_free(p);
	nfqd_reasm_pool_free(NULL);
}

/* The resident set in KiB (/proc/self/statm), -1 if unreadable. */
static long
rss_kib(void)
{
	FILE	*fp;
	long	 size, res = -1;

	if ((fp = fopen("/proc/self/statm", "r")) == NULL)
		return -1;
	if (fscanf(fp, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(fp);
	return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * A pool commits no page of a buffer before the buffer is first handed
 * out: 8,192 buffers (about 150 MiB of address space) add less than
 * 1 MiB to the resident set (a page of each, 32 MiB, if anything were
 * written to every buffer), and getting and putting one buffer a
 * thousand times still adds no more.
 */
static void
test_pool_lazy(void)
{
	struct nfqd_reasm_pool	*p;
	struct nfqd_reasm	*r;
	unsigned		 fl;
	long			 before, after, used;
	int			 i;

	before = rss_kib();
	p = nfqd_reasm_pool_new(8192);
	after = rss_kib();
	if (!CHECK(p != NULL && before > 0 && after > 0,
	    "pool of 8,192 buffers, and the resident set read"))
		return;
	CHECKF(after - before < 1024, "a new pool of 8,192 buffers: less "
	    "than 1 MiB resident", "%ld KiB", after - before);
	for (i = 0; i < 1000; i++) {
		r = nfqd_reasm_get(p, 1);
		nfqd_reasm_add(r, 1, stream, MAX, &fl);
		nfqd_reasm_put(p, r);
	}
	used = rss_kib() - before;
	CHECKF(used < 1024, "one buffer filled, put and got 1,000 times: "
	    "still less than 1 MiB", "%ld KiB", used);
	CHECK_UINT_EQ(nfqd_reasm_pool_used(p), 0, "... and none used");
	nfqd_reasm_pool_free(p);
}

/* A second put of one buffer aborts rather than give it to two flows. */
static void
test_double_put(void)
{
	struct nfqd_reasm_pool	*p;
	struct nfqd_reasm	*r;
	pid_t			 pid;
	int			 st = 0;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		/* The report ASan would print for abort() is not wanted. */
		freopen("/dev/null", "w", stderr);
		p = nfqd_reasm_pool_new(2);
		r = nfqd_reasm_get(p, 0);
		nfqd_reasm_put(p, r);
		nfqd_reasm_put(p, r);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	    "pool: a second put aborts", "status %#x", st);
	if ((pid = fork()) == 0) {
		freopen("/dev/null", "w", stderr);
		p = nfqd_reasm_pool_new(2);
		r = nfqd_reasm_get(p, 0);
		nfqd_reasm_put(p, (struct nfqd_reasm *)((char *)r + 64));
		_exit(0);
	}
	waitpid(pid, &st, 0);
	CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	    "pool: a put of a pointer into a buffer aborts", "status %#x",
	    st);
}

/* ---- moving the window (nfqd_reasm_advance) ---- */

/*
 * A stream read in parts: the window moves past what was read; the bytes,
 * the map and seq0 move with it (bytes past a gap too), and adds continue
 * at the new offsets up to the new end of the window.
 */
static void
test_advance(void)
{
	struct nfqd_reasm	*r = nfqd_reasm_get(pool, 5000);
	unsigned		 fl;
	size_t			 i;
	int			 ok = 1;

	if (!CHECK(r != NULL, "advance: a buffer"))
		return;
	nfqd_reasm_add(r, 5000, stream, 100, &fl);
	nfqd_reasm_add(r, 5200, stream + 200, 50, &fl);
	CHECK_UINT_EQ(nfqd_reasm_ahead(r), 150, "advance: bytes past a gap");
	CHECK_INT_EQ(nfqd_reasm_advance(r, 101), -1,
	    "advance: refused past contig");
	CHECK_UINT_EQ(nfqd_reasm_seq0(r), 5000, "advance: refused, seq0 kept");
	CHECK_INT_EQ(nfqd_reasm_advance(r, 40), 0,
	    "advance: with bytes past a gap");
	CHECK_UINT_EQ(nfqd_reasm_seq0(r), 5040, "advance: ... seq0 moved");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 60, "advance: ... contig moved");
	CHECK_UINT_EQ(nfqd_reasm_ahead(r), 150, "advance: ... the gap kept");
	for (i = 0; i < 260; i++)
		ok &= nfqd_reasm_present(r, i) == (i < 60 || (i >= 160 &&
		    i < 210));
	CHECK(ok, "advance: ... the map moved, gap and all");
	nfqd_reasm_add(r, 5100, stream + 100, 100, &fl);
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 210, "advance: the gap filled");
	CHECK(memcmp(nfqd_reasm_data(r), stream + 40, 210) == 0,
	    "advance: ... the bytes past it moved");
	CHECK_INT_EQ(nfqd_reasm_advance(r, 200), 0, "advance: 200 bytes on");
	CHECK_UINT_EQ(nfqd_reasm_seq0(r), 5240, "advance: seq0 moved");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 10, "advance: 10 bytes left");
	CHECK(memcmp(nfqd_reasm_data(r), stream + 240, 10) == 0,
	    "advance: the bytes moved");
	for (i = 10, ok = 1; i < 300; i++)
		ok &= nfqd_reasm_present(r, i) == 0;
	CHECK(ok && nfqd_reasm_present(r, 9), "advance: the map moved");
	/* A byte already read (before the window) is not stored again. */
	CHECK_INT_EQ(nfqd_reasm_add(r, 5239, stream + 239, 1, &fl), OK,
	    "advance: a byte before the window");
	CHECK_UINT_EQ(fl, 0, "advance: ... ignored");
	/* The window now reaches 240 bytes further. */
	CHECK_INT_EQ(nfqd_reasm_add(r, 5250, stream + 250, MAX - 10, &fl), OK,
	    "advance: up to the moved end");
	CHECK_UINT_EQ(fl, NEW, "advance: ... all inside");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), MAX, "advance: a full window");
	CHECK(memcmp(nfqd_reasm_data(r), stream + 240, MAX) == 0,
	    "advance: every byte the stream's");
	CHECK_INT_EQ(nfqd_reasm_advance(r, MAX), 0, "advance: all of it");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 0, "advance: empty");
	CHECK_INT_EQ(nfqd_reasm_add(r, 5240 + MAX, stream + 240 + MAX, 64,
	    &fl), OK, "advance: the next byte is byte 0");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 64, "advance: ... contiguous");
	CHECK_INT_EQ(nfqd_reasm_advance(r, 0), 0, "advance: by nothing");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 64, "advance: ... changes nothing");
	nfqd_reasm_put(pool, r);
}

/*
 * Skipping past contig (an HTTP body stepped over): the bytes stored
 * before the new byte 0 go, those after it move, and contig is what is
 * present from there; past everything stored, the buffer is empty.
 */
static void
test_skip(void)
{
	struct nfqd_reasm	*r = nfqd_reasm_get(pool, 7000);
	unsigned		 fl;
	size_t			 i;
	int			 ok = 1;

	if (!CHECK(r != NULL, "skip: a buffer"))
		return;
	nfqd_reasm_add(r, 7000, stream, 100, &fl);
	nfqd_reasm_add(r, 7200, stream + 200, 50, &fl);
	nfqd_reasm_add(r, 7300, stream + 300, 10, &fl);
	CHECK_INT_EQ(nfqd_reasm_skip(r, 30), 0, "skip: within contig");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 70, "skip: ... as advance");
	CHECK_INT_EQ(nfqd_reasm_skip(r, 140), 0, "skip: into the gap");
	CHECK_UINT_EQ(nfqd_reasm_seq0(r), 7170, "skip: ... seq0 moved");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 0, "skip: ... the gap first");
	CHECK_UINT_EQ(nfqd_reasm_ahead(r), 140, "skip: ... the rest "
	    "kept past it");
	for (i = 0; i < 200; i++)
		ok &= nfqd_reasm_present(r, i) == ((i >= 30 && i < 80) ||
		    (i >= 130 && i < 140));
	CHECK(ok, "skip: ... the map moved");
	CHECK_INT_EQ(nfqd_reasm_skip(r, 40), 0, "skip: into stored bytes");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 40, "skip: ... contig from there");
	CHECK(memcmp(nfqd_reasm_data(r), stream + 210, 40) == 0,
	    "skip: ... the bytes moved");
	CHECK_INT_EQ(nfqd_reasm_skip(r, 1000000000), 0, "skip: past all");
	CHECK_UINT_EQ(nfqd_reasm_contig(r) + nfqd_reasm_ahead(r), 0,
	    "skip: ... empty");
	CHECK_UINT_EQ(nfqd_reasm_seq0(r), 7210 + 1000000000u,
	    "skip: ... seq0 moved");
	for (i = 0, ok = 1; i < 300; i++)
		ok &= nfqd_reasm_present(r, i) == 0;
	CHECK(ok, "skip: ... the map clear");
	CHECK_INT_EQ(nfqd_reasm_add(r, 7210 + 1000000000u, stream, 20, &fl),
	    OK, "skip: the next byte is byte 0");
	CHECK_UINT_EQ(nfqd_reasm_contig(r), 20, "skip: ... contiguous");
	nfqd_reasm_put(pool, r);
}

/* ---- the TCP span helper ---- */

static void
test_span(void)
{
	static const struct {
		const char	*name;
		uint32_t	 seq, paylen;
		uint8_t		 flags;
		uint32_t	 wseq, wlen, wend;
	} t[] = {
		{ "data", 1000, 100, 0x18, 1000, 100, 1100 },
		{ "pure ACK", 1000, 0, 0x10, 1000, 0, 1000 },
		{ "SYN", 1000, 0, NFQD_TCP_SYN, 1001, 0, 1001 },
		{ "SYN with data (TFO)", 1000, 50, NFQD_TCP_SYN, 1001, 50,
		    1051 },
		{ "SYN at 2^32 - 1", 0xffffffffu, 3, NFQD_TCP_SYN, 0, 3, 3 },
		{ "FIN", 2000, 0, NFQD_TCP_FIN | 0x10, 2000, 0, 2001 },
		{ "FIN with data", 2000, 10, NFQD_TCP_FIN | 0x18, 2000, 10,
		    2011 },
		{ "SYN FIN with data", 10, 5, NFQD_TCP_SYN | NFQD_TCP_FIN, 11,
		    5, 17 },
		{ "RST with data", 3000, 40, NFQD_TCP_RST, 3000, 0, 3000 },
		{ "RST FIN with data", 3000, 40, NFQD_TCP_RST | NFQD_TCP_FIN,
		    3000, 0, 3000 },
		{ "data wrapping", 0xfffffff0u, 0x20, 0x18, 0xfffffff0u, 0x20,
		    0x10 },
	};
	struct nfqd_reasm_span	sp;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&sp, 0xa5, sizeof(sp));
		nfqd_reasm_tcp_span(t[i].seq, t[i].paylen, t[i].flags, &sp);
		CHECKF(sp.seq == t[i].wseq && sp.len == t[i].wlen &&
		    sp.end == t[i].wend, unit_fmt("span: %s", t[i].name),
		    "got seq %u len %u end %u, expected %u %u %u", sp.seq,
		    sp.len, sp.end, t[i].wseq, t[i].wlen, t[i].wend);
	}
}

/* ---- random operations against a model ---- */

/*
 * The model: a byte array and a presence array, applied one byte at a
 * time; the first copy wins and a segment that differs from a present
 * byte is refused whole.  recv[] is a receiver that takes only the
 * segments the model took, last copy winning: it must hold the same
 * bytes, whatever the overlap policy of the real receiver.
 */
struct model {
	uint32_t	seq0;
	size_t		contig;		/* have[0 .. contig) are 1 */
	uint8_t		have[MAX];
	uint8_t		byte[MAX];
	uint8_t		recv[MAX];
};

static int
model_add(struct model *m, uint32_t seq, const uint8_t *d, size_t len,
    unsigned *flags)
{
	int64_t	start = (int32_t)(seq - m->seq0), o;
	size_t	i;
	int	isnew = 0, conflict = 0;

	*flags = 0;
	for (i = 0; i < len; i++) {
		o = start + (int64_t)i;
		if (o >= MAX)
			*flags |= PAST;
		else if (o >= 0 && m->have[o] && m->byte[o] != d[i])
			conflict = 1;
	}
	if (conflict)
		return CONFLICT;
	for (i = 0; i < len; i++) {
		o = start + (int64_t)i;
		if (o < 0 || o >= MAX)
			continue;
		if (!m->have[o]) {
			m->have[o] = 1;
			m->byte[o] = d[i];
			isnew = 1;
		}
		m->recv[o] = d[i];
	}
	if (isnew)
		*flags |= NEW;
	while (m->contig < MAX && m->have[m->contig])
		m->contig++;
	return OK;
}

/* The same state: every byte's presence and value. */
static int
model_same(const struct model *m, const struct nfqd_reasm *r)
{
	const uint8_t	*d = nfqd_reasm_data(r);
	size_t		 i;

	for (i = 0; i < MAX; i++) {
		if (m->have[i] != nfqd_reasm_present(r, i))
			return 0;
		if (m->have[i] && (d[i] != m->byte[i] || d[i] != m->recv[i]))
			return 0;
	}
	return 1;
}

static void
test_model(void)
{
	static struct model	 m;
	struct nfqd_reasm	*r = NULL;
	uint32_t		 ops, left = 0, seq, lenr, bad = 0, full = 0;
	uint32_t		 conflicts = 0, news = 0, pasts = 0;
	uint32_t		 streams = 0;
	uint32_t		 maxcontig = 0;
	int64_t			 off, flip;
	size_t			 len, i;
	unsigned		 fl, mfl;
	int			 res, mres;

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (ops = 0; ops < 100000; ops++) {
		if (left == 0) {
			if (r != NULL) {
				if (!model_same(&m, r))
					bad++;
				nfqd_reasm_put(pool, r);
			}
			memset(&m, 0, sizeof(m));
			/* Half the streams start near the wrap. */
			m.seq0 = rnd(2) ? 0xffffffffu - rnd(3 * MAX) :
			    (uint32_t)rng();
			r = nfqd_reasm_get(pool, m.seq0);
			left = 1 + rnd(1500);
			streams++;
		}
		left--;
		/* Short segments mostly, some long, a few past the window. */
		lenr = rnd(100);
		len = lenr < 50 ? rnd(17) : lenr < 85 ? rnd(400) :
		    lenr < 98 ? rnd(3000) : rnd(40000);
		off = (int64_t)rnd(MAX + 400) - 200;
		if (rnd(200) == 0)
			off = rnd(2) ? -(int64_t)rnd(0x80000000u) :
			    (int64_t)rnd(0x80000000u);
		/* One stream byte in 16 segments differs; a few are all
		 * random. */
		flip = rnd(16) == 0 && len > 0 ? off + (int64_t)rnd(
		    (uint32_t)len) : -1;
		seq = m.seq0 + (uint32_t)off;
		for (i = 0; i < len; i++) {
			seg[i] = sbyte(off + (int64_t)i);
			if (off + (int64_t)i == flip)
				seg[i] ^= (uint8_t)(1 + rnd(255));
		}
		if (rnd(64) == 0)
			for (i = 0; i < len; i++)
				seg[i] = (uint8_t)rng();
		res = nfqd_reasm_add(r, seq, seg, len, &fl);
		mres = model_add(&m, seq, seg, len, &mfl);
		if (res != mres || fl != mfl ||
		    nfqd_reasm_contig(r) != m.contig ||
		    memcmp(nfqd_reasm_data(r), m.byte,
		    nfqd_reasm_contig(r)) != 0) {
			if (bad++ == 0)
				printf("# op %u: off %lld len %zu: res %d/%d "
				    "flags %#x/%#x contig %zu/%zu\n", ops,
				    (long long)off, len, res, mres, fl, mfl,
				    nfqd_reasm_contig(r), m.contig);
		}
		conflicts += res == CONFLICT;
		news += (fl & NEW) != 0;
		pasts += (fl & PAST) != 0;
		if (nfqd_reasm_contig(r) > maxcontig)
			maxcontig = (uint32_t)nfqd_reasm_contig(r);
		if (ops % 1000 == 999) {
			full++;
			if (!model_same(&m, r))
				bad++;
		}
	}
	if (!model_same(&m, r))
		bad++;
	nfqd_reasm_put(pool, r);
	CHECKF(bad == 0, "100000 random operations agree with the model",
	    "%u disagreements", bad);
	/* The run reached the shapes it is meant to: say so exactly. */
	CHECKF(conflicts > 1000 && news > 10000 && pasts > 1000 &&
	    maxcontig == MAX && streams > 100 && full == 100,
	    "random operations covered conflicts, new bytes, the window's end",
	    "conflicts %u new %u past %u maxcontig %u streams %u", conflicts,
	    news, pasts, maxcontig, streams);
	printf("# test_reasm: model run: %u streams, %u conflicts, %u with "
	    "new bytes, %u past the window\n", streams, conflicts, news,
	    pasts);
}

/* ---- timings, reported only ---- */

static double
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
report_timing(void)
{
	struct nfqd_reasm	*r;
	double			 t0, t1, t2;
	unsigned		 s, i, n1400 = 0, n1 = 0, fl;

	t0 = now_ns();
	for (s = 0; s < 20000; s++) {
		r = nfqd_reasm_get(pool, s * 7919u);
		for (i = 0; i + 1400 <= MAX; i += 1400, n1400++)
			nfqd_reasm_add(r, s * 7919u + i, stream + i, 1400,
			    &fl);
		nfqd_reasm_put(pool, r);
	}
	t1 = now_ns();
	for (s = 0; s < 20; s++) {
		r = nfqd_reasm_get(pool, s * 7919u);
		for (i = 0; i < MAX; i++, n1++)
			nfqd_reasm_add(r, s * 7919u + i, stream + i, 1, &fl);
		nfqd_reasm_put(pool, r);
	}
	t2 = now_ns();
	printf("# test_reasm: timing (report only): in-order 1400-byte add "
	    "%.1f ns (%u adds, get and put included), in-order 1-byte add "
	    "%.1f ns (%u adds)\n", (t1 - t0) / n1400, n1400,
	    (t2 - t1) / n1, n1);
}

int
main(void)
{
	fill_stream();
	pool = nfqd_reasm_pool_new(4);
	if (!CHECK(pool != NULL, "pool of 4"))
		return unit_done();
	run_shapes("shape", shapes, sizeof(shapes) / sizeof(shapes[0]));
	run_shapes("evasion", evasions, sizeof(evasions) /
	    sizeof(evasions[0]));
	test_permutations();
	test_one_byte();
	test_decision();
	test_pool();
	test_pool_lazy();
	test_double_put();
	test_advance();
	test_skip();
	test_span();
	test_model();
	CHECK_UINT_EQ(nfqd_reasm_pool_used(pool), 0,
	    "every buffer went back to the pool");
	report_timing();
	nfqd_reasm_pool_free(pool);
	return unit_done();
}
