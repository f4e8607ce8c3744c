/*
 * QUIC client Initials (include/nfqd/l7/quic.h says what is read): long
 * headers, frames, CRYPTO data put together, connections; the keys and
 * packet protection are quickeys.c's (libcrypto).
 */
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/quic.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/netorder.h"

#include "quicint.h"

#define VARINT_MAX	(((uint64_t)1 << 62) - 1)

#define FR_PADDING	0x00
#define FR_PING		0x01
#define FR_ACK		0x02
#define FR_ACK_ECN	0x03
#define FR_CRYPTO	0x06

static const char *const whys[NFQD_QUIC_R_MAX] = {
	[NFQD_QUIC_R_NONE] = "no problem",
	[NFQD_QUIC_R_NOT_QUIC] = "not a QUIC long header",
	[NFQD_QUIC_R_VERSION] = "QUIC version other than 1 and 2",
	[NFQD_QUIC_R_SHORT] = "Initial in a datagram under 1200 bytes",
	[NFQD_QUIC_R_HEADER] = "long header cut short or with lengths past "
	    "the datagram",
	[NFQD_QUIC_R_DECRYPT] = "Initial does not decrypt",
	[NFQD_QUIC_R_DCID] = "Initial for another connection ID that does "
	    "not decrypt",
	[NFQD_QUIC_R_PN] = "Initial packet number 64 or more",
	[NFQD_QUIC_R_LEAD] = "Initial after a packet of another type",
	[NFQD_QUIC_R_REPEAT] = "Initial packet numbers read before",
	[NFQD_QUIC_R_RESTART] = "Initial for a connection the server asked to "
	    "start afresh",
	[NFQD_QUIC_R_FRAME] = "frame not allowed or cut short in an Initial",
	[NFQD_QUIC_R_COALESCED] = "coalesced packet of another connection ID",
	[NFQD_QUIC_R_CONFLICT] = "CRYPTO bytes differ from bytes already read",
	[NFQD_QUIC_R_TOO_BIG] = "CRYPTO data past 16384 bytes",
	[NFQD_QUIC_R_TLS] = "CRYPTO stream not a well-formed ClientHello",
	[NFQD_QUIC_R_REUSED] = "packet number read before, coalesced with "
	    "new packets",
};

/* A variable-length integer (RFC 9000 16) at p[*off], within len. */
static bool
varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	size_t	i, n;

	if (*off >= len)
		return false;
	n = (size_t)1 << (p[*off] >> 6);
	if (n > len - *off)
		return false;
	*v = p[*off] & 0x3f;
	for (i = 1; i < n; i++)
		*v = *v << 8 | p[*off + i];
	*off += n;
	return true;
}


/*
 * The long header at p[0..len): NONE, NOT_QUIC (too short to hold the
 * version-independent part, RFC 8999 5.1), VERSION (of a version not read:
 * the IDs are set, nothing after them) or HEADER (a v1/v2 header the
 * server discards).  A Retry's end is len (it has no Length).
 */
static enum nfqd_quic_why
lhdr_parse(const uint8_t *p, size_t len, struct lhdr *h)
{
	size_t		off;
	uint64_t	n;

	memset(h, 0, sizeof(*h));
	if (len < 7 || !(p[0] & LH_FORM))
		return NFQD_QUIC_R_NOT_QUIC;
	h->version = nfqd_get32(p + 1);
	h->v = quic_qversion(h->version);
	h->dcid_len = p[5];
	if ((size_t)h->dcid_len + 7 > len)
		return NFQD_QUIC_R_NOT_QUIC;
	h->dcid = p + 6;
	h->scid_len = p[6 + h->dcid_len];
	if ((size_t)h->dcid_len + h->scid_len + 7 > len)
		return NFQD_QUIC_R_NOT_QUIC;
	h->scid = p + 7 + h->dcid_len;
	off = 7 + (size_t)h->dcid_len + h->scid_len;
	if (h->v == NULL)
		return NFQD_QUIC_R_VERSION;
	if (h->dcid_len > NFQD_QUIC_CID_MAX || h->scid_len > NFQD_QUIC_CID_MAX ||
	    !(p[0] & LH_FIXED))
		return NFQD_QUIC_R_HEADER;
	h->type = (enum lh_type)h->v->type[(p[0] >> 4) & 3];
	h->end = len;
	if (h->type == LT_RETRY)
		return NFQD_QUIC_R_NONE;
	if (h->type == LT_INITIAL) {
		if (!varint(p, len, &off, &n) || n > len - off)
			return NFQD_QUIC_R_HEADER;
		off += (size_t)n;	/* the token */
	}
	if (!varint(p, len, &off, &n) || n > len - off)
		return NFQD_QUIC_R_HEADER;
	h->pn_off = off;
	h->end = off + (size_t)n;
	/* Room for the sample, which also leaves room for the tag. */
	if (h->end - h->pn_off < PN_SKIP + SAMPLE_LEN)
		return NFQD_QUIC_R_HEADER;
	return NFQD_QUIC_R_NONE;
}

