/*
 * Unit tests for the table of claimed QUIC connection IDs
 * (src/l7/qclaim.c): a claim and another's, IDs that differ in one byte
 * or in length, a claim's end (also across the clock's wrap), undo, a
 * refresh, a full bucket, the sizes, and processes that claim the same IDs at once over
 * the shared mapping (at most one of them gets each); the master's count
 * of live claims (nfqd_qclaim_sweep()) as claims end, part by part, over
 * a table a worker filled with garbage, and without touching a page no
 * claim touched.  Through the engine
 * it is test_l7udp.c's (test_quic_claims).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfqd/l7/qclaim.h"
#include "nfqd/nfqd.h"
#include "unit.h"

#define NOW	100000u		/* monotonic seconds */

static const uint8_t	a8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void
test_claims(void)
{
	struct nfqd_qclaim_tab	*t;
	struct nfqd_qclaim_ref	 ref, ref2;
	uint8_t			 b[20], c20[20];

	if (!CHECK((t = nfqd_qclaim_create(0, 42)) != NULL, "create"))
		return;
	CHECK_UINT_EQ(nfqd_qclaim_capacity(t), NFQD_QCLAIM_MIN,
	    "the smallest table: NFQD_QCLAIM_MIN slots");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW, 120, &ref),
	    NFQD_QCLAIM_TAKEN, "an ID claimed");
	CHECK(ref.slot != NULL, "... its slot given for an undo");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW + 5, 120, &ref2),
	    NFQD_QCLAIM_HELD, "the same ID again: held");
	CHECK(ref2.slot == NULL, "... nothing to undo");
	memcpy(b, a8, 8);
	b[7] ^= 0x80;
	CHECK_UINT_EQ(nfqd_qclaim_take(t, b, 8, NOW, 120, &ref2),
	    NFQD_QCLAIM_TAKEN, "an ID one bit apart: its own claim");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 7, NOW, 120, &ref2),
	    NFQD_QCLAIM_TAKEN, "the ID's first 7 bytes: another ID");
	memcpy(b, a8, 8);
	b[8] = 0;
	CHECK_UINT_EQ(nfqd_qclaim_take(t, b, 9, NOW, 120, &ref2),
	    NFQD_QCLAIM_TAKEN, "the ID and a zero byte: another ID");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, b, 0, NOW, 120, &ref2),
	    NFQD_QCLAIM_TAKEN, "the empty ID: claimed too");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, b, 0, NOW, 120, &ref2),
	    NFQD_QCLAIM_HELD, "... and held");
	memset(c20, 0xee, sizeof(c20));
	CHECK_UINT_EQ(nfqd_qclaim_take(t, c20, 20, NOW, 120, &ref2),
	    NFQD_QCLAIM_TAKEN, "a 20-byte ID");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, c20, 20, NOW, 120, &ref2),
	    NFQD_QCLAIM_HELD, "... held");
	CHECK_UINT_EQ(nfqd_qclaim_count(t, NOW), 6, "six claims live");

	/* The end of a claim. */
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW + 119, 120, &ref2),
	    NFQD_QCLAIM_HELD, "held at its last second");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW + 120, 120, &ref2),
	    NFQD_QCLAIM_TAKEN, "free at its end: claimed anew");
	CHECK_UINT_EQ(nfqd_qclaim_count(t, NOW + 120), 1,
	    "at that second only the new claim lives");

	/* Undo: the ID is free again; an undo twice changes nothing. */
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 5, NOW, 60, &ref),
	    NFQD_QCLAIM_TAKEN, "undo: an ID claimed");
	nfqd_qclaim_undo(&ref);
	CHECK(ref.slot == NULL, "undo: the reference cleared");
	nfqd_qclaim_undo(&ref);
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 5, NOW, 60, &ref),
	    NFQD_QCLAIM_TAKEN, "undo: ... the ID claimed again");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 5, NOW, 60, &ref2),
	    NFQD_QCLAIM_HELD, "undo: ... and held");
	nfqd_qclaim_destroy(t);

	/* The monotonic clock's 32 bits wrap: a claim across it lives. */
	if (!CHECK((t = nfqd_qclaim_create(0, 7)) != NULL, "create"))
		return;
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, 0xffffffc0u, 120, &ref),
	    NFQD_QCLAIM_TAKEN, "wrap: claimed 64 s before the wrap");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, 10, 120, &ref2),
	    NFQD_QCLAIM_HELD, "wrap: held 10 s after it");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, 56, 120, &ref2),
	    NFQD_QCLAIM_TAKEN, "wrap: free at its end, 56 s after it");
	nfqd_qclaim_destroy(t);
}

