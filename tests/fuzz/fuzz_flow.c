/*
 * libFuzzer target for the flow table (src/l7/flow.c): a script of
 * operations run against a small table and against a reference model (an
 * array searched linearly), which must agree after every step on what
 * was found, added and released, on the counters and on the flows of
 * each class; and the table's lists, free stack and hash chains must hold
 * together (every entry on exactly one list).
 *
 * Input: 6 bytes of setup, then 3 bytes per operation.
 *   byte 0: entries, 1 + (b & 15); b & 16: an expire hook keeps the
 *	REASM and CLOSING flows of port 1001 (k & 16) in WAIT, as l7.c
 *	keeps a lost flow, and ends the others
 *   bytes 1-5: the timeouts of WAIT, REASM, DECIDED, CLOSING, UDP, in
 *	time units (0: never)
 *   each operation: o, k, d
 *	o & 7: 0, 1 a packet (find, then add in class 1 + (o >> 3) % 5),
 *	       2 find, 3 add if the model holds no such key, 4 touch to
 *	       class o >> 3 (0, 6, 7: out of range), 5 end, 6 expire at
 *	       most d & 15, 7 the clock jumps d * 64
 *	k & 31: the key (of 32: IPv4 or IPv4-mapped IPv6, TCP or UDP, 4
 *	       sources, one of them talking to itself, 2 ports); k & 32: the packet comes from the other
 *	       end; k & 0xc0 == 0xc0: the clock goes back d
 *	d: the clock moves on d (unless it went back)
 *
 *   make fuzz; d=$(mktemp -d); cp -r tests/fuzz/corpus/flow/. $d
 *   build/fuzz/fuzz_flow -max_total_time=60 $d
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/l7/flow.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* In src/l7/flow.c for the tests (proposed for flow.h). */
int	nfqd_flowtab_check(const struct nfqd_flowtab *t,
	    uint32_t count[NFQD_FC_MAX]);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

/* As src/l7/flow.c: expired flows an add ends before it evicts one. */
#define ADD_EXPIRE	8

#define MAXF		16
#define NKEYS		32
#define MAXOPS		4096
#define NOKEY		UINT32_MAX
#define LOG		64

/* The releases of one operation, by the table and by the model. */
static struct nfqd_flow	*got_rel[LOG], *want_rel[LOG];
static unsigned		 ngot, nwant;

/* The hook's choice, by the key's client port and the class. */
static int
keeps(int port1001, uint8_t cls)
{
	return port1001 && (cls == NFQD_FC_REASM || cls == NFQD_FC_CLOSING);
}

static int
hook_cb(void *arg, struct nfqd_flow *f, uint64_t now)
{
	(void)arg;
	(void)now;
	/* Still in its class, past its timeout. */
	ASSERT(f->cls > NFQD_FC_FREE && f->cls < NFQD_FC_MAX);
	return keeps(f->key.port[0] == 1001 || f->key.port[1] == 1001,
	    f->cls) ? NFQD_FC_WAIT : -1;
}

static void
rel_cb(void *arg, struct nfqd_flow *f)
{
	(void)arg;
	/* Off every list before the callback runs. */
	ASSERT(f->cls == NFQD_FC_FREE);
	ASSERT(ngot < LOG);
	got_rel[ngot++] = f;
}

struct mflow {
	uint32_t	 id;		/* key number; NOKEY: unused */
	struct nfqd_flow *f;		/* the table's entry */
	uint8_t		 cls;
	uint64_t	 last;
	uint64_t	 seq;		/* order of adds and touches */
};

static struct {
	struct mflow	 s[MAXF];
	uint32_t	 max, n;
	uint64_t	 seq;
	uint64_t	 tmo[NFQD_FC_MAX];
	int		 hook;		/* the table has hook_cb */
	struct nfqd_flowtab_stats st;
} m;

static int
m_slot(uint32_t id)
{
	uint32_t	i;

	for (i = 0; i < m.max; i++)
		if (m.s[i].id == id)
			return (int)i;
	return -1;
}

static int
m_expired(int i, uint64_t now)
{
	uint64_t	tmo = m.tmo[m.s[i].cls];

	return tmo != 0 && now > m.s[i].last && now - m.s[i].last > tmo;
}

/* Each class's flow touched least recently, or -1. */
static void
m_tails(int tail[NFQD_FC_MAX])
{
	uint32_t	i;
	int		c;

	for (c = 0; c < NFQD_FC_MAX; c++)
		tail[c] = -1;
	for (i = 0; i < m.max; i++) {
		if (m.s[i].id == NOKEY)
			continue;
		c = m.s[i].cls;
		if (tail[c] < 0 || m.s[i].seq < m.s[tail[c]].seq)
			tail[c] = (int)i;
	}
}

static void
m_end(int i)
{
	ASSERT(nwant < LOG);
	want_rel[nwant++] = m.s[i].f;
	m.s[i].id = NOKEY;
	m.n--;
}

