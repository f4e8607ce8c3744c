/*
 * Unit tests for src/stats.c and src/shm.c: a snapshot of a counters region
 * and a fake kernel file, its JSON and table, the checks a reader makes on
 * a region, and what the master does when something was planted where it
 * makes its regions, and the master's statistics files (stats.file,
 * stats.prometheus).  (The atomic file writer is tested in test_util.c.)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/json.h"
#include "nfqd/metrics.h"
#include "nfqd/nfqd.h"
#include "nfqd/ratelimit.h"
#include "nfqd/ruleset.h"
#include "nfqd/shm.h"
#include "nfqd/stats.h"
#include "unit.h"

/*
 * The application layer's counters and the capture file's, all 0 in
 * these fixtures.
 */
#define L7Z	\
	"\"l7_pending\":0,\"l7_errors\":0,\"flows_untracked\":0," \
	"\"flows_active\":0,\"flows_created\":0," \
	"\"flows_evicted\":0,\"flows_timed_out\":0," \
	"\"flows_full\":0,\"reasm_full\":0,\"l7_conflicts\":0," \
	"\"l7_malformed\":0,\"l7_bad_csum\":0,\"l7_mptcp\":0," \
	"\"l7_tls\":0," \
	"\"l7_http\":0,\"l7_dns\":0,\"l7_other\":0,\"l7_quic\":0," \
	"\"l7_quic_refused\":0,\"quic_claims\":0," \
	"\"quic_claims_held\":0,\"quic_claims_full\":0," \
	"\"pcap_packets\":0,\"pcap_bytes\":0,\"pcap_errors\":0," \
	"\"pcap_behind\":0,\"pcap_rotations\":0," \
	"\"dns_learned\":0,\"dns_hits\":0,\"dns_evictions\":0," \
	"\"dns_expiries\":0,\"dns_refused\":0,\"dns_busy\":0," \
	"\"dns_refreshed\":0,"

static char		dir[512];
static struct nfqd_stats s;

static void
fill(struct nfqd_slot_stats *st, uint64_t base)
{
	st->received = base + 1;
	st->accepted = base + 2;
	st->dropped = base + 3;
	st->other = base + 4;
	st->bytes = base + 5;
	st->enobufs = base + 6;
	st->skipped = base + 7;
	st->nlerrors = base + 8;
	st->malformed = base + 9;
	st->batches = base + 10;
	st->verdict_msgs = base + 11;
	st->last_id = base + 12;
	st->heartbeat = base + 13;
	st->orphans = base + 14;
	st->nomatch = base + 15;
	st->rate_evictions = base + 16;
	st->truncated = base + 17;
	st->tiny_fragments = base + 18;
	st->header_chains = base + 19;
}

struct lines {
	char	l[16][256];
	int	n;
};

static void
emit(void *arg, const char *line)
{
	struct lines	*ls = arg;

	if (ls->n < 16)
		snprintf(ls->l[ls->n], sizeof(ls->l[0]), "%s", line);
	ls->n++;
}

/* The line's whitespace-separated fields, joined by single spaces. */
static const char *
fields(const char *line)
{
	static char	buf[256];
	size_t		n = 0;
	int		sp = 0;

	for (; *line == ' '; line++)
		;
	for (; *line != '\0' && n + 1 < sizeof(buf); line++) {
		if (*line == ' ') {
			sp = 1;
			continue;
		}
		if (sp && n + 2 < sizeof(buf))
			buf[n++] = ' ';
		sp = 0;
		buf[n++] = *line;
	}
	buf[n] = '\0';
	return buf;
}

