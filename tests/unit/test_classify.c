/*
 * Differential test of the compiled classifier: random rule sets (through
 * the real configuration loader) and random packets (real header bytes,
 * through the real parser) go to two engines, one using the classifier
 * and one walking every rule in order.  Decisions (verdict, mark, deciding
 * rule) and per-rule counters must be identical, packet for packet, with
 * rate limits (per rule, address and flow), "continue" rules and packets
 * not read whole (truncated, fragments, long IPv6 chains) in the mix.
 *
 * NFQD_SEED=n picks another sequence; NFQD_SETS=n runs more rule sets.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>

#include "nfqd/classify.h"
#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/shm.h"
#include "nfqd/nfqd.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"
#include "unit.h"

static uint64_t	rng_state;

static uint32_t
rnd(void)
{
	/* xorshift64*: reproducible from the seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t
pick(uint32_t n)
{
	return n != 0 ? rnd() % n : 0;
}

/* Prefixes rules use and packets are drawn from, so that they meet. */
static const char *const v4net[] = {
	"10.0.0.0", "10.1.0.0", "10.1.2.0", "192.0.2.0", "198.51.100.0",
	"203.0.113.0", "172.16.0.0",
};
static const int v4len[] = { 8, 16, 24, 24, 24, 24, 12 };
static const char *const v6net[] = {
	"fd00::", "fd00:1::", "2001:db8::", "2001:db8:1::", "fe80::",
};
static const int v6len[] = { 8, 32, 32, 48, 10 };
static const uint16_t ports[] = { 22, 23, 53, 80, 443, 5353, 8080, 1234 };

struct gen {
	char	*buf;
	size_t	 len, cap;
};

static void
emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
emit(struct gen *g, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < g->cap - g->len) {
			g->len += (size_t)n;
			return;
		}
		g->cap = g->cap * 2 + (size_t)n + 64;
		if ((g->buf = realloc(g->buf, g->cap)) == NULL)
			abort();
	}
}

static void
emit_prefix(struct gen *g, int fam)
{
	unsigned	i;
	int		len;

	if (fam == 4) {
		i = pick(NFQD_ARRAY_SIZE(v4net));
		len = v4len[i] + (int)pick(3) * 4;	/* the net, or inside */
		if (len > 32)
			len = 32;
		/* Host bits must be zero: use the net's own length or a
		   multiple-of-8 subnet whose extra bytes are zero. */
		if (len % 8 != 0 && len != v4len[i])
			len = v4len[i];
		emit(g, "\"%s%s/%d\"", pick(6) == 0 ? "!" : "", v4net[i], len);
	} else {
		i = pick(NFQD_ARRAY_SIZE(v6net));
		emit(g, "\"%s%s/%d\"", pick(6) == 0 ? "!" : "", v6net[i],
		    v6len[i]);
	}
}

static void
emit_addrs(struct gen *g, const char *key, int fam)
{
	unsigned	n = 1 + pick(3), i;

	emit(g, " %s = ", key);
	if (n == 1 && pick(2)) {
		emit_prefix(g, fam);
	} else {
		emit(g, "[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				emit(g, ", ");
			emit_prefix(g, fam);
		}
		emit(g, "]");
	}
	emit(g, ";");
}

static void
emit_port(struct gen *g)
{
	uint16_t	p = ports[pick(NFQD_ARRAY_SIZE(ports))];

	switch (pick(5)) {
	case 0:
		emit(g, "%u", p);
		break;
	case 1:
		emit(g, "\"%u-%u\"", p, p + pick(8));		/* filed */
		break;
	case 2:
		emit(g, "\"%u-%u\"", p, p + 100 + pick(2000));	/* verified */
		break;
	case 3:
		emit(g, "\"!%u\"", p);
		break;
	default:
		emit(g, "\"%u\"", p);
		break;
	}
}

static void
emit_ports(struct gen *g, const char *key)
{
	unsigned	n = 1 + pick(3), i;

	emit(g, " %s = ", key);
	if (n == 1) {
		emit_port(g);
	} else {
		emit(g, "(");
		for (i = 0; i < n; i++) {
			if (i > 0)
				emit(g, ", ");
			emit_port(g);
		}
		emit(g, ")");
	}
	emit(g, ";");
}

