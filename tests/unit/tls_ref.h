/*
 * The ClientHello parser as it was before src/l7/tls.c read in place
 * (cur_here(), cur_skip(): integers and skips within the current record
 * without a call, the record's readable end kept in the cursor): every
 * integer through the general cursor functions.  tests/unit/test_tls.c
 * and tests/fuzz/fuzz_tls.c hold the parser to the same answers and
 * fields, byte for byte, with and without JA4 and for QUIC's bare
 * handshake messages.
 */
#ifndef NFQD_TLS_REF_H
#define NFQD_TLS_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/l7/tls.h"

#define TLS_CT_HANDSHAKE	22
#define TLS_HS_CLIENT_HELLO	1
#define TLS_VERSION_13		0x0304
#define TLS_REC_HDR		5
#define TLS_REC_MAX		16384	/* 2^14, RFC 8446 5.1 */
#define TLS_HS_HDR		4
#define TLS_RANDOM		32
#define TLS_SESSION_ID_MAX	32

#define EXT_SERVER_NAME		0
#define EXT_SIGALGS		13
#define EXT_ALPN		16
#define EXT_EARLY_DATA		42
#define EXT_VERSIONS		43
#define EXT_ECH			0xfe0d
#define SNI_HOST_NAME		0

/* Longest host_name kept for normalizing: 253 bytes and a trailing dot. */
#define RAW_NAME_MAX		(NFQD_L7_NAME_MAX + 1)


/* Where the parse is in the stream and in the handshake message. */
struct ref_tls_cur {
	const uint8_t	*buf;
	size_t		 len;		/* stream bytes there */
	size_t		 pos;		/* stream offset of the next byte */
	size_t		 rec_end;	/* stream offset where the current
					   record's fragment ends (may be past
					   len) */
	size_t		 off;		/* handshake bytes read, its header
					   included */
	size_t		 hs_end;	/* handshake length with its header; 0
					   until the header is read */
	enum nfqd_l7_res res;		/* why the last read stopped */
	uint8_t		 why;		/* enum nfqd_tls_why, for NOT and BAD */
	bool		 ja4;		/* keep what JA4 reads */
};

static bool
ref_stop(struct ref_tls_cur *c, enum nfqd_l7_res res, enum nfqd_tls_why why)
{
	c->res = res;
	c->why = (uint8_t)why;
	return false;
}

/*
 * Whether the rest of the hello can still end within NFQD_TLS_HELLO_MAX
 * stream bytes: its bytes not yet read, and a record header for each 2^14
 * of them past the current record, however they are cut.
 */
static bool
ref_cur_fits(struct ref_tls_cur *c)
{
	size_t	left = c->hs_end - c->off, rec_left = c->rec_end - c->pos;
	size_t	need = c->pos + left;

	if (left > rec_left)
		need += TLS_REC_HDR * ((left - rec_left + TLS_REC_MAX - 1) /
		    TLS_REC_MAX);
	if (need > NFQD_TLS_HELLO_MAX)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_TOO_BIG);
	return true;
}

/*
 * Make c->pos a byte of the handshake message that is there: read the next
 * record header if the current record is used up.  Each header byte is
 * judged as soon as it is there.  Only the stream's first byte can say
 * NOT: after a 22 the answer is MORE, DONE or BAD, so a stream that was
 * MORE never turns NOT.
 */
static bool
ref_cur_fill(struct ref_tls_cur *c)
{
	const uint8_t	*h;
	size_t		 have = c->len - c->pos, rlen;
	bool		 first = c->pos == 0;

	if (have == 0)
		return ref_stop(c, NFQD_L7_MORE, NFQD_TLS_R_NONE);
	if (c->pos < c->rec_end)
		return true;
	h = c->buf + c->pos;
	if (h[0] != TLS_CT_HANDSHAKE)
		return ref_stop(c, first ? NFQD_L7_NOT : NFQD_L7_BAD,
		    first ? NFQD_TLS_R_NOT_TLS : NFQD_TLS_R_RECORD_TYPE);
	if ((have >= 2 && h[1] != 3) || (have >= 3 && h[2] > 4))
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_RECORD_VERSION);
	if (have < TLS_REC_HDR)
		return ref_stop(c, NFQD_L7_MORE, NFQD_TLS_R_NONE);
	rlen = (size_t)h[3] << 8 | h[4];
	if (rlen == 0 || rlen > TLS_REC_MAX)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_RECORD_LEN);
	c->pos += TLS_REC_HDR;
	c->rec_end = c->pos + rlen;
	if (c->hs_end != 0 && !ref_cur_fits(c))
		return false;
	if (c->pos == c->len)
		return ref_stop(c, NFQD_L7_MORE, NFQD_TLS_R_NONE);
	return true;
}

