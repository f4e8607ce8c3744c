/*
 * What test_http.c and test_h2.c both check of an HTTP parser: that it
 * reads buf[0..len) from a buffer of exactly len bytes (no byte past it
 * touched, as ASan sees), and that every prefix of a request answers
 * MORE up to where the whole is first answered, then that answer.
 */
#ifndef NFQD_TEST_HTTP_PREFIX_H
#define NFQD_TEST_HTTP_PREFIX_H

#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/http.h"
#include "unit.h"

typedef enum nfqd_l7_res (*http_parser)(const uint8_t *, size_t,
    struct nfqd_http_req *);

/* buf[0..len) parsed from a buffer of exactly len bytes. */
static enum nfqd_l7_res
parse_with(http_parser parse, const void *buf, size_t len,
    struct nfqd_http_req *r)
{
	enum nfqd_l7_res	 res;
	uint8_t			*copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, buf, len);
	res = parse(copy, len, r);
	free(copy);
	return res;
}

/* A MORE's request: every field zero but why and need. */
static bool
zero_but_why_need(const struct nfqd_http_req *r)
{
	struct nfqd_http_req	z;

	memset(&z, 0, sizeof(z));
	z.why = r->why;
	z.need = r->need;
	return memcmp(&z, r, sizeof(z)) == 0;
}

/*
 * Every prefix of buf: MORE (fields zero, why none, need 0 or past the
 * prefix) up to the length where the answer for the whole is first
 * given, not before the last MORE's need, then that answer, fields and
 * all, at every length after; a DONE is first given at its used.
 */
static void
check_prefixes_with(http_parser parse, const char *name, const void *buf,
    size_t len)
{
	struct nfqd_http_req	whole, r;
	enum nfqd_l7_res	wres, res;
	size_t			k, first = len + 1, need = 0, bad = 0;

	wres = parse_with(parse, buf, len, &whole);
	for (k = 0; k <= len; k++) {
		res = parse_with(parse, buf, k, &r);
		if (first > len && res == NFQD_L7_MORE) {
			if (!zero_but_why_need(&r) || r.why != 0 ||
			    (r.need != 0 && r.need <= k))
				bad++;
			need = r.need;
			continue;
		}
		if (first > len) {
			first = k;
			if (k < need)
				bad++;	/* answered before the need said */
		}
		if (res != wres || memcmp(&r, &whole, sizeof(r)) != 0)
			bad++;
	}
	if (wres == NFQD_L7_MORE)
		CHECKF(bad == 0 && first > len,
		    unit_fmt("%s: every prefix MORE", name), "%zu wrong", bad);
	else
		CHECKF(bad == 0 && (wres != NFQD_L7_DONE ||
		    first == whole.used), unit_fmt("%s: MORE up to %zu bytes, "
		    "then the same answer", name, first),
		    "%zu prefixes wrong; used %u", bad, whole.used);
}

#endif