static bool
cid_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/*
 * CRYPTO data at stream offset off into ra, whose byte 0 is the stream's
 * byte base (its seq0: 0, or a resumed connection's base).  Bytes before
 * base are not read, only noted in out->crypto_before (the caller refuses
 * them: nothing here can compare them).  Without ra (a resumed connection not reading a
 * second hello) bytes from base on are only noted in out->crypto_past.
 */
static enum nfqd_quic_why
crypto_add(struct nfqd_reasm *ra, uint32_t base, uint64_t off,
    const uint8_t *data, size_t len, struct nfqd_quic_out *out)
{
	unsigned	flags = 0;

	if (len == 0)
		return NFQD_QUIC_R_NONE;
	if (off < base)
		out->crypto_before = true;
	if (off + len <= base)
		return NFQD_QUIC_R_NONE;
	out->crypto_past = true;
	if (ra == NULL)
		return NFQD_QUIC_R_NONE;
	if (off >= (uint64_t)base + NFQD_REASM_MAX)
		return NFQD_QUIC_R_TOO_BIG;
	if (nfqd_reasm_add(ra, (uint32_t)off, data, len, &flags) ==
	    NFQD_REASM_CONFLICT)
		return NFQD_QUIC_R_CONFLICT;
	if (flags & NFQD_REASM_PAST)
		return NFQD_QUIC_R_TOO_BIG;
	return NFQD_QUIC_R_NONE;
}

/*
 * The frames of an Initial, f[0..len): PADDING, PING, ACK and CRYPTO
 * (RFC 9000 12.4, Table 3, less CONNECTION_CLOSE, which ends the
 * connection).  A frame type is read as the variable-length integer it
 * is, so a longer encoding than needed (which a server may accept) is the
 * same frame.
 */
static enum nfqd_quic_why
frames(struct nfqd_reasm *ra, uint32_t base, const uint8_t *f, size_t len,
    struct nfqd_quic_out *out)
{
	enum nfqd_quic_why	why;
	uint64_t		type, v, count, off, n, w;
	size_t			i = 0, k;

	if (len == 0)
		return NFQD_QUIC_R_FRAME;	/* a packet without frames */
	while (i < len) {
		if (f[i] == FR_PADDING) {
			/* Padding fills most of a small Initial: a word at
			   a time. */
			for (; i + 8 <= len; i += 8) {
				memcpy(&w, f + i, 8);
				if (w != 0)
					break;
			}
			while (i < len && f[i] == FR_PADDING)
				i++;
			continue;
		}
		if (!varint(f, len, &i, &type))
			return NFQD_QUIC_R_FRAME;
		switch (type) {
		case FR_PADDING:
		case FR_PING:
			break;
		case FR_ACK:
		case FR_ACK_ECN:
			/* Largest, delay, range count, first range. */
			if (!varint(f, len, &i, &v) || !varint(f, len, &i, &v) ||
			    !varint(f, len, &i, &count) ||
			    !varint(f, len, &i, &v))
				return NFQD_QUIC_R_FRAME;
			/* Each range is two varints of a byte or more. */
			if (count > (len - i) / 2)
				return NFQD_QUIC_R_FRAME;
			for (k = 0; k < 2 * count; k++)
				if (!varint(f, len, &i, &v))
					return NFQD_QUIC_R_FRAME;
			if (type == FR_ACK_ECN)
				for (k = 0; k < 3; k++)
					if (!varint(f, len, &i, &v))
						return NFQD_QUIC_R_FRAME;
			break;
		case FR_CRYPTO:
			if (!varint(f, len, &i, &off) ||
			    !varint(f, len, &i, &n) || n > len - i ||
			    off > VARINT_MAX - n)
				return NFQD_QUIC_R_FRAME;
			if ((why = crypto_add(ra, base, off, f + i, (size_t)n,
			    out)) != NFQD_QUIC_R_NONE)
				return why;
			i += (size_t)n;
			break;
		default:
			return NFQD_QUIC_R_FRAME;
		}
	}
	return NFQD_QUIC_R_NONE;
}

