/*
 * The application layer through the engine over UDP (src/l7/l7udp.c):
 * QUIC Initials (RFC 9001/9369's samples, and flights built by
 * tests/tools/qinitial.c): another connection on a flow's ports, a Retry,
 * a second hello after a HelloRetryRequest, datagrams the server never
 * reads, flows.udp_timeout, tls_ja4 of a hello read from QUIC, a packet
 * refused after a blocked hello; each decided exactly as docs/l7.md says.
 * A DNS datagram read alone is test_l7.c's (test_http_dns).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/l7.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/qclaim.h"
#include "nfqd/l7/quic.h"
#include "qinitial.h"
#include "quic_vectors.h"
#include "l7harness.h"
#include "unit.h"

/*
 * A new table of claimed IDs for the next case, whose flows use the IDs
 * of the last's (l7/qclaim.h: each is one flow's).
 */
static bool
fresh(struct run *r)
{
	return CHECK(new_claims(r), "a new table of claimed QUIC IDs");
}

/* QUIC Initials over UDP: the RFC samples hold a hello for example.com. */
static void
test_quic(void)
{
	static const uint8_t	other[] = "not QUIC, just a datagram";
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			v1[1200], v2[1200], shorthdr[40];
	size_t			n1, n2;

	if (!setup(&r, ""))
		return;
	n1 = unit_unhex(rfc9001_a2_packet, v1, sizeof(v1));
	n2 = unit_unhex(rfc9369_a2_packet, v2, sizeof(v2));
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 5000, 443, 0, 0, 17, false, 0, 0, 0, NULL };
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC v1 Initial (RFC 9001 A.2): example.com, alpn, l7 quic blocked");
	memset(shorthdr, 0x41, sizeof(shorthdr));
	d = decide(&r, mk(&s, shorthdr, sizeof(shorthdr)), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC: a later short-header packet of the flow gets its verdict");
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC: the Initial again is read again, blocked again");
	s.sport = 5001;
	s.dport = 8443;
	(void)fresh(&r);	/* RFC 9369's sample has RFC 9001's ID */
	d = decide(&r, mk(&s, v2, n2), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC v2 Initial (RFC 9369 A.2) on port 8443: blocked");
	s.sport = 5002;
	(void)fresh(&r);
	v1[n1 - 1] ^= 1;
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error",
	    "QUIC: an Initial whose tag does not verify: l7_error_verdict");
	v1[n1 - 1] ^= 1;
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "QUIC: ... then the good one on the same ports: blocked");
	s.sport = 5003;
	d = decide(&r, mk(&s, v1, n1 - 1), 0, 0);
	CHECK_STR_EQ(what(&d), "l7_error",
	    "QUIC: an Initial cut by one byte (1199 bytes): l7_error_verdict");
	d = decide(&r, mk(&s, other, sizeof(other)), 0, 0);
	CHECK(strcmp(what(&d), "accept") == 0 &&
	    d.rule == NFQD_DECIDED_DEFAULT,
	    "QUIC: another datagram on a flow with nothing read: no fields");
	s.sport = 5004;
	d = decide(&r, mk(&s, other, sizeof(other)), 0, 0);
	CHECK(strcmp(what(&d), "accept") == 0 &&
	    d.rule == NFQD_DECIDED_DEFAULT,
	    "UDP that is not QUIC: no fields, default verdict");
	teardown(&r);
}

/*
 * QUIC connections on one flow (docs/l7.md, QUIC): flights built by
 * tests/tools/qinitial.c, which shares no code with nfqd's reader.
 */
static struct qi_ctx	*qx;

/* A flight: server name sni, pieces Initials, connection IDs of byte id,
   packet numbers from pn. */
static bool
qflight_pn(struct qi_flight *f, const char *sni, unsigned pieces, uint8_t id,
    unsigned pn)
{
	struct qi_spec	s;
	char		err[128];

	memset(&s, 0, sizeof(s));
	s.version = QI_V1;
	s.sni = sni;
	s.alpn = "h3";
	s.pieces = pieces;
	s.dcid_len = s.scid_len = 8;
	memset(s.dcid, id, 8);
	memset(s.scid, id ^ 0xff, 8);
	s.pn_base = pn;
	return CHECKF(qi_build(qx, &s, f, err, sizeof(err)) == 0,
	    "quic conns: a flight is built", "%s", err);
}

/* A flight: server name sni, pieces Initials, connection IDs of byte id. */
static bool
qflight(struct qi_flight *f, const char *sni, unsigned pieces, uint8_t id)
{
	struct qi_spec	s;
	char		err[128];

	memset(&s, 0, sizeof(s));
	s.version = QI_V1;
	s.sni = sni;
	s.alpn = "h3";
	s.pieces = pieces;
	s.dcid_len = s.scid_len = 8;
	memset(s.dcid, id, 8);
	memset(s.scid, id ^ 0xff, 8);
	return CHECKF(qi_build(qx, &s, f, err, sizeof(err)) == 0,
	    "quic conns: a flight is built", "%s", err);
}

/*
 * The second hello of flight first's connection after a
 * HelloRetryRequest: sent to server ID sid (byte), protected with the
 * keys of the client's first ID, its CRYPTO data after the first hello.
 */
static bool
qsecond(struct qi_flight *f, const struct qi_flight *first, uint8_t id,
    uint8_t sid, const char *sni, unsigned pieces, size_t extra)
{
	struct qi_spec	s;
	uint8_t		kd[8];
	char		err[128];

	memset(&s, 0, sizeof(s));
	memset(kd, id, sizeof(kd));
	s.version = QI_V1;
	s.sni = sni;
	s.alpn = "h3";
	s.pieces = pieces;
	s.dcid_len = s.scid_len = 8;
	memset(s.dcid, sid, 8);
	memset(s.scid, id ^ 0xff, 8);
	s.key_dcid = kd;
	s.key_dcid_len = 8;
	s.crypto_off = first->hello_len + extra;
	s.pn_base = 2;
	return CHECKF(qi_build(qx, &s, f, err, sizeof(err)) == 0,
	    "quic conns: a second hello is built", "%s", err);
}

/* A client datagram from port sport (ttl 0: 64), checksum bad or not. */
static const char *
qsend(struct run *r, uint16_t sport, const uint8_t *dg, size_t n,
    uint8_t ttl, bool badsum)
{
	struct seg		s = { "10.0.0.1", "10.0.0.2", sport, 443, 0, 0,
				    17, badsum, 0, ttl, 0, NULL };
	struct nfqd_decision	d;

	d = decide(r, mk(&s, dg, n), 0,
	    badsum ? NFQA_SKB_CSUM_NOTVERIFIED : 0);
	return what(&d);
}

static const char *
qdg(struct run *r, uint16_t sport, const struct qi_flight *f, unsigned d)
{
	return qsend(r, sport, f->dgram[d], f->dgram_len[d], 0, false);
}

/* Where the server's datagrams come in (the client's: indev, 2); the
   client's side for one it forged. */
static uint32_t	srv_indev = 3;

/*
 * A server datagram to port sport: an Initial-shaped long header from
 * server ID sid (byte), or a Retry (its new ID sid), in on srv_indev.
 */
static const char *
qserver(struct run *r, uint16_t sport, uint8_t cid, uint8_t sid, bool retry)
{
	struct seg		s = { "10.0.0.2", "10.0.0.1", 443, sport, 0, 0,
				    17, false, 0, 0, 0, NULL };
	struct nfqd_decision	d;
	uint8_t			b[120];
	size_t			n = 0;

	memset(b, 0, sizeof(b));
	b[n++] = retry ? 0xf0 : 0xc1;
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 1;
	b[n++] = 8;
	memset(b + n, cid ^ 0xff, 8);
	n += 8;
	b[n++] = 8;
	memset(b + n, sid, 8);
	n += 8;
	if (!retry) {
		b[n++] = 0;		/* no token */
		b[n] = 0x40;		/* Length: the rest */
		b[n + 1] = (uint8_t)(sizeof(b) - n - 2);
		n += 2;
	}
	indev = srv_indev;
	d = decide(r, mk(&s, b, sizeof(b)), 0, 0);
	indev = 2;
	return what(&d);
}

/* The flights test_quic_conns() sends (qi_build() fills them). */
static struct qi_flight	 qf_x, qf_y, qf_z, qf_a, qf_a2, qf_b2, qf_o2;
static struct qi_flight	 qf_c2, qf_e2;

/* One datagram of a table below, from the client or the server. */
struct qstep {
	uint16_t		 port;		/* the client's */
	/* 'c': flight f's datagram d; 's': a server's Initial; 'r': its
	   Retry; 'h': a short header from the client */
	char			 kind;
	const struct qi_flight	*f;
	unsigned		 d;
	/* 's', 'r': the bytes of the client's ID and the server's */
	uint8_t			 cid, sid;
	const char		*want, *desc;
};

