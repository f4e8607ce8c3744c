/*
 * Statistics: a snapshot of the counters region and of the kernel's queue
 * counters, written as a table (to the log) and as JSON (to stats.file),
 * and the way the master writes its statistics files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nfqd/json.h"
#include "nfqd/nfqd.h"
#include "nfqd/stats.h"
#include "nfqd/util.h"

const char *
nfqd_slot_state_name(uint32_t state)
{
	switch (state) {
	case NFQD_SLOT_EMPTY:
		return "empty";
	case NFQD_SLOT_STARTING:
		return "starting";
	case NFQD_SLOT_RUNNING:
		return "running";
	case NFQD_SLOT_STOPPING:
		return "stopping";
	}
	return "unknown";
}

static void
add(struct nfqd_slot_stats *t, const struct nfqd_slot_stats *s)
{
#define X(f)	t->f += s->f;
	NFQD_SLOT_COUNTERS(X)
#undef X
}

struct kcollect {
	struct nfqd_stats	*s;
	uint8_t			 ours[65536 / 8];	/* queues of workers */
	uint16_t		 slot[65536];		/* ... and their slots */
};

static void
kernel_line(void *arg, const struct nfqd_kqueue *kq)
{
	struct kcollect			*kc = arg;
	struct nfqd_stats		*s = kc->s;

	const struct nfqd_stats_worker	*w;

	if ((kc->ours[kq->queue / 8] & (1u << (kq->queue % 8))) &&
	    s->nkernel < NFQD_ARRAY_SIZE(s->kernel)) {
		w = &s->workers[kc->slot[kq->queue]];
		s->kernel_full_seen[s->nkernel] = w->full_seen;
		s->kernel[s->nkernel] = *kq;
		/*
		 * The file's drop counters are 32 bits and wrap: the
		 * master's 64-bit totals of them instead, as of its last
		 * look (at most a second ago; procfs.h, nfqd_kdrops).
		 */
		s->kernel[s->nkernel].queue_dropped = w->kdropped;
		s->kernel[s->nkernel].user_dropped = w->kuser_dropped;
		s->nkernel++;
	}
}

void
nfqd_stats_collect(struct nfqd_stats *s, const struct nfqd_shm *shm,
    const char *procpath)
{
	struct nfqd_procfs	pf;

	nfqd_procfs_init(&pf, procpath);
	nfqd_stats_collect_from(s, shm, &pf);
	nfqd_procfs_close(&pf);
}

void
nfqd_stats_collect_from(struct nfqd_stats *s, const struct nfqd_shm *shm,
    struct nfqd_procfs *pf)
{
	static struct kcollect		 kc;
	const struct nfqd_shm_hdr	*h = shm->hdr;
	const struct nfqd_slot		*sl;
	const struct nfqd_slot_ctl	*c;
	struct nfqd_stats_worker	*w;
	uint32_t			 i, n;

