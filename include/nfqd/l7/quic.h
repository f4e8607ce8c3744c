/*
 * QUIC Initial packets of a client (version 1, RFC 9000/9001, and
 * version 2, RFC 9369): the keys derived from the Destination Connection
 * ID, header protection and AEAD removed through OpenSSL's libcrypto, the
 * CRYPTO frames put together by offset (any order, over any number of
 * packets and datagrams) in a reassembly buffer (reasm.h), and the
 * ClientHello they hold read by tls.h's parser for a bare handshake
 * message.
 */
#ifndef NFQD_L7_QUIC_H
#define NFQD_L7_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/l7/l7parse.h"
#include "nfqd/l7/tls.h"

#define NFQD_QUIC_V1		0x00000001u
#define NFQD_QUIC_V2		0x6b3343cfu
#define NFQD_QUIC_CID_MAX	20	/* bytes of a v1/v2 connection ID */
/* A client's datagram with an Initial in it is at least this long; a
 * server discards a shorter one (RFC 9000 14.1). */
#define NFQD_QUIC_DGRAM_MIN	1200
/* Initial packet numbers a connection may use before its hello is read. */
#define NFQD_QUIC_PN_MAX	64

/*
 * Why a datagram was refused, whole or in part (counters, logs, tests).
 * The ones up to NFQD_QUIC_R_REPEAT concern one packet, which a server
 * would discard too (or, for VERSION, one of a version nfqd does not read;
 * for LEAD, REPEAT and RESTART, one a server may read where nfqd cannot
 * tell); the
 * ones from NFQD_QUIC_R_FRAME on make the connection BAD.
 */
enum nfqd_quic_why {
	NFQD_QUIC_R_NONE = 0,
	NFQD_QUIC_R_NOT_QUIC,	/* NOT: no long header at the start */
	NFQD_QUIC_R_VERSION,	/* a long header of a version other than
				   1 and 2, in a datagram of 1200 bytes or
				   more (version negotiation included) */
	NFQD_QUIC_R_SHORT,	/* a v1/v2 Initial in a datagram under 1200
				   bytes */
	NFQD_QUIC_R_HEADER,	/* a header cut short, a connection ID over
				   20 bytes, a token or length past the
				   datagram, too few bytes to sample */
	NFQD_QUIC_R_DECRYPT,	/* the AEAD tag does not verify */
	NFQD_QUIC_R_DCID,	/* an Initial for another connection ID that
				   does not decrypt with its own keys */
	NFQD_QUIC_R_PN,		/* packet number NFQD_QUIC_PN_MAX or more */
	NFQD_QUIC_R_LEAD,	/* an Initial in a datagram whose first packet
				   is not one: a server that has no
				   connection for its ID drops the datagram
				   (a lookup by its first packet), one that
				   has one reads it */
	NFQD_QUIC_R_REPEAT,	/* a datagram whose Initials all carry packet
				   numbers read before: a server that never
				   got the first copy reads it */
	NFQD_QUIC_R_RESTART,	/* an Initial for the connection's IDs after
				   the server sent a Retry or a Version
				   Negotiation (restart_ok): a client must
				   not go on with them (RFC 9000 17.2.5.2),
				   and a server that takes them up again
				   holds bytes nfqd would forget */
	NFQD_QUIC_R_FRAME,	/* BAD: a frame other than PADDING, PING,
				   ACK, CRYPTO, a frame cut short, no frames,
				   reserved header bits set */
	NFQD_QUIC_R_COALESCED,	/* BAD: a coalesced packet with another
				   Destination Connection ID, or an Initial
				   of another version */
	NFQD_QUIC_R_CONFLICT,	/* BAD: CRYPTO bytes that differ from bytes
				   already read at the same offset */
	NFQD_QUIC_R_TOO_BIG,	/* BAD: CRYPTO data at or past 16 KiB */
	NFQD_QUIC_R_TLS,	/* BAD: not a well-formed ClientHello
				   (hello.why says why) */
	NFQD_QUIC_R_REUSED,	/* BAD: a packet number read before, with
				   new packets in the same datagram */
	NFQD_QUIC_R_MAX
};

/* The keys that protect a client's Initial packets. */
struct nfqd_quic_keys {
	uint8_t		key[16];	/* AEAD_AES_128_GCM */
	uint8_t		iv[12];
	uint8_t		hp[16];		/* header protection, AES-128-ECB */
};

/*
 * What a connection keeps while its ClientHello is incomplete (zero it
 * for a new one).  The keys come from the Destination Connection ID of
 * the first Initial that decrypts; later Initials are read with them
 * when they carry that ID or the one the server chose (its Source
 * Connection ID, nfqd_quic_server()).
 */
