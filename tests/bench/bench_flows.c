/*
 * bench_flows: the user-space cost of a flood of new TCP flows, each a SYN
 * and a segment with a whole ClientHello, through the engine as a worker
 * runs it (flow table, checksum, reassembly check, TLS parse, name lookup,
 * rules), without the kernel: the part of bench_l7.sh's flood that nfqd
 * adds to the reference consumer, measured alone and precisely enough to
 * compare one change of the code with the next.
 *
 *   bench_flows -f LIST [-n FLOWS] [-w WARMUP] [-m MISS] [-r RATE]
 *               [-R RUNS] [-c CONFIGS] [-k] [-S SEED] [-C KIB] [-g FLOWS]
 *               [-P | -A | -N | -T]
 *
 * The packets are hellogen's (tests/tools/hello.c): a SYN with a Linux
 * client's options, then PSH|ACK at ISN + 1 with a 517-byte ClientHello
 * for a random name of LIST or, for MISS of the flows (0.5), a made-up
 * one; sources are random addresses in 10.79.0.0/16 and random ports, so
 * every flow is new.  The clock the engine sees advances by 1/RATE s a
 * flow (20,000 flows/s), and the packets say their checksum was not
 * verified (as those of hellogen over veth do) unless -k.
 *
 * Configurations (-c, comma-separated, default set,one,plain), each in
 * RUNS runs (5), taking turns (A B C A B C ...); every run loads its
 * configuration afresh, decides WARMUP flows (65,536: the default table is
 * full after them, as in bench_l7.sh) and then FLOWS flows (200,000),
 * timed in chunks of 256 flows (CLOCK_MONOTONIC around the decisions
 * only; the packets of a chunk are built before it):
 *   set    name_sets = LIST, one rule: tls_sni = "@big", verdict drop
 *   one    one rule: tls_sni = "blocked.example", verdict drop
 *   plain  no rules: nothing read past the headers
 * Prints ns per flow for each run and the medians, and checks every
 * decision: a SYN is accepted (with flows.pending_mark where a rule reads
 * names), a hello is dropped exactly when its name is listed (set).
 * Run it pinned (taskset -c 1) on an idle CPU.
 *
 * The packets are decided in batches of -g flows (3: bench_l7.sh's flood
 * at 20,000 flows/s reads about 5 packets a recvmmsg), each batch's flow
 * table look-ups and evictions prefetched first as a worker does
 * (nfqd_engine_prefetch); -P leaves the prefetch out, and -A leaves it
 * out of every other chunk of 256 flows and prints both figures, so that
 * the machine's drift weighs on both alike.  -N does the same for the
 * name sets' part of the prefetch alone (the slots of each hello's
 * server name, nfqd_l7_hint): every other chunk keeps the flow table's
 * prefetch and leaves that out.  -T: every other chunk makes a system
 * call before each batch, as the worker's recvmmsg() does (where the
 * kernel isolates its page tables, PTI, and the CPU has no PCID, as this
 * project's VM, that empties the TLB of user pages), out of the timing:
 * what refilling the TLB costs the engine.
 *
 * -C KIB: cold caches, as a worker finds them when it wakes up for a few
 * packets (the idle CPU in between runs other work or halts): before
 * each batch, KIB KiB of another buffer are written and then the batch's
 * packets read (the kernel has just copied them), out of the timing.
 * Fewer flows then (-n 20000) keep it short.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/queue.h"
#include "nfqd/shm.h"
#include "../tools/hello.h"

#define CHUNK		256		/* flows timed together */
#define MAXRUNS		64
#define MAXCONF		3

static const char *const confname[MAXCONF] = { "set", "one", "plain" };

struct chunk {
	uint8_t		pkt[2 * CHUNK][HELLO_PKT_MAX];
	uint32_t	len[2 * CHUNK];
	bool		listed[CHUNK];
};

static struct hello_names	 list;
static double			 miss = 0.5;
static uint64_t			 step_ns = 50000;	/* 20,000 flows/s */
static uint32_t			 skbinfo = NFQA_SKB_CSUM_NOTVERIFIED;
static const char		*listpath;
static bool				 alt_tlb;	/* -T */
static bool				 tlb_flush;	/* this chunk's */
static uint8_t			*evict;		/* -C */
static size_t			 evict_len;
static unsigned			 group = 3;
static bool				 prefetch = true;
static bool				 alternate;	/* -A */
static bool				 alt_names;	/* -N */
static double				 off_ns;	/* -A: the run's
							   figure without */

static void
report(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	fprintf(stderr, "bench_flows: %s:%d: %s\n", file, line, msg);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_flows -f LIST [-n FLOWS] [-w WARMUP] "
	    "[-m MISS] [-r RATE] [-R RUNS] [-c set,one,plain] [-k] "
	    "[-S SEED] [-C KIB] [-g FLOWS] [-P | -A | -N | -T]\n");
	exit(2);
}

