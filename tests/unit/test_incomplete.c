/*
 * Unit tests for packets whose headers nfqd cannot read whole (engine.c):
 * tiny first fragments, long IPv6 header chains, headers cut by the copy
 * range, malformed headers.  First a table of crafted shapes against the
 * rules an attacker wants to walk around, parsed from their bytes; then,
 * on random rules and random packets with fields left unknown, that the
 * classifier and the rule-by-rule walk decide alike, and that a verdict
 * the engine gives from the rules is the one every completion of the
 * unknown fields would get.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"
#include "unit.h"

static char	dir[PATH_MAX];
static unsigned	nfiles;

static int
load_text(struct nfqd_config *cf, const char *name, const char *text)
{
	struct unit_reports	rs;
	char			path[PATH_MAX + 32];
	int			r;

	snprintf(path, sizeof(path), "%s/c%u.conf", dir, nfiles++);
	if (unit_write_text(path, text) == -1)
		return CHECK(0, unit_fmt("%s: writing the configuration",
		    name));
	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load(cf, path, NULL, unit_collect, &rs);
	return CHECKF(r == 0 && cf->rules != NULL, unit_fmt("%s: loads", name),
	    "returned %d, first problem \"%s\"", r, rs.n > 0 ?
	    rs.r[0].msg : "");
}

/* Crafted packets. */

static uint8_t	pbuf[2048];
static uint32_t	plen;

static void
put8(unsigned v)
{
	if (plen >= sizeof(pbuf))
		abort();
	pbuf[plen++] = (uint8_t)v;
}

static void
put16(unsigned v)
{
	put8(v >> 8);
	put8(v & 0xff);
}

static void
putn(unsigned v, unsigned n)
{
	while (n-- > 0)
		put8(v);
}

static void
set16(uint32_t off, unsigned v)
{
	pbuf[off] = (uint8_t)(v >> 8);
	pbuf[off + 1] = (uint8_t)v;
}

enum { WHOLE = -1 };

struct shape {
	const char	*name;
	int		 v6;
	const char	*src;
	uint8_t		 proto;		/* of the transport header */
	uint16_t	 dport;
	uint8_t		 tcp_flags;
	unsigned	 opts;		/* IPv4 option bytes (multiple of 4) */
	uint8_t		 ext;		/* IPv6: extension header kind ... */
	unsigned	 next;		/* ... and how many */
	int		 frag;		/* first of several fragments (IPv6 2:
					   its fragment header before the
					   extension headers) */
	int		 l4;		/* bytes of L4 in the datagram, or
					   WHOLE; -n (n > 1): it ends n
					   bytes before L4 */
	unsigned	 caplen;	/* bytes captured, 0: all */
};

/*
 * The packet s describes in pbuf; returns the bytes captured.  The
 * datagram ends l4 bytes into the transport header (its IP length says
 * so); with frag, it is the first of several fragments.
 */
static uint32_t
build(const struct shape *s)
{
	uint8_t		a[16];
	uint32_t	l4off, end, i;

	plen = 0;
	memset(pbuf, 0, sizeof(pbuf));
	if (inet_pton(s->v6 ? AF_INET6 : AF_INET, s->src, a) != 1)
		abort();
	if (!s->v6) {
		put8(0x40 | (5 + s->opts / 4));
		put8(0);
		put16(0);
		put16(0x1234);
		put16(s->frag ? 0x2000 : 0x4000);
		put8(64);
		put8(s->proto);
		put16(0);
		for (i = 0; i < 4; i++)
			put8(a[i]);
		put8(10), put8(99), put8(0), put8(2);
		putn(1, s->opts);	/* NOP */
	} else {
		put8(0x60);
		putn(0, 3);
		put16(0);
		put8(s->frag == 2 ? IPPROTO_FRAGMENT : s->next > 0 ?
		    s->ext : s->frag ? IPPROTO_FRAGMENT : s->proto);
		put8(64);
		for (i = 0; i < 16; i++)
			put8(a[i]);
		put16(0xfd99), putn(0, 13), put8(2);
		if (s->frag == 2) {
			put8(s->next > 0 ? s->ext : s->proto);
			put8(0);
			put16(1);	/* offset 0, M */
			put16(0), put16(0x4242);
		}
		for (i = 0; i < s->next; i++) {
			put8(i + 1 < s->next ? s->ext : s->frag == 1 ?
			    IPPROTO_FRAGMENT : s->proto);
			if (s->ext == IPPROTO_AH) {
				put8(1);	/* (1 + 2) * 4 = 12 bytes */
				putn(0, 10);
			} else if (s->ext == IPPROTO_FRAGMENT) {
				put8(0);	/* atomic: offset 0, M 0 */
				putn(0, 6);
			} else {
				put8(0);
				put8(1), put8(4), putn(0, 4);	/* PadN */
			}
		}
		if (s->frag == 1) {
			put8(s->proto);
			put8(0);
			put16(1);	/* offset 0, M */
			put16(0), put16(0x4242);
		}
	}
	l4off = plen;
	switch (s->proto) {
	case IPPROTO_TCP:
		put16(40000);
		put16(s->dport);
		putn(0, 8);
		put8(0x50);
		put8(s->tcp_flags);
		put16(65535);
		putn(0, 4);
		break;
	case IPPROTO_UDP:
		put16(40000);
		put16(s->dport);
		put16(8 + 32);
		put16(0);
		break;
	default:
		put8(8);
		put8(0);
		putn(0, 6);
		break;
	}
	putn(0x61, 32);
	end = s->l4 == WHOLE ? plen : l4off + (uint32_t)s->l4;
	if (!s->v6)
		set16(2, end);
	else
		set16(4, end - 40);
	plen = end;
	return s->caplen != 0 && s->caplen < plen ? s->caplen : plen;
}

