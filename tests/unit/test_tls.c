/*
 * Unit tests for src/l7/tls.c: ClientHellos built here from readable parts
 * (extensions, record sizes), real hellos captured from OpenSSL and curl,
 * and crafted shapes that lie about lengths, repeat what may not repeat or
 * hide a name.  Every stream is also parsed at every prefix length (each
 * prefix copied to a buffer of exactly that size, so a read past it is a
 * read past the allocation under ASan or valgrind).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nfqd/l7/tls.h"
#include "tls_ref.h"
#include "unit.h"

/*
 * Captured on 127.0.0.1 by a python3 listener that kept the first bytes
 * of the connection, from
 *   openssl s_client -connect 127.0.0.1:PORT -servername www.example.com \
 *	-alpn h2,http/1.1			(real_ossl13, OpenSSL 3.0.19)
 *   the same with -tls1_2			(real_ossl12)
 *   curl -k --resolve www.example.com:PORT:127.0.0.1 \
 *	https://www.example.com:PORT/	(real_curl, curl 7.88.1 with
 *						 OpenSSL 3.0.19)
 * tshark 4.0 (the bytes wrapped in a TCP/443 pcap) reads each as one
 * record, version TLS 1.0 (0x0301), holding a ClientHello of version
 * TLS 1.2 (0x0303) with Server Name: www.example.com and ALPN Next
 * Protocol: h2, http/1.1:
 *   real_ossl13: handshake length 330, session id 32, cipher suites 62,
 *     extensions 195: server_name, ec_point_formats, supported_groups,
 *     session_ticket, application_layer_protocol_negotiation,
 *     encrypt_then_mac, extended_master_secret, signature_algorithms,
 *     supported_versions, psk_key_exchange_modes, key_share (x25519)
 *   real_ossl12: handshake length 221, session id 0, cipher suites 56,
 *     extensions 124: the same up to signature_algorithms, no
 *     TLS 1.3 extensions
 *   real_curl: handshake length 508, session id 32, cipher suites 62,
 *     extensions 373: as real_ossl13 without session_ticket, with
 *     post_handshake_auth, and padding (len=174) last, whose 174 zero
 *     bytes are the array's zero tail
 */
static const uint8_t real_ossl13[339] = {
	0x16, 0x03, 0x01, 0x01, 0x4e, 0x01, 0x00, 0x01, 0x4a, 0x03, 0x03, 0xbb,
	0x26, 0x00, 0xd2, 0x46, 0x71, 0x1c, 0x44, 0x85, 0x1e, 0xbc, 0x9a, 0x0a,
	0xdb, 0xec, 0x3f, 0xb6, 0x9f, 0xfe, 0xc0, 0xec, 0x93, 0x50, 0x4a, 0xef,
	0x94, 0x58, 0xca, 0xbf, 0x0d, 0x87, 0xba, 0x20, 0x9c, 0xe8, 0xa3, 0x52,
	0x34, 0x42, 0x23, 0x37, 0x7f, 0xf3, 0x83, 0xd8, 0x2d, 0x16, 0x3f, 0x94,
	0x68, 0x40, 0x28, 0x87, 0x79, 0xe0, 0x34, 0x73, 0xd6, 0x17, 0x73, 0x4e,
	0xa8, 0x4f, 0xf2, 0x2d, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xc3,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x77, 0x77, 0x77,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d,
	0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16,
	0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
	0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23,
	0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08,
	0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00,
	0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03,
	0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
	0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01,
	0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
	0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03,
	0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00,
	0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x91, 0x96, 0x31, 0x4c, 0xe5,
	0x76, 0x8d, 0xd3, 0xfd, 0x6e, 0x10, 0x59, 0xc2, 0xa6, 0xb3, 0xbf, 0xcf,
	0x20, 0xd3, 0x42, 0xa2, 0xd7, 0x7e, 0xba, 0xa4, 0xa3, 0xaa, 0xf6, 0x62,
	0xac, 0x32, 0x08,
};
static const uint8_t real_ossl12[230] = {
	0x16, 0x03, 0x01, 0x00, 0xe1, 0x01, 0x00, 0x00, 0xdd, 0x03, 0x03, 0x26,
	0xa0, 0x7a, 0x7e, 0x1a, 0x8a, 0xc4, 0x5b, 0x0f, 0x87, 0x1a, 0x3c, 0x65,
	0xa9, 0x1a, 0xba, 0x44, 0xeb, 0x8e, 0x3e, 0x50, 0x60, 0xe3, 0xb5, 0x3d,
	0x1a, 0xa0, 0x90, 0xaa, 0xde, 0x67, 0xf3, 0x00, 0x00, 0x38, 0xc0, 0x2c,
	0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b,
	0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23,
	0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09,
	0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c,
	0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0x7c, 0x00, 0x00,
	0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x77, 0x77, 0x77, 0x2e, 0x65,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x0b,
	0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x0c, 0x00, 0x0a,
	0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x00, 0x23,
	0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08,
	0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00,
	0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03,
	0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
	0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01,
	0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
	0x06, 0x02,
};
static const uint8_t real_curl[517] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xef,
	0x3d, 0x98, 0x46, 0xce, 0x5b, 0x80, 0x9d, 0xfe, 0x5c, 0xd8, 0xf1, 0xf8,
	0xa1, 0xde, 0x38, 0xce, 0xe3, 0x27, 0x97, 0xcd, 0x14, 0x37, 0xfa, 0xb4,
	0x86, 0xca, 0x91, 0xa6, 0xdc, 0x3d, 0xad, 0x20, 0x3e, 0x6f, 0x2f, 0x74,
	0xa2, 0xdf, 0xf5, 0x2c, 0x90, 0xe5, 0xe7, 0x17, 0x15, 0xbd, 0x3f, 0x5a,
	0xd2, 0xe9, 0x1e, 0x1e, 0x73, 0xa5, 0x76, 0x18, 0x24, 0x87, 0x6a, 0x84,
	0x8d, 0xd0, 0xae, 0x6f, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x01, 0x75,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x77, 0x77, 0x77,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d,
	0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16,
	0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
	0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x10,
	0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70,
	0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00,
	0x00, 0x31, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03,
	0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
	0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01,
	0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
	0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03,
	0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00,
	0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0xee, 0xfb, 0xb5, 0xc5, 0xb2,
	0x13, 0x92, 0x0f, 0xe5, 0x7d, 0x88, 0xad, 0xa7, 0x71, 0x1c, 0x03, 0xab,
	0xd3, 0x36, 0x07, 0xaa, 0xda, 0x6f, 0xc5, 0x41, 0x6d, 0x27, 0xe1, 0x00,
	0x0b, 0xbd, 0x00, 0x00, 0x15, 0x00, 0xae,
};

/* The handshake message being built, and its length fields still open. */
static uint8_t	msg[32768];
static size_t	mlen;
static size_t	lenpos[8];	/* offsets of the open length fields */
static unsigned	lenw[8];	/* their widths in bytes */
static unsigned	nlen;

/* The client's stream: msg cut into records, or bytes written directly. */
static uint8_t	st[40000];
static size_t	slen;
static size_t	want_used;	/* where the hello ends in st; 0: at slen */

static void
m8(unsigned v)
{
	if (mlen >= sizeof(msg))
		abort();
	msg[mlen++] = (uint8_t)v;
}

static void
m16(unsigned v)
{
	m8(v >> 8);
	m8(v & 0xff);
}

static void
mfill(unsigned v, size_t n)
{
	while (n-- > 0)
		m8(v);
}

static void
mdata(const void *p, size_t n)
{
	const uint8_t	*b = p;

	while (n-- > 0)
		m8(*b++);
}

/* A length field of w bytes, filled in by mclose(). */
static void
mopen(unsigned w)
{
	if (nlen >= 8)
		abort();
	lenpos[nlen] = mlen;
	lenw[nlen++] = w;
	mfill(0, w);
}

/* Set the innermost open length to the bytes after it, plus lie. */
static void
mclose_lie(long lie)
{
	size_t		p, v;
	unsigned	w, i;

	if (nlen == 0)
		abort();
	p = lenpos[--nlen];
	w = lenw[nlen];
	v = (size_t)((long)(mlen - p - w) + lie);
	for (i = 0; i < w; i++)
		msg[p + i] = (uint8_t)(v >> 8 * (w - 1 - i));
}

