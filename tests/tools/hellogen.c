/*
 * hellogen: open new TCP flows at a fixed rate, each a SYN and then one
 * segment holding a whole TLS ClientHello, with raw IPv4 packets, for
 * nfqd's name benchmark.
 *
 *   hellogen -d ADDR [-p PORT] [-f FILE] [-m FRACTION] [-n FLOWS]
 *            [-t SECONDS] [-r FLOWS/S] [-c CPU] [-b BATCH] [-s SRCADDR]
 *            [-S SEED]
 *
 * Each flow has a source port from a random permutation of 1024-65535
 * (none repeats before all were used) and a random initial sequence
 * number; its SYN carries the options a Linux client sends, its data
 * segment (PSH|ACK, sequence ISN + 1) a ClientHello of 517 bytes as
 * browsers send them (TLS 1.3 with 1.2 fallback, 17 cipher suites,
 * server_name, supported_groups, ec_point_formats, signature_algorithms,
 * ALPN h2 and http/1.1, supported_versions, psk_key_exchange_modes, an
 * X25519 key share, padding to a 512-byte handshake message).  Nothing is
 * answered: the receiver is expected to drop the flows (the SYN-ACK never
 * comes).
 *
 * The server name is a random line of FILE (a name set file: comments,
 * "=name" and hosts-file lines are read as nfqd reads them), or, for a
 * FRACTION of the flows (all without -f), a made-up name of the same
 * shape that no generated list holds (see made_up()).  Stops after FLOWS flows or SECONDS,
 * whichever comes first (at least one is needed).  Prints
 * "sent N flows M packets (L listed, U made up)"; IP and TCP checksums are
 * computed here.  Needs CAP_NET_RAW.
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

#define MAXBATCH	128		/* flows per sendmmsg */
#define HELLO_MAX	1024		/* a record, whatever the name */
#define NAME_MAX_LEN	253
#define PKT_MAX		(20 + 32 + HELLO_MAX)
#define PORT_MIN	1024
#define NPORTS		(65536 - PORT_MIN)

static uint64_t	seed;

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
usage(void)
{
	fprintf(stderr, "usage: hellogen -d ADDR [-p PORT] [-f FILE] "
	    "[-m FRACTION] [-n FLOWS] [-t SECONDS] [-r FLOWS/S] [-c CPU] "
	    "[-b BATCH] [-s SRCADDR] [-S SEED]\n");
	exit(2);
}

/* The names of a list file, one after another, NUL-terminated. */
struct names {
	char	*buf;
	size_t	 used, cap;
	size_t	*at;
	size_t	 n, ncap;
};

static void
names_add(struct names *s, const char *w, size_t len)
{
	if (s->used + len + 1 > s->cap) {
		s->cap = (s->cap + len + 1) * 2;
		if ((s->buf = realloc(s->buf, s->cap)) == NULL)
			goto oom;
	}
	if (s->n == s->ncap) {
		s->ncap = s->ncap ? s->ncap * 2 : 1024;
		if ((s->at = realloc(s->at, s->ncap * sizeof(*s->at))) == NULL)
			goto oom;
	}
	memcpy(s->buf + s->used, w, len);
	s->buf[s->used + len] = '\0';
	s->at[s->n++] = s->used;
	s->used += len + 1;
	return;
oom:
	fprintf(stderr, "hellogen: out of memory\n");
	exit(1);
}

/*
 * Every name of a list file: words up to a '#', an address word (a hosts
 * file's) skipped, a leading '=' taken off.
 */
static void
names_read(struct names *s, const char *path)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		*line = NULL, *w, *save, *hash;
	size_t		 cap = 0;
	FILE		*fp;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "hellogen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (getline(&line, &cap, fp) != -1) {
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		for (w = strtok_r(line, " \t\r\n", &save); w != NULL;
		    w = strtok_r(NULL, " \t\r\n", &save)) {
			if (inet_pton(AF_INET, w, &a4) == 1 ||
			    inet_pton(AF_INET6, w, &a6) == 1)
				continue;
			if (*w == '=')
				w++;
			if (*w != '\0' && strlen(w) <= NAME_MAX_LEN)
				names_add(s, w, strlen(w));
		}
	}
	free(line);
	fclose(fp);
	if (s->n == 0) {
		fprintf(stderr, "hellogen: %s: no names\n", path);
		exit(1);
	}
}