static void
mkpkt(struct nfqd_qmsg *m, const struct shape *s)
{
	uint32_t	cap = build(s);

	memset(m, 0, sizeof(*m));
	m->hw_protocol = s->v6 ? ETH_P_IPV6 : ETH_P_IP;
	m->payload = pbuf;
	m->caplen = cap;
	m->len = plen;
}

/* The rules an attacker wants to walk around, as in the review. */
#define RULES_PORTS							\
	"rules = (\n"							\
	"  { name = \"tcp2323\"; proto = \"tcp\"; dst_port = 2323; "	\
	"verdict = \"drop\"; },\n"					\
	"  { name = \"udp7777\"; proto = \"udp\"; dst_port = 7777; "	\
	"verdict = \"drop\"; },\n"					\
	"  { name = \"src66\"; src = (\"10.99.0.66\", \"fd99::66\"); "	\
	"verdict = \"drop\"; }\n"					\
	");\n"

/* ... and a rule on TCP flags that a tiny fragment hides. */
#define RULES_FLAGS							\
	"rules = (\n"							\
	"  { name = \"established\"; proto = \"tcp\"; tcp_flags = \"ack\"; " \
	"verdict = \"accept\"; },\n"					\
	"  { name = \"tcp\"; proto = \"tcp\"; verdict = \"drop\"; }\n"	\
	");\n"

#define DROP	NF_DROP
#define ACCEPT	NF_ACCEPT
#define INC	NFQD_DECIDED_INCOMPLETE
#define DEF	NFQD_DECIDED_DEFAULT

