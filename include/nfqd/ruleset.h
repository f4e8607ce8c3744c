#ifndef NFQD_RULESET_H
#define NFQD_RULESET_H

/*
 * A rule set as the packet path uses it: the rules the configuration's
 * rules = ( ... ) list says, validated (rules.c reads them), in a form the
 * matcher (match.c) and the classifier (classify.c) use directly.  First
 * match wins; a "continue" rule counts (and logs) and evaluation goes on.
 * And the questions asked of a rule set as a whole.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "nfqd/verdict.h"

struct nfqd_classifier;

#define NFQD_RULE_NAME_MAX	64
#define NFQD_MAX_RULES		1000000

enum nfqd_rate_per {
	NFQD_PER_RULE,		/* one bucket for the rule */
	NFQD_PER_SRC,		/* one per source address */
	NFQD_PER_DST,		/* one per destination address */
	NFQD_PER_FLOW,		/* one per addresses, protocol and ports */
};

/* Which matchers a rule has (struct nfqd_rule.matchers). */
#define NFQD_M_FAMILY		0x00001
#define NFQD_M_PROTO		0x00002
#define NFQD_M_SRC		0x00004
#define NFQD_M_DST		0x00008
#define NFQD_M_SPORT		0x00010
#define NFQD_M_DPORT		0x00020
#define NFQD_M_TCPFLAGS		0x00040
#define NFQD_M_ICMPTYPE		0x00080
#define NFQD_M_ICMPCODE		0x00100
#define NFQD_M_IN		0x00200
#define NFQD_M_OUT		0x00400
#define NFQD_M_MARK		0x00800
#define NFQD_M_UID		0x01000
#define NFQD_M_GID		0x02000
#define NFQD_M_LENGTH		0x04000
#define NFQD_M_RATE		0x08000
/* The application layer's (l7.h), each in r->l7x: */
#define NFQD_M_L7		0x00010000	/* l7 = "tls" ... */
#define NFQD_M_SNI		0x00020000	/* tls_sni */
#define NFQD_M_HOST		0x00040000	/* http_host */
#define NFQD_M_QNAME		0x00080000	/* dns_qname */
#define NFQD_M_SNAME		0x00100000	/* server_name */
#define NFQD_M_ALPN		0x00200000
#define NFQD_M_METHOD		0x00400000	/* http_method */
#define NFQD_M_PATH		0x00800000	/* http_path */
#define NFQD_M_QTYPE		0x01000000	/* dns_qtype */
#define NFQD_M_ECH		0x02000000	/* tls_ech */
#define NFQD_M_JA4		0x04000000	/* tls_ja4 */
#define NFQD_M_L7ALL		0x07ff0000
/* dst_name: names learned for the destination (l7/dnslearn.h), known
   from a flow's first packet, so not one of NFQD_M_L7ALL. */
#define NFQD_M_DNAME		0x08000000

/* An address prefix; addr holds the prefix with host bits zero. */
struct nfqd_cidr {
	uint8_t		family;		/* AF_INET, AF_INET6 */
	uint8_t		plen;
	uint8_t		neg;		/* "!": must not match */
	uint8_t		addr[16];
};

/*
 * "10.0.0.0/8", "!fd00::/8", "192.0.2.1" into *out: 0, or -1 with why
 * (wlen bytes) saying what is wrong (rulevals.c).
 */
int	nfqd_cidr_parse(const char *str, struct nfqd_cidr *out, char *why,
	    size_t wlen);
/*
 * Whether addr (of family) matches the list v[0..n): it is in one of its
 * positive prefixes (or the list has none) and in none of its negative
 * ones (match.c).
 */
bool	nfqd_cidrs_match(const struct nfqd_cidr *v, uint32_t n,
	    uint8_t family, const uint8_t *addr);

/* A port range (a single port: lo == hi). */
struct nfqd_prange {
	uint16_t	lo;
	uint16_t	hi;
	uint8_t		neg;
};

/*
 * Whether port is in the list v[0..n): in one of its positive ranges (or
 * it has none) and in none of its negative ones.  For the packet path
 * (match.c) and the rule reader.
 */
static inline bool
nfqd_ports_match(const struct nfqd_prange *v, uint32_t n, uint16_t port)
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

