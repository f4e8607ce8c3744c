/*
 * bench_quic: what nfqd's QUIC Initial reader (src/l7/quic.c and
 * quickeys.c) costs per new connection, in process: the keys derived
 * from the DCID (HKDF: extract and four expands), header protection
 * removed (AES-128-ECB), the payload decrypted (AES-128-GCM), the CRYPTO
 * frames put together and the ClientHello parsed.
 *
 *   bench_quic [-n CONNS] [-R RUNS] [-S SEED]
 *
 * CONNS connections (10,000) with distinct random connection IDs are
 * built first by tests/tools/qinitial.c (quicgen's code), in two shapes:
 *   one   a classic hello (about 300 bytes) whole in one Initial, its
 *         datagram padded to 1,200 bytes
 *   pq2   a post-quantum hello (about 1.4 KB) in two Initials, one a
 *         datagram (as Chrome sends it), in order
 * and then read, each connection fresh (a zeroed connection, a buffer
 * from the pool), RUNS times (5), taking turns.  Also timed alone: the
 * key derivation (nfqd_quic_keys()).  CLOCK_MONOTONIC around each pass
 * over all connections; prints ns per connection and per Initial for
 * every run, and the medians.  Every read must end DONE with the name it
 * was built with, or the run says so and the program exits 1.  Run it
 * pinned (taskset -c 1) on an idle CPU.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/l7/quic.h"
#include "nfqd/l7/reasm.h"
#include "../tools/qinitial.h"

#define MAXRUNS		64

enum shape { S_ONE, S_PQ2, S_KEYS, S_MAX };
static const char *const shape_name[S_MAX] = { "one", "pq2", "keys" };

/* A connection's datagrams, back to back. */
struct conn {
	uint8_t		*buf;
	size_t		 len[2];
	unsigned	 n;
	uint8_t		 dcid[8];
};

static struct conn	*conns[2];
static unsigned		 nconns = 10000;
static struct nfqd_quic	*q;
static struct nfqd_reasm_pool *pool;

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_quic [-n CONNS] [-R RUNS] [-S SEED]\n");
	exit(2);
}

static void
build(struct qi_ctx *x, enum shape sh)
{
	static struct qi_flight	 f;
	struct qi_spec		 s;
	char			 err[160];
	unsigned		 i, d;
	size_t			 off;

	if ((conns[sh] = calloc(nconns, sizeof(struct conn))) == NULL) {
		perror("bench_quic: calloc");
		exit(1);
	}
	for (i = 0; i < nconns; i++) {
		struct conn *c = &conns[sh][i];

		memset(&s, 0, sizeof(s));
		s.version = QI_V1;
		s.sni = "www.example.com";
		s.alpn = "h3";
		s.pq = sh == S_PQ2;
		s.pieces = sh == S_PQ2 ? 2 : 1;
		s.dcid_len = 8;
		s.scid_len = 8;
		qi_random(s.dcid, 8);
		qi_random(s.scid, 8);
		memcpy(c->dcid, s.dcid, 8);
		if (qi_build(x, &s, &f, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_quic: %s\n", err);
			exit(1);
		}
		if ((c->buf = malloc(f.dgram_len[0] + (f.ndgrams > 1 ?
		    f.dgram_len[1] : 0))) == NULL) {
			perror("bench_quic: malloc");
			exit(1);
		}
		for (off = 0, d = 0; d < f.ndgrams; d++) {
			memcpy(c->buf + off, f.dgram[d], f.dgram_len[d]);
			c->len[d] = f.dgram_len[d];
			off += f.dgram_len[d];
		}
		c->n = f.ndgrams;
	}
}

/* One pass over every connection of shape sh: ns, and reads that failed. */
static uint64_t
pass(enum shape sh, unsigned *bad)
{
	struct nfqd_quic_conn	 c;
	struct nfqd_quic_keys	 k;
	struct nfqd_quic_out	 out;
	struct nfqd_reasm	*ra;
	enum nfqd_l7_res	 r = NFQD_L7_MORE;
	uint64_t		 t0, t;
	unsigned		 i, d;
	size_t			 off;

	*bad = 0;
	t0 = now_ns();
	for (i = 0; i < nconns; i++) {
		const struct conn *cn = &conns[sh == S_KEYS ? S_ONE : sh][i];

		if (sh == S_KEYS) {
			if (nfqd_quic_keys(q, NFQD_QUIC_V1, cn->dcid, 8, &k,
			    NULL) != 0)
				(*bad)++;
			continue;
		}
		memset(&c, 0, sizeof(c));
		ra = nfqd_reasm_get(pool, 0);
		for (off = 0, d = 0; d < cn->n; d++) {
			r = nfqd_quic_client(q, &c, ra, cn->buf + off,
			    cn->len[d], &out);
			off += cn->len[d];
		}
		if (r != NFQD_L7_DONE || out.hello.sni_len != 15)
			(*bad)++;
		nfqd_reasm_put(pool, ra);
	}
	t = now_ns() - t0;
	return t;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char *argv[])
{
	static double	 per[S_MAX][MAXRUNS];
	struct qi_ctx	*x;
	unsigned long	 runs = 5;
	uint64_t	 seed = 0x9e3779b97f4a7c15ull, t;
	unsigned	 r, sh, bad, failed = 0;
	int		 ch;

	while ((ch = getopt(argc, argv, "n:R:S:")) != -1) {
		switch (ch) {
		case 'n': nconns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'R': runs = strtoul(optarg, NULL, 10); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (nconns == 0 || nconns > 1000000 || runs == 0 || runs > MAXRUNS)
		usage();
	qi_seed(seed);
	if ((x = qi_ctx_new()) == NULL || (q = nfqd_quic_new()) == NULL ||
	    (pool = nfqd_reasm_pool_new(4)) == NULL) {
		fprintf(stderr, "bench_quic: libcrypto or memory\n");
		return 1;
	}
	build(x, S_ONE);
	build(x, S_PQ2);
	qi_ctx_free(x);
	printf("bench_quic: %u connections of each shape; one: %zu-byte "
	    "datagram, pq2: %zu + %zu\n", nconns, conns[S_ONE][0].len[0],
	    conns[S_PQ2][0].len[0], conns[S_PQ2][0].len[1]);
	for (sh = 0; sh < S_MAX; sh++)
		pass((enum shape)sh, &bad);	/* warm the code */
	for (r = 0; r < runs; r++) {
		for (sh = 0; sh < S_MAX; sh++) {
			t = pass((enum shape)sh, &bad);
			per[sh][r] = (double)t / nconns;
			printf("run %u %s %.0f ns a connection", r + 1,
			    shape_name[sh], per[sh][r]);
			if (sh == S_PQ2)
				printf(", %.0f an Initial", per[sh][r] / 2);
			if (bad != 0) {
				printf(" (%u reads failed)", bad);
				failed++;
			}
			printf("\n");
		}
	}
	for (sh = 0; sh < S_MAX; sh++) {
		double m = median(per[sh], (unsigned)runs);

		printf("median %s %.0f ns a connection, %.0f an Initial "
		    "(%lu runs)\n", shape_name[sh], m,
		    sh == S_PQ2 ? m / 2 : m, runs);
	}
	nfqd_reasm_pool_free(pool);
	nfqd_quic_free(q);
	for (sh = 0; sh < 2; sh++) {
		for (r = 0; r < nconns; r++)
			free(conns[sh][r].buf);
		free(conns[sh]);
	}
	return failed != 0;
}