/* A refresh makes a live claim last longer, never shorter. */
static void
test_refresh(void)
{
	struct nfqd_qclaim_tab	*t;
	struct nfqd_qclaim_ref	 ref;

	if (!CHECK((t = nfqd_qclaim_create(0, 3)) != NULL, "create"))
		return;
	CHECK_UINT_EQ(nfqd_qclaim_refresh(t, a8, 8, NOW, 90, &ref),
	    NFQD_QCLAIM_TAKEN, "refresh: an ID nobody claimed: claimed");
	CHECK_UINT_EQ(nfqd_qclaim_refresh(t, a8, 8, NOW + 60, 90, &ref),
	    NFQD_QCLAIM_HELD, "refresh: 60 s on: held, to end 90 s on");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW + 149, 90, &ref),
	    NFQD_QCLAIM_HELD, "refresh: held at 149 s (ended at 90 before)");
	CHECK_UINT_EQ(nfqd_qclaim_refresh(t, a8, 8, NOW + 100, 10, &ref),
	    NFQD_QCLAIM_HELD, "refresh: a shorter life asked for");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW + 149, 90, &ref),
	    NFQD_QCLAIM_HELD, "refresh: ... changes nothing: held at 149 s");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW + 150, 90, &ref),
	    NFQD_QCLAIM_TAKEN, "refresh: free at 150 s");
	CHECK_UINT_EQ(nfqd_qclaim_count(t, NOW + 150), 1,
	    "refresh: one claim, never two for one ID");
	CHECK_UINT_EQ(nfqd_qclaim_refresh(t, a8, 8, NOW + 300, 90, &ref),
	    NFQD_QCLAIM_TAKEN, "refresh: after its end: claimed anew");
	CHECK_UINT_EQ(nfqd_qclaim_count(t, NOW + 300), 1,
	    "refresh: ... still one claim");
	nfqd_qclaim_destroy(t);
}

/* A bucket holds NFQD_QCLAIM_WAYS claims: then FULL until one ends. */
static void
test_full(void)
{
	struct nfqd_qclaim_tab	*t;
	struct nfqd_qclaim_ref	 ref;
	uint64_t		 i, taken = 0, full = 0, cap;
	uint8_t			 id[8];

	if (!CHECK((t = nfqd_qclaim_create(0, 99)) != NULL, "create"))
		return;
	cap = nfqd_qclaim_capacity(t);
	for (i = 0; i < 20 * cap; i++) {
		memcpy(id, &i, 8);
		switch (nfqd_qclaim_take(t, id, 8, NOW, 30, &ref)) {
		case NFQD_QCLAIM_TAKEN:
			taken++;
			break;
		case NFQD_QCLAIM_FULL:
			full++;
			break;
		default:
			break;
		}
	}
	CHECK_UINT_EQ(taken, cap, "full: every slot taken, none twice");
	CHECK_UINT_EQ(nfqd_qclaim_count(t, NOW), cap, "full: all live");
	CHECK_UINT_EQ(full, 20 * cap - cap, "full: every other claim FULL");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW + 29, 30, &ref),
	    NFQD_QCLAIM_FULL, "full: one more at the claims' last second");
	CHECK_UINT_EQ(nfqd_qclaim_take(t, a8, 8, NOW + 30, 30, &ref),
	    NFQD_QCLAIM_TAKEN, "full: ... once they end, room again");
	nfqd_qclaim_destroy(t);
}

