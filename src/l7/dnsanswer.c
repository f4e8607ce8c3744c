/*
 * Reading DNS answers for dns_learn (dnslearn.h), and the datagrams that
 * feed the tables: queries expected, answers matched to them and learned.
 *
 * An answer is read twice.  The first pass checks every record of the
 * answer section it reads (at most NFQD_DNSL_RRS_MAX): owner names as
 * the question's (compression pointers only backwards, a hop limit,
 * 255 bytes), ten bytes of type, class, TTL and length, rdata inside
 * the message, A rdata of 4 bytes, AAAA of 16, a CNAME's target a name
 * that ends exactly at the end of its rdata; and keeps the CNAMEs.  The
 * chain is then followed from the question's name: a CNAME that leads
 * back onto it, a chain longer than NFQD_DNSL_CHAIN_MAX names, or two
 * CNAMEs for one name refuse the answer.  The second pass takes the
 * records of the question's type whose owner is on the chain; others
 * are ignored.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include "nfqd/l7/dns.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/l7/dnstcp.h"
#include "nfqd/netorder.h"
#include "nfqd/pkt.h"

#define T_A		1
#define T_CNAME		5
#define T_AAAA		28
#define C_IN		1
#define DNS_PORT	53

static const char *const whys[NFQD_DNSL_R_MAX] = {
	[NFQD_DNSL_R_NONE] = "no problem",
	[NFQD_DNSL_R_HEADER] = "not a response, or its question unreadable",
	[NFQD_DNSL_R_RR] = "an answer record cut short or its name refused",
	[NFQD_DNSL_R_RDLEN] = "an A, AAAA or CNAME record's rdata of the "
	    "wrong length",
	[NFQD_DNSL_R_CHAIN_LOOP] = "a CNAME chain that loops",
	[NFQD_DNSL_R_CHAIN_LONG] = "a CNAME chain over 8 names",
	[NFQD_DNSL_R_CHAIN_FORK] = "two CNAMEs for one name",
};

const char *
nfqd_dnsl_why_str(unsigned why)
{
	return why < NFQD_DNSL_R_MAX ? whys[why] : "unknown";
}

/* One resource record's fixed part, read and checked. */
struct rr {
	uint16_t	type, class;
	uint32_t	ttl;
	size_t		rdata, rdlen;
};

static int
read_rr(const uint8_t *msg, size_t len, size_t *pos, char *owner,
    struct rr *r)
{
	size_t	next;
	uint8_t	why;

	if (nfqd_dns_name_read(msg, len, *pos, owner, &next, &why) < 0)
		return -1;
	if (len - next < 10)
		return -1;
	r->type = nfqd_get16(msg + next);
	r->class = nfqd_get16(msg + next + 2);
	r->ttl = nfqd_get32(msg + next + 4);
	/* RFC 2181 8: a TTL with the top bit set is zero. */
	if (r->ttl & 0x80000000u)
		r->ttl = 0;
	r->rdlen = nfqd_get16(msg + next + 8);
	r->rdata = next + 10;
	if (len - r->rdata < r->rdlen)
		return -1;
	*pos = r->rdata + r->rdlen;
	return 0;
}

static int
refuse(struct nfqd_dnsl_answer *a, enum nfqd_dnsl_why why)
{
	a->why = (uint8_t)why;
	a->naddrs = 0;
	return -1;
}

/* The index of name on the chain, or -1. */
static int
on_chain(const struct nfqd_dnsl_answer *a, const char *name)
{
	unsigned	i;

	for (i = 0; i < a->nchain; i++)
		if (strcmp(a->chain[i], name) == 0)
			return (int)i;
	return -1;
}

int
nfqd_dnsl_answer_parse(const uint8_t *msg, size_t len,
    struct nfqd_dnsl_answer *a)
{
	/* The CNAMEs: owner, target, TTL. */
	char		 cn_from[NFQD_DNSL_CNAMES_MAX][NFQD_L7_NAME_MAX + 1];
	char		 cn_to[NFQD_DNSL_CNAMES_MAX][NFQD_L7_NAME_MAX + 1];
	uint32_t	 cn_ttl[NFQD_DNSL_CNAMES_MAX];
	uint32_t	 link_ttl[NFQD_DNSL_CHAIN_MAX];
	char		 owner[NFQD_L7_NAME_MAX + 1];
	struct nfqd_dns_query q;
	struct rr	 r;
	size_t		 pos, next, start;
	unsigned	 ncn = 0, nrr, i, k, found;
	uint8_t		 why;
	int		 n, link;

