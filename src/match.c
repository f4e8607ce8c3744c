/*
 * Matching one rule against one packet (see match.h).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/iftab.h"
#include "nfqd/l7.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/l7/names.h"
#include "nfqd/match.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"

/* Is addr (of family) inside c? */
static bool
in_cidr(const struct nfqd_cidr *c, uint8_t family, const uint8_t *addr)
{
	unsigned	full = c->plen / 8, rem = c->plen % 8;

	if (c->family != family || memcmp(addr, c->addr, full) != 0)
		return false;
	return rem == 0 ||
	    ((addr[full] ^ c->addr[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

/*
 * A list matches when the address is in one of its positive prefixes (or
 * it has none) and in none of its negative ones.
 */
bool
nfqd_cidrs_match(const struct nfqd_cidr *v, uint32_t n, uint8_t family,
    const uint8_t *addr)
{
	bool		havepos = false, pos = false;
	uint32_t	i;

	for (i = 0; i < n; i++) {
		if (v[i].neg) {
			if (in_cidr(&v[i], family, addr))
				return false;
		} else {
			havepos = true;
			if (!pos && in_cidr(&v[i], family, addr))
				pos = true;
		}
	}
	return !havepos || pos;
}

static bool
match_iface(const struct nfqd_ifmatch *im, uint32_t ifindex,
    const struct nfqd_iftab *ift)
{
	const char	*name = ift != NULL ? nfqd_iftab_name(ift, ifindex) : "";
	bool		 eq;

	if (im->prefix)
		eq = strncmp(name, im->name, im->len) == 0;
	else
		eq = strcmp(name, im->name) == 0;
	return eq != (im->neg != 0);
}

/*
 * Is one of the packed (length, bytes) elements of v equal to p (prefix:
 * a prefix of p)?  An element that runs past vlen ends the list.
 */
static bool
in_list(const uint8_t *v, size_t vlen, const void *p, size_t len,
    bool prefix)
{
	size_t	i, n;

	for (i = 0; i < vlen && (n = v[i]) < vlen - i; i += 1 + n)
		if ((prefix ? n <= len : n == len) &&
		    memcmp(&v[i + 1], p, n) == 0)
			return true;
	return false;
}

static bool
name_in(const struct nfqd_rule_l7 *x, enum nfqd_name_key k,
    const struct nfqd_l7fields *f)
{
	return f->name_len > 0 && nfqd_l7_name_in(x->sets[k], x->nsets[k],
	    f->name, f->name_len);
}

/*
 * The fingerprint against tls_ja4's sets, which hold it as a name: folded
 * to lower case, as a set folds its elements.  None ("") matches nothing.
 */
static bool
ja4_in(const struct nfqd_rule_l7 *x, const struct nfqd_l7fields *f)
{
	char	low[NFQD_L7_JA4_LEN];
	size_t	i;

	for (i = 0; i < NFQD_L7_JA4_LEN && f->ja4[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)f->ja4[i]);
	return i == NFQD_L7_JA4_LEN && nfqd_l7_name_in(x->sets[NFQD_NK_JA4],
	    x->nsets[NFQD_NK_JA4], low, i);
}

/* The application layer's matchers in mt (l7.h: pi->l7, NULL for none). */
/* A TLS ClientHello, over TCP or in QUIC Initials. */
static inline bool
hello(const struct nfqd_l7fields *f)
{
	return f->proto == NFQD_L7P_TLS || f->proto == NFQD_L7P_QUIC;
}

static bool
match_l7(const struct nfqd_ruleset *rs, const struct nfqd_rule *r,
    const struct nfqd_pkt *pi, uint32_t mt)
{
	static const struct nfqd_l7fields none;
	const struct nfqd_rule_l7	*x = &rs->l7x[r->l7x];
	const struct nfqd_l7fields	*f = pi->l7 != NULL ? pi->l7 : &none;
	unsigned			 i;
	bool				 any;

	if ((mt & NFQD_M_L7) && f->proto != x->proto)
		return false;
	if ((mt & NFQD_M_SNI) && (!hello(f) ||
	    !name_in(x, NFQD_NK_SNI, f)))
		return false;
	if ((mt & NFQD_M_HOST) && (f->proto != NFQD_L7P_HTTP ||
	    !name_in(x, NFQD_NK_HOST, f)))
		return false;
	if ((mt & NFQD_M_QNAME) && (f->proto != NFQD_L7P_DNS ||
	    !name_in(x, NFQD_NK_QNAME, f)))
		return false;
	if ((mt & NFQD_M_SNAME) && ((!hello(f) &&
	    f->proto != NFQD_L7P_HTTP) || !name_in(x, NFQD_NK_SNAME, f)))
		return false;
	if ((mt & NFQD_M_ECH) && (!hello(f) ||
	    f->ech != x->ech))
		return false;
	if ((mt & NFQD_M_JA4) && (!hello(f) ||
	    !ja4_in(x, f)))
		return false;
	/* A list cut short (alpn_cut) offers every protocol. */
	if (mt & NFQD_M_ALPN) {
		if (!hello(f))
			return false;
		for (i = 0, any = f->alpn_cut != 0; !any && i < x->alpn_len;
		    i += 1 + (unsigned)x->alpn[i])
			any = in_list(f->alpn, f->alpn_len, &x->alpn[i + 1],
			    x->alpn[i], false);
		if (!any)
			return false;
	}
	if ((mt & NFQD_M_METHOD) && (f->proto != NFQD_L7P_HTTP ||
	    !in_list(x->method, x->method_len, f->method, f->method_len,
	    false)))
		return false;
	if ((mt & NFQD_M_PATH) && (f->proto != NFQD_L7P_HTTP ||
	    !in_list(x->path, x->path_len, f->path, f->path_len, true)))
		return false;
	if (mt & NFQD_M_QTYPE) {
		if (f->proto != NFQD_L7P_DNS)
			return false;
		for (i = 0; i < x->nqtypes && x->qtypes[i] != f->qtype; i++)
			;
		if (i == x->nqtypes)
			return false;
	}
	return true;
}

/* dst_name's test of one name: is it in the rule's sets? */
static inline bool
dname_is(const struct nfqd_rule_l7 *x, const char *name, size_t len)
{
	return nfqd_l7_name_in(x->sets[NFQD_NK_DNAME],
	    x->nsets[NFQD_NK_DNAME], name, len);
}

/*
 * dst_name: any of the names learned for the destination address is in
 * the rule's sets (a CDN address learned for several names matches a
 * rule on any of them).
 */
static bool
dname_in(const struct nfqd_rule_l7 *x, const struct nfqd_dnames *dn)
{
	unsigned	i;

	if (dn == NULL)
		return false;
	for (i = 0; i < dn->n; i++)
		if (dname_is(x, dn->name[i], dn->len[i]))
			return true;
	return false;
}

/* The union of every rule's sets (nfqd_l7_dname_union()): the same
 * answer as asking each rule's, in one lookup per distinct set. */
bool
nfqd_rules_dname(const struct nfqd_ruleset *rs, const char *name,
    size_t len)
{
	uint32_t	i;

	if (rs->dname_own != NULL && nfqd_names_match(rs->dname_own, name,
	    len))
		return true;
	for (i = 0; i < rs->ndname_sets; i++)
		if (nfqd_names_match(rs->dname_sets[i], name, len))
			return true;
	return false;
}

bool
nfqd_rules_dname_walk(const struct nfqd_ruleset *rs, const char *name,
    size_t len)
{
	uint32_t	i;

	for (i = 0; i < rs->n; i++)
		if ((rs->rules[i].matchers & NFQD_M_DNAME) &&
		    dname_is(&rs->l7x[rs->rules[i].l7x], name, len))
			return true;
	return false;
}

/* The matchers that read the fields in k (NFQD_PKT_K_*). */
static uint32_t
matchers_reading(uint8_t k)
{
	uint32_t	mt = 0;

	if (k & NFQD_PKT_K_FAMILY)
		mt |= NFQD_M_FAMILY | NFQD_M_SRC | NFQD_M_DST;
	if (k & NFQD_PKT_K_ADDRS)
		mt |= NFQD_M_SRC | NFQD_M_DST;
	if (k & NFQD_PKT_K_PROTO)
		mt |= NFQD_M_PROTO | NFQD_M_SPORT | NFQD_M_DPORT |
		    NFQD_M_TCPFLAGS | NFQD_M_ICMPTYPE | NFQD_M_ICMPCODE;
	if (k & NFQD_PKT_K_PORTS)
		mt |= NFQD_M_SPORT | NFQD_M_DPORT;
	if (k & NFQD_PKT_K_TCPFLAGS)
		mt |= NFQD_M_TCPFLAGS;
	if (k & NFQD_PKT_K_ICMP)
		mt |= NFQD_M_ICMPTYPE | NFQD_M_ICMPCODE;
	if (k & NFQD_PKT_K_L7)
		mt |= NFQD_M_L7ALL;
	if (k & (NFQD_PKT_K_DNAME | NFQD_PKT_K_ADDRS | NFQD_PKT_K_FAMILY))
		mt |= NFQD_M_DNAME;
	return mt;
}

/* The matchers in mt (a subset of r's) against the packet. */
static inline bool
match_some(const struct nfqd_ruleset *rs, const struct nfqd_rule *r,
    const struct nfqd_pkt *pi, const struct nfqd_qmsg *m,
    const struct nfqd_iftab *ift, uint32_t mt)
{

	if ((mt & NFQD_M_FAMILY) && pi->family != r->family)
		return false;
	if ((mt & NFQD_M_PROTO) && pi->proto != r->proto)
		return false;
	if ((mt & NFQD_M_SRC) && !nfqd_cidrs_match(&rs->cidrs[r->src_off],
	    r->src_n, pi->family, pi->saddr))
		return false;
	if ((mt & NFQD_M_DST) && !nfqd_cidrs_match(&rs->cidrs[r->dst_off],
	    r->dst_n, pi->family, pi->daddr))
		return false;
	/* A port matcher, even negated, only matches packets with ports. */
	if (mt & (NFQD_M_SPORT | NFQD_M_DPORT)) {
		if (!(pi->flags & NFQD_PKT_F_PORTS))
			return false;
		if ((mt & NFQD_M_SPORT) && !nfqd_ports_match(
		    &rs->ports[r->sport_off], r->sport_n, pi->sport))
			return false;
		if ((mt & NFQD_M_DPORT) && !nfqd_ports_match(
		    &rs->ports[r->dport_off], r->dport_n, pi->dport))
			return false;
	}
	if ((mt & NFQD_M_TCPFLAGS) && (!(pi->flags & NFQD_PKT_F_TCP) ||
	    (pi->tcp_flags & r->tcp_mask) != r->tcp_val))
		return false;
	if (mt & (NFQD_M_ICMPTYPE | NFQD_M_ICMPCODE)) {
		if (!(pi->flags & NFQD_PKT_F_ICMP))
			return false;
		if ((mt & NFQD_M_ICMPTYPE) && pi->icmp_type != r->icmp_type)
			return false;
		if ((mt & NFQD_M_ICMPCODE) && pi->icmp_code != r->icmp_code)
			return false;
	}
	if ((mt & NFQD_M_LENGTH) && (pi->len < r->len_lo || pi->len > r->len_hi))
		return false;
	if ((mt & NFQD_M_MARK) && (m->mark & r->mark_mask) != r->mark_val)
		return false;
	if ((mt & NFQD_M_UID) && (!m->has_uid || m->uid < r->uid_lo ||
	    m->uid > r->uid_hi))
		return false;
	if ((mt & NFQD_M_GID) && (!m->has_gid || m->gid < r->gid_lo ||
	    m->gid > r->gid_hi))
		return false;
	if ((mt & NFQD_M_IN) && !match_iface(&r->in, m->indev, ift))
		return false;
	if ((mt & NFQD_M_OUT) && !match_iface(&r->out, m->outdev, ift))
		return false;
	if ((mt & NFQD_M_L7ALL) && !match_l7(rs, r, pi, mt))
		return false;
	if ((mt & NFQD_M_DNAME) && !dname_in(&rs->l7x[r->l7x], pi->dn))
		return false;
	return true;
}

bool
nfqd_rule_match(const struct nfqd_ruleset *rs, const struct nfqd_rule *r,
    const struct nfqd_pkt *pi, const struct nfqd_qmsg *m,
    const struct nfqd_iftab *ift)
{
	if (r->needs & ~pi->known)
		return false;
	return match_some(rs, r, pi, m, ift, r->matchers);
}

bool
nfqd_rule_maybe(const struct nfqd_ruleset *rs, const struct nfqd_rule *r,
    const struct nfqd_pkt *pi, const struct nfqd_qmsg *m,
    const struct nfqd_iftab *ift)
{
	return match_some(rs, r, pi, m, ift, r->matchers &
	    ~matchers_reading((uint8_t)~pi->known));
}