static void
qsteps(struct run *r, const struct qstep *t, size_t n)
{
	uint8_t		shorthdr[60];
	const char	*got;
	size_t		i;

	memset(shorthdr, 0x41, sizeof(shorthdr));
	for (i = 0; i < n; i++) {
		/* Each port a case of its own, which may use the last
		   one's connection IDs. */
		if (i > 0 && t[i].port != t[i - 1].port && !fresh(r))
			return;
		switch (t[i].kind) {
		case 'c':
			got = qdg(r, t[i].port, t[i].f, t[i].d);
			break;
		case 'h':
			got = qsend(r, t[i].port, shorthdr, sizeof(shorthdr),
			    0, false);
			break;
		default:
			got = qserver(r, t[i].port, t[i].cid, t[i].sid,
			    t[i].kind == 'r');
			break;
		}
		CHECK_STR_EQ(got, t[i].want, unit_fmt("quic %s", t[i].desc));
	}
}

/*
 * Another connection on a flow's ports.  The hole this closes (port
 * 6001): a blocked hello's first datagram passes pending (the server
 * keeps its bytes), its last is dropped; a harmless connection on the
 * same ports made nfqd start afresh, and the blocked one's last datagram
 * again was read alone, as the new connection's incomplete hello:
 * pending, so the server had the whole blocked hello.
 */
static const struct qstep conns_steps[] = {
	{ 6001, 'c', &qf_x, 0, 0, 0, "pending",
	  "conns: a blocked hello's first datagram passes pending" },
	{ 6001, 'c', &qf_x, 1, 0, 0, "blocked",
	  "conns: ... its last is dropped" },
	{ 6001, 'c', &qf_y, 0, 0, 0, "l7_error",
	  "conns: ... another connection's hello on the ports: refused, the "
	  "server did not ask for it" },
	{ 6001, 'c', &qf_x, 1, 0, 0, "blocked",
	  "conns: ... the blocked one's last again: blocked, not read as a "
	  "new connection's" },
	/* The same while the first connection's hello is incomplete. */
	{ 6002, 'c', &qf_x, 0, 0, 0, "pending",
	  "conns: incomplete: the first datagram passes pending" },
	{ 6002, 'c', &qf_y, 0, 0, 0, "l7_error",
	  "conns: incomplete: another connection's hello: refused" },
	{ 6002, 'c', &qf_x, 1, 0, 0, "blocked",
	  "conns: incomplete: ... the first one's rest: blocked" },
	/* A Retry from the server: the client starts afresh. */
	{ 6003, 'c', &qf_x, 0, 0, 0, "pending",
	  "conns: retry: the first datagram passes pending" },
	{ 6003, 'r', NULL, 0, 0x11, 0x55, "pending",
	  "conns: retry: the server's Retry passes" },
	{ 6003, 'c', &qf_y, 0, 0, 0, "accept",
	  "conns: retry: then a new connection is read afresh" },
	{ 6003, 'c', &qf_z, 0, 0, 0, "l7_error",
	  "conns: retry: ... and only that one" },
	/* A decided flow: a Retry too. */
	{ 6004, 'c', &qf_y, 0, 0, 0, "accept", "conns: decided: allowed" },
	{ 6004, 'c', &qf_z, 0, 0, 0, "l7_error",
	  "conns: decided: another connection: refused" },
	{ 6004, 'r', NULL, 0, 0x22, 0x56, "accept",
	  "conns: decided: the server's Retry gets the flow's verdict" },
	{ 6004, 'c', &qf_x, 0, 0, 0, "pending",
	  "conns: decided: after the Retry a new connection is read" },
	{ 6004, 'c', &qf_x, 1, 0, 0, "blocked",
	  "conns: decided: ... and its blocked hello dropped" },
};

