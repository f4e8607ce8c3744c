/*
 * bench_dnslearn: dns_learn's table (src/l7/dnslearn.c) with N entries
 * (default 1,000,000): the mapping's size and the memory the filled table
 * costs (proportional set size before and after), the insert rate, and
 * the time of a lookup (nfqd_dnsl_lookup(), what dst_name costs a packet)
 * for addresses in the table and for addresses not in it.
 *
 *   bench_dnslearn [-n ENTRIES] [-b BATCHES]
 *
 * Entries are random IPv4 addresses, one name each ("hNNNNNNN.example.com",
 * 20 bytes), one address in 10 with a second name; the table is sized
 * for N + N/4 (max_entries), since buckets fill unevenly: a table sized
 * for exactly N keeps about 85% of N distinct entries, the rest evicted.  Lookups are timed in batches of 1000
 * (the thread's CPU time, CLOCK_THREAD_CPUTIME_ID, around each batch)
 * over addresses in random order, and the median batch is reported per
 * lookup.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/l7/dnslearn.h"

#define BATCH	1000

static uint64_t	seed = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed >> 16);
}

/* The thread's CPU time: a batch the scheduler interrupts is not
   charged for the time another process ran (the machine is shared). */
static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
pss(void)
{
	char		line[256];
	unsigned long	kb = 0;
	FILE		*fp;

	if ((fp = fopen("/proc/self/smaps_rollup", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "Pss:", 4) == 0) {
			kb = strtoul(line + 4, NULL, 10);
			break;
		}
	fclose(fp);
	return (size_t)kb << 10;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per lookup over batches of the addresses in addr[]. */
static double
time_lookups(struct nfqd_dnsl *d, const uint32_t *addr, size_t n,
    unsigned batches, uint32_t t, unsigned *found)
{
	struct nfqd_dnames	 dn;
	double			*ns = calloc(batches, sizeof(double)), t0, med;
	size_t			 i, k = 0;
	unsigned		 b;
	uint8_t			 a[4];

	if (ns == NULL)
		exit(1);
	*found = 0;
	for (b = 0; b < batches; b++) {
		t0 = now();
		for (i = 0; i < BATCH; i++, k = (k + 1) % n) {
			memcpy(a, &addr[k], 4);
			*found += nfqd_dnsl_lookup(d, AF_INET, a, t, &dn) > 0;
		}
		ns[b] = (now() - t0) * 1e9 / BATCH;
	}
	qsort(ns, batches, sizeof(double), cmp_double);
	med = ns[batches / 2];
	free(ns);
	return med;
}

int
main(int argc, char **argv)
{
	struct nfqd_dnsl_tab	*tab;
	struct nfqd_dnsl	 d;
	uint32_t		 n = 1000000, *in, *out, i, j, x;
	unsigned		 batches = 2000, found;
	size_t			 before, after;
	char			 name[32];
	double			 t0, ins, hit, miss;
	int			 c;

	while ((c = getopt(argc, argv, "n:b:")) != -1) {
		switch (c) {
		case 'n':
			n = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batches = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: bench_dnslearn [-n ENTRIES] "
			    "[-b BATCHES]\n");
			return 2;
		}
	}
	if (batches == 0 || n < NFQD_DNSL_MIN_ENTRIES)
		return 2;
	in = calloc(n, sizeof(*in));
	out = calloc(n, sizeof(*out));
	if (in == NULL || out == NULL)
		return 1;
	/* Addresses in (odd) and not in (even) the table. */
	for (i = 0; i < n; i++) {
		in[i] = rnd() | 1;
		out[i] = rnd() & ~1u;
	}
	before = pss();
	if ((tab = nfqd_dnsl_create(n + n / 4, 0x1234567)) == NULL) {
		perror("nfqd_dnsl_create");
		return 1;
	}
	nfqd_dnsl_init(&d, tab, 60, 86400, 1);
	t0 = now();
	for (i = j = 0; j < n; i++) {
		x = in[i % n];
		snprintf(name, sizeof(name), "h%07u.example.com", i % 10000000);
		nfqd_dnsl_learn(&d, AF_INET, (uint8_t *)&x, name, strlen(name),
		    3600, 1000, false);
		j++;
		if (i % 10 == 0 && j < n) {
			name[0] = 'g';
			nfqd_dnsl_learn(&d, AF_INET, (uint8_t *)&x, name,
			    strlen(name), 3600, 1000, false);
			j++;
		}
	}
	ins = (now() - t0) * 1e9 / n;
	after = pss();
	printf("bench_dnslearn: %u entries learned (%llu in the table, %llu "
	    "evicted), table of %llu entries: %zu bytes mapped (%.0f bytes an "
	    "entry), %.1f MiB resident (PSS grew %zu bytes, %.0f an entry)\n",
	    n, (unsigned long long)nfqd_dnsl_entries(tab),
	    (unsigned long long)d.c.evictions,
	    (unsigned long long)nfqd_dnsl_capacity(tab), nfqd_dnsl_mapped(tab),
	    (double)nfqd_dnsl_mapped(tab) / n, (double)(after - before) /
	    1048576.0, after - before, (double)(after - before) / n);
	printf("insert: %.0f ns an entry (median of one run)\n", ins);
	hit = time_lookups(&d, in, i < n ? i : n, batches, 1001, &found);
	printf("lookup, address in the table: %.1f ns median (%u batches of "
	    "%d, %u found)\n", hit, batches, BATCH, found);
	miss = time_lookups(&d, out, n, batches, 1001, &found);
	printf("lookup, address not in it: %.1f ns median (%u batches of %d, "
	    "%u found)\n", miss, batches, BATCH, found);
	nfqd_dnsl_destroy(tab);
	free(in);
	free(out);
	return 0;
}
