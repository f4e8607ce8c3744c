/*
 * The HTTP/1.x request parser (include/nfqd/l7/http.h says what it
 * accepts).
 *
 * One pass over the bytes there, at most NFQD_HTTP_HEAD_MAX of them: the
 * request line, then header lines to the empty line.  Every byte is judged
 * from the bytes before it and itself only; running out of bytes is MORE
 * (BAD once NFQD_HTTP_HEAD_MAX bytes are there), never a guess.  That is
 * what makes every prefix of a DONE stream MORE and keeps an answer once
 * given.  The request-target is judged whole once its SP is there; the
 * Host header once its line ends.  A first line found to be no request
 * line is read a second time, leniently (lenient()), before it is called
 * NOT.  Nothing is allocated: the normalized path is built in out->path
 * with a small stack of segment starts (httpnorm.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/l7/http.h"
#include "nfqd/l7/httpchar.h"
#include "httpint.h"

static const char *const whys[NFQD_HTTP_R_MAX] = {
	[NFQD_HTTP_R_NONE] = "no problem",
	[NFQD_HTTP_R_NOT_HTTP] = "not HTTP: no method",
	[NFQD_HTTP_R_NOT_TARGET] = "not HTTP: no request-target form",
	[NFQD_HTTP_R_H2_PREFACE] = "HTTP/2 connection preface",
	[NFQD_HTTP_R_BARE_CR] = "CR not followed by LF",
	[NFQD_HTTP_R_CTL] = "NUL, control byte or non-ASCII byte",
	[NFQD_HTTP_R_LINE] = "request line malformed",
	[NFQD_HTTP_R_VERSION] = "HTTP major version not 1",
	[NFQD_HTTP_R_TARGET] = "request-target malformed",
	[NFQD_HTTP_R_PATH] = "path servers may read differently",
	[NFQD_HTTP_R_FIELD] = "header line malformed",
	[NFQD_HTTP_R_HOST_DUP] = "Host header repeated",
	[NFQD_HTTP_R_HOST] = "host refused",
	[NFQD_HTTP_R_HOST_DIFF] = "Host header and request-target differ",
	[NFQD_HTTP_R_TOO_BIG] = "head over 16384 bytes",
	[NFQD_HTTP_R_FRAMING] = "body framing ambiguous",
	[NFQD_HTTP_R_H2_FRAME] = "HTTP/2 frame a server refuses",
	[NFQD_HTTP_R_H2_HPACK] = "HTTP/2 header block malformed",
	[NFQD_HTTP_R_H2_FIELD] = "HTTP/2 request malformed",
};

/* The request-target's form (RFC 9112 3.2). */
enum target_form {
	FORM_ORIGIN,		/* "/path?query" */
	FORM_ABSOLUTE,		/* "http://authority/path?query" */
	FORM_AUTHORITY,		/* CONNECT's "host:port" */
	FORM_ASTERISK,		/* OPTIONS's "*" */
	FORM_UNKNOWN,		/* too few bytes there to say */
};

/* stop() for functions that answer an int: -1. */
static int
fail(struct http_p *p, enum nfqd_l7_res res, enum nfqd_http_why why)
{
	stop(p, res, why);
	return -1;
}

/*
 * The bytes Python's http.server (and wsgiref, Django's runserver) splits
 * a request line at: str.split() of the line as iso-8859-1.  LF is one
 * too, but ends the line.
 */
static bool
is_ws(uint8_t c)
{
	switch (c) {
	case ' ': case '\t': case '\v': case '\f': case '\r':
	case 0x1c: case 0x1d: case 0x1e: case 0x1f: case 0x85: case 0xa0:
		return true;
	}
	return false;
}

/* NUL, C0 controls but HTAB, DEL: never in a head. */
static bool
is_ctl(uint8_t c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static bool
eq_nocase(const uint8_t *s, size_t n, const char *lower)
{
	size_t	i;

	if (strlen(lower) != n)
		return false;
	for (i = 0; i < n; i++) {
		uint8_t	c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (uint8_t)lower[i])
			return false;
	}
	return true;
}

/*
 * The form of the request-target t[0..tl), all of it there when whole,
 * else the bytes of it there so far.  NOT and BAD are said in p.
 */
