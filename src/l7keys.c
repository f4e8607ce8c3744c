/*
 * The application-layer keys of a rule (tls_sni, http_host, dns_qname,
 * server_name, l7, alpn, http_method, http_path, dns_qtype, tls_ech,
 * tls_ja4, dst_name, flow): rows of rulekeys.c's table, kept here so that
 * each file holds one job.  The name sets they name ("@set") are read in
 * namesets.c.
 */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nfqd/cfgutil.h"
#include "nfqd/ipproto.h"
#include "nfqd/l7.h"
#include "nfqd/l7/dnstcp.h"
#include "nfqd/l7/ja4.h"
#include "nfqd/l7/names.h"
#include "nfqd/nfqd.h"
#include "nfqd/rulekeys.h"
#include "nfqd/util.h"

/* The rule's l7 part, made on its first key. */
static struct nfqd_rule_l7 *
l7part(struct nfqd_ruleload *l)
{
	struct nfqd_rule_l7	*v;

	if (l->r->l7x != NFQD_NONE)
		return &l->rs->l7x[l->r->l7x];
	v = nfqd_ruleload_grow(l, l->rs->l7x, l->rs->nl7x, &l->cap_l7x,
	    sizeof(*v));
	if (v == NULL)
		return NULL;
	l->rs->l7x = v;
	memset(&v[l->rs->nl7x], 0, sizeof(*v));
	l->r->l7x = l->rs->nl7x++;
	return &v[l->r->l7x];
}

/* A string or a list of strings: calls each(l, s, element, string). */
static void
each_string(struct nfqd_ruleload *l, config_setting_t *s, unsigned max,
    void (*each)(struct nfqd_ruleload *, config_setting_t *,
    config_setting_t *, const char *))
{
	config_setting_t	*e;
	const char		*v;
	int			 i, cnt = 1;
	bool			 list;

	list = config_setting_is_aggregate(s) &&
	    config_setting_type(s) != CONFIG_TYPE_GROUP;
	if (list) {
		if ((cnt = config_setting_length(s)) == 0) {
			rerr(l, s, "an empty list matches nothing");
			return;
		}
		if ((unsigned)cnt > max) {
			rerr(l, s, "%d elements; at most %u in one list", cnt,
			    max);
			return;
		}
	} else if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
		rerr(l, s, "must be a string or a list of strings");
		return;
	}
	for (i = 0; i < cnt; i++) {
		e = list ? config_setting_get_elem(s, (unsigned)i) : s;
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			rerr(l, s, "must be a string or a list of strings");
			return;
		}
		v = config_setting_get_string(e);
		each(l, s, e, v);
	}
}

static enum nfqd_name_key
name_key(config_setting_t *s)
{
	const char	*k = config_setting_name(s);

	if (strcmp(k, "tls_sni") == 0)
		return NFQD_NK_SNI;
	if (strcmp(k, "http_host") == 0)
		return NFQD_NK_HOST;
	if (strcmp(k, "dns_qname") == 0)
		return NFQD_NK_QNAME;
	if (strcmp(k, "tls_ja4") == 0)
		return NFQD_NK_JA4;
	if (strcmp(k, "dst_name") == 0)
		return NFQD_NK_DNAME;
	return NFQD_NK_SNAME;
}

static const uint32_t name_matcher[NFQD_NK_MAX] = {
	NFQD_M_SNI, NFQD_M_HOST, NFQD_M_QNAME, NFQD_M_SNAME, NFQD_M_JA4,
	NFQD_M_DNAME,
};

/* name is a set that name_sets refused, with its error. */
static bool
set_refused(const struct nfqd_ruleload *l, const char *name)
{
	uint32_t	i;

	for (i = 0; i < l->nsets_failed; i++)
		if (strcmp(l->sets_failed[i], name) == 0)
			return true;
	return false;
}

