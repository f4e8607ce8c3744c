/*
 * The keys of a rule: one row each, with the function that reads it and
 * the readers of marks, interfaces, rates, TCP flags and protocols (those
 * of addresses, ports and numbers are in rulevals.c).  rules.c reads a
 * rule through them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "nfqd/cfgutil.h"
#include "nfqd/iftab.h"
#include "nfqd/ipproto.h"
#include "nfqd/nfqd.h"
#include "nfqd/rulekeys.h"
#include "nfqd/util.h"


static const struct {
	const char	*name;
	uint8_t		 bit;
} tcpflags[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 }, { "psh", 0x08 },
	{ "ack", 0x10 }, { "urg", 0x20 }, { "ece", 0x40 }, { "cwr", 0x80 },
};

/* "0x10/0xff" or "0x10" (all 32 bits). */
static void
read_match_mark(struct nfqd_ruleload *l, config_setting_t *s)
{
	struct nfqd_rule	*r = l->r;
	const char		*v;
	char			*e;
	unsigned long long	 a, m = UINT32_MAX;

	if (cfg_is_int(s)) {
		if (nfqd_ruleval_u32(l, s, &r->mark_val) == 0) {
			r->mark_mask = UINT32_MAX;
			r->matchers |= NFQD_M_MARK;
		}
		return;
	}
	if ((v = cfg_str(l->c, s)) == NULL)
		return;
	errno = 0;
	a = strtoull(v, &e, 0);
	if (e != v && *e == '/')
		m = strtoull(e + 1, &e, 0);
	if (e == v || *e != '\0' || errno != 0 || a > UINT32_MAX ||
	    m > UINT32_MAX) {
		rerr(l, s, "\"%s\" is not a mark \"value/mask\" (such as "
		    "\"0x10/0xff\")", v);
		return;
	}
	if ((a & ~m) != 0) {
		rerr(l, s, "\"%s\": the value has bits outside the mask", v);
		return;
	}
	r->mark_val = (uint32_t)a;
	r->mark_mask = (uint32_t)m;
	r->matchers |= NFQD_M_MARK;
}

/*
 * Whether the interface is there now, asked once per name and load: a
 * name that hashes to a slot taken by another is asked again (a load of
 * more names than slots costs what it did before the cache).
 */
static bool
iface_exists(struct nfqd_ruleload *l, const char *name, size_t len)
{
	struct nfqd_ifseen	*e;

	e = &l->ifseen[nfqd_fnv1a(NFQD_FNV_INIT, name, len) &
	    (NFQD_RULE_IFCACHE - 1)];
	if (strcmp(e->name, name) == 0)
		return e->exists;
	memcpy(e->name, name, len + 1);
	e->exists = if_nametoindex(name) != 0;
	return e->exists;
}

static void
read_iface(struct nfqd_ruleload *l, config_setting_t *s,
    struct nfqd_ifmatch *im, uint32_t bit)
{
	const char	*v, *p;
	size_t		 len;

	if ((v = cfg_str(l->c, s)) == NULL)
		return;
	memset(im, 0, sizeof(*im));
	p = v;
	if (*p == '!') {
		im->neg = 1;
		p++;
	}
	len = strlen(p);
	if (len > 0 && p[len - 1] == '+') {
		im->prefix = 1;
		len--;
	}
	if (len == 0 || len >= IFNAMSIZ || memchr(p, '/', len) != NULL ||
	    memchr(p, ' ', len) != NULL) {
		rerr(l, s, "\"%s\" is not an interface name (at most %d "
		    "characters; \"eth+\" for every name starting with eth)",
		    v, IFNAMSIZ - 1);
		return;
	}
	memcpy(im->name, p, len);
	im->len = (uint8_t)len;
	l->r->matchers |= bit;
	/* It may not exist yet: workers resolve names as links come and go. */
	if (!im->prefix && !iface_exists(l, im->name, len))
		cfg_warn_at(l->c, s, "%s: no interface \"%s\" now; the rule "
		    "matches once it exists", config_setting_name(s), im->name);
}

