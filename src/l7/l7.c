/*
 * The application layer for the engine (see l7.h): a packet's flow, the
 * client's first bytes reassembled, the parsers asked, the fields kept.
 * Here: the entry points, the fields a parse fills, checksums, and the
 * hints that look a flow up ahead.  A UDP datagram is read in l7udp.c, a
 * TCP segment in l7tcp.c, what follows a TCP flow's first message in
 * l7second.c and l7later.c; l7int.h is what they share.
 */
#include <string.h>
#include <sys/socket.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif

#include <netinet/in.h>

#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqd/config.h"
#include "nfqd/l7.h"
#include "nfqd/l7/dns.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/http.h"
#include "nfqd/l7/ja4.h"
#include "nfqd/l7/names.h"
#include "nfqd/l7/qclaim.h"
#include "nfqd/l7/quic.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/l7/tls.h"
#include "nfqd/netorder.h"
#include "nfqd/nfqd.h"
#include "nfqd/pkt.h"
#include "nfqd/ruleset.h"

#include "l7int.h"

_Static_assert(NFQD_L7_JA4_LEN == NFQD_JA4_LEN, "a fingerprint fits");

static void
release(void *arg, struct nfqd_flow *f)
{
	struct nfqd_l7	*l = arg;

	l7_h2_release(l, f);
	if (f->ra != NULL)
		ra_drop(l, f);
}

/*
 * A TCP flow past its hello or closing timeout (the table's expire
 * hook) whose client's first message nfqd started to read: kept as
 * F_LOST in WAIT, not ended.  Ended, its connection's next segment would
 * be read from the middle (alone()), and one that holds a whole message
 * read as the first: a client that pauses past hello_timeout, or makes
 * the flow close with a RST the server ignores, would have the rest of a
 * blocked hello read as a harmless one (the last bytes of its last
 * extension), or as no TLS at all (from byte 1 on).  Kept, no client
 * byte of it is read or passed again (lost_packet()) until it has been
 * quiet for the TCP timeout; WAIT flows are evicted when the table is
 * full, so memory stays bounded, and its buffer goes back to the pool.
 *
 * "Started to read" is f->ra != NULL: with the hello unread (MORE), a
 * TCP flow has a buffer exactly when some client stream bytes were
 * added to it (client_bytes() and syn_bytes() take one for every such
 * segment they do not settle at once, l7_settle() and a decision put it
 * back); so the server may hold bytes nfqd passed.  Without one (only a
 * handshake, or bytes refused for want of a buffer: flows.full_verdict,
 * or with a wrong checksum, outside the window, discarded) nothing the
 * server may hold was passed as part of an unread hello, and the next
 * segment read from the middle starts at byte 0 or is refused: such a
 * flow ends as before, as every other does (UDP, decided, WAIT).  A flow
 * that reads on past its first message (F_RETRY, F_HNEXT: the records
 * after a hello, later requests and queries) is kept too, buffer or
 * not: the server holds its stream up to where reading goes on, and a
 * segment read from the middle could hold a whole harmless query from
 * its first byte and a blocked one from the server's next byte on.
 */
static int
keep_lost(void *arg, struct nfqd_flow *f, uint64_t now)
{
	struct nfqd_l7	*l = arg;

	(void) now;
	if (f->key.proto != IPPROTO_TCP || !(f->flags & F_CLIENT) ||
	    f->l7res != NFQD_L7_MORE ||
	    (f->ra == NULL && !(f->flags & (F_RETRY | F_HNEXT))) ||
	    (f->cls != NFQD_FC_REASM && f->cls != NFQD_FC_CLOSING))
		return -1;
	ra_drop(l, f);
	l7_h2_release(l, f);
	f->flags = (uint16_t)((f->flags & ~(F_SYNDATA | F_TFO | F_RETRY |
	    F_HNEXT)) | F_LOST);
	l->lost_flows++;
	return NFQD_FC_WAIT;
}