/*
 * A name no list holds, shaped like the generated lists' (1-3 labels of
 * 3-15 bytes, then a top-level domain), but under 20 top-level domains
 * the generated lists (bench_names, bench_l7.sh) never use: neither it
 * nor a parent of it is in them.
 */
static size_t
made_up(char *buf)
{
	static const char	chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	static const char *const tld[] = {
		"ca", "au", "es", "pl", "se", "ch", "in", "kr", "tv", "me",
		"be", "at", "dk", "no", "fi", "cz", "pt", "gr", "hu", "ro",
	};
	size_t		n = 0, len, i;
	unsigned	labels = 1 + (unsigned)(rnd() % 3), l;

	for (l = 0; l < labels; l++) {
		len = 3 + rnd() % 13;
		for (i = 0; i < len; i++)
			buf[n++] = chars[rnd() % (sizeof(chars) - 1)];
		buf[n++] = '.';
	}
	l = (unsigned)(rnd() % 20);
	len = strlen(tld[l]);
	memcpy(buf + n, tld[l], len + 1);
	return n + len;
}

static uint8_t *
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p = put16(p, v >> 16);
	return put16(p, v & 0xffff);
}

static uint8_t *
put_random(uint8_t *p, size_t n)
{
	uint64_t	r;
	size_t		i;

	while (n > 0) {
		r = rnd();
		for (i = 0; i < 8 && n > 0; i++, n--) {
			*p++ = (uint8_t)r;
			r >>= 8;
		}
	}
	return p;
}

/* A TLS record holding a ClientHello for name; its length. */
static size_t
client_hello(uint8_t *out, const char *name, size_t nlen)
{
	static const uint16_t suites[] = {
		0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
		0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
		0x0035, 0x000a, 0x00ff,
	};
	static const uint16_t groups[] = {
		0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101,
	};
	static const uint16_t sigalgs[] = {
		0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
		0x0601,
	};
	static const uint8_t alpn[] = "\x02h2\x08http/1.1";
	uint8_t		*p = out, *hs, *ext;
	size_t		 i, len, pad;

	*p++ = 0x16;			/* handshake */
	p = put16(p, 0x0301);		/* record version, as browsers */
	p += 2;				/* record length */
	hs = p;
	*p++ = 0x01;			/* ClientHello */
	p += 3;				/* its length */
	p = put16(p, 0x0303);
	p = put_random(p, 32);		/* random */
	*p++ = 32;			/* a session id: middlebox mode */
	p = put_random(p, 32);
	p = put16(p, sizeof(suites));
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		p = put16(p, suites[i]);
	*p++ = 1;			/* compression: null */
	*p++ = 0;
	p += 2;				/* extensions' length */
	ext = p;

	p = put16(p, 0x0000);		/* server_name */
	p = put16(p, nlen + 5);
	p = put16(p, nlen + 3);
	*p++ = 0;			/* host_name */
	p = put16(p, nlen);
	memcpy(p, name, nlen);
	p += nlen;

	p = put16(p, 0x000b);		/* ec_point_formats: uncompressed */
	p = put16(p, 2);
	*p++ = 1;
	*p++ = 0;

	p = put16(p, 0x000a);		/* supported_groups */
	p = put16(p, sizeof(groups) + 2);
	p = put16(p, sizeof(groups));
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		p = put16(p, groups[i]);

	p = put16(p, 0x0010);		/* ALPN */
	p = put16(p, sizeof(alpn) - 1 + 2);
	p = put16(p, sizeof(alpn) - 1);
	memcpy(p, alpn, sizeof(alpn) - 1);
	p += sizeof(alpn) - 1;

	p = put16(p, 0x000d);		/* signature_algorithms */
	p = put16(p, sizeof(sigalgs) + 2);
	p = put16(p, sizeof(sigalgs));
	for (i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		p = put16(p, sigalgs[i]);

	p = put16(p, 0x002b);		/* supported_versions: 1.3, 1.2 */
	p = put16(p, 5);
	*p++ = 4;
	p = put16(p, 0x0304);
	p = put16(p, 0x0303);

	p = put16(p, 0x002d);		/* psk_key_exchange_modes: psk_dhe */
	p = put16(p, 2);
	*p++ = 1;
	*p++ = 1;

	p = put16(p, 0x0033);		/* key_share: one X25519 share */
	p = put16(p, 2 + 4 + 32);
	p = put16(p, 4 + 32);
	p = put16(p, 0x001d);
	p = put16(p, 32);
	p = put_random(p, 32);

	/* Padding (RFC 7685) to a 512-byte handshake message, as BoringSSL
	 * and NSS do for hellos between 256 and 511 bytes. */
	len = (size_t)(p - hs);
	if (len + 4 < 512) {
		pad = 512 - len - 4;
		p = put16(p, 0x0015);
		p = put16(p, pad);
		memset(p, 0, pad);
		p += pad;
	}

	put16(ext - 2, (unsigned)(p - ext));
	len = (size_t)(p - hs);
	put32(hs, 0x01000000u | (uint32_t)(len - 4));
	put16(out + 3, len);
	return (size_t)(p - out);
}

/* The Internet checksum of buf, folded, starting from sum. */
static uint16_t
csum(const uint8_t *buf, size_t len, uint32_t sum)
{
	size_t	i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * An IPv4 packet of a TCP segment into pkt: addresses in network order,
 * ports and numbers in host order, opt (optlen, a multiple of 4) the TCP
 * options.  Returns its length.
 */
static size_t
tcp_packet(uint8_t *pkt, uint32_t saddr, uint32_t daddr, uint16_t sport,
    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
    const uint8_t *opt, size_t optlen, const uint8_t *pay, size_t paylen)
{
	uint8_t		*ip = pkt, *th = pkt + 20;
	size_t		 thlen = 20 + optlen, len = 20 + thlen + paylen;
	uint32_t	 sum;

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, len);
	put16(ip + 4, (unsigned)(rnd() & 0xffff));	/* id */
	put16(ip + 6, 0x4000);				/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	put16(ip + 10, 0);
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, csum(ip, 20, 0));

	put16(th, sport);
	put16(th + 2, dport);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = (uint8_t)(thlen / 4 << 4);
	th[13] = flags;
	put16(th + 14, 64240);				/* window */
	put16(th + 16, 0);
	put16(th + 18, 0);
	memcpy(th + 20, opt, optlen);
	if (paylen > 0)
		memcpy(th + thlen, pay, paylen);
	/* Pseudo header: addresses, protocol, TCP length. */
	sum = (uint32_t)ip[12] << 8 | ip[13];
	sum += (uint32_t)ip[14] << 8 | ip[15];
	sum += (uint32_t)ip[16] << 8 | ip[17];
	sum += (uint32_t)ip[18] << 8 | ip[19];
	sum += IPPROTO_TCP + (uint32_t)(thlen + paylen);
	put16(th + 16, csum(th, thlen + paylen, sum));
	return len;
}

