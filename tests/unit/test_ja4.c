/*
 * Unit tests for src/l7/ja4.c and what src/l7/tls.c keeps for it:
 * JA4.md's own example (github.com/FoxIO-LLC/ja4, technical_details/
 * JA4.md: its cipher, extension and signature algorithm lists, its
 * hashes and its ALPN examples), the ClientHellos of FoxIO's test
 * captures with the fingerprints their references expect
 * (ja4_vectors.h, made by tests/tools/ja4vectors.py), and hellos built
 * here that hide behind GREASE, repeat, overflow or leave things out.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "nfqd/l7/ja4.h"
#include "nfqd/l7/tls.h"
#include "unit.h"
#include "ja4_vectors.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* Allocations libcrypto made (CRYPTO_set_mem_functions). */
static unsigned long	allocs;

static void *
count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	allocs++;
	return malloc(n);
}

static void *
count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	allocs++;
	return realloc(p, n);
}

static void
count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* JA4.md's example, as lists. */
static const uint16_t spec_ciphers[] = {
	0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
	0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};
static const uint16_t spec_exts[] = {
	0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
	0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
};
static const uint16_t spec_sigalgs[] = {
	0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
};

static void
spec_hello(struct nfqd_tls_hello *h, bool sigalgs)
{
	struct nfqd_tls_ja4in	*j = &h->ja4;

	memset(h, 0, sizeof(*h));
	memcpy(j->ciphers, spec_ciphers, sizeof(spec_ciphers));
	j->nciphers = N(spec_ciphers);
	memcpy(j->exts, spec_exts, sizeof(spec_exts));
	j->nexts = N(spec_exts);
	if (sigalgs) {
		memcpy(j->sigalgs, spec_sigalgs, sizeof(spec_sigalgs));
		j->nsigalgs = N(spec_sigalgs);
	}
	j->version = 0x0304;
	j->sni = true;
	j->alpn = true;
	j->alpn_first = 'h';
	j->alpn_last = '2';
}

static void
check_ja4(const char *name, const struct nfqd_tls_hello *h, char proto,
    const char *want)
{
	char	got[NFQD_JA4_LEN + 1];
	int	r;

	memset(got, 'x', sizeof(got));
	r = nfqd_ja4(h, proto, got);
	if (want == NULL)
		unit_result(__FILE__, r == -1 && got[0] == '\0', name,
		    "got %d \"%.37s\", wanted -1 \"\"", r, got);
	else
		unit_result(__FILE__, r == 0 && strcmp(got, want) == 0, name,
		    "got %d \"%.37s\", wanted \"%s\"", r, got, want);
}

static void
test_spec(void)
{
	struct nfqd_tls_hello	h;

	spec_hello(&h, true);
	check_ja4("JA4.md example", &h, NFQD_JA4_TCP,
	    "t13d1516h2_8daaf6152771_e5627efa2ab1");
	check_ja4("JA4.md example over QUIC", &h, NFQD_JA4_QUIC,
	    "q13d1516h2_8daaf6152771_e5627efa2ab1");
	/* "If there are no signature algorithms ... = 6d807ffa2a79" */
	spec_hello(&h, false);
	check_ja4("JA4.md example without signature algorithms", &h,
	    NFQD_JA4_TCP, "t13d1516h2_8daaf6152771_6d807ffa2a79");
	spec_hello(&h, true);
	h.ja4.nciphers = 0;
	check_ja4("no cipher suites: b is 000000000000", &h, NFQD_JA4_TCP,
	    "t13d0016h2_000000000000_e5627efa2ab1");
	spec_hello(&h, true);
	h.ja4.cut = true;
	check_ja4("a list cut: no fingerprint", &h, NFQD_JA4_TCP, NULL);
}

