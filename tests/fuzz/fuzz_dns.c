/*
 * libFuzzer target for nfqd_dns_msg_parse() and nfqd_dns_tcp_parse().
 *
 * Input: one byte that picks the form (low bit 0: a UDP datagram, 1: a TCP
 * stream at a message boundary), then the bytes.  The bytes are the tail
 * of libFuzzer's buffer, so a read past len is a read past the
 * allocation.  Besides "no crash", it asserts what the header promises:
 *   - a datagram is DONE or BAD, never MORE or NOT; on BAD every field
 *     but why is zero;
 *   - DONE: id, QR and opcode are the header's; qdcount is the header's,
 *     0 or 1, and 0 means no name and no type; qname_len is strlen(qname);
 *     the name re-normalizes to itself, its labels are 1 to 63 bytes;
 *   - a datagram that is DONE at a prefix is DONE with the same fields
 *     whole (bytes after the question are not looked at), and the same
 *     message behind a TCP length gives the same answer;
 *   - TCP: DONE has used = 2 + the length, used <= len, and the fields of
 *     the message alone; every shorter prefix is MORE with used 0; once
 *     DONE or BAD, a longer prefix says the same;
 *   - nothing depends on what out held before.
 *
 *   make fuzz; d=$(mktemp -d); cp -r tests/fuzz/corpus/dns/. $d
 *   build/fuzz/fuzz_dns -max_total_time=60 -rss_limit_mb=2048 $d
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/dns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

struct guarded {
	uint8_t			before[32];
	struct nfqd_dns_query	q;
	uint8_t			after[32];
};

static bool
all(const void *p, size_t n, uint8_t v)
{
	const uint8_t	*b = p;

	while (n-- > 0)
		if (*b++ != v)
			return false;
	return true;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
check_zero_but_why(const struct nfqd_dns_query *q)
{
	struct nfqd_dns_query	z;

	memcpy(&z, q, sizeof(z));
	z.why = 0;
	ASSERT(all(&z, sizeof(z), 0));
}

static void
check_done(const struct nfqd_dns_query *q, const uint8_t *msg, size_t len)
{
	char	norm[NFQD_L7_NAME_MAX + 1];
	size_t	i, label = 0;

	ASSERT(q->why == NFQD_DNS_R_NONE);
	ASSERT(len >= NFQD_DNS_HDR);
	ASSERT(q->id == get16(msg));
	ASSERT(q->response == !!(msg[2] & 0x80));
	ASSERT(q->opcode == ((msg[2] >> 3) & 0x0f));
	ASSERT(q->qdcount == get16(msg + 4) && q->qdcount <= 1);
	ASSERT(q->qname_len == strlen(q->qname));
	ASSERT(q->qname_len <= NFQD_L7_NAME_MAX);
	if (q->qdcount == 0)
		ASSERT(q->qname_len == 0 && q->qtype == 0 && q->qclass == 0);
	else
		ASSERT(len >= NFQD_DNS_HDR + 5);
	if (q->qname_len == 0)
		return;
	ASSERT(nfqd_l7_name_norm(norm, (const uint8_t *)q->qname,
	    q->qname_len) == q->qname_len);
	ASSERT(strcmp(norm, q->qname) == 0);
	for (i = 0; i <= q->qname_len; i++) {
		if (i == q->qname_len || q->qname[i] == '.') {
			ASSERT(label >= 1 && label <= NFQD_DNS_LABEL_MAX);
			label = 0;
		} else
			label++;
	}
}

static void
check_msg(const uint8_t *msg, size_t len, uint8_t pick)
{
	static struct guarded	 g1, g2;
	enum nfqd_l7_res	 r, r2;
	uint8_t			*framed;
	size_t			 k, used;

	memset(&g1, 0x5a, sizeof(g1));
	r = nfqd_dns_msg_parse(msg, len, &g1.q);
	ASSERT(all(g1.before, sizeof(g1.before), 0x5a));
	ASSERT(all(g1.after, sizeof(g1.after), 0x5a));
	ASSERT(r == NFQD_L7_DONE || r == NFQD_L7_BAD);
	ASSERT(g1.q.why < NFQD_DNS_R_MAX);
	ASSERT((r == NFQD_L7_DONE) == (g1.q.why == NFQD_DNS_R_NONE));
	ASSERT(g1.q.why != NFQD_DNS_R_TCP_LEN);
	ASSERT(strcmp(nfqd_dns_why_str(g1.q.why), "unknown") != 0);
	if (r == NFQD_L7_DONE)
		check_done(&g1.q, msg, len);
	else
		check_zero_but_why(&g1.q);

	memset(&g2, 0xa5, sizeof(g2));
	ASSERT(nfqd_dns_msg_parse(msg, len, &g2.q) == r);
	ASSERT(memcmp(&g1.q, &g2.q, sizeof(g1.q)) == 0);

	/* A prefix that is DONE says what the whole says. */
	if (len > 0) {
		k = (size_t)(pick * 131u + msg[len - 1]) % len;
		if (nfqd_dns_msg_parse(msg, k, &g2.q) == NFQD_L7_DONE) {
			ASSERT(r == NFQD_L7_DONE);
			ASSERT(memcmp(&g1.q, &g2.q, sizeof(g1.q)) == 0);
		}
	}

	/* The same message behind a TCP length. */
	if (len <= 0xffff) {
		framed = malloc(len + 2);
		ASSERT(framed != NULL);
		framed[0] = (uint8_t)(len >> 8);
		framed[1] = (uint8_t)len;
		memcpy(framed + 2, msg, len);
		r2 = nfqd_dns_tcp_parse(framed, len + 2, &g2.q, &used);
		free(framed);
		ASSERT(r2 == r);
		if (len >= NFQD_DNS_HDR)
			ASSERT(memcmp(&g1.q, &g2.q, sizeof(g1.q)) == 0);
		ASSERT(used == (r == NFQD_L7_DONE ? len + 2 : 0));
	}
}