/* Build the SYN and hello of n new flows into c. */
static void
build(struct chunk *c, unsigned n)
{
	/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
	uint8_t		 synopt[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10,
			     0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7 };
	uint8_t		 ackopt[12] = { 1, 1, 8, 10 };
	uint8_t		 hello[HELLO_MAX];
	char		 made[HELLO_NAME_MAX + 1];
	const char	*name;
	uint32_t	 saddr, daddr, isn;
	uint16_t	 sport;
	size_t		 nlen, hlen;
	unsigned	 i;

	daddr = htonl(0x0a4e0002);		/* 10.78.0.2 */
	for (i = 0; i < n; i++) {
		if ((double)(hello_rnd() >> 11) / 9007199254740992.0 < miss) {
			nlen = hello_made_up(made);
			name = made;
			c->listed[i] = false;
		} else {
			name = list.buf + list.at[hello_rnd() % list.n];
			nlen = strlen(name);
			c->listed[i] = true;
		}
		hlen = hello_client(hello, name, nlen);
		saddr = htonl(0x0a4f0000 | (uint32_t)(hello_rnd() & 0xffff));
		sport = (uint16_t)(1024 + hello_rnd() % 64512);
		isn = (uint32_t)hello_rnd();
		c->len[2 * i] = (uint32_t)hello_tcp_packet(c->pkt[2 * i],
		    saddr, daddr, sport, 443, isn, 0, 0x02, synopt,
		    sizeof(synopt), NULL, 0);
		c->len[2 * i + 1] = (uint32_t)hello_tcp_packet(
		    c->pkt[2 * i + 1], saddr, daddr, sport, 443, isn + 1,
		    (uint32_t)hello_rnd(), 0x18, ackopt, sizeof(ackopt), hello,
		    hlen);
	}
}

struct tally {
	uint64_t	flows, listed, dropped, bad;
};

/* Read every cache line of p[0..len). */
static void
touch(const uint8_t *p, uint32_t len)
{
	volatile uint8_t	sink;
	uint32_t		i;

	for (i = 0; i < len; i += 64)
		sink = p[i];
	if (len > 0)
		sink = p[len - 1];
	(void)sink;
}

/*
 * Decide the packets of c (n flows) in order, in batches of 2 * group
 * packets as a worker reads them (each batch's flow table look-ups
 * prefetched first, unless -P); the ns it took.
 */
static uint64_t
decide(struct nfqd_engine *e, const struct chunk *c, unsigned n,
    uint64_t *clock, int k, uint32_t pending, struct tally *t, bool pf)
{
	static struct nfqd_qmsg		 m[2 * CHUNK];
	static struct nfqd_flow_hint	 h[2 * CHUNK];
	struct nfqd_decision		 d[2 * CHUNK];
	const struct nfqd_qmsg		*mp[2 * CHUNK];
	const struct nfqd_flow_hint	*hp[2 * CHUNK];
	uint64_t			 t0 = 0, t1 = 0;
	unsigned			 i, j, b, end;
	bool				 names = k != 2, want;

	for (i = 0; i < 2 * n; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].hw_protocol = ETH_P_IP;
		m[i].skbinfo = skbinfo;
		m[i].id = (uint32_t)i + 1;
		m[i].payload = c->pkt[i];
		m[i].caplen = m[i].len = c->len[i];
		mp[i] = &m[i];
		hp[i] = NULL;
	}
	if (evict == NULL && !alt_tlb)
		t0 = hello_now_ns();
	for (b = 0; b < 2 * n; b = end) {
		end = b + 2 * group < 2 * n ? b + 2 * group : 2 * n;
		if (evict != NULL) {
			memset(evict, (int)b, evict_len);
			/* The kernel has just written the packets. */
			for (j = b; j < end; j++)
				touch(c->pkt[j], c->len[j]);
			__asm__ volatile("" ::: "memory");
		}
		/* -T: a system call, as the worker's recvmmsg() before each
		 * batch (with PTI and no PCID it empties the TLB of user
		 * pages). */
		if (tlb_flush)
			(void) getppid();
		if (evict != NULL || alt_tlb)
			t0 = hello_now_ns();
		if (pf)
			nfqd_engine_prefetch(e, mp + b, h + b, hp + b,
			    end - b);
		for (j = b; j < end; j++) {
			*clock += step_ns / 2;
			nfqd_engine_decide_hinted(e, &m[j], hp[j], *clock,
			    &d[j]);
		}
		if (evict != NULL || alt_tlb)
			t1 += hello_now_ns() - t0;
	}
	if (evict == NULL && !alt_tlb)
		t1 = hello_now_ns() - t0;
	for (i = 0; i < n; i++) {
		t->flows++;
		t->listed += c->listed[i];
		if (d[2 * i].verdict != NF_ACCEPT || d[2 * i].has_mark !=
		    (names && pending != 0) || (d[2 * i].has_mark &&
		    d[2 * i].mark != pending))
			t->bad++;
		want = k == 0 && c->listed[i];
		if (d[2 * i + 1].verdict == NF_DROP)
			t->dropped++;
		if ((d[2 * i + 1].verdict == NF_DROP) != want)
			t->bad++;
	}
	return t1;
}