/* JA4.md "ALPN Extension Value", and the ends of longer names. */
static void
test_alpn(void)
{
	static const struct {
		const char	*name;
		uint8_t		 first, last;
		const char	*want;
	} cases[] = {
		{ "0xAB", 0xab, 0xab, "ab" },
		{ "0x20", 0x20, 0x20, "20" },
		{ "0xAB 0xCD", 0xab, 0xcd, "ad" },
		{ "0x20 0x61", 0x20, 0x61, "21" },
		{ "0x30 0xAB", 0x30, 0xab, "3b" },
		{ "0x61 0x20", 0x61, 0x20, "60" },
		{ "0x30 0x31 0xAB 0xCD", 0x30, 0xcd, "3d" },
		{ "0x30 0xAB 0xCD 0x31", 0x30, 0x31, "01" },
		{ "h2", 'h', '2', "h2" },
		{ "http/1.1", 'h', '1', "h1" },
		{ "one character", 'x', 'x', "xx" },
		{ "upper case kept", 'H', '2', "H2" },
	};
	struct nfqd_tls_hello	h;
	char			name[96], want[NFQD_JA4_LEN + 1];
	size_t			i;

	for (i = 0; i < N(cases); i++) {
		spec_hello(&h, true);
		h.ja4.alpn_first = cases[i].first;
		h.ja4.alpn_last = cases[i].last;
		snprintf(want, sizeof(want), "t13d1516%s_8daaf6152771_"
		    "e5627efa2ab1", cases[i].want);
		snprintf(name, sizeof(name), "ALPN %s", cases[i].name);
		check_ja4(name, &h, NFQD_JA4_TCP, want);
	}
	spec_hello(&h, true);
	h.ja4.alpn = false;
	check_ja4("no ALPN: 00", &h, NFQD_JA4_TCP,
	    "t13d151600_8daaf6152771_e5627efa2ab1");
}

static void
test_version(void)
{
	static const struct {
		uint16_t	 v;
		const char	*s;
	} cases[] = {
		{ 0x0304, "13" }, { 0x0303, "12" }, { 0x0302, "11" },
		{ 0x0301, "10" }, { 0x0300, "s3" }, { 0x0002, "s2" },
		{ 0xfeff, "d1" }, { 0xfefd, "d2" }, { 0xfefc, "d3" },
		{ 0x7f1c, "00" }, { 0, "00" },
	};
	struct nfqd_tls_hello	h;
	char			name[64], want[NFQD_JA4_LEN + 1];
	size_t			i;

	for (i = 0; i < N(cases); i++) {
		spec_hello(&h, true);
		h.ja4.version = cases[i].v;
		snprintf(want, sizeof(want), "t%sd1516h2_8daaf6152771_"
		    "e5627efa2ab1", cases[i].s);
		snprintf(name, sizeof(name), "version 0x%04x", cases[i].v);
		check_ja4(name, &h, NFQD_JA4_TCP, want);
	}
}

/* A parse of buf that must be DONE, then its fingerprint. */
static void
check_parsed(const char *name, const uint8_t *buf, size_t len,
    const char *want)
{
	struct nfqd_tls_hello	h;
	enum nfqd_l7_res	r;
	char			n2[160];

	r = nfqd_tls_hello_parse(buf, len, &h);
	snprintf(n2, sizeof(n2), "%s: parsed", name);
	if (!unit_result(__FILE__, r == NFQD_L7_DONE, n2, "got %d (%s)", r,
	    nfqd_tls_why_str(h.why)))
		return;
	check_ja4(name, &h, NFQD_JA4_TCP, want);
}

/* A one-record hello's handshake message cut into records of k bytes. */
static size_t
rerecord(const uint8_t *in, size_t len, size_t k, uint8_t *out, size_t cap)
{
	size_t	i, n, o = 0;

	for (i = 5; i < len; i += n) {
		n = len - i < k ? len - i : k;
		if (o + 5 + n > cap)
			abort();
		out[o++] = 22;
		out[o++] = in[1];
		out[o++] = in[2];
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)n;
		memcpy(out + o, in + i, n);
		o += n;
	}
	return o;
}

