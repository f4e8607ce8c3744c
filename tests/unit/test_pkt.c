/*
 * Unit tests for src/pkt.c: packets built here byte by byte, parsed whole,
 * with lengths that lie, and cut at every length (each prefix copied to a
 * buffer of exactly that size, so valgrind sees any read past it).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/pkt.h"
#include "unit.h"

static uint8_t			buf[4096];
static uint32_t			blen;
static struct nfqd_pkt	pi;

static const uint8_t	src4[4] = { 192, 0, 2, 1 };
static const uint8_t	dst4[4] = { 198, 51, 100, 7 };
static const uint8_t	src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t	dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x02 };

static void
put8(unsigned v)
{
	if (blen >= sizeof(buf))
		abort();
	buf[blen++] = (uint8_t)v;
}

static void
put16(unsigned v)
{
	put8(v >> 8);
	put8(v & 0xff);
}

static void
putn(unsigned v, unsigned n)
{
	while (n-- > 0)
		put8(v);
}

static void
set16(uint32_t off, unsigned v)
{
	buf[off] = (uint8_t)(v >> 8);
	buf[off + 1] = (uint8_t)v;
}

/* A new packet: an IPv4 header of ihl words, tot_len 0 until ip4_len(). */
static void
ip4(unsigned ihl, unsigned frag, unsigned proto)
{
	blen = 0;
	put8(0x40 | ihl);
	put8(0);
	put16(0);
	put16(0x1234);
	put16(frag);
	put8(64);
	put8(proto);
	put16(0);
	memcpy(buf + blen, src4, 4);
	blen += 4;
	memcpy(buf + blen, dst4, 4);
	blen += 4;
	if (ihl > 5)
		putn(1, (ihl - 5) * 4);		/* NOP options */
}

static void
ip4_len(unsigned len)
{
	set16(2, len);
}

/* A new packet: an IPv6 header, payload_len 0 until ip6_len(). */
static void
ip6(unsigned nh)
{
	blen = 0;
	put8(0x60);
	putn(0, 3);
	put16(0);
	put8(nh);
	put8(64);
	memcpy(buf + blen, src6, 16);
	blen += 16;
	memcpy(buf + blen, dst6, 16);
	blen += 16;
}

static void
ip6_len(unsigned plen)
{
	set16(4, plen);
}

/* An IPv6 extension header of (len + 1) * 8 bytes. */
static void
ext6(unsigned nh, unsigned len)
{
	put8(nh);
	put8(len);
	putn(0, (len + 1) * 8 - 2);
}

static void
frag6(unsigned nh, unsigned offset, unsigned more)
{
	put8(nh);
	put8(0);
	put16(offset << 3 | more);
	put16(0xabcd);
	put16(0xef01);
}

/* An AH header of (len + 2) * 4 bytes. */
static void
ah6(unsigned nh, unsigned len)
{
	put8(nh);
	put8(len);
	putn(0, (len + 2) * 4 - 2);
}

/* A 20-byte TCP header; options, if doff says so, are the caller's. */
static void
tcp(unsigned sport, unsigned dport, unsigned doff, unsigned flags)
{
	put16(sport);
	put16(dport);
	put16(0x0102);
	put16(0x0304);
	putn(0, 4);
	put8(doff << 4);
	put8(flags);
	put16(65535);
	put16(0);
	put16(0);
}

static void
udp(unsigned sport, unsigned dport, unsigned len)
{
	put16(sport);
	put16(dport);
	put16(len);
	put16(0);
}

static void
icmp(unsigned type, unsigned code)
{
	put8(type);
	put8(code);
	put16(0);
	put16(0x4242);
	put16(1);
}

static int
parse(uint32_t caplen, uint32_t origlen)
{
	memset(&pi, 0xa5, sizeof(pi));
	return nfqd_pkt_parse(buf, caplen, origlen, &pi);
}

static int
zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

static void
check_ok(const char *name, int ret, unsigned family, unsigned proto,
    unsigned flags, uint32_t l4off, uint32_t payoff, uint32_t iplen)
{
	CHECK_INT_EQ(ret, NFQD_PKT_OK, unit_fmt("%s: returns OK", name));
	CHECK_INT_EQ(pi.status, NFQD_PKT_OK, unit_fmt("%s: status", name));
	CHECK_INT_EQ(pi.reason, NFQD_PKT_R_NONE, unit_fmt("%s: reason", name));
	CHECK_INT_EQ(pi.family, family, unit_fmt("%s: family", name));
	CHECK_INT_EQ(pi.proto, proto, unit_fmt("%s: proto", name));
	CHECK_UINT_EQ(pi.flags, flags, unit_fmt("%s: flags", name));
	CHECK_UINT_EQ(pi.l4off, l4off, unit_fmt("%s: l4off", name));
	CHECK_UINT_EQ(pi.payoff, payoff, unit_fmt("%s: payoff", name));
	CHECK_UINT_EQ(pi.iplen, iplen, unit_fmt("%s: iplen", name));
	CHECK_UINT_EQ(pi.paylen, iplen - payoff, unit_fmt("%s: paylen", name));
}

static void
check_ports(const char *name, unsigned sport, unsigned dport)
{
	CHECK_UINT_EQ(pi.sport, sport, unit_fmt("%s: sport", name));
	CHECK_UINT_EQ(pi.dport, dport, unit_fmt("%s: dport", name));
}

/* The fields only an L4 header sets are all zero. */
static void
check_no_l4(const char *name)
{
	CHECK(pi.sport == 0 && pi.dport == 0, unit_fmt("%s: no ports", name));
	CHECK(pi.tcp_flags == 0, unit_fmt("%s: no tcp flags", name));
	CHECK(pi.icmp_type == 0 && pi.icmp_code == 0,
	    unit_fmt("%s: no icmp type", name));
}

static void
check_addr4(const char *name)
{
	CHECK(memcmp(pi.saddr, src4, 4) == 0 && zero(pi.saddr + 4, 12),
	    unit_fmt("%s: saddr", name));
	CHECK(memcmp(pi.daddr, dst4, 4) == 0 && zero(pi.daddr + 4, 12),
	    unit_fmt("%s: daddr", name));
}

static void
check_addr6(const char *name)
{
	CHECK(memcmp(pi.saddr, src6, 16) == 0, unit_fmt("%s: saddr", name));
	CHECK(memcmp(pi.daddr, dst6, 16) == 0, unit_fmt("%s: daddr", name));
}

#define KL3	(NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS)
#define KP	(KL3 | NFQD_PKT_K_PROTO)
#define KALL	NFQD_PKT_K_ALL
/* Every header field: a failure never claims the payload's (l7.h). */
#define KHDR	(NFQD_PKT_K_ALL & ~NFQD_PKT_K_L7)

/*
 * A failure: its status and reason, the fields it says it determined
 * (known) and found (flags), no offsets past the IP header, and every
 * transport field it did not find zero.
 */
