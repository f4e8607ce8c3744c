/*
 * Unit tests for src/l7/flow.c: the keys of both directions of a packet,
 * the eviction order, the timeouts of each class, expiry, touch, the
 * counters, a million random operations against a reference model, the
 * shape of a SYN flood, and (printed, not checked) what a find and an add
 * cost.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "nfqd/l7/flow.h"
#include "nfqd/nfqd.h"
#include "unit.h"

/* In src/l7/flow.c for the tests (proposed for flow.h). */
int	nfqd_flowtab_check(const struct nfqd_flowtab *t,
	    uint32_t count[NFQD_FC_MAX]);

/* As src/l7/flow.c: expired flows an add ends before it evicts one. */
#define ADD_EXPIRE	8

#define US		1000ull
#define MS		1000000ull
#define SEC		1000000000ull

#define W		NFQD_FC_WAIT
#define R		NFQD_FC_REASM
#define D		NFQD_FC_DECIDED
#define C		NFQD_FC_CLOSING
#define U		NFQD_FC_UDP

static const char *const cls_name[NFQD_FC_MAX] = {
	"FREE", "WAIT", "REASM", "DECIDED", "CLOSING", "UDP"
};

/* What the release callback saw. */
#define REL_LOG		64
struct rel {
	struct nfqd_flow *f[REL_LOG];	/* in the order released */
	unsigned	 n;		/* calls, even past f[] */
	unsigned	 live;		/* calls for a flow still in a class */
};

static void
rel_cb(void *arg, struct nfqd_flow *f)
{
	struct rel	*r = arg;

	if (f->cls != NFQD_FC_FREE)
		r->live++;
	if (r->n < REL_LOG)
		r->f[r->n] = f;
	r->n++;
}

static struct nfqd_flowtab *
mktab(uint32_t max, const uint64_t *tmo, struct rel *r)
{
	struct nfqd_flowtab_params	p;
	struct nfqd_flowtab		*t;

	memset(&p, 0, sizeof(p));
	p.max = max;
	if (tmo != NULL)
		memcpy(p.timeout, tmo, sizeof(p.timeout));
	p.release = rel_cb;
	p.arg = r;
	if (r != NULL)
		memset(r, 0, sizeof(*r));
	if ((t = nfqd_flowtab_new(&p)) == NULL) {
		perror("nfqd_flowtab_new");
		exit(2);
	}
	return t;
}

/* A TCP key from 10.x.y.z:port to 192.0.2.1:443, numbered. */
static void
key_num(uint32_t n, struct nfqd_flow_key *k)
{
	uint8_t	s[16] = { 10, (uint8_t)(n >> 16), (uint8_t)(n >> 8),
		    (uint8_t)n };
	uint8_t	d[16] = { 192, 0, 2, 1 };
	int	dir;

	nfqd_flow_key_make(k, AF_INET, IPPROTO_TCP, s, d,
	    (uint16_t)(1024 + (n >> 24)), 443, &dir);
}

static int
table_ok(const struct nfqd_flowtab *t, uint32_t count[NFQD_FC_MAX])
{
	return nfqd_flowtab_check(t, count);
}

static void
check_consistent(const struct nfqd_flowtab *t, const char *name)
{
	int	line = table_ok(t, NULL);

	CHECKF(line == 0, unit_fmt("%s: lists and chains consistent", name),
	    "check failed at src/l7/flow.c:%d", line);
}

static void
check_stats(const struct nfqd_flowtab *t, uint64_t active, uint64_t created,
    uint64_t evicted, uint64_t timed_out, uint64_t full, const char *name)
{
	struct nfqd_flowtab_stats	s;

	nfqd_flowtab_stats(t, &s);
	CHECKF(s.active == active && s.created == created &&
	    s.evicted == evicted && s.timed_out == timed_out &&
	    s.full == full, unit_fmt("%s: stats", name),
	    "got active %llu created %llu evicted %llu timed_out %llu "
	    "full %llu, expected %llu %llu %llu %llu %llu",
	    (unsigned long long)s.active, (unsigned long long)s.created,
	    (unsigned long long)s.evicted, (unsigned long long)s.timed_out,
	    (unsigned long long)s.full, (unsigned long long)active,
	    (unsigned long long)created, (unsigned long long)evicted,
	    (unsigned long long)timed_out, (unsigned long long)full);
}

/* Keys. */

#define A4(a, b, c, d)	{ a, b, c, d }
#define A6(x)		{ 0x20, 0x01, 0x0d, 0xb8, [15] = x }

struct key_case {
	const char	*name;
	uint8_t		 family, proto;
	uint8_t		 saddr[16], daddr[16];
	uint16_t	 sport, dport;
	int		 dir;		/* expected */
	uint8_t		 a0[16], a1[16];/* expected key addresses */
	uint16_t	 p0, p1;	/* expected key ports */
};

static const struct key_case key_cases[] = {
	{ "v4 lower source", AF_INET, IPPROTO_TCP, A4(10, 0, 0, 1),
	  A4(10, 0, 0, 2), 40000, 443, 0, A4(10, 0, 0, 1), A4(10, 0, 0, 2),
	  40000, 443 },
	{ "v4 higher source", AF_INET, IPPROTO_TCP, A4(10, 0, 0, 2),
	  A4(10, 0, 0, 1), 443, 40000, 1, A4(10, 0, 0, 1), A4(10, 0, 0, 2),
	  40000, 443 },
	{ "v4 address decides before port", AF_INET, IPPROTO_UDP,
	  A4(10, 0, 0, 1), A4(9, 255, 255, 255), 1, 65535, 1,
	  A4(9, 255, 255, 255), A4(10, 0, 0, 1), 65535, 1 },
	{ "v4 byte order, not host order", AF_INET, IPPROTO_TCP,
	  A4(1, 0, 0, 2), A4(2, 0, 0, 1), 5, 5, 0, A4(1, 0, 0, 2),
	  A4(2, 0, 0, 1), 5, 5 },
	{ "same address, lower source port", AF_INET, IPPROTO_TCP,
	  A4(127, 0, 0, 1), A4(127, 0, 0, 1), 80, 8080, 0, A4(127, 0, 0, 1),
	  A4(127, 0, 0, 1), 80, 8080 },
	{ "same address, higher source port", AF_INET, IPPROTO_TCP,
	  A4(127, 0, 0, 1), A4(127, 0, 0, 1), 8080, 80, 1,
	  A4(127, 0, 0, 1), A4(127, 0, 0, 1), 80, 8080 },
	{ "same address and port", AF_INET, IPPROTO_UDP, A4(127, 0, 0, 1),
	  A4(127, 0, 0, 1), 53, 53, 0, A4(127, 0, 0, 1), A4(127, 0, 0, 1),
	  53, 53 },
	/* Evasion: bytes past the 4 of an IPv4 address are not the key's. */
	{ "v4 garbage after the address", AF_INET, IPPROTO_TCP,
	  { 10, 0, 0, 1, 0xff, 0xff, [15] = 0xff },
	  { 10, 0, 0, 1, 0x00, 0x01, [15] = 0x01 }, 443, 80, 1,
	  A4(10, 0, 0, 1), A4(10, 0, 0, 1), 80, 443 },
	{ "v6 differs in the last byte", AF_INET6, IPPROTO_TCP, A6(2), A6(1),
	  1, 2, 1, A6(1), A6(2), 2, 1 },
	{ "v6 lower source", AF_INET6, IPPROTO_UDP, A6(1), A6(2), 9999, 1, 0,
	  A6(1), A6(2), 9999, 1 },
};