static void
mclose(void)
{
	mclose_lie(0);
}

/* Close every length still open. */
static void
mend(void)
{
	while (nlen > 0)
		mclose();
}

/*
 * A ClientHello up to its extensions: version 3.3, a fixed random, a
 * 32-byte session id, n cipher suites, the null compression method, then
 * the extension block opened unless exts is false.
 */
static void
hello(unsigned ciphers, bool exts)
{
	unsigned	i;

	mlen = 0;
	nlen = 0;
	m8(1);			/* client_hello */
	mopen(3);
	m16(0x0303);
	for (i = 0; i < 32; i++)
		m8(i);
	m8(32);
	mfill(0xee, 32);
	mopen(2);
	for (i = 0; i < ciphers; i++)
		m16(0x1301 + i);
	mclose();
	m8(1);
	m8(0);
	if (exts)
		mopen(2);
}

/* server_name with one host_name of n bytes. */
static void
ext_sni_n(const char *name, size_t n)
{
	m16(0);
	mopen(2);
	mopen(2);
	m8(0);
	mopen(2);
	mdata(name, n);
	mclose();
	mclose();
	mclose();
}

static void
ext_sni(const char *name)
{
	ext_sni_n(name, strlen(name));
}

/* ALPN from a comma-separated list. */
static void
ext_alpn(const char *list)
{
	const char	*p, *q;

	m16(16);
	mopen(2);
	mopen(2);
	for (p = list; *p != '\0'; p = *q != '\0' ? q + 1 : q) {
		if ((q = strchr(p, ',')) == NULL)
			q = p + strlen(p);
		m8((unsigned)(q - p));
		mdata(p, (size_t)(q - p));
	}
	mclose();
	mclose();
}

/* An extension of n filler bytes. */
static void
ext_fill(unsigned type, size_t n)
{
	m16(type);
	m16((unsigned)n);
	mfill(0x42, n);
}

/*
 * Well-formed supported_versions (43) or signature_algorithms (13) of n
 * bytes in all: a list length, then 2-byte values (n odd for 43, even
 * for 13).
 */
static void
ext_list(unsigned type, size_t n)
{
	size_t	hdr = type == 43 ? 1 : 2, i;

	m16(type);
	m16((unsigned)n);
	if (hdr == 1)
		m8((unsigned)(n - 1));
	else
		m16((unsigned)(n - 2));
	for (i = hdr; i < n; i += 2)
		m16(type == 43 ? 0x0304 : 0x0403);
}

static void
s8(unsigned v)
{
	if (slen >= sizeof(st))
		abort();
	st[slen++] = (uint8_t)v;
}

static void
sdata(const void *p, size_t n)
{
	const uint8_t	*b = p;

	while (n-- > 0)
		s8(*b++);
}

static void
srec(unsigned type, unsigned version, size_t n)
{
	s8(type);
	s8(version >> 8);
	s8(version & 0xff);
	s8((unsigned)(n >> 8));
	s8(n & 0xff);
}

/* msg[from..to) as handshake records of size bytes (0: one record). */
static void
srecords(size_t from, size_t to, size_t size)
{
	size_t	k;

	while (from < to) {
		k = size == 0 || size > to - from ? to - from : size;
		if (k > 16384)
			k = 16384;
		srec(22, 0x0301, k);
		sdata(msg + from, k);
		from += k;
	}
}

/* A new stream: msg in records of size bytes (0: as few as may be). */
static void
records(size_t size)
{
	slen = 0;
	want_used = 0;
	srecords(0, mlen, size);
}

static uint32_t	rng;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* A new stream: msg in records of 1 to max bytes, as seed picks. */
static void
records_rand(uint32_t seed, size_t max)
{
	size_t	off = 0, k;

	slen = 0;
	want_used = 0;
	rng = seed * 2654435761u + 1;
	while (off < mlen) {
		k = 1 + rnd() % max;
		if (k > mlen - off)
			k = mlen - off;
		srecords(off, off + k, 0);
		off += k;
	}
}

/* A new stream of raw bytes. */
static void
sraw(const void *p, size_t n)
{
	slen = 0;
	want_used = 0;
	sdata(p, n);
}

/* The plain hello most shapes start from. */
static void
plain(void)
{
	hello(3, true);
	ext_sni("www.example.com");
	ext_alpn("h2,http/1.1");
}

static unsigned	noja4_differs;	/* parses the JA4-less reader saw otherwise */
static unsigned	noja4_seen[4];	/* parses compared, by answer */

/*
 * Whether nfqd_tls_hello_parse_noja4() said what h (with JA4) says:
 * the same answer and every field outside ja4, and ja4's counts, version
 * and flags zero.
 */
static bool
same_without_ja4(enum nfqd_l7_res r, const struct nfqd_tls_hello *h,
    const uint8_t *b, size_t n)
{
	struct nfqd_tls_hello	*g;
	static const struct nfqd_tls_ja4in zero;
	size_t			 o = offsetof(struct nfqd_tls_ja4in, nciphers);
	bool			 same;

	if ((g = malloc(sizeof(*g))) == NULL)
		abort();
	memset(g, 0x5a, sizeof(*g));
	same = nfqd_tls_hello_parse_noja4(b, n, g) == r &&
	    memcmp(g, h, offsetof(struct nfqd_tls_hello, ja4)) == 0 &&
	    memcmp((const char *)&g->ja4 + o, (const char *)&zero + o,
	    sizeof(zero) - o) == 0;
	free(g);
	return same;
}

static unsigned	ref_differs;	/* parses the parser before in-place
				   reading (tls_ref.h) answered otherwise */
static unsigned	ref_seen;	/* parses compared with it */

/* One of the three readers against its copy in tls_ref.h, on b[0..n). */
static bool
same_as_ref(int which, const uint8_t *b, size_t n)
{
	struct nfqd_tls_hello	*g, *h;
	enum nfqd_l7_res	 r, rr;
	bool			 same;

	if ((g = malloc(sizeof(*g))) == NULL ||
	    (h = malloc(sizeof(*h))) == NULL)
		abort();
	memset(g, 0x3c, sizeof(*g));
	memset(h, 0x3c, sizeof(*h));
	switch (which) {
	case 0:
		r = nfqd_tls_hello_parse(b, n, g);
		rr = ref_tls_hello_parse(b, n, h);
		break;
	case 1:
		r = nfqd_tls_hello_parse_noja4(b, n, g);
		rr = ref_tls_hello_parse_noja4(b, n, h);
		break;
	default:
		r = nfqd_tls_handshake_parse(b, n, g);
		rr = ref_tls_handshake_parse(b, n, h);
		break;
	}
	same = r == rr && memcmp(g, h, sizeof(*g)) == 0;
	free(g);
	free(h);
	return same;
}

/*
 * b[0..n) through all three readers (with JA4, without, and as QUIC's
 * bare handshake message), each against the parser before (tls_ref.h):
 * the same answer and the same bytes in the whole result.
 */
static void
ref_check(const uint8_t *b, size_t n)
{
	int	i;

	for (i = 0; i < 3; i++) {
		if (!same_as_ref(i, b, n))
			ref_differs++;
		ref_seen++;
	}
}

static unsigned	peek_differs;	/* peeks that disagreed with a parse */
static unsigned	peek_same;	/* peeks that found a DONE hello's name */

/*
 * nfqd_tls_sni_peek() of the bytes b[0..n) that a parse answered r, h:
 * a name, if any, within them, and on DONE the hello's own server name
 * once normalized.
 */
static void
peek_check(enum nfqd_l7_res r, const struct nfqd_tls_hello *h,
    const uint8_t *b, size_t n)
{
	char		 norm[NFQD_L7_NAME_MAX + 1];
	const uint8_t	*p;
	size_t		 k = 0;
	int		 v;

	if ((p = nfqd_tls_sni_peek(b, n, &k)) == NULL)
		return;
	if (p < b || k == 0 || k > n || (size_t)(p - b) > n - k) {
		peek_differs++;
		return;
	}
	if (r != NFQD_L7_DONE)
		return;
	v = nfqd_l7_name_norm(norm, p, k);
	if (v < 0 || (size_t)v != h->sni_len ||
	    memcmp(norm, h->sni, h->sni_len) != 0)
		peek_differs++;
	else
		peek_same++;
}