int
nfqd_l7_init(struct nfqd_l7 *l, const struct nfqd_config *cf, bool any)
{
	struct nfqd_flowtab_params	p;

	memset(l, 0, sizeof(*l));
	l->any = any;
	if (!l->any)
		return 0;
	l->hello_retry = cf->flows_hello_retry;
	memset(&p, 0, sizeof(p));
	p.max = cf->flows_max;
	p.timeout[NFQD_FC_WAIT] = (uint64_t)cf->flows_tcp_timeout * 1000000000ull;
	p.timeout[NFQD_FC_DECIDED] = p.timeout[NFQD_FC_WAIT];
	p.timeout[NFQD_FC_REASM] = (uint64_t)cf->flows_hello_timeout *
	    1000000000ull;
	p.timeout[NFQD_FC_CLOSING] = (uint64_t)cf->flows_closing_timeout *
	    1000000000ull;
	/*
	 * UDP flows are QUIC connections (a DNS query is read alone): while
	 * a hello is put together they are REASM like TCP's, then they keep
	 * their verdict for udp_timeout.
	 */
	p.timeout[NFQD_FC_UDP] = (uint64_t)cf->flows_udp_timeout *
	    1000000000ull;
	p.release = release;
	p.expire = keep_lost;
	p.arg = l;
	if ((l->flows = nfqd_flowtab_new(&p)) == NULL)
		return -1;
	if ((l->pool = nfqd_reasm_pool_new(cf->flows_reasm_buffers)) == NULL ||
	    (l->alone = nfqd_reasm_pool_new(1)) == NULL ||
	    (l->h2tabs = l7_h2tabs_new(cf->flows_reasm_buffers)) == NULL ||
	    (l->quic = nfqd_quic_new()) == NULL) {
		nfqd_l7_free(l);
		return -1;
	}
	return 0;
}

void
nfqd_l7_set_http(struct nfqd_l7 *l, const struct nfqd_config *cf,
    const struct nfqd_ruleset *rs)
{
	l->http_all = l->any && cf->flows_http_all && rs != NULL &&
	    (rs->all_matchers & (NFQD_M_HOST | NFQD_M_SNAME | NFQD_M_METHOD |
	    NFQD_M_PATH)) != 0;
	l->dns_all = l->any && rs != NULL &&
	    (rs->all_matchers & (NFQD_M_QNAME | NFQD_M_QTYPE | NFQD_M_L7)) !=
	    0;
}

int
nfqd_l7_want_ja4(struct nfqd_l7 *l)
{
	l->ja4 = nfqd_ja4_init() == 0;
	return l->ja4 ? 0 : -1;
}

void
nfqd_l7_free(struct nfqd_l7 *l)
{
	/* The flows left in the table are not released: the pools that
	 * hold their buffers and tables go whole, after it. */
	if (l->flows != NULL)
		nfqd_flowtab_free(l->flows);
	if (l->pool != NULL)
		nfqd_reasm_pool_free(l->pool);
	if (l->alone != NULL)
		nfqd_reasm_pool_free(l->alone);
	l7_h2tabs_free(l->h2tabs);
	nfqd_quic_free(l->quic);
	l->flows = NULL;
	l->pool = NULL;
	l->alone = NULL;
	l->h2tabs = NULL;
	l->quic = NULL;
}

void
nfqd_l7_decided(struct nfqd_l7 *l, struct nfqd_flow *f, int32_t rule,
    uint32_t verdict, bool has_mark, uint32_t mark, uint64_t now)
{
	if (l->tentative || l->consumed) {
		/*
		 * Read from a SYN's data and not accepted: that stands (a
		 * blocked hello is dropped at once, and so is every copy).
		 * Decided while reading went on (a later request, the
		 * records after a first hello): reading ends, and the
		 * buffer and header table it read with go back.
		 */
		ra_drop(l, f);
		f->l7res = fields(f)->proto == NFQD_L7P_NONE ? NFQD_L7_NOT :
		    NFQD_L7_DONE;
		l7_h2_release(l, f);
		f->flags &= (uint16_t)~(F_SYNDATA | F_TFO | F_RETRY | F_HNEXT);
	}
	f->decided = 1;
	f->rule = rule;
	f->verdict = verdict;
	f->has_mark = has_mark;
	f->mark = mark;
	if (f->key.proto == IPPROTO_UDP)
		nfqd_flow_touch(l->flows, f, NFQD_FC_UDP, now);
	else if (f->cls != NFQD_FC_CLOSING)
		nfqd_flow_touch(l->flows, f, NFQD_FC_DECIDED, now);
}

