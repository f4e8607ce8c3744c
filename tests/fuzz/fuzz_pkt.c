/*
 * libFuzzer target for nfqd_pkt_parse().
 *
 * Input: 2 bytes that choose origlen, then the captured bytes.  The top 2
 * bits of the (big-endian) control word pick the mode, the low 14 bits n:
 *   0: origlen = caplen (the whole packet was copied)
 *   1: origlen = caplen + n (a copy range cut it)
 *   2: origlen = caplen + n * 16 (up to 256 KiB: GSO, jumbograms)
 *   3: origlen = n (may be below caplen, which the parser must take as
 *      caplen)
 * The captured bytes are the tail of libFuzzer's buffer, so a read past
 * caplen is a read past the allocation.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-fno-sanitize-recover=all -D_GNU_SOURCE -Iinclude \
 *	-o fuzz_pkt tests/fuzz/fuzz_pkt.c src/pkt.c
 *   ./fuzz_pkt -max_total_time=60 corpus-copy tests/fuzz/corpus/pkt
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/pkt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

#define L4FLAGS	(NFQD_PKT_F_PORTS | NFQD_PKT_F_ICMP | NFQD_PKT_F_TCP)
#define ALLFLAGS (NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_LATER_FRAG | \
		  NFQD_PKT_F_FIRST_FRAG | L4FLAGS)

struct guarded {
	uint8_t			before[32];
	struct nfqd_pkt	pi;
	uint8_t			after[32];
};

static int
all(const uint8_t *p, size_t n, uint8_t v)
{
	while (n-- > 0)
		if (*p++ != v)
			return 0;
	return 1;
}

static int
zero(const uint8_t *p, size_t n)
{
	return all(p, n, 0);
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static void
check_ok(const struct nfqd_pkt *pi, const uint8_t *data)
{
	uint32_t	hl;
	int		ports;

	ASSERT(pi->reason == NFQD_PKT_R_NONE);
	ASSERT(pi->family == AF_INET || pi->family == AF_INET6);
	ASSERT(pi->l4off <= pi->payoff);
	ASSERT(pi->payoff <= pi->iplen);
	ASSERT(pi->iplen <= pi->len);
	/* A UDP payload ends at the UDP length (0: a jumbogram's, all). */
	if (pi->proto == IPPROTO_UDP && (pi->flags & NFQD_PKT_F_PORTS) &&
	    !(pi->flags & NFQD_PKT_F_FRAGMENT) &&
	    get16(data + pi->l4off + 4) != 0)
		ASSERT(pi->paylen == get16(data + pi->l4off + 4) - 8u &&
		    pi->payoff + pi->paylen <= pi->iplen);
	else
		ASSERT(pi->paylen == pi->iplen - pi->payoff);
	/* Every header before L4 was captured. */
	/* Headers the walk passed need not be captured beyond their first bytes. */
	if (pi->family == AF_INET) {
		hl = (uint32_t)(data[0] & 0x0f) * 4;
		ASSERT(pi->caplen >= 20 && hl >= 20 && pi->l4off == hl);
		ASSERT(pi->proto == data[9]);
		ASSERT(memcmp(pi->saddr, data + 12, 4) == 0);
		ASSERT(memcmp(pi->daddr, data + 16, 4) == 0);
		ASSERT(zero(pi->saddr + 4, 12) && zero(pi->daddr + 4, 12));
		ASSERT(pi->iplen == get16(data + 2) ||
		    (get16(data + 2) == 0 && pi->iplen == pi->len &&
		    pi->len > 65535));
	} else {
		ASSERT(pi->caplen >= 40 && pi->l4off >= 40);
		ASSERT(pi->l4off <= 40 + NFQD_PKT_MAX_EXT * 2048);
		ASSERT(memcmp(pi->saddr, data + 8, 16) == 0);
		ASSERT(memcmp(pi->daddr, data + 24, 16) == 0);
	}

	ASSERT((pi->flags & ~ALLFLAGS) == 0);
	if (pi->flags & NFQD_PKT_F_LATER_FRAG) {
		ASSERT(pi->flags & NFQD_PKT_F_FRAGMENT);
		ASSERT((pi->flags & L4FLAGS) == 0);
		ASSERT(pi->payoff == pi->l4off);
	}
	if (pi->flags & NFQD_PKT_F_TCP) {
		ASSERT(pi->flags & NFQD_PKT_F_PORTS);
		ASSERT(pi->proto == IPPROTO_TCP);
		ASSERT(pi->l4off + 20 <= pi->caplen);
		ASSERT(pi->tcp_flags == data[pi->l4off + 13]);
		ASSERT(pi->payoff - pi->l4off ==
		    (uint32_t)(data[pi->l4off + 12] >> 4) * 4);
		ASSERT(pi->payoff - pi->l4off >= 20);
	} else
		ASSERT(pi->tcp_flags == 0);
	if (pi->flags & NFQD_PKT_F_ICMP) {
		ASSERT(!(pi->flags & NFQD_PKT_F_PORTS));
		ASSERT(pi->family == AF_INET ? pi->proto == IPPROTO_ICMP :
		    pi->proto == IPPROTO_ICMPV6);
		ASSERT(pi->l4off + 4 <= pi->caplen);
		ASSERT(pi->icmp_type == data[pi->l4off]);
		ASSERT(pi->icmp_code == data[pi->l4off + 1]);
		ASSERT(pi->payoff - pi->l4off == 4 ||
		    pi->payoff - pi->l4off == 8);
	} else
		ASSERT(pi->icmp_type == 0 && pi->icmp_code == 0);
	if (pi->flags & NFQD_PKT_F_PORTS) {
		ASSERT(pi->proto == IPPROTO_TCP || pi->proto == IPPROTO_UDP ||
		    pi->proto == IPPROTO_UDPLITE ||
		    pi->proto == IPPROTO_SCTP || pi->proto == IPPROTO_DCCP);
		ASSERT(pi->l4off + 8 <= pi->caplen);
		ASSERT(pi->sport == get16(data + pi->l4off));
		ASSERT(pi->dport == get16(data + pi->l4off + 2));
	} else
		ASSERT(pi->sport == 0 && pi->dport == 0);

	/* Not a later fragment: a known L4 header was parsed or not there. */
	if (!(pi->flags & NFQD_PKT_F_LATER_FRAG)) {
		ports = pi->proto == IPPROTO_TCP || pi->proto == IPPROTO_UDP ||
		    pi->proto == IPPROTO_UDPLITE ||
		    pi->proto == IPPROTO_SCTP || pi->proto == IPPROTO_DCCP;
		ASSERT(ports == !!(pi->flags & NFQD_PKT_F_PORTS));
		ASSERT((pi->proto == IPPROTO_TCP) ==
		    !!(pi->flags & NFQD_PKT_F_TCP));
	}
}

