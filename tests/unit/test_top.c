/*
 * Unit tests for nfqctl top's screen (src/nfqctl/topview.c): two crafted
 * snapshots half a second apart, their rates exact, the workers and rules
 * sorted as the keys ask, the rules cut to the screen's height.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/stats.h"
#include "topview.h"
#include "unit.h"

static char	screen[64][256];
static int	nlines;

static void
collect(void *arg, const char *line)
{
	(void)arg;
	if (nlines < 64)
		snprintf(screen[nlines], sizeof(screen[0]), "%s", line);
	nlines++;
}

/* The line whose first word is word, squeezed to single spaces. */
static const char *
row(const char *word)
{
	static char	buf[256];
	char		first[64];
	const char	*p;
	char		*q;
	int		 i;

	for (i = 0; i < nlines && i < 64; i++) {
		if (sscanf(screen[i], "%63s", first) != 1 ||
		    strcmp(first, word) != 0)
			continue;
		for (p = screen[i]; *p == ' '; p++)
			;
		for (q = buf; *p != '\0' && q < buf + sizeof(buf) - 1; p++)
			if (*p != ' ' || (q > buf && q[-1] != ' '))
				*q++ = *p;
		*q = '\0';
		return buf;
	}
	return "(none)";
}

/* The index of the line whose first word is word, or -1. */
static int
at(const char *word)
{
	char	first[64];
	int	i;

	for (i = 0; i < nlines && i < 64; i++)
		if (sscanf(screen[i], "%63s", first) == 1 &&
		    strcmp(first, word) == 0)
			return i;
	return -1;
}

/* The first words of the lines after the rules' header. */
static const char *
rule_order(void)
{
	static char	buf[256];
	char		w[64], name[64];
	int		i, on = 0;

	buf[0] = '\0';
	for (i = 0; i < nlines && i < 64; i++) {
		if (sscanf(screen[i], "%63s %63s", w, name) != 2)
			continue;
		if (strcmp(w, "rule") == 0) {
			on = 1;
			continue;
		}
		if (on)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    "%s%s", buf[0] != '\0' ? " " : "", name);
	}
	return buf;
}

static struct nfqd_stats_rule	rules[2][3];

static void
fill(struct nfqd_stats *s, int later)
{
	static const char	*names[3] = { "ssh", "dns", "rest" };
	uint64_t		 k = later ? 1 : 0;
	int			 i;

	memset(s, 0, sizeof(*s));
	s->master_pid = 42;
	s->generation = 1;
	s->uptime_s = 10;
	s->nworkers = 2;
	for (i = 0; i < 2; i++) {
		s->workers[i].id = (unsigned)i;
		s->workers[i].queue = 5 + (uint32_t)i;
		s->workers[i].cpu = i == 0 ? 0 : -1;
		s->workers[i].state = NFQD_SLOT_RUNNING;
	}
	/* Worker 0: 1000 packets more, 600 accepted, 300 dropped, 100 other. */
	s->workers[0].st.received = 5000 + 1000 * k;
	s->workers[0].st.accepted = 3000 + 600 * k;
	s->workers[0].st.dropped = 1500 + 300 * k;
	s->workers[0].st.other = 500 + 100 * k;
	s->workers[0].st.enobufs = 2;
	s->workers[0].st.flows_active = 7;
	s->workers[0].restarts = 1;
	/* Worker 1: 3000 more, all dropped. */
	s->workers[1].st.received = 100 + 3000 * k;
	s->workers[1].st.dropped = 100 + 3000 * k;
	s->workers[1].st.flows_active = 3;
	s->total.received = s->workers[0].st.received +
	    s->workers[1].st.received;
	s->total.enobufs = 2;
	s->total.flows_active = 10;
	s->restarts = 1;
	/* The kernel has queue 6 only: 4 waiting, 2 + 3 dropped. */
	s->nkernel = 1;
	s->kernel[0].queue = 6;
	s->kernel[0].queue_total = 4;
	s->kernel[0].queue_dropped = 2;
	s->kernel[0].user_dropped = 3;
	s->rules = rules[k];
	s->nrules = 3;
	for (i = 0; i < 3; i++) {
		rules[k][i].name = names[i];
		rules[k][i].bytes = 0;
	}
	/* hits/s after 0.5 s: ssh 20, dns 200, rest 2; hits: rest most. */
	rules[k][0].hits = 10 + 10 * k;
	rules[k][1].hits = 20 + 100 * k;
	rules[k][2].hits = 900 + 1 * k;
}

