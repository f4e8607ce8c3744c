/*
 * Unit tests for src/l7/quic.c: the sample packets of RFC 9001 Appendix A
 * (keys A.1, client Initial A.2) and RFC 9369 Appendix A (the same for
 * QUIC v2); then a table of crafted datagrams, built here with
 * libcrypto's AES-128-GCM and AES-128-ECB through EVP: CRYPTO frames
 * split over packets and datagrams and reordered, coalesced packets,
 * overlaps that repeat or contradict bytes already read, headers cut
 * short or with lengths past the datagram, packet number lengths 1 to 4,
 * bad tags, repeated packet numbers, other connection IDs.  Each case
 * asserts the answer and reason for every datagram and the name read.
 *
 * The RFC vectors are in quic_vectors.h, which says where they come from.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "nfqd/l7/ja4.h"
#include "nfqd/l7/quic.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/l7/tls.h"
#include "quic_vectors.h"
#include "unit.h"


static struct nfqd_quic		*q;
static struct nfqd_reasm_pool	*pool;


static bool
hex_eq(const uint8_t *b, size_t n, const char *h)
{
	uint8_t	want[64];

	return unit_unhex(h, want, sizeof(want)) == n && memcmp(b, want, n) == 0;
}

/* RFC 9001 A.1 and RFC 9369 A.1: the client's keys for 0x8394c8f03e515708. */
static void
test_keys(void)
{
	static const struct {
		const char	*name;
		uint32_t	 version;
		const char	*secret, *key, *iv, *hp;
	} t[] = {
		{ "v1", NFQD_QUIC_V1,
		  "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
		  "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
		  "9f50449e04a0e810283a1e9933adedd2" },
		{ "v2", NFQD_QUIC_V2,
		  "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
		  "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
		  "45b95e15235d6f45a6b19cbcb0294ba9" },
	};
	static const uint8_t	dcid[] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
				    0x57, 0x08 };
	struct nfqd_quic_keys	k;
	uint8_t			secret[32], long_id[21] = { 0 };
	size_t			i;
	char			name[80];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(name, sizeof(name), "A.1 keys %s", t[i].name);
		CHECKF(nfqd_quic_keys(q, t[i].version, dcid, sizeof(dcid), &k,
		    secret) == 0 && hex_eq(secret, 32, t[i].secret) &&
		    hex_eq(k.key, 16, t[i].key) && hex_eq(k.iv, 12, t[i].iv) &&
		    hex_eq(k.hp, 16, t[i].hp), name, "keys differ from the RFC");
	}
	CHECK(nfqd_quic_keys(q, 0xff00001d, dcid, sizeof(dcid), &k, NULL) == -1,
	    "keys: draft-29 refused");
	CHECK(nfqd_quic_keys(q, NFQD_QUIC_V1, long_id, 21, &k, NULL) == -1,
	    "keys: 21-byte DCID refused");
	CHECK(nfqd_quic_keys(q, NFQD_QUIC_V1, long_id, 0, &k, NULL) == 0,
	    "keys: empty DCID");
}

/* One datagram into a fresh connection. */
static enum nfqd_l7_res
one(const uint8_t *b, size_t n, struct nfqd_quic_out *out,
    uint8_t *stream, size_t *slen)
{
	struct nfqd_quic_conn	 c;
	struct nfqd_reasm	*ra = nfqd_reasm_get(pool, 0);
	enum nfqd_l7_res	 r;

	memset(&c, 0, sizeof(c));
	r = nfqd_quic_client(q, &c, ra, b, n, out);
	if (stream != NULL) {
		*slen = nfqd_reasm_contig(ra);
		memcpy(stream, nfqd_reasm_data(ra), *slen);
	}
	nfqd_reasm_put(pool, ra);
	return r;
}