/*
 * st[0..n) parsed from a buffer of exactly n bytes, into a struct that
 * held junk; the JA4-less reader is held to the same answer (counted in
 * noja4_differs, which the last check reads), and so are the server name
 * peek (peek_differs) and the parser before in-place reading
 * (ref_differs).
 */
static enum nfqd_l7_res
parse(size_t n, struct nfqd_tls_hello *h)
{
	enum nfqd_l7_res	 r;
	uint8_t			*b;

	if ((b = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(b, st, n);
	memset(h, 0xa5, sizeof(*h));
	r = nfqd_tls_hello_parse(b, n, h);
	if (!same_without_ja4(r, h, b, n))
		noja4_differs++;
	if ((unsigned)r < 4)
		noja4_seen[r]++;
	peek_check(r, h, b, n);
	ref_check(b, n);
	free(b);
	return r;
}

/* The ALPN list kept, as "a,b,c". */
static const char *
alpn_str(const struct nfqd_tls_hello *h, char *buf, size_t len)
{
	size_t	i, n, o = 0;

	buf[0] = '\0';
	for (i = 0; i < h->alpn_len && i < NFQD_TLS_ALPN_MAX; i += 1 + n) {
		n = h->alpn[i];
		if (i + 1 + n > h->alpn_len || o + n + 2 > len)
			return "(broken list)";
		if (o > 0)
			buf[o++] = ',';
		memcpy(buf + o, h->alpn + i + 1, n);
		o += n;
		buf[o] = '\0';
	}
	return buf;
}

/* Whether a struct from a parse that is not DONE is zero but for why
 * (and need, on MORE). */
static bool
zero_but_why(const struct nfqd_tls_hello *h)
{
	struct nfqd_tls_hello	z;

	memset(&z, 0, sizeof(z));
	z.why = h->why;
	z.need = h->need;
	return memcmp(&z, h, sizeof(z)) == 0;
}

/* Good shapes. */

static void
b_plain(void)
{
	plain();
	mend();
	records(0);
}

static void
b_no_exts(void)
{
	hello(3, false);
	mend();
	records(0);
}

static void
b_empty_exts(void)
{
	hello(3, true);
	mend();
	records(0);
}

static void
b_no_sni(void)
{
	hello(3, true);
	ext_fill(10, 4);
	ext_alpn("http/1.1");
	mend();
	records(0);
}

static void
b_ech(void)
{
	hello(3, true);
	ext_sni("public.example.net");
	ext_fill(0xfe0d, 186);
	ext_alpn("h2");
	mend();
	records(0);
}

static void
b_rec1(void)
{
	plain();
	mend();
	records(1);
}

static void
b_rec2(void)
{
	plain();
	mend();
	records(2);
}

static void
b_rec3(void)
{
	plain();
	mend();
	records(3);
}

static void
b_rec_rand(void)
{
	plain();
	mend();
	records_rand(7, 40);
}

/*
 * A browser's post-quantum hello, made larger: 200 cipher suites, GREASE
 * first and last, a key_share with X25519MLKEM768 (1216 + 32 bytes) and
 * x25519, and padding to 8000 bytes.
 */
static void
pq_hello(void)
{
	hello(200, true);
	ext_fill(0x0a0a, 0);
	ext_sni("pq.example.org");
	ext_fill(10, 8);
	ext_list(13, 18);
	ext_alpn("h2,http/1.1");
	ext_list(43, 7);
	m16(51);			/* key_share */
	mopen(2);
	mopen(2);
	m16(0x11ec);
	m16(1216 + 32);
	mfill(0x5b, 1216 + 32);
	m16(0x001d);
	m16(32);
	mfill(0x5c, 32);
	mclose();
	mclose();
	ext_fill(0xfe0d, 250);
	ext_fill(21, 8000 - mlen - 4 - 4);
	ext_fill(0x1a1a, 0);
	mend();
}

static void
b_pq(void)
{
	pq_hello();
	records(0);
}

/* As several stacks cut a hello that does not fit a TCP segment. */
static void
b_pq_1400(void)
{
	pq_hello();
	records(1400);
}

static void
b_pq_rand(void)
{
	pq_hello();
	records_rand(11, 700);
}

static void
b_trailing_dot(void)
{
	hello(3, true);
	ext_sni("www.example.com.");
	mend();
	records(0);
}

static void
b_upper(void)
{
	hello(3, true);
	ext_sni("WWW.Example.COM");
	mend();
	records(0);
}

static char	name253[254], name254[255];

static void
b_name253_dot(void)
{
	char	n[255];

	snprintf(n, sizeof(n), "%s.", name253);
	hello(3, true);
	ext_sni(n);
	mend();
	records(0);
}

/* An entry of an unknown name type before the host_name. */
static void
b_sni_other_type(void)
{
	hello(3, true);
	m16(0);
	mopen(2);
	mopen(2);
	m8(7);
	mopen(2);
	mdata("whatever", 8);
	mclose();
	m8(0);
	mopen(2);
	mdata("real.example", 12);
	mend();
	records(0);
}

static void
b_4000_exts(void)
{
	unsigned	i;

	hello(1, true);
	for (i = 0; i < 4000; i++)
		ext_fill(0x1000 + i, 0);
	ext_sni("last.example");
	mend();
	records(0);
}

/* 20 protocols of 9 bytes: 12 entries (120 bytes) fit in 128. */
static void
b_alpn_cut(void)
{
	char		list[256];
	unsigned	i;

	list[0] = '\0';
	for (i = 0; i < 20; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%sproto-%03u", i > 0 ? "," : "", i);
	hello(3, true);
	ext_alpn(list);
	mend();
	records(0);
}

static void
b_alpn_255(void)
{
	char	list[300];

	memset(list, 'p', 255);
	strcpy(list + 255, ",h2");
	hello(3, true);
	ext_alpn(list);
	mend();
	records(0);
}

/* The hello, then a change_cipher_spec record (TLS 1.3 middlebox mode). */
static void
b_ccs_after(void)
{
	plain();
	mend();
	records(0);
	want_used = slen;
	srec(20, 0x0303, 1);
	s8(1);
}

/* The record holding the hello's end goes on with other bytes. */
static void
b_rec_goes_on(void)
{
	size_t	n;

	plain();
	mend();
	n = mlen;
	mfill(0x99, 10);
	records(0);
	want_used = 5 + n;
}

static void
b_versions(void)
{
	plain();
	mend();
	msg[4] = 0x03;
	msg[5] = 0x01;
	records(0);
	st[1] = 0x03;
	st[2] = 0x00;
}

/* A padding extension that makes the hello end at stream byte end. */
static void
hello_ending_at(size_t end)
{
	hello(3, true);
	ext_sni("big.example");
	/* Stream bytes: one record header per 16384 bytes of message. */
	ext_fill(21, end - 5 - mlen - 4);
	mend();
	records(0);
}

static void
b_16384(void)
{
	hello_ending_at(16384);
}

/* Bad shapes. */

static void
b_dup_sni(void)
{
	hello(3, true);
	ext_sni("allowed.example");
	ext_sni("blocked.example");
	mend();
	records(0);
}

static void
b_dup_sni_same(void)
{
	hello(3, true);
	ext_sni("www.example.com");
	ext_sni("www.example.com");
	mend();
	records(0);
}

static void
b_dup_alpn(void)
{
	plain();
	ext_alpn("h2");
	mend();
	records(0);
}

static void
b_dup_ech(void)
{
	plain();
	ext_fill(0xfe0d, 10);
	ext_fill(0xfe0d, 10);
	mend();
	records(0);
}

static void
b_dup_other(void)
{
	plain();
	ext_list(43, 3);
	ext_list(43, 3);
	mend();
	records(0);
}

static void
sni_two(const char *a, const char *b)
{
	hello(3, true);
	m16(0);
	mopen(2);
	mopen(2);
	m8(0);
	mopen(2);
	mdata(a, strlen(a));
	mclose();
	m8(0);
	mopen(2);
	mdata(b, strlen(b));
	mend();
	records(0);
}

static void
b_two_hosts(void)
{
	sni_two("allowed.example", "blocked.example");
}

static void
b_two_hosts_same(void)
{
	sni_two("a.example", "a.example");
}

static void
b_sni_empty_list(void)
{
	hello(3, true);
	m16(0);
	m16(2);
	m16(0);
	mend();
	records(0);
}

static void
b_sni_empty_ext(void)
{
	hello(3, true);
	ext_fill(0, 0);
	mend();
	records(0);
}

static void
name_shape(const char *name, size_t n)
{
	hello(3, true);
	ext_sni_n(name, n);
	mend();
	records(0);
}

static void
b_nul(void)
{
	name_shape("allowed.example\0.blocked.example", 32);
}

static void
b_nul_end(void)
{
	name_shape("blocked.example\0", 16);
}

static void
b_non_ascii(void)
{
	name_shape("www.ex\xe4mple.com", 15);
}

static void
b_utf8(void)
{
	name_shape("xn--bcher-kva.example\xc3\xbc", 23);
}

static void
b_space(void)
{
	name_shape("blocked.example ", 16);
}

static void
b_ctrl(void)
{
	name_shape("blocked\t.example", 16);
}

/* A HostName is a DNS name: no port, path or address brackets. */
static void
b_port(void)
{
	name_shape("blocked.example:443", 19);
}

static void
b_colon_only(void)
{
	name_shape("blocked.example:", 16);
}

static void
b_slash(void)
{
	name_shape("blocked.example/x", 17);
}

static void
b_backslash(void)
{
	name_shape("blocked.example\\x", 17);
}

static void
b_lbracket(void)
{
	name_shape("[blocked.example", 16);
}

static void
b_rbracket(void)
{
	name_shape("blocked.example]", 16);
}

static void
b_v6_literal(void)
{
	name_shape("[::1]", 5);
}

static void
b_empty_label(void)
{
	name_shape("www..example.com", 16);
}

static void
b_leading_dot(void)
{
	name_shape(".example.com", 12);
}

static void
b_empty_name(void)
{
	name_shape("", 0);
}

static void
b_only_dot(void)
{
	name_shape(".", 1);
}

static void
b_two_dots(void)
{
	name_shape("example.com..", 13);
}

static void
b_name254(void)
{
	name_shape(name254, 254);
}

static void
b_name300(void)
{
	char	n[300];

	memset(n, 'a', sizeof(n));
	name_shape(n, sizeof(n));
}

/* host_name length 50 with 3 bytes left in the list. */
static void
b_name_past_list(void)
{
	hello(3, true);
	m16(0);
	mopen(2);
	mopen(2);
	m8(0);
	m16(50);
	mdata("abc", 3);
	mend();
	records(0);
}

static void
sni_list_lie(long lie)
{
	hello(3, true);
	m16(0);
	mopen(2);
	mopen(2);
	m8(0);
	mopen(2);
	mdata("www.example.com", 15);
	mclose();
	mclose_lie(lie);
	mend();
	records(0);
}

static void
b_sni_list_short(void)
{
	sni_list_lie(-1);
}

static void
b_sni_list_long(void)
{
	sni_list_lie(1);
}

/* The last extension's length points 10 bytes past the hello. */
static void
b_ext_past_hello(void)
{
	plain();
	m16(21);
	mopen(2);
	mfill(0, 6);
	mclose_lie(10);
	mend();
	records(0);
}

static void
exts_lie(long lie)
{
	plain();
	mclose_lie(lie);
	mend();
	records(0);
}

static void
b_exts_short(void)
{
	exts_lie(-1);
}

static void
b_exts_long(void)
{
	exts_lie(1);
}

static void
b_stray_byte(void)
{
	hello(3, false);
	m8(0);
	mend();
	records(0);
}

/* The handshake length ends before the extension block does. */
static void
b_hs_short(void)
{
	plain();
	mclose();
	mclose_lie(-1);
	records(0);
}

/* The handshake length goes past the extension block. */
static void
b_hs_long(void)
{
	plain();
	mclose();
	mclose_lie(4);
	mfill(0, 4);
	records(0);
}

static void
b_rec_len0(void)
{
	plain();
	mend();
	slen = 0;
	want_used = 0;
	srec(22, 0x0301, 0);
	srecords(0, mlen, 0);
}

static void
b_rec_len16385(void)
{
	plain();
	mend();
	slen = 0;
	want_used = 0;
	srec(22, 0x0301, 16385);
	sdata(msg, mlen);
}

/* Two records of the hello with a record of type between them. */
static void
rec_between(unsigned type, unsigned version)
{
	plain();
	mend();
	slen = 0;
	want_used = 0;
	srecords(0, 20, 0);
	srec(type, version, 1);
	s8(1);
	srecords(20, mlen, 0);
}

static void
b_ccs_inside(void)
{
	rec_between(20, 0x0303);
}

static void
b_alert_inside(void)
{
	rec_between(21, 0x0303);
}

static void
b_appdata_inside(void)
{
	rec_between(23, 0x0303);
}

static void
b_v20_inside(void)
{
	rec_between(22, 0x0200);
}

static void
b_v35_inside(void)
{
	rec_between(22, 0x0305);
}

static void
b_first_v35(void)
{
	b_plain();
	st[2] = 5;
}

static void
b_first_v2(void)
{
	b_plain();
	st[1] = 2;
}

/* A handshake length of 20000, with only the first 9 bytes there. */
static void
b_hs_20000(void)
{
	static const uint8_t	s[] = { 22, 3, 1, 0x40, 0x00, 1, 0, 0x4e,
	    0x20 };

	sraw(s, sizeof(s));
}

/* 3000 bytes of hello in 1-byte records: 18000 stream bytes. */
static void
b_1byte_too_big(void)
{
	hello(3, true);
	ext_fill(21, 3000);
	mend();
	records(1);
}

static void
b_16385(void)
{
	hello_ending_at(16385);
}

static void
b_server_hello(void)
{
	b_plain();
	st[5] = 2;
}

static void
b_version20(void)
{
	plain();
	mend();
	msg[4] = 0x02;
	msg[5] = 0x00;
	records(0);
}

static void
b_version35(void)
{
	plain();
	mend();
	msg[5] = 0x05;
	records(0);
}

/* A ClientHello body up to the session id, whose length is sid. */
static void
body_to_sid(unsigned sid)
{
	unsigned	i;

	mlen = 0;
	nlen = 0;
	m8(1);
	mopen(3);
	m16(0x0303);
	for (i = 0; i < 32; i++)
		m8(i);
	m8(sid);
	mfill(0xee, sid);
}

static void
b_sid33(void)
{
	body_to_sid(33);
	m16(2);
	m16(0x1301);
	m8(1);
	m8(0);
	mend();
	records(0);
}

static void
b_ciphers_odd(void)
{
	body_to_sid(0);
	m16(3);
	mfill(0x13, 3);
	m8(1);
	m8(0);
	mend();
	records(0);
}

static void
b_ciphers_none(void)
{
	body_to_sid(0);
	m16(0);
	m8(1);
	m8(0);
	mend();
	records(0);
}

static void
b_compression_none(void)
{
	body_to_sid(0);
	m16(2);
	m16(0x1301);
	m8(0);
	mend();
	records(0);
}

/* The session id length says 32 with 20 bytes left in the hello. */
static void
b_sid_past_hello(void)
{
	body_to_sid(0);
	msg[mlen - 1] = 32;
	mfill(0xee, 20);
	mend();
	records(0);
}

static void
b_alpn_empty_list(void)
{
	hello(3, true);
	m16(16);
	m16(2);
	m16(0);
	mend();
	records(0);
}

static void
b_alpn_empty_name(void)
{
	hello(3, true);
	m16(16);
	mopen(2);
	mopen(2);
	m8(2);
	mdata("h2", 2);
	m8(0);
	mend();
	records(0);
}

static void
b_alpn_name_past(void)
{
	hello(3, true);
	m16(16);
	mopen(2);
	mopen(2);
	m8(9);
	mdata("h2", 2);
	mend();
	records(0);
}

static void
b_alpn_list_short(void)
{
	hello(3, true);
	m16(16);
	mopen(2);
	mopen(2);
	m8(2);
	mdata("h2", 2);
	mclose_lie(-1);
	mend();
	records(0);
}

/* Not TLS. */

static void
b_sslv2(void)
{
	/* SSLv2-compatible CLIENT-HELLO (RFC 5246 E.2) offering 3.1. */
	static const uint8_t	s[] = { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00,
	    0x15, 0x00, 0x00, 0x00, 0x10, 0x07, 0x00, 0xc0 };

	sraw(s, sizeof(s));
}

static void
b_http(void)
{
	const char	*s = "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n";

	sraw(s, strlen(s));
}

static void
b_ssh(void)
{
	const char	*s = "SSH-2.0-OpenSSH_9.2\r\n";

	sraw(s, strlen(s));
}

static void
b_alert_first(void)
{
	static const uint8_t	s[] = { 21, 3, 3, 0, 2, 2, 40 };

	sraw(s, sizeof(s));
}

static void
b_appdata_first(void)
{
	b_plain();
	st[0] = 23;
}

struct shape {
	const char	*name;
	void		(*build)(void);
	int		 res;		/* enum nfqd_l7_res */
	int		 why;		/* enum nfqd_tls_why */
	const char	*sni;		/* DONE: the name kept, "" for none */
	const char	*alpn;		/* DONE: the list kept, "a,b" */
	bool		 cut;		/* DONE: alpn_cut */
	bool		 ech;		/* DONE: ech */
	unsigned	 version;	/* DONE: legacy_version; 0: 0x0303 */
};

#define DONE(n, b, sni, alpn, cut, ech)					\
	{ n, b, NFQD_L7_DONE, NFQD_TLS_R_NONE, sni, alpn, cut, ech, 0 }
#define BAD(n, b, why)							\
	{ n, b, NFQD_L7_BAD, NFQD_TLS_R_##why, NULL, NULL, false, false, 0 }
#define NOT(n, b)							\
	{ n, b, NFQD_L7_NOT, NFQD_TLS_R_NOT_TLS, NULL, NULL, false, false, 0 }

static const char	alpn12[] = "proto-000,proto-001,proto-002,proto-003,"
	    "proto-004,proto-005,proto-006,proto-007,proto-008,proto-009,"
	    "proto-010,proto-011";

static const struct shape	shapes[] = {
	DONE("SNI and ALPN in one record", b_plain, "www.example.com",
	    "h2,http/1.1", false, false),
	DONE("no extension block", b_no_exts, "", "", false, false),
	DONE("empty extension block", b_empty_exts, "", "", false, false),
	DONE("no server_name", b_no_sni, "", "http/1.1", false, false),
	DONE("ECH with the public name", b_ech, "public.example.net", "h2",
	    false, true),
	DONE("1-byte records", b_rec1, "www.example.com", "h2,http/1.1",
	    false, false),
	DONE("2-byte records", b_rec2, "www.example.com", "h2,http/1.1",
	    false, false),
	DONE("3-byte records", b_rec3, "www.example.com", "h2,http/1.1",
	    false, false),
	DONE("records of 1 to 40 bytes", b_rec_rand, "www.example.com",
	    "h2,http/1.1", false, false),
	DONE("8000-byte post-quantum hello", b_pq, "pq.example.org",
	    "h2,http/1.1", false, true),
	DONE("8000-byte hello in 1400-byte records", b_pq_1400,
	    "pq.example.org", "h2,http/1.1", false, true),
	DONE("8000-byte hello in records of 1 to 700 bytes", b_pq_rand,
	    "pq.example.org", "h2,http/1.1", false, true),
	DONE("trailing dot dropped", b_trailing_dot, "www.example.com", "",
	    false, false),
	DONE("upper case folded", b_upper, "www.example.com", "", false,
	    false),
	DONE("253-byte name and a trailing dot", b_name253_dot, name253, "",
	    false, false),
	DONE("unknown name type skipped", b_sni_other_type, "real.example",
	    "", false, false),
	DONE("4000 empty extensions", b_4000_exts, "last.example", "", false,
	    false),
	DONE("ALPN list cut at 128 bytes", b_alpn_cut, "", alpn12, true,
	    false),
	DONE("ALPN name of 255 bytes first", b_alpn_255, "", "", true, false),
	DONE("change_cipher_spec after the hello", b_ccs_after,
	    "www.example.com", "h2,http/1.1", false, false),
	DONE("record goes on past the hello", b_rec_goes_on,
	    "www.example.com", "h2,http/1.1", false, false),
	{ "record 3.0, hello 3.1", b_versions, NFQD_L7_DONE, NFQD_TLS_R_NONE,
	    "www.example.com", "h2,http/1.1", false, false, 0x0301 },
	DONE("hello ends at stream byte 16384", b_16384, "big.example", "",
	    false, false),

	BAD("two server_name extensions", b_dup_sni, EXT_DUP),
	BAD("two server_name extensions, one name", b_dup_sni_same, EXT_DUP),
	BAD("two ALPN extensions", b_dup_alpn, EXT_DUP),
	BAD("two ECH extensions", b_dup_ech, EXT_DUP),
	BAD("two supported_versions extensions", b_dup_other, EXT_DUP),
	BAD("two host_names", b_two_hosts, SNI),
	BAD("two host_names, one name", b_two_hosts_same, SNI),
	BAD("empty server_name list", b_sni_empty_list, SNI),
	BAD("empty server_name extension", b_sni_empty_ext, LENGTH),
	BAD("NUL inside the name", b_nul, NAME),
	BAD("NUL after the name", b_nul_end, NAME),
	BAD("Latin-1 byte in the name", b_non_ascii, NAME),
	BAD("UTF-8 in the name", b_utf8, NAME),
	BAD("space after the name", b_space, NAME),
	BAD("tab in the name", b_ctrl, NAME),
	BAD("a port after the name", b_port, NAME),
	BAD("a colon after the name", b_colon_only, NAME),
	BAD("a slash in the name", b_slash, NAME),
	BAD("a backslash in the name", b_backslash, NAME),
	BAD("'[' in the name", b_lbracket, NAME),
	BAD("']' in the name", b_rbracket, NAME),
	BAD("an IPv6 literal in brackets", b_v6_literal, NAME),
	BAD("empty label", b_empty_label, NAME),
	BAD("leading dot", b_leading_dot, NAME),
	BAD("empty name", b_empty_name, NAME),
	BAD("name \".\"", b_only_dot, NAME),
	BAD("two trailing dots", b_two_dots, NAME),
	BAD("254-byte name", b_name254, NAME),
	BAD("300-byte name", b_name300, NAME),
	BAD("host_name length past the list", b_name_past_list, LENGTH),
	BAD("server_name list short of the extension", b_sni_list_short,
	    LENGTH),
	BAD("server_name list past the extension", b_sni_list_long, LENGTH),
	BAD("extension length past the hello", b_ext_past_hello, LENGTH),
	BAD("extension block short of the hello", b_exts_short, LENGTH),
	BAD("extension block past the hello", b_exts_long, LENGTH),
	BAD("one stray byte after compression", b_stray_byte, LENGTH),
	BAD("handshake length inside the extensions", b_hs_short, LENGTH),
	BAD("handshake length past the extensions", b_hs_long, LENGTH),
	BAD("session_id length past the hello", b_sid_past_hello, LENGTH),
	BAD("record length 0", b_rec_len0, RECORD_LEN),
	BAD("record length 16385", b_rec_len16385, RECORD_LEN),
	BAD("change_cipher_spec inside the hello", b_ccs_inside, RECORD_TYPE),
	BAD("alert inside the hello", b_alert_inside, RECORD_TYPE),
	BAD("application_data inside the hello", b_appdata_inside,
	    RECORD_TYPE),
	BAD("record version 2.0 inside the hello", b_v20_inside,
	    RECORD_VERSION),
	BAD("record version 3.5 inside the hello", b_v35_inside,
	    RECORD_VERSION),
	BAD("first record version 3.5", b_first_v35, RECORD_VERSION),
	BAD("first record version 2.1", b_first_v2, RECORD_VERSION),
	BAD("handshake length 20000", b_hs_20000, TOO_BIG),
	BAD("3000-byte hello in 1-byte records", b_1byte_too_big, TOO_BIG),
	BAD("hello ends at stream byte 16385", b_16385, TOO_BIG),
	BAD("ServerHello first", b_server_hello, NOT_HELLO),
	BAD("hello version 2.0", b_version20, VERSION),
	BAD("hello version 3.5", b_version35, VERSION),
	BAD("session_id of 33 bytes", b_sid33, SESSION_ID),
	BAD("cipher_suites of odd length", b_ciphers_odd, CIPHERS),
	BAD("no cipher_suites", b_ciphers_none, CIPHERS),
	BAD("no compression method", b_compression_none, COMPRESSION),
	BAD("empty ALPN list", b_alpn_empty_list, ALPN),
	BAD("empty ALPN protocol name", b_alpn_empty_name, ALPN),
	BAD("ALPN name past the list", b_alpn_name_past, LENGTH),
	BAD("ALPN list short of the extension", b_alpn_list_short, LENGTH),

	NOT("SSLv2 ClientHello", b_sslv2),
	NOT("HTTP GET", b_http),
	NOT("SSH banner", b_ssh),
	NOT("alert record first", b_alert_first),
	NOT("application_data record first", b_appdata_first),
};

/* The fields of a DONE parse against what the row wants. */
static void
check_fields(const char *name, const struct nfqd_tls_hello *h,
    const char *sni, const char *alpn, bool cut, bool ech, unsigned version,
    size_t used)
{
	char	a[512];

	CHECK_STR_EQ(h->sni, sni, unit_fmt("%s: sni", name));
	CHECK_UINT_EQ(h->sni_len, strlen(sni), unit_fmt("%s: sni_len", name));
	CHECK_STR_EQ(alpn_str(h, a, sizeof(a)), alpn,
	    unit_fmt("%s: alpn", name));
	CHECK_INT_EQ(h->alpn_cut, cut, unit_fmt("%s: alpn_cut", name));
	CHECK_INT_EQ(h->ech, ech, unit_fmt("%s: ech", name));
	CHECK_UINT_EQ(h->version, version, unit_fmt("%s: version", name));
	CHECK_UINT_EQ(h->used, used, unit_fmt("%s: used", name));
	CHECK_UINT_EQ(h->why, NFQD_TLS_R_NONE, unit_fmt("%s: why", name));
}

/*
 * The stream in st at lengths below slen: a DONE hello is MORE before
 * used and the same DONE from there on; a BAD one is MORE or the same
 * BAD; a NOT one is MORE at 0 and NOT from the first byte.  Long streams
 * are cut at a stride, and at every length near used.
 */
static void
check_prefixes(const char *name, int res, const struct nfqd_tls_hello *full)
{
	struct nfqd_tls_hello	h;
	size_t			l, step = slen > 2048 ? slen / 1500 : 1;
	size_t			bad = SIZE_MAX, used = full->used;
	int			r = 0, got = 0;

	memset(&h, 0, sizeof(h));

	for (l = 0; l < slen; l++) {
		if (step > 1 && l % step != 0 && (l + 70 < used || l > used))
			continue;
		r = parse(l, &h);
		if (res == NFQD_L7_DONE && l < used)
			got = r == NFQD_L7_MORE && zero_but_why(&h) &&
			    h.why == NFQD_TLS_R_NONE;
		else if (res == NFQD_L7_DONE)
			got = r == NFQD_L7_DONE &&
			    memcmp(&h, full, sizeof(h)) == 0;
		else if (res == NFQD_L7_BAD)
			got = zero_but_why(&h) && ((r == NFQD_L7_MORE &&
			    h.why == NFQD_TLS_R_NONE) || (r == NFQD_L7_BAD &&
			    h.why == full->why));
		else
			got = zero_but_why(&h) && (l == 0 ? r == NFQD_L7_MORE &&
			    h.why == NFQD_TLS_R_NONE : r == NFQD_L7_NOT &&
			    h.why == NFQD_TLS_R_NOT_TLS);
		if (!got) {
			bad = l;
			break;
		}
	}
	CHECKF(bad == SIZE_MAX, unit_fmt("%s: every prefix", name),
	    "at length %zu of %zu: result %d why %u", bad, slen, r, h.why);
}

static void
check_shape(const struct shape *s)
{
	struct nfqd_tls_hello	h;
	size_t			used;
	int			r;

	s->build();
	used = want_used != 0 ? want_used : slen;
	r = parse(slen, &h);
	CHECK_INT_EQ(r, s->res, unit_fmt("%s: result", s->name));
	CHECKF(h.why == s->why, unit_fmt("%s: why", s->name),
	    "got %u (%s), expected %d (%s)", h.why, nfqd_tls_why_str(h.why),
	    s->why, nfqd_tls_why_str((unsigned)s->why));
	if (r != s->res)
		return;
	if (r == NFQD_L7_DONE)
		check_fields(s->name, &h, s->sni, s->alpn, s->cut, s->ech,
		    s->version != 0 ? s->version : 0x0303, used);
	else
		CHECK(zero_but_why(&h), unit_fmt("%s: fields zero", s->name));
	check_prefixes(s->name, r, &h);
}

/*
 * What l7second.c needs to read a second hello: whether the first offers
 * TLS 1.3 and early data, and where the record it ends in ends.
 */
static void
test_retry_fields(void)
{
	static const struct {
		const char	*name;
		unsigned	 vers[3];	/* supported_versions, 0 ends */
		bool		 noext;		/* no supported_versions */
		bool		 early;
		bool		 tls13;
	} t[] = {
		{ "no supported_versions", { 0 }, true, false, false },
		{ "1.2 alone", { 0x0303, 0 }, false, false, false },
		{ "1.3 alone", { 0x0304, 0 }, false, false, true },
		{ "GREASE, 1.3, 1.2", { 0x2a2a, 0x0304, 0x0303 }, false, false,
		    true },
		{ "1.2, 1.3 last", { 0x0303, 0x0304, 0 }, false, false, true },
		{ "a draft of 1.3 alone", { 0x7f1c, 0 }, false, false, false },
		{ "1.3 and early_data", { 0x0304, 0 }, false, true, true },
		{ "early_data without 1.3", { 0x0303, 0 }, false, true, false },
	};
	struct nfqd_tls_hello	h;
	size_t			i, j, n;
	int			r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		plain();
		if (!t[i].noext) {
			for (n = 0; n < 3 && t[i].vers[n] != 0; n++)
				;
			m16(43);
			m16((unsigned)(1 + 2 * n));
			m8((unsigned)(2 * n));
			for (j = 0; j < n; j++)
				m16(t[i].vers[j]);
		}
		if (t[i].early)
			ext_fill(42, 0);
		mend();
		records(0);
		r = parse(slen, &h);
		CHECK_INT_EQ(r, NFQD_L7_DONE, unit_fmt("retry fields, %s: "
		    "read", t[i].name));
		CHECK_INT_EQ(h.tls13, t[i].tls13, unit_fmt("retry fields, %s: "
		    "tls13", t[i].name));
		CHECK_INT_EQ(h.early, t[i].early, unit_fmt("retry fields, %s: "
		    "early", t[i].name));
		CHECK_UINT_EQ(h.rec_end, slen, unit_fmt("retry fields, %s: "
		    "the record ends with the hello", t[i].name));
	}

	/* Bytes after the hello in its last record: the record's end. */
	plain();
	ext_list(43, 3);
	mend();
	n = mlen;
	mfill(0x01, 40);
	records(0);
	r = parse(slen, &h);
	CHECK(r == NFQD_L7_DONE && h.tls13 && h.used == 5 + n &&
	    h.rec_end == slen, "retry fields: 40 bytes after the hello in "
	    "its record: used the hello's end, rec_end the record's");
	/*
	 * Cut in records of 7 bytes (12 with the header): the hello's last
	 * byte, n - 1, lies in record (n - 1) / 7, which ends after it
	 * unless n is a multiple of 7.
	 */
	records(7);
	j = ((n - 1) / 7 + 1) * 12;
	r = parse(slen, &h);
	CHECK(r == NFQD_L7_DONE && h.used == (n - 1) / 7 * 5 + 5 + n &&
	    h.rec_end == j && (n % 7 == 0 || h.used < h.rec_end),
	    "retry fields: in 7-byte records, rec_end the end of the record "
	    "the hello ends in");
	/* Only the hello's bytes given: rec_end still the record's end. */
	r = parse(h.used, &h);
	CHECK(r == NFQD_L7_DONE && h.rec_end == j,
	    "retry fields: rec_end may lie past what was given");
	/* A bare message (QUIC): rec_end is used. */
	r = nfqd_tls_handshake_parse(msg, n, &h);
	CHECK(r == NFQD_L7_DONE && h.tls13 && h.used == n && h.rec_end == n,
	    "retry fields: a bare message, rec_end = used");
}

/* Verdicts that need only the first bytes, as the header promises. */
static void
test_early(void)
{
	static const struct {
		const char	*name;
		const char	*bytes;
		size_t		 len;
		int		 res;
		int		 why;
	} t[] = {
		{ "nothing", "", 0, NFQD_L7_MORE, NFQD_TLS_R_NONE },
		{ "22", "\x16", 1, NFQD_L7_MORE, NFQD_TLS_R_NONE },
		{ "22 3 1", "\x16\x03\x01", 3, NFQD_L7_MORE, NFQD_TLS_R_NONE },
		{ "record header", "\x16\x03\x01\x02\x00", 5, NFQD_L7_MORE,
		    NFQD_TLS_R_NONE },
		{ "'G'", "G", 1, NFQD_L7_NOT, NFQD_TLS_R_NOT_TLS },
		{ "SSLv2 first byte", "\x80", 1, NFQD_L7_NOT,
		    NFQD_TLS_R_NOT_TLS },
		{ "NUL", "\x00", 1, NFQD_L7_NOT, NFQD_TLS_R_NOT_TLS },
		{ "22 2", "\x16\x02", 2, NFQD_L7_BAD,
		    NFQD_TLS_R_RECORD_VERSION },
		{ "22 3 5", "\x16\x03\x05", 3, NFQD_L7_BAD,
		    NFQD_TLS_R_RECORD_VERSION },
		{ "record length 0", "\x16\x03\x01\x00\x00", 5, NFQD_L7_BAD,
		    NFQD_TLS_R_RECORD_LEN },
		{ "record length 16385", "\x16\x03\x01\x40\x01", 5,
		    NFQD_L7_BAD, NFQD_TLS_R_RECORD_LEN },
		{ "ServerHello type", "\x16\x03\x03\x00\x40\x02", 6,
		    NFQD_L7_BAD, NFQD_TLS_R_NOT_HELLO },
		{ "handshake length 2^24 - 1",
		    "\x16\x03\x01\x40\x00\x01\xff\xff\xff", 9, NFQD_L7_BAD,
		    NFQD_TLS_R_TOO_BIG },
		/* 9 + 16375: the hello would end at byte 16384. */
		{ "handshake length 16375 in a 16384 record",
		    "\x16\x03\x01\x40\x00\x01\x00\x3f\xf7", 9, NFQD_L7_MORE,
		    NFQD_TLS_R_NONE },
		{ "handshake length 16376 in a 16384 record",
		    "\x16\x03\x01\x40\x00\x01\x00\x3f\xf8", 9, NFQD_L7_BAD,
		    NFQD_TLS_R_TOO_BIG },
		/* 9 + 16370 and at least one more record header. */
		{ "handshake length 16370 in a 100-byte record",
		    "\x16\x03\x01\x00\x64\x01\x00\x3f\xf2", 9, NFQD_L7_MORE,
		    NFQD_TLS_R_NONE },
		{ "handshake length 16371 in a 100-byte record",
		    "\x16\x03\x01\x00\x64\x01\x00\x3f\xf3", 9, NFQD_L7_BAD,
		    NFQD_TLS_R_TOO_BIG },
		{ "handshake header in 1-byte records",
		    "\x16\x03\x01\x00\x01\x01\x16\x03\x01\x00\x01\x00"
		    "\x16\x03\x01\x00\x01\x01", 18, NFQD_L7_MORE,
		    NFQD_TLS_R_NONE },
	};
	struct nfqd_tls_hello	h;
	size_t			i;
	int			r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sraw(t[i].bytes, t[i].len);
		r = parse(slen, &h);
		CHECKF(r == t[i].res && h.why == t[i].why && zero_but_why(&h),
		    unit_fmt("early: %s", t[i].name),
		    "got %d why %u, expected %d why %d", r, h.why, t[i].res,
		    t[i].why);
	}
}

/*
 * Hellos cut into records at random, 300 ways: the plain one into records
 * of 1 to 3 bytes, the post-quantum one into records of 1 to 100 or 1 to
 * 2000 bytes.  Each is the same hello, or TOO_BIG when the record headers
 * take it past 16384 bytes.
 */
static void
test_random_records(void)
{
	struct nfqd_tls_hello	h, want[2];
	uint32_t		seed;
	unsigned		bad = 0, first = 0, big = 0;
	int			r, ok, pq;

	b_plain();
	if (parse(slen, &want[0]) != NFQD_L7_DONE)
		abort();
	b_pq();
	if (parse(slen, &want[1]) != NFQD_L7_DONE)
		abort();
	for (seed = 1; seed <= 300; seed++) {
		if ((pq = seed % 3 != 0)) {
			pq_hello();
			records_rand(seed, seed % 3 == 1 ? 100 : 2000);
		} else {
			plain();
			mend();
			records_rand(seed, 3);
		}
		r = parse(slen, &h);
		want[pq].used = want[pq].rec_end = (uint32_t)slen;
		if (slen > NFQD_TLS_HELLO_MAX) {
			big++;
			ok = r == NFQD_L7_BAD && h.why == NFQD_TLS_R_TOO_BIG;
		} else
			ok = r == NFQD_L7_DONE &&
			    memcmp(&h, &want[pq], sizeof(h)) == 0;
		if (!ok && bad++ == 0)
			first = seed;
	}
	CHECKF(bad == 0, "random record sizes: 300 ways, same hello",
	    "%u differ, the first with seed %u", bad, first);
	CHECK_UINT_EQ(big, 0, "random record sizes: none past 16 KiB");
}

/* The captures, whole, at every prefix, and cut into other records. */
static void
test_real(void)
{
	static const struct {
		const char	*name;
		const uint8_t	*bytes;
		size_t		 len;
	} t[] = {
		{ "openssl s_client", real_ossl13, sizeof(real_ossl13) },
		{ "openssl s_client -tls1_2", real_ossl12,
		    sizeof(real_ossl12) },
		{ "curl", real_curl, sizeof(real_curl) },
	};
	struct nfqd_tls_hello	h, whole;
	size_t			i, size;
	int			r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sraw(t[i].bytes, t[i].len);
		r = parse(slen, &whole);
		CHECK_INT_EQ(r, NFQD_L7_DONE, unit_fmt("real %s: result",
		    t[i].name));
		check_fields(unit_fmt("real %s", t[i].name), &whole,
		    "www.example.com", "h2,http/1.1", false, false, 0x0303,
		    t[i].len);
		check_prefixes(unit_fmt("real %s", t[i].name), r, &whole);
		CHECK_INT_EQ(nfqd_tls_alpn_has(&whole, "h2", 2), 1,
		    unit_fmt("real %s: offers h2", t[i].name));

		/* Its handshake message in smaller records. */
		mlen = 0;
		mdata(t[i].bytes + 5, t[i].len - 5);
		for (size = 1; size <= 64; size *= 2) {
			records(size);
			r = parse(slen, &h);
			whole.used = whole.rec_end = (uint32_t)slen;
			CHECKF(r == NFQD_L7_DONE &&
			    memcmp(&h, &whole, sizeof(h)) == 0,
			    unit_fmt("real %s in %zu-byte records", t[i].name,
			    size), "result %d why %u sni \"%s\"", r, h.why,
			    h.sni);
		}
	}
}

/*
 * Every length of protocol name the list keeps (1 to 127), second in the
 * list after "h2" where both fit, in one record (read in place) and in
 * records of 3 and 7 bytes (the names cut across them): the list kept
 * byte for byte, as the parser before (tls_ref.h, through parse()).
 */
static void
test_alpn_lengths(void)
{
	static const size_t	sizes[] = { 0, 3, 7 };
	struct nfqd_tls_hello	h;
	char			list[200], name[128], got[400];
	size_t			n, i, k, bad = 0, seen = 0;
	int			r;

	for (n = 1; n <= 127; n++) {
		for (i = 0; i < n; i++)
			name[i] = (char)('a' + (i * 5 + n) % 26);
		name[n] = '\0';
		snprintf(list, sizeof(list), "%s%s", n <= 124 ? "h2," : "",
		    name);
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			hello(3, true);
			ext_sni("www.example.com");
			ext_alpn(list);
			mend();
			records(sizes[k]);
			r = parse(slen, &h);
			seen++;
			if (r != NFQD_L7_DONE || h.alpn_cut ||
			    strcmp(alpn_str(&h, got, sizeof(got)), list) != 0) {
				if (bad == 0)
					fprintf(stderr, "# alpn length %zu, "
					    "records of %zu: result %d, "
					    "\"%s\"\n", n, sizes[k], r,
					    alpn_str(&h, got, sizeof(got)));
				bad++;
			}
		}
	}
	CHECKF(bad == 0 && seen == 381, "ALPN names of every length, in "
	    "place and across records: kept byte for byte", "%zu of %zu "
	    "differ", bad, seen);
}