static const struct tcase {
	const char	*cf;		/* configuration */
	struct shape	 s;
	int		 status;	/* of the parse */
	int		 rule;		/* deciding rule, DEF or INC */
	uint32_t	 verdict;
} cases[] = {
	/* Plain packets. */
	{ RULES_PORTS, { "tcp to 2323", 0, "10.99.0.1", IPPROTO_TCP, 2323,
	    2, 0, 0, 0, 0, WHOLE, 0 }, NFQD_PKT_OK, 0, DROP },
	{ RULES_PORTS, { "tcp to 5555", 0, "10.99.0.1", IPPROTO_TCP, 5555,
	    2, 0, 0, 0, 0, WHOLE, 0 }, NFQD_PKT_OK, DEF, ACCEPT },
	/* IPv4 tiny first fragments: the ports are in the first 8 bytes. */
	{ RULES_PORTS, { "tiny 8 to 2323", 0, "10.99.0.1", IPPROTO_TCP,
	    2323, 2, 0, 0, 0, 1, 8, 0 }, NFQD_PKT_TINY_FRAGMENT, 0, DROP },
	{ RULES_PORTS, { "tiny 16 to 2323", 0, "10.99.0.1", IPPROTO_TCP,
	    2323, 2, 0, 0, 0, 1, 16, 0 }, NFQD_PKT_TINY_FRAGMENT, 0, DROP },
	{ RULES_PORTS, { "tiny 8 to 5555", 0, "10.99.0.1", IPPROTO_TCP,
	    5555, 2, 0, 0, 0, 1, 8, 0 }, NFQD_PKT_TINY_FRAGMENT, DEF, ACCEPT },
	{ RULES_PORTS, { "tiny 0 to 5555", 0, "10.99.0.1", IPPROTO_TCP,
	    5555, 2, 0, 0, 0, 1, 0, 0 }, NFQD_PKT_TINY_FRAGMENT, INC, DROP },
	{ RULES_PORTS "tiny_fragment_verdict = \"accept\";\n", { "tiny 0 to "
	    "5555, tiny_fragment_verdict accept", 0, "10.99.0.1",
	    IPPROTO_TCP, 5555, 2, 0, 0, 0, 1, 0, 0 }, NFQD_PKT_TINY_FRAGMENT,
	    INC, ACCEPT },
	{ RULES_PORTS "tiny_fragment_verdict = \"accept\";\n", { "tiny 0 from "
	    ".66, tiny_fragment_verdict accept", 0, "10.99.0.66",
	    IPPROTO_TCP, 5555, 2, 0, 0, 0, 1, 0, 0 }, NFQD_PKT_TINY_FRAGMENT,
	    2, DROP },
	{ RULES_PORTS, { "udp tiny 0 to 5555", 0, "10.99.0.1", IPPROTO_UDP,
	    5555, 0, 0, 0, 0, 1, 0, 0 }, NFQD_PKT_TINY_FRAGMENT, INC, DROP },
	/* A hidden TCP flag. */
	{ RULES_FLAGS, { "tiny 8 syn", 0, "10.99.0.1", IPPROTO_TCP, 80, 0x02,
	    0, 0, 0, 1, 8, 0 }, NFQD_PKT_TINY_FRAGMENT, INC, DROP },
	{ RULES_FLAGS, { "tiny 16 ack", 0, "10.99.0.1", IPPROTO_TCP, 80, 0x10,
	    0, 0, 0, 1, 16, 0 }, NFQD_PKT_TINY_FRAGMENT, 0, ACCEPT },
	{ RULES_FLAGS, { "tiny 16 syn", 0, "10.99.0.1", IPPROTO_TCP, 80, 0x02,
	    0, 0, 0, 1, 16, 0 }, NFQD_PKT_TINY_FRAGMENT, 1, DROP },
	{ RULES_FLAGS, { "ipv6 tiny 8 syn", 1, "fd99::1", IPPROTO_TCP, 80,
	    0x02, 0, 0, 0, 1, 8, 0 }, NFQD_PKT_TINY_FRAGMENT, INC, DROP },
	/* IPv6 header chains. */
	{ RULES_PORTS, { "40 dstopts, udp to 7777", 1, "fd99::1", IPPROTO_UDP,
	    7777, 0, 0, IPPROTO_DSTOPTS, 40, 0, WHOLE, 0 }, NFQD_PKT_OK, 1,
	    DROP },
	{ RULES_PORTS, { "40 dstopts, udp to 5555", 1, "fd99::1", IPPROTO_UDP,
	    5555, 0, 0, IPPROTO_DSTOPTS, 40, 0, WHOLE, 0 }, NFQD_PKT_OK, DEF,
	    ACCEPT },
	{ RULES_PORTS, { "40 AH, tcp to 2323", 1, "fd99::1", IPPROTO_TCP, 2323,
	    2, 0, IPPROTO_AH, 40, 0, WHOLE, 0 }, NFQD_PKT_OK, 0, DROP },
	{ RULES_PORTS, { "40 atomic fragments, tcp to 2323", 1, "fd99::1",
	    IPPROTO_TCP, 2323, 2, 0, IPPROTO_FRAGMENT, 40, 0, WHOLE, 0 },
	    NFQD_PKT_OK, 0, DROP },
	{ RULES_PORTS, { "17 dstopts, fragmented, tcp to 2323", 1, "fd99::1",
	    IPPROTO_TCP, 2323, 2, 0, IPPROTO_DSTOPTS, 17, 1, WHOLE, 0 },
	    NFQD_PKT_OK, 0, DROP },
	{ RULES_PORTS, { "65 dstopts, udp to 5555", 1, "fd99::1", IPPROTO_UDP,
	    5555, 0, 0, IPPROTO_DSTOPTS, 65, 0, WHOLE, 0 },
	    NFQD_PKT_HEADER_CHAIN, INC, DROP },
	{ RULES_PORTS, { "65 dstopts from fd99::66", 1, "fd99::66",
	    IPPROTO_UDP, 5555, 0, 0, IPPROTO_DSTOPTS, 65, 0, WHOLE, 0 },
	    NFQD_PKT_HEADER_CHAIN, 2, DROP },
	{ RULES_PORTS "header_chain_verdict = \"accept\";\n", { "65 dstopts, "
	    "header_chain_verdict accept", 1, "fd99::1", IPPROTO_UDP, 7777, 0,
	    0, IPPROTO_DSTOPTS, 65, 0, WHOLE, 0 }, NFQD_PKT_HEADER_CHAIN, INC,
	    ACCEPT },
	/* Headers cut by the copy range. */
	{ RULES_PORTS, { "40 option bytes, udp to 7777, copy 64", 0,
	    "10.99.0.1", IPPROTO_UDP, 7777, 0, 40, 0, 0, 0, WHOLE, 64 },
	    NFQD_PKT_TRUNCATED, 1, DROP },
	{ RULES_PORTS, { "40 option bytes, tcp to 5555, copy 62", 0,
	    "10.99.0.1", IPPROTO_TCP, 5555, 2, 40, 0, 0, 0, WHOLE, 62 },
	    NFQD_PKT_TRUNCATED, INC, DROP },
	{ RULES_PORTS, { "3 dstopts, udp to 5555, copy 64", 1, "fd99::1",
	    IPPROTO_UDP, 5555, 0, 0, IPPROTO_DSTOPTS, 3, 0, WHOLE, 64 },
	    NFQD_PKT_TRUNCATED, INC, DROP },
	{ RULES_PORTS, { "3 dstopts from fd99::66, copy 64", 1, "fd99::66",
	    IPPROTO_TCP, 5555, 2, 0, IPPROTO_DSTOPTS, 3, 0, WHOLE, 64 },
	    NFQD_PKT_TRUNCATED, 2, DROP },
	{ RULES_PORTS "truncated_verdict = \"accept\";\n", { "40 option "
	    "bytes, copy 62, truncated_verdict accept", 0, "10.99.0.1",
	    IPPROTO_TCP, 2323, 2, 40, 0, 0, 0, WHOLE, 62 },
	    NFQD_PKT_TRUNCATED, INC, ACCEPT },
	/* Malformed: the IP length ends inside the transport header. */
	{ RULES_PORTS, { "tot_len ends before the tcp header", 0,
	    "10.99.0.1", IPPROTO_TCP, 5555, 2, 0, 0, 0, 0, 0, 0 },
	    NFQD_PKT_MALFORMED, INC, DROP },
	{ RULES_PORTS, { "tot_len ends in the udp header, ports read", 0,
	    "10.99.0.1", IPPROTO_UDP, 5555, 0, 0, 0, 0, 0, 4, 0 },
	    NFQD_PKT_MALFORMED, DEF, ACCEPT },
	{ RULES_PORTS "malformed_verdict = \"accept\";\n", { "tot_len ends "
	    "before the tcp header, malformed_verdict accept", 0,
	    "10.99.0.1", IPPROTO_TCP, 2323, 2, 0, 0, 0, 0, 0, 0 },
	    NFQD_PKT_MALFORMED, INC, ACCEPT },
};