/* A second hello after a HelloRetryRequest. */
static const struct qstep hrr_steps[] = {
	{ 6010, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr: the first hello, allowed" },
	{ 6010, 's', NULL, 0, 0x33, 0x44, "accept",
	  "hrr: the server's answer (its ID)" },
	{ 6010, 'c', &qf_a2, 0, 0, 0, "accept",
	  "hrr: a second hello for the same name: the flow's verdict" },
	{ 6010, 'c', &qf_a2, 0, 0, 0, "l7_error",
	  "hrr: ... its CRYPTO data again: refused (nothing to compare it "
	  "with)" },
	{ 6010, 'h', NULL, 0, 0, 0, "accept", "hrr: ... the flow goes on" },
	{ 6010, 'c', &qf_a, 0, 0, 0, "l7_error",
	  "hrr: ... the first hello again: refused (nothing to compare it "
	  "with: a server that never got it would read it)" },
	{ 6011, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr blocked: the first hello, allowed" },
	{ 6011, 's', NULL, 0, 0x33, 0x44, "accept",
	  "hrr blocked: the server's answer" },
	{ 6011, 'c', &qf_b2, 1, 0, 0, "accept",
	  "hrr blocked: the second hello's last part first: the flow's "
	  "verdict" },
	{ 6011, 'c', &qf_b2, 0, 0, 0, "blocked",
	  "hrr blocked: the part that completes a second hello for another "
	  "(blocked) name: refused, the rules see it: blocked" },
	{ 6011, 'h', NULL, 0, 0, 0, "blocked",
	  "hrr blocked: ... and every later packet (the flow's)" },
	{ 6012, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr other: the first hello, allowed" },
	{ 6012, 'c', &qf_o2, 0, 0, 0, "l7_error",
	  "hrr other: a second hello for another allowed name, the server's "
	  "ID learned from the client (its side unseen): l7_error" },
	{ 6013, 'c', &qf_a, 0, 0, 0, "accept",
	  "hrr learn: the first hello, allowed" },
	{ 6013, 'c', &qf_c2, 0, 0, 0, "accept",
	  "hrr learn: CRYPTO data 40 bytes past the first hello, to a new ID: "
	  "read (the server's, learned), not whole" },
	{ 6013, 'c', &qf_b2, 0, 0, 0, "l7_error",
	  "hrr learn: a blocked second hello to the learned ID: its bytes "
	  "conflict with those read" },
	{ 6014, 'c', &qf_e2, 0, 0, 0, "pending",
	  "early bytes: a blocked second hello where the first hello will "
	  "end, sent first: pending" },
	{ 6014, 'c', &qf_a, 0, 0, 0, "l7_error",
	  "early bytes: the first hello with bytes after it already read: "
	  "l7_error" },
};

static void
test_quic_conns(void)
{
	struct qi_flight	*x = &qf_x, *y = &qf_y, *z = &qf_z, *a = &qf_a;
	struct qi_flight	*b2 = &qf_b2, *o2 = &qf_o2;
	struct run		 r;
	uint64_t		 refused, second, errs;

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic conns: libcrypto contexts");
		return;
	}
	if (!qflight(x, "blocked.example", 2, 0x11) ||
	    !qflight(y, "allowed.example", 1, 0x22) ||
	    !qflight(z, "allowed.example", 1, 0x23) ||
	    !qflight(a, "allowed.example", 1, 0x33) ||
	    !qsecond(&qf_a2, a, 0x33, 0x44, "allowed.example", 1, 0) ||
	    !qsecond(b2, a, 0x33, 0x44, "blocked.example", 2, 0) ||
	    !qsecond(o2, a, 0x33, 0x44, "other.example", 1, 0) ||
	    !qsecond(&qf_c2, a, 0x33, 0x44, "allowed.example", 1, 40) ||
	    !qsecond(&qf_e2, a, 0x33, 0x33, "blocked.example", 1, 0) ||
	    !setup(&r, "")) {
		qi_ctx_free(qx);
		return;
	}
	refused = r.e.l7.quic_refused;
	qsteps(&r, conns_steps, NFQD_ARRAY_SIZE(conns_steps));
	CHECK_INT_EQ(r.e.l7.quic_refused - refused, 4,
	    "quic conns: the four other connections refused, counted");
	second = r.e.l7.second_hellos;
	errs = r.e.l7.l7_errors;
	qsteps(&r, hrr_steps, NFQD_ARRAY_SIZE(hrr_steps));
	CHECK_INT_EQ(r.e.l7.second_hellos - second, 1,
	    "quic hrr: one second hello read whole and kept");
	CHECK_INT_EQ(r.e.l7.l7_errors - errs, 4,
	    "quic hrr: four connections broken (blocked, other, conflict, "
	    "early bytes), counted");

	/* Datagrams the server never reads: not read. */
	refused = r.e.l7.quic_refused;
	CHECK_STR_EQ(qsend(&r, 6020, x->dgram[0], x->dgram_len[0], 64, false),
	    "pending", "quic ttl: the first datagram, TTL 64");
	CHECK_STR_EQ(qsend(&r, 6020, x->dgram[1], x->dgram_len[1], 2, false),
	    "l7_error", "quic ttl: the last with TTL 2: refused unread");
	CHECK_STR_EQ(qsend(&r, 6020, x->dgram[1], x->dgram_len[1], 64, false),
	    "blocked", "quic ttl: ... with TTL 64: read, blocked");
	(void)fresh(&r);
	CHECK_STR_EQ(qsend(&r, 6021, x->dgram[0], x->dgram_len[0], 2, false),
	    "pending", "quic ttl: a first datagram with TTL 2");
	CHECK_STR_EQ(qsend(&r, 6021, x->dgram[1], x->dgram_len[1], 64, false),
	    "l7_error", "quic ttl: ... a later one with TTL 64: refused");
	CHECK_INT_EQ(r.e.l7.quic_refused - refused, 2,
	    "quic ttl: two refusals counted");
	(void)fresh(&r);
	CHECK_STR_EQ(qdg(&r, 6022, a, 0), "accept",
	    "quic ttl: decided: allowed");
	CHECK_STR_EQ(qsend(&r, 6022, b2->dgram[0], b2->dgram_len[0], 63,
	    false), "l7_error",
	    "quic ttl: decided: a second hello's part with TTL 63: refused");
	/* A flow first seen from the server's side: no TTL kept from it. */
	(void) qserver(&r, 6024, 0x22, 0x57, false);
	CHECK_STR_EQ(qsend(&r, 6024, y->dgram[0], y->dgram_len[0], 50, false),
	    "accept", "quic ttl: a flow the server's datagram made: the "
	    "client's hello (TTL 50) is read");
	errs = r.e.l7.bad_csum;
	CHECK_STR_EQ(qsend(&r, 6023, y->dgram[0], y->dgram_len[0], 0, true),
	    "l7_error", "quic checksum: a wrong UDP checksum: refused unread");
	CHECK_INT_EQ(r.e.l7.bad_csum - errs, 1, "quic checksum: counted");
	(void)fresh(&r);
	CHECK_STR_EQ(qdg(&r, 6023, x, 0), "pending",
	    "quic checksum: ... the flow reads the next one as its first");
	teardown(&r);

	/* flows.hello_retry = false: the first hello decides, as before. */
	if (setup(&r, "flows = { hello_retry = false; };")) {
		CHECK_STR_EQ(qdg(&r, 6030, a, 0), "accept",
		    "quic hrr off: the first hello, allowed");
		CHECK_STR_EQ(qdg(&r, 6030, o2, 0), "accept",
		    "quic hrr off: a second hello for another name: the "
		    "flow's verdict");
		CHECK_STR_EQ(qdg(&r, 6030, z, 0), "l7_error",
		    "quic hrr off: another connection: refused all the same");
		teardown(&r);
	}
	qi_ctx_free(qx);
}

/*
 * A client's UDP GSO packet (NFQA_SKB_GSO) is several datagrams, cut
 * apart after the verdict at a size nfqueue does not say.  Before, nfqd
 * read it as one: an Initial behind a short header (or inside another
 * packet's bytes) reached the server unread.  Refused now where such an
 * Initial may start a datagram; Initials that chain from byte 0 (a
 * client's GSO send of its first flight) are read as coalesced ones.
 */
static struct qi_flight	 qg_a, qg_b2, qg_x, qg_y;
static uint8_t		 qg_dg[2 * QI_DGRAM_MAX + 64];

static const char *
qgso(struct run *r, uint16_t sport, const uint8_t *dg, size_t n, bool gso)
{
	struct seg		s = { "10.0.0.1", "10.0.0.2", sport, 443, 0, 0,
				    17, false, 0, 0, 0, NULL };
	struct nfqd_decision	d;

	d = decide(r, mk(&s, dg, n), 0, gso ? NFQA_SKB_GSO : 0);
	return what(&d);
}

/* [60 bytes of a short header][f's datagram d] into qg_dg. */
static size_t
behind_short(const struct qi_flight *f, unsigned d)
{
	memset(qg_dg, 0x41, 60);
	memcpy(qg_dg + 60, f->dgram[d], f->dgram_len[d]);
	return 60 + f->dgram_len[d];
}

/* f's two datagrams one after the other into qg_dg. */
static size_t
both(const struct qi_flight *f)
{
	memcpy(qg_dg, f->dgram[0], f->dgram_len[0]);
	memcpy(qg_dg + f->dgram_len[0], f->dgram[1], f->dgram_len[1]);
	return f->dgram_len[0] + f->dgram_len[1];
}

static void
test_quic_gso(void)
{
	struct run	r;
	size_t		n;
	uint64_t	refused;

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic gso: libcrypto contexts");
		return;
	}
	if (!qflight(&qg_a, "allowed.example", 1, 0x3a) ||
	    !qsecond(&qg_b2, &qg_a, 0x3a, 0x4a, "blocked.example", 1, 0) ||
	    !qflight(&qg_x, "blocked.example", 2, 0x3b) ||
	    !qflight(&qg_y, "allowed.example", 2, 0x3c) ||
	    !setup(&r, "")) {
		qi_ctx_free(qx);
		return;
	}
	refused = r.e.l7.quic_refused;
	/* A decided flow reading Initials (a second hello may come). */
	CHECK_STR_EQ(qgso(&r, 6060, qg_a.dgram[0], qg_a.dgram_len[0], false),
	    "accept", "quic gso: an allowed hello");
	n = behind_short(&qg_b2, 0);
	CHECK_STR_EQ(qgso(&r, 6060, qg_dg, n, false), "accept",
	    "quic gso: [a short header][a blocked second hello], one "
	    "datagram: the short header's (the server reads no Initial)");
	CHECK_STR_EQ(qgso(&r, 6060, qg_dg, n, true), "l7_error",
	    "quic gso: ... a GSO packet (the second hello a datagram of its "
	    "own): refused");
	/* A new flow. */
	n = behind_short(&qg_x, 0);
	CHECK_STR_EQ(qgso(&r, 6061, qg_dg, n, false), "accept",
	    "quic gso: a new flow's [short header][a blocked hello's first "
	    "Initial], one datagram: no QUIC first flight, no fields");
	CHECK_STR_EQ(qgso(&r, 6061, qg_dg, n, true), "l7_error",
	    "quic gso: ... a GSO packet: refused");
	n = both(&qg_x);
	CHECK_STR_EQ(qgso(&r, 6062, qg_dg, n, true), "blocked",
	    "quic gso: a blocked hello's two datagrams in one GSO packet: "
	    "read as coalesced Initials, blocked");
	n = both(&qg_y);
	CHECK_STR_EQ(qgso(&r, 6063, qg_dg, n, true), "accept",
	    "quic gso: an allowed hello's two datagrams in one GSO packet: "
	    "accepted");
	CHECK_INT_EQ(r.e.l7.quic_refused - refused, 2,
	    "quic gso: the two refusals counted");
	teardown(&r);

	/* An Initial's first bytes inside another Initial's: its CRYPTO
	   data can be any ciphertext (the keys are public). */
	memcpy(qg_dg, qg_y.dgram[0], qg_y.dgram_len[0]);
	CHECK(!nfqd_quic_gso_hidden(qg_dg, qg_y.dgram_len[0]),
	    "quic gso: one Initial: nothing hidden");
	CHECK(!nfqd_quic_gso_hidden(qg_dg, both(&qg_y)),
	    "quic gso: two chained Initials: nothing hidden");
	memcpy(qg_dg, qg_y.dgram[0], qg_y.dgram_len[0]);
	memcpy(qg_dg + 300, "\xc3\x00\x00\x00\x01", 5);
	CHECK(nfqd_quic_gso_hidden(qg_dg, qg_y.dgram_len[0]),
	    "quic gso: a v1 Initial's first bytes inside an Initial: hidden");
	memcpy(qg_dg + 300, "\xd3\x6b\x33\x43\xcf", 5);
	CHECK(nfqd_quic_gso_hidden(qg_dg, qg_y.dgram_len[0]),
	    "quic gso: a v2 Initial's (type bits 01) too");
	memcpy(qg_dg + 300, "\xe3\x00\x00\x00\x01", 5);
	CHECK(!nfqd_quic_gso_hidden(qg_dg, qg_y.dgram_len[0]),
	    "quic gso: a v1 Handshake's: not an Initial");
	memcpy(qg_dg + 300, "\x83\x00\x00\x00\x01", 5);
	CHECK(!nfqd_quic_gso_hidden(qg_dg, qg_y.dgram_len[0]),
	    "quic gso: without the fixed bit: not read by a server");
	qi_ctx_free(qx);
}

/*
 * A hello nfqd read whole on a QUIC flow and then refused, with
 * l7_error_verdict "accept" and a rule that drops packets alone (flow =
 * false): the rules see it, their drop stands and decides the flow, so
 * that the same datagrams sent again do not pass with l7_error_verdict.
 * A second hello for another (blocked) name after an allowed first; a
 * blocked first hello with CRYPTO bytes already read past it (a second
 * hello sent before it, which no client sends).
 */
static struct qi_flight	 qo_a, qo_b2, qo_o2, qo_x, qo_x2;

static const struct qstep other_steps[] = {
	{ 6040, 'c', &qo_a, 0, 0, 0, "accept",
	  "other: the first hello, allowed" },
	{ 6040, 's', NULL, 0, 0x37, 0x47, "accept",
	  "other: the server's answer" },
	{ 6040, 'c', &qo_b2, 0, 0, 0, "drop",
	  "other: a second hello for a blocked name (l7_error_verdict "
	  "accept, flow = false): dropped" },
	{ 6040, 'c', &qo_b2, 0, 0, 0, "drop",
	  "other: ... sent again: dropped (the flow's now)" },
	{ 6040, 'h', NULL, 0, 0, 0, "drop",
	  "other: ... and every later packet" },
	{ 6041, 'c', &qo_a, 0, 0, 0, "accept",
	  "other: the first hello, allowed" },
	{ 6041, 'c', &qo_o2, 0, 0, 0, "accept",
	  "other: a second hello for another allowed name: l7_error_verdict "
	  "(accept)" },
	{ 6042, 'c', &qo_x2, 0, 0, 0, "pending",
	  "other: bytes past where a blocked first hello will end, sent "
	  "first: pending" },
	{ 6042, 'c', &qo_x, 0, 0, 0, "drop",
	  "other: ... the blocked first hello, bytes read past it: dropped" },
	{ 6042, 'c', &qo_x, 0, 0, 0, "drop",
	  "other: ... sent again: dropped" },
};

static void
test_quic_other(void)
{
	static const char	*text =
	    "queue = { balance = \"0:0\"; };\n"
	    "l7_error_verdict = \"accept\";\n"
	    "rules = (\n"
	    "  { name = \"quic\"; server_name = \"blocked.example\";"
	    " l7 = \"quic\"; flow = false; verdict = \"drop\"; }\n"
	    ");\n";
	struct run		 r;
	uint64_t		 hits;

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic other: libcrypto contexts");
		return;
	}
	if (!qflight(&qo_a, "allowed.example", 1, 0x37) ||
	    !qsecond(&qo_b2, &qo_a, 0x37, 0x47, "blocked.example", 1, 0) ||
	    !qsecond(&qo_o2, &qo_a, 0x37, 0x47, "other.example", 1, 0) ||
	    !qflight(&qo_x, "blocked.example", 1, 0x38) ||
	    !qsecond(&qo_x2, &qo_x, 0x38, 0x38, "allowed.example", 1, 0) ||
	    !setup_text(&r, text)) {
		qi_ctx_free(qx);
		return;
	}
	hits = r.ctr[0].hits;
	qsteps(&r, other_steps, NFQD_ARRAY_SIZE(other_steps));
	CHECK_INT_EQ(r.ctr[0].hits - hits, 5,
	    "quic other: the drops counted to the rule");
	teardown(&r);
	qi_ctx_free(qx);
}

