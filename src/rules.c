/*
 * Rules: reading and validating rules = ( ... ) from the configuration
 * (each key through rulekeys.c's table), checking each rule as a whole,
 * and compiling the set for the classifier.
 *
 * Every mistake in a rule is an error naming the file, the line and the
 * rule; an interface that does not exist (yet) is only a warning.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/cfgutil.h"
#include "nfqd/classify.h"
#include "nfqd/iftab.h"
#include "nfqd/ipproto.h"
#include "nfqd/nfqd.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/rulekeys.h"
#include "nfqd/rules.h"
#include "nfqd/util.h"
#include "nfqd/yield.h"

/*
 * The load's yield (yield.h) once every RULES_YIELD rules.  A rule takes
 * 1 to 2 us to read (200,000 mixed rules in 0.25 s; one with long lists
 * more), the yield a look at the clock (25 ns) when it has nothing to do:
 * every 32 rules it costs under 0.1% and comes every 30 to 60 us, far
 * inside the master's 20 ms (master.c, LOAD_TICK_MS) even for rules of
 * hundreds of addresses or names each.
 */
#define RULES_YIELD	32

/* Does any positive prefix of the list have this family?  (0: none.) */
static unsigned
families_of(const struct nfqd_ruleset *rs, uint32_t off, uint32_t n)
{
	unsigned	f = 0;
	uint32_t	i;

	for (i = 0; i < n; i++)
		if (!rs->cidrs[off + i].neg)
			f |= rs->cidrs[off + i].family == AF_INET ? 1 : 2;
	return f;
}

