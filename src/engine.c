/*
 * The verdict for one packet (see engine.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>

#include "nfqd/classify.h"
#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/iftab.h"
#include "nfqd/netorder.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/ratelimit.h"
#include "nfqd/match.h"
#include "nfqd/ruleset.h"
#include "nfqd/shm.h"

#define DNS_PORT	53

static const struct nfqd_ruleset no_rules;

int
nfqd_engine_init(struct nfqd_engine *e, const struct nfqd_config *cf,
    const struct nfqd_ruleset *rs, struct nfqd_rule_ctr *ctr,
    struct nfqd_rate_cell *cells, const struct nfqd_iftab *ift,
    uint16_t queue)
{
	uint32_t	i;

	memset(e, 0, sizeof(*e));
	e->rs = rs != NULL ? rs : &no_rules;
	e->headers = cf->parse;
	e->default_verdict = nfqd_verdict_nf(cf->default_verdict, 0);
	e->incomplete_verdict[NFQD_PKT_OK] = e->default_verdict; /* unused */
	e->incomplete_verdict[NFQD_PKT_TRUNCATED] =
	    nfqd_verdict_nf(cf->truncated_verdict, 0);
	e->incomplete_verdict[NFQD_PKT_MALFORMED] =
	    nfqd_verdict_nf(cf->malformed_verdict, 0);
	e->incomplete_verdict[NFQD_PKT_TINY_FRAGMENT] =
	    nfqd_verdict_nf(cf->tiny_fragment_verdict, 0);
	e->incomplete_verdict[NFQD_PKT_HEADER_CHAIN] =
	    nfqd_verdict_nf(cf->header_chain_verdict, 0);
	/* A first message still incomplete cannot complete a handshake. */
	e->incomplete_verdict[NFQD_PKT_L7_PENDING] = NF_ACCEPT;
	e->incomplete_verdict[NFQD_PKT_L7_ERROR] =
	    nfqd_verdict_nf(cf->l7_error_verdict, 0);
	e->incomplete_verdict[NFQD_PKT_L7_UNTRACKED] =
	    nfqd_verdict_nf(cf->flows_full_verdict, 0);
	e->pending_mark = cf->flows_pending_mark;
	e->ctmark_bits = ~(cf->flows_pending_mark | cf->orphan_mark);
	e->queue = queue;
	e->ctr = ctr;
	e->ift = ift;
	e->cells = cells;
	if (e->rs->ncells > 0 && cells == NULL &&
	    (e->cells = e->own_cells = calloc(e->rs->ncells,
	    sizeof(*e->cells))) == NULL)
		goto fail;
	if (e->rs->keyed_rates &&
	    (e->rt = nfqd_ratetab_new(cf->rate_table_size)) == NULL)
		goto fail;
	if (nfqd_l7_init(&e->l7, cf, e->rs->l7) == -1)
		goto fail;
	nfqd_l7_prefetch_sets(&e->l7, e->rs);
	nfqd_l7_set_http(&e->l7, cf, e->rs);
	/* Log lines carry ja4= too. */
	if (e->rs->l7 && ((e->rs->all_matchers & NFQD_M_JA4) ||
	    e->rs->nlogs > 0) && nfqd_l7_want_ja4(&e->l7) == -1)
		log_warnx("queue %u: libcrypto gives no SHA-256: no JA4 "
		    "fingerprints, tls_ja4 rules will not match", queue);
	if (e->rs->nlogs > 0) {
		if ((e->log_lt = calloc(e->rs->nlogs, sizeof(*e->log_lt))) == NULL)
			goto fail;
		for (i = 0; i < e->rs->nlogs; i++)
			e->log_lt[i] = (struct nfqd_logthrottle)
			    NFQD_LOGTHROTTLE_INIT(1);
	}
	return 0;
fail:
	nfqd_engine_free(e);
	return -1;
}

/* dns_learn keeps longest the entries of names a dst_name rule names. */
static bool
dname_kept(const void *rs, const char *name, size_t len)
{
	return nfqd_rules_dname(rs, name, len);
}

