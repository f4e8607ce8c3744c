/*
 * quicgen: write a QUIC client's first flight with its ClientHello split
 * over 1 to 4 Initial packets, in a chosen order, some coalesced, for
 * nfqd's tests and benchmark (tests/tools/qinitial.c builds them).
 *
 *   quicgen -d ADDR -p PORT [options]      send over UDP (IPv4 or IPv6)
 *   quicgen -w FILE [-p PORT] [options]    write a pcap (raw IPv4, to
 *                                          PORT, 443), "-": stdout
 *   quicgen -F FILE -d ADDR -p PORT [-r CONNS/S] [-t SECONDS] [-A SRCADDR]
 *           [-C CPU]                       send a pcap of -w's, one
 *                                          connection after another, with
 *                                          raw IPv4 packets (CAP_NET_RAW)
 *
 * Options of a flight:
 *   -V 1|2       QUIC version (1)
 *   -s NAME      server name (example.com)
 *   -a LIST      ALPN protocols, comma-separated ("h3"; "" for none)
 *   -q           no post-quantum key share (a hello of about 300 bytes;
 *                else an X25519MLKEM768 share makes it about 1.4 KB)
 *   -S SIZE      pad the hello to SIZE bytes (padding extension)
 *   -k PIECES    CRYPTO frames, one an Initial packet (2; 1 to 4)
 *   -x CUTS      where the pieces start, e.g. 100,900 (even cuts)
 *   -o ORDER     the packets in the order sent, e.g. 2,0,1 (0,1,...)
 *   -c N         coalesce N packets a datagram, in the order sent (1)
 *   -N           packet numbers in the order sent (else packet i has
 *                number i: as if the network reordered them)
 *   -n COUNT     connections, each with new random connection IDs (1)
 *   -P PORT      source port of the first connection, the next ones
 *                PORT + 1, ... (sending: the kernel's choice, a new one
 *                each; writing: a random permutation of 1024-65535)
 *   -A ADDR      source address written by -w (10.0.0.1; the destination
 *                10.0.0.2), or sent by -F (the kernel's choice)
 *   -f FILE      each connection's name a random line of FILE (a name set
 *                file), or for a FRACTION (-m) a made-up name
 *   -e SEED      random seed (connection IDs, hello random, names)
 *
 * A later flight of a connection (a second hello after a HelloRetryRequest,
 * a datagram sent again), with -e the same seed:
 *   -D HEX       the Destination Connection ID (else random)
 *   -K HEX       protect with the keys of this connection ID (the
 *                client's first, when -D is the server's)
 *   -O OFFSET    CRYPTO offset of the hello's first byte (0)
 *   -B PN        the first packet number (0)
 *   -u LIST      send only these datagrams, e.g. 1 or 0,2 (all)
 *   -T TTL       send with this TTL or hop limit (the system's)
 *
 * Every datagram with an Initial is padded to 1200 bytes or more (PADDING
 * frames in its last packet).  One line per datagram of the first 1,000
 * connections, on stdout (stderr when the pcap goes to stdout):
 *   conn C dgram D len L pkts 1,0 crypto 700-1403,0-700 tag HEX16 sni NAME
 * tag: the datagram's last 8 bytes (of the last packet's AEAD tag), which
 * tell datagrams apart.  Then "sent N connections M datagrams" or "wrote
 * ...".  -F prints "sent N connections M datagrams" when done.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hello.h"
#include "qinitial.h"

#define PORT_MIN	1024
#define NPORTS		(65536 - PORT_MIN)
#define PKT_MAX		(20 + 8 + QI_DGRAM_MAX)
#define MAXBATCH	64		/* datagrams per sendmmsg (-F) */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: quicgen {-d ADDR -p PORT | -w FILE} [-V 1|2] [-s NAME] "
	    "[-a ALPN] [-q] [-S SIZE]\n"
	    "           [-k PIECES] [-x CUTS] [-o ORDER] [-c N] [-N] "
	    "[-n COUNT] [-P PORT] [-A ADDR]\n"
	    "           [-f FILE [-m FRACTION]] [-e SEED] [-D HEX] [-K HEX] "
	    "[-O OFFSET]\n"
	    "           [-B PN] [-u LIST] [-T TTL]\n"
	    "       quicgen -F FILE -d ADDR -p PORT [-r CONNS/S] [-t SECONDS] "
	    "[-A SRCADDR] [-C CPU]\n");
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "quicgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long
num(const char *s, unsigned long max, const char *opt)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0' || v > max) {
		fprintf(stderr, "quicgen: %s: a number up to %lu, got '%s'\n",
		    opt, max, s);
		exit(2);
	}
	return v;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* IPv4 and UDP headers before pay (already at pkt + 28); the length. */
