/*
 * What the application layer's own files in src/l7/ share, and nothing
 * outside them includes: where a flow keeps its state in l7data, its
 * flags, the small helpers each reader calls, and the functions one file
 * calls in another.
 */
#ifndef NFQD_L7INT_H
#define NFQD_L7INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/l7.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/hbody.h"
#include "nfqd/l7/hpack.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/pkt.h"

struct nfqd_dns_query;
struct nfqd_http_req;
struct nfqd_tls_hello;

_Static_assert(sizeof(struct nfqd_l7fields) <=
    sizeof(((struct nfqd_flow *)0)->l7data), "fields fit in a flow");

/*
 * The fields a flow keeps (in its l7data).  A new flow's are not zero
 * past NFQD_FLOW_L7ZERO bytes: nothing reads them before a parse that
 * ends (DONE, NOT) has written them whole (l7_from_tls(), l7_from_http(),
 * l7_from_dns(), the memset of l7_parse_stream() and alone()), and l7res
 * says when that is.
 */
_Static_assert(offsetof(struct nfqd_l7fields, name) <= NFQD_FLOW_L7ZERO,
    "a new flow's fields start zero");
static inline struct nfqd_l7fields *
fields(struct nfqd_flow *f)
{
	return (struct nfqd_l7fields *)f->l7data;
}

/*
 * Past the fields (which nothing else writes there): while F_SYNDATA, how
 * far the bytes that came with the client's SYN reach from byte 0 and how
 * far from byte 0 later segments have sent them again; for any flow a
 * client's SYN made, the interface that SYN came in on.
 */
struct syndata {
	uint32_t	indev;
	uint16_t	end;
	uint16_t	again;
};
#define SYNDATA_OFF	((sizeof(struct nfqd_l7fields) + 3) & ~(size_t)3)
_Static_assert(SYNDATA_OFF + sizeof(struct syndata) <=
    sizeof(((struct nfqd_flow *)0)->l7data), "the SYN's reach fits");
_Static_assert(NFQD_REASM_MAX <= UINT16_MAX, "a stream offset fits");

static inline struct syndata *
syndata(struct nfqd_flow *f)
{
	return (struct syndata *)(void *)(f->l7data + SYNDATA_OFF);
}

/*
 * In the SYN's reach (F_SYNDATA is over by then) and past it, while
 * F_RETRY: where the client's records after its first ClientHello are
 * read (second_walk()), in stream offsets from byte 0 (never past
 * SECOND_END); when the flow holds a buffer, its byte 0 is off.  The
 * flow's need says when to read again.
 */
struct second {
	uint16_t	off;	/* the next byte to read */
	uint16_t	skip;	/* bytes of the record being stepped over
				   left before the next record header */
	uint16_t	early;	/* application data stepped over (record
				   lengths): 0-RTT data */
	uint8_t		early_ok; /* the first hello offered early data */
	uint8_t		peek;	/* a SYN's bytes: the flow does not move
				   (l7_second_syn()) */
};
#define SECOND_OFF	(SYNDATA_OFF + offsetof(struct syndata, end))
_Static_assert(SECOND_OFF % 2 == 0 && SECOND_OFF + sizeof(struct second) <=
    sizeof(((struct nfqd_flow *)0)->l7data), "the second hello's state fits");

static inline struct second *
second(struct nfqd_flow *f)
{
	return (struct second *)(void *)(f->l7data + SECOND_OFF);
}

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10
#define TH_URG		0x20
_Static_assert(TH_FIN == NFQD_TCP_FIN && TH_SYN == NFQD_TCP_SYN &&
    TH_RST == NFQD_TCP_RST, "nfqd_reasm_tcp_span() reads the same flags");

#define DNS_PORT	53

/* struct nfqd_flow.flags */
#define F_MIDSTREAM	0x01	/* first seen after its SYN */
#define F_CLIENT	0x02	/* client and seq0 are known */
#define F_QUIC		0x04	/* UDP: made by a QUIC Initial */
#define F_SENT		0x08	/* TCP: the client sent a segment other
				   than a SYN since its SYN */