/* RFC 9001 A.2 and RFC 9369 A.2: the client Initial, whole and spoiled. */
static void
test_rfc_packets(void)
{
	static const struct {
		const char	*name, *hex;
		uint32_t	 version;
	} t[] = {
		{ "v1", rfc9001_a2_packet, NFQD_QUIC_V1 },
		{ "v2", rfc9369_a2_packet, NFQD_QUIC_V2 },
	};
	struct nfqd_quic_out	out;
	enum nfqd_l7_res	r;
	uint8_t			pkt[1200], frame[245], stream[NFQD_REASM_MAX];
	size_t			i, n, len, slen, bad;
	char			name[80], fp[NFQD_JA4_LEN + 1];

	unit_unhex(rfc_a2_crypto_frame, frame, sizeof(frame));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = unit_unhex(t[i].hex, pkt, sizeof(pkt));
		CHECK_UINT_EQ(n, 1200, "A.2 vector is 1200 bytes");
		r = one(pkt, n, &out, stream, &slen);
		snprintf(name, sizeof(name), "A.2 %s client Initial", t[i].name);
		CHECKF(r == NFQD_L7_DONE && out.read == 1 && out.refused == 0 &&
		    out.version == t[i].version &&
		    strcmp(out.hello.sni, "example.com") == 0 &&
		    nfqd_tls_alpn_has(&out.hello, "alpn", 4) == 1 &&
		    out.hello.used == 241, name,
		    "res %d read %u refused %u why %s sni '%s' used %u", r,
		    out.read, out.refused, nfqd_quic_why_str(out.why),
		    out.hello.sni, out.hello.used);
		snprintf(name, sizeof(name), "A.2 %s CRYPTO bytes as in the RFC",
		    t[i].name);
		CHECK(slen == 241 && memcmp(stream, frame + 4, 241) == 0, name);
		/*
		 * Its JA4 as a QUIC hello: 2 ciphers (1301, 1302), 11
		 * extensions, ALPN "alpn"; the hashes computed apart with
		 * Python's hashlib from the RFC's hello:
		 * sha256("1301,1302") and sha256("0005,000a,000d,001c,002b,"
		 * "002d,0033,0039,ff01_0403,0503,0603,0203,0804,0805,0806").
		 */
		snprintf(name, sizeof(name), "A.2 %s JA4 (q)", t[i].name);
		if (r == NFQD_L7_DONE && nfqd_ja4(&out.hello, NFQD_JA4_QUIC,
		    fp) == 0)
			CHECK_STR_EQ(fp, "q13d0211an_62ed6f6ca7ad_4d634acda6c0",
			    name);
		else
			CHECK(0, name);
		/* Every byte flipped in the tag, the sample, the PN. */
		pkt[1199] ^= 1;
		r = one(pkt, n, &out, NULL, NULL);
		snprintf(name, sizeof(name), "A.2 %s bad tag: refused", t[i].name);
		CHECKF(r == NFQD_L7_MORE && out.read == 0 && out.refused == 1 &&
		    out.why == NFQD_QUIC_R_DECRYPT, name, "res %d why %s", r,
		    nfqd_quic_why_str(out.why));
		pkt[1199] ^= 1;
		pkt[30] ^= 0x80;
		r = one(pkt, n, &out, NULL, NULL);
		snprintf(name, sizeof(name), "A.2 %s bad sample: refused",
		    t[i].name);
		CHECK(r == NFQD_L7_MORE && out.read == 0 && out.refused == 1,
		    name);
		pkt[30] ^= 0x80;
		/* Every prefix: never DONE, never a crash. */
		bad = 0;
		for (len = 0; len < n; len++) {
			r = one(pkt, len, &out, NULL, NULL);
			if (r == NFQD_L7_DONE || r == NFQD_L7_BAD ||
			    out.read != 0)
				bad++;
		}
		snprintf(name, sizeof(name), "A.2 %s every prefix unread",
		    t[i].name);
		CHECK_UINT_EQ(bad, 0, name);
	}
}

/*
 * Crafted datagrams.  The hello is the RFC's (241 bytes, server name
 * example.com at offsets 58-68); ALT is the same with byte 60 changed, so
 * its name is exbmple.com: bytes that conflict with the hello's.
 */
#define CHL		241
#define NAME_AT		60
static uint8_t		ch[CHL], ch_alt[CHL];

/* Which Destination Connection ID a packet carries and which keys. */
enum { ID_BASE, ID_NEW, ID_OTHER, ID_SERVER, ID_LONG };
static const uint8_t	id_base[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
			    0x57, 0x08 };