static void
test_key_make(void)
{
	static const uint8_t	zero[16];
	const struct key_case	*c;
	struct nfqd_flow_key	k, r;
	size_t			i;
	int			dir, rdir;

	for (i = 0; i < NFQD_ARRAY_SIZE(key_cases); i++) {
		c = &key_cases[i];
		memset(&k, 0xa5, sizeof(k));
		nfqd_flow_key_make(&k, c->family, c->proto, c->saddr,
		    c->daddr, c->sport, c->dport, &dir);
		CHECK_INT_EQ(dir, c->dir, unit_fmt("key %s: dir", c->name));
		CHECK(memcmp(k.addr[0], c->a0, 16) == 0 &&
		    memcmp(k.addr[1], c->a1, 16) == 0,
		    unit_fmt("key %s: addresses", c->name));
		CHECKF(k.port[0] == c->p0 && k.port[1] == c->p1,
		    unit_fmt("key %s: ports", c->name), "got %u %u, "
		    "expected %u %u", k.port[0], k.port[1], c->p0, c->p1);
		CHECK(k.family == c->family && k.proto == c->proto &&
		    k.pad[0] == 0 && k.pad[1] == 0,
		    unit_fmt("key %s: family, proto, pad", c->name));
		if (c->family == AF_INET)
			CHECK(memcmp(k.addr[0] + 4, zero, 12) == 0 &&
			    memcmp(k.addr[1] + 4, zero, 12) == 0,
			    unit_fmt("key %s: v4 tail zero", c->name));
		/* The other direction: the same key, the other endpoint. */
		memset(&r, 0x5a, sizeof(r));
		nfqd_flow_key_make(&r, c->family, c->proto, c->daddr,
		    c->saddr, c->dport, c->sport, &rdir);
		CHECK(memcmp(&k, &r, sizeof(k)) == 0,
		    unit_fmt("key %s: reply has the same key", c->name));
		if (c->sport == c->dport && memcmp(c->saddr, c->daddr,
		    c->family == AF_INET ? 4 : 16) == 0)
			CHECK_INT_EQ(rdir, 0, unit_fmt("key %s: reply dir",
			    c->name));
		else
			CHECK_INT_EQ(rdir, !c->dir, unit_fmt("key %s: "
			    "reply dir", c->name));
	}
	/* A NULL dir is allowed. */
	nfqd_flow_key_make(&k, AF_INET, IPPROTO_TCP, key_cases[0].saddr,
	    key_cases[0].daddr, 1, 2, NULL);
	CHECK(k.port[0] == 1, "key: dir may be NULL");
}

/* Packets that must, or must not, share a flow. */
struct same_case {
	const char	*name;
	uint8_t		 fam[2], proto[2];
	uint8_t		 s[2][16], d[2][16];
	uint16_t	 sp[2], dp[2];
	int		 same;
};

static const struct same_case same_cases[] = {
	{ "both directions", { AF_INET, AF_INET }, { 6, 6 },
	  { A4(10, 0, 0, 1), A4(10, 0, 0, 2) },
	  { A4(10, 0, 0, 2), A4(10, 0, 0, 1) }, { 1000, 80 }, { 80, 1000 },
	  1 },
	{ "v6 both directions", { AF_INET6, AF_INET6 }, { 17, 17 },
	  { A6(9), A6(3) }, { A6(3), A6(9) }, { 53, 5353 }, { 5353, 53 },
	  1 },
	{ "other source port", { AF_INET, AF_INET }, { 6, 6 },
	  { A4(10, 0, 0, 1), A4(10, 0, 0, 1) },
	  { A4(10, 0, 0, 2), A4(10, 0, 0, 2) }, { 1000, 1001 }, { 80, 80 },
	  0 },
	{ "other destination port", { AF_INET, AF_INET }, { 6, 6 },
	  { A4(10, 0, 0, 1), A4(10, 0, 0, 1) },
	  { A4(10, 0, 0, 2), A4(10, 0, 0, 2) }, { 1000, 1000 }, { 80, 81 },
	  0 },
	{ "other protocol", { AF_INET, AF_INET }, { 6, 17 },
	  { A4(10, 0, 0, 1), A4(10, 0, 0, 1) },
	  { A4(10, 0, 0, 2), A4(10, 0, 0, 2) }, { 1000, 1000 }, { 80, 80 },
	  0 },
	{ "v4 and v6 with the same leading bytes", { AF_INET, AF_INET6 },
	  { 6, 6 }, { A4(10, 0, 0, 1), A4(10, 0, 0, 1) },
	  { A4(10, 0, 0, 2), A4(10, 0, 0, 2) }, { 1000, 1000 }, { 80, 80 },
	  0 },
	{ "v4 and v4-mapped v6", { AF_INET, AF_INET6 }, { 6, 6 },
	  { A4(10, 0, 0, 1),
	    { [10] = 0xff, [11] = 0xff, [12] = 10, [15] = 1 } },
	  { A4(10, 0, 0, 2),
	    { [10] = 0xff, [11] = 0xff, [12] = 10, [15] = 2 } },
	  { 1000, 1000 }, { 80, 80 }, 0 },
	/* Evasion: ports must stay with their address when ordered. */
	{ "ports swapped between the endpoints", { AF_INET, AF_INET },
	  { 6, 6 }, { A4(10, 0, 0, 1), A4(10, 0, 0, 1) },
	  { A4(10, 0, 0, 2), A4(10, 0, 0, 2) }, { 1, 2 }, { 2, 1 }, 0 },
	{ "same address, ports swapped is the reply", { AF_INET, AF_INET },
	  { 6, 6 }, { A4(10, 0, 0, 1), A4(10, 0, 0, 1) },
	  { A4(10, 0, 0, 1), A4(10, 0, 0, 1) }, { 1, 2 }, { 2, 1 }, 1 },
	{ "v4 garbage past the address", { AF_INET, AF_INET }, { 6, 6 },
	  { A4(10, 0, 0, 1), { 10, 0, 0, 1, 7, 7, 7, [15] = 7 } },
	  { A4(10, 0, 0, 2), { 10, 0, 0, 2, 9, [15] = 9 } },
	  { 1000, 1000 }, { 80, 80 }, 1 },
};

static void
test_same_flow(void)
{
	const struct same_case	*c;
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	 k0, k1;
	struct nfqd_flow	*f, *g;
	struct rel		 rel;
	size_t			 i;
	int			 dir;

	for (i = 0; i < NFQD_ARRAY_SIZE(same_cases); i++) {
		c = &same_cases[i];
		t = mktab(16, NULL, &rel);
		nfqd_flow_key_make(&k0, c->fam[0], c->proto[0], c->s[0],
		    c->d[0], c->sp[0], c->dp[0], &dir);
		nfqd_flow_key_make(&k1, c->fam[1], c->proto[1], c->s[1],
		    c->d[1], c->sp[1], c->dp[1], &dir);
		f = nfqd_flow_add(t, &k0, W, 1);
		g = nfqd_flow_find(t, &k1, 2);
		if (c->same)
			CHECK(f != NULL && g == f, unit_fmt("flow %s: one "
			    "flow", c->name));
		else {
			CHECK(f != NULL && g == NULL, unit_fmt("flow %s: "
			    "two flows", c->name));
			g = nfqd_flow_add(t, &k1, W, 2);
			CHECK(g != NULL && g != f &&
			    nfqd_flow_find(t, &k0, 3) == f &&
			    nfqd_flow_find(t, &k1, 3) == g,
			    unit_fmt("flow %s: each finds its own", c->name));
		}
		nfqd_flowtab_free(t);
	}
}

/* Making a table. */

static void
test_new(void)
{
	static const struct {
		uint32_t	max;
		int		err;	/* 0: made */
	} cases[] = {
		{ 0, EINVAL }, { 1, 0 }, { 3, 0 }, { 4096, 0 },
		{ (1u << 26) + 1, EINVAL }, { UINT32_MAX, EINVAL },
	};
	struct nfqd_flowtab_params	p;
	struct nfqd_flowtab		*t;
	uint32_t			count[NFQD_FC_MAX];
	size_t				i;

	for (i = 0; i < NFQD_ARRAY_SIZE(cases); i++) {
		memset(&p, 0, sizeof(p));
		p.max = cases[i].max;
		errno = 0;
		t = nfqd_flowtab_new(&p);
		if (cases[i].err != 0) {
			CHECK(t == NULL && errno == cases[i].err,
			    unit_fmt("new max %u: refused", cases[i].max));
			continue;
		}
		CHECK(t != NULL && table_ok(t, count) == 0 &&
		    count[NFQD_FC_FREE] == cases[i].max,
		    unit_fmt("new max %u: all free", cases[i].max));
		check_stats(t, 0, 0, 0, 0, 0, unit_fmt("new max %u",
		    cases[i].max));
		nfqd_flowtab_free(t);
	}
	errno = 0;
	CHECK(nfqd_flowtab_new(NULL) == NULL && errno == EINVAL,
	    "new: no params refused");
	nfqd_flowtab_free(NULL);
}

/* The eviction order. */

struct ev_row {
	const char	*name;
	uint8_t		 cls;
	uint64_t	 at;
};

struct ev_case {
	const char	*name;
	struct ev_row	 rows[8];	/* added in this order */
	struct ev_row	 touch[4];	/* then touched in this order */
	const char	*order[8];	/* evicted by each add of a REASM
					   flow; after the last, full */
};

