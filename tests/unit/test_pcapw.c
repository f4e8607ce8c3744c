/*
 * The capture file's writer thread (pcapw.c): records reach the file
 * whole and in order across many buffers, a buffer is handed over when
 * full and after a second, and a writer that hangs (the pcap-write fault
 * point: built with the fault points, see the Makefile) costs exactly the
 * packets no buffer can take, counted, and a bounded wait at close.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "nfqd/fault.h"
#include "nfqd/pcapw.h"
#include "nfqd/util.h"
#include "unit.h"

#ifndef NFQD_FAULTS
#error "test_pcapw needs the fault points (-DNFQD_FAULTS)"
#endif

static char	dir[512];

/* A packet of len bytes carrying seq at offset 4. */
static void
packet(uint8_t *buf, uint32_t len, uint32_t seq)
{
	uint32_t	i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 13 + seq);
	buf[0] = 0x45;
	memcpy(buf + 4, &seq, sizeof(seq));
}

static const char *
path(void)
{
	static char	buf[600];
	char		name[64];

	nfqd_pcap_name(name, sizeof(name), 3, 0);
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static int
setup(struct nfqd_pcapw *w, size_t bufsize)
{
	bool	opened;
	int	fd;

	unit_rmtree(dir);
	mkdir(dir, 0700);
	if ((fd = nfqd_pcap_open_dir(dir)) == -1 ||
	    nfqd_pcapw_init(w, fd, 3, NFQD_PCAP_MAX_BYTES, 2, bufsize) == -1 ||
	    nfqd_pcapw_start(w, nfqd_now_ns(), &opened) == -1)
		return -1;
	return opened && w->running ? 0 : -1;
}

/*
 * Every record of the file, in order: whole (length and bytes as
 * written) and with the next seq.  The number read, -1 on a bad one.
 */
static int
read_back(int *bad_at)
{
	char			 err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr	*h;
	const u_char		*d;
	uint8_t			 want[2000];
	uint32_t		 len;
	pcap_t			*pc;
	int			 k = 0;

	*bad_at = -1;
	if ((pc = pcap_open_offline(path(), err)) == NULL)
		return -1;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		len = 40 + (uint32_t)(k * 37) % 1900;
		packet(want, len, (uint32_t)k);
		if (h->caplen != len || h->len != len + 7 ||
		    h->ts.tv_sec != 1700000000 + k ||
		    memcmp(d, want, len) != 0) {
			*bad_at = k;
			break;
		}
		k++;
	}
	pcap_close(pc);
	return k;
}

/*
 * 3,000 records of 40 to 1,939 bytes through buffers of 64 KiB (about 60
 * records each): some 50 hand-overs, and a sync every 300 records so the
 * writer is never 8 buffers behind.
 */
static void
test_order(void)
{
	struct nfqd_pcapw	w;
	struct nfqd_pcap_counts	c;
	uint8_t			buf[2000];
	uint64_t		bytes = 0;
	uint32_t		len;
	int			i, n, bad;
	bool			synced = true;

	if (!CHECK(setup(&w, 65536) == 0, "order: the thread runs"))
		return;
	for (i = 0; i < 3000; i++) {
		len = 40 + (uint32_t)(i * 37) % 1900;
		packet(buf, len, (uint32_t)i);
		nfqd_pcapw_write(&w, buf, len, len + 7, 1700000000u +
		    (uint64_t)i, 0);
		bytes += len + 7;
		if (i % 300 == 299 && nfqd_pcapw_sync(&w, 10000) == -1)
			synced = false;
	}
	CHECK(synced, "order: every sync within 10 s");
	CHECK(w.head > 40, unit_fmt("order: buffers handed over when full "
	    "(%llu)", (unsigned long long)w.head));
	nfqd_pcapw_counts(&w, &c);
	CHECK_UINT_EQ(c.packets, 3000, "order: counted as written");
	CHECK_UINT_EQ(c.errors, 0, "order: none lost");
	CHECK_UINT_EQ(c.behind, 0, "order: none left out");
	CHECK_UINT_EQ(c.bytes, bytes, "order: bytes are the original lengths");
	nfqd_pcapw_close(&w);
	CHECK(!w.running && !w.on, "order: closed");
	n = read_back(&bad);
	CHECK_INT_EQ(n, 3000, "order: every record in the file, in order, "
	    "whole");
	CHECK_INT_EQ(bad, -1, "order: no record differs");
}

