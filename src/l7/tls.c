/*
 * The TLS ClientHello parser (include/nfqd/l7/tls.h says what it accepts).
 *
 * The hello is read through a cursor over the record stream: the cursor
 * hands out the bytes of the handshake message one record fragment at a
 * time and checks each record header as it reaches it, so a hello cut into
 * any number of records is read in place, with nothing copied but the
 * server name (for nfqd_l7_name_norm()), the ALPN list kept and the
 * values JA4 reads (cipher suites, extension types, signature algorithms,
 * a bounded number of each), which nfqd_tls_hello_parse_noja4() steps
 * over instead.
 *
 * Every length is held against the end of what holds it (extension,
 * extension block, handshake message) before a byte of it is read: past
 * that end is BAD whatever len is; within it but past len is MORE.  That
 * order is what makes every prefix of a good hello MORE.  Offsets stay
 * below 2^24 + 4 (the handshake length field) and stream positions below
 * len, so the comparisons "n > end - off" never wrap.
 */
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

static const char *const whys[NFQD_TLS_R_MAX] = {
	[NFQD_TLS_R_NONE] = "no problem",
	[NFQD_TLS_R_NOT_TLS] = "not TLS",
	[NFQD_TLS_R_RECORD_TYPE] = "record other than handshake inside the "
	    "ClientHello",
	[NFQD_TLS_R_RECORD_VERSION] = "record version not 3.0 to 3.4",
	[NFQD_TLS_R_RECORD_LEN] = "record length 0 or over 16384",
	[NFQD_TLS_R_NOT_HELLO] = "first handshake message not a ClientHello",
	[NFQD_TLS_R_TOO_BIG] = "ClientHello past 16384 stream bytes",
	[NFQD_TLS_R_LENGTH] = "length past the end of what holds it",
	[NFQD_TLS_R_VERSION] = "ClientHello version not 3.0 to 3.4",
	[NFQD_TLS_R_SESSION_ID] = "session_id over 32 bytes",
	[NFQD_TLS_R_CIPHERS] = "cipher_suites empty or of odd length",
	[NFQD_TLS_R_COMPRESSION] = "no compression method",
	[NFQD_TLS_R_EXT_DUP] = "extension type repeated",
	[NFQD_TLS_R_SNI] = "server_name list empty or with two host_names",
	[NFQD_TLS_R_NAME] = "server name refused (NUL, space, non-ASCII, "
	    "empty label, too long, a port, '/', '\\' or brackets)",
	[NFQD_TLS_R_ALPN] = "ALPN list or protocol name empty",
	[NFQD_TLS_R_VERSIONS] = "supported_versions empty or of odd length",
	[NFQD_TLS_R_SIGALGS] = "signature_algorithms empty or of odd length",
};

/* Where the parse is in the stream and in the handshake message. */
struct tls_cur {
	const uint8_t	*buf;
	size_t		 len;		/* stream bytes there */
	size_t		 pos;		/* stream offset of the next byte */
	size_t		 rec_end;	/* stream offset where the current
					   record's fragment ends (may be past
					   len) */
	size_t		 lim;		/* the lesser of rec_end and len: the
					   bytes from pos to it can be read in
					   place; pos never passes it */
	size_t		 off;		/* handshake bytes read, its header
					   included */
	size_t		 hs_end;	/* handshake length with its header; 0
					   until the header is read */
	enum nfqd_l7_res res;		/* why the last read stopped */
	uint8_t		 why;		/* enum nfqd_tls_why, for NOT and BAD */
	bool		 ja4;		/* keep what JA4 reads */
};

