/*
 * Unit tests for dns_learn (src/l7/dnslearn.c, src/l7/dnsanswer.c): the
 * shared table (insert, lookup, TTL clamp, expiry, eviction, several
 * names per address, 1,000,000 entries within the mapping sized for
 * them), a lock left by a dead writer and its repair, the pending
 * queries an answer must match, the answer parser on crafted evasions,
 * whole datagrams, and dst_name through the engine.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/shm.h"
#include "unit.h"

#define NOW	100000u		/* monotonic seconds in the table tests */

static uint8_t *
v4(const char *s)
{
	static uint8_t	b[8][16];
	static unsigned	n;
	uint8_t		*p = b[n++ % 8];

	memset(p, 0, 16);
	if (inet_pton(AF_INET, s, p) != 1)
		abort();
	return p;
}

static uint8_t *
v6(const char *s)
{
	static uint8_t	b[8][16];
	static unsigned	n;
	uint8_t		*p = b[n++ % 8];

	if (inet_pton(AF_INET6, s, p) != 1)
		abort();
	return p;
}

static int
learn(struct nfqd_dnsl *d, uint8_t fam, const uint8_t *a, const char *name,
    uint32_t ttl, uint32_t now)
{
	return nfqd_dnsl_learn(d, fam, a, name, strlen(name), ttl, now, false);
}

/* The names of dn, sorted, joined by ",". */
static const char *
joined(const struct nfqd_dnames *dn)
{
	static char	out[2048];
	const char	*tmp[NFQD_DNSL_WAYS], *x;
	unsigned	i, j, k;

	for (i = 0; i < dn->n; i++)
		tmp[i] = dn->name[i];
	for (i = 0; i < dn->n; i++)
		for (j = i + 1; j < dn->n; j++)
			if (strcmp(tmp[j], tmp[i]) < 0) {
				x = tmp[i];
				tmp[i] = tmp[j];
				tmp[j] = x;
			}
	out[0] = '\0';
	for (i = 0, k = 0; i < dn->n; i++)
		k += (unsigned)snprintf(out + k, sizeof(out) - k, "%s%s",
		    i ? "," : "", tmp[i]);
	return out;
}

/* The names found for the address, sorted, joined by ",". */
static const char *
names(struct nfqd_dnsl *d, uint8_t fam, const uint8_t *a, uint32_t now)
{
	struct nfqd_dnames	dn;

	nfqd_dnsl_lookup(d, fam, a, now, &dn);
	return joined(&dn);
}

static void
test_table(void)
{
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 42);
	struct nfqd_dnsl	 d;
	char			 nm[32];
	unsigned		 i;

	if (!CHECK(t != NULL, "table: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	CHECK_UINT_EQ(nfqd_dnsl_capacity(t), 1024, "table: capacity");
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.1"), NOW), "",
	    "table: empty");

	CHECK_INT_EQ(learn(&d, AF_INET, v4("10.0.0.1"), "blocked.example",
	    300, NOW), 0, "table: learn");
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.1"), NOW),
	    "blocked.example", "table: found");
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.2"), NOW), "",
	    "table: another address");
	/* The same first 4 bytes as IPv6 are another address. */
	CHECK_STR_EQ(names(&d, AF_INET6, v4("10.0.0.1"), NOW), "",
	    "table: IPv6 with the same first bytes");
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.1"), NOW + 299),
	    "blocked.example", "table: alive at ttl - 1");
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.1"), NOW + 300), "",
	    "table: gone at ttl");
	CHECK_UINT_EQ(d.c.learned, 1, "table: learned 1");
	CHECK_UINT_EQ(d.c.hits, 2, "table: 2 hits");

	/* TTL clamped to [60, 3600]. */
	learn(&d, AF_INET, v4("10.0.0.3"), "short.example", 5, NOW);
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.3"), NOW + 59),
	    "short.example", "clamp: 5 s lives min_ttl 60 s");
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.3"), NOW + 60), "",
	    "clamp: ends at 60 s");
	learn(&d, AF_INET, v4("10.0.0.4"), "long.example", 2000000, NOW);
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.4"), NOW + 3599),
	    "long.example", "clamp: a long TTL lives max_ttl");
	CHECK_STR_EQ(names(&d, AF_INET, v4("10.0.0.4"), NOW + 3600), "",
	    "clamp: ends at max_ttl");

	/* Several names per address, IPv6 too; a repeat refreshes. */
	learn(&d, AF_INET6, v6("2001:db8::1"), "a.example", 100, NOW);
	learn(&d, AF_INET6, v6("2001:db8::1"), "b.example", 100, NOW);
	learn(&d, AF_INET6, v6("2001:db8::1"), "c.example", 100, NOW);
	i = (unsigned)d.c.learned;
	learn(&d, AF_INET6, v6("2001:db8::1"), "a.example", 500, NOW);
	CHECK_UINT_EQ(d.c.learned, i, "names: a repeat is no new entry");
	CHECK_STR_EQ(names(&d, AF_INET6, v6("2001:db8::1"), NOW),
	    "a.example,b.example,c.example", "names: three for one address");
	CHECK_STR_EQ(names(&d, AF_INET6, v6("2001:db8::1"), NOW + 200),
	    "a.example", "names: the refreshed one outlives the others");

	/* A bucket full of one address: the soonest to expire goes. */
	for (i = 0; i < NFQD_DNSL_WAYS; i++) {
		snprintf(nm, sizeof(nm), "n%u.cdn.example", i);
		learn(&d, AF_INET, v4("192.0.2.9"), nm, 100 + i, NOW);
	}
	CHECK_UINT_EQ(d.c.evictions, 0, "evict: none while there is room");
	learn(&d, AF_INET, v4("192.0.2.9"), "new.cdn.example", 1000, NOW);
	CHECK_UINT_EQ(d.c.evictions, 1, "evict: one");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.9"), NOW),
	    "n1.cdn.example,n2.cdn.example,n3.cdn.example,n4.cdn.example,"
	    "n5.cdn.example,n6.cdn.example,n7.cdn.example,new.cdn.example",
	    "evict: n0 (expiring first) is gone");

	/* Expiry: the sweep reclaims and counts. */
	i = (unsigned)nfqd_dnsl_entries(t);
	CHECK(i > 0, "sweep: entries before");
	nfqd_dnsl_sweep(&d, NOW + 4000, 1024);
	CHECK_UINT_EQ(nfqd_dnsl_entries(t), 0, "sweep: none left");
	CHECK_UINT_EQ(d.c.expiries, i, "sweep: each counted once");
	nfqd_dnsl_destroy(t);

	CHECK(nfqd_dnsl_create(NFQD_DNSL_MIN_ENTRIES - 1, 1) == NULL,
	    "create: too small refused");
	CHECK(nfqd_dnsl_create(NFQD_DNSL_MAX_ENTRIES + 1u, 1) == NULL,
	    "create: too large refused");
}

/*
 * 1,000,000 entries: the mapping is what nfqd_dnsl_size() says, fixed
 * at creation; 1,200,000 different addresses fit in it by eviction and
 * never in more entries than it holds.
 */