#define F_SYNDATA	0x10	/* TCP: the buffer holds bytes that came
				   with a SYN, not yet sent again */
#define F_TFO		0x20	/* TCP: the server's SYN-ACK took them */
#define F_TS		0x40	/* TCP: a client SYN had a timestamp:
				   ts_recent is kept */
#define F_SIG		0x80	/* TCP: every client SYN had an MD5 or
				   TCP-AO option */
#define F_SRV		0x100	/* TCP: the server's SYN-ACK came in from
				   the server's side: ack_min and srv_nxt
				   are kept */
#define F_LOST		0x200	/* TCP: its hello's or closing timeout
				   passed with the client's first message
				   part read (keep_lost()): never read again */
#define F_RETRY		0x400	/* TCP: its first message, a ClientHello
				   offering TLS 1.3, is read; the client's
				   next records are (struct second) */
#define F_QKEPT		0x800	/* UDP: a QUIC flow's hello is read; its
				   connection is kept (qid()) and its
				   client's later Initials are read */
#define F_QTTL		0x1000	/* UDP: ttl is the TTL or hop limit of the
				   QUIC client's datagrams */
#define F_HNEXT		0x2000	/* TCP: an HTTP request is read; the
				   client's later requests are
				   (struct hnext) */
#define F_PICKED	0x4000	/* TCP: F_HNEXT from a segment seen in the
				   connection's middle (midstream()): the
				   bytes before seq0 were never read */
#define F_PFAR		0x8000	/* TCP: F_PICKED, and reading went 2^31
				   bytes or more past seq0 (hnext's next,
				   modulo 2^32, no longer tells bytes
				   before seq0: l7later.c hadv()) */
_Static_assert(F_PFAR <= UINT16_MAX, "the flags fit struct nfqd_flow's");

/* The flow's reassembly buffer goes back to the pool. */
static inline void
ra_drop(struct nfqd_l7 *l, struct nfqd_flow *f)
{
	nfqd_reasm_put(l->pool, f->ra);
	f->ra = NULL;
}

/* The same, where it holds nothing: no bytes to read, none ahead. */
static inline void
ra_drop_empty(struct nfqd_l7 *l, struct nfqd_flow *f)
{
	if (nfqd_reasm_contig(f->ra) == 0 && nfqd_reasm_ahead(f->ra) == 0)
		ra_drop(l, f);
}

static inline void
known(struct nfqd_pkt *pi, const struct nfqd_l7fields *f)
{
	pi->l7 = f;
	pi->known |= NFQD_PKT_K_L7;
}

static inline void
unknown(struct nfqd_pkt *pi, uint8_t status)
{
	pi->l7 = NULL;
	pi->known &= (uint8_t)~NFQD_PKT_K_L7;
	pi->status = status;
}

/*
 * pi carries fl, read whole, and the packet holds bytes after them that
 * got status (NFQD_PKT_L7_ERROR, NFQD_PKT_L7_UNTRACKED): the rules decide
 * on fl, and an accept gives way to status's verdict (the engine).
 */
static inline void
known_unread(struct nfqd_l7 *l, struct nfqd_pkt *pi,
    const struct nfqd_l7fields *fl, uint8_t status)
{
	known(pi, fl);
	pi->status = NFQD_PKT_OK;
	l->unread = status;
}

/* The packet's TTL or hop limit (the parse saw the whole IP header). */
static inline uint8_t
ip_ttl(const struct nfqd_pkt *pi, const uint8_t *data)
{
	return data[pi->family == AF_INET ? 8 : 7];
}

/*
 * k's hash: the one worked out ahead (nfqd_l7_hint) when it was for this
 * table and the same key, else computed now.  The hint's own parse is a
 * shortcut that may differ from the real one (IPv6 extension headers, a
 * damaged header): the key comparison makes that harmless.
 */
static inline uint32_t
key_hash(struct nfqd_l7 *l, const struct nfqd_flow_key *k,
    const struct nfqd_flow_hint *hint)
{
	if (hint != NULL && hint->t == l->flows &&
	    memcmp(&hint->key, k, sizeof(*k)) == 0) {
		l->hints_used++;
		return hint->hash;
	}
	return nfqd_flow_hash(l->flows, k);
}

