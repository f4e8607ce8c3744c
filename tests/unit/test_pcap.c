/*
 * The capture file writer (pcap.c): the records as libpcap reads them
 * back, rotation within pcap.max_bytes and pcap.max_files, and what
 * failed writes and opens cost (a file size limit and a directory in the
 * way, so no root is needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "nfqd/pcap.h"
#include "nfqd/util.h"
#include "unit.h"

static char	dir[512];

/* A packet: an IPv4 header's first bytes, then seq, then filler. */
static void
packet(uint8_t *buf, uint32_t len, uint32_t seq)
{
	uint32_t	i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seq);
	buf[0] = 0x45;
	memcpy(buf + 4, &seq, sizeof(seq));
}

static int
start(struct nfqd_pcap *p, uint64_t max_bytes, uint32_t max_files)
{
	int	fd = nfqd_pcap_open_dir(dir);

	if (fd == -1 || nfqd_pcap_init(p, fd, 7, max_bytes, max_files, 0) ==
	    -1)
		return -1;
	nfqd_pcap_start(p, nfqd_now_ns());
	return p->dumper != NULL ? 0 : -1;
}

static const char *
path(uint32_t n)
{
	static char	buf[600];
	char		name[64];

	nfqd_pcap_name(name, sizeof(name), 7, n);
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static long long
fsize(uint32_t n)
{
	struct stat	st;

	return stat(path(n), &st) == 0 ? (long long)st.st_size : -1;
}

/* The seqs of file n's records, in order; -1 when it cannot be read. */
static int
seqs(uint32_t n, uint32_t *out, int max)
{
	char			 err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr	*h;
	const u_char		*d;
	pcap_t			*pc;
	int			 k = 0, r;

	if ((pc = pcap_open_offline(path(n), err)) == NULL)
		return -1;
	while ((r = pcap_next_ex(pc, &h, &d)) == 1 && k < max)
		if (h->caplen >= 8)
			memcpy(&out[k++], d + 4, sizeof(uint32_t));
	pcap_close(pc);
	return r == PCAP_ERROR ? -1 : k;
}

static void
test_format(void)
{
	static const uint32_t	 lens[3] = { 60, 1500, 200 };
	static const uint32_t	 orig[3] = { 60, 1500, 9000 };
	struct nfqd_pcap	 p;
	struct pcap_pkthdr	*h;
	const u_char		*d;
	uint8_t			 buf[1500], want[1500], fh[24];
	char			 err[PCAP_ERRBUF_SIZE];
	pcap_t			*pc;
	uint32_t		 linktype;
	int			 i, fd;

	if (!CHECK(start(&p, NFQD_PCAP_MAX_BYTES, 3) == 0, "format: opens"))
		return;
	for (i = 0; i < 3; i++) {
		packet(buf, lens[i], (uint32_t)i);
		nfqd_pcap_write(&p, buf, lens[i], orig[i], 1700000000u +
		    (uint64_t)i, 123456u + (uint32_t)i);
	}
	CHECK_UINT_EQ(p.c.packets, 0, "format: buffered, not counted yet");
	CHECK_INT_EQ(nfqd_pcap_flush(&p), 0, "format: flushed");
	CHECK_UINT_EQ(p.c.packets, 3, "format: counted once written");
	CHECK_UINT_EQ(p.c.bytes, 60 + 1500 + 9000,
	    "format: bytes are the original lengths");
	nfqd_pcap_close(&p);

	/* In the file: LINKTYPE_RAW (101), whatever DLT_RAW is here. */
	fd = open(path(0), O_RDONLY);
	CHECK(fd != -1 && read(fd, fh, sizeof(fh)) == (ssize_t)sizeof(fh),
	    "format: file header read");
	if (fd != -1)
		close(fd);
	memcpy(&linktype, fh + 20, sizeof(linktype));
	CHECK_UINT_EQ(linktype, 101, "format: LINKTYPE_RAW in the file");
	CHECK_INT_EQ(fsize(0), 24 + 3 * 16 + 60 + 1500 + 200,
	    "format: file size");

	if (!CHECKF((pc = pcap_open_offline(path(0), err)) != NULL,
	    "format: libpcap opens it", "%s", err))
		return;
	CHECK_INT_EQ(pcap_datalink(pc), DLT_RAW, "format: datalink DLT_RAW");
	CHECK_INT_EQ(pcap_snapshot(pc), 65535, "format: snaplen");
	for (i = 0; i < 3; i++) {
		if (!CHECK(pcap_next_ex(pc, &h, &d) == 1,
		    unit_fmt("format: record %d read", i)))
			break;
		packet(want, lens[i], (uint32_t)i);
		CHECK_UINT_EQ(h->caplen, lens[i],
		    unit_fmt("format: record %d caplen", i));
		CHECK_UINT_EQ(h->len, orig[i], unit_fmt("format: record %d len",
		    i));
		CHECK_UINT_EQ((uint64_t)h->ts.tv_sec, 1700000000u + (unsigned)i,
		    unit_fmt("format: record %d seconds", i));
		CHECK_UINT_EQ((uint64_t)h->ts.tv_usec, 123456u + (unsigned)i,
		    unit_fmt("format: record %d microseconds", i));
		CHECK(h->caplen == lens[i] && memcmp(d, want, lens[i]) == 0,
		    unit_fmt("format: record %d bytes", i));
	}
	CHECK(pcap_next_ex(pc, &h, &d) == PCAP_ERROR_BREAK,
	    "format: nothing more");
	pcap_close(pc);
}

/*
 * 100-byte packets, 116 bytes a record: 8 fit a 1000-byte file after
 * its header.  50 of them into at most 3 files.
 */
static void
test_rotation(void)
{
	struct nfqd_pcap	p;
	uint8_t			buf[100];
	uint32_t		s0[64], s1[64], s2[64];
	int			i, n0, n1, n2;
	bool			ok = true;

	unit_rmtree(dir);
	mkdir(dir, 0700);
	if (!CHECK(start(&p, 1000, 3) == 0, "rotation: opens"))
		return;
	for (i = 0; i < 50; i++) {
		packet(buf, sizeof(buf), (uint32_t)i);
		nfqd_pcap_write(&p, buf, sizeof(buf), sizeof(buf), 1, 0);
	}
	nfqd_pcap_close(&p);
	CHECK_UINT_EQ(p.c.packets, 50, "rotation: every packet written");
	CHECK_UINT_EQ(p.c.errors, 0, "rotation: no errors");
	CHECK_UINT_EQ(p.c.rotations, 6, "rotation: 7 files were begun");
	for (i = 0; i < 3; i++)
		ok = ok && fsize((uint32_t)i) > 0 && fsize((uint32_t)i) <= 1000;
	CHECK(ok, "rotation: 3 files, each within max_bytes");
	CHECK_INT_EQ(fsize(3), -1, "rotation: no 4th file");
	n0 = seqs(0, s0, 64);
	n1 = seqs(1, s1, 64);
	n2 = seqs(2, s2, 64);
	CHECK_INT_EQ(n0, 2, "rotation: the current file has the last 2");
	CHECK_INT_EQ(n1, 8, "rotation: .1 is full");
	CHECK_INT_EQ(n2, 8, "rotation: .2 is full");
	if (n0 == 2 && n1 == 8 && n2 == 8) {
		CHECK_UINT_EQ(s0[1], 49, "rotation: the newest packet is last");
		CHECK_UINT_EQ(s1[0], 40, "rotation: .1 holds the ones before");
		CHECK_UINT_EQ(s2[0], 32, "rotation: .2 the ones before those; "
		    "older ones dropped");
	}

	/* A new writer keeps the last one's file: rotated, not truncated. */
	if (!CHECK(start(&p, 1000, 2) == 0, "restart: opens"))
		return;
	nfqd_pcap_close(&p);
	n1 = seqs(1, s1, 64);
	CHECK(n1 == 2 && s1[1] == 49, "restart: the earlier file is .1");
	CHECK_INT_EQ(fsize(0), 24, "restart: a new file, empty");
	CHECK_INT_EQ(fsize(2), -1, "restart: files past a smaller max_files "
	    "removed");
	/* An empty one is reused, not rotated. */
	if (!CHECK(start(&p, 1000, 2) == 0, "restart: opens again"))
		return;
	nfqd_pcap_close(&p);
	n1 = seqs(1, s1, 64);
	CHECK(n1 == 2 && s1[1] == 49, "restart: an empty file is not kept");
}

/*
 * A write fails half way (the file size limit): the buffer's packets are
 * lost and counted, the file is cut back to its last whole record and
 * the next packets go on after it.
 */
static void
test_write_failure(void)
{
	struct nfqd_pcap	p;
	struct rlimit		old, lim;
	uint8_t			buf[100];
	uint32_t		s[64];
	long long		good;
	int			i, n, r;

	unit_rmtree(dir);
	mkdir(dir, 0700);
	signal(SIGXFSZ, SIG_IGN);	/* EFBIG instead */
	if (!CHECK(start(&p, NFQD_PCAP_MAX_BYTES, 3) == 0, "failure: opens"))
		return;
	for (i = 0; i < 5; i++) {
		packet(buf, sizeof(buf), (uint32_t)i);
		nfqd_pcap_write(&p, buf, sizeof(buf), sizeof(buf), 1, 0);
	}
	CHECK_INT_EQ(nfqd_pcap_flush(&p), 0, "failure: first flush");
	good = fsize(0);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)good + 50;	/* half a record more */
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0, "failure: limit set");
	for (i = 5; i < 10; i++) {
		packet(buf, sizeof(buf), (uint32_t)i);
		nfqd_pcap_write(&p, buf, sizeof(buf), sizeof(buf), 1, 0);
	}
	r = nfqd_pcap_flush(&p);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_INT_EQ(r, -1, "failure: the flush fails");
	CHECK_UINT_EQ(p.c.errors, 5, "failure: the buffer's packets counted");
	CHECK_UINT_EQ(p.c.packets, 5, "failure: not counted as written");
	CHECK_INT_EQ(fsize(0), good, "failure: cut back to the last record");
	CHECK(p.dumper != NULL, "failure: the file stays open");
	for (i = 10; i < 12; i++) {
		packet(buf, sizeof(buf), (uint32_t)i);
		nfqd_pcap_write(&p, buf, sizeof(buf), sizeof(buf), 1, 0);
	}
	nfqd_pcap_close(&p);
	CHECK_UINT_EQ(p.c.packets, 7, "failure: later packets written");
	n = seqs(0, s, 64);
	CHECK(n == 7 && s[4] == 4 && s[5] == 10 && s[6] == 11,
	    unit_fmt("failure: the file reads whole, %d records", n));
}