static void
test_million(void)
{
	const uint32_t		 max = 1000000;
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(max, 7);
	struct nfqd_dnsl	 d;
	uint8_t			 a[16];
	uint32_t		 i, found = 0;
	size_t			 size = nfqd_dnsl_size(max);

	if (!CHECK(t != NULL, "million: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	CHECK_UINT_EQ(nfqd_dnsl_mapped(t), size, "million: mapped as computed");
	CHECK(nfqd_dnsl_capacity(t) >= max && nfqd_dnsl_capacity(t) <
	    max + NFQD_DNSL_WAYS, "million: capacity max_entries, up to a "
	    "bucket more");
	/* About 290 bytes an entry: say so if that ever changes. */
	CHECKF(size / max <= 300, "million: at most 300 bytes an entry",
	    "%zu bytes for %u entries", size, max);
	memset(a, 0, sizeof(a));
	for (i = 0; i < 1200000; i++) {
		a[0] = 10;
		a[1] = (uint8_t)(i >> 16);
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		if (learn(&d, AF_INET, a, "x.example", 300, NOW) != 0)
			break;
	}
	CHECK_UINT_EQ(i, 1200000, "million: every insert took its lock");
	CHECK(nfqd_dnsl_entries(t) <= nfqd_dnsl_capacity(t),
	    "million: entries within capacity");
	CHECK_UINT_EQ(d.c.learned, 1200000, "million: each learned");
	CHECK_UINT_EQ(d.c.learned - d.c.evictions, nfqd_dnsl_entries(t),
	    "million: evictions make the difference");
	CHECK(d.c.evictions >= 200000, "million: at least the excess evicted");
	CHECK_UINT_EQ(nfqd_dnsl_mapped(t), size, "million: mapping unchanged");
	for (i = 1100000; i < 1200000; i++) {
		a[1] = (uint8_t)(i >> 16);
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		found += names(&d, AF_INET, a, NOW)[0] != '\0';
	}
	/*
	 * With one TTL for all, a full bucket gives up any of its ways, new
	 * ones too: about 4 in 5 of the last 100,000 stay (78,618 with
	 * this seed).
	 */
	CHECKF(found > 70000, "million: most of the last 100,000 found",
	    "%u found", found);
	nfqd_dnsl_destroy(t);
}

/* A writer that died holding a lock, and the master's repair. */
static void
test_repair(void)
{
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 9);
	struct nfqd_dnsl	 d;
	uint8_t			*a = v4("198.51.100.7");

	if (!CHECK(t != NULL, "repair: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 100);
	learn(&d, AF_INET, a, "before.example", 300, NOW);
	CHECK_UINT_EQ(nfqd_dnsl_entries(t), 1, "repair: one entry");
	/* "Worker 3" takes the lock, starts writing, and dies. */
	CHECK(nfqd_dnsl_test_lock(t, AF_INET, a, 3), "repair: lock taken as 3");
	CHECK_STR_EQ(names(&d, AF_INET, a, NOW), "",
	    "repair: a torn bucket reads as empty");
	CHECK_INT_EQ(learn(&d, AF_INET, a, "after.example", 300, NOW), -1,
	    "repair: a writer gives up");
	CHECK_UINT_EQ(d.c.busy, 1, "repair: and counts it");
	CHECK_UINT_EQ(nfqd_dnsl_repair(t, 4), 0, "repair: not 4's");
	CHECK_UINT_EQ(nfqd_dnsl_repair(t, 3), 1, "repair: 3's one bucket");
	CHECK_UINT_EQ(nfqd_dnsl_entries(t), 0,
	    "repair: the bucket's entries dropped");
	CHECK_INT_EQ(learn(&d, AF_INET, a, "after.example", 300, NOW), 0,
	    "repair: writable again");
	CHECK_STR_EQ(names(&d, AF_INET, a, NOW), "after.example",
	    "repair: readable again");
	CHECK_UINT_EQ(nfqd_dnsl_repair(t, 3), 0, "repair: nothing left");
	nfqd_dnsl_destroy(t);
}

/*
 * The header at the start of the mapping as a worker gone bad rewrites
 * it (every worker maps the table writable): the master's repair walks
 * the buckets it made, not the ones the header says.
 */
struct hostile_hdr {
	uint32_t	magic, nways;
	uint64_t	nb, size, seed, bucket_off, ent_off, pend_off;
};

static void
test_repair_hostile(void)
{
	static const struct {
		const char	*name;
		uint64_t	 nb;		/* UINT64_MAX: as made */
		int		 bucket_off;	/* 1: the pending buckets' */
	} t[] = {
		{ "as made", UINT64_MAX, 0 },
		{ "nb 0", 0, 0 },
		{ "bucket_off moved to the pending buckets", UINT64_MAX, 1 },
	};
	struct nfqd_dnsl_tab	*tab;
	struct hostile_hdr	*h;
	struct nfqd_dnsl	 d;
	uint8_t			*a = v4("198.51.100.7");
	size_t			 i;

	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		if (!CHECK((tab = nfqd_dnsl_create(1024, 9)) != NULL,
		    unit_fmt("repair hostile: %s: create", t[i].name)))
			continue;
		nfqd_dnsl_init(&d, tab, 60, 3600, 100);
		learn(&d, AF_INET, a, "before.example", 300, NOW);
		nfqd_dnsl_test_lock(tab, AF_INET, a, 3);
		h = nfqd_dnsl_test_mapping(tab);
		if (t[i].nb != UINT64_MAX)
			h->nb = t[i].nb;
		if (t[i].bucket_off)
			h->bucket_off = h->pend_off;
		CHECK_UINT_EQ(nfqd_dnsl_repair(tab, 3), 1,
		    unit_fmt("repair hostile: %s: 3's one bucket", t[i].name));
		CHECK_UINT_EQ(nfqd_dnsl_entries(tab), 0,
		    unit_fmt("repair hostile: %s: its entries dropped",
		    t[i].name));
		nfqd_dnsl_destroy(tab);
	}
}

static struct nfqd_dnsl_query
query(const char *client, uint16_t port, const char *server, uint16_t id,
    const char *name, uint16_t qtype)
{
	struct nfqd_dnsl_query	q;

	memset(&q, 0, sizeof(q));
	q.family = AF_INET;
	memcpy(q.client, v4(client), 16);
	memcpy(q.server, v4(server), 16);
	q.port = port;
	q.id = id;
	q.qtype = qtype;
	q.qlen = (uint8_t)strlen(name);
	memcpy(q.qname, name, q.qlen + 1u);
	return q;
}

static void
test_pending(void)
{
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 5);
	struct nfqd_dnsl	 d;
	struct nfqd_dnsl_query	 q, x;
	const uint64_t		 ns = 5000000000000ull;
	static const struct {
		const char	*what;
		const char	*client, *server, *name;
		uint16_t	 port, id, qtype;
	} wrong[] = {
		{ "wrong id", "10.1.0.2", "10.1.0.1", "a.example", 40000, 4322, 1 },
		{ "wrong port", "10.1.0.2", "10.1.0.1", "a.example", 40001, 4321, 1 },
		{ "wrong name", "10.1.0.2", "10.1.0.1", "b.example", 40000, 4321, 1 },
		{ "wrong server", "10.1.0.2", "10.1.0.9", "a.example", 40000, 4321, 1 },
		{ "wrong client", "10.1.0.3", "10.1.0.1", "a.example", 40000, 4321, 1 },
		{ "wrong type", "10.1.0.2", "10.1.0.1", "a.example", 40000, 4321, 28 },
	};
	size_t			 i;

	if (!CHECK(t != NULL, "pending: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	q = query("10.1.0.2", 40000, "10.1.0.1", 4321, "a.example", 1);
	CHECK(!nfqd_dnsl_take(&d, &q, ns), "pending: unsolicited");
	CHECK_INT_EQ(nfqd_dnsl_expect(&d, &q, ns), 0, "pending: expect");
	for (i = 0; i < NFQD_ARRAY_SIZE(wrong); i++) {
		x = query(wrong[i].client, wrong[i].port, wrong[i].server,
		    wrong[i].id, wrong[i].name, wrong[i].qtype);
		CHECK(!nfqd_dnsl_take(&d, &x, ns + 1000),
		    unit_fmt("pending: %s refused", wrong[i].what));
	}
	CHECK(nfqd_dnsl_take(&d, &q, ns + 1000), "pending: the right one");
	CHECK(!nfqd_dnsl_take(&d, &q, ns + 2000), "pending: a replay refused");
	nfqd_dnsl_expect(&d, &q, ns);
	CHECK(!nfqd_dnsl_take(&d, &q, ns + NFQD_DNSL_PENDING_S *
	    1000000000ull), "pending: too late refused");
	nfqd_dnsl_destroy(t);
}

/*
 * An answer takes only a query of its own transport: a query over TCP is
 * no licence for the same ports and id over UDP, nor the other way.
 */
static void
test_pending_proto(void)
{
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 5);
	struct nfqd_dnsl	 d;
	struct nfqd_dnsl_query	 q, x;
	const uint64_t		 ns = 5000000000000ull;
	static const uint8_t	 proto[2] = { IPPROTO_UDP, IPPROTO_TCP };
	unsigned		 i;

	if (!CHECK(t != NULL, "pending proto: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	for (i = 0; i < 2; i++) {
		q = query("10.1.0.2", 40000, "10.1.0.1", 4321, "a.example", 1);
		q.proto = proto[i];
		x = q;
		x.proto = proto[1 - i];
		CHECK_INT_EQ(nfqd_dnsl_expect(&d, &q, ns), 0,
		    unit_fmt("pending proto %u: expect", proto[i]));
		CHECK(!nfqd_dnsl_take(&d, &x, ns + 1000),
		    unit_fmt("pending proto %u: an answer over %u refused",
		    proto[i], proto[1 - i]));
		CHECK(nfqd_dnsl_take(&d, &q, ns + 1000),
		    unit_fmt("pending proto %u: its own answer taken",
		    proto[i]));
	}
	nfqd_dnsl_destroy(t);
}

/*
 * A query asked again while it waits (a retransmission) is one pending
 * query: one answer takes it and a second is refused, also when a way
 * before its own has come free in between.  Fillers put in first take
 * the first way of nearly every bucket and are over by the time the
 * queries are asked again, so most queries are asked again with a free
 * way before their own: put there, they would wait twice.  Which bucket
 * a query lands in depends on the table's random seed; the outcome must
 * not.
 */
/* The i-th query of test_pending_again(), over UDP. */
static struct nfqd_dnsl_query
again_query(unsigned i)
{
	struct nfqd_dnsl_query	q;

	q = query("10.3.0.2", (uint16_t)(20000 + i), "10.1.0.1",
	    (uint16_t)(7 * i), "again.example", 1);
	q.proto = IPPROTO_UDP;
	return q;
}

static void
test_pending_again(void)
{
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 5);
	struct nfqd_dnsl	 d;
	struct nfqd_dnsl_query	 q;
	const uint64_t		 ns = 5000000000000ull, s = 1000000000ull;
	unsigned		 i, taken = 0, again = 0;
	char			 client[32];

	if (!CHECK(t != NULL, "pending again: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	/* 4 a bucket on average, over at ns + PENDING_S. */
	for (i = 0; i < 4 * NFQD_DNSL_PBUCKETS; i++) {
		snprintf(client, sizeof(client), "10.2.%u.%u", i >> 8 & 0xff,
		    i & 0xff);
		q = query(client, (uint16_t)(1024 + (i >> 16)), "10.1.0.1",
		    (uint16_t)i, "filler.example", 1);
		q.proto = IPPROTO_UDP;
		nfqd_dnsl_expect(&d, &q, ns);
	}
	for (i = 0; i < 200; i++) {
		q = again_query(i);
		nfqd_dnsl_expect(&d, &q, ns + s);
	}
	/* The fillers are over; the queries wait, and are asked again. */
	for (i = 0; i < 200; i++) {
		q = again_query(i);
		nfqd_dnsl_expect(&d, &q, ns + NFQD_DNSL_PENDING_S * s + s / 2);
	}
	for (i = 0; i < 200; i++) {
		q = again_query(i);
		taken += nfqd_dnsl_take(&d, &q, ns + NFQD_DNSL_PENDING_S * s +
		    s / 2 + 1000);
		again += nfqd_dnsl_take(&d, &q, ns + NFQD_DNSL_PENDING_S * s +
		    s / 2 + 2000);
	}
	CHECK_INT_EQ(taken, 200, "pending again: every query answered once");
	CHECK_INT_EQ(again, 0, "pending again: no second answer taken");
	nfqd_dnsl_destroy(t);
}

/* A DNS message under construction. */
struct msg {
	uint8_t	b[1024];
	size_t	n;
};

static void
put8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* "a.b" as labels and the root; an offset of where it starts. */
static size_t
putname(struct msg *m, const char *s)
{
	size_t		at = m->n;
	const char	*dot;
	size_t		l;

	while (*s != '\0') {
		dot = strchr(s, '.');
		l = dot != NULL ? (size_t)(dot - s) : strlen(s);
		put8(m, (unsigned)l);
		memcpy(m->b + m->n, s, l);
		m->n += l;
		s += l + (dot != NULL);
	}
	put8(m, 0);
	return at;
}

static void
putptr(struct msg *m, size_t off)
{
	put16(m, 0xc000 | (unsigned)off);
}

/* Header and question: id 0x1234, a response (rcode), qname, qtype. */
static void
head(struct msg *m, unsigned an, const char *qname, unsigned qtype,
    unsigned rcode)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180 | rcode);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	putname(m, qname);
	put16(m, qtype);
	put16(m, 1);
}

/* A record's fixed part after its owner name. */
static void
rrfix(struct msg *m, unsigned type, uint32_t ttl, unsigned rdlen)
{
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
}

static void
rr_a(struct msg *m, const char *owner, const char *addr, uint32_t ttl)
{
	putname(m, owner);
	rrfix(m, 1, ttl, 4);
	memcpy(m->b + m->n, v4(addr), 4);
	m->n += 4;
}

static void
rr_cname(struct msg *m, const char *owner, const char *target, uint32_t ttl)
{
	size_t	len;

	putname(m, owner);
	len = strlen(target) + 2;
	rrfix(m, 5, ttl, (unsigned)len);
	putname(m, target);
}

static int
parse(struct msg *m, struct nfqd_dnsl_answer *a)
{
	/* From a buffer of exactly its size (ASan sees a read past it). */
	uint8_t	*copy = malloc(m->n);
	int	 r;

	memcpy(copy, m->b, m->n);
	r = nfqd_dnsl_answer_parse(copy, m->n, a);
	free(copy);
	return r;
}

static void
test_answers(void)
{
	struct nfqd_dnsl_answer	a;
	struct msg		m;
	char			o[32], tg[32];
	size_t			q;
	unsigned		i;

	/* Plain: one A. */
	head(&m, 1, "www.example", 1, 0);
	rr_a(&m, "www.example", "192.0.2.1", 300);
	CHECK_INT_EQ(parse(&m, &a), 0, "answer: plain");
	CHECK_UINT_EQ(a.naddrs, 1, "answer: plain: one address");
	CHECK_UINT_EQ(a.addrs[0].ttl, 300, "answer: plain: ttl");
	CHECK(memcmp(a.addrs[0].addr, v4("192.0.2.1"), 4) == 0,
	    "answer: plain: the address");
	CHECK_STR_EQ(a.chain[0], "www.example", "answer: plain: name");

	/* Compressed owners pointing at the question, mixed case. */
	head(&m, 2, "WWW.Example", 1, 0);
	putptr(&m, 12);
	rrfix(&m, 1, 60, 4);
	memcpy(m.b + m.n, v4("192.0.2.2"), 4);
	m.n += 4;
	putptr(&m, 12);
	rrfix(&m, 1, 30, 4);
	memcpy(m.b + m.n, v4("192.0.2.3"), 4);
	m.n += 4;
	CHECK_INT_EQ(parse(&m, &a), 0, "answer: compressed");
	CHECK_UINT_EQ(a.naddrs, 2, "answer: compressed: two");
	CHECK_STR_EQ(a.chain[0], "www.example", "answer: compressed: folded");

	/* A CNAME chain, its least TTL. */
	head(&m, 3, "alias.example", 1, 0);
	rr_cname(&m, "alias.example", "mid.example", 50);
	rr_cname(&m, "mid.example", "blocked.example", 400);
	rr_a(&m, "blocked.example", "192.0.2.10", 300);
	CHECK_INT_EQ(parse(&m, &a), 0, "chain: parsed");
	CHECK_UINT_EQ(a.nchain, 3, "chain: three names");
	CHECK_STR_EQ(a.chain[2], "blocked.example", "chain: its end");
	CHECK_UINT_EQ(a.naddrs, 1, "chain: one address");
	CHECK_UINT_EQ(a.addrs[0].link, 2, "chain: at its end");
	CHECK_UINT_EQ(a.addrs[0].ttl, 50, "chain: the least TTL on the way");

	/* Records in any order. */
	head(&m, 2, "alias.example", 1, 0);
	rr_a(&m, "blocked.example", "192.0.2.10", 300);
	rr_cname(&m, "alias.example", "blocked.example", 500);
	CHECK_INT_EQ(parse(&m, &a), 0, "order: parsed");
	CHECK_UINT_EQ(a.naddrs, 1, "order: the address after its CNAME");

	/* Not on the chain: ignored. */
	head(&m, 2, "www.example", 1, 0);
	rr_a(&m, "victim.example", "192.0.2.66", 300);
	rr_a(&m, "www.example", "192.0.2.1", 300);
	CHECK_INT_EQ(parse(&m, &a), 0, "off chain: parsed");
	CHECK_UINT_EQ(a.naddrs, 1, "off chain: only the chain's");
	CHECK_UINT_EQ(a.ignored, 1, "off chain: one ignored");
	CHECK(memcmp(a.addrs[0].addr, v4("192.0.2.1"), 4) == 0,
	    "off chain: the right one");

	/* The type asked only: an AAAA question's A records are not it. */
	head(&m, 1, "www.example", 28, 0);
	rr_a(&m, "www.example", "192.0.2.1", 300);
	CHECK_INT_EQ(parse(&m, &a), 0, "type: parsed");
	CHECK_UINT_EQ(a.naddrs, 0, "type: nothing of another type");

	/* An error rcode: nothing. */
	head(&m, 1, "www.example", 1, 3);
	rr_a(&m, "www.example", "192.0.2.1", 300);
	CHECK_INT_EQ(parse(&m, &a), 0, "rcode: parsed");
	CHECK_UINT_EQ(a.naddrs, 0, "rcode: nothing learned");

	/* A TTL with its top bit set is 0. */
	head(&m, 1, "www.example", 1, 0);
	rr_a(&m, "www.example", "192.0.2.1", 0x80000001u);
	CHECK_INT_EQ(parse(&m, &a), 0, "ttl: parsed");
	CHECK_UINT_EQ(a.addrs[0].ttl, 0, "ttl: top bit set is 0");

	/* Evasions, each refused whole. */
	head(&m, 1, "www.example", 1, 0);
	q = m.n;
	putptr(&m, q);			/* points at itself */
	rrfix(&m, 1, 300, 4);
	put32(&m, 1);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: pointer loop");
	CHECK_UINT_EQ(a.why, NFQD_DNSL_R_RR, "evasion: pointer loop: why");
	CHECK_UINT_EQ(a.naddrs, 0, "evasion: pointer loop: nothing");

	head(&m, 1, "www.example", 1, 0);
	putptr(&m, m.n + 2);		/* points forwards */
	putname(&m, "www.example");
	rrfix(&m, 1, 300, 4);
	put32(&m, 1);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: forward pointer");

	head(&m, 1, "www.example", 1, 0);
	putptr(&m, 2);			/* into the header */
	rrfix(&m, 1, 300, 4);
	put32(&m, 1);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: pointer into the header");

	head(&m, 1, "www.example", 1, 0);
	rr_a(&m, "www.example", "192.0.2.1", 300);
	m.n -= 7;			/* cut inside the fixed part */
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: truncated record");
	CHECK_UINT_EQ(a.why, NFQD_DNSL_R_RR, "evasion: truncated: why");

	head(&m, 1, "www.example", 1, 0);
	putname(&m, "www.example");
	rrfix(&m, 1, 300, 200);		/* past the end */
	put32(&m, 1);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: rdlength past the end");

	head(&m, 1, "www.example", 1, 0);
	putname(&m, "www.example");
	rrfix(&m, 1, 300, 5);		/* an A of 5 bytes */
	put32(&m, 1);
	put8(&m, 0);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: A of 5 bytes");
	CHECK_UINT_EQ(a.why, NFQD_DNSL_R_RDLEN, "evasion: A rdlen: why");

	head(&m, 1, "www.example", 28, 0);
	putname(&m, "www.example");
	rrfix(&m, 28, 300, 4);		/* an AAAA of 4 */
	put32(&m, 1);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: AAAA of 4 bytes");

	head(&m, 2, "www.example", 1, 0);
	putname(&m, "www.example");
	rrfix(&m, 5, 300, 2 + 13 + 1);	/* a CNAME one byte longer */
	putname(&m, "x.example");
	put8(&m, 0);
	rr_a(&m, "x.example", "192.0.2.1", 300);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: CNAME rdlength mismatch");
	CHECK_UINT_EQ(a.why, NFQD_DNSL_R_RDLEN, "evasion: CNAME rdlen: why");

	head(&m, 3, "a.example", 1, 0);
	rr_cname(&m, "a.example", "b.example", 300);
	rr_cname(&m, "b.example", "a.example", 300);
	rr_a(&m, "b.example", "192.0.2.1", 300);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: CNAME loop");
	CHECK_UINT_EQ(a.why, NFQD_DNSL_R_CHAIN_LOOP, "evasion: loop: why");

	head(&m, 3, "a.example", 1, 0);
	rr_cname(&m, "a.example", "b.example", 300);
	rr_cname(&m, "a.example", "c.example", 300);
	rr_a(&m, "c.example", "192.0.2.1", 300);
	CHECK_INT_EQ(parse(&m, &a), -1, "evasion: two CNAMEs for a name");
	CHECK_UINT_EQ(a.why, NFQD_DNSL_R_CHAIN_FORK, "evasion: fork: why");

	/* NFQD_DNSL_CHAIN_MAX names are read; one more is refused. */
	for (i = 1; i <= NFQD_DNSL_CHAIN_MAX; i++) {
		unsigned	k;

		head(&m, i + 1, "c0.example", 1, 0);
		for (k = 0; k < i; k++) {
			snprintf(o, sizeof(o), "c%u.example", k);
			snprintf(tg, sizeof(tg), "c%u.example", k + 1);
			rr_cname(&m, o, tg, 300);
		}
		rr_a(&m, tg, "192.0.2.1", 300);
		if (i < NFQD_DNSL_CHAIN_MAX) {
			CHECK_INT_EQ(parse(&m, &a), 0,
			    unit_fmt("chain of %u CNAMEs read", i));
			CHECK_UINT_EQ(a.naddrs, 1,
			    unit_fmt("chain of %u CNAMEs: its address", i));
		} else {
			CHECK_INT_EQ(parse(&m, &a), -1,
			    unit_fmt("chain of %u CNAMEs refused", i));
			CHECK_UINT_EQ(a.why, NFQD_DNSL_R_CHAIN_LONG,
			    "over-long chain: why");
		}
	}

	/* Not a response. */
	head(&m, 1, "www.example", 1, 0);
	m.b[2] &= 0x7f;
	rr_a(&m, "www.example", "192.0.2.1", 300);
	CHECK_INT_EQ(parse(&m, &a), -1, "header: a query is no answer");
	CHECK_UINT_EQ(a.why, NFQD_DNSL_R_HEADER, "header: why");
	head(&m, 0, "www.example", 1, 0);
	m.n = 11;
	CHECK_INT_EQ(parse(&m, &a), -1, "header: cut short");
	CHECK_STR_EQ(nfqd_dnsl_why_str(NFQD_DNSL_R_MAX), "unknown",
	    "why out of range");
}

/* A payload of len bytes as the engine hands it over, IPv4 (seq and
 * flags: TCP's sequence number and header byte 13). */
static void
feed(struct nfqd_dnsl *d, uint8_t proto, const char *src, uint16_t sport,
    const char *dst, uint16_t dport, uint32_t seq, uint8_t flags,
    const uint8_t *pay, size_t len, uint64_t ns)
{
	struct nfqd_pkt	pi;

	memset(&pi, 0, sizeof(pi));
	pi.family = AF_INET;
	pi.proto = proto;
	memcpy(pi.saddr, v4(src), 16);
	memcpy(pi.daddr, v4(dst), 16);
	pi.sport = sport;
	pi.dport = dport;
	pi.tcp_flags = flags;
	pi.paylen = (uint32_t)len;
	nfqd_dnsl_packet(d, &pi, pay, seq, ns);
}

/* A datagram as the engine hands it over. */
static void
dgram(struct nfqd_dnsl *d, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, const struct msg *m, uint64_t ns)
{
	feed(d, 17, src, sport, dst, dport, 0, 0, m->b, m->n, ns);
}

static void
question(struct msg *m, uint16_t id, const char *name)
{
	head(m, 0, name, 1, 0);
	m->b[0] = (uint8_t)(id >> 8);
	m->b[1] = (uint8_t)id;
	m->b[2] = 0x01;			/* a query, RD */
	m->b[3] = 0;
}

static void
reply_ttl(struct msg *m, uint16_t id, const char *name, const char *addr,
    uint32_t ttl)
{
	head(m, 1, name, 1, 0);
	m->b[0] = (uint8_t)(id >> 8);
	m->b[1] = (uint8_t)id;
	rr_a(m, name, addr, ttl);
}

static void
reply(struct msg *m, uint16_t id, const char *name, const char *addr)
{
	reply_ttl(m, id, name, addr, 300);
}

static void
test_datagrams(void)
{
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 11);
	struct nfqd_dnsl	 d;
	struct msg		 m;
	const uint64_t		 ns = 7000000000000ull;
	const uint32_t		 s = (uint32_t)(ns / 1000000000ull);

	if (!CHECK(t != NULL, "datagrams: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	/* Unsolicited: no query seen. */
	reply(&m, 7, "blocked.example", "192.0.2.50");
	dgram(&d, "10.9.0.1", 53, "10.9.0.2", 41000, &m, ns);
	CHECK_UINT_EQ(d.c.refused, 1, "datagram: unsolicited refused");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.50"), s), "",
	    "datagram: unsolicited not learned");

	question(&m, 7, "Blocked.Example");
	dgram(&d, "10.9.0.2", 41000, "10.9.0.1", 53, &m, ns);
	/* Spoofed: another server, another port, another id. */
	reply(&m, 7, "blocked.example", "192.0.2.51");
	dgram(&d, "10.9.0.66", 53, "10.9.0.2", 41000, &m, ns + 1);
	dgram(&d, "10.9.0.1", 53, "10.9.0.2", 41001, &m, ns + 1);
	reply(&m, 8, "blocked.example", "192.0.2.51");
	dgram(&d, "10.9.0.1", 53, "10.9.0.2", 41000, &m, ns + 1);
	reply(&m, 7, "other.example", "192.0.2.51");
	dgram(&d, "10.9.0.1", 53, "10.9.0.2", 41000, &m, ns + 1);
	CHECK_UINT_EQ(d.c.refused, 5, "datagram: four spoofs refused");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.51"), s), "",
	    "datagram: spoofs not learned");
	/* The real one; then its replay. */
	reply(&m, 7, "blocked.example", "192.0.2.52");
	dgram(&d, "10.9.0.1", 53, "10.9.0.2", 41000, &m, ns + 2);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.52"), s),
	    "blocked.example", "datagram: the answer learned");
	reply(&m, 7, "blocked.example", "192.0.2.53");
	dgram(&d, "10.9.0.1", 53, "10.9.0.2", 41000, &m, ns + 3);
	CHECK_UINT_EQ(d.c.refused, 6, "datagram: a second answer refused");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.53"), s), "",
	    "datagram: the second answer not learned");
	CHECK_UINT_EQ(d.c.learned, 1, "datagram: one learned");
	nfqd_dnsl_destroy(t);
}

