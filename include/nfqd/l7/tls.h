/*
 * The TLS ClientHello parser: the server name (SNI), the ALPN protocols
 * and whether Encrypted Client Hello is offered, read from the first bytes
 * a TCP client sends, whatever the port, however the hello is cut into
 * TCP segments and TLS records.
 */
#ifndef NFQD_L7_TLS_H
#define NFQD_L7_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/l7/l7parse.h"

/* Stream bytes a hello may take, record headers included. */
#define NFQD_TLS_HELLO_MAX	16384
/* Bytes of the ALPN protocol list kept. */
#define NFQD_TLS_ALPN_MAX	128
/* Values of each list JA4 reads (l7/ja4.h) kept, GREASE left out. */
#define NFQD_TLS_JA4_CIPHERS	512
#define NFQD_TLS_JA4_EXTS	128
#define NFQD_TLS_JA4_SIGALGS	128

/* Why a stream is NFQD_L7_NOT or NFQD_L7_BAD (logs, counters, tests). */
enum nfqd_tls_why {
	NFQD_TLS_R_NONE = 0,		/* MORE or DONE */
	NFQD_TLS_R_NOT_TLS,		/* NOT: first byte not 22 (handshake) */
	NFQD_TLS_R_RECORD_TYPE,		/* a record other than handshake
					   before the hello's end */
	NFQD_TLS_R_RECORD_VERSION,	/* record version not 3.0 to 3.4 */
	NFQD_TLS_R_RECORD_LEN,		/* record length 0 or over 2^14 */
	NFQD_TLS_R_NOT_HELLO,		/* first handshake message not a
					   ClientHello */
	NFQD_TLS_R_TOO_BIG,		/* the hello would end past
					   NFQD_TLS_HELLO_MAX */
	NFQD_TLS_R_LENGTH,		/* a length past what holds it, or
					   short of a block it must fill */
	NFQD_TLS_R_VERSION,		/* legacy_version not 3.0 to 3.4 */
	NFQD_TLS_R_SESSION_ID,		/* session_id over 32 bytes */
	NFQD_TLS_R_CIPHERS,		/* cipher_suites empty or odd */
	NFQD_TLS_R_COMPRESSION,		/* no compression method */
	NFQD_TLS_R_EXT_DUP,		/* one extension type twice */
	NFQD_TLS_R_SNI,			/* server_name list empty, or two
					   host_names */
	NFQD_TLS_R_NAME,		/* a host_name refused (see below) */
	NFQD_TLS_R_ALPN,		/* ALPN list or a protocol name empty */
	NFQD_TLS_R_VERSIONS,		/* supported_versions list empty or
					   of odd length */
	NFQD_TLS_R_SIGALGS,		/* signature_algorithms list empty or
					   of odd length */
	NFQD_TLS_R_MAX
};

/*
 * What JA4 reads of a hello (l7/ja4.h), in the order the hello has it,
 * GREASE values (0x0a0a, 0x1a1a, ... 0xfafa) left out.
 */
struct nfqd_tls_ja4in {
	uint16_t	ciphers[NFQD_TLS_JA4_CIPHERS];
	uint16_t	exts[NFQD_TLS_JA4_EXTS];	/* extension types */
	uint16_t	sigalgs[NFQD_TLS_JA4_SIGALGS];	/* of
					   signature_algorithms (13) */
	uint16_t	nciphers, nexts, nsigalgs;	/* kept in each */
	uint16_t	version;	/* the highest of supported_versions
					   (43); 0 when it holds only GREASE;
					   legacy_version without it */
	uint8_t		alpn_first;	/* first and last byte of the first */
	uint8_t		alpn_last;	/* ALPN protocol, when alpn */
	bool		alpn;		/* an ALPN extension */
	bool		sni;		/* a server_name extension, whatever
					   it holds */
	bool		cut;		/* a list had more than is kept */
};