static void
test_vectors(void)
{
	static uint8_t	buf[16384];
	const struct ja4_vector *v;
	struct nfqd_tls_hello h;
	char		name[160], want[NFQD_JA4_LEN + 1];
	size_t		i, n;

	for (i = 0; i < N(ja4_vectors); i++) {
		v = &ja4_vectors[i];
		snprintf(name, sizeof(name), "FoxIO %s stream %u", v->file,
		    v->stream);
		check_parsed(name, v->hello, v->len, v->ja4);
		n = rerecord(v->hello, v->len, 1, buf, sizeof(buf));
		snprintf(name, sizeof(name), "FoxIO %s stream %u in 1-byte "
		    "records", v->file, v->stream);
		check_parsed(name, buf, n, v->ja4);
		n = rerecord(v->hello, v->len, 37, buf, sizeof(buf));
		snprintf(name, sizeof(name), "FoxIO %s stream %u in 37-byte "
		    "records", v->file, v->stream);
		check_parsed(name, buf, n, v->ja4);
	}
	/*
	 * The first ALPN protocol is 0xba 0xad: FoxIO's references say
	 * "99"; JA4.md says the first and last hex digits, "bd".
	 */
	for (i = 0; i < N(ja4_alpn_vectors); i++) {
		v = &ja4_alpn_vectors[i];
		snprintf(want, sizeof(want), "%s", v->ja4);
		memcpy(want + 8, "bd", 2);
		snprintf(name, sizeof(name), "FoxIO %s stream %u, ALPN by "
		    "JA4.md", v->file, v->stream);
		check_parsed(name, v->hello, v->len, want);
		nfqd_tls_hello_parse(v->hello, v->len, &h);
		snprintf(name, sizeof(name), "FoxIO %s stream %u: ALPN ends",
		    v->file, v->stream);
		unit_result(__FILE__, h.ja4.alpn && h.ja4.alpn_first == 0xba &&
		    h.ja4.alpn_last == 0xad, name, "got %d 0x%02x 0x%02x",
		    h.ja4.alpn, h.ja4.alpn_first, h.ja4.alpn_last);
	}
}

/*
 * Hellos built here: legacy_version, cipher suites, then extensions
 * added one by one, wrapped in one record (or several past 2^14).
 */
static uint8_t	msg[20000], rec[20100];
static size_t	mlen, rlen;

static void
m8(unsigned v)
{
	msg[mlen++] = (uint8_t)v;
}

static void
m16(unsigned v)
{
	m8(v >> 8);
	m8(v & 0xff);
}

static void
b_begin(unsigned version, const uint16_t *ciphers, size_t n)
{
	size_t	i;

	mlen = 0;
	m8(1);
	m8(0), m16(0);			/* length, set by b_end() */
	m16(version);
	for (i = 0; i < 32; i++)
		m8(i);
	m8(0);				/* session_id */
	m16((unsigned)(2 * n));
	for (i = 0; i < n; i++)
		m16(ciphers[i]);
	m8(1), m8(0);			/* compression: null */
	m16(0);				/* extensions length, b_end() */
}

/* Where the extensions start: header, version, random, session_id,
   cipher suites, compression, the block's length. */
#define EXTS_AT(nc)	(4 + 2 + 32 + 1 + 2 + 2 * (nc) + 2 + 2)

static void
b_ext(unsigned type, const void *data, size_t n)
{
	m16(type);
	m16((unsigned)n);
	memcpy(msg + mlen, data, n);
	mlen += n;
}

static void
b_end(size_t nc, bool exts)
{
	size_t	i, n, at = EXTS_AT(nc);

	if (!exts)
		mlen -= 2;
	else {
		msg[at - 2] = (uint8_t)((mlen - at) >> 8);
		msg[at - 1] = (uint8_t)(mlen - at);
	}
	msg[1] = (uint8_t)((mlen - 4) >> 16);
	msg[2] = (uint8_t)((mlen - 4) >> 8);
	msg[3] = (uint8_t)(mlen - 4);
	for (i = 0, rlen = 0; i < mlen; i += n) {
		n = mlen - i < 16384 ? mlen - i : 16384;
		rec[rlen++] = 22, rec[rlen++] = 3, rec[rlen++] = 1;
		rec[rlen++] = (uint8_t)(n >> 8), rec[rlen++] = (uint8_t)n;
		memcpy(rec + rlen, msg + i, n);
		rlen += n;
	}
}