static void
check_fail(const char *name, int ret, int status, int reason, unsigned known,
    unsigned flags)
{
	CHECK_INT_EQ(ret, status, unit_fmt("%s: return value", name));
	CHECK_INT_EQ(pi.status, status, unit_fmt("%s: status", name));
	CHECKF(pi.reason == reason, unit_fmt("%s: reason", name),
	    "got %u (%s), expected %d (%s)", pi.reason,
	    nfqd_pkt_reason_str(pi.reason), reason,
	    nfqd_pkt_reason_str((unsigned)reason));
	CHECK_UINT_EQ(pi.known, known & ~NFQD_PKT_K_L7,
	    unit_fmt("%s: known", name));
	CHECK_UINT_EQ(pi.flags, flags, unit_fmt("%s: flags", name));
	CHECK(pi.l4off == 0 && pi.payoff == 0 && pi.paylen == 0,
	    unit_fmt("%s: offsets zero", name));
	if (!(flags & NFQD_PKT_F_PORTS))
		CHECK(pi.sport == 0 && pi.dport == 0,
		    unit_fmt("%s: no ports", name));
	if (!(flags & NFQD_PKT_F_TCP))
		CHECK(pi.tcp_flags == 0, unit_fmt("%s: no tcp flags", name));
	if (!(flags & NFQD_PKT_F_ICMP))
		CHECK(pi.icmp_type == 0 && pi.icmp_code == 0,
		    unit_fmt("%s: no icmp type", name));
	if (!(known & NFQD_PKT_K_ADDRS))
		CHECK(zero(pi.saddr, 16) && zero(pi.daddr, 16),
		    unit_fmt("%s: no addresses", name));
	if (!(known & NFQD_PKT_K_PROTO))
		CHECK_INT_EQ(pi.proto, 0, unit_fmt("%s: no proto", name));
}

static void
test_ip4_tcp_syn(void)
{
	const char	*n = "ipv4 tcp syn";
	int		 r;

	ip4(5, 0x4000, IPPROTO_TCP);
	tcp(40000, 443, 5, 0x02);
	putn(0xee, 10);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET, IPPROTO_TCP, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP,
	    20, 40, 50);
	check_ports(n, 40000, 443);
	CHECK_UINT_EQ(pi.tcp_flags, 0x02, "ipv4 tcp syn: tcp_flags");
	CHECK_UINT_EQ(pi.paylen, 10, "ipv4 tcp syn: paylen 10");
	CHECK_UINT_EQ(pi.caplen, 50, "ipv4 tcp syn: caplen");
	CHECK_UINT_EQ(pi.len, 50, "ipv4 tcp syn: len");
	CHECK(pi.icmp_type == 0 && pi.icmp_code == 0,
	    "ipv4 tcp syn: no icmp type");
	check_addr4(n);

	/* origlen below caplen is taken as caplen. */
	r = parse(blen, 10);
	CHECK_INT_EQ(r, NFQD_PKT_OK, "ipv4 tcp syn, origlen < caplen: OK");
	CHECK_UINT_EQ(pi.len, 50, "ipv4 tcp syn, origlen < caplen: len");

	/* TCP options: payoff follows doff. */
	ip4(5, 0, IPPROTO_TCP);
	tcp(1, 2, 8, 0x12);
	putn(1, 12);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok("ipv4 tcp doff 8", r, AF_INET, IPPROTO_TCP,
	    NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP, 20, 52, 52);
	CHECK_UINT_EQ(pi.tcp_flags, 0x12, "ipv4 tcp doff 8: tcp_flags");
}

static void
test_ip4_udp_options(void)
{
	const char	*n = "ipv4 options udp";
	int		 r;

	ip4(7, 0, IPPROTO_UDP);
	udp(5353, 53, 8 + 12);
	putn(0x77, 12);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET, IPPROTO_UDP, NFQD_PKT_F_PORTS, 28, 36, 48);
	check_ports(n, 5353, 53);
	CHECK_UINT_EQ(pi.paylen, 12, "ipv4 options udp: paylen 12");
	CHECK_UINT_EQ(pi.tcp_flags, 0, "ipv4 options udp: no tcp flags");
	check_addr4(n);

	/*
	 * A UDP length shorter than the IP payload is allowed, and the
	 * payload ends where it says: the receiver trims the rest.
	 */
	set16(28 + 4, 10);
	r = parse(blen, blen);
	CHECK_INT_EQ(r, NFQD_PKT_OK, "ipv4 udp length below payload: OK");
	CHECK_UINT_EQ(pi.paylen, 2,
	    "ipv4 udp length 10 of 20: paylen 2, the bytes past it not read");
	CHECK_UINT_EQ(pi.iplen, 48, "ipv4 udp length 10 of 20: iplen stays");
	set16(28 + 4, 8);
	r = parse(blen, blen);
	CHECK_UINT_EQ(pi.paylen, 0, "ipv4 udp length 8 of 20: paylen 0");
	set16(28 + 4, 20);

	/* UDP-Lite: the field is a checksum coverage, even 0 or 7. */
	buf[9] = IPPROTO_UDPLITE;
	set16(28 + 4, 7);
	r = parse(blen, blen);
	check_ok("ipv4 udplite coverage 7", r, AF_INET, IPPROTO_UDPLITE,
	    NFQD_PKT_F_PORTS, 28, 36, 48);
	check_ports("ipv4 udplite coverage 7", 5353, 53);

	/* SCTP and DCCP: ports, no header length parsed. */
	buf[9] = IPPROTO_SCTP;
	r = parse(blen, blen);
	check_ok("ipv4 sctp", r, AF_INET, IPPROTO_SCTP, NFQD_PKT_F_PORTS,
	    28, 28, 48);
	check_ports("ipv4 sctp", 5353, 53);
	buf[9] = IPPROTO_DCCP;
	r = parse(blen, blen);
	check_ok("ipv4 dccp", r, AF_INET, IPPROTO_DCCP, NFQD_PKT_F_PORTS,
	    28, 28, 48);
	/* SCTP with 7 bytes of L4 is too short. */
	buf[9] = IPPROTO_SCTP;
	ip4_len(28 + 7);
	r = parse(blen, blen);
	check_fail("ipv4 sctp 7 bytes", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_L4_LEN, KALL, NFQD_PKT_F_PORTS);
}

static void
test_ip4_icmp(void)
{
	const char	*n = "ipv4 icmp echo";
	int		 r;

	ip4(5, 0, IPPROTO_ICMP);
	icmp(8, 0);
	putn(0x61, 32);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET, IPPROTO_ICMP, NFQD_PKT_F_ICMP, 20, 28, 60);
	CHECK_UINT_EQ(pi.icmp_type, 8, "ipv4 icmp echo: icmp_type");
	CHECK_UINT_EQ(pi.icmp_code, 0, "ipv4 icmp echo: icmp_code");
	CHECK(pi.sport == 0 && pi.dport == 0, "ipv4 icmp echo: no ports");

	/* 4 to 7 bytes of ICMP: payload after the checksum. */
	ip4(5, 0, IPPROTO_ICMP);
	put8(3);
	put8(4);
	put16(0);
	put16(1500);
	ip4_len(26);
	r = parse(blen, blen);
	check_ok("ipv4 icmp 6 bytes", r, AF_INET, IPPROTO_ICMP,
	    NFQD_PKT_F_ICMP, 20, 24, 26);
	CHECK_UINT_EQ(pi.icmp_type, 3, "ipv4 icmp 6 bytes: icmp_type");
	CHECK_UINT_EQ(pi.icmp_code, 4, "ipv4 icmp 6 bytes: icmp_code");

	ip4_len(23);
	r = parse(blen, blen);
	check_fail("ipv4 icmp 3 bytes", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_L4_LEN, KALL, NFQD_PKT_F_ICMP);
	check_addr4("ipv4 icmp 3 bytes");

	/* ICMPv6's number inside IPv4 is just a protocol. */
	ip4(5, 0, IPPROTO_ICMPV6);
	icmp(128, 0);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok("ipv4 proto 58", r, AF_INET, IPPROTO_ICMPV6, 0, 20, 20, 28);
	check_no_l4("ipv4 proto 58");
}