/*
 * A TCP segment as the engine hands it over: each of n messages (at most
 * 2) with its 2-byte length; cut: bytes left off the end.
 */
static void
segment(struct nfqd_dnsl *d, const char *src, uint16_t sport,
    const char *dst, uint16_t dport, const struct msg *const *ms, unsigned n,
    size_t cut, uint64_t ns)
{
	uint8_t		 all[2 * (2 + sizeof(ms[0]->b))], *b;
	size_t		 len = 0;
	unsigned	 i;

	for (i = 0; i < n && i < 2; i++) {
		all[len] = (uint8_t)(ms[i]->n >> 8);
		all[len + 1] = (uint8_t)ms[i]->n;
		memcpy(all + len + 2, ms[i]->b, ms[i]->n);
		len += 2 + ms[i]->n;
	}
	len -= cut;
	/* From a buffer of exactly its size (ASan sees a read past it). */
	b = malloc(len > 0 ? len : 1);
	memcpy(b, all, len);
	feed(d, 6, src, sport, dst, dport, 0, 0x18, b, len, ns);
	free(b);
}

/*
 * DNS over TCP without the stream table (nfqd_dnsl_tcp_init() not
 * called, or failed): a query and its answer each whole in a segment are
 * learned from like datagrams; two messages in one segment both read; a
 * segment that ends inside a message, or that starts inside one, teaches
 * nothing (counted from port 53); the anti-spoof match as over UDP.
 */