void
nfqd_l7_counts(const struct nfqd_l7 *l, struct nfqd_l7_counts *c)
{
	struct nfqd_flowtab_stats	s;

	memset(c, 0, sizeof(*c));
	if (l->flows != NULL) {
		nfqd_flowtab_stats(l->flows, &s);
		c->flows_active = s.active;
		c->flows_created = s.created;
		c->flows_evicted = s.evicted;
		c->flows_timed_out = s.timed_out;
		c->flows_full = s.full;
	}
	c->reasm_full = l->reasm_full;
	c->conflicts = l->conflicts;
	c->l7_errors = l->l7_errors;
	c->bad_csum = l->bad_csum;
	c->quic_refused = l->quic_refused;
	c->quic_claims = l->claims_taken;
	c->quic_claims_held = l->quic_claimed;
	c->quic_claims_full = l->claims_full;
	c->mptcp = l->mptcp;
	memcpy(c->names, l->names, sizeof(c->names));
}

void
nfqd_l7_expire(struct nfqd_l7 *l, uint64_t now)
{
	if (l->flows != NULL)
		nfqd_flowtab_expire(l->flows, now, 4096);
}

const char *
nfqd_l7_proto_str(unsigned proto)
{
	static const char *const names[NFQD_L7P_MAX] = {
		"none", "tls", "http", "dns", "quic",
	};

	return proto < NFQD_L7P_MAX ? names[proto] : "unknown";
}

bool
nfqd_l7_name_in(const struct nfqd_names *const *sets, unsigned n,
    const char *name, size_t len)
{
	unsigned	i;

	for (i = 0; i < n; i++)
		if (nfqd_names_match(sets[i], name, len))
			return true;
	return false;
}

static void
set_name(struct nfqd_l7fields *f, const char *name, size_t len)
{
	if (len > NFQD_L7_NAME_MAX)
		len = 0;	/* the parsers never give one */
	memcpy(f->name, name, len);
	f->name[len] = '\0';
	f->name_len = (uint8_t)len;
}

/* proto: NFQD_L7P_TLS or NFQD_L7P_QUIC, which JA4's first character says. */
void
l7_from_tls(struct nfqd_l7 *l, struct nfqd_l7fields *f,
    const struct nfqd_tls_hello *h, enum nfqd_l7_proto proto)
{
	size_t	i = 0, n;

	memset(f, 0, sizeof(*f));
	f->proto = (uint8_t)proto;
	set_name(f, h->sni, h->sni_len);
	f->ech = h->ech;
	if (l->ja4)
		nfqd_ja4(h, proto == NFQD_L7P_QUIC ? NFQD_JA4_QUIC :
		    NFQD_JA4_TCP, f->ja4);
	/* Whole entries only; a list cut short offers every protocol. */
	while (i < h->alpn_len) {
		n = 1 + (size_t)h->alpn[i];
		if (i + n > NFQD_L7_ALPN_MAX || i + n > h->alpn_len)
			break;
		i += n;
	}
	memcpy(f->alpn, h->alpn, i);
	f->alpn_len = (uint8_t)i;
	f->alpn_cut = i < h->alpn_len || h->alpn_cut;
}

void
l7_from_http(struct nfqd_l7fields *f, const struct nfqd_http_req *r)
{
	size_t	n;

	memset(f, 0, sizeof(*f));
	f->proto = NFQD_L7P_HTTP;
	set_name(f, r->host, r->host_len);
	n = r->method_len <= NFQD_L7_METHOD_MAX ? r->method_len : 0;
	memcpy(f->method, r->method, n);
	f->method_len = (uint8_t)n;
	n = r->path_len;
	if (n > NFQD_L7_PATH_MAX) {
		n = NFQD_L7_PATH_MAX;
		f->path_cut = 1;
	}
	f->path_cut |= r->path_cut;
	memcpy(f->path, r->path, n);
	f->path_len = (uint8_t)n;
}

