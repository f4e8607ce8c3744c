/*
 * The harness of test_l7, test_l7udp and test_l7later (l7harness.c):
 * packets built in pbuf, an engine set up with the rules setup() writes,
 * decide() and what() a decision says in a word, a client's TCP segments.
 */
#ifndef NFQD_L7HARNESS_H
#define NFQD_L7HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/shm.h"
#include "unit.h"

#define D	0x10000000u	/* the rules' drop mark */
#define P	0x20000000u	/* flows.pending_mark */

struct seg {
	const char	*src, *dst;
	uint16_t	 sport, dport;
	uint32_t	 seq;
	uint8_t		 flags;		/* TCP flags */
	uint8_t		 proto;		/* 6, 17 */
	bool		 badsum;
	/* TCP, zero unless set: */
	uint32_t	 ack;		/* acknowledgment number */
	uint8_t		 ttl;		/* TTL or hop limit (0: 64) */
	uint8_t		 optlen;	/* bytes of opt, a multiple of 4 */
	const uint8_t	*opt;		/* TCP options, as they are */
};

struct run {
	struct nfqd_config	cf;
	struct nfqd_engine	e;
	struct nfqd_rule_ctr	ctr[16];
	struct nfqd_qclaim_tab	*claims;	/* QUIC IDs claimed, as the
						   master makes for workers */
	bool			ok;
};

struct nfqd_flow;

extern uint8_t		pbuf[70000];	/* the packet mk() builds */
extern uint64_t		now;		/* decide()'s clock, ns */
extern uint32_t		indev;		/* where decide()'s packets come in */
extern const char	*setsfile;	/* setup()'s name set */
extern unsigned		set_filler;	/* names setup() adds to it */
extern uint32_t		cli_ack;	/* the ack of cli()'s segments */

/* ClientHellos. */
size_t	hello_lengths(uint8_t *b, size_t ext, size_t hs, size_t n);
size_t	hello(uint8_t *b, const char *name);

/* Packets in pbuf, with their checksums. */
uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n);
uint32_t mk(const struct seg *s, const uint8_t *pay, size_t n);

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* The engine: setup()'s parts, setup_text() and setup() below. */
bool	setup_sets(char *text, size_t size, const char *extra);
bool	setup_load(struct run *r, const char *text, struct unit_reports *rs);
bool	setup_engine(struct run *r);
bool	new_claims(struct run *r);
void	teardown(struct run *r);

/* Decisions, and the client's segments decided. */
struct nfqd_decision decide(struct run *r, uint32_t len, uint32_t mark,
	    uint32_t skbinfo);
const char *what(const struct nfqd_decision *d);
struct seg cli(uint16_t sport, uint32_t seq, uint8_t flags);
const char *syn(struct run *r, uint16_t sport, uint32_t isn);
const char *seg_at(struct run *r, uint16_t sport, uint32_t seq, uint8_t fl,
	    const uint8_t *pay, size_t n, uint32_t mark);

/* The flow of client port sport (cli()'s addresses) now, or NULL. */
struct nfqd_flow *flow_of(struct run *r, uint16_t sport);

static inline bool
has_flow(struct run *r, uint16_t sport)
{
	return flow_of(r, sport) != NULL;
}

/*
 * An engine for the configuration text (setup() writes the name set).
 * Its two checks are the test program's own: unit.h counts checks in
 * each file apart and names them after the file, so they are made here,
 * in the file that includes this, under the program's name
 * (__BASE_FILE__), as CHECKF() and CHECK() there would make them.
 */
static inline bool
setup_text(struct run *r, const char *text)
{
	struct unit_reports	rs;

	if (!setup_load(r, text, &rs)) {
		unit_result(__BASE_FILE__, 0, "configuration loads",
		    "%s:%d: %s", rs.r[0].file, rs.r[0].line, rs.r[0].msg);
		return false;
	}
	return unit_result(__BASE_FILE__, setup_engine(r), "engine init",
	    "%s is false", "nfqd_engine_init(...) == 0");
}

/* An engine for the rules setup_sets() writes, extra (settings) in the
 * text. */
static inline bool
setup(struct run *r, const char *extra)
{
	char	text[4096];

	memset(r, 0, sizeof(*r));
	return setup_sets(text, sizeof(text), extra) && setup_text(r, text);
}

#endif
