/*
 * Unit tests for what nfqctl reads and writes (src/snapshot.c,
 * src/metrics.c): a region made by shm.c's own create functions, read as
 * one snapshot; its Prometheus text line for line; regions refused.  And
 * nfqctl's own (src/nfqctl/paths.c, control.c): stats.shm and
 * daemon.pidfile read alone from a configuration with errors elsewhere,
 * and the daemon's pid from the pidfile or, without one, from the region
 * when that process is the region's master.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/config.h"
#include "nfqd/json.h"
#include "nfqd/metrics.h"
#include "nfqd/nfqd.h"
#include "nfqd/ruleset.h"
#include "nfqd/shm.h"
#include "nfqd/snapshot.h"
#include "nfqd/stats.h"
#include "nfqctl.h"
#include "unit.h"

static char		dir[512], path[1024], rpath[1100], proc[1024];
static struct nfqd_shm	shm;
static struct nfqd_rshm	rshm;

/* Two workers on queues 5 and 6, three rules, in a fresh region. */
static int
make_regions(void)
{
	struct nfqd_ruleset	 rs;
	struct nfqd_rule	*rules;
	struct nfqd_slot_stats	 st;
	struct nfqd_rule_ctr	*c;
	char			 err[1024];

	if (!CHECKF(nfqd_shm_create(&shm, path, 4, getpid(), err,
	    sizeof(err)) == 0, "create the region", "%s", err))
		return -1;
	rules = calloc(3, sizeof(*rules));
	memset(&rs, 0, sizeof(rs));
	rs.rules = rules;
	rs.n = 3;
	strcpy(rules[0].name, "ssh");
	strcpy(rules[1].name, "dns \"int\"");
	strcpy(rules[2].name, "rest");
	if (!CHECKF(nfqd_rshm_create(&rshm, rpath, &rs, 4, 1, err,
	    sizeof(err)) == 0, "create the rule region", "%s", err)) {
		free(rules);
		return -1;
	}
	free(rules);
	shm.hdr->nworkers = 2;
	shm.hdr->generation = 3;
	shm.ctl[0].queue = 5;
	shm.ctl[0].state = NFQD_SLOT_RUNNING;
	shm.ctl[0].pid = 100;
	shm.ctl[0].restarts = 1;
	shm.ctl[0].rules_gen = 1;
	/* The master's totals of the kernel's drops (its 7 and 1 wrapped). */
	shm.ctl[0].queue_dropped = 3 * 4294967296ull + 7;
	shm.ctl[0].user_dropped = 4294967296ull + 1;
	shm.ctl[1].queue = 6;
	shm.ctl[1].state = NFQD_SLOT_STARTING;
	shm.ctl[1].cpu = -1;
	shm.ctl[1].rules_gen = 1;
	memset(&st, 0, sizeof(st));
	st.received = 10;
	st.accepted = 7;
	st.dropped = 2;
	st.other = 1;
	st.bytes = 1500;
	st.flows_active = 3;
	nfqd_slot_stats_publish(&shm.slots[0].st, &st);
	memset(&st, 0, sizeof(st));
	st.received = 5;
	st.accepted = 5;
	st.bytes = 500;
	nfqd_slot_stats_publish(&shm.slots[1].st, &st);
	c = nfqd_rshm_slot(&rshm, 0);
	c[0].hits = 4;
	c[0].bytes = 400;
	c[1].hits = 2;
	c[1].bytes = 120;
	c = nfqd_rshm_slot(&rshm, 1);
	c[0].hits = 1;
	c[0].bytes = 100;
	c[2].hits = 9;
	c[2].bytes = 900;
	return unit_write_text(proc,
	    "    5  12345     2 2 65535     7     1       15  1\n"
	    "    9  12346     0 2 65535     0     0        3  1\n");
}

static int
has_line(const char *text, const char *line)
{
	char	want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	return strncmp(text, line, strlen(line)) == 0 ||
	    strstr(text, want) != NULL;
}

static void
expect_line(const char *text, const char *line)
{
	CHECKF(has_line(text, line), unit_fmt("metrics: %s", line),
	    "not in the output");
}