/* Checks between the settings of one rule. */
static void
check_rule(struct nfqd_ruleload *l, config_setting_t *g)
{
	struct nfqd_rule	*r = l->r;
	struct nfqd_ruleset	*rs = l->rs;
	char			 pb[16];
	unsigned		 fs, fd, fam;
	long long		 v;

	if (l->verdict == NULL) {
		cfg_err_at(l->c, g, "needs a verdict (accept, drop, repeat, "
		    "queue or continue)");
		return;
	}
	if (r->action == NFQD_VERDICT_QUEUE && l->queue == NULL)
		cfg_err_at(l->c, l->verdict, "verdict \"queue\" needs queue = "
		    "N, the queue to send packets to");
	if (r->action != NFQD_VERDICT_QUEUE && l->queue != NULL)
		rerr(l, l->queue, "only verdict \"queue\" sends to a queue");
	if (r->action == NFQD_VERDICT_QUEUE && l->queue_ok &&
	    r->queue >= l->qfirst && r->queue < l->qfirst + l->qcount)
		rerr(l, l->queue, "queue %u is served by this nfqd (queues %u "
		    "to %u): the packet would come straight back", r->queue,
		    l->qfirst, l->qfirst + l->qcount - 1);
	if (r->action == NFQD_VERDICT_REPEAT && !r->has_setmark)
		cfg_err_at(l->c, l->verdict, "verdict \"repeat\" needs mark = "
		    "N: the NFQUEUE rule must skip packets with that mark, or "
		    "they loop (see docs/rules.md)");
	if (r->has_setmark && r->action != NFQD_VERDICT_ACCEPT &&
	    r->action != NFQD_VERDICT_REPEAT)
		rerr(l, l->setmark, "only verdicts \"accept\" and \"repeat\" "
		    "set a mark (to match a mark, write mark = \"value/mask\")");

	if (l->burst != NULL) {
		if (l->rate == NULL)
			rerr(l, l->burst, "needs rate = \"N/s\"");
		else if (cfg_int(l->c, l->burst, 1, NFQD_RULE_MAX_RATE, &v) == 0 &&
		    (r->matchers & NFQD_M_RATE)) {
			if (r->rate_cost > UINT64_MAX / 2 / (uint64_t)v)
				rerr(l, l->burst, "%lld packets at this rate "
				    "take centuries to refill; lower the burst "
				    "or raise the rate", v);
			else
				r->rate_burst = r->rate_cost * (uint64_t)v;
		}
	}
	if (l->per != NULL && l->rate == NULL)
		rerr(l, l->per, "needs rate = \"N/s\"");

	/* Families must agree: the rule could never match otherwise. */
	fs = families_of(rs, r->src_off, r->src_n);
	fd = families_of(rs, r->dst_off, r->dst_n);
	fam = r->family == AF_INET ? 1 : r->family == AF_INET6 ? 2 : 3;
	if ((r->matchers & NFQD_M_PROTO) && r->proto == IPPROTO_ICMP)
		fam &= 1;
	if ((r->matchers & NFQD_M_PROTO) && r->proto == IPPROTO_ICMPV6)
		fam &= 2;
	if (l->family != NULL && fam == 0)
		rerr(l, l->proto, "%s is not a protocol of %s",
		    r->proto == IPPROTO_ICMP ? "icmp" : "icmpv6",
		    r->family == AF_INET ? "ipv4" : "ipv6");
	else if (fs != 0 && (fs & fam) == 0)
		rerr(l, l->src, "no prefix of the rule's family (%s)",
		    fam == 1 ? "ipv4" : "ipv6");
	else if (fd != 0 && (fd & fam & (fs != 0 ? fs : 3)) == 0)
		rerr(l, l->dst, "no prefix of the same family as %s",
		    fs != 0 ? "src" : "the rule");

	/*
	 * On IPv6 these numbers are extension headers, which the parser walks
	 * past: pi->proto is the transport protocol after them.
	 */
	if ((r->matchers & NFQD_M_PROTO) && nfqd_proto_ip6_ext(r->proto)) {
		fam &= fs != 0 ? fs : 3;
		fam &= fd != 0 ? fd : 3;
		if (fam == 2)
			rerr(l, l->proto, "%s is an IPv6 extension header, which "
			    "nfqd reads past to the transport protocol: the "
			    "rule can never match", nfqd_proto_name(r->proto, pb,
			    sizeof(pb)));
		else if (fam == 3)
			cfg_warn_at(l->c, l->proto, "proto: %s matches IPv4 "
			    "packets only: on IPv6 it is an extension header, "
			    "which nfqd reads past to the transport protocol "
			    "(add family = \"ipv4\" to say so)",
			    nfqd_proto_name(r->proto, pb, sizeof(pb)));
	}
	if ((r->matchers & (NFQD_M_SPORT | NFQD_M_DPORT)) &&
	    (r->matchers & NFQD_M_PROTO) && !nfqd_proto_has_ports(r->proto))
		rerr(l, l->sport != NULL ? l->sport : l->dport, "%s has no "
		    "ports (tcp, udp, udplite, sctp and dccp have)",
		    nfqd_proto_name(r->proto, pb, sizeof(pb)));
	if ((r->matchers & NFQD_M_TCPFLAGS) && (r->matchers & NFQD_M_PROTO) &&
	    r->proto != IPPROTO_TCP)
		rerr(l, l->tcpflags, "needs proto \"tcp\", not \"%s\"",
		    nfqd_proto_name(r->proto, pb, sizeof(pb)));
	if ((r->matchers & (NFQD_M_ICMPTYPE | NFQD_M_ICMPCODE)) &&
	    (r->matchers & NFQD_M_PROTO) && r->proto != IPPROTO_ICMP &&
	    r->proto != IPPROTO_ICMPV6)
		rerr(l, l->icmp, "needs proto \"icmp\" or \"icmpv6\", not "
		    "\"%s\"", nfqd_proto_name(r->proto, pb, sizeof(pb)));
	nfqd_l7_rule_check(l);
}

/* FNV-1a over the definition: what decides whether counters carry over. */
static uint64_t
def_hash(const struct nfqd_ruleset *rs, const struct nfqd_rule *r)
{
	struct nfqd_rule	 t = *r;
	uint64_t		 h = NFQD_FNV_INIT;
	uint32_t		 i;

	memset(t.name, 0, sizeof(t.name));
	t.line = 0;
	t.defhash = 0;
	t.src_off = t.dst_off = t.sport_off = t.dport_off = 0;
	h = nfqd_fnv1a(h, &t, sizeof(t));
	for (i = 0; i < r->src_n; i++)
		h = nfqd_fnv1a(h, &rs->cidrs[r->src_off + i],
		    sizeof(struct nfqd_cidr));
	h = nfqd_fnv1a(h, "/", 1);
	for (i = 0; i < r->dst_n; i++)
		h = nfqd_fnv1a(h, &rs->cidrs[r->dst_off + i],
		    sizeof(struct nfqd_cidr));
	h = nfqd_fnv1a(h, "/", 1);
	for (i = 0; i < r->sport_n; i++)
		h = nfqd_fnv1a(h, &rs->ports[r->sport_off + i],
		    sizeof(struct nfqd_prange));
	h = nfqd_fnv1a(h, "/", 1);
	for (i = 0; i < r->dport_n; i++)
		h = nfqd_fnv1a(h, &rs->ports[r->dport_off + i],
		    sizeof(struct nfqd_prange));
	return h;
}