	memset(a, 0, offsetof(struct nfqd_dnsl_answer, chain));
	a->naddrs = 0;
	a->ignored = 0;
	if (nfqd_dns_msg_parse(msg, len, &q) != NFQD_L7_DONE ||
	    !q.response || q.qdcount != 1 || q.qname_len == 0)
		return refuse(a, NFQD_DNSL_R_HEADER);
	a->id = q.id;
	a->qtype = q.qtype;
	a->rcode = msg[3] & 0x0f;
	memcpy(a->chain[0], q.qname, (size_t)q.qname_len + 1);
	a->chain_len[0] = (uint8_t)q.qname_len;
	a->nchain = 1;
	if (q.opcode != 0 || a->rcode != 0 || q.qclass != C_IN)
		return 0;	/* nothing to learn */
	/* Past the question, which nfqd_dns_msg_parse() read whole. */
	if (nfqd_dns_name_read(msg, len, NFQD_DNS_HDR, owner, &next,
	    &why) < 0)
		return refuse(a, NFQD_DNSL_R_HEADER);
	start = next + 4;
	nrr = nfqd_get16(msg + 6);
	if (nrr > NFQD_DNSL_RRS_MAX)
		nrr = NFQD_DNSL_RRS_MAX;

	/* First pass: every record checked, the CNAMEs kept. */
	for (i = 0, pos = start; i < nrr; i++) {
		if (read_rr(msg, len, &pos, owner, &r) == -1)
			return refuse(a, NFQD_DNSL_R_RR);
		if (r.class != C_IN)
			continue;
		if ((r.type == T_A && r.rdlen != 4) ||
		    (r.type == T_AAAA && r.rdlen != 16))
			return refuse(a, NFQD_DNSL_R_RDLEN);
		if (r.type != T_CNAME)
			continue;
		if (ncn == NFQD_DNSL_CNAMES_MAX)
			continue;	/* the chain may end short */
		/* The target is read inside the message (pointers to
		   before it), and must fill the rdata exactly. */
		if ((n = nfqd_dns_name_read(msg, len, r.rdata, cn_to[ncn],
		    &next, &why)) < 0)
			return refuse(a, NFQD_DNSL_R_RR);
		if (n == 0 || next != r.rdata + r.rdlen)
			return refuse(a, NFQD_DNSL_R_RDLEN);
		memcpy(cn_from[ncn], owner, sizeof(owner));
		cn_ttl[ncn] = r.ttl;
		ncn++;
	}

	/* The chain from the question's name. */
	link_ttl[0] = UINT32_MAX;
	for (k = 0;; k++) {
		for (i = 0, found = ncn; i < ncn; i++) {
			if (strcmp(cn_from[i], a->chain[k]) != 0)
				continue;
			if (found != ncn)
				return refuse(a, NFQD_DNSL_R_CHAIN_FORK);
			found = i;
		}
		if (found == ncn)
			break;
		if (on_chain(a, cn_to[found]) >= 0)
			return refuse(a, NFQD_DNSL_R_CHAIN_LOOP);
		if (a->nchain == NFQD_DNSL_CHAIN_MAX)
			return refuse(a, NFQD_DNSL_R_CHAIN_LONG);
		memcpy(a->chain[a->nchain], cn_to[found],
		    strlen(cn_to[found]) + 1);
		a->chain_len[a->nchain] = (uint8_t)strlen(cn_to[found]);
		/* The least TTL on the way there. */
		link_ttl[a->nchain] = cn_ttl[found] < link_ttl[k] ?
		    cn_ttl[found] : link_ttl[k];
		a->nchain++;
	}