/*
 * A datagram nfqd read a hello's last CRYPTO bytes from, dropped by a
 * rule that does not decide the flow (a rate limit's stand-in above the
 * name rules, matched by mark 0x4): the server never got those bytes,
 * and nfqd passes over CRYPTO bytes before the hello's end.  So the drop
 * decides the flow (docs/l7.md, A dropped packet nfqd read).
 */
static struct qi_flight	 qf_d1, qf_d2;

static const char *
qsendm(struct run *r, uint16_t sport, const struct qi_flight *f, unsigned i,
    uint32_t mark)
{
	struct seg		s = { "10.0.0.1", "10.0.0.2", sport, 443, 0, 0,
				    17, false, 0, 0, 0, NULL };
	struct nfqd_decision	d;

	d = decide(r, mk(&s, f->dgram[i], f->dgram_len[i]), mark, 0);
	return what(&d);
}

static void
test_quic_dropped(void)
{
	struct run	r;

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic dropped: libcrypto contexts");
		return;
	}
	if (!qflight(&qf_d1, "aaaaaaa.example", 2, 0x55) ||
	    !qflight(&qf_d2, "blocked.example", 2, 0x55) ||
	    !setup_text(&r, "queue = { balance = \"0:0\"; };\n"
	    "rules = (\n"
	    "  { name = \"rate\"; match_mark = \"0x4/0x4\"; verdict = "
	    "\"drop\"; },\n"
	    "  { name = \"tls\"; tls_sni = \"blocked.example\"; verdict = "
	    "\"repeat\"; mark = 0x10000000; }\n"
	    ");\n")) {
		qi_ctx_free(qx);
		return;
	}
	CHECK_UINT_EQ(qf_d1.hello_len, qf_d2.hello_len,
	    "quic dropped: two hellos as long");
	CHECK_STR_EQ(qsendm(&r, 6040, &qf_d1, 0, 0), "pending",
	    "quic dropped: a hello's first datagram");
	CHECK_STR_EQ(qsendm(&r, 6040, &qf_d1, 1, 0x4), "drop",
	    "quic dropped: ... its last, by the rate rule");
	CHECK_STR_EQ(qsendm(&r, 6040, &qf_d2, 1, 0), "drop",
	    "quic dropped: ... a blocked hello's last there: dropped with the "
	    "connection");
	CHECK_STR_EQ(qsendm(&r, 6040, &qf_d1, 1, 0), "drop",
	    "quic dropped: ... and the first's sent again");
	/*
	 * A datagram before the last, dropped by the rate rule: nfqd keeps
	 * its bytes, the server never got them.  The client sends the same
	 * packet number again with the blocked hello's bytes there: a
	 * server that never read that number reads them.
	 */
	CHECK(memmem(qf_d2.hello, qf_d2.len[0], "blocked.example", 15) !=
	    NULL, "quic dropped: the name lies in the first piece");
	(void)fresh(&r);
	CHECK_STR_EQ(qsendm(&r, 6041, &qf_d1, 0, 0x4), "drop",
	    "quic dropped first: a hello's first datagram, by the rate rule");
	CHECK_STR_EQ(qsendm(&r, 6041, &qf_d2, 0, 0), "l7_error",
	    "quic dropped first: ... the blocked hello's first piece with the "
	    "same packet number: refused (the server reads it)");
	CHECK_STR_EQ(qsendm(&r, 6041, &qf_d1, 1, 0), "accept",
	    "quic dropped first: ... the allowed hello's last: decided on the "
	    "bytes nfqd holds");
	CHECK_STR_EQ(qsendm(&r, 6041, &qf_d2, 0, 0), "l7_error",
	    "quic dropped first: ... the first piece again: refused (before "
	    "the hello's end)");
	teardown(&r);
	qi_ctx_free(qx);
}

/* A decided QUIC flow keeps its verdict for flows.udp_timeout idle. */
static void
test_udp_timeout(void)
{
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			v1[1200], shorthdr[40];
	size_t			n1;

	if (!setup(&r, "flows = { udp_timeout = 30; tcp_timeout = 600; };"))
		return;
	n1 = unit_unhex(rfc9001_a2_packet, v1, sizeof(v1));
	memset(shorthdr, 0x41, sizeof(shorthdr));
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 5100, 443, 0, 0, 17, false, 0, 0, 0, NULL };
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "udp_timeout: the Initial blocked");
	now += 29000000000ull;
	d = decide(&r, mk(&s, shorthdr, sizeof(shorthdr)), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.flow,
	    "udp_timeout: 29 s idle: the flow's verdict still");
	now += 31000000000ull;
	d = decide(&r, mk(&s, shorthdr, sizeof(shorthdr)), 0, 0);
	CHECK(strcmp(what(&d), "accept") == 0 && !d.flow &&
	    d.rule == NFQD_DECIDED_DEFAULT,
	    "udp_timeout: 31 s idle: the flow has ended (not tcp_timeout)");
	teardown(&r);
}

/*
 * tls_ja4 of a hello read from QUIC Initials: its fingerprint starts with
 * q (test_quic.c checks the value against one computed apart); the same
 * fingerprint with t, TLS over TCP, is another and does not match.
 */
static void
test_quic_ja4(void)
{
	static const char *const fps[] = {
		"q13d0211an_62ed6f6ca7ad_4d634acda6c0",
		"t13d0211an_62ed6f6ca7ad_4d634acda6c0",
	};
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	struct unit_reports	rs;
	char			text[1024];
	uint8_t			v1[1200];
	size_t			n1, i;

	n1 = unit_unhex(rfc9001_a2_packet, v1, sizeof(v1));
	for (i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		snprintf(text, sizeof(text),
		    "queue = { balance = \"0:0\"; };\n"
		    "rules = ( { name = \"ja4\"; tls_ja4 = \"%s\";"
		    " verdict = \"repeat\"; mark = 0x10000000; } );\n", fps[i]);
		memset(&rs, 0, sizeof(rs));
		if (nfqd_config_load_text(&r.cf, "ja4q.conf", text,
		    strlen(text), NULL, unit_collect, &rs) != 0) {
			CHECKF(0, "quic ja4: configuration loads", "%s:%d: %s",
			    rs.r[0].file, rs.r[0].line, rs.r[0].msg);
			return;
		}
		if (!CHECK(setup_engine(&r), "quic ja4: engine init"))
			return;
		s = (struct seg){ "10.0.0.1", "10.0.0.2", 5100, 443, 0, 0, 17,
		    false, 0, 0, 0, NULL };
		d = decide(&r, mk(&s, v1, n1), 0, 0);
		if (i == 0)
			CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 0,
			    "QUIC v1 Initial: tls_ja4 with its q fingerprint "
			    "blocks it");
		else
			CHECK(strcmp(what(&d), "accept") == 0 &&
			    d.rule == NFQD_DECIDED_DEFAULT,
			    "QUIC v1 Initial: the t fingerprint of the same "
			    "hello does not match it");
		teardown(&r);
	}
}

/*
 * QUIC: a datagram whose Initial completes a blocked hello, then a packet
 * refused (another Destination Connection ID, which RFC 9000 12.2 lets a
 * server ignore): the hello still goes to the rules.
 */