static void
test_cases(void)
{
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_decision	 d;
	struct nfqd_qmsg		 m;
	const struct tcase	*t;
	size_t			 i;
	int			 linear;
	char			 text[2048];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = &cases[i];
		snprintf(text, sizeof(text), "queue = { balance = \"0:0\"; };\n"
		    "%s", t->cf);
		if (!load_text(&cf, t->s.name, text))
			continue;
		for (linear = 0; linear <= 1; linear++) {
			const char *n = unit_fmt("%s (%s)", t->s.name,
			    linear ? "linear" : "classifier");

			if (!CHECK(nfqd_engine_init(&e, &cf, cf.rules, NULL,
			    NULL, NULL, 0) == 0, unit_fmt("%s: engine", n)))
				break;
			e.linear = linear;
			mkpkt(&m, &t->s);
			nfqd_engine_decide(&e, &m, 1, &d);
			CHECKF(d.status == t->status, unit_fmt("%s: parsed "
			    "as %s", n, nfqd_pkt_status_str((unsigned)t->status)),
			    "got %s (%s)", nfqd_pkt_status_str(d.status),
			    nfqd_pkt_reason_str(d.reason));
			CHECK_INT_EQ(d.rule, t->rule, unit_fmt("%s: decided by",
			    n));
			CHECK_UINT_EQ(d.verdict, t->verdict, unit_fmt("%s: "
			    "verdict", n));
			CHECK_UINT_EQ(e.incomplete[t->status], t->rule == INC,
			    unit_fmt("%s: counted by its kind", n));
			nfqd_engine_free(&e);
		}
		nfqd_config_free(&cf);
	}
}

/*
 * Bounded work: an incomplete packet looks at no more than
 * NFQD_ENGINE_MAX_UNKNOWN rules that read what it lacks, then takes the
 * verdict of its kind even when every one of them agreed so far.
 */
static void
test_bounded(void)
{
	static const struct shape s = { "tiny 0", 0, "10.99.0.1",
	    IPPROTO_TCP, 5555, 2, 0, 0, 0, 1, 0, 0 };
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_decision	 d;
	struct nfqd_qmsg		 m;
	char			*text;
	size_t			 n, cap = 64 * 1024;
	unsigned		 nr, i;

	if ((text = malloc(cap)) == NULL)
		abort();
	for (nr = NFQD_ENGINE_MAX_UNKNOWN; nr <= NFQD_ENGINE_MAX_UNKNOWN + 1;
	    nr++) {
		n = (size_t)snprintf(text, cap, "queue = { balance = \"0:0\"; "
		    "};\ndefault_verdict = \"drop\";\n"
		    "tiny_fragment_verdict = \"accept\";\nrules = (\n");
		for (i = 0; i < nr; i++)
			n += (size_t)snprintf(text + n, cap - n, "%s{ name = "
			    "\"p%u\"; proto = \"tcp\"; dst_port = %u; verdict = "
			    "\"drop\"; }\n", i > 0 ? "," : "", i, 1000 + i);
		snprintf(text + n, cap - n, ");\n");
		if (!load_text(&cf, unit_fmt("%u port rules", nr), text))
			continue;
		if (nfqd_engine_init(&e, &cf, cf.rules, NULL, NULL, NULL,
		    0) == 0) {
			mkpkt(&m, &s);
			nfqd_engine_decide(&e, &m, 1, &d);
			if (nr == NFQD_ENGINE_MAX_UNKNOWN)
				CHECK(d.rule == DEF && d.verdict == DROP,
				    unit_fmt("%u rules that all drop: decided "
				    "(default)", nr));
			else
				CHECK(d.rule == INC && d.verdict == ACCEPT,
				    unit_fmt("%u rules: past the bound, "
				    "tiny_fragment_verdict", nr));
			nfqd_engine_free(&e);
		}
		nfqd_config_free(&cf);
	}
	free(text);
}

/*
 * A rate kept per flow (or per address) keys on fields a packet may not
 * have read: such a rule might match, as any rule on a field unknown.
 * The classifier filed it as a sure match (its key alone proving it),
 * so with the bucket keyed on zeros, one for all such packets, the
 * second packet on "matched" it and passed the drop rule below.  Four
 * packets at one instant each: the first is under the limit (burst 1).
 */
#define RULES_RATE(per)						\
	"rules = (\n"							\
	"  { name = \"excess\"; rate = \"10/s\"; burst = 1; "		\
	"per = \"" per "\"; verdict = \"accept\"; mark = 0x10; },\n"	\
	"  { name = \"tcp2323\"; proto = \"tcp\"; dst_port = 2323; "	\
	"verdict = \"drop\"; }\n"					\
	");\n"