static const struct ev_case ev_cases[] = {
	{ "by age across classes",
	  { { "r1", R, 5 }, { "w1", W, 10 }, { "d2", D, 12 }, { "r2", R, 15 },
	    { "w2", W, 20 }, { "d1", D, 30 }, { "u1", U, 35 },
	    { "c1", C, 40 } },
	  { { NULL, 0, 0 } },
	  { "d2", "d1", "u1", "c1", "w1", "w2" } },
	{ "ties go UDP, CLOSING, DECIDED, each oldest first",
	  { { "d1", D, 10 }, { "c1", C, 10 }, { "u1", U, 10 }, { "w1", W, 10 },
	    { "r1", R, 10 }, { "d2", D, 10 }, { "c2", C, 10 },
	    { "u2", U, 10 } },
	  { { NULL, 0, 0 } },
	  { "u1", "u2", "c1", "c2", "d1", "d2", "w1" } },
	{ "touch moves a flow",
	  { { "w1", W, 1 }, { "w2", W, 2 }, { "d1", D, 3 }, { "u1", U, 4 },
	    { "r1", R, 5 }, { "w3", W, 6 }, { "c1", C, 7 }, { "d2", D, 8 } },
	  { { "d1", R, 20 }, { "w1", D, 21 }, { "u1", U, 22 },
	    { NULL, 0, 0 } },
	  { "c1", "d2", "w1", "u1", "w2", "w3" } },
	{ "REASM back to WAIT is evictable",
	  { { "r1", R, 1 }, { "r2", R, 2 }, { "r3", R, 3 }, { "r4", R, 4 },
	    { "r5", R, 5 }, { "r6", R, 6 }, { "r7", R, 7 }, { "r8", R, 8 } },
	  { { "r8", W, 9 }, { "r3", U, 10 }, { NULL, 0, 0 } },
	  { "r3", "r8" } },
	{ "only REASM: full at once",
	  { { "r1", R, 1 }, { "r2", R, 2 }, { "r3", R, 3 }, { "r4", R, 4 },
	    { "r5", R, 5 }, { "r6", R, 6 }, { "r7", R, 7 }, { "r8", R, 8 } },
	  { { NULL, 0, 0 } },
	  { NULL } },
};

static int
ev_find(const struct ev_case *c, const char *name)
{
	int	i;

	for (i = 0; i < 8; i++)
		if (strcmp(c->rows[i].name, name) == 0)
			return i;
	abort();
}

static void
test_eviction_order(void)
{
	const struct ev_case	*c;
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	 k[8], nk;
	struct nfqd_flow	*f[8], *g;
	struct rel		 rel;
	uint32_t		 pv[NFQD_FLOW_PREFETCH_MAX];
	unsigned		 nv;
	int			 gone[8], i, j, n, v, ok;
	size_t			 ci;

	for (ci = 0; ci < NFQD_ARRAY_SIZE(ev_cases); ci++) {
		c = &ev_cases[ci];
		t = mktab(8, NULL, &rel);	/* no timeouts */
		for (i = 0; i < 8; i++) {
			key_num((uint32_t)i, &k[i]);
			f[i] = nfqd_flow_add(t, &k[i], c->rows[i].cls,
			    c->rows[i].at);
			gone[i] = 0;
		}
		for (i = 0; i < 4 && c->touch[i].name != NULL; i++) {
			j = ev_find(c, c->touch[i].name);
			nfqd_flow_touch(t, f[j], c->touch[i].cls,
			    c->touch[i].at);
		}
		/*
		 * The batch prefetch's guess of the same order (entry
		 * indices: a new table hands out entries 0, 1, ... in turn).
		 */
		nv = nfqd_flow_prefetch_victims(t, 8, pv);
		for (n = 0, ok = 1; n < 8 && c->order[n] != NULL; n++)
			if ((unsigned)n >= nv ||
			    f[0] + pv[n] != f[ev_find(c, c->order[n])])
				ok = 0;
		CHECK(ok && nv == (unsigned)n, unit_fmt("evict %s: "
		    "nfqd_flow_prefetch_victims names the victims in order",
		    c->name));
		CHECK_INT_EQ(nfqd_flow_prefetch_victims(t, 3, pv),
		    n < 3 ? n : 3, unit_fmt("evict %s: ... as many as asked",
		    c->name));
		for (n = 0; n < 8 && c->order[n] != NULL; n++) {
			v = ev_find(c, c->order[n]);
			key_num(100 + (uint32_t)n, &nk);
			rel.n = 0;
			g = nfqd_flow_add(t, &nk, R, 1000 + (uint64_t)n);
			CHECKF(g != NULL && rel.n == 1 && rel.f[0] == f[v] &&
			    g == f[v], unit_fmt("evict %s: add %d ends %s",
			    c->name, n + 1, c->order[n]), "got %p, %u "
			    "released, first %p, expected %p", (void *)g,
			    rel.n, rel.n > 0 ? (void *)rel.f[0] : NULL,
			    (void *)f[v]);
			gone[v] = 1;
			ok = 1;
			for (i = 0; i < 8; i++)
				if ((nfqd_flow_find(t, &k[i], 2000) ==
				    NULL) != gone[i])
					ok = 0;
			CHECK(ok, unit_fmt("evict %s: after add %d the rest "
			    "are there", c->name, n + 1));
		}
		key_num(200, &nk);
		rel.n = 0;
		CHECK(nfqd_flow_add(t, &nk, W, 3000) == NULL && rel.n == 0,
		    unit_fmt("evict %s: then only REASM: no room", c->name));
		check_stats(t, 8, 8 + (uint64_t)n, (uint64_t)n, 0, 1,
		    unit_fmt("evict %s", c->name));
		check_consistent(t, unit_fmt("evict %s", c->name));
		nfqd_flowtab_free(t);
	}
}

/* Timeouts. */

static void
test_timeouts(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 100, [R] = 50, [D] = 200, [C] = 20, [U] = 30
	};
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	 k;
	struct nfqd_flow	*f, *g;
	struct rel		 rel;
	uint64_t		 t0 = 1000;
	int			 c;

	key_num(7, &k);
	for (c = W; c < NFQD_FC_MAX; c++) {
		t = mktab(4, tmo, &rel);
		f = nfqd_flow_add(t, &k, c, t0);
		g = nfqd_flow_find(t, &k, t0 + tmo[c]);
		CHECK(f != NULL && g == f && rel.n == 0,
		    unit_fmt("timeout %s: found at the timeout", cls_name[c]));
		g = nfqd_flow_find(t, &k, t0 + tmo[c] + 1);
		CHECK(g == NULL && rel.n == 1 && rel.f[0] == f &&
		    rel.live == 0, unit_fmt("timeout %s: past it ended, "
		    "released once", cls_name[c]));
		check_stats(t, 0, 1, 0, 1, 0, unit_fmt("timeout %s",
		    cls_name[c]));
		g = nfqd_flow_find(t, &k, t0 + tmo[c] + 2);
		CHECK(g == NULL && rel.n == 1, unit_fmt("timeout %s: gone",
		    cls_name[c]));
		check_stats(t, 0, 1, 0, 1, 0, unit_fmt("timeout %s: again",
		    cls_name[c]));
		check_consistent(t, unit_fmt("timeout %s", cls_name[c]));
		nfqd_flowtab_free(t);
	}

	/* 0: never; a clock that went back ends nothing. */
	t = mktab(4, NULL, &rel);
	f = nfqd_flow_add(t, &k, U, 5);
	CHECK(nfqd_flow_find(t, &k, UINT64_MAX) == f &&
	    nfqd_flowtab_expire(t, UINT64_MAX, 100) == 0,
	    "timeout 0: never times out");
	nfqd_flowtab_free(t);
	t = mktab(4, tmo, &rel);
	f = nfqd_flow_add(t, &k, C, 5000);
	CHECK(nfqd_flow_find(t, &k, 10) == f &&
	    nfqd_flowtab_expire(t, 10, 100) == 0 && rel.n == 0,
	    "timeout: clock went back: kept");
	nfqd_flowtab_free(t);
}

/* Expiry with a bound. */

static void
test_expire(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 100, [R] = 100, [D] = 100, [C] = 100, [U] = 100
	};
	static const struct ev_row rows[] = {
		{ "w1", W, 1 }, { "w2", W, 2 }, { "w3", W, 3 }, { "r1", R, 4 },
		{ "d1", D, 5 }, { "d2", D, 6 }, { "c1", C, 7 }, { "u1", U, 8 },
		{ "w4", W, 470 }, { "u2", U, 500 },
	};
	/* Released by expire(560, 3), then expire(560, 100). */
	static const int	first[] = { 0, 1, 2 };
	static const int	then[] = { 3, 4, 5, 6, 7 };
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	 k;
	struct nfqd_flow	*f[NFQD_ARRAY_SIZE(rows)];
	struct rel		 rel;
	uint32_t		 count[NFQD_FC_MAX];
	unsigned		 n, i;
	int			 ok;

	t = mktab(16, tmo, &rel);
	for (i = 0; i < NFQD_ARRAY_SIZE(rows); i++) {
		key_num(i, &k);
		f[i] = nfqd_flow_add(t, &k, rows[i].cls, rows[i].at);
	}
	n = nfqd_flowtab_expire(t, 560, 3);
	ok = n == 3 && rel.n == 3;
	for (i = 0; ok && i < 3; i++)
		ok = rel.f[i] == f[first[i]];
	CHECKF(ok, "expire max 3: the 3 oldest WAIT", "returned %u, "
	    "released %u", n, rel.n);
	CHECK(nfqd_flowtab_expire(t, 560, 0) == 0 && rel.n == 3,
	    "expire max 0: nothing");
	rel.n = 0;
	n = nfqd_flowtab_expire(t, 560, 100);
	ok = n == 5 && rel.n == 5;
	for (i = 0; ok && i < 5; i++)
		ok = rel.f[i] == f[then[i]];
	CHECKF(ok, "expire max 100: the rest past the timeout, class by "
	    "class", "returned %u, released %u", n, rel.n);
	CHECK(nfqd_flowtab_expire(t, 560, 100) == 0,
	    "expire: nothing left past the timeout");
	CHECK(table_ok(t, count) == 0 && count[W] == 1 && count[U] == 1 &&
	    count[R] + count[D] + count[C] == 0, "expire: w4, u2 remain");
	check_stats(t, 2, 10, 0, 8, 0, "expire");
	nfqd_flowtab_free(t);
}

