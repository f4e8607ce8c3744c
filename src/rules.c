/*
 * Rules: reading and validating rules = ( ... ) from the configuration,
 * and matching one rule against one packet.
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
#include "nfqd/nfqd.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"
#include "nfqd/util.h"

#define MAX_RATE	10000000ull	/* packets per unit */
#define MAX_LIST	4096		/* elements in one address or port list */

/* Growable arrays while loading. */
struct load {
	struct nfqd_cfgctx	*c;
	struct nfqd_ruleset	*rs;
	uint32_t		 cap_rules, cap_cidrs, cap_ports;
	uint16_t		 qfirst, qcount;
	bool			 oom;
	/* the rule being read */
	struct nfqd_rule	*r;
	config_setting_t	*verdict, *queue, *setmark, *burst, *per;
	config_setting_t	*rate, *proto, *family, *tcpflags, *icmp;
	config_setting_t	*src, *dst, *sport, *dport;
	bool			 queue_ok;	/* queue = N was valid */
	char			 prefix[NFQD_RULE_NAME_MAX + 16];
};

static const struct {
	const char	*name;
	uint8_t		 proto;
} protos[] = {
	{ "icmp", IPPROTO_ICMP },	{ "igmp", IPPROTO_IGMP },
	{ "tcp", IPPROTO_TCP },		{ "udp", IPPROTO_UDP },
	{ "dccp", IPPROTO_DCCP },	{ "gre", IPPROTO_GRE },
	{ "esp", IPPROTO_ESP },		{ "ah", IPPROTO_AH },
	{ "icmpv6", IPPROTO_ICMPV6 },	{ "ipv6-icmp", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP },	{ "udplite", IPPROTO_UDPLITE },
};

static const struct {
	const char	*name;
	uint8_t		 bit;
} tcpflags[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 }, { "psh", 0x08 },
	{ "ack", 0x10 }, { "urg", 0x20 }, { "ece", 0x40 }, { "cwr", 0x80 },
};

static bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	    proto == IPPROTO_DCCP;
}

static const char *
proto_name(uint8_t p, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < NFQD_ARRAY_SIZE(protos); i++)
		if (protos[i].proto == p)
			return protos[i].name;
	snprintf(buf, len, "%u", p);
	return buf;
}

/* IPv6 extension header numbers (pkt.c walks past them). */
static bool
ip6_ext(uint8_t p)
{
	switch (p) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case 139:	/* HIP */
	case 140:	/* Shim6 */
		return true;
	}
	return false;
}

static void *
grow(struct load *l, void *p, uint32_t n, uint32_t *cap, size_t size)
{
	uint32_t	 ncap;
	void		*np;

	if (n < *cap)
		return p;
	ncap = *cap != 0 ? *cap * 2 : 16;
	if ((np = realloc(p, (size_t)ncap * size)) == NULL) {
		l->oom = true;
		return NULL;
	}
	*cap = ncap;
	return np;
}

static struct nfqd_cidr *
new_cidr(struct load *l)
{
	struct nfqd_cidr	*v;

	v = grow(l, l->rs->cidrs, l->rs->ncidrs, &l->cap_cidrs, sizeof(*v));
	if (v == NULL)
		return NULL;
	l->rs->cidrs = v;
	memset(&v[l->rs->ncidrs], 0, sizeof(*v));
	return &v[l->rs->ncidrs++];
}

static struct nfqd_prange *
new_port(struct load *l)
{
	struct nfqd_prange	*v;

	v = grow(l, l->rs->ports, l->rs->nports, &l->cap_ports, sizeof(*v));
	if (v == NULL)
		return NULL;
	l->rs->ports = v;
	memset(&v[l->rs->nports], 0, sizeof(*v));
	return &v[l->rs->nports++];
}

#define rerr(l, s, ...)	cfg_err((l)->c, (s), __VA_ARGS__)

