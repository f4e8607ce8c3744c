/*
 * bench_classify: CPU time per packet of the rule classifier alone, for
 * rule sets of different sizes, against the linear walk over the same
 * rules.  Rules are keyed on distinct prefixes, ports and protocols in four
 * shapes (destination /24 + protocol + port, source /16 + protocol,
 * destination /32 + protocol + port, protocol + port); half the packets
 * match a rule, half match none (the worst case for a linear walk).
 *
 *   bench_classify [-r RUNS] [-n LOOKUPS] [SIZE ...]   (default 10 1000 100000)
 *
 * Sizes are measured in turn, RUNS rounds, and the median of the rounds is
 * reported (CLOCK_PROCESS_CPUTIME_ID, so other load on the machine only
 * adds noise, not bias).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/classify.h"
#include "nfqd/config.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"

#define MAXSIZES	8
#define MAXRUNS		31

static uint64_t	seed = 88172645463325252ull;

static uint32_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)seed;
}

static double
cpu_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Rule i of a set: one of four shapes, keys distinct across the set. */
static void
write_rule(FILE *fp, unsigned i)
{
	unsigned	a = i >> 8 & 0xff, b = i & 0xff;
	const char	*proto = i & 1 ? "udp" : "tcp";

	switch (i % 4) {
	case 0:
		fprintf(fp, "{ name = \"r%u\"; dst = \"10.%u.%u.0/24\"; "
		    "proto = \"%s\"; dst_port = %u; verdict = \"drop\"; }",
		    i, a, b, proto, 1000 + i % 50000);
		break;
	case 1:
		fprintf(fp, "{ name = \"r%u\"; src = \"172.%u.0.0/16\"; "
		    "proto = \"%s\"; verdict = \"drop\"; }", i,
		    16 + (i / 4) % 16, proto);
		break;
	case 2:
		fprintf(fp, "{ name = \"r%u\"; dst = \"192.%u.%u.%u/32\"; "
		    "proto = \"%s\"; dst_port = %u; verdict = \"drop\"; }",
		    i, 168 + (i >> 16 & 7), a, b, proto, 2000 + i % 40000);
		break;
	default:
		fprintf(fp, "{ name = \"r%u\"; proto = \"%s\"; dst_port = %u; "
		    "verdict = \"drop\"; }", i, proto, 50000 + i % 15000);
		break;
	}
}

