/*
 * The values a rule's keys share: addresses and prefixes, ports and port
 * ranges (each a value or a list of up to MAX_LIST), 32-bit numbers and
 * ranges of them.  The keys themselves are in rulekeys.c.
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
#include "nfqd/nfqd.h"
#include "nfqd/rulekeys.h"
#include "nfqd/util.h"

#define MAX_LIST	4096		/* elements in one address or port list */

void *
nfqd_ruleload_grow(struct nfqd_ruleload *l, void *p, uint32_t n,
    uint32_t *cap, size_t size)
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
new_cidr(struct nfqd_ruleload *l)
{
	struct nfqd_cidr	*v;

	v = nfqd_ruleload_grow(l, l->rs->cidrs, l->rs->ncidrs, &l->cap_cidrs,
	    sizeof(*v));
	if (v == NULL)
		return NULL;
	l->rs->cidrs = v;
	memset(&v[l->rs->ncidrs], 0, sizeof(*v));
	return &v[l->rs->ncidrs++];
}

static struct nfqd_prange *
new_port(struct nfqd_ruleload *l)
{
	struct nfqd_prange	*v;

	v = nfqd_ruleload_grow(l, l->rs->ports, l->rs->nports, &l->cap_ports,
	    sizeof(*v));
	if (v == NULL)
		return NULL;
	l->rs->ports = v;
	memset(&v[l->rs->nports], 0, sizeof(*v));
	return &v[l->rs->nports++];
}


/* "10.0.0.0/8", "!fd00::/8", "192.0.2.1" */
int
nfqd_cidr_parse(const char *str, struct nfqd_cidr *out, char *why, size_t wlen)
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
	if (strchr(p, ',') != NULL) {
		snprintf(why, wlen, "\"%s\": a string holds one address or "
		    "prefix; write several as a list, [\"10.0.0.0/8\", "
		    "\"192.168.0.0/16\"]", str);
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
void
nfqd_ruleval_addrs(struct nfqd_ruleload *l, config_setting_t *s,
    uint32_t *off, uint32_t *n)
{
	config_setting_t	*e;
	struct nfqd_cidr	*cd;
	const char		*v;
	char			 why[256];
	int			 i, cnt;

	*off = l->rs->ncidrs;
	*n = 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING &&
	    (!config_setting_is_aggregate(s) ||
	    config_setting_type(s) == CONFIG_TYPE_GROUP)) {
		rerr(l, s, "must be an address or prefix (\"10.0.0.0/8\") or "
		    "a list of them");
		return;
	}
	if ((cnt = cfg_list_len(l->c, s, MAX_LIST, "addresses",
	    "an empty list matches nothing")) == -1)
		return;
	for (i = 0; i < cnt; i++) {
		e = cfg_list_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			rerr(l, s, "element %d must be an address or prefix "
			    "in double quotes", i + 1);
			continue;
		}
		v = config_setting_get_string(e);
		if ((cd = new_cidr(l)) == NULL)
			return;
		if (nfqd_cidr_parse(v, cd, why, sizeof(why)) == -1) {
			rerr(l, s, "%s", why);
			l->rs->ncidrs--;
			continue;
		}
		(*n)++;
	}
}

/* 80, "80", "!22", "1024-65535" */
static int
parse_port(struct nfqd_ruleload *l, config_setting_t *s, config_setting_t *e,
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
	if (*end == ':' && b == a && isdigit((unsigned char)end[1])) {
		rerr(l, s, "\"%s\": write a range with '-' (\"%.*s-%s\"), "
		    "not iptables' ':'", v, (int)(end - v), v, end + 1);
		return -1;
	}
	if (*end == ',') {
		rerr(l, s, "\"%s\": a string holds one port or range; write "
		    "several as a list, [80, 443]", v);
		return -1;
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

void
nfqd_ruleval_ports(struct nfqd_ruleload *l, config_setting_t *s,
    uint32_t *off, uint32_t *n)
{
	config_setting_t	*e;
	struct nfqd_prange	*pr;
	int			 i, cnt;

	*off = l->rs->nports;
	*n = 0;
	if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
		rerr(l, s, "must be a port, a range or a list of them");
		return;
	}
	if ((cnt = cfg_list_len(l->c, s, MAX_LIST, "ports",
	    "an empty list matches nothing")) == -1)
		return;
	for (i = 0; i < cnt; i++) {
		e = cfg_list_elem(s, i);
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
int
nfqd_ruleval_range32(struct nfqd_ruleload *l, config_setting_t *s,
    uint32_t *lo, uint32_t *hi)
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

int
nfqd_ruleval_u32(struct nfqd_ruleload *l, config_setting_t *s, uint32_t *out)
{
	long long	v;

	if (cfg_int(l->c, s, 0, UINT32_MAX, &v) == -1)
		return -1;
	*out = (uint32_t)v;
	return 0;
}