void
l7_from_dns(struct nfqd_l7fields *f, const struct nfqd_dns_query *q)
{
	memset(f, 0, sizeof(*f));
	f->proto = NFQD_L7P_DNS;
	set_name(f, q->qname, q->qname_len);
	f->qtype = q->qtype;
}

/*
 * The ones' complement sum of p[0..n) added to sum, in 64-bit words of
 * the machine's byte order with the carries added back (RFC 1071: the
 * sum of byte-swapped words is the byte-swapped sum, and the result is
 * only compared with all ones, which reads the same either way).  n is
 * even except for the last piece of a sum.  On x86-64, 32 bytes at a
 * time in one chain of add-with-carry (the carry flag carried from word
 * to word, added back once at the end).
 */
static inline uint64_t
sum_words(uint64_t sum, const uint8_t *p, size_t n)
{
	uint64_t		 w;
	uint32_t		 d;
	uint16_t		 h;
	uint8_t			 last[2];
#ifdef __x86_64__
	unsigned long long	 s = sum, x, y, z;
	unsigned char		 c = 0;

	for (; n >= 32; n -= 32, p += 32) {
		memcpy(&w, p, 8);
		memcpy(&x, p + 8, 8);
		memcpy(&y, p + 16, 8);
		memcpy(&z, p + 24, 8);
		c = _addcarry_u64(c, s, w, &s);
		c = _addcarry_u64(c, s, x, &s);
		c = _addcarry_u64(c, s, y, &s);
		c = _addcarry_u64(c, s, z, &s);
	}
	sum = s + c;
	sum += sum < c;
#endif
	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, sizeof(w));
		sum += w;
		sum += sum < w;
	}
	if (n >= 4) {
		memcpy(&d, p, sizeof(d));
		sum += d;
		sum += sum < d;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		memcpy(&h, p, sizeof(h));
		sum += h;
		sum += sum < h;
		p += 2;
		n -= 2;
	}
	if (n == 1) {
		last[0] = p[0];
		last[1] = 0;
		memcpy(&h, last, sizeof(h));
		sum += h;
		sum += sum < h;
	}
	return sum;
}

uint64_t
nfqd_l7_sum_words(uint64_t sum, const uint8_t *p, size_t n)
{
	return sum_words(sum, p, n);
}

/*
 * Is the TCP or UDP checksum right?  A segment the receiver would discard
 * must not be read as part of a hello: a client could send nfqd a
 * harmless hello the server never sees, then the real one as a
 * "retransmission" (a QUIC datagram likewise).  The kernel says which
 * packets nobody verified yet (NFQA_SKB_CSUM_NOTVERIFIED); the others
 * were verified by the device, or are built here and checksummed later
 * (NFQA_SKB_CSUMNOTREADY), and the receiver will not check them either.
 * A UDP checksum of 0 over IPv4 is none (RFC 768); over IPv6 Linux drops
 * it, and so does the sum below.
 */
