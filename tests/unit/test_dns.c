/*
 * Unit tests for src/l7/dns.c: messages written out byte by byte, real
 * queries captured from dig, crafted names that loop, point forwards, hide
 * in the header or carry bytes a rule could not mean, and TCP streams cut
 * at every byte.  Every message is also parsed from a buffer of exactly
 * its size, so a read past it is a read past the allocation under ASan or
 * valgrind.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/dns.h"
#include "unit.h"

/*
 * Captured on 127.0.0.1 by a python3 listener that kept the bytes of the
 * first query (UDP datagram, or TCP length and message) and answered it,
 * from DiG 9.18.49 (Debian 12):
 *   dig @127.0.0.1 -p PORT www.Example.COM A		(real_udp_a)
 *   dig @127.0.0.1 -p PORT cloudflare.com HTTPS	(real_udp_https)
 *   dig @127.0.0.1 -p PORT . NS +norec			(real_udp_root)
 *   dig @127.0.0.1 -p PORT +tcp ipv6.google.com AAAA	(real_tcp_aaaa)
 * tshark 4.0.17 (tshark -i lo -p while dig ran, the port decoded as DNS)
 * shows each as "Standard query", opcode 0, 1 question, 1 additional
 * record (OPT, UDP payload size 1232, with a COOKIE option):
 *   real_udp_a: id 0x6c78, www.Example.COM, type 1 (A), class 0x0001,
 *     udp.length 64
 *   real_udp_https: id 0xc4ce, cloudflare.com, type 65 (HTTPS), class
 *     0x0001, udp.length 63
 *   real_udp_root: id 0x2316, <Root>, type 2 (NS), class 0x0001,
 *     udp.length 48 (RD clear: +norec)
 *   real_tcp_aaaa: id 0x10e9, ipv6.google.com, type 28 (AAAA), class
 *     0x0001, tcp.len 58 (the length prefix 0x0038 and 56 bytes)
 */
static const uint8_t real_udp_a[56] = {
	0x6c, 0x78, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x43, 0x4f, 0x4d, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29,
	0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08,
	0x3b, 0x82, 0xb7, 0x57, 0x9f, 0xbb, 0xeb, 0xde,
};
static const uint8_t real_udp_https[55] = {
	0xc4, 0xce, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x0a, 0x63, 0x6c, 0x6f, 0x75, 0x64, 0x66, 0x6c, 0x61, 0x72, 0x65, 0x03,
	0x63, 0x6f, 0x6d, 0x00, 0x00, 0x41, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04,
	0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08, 0xd6,
	0xc7, 0x80, 0x43, 0x36, 0x68, 0xfa, 0x8b,
};
static const uint8_t real_udp_root[40] = {
	0x23, 0x16, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08, 0x09, 0x6e, 0xdf, 0xde,
	0xaf, 0x79, 0x28, 0x73,
};
static const uint8_t real_tcp_aaaa[58] = {
	0x00, 0x38, 0x10, 0xe9, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x04, 0x69, 0x70, 0x76, 0x36, 0x06, 0x67, 0x6f, 0x6f, 0x67,
	0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00,
	0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a,
	0x00, 0x08, 0xde, 0x95, 0xe9, 0xdb, 0x59, 0xe4, 0x05, 0xee,
};

/* A query header: id 0x1234, RD, one question, no other records. */
#define HDR	"\x12\x34\x01\x00" "\x00\x01" "\x00\x00" "\x00\x00" "\x00\x00"
#define WWW	"\x03" "www" "\x07" "example" "\x03" "com" "\x00"
#define A_IN	"\x00\x01" "\x00\x01"
/* Labels of 63, 62 and 61 bytes, and their text. */
#define A9	"aaaaaaaaa"
#define B9	"bbbbbbbbb"
#define TXT63	A9 A9 A9 A9 A9 A9 A9
#define TXT62	B9 B9 B9 B9 B9 B9 "bbbbbbbb"
#define TXT61	B9 B9 B9 B9 B9 B9 "bbbbbbb"
#define LBL63	"\x3f" TXT63
#define LBL62	"\x3e" TXT62
#define LBL61	"\x3d" TXT61

/* A string literal and its length without the terminating NUL. */
#define B(s)	(const uint8_t *)(s), sizeof(s) - 1

/* The rest of a case that is BAD for the reason NFQD_DNS_R_<why>. */
#define BAD(why)	NFQD_L7_BAD, NFQD_DNS_R_##why, NULL, 0, 0, 0