static const uint8_t	id_new[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t	id_server[5] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
static const uint8_t	id_long[21];

#define P_BADTAG	0x01	/* last tag byte flipped */
#define P_HUGE_TOKEN	0x02	/* token length 2^30 - 1 */
#define P_RESERVED	0x04	/* a reserved header bit set */
#define P_ALT		0x08	/* CRYPTO bytes from ch_alt */
#define P_FAR		0x10	/* the first CRYPTO frame at offset 16383 */

struct crange {
	uint16_t	off, len;
};

struct bpk {
	uint8_t		type;		/* 0 Initial, 1 0-RTT, 2 Handshake */
	uint8_t		pn, pnlen;	/* pnlen 0: 4 */
	uint8_t		id;		/* ID_* */
	bool		v2;
	unsigned	flags;
	struct crange	cr[4];		/* CRYPTO frames, len 0 ends */
	const char	*raw;		/* frames after them, in hex */
};

struct bdg {
	struct bpk	p[3];
	uint8_t		np;
	uint16_t	size;		/* pad to it; 0: 1200 */
	uint16_t	cut;		/* bytes cut off the end */
	bool		server;		/* a server Initial with SCID id_server */
	/* expected after it */
	enum nfqd_l7_res res;
	uint8_t		why;
	uint8_t		read, refused, skipped;
	bool		new_conn;
};

static size_t
put_v2(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(0x40 | v >> 8);
	b[1] = (uint8_t)v;
	return 2;
}

static void
test_keys_for(const struct bpk *p, struct nfqd_quic_keys *k)
{
	uint32_t	v = p->v2 ? NFQD_QUIC_V2 : NFQD_QUIC_V1;

	if (p->id == ID_NEW)
		nfqd_quic_keys(q, v, id_new, sizeof(id_new), k, NULL);
	else
		nfqd_quic_keys(q, v, id_base, sizeof(id_base), k, NULL);
}

/* A packet with pad PADDING bytes after its frames; its length. */
static size_t
build_pkt(const struct bpk *p, size_t pad, uint8_t *out)
{
	static const uint8_t	 v1types[3] = { 0, 1, 2 }, v2types[3] = { 1, 2, 3 };
	struct nfqd_quic_keys	 k;
	EVP_CIPHER_CTX		*c;
	uint8_t			 fr[16384], nonce[12], mask[16];
	const uint8_t		*id;
	size_t			 fl = 0, hl = 0, idl, i, pnlen, pn_off;
	int			 n;

	for (i = 0; i < 4 && p->cr[i].len != 0; i++) {
		fr[fl++] = 0x06;
		fl += put_v2(fr + fl, (p->flags & P_FAR) && i == 0 ?
		    16383 : p->cr[i].off);
		fl += put_v2(fr + fl, p->cr[i].len);
		memcpy(fr + fl, ((p->flags & P_ALT) ? ch_alt : ch) +
		    p->cr[i].off, p->cr[i].len);
		fl += p->cr[i].len;
	}
	if (p->raw != NULL)
		fl += unit_unhex(p->raw, fr + fl, sizeof(fr) - fl);
	memset(fr + fl, 0, pad);
	fl += pad;
	pnlen = p->pnlen != 0 ? p->pnlen : 4;
	switch (p->id) {
	case ID_NEW:
		id = id_new;
		idl = sizeof(id_new);
		break;
	case ID_OTHER:
		id = id_new;	/* with the base keys */
		idl = sizeof(id_new);
		break;
	case ID_SERVER:
		id = id_server;
		idl = sizeof(id_server);
		break;
	case ID_LONG:
		id = id_long;
		idl = sizeof(id_long);
		break;
	default:
		id = id_base;
		idl = sizeof(id_base);
		break;
	}
	out[hl++] = (uint8_t)(0xc0 | (p->v2 ? v2types : v1types)[p->type] << 4 |
	    (pnlen - 1) | ((p->flags & P_RESERVED) ? 0x04 : 0));
	memcpy(out + hl, p->v2 ? "\x6b\x33\x43\xcf" : "\x00\x00\x00\x01", 4);
	hl += 4;
	out[hl++] = (uint8_t)idl;
	memcpy(out + hl, id, idl);
	hl += idl;
	out[hl++] = 3;
	memcpy(out + hl, "cli", 3);
	hl += 3;
	if (p->type == 0) {
		if (p->flags & P_HUGE_TOKEN) {
			memcpy(out + hl, "\xbf\xff\xff\xff", 4);
			hl += 4;
		} else {
			out[hl++] = 0;
		}
	}
	hl += put_v2(out + hl, (uint16_t)(pnlen + fl + 16));
	pn_off = hl;
	for (i = 0; i < pnlen; i++)
		out[hl++] = (uint8_t)(i == pnlen - 1 ? p->pn : 0);
	test_keys_for(p, &k);
	memcpy(nonce, k.iv, 12);
	nonce[11] ^= p->pn;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, out, (int)hl) != 1 ||
	    EVP_EncryptUpdate(c, out + hl, &n, fr, (int)fl) != 1 ||
	    EVP_EncryptFinal_ex(c, out + hl + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + hl + fl) != 1)
		abort();
	EVP_CIPHER_CTX_free(c);
	if (p->flags & P_BADTAG)
		out[hl + fl + 15] ^= 1;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL) != 1 ||
	    EVP_EncryptUpdate(c, mask, &n, out + pn_off + 4, 16) != 1)
		abort();
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pnlen; i++)
		out[pn_off + i] ^= mask[1 + i];
	return hl + fl + 16;
}