static void
refuse(struct nfqd_quic_out *out, enum nfqd_quic_why why)
{
	out->refused++;
	out->why = (uint8_t)why;
}

/* Whether Initial p (header h) decrypts with the keys of its own DCID. */
static bool
opens_alone(struct nfqd_quic *q, const uint8_t *p, const struct lhdr *h)
{
	struct nfqd_quic_keys	k;
	struct opened		o;

	return nfqd_quic_keys(q, h->version, h->dcid, h->dcid_len, &k,
	    NULL) == 0 && quic_open_initial(q, &k, p, h, &o) == NFQD_QUIC_R_NONE;
}

/*
 * One Initial of the datagram (its first packet when first).  NONE when
 * read or passed over; the packet-level whys counted in out; a BAD one
 * returned.
 */
static enum nfqd_quic_why
initial(struct nfqd_quic *q, struct nfqd_quic_conn *c, struct nfqd_reasm *ra,
    const uint8_t *p, const struct lhdr *h, bool first, size_t dgram_len,
    struct nfqd_quic_out *out)
{
	struct nfqd_quic_keys	 fresh;
	const struct nfqd_quic_keys *k;
	struct opened		 o;
	enum nfqd_quic_why	 why;
	bool			 learning = false;

	if (dgram_len < NFQD_QUIC_DGRAM_MIN) {
		refuse(out, NFQD_QUIC_R_SHORT);
		return NFQD_QUIC_R_NONE;
	}
	if (c->version == 0) {
		if (nfqd_quic_keys(q, h->version, h->dcid, h->dcid_len, &fresh,
		    NULL) != 0) {
			refuse(out, NFQD_QUIC_R_DECRYPT);
			return NFQD_QUIC_R_NONE;
		}
		k = &fresh;
	} else if (h->version != c->version) {
		refuse(out, NFQD_QUIC_R_VERSION);
		return NFQD_QUIC_R_NONE;
	} else if (cid_eq(h->dcid, h->dcid_len, c->dcid, c->dcid_len) ||
	    (c->has_scid && cid_eq(h->dcid, h->dcid_len, c->scid,
	    c->scid_len))) {
		if (c->restart_ok) {
			/* After a Retry or a Version Negotiation: a server
			   that takes the ID up again (a token it does not
			   bind to the Retry's ID) holds bytes nfqd would
			   forget at the next connection. */
			refuse(out, NFQD_QUIC_R_RESTART);
			return NFQD_QUIC_R_NONE;
		}
		k = &c->keys;
	} else if (c->learn && !c->has_scid && !c->restart_ok) {
		/* Resumed without the server's ID: perhaps this is it. */
		k = &c->keys;
		learning = true;
	} else {
		/* Another connection ID: a new connection if it opens with
		   its own keys, else one the server cannot read. */
		if (first && opens_alone(q, p, h))
			out->new_conn = true;
		else
			refuse(out, NFQD_QUIC_R_DCID);
		return NFQD_QUIC_R_NONE;
	}
	if ((why = quic_open_initial(q, k, p, h, &o)) != NFQD_QUIC_R_NONE) {
		/* A server also tries the new keys after a Retry's. */
		if (first && k == &c->keys && !cid_eq(h->dcid, h->dcid_len,
		    c->dcid, c->dcid_len) && opens_alone(q, p, h))
			out->new_conn = true;
		else
			refuse(out, learning ? NFQD_QUIC_R_DCID : why);
		return NFQD_QUIC_R_NONE;
	}
	if (learning) {
		c->scid_len = h->dcid_len;
		memcpy(c->scid, h->dcid, h->dcid_len);
		c->has_scid = 1;
	}
	if (o.first & LH_RESERVED)
		return NFQD_QUIC_R_FRAME;	/* PROTOCOL_VIOLATION */
	if (c->pns[o.pn / 32] & (uint32_t)1 << (o.pn % 32)) {
		/* A server that got the first copy discards the repeat; one
		   that did not (lost past nfqd, or discarded for its token)
		   reads it: nfqd_quic_client() refuses it. */
		out->repeated++;
		return NFQD_QUIC_R_NONE;
	}
	if (c->version == 0) {
		c->version = h->version;
		c->keys = fresh;
		c->dcid_len = h->dcid_len;
		memcpy(c->dcid, h->dcid, h->dcid_len);
	}
	c->pns[o.pn / 32] |= (uint32_t)1 << (o.pn % 32);
	out->read++;
	out->version = c->version;
	return frames(ra, c->base, q->plain, o.len, out);
}