struct dcase {
	const char	*name;
	const uint8_t	*msg;
	size_t		 len;
	enum nfqd_l7_res res;
	uint8_t		 why;
	const char	*qname;
	uint16_t	 qtype, qclass, qdcount;
};

static const struct dcase	cases[] = {
	{ "A query", B(HDR WWW A_IN), NFQD_L7_DONE, 0, "www.example.com", 1, 1,
	  1 },
	{ "AAAA query", B(HDR WWW "\x00\x1c" "\x00\x01"), NFQD_L7_DONE, 0,
	  "www.example.com", 28, 1, 1 },
	{ "HTTPS query", B(HDR WWW "\x00\x41" "\x00\x01"), NFQD_L7_DONE, 0,
	  "www.example.com", 65, 1, 1 },
	{ "CH TXT version.bind", B(HDR "\x07" "version" "\x04" "bind" "\x00"
	  "\x00\x10" "\x00\x03"), NFQD_L7_DONE, 0, "version.bind", 16, 3, 1 },
	{ "root NS", B(HDR "\x00" "\x00\x02" "\x00\x01"), NFQD_L7_DONE, 0, "",
	  2, 1, 1 },
	{ "upper case folded", B(HDR "\x03" "WwW" "\x07" "ExAmPlE" "\x03" "COM"
	  "\x00" A_IN), NFQD_L7_DONE, 0, "www.example.com", 1, 1, 1 },
	{ "printable punctuation kept", B(HDR "\x05" "_x-*\\" "\x00" A_IN),
	  NFQD_L7_DONE, 0, "_x-*\\", 1, 1, 1 },
	{ "label 63", B(HDR LBL63 "\x00" A_IN), NFQD_L7_DONE, 0, TXT63, 1, 1,
	  1 },
	{ "name 255 wire bytes", B(HDR LBL63 LBL63 LBL63 LBL61 "\x00" A_IN),
	  NFQD_L7_DONE, 0, TXT63 "." TXT63 "." TXT63 "." TXT61, 1, 1, 1 },
	{ "EDNS OPT in additional ignored", B("\x12\x34\x01\x00\x00\x01\x00\x00"
	  "\x00\x00\x00\x01" WWW A_IN "\x00" "\x00\x29" "\x04\xd0" "\x00\x00"
	  "\x00\x00" "\x00\x00"), NFQD_L7_DONE, 0, "www.example.com", 1, 1, 1 },
	{ "trailing bytes ignored", B(HDR WWW A_IN "\xff\xff\xff"),
	  NFQD_L7_DONE, 0, "www.example.com", 1, 1, 1 },
	{ "qdcount 0", B("\x12\x34\x01\x00" "\x00\x00" "\x00\x00\x00\x00\x00"
	  "\x00"), NFQD_L7_DONE, 0, "", 0, 0, 0 },
	{ "qdcount 0 with bytes after", B("\x12\x34\x01\x00" "\x00\x00"
	  "\x00\x00\x00\x00\x00\x01" "\x00\x00\x29\x04\xd0\x00\x00\x00\x00"
	  "\x00\x00"), NFQD_L7_DONE, 0, "", 0, 0, 0 },
	{ "response, compressed answer", B("\x12\x34\x81\x80\x00\x01\x00\x01"
	  "\x00\x00\x00\x00" WWW A_IN "\xc0\x0c" A_IN "\x00\x00\x00\x3c"
	  "\x00\x04" "\xc0\x00\x02\x01"), NFQD_L7_DONE, 0, "www.example.com",
	  1, 1, 1 },

	/* Evasion and malformed shapes. */
	{ "qdcount 2", B("\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00"
	  WWW A_IN "\x03" "bad" "\x00" A_IN), BAD(QDCOUNT) },
	{ "qdcount 0xffff", B("\x12\x34\x01\x00\xff\xff\x00\x00\x00\x00\x00\x00"
	  WWW A_IN), BAD(QDCOUNT) },
	{ "pointer to itself", B(HDR "\xc0\x0c" A_IN), BAD(POINTER) },
	{ "pointer loop through a label", B(HDR "\x01" "a" "\xc0\x0c" A_IN),
	  BAD(NAME_LEN) },
	{ "pointer loop, two labels", B(HDR "\x01" "a" "\x02" "bb" "\xc0\x0e"
	  A_IN), BAD(NAME_LEN) },
	{ "forward pointer", B(HDR "\x01" "a" "\xc0\x14" A_IN "\x01" "b"
	  "\x00"), BAD(POINTER) },
	{ "pointer into the header", B("\x12\x34\x01\x00\x00\x01\x01" "a"
	  "\x00\x00\x00\x00" "\x01" "b" "\xc0\x06" A_IN), BAD(POINTER) },
	{ "pointer to offset 0", B(HDR "\xc0\x00" A_IN), BAD(POINTER) },
	{ "pointer cut", B(HDR "\x01" "a" "\xc0"), BAD(SHORT) },
	{ "label 64 (type 01)", B(HDR "\x40" TXT63 "a" "\x00" A_IN),
	  BAD(LABEL_TYPE) },
	{ "label type 10", B(HDR "\x80" "\x00" A_IN), BAD(LABEL_TYPE) },
	{ "label type 01 (EDNS0 extended)", B(HDR "\x41" "\x00" A_IN),
	  BAD(LABEL_TYPE) },
	{ "name 256 wire bytes", B(HDR LBL63 LBL63 LBL63 LBL62 "\x00" A_IN),
	  BAD(NAME_LEN) },
	{ "dot in label", B(HDR "\x0b" "www.example" "\x03" "com" "\x00" A_IN),
	  BAD(NAME_BYTE) },
	{ "NUL in label", B(HDR "\x07" "bad\0com" "\x00" A_IN), BAD(NAME_BYTE) },
	{ "0x80 byte in label", B(HDR "\x03" "b\x80" "d" "\x00" A_IN),
	  BAD(NAME_BYTE) },
	{ "space in label", B(HDR "\x03" "b d" "\x00" A_IN), BAD(NAME_BYTE) },
	{ "DEL in label", B(HDR "\x03" "b\x7f" "d" "\x00" A_IN), BAD(NAME_BYTE) },
	{ "label past the end", B(HDR "\x05" "abc"), BAD(SHORT) },
	{ "no root label", B(HDR "\x03" "www"), BAD(SHORT) },
	{ "no question bytes", B(HDR), BAD(SHORT) },
	{ "qtype missing", B(HDR WWW), BAD(SHORT) },
	{ "qclass missing", B(HDR WWW "\x00\x01"), BAD(SHORT) },
	{ "qclass cut", B(HDR WWW "\x00\x01\x00"), BAD(SHORT) },
	{ "header cut", B("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00"),
	  BAD(SHORT) },
	{ "empty", B(""), BAD(SHORT) },
};