static size_t
build_dgram(const struct bdg *d, uint8_t *out)
{
	size_t	n = 0, last, size = d->size != 0 ? d->size : 1200, i;

	for (i = 0; i + 1 < d->np; i++)
		n += build_pkt(&d->p[i], 0, out + n);
	last = build_pkt(&d->p[d->np - 1], 0, out + n);
	if (n + last < size)
		last = build_pkt(&d->p[d->np - 1], size - n - last, out + n);
	n += last;
	return d->cut < n ? n - d->cut : 0;
}

/* A server's Initial: only its clear header is read. */
static size_t
server_dgram(uint8_t *out)
{
	size_t	n = 0;

	out[n++] = 0xc0;
	memcpy(out + n, "\x00\x00\x00\x01", 4);
	n += 4;
	out[n++] = 3;
	memcpy(out + n, "cli", 3);
	n += 3;
	out[n++] = sizeof(id_server);
	memcpy(out + n, id_server, sizeof(id_server));
	n += sizeof(id_server);
	out[n++] = 0;
	n += put_v2(out + n, 40);
	memset(out + n, 0x5a, 40);
	return n + 40;
}

#define WHOLE		{ { 0, CHL } }
#define HALF1		{ { 0, 120 } }
#define HALF2		{ { 120, CHL - 120 } }
#define MORE_R(n)	.res = NFQD_L7_MORE, .read = (n)
#define DONE_R(n)	.res = NFQD_L7_DONE, .read = (n)
#define BAD_R(w)	.res = NFQD_L7_BAD, .why = NFQD_QUIC_R_##w
#define REFUSED(w)	.res = NFQD_L7_MORE, .refused = 1, .why = NFQD_QUIC_R_##w

struct qcase {
	const char	*name;
	struct bdg	 d[4];
	const char	*sni;		/* on DONE */
};