/* Whether n more handshake bytes stay within end; BAD if not. */
static bool
ref_cur_room(struct ref_tls_cur *c, size_t end, size_t n)
{
	if (n > end - c->off)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	return true;
}

/*
 * Step over n handshake bytes within end, copying them to dst unless it
 * is NULL.  A record's worth at a time, so skipping is O(records).
 */
static bool
ref_cur_take(struct ref_tls_cur *c, size_t end, size_t n, uint8_t *dst)
{
	size_t	k;

	if (!ref_cur_room(c, end, n))
		return false;
	while (n > 0) {
		if (!ref_cur_fill(c))
			return false;
		k = c->rec_end < c->len ? c->rec_end : c->len;
		k -= c->pos;
		if (k > n)
			k = n;
		if (dst != NULL) {
			memcpy(dst, c->buf + c->pos, k);
			dst += k;
		}
		c->pos += k;
		c->off += k;
		n -= k;
	}
	return true;
}

/*
 * A big-endian integer of n (1 to 3) handshake bytes within end.  Most
 * lie in the current record and in the buffer: read them there; the rest
 * (a record boundary, the stream's end, past end) take ref_cur_take()'s way,
 * which judges them.
 */
static inline bool
ref_cur_uint(struct ref_tls_cur *c, size_t end, size_t n, uint32_t *v)
{
	const uint8_t	*p;
	uint8_t		 b[3];
	size_t		 i, lim;

	lim = c->rec_end < c->len ? c->rec_end : c->len;
	if (n <= end - c->off && c->pos < lim && n <= lim - c->pos) {
		p = c->buf + c->pos;
		*v = 0;
		for (i = 0; i < n; i++)
			*v = *v << 8 | p[i];
		c->pos += n;
		c->off += n;
		return true;
	}
	if (!ref_cur_take(c, end, n, b))
		return false;
	*v = 0;
	for (i = 0; i < n; i++)
		*v = *v << 8 | b[i];
	return true;
}

/* A length of n bytes that must fit within end, and the end it sets. */
static bool
ref_cur_len(struct ref_tls_cur *c, size_t end, size_t n, uint32_t *v,
    size_t *vend)
{
	if (!ref_cur_uint(c, end, n, v) || !ref_cur_room(c, end, *v))
		return false;
	*vend = c->off + *v;
	return true;
}

/* GREASE, RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool
ref_grease(uint32_t v)
{
	return (v & 0x0f0f) == 0x0a0a && v >> 8 == (v & 0xff);
}

/* Keep v in one of JA4's lists unless it is GREASE; past max, cut. */
static void
ref_ja4_keep(struct nfqd_tls_ja4in *j, uint16_t *list, uint16_t *n, size_t max,
    uint32_t v)
{
	if (ref_grease(v))
		return;
	if (*n == max) {
		j->cut = true;
		return;
	}
	list[(*n)++] = (uint16_t)v;
}

