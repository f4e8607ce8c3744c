/*
 * udpecho: round-trip time of UDP probes, for nfqd's benchmark.
 *
 *   udpecho -l -p PORT [-c CPU]
 *       server: echo every datagram back to its sender, until SIGTERM.
 *   udpecho -d ADDR -p PORT [-n COUNT] [-i USEC] [-s SIZE] [-w MSEC] [-c CPU]
 *       client: send COUNT probes (default 1000), one every USEC
 *       microseconds (default 1000), each carrying its sequence number and
 *       its send time (CLOCK_MONOTONIC); time each reply on receipt; after
 *       the last probe wait MSEC (default 500) for late replies.  Prints
 *       one line:
 *         probes N received N lost N min_us X p50_us X p90_us X p99_us X max_us X
 *         p999_us X
 *       (p999 last, so that the fields before it keep their places).
 *
 * -c pins the process to a CPU.  The RTT includes the client's own wake-up
 * on the reply (it blocks in ppoll), the same for every path measured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXSIZE		65000
#define MINSIZE		16	/* sequence number and send time */

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
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
	fprintf(stderr, "usage: udpecho -l -p PORT [-c CPU]\n"
	    "       udpecho -d ADDR -p PORT [-n COUNT] [-i USEC] [-s SIZE] "
	    "[-w MSEC] [-c CPU]\n");
	exit(2);
}

static int
pin(int cpu)
{
	cpu_set_t	set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1) {
		perror("udpecho: sched_setaffinity");
		return -1;
	}
	return 0;
}

/* addr NULL: the wildcard address (server). */
static int
make_addr(const char *addr, unsigned long port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (addr == NULL || inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	fprintf(stderr, "udpecho: bad address %s\n", addr);
	return -1;
}

static int
server(unsigned long port)
{
	static char		buf[MAXSIZE];
	struct sockaddr_storage	ss, from;
	struct sigaction	act;
	socklen_t		len, flen;
	ssize_t			n;
	int			fd, one = 1;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	/* IPv6 socket without V6ONLY: serves IPv4 too. */
	memset(&ss, 0, sizeof(ss));
	((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	len = sizeof(struct sockaddr_in6);
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1) {
		/* No IPv6 in this kernel: IPv4 only. */
		make_addr(NULL, port, &ss, &len);
		if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1) {
			perror("udpecho: socket");
			return 1;
		}
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		perror("udpecho: bind");
		return 1;
	}
	while (!stop) {
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &flen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("udpecho: recvfrom");
			return 1;
		}
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
		    flen) == -1 && errno != EINTR && errno != ENOBUFS &&
		    errno != EAGAIN)
			perror("udpecho: sendto");
	}
	close(fd);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values, in microseconds. */
static double
pct(const uint64_t *v, size_t n, double p)
{
	size_t	k;

	if (n == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1000.0;
}

/* Read every reply waiting on fd; record its RTT. */
static void
drain(int fd, char *buf, size_t size, uint64_t count, uint64_t *rtt,
    bool *seen, uint64_t *got)
{
	uint64_t	seq, sent, t;
	ssize_t		n;

	for (;;) {
		n = recv(fd, buf, size, MSG_DONTWAIT);
		if (n == -1)
			return;		/* EAGAIN, or an ICMP error: retry later */
		if (n < MINSIZE)
			continue;
		t = now_ns();
		memcpy(&seq, buf, sizeof(seq));
		memcpy(&sent, buf + sizeof(seq), sizeof(sent));
		if (seq >= count || seen[seq] || t < sent)
			continue;
		seen[seq] = true;
		rtt[(*got)++] = t - sent;
	}
}

static int
client(const char *addr, unsigned long port, uint64_t count, uint64_t usec,
    size_t size, uint64_t wait_ms)
{
	static char		 buf[MAXSIZE];
	struct sockaddr_storage	 ss;
	struct pollfd		 pfd;
	struct timespec		 ts;
	socklen_t		 len;
	uint64_t		*rtt, start, next, t, end, sent = 0, got = 0;
	bool			*seen;
	int			 fd;

	if (make_addr(addr, port, &ss, &len) == -1)
		return 2;
	rtt = calloc(count, sizeof(*rtt));
	seen = calloc(count, sizeof(*seen));
	if (rtt == NULL || seen == NULL) {
		perror("udpecho: calloc");
		return 1;
	}
	if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) == -1) {
		perror("udpecho: socket");
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		perror("udpecho: connect");
		return 1;
	}
	memset(buf, 'p', size);
	pfd.fd = fd;
	pfd.events = POLLIN;
	start = now_ns();
	next = start;
	end = 0;
	for (;;) {
		t = now_ns();
		if (sent < count && t >= next) {
			memcpy(buf, &sent, sizeof(sent));
			memcpy(buf + sizeof(sent), &t, sizeof(t));
			/* A refused or dropped probe simply counts as lost. */
			(void)send(fd, buf, size, 0);
			sent++;
			next += usec * 1000;
			if (sent == count)
				end = now_ns() + wait_ms * 1000000ull;
			continue;
		}
		if (got == count || (end != 0 && t >= end))
			break;
		t = (sent < count ? next : end) - t;
		ts.tv_sec = (time_t)(t / 1000000000ull);
		ts.tv_nsec = (long)(t % 1000000000ull);
		if (ppoll(&pfd, 1, &ts, NULL) > 0)
			drain(fd, buf, sizeof(buf), count, rtt, seen, &got);
	}
	close(fd);

	qsort(rtt, (size_t)got, sizeof(*rtt), cmp_u64);
	printf("probes %llu received %llu lost %llu min_us %.1f p50_us %.1f "
	    "p90_us %.1f p99_us %.1f max_us %.1f p999_us %.1f\n",
	    (unsigned long long)count, (unsigned long long)got,
	    (unsigned long long)(count - got), pct(rtt, (size_t)got, 0),
	    pct(rtt, (size_t)got, 50), pct(rtt, (size_t)got, 90),
	    pct(rtt, (size_t)got, 99), pct(rtt, (size_t)got, 100),
	    pct(rtt, (size_t)got, 99.9));
	free(rtt);
	free(seen);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*addr = NULL;
	unsigned long	 port = 0;
	uint64_t	 count = 1000, usec = 1000, wait_ms = 500;
	size_t		 size = 64;
	bool		 listen_mode = false;
	int		 ch, cpu = -1;

	while ((ch = getopt(argc, argv, "ld:p:n:i:s:w:c:")) != -1) {
		switch (ch) {
		case 'l': listen_mode = true; break;
		case 'd': addr = optarg; break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'i': usec = strtoull(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'w': wait_ms = strtoull(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		default: usage();
		}
	}
	if (port == 0 || port > 65535 || (!listen_mode && (addr == NULL ||
	    count == 0 || count > 100000000 || size < MINSIZE ||
	    size > MAXSIZE)))
		usage();
	if (pin(cpu) == -1)
		return 1;
	if (listen_mode)
		return server(port);
	return client(addr, port, count, usec, size, wait_ms);
}