static void
test_alpn_has(void)
{
	static const struct {
		void		(*build)(void);
		const char	*p;
		int		 want;
	} t[] = {
		{ b_plain, "h2", 1 },
		{ b_plain, "http/1.1", 1 },
		{ b_plain, "H2", 0 },
		{ b_plain, "h", 0 },
		{ b_plain, "h2c", 0 },
		{ b_plain, "http/1.0", 0 },
		{ b_plain, "", 0 },
		{ b_no_exts, "h2", 0 },
		{ b_alpn_cut, "proto-000", 1 },
		{ b_alpn_cut, "proto-011", 1 },
		{ b_alpn_cut, "proto-012", -1 },
		{ b_alpn_cut, "h2", -1 },
		{ b_alpn_255, "h2", -1 },
	};
	struct nfqd_tls_hello	h;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		t[i].build();
		if (parse(slen, &h) != NFQD_L7_DONE)
			abort();
		CHECK_INT_EQ(nfqd_tls_alpn_has(&h, t[i].p, strlen(t[i].p)),
		    t[i].want, unit_fmt("alpn_has \"%s\" (%zu)", t[i].p, i));
	}
}

/*
 * A hello of 4000 empty extensions is whole and read as such.  How long
 * it takes is the fuzzer's and the benchmark's to watch, not a test's
 * (timings here are noisy).
 */