/* server_name, RFC 6066 3: exactly one host_name, normalized. */
static bool
ref_parse_sni(struct ref_tls_cur *c, size_t end, struct nfqd_tls_hello *out)
{
	uint8_t		raw[RAW_NAME_MAX];
	uint32_t	n, type;
	size_t		lend, nend;
	bool		seen = false;
	int		r;

	if (!ref_cur_len(c, end, 2, &n, &lend))
		return false;
	if (lend != end)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	if (n == 0)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_SNI);
	while (c->off < end) {
		if (!ref_cur_uint(c, end, 1, &type) ||
		    !ref_cur_len(c, end, 2, &n, &nend))
			return false;
		if (type != SNI_HOST_NAME) {
			if (!ref_cur_take(c, nend, n, NULL))
				return false;
			continue;
		}
		if (seen)
			return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_SNI);
		if (n > sizeof(raw))
			return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_NAME);
		if (!ref_cur_take(c, nend, n, raw))
			return false;
		/*
		 * "a.b.." comes back from nfqd_l7_name_norm() as "a.b.":
		 * a second trailing dot is an empty label, refused here.
		 * A HostName is a DNS name (RFC 6066 3), but servers that
		 * pick a virtual host by it cut it as they cut an HTTP Host
		 * (nginx stops at ':'): "blocked.example:443" would select
		 * blocked.example there and match no rule for it here.
		 */
		r = nfqd_l7_name_norm(out->sni, raw, n);
		if (r < 0 || out->sni[r - 1] == '.' ||
		    strpbrk(out->sni, ":/\\[]") != NULL)
			return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_NAME);
		out->sni_len = (uint16_t)r;
		seen = true;
	}
	return true;
}

/* application_layer_protocol_negotiation, RFC 7301 3.1. */
static bool
ref_parse_alpn(struct ref_tls_cur *c, size_t end, struct nfqd_tls_hello *out)
{
	uint8_t		*p;
	uint32_t	n, first = 0, last = 0;
	size_t		lend, pend;

	if (!ref_cur_len(c, end, 2, &n, &lend))
		return false;
	if (lend != end)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	if (n == 0)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_ALPN);
	while (c->off < end) {
		if (!ref_cur_len(c, end, 1, &n, &pend))
			return false;
		if (n == 0)
			return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_ALPN);
		/* Whole entries only, and none after the first left out. */
		if (!out->alpn_cut && 1 + n <= NFQD_TLS_ALPN_MAX -
		    (size_t)out->alpn_len) {
			p = out->alpn + out->alpn_len + 1;
			out->alpn[out->alpn_len] = (uint8_t)n;
			if (!ref_cur_take(c, pend, n, p))
				return false;
			out->alpn_len += (uint16_t)(1 + n);
			first = p[0];
			last = p[n - 1];
		} else if (!out->ja4.alpn) {
			/* The first, too long to keep (n > 127): its ends. */
			out->alpn_cut = true;
			if (!ref_cur_uint(c, pend, 1, &first) ||
			    !ref_cur_take(c, pend, n - 2, NULL) ||
			    !ref_cur_uint(c, pend, 1, &last))
				return false;
		} else {
			out->alpn_cut = true;
			if (!ref_cur_take(c, pend, n, NULL))
				return false;
		}
		if (!out->ja4.alpn) {
			out->ja4.alpn = true;
			out->ja4.alpn_first = (uint8_t)first;
			out->ja4.alpn_last = (uint8_t)last;
		}
	}
	return true;
}

/*
 * supported_versions, RFC 8446 4.2.1: whether it offers TLS 1.3, and for
 * JA4 the highest.
 */
static bool
ref_parse_versions(struct ref_tls_cur *c, size_t end,
    struct nfqd_tls_hello *out)
{
	uint32_t	n, v, hi = 0;
	size_t		lend;

	if (!ref_cur_len(c, end, 1, &n, &lend))
		return false;
	if (lend != end)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	if (n == 0 || n % 2 != 0)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_VERSIONS);
	while (c->off < end) {
		if (!ref_cur_uint(c, end, 2, &v))
			return false;
		if (v == TLS_VERSION_13)
			out->tls13 = true;
		if (!ref_grease(v) && v > hi)
			hi = v;
	}
	if (c->ja4)
		out->ja4.version = (uint16_t)hi;
	return true;
}