static void
one_name(struct nfqd_ruleload *l, config_setting_t *s, config_setting_t *e,
    const char *v)
{
	struct nfqd_rule_l7	*x;
	enum nfqd_name_key	 k = name_key(s);
	char			 err[512];
	uint32_t		 i;

	(void)e;
	if ((x = l7part(l)) == NULL)
		return;
	l->l7hash = nfqd_fnv1a(l->l7hash, &k, sizeof(k));
	l->l7hash = nfqd_fnv1a(l->l7hash, v, strlen(v) + 1);
	if (v[0] == '@') {
		for (i = 0; i < l->rs->nsets &&
		    strcmp(l->rs->sets[i].name, v + 1) != 0; i++)
			;
		if (i == l->rs->nsets) {
			/* A set refused has said why: the rule is as if it
			 * had it (the configuration is refused). */
			if (set_refused(l, v + 1)) {
				l->r->matchers |= name_matcher[k];
				return;
			}
			rerr(l, s, "\"%s\": no name set \"%s\" (name_sets = "
			    "( { name = \"%s\"; file = ...; } ))", v, v + 1,
			    v + 1);
			return;
		}
		/* One place stays for the rule's own names. */
		if (x->nsets[k] == NFQD_RULE_MAX_SETS - 1) {
			rerr(l, s, "\"%s\": at most %d name sets in one key",
			    v, NFQD_RULE_MAX_SETS - 1);
			return;
		}
		x->sets[k][x->nsets[k]++] = l->rs->sets[i].names;
		/* A set whose file changed changes the rule. */
		l->l7hash = nfqd_fnv1a(l->l7hash, &l->rs->sets[i].hash,
		    sizeof(l->rs->sets[i].hash));
		l->r->matchers |= name_matcher[k];
		return;
	}
	/* A fingerprint is kept as a name (the sets fold case, so does the
	   match); one written wrong could never match. */
	if (k == NFQD_NK_JA4 && !nfqd_ja4_valid(v, strlen(v))) {
		rerr(l, s, "\"%s\" is not a JA4 fingerprint (36 characters: "
		    "t13d1516h2_8daaf6152771_e5627efa2ab1)", v);
		return;
	}
	if (l->nb[k] == NULL && (l->nb[k] = nfqd_names_builder_new()) == NULL) {
		l->oom = true;
		return;
	}
	if (nfqd_names_add(l->nb[k], v, strlen(v), err, sizeof(err)) == -1) {
		rerr(l, s, "\"%s\": %s", v, err);
		return;
	}
	l->r->matchers |= name_matcher[k];
}

static void
key_names(struct nfqd_ruleload *l, config_setting_t *s)
{
	each_string(l, s, 4096, one_name);
}

/*
 * Append (length, bytes) to one of the rule's packed lists: the list at
 * byte off of its l7 part, its length at loff, cap bytes; m: its matcher.
 */
