/*
 * nfqd_l7_name_norm() and nfqd_l7_host_norm() (include/nfqd/l7/l7parse.h)
 * as their comments say, a test per byte: no table, no SSE2.
 * tests/unit/test_names.c and tests/fuzz/fuzz_names.c hold both to it,
 * the same answer and the same bytes.
 */
#ifndef NFQD_NAMES_REF_H
#define NFQD_NAMES_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/l7/l7parse.h"

/* With host, the bytes servers cut a host name at are refused too. */
static inline int
ref_name_norm(char *dst, const uint8_t *src, size_t len, bool host)
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
		} else if (c < 0x21 || c > 0x7e || (host && (c == ':' ||
		    c == '/' || c == '\\' || c == '[' || c == ']'))) {
			return -1;
		} else {
			label++;
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
		}
		dst[i] = (char)c;
	}
	if (label == 0)
		return -1;
	dst[len] = '\0';
	return (int)len;
}

#endif