static void
test_ip4_fragments(void)
{
	const char	*n;
	int		 r;

	n = "ipv4 first fragment";
	ip4(5, 0x2000, IPPROTO_UDP);
	udp(1234, 53, 3000);		/* the whole datagram's length */
	putn(0, 1472);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET, IPPROTO_UDP, NFQD_PKT_F_FRAGMENT |
	    NFQD_PKT_F_FIRST_FRAG | NFQD_PKT_F_PORTS, 20, 28, 1500);
	check_ports(n, 1234, 53);

	n = "ipv4 first fragment tcp";
	ip4(5, 0x2000, IPPROTO_TCP);
	tcp(80, 50000, 5, 0x18);
	putn(0, 100);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET, IPPROTO_TCP, NFQD_PKT_F_FRAGMENT |
	    NFQD_PKT_F_FIRST_FRAG | NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP,
	    20, 40, 140);
	check_ports(n, 80, 50000);

	n = "ipv4 later fragment";
	ip4(5, 185, IPPROTO_UDP);
	putn(0x99, 100);		/* looks like nothing in particular */
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET, IPPROTO_UDP,
	    NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_LATER_FRAG, 20, 20, 120);
	check_no_l4(n);
	check_addr4(n);

	/* A later fragment shorter than any UDP header is still fine. */
	n = "ipv4 last fragment 3 bytes";
	ip4(5, 0x2000 | 185, IPPROTO_TCP);
	putn(0x99, 3);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET, IPPROTO_TCP,
	    NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_LATER_FRAG, 20, 20, 23);
	check_no_l4(n);

	/* DF alone is not a fragment. */
	ip4(5, 0x4000, IPPROTO_UDP);
	udp(1, 2, 8);
	ip4_len(blen);
	r = parse(blen, blen);
	check_ok("ipv4 df", r, AF_INET, IPPROTO_UDP, NFQD_PKT_F_PORTS, 20, 28,
	    28);
}

static void
test_ip4_lengths(void)
{
	const char	*n;
	int		 r;

	n = "ipv4 ethernet padding";
	ip4(5, 0, IPPROTO_TCP);
	tcp(22, 60000, 5, 0x10);
	ip4_len(blen);
	putn(0, 6);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET, IPPROTO_TCP, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP,
	    20, 40, 40);
	CHECK_UINT_EQ(pi.paylen, 0, "ipv4 ethernet padding: paylen 0");
	CHECK_UINT_EQ(pi.caplen, 46, "ipv4 ethernet padding: caplen");
	CHECK_UINT_EQ(pi.len, 46, "ipv4 ethernet padding: len");

	ip4(5, 0, IPPROTO_TCP);
	tcp(22, 60000, 5, 0x10);
	ip4_len(blen + 1);
	r = parse(blen, blen);
	check_fail("ipv4 tot_len > origlen", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_IP_LEN, KP, 0);
	check_addr4("ipv4 tot_len > origlen");
	CHECK_INT_EQ(pi.family, AF_INET, "ipv4 tot_len > origlen: family");
	CHECK_INT_EQ(pi.proto, IPPROTO_TCP, "ipv4 tot_len > origlen: proto");

	ip4(6, 0, IPPROTO_UDP);
	udp(1, 2, 8);
	ip4_len(20);
	r = parse(blen, blen);
	check_fail("ipv4 tot_len < ihl*4", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_IP_LEN, KP, 0);

	/* tot_len 0 is only a GSO packet when the packet is over 64 KiB. */
	ip4_len(0);
	r = parse(blen, blen);
	check_fail("ipv4 tot_len 0 small", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_IP_LEN, KP, 0);

	ip4(4, 0, IPPROTO_UDP);
	putn(0, 8);
	ip4_len(blen);
	r = parse(blen, blen);
	check_fail("ipv4 ihl 4", r, NFQD_PKT_MALFORMED, NFQD_PKT_R_IHL, KP, 0);

	/* A headers-only capture of a packet with a 60-byte header. */
	ip4(15, 0, IPPROTO_TCP);
	tcp(1, 2, 5, 0);
	ip4_len(blen);
	r = parse(20, blen);
	check_fail("ipv4 ihl 15 caplen 20", r, NFQD_PKT_TRUNCATED,
	    NFQD_PKT_R_L3_SHORT, KP, 0);
	CHECK_INT_EQ(pi.family, AF_INET, "ipv4 ihl 15 caplen 20: family");
	check_addr4("ipv4 ihl 15 caplen 20");

	/* ... but a whole packet that short contradicts its IHL. */
	r = parse(20, 20);
	check_fail("ipv4 ihl 15 in 20 bytes", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_IP_LEN, KP, 0);

	ip4(5, 0, IPPROTO_TCP);
	buf[0] = 0x55;
	tcp(1, 2, 5, 0);
	ip4_len(blen);
	r = parse(blen, blen);
	check_fail("version 5", r, NFQD_PKT_MALFORMED, NFQD_PKT_R_VERSION, 0, 0);
	CHECK_INT_EQ(pi.family, 0, "version 5: family 0");
	CHECK(zero(pi.saddr, 16) && zero(pi.daddr, 16),
	    "version 5: no addresses");
	CHECK_INT_EQ(pi.proto, 0, "version 5: proto 0");

	r = parse(0, 0);
	check_fail("empty", r, NFQD_PKT_MALFORMED, NFQD_PKT_R_EMPTY, 0, 0);
	CHECK_INT_EQ(pi.family, 0, "empty: family 0");
	r = parse(0, 1500);
	check_fail("empty, origlen 1500", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_EMPTY, 0, 0);
	CHECK_UINT_EQ(pi.len, 1500, "empty, origlen 1500: len");

	ip4(5, 0, IPPROTO_TCP);
	r = parse(19, 1500);
	check_fail("ipv4 19 bytes", r, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L3_SHORT, NFQD_PKT_K_FAMILY, 0);
	CHECK_INT_EQ(pi.family, AF_INET, "ipv4 19 bytes: family");
	CHECK(zero(pi.saddr, 16), "ipv4 19 bytes: no saddr");
}