/* "10.0.0.0/8", "!fd00::/8", "192.0.2.1" */
static int
parse_cidr(const char *str, struct nfqd_cidr *out, char *why, size_t wlen)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *e;
	const char	*p = str;
	unsigned long	 plen;
	unsigned	 max, i;

	memset(out, 0, sizeof(*out));
	if (*p == '!') {
		out->neg = 1;
		p++;
	}
	if (nfqd_strlcpy(buf, p, sizeof(buf)) >= sizeof(buf)) {
		snprintf(why, wlen, "\"%s\" is not an address or prefix", str);
		return -1;
	}
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		snprintf(why, wlen, "\"%s\" is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	plen = max;
	if (slash != NULL) {
		errno = 0;
		plen = strtoul(slash + 1, &e, 10);
		if (slash[1] < '0' || slash[1] > '9' || *e != '\0' ||
		    errno != 0 || plen > max) {
			snprintf(why, wlen, "\"%s\": prefix length must be 0 "
			    "to %u", str, max);
			return -1;
		}
	}
	out->plen = (uint8_t)plen;
	for (i = 0; i < max / 8; i++) {
		uint8_t m = i * 8 >= plen ? 0 : i * 8 + 8 <= plen ? 0xff :
		    (uint8_t)(0xff << (8 - (plen - i * 8)));

		if (out->addr[i] & ~m) {
			char	 net[INET6_ADDRSTRLEN];
			uint8_t	 a[16];
			unsigned j;

			memcpy(a, out->addr, sizeof(a));
			for (j = 0; j < max / 8; j++)
				a[j] &= j * 8 >= plen ? 0 : j * 8 + 8 <= plen ?
				    0xff : (uint8_t)(0xff << (8 - (plen - j * 8)));
			inet_ntop(out->family, a, net, sizeof(net));
			snprintf(why, wlen, "\"%s\" has host bits set; did you "
			    "mean \"%s%s/%lu\"?", str, out->neg ? "!" : "",
			    net, plen);
			return -1;
		}
	}
	return 0;
}

/* One address, or a list of them. */
static void
read_addrs(struct load *l, config_setting_t *s, uint32_t *off, uint32_t *n)
{
	config_setting_t	*e;
	struct nfqd_cidr	*cd;
	const char		*v;
	char			 why[256];
	int			 i, cnt;

	*off = l->rs->ncidrs;
	*n = 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		cnt = 1;
	} else if (config_setting_is_aggregate(s) &&
	    config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cnt = config_setting_length(s);
		if (cnt == 0) {
			rerr(l, s, "an empty list matches nothing");
			return;
		}
		if (cnt > MAX_LIST) {
			rerr(l, s, "%d addresses; at most %d in one list", cnt,
			    MAX_LIST);
			return;
		}
	} else {
		rerr(l, s, "must be an address or prefix (\"10.0.0.0/8\") or "
		    "a list of them");
		return;
	}
	for (i = 0; i < cnt; i++) {
		e = config_setting_type(s) == CONFIG_TYPE_STRING ? s :
		    config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			rerr(l, s, "element %d must be an address or prefix "
			    "in double quotes", i + 1);
			continue;
		}
		v = config_setting_get_string(e);
		if ((cd = new_cidr(l)) == NULL)
			return;
		if (parse_cidr(v, cd, why, sizeof(why)) == -1) {
			rerr(l, s, "%s", why);
			l->rs->ncidrs--;
			continue;
		}
		(*n)++;
	}
}

/* 80, "80", "!22", "1024-65535" */
static int
parse_port(struct load *l, config_setting_t *s, config_setting_t *e,
    struct nfqd_prange *pr)
{
	const char	*v, *p;
	char		*end;
	unsigned long	 a, b;
	long long	 iv;

