/*
 * l7dump: what nfqd reads at layer 7 in a capture, for the differential
 * test against tshark (tests/net/test_l7_tshark.sh).
 *
 *   l7dump [-j] FILE.pcap
 *
 * Reads a classic pcap file (either byte order, microsecond or nanosecond
 * timestamps; link types Ethernet, Linux cooked SLL and SLL2, raw IP) and
 * hands each IPv4 and IPv6 packet to nfqd's own code, as a worker would:
 * nfqd_pkt_parse(), then nfqd_l7_packet() with the default flow settings,
 * no NFQA_SKB_* flags (the checksums count as verified), no pending mark,
 * and the packet's timestamp as the clock.  One line per message read,
 * tab separated, on the packet that completed it:
 *
 *   FRAME  tls   SERVER_NAME  ALPN,ALPN...
 *   FRAME  quic  SERVER_NAME  ALPN,ALPN...
 *   FRAME  http  HOST         METHOD PATH
 *   FRAME  dns   QNAME        QTYPE
 *   FRAME  error
 *
 * FRAME is the packet's number in the file from 1, as tshark counts
 * frames.  A TCP flow says its first message once (later packets of the
 * flow carry the same fields; every later HTTP request on a connection
 * is said on the packet that completes it; a client Initial that starts a QUIC
 * connection anew on a decided flow is read and said again); every DNS
 * query is said (over TCP, later
 * queries on a connection too, and each of several in a segment), DNS
 * responses are not.  A flow nfqd found
 * malformed says "error" once; a DNS datagram or later query on its own,
 * and a QUIC packet refused unread, each time.  With -j, a tls or quic
 * line ends in a fifth field, the hello's JA4 fingerprint ("-" when nfqd
 * has none).  A list or path nfqd cut short ends in "...".  Bytes outside
 * printable ASCII in an ALPN name are written \xHH.
 *
 * Every length in the file is checked before it is used.  A file that
 * ends inside a record, or a record over 1 MiB, is an error (exit 1).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "nfqd/config.h"
#include "nfqd/l7.h"
#include "nfqd/pkt.h"

#define REC_MAX		(1u << 20)	/* bytes of one record we take */

/* pcap link types (www.tcpdump.org/linktypes.html). */
#define LT_ETHERNET	1
#define LT_RAW		101
#define LT_SLL		113
#define LT_SLL2		276

#define ETH_IP		0x0800
#define ETH_IPV6	0x86dd
#define VLAN_MAX	2	/* 802.1Q tags skipped (QinQ) */

/* The file's byte order and clock. */
struct pcap {
	FILE		*fp;
	const char	*path;
	bool		 swap;		/* written in the other byte order */
	bool		 nano;		/* timestamps in ns, not us */
	uint32_t	 linktype;
};

/*
 * A flow said already: the table hands an entry out again for another
 * connection, which has another key or first sequence number.
 */
struct said {
	const struct nfqd_flow	*f;
	struct nfqd_flow_key	 key;
	uint32_t		 seq0;
};

struct saidtab {
	struct said	*e;
	size_t		 mask;		/* entries - 1; a power of two */
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const struct pcap *pc, const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return pc->swap ? __builtin_bswap32(v) : v;
}