static const struct qcase cases[] = {
	{ .name = "whole hello in one packet", .d = {
	    { .p = { { .cr = WHOLE } }, .np = 1, DONE_R(1) } } },
	{ .name = "two datagrams in order", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 1, .cr = HALF2 } }, .np = 1, DONE_R(1) } } },
	{ .name = "two datagrams reversed", .d = {
	    { .p = { { .pn = 1, .cr = HALF2 } }, .np = 1, MORE_R(1) },
	    { .p = { { .cr = HALF1 } }, .np = 1, DONE_R(1) } } },
	{ .name = "three datagrams, order 3 1 2", .d = {
	    { .p = { { .cr = { { 160, 81 } } } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 1, .cr = { { 0, 80 } } } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 2, .cr = { { 80, 80 } } } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "four datagrams, order 4 2 3 1", .d = {
	    { .p = { { .pn = 3, .cr = { { 180, 61 } } } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 1, .cr = { { 60, 60 } } } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 2, .cr = { { 120, 60 } } } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 0, .cr = { { 0, 60 } } } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "four CRYPTO frames in one packet, reversed", .d = {
	    { .p = { { .cr = { { 180, 61 }, { 120, 60 }, { 60, 60 },
	      { 0, 60 } } } }, .np = 1, DONE_R(1) } } },
	{ .name = "two coalesced Initials", .d = {
	    { .p = { { .cr = HALF2 }, { .pn = 1, .cr = HALF1 } }, .np = 2,
	      DONE_R(2) } } },
	{ .name = "coalesced Initial, 0-RTT, Initial", .d = {
	    { .p = { { .cr = HALF1 }, { .type = 1, .cr = HALF2 },
	      { .pn = 1, .cr = HALF2 } }, .np = 3, DONE_R(2), .skipped = 1 } } },
	{ .name = "coalesced Handshake first, then Initial: refused (a server "
	    "without the connection drops the datagram)", .d = {
	    { .p = { { .type = 2, .cr = HALF1 }, { .cr = WHOLE } }, .np = 2,
	      REFUSED(LEAD), .skipped = 1 },
	    { .p = { { .cr = WHOLE } }, .np = 1, DONE_R(1) } } },
	{ .name = "coalesced 0-RTT first, then Initial: refused", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .type = 1, .cr = HALF1 }, { .pn = 1, .cr = HALF2 } },
	      .np = 2, REFUSED(LEAD), .skipped = 1 } } },
	{ .name = "Handshake-only datagram, then the Initial", .d = {
	    { .p = { { .type = 2, .cr = HALF1 } }, .np = 1, MORE_R(0),
	      .skipped = 1 },
	    { .p = { { .cr = WHOLE } }, .np = 1, DONE_R(1) } } },
	{ .name = "overlap repeating bytes read", .d = {
	    { .p = { { .cr = { { 0, 150 } } } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 1, .cr = { { 100, 141 } } } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "retransmission of the whole hello in a new packet", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 1, .cr = WHOLE } }, .np = 1, DONE_R(1) } } },
	{ .name = "later overlap with other bytes: conflict", .d = {
	    { .p = { { .cr = { { 0, 100 } } } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 1, .flags = P_ALT, .cr = { { 50, 191 } } } },
	      .np = 1, BAD_R(CONFLICT), .read = 1 } } },
	{ .name = "first copy of the name stands: a later hello conflicts", .d = {
	    { .p = { { .flags = P_ALT, .cr = { { 40, 60 } } } }, .np = 1,
	      MORE_R(1) },
	    { .p = { { .pn = 1, .cr = WHOLE } }, .np = 1, BAD_R(CONFLICT),
	      .read = 1 } } },
	{ .name = "other hello read first wins, the original after it conflicts", .d = {
	    { .p = { { .flags = P_ALT, .cr = WHOLE } }, .np = 1, DONE_R(1) },
	    { .p = { { .pn = 1, .cr = WHOLE } }, .np = 1, BAD_R(CONFLICT),
	      .read = 1 } }, "exbmple.com" },
	{ .name = "conflict inside one coalesced datagram", .d = {
	    { .p = { { .cr = HALF1 }, { .pn = 1, .flags = P_ALT,
	      .cr = WHOLE } }, .np = 2, BAD_R(CONFLICT), .read = 2 } } },
	{ .name = "repeated packet number with other bytes is refused", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .flags = P_ALT, .cr = WHOLE } }, .np = 1,
	      REFUSED(REPEAT) },
	    { .p = { { .pn = 1, .cr = HALF2 } }, .np = 1, DONE_R(1) } } },
	{ .name = "repeated packet number coalesced with a new one", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .cr = HALF1 }, { .pn = 1, .cr = HALF2 } }, .np = 2,
	      BAD_R(REUSED), .read = 1 } } },
	{ .name = "packet number length 1", .d = {
	    { .p = { { .pnlen = 1, .pn = 7, .cr = WHOLE } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "packet number length 2", .d = {
	    { .p = { { .pnlen = 2, .pn = 9, .cr = WHOLE } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "packet number length 3", .d = {
	    { .p = { { .pnlen = 3, .pn = 63, .cr = WHOLE } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "packet number length 4, split", .d = {
	    { .p = { { .pnlen = 4, .pn = 2, .cr = HALF2 } }, .np = 1,
	      MORE_R(1) },
	    { .p = { { .pnlen = 1, .pn = 5, .cr = HALF1 } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "packet number 64 refused", .d = {
	    { .p = { { .pnlen = 2, .pn = 64, .cr = WHOLE } }, .np = 1,
	      REFUSED(PN) } } },
	/* A server may read an Initial of packet number 64 or more: one
	   beside a packet nfqd reads makes the datagram BAD, its CRYPTO
	   data before or after the one read (a hello's rest, a whole
	   hello after a PING, the rest first). */
	{ .name = "packet number 64 after one read: BAD", .d = {
	    { .p = { { .cr = HALF1 }, { .pnlen = 2, .pn = 64, .cr = HALF2 } },
	      .np = 2, BAD_R(PN), .read = 1, .refused = 1 } } },
	{ .name = "a whole hello at packet number 100 after a PING: BAD",
	  .d = {
	    { .p = { { .raw = "01" }, { .pnlen = 2, .pn = 100, .cr = WHOLE } },
	      .np = 2, BAD_R(PN), .read = 1, .refused = 1 } } },
	{ .name = "packet number 64 before one read: BAD", .d = {
	    { .p = { { .pnlen = 2, .pn = 64, .cr = HALF2 }, { .cr = HALF1 } },
	      .np = 2, BAD_R(PN), .read = 1, .refused = 1 } } },
	{ .name = "a version 2 Initial after a version 1 one: BAD", .d = {
	    { .p = { { .cr = HALF1 }, { .pn = 1, .v2 = true, .cr = HALF2 } },
	      .np = 2, BAD_R(VERSION), .read = 1, .refused = 1 } } },
	{ .name = "truncated datagram refused, then whole", .d = {
	    { .p = { { .cr = WHOLE } }, .np = 1, .cut = 10, REFUSED(HEADER) },
	    { .p = { { .cr = WHOLE } }, .np = 1, DONE_R(1) } } },
	/* A packet refused beside one read: the datagram is BAD (a server
	   may read what nfqd refuses). */
	{ .name = "truncated second coalesced packet: BAD", .d = {
	    { .p = { { .cr = HALF1 }, { .pn = 1, .cr = HALF2 } }, .np = 2,
	      .size = 1201, .cut = 1, BAD_R(HEADER), .refused = 1,
	      .read = 1 } } },
	{ .name = "DCID of 21 bytes refused", .d = {
	    { .p = { { .id = ID_LONG, .cr = WHOLE } }, .np = 1,
	      REFUSED(HEADER) } } },
	{ .name = "token length 2^30-1 refused", .d = {
	    { .p = { { .flags = P_HUGE_TOKEN, .cr = WHOLE } }, .np = 1,
	      REFUSED(HEADER) } } },
	{ .name = "bad tag refused, then the good packet", .d = {
	    { .p = { { .flags = P_BADTAG, .cr = WHOLE } }, .np = 1,
	      REFUSED(DECRYPT) },
	    { .p = { { .cr = WHOLE } }, .np = 1, DONE_R(1) } } },
	{ .name = "bad tag on a coalesced packet: BAD", .d = {
	    { .p = { { .cr = HALF1 }, { .pn = 1, .flags = P_BADTAG,
	      .cr = HALF2 } }, .np = 2, BAD_R(DECRYPT), .refused = 1,
	      .read = 1 } } },
	{ .name = "datagram of 1199 bytes refused", .d = {
	    { .p = { { .cr = WHOLE } }, .np = 1, .size = 1199,
	      REFUSED(SHORT) } } },
	{ .name = "PING and ACK frames", .d = {
	    { .p = { { .cr = WHOLE, .raw = "01020000010000" } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "ACK_ECN frame", .d = {
	    { .p = { { .cr = WHOLE, .raw = "0300000000000000" } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "ACK with 2^30-1 ranges", .d = {
	    { .p = { { .cr = WHOLE, .raw = "020000bfffffff00" } }, .np = 1,
	      BAD_R(FRAME), .read = 1 } } },
	{ .name = "STREAM frame in an Initial", .d = {
	    { .p = { { .cr = WHOLE, .raw = "080000" } }, .np = 1,
	      BAD_R(FRAME), .read = 1 } } },
	{ .name = "CONNECTION_CLOSE in an Initial", .d = {
	    { .p = { { .cr = HALF1, .raw = "1c000000" } }, .np = 1,
	      BAD_R(FRAME), .read = 1 } } },
	{ .name = "CRYPTO frame longer than its packet", .d = {
	    { .p = { { .raw = "06007fff" } }, .np = 1, BAD_R(FRAME),
	      .read = 1 } } },
	{ .name = "CRYPTO frame type in two bytes read as CRYPTO", .d = {
	    { .p = { { .raw = "400600" "40f1" } }, .np = 1, BAD_R(TLS),
	      .read = 1 } } },
	{ .name = "CRYPTO data past 16384 bytes", .d = {
	    { .p = { { .flags = P_FAR, .cr = { { 0, 10 } } } }, .np = 1,
	      BAD_R(TOO_BIG), .read = 1 } } },
	{ .name = "reserved header bit set", .d = {
	    { .p = { { .flags = P_RESERVED, .cr = WHOLE } }, .np = 1,
	      BAD_R(FRAME) } } },
	{ .name = "not a ClientHello", .d = {
	    { .p = { { .raw = "06000402000000" } }, .np = 1, BAD_R(TLS),
	      .read = 1 } } },
	{ .name = "coalesced packet with another DCID", .d = {
	    { .p = { { .cr = HALF1 }, { .pn = 1, .id = ID_NEW, .cr = HALF2 } },
	      .np = 2, BAD_R(COALESCED), .read = 1 } } },
	{ .name = "another DCID under the first keys refused", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 1, .id = ID_OTHER, .cr = HALF2 } }, .np = 1,
	      REFUSED(DCID) } } },
	{ .name = "another DCID under its own keys: a new connection", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .id = ID_NEW, .cr = WHOLE } }, .np = 1, MORE_R(0),
	      .new_conn = true } } },
	{ .name = "the server's ID before the server was seen refused", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .pn = 1, .id = ID_SERVER, .cr = HALF2 } }, .np = 1,
	      REFUSED(DCID) } } },
	{ .name = "the server's ID once the server was seen", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .server = true, .p = { { .pn = 1, .id = ID_SERVER,
	      .cr = HALF2 } }, .np = 1, DONE_R(1) } } },
	{ .name = "v2, two datagrams", .d = {
	    { .p = { { .v2 = true, .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .v2 = true, .pn = 1, .cr = HALF2 } }, .np = 1,
	      DONE_R(1) } } },
	{ .name = "v1 then a v2 Initial refused", .d = {
	    { .p = { { .cr = HALF1 } }, .np = 1, MORE_R(1) },
	    { .p = { { .v2 = true, .pn = 1, .cr = HALF2 } }, .np = 1,
	      REFUSED(VERSION) } } },
};

static void
test_cases(void)
{
	struct nfqd_quic_conn	 c;
	struct nfqd_quic_out	 out;
	struct nfqd_reasm	*ra;
	enum nfqd_l7_res	 r;
	uint8_t			 buf[4096];
	size_t			 i, j, n;
	char			 name[160];
	bool			 ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct qcase *t = &cases[i];

		memset(&c, 0, sizeof(c));
		ra = nfqd_reasm_get(pool, 0);
		ok = true;
		for (j = 0; j < 4 && t->d[j].np != 0 && ok; j++) {
			const struct bdg *d = &t->d[j];

			if (d->server) {
				n = server_dgram(buf);
				nfqd_quic_server(&c, buf, n);
			}
			n = build_dgram(d, buf);
			r = nfqd_quic_client(q, &c, ra, buf, n, &out);
			ok = r == d->res && out.why == d->why &&
			    out.read == d->read && out.refused == d->refused &&
			    out.skipped == d->skipped &&
			    out.new_conn == d->new_conn &&
			    (r != NFQD_L7_DONE || strcmp(out.hello.sni,
			    t->sni != NULL ? t->sni : "example.com") == 0);
			snprintf(name, sizeof(name), "evasion: %s", t->name);
			if (!ok)
				CHECKF(0, name, "datagram %zu (%zu bytes): res %d "
				    "why %s read %u refused %u skipped %u new %d "
				    "sni '%s'", j + 1, n, r,
				    nfqd_quic_why_str(out.why), out.read,
				    out.refused, out.skipped, out.new_conn,
				    out.hello.sni);
		}
		if (ok)
			CHECK(1, name);
		nfqd_reasm_put(pool, ra);
	}
}

/* Datagrams that are not a client's first flight, or not one nfqd reads. */
static void
test_not(void)
{
	static const struct {
		const char	*name;
		const char	*head;	/* then zeros up to len */
		size_t		 len;
		enum nfqd_l7_res res;
		uint8_t		 why;
	} t[] = {
		{ "empty datagram", "", 0, NFQD_L7_NOT, NFQD_QUIC_R_NOT_QUIC },
		{ "short header", "4000000001", 1200, NFQD_L7_NOT,
		  NFQD_QUIC_R_NOT_QUIC },
		{ "long header of 6 bytes", "c000000001", 6, NFQD_L7_NOT,
		  NFQD_QUIC_R_NOT_QUIC },
		{ "DCID length past the datagram", "c000000001ff", 100,
		  NFQD_L7_NOT, NFQD_QUIC_R_NOT_QUIC },
		{ "unknown version, 100 bytes", "c0ff00001d0800", 100,
		  NFQD_L7_NOT, NFQD_QUIC_R_NOT_QUIC },
		{ "unknown version (draft-29), 1200 bytes", "c0ff00001d0800",
		  1200, NFQD_L7_MORE, NFQD_QUIC_R_VERSION },
		{ "version 0 (negotiation, a server's), 1200 bytes",
		  "c0000000000800", 1200, NFQD_L7_NOT, NFQD_QUIC_R_NOT_QUIC },
		{ "reserved version 0x1a2a3a4a, 1200 bytes", "c01a2a3a4a0800",
		  1200, NFQD_L7_MORE, NFQD_QUIC_R_VERSION },
		{ "the v2 draft 0x709a50c4, 1200 bytes", "c0709a50c40800",
		  1200, NFQD_L7_MORE, NFQD_QUIC_R_VERSION },
		{ "mvfst 0xfaceb002, 1200 bytes", "c0faceb0020800", 1200,
		  NFQD_L7_MORE, NFQD_QUIC_R_VERSION },
		{ "Google Q050, 1200 bytes", "c0513035300800", 1200,
		  NFQD_L7_MORE, NFQD_QUIC_R_VERSION },
		{ "Google T051, 1200 bytes", "c0543035310800", 1200,
		  NFQD_L7_MORE, NFQD_QUIC_R_VERSION },
		{ "ESP in UDP, SPI 0xc1234567, 1400 bytes", "c123456700000001",
		  1400, NFQD_L7_NOT, NFQD_QUIC_R_NOT_QUIC },
		{ "random-looking 0xf7 9e 3c 51 d2, 1400 bytes", "f79e3c51d20800",
		  1400, NFQD_L7_NOT, NFQD_QUIC_R_NOT_QUIC },
		{ "unknown version without the fixed bit", "80ff00001d0800",
		  1200, NFQD_L7_NOT, NFQD_QUIC_R_NOT_QUIC },
		{ "v1 without the fixed bit", "80000000010800", 1200,
		  NFQD_L7_MORE, NFQD_QUIC_R_HEADER },
		{ "v1 Retry from a client", "f0000000010800", 1200,
		  NFQD_L7_MORE, NFQD_QUIC_R_HEADER },
		{ "v1 Initial, Length past the datagram", "c000000001000000"
		  "4800", 1200, NFQD_L7_MORE, NFQD_QUIC_R_HEADER },
		{ "v1 Initial too short to sample", "c000000001000000"
		  "13", 1200, NFQD_L7_MORE, NFQD_QUIC_R_HEADER },
	};
	struct nfqd_quic_out	out;
	enum nfqd_l7_res	r;
	uint8_t			buf[1400];
	uint32_t		v = 0;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(buf, 0, sizeof(buf));
		unit_unhex(t[i].head, buf, sizeof(buf));
		r = one(buf, t[i].len, &out, NULL, NULL);
		CHECKF(r == t[i].res && out.why == t[i].why && out.read == 0,
		    t[i].name, "res %d why %s", r, nfqd_quic_why_str(out.why));
	}
	unit_unhex(rfc9001_a2_packet, buf, 1200);
	CHECK(nfqd_quic_is_initial(buf, 1200, &v) && v == NFQD_QUIC_V1,
	    "is_initial: RFC 9001 A.2");
	unit_unhex(rfc9369_a2_packet, buf, 1200);
	CHECK(nfqd_quic_is_initial(buf, 1200, &v) && v == NFQD_QUIC_V2,
	    "is_initial: RFC 9369 A.2");
	buf[0] = 0xe0;	/* v2 Handshake */
	CHECK(!nfqd_quic_is_initial(buf, 1200, &v),
	    "is_initial: v2 Handshake is not");
	CHECK(!nfqd_quic_is_initial(buf, 6, &v), "is_initial: 6 bytes");
	CHECK(strcmp(nfqd_quic_why_str(NFQD_QUIC_R_MAX), "unknown") == 0 &&
	    strcmp(nfqd_quic_why_str(NFQD_QUIC_R_CONFLICT), "unknown") != 0,
	    "why_str");
}

/* The bare handshake entry point of tls.c. */
static void
test_bare(void)
{
	struct nfqd_tls_hello	h;
	uint8_t			rec[5 + CHL];
	size_t			n, more = 0;

	CHECK(nfqd_tls_handshake_parse(ch, CHL, &h) == NFQD_L7_DONE &&
	    h.used == CHL && strcmp(h.sni, "example.com") == 0,
	    "bare hello: DONE, used 241");
	for (n = 0; n < CHL; n++)
		if (nfqd_tls_handshake_parse(ch, n, &h) == NFQD_L7_MORE)
			more++;
	CHECK_UINT_EQ(more, CHL, "bare hello: every prefix MORE");
	CHECK(nfqd_tls_handshake_parse((const uint8_t *)"\x16\x03\x01", 3,
	    &h) == NFQD_L7_BAD && h.why == NFQD_TLS_R_NOT_HELLO,
	    "bare hello: a record header is BAD (not a hello)");
	memcpy(rec, "\x16\x03\x01\x00\xf1", 5);
	memcpy(rec + 5, ch, CHL);
	CHECK(nfqd_tls_hello_parse(rec, sizeof(rec), &h) == NFQD_L7_DONE &&
	    h.used == sizeof(rec) && strcmp(h.sni, "example.com") == 0,
	    "record hello unchanged");
}

int
main(void)
{
	uint8_t	frame[245];

	if ((q = nfqd_quic_new()) == NULL || (pool = nfqd_reasm_pool_new(4)) ==
	    NULL || nfqd_ja4_init() == -1) {
		perror("test_quic: setup");
		return 1;
	}
	unit_unhex(rfc_a2_crypto_frame, frame, sizeof(frame));
	memcpy(ch, frame + 4, CHL);
	memcpy(ch_alt, ch, CHL);
	ch_alt[NAME_AT] = 'b';
	test_keys();
	test_rfc_packets();
	test_cases();
	test_not();
	test_bare();
	nfqd_reasm_pool_free(pool);
	nfqd_quic_free(q);
	return unit_done();
}
