/*
 * nfqctl top's screen laid out as lines: rates from two snapshots, the
 * workers and their kernel queues, what the name reading and dns_learn
 * did, the busiest rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/shm.h"
#include "topview.h"

int
nfqctl_top_save(struct nfqctl_top_snap *sn, const struct nfqd_stats *s,
    double t)
{
	char		*names;
	uint32_t	 i;

	if (sn->stats == NULL &&
	    (sn->stats = malloc(sizeof(*sn->stats))) == NULL)
		return -1;
	if (s->nrules > sn->names_cap) {
		/* One allocation: the rules, then their names. */
		names = realloc(sn->names, s->nrules *
		    (sizeof(struct nfqd_stats_rule) + NFQD_RSHM_NAME));
		if (names == NULL)
			return -1;
		sn->names = names;
		sn->names_cap = s->nrules;
	}
	*sn->stats = *s;
	sn->stats->rules = (struct nfqd_stats_rule *)(void *)sn->names;
	names = sn->names + sn->names_cap * sizeof(struct nfqd_stats_rule);
	for (i = 0; i < s->nrules; i++) {
		sn->stats->rules[i] = s->rules[i];
		snprintf(names + i * NFQD_RSHM_NAME, NFQD_RSHM_NAME, "%s",
		    s->rules[i].name != NULL ? s->rules[i].name : "");
		sn->stats->rules[i].name = names + i * NFQD_RSHM_NAME;
	}
	sn->t = t;
	return 0;
}

void
nfqctl_top_free(struct nfqctl_top_snap *sn)
{
	free(sn->stats);
	free(sn->names);
	memset(sn, 0, sizeof(*sn));
}

/* A counter's increase; a counter that went back (a new region) starts
 * from 0. */
static double
delta(uint64_t was, uint64_t now)
{
	return (double)(now >= was ? now - was : now);
}