/* Touch. */

static void
test_touch(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 100, [R] = 50, [D] = 200, [C] = 20, [U] = 30
	};
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	 k, k2, k3, k4;
	struct nfqd_flow	*f, *g;
	struct rel		 rel;
	uint32_t		 count[NFQD_FC_MAX];

	key_num(1, &k);
	key_num(2, &k2);
	key_num(3, &k3);
	key_num(4, &k4);

	t = mktab(4, tmo, &rel);
	f = nfqd_flow_add(t, &k, W, 0);
	nfqd_flow_touch(t, f, C, 10);
	CHECK(f->cls == C && f->last == 10 && table_ok(t, count) == 0 &&
	    count[C] == 1 && count[W] == 0, "touch WAIT to CLOSING: moved");
	CHECK(nfqd_flow_find(t, &k, 30) == f, "touch to CLOSING: its "
	    "timeout from the touch");
	CHECK(nfqd_flow_find(t, &k, 31) == NULL && rel.n == 1,
	    "touch to CLOSING: CLOSING's timeout applies");
	nfqd_flowtab_free(t);

	t = mktab(4, tmo, &rel);
	f = nfqd_flow_add(t, &k, W, 0);
	nfqd_flow_touch(t, f, W, 90);
	CHECK(nfqd_flow_find(t, &k, 190) == f, "touch: last moves on");
	nfqd_flow_touch(t, f, NFQD_FC_FREE, 195);
	CHECK(f->cls == W && f->last == 195 && table_ok(t, count) == 0 &&
	    count[W] == 1 && count[NFQD_FC_FREE] == 3,
	    "touch to FREE: stays in its class");
	nfqd_flow_touch(t, f, (enum nfqd_flow_class)NFQD_FC_MAX, 196);
	CHECK(f->cls == W && f->last == 196 && table_ok(t, count) == 0 &&
	    count[W] == 1, "touch to a class out of range: stays");
	nfqd_flow_end(t, f);
	CHECK(rel.n == 1 && rel.f[0] == f, "end: released");
	nfqd_flow_touch(t, f, D, 200);
	nfqd_flow_end(t, f);
	CHECK(rel.n == 1 && table_ok(t, count) == 0 &&
	    count[NFQD_FC_FREE] == 4, "touch and end of an ended flow: "
	    "nothing");
	nfqd_flow_end(t, NULL);
	nfqd_flow_end(t, (struct nfqd_flow *)((char *)f + 1));
	CHECK(rel.n == 1 && table_ok(t, NULL) == 0,
	    "end of NULL or a pointer into an entry: nothing");
	check_stats(t, 0, 1, 0, 0, 0, "touch");
	nfqd_flowtab_free(t);

	/* Touched to REASM: kept when the table is full. */
	t = mktab(2, NULL, &rel);
	f = nfqd_flow_add(t, &k, W, 1);
	g = nfqd_flow_add(t, &k2, W, 2);
	nfqd_flow_touch(t, f, R, 3);
	nfqd_flow_touch(t, g, R, 4);
	CHECK(nfqd_flow_add(t, &k3, W, 5) == NULL && rel.n == 0,
	    "touch to REASM: not evicted");
	nfqd_flow_touch(t, g, D, 6);
	CHECK(nfqd_flow_add(t, &k4, W, 7) == g && rel.n == 1 &&
	    rel.f[0] == g && nfqd_flow_find(t, &k, 8) == f,
	    "touch REASM to DECIDED: evicted, not the REASM");
	check_stats(t, 2, 3, 1, 0, 1, "touch to REASM");
	nfqd_flowtab_free(t);
}

/* What add hands out. */

static void
test_add_fields(void)
{
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	 k, k2;
	struct nfqd_flow	*f, *g, z;
	struct rel		 rel;

	key_num(1, &k);
	key_num(2, &k2);
	t = mktab(1, NULL, &rel);
	f = nfqd_flow_add(t, &k, U, 77);
	memset(&z, 0, sizeof(z));
	CHECK(f != NULL && memcmp(&f->key, &k, sizeof(k)) == 0 &&
	    f->cls == U && f->last == 77 && memcmp(&f->client, &z.client,
	    sizeof(z) - offsetof(struct nfqd_flow, client)) == 0,
	    "add: key, class, time; the rest zero");
	/* The application layer's fields, scribbled over. */
	memset(&f->client, 0xa5, sizeof(*f) -
	    offsetof(struct nfqd_flow, client));
	g = nfqd_flow_add(t, &k2, W, 78);
	CHECK(g == f && rel.n == 1 && memcmp(&g->key, &k2, sizeof(k2)) == 0 &&
	    g->cls == W && g->last == 78 && memcmp(&g->client, &z.client,
	    offsetof(struct nfqd_flow, l7data) + NFQD_FLOW_L7ZERO -
	    offsetof(struct nfqd_flow, client)) == 0,
	    "add: a reused entry is zeroed up to NFQD_FLOW_L7ZERO bytes of "
	    "l7data");
	memset(z.l7data, 0xa5, sizeof(z.l7data));
	CHECK(memcmp(g->l7data + NFQD_FLOW_L7ZERO, z.l7data,
	    sizeof(z.l7data) - NFQD_FLOW_L7ZERO) == 0,
	    "add: the rest of a reused entry's l7data is left as it was");
	CHECK(nfqd_flow_find(t, &k, 79) == NULL &&
	    nfqd_flow_find(t, &k2, 79) == g, "add: the old key is gone");
	errno = 0;
	CHECK(nfqd_flow_add(t, &k, NFQD_FC_FREE, 80) == NULL &&
	    errno == EINVAL && nfqd_flow_add(t, &k,
	    (enum nfqd_flow_class)NFQD_FC_MAX, 80) == NULL && rel.n == 1,
	    "add: class FREE or out of range refused");
	check_stats(t, 1, 2, 1, 0, 0, "add: a bad class is not full");
	nfqd_flowtab_free(t);
}

/* A release callback that ends its flow again, as a careless one might. */
struct reenter {
	struct nfqd_flowtab	*t;
	unsigned		 calls;
};

static void
reenter_cb(void *arg, struct nfqd_flow *f)
{
	struct reenter	*r = arg;

	r->calls++;
	nfqd_flow_end(r->t, f);
}

static void
test_release_reentry(void)
{
	struct nfqd_flowtab_params	p;
	struct nfqd_flow_key		k;
	struct nfqd_flow		*f;
	struct reenter			r = { NULL, 0 };

	memset(&p, 0, sizeof(p));
	p.max = 2;
	p.release = reenter_cb;
	p.arg = &r;
	if ((r.t = nfqd_flowtab_new(&p)) == NULL)
		abort();
	key_num(1, &k);
	f = nfqd_flow_add(r.t, &k, D, 1);
	nfqd_flow_end(r.t, f);
	CHECK(r.calls == 1 && table_ok(r.t, NULL) == 0,
	    "release: an end from inside the callback is nothing");
	check_stats(r.t, 0, 1, 0, 0, 0, "release: reentry");
	nfqd_flowtab_free(r.t);
}

/*
 * The expire hook.  Its argument is release's too: struct rel first, so
 * rel_cb reads it as one.
 */
struct hook {
	struct rel	 rel;
	int		 ret[NFQD_FC_MAX];	/* returned for a flow of each
						   class */
	unsigned	 calls;
	uint8_t		 cls[REL_LOG];	/* the class of each flow seen */
	uint64_t	 now[REL_LOG];	/* the time it was called with */
	struct nfqd_flowtab *t;		/* end_self: ends the flow */
	int		 end_self;
	const struct nfqd_flow *only;	/* not NULL: ends any other */
};