/*
 * A version field that is some QUIC's though not one nfqd reads: the IETF
 * drafts (0xff0000xx), the reserved versions a client may send to force
 * version negotiation (0x?a?a?a?a, RFC 9000 15), the v2 draft
 * (0x709a50c4), Facebook's mvfst (0xfaceb0xx), Google's QUIC ("Q0xx",
 * "T0xx").  A client's first flight of one of these is QUIC that nfqd
 * cannot read: refused.  Any other value is not taken for QUIC at all: any
 * UDP protocol may open a datagram with bits that look like a long header
 * (ESP in UDP with an SPI of 0xc0000000 or more, obfuscated VPNs that look
 * random), and refusing those as unreadable QUIC would drop them whenever a
 * rule reads names.  Version 0 is version negotiation, which only servers
 * send.
 */
static bool
quic_family(uint32_t v)
{
	return (v & 0xffffff00) == 0xff000000 ||
	    (v & 0x0f0f0f0f) == 0x0a0a0a0a ||
	    v == 0x709a50c4 ||
	    (v & 0xffffff00) == 0xfaceb000 ||
	    (v & 0xffff0000) == 0x51300000 ||	/* "Q0" */
	    (v & 0xffff0000) == 0x54300000;	/* "T0" */
}

/*
 * Whether a datagram is no client's first flight (NOT): no long header at
 * its start, or too short to hold one, or one of a version that is not
 * QUIC's (above), or of another QUIC version without the fixed bit or in a
 * datagram under 1200 bytes, which a client's Initial of any version is
 * not.
 */
static bool
not_quic(const uint8_t *buf, size_t len)
{
	struct lhdr		h;
	enum nfqd_quic_why	why = lhdr_parse(buf, len, &h);

	return why == NFQD_QUIC_R_NOT_QUIC || (why == NFQD_QUIC_R_VERSION &&
	    ((buf[0] & 0xc0) != 0xc0 || len < NFQD_QUIC_DGRAM_MIN ||
	    !quic_family(h.version)));
}

bool
nfqd_quic_maybe(const uint8_t *buf, size_t len)
{
	return !not_quic(buf, len);
}

bool
nfqd_quic_lead_dcid(const uint8_t *buf, size_t len, const uint8_t **dcid,
    size_t *dcid_len)
{
	struct lhdr	h;

	if (lhdr_parse(buf, len, &h) != NFQD_QUIC_R_NONE ||
	    h.type != LT_INITIAL)
		return false;
	*dcid = h.dcid;
	*dcid_len = h.dcid_len;
	return true;
}

/*
 * BAD (why) at a packet after the datagram's first: a hello the packets
 * before it completed is said too (out->hello, out->hello_before), for
 * the rules: a server reads those packets whatever follows them.
 */
static enum nfqd_l7_res
bad_after(struct nfqd_reasm *ra, size_t before, enum nfqd_quic_why why,
    struct nfqd_quic_out *out)
{
	size_t	contig = ra != NULL ? nfqd_reasm_contig(ra) : 0;

	if (contig > before && nfqd_tls_handshake_parse(nfqd_reasm_data(ra),
	    contig, &out->hello) == NFQD_L7_DONE)
		out->hello_before = true;
	out->why = (uint8_t)why;
	return NFQD_L7_BAD;
}

enum nfqd_l7_res
nfqd_quic_client(struct nfqd_quic *q, struct nfqd_quic_conn *c,
    struct nfqd_reasm *ra, const uint8_t *buf, size_t len,
    struct nfqd_quic_out *out)
{
	const uint8_t		*dcid = NULL;
	struct lhdr		 h;
	enum nfqd_quic_why	 why;
	enum nfqd_l7_res	 res;
	size_t			 off = 0, before, contig;
	uint8_t			 dcid_len = 0;
	bool			 lead = false;	/* the first packet is an
						   Initial */

