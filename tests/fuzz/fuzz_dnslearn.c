/*
 * libFuzzer target for dns_learn's answer parser and tables
 * (nfqd_dnsl_answer_parse(), nfqd_dnsl_packet(), nfqd_dnsl_lookup()).
 *
 * Input: a script of DNS messages, each
 *   1 byte	ctl: low 4 bits, seconds the clock moves on before it; 0x10
 *		set: its query is not sent; 0x20 set: nor its answer; 0x40
 *		set: after it, new rules (a reload) and a sweep of the
 *		whole table
 *   2 bytes	length L, big-endian
 *   L bytes	a DNS response (the input's tail when fewer are left),
 *		copied to a buffer of exactly its length, so that a read
 *		past it is a read past the allocation
 * at most SCRIPT_MAX messages.  Every input starts from new tables with
 * fixed seeds and a fixed clock, so that a crash input reproduces alone
 * (queries left waiting, retransmissions and expiries happen within one
 * input).  Asserts what dnslearn.h promises:
 *   - -1: why is one of the reasons, no address;
 *   - 0: 1 to NFQD_DNSL_CHAIN_MAX names on the chain, each its length,
 *     none twice, lower case; at most NFQD_DNSL_ADDRS_MAX addresses, each
 *     of the question's family and at a link of the chain; no TTL over
 *     the top bit;
 *   - its own query (the same bytes with QR clear) sent, then it, then it
 *     again: the replay is refused; when the query was sent at the same
 *     instant and the query parser takes it as one dns_learn expects,
 *     the answer is taken (both parsers read the same question); an
 *     answer taken is for a query of the script, over UDP, still waiting
 *     and not answered before (a model of the pending queries); the
 *     table never holds more than its capacity, and every address learned
 *     looks up to a name on the chain;
 *   - every message also as a TCP segment to and from port 53 (read as
 *     length-prefixed messages, through the worker's stream table, each
 *     at sequence number 0 of the same two streams): at most one answer
 *     refused per message it can hold and one for a cut end, the table
 *     within its capacity.
 * Names of an even length count as names a rule looks for
 * (nfqd_dnsl_keep()), so that full buckets mix kept entries and others;
 * new rules (0x40) look for those of the other parity, and once the
 * table is swept no entry of the answer's addresses' buckets is kept
 * but by them (the sweep computes the marks again).
 *
 *   make fuzz; d=$(mktemp -d); cp -r tests/fuzz/corpus/dnslearn/. $d
 *   build/fuzz/fuzz_dnslearn -max_total_time=60 -rss_limit_mb=2048 $d
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/l7/dns.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/l7/dnstcp.h"
#include "nfqd/pkt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

#define SCRIPT_MAX	16
#define CTL_NOQUERY	0x10
#define CTL_NOANSWER	0x20
#define CTL_RELOAD	0x40

static struct nfqd_dnsl_tab	*tab;
static struct nfqd_dnst		*tcp;
static struct nfqd_dnsl		 d;
static uint64_t			 ns;
static uint32_t			 gen;	/* rules: parity gen % 2 kept */

static void
check(const struct nfqd_dnsl_answer *a, int r)
{
	unsigned	i, k;

	if (r == -1) {
		ASSERT(a->why > NFQD_DNSL_R_NONE && a->why < NFQD_DNSL_R_MAX);
		ASSERT(a->naddrs == 0);
		return;
	}
	ASSERT(r == 0);
	ASSERT(a->nchain >= 1 && a->nchain <= NFQD_DNSL_CHAIN_MAX);
	for (i = 0; i < a->nchain; i++) {
		ASSERT(strlen(a->chain[i]) == a->chain_len[i]);
		ASSERT(a->chain_len[i] > 0);
		for (k = 0; k < a->chain_len[i]; k++)
			ASSERT(!(a->chain[i][k] >= 'A' && a->chain[i][k] <= 'Z'));
		for (k = 0; k < i; k++)
			ASSERT(strcmp(a->chain[i], a->chain[k]) != 0);
	}
	ASSERT(a->naddrs <= NFQD_DNSL_ADDRS_MAX);
	for (i = 0; i < a->naddrs; i++) {
		ASSERT(a->addrs[i].family == (a->qtype == 1 ? AF_INET :
		    AF_INET6));
		ASSERT(a->addrs[i].link < a->nchain);
		ASSERT(!(a->addrs[i].ttl & 0x80000000u));
	}
}