/* msg parsed from a buffer of exactly len bytes. */
static enum nfqd_l7_res
parse_exact(const uint8_t *msg, size_t len, struct nfqd_dns_query *q)
{
	enum nfqd_l7_res	 r;
	uint8_t			*copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, msg, len);
	r = nfqd_dns_msg_parse(copy, len, q);
	free(copy);
	return r;
}

static enum nfqd_l7_res
tcp_exact(const uint8_t *buf, size_t len, struct nfqd_dns_query *q,
    size_t *used)
{
	enum nfqd_l7_res	 r;
	uint8_t			*copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, buf, len);
	r = nfqd_dns_tcp_parse(copy, len, q, used);
	free(copy);
	return r;
}

static bool
all_zero_but_why(const struct nfqd_dns_query *q)
{
	struct nfqd_dns_query	z;

	memset(&z, 0, sizeof(z));
	z.why = q->why;
	return memcmp(&z, q, sizeof(z)) == 0;
}

static void
test_cases(void)
{
	struct nfqd_dns_query	q;
	size_t			i;
	enum nfqd_l7_res	r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dcase	*c = &cases[i];

		memset(&q, 0xa5, sizeof(q));
		r = parse_exact(c->msg, c->len, &q);
		CHECK_INT_EQ(r, c->res, unit_fmt("%s: result", c->name));
		CHECKF(q.why == c->why, unit_fmt("%s: why", c->name),
		    "got %u (%s), expected %u (%s)", q.why,
		    nfqd_dns_why_str(q.why), c->why, nfqd_dns_why_str(c->why));
		if (c->res != NFQD_L7_DONE) {
			CHECK(all_zero_but_why(&q),
			    unit_fmt("%s: fields zero", c->name));
			continue;
		}
		CHECK_STR_EQ(q.qname, c->qname, unit_fmt("%s: qname", c->name));
		CHECK_UINT_EQ(q.qname_len, strlen(c->qname),
		    unit_fmt("%s: qname_len", c->name));
		CHECK_UINT_EQ(q.qtype, c->qtype, unit_fmt("%s: qtype", c->name));
		CHECK_UINT_EQ(q.qclass, c->qclass,
		    unit_fmt("%s: qclass", c->name));
		CHECK_UINT_EQ(q.qdcount, c->qdcount,
		    unit_fmt("%s: qdcount", c->name));
		CHECK_UINT_EQ(q.id, 0x1234, unit_fmt("%s: id", c->name));
	}
}

