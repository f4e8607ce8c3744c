/*
 * libFuzzer target for dns_learn's answer parser and tables
 * (nfqd_dnsl_answer_parse(), nfqd_dnsl_packet(), nfqd_dnsl_lookup()).
 *
 * Input: a DNS response, the tail of libFuzzer's buffer (a read past len
 * is a read past the allocation).  Asserts what dnslearn.h promises:
 *   - -1: why is one of the reasons, no address;
 *   - 0: 1 to NFQD_DNSL_CHAIN_MAX names on the chain, each its length,
 *     none twice, lower case; at most NFQD_DNSL_ADDRS_MAX addresses, each
 *     of the question's family and at a link of the chain; no TTL over
 *     the top bit;
 *   - fed to a small table after its own query, then replayed: the table
 *     never holds more than its capacity, the replay is refused, and
 *     every address learned looks up to a name on the chain;
 *   - every input also as a TCP segment to and from port 53 (read as
 *     length-prefixed messages, through the worker's stream table, each
 *     input at sequence number 0 of the same two streams): at most one
 *     answer refused per message it can hold and one for a cut end, the
 *     table within its capacity.
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
#include "nfqd/pkt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

static struct nfqd_dnsl_tab	*tab;
static struct nfqd_dnsl		 d;
static uint64_t			 ns = 1000000000000ull;

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfqd_dnsl_answer	 a;
	struct nfqd_dnames	 dn;
	struct nfqd_pkt		 pi;
	uint8_t			*q;
	uint64_t		 refused;
	unsigned		 i, k;
	bool			 named;
	int			 r;

	if (tab == NULL) {
		if ((tab = nfqd_dnsl_create(64, 1)) == NULL)
			abort();
		nfqd_dnsl_init(&d, tab, 1, 3600, 1);
		/* TCP streams too: each input a segment at sequence 0,
		 * continuing, repeating or conflicting with the ones before. */
		if (nfqd_dnsl_tcp_init(&d) == -1)
			abort();
	}
	r = nfqd_dnsl_answer_parse(data, size, &a);
	check(&a, r);
	ns += 1000000000ull;
	if (size <= UINT32_MAX) {
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
	}
	if (r != 0 || size < 3)
		return 0;
	/* Its own query (the same bytes with QR clear), then it, then again. */
	if ((q = malloc(size)) == NULL)
		abort();
	memcpy(q, data, size);
	q[2] &= 0x7f;
	pkt(&pi, a.qtype == 28 ? AF_INET6 : AF_INET, false, (uint32_t)size);
	nfqd_dnsl_packet(&d, &pi, q, 0, ns);
	free(q);
	pkt(&pi, a.qtype == 28 ? AF_INET6 : AF_INET, true, (uint32_t)size);
	nfqd_dnsl_packet(&d, &pi, data, 0, ns);
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
	return 0;
}