static bool
stop(struct tls_cur *c, enum nfqd_l7_res res, enum nfqd_tls_why why)
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
cur_fits(struct tls_cur *c)
{
	size_t	left = c->hs_end - c->off, rec_left = c->rec_end - c->pos;
	size_t	need = c->pos + left;

	if (left > rec_left)
		need += TLS_REC_HDR * ((left - rec_left + TLS_REC_MAX - 1) /
		    TLS_REC_MAX);
	if (need > NFQD_TLS_HELLO_MAX)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_TOO_BIG);
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
cur_fill(struct tls_cur *c)
{
	const uint8_t	*h;
	size_t		 have = c->len - c->pos, rlen;
	bool		 first = c->pos == 0;

	if (have == 0)
		return stop(c, NFQD_L7_MORE, NFQD_TLS_R_NONE);
	if (c->pos < c->rec_end)
		return true;
	h = c->buf + c->pos;
	if (h[0] != TLS_CT_HANDSHAKE)
		return stop(c, first ? NFQD_L7_NOT : NFQD_L7_BAD,
		    first ? NFQD_TLS_R_NOT_TLS : NFQD_TLS_R_RECORD_TYPE);
	if ((have >= 2 && h[1] != 3) || (have >= 3 && h[2] > 4))
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_RECORD_VERSION);
	if (have < TLS_REC_HDR)
		return stop(c, NFQD_L7_MORE, NFQD_TLS_R_NONE);
	rlen = (size_t)h[3] << 8 | h[4];
	if (rlen == 0 || rlen > TLS_REC_MAX)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_RECORD_LEN);
	c->pos += TLS_REC_HDR;
	c->rec_end = c->pos + rlen;
	c->lim = c->rec_end < c->len ? c->rec_end : c->len;
	if (c->hs_end != 0 && !cur_fits(c))
		return false;
	if (c->pos == c->len)
		return stop(c, NFQD_L7_MORE, NFQD_TLS_R_NONE);
	return true;
}

/* Whether n more handshake bytes stay within end; BAD if not. */
static bool
cur_room(struct tls_cur *c, size_t end, size_t n)
{
	if (n > end - c->off)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	return true;
}

/*
 * Step over n handshake bytes within end, copying them to dst unless it
 * is NULL.  A record's worth at a time, so skipping is O(records).
 */