/* A flow that saw a FIN or RST stays closing; any other goes to c. */
static inline enum nfqd_flow_class
unless_closing(enum nfqd_flow_class cls, enum nfqd_flow_class c)
{
	return cls == NFQD_FC_CLOSING ? cls : c;
}

/*
 * 512 MiB: nfqd's reading point runs at most that far ahead of what the
 * server took, and a server takes bytes at most its window (1 GiB with
 * the largest scale) ahead of that, so every offset compared stays within
 * 2^31 of the reading point.
 */
#define HSTEP		(1u << 29)

/*
 * A TCP flow's reading state while its later messages are read
 * (F_HNEXT), mode saying how: l7later.c says what each member holds.
 */
enum { H_HEAD, H_CHUNKED, H_H2, H_DNS, H_PEEK };

struct hnext {
	struct nfqd_hbody body;		/* H_CHUNKED */
	uint64_t	left;
	uint32_t	next;
	uint32_t	tab;		/* H_H2: its header table (h2tab()),
					   0: none was free */
	uint32_t	sid;		/* H_H2: the highest stream a request
					   opened */
	uint8_t		mode;
};
#define HNEXT_OFF	offsetof(struct nfqd_l7fields, alpn)
_Static_assert(sizeof(struct hnext) <= NFQD_L7_ALPN_MAX,
    "an HTTP flow's reading state fits its fields' ALPN room");

static inline void
hget(struct nfqd_flow *f, struct hnext *h)
{
	memcpy(h, f->l7data + HNEXT_OFF, sizeof(*h));
}

static inline void
hput(struct nfqd_flow *f, const struct hnext *h)
{
	memcpy(f->l7data + HNEXT_OFF, h, sizeof(*h));
	fields(f)->alpn_len = 0;	/* HTTP has none */
}

/* l7.c: the fields a parse fills, a final message (checksums: l7.h). */
void	l7_from_tls(struct nfqd_l7 *l, struct nfqd_l7fields *f,
	    const struct nfqd_tls_hello *h, enum nfqd_l7_proto proto);
void	l7_from_http(struct nfqd_l7fields *f, const struct nfqd_http_req *r);
void	l7_from_dns(struct nfqd_l7fields *f, const struct nfqd_dns_query *q);
void	l7_settle(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
	    enum nfqd_l7_res res);

/* l7udp.c: a UDP datagram. */
void	l7_udp_packet(struct nfqd_l7 *l, struct nfqd_pkt *pi,
	    const uint8_t *data, uint32_t skbinfo, uint32_t indev, uint64_t now,
	    const struct nfqd_flow_hint *hint, struct nfqd_flow **fp);

/* l7tcp.c: a TCP segment. */
void	l7_tcp_packet(struct nfqd_l7 *l, struct nfqd_pkt *pi,
	    const uint8_t *data, uint32_t skbinfo, uint32_t indev, bool pending,
	    uint64_t now, const struct nfqd_flow_hint *hint,
	    struct nfqd_flow **fp);

/* l7first.c: what a TCP stream's first bytes are (DNS, TLS, HTTP). */
enum nfqd_l7_res l7_parse_stream(struct nfqd_l7 *l, const uint8_t *buf,
	    size_t len, bool dns, struct nfqd_l7fields *f, uint32_t *need);

/* tcpseg.c: what the server's TCP makes of a segment of flow f (its
 * options; a client SYN, first or again; a server segment; whether it
 * discards a client segment, and what one it takes says). */
struct tcpopts {
	uint32_t	tsval;
	bool		ts;		/* a timestamp: tsval */
	bool		sig;		/* an MD5 signature or TCP-AO option */
	bool		mptcp;		/* a Multipath TCP option */
};
struct nfqd_reasm_span;

void	l7_tcp_opts(const uint8_t *th, uint32_t hl, struct tcpopts *o);
void	l7_client_syn(struct nfqd_flow *f, const struct nfqd_pkt *pi,
	    const uint8_t *data, uint32_t indev, bool first);
