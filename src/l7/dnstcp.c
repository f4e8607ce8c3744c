/*
 * DNS over TCP for dns_learn: messages that span segments (dnstcp.h).
 *
 * A stream's state is where its next message starts (next) and, while a
 * message is incomplete or bytes came out of order, a reassembly buffer
 * whose byte 0 is the first byte not yet handed over: messages are read
 * from it as their bytes become contiguous, and the window moves past
 * them when nothing waits beyond the contiguous part (nfqd_reasm_advance).
 * Without a buffer, a segment that starts at next is read in place and
 * only the message it ends inside, if any, is copied.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/l7/dnstcp.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/netorder.h"

#define NBUCKETS	(NFQD_DNST_STREAMS / NFQD_DNST_WAYS)
#define IDLE_NS		((uint64_t)NFQD_DNST_IDLE_S * 1000000000ull)

_Static_assert((NBUCKETS & (NBUCKETS - 1)) == 0, "buckets: a power of two");

struct stream {
	uint64_t		 last;	/* ns of its last segment; 0: free */
	struct nfqd_reasm	*ra;	/* byte 0: the next message's start */
	uint32_t		 next;	/* sequence number of the next
					   message, when ra is NULL (a stream
					   in the table is in step) */
	uint8_t			 family;
	uint16_t		 done;	/* bytes of ra's window read */
	uint16_t		 sport, dport;
	uint8_t			 saddr[16], daddr[16];
};

struct nfqd_dnst {
	uint64_t		 k0, k1;	/* the hash key */
	uint64_t		 abandoned;	/* nfqd_dnst_abandoned() */
	uint64_t		 scanned;	/* ns of the last look for idle
						   streams' buffers that found
						   none */
	struct nfqd_reasm_pool	*pool;
	struct stream		 st[NFQD_DNST_STREAMS];
};

struct nfqd_dnst *
nfqd_dnst_new(uint64_t seed)
{
	struct nfqd_dnst	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->pool = nfqd_reasm_pool_new(NFQD_DNST_BUFS)) == NULL) {
		free(t);
		return NULL;
	}
	/* splitmix64 of the seed: two keys. */
	seed += UINT64_C(0x9e3779b97f4a7c15);
	t->k0 = (seed ^ seed >> 30) * UINT64_C(0xbf58476d1ce4e5b9);
	seed += UINT64_C(0x9e3779b97f4a7c15);
	t->k1 = (seed ^ seed >> 27) * UINT64_C(0x94d049bb133111eb);
	return t;
}

void
nfqd_dnst_free(struct nfqd_dnst *t)
{
	if (t == NULL)
		return;
	nfqd_reasm_pool_free(t->pool);
	free(t);
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= UINT64_C(0xff51afd7ed558ccd);
	return h ^ h >> 32;
}

static uint32_t
bucket_of(const struct nfqd_dnst *t, const struct nfqd_dnst_seg *s)
{
	uint64_t	a[4], h = t->k0;
	size_t		alen = s->family == AF_INET ? 4 : 16;
	int		i;

	memset(a, 0, sizeof(a));
	memcpy(a, s->saddr, alen);
	memcpy(a + 2, s->daddr, alen);
	for (i = 0; i < 4; i++)
		h = mix(h, a[i]);
	h = mix(h, (uint64_t)s->sport << 16 | s->dport | t->k1);
	return (uint32_t)h & (NBUCKETS - 1);
}

static bool
same_key(const struct stream *st, const struct nfqd_dnst_seg *s, size_t alen)
{
	return st->family == s->family && st->sport == s->sport &&
	    st->dport == s->dport && memcmp(st->saddr, s->saddr, alen) == 0 &&
	    memcmp(st->daddr, s->daddr, alen) == 0;
}

static void
end_stream(struct nfqd_dnst *t, struct stream *st)
{
	nfqd_reasm_put(t->pool, st->ra);
	memset(st, 0, sizeof(*st));
}

/* st's buffer back: an answer it held unfinished is lost, and counted. */
static void
abandon(struct nfqd_dnst *t, struct stream *st)
{
	if (st->ra != NULL && st->sport == NFQD_DNST_PORT)
		t->abandoned++;
	nfqd_reasm_put(t->pool, st->ra);
	st->ra = NULL;
	st->done = 0;
}