static const uint8_t	sni[] = "\x00\x0e\x00\x00\x0b" "example.com";
static const uint8_t	alpn[] = "\x00\x0c\x02h2\x08http/1.1";
static const uint8_t	sv13[] = "\x04\x03\x04\x03\x03";
static const uint8_t	sigs[] = "\x00\x06\x04\x03\x08\x04\x04\x01";
static const uint8_t	groups[] = "\x00\x02\x00\x1d";

/* The plain hello the GREASE cases must give the same JA4 as. */
static const uint16_t	plain_ciphers[] = { 0x1301, 0x1302, 0xc02b };

static void
plain(bool grease)
{
	static const uint16_t gciphers[] = { 0x0a0a, 0x1301, 0x1a1a, 0x1302,
	    0xc02b, 0xfafa };
	static const uint8_t gsv[] = "\x08\x7a\x7a\x03\x04\x03\x03\xea\xea";
	static const uint8_t gsigs[] = "\x00\x08\x04\x03\x2a\x2a\x08\x04"
	    "\x04\x01";
	static const uint8_t ggroups[] = "\x00\x04\xda\xda\x00\x1d";
	size_t	nc = grease ? N(gciphers) : N(plain_ciphers);

	b_begin(0x0303, grease ? gciphers : plain_ciphers, nc);
	if (grease)
		b_ext(0x0a0a, "", 0);
	b_ext(0, sni, sizeof(sni) - 1);
	if (grease)
		b_ext(0x1a1a, "\x00", 1);
	b_ext(16, alpn, sizeof(alpn) - 1);
	b_ext(43, grease ? gsv : sv13, grease ? sizeof(gsv) - 1 :
	    sizeof(sv13) - 1);
	b_ext(13, grease ? gsigs : sigs, grease ? sizeof(gsigs) - 1 :
	    sizeof(sigs) - 1);
	b_ext(10, grease ? ggroups : groups, grease ? sizeof(ggroups) - 1 :
	    sizeof(groups) - 1);
	if (grease) {
		b_ext(0xfafa, "", 0);
		b_ext(0x0a0a, "", 0);	/* GREASE twice: not counted */
	}
	b_end(nc, true);
}

static void
check_built(const char *name, const char *want)
{
	check_parsed(name, rec, rlen, want);
}

static void
check_bad(const char *name, enum nfqd_tls_why why)
{
	struct nfqd_tls_hello	h;
	enum nfqd_l7_res	r;

	r = nfqd_tls_hello_parse(rec, rlen, &h);
	unit_result(__FILE__, r == NFQD_L7_BAD && h.why == why, name,
	    "got %d why %u (%s), wanted BAD why %u (%s)", r, h.why,
	    nfqd_tls_why_str(h.why), why, nfqd_tls_why_str(why));
}