struct nfqd_quic_conn {
	struct nfqd_quic_keys keys;
	uint32_t	version;	/* 0: no Initial read yet */
	uint32_t	pns[2];		/* Initial packet numbers read (bit
					   n % 32 of word n / 32: number n);
					   32-bit words keep the struct 4-byte
					   aligned, as a flow's l7data is */
	uint16_t	base;		/* the CRYPTO offset the hello read
					   starts at: 0, or for a second hello
					   the first's end (nfqd_quic_resume());
					   bytes before it are passed over */
	uint8_t		dcid_len;
	uint8_t		scid_len;
	uint8_t		has_scid;	/* the server's ID is known */
	uint8_t		restart_ok;	/* the server sent a Retry or a
					   Version Negotiation: a new
					   connection on these ports may
					   start (nfqd_quic_server()) */
	uint8_t		learn;		/* (resumed only) the first Initial
					   for an unknown ID that decrypts with
					   keys names the server's ID */
	uint8_t		dcid[NFQD_QUIC_CID_MAX];	/* the client's first */
	uint8_t		scid[NFQD_QUIC_CID_MAX];	/* the server's */
};

/*
 * What a flow keeps of its connection once the hello is read (the fields
 * take the connection's place): enough to read the client's later
 * Initials with keys derived again (nfqd_quic_resume()).
 */
struct nfqd_quic_id {
	uint32_t	version;
	uint16_t	hello_end;	/* CRYPTO offset past the first hello */
	uint8_t		dcid_len;
	uint8_t		scid_len;
	uint8_t		has_scid;
	uint8_t		restart_ok;
	uint8_t		second;		/* a second hello was read */
	uint8_t		dcid[NFQD_QUIC_CID_MAX];
	uint8_t		scid[NFQD_QUIC_CID_MAX];
};

/* What nfqd_quic_client() says about a datagram. */
struct nfqd_quic_out {
	struct nfqd_tls_hello hello;	/* DONE: the ClientHello; BAD with
					   why TLS: hello.why */
	uint32_t	version;	/* of the packets read, 0: none */
	uint16_t	read;		/* Initial packets decrypted and read */
	uint16_t	refused;	/* packets refused (why says the last
					   reason) */
	uint16_t	skipped;	/* 0-RTT and Handshake packets passed
					   over */
	uint16_t	repeated;	/* Initials of packet numbers read
					   before, not read */
	uint8_t		why;		/* enum nfqd_quic_why */
	bool		new_conn;	/* see nfqd_quic_client() */
	bool		crypto_past;	/* CRYPTO bytes at or past c->base
					   were read (or, without ra, seen) */
	bool		crypto_before;	/* CRYPTO bytes before c->base (not 0)
					   were seen */
	bool		hello_before;	/* BAD at a packet after the first:
					   the packets before it completed
					   the hello, in hello */
};

struct nfqd_quic;		/* a worker's contexts and scratch buffer */
struct nfqd_reasm;

/*
 * The libcrypto contexts (HMAC-SHA256 for HKDF, AES-128-ECB, AES-128-GCM)
 * and a 64 KiB plaintext buffer, made once; every call below reuses
 * them.  NULL with
 * errno set when OpenSSL lacks a cipher or memory runs out.
 */
struct nfqd_quic *nfqd_quic_new(void);
void	nfqd_quic_free(struct nfqd_quic *q);

/*
 * The client's Initial keys of version (NFQD_QUIC_V1 or NFQD_QUIC_V2) for
 * Destination Connection ID dcid[0..dcid_len) (at most 20 bytes); the
 * initial secret and client secret too when secret is not NULL (32
 * bytes, for tests).  -1 for another version, a longer ID or a libcrypto
 * failure.
 */
int	nfqd_quic_keys(struct nfqd_quic *q, uint32_t version,
	    const uint8_t *dcid, size_t dcid_len, struct nfqd_quic_keys *k,
	    uint8_t *client_secret);

/*
 * Read one UDP datagram buf[0..len) from the client of connection c,
 * whose CRYPTO bytes go to ra (a buffer of nfqd_reasm_get(pool, c->base),
 * which holds the connection's and nothing else; NULL: CRYPTO bytes are
 * not kept, only out->crypto_past says whether some lie at or past
 * c->base).  Every coalesced packet is
 * looked at: Initials of c's version are decrypted and their frames read,
 * 0-RTT and Handshake packets passed over, a short header ends the
 * datagram.  Nothing is allocated; buf is only read.
 *
 * NFQD_L7_NOT: c has no Initial read yet and buf does not start with a
 *   long header (or one too short, or of an unknown version in a datagram
 *   under 1200 bytes): not a QUIC client's first flight.  c is unchanged.
 * NFQD_L7_MORE: the hello is not complete.  out->read says whether this
 *   datagram added to it; out->refused and out->why say what was refused:
 *   a packet the server discards too (undecryptable, a datagram under
 *   1200 bytes, an unknown DCID, a header past the datagram), or one of a
 *   version nfqd does not read.
 * NFQD_L7_DONE: the CRYPTO bytes from offset 0 hold a whole ClientHello,
 *   in out->hello.
 * NFQD_L7_BAD: the connection broke a rule a server enforces by closing it
 *   (see enum nfqd_quic_why from FRAME on), or its hello is malformed.
 *   When that was at a packet after the datagram's first, and the packets
 *   before it completed the hello, out->hello_before is set and the hello
 *   is in out->hello (a server reads those packets all the same).
 *
 * Overlapping CRYPTO data: the first copy of a byte wins; a later copy
 * that differs is a conflict (BAD), so no later packet can change the
 * bytes the decision is made on.  An Initial of a packet number read
 * before is not read: a datagram of such Initials alone is refused
 * (REPEAT: a server that got the first copy discards it, one that did not
 * reads it), one with new Initials too is BAD (REUSED).  So is an Initial
 * after a packet of another type (LEAD): a server without a connection
 * for the ID drops the datagram, one with it reads the Initial.
 * out->crypto_before says that CRYPTO bytes before c->base were seen.
 *
 * out->new_conn (with MORE and read 0): the first packet is a v1/v2
 * Initial whose DCID is neither c's nor the server's, and which decrypts
 * with its own keys: a new connection on the same addresses and ports.
 * The caller ends c (zeroes it, gives ra back for a fresh one) and reads
 * the datagram again.
 */
