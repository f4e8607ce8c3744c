/*
 * A QUIC client's first flight (qinitial.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "qinitial.h"

#define TAG_LEN		16
#define PN_LEN		2	/* bytes of every packet number */

struct qi_ctx {
	EVP_KDF		*kdf;
	EVP_CIPHER	*gcm_alg, *ecb_alg;
	EVP_CIPHER_CTX	*gcm, *ecb;
};

struct keys {
	uint8_t	key[16], iv[12], hp[16];
};

/* RFC 9001 5.2, RFC 9369 3.3.1. */
static const uint8_t salt_v1[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};
static const uint8_t salt_v2[20] = {
	0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
};

static uint64_t	rnd_state = 0x2545f4914f6cdd1dull;

void
qi_seed(uint64_t seed)
{
	rnd_state = seed != 0 ? seed : 0x2545f4914f6cdd1dull;
}

static uint64_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

void
qi_random(uint8_t *p, size_t n)
{
	uint64_t	r = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			r = rnd();
		p[i] = (uint8_t)r;
		r >>= 8;
	}
}

struct qi_ctx *
qi_ctx_new(void)
{
	struct qi_ctx	*x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	if ((x->kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (x->gcm_alg = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL)) ==
	    NULL ||
	    (x->ecb_alg = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL)) ==
	    NULL ||
	    (x->gcm = EVP_CIPHER_CTX_new()) == NULL ||
	    (x->ecb = EVP_CIPHER_CTX_new()) == NULL) {
		qi_ctx_free(x);
		return NULL;
	}
	return x;
}

void
qi_ctx_free(struct qi_ctx *x)
{
	if (x == NULL)
		return;
	EVP_CIPHER_CTX_free(x->ecb);
	EVP_CIPHER_CTX_free(x->gcm);
	EVP_CIPHER_free(x->ecb_alg);
	EVP_CIPHER_free(x->gcm_alg);
	EVP_KDF_free(x->kdf);
	free(x);
}

/* HKDF-Extract (salt given) or HKDF-Expand (info given), SHA-256. */
static int
hkdf(struct qi_ctx *x, int mode, const uint8_t *key, size_t keylen,
    const uint8_t *extra, size_t extralen, uint8_t *out, size_t outlen)
{
	static uint8_t	 empty[1];
	EVP_KDF_CTX	*k;
	OSSL_PARAM	 p[5];
	int		 r;

	if ((k = EVP_KDF_CTX_new(x->kdf)) == NULL)
		return -1;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    keylen > 0 ? (void *)key : empty, keylen);
	p[3] = OSSL_PARAM_construct_octet_string(
	    mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? OSSL_KDF_PARAM_SALT :
	    OSSL_KDF_PARAM_INFO, (void *)extra, extralen);
	p[4] = OSSL_PARAM_construct_end();
	r = EVP_KDF_derive(k, out, outlen, p) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(k);
	return r;
}

/* HKDF-Expand-Label(secret, label, "", len), RFC 8446 7.1. */
static int
expand_label(struct qi_ctx *x, const uint8_t secret[32], const char *label,
    uint8_t *out, size_t len)
{
	uint8_t	info[64];
	size_t	n = strlen(label), i = 0;

	info[i++] = (uint8_t)(len >> 8);
	info[i++] = (uint8_t)len;
	info[i++] = (uint8_t)(6 + n);
	memcpy(info + i, "tls13 ", 6);
	i += 6;
	memcpy(info + i, label, n);
	i += n;
	info[i++] = 0;
	return hkdf(x, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, 32, info, i, out,
	    len);
}

static int
derive(struct qi_ctx *x, uint32_t version, const uint8_t *dcid, size_t dlen,
    struct keys *k)
{
	bool	v2 = version == QI_V2;
	uint8_t	initial[32], client[32];

	return hkdf(x, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, dlen,
	    v2 ? salt_v2 : salt_v1, 20, initial, 32) != 0 ||
	    expand_label(x, initial, "client in", client, 32) != 0 ||
	    expand_label(x, client, v2 ? "quicv2 key" : "quic key", k->key,
	    16) != 0 ||
	    expand_label(x, client, v2 ? "quicv2 iv" : "quic iv", k->iv,
	    12) != 0 ||
	    expand_label(x, client, v2 ? "quicv2 hp" : "quic hp", k->hp,
	    16) != 0 ? -1 : 0;
}

static uint8_t *
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