/* End st for good or for room. */
static void
drop_stream(struct nfqd_dnst *t, struct stream *st)
{
	abandon(t, st);
	end_stream(t, st);
}

static bool
idle(const struct stream *st, uint64_t now)
{
	return st->last != 0 && now - st->last >= IDLE_NS;
}

/*
 * The stream of s, or NULL; with make, a free or the least recently seen
 * way of its bucket, cleared and keyed, when it has none.
 */
static struct stream *
find(struct nfqd_dnst *t, const struct nfqd_dnst_seg *s, size_t alen,
    uint64_t now, bool make)
{
	struct stream	*b = &t->st[bucket_of(t, s) * NFQD_DNST_WAYS];
	struct stream	*st, *victim = NULL;
	int		 i;

	for (i = 0; i < NFQD_DNST_WAYS; i++) {
		st = &b[i];
		if (st->last != 0 && idle(st, now))
			drop_stream(t, st);
		if (st->last != 0 && same_key(st, s, alen))
			return st;
	}
	if (!make)
		return NULL;
	for (i = 0; i < NFQD_DNST_WAYS; i++) {
		st = &b[i];
		if (st->last == 0) {
			victim = st;
			break;
		}
		if (victim == NULL || st->last < victim->last)
			victim = st;
	}
	drop_stream(t, victim);
	victim->family = s->family;
	victim->sport = s->sport;
	victim->dport = s->dport;
	memcpy(victim->saddr, s->saddr, alen);
	memcpy(victim->daddr, s->daddr, alen);
	victim->last = now;
	return victim;
}

/*
 * A buffer whose byte 0 has sequence number seq0; when none is free, the
 * buffers of streams idle too long go back first (a look over the whole
 * table, at most once a second while it finds none: streams that hold
 * every buffer cannot make each segment pay for it).
 */
static struct nfqd_reasm *
get_buf(struct nfqd_dnst *t, uint32_t seq0, uint64_t now)
{
	struct nfqd_reasm	*r;
	unsigned		 i;

	if ((r = nfqd_reasm_get(t->pool, seq0)) != NULL)
		return r;
	if (t->scanned != 0 && now - t->scanned < 1000000000ull)
		return NULL;
	for (i = 0; i < NFQD_DNST_STREAMS; i++)
		if (t->st[i].ra != NULL && idle(&t->st[i], now))
			drop_stream(t, &t->st[i]);
	if ((r = nfqd_reasm_get(t->pool, seq0)) == NULL)
		t->scanned = now;
	return r;
}

size_t
nfqd_dnst_whole(const uint8_t *p, size_t len, nfqd_dnst_fn *fn, void *arg)
{
	size_t	off = 0, m;

	while (len - off >= 2) {
		m = nfqd_get16(p + off);
		if (m > len - off - 2)
			break;
		fn(arg, p + off + 2, m);
		off += 2 + m;
	}
	return off;
}

/* Give st up: what it held will not be read. */
static unsigned
lose(struct nfqd_dnst *t, struct stream *st)
{
	end_stream(t, st);
	return NFQD_DNST_LOST;
}

/*
 * len bytes at seq for st, in step: read in place from next while no
 * buffer is held; otherwise (or for what is left: a message the bytes end
 * inside, bytes past a gap) added to the buffer, whose window moves past
 * the messages read once nothing waits past a gap.  A segment longer
 * than the window is added a window at a time, as far as it moves.
 */