/* signature_algorithms, RFC 8446 4.2.3: for JA4, in order. */
static bool
ref_parse_sigalgs(struct ref_tls_cur *c, size_t end, struct nfqd_tls_hello *out)
{
	struct nfqd_tls_ja4in	*j = &out->ja4;
	uint32_t		 n, v;
	size_t			 lend;

	if (!ref_cur_len(c, end, 2, &n, &lend))
		return false;
	if (lend != end)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	if (n == 0 || n % 2 != 0)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_SIGALGS);
	if (!c->ja4)
		return ref_cur_take(c, end, n, NULL);
	while (c->off < end) {
		if (!ref_cur_uint(c, end, 2, &v))
			return false;
		ref_ja4_keep(j, j->sigalgs, &j->nsigalgs,
		    NFQD_TLS_JA4_SIGALGS, v);
	}
	return true;
}

/* The extension block, which exactly fills the rest of the hello. */
static bool
ref_parse_exts(struct ref_tls_cur *c, struct nfqd_tls_hello *out)
{
	struct nfqd_tls_ja4in *j = &out->ja4;
	uint64_t	seen = 0;	/* types below 64 met so far */
	uint32_t	type, n;
	size_t		end, eend;
	bool		ok;

	if (!ref_cur_len(c, c->hs_end, 2, &n, &end))
		return false;
	if (end != c->hs_end)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	while (c->off < end) {
		if (!ref_cur_uint(c, end, 2, &type) ||
		    !ref_cur_len(c, end, 2, &n, &eend))
			return false;
		if (type < 64) {
			if (seen & (uint64_t)1 << type)
				return ref_stop(c, NFQD_L7_BAD,
				    NFQD_TLS_R_EXT_DUP);
			seen |= (uint64_t)1 << type;
		}
		if (c->ja4)
			ref_ja4_keep(j, j->exts, &j->nexts, NFQD_TLS_JA4_EXTS,
			    type);
		switch (type) {
		case EXT_SERVER_NAME:
			j->sni = true;
			ok = ref_parse_sni(c, eend, out);
			break;
		case EXT_ALPN:
			ok = ref_parse_alpn(c, eend, out);
			break;
		case EXT_VERSIONS:
			ok = ref_parse_versions(c, eend, out);
			break;
		case EXT_SIGALGS:
			ok = ref_parse_sigalgs(c, eend, out);
			break;
		case EXT_EARLY_DATA:
			out->early = true;
			ok = ref_cur_take(c, eend, n, NULL);
			break;
		case EXT_ECH:
			if (out->ech)
				return ref_stop(c, NFQD_L7_BAD,
				    NFQD_TLS_R_EXT_DUP);
			out->ech = true;
			ok = ref_cur_take(c, eend, n, NULL);
			break;
		default:
			ok = ref_cur_take(c, eend, n, NULL);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* The ClientHello body, RFC 8446 4.1.2 (and 5246 7.4.1.2). */
static bool
ref_parse_hello(struct ref_tls_cur *c, struct nfqd_tls_hello *out)
{
	uint32_t	v, n;
	size_t		end;

	if (!ref_cur_uint(c, c->hs_end, 2, &v))
		return false;
	if (v >> 8 != 3 || (v & 0xff) > 4)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_VERSION);
	out->version = (uint16_t)v;
	out->ja4.version = (uint16_t)v;	/* unless supported_versions says */
	if (!ref_cur_take(c, c->hs_end, TLS_RANDOM, NULL) ||
	    !ref_cur_len(c, c->hs_end, 1, &n, &end))
		return false;
	if (n > TLS_SESSION_ID_MAX)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_SESSION_ID);
	if (!ref_cur_take(c, end, n, NULL) ||
	    !ref_cur_len(c, c->hs_end, 2, &n, &end))
		return false;
	if (n < 2 || n % 2 != 0)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_CIPHERS);
	if (!c->ja4 && !ref_cur_take(c, end, n, NULL))
		return false;
	while (c->off < end) {
		if (!ref_cur_uint(c, end, 2, &v))
			return false;
		ref_ja4_keep(&out->ja4, out->ja4.ciphers, &out->ja4.nciphers,
		    NFQD_TLS_JA4_CIPHERS, v);
	}
	if (!ref_cur_len(c, c->hs_end, 1, &n, &end))
		return false;
	if (n < 1)
		return ref_stop(c, NFQD_L7_BAD, NFQD_TLS_R_COMPRESSION);
	if (!ref_cur_take(c, end, n, NULL))
		return false;
	/* Extensions may be left out whole (TLS 1.2 and before). */
	if (c->off == c->hs_end)
		return true;
	return ref_parse_exts(c, out);
}

