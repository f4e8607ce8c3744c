/*
 * A growable buffer and a small streaming JSON writer for the statistics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/json.h"

void
buf_init(struct nfqd_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_free(struct nfqd_buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct nfqd_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
buf_reserve(struct nfqd_buf *b, size_t n)
{
	size_t	 cap;
	char	*p;

	if (b->failed)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap != 0 ? b->cap : 1024;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		b->failed = true;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void
buf_append(struct nfqd_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_printf(struct nfqd_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

size_t
nfqd_utf8_len(const unsigned char *p)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;	/* continuation, 0xc0, 0xc1, 0xf5 .. 0xff */
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	/* Each byte read is known not to be the NUL. */
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

void
json_escape(struct nfqd_buf *b, const char *s)
{
	const unsigned char	*p;
	const char		*run = s;
	size_t			 n;

	buf_append(b, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		n = nfqd_utf8_len(p);
		if (n > 1 || (n == 1 && *p >= 0x20 && *p != '"' &&
		    *p != '\\'))
			continue;
		buf_append(b, run, (size_t)((const char *)p - run));
		if (n == 0) {
			/* JSON text is UTF-8 (RFC 8259): U+FFFD instead. */
			buf_append(b, "\\ufffd", 6);
			n = 1;
		} else {
			switch (*p) {
			case '"':  buf_append(b, "\\\"", 2); break;
			case '\\': buf_append(b, "\\\\", 2); break;
			case '\n': buf_append(b, "\\n", 2); break;
			case '\r': buf_append(b, "\\r", 2); break;
			case '\t': buf_append(b, "\\t", 2); break;
			default:   buf_printf(b, "\\u%04x", *p); break;
			}
		}
		run = (const char *)p + 1;
	}
	buf_append(b, run, strlen(run));
	buf_append(b, "\"", 1);
}

void
json_init(struct nfqd_json *j, struct nfqd_buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
	j->first[0] = true;
}

/* The comma and "key": before a value. */
static void
member(struct nfqd_json *j, const char *key)
{
	if (!j->first[j->depth])
		buf_append(j->b, ",", 1);
	j->first[j->depth] = false;
	if (key != NULL) {
		json_escape(j->b, key);
		buf_append(j->b, ":", 1);
	}
}

static void
open_(struct nfqd_json *j, const char *key, const char *c)
{
	member(j, key);
	buf_append(j->b, c, 1);
	if (j->depth + 1 < NFQD_JSON_MAXDEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
close_(struct nfqd_json *j, const char *c)
{
	buf_append(j->b, c, 1);
	if (j->depth > 0)
		j->depth--;
}

void
json_object_begin(struct nfqd_json *j, const char *key)
{
	open_(j, key, "{");
}

void
json_object_end(struct nfqd_json *j)
{
	close_(j, "}");
}

void
json_array_begin(struct nfqd_json *j, const char *key)
{
	open_(j, key, "[");
}

void
json_array_end(struct nfqd_json *j)
{
	close_(j, "]");
}

void
json_uint(struct nfqd_json *j, const char *key, uint64_t v)
{
	member(j, key);
	buf_printf(j->b, "%llu", (unsigned long long)v);
}

void
json_int(struct nfqd_json *j, const char *key, int64_t v)
{
	member(j, key);
	buf_printf(j->b, "%lld", (long long)v);
}

void
json_bool(struct nfqd_json *j, const char *key, bool v)
{
	member(j, key);
	buf_printf(j->b, "%s", v ? "true" : "false");
}

void
json_str(struct nfqd_json *j, const char *key, const char *s)
{
	member(j, key);
	json_escape(j->b, s);
}

void
json_null(struct nfqd_json *j, const char *key)
{
	member(j, key);
	buf_append(j->b, "null", 4);
}