static void
test_quic_refused_after(void)
{
	static const uint8_t	other_dcid[] = {
		0xc0, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x05,
	};
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			v1[1300];
	size_t			n1;

	if (!setup(&r, "l7_error_verdict = \"accept\";"))
		return;
	n1 = unit_unhex(rfc9001_a2_packet, v1, 1200);
	memcpy(v1 + n1, other_dcid, sizeof(other_dcid));
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 5300, 443, 0, 0, 17, false,
	    0, 0, 0, NULL };
	d = decide(&r, mk(&s, v1, n1 + sizeof(other_dcid)), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3 &&
	    d.status == NFQD_PKT_OK, "QUIC: a blocked hello, then a packet "
	    "for another connection ID: blocked by its rule");
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK(strcmp(what(&d), "blocked") == 0 && d.rule == 3,
	    "... the flow decided so");
	teardown(&r);
}

/*
 * A QUIC client whose datagrams come from port 53 (to a server on 443):
 * the server reads its Initial whatever the client's port.  Read as
 * DNS, it is refused, and with l7_error_verdict "accept" passes unread.
 */
static void
test_quic_sport53(void)
{
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	static const uint8_t	answer[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'b', 'l', 'o', 'c', 'k', 'e', 'd',
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	};
	uint8_t			v1[1200], shorthdr[40];
	size_t			n1;

	if (!setup(&r, "l7_error_verdict = \"accept\";"))
		return;
	n1 = unit_unhex(rfc9001_a2_packet, v1, sizeof(v1));
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 53, 443, 0, 0, 17, false,
	    0, 0, 0, NULL };
	d = decide(&r, mk(&s, v1, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "QUIC v1 Initial from port 53, "
	    "l7_error_verdict accept: example.com, alpn, l7 quic blocked");
	memset(shorthdr, 0x41, sizeof(shorthdr));
	d = decide(&r, mk(&s, shorthdr, sizeof(shorthdr)), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "... a later short-header packet "
	    "from port 53: the flow's verdict");
	/* A DNS answer from port 53 is still read as DNS. */
	s = (struct seg){ "10.0.0.2", "10.0.0.1", 53, 40000, 0, 0, 17,
	    false, 0, 0, 0, NULL };
	d = decide(&r, mk(&s, answer, sizeof(answer)), 0, 0);
	CHECK_STR_EQ(what(&d), "drop", "a DNS answer from port 53 for "
	    "blocked.example: read as DNS, the dns rule's drop");
	teardown(&r);
}

/*
 * Datagrams nfqd reads that the server discards, then the blocked hello
 * at the same CRYPTO offsets.  A server keeps no state for a datagram
 * whose first packet is not an Initial when it knows no connection for
 * its ID (quiche's apps and examples: "Packet is not Initial";
 * ngtcp2_accept(); quic-go drops non-Initial long headers of unknown
 * connections): it never read the Initial coalesced after that packet.
 * The same holds for a datagram lost past nfqd (a full socket buffer,
 * a later rule, the path MTU) and for an Initial whose token the server
 * refuses (RFC 9000 8.1.2/8.1.3; ngtcp2's example server answers an
 * invalid Retry token with a stateless CONNECTION_CLOSE).  So the client's
 * next Initial for the same connection ID is the server's first.
 */
static struct qi_flight	 qf_u1, qf_u2, qf_u3, qf_xp;

/* A Handshake packet (v1) for DCID byte id, then flight f's datagram d. */
static size_t
qhs_first(uint8_t *b, const struct qi_flight *f, unsigned d, uint8_t id)
{
	size_t	n = 0;

	b[n++] = 0xe0;			/* long, fixed, Handshake */
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 1;
	b[n++] = 8;
	memset(b + n, id, 8);
	n += 8;
	b[n++] = 8;
	memset(b + n, id ^ 0xff, 8);
	n += 8;
	b[n++] = 0x40;			/* Length: 40 */
	b[n++] = 40;
	memset(b + n, 0x5a, 40);
	n += 40;
	memcpy(b + n, f->dgram[d], f->dgram_len[d]);
	return n + f->dgram_len[d];
}

static void
test_quic_server_discards(void)
{
	static uint8_t	b[QI_DGRAM_MAX + 100];
	struct run	r;
	size_t		n;

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic discards: libcrypto contexts");
		return;
	}
	/* u1: an allowed hello whole; u3: one in two pieces; u2: the
	   blocked one whole; all for DCID 0x77..77. */
	/* x and xp: the same hello (the same random bytes), xp's packet
	   numbers from 2. */
	qi_seed(0x5eed);
	if (!qflight(&qf_x, "blocked.example", 2, 0x11))
		return;
	qi_seed(0x5eed);
	if (!qflight_pn(&qf_xp, "blocked.example", 2, 0x11, 2) ||
	    !qflight(&qf_u1, "aaaaaaa.example", 1, 0x77) ||
	    !qflight(&qf_u3, "aaaaaaa.example", 2, 0x77) ||
	    !qflight(&qf_u2, "blocked.example", 1, 0x77) ||
	    !setup(&r, "")) {
		qi_ctx_free(qx);
		return;
	}
	CHECK_UINT_EQ(qf_u1.hello_len, qf_u2.hello_len,
	    "quic discards: two hellos as long");
	CHECK(memcmp(qf_x.hello, qf_xp.hello, qf_x.hello_len) == 0,
	    "quic discards: x and xp hold the same hello");

	/* Decided: the server never got the allowed hello. */
	n = qhs_first(b, &qf_u1, 0, 0x77);
	CHECK_STR_EQ(qsend(&r, 6100, b, n, 0, false), "l7_error",
	    "quic discards: [Handshake, Initial(allowed hello)]: refused "
	    "unread (the server drops the datagram: not Initial first)");
	CHECK_STR_EQ(qdg(&r, 6100, &qf_u2, 0), "blocked",
	    "quic discards: ... then the blocked hello at the same offsets, "
	    "same DCID: read, blocked");

	/* Incomplete: the repeated packet number is passed over.  (New
	   claims for each case below: flow 6100 claimed ID 0x77.) */
	if (!fresh(&r))
		goto out;
	n = qhs_first(b, &qf_u3, 0, 0x77);
	CHECK_STR_EQ(qsend(&r, 6101, b, n, 0, false), "l7_error",
	    "quic discards: [Handshake, Initial pn 0 (half an allowed "
	    "hello)]: refused unread");
	CHECK_STR_EQ(qdg(&r, 6101, &qf_u2, 0), "blocked",
	    "quic discards: ... then pn 0 with the whole blocked hello: read, "
	    "blocked");

	/* The same with the first datagram lost past nfqd. */
	if (!fresh(&r))
		goto out;
	CHECK_STR_EQ(qdg(&r, 6102, &qf_u3, 0), "pending",
	    "quic lost: pn 0, half an allowed hello: pending (lost after "
	    "nfqd)");
	CHECK_STR_EQ(qdg(&r, 6102, &qf_u2, 0), "l7_error",
	    "quic lost: ... pn 0 again with the whole blocked hello: must not "
	    "pass");
	if (!fresh(&r))
		goto out;
	CHECK_STR_EQ(qdg(&r, 6103, &qf_u1, 0), "accept",
	    "quic lost: an allowed hello whole: accepted (lost after nfqd)");
	CHECK_STR_EQ(qdg(&r, 6103, &qf_u2, 0), "l7_error",
	    "quic lost: ... the blocked hello at the same offsets: must not "
	    "pass");
	/* A blocked flow's hello again: the flow's verdict stands. */
	if (!fresh(&r))
		goto out;
	CHECK_STR_EQ(qdg(&r, 6104, &qf_u2, 0), "blocked",
	    "quic lost: a blocked hello: blocked");
	CHECK_STR_EQ(qdg(&r, 6104, &qf_u2, 0), "blocked",
	    "quic lost: ... sent again: blocked, the flow's verdict");
	/*
	 * A Retry (or Version Negotiation) "from the server" that the client
	 * forged: on a gateway it comes in where the client's datagrams do
	 * (same indev here), and nfqd takes it for the server's.  The server
	 * never sent it and keeps connection 0x11's bytes; nfqd forgets them.
	 */
	if (!fresh(&r))
		goto out;
	CHECK_STR_EQ(qdg(&r, 6120, &qf_x, 0), "pending",
	    "quic forged retry: a blocked hello's first datagram (DCID 0x11)");
	srv_indev = 2;		/* the client's side */
	(void) qserver(&r, 6120, 0x11, 0x55, true);
	CHECK_STR_EQ(qdg(&r, 6120, &qf_u1, 0), "l7_error",
	    "quic forged retry: ... a forged Retry from the client's side, then "
	    "another connection's allowed hello: refused (the server did not "
	    "ask)");
	(void) qserver(&r, 6120, 0x77, 0x56, true);
	CHECK_STR_EQ(qdg(&r, 6120, &qf_x, 1), "blocked",
	    "quic forged retry: ... another forged Retry, then the blocked "
	    "hello's last datagram: blocked (the server holds the first)");
	srv_indev = 3;
	/* The same Retry from the server's side is taken. */
	if (!fresh(&r))
		goto out;
	CHECK_STR_EQ(qdg(&r, 6121, &qf_x, 0), "pending",
	    "quic retry: a blocked hello's first datagram (DCID 0x11)");
	(void) qserver(&r, 6121, 0x11, 0x55, true);
	CHECK_STR_EQ(qdg(&r, 6121, &qf_u1, 0), "accept",
	    "quic retry: ... the server's Retry, then a new connection: read "
	    "afresh");
	/*
	 * After a Retry the client goes on with the old connection ID
	 * (RFC 9000 17.2.5.2 says it must not), with a token: a server whose
	 * token is not bound to the new ID (quiche's example server) makes
	 * the connection again and holds its bytes; nfqd, with restart_ok
	 * still set, forgets them for the next connection, and a second Retry
	 * (to that one's tokenless Initial) lets the old one's rest be read
	 * afresh, alone.  The ID 0x11 stays the flow's claim (qclaim.h):
	 * once it was read, its later Initials are refused after the
	 * restart, as another flow's would be.
	 */
	if (!fresh(&r))
		goto out;
	CHECK_STR_EQ(qdg(&r, 6122, &qf_x, 0), "pending",
	    "quic retry reuse: a blocked hello's first datagram (DCID 0x11)");
	(void) qserver(&r, 6122, 0x11, 0x55, true);
	CHECK_STR_EQ(qdg(&r, 6122, &qf_xp, 0), "l7_error",
	    "quic retry reuse: ... the server's Retry, then the same datagram "
	    "again to the old ID (packet number 2): refused (the server may "
	    "take it up again)");
	CHECK_STR_EQ(qdg(&r, 6122, &qf_u1, 0), "accept",
	    "quic retry reuse: ... a new connection: read afresh");
	(void) qserver(&r, 6122, 0x77, 0x56, true);
	CHECK_STR_EQ(qdg(&r, 6122, &qf_x, 1), "l7_error",
	    "quic retry reuse: ... its Retry, then the old one's last "
	    "datagram: refused (ID 0x11 claimed before)");
	CHECK_STR_EQ(qdg(&r, 6122, &qf_xp, 0), "l7_error",
	    "quic retry reuse: ... and its first: refused");
	teardown(&r);
	/* A flow's verdict other than accept stands over the refusal,
	   whatever l7_error_verdict says. */
	if (setup(&r, "l7_error_verdict = \"accept\";")) {
		CHECK_STR_EQ(qdg(&r, 6105, &qf_u2, 0), "blocked",
		    "quic lost (l7_error accept): a blocked hello: blocked");
		CHECK_STR_EQ(qdg(&r, 6105, &qf_u2, 0), "blocked",
		    "quic lost (l7_error accept): ... sent again: blocked");
		teardown(&r);
	}
	qi_ctx_free(qx);
	return;