static void
test_sizes(void)
{
	CHECK_UINT_EQ(nfqd_qclaim_slots(1), NFQD_QCLAIM_MIN,
	    "sizes: at least NFQD_QCLAIM_MIN");
	CHECK_UINT_EQ(nfqd_qclaim_slots(100001), 100008,
	    "sizes: whole buckets");
	CHECK_UINT_EQ(nfqd_qclaim_slots(1ull << 40), NFQD_QCLAIM_MAX,
	    "sizes: at most NFQD_QCLAIM_MAX");
	CHECK_UINT_EQ(nfqd_qclaim_size(100001), 64 + 100008 * 8,
	    "sizes: a header line and 8 bytes a slot");
}

/*
 * Processes that claim the same IDs at once, as workers do: each writes
 * what it got into a shared result array; at most one process got each
 * ID (all of them claim within the same seconds, so every claim lives).
 * Two that pick different slots for one ID at once may both give theirs
 * back (qclaim.h), which needs a third claim to land between their
 * looks: rare, so nearly every ID has its one owner.
 */
#define RACE_PROCS	4
#define RACE_IDS	20000

static void
test_race(void)
{
	struct nfqd_qclaim_tab	*t;
	struct nfqd_qclaim_ref	 ref;
	uint8_t			*got;
	unsigned		 p, i, n, bad = 0, owned = 0;
	pid_t			 pids[RACE_PROCS];
	int			 st, ok = 1;
	uint8_t			 id[8];

	/* Twice the IDs in slots: buckets seldom fill. */
	if (!CHECK((t = nfqd_qclaim_create(16 * RACE_IDS, 5)) != NULL,
	    "race: create"))
		return;
	got = mmap(NULL, RACE_PROCS * RACE_IDS, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(got != MAP_FAILED, "race: a shared result array")) {
		nfqd_qclaim_destroy(t);
		return;
	}
	for (p = 0; p < RACE_PROCS; p++) {
		if ((pids[p] = fork()) == 0) {
			for (i = 0; i < RACE_IDS; i++) {
				/* Each process in another order, so that
				   they meet at every ID. */
				n = p % 2 == 0 ? i : RACE_IDS - 1 - i;
				memcpy(id, &n, sizeof(n));
				memset(id + 4, 0xa5, 4);
				got[p * RACE_IDS + n] = (uint8_t)(1 +
				    nfqd_qclaim_take(t, id, 8, NOW, 600,
				    &ref));
			}
			_exit(0);
		}
		if (pids[p] == -1)
			ok = 0;
	}
	for (p = 0; p < RACE_PROCS; p++)
		if (pids[p] > 0 && (waitpid(pids[p], &st, 0) != pids[p] ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0))
			ok = 0;
	CHECK(ok, "race: four processes claimed 20,000 IDs each");
	for (i = 0; i < RACE_IDS; i++) {
		for (n = 0, p = 0; p < RACE_PROCS; p++)
			n += got[p * RACE_IDS + i] == 1 + NFQD_QCLAIM_TAKEN;
		bad += n > 1;
		owned += n == 1;
	}
	CHECK_UINT_EQ(bad, 0, "race: no ID claimed by two processes");
	CHECK_UINT_EQ(nfqd_qclaim_count(t, NOW), owned,
	    "race: the live claims are the ones a process got");
	CHECK(owned > RACE_IDS * 9 / 10,
	    "race: nearly every ID claimed by one of them");
	munmap(got, RACE_PROCS * RACE_IDS);
	nfqd_qclaim_destroy(t);
}

/*
 * The mapping's header as a worker gone bad rewrites it (every worker
 * maps the table writable): the others, and the master, go on with the
 * table made before the first fork.
 */