static bool
good_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isgraph((unsigned char)*s) || *s == '"' || *s == '\\')
			return false;
	return true;
}

static void
read_rule(struct nfqd_ruleload *l, config_setting_t *g, uint32_t idx)
{
	struct nfqd_rule	*r;
	config_setting_t	*s, *ns;
	const char		*name = NULL;
	int			 i, before = l->c->errors;

	l->rs->rules = nfqd_ruleload_grow(l, l->rs->rules, l->rs->n,
	    &l->cap_rules, sizeof(*r));
	if (l->rs->rules == NULL)
		return;
	r = &l->rs->rules[l->rs->n];
	memset(r, 0, sizeof(*r));
	l->r = r;
	l->verdict = l->queue = l->setmark = l->burst = l->per = NULL;
	l->rate = l->proto = l->family = l->tcpflags = l->icmp = NULL;
	l->src = l->dst = l->sport = l->dport = NULL;
	l->queue_ok = false;
	r->line = cfg_line(l->c, g);

	snprintf(l->prefix, sizeof(l->prefix), "rule #%u: ", idx + 1);
	l->c->prefix = l->prefix;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_err_at(l->c, g, "must be a group { name = ...; ... }");
		l->c->prefix = NULL;
		return;
	}
	if ((ns = config_setting_get_member(g, "name")) != NULL &&
	    (name = cfg_str(l->c, ns)) != NULL) {
		if (*name == '\0' || strlen(name) >= NFQD_RULE_NAME_MAX ||
		    !good_name(name)) {
			rerr(l, ns, "\"%s\" must be 1 to %d printable "
			    "characters without spaces or quotes", name,
			    NFQD_RULE_NAME_MAX - 1);
			name = NULL;
		} else if (*name == '_') {
			/* The metrics' rule="_other" must not be a rule. */
			rerr(l, ns, "\"%s\" begins with \"_\": such names "
			    "are kept for nfqd (nfqctl metrics sums the rules "
			    "past --max-rules as rule=\"_other\")", name);
			name = NULL;
		}
	}
	if (name != NULL) {
		snprintf(r->name, sizeof(r->name), "%s", name);
		snprintf(l->prefix, sizeof(l->prefix), "rule \"%s\": ", name);
	} else {
		snprintf(r->name, sizeof(r->name), "rule%u", idx + 1);
	}
	nfqd_l7_rule_begin(l);
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL; i++)
		nfqd_rulekey_read(l, s);
	check_rule(l, g);
	nfqd_l7_rule_end(l, l->c->errors == before && !l->oom);
	l->c->prefix = NULL;
	if (l->c->errors == before && !l->oom) {
		r->needs = nfqd_rule_needs(r);
		r->defhash = def_hash(l->rs, r) ^ l->l7hash;
		r->cell = r->logslot = NFQD_NONE;
		if ((r->matchers & NFQD_M_RATE) && r->rate_per == NFQD_PER_RULE)
			r->cell = l->rs->ncells++;
		else if (r->matchers & NFQD_M_RATE)
			l->rs->keyed_rates = true;
		if (r->log & NFQD_LOG_LINE)
			r->logslot = l->rs->nlogs++;
		if (r->log & NFQD_LOG_PCAP)
			l->rs->npcap++;
		l->rs->all_matchers |= r->matchers;
		l->rs->all_needs |= r->needs;
		l->rs->n++;
	}
}

static const struct nfqd_ruleset *sort_rs;	/* for qsort's comparator */

static int
cmp_name(const void *a, const void *b)
{
	const uint32_t	ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;
	int		r;

	r = strcmp(sort_rs->rules[ia].name, sort_rs->rules[ib].name);
	return r != 0 ? r : (ia > ib) - (ia < ib);
}

/* byname[]: rule indexes in name order, for lookups by name. */
static int
index_names(struct nfqd_ruleset *rs)
{
	uint32_t	i;

	if (rs->n == 0)
		return 0;
	if ((rs->byname = calloc(rs->n, sizeof(*rs->byname))) == NULL)
		return -1;
	for (i = 0; i < rs->n; i++)
		rs->byname[i] = i;
	sort_rs = rs;
	qsort(rs->byname, rs->n, sizeof(*rs->byname), cmp_name);
	sort_rs = NULL;
	return 0;
}

struct nfqd_ruleset *
nfqd_rules_empty(void)
{
	return calloc(1, sizeof(struct nfqd_ruleset));
}