out:
	qi_ctx_free(qx);
}

/*
 * A QUIC connection ID is one flow's (l7/qclaim.h, docs/l7.md): a server
 * finds a connection by it from any address and port (quic-go, quiche,
 * lsquic and aioquic read such Initials' CRYPTO data), so a hello split
 * over two flows must not pass as two incomplete ones.  Before the claims
 * every row marked (*) passed pending.
 */
static struct qi_flight	 qf_s1, qf_s2, qf_s3, qf_s4, qf_ping;

/* The UDP flow of client port sport to 443 (qsend()'s addresses). */
static struct nfqd_flow *
udp_flow(struct run *r, uint16_t sport)
{
	struct nfqd_flow_key	k;
	uint8_t			a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	int			dir;

	nfqd_flow_key_make(&k, AF_INET, IPPROTO_UDP, a, b, sport, 443, &dir);
	return nfqd_flow_find(r->e.l7.flows, &k, now);
}

/* Like qsend() from address saddr. */
static const char *
qsend_from(struct run *r, const char *saddr, uint16_t sport,
    const struct qi_flight *f, unsigned dg)
{
	struct seg		s = { saddr, "10.0.0.2", sport, 443, 0, 0, 17,
				    false, 0, 0, 0, NULL };
	struct nfqd_decision	d;

	d = decide(r, mk(&s, f->dgram[dg], f->dgram_len[dg]), 0, 0);
	return what(&d);
}

/* Every slot of r's claim table a live claim, for 60 s from now. */
static void
fill_claims(struct run *r)
{
	struct nfqd_qclaim_ref	ref;
	uint32_t		s = (uint32_t)(now / 1000000000ull);
	uint64_t		i;
	uint8_t			cid[8];

	for (i = 0; i < 1000000 && nfqd_qclaim_count(r->claims, s) <
	    nfqd_qclaim_capacity(r->claims); i++) {
		memcpy(cid, &i, 8);
		(void)nfqd_qclaim_take(r->claims, cid, 8, s, 60, &ref);
	}
	CHECK_UINT_EQ(nfqd_qclaim_count(r->claims, s),
	    nfqd_qclaim_capacity(r->claims), "quic claims: the table filled");
}

