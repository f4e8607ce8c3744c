/*
 * HTTP/2 with prior knowledge: the request heads of a connection that
 * starts with the preface (include/nfqd/l7/http.h says what is read and
 * refused).  The stream is walked frame by frame from the preface on
 * each call; the first HEADERS frame's block, put together from its
 * CONTINUATIONs, is decoded once it is whole, into the caller's decoder
 * (nfqd_http_first_parse(): one on the stack, about 5 KiB; with the
 * block and the request, about 38 KiB: a worker's stack has 8 MiB, only
 * its main thread parses, and only a stream that starts with the preface
 * gets here).  Later requests (nfqd_http_h2_next()) are read a frame at
 * a time, with the decoder the connection keeps (l7later.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/l7/hpack.h"
#include "nfqd/l7/http.h"
#include "nfqd/l7/httpchar.h"
#include "httpint.h"

static const uint8_t	h2_preface[24] = {
	'P', 'R', 'I', ' ', '*', ' ', 'H', 'T', 'T', 'P', '/', '2', '.', '0',
	'\r', '\n', '\r', '\n', 'S', 'M', '\r', '\n', '\r', '\n'
};

#define H2_FRAME_MAX	16384	/* SETTINGS_MAX_FRAME_SIZE, initially */
/*
 * SETTINGS_HEADER_TABLE_SIZE's initial value: the dynamic table a client
 * may fill before it has the server's SETTINGS.  A table smaller than the
 * server's never reads a block otherwise (eviction takes the oldest
 * entries, so every entry both keep has the same index): it only refuses
 * a block that needs more (H2_HPACK).  A larger one would let a hostile
 * block make the decoder move megabytes (include/nfqd/l7/hpack.h).
 */
#define H2_TABLE	4096

enum {
	H2_DATA, H2_HEADERS, H2_PRIORITY, H2_RST_STREAM, H2_SETTINGS,
	H2_PUSH_PROMISE, H2_PING, H2_GOAWAY, H2_WINDOW_UPDATE,
	H2_CONTINUATION
};
#define H2_F_END_HEADERS	0x04
#define H2_F_PADDED		0x08
#define H2_F_PRIORITY		0x20

/* The pseudo-headers, as bits of h2_req's seen. */
enum {
	PS_METHOD = 1, PS_SCHEME = 2, PS_AUTHORITY = 4, PS_PATH = 8,
	PS_PROTOCOL = 16
};

/* The request as its fields are decoded (the decoder's strings last only
 * as long as the callback: each is checked and kept in its form here). */
struct h2_req {
	struct http_p		*p;		/* why, for a BAD */
	struct nfqd_http_req	*out;		/* method, path */
	unsigned		 seen;		/* PS_* */
	bool			 regular;	/* a regular field came */
	int			 auth_len;	/* :authority normalized into
						   auth, -1: none */
	int			 host_len;	/* the host field's, into host */
	uint8_t			 path[NFQD_HTTP_HEAD_MAX];
	size_t			 path_len;	/* :path as sent */
	char			 auth[NFQD_L7_NAME_MAX + 1];
	char			 host[NFQD_L7_NAME_MAX + 1];
	/* :authority as sent, read once CONNECT is known (a port
	 * required or not); longer than a name and a port is refused */
	uint8_t			 rawauth[NFQD_L7_NAME_MAX + 16];
	size_t			 rawauth_len;
};

/* A field name of lower-case tchars (after the ':' of a pseudo-header). */
static bool
h2_name_ok(const uint8_t *s, size_t n)
{
	size_t	i = n > 0 && s[0] == ':' ? 1 : 0;

	if (i == n)
		return false;
	for (; i < n; i++)
		if (!nfqd_http_tchar(s[i]) || (s[i] >= 'A' && s[i] <= 'Z'))
			return false;
	return true;
}

/* An HPACK callback's answer: stop decoding, BAD with why. */
static int
h2_bad(struct h2_req *q, enum nfqd_http_why why)
{
	stop(q->p, NFQD_L7_BAD, why);
	return 1;
}

