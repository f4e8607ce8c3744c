/*
 * ClientHellos and the TCP segments that carry them, for the benchmark
 * tools (tests/tools/hellogen.c, tests/bench/bench_flows.c): one builder,
 * so that the flood on the wire and the flood fed to the engine in
 * process are the same packets.
 */
#ifndef NFQD_TESTS_HELLO_H
#define NFQD_TESTS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define HELLO_MAX	1024		/* a record, whatever the name */
#define HELLO_NAME_MAX	253
#define HELLO_PKT_MAX	(20 + 32 + HELLO_MAX)

/* xorshift64 state: set it (not to 0) to repeat a run. */
extern uint64_t	hello_seed;

uint64_t hello_rnd(void);

/* CLOCK_MONOTONIC in ns. */
uint64_t hello_now_ns(void);

/* The names of a list file, one after another, NUL-terminated. */
struct hello_names {
	char	*buf;
	size_t	 used, cap;
	size_t	*at;
	size_t	 n, ncap;
};

/*
 * Every name of a list file: words up to a '#', an address word (a hosts
 * file's) skipped, a leading '=' taken off.  Exits on an error or an
 * empty list.
 */
void	hello_names_read(struct hello_names *s, const char *path);

/*
 * A name no list holds, shaped like the generated lists' (1-3 labels of
 * 3-15 bytes, then a top-level domain), under 20 top-level domains the
 * generated lists (bench_names, bench_l7.sh) never use; its length.
 */
size_t	hello_made_up(char *buf);

/* A TLS record holding a ClientHello for name (see hellogen.c); its
   length, at most HELLO_MAX. */
size_t	hello_client(uint8_t *out, const char *name, size_t nlen);

uint8_t	*hello_put32(uint8_t *p, uint32_t v);

/* The Internet checksum of buf, folded, starting from sum. */
uint16_t hello_csum(const uint8_t *buf, size_t len, uint32_t sum);

/*
 * An IPv4 packet of a TCP segment into pkt: addresses in network order,
 * ports and numbers in host order, opt (optlen, a multiple of 4) the TCP
 * options; checksums computed.  Returns its length.
 */
size_t	hello_tcp_packet(uint8_t *pkt, uint32_t saddr, uint32_t daddr,
	    uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
	    uint8_t flags, const uint8_t *opt, size_t optlen,
	    const uint8_t *pay, size_t paylen);

#endif