/* Zero ja4's counts, version and flags, not its lists. */
static void
ref_clear_ja4(struct nfqd_tls_hello *out)
{
	memset(&out->ja4.nciphers, 0, sizeof(out->ja4) -
	    offsetof(struct nfqd_tls_ja4in, nciphers));
}

/* Zero out; without ja4, all but ja4's lists (1.5 KiB never read then). */
static void
ref_clear(struct nfqd_tls_hello *out, bool ja4)
{
	if (ja4) {
		memset(out, 0, sizeof(*out));
		return;
	}
	memset(out, 0, offsetof(struct nfqd_tls_hello, ja4));
	ref_clear_ja4(out);
}

/*
 * bare: buf is the handshake message itself (QUIC's CRYPTO stream): one
 * record without a header that never ends, so ref_cur_fill() reads none and
 * ref_cur_fits() holds the message alone to NFQD_TLS_HELLO_MAX.
 */
static enum nfqd_l7_res
ref_hello_parse(const uint8_t *buf, size_t len, bool bare, bool ja4,
    struct nfqd_tls_hello *out)
{
	struct ref_tls_cur	c;
	uint32_t	v;

	ref_clear(out, ja4);
	memset(&c, 0, sizeof(c));
	c.buf = buf;
	c.len = len;
	c.res = NFQD_L7_BAD;
	c.ja4 = ja4;
	if (bare)
		c.rec_end = SIZE_MAX;

	/* The handshake header, itself possibly cut over records. */
	if (!ref_cur_uint(&c, TLS_HS_HDR, 1, &v))
		goto out;
	if (v != TLS_HS_CLIENT_HELLO) {
		ref_stop(&c, NFQD_L7_BAD, NFQD_TLS_R_NOT_HELLO);
		goto out;
	}
	if (!ref_cur_uint(&c, TLS_HS_HDR, 3, &v))
		goto out;
	c.hs_end = TLS_HS_HDR + (size_t)v;
	if (!ref_cur_fits(&c) || !ref_parse_hello(&c, out))
		goto out;
	out->used = (uint32_t)c.pos;
	out->rec_end = bare ? out->used : (uint32_t)c.rec_end;
	if (!ja4)
		ref_clear_ja4(out);	/* ref_parse_alpn() kept it there */
	return NFQD_L7_DONE;
out:
	/* Only DONE fills the fields in; why is the one said otherwise. */
	ref_clear(out, ja4);
	out->why = c.why;
	/*
	 * How far the stream must reach before asking again: the hello's
	 * bytes not read yet, once its header said how many (record headers
	 * on the way only add to that).  A caller fed one byte at a time
	 * then parses O(records) times, not once per byte.
	 */
	if (c.res == NFQD_L7_MORE) {
		out->need = (uint32_t)len + 1;
		if (c.hs_end != 0 && c.pos + (c.hs_end - c.off) > len)
			out->need = (uint32_t)(c.pos + (c.hs_end - c.off));
	}
	return c.res;
}

static enum nfqd_l7_res
ref_tls_hello_parse(const uint8_t *buf, size_t len,
    struct nfqd_tls_hello *out)
{
	return ref_hello_parse(buf, len, false, true, out);
}

static enum nfqd_l7_res
ref_tls_hello_parse_noja4(const uint8_t *buf, size_t len,
    struct nfqd_tls_hello *out)
{
	return ref_hello_parse(buf, len, false, false, out);
}

static enum nfqd_l7_res
ref_tls_handshake_parse(const uint8_t *buf, size_t len,
    struct nfqd_tls_hello *out)
{
	return ref_hello_parse(buf, len, true, true, out);
}

#endif
