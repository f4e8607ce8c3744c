/*
 * QUIC Initial keys and packet protection (quic.c reads the packets).
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

#include "quicint.h"

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

_Static_assert(sizeof(versions) / sizeof(versions[0]) == QUIC_NVERSIONS,
    "QUIC_NVERSIONS versions");

/* The version's constants, NULL for one not 1 or 2. */
const struct qversion *
quic_qversion(uint32_t v)
{
	size_t	i;

	for (i = 0; i < QUIC_NVERSIONS; i++)
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
	for (i = 0; i < QUIC_NVERSIONS; i++)
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
	for (i = 0; i < QUIC_NVERSIONS; i++)
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
	const struct qversion	*v = quic_qversion(version);
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

/*
 * Remove header protection and decrypt the Initial p (header h) with k.
 * NONE, DECRYPT (the tag), or PN (a packet number NFQD_QUIC_PN_MAX or more,
 * not decrypted).  Packet numbers: while fewer than 64 Initials were
 * read, the expected number is under 64 and every encoding (1 to 4 bytes)
 * decodes to the truncated value itself (RFC 9000 A.3), so that value is
 * the packet number.
 */
enum nfqd_quic_why
quic_open_initial(struct nfqd_quic *q, const struct nfqd_quic_keys *k,
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