/* One run of configuration k: ns per flow, or -1 on an error. */
static double
run(int k, uint64_t warm, uint64_t flows, struct chunk *c)
{
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_rule_ctr	 ctr[4];
	struct tally		 t, tw;
	char			 text[2048];
	uint64_t		 clock = 1000000000ull, ns = 0, done;
	uint64_t		 ns_off = 0, flows_on = 0, flows_off = 0;
	unsigned		 n, j, pf_sets;

	switch (k) {
	case 0:
		snprintf(text, sizeof(text),
		    "queue = { balance = \"0:0\"; copy_range = \"auto\"; };\n"
		    "name_sets = ( { name = \"big\"; file = \"%s\"; } );\n"
		    "rules = ( { name = \"block\"; tls_sni = \"@big\";"
		    " verdict = \"drop\"; } );\n", listpath);
		break;
	case 1:
		snprintf(text, sizeof(text),
		    "queue = { balance = \"0:0\"; copy_range = \"auto\"; };\n"
		    "rules = ( { name = \"block\"; tls_sni ="
		    " \"blocked.example\"; verdict = \"drop\"; } );\n");
		break;
	default:
		snprintf(text, sizeof(text),
		    "queue = { balance = \"0:0\"; copy_range = \"auto\"; };\n");
		break;
	}
	memset(&cf, 0, sizeof(cf));
	if (nfqd_config_load_text(&cf, confname[k], text, strlen(text), NULL,
	    report, NULL) != 0)
		return -1;
	memset(ctr, 0, sizeof(ctr));
	if (nfqd_engine_init(&e, &cf, cf.rules, ctr, NULL, NULL, 0) != 0) {
		fprintf(stderr, "bench_flows: engine init failed\n");
		nfqd_config_free(&cf);
		return -1;
	}
	memset(&tw, 0, sizeof(tw));
	for (done = 0; done < warm; done += n) {
		n = warm - done < CHUNK ? (unsigned)(warm - done) : CHUNK;
		build(c, n);
		decide(&e, c, n, &clock, k, e.pending_mark, &tw, prefetch);
	}
	memset(&t, 0, sizeof(t));
	for (done = 0, j = 0; done < flows; done += n, j++) {
		n = flows - done < CHUNK ? (unsigned)(flows - done) : CHUNK;
		build(c, n);
		/* -A: every other chunk without the prefetch */
		if (alternate && (j & 1) && alt_tlb) {
			/* -T: the other chunks with a system call a batch */
			tlb_flush = true;
			ns_off += decide(&e, c, n, &clock, k, e.pending_mark,
			    &t, prefetch);
			tlb_flush = false;
			flows_off += n;
		} else if (alternate && (j & 1) && alt_names) {
			/* -N: the flow table's prefetch kept, the name
			 * sets' left out */
			pf_sets = e.l7.npf_sets;
			e.l7.npf_sets = 0;
			ns_off += decide(&e, c, n, &clock, k, e.pending_mark,
			    &t, prefetch);
			e.l7.npf_sets = pf_sets;
			flows_off += n;
		} else if (alternate && (j & 1)) {
			ns_off += decide(&e, c, n, &clock, k, e.pending_mark,
			    &t, false);
			flows_off += n;
		} else {
			ns += decide(&e, c, n, &clock, k, e.pending_mark, &t,
			    prefetch);
			flows_on += n;
		}
	}
	off_ns = flows_off > 0 ? (double)ns_off / (double)flows_off : 0;
	nfqd_engine_free(&e);
	nfqd_config_free(&cf);
	if (t.bad != 0 || tw.bad != 0) {
		fprintf(stderr, "bench_flows: %s: %llu decisions not as "
		    "expected (%llu flows, %llu listed, %llu dropped)\n",
		    confname[k], (unsigned long long)(t.bad + tw.bad),
		    (unsigned long long)t.flows,
		    (unsigned long long)t.listed,
		    (unsigned long long)t.dropped);
		return -1;
	}
	return (double)ns / (double)flows_on;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	static struct chunk	 c;
	double			 r[MAXCONF][MAXRUNS], med[MAXCONF];
	double			 ro[MAXCONF][MAXRUNS], rr[MAXCONF][MAXRUNS];
	uint64_t		 flows = 200000, warm = 65536;
	unsigned long		 rate = 20000, runs = 5;
	bool			 on[MAXCONF] = { true, true, true };
	char			*cs = NULL, *w, *save;
	const char		*off;
	unsigned		 i;
	int			 ch, k;

	while ((ch = getopt(argc, argv, "f:n:w:m:r:R:c:kS:C:g:PANT")) != -1) {
		switch (ch) {
		case 'f': listpath = optarg; break;
		case 'n': flows = strtoull(optarg, NULL, 10); break;
		case 'w': warm = strtoull(optarg, NULL, 10); break;
		case 'm': miss = strtod(optarg, NULL); break;
		case 'r': rate = strtoul(optarg, NULL, 10); break;
		case 'R': runs = strtoul(optarg, NULL, 10); break;
		case 'c': cs = optarg; break;
		case 'k': skbinfo = 0; break;
		case 'S': hello_seed = strtoull(optarg, NULL, 0); break;
		case 'C': evict_len = strtoul(optarg, NULL, 10) * 1024; break;
		case 'g': group = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'P': prefetch = false; break;
		case 'A': alternate = true; break;
		case 'N': alternate = alt_names = true; break;
		case 'T': alternate = alt_tlb = true; break;
		default: usage();
		}
	}
	if (listpath == NULL || flows == 0 || rate == 0 || runs == 0 ||
	    runs > MAXRUNS || miss < 0 || miss > 1 || hello_seed == 0 ||
	    group == 0 || group > CHUNK)
		usage();
	if (evict_len > 0 && (evict = malloc(evict_len)) == NULL) {
		fprintf(stderr, "bench_flows: out of memory\n");
		return 1;
	}
	if (cs != NULL) {
		memset(on, 0, sizeof(on));
		for (w = strtok_r(cs, ",", &save); w != NULL;
		    w = strtok_r(NULL, ",", &save)) {
			for (k = 0; k < MAXCONF; k++)
				if (strcmp(w, confname[k]) == 0)
					break;
			if (k == MAXCONF)
				usage();
			on[k] = true;
		}
	}
	step_ns = 1000000000ull / rate;
	off = alt_tlb ? "with a system call a batch" : alt_names ?
	    "without the name prefetch" : "without the prefetch";
	hello_names_read(&list, listpath);
	printf("bench_flows: %llu flows (after %llu), %lu flows/s, "
	    "%.2f made up, %zu names in %s, checksums %s, caches %s, "
	    "batches of %u flows, prefetch %s\n",
	    (unsigned long long)flows, (unsigned long long)warm, rate, miss,
	    list.n, listpath, skbinfo ? "checked" : "not checked",
	    evict != NULL ? "cold" : "warm", group, alt_tlb ?
	    "on, a system call a batch in every other chunk" : alt_names ?
	    "on, the name sets' part on and off" : alternate ? "on and off" :
	    prefetch ? "on" : "off");
	for (i = 0; i < runs; i++)
		for (k = 0; k < MAXCONF; k++) {
			if (!on[k])
				continue;
			if ((r[k][i] = run(k, warm, flows, &c)) < 0)
				return 1;
			ro[k][i] = off_ns;
			if (alternate) {
				rr[k][i] = r[k][i] / off_ns;
				printf("run %u %-5s %8.1f ns/flow, "
				    "%s %8.1f (%.3f)\n", i + 1, confname[k],
				    r[k][i], off, off_ns, rr[k][i]);
			} else
				printf("run %u %-5s %8.1f ns/flow\n", i + 1,
				    confname[k], r[k][i]);
			fflush(stdout);
		}
	for (k = 0; k < MAXCONF; k++) {
		if (!on[k])
			continue;
		qsort(r[k], runs, sizeof(double), cmp_double);
		med[k] = runs % 2 ? r[k][runs / 2] :
		    (r[k][runs / 2 - 1] + r[k][runs / 2]) / 2;
		printf("median %-5s %8.1f ns/flow (%.1f-%.1f)\n", confname[k],
		    med[k], r[k][0], r[k][runs - 1]);
		if (!alternate)
			continue;
		qsort(ro[k], runs, sizeof(double), cmp_double);
		qsort(rr[k], runs, sizeof(double), cmp_double);
		printf("median %-5s %s %8.1f ns/flow "
		    "(%.1f-%.1f); ratio, per run %.3f (%.3f-%.3f)\n",
		    confname[k], off, runs % 2 ? ro[k][runs / 2] :
		    (ro[k][runs / 2 - 1] + ro[k][runs / 2]) / 2, ro[k][0],
		    ro[k][runs - 1], runs % 2 ? rr[k][runs / 2] :
		    (rr[k][runs / 2 - 1] + rr[k][runs / 2]) / 2, rr[k][0],
		    rr[k][runs - 1]);
	}
	return 0;
}