static void
test_collect(const char *shmpath)
{
	static struct nfqd_stats_rule rules[2] = {
		{ "no-telnet", 7, 420 }, { "a\"b", 0, 0 },
	};
	struct nfqd_shm		 shm;
	struct nfqd_slot	*sl;
	struct nfqd_slot_ctl	*c;
	struct nfqd_buf		 b;
	struct lines		 ls;
	char			 proc[1024], want[8192], w1[1024], w2[1024];
	char			 k1[512], k2[512];
	time_t			 t0, t1;

	if (!CHECK(nfqd_shm_create(&shm, shmpath, 4, 1234, NULL, 0) == 0,
	    "collect: create region"))
		return;
	shm.hdr->nworkers = 2;
	shm.hdr->generation = 3;
	sl = &shm.slots[0];
	c = &shm.ctl[0];
	c->pid = 1001;
	c->queue = 0;
	c->cpu = 0;
	c->state = NFQD_SLOT_RUNNING;
	c->restarts = 1;
	c->generation = 3;
	fill(&sl->st, 100);
	sl = &shm.slots[1];
	c = &shm.ctl[1];
	c->pid = 1002;
	c->queue = 1;
	c->cpu = -1;
	c->state = NFQD_SLOT_STARTING;
	c->restarts = 2;
	c->generation = 2;
	c->full_seen = 5;
	/*
	 * The master's 64-bit totals of the kernel's drops, past 2^32: the
	 * file's 32-bit 6 wrapped once (the snapshot shows the totals).
	 */
	c->queue_dropped = 4294967302ull;
	c->user_dropped = 8;
	fill(&sl->st, 2000);
	/* A slot past nworkers is not counted. */
	sl = &shm.slots[2];
	c = &shm.ctl[2];
	c->pid = 1003;
	c->queue = 7;
	c->full_seen = 99;
	c->queue_dropped = 77;
	fill(&sl->st, 900000);

	snprintf(proc, sizeof(proc), "%s/nfnetlink_queue", dir);
	if (!CHECK(unit_write_text(proc,
	    "    0   3090     0 2 65535     0     0     1000  1\n"
	    "    7   3099     5 2 65535     1     2     7777  1\n"
	    "    1   3091     4 2 65535     6     8     2000  1\n") == 0,
	    "collect: writing the kernel file"))
		goto out;

	memset(&s, 0xa5, sizeof(s));
	t0 = time(NULL);
	nfqd_stats_collect(&s, &shm, proc);
	t1 = time(NULL);
	CHECK_INT_EQ(s.master_pid, 1234, "collect: master pid");
	CHECK_UINT_EQ(s.generation, 3, "collect: generation");
	CHECK(s.now >= (uint64_t)t0 && s.now <= (uint64_t)t1,
	    "collect: now is the time of the snapshot");
	CHECK_UINT_EQ(s.uptime_s, s.now - shm.hdr->start_time,
	    "collect: uptime from the region's start time");
	CHECK_UINT_EQ(s.nworkers, 2, "collect: two workers");
	CHECK_UINT_EQ(s.restarts, 3, "collect: restarts summed");
	CHECK_UINT_EQ(s.total.received, 101 + 2001, "collect: total received");
	CHECK_UINT_EQ(s.total.accepted, 102 + 2002, "collect: total accepted");
	CHECK_UINT_EQ(s.total.dropped, 103 + 2003, "collect: total dropped");
	CHECK_UINT_EQ(s.total.other, 104 + 2004, "collect: total other");
	CHECK_UINT_EQ(s.total.bytes, 105 + 2005, "collect: total bytes");
	CHECK_UINT_EQ(s.total.enobufs, 106 + 2006, "collect: total enobufs");
	CHECK_UINT_EQ(s.total.skipped, 107 + 2007, "collect: total skipped");
	CHECK_UINT_EQ(s.total.nlerrors, 108 + 2008,
	    "collect: total nlerrors");
	CHECK_UINT_EQ(s.total.malformed, 109 + 2009,
	    "collect: total malformed");
	CHECK_UINT_EQ(s.total.batches, 110 + 2010, "collect: total batches");
	CHECK_UINT_EQ(s.total.verdict_msgs, 111 + 2011,
	    "collect: total verdict_msgs");
	CHECK(s.workers[0].id == 0 && s.workers[0].queue == 0 &&
	    s.workers[0].cpu == 0 && s.workers[0].pid == 1001 &&
	    s.workers[0].state == NFQD_SLOT_RUNNING &&
	    s.workers[0].restarts == 1 && s.workers[0].st.last_id == 112 &&
	    s.workers[0].st.heartbeat == 113, "collect: worker 0");
	CHECK(s.workers[1].id == 1 && s.workers[1].queue == 1 &&
	    s.workers[1].cpu == -1 && s.workers[1].pid == 1002 &&
	    s.workers[1].state == NFQD_SLOT_STARTING &&
	    s.workers[1].restarts == 2 && s.workers[1].st.received == 2001,
	    "collect: worker 1");
	CHECK_INT_EQ(s.kernel_errno, 0, "collect: kernel file read");
	CHECK_UINT_EQ(s.nkernel, 2, "collect: two kernel queues are ours");
	CHECK(s.kernel[0].queue == 0 && s.kernel[0].portid == 3090 &&
	    s.kernel[0].id_sequence == 1000, "collect: kernel queue 0");
	CHECK(s.kernel[1].queue == 1 && s.kernel[1].portid == 3091 &&
	    s.kernel[1].queue_total == 4 && s.kernel[1].id_sequence == 2000,
	    "collect: kernel queue 1");
	CHECK(s.kernel[0].queue_dropped == 0 && s.kernel[0].user_dropped == 0 &&
	    s.kernel[1].queue_dropped == 4294967302ull &&
	    s.kernel[1].user_dropped == 8,
	    "collect: the kernel's drops are the slots' 64-bit totals");
	CHECK(s.kernel_full_seen[0] == 0 && s.kernel_full_seen[1] == 5,
	    "collect: full_seen of each kernel queue from its worker's slot");

	/* Fixed times so that the JSON is known exactly. */
	s.now = 1700000000;
	s.uptime_s = 42;
	snprintf(w1, sizeof(w1), "{\"id\":0,\"queue\":0,\"cpu\":0,"
	    "\"pid\":1001,\"state\":\"running\",\"generation\":3,"
	    "\"restarts\":1,"
	    "\"received\":101,\"accepted\":102,\"dropped\":103,\"other\":104,"
	    "\"bytes\":105,\"enobufs\":106,\"skipped\":107,\"nlerrors\":108,"
	    "\"malformed\":109,\"truncated\":117,\"tiny_fragments\":118,"
	    "\"header_chains\":119,\"orphans\":114,\"nomatch\":115,"
	    "\"rate_evictions\":116,\"batches\":110,\"verdict_msgs\":111," L7Z
	    "\"last_id\":112}");
	snprintf(w2, sizeof(w2), "{\"id\":1,\"queue\":1,\"cpu\":-1,"
	    "\"pid\":1002,\"state\":\"starting\",\"generation\":2,"
	    "\"restarts\":2,"
	    "\"received\":2001,\"accepted\":2002,\"dropped\":2003,"
	    "\"other\":2004,\"bytes\":2005,\"enobufs\":2006,\"skipped\":2007,"
	    "\"nlerrors\":2008,\"malformed\":2009,\"truncated\":2017,"
	    "\"tiny_fragments\":2018,\"header_chains\":2019,\"orphans\":2014,"
	    "\"nomatch\":2015,\"rate_evictions\":2016,\"batches\":2010,"
	    "\"verdict_msgs\":2011," L7Z "\"last_id\":2012}");
	snprintf(k1, sizeof(k1), "{\"queue\":0,\"portid\":3090,"
	    "\"queue_total\":0,\"copy_mode\":2,\"copy_range\":65535,"
	    "\"queue_dropped\":0,\"user_dropped\":0,\"id_sequence\":1000,"
	    "\"full_seen\":0}");
	snprintf(k2, sizeof(k2), "{\"queue\":1,\"portid\":3091,"
	    "\"queue_total\":4,\"copy_mode\":2,\"copy_range\":65535,"
	    "\"queue_dropped\":4294967302,\"user_dropped\":8,"
	    "\"id_sequence\":2000,"
	    "\"full_seen\":5}");
	snprintf(want, sizeof(want), "{\"version\":\"%s\",\"pid\":1234,"
	    "\"time\":1700000000,\"uptime_s\":42,\"generation\":3,"
	    "\"total\":{\"received\":2102,\"accepted\":2104,\"dropped\":2106,"
	    "\"other\":2108,\"bytes\":2110,\"enobufs\":2112,\"skipped\":2114,"
	    "\"nlerrors\":2116,\"malformed\":2118,\"truncated\":2134,"
	    "\"tiny_fragments\":2136,\"header_chains\":2138,\"orphans\":2128,"
	    "\"nomatch\":2130,\"rate_evictions\":2132,\"batches\":2120,"
	    "\"verdict_msgs\":2122," L7Z "\"restarts\":3,\"dns_entries\":0,\"dns_capacity\":0,"
	    "\"quic_claim_capacity\":0,\"quic_claims_live\":0},"
	    "\"workers\":[%s,%s],\"rules\":[{\"name\":\"no-telnet\","
	    "\"hits\":7,\"bytes\":420},{\"name\":\"a\\\"b\",\"hits\":0,"
	    "\"bytes\":0}],\"kernel\":[%s,%s]}\n", NFQD_VERSION,
	    w1, w2, k1, k2);
	s.rules = rules;
	s.nrules = 2;
	buf_init(&b);
	nfqd_stats_json(&s, &b);
	CHECK_STR_EQ(b.data, want, "json: exact document");
	buf_free(&b);

	memset(&ls, 0, sizeof(ls));
	nfqd_stats_table(&s, emit, &ls);
	CHECK_INT_EQ(ls.n, 11, "table: 2 header, 2 worker, total, a rule "
	    "header and 2 rules, 3 kernel lines");
	if (ls.n == 11) {
		CHECK_STR_EQ(ls.l[0], "statistics: uptime 42 s, 2 workers, "
		    "configuration 3", "table: summary line");
		CHECK_STR_EQ(fields(ls.l[1]), "worker queue cpu pid restarts "
		    "received accepted dropped other enobufs skipped errors",
		    "table: column line");
		CHECK(strstr(ls.l[2], "1001") != NULL,
		    "table: worker 0 line has its pid");
		CHECK(strstr(ls.l[3], "1002") != NULL,
		    "table: worker 1 line has its pid");
		CHECK_STR_EQ(fields(ls.l[2]),
		    "0 0 0 1001 1 101 102 103 104 106 107 217",
		    "table: worker 0 line");
		CHECK_STR_EQ(fields(ls.l[3]),
		    "1 1 - 1002 2 2001 2002 2003 2004 2006 2007 4017",
		    "table: worker 1 line (no CPU)");
		CHECK_STR_EQ(fields(ls.l[4]),
		    "total 3 2102 2104 2106 2108 2112 2114 4234",
		    "table: total line");
		CHECK_STR_EQ(fields(ls.l[5]), "rule name hits bytes",
		    "table: rule header line");
		CHECK_STR_EQ(fields(ls.l[6]), "1 no-telnet 7 420",
		    "table: rule 1 line");
		CHECK_STR_EQ(fields(ls.l[7]), "2 a\"b 0 0",
		    "table: rule 2 line (no hits, still shown)");
		CHECK_STR_EQ(fields(ls.l[8]), "kernel portid queue_total "
		    "queue_dropped user_dropped id_sequence full_seen",
		    "table: kernel header line");
		CHECK_STR_EQ(fields(ls.l[9]), "0 3090 0 0 0 1000 0",
		    "table: kernel queue 0 line");
		CHECK_STR_EQ(fields(ls.l[10]), "1 3091 4 4294967302 8 2000 5",
		    "table: kernel queue 1 line");
	}

	/* The kernel file is not there: nfnetlink_queue is not loaded. */
	snprintf(proc, sizeof(proc), "%s/no-such-file", dir);
	nfqd_stats_collect(&s, &shm, proc);
	CHECK_UINT_EQ(s.nrules, 0, "collect leaves the rules to the caller");
	CHECK_INT_EQ(s.kernel_errno, ENOENT, "missing kernel file: errno");
	CHECK_UINT_EQ(s.nkernel, 0, "missing kernel file: no queues");
	CHECK_UINT_EQ(s.nworkers, 2, "missing kernel file: workers still read");
	memset(&ls, 0, sizeof(ls));
	nfqd_stats_table(&s, emit, &ls);
	CHECK_INT_EQ(ls.n, 6, "missing kernel file: table lines");
	if (ls.n == 6)
		CHECKF(strstr(ls.l[5], "kernel: cannot read ") == ls.l[5] &&
		    strstr(ls.l[5], strerror(ENOENT)) != NULL,
		    "missing kernel file: table says it cannot read",
		    "last line \"%s\"", ls.l[5]);
	buf_init(&b);
	nfqd_stats_json(&s, &b);
	{
		const char	*end = "\"kernel\":[]}\n";

		CHECK(b.len > strlen(end) &&
		    strcmp(b.data + b.len - strlen(end), end) == 0,
		    "missing kernel file: json kernel array is empty");
	}
	buf_free(&b);

	/* A bad nworkers is clamped to the slots the region has. */
	shm.hdr->nworkers = 100;
	nfqd_stats_collect(&s, &shm, proc);
	CHECK_UINT_EQ(s.nworkers, 4, "nworkers past nslots is clamped");
	CHECK_UINT_EQ(s.total.received, 101 + 2001 + 900001,
	    "clamped: every slot summed");

	/* No workers: an empty table and empty arrays. */
	s.rules = NULL;
	shm.hdr->nworkers = 0;
	nfqd_stats_collect(&s, &shm, proc);
	s.now = 5;
	s.uptime_s = 1;
	buf_init(&b);
	nfqd_stats_json(&s, &b);
	snprintf(want, sizeof(want), "{\"version\":\"%s\",\"pid\":1234,"
	    "\"time\":5,\"uptime_s\":1,\"generation\":3,"
	    "\"total\":{\"received\":0,\"accepted\":0,\"dropped\":0,"
	    "\"other\":0,\"bytes\":0,\"enobufs\":0,\"skipped\":0,"
	    "\"nlerrors\":0,\"malformed\":0,\"truncated\":0,\"tiny_fragments\":0,"
	    "\"header_chains\":0,\"orphans\":0,\"nomatch\":0,"
	    "\"rate_evictions\":0,\"batches\":0,\"verdict_msgs\":0," L7Z
	    "\"restarts\":0,\"dns_entries\":0,\"dns_capacity\":0,"
	    "\"quic_claim_capacity\":0,\"quic_claims_live\":0},"
	    "\"workers\":[],\"rules\":[],\"kernel\":[]}\n", NFQD_VERSION);
	CHECK_STR_EQ(b.data, want, "json: no workers");
	buf_free(&b);
out:
	unlink(proc);
	snprintf(proc, sizeof(proc), "%s/nfnetlink_queue", dir);
	unlink(proc);
	nfqd_shm_destroy(&shm);
}