static int
h2_field(void *arg, const struct nfqd_hpack_field *f)
{
	struct h2_req	*q = arg;
	const uint8_t	*v = f->value;
	size_t		 vl = f->vlen, i;
	unsigned	 bit;

	if (!h2_name_ok(f->name, f->nlen))
		return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
	for (i = 0; i < vl; i++)
		if (v[i] == '\0' || v[i] == '\r' || v[i] == '\n')
			return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
	if (f->name[0] != ':') {
		q->regular = true;
		if (!eq(f->name, f->nlen, "host"))
			return 0;
		if (q->host_len >= 0)
			return h2_bad(q, NFQD_HTTP_R_HOST_DUP);
		while (vl > 0 && (v[0] == ' ' || v[0] == '\t'))
			v++, vl--;
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		q->host_len = 0;
		if (vl > 0 && (q->host_len = nfqd_http_host_norm(q->host, v, vl,
		    false)) < 0)
			return h2_bad(q, NFQD_HTTP_R_HOST);
		return 0;
	}
	if (eq(f->name, f->nlen, ":method"))
		bit = PS_METHOD;
	else if (eq(f->name, f->nlen, ":scheme"))
		bit = PS_SCHEME;
	else if (eq(f->name, f->nlen, ":authority"))
		bit = PS_AUTHORITY;
	else if (eq(f->name, f->nlen, ":path"))
		bit = PS_PATH;
	else if (eq(f->name, f->nlen, ":protocol"))
		bit = PS_PROTOCOL;
	else
		return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
	if (q->regular || (q->seen & bit) != 0)
		return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
	q->seen |= bit;
	switch (bit) {
	case PS_METHOD:
		if (vl == 0 || vl > NFQD_HTTP_METHOD_MAX)
			return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
		for (i = 0; i < vl; i++)
			if (!nfqd_http_tchar(v[i]))
				return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
		memcpy(q->out->method, v, vl);
		q->out->method_len = (uint8_t)vl;
		break;
	case PS_SCHEME:
		if (vl == 0)
			return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
		break;
	case PS_AUTHORITY:
		if (vl > sizeof(q->rawauth))
			return h2_bad(q, NFQD_HTTP_R_HOST);
		memcpy(q->rawauth, v, vl);
		q->rawauth_len = vl;
		break;
	case PS_PATH:
		if (vl > sizeof(q->path))
			return h2_bad(q, NFQD_HTTP_R_TOO_BIG);
		memcpy(q->path, v, vl);
		q->path_len = vl;
		break;
	}
	return 0;
}

/* The request, once its block is decoded: out's host and path. */
static bool
h2_request(struct h2_req *q)
{
	struct nfqd_http_req	*out = q->out;
	struct http_p		*p = q->p;
	bool			 connect;
	size_t			 i;

	if ((q->seen & PS_METHOD) == 0)
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FIELD);
	connect = eq((const uint8_t *)out->method, out->method_len,
	    "CONNECT") &&
	    (q->seen & PS_PROTOCOL) == 0;
	if (q->seen & PS_AUTHORITY) {
		q->auth_len = 0;
		if ((q->rawauth_len > 0 || connect) &&
		    (q->rawauth_len == 0 || (q->auth_len = nfqd_http_host_norm(q->auth,
		    q->rawauth, q->rawauth_len, connect)) < 0))
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_HOST);
	}
	if (connect) {
		if ((q->seen & (PS_AUTHORITY | PS_SCHEME | PS_PATH)) !=
		    PS_AUTHORITY)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FIELD);
	} else {
		if ((q->seen & (PS_SCHEME | PS_PATH)) != (PS_SCHEME | PS_PATH) ||
		    q->path_len == 0)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FIELD);
		for (i = 0; i < q->path_len; i++)
			if (q->path[i] <= 0x20 || q->path[i] >= 0x7f)
				return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_CTL);
		if (q->path[0] == '*') {
			if (q->path_len != 1 || !eq((const uint8_t *)
			    out->method, out->method_len, "OPTIONS"))
				return stop(p, NFQD_L7_BAD,
				    NFQD_HTTP_R_TARGET);
			memcpy(out->path, "*", 2);
			out->path_len = 1;
		} else if (q->path[0] != '/' ||
		    !nfqd_http_target_chars(q->path, q->path_len))
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_TARGET);
		else if (!nfqd_http_path_norm(p, q->path, q->path_len, out))
			return false;
	}
	if (q->auth_len >= 0) {
		/* :authority wins; a host field must agree with it. */
		if (q->host_len >= 0 && (q->host_len != q->auth_len ||
		    memcmp(q->host, q->auth, (size_t)q->auth_len) != 0))
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_HOST_DIFF);
		if (q->auth_len > 0) {
			memcpy(out->host, q->auth, (size_t)q->auth_len + 1);
			out->host_len = (uint16_t)q->auth_len;
		}
	} else if (q->host_len > 0) {
		memcpy(out->host, q->host, (size_t)q->host_len + 1);
		out->host_len = (uint16_t)q->host_len;
	}
	return true;
}

