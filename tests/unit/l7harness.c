/*
 * What test_l7, test_l7udp and test_l7later share (l7harness.h): packets
 * built in pbuf with their checksums, a ClientHello, an engine set up
 * with the rules setup_sets() writes, decide() and the word for a
 * decision, a client's TCP segments, a flow looked up.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/l7.h"
#include "nfqd/l7/flow.h"
#include "nfqd/queue.h"
#include "l7harness.h"
#include "unit.h"

uint8_t		pbuf[70000];
uint64_t	now = 1000000000000ull;
uint32_t	indev = 2;	/* where decide()'s packets come in */

/*
 * The lengths of a hello of n bytes in b[] set from where it ends: its
 * extension block's (length at b[ext]), its handshake message's (body at
 * b[hs]) and its record's.  Returns n.
 */
size_t
hello_lengths(uint8_t *b, size_t ext, size_t hs, size_t n)
{
	b[ext] = (uint8_t)((n - ext - 2) >> 8);
	b[ext + 1] = (uint8_t)(n - ext - 2);
	b[hs - 3] = 0;
	b[hs - 2] = (uint8_t)((n - hs) >> 8);
	b[hs - 1] = (uint8_t)(n - hs);
	b[3] = (uint8_t)((n - 5) >> 8);
	b[4] = (uint8_t)(n - 5);
	return n;
}

/* A ClientHello for name (a real one's shape: TLS 1.2 record, SNI, ALPN). */
size_t
hello(uint8_t *b, const char *name)
{
	size_t	n = strlen(name), i = 0, ext, hs;

	b[i++] = 22; b[i++] = 3; b[i++] = 1;
	i += 2;				/* record length */
	b[i++] = 1;			/* ClientHello */
	i += 3;				/* handshake length */
	hs = i;
	b[i++] = 3; b[i++] = 3;
	memset(b + i, 0xab, 32); i += 32;
	b[i++] = 0;			/* session id */
	b[i++] = 0; b[i++] = 4; b[i++] = 0x13; b[i++] = 1; b[i++] = 0xc0;
	b[i++] = 0x2f;
	b[i++] = 1; b[i++] = 0;		/* compression */
	ext = i;
	i += 2;
	/* server_name */
	b[i++] = 0; b[i++] = 0;
	b[i++] = (uint8_t)((n + 5) >> 8); b[i++] = (uint8_t)(n + 5);
	b[i++] = (uint8_t)((n + 3) >> 8); b[i++] = (uint8_t)(n + 3);
	b[i++] = 0;
	b[i++] = (uint8_t)(n >> 8); b[i++] = (uint8_t)n;
	memcpy(b + i, name, n); i += n;
	/* ALPN h2 */
	b[i++] = 0; b[i++] = 16; b[i++] = 0; b[i++] = 5; b[i++] = 0;
	b[i++] = 3; b[i++] = 2; b[i++] = 'h'; b[i++] = '2';
	return hello_lengths(b, ext, hs, i);
}

uint32_t
csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/*
 * A TCP or UDP packet with its checksum, in pbuf; its length.  IPv6
 * when the source address has a ':'.
 */