static int
pcap_open(struct pcap *pc, const char *path)
{
	uint8_t		hdr[24];
	uint32_t	magic;

	memset(pc, 0, sizeof(*pc));
	pc->path = path;
	if ((pc->fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "l7dump: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fread(hdr, 1, sizeof(hdr), pc->fp) != sizeof(hdr)) {
		fprintf(stderr, "l7dump: %s: no pcap header\n", path);
		goto bad;
	}
	memcpy(&magic, hdr, sizeof(magic));
	switch (magic) {
	case 0xa1b2c3d4: break;
	case 0xa1b23c4d: pc->nano = true; break;
	case 0xd4c3b2a1: pc->swap = true; break;
	case 0x4d3cb2a1: pc->swap = pc->nano = true; break;
	default:
		fprintf(stderr, "l7dump: %s: not a pcap file (magic %08x; "
		    "pcapng is not read)\n", path, magic);
		goto bad;
	}
	/* The upper bits carry the FCS length (not used here). */
	pc->linktype = rd32(pc, hdr + 20) & 0xffff;
	switch (pc->linktype) {
	case LT_ETHERNET: case LT_RAW: case LT_SLL: case LT_SLL2:
		return 0;
	}
	fprintf(stderr, "l7dump: %s: link type %u not read\n", path,
	    pc->linktype);
bad:
	fclose(pc->fp);
	return -1;
}

/*
 * The next record into buf (REC_MAX bytes): 1, 0 at the end of the file,
 * -1 when the file is cut or a length is not believable.
 */
static int
pcap_next(struct pcap *pc, uint8_t *buf, uint32_t *caplen, uint32_t *len,
    uint64_t *ts)
{
	uint8_t		rh[16];
	size_t		n;
	uint32_t	frac;

	if ((n = fread(rh, 1, sizeof(rh), pc->fp)) == 0 && feof(pc->fp))
		return 0;
	if (n != sizeof(rh)) {
		fprintf(stderr, "l7dump: %s: file ends inside a record "
		    "header\n", pc->path);
		return -1;
	}
	*caplen = rd32(pc, rh + 8);
	*len = rd32(pc, rh + 12);
	if (*caplen > REC_MAX) {
		fprintf(stderr, "l7dump: %s: a record of %u bytes\n", pc->path,
		    *caplen);
		return -1;
	}
	if (*len < *caplen)
		*len = *caplen;	/* no packet is shorter than its capture */
	if (fread(buf, 1, *caplen, pc->fp) != *caplen) {
		fprintf(stderr, "l7dump: %s: file ends inside a record\n",
		    pc->path);
		return -1;
	}
	frac = rd32(pc, rh + 4);
	*ts = (uint64_t)rd32(pc, rh) * 1000000000ull +
	    (pc->nano ? frac : (uint64_t)frac * 1000);
	return 1;
}

/*
 * Where the IP header starts in a frame of the file's link type, or -1
 * when the frame is not IPv4 or IPv6 (or too short to say).
 */
static long
ip_offset(const struct pcap *pc, const uint8_t *p, uint32_t caplen)
{
	uint32_t	off;
	uint16_t	type;
	int		tags;

	switch (pc->linktype) {
	case LT_RAW:
		if (caplen < 1)
			return -1;
		return (p[0] >> 4) == 4 || (p[0] >> 4) == 6 ? 0 : -1;
	case LT_SLL:
		if (caplen < 16)
			return -1;
		type = get16(p + 14);
		off = 16;
		break;
	case LT_SLL2:
		if (caplen < 20)
			return -1;
		type = get16(p);
		off = 20;
		break;
	default:
		if (caplen < 14)
			return -1;
		type = get16(p + 12);
		off = 14;
		for (tags = 0; tags < VLAN_MAX && (type == 0x8100 ||
		    type == 0x88a8 || type == 0x9100); tags++) {
			if (caplen < off + 4)
				return -1;
			type = get16(p + off + 2);
			off += 4;
		}
		break;
	}
	return type == ETH_IP || type == ETH_IPV6 ? (long)off : -1;
}

/*
 * The link layer pads short frames (Ethernet to 60 bytes) and the kernel
 * trims that before netfilter: hand nfqd the datagram as its IP header
 * measures it, when that is shorter.
 */
static void
trim(const uint8_t *ip, uint32_t *caplen, uint32_t *len)
{
	uint32_t	tot = 0;

	if (*caplen == 0)
		return;
	if ((ip[0] >> 4) == 4 && *caplen >= 4)
		tot = get16(ip + 2);
	else if ((ip[0] >> 4) == 6 && *caplen >= 6 && get16(ip + 4) != 0)
		tot = 40u + get16(ip + 4);	/* 0: a jumbogram */
	if (tot == 0 || tot >= *len)
		return;
	*len = tot;
	if (*caplen > tot)
		*caplen = tot;
}

static int
said_init(struct saidtab *t, uint32_t flows)
{
	size_t	n = 2;

	/* Flows are entries of nfqd's table: never more than flows. */
	while (n < 2 * (size_t)flows)
		n <<= 1;
	if ((t->e = calloc(n, sizeof(*t->e))) == NULL)
		return -1;
	t->mask = n - 1;
	return 0;
}

/* Whether f's connection was said already; marks it said. */
static bool
said_before(struct saidtab *t, const struct nfqd_flow *f)
{
	size_t		 i = ((uintptr_t)f / sizeof(*f)) & t->mask;
	struct said	*s;

	while ((s = &t->e[i])->f != NULL && s->f != f)
		i = (i + 1) & t->mask;
	if (s->f == f && s->seq0 == f->seq0 &&
	    memcmp(&s->key, &f->key, sizeof(s->key)) == 0)
		return true;
	s->f = f;
	s->key = f->key;
	s->seq0 = f->seq0;
	return false;
}

static void
put_alpn(const struct nfqd_l7fields *fl)
{
	size_t	i = 0, j, n;
	uint8_t	c;

	while (i < fl->alpn_len) {
		n = fl->alpn[i];
		if (i + 1 + n > fl->alpn_len)
			break;
		if (i > 0)
			putchar(',');
		for (j = i + 1; j < i + 1 + n; j++) {
			c = fl->alpn[j];
			if (c < 0x21 || c > 0x7e || c == ',' || c == '\\')
				printf("\\x%02x", c);
			else
				putchar(c);
		}
		i += 1 + n;
	}
	if (fl->alpn_cut)
		printf("%s...", fl->alpn_len > 0 ? "," : "");
}

/* -j: TLS lines end with the JA4 fingerprint. */
static bool	with_ja4;

static void
put_fields(unsigned long frame, const struct nfqd_l7fields *fl)
{
	printf("%lu\t%s\t%s\t", frame, nfqd_l7_proto_str(fl->proto), fl->name);
	switch (fl->proto) {
	case NFQD_L7P_TLS:
	case NFQD_L7P_QUIC:
		put_alpn(fl);
		if (with_ja4)
			printf("\t%s", fl->ja4[0] != '\0' ? fl->ja4 : "-");
		break;
	case NFQD_L7P_HTTP:
		printf("%s %s%s", fl->method, fl->path,
		    fl->path_cut ? "..." : "");
		break;
	case NFQD_L7P_DNS:
		printf("%u", fl->qtype);
		break;
	}
	putchar('\n');
}

/*
 * A DNS datagram's QR bit.  Over TCP nfqd reads queries only (a client
 * that answers is malformed).
 */
static bool
dns_response(const struct nfqd_pkt *pi, const uint8_t *ip)
{
	return pi->proto == IPPROTO_UDP && pi->paylen > 2 &&
	    (ip[pi->payoff + 2] & 0x80) != 0;
}

/* What one packet says, as nfqd reads it. */
static void
packet(struct nfqd_l7 *l7, struct saidtab *said, unsigned long frame,
    const uint8_t *ip, uint32_t caplen, uint32_t len, uint64_t now)
{
	struct nfqd_pkt		 pi;
	struct nfqd_flow	*f;
	const struct nfqd_l7fields *fl;
	unsigned		 i;

	trim(ip, &caplen, &len);
	nfqd_pkt_parse(ip, caplen, len, &pi);
	f = nfqd_l7_packet(l7, &pi, ip, 0, 0, false, NULL, now);
	if (pi.status == NFQD_PKT_L7_ERROR) {
		/* A flow found malformed stays so: say it once. */
		if (f == NULL || f->l7res != NFQD_L7_BAD ||
		    !said_before(said, f))
			printf("%lu\terror\n", frame);
		return;
	}
	if (!(pi.known & NFQD_PKT_K_L7) || (fl = pi.l7) == NULL ||
	    fl->proto == NFQD_L7P_NONE)
		return;
	/* HTTP requests, or DNS-over-TCP queries read from the stream,
	   that the packet completed: each one, in order. */
	if (l7->nheads > 0 && (fl->proto == NFQD_L7P_HTTP ||
	    fl->proto == NFQD_L7P_DNS)) {
		for (i = 0; i < l7->nmore; i++)
			put_fields(frame, &l7->more[i]);
		put_fields(frame, fl);
		if (f != NULL)
			(void) said_before(said, f);
		return;
	}
	/* The flow's own fields, or a message read alone (scratch). */
	if (f != NULL && fl == (const struct nfqd_l7fields *)f->l7data &&
	    said_before(said, f))
		return;
	if (fl->proto == NFQD_L7P_DNS && dns_response(&pi, ip))
		return;
	put_fields(frame, fl);
	/* DNS over TCP: the queries after the first in the segment. */
	if (fl->proto == NFQD_L7P_DNS)
		for (i = 0; i < l7->nmore; i++)
			put_fields(frame, &l7->more[i]);
}

int
main(int argc, char *argv[])
{
	struct nfqd_config	 cf;
	struct nfqd_l7		 l7;
	struct saidtab		 said;
	struct pcap		 pc;
	uint8_t			*buf;
	uint32_t		 caplen, len;
	uint64_t		 ts;
	unsigned long		 frame = 0;
	long			 off;
	int			 r;

	if (argc == 3 && strcmp(argv[1], "-j") == 0) {
		with_ja4 = true;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: l7dump [-j] FILE.pcap\n");
		return 2;
	}
	if (pcap_open(&pc, argv[1]) == -1)
		return 1;
	nfqd_config_defaults(&cf);
	if ((buf = malloc(REC_MAX)) == NULL ||
	    said_init(&said, cf.flows_max) == -1 ||
	    nfqd_l7_init(&l7, &cf, true) == -1) {
		fprintf(stderr, "l7dump: out of memory\n");
		return 1;
	}
	/* Every request of an HTTP connection, as a worker reads them
	   where a rule reads HTTP fields (flows.http_requests = "all"). */
	l7.http_all = true;
	l7.dns_all = true;
	if (with_ja4 && nfqd_l7_want_ja4(&l7) == -1) {
		fprintf(stderr, "l7dump: libcrypto gives no SHA-256\n");
		return 1;
	}
	while ((r = pcap_next(&pc, buf, &caplen, &len, &ts)) == 1) {
		frame++;
		if ((off = ip_offset(&pc, buf, caplen)) < 0)
			continue;
		packet(&l7, &said, frame, buf + off, caplen - (uint32_t)off,
		    len - (uint32_t)off, ts);
	}
	if (ferror(pc.fp)) {
		fprintf(stderr, "l7dump: %s: %s\n", pc.path, strerror(errno));
		r = -1;
	}
	fclose(pc.fp);
	nfqd_l7_free(&l7);
	free(said.e);
	free(buf);
	if (fflush(stdout) == EOF) {
		perror("l7dump: stdout");
		return 1;
	}
	return r == 0 ? 0 : 1;
}