static void
emit_rule(struct gen *g, unsigned idx)
{
	static const char *const tcpf[] = {
		"syn", "syn,!ack", "ack", "!syn", "fin,ack", "rst"
	};
	int	fam = pick(3) == 0 ? 0 : (pick(3) == 0 ? 6 : 4);
	int	proto = pick(6);	/* 0 none, 1 tcp, 2 udp, 3 icmp, 4 sctp */
	int	afam;

	emit(g, "{ name = \"r%u\";", idx);
	if (fam != 0 && pick(2))
		emit(g, " family = \"%s\";", fam == 4 ? "ipv4" : "ipv6");
	if (proto == 3 && fam == 0)
		fam = 4;
	afam = fam != 0 ? fam : (pick(2) ? 4 : 6);
	if (proto == 1)
		emit(g, " proto = \"tcp\";");
	else if (proto == 2)
		emit(g, " proto = \"udp\";");
	else if (proto == 3)
		emit(g, " proto = \"%s\";", fam == 6 ? "icmpv6" : "icmp");
	else if (proto == 4)
		emit(g, " proto = 132;");
	if (pick(2))
		emit_addrs(g, "src", afam);
	if (pick(2))
		emit_addrs(g, "dst", afam);
	if ((proto == 1 || proto == 2 || proto == 0) && pick(2))
		emit_ports(g, "dst_port");
	if ((proto == 1 || proto == 2 || proto == 0) && pick(4) == 0)
		emit_ports(g, "src_port");
	if (proto == 1 && pick(3) == 0)
		emit(g, " tcp_flags = \"%s\";", tcpf[pick(6)]);
	if (proto == 3 && pick(2))
		emit(g, " icmp_type = %u;", fam == 6 ? 128 + pick(2) : pick(2) * 8);
	if (pick(8) == 0)
		emit(g, " match_mark = \"0x%x/0x%x\";", pick(2), 1);
	if (pick(8) == 0)
		emit(g, " length = \"%u-%u\";", 40 + pick(40), 80 + pick(1400));
	if (pick(8) == 0) {
		static const char *const per[] = { "rule", "src", "dst", "flow" };

		/* Per minute: over the limit within a set's packets. */
		emit(g, " rate = \"%u/%s\"; burst = %u; per = \"%s\";",
		    1 + pick(50), pick(2) ? "s" : "m", 1 + pick(5),
		    per[pick(4)]);
	}
	switch (pick(7)) {
	case 0:
		emit(g, " verdict = \"drop\";");
		break;
	case 1:
	case 2:
		emit(g, " verdict = \"continue\";");
		break;
	case 3:
		emit(g, " verdict = \"repeat\"; mark = %u;", 1 + pick(100));
		break;
	case 4:
		emit(g, " verdict = \"queue\"; queue = %u;", 10 + pick(3));
		break;
	case 5:
		emit(g, " verdict = \"accept\"; mark = %u;", pick(100));
		break;
	default:
		emit(g, " verdict = \"accept\";");
		break;
	}
	emit(g, " }");
}

/* An IPv6 extension header at q: 8 bytes, a PadN option of 4. */
static void
dstopts(uint8_t *q, uint8_t next)
{
	memset(q, 0, 8);
	q[0] = next;
	q[2] = 1;
	q[3] = 4;
}

/*
 * Some packets are not read whole, the shapes an attacker or a short copy
 * range gives: cut by the copy range, an IPv4 later fragment, a tiny
 * first fragment (IPv4 ending in the transport header; IPv6 ending in its
 * extension headers or the transport header), more than 64 IPv6
 * extension headers.  Their unread fields stay unknown (pkt.c), and a
 * rule that reads one might match, in the classifier as in the walk.
 */