uint32_t
mk(const struct seg *s, const uint8_t *pay, size_t n)
{
	bool		 v6 = strchr(s->src, ':') != NULL;
	uint32_t	 iphl = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	uint8_t		*ip = pbuf, *l4 = pbuf + iphl;
	uint32_t	 hl = s->proto == 6 ? 20u + s->optlen : 8;
	uint32_t	 len = iphl + hl + (uint32_t)n, sum;

	memset(pbuf, 0, iphl + hl);
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)((len - 40) >> 8);
		ip[5] = (uint8_t)(len - 40);
		ip[6] = s->proto;
		ip[7] = s->ttl != 0 ? s->ttl : 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
	} else {
		ip[0] = 0x45;
		ip[2] = (uint8_t)(len >> 8);
		ip[3] = (uint8_t)len;
		ip[8] = s->ttl != 0 ? s->ttl : 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
	}
	l4[0] = (uint8_t)(s->sport >> 8); l4[1] = (uint8_t)s->sport;
	l4[2] = (uint8_t)(s->dport >> 8); l4[3] = (uint8_t)s->dport;
	if (s->proto == 6) {
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)((hl / 4) << 4);
		l4[13] = s->flags;
		l4[14] = 0xff;
		if (s->optlen > 0)
			memcpy(l4 + 20, s->opt, s->optlen);
	} else {
		l4[4] = (uint8_t)((8 + n) >> 8);
		l4[5] = (uint8_t)(8 + n);
	}
	if (n > 0)
		memcpy(l4 + hl, pay, n);
	/* The pseudo header's length as 16 bits adds up the same as
	   IPv6's 32 for these lengths. */
	sum = csum_add(0, ip + iphl - 2 * alen, 2 * alen) + s->proto + hl +
	    (uint32_t)n;
	sum = csum_add(sum, l4, hl + n);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (s->badsum)
		sum ^= 0x1111;
	l4[s->proto == 6 ? 16 : 6] = (uint8_t)(sum >> 8);
	l4[s->proto == 6 ? 17 : 7] = (uint8_t)sum;
	return len;
}

/* One file per process: the three programs (and clones of the tree) may
 * run at the same time. */
static char	 setsbuf[64];
const char	*setsfile = setsbuf;

__attribute__((constructor)) static void
setsfile_name(void)
{
	snprintf(setsbuf, sizeof(setsbuf), "/tmp/nfqd-test-l7-names.%ld.txt",
	    (long)getpid());
}
/* Names setup() adds to the set, making it big enough for the name
 * prefetch (NFQD_L7_PF_BYTES). */
unsigned	 set_filler;

/*
 * setup()'s name set written to setsfile, and its configuration text
 * (the rules, extra before the name sets) in text.  False when the file
 * cannot be written.
 */
bool
setup_sets(char *text, size_t size, const char *extra)
{
	FILE	*fp;

	if ((fp = fopen(setsfile, "w")) == NULL)
		return false;
	fprintf(fp, "blocked.example\n0.0.0.0 ads.example\n");
	for (unsigned i = 0; i < set_filler; i++)
		fprintf(fp, "n%u.filler.example\n", i);
	fclose(fp);
	snprintf(text, size,
	    "queue = { balance = \"0:0\"; };\n"
	    "%s\n"
	    "name_sets = ( { name = \"bl\"; file = \"%s\"; } );\n"
	    "rules = (\n"
	    "  { name = \"tls\"; tls_sni = \"@bl\"; verdict = \"repeat\";"
	    " mark = 0x10000000; },\n"
	    "  { name = \"http\"; http_host = (\"@bl\", \"=only.example\");"
	    " verdict = \"repeat\"; mark = 0x10000000; },\n"
	    "  { name = \"dns\"; dns_qname = \"@bl\"; verdict = \"drop\"; },\n"
	    "  { name = \"quic\"; server_name = \"=example.com\";"
	    " l7 = \"quic\"; alpn = \"alpn\"; verdict = \"repeat\";"
	    " mark = 0x10000000; }\n"
	    ");\n", extra, setsfile);
	return true;
}

/* r emptied, the configuration text loaded into r->cf: false with the
 * reports in rs when it does not load. */
bool
setup_load(struct run *r, const char *text, struct unit_reports *rs)
{
	memset(r, 0, sizeof(*r));
	memset(rs, 0, sizeof(*rs));
	return nfqd_config_load_text(&r->cf, "l7.conf", text, strlen(text),
	    NULL, unit_collect, rs) == 0;
}

/* The engine for r->cf: false, r->cf freed, when it does not start. */
bool
setup_engine(struct run *r)
{
	if (nfqd_engine_init(&r->e, &r->cf, r->cf.rules, r->ctr, NULL, NULL,
	    0) != 0) {
		nfqd_config_free(&r->cf);
		return false;
	}
	if ((r->claims = nfqd_qclaim_create(2 * (uint64_t)r->cf.flows_max,
	    0x5eed)) == NULL) {
		nfqd_engine_free(&r->e);
		nfqd_config_free(&r->cf);
		return false;
	}
	nfqd_engine_qclaim(&r->e, r->claims);
	r->ok = true;
	return true;
}