static void
test_tcp(void)
{
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 12);
	struct nfqd_dnsl	 d;
	struct msg		 q1, q2, a1, a2, a3;
	const struct msg	*one[1], *two[2];
	const uint64_t		 ns = 7000000000000ull;
	const uint32_t		 s = (uint32_t)(ns / 1000000000ull);
	const char		*C = "10.9.1.2", *S = "10.9.1.1";

	if (!CHECK(t != NULL, "tcp: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	question(&q1, 0x101, "tcp.example");
	reply(&a1, 0x101, "tcp.example", "192.0.2.60");
	one[0] = &q1;
	segment(&d, C, 42000, S, 53, one, 1, 0, ns);
	one[0] = &a1;
	segment(&d, S, 53, C, 42000, one, 1, 0, ns + 1);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.60"), s), "tcp.example",
	    "tcp: an answer whole in its segment learned");
	CHECK_UINT_EQ(d.c.refused, 0, "tcp: nothing refused");

	/* Two queries in one segment, their answers in one. */
	question(&q1, 0x102, "one.example");
	question(&q2, 0x103, "two.example");
	reply(&a1, 0x102, "one.example", "192.0.2.61");
	reply(&a2, 0x103, "two.example", "192.0.2.62");
	two[0] = &q1;
	two[1] = &q2;
	segment(&d, C, 42001, S, 53, two, 2, 0, ns);
	two[0] = &a1;
	two[1] = &a2;
	segment(&d, S, 53, C, 42001, two, 2, 0, ns + 1);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.61"), s), "one.example",
	    "tcp: the first of two messages in a segment");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.62"), s), "two.example",
	    "tcp: the second of two messages in a segment");

	/* An answer cut short by the segment's end: not read. */
	question(&q1, 0x104, "cut.example");
	reply(&a1, 0x104, "cut.example", "192.0.2.63");
	one[0] = &q1;
	segment(&d, C, 42002, S, 53, one, 1, 0, ns);
	one[0] = &a1;
	segment(&d, S, 53, C, 42002, one, 1, 1, ns + 1);
	CHECK_UINT_EQ(d.c.refused, 1, "tcp: an answer cut short counted");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.63"), s), "",
	    "tcp: an answer cut short not learned");
	/* Its query still waits: the whole answer later is learned. */
	segment(&d, S, 53, C, 42002, one, 1, 0, ns + 2);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.63"), s), "cut.example",
	    "tcp: the answer whole, later, learned");
	/* Only the length prefix, or one byte of it. */
	segment(&d, S, 53, C, 42002, one, 1, a1.n, ns + 3);
	segment(&d, S, 53, C, 42002, one, 1, a1.n + 1, ns + 3);
	CHECK_UINT_EQ(d.c.refused, 3, "tcp: a bare length prefix counted, "
	    "and one byte of it");
	/* A whole answer and the start of the next. */
	question(&q1, 0x105, "first.example");
	question(&q2, 0x106, "second.example");
	two[0] = &q1;
	two[1] = &q2;
	segment(&d, C, 42003, S, 53, two, 2, 0, ns);
	reply(&a1, 0x105, "first.example", "192.0.2.64");
	reply(&a2, 0x106, "second.example", "192.0.2.65");
	two[0] = &a1;
	two[1] = &a2;
	segment(&d, S, 53, C, 42003, two, 2, 5, ns + 1);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.64"), s),
	    "first.example", "tcp: the whole message before a cut one");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.65"), s), "",
	    "tcp: the cut one after it not");
	CHECK_UINT_EQ(d.c.refused, 4, "tcp: counted once");

	/* Spoofs over TCP: another port, another server, no query. */
	question(&q1, 0x107, "spoof.example");
	one[0] = &q1;
	segment(&d, C, 42004, S, 53, one, 1, 0, ns);
	reply(&a3, 0x107, "spoof.example", "192.0.2.66");
	one[0] = &a3;
	segment(&d, S, 53, C, 42005, one, 1, 0, ns + 1);
	segment(&d, "10.9.1.66", 53, C, 42004, one, 1, 0, ns + 1);
	reply(&a3, 0x108, "spoof.example", "192.0.2.66");
	segment(&d, S, 53, C, 42004, one, 1, 0, ns + 1);
	CHECK_UINT_EQ(d.c.refused, 7, "tcp: three spoofs refused");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.66"), s), "",
	    "tcp: spoofs not learned");
	/* A query's bytes from port 53 (not a response): nothing. */
	segment(&d, S, 53, C, 42004, (const struct msg *const []){ &q1 }, 1,
	    0, ns + 2);
	CHECK_UINT_EQ(d.c.refused, 7, "tcp: a query from port 53 ignored");
	/* An empty segment (a SYN, an ACK). */
	segment(&d, S, 53, C, 42004, one, 0, 0, ns + 2);
	CHECK_UINT_EQ(d.c.refused, 7, "tcp: an empty segment ignored");
	CHECK_UINT_EQ(d.c.learned, 5, "tcp: five learned in all");
	nfqd_dnsl_destroy(t);
}

/*
 * Bytes [from, to) of message m's TCP stream (its 2-byte length first) as
 * one segment of a connection whose first sequence number after the SYN
 * is isn1, from a buffer of exactly its size.
 */
static void
piece(struct nfqd_dnsl *d, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint32_t isn1, const struct msg *m, size_t from,
    size_t to, uint64_t ns)
{
	uint8_t	all[2 + sizeof(m->b)], *b;

	all[0] = (uint8_t)(m->n >> 8);
	all[1] = (uint8_t)m->n;
	memcpy(all + 2, m->b, m->n);
	b = malloc(to - from);
	memcpy(b, all + from, to - from);
	feed(d, 6, src, sport, dst, dport, isn1 + (uint32_t)from, 0x18, b,
	    to - from, ns);
	free(b);
}

/*
 * DNS over TCP with the stream table: an answer over several segments,
 * in any order, is learned once whole; one that never completes, or
 * that is over a window, is not; a spoof over several segments is
 * refused as over UDP.
 */