/*
 * The summary lines of dns_learn (when there is a table) and of the
 * capture (once it wrote or lost a packet), after the workers'.
 */
/*
 * The header's nworkers and nslots as a worker gone bad writes them (it
 * maps the whole region writable): the collector counts no slot past
 * the size it mapped, and no more than s.workers holds.
 */
static void
test_collect_hostile(const char *shmpath)
{
	static const struct {
		uint32_t	 slots;		/* the region made */
		uint32_t	 nworkers, nslots;	/* then written */
		size_t		 want;
		const char	*name;
	} t[] = {
		{ 4, 2, 9, 2, "nslots raised, nworkers within" },
		{ 4, 3, 2, 2, "nworkers past nslots" },
		{ 4, 5, 5, 4, "both past the region's 4 slots" },
		{ NFQD_MAX_WORKERS, NFQD_MAX_WORKERS + 1,
		    NFQD_MAX_WORKERS + 1, NFQD_MAX_WORKERS,
		    "both past the slots s.workers holds" },
	};
	struct nfqd_shm	shm;
	char		proc[1024];
	size_t		i;

	snprintf(proc, sizeof(proc), "%s/no-such-file", dir);
	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		if (!CHECK(nfqd_shm_create(&shm, shmpath, t[i].slots, 1234,
		    NULL, 0) == 0, unit_fmt("collect hostile: %s: create",
		    t[i].name)))
			continue;
		shm.hdr->nworkers = t[i].nworkers;
		shm.hdr->nslots = t[i].nslots;
		memset(&s, 0, sizeof(s));
		nfqd_stats_collect(&s, &shm, proc);
		CHECK_UINT_EQ(s.nworkers, t[i].want, unit_fmt("collect "
		    "hostile: %s: %zu workers", t[i].name, t[i].want));
		nfqd_shm_destroy(&shm);
	}
}