	/* Second pass: the question's type, on the chain. */
	if (a->qtype != T_A && a->qtype != T_AAAA)
		return 0;
	for (i = 0, pos = start; i < nrr; i++) {
		if (read_rr(msg, len, &pos, owner, &r) == -1)
			return refuse(a, NFQD_DNSL_R_RR);	/* not reached */
		if (r.class != C_IN || r.type != a->qtype)
			continue;
		if ((link = on_chain(a, owner)) < 0) {
			a->ignored++;
			continue;
		}
		if (a->naddrs == NFQD_DNSL_ADDRS_MAX)
			continue;
		a->addrs[a->naddrs].family = r.type == T_A ? AF_INET :
		    AF_INET6;
		a->addrs[a->naddrs].link = (uint8_t)link;
		a->addrs[a->naddrs].ttl = r.ttl < link_ttl[link] ? r.ttl :
		    link_ttl[link];
		memset(a->addrs[a->naddrs].addr, 0, 16);
		memcpy(a->addrs[a->naddrs].addr, msg + r.rdata, r.rdlen);
		a->naddrs++;
	}
	return 0;
}

static bool
learnable_type(uint16_t t)
{
	return t == T_A || t == T_AAAA;
}

/*
 * The pending query a packet stands for: the question itself (reply
 * false) or the answer to it (reply true, its addresses and ports the
 * other way round).  qname is normalized, qlen <= NFQD_L7_NAME_MAX.
 */
static void
query_of(struct nfqd_dnsl_query *q, const struct nfqd_pkt *pi, bool reply,
    uint16_t id, uint16_t qtype, const char *qname, size_t qlen)
{
	memset(q, 0, sizeof(*q));
	q->family = pi->family;
	q->proto = pi->proto;
	memcpy(q->client, reply ? pi->daddr : pi->saddr, 16);
	memcpy(q->server, reply ? pi->saddr : pi->daddr, 16);
	q->port = reply ? pi->dport : pi->sport;
	q->id = id;
	q->qtype = qtype;
	q->qlen = (uint8_t)qlen;
	memcpy(q->qname, qname, qlen + 1);
}

/*
 * Whether the server at addr is one learned from (dns_learn.servers): an
 * answer from another is refused, a query to another is not kept.
 */
static bool
trusted(const struct nfqd_dnsl *d, uint8_t family, const uint8_t *addr)
{
	return d->nservers == 0 ||
	    nfqd_cidrs_match(d->servers, d->nservers, family, addr);
}

static void
answer(struct nfqd_dnsl *d, const struct nfqd_pkt *pi, const uint8_t *pay,
    size_t len, uint64_t now_ns)
{
	struct nfqd_dnsl_answer	 a;
	struct nfqd_dnsl_query	 q;
	uint32_t		 now = (uint32_t)(now_ns / 1000000000ull);
	unsigned		 i, k, last = 0;
	bool			 keep[NFQD_DNSL_CHAIN_MAX];

	if (nfqd_dnsl_answer_parse(pay, len, &a) == -1) {
		d->c.refused++;
		return;
	}
	if (!learnable_type(a.qtype))
		return;		/* never expected: nothing to say */
	if (!trusted(d, pi->family, pi->saddr)) {
		d->c.refused++;		/* not a server learned from */
		return;
	}
	query_of(&q, pi, true, a.id, a.qtype, a.chain[0], a.chain_len[0]);
	if (!nfqd_dnsl_take(d, &q, now_ns)) {
		d->c.refused++;		/* no query of ours: unsolicited */
		return;
	}
	/*
	 * Each name an address is learned for asked once, whatever number
	 * of addresses it has: the chain up to the farthest address's
	 * owner.  The names past it have no address in this answer, and
	 * each rule's question of them was work for nothing (a chain of 8
	 * names with the address at the question's own: 7 of 8).
	 */
	for (i = 0; i < a.naddrs; i++)
		if (a.addrs[i].link > last)
			last = a.addrs[i].link;
	for (k = 0; a.naddrs > 0 && k <= last; k++)
		keep[k] = nfqd_dnsl_kept(d, a.chain[k], a.chain_len[k]);
	for (i = 0; i < a.naddrs; i++)
		for (k = 0; k <= a.addrs[i].link; k++)
			nfqd_dnsl_learn(d, a.addrs[i].family, a.addrs[i].addr,
			    a.chain[k], a.chain_len[k], a.addrs[i].ttl, now,
			    keep[k]);
}