static int
target_form(struct http_p *p, const uint8_t *m, size_t ml,
    const uint8_t *t, size_t tl, bool whole)
{
	size_t	i;

	if (eq(m, ml, "CONNECT")) {
		if (t[0] == '/' || t[0] == '*')
			return fail(p, NFQD_L7_BAD, NFQD_HTTP_R_TARGET);
		return FORM_AUTHORITY;
	}
	if (t[0] == '/')
		return FORM_ORIGIN;
	if (t[0] == '*') {
		/* PRI is the HTTP/2 preface's: its version decides. */
		if (!eq(m, ml, "OPTIONS") && !eq(m, ml, "PRI"))
			return fail(p, NFQD_L7_BAD, NFQD_HTTP_R_TARGET);
		return FORM_ASTERISK;
	}
	if (!is_alpha(t[0]))
		return fail(p, NFQD_L7_NOT, NFQD_HTTP_R_NOT_TARGET);
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://". */
	for (i = 1; i < tl; i++)
		if (!is_alpha(t[i]) && !is_digit(t[i]) && t[i] != '+' &&
		    t[i] != '-' && t[i] != '.')
			break;
	if ((i < tl && t[i] != ':') || (i + 1 < tl && t[i + 1] != '/') ||
	    (i + 2 < tl && t[i + 2] != '/'))
		return fail(p, NFQD_L7_NOT, NFQD_HTTP_R_NOT_TARGET);
	if (i + 2 < tl)
		return FORM_ABSOLUTE;
	if (whole)
		return fail(p, NFQD_L7_NOT, NFQD_HTTP_R_NOT_TARGET);
	return FORM_UNKNOWN;
}

/* The whole request-target t[0..tl): out->host for forms that carry
 * one, out->path. */
static bool
target(struct http_p *p, int form, const uint8_t *t, size_t tl,
    struct nfqd_http_req *out)
{
	size_t	i, s;
	int	n;

	if (!nfqd_http_target_chars(t, tl))
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_TARGET);
	switch (form) {
	case FORM_ORIGIN:
		return nfqd_http_path_norm(p, t, tl, out);
	case FORM_ASTERISK:
		if (tl != 1)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_TARGET);
		memcpy(out->path, "*", 2);
		out->path_len = 1;
		return true;
	case FORM_AUTHORITY:
		if ((n = nfqd_http_host_norm(out->host, t, tl, true)) < 0)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_HOST);
		out->host_len = (uint16_t)n;
		return true;
	}
	/* absolute-form: target_form() found scheme "://". */
	s = (size_t)((const uint8_t *)memchr(t, ':', tl) - t);
	if (!eq_nocase(t, s, "http") && !eq_nocase(t, s, "https"))
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_TARGET);
	s += 3;
	for (i = s; i < tl && t[i] != '/' && t[i] != '?'; i++)
		;
	/* userinfo ('@') and an empty host are refused here. */
	if (i == s || (n = nfqd_http_host_norm(out->host, t + s, i - s,
	    false)) < 0)
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_HOST);
	out->host_len = (uint16_t)n;
	return nfqd_http_path_norm(p, t + i, tl - i, out);
}

/* A line end at p->pos: CRLF or LF, consumed.  false: not one (why in
 * p), or not all there. */
static bool
eol(struct http_p *p, enum nfqd_http_why other)
{
	if (p->pos == p->n)
		return starve(p);
	if (p->b[p->pos] == '\n') {
		p->pos++;
		return true;
	}
	if (p->b[p->pos] != '\r')
		return stop(p, NFQD_L7_BAD, other);
	if (p->pos + 1 == p->n)
		return starve(p);
	if (p->b[p->pos + 1] != '\n')
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_BARE_CR);
	p->pos += 2;
	return true;
}

/*
 * "PRI * HTTP/2.0" read up to at: NOT where the rest of the HTTP/2
 * connection preface follows (its callers read HTTP/2 there, or
 * nothing), else BAD as a request line of another version than 1 is:
 * Go's net/http serves "PRI * HTTP/2.0" with header fields after it as
 * an HTTP/1.1 request, and reads the next request on the connection.
 */
static bool
pri_rest(struct http_p *p, size_t at)
{
	static const char	rest[] = "\r\n\r\nSM\r\n\r\n";
	size_t			i;

	for (i = 0; i < sizeof(rest) - 1; i++) {
		if (at + i == p->n)
			return starve(p);
		if (p->b[at + i] != (uint8_t)rest[i])
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_VERSION);
	}
	return stop(p, NFQD_L7_NOT, NFQD_HTTP_R_H2_PREFACE);
}