static int
hook_cb(void *arg, struct nfqd_flow *f, uint64_t now)
{
	struct hook	*h = arg;

	if (h->calls < REL_LOG) {
		h->cls[h->calls] = f->cls;
		h->now[h->calls] = now;
	}
	h->calls++;
	if (h->end_self)
		nfqd_flow_end(h->t, f);
	if (h->only != NULL && f != h->only)
		return -1;
	return h->ret[f->cls];
}

static struct nfqd_flowtab *
mktab_hook(uint32_t max, const uint64_t *tmo, struct hook *h,
    const int ret[NFQD_FC_MAX])
{
	struct nfqd_flowtab_params	p;

	memset(h, 0, sizeof(*h));
	memcpy(h->ret, ret, sizeof(h->ret));
	memset(&p, 0, sizeof(p));
	p.max = max;
	memcpy(p.timeout, tmo, sizeof(p.timeout));
	p.release = rel_cb;
	p.expire = hook_cb;
	p.arg = h;
	if ((h->t = nfqd_flowtab_new(&p)) == NULL) {
		perror("nfqd_flowtab_new");
		exit(2);
	}
	return h->t;
}

/* What the hook returns: -1 (end) unless a row says otherwise. */
#define END_ALL	{ -1, -1, -1, -1, -1, -1 }

struct hook_case {
	const char	*name;
	uint8_t		 cls;		/* of the flow that times out */
	int		 ret;		/* the hook's answer for it */
	int		 find;		/* found past its timeout, not
					   expired */
	int		 kept;		/* expected: kept (else ended) */
	uint8_t		 to;		/* then its class */
};

static const struct hook_case hook_cases[] = {
	{ "REASM kept in WAIT by expire", R, W, 0, 1, W },
	{ "REASM kept in WAIT by find", R, W, 1, 1, W },
	{ "CLOSING kept in WAIT by expire", C, W, 0, 1, W },
	{ "CLOSING kept in WAIT by find", C, W, 1, 1, W },
	{ "REASM kept in REASM", R, R, 0, 1, R },
	{ "DECIDED kept in UDP", D, U, 1, 1, U },
	{ "REASM ended by expire", R, -1, 0, 0, 0 },
	{ "REASM ended by find", R, -1, 1, 0, 0 },
	{ "an answer of FREE ends", R, NFQD_FC_FREE, 0, 0, 0 },
	{ "an answer past the classes ends", C, NFQD_FC_MAX, 1, 0, 0 },
};

/*
 * Each row: a flow f of the row's class at 100 (timeout 50), another, o,
 * at 140 in the class f is kept in (WAIT where f ends); at 160 f is past
 * its timeout, found or expired.  A kept flow is at its class's head,
 * last = 160: o, older, times out before it.
 */
static void
test_expire_hook(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 1000, [R] = 50, [D] = 50, [C] = 50, [U] = 1000
	};
	static const int	none[NFQD_FC_MAX] = END_ALL;
	const struct hook_case	*c;
	struct nfqd_flowtab	*t;
	struct nfqd_flowtab_stats st;
	struct nfqd_flow_key	 k, ko;
	struct nfqd_flow	*f, *o, *g;
	uint64_t		 at;
	struct hook		 h;
	uint32_t		 count[NFQD_FC_MAX];
	int			 ret[NFQD_FC_MAX];
	unsigned		 n;
	size_t			 ci;

	key_num(1, &k);
	key_num(2, &ko);
	for (ci = 0; ci < NFQD_ARRAY_SIZE(hook_cases); ci++) {
		c = &hook_cases[ci];
		memcpy(ret, none, sizeof(ret));
		ret[c->cls] = c->ret;
		t = mktab_hook(2, tmo, &h, ret);
		f = nfqd_flow_add(t, &k, c->cls, 100);
		o = nfqd_flow_add(t, &ko, c->kept ? c->to : W, 140);
		h.only = f;
		if (c->find) {
			g = nfqd_flow_find(t, &k, 160);
			n = 0;
		} else {
			n = nfqd_flowtab_expire(t, 160, 100);
			g = nfqd_flow_find(t, &k, 160);
		}
		CHECKF(h.calls == 1 && h.cls[0] == c->cls && h.now[0] == 160,
		    unit_fmt("hook %s: called once, in its class, with now",
		    c->name), "calls %u, class %u, now %llu", h.calls,
		    h.calls > 0 ? h.cls[0] : 0,
		    (unsigned long long)(h.calls > 0 ? h.now[0] : 0));
		nfqd_flowtab_stats(t, &st);
		if (c->kept) {
			CHECKF(g == f && f->cls == c->to && f->last == 160 &&
			    n == 0 && h.rel.n == 0 && st.kept == 1 &&
			    st.timed_out == 0 && st.active == 2,
			    unit_fmt("hook %s: kept, returned, class %s, "
			    "last now, not timed out", c->name,
			    cls_name[c->to]), "got %p (flow %p) class %u "
			    "last %llu, expire %u, released %u, kept %llu, "
			    "timed out %llu", (void *)g, (void *)f, f->cls,
			    (unsigned long long)f->last, n, h.rel.n,
			    (unsigned long long)st.kept,
			    (unsigned long long)st.timed_out);
			CHECK(table_ok(t, count) == 0 &&
			    count[c->to] == 2 &&
			    (c->cls == c->to || count[c->cls] == 0) &&
			    count[NFQD_FC_FREE] == 0,
			    unit_fmt("hook %s: counts", c->name));
			/* o past its timeout, f (20 later) not yet. */
			at = 140 + tmo[c->to] + 5;
			n = nfqd_flowtab_expire(t, at, 100);
			CHECKF(n == 1 && h.rel.n == 1 && h.rel.f[0] == o &&
			    h.calls == 2 && nfqd_flow_find(t, &k, at) == f,
			    unit_fmt("hook %s: at the head of its list",
			    c->name), "expire %u, released %u, calls %u", n,
			    h.rel.n, h.calls);
		} else {
			CHECKF(g == NULL && h.rel.n == 1 && h.rel.f[0] == f &&
			    h.rel.live == 0 && st.kept == 0 &&
			    st.timed_out == 1 && st.active == 1 &&
			    n == (c->find ? 0u : 1u),
			    unit_fmt("hook %s: ended, released, timed out",
			    c->name), "got %p, released %u, kept %llu, "
			    "timed out %llu, expire %u", (void *)g, h.rel.n,
			    (unsigned long long)st.kept,
			    (unsigned long long)st.timed_out, n);
		}
		check_consistent(t, unit_fmt("hook %s", c->name));
		nfqd_flowtab_free(t);
	}
}

/* A hook that ends the flow itself: ended, once. */
static void
test_expire_hook_ends(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 1000, [R] = 50, [D] = 50, [C] = 50, [U] = 1000
	};
	static const int	ret[NFQD_FC_MAX] = { W, W, W, W, W, W };
	struct nfqd_flowtab	*t;
	struct nfqd_flowtab_stats st;
	struct nfqd_flow_key	 k, k2;
	struct nfqd_flow	*f, *f2;
	struct hook		 h;

	key_num(1, &k);
	key_num(2, &k2);
	t = mktab_hook(4, tmo, &h, ret);
	h.end_self = 1;
	f = nfqd_flow_add(t, &k, R, 100);
	f2 = nfqd_flow_add(t, &k2, R, 180);
	CHECK(nfqd_flowtab_expire(t, 200, 100) == 1 &&
	    nfqd_flow_find(t, &k2, 231) == NULL && h.calls == 2 &&
	    h.rel.n == 2 && h.rel.f[0] == f && h.rel.f[1] == f2,
	    "hook that ends its flow: ended (expire and find), released "
	    "once each");
	nfqd_flowtab_stats(t, &st);
	CHECK(st.kept == 0 && st.timed_out == 2 && st.active == 0,
	    "hook that ends its flow: timed out, not kept");
	check_consistent(t, "hook that ends its flow");
	nfqd_flowtab_free(t);
}

/*
 * Many flows kept: an expiry looks at each once (each counts against
 * max), ends none, and one more finds nothing; a hook that keeps them
 * in their own class too.
 */
#define MANY_KEPT	1000