/* A buffer not full goes to the thread once a second. */
static void
test_second(void)
{
	struct nfqd_pcapw	w;
	struct nfqd_pcap_counts	c;
	uint8_t			buf[2000];
	uint64_t		t0 = 5000000000ull;
	int			i, n, bad;

	if (!CHECK(setup(&w, 0) == 0, "second: the thread runs"))
		return;
	nfqd_pcapw_tick(&w, t0);
	CHECK_UINT_EQ(w.head, 0, "second: nothing to hand over");
	for (i = 0; i < 3; i++) {
		packet(buf, 40 + (uint32_t)(i * 37) % 1900, (uint32_t)i);
		nfqd_pcapw_write(&w, buf, 40 + (uint32_t)(i * 37) % 1900,
		    47 + (uint32_t)(i * 37) % 1900, 1700000000u + (uint64_t)i,
		    0);
	}
	nfqd_pcapw_tick(&w, t0 + 1000);
	nfqd_pcapw_tick(&w, t0 + 900000000ull);
	CHECK_UINT_EQ(w.head, 0, "second: kept for 0.9 s");
	nfqd_pcapw_tick(&w, t0 + 990000000ull);
	CHECK_UINT_EQ(w.head, 1, "second: handed over a second after the "
	    "last look (less 10 ms, for a timer a hair early)");
	CHECK_INT_EQ(nfqd_pcapw_sync(&w, 10000), 0, "second: written");
	nfqd_pcapw_counts(&w, &c);
	CHECK_UINT_EQ(c.packets, 3, "second: counted");
	n = read_back(&bad);
	CHECK(n == 3 && bad == -1, unit_fmt("second: in the file while the "
	    "writer runs (%d)", n));
	nfqd_pcapw_write(&w, buf, 40, 47, 1700000003u, 0);
	nfqd_pcapw_tick(&w, t0 + 1900000000ull);
	CHECK_UINT_EQ(w.head, 1, "second: not again within the second");
	nfqd_pcapw_tick(&w, t0 + 1980000000ull);
	CHECK_UINT_EQ(w.head, 2, "second: the next second's");
	nfqd_pcapw_close(&w);
	nfqd_pcapw_counts(&w, &c);
	CHECK_UINT_EQ(c.packets, 4, "second: close writes the rest");
}

/*
 * The writer hangs on the first buffer it takes.  Buffers of 65,560
 * bytes (the least: one record of 65,535) hold 64 records of 1,000 bytes
 * (1,024 with the header); 8 of them 512: of 600 packets, 88 are not
 * captured, and the worker never waits.
 */
static void
test_hang(void)
{
	/* Static: the thread, asleep for ever, keeps pointing at it. */
	static struct nfqd_pcapw w;
	struct nfqd_pcap_counts	c;
	uint8_t			buf[1000];
	uint64_t		t0;
	int			i;

	setenv("NFQD_FAULT", "pcap-write=hang", 1);
	nfqd_fault_arm(0);
	if (!CHECK(setup(&w, 1) == 0, "hang: the thread runs"))
		return;
	CHECK_UINT_EQ(w.size, 65560, "hang: the least buffer holds a whole "
	    "packet");
	for (i = 0; i < 600; i++) {
		packet(buf, sizeof(buf), (uint32_t)i);
		nfqd_pcapw_write(&w, buf, sizeof(buf), sizeof(buf), 1, 0);
	}
	nfqd_pcapw_counts(&w, &c);
	CHECK_UINT_EQ(c.behind, 88, "hang: exactly the packets no buffer "
	    "took are left out");
	CHECK_UINT_EQ(c.errors, 0, "hang: no write failed");
	CHECK_UINT_EQ(c.packets, 0, "hang: nothing written");
	CHECK_UINT_EQ(w.behind, 88, "hang: counted as not captured");
	CHECK_INT_EQ(nfqd_pcapw_sync(&w, 200), -1, "hang: sync times out");
	t0 = nfqd_now_ns();
	nfqd_pcapw_close(&w);
	CHECK((nfqd_now_ns() - t0) / 1000000ull < 10000,
	    "hang: close gives up on the writer (after 1 s)");
	CHECK(!w.on, "hang: closed");
	nfqd_pcapw_counts(&w, &c);
	CHECK_UINT_EQ(c.behind, 88, "hang: the count stays after close");
	unsetenv("NFQD_FAULT");
	nfqd_fault_arm(0);
}

int
main(void)
{
	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_order();
	test_second();
	test_hang();
	unit_rmtree(dir);
	return unit_done();
}
