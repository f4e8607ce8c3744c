#ifndef NFQD_PCAPW_H
#define NFQD_PCAPW_H

/*
 * The capture file's writer thread: what stands between a worker and the
 * disk, so that a disk that cannot keep up, or does not answer at all (a
 * hung network file system, a failing device), costs captured packets and
 * never a verdict.
 *
 * The worker copies each packet to capture into the one of NFQD_PCAPW_NBUF
 * buffers it is filling (a memcpy, no system call, no allocation) and
 * hands a buffer to the thread when the next record does not fit, and
 * once a second (nfqd_pcapw_tick) so that the file is never much more
 * than a second behind.  The thread writes each buffer's records with the
 * file layer (pcap.h: libpcap's format, rotation, failed writes cut back)
 * and gives the buffer back.  When every buffer is still with the thread,
 * the worker does not wait: the packet is not captured, counted in
 * pcap_behind (pcap_errors counts the packets a failed write lost), and a
 * line in the log (at most one per 10 s) says how many and why.
 *
 * At exit (nfqd_pcapw_close) the thread writes what it was given and
 * closes the file; the worker waits for that NFQD_PCAPW_EXIT_MS at most,
 * so a disk that does not answer cannot keep a worker from ending.
 *
 * The thread is started after the worker dropped its privileges and
 * before its system call filter is loaded: the filter then covers both
 * (sandbox.c, SCMP_FLTATR_CTL_TSYNC), and both have the same capabilities.
 */

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/log.h"
#include "nfqd/pcap.h"

#define NFQD_PCAPW_NBUF		8
/* Each buffer; the file layer's stdio buffer is as big. */
#define NFQD_PCAPW_BUFSIZE	NFQD_PCAP_BUFSIZE
#define NFQD_PCAPW_EXIT_MS	1000	/* the master kills a worker after 2 s */

struct nfqd_pcapw_buf {
	uint8_t		*data;
	size_t		 len;		/* bytes of records in it */
};

struct nfqd_pcapw {
	bool		 on;		/* init succeeded: writes are taken */
	bool		 running;	/* the thread runs */
	bool		 threaded;	/* it was started: pub counts */
	struct nfqd_pcap f;		/* the file: the thread's once it runs */
	size_t		 size;		/* of each buffer */
	struct nfqd_pcapw_buf b[NFQD_PCAPW_NBUF];
	/*
	 * Buffers head and after are the worker's, those from tail up to
	 * head the thread's (indices modulo NFQD_PCAPW_NBUF); each only ever
	 * moves its own index, with release stores and acquire loads.
	 */
	uint64_t	 head;
	uint64_t	 tail;
	bool		 stop;		/* the worker asks the thread to end */
	sem_t		 work;		/* a buffer or stop was posted */
	sem_t		 done;		/* the thread wrote everything */
	sem_t		 ready;		/* the thread runs */
	pthread_t	 th;
	/* The worker's. */
	uint64_t	 next_ns;	/* the next periodic hand-over */
	uint64_t	 behind;	/* packets not captured: no buffer */
	uint64_t	 behind_told;	/* ... of them in the log so far */
	struct nfqd_logthrottle lt;
	/* The file's counters, as the thread last published them. */
	struct nfqd_pcap_counts pub;
};

/*
 * Prepare w for queue's file in the directory dirfd (w owns it; -1: it
 * could not be opened, every packet then counts as an error): the file
 * layer's nfqd_pcap_init() and the buffers.  bufsize 0: the default.  0,
 * or -1 when out of memory (w is then off, and nothing is captured).
 */
int	nfqd_pcapw_init(struct nfqd_pcapw *w, int dirfd, uint16_t queue,
	    uint64_t max_bytes, uint32_t max_files, size_t bufsize);

/*
 * Begin the file (nfqd_pcap_start(); *opened: whether it could be opened
 * now, else it is tried again later) and start the thread.  0, or -1 with
 * errno when the thread cannot be started: the file is then written by
 * the caller's thread, as without this layer.
 */
int	nfqd_pcapw_start(struct nfqd_pcapw *w, uint64_t now_ns, bool *opened);

/* One packet, as nfqd_pcap_write(); never waits. */
void	nfqd_pcapw_write(struct nfqd_pcapw *w, const uint8_t *data,
	    uint32_t caplen, uint32_t len, uint64_t ts_sec, uint32_t ts_usec);

/*
 * Periodic: hand over a buffer holding records for a second, log packets
 * not captured.  Without the thread: nfqd_pcap_tick().
 */
void	nfqd_pcapw_tick(struct nfqd_pcapw *w, uint64_t now_ns);

/* The counters: the file's, and the packets not captured in behind. */
void	nfqd_pcapw_counts(struct nfqd_pcapw *w, struct nfqd_pcap_counts *c);

/*
 * Hand over what is buffered and wait, at most timeout_ms, for the thread
 * to have written it: 0, or -1 when it did not in time.  Tests.
 */
int	nfqd_pcapw_sync(struct nfqd_pcapw *w, unsigned timeout_ms);

/*
 * Hand over what is buffered, let the thread write it and close the file,
 * waiting at most NFQD_PCAPW_EXIT_MS; free what it may.  w is off.
 */
void	nfqd_pcapw_close(struct nfqd_pcapw *w);

#endif
