/*
 * Unit tests: ClientHellos split over 2 to 4 Initial packets and sent in
 * every order, coalesced or not, QUIC v1 and v2, as tests/tools/quicgen
 * writes them (tests/tools/qinitial.c, which shares no code with
 * src/l7/quic.c), read by nfqd's QUIC reader.  For each flight: every
 * datagram before the last is MORE with all its packets read and none
 * refused, the last one DONE with the server name and ALPN, and the bytes
 * put together are the hello that was built.  Hellos of three sizes: a
 * classic one (about 300 bytes), one with a post-quantum key share
 * (about 1.4 KB), the same padded to 2,500 bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/quic.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/l7/tls.h"
#include "qinitial.h"
#include "unit.h"

static struct nfqd_quic		*q;
static struct nfqd_reasm_pool	*pool;
static struct qi_ctx		*gen;

enum hello_kind { H_SMALL, H_PQ, H_BIG, H_MAX };
static const char *const kind_name[H_MAX] = {
	"classic hello", "post-quantum hello", "hello padded to 2500"
};

/*
 * Feed flight f to a fresh connection; true when it reads as it should.
 * why: what went wrong first.
 */
static bool
read_flight(const struct qi_flight *f, const char *sni, char *why,
    size_t wlen)
{
	struct nfqd_quic_conn	 c;
	struct nfqd_quic_out	 out;
	struct nfqd_reasm	*ra;
	enum nfqd_l7_res	 r, want;
	unsigned		 d;
	bool			 ok = true;

	memset(&c, 0, sizeof(c));
	if ((ra = nfqd_reasm_get(pool, 0)) == NULL) {
		snprintf(why, wlen, "no reassembly buffer");
		return false;
	}
	for (d = 0; d < f->ndgrams && ok; d++) {
		if (f->dgram_len[d] < NFQD_QUIC_DGRAM_MIN) {
			snprintf(why, wlen, "datagram %u: %zu bytes", d,
			    f->dgram_len[d]);
			ok = false;
			break;
		}
		r = nfqd_quic_client(q, &c, ra, f->dgram[d], f->dgram_len[d],
		    &out);
		want = d + 1 == f->ndgrams ? NFQD_L7_DONE : NFQD_L7_MORE;
		if (r != want || out.read != f->dgram_npkts[d] ||
		    out.refused != 0 || out.skipped != 0 || out.new_conn) {
			snprintf(why, wlen, "datagram %u of %u: res %d (want %d) "
			    "read %u of %u refused %u skipped %u why %s", d,
			    f->ndgrams, r, want, out.read, f->dgram_npkts[d],
			    out.refused, out.skipped,
			    nfqd_quic_why_str(out.why));
			ok = false;
		} else if (r == NFQD_L7_DONE && (strcmp(out.hello.sni, sni) !=
		    0 || nfqd_tls_alpn_has(&out.hello, "h3", 2) != 1 ||
		    out.hello.used != f->hello_len)) {
			snprintf(why, wlen, "sni '%.64s' (want '%.64s'), h3 %d, used "
			    "%u of %zu", out.hello.sni, sni,
			    nfqd_tls_alpn_has(&out.hello, "h3", 2),
			    out.hello.used, f->hello_len);
			ok = false;
		} else if (r == NFQD_L7_DONE && (nfqd_reasm_contig(ra) !=
		    f->hello_len || memcmp(nfqd_reasm_data(ra), f->hello,
		    f->hello_len) != 0)) {
			snprintf(why, wlen, "the bytes put together are not the "
			    "hello (%zu of %zu)", nfqd_reasm_contig(ra),
			    f->hello_len);
			ok = false;
		}
	}
	nfqd_reasm_put(pool, ra);
	return ok;
}

static void
spec_for(struct qi_spec *s, uint32_t version, enum hello_kind h,
    unsigned pieces, unsigned coalesce, const char *sni)
{
	memset(s, 0, sizeof(*s));
	s->version = version;
	s->sni = sni;
	s->alpn = "h3";
	s->pq = h != H_SMALL;
	s->size = h == H_BIG ? 2500 : 0;
	s->pieces = pieces;
	s->coalesce = coalesce;
	s->dcid_len = 8;
	s->scid_len = 5;
}

/*
 * Every version, piece count, coalescing and hello size, over every
 * order of the packets: one line per row.
 */
static void
test_orders(void)
{
	static const uint32_t	 versions[] = { QI_V1, QI_V2 };
	static unsigned		 perms[24][QI_PIECES_MAX];
	static struct qi_flight	 f;
	struct qi_spec		 s;
	unsigned		 vi, k, c, h, np, i, good, shape;
	char			 name[160], sni[64], why[200], first[240];

	for (vi = 0; vi < 2; vi++)
	for (k = 2; k <= QI_PIECES_MAX; k++)
	for (c = 1; c <= k; c++)
	for (h = 0; h < H_MAX; h++) {
		np = qi_permutations(k, perms);
		snprintf(sni, sizeof(sni), "split-v%u-k%u-c%u-h%u.example",
		    vi + 1, k, c, h);
		good = shape = 0;
		first[0] = '\0';
		for (i = 0; i < np; i++) {
			spec_for(&s, versions[vi], (enum hello_kind)h, k, c,
			    sni);
			memcpy(s.order, perms[i], sizeof(s.order));
			qi_random(s.dcid, s.dcid_len);
			qi_random(s.scid, s.scid_len);
			if (qi_build(gen, &s, &f, why, sizeof(why)) != 0) {
				snprintf(first, sizeof(first), "order %u: "
				    "build: %s", i, why);
				continue;
			}
			if (f.ndgrams == (k + c - 1) / c && f.npkts == k)
				shape++;
			if (read_flight(&f, sni, why, sizeof(why)))
				good++;
			else if (first[0] == '\0')
				snprintf(first, sizeof(first), "order %u%u%u%u: "
				    "%s", perms[i][0], perms[i][1],
				    k > 2 ? perms[i][2] : 9,
				    k > 3 ? perms[i][3] : 9, why);
		}
		snprintf(name, sizeof(name), "v%u, %u pieces, %u a datagram, "
		    "%s (%zu bytes): %u orders read", vi + 1, k, c,
		    kind_name[h], f.hello_len, np);
		CHECKF(good == np && shape == np, name, "%u of %u read, %u of "
		    "the right shape; first: %s", good, np, shape, first);
	}
}

