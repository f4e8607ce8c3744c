/*
 * JA4 of a parsed ClientHello (include/nfqd/l7/ja4.h).  The lists are
 * written as the specification hashes them ("002f,0035,..."), into
 * buffers on the stack sized for the most struct nfqd_tls_ja4in keeps,
 * and hashed with libcrypto's SHA-256 in a context on the stack
 * (SHA256_Init(), SHA256_Update(), SHA256_Final()), which allocates
 * nothing and cannot fail.  Those three are deprecated since OpenSSL 3.0
 * in favour of EVP, which every 3.x still ships; but OpenSSL 3.0's
 * EVP_DigestInit_ex2() remakes the provider's context at every digest,
 * even on a context that had the same digest: one allocation a digest,
 * two a hello, on the packet path, and a failed allocation would leave a
 * hello without a fingerprint, so that no tls_ja4 rule matches it (a
 * drop rule walked around under memory pressure).  tests/unit/test_ja4.c
 * counts libcrypto's allocations over 1,000 fingerprints: none.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA256_Init() and co., above */

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/sha.h>

#include "nfqd/l7/ja4.h"

#define EXT_SERVER_NAME	0x0000
#define EXT_ALPN	0x0010

/* Each value as 4 hex digits and a comma. */
#define LIST_MAX(n)	((n) * 5)

static const char hexd[] = "0123456789abcdef";

/* The first 12 hex digits of SHA-256 of s[0..n), or "000000000000" for
   nothing (the specification's choice); false when it cannot be had. */
static bool
hash12(const char *s, size_t n, char *out)
{
	SHA256_CTX	c;
	unsigned char	md[SHA256_DIGEST_LENGTH];
	int		i;

	if (n == 0) {
		memset(out, '0', 12);
		return true;
	}
	if (!SHA256_Init(&c) || !SHA256_Update(&c, s, n) ||
	    !SHA256_Final(md, &c))
		return false;
	for (i = 0; i < 6; i++) {
		out[2 * i] = hexd[md[i] >> 4];
		out[2 * i + 1] = hexd[md[i] & 0xf];
	}
	return true;
}

/* A known answer (FIPS 180-2, B.1: "abc"), so that a libcrypto whose
   SHA-256 is missing or wrong is found at start, not in a rule. */
int
nfqd_ja4_init(void)
{
	char	out[12];

	return hash12("abc", 3, out) && memcmp(out, "ba7816bf8f01", 12) == 0 ?
	    0 : -1;
}

/* Insertion sort by binary search: n is at most a few hundred, once per
   hello, and the moves are memmove()s. */
static void
sort16(uint16_t *v, size_t n)
{
	size_t		i, lo, hi, mid;
	uint16_t	x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (lo = 0, hi = i; lo < hi; ) {
			mid = lo + (hi - lo) / 2;
			if (v[mid] <= x)
				lo = mid + 1;
			else
				hi = mid;
		}
		memmove(&v[lo + 1], &v[lo], (i - lo) * sizeof(v[0]));
		v[lo] = x;
	}
}

/* v[0..n) as "xxxx,xxxx,..." at p; returns the end. */
static char *
put_list(char *p, const uint16_t *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		*p++ = hexd[v[i] >> 12];
		*p++ = hexd[v[i] >> 8 & 0xf];
		*p++ = hexd[v[i] >> 4 & 0xf];
		*p++ = hexd[v[i] & 0xf];
	}
	return p;
}