static void
test_snapshot(void)
{
	struct nfqd_snapshot	 sn;
	struct nfqd_stats	*s;
	struct nfqd_buf		 b;
	char			 err[1024];
	const char		*p;
	struct timespec		 ms50 = { 0, 50000000 };
	pid_t			 pid;
	int			 nhelp = 0, ntype = 0, status;

	if (!CHECKF(nfqd_snapshot_open(&sn, path, err, sizeof(err)) == 0,
	    "snapshot: open", "%s", err))
		return;
	/* The live claims as the master counted them, more than the
	   table holds, as a master gone wrong might publish: no more than
	   the table's size is shown. */
	shm.hdr->quic_claim_capacity = 4096;
	shm.hdr->quic_claims_live = 4097;
	if (!CHECKF(nfqd_snapshot_take(&sn, proc, err, sizeof(err)) == 0,
	    "snapshot: take", "%s", err)) {
		nfqd_snapshot_close(&sn);
		return;
	}
	s = sn.stats;
	CHECK_UINT_EQ(s->nworkers, 2, "snapshot: workers");
	CHECK_UINT_EQ(s->total.received, 15, "snapshot: total received");
	CHECK_UINT_EQ(s->total.bytes, 2000, "snapshot: total bytes");
	CHECK_UINT_EQ(s->generation, 3, "snapshot: generation");
	CHECK_UINT_EQ(s->nrules, 3, "snapshot: rules");
	CHECK_STR_EQ(s->rules[1].name, "dns \"int\"", "snapshot: rule name");
	CHECK_UINT_EQ(s->rules[0].hits, 5, "snapshot: rule hits summed");
	CHECK_UINT_EQ(s->rules[2].bytes, 900, "snapshot: rule bytes");
	CHECK_UINT_EQ(s->nkernel, 1, "snapshot: the kernel's line of ours");
	CHECK_UINT_EQ(sn.rules_elsewhere, 0, "snapshot: every slot counted");
	CHECK_UINT_EQ(s->quic_claims_live, 4096,
	    "snapshot: live QUIC claims, at most the table's size");

	buf_init(&b);
	nfqd_metrics_write(s, NFQD_METRICS_MAX_RULES, &b);
	CHECK(!b.failed && b.len > 0 && b.data[b.len - 1] == '\n',
	    "metrics: text ends with a newline");
	expect_line(b.data, "# HELP nfqd_verdicts_total Packets given a "
	    "verdict, by verdict.");
	expect_line(b.data, "# TYPE nfqd_verdicts_total counter");
	expect_line(b.data, "nfqd_verdicts_total{worker=\"0\",queue=\"5\","
	    "verdict=\"accept\"} 7");
	expect_line(b.data, "nfqd_verdicts_total{worker=\"0\",queue=\"5\","
	    "verdict=\"drop\"} 2");
	expect_line(b.data, "nfqd_verdicts_total{worker=\"1\",queue=\"6\","
	    "verdict=\"other\"} 0");
	expect_line(b.data, "nfqd_packets_received_total{worker=\"1\","
	    "queue=\"6\"} 5");
	expect_line(b.data, "nfqd_received_bytes_total{worker=\"0\","
	    "queue=\"5\"} 1500");
	expect_line(b.data, "# TYPE nfqd_flows_active gauge");
	expect_line(b.data, "nfqd_flows_active{worker=\"0\",queue=\"5\"} 3");
	expect_line(b.data, "nfqd_worker_restarts_total{worker=\"0\","
	    "queue=\"5\"} 1");
	expect_line(b.data, "nfqd_worker_up{worker=\"0\",queue=\"5\"} 1");
	expect_line(b.data, "nfqd_worker_up{worker=\"1\",queue=\"6\"} 0");
	expect_line(b.data, "nfqd_config_generation 3");
	expect_line(b.data, "nfqd_rules 3");
	expect_line(b.data, "nfqd_rule_hits_total{rule=\"ssh\"} 5");
	expect_line(b.data, "nfqd_rule_hits_total{rule=\"dns \\\"int\\\"\"} 2");
	expect_line(b.data, "nfqd_rule_bytes_total{rule=\"rest\"} 900");
	expect_line(b.data, "nfqd_kernel_queue_waiting{queue=\"5\"} 2");
	expect_line(b.data, "nfqd_kernel_queue_dropped_total{queue=\"5\"} "
	    "12884901895");
	expect_line(b.data, "nfqd_kernel_queue_user_dropped_total{queue=\"5\"} "
	    "4294967297");
	expect_line(b.data, "nfqd_kernel_queue_id_sequence{queue=\"5\"} 15");
	expect_line(b.data, "nfqd_quic_claim_capacity 4096");
	expect_line(b.data, "# TYPE nfqd_quic_claims_live gauge");
	expect_line(b.data, "nfqd_quic_claims_live 4096");
	CHECK(strstr(b.data, "queue=\"9\"") == NULL,
	    "metrics: another program's queue is not shown");
	CHECK(strstr(b.data, "rule=\"_other\"") == NULL,
	    "metrics: no _other series under the limit");
	for (p = b.data; (p = strstr(p, "# HELP ")) != NULL; p++)
		nhelp++;
	for (p = b.data; (p = strstr(p, "# TYPE ")) != NULL; p++)
		ntype++;
#define X(f)	+ 1
	CHECK_UINT_EQ(nfqd_metrics_slot_rows(), 0 NFQD_SLOT_COUNTERS(X),
	    "metrics: a row for every counter of a slot");
#undef X
	/* Rows of the table with one name share a family (verdicts). */
	CHECK_INT_EQ(nhelp, (int)nfqd_metrics_slot_rows() - 2 + 4 + 3 + 3 +
	    5 + 2, "metrics: one HELP line per family (the QUIC table's two "
	    "gauges with it)");
	CHECK_INT_EQ(ntype, nhelp, "metrics: one TYPE line per HELP");
	buf_reset(&b);

	nfqd_metrics_write(s, 1, &b);
	expect_line(b.data, "nfqd_rule_hits_total{rule=\"ssh\"} 5");
	expect_line(b.data, "nfqd_rule_hits_total{rule=\"_other\"} 11");
	expect_line(b.data, "nfqd_rule_bytes_total{rule=\"_other\"} 1020");
	CHECK(strstr(b.data, "rule=\"rest\"") == NULL,
	    "metrics --max-rules 1: rule 3 only in _other");
	buf_free(&b);

	/* A slot that counts in an older rule region is left out, and said. */
	shm.ctl[1].rules_gen = 7;
	CHECK(nfqd_snapshot_take(&sn, proc, err, sizeof(err)) == 0,
	    "snapshot: take again");
	CHECK_UINT_EQ(sn.rules_elsewhere, 1, "snapshot: a slot elsewhere");
	CHECK_UINT_EQ(s->rules[0].hits, 4, "snapshot: its counts left out");
	/* nfqctl waits for it to move, as long as it is told to. */
	nfqd_snapshot_close(&sn);
	CHECK(nfqd_snapshot_settled(&sn, path, proc, 30, err, sizeof(err)) ==
	    0 && sn.rules_elsewhere == 1 && sn.stats->rules[0].hits == 4,
	    "settled: still elsewhere after 30 ms: as it is, and said");
	nfqd_snapshot_close(&sn);
	if ((pid = fork()) == 0) {
		nanosleep(&ms50, NULL);
		NFQD_STORE(&shm.ctl[1].rules_gen, 1);	/* it moved */
		_exit(0);
	}
	CHECK(pid > 0 && nfqd_snapshot_settled(&sn, path, proc, 60000, err,
	    sizeof(err)) == 0 && sn.rules_elsewhere == 0 &&
	    sn.stats->rules[0].hits == 5,
	    "settled: waits until the worker moved, then counts it");
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "settled: the mover ended");
	s = sn.stats;
	shm.ctl[1].rules_gen = 1;

	/* A rewrite that never ends: no snapshot, and a message. */
	nfqd_shm_write_begin(shm.hdr);
	CHECK(nfqd_snapshot_take(&sn, proc, err, sizeof(err)) == -1,
	    "snapshot: refused while the master rewrites");
	CHECK_STR_EQ(err, unit_fmt("%s: the daemon is rewriting the counters "
	    "(seq 1) and did not finish; try again", path),
	    "snapshot: rewrite message");
	nfqd_shm_write_end(shm.hdr);
	CHECK_UINT_EQ(shm.hdr->seq, 2, "seq even after a rewrite");
	CHECK(nfqd_snapshot_take(&sn, proc, err, sizeof(err)) == 0,
	    "snapshot: taken after the rewrite");
	nfqd_snapshot_close(&sn);
}