static void
test_hostile(void)
{
	static const struct {
		const char	*name;
		uint64_t	 nb, seed;	/* 0: as made */
	} t[] = {
		{ "as made", 0, 0 },
		{ "nb 1", 1, 0 },
		{ "seed changed", 0, 12345 },
	};
	struct nfqd_qclaim_tab	*tab;
	struct nfqd_qclaim_ref	 ref;
	uint64_t		*h;
	size_t			 i;

	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		if (!CHECK((tab = nfqd_qclaim_create(0, 42)) != NULL,
		    unit_fmt("hostile: %s: create", t[i].name)))
			continue;
		nfqd_qclaim_take(tab, a8, 8, NOW, 120, &ref);
		/* magic and nways, then nb, size and seed */
		h = nfqd_qclaim_test_mapping(tab);
		if (t[i].nb != 0)
			h[1] = t[i].nb;
		if (t[i].seed != 0)
			h[3] = t[i].seed;
		CHECK_UINT_EQ(nfqd_qclaim_capacity(tab), NFQD_QCLAIM_MIN,
		    unit_fmt("hostile: %s: capacity as made", t[i].name));
		CHECK_UINT_EQ(nfqd_qclaim_take(tab, a8, 8, NOW + 5, 120,
		    &ref), NFQD_QCLAIM_HELD,
		    unit_fmt("hostile: %s: the claim still held", t[i].name));
		nfqd_qclaim_destroy(tab);
	}
}

/* An 8-byte ID of number i. */
static void
id_of(uint8_t id[8], uint32_t i)
{
	memcpy(id, a8, 8);
	memcpy(id, &i, sizeof(i));
}

/* The pages of the mapping of tab in memory. */
static size_t
resident(struct nfqd_qclaim_tab *tab, uint64_t slots)
{
	static unsigned char	 in[(64u << 20) / 4096];
	size_t			 size = nfqd_qclaim_size(slots), pg, i, n = 0;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	if (!CHECK((size + pg - 1) / pg <= sizeof(in) &&
	    mincore(nfqd_qclaim_test_mapping(tab), size, in) == 0,
	    "sweep: mincore"))
		return 0;
	for (i = 0; i < (size + pg - 1) / pg; i++)
		n += in[i] & 1;
	return n;
}

/*
 * The live claims the master counts: exact as claims are made, refreshed
 * and end; a table of two parts counted one part a call; a table a
 * worker wrote garbage over counted no further than its capacity; pages
 * no claim touched left untouched.
 */