static const char *
version_str(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static bool
alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/*
 * The first ALPN protocol's first and last bytes, or the first hex digit
 * of the first and the last of the last when either is not an ASCII
 * letter or digit ("00": no ALPN).
 */
static void
put_alpn(char *p, const struct nfqd_tls_ja4in *j)
{
	if (!j->alpn) {
		p[0] = p[1] = '0';
	} else if (alnum(j->alpn_first) && alnum(j->alpn_last)) {
		p[0] = (char)j->alpn_first;
		p[1] = (char)j->alpn_last;
	} else {
		p[0] = hexd[j->alpn_first >> 4];
		p[1] = hexd[j->alpn_last & 0xf];
	}
}

static unsigned
cap99(unsigned n)
{
	return n > 99 ? 99 : n;
}

int
nfqd_ja4(const struct nfqd_tls_hello *h, char proto,
    char out[NFQD_JA4_LEN + 1])
{
	const struct nfqd_tls_ja4in *j = &h->ja4;
	uint16_t	 v[NFQD_TLS_JA4_CIPHERS];
	char		 buf[LIST_MAX(NFQD_TLS_JA4_CIPHERS)];
	char		*p;
	size_t		 i, n;

	_Static_assert(NFQD_TLS_JA4_CIPHERS >= NFQD_TLS_JA4_EXTS &&
	    LIST_MAX(NFQD_TLS_JA4_CIPHERS) >= LIST_MAX(NFQD_TLS_JA4_EXTS) +
	    LIST_MAX(NFQD_TLS_JA4_SIGALGS), "buffers hold every list");
	out[0] = '\0';
	if (j->cut || j->nciphers > NFQD_TLS_JA4_CIPHERS ||
	    j->nexts > NFQD_TLS_JA4_EXTS || j->nsigalgs > NFQD_TLS_JA4_SIGALGS)
		return -1;
	/* a */
	out[0] = proto;
	memcpy(out + 1, version_str(j->version), 2);
	out[3] = j->sni ? 'd' : 'i';
	out[4] = (char)('0' + cap99(j->nciphers) / 10);
	out[5] = (char)('0' + cap99(j->nciphers) % 10);
	out[6] = (char)('0' + cap99(j->nexts) / 10);
	out[7] = (char)('0' + cap99(j->nexts) % 10);
	put_alpn(out + 8, j);
	out[10] = '_';
	/* b */
	memcpy(v, j->ciphers, j->nciphers * sizeof(v[0]));
	sort16(v, j->nciphers);
	p = put_list(buf, v, j->nciphers);
	if (!hash12(buf, (size_t)(p - buf), out + 11))
		goto fail;
	out[23] = '_';
	/* c: "" when neither list has anything, hashed to 000000000000 */
	for (i = n = 0; i < j->nexts; i++)
		if (j->exts[i] != EXT_SERVER_NAME && j->exts[i] != EXT_ALPN)
			v[n++] = j->exts[i];
	sort16(v, n);
	p = put_list(buf, v, n);
	if (j->nsigalgs > 0) {
		*p++ = '_';
		p = put_list(p, j->sigalgs, j->nsigalgs);
	}
	if (!hash12(buf, (size_t)(p - buf), out + 24))
		goto fail;
	out[NFQD_JA4_LEN] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

bool
nfqd_ja4_valid(const char *s, size_t len)
{
	/* A pattern character per position: a letter or digit, a digit,
	   a hex digit, or the character itself. */
	static const char pat[] =
	    "pAAsDDDDAA_HHHHHHHHHHHH_HHHHHHHHHHHH";
	size_t	i;
	int	c;

	_Static_assert(sizeof(pat) - 1 == NFQD_JA4_LEN, "pattern length");
	if (len != NFQD_JA4_LEN)
		return false;
	for (i = 0; i < len; i++) {
		c = tolower((unsigned char)s[i]);
		switch (pat[i]) {
		case 'p':
			if (c != 't' && c != 'q' && c != 'd')
				return false;
			break;
		case 's':
			if (c != 'd' && c != 'i')
				return false;
			break;
		case 'A':
			if (!alnum((uint8_t)c))
				return false;
			break;
		case 'D':
			if (c < '0' || c > '9')
				return false;
			break;
		case 'H':
			if (strchr(hexd, c) == NULL || c == '\0')
				return false;
			break;
		default:
			if (c != pat[i])
				return false;
			break;
		}
	}
	return true;
}
