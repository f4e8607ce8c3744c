/*
 * JA4, FoxIO's TLS client fingerprint (technical_details/JA4.md of
 * github.com/FoxIO-LLC/ja4, as of June 2026), of a parsed ClientHello:
 *
 *   t13d1516h2_8daaf6152771_e5627efa2ab1
 *   a: protocol, version, SNI, cipher and extension counts, ALPN
 *   b: SHA-256 of the sorted cipher suites, 12 hex digits
 *   c: SHA-256 of the sorted extensions (SNI and ALPN left out), "_",
 *      the signature algorithms in order, 12 hex digits
 *
 * GREASE values are left out everywhere.  From the parsed hello alone
 * (struct nfqd_tls_ja4in), so a hello read from QUIC gets the same.
 */
#ifndef NFQD_L7_JA4_H
#define NFQD_L7_JA4_H

#include "nfqd/l7/tls.h"

#define NFQD_JA4_LEN	36	/* characters, without the NUL */

/* The first character: the transport the hello came over. */
#define NFQD_JA4_TCP	't'
#define NFQD_JA4_QUIC	'q'
#define NFQD_JA4_DTLS	'd'

/*
 * Check libcrypto's SHA-256 against a known answer, once, at start: -1
 * when it is missing or wrong (the engine then says so, and no tls_ja4
 * rule matches).
 */
int	nfqd_ja4_init(void);

/*
 * The fingerprint of a DONE hello h that came over proto (NFQD_JA4_*),
 * NUL-terminated in out.  -1 with out "" when there is none: a list of
 * the hello was longer than struct nfqd_tls_ja4in keeps (h->ja4.cut),
 * or SHA-256 failed.  Allocates nothing (the digests' contexts are on
 * the stack).
 */
int	nfqd_ja4(const struct nfqd_tls_hello *h, char proto,
	    char out[NFQD_JA4_LEN + 1]);

/*
 * Whether s[0..len) is written as a JA4 fingerprint is: 36 characters,
 * [tqd], a version of two characters, [di], four digits, two ALPN
 * characters, "_", 12 lower-case hex digits, "_", 12 more.
 */
bool	nfqd_ja4_valid(const char *s, size_t len);

#endif