static void
check_tcp(const uint8_t *buf, size_t len, uint8_t pick)
{
	static struct guarded	 g1, g2;
	struct nfqd_dns_query	 m;
	enum nfqd_l7_res	 r, r2;
	uint8_t			*copy;
	size_t			 used = 99, used2, k;

	memset(&g1, 0x5a, sizeof(g1));
	r = nfqd_dns_tcp_parse(buf, len, &g1.q, &used);
	ASSERT(all(g1.before, sizeof(g1.before), 0x5a));
	ASSERT(all(g1.after, sizeof(g1.after), 0x5a));
	ASSERT(r == NFQD_L7_MORE || r == NFQD_L7_DONE || r == NFQD_L7_BAD);
	ASSERT((r == NFQD_L7_BAD) == (g1.q.why != NFQD_DNS_R_NONE));
	if (r != NFQD_L7_DONE) {
		ASSERT(used == 0);
		check_zero_but_why(&g1.q);
	}
	if (r == NFQD_L7_MORE)
		ASSERT(len < 2 || (get16(buf) >= NFQD_DNS_HDR &&
		    len - 2 < get16(buf)));
	if (r == NFQD_L7_BAD && g1.q.why == NFQD_DNS_R_TCP_LEN)
		ASSERT(len >= 2 && get16(buf) < NFQD_DNS_HDR);
	if (r == NFQD_L7_DONE) {
		ASSERT(len >= 2 && used == 2u + get16(buf) && used <= len);
		check_done(&g1.q, buf + 2, used - 2);
		ASSERT(nfqd_dns_msg_parse(buf + 2, used - 2, &m) ==
		    NFQD_L7_DONE);
		ASSERT(memcmp(&m, &g1.q, sizeof(m)) == 0);
	}

	memset(&g2, 0xa5, sizeof(g2));
	ASSERT(nfqd_dns_tcp_parse(buf, len, &g2.q, &used2) == r);
	ASSERT(used2 == used && memcmp(&g1.q, &g2.q, sizeof(g1.q)) == 0);

	/* Prefixes, from copies of exactly their size: one byte short of
	   DONE, and one the input picks. */
	if (r == NFQD_L7_DONE) {
		copy = malloc(used - 1);
		ASSERT(copy != NULL);
		memcpy(copy, buf, used - 1);
		ASSERT(nfqd_dns_tcp_parse(copy, used - 1, &g2.q, &used2) ==
		    NFQD_L7_MORE && used2 == 0);
		free(copy);
	}
	if (len > 0) {
		k = (size_t)(pick * 131u + buf[len - 1]) % len;
		copy = malloc(k > 0 ? k : 1);
		ASSERT(copy != NULL);
		memcpy(copy, buf, k);
		r2 = nfqd_dns_tcp_parse(copy, k, &g2.q, &used2);
		free(copy);
		if (r == NFQD_L7_DONE && k < used)
			ASSERT(r2 == NFQD_L7_MORE);
		if (r2 != NFQD_L7_MORE) {
			ASSERT(r2 == r && used2 == used);
			ASSERT(memcmp(&g1.q, &g2.q, sizeof(g1.q)) == 0);
		}
	}

	/* The next message, as the daemon would read it. */
	if (r == NFQD_L7_DONE && used < len)
		nfqd_dns_tcp_parse(buf + used, len - used, &g2.q, &used2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size < 1)
		return 0;
	if (in[0] & 1)
		check_tcp(in + 1, size - 1, in[0]);
	else
		check_msg(in + 1, size - 1, in[0]);
	return 0;
}