static void
test_quic_claims(void)
{
	struct qi_spec	sp;
	struct run	r;
	uint64_t	claimed, full, taken;
	uint8_t		bad[1500];
	struct nfqd_l7_counts k;
	char		err[128];

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic claims: libcrypto contexts");
		return;
	}
	memset(&sp, 0, sizeof(sp));
	sp.version = QI_V1;
	sp.sni = "blocked.example";
	sp.pieces = 1;
	sp.dcid_len = sp.scid_len = 8;
	memset(sp.dcid, 0x64, 8);
	memset(sp.scid, 0x64 ^ 0xff, 8);
	sp.ping_only = true;
	sp.pn_base = 5;
	if (!qflight(&qf_s1, "blocked.example", 2, 0x61) ||
	    !qflight(&qf_s2, "blocked.example", 2, 0x62) ||
	    !qflight(&qf_s3, "aaaaaaa.example", 1, 0x63) ||
	    !qflight(&qf_s4, "blocked.example", 2, 0x64) ||
	    !CHECKF(qi_build(qx, &sp, &qf_ping, err, sizeof(err)) == 0,
	    "quic claims: an Initial with a PING, no CRYPTO, is built", "%s",
	    err) || !setup(&r, "")) {
		qi_ctx_free(qx);
		return;
	}
	claimed = r.e.l7.quic_claimed;
	taken = r.e.l7.claims_taken;
	/* A blocked hello's halves from two ports, two addresses. */
	CHECK_STR_EQ(qdg(&r, 7001, &qf_s1, 0), "pending",
	    "quic claims: a blocked hello's first half from port 7001");
	CHECK_STR_EQ(qdg(&r, 7002, &qf_s1, 1), "l7_error",
	    "quic claims: ... its second half from port 7002: refused (*)");
	CHECK_STR_EQ(qsend_from(&r, "10.0.0.9", 7001, &qf_s1, 1),
	    "l7_error", "quic claims: ... from another address: refused (*)");
	CHECK_STR_EQ(qdg(&r, 7001, &qf_s1, 1), "blocked",
	    "quic claims: ... from port 7001, the flow that claimed the ID: "
	    "read, blocked");
	/* The second half first: its flow claims the ID. */
	CHECK_STR_EQ(qdg(&r, 7003, &qf_s2, 1), "pending",
	    "quic claims: a blocked hello's second half first, port 7003");
	CHECK_STR_EQ(qdg(&r, 7004, &qf_s2, 0), "l7_error",
	    "quic claims: ... its first half from port 7004: refused (*)");
	/* An allowed hello whole, sent again from another port. */
	CHECK_STR_EQ(qdg(&r, 7005, &qf_s3, 0), "accept",
	    "quic claims: an allowed hello from port 7005: accepted");
	CHECK_STR_EQ(qdg(&r, 7006, &qf_s3, 0), "l7_error",
	    "quic claims: ... the same connection's hello from port 7006: "
	    "refused");
	CHECK_INT_EQ(r.e.l7.quic_claimed - claimed, 4,
	    "quic claims: four Initials refused for another flow's ID, "
	    "counted");
	/* An Initial for a new ID (0x77 in place of 0x63) that decrypts
	   to nothing: the claim it took is given back, not counted. */
	memcpy(bad, qf_s3.dgram[0], qf_s3.dgram_len[0]);
	memset(bad + 6, 0x77, 8);
	CHECK_STR_EQ(qsend(&r, 7007, bad, qf_s3.dgram_len[0], 0, false),
	    "l7_error", "quic claims: an Initial that does not decrypt: "
	    "refused");
	CHECK_INT_EQ(r.e.l7.claims_taken - taken, 3,
	    "quic claims: three IDs claimed (ports 7001, 7003, 7005), "
	    "counted; none for the Initial that does not decrypt");
	nfqd_l7_counts(&r.e.l7, &k);
	CHECK(k.quic_claims == r.e.l7.claims_taken &&
	    k.quic_claims_held == r.e.l7.quic_claimed &&
	    k.quic_claims_full == r.e.l7.claims_full,
	    "quic claims: the counts the worker publishes are these");

	/* The worker replaced: its flows gone, the claims kept. */
	CHECK_STR_EQ(qdg(&r, 7010, &qf_s4, 0), "pending",
	    "quic claims: a blocked hello's first half from port 7010");
	nfqd_engine_free(&r.e);
	if (!CHECK(nfqd_engine_init(&r.e, &r.cf, r.cf.rules, r.ctr, NULL,
	    NULL, 0) == 0, "quic claims: a new engine (a new worker)")) {
		r.ok = false;
		nfqd_qclaim_destroy(r.claims);
		nfqd_config_free(&r.cf);
		qi_ctx_free(qx);
		return;
	}
	nfqd_engine_qclaim(&r.e, r.claims);
	CHECK_STR_EQ(qdg(&r, 7010, &qf_s4, 1), "l7_error",
	    "quic claims: a new worker: the second half on the same ports, "
	    "a new flow: refused (*: read alone, pending)");
	CHECK_STR_EQ(qdg(&r, 7010, &qf_ping, 0), "pending",
	    "quic claims: ... an Initial without CRYPTO data for the ID (an "
	    "ACK): passes pending, unread");
	CHECK_STR_EQ(qdg(&r, 7010, &qf_s4, 1), "l7_error",
	    "quic claims: ... the second half again: refused");
	/* A claim lives NFQD_QCLAIM_LIFE (90 s) past the last Initial
	   passed for its ID (the ACK above), whatever the flows do. */
	now += (NFQD_QCLAIM_LIFE - 1) * 1000000000ull;
	CHECK_STR_EQ(qdg(&r, 7011, &qf_s4, 1), "l7_error",
	    "quic claims: 89 s on: the second half from port 7011: refused");
	now += 1000000000ull;
	CHECK_STR_EQ(qdg(&r, 7012, &qf_s4, 1), "pending",
	    "quic claims: 90 s on: the second half from port 7012 is read, "
	    "a new claim");

	/*
	 * A server restarts its idle timer at each Initial it reads: one
	 * kept alive past the claim's first 90 s by Initials without
	 * CRYPTO data, from the claiming port or a third one, must not
	 * take the rest of the hello from another port then.  Each such
	 * Initial nfqd passes makes the claim last 90 s from it (before:
	 * the claim ended 90 s after the first, and the rows marked +
	 * read the second half, pending).
	 */
	if (!fresh(&r))
		goto out;
	CHECK_STR_EQ(qdg(&r, 7050, &qf_s4, 0), "pending",
	    "quic claims: keep-alive: a blocked hello's first half, port 7050");
	now += 60 * 1000000000ull;
	CHECK_STR_EQ(qdg(&r, 7050, &qf_ping, 0), "pending",
	    "quic claims: keep-alive: 60 s on, an Initial without CRYPTO "
	    "data from port 7050: read, passes");
	now += 60 * 1000000000ull;
	CHECK_STR_EQ(qdg(&r, 7051, &qf_s4, 1), "l7_error",
	    "quic claims: keep-alive: 120 s on, the second half from port "
	    "7051: refused (+)");
	if (!fresh(&r))
		goto out;
	CHECK_STR_EQ(qdg(&r, 7060, &qf_s4, 0), "pending",
	    "quic claims: keep-alive: a first half from port 7060");
	now += 60 * 1000000000ull;
	CHECK_STR_EQ(qdg(&r, 7061, &qf_ping, 0), "pending",
	    "quic claims: keep-alive: 60 s on, one without CRYPTO data from "
	    "port 7061: passes, unread");
	now += 60 * 1000000000ull;
	CHECK_STR_EQ(qdg(&r, 7062, &qf_s4, 1), "l7_error",
	    "quic claims: keep-alive: 120 s on, the second half from port "
	    "7062: refused (+)");
	now += (NFQD_QCLAIM_LIFE + 1) * 1000000000ull;
	CHECK_STR_EQ(qdg(&r, 7063, &qf_s4, 1), "pending",
	    "quic claims: keep-alive: 90 s of silence later: read");

	/* No room to claim: flows.full_verdict, counted. */
	if (!fresh(&r))
		goto out;
	full = r.e.l7.claims_full;
	fill_claims(&r);
	CHECK_STR_EQ(qdg(&r, 7020, &qf_s1, 0), "untracked",
	    "quic claims: a full table: flows.full_verdict");
	CHECK_INT_EQ(r.e.l7.claims_full - full, 1,
	    "quic claims: ... counted");
	now += 61 * 1000000000ull;
	CHECK_STR_EQ(qdg(&r, 7020, &qf_s1, 0), "pending",
	    "quic claims: ... once the claims end: read");
	CHECK_STR_EQ(qdg(&r, 7020, &qf_s1, 1), "blocked",
	    "quic claims: ... and the rest: blocked");
	teardown(&r);
	/* The same with flows.udp_timeout under the claim's life: the
	   flow of the first half is gone, its claim not. */
	if (setup(&r, "flows = { udp_timeout = 10; };")) {
		CHECK_STR_EQ(qdg(&r, 7030, &qf_s1, 0), "pending",
		    "quic claims (udp_timeout 10): a first half");
		now += 30 * 1000000000ull;
		nfqd_l7_expire(&r.e.l7, now);
		CHECK(udp_flow(&r, 7030) == NULL,
		    "quic claims (udp_timeout 10): ... its flow ended at 30 s");
		CHECK_STR_EQ(qdg(&r, 7030, &qf_s1, 1), "l7_error",
		    "quic claims (udp_timeout 10): ... the second half on the "
		    "same ports, a new flow: refused");
		teardown(&r);
	}
out:
	qi_ctx_free(qx);
}

static struct qi_flight	 qa_blocked, qa_allowed, qa_half, qa_fill;

/*
 * A QUIC datagram nfqd cannot follow in a flow (no room to claim its
 * connection ID, no flow, no reassembly buffer) is read alone: a blocked
 * hello whole in it is blocked, whatever flows.full_verdict says; an
 * allowed one, or part of a hello, gets flows.full_verdict.
 */
static void
test_quic_alone(void)
{
	static const char *const conf[2] = { "",
	    "flows = { full_verdict = \"accept\"; };" };
	struct nfqd_l7_counts	 k;
	struct run		 r;
	const char		*acc, *fv;
	uint64_t		 n, full;
	unsigned		 i, bad;

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic alone: libcrypto contexts");
		return;
	}
	if (!qflight(&qa_blocked, "blocked.example", 1, 0x71) ||
	    !qflight(&qa_allowed, "allowed.example", 1, 0x72) ||
	    !qflight(&qa_half, "blocked.example", 2, 0x73))
		goto out;
	for (i = 0; i < 2; i++) {
		acc = i == 0 ? "untracked" : "accept";
		fv = i == 0 ? "drop" : "accept";
		if (!CHECK(setup(&r, conf[i]), "quic alone: set up"))
			continue;
		fill_claims(&r);
		n = r.e.l7.alone_read;
		CHECK_STR_EQ(qdg(&r, 7101, &qa_blocked, 0), "blocked",
		    unit_fmt("quic alone (full_verdict %s): no room to claim "
		    "the ID: a blocked hello whole in one datagram: blocked",
		    fv));
		CHECK_STR_EQ(qdg(&r, 7102, &qa_allowed, 0), acc,
		    unit_fmt("quic alone (full_verdict %s): ... an allowed "
		    "one: flows.full_verdict", fv));
		CHECK_STR_EQ(qdg(&r, 7103, &qa_half, 0), acc,
		    unit_fmt("quic alone (full_verdict %s): ... half a "
		    "blocked hello: flows.full_verdict", fv));
		CHECK_INT_EQ(r.e.l7.alone_read - n, 2,
		    unit_fmt("quic alone (full_verdict %s): two hellos read "
		    "alone", fv));
		teardown(&r);
	}

	/* No flow: each of the 16 holds a hello being put together. */
	if (CHECK(setup(&r, "flows = { max = 16; };"),
	    "quic alone: set up, flows.max 16")) {
		for (i = bad = 0; i < 16; i++)
			bad += !qflight(&qa_fill, "blocked.example", 2,
			    (uint8_t)(0x80 + i)) ||
			    strcmp(qdg(&r, (uint16_t)(7200 + i), &qa_fill, 0),
			    "pending") != 0;
		CHECK_UINT_EQ(bad, 0, "quic alone: 16 flows, each with half "
		    "a hello: pending");
		nfqd_l7_counts(&r.e.l7, &k);
		full = k.flows_full;
		CHECK_STR_EQ(qdg(&r, 7301, &qa_blocked, 0), "blocked",
		    "quic alone: no flow: a blocked hello whole: blocked");
		CHECK_STR_EQ(qdg(&r, 7302, &qa_allowed, 0), "untracked",
		    "quic alone: no flow: an allowed one: flows.full_verdict");
		nfqd_l7_counts(&r.e.l7, &k);
		CHECK_UINT_EQ(k.flows_full - full, 2,
		    "quic alone: no flow: both found no room");
		teardown(&r);
	}

	/* No reassembly buffer: the one there is holds half a hello. */
	if (CHECK(setup(&r, "flows = { reasm_buffers = 1; };"),
	    "quic alone: set up, flows.reasm_buffers 1")) {
		CHECK_STR_EQ(qdg(&r, 7400, &qa_half, 0), "pending",
		    "quic alone: half a hello holds the one buffer");
		n = r.e.l7.reasm_full;
		CHECK_STR_EQ(qdg(&r, 7401, &qa_blocked, 0), "blocked",
		    "quic alone: no buffer: a blocked hello whole: blocked");
		CHECK_STR_EQ(qdg(&r, 7402, &qa_allowed, 0), "untracked",
		    "quic alone: no buffer: an allowed one: "
		    "flows.full_verdict");
		CHECK_INT_EQ(r.e.l7.reasm_full - n, 2,
		    "quic alone: no buffer: counted twice");
		teardown(&r);
	}
