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

#include "hello.h"

#define MAXBATCH	128		/* flows per sendmmsg */
#define PORT_MIN	1024
#define NPORTS		(65536 - PORT_MIN)

static void
usage(void)
{
	fprintf(stderr, "usage: hellogen -d ADDR [-p PORT] [-f FILE] "
	    "[-m FRACTION] [-n FLOWS] [-t SECONDS] [-r FLOWS/S] [-c CPU] "
	    "[-b BATCH] [-s SRCADDR] [-S SEED]\n");
	exit(2);
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
		j = hello_rnd() % (i + 1);
		t = ports[i];
		ports[i] = ports[j];
		ports[j] = t;
	}
}

int
main(int argc, char *argv[])
{
	static uint8_t		 pkt[2 * MAXBATCH][HELLO_PKT_MAX];
	static struct mmsghdr	 msgs[2 * MAXBATCH];
	static struct iovec	 iov[2 * MAXBATCH];
	static uint16_t		 ports[NPORTS];
	/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
	uint8_t			 synopt[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10,
				     0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7 };
	uint8_t			 ackopt[12] = { 1, 1, 8, 10 };
	uint8_t			 hello[HELLO_MAX];
	char			 made[HELLO_NAME_MAX + 1];
	struct hello_names		 list = { 0 };
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

	if (getrandom(&hello_seed, sizeof(hello_seed), 0) != sizeof(hello_seed))
		hello_seed = hello_now_ns() ^ (uint64_t)getpid() << 32;
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
		case 'S': hello_seed = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (addr == NULL || port == 0 || port > 65535 || (count == 0 &&
	    seconds <= 0) || batch == 0 || batch > MAXBATCH || miss > 1 ||
	    (miss < 0 && miss != -1))
		usage();
	if (hello_seed == 0)
		hello_seed = 0x9e3779b97f4a7c15ull;	/* xorshift needs a bit set */
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
		hello_names_read(&list, file);
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

	start = hello_now_ns();
	if (seconds > 0)
		end = start + (uint64_t)(seconds * 1e9);
	for (;;) {
		t = hello_now_ns();
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
			if ((double)(hello_rnd() >> 11) / 9007199254740992.0 < miss) {
				nlen = hello_made_up(made);
				name = made;
			} else {
				name = list.buf + list.at[hello_rnd() % list.n];
				nlen = strlen(name);
				listed++;
			}
			hlen = hello_client(hello, name, nlen);
			isn = (uint32_t)hello_rnd();
			hello_put32(synopt + 8, tsval);
			hello_put32(ackopt + 4, tsval);
			iov[2 * i].iov_len = hello_tcp_packet(pkt[2 * i], saddr,
			    dst.sin_addr.s_addr, ports[pi], (uint16_t)port,
			    isn, 0, 0x02, synopt, sizeof(synopt), NULL, 0);
			iov[2 * i + 1].iov_len = hello_tcp_packet(pkt[2 * i + 1],
			    saddr, dst.sin_addr.s_addr, ports[pi],
			    (uint16_t)port, isn + 1, (uint32_t)hello_rnd(), 0x18,
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
	t = hello_now_ns() - start;
	printf("sent %llu flows %llu packets (%llu listed, %llu made up)\n",
	    (unsigned long long)flows, (unsigned long long)packets,
	    (unsigned long long)listed, (unsigned long long)(flows - listed));
	fprintf(stderr, "hellogen: %llu flows, %llu packets in %.3f s "
	    "(%.0f flows/s)\n", (unsigned long long)flows,
	    (unsigned long long)packets, (double)t / 1e9,
	    t != 0 ? (double)flows * 1e9 / (double)t : 0.0);
	return 0;
}