/* "100/s", "20/m", "1000/h" */
static void
read_rate(struct nfqd_ruleload *l, config_setting_t *s)
{
	struct nfqd_rule	*r = l->r;
	const char		*v;
	char			*e;
	unsigned long long	 n, unit;

	if ((v = cfg_str(l->c, s)) == NULL)
		return;
	errno = 0;
	n = strtoull(v, &e, 10);
	if (!isdigit((unsigned char)*v) || errno != 0 || *e != '/' ||
	    e[1] == '\0' || e[2] != '\0')
		goto bad;
	switch (e[1]) {
	case 's':
		unit = 1000000000ull;
		break;
	case 'm':
		unit = 60000000000ull;
		break;
	case 'h':
		unit = 3600000000000ull;
		break;
	default:
		goto bad;
	}
	if (n == 0 || n > NFQD_RULE_MAX_RATE) {
		rerr(l, s, "\"%s\": the rate must be 1 to %llu per unit", v,
		    NFQD_RULE_MAX_RATE);
		return;
	}
	r->rate_cost = unit / n;
	if (r->rate_cost == 0)
		r->rate_cost = 1;
	/* Default burst: one unit's worth. */
	r->rate_burst = r->rate_cost * n;
	r->matchers |= NFQD_M_RATE;
	return;
bad:
	rerr(l, s, "\"%s\" is not a rate \"N/s\", \"N/m\" or \"N/h\"", v);
}

static void
read_tcpflags(struct nfqd_ruleload *l, config_setting_t *s)
{
	struct nfqd_rule	*r = l->r;
	const char		*v, *p, *q;
	size_t			 i, len;
	bool			 neg;

	if ((v = cfg_str(l->c, s)) == NULL)
		return;
	for (p = v; *p != '\0'; p = *q == ',' ? q + 1 : q) {
		neg = *p == '!';
		if (neg)
			p++;
		q = p + strcspn(p, ",");
		len = (size_t)(q - p);
		for (i = 0; i < NFQD_ARRAY_SIZE(tcpflags); i++)
			if (strlen(tcpflags[i].name) == len &&
			    strncasecmp(p, tcpflags[i].name, len) == 0)
				break;
		if (i == NFQD_ARRAY_SIZE(tcpflags)) {
			rerr(l, s, "\"%.*s\" in \"%s\" is not a TCP flag (fin "
			    "syn rst psh ack urg ece cwr, \"!\" for unset)",
			    (int)len, p, v);
			return;
		}
		if (r->tcp_mask & tcpflags[i].bit) {
			rerr(l, s, "\"%s\" names %s twice", v, tcpflags[i].name);
			return;
		}
		r->tcp_mask |= tcpflags[i].bit;
		if (!neg)
			r->tcp_val |= tcpflags[i].bit;
		if (*q == ',' && q[1] == '\0')
			break;
	}
	if (r->tcp_mask == 0) {
		rerr(l, s, "names no flag");
		return;
	}
	r->matchers |= NFQD_M_TCPFLAGS;
}

static void
read_proto(struct nfqd_ruleload *l, config_setting_t *s)
{
	const char	*v;
	long long	 iv;

	if (cfg_is_int(s)) {
		if (cfg_int(l->c, s, 0, 255, &iv) == 0) {
			l->r->proto = (uint8_t)iv;
			l->r->matchers |= NFQD_M_PROTO;
		}
		return;
	}
	if ((v = cfg_str(l->c, s)) == NULL)
		return;
	if (nfqd_proto_by_name(v, &l->r->proto) == 0) {
		l->r->matchers |= NFQD_M_PROTO;
		return;
	}
	rerr(l, s, "\"%s\" is not a protocol name (tcp, udp, icmp, icmpv6, "
	    "sctp, udplite, dccp, gre, esp, ah, igmp) or number", v);
}

static void
read_verdict(struct nfqd_ruleload *l, config_setting_t *s)
{
	static const char *const choices[] = {
		"accept", "drop", "repeat", "queue", "continue"
	};
	int	i;

	if ((i = cfg_choice(l->c, s, choices, NFQD_ARRAY_SIZE(choices))) >= 0)
		l->r->action = (uint8_t)i;
}

/* The keys of a rule, each read by its own function. */

static void
key_name(struct nfqd_ruleload *l, config_setting_t *s)
{
	(void)l;
	(void)s;	/* read first, by read_rule() */
}

static void
key_family(struct nfqd_ruleload *l, config_setting_t *s)
{
	static const char *const families[] = { "ipv4", "ipv6" };
	int	i;

	if ((i = cfg_choice(l->c, s, families, 2)) >= 0) {
		l->r->family = i == 0 ? AF_INET : AF_INET6;
		l->r->matchers |= NFQD_M_FAMILY;
		l->family = s;
	}
}

static void
key_proto(struct nfqd_ruleload *l, config_setting_t *s)
{
	read_proto(l, s);
	l->proto = s;
}

static void
key_src(struct nfqd_ruleload *l, config_setting_t *s)
{
	nfqd_ruleval_addrs(l, s, &l->r->src_off, &l->r->src_n);
	if (l->r->src_n > 0)
		l->r->matchers |= NFQD_M_SRC;
	l->src = s;
}