/* No file can be opened: packets counted as errors, opened later. */
static void
test_open_failure(void)
{
	struct nfqd_pcap	p;
	uint8_t			buf[100];
	int			fd;

	unit_rmtree(dir);
	mkdir(dir, 0700);
	mkdir(path(0), 0700);		/* a directory where the file goes */
	fd = nfqd_pcap_open_dir(dir);
	if (!CHECK(fd != -1 && nfqd_pcap_init(&p, fd, 7, 1000, 3, 0) == 0,
	    "open failure: init"))
		return;
	nfqd_pcap_start(&p, 1000);
	CHECK(p.dumper == NULL, "open failure: no file");
	packet(buf, sizeof(buf), 0);
	nfqd_pcap_write(&p, buf, sizeof(buf), sizeof(buf), 1, 0);
	CHECK_UINT_EQ(p.c.errors, 1, "open failure: the packet is counted");
	rmdir(path(0));
	nfqd_pcap_tick(&p, 1000 + 500000000ull);
	CHECK(p.dumper == NULL, "open failure: not retried within a second");
	nfqd_pcap_tick(&p, 1000 + 1000000000ull);
	CHECK(p.dumper != NULL, "open failure: retried after a second");
	nfqd_pcap_write(&p, buf, sizeof(buf), sizeof(buf), 1, 0);
	nfqd_pcap_close(&p);
	CHECK_UINT_EQ(p.c.packets, 1, "open failure: then written");

	/* Without a directory at all. */
	if (CHECK(nfqd_pcap_init(&p, -1, 7, 1000, 3, 0) == 0,
	    "no directory: init")) {
		nfqd_pcap_start(&p, 1000);
		nfqd_pcap_write(&p, buf, sizeof(buf), sizeof(buf), 1, 0);
		nfqd_pcap_tick(&p, 5000000000ull);
		nfqd_pcap_close(&p);
		CHECK_UINT_EQ(p.c.errors, 1, "no directory: counted");
	}
}

int
main(void)
{
	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_format();
	test_rotation();
	test_write_failure();
	test_open_failure();
	unit_rmtree(dir);
	return unit_done();
}