static bool
cur_take(struct tls_cur *c, size_t end, size_t n, uint8_t *dst)
{
	size_t	k;

	if (!cur_room(c, end, n))
		return false;
	while (n > 0) {
		if (!cur_fill(c))
			return false;
		k = c->lim - c->pos;
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

/* Whether n more bytes can be read in place, within end. */
static inline bool
cur_here(const struct tls_cur *c, size_t end, size_t n)
{
	return n <= end - c->off && n <= c->lim - c->pos;
}

/* A big-endian integer of n bytes (1 to 3) at p. */
static inline uint32_t
be_uint(const uint8_t *p, size_t n)
{
	switch (n) {
	case 1:
		return p[0];
	case 2:
		return (uint32_t)p[0] << 8 | p[1];
	default:
		return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	}
}

/*
 * A big-endian integer of n (1 to 3) handshake bytes within end.  Most
 * lie in the current record and in the buffer: read them there; the rest
 * (a record boundary, the stream's end, past end) take cur_take()'s way,
 * which judges them.
 */
static inline bool
cur_uint(struct tls_cur *c, size_t end, size_t n, uint32_t *v)
{
	uint8_t		 b[3];

	if (cur_here(c, end, n)) {
		*v = be_uint(c->buf + c->pos, n);
		c->pos += n;
		c->off += n;
		return true;
	}
	if (!cur_take(c, end, n, b))
		return false;
	*v = be_uint(b, n);
	return true;
}

/*
 * Step over n bytes within end: in place when the current record and the
 * buffer hold them, else as cur_take() does (and judges).
 */
static inline bool
cur_skip(struct tls_cur *c, size_t end, size_t n)
{
	if (cur_here(c, end, n)) {
		c->pos += n;
		c->off += n;
		return true;
	}
	return cur_take(c, end, n, NULL);
}

/* A length of n bytes that must fit within end, and the end it sets. */
static inline bool
cur_len(struct tls_cur *c, size_t end, size_t n, uint32_t *v, size_t *vend)
{
	if (!cur_uint(c, end, n, v) || !cur_room(c, end, *v))
		return false;
	*vend = c->off + *v;
	return true;
}

/*
 * n (1 to 255) bytes from s to d, for a protocol name: up to 16 as two
 * loads and two stores each, which may overlap, with no call; more by
 * memcpy().
 */
static inline void
copy_short(uint8_t *d, const uint8_t *s, size_t n)
{
	uint64_t	a8, b8;
	uint32_t	a4, b4;

	if (n >= 8 && n <= 16) {
		memcpy(&a8, s, 8);
		memcpy(&b8, s + n - 8, 8);
		memcpy(d, &a8, 8);
		memcpy(d + n - 8, &b8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&a4, s, 4);
		memcpy(&b4, s + n - 4, 4);
		memcpy(d, &a4, 4);
		memcpy(d + n - 4, &b4, 4);
	} else if (n >= 1 && n < 4) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	} else {
		memcpy(d, s, n);
	}
}

/*
 * n bytes within end to dst: in place when the current record and the
 * buffer hold them, else as cur_take() does (and judges).
 */
static inline bool
cur_copy(struct tls_cur *c, size_t end, size_t n, uint8_t *dst)
{
	if (cur_here(c, end, n)) {
		copy_short(dst, c->buf + c->pos, n);
		c->pos += n;
		c->off += n;
		return true;
	}
	return cur_take(c, end, n, dst);
}

/* GREASE, RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool
grease(uint32_t v)
{
	return (v & 0x0f0f) == 0x0a0a && v >> 8 == (v & 0xff);
}

/* Keep v in one of JA4's lists unless it is GREASE; past max, cut. */
static void
ja4_keep(struct nfqd_tls_ja4in *j, uint16_t *list, uint16_t *n, size_t max,
    uint32_t v)
{
	if (grease(v))
		return;
	if (*n == max) {
		j->cut = true;
		return;
	}
	list[(*n)++] = (uint16_t)v;
}

/* server_name, RFC 6066 3: exactly one host_name, normalized. */
static bool
parse_sni(struct tls_cur *c, size_t end, struct nfqd_tls_hello *out)
{
	uint8_t		raw[RAW_NAME_MAX];
	const uint8_t	*name;
	uint32_t	n, type;
	size_t		lend, nend;
	bool		seen = false;
	int		r;

	if (!cur_len(c, end, 2, &n, &lend))
		return false;
	if (lend != end)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	if (n == 0)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_SNI);
	while (c->off < end) {
		if (!cur_uint(c, end, 1, &type) ||
		    !cur_len(c, end, 2, &n, &nend))
			return false;
		if (type != SNI_HOST_NAME) {
			if (!cur_skip(c, nend, n))
				return false;
			continue;
		}
		if (seen)
			return stop(c, NFQD_L7_BAD, NFQD_TLS_R_SNI);
		if (n > sizeof(raw))
			return stop(c, NFQD_L7_BAD, NFQD_TLS_R_NAME);
		/* In place when the record and the buffer hold it. */
		if (cur_here(c, nend, n)) {
			name = c->buf + c->pos;
			c->pos += n;
			c->off += n;
		} else if (cur_take(c, nend, n, raw)) {
			name = raw;
		} else {
			return false;
		}
		/*
		 * "a.b.." comes back from nfqd_l7_name_norm() as "a.b.":
		 * a second trailing dot is an empty label, refused here.
		 * A HostName is a DNS name (RFC 6066 3), but servers that
		 * pick a virtual host by it cut it as they cut an HTTP Host
		 * (nginx stops at ':'): "blocked.example:443" would select
		 * blocked.example there and match no rule for it here.
		 * nfqd_l7_host_norm() refuses those bytes as it folds.
		 */
		r = nfqd_l7_host_norm(out->sni, name, n);
		if (r < 0 || out->sni[r - 1] == '.')
			return stop(c, NFQD_L7_BAD, NFQD_TLS_R_NAME);
		out->sni_len = (uint16_t)r;
		seen = true;
	}
	return true;
}