static void
key_dst(struct nfqd_ruleload *l, config_setting_t *s)
{
	nfqd_ruleval_addrs(l, s, &l->r->dst_off, &l->r->dst_n);
	if (l->r->dst_n > 0)
		l->r->matchers |= NFQD_M_DST;
	l->dst = s;
}

static void
key_src_port(struct nfqd_ruleload *l, config_setting_t *s)
{
	nfqd_ruleval_ports(l, s, &l->r->sport_off, &l->r->sport_n);
	if (l->r->sport_n > 0)
		l->r->matchers |= NFQD_M_SPORT;
	l->sport = s;
}

static void
key_dst_port(struct nfqd_ruleload *l, config_setting_t *s)
{
	nfqd_ruleval_ports(l, s, &l->r->dport_off, &l->r->dport_n);
	if (l->r->dport_n > 0)
		l->r->matchers |= NFQD_M_DPORT;
	l->dport = s;
}

static void
key_tcp_flags(struct nfqd_ruleload *l, config_setting_t *s)
{
	read_tcpflags(l, s);
	l->tcpflags = s;
}

static void
key_icmp_type(struct nfqd_ruleload *l, config_setting_t *s)
{
	long long	v;

	if (cfg_int(l->c, s, 0, 255, &v) == 0) {
		l->r->icmp_type = (uint8_t)v;
		l->r->matchers |= NFQD_M_ICMPTYPE;
	}
	l->icmp = s;
}

static void
key_icmp_code(struct nfqd_ruleload *l, config_setting_t *s)
{
	long long	v;

	if (cfg_int(l->c, s, 0, 255, &v) == 0) {
		l->r->icmp_code = (uint8_t)v;
		l->r->matchers |= NFQD_M_ICMPCODE;
	}
	l->icmp = s;
}

static void
key_in_iface(struct nfqd_ruleload *l, config_setting_t *s)
{
	read_iface(l, s, &l->r->in, NFQD_M_IN);
}

static void
key_out_iface(struct nfqd_ruleload *l, config_setting_t *s)
{
	read_iface(l, s, &l->r->out, NFQD_M_OUT);
}

static void
key_set_mark(struct nfqd_ruleload *l, config_setting_t *s)
{
	if (nfqd_ruleval_u32(l, s, &l->r->setmark) == 0)
		l->r->has_setmark = 1;
	l->setmark = s;
}

/* An integer sets the mark (as in the examples), "value/mask" matches it. */
static void
key_mark(struct nfqd_ruleload *l, config_setting_t *s)
{
	if (cfg_is_int(s))
		key_set_mark(l, s);
	else
		read_match_mark(l, s);
}

static void
key_uid(struct nfqd_ruleload *l, config_setting_t *s)
{
	if (nfqd_ruleval_range32(l, s, &l->r->uid_lo, &l->r->uid_hi) == 0)
		l->r->matchers |= NFQD_M_UID;
}

static void
key_gid(struct nfqd_ruleload *l, config_setting_t *s)
{
	if (nfqd_ruleval_range32(l, s, &l->r->gid_lo, &l->r->gid_hi) == 0)
		l->r->matchers |= NFQD_M_GID;
}

static void
key_length(struct nfqd_ruleload *l, config_setting_t *s)
{
	if (nfqd_ruleval_range32(l, s, &l->r->len_lo, &l->r->len_hi) == 0)
		l->r->matchers |= NFQD_M_LENGTH;
}

static void
key_rate(struct nfqd_ruleload *l, config_setting_t *s)
{
	read_rate(l, s);
	l->rate = s;
}

static void
key_burst(struct nfqd_ruleload *l, config_setting_t *s)
{
	l->burst = s;	/* after rate: it needs the rate's cost */
}

static void
key_per(struct nfqd_ruleload *l, config_setting_t *s)
{
	static const char *const pers[] = { "rule", "src", "dst", "flow" };
	int	i;

	if ((i = cfg_choice(l->c, s, pers, 4)) >= 0)
		l->r->rate_per = (uint8_t)i;
	l->per = s;
}

static void
key_verdict(struct nfqd_ruleload *l, config_setting_t *s)
{
	read_verdict(l, s);
	l->verdict = s;
}

static void
key_queue(struct nfqd_ruleload *l, config_setting_t *s)
{
	long long	v;

	if (cfg_int(l->c, s, 0, 65535, &v) == 0) {
		l->r->queue = (uint16_t)v;
		l->queue_ok = true;
	}
	l->queue = s;
}