	memset(out, 0, sizeof(*out));
	if (c->version == 0 && not_quic(buf, len)) {
		out->why = NFQD_QUIC_R_NOT_QUIC;
		return NFQD_L7_NOT;
	}
	before = ra != NULL ? nfqd_reasm_contig(ra) : 0;
	while (off < len) {
		const uint8_t	*p = buf + off;
		bool		 first = off == 0;

		why = lhdr_parse(p, len - off, &h);
		if (why == NFQD_QUIC_R_NOT_QUIC && !(p[0] & LH_FORM))
			break;		/* a short header ends the datagram */
		/* RFC 9000 12.2: one connection ID per datagram. */
		if (!first && why != NFQD_QUIC_R_NOT_QUIC &&
		    !cid_eq(h.dcid, h.dcid_len, dcid, dcid_len))
			return bad_after(ra, before, NFQD_QUIC_R_COALESCED,
			    out);
		if (why != NFQD_QUIC_R_NONE) {
			refuse(out, why);
			break;		/* nothing says where it ends */
		}
		if (first) {
			dcid = h.dcid;
			dcid_len = h.dcid_len;
			lead = h.type == LT_INITIAL;
		}
		if (h.type == LT_RETRY) {
			refuse(out, NFQD_QUIC_R_HEADER);  /* a server's */
			break;
		}
		if (h.type == LT_INITIAL && !lead) {
			/* A server looks a datagram up by its first packet:
			   without a connection for the ID it drops one that
			   does not open with an Initial, with one it reads the
			   Initials after.  Nothing was read before (the packets
			   before are not Initials). */
			refuse(out, NFQD_QUIC_R_LEAD);
			break;
		}
		if (h.type != LT_INITIAL) {
			out->skipped++;
		} else if ((why = initial(q, c, ra, p, &h, first, len, out)) !=
		    NFQD_QUIC_R_NONE) {
			if (!first)
				return bad_after(ra, before, why, out);
			out->why = (uint8_t)why;
			return NFQD_L7_BAD;
		}
		if (out->new_conn)
			return NFQD_L7_MORE;
		off += h.end;
	}
	if (out->repeated > 0 && out->read > 0)
		return bad_after(ra, before, NFQD_QUIC_R_REUSED, out);
	/*
	 * An Initial refused beside one read (a packet number of 64 or
	 * more, another version, keys that fail): a server may read what
	 * nfqd refused (RFC 9000 sets no limit on packet numbers), and it
	 * would come through with the datagram.  No client sends one.
	 */
	if (out->refused > 0 && out->read > 0)
		return bad_after(ra, before, (enum nfqd_quic_why)out->why, out);
	if (out->repeated > 0)
		refuse(out, NFQD_QUIC_R_REPEAT);
	contig = ra != NULL ? nfqd_reasm_contig(ra) : 0;
	if (contig == before)
		return NFQD_L7_MORE;
	res = nfqd_tls_handshake_parse(nfqd_reasm_data(ra), contig,
	    &out->hello);
	if (res == NFQD_L7_BAD || (res == NFQD_L7_MORE &&
	    contig >= NFQD_REASM_MAX)) {
		out->why = NFQD_QUIC_R_TLS;
		return NFQD_L7_BAD;
	}
	return res;
}

/*
 * A server's datagram to a connection of version: a Version Negotiation
 * (version 0) or a Retry sets *restart_ok; the first long header's
 * Source Connection ID of the version becomes the server's ID.
 */
static void
server_look(uint32_t version, uint8_t *has_scid, uint8_t *scid_len,
    uint8_t *scid, uint8_t *restart_ok, const uint8_t *buf, size_t len)
{
	struct lhdr		h;
	enum nfqd_quic_why	why;

	if (version == 0)
		return;
	why = lhdr_parse(buf, len, &h);
	if (why == NFQD_QUIC_R_NOT_QUIC)
		return;
	if (h.version == 0) {
		*restart_ok = 1;
		return;
	}
	if (why != NFQD_QUIC_R_NONE || h.version != version)
		return;
	if (h.type == LT_RETRY) {
		*restart_ok = 1;
		return;
	}
	if (*has_scid)
		return;
	*scid_len = h.scid_len;
	memcpy(scid, h.scid, h.scid_len);
	*has_scid = 1;
}

void
nfqd_quic_server(struct nfqd_quic_conn *c, const uint8_t *buf, size_t len)
{
	server_look(c->version, &c->has_scid, &c->scid_len, c->scid,
	    &c->restart_ok, buf, len);
}