/* application_layer_protocol_negotiation, RFC 7301 3.1. */
static bool
parse_alpn(struct tls_cur *c, size_t end, struct nfqd_tls_hello *out)
{
	uint8_t		*p;
	uint32_t	n, first = 0, last = 0;
	size_t		lend, pend;

	if (!cur_len(c, end, 2, &n, &lend))
		return false;
	if (lend != end)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	if (n == 0)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_ALPN);
	while (c->off < end) {
		if (!cur_len(c, end, 1, &n, &pend))
			return false;
		if (n == 0)
			return stop(c, NFQD_L7_BAD, NFQD_TLS_R_ALPN);
		/* Whole entries only, and none after the first left out. */
		if (!out->alpn_cut && 1 + n <= NFQD_TLS_ALPN_MAX -
		    (size_t)out->alpn_len) {
			p = out->alpn + out->alpn_len + 1;
			out->alpn[out->alpn_len] = (uint8_t)n;
			if (!cur_copy(c, pend, n, p))
				return false;
			out->alpn_len += (uint16_t)(1 + n);
			first = p[0];
			last = p[n - 1];
		} else if (!out->ja4.alpn) {
			/* The first, too long to keep (n > 127): its ends. */
			out->alpn_cut = true;
			if (!cur_uint(c, pend, 1, &first) ||
			    !cur_skip(c, pend, n - 2) ||
			    !cur_uint(c, pend, 1, &last))
				return false;
		} else {
			out->alpn_cut = true;
			if (!cur_skip(c, pend, n))
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
parse_versions(struct tls_cur *c, size_t end, struct nfqd_tls_hello *out)
{
	uint32_t	n, v, hi = 0;
	size_t		lend;

	if (!cur_len(c, end, 1, &n, &lend))
		return false;
	if (lend != end)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	if (n == 0 || n % 2 != 0)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_VERSIONS);
	while (c->off < end) {
		if (!cur_uint(c, end, 2, &v))
			return false;
		if (v == TLS_VERSION_13)
			out->tls13 = true;
		if (!grease(v) && v > hi)
			hi = v;
	}
	if (c->ja4)
		out->ja4.version = (uint16_t)hi;
	return true;
}

/* signature_algorithms, RFC 8446 4.2.3: for JA4, in order. */
static bool
parse_sigalgs(struct tls_cur *c, size_t end, struct nfqd_tls_hello *out)
{
	struct nfqd_tls_ja4in	*j = &out->ja4;
	uint32_t		 n, v;
	size_t			 lend;

	if (!cur_len(c, end, 2, &n, &lend))
		return false;
	if (lend != end)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	if (n == 0 || n % 2 != 0)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_SIGALGS);
	if (!c->ja4)
		return cur_skip(c, end, n);
	while (c->off < end) {
		if (!cur_uint(c, end, 2, &v))
			return false;
		ja4_keep(j, j->sigalgs, &j->nsigalgs, NFQD_TLS_JA4_SIGALGS, v);
	}
	return true;
}

