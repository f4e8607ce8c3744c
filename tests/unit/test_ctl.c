/*
 * Unit tests for what nfqctl reads and writes (src/snapshot.c,
 * src/metrics.c): a region made by shm.c's own create functions, read as
 * one snapshot; its Prometheus text line for line; regions refused.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfqd/json.h"
#include "nfqd/metrics.h"
#include "nfqd/nfqd.h"
#include "nfqd/ruleset.h"
#include "nfqd/shm.h"
#include "nfqd/snapshot.h"
#include "nfqd/stats.h"
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
	shm.slots[0].ctl.queue = 5;
	shm.slots[0].ctl.state = NFQD_SLOT_RUNNING;
	shm.slots[0].ctl.pid = 100;
	shm.slots[0].ctl.restarts = 1;
	shm.slots[0].ctl.rules_gen = 1;
	shm.slots[1].ctl.queue = 6;
	shm.slots[1].ctl.state = NFQD_SLOT_STARTING;
	shm.slots[1].ctl.cpu = -1;
	shm.slots[1].ctl.rules_gen = 1;
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
	int			 nhelp = 0, ntype = 0;

	if (!CHECKF(nfqd_snapshot_open(&sn, path, err, sizeof(err)) == 0,
	    "snapshot: open", "%s", err))
		return;
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
	expect_line(b.data, "nfqd_kernel_queue_dropped_total{queue=\"5\"} 7");
	expect_line(b.data, "nfqd_kernel_queue_user_dropped_total{queue=\"5\"} "
	    "1");
	expect_line(b.data, "nfqd_kernel_queue_id_sequence{queue=\"5\"} 15");
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
	    5, "metrics: one HELP line per family");
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
	shm.slots[1].ctl.rules_gen = 7;
	CHECK(nfqd_snapshot_take(&sn, proc, err, sizeof(err)) == 0,
	    "snapshot: take again");
	CHECK_UINT_EQ(sn.rules_elsewhere, 1, "snapshot: a slot elsewhere");
	CHECK_UINT_EQ(s->rules[0].hits, 4, "snapshot: its counts left out");
	shm.slots[1].ctl.rules_gen = 1;

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
	shm.hdr->hdr_size = 128;
	expect_refused("hdr_size", unit_fmt("counters region with header "
	    "size 128 and slot size %zu; this program's are 64 and %zu",
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
	if (make_regions() == 0) {
		test_snapshot();
		test_refused();
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