out:
	qi_ctx_free(qx);
}

/*
 * A flight of version 1 for ID byte id: a hello for sni in pieces
 * Initials from packet number pn (CRYPTO from offset off: a second
 * hello), or one PING-only Initial (sni NULL).  Every hello the same
 * bytes for the same name (qi_seed()).
 */
static bool
rflight(struct qi_flight *f, const char *sni, unsigned pieces, uint8_t id,
    unsigned pn, size_t off)
{
	struct qi_spec	s;
	char		err[128];

	memset(&s, 0, sizeof(s));
	s.version = QI_V1;
	s.sni = sni != NULL ? sni : "x.example";
	s.alpn = "h3";
	s.pieces = pieces;
	s.dcid_len = s.scid_len = 8;
	memset(s.dcid, id, 8);
	memset(s.scid, id ^ 0xff, 8);
	s.pn_base = pn;
	s.crypto_off = off;
	s.ping_only = sni == NULL;
	qi_seed(12345);
	return CHECKF(qi_build(qx, &s, f, err, sizeof(err)) == 0,
	    "quic refused beside: a flight is built", "%s", err);
}

static struct qi_flight	 qr_h, qr_h100, qr_w100, qr_ping, qr_ping2, qr_a,
			 qr_a2, qr_a2b, qr_pa, qr_bw;
static uint8_t		 qr_dg[4 * 1500];

/* Datagram d of a and datagram e of b as one datagram: its length. */
static size_t
qjoin(const struct qi_flight *a, unsigned d, const struct qi_flight *b,
    unsigned e)
{
	memcpy(qr_dg, a->dgram[d], a->dgram_len[d]);
	memcpy(qr_dg + a->dgram_len[d], b->dgram[e], b->dgram_len[e]);
	return a->dgram_len[d] + b->dgram_len[e];
}

/*
 * An Initial nfqd refuses beside one it reads (here a packet number of
 * 100, which a server reads: RFC 9000 sets no limit) makes the whole
 * datagram refused: before, the one read let it pass, and with it the
 * CRYPTO data nfqd never read.  Found by a review: each row passed
 * before (pending or accept).
 */
static void
test_quic_refused_beside(void)
{
	struct run	r;
	size_t		n;
	unsigned	i, bad;

	if ((qx = qi_ctx_new()) == NULL) {
		CHECK(0, "quic refused beside: libcrypto contexts");
		return;
	}
	if (!rflight(&qr_h, "blocked.example", 2, 0x91, 0, 0) ||
	    !rflight(&qr_h100, "blocked.example", 2, 0x91, 99, 0) ||
	    !rflight(&qr_ping, NULL, 1, 0x91, 3, 0) ||
	    !rflight(&qr_w100, "blocked.example", 1, 0x92, 100, 0) ||
	    !rflight(&qr_ping2, NULL, 1, 0x92, 0, 0) ||
	    !rflight(&qr_a, "allowed.example", 1, 0x93, 0, 0) ||
	    !rflight(&qr_pa, NULL, 1, 0x93, 5, 0) ||
	    !rflight(&qr_a2, "blocked.example", 1, 0x93, 100,
	    qr_a.hello_len) ||
	    !rflight(&qr_a2b, "blocked.example", 1, 0x93, 1,
	    qr_a.hello_len) ||
	    !rflight(&qr_bw, "blocked.example", 1, 0x92, 0, 0))
		goto out;
	CHECK(qr_h.hello_len == qr_h100.hello_len && memcmp(qr_h.hello,
	    qr_h100.hello, qr_h.hello_len) == 0,
	    "quic refused beside: the two flights hold the same hello");
	if (!setup(&r, ""))
		goto out;
	/* A hello's rest at packet number 100 behind a PING, same flow. */
	CHECK_STR_EQ(qdg(&r, 7500, &qr_h, 0), "pending",
	    "quic refused beside: a blocked hello's first half");
	n = qjoin(&qr_ping, 0, &qr_h100, 1);
	CHECK_STR_EQ(qsend(&r, 7500, qr_dg, n, 0, false), "l7_error",
	    "quic refused beside: [PING pn 3][its rest at pn 100]: refused");
	/* The same from another port: the ID is held (quic_claimed()). */
	if (!fresh(&r))
		goto done;
	CHECK_STR_EQ(qdg(&r, 7510, &qr_h, 0), "pending",
	    "quic refused beside: a first half from port 7510");
	CHECK_STR_EQ(qsend(&r, 7511, qr_dg, n, 0, false), "l7_error",
	    "quic refused beside: ... [PING][the rest at pn 100] from port "
	    "7511 (the ID held): refused");
	/* A whole blocked hello at packet number 100 behind a PING. */
	n = qjoin(&qr_ping2, 0, &qr_w100, 0);
	CHECK_STR_EQ(qsend(&r, 7530, qr_dg, n, 0, false), "l7_error",
	    "quic refused beside: a new flow's [PING pn 0][a whole blocked "
	    "hello at pn 100]: refused");
	n = qjoin(&qr_w100, 0, &qr_ping2, 0);
	CHECK_STR_EQ(qsend(&r, 7531, qr_dg, n, 0, false), "l7_error",
	    "quic refused beside: ... the hello first, the PING after: "
	    "refused");
	/* A decided flow's second hello (after a HelloRetryRequest). */
	if (!fresh(&r))
		goto done;
	CHECK_STR_EQ(qdg(&r, 7550, &qr_a, 0), "accept",
	    "quic refused beside: an allowed hello, accepted");
	n = qjoin(&qr_pa, 0, &qr_a2, 0);
	CHECK_STR_EQ(qsend(&r, 7550, qr_dg, n, 0, false), "l7_error",
	    "quic refused beside: ... [PING][a second hello for "
	    "blocked.example at pn 100]: refused");
	/* Both hellos in one datagram, the second at packet number 100. */
	if (!fresh(&r))
		goto done;
	n = qjoin(&qr_a, 0, &qr_a2, 0);
	CHECK_STR_EQ(qsend(&r, 7560, qr_dg, n, 0, false), "l7_error",
	    "quic refused beside: [an allowed hello][a second for "
	    "blocked.example at pn 100]: refused");
done:
	teardown(&r);

	/* Read alone, full_verdict accept: a second hello after the first,
	   both read (pn 0, 1), is refused as a flow would refuse it. */
	n = qjoin(&qr_a, 0, &qr_a2b, 0);
	if (setup(&r, "flows = { full_verdict = \"accept\"; };")) {
		fill_claims(&r);
		CHECK_STR_EQ(qsend(&r, 7570, qr_dg, n, 0, false), "l7_error",
		    "quic refused beside: read alone (claims full, "
		    "full_verdict accept): [an allowed hello][a second for "
		    "blocked.example]: refused");
		teardown(&r);
	}
	if (setup(&r, "flows = { max = 16; full_verdict = \"accept\"; };")) {
		for (i = bad = 0; i < 16; i++)
			bad += !qflight(&qa_fill, "blocked.example", 2,
			    (uint8_t)(0xa0 + i)) ||
			    strcmp(qdg(&r, (uint16_t)(7600 + i), &qa_fill, 0),
			    "pending") != 0;
		CHECK_UINT_EQ(bad, 0, "quic refused beside: 16 flows, each "
		    "with half a hello");
		CHECK_STR_EQ(qsend(&r, 7571, qr_dg, n, 0, false), "l7_error",
		    "quic refused beside: read alone (no flow, full_verdict "
		    "accept): the same: refused");
		CHECK_STR_EQ(qsend(&r, 7572, qr_a.dgram[0], qr_a.dgram_len[0],
		    0, false), "accept", "quic refused beside: ... the "
		    "allowed hello alone: full_verdict accept");
		teardown(&r);
	}
	/* Read alone with l7_error_verdict accept: a blocked hello whole
	   before an Initial refused (packet number 100) is still blocked. */
	n = qjoin(&qr_bw, 0, &qr_w100, 0);
	if (setup(&r, "l7_error_verdict = \"accept\"; "
	    "flows = { full_verdict = \"accept\"; };")) {
		fill_claims(&r);
		CHECK_STR_EQ(qsend(&r, 7573, qr_dg, n, 0, false), "blocked",
		    "quic refused beside: read alone (claims full, both "
		    "verdicts accept): [a whole blocked hello][an Initial at "
		    "pn 100]: blocked");
		teardown(&r);
	}
out:
	qi_ctx_free(qx);
}

int
main(void)
{
	test_quic_claims();
	test_quic_alone();
	test_quic_refused_beside();
	test_quic_server_discards();
	test_quic_refused_after();
	test_quic();
	test_quic_sport53();
	test_quic_conns();
	test_quic_other();
	test_quic_gso();
	test_udp_timeout();
	test_quic_dropped();
	test_quic_ja4();
	return unit_done();
}