static void
partial(uint8_t *p, struct nfqd_qmsg *m, int v6, size_t l4len)
{
	size_t		 l3 = v6 ? 40 : 20, len = m->len, n, i, cut;
	uint8_t		 proto = v6 ? p[6] : p[9];

	switch (pick(8)) {
	case 0:		/* cut by the copy range */
		m->caplen = pick(m->caplen + 1);
		return;
	case 1:
		if (!v6) {	/* a later fragment */
			p[6] = 0;
			p[7] = (uint8_t)(1 + pick(5));
			return;
		}
		/* A first fragment: its header, 0 to 2 more, then L4. */
		n = pick(3);
		memmove(p + l3 + 8 + 8 * n, p + l3, len - l3);
		memset(p + l3, 0, 8);
		p[l3] = n > 0 ? IPPROTO_DSTOPTS : proto;
		p[l3 + 3] = 1;		/* offset 0, M */
		for (i = 0; i < n; i++)
			dstopts(p + l3 + 8 + 8 * i, i + 1 < n ?
			    IPPROTO_DSTOPTS : proto);
		p[6] = IPPROTO_FRAGMENT;
		cut = l3 + 8 + pick(8 * n + l4len + 1);
		break;
	case 2:
		if (!v6) {	/* a tiny first fragment */
			p[6] = 0x20;
			cut = l3 + pick(l4len + 1);
			p[2] = (uint8_t)(cut >> 8);
			p[3] = (uint8_t)cut;
			m->caplen = m->len = (uint32_t)cut;
			return;
		}
		/* One extension header more than nfqd walks. */
		n = 65;
		memmove(p + l3 + 8 * n, p + l3, len - l3);
		for (i = 0; i < n; i++)
			dstopts(p + l3 + 8 * i, i + 1 < n ? IPPROTO_DSTOPTS :
			    proto);
		p[6] = IPPROTO_DSTOPTS;
		cut = len + 8 * n;
		break;
	default:
		return;
	}
	p[4] = (uint8_t)((cut - l3) >> 8);
	p[5] = (uint8_t)(cut - l3);
	m->caplen = m->len = (uint32_t)cut;
}

/* A packet: IPv4 or IPv6 with TCP, UDP, ICMP(v6), SCTP or nothing. */
static size_t
make_packet(uint8_t *p, struct nfqd_qmsg *m)
{
	uint8_t		*l4;
	size_t		 l3, l4len = 0, paylen = pick(64);
	unsigned	 i;
	int		 v6 = pick(3) == 0, proto;
	/* A few flows come again and again: a keyed rate limit is passed. */
	int		 hot = pick(4) == 0;
	uint16_t	 sp = pick(4) ? ports[pick(NFQD_ARRAY_SIZE(ports))] :
			    (uint16_t)rnd();
	uint16_t	 dp = pick(4) ? ports[pick(NFQD_ARRAY_SIZE(ports))] +
			    (uint16_t)pick(3) : (uint16_t)rnd();

	switch (pick(6)) {
	case 0: case 1: proto = 6; break;
	case 2: case 3: proto = 17; break;
	case 4: proto = v6 ? 58 : 1; break;
	default: proto = pick(2) ? 132 : 47; break;
	}
	memset(p, 0, 256);
	l3 = v6 ? 40 : 20;
	l4 = p + l3;
	if (proto == 6) {
		l4len = 20;
		l4[12] = 5 << 4;
		l4[13] = (uint8_t)rnd();
	} else if (proto == 17 || proto == 132) {
		l4len = proto == 17 ? 8 : 12;
	} else if (proto == 1 || proto == 58) {
		l4len = 8;
		l4[0] = (uint8_t)(v6 ? 128 + pick(3) : pick(3) * 4);
		l4[1] = (uint8_t)pick(2);
	}
	if (proto == 6 || proto == 17 || proto == 132) {
		l4[0] = (uint8_t)(sp >> 8);
		l4[1] = (uint8_t)sp;
		l4[2] = (uint8_t)(dp >> 8);
		l4[3] = (uint8_t)dp;
	}
	if (proto == 17) {
		l4[4] = (uint8_t)((8 + paylen) >> 8);
		l4[5] = (uint8_t)(8 + paylen);
	}
	if (v6) {
		uint8_t *sa = p + 8, *da = p + 24;

		p[0] = 0x60;
		p[4] = (uint8_t)((l4len + paylen) >> 8);
		p[5] = (uint8_t)(l4len + paylen);
		p[6] = (uint8_t)proto;
		p[7] = 64;
		i = hot ? 0 : pick(NFQD_ARRAY_SIZE(v6net));
		inet_pton(AF_INET6, v6net[i], sa);
		i = hot ? 1 : pick(NFQD_ARRAY_SIZE(v6net));
		inet_pton(AF_INET6, v6net[i], da);
		for (i = 6; i < 16 && !hot; i++) {
			sa[i] = pick(3) ? 0 : (uint8_t)rnd();
			da[i] = pick(3) ? 0 : (uint8_t)rnd();
		}
		if (!hot && pick(4) == 0)
			sa[1] ^= 1;
	} else {
		uint8_t *sa = p + 12, *da = p + 16;

		p[0] = 0x45;
		p[2] = (uint8_t)((l3 + l4len + paylen) >> 8);
		p[3] = (uint8_t)(l3 + l4len + paylen);
		p[8] = 64;
		p[9] = (uint8_t)proto;
		i = hot ? 0 : pick(NFQD_ARRAY_SIZE(v4net));
		inet_pton(AF_INET, v4net[i], sa);
		i = hot ? 3 : pick(NFQD_ARRAY_SIZE(v4net));
		inet_pton(AF_INET, v4net[i], da);
		for (i = 1; i < 4 && !hot; i++) {
			if (pick(2))
				sa[i] = (uint8_t)rnd();
			if (pick(2))
				da[i] = (uint8_t)rnd();
		}
	}
	memset(m, 0, sizeof(*m));
	m->payload = p;
	m->caplen = m->len = (uint32_t)(l3 + l4len + paylen);
	m->hw_protocol = v6 ? ETH_P_IPV6 : ETH_P_IP;
	m->mark = pick(2);
	partial(p, m, v6, l4len);
	return m->caplen;
}