static int
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	    proto == IPPROTO_DCCP;
}

/* What every result says, whatever its status. */
static void
check_known(const struct nfqd_pkt *pi, const uint8_t *data)
{
	uint8_t	k = pi->known;

	ASSERT((k & ~NFQD_PKT_K_ALL) == 0);
	ASSERT((pi->flags & ~ALLFLAGS) == 0);
	/* Each field is known only once what it rests on is. */
	if (k & NFQD_PKT_K_ADDRS)
		ASSERT(k & NFQD_PKT_K_FAMILY);
	if (k & NFQD_PKT_K_PROTO)
		ASSERT(k & NFQD_PKT_K_ADDRS);
	if (k & (NFQD_PKT_K_PORTS | NFQD_PKT_K_TCPFLAGS | NFQD_PKT_K_ICMP))
		ASSERT(k & NFQD_PKT_K_PROTO);
	ASSERT((k & NFQD_PKT_K_FAMILY) == (pi->family != 0 ?
	    NFQD_PKT_K_FAMILY : 0));
	if (k & NFQD_PKT_K_FAMILY)
		ASSERT(pi->family == (data[0] >> 4 == 4 ? AF_INET : AF_INET6));
	if (k & NFQD_PKT_K_ADDRS) {
		if (pi->family == AF_INET) {
			ASSERT(pi->caplen >= 20);
			ASSERT(memcmp(pi->saddr, data + 12, 4) == 0);
			ASSERT(memcmp(pi->daddr, data + 16, 4) == 0);
		} else {
			ASSERT(pi->caplen >= 40);
			ASSERT(memcmp(pi->saddr, data + 8, 16) == 0);
			ASSERT(memcmp(pi->daddr, data + 24, 16) == 0);
		}
	} else {
		ASSERT(zero(pi->saddr, 16) && zero(pi->daddr, 16));
	}
	if ((k & NFQD_PKT_K_PROTO) && pi->family == AF_INET)
		ASSERT(pi->proto == data[9]);
	if (!(k & NFQD_PKT_K_PROTO))
		ASSERT(pi->proto == 0);
	/* A field found is a field known, of a protocol that has it. */
	if (pi->flags & NFQD_PKT_F_PORTS)
		ASSERT((k & NFQD_PKT_K_PORTS) && has_ports(pi->proto));
	else
		ASSERT(pi->sport == 0 && pi->dport == 0);
	if (pi->flags & NFQD_PKT_F_TCP)
		ASSERT((k & NFQD_PKT_K_TCPFLAGS) && pi->proto == IPPROTO_TCP &&
		    (pi->flags & NFQD_PKT_F_PORTS));
	else
		ASSERT(pi->tcp_flags == 0);
	if (pi->flags & NFQD_PKT_F_ICMP)
		ASSERT((k & NFQD_PKT_K_ICMP) && (pi->proto == IPPROTO_ICMP ||
		    pi->proto == IPPROTO_ICMPV6));
	else
		ASSERT(pi->icmp_type == 0 && pi->icmp_code == 0);
	/* A known protocol's fields, once known, are there or not. */
	if ((k & NFQD_PKT_K_PORTS) && !(pi->flags & NFQD_PKT_F_LATER_FRAG))
		ASSERT(has_ports(pi->proto) == !!(pi->flags &
		    NFQD_PKT_F_PORTS));
	if ((k & NFQD_PKT_K_TCPFLAGS) && !(pi->flags & NFQD_PKT_F_LATER_FRAG))
		ASSERT((pi->proto == IPPROTO_TCP) == !!(pi->flags &
		    NFQD_PKT_F_TCP));
	if (pi->flags & NFQD_PKT_F_FIRST_FRAG)
		ASSERT((pi->flags & NFQD_PKT_F_FRAGMENT) &&
		    !(pi->flags & NFQD_PKT_F_LATER_FRAG));
	/* Only a whole parse knows everything, and only it has offsets. */
	if (pi->status == NFQD_PKT_OK)
		ASSERT(k == NFQD_PKT_K_ALL);
	else
		ASSERT(pi->l4off == 0 && pi->payoff == 0 && pi->paylen == 0);
}

