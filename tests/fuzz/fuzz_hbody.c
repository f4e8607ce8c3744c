/*
 * libFuzzer target for the chunked body reader (nfqd_hbody_feed()).
 *
 * Input: 4 bytes that say how to cut the rest (three cut points and
 * whether to step over chunk data), then the body's bytes.  The body is
 * read whole once, then cut at those points with the data stepped over
 * or fed, and a byte at a time; each way must give the same answer at the
 * same offset with the same why.  Also: *used never past len, MORE means
 * every byte used, DONE and BAD stay with *used 0, a BAD has a why in
 * range and a DONE none, the state stays small (no pointers to follow).
 *
 *   make fuzz; d=$(mktemp -d); cp -r tests/fuzz/corpus/hbody/. $d
 *   build/fuzz/fuzz_hbody -max_total_time=60 $d
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/hbody.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

struct out {
	int		res;
	size_t		end;
	unsigned	why;
};

/* Read b[0..n) in pieces that end at cut[0..ncut) (ascending). */
static struct out
run(const uint8_t *b, size_t n, const size_t *cut, size_t ncut, bool skip)
{
	struct nfqd_hbody	h;
	struct out		o = { NFQD_L7_MORE, n, 0 };
	size_t			i, a = 0, e, used, k;
	uint64_t		sk;
	enum nfqd_l7_res	r;

	nfqd_hbody_init(&h);
	for (i = 0; i <= ncut && a < n; i++) {
		e = i < ncut ? cut[i] : n;
		if (e < a)
			continue;
		while (a < e) {
			if (skip && (sk = nfqd_hbody_skippable(&h)) > 0) {
				k = sk < e - a ? (size_t)sk : e - a;
				nfqd_hbody_skip(&h, k);
				a += k;
				continue;
			}
			r = nfqd_hbody_feed(&h, b + a, e - a, &used);
			ASSERT(used <= e - a);
			if (r == NFQD_L7_MORE) {
				ASSERT(used == e - a);
				a = e;
				continue;
			}
			ASSERT(r == NFQD_L7_DONE || r == NFQD_L7_BAD);
			ASSERT(r == NFQD_L7_BAD ? h.why > NFQD_HBODY_R_NONE &&
			    h.why < NFQD_HBODY_R_MAX : h.why == NFQD_HBODY_R_NONE);
			ASSERT(r != NFQD_L7_DONE || used > 0);
			o.res = r;
			o.end = a + used;
			o.why = h.why;
			ASSERT(nfqd_hbody_feed(&h, b, n, &used) == r && used == 0);
			ASSERT(nfqd_hbody_skippable(&h) == 0);
			return o;
		}
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out	w, o;
	size_t		cut[3], n, i, *all;
	uint8_t		*b;

	if (size < 4)
		return 0;
	n = size - 4;
	/* Exactly n bytes: a read past them is a read past the allocation. */
	if ((b = malloc(n ? n : 1)) == NULL)
		return 0;
	memcpy(b, data + 4, n);
	w = run(b, n, NULL, 0, false);
	for (i = 0; i < 3; i++)
		cut[i] = n ? (data[i] * (n + 1) / 256) : 0;
	if (cut[1] < cut[0])
		cut[1] = cut[0];
	if (cut[2] < cut[1])
		cut[2] = cut[1];
	o = run(b, n, cut, 3, (data[3] & 1) != 0);
	ASSERT(o.res == w.res && o.end == w.end && o.why == w.why);
	o = run(b, n, NULL, 0, true);
	ASSERT(o.res == w.res && o.end == w.end && o.why == w.why);
	if (n <= 4096 && (all = malloc((n ? n : 1) * sizeof(*all))) != NULL) {
		for (i = 0; i + 1 < n; i++)
			all[i] = i + 1;
		o = run(b, n, all, n ? n - 1 : 0, (data[3] & 2) != 0);
		ASSERT(o.res == w.res && o.end == w.end && o.why == w.why);
		free(all);
	}
	free(b);
	return 0;
}
