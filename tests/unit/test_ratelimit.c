/*
 * Unit tests for src/ratelimit.c: the GCRA step, keyed buckets per source,
 * destination and flow in a bounded table (which bucket a new key takes,
 * and what counts as an eviction), and the shared per-rule bucket, also
 * under two threads at once.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include "nfqd/pkt.h"
#include "nfqd/ratelimit.h"
#include "nfqd/rules.h"
#include "unit.h"

#define SEC	1000000000ull
#define T0	(1000 * SEC)	/* a CLOCK_MONOTONIC-like start, not 0 */

static void
test_gcra(void)
{
	uint64_t	tat = 0, cost = 100, burst = 500, now = T0, saved;
	int		i, ok;

	for (i = 0, ok = 0; i < 5; i++)
		ok += !nfqd_gcra_over(&tat, cost, burst, now);
	CHECK_INT_EQ(ok, 5, "gcra: a burst of 5 at one instant conforms");
	CHECK_UINT_EQ(tat, now + 500, "gcra: TAT moved by 5 costs");
	saved = tat;
	CHECK(nfqd_gcra_over(&tat, cost, burst, now), "gcra: the 6th is over");
	CHECK_UINT_EQ(tat, saved, "gcra: an over packet leaves TAT alone");
	CHECK(nfqd_gcra_over(&tat, cost, burst, now + 99),
	    "gcra: 99 ns later still over");
	CHECK(!nfqd_gcra_over(&tat, cost, burst, now + 100),
	    "gcra: after exactly one cost one more conforms");
	CHECK(nfqd_gcra_over(&tat, cost, burst, now + 100),
	    "gcra: and the next is over again");

	/* After a long idle the bucket is full, never fuller. */
	now += 1000 * SEC;
	for (i = 0, ok = 0; i < 5; i++)
		ok += !nfqd_gcra_over(&tat, cost, burst, now);
	CHECK_INT_EQ(ok, 5, "gcra: after a long idle a full burst again");
	CHECK(nfqd_gcra_over(&tat, cost, burst, now),
	    "gcra: after a long idle, the 6th is over");

	/* Steady rate: one packet per cost always conforms. */
	for (i = 0, ok = 0; i < 1000; i++)
		ok += !nfqd_gcra_over(&tat, cost, burst, now + 500 +
		    (uint64_t)i * cost);
	CHECK_INT_EQ(ok, 1000, "gcra: one packet per cost forever conforms");

	/* A burst smaller than one packet's cost: always over. */
	tat = 0;
	for (i = 0, ok = 0; i < 10; i++)
		ok += !nfqd_gcra_over(&tat, cost, 99, now + (uint64_t)i * SEC);
	CHECK_INT_EQ(ok, 0, "gcra: burst < cost is always over");
	CHECK_UINT_EQ(tat, 0, "gcra: burst < cost leaves TAT alone");
	tat = 0;
	CHECK(nfqd_gcra_over(&tat, cost, 0, now), "gcra: burst 0 is over");
	tat = 0;
	CHECK(!nfqd_gcra_over(&tat, cost, cost, now) &&
	    nfqd_gcra_over(&tat, cost, cost, now),
	    "gcra: burst == cost allows exactly one");
}

/* A keyed rule: cost per packet, burst in packets, per src/dst/flow. */
static void
mkrule(struct nfqd_rule *r, uint8_t per, uint64_t cost, uint64_t packets)
{
	memset(r, 0, sizeof(*r));
	r->matchers = NFQD_M_RATE;
	r->rate_per = per;
	r->rate_cost = cost;
	r->rate_burst = cost * packets;
	r->cell = per == NFQD_PER_RULE ? 0 : NFQD_NONE;
	r->logslot = NFQD_NONE;
}

static void
mkpi(struct nfqd_pkt *p, const char *src, const char *dst,
    uint16_t sport, uint16_t dport)
{
	int	af = strchr(src, ':') != NULL ? AF_INET6 : AF_INET;

	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)af;
	if (inet_pton(af, src, p->saddr) != 1 ||
	    inet_pton(af, dst, p->daddr) != 1)
		CHECKF(0, "mkpi", "bad address %s or %s", src, dst);
	p->proto = IPPROTO_UDP;
	p->flags = NFQD_PKT_F_PORTS;
	p->sport = sport;
	p->dport = dport;
	p->len = 100;
}

