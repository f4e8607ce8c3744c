/*
 * libFuzzer target for name sets (src/l7/names.c, namematch.c): list text read,
 * a set built, queries matched, all against a small reference written here from
 * the format's description (names.h): the same lines accepted, the first bad
 * one refused with "LABEL:LINE: ", the same distinct count, and the same answer
 * to every query by a linear scan over the elements.
 *
 * Input: a mode byte, two bytes (big-endian) giving the list text's
 * length, the list text, then queries, one a line.
 *   mode bit 0: the text's lines are rule elements (nfqd_names_add, each
 *               line as it is), not a list file; a refused one is skipped
 *   mode bit 1: the text is also read as a file (a memfd), and must give
 *               the same answer and message
 *   mode bit 2: a 24-byte error buffer, to check that messages are cut,
 *               not overrun
 * Besides the queries given, each element is tried as it is, below a new
 * label, without its first label, and with a byte changed; and every
 * query is prefetched (nfqd_names_prefetch and _names) before it is
 * matched again, with the same answer; and normalized by
 * nfqd_l7_name_norm() and nfqd_l7_host_norm() as a byte-by-byte
 * reference does.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nfqd/l7/l7parse.h"
#include "nfqd/l7/names.h"
#include "../unit/names_ref.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

/* Inputs are cut here, so that elements fit and the scans stay quick. */
#define MAXINPUT	16384
#define MAXELEM		(MAXINPUT / 2)

struct elem {
	char	name[NFQD_L7_NAME_MAX + 1];
	size_t	len;
	int	sub;
};

static struct elem	elems[MAXELEM];
static size_t		nelems;

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* An element as names.h describes it; 1 and added, or 0. */
static int
ref_elem(const uint8_t *s, size_t len)
{
	struct elem	*e;
	size_t		 i, label = 0;
	int		 sub = 1, c;

	if (len > 0 && s[0] == '=') {
		sub = 0;
		s++;
		len--;
	}
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > NFQD_L7_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = lower(s[i]);
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	if (label == 0)
		return 0;
	ASSERT(nelems < MAXELEM);
	e = &elems[nelems++];
	for (i = 0; i < len; i++)
		e->name[i] = (char)lower(s[i]);
	e->name[len] = '\0';
	e->len = len;
	e->sub = sub;
	return 1;
}

static int
ref_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
ref_addr(const uint8_t *s, size_t len)
{
	char	buf[MAXINPUT + 1];
	uint8_t	a[16];
	size_t	i;

	if (len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strchr(buf, ':') != NULL) {
		/* A zone after '%' ("fe80::1%lo0") is allowed. */
		for (i = 0; i + 1 < len; i++)
			if (buf[i] == '%') {
				buf[i] = '\0';
				break;
			}
		return inet_pton(AF_INET6, buf, a) == 1;
	}
	for (i = 0; i < len; i++)
		if ((buf[i] < '0' || buf[i] > '9') && buf[i] != '.')
			return 0;
	return inet_pton(AF_INET, buf, a) == 1;
}

/* A hosts file's own entries, skipped on a hosts-file line. */
static int
ref_own(const uint8_t *s, size_t len)
{
	static const char *const own[] = {
		"localhost", "localhost.localdomain", "local", "broadcasthost",
		"ip6-localhost", "ip6-loopback", "ip6-localnet",
		"ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters",
		"ip6-allhosts",
	};
	size_t	i, k;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		if (strlen(own[i]) != len)
			continue;
		for (k = 0; k < len && lower(s[k]) == own[i][k]; k++)
			;
		if (k == len)
			return 1;
	}
	return ref_addr(s, len);
}

