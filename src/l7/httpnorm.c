/*
 * The normalization of what names a request's server and resource, for
 * both forms of a request (http.c's HTTP/1.x head, h2.c's HTTP/2
 * fields): a host [":" port] checked and normalized, a request-target's
 * characters checked, a path and query normalized the way servers
 * resolve them (dot-segments, %-escapes of unreserved bytes, Tomcat's
 * and Jetty's ';' parameters) into out->path.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/l7/http.h"
#include "nfqd/l7/httpchar.h"
#include "nfqd/l7/l7parse.h"
#include "httpint.h"

#define PATH_CAP	NFQD_HTTP_PATH_MAX

/* The normalized path as it is built in out->path. */
struct path_out {
	char		*dst;		/* PATH_CAP + 1 bytes */
	size_t		 len;		/* bytes written, counted on past
					   PATH_CAP (those are dropped) */
	/* Where each segment kept starts, for those that start in dst[]:
	   a segment is 2 bytes or more ("/x"). */
	uint16_t	 st[PATH_CAP / 2 + 1];
	size_t		 nst;
	size_t		 hidden;	/* segments kept that start past
					   PATH_CAP */
	size_t		 hid0;		/* where the first of those starts */
};

/* The byte a %-escape's two hex digits, already checked, stand for. */
static uint8_t
pct_byte(const uint8_t *hex)
{
	return (uint8_t)(nfqd_http_hexval(hex[0]) << 4 |
	    nfqd_http_hexval(hex[1]));
}

/* RFC 3986 2.3: what a %-escape of it means the same as. */
static bool
is_unreserved(uint8_t c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~';
}

/* A byte of a host name as Host and authorities may carry it. */
static bool
is_hostchar(uint8_t c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
}

/*
 * host [":" port] in v[0..vl), non-empty, into dst normalized: its length,
 * or -1 when refused.  need_port: the port is required (CONNECT).
 */
int
nfqd_http_host_norm(char *dst, const uint8_t *v, size_t vl, bool need_port)
{
	size_t	i, hl, colons = 0;
	int	n;

	if (v[0] == '[') {
		for (i = 1; i < vl && v[i] != ']'; i++) {
			if (v[i] == ':')
				colons++;
			else if (v[i] != '.' && nfqd_http_hexval(v[i]) < 0)
				return -1;
		}
		if (i == vl || colons < 2)
			return -1;
		hl = ++i;
	} else {
		for (i = 0; i < vl && v[i] != ':'; i++)
			if (!is_hostchar(v[i]))
				return -1;
		hl = i;
	}
	if (i < vl) {
		if (v[i++] != ':' || (need_port && i == vl))
			return -1;
		for (; i < vl; i++)
			if (!is_digit(v[i]))
				return -1;
	} else if (need_port)
		return -1;
	if (hl == 0 || (n = nfqd_l7_name_norm(dst, v, hl)) < 0)
		return -1;
	/* "a.b.." leaves "a.b." after the one trailing dot dropped. */
	if (dst[n - 1] == '.')
		return -1;
	return n;
}

static void
path_emit(struct path_out *o, uint8_t c)
{
	if (o->len < PATH_CAP)
		o->dst[o->len] = (char)c;
	o->len++;
}

/*
 * What an escape in a path segment is decoded to besides the unreserved
 * characters: every other printable ASCII character but those that cut
 * the path ('/', '?', '#', ';' for parameters, the backslash) and '%'
 * itself (no double decoding).
 * nginx, Go's ServeMux and Python's http.server decode them all before
 * they use the path ("/%40admin" is "/@admin" to them), and a rule's
 * prefix holds them as they are.
 */
static bool
is_path_decoded(uint8_t c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '/': case '?': case '#': case ';': case '\\': case '%':
		return false;
	}
	return true;
}

/* s[0..n) with unreserved escapes (and, in a path segment, those
 * is_path_decoded() takes) decoded, others upper-cased. */
static void
path_emit_norm(struct path_out *o, const uint8_t *s, size_t n, bool seg)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			i;
	uint8_t			v;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			path_emit(o, s[i]);
			continue;
		}
		/* Checked: two hex digits follow. */
		v = pct_byte(s + i + 1);
		i += 2;
		if (is_unreserved(v) || (seg && is_path_decoded(v)))
			path_emit(o, v);
		else {
			path_emit(o, '%');
			path_emit(o, (uint8_t)hex[v >> 4]);
			path_emit(o, (uint8_t)hex[v & 15]);
		}
	}
}

static void
path_push(struct path_out *o, const uint8_t *s, size_t n)
{
	if (o->len < PATH_CAP)
		o->st[o->nst++] = (uint16_t)o->len;
	else if (o->hidden++ == 0)
		o->hid0 = o->len;
	path_emit(o, '/');
	path_emit_norm(o, s, n, true);
}