static void
test_ip4_l4_errors(void)
{
	const char	*n;
	int		 r;

	n = "ipv4 capture ends in tcp";
	ip4(5, 0, IPPROTO_TCP);
	tcp(1000, 80, 5, 0x02);
	putn(0x55, 1000);
	ip4_len(blen);
	r = parse(32, blen);
	check_fail(n, r, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L4_SHORT,
	    KP | NFQD_PKT_K_PORTS | NFQD_PKT_K_ICMP, NFQD_PKT_F_PORTS);
	check_ports(n, 1000, 80);
	CHECK_INT_EQ(pi.family, AF_INET, "ipv4 capture ends in tcp: family");
	CHECK_INT_EQ(pi.proto, IPPROTO_TCP, "ipv4 capture ends in tcp: proto");
	check_addr4(n);
	CHECK_UINT_EQ(pi.caplen, 32, "ipv4 capture ends in tcp: caplen");
	CHECK_UINT_EQ(pi.len, 1040, "ipv4 capture ends in tcp: len");

	/* Options beyond a headers-only capture are fine. */
	n = "ipv4 tcp options not captured";
	ip4(5, 0, IPPROTO_TCP);
	tcp(1000, 80, 10, 0x02);
	putn(1, 20);
	ip4_len(blen);
	r = parse(40, blen);
	check_ok(n, r, AF_INET, IPPROTO_TCP, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP,
	    20, 60, 60);
	check_ports(n, 1000, 80);

	ip4(5, 0, IPPROTO_TCP);
	tcp(1, 2, 4, 0x02);
	ip4_len(blen);
	r = parse(blen, blen);
	check_fail("ipv4 tcp doff 4", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_TCP_DOFF, KALL, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP);
	CHECK_INT_EQ(pi.proto, IPPROTO_TCP, "ipv4 tcp doff 4: proto");

	ip4(5, 0, IPPROTO_TCP);
	tcp(1, 2, 15, 0x02);
	putn(1, 20);
	ip4_len(blen);
	r = parse(blen, blen);
	check_fail("ipv4 tcp doff 15 past iplen", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_L4_LEN, KALL, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP);

	ip4(5, 0, IPPROTO_TCP);
	tcp(1, 2, 5, 0x02);
	ip4_len(39);
	r = parse(blen, blen);
	check_fail("ipv4 tcp header past tot_len", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_L4_LEN, KALL, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP);

	ip4(5, 0, IPPROTO_UDP);
	udp(1, 2, 7);
	putn(0, 4);
	ip4_len(blen);
	r = parse(blen, blen);
	check_fail("ipv4 udp length 7", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_UDP_LEN, KALL, NFQD_PKT_F_PORTS);

	ip4(5, 0, IPPROTO_UDP);
	udp(1, 2, 13);
	putn(0, 4);
	ip4_len(blen);
	r = parse(blen, blen);
	check_fail("ipv4 udp length > payload", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_UDP_LEN, KALL, NFQD_PKT_F_PORTS);

	ip4(5, 0, IPPROTO_UDP);
	udp(1, 2, 0);
	ip4_len(blen);
	r = parse(blen, blen);
	check_fail("ipv4 udp length 0", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_UDP_LEN, KALL, NFQD_PKT_F_PORTS);

	ip4(5, 0, IPPROTO_UDP);
	udp(1, 2, 8);
	ip4_len(blen);
	r = parse(24, blen);
	check_fail("ipv4 capture ends in udp", r, NFQD_PKT_TRUNCATED,
	    NFQD_PKT_R_L4_SHORT, KALL, NFQD_PKT_F_PORTS);
}

static void
test_ip4_gso(void)
{
	const char	*n = "ipv4 gso tot_len 0";
	int		 r;

	ip4(5, 0x4000, IPPROTO_TCP);
	tcp(443, 50000, 8, 0x10);
	putn(1, 12);
	r = parse(blen, 70000);
	check_ok(n, r, AF_INET, IPPROTO_TCP, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP,
	    20, 52, 70000);
	CHECK_UINT_EQ(pi.paylen, 70000 - 52, "ipv4 gso tot_len 0: paylen");
	CHECK_UINT_EQ(pi.len, 70000, "ipv4 gso tot_len 0: len");
	CHECK_UINT_EQ(pi.caplen, 52, "ipv4 gso tot_len 0: caplen");

	r = parse(blen, 65535);
	check_fail("ipv4 tot_len 0 origlen 65535", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_IP_LEN, KP, 0);

	/* A UDP GSO super-packet: UDP length 0 too. */
	n = "ipv4 gso udp length 0";
	ip4(5, 0, IPPROTO_UDP);
	udp(4433, 443, 0);
	r = parse(blen, 70000);
	check_ok(n, r, AF_INET, IPPROTO_UDP, NFQD_PKT_F_PORTS, 20, 28, 70000);
}