static void
test_expire_many_kept(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 1000, [R] = 50, [D] = 50, [C] = 50, [U] = 1000
	};
	static const int	to_wait[NFQD_FC_MAX] = { -1, -1, W, -1, W, -1 };
	static const int	same[NFQD_FC_MAX] = { -1, -1, R, -1, -1, -1 };
	const int		*ret;
	struct nfqd_flowtab	*t;
	struct nfqd_flowtab_stats st;
	struct nfqd_flow_key	 k;
	struct hook		 h;
	uint32_t		 i, count[NFQD_FC_MAX];
	unsigned		 n, rounds;
	int			 r;

	for (r = 0; r < 2; r++) {
		ret = r == 0 ? to_wait : same;
		t = mktab_hook(MANY_KEPT, tmo, &h, ret);
		for (i = 0; i < MANY_KEPT; i++) {
			key_num(i, &k);
			nfqd_flow_add(t, &k, i % 2 == 0 || r == 1 ? R : C,
			    100 + i / 10);
		}
		n = nfqd_flowtab_expire(t, 1000, 4096);
		CHECKF(n == 0 && h.calls == MANY_KEPT && h.rel.n == 0,
		    unit_fmt("many kept (%s): one expiry looks at each once",
		    r == 0 ? "to WAIT" : "in REASM"), "ended %u, calls %u, "
		    "released %u", n, h.calls, h.rel.n);
		CHECK(nfqd_flowtab_expire(t, 1000, 4096) == 0 &&
		    h.calls == MANY_KEPT, unit_fmt("many kept (%s): then "
		    "none past the timeout", r == 0 ? "to WAIT" : "in REASM"));
		nfqd_flowtab_stats(t, &st);
		CHECK(table_ok(t, count) == 0 &&
		    count[r == 0 ? W : R] == MANY_KEPT && st.kept == MANY_KEPT &&
		    st.timed_out == 0, unit_fmt("many kept (%s): all in %s",
		    r == 0 ? "to WAIT" : "in REASM", r == 0 ? "WAIT" : "REASM"));
		nfqd_flowtab_free(t);
	}

	/* A bound of 100: 10 calls get through 1000, 100 at a time. */
	t = mktab_hook(MANY_KEPT, tmo, &h, to_wait);
	for (i = 0; i < MANY_KEPT; i++) {
		key_num(i, &k);
		nfqd_flow_add(t, &k, R, 100);
	}
	for (rounds = 0; rounds < 20; rounds++) {
		n = h.calls;
		nfqd_flowtab_expire(t, 1000, 100);
		if (h.calls == n)
			break;
		if (h.calls - n != 100)
			break;
	}
	CHECKF(rounds == 10 && h.calls == MANY_KEPT,
	    "many kept: a bound of 100 looks at 100 a call",
	    "%u calls, hook called %u times", rounds, h.calls);
	check_consistent(t, "many kept: bounded");
	nfqd_flowtab_free(t);
}

/* No hook: as before (the timeouts' own tests run without one too). */
static void
test_expire_no_hook(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 1000, [R] = 50, [D] = 50, [C] = 50, [U] = 1000
	};
	struct nfqd_flowtab_params p;
	struct nfqd_flowtab	*t;
	struct nfqd_flowtab_stats st;
	struct nfqd_flow_key	 k, k2;
	struct nfqd_flow	*f, *f2;
	struct rel		 rel;

	memset(&p, 0, sizeof(p));
	memset(&rel, 0, sizeof(rel));
	p.max = 4;
	memcpy(p.timeout, tmo, sizeof(p.timeout));
	p.release = rel_cb;
	p.expire = NULL;
	p.arg = &rel;
	if ((t = nfqd_flowtab_new(&p)) == NULL)
		abort();
	key_num(1, &k);
	key_num(2, &k2);
	f = nfqd_flow_add(t, &k, R, 100);
	f2 = nfqd_flow_add(t, &k2, C, 100);
	CHECK(nfqd_flow_find(t, &k, 151) == NULL && rel.n == 1 &&
	    rel.f[0] == f && nfqd_flowtab_expire(t, 151, 100) == 1 &&
	    rel.n == 2 && rel.f[1] == f2, "no hook: find and expire end "
	    "past the timeout");
	nfqd_flowtab_stats(t, &st);
	CHECK(st.kept == 0 && st.timed_out == 2 && st.active == 0,
	    "no hook: timed out, none kept");
	check_consistent(t, "no hook");
	nfqd_flowtab_free(t);
}

/* Counters through a script. */

static void
test_stats(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 100, [R] = 100, [D] = 100, [C] = 100, [U] = 100
	};
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	 k[8];
	struct nfqd_flow	*f[8];
	struct rel		 rel;
	uint32_t		 i;

	for (i = 0; i < 8; i++)
		key_num(i, &k[i]);
	t = mktab(4, tmo, &rel);
	for (i = 0; i < 4; i++)
		f[i] = nfqd_flow_add(t, &k[i], W, i);
	check_stats(t, 4, 4, 0, 0, 0, "stats: 4 added");
	f[4] = nfqd_flow_add(t, &k[4], R, 10);
	CHECK(rel.n == 1 && rel.f[0] == f[0], "stats: the oldest WAIT went");
	check_stats(t, 4, 5, 1, 0, 0, "stats: one evicted");
	nfqd_flow_end(t, f[1]);
	check_stats(t, 3, 5, 1, 0, 0, "stats: one ended");
	CHECK(nfqd_flow_find(t, &k[2], 103) == NULL, "stats: k2 timed out");
	check_stats(t, 2, 5, 1, 1, 0, "stats: one timed out");
	nfqd_flow_touch(t, f[3], R, 104);
	f[5] = nfqd_flow_add(t, &k[5], R, 105);
	f[6] = nfqd_flow_add(t, &k[6], R, 106);
	CHECK(nfqd_flow_add(t, &k[7], W, 107) == NULL &&
	    nfqd_flow_add(t, &k[7], U, 108) == NULL, "stats: full twice");
	check_stats(t, 4, 7, 1, 1, 2, "stats: full counted");
	/* At 205 f[3], f[4]... (last 104, 10) are past: an add expires. */
	rel.n = 0;
	CHECK(nfqd_flow_add(t, &k[7], W, 205) != NULL && rel.n == 2 &&
	    rel.f[0] == f[4] && rel.f[1] == f[3],
	    "stats: add ends what timed out, oldest first");
	check_stats(t, 3, 8, 1, 3, 2, "stats: timed out on add");
	CHECK(nfqd_flowtab_expire(t, 1000, 100) == 3, "stats: expire all");
	check_stats(t, 0, 8, 1, 6, 2, "stats: all expired");
	check_consistent(t, "stats");
	nfqd_flowtab_free(t);
}

/*
 * The reference model: an array of flows searched linearly.  A class's
 * "tail" is its flow touched least recently (smallest seq); expiry and
 * eviction follow the contract in flow.h with that alone.
 */
struct mflow {
	struct nfqd_flow *f;		/* the table's entry */
	uint8_t		 cls;
	uint64_t	 last;
	uint64_t	 seq;		/* order of adds and touches */
};

struct model {
	uint32_t	*id;		/* key number of each slot; NOKEY */
	struct mflow	*s;
	uint32_t	 max, n;
	uint64_t	 seq;
	uint64_t	 tmo[NFQD_FC_MAX];
	struct nfqd_flowtab_stats st;
	struct nfqd_flow *rel[REL_LOG];	/* expected releases of an op */
	unsigned	 nrel;
};

#define NOKEY	UINT32_MAX

static void
model_init(struct model *m, uint32_t max, const uint64_t *tmo)
{
	uint32_t	i;

	memset(m, 0, sizeof(*m));
	m->max = max;
	m->id = calloc(max, sizeof(*m->id));
	m->s = calloc(max, sizeof(*m->s));
	if (m->id == NULL || m->s == NULL)
		abort();
	for (i = 0; i < max; i++)
		m->id[i] = NOKEY;
	memcpy(m->tmo, tmo, sizeof(m->tmo));
}

static void
model_free(struct model *m)
{
	free(m->id);
	free(m->s);
}

static int
model_slot(const struct model *m, uint32_t id)
{
	uint32_t	i;

	for (i = 0; i < m->max; i++)
		if (m->id[i] == id)
			return (int)i;
	return -1;
}

static int
model_expired(const struct model *m, int i, uint64_t now)
{
	const struct mflow	*s = &m->s[i];

	return m->tmo[s->cls] != 0 && now > s->last &&
	    now - s->last > m->tmo[s->cls];
}

static void
model_tails(const struct model *m, int tail[NFQD_FC_MAX])
{
	uint32_t	i;
	int		c;

	for (c = 0; c < NFQD_FC_MAX; c++)
		tail[c] = -1;
	for (i = 0; i < m->max; i++) {
		if (m->id[i] == NOKEY)
			continue;
		c = m->s[i].cls;
		if (tail[c] < 0 || m->s[i].seq < m->s[tail[c]].seq)
			tail[c] = (int)i;
	}
}

static void
model_end(struct model *m, int i)
{
	if (m->nrel < REL_LOG)
		m->rel[m->nrel] = m->s[i].f;
	m->nrel++;
	m->id[i] = NOKEY;
	m->n--;
}

