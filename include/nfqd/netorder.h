/*
 * Integers in network byte order at any address: the packet and message
 * parsers read fields through these, never through a cast (a field in a
 * packet need not be aligned).  The caller has checked that the bytes
 * are there.
 */
#ifndef NFQD_NETORDER_H
#define NFQD_NETORDER_H

#include <stdint.h>

static inline uint16_t
nfqd_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
nfqd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

#endif