/*
 * The rule region as a worker gone bad rewrites it after nfqctl checked
 * and mapped it (every worker maps it writable): the snapshot still
 * reads the rules, slots and counts of the header it checked, and shows
 * each name as at most 63 printable characters.
 */
static void
test_hostile(void)
{
	static const struct {
		const char	*name;
		uint32_t	 nrules;	/* 0: as made */
		uint64_t	 ctr_shift;	/* added to ctr_off */
		uint32_t	 generation;	/* 0: as made */
		const char	*name0, *name1;	/* NULL: as made */
		const char	*want0, *want1;
	} t[] = {
		{ "as made", 0, 0, 0, NULL, NULL, "ssh", "dns \"int\"" },
		{ "nrules raised", 4, 0, 0, NULL, NULL, "ssh", "dns \"int\"" },
		{ "ctr_off moved", 0, 1, 0, NULL, NULL, "ssh", "dns \"int\"" },
		{ "generation changed", 0, 0, 7, NULL, NULL, "ssh",
		    "dns \"int\"" },
		{ "a terminal's escape", 0, 0, 0, "\x1b]0;owned\x07\x1b[2J",
		    "caf\xc3\xa9\x7f", "?]0;owned??[2J", "caf???" },
		{ "the metrics' _other", 0, 0, 0, "_other", "_x", "?other",
		    "?x" },
		{ "a name without its NUL", 0, 0, 0, NULL,
		    "0123456789012345678901234567890123456789012345678901234"
		    "567890123", "ssh",
		    "0123456789012345678901234567890123456789012345678901234"
		    "56789012" },
	};
	struct nfqd_rshm_hdr	 saved = *rshm.hdr;
	struct nfqd_snapshot	 sn;
	struct nfqd_stats	*s;
	char			 err[1024], names[2][NFQD_RSHM_NAME];
	char			*n0 = (char *)rshm.hdr + rshm.hdr->names_off;
	size_t			 i;

	memcpy(names, n0, sizeof(names));
	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		if (!CHECKF(nfqd_snapshot_open(&sn, path, err, sizeof(err)) ==
		    0, unit_fmt("hostile: %s: open", t[i].name), "%s", err))
			continue;
		if (t[i].nrules != 0)
			rshm.hdr->nrules = t[i].nrules;
		rshm.hdr->ctr_off += t[i].ctr_shift * rshm.hdr->slot_stride;
		if (t[i].generation != 0)
			rshm.hdr->generation = t[i].generation;
		if (t[i].name0 != NULL)
			memcpy(n0, t[i].name0, strlen(t[i].name0) + 1);
		if (t[i].name1 != NULL)
			memcpy(n0 + NFQD_RSHM_NAME, t[i].name1,
			    strlen(t[i].name1) < NFQD_RSHM_NAME ?
			    strlen(t[i].name1) + 1 : NFQD_RSHM_NAME);
		/* The master's handle: where spawn() zeroes a slot's. */
		CHECK(nfqd_rshm_slot(&rshm, 1) == (struct nfqd_rule_ctr *)
		    (void *)((char *)rshm.hdr + saved.ctr_off +
		    saved.slot_stride) && nfqd_rshm_cells(&rshm) == NULL,
		    unit_fmt("hostile: %s: the master's slot 2", t[i].name));
		s = sn.stats;
		if (CHECKF(nfqd_snapshot_take(&sn, proc, err, sizeof(err)) ==
		    0, unit_fmt("hostile: %s: take", t[i].name), "%s", err)) {
			CHECK_UINT_EQ(s->nrules, 3,
			    unit_fmt("hostile: %s: 3 rules", t[i].name));
			CHECK(s->rules[0].hits == 5 && s->rules[0].bytes == 500 &&
			    s->rules[1].hits == 2 && s->rules[2].hits == 9,
			    unit_fmt("hostile: %s: counts", t[i].name));
			CHECK_UINT_EQ(sn.rules_elsewhere, 0,
			    unit_fmt("hostile: %s: no slot elsewhere",
			    t[i].name));
			CHECK_STR_EQ(s->rules[0].name, t[i].want0,
			    unit_fmt("hostile: %s: name 1", t[i].name));
			CHECK_STR_EQ(s->rules[1].name, t[i].want1,
			    unit_fmt("hostile: %s: name 2", t[i].name));
		}
		nfqd_snapshot_close(&sn);
		*rshm.hdr = saved;
		memcpy(n0, names, sizeof(names));
	}
}