/* The version after the target: "HTTP/d.d" and the line end. */
static bool
version(struct http_p *p, bool preface, struct nfqd_http_req *out)
{
	static const char	 name[] = "HTTP/d.d";
	const uint8_t		*v = p->b + p->pos;
	size_t			 i;

	for (i = 0; i < 8; i++) {
		if (p->pos + i == p->n)
			return starve(p);
		if (name[i] == 'd' ? !is_digit(v[i]) : v[i] != name[i])
			return stop(p, NFQD_L7_BAD, is_ctl(v[i]) &&
			    v[i] != '\r' && v[i] != '\n' ? NFQD_HTTP_R_CTL :
			    NFQD_HTTP_R_LINE);
		if (i == 5 && v[5] != '1' && !preface)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_VERSION);
	}
	if (preface) {
		if (v[5] == '2' && v[7] == '0')
			return pri_rest(p, p->pos + 8);
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_TARGET);
	}
	out->minor = (uint8_t)(v[7] - '0');
	p->pos += 8;
	return eol(p, NFQD_HTTP_R_LINE);
}

/* The request line, from the stream's first byte. */
static bool
request_line(struct http_p *p, struct nfqd_http_req *out, int *formp)
{
	const uint8_t	*b = p->b;
	size_t		 m, t, e;
	int		 form;

	/* Empty lines before it, which servers skip. */
	while (p->pos < p->n && (b[p->pos] == '\r' || b[p->pos] == '\n'))
		if (!eol(p, NFQD_HTTP_R_LINE))
			return false;
	for (m = p->pos;; p->pos++) {
		if (p->pos == p->n)
			return starve(p);
		if (b[p->pos] == ' ' && p->pos > m)
			break;
		if (!nfqd_http_tchar(b[p->pos]) ||
		    p->pos - m == NFQD_HTTP_METHOD_MAX)
			return stop(p, NFQD_L7_NOT, NFQD_HTTP_R_NOT_HTTP);
	}
	t = ++p->pos;
	for (e = t; e < p->n && b[e] > 0x20 && b[e] < 0x7f; e++)
		;
	if (e == t) {
		if (e == p->n)
			return starve(p);
		/* nginx skips spaces before the target. */
		if (b[e] == ' ' || b[e] == '\t')
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_LINE);
		return stop(p, NFQD_L7_NOT, NFQD_HTTP_R_NOT_TARGET);
	}
	form = target_form(p, b + m, t - 1 - m, b + t, e - t, e < p->n);
	if (form < 0)
		return false;
	if (e == p->n)
		return starve(p);
	/* CR or LF: HTTP/0.9, which has no Host; HTAB: two separators. */
	if (b[e] != ' ')
		return stop(p, NFQD_L7_BAD, b[e] == '\r' || b[e] == '\n' ||
		    b[e] == '\t' ? NFQD_HTTP_R_LINE : NFQD_HTTP_R_CTL);
	if (!target(p, form, b + t, e - t, out))
		return false;
	p->pos = e + 1;
	if (!version(p, form == FORM_ASTERISK && eq(b + m, t - 1 - m, "PRI"),
	    out))
		return false;
	memcpy(out->method, b + m, t - 1 - m);
	out->method_len = (uint8_t)(t - 1 - m);
	*formp = form;
	return true;
}

/*
 * The request line was found to be no request line (why, NOT): read it
 * again as the most lenient servers read it, and call it BAD where one of
 * them takes it.  After the empty lines request_line() skipped:
 *   W* token W+ target W+ "HTTP/"
 *   "GET" W+ target W* LF
 * with W is_ws(), token 1 or more tchars (Go and nginx take a method of
 * any length), target 1 or more bytes that are neither W nor LF (Go takes
 * "http:/admin", a scheme without an authority, and reads the Host
 * header), "HTTP/" in any case (Apache's HttpProtocolOptions Unsafe takes
 * "http/1.1").  The second is HTTP/0.9, which Python serves for GET, and
 * reads the headers after it.  The first byte that leaves both shapes
 * says NOT with why, so other protocols still end up NOT, most within
 * their first line: "SSH-2.0-x\r\n", "EHLO x\r\n" and "USER x\r\n" at
 * its LF, "INVITE sip:x SIP/2.0" at the 'S' of "SIP/".
 */
