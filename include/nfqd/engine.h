#ifndef NFQD_ENGINE_H
#define NFQD_ENGINE_H

/*
 * The verdict for one packet: parse it, walk the rules in order (through
 * the compiled classifier), apply rate limits and "continue", count and log
 * the rules that match, and say what to tell the kernel.  One engine per
 * worker; nothing here allocates after nfqd_engine_init().
 *
 * A packet whose headers could not be read whole (cut by the copy range,
 * malformed, a tiny first fragment, an over-long IPv6 header chain) is
 * still decided by the rules when the fields that were not read cannot
 * change the verdict: every rule that could match it, whatever those
 * fields hold, agrees.  Otherwise it gets the verdict of its kind
 * (truncated_verdict, malformed_verdict, tiny_fragment_verdict,
 * header_chain_verdict), and is counted as such.
 */

#include <stdbool.h>
#include <stdint.h>

#include "nfqd/l7.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/l7/qclaim.h"
#include "nfqd/log.h"
#include "nfqd/pkt.h"

struct nfqd_config;
struct nfqd_ruleset;
struct nfqd_qmsg;
struct nfqd_pkt;
struct nfqd_iftab;
struct nfqd_ratetab;
struct nfqd_rate_cell;

struct nfqd_rule_ctr;

struct nfqd_decision {
	uint32_t	verdict;	/* NF_ACCEPT, NF_DROP, NF_REPEAT, queue */
	uint32_t	mark;
	bool		has_mark;
	int32_t		rule;		/* deciding rule, or one of: */
#define NFQD_DECIDED_DEFAULT	(-1)	/* no rule matched */
#define NFQD_DECIDED_INCOMPLETE	(-2)	/* the verdict depends on what the
					   headers did not give: the verdict
					   of status */
	bool		flow;		/* rule's verdict kept by its flow,
					   given again without the rules */
	uint32_t	ctmark;		/* mark bits of a flow decided now,
					   for its connection too
					   (flows.connmark); 0: none */
	uint8_t		status;		/* enum nfqd_pkt_status of the parse */
	uint8_t		reason;		/* enum nfqd_pkt_reason */
	bool		capture;	/* a rule that counted it has
					   log = "pcap": the worker writes
					   it to its capture file, once */
};

/*
 * Rules an incomplete packet's decision looks at before it gives up and
 * takes the verdict of its kind: bounds the work an attacker gets from a
 * packet nfqd cannot read whole.
 */
#define NFQD_ENGINE_MAX_UNKNOWN	256

struct nfqd_engine {
	const struct nfqd_ruleset *rs;
	bool			 linear;	/* reference walk (tests) */
	bool			 headers;	/* parse the headers (cf->parse) */
	uint32_t		 default_verdict;
	/* by enum nfqd_pkt_status: truncated_verdict, malformed_verdict... */
	uint32_t		 incomplete_verdict[NFQD_PKT_STATUS_MAX];
	uint32_t		 pending_mark;	/* flows.pending_mark */
	bool			 connmark;	/* flows.connmark in force,
						   set by the worker when
						   the kernel takes it */
	uint32_t		 ctmark_bits;	/* what of a rule's mark can
						   go to a connection: not
						   pending_mark, orphan_mark */
	uint16_t		 queue;		/* for log lines */
	struct nfqd_rule_ctr	*ctr;		/* [rs->n], may be NULL */
	struct nfqd_rate_cell	*cells;		/* per-rule shared buckets */
	struct nfqd_rate_cell	*own_cells;	/* when none were given */
	struct nfqd_ratetab	*rt;		/* keyed buckets, may be NULL */
	const struct nfqd_iftab	*ift;
	struct nfqd_logthrottle	*log_lt;	/* [rs->nlogs], by r->logslot */
	bool			 capture;	/* this packet, so far */
	struct nfqd_l7		 l7;		/* flows and names (l7.h) */
	struct nfqd_dnsl	 dnsl;		/* names learned from DNS
						   answers; .t NULL: off */
	struct nfqd_dnames	 dn;		/* a packet's, for dst_name */
	uint64_t		 nomatch;	/* packets that got the default */
	/* by status: packets that got incomplete_verdict[status] */
	uint64_t		 incomplete[NFQD_PKT_STATUS_MAX];
};

/*
 * Set up e for rs.  cells: the shared per-rule rate buckets (NULL: private
 * ones are allocated, as tests want); the keyed table has
 * cf->rate_table_size entries.  Returns -1 when out of memory.
 */
int	nfqd_engine_init(struct nfqd_engine *e, const struct nfqd_config *cf,
	    const struct nfqd_ruleset *rs, struct nfqd_rule_ctr *ctr,
	    struct nfqd_rate_cell *cells, const struct nfqd_iftab *ift,
	    uint16_t queue);
void	nfqd_engine_free(struct nfqd_engine *e);

/*
 * Learn from DNS answers into the shared table t (dns_learn; NULL: not),
 * and look dst_name up there; self: the lock word this process writes
 * (its pid).  TTLs are clamped as cf says.  rules_gen: the generation of
 * e's rules (nfqd_dnsl_keep()): the master's m->rules_gen.
 */
void	nfqd_engine_dnsl(struct nfqd_engine *e, struct nfqd_dnsl_tab *t,
	    const struct nfqd_config *cf, uint32_t self, uint32_t rules_gen);

/*
 * Claim the connection IDs of the QUIC flows the application layer reads
 * in the shared table t (l7/qclaim.h), every worker's.
 */
void	nfqd_engine_qclaim(struct nfqd_engine *e, struct nfqd_qclaim_tab *t);

void	nfqd_engine_decide(struct nfqd_engine *e, const struct nfqd_qmsg *m,
	    uint64_t now, struct nfqd_decision *d);

/*
 * A batch of n packets, before the first is decided: where rules read
 * layer 7, each packet's flow key and hash into h[i] and hp[i] = &h[i]
 * (NULL: no hint for it), and the flow table's lines its look-up and the
 * batch's new flows will need fetched, so that their cache misses
 * overlap (src/l7/flow.c).  m[i] NULL: not a packet.  Then decide each
 * with its hint, before anything else changes the engine.
 */
void	nfqd_engine_prefetch(struct nfqd_engine *e,
	    const struct nfqd_qmsg *const *m, struct nfqd_flow_hint *h,
	    const struct nfqd_flow_hint **hp, unsigned n);
/* nfqd_engine_decide with the hint (or NULL) of nfqd_engine_prefetch. */
void	nfqd_engine_decide_hinted(struct nfqd_engine *e,
	    const struct nfqd_qmsg *m, const struct nfqd_flow_hint *hint,
	    uint64_t now, struct nfqd_decision *d);
/* The same for a packet parsed already (tests). */
void	nfqd_engine_decide_parsed(struct nfqd_engine *e,
	    const struct nfqd_qmsg *m, const struct nfqd_pkt *pi,
	    uint64_t now, struct nfqd_decision *d);

/* A one-line summary of a packet, for rule logs. */
void	nfqd_pkt_summary(const struct nfqd_pkt *pi,
	    const struct nfqd_qmsg *m, const struct nfqd_iftab *ift,
	    char *buf, size_t len);

#endif