static void
test_ip6_basic(void)
{
	const char	*n;
	int		 r;

	n = "ipv6 udp";
	ip6(IPPROTO_UDP);
	udp(546, 547, 8 + 20);
	putn(0, 20);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_UDP, NFQD_PKT_F_PORTS, 40, 48, 68);
	check_ports(n, 546, 547);
	CHECK_UINT_EQ(pi.paylen, 20, "ipv6 udp: paylen 20");
	check_addr6(n);

	n = "ipv6 icmpv6 echo";
	ip6(IPPROTO_ICMPV6);
	icmp(128, 0);
	putn(0x61, 56);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_ICMPV6, NFQD_PKT_F_ICMP, 40, 48, 104);
	CHECK_UINT_EQ(pi.icmp_type, 128, "ipv6 icmpv6 echo: icmp_type");
	CHECK_UINT_EQ(pi.icmp_code, 0, "ipv6 icmpv6 echo: icmp_code");
	CHECK(pi.sport == 0 && pi.dport == 0, "ipv6 icmpv6 echo: no ports");

	n = "ipv6 proto 1";
	ip6(IPPROTO_ICMP);
	icmp(8, 0);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_ICMP, 0, 40, 40, 48);
	check_no_l4(n);

	n = "ipv6 esp";
	ip6(IPPROTO_ESP);
	put16(0x1234);		/* SPI, which is not a pair of ports */
	put16(0x5678);
	putn(0, 40);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_ESP, 0, 40, 40, 84);
	check_no_l4(n);

	n = "ipv6 no next header";
	ip6(59);
	ip6_len(0);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, 59, 0, 40, 40, 40);
	CHECK_UINT_EQ(pi.paylen, 0, "ipv6 no next header: paylen 0");

	n = "ipv6 no next header after dstopts";
	ip6(IPPROTO_DSTOPTS);
	ext6(59, 0);
	putn(0xcc, 8);		/* ignored after no next header */
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, 59, 0, 48, 48, 56);

	n = "ipv6 jumbo";
	ip6(IPPROTO_HOPOPTS);
	ext6(IPPROTO_TCP, 0);
	buf[42] = 0xc2;		/* jumbo payload option */
	buf[43] = 4;
	tcp(443, 40000, 5, 0x10);
	r = parse(blen, 100000);
	check_ok(n, r, AF_INET6, IPPROTO_TCP, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP,
	    48, 68, 100000);
	CHECK_UINT_EQ(pi.paylen, 100000 - 68, "ipv6 jumbo: paylen");

	n = "ipv6 jumbo udp length 0";
	ip6(IPPROTO_UDP);
	udp(1, 2, 0);
	r = parse(blen, 100000);
	check_ok(n, r, AF_INET6, IPPROTO_UDP, NFQD_PKT_F_PORTS, 40, 48, 100000);

	ip6(IPPROTO_UDP);
	udp(1, 2, 8);
	ip6_len(9);
	r = parse(blen, blen);
	check_fail("ipv6 payload_len + 40 > origlen", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_IP_LEN, KL3, 0);
	CHECK_INT_EQ(pi.family, AF_INET6,
	    "ipv6 payload_len + 40 > origlen: family");
	check_addr6("ipv6 payload_len + 40 > origlen");
	CHECK_INT_EQ(pi.proto, 0, "ipv6 payload_len + 40 > origlen: proto 0");

	/*
	 * payload_len 0 is a jumbogram or GSO packet only over 64 KiB of
	 * payload; shorter, the kernel's input keeps the 40 bytes, and so
	 * the UDP header is not part of the datagram.
	 */
	ip6(IPPROTO_UDP);
	udp(1, 2, 8);
	ip6_len(0);
	r = parse(blen, blen);
	check_fail("ipv6 payload_len 0 small", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_L4_LEN, KP | NFQD_PKT_K_TCPFLAGS | NFQD_PKT_K_ICMP, 0);
	r = parse(blen, 40 + 65535);
	check_fail("ipv6 payload_len 0, origlen 40 + 65535", r,
	    NFQD_PKT_MALFORMED, NFQD_PKT_R_L4_LEN,
	    KP | NFQD_PKT_K_TCPFLAGS | NFQD_PKT_K_ICMP, 0);

	/* payload_len 0 on a packet of just the header: no payload. */
	ip6(IPPROTO_TCP);
	r = parse(blen, blen);
	check_fail("ipv6 tcp, payload_len 0, 40 bytes", r, NFQD_PKT_MALFORMED,
	    NFQD_PKT_R_L4_LEN, KP | NFQD_PKT_K_ICMP, 0);

	ip6(IPPROTO_UDP);
	r = parse(39, 100);
	check_fail("ipv6 39 bytes", r, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L3_SHORT, NFQD_PKT_K_FAMILY, 0);
	CHECK_INT_EQ(pi.family, AF_INET6, "ipv6 39 bytes: family");
}

static void
test_ip6_ext(void)
{
	const char	*n;
	int		 r, i;

	n = "ipv6 hbh routing dstopts tcp";
	ip6(IPPROTO_HOPOPTS);
	ext6(IPPROTO_ROUTING, 0);
	ext6(IPPROTO_DSTOPTS, 2);
	ext6(IPPROTO_TCP, 1);
	tcp(50000, 22, 5, 0x18);
	putn(0x42, 7);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_TCP, NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP,
	    88, 108, 115);
	check_ports(n, 50000, 22);
	CHECK_UINT_EQ(pi.tcp_flags, 0x18, "ipv6 hbh routing dstopts tcp: "
	    "tcp_flags");
	CHECK_UINT_EQ(pi.paylen, 7, "ipv6 hbh routing dstopts tcp: paylen 7");
	check_addr6(n);

	n = "ipv6 first fragment tcp";
	ip6(IPPROTO_FRAGMENT);
	frag6(IPPROTO_TCP, 0, 1);
	tcp(443, 33333, 5, 0x10);
	putn(0, 100);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_TCP, NFQD_PKT_F_FRAGMENT |
	    NFQD_PKT_F_FIRST_FRAG | NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP,
	    48, 68, 168);
	check_ports(n, 443, 33333);

	n = "ipv6 hbh first fragment udp";
	ip6(IPPROTO_HOPOPTS);
	ext6(IPPROTO_FRAGMENT, 0);
	frag6(IPPROTO_UDP, 0, 1);
	udp(53, 1234, 4000);
	putn(0, 64);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_UDP, NFQD_PKT_F_FRAGMENT |
	    NFQD_PKT_F_FIRST_FRAG | NFQD_PKT_F_PORTS, 56, 64, 128);
	check_ports(n, 53, 1234);

	n = "ipv6 atomic fragment";
	ip6(IPPROTO_FRAGMENT);
	frag6(IPPROTO_UDP, 0, 0);
	udp(53, 1234, 8);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_UDP, NFQD_PKT_F_PORTS, 48, 56, 56);

	n = "ipv6 later fragment";
	ip6(IPPROTO_FRAGMENT);
	frag6(IPPROTO_TCP, 185, 1);
	putn(0x99, 64);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_TCP,
	    NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_LATER_FRAG, 48, 48, 112);
	check_no_l4(n);

	n = "ipv6 ah udp";
	ip6(IPPROTO_AH);
	ah6(IPPROTO_UDP, 4);		/* (4 + 2) * 4 = 24 bytes */
	udp(500, 4500, 8 + 4);
	putn(0, 4);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_UDP, NFQD_PKT_F_PORTS, 64, 72, 76);
	check_ports(n, 500, 4500);

	n = "ipv6 mobility hip shim6 sctp";
	ip6(IPPROTO_MH);
	ext6(139, 0);
	ext6(140, 1);
	ext6(IPPROTO_SCTP, 0);
	udp(5000, 5001, 0x1111);	/* SCTP's first 8 bytes look alike */
	putn(0, 4);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_SCTP, NFQD_PKT_F_PORTS, 72, 72, 84);
	check_ports(n, 5000, 5001);

	n = "ipv6 16 dstopts";
	ip6(IPPROTO_DSTOPTS);
	for (i = 0; i < 15; i++)
		ext6(IPPROTO_DSTOPTS, 0);
	ext6(IPPROTO_UDP, 0);
	udp(1, 2, 8);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_UDP, NFQD_PKT_F_PORTS, 168, 176, 176);

	n = "ipv6 64 dstopts";
	ip6(IPPROTO_DSTOPTS);
	for (i = 0; i < NFQD_PKT_MAX_EXT - 1; i++)
		ext6(IPPROTO_DSTOPTS, 0);
	ext6(IPPROTO_UDP, 0);
	udp(1, 2, 8);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_ok(n, r, AF_INET6, IPPROTO_UDP, NFQD_PKT_F_PORTS, 40 + 64 * 8,
	    40 + 64 * 8 + 8, 40 + 64 * 8 + 8);

	n = "ipv6 65 dstopts";
	ip6(IPPROTO_DSTOPTS);
	for (i = 0; i < NFQD_PKT_MAX_EXT; i++)
		ext6(IPPROTO_DSTOPTS, 0);
	ext6(IPPROTO_UDP, 0);
	udp(1, 2, 8);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_fail(n, r, NFQD_PKT_HEADER_CHAIN, NFQD_PKT_R_EXT_COUNT, KL3, 0);
	check_addr6(n);

	/* 2 bytes of routing header claiming 8 + 255 * 8 bytes. */
	n = "ipv6 ext length past iplen";
	ip6(IPPROTO_ROUTING);
	ext6(IPPROTO_TCP, 0);
	buf[41] = 255;
	tcp(1, 2, 5, 0x02);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_fail(n, r, NFQD_PKT_MALFORMED, NFQD_PKT_R_EXT_LEN, KL3, 0);

	/*
	 * The same claim in a packet cut after 68 bytes: it may be true.  The
	 * walk needs no more than the routing header's first two bytes; the
	 * TCP header it names is past the capture.
	 */
	n = "ipv6 ext past capture";
	ip6_len(8 + 255 * 8 + 20);
	r = parse(blen, 40 + 8 + 255 * 8 + 20);
	check_fail(n, r, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L4_SHORT,
	    KP | NFQD_PKT_K_ICMP, 0);
	CHECK_INT_EQ(pi.proto, IPPROTO_TCP, "ipv6 ext past capture: proto");
	CHECK_INT_EQ(pi.family, AF_INET6, "ipv6 ext past capture: family");
	check_addr6(n);

	n = "ipv6 ext length byte not captured";
	ip6(IPPROTO_HOPOPTS);
	ext6(IPPROTO_TCP, 0);
	tcp(1, 2, 5, 0x02);
	ip6_len(blen - 40);
	r = parse(41, blen);
	check_fail(n, r, NFQD_PKT_TRUNCATED, NFQD_PKT_R_EXT_SHORT, KL3, 0);

	n = "ipv6 ext header at iplen";
	ip6(IPPROTO_DSTOPTS);
	ip6_len(1);
	put8(IPPROTO_UDP);
	put8(0);
	r = parse(blen, blen);
	check_fail(n, r, NFQD_PKT_MALFORMED, NFQD_PKT_R_EXT_LEN, KL3, 0);

	n = "ipv6 fragment header past iplen";
	ip6(IPPROTO_FRAGMENT);
	frag6(IPPROTO_UDP, 0, 1);
	ip6_len(7);
	r = parse(blen, blen);
	check_fail(n, r, NFQD_PKT_MALFORMED, NFQD_PKT_R_EXT_LEN, KL3, 0);

	n = "ipv6 capture ends in tcp after ext";
	ip6(IPPROTO_HOPOPTS);
	ext6(IPPROTO_TCP, 0);
	tcp(1, 2, 5, 0x02);
	ip6_len(blen - 40);
	r = parse(60, blen);
	check_fail(n, r, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L4_SHORT,
	    KP | NFQD_PKT_K_PORTS | NFQD_PKT_K_ICMP, NFQD_PKT_F_PORTS);
	check_ports(n, 1, 2);
	CHECK_INT_EQ(pi.proto, IPPROTO_TCP,
	    "ipv6 capture ends in tcp after ext: proto");
}