/* "-" without a rate (the first frame), else the rate rounded. */
static const char *
fmt_rate(char *buf, size_t len, double r)
{
	if (r < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f", r);
	return buf;
}

/* One worker's figures for a frame. */
struct top_row {
	size_t		 idx;		/* in stats->workers or ->rules */
	double		 key;		/* what it is sorted by */
	double		 pkts, acc, drop, other;	/* per s; -1: none */
	long long	 backlog, kdrops;	/* -1: no kernel line */
};

static int
row_cmp(const void *a, const void *b)
{
	const struct top_row	*x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char *
wsort_name(enum nfqctl_top_wsort s)
{
	switch (s) {
	case NFQCTL_TOP_W_WORKER:
		return "worker";
	case NFQCTL_TOP_W_PACKETS:
		return "pkts/s";
	case NFQCTL_TOP_W_DROPS:
		return "drop/s";
	case NFQCTL_TOP_W_BACKLOG:
		return "backlog";
	}
	return "?";
}

static const char *
rsort_name(enum nfqctl_top_rsort s)
{
	switch (s) {
	case NFQCTL_TOP_R_RATE:
		return "hits/s";
	case NFQCTL_TOP_R_HITS:
		return "hits";
	case NFQCTL_TOP_R_ORDER:
		return "order";
	}
	return "?";
}

static void
worker_row(struct top_row *r, size_t i, const struct nfqd_stats *s,
    const struct nfqd_stats *p, double dt, enum nfqctl_top_wsort sort)
{
	const struct nfqd_stats_worker	*w = &s->workers[i], *pw;
	const struct nfqd_kqueue	*k = NULL;

	r->idx = i;
	r->pkts = r->acc = r->drop = r->other = -1;
	if (p != NULL && i < p->nworkers && dt > 0) {
		pw = &p->workers[i];
		r->pkts = delta(pw->st.received, w->st.received) / dt;
		r->acc = delta(pw->st.accepted, w->st.accepted) / dt;
		r->drop = delta(pw->st.dropped, w->st.dropped) / dt;
		r->other = delta(pw->st.other, w->st.other) / dt;
	}
	if (s->kernel_errno == 0)
		k = nfqd_procfs_find(s->kernel, s->nkernel, w->queue);
	r->backlog = k != NULL ? (long long)k->queue_total : -1;
	r->kdrops = k != NULL ? (long long)(k->queue_dropped +
	    k->user_dropped) : -1;
	switch (sort) {
	case NFQCTL_TOP_W_WORKER:
		r->key = -(double)i;
		break;
	case NFQCTL_TOP_W_PACKETS:
		r->key = r->pkts;
		break;
	case NFQCTL_TOP_W_DROPS:
		r->key = r->drop;
		break;
	case NFQCTL_TOP_W_BACKLOG:
		r->key = (double)r->backlog;
		break;
	}
}

static void
print_row(char *line, size_t len, const char *name, const char *queue,
    const char *cpu, const char *state, const struct top_row *r,
    uint64_t enobufs, uint64_t restarts, uint64_t flows)
{
	char	pk[24], ac[24], dr[24], ot[24], bl[24], kd[24];

	if (r->backlog < 0) {
		snprintf(bl, sizeof(bl), "-");
		snprintf(kd, sizeof(kd), "-");
	} else {
		snprintf(bl, sizeof(bl), "%lld", r->backlog);
		snprintf(kd, sizeof(kd), "%lld", r->kdrops);
	}
	snprintf(line, len, "%6s %5s %3s %-8s %9s %9s %9s %8s %8llu %8llu "
	    "%8s %8s %8llu", name, queue, cpu, state,
	    fmt_rate(pk, sizeof(pk), r->pkts), fmt_rate(ac, sizeof(ac), r->acc),
	    fmt_rate(dr, sizeof(dr), r->drop),
	    fmt_rate(ot, sizeof(ot), r->other), (unsigned long long)enobufs,
	    (unsigned long long)restarts, bl, kd, (unsigned long long)flows);
}

/* The header, the workers (as many as rows leaves room for), the total. */
static int
layout_workers(const struct nfqd_stats *s, const struct nfqd_stats *p,
    double dt, const struct nfqctl_top_view *v, int room,
    void (*emit)(void *arg, const char *line), void *arg)
{
	struct top_row	*rows, tot;
	char		 line[256], id[16], q[16], cpu[16];
	size_t		 i, n = s->nworkers, shown;
	int		 kernel = 0;

	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL) {
		emit(arg, "nfqctl top: out of memory");
		return 1;
	}
	memset(&tot, 0, sizeof(tot));
	tot.pkts = tot.acc = tot.drop = tot.other = p != NULL && dt > 0 ? 0 :
	    -1;
	for (i = 0; i < n; i++) {
		worker_row(&rows[i], i, s, p, dt, v->wsort);
		if (tot.pkts >= 0 && rows[i].pkts >= 0) {
			tot.pkts += rows[i].pkts;
			tot.acc += rows[i].acc;
			tot.drop += rows[i].drop;
			tot.other += rows[i].other;
		}
		if (rows[i].backlog >= 0) {
			kernel = 1;
			tot.backlog += rows[i].backlog;
			tot.kdrops += rows[i].kdrops;
		}
	}
	if (!kernel)
		tot.backlog = tot.kdrops = -1;
	qsort(rows, n, sizeof(*rows), row_cmp);

	snprintf(line, sizeof(line), "%6s %5s %3s %-8s %9s %9s %9s %8s %8s "
	    "%8s %8s %8s %8s", "worker", "queue", "cpu", "state", "pkts/s",
	    "accept/s", "drop/s", "other/s", "enobufs", "restarts", "backlog",
	    "kdrops", "flows");
	emit(arg, line);
	/* Room for the header and the total row; at least one worker. */
	shown = n;
	if (room > 0 && (size_t)room < n + 2)
		shown = room > 3 ? (size_t)room - 2 : 1;
	for (i = 0; i < shown && i < n; i++) {
		const struct nfqd_stats_worker *w = &s->workers[rows[i].idx];

		snprintf(q, sizeof(q), "%u", w->queue);
		if (w->cpu >= 0)
			snprintf(cpu, sizeof(cpu), "%d", w->cpu);
		else
			snprintf(cpu, sizeof(cpu), "-");
		snprintf(id, sizeof(id), "%u", w->id);
		print_row(line, sizeof(line), id, q, cpu,
		    nfqd_slot_state_name(w->state), &rows[i], w->st.enobufs,
		    w->restarts, w->st.flows_active);
		emit(arg, line);
	}
	print_row(line, sizeof(line), "total", "", "", "", &tot,
	    s->total.enobufs, s->restarts, s->total.flows_active);
	emit(arg, line);
	free(rows);
	return (int)(i + 2);
}

/* A total's rate over dt; "-" without an earlier snapshot. */
static const char *
total_rate(char *buf, size_t len, const struct nfqd_stats *p, double dt,
    uint64_t was, uint64_t now)
{
	return fmt_rate(buf, len, p != NULL && dt > 0 ? delta(was, now) / dt :
	    -1);
}

#define RATE(buf, f)	total_rate(buf, sizeof(buf), p, dt,		\
			    p != NULL ? p->total.f : 0, s->total.f)