/* Flow i past its timeout: kept by the hook (0) or ended (1). */
static int
m_timeout(int i, uint64_t now)
{
	if (m.hook && keeps((m.s[i].id >> 4 & 1) != 0, m.s[i].cls)) {
		m.s[i].cls = NFQD_FC_WAIT;
		m.s[i].last = now;
		m.s[i].seq = ++m.seq;
		m.st.kept++;
		return 0;
	}
	m_end(i);
	m.st.timed_out++;
	return 1;
}

/* A flow kept counts against max as one ended does. */
static unsigned
m_expire(uint64_t now, unsigned max)
{
	int		tail[NFQD_FC_MAX], c;
	unsigned	n = 0, work = 0;

	for (c = NFQD_FC_WAIT; c < NFQD_FC_MAX; c++) {
		while (work < max) {
			m_tails(tail);
			if (tail[c] < 0 || !m_expired(tail[c], now))
				break;
			n += (unsigned)m_timeout(tail[c], now);
			work++;
		}
	}
	return n;
}

static struct nfqd_flow *
m_find(uint32_t id, uint64_t now)
{
	int	i = m_slot(id);

	if (i < 0)
		return NULL;
	if (m_expired(i, now) && m_timeout(i, now))
		return NULL;
	return m.s[i].f;
}

/* Room for one more, made as the table must make it: 0 when none. */
static int
m_room(uint64_t now)
{
	static const int	first[] = {
		NFQD_FC_UDP, NFQD_FC_CLOSING, NFQD_FC_DECIDED
	};
	int			tail[NFQD_FC_MAX], best = -1, i, k;

	if (m.n < m.max)
		return 1;
	m_expire(now, ADD_EXPIRE);
	if (m.n < m.max)
		return 1;
	m_tails(tail);
	for (k = 0; k < 3; k++) {
		i = tail[first[k]];
		if (i >= 0 && (best < 0 || m.s[i].last < m.s[best].last))
			best = i;
	}
	if (best < 0)
		best = tail[NFQD_FC_WAIT];
	if (best < 0) {
		m.st.full++;
		return 0;
	}
	m_end(best);
	m.st.evicted++;
	return 1;
}

static void
m_place(uint32_t id, uint8_t cls, uint64_t now, struct nfqd_flow *f)
{
	int	i = m_slot(NOKEY);

	ASSERT(i >= 0);
	m.s[i].id = id;
	m.s[i].f = f;
	m.s[i].cls = cls;
	m.s[i].last = now;
	m.s[i].seq = ++m.seq;
	m.n++;
	m.st.created++;
}

/*
 * Key k's packet, from one end or the other: IPv4 10.0.0.x or the same
 * address IPv4-mapped, to 10.0.0.9 (or mapped) or, for x = 4, to itself;
 * port 1000 or 1001 to 80.
 */
static void
key_of(uint32_t id, int back, struct nfqd_flow_key *k, int *dir)
{
	uint8_t		s[16] = { 0 }, d[16] = { 0 };
	uint8_t		fam = (id & 1) ? AF_INET6 : AF_INET;
	uint8_t		proto = (id & 2) ? IPPROTO_UDP : IPPROTO_TCP;
	uint16_t	sp = (uint16_t)(1000 + (id >> 4 & 1)), dp = 80;
	int		o = fam == AF_INET6 ? 12 : 0;

	if (fam == AF_INET6)
		s[10] = s[11] = d[10] = d[11] = 0xff;
	s[o] = d[o] = 10;
	s[o + 3] = (uint8_t)(1 + (id >> 2 & 3));
	/* The fourth source talks to itself: only the ports order it. */
	d[o + 3] = (id >> 2 & 3) == 3 ? s[o + 3] : 9;
	if (!back)
		nfqd_flow_key_make(k, fam, proto, s, d, sp, dp, dir);
	else
		nfqd_flow_key_make(k, fam, proto, d, s, dp, sp, dir);
}

/*
 * The application layer's fields are zero in an entry just handed out, up
 * to NFQD_FLOW_L7ZERO bytes of l7data.
 */
