/*
 * A QUIC client's first flight, for tests and benchmarks (quicgen,
 * test_quicgen, bench_quic): a TLS 1.3 ClientHello (server name, ALPN,
 * optionally a post-quantum key share and padding, so it is 1.5-2.5 KB as
 * current browsers send it), its CRYPTO data cut into 1 to 4 frames, one
 * Initial packet each (v1 or v2, the same connection IDs), protected as
 * RFC 9001 5 says (keys by HKDF from the version's salt and the DCID,
 * AES-128-GCM, AES-128-ECB header protection, all through libcrypto's
 * EVP), the packets put in a chosen order and some of them coalesced, each
 * datagram padded to 1200 bytes or more.  Written apart from nfqd's own
 * reader (src/l7/quic.c, quickeys.c): nothing of it is shared, so one
 * cannot hide a mistake of the other.
 */
#ifndef NFQD_TESTS_QINITIAL_H
#define NFQD_TESTS_QINITIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QI_V1		0x00000001u
#define QI_V2		0x6b3343cfu
#define QI_PIECES_MAX	4		/* CRYPTO frames, packets, datagrams */
#define QI_HELLO_MAX	4096		/* the ClientHello, padded or not */
#define QI_DGRAM_MAX	(QI_HELLO_MAX + 1024)
#define QI_DGRAM_MIN	1200		/* RFC 9000 14.1 */
#define QI_CID_MAX	20
#define QI_ALPN_MAX	64

/* One connection's first flight, as asked for. */
struct qi_spec {
	uint32_t	version;	/* QI_V1 or QI_V2 */
	const char	*sni;		/* NULL or "": no server_name */
	const char	*alpn;		/* comma-separated; NULL or "": none */
	bool		 pq;		/* X25519MLKEM768 share (1216 bytes)
					   before the X25519 one */
	size_t		 size;		/* pad the hello to this many bytes
					   (padding extension); 0: as built */
	unsigned	 pieces;	/* 1..QI_PIECES_MAX */
	size_t		 cuts[QI_PIECES_MAX - 1];	/* where pieces start
					   (increasing); all 0: even cuts */
	unsigned	 order[QI_PIECES_MAX];	/* packets in the order sent
					   (a permutation of 0..pieces-1); all
					   0: 0, 1, 2, ... */
	unsigned	 coalesce;	/* packets per datagram, in the order
					   sent; 0 or 1: one each */
	bool		 pn_sent;	/* packet numbers in the order sent
					   (else packet i, piece i, has number
					   i: the network reordered them) */
	uint8_t		 dcid[QI_CID_MAX], scid[QI_CID_MAX];
	uint8_t		 dcid_len, scid_len;
	/* A later flight (a second hello after a HelloRetryRequest): */
	size_t		 crypto_off;	/* CRYPTO offset of the hello's byte
					   0 (the first hello's length) */
	unsigned	 pn_base;	/* packet numbers start here */
	const uint8_t	*key_dcid;	/* keys from this ID (the client's
					   first), not dcid (the server's) */
	uint8_t		 key_dcid_len;
	bool		 ping_only;	/* a PING frame where each CRYPTO
					   frame would be: Initials without
					   CRYPTO data, as a client's ACKs */
};

/* What one connection's flight became. */
struct qi_flight {
	uint8_t		 hello[QI_HELLO_MAX];	/* the ClientHello */
	size_t		 hello_len;
	unsigned	 npkts, ndgrams;
	size_t		 off[QI_PIECES_MAX], len[QI_PIECES_MAX]; /* piece i */
	unsigned	 dgram_pkts[QI_PIECES_MAX][QI_PIECES_MAX]; /* packets
					   of each datagram, in order */
	unsigned	 dgram_npkts[QI_PIECES_MAX];
	size_t		 dgram_len[QI_PIECES_MAX];
	uint8_t		 dgram[QI_PIECES_MAX][QI_DGRAM_MAX];
};

struct qi_ctx;		/* libcrypto's contexts, made once */

struct qi_ctx *qi_ctx_new(void);
void	qi_ctx_free(struct qi_ctx *x);

/* Random bytes from a seeded xorshift (repeatable runs); seed not 0. */
void	qi_seed(uint64_t seed);
void	qi_random(uint8_t *p, size_t n);

/*
 * The ClientHello of s (a handshake message, no record header) into out
 * (QI_HELLO_MAX bytes); its length, 0 when it does not fit or s is
 * invalid.
 */
size_t	qi_hello(const struct qi_spec *s, uint8_t *out);

/*
 * The flight of s into f: 0, or -1 with a message in err (errlen bytes)
 * when s is invalid (pieces, cuts, order, sizes) or libcrypto fails.
 */
int	qi_build(struct qi_ctx *x, const struct qi_spec *s, struct qi_flight *f,
	    char *err, size_t errlen);

/* "2,0,1" into order[]; the count, or 0 when it is not a permutation of
   0..n-1 for some n from 1 to QI_PIECES_MAX. */
unsigned qi_parse_order(const char *str, unsigned order[QI_PIECES_MAX]);

/*
 * Every permutation of 0..n-1 (n <= QI_PIECES_MAX), in lexicographic
 * order, into perms (room for 24); the count.
 */
unsigned qi_permutations(unsigned n, unsigned perms[][QI_PIECES_MAX]);

#endif