static unsigned
model_expire(struct model *m, uint64_t now, unsigned max)
{
	int		tail[NFQD_FC_MAX], c;
	unsigned	n = 0;

	for (c = W; c < NFQD_FC_MAX; c++) {
		while (n < max) {
			model_tails(m, tail);
			if (tail[c] < 0 || !model_expired(m, tail[c], now))
				break;
			model_end(m, tail[c]);
			m->st.timed_out++;
			n++;
		}
	}
	return n;
}

static struct nfqd_flow *
model_find(struct model *m, uint32_t id, uint64_t now)
{
	int	i = model_slot(m, id);

	if (i < 0)
		return NULL;
	if (model_expired(m, i, now)) {
		model_end(m, i);
		m->st.timed_out++;
		return NULL;
	}
	return m->s[i].f;
}

/* Before an add: makes room as the table must; 0 when there is none. */
static int
model_room(struct model *m, uint64_t now)
{
	static const int	first[] = { U, C, D };
	int			tail[NFQD_FC_MAX], best = -1, i;
	size_t			k;

	if (m->n < m->max)
		return 1;
	model_expire(m, now, ADD_EXPIRE);
	if (m->n < m->max)
		return 1;
	model_tails(m, tail);
	for (k = 0; k < NFQD_ARRAY_SIZE(first); k++) {
		i = tail[first[k]];
		if (i >= 0 && (best < 0 || m->s[i].last < m->s[best].last))
			best = i;
	}
	if (best < 0)
		best = tail[W];
	if (best < 0) {
		m->st.full++;
		return 0;
	}
	model_end(m, best);
	m->st.evicted++;
	return 1;
}

static void
model_place(struct model *m, uint32_t id, uint8_t cls, uint64_t now,
    struct nfqd_flow *f)
{
	int	i = model_slot(m, NOKEY);

	if (i < 0)
		abort();
	m->id[i] = id;
	m->s[i].f = f;
	m->s[i].cls = cls;
	m->s[i].last = now;
	m->s[i].seq = ++m->seq;
	m->n++;
	m->st.created++;
}

static void
model_touch(struct model *m, int i, int cls, uint64_t now)
{
	if (cls > NFQD_FC_FREE && cls < NFQD_FC_MAX)
		m->s[i].cls = (uint8_t)cls;
	m->s[i].last = now;
	m->s[i].seq = ++m->seq;
}

/* Another live flow of the model uses entry f. */
static int
model_has_entry(const struct model *m, const struct nfqd_flow *f)
{
	uint32_t	i;

	for (i = 0; i < m->max; i++)
		if (m->id[i] != NOKEY && m->s[i].f == f)
			return 1;
	return 0;
}

static uint64_t	rng_state;

static uint64_t
rng(void)
{
	/* splitmix64: fixed seed, the same run every time */
	uint64_t	z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A class by weights out of 100 for W, R, D, C (U gets the rest). */
static int
pick_class(const int w[4])
{
	int	r = (int)(rng() % 100), c;

	for (c = 0; c < 4; c++) {
		if (r < w[c])
			return W + c;
		r -= w[c];
	}
	return U;
}

struct rand_tally {
	unsigned long	 mismatch;	/* results that differed */
	char		 first[256];	/* the first of them */
};

static void
tally(struct rand_tally *ty, int ok, unsigned long op, const char *what)
{
	if (ok)
		return;
	if (ty->mismatch++ == 0)
		snprintf(ty->first, sizeof(ty->first), "op %lu: %s", op,
		    what);
}

static int
rel_same(const struct rel *r, const struct model *m)
{
	unsigned	i;

	if (r->n != m->nrel || r->live != 0)
		return 0;
	for (i = 0; i < r->n && i < REL_LOG; i++)
		if (r->f[i] != m->rel[i])
			return 0;
	return 1;
}

static int
stats_same(const struct nfqd_flowtab *t, const struct model *m)
{
	struct nfqd_flowtab_stats	s;

	nfqd_flowtab_stats(t, &s);
	return s.active == m->n && s.created == m->st.created &&
	    s.evicted == m->st.evicted && s.timed_out == m->st.timed_out &&
	    s.full == m->st.full;
}

static int
counts_same(const struct nfqd_flowtab *t, const struct model *m)
{
	uint32_t	count[NFQD_FC_MAX], want[NFQD_FC_MAX] = { 0 }, i;

	if (table_ok(t, count) != 0)
		return 0;
	for (i = 0; i < m->max; i++)
		if (m->id[i] != NOKEY)
			want[m->s[i].cls]++;
	want[NFQD_FC_FREE] = m->max - m->n;
	return memcmp(count, want, sizeof(count)) == 0;
}

#define RAND_OPS	1000000ul
#define RAND_MAX_FLOWS	4096
#define RAND_KEYS	8192

static void
test_random(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 10 * MS, [R] = 0, [D] = 15 * MS, [C] = 2 * MS,
		[U] = 5 * MS
	};
	/* Class weights (W, R, D, C; U the rest) of adds and touches by
	   phase: mixed, REASM filling the table, REASM draining. */
	static const int	addw[3][4] = {
		{ 50, 1, 4, 4 }, { 10, 85, 2, 2 }, { 60, 0, 10, 10 }
	};
	static const int	touchw[3][4] = {
		{ 20, 5, 40, 15 }, { 5, 80, 5, 5 }, { 20, 0, 50, 20 }
	};
	/* Each 50,000 operations. */
	static const int	phases[] = { 0, 0, 0, 1, 2, 0 };
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	*keys;
	struct nfqd_flow	*f, *want, z;
	struct model		 m;
	struct rel		 rel;
	struct rand_tally	 ty;
	uint64_t		 now = 1;
	unsigned long		 op;
	unsigned		 got, exp, mx;
	uint32_t		 id;
	int			 phase, r, i, c, expect;

	rng_state = 20240601;
	memset(&ty, 0, sizeof(ty));
	memset(&z, 0, sizeof(z));
	if ((keys = calloc(RAND_KEYS, sizeof(*keys))) == NULL)
		abort();
	for (id = 0; id < RAND_KEYS; id++)
		key_num(id * 7919, &keys[id]);
	t = mktab(RAND_MAX_FLOWS, tmo, &rel);
	model_init(&m, RAND_MAX_FLOWS, tmo);
	for (op = 0; op < RAND_OPS; op++) {
		phase = phases[op / 50000 % NFQD_ARRAY_SIZE(phases)];
		now += rng() % 1000;
		id = (uint32_t)(rng() % RAND_KEYS);
		r = (int)(rng() % 100);
		rel.n = rel.live = 0;
		m.nrel = 0;
		if (r < 65) {
			/* A packet: found, or added; or only a look. */
			want = model_find(&m, id, now);
			f = nfqd_flow_find(t, &keys[id], now);
			tally(&ty, f == want, op, "find");
			if (f == NULL && r < 45) {
				c = pick_class(addw[phase]);
				expect = model_room(&m, now);
				f = nfqd_flow_add(t, &keys[id], c, now);
				tally(&ty, (f != NULL) == expect, op, "add");
				if (f != NULL && expect) {
					tally(&ty, !model_has_entry(&m, f) &&
					    memcmp(&f->key, &keys[id],
					    sizeof(f->key)) == 0 &&
					    f->cls == c && f->last == now &&
					    memcmp(&f->client, &z.client,
					    offsetof(struct nfqd_flow,
					    l7data) + NFQD_FLOW_L7ZERO -
					    offsetof(struct nfqd_flow,
					    client)) == 0, op,
					    "added entry");
					model_place(&m, id, (uint8_t)c, now, f);
					/* What the application layer writes. */
					memset(f->l7data, 0x5a,
					    sizeof(f->l7data));
					f->client = 1;
					f->flags = 0xffff;
				}
			}
		} else if (r < 80) {
			if ((i = model_slot(&m, id)) >= 0) {
				c = pick_class(touchw[phase]);
				nfqd_flow_touch(t, m.s[i].f, c, now);
				model_touch(&m, i, c, now);
			}
		} else if (r < 96) {
			if ((i = model_slot(&m, id)) >= 0) {
				nfqd_flow_end(t, m.s[i].f);
				model_end(&m, i);
			}
		} else {
			mx = (unsigned)(rng() % 17);
			exp = model_expire(&m, now, mx);
			got = nfqd_flowtab_expire(t, now, mx);
			tally(&ty, got == exp, op, "expire");
		}
		tally(&ty, rel_same(&rel, &m), op, "released flows");
		if (op % 1000 == 999 || op + 1 == RAND_OPS) {
			tally(&ty, stats_same(t, &m), op, "stats");
			tally(&ty, counts_same(t, &m), op, "lists");
		}
	}
	CHECKF(ty.mismatch == 0, "random: table and model agree",
	    "%lu mismatches, the first: %s", ty.mismatch, ty.first);
	CHECK(stats_same(t, &m), "random: counters equal");
	CHECK(counts_same(t, &m), "random: lists equal");
	CHECKF(m.st.evicted > 1000 && m.st.timed_out > 1000 &&
	    m.st.full > 1000 && m.st.created > 100000,
	    "random: every path taken", "created %llu evicted %llu "
	    "timed_out %llu full %llu", (unsigned long long)m.st.created,
	    (unsigned long long)m.st.evicted,
	    (unsigned long long)m.st.timed_out,
	    (unsigned long long)m.st.full);
	printf("# random: created %llu evicted %llu timed_out %llu "
	    "full %llu active %u\n", (unsigned long long)m.st.created,
	    (unsigned long long)m.st.evicted,
	    (unsigned long long)m.st.timed_out,
	    (unsigned long long)m.st.full, m.n);
	model_free(&m);
	nfqd_flowtab_free(t);
	free(keys);
}