static void
test_sweep(void)
{
	struct nfqd_qclaim_tab	*t;
	struct nfqd_qclaim_ref	 ref;
	uint64_t		 live_n = 0, p0 = 0, slots;
	uint8_t			 id[8];
	uint32_t		 i;
	size_t			 taken = 0, before;
	char			*m;

	if (!CHECK((t = nfqd_qclaim_create(0, 11)) != NULL, "sweep: create"))
		return;
	CHECK_INT_EQ(nfqd_qclaim_sweep(t, NOW, &live_n), 0,
	    "sweep: an empty table");
	CHECK_UINT_EQ(live_n, 0, "sweep: no claim, none live");
	for (i = 0; i < 100; i++) {
		id_of(id, i);
		taken += nfqd_qclaim_take(t, id, 8, NOW, NFQD_QCLAIM_LIFE,
		    &ref) == NFQD_QCLAIM_TAKEN;
	}
	CHECK_UINT_EQ(taken, 100, "sweep: 100 IDs claimed at 0 s");
	nfqd_qclaim_sweep(t, NOW + 10, &live_n);
	CHECK_UINT_EQ(live_n, 100, "sweep: 100 live at 10 s");
	for (i = 100; i < 140; i++) {
		id_of(id, i);
		taken += nfqd_qclaim_take(t, id, 8, NOW + 50,
		    NFQD_QCLAIM_LIFE, &ref) == NFQD_QCLAIM_TAKEN;
	}
	for (i = 0; i < 5; i++) {
		id_of(id, i);
		taken += nfqd_qclaim_take(t, id, 8, NOW + 50,
		    NFQD_QCLAIM_LIFE, &ref) == NFQD_QCLAIM_TAKEN;
	}
	CHECK_UINT_EQ(taken, 140, "sweep: 40 more at 50 s (5 held)");
	nfqd_qclaim_sweep(t, NOW + 60, &live_n);
	CHECK_UINT_EQ(live_n, 140, "sweep: 140 live at 60 s");
	for (i = 0; i < 10; i++) {
		id_of(id, i);
		nfqd_qclaim_refresh(t, id, 8, NOW + 80, NFQD_QCLAIM_LIFE,
		    &ref);
	}
	nfqd_qclaim_sweep(t, NOW + 89, &live_n);
	CHECK_UINT_EQ(live_n, 140, "sweep: 140 live at 89 s");
	nfqd_qclaim_sweep(t, NOW + 90, &live_n);
	CHECK_UINT_EQ(live_n, 50, "sweep: at 90 s the first 100 ended but "
	    "the 10 refreshed at 80 s: 50 live");
	nfqd_qclaim_sweep(t, NOW + 140, &live_n);
	CHECK_UINT_EQ(live_n, 10, "sweep: at 140 s the 10 refreshed");
	nfqd_qclaim_sweep(t, NOW + 170, &live_n);
	CHECK_UINT_EQ(live_n, 0, "sweep: at 170 s none");

	/* A worker's garbage over the whole mapping: every slot looks
	   live, and the header's geometry is no longer the table's. */
	m = nfqd_qclaim_test_mapping(t);
	memset(m, 0x7f, nfqd_qclaim_size(0));
	CHECK_INT_EQ(nfqd_qclaim_sweep(t, NOW, &live_n), 0,
	    "sweep: garbage: counted");
	CHECK_UINT_EQ(live_n, NFQD_QCLAIM_MIN,
	    "sweep: garbage: every slot, never more than the capacity");
	nfqd_qclaim_destroy(t);

	/* Two parts: a call counts one; untouched pages stay untouched. */
	slots = 2 * (uint64_t)NFQD_QCLAIM_PART * NFQD_QCLAIM_WAYS;
	if (!CHECK((t = nfqd_qclaim_create(slots, 12)) != NULL,
	    "sweep: create 2 parts"))
		return;
	CHECK_UINT_EQ(resident(t, slots), 1, "sweep: parts: the header's "
	    "page alone in memory");
	taken = 0;
	for (i = 0; i < 50; i++) {
		id_of(id, i);
		taken += nfqd_qclaim_take(t, id, 8, NOW, NFQD_QCLAIM_LIFE,
		    &ref) == NFQD_QCLAIM_TAKEN;
	}
	CHECK_UINT_EQ(taken, 50, "sweep: parts: 50 claimed");
	before = resident(t, slots);
	nfqd_qclaim_sweep(t, NOW, &p0);
	CHECK(p0 > 0 && p0 < 50, "sweep: parts: the first call counts "
	    "the first part's only");
	nfqd_qclaim_sweep(t, NOW, &live_n);
	CHECK_UINT_EQ(live_n, 50, "sweep: parts: the second, both: 50");
	nfqd_qclaim_sweep(t, NOW + 90, &live_n);
	CHECK_UINT_EQ(live_n, 50 - p0, "sweep: parts: at 90 s the first "
	    "part's ended, the second's as last counted");
	nfqd_qclaim_sweep(t, NOW + 90, &live_n);
	CHECK_UINT_EQ(live_n, 0, "sweep: parts: ... then the second's");
	CHECK_UINT_EQ(resident(t, slots), before, "sweep: parts: no page "
	    "brought in by the counting");
	CHECK(before < nfqd_qclaim_size(slots) / 4096 / 2,
	    "sweep: parts: most pages never touched");
	nfqd_qclaim_destroy(t);
}

int
main(void)
{
	test_claims();
	test_refresh();
	test_full();
	test_sizes();
	test_race();
	test_hostile();
	test_sweep();
	return unit_done();
}