/* One line of a list: 1, or 0 when it is bad. */
static int
ref_line(const uint8_t *p, size_t len, unsigned long line)
{
	const uint8_t	*f[NFQD_NAMES_LINE_MAX / 2 + 1];
	size_t		 fl[NFQD_NAMES_LINE_MAX / 2 + 1], nf = 0, i;

	if (line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	for (i = 0; i < len && p[i] != '#'; i++)
		;
	len = i;
	for (i = 0; i < len;) {
		if (ref_blank(p[i])) {
			i++;
			continue;
		}
		f[nf] = p + i;
		while (i < len && !ref_blank(p[i]))
			i++;
		fl[nf] = (size_t)(p + i - f[nf]);
		nf++;
	}
	if (nf == 0)
		return 1;
	if (nf == 1)
		return !ref_addr(f[0], fl[0]) && ref_elem(f[0], fl[0]);
	if (!ref_addr(f[0], fl[0]))
		return 0;
	for (i = 1; i < nf; i++)
		if (!ref_own(f[i], fl[i]) && !ref_elem(f[i], fl[i]))
			return 0;
	return 1;
}

/* The list: 0, or the number of the first bad line. */
static unsigned long
ref_list(const uint8_t *p, size_t len)
{
	unsigned long	line = 0;
	size_t		off = 0, n;
	const uint8_t	*nl;

	while (off < len) {
		line++;
		nl = memchr(p + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (p + off)) : len - off;
		if (n > NFQD_NAMES_LINE_MAX || !ref_line(p + off, n, line))
			return line;
		off += n + 1;
	}
	return 0;
}

static int
ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct elem *)a)->name,
	    ((const struct elem *)b)->name);
}

/* Distinct names; sorts elems[]. */
static size_t
ref_count(void)
{
	size_t	i, n = 0;

	qsort(elems, nelems, sizeof(elems[0]), ref_cmp);
	for (i = 0; i < nelems; i++)
		n += i == 0 || strcmp(elems[i].name, elems[i - 1].name) != 0;
	return n;
}

static int
ref_match(const uint8_t *q, size_t len)
{
	size_t	i;

	if (len > 0 && q[len - 1] == '.')
		len--;
	if (len == 0 || len > NFQD_L7_NAME_MAX)
		return 0;
	for (i = 0; i < nelems; i++) {
		const struct elem *e = &elems[i];

		if (e->len == len && memcmp(e->name, q, len) == 0)
			return 1;
		if (e->sub && len > e->len && q[len - e->len - 1] == '.' &&
		    memcmp(e->name, q + len - e->len, e->len) == 0)
			return 1;
	}
	return 0;
}

/* Both normalizations of q[0..len) against the reference. */
static void
check_norm(const uint8_t *q, size_t len)
{
	char	a[NFQD_L7_NAME_MAX + 1], b[NFQD_L7_NAME_MAX + 1];
	int	r, rr, host;

	for (host = 0; host < 2; host++) {
		r = host ? nfqd_l7_host_norm(a, q, len) :
		    nfqd_l7_name_norm(a, q, len);
		rr = ref_name_norm(b, q, len, host != 0);
		ASSERT(r == rr);
		if (r >= 0)
			ASSERT(memcmp(a, b, (size_t)r + 1) == 0);
	}
}

static void
check_query(const struct nfqd_names *s, const uint8_t *q, size_t len)
{
	char	norm[NFQD_L7_NAME_MAX + 1];
	uint64_t hv[8];
	uint8_t	*copy;
	size_t	hn;
	int	n;

	/* A copy of exactly len bytes: a read past it is a read past the
	 * allocation. */
	if ((copy = malloc(len + 1)) == NULL)
		return;
	memcpy(copy, q, len);
	ASSERT(nfqd_names_match(s, (char *)copy, len) == ref_match(q, len));
	/* The prefetch reads no more than the match, and changes nothing. */
	hn = nfqd_names_prefetch(s, (char *)copy, len, hv, 8);
	ASSERT(hn <= 8);
	nfqd_names_prefetch_names(s, hv, hn);
	ASSERT(nfqd_names_match(s, (char *)copy, len) == ref_match(q, len));
	free(copy);
	check_norm(q, len);
	if ((n = nfqd_l7_name_norm(norm, q, len)) >= 0)
		ASSERT(nfqd_names_match(s, norm, (size_t)n) ==
		    ref_match((uint8_t *)norm, (size_t)n));
}