/* true (a line per match), false, or "pcap" (the packet, to a file). */
static void
key_log(struct nfqd_ruleload *l, config_setting_t *s)
{
	const char	*v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_BOOL:
		l->r->log = config_setting_get_bool(s) ? NFQD_LOG_LINE : 0;
		break;
	case CONFIG_TYPE_STRING:
		v = config_setting_get_string(s);
		if (strcmp(v, "pcap") == 0)
			l->r->log = NFQD_LOG_PCAP;
		else
			rerr(l, s, "\"%s\" is neither true, false nor \"pcap\"",
			    v);
		break;
	default:
		rerr(l, s, "must be true, false or \"pcap\"");
		break;
	}
}

static const struct nfqd_rulekey keys[] = {
	{ "name", key_name },		{ "family", key_family },
	{ "proto", key_proto },		{ "src", key_src },
	{ "dst", key_dst },		{ "src_port", key_src_port },
	{ "dst_port", key_dst_port },	{ "tcp_flags", key_tcp_flags },
	{ "icmp_type", key_icmp_type },	{ "icmp_code", key_icmp_code },
	{ "in_iface", key_in_iface },	{ "out_iface", key_out_iface },
	{ "mark", key_mark },		{ "match_mark", read_match_mark },
	{ "set_mark", key_set_mark },	{ "uid", key_uid },
	{ "gid", key_gid },		{ "length", key_length },
	{ "rate", key_rate },		{ "burst", key_burst },
	{ "per", key_per },		{ "verdict", key_verdict },
	{ "queue", key_queue },		{ "log", key_log },
};

#define NKEYS	(NFQD_ARRAY_SIZE(keys) + 16)

/*
 * What iptables, nft and other filters call a key: too far from ours for
 * an edit distance of 2 ("dport" is 3 from "dst_port"), and what people
 * who write those rules every day type first.
 */
static const struct cfg_alias spellings[] = {
	{ "dport", "dst_port" },	{ "sport", "src_port" },
	{ "dports", "dst_port" },	{ "sports", "src_port" },
	{ "destination_port", "dst_port" }, { "source_port", "src_port" },
	{ "daddr", "dst" },		{ "saddr", "src" },
	{ "destination", "dst" },	{ "source", "src" },
	{ "protocol", "proto" },	{ "l4proto", "proto" },
	{ "iif", "in_iface" },		{ "iifname", "in_iface" },
	{ "in_interface", "in_iface" },	{ "oif", "out_iface" },
	{ "oifname", "out_iface" },	{ "out_interface", "out_iface" },
	{ "uid_owner", "uid" },		{ "skuid", "uid" },
	{ "gid_owner", "gid" },		{ "skgid", "gid" },
	{ "action", "verdict" },	{ "target", "verdict" },
	{ "jump", "verdict" },		{ "limit", "rate" },
	{ "sni", "tls_sni" },		{ "server_name_indication", "tls_sni" },
	{ "host", "http_host" },	{ "qname", "dns_qname" },
	{ "qtype", "dns_qtype" },	{ "method", "http_method" },
	{ "path", "http_path" },	{ "ja4", "tls_ja4" },
};

void
nfqd_rulekey_read(struct nfqd_ruleload *l, config_setting_t *s)
{
	const char	*k = config_setting_name(s), *hint;
	const char	*names[NKEYS];
	size_t		 i, n = 0;

	_Static_assert(NKEYS >= NFQD_ARRAY_SIZE(keys) + 11, "names[] room");
	for (i = 0; i < NFQD_ARRAY_SIZE(keys); i++) {
		if (k != NULL && strcmp(k, keys[i].name) == 0) {
			keys[i].read(l, s);
			return;
		}
		names[n++] = keys[i].name;
	}
	for (i = 0; i < nfqd_l7_nrulekeys && n < NKEYS; i++) {
		if (k != NULL && strcmp(k, nfqd_l7_rulekeys[i].name) == 0) {
			uint32_t	before = l->r->matchers, b;

			nfqd_l7_rulekeys[i].read(l, s);
			for (b = 0; b < NFQD_ARRAY_SIZE(l->l7s); b++)
				if ((l->r->matchers & ~before) &
				    (NFQD_M_L7 << b))
					l->l7s[b] = s;
			return;
		}
		names[n++] = nfqd_l7_rulekeys[i].name;
	}
	if ((hint = cfg_alias(k != NULL ? k : "", spellings,
	    NFQD_ARRAY_SIZE(spellings))) == NULL)
		hint = cfg_suggest(k != NULL ? k : "", NULL, names, n, 2);
	if (hint != NULL)
		rerr(l, s, "unknown setting; did you mean '%s'?", hint);
	else
		rerr(l, s, "unknown setting");
}