static void
ignore(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	(void)file;
	(void)line;
	(void)msg;
}

static void
report(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	printf("# %s:%d: %s\n", file, line, msg);
}

/*
 * One rule set, npkts packets.  Returns 1 if it ran (the generated set was
 * valid), 0 if the loader refused it (a generator limitation), -1 on a
 * difference.
 */
/* Packets decided, by the status of their parse. */
static unsigned long	kinds[NFQD_PKT_STATUS_MAX];

static int
run_set(const char *dir, unsigned nrules, unsigned npkts, unsigned *tuples)
{
	struct gen		 g = { NULL, 0, 0 };
	struct nfqd_config	 cf;
	struct nfqd_engine	 ec, el;
	struct nfqd_rule_ctr	*cc, *cl;
	struct nfqd_decision	 dc, dl;
	struct nfqd_qmsg		 m;
	uint8_t			 pkt[1024];	/* 65 extension headers */
	char			 path[PATH_MAX + 16];
	uint64_t		 now = 1000000000ull;
	unsigned		 i;
	int			 ok = 1;
	FILE			*fp;

	emit(&g, "queue: { balance = \"0:1\"; };\nrules = (\n");
	for (i = 0; i < nrules; i++) {
		emit_rule(&g, i);
		emit(&g, "%s\n", i + 1 < nrules ? "," : "");
	}
	emit(&g, ");\ndefault_verdict = \"%s\";\n", pick(2) ? "accept" :
	    "drop");
	snprintf(path, sizeof(path), "%s/set.conf", dir);
	if ((fp = fopen(path, "w")) == NULL || fputs(g.buf, fp) < 0 ||
	    fclose(fp) != 0)
		abort();
	if (nfqd_config_load(&cf, path, NULL, ignore, NULL) != 0) {
		/* Show why, once, so that generator bugs are visible. */
		if (getenv("NFQD_VERBOSE") != NULL)
			nfqd_config_load(&cf, path, NULL, report, NULL);
		free(g.buf);
		return 0;
	}
	free(g.buf);
	*tuples += nfqd_classify_tuples(cf.rules->cls);
	cc = calloc(cf.rules->n, sizeof(*cc));
	cl = calloc(cf.rules->n, sizeof(*cl));
	if (cc == NULL || cl == NULL ||
	    nfqd_engine_init(&ec, &cf, cf.rules, cc, NULL, NULL, 0) == -1 ||
	    nfqd_engine_init(&el, &cf, cf.rules, cl, NULL, NULL, 0) == -1)
		abort();
	el.linear = true;
	for (i = 0; i < npkts && ok == 1; i++) {
		make_packet(pkt, &m);
		now += pick(4) == 0 ? pick(200000000) : pick(1000);
		nfqd_engine_decide(&ec, &m, now, &dc);
		nfqd_engine_decide(&el, &m, now, &dl);
		if (dc.status < NFQD_PKT_STATUS_MAX)
			kinds[dc.status]++;
		if (dc.verdict != dl.verdict || dc.rule != dl.rule ||
		    dc.has_mark != dl.has_mark || dc.mark != dl.mark) {
			printf("# packet %u: classifier rule %d verdict 0x%x, "
			    "linear rule %d verdict 0x%x\n", i, dc.rule,
			    dc.verdict, dl.rule, dl.verdict);
			ok = -1;
		}
	}
	for (i = 0; i < cf.rules->n && ok == 1; i++)
		if (cc[i].hits != cl[i].hits || cc[i].bytes != cl[i].bytes) {
			printf("# rule %u counters differ\n", i);
			ok = -1;
		}
	if (ok == -1)
		printf("# the rule set is kept in %s\n", path);
	nfqd_engine_free(&ec);
	nfqd_engine_free(&el);
	free(cc);
	free(cl);
	nfqd_config_free(&cf);
	return ok;
}