void
nfqd_engine_dnsl(struct nfqd_engine *e, struct nfqd_dnsl_tab *t,
    const struct nfqd_config *cf, uint32_t self, uint32_t rules_gen)
{
	nfqd_dnsl_init(&e->dnsl, t, cf->dnsl_min_ttl, cf->dnsl_max_ttl, self);
	nfqd_dnsl_servers(&e->dnsl, cf->dnsl_servers, cf->dnsl_nservers);
	/* Rules without dst_name keep nothing: what older ones marked is
	   unmarked by the sweep all the same. */
	nfqd_dnsl_keep(&e->dnsl, (e->rs->all_matchers & NFQD_M_DNAME) ?
	    dname_kept : NULL, e->rs, rules_gen);
	if (nfqd_dnsl_tcp_init(&e->dnsl) == -1)
		log_warn("dns_learn: no table for DNS over TCP; answers "
		    "over several segments will not be learned");
}

void
nfqd_engine_qclaim(struct nfqd_engine *e, struct nfqd_qclaim_tab *t)
{
	e->l7.claims = t;
}

void
nfqd_engine_free(struct nfqd_engine *e)
{
	nfqd_l7_free(&e->l7);
	nfqd_dnsl_fini(&e->dnsl);
	free(e->own_cells);
	free(e->log_lt);
	nfqd_ratetab_free(e->rt);
	e->own_cells = NULL;
	e->log_lt = NULL;
	e->rt = NULL;
}