/*
 * Rule names as label values (the exposition is UTF-8: promtool check
 * metrics refused a name with the bytes 0xff 0xfe, "invalid label value",
 * where a byte that does not start a valid sequence is now U+FFFD), and
 * counts of 2^64 - 1, from a snapshot built here: no workers, one rule.
 */
static void
test_labels(void)
{
	static const struct {
		const char	*name, *rule, *want;
		uint64_t	 hits;
	} t[] = {
		{ "plain", "ssh", "{rule=\"ssh\"} 1", 1 },
		{ "quote, backslash, newline", "a\"b\\c\nd",
		    "{rule=\"a\\\"b\\\\c\\nd\"} 1", 1 },
		{ "braces, equals, comma", "{a=b,c}", "{rule=\"{a=b,c}\"} 1",
		    1 },
		{ "a digit and _ first", "9_x", "{rule=\"9_x\"} 1", 1 },
		{ "2^64 - 1", "big", "{rule=\"big\"} 18446744073709551615",
		    UINT64_MAX },
		{ "UTF-8", "caf\xc3\xa9 \xe2\x82\xac",
		    "{rule=\"caf\xc3\xa9 \xe2\x82\xac\"} 1", 1 },
		{ "0xff 0xfe", "bad\xff\xfe",
		    "{rule=\"bad\xef\xbf\xbd\xef\xbf\xbd\"} 1", 1 },
		{ "a sequence cut short", "x\xe2\x82",
		    "{rule=\"x\xef\xbf\xbd\xef\xbf\xbd\"} 1", 1 },
		{ "overlong", "\xc0\xaf",
		    "{rule=\"\xef\xbf\xbd\xef\xbf\xbd\"} 1", 1 },
		{ "a surrogate", "\xed\xa0\x80",
		    "{rule=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 1", 1 },
		{ "0xff before a quote", "\xff\"",
		    "{rule=\"\xef\xbf\xbd\\\"\"} 1", 1 },
	};
	struct nfqd_stats	*s;
	struct nfqd_stats_rule	 r;
	struct nfqd_buf		 b;
	size_t			 i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		CHECK(0, "labels: calloc");
		return;
	}
	s->rules = &r;
	s->nrules = 1;
	buf_init(&b);
	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		r.name = t[i].rule;
		r.hits = t[i].hits;
		r.bytes = 0;
		buf_reset(&b);
		nfqd_metrics_write(s, NFQD_METRICS_MAX_RULES, &b);
		expect_line(b.data, unit_fmt("nfqd_rule_hits_total%s",
		    t[i].want));
		CHECKF(!b.failed, unit_fmt("labels: %s", t[i].name),
		    "allocation failed");
	}
	buf_free(&b);
	free(s);
}

static void
expect_refused(const char *name, const char *msg)
{
	struct nfqd_snapshot	sn;
	char			err[1024];

	err[0] = '\0';
	CHECK(nfqd_snapshot_open(&sn, path, err, sizeof(err)) == -1,
	    unit_fmt("refused: %s", name));
	CHECK_STR_EQ(err, unit_fmt("%s: %s", path, msg),
	    unit_fmt("refused: %s: message", name));
}

/*
 * A rule counters region whose header a worker wrote before nfqctl opened
 * it: every part must lie in the file by itself, not only by a sum that
 * wraps (slot_stride 2^63 times 4 slots is 0: nfqctl read slot 1 at 2^63
 * bytes past the region, and crashed).
 */