	memset(pr, 0, sizeof(*pr));
	if (cfg_is_int(e)) {
		iv = config_setting_get_int64(e);
		if (iv < 0 || iv > 65535) {
			rerr(l, s, "port %lld is out of range (0 to 65535)", iv);
			return -1;
		}
		pr->lo = pr->hi = (uint16_t)iv;
		return 0;
	}
	if (config_setting_type(e) != CONFIG_TYPE_STRING) {
		rerr(l, s, "a port is a number, or a string: \"80\", "
		    "\"1024-65535\", \"!22\"");
		return -1;
	}
	v = p = config_setting_get_string(e);
	if (*p == '!') {
		pr->neg = 1;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		goto bad;
	errno = 0;
	a = strtoul(p, &end, 10);
	if (errno != 0)
		goto range;
	b = a;
	if (*end == '-') {
		p = end + 1;
		if (!isdigit((unsigned char)*p))
			goto bad;
		b = strtoul(p, &end, 10);
		if (errno != 0)
			goto range;
	}
	if (*end != '\0')
		goto bad;
	if (a > 65535 || b > 65535)
		goto range;
	if (b < a) {
		rerr(l, s, "\"%s\": the range ends before it starts", v);
		return -1;
	}
	pr->lo = (uint16_t)a;
	pr->hi = (uint16_t)b;
	return 0;
bad:
	rerr(l, s, "\"%s\" is not a port, range (\"a-b\") or negation "
	    "(\"!port\")", v);
	return -1;
range:
	rerr(l, s, "\"%s\": ports are 0 to 65535", v);
	return -1;
}

static void
read_ports(struct load *l, config_setting_t *s, uint32_t *off, uint32_t *n)
{
	config_setting_t	*e;
	struct nfqd_prange	*pr;
	int			 i, cnt = 1;
	bool			 list;

	*off = l->rs->nports;
	*n = 0;
	list = config_setting_is_aggregate(s) &&
	    config_setting_type(s) != CONFIG_TYPE_GROUP;
	if (list) {
		cnt = config_setting_length(s);
		if (cnt == 0) {
			rerr(l, s, "an empty list matches nothing");
			return;
		}
		if (cnt > MAX_LIST) {
			rerr(l, s, "%d ports; at most %d in one list", cnt,
			    MAX_LIST);
			return;
		}
	} else if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
		rerr(l, s, "must be a port, a range or a list of them");
		return;
	}
	for (i = 0; i < cnt; i++) {
		e = list ? config_setting_get_elem(s, (unsigned)i) : s;
		if ((pr = new_port(l)) == NULL)
			return;
		if (parse_port(l, s, e, pr) == -1) {
			l->rs->nports--;
			continue;
		}
		(*n)++;
	}
}

/* A number or a "lo-hi" range of 32-bit values. */
static int
read_range32(struct load *l, config_setting_t *s, uint32_t *lo, uint32_t *hi)
{
	const char		*v;
	char			*e;
	unsigned long long	 a, b;
	long long		 iv;

	if (cfg_is_int(s)) {
		iv = config_setting_get_int64(s);
		if (iv < 0 || iv > UINT32_MAX) {
			rerr(l, s, "%lld is out of range (0 to 4294967295)", iv);
			return -1;
		}
		*lo = *hi = (uint32_t)iv;
		return 0;
	}
	if ((v = cfg_str(l->c, s)) == NULL)
		return -1;
	if (!isdigit((unsigned char)*v))
		goto bad;
	errno = 0;
	a = strtoull(v, &e, 10);
	b = a;
	if (*e == '-') {
		if (!isdigit((unsigned char)e[1]))
			goto bad;
		b = strtoull(e + 1, &e, 10);
	}
	if (*e != '\0' || errno != 0 || a > UINT32_MAX || b > UINT32_MAX)
		goto bad;
	if (b < a) {
		rerr(l, s, "\"%s\": the range ends before it starts", v);
		return -1;
	}
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 0;
bad:
	rerr(l, s, "\"%s\" is not a number or a range \"a-b\"", v);
	return -1;
}