/* What a complete ClientHello says. */
struct nfqd_tls_hello {
	/* The host_name normalized, "" when there is none. */
	char		sni[NFQD_L7_NAME_MAX + 1];
	uint16_t	sni_len;	/* strlen(sni) */
	/* protocol_name_list as sent, (len, name)..., whole entries only. */
	uint8_t		alpn[NFQD_TLS_ALPN_MAX];
	uint16_t	alpn_len;	/* bytes kept in alpn */
	bool		alpn_cut;	/* the list was longer than alpn[] */
	bool		ech;		/* encrypted_client_hello (0xfe0d)
					   present */
	bool		tls13;		/* supported_versions (43) lists TLS
					   1.3 (0x0304) */
	bool		early;		/* early_data (42) present */
	uint16_t	version;	/* legacy_version of the hello */
	uint32_t	used;		/* stream bytes up to the hello's end */
	uint32_t	rec_end;	/* stream bytes up to the end of the
					   record the hello ends in (used for
					   a bare message) */
	uint32_t	need;		/* MORE: no shorter stream is DONE (it
					   may be BAD, which stays BAD) */
	uint8_t		why;		/* enum nfqd_tls_why: why NOT or BAD */
	struct nfqd_tls_ja4in ja4;	/* what JA4 reads of it */
};

/*
 * buf: the client's stream from its first byte, len bytes contiguous.
 * Call again with the same buf and a larger len as bytes come in; nothing
 * is kept between calls, so the answer depends on buf[0..len) alone.
 *
 * NFQD_L7_DONE: a whole ClientHello ends at out->used (<= len and <=
 * NFQD_TLS_HELLO_MAX) and every field is filled in.  Bytes after it (other
 * records, the rest of the record the hello ends in) are not looked at;
 * that record ends at out->rec_end (which may lie past len).
 * NFQD_L7_MORE: every byte there is a valid start of a ClientHello.
 * Once the answer is DONE, NOT or BAD, it is the same, fields and all, for
 * every larger len: every shorter prefix of a DONE stream is MORE, and a
 * MORE stream of one byte or more never turns NOT (no bytes at all are
 * MORE).
 * NFQD_L7_NOT: not TLS, said from the first byte alone: it is not 22
 * (handshake).  SSLv2 hellos (top bit set), HTTP, SSH and the like are NOT
 * from one byte.
 * NFQD_L7_BAD: a stream that opens with 22 but does not hold a well-formed
 * ClientHello; out->why says what was wrong.  After a first byte of 22 the
 * answer is never NOT, which is what keeps MORE from turning NOT.  So a
 * record version other than 3.0 to 3.4 is BAD (OpenSSL takes any 3.x on a
 * first record, so calling 3.5 not TLS would let such a stream out of the
 * TLS rules), and so is a first handshake message that is not a
 * ClientHello (no server goes on after one).
 *
 * Records: content type 22 only until the hello's end, version 0x0300 to
 * 0x0304, length 1 to 2^14.  The hello is read through record boundaries
 * (any number of records, 1-byte records included).  A hello whose
 * lengths say it would end past NFQD_TLS_HELLO_MAX stream bytes is BAD as
 * soon as they are read.
 *
 * The hello: legacy_version 0x0300 to 0x0304, session_id up to 32 bytes,
 * cipher_suites of even length 2 or more, compression_methods of 1 or
 * more, then either nothing or an extension block that exactly fills the
 * rest of the message with extensions that exactly fill it.  A length past
 * the end of what holds it is BAD, not MORE, however few bytes are there.
 * An extension type seen twice is BAD (RFC 8446 4.2) for the types below
 * 64, which are all the widely used ones, and for ECH; later duplicates
 * of other types go unnoticed (tracking all 65536 types takes 8 KiB).
 *
 * server_name (0): the list fills the extension, is not empty and holds
 * exactly one host_name (type 0); entries of other types are skipped.
 * The name is normalized by nfqd_l7_name_norm(); one it refuses (NUL,
 * space, control or non-ASCII bytes, an empty label, over 253 bytes) is
 * BAD, and so is one with two trailing dots or with ':', '/', '\\', '['
 * or ']' (a HostName is a DNS name, RFC 6066 3; a server that cuts
 * "blocked.example:443" at the colon, as nginx does, serves a name no
 * rule would see).  No server_name extension: sni is "".
 *
 * ALPN (16): the list fills the extension, is not empty, and each name is
 * 1 to 255 bytes.  alpn[] keeps the longest prefix of whole entries that
 * fits; alpn_cut says entries were left out.  No ALPN extension: alpn_len
 * is 0 and alpn_cut false.
 *
 * supported_versions (43): the list fills the extension, is not empty
 * and of even length; anything else is BAD.  tls13 says it lists 0x0304
 * (a server may then answer with a HelloRetryRequest, and the client's
 * second ClientHello follows the first: see l7second.c).
 * signature_algorithms (13): the same, with a 2-byte length.  Both are
 * read for JA4 (ja4, which also keeps the cipher suites, the extension
 * types and the first ALPN protocol's ends; ja4.cut when a list is longer
 * than kept).
 *
 * early_data (42): early is true (the client may send application data
 * records, 0-RTT, right after the hello).
 *
 * encrypted_client_hello (0xfe0d): ech is true and the server_name is the
 * public (outer) name, not the one the client asks for.  Browsers without
 * an ECH configuration send a GREASE ECH extension that is the same on the
 * wire by design, so ech says the name may be an outer one, not that it is.
 *
 * On MORE every field but why and need is zero; on NOT and BAD every field
 * but why.
 */
