/*
 * Fault points for tests (see fault.h).  Without -DNFQD_FAULTS this file
 * compiles to nothing.
 */
#ifdef NFQD_FAULTS
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/fault.h"
#include "nfqd/log.h"
#include "nfqd/nfqd.h"

enum action { KILL, CRASH, HANG, EXIT, WAIT };

static const char *const names[NFQD_FAULT_MAX] = {
	[NFQD_FAULT_READ] = "worker-read",
	[NFQD_FAULT_RECORDED] = "worker-recorded",
	[NFQD_FAULT_DECIDE] = "worker-decide",
	[NFQD_FAULT_SEND] = "worker-send",
	[NFQD_FAULT_SENT] = "worker-sent",
	[NFQD_FAULT_POISON] = "worker-poison",
	[NFQD_FAULT_MASTER_RELOAD] = "master-reload",
	[NFQD_FAULT_DNSL_WRITE] = "dnsl-write",
	[NFQD_FAULT_PCAP_WRITE] = "pcap-write",
	[NFQD_FAULT_NAMES_READ] = "names-read",
};

static struct {
	bool		armed;
	uint64_t	at;		/* fires when passed this often */
	uint64_t	passed;
	enum action	action;
} faults[NFQD_FAULT_MAX];

void
nfqd_fault_arm(int restarts)
{
	const char	*env = getenv("NFQD_FAULT");
	char		 buf[512], *spec, *save = NULL, *p;
	long		 start, at;
	size_t		 i;
	enum action	 act;
	bool		 master;

	memset(faults, 0, sizeof(faults));
	if (env == NULL || strlen(env) >= sizeof(buf))
		return;
	strcpy(buf, env);
	for (spec = strtok_r(buf, ",", &save); spec != NULL;
	    spec = strtok_r(NULL, ",", &save)) {
		start = 0;
		at = 1;
		act = KILL;
		if ((p = strchr(spec, '@')) != NULL) {
			*p++ = '\0';
			start = strtol(p, NULL, 10);
		}
		if ((p = strchr(spec, '=')) != NULL) {
			*p++ = '\0';
			act = strcmp(p, "crash") == 0 ? CRASH :
			    strcmp(p, "hang") == 0 ? HANG :
			    strcmp(p, "exit") == 0 ? EXIT :
			    strcmp(p, "wait") == 0 ? WAIT : KILL;
		}
		if ((p = strchr(spec, ':')) != NULL) {
			*p++ = '\0';
			at = strtol(p, NULL, 10);
		}
		for (i = 0; i < NFQD_FAULT_MAX; i++) {
			if (strcmp(spec, names[i]) != 0)
				continue;
			/* Master points for the master, worker points for
			   the worker started that often; poison everywhere. */
			master = i == NFQD_FAULT_MASTER_RELOAD ||
			    i == NFQD_FAULT_NAMES_READ;
			if (master != (restarts < 0))
				break;
			if (i != NFQD_FAULT_POISON && !master &&
			    start != restarts)
				break;
			faults[i].armed = true;
			faults[i].at = at > 0 ? (uint64_t)at : 1;
			faults[i].action = act;
			log_notice("fault point %s armed: fires at %llu", names[i],
			    (unsigned long long)faults[i].at);
		}
	}
}

bool
nfqd_fault_armed(enum nfqd_fault f)
{
	return faults[f].armed;
}

bool
nfqd_fault_due(enum nfqd_fault f, uint64_t n)
{
	if (!faults[f].armed)
		return false;
	faults[f].passed += n;
	return faults[f].passed >= faults[f].at;
}

void
nfqd_fault_fire(enum nfqd_fault f)
{
	struct timespec	ts = { 3600, 0 };

	log_notice("fault point %s fires (%s)", names[f],
	    faults[f].action == KILL ? "kill" : faults[f].action == CRASH ?
	    "crash" : faults[f].action == HANG ? "hang" :
	    faults[f].action == WAIT ? "wait" : "exit");
	switch (faults[f].action) {
	case KILL:
		kill(getpid(), SIGKILL);
		break;
	case CRASH:
		__builtin_trap();
	case HANG:
		for (;;)
			nanosleep(&ts, NULL);
	case EXIT:
	case WAIT:	/* only nfqd_fault_hold() waits */
		_exit(1);
	}
	_exit(1);
}

int
nfqd_fault_hold(enum nfqd_fault f, int (*fn)(void *), void *arg)
{
	struct timespec	 ts = { 0, 10000000 };
	const char	*gate = getenv("NFQD_FAULT_GATE");

	if (faults[f].action != WAIT)
		nfqd_fault_fire(f);
	if (gate == NULL || access(gate, F_OK) == 0)
		return 0;
	log_notice("fault point %s fires (wait for %s)", names[f], gate);
	while (access(gate, F_OK) == -1) {
		if (fn != NULL && fn(arg) == -1)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}
#else
/* ISO C wants something in a translation unit. */
typedef int nfqd_fault_unused;
#endif
