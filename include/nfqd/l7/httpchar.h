/*
 * Bytes of HTTP/1.1 syntax, shared by the head parser (http.c) and the
 * chunked body reader (hbody.c).
 */
#ifndef NFQD_L7_HTTPCHAR_H
#define NFQD_L7_HTTPCHAR_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 9110 5.6.2: a byte of a token (a field name, a method). */
static inline bool
nfqd_http_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return true;
	}
	return false;
}

/* A hex digit's value, or -1. */
static inline int
nfqd_http_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