static void
test_refused_rules(void)
{
	static const struct {
		const char	*name;
		size_t		 field;		/* a uint64_t of the header */
		uint64_t	 value;
		uint32_t	 ncells;	/* 0: as made */
	} t[] = {
		{ "slot_stride 2^63: its 4 slots wrap to 0",
		    offsetof(struct nfqd_rshm_hdr, slot_stride), 1ull << 63, 0 },
		{ "ctr_off 2^64 - 4 slots: its slots wrap to 0",
		    offsetof(struct nfqd_rshm_hdr, ctr_off),
		    0 - 4 * (uint64_t)NFQD_SHM_PAGE, 0 },
		{ "names_off 2^64 - 64: its 3 names wrap to 128",
		    offsetof(struct nfqd_rshm_hdr, names_off), 0 - 64ull, 0 },
		{ "cells_off 2^64 - 64: its cell wraps to 0",
		    offsetof(struct nfqd_rshm_hdr, cells_off), 0 - 64ull, 1 },
	};
	struct nfqd_rshm_hdr	 saved = *rshm.hdr;
	struct nfqd_snapshot	 sn;
	char			 err[1024];
	size_t			 i;

	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		memcpy((char *)rshm.hdr + t[i].field, &t[i].value,
		    sizeof(t[i].value));
		if (t[i].ncells != 0)
			rshm.hdr->ncells = t[i].ncells;
		err[0] = '\0';
		if (!CHECK(nfqd_snapshot_open(&sn, path, err, sizeof(err)) ==
		    -1, unit_fmt("refused: %s", t[i].name)))
			nfqd_snapshot_close(&sn);
		CHECK_STR_EQ(err, unit_fmt("%s: not an nfqd %d rule counters "
		    "region", rpath, NFQD_RSHM_VERSION),
		    unit_fmt("refused: %s: message", t[i].name));
		*rshm.hdr = saved;
	}
}

static void
test_refused(void)
{
	uint32_t	v;
	pid_t		pid;

	v = shm.hdr->magic;
	shm.hdr->magic = 0x11223344;
	expect_refused("magic", "not an nfqd counters region (magic "
	    "0x11223344)");
	shm.hdr->magic = v;
	shm.hdr->version = 3;
	expect_refused("version 3", unit_fmt("counters region version 3; "
	    "this program reads version %d only (nfqd and its tools from "
	    "different releases?)", NFQD_SHM_VERSION));
	shm.hdr->version = NFQD_SHM_VERSION;
	shm.hdr->hdr_size = 192;
	expect_refused("hdr_size", unit_fmt("counters region with header "
	    "size 192 and slot size %zu; this program's are 128 and %zu",
	    sizeof(struct nfqd_slot), sizeof(struct nfqd_slot)));
	shm.hdr->hdr_size = sizeof(struct nfqd_shm_hdr);

	/* Left by a master that is gone. */
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	shm.hdr->master_pid = pid;
	expect_refused("master gone", unit_fmt("left by nfqd %d, which is "
	    "not running", (int)pid));
	shm.hdr->master_pid = getpid();
	test_refused_rules();
}


static char	cpath[1100], errpath[1100];

/* A configuration file cpath with text, DIR replaced by dir. */
static void
write_conf(const char *text)
{
	char		 buf[4096];
	const char	*p, *q;
	size_t		 n = 0;

	for (p = text; (q = strstr(p, "DIR")) != NULL; p = q + 3)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%.*s%s",
		    (int)(q - p), p, dir);
	snprintf(buf + n, sizeof(buf) - n, "%s", p);
	unit_write_text(cpath, buf);
}

static void
ctl_init(struct nfqctl *c)
{
	memset(c, 0, sizeof(*c));
	c->config = cpath;
}

/* Errors everywhere but in the two settings nfqctl reads. */
static const char broken[] =
    "daemon: { pidfile = \"DIR/d.pid\"; user = \"no-such-nfqd-user\"; };\n"
    "queue: { maxlen = 0; frobnicate = 1; };\n"
    "stats: { shm = \"DIR/s.shm\"; };\n"
    "name_sets = ( { name = \"ads\"; file = \"DIR/none/ads.txt\"; } );\n"
    "pcap = { dir = \"DIR/none/pcap\"; };\n"
    "rules = ( { name = \"x\"; server_name = \"@ads\"; log = \"pcap\";\n"
    "    verdict = \"maybe\"; } );\n";

