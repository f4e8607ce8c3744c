/*
 * The compiled classifier (see classify.h for the method).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/classify.h"
#include "nfqd/pkt.h"
#include "nfqd/match.h"
#include "nfqd/ruleset.h"
#include "nfqd/yield.h"

/*
 * The load's yield (yield.h) once every CLS_YIELD rules filed and lists
 * made: each takes 0.2 to 0.4 us (200,000 rules compiled in 75 ms), so
 * the clock is looked at every 50 to 100 us, at a cost of 0.05%.  The
 * sorts between the loops do not yield: 200,000 rules' take 10 to 30 ms.
 */
#define CLS_YIELD	256

#define MAX_EXPAND	256	/* filed entries per rule */
#define MAX_PORT_SPAN	16	/* port ranges up to this wide are filed */

/* Hashed and compared whole; fields not in a tuple are zero. */
struct key {
	uint8_t		src[16];
	uint8_t		dst[16];
	uint16_t	sport;
	uint16_t	dport;
	uint8_t		proto;
	uint8_t		family;
	uint8_t		pad[2];
};

_Static_assert(sizeof(struct key) == 40, "key has no hidden padding");

#define KEY_WORDS	(sizeof(struct key) / 8)
_Static_assert(offsetof(struct key, family) / 8 == KEY_WORDS - 1,
    "the family is in the key's last word (tuple.kfam)");

struct shape {
	uint8_t		family;		/* 0: any */
	int8_t		use_proto;
	int8_t		use_sport;
	int8_t		use_dport;
	int16_t		src_plen;	/* -1: not filed by source */
	int16_t		dst_plen;
};

/*
 * A list entry: a rule index, with EXACT when the tuple's key alone proves
 * the rule matches (it has no matcher beyond the filed fields), so the
 * rule itself need not be read.
 */
#define EXACT		0x80000000u
#define RULE(e)		((e) & ~EXACT)

/* 16 bytes, four to a cache line; the key is kept apart. */
struct slot {
	uint32_t	tag;		/* high hash bits | 1; 0: empty */
	uint32_t	n;		/* entries under this key */
	uint32_t	val;		/* n == 1: the entry; else lists[] offset */
	uint32_t	kidx;		/* keys[] index */
};

#define BATCH	8		/* tuples whose slots are fetched together */

struct tuple {
	struct shape	sh;
	uint8_t		needs;		/* NFQD_PKT_K_* its key reads */
	uint32_t	min_rule;
	uint32_t	max_rule;
	uint32_t	mask;		/* slots - 1 */
	struct slot	*slots;
	struct key	*keys;
	uint32_t	nkeys;
	/*
	 * The key of a packet, as words: the packet's whole key (pkt_key())
	 * AND kmask, OR kfam (the family, which is the shape's).
	 */
	uint64_t	kmask[KEY_WORDS];
	uint64_t	kfam;
	/*
	 * A shape that files nothing but the family has one key, the same
	 * for every packet that reaches it: its slot, looked up at build
	 * time (rules of names, marks, interfaces: the common shape of a
	 * short rule set).  NULL for the others.
	 */
	const struct slot *one;
};

struct nfqd_classifier {
	struct tuple	*tuples;	/* by min_rule */
	uint32_t	 ntuples;
	uint32_t	*lists;
	uint32_t	 nlists;
	/* Per packet field (NFQD_PKT_K_* bit), the rules reading it, in order. */
	uint32_t	*readers[NFQD_PKT_K_NBITS];
	uint32_t	 nreaders[NFQD_PKT_K_NBITS];
};

/* While building: one filed entry. */
struct ent {
	uint32_t	tuple;
	uint32_t	rule;		/* with EXACT */
	struct key	key;
};

