/*
 * HTTP/2 connections' header tables, a pool per worker: handed out to the
 * flows that read an HTTP/2 connection's later requests (l7later.c) and
 * put back when they end.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "nfqd/l7.h"
#include "nfqd/l7/hpack.h"

#include "l7int.h"

struct nfqd_h2tabs *
l7_h2tabs_new(uint32_t n)
{
	struct nfqd_h2tabs	*p;
	size_t			 hdr, size;
	void			*m;

	hdr = (sizeof(*p) + (size_t)n * (sizeof(uint32_t) + 1) + 63) &
	    ~(size_t)63;
	if (n == 0 || __builtin_mul_overflow((size_t)n,
	    sizeof(struct nfqd_hpack), &size) ||
	    __builtin_add_overflow(size, hdr, &size)) {
		errno = EINVAL;
		return NULL;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	p = m;
	p->size = size;
	p->n = n;
	p->free = (uint32_t *)(void *)(p + 1);
	p->inuse = (uint8_t *)(p->free + n);
	p->t = (struct nfqd_hpack *)(void *)((char *)m + hdr);
	return p;
}

void
l7_h2tabs_free(struct nfqd_h2tabs *p)
{
	if (p != NULL)
		munmap(p, p->size);
}

/* A table's index + 1, 0 when none is free. */
uint32_t
l7_h2tab_get(struct nfqd_h2tabs *p)
{
	uint32_t	i;

	if (p->nfree > 0)
		i = p->free[--p->nfree];
	else if (p->fresh < p->n)
		i = ++p->fresh;
	else
		return 0;
	p->inuse[i - 1] = 1;
	return i;
}

void
l7_h2tab_put(struct nfqd_h2tabs *p, uint32_t i)
{
	/* A second put would hand one table to two flows: stop here. */
	if (i == 0 || i > p->fresh || !p->inuse[i - 1])
		abort();
	p->inuse[i - 1] = 0;
	p->free[p->nfree++] = i;
}

unsigned
nfqd_l7_h2_tables(const struct nfqd_l7 *l)
{
	return l->h2tabs != NULL ? l->h2tabs->fresh - l->h2tabs->nfree : 0;
}