static void
check_fail(const struct nfqd_pkt *pi, const uint8_t *data)
{
	ASSERT(pi->reason != NFQD_PKT_R_NONE && pi->reason < NFQD_PKT_R_MAX);
	if (pi->reason == NFQD_PKT_R_EMPTY || pi->reason == NFQD_PKT_R_VERSION) {
		ASSERT(pi->status == NFQD_PKT_MALFORMED);
		ASSERT(pi->known == 0 && pi->flags == 0);
		ASSERT((pi->reason == NFQD_PKT_R_EMPTY) == (pi->caplen == 0));
	} else {
		ASSERT(pi->caplen > 0);
		ASSERT(data[0] >> 4 == 4 || data[0] >> 4 == 6);
	}
	switch (pi->reason) {
	case NFQD_PKT_R_L3_SHORT:
	case NFQD_PKT_R_EXT_SHORT:
	case NFQD_PKT_R_L4_SHORT:
		ASSERT(pi->status == NFQD_PKT_TRUNCATED);
		break;
	case NFQD_PKT_R_FRAG_L4:
	case NFQD_PKT_R_FRAG_EXT:
		ASSERT(pi->status == NFQD_PKT_TINY_FRAGMENT);
		ASSERT(pi->flags & NFQD_PKT_F_FIRST_FRAG);
		break;
	case NFQD_PKT_R_EXT_COUNT:
		ASSERT(pi->status == NFQD_PKT_HEADER_CHAIN);
		ASSERT(pi->family == AF_INET6);
		break;
	default:
		ASSERT(pi->status == NFQD_PKT_MALFORMED);
		break;
	}
	/* A whole packet is only "truncated" when shorter than an IP header. */
	if (pi->status == NFQD_PKT_TRUNCATED && pi->caplen == pi->len)
		ASSERT(pi->reason == NFQD_PKT_R_L3_SHORT &&
		    pi->caplen < (pi->family == AF_INET ? 20u : 40u));
	if (pi->reason == NFQD_PKT_R_IHL || pi->reason == NFQD_PKT_R_EXT_LEN ||
	    pi->reason == NFQD_PKT_R_EXT_SHORT ||
	    pi->reason == NFQD_PKT_R_FRAG_EXT)
		ASSERT(pi->family == (pi->reason == NFQD_PKT_R_IHL ? AF_INET :
		    AF_INET6));
}