struct nfqd_ruleset *
nfqd_rules_load(struct nfqd_cfgctx *c, config_setting_t *list,
    config_setting_t *sets, uint16_t qfirst, uint16_t qcount,
    const struct nfqd_ruleset *reuse, uint64_t sets_max,
    const char *sets_auto)
{
	struct nfqd_ruleload	 l;
	const char	*fa, *fb;
	char		 msg[2 * NFQD_RULE_NAME_MAX + PATH_MAX + 64];
	uint32_t	 i;
	int		 n, before = c->errors;

	memset(&l, 0, sizeof(l));
	l.c = c;
	l.qfirst = qfirst;
	l.qcount = qcount;
	l.reuse = reuse;
	l.sets_max = sets_max;
	l.sets_auto = sets_auto;
	if ((l.rs = nfqd_rules_empty()) == NULL)
		return NULL;
	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		cfg_err(c, list, "must be a list: rules = ( { ... }, "
		    "{ ... } );");
		goto fail;
	}
	/* The name sets first: the rules name them. */
	nfqd_l7_sets_load(&l, sets);
	if (l.oom) {
		cfg_err(c, sets, "out of memory reading the name sets");
		goto fail;
	}
	n = config_setting_length(list);
	if (n > NFQD_MAX_RULES) {
		cfg_err(c, list, "%d rules; at most %d", n, NFQD_MAX_RULES);
		goto fail;
	}
	for (i = 0; i < (uint32_t)n && !l.oom; i++) {
		if (i % RULES_YIELD == 0 && nfqd_load_yield() == -1) {
			cfg_err(c, list, "not read to its end (rule %u of %d): "
			    "nfqd is stopping", i + 1, n);
			goto fail;
		}
		read_rule(&l, config_setting_get_elem(list, i), i);
	}
	if (l.oom) {
		cfg_err(c, list, "out of memory reading %d rules", n);
		goto fail;
	}
	/* Names are the counters' keys: they must be unique. */
	if (c->errors == before && index_names(l.rs) == -1) {
		cfg_err(c, list, "out of memory indexing %u rules", l.rs->n);
		goto fail;
	}
	for (i = 1; c->errors == before && i < l.rs->n; i++) {
		const struct nfqd_rule *a = &l.rs->rules[l.rs->byname[i - 1]];
		const struct nfqd_rule *b = &l.rs->rules[l.rs->byname[i]];

		if (strcmp(a->name, b->name) != 0)
			continue;
		if (a > b) {
			const struct nfqd_rule *t = a;

			a = b;
			b = t;
		}
		fa = cfg_file(c, config_setting_get_elem(list,
		    (unsigned)(a - l.rs->rules)));
		fb = cfg_file(c, config_setting_get_elem(list,
		    (unsigned)(b - l.rs->rules)));
		/* An @include'd rule can be in another file. */
		if (strcmp(fa, fb) == 0)
			snprintf(msg, sizeof(msg), "rule \"%s\": the name is "
			    "taken by the rule at line %d", b->name, a->line);
		else
			snprintf(msg, sizeof(msg), "rule \"%s\": the name is "
			    "taken by the rule at %s:%d", b->name, fa, a->line);
		c->report(c->arg, fb, b->line, msg);
		c->errors++;
	}
	if (c->errors != before)
		goto fail;
	/* And never without the union nfqd_rules_dname() asks. */
	if (nfqd_l7_dname_union(l.rs) == -1) {
		cfg_err(c, list, "out of memory gathering the dst_name names "
		    "of %u rules", l.rs->n);
		goto fail;
	}
	/* Compiled here: a rule set is never without its classifier. */
	if (nfqd_classify_build(l.rs) == -1) {
		if (errno == ECANCELED)
			cfg_err(c, list, "%u rules not compiled: nfqd is "
			    "stopping", l.rs->n);
		else
			cfg_err(c, list, "out of memory compiling %u rules",
			    l.rs->n);
		goto fail;
	}
	free(l.sets_failed);
	return l.rs;
fail:
	free(l.sets_failed);
	nfqd_rules_free(l.rs);
	return NULL;
}

void
nfqd_rules_free(struct nfqd_ruleset *rs)
{
	if (rs == NULL)
		return;
	nfqd_classify_free(rs->cls);
	nfqd_l7_rules_free(rs);
	free(rs->rules);
	free(rs->cidrs);
	free(rs->ports);
	free(rs->byname);
	free(rs);
}