static void
pkt(struct nfqd_pkt *pi, uint8_t fam, bool answer, uint32_t len)
{
	memset(pi, 0, sizeof(*pi));
	pi->family = fam;
	pi->proto = 17;
	pi->saddr[0] = answer ? 10 : 11;
	pi->daddr[0] = answer ? 11 : 10;
	pi->sport = answer ? 53 : 40000;
	pi->dport = answer ? 40000 : 53;
	pi->paylen = len;
}

static void
ignore(void *arg, const uint8_t *msg, size_t len)
{
	(void)arg;
	(void)msg;
	(void)len;
	ASSERT(0);	/* a RST hands over nothing */
}

/* A RST on the stream to (answer false) or from port 53. */
static void
rst(bool answer)
{
	struct nfqd_dnst_seg	s;
	struct nfqd_pkt		pi;

	pkt(&pi, AF_INET, answer, 0);
	memset(&s, 0, sizeof(s));
	s.family = AF_INET;
	s.saddr = pi.saddr;
	s.daddr = pi.daddr;
	s.sport = pi.sport;
	s.dport = pi.dport;
	s.tcp_flags = 0x04;
	s.pay = (const uint8_t *)"";
	nfqd_dnst_segment(tcp, &s, ns, ignore, NULL);
}

/*
 * The model of the pending queries over UDP: those the script sent that
 * dns_learn expects, until answered or NFQD_DNSL_PENDING_S has passed.
 * The table may hold fewer (a full bucket gives its oldest up), never
 * more: an answer it takes must be for one of these.
 */
struct mquery {
	uint8_t		family;
	uint16_t	id, qtype;
	size_t		len;
	char		name[NFQD_L7_NAME_MAX + 1];
	uint64_t	deadline;
};

static struct mquery	model[SCRIPT_MAX];
static unsigned		nmodel;

static struct mquery *
model_find(uint8_t family, uint16_t id, uint16_t qtype, const char *name,
    size_t len)
{
	unsigned	i;

	for (i = 0; i < nmodel; i++)
		if (model[i].deadline > ns && model[i].family == family &&
		    model[i].id == id && model[i].qtype == qtype &&
		    model[i].len == len && memcmp(model[i].name, name, len) == 0)
			return &model[i];
	return NULL;
}

/*
 * The query q[0..len) sent from family: is it one dns_learn expects
 * (dnsanswer.c message())?  Then it waits in the model (a retransmission
 * waits as the one it repeats) and *m is what was read of it.
 */
static bool
model_query(uint8_t family, const uint8_t *q, size_t len,
    struct nfqd_dns_query *m)
{
	struct mquery	*mq;

	if (nfqd_dns_msg_parse(q, len, m) != NFQD_L7_DONE || m->opcode != 0 ||
	    m->qdcount != 1 || m->qclass != 1 ||
	    (m->qtype != 1 && m->qtype != 28) || m->qname_len == 0)
		return false;
	if ((mq = model_find(family, m->id, m->qtype, m->qname,
	    m->qname_len)) == NULL) {
		ASSERT(nmodel < SCRIPT_MAX);
		mq = &model[nmodel++];
		mq->family = family;
		mq->id = m->id;
		mq->qtype = m->qtype;
		mq->len = m->qname_len;
		memcpy(mq->name, m->qname, m->qname_len);
	}
	mq->deadline = ns + NFQD_DNSL_PENDING_S * 1000000000ull;
	return true;
}

static void	reload(const struct nfqd_dnsl_answer *);