/*
 * A shorter capture of the same packet never claims more, and what it
 * claims is what the longer one read.
 */
static void
check_prefix(const struct nfqd_pkt *full, const struct nfqd_pkt *p)
{
	uint8_t	k = p->known;

	ASSERT((k & ~full->known) == 0);
	ASSERT(p->family == ((k & NFQD_PKT_K_FAMILY) ? full->family : 0));
	if (k & NFQD_PKT_K_ADDRS)
		ASSERT(memcmp(p->saddr, full->saddr, 16) == 0 &&
		    memcmp(p->daddr, full->daddr, 16) == 0);
	if (k & NFQD_PKT_K_PROTO)
		ASSERT(p->proto == full->proto);
	if (k & NFQD_PKT_K_PORTS)
		ASSERT(!((p->flags ^ full->flags) & NFQD_PKT_F_PORTS) &&
		    p->sport == full->sport && p->dport == full->dport);
	if (k & NFQD_PKT_K_TCPFLAGS)
		ASSERT(!((p->flags ^ full->flags) & NFQD_PKT_F_TCP) &&
		    p->tcp_flags == full->tcp_flags);
	if (k & NFQD_PKT_K_ICMP)
		ASSERT(!((p->flags ^ full->flags) & NFQD_PKT_F_ICMP) &&
		    p->icmp_type == full->icmp_type &&
		    p->icmp_code == full->icmp_code);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static struct guarded	 g1, g2;
	const uint8_t		*data;
	uint32_t		 caplen, origlen, n;
	int			 r;

	if (size < 2 || size - 2 > UINT32_MAX)
		return 0;
	data = in + 2;
	caplen = (uint32_t)(size - 2);
	n = get16(in) & 0x3fff;
	switch (in[0] >> 6) {
	case 0:
		origlen = caplen;
		break;
	case 1:
		origlen = caplen + n;
		break;
	case 2:
		origlen = caplen + n * 16;
		break;
	default:
		origlen = n;
		break;
	}

	memset(&g1, 0x5a, sizeof(g1));
	r = nfqd_pkt_parse(data, caplen, origlen, &g1.pi);
	ASSERT(r == g1.pi.status);
	ASSERT(all(g1.before, sizeof(g1.before), 0x5a));
	ASSERT(all(g1.after, sizeof(g1.after), 0x5a));
	ASSERT(r >= NFQD_PKT_OK && r < NFQD_PKT_STATUS_MAX);
	ASSERT(g1.pi.reason < NFQD_PKT_R_MAX);
	ASSERT((g1.pi.reason == NFQD_PKT_R_NONE) == (r == NFQD_PKT_OK));
	ASSERT(g1.pi.family == 0 || g1.pi.family == AF_INET ||
	    g1.pi.family == AF_INET6);
	ASSERT(g1.pi.caplen == caplen);
	ASSERT(g1.pi.len == (origlen < caplen ? caplen : origlen));
	ASSERT(strcmp(nfqd_pkt_reason_str(g1.pi.reason), "unknown") != 0);
	check_known(&g1.pi, data);
	if (r == NFQD_PKT_OK)
		check_ok(&g1.pi, data);
	else
		check_fail(&g1.pi, data);

	/* Cut at an offset the input picks; origlen as before. */
	if (caplen > 1) {
		memset(&g2, 0, sizeof(g2));
		nfqd_pkt_parse(data, (n * 7919) % caplen, origlen < caplen ?
		    caplen : origlen, &g2.pi);
		check_known(&g2.pi, data);
		check_prefix(&g1.pi, &g2.pi);
	}

	/* Nothing depends on what pi held before. */
	memset(&g2, 0xa5, sizeof(g2));
	nfqd_pkt_parse(data, caplen, origlen, &g2.pi);
	ASSERT(memcmp(&g1.pi, &g2.pi, sizeof(g1.pi)) == 0);
	ASSERT(all(g2.before, sizeof(g2.before), 0xa5));
	ASSERT(all(g2.after, sizeof(g2.after), 0xa5));
	return 0;
}
