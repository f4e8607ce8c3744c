/*
 * libFuzzer target for the rule engine: every packet (with its metadata)
 * is decided by two engines over one fixed rule set, one through the
 * compiled classifier, one walking the rules in order.  Any difference in
 * verdict, mark or deciding rule traps.  The rule set covers every matcher,
 * negations, lists, ranges, rate limits and continue, and the names of
 * the application layer: each engine keeps its own flows (a small table,
 * few reassembly buffers) from one packet of an input to the next, so the
 * fuzzer drives the flow table, the reassembler and the parsers through
 * sequences of packets.
 *
 * Input: a script of up to SCRIPT_MAX packets, each
 *   8 bytes	metadata: mark and checksum state, uid and whether the
 *		flow table's hint is made ahead, whether the clock jumps
 *		past the hello and closing timeouts and the timer's expiry
 *		runs, in and out interface index, a time step
 *   2 bytes	length L, big-endian
 *   L bytes	the packet from its IP header on (the input's tail when
 *		fewer are left), copied to a buffer of exactly its length,
 *		so that a read past it is a read past the allocation
 * Every input starts from new engines, a fixed clock and fixed hash
 * seeds (getrandom() below), so that a crash input reproduces alone:
 * build/fuzz/fuzz_engine FILE.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include <linux/if_ether.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/iftab.h"
#include "nfqd/l7.h"
#include "nfqd/l7/qclaim.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

static const char rules[] =
"queue: { balance = \"0:1\"; };\n"
"flows: { max = 64; reasm_buffers = 4; };\n"
"rate_table_size = 1024;\n"
"rules = (\n"
" { name = \"a\"; proto = \"tcp\"; dst_port = 23; verdict = \"drop\"; },\n"
" { name = \"b\"; src = [\"10.0.0.0/8\", \"fd00::/8\", \"!10.9.0.0/16\"];\n"
"   proto = \"udp\"; dst_port = (53, \"5353\", \"!54\"); verdict = \"accept\";\n"
"   mark = 0x10; },\n"
" { name = \"c\"; dst = \"192.0.2.0/24\"; proto = \"tcp\";\n"
"   dst_port = \"80-443\"; tcp_flags = \"syn,!ack\"; in_iface = \"eth0\";\n"
"   verdict = \"repeat\"; mark = 0x2; },\n"
" { name = \"d\"; proto = \"icmp\"; icmp_type = 8; rate = \"5/s\";\n"
"   burst = 3; per = \"src\"; verdict = \"drop\"; },\n"
" { name = \"e\"; uid = \"1000-1999\"; verdict = \"queue\"; queue = 10; },\n"
" { name = \"f\"; dst_port = 22; verdict = \"continue\"; },\n"
" { name = \"g\"; family = \"ipv6\"; proto = \"icmpv6\"; icmp_type = 128;\n"
"   icmp_code = 0; verdict = \"drop\"; },\n"
" { name = \"h\"; match_mark = \"0x1/0x1\"; length = \"0-100\";\n"
"   verdict = \"drop\"; },\n"
" { name = \"i\"; out_iface = \"!eth+\"; src_port = (\"1-1024\", 8080);\n"
"   verdict = \"continue\"; },\n"
" { name = \"j\"; rate = \"1/s\"; burst = 2; verdict = \"drop\"; },\n"
" { name = \"k\"; dst = [\"2001:db8::/32\", \"2001:db8:1::/48\"];\n"
"   dst_port = (80, 81, 82, 83); verdict = \"drop\"; },\n"
" { name = \"l\"; proto = \"sctp\"; src_port = \"!9\"; verdict = \"accept\"; },\n"
" { name = \"m\"; tls_sni = (\"blocked.example\", \"=x.test\");\n"
"   verdict = \"drop\"; },\n"
" { name = \"n\"; http_host = \"blocked.example\"; http_path = \"/a\";\n"
"   http_method = \"GET\"; verdict = \"repeat\"; mark = 0x4; },\n"
" { name = \"o\"; dns_qname = \"blocked.example\"; dns_qtype = (\"A\", 28);\n"
"   verdict = \"drop\"; },\n"
" { name = \"p\"; alpn = \"h2\"; tls_ech = true; l7 = \"tls\";\n"
"   verdict = \"drop\"; flow = false; },\n"
" { name = \"q\"; server_name = \"a.test\"; verdict = \"accept\"; mark = 0x8; },\n"
" { name = \"r\"; tls_ja4 = (\"t13d1516h2_8daaf6152771_e5627efa2ab1\",\n"
"   \"t12i000000_000000000000_000000000000\"); verdict = \"drop\"; }\n"
");\n";

static struct nfqd_config	cf;
static struct nfqd_engine	ec, el;
static struct nfqd_iftab	*ift;
static uint64_t			now;
static uint64_t			rnd;

#define SCRIPT_MAX	16

/*
 * The flow table's hash key comes from getrandom(): here a fixed stream
 * (splitmix64) that each input starts again, so that where flows land,
 * and so which give way, is the same on every run of an input.
 */
ssize_t
getrandom(void *buf, size_t len, unsigned int flags)
{
	uint8_t		*p = buf;
	uint64_t	 x;
	size_t		 i;

	(void)flags;
	for (i = 0; i < len; i++) {
		if (i % 8 == 0) {
			x = (rnd += UINT64_C(0x9e3779b97f4a7c15));
			x = (x ^ x >> 30) * UINT64_C(0xbf58476d1ce4e5b9);
			x = (x ^ x >> 27) * UINT64_C(0x94d049bb133111eb);
			x ^= x >> 31;
		}
		p[i] = (uint8_t)(x >> (i % 8 * 8));
	}
	return (ssize_t)len;
}