/* The extension block, which exactly fills the rest of the hello. */
static bool
parse_exts(struct tls_cur *c, struct nfqd_tls_hello *out)
{
	struct nfqd_tls_ja4in *j = &out->ja4;
	uint64_t	seen = 0;	/* types below 64 met so far */
	uint32_t	type, n;
	size_t		end, eend;
	bool		ok, flat;

	if (!cur_len(c, c->hs_end, 2, &n, &end))
		return false;
	if (end != c->hs_end)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_LENGTH);
	/*
	 * Whether the record and the buffer hold the whole block (a hello
	 * in one record, the usual case).  Then they hold every byte read
	 * before end, whatever reads it, since pos and off advance
	 * together: cur_here() reduces to its first half, and an extension
	 * skipped is a sum.
	 */
	flat = end - c->off <= c->lim - c->pos;
	while (c->off < end) {
		/*
		 * An extension's type and length: in place, in one step,
		 * when the record and the buffer hold both (as cur_uint()
		 * and cur_len() would read them); else through those two.
		 */
		if (flat ? end - c->off >= 4 : cur_here(c, end, 4)) {
			type = be_uint(c->buf + c->pos, 2);
			n = be_uint(c->buf + c->pos + 2, 2);
			c->pos += 4;
			c->off += 4;
			if (!cur_room(c, end, n))
				return false;
			eend = c->off + n;
		} else if (!cur_uint(c, end, 2, &type) ||
		    !cur_len(c, end, 2, &n, &eend))
			return false;
		if (type < 64) {
			if (seen & (uint64_t)1 << type)
				return stop(c, NFQD_L7_BAD, NFQD_TLS_R_EXT_DUP);
			seen |= (uint64_t)1 << type;
		}
		if (c->ja4)
			ja4_keep(j, j->exts, &j->nexts, NFQD_TLS_JA4_EXTS,
			    type);
		switch (type) {
		case EXT_SERVER_NAME:
			j->sni = true;
			ok = parse_sni(c, eend, out);
			break;
		case EXT_ALPN:
			ok = parse_alpn(c, eend, out);
			break;
		case EXT_VERSIONS:
			ok = parse_versions(c, eend, out);
			break;
		case EXT_SIGALGS:
			ok = parse_sigalgs(c, eend, out);
			break;
		case EXT_EARLY_DATA:
			out->early = true;
			ok = cur_skip(c, eend, n);
			break;
		case EXT_ECH:
			if (out->ech)
				return stop(c, NFQD_L7_BAD, NFQD_TLS_R_EXT_DUP);
			out->ech = true;
			ok = cur_skip(c, eend, n);
			break;
		default:
			if (flat) {
				c->pos += n;
				c->off += n;
				continue;
			}
			ok = cur_skip(c, eend, n);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* The ClientHello body, RFC 8446 4.1.2 (and 5246 7.4.1.2). */
static bool
parse_hello(struct tls_cur *c, struct nfqd_tls_hello *out)
{
	uint32_t	v, n;
	size_t		end;

	if (!cur_uint(c, c->hs_end, 2, &v))
		return false;
	if (v >> 8 != 3 || (v & 0xff) > 4)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_VERSION);
	out->version = (uint16_t)v;
	out->ja4.version = (uint16_t)v;	/* unless supported_versions says */
	if (!cur_skip(c, c->hs_end, TLS_RANDOM) ||
	    !cur_len(c, c->hs_end, 1, &n, &end))
		return false;
	if (n > TLS_SESSION_ID_MAX)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_SESSION_ID);
	if (!cur_skip(c, end, n) ||
	    !cur_len(c, c->hs_end, 2, &n, &end))
		return false;
	if (n < 2 || n % 2 != 0)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_CIPHERS);
	if (!c->ja4 && !cur_skip(c, end, n))
		return false;
	while (c->off < end) {
		if (!cur_uint(c, end, 2, &v))
			return false;
		ja4_keep(&out->ja4, out->ja4.ciphers, &out->ja4.nciphers,
		    NFQD_TLS_JA4_CIPHERS, v);
	}
	if (!cur_len(c, c->hs_end, 1, &n, &end))
		return false;
	if (n < 1)
		return stop(c, NFQD_L7_BAD, NFQD_TLS_R_COMPRESSION);
	if (!cur_skip(c, end, n))
		return false;
	/* Extensions may be left out whole (TLS 1.2 and before). */
	if (c->off == c->hs_end)
		return true;
	return parse_exts(c, out);
}

/* Zero ja4's counts, version and flags, not its lists. */
static void
clear_ja4(struct nfqd_tls_hello *out)
{
	memset(&out->ja4.nciphers, 0, sizeof(out->ja4) -
	    offsetof(struct nfqd_tls_ja4in, nciphers));
}

/* Zero out; without ja4, all but ja4's lists (1.5 KiB never read then). */
static void
clear(struct nfqd_tls_hello *out, bool ja4)
{
	if (ja4) {
		memset(out, 0, sizeof(*out));
		return;
	}
	memset(out, 0, offsetof(struct nfqd_tls_hello, ja4));
	clear_ja4(out);
}

/*
 * bare: buf is the handshake message itself (QUIC's CRYPTO stream): one
 * record without a header that never ends, so cur_fill() reads none and
 * cur_fits() holds the message alone to NFQD_TLS_HELLO_MAX.
 */
static enum nfqd_l7_res
hello_parse(const uint8_t *buf, size_t len, bool bare, bool ja4,
    struct nfqd_tls_hello *out)
{
	struct tls_cur	c;
	uint32_t	v;

	clear(out, ja4);
	memset(&c, 0, sizeof(c));
	c.buf = buf;
	c.len = len;
	c.res = NFQD_L7_BAD;
	c.ja4 = ja4;
	if (bare) {
		c.rec_end = SIZE_MAX;
		c.lim = len;
	}