int
main(void)
{
	struct nfqctl_top_snap	a, b;
	struct nfqctl_top_view	v;
	struct nfqd_stats	*s;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	s = malloc(sizeof(*s));
	fill(s, 0);
	CHECK(nfqctl_top_save(&a, s, 100.0) == 0, "save the first snapshot");
	fill(s, 1);
	CHECK(nfqctl_top_save(&b, s, 100.5) == 0, "save the second");
	/* The copies are the snapshots' own. */
	memset(rules, 0, sizeof(rules));
	free(s);

	memset(&v, 0, sizeof(v));
	v.interval = 0.5;
	v.max_rules = 20;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_STR_EQ(row("nfqd"), "nfqd 42: uptime 10 s, 2 workers, "
	    "configuration 1; rates over 0.50 s; sort: workers by worker, "
	    "rules by hits/s", "title");
	CHECK_STR_EQ(row("worker"), "worker queue cpu state pkts/s accept/s "
	    "drop/s other/s enobufs restarts backlog kdrops flows", "header");
	CHECK_STR_EQ(row("0"), "0 5 0 running 2000 1200 600 200 2 1 - - 7",
	    "worker 0: 1000 packets in 0.5 s are 2000/s; no kernel line");
	CHECK_STR_EQ(row("1"), "1 6 - running 6000 0 6000 0 0 0 4 5 3",
	    "worker 1: 6000/s dropped; backlog 4, kernel drops 2 + 3");
	CHECK_STR_EQ(row("total"), "total 8000 1200 6600 200 2 1 4 5 10",
	    "the total row");
	CHECK_STR_EQ(row("rule"), "rule name hits/s hits bytes",
	    "rules header");
	CHECK_STR_EQ(row("2"), "2 dns 200 120 0", "rule dns: 100 hits in "
	    "0.5 s");
	CHECK_STR_EQ(rule_order(), "dns ssh rest", "rules by hits/s");

	nlines = 0;
	v.wsort = NFQCTL_TOP_W_PACKETS;
	v.rsort = NFQCTL_TOP_R_HITS;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_STR_EQ(rule_order(), "rest dns ssh", "rules by hits");
	/* Title, blank, header, then the workers. */
	CHECK(strncmp(screen[3], "     1 ", 7) == 0 &&
	    strncmp(screen[4], "     0 ", 7) == 0,
	    "workers by packets/s: worker 1 first");

	nlines = 0;
	v.rsort = NFQCTL_TOP_R_ORDER;
	v.wsort = NFQCTL_TOP_W_WORKER;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_STR_EQ(rule_order(), "ssh dns rest", "rules in order");

	/* The first frame: no rates. */
	nlines = 0;
	v.rsort = NFQCTL_TOP_R_RATE;
	nfqctl_top_layout(NULL, &a, &v, collect, NULL);
	CHECK_STR_EQ(row("0"), "0 5 0 running - - - - 2 1 - - 7",
	    "first frame: no rates");
	CHECK_STR_EQ(rule_order(), "ssh dns rest",
	    "first frame: rules in order");

	/*
	 * A screen of 12 lines: title, keys, blank, the workers' 4 lines,
	 * blank, the rules' header and the 3 rules.
	 */
	nlines = 0;
	v.rows = 12;
	v.keys = 1;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_INT_EQ(nlines, 12, "12 rows: 12 lines");
	CHECK_STR_EQ(rule_order(), "dns ssh rest", "12 rows: all 3 rules");
	/* 10: the workers keep room for two rules. */
	nlines = 0;
	v.rows = 10;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_INT_EQ(nlines, 10, "10 rows: 10 lines");
	CHECK(strncmp(screen[4], "     0 ", 7) == 0 &&
	    strncmp(screen[5], " total ", 7) == 0, "10 rows: one worker shown");
	CHECK_STR_EQ(rule_order(), "dns ssh", "10 rows: the two busiest "
	    "rules");

	/* No name was read and no dns_learn table: neither line. */
	CHECK_STR_EQ(row("l7"), "(none)", "no l7 line without name reading");
	CHECK_STR_EQ(row("dns"), "(none)", "no dns line without a table");

	/*
	 * Names read: 0.5 s apart, 50 more hellos, 5 more QUIC, 10 HTTP,
	 * 100 DNS, 1 error, 60 flows, 20 evicted, 2 untracked; dns_learn
	 * 30 learned, 200 found, 4 refused, 0 evicted, 1 busy.
	 */
	a.stats->total.l7_tls = 1000;
	b.stats->total.l7_tls = 1050;
	b.stats->total.l7_quic = 5;
	a.stats->total.l7_http = 7;
	b.stats->total.l7_http = 17;
	b.stats->total.l7_dns = 100;
	b.stats->total.l7_errors = 1;
	a.stats->total.flows_created = 2000;
	b.stats->total.flows_created = 2060;
	b.stats->total.flows_evicted = 20;
	b.stats->total.flows_untracked = 2;
	a.stats->dns_capacity = b.stats->dns_capacity = 4096;
	b.stats->dns_entries = 35;
	a.stats->total.dns_learned = 5;
	b.stats->total.dns_learned = 35;
	b.stats->total.dns_hits = 200;
	b.stats->total.dns_refused = 4;
	b.stats->total.dns_busy = 1;
	nlines = 0;
	v.rows = 0;
	v.keys = 0;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_STR_EQ(row("l7"), "l7 tls/s 100 quic/s 10 http/s 20 dns/s 200 "
	    "errors/s 2; flows/s 120 evicted/s 40 untracked/s 4",
	    "the l7 line: rates over 0.5 s");
	CHECK_STR_EQ(row("dns"), "dns 35 of 4096 entries; learned/s 60 "
	    "found/s 400 refused/s 8 evicted/s 0 busy/s 2",
	    "the dns_learn line");
	nlines = 0;
	nfqctl_top_layout(NULL, &a, &v, collect, NULL);
	CHECK_STR_EQ(row("l7"), "l7 tls/s - quic/s - http/s - dns/s - "
	    "errors/s -; flows/s - evicted/s - untracked/s -",
	    "first frame: the l7 line without rates");
	CHECK_STR_EQ(row("dns"), "dns 0 of 4096 entries; learned/s - "
	    "found/s - refused/s - evicted/s - busy/s -",
	    "first frame: the dns line without rates");
	/* 14 rows: the 12 above and the two lines, every rule still shown. */
	nlines = 0;
	v.rows = 14;
	v.keys = 1;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_INT_EQ(nlines, 14, "14 rows with the l7 and dns lines: 14 lines");
	CHECK_STR_EQ(rule_order(), "dns ssh rest", "14 rows: all 3 rules");
	/* 12 rows: the two lines take the room of a worker and a rule. */
	nlines = 0;
	v.rows = 12;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_INT_EQ(nlines, 12, "12 rows with the l7 and dns lines: 12 lines");
	CHECK_STR_EQ(rule_order(), "dns ssh", "12 rows: the two busiest rules");

	/* QUIC IDs claimed: 20 more, 1 held, none full, 5,000 live; a line of its own
	   between the l7 and dns lines. */
	CHECK_STR_EQ(row("quic"), "(none)", "no quic line before a claim");
	a.stats->total.quic_claims = 10;
	b.stats->total.quic_claims = 30;
	b.stats->total.quic_claims_held = 1;
	a.stats->quic_claim_capacity = b.stats->quic_claim_capacity = 1048576;
	b.stats->quic_claims_live = 5000;
	nlines = 0;
	v.rows = 0;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_STR_EQ(row("quic"), "quic claimed/s 40 held/s 2 full/s 0; a "
	    "table of 1048576, 5000 live", "the quic line: rates over 0.5 s, "
	    "the live claims now");
	CHECK_INT_EQ(at("quic"), at("l7") + 1, "the quic line after the l7 "
	    "line");
	CHECK_INT_EQ(at("dns"), at("quic") + 1, "... and before the dns "
	    "line");
	nlines = 0;
	v.rows = 15;
	nfqctl_top_layout(&a, &b, &v, collect, NULL);
	CHECK_INT_EQ(nlines, 15, "15 rows with the three lines: 15 lines");
	CHECK_STR_EQ(rule_order(), "dns ssh rest", "15 rows: all 3 rules");

	nfqctl_top_free(&a);
	nfqctl_top_free(&b);
	return unit_done();
}
