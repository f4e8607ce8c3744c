/*
 * What the HTTP/1.x head parser (http.c) and the HTTP/2 request reader
 * (h2.c) share: where a parse is, how it stops, and the checks of a host,
 * a request-target and a path that both forms of a request go through
 * (httpnorm.c).  Private to those files.
 */
#ifndef NFQD_L7_HTTPINT_H
#define NFQD_L7_HTTPINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/l7/http.h"

/* Where the parse is. */
struct http_p {
	const uint8_t	*b;
	size_t		 n;		/* bytes looked at: min(len, HEAD_MAX) */
	bool		 full;		/* NFQD_HTTP_HEAD_MAX bytes are there:
					   running out is BAD, not MORE */
	size_t		 pos;		/* next byte */
	enum nfqd_l7_res res;		/* why the parse stopped */
	uint8_t		 why;		/* enum nfqd_http_why for NOT, BAD */
};

/* A parse of buf[0..len) from its start, DONE until something stops it. */
#define HTTP_P(buf, len) {						\
	.b = (buf),							\
	.n = (len) < NFQD_HTTP_HEAD_MAX ? (len) : NFQD_HTTP_HEAD_MAX,	\
	.full = (len) >= NFQD_HTTP_HEAD_MAX,				\
	.res = NFQD_L7_DONE,						\
}

/* The parse stops with res, and why for NOT and BAD: false. */
static inline bool
stop(struct http_p *p, enum nfqd_l7_res res, enum nfqd_http_why why)
{
	p->res = res;
	p->why = (uint8_t)why;
	return false;
}

/* Out of bytes: wait for more, unless the head may not grow. */
static inline bool
starve(struct http_p *p)
{
	if (p->full)
		return stop(p, NFQD_L7_BAD, NFQD_HTTP_R_TOO_BIG);
	return stop(p, NFQD_L7_MORE, NFQD_HTTP_R_NONE);
}

static inline bool
eq(const uint8_t *s, size_t n, const char *str)
{
	return strlen(str) == n && memcmp(s, str, n) == 0;
}

static inline bool
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* The normalization of hosts, targets and paths is httpnorm.c's. */
/* host [":" port] in v[0..vl) normalized into dst: its length, or -1. */
int	nfqd_http_host_norm(char *dst, const uint8_t *v, size_t vl,
	    bool need_port);
/* Every %-escape of t[0..tl) is two hex digits, and there is no '#'. */
bool	nfqd_http_target_chars(const uint8_t *t, size_t tl);
/* t[0..tl), a path and query, normalized into out->path; false: BAD. */
bool	nfqd_http_path_norm(struct http_p *p, const uint8_t *t, size_t tl,
	    struct nfqd_http_req *out);

#endif