static void
test_table_extras(void)
{
	static struct nfqd_stats x;
	struct lines		ls;
	int			i;

	memset(&x, 0, sizeof(x));
	memset(&ls, 0, sizeof(ls));
	nfqd_stats_table(&x, emit, &ls);
	CHECK_INT_EQ(ls.n, 4, "extras: neither line without a table or "
	    "a capture (summary, column, total and kernel header lines)");

	x.dns_capacity = 65536;
	x.dns_entries = 12;
	x.total.dns_learned = 20;
	x.total.dns_hits = 7;
	x.total.dns_evictions = 3;
	x.total.dns_expiries = 5;
	x.total.dns_refused = 2;
	x.total.dns_busy = 1;
	x.total.dns_refreshed = 4;
	x.total.pcap_packets = 40;
	x.total.pcap_bytes = 5200;
	x.total.pcap_errors = 4;
	x.total.pcap_behind = 9;
	x.total.pcap_rotations = 6;
	memset(&ls, 0, sizeof(ls));
	nfqd_stats_table(&x, emit, &ls);
	CHECK_INT_EQ(ls.n, 6, "extras: the dns_learn and pcap lines");
	if (ls.n == 6) {
		CHECK_STR_EQ(ls.l[3], "dns_learn: 12 entries of 65536, "
		    "learned 20, hits 7, evictions 3, expiries 5, refused 2, "
		    "busy 1, refreshed 4", "extras: dns_learn line");
		CHECK_STR_EQ(ls.l[4], "pcap: packets 40, bytes 5200, "
		    "errors 4, behind 9, rotations 6", "extras: pcap line");
	}

	/* Packets lost to the capture alone still show it. */
	x.dns_capacity = 0;
	x.total.pcap_packets = x.total.pcap_bytes = 0;
	x.total.pcap_rotations = 0;
	/* Failed writes alone, then packets a slow disk kept out alone. */
	for (i = 0; i < 2; i++) {
		x.total.pcap_errors = i == 0 ? 4 : 0;
		x.total.pcap_behind = i == 0 ? 0 : 3;
		memset(&ls, 0, sizeof(ls));
		nfqd_stats_table(&x, emit, &ls);
		CHECK_INT_EQ(ls.n, 5, unit_fmt("extras: %s alone: the pcap "
		    "line only", i == 0 ? "errors" : "behind"));
		if (ls.n == 5)
			CHECK_STR_EQ(ls.l[3], i == 0 ?
			    "pcap: packets 0, bytes 0, errors 4, behind 0, "
			    "rotations 0" : "pcap: packets 0, bytes 0, "
			    "errors 0, behind 3, rotations 0",
			    unit_fmt("extras: pcap line with %s alone",
			    i == 0 ? "errors" : "behind"));
	}

	/* The QUIC claims' line once an ID was claimed or refused, each
	   counter alone: the table's size alone shows nothing. */
	memset(&x, 0, sizeof(x));
	x.quic_claim_capacity = 524288;
	memset(&ls, 0, sizeof(ls));
	nfqd_stats_table(&x, emit, &ls);
	CHECK_INT_EQ(ls.n, 4, "extras: no quic_claims line before a claim");
	for (i = 0; i < 3; i++) {
		x.total.quic_claims = i == 0 ? 70 : 0;
		x.total.quic_claims_held = i == 1 ? 2 : 0;
		x.total.quic_claims_full = i == 2 ? 5 : 0;
		memset(&ls, 0, sizeof(ls));
		nfqd_stats_table(&x, emit, &ls);
		CHECK_INT_EQ(ls.n, 5, unit_fmt("extras: quic_claims line "
		    "(counter %d alone)", i));
		if (ls.n == 5)
			CHECK_STR_EQ(ls.l[3], i == 0 ? "quic_claims: 70 "
			    "claimed, held 0, full 0, a table of 524288, 0 "
			    "live" : i == 1 ? "quic_claims: 0 claimed, held 2, "
			    "full 0, a table of 524288, 0 live" :
			    "quic_claims: 0 claimed, held 0, full 5, a table "
			    "of 524288, 0 live",
			    unit_fmt("extras: quic_claims line %d", i));
	}
	/* The live claims alone show it too (a worker's counters start
	   again when its slot is given another queue; the table's claims
	   stay). */
	memset(&x.total, 0, sizeof(x.total));
	x.quic_claims_live = 4097;
	memset(&ls, 0, sizeof(ls));
	nfqd_stats_table(&x, emit, &ls);
	CHECK_INT_EQ(ls.n, 5, "extras: quic_claims line (live claims alone)");
	if (ls.n == 5)
		CHECK_STR_EQ(ls.l[3], "quic_claims: 0 claimed, held 0, full "
		    "0, a table of 524288, 4097 live",
		    "extras: quic_claims line with the live claims");
}