static void
test_reason_str(void)
{
	unsigned	i, j;
	int		distinct = 1, known = 1;

	for (i = 0; i < NFQD_PKT_R_MAX; i++) {
		if (strcmp(nfqd_pkt_reason_str(i), "unknown") == 0)
			known = 0;
		for (j = 0; j < i; j++)
			if (strcmp(nfqd_pkt_reason_str(i),
			    nfqd_pkt_reason_str(j)) == 0)
				distinct = 0;
	}
	CHECK(known, "reason_str: every reason has a phrase");
	CHECK(distinct, "reason_str: phrases distinct");
	CHECK_STR_EQ(nfqd_pkt_reason_str(NFQD_PKT_R_IHL),
	    "IPv4 header length below 5", "reason_str: IHL");
	CHECK_STR_EQ(nfqd_pkt_reason_str(NFQD_PKT_R_MAX), "unknown",
	    "reason_str: R_MAX");
	CHECK_STR_EQ(nfqd_pkt_reason_str(1000), "unknown", "reason_str: 1000");
}

/*
 * Every prefix of the packet in buf, each in a buffer of exactly its size,
 * with origlen the whole length: below need bytes TRUNCATED, from need on
 * OK with the same fields as the whole packet but caplen.
 */
static void
check_prefixes(const char *name, uint32_t need)
{
	struct nfqd_pkt	 full, want;
	uint32_t		 len = blen, c, bad_trunc = 0, bad_ok = 0;
	uint32_t		 bad_l4 = 0, bad_known = 0;
	unsigned		 bad_status = 0, bad_reason = 0;
	int			 trunc_ok = 1, ok_ok = 1, l4_ok = 1, known_ok = 1;
	uint8_t			*p;

	if (parse(len, len) != NFQD_PKT_OK) {
		CHECK(0, unit_fmt("%s: whole packet parses", name));
		return;
	}
	full = pi;
	for (c = 0; c < len; c++) {
		if ((p = malloc(c > 0 ? c : 1)) == NULL)
			abort();
		memcpy(p, buf, c);
		memset(&pi, 0xa5, sizeof(pi));
		nfqd_pkt_parse(p, c, len, &pi);
		free(p);
		/* What a prefix says it read is what the whole packet has. */
		if (known_ok && ((pi.known & ~full.known) ||
		    pi.family != ((pi.known & NFQD_PKT_K_FAMILY) ?
		    full.family : 0) ||
		    ((pi.known & NFQD_PKT_K_ADDRS) &&
		    (memcmp(pi.saddr, full.saddr, 16) != 0 ||
		    memcmp(pi.daddr, full.daddr, 16) != 0)) ||
		    ((pi.known & NFQD_PKT_K_PROTO) && pi.proto != full.proto) ||
		    ((pi.known & NFQD_PKT_K_PORTS) &&
		    (((pi.flags ^ full.flags) & NFQD_PKT_F_PORTS) ||
		    pi.sport != full.sport || pi.dport != full.dport)) ||
		    ((pi.known & NFQD_PKT_K_TCPFLAGS) &&
		    (((pi.flags ^ full.flags) & NFQD_PKT_F_TCP) ||
		    pi.tcp_flags != full.tcp_flags)) ||
		    ((pi.known & NFQD_PKT_K_ICMP) &&
		    (((pi.flags ^ full.flags) & NFQD_PKT_F_ICMP) ||
		    pi.icmp_type != full.icmp_type ||
		    pi.icmp_code != full.icmp_code)))) {
			known_ok = 0;
			bad_known = c;
		}
		if (c < need) {
			if (trunc_ok && (c == 0 ? pi.status !=
			    NFQD_PKT_MALFORMED : pi.status !=
			    NFQD_PKT_TRUNCATED)) {
				trunc_ok = 0;
				bad_trunc = c;
				bad_status = pi.status;
				bad_reason = pi.reason;
			}
		} else {
			want = full;
			want.caplen = c;
			if (ok_ok && memcmp(&pi, &want, sizeof(pi)) != 0) {
				ok_ok = 0;
				bad_ok = c;
			}
		}
		/* Flags never claim fields that were not captured. */
		if (l4_ok && pi.status == NFQD_PKT_OK &&
		    (((pi.flags & NFQD_PKT_F_PORTS) && pi.l4off + 8 > c) ||
		    ((pi.flags & NFQD_PKT_F_TCP) && pi.l4off + 20 > c) ||
		    ((pi.flags & NFQD_PKT_F_ICMP) && pi.l4off + 4 > c))) {
			l4_ok = 0;
			bad_l4 = c;
		}
	}
	CHECKF(trunc_ok, unit_fmt("%s: prefixes below %u truncated", name,
	    need), "caplen %u: status %u reason %u", bad_trunc, bad_status,
	    bad_reason);
	CHECKF(ok_ok, unit_fmt("%s: prefixes from %u parse as whole", name,
	    need), "caplen %u differs", bad_ok);
	CHECKF(l4_ok, unit_fmt("%s: no L4 flags without the L4 header", name),
	    "caplen %u", bad_l4);
	CHECKF(known_ok, unit_fmt("%s: what a prefix read is the whole "
	    "packet's", name), "caplen %u", bad_known);
}

