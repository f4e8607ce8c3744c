/*
 * What every application-layer parser (src/l7/) shares: the answer it
 * gives about the bytes it was handed, and the one way a name read off
 * the wire (TLS server name, HTTP Host, DNS query name) is made
 * comparable with the names in rules and name sets.
 */
#ifndef NFQD_L7_L7PARSE_H
#define NFQD_L7_L7PARSE_H

#include <stddef.h>
#include <stdint.h>

/* A parser's answer about the bytes from a stream's (or datagram's) start. */
enum nfqd_l7_res {
	NFQD_L7_MORE = 0,	/* a valid prefix: more bytes are needed */
	NFQD_L7_DONE,		/* complete; the fields are filled in */
	NFQD_L7_NOT,		/* not this protocol */
	NFQD_L7_BAD,		/* this protocol, malformed or evasive */
};

/* A name's text without its trailing dot, as DNS bounds it. */
#define NFQD_L7_NAME_MAX	253

/*
 * Copy the name src[0..len) to dst (at least NFQD_L7_NAME_MAX + 1 bytes)
 * in its one comparable form: ASCII letters folded to lower case, one
 * trailing dot dropped, NUL-terminated.  Returns the length written, or
 * -1 when the name is not one a rule could mean, which the caller treats
 * as malformed: empty, longer than NFQD_L7_NAME_MAX, an empty label
 * ("a..b", ".a"), or a byte outside printable ASCII (NUL, space, control
 * bytes, anything over 0x7e) that a server might read differently.
 */
static inline int
nfqd_l7_name_norm(char *dst, const uint8_t *src, size_t len)
{
	size_t	i, label = 0;

	if (len > 0 && src[len - 1] == '.')
		len--;
	if (len == 0 || len > NFQD_L7_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		uint8_t	c = src[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (c < 0x21 || c > 0x7e) {
			return -1;
		} else {
			label++;
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
		}
		dst[i] = (char)c;
	}
	if (label == 0)
		return -1;	/* "a.." : one trailing dot is all one drops */
	dst[len] = '\0';
	return (int)len;
}

#endif