static void
test_linear(void)
{
	struct nfqd_tls_hello	h;

	b_4000_exts();
	CHECK_INT_EQ(nfqd_tls_hello_parse(st, slen, &h), NFQD_L7_DONE,
	    "4000 extensions: DONE");
}

static void
test_why_str(void)
{
	unsigned	i, j;
	int		ok = 1;

	for (i = 0; i < NFQD_TLS_R_MAX; i++) {
		if (strcmp(nfqd_tls_why_str(i), "unknown") == 0)
			ok = 0;
		for (j = 0; j < i; j++)
			if (strcmp(nfqd_tls_why_str(i),
			    nfqd_tls_why_str(j)) == 0)
				ok = 0;
	}
	CHECK(ok, "why_str: every reason has its own words");
	CHECK_STR_EQ(nfqd_tls_why_str(NFQD_TLS_R_MAX), "unknown",
	    "why_str: out of range");
}

/*
 * nfqd_tls_sni_peek() alone: the first record's hello, whole in the
 * bytes given, or nothing.
 */
static void
test_peek(void)
{
	const uint8_t	*p;
	uint8_t		 b[600];
	size_t		 k, n, i, miss = 0;

	p = nfqd_tls_sni_peek(real_curl, sizeof(real_curl), &k);
	CHECK(p == real_curl + 153 && k == 15 &&
	    memcmp(p, "www.example.com", 15) == 0, "peek: curl's hello");
	/* Each prefix that cuts the name or what precedes it: nothing. */
	for (n = 0; n < 153 + 15; n++)
		if (nfqd_tls_sni_peek(real_curl, n, &k) != NULL)
			miss++;
	CHECKF(miss == 0, "peek: no name from a prefix that cuts it",
	    "%zu prefixes gave one", miss);
	CHECK(nfqd_tls_sni_peek(real_curl, 153 + 15, &k) == real_curl + 153,
	    "peek: the prefix that ends with the name gives it");

	/* The same hello in 64-byte records: the name is in the third. */
	mlen = 0;
	mdata(real_curl + 5, sizeof(real_curl) - 5);
	records(64);
	CHECK(nfqd_tls_sni_peek(st, slen, &k) == NULL,
	    "peek: not past the first record");

	/* Lengths that lie: nothing, and no read past them. */
	memcpy(b, real_curl, sizeof(real_curl));
	b[3] = 0; b[4] = 100;		/* a record of 100 bytes */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: a record that ends before the name");
	memcpy(b, real_curl, sizeof(real_curl));
	b[7] = 0; b[8] = 80;		/* handshake message of 80 bytes */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: a message that ends before the name");
	memcpy(b, real_curl, sizeof(real_curl));
	b[152] = 40;			/* host_name of 40 bytes in 18 */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: a name longer than its extension");
	memcpy(b, real_curl, sizeof(real_curl));
	b[152] = 0;			/* an empty host_name */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: an empty name");
	memcpy(b, real_curl, sizeof(real_curl));
	b[150] = 1;			/* name_type 1, not host_name */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: an entry of another type");
	memcpy(b, real_curl, sizeof(real_curl));
	b[145] = 0xff;			/* server_name's type changed */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: no server_name extension");
	memcpy(b, real_curl, sizeof(real_curl));
	b[5] = 2;			/* ServerHello */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: another handshake message");
	memcpy(b, real_curl, sizeof(real_curl));
	b[0] = 23;			/* application_data */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: another record type");
	memcpy(b, real_curl, sizeof(real_curl));
	b[43] = 0xff;			/* session id of 255 bytes */
	CHECK(nfqd_tls_sni_peek(b, sizeof(real_curl), &k) == NULL,
	    "peek: a session id past the end");
	/* Every byte of the hello set to every value: the name, if one
	 * comes back, lies within the bytes; the parsers read it as the
	 * parser before in-place reading did. */
	for (i = 0, miss = 0; i < sizeof(real_curl); i++)
		for (n = 0; n < 256; n++) {
			memcpy(b, real_curl, sizeof(real_curl));
			b[i] = (uint8_t)n;
			p = nfqd_tls_sni_peek(b, sizeof(real_curl), &k);
			if (p != NULL && (p < b + 9 || k == 0 ||
			    (size_t)(p - b) + k > sizeof(real_curl)))
				miss++;
			/* The parsers too, the record and the message
			   alone (as QUIC's CRYPTO stream holds it). */
			ref_check(b, sizeof(real_curl));
			ref_check(b + 5, sizeof(real_curl) - 5);
		}
	CHECKF(miss == 0, "peek: every one-byte change of a hello: any "
	    "name within the bytes", "%zu outside", miss);
}