/* How many of n packets at now are under the limit. */
static int
under(const struct nfqd_rule *r, uint32_t ridx, struct nfqd_ratetab *t,
    const struct nfqd_pkt *p, uint64_t now, int n)
{
	int	i, ok = 0;

	for (i = 0; i < n; i++)
		ok += !nfqd_rate_over(r, ridx, NULL, t, p, now);
	return ok;
}

static void
test_keyed(void)
{
	struct nfqd_ratetab	*t;
	struct nfqd_rule	 r;
	struct nfqd_pkt	 a, b, c;

	if ((t = nfqd_ratetab_new(8)) == NULL) {
		CHECK(0, "nfqd_ratetab_new(8)");
		return;
	}
	CHECK_UINT_EQ(nfqd_ratetab_evictions(t), 0, "new table: no evictions");

	/* per src: 2 packets a key. */
	mkrule(&r, NFQD_PER_SRC, SEC / 10, 2);
	mkpi(&a, "10.0.0.1", "10.0.0.9", 1000, 53);
	mkpi(&b, "10.0.0.2", "10.0.0.9", 1000, 53);
	mkpi(&c, "10.0.0.1", "192.0.2.1", 5, 6);	/* a's source */
	CHECK_INT_EQ(under(&r, 0, t, &a, T0, 3), 2, "per src: A: 2 of 3 under");
	CHECK_INT_EQ(under(&r, 0, t, &b, T0, 3), 2,
	    "per src: B has its own bucket: 2 of 3 under");
	CHECK_INT_EQ(under(&r, 0, t, &c, T0, 1), 0,
	    "per src: A's source to elsewhere shares A's bucket");
	CHECK_INT_EQ(under(&r, 1, t, &a, T0, 3), 2,
	    "per src: another rule has its own buckets");
	CHECK_INT_EQ(under(&r, 0, t, &a, T0 + SEC / 10, 2), 1,
	    "per src: A refills one packet per cost");

	/* per dst. */
	mkrule(&r, NFQD_PER_DST, SEC / 10, 2);
	mkpi(&a, "10.0.0.1", "10.9.0.1", 1, 2);
	mkpi(&b, "10.0.0.2", "10.9.0.1", 3, 4);		/* same dst */
	mkpi(&c, "10.0.0.1", "10.9.0.2", 1, 2);		/* same src */
	CHECK_INT_EQ(under(&r, 2, t, &a, T0, 1), 1, "per dst: A first under");
	CHECK_INT_EQ(under(&r, 2, t, &b, T0, 2), 1,
	    "per dst: another source to the same dst shares the bucket");
	CHECK_INT_EQ(under(&r, 2, t, &c, T0, 3), 2,
	    "per dst: another dst has its own bucket");

	/* per flow. */
	mkrule(&r, NFQD_PER_FLOW, SEC / 10, 1);
	mkpi(&a, "10.0.0.1", "10.0.0.2", 1000, 80);
	mkpi(&b, "10.0.0.1", "10.0.0.2", 1001, 80);	/* other sport */
	CHECK_INT_EQ(under(&r, 3, t, &a, T0, 2), 1, "per flow: A 1 of 2 under");
	CHECK_INT_EQ(under(&r, 3, t, &b, T0, 2), 1,
	    "per flow: another source port is another flow");
	b.proto = IPPROTO_TCP;
	b.sport = 1000;
	CHECK_INT_EQ(under(&r, 3, t, &b, T0, 1), 1,
	    "per flow: another protocol is another flow");
	CHECK_INT_EQ(under(&r, 3, t, &a, T0, 1), 0, "per flow: A still over");

	/* IPv6 keys are the whole address. */
	mkrule(&r, NFQD_PER_SRC, SEC / 10, 1);
	mkpi(&a, "2001:db8::1", "2001:db8::ff", 1, 2);
	mkpi(&b, "2001:db8::1:0:0:1", "2001:db8::ff", 1, 2);
	CHECK_INT_EQ(under(&r, 4, t, &a, T0, 2), 1, "per src IPv6: A 1 of 2");
	CHECK_INT_EQ(under(&r, 4, t, &b, T0, 2), 1,
	    "per src IPv6: differing in the low 64 bits is another key");
	nfqd_ratetab_free(t);
}

static void
key_pi(struct nfqd_pkt *p, unsigned i)
{
	char	src[32];

	snprintf(src, sizeof(src), "10.1.%u.%u", i / 250, i % 250 + 1);
	mkpi(p, src, "192.0.2.1", 1, 2);
}