/* One message of the script. */
static void
step(unsigned ctl, const uint8_t *data, size_t size)
{
	struct nfqd_dnsl_answer	 a;
	struct nfqd_dns_query	 m;
	struct nfqd_dnames	 dn;
	struct nfqd_pkt		 pi;
	struct mquery		*mq;
	uint8_t			*q, fam;
	uint64_t		 refused;
	unsigned		 i, k;
	bool			 named, sent = false;
	int			 r;

	ns += (uint64_t)(ctl & 0xf) * 1000000000ull;
	r = nfqd_dnsl_answer_parse(data, size, &a);
	check(&a, r);
	pkt(&pi, AF_INET, false, (uint32_t)size);
	pi.proto = 6;
	nfqd_dnsl_packet(&d, &pi, data, 0, ns);
	refused = d.c.refused;
	pkt(&pi, AF_INET, true, (uint32_t)size);
	pi.proto = 6;
	nfqd_dnsl_packet(&d, &pi, data, 0, ns);
	/* Each message takes 2 bytes at least, the cut end 1. */
	ASSERT(d.c.refused - refused <= size / 2 + 1);
	ASSERT(nfqd_dnsl_entries(tab) <= nfqd_dnsl_capacity(tab));
	if (r != 0 || size < 3) {
		if (ctl & CTL_RELOAD)
			reload(&a);
		return;
	}
	fam = a.qtype == 28 ? AF_INET6 : AF_INET;
	/* Its own query (the same bytes with QR clear), then it, then again. */
	if (!(ctl & CTL_NOQUERY)) {
		if ((q = malloc(size)) == NULL)
			abort();
		memcpy(q, data, size);
		q[2] &= 0x7f;
		pkt(&pi, fam, false, (uint32_t)size);
		nfqd_dnsl_packet(&d, &pi, q, 0, ns);
		/* Read alike by the query parser, it is this answer's. */
		sent = model_query(fam, q, size, &m) && m.qtype == a.qtype &&
		    m.id == a.id && m.qname_len == a.chain_len[0] &&
		    memcmp(m.qname, a.chain[0], m.qname_len) == 0;
		free(q);
	}
	if (ctl & CTL_NOANSWER)
		return;
	pkt(&pi, fam, true, (uint32_t)size);
	refused = d.c.refused;
	nfqd_dnsl_packet(&d, &pi, data, 0, ns);
	if (a.qtype == 1 || a.qtype == 28) {
		mq = model_find(fam, a.id, a.qtype, a.chain[0],
		    a.chain_len[0]);
		if (sent)
			ASSERT(d.c.refused == refused);
		if (d.c.refused == refused) {
			/* Taken: it was asked, over UDP, and is answered. */
			ASSERT(mq != NULL);
			mq->deadline = 0;
		}
	}
	refused = d.c.refused;
	nfqd_dnsl_packet(&d, &pi, data, 0, ns);
	if (a.qtype == 1 || a.qtype == 28)
		ASSERT(d.c.refused == refused + 1);
	ASSERT(nfqd_dnsl_entries(tab) <= nfqd_dnsl_capacity(tab));
	for (i = 0; i < a.naddrs; i++) {
		if (nfqd_dnsl_lookup(&d, a.addrs[i].family, a.addrs[i].addr,
		    (uint32_t)(ns / 1000000000ull), &dn) == 0)
			continue;	/* evicted by another of the answer's */
		for (k = 0, named = false; k < dn.n; k++)
			named |= strlen(dn.name[k]) == dn.len[k];
		ASSERT(named);
	}
	if (ctl & CTL_RELOAD)
		reload(&a);
}

/* The rules' names, as far as eviction is concerned: half of them. */
static bool
keeps(const void *arg, const char *name, size_t len)
{
	(void)arg;
	(void)name;
	return len % 2 == gen % 2;
}

/* New rules, the table swept: the answer's buckets keep their names. */
static void
reload(const struct nfqd_dnsl_answer *a)
{
	struct nfqd_dnames	 kept;
	uint32_t		 g, seq;
	unsigned		 i, k;

	nfqd_dnsl_keep(&d, keeps, NULL, ++gen);
	nfqd_dnsl_sweep(&d, (uint32_t)(ns / 1000000000ull),
	    (uint32_t)(nfqd_dnsl_capacity(tab) / NFQD_DNSL_WAYS));
	for (i = 0; i < a->naddrs; i++) {
		nfqd_dnsl_test_kept(tab, a->addrs[i].family, a->addrs[i].addr,
		    &kept, &g, &seq);
		for (k = 0; k < kept.n; k++)
			ASSERT(keeps(NULL, kept.name[k], kept.len[k]));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		*msg;
	size_t		 len;
	unsigned	 ctl, n;

	/* A new table, a fixed seed and clock, and the two TCP streams
	 * (each message a segment at sequence 0 of them, continuing,
	 * repeating or conflicting with the ones before) ended by a RST:
	 * nothing of the last input is left.  The stream table is made
	 * once (with a fixed seed too): made anew, it would cost ten times
	 * what an input does. */
	if ((tab = nfqd_dnsl_create(64, 1)) == NULL)
		abort();
	nfqd_dnsl_init(&d, tab, 1, 3600, 1);
	gen = 2;
	nfqd_dnsl_keep(&d, keeps, NULL, gen);
	if (tcp == NULL && (tcp = nfqd_dnst_new(1)) == NULL)
		abort();
	d.tcp = tcp;
	ns = 1000000000000ull;
	nmodel = 0;
	rst(false);
	rst(true);
	for (n = 0; n < SCRIPT_MAX && size >= 3; n++) {
		ctl = data[0];
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if ((msg = malloc(len > 0 ? len : 1)) == NULL)
			abort();
		memcpy(msg, data, len);
		step(ctl, msg, len);
		free(msg);
		data += len;
		size -= len;
	}
	nfqd_dnsl_destroy(tab);
	return 0;
}