int
main(void)
{
	size_t	i;

	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 bytes. */
	memset(name253, 'a', 253);
	name253[63] = name253[127] = name253[191] = '.';
	memset(name254, 'b', 254);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check_shape(&shapes[i]);
	test_early();
	test_retry_fields();
	test_random_records();
	test_real();
	test_alpn_has();
	test_alpn_lengths();
	test_linear();
	test_why_str();
	test_peek();
	/* Every parse above through the JA4-less reader too. */
	CHECKF(noja4_differs == 0 && noja4_seen[NFQD_L7_DONE] > 50 &&
	    noja4_seen[NFQD_L7_MORE] > 50 && noja4_seen[NFQD_L7_BAD] > 50 &&
	    noja4_seen[NFQD_L7_NOT] > 0, "without JA4: the same answers and "
	    "fields for every parse", "%u differ; %u done, %u more, %u bad, "
	    "%u not", noja4_differs, noja4_seen[NFQD_L7_DONE],
	    noja4_seen[NFQD_L7_MORE], noja4_seen[NFQD_L7_BAD],
	    noja4_seen[NFQD_L7_NOT]);
	/* And through the server name peek. */
	CHECKF(ref_differs == 0 && ref_seen > 1000, "every parse above is "
	    "the parser before in-place reading's (tls_ref.h), with and "
	    "without JA4 and as a bare handshake message", "%u of %u differ",
	    ref_differs, ref_seen);
	CHECKF(peek_differs == 0 && peek_same > 50, "the server name peek: "
	    "within the bytes, and a DONE hello's name whenever it finds one",
	    "%u differ, %u the same", peek_differs, peek_same);
	return unit_done();
}