void
nfqd_quic_server_id(struct nfqd_quic_id *id, const uint8_t *buf, size_t len)
{
	server_look(id->version, &id->has_scid, &id->scid_len, id->scid,
	    &id->restart_ok, buf, len);
}

void
nfqd_quic_keep(const struct nfqd_quic_conn *c, uint16_t hello_end,
    struct nfqd_quic_id *id)
{
	memset(id, 0, sizeof(*id));
	id->version = c->version;
	id->hello_end = hello_end;
	id->dcid_len = c->dcid_len;
	id->scid_len = c->scid_len;
	id->has_scid = c->has_scid;
	id->restart_ok = c->restart_ok;
	memcpy(id->dcid, c->dcid, sizeof(id->dcid));
	memcpy(id->scid, c->scid, sizeof(id->scid));
}

int
nfqd_quic_resume(struct nfqd_quic *q, const struct nfqd_quic_id *id,
    struct nfqd_quic_conn *c)
{
	memset(c, 0, sizeof(*c));
	if (nfqd_quic_keys(q, id->version, id->dcid, id->dcid_len, &c->keys,
	    NULL) != 0)
		return -1;
	c->version = id->version;
	c->base = id->hello_end;
	c->dcid_len = id->dcid_len;
	c->scid_len = id->scid_len;
	c->has_scid = id->has_scid;
	c->restart_ok = id->restart_ok;
	c->learn = !id->has_scid;
	memcpy(c->dcid, id->dcid, sizeof(c->dcid));
	memcpy(c->scid, id->scid, sizeof(c->scid));
	return 0;
}

bool
nfqd_quic_has_initial(const uint8_t *buf, size_t len)
{
	struct lhdr	h;
	size_t		off = 0;

	while (off < len && lhdr_parse(buf + off, len - off, &h) ==
	    NFQD_QUIC_R_NONE) {
		if (h.type == LT_INITIAL)
			return true;
		off += h.end;
	}
	return false;
}

/* Whether the chain of long headers from buf's byte 0 has one at o. */
static bool
chain_start(const uint8_t *buf, size_t len, size_t o)
{
	struct lhdr	h;
	size_t		off = 0;

	while (off < o && lhdr_parse(buf + off, len - off, &h) ==
	    NFQD_QUIC_R_NONE && h.type != LT_RETRY)
		off += h.end;
	return off == o;
}

bool
nfqd_quic_gso_hidden(const uint8_t *buf, size_t len)
{
	static const uint8_t	 vers[][4] = {
		{ 0x00, 0x00, 0x00, 0x01 },		/* NFQD_QUIC_V1 */
		{ 0x6b, 0x33, 0x43, 0xcf },		/* NFQD_QUIC_V2 */
	};
	const struct qversion	*v;
	const uint8_t		*p;
	size_t			 i, from, o;

	for (i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		v = quic_qversion(nfqd_get32(vers[i]));
		/* The version's bytes after the header's first byte. */
		for (from = 2; from + 4 <= len && (p = memmem(buf + from,
		    len - from, vers[i], 4)) != NULL; from = o + 2) {
			o = (size_t)(p - buf) - 1;
			if ((buf[o] & (LH_FORM | LH_FIXED)) ==
			    (LH_FORM | LH_FIXED) &&
			    v->type[(buf[o] >> 4) & 3] == LT_INITIAL &&
			    !chain_start(buf, len, o))
				return true;
		}
	}
	return false;
}

bool
nfqd_quic_is_initial(const uint8_t *buf, size_t len, uint32_t *version)
{
	struct lhdr	h;

	if (lhdr_parse(buf, len, &h) != NFQD_QUIC_R_NONE ||
	    h.type != LT_INITIAL)
		return false;
	*version = h.version;
	return true;
}

bool
nfqd_quic_opens(struct nfqd_quic *q, const uint8_t *buf, size_t len)
{
	struct lhdr	h;

	return len >= NFQD_QUIC_DGRAM_MIN &&
	    lhdr_parse(buf, len, &h) == NFQD_QUIC_R_NONE &&
	    h.type == LT_INITIAL && opens_alone(q, buf, &h);
}

const char *
nfqd_quic_why_str(unsigned why)
{
	if (why >= NFQD_QUIC_R_MAX || whys[why] == NULL)
		return "unknown";
	return whys[why];
}
