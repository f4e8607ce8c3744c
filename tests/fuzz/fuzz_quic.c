/*
 * libFuzzer target for nfqd_quic_client(): a connection's client
 * datagrams, one after another, into one reassembly buffer.
 *
 * A fuzzer cannot forge AEAD tags, so the input says, per datagram,
 * whether it is raw bytes (the header paths: lengths, versions, IDs) or
 * plaintext frames that the target wraps in a v1 or v2 Initial and
 * encrypts with the keys of a fixed Destination Connection ID (the frame
 * parser, the reassembly by offset, the bare hello parser).  Input: a
 * sequence of chunks, each [kind, pn, len_hi, len_lo, bytes...]; kind bit
 * 0: plaintext, bit 1: v2, bits 2-3: packet number length - 1, bit 4: a
 * second datagram from the server first (with a Source Connection ID),
 * bit 5: the DCID is another one (encrypted with the fixed ID's keys),
 * bit 6: once the first hello is read, the datagram is read without a
 * buffer (CRYPTO data only noted).
 *
 * After a first hello is read whole, the connection is kept
 * (nfqd_quic_keep()) and each later datagram read as l7udp.c reads a
 * decided flow's: resumed (keys derived again, base the first hello's
 * end) into a buffer whose byte 0 is that end, for a second hello.
 *
 * Beyond "no crash" it asserts: the answer and reason agree and are in
 * range; NOT only before any Initial was read, and with nothing read;
 * new_conn only with MORE and nothing read; a DONE hello is what the bare
 * hello parser says of the reassembled bytes, in its normal form; the
 * calls stop once the answer is DONE or BAD, as l7udp.c's do.  Datagrams
 * are copied to buffers of exactly their size.
 *
 *   make fuzz
 *   d=$(mktemp -d); cp -r tests/fuzz/corpus/quic/. $d
 *   build/fuzz/fuzz_quic -max_total_time=60 -rss_limit_mb=2048 $d
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "nfqd/l7/quic.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/l7/tls.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

static struct nfqd_quic		*q;
static struct nfqd_reasm_pool	*pool;
static EVP_CIPHER_CTX		*gcm, *ecb;
static struct nfqd_quic_keys	 keys[2];	/* v1, v2 */
static const uint8_t		 dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e,
				    0x51, 0x57, 0x08 };

static void
setup(void)
{
	if (q != NULL)
		return;
	if ((q = nfqd_quic_new()) == NULL ||
	    (pool = nfqd_reasm_pool_new(1)) == NULL ||
	    (gcm = EVP_CIPHER_CTX_new()) == NULL ||
	    (ecb = EVP_CIPHER_CTX_new()) == NULL ||
	    nfqd_quic_keys(q, NFQD_QUIC_V1, dcid, sizeof(dcid), &keys[0],
	    NULL) != 0 ||
	    nfqd_quic_keys(q, NFQD_QUIC_V2, dcid, sizeof(dcid), &keys[1],
	    NULL) != 0)
		abort();
}

/* An Initial around plaintext frames f[0..n), padded to 1200 bytes. */
static size_t
wrap(uint8_t kind, uint8_t pn, const uint8_t *f, size_t n, uint8_t *out)
{
	const struct nfqd_quic_keys *k = &keys[(kind >> 1) & 1];
	uint8_t		 nonce[12], mask[16];
	size_t		 hl = 0, pnlen = (size_t)((kind >> 2) & 3) + 1, pn_off;
	size_t		 i, body;
	int		 l;

	/* The header is 18 bytes and the packet number; PADDING after
	   the frames fills the datagram to 1200 bytes. */
	body = pnlen + n + 16;
	if (body < 1200 - 18)
		body = 1200 - 18;
	out[hl++] = (uint8_t)((kind & 2 ? 0xd0 : 0xc0) | (pnlen - 1));
	memcpy(out + hl, kind & 2 ? "\x6b\x33\x43\xcf" : "\x00\x00\x00\x01", 4);
	hl += 4;
	out[hl++] = 8;
	memcpy(out + hl, kind & 0x20 ? (const uint8_t *)"otherid!" : dcid, 8);
	hl += 8;
	out[hl++] = 0;		/* SCID */
	out[hl++] = 0;		/* token */
	out[hl++] = (uint8_t)(0x40 | body >> 8);
	out[hl++] = (uint8_t)body;
	pn_off = hl;
	for (i = 0; i < pnlen; i++)
		out[hl++] = i == pnlen - 1 ? pn : 0;
	memcpy(out + hl, f, n);
	memset(out + hl + n, 0, body - pnlen - 16 - n);
	memcpy(nonce, k->iv, 12);
	nonce[11] ^= pn;
	if (EVP_EncryptInit_ex(gcm, EVP_aes_128_gcm(), NULL, k->key, nonce) != 1 ||
	    EVP_EncryptUpdate(gcm, NULL, &l, out, (int)hl) != 1 ||
	    EVP_EncryptUpdate(gcm, out + hl, &l, out + hl,
	    (int)(body - pnlen - 16)) != 1 ||
	    EVP_EncryptFinal_ex(gcm, out + hl + l, &l) != 1 ||
	    EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_GET_TAG, 16,
	    out + pn_off + body - 16) != 1 ||
	    EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), NULL, k->hp, NULL) != 1 ||
	    EVP_EncryptUpdate(ecb, mask, &l, out + pn_off + 4, 16) != 1)
		abort();
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pnlen; i++)
		out[pn_off + i] ^= mask[1 + i];
	return pn_off + body;
}