/* A frame's header at f (9 bytes). */
static void
h2_hdr(const uint8_t *f, uint32_t *flen, uint8_t *type, uint8_t *flags,
    uint32_t *sid)
{
	*flen = (uint32_t)f[0] << 16 | (uint32_t)f[1] << 8 | f[2];
	*type = f[3];
	*flags = f[4];
	*sid = ((uint32_t)f[5] << 24 | (uint32_t)f[6] << 16 |
	    (uint32_t)f[7] << 8 | f[8]) & 0x7fffffff;
}

/* A HEADERS frame's block within its payload f[0..flen): f[*a..*e). */
static bool
h2_span(struct http_p *p, const uint8_t *f, uint32_t flen, uint8_t flags,
    size_t *a, size_t *e)
{
	*a = 0;
	*e = flen;
	if (flags & H2_F_PADDED) {
		if (flen < 1 || (size_t)f[0] + 1 > flen)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME);
		*e -= f[0];
		*a = 1;
	}
	if (flags & H2_F_PRIORITY)
		*a += 5;
	if (*a > *e)
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME);
	return true;
}

/* A control frame's length and stream as RFC 9113 6 has them (servers
 * answer others with a connection error); true for other types. */
static bool
h2_control_ok(uint8_t type, uint8_t flags, uint32_t flen, uint32_t sid)
{
	switch (type) {
	case H2_SETTINGS:
		return sid == 0 && flen % 6 == 0 && (!(flags & 1) || flen == 0);
	case H2_PING:
		return sid == 0 && flen == 8;
	case H2_PRIORITY:
		return sid != 0 && flen == 5;
	case H2_WINDOW_UPDATE:
		return flen == 4;
	case H2_RST_STREAM:
		return sid != 0 && flen == 4;
	case H2_GOAWAY:
		return sid == 0 && flen >= 8;
	case H2_DATA:
		return sid != 0;
	default:
		return true;
	}
}

/* The block blk[0..blen) decoded with d as a request into out. */
static bool
h2_decode(struct http_p *p, struct nfqd_hpack *d, const uint8_t *blk,
    size_t blen, struct nfqd_http_req *out)
{
	struct h2_req	q;
	unsigned	why = 0;
	int		r;

	q.p = p;
	q.out = out;
	q.seen = 0;
	q.regular = false;
	q.auth_len = q.host_len = -1;
	q.auth[0] = q.host[0] = '\0';
	q.path_len = q.rawauth_len = 0;
	r = nfqd_hpack_decode(d, blk, blen, h2_field, &q, &why);
	if (r == -1)
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_HPACK);
	return r == 0 && h2_request(&q);
}

/* Frames from the end of the preface to the end of the first request's
 * header block; false with p's answer (and *need on MORE). */