int
main(void)
{
	char		 dir[PATH_MAX], *e;
	unsigned	 sets = 300, s, ran = 0, refused = 0, tuples = 0, n;
	int		 r, bad = 0;

	rng_state = 0x6e66716400000001ull;
	if ((e = getenv("NFQD_SEED")) != NULL)
		rng_state ^= strtoull(e, NULL, 0) * 0x9e3779b97f4a7c15ull;
	if ((e = getenv("NFQD_SETS")) != NULL)
		sets = (unsigned)strtoul(e, NULL, 0);
	if (unit_mkdtemp(dir, sizeof(dir)) == -1)
		return 1;
	for (s = 0; s < sets && bad == 0; s++) {
		n = s % 10 == 9 ? 200 + pick(300) : 1 + pick(40);
		r = run_set(dir, n, 3000, &tuples);
		if (r == 1)
			ran++;
		else if (r == 0)
			refused++;
		else
			bad = 1;
	}
	CHECKF(bad == 0, "classifier and linear walk agree on every packet",
	    "rule set %u differs (seed: NFQD_SEED)", s);
	CHECKF(ran >= s * 9 / 10, "most generated rule sets are valid",
	    "%u of %u refused by the loader", refused, s);
	CHECKF(tuples > ran, "the classifier was exercised",
	    "%u tuples over %u sets", tuples, ran);
	CHECKF(kinds[NFQD_PKT_TRUNCATED] > 0 &&
	    kinds[NFQD_PKT_TINY_FRAGMENT] > 0 &&
	    kinds[NFQD_PKT_HEADER_CHAIN] > 0, "packets not read whole occur",
	    "%lu truncated, %lu tiny fragments, %lu header chains",
	    kinds[NFQD_PKT_TRUNCATED], kinds[NFQD_PKT_TINY_FRAGMENT],
	    kinds[NFQD_PKT_HEADER_CHAIN]);
	printf("# %u rule sets of random shape, 3000 packets each, %u "
	    "tuples in all; %lu packets read whole, %lu truncated, %lu "
	    "malformed, %lu tiny fragments, %lu header chains\n", ran, tuples,
	    kinds[NFQD_PKT_OK], kinds[NFQD_PKT_TRUNCATED],
	    kinds[NFQD_PKT_MALFORMED], kinds[NFQD_PKT_TINY_FRAGMENT],
	    kinds[NFQD_PKT_HEADER_CHAIN]);
	if (bad == 0)
		unit_rmtree(dir);
	return unit_done();
}
