/*
 * The DNS message parser (include/nfqd/l7/dns.h says what it accepts).
 *
 * The question's name is read label by label with compression pointers
 * followed; each pointer must go strictly backwards and stay out of the
 * header, so the walk cannot loop for long, and the hop count and the
 * wire length (255 bytes) end it.  Every offset is held against len
 * before a byte is read.  The dotted text is built on the stack (254
 * bytes at most) and normalized into the caller's buffer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/l7/dns.h"
#include "nfqd/netorder.h"

static const char *const whys[NFQD_DNS_R_MAX] = {
	[NFQD_DNS_R_NONE] = "no problem",
	[NFQD_DNS_R_SHORT] = "message ends inside the header or question",
	[NFQD_DNS_R_TCP_LEN] = "TCP length prefix under 12",
	[NFQD_DNS_R_QDCOUNT] = "more than one question",
	[NFQD_DNS_R_LABEL_TYPE] = "extended or reserved label type",
	[NFQD_DNS_R_POINTER] = "compression pointer not backwards, or into "
	    "the header",
	[NFQD_DNS_R_LOOP] = "over 127 compression pointers",
	[NFQD_DNS_R_NAME_LEN] = "name over 255 bytes",
	[NFQD_DNS_R_NAME_BYTE] = "dot, space, control or non-ASCII byte in "
	    "a label",
};

static int
refuse(uint8_t *why, enum nfqd_dns_why w)
{
	*why = (uint8_t)w;
	return -1;
}

int
nfqd_dns_name_read(const uint8_t *msg, size_t len, size_t off, char *dst,
    size_t *next, uint8_t *why)
{
	/* Label bytes and dots: at most 253 within 255 wire bytes. */
	uint8_t	text[NFQD_DNS_WIRE_NAME_MAX];
	size_t	tl = 0, wire = 1, pos = off, end = 0, ptr, i;
	unsigned hops = 0;
	uint8_t	c;

	*why = NFQD_DNS_R_NONE;
	for (;;) {
		if (pos >= len)
			return refuse(why, NFQD_DNS_R_SHORT);
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (len - pos < 2)
				return refuse(why, NFQD_DNS_R_SHORT);
			ptr = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (ptr >= pos || ptr < NFQD_DNS_HDR)
				return refuse(why, NFQD_DNS_R_POINTER);
			if (++hops > NFQD_DNS_HOPS_MAX)
				return refuse(why, NFQD_DNS_R_LOOP);
			if (end == 0)
				end = pos + 2;
			pos = ptr;
			continue;
		}
		if (c & 0xc0)
			return refuse(why, NFQD_DNS_R_LABEL_TYPE);
		if (c == 0)
			break;
		/* wire counts the root label's byte from the start. */
		if ((wire += 1 + (size_t)c) > NFQD_DNS_WIRE_NAME_MAX)
			return refuse(why, NFQD_DNS_R_NAME_LEN);
		if (len - pos - 1 < c)
			return refuse(why, NFQD_DNS_R_SHORT);
		if (tl > 0)
			text[tl++] = '.';
		for (i = pos + 1; i <= pos + c; i++) {
			if (msg[i] == '.' || msg[i] < 0x21 || msg[i] > 0x7e)
				return refuse(why, NFQD_DNS_R_NAME_BYTE);
			text[tl++] = msg[i];
		}
		pos += 1 + (size_t)c;
	}
	*next = end != 0 ? end : pos + 1;
	if (tl == 0) {
		dst[0] = '\0';
		return 0;
	}
	/* Labels are 1 to 63 bytes of 0x21..0x7e but '.', and the text at
	   most 253: nothing is left for the normal form to refuse, but it
	   is the one place that says what a name is. */
	if (nfqd_l7_name_norm(dst, text, tl) < 0)
		return refuse(why, NFQD_DNS_R_NAME_BYTE);
	return (int)tl;
}

enum nfqd_l7_res
nfqd_dns_msg_parse(const uint8_t *msg, size_t len, struct nfqd_dns_query *out)
{
	size_t	next;
	uint8_t	why = NFQD_DNS_R_SHORT;
	int	n;

	memset(out, 0, sizeof(*out));
	if (len < NFQD_DNS_HDR)
		goto bad;
	if (nfqd_get16(msg + 4) > 1) {
		why = NFQD_DNS_R_QDCOUNT;
		goto bad;
	}
	out->id = nfqd_get16(msg);
	out->response = (msg[2] & 0x80) != 0;
	out->opcode = (msg[2] >> 3) & 0x0f;
	out->qdcount = nfqd_get16(msg + 4);
	if (out->qdcount == 0)
		return NFQD_L7_DONE;
	if ((n = nfqd_dns_name_read(msg, len, NFQD_DNS_HDR, out->qname, &next,
	    &why)) < 0)
		goto bad;
	if (len - next < 4) {
		why = NFQD_DNS_R_SHORT;
		goto bad;
	}
	out->qname_len = (uint16_t)n;
	out->qtype = nfqd_get16(msg + next);
	out->qclass = nfqd_get16(msg + next + 2);
	return NFQD_L7_DONE;

bad:
	memset(out, 0, sizeof(*out));
	out->why = why;
	return NFQD_L7_BAD;
}

enum nfqd_l7_res
nfqd_dns_tcp_parse(const uint8_t *buf, size_t len, struct nfqd_dns_query *out,
    size_t *used)
{
	enum nfqd_l7_res	res;
	size_t			mlen;

	*used = 0;
	memset(out, 0, sizeof(*out));
	if (len < 2)
		return NFQD_L7_MORE;
	mlen = nfqd_get16(buf);
	if (mlen < NFQD_DNS_HDR) {
		out->why = NFQD_DNS_R_TCP_LEN;
		return NFQD_L7_BAD;
	}
	if (len - 2 < mlen)
		return NFQD_L7_MORE;
	res = nfqd_dns_msg_parse(buf + 2, mlen, out);
	if (res == NFQD_L7_DONE)
		*used = 2 + mlen;
	return res;
}

const char *
nfqd_dns_why_str(unsigned why)
{
	if (why >= NFQD_DNS_R_MAX)
		return "unknown";
	return whys[why];
}