static void
test_rate_keyed(void)
{
	static const struct {
		const char	*cf;
		struct shape	 s;
		int		 status;
		int		 later;		/* rule deciding packets 2..4 */
		uint32_t	 verdict;	/* ... their verdict */
	} rows[] = {
		{ RULES_RATE("flow"), { "v6 first fragment ending in the "
		    "chain, per flow", 1, "fd99::1", IPPROTO_TCP, 2323, 2, 0,
		    IPPROTO_DSTOPTS, 2, 2, -4, 0 },
		    NFQD_PKT_TINY_FRAGMENT, INC, DROP },
		{ RULES_RATE("flow"), { "v6 tiny fragment, 2 bytes of tcp, "
		    "per flow", 1, "fd99::1", IPPROTO_TCP, 2323, 2, 0, 0, 0, 1,
		    2, 0 }, NFQD_PKT_TINY_FRAGMENT, INC, DROP },
		{ RULES_RATE("flow"), { "65 dstopts, per flow", 1, "fd99::1",
		    IPPROTO_TCP, 2323, 2, 0, IPPROTO_DSTOPTS, 65, 0, WHOLE,
		    0 }, NFQD_PKT_HEADER_CHAIN, INC, DROP },
		{ RULES_RATE("flow"), { "12 dstopts, copy 128, per flow", 1,
		    "fd99::1", IPPROTO_TCP, 2323, 2, 0, IPPROTO_DSTOPTS, 12, 0,
		    WHOLE, 128 }, NFQD_PKT_TRUNCATED, INC, DROP },
		{ RULES_RATE("src"), { "v6 cut at 30 bytes, per src", 1,
		    "fd99::1", IPPROTO_TCP, 2323, 2, 0, 0, 0, 0, WHOLE, 30 },
		    NFQD_PKT_TRUNCATED, INC, DROP },
		{ RULES_RATE("dst"), { "v4 cut at 16 bytes, per dst", 0,
		    "10.99.0.1", IPPROTO_TCP, 2323, 2, 0, 0, 0, 0, WHOLE, 16 },
		    NFQD_PKT_TRUNCATED, INC, DROP },
		/* The addresses read: over its limit, per source, the rule
		   matches whatever the ports are. */
		{ RULES_RATE("src"), { "65 dstopts, per src", 1, "fd99::1",
		    IPPROTO_TCP, 2323, 2, 0, IPPROTO_DSTOPTS, 65, 0, WHOLE,
		    0 }, NFQD_PKT_HEADER_CHAIN, 0, ACCEPT },
		{ RULES_RATE("rule"), { "12 dstopts, copy 128, per rule", 1,
		    "fd99::1", IPPROTO_TCP, 2323, 2, 0, IPPROTO_DSTOPTS, 12, 0,
		    WHOLE, 128 }, NFQD_PKT_TRUNCATED, 0, ACCEPT },
		/* Read whole: the first packet gets the drop rule, the rest
		   are over their flow's limit. */
		{ RULES_RATE("flow"), { "tcp to 2323, per flow", 1, "fd99::1",
		    IPPROTO_TCP, 2323, 2, 0, 0, 0, 0, WHOLE, 0 }, NFQD_PKT_OK,
		    0, ACCEPT },
	};
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_decision	 d;
	struct nfqd_qmsg		 m;
	size_t			 i;
	int			 linear, k, rule;
	uint32_t		 verdict;
	char			 text[2048];

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), "queue = { balance = \"0:0\"; "
		    "copy_range = 128; };\n%s", rows[i].cf);
		if (!load_text(&cf, rows[i].s.name, text))
			continue;
		for (linear = 0; linear <= 1; linear++) {
			const char *n = unit_fmt("%s (%s)", rows[i].s.name,
			    linear ? "linear" : "classifier");

			if (!CHECK(nfqd_engine_init(&e, &cf, cf.rules, NULL,
			    NULL, NULL, 0) == 0, unit_fmt("%s: engine", n)))
				break;
			e.linear = linear;
			for (k = 0; k < 4; k++) {
				/* The first packet is under the limit. */
				rule = k == 0 && rows[i].status != NFQD_PKT_OK ?
				    INC : k == 0 ? 1 : rows[i].later;
				verdict = k == 0 ? DROP : rows[i].verdict;
				mkpkt(&m, &rows[i].s);
				nfqd_engine_decide(&e, &m, 1, &d);
				CHECKF(d.status == rows[i].status,
				    unit_fmt("%s packet %d: parsed as %s", n, k,
				    nfqd_pkt_status_str((unsigned)
				    rows[i].status)), "got %s (%s)",
				    nfqd_pkt_status_str(d.status),
				    nfqd_pkt_reason_str(d.reason));
				CHECK_INT_EQ(d.rule, rule, unit_fmt("%s packet "
				    "%d: decided by", n, k));
				CHECK_UINT_EQ(d.verdict, verdict, unit_fmt("%s "
				    "packet %d: verdict", n, k));
			}
			nfqd_engine_free(&e);
		}
		nfqd_config_free(&cf);
	}
}

/*
 * Random rules and packets: the classifier against the rule-by-rule walk,
 * and the decision against every completion.  Every other set has rate
 * limits, keyed on fields a packet may lack; a bucket's state makes the
 * completions of those (decided one after another) differ, so only the
 * two walks are compared there.
 */

static uint64_t	seed = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)(seed % n);
}

#define PICK(a)	((a)[rnd(sizeof(a) / sizeof((a)[0]))])