/*
 * A SYN flood from random sources against a table of 1024 holding 10
 * flows in the middle of their hello: those stay, the flood only evicts
 * itself (and, first, whatever was decided).
 */

#define FLOOD_MAX	1024
#define FLOOD_N		100000

/* A random IPv4 source to 192.0.2.1:443. */
static void
flood_key(struct nfqd_flow_key *k)
{
	uint8_t		s[16] = { 0 }, d[16] = { 192, 0, 2, 1 };
	uint64_t	x = rng();
	int		dir;

	memcpy(s, &x, 4);
	nfqd_flow_key_make(k, AF_INET, IPPROTO_TCP, s, d,
	    (uint16_t)(x >> 32), 443, &dir);
}

static void
test_flood(void)
{
	static const uint64_t	tmo[NFQD_FC_MAX] = {
		[W] = 60 * SEC, [R] = 10 * SEC, [D] = 3600 * SEC,
		[C] = 10 * SEC, [U] = 30 * SEC
	};
	static const struct {
		const char	*name;
		uint32_t	 decided;	/* DECIDED flows before */
	} cases[] = { { "10 REASM", 0 }, { "10 REASM, 100 DECIDED", 100 } };
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	 rk[10], dk[100], k;
	struct nfqd_flow	*rf[10];
	struct rel		 rel;
	uint64_t		 now;
	size_t			 ci;
	uint32_t		 i, nul, kept;

	rng_state = 1;
	for (ci = 0; ci < NFQD_ARRAY_SIZE(cases); ci++) {
		t = mktab(FLOOD_MAX, tmo, &rel);
		now = 1 * SEC;
		for (i = 0; i < 10; i++) {
			key_num(i, &rk[i]);
			rf[i] = nfqd_flow_add(t, &rk[i], R, now++);
		}
		for (i = 0; i < cases[ci].decided; i++) {
			key_num(1000 + i, &dk[i]);
			nfqd_flow_add(t, &dk[i], D, now++);
		}
		nul = 0;
		for (i = 0; i < FLOOD_N; i++) {
			flood_key(&k);
			if (nfqd_flow_add(t, &k, W, now) == NULL)
				nul++;
			now += US;
		}
		kept = 0;
		for (i = 0; i < 10; i++)
			kept += nfqd_flow_find(t, &rk[i], now) == rf[i];
		CHECK_UINT_EQ(nul, 0, unit_fmt("flood %s: every SYN got a "
		    "flow", cases[ci].name));
		CHECK_UINT_EQ(kept, 10, unit_fmt("flood %s: the REASM flows "
		    "are all there", cases[ci].name));
		for (i = 0, kept = 0; i < cases[ci].decided; i++)
			kept += nfqd_flow_find(t, &dk[i], now) != NULL;
		CHECK_UINT_EQ(kept, 0, unit_fmt("flood %s: the DECIDED went "
		    "first", cases[ci].name));
		/* 1024 - 10 - decided free entries, then one eviction per
		   SYN. */
		check_stats(t, FLOOD_MAX, 10 + cases[ci].decided + FLOOD_N,
		    FLOOD_N - (FLOOD_MAX - 10 - cases[ci].decided), 0, 0,
		    unit_fmt("flood %s", cases[ci].name));
		check_consistent(t, unit_fmt("flood %s", cases[ci].name));
		nfqd_flowtab_free(t);
	}

	/* A flood of partial hellos: the table holds them to their
	   timeout, and a new flow finds no room; then they time out. */
	t = mktab(FLOOD_MAX, tmo, &rel);
	now = 1 * SEC;
	nul = 0;
	for (i = 0; i < 2000; i++) {
		flood_key(&k);
		if (nfqd_flow_add(t, &k, R, now) == NULL)
			nul++;
		now += US;
	}
	CHECK_UINT_EQ(nul, 2000 - FLOOD_MAX, "REASM flood: the rest find "
	    "no room");
	flood_key(&k);
	CHECK(nfqd_flow_add(t, &k, W, now) == NULL, "REASM flood: a new "
	    "WAIT finds no room");
	check_stats(t, FLOOD_MAX, FLOOD_MAX, 0, 0, 2000 - FLOOD_MAX + 1,
	    "REASM flood");
	/* Past the hello timeout of the first: an add ends 8 of them. */
	now = 1 * SEC + 10 * SEC + 8 * US;
	CHECK(nfqd_flow_add(t, &k, W, now) != NULL && rel.n == ADD_EXPIRE,
	    "REASM flood: past the hello timeout an add makes room");
	check_stats(t, FLOOD_MAX - ADD_EXPIRE + 1, FLOOD_MAX + 1, 0,
	    ADD_EXPIRE, 2000 - FLOOD_MAX + 1, "REASM flood: timed out");
	check_consistent(t, "REASM flood");
	nfqd_flowtab_free(t);
}

/*
 * What a find and an add cost, printed.  The thread's CPU time, so that
 * other work on a shared machine counts less (its cache effects still do).
 */

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define BENCH_MAX	65536
#define BENCH_FLOWS	60000
#define BENCH_ROUNDS	10

static void
test_bench(void)
{
	struct nfqd_flowtab	*t;
	struct nfqd_flow_key	*k;
	struct nfqd_flow	*f;
	struct rel		 rel;
	uintptr_t		 sink = 0;
	double			 t0, hit, miss, add;
	uint32_t		 i, r, ok = 1;

	if ((k = calloc(2 * BENCH_FLOWS, sizeof(*k))) == NULL)
		abort();
	rng_state = 99;
	for (i = 0; i < 2 * BENCH_FLOWS; i++)
		flood_key(&k[i]);
	t = mktab(BENCH_MAX, NULL, &rel);
	for (i = 0; i < BENCH_FLOWS; i++)
		if (nfqd_flow_add(t, &k[i], D, 1) == NULL)
			ok = 0;
	/* Keys in an order unlike the entries' (7919 is prime to 60000). */
	t0 = now_s();
	for (r = 0; r < BENCH_ROUNDS; r++)
		for (i = 0; i < BENCH_FLOWS; i++)
			sink += (uintptr_t)nfqd_flow_find(t,
			    &k[i * 7919 % BENCH_FLOWS], 2);
	hit = now_s() - t0;
	t0 = now_s();
	for (r = 0; r < BENCH_ROUNDS; r++)
		for (i = 0; i < BENCH_FLOWS; i++)
			sink += (uintptr_t)nfqd_flow_find(t,
			    &k[BENCH_FLOWS + i * 7919 % BENCH_FLOWS], 2);
	miss = now_s() - t0;
	t0 = now_s();
	for (r = 0; r < BENCH_ROUNDS; r++)
		for (i = BENCH_FLOWS; i < 2 * BENCH_FLOWS; i++) {
			f = nfqd_flow_add(t, &k[i], W, 3);
			sink += (uintptr_t)f;
			nfqd_flow_end(t, f);
		}
	add = now_s() - t0;
	CHECK(ok && sink != 0 && rel.n == BENCH_ROUNDS * BENCH_FLOWS,
	    "bench: table of 65536 with 60000 flows");
	printf("# bench: %.1f ns per find hit, %.1f ns per find miss, "
	    "%.1f ns per add and end (65536 entries, 60000 flows)\n",
	    hit * 1e9 / (BENCH_ROUNDS * BENCH_FLOWS),
	    miss * 1e9 / (BENCH_ROUNDS * BENCH_FLOWS),
	    add * 1e9 / (BENCH_ROUNDS * BENCH_FLOWS));
	nfqd_flowtab_free(t);
	free(k);
}

int
main(void)
{
	test_key_make();
	test_same_flow();
	test_new();
	test_eviction_order();
	test_timeouts();
	test_expire();
	test_touch();
	test_add_fields();
	test_release_reentry();
	test_expire_hook();
	test_expire_hook_ends();
	test_expire_many_kept();
	test_expire_no_hook();
	test_stats();
	test_random();
	test_flood();
	test_bench();
	return unit_done();
}