enum nfqd_l7_res nfqd_tls_hello_parse(const uint8_t *buf, size_t len,
	    struct nfqd_tls_hello *out);

/*
 * The same without what only JA4 reads: the cipher suites and the values
 * of signature_algorithms are stepped over (their
 * lengths judged as above, so the answer, why, need, used and every field
 * outside ja4 are those of nfqd_tls_hello_parse()), and out->ja4 is not
 * filled in: its counts, version and flags are zero, its lists not
 * written.  For a worker whose rules and logs do not ask for JA4.
 */
enum nfqd_l7_res nfqd_tls_hello_parse_noja4(const uint8_t *buf, size_t len,
	    struct nfqd_tls_hello *out);

/*
 * The same for a bare handshake message, as QUIC's CRYPTO frames carry
 * it (RFC 9001 4): buf starts with the message's header, no record
 * layer.  Everything above holds but what concerns records and the first
 * byte: no answer is NOT (a first byte other than 1, ClientHello, is BAD
 * with why NOT_HELLO), and used and the NFQD_TLS_HELLO_MAX bound count
 * message bytes alone.
 */
enum nfqd_l7_res nfqd_tls_handshake_parse(const uint8_t *buf, size_t len,
	    struct nfqd_tls_hello *out);

/*
 * Whether a DONE hello offered ALPN protocol p[0..len) (exact,
 * case-sensitive): 1 offered, 0 not offered, -1 not among the entries kept
 * but the list was cut, so it may have been (the caller treats that as
 * unknown).
 */
int	nfqd_tls_alpn_has(const struct nfqd_tls_hello *h, const char *p,
	    size_t len);

/*
 * The server name of a ClientHello that starts p[0..len), a TCP
 * segment's payload, as far as these bytes alone say: the first record
 * is a handshake record whose first message is a ClientHello, and its
 * server_name extension's first entry, a host_name, lies whole within
 * the record, the message and the segment.  Its bytes as sent (not
 * normalized, not checked: see nfqd_l7_name_norm()), *nlen of them, or
 * NULL.  A shortcut for prefetching (nfqd_l7_hint), never a decision:
 * it does not parse what a decision reads (nfqd_tls_hello_parse()).
 */
const uint8_t *nfqd_tls_sni_peek(const uint8_t *p, size_t len,
	    size_t *nlen);

/* enum nfqd_tls_why in words; "unknown" out of range. */
const char *nfqd_tls_why_str(unsigned why);

#endif