static void
test_evasion(void)
{
	static uint16_t	many[600];
	uint8_t		ext[1200];
	char		want[NFQD_JA4_LEN + 1], plainja4[NFQD_JA4_LEN + 1];
	struct nfqd_tls_hello h;
	size_t		i, nc;

	plain(false);
	nfqd_tls_hello_parse(rec, rlen, &h);
	nfqd_ja4(&h, NFQD_JA4_TCP, plainja4);
	/* The expected strings of built hellos: JA4.md's rules written
	   out by hand, hashed with python3's hashlib. */
	check_built("built hello", "t13d0305h2_5559582ccdc4_beb9f91c6f80");
	plain(true);
	check_built("GREASE ciphers, extensions (twice), versions, "
	    "signature algorithms, groups: the same JA4", plainja4);

	/* Duplicates: types below 64 are BAD, others counted twice. */
	nc = N(plain_ciphers);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(0, sni, sizeof(sni) - 1);
	b_ext(0, sni, sizeof(sni) - 1);
	b_end(nc, true);
	check_bad("two server_name extensions: BAD", NFQD_TLS_R_EXT_DUP);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(43, sv13, sizeof(sv13) - 1);
	b_ext(43, sv13, sizeof(sv13) - 1);
	b_end(nc, true);
	check_bad("two supported_versions: BAD", NFQD_TLS_R_EXT_DUP);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(0x4469, "", 0);
	b_ext(0x4469, "", 0);
	b_end(nc, true);
	check_built("two 0x4469 extensions: counted twice",
	    "t12i030200_5559582ccdc4_42fe6c02aa9a");

	/* Counts past 99: 150 ciphers, 120 extensions. */
	for (i = 0; i < N(many); i++)
		many[i] = (uint16_t)(0x1000 + i);
	b_begin(0x0303, many, 150);
	for (i = 0; i < 120; i++)
		b_ext(0x5000 + (unsigned)i, "", 0);
	b_end(150, true);
	check_built("150 ciphers, 120 extensions: 99 and 99",
	    "t12i999900_7dbec13513fc_787dfb78402d");
	b_begin(0x0303, many, 600);
	b_end(600, false);
	check_built("600 ciphers: more than kept, no fingerprint", NULL);
	b_begin(0x0303, plain_ciphers, nc);
	for (i = 0; i < 129; i++)
		b_ext(0x5000 + (unsigned)i, "", 0);
	b_end(nc, true);
	check_built("129 extensions: more than kept, no fingerprint", NULL);

	/* ALPN: empty list or name BAD; a 200-byte first name's ends. */
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(16, "\x00\x00", 2);
	b_end(nc, true);
	check_bad("empty ALPN list: BAD", NFQD_TLS_R_ALPN);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(16, "\x00\x01\x00", 3);
	b_end(nc, true);
	check_bad("empty ALPN name: BAD", NFQD_TLS_R_ALPN);
	b_begin(0x0303, plain_ciphers, nc);
	ext[0] = 0, ext[1] = 201, ext[2] = 200;
	memset(ext + 3, 'z', 200);
	ext[3] = 'a';
	ext[3 + 199] = '/';
	b_ext(16, ext, 203);
	b_end(nc, true);
	nfqd_tls_hello_parse(rec, rlen, &h);
	unit_result(__FILE__, h.ja4.alpn && h.ja4.alpn_first == 'a' &&
	    h.ja4.alpn_last == '/' && h.alpn_len == 0 && h.alpn_cut,
	    "200-byte first ALPN name: its ends kept", "got %d %02x %02x",
	    h.ja4.alpn, h.ja4.alpn_first, h.ja4.alpn_last);
	check_built("200-byte first ALPN name \"a...z/\": 6f",
	    "t12i03016f_5559582ccdc4_000000000000");

	/* SNI: none is "i"; an extension without a host_name is "d". */
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(0, "\x00\x05\x01\x00\x02xy", 7);
	b_end(nc, true);
	nfqd_tls_hello_parse(rec, rlen, &h);
	nfqd_ja4(&h, NFQD_JA4_TCP, want);
	unit_result(__FILE__, h.sni_len == 0 && strncmp(want, "t12d0301",
	    8) == 0, "server_name without a host_name: d", "got %s sni %u",
	    want, h.sni_len);

	/* No signature_algorithms: no "_" (JA4.md). */
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(10, groups, sizeof(groups) - 1);
	b_end(nc, true);
	check_built("no signature_algorithms: extensions alone hashed",
	    "t12i030100_5559582ccdc4_a8f3e973773c");

	/* Only SNI and ALPN: c is 000000000000; no extensions at all. */
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(0, sni, sizeof(sni) - 1);
	b_ext(16, alpn, sizeof(alpn) - 1);
	b_end(nc, true);
	check_built("only server_name and ALPN: c 000000000000",
	    "t12d0302h2_5559582ccdc4_000000000000");
	b_begin(0x0301, plain_ciphers, nc);
	b_end(nc, false);
	check_built("no extension block, TLS 1.0",
	    "t10i030000_5559582ccdc4_000000000000");
	b_begin(0x0300, plain_ciphers, nc);
	b_end(nc, false);
	check_built("SSL 3.0", "ts3i030000_5559582ccdc4_000000000000");

	/* supported_versions: only GREASE is "00"; malformed is BAD. */
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(43, "\x04\x0a\x0a\x3a\x3a", 5);
	b_end(nc, true);
	check_built("supported_versions of GREASE alone: 00",
	    "t00i030100_5559582ccdc4_b9a491fefe05");
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(43, "\x03\x03\x04\x03", 4);
	b_end(nc, true);
	check_bad("supported_versions of odd length: BAD",
	    NFQD_TLS_R_VERSIONS);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(43, "\x00", 1);
	b_end(nc, true);
	check_bad("empty supported_versions: BAD", NFQD_TLS_R_VERSIONS);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(43, "\x04\x03\x04", 3);
	b_end(nc, true);
	check_bad("supported_versions past its extension: BAD",
	    NFQD_TLS_R_LENGTH);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(13, "\x00\x00", 2);
	b_end(nc, true);
	check_bad("empty signature_algorithms: BAD", NFQD_TLS_R_SIGALGS);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(13, "\x00\x03\x04\x03\x08", 5);
	b_end(nc, true);
	check_bad("signature_algorithms of odd length: BAD",
	    NFQD_TLS_R_SIGALGS);
	b_begin(0x0303, plain_ciphers, nc);
	b_ext(13, "\x00\x02\x04\x03\x08", 5);
	b_end(nc, true);
	check_bad("signature_algorithms short of its extension: BAD",
	    NFQD_TLS_R_LENGTH);
	b_begin(0x0303, (const uint16_t []){ 0x0a0a }, 1);
	b_end(1, false);
	check_built("GREASE the only cipher: 00 and 000000000000",
	    "t12i000000_000000000000_000000000000");
}