/* The header's fields: QR, opcode, id. */
static void
test_header(void)
{
	static const uint8_t	resp[] = HDR WWW A_IN;
	uint8_t			m[sizeof(resp) - 1];
	struct nfqd_dns_query	q;

	memcpy(m, resp, sizeof(m));
	m[2] = 0x81;		/* QR, opcode 0, RD */
	m[3] = 0x83;		/* RA, NXDOMAIN */
	CHECK_INT_EQ(nfqd_dns_msg_parse(m, sizeof(m), &q), NFQD_L7_DONE,
	    "response: DONE");
	CHECK(q.response && q.opcode == 0, "response: QR set, opcode 0");
	CHECK_STR_EQ(q.qname, "www.example.com", "response: qname");
	m[2] = 0x28;		/* query, opcode 5 (UPDATE): the zone */
	m[0] = 0xbe;
	m[1] = 0xef;
	CHECK_INT_EQ(nfqd_dns_msg_parse(m, sizeof(m), &q), NFQD_L7_DONE,
	    "UPDATE: DONE");
	CHECK(!q.response && q.opcode == 5 && q.id == 0xbeef,
	    "UPDATE: opcode 5, id 0xbeef");
	m[2] = 0x78 | 0x80;	/* opcode 15, a response */
	CHECK_INT_EQ(nfqd_dns_msg_parse(m, sizeof(m), &q), NFQD_L7_DONE,
	    "opcode 15: DONE");
	CHECK(q.response && q.opcode == 15, "opcode 15: read");
}

/* Names after the question, where compression is at home. */
static void
test_name_read(void)
{
	static const uint8_t	msg[] = "\x12\x34\x81\x80\x00\x01\x00\x02"
	    "\x00\x00\x00\x00" WWW A_IN
	    /* 33: answer 1, the question's name */
	    "\xc0\x0c" A_IN "\x00\x00\x00\x3c" "\x00\x04" "\xc0\x00\x02\x01"
	    /* 49: answer 2, "FTP" then a pointer to "example.com" */
	    "\x03" "FTP" "\xc0\x10" A_IN "\x00\x00\x00\x3c" "\x00\x04"
	    "\xc0\x00\x02\x02";
	uint8_t			chain[12 + 1 + 2 * 129];
	char			name[NFQD_L7_NAME_MAX + 1];
	size_t			next = 0, i;
	uint8_t			why;
	int			n;

	n = nfqd_dns_name_read(msg, sizeof(msg) - 1, 33, name, &next, &why);
	CHECK_INT_EQ(n, 15, "pointer to earlier name: length");
	CHECK_STR_EQ(name, "www.example.com", "pointer to earlier name");
	CHECK_UINT_EQ(next, 35, "pointer to earlier name: next");
	n = nfqd_dns_name_read(msg, sizeof(msg) - 1, 49, name, &next, &why);
	CHECK_STR_EQ(name, "ftp.example.com",
	    "label then pointer into an earlier name");
	CHECK_UINT_EQ(next, 55, "label then pointer: next after the pointer");
	n = nfqd_dns_name_read(msg, sizeof(msg) - 1, 12, name, &next, &why);
	CHECK(n == 15 && next == 29, "uncompressed: next after the root label");
	n = nfqd_dns_name_read(msg, sizeof(msg) - 1, sizeof(msg) - 1, name,
	    &next, &why);
	CHECK(n == -1 && why == NFQD_DNS_R_SHORT, "offset at the end: SHORT");

	/*
	 * A chain of pointers, each to the one before, down to a root label
	 * at 12: 127 hops are followed, the 128th is a loop.
	 */
	memset(chain, 0, sizeof(chain));
	for (i = 0; i < 129; i++) {
		size_t	at = 13 + 2 * i, to = i == 0 ? 12 : at - 2;

		chain[at] = (uint8_t)(0xc0 | to >> 8);
		chain[at + 1] = (uint8_t)to;
	}
	n = nfqd_dns_name_read(chain, sizeof(chain), 13 + 2 * 126, name, &next,
	    &why);
	CHECK(n == 0 && name[0] == '\0' && next == 13 + 2 * 126 + 2,
	    "127 pointers: the root");
	n = nfqd_dns_name_read(chain, sizeof(chain), 13 + 2 * 127, name, &next,
	    &why);
	CHECK(n == -1 && why == NFQD_DNS_R_LOOP, "128 pointers: LOOP");
}