/* A variable-length integer (RFC 9000 16) in its shortest form. */
static uint8_t *
put_varint(uint8_t *p, uint64_t v)
{
	if (v < 64) {
		*p++ = (uint8_t)v;
	} else if (v < 16384) {
		p = put16(p, 0x4000 | (size_t)v);
	} else {
		p[0] = (uint8_t)(0x80 | v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p = put16(p + 2, (size_t)(v & 0xffff));
	}
	return p;
}

/* ALPN's protocol_name_list from "h3,h3-29"; its length, 0 on error. */
static size_t
alpn_list(const char *s, uint8_t *out, size_t cap)
{
	size_t	n = 0, l;

	while (*s != '\0') {
		l = strcspn(s, ",");
		if (l == 0 || l > 255 || n + 1 + l > cap)
			return 0;
		out[n++] = (uint8_t)l;
		memcpy(out + n, s, l);
		n += l;
		s += l;
		if (*s == ',')
			s++;
	}
	return n;
}

size_t
qi_hello(const struct qi_spec *s, uint8_t *out)
{
	static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303 };
	static const uint16_t sigalgs[] = {
		0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
		0x0601,
	};
	uint8_t		 alpn[QI_ALPN_MAX], *p = out, *ext, *l;
	size_t		 nlen = s->sni != NULL ? strlen(s->sni) : 0;
	size_t		 alen = 0, i, len, pad;

	if (nlen > 253)
		return 0;
	if (s->alpn != NULL && *s->alpn != '\0' &&
	    (alen = alpn_list(s->alpn, alpn, sizeof(alpn))) == 0)
		return 0;
	*p++ = 0x01;			/* ClientHello */
	p += 3;
	p = put16(p, 0x0303);
	qi_random(p, 32);
	p += 32;
	*p++ = 0;			/* no session id in QUIC */
	p = put16(p, sizeof(suites));
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		p = put16(p, suites[i]);
	*p++ = 1;
	*p++ = 0;
	p += 2;
	ext = p;
	if (nlen > 0) {
		p = put16(p, 0x0000);	/* server_name */
		p = put16(p, nlen + 5);
		p = put16(p, nlen + 3);
		*p++ = 0;
		p = put16(p, nlen);
		memcpy(p, s->sni, nlen);
		p += nlen;
	}
	p = put16(p, 0x000a);		/* supported_groups */
	p = put16(p, s->pq ? 10 : 8);
	p = put16(p, s->pq ? 8 : 6);
	if (s->pq)
		p = put16(p, 0x11ec);	/* X25519MLKEM768 */
	p = put16(p, 0x001d);
	p = put16(p, 0x0017);
	p = put16(p, 0x0018);
	if (alen > 0) {
		p = put16(p, 0x0010);	/* ALPN */
		p = put16(p, alen + 2);
		p = put16(p, alen);
		memcpy(p, alpn, alen);
		p += alen;
	}
	p = put16(p, 0x000d);		/* signature_algorithms */
	p = put16(p, sizeof(sigalgs) + 2);
	p = put16(p, sizeof(sigalgs));
	for (i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		p = put16(p, sigalgs[i]);
	p = put16(p, 0x002b);		/* supported_versions: 1.3 */
	p = put16(p, 3);
	*p++ = 2;
	p = put16(p, 0x0304);
	p = put16(p, 0x002d);		/* psk_key_exchange_modes */
	p = put16(p, 2);
	*p++ = 1;
	*p++ = 1;
	p = put16(p, 0x0033);		/* key_share */
	l = p;
	p += 4;
	if (s->pq) {
		p = put16(p, 0x11ec);	/* ML-KEM-768 key, then X25519 */
		p = put16(p, 1216);
		qi_random(p, 1216);
		p += 1216;
	}
	p = put16(p, 0x001d);
	p = put16(p, 32);
	qi_random(p, 32);
	p += 32;
	put16(l, (size_t)(p - l - 4) + 2);
	put16(l + 2, (size_t)(p - l - 4));
	p = put16(p, 0x0039);		/* quic_transport_parameters */
	l = p;
	p += 2;
	p = put_varint(p, 0x04);	/* initial_max_data */
	p = put_varint(p, 4);
	p = put_varint(p, 1048576);
	p = put_varint(p, 0x08);	/* initial_max_streams_bidi */
	p = put_varint(p, 1);
	p = put_varint(p, 16);
	p = put_varint(p, 0x0f);	/* initial_source_connection_id */
	p = put_varint(p, s->scid_len);
	memcpy(p, s->scid, s->scid_len);
	p += s->scid_len;
	put16(l, (size_t)(p - l - 2));
	len = (size_t)(p - out);
	if (s->size > 0) {
		/* Padding (RFC 7685): an extension of 4 bytes and more. */
		if (s->size < len + 4 || s->size > QI_HELLO_MAX)
			return 0;
		pad = s->size - len - 4;
		p = put16(p, 0x0015);
		p = put16(p, pad);
		memset(p, 0, pad);
		p += pad;
	}
	put16(ext - 2, (size_t)(p - ext));
	len = (size_t)(p - out);
	out[1] = (uint8_t)((len - 4) >> 16);
	put16(out + 2, len - 4);
	return len;
}

/*
 * One Initial packet into out: CRYPTO hello[off, off + len) at that
 * offset (a PING with s->ping_only), pad bytes of PADDING, packet number pn; its length, 0 on a
 * libcrypto failure.
 */
static size_t
packet(struct qi_ctx *x, const struct qi_spec *s, const struct keys *k,
    unsigned pn, const uint8_t *hello, size_t off, size_t len, size_t pad,
    uint8_t *out)
{
	uint8_t		 fr[QI_DGRAM_MAX], nonce[12], mask[16], *p = fr;
	size_t		 fl, hl = 0, pn_off, i;
	int		 n;

	if (s->ping_only) {
		*p++ = 0x01;
	} else {
		*p++ = 0x06;
		p = put_varint(p, s->crypto_off + off);
		p = put_varint(p, len);
		memcpy(p, hello + off, len);
		p += len;
	}
	memset(p, 0, pad);
	p += pad;
	fl = (size_t)(p - fr);
	/* Initial: type 0 in v1, 1 in v2 (RFC 9369 3.2). */
	out[hl++] = (uint8_t)(0xc0 | (s->version == QI_V2 ? 1 : 0) << 4 |
	    (PN_LEN - 1));
	out[hl++] = (uint8_t)(s->version >> 24);
	out[hl++] = (uint8_t)(s->version >> 16);
	out[hl++] = (uint8_t)(s->version >> 8);
	out[hl++] = (uint8_t)s->version;
	out[hl++] = s->dcid_len;
	memcpy(out + hl, s->dcid, s->dcid_len);
	hl += s->dcid_len;
	out[hl++] = s->scid_len;
	memcpy(out + hl, s->scid, s->scid_len);
	hl += s->scid_len;
	out[hl++] = 0;			/* no token */
	put16(out + hl, 0x4000 | (PN_LEN + fl + TAG_LEN));
	hl += 2;
	pn_off = hl;
	put16(out + hl, pn);
	hl += PN_LEN;
	memcpy(nonce, k->iv, 12);
	nonce[10] ^= (uint8_t)(pn >> 8);
	nonce[11] ^= (uint8_t)pn;
	if (EVP_EncryptInit_ex(x->gcm, x->gcm_alg, NULL, k->key, nonce) != 1 ||
	    EVP_EncryptUpdate(x->gcm, NULL, &n, out, (int)hl) != 1 ||
	    EVP_EncryptUpdate(x->gcm, out + hl, &n, fr, (int)fl) != 1 ||
	    EVP_EncryptFinal_ex(x->gcm, out + hl + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x->gcm, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    out + hl + fl) != 1)
		return 0;
	/* Header protection: the sample starts 4 bytes past the PN's start. */
	if (EVP_EncryptInit_ex(x->ecb, x->ecb_alg, NULL, k->hp, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(x->ecb, 0) != 1 ||
	    EVP_EncryptUpdate(x->ecb, mask, &n, out + pn_off + 4, 16) != 1 ||
	    n != 16)
		return 0;
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < PN_LEN; i++)
		out[pn_off + i] ^= mask[1 + i];
	return hl + fl + TAG_LEN;
}

unsigned
qi_parse_order(const char *str, unsigned order[QI_PIECES_MAX])
{
	unsigned	n = 0, seen = 0, v;
	char		*end;

	while (*str != '\0') {
		if (n == QI_PIECES_MAX || *str < '0' || *str > '9')
			return 0;
		v = (unsigned)strtoul(str, &end, 10);
		if (v >= QI_PIECES_MAX || (seen & 1u << v))
			return 0;
		seen |= 1u << v;
		order[n++] = v;
		str = end;
		if (*str == ',')
			str++;
		else if (*str != '\0')
			return 0;
	}
	return n > 0 && seen == (1u << n) - 1 ? n : 0;
}

static void
permute(unsigned n, unsigned k, unsigned *cur, unsigned used,
    unsigned perms[][QI_PIECES_MAX], unsigned *count)
{
	unsigned	i;

	if (k == n) {
		memcpy(perms[(*count)++], cur, n * sizeof(*cur));
		return;
	}
	for (i = 0; i < n; i++) {
		if (used & 1u << i)
			continue;
		cur[k] = i;
		permute(n, k + 1, cur, used | 1u << i, perms, count);
	}
}

unsigned
qi_permutations(unsigned n, unsigned perms[][QI_PIECES_MAX])
{
	unsigned	cur[QI_PIECES_MAX], count = 0;

	if (n == 0 || n > QI_PIECES_MAX)
		return 0;
	permute(n, 0, cur, 0, perms, &count);
	return count;
}

/* Whether order[0..n) is a permutation of 0..n-1. */
static bool
is_perm(const unsigned *order, unsigned n)
{
	unsigned	i, seen = 0;

	for (i = 0; i < n; i++) {
		if (order[i] >= n || (seen & 1u << order[i]))
			return false;
		seen |= 1u << order[i];
	}
	return true;
}

int
qi_build(struct qi_ctx *x, const struct qi_spec *s, struct qi_flight *f,
    char *err, size_t errlen)
{
	uint8_t		*hello = f->hello;
	unsigned	 order[QI_PIECES_MAX], per, i, j, d, pkt, pn;
	size_t		 n, plen, off;
	struct keys	 k;
	bool		 all0 = true;

	memset(f, 0, sizeof(*f));
	if (s->version != QI_V1 && s->version != QI_V2) {
		snprintf(err, errlen, "version 0x%08x is neither 1 nor 2",
		    s->version);
		return -1;
	}
	if (s->pieces < 1 || s->pieces > QI_PIECES_MAX) {
		snprintf(err, errlen, "%u pieces: 1 to %d", s->pieces,
		    QI_PIECES_MAX);
		return -1;
	}
	if (s->dcid_len > QI_CID_MAX || s->scid_len > QI_CID_MAX) {
		snprintf(err, errlen, "connection ID over %d bytes",
		    QI_CID_MAX);
		return -1;
	}
	if ((f->hello_len = qi_hello(s, hello)) == 0) {
		snprintf(err, errlen, "the hello does not fit (name, ALPN or "
		    "size %zu)", s->size);
		return -1;
	}
	for (i = 0; i + 1 < s->pieces; i++)
		if (s->cuts[i] != 0)
			all0 = false;
	for (i = 0; i < s->pieces; i++) {
		f->off[i] = i == 0 ? 0 : all0 ? f->hello_len * i / s->pieces :
		    s->cuts[i - 1];
		if (i > 0 && (f->off[i] <= f->off[i - 1] ||
		    f->off[i] >= f->hello_len)) {
			snprintf(err, errlen, "cut %zu: not inside the hello "
			    "(%zu bytes) after the one before", f->off[i],
			    f->hello_len);
			return -1;
		}
	}
	for (i = 0; i < s->pieces; i++)
		f->len[i] = (i + 1 < s->pieces ? f->off[i + 1] :
		    f->hello_len) - f->off[i];
	all0 = true;
	for (i = 0; i < s->pieces; i++)
		if (s->order[i] != 0)
			all0 = false;
	for (i = 0; i < s->pieces; i++)
		order[i] = all0 ? i : s->order[i];
	if (!is_perm(order, s->pieces)) {
		snprintf(err, errlen, "the order is not a permutation of "
		    "0..%u", s->pieces - 1);
		return -1;
	}
	if (s->key_dcid_len > QI_CID_MAX || (s->key_dcid != NULL ?
	    derive(x, s->version, s->key_dcid, s->key_dcid_len, &k) :
	    derive(x, s->version, s->dcid, s->dcid_len, &k)) != 0) {
		snprintf(err, errlen, "libcrypto: HKDF failed");
		return -1;
	}
	per = s->coalesce > 1 ? s->coalesce : 1;
	f->npkts = s->pieces;
	f->ndgrams = (s->pieces + per - 1) / per;
	for (d = 0, i = 0; d < f->ndgrams; d++) {
		for (j = 0; j < per && i < s->pieces; j++, i++)
			f->dgram_pkts[d][f->dgram_npkts[d]++] = order[i];
		/* Each packet bare, then the last padded to 1200 bytes. */
		for (off = 0, j = 0; j < f->dgram_npkts[d]; j++) {
			pkt = f->dgram_pkts[d][j];
			pn = s->pn_base + (s->pn_sent ?
			    i - f->dgram_npkts[d] + j : pkt);
			n = packet(x, s, &k, pn, hello, f->off[pkt],
			    f->len[pkt], 0, f->dgram[d] + off);
			if (n == 0)
				goto crypto;
			plen = n;
			if (j + 1 == f->dgram_npkts[d] &&
			    off + plen < QI_DGRAM_MIN) {
				plen = packet(x, s, &k, pn, hello, f->off[pkt],
				    f->len[pkt], QI_DGRAM_MIN - off - n,
				    f->dgram[d] + off);
				if (plen == 0)
					goto crypto;
			}
			/* At most QI_HELLO_MAX bytes of CRYPTO data and
			   under 80 bytes of headers, frame and tag a packet,
			   or 1200 bytes in all: under QI_DGRAM_MAX. */
			off += plen;
		}
		f->dgram_len[d] = off;
	}
	return 0;
crypto:
	snprintf(err, errlen, "libcrypto: AES-128-GCM or -ECB failed");
	return -1;
}