/*
 * Uneven cuts (a piece of one byte, a cut inside the server name, which
 * is at bytes 60-70 of this 1,411-byte hello), and
 * packet numbers in the order sent (the sender, not the network,
 * reordered the CRYPTO data).
 */
static void
test_cuts(void)
{
	static struct qi_flight	 f;
	static const struct {
		const char	*name;
		uint32_t	 version;
		unsigned	 pieces, coalesce;
		size_t		 cuts[3];
		const char	*order;
		bool		 pn_sent;
	} t[] = {
		{ "first piece of 1 byte, sent last", QI_V1, 2, 1, { 1 },
		  "1,0", false },
		{ "last piece of 1 byte, sent first", QI_V2, 2, 1, { 1410 },
		  "1,0", false },
		{ "a cut inside the server name", QI_V1, 3, 1, { 65, 900 },
		  "2,1,0", false },
		{ "4 pieces of 1, 1, 1 and the rest, coalesced by 2", QI_V1, 4,
		  2, { 1, 2, 3 }, "3,2,1,0", false },
		{ "packet numbers in the order sent, v1", QI_V1, 4, 1,
		  { 300, 700, 1100 }, "2,0,3,1", true },
		{ "packet numbers in the order sent, v2, coalesced by 3",
		  QI_V2, 4, 3, { 300, 700, 1100 }, "3,0,2,1", true },
	};
	struct qi_spec		 s;
	size_t			 i;
	char			 why[200];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		spec_for(&s, t[i].version, H_PQ, t[i].pieces, t[i].coalesce,
		    "cut.example");
		memcpy(s.cuts, t[i].cuts, sizeof(s.cuts));
		if (qi_parse_order(t[i].order, s.order) != t[i].pieces)
			abort();
		s.pn_sent = t[i].pn_sent;
		qi_random(s.dcid, s.dcid_len);
		if (qi_build(gen, &s, &f, why, sizeof(why)) != 0) {
			CHECKF(0, t[i].name, "build: %s", why);
			continue;
		}
		if (f.hello_len != 1411) {
			CHECKF(0, t[i].name, "the hello is %zu bytes, the cuts "
			    "were made for 1411", f.hello_len);
			continue;
		}
		CHECKF(read_flight(&f, "cut.example", why, sizeof(why)),
		    t[i].name, "%s", why);
	}
}

/* The generator's own checks: what it refuses to build. */
static void
test_refused(void)
{
	static struct qi_flight	 f;
	static const struct {
		const char	*name;
		unsigned	 pieces;
		size_t		 cuts[3], size;
		uint32_t	 version;
	} t[] = {
		{ "5 pieces", 5, { 0 }, 0, QI_V1 },
		{ "cuts not increasing", 3, { 500, 400 }, 0, QI_V1 },
		{ "a cut past the hello", 2, { 5000 }, 0, QI_V1 },
		{ "padding to less than the hello", 2, { 0 }, 100, QI_V1 },
		{ "the v2 draft", 2, { 0 }, 0, 0x709a50c4 },
	};
	struct qi_spec		 s;
	size_t			 i;
	char			 why[200];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		spec_for(&s, t[i].version, H_PQ, t[i].pieces, 1, "x.example");
		memcpy(s.cuts, t[i].cuts, sizeof(s.cuts));
		s.size = t[i].size;
		CHECKF(qi_build(gen, &s, &f, why, sizeof(why)) == -1,
		    t[i].name, "built");
	}
	CHECK(qi_parse_order("2,0,1", (unsigned[4]){ 0 }) == 3 &&
	    qi_parse_order("0,0", (unsigned[4]){ 0 }) == 0 &&
	    qi_parse_order("1,2", (unsigned[4]){ 0 }) == 0 &&
	    qi_parse_order("0,1,2,3,4", (unsigned[4]){ 0 }) == 0 &&
	    qi_parse_order("1,x", (unsigned[4]){ 0 }) == 0,
	    "order strings: permutations only");
}

int
main(void)
{
	if ((q = nfqd_quic_new()) == NULL ||
	    (pool = nfqd_reasm_pool_new(2)) == NULL ||
	    (gen = qi_ctx_new()) == NULL) {
		perror("test_quic_split: setup");
		return 1;
	}
	qi_seed(0x5eed);
	test_orders();
	test_cuts();
	test_refused();
	qi_ctx_free(gen);
	nfqd_reasm_pool_free(pool);
	nfqd_quic_free(q);
	return unit_done();
}