/* Every datagram length: whole messages only, never MORE. */
static void
test_udp_cut(const char *what, const uint8_t *msg, size_t len, size_t qend)
{
	struct nfqd_dns_query	q;
	size_t			k, bad = 0, done = 0;

	for (k = 0; k < len; k++) {
		enum nfqd_l7_res	r = parse_exact(msg, k, &q);

		if (r == NFQD_L7_BAD && k < qend)
			bad++;
		else if (r == NFQD_L7_DONE && k >= qend)
			done++;
	}
	CHECKF(bad == qend && done == len - qend,
	    unit_fmt("%s: cut short of the question BAD, after DONE", what),
	    "%zu BAD of %zu, %zu DONE of %zu", bad, qend, done, len - qend);
}

static void
test_real(void)
{
	struct nfqd_dns_query	q;
	size_t			used = 0;

	CHECK_INT_EQ(parse_exact(real_udp_a, sizeof(real_udp_a), &q),
	    NFQD_L7_DONE, "dig A: DONE");
	CHECK_STR_EQ(q.qname, "www.example.com", "dig A: qname folded");
	CHECK(q.qtype == 1 && q.qclass == 1 && q.id == 0x6c78 &&
	    !q.response && q.opcode == 0 && q.qdcount == 1,
	    "dig A: type 1, class 1, id 0x6c78, query");
	test_udp_cut("dig A", real_udp_a, sizeof(real_udp_a), 33);

	CHECK_INT_EQ(parse_exact(real_udp_https, sizeof(real_udp_https), &q),
	    NFQD_L7_DONE, "dig HTTPS: DONE");
	CHECK_STR_EQ(q.qname, "cloudflare.com", "dig HTTPS: qname");
	CHECK(q.qtype == 65 && q.qclass == 1 && q.id == 0xc4ce,
	    "dig HTTPS: type 65, class 1, id 0xc4ce");
	test_udp_cut("dig HTTPS", real_udp_https, sizeof(real_udp_https), 32);

	CHECK_INT_EQ(parse_exact(real_udp_root, sizeof(real_udp_root), &q),
	    NFQD_L7_DONE, "dig root: DONE");
	CHECK(q.qname[0] == '\0' && q.qname_len == 0 && q.qtype == 2 &&
	    q.qclass == 1 && q.id == 0x2316, "dig root: \"\", NS, id 0x2316");
	test_udp_cut("dig root", real_udp_root, sizeof(real_udp_root), 17);

	CHECK_INT_EQ(tcp_exact(real_tcp_aaaa, sizeof(real_tcp_aaaa), &q,
	    &used), NFQD_L7_DONE, "dig +tcp AAAA: DONE");
	CHECK_STR_EQ(q.qname, "ipv6.google.com", "dig +tcp AAAA: qname");
	CHECK(q.qtype == 28 && q.qclass == 1 && q.id == 0x10e9 && used == 58,
	    "dig +tcp AAAA: type 28, class 1, id 0x10e9, used 58");
}

/* Every prefix of a TCP stream: MORE, then DONE once the message is
 * whole, with the same fields at every larger length. */
static void
test_tcp_cut(const char *what, const uint8_t *buf, size_t len, size_t whole)
{
	struct nfqd_dns_query	q, ref;
	size_t			k, more = 0, done = 0, used;
	enum nfqd_l7_res	r;

	r = tcp_exact(buf, whole, &ref, &used);
	for (k = 0; k <= len; k++) {
		r = tcp_exact(buf, k, &q, &used);
		if (k < whole && r == NFQD_L7_MORE && used == 0 &&
		    all_zero_but_why(&q) && q.why == 0)
			more++;
		else if (k >= whole && r == NFQD_L7_DONE && used == whole &&
		    memcmp(&q, &ref, sizeof(q)) == 0)
			done++;
	}
	CHECKF(more == whole && done == len + 1 - whole,
	    unit_fmt("%s: every prefix MORE, then DONE", what),
	    "%zu MORE of %zu, %zu DONE of %zu", more, whole, done,
	    len + 1 - whole);
}