static void
test_tcp_streams(void)
{
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 13);
	struct nfqd_dnsl	 d;
	struct msg		 q, a;
	const uint64_t		 ns = 7000000000000ull;
	const uint32_t		 s = (uint32_t)(ns / 1000000000ull);
	const char		*C = "10.9.4.2", *S = "10.9.4.1";
	uint8_t			*big;
	char			 addr[32];
	unsigned		 i;

	if (!CHECK(t != NULL, "tcp streams: create"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	if (!CHECK_INT_EQ(nfqd_dnsl_tcp_init(&d), 0, "tcp streams: table"))
		return;
	/* An answer of 20 addresses in three segments, the last first. */
	question(&q, 0x201, "many.example");
	head(&a, 20, "many.example", 1, 0);
	a.b[0] = 0x02;
	a.b[1] = 0x01;
	for (i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%u", 100 + i);
		rr_a(&a, "many.example", addr, 300);
	}
	feed(&d, 6, S, 53, C, 43000, 5000, 0x12, NULL, 0, ns);
	piece(&d, C, 43000, S, 53, 9001, &q, 0, q.n + 2, ns);
	piece(&d, S, 53, C, 43000, 5001, &a, 200, a.n + 2, ns + 1);
	piece(&d, S, 53, C, 43000, 5001, &a, 0, 100, ns + 2);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.100"), s), "",
	    "tcp streams: nothing learned before the answer is whole");
	piece(&d, S, 53, C, 43000, 5001, &a, 100, 200, ns + 3);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.100"), s),
	    "many.example", "tcp streams: learned from three segments");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.119"), s),
	    "many.example", "tcp streams: the last address too");
	CHECK_UINT_EQ(d.c.learned, 20, "tcp streams: 20 learned");
	CHECK_UINT_EQ(d.c.refused, 0, "tcp streams: nothing refused");

	/* Without the SYN, split in two, in order. */
	question(&q, 0x202, "nosyn.example");
	reply(&a, 0x202, "nosyn.example", "192.0.2.130");
	piece(&d, C, 43001, S, 53, 7001, &q, 0, q.n + 2, ns);
	piece(&d, S, 53, C, 43001, 3001, &a, 0, 20, ns + 1);
	piece(&d, S, 53, C, 43001, 3001, &a, 20, a.n + 2, ns + 2);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.130"), s),
	    "nosyn.example", "tcp streams: learned without the SYN");

	/* The query split too (its length alone first). */
	question(&q, 0x203, "qsplit.example");
	reply(&a, 0x203, "qsplit.example", "192.0.2.131");
	piece(&d, C, 43002, S, 53, 7001, &q, 0, 2, ns);
	piece(&d, C, 43002, S, 53, 7001, &q, 2, q.n + 2, ns);
	piece(&d, S, 53, C, 43002, 3001, &a, 0, a.n + 2, ns + 1);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.131"), s),
	    "qsplit.example", "tcp streams: a query over two segments");

	/* A spoof over two segments: another server. */
	question(&q, 0x204, "spoofed.example");
	reply(&a, 0x204, "spoofed.example", "192.0.2.132");
	piece(&d, C, 43003, S, 53, 7001, &q, 0, q.n + 2, ns);
	piece(&d, "10.9.4.66", 53, C, 43003, 3001, &a, 0, 30, ns + 1);
	piece(&d, "10.9.4.66", 53, C, 43003, 3001, &a, 30, a.n + 2, ns + 2);
	CHECK_UINT_EQ(d.c.refused, 1, "tcp streams: a spoof refused");
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.132"), s), "",
	    "tcp streams: the spoof not learned");

	/* Cut short and never completed: not learned, not yet counted. */
	question(&q, 0x205, "never.example");
	reply(&a, 0x205, "never.example", "192.0.2.133");
	piece(&d, C, 43004, S, 53, 7001, &q, 0, q.n + 2, ns);
	piece(&d, S, 53, C, 43004, 3001, &a, 0, a.n + 1, ns + 1);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.133"), s), "",
	    "tcp streams: an answer missing a byte not learned");
	CHECK_UINT_EQ(d.c.refused, 1, "tcp streams: an incomplete answer "
	    "waits");
	feed(&d, 6, S, 53, C, 43004, 3001 + (uint32_t)a.n + 1, 0x04, NULL, 0,
	    ns + 2);
	CHECK_UINT_EQ(d.c.refused, 2, "tcp streams: ... refused when its "
	    "connection is reset");

	/* Over a window: 17,000 bytes announced, given up and counted. */
	big = calloc(1, 17002);
	big[0] = 17000 >> 8;
	big[1] = 17000 & 0xff;
	big[4] = 0x80;
	feed(&d, 6, S, 53, C, 43005, 1, 0x18, big, 9000, ns);
	feed(&d, 6, S, 53, C, 43005, 9001, 0x18, big + 9000, 8002, ns + 1);
	free(big);
	CHECK_UINT_EQ(d.c.refused, 3, "tcp streams: an answer over 16 KiB "
	    "refused");
	CHECK_UINT_EQ(d.c.learned, 22, "tcp streams: 22 learned in all");
	nfqd_dnsl_fini(&d);
	CHECK(d.tcp == NULL, "tcp streams: table freed");
	nfqd_dnsl_destroy(t);
}

/* dst_name through the configuration and the engine. */
static uint8_t	pbuf[128];

static uint32_t
tcp_syn(const char *src, const char *dst, uint16_t dport)
{
	uint8_t	*ip = pbuf, *l4 = pbuf + 20;

	memset(pbuf, 0, 40);
	ip[0] = 0x45;
	ip[3] = 40;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, v4(src), 4);
	memcpy(ip + 16, v4(dst), 4);
	l4[0] = 0x9c;
	l4[1] = 0x40;
	l4[2] = (uint8_t)(dport >> 8);
	l4[3] = (uint8_t)dport;
	l4[12] = 5 << 4;
	l4[13] = 0x02;
	return 40;
}

static uint32_t
decide(struct nfqd_engine *e, uint32_t len, uint64_t ns)
{
	struct nfqd_qmsg	m;
	struct nfqd_decision	d;

	memset(&m, 0, sizeof(m));
	m.hw_protocol = ETH_P_IP;
	m.payload = pbuf;
	m.caplen = m.len = len;
	nfqd_engine_decide(e, &m, ns, &d);
	return d.verdict;
}

/*
 * cf loaded from text (loads: the check's name) and an engine e on it
 * that learns into t (made: the check's name): false when either fails,
 * nothing left to free.
 */
static bool
engine_up(struct nfqd_engine *e, struct nfqd_config *cf,
    struct nfqd_dnsl_tab *t, const char *file, const char *text,
    const char *loads, const char *made)
{
	struct unit_reports	rs;

	memset(&rs, 0, sizeof(rs));
	if (!CHECK(nfqd_config_load_text(cf, file, text, strlen(text), NULL,
	    unit_collect, &rs) == 0, loads))
		return false;
	if (!CHECK(nfqd_engine_init(e, cf, cf->rules, NULL, NULL, NULL, 0) ==
	    0, made)) {
		nfqd_config_free(cf);
		return false;
	}
	nfqd_engine_dnsl(e, t, cf, 1, 1);
	return true;
}

static void
test_rule(void)
{
	static const char	 text[] =
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; max_entries = 1024; min_ttl = 1; "
	    "max_ttl = 60; };\n"
	    "rules = (\n"
	    "  { name = \"b\"; dst_name = [\"blocked.example\", \"=x.test\"];"
	    " verdict = \"drop\"; }\n"
	    ");\n";
	static const char	 nolearn[] =
	    "queue = { balance = \"0:0\"; };\n"
	    "rules = ( { name = \"b\"; dst_name = \"a.example\";"
	    " verdict = \"drop\"; } );\n";
	static const char	 badttl[] =
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; min_ttl = 100; max_ttl = 10; };\n";
	static const char	 badsize[] =
	    "dns_learn = { enabled = true; max_entries = 8; };\n"
	    "queue = { balance = \"0:0\"; };\n";
	struct nfqd_config	 cf;
	struct unit_reports	 rs;
	struct nfqd_engine	 e;
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 3);
	const uint64_t		 ns = 9000000000000ull;
	const uint32_t		 s = (uint32_t)(ns / 1000000000ull);

	memset(&rs, 0, sizeof(rs));
	CHECK(nfqd_config_load_text(&cf, "nolearn.conf", nolearn,
	    strlen(nolearn), NULL, unit_collect, &rs) != 0,
	    "rule: dst_name without dns_learn refused");
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqd_config_load_text(&cf, "ttl.conf", badttl, strlen(badttl),
	    NULL, unit_collect, &rs) != 0 && rs.n > 0 &&
	    strstr(rs.r[0].msg, "over dns_learn.max_ttl") != NULL,
	    "settings: min_ttl over max_ttl refused, said");
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqd_config_load_text(&cf, "size.conf", badsize,
	    strlen(badsize), NULL, unit_collect, &rs) != 0 && rs.n > 0 &&
	    rs.r[0].line == 1, "settings: max_entries 8 refused, at its line");
	if (!CHECK(t != NULL, "rule: table") ||
	    !engine_up(&e, &cf, t, "dnsl.conf", text,
	    "rule: configuration loads", "rule: engine"))
		return;
	CHECK_UINT_EQ(cf.copy_range, 65535, "rule: whole packets copied");
	CHECK_UINT_EQ(decide(&e, tcp_syn("10.0.0.1", "192.0.2.80", 443), ns),
	    NF_ACCEPT, "rule: nothing learned yet: accept");
	learn(&e.dnsl, AF_INET, v4("192.0.2.80"), "www.blocked.example", 10,
	    s);
	learn(&e.dnsl, AF_INET, v4("192.0.2.81"), "ok.example", 10, s);
	learn(&e.dnsl, AF_INET, v4("192.0.2.82"), "a.x.test", 10, s);
	/* A CDN address with a blocked name among others. */
	learn(&e.dnsl, AF_INET, v4("192.0.2.83"), "fine.example", 10, s);
	learn(&e.dnsl, AF_INET, v4("192.0.2.83"), "x.test", 10, s);
	CHECK_UINT_EQ(decide(&e, tcp_syn("10.0.0.1", "192.0.2.80", 443), ns),
	    NF_DROP, "rule: a name under blocked.example: drop");
	CHECK_UINT_EQ(decide(&e, tcp_syn("10.0.0.1", "192.0.2.80", 25), ns),
	    NF_DROP, "rule: any port");
	CHECK_UINT_EQ(decide(&e, tcp_syn("10.0.0.1", "192.0.2.81", 443), ns),
	    NF_ACCEPT, "rule: another name: accept");
	CHECK_UINT_EQ(decide(&e, tcp_syn("10.0.0.1", "192.0.2.82", 443), ns),
	    NF_ACCEPT, "rule: =x.test is x.test alone");
	CHECK_UINT_EQ(decide(&e, tcp_syn("10.0.0.1", "192.0.2.83", 443), ns),
	    NF_DROP, "rule: any of an address's names");
	CHECK_UINT_EQ(decide(&e, tcp_syn("10.0.0.1", "192.0.2.80", 443),
	    ns + 10 * 1000000000ull), NF_ACCEPT, "rule: after the TTL: accept");
	nfqd_engine_free(&e);
	nfqd_config_free(&cf);
	nfqd_dnsl_destroy(t);
}