/*
 * A new table of claimed QUIC IDs for r's engine: the next case's flows
 * may use the IDs of the last's (the counters go on).
 */
bool
new_claims(struct run *r)
{
	nfqd_qclaim_destroy(r->claims);
	if ((r->claims = nfqd_qclaim_create(2 * (uint64_t)r->cf.flows_max,
	    0x5eed)) == NULL)
		return false;
	nfqd_engine_qclaim(&r->e, r->claims);
	return true;
}

void
teardown(struct run *r)
{
	if (!r->ok)
		return;
	nfqd_engine_free(&r->e);
	nfqd_qclaim_destroy(r->claims);
	r->claims = NULL;
	nfqd_config_free(&r->cf);
	unlink(setsfile);
}

/* Decide the packet in pbuf (len bytes) with mark and skbinfo. */
struct nfqd_decision
decide(struct run *r, uint32_t len, uint32_t mark, uint32_t skbinfo)
{
	struct nfqd_qmsg	m;
	struct nfqd_decision	d;

	memset(&m, 0, sizeof(m));
	m.hw_protocol = (pbuf[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
	m.payload = pbuf;
	m.caplen = m.len = len;
	m.mark = mark;
	m.skbinfo = skbinfo;
	m.indev = indev;
	now += 1000000;
	nfqd_engine_decide(&r->e, &m, now, &d);
	return d;
}

/* What a decision says, as one word for the tests' tables. */
const char *
what(const struct nfqd_decision *d)
{
	if (d->verdict == NF_REPEAT && d->has_mark && d->mark == D)
		return "blocked";
	if (d->verdict == NF_ACCEPT && d->has_mark && d->mark == P)
		return "pending";
	if (d->verdict == NF_ACCEPT && !d->has_mark)
		return "accept";
	if (d->verdict == NF_DROP && d->status == NFQD_PKT_L7_ERROR)
		return "l7_error";
	if (d->verdict == NF_DROP && d->status == NFQD_PKT_L7_UNTRACKED)
		return "untracked";
	if (d->verdict == NF_DROP)
		return "drop";
	return "other";
}

/* The acknowledgment number of the client's segments below (cli()). */
uint32_t	cli_ack;

struct seg
cli(uint16_t sport, uint32_t seq, uint8_t flags)
{
	struct seg	s = { "10.0.0.1", "10.0.0.2", sport, 443, seq, flags, 6,
			    false, cli_ack, 0, 0, NULL };

	return s;
}

const char *
syn(struct run *r, uint16_t sport, uint32_t isn)
{
	struct seg		s = cli(sport, isn, 0x02);
	struct nfqd_decision	d = decide(r, mk(&s, NULL, 0), 0, 0);

	return what(&d);
}

/* A client segment at seq with TCP flags fl and payload pay[0..n). */
const char *
seg_at(struct run *r, uint16_t sport, uint32_t seq, uint8_t fl,
    const uint8_t *pay, size_t n, uint32_t mark)
{
	struct seg		s = cli(sport, seq, fl);
	struct nfqd_decision	d = decide(r, mk(&s, pay, n), mark, 0);

	return what(&d);
}

/* The flow of client port sport (cli()'s addresses) now, or NULL. */
struct nfqd_flow *
flow_of(struct run *r, uint16_t sport)
{
	struct nfqd_flow_key	k;
	uint8_t			a[4], b[4];
	int			dir;

	inet_pton(AF_INET, "10.0.0.1", a);
	inet_pton(AF_INET, "10.0.0.2", b);
	nfqd_flow_key_make(&k, AF_INET, IPPROTO_TCP, a, b, sport, 443, &dir);
	return nfqd_flow_find(r->e.l7.flows, &k, now);
}
