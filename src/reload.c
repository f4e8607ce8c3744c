/*
 * SIGHUP: read the configuration again and apply it, or keep the running
 * one.
 *
 * The new file is parsed and validated in full, then checked against what
 * runs (rules that vanished, queue flags the kernel lacks, queues that
 * cannot be bound) before anything changes.  What a changed setting needs
 * (nothing, new parameters on the live queues, new workers, a restart) is
 * the settings table's answer (settings.c); workers are replaced one at a
 * time by nfqd_slots_reconcile().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/config.h"
#include "nfqd/fault.h"
#include "nfqd/iptcheck.h"
#include "nfqd/l7/qclaim.h"
#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"
#include "nfqd/ruleset.h"
#include "nfqd/settings.h"
#include "nfqd/shm.h"

/* The parser's errors and warnings, into the log. */
static void
report_to_log(void *arg, const char *file, int line, const char *msg)
{
	int	level = LOG_ERR;

	(void)arg;
	if (strncmp(msg, "warning: ", 9) == 0) {
		level = LOG_WARNING;
		msg += 9;
	}
	if (line > 0)
		log_msg(level, "%s:%d: %s", file, line, msg);
	else
		log_msg(level, "%s: %s", file, msg);
}

/* A setting a reload changes: what it takes. */
static void
changed(void *arg, const char *group, const char *name, enum nfqd_reload r)
{
	const char	*dot = group != NULL ? "." : "";

	(void)arg;
	if (group == NULL)
		group = "";
	if (r == NFQD_RELOAD_NEXT_START)
		log_warnx("reload: %s%s%s changed; it takes effect at the "
		    "next start", group, dot, name);
	else
		log_info("reload: %s%s%s changed (%s)", group, dot, name,
		    nfqd_reload_name(r));
}

/*
 * What the running configuration cannot take from ncf: 0, or -1 with the
 * reason logged.
 */
static int
refused(struct nfqd_master *m, const struct nfqd_config *ncf)
{
	struct nfqd_queue_params qp;
	char			 err[256];

	/*
	 * A file cut short (a copy in progress, a full disk) can still be
	 * valid; dropping every rule must be written, not implied.
	 */
	if (m->cf.rules != NULL && m->cf.rules->n > 0 && !ncf->rules_set) {
		log_errx("reload: %s has no rules setting, which would remove "
		    "the %u rule%s in force (a file still being written?): "
		    "refused, the running configuration stays in force; to "
		    "remove every rule, write \"rules = ();\"", m->cf.path,
		    m->cf.rules->n, m->cf.rules->n == 1 ? "" : "s");
		return -1;
	}
	/*
	 * dns_learn's table is made at start only: a dst_name rule without
	 * it would never match, a drop rule that lets everything by.
	 */
	if (ncf->rules != NULL && (ncf->rules->all_matchers & NFQD_M_DNAME) &&
	    m->dnsl == NULL) {
		log_errx("reload: %s has a rule with dst_name, but nfqd was "
		    "started without dns_learn, whose table is made at start: "
		    "refused, the running configuration stays in force; "
		    "restart nfqd to load it", m->cf.path);
		return -1;
	}
	if (strcmp(ncf->user, m->cf.user) != 0 &&
	    nfqd_master_can_kill(ncf) == -1) {
		log_errx("reload: the running configuration stays in force");
		return -1;
	}
	/*
	 * New workers apply queue parameters to live sockets unacknowledged;
	 * the only ones the kernel can refuse are flags it lacks: ask it.
	 */
	if (ncf->fail_open == m->cf.fail_open && ncf->gso == m->cf.gso &&
	    ncf->uid_gid == m->cf.uid_gid)
		return 0;
	nfqd_config_queue_params(ncf, &qp);
	if (nfqd_queue_probe_flags(&qp, err, sizeof(err)) == -1) {
		log_errx("reload: %s; the running configuration stays in "
		    "force", err);
		return -1;
	}
	return 0;
}

/*
 * The table of claimed QUIC connection IDs is made at start, for that
 * flows.max and those queues: a configuration that wants a larger one
 * is told that it gets it at the next start (until then an Initial whose
 * ID finds no room is read alone: a blocked hello whole in it is still
 * refused, anything else gets flows.full_verdict, docs/l7.md#quic).
 */
static void
qclaim_room(const struct nfqd_master *m)
{
	uint64_t	want, have;

	if (m->qclaim == NULL)
		return;
	want = nfqd_master_qclaim_want(&m->cf);
	have = nfqd_qclaim_capacity(m->qclaim);
	if (want > have)
		log_warnx("reload: flows.max %u on %u queue%s wants a table of "
		    "%llu claimed QUIC connection IDs; the one made at start "
		    "holds %llu until the next start (an ID that finds no "
		    "room is counted in quic_claims_full: its Initial is read "
		    "alone, a blocked hello whole in it still refused, and "
		    "gets flows.full_verdict otherwise)",
		    m->cf.flows_max, m->cf.qcount, m->cf.qcount == 1 ? "" :
		    "s", (unsigned long long)want, (unsigned long long)have);
}