static const char *const pfx4[] = {
	"10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "192.0.2.7",
	"0.0.0.0/0", "198.51.100.0/25",
};
static const char *const pfx6[] = {
	"2001:db8::/32", "2001:db8:1::/48", "fd00::/8", "::/0", "fd00::1",
};
static const char *const addr4[] = {
	"10.0.0.1", "10.1.2.3", "192.0.2.7", "192.0.2.200", "198.51.100.1",
	"203.0.113.9",
};
static const char *const addr6[] = {
	"2001:db8::1", "2001:db8:1::5", "fd00::1", "fd12::3", "2a00::1",
};
static const char *const dports[] = {
	"80", "53", "\"1000-2000\"", "\"!22\"", "(\"53\", 80, 443)",
	"(\"1-1024\", \"!22\")", "\"80-90\"", "22", "(443, \"8000-8015\")",
	"2323",
};
static const char *const tflags[] = {
	"syn,!ack", "ack", "!syn", "fin", "syn,ack", "rst",
};
/* Values on each side of every bound the rules above use. */
static const uint16_t	port_vals[] = {
	0, 1, 21, 22, 23, 52, 53, 54, 79, 80, 81, 89, 90, 91, 442, 443, 444,
	999, 1000, 1024, 1025, 2000, 2001, 2323, 7999, 8000, 8015, 8016,
	65535,
};
static const uint16_t	sport_vals[] = { 22, 53, 80, 443, 1000, 2323, 40000 };
static const uint8_t	flag_vals[] = {
	0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x12, 0x14,
};
static const uint8_t	type_vals[] = { 0, 3, 8, 128, 200 };

static void
gen_addrs(char *buf, size_t len, int fam)
{
	size_t	n;

	n = (size_t)snprintf(buf, len, "(");
	if (fam != 2)
		n += (size_t)snprintf(buf + n, len - n, "\"%s\", ", PICK(pfx4));
	if (fam != 1)
		n += (size_t)snprintf(buf + n, len - n, "\"%s\", ", PICK(pfx6));
	if (rnd(4) == 0)
		n += (size_t)snprintf(buf + n, len - n, "\"!%s\", ",
		    fam == 2 ? PICK(pfx6) : PICK(pfx4));
	snprintf(buf + n - 2, len - (n - 2), ")");
}

static void
gen_rule(char *buf, size_t len, unsigned i, bool rate)
{
	static const char *const verdicts[] = {
		"accept", "drop", "drop", "continue",
	};
	static const char *const pers[] = { "rule", "src", "dst", "flow" };
	char	a[256];
	size_t	n;
	int	fam = (int)rnd(3), proto = (int)rnd(6);

	/* proto: 0 none, 1 tcp, 2 udp, 3 icmp, 4 icmpv6, 5 gre */
	if (proto == 3 && fam == 2)
		proto = 1;
	if (proto == 4 && fam == 1)
		proto = 2;
	n = (size_t)snprintf(buf, len, "{ name = \"g%u\"; ", i);
	if (fam != 0 && rnd(2))
		n += (size_t)snprintf(buf + n, len - n, "family = \"%s\"; ",
		    fam == 1 ? "ipv4" : "ipv6");
	if (proto != 0)
		n += (size_t)snprintf(buf + n, len - n, "proto = \"%s\"; ",
		    proto == 1 ? "tcp" : proto == 2 ? "udp" : proto == 3 ?
		    "icmp" : proto == 4 ? "icmpv6" : "gre");
	if (rnd(3) == 0) {
		gen_addrs(a, sizeof(a), fam);
		n += (size_t)snprintf(buf + n, len - n, "src = %s; ", a);
	}
	if (proto <= 2 && rnd(2))
		n += (size_t)snprintf(buf + n, len - n, "dst_port = %s; ",
		    PICK(dports));
	if (proto <= 2 && rnd(5) == 0)
		n += (size_t)snprintf(buf + n, len - n, "src_port = %s; ",
		    PICK(dports));
	if ((proto == 0 || proto == 1) && rnd(3) == 0)
		n += (size_t)snprintf(buf + n, len - n, "tcp_flags = \"%s\"; ",
		    PICK(tflags));
	if ((proto == 3 || proto == 4) && rnd(2))
		n += (size_t)snprintf(buf + n, len - n, "icmp_type = %u; ",
		    PICK(type_vals));
	if (rnd(10) == 0)
		n += (size_t)snprintf(buf + n, len - n, "mark = \"0x1/0x1\"; ");
	/* Keyed on fields a packet may lack (set by set, see test_random). */
	if (rate && rnd(3) == 0)
		n += (size_t)snprintf(buf + n, len - n, "rate = \"%u/s\"; "
		    "burst = %u; per = \"%s\"; ", 1 + rnd(50), 1 + rnd(3),
		    PICK(pers));
	n += (size_t)snprintf(buf + n, len - n, "verdict = \"%s\"; ",
	    PICK(verdicts));
	if (strstr(buf, "\"accept\"") != NULL && rnd(4) == 0)
		n += (size_t)snprintf(buf + n, len - n, "set_mark = %u; ",
		    1 + rnd(3));
	snprintf(buf + n, len - n, "}");
}