static void
test_eviction(void)
{
	struct nfqd_ratetab	*t;
	struct nfqd_rule	 r;
	struct nfqd_pkt	 p;
	uint64_t		 t1 = T0 + SEC;
	unsigned		 i;
	int			 ok;

	/* 1 ms a packet, a burst of 1000: a bucket stays active a while. */
	mkrule(&r, NFQD_PER_SRC, SEC / 1000, 1000);
	if ((t = nfqd_ratetab_new(8)) == NULL) {
		CHECK(0, "nfqd_ratetab_new(8)");
		return;
	}
	/* Key 0 at T0: idle (its TAT passed) by t1. */
	key_pi(&p, 0);
	CHECK_INT_EQ(under(&r, 0, t, &p, T0, 1), 1, "eviction: key 0 at T0");
	/* Keys 1..7 at t1: active, and the table is full. */
	for (i = 1, ok = 0; i < 8; i++) {
		key_pi(&p, i);
		ok += under(&r, 0, t, &p, t1, 1);
	}
	CHECK_INT_EQ(ok, 7, "eviction: keys 1..7 at t1 under");
	CHECK_UINT_EQ(nfqd_ratetab_evictions(t), 0,
	    "eviction: none while the table fills");
	/* Key 8: takes key 0's idle bucket, not an active one. */
	key_pi(&p, 8);
	CHECK_INT_EQ(under(&r, 0, t, &p, t1, 1), 1, "eviction: key 8 under");
	CHECK_UINT_EQ(nfqd_ratetab_evictions(t), 0,
	    "eviction: an idle bucket is reused first, not counted");
	/* Keys 1..7 keep their buckets: their TAT is t1 + 1 cost. */
	for (i = 1, ok = 0; i < 8; i++) {
		key_pi(&p, i);
		ok += under(&r, 0, t, &p, t1, 1000);
	}
	/* A fresh bucket would take 1000 more; a kept one 999. */
	CHECK_INT_EQ(ok, 7 * 999, "eviction: active keys kept their buckets");
	CHECK_UINT_EQ(nfqd_ratetab_evictions(t), 0,
	    "eviction: still none after using the active keys");
	/* Every bucket is active now: a new key evicts one. */
	key_pi(&p, 9);
	CHECK_INT_EQ(under(&r, 0, t, &p, t1, 1), 1,
	    "eviction: key 9 starts with a full bucket");
	CHECK_UINT_EQ(nfqd_ratetab_evictions(t), 1,
	    "eviction: a full table of active keys evicts one");
	nfqd_ratetab_free(t);

	/* "8 probes worth of active keys with a long burst", then one more. */
	if ((t = nfqd_ratetab_new(8)) == NULL) {
		CHECK(0, "nfqd_ratetab_new(8)");
		return;
	}
	for (i = 0, ok = 0; i < 8; i++) {
		key_pi(&p, 100 + i);
		ok += under(&r, 7, t, &p, T0, 1);
	}
	CHECK(ok == 8 && nfqd_ratetab_evictions(t) == 0,
	    "eviction: 8 active keys fill 8 entries");
	key_pi(&p, 200);
	under(&r, 7, t, &p, T0, 1);
	CHECK_UINT_EQ(nfqd_ratetab_evictions(t), 1,
	    "eviction: the 9th active key evicts 1");
	/* Once every bucket is idle, new keys evict nothing. */
	for (i = 0; i < 16; i++) {
		key_pi(&p, 300 + i);
		under(&r, 7, t, &p, T0 + 10 * SEC + i * 10 * SEC, 1);
	}
	CHECK_UINT_EQ(nfqd_ratetab_evictions(t), 1,
	    "eviction: keys coming one at a time through idle buckets");
	nfqd_ratetab_free(t);

	/* A table asked for fewer entries than the probes still works. */
	if ((t = nfqd_ratetab_new(1)) != NULL) {
		mkrule(&r, NFQD_PER_SRC, SEC, 1);
		key_pi(&p, 1);
		CHECK_INT_EQ(under(&r, 0, t, &p, T0, 2), 1,
		    "table of 1 entry: still limits");
		nfqd_ratetab_free(t);
	} else {
		CHECK(0, "nfqd_ratetab_new(1)");
	}
	CHECK_UINT_EQ(nfqd_ratetab_evictions(NULL), 0,
	    "evictions of no table: 0");
}