static bool
lenient(struct http_p *p, enum nfqd_http_why why)
{
	static const char	 ver[] = "http/";
	const uint8_t		*b = p->b;
	size_t			 i = 0, m, ml, t, k;
	uint8_t			 c;

	/* request_line() said NOT, so each CR of them has its LF. */
	while (i < p->n && (b[i] == '\r' || b[i] == '\n'))
		i++;
	while (i < p->n && is_ws(b[i]))
		i++;
	for (m = i; i < p->n && nfqd_http_tchar(b[i]); i++)
		;
	if (i == p->n)
		return starve(p);
	if (i == m || !is_ws(b[i]))
		return stop(p, NFQD_L7_NOT, why);
	ml = i - m;
	while (i < p->n && is_ws(b[i]))
		i++;
	for (t = i; i < p->n && !is_ws(b[i]) && b[i] != '\n'; i++)
		;
	if (i < p->n && i == t)
		return stop(p, NFQD_L7_NOT, why);	/* no target */
	while (i < p->n && is_ws(b[i]))
		i++;
	if (i == p->n)
		return starve(p);
	if (b[i] == '\n') {
		if (!eq(b + m, ml, "GET"))
			return stop(p, NFQD_L7_NOT, why);
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_LINE);
	}
	for (k = 0; k < sizeof(ver) - 1; k++, i++) {
		if (i == p->n)
			return starve(p);
		c = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 'a' - 'A' : b[i];
		if (c != (uint8_t)ver[k])
			return stop(p, NFQD_L7_NOT, why);
	}
	return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_LINE);
}

/* What the framing headers said so far (framing()). */
struct frame {
	unsigned	te, cl, conn;	/* headers seen */
};

/*
 * GET or HEAD, whose body Python's http.server never reads: it takes the
 * body's bytes for the next request (RFC 9110 9.3.1, 9.3.2: a body there
 * has no defined meaning) where nginx or Go steps over them.  A chunked
 * one is refused (its first bytes, a size, could be a method); one with
 * a Content-Length is read on (out->peek): Elasticsearch's clients send
 * GET with a JSON body.
 */
static bool
bodiless(const struct nfqd_http_req *out)
{
	return eq((const uint8_t *)out->method, out->method_len, "GET") ||
	    eq((const uint8_t *)out->method, out->method_len, "HEAD");
}

/*
 * CONNECT, whose head a proxy follows with the tunnel (RFC 9110 9.3.6: no
 * content), whatever its Connection and framing headers say: Apache
 * 2.4's mod_proxy_connect answers "CONNECT host:port" with "Connection:
 * close", a Content-Length or Transfer-Encoding: chunked with 200 and
 * relays the bytes after the head at once, a request to the host among
 * them.
 */
static bool
is_connect(const struct nfqd_http_req *out)
{
	return eq((const uint8_t *)out->method, out->method_len, "CONNECT");
}

/*
 * A header line's name b[ls..ls+nl) and value v[0..vl) (OWS trimmed),
 * for the request's framing: false when it makes the body's end unsure.
 */
static bool
framing(struct frame *fr, const uint8_t *name, size_t nl, const uint8_t *v,
    size_t vl, bool trail, struct nfqd_http_req *out)
{
	uint64_t	n = 0;
	size_t		i;

	if (eq_nocase(name, nl, "connection")) {
		/* Closing only where every server closes: Python's
		   http.server closes when its first Connection header is
		   "close" exactly (case aside, leading OWS stripped, trailing
		   OWS kept) and reads on after "keep-alive, close", "close "
		   or a second Connection header; a proxy tunnels after a
		   CONNECT that says close. */
		out->close = fr->conn++ == 0 && !trail &&
		    eq_nocase(v, vl, "close") && !is_connect(out);
	} else if (eq_nocase(name, nl, "upgrade")) {
		out->upgrade = true;
	} else if (eq_nocase(name, nl, "transfer-encoding")) {
		if (fr->te++ > 0 || fr->cl > 0 || out->minor == 0 ||
		    !eq_nocase(v, vl, "chunked"))
			return false;
		/* A CONNECT's "body" is the tunnel's first bytes. */
		if (bodiless(out) || is_connect(out))
			return false;
		out->body = NFQD_HTTP_BODY_CHUNKED;
	} else if (eq_nocase(name, nl, "content-length")) {
		if (fr->cl++ > 0 || fr->te > 0 || vl == 0 || vl > 18)
			return false;
		for (i = 0; i < vl; i++) {
			if (!is_digit(v[i]))
				return false;
			n = n * 10 + (uint64_t)(v[i] - '0');
		}
		if (n > 0 && is_connect(out))
			return false;
		out->peek = n > 0 && bodiless(out);
		out->body = NFQD_HTTP_BODY_LENGTH;
		out->content_length = n;
	}
	return true;
}

/*
 * Header lines up to and with the empty line.  The Host header's name,
 * normalized, goes to host (*host_len: -1 when there is none); the
 * framing headers to out (framing()).
 */