/*
 * A query for name from the client 10.1.0.2, port, to server, and the
 * answer, name at addr for ttl seconds, from answerer.
 */
static void
ask_ttl(struct nfqd_dnsl *d, uint16_t id, const char *name, uint16_t port,
    const char *server, const char *answerer, const char *addr, uint32_t ttl,
    uint64_t ns)
{
	struct msg	m;

	question(&m, id, name);
	dgram(d, "10.1.0.2", port, server, 53, &m, ns);
	reply_ttl(&m, id, name, addr, ttl);
	dgram(d, answerer, 53, "10.1.0.2", port, &m, ns + 1);
}

static void
ask(struct nfqd_dnsl *d, uint16_t id, const char *name, uint16_t port,
    const char *server, const char *answerer, const char *addr, uint64_t ns)
{
	ask_ttl(d, id, name, port, server, answerer, addr, 300, ns);
}

/* The names the rules' callback was asked about, in order. */
struct asked {
	char	names[1024];
	size_t	len;
};

static bool
record_asked(const void *arg, const char *name, size_t len)
{
	struct asked	*k = (struct asked *)(uintptr_t)arg;

	k->len += (size_t)snprintf(k->names + k->len, sizeof(k->names) -
	    k->len, "%s%.*s", k->len > 0 ? "," : "", (int)len, name);
	return strncmp(name, "kept", 4) == 0;
}

/*
 * The names an answer's addresses are learned for, and the names the
 * rules are asked about (kept marks): an address is learned for the
 * question's name and each CNAME linking it to the address's owner, and
 * nothing else; the rules are asked about those names once each, not
 * about the chain's names past the last one an address has (the answer's
 * records say nothing of them at any address).  Each row: the question,
 * the answer's records in order ('C' a CNAME owner -> target, 'A' owner
 * at address), then for 192.0.2.1 .. 192.0.2.3 the names found, and the
 * names asked.
 */
static void
test_chain_names(void)
{
	static const struct {
		const char	*what;
		const char	*qname;
		struct {
			char		 type;		/* 0: no more */
			const char	*owner, *data;
		} rr[20];
		const char	*want[3];
		const char	*asked;
	} rows[] = {
		{ "chain names: an address at the chain's end: every name",
		  "q.example", { { 'C', "q.example", "c1.example" },
		  { 'C', "c1.example", "c2.example" },
		  { 'A', "c2.example", "192.0.2.1" } },
		  { "c1.example,c2.example,q.example", "", "" },
		  "q.example,c1.example,c2.example" },
		{ "chain names: an address halfway: the names up to it, "
		  "the rest not asked", "q.example",
		  { { 'C', "q.example", "c1.example" },
		  { 'C', "c1.example", "c2.example" },
		  { 'C', "c2.example", "c3.example" },
		  { 'A', "c1.example", "192.0.2.1" } },
		  { "c1.example,q.example", "", "" },
		  "q.example,c1.example" },
		{ "chain names: the question's own address beside a CNAME: "
		  "its name alone", "q.example",
		  { { 'A', "q.example", "192.0.2.1" },
		  { 'C', "q.example", "kept.example" } },
		  { "q.example", "", "" }, "q.example" },
		{ "chain names: addresses at two links: each its own names, "
		  "each name asked once", "q.example",
		  { { 'C', "q.example", "c1.example" },
		  { 'C', "c1.example", "kept.example" },
		  { 'A', "c1.example", "192.0.2.1" },
		  { 'A', "kept.example", "192.0.2.2" },
		  { 'A', "c1.example", "192.0.2.3" } },
		  { "c1.example,q.example",
		    "c1.example,kept.example,q.example",
		    "c1.example,q.example" },
		  "q.example,c1.example,kept.example" },
		{ "chain names: an address of a name no CNAME links: not "
		  "learned, nothing asked", "q.example",
		  { { 'C', "q.example", "c1.example" },
		  { 'A', "other.example", "192.0.2.1" },
		  { 'C', "other.example", "c1.example" } },
		  { "", "", "" }, "" },
		{ "chain names: a chain that ends short (16 CNAMEs read "
		  "before its first): its target's address not learned",
		  "q.example", { { 'C', "d0.example", "x.example" },
		  { 'C', "d1.example", "x.example" },
		  { 'C', "d2.example", "x.example" },
		  { 'C', "d3.example", "x.example" },
		  { 'C', "d4.example", "x.example" },
		  { 'C', "d5.example", "x.example" },
		  { 'C', "d6.example", "x.example" },
		  { 'C', "d7.example", "x.example" },
		  { 'C', "d8.example", "x.example" },
		  { 'C', "d9.example", "x.example" },
		  { 'C', "da.example", "x.example" },
		  { 'C', "db.example", "x.example" },
		  { 'C', "dc.example", "x.example" },
		  { 'C', "dd.example", "x.example" },
		  { 'C', "de.example", "x.example" },
		  { 'C', "df.example", "x.example" },
		  { 'C', "q.example", "c1.example" },
		  { 'A', "c1.example", "192.0.2.1" },
		  { 'A', "q.example", "192.0.2.2" } },
		  { "", "q.example", "" }, "q.example" },
	};
	static const char *const addrs[3] = { "192.0.2.1", "192.0.2.2",
	    "192.0.2.3" };
	struct nfqd_dnsl_tab	*t;
	struct nfqd_dnsl	 d;
	struct asked		 k;
	struct msg		 m;
	const uint64_t		 ns = 7000000000000ull;
	const uint32_t		 s = (uint32_t)(ns / 1000000000ull);
	size_t			 i, j, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!CHECK((t = nfqd_dnsl_create(1024, 31 + i)) != NULL,
		    unit_fmt("%s: table", rows[i].what)))
			continue;
		nfqd_dnsl_init(&d, t, 60, 3600, 1);
		memset(&k, 0, sizeof(k));
		nfqd_dnsl_keep(&d, record_asked, &k, 1);
		question(&m, 9, rows[i].qname);
		dgram(&d, "10.9.0.2", 41000, "10.9.0.1", 53, &m, ns);
		for (n = 0; n < 20 && rows[i].rr[n].type != 0; n++)
			;
		head(&m, (unsigned)n, rows[i].qname, 1, 0);
		m.b[0] = 0;
		m.b[1] = 9;
		for (j = 0; j < n; j++)
			if (rows[i].rr[j].type == 'C')
				rr_cname(&m, rows[i].rr[j].owner,
				    rows[i].rr[j].data, 300);
			else
				rr_a(&m, rows[i].rr[j].owner,
				    rows[i].rr[j].data, 300);
		dgram(&d, "10.9.0.1", 53, "10.9.0.2", 41000, &m, ns + 1);
		CHECK_UINT_EQ(d.c.refused, 0, unit_fmt("%s: taken",
		    rows[i].what));
		for (j = 0; j < 3; j++)
			CHECK_STR_EQ(names(&d, AF_INET, v4(addrs[j]), s),
			    rows[i].want[j], unit_fmt("%s: %s", rows[i].what,
			    addrs[j]));
		CHECK_STR_EQ(k.names, rows[i].asked, unit_fmt("%s: asked",
		    rows[i].what));
		nfqd_dnsl_destroy(t);
	}
}

/*
 * dns_learn.servers: only answers from the servers listed are learned
 * from.  A client that asks its own server (which may say anything: a
 * blocked name at an address others use, or a CNAME onto one) teaches
 * nothing; its answers count in dns_refused.
 */