	memset(&s->total, 0, sizeof(s->total));
	s->nrules = 0;		/* the caller adds the rules */
	s->master_pid = (pid_t)NFQD_LOAD(&h->master_pid);
	s->generation = NFQD_LOAD(&h->generation);
	s->now = (uint64_t)time(NULL);
	s->uptime_s = s->now - h->start_time;
	s->restarts = 0;
	s->dns_entries = NFQD_LOAD(&h->dns_entries);
	s->dns_capacity = NFQD_LOAD(&h->dns_capacity);
	s->quic_claim_capacity = NFQD_LOAD(&h->quic_claim_capacity);
	s->quic_claims_live = NFQD_LOAD(&h->quic_claims_live);
	if (s->quic_claims_live > s->quic_claim_capacity)
		s->quic_claims_live = s->quic_claim_capacity;
	/*
	 * nworkers and nslots are in the region, which every worker can
	 * write: the slots are counted from the size mapped, this
	 * process's own, and never more than s->workers holds.
	 */
	n = NFQD_LOAD(&h->nworkers);
	if (n > h->nslots)
		n = h->nslots;
	if (n > nfqd_shm_nslots(shm))
		n = nfqd_shm_nslots(shm);
	if (n > NFQD_ARRAY_SIZE(s->workers))
		n = NFQD_ARRAY_SIZE(s->workers);
	s->nworkers = n;
	/* kc.ours is all zeros: each collect clears the bits it set. */
	for (i = 0; i < n; i++) {
		sl = &shm->slots[i];
		c = &shm->ctl[i];
		w = &s->workers[i];
		w->id = i;
		w->queue = NFQD_LOAD(&c->queue) & 0xffff;
		w->cpu = NFQD_LOAD(&c->cpu);
		w->pid = (pid_t)NFQD_LOAD(&c->pid);
		w->state = NFQD_LOAD(&c->state);
		w->generation = NFQD_LOAD(&c->generation);
		w->restarts = NFQD_LOAD(&c->restarts);
		w->full_seen = NFQD_LOAD(&c->full_seen);
		w->kdropped = NFQD_LOAD(&c->queue_dropped);
		w->kuser_dropped = NFQD_LOAD(&c->user_dropped);
		nfqd_slot_stats_read(&sl->st, &w->st);
		add(&s->total, &w->st);
		s->restarts += w->restarts;
		kc.ours[w->queue / 8] |= (uint8_t)(1u << (w->queue % 8));
		kc.slot[w->queue] = (uint16_t)i;
	}

	/* Stream the file: other programs may have bound many queues. */
	s->nkernel = 0;
	s->kernel_errno = 0;
	kc.s = s;
	if (nfqd_procfs_scan(pf, 0, 65536, kernel_line, &kc) == -1)
		s->kernel_errno = errno;
	for (i = 0; i < n; i++)
		kc.ours[s->workers[i].queue / 8] = 0;
}