static int
read_u32(struct load *l, config_setting_t *s, uint32_t *out)
{
	long long	v;

	if (cfg_int(l->c, s, 0, UINT32_MAX, &v) == -1)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "0x10/0xff" or "0x10" (all 32 bits). */
static void
read_match_mark(struct load *l, config_setting_t *s)
{
	struct nfqd_rule	*r = l->r;
	const char		*v;
	char			*e;
	unsigned long long	 a, m = UINT32_MAX;

	if (cfg_is_int(s)) {
		if (read_u32(l, s, &r->mark_val) == 0) {
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

static void
read_iface(struct load *l, config_setting_t *s, struct nfqd_ifmatch *im,
    uint32_t bit)
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
	if (!im->prefix && if_nametoindex(im->name) == 0)
		cfg_warn_at(l->c, s, "%s: no interface \"%s\" now; the rule "
		    "matches once it exists", config_setting_name(s), im->name);
}

/* "100/s", "20/m", "1000/h" */
static void
read_rate(struct load *l, config_setting_t *s)
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
	if (n == 0 || n > MAX_RATE) {
		rerr(l, s, "\"%s\": the rate must be 1 to %llu per unit", v,
		    MAX_RATE);
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
read_tcpflags(struct load *l, config_setting_t *s)
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
read_proto(struct load *l, config_setting_t *s)
{
	const char	*v;
	long long	 iv;
	size_t		 i;

	if (cfg_is_int(s)) {
		if (cfg_int(l->c, s, 0, 255, &iv) == 0) {
			l->r->proto = (uint8_t)iv;
			l->r->matchers |= NFQD_M_PROTO;
		}
		return;
	}
	if ((v = cfg_str(l->c, s)) == NULL)
		return;
	for (i = 0; i < NFQD_ARRAY_SIZE(protos); i++)
		if (strcasecmp(v, protos[i].name) == 0) {
			l->r->proto = protos[i].proto;
			l->r->matchers |= NFQD_M_PROTO;
			return;
		}
	rerr(l, s, "\"%s\" is not a protocol name (tcp, udp, icmp, icmpv6, "
	    "sctp, udplite, dccp, gre, esp, ah, igmp) or number", v);
}

static void
read_verdict(struct load *l, config_setting_t *s)
{
	static const char *const choices[] = {
		"accept", "drop", "repeat", "queue", "continue"
	};
	int	i;

	if ((i = cfg_choice(l->c, s, choices, NFQD_ARRAY_SIZE(choices))) >= 0)
		l->r->action = (uint8_t)i;
}

/* The keys of a rule, for unknown-key suggestions. */
static const char *const rule_keys[] = {
	"name", "family", "proto", "src", "dst", "src_port", "dst_port",
	"tcp_flags", "icmp_type", "icmp_code", "in_iface", "out_iface",
	"mark", "match_mark", "set_mark", "uid", "gid", "length", "rate",
	"burst", "per", "verdict", "queue", "log",
};

static void
read_key(struct load *l, config_setting_t *s)
{
	static const char *const families[] = { "ipv4", "ipv6" };
	static const char *const pers[] = { "rule", "src", "dst", "flow" };
	struct nfqd_rule	*r = l->r;
	const char		*k = config_setting_name(s), *hint;
	long long		 v;
	bool			 b;
	int			 i;

	if (k == NULL)
		k = "";
	if (strcmp(k, "name") == 0) {
		/* read first, by the caller */
	} else if (strcmp(k, "family") == 0) {
		if ((i = cfg_choice(l->c, s, families, 2)) >= 0) {
			r->family = i == 0 ? AF_INET : AF_INET6;
			r->matchers |= NFQD_M_FAMILY;
			l->family = s;
		}
	} else if (strcmp(k, "proto") == 0) {
		read_proto(l, s);
		l->proto = s;
	} else if (strcmp(k, "src") == 0) {
		read_addrs(l, s, &r->src_off, &r->src_n);
		if (r->src_n > 0)
			r->matchers |= NFQD_M_SRC;
		l->src = s;
	} else if (strcmp(k, "dst") == 0) {
		read_addrs(l, s, &r->dst_off, &r->dst_n);
		if (r->dst_n > 0)
			r->matchers |= NFQD_M_DST;
		l->dst = s;
	} else if (strcmp(k, "src_port") == 0) {
		read_ports(l, s, &r->sport_off, &r->sport_n);
		if (r->sport_n > 0)
			r->matchers |= NFQD_M_SPORT;
		l->sport = s;
	} else if (strcmp(k, "dst_port") == 0) {
		read_ports(l, s, &r->dport_off, &r->dport_n);
		if (r->dport_n > 0)
			r->matchers |= NFQD_M_DPORT;
		l->dport = s;
	} else if (strcmp(k, "tcp_flags") == 0) {
		read_tcpflags(l, s);
		l->tcpflags = s;
	} else if (strcmp(k, "icmp_type") == 0) {
		if (cfg_int(l->c, s, 0, 255, &v) == 0) {
			r->icmp_type = (uint8_t)v;
			r->matchers |= NFQD_M_ICMPTYPE;
		}
		l->icmp = s;
	} else if (strcmp(k, "icmp_code") == 0) {
		if (cfg_int(l->c, s, 0, 255, &v) == 0) {
			r->icmp_code = (uint8_t)v;
			r->matchers |= NFQD_M_ICMPCODE;
		}
		l->icmp = s;
	} else if (strcmp(k, "in_iface") == 0) {
		read_iface(l, s, &r->in, NFQD_M_IN);
	} else if (strcmp(k, "out_iface") == 0) {
		read_iface(l, s, &r->out, NFQD_M_OUT);
	} else if (strcmp(k, "mark") == 0) {
		/* An integer sets the mark (as in the examples), a string
		   "value/mask" matches it. */
		if (cfg_is_int(s)) {
			if (read_u32(l, s, &r->setmark) == 0)
				r->has_setmark = 1;
			l->setmark = s;
		} else {
			read_match_mark(l, s);
		}
	} else if (strcmp(k, "match_mark") == 0) {
		read_match_mark(l, s);
	} else if (strcmp(k, "set_mark") == 0) {
		if (read_u32(l, s, &r->setmark) == 0)
			r->has_setmark = 1;
		l->setmark = s;
	} else if (strcmp(k, "uid") == 0) {
		if (read_range32(l, s, &r->uid_lo, &r->uid_hi) == 0)
			r->matchers |= NFQD_M_UID;
	} else if (strcmp(k, "gid") == 0) {
		if (read_range32(l, s, &r->gid_lo, &r->gid_hi) == 0)
			r->matchers |= NFQD_M_GID;
	} else if (strcmp(k, "length") == 0) {
		if (read_range32(l, s, &r->len_lo, &r->len_hi) == 0)
			r->matchers |= NFQD_M_LENGTH;
	} else if (strcmp(k, "rate") == 0) {
		read_rate(l, s);
		l->rate = s;
	} else if (strcmp(k, "burst") == 0) {
		l->burst = s;	/* after rate: it needs the rate's cost */
	} else if (strcmp(k, "per") == 0) {
		if ((i = cfg_choice(l->c, s, pers, 4)) >= 0)
			r->rate_per = (uint8_t)i;
		l->per = s;
	} else if (strcmp(k, "verdict") == 0) {
		read_verdict(l, s);
		l->verdict = s;
	} else if (strcmp(k, "queue") == 0) {
		if (cfg_int(l->c, s, 0, 65535, &v) == 0) {
			r->queue = (uint16_t)v;
			l->queue_ok = true;
		}
		l->queue = s;
	} else if (strcmp(k, "log") == 0) {
		if (cfg_bool(l->c, s, &b) == 0)
			r->log = b;
	} else {
		hint = cfg_suggest(k, NULL, rule_keys,
		    NFQD_ARRAY_SIZE(rule_keys), 2);
		if (hint != NULL)
			rerr(l, s, "unknown setting; did you mean '%s'?", hint);
		else
			rerr(l, s, "unknown setting");
	}
}

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
check_rule(struct load *l, config_setting_t *g)
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
		else if (cfg_int(l->c, l->burst, 1, MAX_RATE, &v) == 0 &&
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
	if ((r->matchers & NFQD_M_PROTO) && ip6_ext(r->proto)) {
		fam &= fs != 0 ? fs : 3;
		fam &= fd != 0 ? fd : 3;
		if (fam == 2)
			rerr(l, l->proto, "%s is an IPv6 extension header, which "
			    "nfqd reads past to the transport protocol: the "
			    "rule can never match", proto_name(r->proto, pb,
			    sizeof(pb)));
		else if (fam == 3)
			cfg_warn_at(l->c, l->proto, "proto: %s matches IPv4 "
			    "packets only: on IPv6 it is an extension header, "
			    "which nfqd reads past to the transport protocol "
			    "(add family = \"ipv4\" to say so)",
			    proto_name(r->proto, pb, sizeof(pb)));
	}
	if ((r->matchers & (NFQD_M_SPORT | NFQD_M_DPORT)) &&
	    (r->matchers & NFQD_M_PROTO) && !has_ports(r->proto))
		rerr(l, l->sport != NULL ? l->sport : l->dport, "%s has no "
		    "ports (tcp, udp, udplite, sctp and dccp have)",
		    proto_name(r->proto, pb, sizeof(pb)));
	if ((r->matchers & NFQD_M_TCPFLAGS) && (r->matchers & NFQD_M_PROTO) &&
	    r->proto != IPPROTO_TCP)
		rerr(l, l->tcpflags, "needs proto \"tcp\", not \"%s\"",
		    proto_name(r->proto, pb, sizeof(pb)));
	if ((r->matchers & (NFQD_M_ICMPTYPE | NFQD_M_ICMPCODE)) &&
	    (r->matchers & NFQD_M_PROTO) && r->proto != IPPROTO_ICMP &&
	    r->proto != IPPROTO_ICMPV6)
		rerr(l, l->icmp, "needs proto \"icmp\" or \"icmpv6\", not "
		    "\"%s\"", proto_name(r->proto, pb, sizeof(pb)));
}

/* FNV-1a over the definition: what decides whether counters carry over. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t	*b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t
def_hash(const struct nfqd_ruleset *rs, const struct nfqd_rule *r)
{
	struct nfqd_rule	 t = *r;
	uint64_t		 h = 0xcbf29ce484222325ull;
	uint32_t		 i;

	memset(t.name, 0, sizeof(t.name));
	t.line = 0;
	t.defhash = 0;
	t.src_off = t.dst_off = t.sport_off = t.dport_off = 0;
	h = fnv(h, &t, sizeof(t));
	for (i = 0; i < r->src_n; i++)
		h = fnv(h, &rs->cidrs[r->src_off + i], sizeof(struct nfqd_cidr));
	h = fnv(h, "/", 1);
	for (i = 0; i < r->dst_n; i++)
		h = fnv(h, &rs->cidrs[r->dst_off + i], sizeof(struct nfqd_cidr));
	h = fnv(h, "/", 1);
	for (i = 0; i < r->sport_n; i++)
		h = fnv(h, &rs->ports[r->sport_off + i],
		    sizeof(struct nfqd_prange));
	h = fnv(h, "/", 1);
	for (i = 0; i < r->dport_n; i++)
		h = fnv(h, &rs->ports[r->dport_off + i],
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
read_rule(struct load *l, config_setting_t *g, uint32_t idx)
{
	struct nfqd_rule	*r;
	config_setting_t	*s, *ns;
	const char		*name = NULL;
	int			 i, before = l->c->errors;

	l->rs->rules = grow(l, l->rs->rules, l->rs->n, &l->cap_rules,
	    sizeof(*r));
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
		}
	}
	if (name != NULL) {
		snprintf(r->name, sizeof(r->name), "%s", name);
		snprintf(l->prefix, sizeof(l->prefix), "rule \"%s\": ", name);
	} else {
		snprintf(r->name, sizeof(r->name), "rule%u", idx + 1);
	}
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL; i++)
		read_key(l, s);
	check_rule(l, g);
	l->c->prefix = NULL;
	if (l->c->errors == before && !l->oom) {
		r->needs = nfqd_rule_needs(r);
		r->defhash = def_hash(l->rs, r);
		r->cell = r->logslot = NFQD_NONE;
		if ((r->matchers & NFQD_M_RATE) && r->rate_per == NFQD_PER_RULE)
			r->cell = l->rs->ncells++;
		else if (r->matchers & NFQD_M_RATE)
			l->rs->keyed_rates = true;
		if (r->log)
			r->logslot = l->rs->nlogs++;
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
    uint16_t qfirst, uint16_t qcount)
{
	struct load	 l;
	const char	*fa, *fb;
	char		 msg[2 * NFQD_RULE_NAME_MAX + PATH_MAX + 64];
	uint32_t	 i;
	int		 n, before = c->errors;

	memset(&l, 0, sizeof(l));
	l.c = c;
	l.qfirst = qfirst;
	l.qcount = qcount;
	if ((l.rs = nfqd_rules_empty()) == NULL)
		return NULL;
	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		cfg_err(c, list, "must be a list: rules = ( { ... }, "
		    "{ ... } );");
		goto fail;
	}
	n = config_setting_length(list);
	if (n > NFQD_MAX_RULES) {
		cfg_err(c, list, "%d rules; at most %d", n, NFQD_MAX_RULES);
		goto fail;
	}
	for (i = 0; i < (uint32_t)n && !l.oom; i++)
		read_rule(&l, config_setting_get_elem(list, i), i);
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
	return l.rs;
fail:
	nfqd_rules_free(l.rs);
	return NULL;
}

void
nfqd_rules_free(struct nfqd_ruleset *rs)
{
	if (rs == NULL)
		return;
	nfqd_classify_free(rs->cls);
	free(rs->rules);
	free(rs->cidrs);
	free(rs->ports);
	free(rs->byname);
	free(rs);
}

int
nfqd_rules_find(const struct nfqd_ruleset *rs, const char *name)
{
	uint32_t	lo = 0, hi = rs->n, mid;
	int		r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(rs->rules[rs->byname[mid]].name, name);
		if (r == 0)
			return (int)rs->byname[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

bool
nfqd_rules_equal(const struct nfqd_ruleset *a, const struct nfqd_ruleset *b)
{
	uint32_t	i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->rules[i].defhash != b->rules[i].defhash ||
		    strcmp(a->rules[i].name, b->rules[i].name) != 0)
			return false;
	return true;
}

bool
nfqd_rules_same(const struct nfqd_ruleset *a, const struct nfqd_ruleset *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL || a->n == 0) && (b == NULL || b->n == 0);
	return nfqd_rules_equal(a, b);
}

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
static bool
match_addrs(const struct nfqd_cidr *v, uint32_t n, uint8_t family,
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
match_ports(const struct nfqd_prange *v, uint32_t n, uint16_t port)
{
	bool		havepos = false, pos = false;
	uint32_t	i;

	for (i = 0; i < n; i++) {
		if (v[i].neg) {
			if (port >= v[i].lo && port <= v[i].hi)
				return false;
		} else {
			havepos = true;
			if (port >= v[i].lo && port <= v[i].hi)
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

uint8_t
nfqd_rule_needs(const struct nfqd_rule *r)
{
	uint32_t	mt = r->matchers;
	uint8_t		k = 0;

	if (mt & NFQD_M_FAMILY)
		k |= NFQD_PKT_K_FAMILY;
	if (mt & (NFQD_M_SRC | NFQD_M_DST))
		k |= NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS;
	if (mt & NFQD_M_PROTO)
		k |= NFQD_PKT_K_PROTO;
	if (mt & (NFQD_M_SPORT | NFQD_M_DPORT))
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_PORTS;
	if (mt & NFQD_M_TCPFLAGS)
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_TCPFLAGS;
	if (mt & (NFQD_M_ICMPTYPE | NFQD_M_ICMPCODE))
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_ICMP;
	/* A rate kept per address or flow keys on those fields. */
	if ((mt & NFQD_M_RATE) && r->rate_per != NFQD_PER_RULE)
		k |= NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS;
	if ((mt & NFQD_M_RATE) && r->rate_per == NFQD_PER_FLOW)
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_PORTS;
	return k;
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
	if ((mt & NFQD_M_SRC) && !match_addrs(&rs->cidrs[r->src_off],
	    r->src_n, pi->family, pi->saddr))
		return false;
	if ((mt & NFQD_M_DST) && !match_addrs(&rs->cidrs[r->dst_off],
	    r->dst_n, pi->family, pi->daddr))
		return false;
	/* A port matcher, even negated, only matches packets with ports. */
	if (mt & (NFQD_M_SPORT | NFQD_M_DPORT)) {
		if (!(pi->flags & NFQD_PKT_F_PORTS))
			return false;
		if ((mt & NFQD_M_SPORT) && !match_ports(&rs->ports[r->sport_off],
		    r->sport_n, pi->sport))
			return false;
		if ((mt & NFQD_M_DPORT) && !match_ports(&rs->ports[r->dport_off],
		    r->dport_n, pi->dport))
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