/* What the name reading did: once any flow or message was read. */
static int
l7_active(const struct nfqd_stats *s)
{
	const struct nfqd_slot_stats *t = &s->total;

	return t->flows_created + t->l7_tls + t->l7_http + t->l7_dns +
	    t->l7_quic + t->l7_errors + t->flows_untracked > 0;
}

/* Whether a QUIC connection ID was claimed, or an Initial refused or not
   followed for one. */
static int
quic_claimed(const struct nfqd_stats *s)
{
	const struct nfqd_slot_stats *t = &s->total;

	return t->quic_claims + t->quic_claims_held + t->quic_claims_full +
	    s->quic_claims_live > 0;
}

/* The name reading's, QUIC claims' and dns_learn's lines; how many were
   emitted. */
static int
layout_l7(const struct nfqd_stats *s, const struct nfqd_stats *p,
    double dt, void (*emit)(void *arg, const char *line), void *arg)
{
	char	line[384], a[24], b[24], c[24], d[24], e[24], f[24], g[24],
		h[24];
	int	n = 0;

	if (l7_active(s)) {
		snprintf(line, sizeof(line), "%6s tls/s %s quic/s %s http/s "
		    "%s dns/s %s errors/s %s; flows/s %s evicted/s %s "
		    "untracked/s %s", "l7", RATE(a, l7_tls), RATE(b, l7_quic),
		    RATE(c, l7_http), RATE(d, l7_dns), RATE(e, l7_errors),
		    RATE(f, flows_created), RATE(g, flows_evicted),
		    RATE(h, flows_untracked));
		emit(arg, line);
		n++;
	}
	if (quic_claimed(s)) {
		snprintf(line, sizeof(line), "%6s claimed/s %s held/s %s "
		    "full/s %s; a table of %llu, %llu live", "quic",
		    RATE(a, quic_claims), RATE(b, quic_claims_held),
		    RATE(c, quic_claims_full),
		    (unsigned long long)s->quic_claim_capacity,
		    (unsigned long long)s->quic_claims_live);
		emit(arg, line);
		n++;
	}
	if (s->dns_capacity > 0) {
		snprintf(line, sizeof(line), "%6s %llu of %llu entries; "
		    "learned/s %s found/s %s refused/s %s evicted/s %s "
		    "busy/s %s", "dns", (unsigned long long)s->dns_entries,
		    (unsigned long long)s->dns_capacity,
		    RATE(a, dns_learned), RATE(b, dns_hits),
		    RATE(c, dns_refused), RATE(d, dns_evictions),
		    RATE(e, dns_busy));
		emit(arg, line);
		n++;
	}
	return n;
}