static size_t
udp4(uint8_t *pkt, uint32_t saddr, uint32_t daddr, uint16_t sport,
    uint16_t dport, size_t paylen)
{
	uint8_t		*ip = pkt, *uh = pkt + 20;
	size_t		 len = 28 + paylen;
	uint32_t	 sum;
	uint16_t	 c;

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (unsigned)len);
	put16(ip + 4, 0);
	put16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	put16(ip + 10, 0);
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, hello_csum(ip, 20, 0));
	put16(uh, sport);
	put16(uh + 2, dport);
	put16(uh + 4, (unsigned)(8 + paylen));
	put16(uh + 6, 0);
	sum = (uint32_t)ip[12] << 8 | ip[13];
	sum += (uint32_t)ip[14] << 8 | ip[15];
	sum += (uint32_t)ip[16] << 8 | ip[17];
	sum += (uint32_t)ip[18] << 8 | ip[19];
	sum += IPPROTO_UDP + (uint32_t)(8 + paylen);
	c = hello_csum(uh, 8 + paylen, sum);
	put16(uh + 6, c == 0 ? 0xffff : c);
	return len;
}

static void
xwrite(FILE *fp, const void *p, size_t n)
{
	if (fwrite(p, 1, n, fp) != n)
		die("writing the pcap");
}

static void
pcap_header(FILE *fp)
{
	/* Version 2.4, snaplen 65535, LINKTYPE_RAW (101): IP packets. */
	static const uint32_t h[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535,
				       101 };

	xwrite(fp, h, sizeof(h));
}

static void
pcap_packet(FILE *fp, const uint8_t *pkt, size_t len, uint64_t usec)
{
	uint32_t	r[4] = { (uint32_t)(usec / 1000000),
				 (uint32_t)(usec % 1000000), (uint32_t)len,
				 (uint32_t)len };

	xwrite(fp, r, sizeof(r));
	xwrite(fp, pkt, len);
}

static void
shuffle(uint16_t *ports)
{
	uint16_t	t;
	size_t		i, j;

	for (i = 0; i < NPORTS; i++)
		ports[i] = (uint16_t)(PORT_MIN + i);
	for (i = NPORTS - 1; i > 0; i--) {
		j = hello_rnd() % (i + 1);
		t = ports[i];
		ports[i] = ports[j];
		ports[j] = t;
	}
}

static void
describe(FILE *out, unsigned conn, const struct qi_flight *f,
    const char *sni)
{
	unsigned	d, j, p;
	size_t		i;

	for (d = 0; d < f->ndgrams; d++) {
		fprintf(out, "conn %u dgram %u len %zu pkts", conn, d,
		    f->dgram_len[d]);
		for (j = 0; j < f->dgram_npkts[d]; j++)
			fprintf(out, "%c%u", j == 0 ? ' ' : ',',
			    f->dgram_pkts[d][j]);
		fprintf(out, " crypto");
		for (j = 0; j < f->dgram_npkts[d]; j++) {
			p = f->dgram_pkts[d][j];
			fprintf(out, "%c%zu-%zu", j == 0 ? ' ' : ',', f->off[p],
			    f->off[p] + f->len[p]);
		}
		fprintf(out, " tag ");
		for (i = f->dgram_len[d] - 8; i < f->dgram_len[d]; i++)
			fprintf(out, "%02x", f->dgram[d][i]);
		fprintf(out, " sni %s\n", sni != NULL && *sni ? sni : "-");
	}
}

