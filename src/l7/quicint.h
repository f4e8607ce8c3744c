/*
 * What quic.c (long headers, frames, connections) and quickeys.c (keys,
 * packet protection) share.
 */
#ifndef NFQD_L7_QUICINT_H
#define NFQD_L7_QUICINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "nfqd/l7/quic.h"

#define LH_FORM		0x80	/* long header */
#define LH_FIXED	0x40
#define LH_RESERVED	0x0c	/* after header protection is removed */
#define SAMPLE_LEN	16
#define TAG_LEN		16
#define PN_SKIP		4	/* the sample starts 4 bytes past the PN */
#define PLAIN_MAX	65536	/* a UDP payload and then some */
#define QUIC_NVERSIONS	2	/* 1 and 2 (quickeys.c) */

/* Long header packet types, as each version numbers them. */
enum lh_type { LT_INITIAL, LT_0RTT, LT_HANDSHAKE, LT_RETRY };

struct qversion {
	uint32_t	version;
	uint8_t		salt[20];
	const char	*key, *iv, *hp;		/* HKDF-Expand-Label labels */
	uint8_t		type[4];		/* wire type bits -> lh_type */
};

struct nfqd_quic {
	EVP_MAC		*mac_alg;
	EVP_MAC_CTX	*salted[QUIC_NVERSIONS];	/* HMAC keyed with a
						   version's salt */
	EVP_MAC_CTX	*hmac;			/* HMAC-SHA256, any key */
	EVP_CIPHER	*ecb_alg, *gcm_alg;
	EVP_CIPHER_CTX	*ecb, *gcm;
	uint8_t		 hp_key[16], gcm_key[16];	/* the keys ecb and gcm
					   hold, when hp_set, gcm_set */
	bool		 hp_set, gcm_set;
	uint8_t		 plain[PLAIN_MAX];	/* one packet's frames */
};

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

/* What one Initial opened to. */
struct opened {
	size_t		len;		/* plaintext bytes in q->plain */
	uint64_t	pn;
	uint8_t		first;		/* the first byte, unprotected */
};

/* The version's constants, NULL for one not 1 or 2. */
const struct qversion *quic_qversion(uint32_t v);

/*
 * Remove header protection and decrypt the Initial p (header h) with k.
 * NONE, DECRYPT (the tag), or PN (a packet number NFQD_QUIC_PN_MAX or more,
 * not decrypted).  Packet numbers: while fewer than 64 Initials were
 * read, the expected number is under 64 and every encoding (1 to 4 bytes)
 * decodes to the truncated value itself (RFC 9000 A.3), so that value is
 * the packet number.
 */
enum nfqd_quic_why quic_open_initial(struct nfqd_quic *q,
	    const struct nfqd_quic_keys *k, const uint8_t *p,
	    const struct lhdr *h, struct opened *o);

#endif