/* A fresh keyed bucket with burst < cost is over, and stays so. */
static void
test_keyed_tiny_burst(void)
{
	struct nfqd_ratetab	*t;
	struct nfqd_rule	 r;
	struct nfqd_pkt	 p;

	if ((t = nfqd_ratetab_new(8)) == NULL) {
		CHECK(0, "nfqd_ratetab_new(8)");
		return;
	}
	mkrule(&r, NFQD_PER_SRC, 100, 1);
	r.rate_burst = 50;
	mkpi(&p, "10.0.0.1", "10.0.0.2", 1, 2);
	CHECK_INT_EQ(under(&r, 0, t, &p, T0, 3), 0,
	    "keyed burst < cost: always over");
	CHECK_INT_EQ(under(&r, 0, t, &p, T0 + SEC, 1), 0,
	    "keyed burst < cost: over after idle too");
	nfqd_ratetab_free(t);
}

static void
test_shared(void)
{
	struct nfqd_rate_cell	cell, other;
	struct nfqd_rule	r;
	struct nfqd_pkt	p;
	int			ok;

	memset(&cell, 0, sizeof(cell));
	memset(&other, 0, sizeof(other));
	mkrule(&r, NFQD_PER_RULE, SEC / 10, 3);
	mkpi(&p, "10.0.0.1", "10.0.0.2", 1, 2);
	/* "Worker" A and B: the same rule and cell, no keyed table. */
	ok = !nfqd_rate_over(&r, 0, &cell, NULL, &p, T0);
	ok += !nfqd_rate_over(&r, 0, &cell, NULL, &p, T0);
	CHECK_INT_EQ(ok, 2, "shared: worker A: 2 under");
	ok = !nfqd_rate_over(&r, 0, &cell, NULL, &p, T0);
	CHECK_INT_EQ(ok, 1, "shared: worker B: the 3rd under");
	CHECK(nfqd_rate_over(&r, 0, &cell, NULL, &p, T0) &&
	    nfqd_rate_over(&r, 0, &cell, NULL, &p, T0),
	    "shared: both workers over once the burst is spent in total");
	mkpi(&p, "192.0.2.1", "192.0.2.2", 9, 9);
	CHECK(nfqd_rate_over(&r, 0, &cell, NULL, &p, T0),
	    "shared: per rule ignores the addresses");
	CHECK(!nfqd_rate_over(&r, 1, &other, NULL, &p, T0),
	    "shared: another cell is another bucket");
	CHECK(!nfqd_rate_over(&r, 0, &cell, NULL, &p, T0 + SEC / 10),
	    "shared: one more after one cost");
	CHECK(nfqd_rate_over(&r, 0, &cell, NULL, &p, T0 + SEC / 10),
	    "shared: and over again");
	CHECK_UINT_EQ(cell.tat, T0 + 4 * (SEC / 10), "shared: TAT in the cell");
}

struct worker_arg {
	const struct nfqd_rule	*r;
	struct nfqd_rate_cell	*cell;
	const struct nfqd_pkt *pi;
	unsigned		 tries;
	unsigned		 ok;
};

static void *
worker(void *v)
{
	struct worker_arg	*w = v;
	unsigned		 i;

	for (i = 0; i < w->tries; i++)
		if (!nfqd_rate_over(w->r, 0, w->cell, NULL, w->pi, T0))
			w->ok++;
	return NULL;
}

static void
test_shared_threads(void)
{
	static struct nfqd_rate_cell	cell;
	struct nfqd_rule		r;
	struct nfqd_pkt		p;
	struct worker_arg		w[2];
	pthread_t			th[2];
	int				i, started = 0;

	mkrule(&r, NFQD_PER_RULE, 1000, 10000);
	mkpi(&p, "10.0.0.1", "10.0.0.2", 1, 2);
	memset(&cell, 0, sizeof(cell));
	for (i = 0; i < 2; i++) {
		w[i] = (struct worker_arg){ &r, &cell, &p, 200000, 0 };
		if (pthread_create(&th[i], NULL, worker, &w[i]) == 0)
			started++;
	}
	if (!CHECK_INT_EQ(started, 2, "two threads started"))
		return;
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_UINT_EQ(w[0].ok + w[1].ok, 10000,
	    "shared under two threads: exactly the burst conforms in total");
}

int
main(void)
{
	test_gcra();
	test_keyed();
	test_eviction();
	test_keyed_tiny_burst();
	test_shared();
	test_shared_threads();
	return unit_done();
}