static void
check(enum nfqd_l7_res r, const struct nfqd_quic_out *o, bool had,
    struct nfqd_reasm *ra)
{
	struct nfqd_tls_hello	h;

	ASSERT(r == NFQD_L7_MORE || r == NFQD_L7_DONE || r == NFQD_L7_NOT ||
	    r == NFQD_L7_BAD);
	ASSERT(o->why < NFQD_QUIC_R_MAX);
	ASSERT(strcmp(nfqd_quic_why_str(o->why), "unknown") != 0);
	ASSERT(nfqd_reasm_contig(ra) <= NFQD_REASM_MAX);
	if (r == NFQD_L7_NOT)
		ASSERT(!had && o->read == 0 && o->why == NFQD_QUIC_R_NOT_QUIC);
	if (o->new_conn)
		ASSERT(r == NFQD_L7_MORE && o->read == 0);
	if (r == NFQD_L7_BAD)
		ASSERT(o->why >= NFQD_QUIC_R_FRAME);
	if (r == NFQD_L7_MORE)
		ASSERT(o->why < NFQD_QUIC_R_FRAME);
	if (o->refused == 0 && r != NFQD_L7_BAD && r != NFQD_L7_NOT)
		ASSERT(o->why == NFQD_QUIC_R_NONE);
	if (r == NFQD_L7_DONE) {
		ASSERT(o->why == NFQD_QUIC_R_NONE || o->refused > 0);
		ASSERT(o->read > 0);
		ASSERT(nfqd_tls_handshake_parse(nfqd_reasm_data(ra),
		    nfqd_reasm_contig(ra), &h) == NFQD_L7_DONE);
		ASSERT(memcmp(&h, &o->hello, sizeof(h)) == 0);
		ASSERT(o->hello.used <= nfqd_reasm_contig(ra));
		ASSERT(strlen(o->hello.sni) == o->hello.sni_len);
	}
}

/* A resumed connection's datagram: r, o with ra (NULL: none), before:
   its contig before. */
static void
check_later(enum nfqd_l7_res r, const struct nfqd_quic_out *o,
    struct nfqd_reasm *ra, size_t before, uint16_t base)
{
	struct nfqd_tls_hello	h;

