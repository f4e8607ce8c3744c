#ifndef NFQD_SANDBOX_H
#define NFQD_SANDBOX_H

#include <stdbool.h>

/*
 * The worker's seccomp filter: once a worker has set itself up, it may
 * only make the system calls its loop makes (reading and answering its
 * queue, its timers and signals, logging, link notifications).  Anything
 * else kills the worker (SIGSYS), and the master logs it as a sandbox
 * violation.  no_new_privs is set with it.
 *
 * pcap_dirfd: the capture directory (pcap.h), or -1.  With one, the
 * calls that rotate capture files are allowed relative to it and nothing
 * else.  threads: the process has a second thread (the capture file's
 * writer, pcapw.h): the filter is put on every thread of it at once
 * (SECCOMP_FILTER_FLAG_TSYNC), and not at all where that cannot be done.
 *
 * Returns 0, or -1 with errno when the filter cannot be installed.
 */
int	nfqd_sandbox_worker(int pcap_dirfd, bool threads);

/* False in builds whose runtime makes other calls (ASan, UBSan). */
int	nfqd_sandbox_possible(void);

#endif