static void
test_servers(void)
{
	static const char	text[] =
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true;\n"
	    "  servers = [\"10.9.0.0/24\", \"!10.9.0.66\", \"2001:db8::53\"];"
	    " };\n";
	static const struct {
		const char	*text, *want;
		int		 line;
	} bad[] = {
		{ "servers = [];", "an empty list learns from no server", 2 },
		{ "servers = (\"10.0.0.53\", 53);", "element 2 must be an "
		  "address or prefix in double quotes", 2 },
		{ "servers = \"10.0.0.1/8\";", "\"10.0.0.1/8\" has host bits "
		  "set; did you mean \"10.0.0.0/8\"?", 2 },
		{ "servers = \"resolver\";", "\"resolver\" is not an IPv4 or "
		  "IPv6 address", 2 },
		{ "servers = { a = 1; };", "must be an address or prefix", 2 },
		{ "servers = 53;", "must be an address or prefix", 2 },
	};
	/* With text's servers: what a query to server, answered from
	   answerer, teaches, and how many answers that refuses. */
	static const struct {
		const char	*server, *answerer, *name, *addr, *want;
		const char	*what, *what_refused;
		uint64_t	 refused;
	} asks[] = {
		{ "10.9.0.1", "10.9.0.1", "a.example", "192.0.2.1",
		  "a.example", "servers: an answer from a server in a prefix "
		  "listed: learned", "servers: ... none refused", 0 },
		/* The client's own server, outside the list, names a
		   blocked name at an address others use. */
		{ "203.0.113.5", "203.0.113.5", "blocked.example",
		  "192.0.2.2", "", "servers: an answer from a server not "
		  "listed: not learned", "servers: ... refused, counted", 1 },
		/* One taken out of a prefix by "!". */
		{ "10.9.0.66", "10.9.0.66", "c.example", "192.0.2.3", "",
		  "servers: a server excluded by \"!\": not learned",
		  "servers: ... refused", 1 },
		/* A query to a server not listed is not kept: the same
		   answer from a listed server, spoofed or not, matches
		   nothing. */
		{ "203.0.113.5", "10.9.0.1", "d.example", "192.0.2.4", "",
		  "servers: a listed server's answer to a query sent "
		  "elsewhere: not learned", "servers: ... refused", 1 },
	};
	struct nfqd_config	 cf;
	struct unit_reports	 rs;
	struct nfqd_engine	 e;
	struct nfqd_dnsl_tab	*t = nfqd_dnsl_create(1024, 5);
	char			 conf[4096];
	size_t			 i, k, n;
	const uint64_t		 ns = 7000000000000ull;
	const uint32_t		 s = (uint32_t)(ns / 1000000000ull);
	uint64_t		 ref;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(conf, sizeof(conf), "queue = { balance = \"0:0\"; };"
		    "\ndns_learn = { enabled = true; %s };\n", bad[i].text);
		memset(&rs, 0, sizeof(rs));
		CHECK(nfqd_config_load_text(&cf, "s.conf", conf, strlen(conf),
		    NULL, unit_collect, &rs) != 0 && rs.n == 1 &&
		    rs.r[0].line == bad[i].line &&
		    strstr(rs.r[0].msg, "dns_learn.servers: ") != NULL &&
		    strstr(rs.r[0].msg, bad[i].want) != NULL,
		    unit_fmt("servers: %s refused: %s", bad[i].text,
		    rs.n > 0 ? rs.r[0].msg : "(no error)"));
	}
	for (k = NFQD_DNSL_SERVERS_MAX; k <= NFQD_DNSL_SERVERS_MAX + 1; k++) {
		n = (size_t)snprintf(conf, sizeof(conf), "queue = { balance = "
		    "\"0:0\"; };\ndns_learn = { servers = [");
		for (i = 0; i < k; i++)
			n += (size_t)snprintf(conf + n, sizeof(conf) - n,
			    "%s\"10.0.%zu.53\"", i > 0 ? ", " : "", i);
		snprintf(conf + n, sizeof(conf) - n, "]; };\n");
		memset(&rs, 0, sizeof(rs));
		if (k > NFQD_DNSL_SERVERS_MAX) {
			CHECK(nfqd_config_load_text(&cf, "s.conf", conf,
			    strlen(conf), NULL, unit_collect, &rs) != 0 &&
			    rs.n == 1 && strstr(rs.r[0].msg,
			    "33 addresses; at most 32") != NULL,
			    "servers: 33 refused");
		} else if (CHECK(nfqd_config_load_text(&cf, "s.conf", conf,
		    strlen(conf), NULL, unit_collect, &rs) == 0,
		    "servers: 32 taken")) {
			CHECK_UINT_EQ(cf.dnsl_nservers, 32, "servers: ... all");
			nfqd_config_free(&cf);
		}
	}

	if (!CHECK(t != NULL, "servers: table") ||
	    !engine_up(&e, &cf, t, "servers.conf", text, "servers: loads",
	    "servers: engine"))
		return;
	CHECK_UINT_EQ(cf.dnsl_nservers, 3, "servers: three prefixes");
	for (i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		ref = e.dnsl.c.refused;
		ask(&e.dnsl, (uint16_t)(1 + i), asks[i].name,
		    (uint16_t)(41000 + i), asks[i].server, asks[i].answerer,
		    asks[i].addr, ns);
		CHECK_STR_EQ(names(&e.dnsl, AF_INET, v4(asks[i].addr), s),
		    asks[i].want, asks[i].what);
		CHECK_UINT_EQ(e.dnsl.c.refused - ref, asks[i].refused,
		    asks[i].what_refused);
	}
	nfqd_engine_free(&e);
	nfqd_config_free(&cf);

	/* Without servers: any, as before. */
	snprintf(conf, sizeof(conf), "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; };\n");
	if (engine_up(&e, &cf, t, "any.conf", conf, "servers: none: loads",
	    "servers: none: engine")) {
		ask(&e.dnsl, 5, "e.example", 41004, "203.0.113.5",
		    "203.0.113.5", "192.0.2.5", ns);
		CHECK_STR_EQ(names(&e.dnsl, AF_INET, v4("192.0.2.5"), s),
		    "e.example", "servers: none set: any server learned from");
		nfqd_engine_free(&e);
		nfqd_config_free(&cf);
	}
	nfqd_dnsl_destroy(t);
}

/*
 * Eviction keeps the names rules look for.  A client that resolves names
 * of its own (records it controls, all at a blocked name's address, with
 * longer TTLs) through the allowed resolver fills that address's bucket:
 * before, the blocked name's entry, expiring first, gave way, and the
 * next connection to the address passed the drop rule.  Now an entry
 * whose name a rule's dst_name names (its own elements or an "@SET",
 * whatever the verdict) gives way only when every entry of the bucket is
 * such a one.  Each row: answers for one address, in order, each learned
 * at the start but the last, learned `late` seconds after; then, at
 * that second, the names found, the evictions, a SYN's verdict.
 */
static void
test_keep(void)
{
#define A8(t)	{ "a1.attacker.test", t + 1 }, { "a2.attacker.test", t + 2 }, \
		{ "a3.attacker.test", t + 3 }, { "a4.attacker.test", t + 4 }, \
		{ "a5.attacker.test", t + 5 }, { "a6.attacker.test", t + 6 }, \
		{ "a7.attacker.test", t + 7 }, { "a8.attacker.test", t + 8 }
#define A2TO8	"a2.attacker.test,a3.attacker.test,a4.attacker.test," \
		"a5.attacker.test,a6.attacker.test,a7.attacker.test," \
		"a8.attacker.test"
#define M8	{ "m0.blocked.example", 100 }, { "m1.blocked.example", 101 }, \
		{ "m2.blocked.example", 102 }, { "m3.blocked.example", 103 }, \
		{ "m4.blocked.example", 104 }, { "m5.blocked.example", 105 }, \
		{ "m6.blocked.example", 106 }, { "m7.blocked.example", 107 }
#define M1TO7	"m1.blocked.example,m2.blocked.example,m3.blocked.example," \
		"m4.blocked.example,m5.blocked.example,m6.blocked.example," \
		"m7.blocked.example"
	static const struct {
		const char	*what;
		struct {
			const char	*name;
			uint32_t	 ttl;
		} ans[10];		/* in order; name NULL: no more */
		uint32_t	 late;
		const char	*want;
		uint64_t	 evictions;
		uint32_t	 verdict;
	} rows[] = {
		{ "keep: eight made-up names with longer TTLs leave the "
		  "blocked name", { { "blocked.example", 100 }, A8(1000) }, 0,
		  A2TO8 ",blocked.example", 1, NF_DROP },
		{ "keep: ... a name of an \"@SET\" as well",
		  { { "www.setname.test", 100 }, A8(1000) }, 0,
		  A2TO8 ",www.setname.test", 1, NF_DROP },
		{ "keep: ... and an accept rule's name",
		  { { "allowed.example", 100 }, A8(1000) }, 0,
		  A2TO8 ",allowed.example", 1, NF_ACCEPT },
		{ "keep: all eight kept: a ninth kept name takes the one "
		  "expiring first", { M8, { "m8.blocked.example", 1000 } }, 0,
		  M1TO7 ",m8.blocked.example", 1, NF_DROP },
		{ "keep: all eight kept: so does a name no rule names",
		  { M8, { "a1.attacker.test", 1000 } }, 0,
		  "a1.attacker.test," M1TO7, 1, NF_DROP },
		{ "keep: none kept: the one expiring first goes, as before",
		  { { "n0.cdn.example", 100 }, { "n1.cdn.example", 101 },
		    { "n2.cdn.example", 102 }, { "n3.cdn.example", 103 },
		    { "n4.cdn.example", 104 }, { "n5.cdn.example", 105 },
		    { "n6.cdn.example", 106 }, { "n7.cdn.example", 107 },
		    { "new.cdn.example", 1000 } }, 0,
		  "n1.cdn.example,n2.cdn.example,n3.cdn.example,"
		  "n4.cdn.example,n5.cdn.example,n6.cdn.example,"
		  "n7.cdn.example,new.cdn.example", 1, NF_ACCEPT },
		{ "keep: mixed: the first to expire of those not kept goes",
		  { { "blocked.example", 100 }, { "m1.blocked.example", 110 },
		    { "n2.cdn.example", 300 }, { "n3.cdn.example", 250 },
		    { "n4.cdn.example", 400 }, { "n5.cdn.example", 400 },
		    { "n6.cdn.example", 400 }, { "n7.cdn.example", 400 },
		    { "new.cdn.example", 1000 } }, 0,
		  "blocked.example,m1.blocked.example,n2.cdn.example,"
		  "n4.cdn.example,n5.cdn.example,n6.cdn.example,"
		  "n7.cdn.example,new.cdn.example", 1, NF_DROP },
		{ "keep: a kept entry past its TTL is reclaimed first",
		  { { "blocked.example", 10 }, { "a1.attacker.test", 1000 },
		    { "a2.attacker.test", 1000 }, { "a3.attacker.test", 1000 },
		    { "a4.attacker.test", 1000 }, { "a5.attacker.test", 1000 },
		    { "a6.attacker.test", 1000 }, { "a7.attacker.test", 1000 },
		    { "a8.attacker.test", 1000 } }, 10,
		  "a1.attacker.test," A2TO8, 0, NF_ACCEPT },
	};
#undef A8
#undef M8
#undef M1TO7
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_dnsl	 d;
	struct nfqd_dnsl_tab	*t;
	char			 dir[512], set[600], text[2048];
	const uint64_t		 ns = 9000000000000ull;
	uint64_t		 at;
	size_t			 i, k;

	if (!CHECK(unit_mkdtemp(dir, sizeof(dir)) == 0, "keep: directory"))
		return;
	snprintf(set, sizeof(set), "%s/kept.txt", dir);
	CHECK(unit_write_text(set, "=www.setname.test\n") == 0,
	    "keep: name set written");
	snprintf(text, sizeof(text),
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; max_entries = 1024; min_ttl = 1; "
	    "max_ttl = 86400; };\n"
	    "name_sets = ( { name = \"kept\"; file = \"%s\"; } );\n"
	    "rules = (\n"
	    "  { name = \"b\"; dst_name = [\"blocked.example\", \"@kept\"];"
	    " verdict = \"drop\"; },\n"
	    "  { name = \"ok\"; dst_name = \"=allowed.example\";"
	    " verdict = \"accept\"; }\n"
	    ");\n", set);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* A table of its own: no other row's address in the bucket. */
		if (!CHECK((t = nfqd_dnsl_create(1024, 17 + i)) != NULL,
		    unit_fmt("%s: table", rows[i].what)))
			continue;
		if (!engine_up(&e, &cf, t, "keep.conf", text,
		    unit_fmt("%s: loads", rows[i].what),
		    unit_fmt("%s: engine", rows[i].what))) {
			nfqd_dnsl_destroy(t);
			continue;
		}
		at = ns;
		for (k = 0; k < 10 && rows[i].ans[k].name != NULL; k++) {
			if (k + 1 == 10 || rows[i].ans[k + 1].name == NULL)
				at = ns + rows[i].late * 1000000000ull;
			ask_ttl(&e.dnsl, (uint16_t)(1 + k), rows[i].ans[k].name,
			    (uint16_t)(42000 + k), "10.9.0.1", "10.9.0.1",
			    "192.0.2.77", rows[i].ans[k].ttl, at);
		}
		CHECK_STR_EQ(names(&e.dnsl, AF_INET, v4("192.0.2.77"),
		    (uint32_t)(at / 1000000000ull)), rows[i].want,
		    rows[i].what);
		CHECK_UINT_EQ(e.dnsl.c.evictions, rows[i].evictions,
		    unit_fmt("%s: evictions", rows[i].what));
		CHECK_UINT_EQ(decide(&e, tcp_syn("10.0.0.1", "192.0.2.77",
		    443), at + 2), rows[i].verdict,
		    unit_fmt("%s: verdict", rows[i].what));
		nfqd_engine_free(&e);
		nfqd_config_free(&cf);
		nfqd_dnsl_destroy(t);
	}
	unit_rmtree(dir);

	/*
	 * The mark is what the rules said when the entry was last learned:
	 * an answer under rules that no longer name it (after a reload)
	 * unmarks it, and it gives way as any other.
	 */
	if (!CHECK((t = nfqd_dnsl_create(1024, 23)) != NULL,
	    "keep: relearned: table"))
		return;
	nfqd_dnsl_init(&d, t, 60, 3600, 1);
	CHECK(!nfqd_dnsl_kept(&d, "blocked.example", 15),
	    "keep: no rules: nothing kept");
	nfqd_dnsl_learn(&d, AF_INET, v4("192.0.2.78"), "blocked.example", 15,
	    100, NOW, true);
	for (k = 1; k < NFQD_DNSL_WAYS; k++)
		nfqd_dnsl_learn(&d, AF_INET, v4("192.0.2.78"),
		    unit_fmt("a%zu.attacker.test", k), 16, 1000, NOW, false);
	nfqd_dnsl_learn(&d, AF_INET, v4("192.0.2.78"), "blocked.example", 15,
	    100, NOW, false);
	learn(&d, AF_INET, v4("192.0.2.78"), "a8.attacker.test", 1000, NOW);
	CHECK_STR_EQ(names(&d, AF_INET, v4("192.0.2.78"), NOW),
	    "a1.attacker.test," A2TO8, "keep: relearned unmarked: gives way");
	nfqd_dnsl_destroy(t);