struct nfqd_ifmatch {
	char		name[IFNAMSIZ];
	uint8_t		len;		/* bytes of name compared */
	uint8_t		prefix;		/* "eth+": any name starting "eth" */
	uint8_t		neg;		/* "!eth0" */
};

/* Fields the matcher reads first; the name last, off the hot lines. */
struct nfqd_rule {
	uint32_t	matchers;	/* NFQD_M_* */
	uint8_t		family;		/* NFQD_M_FAMILY: AF_INET or AF_INET6 */
	uint8_t		proto;		/* NFQD_M_PROTO */
	uint8_t		tcp_mask;	/* NFQD_M_TCPFLAGS: flags looked at */
	uint8_t		tcp_val;	/* ... and the values they must have */
	uint8_t		icmp_type;
	uint8_t		icmp_code;
	uint8_t		action;		/* enum nfqd_verdict */
	uint8_t		log;		/* NFQD_LOG_* bits */
	uint8_t		rate_per;	/* enum nfqd_rate_per */
	uint8_t		has_setmark;
	uint8_t		needs;		/* NFQD_PKT_K_* fields it reads */
	uint8_t		flow;		/* its verdict is the flow's */
	uint16_t	queue;		/* NFQD_VERDICT_QUEUE target */
	uint32_t	setmark;	/* mark set with accept or repeat */
	uint32_t	mark_val;	/* NFQD_M_MARK: (mark & mask) == val */
	uint32_t	mark_mask;
	uint32_t	uid_lo, uid_hi;
	uint32_t	gid_lo, gid_hi;
	uint32_t	len_lo, len_hi;
	uint32_t	src_off, src_n;		/* in ruleset cidrs[] */
	uint32_t	dst_off, dst_n;
	uint32_t	sport_off, sport_n;	/* in ruleset ports[] */
	uint32_t	dport_off, dport_n;
	struct nfqd_ifmatch in;
	struct nfqd_ifmatch out;
	uint64_t	rate_cost;	/* ns of credit one packet costs */
	uint64_t	rate_burst;	/* ns of credit the bucket holds */
	uint64_t	defhash;	/* of the definition, name excluded */
	uint32_t	l7x;		/* in ruleset l7x[], or NFQD_NONE */
	uint32_t	cell;		/* shared rate bucket, or NFQD_NONE */
	uint32_t	logslot;	/* log rate limiter, or NFQD_NONE */
	int		line;		/* in the configuration */
	char		name[NFQD_RULE_NAME_MAX];
};

#define NFQD_NONE	UINT32_MAX

/* What a rule's log key asks for, per packet it matches. */
#define NFQD_LOG_LINE	0x01	/* log = true: a line, rate-limited */
#define NFQD_LOG_PCAP	0x02	/* log = "pcap": the packet, to the
				   worker's capture file (pcap.h) */

struct nfqd_names;

/* The name keys of a rule, by index in struct nfqd_rule_l7's sets. */
enum nfqd_name_key {
	NFQD_NK_SNI,		/* tls_sni */
	NFQD_NK_HOST,		/* http_host */
	NFQD_NK_QNAME,		/* dns_qname */
	NFQD_NK_SNAME,		/* server_name */
	NFQD_NK_JA4,		/* tls_ja4: fingerprints, as names */
	NFQD_NK_DNAME,		/* dst_name */
	NFQD_NK_MAX
};

#define NFQD_RULE_MAX_SETS	8	/* sets one name key may name */
#define NFQD_RULE_MAX_L7LIST	16	/* elements of alpn, http_method,
					   http_path, dns_qtype */

/*
 * A rule's application-layer matchers.  A name key matches when the name
 * is in one of its sets: the rule's own elements (owned here) and the
 * name sets it names with "@SET" (the rule set's).  The lists are packed
 * (length, bytes)... and match any element.
 */