/* A whole packet of a random shape. */
static void
gen_pkt(struct nfqd_pkt *p, struct nfqd_qmsg *m)
{
	static const uint8_t	protos[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, 47
	};
	int	v6 = (int)rnd(2);

	memset(p, 0, sizeof(*p));
	memset(m, 0, sizeof(*m));
	p->family = v6 ? AF_INET6 : AF_INET;
	p->known = NFQD_PKT_K_ALL;
	inet_pton(p->family, v6 ? PICK(addr6) : PICK(addr4), p->saddr);
	inet_pton(p->family, v6 ? PICK(addr6) : PICK(addr4), p->daddr);
	p->proto = PICK(protos);
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
		p->flags |= NFQD_PKT_F_PORTS;
		p->sport = PICK(sport_vals);
		p->dport = PICK(port_vals);
	}
	if (p->proto == IPPROTO_TCP) {
		p->flags |= NFQD_PKT_F_TCP;
		p->tcp_flags = PICK(flag_vals);
	}
	if (p->proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		p->flags |= NFQD_PKT_F_ICMP;
		p->icmp_type = PICK(type_vals);
		p->icmp_code = (uint8_t)rnd(2);
	}
	p->len = 100;
	m->mark = rnd(2);
	m->hw_protocol = v6 ? ETH_P_IPV6 : ETH_P_IP;
}

/* Forget what a short or broken packet would not have told (as pkt.c). */
static void
forget(struct nfqd_pkt *p, unsigned how)
{
	p->status = NFQD_PKT_TRUNCATED;
	switch (how) {
	case 0:		/* the TCP flags (a tiny fragment of 8 bytes) */
		if (p->proto != IPPROTO_TCP)
			break;
		p->known &= (uint8_t)~NFQD_PKT_K_TCPFLAGS;
		p->flags &= (uint8_t)~NFQD_PKT_F_TCP;
		p->tcp_flags = 0;
		break;
	case 1:		/* the whole transport header */
		if (p->proto == IPPROTO_TCP)
			p->known &= (uint8_t)~(NFQD_PKT_K_PORTS |
			    NFQD_PKT_K_TCPFLAGS);
		else if (p->proto == IPPROTO_UDP)
			p->known &= (uint8_t)~NFQD_PKT_K_PORTS;
		else if (p->flags & NFQD_PKT_F_ICMP)
			p->known &= (uint8_t)~NFQD_PKT_K_ICMP;
		p->flags = 0;
		p->sport = p->dport = 0;
		p->tcp_flags = p->icmp_type = p->icmp_code = 0;
		break;
	case 2:		/* the protocol too (an IPv6 chain not walked) */
		p->known = NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS;
		p->proto = 0;
		p->flags = 0;
		p->sport = p->dport = 0;
		p->tcp_flags = p->icmp_type = p->icmp_code = 0;
		break;
	default:	/* the addresses too (cut inside the IP header) */
		p->known = NFQD_PKT_K_FAMILY;
		memset(p->saddr, 0, sizeof(p->saddr));
		memset(p->daddr, 0, sizeof(p->daddr));
		p->proto = 0;
		p->flags = 0;
		p->sport = p->dport = 0;
		p->tcp_flags = p->icmp_type = p->icmp_code = 0;
		break;
	}
	if (p->known == NFQD_PKT_K_ALL)
		p->status = NFQD_PKT_OK;
}

static bool
same(const struct nfqd_decision *a, const struct nfqd_decision *b)
{
	return a->verdict == b->verdict && a->has_mark == b->has_mark &&
	    (!a->has_mark || a->mark == b->mark);
}

/*
 * Every completion of what p does not know, each decided whole by ref:
 * all must get d's verdict.  Returns the completions tried, or -1 at the
 * first that differs (its decision in bad).
 */
static long
completions(struct nfqd_engine *ref, const struct nfqd_pkt *p,
    const struct nfqd_qmsg *m, const struct nfqd_decision *d,
    struct nfqd_pkt *bad, struct nfqd_decision *bd)
{
	static const uint8_t	protos[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, 47, 50
	};
	struct nfqd_pkt	c;
	struct nfqd_decision	x;
	size_t			pi, si, di, fi, ti, ns, nd, nf, nt;
	bool			tcp, ports, icmp, l4;
	long			n = 0;