static void
test_paths(void)
{
	struct nfqd_config	*cf;
	struct unit_reports	 rs;
	struct nfqctl		 c;
	int			 n;

	/* The file nfqd's loader refuses (nfqctl check, reload). */
	write_conf(broken);
	cf = malloc(sizeof(*cf));
	memset(&rs, 0, sizeof(rs));
	CHECK(cf != NULL && nfqd_config_load(cf, cpath, NULL, unit_collect,
	    &rs) > 0, "paths: the whole loader refuses the broken file");
	ctl_init(&c);
	memset(&rs, 0, sizeof(rs));
	n = nfqctl_read_paths(&c, NFQCTL_NEED_SHM | NFQCTL_NEED_PIDFILE,
	    unit_collect, &rs);
	CHECKF(n == 0 && rs.n == 0, "paths: errors elsewhere do not matter",
	    "%d errors: %s", rs.n, rs.r[0].msg);
	CHECK_STR_EQ(c.shm != NULL ? c.shm : "(null)",
	    unit_fmt("%s/s.shm", dir), "paths: stats.shm of the broken file");
	CHECK_STR_EQ(c.pidfile != NULL ? c.pidfile : "(null)",
	    unit_fmt("%s/d.pid", dir),
	    "paths: daemon.pidfile of the broken file");

	/* Not set: nfqd's own defaults. */
	write_conf("queue: { maxlen = 0; };\n");
	nfqd_config_defaults(cf);
	ctl_init(&c);
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqctl_read_paths(&c, NFQCTL_NEED_SHM | NFQCTL_NEED_PIDFILE,
	    unit_collect, &rs) == 0, "paths: defaults: read");
	CHECK_STR_EQ(c.shm != NULL ? c.shm : "(null)", cf->shm_path,
	    "paths: default stats.shm is nfqd's");
	CHECK_STR_EQ(c.pidfile != NULL ? c.pidfile : "(null)", cf->pidfile,
	    "paths: default pidfile is nfqd's");
	CHECK_STR_EQ(cf->pidfile, "/run/nfqd/nfqd.pid",
	    "paths: the default pidfile is in /run/nfqd, as the unit's");
	free(cf);

	/* Only what is asked: a bad pidfile does not stop stats. */
	write_conf("daemon: { pidfile = \"d.pid\"; };\n"
	    "stats: { shm = \"DIR/s.shm\"; };\n");
	ctl_init(&c);
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqctl_read_paths(&c, NFQCTL_NEED_SHM, unit_collect, &rs) ==
	    0 && rs.n == 0 && c.pidfile == NULL,
	    "paths: stats does not read the pidfile");
	/* But a bad value of one asked for is an error, at its line. */
	ctl_init(&c);
	memset(&rs, 0, sizeof(rs));
	CHECK_INT_EQ(nfqctl_read_paths(&c, NFQCTL_NEED_PIDFILE, unit_collect,
	    &rs), 1, "paths: a relative pidfile: one error");
	CHECK_INT_EQ(rs.r[0].line, 1, "paths: a relative pidfile: its line");
	CHECK_STR_EQ(rs.r[0].msg, "daemon.pidfile: \"d.pid\" must be an "
	    "absolute path", "paths: a relative pidfile: message");
	CHECK(c.pidfile == NULL, "paths: a relative pidfile: not taken");

	/* The command line's are not read at all (no file here). */
	ctl_init(&c);
	c.config = "/nonexistent/nfqd.conf";
	c.shm = "/x.shm";
	c.pidfile = "/x.pid";
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqctl_read_paths(&c, NFQCTL_NEED_SHM | NFQCTL_NEED_PIDFILE,
	    unit_collect, &rs) == 0 && rs.n == 0 &&
	    strcmp(c.shm, "/x.shm") == 0 && strcmp(c.pidfile, "/x.pid") == 0,
	    "paths: -s and -p: no file read");

	/* A file that cannot be read. */
	ctl_init(&c);
	c.config = "/nonexistent/nfqd.conf";
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqctl_read_paths(&c, NFQCTL_NEED_SHM, unit_collect, &rs) > 0 &&
	    c.shm == NULL, "paths: a file that is not there: an error");
	CHECK_STR_EQ(rs.r[0].msg, "cannot open: No such file or directory",
	    "paths: a file that is not there: message");

	/* Cannot be parsed. */
	write_conf("stats: { shm = \"DIR/s.shm\"; };\nqueue { maxlen = 0 }\n");
	ctl_init(&c);
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqctl_read_paths(&c, NFQCTL_NEED_SHM, unit_collect, &rs) ==
	    1 && c.shm == NULL, "paths: a syntax error: an error");
	CHECK_INT_EQ(rs.r[0].line, 2, "paths: a syntax error: its line");

	/* A group that is not one. */
	write_conf("stats = 5;\n");
	ctl_init(&c);
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqctl_read_paths(&c, NFQCTL_NEED_SHM, unit_collect, &rs) ==
	    1 && c.shm == NULL, "paths: stats not a group: an error");
	CHECK_STR_EQ(rs.r[0].msg, "stats: must be a group: stats = { ... };",
	    "paths: stats not a group: message");

	/* @include, as nfqd reads it. */
	unit_write_text(unit_fmt("%s/inc.conf", dir),
	    unit_fmt("stats: { shm = \"%s/inc.shm\"; };\n", dir));
	write_conf("@include \"inc.conf\"\nqueue: { maxlen = 0; };\n");
	ctl_init(&c);
	memset(&rs, 0, sizeof(rs));
	CHECK(nfqctl_read_paths(&c, NFQCTL_NEED_SHM, unit_collect, &rs) ==
	    0 && c.shm != NULL && strcmp(c.shm, unit_fmt("%s/inc.shm",
	    dir)) == 0, "paths: stats.shm from an included file");
}

/* How many reports, and the last. */
struct last_report {
	int	n;
	int	line;
	char	file[1100], msg[512];
};

static void
keep_last(void *arg, const char *file, int line, const char *msg)
{
	struct last_report	*lr = arg;

	lr->n++;
	lr->line = line;
	snprintf(lr->file, sizeof(lr->file), "%s", file);
	snprintf(lr->msg, sizeof(lr->msg), "%s", msg);
}

#define OUT_OF_RANGE "99999999999999999999 is out of range " \
	"(-9223372036854775808 to 9223372036854775807)"
#define NOT_SHOWN " not shown (only the first 100 errors and the first 100 " \
	"warnings are shown)"

/*
 * nfqctl reads the file's text as nfqd does, so it finds the same errors
 * there (a number out of range on each line): it shows them as nfqd's
 * loads do, the first 100 and one line of how many more.
 */