void	l7_server_seg(struct nfqd_flow *f, const struct nfqd_pkt *pi,
	    const uint8_t *data, uint32_t seq,
	    const struct nfqd_reasm_span *sp, uint32_t indev);
bool	l7_discarded(const struct nfqd_flow *f, const struct nfqd_pkt *pi,
	    const uint8_t *data, const struct tcpopts *o);
void	l7_client_seen(struct nfqd_flow *f, const struct nfqd_pkt *pi,
	    const uint8_t *data, uint32_t seq, const struct tcpopts *o,
	    bool ok);

/* l7second.c: the client's records after a first TLS 1.3 hello. */
bool	l7_second_start(struct nfqd_l7 *l, struct nfqd_flow *f,
	    struct nfqd_pkt *pi, uint32_t seq, const uint8_t *pay, uint32_t len,
	    enum nfqd_flow_class cls, uint64_t now);
void	l7_second_packet(struct nfqd_l7 *l, struct nfqd_flow *f,
	    struct nfqd_pkt *pi, uint32_t seq, const uint8_t *pay, uint32_t len,
	    enum nfqd_flow_class cls, uint64_t now);
bool	l7_second_syn(struct nfqd_l7 *l, struct nfqd_flow *f,
	    struct nfqd_pkt *pi, const uint8_t *b, uint32_t n);

/*
 * HTTP/2 connections' header tables: a flow that reads the later requests
 * of an HTTP/2 connection keeps its client's HPACK table (about 5 KiB)
 * for as long as it reads them, since every block after is compressed
 * against it.  As many as flows.reasm_buffers, mapped once, pages used
 * only as tables are; a table is handed out by its index + 1 (0: none),
 * which the flow keeps in struct hnext.
 */
struct nfqd_h2tabs {
	size_t			 size;		/* bytes mapped */
	uint32_t		 n;		/* tables */
	uint32_t		 fresh;		/* never handed out from here */
	uint32_t		 nfree;		/* in free[] */
	uint32_t		*free;		/* indexes + 1 put back */
	uint8_t			*inuse;		/* per table */
	struct nfqd_hpack	*t;
};

/* Table i (its index + 1), read for every HTTP/2 frame: inline. */
static inline struct nfqd_hpack *
h2tab(struct nfqd_h2tabs *p, uint32_t i)
{
	return &p->t[i - 1];
}

/* h2tabs.c: the pool of HTTP/2 connections' header tables. */
struct nfqd_h2tabs *l7_h2tabs_new(uint32_t n);
void	l7_h2tabs_free(struct nfqd_h2tabs *p);
uint32_t l7_h2tab_get(struct nfqd_h2tabs *p);
void	l7_h2tab_put(struct nfqd_h2tabs *p, uint32_t i);

/* l7later.c: the messages after a TCP flow's first. */
void	l7_h2_release(struct nfqd_l7 *l, struct nfqd_flow *f);
bool	l7_reads_later(const struct nfqd_l7 *, const struct nfqd_l7fields *,
	    bool);
bool	l7_hstart(struct nfqd_l7 *l, struct nfqd_flow *f,
	    struct nfqd_pkt *pi, uint32_t seq, const uint8_t *pay, uint32_t len,
	    enum nfqd_flow_class cls, uint64_t now);
bool	l7_dstart(struct nfqd_l7 *l, struct nfqd_flow *f,
	    struct nfqd_pkt *pi, uint32_t seq, const uint8_t *pay, uint32_t len,
	    enum nfqd_flow_class cls, uint64_t now);
void	l7_hpacket(struct nfqd_l7 *l, struct nfqd_flow *f,
	    struct nfqd_pkt *pi, uint32_t seq, const uint8_t *pay, uint32_t len,
	    enum nfqd_flow_class cls, uint64_t now);
void	l7_hsyn(struct nfqd_l7 *l, struct nfqd_flow *f,
	    struct nfqd_pkt *pi, const uint8_t *b, uint32_t n);

#endif /* NFQD_L7INT_H */