	l4 = !(p->known & NFQD_PKT_K_PROTO);	/* the whole header varies */
	for (pi = 0; pi < (l4 ? sizeof(protos) : 1); pi++) {
		c = *p;
		c.known = NFQD_PKT_K_ALL;
		c.status = NFQD_PKT_OK;
		if (l4)
			c.proto = protos[pi];
		tcp = c.proto == IPPROTO_TCP;
		ports = tcp || c.proto == IPPROTO_UDP;
		icmp = c.proto == (c.family == AF_INET6 ? IPPROTO_ICMPV6 :
		    IPPROTO_ICMP);
		/* Only the fields the packet has and does not know vary. */
		ns = ports && (l4 || !(p->known & NFQD_PKT_K_PORTS)) ?
		    sizeof(sport_vals) / 2 : 1;
		nd = ns > 1 ? sizeof(port_vals) / 2 : 1;
		nf = tcp && (l4 || !(p->known & NFQD_PKT_K_TCPFLAGS)) ?
		    sizeof(flag_vals) : 1;
		nt = icmp && (l4 || !(p->known & NFQD_PKT_K_ICMP)) ?
		    sizeof(type_vals) * 2 : 1;
		for (si = 0; si < ns; si++)
		for (di = 0; di < nd; di++)
		for (fi = 0; fi < nf; fi++)
		for (ti = 0; ti < nt; ti++) {
			if (ns > 1 || (l4 && !ports)) {
				c.flags = ports ? NFQD_PKT_F_PORTS : 0;
				c.sport = ports ? sport_vals[si] : 0;
				c.dport = ports ? port_vals[di] : 0;
			}
			if (nf > 1 || (l4 && !tcp)) {
				c.flags = (uint8_t)((c.flags &
				    ~NFQD_PKT_F_TCP) | (tcp ? NFQD_PKT_F_TCP :
				    0));
				c.tcp_flags = tcp ? flag_vals[fi] : 0;
			}
			if (nt > 1 || (l4 && !icmp)) {
				c.flags = (uint8_t)((c.flags &
				    ~NFQD_PKT_F_ICMP) | (icmp ?
				    NFQD_PKT_F_ICMP : 0));
				c.icmp_type = icmp ? type_vals[ti / 2] : 0;
				c.icmp_code = icmp ? (uint8_t)(ti % 2) : 0;
			}
			nfqd_engine_decide_parsed(ref, m, &c, 1, &x);
			n++;
			if (!same(&x, d)) {
				*bad = c;
				*bd = x;
				return -1;
			}
		}
	}
	return n;
}

static void
test_random(void)
{
	struct nfqd_config	 cf;
	struct nfqd_engine	 lin, cls, ref;
	struct nfqd_pkt	 p, bad;
	struct nfqd_decision	 a, b, bd;
	struct nfqd_qmsg		 m;
	char			*text, rule[1024];
	size_t			 n, cap = 256 * 1024;
	unsigned		 set, i, k, disagree = 0, unsound = 0;
	bool			 rate;
	unsigned long		 decided = 0, unsure = 0, tried = 0;
	long			 c;

	if ((text = malloc(cap)) == NULL)
		abort();
	for (set = 0; set < 80; set++) {
		rate = set % 2 == 1;
		n = (size_t)snprintf(text, cap, "queue = { balance = \"0:0\"; "
		    "};\ndefault_verdict = \"%s\";\nrules = (\n",
		    rnd(2) ? "accept" : "drop");
		for (i = 0, k = 3 + rnd(40); i < k; i++) {
			gen_rule(rule, sizeof(rule), i, rate);
			n += (size_t)snprintf(text + n, cap - n, "%s%s\n",
			    i > 0 ? "," : "", rule);
		}
		snprintf(text + n, cap - n, ");\n");
		if (!load_text(&cf, unit_fmt("random set %u", set), text))
			continue;
		if (nfqd_engine_init(&lin, &cf, cf.rules, NULL, NULL, NULL,
		    0) == -1 || nfqd_engine_init(&cls, &cf, cf.rules, NULL,
		    NULL, NULL, 0) == -1 || nfqd_engine_init(&ref, &cf,
		    cf.rules, NULL, NULL, NULL, 0) == -1)
			abort();
		lin.linear = ref.linear = true;
		for (k = 0; k < 300; k++) {
			gen_pkt(&p, &m);
			forget(&p, rnd(4));
			nfqd_engine_decide_parsed(&lin, &m, &p, 1, &a);
			nfqd_engine_decide_parsed(&cls, &m, &p, 1, &b);
			if ((a.rule != b.rule || !same(&a, &b)) &&
			    disagree++ < 5)
				CHECKF(0, unit_fmt("random set %u packet %u: "
				    "linear and classifier agree", set, k),
				    "linear rule %d verdict %u, classifier rule "
				    "%d verdict %u", a.rule, a.verdict, b.rule,
				    b.verdict);
			if (a.rule == INC) {
				unsure++;
				continue;
			}
			if (rate)
				continue;
			decided++;
			c = completions(&ref, &p, &m, &a, &bad, &bd);
			if (c < 0) {
				if (unsound++ < 5)
					CHECKF(0, unit_fmt("random set %u packet "
					    "%u: every completion gets the "
					    "verdict", set, k), "rule %d verdict "
					    "%u; a completion (proto %u ports "
					    "%u>%u flags 0x%x) gets rule %d "
					    "verdict %u", a.rule, a.verdict,
					    bad.proto, bad.sport, bad.dport,
					    bad.tcp_flags, bd.rule, bd.verdict);
			} else {
				tried += (unsigned long)c;
			}
		}
		nfqd_engine_free(&lin);
		nfqd_engine_free(&cls);
		nfqd_engine_free(&ref);
		nfqd_config_free(&cf);
	}
	CHECKF(disagree == 0, "random: linear and classifier decide alike",
	    "%u packets differ", disagree);
	CHECKF(unsound == 0, unit_fmt("random: %lu verdicts given from the "
	    "rules hold for all %lu completions", decided, tried),
	    "%u do not", unsound);
	CHECKF(decided > 1000 && unsure > 1000, "random: both decided and "
	    "unsure packets occur", "%lu decided, %lu unsure", decided,
	    unsure);
	free(text);
}

int
main(void)
{
	if (unit_mkdtemp(dir, sizeof(dir)) == -1)
		return 1;
	test_cases();
	test_bounded();
	test_rate_keyed();
	test_random();
	unit_rmtree(dir);
	return unit_done();
}