static void
test_valid(void)
{
	static const struct {
		const char	*s;
		bool		 ok;
	} cases[] = {
		{ "t13d1516h2_8daaf6152771_e5627efa2ab1", true },
		{ "q13i0000bd_000000000000_000000000000", true },
		{ "T13D1516H2_8DAAF6152771_E5627EFA2AB1", true },
		{ "ts3d151600_8daaf6152771_e5627efa2ab1", true },
		{ "x13d1516h2_8daaf6152771_e5627efa2ab1", false },
		{ "t13x1516h2_8daaf6152771_e5627efa2ab1", false },
		{ "t13d15a6h2_8daaf6152771_e5627efa2ab1", false },
		{ "t13d1516h2_8daaf6152771_e5627efa2ab", false },
		{ "t13d1516h2_8daaf6152771_e5627efa2ab1a", false },
		{ "t13d1516h2-8daaf6152771_e5627efa2ab1", false },
		{ "t13d1516h2_8daaf615277g_e5627efa2ab1", false },
		{ "t13d1516h/_8daaf6152771_e5627efa2ab1", false },
		{ "", false },
	};
	size_t	i;
	char	name[96];

	for (i = 0; i < N(cases); i++) {
		snprintf(name, sizeof(name), "valid \"%s\"", cases[i].s);
		unit_result(__FILE__, nfqd_ja4_valid(cases[i].s,
		    strlen(cases[i].s)) == cases[i].ok, name, "wanted %d",
		    cases[i].ok);
	}
}

/* Fingerprints cost libcrypto no allocation (ja4.c's SHA-256). */
static void
test_alloc(void)
{
	struct nfqd_tls_hello	h;
	char			out[NFQD_JA4_LEN + 1];
	unsigned long		before;
	int			i, bad = 0;

	unit_result(__FILE__, nfqd_ja4_init() == 0, "nfqd_ja4_init", "-1");
	spec_hello(&h, true);
	before = allocs;
	for (i = 0; i < 1000; i++)
		bad += nfqd_ja4(&h, NFQD_JA4_TCP, out) != 0;
	/* With EVP on OpenSSL 3.0 this was 2000: EVP_DigestInit_ex2()
	   remade the provider's context at every digest. */
	unit_result(__FILE__, bad == 0 && allocs == before,
	    "1000 fingerprints, no allocation",
	    "%d failed, %lu allocations", bad, allocs - before);
}

int
main(void)
{
	/* Before libcrypto's first allocation, or it refuses. */
	unit_result(__FILE__, CRYPTO_set_mem_functions(count_malloc,
	    count_realloc, count_free) == 1, "counting allocator", "refused");
	test_alloc();
	test_spec();
	test_alpn();
	test_version();
	test_vectors();
	test_evasion();
	test_valid();
	return unit_done();
}