static bool
h2_frames(struct http_p *p, struct nfqd_hpack *d, struct nfqd_http_req *out,
    uint32_t *need)
{
	const uint8_t		*b = p->b, *f;
	uint8_t			 blk[NFQD_HTTP_HEAD_MAX];
	size_t			 pos = sizeof(h2_preface), end, blen = 0, a, e;
	uint32_t		 flen, sid, hsid = 0;
	uint8_t			 type, flags;
	bool			 first = true, inblock = false;

	for (;;) {
		if (p->n - pos < 9) {
			*need = (uint32_t)pos + 9;
			return starve(p);
		}
		f = b + pos;
		h2_hdr(f, &flen, &type, &flags, &sid);
		end = pos + 9 + flen;
		if (flen > H2_FRAME_MAX)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME);
		if (end > NFQD_HTTP_HEAD_MAX)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_TOO_BIG);
		if (first && (type != H2_SETTINGS || sid != 0 ||
		    (flags & 1) != 0))
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME);
		if (inblock && (type != H2_CONTINUATION || sid != hsid))
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME);
		if (end > p->n) {
			*need = (uint32_t)end;
			return starve(p);
		}
		first = false;
		f += 9;
		switch (type) {
		case H2_HEADERS:
			if (sid == 0 || (sid & 1) == 0)
				return stop(p, NFQD_L7_BAD,
				    NFQD_HTTP_R_H2_FRAME);
			if (!h2_span(p, f, flen, flags, &a, &e))
				return false;
			hsid = sid;
			inblock = true;
			memcpy(blk, f + a, e - a);
			blen = e - a;
			break;
		case H2_CONTINUATION:
			if (!inblock)
				return stop(p, NFQD_L7_BAD,
				    NFQD_HTTP_R_H2_FRAME);
			memcpy(blk + blen, f, flen);
			blen += flen;
			break;
		case H2_DATA:
		case H2_RST_STREAM:
		case H2_PUSH_PROMISE:
		case H2_GOAWAY:
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME);
		default:
			/* Types 10 and up are ignored (RFC 9113 5.5). */
			if (!h2_control_ok(type, flags, flen, sid))
				return stop(p, NFQD_L7_BAD,
				    NFQD_HTTP_R_H2_FRAME);
			break;
		}
		pos = end;
		if (inblock && (flags & H2_F_END_HEADERS))
			break;
	}
	nfqd_hpack_init(d, H2_TABLE);
	if (!h2_decode(p, d, blk, blen, out))
		return false;
	out->sid = hsid;
	p->pos = pos;
	return true;
}

enum nfqd_l7_res
nfqd_http_first_parse_hp(const uint8_t *buf, size_t len,
    struct nfqd_http_req *out, struct nfqd_hpack *d)
{
	struct http_p	p = HTTP_P(buf, len);
	size_t		k = len < sizeof(h2_preface) ? len : sizeof(h2_preface);
	uint32_t	need = 0;

	if (k == 0 || memcmp(buf, h2_preface, k) != 0)
		return nfqd_http_req_parse(buf, len, out);
	memset(out, 0, sizeof(*out));
	if (k < sizeof(h2_preface)) {
		out->need = sizeof(h2_preface);
		return NFQD_L7_MORE;
	}
	if (!h2_frames(&p, d, out, &need)) {
		memset(out, 0, sizeof(*out));
		out->why = p.why;
		if (p.res == NFQD_L7_MORE)
			out->need = need;
		return p.res;
	}
	out->h2 = true;
	out->used = (uint32_t)p.pos;
	return NFQD_L7_DONE;
}

enum nfqd_l7_res
nfqd_http_first_parse(const uint8_t *buf, size_t len,
    struct nfqd_http_req *out)
{
	struct nfqd_hpack	d;

	return nfqd_http_first_parse_hp(buf, len, out, &d);
}

/* A later block's fields that open no request (trailers): any but a
 * pseudo-header, which servers refuse there (RFC 9113 8.1). */
static int
h2_trailer(void *arg, const struct nfqd_hpack_field *f)
{
	struct h2_req	*q = arg;
	size_t		 i;

	if (f->nlen > 0 && f->name[0] == ':')
		return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
	if (!h2_name_ok(f->name, f->nlen))
		return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
	for (i = 0; i < f->vlen; i++)
		if (f->value[i] == '\0' || f->value[i] == '\r' ||
		    f->value[i] == '\n')
			return h2_bad(q, NFQD_HTTP_R_H2_FIELD);
	return 0;
}