static void
test_prefixes(void)
{
	int	i;

	ip4(7, 0, IPPROTO_TCP);
	tcp(40000, 443, 7, 0x02);
	putn(1, 8);
	putn(0xee, 9);
	ip4_len(blen);
	check_prefixes("prefixes ipv4 options tcp", 48);

	ip4(5, 0x2000, IPPROTO_UDP);
	udp(1, 2, 500);
	putn(0, 5);
	ip4_len(blen);
	check_prefixes("prefixes ipv4 first fragment udp", 28);

	ip4(5, 0, IPPROTO_ICMP);
	icmp(0, 0);
	putn(0x61, 4);
	ip4_len(blen);
	check_prefixes("prefixes ipv4 icmp", 24);

	ip4(5, 100, IPPROTO_TCP);
	putn(0, 8);
	ip4_len(blen);
	check_prefixes("prefixes ipv4 later fragment", 20);

	ip6(IPPROTO_HOPOPTS);
	ext6(IPPROTO_ROUTING, 1);
	ext6(IPPROTO_FRAGMENT, 0);
	frag6(IPPROTO_AH, 0, 1);
	ah6(IPPROTO_DSTOPTS, 1);
	ext6(IPPROTO_TCP, 0);
	tcp(1234, 80, 6, 0x11);
	putn(1, 4);
	putn(0x33, 3);
	ip6_len(blen - 40);
	check_prefixes("prefixes ipv6 ext tcp", 40 + 16 + 8 + 8 + 12 + 8 + 20);

	ip6(IPPROTO_DSTOPTS);
	for (i = 0; i < 15; i++)
		ext6(IPPROTO_DSTOPTS, 0);
	ext6(IPPROTO_UDP, 0);
	udp(1, 2, 9);
	put8(0);
	ip6_len(blen - 40);
	check_prefixes("prefixes ipv6 16 ext udp", 40 + 16 * 8 + 8);

	ip6(IPPROTO_ICMPV6);
	icmp(129, 0);
	ip6_len(blen - 40);
	check_prefixes("prefixes ipv6 icmpv6", 44);

	ip6(IPPROTO_FRAGMENT);
	frag6(IPPROTO_UDP, 1, 0);
	putn(0, 3);
	ip6_len(blen - 40);
	check_prefixes("prefixes ipv6 later fragment", 44);
}

/*
 * First fragments that end inside the transport header (RFC 1858, 3128)
 * or inside the IPv6 header chain (RFC 7112): TINY_FRAGMENT, with every
 * field the fragment does hold.  A datagram that is not a fragment and
 * ends there is MALFORMED.
 */
static void
test_tiny_fragments(void)
{
	static const struct {
		unsigned	proto;
		unsigned	bytes;		/* of L4 in the fragment */
		unsigned	doff;		/* TCP header words */
		int		status;
		unsigned	known;
		unsigned	flags;		/* beyond FRAGMENT, FIRST_FRAG */
	} t[] = {
		{ IPPROTO_TCP, 0, 5, NFQD_PKT_TINY_FRAGMENT,
		    KP | NFQD_PKT_K_ICMP, 0 },
		{ IPPROTO_TCP, 8, 5, NFQD_PKT_TINY_FRAGMENT,
		    KP | NFQD_PKT_K_PORTS | NFQD_PKT_K_ICMP, NFQD_PKT_F_PORTS },
		{ IPPROTO_TCP, 16, 5, NFQD_PKT_TINY_FRAGMENT, KALL,
		    NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP },
		{ IPPROTO_TCP, 24, 5, NFQD_PKT_OK, KALL,
		    NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP },
		{ IPPROTO_TCP, 24, 15, NFQD_PKT_TINY_FRAGMENT, KALL,
		    NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP },
		{ IPPROTO_UDP, 0, 0, NFQD_PKT_TINY_FRAGMENT,
		    KP | NFQD_PKT_K_TCPFLAGS | NFQD_PKT_K_ICMP, 0 },
		{ IPPROTO_UDP, 8, 0, NFQD_PKT_OK, KALL, NFQD_PKT_F_PORTS },
		{ IPPROTO_ICMP, 0, 0, NFQD_PKT_TINY_FRAGMENT,
		    KP | NFQD_PKT_K_PORTS | NFQD_PKT_K_TCPFLAGS, 0 },
		{ IPPROTO_ICMP, 8, 0, NFQD_PKT_OK, KALL, NFQD_PKT_F_ICMP },
	};
	const char	*n;
	size_t		 i;
	unsigned	 fl;
	int		 r, v6;

	for (v6 = 0; v6 <= 1; v6++)
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned proto = t[i].proto;

		if (v6 && proto == IPPROTO_ICMP)
			proto = IPPROTO_ICMPV6;
		n = unit_fmt("%s first fragment proto %u, %u bytes of L4, "
		    "doff %u", v6 ? "ipv6" : "ipv4", proto, t[i].bytes,
		    t[i].doff);
		if (v6) {
			ip6(IPPROTO_FRAGMENT);
			frag6(proto, 0, 1);
		} else {
			ip4(5, 0x2000, proto);
		}
		if (proto == IPPROTO_TCP)
			tcp(1000, 2323, t[i].doff, 0x02);
		else if (proto == IPPROTO_UDP)
			udp(1000, 7777, 100);
		else
			icmp(8, 0);
		blen = (v6 ? 48 : 20) + t[i].bytes;
		if (v6)
			ip6_len(blen - 40);
		else
			ip4_len(blen);
		r = parse(blen, blen);
		fl = NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_FIRST_FRAG | t[i].flags;
		if (t[i].status == NFQD_PKT_OK) {
			CHECK_INT_EQ(r, NFQD_PKT_OK, unit_fmt("%s: OK", n));
			CHECK_UINT_EQ(pi.flags, fl, unit_fmt("%s: flags", n));
			continue;
		}
		check_fail(n, r, t[i].status, NFQD_PKT_R_FRAG_L4, t[i].known,
		    fl);
		if (t[i].flags & NFQD_PKT_F_PORTS)
			check_ports(n, 1000, proto == IPPROTO_TCP ? 2323 : 7777);
		if (t[i].flags & NFQD_PKT_F_TCP)
			CHECK_UINT_EQ(pi.tcp_flags, 0x02, unit_fmt("%s: tcp "
			    "flags", n));

		/* The same bytes in a datagram that is not a fragment. */
		if (v6)
			buf[40 + 3] = 0;	/* an atomic fragment: M = 0 */
		else
			buf[6] = 0;
		r = parse(blen, blen);
		check_fail(unit_fmt("%s, not a fragment", n), r,
		    NFQD_PKT_MALFORMED, NFQD_PKT_R_L4_LEN, t[i].known,
		    t[i].flags);
	}

	/* IPv6: the chain goes on in the next fragment. */
	n = "ipv6 first fragment ends inside a dstopts header";
	ip6(IPPROTO_FRAGMENT);
	frag6(IPPROTO_DSTOPTS, 0, 1);
	ext6(IPPROTO_TCP, 3);		/* 32 bytes, 8 of them in the fragment */
	blen = 40 + 8 + 8;
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_fail(n, r, NFQD_PKT_TINY_FRAGMENT, NFQD_PKT_R_FRAG_EXT, KL3,
	    NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_FIRST_FRAG);
	check_addr6(n);

	n = "ipv6 first fragment ends before a dstopts header";
	ip6(IPPROTO_FRAGMENT);
	frag6(IPPROTO_DSTOPTS, 0, 1);
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_fail(n, r, NFQD_PKT_TINY_FRAGMENT, NFQD_PKT_R_FRAG_EXT, KL3,
	    NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_FIRST_FRAG);

	/* Before the fragment header, the same is simply malformed. */
	n = "ipv6 dstopts past iplen before a fragment header";
	ip6(IPPROTO_DSTOPTS);
	ext6(IPPROTO_FRAGMENT, 3);
	blen = 40 + 8;
	ip6_len(blen - 40);
	r = parse(blen, blen);
	check_fail(n, r, NFQD_PKT_MALFORMED, NFQD_PKT_R_EXT_LEN, KL3, 0);

	/* The walk needs the first two bytes of a header, not its body. */
	n = "ipv6 dstopts body not captured";
	ip6(IPPROTO_DSTOPTS);
	ext6(IPPROTO_UDP, 1);
	udp(1, 7777, 8);
	ip6_len(blen - 40);
	r = parse(42, blen);
	check_fail(n, r, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L4_SHORT,
	    KP | NFQD_PKT_K_TCPFLAGS | NFQD_PKT_K_ICMP, 0);
	CHECK_INT_EQ(pi.proto, IPPROTO_UDP, "ipv6 dstopts body not captured: "
	    "proto read");
}