/* The text through a memfd and nfqd_names_add_file. */
static int
via_file(struct nfqd_names_builder *b, const uint8_t *text, size_t len,
    char *path, size_t pathlen, char *err, size_t errlen)
{
	int	fd, r;

	if ((fd = memfd_create("fuzz_names", MFD_CLOEXEC)) == -1)
		return -2;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -2;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	r = nfqd_names_add_file(b, path, NULL, err, errlen);
	close(fd);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct nfqd_names_builder	*b, *fb = NULL;
	struct nfqd_names		*s;
	const uint8_t			*text, *qs, *p, *nl;
	/* One byte more than is ever passed: a canary. */
	char				 err[513], ferr[513], path[64], want[96];
	char				 q[2 * NFQD_L7_NAME_MAX + 8];
	size_t				 tlen, qlen, errlen, off, n, i, k;
	unsigned long			 bad;
	int				 mode, r, fr;

	if (size < 3 || size > MAXINPUT)
		return 0;
	mode = in[0];
	tlen = (size_t)in[1] << 8 | in[2];
	if (tlen > size - 3)
		tlen = size - 3;
	text = in + 3;
	qs = text + tlen;
	qlen = size - 3 - tlen;
	errlen = mode & 4 ? 24 : sizeof(err) - 1;
	memset(err, 0x5a, sizeof(err));
	nelems = 0;

	if ((b = nfqd_names_builder_new()) == NULL)
		return 0;
	if (mode & 1) {
		/* Rule elements: each line as it is; refusals skipped. */
		for (off = 0; off < tlen; off += n + 1) {
			nl = memchr(text + off, '\n', tlen - off);
			n = nl != NULL ? (size_t)(nl - (text + off)) :
			    tlen - off;
			r = nfqd_names_add(b, (const char *)text + off, n, err,
			    errlen);
			ASSERT(r == (ref_elem(text + off, n) ? 0 : -1));
			if (r == -1)
				ASSERT(err[0] == '"' &&
				    memchr(err, '\0', errlen) != NULL);
		}
	} else {
		r = nfqd_names_add_text(b, "fuzz", (const char *)text, tlen,
		    err, errlen);
		bad = ref_list(text, tlen);
		ASSERT((r == -1) == (bad != 0));
		if (r == -1) {
			ASSERT(memchr(err, '\0', errlen) != NULL);
			snprintf(want, sizeof(want), "fuzz:%lu: ", bad);
			n = strlen(want) < errlen - 1 ? strlen(want) :
			    errlen - 1;
			ASSERT(strncmp(err, want, n) == 0);
		}
		if (mode & 2 && (fb = nfqd_names_builder_new()) != NULL) {
			memset(ferr, 0x5a, sizeof(ferr));
			fr = via_file(fb, text, tlen, path, sizeof(path), ferr,
			    errlen);
			if (fr != -2) {
				ASSERT(fr == r);
				/* The same message, after its label. */
				if (r == -1 && !(mode & 4))
					ASSERT(strcmp(ferr + strlen(path),
					    err + 4) == 0);
			}
			nfqd_names_builder_free(fb);
		}
		if (r == -1) {
			nfqd_names_builder_free(b);
			ASSERT((unsigned char)err[errlen] == 0x5a);
			return 0;
		}
	}
	ASSERT((unsigned char)err[errlen] == 0x5a);

	if ((s = nfqd_names_build(b)) == NULL)
		return 0;
	ASSERT(nfqd_names_count(s) == ref_count());
	ASSERT(nfqd_names_bytes(s) >= nfqd_names_count(s));

	for (off = 0; off < qlen; off += n + 1) {
		nl = memchr(qs + off, '\n', qlen - off);
		n = nl != NULL ? (size_t)(nl - (qs + off)) : qlen - off;
		check_query(s, qs + off, n);
	}
	/* Shapes near each element: itself, a subdomain, its parent, a
	 * byte changed, a dot added in front or behind. */
	for (i = 0; i < nelems && i < 64; i++) {
		const struct elem *e = &elems[i];

		check_query(s, (const uint8_t *)e->name, e->len);
		n = (size_t)snprintf(q, sizeof(q), "w.%s", e->name);
		check_query(s, (const uint8_t *)q, n);
		n = (size_t)snprintf(q, sizeof(q), "x%s", e->name);
		check_query(s, (const uint8_t *)q, n);
		n = (size_t)snprintf(q, sizeof(q), ".%s.", e->name);
		check_query(s, (const uint8_t *)q, n);
		check_query(s, (const uint8_t *)q, n - 1);
		if ((p = memchr(e->name, '.', e->len)) != NULL)
			check_query(s, p + 1, e->len - (size_t)(p + 1 -
			    (const uint8_t *)e->name));
		memcpy(q, e->name, e->len);
		k = (i * 7) % e->len;
		q[k] ^= 1 << (i % 7);
		check_query(s, (const uint8_t *)q, e->len);
	}
	nfqd_names_free(s);
	return 0;
}
