/*
 * QUIC client Initials (include/nfqd/l7/quic.h says what is read).
 *
 * The cryptography is libcrypto's, through EVP: HMAC-SHA256 (EVP_MAC)
 * for the initial secrets, AES-128-ECB for the header protection mask
 * and AES-128-GCM for the payload.  The contexts and ciphers are made
 * once in nfqd_quic_new(); a packet re-keys them (EVP_*Init_ex with a
 * NULL cipher, which allocates nothing) only when its keys differ from
 * the ones they hold, and sets the GCM nonce.  Keys are derived once per
 * connection, not per packet, as RFC 5869 defines HKDF on HMAC: Extract
 * is HMAC(salt, DCID), and each Expand here asks for 32 bytes or fewer,
 * which is one HMAC(secret, info | 0x01).  OpenSSL 3.0's own HKDF
 * (EVP_KDF) sets up HMAC afresh at each of the five derivations of a
 * connection (its source: a one-shot HMAC() for Extract, a new HMAC
 * context for Expand): 5.7 of the 7.7 us a new connection cost in
 * tests/bench/bench_quic, 2.0 this way.  Here the HMAC context is made
 * once, the salts are keyed once per version at start, and the three
 * labels under the client secret share one keying; OpenSSL 3.0 still
 * copies each key it is given (two a connection) and allocates when it
 * copies a digest context, so a new connection is not free of
 * allocations (docs/performance.md, QUIC).
 *
 * The packet is never written: the header's protected bits are undone in
 * locals and given to GCM as three pieces of associated data (first byte,
 * the bytes up to the packet number as they are, the packet number), the
 * plaintext goes to a 64 KiB buffer of the worker's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "nfqd/l7/quic.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/netorder.h"

#define LH_FORM		0x80	/* long header */
#define LH_FIXED	0x40
#define LH_RESERVED	0x0c	/* after header protection is removed */
#define SAMPLE_LEN	16
#define TAG_LEN		16
#define PN_SKIP		4	/* the sample starts 4 bytes past the PN */
#define PLAIN_MAX	65536	/* a UDP payload and then some */
#define VARINT_MAX	(((uint64_t)1 << 62) - 1)

#define FR_PADDING	0x00
#define FR_PING		0x01
#define FR_ACK		0x02
#define FR_ACK_ECN	0x03
#define FR_CRYPTO	0x06

/* Long header packet types, as each version numbers them. */
enum lh_type { LT_INITIAL, LT_0RTT, LT_HANDSHAKE, LT_RETRY };

struct qversion {
	uint32_t	version;
	uint8_t		salt[20];
	const char	*key, *iv, *hp;		/* HKDF-Expand-Label labels */
	uint8_t		type[4];		/* wire type bits -> lh_type */
};

/* RFC 9001 5.2 and RFC 9369 3.3.1 (salt), 3.3.2 (labels), 3.2 (types). */
static const struct qversion versions[] = {
	{ NFQD_QUIC_V1,
	  { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	  "quic key", "quic iv", "quic hp",
	  { LT_INITIAL, LT_0RTT, LT_HANDSHAKE, LT_RETRY } },
	{ NFQD_QUIC_V2,
	  { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	  "quicv2 key", "quicv2 iv", "quicv2 hp",
	  { LT_RETRY, LT_INITIAL, LT_0RTT, LT_HANDSHAKE } },
};

#define NVERSIONS	(sizeof(versions) / sizeof(versions[0]))

struct nfqd_quic {
	EVP_MAC		*mac_alg;
	EVP_MAC_CTX	*salted[NVERSIONS];	/* HMAC keyed with a salt */
	EVP_MAC_CTX	*hmac;			/* HMAC-SHA256, any key */
	EVP_CIPHER	*ecb_alg, *gcm_alg;
	EVP_CIPHER_CTX	*ecb, *gcm;
	uint8_t		 hp_key[16], gcm_key[16];	/* the keys ecb and gcm
					   hold, when hp_set, gcm_set */
	bool		 hp_set, gcm_set;
	uint8_t		 plain[PLAIN_MAX];	/* one packet's frames */
};

static const char *const whys[NFQD_QUIC_R_MAX] = {
	[NFQD_QUIC_R_NONE] = "no problem",
	[NFQD_QUIC_R_NOT_QUIC] = "not a QUIC long header",
	[NFQD_QUIC_R_VERSION] = "QUIC version other than 1 and 2",
	[NFQD_QUIC_R_SHORT] = "Initial in a datagram under 1200 bytes",
	[NFQD_QUIC_R_HEADER] = "long header cut short or with lengths past "
	    "the datagram",
	[NFQD_QUIC_R_DECRYPT] = "Initial does not decrypt",
	[NFQD_QUIC_R_DCID] = "Initial for another connection ID that does "
	    "not decrypt",
	[NFQD_QUIC_R_PN] = "Initial packet number 64 or more",
	[NFQD_QUIC_R_LEAD] = "Initial after a packet of another type",
	[NFQD_QUIC_R_REPEAT] = "Initial packet numbers read before",
	[NFQD_QUIC_R_RESTART] = "Initial for a connection the server asked to "
	    "start afresh",
	[NFQD_QUIC_R_FRAME] = "frame not allowed or cut short in an Initial",
	[NFQD_QUIC_R_COALESCED] = "coalesced packet of another connection ID",
	[NFQD_QUIC_R_CONFLICT] = "CRYPTO bytes differ from bytes already read",
	[NFQD_QUIC_R_TOO_BIG] = "CRYPTO data past 16384 bytes",
	[NFQD_QUIC_R_TLS] = "CRYPTO stream not a well-formed ClientHello",
	[NFQD_QUIC_R_REUSED] = "packet number read before, coalesced with "
	    "new packets",
};

static const struct qversion *
qversion(uint32_t v)
{
	size_t	i;

	for (i = 0; i < NVERSIONS; i++)
		if (versions[i].version == v)
			return &versions[i];
	return NULL;
}

/* An HMAC-SHA256 context, keyed when key is not NULL. */
static EVP_MAC_CTX *
hmac_new(EVP_MAC *alg, const uint8_t *key, size_t keylen)
{
	EVP_MAC_CTX	*m;
	OSSL_PARAM	 p[2];

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_CTX_new(alg)) == NULL)
		return NULL;
	if (EVP_MAC_CTX_set_params(m, p) != 1 || (key != NULL &&
	    EVP_MAC_init(m, key, keylen, NULL) != 1)) {
		EVP_MAC_CTX_free(m);
		return NULL;
	}
	return m;
}