enum nfqd_l7_res
nfqd_http_h2_preface(const uint8_t *buf, size_t len)
{
	size_t	n = len < sizeof(h2_preface) ? len : sizeof(h2_preface);

	_Static_assert(sizeof(h2_preface) == NFQD_HTTP_H2_PREFACE,
	    "the preface's length");
	if (n > 0 && memcmp(buf, h2_preface, n) != 0)
		return NFQD_L7_NOT;
	return n == sizeof(h2_preface) ? NFQD_L7_DONE : NFQD_L7_MORE;
}

void
nfqd_http_h2_init(struct nfqd_hpack *d)
{
	nfqd_hpack_init(d, H2_TABLE);
}

enum nfqd_l7_res
nfqd_http_h2_next(struct nfqd_hpack *d, uint32_t *maxsid,
    const uint8_t *buf, size_t len, struct nfqd_http_req *out,
    uint32_t *skip)
{
	struct http_p		 p = HTTP_P(buf, len);
	struct h2_req		 q;
	const uint8_t		*f;
	uint8_t			 blk[NFQD_HTTP_HEAD_MAX];
	size_t			 pos = 0, end, blen = 0, a, e;
	uint32_t		 flen, sid, hsid = 0;
	uint8_t			 type, flags;
	unsigned		 why = 0;
	int			 r;

	memset(out, 0, sizeof(*out));
	*skip = 0;
	for (;;) {
		if (len - pos < 9) {
			out->need = (uint32_t)pos + 9;
			return NFQD_L7_MORE;
		}
		f = buf + pos;
		h2_hdr(f, &flen, &type, &flags, &sid);
		if (pos > 0 && (type != H2_CONTINUATION || sid != hsid)) {
			out->why = NFQD_HTTP_R_H2_FRAME;
			return NFQD_L7_BAD;
		}
		if (type != H2_HEADERS && type != H2_CONTINUATION) {
			if (type == H2_PUSH_PROMISE ||
			    !h2_control_ok(type, flags, flen, sid)) {
				out->why = NFQD_HTTP_R_H2_FRAME;
				return NFQD_L7_BAD;
			}
			/* Its payload is stepped over, unread. */
			out->used = 9;
			*skip = flen;
			return NFQD_L7_DONE;
		}
		end = pos + 9 + flen;
		if (flen > H2_FRAME_MAX || (type == H2_CONTINUATION ?
		    pos == 0 : sid == 0 || (sid & 1) == 0)) {
			out->why = NFQD_HTTP_R_H2_FRAME;
			return NFQD_L7_BAD;
		}
		if (end > NFQD_HTTP_HEAD_MAX) {
			out->why = NFQD_HTTP_R_TOO_BIG;
			return NFQD_L7_BAD;
		}
		if (end > len) {
			out->need = (uint32_t)end;
			return NFQD_L7_MORE;
		}
		f += 9;
		if (type == H2_HEADERS) {
			if (!h2_span(&p, f, flen, flags, &a, &e)) {
				out->why = p.why;
				return NFQD_L7_BAD;
			}
			hsid = sid;
		} else {
			a = 0;
			e = flen;
		}
		memcpy(blk + blen, f + a, e - a);
		blen += e - a;
		pos = end;
		if (flags & H2_F_END_HEADERS)
			break;
	}
	if (hsid > *maxsid) {
		/* A new stream: a request. */
		if (!h2_decode(&p, d, blk, blen, out)) {
			memset(out, 0, sizeof(*out));
			out->why = p.why;
			return NFQD_L7_BAD;
		}
		*maxsid = hsid;
		out->h2 = true;
		out->sid = hsid;
	} else {
		/* Trailers: decoded for the table, no request. */
		q.p = &p;
		r = nfqd_hpack_decode(d, blk, blen, h2_trailer, &q, &why);
		if (r != 0) {
			out->why = r == -1 ? NFQD_HTTP_R_H2_HPACK : p.why;
			return NFQD_L7_BAD;
		}
	}
	out->used = (uint32_t)pos;
	return NFQD_L7_DONE;
}