/* Entries of dir other than . and .. */
static int
count_entries(const char *d, const char *needle)
{
	DIR		*dp;
	struct dirent	*de;
	int		 n = 0;

	if ((dp = opendir(d)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (needle == NULL || strstr(de->d_name, needle) != NULL)
			n++;
	}
	closedir(dp);
	return n;
}

static void
write_region(const char *path, const struct nfqd_shm_hdr *h, size_t size)
{
	char	buf[sizeof(*h)];
	size_t	n = size < sizeof(buf) ? size : sizeof(buf);
	int	fd;

	memset(buf, 0, sizeof(buf));
	if (h != NULL)
		memcpy(buf, h, sizeof(*h));
	/* The header, then zeros up to size. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, buf, n) != (ssize_t)n ||
	    ftruncate(fd, (off_t)size) == -1)
		CHECK(0, "writing a fake region");
	if (fd != -1)
		close(fd);
}

static void
expect_rejected(const char *name, const char *path, const char *msg)
{
	struct nfqd_shm	ro;
	char		err[1024], want[1200];
	int		r;

	err[0] = '\0';
	r = nfqd_shm_open_ro(&ro, path, err, sizeof(err));
	CHECK(r == -1 && ro.hdr == NULL, unit_fmt("open_ro rejects %s", name));
	snprintf(want, sizeof(want), "%s: %s", path, msg);
	CHECK_STR_EQ(err, want, unit_fmt("open_ro %s: message", name));
	if (r == 0)
		nfqd_shm_close(&ro);
}

static void
test_shm(void)
{
	struct nfqd_shm		 shm, ro;
	struct nfqd_shm_hdr	 h;
	struct nfqd_slot_stats	 a, c;
	struct stat		 sb;
	char			 path[1024], fake[1024], err[1024];
	char			 bad[256], badver[256], badsize[256];
	time_t			 t0;
	mode_t			 old;
	int			 r;

	CHECK_UINT_EQ(sizeof(struct nfqd_slot), NFQD_SHM_PAGE,
	    "slot is a page");
	CHECK_UINT_EQ(nfqd_shm_size(0), NFQD_SHM_PAGE,
	    "size of an empty region");
	CHECK_UINT_EQ(nfqd_shm_size(3), 5 * NFQD_SHM_PAGE,
	    "size of three slots: header, ctl, slots");
	CHECK_UINT_EQ(nfqd_shm_slots_off(64), 2 * NFQD_SHM_PAGE,
	    "64 slots' ctl lines fill a page");
	CHECK_UINT_EQ(nfqd_shm_slots_off(65), 3 * NFQD_SHM_PAGE,
	    "65 slots' take two");
	CHECK_UINT_EQ(nfqd_shm_size(NFQD_MAX_WORKERS),
	    (1 + 16 + NFQD_MAX_WORKERS) * NFQD_SHM_PAGE,
	    "size of the region nfqd makes");

	snprintf(badver, sizeof(badver), "counters region version %d; this "
	    "program reads version %d only (nfqd and its tools from different "
	    "releases?)", NFQD_SHM_VERSION + 1, NFQD_SHM_VERSION);
	snprintf(path, sizeof(path), "%s/region.shm", dir);
	snprintf(fake, sizeof(fake), "%s/fake.shm", dir);
	/* A stale file is replaced. */
	write_region(path, NULL, 100);
	old = umask(077);
	t0 = time(NULL);
	r = nfqd_shm_create(&shm, path, 2, 4321, err, sizeof(err));
	umask(old);
	if (!CHECK_INT_EQ(r, 0, "create a region over a stale file"))
		return;
	CHECK(stat(path, &sb) == 0 && (size_t)sb.st_size == nfqd_shm_size(2) &&
	    (sb.st_mode & 07777) == 0644, "create: size and mode 0644");
	CHECK(shm.hdr->magic == NFQD_SHM_MAGIC &&
	    shm.hdr->version == NFQD_SHM_VERSION &&
	    shm.hdr->hdr_size == sizeof(struct nfqd_shm_hdr) &&
	    shm.hdr->slot_size == sizeof(struct nfqd_slot) &&
	    shm.hdr->nslots == 2 && shm.hdr->nworkers == 0 &&
	    shm.hdr->master_pid == 4321 && shm.hdr->generation == 0 &&
	    shm.hdr->start_time >= (uint64_t)t0 &&
	    shm.hdr->start_time <= (uint64_t)t0 + 1, "create: header");
	CHECK((char *)shm.ctl == (char *)shm.hdr + NFQD_SHM_PAGE &&
	    (char *)shm.slots == (char *)shm.hdr + 2 * NFQD_SHM_PAGE &&
	    shm.ctl[1].pid == 0 && shm.slots[1].st.received == 0,
	    "create: zeroed ctl and slots, each from a page");

	shm.hdr->nworkers = 2;
	shm.ctl[1].pid = 77;
	memset(&a, 0, sizeof(a));
	fill(&a, 5000);
	nfqd_slot_stats_publish(&shm.slots[1].st, &a);

	err[0] = '\0';
	r = nfqd_shm_open_ro(&ro, path, err, sizeof(err));
	CHECKF(r == 0, "open_ro accepts a created region", "\"%s\"", err);
	if (r == 0) {
		CHECK(ro.size == nfqd_shm_size(2) && ro.hdr->nslots == 2 &&
		    ro.hdr->nworkers == 2 && ro.ctl[1].pid == 77,
		    "open_ro sees the region");
		nfqd_slot_stats_read(&ro.slots[1].st, &c);
		CHECK(memcmp(&a, &c, sizeof(a)) == 0,
		    "open_ro reads published counters");
		shm.slots[1].st.received = 99;
		CHECK_UINT_EQ(NFQD_LOAD(&ro.slots[1].st.received), 99,
		    "open_ro mapping is shared");
		nfqd_shm_close(&ro);
		CHECK(ro.hdr == NULL && ro.fd == -1, "shm_close resets");
	}

	/* Fakes made from the real header with one thing wrong. */
	memcpy(&h, shm.hdr, sizeof(h));
	h.magic = 0x12345678;
	write_region(fake, &h, nfqd_shm_size(2));
	expect_rejected("wrong magic", fake,
	    "not an nfqd counters region (magic 0x12345678)");
	memcpy(&h, shm.hdr, sizeof(h));
	h.version = NFQD_SHM_VERSION + 1;
	write_region(fake, &h, nfqd_shm_size(2));
	expect_rejected("wrong version", fake, badver);
	memcpy(&h, shm.hdr, sizeof(h));
	h.slot_size = 64;
	write_region(fake, &h, nfqd_shm_size(2));
	snprintf(badsize, sizeof(badsize), "counters region with header size "
	    "128 and slot size 64; this program's are 128 and %zu",
	    sizeof(struct nfqd_slot));
	expect_rejected("wrong slot size", fake, badsize);
	memcpy(&h, shm.hdr, sizeof(h));
	h.hdr_size = 192;
	write_region(fake, &h, nfqd_shm_size(2));
	snprintf(badsize, sizeof(badsize), "counters region with header size "
	    "192 and slot size %zu; this program's are 128 and %zu",
	    sizeof(struct nfqd_slot), sizeof(struct nfqd_slot));
	expect_rejected("wrong header size", fake, badsize);
	memcpy(&h, shm.hdr, sizeof(h));
	h.nworkers = 3;
	write_region(fake, &h, nfqd_shm_size(2));
	snprintf(bad, sizeof(bad), "damaged counters region (2 slots, 3 "
	    "workers, %zu bytes)", nfqd_shm_size(2));
	expect_rejected("nworkers past nslots", fake, bad);
	memcpy(&h, shm.hdr, sizeof(h));
	h.nslots = NFQD_MAX_WORKERS + 1;
	h.nworkers = 0;
	write_region(fake, &h, nfqd_shm_size(2));
	snprintf(bad, sizeof(bad), "damaged counters region (%d slots, 0 "
	    "workers, %zu bytes)", NFQD_MAX_WORKERS + 1, nfqd_shm_size(2));
	expect_rejected("too many slots", fake, bad);
	memcpy(&h, shm.hdr, sizeof(h));
	write_region(fake, &h, nfqd_shm_size(2) - 1);
	snprintf(bad, sizeof(bad), "damaged counters region (2 slots, 2 "
	    "workers, %zu bytes)", nfqd_shm_size(2) - 1);
	expect_rejected("a file shorter than its slots", fake, bad);
	write_region(fake, &h, nfqd_shm_size(2));
	r = nfqd_shm_open_ro(&ro, fake, err, sizeof(err));
	CHECK(r == 0, "open_ro accepts a good copy");
	if (r == 0)
		nfqd_shm_close(&ro);
	write_region(fake, NULL, 10);
	expect_rejected("a short file", fake,
	    "too short for a counters region");
	write_region(fake, NULL, 0);
	expect_rejected("an empty file", fake,
	    "too short for a counters region");
	unlink(fake);
	snprintf(bad, sizeof(bad), "%s (is nfqd running?)", strerror(ENOENT));
	expect_rejected("a missing file", fake, bad);

	snprintf(fake, sizeof(fake), "%s/missing/x.shm", dir);
	errno = 0;
	r = nfqd_shm_create(&ro, fake, 1, 1, err, sizeof(err));
	CHECK(r == -1 && errno == ENOENT && ro.hdr == NULL,
	    "create in a missing directory fails with ENOENT");
	CHECKF(strstr(err, "open(") != NULL && strstr(err, fake) != NULL,
	    "create in a missing directory: the message names call and path",
	    "\"%s\"", err);

	nfqd_shm_destroy(&shm);
	CHECK(access(path, F_OK) == -1 && errno == ENOENT,
	    "shm_destroy removes the file");
	CHECK(shm.hdr == NULL && shm.fd == -1, "shm_destroy unmaps");
}

/*
 * Things planted where the master makes its regions: refused with a
 * message, never opened for writing, never waited on.
 */
static void
test_shm_planted(void)
{
	struct nfqd_shm		 shm, two;
	struct nfqd_rshm	 r1, r2;
	char			 path[1024], tmp[1100], target[1024];
	char			 rpath[1100], err[4096], buf[64];
	int			 r;

	snprintf(path, sizeof(path), "%s/planted.shm", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	snprintf(target, sizeof(target), "%s/target", dir);

	CHECK(mkfifo(path, 0666) == 0, "planted shm: a FIFO at its name");
	errno = 0;
	r = nfqd_shm_create(&shm, path, 1, 1, err, sizeof(err));
	CHECKF(r == -1 && errno == EEXIST && strstr(err, path) != NULL &&
	    strstr(err, "it is a FIFO") != NULL,
	    "planted shm: FIFO refused without waiting", "got %d, \"%s\"", r,
	    err);
	unlink(path);

	CHECK(unit_write_text(target, "theirs\n") == 0 &&
	    symlink(target, path) == 0, "planted shm: a symlink at its name");
	errno = 0;
	r = nfqd_shm_create(&shm, path, 1, 1, err, sizeof(err));
	CHECKF(r == -1 && errno == ELOOP && strstr(err, "a symbolic link"),
	    "planted shm: symlink refused", "got %d, \"%s\"", r, err);
	CHECK(unit_read_text(target, buf, sizeof(buf)) == 7,
	    "planted shm: the symlink's target untouched");
	unlink(path);

	CHECK(mkdir(path, 0700) == 0, "planted shm: a directory at its name");
	errno = 0;
	r = nfqd_shm_create(&shm, path, 1, 1, err, sizeof(err));
	CHECK(r == -1 && errno == EISDIR, "planted shm: directory refused");
	rmdir(path);

	/* The temporary name taken: made under another, and said so. */
	CHECK(mkfifo(tmp, 0666) == 0,
	    "planted shm: FIFO at the temporary name");
	r = nfqd_shm_create(&shm, path, 1, 1, err, sizeof(err));
	CHECKF(r == 0 && strstr(err, "a FIFO is in the way") != NULL,
	    "planted shm: FIFO at the temporary name: made anyway, noted",
	    "got %d, \"%s\"", r, err);
	CHECK(count_entries(dir, ".tmp.") == 1, "planted shm: nothing of ours "
	    "left under a temporary name");
	unlink(tmp);
	if (r != 0)
		return;

	/* Its lock: a second master on the same name is refused. */
	errno = 0;
	r = nfqd_shm_create(&two, path, 1, 1, err, sizeof(err));
	CHECKF(r == -1 && errno == EBUSY && strstr(err, "locked") != NULL,
	    "planted shm: a region in use is refused (EBUSY)", "got %d, \"%s\"",
	    r, err);

	/* Exit: something renamed over it since is not removed. */
	CHECK(unit_write_text(target, "new\n") == 0 &&
	    rename(target, path) == 0,
	    "planted shm: replaced under the master");
	nfqd_shm_destroy(&shm);
	CHECK(unit_read_text(path, buf, sizeof(buf)) == 4,
	    "planted shm: destroy leaves a file that is not its own");
	unlink(path);

	/* The rule counters region. */
	snprintf(rpath, sizeof(rpath), "%s.rules", path);
	CHECK(symlink(dir, rpath) == 0, "planted rules: a symlink at its name");
	errno = 0;
	r = nfqd_rshm_create(&r1, rpath, NULL, 2, 1, err, sizeof(err));
	CHECKF(r == -1 && errno == ELOOP && strstr(err, rpath) != NULL,
	    "planted rules: symlink refused", "got %d, \"%s\"", r, err);
	unlink(rpath);
	r = nfqd_rshm_create(&r1, rpath, NULL, 2, 1, err, sizeof(err));
	CHECKF(r == 0 && err[0] == '\0', "planted rules: made", "\"%s\"", err);
	r = nfqd_rshm_create(&r2, rpath, NULL, 2, 2, err, sizeof(err));
	CHECKF(r == 0, "planted rules: a second one replaces it", "\"%s\"",
	    err);
	nfqd_rshm_destroy(&r1);
	CHECK(access(rpath, F_OK) == 0,
	    "planted rules: the older one does not remove the newer");
	/* A FIFO in its place at exit: not opened, not removed. */
	unlink(rpath);
	CHECK(mkfifo(rpath, 0666) == 0, "planted rules: a FIFO at exit");
	nfqd_rshm_destroy(&r2);
	CHECK(r2.hdr == NULL && access(rpath, F_OK) == 0,
	    "planted rules: destroy returns, the FIFO left alone");
	unlink(rpath);
	r = nfqd_rshm_create(&r1, rpath, NULL, 2, 3, err, sizeof(err));
	nfqd_rshm_destroy(&r1);
	CHECK(r == 0 && access(rpath, F_OK) == -1,
	    "planted rules: destroy removes its own file");
}

/*
 * stats.prometheus: the master writes what nfqctl metrics prints for the
 * same snapshot (both call nfqd_metrics_write() with the default limit),
 * through the writer stats.file uses, with its refusals.
 */
static void
test_write_file(void)
{
	static struct nfqd_stats	 ms;
	static struct nfqd_stats_rule	 rules[2] = {
		{ "web", 7, 700 }, { "dns", 3, 210 }
	};
	struct nfqd_buf			 want, bad;
	struct stat			 sb;
	char				 sub[600], path[700], target[700];
	char				 err[4096], got[65536];
	mode_t				 um;
	int				 r, n;

	memset(&ms, 0, sizeof(ms));
	ms.nworkers = 1;
	ms.workers[0].queue = 3;
	ms.workers[0].state = NFQD_SLOT_RUNNING;
	fill(&ms.workers[0].st, 100);
	ms.total = ms.workers[0].st;
	ms.rules = rules;
	ms.nrules = 2;
	buf_init(&want);
	nfqd_metrics_write(&ms, NFQD_METRICS_MAX_RULES, &want);
	CHECK(!want.failed && strstr(want.data,
	    "nfqd_rule_hits_total{rule=\"web\"} 7\n") != NULL,
	    "prometheus file: the metrics of the snapshot");

	/* A missing directory is made; the file is 0644 whatever the umask. */
	snprintf(sub, sizeof(sub), "%s/textfile", dir);
	snprintf(path, sizeof(path), "%s/nfqd.prom", sub);
	um = umask(077);
	r = nfqd_stats_write_file(path, &want, err, sizeof(err));
	umask(um);
	CHECKF(r == 0 && err[0] == '\0', "prometheus file: written",
	    "got %d, \"%s\"", r, err);
	n = unit_read_text(path, got, sizeof(got));
	CHECK(n == (int)want.len && memcmp(got, want.data, want.len) == 0,
	    "prometheus file: exactly nfqctl metrics' text");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0644,
	    "prometheus file: mode 0644");
	CHECK(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode),
	    "prometheus file: its directory made");
	rules[0].hits = 8;
	buf_reset(&want);
	nfqd_metrics_write(&ms, NFQD_METRICS_MAX_RULES, &want);
	r = nfqd_stats_write_file(path, &want, err, sizeof(err));
	n = unit_read_text(path, got, sizeof(got));
	CHECK(r == 0 && n == (int)want.len &&
	    strstr(got, "nfqd_rule_hits_total{rule=\"web\"} 8\n") != NULL,
	    "prometheus file: replaced by the next write");
	CHECK(count_entries(sub, ".tmp.") == 0,
	    "prometheus file: no temporary file left");
	unlink(path);

	/* A FIFO or a symbolic link at the name: refused, never opened. */
	CHECK(mkfifo(path, 0666) == 0, "prometheus file: a FIFO at its name");
	errno = 0;
	r = nfqd_stats_write_file(path, &want, err, sizeof(err));
	CHECKF(r == -1 && errno == EEXIST && strstr(err, "it is a FIFO"),
	    "prometheus file: FIFO refused without waiting", "got %d, \"%s\"",
	    r, err);
	unlink(path);
	snprintf(target, sizeof(target), "%s/theirs", sub);
	CHECK(unit_write_text(target, "theirs\n") == 0 &&
	    symlink(target, path) == 0, "prometheus file: a symlink at its name");
	errno = 0;
	r = nfqd_stats_write_file(path, &want, err, sizeof(err));
	CHECKF(r == -1 && errno == ELOOP && strstr(err, "a symbolic link"),
	    "prometheus file: symlink refused", "got %d, \"%s\"", r, err);
	CHECK(unit_read_text(target, got, sizeof(got)) == 7,
	    "prometheus file: the symlink's target untouched");
	CHECK(count_entries(sub, ".tmp.") == 0,
	    "prometheus file: no temporary file left after a refusal");
	unlink(path);

	/* A buffer cut short by an allocation failure is not written. */
	buf_init(&bad);
	bad.failed = true;
	errno = 0;
	r = nfqd_stats_write_file(path, &bad, err, sizeof(err));
	CHECKF(r == -1 && errno == ENOMEM && access(path, F_OK) == -1,
	    "prometheus file: a failed buffer is not written", "got %d, \"%s\"",
	    r, err);
	buf_free(&want);
	unlink(target);
	rmdir(sub);
}

