/*
 * libFuzzer target for nfqd_tls_hello_parse(): the input is the client's
 * stream from its first byte.
 *
 * Beyond "no crash", it asserts what the header promises: the result and
 * its reason agree; a DONE hello's fields are consistent (the name is in
 * its normal form, the ALPN list well-formed, used within len and 16 KiB);
 * and the answers for prefixes of the input agree with the answer for the
 * whole: once a prefix is not MORE, every longer one gives the same answer
 * and fields, a prefix of a DONE hello shorter than used is MORE, and a
 * MORE with at least one byte never turns NOT.  A DONE hello's JA4 inputs
 * hold no GREASE and agree with its ALPN list, and its fingerprint is
 * well-formed and says the counts, or is refused when a list was cut.
 * The server name peek (nfqd_tls_sni_peek) of the same bytes gives a
 * name within them, and on a DONE hello that hello's name.  The three
 * readers (with JA4, without, and of a bare handshake message, as QUIC's
 * CRYPTO stream holds it) give what the parser before in-place reading
 * gave (tests/unit/tls_ref.h): the same answer and the same bytes.
 * Prefixes are copied to
 * buffers of exactly their size, so a read past len is a read past the
 * allocation.
 *
 *   make fuzz
 *   d=$(mktemp -d); cp -r tests/fuzz/corpus/tls/. $d
 *   build/fuzz/fuzz_tls -max_total_time=60 -rss_limit_mb=2048 $d
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/ja4.h"
#include "nfqd/l7/tls.h"
#include "../unit/tls_ref.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

struct guarded {
	uint8_t			before[32];
	struct nfqd_tls_hello	h;
	uint8_t			after[32];
};

static bool
all(const uint8_t *p, size_t n, uint8_t v)
{
	while (n-- > 0)
		if (*p++ != v)
			return false;
	return true;
}

/* buf[0..n) parsed from a copy of exactly n bytes, into a junk struct. */
static enum nfqd_l7_res
parse_copy(const uint8_t *buf, size_t n, struct guarded *g, uint8_t junk)
{
	enum nfqd_l7_res	 r;
	uint8_t			*b;

	if ((b = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(b, buf, n);
	memset(g, junk, sizeof(*g));
	r = nfqd_tls_hello_parse(b, n, &g->h);
	free(b);
	ASSERT(all(g->before, sizeof(g->before), junk));
	ASSERT(all(g->after, sizeof(g->after), junk));
	return r;
}

static void	check_ja4(const struct nfqd_tls_hello *);

static void
check_done(const struct nfqd_tls_hello *h, size_t len)
{
	char	norm[NFQD_L7_NAME_MAX + 1];
	size_t	i, n;

	ASSERT(h->used <= len && h->used <= NFQD_TLS_HELLO_MAX);
	/* A record header, a handshake header and the smallest body. */
	ASSERT(h->used >= 5 + 4 + 2 + 32 + 1 + 2 + 2 + 1 + 1);
	ASSERT(h->why == NFQD_TLS_R_NONE);
	/* The record the hello ends in ends with it or after, within 2^14. */
	ASSERT(h->rec_end >= h->used && h->rec_end - h->used < 16384);
	ASSERT(*(const uint8_t *)&h->tls13 <= 1);
	ASSERT(*(const uint8_t *)&h->early <= 1);
	ASSERT(h->version >= 0x0300 && h->version <= 0x0304);
	ASSERT(h->sni_len <= NFQD_L7_NAME_MAX);
	ASSERT(memchr(h->sni, '\0', sizeof(h->sni)) != NULL);
	ASSERT(strlen(h->sni) == h->sni_len);
	if (h->sni_len > 0) {
		/* The normal form is a fixed point of normalizing. */
		ASSERT(nfqd_l7_name_norm(norm, (const uint8_t *)h->sni,
		    h->sni_len) == (int)h->sni_len);
		ASSERT(strcmp(norm, h->sni) == 0);
		ASSERT(h->sni[h->sni_len - 1] != '.');
		/* A DNS name: no port, path or brackets (RFC 6066 3). */
		ASSERT(strpbrk(h->sni, ":/\\[]") == NULL);
	}
	ASSERT(h->alpn_len <= NFQD_TLS_ALPN_MAX);
	ASSERT(all(h->alpn + h->alpn_len, NFQD_TLS_ALPN_MAX - h->alpn_len, 0));
	for (i = 0; i < h->alpn_len; i += 1 + n) {
		n = h->alpn[i];
		ASSERT(n >= 1 && n <= h->alpn_len - i - 1);
		ASSERT(nfqd_tls_alpn_has(h, (const char *)h->alpn + i + 1,
		    n) == 1);
	}
	ASSERT(i == h->alpn_len);
	ASSERT(nfqd_tls_alpn_has(h, "", 0) == 0);
	ASSERT(*(const uint8_t *)&h->alpn_cut <= 1);
	ASSERT(*(const uint8_t *)&h->ech <= 1);
	check_ja4(h);
}

static bool
grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && v >> 8 == (v & 0xff);
}

static unsigned
two(const char *p)
{
	return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

static void
check_ja4(const struct nfqd_tls_hello *h)
{
	const struct nfqd_tls_ja4in *j = &h->ja4;
	char	fp[NFQD_JA4_LEN + 1];
	size_t	i;
	int	r;

	/* No lower bound: cipher_suites may hold only GREASE values,
	   which JA4 leaves out (0 ciphers, JA4_b "000000000000"). */
	ASSERT(j->nciphers <= NFQD_TLS_JA4_CIPHERS);
	ASSERT(j->nexts <= NFQD_TLS_JA4_EXTS);
	ASSERT(j->nsigalgs <= NFQD_TLS_JA4_SIGALGS);
	for (i = 0; i < j->nciphers; i++)
		ASSERT(!grease(j->ciphers[i]));
	for (i = 0; i < j->nexts; i++)
		ASSERT(!grease(j->exts[i]));
	for (i = 0; i < j->nsigalgs; i++)
		ASSERT(!grease(j->sigalgs[i]));
	ASSERT(j->version == 0 || !grease(j->version));
	ASSERT(*(const uint8_t *)&j->alpn <= 1 &&
	    *(const uint8_t *)&j->sni <= 1 && *(const uint8_t *)&j->cut <= 1);
	if (h->alpn_len > 0)
		ASSERT(j->alpn && j->alpn_first == h->alpn[1] &&
		    j->alpn_last == h->alpn[h->alpn[0]]);
	if (!j->alpn)
		ASSERT(h->alpn_len == 0 && !h->alpn_cut);
	if (h->sni_len > 0)
		ASSERT(j->sni);
	memset(fp, 'x', sizeof(fp));
	r = nfqd_ja4(h, NFQD_JA4_QUIC, fp);
	if (j->cut) {
		ASSERT(r == -1 && fp[0] == '\0');
		return;
	}
	ASSERT(r == 0 && fp[NFQD_JA4_LEN] == '\0');
	ASSERT(nfqd_ja4_valid(fp, strlen(fp)) && fp[0] == 'q');
	ASSERT(fp[3] == (j->sni ? 'd' : 'i'));
	ASSERT(two(fp + 4) == (j->nciphers > 99 ? 99 : j->nciphers));
	ASSERT(two(fp + 6) == (j->nexts > 99 ? 99 : j->nexts));
	ASSERT(j->nciphers > 0 || memcmp(fp + 11, "000000000000", 12) == 0);
	ASSERT(!j->alpn ? memcmp(fp + 8, "00", 2) == 0 : true);
}

static void
check_result(enum nfqd_l7_res r, const struct nfqd_tls_hello *h,
    const uint8_t *buf, size_t len)
{
	struct nfqd_tls_hello	z;

	ASSERT(r == NFQD_L7_MORE || r == NFQD_L7_DONE || r == NFQD_L7_NOT ||
	    r == NFQD_L7_BAD);
	ASSERT(h->why < NFQD_TLS_R_MAX);
	ASSERT(strcmp(nfqd_tls_why_str(h->why), "unknown") != 0);
	/* NOT is said from the first byte alone, and always from it. */
	ASSERT((r == NFQD_L7_NOT) == (len > 0 && buf[0] != 22));
	ASSERT((r == NFQD_L7_NOT) == (h->why == NFQD_TLS_R_NOT_TLS));
	ASSERT((r == NFQD_L7_BAD) == (h->why != NFQD_TLS_R_NONE &&
	    h->why != NFQD_TLS_R_NOT_TLS));
	if (r == NFQD_L7_DONE) {
		check_done(h, len);
	} else {
		memset(&z, 0, sizeof(z));
		z.why = h->why;
		z.need = h->need;
		ASSERT(memcmp(&z, h, sizeof(z)) == 0);
		ASSERT(r == NFQD_L7_MORE ? h->need > len : h->need == 0);
	}
}

/*
 * The reader without JA4 gives the same answer and every field outside
 * ja4; ja4's counts, version and flags zero.
 */
static void
check_noja4(enum nfqd_l7_res r, const struct nfqd_tls_hello *h,
    const uint8_t *buf, size_t len)
{
	static struct guarded		 g;
	static const struct nfqd_tls_ja4in zero;
	size_t				 o;
	uint8_t				*b;

	o = offsetof(struct nfqd_tls_ja4in, nciphers);
	if ((b = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(b, buf, len);
	memset(&g, 0x77, sizeof(g));
	ASSERT(nfqd_tls_hello_parse_noja4(b, len, &g.h) == r);
	free(b);
	ASSERT(all(g.before, sizeof(g.before), 0x77));
	ASSERT(all(g.after, sizeof(g.after), 0x77));
	ASSERT(memcmp(&g.h, h, offsetof(struct nfqd_tls_hello, ja4)) == 0);
	ASSERT(memcmp((const char *)&g.h.ja4 + o, (const char *)&zero + o,
	    sizeof(zero) - o) == 0);
}

/*
 * nfqd_tls_sni_peek() of the same bytes (a copy of exactly n): a name
 * within them, if any, and on a DONE hello that hello's server name
 * once normalized.
 */
static void
check_peek(enum nfqd_l7_res r, const struct nfqd_tls_hello *h,
    const uint8_t *buf, size_t n)
{
	char		 norm[NFQD_L7_NAME_MAX + 1];
	const uint8_t	*p;
	uint8_t		*b;
	size_t		 k = 0;
	int		 v;

	if ((b = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(b, buf, n);
	if ((p = nfqd_tls_sni_peek(b, n, &k)) != NULL) {
		ASSERT(p >= b + 9 && k > 0 && (size_t)(p - b) + k <= n);
		if (r == NFQD_L7_DONE) {
			v = nfqd_l7_name_norm(norm, p, k);
			ASSERT(v >= 0 && (size_t)v == h->sni_len &&
			    memcmp(norm, h->sni, h->sni_len) == 0);
		}
	}
	free(b);
}

/* buf[0..n), copied to exactly n bytes, through reader which and its copy
   in tls_ref.h: the same answer and result, byte for byte. */
static void
check_ref(int which, const uint8_t *buf, size_t n)
{
	static struct nfqd_tls_hello	 a, b;
	enum nfqd_l7_res		 r, rr;
	uint8_t				*c;

	if ((c = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(c, buf, n);
	memset(&a, 0x77, sizeof(a));
	memset(&b, 0x77, sizeof(b));
	switch (which) {
	case 0:
		r = nfqd_tls_hello_parse(c, n, &a);
		rr = ref_tls_hello_parse(c, n, &b);
		break;
	case 1:
		r = nfqd_tls_hello_parse_noja4(c, n, &a);
		rr = ref_tls_hello_parse_noja4(c, n, &b);
		break;
	default:
		r = nfqd_tls_handshake_parse(c, n, &a);
		rr = ref_tls_handshake_parse(c, n, &b);
		break;
	}
	free(c);
	ASSERT(r == rr && memcmp(&a, &b, sizeof(a)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guarded	 g1, g2;
	static bool		 inited;
	enum nfqd_l7_res	 r, rp;
	size_t			 cuts[6], k, i;

	if (!inited) {
		ASSERT(nfqd_ja4_init() == 0);
		inited = true;
	}

	r = parse_copy(data, size, &g1, 0x5a);
	check_result(r, &g1.h, data, size);
	check_noja4(r, &g1.h, data, size);
	check_peek(r, &g1.h, data, size);
	check_ref(0, data, size);
	check_ref(1, data, size);
	check_ref(2, data, size);
	if (size > 5)
		check_ref(2, data + 5, size - 5);

	/* Nothing depends on what the struct held before. */
	rp = parse_copy(data, size, &g2, 0xa5);
	ASSERT(rp == r && memcmp(&g1.h, &g2.h, sizeof(g1.h)) == 0);

	if (r == NFQD_L7_DONE) {
		/* The hello alone is the same hello. */
		rp = parse_copy(data, g1.h.used, &g2, 0);
		ASSERT(rp == NFQD_L7_DONE);
		ASSERT(memcmp(&g1.h, &g2.h, sizeof(g1.h)) == 0);
	}

	/* A few shorter prefixes, some where the input puts them. */
	cuts[0] = size / 2;
	cuts[1] = size > 0 ? size - 1 : 0;
	cuts[2] = r == NFQD_L7_DONE ? g1.h.used - 1 : size / 3;
	cuts[3] = size > 0 ? (data[0] * 7919u + size) % size : 0;
	cuts[4] = size > 2 ? ((size_t)data[size - 1] << 8 | data[size - 2]) %
	    size : 0;
	cuts[5] = size > 9 ? 9 : 0;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		k = cuts[i];
		if (k >= size)
			continue;
		rp = parse_copy(data, k, &g2, 0x3c);
		check_result(rp, &g2.h, data, k);
		if (rp == NFQD_L7_MORE) {
			/* Nothing at all is MORE, whatever comes. */
			ASSERT(k == 0 || r != NFQD_L7_NOT);
			/*
			 * Short of need no longer prefix is DONE (it may be
			 * BAD: a caller that waits for need finds that then).
			 */
			ASSERT(size >= g2.h.need || r != NFQD_L7_DONE);
			continue;
		}
		/* Decided at k: decided the same at every longer length. */
		ASSERT(rp == r);
		ASSERT(memcmp(&g1.h, &g2.h, sizeof(g1.h)) == 0);
		if (r == NFQD_L7_DONE)
			ASSERT(k >= g1.h.used);
	}
	return 0;
}