	/*
	 * The handshake header, itself possibly cut over records.  The
	 * first record's header read first, as cur_take() would, so that
	 * the reads after it find their bytes in place.
	 */
	if (!cur_fill(&c) || !cur_uint(&c, TLS_HS_HDR, 1, &v))
		goto out;
	if (v != TLS_HS_CLIENT_HELLO) {
		stop(&c, NFQD_L7_BAD, NFQD_TLS_R_NOT_HELLO);
		goto out;
	}
	if (!cur_uint(&c, TLS_HS_HDR, 3, &v))
		goto out;
	c.hs_end = TLS_HS_HDR + (size_t)v;
	if (!cur_fits(&c) || !parse_hello(&c, out))
		goto out;
	out->used = (uint32_t)c.pos;
	out->rec_end = bare ? out->used : (uint32_t)c.rec_end;
	if (!ja4)
		clear_ja4(out);	/* parse_alpn() kept its state there */
	return NFQD_L7_DONE;
out:
	/* Only DONE fills the fields in; why is the one said otherwise. */
	clear(out, ja4);
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

enum nfqd_l7_res
nfqd_tls_hello_parse(const uint8_t *buf, size_t len,
    struct nfqd_tls_hello *out)
{
	return hello_parse(buf, len, false, true, out);
}

enum nfqd_l7_res
nfqd_tls_hello_parse_noja4(const uint8_t *buf, size_t len,
    struct nfqd_tls_hello *out)
{
	return hello_parse(buf, len, false, false, out);
}

enum nfqd_l7_res
nfqd_tls_handshake_parse(const uint8_t *buf, size_t len,
    struct nfqd_tls_hello *out)
{
	return hello_parse(buf, len, true, true, out);
}

int
nfqd_tls_alpn_has(const struct nfqd_tls_hello *h, const char *p, size_t len)
{
	size_t	i, n, kept = h->alpn_len;

	if (len == 0 || len > 255)
		return 0;
	if (kept > NFQD_TLS_ALPN_MAX)
		kept = NFQD_TLS_ALPN_MAX;
	for (i = 0; i < kept; i += 1 + n) {
		n = h->alpn[i];
		if (n > kept - i - 1)
			break;
		if (n == len && memcmp(h->alpn + i + 1, p, len) == 0)
			return 1;
	}
	return h->alpn_cut ? -1 : 0;
}

const uint8_t *
nfqd_tls_sni_peek(const uint8_t *p, size_t len, size_t *nlen)
{
	size_t	end, i, n, type;

	/* A handshake record, a ClientHello: 5 + 4 bytes of headers. */
	if (len < 9 || p[0] != TLS_CT_HANDSHAKE || p[1] != 3 ||
	    p[5] != TLS_HS_CLIENT_HELLO)
		return NULL;
	end = 5 + ((size_t)p[3] << 8 | p[4]);
	n = 9 + ((size_t)p[6] << 16 | (size_t)p[7] << 8 | p[8]);
	if (n < end)
		end = n;
	if (len < end)
		end = len;
	/* client_version, random, then the session id's length. */
	i = 9 + 2 + 32;
	if (i + 1 > end)
		return NULL;
	i += 1 + (size_t)p[i];			/* session_id */
	if (i + 2 > end)
		return NULL;
	i += 2 + ((size_t)p[i] << 8 | p[i + 1]);	/* cipher_suites */
	if (i + 1 > end)
		return NULL;
	i += 1 + (size_t)p[i];			/* compression_methods */
	if (i + 2 > end)
		return NULL;
	n = (size_t)p[i] << 8 | p[i + 1];	/* extensions */
	i += 2;
	if (i + n < end)
		end = i + n;
	while (i + 4 <= end) {
		type = (size_t)p[i] << 8 | p[i + 1];
		n = (size_t)p[i + 2] << 8 | p[i + 3];
		i += 4;
		if (n > end - i)
			return NULL;
		if (type == EXT_SERVER_NAME) {
			/* server_name_list's length, then name_type and
			 * the HostName's length of its first entry. */
			if (n < 5 || p[i + 2] != SNI_HOST_NAME)
				return NULL;
			*nlen = (size_t)p[i + 3] << 8 | p[i + 4];
			return *nlen > 0 && *nlen <= n - 5 ? p + i + 5 : NULL;
		}
		i += n;
	}
	return NULL;
}

const char *
nfqd_tls_why_str(unsigned why)
{
	if (why >= NFQD_TLS_R_MAX || whys[why] == NULL)
		return "unknown";
	return whys[why];
}