static bool
fields(struct http_p *p, char *host, int *host_len, struct nfqd_http_req *out)
{
	struct frame	 fr = { 0, 0, 0 };
	const uint8_t	*b = p->b;
	size_t		 ls, vs, vs0, ve, ve0;

	for (;;) {
		if (p->pos == p->n)
			return starve(p);
		if (b[p->pos] == '\r' || b[p->pos] == '\n')
			return eol(p, NFQD_HTTP_R_FIELD);
		/* obs-fold, or whitespace before the first header. */
		if (b[p->pos] == ' ' || b[p->pos] == '\t')
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_FIELD);
		for (ls = p->pos; b[p->pos] != ':'; ) {
			if (!nfqd_http_tchar(b[p->pos]))
				return stop(p, NFQD_L7_BAD, is_ctl(b[p->pos]) &&
				    b[p->pos] != '\r' && b[p->pos] != '\n' ?
				    NFQD_HTTP_R_CTL : NFQD_HTTP_R_FIELD);
			if (++p->pos == p->n)
				return starve(p);
		}
		if (p->pos == ls)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_FIELD);
		vs = vs0 = ++p->pos;
		for (;;) {
			if (p->pos == p->n)
				return starve(p);
			if (b[p->pos] == '\r' || b[p->pos] == '\n')
				break;
			if (is_ctl(b[p->pos]))
				return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_CTL);
			p->pos++;
		}
		ve = p->pos;
		if (!eol(p, NFQD_HTTP_R_FIELD))
			return false;
		while (vs < ve && (b[vs] == ' ' || b[vs] == '\t'))
			vs++;
		ve0 = ve;
		while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t'))
			ve--;
		if (!eq_nocase(b + ls, vs0 - 1 - ls, "host")) {
			if (!framing(&fr, b + ls, vs0 - 1 - ls, b + vs, ve - vs,
			    ve < ve0, out))
				return stop(p, NFQD_L7_BAD,
				    NFQD_HTTP_R_FRAMING);
			continue;
		}
		if (*host_len >= 0)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_HOST_DUP);
		*host_len = 0;
		if (vs < ve && (*host_len = nfqd_http_host_norm(host, b + vs,
		    ve - vs, false)) < 0)
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_HOST);
	}
}

enum nfqd_l7_res
nfqd_http_req_parse(const uint8_t *buf, size_t len, struct nfqd_http_req *out)
{
	struct http_p	p = HTTP_P(buf, len);
	char		host[NFQD_L7_NAME_MAX + 1];
	int		form = FORM_UNKNOWN, host_len = -1;

	memset(out, 0, sizeof(*out));
	if (!request_line(&p, out, &form)) {
		/* Not the HTTP/2 preface's NOT: that line is read whole. */
		if (p.res == NFQD_L7_NOT && p.why != NFQD_HTTP_R_H2_PREFACE)
			lenient(&p, p.why);
		/*
		 * The preface after empty lines: Go's net/http skips up to 4
		 * CR or LF bytes before a request that follows a POST and
		 * reads "PRI * HTTP/2.0" as a request, which its h2c handler
		 * takes for the preface (HTTP/2 from there on).  Nothing
		 * reads it as another protocol.
		 */
		else if (p.res == NFQD_L7_NOT && len > 0 &&
		    (buf[0] == '\r' || buf[0] == '\n'))
			stop(&p, NFQD_L7_BAD, NFQD_HTTP_R_LINE);
		goto fail;
	}
	if (!fields(&p, host, &host_len, out))
		goto fail;
	if (form == FORM_ABSOLUTE || form == FORM_AUTHORITY) {
		/* The authority wins; a Host header must agree with it. */
		if (host_len >= 0 && ((size_t)host_len != out->host_len ||
		    memcmp(host, out->host, (size_t)host_len) != 0)) {
			stop(&p, NFQD_L7_BAD, NFQD_HTTP_R_HOST_DIFF);
			goto fail;
		}
	} else if (host_len > 0) {
		memcpy(out->host, host, (size_t)host_len + 1);
		out->host_len = (uint16_t)host_len;
	}
	out->used = (uint32_t)p.pos;
	return NFQD_L7_DONE;

fail:
	memset(out, 0, sizeof(*out));
	out->why = p.why;
	return p.res;
}

const char *
nfqd_http_why_str(unsigned why)
{
	if (why >= NFQD_HTTP_R_MAX)
		return "unknown";
	return whys[why];
}
