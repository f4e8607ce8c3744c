/*
 * udpgen: send UDP datagrams at a fixed rate or as fast as possible, for
 * nfqd's tests, demo and benchmark.
 *
 *   udpgen -d ADDR -p PORT [-n COUNT] [-t SECONDS] [-r PPS] [-s SIZE]
 *          [-c CPU] [-b BATCH] [-S SRCPORT]
 *
 * Stops after COUNT datagrams or SECONDS, whichever comes first (at least
 * one of them is needed).  Prints "sent N" (datagrams the kernel took).
 * Every payload starts with a 64-bit sequence number.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXBATCH	256

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
	fprintf(stderr, "usage: udpgen -d ADDR -p PORT [-n COUNT] [-t SECONDS] "
	    "[-r PPS] [-s SIZE] [-c CPU] [-b BATCH] [-S SRCPORT]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static char		 payload[MAXBATCH][65536];
	struct sockaddr_storage	 dst, src;
	struct mmsghdr		 msgs[MAXBATCH];
	struct iovec		 iov[MAXBATCH];
	socklen_t		 dlen;
	const char		*addr = NULL;
	uint64_t		 count = 0, sent = 0, due, start, end = 0, t;
	double			 seconds = 0;
	unsigned long		 rate = 0, size = 64, batch = 64, port = 0;
	unsigned long		 sport = 0;
	int			 cpu = -1, ch, fd, n, i, want;
	cpu_set_t		 set;

	while ((ch = getopt(argc, argv, "d:p:n:t:r:s:c:b:S:")) != -1) {
		switch (ch) {
		case 'd': addr = optarg; break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'r': rate = strtoul(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 'S': sport = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (addr == NULL || port == 0 || port > 65535 || (count == 0 &&
	    seconds <= 0) || size < 8 || size > 65000 || batch == 0 ||
	    batch > MAXBATCH)
		usage();

	memset(&dst, 0, sizeof(dst));
	memset(&src, 0, sizeof(src));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&dst)->sin_addr)) {
		((struct sockaddr_in *)&dst)->sin_family = AF_INET;
		((struct sockaddr_in *)&dst)->sin_port = htons((uint16_t)port);
		((struct sockaddr_in *)&src)->sin_family = AF_INET;
		((struct sockaddr_in *)&src)->sin_port = htons((uint16_t)sport);
		dlen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr,
	    &((struct sockaddr_in6 *)&dst)->sin6_addr)) {
		((struct sockaddr_in6 *)&dst)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&dst)->sin6_port = htons((uint16_t)port);
		((struct sockaddr_in6 *)&src)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&src)->sin6_port = htons((uint16_t)sport);
		dlen = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "udpgen: bad address %s\n", addr);
		return 2;
	}
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) == -1) {
			perror("udpgen: sched_setaffinity");
			return 1;
		}
	}
	if ((fd = socket(dst.ss_family, SOCK_DGRAM, 0)) == -1) {
		perror("udpgen: socket");
		return 1;
	}
	if (sport != 0 && bind(fd, (struct sockaddr *)&src, dlen) == -1) {
		perror("udpgen: bind");
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&dst, dlen) == -1) {
		perror("udpgen: connect");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < MAXBATCH; i++) {
		memset(payload[i], 'x', size);
		iov[i].iov_base = payload[i];
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now_ns();
	if (seconds > 0)
		end = start + (uint64_t)(seconds * 1e9);
	for (;;) {
		t = now_ns();
		if ((count != 0 && sent >= count) || (end != 0 && t >= end))
			break;
		want = (int)batch;
		if (rate != 0) {
			due = (t - start) * rate / 1000000000ull + 1;
			if (due <= sent) {
				struct timespec ts = { 0, 20000 };

				nanosleep(&ts, NULL);
				continue;
			}
			if (due - sent < (uint64_t)want)
				want = (int)(due - sent);
		}
		if (count != 0 && count - sent < (uint64_t)want)
			want = (int)(count - sent);
		for (i = 0; i < want; i++) {
			uint64_t seq = sent + (uint64_t)i;

			memcpy(payload[i], &seq, sizeof(seq));
		}
		n = sendmmsg(fd, msgs, (unsigned)want, 0);
		if (n == -1) {
			if (errno == EINTR || errno == ENOBUFS ||
			    errno == EAGAIN || errno == ECONNREFUSED)
				continue;
			perror("udpgen: sendmmsg");
			return 1;
		}
		sent += (uint64_t)n;
	}
	t = now_ns() - start;
	printf("sent %llu\n", (unsigned long long)sent);
	fprintf(stderr, "udpgen: %llu datagrams of %lu bytes in %.3f s "
	    "(%.0f/s)\n", (unsigned long long)sent, size, (double)t / 1e9,
	    t != 0 ? (double)sent * 1e9 / (double)t : 0.0);
	return 0;
}