struct nfqd_quic *
nfqd_quic_new(void)
{
	struct nfqd_quic	*q;
	size_t			 i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	if ((q->mac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (q->hmac = hmac_new(q->mac_alg, NULL, 0)) == NULL)
		goto fail;
	for (i = 0; i < NVERSIONS; i++)
		if ((q->salted[i] = hmac_new(q->mac_alg, versions[i].salt,
		    sizeof(versions[i].salt))) == NULL)
			goto fail;
	if ((q->ecb_alg = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL)) ==
	    NULL ||
	    (q->gcm_alg = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL)) ==
	    NULL ||
	    (q->ecb = EVP_CIPHER_CTX_new()) == NULL ||
	    (q->gcm = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(q->ecb, q->ecb_alg, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(q->ecb, 0) != 1 ||
	    EVP_DecryptInit_ex(q->gcm, q->gcm_alg, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(q->gcm, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) !=
	    1)
		goto fail;
	return q;
fail:
	nfqd_quic_free(q);
	errno = ENOSYS;
	return NULL;
}

void
nfqd_quic_free(struct nfqd_quic *q)
{
	size_t	i;

	if (q == NULL)
		return;
	EVP_CIPHER_CTX_free(q->gcm);
	EVP_CIPHER_CTX_free(q->ecb);
	EVP_CIPHER_free(q->gcm_alg);
	EVP_CIPHER_free(q->ecb_alg);
	for (i = 0; i < NVERSIONS; i++)
		EVP_MAC_CTX_free(q->salted[i]);
	EVP_MAC_CTX_free(q->hmac);
	EVP_MAC_free(q->mac_alg);
	free(q);
}

/*
 * One HMAC of m (keyed already, or with key when not NULL) over a[0..alen)
 * and the byte b when b >= 0: its first len bytes (32 or fewer) to out.
 */
static int
hmac(EVP_MAC_CTX *m, const uint8_t *key, size_t keylen, const uint8_t *a,
    size_t alen, int b, uint8_t *out, size_t len)
{
	uint8_t	md[32], c = (uint8_t)b;
	size_t	n;
	int	r;

	r = EVP_MAC_init(m, key, keylen, NULL) == 1 &&
	    (alen == 0 || EVP_MAC_update(m, a, alen) == 1) &&
	    (b < 0 || EVP_MAC_update(m, &c, 1) == 1) &&
	    EVP_MAC_final(m, md, &n, sizeof(md)) == 1 && n == sizeof(md);
	if (r)
		memcpy(out, md, len);
	OPENSSL_cleanse(md, sizeof(md));
	return r ? 0 : -1;
}

/*
 * HKDF-Expand-Label(secret, label, "", len), RFC 8446 7.1, for len <= 32:
 * HKDF-Expand's first block, HMAC(secret, info | 0x01) (RFC 5869 2.3);
 * m is keyed with secret here, or already when secret is NULL.
 */
static int
expand_label(EVP_MAC_CTX *m, const uint8_t *secret, const char *label,
    uint8_t *out, size_t len)
{
	uint8_t	info[2 + 1 + 6 + 32 + 1];
	size_t	n = strlen(label);

	if (n > 32 || len > 32)
		return -1;
	info[0] = (uint8_t)(len >> 8);
	info[1] = (uint8_t)len;
	info[2] = (uint8_t)(6 + n);
	memcpy(info + 3, "tls13 ", 6);
	memcpy(info + 9, label, n);
	info[9 + n] = 0;		/* empty context */
	return hmac(m, secret, secret != NULL ? 32 : 0, info, 10 + n, 0x01,
	    out, len);
}

int
nfqd_quic_keys(struct nfqd_quic *q, uint32_t version, const uint8_t *dcid,
    size_t dcid_len, struct nfqd_quic_keys *k, uint8_t *client_secret)
{
	const struct qversion	*v = qversion(version);
	uint8_t			 initial[32], client[32];
	int			 r = -1;

	if (v == NULL || dcid_len > NFQD_QUIC_CID_MAX)
		return -1;
	/* HKDF-Extract(salt, DCID) = HMAC(salt, DCID), RFC 5869 2.2. */
	if (hmac(q->salted[v - versions], NULL, 0, dcid, dcid_len, -1,
	    initial, sizeof(initial)) == 0 &&
	    expand_label(q->hmac, initial, "client in", client, 32) == 0 &&
	    expand_label(q->hmac, client, v->key, k->key,
	    sizeof(k->key)) == 0 &&
	    expand_label(q->hmac, NULL, v->iv, k->iv, sizeof(k->iv)) == 0 &&
	    expand_label(q->hmac, NULL, v->hp, k->hp, sizeof(k->hp)) == 0)
		r = 0;
	if (r == 0 && client_secret != NULL)
		memcpy(client_secret, client, sizeof(client));
	OPENSSL_cleanse(initial, sizeof(initial));
	OPENSSL_cleanse(client, sizeof(client));
	return r;
}

/* A variable-length integer (RFC 9000 16) at p[*off], within len. */
static bool
varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	size_t	i, n;

	if (*off >= len)
		return false;
	n = (size_t)1 << (p[*off] >> 6);
	if (n > len - *off)
		return false;
	*v = p[*off] & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | p[*off + i];
	*off += n;
	return true;
}

/* A long header's clear part. */
struct lhdr {
	uint32_t	 version;
	const struct qversion *v;	/* NULL: not 1 or 2 */
	enum lh_type	 type;
	const uint8_t	*dcid, *scid;
	uint8_t		 dcid_len, scid_len;
	size_t		 pn_off;	/* the packet number's offset */
	size_t		 end;		/* the packet's end */
};

/*
 * The long header at p[0..len): NONE, NOT_QUIC (too short to hold the
 * version-independent part, RFC 8999 5.1), VERSION (of a version not read:
 * the IDs are set, nothing after them) or HEADER (a v1/v2 header the
 * server discards).  A Retry's end is len (it has no Length).
 */
static enum nfqd_quic_why
lhdr_parse(const uint8_t *p, size_t len, struct lhdr *h)
{
	size_t		off;
	uint64_t	n;

	memset(h, 0, sizeof(*h));
	if (len < 7 || !(p[0] & LH_FORM))
		return NFQD_QUIC_R_NOT_QUIC;
	h->version = nfqd_get32(p + 1);
	h->v = qversion(h->version);
	h->dcid_len = p[5];
	if ((size_t)h->dcid_len + 7 > len)
		return NFQD_QUIC_R_NOT_QUIC;
	h->dcid = p + 6;
	h->scid_len = p[6 + h->dcid_len];
	if ((size_t)h->dcid_len + h->scid_len + 7 > len)
		return NFQD_QUIC_R_NOT_QUIC;
	h->scid = p + 7 + h->dcid_len;
	off = 7 + (size_t)h->dcid_len + h->scid_len;
	if (h->v == NULL)
		return NFQD_QUIC_R_VERSION;
	if (h->dcid_len > NFQD_QUIC_CID_MAX || h->scid_len > NFQD_QUIC_CID_MAX ||
	    !(p[0] & LH_FIXED))
		return NFQD_QUIC_R_HEADER;
	h->type = (enum lh_type)h->v->type[(p[0] >> 4) & 3];
	h->end = len;
	if (h->type == LT_RETRY)
		return NFQD_QUIC_R_NONE;
	if (h->type == LT_INITIAL) {
		if (!varint(p, len, &off, &n) || n > len - off)
			return NFQD_QUIC_R_HEADER;
		off += (size_t)n;	/* the token */
	}
	if (!varint(p, len, &off, &n) || n > len - off)
		return NFQD_QUIC_R_HEADER;
	h->pn_off = off;
	h->end = off + (size_t)n;
	/* Room for the sample, which also leaves room for the tag. */
	if (h->end - h->pn_off < PN_SKIP + SAMPLE_LEN)
		return NFQD_QUIC_R_HEADER;
	return NFQD_QUIC_R_NONE;
}

static bool
cid_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* What one Initial opened to. */
struct opened {
	size_t		len;		/* plaintext bytes in q->plain */
	uint64_t	pn;
	uint8_t		first;		/* the first byte, unprotected */
};

/*
 * Remove header protection and decrypt the Initial p (header h) with k.
 * NONE, DECRYPT (the tag), or PN (a packet number NFQD_QUIC_PN_MAX or more,
 * not decrypted).  Packet numbers: while fewer than 64 Initials were
 * read, the expected number is under 64 and every encoding (1 to 4 bytes)
 * decodes to the truncated value itself (RFC 9000 A.3), so that value is
 * the packet number.
 */
static enum nfqd_quic_why
open_initial(struct nfqd_quic *q, const struct nfqd_quic_keys *k,
    const uint8_t *p, const struct lhdr *h, struct opened *o)
{
	uint8_t		mask[2 * SAMPLE_LEN], pnb[4], nonce[12];
	const uint8_t	*ct;
	size_t		pnlen, ctlen, i;
	int		n, m;

	/*
	 * A key is set only when it differs from the one the context holds
	 * (a connection's next packet, often the next one read, has the
	 * same): setting one costs a key schedule (and GHASH's table).
	 */
	if (!q->hp_set || memcmp(q->hp_key, k->hp, sizeof(q->hp_key)) != 0) {
		q->hp_set = false;
		if (EVP_EncryptInit_ex(q->ecb, NULL, NULL, k->hp, NULL) != 1)
			return NFQD_QUIC_R_DECRYPT;
		memcpy(q->hp_key, k->hp, sizeof(q->hp_key));
		q->hp_set = true;
	}
	if (EVP_EncryptUpdate(q->ecb, mask, &n, p + h->pn_off + PN_SKIP,
	    SAMPLE_LEN) != 1 || n != SAMPLE_LEN)
		return NFQD_QUIC_R_DECRYPT;
	o->first = p[0] ^ (mask[0] & 0x0f);
	pnlen = (size_t)(o->first & 3) + 1;
	o->pn = 0;
	for (i = 0; i < pnlen; i++) {
		pnb[i] = p[h->pn_off + i] ^ mask[1 + i];
		o->pn = o->pn << 8 | pnb[i];
	}
	if (o->pn >= NFQD_QUIC_PN_MAX)
		return NFQD_QUIC_R_PN;
	ct = p + h->pn_off + pnlen;
	ctlen = h->end - h->pn_off - pnlen;	/* >= TAG_LEN: see lhdr_parse */
	if (ctlen - TAG_LEN > sizeof(q->plain))
		return NFQD_QUIC_R_DECRYPT;
	memcpy(nonce, k->iv, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(o->pn >> (8 * i));
	if (!q->gcm_set || memcmp(q->gcm_key, k->key, sizeof(q->gcm_key)) !=
	    0) {
		q->gcm_set = false;
		if (EVP_DecryptInit_ex(q->gcm, NULL, NULL, k->key, NULL) != 1)
			return NFQD_QUIC_R_DECRYPT;
		memcpy(q->gcm_key, k->key, sizeof(q->gcm_key));
		q->gcm_set = true;
	}
	if (EVP_DecryptInit_ex(q->gcm, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(q->gcm, NULL, &n, &o->first, 1) != 1 ||
	    EVP_DecryptUpdate(q->gcm, NULL, &n, p + 1,
	    (int)(h->pn_off - 1)) != 1 ||
	    EVP_DecryptUpdate(q->gcm, NULL, &n, pnb, (int)pnlen) != 1 ||
	    EVP_DecryptUpdate(q->gcm, q->plain, &n, ct,
	    (int)(ctlen - TAG_LEN)) != 1 ||
	    EVP_CIPHER_CTX_ctrl(q->gcm, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    (void *)(ct + ctlen - TAG_LEN)) != 1 ||
	    EVP_DecryptFinal_ex(q->gcm, q->plain + n, &m) != 1)
		return NFQD_QUIC_R_DECRYPT;
	o->len = (size_t)n + (size_t)m;
	return NFQD_QUIC_R_NONE;
}

/*
 * CRYPTO data at stream offset off into ra, whose byte 0 is the stream's
 * byte base (its seq0: 0, or a resumed connection's base).  Bytes before
 * base are not read, only noted in out->crypto_before (the caller refuses
 * them: nothing here can compare them).  Without ra (a resumed connection not reading a
 * second hello) bytes from base on are only noted in out->crypto_past.
 */
static enum nfqd_quic_why
crypto_add(struct nfqd_reasm *ra, uint32_t base, uint64_t off,
    const uint8_t *data, size_t len, struct nfqd_quic_out *out)
{
	unsigned	flags = 0;

	if (len == 0)
		return NFQD_QUIC_R_NONE;
	if (off < base)
		out->crypto_before = true;
	if (off + len <= base)
		return NFQD_QUIC_R_NONE;
	out->crypto_past = true;
	if (ra == NULL)
		return NFQD_QUIC_R_NONE;
	if (off >= (uint64_t)base + NFQD_REASM_MAX)
		return NFQD_QUIC_R_TOO_BIG;
	if (nfqd_reasm_add(ra, (uint32_t)off, data, len, &flags) ==
	    NFQD_REASM_CONFLICT)
		return NFQD_QUIC_R_CONFLICT;
	if (flags & NFQD_REASM_PAST)
		return NFQD_QUIC_R_TOO_BIG;
	return NFQD_QUIC_R_NONE;
}

/*
 * The frames of an Initial, f[0..len): PADDING, PING, ACK and CRYPTO
 * (RFC 9000 12.4, Table 3, less CONNECTION_CLOSE, which ends the
 * connection).  A frame type is read as the variable-length integer it
 * is, so a longer encoding than needed (which a server may accept) is the
 * same frame.
 */
static enum nfqd_quic_why
frames(struct nfqd_reasm *ra, uint32_t base, const uint8_t *f, size_t len,
    struct nfqd_quic_out *out)
{
	enum nfqd_quic_why	why;
	uint64_t		type, v, count, off, n, w;
	size_t			i = 0, k;

	if (len == 0)
		return NFQD_QUIC_R_FRAME;	/* a packet without frames */
	while (i < len) {
		if (f[i] == FR_PADDING) {
			/* Padding fills most of a small Initial: a word at
			   a time. */
			for (; i + 8 <= len; i += 8) {
				memcpy(&w, f + i, 8);
				if (w != 0)
					break;
			}
			while (i < len && f[i] == FR_PADDING)
				i++;
			continue;
		}
		if (!varint(f, len, &i, &type))
			return NFQD_QUIC_R_FRAME;
		switch (type) {
		case FR_PADDING:
		case FR_PING:
			break;
		case FR_ACK:
		case FR_ACK_ECN:
			/* Largest, delay, range count, first range. */
			if (!varint(f, len, &i, &v) || !varint(f, len, &i, &v) ||
			    !varint(f, len, &i, &count) ||
			    !varint(f, len, &i, &v))
				return NFQD_QUIC_R_FRAME;
			/* Each range is two varints of a byte or more. */
			if (count > (len - i) / 2)
				return NFQD_QUIC_R_FRAME;
			for (k = 0; k < 2 * count; k++)
				if (!varint(f, len, &i, &v))
					return NFQD_QUIC_R_FRAME;
			if (type == FR_ACK_ECN)
				for (k = 0; k < 3; k++)
					if (!varint(f, len, &i, &v))
						return NFQD_QUIC_R_FRAME;
			break;
		case FR_CRYPTO:
			if (!varint(f, len, &i, &off) ||
			    !varint(f, len, &i, &n) || n > len - i ||
			    off > VARINT_MAX - n)
				return NFQD_QUIC_R_FRAME;
			if ((why = crypto_add(ra, base, off, f + i, (size_t)n,
			    out)) != NFQD_QUIC_R_NONE)
				return why;
			i += (size_t)n;
			break;
		default:
			return NFQD_QUIC_R_FRAME;
		}
	}
	return NFQD_QUIC_R_NONE;
}

static void
refuse(struct nfqd_quic_out *out, enum nfqd_quic_why why)
{
	out->refused++;
	out->why = (uint8_t)why;
}

/* Whether Initial p (header h) decrypts with the keys of its own DCID. */
static bool
opens_alone(struct nfqd_quic *q, const uint8_t *p, const struct lhdr *h)
{
	struct nfqd_quic_keys	k;
	struct opened		o;

	return nfqd_quic_keys(q, h->version, h->dcid, h->dcid_len, &k,
	    NULL) == 0 && open_initial(q, &k, p, h, &o) == NFQD_QUIC_R_NONE;
}

/*
 * One Initial of the datagram (its first packet when first).  NONE when
 * read or passed over; the packet-level whys counted in out; a BAD one
 * returned.
 */
static enum nfqd_quic_why
initial(struct nfqd_quic *q, struct nfqd_quic_conn *c, struct nfqd_reasm *ra,
    const uint8_t *p, const struct lhdr *h, bool first, size_t dgram_len,
    struct nfqd_quic_out *out)
{
	struct nfqd_quic_keys	 fresh;
	const struct nfqd_quic_keys *k;
	struct opened		 o;
	enum nfqd_quic_why	 why;
	bool			 learning = false;

	if (dgram_len < NFQD_QUIC_DGRAM_MIN) {
		refuse(out, NFQD_QUIC_R_SHORT);
		return NFQD_QUIC_R_NONE;
	}
	if (c->version == 0) {
		if (nfqd_quic_keys(q, h->version, h->dcid, h->dcid_len, &fresh,
		    NULL) != 0) {
			refuse(out, NFQD_QUIC_R_DECRYPT);
			return NFQD_QUIC_R_NONE;
		}
		k = &fresh;
	} else if (h->version != c->version) {
		refuse(out, NFQD_QUIC_R_VERSION);
		return NFQD_QUIC_R_NONE;
	} else if (cid_eq(h->dcid, h->dcid_len, c->dcid, c->dcid_len) ||
	    (c->has_scid && cid_eq(h->dcid, h->dcid_len, c->scid,
	    c->scid_len))) {
		if (c->restart_ok) {
			/* After a Retry or a Version Negotiation: a server
			   that takes the ID up again (a token it does not
			   bind to the Retry's ID) holds bytes nfqd would
			   forget at the next connection. */
			refuse(out, NFQD_QUIC_R_RESTART);
			return NFQD_QUIC_R_NONE;
		}
		k = &c->keys;
	} else if (c->learn && !c->has_scid && !c->restart_ok) {
		/* Resumed without the server's ID: perhaps this is it. */
		k = &c->keys;
		learning = true;
	} else {
		/* Another connection ID: a new connection if it opens with
		   its own keys, else one the server cannot read. */
		if (first && opens_alone(q, p, h))
			out->new_conn = true;
		else
			refuse(out, NFQD_QUIC_R_DCID);
		return NFQD_QUIC_R_NONE;
	}
	if ((why = open_initial(q, k, p, h, &o)) != NFQD_QUIC_R_NONE) {
		/* A server also tries the new keys after a Retry's. */
		if (first && k == &c->keys && !cid_eq(h->dcid, h->dcid_len,
		    c->dcid, c->dcid_len) && opens_alone(q, p, h))
			out->new_conn = true;
		else
			refuse(out, learning ? NFQD_QUIC_R_DCID : why);
		return NFQD_QUIC_R_NONE;
	}
	if (learning) {
		c->scid_len = h->dcid_len;
		memcpy(c->scid, h->dcid, h->dcid_len);
		c->has_scid = 1;
	}
	if (o.first & LH_RESERVED)
		return NFQD_QUIC_R_FRAME;	/* PROTOCOL_VIOLATION */
	if (c->pns[o.pn / 32] & (uint32_t)1 << (o.pn % 32)) {
		/* A server that got the first copy discards the repeat; one
		   that did not (lost past nfqd, or discarded for its token)
		   reads it: nfqd_quic_client() refuses it. */
		out->repeated++;
		return NFQD_QUIC_R_NONE;
	}
	if (c->version == 0) {
		c->version = h->version;
		c->keys = fresh;
		c->dcid_len = h->dcid_len;
		memcpy(c->dcid, h->dcid, h->dcid_len);
	}
	c->pns[o.pn / 32] |= (uint32_t)1 << (o.pn % 32);
	out->read++;
	out->version = c->version;
	return frames(ra, c->base, q->plain, o.len, out);
}

/*
 * A version field that is some QUIC's though not one nfqd reads: the IETF
 * drafts (0xff0000xx), the reserved versions a client may send to force
 * version negotiation (0x?a?a?a?a, RFC 9000 15), the v2 draft
 * (0x709a50c4), Facebook's mvfst (0xfaceb0xx), Google's QUIC ("Q0xx",
 * "T0xx").  A client's first flight of one of these is QUIC that nfqd
 * cannot read: refused.  Any other value is not taken for QUIC at all: any
 * UDP protocol may open a datagram with bits that look like a long header
 * (ESP in UDP with an SPI of 0xc0000000 or more, obfuscated VPNs that look
 * random), and refusing those as unreadable QUIC would drop them whenever a
 * rule reads names.  Version 0 is version negotiation, which only servers
 * send.
 */
static bool
quic_family(uint32_t v)
{
	return (v & 0xffffff00) == 0xff000000 ||
	    (v & 0x0f0f0f0f) == 0x0a0a0a0a ||
	    v == 0x709a50c4 ||
	    (v & 0xffffff00) == 0xfaceb000 ||
	    (v & 0xffff0000) == 0x51300000 ||	/* "Q0" */
	    (v & 0xffff0000) == 0x54300000;	/* "T0" */
}

/*
 * Whether a datagram is no client's first flight (NOT): no long header at
 * its start, or too short to hold one, or one of a version that is not
 * QUIC's (above), or of another QUIC version without the fixed bit or in a
 * datagram under 1200 bytes, which a client's Initial of any version is
 * not.
 */
static bool
not_quic(const uint8_t *buf, size_t len)
{
	struct lhdr		h;
	enum nfqd_quic_why	why = lhdr_parse(buf, len, &h);

	return why == NFQD_QUIC_R_NOT_QUIC || (why == NFQD_QUIC_R_VERSION &&
	    ((buf[0] & 0xc0) != 0xc0 || len < NFQD_QUIC_DGRAM_MIN ||
	    !quic_family(h.version)));
}

bool
nfqd_quic_maybe(const uint8_t *buf, size_t len)
{
	return !not_quic(buf, len);
}

bool
nfqd_quic_lead_dcid(const uint8_t *buf, size_t len, const uint8_t **dcid,
    size_t *dcid_len)
{
	struct lhdr	h;

	if (lhdr_parse(buf, len, &h) != NFQD_QUIC_R_NONE ||
	    h.type != LT_INITIAL)
		return false;
	*dcid = h.dcid;
	*dcid_len = h.dcid_len;
	return true;
}

/*
 * BAD (why) at a packet after the datagram's first: a hello the packets
 * before it completed is said too (out->hello, out->hello_before), for
 * the rules: a server reads those packets whatever follows them.
 */
static enum nfqd_l7_res
bad_after(struct nfqd_reasm *ra, size_t before, enum nfqd_quic_why why,
    struct nfqd_quic_out *out)
{
	size_t	contig = ra != NULL ? nfqd_reasm_contig(ra) : 0;

	if (contig > before && nfqd_tls_handshake_parse(nfqd_reasm_data(ra),
	    contig, &out->hello) == NFQD_L7_DONE)
		out->hello_before = true;
	out->why = (uint8_t)why;
	return NFQD_L7_BAD;
}

enum nfqd_l7_res
nfqd_quic_client(struct nfqd_quic *q, struct nfqd_quic_conn *c,
    struct nfqd_reasm *ra, const uint8_t *buf, size_t len,
    struct nfqd_quic_out *out)
{
	const uint8_t		*dcid = NULL;
	struct lhdr		 h;
	enum nfqd_quic_why	 why;
	enum nfqd_l7_res	 res;
	size_t			 off = 0, before, contig;
	uint8_t			 dcid_len = 0;
	bool			 lead = false;	/* the first packet is an
						   Initial */

	memset(out, 0, sizeof(*out));
	if (c->version == 0 && not_quic(buf, len)) {
		out->why = NFQD_QUIC_R_NOT_QUIC;
		return NFQD_L7_NOT;
	}
	before = ra != NULL ? nfqd_reasm_contig(ra) : 0;
	while (off < len) {
		const uint8_t	*p = buf + off;
		bool		 first = off == 0;

		why = lhdr_parse(p, len - off, &h);
		if (why == NFQD_QUIC_R_NOT_QUIC && !(p[0] & LH_FORM))
			break;		/* a short header ends the datagram */
		/* RFC 9000 12.2: one connection ID per datagram. */
		if (!first && why != NFQD_QUIC_R_NOT_QUIC &&
		    !cid_eq(h.dcid, h.dcid_len, dcid, dcid_len))
			return bad_after(ra, before, NFQD_QUIC_R_COALESCED,
			    out);
		if (why != NFQD_QUIC_R_NONE) {
			refuse(out, why);
			break;		/* nothing says where it ends */
		}
		if (first) {
			dcid = h.dcid;
			dcid_len = h.dcid_len;
			lead = h.type == LT_INITIAL;
		}
		if (h.type == LT_RETRY) {
			refuse(out, NFQD_QUIC_R_HEADER);  /* a server's */
			break;
		}
		if (h.type == LT_INITIAL && !lead) {
			/* A server looks a datagram up by its first packet:
			   without a connection for the ID it drops one that
			   does not open with an Initial, with one it reads the
			   Initials after.  Nothing was read before (the packets
			   before are not Initials). */
			refuse(out, NFQD_QUIC_R_LEAD);
			break;
		}
		if (h.type != LT_INITIAL) {
			out->skipped++;
		} else if ((why = initial(q, c, ra, p, &h, first, len, out)) !=
		    NFQD_QUIC_R_NONE) {
			if (!first)
				return bad_after(ra, before, why, out);
			out->why = (uint8_t)why;
			return NFQD_L7_BAD;
		}
		if (out->new_conn)
			return NFQD_L7_MORE;
		off += h.end;
	}
	if (out->repeated > 0 && out->read > 0)
		return bad_after(ra, before, NFQD_QUIC_R_REUSED, out);
	if (out->repeated > 0)
		refuse(out, NFQD_QUIC_R_REPEAT);
	contig = ra != NULL ? nfqd_reasm_contig(ra) : 0;
	if (contig == before)
		return NFQD_L7_MORE;
	res = nfqd_tls_handshake_parse(nfqd_reasm_data(ra), contig,
	    &out->hello);
	if (res == NFQD_L7_BAD || (res == NFQD_L7_MORE &&
	    contig >= NFQD_REASM_MAX)) {
		out->why = NFQD_QUIC_R_TLS;
		return NFQD_L7_BAD;
	}
	return res;
}

/*
 * A server's datagram to a connection of version: a Version Negotiation
 * (version 0) or a Retry sets *restart_ok; the first long header's
 * Source Connection ID of the version becomes the server's ID.
 */
static void
server_look(uint32_t version, uint8_t *has_scid, uint8_t *scid_len,
    uint8_t *scid, uint8_t *restart_ok, const uint8_t *buf, size_t len)
{
	struct lhdr		h;
	enum nfqd_quic_why	why;

	if (version == 0)
		return;
	why = lhdr_parse(buf, len, &h);
	if (why == NFQD_QUIC_R_NOT_QUIC)
		return;
	if (h.version == 0) {
		*restart_ok = 1;
		return;
	}
	if (why != NFQD_QUIC_R_NONE || h.version != version)
		return;
	if (h.type == LT_RETRY) {
		*restart_ok = 1;
		return;
	}
	if (*has_scid)
		return;
	*scid_len = h.scid_len;
	memcpy(scid, h.scid, h.scid_len);
	*has_scid = 1;
}

void
nfqd_quic_server(struct nfqd_quic_conn *c, const uint8_t *buf, size_t len)
{
	server_look(c->version, &c->has_scid, &c->scid_len, c->scid,
	    &c->restart_ok, buf, len);
}

void
nfqd_quic_server_id(struct nfqd_quic_id *id, const uint8_t *buf, size_t len)
{
	server_look(id->version, &id->has_scid, &id->scid_len, id->scid,
	    &id->restart_ok, buf, len);
}

void
nfqd_quic_keep(const struct nfqd_quic_conn *c, uint16_t hello_end,
    struct nfqd_quic_id *id)
{
	memset(id, 0, sizeof(*id));
	id->version = c->version;
	id->hello_end = hello_end;
	id->dcid_len = c->dcid_len;
	id->scid_len = c->scid_len;
	id->has_scid = c->has_scid;
	id->restart_ok = c->restart_ok;
	memcpy(id->dcid, c->dcid, sizeof(id->dcid));
	memcpy(id->scid, c->scid, sizeof(id->scid));
}

int
nfqd_quic_resume(struct nfqd_quic *q, const struct nfqd_quic_id *id,
    struct nfqd_quic_conn *c)
{
	memset(c, 0, sizeof(*c));
	if (nfqd_quic_keys(q, id->version, id->dcid, id->dcid_len, &c->keys,
	    NULL) != 0)
		return -1;
	c->version = id->version;
	c->base = id->hello_end;
	c->dcid_len = id->dcid_len;
	c->scid_len = id->scid_len;
	c->has_scid = id->has_scid;
	c->restart_ok = id->restart_ok;
	c->learn = !id->has_scid;
	memcpy(c->dcid, id->dcid, sizeof(c->dcid));
	memcpy(c->scid, id->scid, sizeof(c->scid));
	return 0;
}

bool
nfqd_quic_has_initial(const uint8_t *buf, size_t len)
{
	struct lhdr	h;
	size_t		off = 0;

	while (off < len && lhdr_parse(buf + off, len - off, &h) ==
	    NFQD_QUIC_R_NONE) {
		if (h.type == LT_INITIAL)
			return true;
		off += h.end;
	}
	return false;
}

bool
nfqd_quic_is_initial(const uint8_t *buf, size_t len, uint32_t *version)
{
	struct lhdr	h;

	if (lhdr_parse(buf, len, &h) != NFQD_QUIC_R_NONE ||
	    h.type != LT_INITIAL)
		return false;
	*version = h.version;
	return true;
}

bool
nfqd_quic_opens(struct nfqd_quic *q, const uint8_t *buf, size_t len)
{
	struct lhdr	h;

	return len >= NFQD_QUIC_DGRAM_MIN &&
	    lhdr_parse(buf, len, &h) == NFQD_QUIC_R_NONE &&
	    h.type == LT_INITIAL && opens_alone(q, buf, &h);
}

const char *
nfqd_quic_why_str(unsigned why)
{
	if (why >= NFQD_QUIC_R_MAX || whys[why] == NULL)
		return "unknown";
	return whys[why];
}