static inline uint64_t
hash_words(const uint64_t *w)
{
	uint64_t	h = 0x9e3779b97f4a7c15ull;
	unsigned	i;

#pragma GCC unroll 5
	for (i = 0; i < KEY_WORDS; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static inline uint64_t
hash_key(const struct key *k)
{
	uint64_t	w[KEY_WORDS];

	memcpy(w, k, sizeof(w));
	return hash_words(w);
}

/* The first plen bits of m set. */
static void
prefix_mask(uint8_t *m, unsigned plen)
{
	unsigned	full = plen / 8, rem = plen % 8;

	memset(m, 0xff, full);
	if (rem)
		m[full] = (uint8_t)(0xff << (8 - rem));
}

/* What of a packet's key the shape files (tuple.kmask, tuple.kfam). */
static void
shape_key_mask(struct tuple *t)
{
	struct key	m, f;

	memset(&m, 0, sizeof(m));
	memset(&f, 0, sizeof(f));
	if (t->sh.src_plen >= 0)
		prefix_mask(m.src, (unsigned)t->sh.src_plen);
	if (t->sh.dst_plen >= 0)
		prefix_mask(m.dst, (unsigned)t->sh.dst_plen);
	if (t->sh.use_proto)
		m.proto = 0xff;
	if (t->sh.use_sport)
		m.sport = 0xffff;
	if (t->sh.use_dport)
		m.dport = 0xffff;
	f.family = t->sh.family;
	memcpy(t->kmask, &m, sizeof(t->kmask));
	memcpy(&t->kfam, (const char *)&f + (KEY_WORDS - 1) * 8,
	    sizeof(t->kfam));
}

static bool
same_shape(const struct shape *a, const struct shape *b)
{
	return a->family == b->family && a->use_proto == b->use_proto &&
	    a->use_sport == b->use_sport && a->use_dport == b->use_dport &&
	    a->src_plen == b->src_plen && a->dst_plen == b->dst_plen;
}

struct build {
	struct nfqd_ruleset	*rs;
	struct shape		*shapes;
	uint32_t		 nshapes, capshapes;
	struct ent		*ents;
	uint32_t		 nents, capents;
	bool			 oom;
};

static uint32_t
shape_id(struct build *b, const struct shape *sh)
{
	struct shape	*ns;
	uint32_t	 i;

	/* Few shapes in practice; a linear search at build time is fine. */
	for (i = 0; i < b->nshapes; i++)
		if (same_shape(&b->shapes[i], sh))
			return i;
	if (b->nshapes == b->capshapes) {
		b->capshapes = b->capshapes ? b->capshapes * 2 : 16;
		ns = realloc(b->shapes, b->capshapes * sizeof(*ns));
		if (ns == NULL) {
			b->oom = true;
			return 0;
		}
		b->shapes = ns;
	}
	b->shapes[b->nshapes] = *sh;
	return b->nshapes++;
}

static void
add_ent(struct build *b, uint32_t rule, const struct shape *sh,
    const struct key *k)
{
	struct ent	*ne;
	uint32_t	 t;

	t = shape_id(b, sh);
	if (b->oom)
		return;
	if (b->nents == b->capents) {
		b->capents = b->capents ? b->capents * 2 : 1024;
		ne = realloc(b->ents, (size_t)b->capents * sizeof(*ne));
		if (ne == NULL) {
			b->oom = true;
			return;
		}
		b->ents = ne;
	}
	b->ents[b->nents].tuple = t;
	b->ents[b->nents].rule = rule;
	b->ents[b->nents].key = *k;
	b->nents++;
}

/* The positive ports of a list, if it can be filed: at most max values. */
static uint32_t
port_values(const struct nfqd_ruleset *rs, uint32_t off, uint32_t n,
    uint16_t *out, uint32_t max, bool *neg)
{
	uint32_t	i, v, cnt = 0;

	for (i = 0; i < n; i++) {
		const struct nfqd_prange *p = &rs->ports[off + i];

		if (p->neg) {
			*neg = true;
			continue;
		}
		if ((uint32_t)p->hi - p->lo + 1 > MAX_PORT_SPAN)
			return 0;
		for (v = p->lo; v <= p->hi; v++) {
			if (cnt == max)
				return 0;
			out[cnt++] = (uint16_t)v;
		}
	}
	return cnt;
}

static uint32_t
positive_cidrs(const struct nfqd_ruleset *rs, uint32_t off, uint32_t n,
    const struct nfqd_cidr **out, uint32_t max, bool *neg)
{
	uint32_t	i, cnt = 0;

	for (i = 0; i < n; i++) {
		if (rs->cidrs[off + i].neg) {
			*neg = true;
			continue;
		}
		if (cnt == max)
			return 0;
		out[cnt++] = &rs->cidrs[off + i];
	}
	return cnt;
}

static uint8_t
shape_needs(const struct shape *sh)
{
	uint8_t	k = 0;

	if (sh->family != 0)
		k |= NFQD_PKT_K_FAMILY;
	if (sh->src_plen >= 0 || sh->dst_plen >= 0)
		k |= NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS;
	if (sh->use_proto)
		k |= NFQD_PKT_K_PROTO;
	if (sh->use_sport || sh->use_dport)
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_PORTS;
	return k;
}

static void
file_rule(struct build *b, uint32_t ri)
{
	const struct nfqd_ruleset	*rs = b->rs;
	const struct nfqd_rule		*r = &rs->rules[ri];
	const struct nfqd_cidr		*src[MAX_EXPAND], *dst[MAX_EXPAND];
	uint16_t			 sp[MAX_EXPAND], dp[MAX_EXPAND];
	uint32_t			 ns = 0, nd = 0, nsp = 0, ndp = 0;
	uint32_t			 i, j, k, l, prod, covered, exact;
	bool				 neg = false;
	struct shape			 sh;
	struct key			 key;
	uint8_t				 fam;

	if (r->matchers & NFQD_M_SRC)
		ns = positive_cidrs(rs, r->src_off, r->src_n, src, MAX_EXPAND,
		    &neg);
	if (r->matchers & NFQD_M_DST)
		nd = positive_cidrs(rs, r->dst_off, r->dst_n, dst, MAX_EXPAND,
		    &neg);
	if (r->matchers & NFQD_M_SPORT)
		nsp = port_values(rs, r->sport_off, r->sport_n, sp, MAX_EXPAND,
		    &neg);
	if (r->matchers & NFQD_M_DPORT)
		ndp = port_values(rs, r->dport_off, r->dport_n, dp, MAX_EXPAND,
		    &neg);
	/* Too many combinations: stop filing by the longest list. */
	for (;;) {
		prod = (ns ? ns : 1) * (nd ? nd : 1) * (nsp ? nsp : 1) *
		    (ndp ? ndp : 1);
		if (prod <= MAX_EXPAND)
			break;
		if (ns >= nd && ns >= nsp && ns >= ndp)
			ns = 0;
		else if (nd >= nsp && nd >= ndp)
			nd = 0;
		else if (nsp >= ndp)
			nsp = 0;
		else
			ndp = 0;
	}
	/*
	 * Exact: the filed fields are all the rule looks at (the rate limit
	 * is the engine's business), none of its lists has a negation, and
	 * every field the rule needs read is one its tuple needs (below): a
	 * rate kept per address or flow keys on fields the shape may not
	 * file, and a packet that did not read them must get the linear
	 * walk's needs check, not a sure match on a bucket keyed on zeros.
	 */
	covered = NFQD_M_FAMILY | NFQD_M_PROTO | NFQD_M_RATE;
	if (ns)
		covered |= NFQD_M_SRC;
	if (nd)
		covered |= NFQD_M_DST;
	if (nsp)
		covered |= NFQD_M_SPORT;
	if (ndp)
		covered |= NFQD_M_DPORT;
	exact = !neg && (r->matchers & ~covered) == 0 ? EXACT : 0;
	for (i = 0; i < (ns ? ns : 1); i++)
	for (j = 0; j < (nd ? nd : 1); j++)
	for (k = 0; k < (nsp ? nsp : 1); k++)
	for (l = 0; l < (ndp ? ndp : 1); l++) {
		memset(&sh, 0, sizeof(sh));
		memset(&key, 0, sizeof(key));
		fam = (r->matchers & NFQD_M_FAMILY) ? r->family : 0;
		if (ns) {
			if (fam && src[i]->family != fam)
				continue;
			fam = src[i]->family;
		}
		if (nd) {
			if (fam && dst[j]->family != fam)
				continue;
			fam = dst[j]->family;
		}
		sh.family = fam;
		key.family = fam;
		sh.src_plen = ns ? src[i]->plen : -1;
		sh.dst_plen = nd ? dst[j]->plen : -1;
		if (ns)
			memcpy(key.src, src[i]->addr, 16);
		if (nd)
			memcpy(key.dst, dst[j]->addr, 16);
		if (r->matchers & NFQD_M_PROTO) {
			sh.use_proto = 1;
			key.proto = r->proto;
		}
		if (nsp) {
			sh.use_sport = 1;
			key.sport = sp[k];
		}
		if (ndp) {
			sh.use_dport = 1;
			key.dport = dp[l];
		}
		add_ent(b, ri | ((r->needs & ~shape_needs(&sh)) == 0 ?
		    exact : 0), &sh, &key);
	}
}

/* readers[]: for each packet field, the rules that read it, ascending. */
static int
index_readers(struct nfqd_classifier *cls, const struct nfqd_ruleset *rs)
{
	uint32_t	i, b, n;

	for (b = 0; b < NFQD_PKT_K_NBITS; b++) {
		for (i = n = 0; i < rs->n; i++)
			if (rs->rules[i].needs & (1u << b))
				n++;
		if (n == 0)
			continue;
		if ((cls->readers[b] = calloc(n, sizeof(uint32_t))) == NULL)
			return -1;
		for (i = 0; i < rs->n; i++)
			if (rs->rules[i].needs & (1u << b))
				cls->readers[b][cls->nreaders[b]++] = i;
	}
	return 0;
}

static int
cmp_ent(const void *pa, const void *pb)
{
	const struct ent	*a = pa, *b = pb;
	int			 r;

	if (a->tuple != b->tuple)
		return a->tuple < b->tuple ? -1 : 1;
	if ((r = memcmp(&a->key, &b->key, sizeof(a->key))) != 0)
		return r;
	return (RULE(a->rule) > RULE(b->rule)) - (RULE(a->rule) < RULE(b->rule));
}

static int
cmp_tuple(const void *pa, const void *pb)
{
	const struct tuple	*a = pa, *b = pb;

	return (a->min_rule > b->min_rule) - (a->min_rule < b->min_rule);
}

/* The slot holding key k (hash h), or the empty one where it would go. */
static inline const struct slot *
find_slot(const struct tuple *t, const void *k, uint64_t h)
{
	uint32_t	i = (uint32_t)h & t->mask;
	uint32_t	tag = (uint32_t)(h >> 32) | 1;

	for (;; i = (i + 1) & t->mask) {
		const struct slot *s = &t->slots[i];

		if (s->tag == 0 || (s->tag == tag &&
		    memcmp(&t->keys[s->kidx], k, sizeof(struct key)) == 0))
			return s;
	}
}

int
nfqd_classify_build(struct nfqd_ruleset *rs)
{
	struct nfqd_classifier	*cls;
	struct build		 b;
	struct tuple		*t;
	struct slot		*s;
	uint32_t		 i, j, start, size, made, *keys = NULL;
	uint64_t		 h;
	int			 err = ENOMEM;

	memset(&b, 0, sizeof(b));
	b.rs = rs;
	if ((cls = calloc(1, sizeof(*cls))) == NULL)
		return -1;
	for (i = 0; i < rs->n && !b.oom; i++) {
		if (i % CLS_YIELD == 0 && nfqd_load_yield() == -1)
			goto stopped;
		file_rule(&b, i);
	}
	if (b.oom)
		goto fail;
	if (b.nents > 0)
		qsort(b.ents, b.nents, sizeof(*b.ents), cmp_ent);

	cls->ntuples = b.nshapes;
	cls->tuples = calloc(b.nshapes ? b.nshapes : 1, sizeof(*cls->tuples));
	cls->lists = calloc(b.nents ? b.nents : 1, sizeof(*cls->lists));
	keys = calloc(b.nshapes ? b.nshapes : 1, sizeof(*keys));
	if (cls->tuples == NULL || cls->lists == NULL || keys == NULL)
		goto fail;
	/* Distinct keys per tuple, to size the tables. */
	for (i = 0; i < b.nents; i++)
		if (i == 0 || b.ents[i].tuple != b.ents[i - 1].tuple ||
		    memcmp(&b.ents[i].key, &b.ents[i - 1].key,
		    sizeof(struct key)) != 0)
			keys[b.ents[i].tuple]++;
	for (i = 0; i < b.nshapes; i++) {
		t = &cls->tuples[i];
		t->sh = b.shapes[i];
		t->needs = shape_needs(&t->sh);
		shape_key_mask(t);
		t->min_rule = UINT32_MAX;
		for (size = 4; size < keys[i] * 2; size *= 2)
			;
		t->mask = size - 1;
		if ((t->slots = calloc(size, sizeof(*t->slots))) == NULL ||
		    (t->keys = calloc(keys[i] ? keys[i] : 1,
		    sizeof(*t->keys))) == NULL)
			goto fail;
	}
	/* One list per (tuple, key): the rules filed there, ascending. */
	for (i = 0, made = 0; i < b.nents; i = j) {
		if (made++ % CLS_YIELD == 0 && nfqd_load_yield() == -1)
			goto stopped;
		t = &cls->tuples[b.ents[i].tuple];
		start = cls->nlists;
		for (j = i; j < b.nents && b.ents[j].tuple == b.ents[i].tuple &&
		    memcmp(&b.ents[j].key, &b.ents[i].key,
		    sizeof(struct key)) == 0; j++) {
			/* A rule filed twice under one key (overlapping
			   lists) needs to be there once. */
			if (cls->nlists > start &&
			    RULE(cls->lists[cls->nlists - 1]) ==
			    RULE(b.ents[j].rule))
				continue;
			cls->lists[cls->nlists++] = b.ents[j].rule;
		}
		h = hash_key(&b.ents[i].key);
		s = (struct slot *)find_slot(t, &b.ents[i].key, h);
		s->tag = (uint32_t)(h >> 32) | 1;
		s->kidx = t->nkeys;
		t->keys[t->nkeys++] = b.ents[i].key;
		s->n = cls->nlists - start;
		if (s->n == 1) {
			/* One entry: in the slot, no list to read. */
			s->val = cls->lists[start];
			cls->nlists = start;
		} else {
			s->val = start;
		}
		if (RULE(b.ents[i].rule) < t->min_rule)
			t->min_rule = RULE(b.ents[i].rule);
		if (RULE(b.ents[j - 1].rule) > t->max_rule)
			t->max_rule = RULE(b.ents[j - 1].rule);
	}
	for (i = 0; i < b.nshapes; i++) {
		t = &cls->tuples[i];
		if (t->nkeys == 1 && (t->needs & ~NFQD_PKT_K_FAMILY) == 0)
			t->one = find_slot(t, &t->keys[0],
			    hash_key(&t->keys[0]));
	}
	qsort(cls->tuples, cls->ntuples, sizeof(*cls->tuples), cmp_tuple);
	if (index_readers(cls, rs) == -1)
		goto fail;
	free(keys);
	free(b.ents);
	free(b.shapes);
	rs->cls = cls;
	return 0;
stopped:
	err = ECANCELED;
fail:
	free(keys);
	free(b.ents);
	free(b.shapes);
	nfqd_classify_free(cls);
	errno = err;
	return -1;
}

void
nfqd_classify_free(struct nfqd_classifier *cls)
{
	uint32_t	i;

	if (cls == NULL)
		return;
	for (i = 0; cls->tuples != NULL && i < cls->ntuples; i++) {
		free(cls->tuples[i].slots);
		free(cls->tuples[i].keys);
	}
	for (i = 0; i < NFQD_PKT_K_NBITS; i++)
		free(cls->readers[i]);
	free(cls->tuples);
	free(cls->lists);
	free(cls);
}

unsigned
nfqd_classify_tuples(const struct nfqd_classifier *cls)
{
	return cls != NULL ? cls->ntuples : 0;
}

/*
 * The packet's fields as one key (family and padding zero), as words:
 * each tuple's key is these under its mask (make_key()).
 */
static inline void
pkt_key(const struct nfqd_pkt *pi, uint64_t *w)
{
	struct key	k;

	memcpy(k.src, pi->saddr, 16);
	memcpy(k.dst, pi->daddr, 16);
	k.sport = pi->sport;
	k.dport = pi->dport;
	k.proto = pi->proto;
	k.family = 0;
	k.pad[0] = k.pad[1] = 0;
	memcpy(w, &k, sizeof(k));
}

static inline void
make_key(const struct tuple *t, const uint64_t *pw, uint64_t *w)
{
	unsigned	i;

#pragma GCC unroll 5
	for (i = 0; i < KEY_WORDS; i++)
		w[i] = pw[i] & t->kmask[i];
	w[KEY_WORDS - 1] |= t->kfam;
}

/*
 * The first entry of one slot at or after start that matches, or
 * UINT32_MAX; entries from best on cannot win.
 */
static inline uint32_t
scan(const struct nfqd_ruleset *rs, const struct slot *s, uint32_t start,
    uint32_t best, const struct nfqd_pkt *pi, const struct nfqd_qmsg *m,
    const struct nfqd_iftab *ift)
{
	const uint32_t	*e = s->n == 1 ? &s->val : &rs->cls->lists[s->val];
	uint32_t	 lo = 0, hi = s->n, mid, r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (RULE(e[mid]) < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n && (r = RULE(e[lo])) < best; lo++)
		if ((e[lo] & EXACT) ||
		    nfqd_rule_match(rs, &rs->rules[r], pi, m, ift))
			return r;
	return UINT32_MAX;
}

int
nfqd_classify_next(const struct nfqd_ruleset *rs,
    const struct nfqd_pkt *pi, const struct nfqd_qmsg *m,
    const struct nfqd_iftab *ift, uint32_t start)
{
	const struct nfqd_classifier	*cls = rs->cls;
	const struct tuple		*t = cls->tuples, *end = t + cls->ntuples;
	const struct tuple		*bt[BATCH];
	const struct slot		*bs[BATCH];
	uint64_t			 pk[KEY_WORDS], k[BATCH][KEY_WORDS];
	uint64_t			 h[BATCH];
	const struct slot		*s;
	uint32_t			 best = UINT32_MAX, r;
	unsigned			 n, i;
	bool				 have_pk = false;

	while (t < end && t->min_rule < best) {
		/*
		 * Hash a batch of tuples and fetch their slots before probing
		 * any: the cache misses of a large table overlap instead of
		 * adding up.
		 */
		for (n = 0; n < BATCH && t < end; t++) {
			if (t->max_rule < start || (t->needs & ~pi->known) ||
			    (t->sh.family != 0 && t->sh.family != pi->family) ||
			    ((t->sh.use_sport | t->sh.use_dport) &&
			    !(pi->flags & NFQD_PKT_F_PORTS)))
				continue;
			if ((bs[n] = t->one) != NULL) {
				bt[n++] = t;
				continue;
			}
			if (!have_pk) {
				pkt_key(pi, pk);
				have_pk = true;
			}
			make_key(t, pk, k[n]);
			h[n] = hash_words(k[n]);
			__builtin_prefetch(&t->slots[(uint32_t)h[n] & t->mask]);
			bt[n++] = t;
		}
		for (i = 0; i < n; i++) {
			if (bt[i]->min_rule >= best)
				return (int)best;	/* tuples are in order */
			s = bs[i] != NULL ? bs[i] :
			    find_slot(bt[i], k[i], h[i]);
			if (s->tag != 0 && (r = scan(rs, s, start, best, pi, m,
			    ift)) != UINT32_MAX)
				best = r;
		}
	}
	return best == UINT32_MAX ? -1 : (int)best;
}

int
nfqd_linear_next(const struct nfqd_ruleset *rs, const struct nfqd_pkt *pi,
    const struct nfqd_qmsg *m, const struct nfqd_iftab *ift, uint32_t start)
{
	uint32_t	i;

	for (i = start; i < rs->n; i++)
		if (nfqd_rule_match(rs, &rs->rules[i], pi, m, ift))
			return (int)i;
	return -1;
}

/* The first element of v[0..n) not below x. */
static const uint32_t *
lower_bound(const uint32_t *v, uint32_t n, uint32_t x)
{
	uint32_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return v + lo;
}

void
nfqd_readers_init(struct nfqd_readers *it, const struct nfqd_ruleset *rs,
    uint8_t fields, uint32_t start, bool by_rule)
{
	const struct nfqd_classifier	*cls = rs->cls;
	unsigned			 b, f;

	/*
	 * No memset: p[] and end[] are read below n only.  The decision of
	 * every packet whose fields are not all known comes here, so only
	 * the fields asked for are visited, and a walk from the first rule
	 * (the usual one) needs no search.
	 */
	it->rs = rs;
	it->fields = fields;
	it->next = start;
	it->n = 0;
	it->merged = false;
	if (cls == NULL || by_rule)
		return;		/* the walk goes rule by rule */
	it->merged = true;
	for (f = fields; f != 0; f &= f - 1) {
		b = (unsigned)__builtin_ctz(f);
		if (b >= NFQD_PKT_K_NBITS || cls->nreaders[b] == 0)
			continue;
		it->p[it->n] = start == 0 ? cls->readers[b] :
		    lower_bound(cls->readers[b], cls->nreaders[b], start);
		it->end[it->n] = cls->readers[b] + cls->nreaders[b];
		it->n++;
	}
}

int
nfqd_readers_next(struct nfqd_readers *it, uint32_t limit)
{
	uint32_t	best = UINT32_MAX, i;
	unsigned	k;

	if (!it->merged) {
		for (i = it->next; i < limit && i < it->rs->n; i++)
			if (it->rs->rules[i].needs & it->fields) {
				it->next = i + 1;
				return (int)i;
			}
		if (i > it->next)
			it->next = i;
		return -1;
	}
	/* The smallest head of the per-field lists, each taken once. */
	for (k = 0; k < it->n; k++)
		if (it->p[k] < it->end[k] && *it->p[k] < best)
			best = *it->p[k];
	if (best >= limit)
		return -1;
	for (k = 0; k < it->n; k++)
		if (it->p[k] < it->end[k] && *it->p[k] == best)
			it->p[k]++;
	return (int)best;
}