static void
quiet(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

/* Packets: the fields a rule looks at, half of them matching rule k. */
static void
make_pkt(struct nfqd_pkt *pi, unsigned nrules)
{
	unsigned	k = rnd() % nrules, a = k >> 8 & 0xff, b = k & 0xff;
	int		hit = rnd() & 1;

	memset(pi, 0, sizeof(*pi));
	pi->family = AF_INET;
	pi->flags = NFQD_PKT_F_PORTS;
	/* What the parser determines of a whole TCP or UDP packet: a field
	 * not known is one no rule can match on. */
	pi->known = NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS | NFQD_PKT_K_PROTO |
	    NFQD_PKT_K_PORTS | NFQD_PKT_K_TCPFLAGS | NFQD_PKT_K_ICMP;
	pi->proto = k & 1 ? 17 : 6;
	pi->sport = (uint16_t)(1024 + rnd() % 60000);
	pi->len = 100;
	/* Not-matching packets come from and go to unused space. */
	pi->saddr[0] = 198;
	pi->saddr[1] = 18;
	pi->saddr[2] = (uint8_t)rnd();
	pi->saddr[3] = (uint8_t)rnd();
	pi->daddr[0] = 198;
	pi->daddr[1] = 19;
	pi->daddr[2] = (uint8_t)rnd();
	pi->daddr[3] = (uint8_t)rnd();
	pi->dport = (uint16_t)(rnd() % 900);
	if (!hit)
		return;
	switch (k % 4) {
	case 0:
		pi->daddr[0] = 10;
		pi->daddr[1] = (uint8_t)a;
		pi->daddr[2] = (uint8_t)b;
		pi->dport = (uint16_t)(1000 + k % 50000);
		break;
	case 1:
		pi->saddr[0] = 172;
		pi->saddr[1] = (uint8_t)(16 + (k / 4) % 16);
		break;
	case 2:
		pi->daddr[0] = 192;
		pi->daddr[1] = (uint8_t)(168 + (k >> 16 & 7));
		pi->daddr[2] = (uint8_t)a;
		pi->daddr[3] = (uint8_t)b;
		pi->dport = (uint16_t)(2000 + k % 40000);
		break;
	default:
		pi->dport = (uint16_t)(50000 + k % 15000);
		break;
	}
}

struct set {
	unsigned		 n;
	struct nfqd_config	 cf;
	struct nfqd_pkt	*pkts;
	unsigned		 npkts;
	double			 cls[MAXRUNS];
	double			 lin[MAXRUNS];
	unsigned		 matched;
};

static int
load(struct set *s, unsigned npkts)
{
	char		 path[] = "/tmp/nfqd-bench.XXXXXX";
	FILE		*fp;
	unsigned	 i;
	int		 fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		return -1;
	fprintf(fp, "queue: { balance = \"0:0\"; };\nrules = (\n");
	for (i = 0; i < s->n; i++) {
		write_rule(fp, i);
		fprintf(fp, "%s\n", i + 1 < s->n ? "," : "");
	}
	fprintf(fp, ");\n");
	fclose(fp);
	i = (unsigned)nfqd_config_load(&s->cf, path, NULL, quiet, NULL);
	unlink(path);
	if (i != 0)
		return -1;
	s->npkts = npkts;
	if ((s->pkts = calloc(npkts, sizeof(*s->pkts))) == NULL)
		return -1;
	for (i = 0; i < npkts; i++)
		make_pkt(&s->pkts[i], s->n);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char *argv[])
{
	static struct set	 sets[MAXSIZES];
	struct nfqd_qmsg		 m;
	unsigned		 nsets = 0, runs = 7, lookups = 2000000, r, i, k;
	unsigned		 linear_max;
	double			 t0, base = 0;
	volatile int		 sink = 0;
	int			 ch;

	while ((ch = getopt(argc, argv, "r:n:")) != -1) {
		switch (ch) {
		case 'r':
			runs = (unsigned)atoi(optarg);
			break;
		case 'n':
			lookups = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_classify [-r RUNS] "
			    "[-n LOOKUPS] [SIZE ...]\n");
			return 2;
		}
	}
	if (runs == 0 || runs > MAXRUNS || lookups < 1000)
		return 2;
	for (i = (unsigned)optind; i < (unsigned)argc && nsets < MAXSIZES; i++)
		sets[nsets++].n = (unsigned)strtoul(argv[i], NULL, 10);
	if (nsets == 0) {
		sets[0].n = 10;
		sets[1].n = 1000;
		sets[2].n = 100000;
		nsets = 3;
	}
	memset(&m, 0, sizeof(m));
	for (k = 0; k < nsets; k++) {
		if (load(&sets[k], 65536) == -1) {
			fprintf(stderr, "bench_classify: cannot load %u rules\n",
			    sets[k].n);
			return 1;
		}
		for (i = 0; i < sets[k].npkts; i++)
			sets[k].matched += nfqd_classify_next(sets[k].cf.rules,
			    &sets[k].pkts[i], &m, NULL, 0) >= 0;
		/* Half the packets are made to match: were it far from that,
		 * the figures would be of some other lookup. */
		if (sets[k].matched < sets[k].npkts * 2 / 5 ||
		    sets[k].matched > sets[k].npkts * 3 / 5) {
			fprintf(stderr, "bench_classify: %u rules: %u of %u "
			    "packets matched, not about half\n", sets[k].n,
			    sets[k].matched, sets[k].npkts);
			return 1;
		}
	}
	/* Rounds: every size in turn, so drift hits them all alike. */
	for (r = 0; r < runs; r++) {
		for (k = 0; k < nsets; k++) {
			struct set *s = &sets[k];

			t0 = cpu_ns();
			for (i = 0; i < lookups; i++)
				sink += nfqd_classify_next(s->cf.rules,
				    &s->pkts[i & (s->npkts - 1)], &m, NULL, 0);
			s->cls[r] = (cpu_ns() - t0) / lookups;
			/* The linear walk is slow on big sets: fewer. */
			linear_max = s->n > 1000 ? lookups / 1000 :
			    s->n > 100 ? lookups / 20 : lookups;
			t0 = cpu_ns();
			for (i = 0; i < linear_max; i++)
				sink += nfqd_linear_next(s->cf.rules,
				    &s->pkts[i & (s->npkts - 1)], &m, NULL, 0);
			s->lin[r] = (cpu_ns() - t0) / linear_max;
		}
	}
	printf("%10s %8s %9s %14s %14s %10s\n", "rules", "tuples", "matched",
	    "classifier_ns", "linear_ns", "vs_first");
	for (k = 0; k < nsets; k++) {
		struct set	*s = &sets[k];
		double		 c = median(s->cls, runs);

		if (k == 0)
			base = c;
		printf("%10u %8u %8.1f%% %14.1f %14.1f %9.2fx\n", s->n,
		    nfqd_classify_tuples(s->cf.rules->cls),
		    100.0 * s->matched / s->npkts, c, median(s->lin, runs),
		    c / base);
	}
	printf("# median of %u rounds, %u lookups per size and round; CPU "
	    "time (CLOCK_PROCESS_CPUTIME_ID)\n", runs, lookups);
	return sink == 42 ? 0 : 0;
}
