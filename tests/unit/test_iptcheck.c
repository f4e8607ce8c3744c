/*
 * Unit tests for the iptables-save line parser of src/iptcheck.c.
 */
#include <string.h>

#include "nfqd/iptcheck.h"
#include "unit.h"

static void
rule(const char *name, const char *line, int want, unsigned first,
    unsigned last, int bypass, int fanout, const char *chain)
{
	struct nfqd_nfqrule	r;
	int			got;

	got = nfqd_nfqrule_parse(line, "mangle", &r);
	CHECK_INT_EQ(got, want, unit_fmt("%s: recognised", name));
	if (got != 1 || want != 1)
		return;
	CHECK_UINT_EQ(r.first, first, unit_fmt("%s: first queue", name));
	CHECK_UINT_EQ(r.last, last, unit_fmt("%s: last queue", name));
	CHECK_INT_EQ(r.bypass, bypass, unit_fmt("%s: bypass", name));
	CHECK_INT_EQ(r.fanout, fanout, unit_fmt("%s: fanout", name));
	CHECK_STR_EQ(r.chain, chain, unit_fmt("%s: chain", name));
	CHECK_STR_EQ(r.table, "mangle", unit_fmt("%s: table", name));
}

int
main(void)
{
	rule("balance, fanout, bypass", "-A PREROUTING -p udp -m udp --dport "
	    "9999 -j NFQUEUE --queue-balance 0:3 --queue-bypass "
	    "--queue-cpu-fanout\n", 1, 0, 3, 1, 1, "PREROUTING");
	rule("queue-num", "-A INPUT -j NFQUEUE --queue-num 7", 1, 7, 7, 0, 0,
	    "INPUT");
	rule("no number: queue 0", "-A FORWARD -i eth0 -j NFQUEUE", 1, 0, 0,
	    0, 0, "FORWARD");
	rule("bypass only", "-A nfqd-in -j NFQUEUE --queue-bypass", 1, 0, 0,
	    1, 0, "nfqd-in");
	rule("another target", "-A INPUT -p tcp -j ACCEPT", 0, 0, 0, 0, 0, "");
	rule("NFQUEUE in a comment is not a rule", "-A INPUT -m comment "
	    "--comment \"see -j NFQUEUE docs\" -j ACCEPT", 0, 0, 0, 0, 0, "");
	rule("a chain declaration", ":PREROUTING ACCEPT [0:0]", 0, 0, 0, 0, 0,
	    "");
	rule("a table line", "*mangle", 0, 0, 0, 0, 0, "");
	rule("queue numbers past 65535 are clamped", "-A INPUT -j NFQUEUE "
	    "--queue-balance 65530:70000", 1, 65530, 65535, 0, 0, "INPUT");
	return unit_done();
}