static void
test_paths_shown(void)
{
	static const struct {
		int		 n;		/* lines out of range */
		int		 shown;		/* lines, the last one's too */
		const char	*last;		/* NULL: the n-th error */
	} t[] = {
		{ 0, 0, NULL },
		{ 100, 100, NULL },
		{ 101, 101, "... and 1 more error" NOT_SHOWN },
		{ 100000, 101, "... and 99,900 more errors" NOT_SHOWN },
	};
	struct last_report	 lr;
	struct nfqctl		 c;
	char			*text;
	size_t			 i, len, cap;
	int			 j, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cap = 128 + strlen(dir) + (size_t)t[i].n * 40;
		if ((text = malloc(cap)) == NULL) {
			CHECK(0, "paths shown: malloc");
			return;
		}
		len = (size_t)snprintf(text, cap, "stats: { shm = \"%s/s.shm\"; "
		    "};\n", dir);
		for (j = 0; j < t[i].n; j++)
			len += (size_t)snprintf(text + len, cap - len,
			    "x%d = 99999999999999999999;\n", j);
		unit_write_text(cpath, text);
		free(text);
		ctl_init(&c);
		memset(&lr, 0, sizeof(lr));
		n = nfqctl_read_paths(&c, NFQCTL_NEED_SHM, keep_last, &lr);
		CHECK_INT_EQ(n, t[i].n, unit_fmt("paths, %d lines out of "
		    "range: the errors counted", t[i].n));
		CHECK_INT_EQ(lr.n, t[i].shown, unit_fmt("paths, %d lines out "
		    "of range: lines shown", t[i].n));
		CHECK_STR_EQ(lr.msg, t[i].last != NULL ? t[i].last :
		    t[i].n == 0 ? "" : OUT_OF_RANGE, unit_fmt("paths, %d lines "
		    "out of range: the last", t[i].n));
		CHECK(strcmp(lr.file, t[i].n == 0 ? "" : cpath) == 0 &&
		    lr.line == (t[i].last != NULL || t[i].n == 0 ? 0 :
		    t[i].n + 1), unit_fmt("paths, %d lines out of range: the "
		    "last one's file and line: %s:%d", t[i].n, lr.file,
		    lr.line));
		CHECK(t[i].n == 0 ? c.shm != NULL : c.shm == NULL,
		    unit_fmt("paths, %d lines out of range: stats.shm %s",
		    t[i].n, t[i].n == 0 ? "taken" : "not taken"));
	}
}

/* nfqctl_daemon_pid(), and what it said on stderr (one line). */
static pid_t
daemon_pid(struct nfqctl *c, char *msg, size_t len)
{
	pid_t	pid;
	int	save, fd;

	fflush(stderr);
	save = dup(STDERR_FILENO);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (save == -1 || fd == -1 || dup2(fd, STDERR_FILENO) == -1) {
		perror("stderr");
		exit(1);
	}
	close(fd);
	pid = nfqctl_daemon_pid(c);
	fflush(stderr);
	dup2(save, STDERR_FILENO);
	close(save);
	msg[0] = '\0';
	unit_read_text(errpath, msg, len);
	msg[strcspn(msg, "\n")] = '\0';
	return pid;
}

/*
 * A process that waits to be killed, with the region open or not: back
 * once it is so.
 */
static pid_t
waiter(int region_open)
{
	pid_t	pid;
	char	b;
	int	p[2];

	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	if ((pid = fork()) == 0) {
		/* 2: a reader's, open read-only */
		if (region_open != 1)
			close(shm.fd);
		if (region_open == 2 && open(path, O_RDONLY) == -1)
			_exit(1);
		close(p[0]);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid == -1 || read(p[0], &b, 1) != 1) {
		perror("waiter");
		exit(1);
	}
	close(p[0]);
	return pid;
}