bool
nfqd_l7_csum_ok(const struct nfqd_pkt *pi, const uint8_t *data, uint32_t skbinfo)
{
	uint32_t	len = pi->payoff + pi->paylen - pi->l4off;
	unsigned	alen = pi->family == AF_INET ? 4 : 16;
	uint8_t		ph[8];
	uint64_t	sum;

	if (!(skbinfo & NFQA_SKB_CSUM_NOTVERIFIED))
		return true;
	if (pi->proto == IPPROTO_UDP && pi->family == AF_INET &&
	    nfqd_get16(data + pi->l4off + 6) == 0)
		return true;
	/* The pseudo header: addresses, the length as IPv6's 32 bits (its
	   16-bit words add up the same as IPv4's 16-bit length, for any
	   length IPv4 can have) and the protocol. */
	ph[0] = (uint8_t)(len >> 24);
	ph[1] = (uint8_t)(len >> 16);
	ph[2] = (uint8_t)(len >> 8);
	ph[3] = (uint8_t)len;
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = pi->proto;
	sum = sum_words(0, pi->saddr, alen);
	sum = sum_words(sum, pi->daddr, alen);
	sum = sum_words(sum, ph, sizeof(ph));
	sum = sum_words(sum, data + pi->l4off, len);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* The message is final: keep it, free the buffer, say it. */
void
l7_settle(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    enum nfqd_l7_res res)
{
	struct nfqd_l7fields	*fl = fields(f);

	if (f->ra != NULL)
		ra_drop(l, f);
	l7_h2_release(l, f);
	f->flags &= (uint16_t)~(F_SYNDATA | F_TFO | F_RETRY | F_HNEXT);
	f->l7res = (uint8_t)res;
	/*
	 * What the packet completed is read (nfqd_l7 consumed: a TCP
	 * stream's bytes, a QUIC hello's CRYPTO bytes).  Refused,
	 * l7_error_verdict is the flow's from now on, whatever bytes come.
	 */
	l->consumed = res != NFQD_L7_BAD;
	if (res == NFQD_L7_BAD)
		unknown(pi, NFQD_PKT_L7_ERROR);
	else
		known(pi, fl);
}

struct nfqd_flow *
nfqd_l7_packet(struct nfqd_l7 *l, struct nfqd_pkt *pi, const uint8_t *data,
    uint32_t skbinfo, uint32_t indev, bool pending,
    const struct nfqd_flow_hint *hint, uint64_t now)
{
	struct nfqd_flow	*f = NULL;

	pi->l7 = NULL;
	l->tentative = false;
	l->consumed = false;
	l->unread = 0;
	l->hello.valid = false;
	l->req.valid = false;
	l->nheads = l->nmore = 0;
	if (!l->any)
		return NULL;
	if (pi->status != NFQD_PKT_OK)
		return NULL;	/* the headers' own status stands */
	/*
	 * Nothing to read (the parse said so with NFQD_PKT_K_L7 and no
	 * fields): another protocol, or a later fragment, which has no
	 * transport header (the first fragment decides the datagram).
	 */
	if ((pi->proto != IPPROTO_TCP && pi->proto != IPPROTO_UDP) ||
	    (pi->flags & NFQD_PKT_F_LATER_FRAG))
		return NULL;
	if ((pi->flags & NFQD_PKT_F_FRAGMENT) ||
	    (uint64_t)pi->payoff + pi->paylen > pi->caplen) {
		/*
		 * A first fragment holds part of the payload, and a copy
		 * range may cut it: what is missing could hold the name.
		 */
		unknown(pi, (pi->flags & NFQD_PKT_F_FRAGMENT) ?
		    NFQD_PKT_L7_ERROR : NFQD_PKT_TRUNCATED);
		return NULL;
	}
	if (pi->proto == IPPROTO_UDP)
		l7_udp_packet(l, pi, data, skbinfo, indev, now, hint, &f);
	else
		l7_tcp_packet(l, pi, data, skbinfo, indev, pending, now, hint,
		    &f);
	return f;
}

void
nfqd_l7_prefetch_sets(struct nfqd_l7 *l, const struct nfqd_ruleset *rs)
{
	static const unsigned	 keys[] = { NFQD_NK_SNI, NFQD_NK_SNAME };
	const struct nfqd_names	*s;
	uint32_t		 i, j;
	unsigned		 k, m;
	bool			 named;

	l->npf_sets = 0;
	if (l->flows == NULL || rs == NULL)
		return;
	for (j = 0; j < rs->nsets && l->npf_sets < NFQD_L7_PF_SETS; j++) {
		s = rs->sets[j].names;
		if (s == NULL || nfqd_names_bytes(s) < NFQD_L7_PF_BYTES)
			continue;
		named = false;
		for (i = 0; i < rs->nl7x && !named; i++)
			for (k = 0; k < NFQD_ARRAY_SIZE(keys); k++)
				for (m = 0; m < rs->l7x[i].nsets[keys[k]]; m++)
					if (rs->l7x[i].sets[keys[k]][m] == s)
						named = true;
		if (named)
			l->pf_sets[l->npf_sets++] = s;
	}
}

/*
 * A TCP segment's payload that starts a ClientHello with a server name:
 * that name's slots in pf_sets on their way, and its suffixes' hashes in
 * the first set kept in h for nfqd_l7_hint_names().  tcp, len: the TCP
 * header and what follows, as far as captured.
 */
static void
peek_names(struct nfqd_l7 *l, const uint8_t *tcp, uint32_t len,
    struct nfqd_flow_hint *h)
{
	char		 name[NFQD_L7_NAME_MAX + 1];
	const uint8_t	*sni;
	uint32_t	 off = (uint32_t)(tcp[12] >> 4) * 4;
	size_t		 n;
	unsigned	 i;
	int		 r;

	if (off < 20 || off >= len ||
	    (sni = nfqd_tls_sni_peek(tcp + off, len - off, &n)) == NULL ||
	    (r = nfqd_l7_name_norm(name, sni, n)) < 0)
		return;
	/* The first set's hashes kept for the names' round (h->names). */
	h->nnames = (uint8_t)nfqd_names_prefetch(l->pf_sets[0], name,
	    (size_t)r, h->names, NFQD_HINT_NAMES);
	for (i = 1; i < l->npf_sets; i++)
		(void) nfqd_names_prefetch(l->pf_sets[i], name, (size_t)r,
		    NULL, 0);
	l->sni_peeks++;
}

/*
 * The shortcut: IPv4 without fragmentation, IPv6 whose first header is
 * TCP or UDP.  What it gets wrong only costs the hash again (key_hash).
 */
bool
nfqd_l7_hint(struct nfqd_l7 *l, const uint8_t *p, uint32_t len,
    struct nfqd_flow_hint *h)
{
	const uint8_t	*q;
	uint32_t	 hl;
	uint16_t	 sport, dport;
	uint8_t		 family, proto;

	if (!l->any || l->flows == NULL || p == NULL || len < 20)
		return false;
	switch (p[0] >> 4) {
	case 4:
		hl = (uint32_t)(p[0] & 0x0f) * 4;
		/* MF or an offset: a fragment */
		if (hl < 20 || (p[6] & 0x3f) != 0 || p[7] != 0)
			return false;
		family = AF_INET;
		proto = p[9];
		q = p + 12;
		break;
	case 6:
		hl = 40;
		family = AF_INET6;
		proto = p[6];
		q = p + 8;
		break;
	default:
		return false;
	}
	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    len < hl + (proto == IPPROTO_TCP ? 14 : 4))
		return false;
	sport = (uint16_t)(p[hl] << 8 | p[hl + 1]);
	dport = (uint16_t)(p[hl + 2] << 8 | p[hl + 3]);
	/* A DNS datagram is read alone (l7_udp_packet): no flow to look up. */
	if (proto == IPPROTO_UDP && (sport == DNS_PORT || dport == DNS_PORT))
		return false;
	nfqd_flow_key_make(&h->key, family, proto, q,
	    q + (family == AF_INET ? 4 : 16), sport, dport, NULL);
	h->syn = proto == IPPROTO_TCP &&
	    (p[hl + 13] & (TH_SYN | TH_ACK)) == TH_SYN;
	h->t = l->flows;
	h->hash = nfqd_flow_hash(l->flows, &h->key);
	nfqd_flow_prefetch_head(l->flows, h->hash);
	h->nnames = 0;
	if (l->npf_sets > 0 && proto == IPPROTO_TCP && !h->syn)
		peek_names(l, p + hl, len - hl, h);
	return true;
}

void
nfqd_l7_hint_names(const struct nfqd_l7 *l, const struct nfqd_flow_hint *h)
{
	if (h->nnames > 0 && l->npf_sets > 0)
		nfqd_names_prefetch_names(l->pf_sets[0], h->names, h->nnames);
}