/* -D, -K: a connection ID in hex into id; its length, -1 if bad. */
static int
hex_cid(const char *s, uint8_t *id)
{
	size_t		n = strlen(s), i;
	unsigned	v;

	if (n == 0 || n % 2 != 0 || n / 2 > QI_CID_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		id[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* Datagrams -u sends (bit d: datagram d); all when 0. */
static unsigned	only;
/* -T: the TTL or hop limit; 0: the system's. */
static int	ttl;

/* Send a flight from a new UDP socket (bound to sport when not 0). */
static void
send_flight(const struct sockaddr_storage *dst, socklen_t dlen,
    uint16_t sport, const struct qi_flight *f)
{
	struct sockaddr_storage	src;
	unsigned		d;
	ssize_t			n;
	int			fd;

	if ((fd = socket(dst->ss_family, SOCK_DGRAM, 0)) == -1)
		die("socket");
	if (ttl != 0 && (dst->ss_family == AF_INET ?
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) :
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
	    sizeof(ttl))) == -1)
		die("setsockopt TTL");
	if (sport != 0) {
		memset(&src, 0, sizeof(src));
		src.ss_family = dst->ss_family;
		if (dst->ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = htons(sport);
		else
			((struct sockaddr_in6 *)&src)->sin6_port = htons(sport);
		if (bind(fd, (struct sockaddr *)&src, dlen) == -1)
			die("bind");
	}
	for (d = 0; d < f->ndgrams; d++) {
		if (only != 0 && !(only & 1u << d))
			continue;
		do {
			n = sendto(fd, f->dgram[d], f->dgram_len[d], 0,
			    (const struct sockaddr *)dst, dlen);
		} while (n == -1 && (errno == EINTR || errno == ENOBUFS ||
		    errno == EAGAIN));
		if (n == -1)
			die("sendto");
		if ((size_t)n != f->dgram_len[d]) {
			fprintf(stderr, "quicgen: sendto: %zd of %zu bytes\n",
			    n, f->dgram_len[d]);
			exit(1);
		}
	}
	if (close(fd) == -1)
		die("close");
}

/* A pcap file of -w's in memory: each record's IPv4 packet. */
struct capfile {
	uint8_t		*buf;
	size_t		 len;
	size_t		*at;		/* record starts (the IP header) */
	uint32_t	*plen;
	size_t		 n;
};

static void
cap_read(struct capfile *c, const char *path)
{
	FILE	*fp;
	size_t	 cap = 1 << 20, off, nc = 0;
	uint32_t h[4];

	memset(c, 0, sizeof(*c));
	if ((fp = fopen(path, "r")) == NULL)
		die(path);
	if ((c->buf = malloc(cap)) == NULL)
		die("malloc");
	for (;;) {
		if (c->len == cap) {
			cap *= 2;
			if ((c->buf = realloc(c->buf, cap)) == NULL)
				die("realloc");
		}
		c->len += fread(c->buf + c->len, 1, cap - c->len, fp);
		if (ferror(fp))
			die(path);
		if (feof(fp))
			break;
	}
	fclose(fp);
	if (c->len < 24 || memcmp(c->buf, "\xd4\xc3\xb2\xa1", 4) != 0 ||
	    c->buf[20] != 101) {
		fprintf(stderr, "quicgen: %s: not a pcap of quicgen -w\n",
		    path);
		exit(1);
	}
	for (off = 24; off + 16 <= c->len; ) {
		memcpy(h, c->buf + off, sizeof(h));
		if (h[2] < 28 || h[2] > PKT_MAX || off + 16 + h[2] > c->len ||
		    c->buf[off + 16] != 0x45 || c->buf[off + 16 + 9] !=
		    IPPROTO_UDP) {
			fprintf(stderr, "quicgen: %s: record at %zu is not an "
			    "IPv4 UDP packet\n", path, off);
			exit(1);
		}
		if (c->n == nc) {
			nc = nc ? 2 * nc : 4096;
			if ((c->at = realloc(c->at, nc * sizeof(*c->at))) ==
			    NULL || (c->plen = realloc(c->plen, nc *
			    sizeof(*c->plen))) == NULL)
				die("realloc");
		}
		c->at[c->n] = off + 16;
		c->plen[c->n++] = h[2];
		off += 16 + h[2];
	}
	if (c->n == 0) {
		fprintf(stderr, "quicgen: %s: no packets\n", path);
		exit(1);
	}
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * -F: the file's packets, addresses and destination port rewritten, a
 * connection (the packets in a row with one source port) at a time, at
 * rate connections a second (0: as fast as possible), for seconds (0:
 * the whole file once).
 */
static int
flood(const char *path, const char *daddr_s, const char *saddr_s,
    unsigned long dport, unsigned long rate, double seconds, int cpu)
{
	static uint8_t		 pkt[MAXBATCH][PKT_MAX];
	static struct mmsghdr	 msgs[MAXBATCH];
	static struct iovec	 iov[MAXBATCH];
	struct sockaddr_in	 dst = { .sin_family = AF_INET }, src;
	struct capfile		 c;
	socklen_t		 slen = sizeof(src);
	uint64_t		 start, end = 0, t, due, conns = 0, dgrams = 0;
	uint32_t		 saddr;
	size_t			 i = 0, len;
	cpu_set_t		 set;
	int			 fd, one = 1, n, m, off;

	if (inet_pton(AF_INET, daddr_s, &dst.sin_addr) != 1) {
		fprintf(stderr, "quicgen: -F: an IPv4 address, got %s\n",
		    daddr_s);
		return 2;
	}
	cap_read(&c, path);
	if (saddr_s != NULL) {
		if (inet_pton(AF_INET, saddr_s, &saddr) != 1) {
			fprintf(stderr, "quicgen: bad address %s\n", saddr_s);
			return 2;
		}
	} else {
		if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1 ||
		    getsockname(fd, (struct sockaddr *)&src, &slen) == -1 ||
		    close(fd) == -1)
			die("finding the source address");
		saddr = src.sin_addr.s_addr;
	}
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) == -1)
			die("sched_setaffinity");
	}
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1)
		die("socket(SOCK_RAW)");
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == -1)
		die("setsockopt(IP_HDRINCL)");
	for (n = 0; n < MAXBATCH; n++) {
		iov[n].iov_base = pkt[n];
		msgs[n].msg_hdr.msg_iov = &iov[n];
		msgs[n].msg_hdr.msg_iovlen = 1;
		msgs[n].msg_hdr.msg_name = &dst;
		msgs[n].msg_hdr.msg_namelen = sizeof(dst);
	}
	start = now_ns();
	if (seconds > 0)
		end = start + (uint64_t)(seconds * 1e9);
	for (;;) {
		t = now_ns();
		if (i == c.n) {
			if (end == 0)
				break;
			i = 0;		/* round again */
		}
		if (end != 0 && t >= end)
			break;
		if (rate != 0) {
			due = (t - start) * rate / 1000000000ull + 1;
			if (due <= conns) {
				struct timespec ts = { 0, 20000 };

				nanosleep(&ts, NULL);
				continue;
			}
		}
		/* One connection's datagrams, or as many as fit. */
		for (m = 0; m < MAXBATCH && i < c.n; m++, i++) {
			const uint8_t *p = c.buf + c.at[i];

			if (m > 0 && memcmp(p + 20, c.buf + c.at[i - 1] + 20,
			    2) != 0)
				break;
			len = c.plen[i] - 28;
			memcpy(pkt[m] + 28, p + 28, len);
			iov[m].iov_len = udp4(pkt[m], saddr,
			    dst.sin_addr.s_addr, (uint16_t)(p[20] << 8 | p[21]),
			    (uint16_t)dport, len);
		}
		for (off = 0; off < m; ) {
			n = sendmmsg(fd, msgs + off, (unsigned)(m - off), 0);
			if (n == -1) {
				if (errno == EINTR || errno == ENOBUFS ||
				    errno == EAGAIN)
					continue;
				die("sendmmsg");
			}
			off += n;
		}
		conns++;
		dgrams += (uint64_t)m;
	}
	t = now_ns() - start;
	printf("sent %llu connections %llu datagrams\n",
	    (unsigned long long)conns, (unsigned long long)dgrams);
	fprintf(stderr, "quicgen: %llu connections, %llu datagrams in %.3f s "
	    "(%.0f connections/s)\n", (unsigned long long)conns,
	    (unsigned long long)dgrams, (double)t / 1e9,
	    t != 0 ? (double)conns * 1e9 / (double)t : 0.0);
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct qi_flight	 f;
	static uint8_t		 pkt[PKT_MAX];
	static uint16_t		 ports[NPORTS];
	struct qi_spec		 s;
	struct qi_ctx		*x;
	struct hello_names	 list = { 0 };
	struct sockaddr_storage	 dst;
	struct in_addr		 wsrc, wdst;
	socklen_t		 dlen = 0;
	const char		*addr = NULL, *wfile = NULL, *ffile = NULL;
	const char		*saddr = NULL, *listfile = NULL, *name;
	char			*cuts = NULL, *tok, *save, err[160];
	char			 made[HELLO_NAME_MAX + 1];
	unsigned long		 port = 0, sport = 0, count = 1, rate = 0;
	unsigned long		 version = 1;
	uint64_t		 seed = 0, usec = 0, dgrams = 0, listed = 0;
	double			 miss = -1, seconds = 0;
	unsigned		 i, d, norder = 0;
	uint8_t			 dcid[QI_CID_MAX], kcid[QI_CID_MAX];
	int			 dcid_len = -1, kcid_len = -1;
	size_t			 pi = NPORTS, len;
	FILE			*wfp = NULL, *out = stdout;
	int			 ch, cpu = -1;

	memset(&s, 0, sizeof(s));
	s.sni = "example.com";
	s.alpn = "h3";
	s.pq = true;
	s.pieces = 2;
	while ((ch = getopt(argc, argv, "d:p:w:F:V:s:a:qS:k:x:o:c:Nn:P:A:f:"
	    "m:e:r:t:C:D:K:O:B:u:T:")) != -1) {
		switch (ch) {
		case 'D':
			if ((dcid_len = hex_cid(optarg, dcid)) < 0) {
				fprintf(stderr, "quicgen: -D: 1 to %d bytes "
				    "in hex\n", QI_CID_MAX);
				return 2;
			}
			break;
		case 'K':
			if ((kcid_len = hex_cid(optarg, kcid)) < 0) {
				fprintf(stderr, "quicgen: -K: 1 to %d bytes "
				    "in hex\n", QI_CID_MAX);
				return 2;
			}
			s.key_dcid = kcid;
			s.key_dcid_len = (uint8_t)kcid_len;
			break;
		case 'T': ttl = (int)num(optarg, 255, "-T"); break;
		case 'O': s.crypto_off = num(optarg, 1 << 20, "-O"); break;
		case 'B': s.pn_base = (unsigned)num(optarg, 60, "-B"); break;
		case 'u':
			for (tok = strtok_r(optarg, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save))
				only |= 1u << num(tok, QI_PIECES_MAX - 1,
				    "-u");
			break;
		case 'd': addr = optarg; break;
		case 'p': port = num(optarg, 65535, "-p"); break;
		case 'w': wfile = optarg; break;
		case 'F': ffile = optarg; break;
		case 'V': version = num(optarg, 2, "-V"); break;
		case 's': s.sni = optarg; break;
		case 'a': s.alpn = optarg; break;
		case 'q': s.pq = false; break;
		case 'S': s.size = num(optarg, QI_HELLO_MAX, "-S"); break;
		case 'k': s.pieces = (unsigned)num(optarg, QI_PIECES_MAX, "-k");
			break;
		case 'x': cuts = optarg; break;
		case 'o':
			if ((norder = qi_parse_order(optarg, s.order)) == 0) {
				fprintf(stderr, "quicgen: -o: a permutation of "
				    "0..N-1, N up to %d\n", QI_PIECES_MAX);
				return 2;
			}
			break;
		case 'c': s.coalesce = (unsigned)num(optarg, QI_PIECES_MAX,
			    "-c"); break;
		case 'N': s.pn_sent = true; break;
		case 'n': count = num(optarg, 100000000, "-n"); break;
		case 'P': sport = num(optarg, 65535, "-P"); break;
		case 'A':
			if (inet_pton(AF_INET, optarg, &wsrc) != 1) {
				fprintf(stderr, "quicgen: -A: an IPv4 address, "
				    "got %s\n", optarg);
				return 2;
			}
			saddr = optarg;
			break;
		case 'f': listfile = optarg; break;
		case 'm': miss = strtod(optarg, NULL); break;
		case 'e': seed = strtoull(optarg, NULL, 0); break;
		case 'r': rate = num(optarg, 10000000, "-r"); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'C': cpu = (int)num(optarg, 1023, "-C"); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (ffile != NULL) {
		if (addr == NULL || port == 0 || seconds < 0)
			usage();
		return flood(ffile, addr, saddr, port, rate, seconds, cpu);
	}
	if ((addr == NULL) == (wfile == NULL) || (addr != NULL && port == 0) ||
	    count == 0 || miss > 1 || (miss < 0 && miss != -1))
		usage();
	s.version = version == 2 ? QI_V2 : QI_V1;
	if (cuts != NULL) {
		for (i = 0, tok = strtok_r(cuts, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save), i++) {
			if (i + 1 >= s.pieces) {
				fprintf(stderr, "quicgen: -x: %u pieces have "
				    "%u cuts\n", s.pieces, s.pieces - 1);
				return 2;
			}
			s.cuts[i] = num(tok, QI_HELLO_MAX, "-x");
		}
		if (i + 1 != s.pieces) {
			fprintf(stderr, "quicgen: -x: %u pieces have %u cuts\n",
			    s.pieces, s.pieces - 1);
			return 2;
		}
	}
	if (norder != 0 && norder != s.pieces) {
		fprintf(stderr, "quicgen: -o names %u packets, -k says %u\n",
		    norder, s.pieces);
		return 2;
	}
	if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = now_ns() ^ (uint64_t)getpid() << 32;
	qi_seed(seed);
	hello_seed = seed | 1;
	if (listfile != NULL) {
		hello_names_read(&list, listfile);
		if (miss < 0)
			miss = 0;
	}
	memset(&dst, 0, sizeof(dst));
	if (addr != NULL) {
		struct sockaddr_in	*d4 = (struct sockaddr_in *)&dst;
		struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)&dst;

		if (inet_pton(AF_INET, addr, &d4->sin_addr) == 1) {
			d4->sin_family = AF_INET;
			d4->sin_port = htons((uint16_t)port);
			dlen = sizeof(*d4);
		} else if (inet_pton(AF_INET6, addr, &d6->sin6_addr) == 1) {
			d6->sin6_family = AF_INET6;
			d6->sin6_port = htons((uint16_t)port);
			dlen = sizeof(*d6);
		} else {
			fprintf(stderr, "quicgen: bad address %s\n", addr);
			return 2;
		}
	} else {
		if (strcmp(wfile, "-") == 0) {
			wfp = stdout;
			out = stderr;
		} else if ((wfp = fopen(wfile, "w")) == NULL) {
			die(wfile);
		}
		if (saddr == NULL)
			inet_pton(AF_INET, "10.0.0.1", &wsrc);
		inet_pton(AF_INET, "10.0.0.2", &wdst);
		if (port == 0)
			port = 443;
		pcap_header(wfp);
	}
	if ((x = qi_ctx_new()) == NULL) {
		fprintf(stderr, "quicgen: libcrypto lacks HKDF or AES-128\n");
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (listfile != NULL) {
			if ((double)(hello_rnd() >> 11) / 9007199254740992.0 <
			    miss) {
				hello_made_up(made);
				name = made;
			} else {
				name = list.buf + list.at[hello_rnd() % list.n];
				listed++;
			}
			s.sni = name;
		}
		s.dcid_len = 8;
		s.scid_len = 8;
		qi_random(s.dcid, s.dcid_len);
		qi_random(s.scid, s.scid_len);
		if (dcid_len > 0) {
			memcpy(s.dcid, dcid, (size_t)dcid_len);
			s.dcid_len = (uint8_t)dcid_len;
		}
		if (qi_build(x, &s, &f, err, sizeof(err)) != 0) {
			fprintf(stderr, "quicgen: %s\n", err);
			return 2;
		}
		if (count <= 1000)
			describe(out, i, &f, s.sni);
		if (addr != NULL) {
			send_flight(&dst, dlen, sport != 0 ?
			    (uint16_t)(sport + i) : 0, &f);
		} else {
			uint16_t	p;

			if (sport != 0) {
				p = (uint16_t)(sport + i);
			} else {
				if (pi == NPORTS) {
					shuffle(ports);
					pi = 0;
				}
				p = ports[pi++];
			}
			for (d = 0; d < f.ndgrams; d++) {
				if (only != 0 && !(only & 1u << d))
					continue;
				memcpy(pkt + 28, f.dgram[d], f.dgram_len[d]);
				len = udp4(pkt, wsrc.s_addr, wdst.s_addr, p,
				    (uint16_t)port, f.dgram_len[d]);
				pcap_packet(wfp, pkt, len, usec += 100);
			}
		}
		dgrams += f.ndgrams;
	}
	qi_ctx_free(x);
	if (wfp != NULL && (fflush(wfp) == EOF || (wfp != stdout &&
	    fclose(wfp) == EOF)))
		die(wfile);
	fprintf(out, "%s %lu connections %llu datagrams (%llu listed, "
	    "%llu made up)\n", addr != NULL ? "sent" : "wrote", count,
	    (unsigned long long)dgrams, (unsigned long long)listed,
	    (unsigned long long)(listfile != NULL ? count - listed : 0));
	return 0;
}