/*
 * UDP length 0.  Linux's __udp6_lib_rcv() takes it for the rest of the
 * datagram at any size (not only a jumbogram's), so over IPv6 it is a
 * datagram a socket reads; __udp4_lib_rcv() drops a length below 8.
 * UDP-Lite's field is its checksum coverage, where 0 is the whole.
 */
static void
test_udp_len0(void)
{
	static const struct {
		const char	*name;
		int		 v6;
		int		 frag;		/* first of several fragments */
		unsigned	 proto;
		unsigned	 ulen;
		unsigned	 pay;		/* payload bytes */
		int		 status;
		unsigned	 flags;
	} rows[] = {
		{ "ipv6 udp length 0, 32 bytes", 1, 0, IPPROTO_UDP, 0, 32,
		    NFQD_PKT_OK, NFQD_PKT_F_PORTS },
		{ "ipv6 udp length 0, no payload", 1, 0, IPPROTO_UDP, 0, 0,
		    NFQD_PKT_OK, NFQD_PKT_F_PORTS },
		{ "ipv6 udp length 0, 60000 bytes", 1, 0, IPPROTO_UDP, 0,
		    60000, NFQD_PKT_OK, NFQD_PKT_F_PORTS },
		{ "ipv6 udp length 0, first fragment", 1, 1, IPPROTO_UDP, 0,
		    32, NFQD_PKT_OK, NFQD_PKT_F_PORTS | NFQD_PKT_F_FRAGMENT |
		    NFQD_PKT_F_FIRST_FRAG },
		{ "ipv6 udplite coverage 0", 1, 0, IPPROTO_UDPLITE, 0, 32,
		    NFQD_PKT_OK, NFQD_PKT_F_PORTS },
		{ "ipv6 udp length 40 of 40", 1, 0, IPPROTO_UDP, 40, 32,
		    NFQD_PKT_OK, NFQD_PKT_F_PORTS },
		{ "ipv6 udp length 7", 1, 0, IPPROTO_UDP, 7, 32,
		    NFQD_PKT_MALFORMED, NFQD_PKT_F_PORTS },
		{ "ipv4 udp length 0, 32 bytes", 0, 0, IPPROTO_UDP, 0, 32,
		    NFQD_PKT_MALFORMED, NFQD_PKT_F_PORTS },
		{ "ipv4 udp length 0, first fragment", 0, 1, IPPROTO_UDP, 0,
		    32, NFQD_PKT_MALFORMED, NFQD_PKT_F_PORTS |
		    NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_FIRST_FRAG },
		{ "ipv4 udplite coverage 0", 0, 0, IPPROTO_UDPLITE, 0, 32,
		    NFQD_PKT_OK, NFQD_PKT_F_PORTS },
	};
	uint32_t	l4off, iplen;
	size_t		i;
	int		r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].v6 && rows[i].frag) {
			ip6(IPPROTO_FRAGMENT);
			frag6(rows[i].proto, 0, 1);
		} else if (rows[i].v6) {
			ip6(rows[i].proto);
		} else {
			ip4(5, rows[i].frag ? 0x2000 : 0x4000, rows[i].proto);
		}
		l4off = blen;
		udp(5353, 53, rows[i].ulen);
		/* Past 64 bytes the payload is not captured. */
		putn(0x41, rows[i].pay < 64 ? rows[i].pay : 64);
		iplen = l4off + 8 + rows[i].pay;
		if (rows[i].v6)
			ip6_len(iplen - 40);
		else
			ip4_len(iplen);
		r = parse(blen, iplen);
		if (rows[i].status != NFQD_PKT_OK) {
			check_fail(rows[i].name, r, rows[i].status,
			    NFQD_PKT_R_UDP_LEN, KALL, rows[i].flags);
			continue;
		}
		check_ok(rows[i].name, r, rows[i].v6 ? AF_INET6 : AF_INET,
		    rows[i].proto, rows[i].flags, l4off, l4off + 8, iplen);
		check_ports(rows[i].name, 5353, 53);
		/* check_ok() asked paylen to be the datagram's rest. */
		CHECK_UINT_EQ(pi.paylen, rows[i].pay,
		    unit_fmt("%s: paylen", rows[i].name));
	}
}

int
main(void)
{
	test_ip4_tcp_syn();
	test_ip4_udp_options();
	test_ip4_icmp();
	test_ip4_fragments();
	test_ip4_lengths();
	test_ip4_l4_errors();
	test_ip4_gso();
	test_ip6_basic();
	test_ip6_ext();
	test_tiny_fragments();
	test_udp_len0();
	test_reason_str();
	test_prefixes();
	return unit_done();
}