	ASSERT(r == NFQD_L7_MORE || r == NFQD_L7_DONE || r == NFQD_L7_BAD);
	ASSERT(o->why < NFQD_QUIC_R_MAX);
	if (o->new_conn)
		ASSERT(r == NFQD_L7_MORE && o->read == 0);
	if (ra == NULL) {
		ASSERT(r != NFQD_L7_DONE);
		return;
	}
	ASSERT(nfqd_reasm_seq0(ra) == base);
	ASSERT(nfqd_reasm_contig(ra) <= NFQD_REASM_MAX);
	if (nfqd_reasm_contig(ra) != before)
		ASSERT(o->crypto_past);
	if (r == NFQD_L7_DONE) {
		ASSERT(o->read > 0 && o->crypto_past);
		ASSERT(nfqd_tls_handshake_parse(nfqd_reasm_data(ra),
		    nfqd_reasm_contig(ra), &h) == NFQD_L7_DONE);
		ASSERT(memcmp(&h, &o->hello, sizeof(h)) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 dg[65536];
	struct nfqd_quic_conn	 c;
	struct nfqd_quic_id	 id;
	struct nfqd_quic_out	 o;
	struct nfqd_reasm	*ra;
	enum nfqd_l7_res	 r;
	uint8_t			*b;
	const uint8_t		*ld;
	size_t			 off = 0, n, len, before, ldl;
	uint8_t			 kind, pn;
	bool			 had, lead, later = false;

	setup();
	memset(&c, 0, sizeof(c));
	if ((ra = nfqd_reasm_get(pool, 0)) == NULL)
		abort();
	while (size - off >= 4) {
		kind = data[off];
		pn = data[off + 1];
		n = (size_t)data[off + 2] << 8 | data[off + 3];
		off += 4;
		if (n > size - off)
			n = size - off;
		if (kind & 0x10) {
			/* The server's Initial: its SCID is the chunk's
			   first 4 bytes (fewer if shorter). */
			uint8_t	s[64] = { 0xc0, 0, 0, 0, 1, 0, 4 };

			memcpy(s + 7, data + off, n < 4 ? n : 4);
			s[11] = 0;
			s[12] = 0x40;
			s[13] = 40;
			if (later)
				nfqd_quic_server_id(&id, s, sizeof(s));
			else
				nfqd_quic_server(&c, s, sizeof(s));
		}
		if ((kind & 1) && n <= 16000)
			len = wrap(kind, pn, data + off, n, dg);
		else
			memcpy(dg, data + off, len = n);
		off += n;
		if ((b = malloc(len > 0 ? len : 1)) == NULL)
			abort();
		memcpy(b, dg, len);
		if (later) {
			/* As l7udp.c reads a decided flow's datagram. */
			if (nfqd_quic_resume(q, &id, &c) != 0)
				abort();
			ASSERT(c.base == id.hello_end);
			before = nfqd_reasm_contig(ra);
			r = nfqd_quic_client(q, &c, kind & 0x40 ? NULL : ra, b,
			    len, &o);
			free(b);
			check_later(r, &o, kind & 0x40 ? NULL : ra, before,
			    id.hello_end);
			if (kind & 0x40)
				ASSERT(nfqd_reasm_contig(ra) == before);
			if (c.has_scid && !id.has_scid) {
				id.scid_len = c.scid_len;
				memcpy(id.scid, c.scid, sizeof(id.scid));
				id.has_scid = 1;
			}
			if (o.new_conn || r == NFQD_L7_DONE ||
			    r == NFQD_L7_BAD)
				break;
			continue;
		}
		had = c.version != 0;
		lead = nfqd_quic_lead_dcid(b, len, &ld, &ldl);
		ASSERT(!lead || (ldl <= NFQD_QUIC_CID_MAX && ld >= b &&
		    ld + ldl <= b + len));
		/* A GSO packet's scan reads within it, whatever it holds
		   (ASan says where not); an Initial's first byte and
		   version past byte 0 take 6 bytes. */
		if (nfqd_quic_gso_hidden(b, len))
			ASSERT(len >= 6);
		r = nfqd_quic_client(q, &c, ra, b, len, &o);
		/* A connection's first Initial is read only from a datagram
		   that opens with one, for the ID nfqd_quic_lead_dcid() says
		   (the ID l7udp.c claims). */
		if (!had && c.version != 0)
			ASSERT(lead && ldl == c.dcid_len &&
			    memcmp(ld, c.dcid, ldl) == 0);
		free(b);
		check(r, &o, had, ra);
		if (o.new_conn) {
			memset(&c, 0, sizeof(c));
			nfqd_reasm_put(pool, ra);
			if ((ra = nfqd_reasm_get(pool, 0)) == NULL)
				abort();
			continue;
		}
		if (r == NFQD_L7_BAD)
			break;
		if (r == NFQD_L7_DONE) {
			/* Decided: kept, read on for a second hello. */
			nfqd_quic_keep(&c, (uint16_t)o.hello.used, &id);
			ASSERT(id.version == c.version &&
			    id.dcid_len == c.dcid_len);
			nfqd_reasm_put(pool, ra);
			if ((ra = nfqd_reasm_get(pool, id.hello_end)) == NULL)
				abort();
			later = true;
		}
	}
	nfqd_reasm_put(pool, ra);
	return 0;
}
