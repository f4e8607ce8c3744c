#ifndef NFQD_FAULT_H
#define NFQD_FAULT_H

/*
 * Fault points, for tests: compiled in only with -DNFQD_FAULTS (the
 * build/nfqd-faults binary and the sanitizer build), and armed from the
 * environment, so that every fault test is deterministic:
 *
 *   NFQD_FAULT="POINT[:N][=ACTION][@START][,...]"
 *
 * POINT fires when it has been passed N times (default 1), counting what
 * the point counts (packets for worker-read and worker-decide), in a worker
 * whose slot has been restarted START times (default 0: the first worker
 * only, so its successor runs clean); ACTION is kill (SIGKILL itself, the
 * default), crash (SIGILL), hang (sleep for ever), exit (status 1) or, for
 * names-read, wait (until a file named by NFQD_FAULT_GATE exists, the
 * master's work going on meanwhile).
 *
 *   worker-read      after recvmmsg() returned, before the ids are recorded
 *   worker-recorded  after the ids are recorded, before any is decided
 *   worker-decide    before deciding a packet
 *   worker-send      half of a batch's verdict messages sent, the rest not
 *   worker-sent      after the verdicts were sent, before the counters
 *   worker-poison    deciding a packet that carries "NFQD-POISON": fires
 *                    in every worker, every time (a packet of death)
 *   master-reload    the master, at the start of its N-th reload
 *   names-read       the master, in a reload, after a block of a name
 *                    list is read or a part of a set built (counts them)
 *   dnsl-write       holding a lock of dns_learn's table, its bucket half
 *                    written (counts entries learned)
 *   pcap-write       the capture file's writer thread, before it writes a
 *                    buffer of records (counts buffers)
 */

#include <stdbool.h>
#include <stdint.h>

enum nfqd_fault {
	NFQD_FAULT_READ,
	NFQD_FAULT_RECORDED,
	NFQD_FAULT_DECIDE,
	NFQD_FAULT_SEND,
	NFQD_FAULT_SENT,
	NFQD_FAULT_POISON,
	NFQD_FAULT_MASTER_RELOAD,
	NFQD_FAULT_DNSL_WRITE,
	NFQD_FAULT_PCAP_WRITE,
	NFQD_FAULT_NAMES_READ,
	NFQD_FAULT_MAX
};

#ifdef NFQD_FAULTS
/* Read NFQD_FAULT for a process; restarts: its slot's (-1: the master). */
void	nfqd_fault_arm(int restarts);
/* The point was passed n more times: does it fire now? */
bool	nfqd_fault_due(enum nfqd_fault f, uint64_t n);
/* Whether the point is armed at all. */
bool	nfqd_fault_armed(enum nfqd_fault f);
/* Do the point's action. */
void	nfqd_fault_fire(enum nfqd_fault f);
/*
 * The same, where the action may be wait: until NFQD_FAULT_GATE names a
 * file that exists, calling fn(arg) every 10 ms meanwhile; -1 as soon as
 * fn returns -1, else 0.
 */
int	nfqd_fault_hold(enum nfqd_fault f, int (*fn)(void *), void *arg);

#define NFQD_FAULT(f, n)	do {					\
	if (nfqd_fault_due((f), (n)))					\
		nfqd_fault_fire(f);					\
} while (0)
#define NFQD_FAULT_ARMED(f)	nfqd_fault_armed(f)
#else
#define NFQD_FAULT(f, n)	do { } while (0)
#define NFQD_FAULT_ARMED(f)	false
static inline bool
nfqd_fault_due(enum nfqd_fault f, uint64_t n)
{
	(void)f;
	(void)n;
	return false;
}
static inline int
nfqd_fault_hold(enum nfqd_fault f, int (*fn)(void *), void *arg)
{
	(void)f;
	(void)fn;
	(void)arg;
	return 0;
}
static inline void
nfqd_fault_arm(int restarts)
{
	(void)restarts;
}
#endif

#endif