/* Drop the last segment kept; at the root, nothing. */
static void
path_pop(struct path_out *o)
{
	if (o->hidden > 0) {
		/* Where the segment began is only known for the first of
		   them; any length past PATH_CAP reads the same. */
		o->len = --o->hidden == 0 ? o->hid0 : o->hid0 + 1;
	} else if (o->nst > 0)
		o->len = o->st[--o->nst];
}

enum seg_kind {
	SEG_EMPTY,		/* "" */
	SEG_PARAM,		/* ";x": a parameter and no name */
	SEG_DOT,		/* "." */
	SEG_DOTDOT,		/* ".." */
	SEG_NAME,		/* anything else */
};

/*
 * What a path segment s[0..n) is once decoded and its ';' parameters
 * taken out, as Tomcat (CoyoteAdapter.parsePathParameters()) and Jetty
 * take them out before they resolve dot-segments; *name: the bytes before
 * the first ';'.  -1: BAD.  Only a literal ';' starts parameters there,
 * and a %-escape holds none, so the name never cuts one.
 */
static int
seg_kind(const uint8_t *s, size_t n, size_t *name)
{
	size_t	i, dots = 0, other = 0;
	int	v;

	*name = n;
	for (i = 0; i < n; i++) {
		v = s[i];
		if (v == '\\')
			return -1;
		if (v == '%') {
			v = pct_byte(s + i + 1);
			i += 2;
			if (v == '/' || v == '\\' || v == 0)
				return -1;
		} else if (v == ';' && *name == n)
			*name = i;
		if (*name < n)
			continue;
		if (v == '.')
			dots++;
		else
			other++;
	}
	if (n == 0)
		return SEG_EMPTY;
	if (*name == 0)
		return SEG_PARAM;
	if (other > 0 || dots > 2)
		return SEG_NAME;
	/* "..;x": Tomcat drops the parameter and walks up, nginx not. */
	if (*name < n)
		return -1;
	return dots == 1 ? SEG_DOT : SEG_DOTDOT;
}

/*
 * Normalize t[0..tl), a path (empty, or from '/') and query (from '?'),
 * into out->path; false: BAD.  %-escapes are checked already.
 */
bool
nfqd_http_path_norm(struct http_p *p, const uint8_t *t, size_t tl,
    struct nfqd_http_req *out)
{
	struct path_out	 o = { .dst = out->path };
	const uint8_t	*q;
	size_t		 pl, i, e, nl;
	bool		 empty = false;
	int		 kind = SEG_EMPTY;

	q = memchr(t, '?', tl);
	pl = q != NULL ? (size_t)(q - t) : tl;
	for (i = 0; i < pl; i = e) {
		/* t[i] is '/'; the segment runs to the next. */
		for (e = i + 1; e < pl && t[e] != '/'; e++)
			;
		kind = seg_kind(t + i + 1, e - i - 1, &nl);
		switch (kind) {
		case SEG_EMPTY:
			/* Not the last: "//" in the path. */
			if (e < pl)
				empty = true;
			break;
		case SEG_PARAM:
			/* "/;x/admin": "/admin" to Tomcat, a segment ";x" to
			   nginx and Apache.  Last ("/;jsessionid=1"), it is
			   left out as Tomcat does: what nfqd keeps, "/", is a
			   prefix of what nginx reads, and a rule's path with
			   a ';' is refused, so no rule tells them apart. */
			if (e < pl)
				return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_PATH);
			break;
		case SEG_DOT:
			break;
		case SEG_DOTDOT:
			/* Where slashes are merged ".." walks up past where
			   it does where they are not. */
			if (empty)
				return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_PATH);
			path_pop(&o);
			break;
		case SEG_NAME:
			path_push(&o, t + i + 1, nl);
			break;
		default:
			return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_PATH);
		}
	}
	if (kind != SEG_NAME)
		path_emit(&o, '/');
	if (q != NULL)
		path_emit_norm(&o, q, tl - pl, false);
	out->path_cut = o.len > PATH_CAP;
	out->path_len = (uint16_t)(o.len > PATH_CAP ? PATH_CAP : o.len);
	out->path[out->path_len] = '\0';
	return true;
}

/* Every %-escape of t[0..tl) is two hex digits, and there is no '#'. */
bool
nfqd_http_target_chars(const uint8_t *t, size_t tl)
{
	size_t	i;

	for (i = 0; i < tl; i++) {
		if (t[i] == '#')
			return false;
		if (t[i] == '%') {
			if (tl - i < 3 || nfqd_http_hexval(t[i + 1]) < 0 ||
			    nfqd_http_hexval(t[i + 2]) < 0)
				return false;
			i += 2;
		}
	}
	return true;
}