void
nfqd_master_reload(struct nfqd_master *m)
{
	struct nfqd_config	*ncf;
	struct nfqd_rregion	*nrr;
	size_t			 added;
	unsigned		 need;
	uint16_t		 old_first, old_count;
	bool			 workers, connmark, rules;
	int			 rc;

	if (m->stopping)
		return;
	NFQD_FAULT(NFQD_FAULT_MASTER_RELOAD, 1);
	log_notice("reloading %s", m->cf.path);
	if ((ncf = malloc(sizeof(*ncf))) == NULL) {
		log_err("reload: malloc");
		return;
	}
	rc = nfqd_config_load_reusing(ncf, m->cf.path, m->ov, report_to_log,
	    NULL, m->cf.rules);
	/* A SIGTERM while it read lists (master.c, load_tick()). */
	if (m->stopping) {
		log_notice("reload abandoned: nfqd is stopping");
		if (rc == 0)
			goto refuse;
		free(ncf);
		return;
	}
	if (rc != 0) {
		log_errx("reload: %s has errors (above); the running "
		    "configuration stays in force", m->cf.path);
		free(ncf);
		return;
	}
	if (refused(m, ncf) == -1)
		goto refuse;
	/* What the changes need, from the settings table. */
	need = nfqd_settings_changed(&m->cf, ncf, changed, NULL);
	nfqd_settings_keep(ncf, &m->cf);
	/* Binding is part of validation: nothing changes if it fails. */
	if (nfqd_qsock_bind(m, ncf, &added) == -1) {
		nfqd_qsock_unbind_last(m, added, ncf->fail_open);
		log_errx("reload: cannot bind the new queues; the running "
		    "configuration stays in force");
		goto refuse;
	}
	/* A set no rule names changes no rule: still, keep the new one,
	 * or every later reload would find it changed again. */
	rules = !nfqd_rules_same(m->rr->rs, ncf->rules) ||
	    !nfqd_rules_sets_same(m->rr->rs, ncf->rules);
	if (rules || ncf->qcount > m->rr->map.h.nslots) {
		/* New rules count in a new region, from zero or carried. */
		if ((nrr = nfqd_rregion_new(m, ncf->rules,
		    ncf->qcount)) == NULL) {
			nfqd_qsock_unbind_last(m, added, ncf->fail_open);
			log_errx("reload: the running configuration stays in "
			    "force");
			goto refuse;
		}
		nfqd_rregion_install(m, nrr);
		/* The old workers keep their marks' generation when only
		 * the queues grew: theirs and the new ones' agree. */
		if (rules)
			m->rules_gen++;
	} else {
		/* Same rules: keep the compiled ones the workers share,
		 * with what stat() said of their lists just now. */
		nfqd_rules_sets_restat(m->rr->rs, ncf->rules);
		nfqd_config_free(ncf);
		ncf->rules = m->rr->rs;
	}

	old_first = m->cf.qfirst;
	old_count = m->cf.qcount;
	connmark = ncf->flows_connmark != m->cf.flows_connmark;
	m->cf = *ncf;
	free(ncf);
	nfqd_daemon_logging(m);
	/* Asked again when it changes: its workers are replaced. */
	if (connmark)
		nfqd_master_connmark(m);
	if (need & NFQD_RELOAD_BIT(NFQD_RELOAD_PARAMS))
		nfqd_qsock_set_rcvbuf(m);
	workers = (need & NFQD_RELOAD_BIT(NFQD_RELOAD_WORKERS)) != 0;
	if (workers)
		m->gen++;
	if (old_first != m->cf.qfirst || old_count != m->cf.qcount)
		nfqd_watchdog_moved(m);
	qclaim_room(m);
	NFQD_STORE(&m->shm.hdr->generation, m->shm.hdr->generation + 1);
	m->next_stats_ns = 0;
	nfqd_iptcheck(m->cf.qfirst, m->cf.qcount,
	    m->cf.rules != NULL && m->cf.rules->l7);
	log_notice("reloaded: queues %u-%u (%u worker%s), %u rules%s",
	    m->cf.qfirst, m->cf.qfirst + m->cf.qcount - 1, m->cf.qcount,
	    m->cf.qcount == 1 ? "" : "s", m->cf.rules ? m->cf.rules->n : 0,
	    workers ? "; replacing workers one at a time" : "");
	return;
refuse:
	nfqd_config_free(ncf);
	free(ncf);
}