struct nfqd_rule_l7 {
	const struct nfqd_names *sets[NFQD_NK_MAX][NFQD_RULE_MAX_SETS];
	uint8_t		 nsets[NFQD_NK_MAX];
	struct nfqd_names *own[NFQD_NK_MAX];	/* owned, may be NULL */
	uint8_t		 proto;			/* NFQD_M_L7: enum nfqd_l7_proto */
	uint8_t		 ech;			/* NFQD_M_ECH: the value */
	uint16_t	 alpn_len, method_len, path_len;
	uint8_t		 nqtypes;
	uint16_t	 qtypes[NFQD_RULE_MAX_L7LIST];
	uint8_t		 alpn[NFQD_RULE_MAX_L7LIST * 33];	/* each <= 32 */
	uint8_t		 method[NFQD_RULE_MAX_L7LIST * 17];	/* each <= 16 */
	uint8_t		 path[NFQD_RULE_MAX_L7LIST * 65];	/* each <= 64 */
};

/* A name set of the configuration: name_sets = ( { name; file; } ). */
struct nfqd_nameset {
	char		 name[NFQD_RULE_NAME_MAX];
	char		*path;
	struct nfqd_names *names;
	uint64_t	 hash;		/* of the file's bytes */
	int		 line;
	/*
	 * What stat() said of path just before it was read: a file that
	 * says the same at the next reload (the same inode, size,
	 * modification and change times) is not read again, its set kept.
	 */
	uint64_t	 dev, ino, size;
	struct timespec	 mtime, ctime;
	bool		 stat_ok;	/* ... and over 2 s old: reusable */
	bool		 stat_read;	/* stat() answered, maybe within 2 s */
};

struct nfqd_ruleset {
	struct nfqd_rule	*rules;
	uint32_t		 n;
	struct nfqd_cidr	*cidrs;
	uint32_t		 ncidrs;
	struct nfqd_prange	*ports;
	uint32_t		 nports;
	uint32_t		 all_matchers;	/* union over rules */
	uint8_t			 all_needs;	/* union of the rules' needs */
	uint32_t		 ncells;	/* rules with rate, per = "rule" */
	uint32_t		 nlogs;		/* rules with log = true */
	uint32_t		 npcap;		/* rules with log = "pcap" */
	bool			 keyed_rates;	/* a rate per src, dst or flow */
	uint32_t		*byname;	/* rule indexes in name order */
	struct nfqd_rule_l7	*l7x;		/* rules' l7 matchers */
	uint32_t		 nl7x;
	struct nfqd_nameset	*sets;		/* name_sets, owned */
	uint32_t		 nsets;
	bool			 l7;		/* a rule reads layer 7 */
	/* Every dst_name rule's names at once (nfqd_rules_dname()): the
	   rules' own elements in one set, and the distinct "@SET"s they
	   name (sets[]' own, held there: never copied). */
	struct nfqd_names	*dname_own;	/* owned; NULL: no own names */
	const struct nfqd_names	**dname_sets;
	uint32_t		 ndname_sets;
	struct nfqd_classifier	*cls;		/* compiled, for the workers */
};

/* Same rules, same order, same definitions and names. */
bool	nfqd_rules_equal(const struct nfqd_ruleset *a,
	    const struct nfqd_ruleset *b);

/* The same, where NULL stands for no rules. */
bool	nfqd_rules_same(const struct nfqd_ruleset *a,
	    const struct nfqd_ruleset *b);

/*
 * The same name sets: names, files and the files' bytes (their hash);
 * NULL stands for none.  Rules that name no set do not tell a changed
 * set (nfqd_rules_same() says yes): a reload asks this too.
 */
bool	nfqd_rules_sets_same(const struct nfqd_ruleset *a,
	    const struct nfqd_ruleset *b);

/*
 * A reload that read b's sets and found them a's (nfqd_rules_sets_same())
 * keeps a and frees b: a's sets take what stat() said of each file before
 * b read it, so that the next reload takes them unread.  Without it a set
 * kept the stat() of its first reading, and a list rewritten with the same
 * bytes was read again at every reload after.
 */
void	nfqd_rules_sets_restat(struct nfqd_ruleset *a,
	    const struct nfqd_ruleset *b);

/* The index of the rule with this name, or -1. */
int	nfqd_rules_find(const struct nfqd_ruleset *rs, const char *name);

/* The packet fields (NFQD_PKT_K_*) a rule's matchers and rate key read. */
uint8_t	nfqd_rule_needs(const struct nfqd_rule *r);

#endif
