/*
 * ClientHellos and the TCP segments that carry them (hello.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hello.h"

uint64_t	hello_seed = 0x9e3779b97f4a7c15ull;
uint64_t
hello_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
hello_rnd(void)
{
	hello_seed ^= hello_seed << 13;
	hello_seed ^= hello_seed >> 7;
	hello_seed ^= hello_seed << 17;
	return hello_seed;
}

static void
names_add(struct hello_names *s, const char *w, size_t len)
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
	fprintf(stderr, "hello: out of memory\n");
	exit(1);
}

/*
 * Every name of a list file: words up to a '#', an address word (a hosts
 * file's) skipped, a leading '=' taken off.
 */
void
hello_names_read(struct hello_names *s, const char *path)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		*line = NULL, *w, *save, *hash;
	size_t		 cap = 0;
	FILE		*fp;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "hello: %s: %s\n", path, strerror(errno));
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
			if (*w != '\0' && strlen(w) <= HELLO_NAME_MAX)
				names_add(s, w, strlen(w));
		}
	}
	free(line);
	fclose(fp);
	if (s->n == 0) {
		fprintf(stderr, "hello: %s: no names\n", path);
		exit(1);
	}
}

/*
 * A name no list holds, shaped like the generated lists' (1-3 labels of
 * 3-15 bytes, then a top-level domain), but under 20 top-level domains
 * the generated lists (bench_names, bench_l7.sh) never use: neither it
 * nor a parent of it is in them.
 */
size_t
hello_made_up(char *buf)
{
	static const char	chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	static const char *const tld[] = {
		"ca", "au", "es", "pl", "se", "ch", "in", "kr", "tv", "me",
		"be", "at", "dk", "no", "fi", "cz", "pt", "gr", "hu", "ro",
	};
	size_t		n = 0, len, i;
	unsigned	labels = 1 + (unsigned)(hello_rnd() % 3), l;

	for (l = 0; l < labels; l++) {
		len = 3 + hello_rnd() % 13;
		for (i = 0; i < len; i++)
			buf[n++] = chars[hello_rnd() % (sizeof(chars) - 1)];
		buf[n++] = '.';
	}
	l = (unsigned)(hello_rnd() % 20);
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

uint8_t *
hello_put32(uint8_t *p, uint32_t v)
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
		r = hello_rnd();
		for (i = 0; i < 8 && n > 0; i++, n--) {
			*p++ = (uint8_t)r;
			r >>= 8;
		}
	}
	return p;
}

/* A TLS record holding a ClientHello for name; its length. */
size_t
hello_client(uint8_t *out, const char *name, size_t nlen)
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
	hello_put32(hs, 0x01000000u | (uint32_t)(len - 4));
	put16(out + 3, len);
	return (size_t)(p - out);
}

uint16_t
hello_csum(const uint8_t *buf, size_t len, uint32_t sum)
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
size_t
hello_tcp_packet(uint8_t *pkt, uint32_t saddr, uint32_t daddr, uint16_t sport,
    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
    const uint8_t *opt, size_t optlen, const uint8_t *pay, size_t paylen)
{
	uint8_t		*ip = pkt, *th = pkt + 20;
	size_t		 thlen = 20 + optlen, len = 20 + thlen + paylen;
	uint32_t	 sum;

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, len);
	put16(ip + 4, (unsigned)(hello_rnd() & 0xffff));	/* id */
	put16(ip + 6, 0x4000);				/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	put16(ip + 10, 0);
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, hello_csum(ip, 20, 0));

	put16(th, sport);
	put16(th + 2, dport);
	hello_put32(th + 4, seq);
	hello_put32(th + 8, ack);
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
	put16(th + 16, hello_csum(th, thlen + paylen, sum));
	return len;
}