/* Whether this process may write the byte at p (it writes 'x' there). */
static char
writable(void *p)
{
	int	fd[2];
	ssize_t	r = -1;

	if (pipe(fd) == -1)
		return '?';
	/* The kernel's copy fails with EFAULT on a read-only page. */
	if (write(fd[1], "x", 1) == 1)
		r = read(fd[0], p, 1);
	close(fd[0]);
	close(fd[1]);
	return r == 1 ? 'w' : r == -1 && errno == EFAULT ? '-' : '?';
}

/*
 * What a worker of slot 1 may write after nfqd_shm_protect() and
 * nfqd_rshm_protect() (slots.c does it in each new worker): its own slot's
 * counters, its own rule counters and the rate cells; not the header, a
 * ctl line, another slot, the rule names or a region it does not count in.
 */
static void
test_protect(void)
{
	struct nfqd_shm		 shm;
	struct nfqd_rshm	 cur, old;
	struct nfqd_ruleset	 rs;
	struct nfqd_rule	 rules[3];
	struct nfqd_rate_cell	*cells;
	char			 path[1024], rpath[1024], opath[1024];
	char			 err[1024], got[64];
	int			 fd[2], status;
	pid_t			 pid;
	size_t			 i;
	/* Targets in order; 'w' where slot 1's worker may write. */
	static const char	 want[] = "--- --- -ww- ---- ww -- -";

	snprintf(path, sizeof(path), "%s/prot.shm", dir);
	snprintf(rpath, sizeof(rpath), "%s/prot.rules", dir);
	snprintf(opath, sizeof(opath), "%s/prot.old", dir);
	memset(&rs, 0, sizeof(rs));
	memset(rules, 0, sizeof(rules));
	rs.rules = rules;
	rs.n = 3;
	rs.ncells = 2;
	strcpy(rules[0].name, "a");
	if (!CHECKF(nfqd_shm_create(&shm, path, 3, 1, err, sizeof(err)) == 0,
	    "protect: create the region", "%s", err))
		return;
	if (!CHECKF(nfqd_rshm_create(&cur, rpath, &rs, 3, 2, err,
	    sizeof(err)) == 0 && nfqd_rshm_create(&old, opath, &rs, 3, 1,
	    err, sizeof(err)) == 0, "protect: create rule regions", "%s",
	    err)) {
		nfqd_shm_destroy(&shm);
		return;
	}
	CHECK(cur.h.names_off % NFQD_SHM_PAGE == 0 &&
	    cur.h.ctr_off % NFQD_SHM_PAGE == 0 &&
	    cur.h.slot_stride == NFQD_SHM_PAGE &&
	    cur.h.cells_off == cur.h.ctr_off + 3 * NFQD_SHM_PAGE &&
	    cur.size == cur.h.cells_off + 2 * sizeof(struct nfqd_rate_cell),
	    "protect: rule region parts from page boundaries");
	cells = nfqd_rshm_cells(&cur);
	if (pipe(fd) == -1 || (pid = fork()) == -1) {
		CHECK(0, "protect: pipe and fork");
		goto out;
	}
	if (pid == 0) {
		close(fd[0]);
		i = 0;
		if (nfqd_shm_protect(&shm, 1) == -1 ||
		    nfqd_rshm_protect(&cur, 1) == -1 ||
		    nfqd_rshm_protect(&old, -1) == -1)
			_exit(2);
		/* The counters region: header, ctl lines, slots. */
		got[i++] = writable(&shm.hdr->generation);
		got[i++] = writable(&shm.hdr->seq);
		got[i++] = writable((char *)shm.hdr + NFQD_SHM_PAGE - 1);
		got[i++] = ' ';
		got[i++] = writable(&shm.ctl[0].pid);
		got[i++] = writable(&shm.ctl[1].pid);
		got[i++] = writable(&shm.ctl[2].state);
		got[i++] = ' ';
		got[i++] = writable(&shm.slots[0].pend.deciding);
		got[i++] = writable(&shm.slots[1].st.received);
		got[i++] = writable(&shm.slots[1].pend.deciding);
		got[i++] = writable(&shm.slots[2].st.received);
		got[i++] = ' ';
		/* The rule counters region it counts in. */
		got[i++] = writable(&cur.hdr->generation);
		got[i++] = writable((char *)cur.hdr + cur.h.names_off);
		got[i++] = writable(nfqd_rshm_slot(&cur, 0));
		got[i++] = writable(nfqd_rshm_slot(&cur, 2));
		got[i++] = ' ';
		got[i++] = writable(nfqd_rshm_slot(&cur, 1));
		got[i++] = writable(&cells[1].pad[6]);
		got[i++] = ' ';
		/* An older one, and a header the region does not have. */
		got[i++] = writable(nfqd_rshm_slot(&old, 1));
		got[i++] = writable(&old.hdr->nrules);
		got[i++] = ' ';
		got[i++] = nfqd_shm_protect(&shm, 3) == -1 && errno == EINVAL ?
		    '-' : '?';
		_exit(write(fd[1], got, i) == (ssize_t)i ? 0 : 3);
	}
	close(fd[1]);
	memset(got, 0, sizeof(got));
	if (read(fd[0], got, sizeof(got) - 1) == -1)
		got[0] = '\0';
	close(fd[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "protect: the child protected and ended");
	CHECK_STR_EQ(got, want, "protect: what slot 1's worker may write");
	/* Its writes are the parent's to read: the mappings stay shared. */
	CHECK(shm.slots[1].st.received % 256 == 'x' &&
	    ((char *)nfqd_rshm_slot(&cur, 1))[0] == 'x' &&
	    ((char *)&cells[1].pad[6])[0] == 'x' && shm.hdr->generation == 0,
	    "protect: the parent sees the child's writes, and only those");
	CHECK(writable(&shm.hdr->generation) == 'w',
	    "protect: the master's mapping stays writable");
out:
	nfqd_rshm_destroy(&old);
	nfqd_rshm_destroy(&cur);
	nfqd_shm_destroy(&shm);
}

int
main(void)
{
	char	shmpath[1024];
	int	rc;

	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(shmpath, sizeof(shmpath), "%s/nfqd.shm", dir);
	test_collect(shmpath);
	test_collect_hostile(shmpath);
	test_table_extras();
	test_shm();
	test_protect();
	alarm(30);	/* nothing may wait on a planted FIFO */
	test_shm_planted();
	test_write_file();
	alarm(0);
	CHECK_INT_EQ(count_entries(dir, NULL), 0,
	    "every test file was removed");
	rc = unit_done();
	if (unit_rmtree(dir) == -1) {
		perror(dir);
		rc = 1;
	}
	return rc;
}