static void
print_addr(char *buf, size_t len, uint8_t family, const uint8_t *a)
{
	if (inet_ntop(family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

void
nfqd_pkt_summary(const struct nfqd_pkt *pi, const struct nfqd_qmsg *m,
    const struct nfqd_iftab *ift, char *buf, size_t len)
{
	static const char flagc[] = "FSRPAUEC";
	char		  src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char		  flags[10];
	const char	 *in, *out, *lb, *rb;
	size_t		  n = 0;
	unsigned	  i;

#define ADD(...)	do {						\
	if (n < len)							\
		n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);	\
} while (0)
	buf[0] = '\0';
	if (pi->family != 0) {
		print_addr(src, sizeof(src), pi->family, pi->saddr);
		print_addr(dst, sizeof(dst), pi->family, pi->daddr);
		lb = pi->family == AF_INET6 ? "[" : "";
		rb = pi->family == AF_INET6 ? "]" : "";
		switch (pi->proto) {
		case 6: ADD("TCP "); break;
		case 17: ADD("UDP "); break;
		case 1: ADD("ICMP "); break;
		case 58: ADD("ICMPv6 "); break;
		default: ADD("proto %u ", pi->proto); break;
		}
		if (pi->flags & NFQD_PKT_F_PORTS)
			ADD("%s%s%s:%u -> %s%s%s:%u", lb, src, rb, pi->sport,
			    lb, dst, rb, pi->dport);
		else
			ADD("%s -> %s", src, dst);
		if (pi->flags & NFQD_PKT_F_TCP) {
			for (i = 0, flags[0] = '\0'; i < 8; i++)
				if (pi->tcp_flags & (1u << i))
					strncat(flags, &flagc[i], 1);
			ADD(" [%s]", flags);
		}
		if (pi->flags & NFQD_PKT_F_ICMP)
			ADD(" type %u code %u", pi->icmp_type, pi->icmp_code);
		ADD(" ");
	}
	in = ift != NULL ? nfqd_iftab_name(ift, m->indev) : "";
	out = ift != NULL ? nfqd_iftab_name(ift, m->outdev) : "";
	if (*in != '\0')
		ADD("in %s ", in);
	if (*out != '\0')
		ADD("out %s ", out);
	ADD("len %u mark 0x%x", pi->len, m->mark);
	if (m->has_uid)
		ADD(" uid %u", m->uid);
#undef ADD
}

static void
log_match(struct nfqd_engine *e, const struct nfqd_rule *r,
    const struct nfqd_pkt *pi, const struct nfqd_qmsg *m, uint64_t now)
{
	char		sum[256 + sizeof(" ja4=") + NFQD_L7_JA4_LEN];
	uint64_t	missed;
	size_t		n;

	if (!log_throttle_ok(&e->log_lt[r->logslot], now, &missed))
		return;
	nfqd_pkt_summary(pi, m, e->ift, sum, sizeof(sum));
	if (pi->l7 != NULL && (pi->l7->proto == NFQD_L7P_TLS ||
	    pi->l7->proto == NFQD_L7P_QUIC) && pi->l7->ja4[0] != '\0') {
		n = strlen(sum);
		snprintf(sum + n, sizeof(sum) - n, " ja4=%.*s",
		    NFQD_L7_JA4_LEN, pi->l7->ja4);
	}
	if (missed)
		log_info("rule %s: %s: %s (and %llu more in the last second)",
		    r->name, sum, nfqd_verdict_name(r->action),
		    (unsigned long long)missed);
	else
		log_info("rule %s: %s: %s", r->name, sum,
		    nfqd_verdict_name(r->action));
}

/* What a rule that matches tells the kernel. */
struct outcome {
	uint32_t	verdict;
	uint32_t	mark;
	bool		has_mark;
};

static struct outcome
rule_outcome(const struct nfqd_rule *r)
{
	struct outcome	o;

	o.verdict = nfqd_verdict_nf(r->action, r->queue);
	o.has_mark = r->has_setmark != 0;
	o.mark = o.has_mark ? r->setmark : 0;
	return o;
}

static bool
same_outcome(const struct outcome *a, const struct outcome *b)
{
	return a->verdict == b->verdict && a->has_mark == b->has_mark &&
	    a->mark == b->mark;
}

static void
decide_by(struct nfqd_decision *d, int32_t rule, const struct outcome *o)
{
	d->rule = rule;
	d->verdict = o->verdict;
	d->has_mark = o->has_mark;
	d->mark = o->mark;
}

static inline int
next_match(const struct nfqd_engine *e, const struct nfqd_pkt *pi,
    const struct nfqd_qmsg *m, uint32_t start)
{
	if (e->linear || e->rs->cls == NULL)
		return nfqd_linear_next(e->rs, pi, m, e->ift, start);
	return nfqd_classify_next(e->rs, pi, m, e->ift, start);
}

/* A packet of len bytes decided (or counted) by rule i. */
static inline void
count_hit(struct nfqd_engine *e, uint32_t i, uint32_t len)
{
	if (e->ctr != NULL) {
		NFQD_STORE(&e->ctr[i].hits, e->ctr[i].hits + 1);
		NFQD_STORE(&e->ctr[i].bytes, e->ctr[i].bytes + len);
	}
}

/*
 * Rule i matched with every field it reads: does its rate limit let it
 * match (over the limit), and if so count and log it.
 */
static bool
take_match(struct nfqd_engine *e, uint32_t i, const struct nfqd_pkt *pi,
    const struct nfqd_qmsg *m, uint64_t now)
{
	const struct nfqd_rule	*r = &e->rs->rules[i];

	/* Under its limit a rate-limited rule does not match. */
	if ((r->matchers & NFQD_M_RATE) && !nfqd_rate_over(r, i,
	    r->cell != NFQD_NONE ? &e->cells[r->cell] : NULL, e->rt, pi, now))
		return false;
	count_hit(e, i, pi->len);
	if (r->log & NFQD_LOG_LINE)
		log_match(e, r, pi, m, now);
	if (r->log & NFQD_LOG_PCAP)
		e->capture = true;
	return true;
}

/* Every field the rules read was determined: the plain walk. */
static void
decide_whole(struct nfqd_engine *e, const struct nfqd_qmsg *m,
    const struct nfqd_pkt *pi, uint64_t now, struct nfqd_decision *d)
{
	const struct nfqd_rule	*r;
	struct outcome		 o;
	uint32_t		 start = 0;
	int			 i;

	for (;;) {
		if ((i = next_match(e, pi, m, start)) < 0) {
			e->nomatch++;
			d->rule = NFQD_DECIDED_DEFAULT;
			d->verdict = e->default_verdict;
			return;
		}
		r = &e->rs->rules[i];
		start = (uint32_t)i + 1;
		if (!take_match(e, (uint32_t)i, pi, m, now) ||
		    r->action == NFQD_VERDICT_CONTINUE)
			continue;
		o = rule_outcome(r);
		decide_by(d, i, &o);
		return;
	}
}

/*
 * Some field a rule reads was not determined.  Walk the rules in order as
 * for any packet: a rule whose fields are all known matches or not as
 * usual.  A rule that reads an unknown field and matches on everything
 * else might match the whole packet: its outcome is a possibility.  When
 * every possibility up to the first sure match (or the default) agrees,
 * that is the verdict; when two differ, nfqd cannot know which the whole
 * packet gets, and the packet gets the verdict of its kind.
 */
static void
decide_partial(struct nfqd_engine *e, const struct nfqd_qmsg *m,
    const struct nfqd_pkt *pi, uint64_t now, struct nfqd_decision *d)
{
	const struct nfqd_ruleset	*rs = e->rs;
	const struct nfqd_rule		*r;
	struct nfqd_readers		 it;
	struct outcome			 first = { 0, 0, false }, o;
	uint32_t			 start = 0, looked = 0;
	bool				 any = false;
	int				 i, j;

	nfqd_readers_init(&it, rs, (uint8_t)(rs->all_needs & ~pi->known), 0,
	    e->linear);
	for (;;) {
		i = next_match(e, pi, m, start);
		/* The rules before it that might match. */
		while ((j = nfqd_readers_next(&it, i < 0 ? rs->n :
		    (uint32_t)i)) >= 0) {
			if (++looked > NFQD_ENGINE_MAX_UNKNOWN)
				goto unsure;
			r = &rs->rules[j];
			if (r->action == NFQD_VERDICT_CONTINUE ||
			    !nfqd_rule_maybe(rs, r, pi, m, e->ift))
				continue;
			o = rule_outcome(r);
			if (!any) {
				first = o;
				any = true;
			} else if (!same_outcome(&first, &o)) {
				goto unsure;
			}
		}
		if (i < 0) {
			o.verdict = e->default_verdict;
			o.has_mark = false;
			o.mark = 0;
			if (any && !same_outcome(&first, &o))
				goto unsure;
			e->nomatch++;
			decide_by(d, NFQD_DECIDED_DEFAULT, &o);
			return;
		}
		r = &rs->rules[i];
		start = (uint32_t)i + 1;
		o = rule_outcome(r);
		if (r->action != NFQD_VERDICT_CONTINUE && any &&
		    !same_outcome(&first, &o)) {
			/* Its rate limit cannot settle it either way. */
			if (!(r->matchers & NFQD_M_RATE))
				goto unsure;
		}
		if (!take_match(e, (uint32_t)i, pi, m, now) ||
		    r->action == NFQD_VERDICT_CONTINUE)
			continue;
		if (any && !same_outcome(&first, &o))
			goto unsure;
		decide_by(d, i, &o);
		return;
	}
unsure:
	e->incomplete[pi->status]++;
	d->rule = NFQD_DECIDED_INCOMPLETE;
	d->verdict = e->incomplete_verdict[pi->status];
	d->has_mark = false;
	d->mark = 0;
}

/* The flow's kept verdict, counted to the rule that decided it. */
static void
decide_by_flow(struct nfqd_engine *e, const struct nfqd_flow *f,
    const struct nfqd_pkt *pi, struct nfqd_decision *d)
{
	d->rule = f->rule;
	d->verdict = f->verdict;
	d->has_mark = f->has_mark != 0;
	d->mark = f->mark;
	d->status = NFQD_PKT_OK;
	d->reason = NFQD_PKT_R_NONE;
	d->flow = true;
	d->ctmark = 0;		/* set when the flow was decided */
	d->capture = false;
	if (f->rule >= 0 && (uint32_t)f->rule < e->rs->n) {
		count_hit(e, (uint32_t)f->rule, pi->len);
		/* Counted to the rule, so captured like its other packets. */
		d->capture = (e->rs->rules[f->rule].log & NFQD_LOG_PCAP) != 0;
	}
}

void
nfqd_engine_prefetch(struct nfqd_engine *e, const struct nfqd_qmsg *const *m,
    struct nfqd_flow_hint *h, const struct nfqd_flow_hint **hp, unsigned n)
{
	uint32_t	v[NFQD_FLOW_PREFETCH_MAX];
	unsigned	i, nv, syn = 0;

	if (!e->headers || !e->l7.any || e->l7.flows == NULL) {
		for (i = 0; i < n; i++)
			hp[i] = NULL;
		return;
	}
	/* Each round's fetches overlap; the next round reads what came. */
	for (i = 0; i < n; i++) {
		hp[i] = NULL;
		if (m[i] != NULL && nfqd_l7_hint(&e->l7, m[i]->payload,
		    m[i]->caplen, &h[i])) {
			hp[i] = &h[i];
			syn += h[i].syn;
		}
	}
	nv = nfqd_flow_prefetch_victims(e->l7.flows, syn, v);
	for (i = 0; i < n; i++)
		if (hp[i] != NULL)
			nfqd_flow_prefetch_entry(e->l7.flows, h[i].hash);
	nfqd_flow_prefetch_chains(e->l7.flows, v, nv);
	for (i = 0; i < n; i++)
		if (hp[i] != NULL)
			nfqd_l7_hint_names(&e->l7, &h[i]);
}

void
nfqd_engine_decide(struct nfqd_engine *e, const struct nfqd_qmsg *m,
    uint64_t now, struct nfqd_decision *d)
{
	nfqd_engine_decide_hinted(e, m, NULL, now, d);
}

/* The sequence number of a TCP segment pi says is whole to its payload. */
static uint32_t
tcp_seq(const uint8_t *pkt, const struct nfqd_pkt *pi)
{
	return nfqd_get32(pkt + pi->l4off + 4);
}

/*
 * The packet also completed the messages in e->l7.more[] (HTTP requests
 * or DNS queries pipelined before the one in pi->l7; a second ClientHello
 * after it), and the rules accepted that one: each is decided on too, in
 * order, and the first that is not accepted decides the packet (counted
 * to its rule, as each accept was).
 */
static void
decide_more(struct nfqd_engine *e, const struct nfqd_qmsg *m,
    const struct nfqd_pkt *pi, uint64_t now, struct nfqd_decision *d)
{
	struct nfqd_decision	dm;
	struct nfqd_pkt		pm = *pi;
	unsigned		i;

	for (i = 0; i < e->l7.nmore; i++) {
		pm.l7 = &e->l7.more[i];
		nfqd_engine_decide_parsed(e, m, &pm, now, &dm);
		if (dm.verdict != NF_ACCEPT) {
			*d = dm;
			return;
		}
	}
}

void
nfqd_engine_decide_hinted(struct nfqd_engine *e, const struct nfqd_qmsg *m,
    const struct nfqd_flow_hint *hint, uint64_t now, struct nfqd_decision *d)
{
	struct nfqd_pkt		 pi;
	struct nfqd_flow	*f = NULL;
	struct nfqd_qmsg	 mq;
	bool			 pending = false, refused;

	if (e->headers) {
		nfqd_pkt_parse(m->payload, m->caplen, m->len, &pi);
		pi.dn = NULL;
		/*
		 * DNS answers teach the table; their verdict is the rules'.
		 * One with a wrong checksum teaches nothing (nor takes the
		 * query): the client drops it, and takes the answer after.
		 */
		if (e->dnsl.t != NULL && pi.status == NFQD_PKT_OK &&
		    (pi.proto == IPPROTO_UDP || pi.proto == IPPROTO_TCP) &&
		    (pi.sport == DNS_PORT ||
		    pi.dport == DNS_PORT) && !(pi.flags & NFQD_PKT_F_FRAGMENT) &&
		    (uint64_t)pi.payoff + pi.paylen <= pi.caplen &&
		    nfqd_l7_csum_ok(&pi, m->payload, m->skbinfo))
			nfqd_dnsl_packet(&e->dnsl, &pi, m->payload + pi.payoff,
			    pi.proto == IPPROTO_TCP ?
			    tcp_seq(m->payload, &pi) : 0, now);
		if (e->l7.any) {
			/*
			 * The pending bit is nfqd's, restored by the
			 * documented rules: the rules see the mark without it.
			 */
			if (e->pending_mark != 0 &&
			    (m->mark & e->pending_mark) != 0) {
				pending = true;
				mq = *m;
				mq.mark &= ~e->pending_mark;
				m = &mq;
			}
			f = nfqd_l7_packet(&e->l7, &pi, m->payload,
			    m->skbinfo, m->indev, pending, hint, now);
		}
	} else {
		/*
		 * No rule looks at the headers (the configuration checked it):
		 * the family from the metadata is all they can ask for.
		 */
		memset(&pi, 0, sizeof(pi));
		pi.family = m->hw_protocol == ETH_P_IP ? AF_INET :
		    m->hw_protocol == ETH_P_IPV6 ? AF_INET6 : 0;
		pi.known = NFQD_PKT_K_ALL;
		pi.len = m->len;
	}
	if (f != NULL && f->decided) {
		decide_by_flow(e, f, &pi, d);
	} else {
		if ((e->rs->all_needs & NFQD_PKT_K_DNAME) &&
		    (pi.known & NFQD_PKT_K_ADDRS) && pi.family != 0) {
			e->dn.n = 0;
			if (e->dnsl.t != NULL)
				nfqd_dnsl_lookup(&e->dnsl, pi.family, pi.daddr,
				    (uint32_t)(now / 1000000000ull), &e->dn);
			pi.dn = &e->dn;
			pi.known |= NFQD_PKT_K_DNAME;
		}
		nfqd_engine_decide_parsed(e, m, &pi, now, d);
		if (e->l7.nmore > 0 && d->verdict == NF_ACCEPT)
			decide_more(e, m, &pi, now, d);
		/* Refused on what it said, with bytes past it unread. */
		refused = e->l7.unread != 0 && d->verdict != NF_ACCEPT &&
		    d->verdict != NF_REPEAT;
		if (e->l7.unread != 0 && d->verdict == NF_ACCEPT) {
			/*
			 * The rules accepted what the packet said, and it
			 * holds bytes past that nfqd could not read: it is
			 * decided again without its fields, as one it
			 * could not read at all (counted as each decision
			 * is), and that decides the packet.
			 */
			pi.l7 = NULL;
			pi.known &= (uint8_t)~NFQD_PKT_K_L7;
			pi.status = e->l7.unread;
			nfqd_engine_decide_parsed(e, m, &pi, now, d);
		}
		/*
		 * A rule that decides flows, decided on what the flow said:
		 * later packets of it get the same without the rules.  An
		 * accept of what came with a SYN is not the flow's: the
		 * server may not have kept those bytes (docs/l7.md), so the
		 * SYN passes pending and the flow waits for them again.
		 * Any rule decides the flow when it drops (or gives to
		 * another queue) a packet whose stream bytes nfqd read and
		 * will not read again (nfqd_l7.consumed: a message, a head,
		 * framing), or whose fields it refuses before bytes nfqd
		 * could not read (refused: the flow reads no more, and
		 * l7_error_verdict may pass what is sent again): other
		 * bytes sent there later would be read by the server
		 * alone.  A repeat goes back to the kernel's
		 * rules, which either let it through or, with the
		 * documented drop mark, end the whole connection there.
		 */
		if (e->l7.tentative && d->verdict == NF_ACCEPT) {
			/* The rule's mark, if any, stays the packet's. */
			d->rule = NFQD_DECIDED_INCOMPLETE;
			d->status = NFQD_PKT_L7_PENDING;
		} else if (f != NULL && ((d->rule >= 0 &&
		    e->rs->rules[d->rule].flow &&
		    (pi.known & NFQD_PKT_K_L7)) || refused ||
		    (e->l7.consumed && d->verdict != NF_ACCEPT &&
		    d->verdict != NF_REPEAT))) {
			nfqd_l7_decided(&e->l7, f, d->rule, d->verdict,
			    d->has_mark, d->mark, now);
			/*
			 * The rule's own mark (d->mark is still the rule's
			 * here), less nfqd's per-packet bits: the pending
			 * bit stays the documented rules' business.
			 */
			if (e->connmark && d->has_mark)
				d->ctmark = d->mark & e->ctmark_bits;
		}
	}
	/*
	 * Passed while its flow's first message is incomplete: the mark bit
	 * the documented rules save to the connection, so that its later
	 * packets still come here past the connbytes window.  Any other
	 * verdict takes the bit off, so the connection leaves that state.
	 */
	if (d->rule == NFQD_DECIDED_INCOMPLETE &&
	    d->status == NFQD_PKT_L7_PENDING && e->pending_mark != 0) {
		d->mark = (d->has_mark ? d->mark : m->mark) | e->pending_mark;
		d->has_mark = true;
	} else if (pending && !d->has_mark) {
		d->has_mark = true;
		d->mark = m->mark;
	} else if (pending) {
		d->mark &= ~e->pending_mark;
	}
}

void
nfqd_engine_decide_parsed(struct nfqd_engine *e, const struct nfqd_qmsg *m,
    const struct nfqd_pkt *pi, uint64_t now, struct nfqd_decision *d)
{
	d->has_mark = false;
	d->mark = 0;
	d->status = pi->status;
	d->reason = pi->reason;
	d->flow = false;
	d->ctmark = 0;
	e->capture = false;
	if ((e->rs->all_needs & ~pi->known) == 0)
		decide_whole(e, m, pi, now, d);
	else
		decide_partial(e, m, pi, now, d);
	d->capture = e->capture;
}