static unsigned
stream_bytes(struct nfqd_dnst *t, struct stream *st, uint32_t seq,
    const uint8_t *p, size_t len, uint64_t now, nfqd_dnst_fn *fn, void *arg)
{
	struct nfqd_reasm	*r;
	int64_t			 start;
	uint32_t		 seq0;
	size_t			 n, off, c;
	int32_t			 d;
	unsigned		 fl;

	while (len > 0) {
		if (st->ra == NULL) {
			d = (int32_t)(seq - st->next);
			if (d < 0) {
				if ((uint64_t)-(int64_t)d >= len)
					return 0;	/* read before */
				p += -(int64_t)d;
				len -= (size_t)-(int64_t)d;
				seq = st->next;
				d = 0;
			}
			if (d == 0) {
				off = nfqd_dnst_whole(p, len, fn, arg);
				st->next += (uint32_t)off;
				p += off;
				len -= off;
				seq = st->next;
				if (len == 0)
					return 0;
			}
			if ((st->ra = get_buf(t, st->next, now)) == NULL)
				return lose(t, st);
			st->done = 0;
		}
		r = st->ra;
		seq0 = nfqd_reasm_seq0(r);
		/* What fits in the window; before it, reasm skips. */
		start = (int32_t)(seq - seq0);
		if (start >= NFQD_REASM_MAX)
			return lose(t, st);	/* past it, with a gap */
		n = len;
		if (start + (int64_t)len > NFQD_REASM_MAX)
			n = (size_t)(NFQD_REASM_MAX - start);
		if (nfqd_reasm_add(r, seq, p, n, &fl) == NFQD_REASM_CONFLICT)
			return lose(t, st);
		c = nfqd_reasm_contig(r);
		st->done += (uint16_t)nfqd_dnst_whole(nfqd_reasm_data(r) +
		    st->done,
		    c - st->done, fn, arg);
		if (nfqd_reasm_ahead(r) == 0) {
			st->next = seq0 + st->done;
			if (st->done == c) {
				nfqd_reasm_put(t->pool, r);
				st->ra = NULL;
			} else
				(void) nfqd_reasm_advance(r, st->done);
			st->done = 0;
		}
		p += n;
		len -= n;
		seq += (uint32_t)n;
		/* Bytes left past a window that could not move: a message
		 * over NFQD_REASM_MAX, or more than a window past a gap. */
		if (len > 0 && st->ra != NULL && nfqd_reasm_seq0(st->ra) == seq0)
			return lose(t, st);
	}
	return st->ra != NULL ? NFQD_DNST_WAIT : 0;
}

unsigned
nfqd_dnst_segment(struct nfqd_dnst *t, const struct nfqd_dnst_seg *s,
    uint64_t now, nfqd_dnst_fn *fn, void *arg)
{
	struct nfqd_reasm_span	 sp;
	struct stream		*st;
	size_t			 alen = s->family == AF_INET ? 4 : 16, off;

	if (now == 0)
		now = 1;		/* last 0 means free */
	nfqd_reasm_tcp_span(s->seq, (uint32_t)s->len, s->tcp_flags, &sp);
	if (s->tcp_flags & NFQD_TCP_RST) {
		if ((st = find(t, s, alen, now, false)) != NULL)
			drop_stream(t, st);
		return 0;
	}
	if (s->tcp_flags & NFQD_TCP_SYN) {
		/* The stream starts: byte 0 follows the SYN. */
		st = find(t, s, alen, now, true);
		abandon(t, st);
		st->next = sp.seq;
		st->last = now;		/* a SYN sent again too */
	} else if ((st = find(t, s, alen, now, false)) != NULL)
		st->last = now;
	if (sp.len == 0)
		return 0;
	if (st == NULL) {
		/* Not in step: read as if it started a message. */
		off = nfqd_dnst_whole(s->pay, sp.len, fn, arg);
		if (off == sp.len)
			return 0;
		st = find(t, s, alen, now, true);
		st->next = sp.seq + (uint32_t)off;
		return stream_bytes(t, st, st->next, s->pay + off,
		    sp.len - off, now, fn, arg);
	}
	return stream_bytes(t, st, sp.seq, s->pay, sp.len, now, fn, arg);
}

unsigned
nfqd_dnst_streams(const struct nfqd_dnst *t, uint64_t now)
{
	unsigned	i, n = 0;

	for (i = 0; i < NFQD_DNST_STREAMS; i++)
		n += t->st[i].last != 0 && !idle(&t->st[i], now);
	return n;
}

uint64_t
nfqd_dnst_abandoned(const struct nfqd_dnst *t)
{
	return t->abandoned;
}

unsigned
nfqd_dnst_bufs_used(const struct nfqd_dnst *t)
{
	return nfqd_reasm_pool_used(t->pool);
}