/* The address the kernel would send from to dst. */
static uint32_t
source_for(const struct sockaddr_in *dst)
{
	struct sockaddr_in	src;
	socklen_t		slen = sizeof(src);
	int			fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&src, &slen) == -1) {
		perror("hellogen: finding the source address");
		exit(1);
	}
	close(fd);
	return src.sin_addr.s_addr;
}

static void
shuffle(uint16_t *ports)
{
	uint16_t	t;
	size_t		i, j;

	for (i = NPORTS - 1; i > 0; i--) {
		j = rnd() % (i + 1);
		t = ports[i];
		ports[i] = ports[j];
		ports[j] = t;
	}
}

int
main(int argc, char *argv[])
{
	static uint8_t		 pkt[2 * MAXBATCH][PKT_MAX];
	static struct mmsghdr	 msgs[2 * MAXBATCH];
	static struct iovec	 iov[2 * MAXBATCH];
	static uint16_t		 ports[NPORTS];
	/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
	uint8_t			 synopt[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10,
				     0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7 };
	uint8_t			 ackopt[12] = { 1, 1, 8, 10 };
	uint8_t			 hello[HELLO_MAX];
	char			 made[NAME_MAX_LEN + 1];
	struct names		 list = { 0 };
	struct sockaddr_in	 dst = { .sin_family = AF_INET };
	const char		*addr = NULL, *file = NULL, *src = NULL, *name;
	uint64_t		 count = 0, flows = 0, packets = 0, listed = 0;
	uint64_t		 due, start, end = 0, t;
	double			 seconds = 0, miss = -1;
	unsigned long		 rate = 0, batch = 32, port = 443;
	uint32_t		 saddr, isn, tsval;
	size_t			 pi = NPORTS, nlen, hlen;
	int			 cpu = -1, ch, fd, one = 1, want, i, n, off, m;
	cpu_set_t		 set;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = now_ns() ^ (uint64_t)getpid() << 32;
	while ((ch = getopt(argc, argv, "d:p:f:m:n:t:r:c:b:s:S:")) != -1) {
		switch (ch) {
		case 'd': addr = optarg; break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 'f': file = optarg; break;
		case 'm': miss = strtod(optarg, NULL); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'r': rate = strtoul(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 's': src = optarg; break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (addr == NULL || port == 0 || port > 65535 || (count == 0 &&
	    seconds <= 0) || batch == 0 || batch > MAXBATCH || miss > 1 ||
	    (miss < 0 && miss != -1))
		usage();
	if (seed == 0)
		seed = 0x9e3779b97f4a7c15ull;	/* xorshift needs a bit set */
	if (file == NULL)
		miss = 1;
	else if (miss < 0)
		miss = 0;
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1) {
		fprintf(stderr, "hellogen: bad address %s\n", addr);
		return 2;
	}
	if (src != NULL) {
		if (inet_pton(AF_INET, src, &saddr) != 1) {
			fprintf(stderr, "hellogen: bad address %s\n", src);
			return 2;
		}
	} else {
		saddr = source_for(&dst);
	}
	if (file != NULL)
		names_read(&list, file);
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) == -1) {
			perror("hellogen: sched_setaffinity");
			return 1;
		}
	}
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1) {
		perror("hellogen: socket(SOCK_RAW)");
		return 1;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == -1) {
		perror("hellogen: setsockopt(IP_HDRINCL)");
		return 1;
	}
	for (i = 0; i < NPORTS; i++)
		ports[i] = (uint16_t)(PORT_MIN + i);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 2 * MAXBATCH; i++) {
		iov[i].iov_base = pkt[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
	}

	start = now_ns();
	if (seconds > 0)
		end = start + (uint64_t)(seconds * 1e9);
	for (;;) {
		t = now_ns();
		if ((count != 0 && flows >= count) || (end != 0 && t >= end))
			break;
		want = (int)batch;
		if (rate != 0) {
			due = (t - start) * rate / 1000000000ull + 1;
			if (due <= flows) {
				struct timespec ts = { 0, 20000 };

				nanosleep(&ts, NULL);
				continue;
			}
			if (due - flows < (uint64_t)want)
				want = (int)(due - flows);
		}
		if (count != 0 && count - flows < (uint64_t)want)
			want = (int)(count - flows);
		tsval = (uint32_t)(t / 1000000);
		for (i = 0; i < want; i++) {
			if (pi == NPORTS) {
				shuffle(ports);
				pi = 0;
			}
			if ((double)(rnd() >> 11) / 9007199254740992.0 < miss) {
				nlen = made_up(made);
				name = made;
			} else {
				name = list.buf + list.at[rnd() % list.n];
				nlen = strlen(name);
				listed++;
			}
			hlen = client_hello(hello, name, nlen);
			isn = (uint32_t)rnd();
			put32(synopt + 8, tsval);
			put32(ackopt + 4, tsval);
			iov[2 * i].iov_len = tcp_packet(pkt[2 * i], saddr,
			    dst.sin_addr.s_addr, ports[pi], (uint16_t)port,
			    isn, 0, 0x02, synopt, sizeof(synopt), NULL, 0);
			iov[2 * i + 1].iov_len = tcp_packet(pkt[2 * i + 1],
			    saddr, dst.sin_addr.s_addr, ports[pi],
			    (uint16_t)port, isn + 1, (uint32_t)rnd(), 0x18,
			    ackopt, sizeof(ackopt), hello, hlen);
			pi++;
		}
		/* Every packet built is sent: a SYN without its hello, or
		 * the reverse, would be a flow of another kind. */
		for (off = 0, m = 2 * want; off < m; ) {
			n = sendmmsg(fd, msgs + off, (unsigned)(m - off), 0);
			if (n == -1) {
				if (errno == EINTR || errno == ENOBUFS ||
				    errno == EAGAIN)
					continue;
				perror("hellogen: sendmmsg");
				return 1;
			}
			off += n;
		}
		flows += (uint64_t)want;
		packets += (uint64_t)m;
	}
	t = now_ns() - start;
	printf("sent %llu flows %llu packets (%llu listed, %llu made up)\n",
	    (unsigned long long)flows, (unsigned long long)packets,
	    (unsigned long long)listed, (unsigned long long)(flows - listed));
	fprintf(stderr, "hellogen: %llu flows, %llu packets in %.3f s "
	    "(%.0f flows/s)\n", (unsigned long long)flows,
	    (unsigned long long)packets, (double)t / 1e9,
	    t != 0 ? (double)flows * 1e9 / (double)t : 0.0);
	return 0;
}