#undef A2TO8
}

/* The kept names of addr's bucket, sorted, joined by ","; its generation
 * and seqcount. */
static const char *
kept_names(struct nfqd_dnsl_tab *t, const uint8_t *a, uint32_t *gen,
    uint32_t *seq)
{
	struct nfqd_dnames	dn;

	nfqd_dnsl_test_kept(t, AF_INET, a, &dn, gen, seq);
	return joined(&dn);
}

/* Learn name for a under d's rules, marked as they say. */
static void
learn_kept(struct nfqd_dnsl *d, const uint8_t *a, const char *name)
{
	nfqd_dnsl_learn(d, AF_INET, a, name, strlen(name), 300, NOW,
	    nfqd_dnsl_kept(d, name, strlen(name)));
}

/*
 * After a reload the sweep computes the marks again with the newest
 * rules: before, an entry kept the mark the old rules gave it until an
 * answer taught it again.  A and B are two workers' rules (generations 1
 * and 2) on one table, C rules without dst_name (3).  Each row: a sweep
 * or a learning, then the address's kept names, the bucket's generation
 * and how many times it was written (seqcount steps of 2).
 */
static void
test_refresh(void)
{
	static const char *const learned[] = {
		"a.example", "www.a.example", "b.example", "c.example",
		"x.c.example", "d.example",
	};
	enum { SWEEP_A, SWEEP_B, SWEEP_C, LEARN_A, LEARN_B, LOCKED_B };
	static const struct {
		const char	*what;
		int		 op;
		const char	*name;		/* LEARN_*: learned */
		const char	*kept;
		uint32_t	 gen;
		uint32_t	 writes;
	} rows[] = {
		{ "refresh: A's marks", -1, NULL,
		  "a.example,c.example,www.a.example", 1, 6 },
		{ "refresh: B's sweep computes B's", SWEEP_B, NULL,
		  "b.example,c.example,x.c.example", 2, 1 },
		{ "refresh: B's again writes nothing", SWEEP_B, NULL,
		  "b.example,c.example,x.c.example", 2, 0 },
		{ "refresh: A's (older) writes nothing", SWEEP_A, NULL,
		  "b.example,c.example,x.c.example", 2, 0 },
		{ "refresh: A learns: its mark makes the bucket A's",
		  LEARN_A, "y.a.example",
		  "b.example,c.example,x.c.example,y.a.example", 1, 1 },
		{ "refresh: ... and B's sweep takes it back", SWEEP_B, NULL,
		  "b.example,c.example,x.c.example", 2, 1 },
		{ "refresh: B learns in its own bucket: still B's", LEARN_B,
		  "z.b.example", "b.example,c.example,x.c.example,z.b.example",
		  2, 1 },
		{ "refresh: ... and its sweep writes nothing", SWEEP_B, NULL,
		  "b.example,c.example,x.c.example,z.b.example", 2, 0 },
		{ "refresh: A learns, the bucket locked: B's sweep leaves it",
		  LOCKED_B, "y.a.example",
		  "b.example,c.example,x.c.example,y.a.example,z.b.example",
		  1, 1 },
		{ "refresh: ... to its next pass", SWEEP_B, NULL,
		  "b.example,c.example,x.c.example,z.b.example", 2, 1 },
		{ "refresh: rules without dst_name unmark all", SWEEP_C, NULL,
		  "", 3, 1 },
	};
	static const char *const texts[3] = {
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; max_entries = 16384; };\n"
	    "rules = ( { name = \"a\"; dst_name = [\"a.example\","
	    " \"=c.example\"]; verdict = \"drop\"; } );\n",
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; max_entries = 16384; };\n"
	    "rules = ( { name = \"b\"; dst_name = [\"b.example\","
	    " \"c.example\"]; verdict = \"drop\"; } );\n",
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; max_entries = 16384; };\n"
	    "rules = ( { name = \"c\"; proto = \"tcp\"; verdict = \"drop\"; }"
	    " );\n",
	};
	struct nfqd_config	 cf[3];
	struct nfqd_engine	 e[3];
	struct nfqd_dnsl_tab	*t;
	const uint8_t		*a;
	uint64_t		 nb, busy, refreshed;
	uint32_t		 gen, seq, seq0;
	size_t			 i, k, up;
	unsigned		 stale;
	const char		*kn;

	if (!CHECK((t = nfqd_dnsl_create(16384, 5)) != NULL,
	    "refresh: table"))
		return;
	nb = nfqd_dnsl_capacity(t) / NFQD_DNSL_WAYS;
	for (up = 0; up < 3; up++) {
		if (!engine_up(&e[up], &cf[up], t, "refresh.conf", texts[up],
		    unit_fmt("refresh: rules %zu: loads", up),
		    unit_fmt("refresh: rules %zu: engine", up)))
			break;
		/* Generations 1, 2, 3, as the master counts rule sets. */
		nfqd_dnsl_keep(&e[up].dnsl, e[up].dnsl.keeps,
		    e[up].dnsl.keeps_arg, (uint32_t)up + 1);
	}
	if (up < 3)
		goto out;
	a = v4("192.0.2.90");
	kept_names(t, a, &gen, &seq0);
	for (k = 0; k < sizeof(learned) / sizeof(learned[0]); k++)
		learn_kept(&e[0].dnsl, a, learned[k]);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		busy = e[1].dnsl.c.busy;
		switch (rows[i].op) {
		case SWEEP_A:
		case SWEEP_B:
		case SWEEP_C:
			nfqd_dnsl_sweep(&e[rows[i].op - SWEEP_A].dnsl, NOW,
			    (uint32_t)nb);
			break;
		case LEARN_A:
		case LEARN_B:
			learn_kept(&e[rows[i].op - LEARN_A].dnsl, a,
			    rows[i].name);
			break;
		case LOCKED_B:
			learn_kept(&e[0].dnsl, a, rows[i].name);
			kept_names(t, a, &gen, &seq0);
			/* Held by another writer while B sweeps. */
			nfqd_dnsl_test_lock(t, AF_INET, a, 4242);
			nfqd_dnsl_sweep(&e[1].dnsl, NOW, (uint32_t)nb);
			nfqd_dnsl_test_unlock(t, AF_INET, a);
			CHECK_UINT_EQ(e[1].dnsl.c.busy - busy, 1,
			    unit_fmt("%s: busy counted", rows[i].what));
			break;
		}
		CHECK_STR_EQ(kept_names(t, a, &gen, &seq), rows[i].kept,
		    rows[i].what);
		CHECK_UINT_EQ(gen, rows[i].gen,
		    unit_fmt("%s: generation", rows[i].what));
		CHECK_UINT_EQ((seq - seq0) / 2, rows[i].writes,
		    unit_fmt("%s: writes", rows[i].what));
		seq0 = seq;
	}
	/*
	 * A sweep computes NFQD_DNSL_REFRESH_MAX buckets at most: names A
	 * keeps on many addresses, B's sweeps unmark them, a bounded
	 * number per sweep, all of them in a few.
	 */
	for (k = 0; k < 4000; k++)
		learn_kept(&e[0].dnsl, v4(unit_fmt("10.%zu.%zu.1", k / 250,
		    k % 250)), unit_fmt("n%zu.a.example", k));
	refreshed = e[1].dnsl.c.refreshed;
	nfqd_dnsl_sweep(&e[1].dnsl, NOW, (uint32_t)nb);
	CHECK_UINT_EQ(e[1].dnsl.c.refreshed - refreshed, NFQD_DNSL_REFRESH_MAX,
	    "refresh: one sweep: at most NFQD_DNSL_REFRESH_MAX buckets");
	for (k = 0; k < 16; k++)
		nfqd_dnsl_sweep(&e[1].dnsl, NOW, (uint32_t)nb);
	for (k = 0, stale = 0; k < 4000; k++) {
		kn = kept_names(t, v4(unit_fmt("10.%zu.%zu.1", k / 250,
		    k % 250)), &gen, &seq);
		/* (A few share 192.0.2.90's bucket, and its names.) */
		stale += gen != 2 || strstr(kn, "a.example") != NULL;
	}
	CHECK_UINT_EQ(stale, 0, "refresh: 17 sweeps: every bucket B's, no A name kept");
out:
	while (up-- > 0) {
		nfqd_engine_free(&e[up]);
		nfqd_config_free(&cf[up]);
	}
	nfqd_dnsl_destroy(t);
}

int
main(void)
{
	test_table();
	test_million();
	test_repair();
	test_repair_hostile();
	test_pending();
	test_pending_proto();
	test_pending_again();
	test_answers();
	test_datagrams();
	test_chain_names();
	test_tcp();
	test_tcp_streams();
	test_rule();
	test_servers();
	test_keep();
	test_refresh();
	return unit_done();
}