/* One DNS message of len bytes at msg: a query expected, or an answer. */
static void
message(struct nfqd_dnsl *d, const struct nfqd_pkt *pi, const uint8_t *msg,
    size_t len, uint64_t now_ns)
{
	struct nfqd_dns_query	 m;
	struct nfqd_dnsl_query	 q;

	if (len < 3)
		return;
	if (pi->sport == DNS_PORT && (msg[2] & 0x80)) {
		answer(d, pi, msg, len, now_ns);
		return;
	}
	if (pi->dport != DNS_PORT || (msg[2] & 0x80) ||
	    !trusted(d, pi->family, pi->daddr))
		return;
	if (nfqd_dns_msg_parse(msg, len, &m) != NFQD_L7_DONE ||
	    m.opcode != 0 || m.qdcount != 1 || m.qclass != C_IN ||
	    !learnable_type(m.qtype) || m.qname_len == 0)
		return;
	query_of(&q, pi, false, m.id, m.qtype, m.qname, m.qname_len);
	nfqd_dnsl_expect(d, &q, now_ns);
}

/* A message of a TCP stream, handed over by nfqd_dnst_segment(). */
struct tcpctx {
	struct nfqd_dnsl	*d;
	const struct nfqd_pkt	*pi;
	uint64_t		 now_ns;
};

static void
tcp_message(void *arg, const uint8_t *msg, size_t len)
{
	struct tcpctx	*c = arg;

	message(c->d, c->pi, msg, len, c->now_ns);
}

/*
 * Over TCP each message has a 2-byte length before it (RFC 1035 4.2.2).
 * With the worker's stream table (d->tcp, dnstcp.h) a message is read
 * once all its segments have come; a message that cannot be put together
 * (too big, a retransmission that differs, no buffer free), or that is
 * still incomplete when its connection ends (RST), goes silent or gives
 * way for room, counts, from port 53, as an answer refused.  Without the table (it could not be
 * made) only the messages whole in a segment from its first byte on are
 * read, and a segment from port 53 that ends inside one is counted.
 */
static void
tcp_segment(struct nfqd_dnsl *d, const struct nfqd_pkt *pi,
    const uint8_t *pay, uint32_t seq, uint64_t now_ns)
{
	struct nfqd_dnst_seg	 s;
	struct tcpctx		 c = { d, pi, now_ns };
	uint64_t		 ab;

	if (d->tcp != NULL) {
		s.family = pi->family;
		s.saddr = pi->saddr;
		s.daddr = pi->daddr;
		s.sport = pi->sport;
		s.dport = pi->dport;
		s.seq = seq;
		s.tcp_flags = pi->tcp_flags;
		s.pay = pay;
		s.len = pi->paylen;
		ab = nfqd_dnst_abandoned(d->tcp);
		if ((nfqd_dnst_segment(d->tcp, &s, now_ns, tcp_message, &c) &
		    NFQD_DNST_LOST) && pi->sport == DNS_PORT)
			d->c.refused++;
		/* Answers other streams left incomplete (ended, evicted). */
		d->c.refused += nfqd_dnst_abandoned(d->tcp) - ab;
		return;
	}
	if (nfqd_dnst_whole(pay, pi->paylen, tcp_message, &c) < pi->paylen &&
	    pi->sport == DNS_PORT)
		d->c.refused++;
}

void
nfqd_dnsl_packet(struct nfqd_dnsl *d, const struct nfqd_pkt *pi,
    const uint8_t *pay, uint32_t seq, uint64_t now_ns)
{
	if (d->t == NULL)
		return;
	if (pi->proto == IPPROTO_UDP)
		message(d, pi, pay, pi->paylen, now_ns);
	else if (pi->proto == IPPROTO_TCP)
		tcp_segment(d, pi, pay, seq, now_ns);
}
