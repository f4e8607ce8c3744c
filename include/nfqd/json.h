#ifndef NFQD_JSON_H
#define NFQD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable text buffer (never used on the packet path). */
struct nfqd_buf {
	char	*data;		/* NUL-terminated while !failed */
	size_t	 len;
	size_t	 cap;
	bool	 failed;	/* an allocation failed; contents are cut */
};

void	buf_init(struct nfqd_buf *b);
void	buf_free(struct nfqd_buf *b);
void	buf_reset(struct nfqd_buf *b);
void	buf_append(struct nfqd_buf *b, const char *s, size_t n);
void	buf_printf(struct nfqd_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * A streaming JSON writer: members are written in order, commas are placed
 * for the caller.  key is the member name inside an object, NULL inside an
 * array or for the top-level value.
 */
#define NFQD_JSON_MAXDEPTH	16

struct nfqd_json {
	struct nfqd_buf	*b;
	unsigned	 depth;
	bool		 first[NFQD_JSON_MAXDEPTH];
};

void	json_init(struct nfqd_json *j, struct nfqd_buf *b);
void	json_object_begin(struct nfqd_json *j, const char *key);
void	json_object_end(struct nfqd_json *j);
void	json_array_begin(struct nfqd_json *j, const char *key);
void	json_array_end(struct nfqd_json *j);
void	json_uint(struct nfqd_json *j, const char *key, uint64_t v);
void	json_int(struct nfqd_json *j, const char *key, int64_t v);
void	json_bool(struct nfqd_json *j, const char *key, bool v);
void	json_str(struct nfqd_json *j, const char *key, const char *s);
void	json_null(struct nfqd_json *j, const char *key);

/*
 * Append s as a JSON string literal, quotes included; a byte that does
 * not start a valid UTF-8 sequence is written as \ufffd.
 */
void	json_escape(struct nfqd_buf *b, const char *s);

/*
 * The length (1 to 4) of the valid UTF-8 sequence that starts at p, a
 * NUL-terminated string (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF); 0 if the byte at p starts none.
 */
size_t	nfqd_utf8_len(const unsigned char *p);

#endif