/* The rules, busiest first (v->rsort), as many as room allows. */
static void
layout_rules(const struct nfqd_stats *s, const struct nfqd_stats *p,
    double dt, const struct nfqctl_top_view *v, int room,
    void (*emit)(void *arg, const char *line), void *arg)
{
	const struct nfqd_stats_rule	*r;
	struct top_row			*rows;
	char				 line[256], rate[24];
	size_t				 i, n = s->nrules, shown;
	/* The previous snapshot's counts are this one's if the same rules. */
	int				 same = p != NULL && dt > 0 &&
					    p->nrules == s->nrules;

	for (i = 0; same && i < n; i++)
		same = strcmp(p->rules[i].name, s->rules[i].name) == 0;
	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL) {
		emit(arg, "nfqctl top: out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		rows[i].idx = i;
		rows[i].pkts = same ? delta(p->rules[i].hits,
		    s->rules[i].hits) / dt : -1;
		switch (v->rsort) {
		case NFQCTL_TOP_R_RATE:
			rows[i].key = rows[i].pkts;
			break;
		case NFQCTL_TOP_R_HITS:
			rows[i].key = (double)s->rules[i].hits;
			break;
		case NFQCTL_TOP_R_ORDER:
			rows[i].key = -(double)i;
			break;
		}
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	snprintf(line, sizeof(line), "%6s %-32s %9s %12s %14s", "rule", "name",
	    "hits/s", "hits", "bytes");
	emit(arg, line);
	shown = room > 0 ? (size_t)room : v->max_rules;
	for (i = 0; i < n && i < shown; i++) {
		r = &s->rules[rows[i].idx];
		snprintf(line, sizeof(line), "%6zu %-32.32s %9s %12llu %14llu",
		    rows[i].idx + 1, r->name,
		    fmt_rate(rate, sizeof(rate), rows[i].pkts),
		    (unsigned long long)r->hits, (unsigned long long)r->bytes);
		emit(arg, line);
	}
	if (i < n) {
		snprintf(line, sizeof(line), "%6s %zu more rules", "", n - i);
		if (room <= 0 || (size_t)room > i + 1)
			emit(arg, line);
	}
	free(rows);
}

void
nfqctl_top_layout(const struct nfqctl_top_snap *prev,
    const struct nfqctl_top_snap *cur, const struct nfqctl_top_view *v,
    void (*emit)(void *arg, const char *line), void *arg)
{
	const struct nfqd_stats	*s = cur->stats;
	const struct nfqd_stats	*p = prev != NULL ? prev->stats : NULL;
	char			 line[256];
	double			 dt = prev != NULL ? cur->t - prev->t : 0;
	int			 used, room, nl7;

	snprintf(line, sizeof(line), "nfqd %d: uptime %llu s, %zu workers, "
	    "configuration %u; rates over %.2f s; sort: workers by %s, "
	    "rules by %s", (int)s->master_pid,
	    (unsigned long long)s->uptime_s, s->nworkers, s->generation,
	    dt, wsort_name(v->wsort), rsort_name(v->rsort));
	emit(arg, line);
	used = 1;
	if (v->keys) {
		emit(arg, "keys: q quit, r or space refresh; workers by "
		    "w number, p pkts/s, d drop/s, b backlog; rules by "
		    "h hits/s, t hits, o order");
		used++;
	}
	emit(arg, "");
	used++;
	/* The notes below take a line each; the rules at least three. */
	nl7 = l7_active(s) + quic_claimed(s) + (s->dns_capacity > 0);
	room = 0;
	if (v->rows > 0) {
		room = v->rows - used - (v->note != NULL) -
		    (s->kernel_errno != 0) - nl7 - (s->nrules > 0 ? 4 : 0);
		if (room < 3)
			room = 3;
	}
	used += layout_workers(s, p, dt, v, room, emit, arg);
	if (s->kernel_errno != 0) {
		snprintf(line, sizeof(line), "kernel: cannot read %s: %s",
		    NFQD_PROCFS_PATH, strerror(s->kernel_errno));
		emit(arg, line);
		used++;
	}
	used += layout_l7(s, p, dt, emit, arg);
	if (s->nrules > 0) {
		emit(arg, "");
		used++;
		room = 0;
		if (v->rows > 0) {
			room = v->rows - used - 1 - (v->note != NULL);
			if (room < 1)
				room = 1;
		}
		layout_rules(s, p, dt, v, room, emit, arg);
	}
	if (v->note != NULL)
		emit(arg, v->note);
}