static void
quiet(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	path[] = "/tmp/nfqd-fuzz-engine.XXXXXX";
	int	fd;

	(void)argc;
	(void)argv;
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, rules, sizeof(rules) - 1) != (ssize_t)sizeof(rules) - 1)
		abort();
	close(fd);
	if (nfqd_config_load(&cf, path, NULL, quiet, NULL) != 0)
		abort();
	unlink(path);
	if ((ift = nfqd_iftab_new()) == NULL ||
	    nfqd_iftab_set(ift, 2, "eth0") == -1 ||
	    nfqd_iftab_set(ift, 3, "eth1") == -1 ||
	    nfqd_iftab_set(ift, 4, "lo") == -1)
		abort();
	return 0;
}

/* One packet of the script: meta[0..8), the packet p[0..len). */
static void
step(const uint8_t *meta, const uint8_t *p, size_t len)
{
	struct nfqd_decision		 dc, dl;
	struct nfqd_qmsg		 m;
	const struct nfqd_qmsg		*mp;
	struct nfqd_flow_hint		 h;
	const struct nfqd_flow_hint	*hp;

	memset(&m, 0, sizeof(m));
	/* Bits 0-1: the mark; 2: flows.pending_mark (restored by the kernel);
	 * 3: the checksum is nobody's verified yet. */
	m.mark = (meta[0] & 3) | (meta[0] & 4 ? 0x20000000u : 0);
	m.skbinfo = meta[0] & 8 ? NFQA_SKB_CSUM_NOTVERIFIED : 0;
	m.has_uid = (meta[1] & 1) != 0;
	m.uid = 990u + meta[2] * 8u;
	m.indev = meta[3] & 7;
	m.outdev = meta[4] & 7;
	now += (uint64_t)meta[5] * meta[6] * 10000ull;
	/* Bit 2 of meta[1]: the clock jumps 11 s (past hello_timeout and
	 * closing_timeout: flows being read become lost); bit 3: the timer
	 * ends or keeps what is past its timeout before the packet. */
	if (meta[1] & 4)
		now += 11000000000ull;
	if (meta[1] & 8) {
		nfqd_l7_expire(&ec.l7, now);
		nfqd_l7_expire(&el.l7, now);
	}
	m.payload = len > 0 ? p : NULL;
	m.caplen = (uint32_t)len;
	m.len = m.caplen + (meta[7] & 0x80 ? meta[7] & 0x7f : 0);
	m.hw_protocol = ETH_P_IP;
	/*
	 * Bit 1 of meta[1]: the compiled engine gets the packet's hint from
	 * a batch prefetch (nfqd_engine_prefetch); a flow's packets with and
	 * without one must find it alike.
	 */
	mp = &m;
	if (meta[1] & 2)
		nfqd_engine_prefetch(&ec, &mp, &h, &hp, 1);
	else
		hp = NULL;
	nfqd_engine_decide_hinted(&ec, &m, hp, now, &dc);
	nfqd_engine_decide(&el, &m, now, &dl);
	ASSERT(dc.verdict == dl.verdict);
	ASSERT(dc.rule == dl.rule);
	ASSERT(dc.has_mark == dl.has_mark && dc.mark == dl.mark);
	ASSERT(dc.rule >= NFQD_DECIDED_INCOMPLETE &&
	    dc.rule < (int32_t)cf.rules->n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfqd_qclaim_tab *tc, *tl;
	const uint8_t	*meta;
	uint8_t		*p;
	size_t		 len;
	unsigned	 n;

	/* New engines (flows, reassembly buffers, rate buckets), the same
	 * hash keys, the same clock: nothing of the last input is left. */
	rnd = 0;
	now = 1000000000ull;
	if (nfqd_engine_init(&ec, &cf, cf.rules, NULL, NULL, ift, 0) == -1 ||
	    nfqd_engine_init(&el, &cf, cf.rules, NULL, NULL, ift, 0) == -1)
		abort();
	/* Each engine its own table of claimed QUIC IDs, as if each were
	   the only worker. */
	if ((tc = nfqd_qclaim_create(0, 1)) == NULL ||
	    (tl = nfqd_qclaim_create(0, 1)) == NULL)
		abort();
	nfqd_engine_qclaim(&ec, tc);
	nfqd_engine_qclaim(&el, tl);
	el.linear = true;
	for (n = 0; n < SCRIPT_MAX && size >= 10; n++) {
		meta = data;
		len = (size_t)data[8] << 8 | data[9];
		data += 10;
		size -= 10;
		if (len > size)
			len = size;
		if ((p = malloc(len > 0 ? len : 1)) == NULL)
			abort();
		memcpy(p, data, len);
		step(meta, p, len);
		free(p);
		data += len;
		size -= len;
	}
	/* Every flow ended (the clock past every timeout, then past them
	   again for the flows kept lost): every HTTP/2 table back. */
	nfqd_l7_expire(&ec.l7, now + (1ull << 60));
	nfqd_l7_expire(&el.l7, now + (1ull << 60));
	nfqd_l7_expire(&ec.l7, now + (1ull << 61));
	nfqd_l7_expire(&el.l7, now + (1ull << 61));
	ASSERT(nfqd_l7_h2_tables(&ec.l7) == 0 && nfqd_l7_h2_tables(&el.l7) == 0);
	nfqd_engine_free(&ec);
	nfqd_engine_free(&el);
	nfqd_qclaim_destroy(tc);
	nfqd_qclaim_destroy(tl);
	return 0;
}