static int
fresh(const struct nfqd_flow *f)
{
	const uint8_t	*p = &f->client;
	size_t		 n = offsetof(struct nfqd_flow, l7data) +
			     NFQD_FLOW_L7ZERO -
			     offsetof(struct nfqd_flow, client);

	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

static void
check(const struct nfqd_flowtab *t, struct nfqd_flow_key *keys)
{
	struct nfqd_flowtab_stats	s;
	uint32_t			count[NFQD_FC_MAX];
	uint32_t			want[NFQD_FC_MAX] = { 0 }, i, j;
	unsigned			k;

	ASSERT(nfqd_flowtab_check(t, count) == 0);
	for (i = 0; i < m.max; i++) {
		if (m.s[i].id == NOKEY)
			continue;
		want[m.s[i].cls]++;
		ASSERT(m.s[i].f->cls == m.s[i].cls);
		ASSERT(m.s[i].f->last == m.s[i].last);
		ASSERT(memcmp(&m.s[i].f->key, &keys[m.s[i].id],
		    sizeof(keys[0])) == 0);
		for (j = i + 1; j < m.max; j++)
			ASSERT(m.s[j].id == NOKEY || m.s[j].f != m.s[i].f);
	}
	want[NFQD_FC_FREE] = m.max - m.n;
	ASSERT(memcmp(count, want, sizeof(count)) == 0);
	nfqd_flowtab_stats(t, &s);
	ASSERT(s.active == m.n && s.created == m.st.created &&
	    s.evicted == m.st.evicted && s.timed_out == m.st.timed_out &&
	    s.kept == m.st.kept && s.full == m.st.full);
	ASSERT(ngot == nwant);
	for (k = 0; k < ngot; k++)
		ASSERT(got_rel[k] == want_rel[k]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct nfqd_flowtab_params	 p;
	struct nfqd_flowtab		*t;
	struct nfqd_flow_key		 keys[NKEYS], k;
	struct nfqd_flow		*f, *want;
	uint64_t			 now = 1000;
	uint32_t			 id;
	size_t				 op, nops;
	unsigned			 got, exp;
	int				 c, i, dir, rdir, room;
	uint8_t				 o, kb, d;

	if (size < 6)
		return 0;
	memset(&p, 0, sizeof(p));
	p.max = 1 + (in[0] & 15);
	for (c = NFQD_FC_WAIT; c < NFQD_FC_MAX; c++)
		p.timeout[c] = in[c];
	p.release = rel_cb;
	memset(&m, 0, sizeof(m));
	if (in[0] & 16) {
		p.expire = hook_cb;
		m.hook = 1;
	}
	m.max = p.max;
	for (i = 0; i < MAXF; i++)
		m.s[i].id = NOKEY;
	memcpy(m.tmo, p.timeout, sizeof(m.tmo));
	ASSERT((t = nfqd_flowtab_new(&p)) != NULL);

	/* Both ends give one key; the 32 keys are 32 flows. */
	for (id = 0; id < NKEYS; id++) {
		key_of(id, 0, &keys[id], &dir);
		key_of(id, 1, &k, &rdir);
		ASSERT(memcmp(&k, &keys[id], sizeof(k)) == 0);
		ASSERT(dir + rdir == 1);
		for (i = 0; i < (int)id; i++)
			ASSERT(memcmp(&keys[i], &keys[id], sizeof(k)) != 0);
	}

	nops = (size - 6) / 3;
	if (nops > MAXOPS)
		nops = MAXOPS;
	for (op = 0; op < nops; op++) {
		o = in[6 + op * 3];
		kb = in[6 + op * 3 + 1];
		d = in[6 + op * 3 + 2];
		id = kb & 31;
		key_of(id, (kb >> 5) & 1, &k, &dir);
		if ((kb & 0xc0) == 0xc0)
			now -= d < now ? d : now;
		else
			now += d;
		ngot = nwant = 0;
		switch (o & 7) {
		case 0:
		case 1:
		case 2:
			want = m_find(id, now);
			f = nfqd_flow_find(t, &k, now);
			ASSERT(f == want);
			if (f != NULL || (o & 7) == 2)
				break;
			/* FALLTHROUGH */
		case 3:
			if (m_slot(id) >= 0)
				break;
			c = 1 + (o >> 3) % 5;
			room = m_room(now);
			f = nfqd_flow_add(t, &k, c, now);
			ASSERT((f != NULL) == room);
			if (f == NULL)
				break;
			ASSERT(fresh(f) && f->cls == c && f->last == now);
			ASSERT(memcmp(&f->key, &keys[id], sizeof(k)) == 0);
			m_place(id, (uint8_t)c, now, f);
			/* What the application layer writes. */
			memset(&f->client, 0xa5, sizeof(*f) -
			    offsetof(struct nfqd_flow, client));
			break;
		case 4:
			if ((i = m_slot(id)) < 0)
				break;
			c = o >> 3 & 7;
			nfqd_flow_touch(t, m.s[i].f, c, now);
			if (c > NFQD_FC_FREE && c < NFQD_FC_MAX)
				m.s[i].cls = (uint8_t)c;
			m.s[i].last = now;
			m.s[i].seq = ++m.seq;
			break;
		case 5:
			if ((i = m_slot(id)) < 0)
				break;
			f = m.s[i].f;
			nfqd_flow_end(t, f);
			m_end(i);
			/* A second end is nothing. */
			nfqd_flow_end(t, f);
			break;
		case 6:
			exp = m_expire(now, d & 15);
			got = nfqd_flowtab_expire(t, now, d & 15);
			ASSERT(got == exp);
			break;
		default:
			now += (uint64_t)d * 64;
			break;
		}
		check(t, keys);
	}
	nfqd_flowtab_free(t);
	return 0;
}
