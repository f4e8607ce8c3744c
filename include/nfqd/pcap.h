#ifndef NFQD_PCAP_H
#define NFQD_PCAP_H

/*
 * A worker's capture file (rules with log = "pcap"): the packets as
 * queued (the bytes the kernel copied, from the IP header on) in a pcap
 * file written with libpcap, link type LINKTYPE_RAW, one file per queue:
 * DIR/nfqd-q<QUEUE>.pcap.
 *
 * Records go into a stdio buffer allocated once; it is written when the
 * next record would not fit, once a second (nfqd_pcap_tick) and when the
 * file is rotated or closed, so a packet costs a memcpy and no system
 * call.  Rotation: before a record would take the file past max_bytes,
 * the file is closed, older files are renamed up (NAME.1 -> NAME.2 ...,
 * NAME -> NAME.1, the oldest, NAME.<max_files-1>, replaced) and a new
 * NAME begun: at most max_files files per queue, each at most max_bytes.
 *
 * A write that fails (disk full, I/O error) costs the packets of that
 * buffer, counted in errors; the file is cut back to its last whole
 * record and writing goes on.  Nothing here exits or has a say in a
 * verdict; its writes may block, which is why a worker calls it from its
 * writer thread (pcapw.h) and not from its packet path.  Every name is opened,
 * renamed and removed relative to the directory's descriptor, opened
 * before the worker drops its privileges (sandbox.c allows these calls on
 * that descriptor only).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "nfqd/log.h"

/* libpcap's pcap_t and pcap_dumper_t; only pcap.c includes <pcap.h>. */
struct pcap;
struct pcap_dumper;

/* Defaults and bounds of pcap.max_bytes and pcap.max_files. */
#define NFQD_PCAP_MAX_BYTES	(100ull << 20)
#define NFQD_PCAP_MAX_FILES	10
#define NFQD_PCAP_FILES_LIMIT	1000
/* The largest record: NFQUEUE copies at most 65535 bytes of a packet. */
#define NFQD_PCAP_SNAPLEN	65535u
#define NFQD_PCAP_FILEHDR	24u	/* struct pcap_file_header */
#define NFQD_PCAP_RECHDR	16u	/* a record's header in the file */
/* Smallest max_bytes: a file holds at least one record of any size. */
#define NFQD_PCAP_MIN_BYTES	(NFQD_PCAP_FILEHDR + NFQD_PCAP_RECHDR + \
				 NFQD_PCAP_SNAPLEN)
/* The stdio buffer a worker writes through. */
#define NFQD_PCAP_BUFSIZE	(256u << 10)

struct nfqd_pcap_counts {
	uint64_t	packets;	/* records written to a file */
	uint64_t	bytes;		/* their packets' original length */
	uint64_t	errors;		/* packets lost: a failed write, or
					   no file could be opened */
	uint64_t	rotations;	/* files closed for max_bytes */
	uint64_t	behind;		/* packets not captured because the
					   disk fell behind (pcapw.c; 0 from
					   the file layer) */
};

struct nfqd_pcap {
	bool		 on;		/* rules capture: the rest is set */
	int		 dirfd;		/* the directory, -1: not opened */
	char		 name[32];	/* "nfqd-q0.pcap" */
	uint64_t	 max_bytes;
	uint32_t	 max_files;
	struct pcap	*dead;		/* pcap_open_dead(DLT_RAW) */
	struct pcap_dumper *dumper;	/* NULL: no file open */
	FILE		*fp;		/* the dumper's stream */
	int		 fd;		/* ... and descriptor */
	char		*buf;		/* fp's buffer, bufsize bytes */
	size_t		 bufsize;
	uint64_t	 size;		/* bytes of the file, buffered too */
	uint64_t	 good;		/* bytes known written */
	size_t		 buffered;	/* bytes in buf since the last write */
	uint64_t	 pend_packets;	/* records in buf */
	uint64_t	 pend_bytes;	/* ... their original length */
	uint64_t	 next_flush_ns;	/* CLOCK_MONOTONIC */
	uint64_t	 next_open_ns;	/* after a failed open: retry then */
	bool		 pruned;	/* files past max_files removed */
	struct nfqd_pcap_counts c;
	struct nfqd_logthrottle lt;	/* failures, at most one per 10 s */
};

/*
 * Prepare p to write queue's file in the directory dirfd (which p owns
 * from now on; -1 when it could not be opened: every packet then counts
 * as an error).  Allocates the buffer (bufsize bytes, 0: the default).
 * Opens no file yet.  0, or -1 when out of memory (p is then off).
 */
int	nfqd_pcap_init(struct nfqd_pcap *p, int dirfd, uint16_t queue,
	    uint64_t max_bytes, uint32_t max_files, size_t bufsize);

/*
 * Open dir for nfqd_pcap_init() (O_DIRECTORY): -1 with errno when it
 * cannot be.
 */
int	nfqd_pcap_open_dir(const char *dir);

/*
 * Begin a file: an earlier NAME with records in it is rotated away first,
 * and files numbered max_files or more (left by a larger max_files) are
 * removed.  A failure is logged, counted and retried later.
 */
void	nfqd_pcap_start(struct nfqd_pcap *p, uint64_t now_ns);

/*
 * One packet: caplen bytes at data, of an original len bytes, taken at
 * ts_sec.ts_usec (wall clock).  No allocation, no system call unless the
 * buffer is full or the file must be rotated.
 */
void	nfqd_pcap_write(struct nfqd_pcap *p, const uint8_t *data,
	    uint32_t caplen, uint32_t len, uint64_t ts_sec, uint32_t ts_usec);

/* Write out what is buffered.  0, or -1 (counted, logged). */
int	nfqd_pcap_flush(struct nfqd_pcap *p);

/* Periodic: flush once a second, retry a file that could not be opened. */
void	nfqd_pcap_tick(struct nfqd_pcap *p, uint64_t now_ns);

/* Flush and close the file, free what init allocated; p is off. */
void	nfqd_pcap_close(struct nfqd_pcap *p);

/* The name of queue's current file ("nfqd-q3.pcap"), and of older ones. */
void	nfqd_pcap_name(char *buf, size_t len, uint16_t queue, uint32_t n);

#endif