enum nfqd_l7_res nfqd_quic_client(struct nfqd_quic *q,
	    struct nfqd_quic_conn *c, struct nfqd_reasm *ra,
	    const uint8_t *buf, size_t len, struct nfqd_quic_out *out);

/*
 * A datagram from the server of c: the Source Connection ID of its first
 * long header packet of c's version becomes the ID the client may send
 * its later Initials to; a Retry or a Version Negotiation packet sets
 * restart_ok (the server keeps nothing of the connection: the client
 * starts afresh).  Nothing else is read.
 */
void	nfqd_quic_server(struct nfqd_quic_conn *c, const uint8_t *buf,
	    size_t len);

/* The same for a connection kept as id. */
void	nfqd_quic_server_id(struct nfqd_quic_id *id, const uint8_t *buf,
	    size_t len);

/* c, whose hello ended at CRYPTO offset hello_end, as a flow keeps it. */
void	nfqd_quic_keep(const struct nfqd_quic_conn *c, uint16_t hello_end,
	    struct nfqd_quic_id *id);

/*
 * id back into c, for nfqd_quic_client() to read the client's later
 * Initials: keys derived again, packet numbers forgotten, base the first
 * hello's end (a second hello is read from there; CRYPTO bytes before
 * it, which the server holds already, are passed over), learn set when
 * the server's ID is unknown.  -1 when the keys cannot be derived.
 */
int	nfqd_quic_resume(struct nfqd_quic *q, const struct nfqd_quic_id *id,
	    struct nfqd_quic_conn *c);

/*
 * Whether buf[0..len) holds a v1/v2 Initial packet among its coalesced
 * long header packets: a datagram a resumed connection reads.
 */
bool	nfqd_quic_has_initial(const uint8_t *buf, size_t len);

/*
 * Whether buf[0..len), a UDP GSO packet (NFQA_SKB_GSO: several datagrams
 * that the kernel cuts apart after the verdict, at a size nfqueue does
 * not say), may hold an Initial nfqd does not read where one of those
 * datagrams starts: the first byte of a v1/v2 Initial's long header and
 * the version after it, anywhere past byte 0 but where the chain of long
 * headers from byte 0 puts a packet.  A client's GSO send of Initials
 * each padded to the segment size (PADDING frames) chains; one whose
 * Initial comes after a short header, after bytes past a packet, or
 * inside another packet's bytes (Initial keys are public, so a client
 * can make a CRYPTO frame's ciphertext any bytes) does not.  Random
 * ciphertext holds those five bytes once in 2^34 or so.
 */
bool	nfqd_quic_gso_hidden(const uint8_t *buf, size_t len);

/*
 * Whether nfqd_quic_client() would read buf[0..len) on a connection with
 * nothing read yet, that is, not answer NOT: the datagrams that make a
 * flow.
 */
bool	nfqd_quic_maybe(const uint8_t *buf, size_t len);

/*
 * The Destination Connection ID of the Initial that opens buf[0..len),
 * a v1 or v2 long header nfqd_quic_client() would read, in *dcid and
 * *dcid_len; false when the datagram opens with no such Initial (then
 * nfqd_quic_client() reads no Initial of it).
 */
bool	nfqd_quic_lead_dcid(const uint8_t *buf, size_t len,
	    const uint8_t **dcid, size_t *dcid_len);

/*
 * Whether buf[0..len) starts with a long header of QUIC v1 or v2 whose
 * packet type is Initial (*version set): the datagrams worth a
 * reassembly buffer.
 */
bool	nfqd_quic_is_initial(const uint8_t *buf, size_t len,
	    uint32_t *version);

/*
 * Whether buf[0..len) is a datagram a server would take as the start of
 * a connection: 1200 bytes or more, opening with a v1/v2 Initial that
 * decrypts with the keys of its own Destination Connection ID.
 */
bool	nfqd_quic_opens(struct nfqd_quic *q, const uint8_t *buf, size_t len);

/* enum nfqd_quic_why in words; "unknown" out of range. */
const char *nfqd_quic_why_str(unsigned why);

#endif
