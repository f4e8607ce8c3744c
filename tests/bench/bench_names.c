/*
 * bench_names: a name set loaded from a generated list file of N names
 * (default 1,000,000): the load time (reading the file and building), the
 * memory a name costs (proportional set size before and after, and what
 * the set says it holds), the lookup time for names in the set, for
 * subdomains of them and for names not in it, and the cost of building a
 * rule's own short list.
 *
 *   bench_names [-n NAMES] [-b BATCHES]
 *
 * Names have 2-4 labels: 1-3 random labels of 3-15 bytes from [a-z0-9-],
 * then one of 20 top-level domains; one line in 20 is "=name", one in 10 a
 * hosts-file line ("0.0.0.0 name", or "127.0.0.1" and two names), one in
 * 1000 a comment.  The file is written under /tmp and removed.  Lookups
 * are timed in batches of 1000 (CLOCK_MONOTONIC around each batch) over
 * queries in random order, and the median batch is reported.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/l7/names.h"

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

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/self/smaps_rollup ("Pss", "AnonHugePages") in bytes. */
static size_t
rollup(const char *field)
{
	char		line[256];
	unsigned long	kb = 0;
	size_t		n = strlen(field);
	FILE		*fp;

	if ((fp = fopen("/proc/self/smaps_rollup", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kb = strtoul(line + n + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return (size_t)kb << 10;
}

static size_t
pss(void)
{
	return rollup("Pss");
}

/* Names, one after another, NUL-terminated. */
struct pool {
	char	*buf;
	size_t	 used, cap;
	size_t	*at;		/* where name i starts */
	uint8_t	*exact;		/* name i was added as "=name" */
	size_t	 n;
};

static void
pool_init(struct pool *p, size_t n)
{
	p->cap = n * 40 + 64;
	p->buf = malloc(p->cap);
	p->at = malloc(n * sizeof(*p->at));
	p->exact = calloc(n, 1);
	p->used = p->n = 0;
	if (p->buf == NULL || p->at == NULL || p->exact == NULL) {
		fprintf(stderr, "bench_names: out of memory\n");
		exit(1);
	}
}

static const char *
pool_get(const struct pool *p, size_t i)
{
	return p->buf + p->at[i];
}

static void
pool_add(struct pool *p, const char *prefix, const char *name)
{
	p->at[p->n++] = p->used;
	p->used += (size_t)sprintf(p->buf + p->used, "%s%s", prefix, name) +
	    1;
}

static size_t
random_label(char *buf)
{
	static const char	chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	size_t			n = 3 + rnd() % 13, i;

	for (i = 0; i < n; i++)
		buf[i] = chars[rnd() % (sizeof(chars) - 1)];
	return n;
}

static void
random_name(char *buf)
{
	static const char *const tld[] = {
		"com", "net", "org", "io", "de", "uk", "ru", "cn", "info",
		"xyz", "top", "fr", "jp", "br", "it", "nl", "co", "us", "eu",
		"online",
	};
	size_t		n = 0;
	unsigned	labels = 1 + rnd() % 3, i;

	for (i = 0; i < labels; i++) {
		n += random_label(buf + n);
		buf[n++] = '.';
	}
	strcpy(buf + n, tld[rnd() % 20]);
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median ns per lookup over batches of BATCH queries from q. */
static double
time_lookups(const struct nfqd_names *s, const struct pool *q,
    size_t batches, size_t *matched)
{
	double		*per = malloc(batches * sizeof(*per)), t0, m;
	size_t		 b, i, k = 0, len[BATCH];
	const char	*name[BATCH];
	int		 hits = 0;

	for (b = 0; b < batches; b++) {
		/* The lengths are the caller's (the parser's), not timed. */
		for (i = 0; i < BATCH; i++, k++) {
			name[i] = pool_get(q, k % q->n);
			len[i] = strlen(name[i]);
		}
		t0 = now();
		for (i = 0; i < BATCH; i++)
			hits += nfqd_names_match(s, name[i], len[i]);
		per[b] = (now() - t0) * 1e9 / BATCH;
	}
	*matched = (size_t)hits;
	qsort(per, batches, sizeof(*per), cmp);
	m = per[batches / 2];
	free(per);
	return m;
}

/* A rule's own list: 10 names built (and freed) again and again. */
static void
rule_lists(void)
{
	static const char *const names[] = {
		"example.com", "=foo.org", "ads.example.net", "tracker.io",
		"=login.example.com", "cdn.example.org", "a.b.c.example.de",
		"x.y", "metrics.example.co", "telemetry.example.eu",
	};
	enum { ROUNDS = 100000 };
	struct nfqd_names_builder	*b;
	struct nfqd_names		*s;
	char				 err[128];
	double				 t0, t;
	size_t				 r, i, hits = 0;

	t0 = now();
	for (r = 0; r < ROUNDS; r++) {
		b = nfqd_names_builder_new();
		for (i = 0; i < 10; i++)
			nfqd_names_add(b, names[i], strlen(names[i]), err,
			    sizeof(err));
		s = nfqd_names_build(b);
		hits += nfqd_names_match(s, "www.example.com", 15);
		nfqd_names_free(s);
	}
	t = now() - t0;
	printf("rule list: 10 names built, one lookup, freed: %.0f ns each "
	    "(%u rounds, %zu hits)\n", t * 1e9 / ROUNDS, ROUNDS, hits);
}

int
main(int argc, char *argv[])
{
	struct nfqd_names_builder	*b;
	struct nfqd_names		*s;
	struct pool			 names, qhit, qsub, qmiss;
	char				 path[] = "/tmp/nfqd-bench-names.XXXXXX";
	char				 name[128], err[512];
	size_t				 n = 1000000, batches = 1000, i, k, hit;
	size_t				 p0, p1, bytes, count;
	double				 t0, load;
	FILE				*fp;
	int				 fd, ch;

	while ((ch = getopt(argc, argv, "n:b:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batches = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: bench_names [-n NAMES] "
			    "[-b BATCHES]\n");
			return 2;
		}
	}
	if (n < 10 || batches < 1)
		return 2;

	/* The list, and the names it holds in the order written. */
	pool_init(&names, n);
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		perror("bench_names: mkstemp");
		return 1;
	}
	fprintf(fp, "# generated by bench_names: %zu names\n", n);
	for (i = 0; i < n; i++) {
		random_name(name);
		k = rnd() % 20;
		if (k == 0) {
			fprintf(fp, "=%s\n", name);
			names.exact[names.n] = 1;
		} else if (k == 1) {
			fprintf(fp, "0.0.0.0 %s\n", name);
		} else if (k == 2 && i + 1 < n) {
			pool_add(&names, "", name);
			fprintf(fp, "127.0.0.1 %s ", name);
			random_name(name);
			fprintf(fp, "%s   # two\n", name);
			i++;
		} else {
			fprintf(fp, "%s\n", name);
		}
		pool_add(&names, "", name);
		if (i % 1000 == 999)
			fprintf(fp, "# a comment every 1000 lines\n");
	}
	if (fclose(fp) != 0) {
		perror("bench_names: write");
		unlink(path);
		return 1;
	}

	/* Queries in random order: names of the list; subdomains of its
	 * names (not of "=" ones); names not in it. */
	pool_init(&qhit, n);
	pool_init(&qsub, n);
	pool_init(&qmiss, n);
	for (i = 0; i < n; i++) {
		k = rnd() % n;
		pool_add(&qhit, "", pool_get(&names, k));
		while (names.exact[k])
			k = rnd() % n;
		pool_add(&qsub, i % 2 ? "www." : "a1-b2.cdn.",
		    pool_get(&names, k));
		random_name(name);
		pool_add(&qmiss, "q", name);
	}

	p0 = pss();
	t0 = now();
	b = nfqd_names_builder_new();
	if (b == NULL || nfqd_names_add_file(b, path, NULL,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "bench_names: %s\n", err);
		unlink(path);
		return 1;
	}
	if ((s = nfqd_names_build(b)) == NULL) {
		fprintf(stderr, "bench_names: build: out of memory\n");
		unlink(path);
		return 1;
	}
	load = now() - t0;
	p1 = pss();
	unlink(path);
	count = nfqd_names_count(s);
	bytes = nfqd_names_bytes(s);

	printf("names: %zu in the file, %zu distinct in the set\n", n, count);
	printf("load: %.3f s (read %s and build)\n", load, path);
	printf("memory: %.1f bytes/name PSS delta (%zu KiB), %.1f "
	    "bytes/name held (nfqd_names_bytes %zu KiB); %zu KiB of the "
	    "process in huge pages\n",
	    (double)(p1 - p0) / (double)count, (p1 - p0) >> 10,
	    (double)bytes / (double)count, bytes >> 10,
	    rollup("AnonHugePages") >> 10);
	printf("lookup median, ns (batches of %d, %zu batches):\n", BATCH,
	    batches);
	printf("  hit, name in the set:    %6.1f", time_lookups(s, &qhit,
	    batches, &hit));
	printf("   (%zu of %zu matched)\n", hit, batches * BATCH);
	printf("  hit, subdomain of one:   %6.1f", time_lookups(s, &qsub,
	    batches, &hit));
	printf("   (%zu of %zu matched)\n", hit, batches * BATCH);
	printf("  miss:                    %6.1f", time_lookups(s, &qmiss,
	    batches, &hit));
	printf("   (%zu of %zu matched)\n", hit, batches * BATCH);
	p0 = pss();
	nfqd_names_free(s);
	p1 = pss();
	printf("free: PSS %zu KiB -> %zu KiB\n", p0 >> 10, p1 >> 10);
	rule_lists();
	return 0;
}