static void
reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static void
test_pid(void)
{
	struct nfqctl	c;
	char		msg[2048], pidf[1100], nopid[1100];
	pid_t		master, other, reader, gone, holder, stranger;
	int		pidfd;

	snprintf(pidf, sizeof(pidf), "%s/nfqd.pid", dir);
	snprintf(nopid, sizeof(nopid), "%s/none.pid", dir);

	/* The pidfile's pid, a process that has it open as nfqd's master. */
	if ((pidfd = open(pidf, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		perror(pidf);
		exit(1);
	}
	holder = waiter(1);
	if (dprintf(pidfd, "%d\n", (int)holder) < 0) {
		perror(pidf);
		exit(1);
	}
	close(pidfd);
	ctl_init(&c);
	c.pidfile = pidf;
	CHECK_INT_EQ(daemon_pid(&c, msg, sizeof(msg)), holder,
	    "pid: from the pidfile");
	CHECK_STR_EQ(msg, "", "pid: from the pidfile: nothing said");

	/*
	 * A pidfile left by an nfqd killed before it could remove it, its
	 * pid taken since by a process that runs but is not nfqd.
	 */
	stranger = waiter(1);
	unit_write_text(pidf, unit_fmt("%d\n", (int)stranger));
	CHECK_INT_EQ(daemon_pid(&c, msg, sizeof(msg)), -1,
	    "pid: a pidfile its process does not have open: refused");
	CHECK_STR_EQ(msg, unit_fmt("nfqctl: %s names process %d, but that "
	    "process does not have it open (a pidfile left behind?): nothing "
	    "sent", pidf, (int)stranger),
	    "pid: a pidfile its process does not have open: message");
	reap(holder);
	reap(stranger);

	/* No pidfile: the region's master, which has it open. */
	master = waiter(1);
	shm.hdr->master_pid = master;
	ctl_init(&c);
	c.pidfile = nopid;
	c.shm = path;
	CHECK_INT_EQ(daemon_pid(&c, msg, sizeof(msg)), master,
	    "pid: no pidfile: the region's master");
	CHECK_STR_EQ(msg, unit_fmt("nfqctl: %s: No such file or directory; "
	    "nfqd %d instead, the master of %s", nopid, (int)master, path),
	    "pid: no pidfile: said on stderr");

	/*
	 * The paths from a configuration with errors elsewhere (stop):
	 * pidfile not there, the region's master found.
	 */
	write_conf(unit_fmt("daemon: { pidfile = \"%s\"; user = \"no-such-"
	    "nfqd-user\"; };\nstats: { shm = \"%s\"; };\nqueue: { maxlen = "
	    "0; };\n", nopid, path));
	ctl_init(&c);
	CHECK_INT_EQ(daemon_pid(&c, msg, sizeof(msg)), master,
	    "pid: stop's paths from a broken configuration");

	/* A process that does not have the region open is not signalled. */
	other = waiter(0);
	shm.hdr->master_pid = other;
	ctl_init(&c);
	c.pidfile = nopid;
	c.shm = path;
	CHECK_INT_EQ(daemon_pid(&c, msg, sizeof(msg)), -1,
	    "pid: a process without the region: refused");
	CHECK_STR_EQ(msg, unit_fmt("nfqctl: %s: No such file or directory; "
	    "%s names process %d as its master, but that process does not "
	    "have it open (a region left behind?): nothing sent", nopid, path,
	    (int)other), "pid: a process without the region: message");

	/*
	 * A reader that maps the region read-only, named by a worker that
	 * wrote its pid as master_pid: not signalled either.
	 */
	reader = waiter(2);
	shm.hdr->master_pid = reader;
	CHECK_INT_EQ(daemon_pid(&c, msg, sizeof(msg)), -1,
	    "pid: a reader of the region: refused");
	CHECK_STR_EQ(msg, unit_fmt("nfqctl: %s: No such file or directory; "
	    "%s names process %d as its master, but that process has it open "
	    "read-only (a reader, not nfqd): nothing sent", nopid, path,
	    (int)reader), "pid: a reader of the region: message");
	reap(reader);

	/* A master that is gone. */
	if ((gone = fork()) == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	shm.hdr->master_pid = gone;
	CHECK_INT_EQ(daemon_pid(&c, msg, sizeof(msg)), -1,
	    "pid: a master gone: refused");
	CHECK_STR_EQ(msg, unit_fmt("nfqctl: %s: No such file or directory; "
	    "%s: left by nfqd %d, which is not running", nopid, path,
	    (int)gone), "pid: a master gone: message");

	/* Neither pidfile nor region. */
	ctl_init(&c);
	c.pidfile = nopid;
	c.shm = unit_fmt("%s/none.shm", dir);
	CHECK_INT_EQ(daemon_pid(&c, msg, sizeof(msg)), -1,
	    "pid: no pidfile, no region: refused");
	CHECK_STR_EQ(msg, unit_fmt("nfqctl: %s: No such file or directory; "
	    "%s/none.shm: No such file or directory (is nfqd running?)", nopid,
	    dir), "pid: no pidfile, no region: message");

	reap(master);
	reap(other);
	shm.hdr->master_pid = getpid();
}

/*
 * reload waits 10 s for the new generation, and twice as long again as
 * its own check of the file took: the master loads the same file (a list
 * of millions of names), and a slow load is not a refused one.
 */
static void
test_reload_wait(void)
{
	static const struct {
		long	check_ms, want_ms;
	} rows[] = {
		{ 0,	 10000 },
		{ -5,	 10000 },	/* a clock step: no less than 10 s */
		{ 40,	 10080 },
		{ 14000, 38000 },
	};
	struct nfqctl	c;
	size_t		i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ctl_init(&c);
		c.check_ms = rows[i].check_ms;
		CHECK_INT_EQ(nfqctl_reload_wait_ms(&c), rows[i].want_ms,
		    unit_fmt("reload wait: check of %ld ms", rows[i].check_ms));
	}
}

int
main(void)
{
	int	rc;

	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/nfqd.shm", dir);
	snprintf(rpath, sizeof(rpath), "%s.rules", path);
	snprintf(proc, sizeof(proc), "%s/nfnetlink_queue", dir);
	snprintf(cpath, sizeof(cpath), "%s/nfqd.conf", dir);
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	test_paths();
	test_paths_shown();
	test_reload_wait();
	test_labels();
	if (make_regions() == 0) {
		test_snapshot();
		test_hostile();
		test_refused();
		test_pid();
		nfqd_rshm_destroy(&rshm);
		nfqd_shm_destroy(&shm);
	}
	rc = unit_done();
	if (unit_rmtree(dir) == -1) {
		perror(dir);
		rc = 1;
	}
	return rc;
}