void
nfqd_stats_json(const struct nfqd_stats *s, struct nfqd_buf *b)
{
	const struct nfqd_stats_worker	*w;
	const struct nfqd_kqueue	*k;
	struct nfqd_json		 j;
	size_t				 i;

	json_init(&j, b);
	json_object_begin(&j, NULL);
	json_str(&j, "version", NFQD_VERSION);
	json_int(&j, "pid", s->master_pid);
	json_uint(&j, "time", s->now);
	json_uint(&j, "uptime_s", s->uptime_s);
	json_uint(&j, "generation", s->generation);

	json_object_begin(&j, "total");
#define X(f)	json_uint(&j, #f, s->total.f);
	NFQD_SLOT_COUNTERS(X)
#undef X
	json_uint(&j, "restarts", s->restarts);
	json_uint(&j, "dns_entries", s->dns_entries);
	json_uint(&j, "dns_capacity", s->dns_capacity);
	json_uint(&j, "quic_claim_capacity", s->quic_claim_capacity);
	json_uint(&j, "quic_claims_live", s->quic_claims_live);
	json_object_end(&j);

	json_array_begin(&j, "workers");
	for (i = 0; i < s->nworkers; i++) {
		w = &s->workers[i];
		json_object_begin(&j, NULL);
		json_uint(&j, "id", w->id);
		json_uint(&j, "queue", w->queue);
		json_int(&j, "cpu", w->cpu);
		json_int(&j, "pid", w->pid);
		json_str(&j, "state", nfqd_slot_state_name(w->state));
		json_uint(&j, "generation", w->generation);
		json_uint(&j, "restarts", w->restarts);
#define X(f)	json_uint(&j, #f, w->st.f);
		NFQD_SLOT_COUNTERS(X)
#undef X
		json_uint(&j, "last_id", w->st.last_id);
		json_object_end(&j);
	}
	json_array_end(&j);

	json_array_begin(&j, "rules");
	for (i = 0; i < s->nrules; i++) {
		json_object_begin(&j, NULL);
		json_str(&j, "name", s->rules[i].name);
		json_uint(&j, "hits", s->rules[i].hits);
		json_uint(&j, "bytes", s->rules[i].bytes);
		json_object_end(&j);
	}
	json_array_end(&j);

	json_array_begin(&j, "kernel");
	for (i = 0; i < s->nkernel; i++) {
		k = &s->kernel[i];
		json_object_begin(&j, NULL);
		json_uint(&j, "queue", k->queue);
		json_uint(&j, "portid", k->portid);
		json_uint(&j, "queue_total", k->queue_total);
		json_uint(&j, "copy_mode", k->copy_mode);
		json_uint(&j, "copy_range", k->copy_range);
		json_uint(&j, "queue_dropped", k->queue_dropped);
		json_uint(&j, "user_dropped", k->user_dropped);
		json_uint(&j, "id_sequence", k->id_sequence);
		json_uint(&j, "full_seen", s->kernel_full_seen[i]);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	buf_append(b, "\n", 1);
}

int
nfqd_stats_write_file(const char *path, const struct nfqd_buf *b, char *err,
    size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (b->failed)
		return nfqd_errf(err, errlen, ENOMEM, "%s: out of memory", path);
	if (nfqd_dir_prepare_for(path, err, errlen) == -1)
		return -1;
	return nfqd_write_file_atomic(path, b->data, b->len, 0644, err,
	    errlen);
}

void
nfqd_stats_table(const struct nfqd_stats *s,
    void (*emit)(void *arg, const char *line), void *arg)
{
	const struct nfqd_stats_worker	*w;
	const struct nfqd_kqueue	*k;
	char				 line[256], cpu[16];
	size_t				 i;

	snprintf(line, sizeof(line), "statistics: uptime %llu s, %zu workers, "
	    "configuration %u", (unsigned long long)s->uptime_s, s->nworkers,
	    s->generation);
	emit(arg, line);
	snprintf(line, sizeof(line), "%6s %5s %3s %7s %8s %12s %12s %12s "
	    "%10s %8s %8s %8s", "worker", "queue", "cpu", "pid", "restarts",
	    "received", "accepted", "dropped", "other", "enobufs", "skipped",
	    "errors");
	emit(arg, line);
	for (i = 0; i < s->nworkers; i++) {
		w = &s->workers[i];
		if (w->cpu >= 0)
			snprintf(cpu, sizeof(cpu), "%d", w->cpu);
		else
			snprintf(cpu, sizeof(cpu), "-");
		snprintf(line, sizeof(line), "%6u %5u %3s %7d %8llu %12llu "
		    "%12llu %12llu %10llu %8llu %8llu %8llu", w->id, w->queue,
		    cpu, (int)w->pid, (unsigned long long)w->restarts,
		    (unsigned long long)w->st.received,
		    (unsigned long long)w->st.accepted,
		    (unsigned long long)w->st.dropped,
		    (unsigned long long)w->st.other,
		    (unsigned long long)w->st.enobufs,
		    (unsigned long long)w->st.skipped,
		    (unsigned long long)(w->st.nlerrors + w->st.malformed));
		emit(arg, line);
	}
	snprintf(line, sizeof(line), "%6s %5s %3s %7s %8llu %12llu %12llu "
	    "%12llu %10llu %8llu %8llu %8llu", "total", "", "", "",
	    (unsigned long long)s->restarts,
	    (unsigned long long)s->total.received,
	    (unsigned long long)s->total.accepted,
	    (unsigned long long)s->total.dropped,
	    (unsigned long long)s->total.other,
	    (unsigned long long)s->total.enobufs,
	    (unsigned long long)s->total.skipped,
	    (unsigned long long)(s->total.nlerrors + s->total.malformed));
	emit(arg, line);

	if (s->nrules > 0) {
		size_t shown = 0, hit = 0;

		for (i = 0; i < s->nrules; i++)
			hit += s->rules[i].hits != 0;
		snprintf(line, sizeof(line), "%6s %-32s %12s %14s", "rule",
		    "name", "hits", "bytes");
		emit(arg, line);
		for (i = 0; i < s->nrules && shown < 50; i++) {
			if (s->rules[i].hits == 0 && s->nrules > 50)
				continue;
			snprintf(line, sizeof(line), "%6zu %-32.32s %12llu %14llu",
			    i + 1, s->rules[i].name,
			    (unsigned long long)s->rules[i].hits,
			    (unsigned long long)s->rules[i].bytes);
			emit(arg, line);
			shown++;
		}
		if (s->nrules > 50) {
			snprintf(line, sizeof(line), "%6s %zu of %u rules have "
			    "hits; %zu shown (all are in the JSON)", "", hit,
			    s->nrules, shown);
			emit(arg, line);
		}
	}

	if (s->dns_capacity > 0) {
		snprintf(line, sizeof(line), "dns_learn: %llu entries of %llu, "
		    "learned %llu, hits %llu, evictions %llu, expiries %llu, "
		    "refused %llu, busy %llu, refreshed %llu",
		    (unsigned long long)s->dns_entries,
		    (unsigned long long)s->dns_capacity,
		    (unsigned long long)s->total.dns_learned,
		    (unsigned long long)s->total.dns_hits,
		    (unsigned long long)s->total.dns_evictions,
		    (unsigned long long)s->total.dns_expiries,
		    (unsigned long long)s->total.dns_refused,
		    (unsigned long long)s->total.dns_busy,
		    (unsigned long long)s->total.dns_refreshed);
		emit(arg, line);
	}

	/* Only once a QUIC connection's ID was claimed or refused. */
	if (s->total.quic_claims != 0 || s->total.quic_claims_held != 0 ||
	    s->total.quic_claims_full != 0 || s->quic_claims_live != 0) {
		snprintf(line, sizeof(line), "quic_claims: %llu claimed, held "
		    "%llu, full %llu, a table of %llu, %llu live",
		    (unsigned long long)s->total.quic_claims,
		    (unsigned long long)s->total.quic_claims_held,
		    (unsigned long long)s->total.quic_claims_full,
		    (unsigned long long)s->quic_claim_capacity,
		    (unsigned long long)s->quic_claims_live);
		emit(arg, line);
	}

	/* Only once a rule with log = "pcap" has written or tried to. */
	if (s->total.pcap_packets != 0 || s->total.pcap_errors != 0 ||
	    s->total.pcap_behind != 0) {
		snprintf(line, sizeof(line), "pcap: packets %llu, bytes %llu, "
		    "errors %llu, behind %llu, rotations %llu",
		    (unsigned long long)s->total.pcap_packets,
		    (unsigned long long)s->total.pcap_bytes,
		    (unsigned long long)s->total.pcap_errors,
		    (unsigned long long)s->total.pcap_behind,
		    (unsigned long long)s->total.pcap_rotations);
		emit(arg, line);
	}

	if (s->kernel_errno != 0) {
		snprintf(line, sizeof(line), "kernel: cannot read %s: %s",
		    NFQD_PROCFS_PATH, strerror(s->kernel_errno));
		emit(arg, line);
		return;
	}
	snprintf(line, sizeof(line), "%6s %10s %11s %13s %12s %11s %9s",
	    "kernel", "portid", "queue_total", "queue_dropped",
	    "user_dropped", "id_sequence", "full_seen");
	emit(arg, line);
	for (i = 0; i < s->nkernel; i++) {
		k = &s->kernel[i];
		snprintf(line, sizeof(line), "%6u %10u %11u %13llu %12llu "
		    "%11u %9llu", k->queue, k->portid, k->queue_total,
		    (unsigned long long)k->queue_dropped,
		    (unsigned long long)k->user_dropped, k->id_sequence,
		    (unsigned long long)s->kernel_full_seen[i]);
		emit(arg, line);
	}
}