static void
test_tcp(void)
{
	static const uint8_t	two[] = "\x00\x21" HDR WWW A_IN
	    "\x00\x18" "\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	    "\x02" "io" "\x03" "org" "\x00" "\x00\x1c\x00\x01";
	static const uint8_t	len0[] = "\x00\x00" HDR WWW A_IN;
	static const uint8_t	len11[] = "\x00\x0b" HDR WWW A_IN;
	static const uint8_t	len12[] = "\x00\x0c" "\x12\x34\x01\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x00";
	static const uint8_t	shortq[] = "\x00\x1f" HDR WWW "\x00\x01"
	    "\x00\x01";
	static const uint8_t	bad2[] = "\x00\x21" HDR "\x03" "w w" "\x07"
	    "example" "\x03" "com" "\x00" A_IN;
	struct nfqd_dns_query	q;
	size_t			used = 99;

	test_tcp_cut("dig +tcp AAAA", real_tcp_aaaa, sizeof(real_tcp_aaaa),
	    sizeof(real_tcp_aaaa));
	test_tcp_cut("two messages, the first", two, sizeof(two) - 1, 35);

	CHECK_INT_EQ(tcp_exact(two, sizeof(two) - 1, &q, &used), NFQD_L7_DONE,
	    "two messages: first DONE");
	CHECK(used == 35 && strcmp(q.qname, "www.example.com") == 0,
	    "two messages: first www.example.com, used 35");
	CHECK_INT_EQ(tcp_exact(two + used, sizeof(two) - 1 - used, &q, &used),
	    NFQD_L7_DONE, "two messages: second DONE");
	CHECK(used == 26 && strcmp(q.qname, "io.org") == 0 && q.qtype == 28 &&
	    q.id == 0xabcd, "two messages: second io.org AAAA, used 26");

	CHECK_INT_EQ(tcp_exact(len0, 1, &q, &used), NFQD_L7_MORE,
	    "length 0, one byte: MORE");
	CHECK_INT_EQ(tcp_exact(len0, 2, &q, &used), NFQD_L7_BAD,
	    "length 0: BAD at 2 bytes");
	CHECK(q.why == NFQD_DNS_R_TCP_LEN && used == 0, "length 0: TCP_LEN");
	CHECK_INT_EQ(tcp_exact(len11, sizeof(len11) - 1, &q, &used),
	    NFQD_L7_BAD, "length 11: BAD");
	CHECK(q.why == NFQD_DNS_R_TCP_LEN, "length 11: TCP_LEN");
	CHECK_INT_EQ(tcp_exact(len12, sizeof(len12) - 1, &q, &used),
	    NFQD_L7_DONE, "length 12, no question: DONE");
	CHECK(used == 14 && q.qdcount == 0, "length 12: used 14, qdcount 0");
	/* The length says the message ends before qclass. */
	CHECK_INT_EQ(tcp_exact(shortq, sizeof(shortq) - 1, &q, &used),
	    NFQD_L7_BAD, "length short of qclass: BAD");
	CHECK(q.why == NFQD_DNS_R_SHORT && used == 0,
	    "length short of qclass: SHORT, used 0");
	CHECK_INT_EQ(tcp_exact(shortq, 20, &q, &used), NFQD_L7_MORE,
	    "length short of qclass, not all there: MORE");
	CHECK_INT_EQ(tcp_exact(bad2, sizeof(bad2) - 1, &q, &used),
	    NFQD_L7_BAD, "space in a label over TCP: BAD");
	CHECK(q.why == NFQD_DNS_R_NAME_BYTE, "space in a label over TCP: why");
}

static void
test_why_str(void)
{
	unsigned	w;
	bool		ok = true;

	for (w = 0; w < NFQD_DNS_R_MAX; w++)
		if (nfqd_dns_why_str(w) == NULL ||
		    strcmp(nfqd_dns_why_str(w), "unknown") == 0)
			ok = false;
	CHECK(ok, "every why has words");
	CHECK_STR_EQ(nfqd_dns_why_str(NFQD_DNS_R_MAX), "unknown",
	    "why out of range");
}

int
main(void)
{
	test_cases();
	test_header();
	test_name_read();
	test_real();
	test_tcp();
	test_why_str();
	return unit_done();
}