#define LIST(f)	offsetof(struct nfqd_rule_l7, f),			\
		offsetof(struct nfqd_rule_l7, f##_len),			\
		sizeof(((struct nfqd_rule_l7 *)0)->f)

static void
pack(struct nfqd_ruleload *l, config_setting_t *s, size_t off, size_t loff,
    size_t cap, uint32_t m, const char *p, size_t len)
{
	struct nfqd_rule_l7	*x;
	uint8_t			*v;
	uint16_t		*vlen;

	if ((x = l7part(l)) == NULL)
		return;
	v = (uint8_t *)x + off;
	vlen = (uint16_t *)((uint8_t *)x + loff);
	if (*vlen + 1 + len > cap) {
		rerr(l, s, "too many elements");
		return;
	}
	v[*vlen] = (uint8_t)len;
	memcpy(&v[*vlen + 1], p, len);
	*vlen = (uint16_t)(*vlen + 1 + len);
	l->r->matchers |= m;
}

static void
one_alpn(struct nfqd_ruleload *l, config_setting_t *s, config_setting_t *e,
    const char *v)
{
	size_t	n = strlen(v);

	(void)e;
	if (n == 0 || n > 32) {
		rerr(l, s, "\"%s\": a protocol name is 1 to 32 bytes (h2, "
		    "http/1.1, ...)", v);
		return;
	}
	pack(l, s, LIST(alpn), NFQD_M_ALPN, v, n);
}

static void
key_alpn(struct nfqd_ruleload *l, config_setting_t *s)
{
	each_string(l, s, NFQD_RULE_MAX_L7LIST, one_alpn);
}

/* RFC 9110 tchar. */
static bool
tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static void
one_method(struct nfqd_ruleload *l, config_setting_t *s, config_setting_t *e,
    const char *v)
{
	size_t	i, n = strlen(v);

	(void)e;
	for (i = 0; i < n && tchar((unsigned char)v[i]); i++)
		;
	if (n == 0 || n > NFQD_L7_METHOD_MAX || i < n) {
		rerr(l, s, "\"%s\": a method is 1 to %d token characters "
		    "(GET, POST, ...; compared exactly)", v,
		    NFQD_L7_METHOD_MAX);
		return;
	}
	pack(l, s, LIST(method), NFQD_M_METHOD, v, n);
}

static void
key_method(struct nfqd_ruleload *l, config_setting_t *s)
{
	each_string(l, s, NFQD_RULE_MAX_L7LIST, one_method);
}

/*
 * A path prefix, written as http.c leaves a path: starting with "/", no
 * "%" escapes of characters that need none, no "." or ".." segments, no
 * "//", no ';' before a '?' (path parameters are taken out), nothing a
 * server might read two ways.  Anything else could never match what nfqd
 * compares it with.
 */
static void
one_path(struct nfqd_ruleload *l, config_setting_t *s, config_setting_t *e,
    const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	char		 buf[NFQD_L7_PATH_MAX];
	size_t		 n = strlen(v), i, k;
	const char	*why = NULL;
	uint8_t		 c;

	(void)e;
	if (n == 0 || v[0] != '/')
		why = "must start with \"/\"";
	else if (n > NFQD_L7_PATH_MAX)
		why = "is longer than the 64 bytes of a path nfqd keeps";
	else if (strstr(v, "//") != NULL)
		why = "has \"//\", which nfqd reads as \"/\"";
	else if (strstr(v, "/./") != NULL || strstr(v, "/../") != NULL ||
	    (n >= 2 && strcmp(v + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(v + n - 3, "/..") == 0))
		why = "has a \".\" or \"..\" segment, which nfqd resolves";
	else if (strchr(v, '%') != NULL)
		why = "has a %-escape; write the character itself";
	else if (strpbrk(v, "\\ \t") != NULL)
		why = "has a backslash or a blank";
	else if (strcspn(v, ";") < strcspn(v, "?"))
		why = "has a \";\" before its query, if any: nfqd takes "
		    "path parameters out (\"/a;x/b\" is \"/a/b\")";
	if (why != NULL) {
		rerr(l, s, "\"%s\" %s", v, why);
		return;
	}
	/* Bytes past ASCII as nfqd leaves them in a path, %-escaped in
	   capitals: a request line holds them only so ("/caf%C3%A9"). */
	for (i = k = 0; i < n; i++) {
		c = (uint8_t)v[i];
		if (c < 0x80) {
			if (k < sizeof(buf))
				buf[k] = (char)c;
			k++;
			continue;
		}
		if (k + 3 <= sizeof(buf)) {
			buf[k] = '%';
			buf[k + 1] = hex[c >> 4];
			buf[k + 2] = hex[c & 15];
		}
		k += 3;
	}
	if (k > NFQD_L7_PATH_MAX) {
		rerr(l, s, "\"%s\" is longer than the 64 bytes of a path nfqd "
		    "keeps, its bytes past ASCII %%-escaped", v);
		return;
	}
	pack(l, s, LIST(path), NFQD_M_PATH, buf, k);
}

static void
key_path(struct nfqd_ruleload *l, config_setting_t *s)
{
	each_string(l, s, NFQD_RULE_MAX_L7LIST, one_path);
}

static const struct {
	const char	*name;
	uint16_t	 type;
} qtypes[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
	{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 },
	{ "NAPTR", 35 }, { "DS", 43 }, { "DNSKEY", 48 }, { "SVCB", 64 },
	{ "HTTPS", 65 }, { "ANY", 255 }, { "CAA", 257 },
};

static void
key_qtype(struct nfqd_ruleload *l, config_setting_t *s)
{
	struct nfqd_rule_l7	*x;
	config_setting_t	*e;
	long long		 v;
	const char		*str;
	int			 i, cnt = 1;
	size_t			 j;
	bool			 list;

	list = config_setting_type(s) == CONFIG_TYPE_LIST ||
	    config_setting_type(s) == CONFIG_TYPE_ARRAY;
	if (list && ((cnt = config_setting_length(s)) == 0 ||
	    cnt > NFQD_RULE_MAX_L7LIST)) {
		rerr(l, s, "1 to %d types", NFQD_RULE_MAX_L7LIST);
		return;
	}
	if ((x = l7part(l)) == NULL)
		return;
	for (i = 0; i < cnt; i++) {
		e = list ? config_setting_get_elem(s, (unsigned)i) : s;
		if (cfg_is_int(e)) {
			if (cfg_int(l->c, e, 0, 65535, &v) == -1)
				return;
		} else if ((str = cfg_str(l->c, e)) != NULL) {
			for (j = 0; j < NFQD_ARRAY_SIZE(qtypes) &&
			    strcasecmp(str, qtypes[j].name) != 0; j++)
				;
			if (j == NFQD_ARRAY_SIZE(qtypes)) {
				rerr(l, s, "\"%s\" is not a type nfqd knows by "
				    "name (A, AAAA, HTTPS, MX, TXT, ...); write "
				    "its number", str);
				return;
			}
			v = qtypes[j].type;
		} else {
			return;
		}
		x->qtypes[x->nqtypes++] = (uint16_t)v;
	}
	l->r->matchers |= NFQD_M_QTYPE;
}

static void
key_l7(struct nfqd_ruleload *l, config_setting_t *s)
{
	static const char *const protos[] = { "none", "tls", "http", "dns",
	    "quic" };
	struct nfqd_rule_l7	*x;
	int			 i;

	_Static_assert(NFQD_L7P_MAX == 5, "protos[] names each");
	if ((i = cfg_choice(l->c, s, protos, NFQD_L7P_MAX)) < 0 || (x = l7part(l)) == NULL)
		return;
	x->proto = (uint8_t)i;
	l->r->matchers |= NFQD_M_L7;
}

static void
key_ech(struct nfqd_ruleload *l, config_setting_t *s)
{
	struct nfqd_rule_l7	*x;
	bool			 b;

	if (cfg_bool(l->c, s, &b) == -1 || (x = l7part(l)) == NULL)
		return;
	x->ech = b;
	l->r->matchers |= NFQD_M_ECH;
}

static void
key_flow(struct nfqd_ruleload *l, config_setting_t *s)
{
	bool	b;

	if (cfg_bool(l->c, s, &b) == 0)
		l->r->flow = b ? 1 : 0;
	l->flow = s;
}

const struct nfqd_rulekey nfqd_l7_rulekeys[] = {
	{ "tls_sni", key_names },	{ "http_host", key_names },
	{ "dns_qname", key_names },	{ "server_name", key_names },
	{ "l7", key_l7 },		{ "alpn", key_alpn },
	{ "http_method", key_method },	{ "http_path", key_path },
	{ "dns_qtype", key_qtype },	{ "tls_ech", key_ech },
	{ "tls_ja4", key_names },	{ "flow", key_flow },
	{ "dst_name", key_names },
};

const size_t nfqd_l7_nrulekeys = NFQD_ARRAY_SIZE(nfqd_l7_rulekeys);

void
nfqd_l7_rule_begin(struct nfqd_ruleload *l)
{
	unsigned	k;

	_Static_assert(NFQD_M_JA4 == NFQD_M_L7 << 10 &&
	    NFQD_M_L7ALL == (NFQD_M_L7 << 11) - NFQD_M_L7,
	    "l7s[] has a place for each application-layer key");
	for (k = 0; k < NFQD_ARRAY_SIZE(l->l7s); k++)
		l->l7s[k] = NULL;

	l->r->l7x = NFQD_NONE;
	l->r->flow = 2;		/* not said */
	l->l7hash = NFQD_FNV_INIT;
	l->flow = NULL;
	for (k = 0; k < NFQD_NK_MAX; k++)
		l->nb[k] = NULL;
}

#define LP(p)	(1u << (p))
#define LP_HELLO	(LP(NFQD_L7P_TLS) | LP(NFQD_L7P_QUIC))

/* What each application-layer key reads, by its NFQD_M_* bit from
 * NFQD_M_L7 on (l7 = "..." is the flow's protocol itself). */
static const struct {
	const char	*key;
	unsigned	 protos;	/* LP() of the protocols it is in */
	const char	*from;
} l7reads[] = {
	{ "l7", 0, NULL },
	{ "tls_sni", LP_HELLO, "TLS and QUIC hellos" },
	{ "http_host", LP(NFQD_L7P_HTTP), "HTTP requests" },
	{ "dns_qname", LP(NFQD_L7P_DNS), "DNS queries" },
	{ "server_name", LP_HELLO | LP(NFQD_L7P_HTTP),
	    "TLS and QUIC hellos and HTTP requests" },
	{ "alpn", LP_HELLO, "TLS and QUIC hellos" },
	{ "http_method", LP(NFQD_L7P_HTTP), "HTTP requests" },
	{ "http_path", LP(NFQD_L7P_HTTP), "HTTP requests" },
	{ "dns_qtype", LP(NFQD_L7P_DNS), "DNS queries" },
	{ "tls_ech", LP_HELLO, "TLS and QUIC hellos" },
	{ "tls_ja4", LP_HELLO, "TLS and QUIC hellos" },
};

/* l7 = "..."'s protocols, and what they are. */
static const char *const l7flows[NFQD_L7P_MAX] = {
	"flows of no protocol nfqd reads", "TLS flows", "HTTP flows",
	"DNS messages", "QUIC flows",
};

static unsigned
l7key_protos(const struct nfqd_rule_l7 *x, unsigned b, const char **from)
{
	if (b == 0) {
		*from = l7flows[x->proto];
		return LP(x->proto);
	}
	*from = l7reads[b].from;
	return l7reads[b].protos;
}

/*
 * Whether the rule's src_port or dst_port list (n == 0: none, any port)
 * lets port 53 through, and some other port.  The ports a list lets
 * through are runs that start at 0, at a range's start or just past a
 * range's end; a run that starts at 53 and goes on holds 54.
 */
static void
ports_reach(const struct nfqd_prange *v, uint32_t n, bool *dns, bool *other)
{
	uint32_t	i;

	*dns = nfqd_ports_match(v, n, NFQD_DNST_PORT);
	*other = nfqd_ports_match(v, n, 0) ||
	    nfqd_ports_match(v, n, NFQD_DNST_PORT + 1);
	for (i = 0; i < n && !*other; i++) {
		if (v[i].lo != NFQD_DNST_PORT &&
		    nfqd_ports_match(v, n, v[i].lo))
			*other = true;
		else if (v[i].hi < UINT16_MAX &&
		    v[i].hi + 1 != NFQD_DNST_PORT &&
		    nfqd_ports_match(v, n, (uint16_t)(v[i].hi + 1)))
			*other = true;
	}
}

/*
 * The rule's ports against what its keys read (all: LP() of the
 * protocols they leave): DNS is read where either port is 53 (a query
 * goes to port 53, its answer comes from it), and a datagram or
 * connection to port 53 is DNS alone; a client may send a hello or a
 * request from port 53 (l7tcp.c, l7udp.c).  0, or -1 after an error.
 */
static int
ports_check(struct nfqd_ruleload *l, const struct nfqd_rule_l7 *x,
    unsigned all)
{
	const struct nfqd_rule	*r = l->r;
	config_setting_t	*at;
	const char		*from;
	const unsigned		 named = LP_HELLO | LP(NFQD_L7P_HTTP);
	bool			 sdns = true, ddns = true, dother = true;
	bool			 sother;	/* a client's port: any */
	unsigned		 b, want;

	if (r->matchers & NFQD_M_SPORT)
		ports_reach(&l->rs->ports[r->sport_off], r->sport_n, &sdns,
		    &sother);
	if (r->matchers & NFQD_M_DPORT)
		ports_reach(&l->rs->ports[r->dport_off], r->dport_n, &ddns,
		    &dother);
	if (!sdns && !ddns && (all & ~LP(NFQD_L7P_DNS)) == 0) {
		want = LP(NFQD_L7P_DNS);
		at = l->dport;		/* both are there */
	} else if (!dother && (all & ~named) == 0) {
		want = named;
		at = l->dport;
	} else {
		/* Answers alone: most likely meant for queries. */
		if (!ddns && l->sport == NULL && (all & ~LP(NFQD_L7P_DNS)) == 0)
			cfg_warn_at(l->c, l->dport, "dst_port: DNS queries "
			    "go to port 53, so the rule matches answers from "
			    "port 53 alone (write src_port = 53 to say so)");
		return 0;
	}
	for (b = 0; b < NFQD_ARRAY_SIZE(l7reads); b++)
		if ((r->matchers & (NFQD_M_L7 << b)) &&
		    (l7key_protos(x, b, &from) & want) != 0)
			break;
	if (b == NFQD_ARRAY_SIZE(l7reads))
		return 0;		/* not reached: all is in want */
	if (want == LP(NFQD_L7P_DNS))
		rerr(l, at, "never matches with %s: it reads %s, and nfqd "
		    "reads those where src_port or dst_port is 53, and only "
		    "there", b == 0 ? "l7" : l7reads[b].key, from);
	else
		rerr(l, at, "never matches with %s: it reads %s, and what "
		    "goes to port 53 nfqd reads as DNS alone",
		    b == 0 ? "l7" : l7reads[b].key, from);
	return -1;
}

void
nfqd_l7_rule_check(struct nfqd_ruleload *l)
{
	const struct nfqd_rule	*r = l->r;
	const struct nfqd_rule_l7 *x;
	const char		*from, *from2, *over;
	unsigned		 b, j, p, all = LP(NFQD_L7P_MAX) - 1, have;
	char			 pb[16];

	_Static_assert(NFQD_ARRAY_SIZE(l7reads) == NFQD_ARRAY_SIZE(l->l7s),
	    "l7reads[] names each key");
	if ((r->matchers & NFQD_M_L7ALL) == 0 || r->l7x == NFQD_NONE)
		return;
	x = &l->rs->l7x[r->l7x];
	/* The keys against each other: one packet carries one protocol. */
	for (b = 0; b < NFQD_ARRAY_SIZE(l7reads); b++) {
		if (!(r->matchers & (NFQD_M_L7 << b)) || l->l7s[b] == NULL)
			continue;
		p = l7key_protos(x, b, &from);
		if ((all & p) != 0) {
			all &= p;
			continue;
		}
		for (j = 0; j < b; j++) {
			if (!(r->matchers & (NFQD_M_L7 << j)) ||
			    (l7key_protos(x, j, &from2) & p) != 0)
				continue;
			if (j == 0)
				rerr(l, l->l7s[b], "never matches with l7 = "
				    "\"%s\": it reads %s, and that is for %s",
				    nfqd_l7_proto_str(x->proto), from, from2);
			else
				rerr(l, l->l7s[b], "never matches with %s: it "
				    "reads %s, and %s reads %s",
				    l7reads[j].key, from, l7reads[j].key, from2);
			return;
		}
		rerr(l, l->l7s[b], "never matches with the rule's other "
		    "keys: it reads %s", from);
		return;
	}
	if (ports_check(l, x, all) == -1)
		return;
	if (!(r->matchers & NFQD_M_PROTO))
		return;
	/* What each transport carries (l7.c: TLS and HTTP over TCP, QUIC
	 * over UDP, DNS over both). */
	have = LP(NFQD_L7P_NONE);
	if (r->proto == IPPROTO_TCP)
		have |= LP(NFQD_L7P_TLS) | LP(NFQD_L7P_HTTP) |
		    LP(NFQD_L7P_DNS);
	else if (r->proto == IPPROTO_UDP)
		have |= LP(NFQD_L7P_DNS) | LP(NFQD_L7P_QUIC);
	if ((all & have) != 0)
		return;
	for (b = 0; b < NFQD_ARRAY_SIZE(l7reads); b++)
		if ((r->matchers & (NFQD_M_L7 << b)) &&
		    (l7key_protos(x, b, &from) & have) == 0)
			break;
	if (b == NFQD_ARRAY_SIZE(l7reads))
		return;		/* not reached: all & have would be 0 */
	p = l7key_protos(x, b, &from);
	over = (p & (LP(NFQD_L7P_TLS) | LP(NFQD_L7P_HTTP))) != 0 ?
	    ((p & LP(NFQD_L7P_QUIC)) != 0 ? "TCP and UDP" : "TCP") :
	    (p & LP(NFQD_L7P_DNS)) != 0 ? "TCP and UDP" : "UDP";
	if (b == 0)
		rerr(l, l->proto, "\"%s\" never carries what l7 = \"%s\" is "
		    "for (%s, over %s)", nfqd_proto_name(r->proto, pb,
		    sizeof(pb)), nfqd_l7_proto_str(x->proto), from, over);
	else
		rerr(l, l->proto, "\"%s\" never carries what %s reads (%s, "
		    "over %s)", nfqd_proto_name(r->proto, pb, sizeof(pb)),
		    l7reads[b].key, from, over);
}

/*
 * The rule was read: build its own name sets, say what flow means for
 * it.  A rule that reads a name decides its flow by default (later
 * packets are not matched again); any other rule decides one packet.
 * DNS is read per message, so a rule that reads DNS fields only cannot
 * decide a flow.
 */
void
nfqd_l7_rule_end(struct nfqd_ruleload *l, bool ok)
{
	struct nfqd_rule	*r = l->r;
	struct nfqd_rule_l7	*x = r->l7x != NFQD_NONE ?
				    &l->rs->l7x[r->l7x] : NULL;
	struct nfqd_names	*n;
	unsigned		 k, i;
	const uint32_t		 dnsonly = NFQD_M_QNAME | NFQD_M_QTYPE;

	for (k = 0; k < NFQD_NK_MAX; k++) {
		if (l->nb[k] == NULL)
			continue;
		n = nfqd_names_build(l->nb[k]);
		l->nb[k] = NULL;
		if (n == NULL) {
			l->oom = true;
			continue;
		}
		if (!ok || x == NULL) {
			nfqd_names_free(n);
			continue;
		}
		/* Its own names first: the set most rules hit (one_name()
		 * kept a place for them). */
		for (i = x->nsets[k]; i > 0; i--)
			x->sets[k][i] = x->sets[k][i - 1];
		x->sets[k][0] = n;
		x->nsets[k]++;
		x->own[k] = n;
	}
	if (r->flow == 2) {
		r->flow = (r->matchers & (NFQD_M_L7ALL | NFQD_M_DNAME) &
		    ~dnsonly) != 0 &&
		    r->action != NFQD_VERDICT_CONTINUE;
	} else if (r->flow && (r->matchers & NFQD_M_L7ALL) != 0 &&
	    (r->matchers & NFQD_M_L7ALL & ~dnsonly) == 0) {
		rerr(l, l->flow, "a DNS rule decides each query, not a flow "
		    "(one connection carries many)");
	} else if (r->flow && r->action == NFQD_VERDICT_CONTINUE) {
		rerr(l, l->flow, "a \"continue\" rule decides nothing to "
		    "keep");
	}
	if (x != NULL) {
		l->l7hash = nfqd_fnv1a(l->l7hash, &x->proto, 2);
		l->l7hash = nfqd_fnv1a(l->l7hash, x->alpn, x->alpn_len);
		l->l7hash = nfqd_fnv1a(l->l7hash, x->method, x->method_len);
		l->l7hash = nfqd_fnv1a(l->l7hash, x->path, x->path_len);
		l->l7hash = nfqd_fnv1a(l->l7hash, x->qtypes,
		    x->nqtypes * sizeof(x->qtypes[0]));
	}
	l->l7hash = nfqd_fnv1a(l->l7hash, &r->flow, 1);
	if (ok && (r->matchers & NFQD_M_L7ALL))
		l->rs->l7 = true;
}

/*
 * nfqd_rules_dname() asks whether any rule's dst_name names a name, once
 * per name of every DNS answer taken: one lookup in the union of the
 * rules' own elements and one per distinct "@SET", instead of one per
 * set of every rule.  An element written "x" in one rule and "=x" in
 * another is "x" in the union, which matches what one of the two does.
 * The "@SET"s are the rule set's name_sets (one_name() took them from
 * rs->sets[]), freed with it after the union: referenced, never copied.
 */
int
nfqd_l7_dname_union(struct nfqd_ruleset *rs)
{
	struct nfqd_names_builder	*b = NULL;
	const struct nfqd_rule_l7	*x;
	const struct nfqd_names		*s;
	char				 err[256];
	uint32_t			 i, j, k;

	for (i = 0; i < rs->n; i++) {
		if (!(rs->rules[i].matchers & NFQD_M_DNAME))
			continue;
		x = &rs->l7x[rs->rules[i].l7x];
		for (j = 0; j < x->nsets[NFQD_NK_DNAME]; j++) {
			s = x->sets[NFQD_NK_DNAME][j];
			if (s == x->own[NFQD_NK_DNAME]) {
				if (b == NULL &&
				    (b = nfqd_names_builder_new()) == NULL)
					return -1;
				if (nfqd_names_add_set(b, s, err,
				    sizeof(err)) == -1) {
					nfqd_names_builder_free(b);
					errno = ENOMEM;
					return -1;
				}
				continue;
			}
			for (k = 0; k < rs->ndname_sets &&
			    rs->dname_sets[k] != s; k++)
				;
			if (k < rs->ndname_sets)
				continue;
			if (rs->dname_sets == NULL && (rs->dname_sets =
			    calloc(rs->nsets, sizeof(*rs->dname_sets))) ==
			    NULL) {
				nfqd_names_builder_free(b);
				return -1;
			}
			rs->dname_sets[rs->ndname_sets++] = s;
		}
	}
	if (b != NULL && (rs->dname_own = nfqd_names_build(b)) == NULL)
		return -1;
	return 0;
}

void
nfqd_l7_rules_free(struct nfqd_ruleset *rs)
{
	uint32_t	i, k;

	for (i = 0; i < rs->nl7x; i++)
		for (k = 0; k < NFQD_NK_MAX; k++)
			nfqd_names_free(rs->l7x[i].own[k]);
	free(rs->l7x);
	for (i = 0; i < rs->nsets; i++) {
		nfqd_names_free(rs->sets[i].names);
		free(rs->sets[i].path);
	}
	free(rs->sets);
	nfqd_names_free(rs->dname_own);
	free(rs->dname_sets);
	rs->dname_own = NULL;
	rs->dname_sets = NULL;
	rs->ndname_sets = 0;
	rs->l7x = NULL;
	rs->sets = NULL;
	rs->nl7x = rs->nsets = 0;
}
