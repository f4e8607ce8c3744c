#!/usr/bin/env python3
"""Write a large mixed nfqd configuration: N rules of addresses, prefixes,
ports, marks, interfaces, rates, and 2% that name a set of names, with the
sets' files beside it.  For timing nfqd -t, a start and a reload:

    tests/tools/bigconf.py -n 200000 -o /tmp/big/nfqd.conf --base 30000
    /usr/bin/time -v build/nfqd -t -c /tmp/big/nfqd.conf

The same N and seed write the same bytes; --salt changes every rule's
name, so a reload of the rewritten file finds every rule changed.
"""
import argparse
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200000, help="rules")
    ap.add_argument("-o", required=True, help="configuration file to write")
    ap.add_argument("--base", type=int, default=30000, help="queue.base")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sets", type=int, default=4, help="name sets")
    ap.add_argument("--set-names", type=int, default=1000,
                    help="names in each set's file")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--salt", default="", help="added to every rule name")
    ap.add_argument("--shm", default=None, help="stats.shm (default: beside -o)")
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    d = os.path.dirname(os.path.abspath(a.o))
    os.makedirs(d, exist_ok=True)
    for s in range(a.sets):
        with open(os.path.join(d, "set%d.txt" % s), "w") as f:
            for i in range(a.set_names):
                f.write("h%d-%d.example%d.test\n" % (i, s, i % 97))
    shm = a.shm or os.path.join(d, "nfqd.shm")
    out = []
    w = out.append
    w("daemon: { pidfile = \"%s\"; log_level = \"info\"; sandbox = false; };"
      % os.path.join(d, "nfqd.pid"))
    w("queue: { balance = \"%d:%d\"; copy_range = \"auto\"; "
      "cpu_affinity = \"none\"; };" % (a.base, a.base + a.workers - 1))
    w("stats: { shm = \"%s\"; };" % shm)
    w("name_sets = (")
    w(",\n".join("  { name = \"s%d\"; file = \"%s\"; }"
                 % (s, os.path.join(d, "set%d.txt" % s))
                 for s in range(a.sets)))
    w(");")
    w("rules = (")
    verdicts = ("accept", "drop", "continue")
    rows = []
    for i in range(a.n):
        k = rnd.randrange(100)
        f = ["name = \"r%s%d\"" % (a.salt, i)]
        if k < 2 and a.sets > 0:
            f.append("server_name = [\"@s%d\", \"x%d.example\"]"
                     % (rnd.randrange(a.sets), i))
            f.append("verdict = \"drop\"")
        else:
            if k % 3 == 0:
                f.append("src = [\"10.%d.%d.0/24\", \"!10.%d.%d.7\"]" % (
                    i >> 16 & 255, i >> 8 & 255, i >> 16 & 255, i >> 8 & 255))
                if k % 5 == 0:
                    f.append("family = \"ipv4\"")
            elif k % 5 == 0:
                f.append("dst = \"fd00:%x::/48\"" % (i & 0xffff))
            else:
                f.append("dst = \"%d.%d.%d.%d\"" % (
                    172, 16 + (i >> 16 & 15), i >> 8 & 255, i & 255))
            if k % 4 != 3:
                f.append("proto = \"%s\"" % ("tcp" if k & 1 else "udp"))
                f.append("dst_port = (%d, \"%d-%d\")" % (
                    1 + i % 60000, 1000 + k, 2000 + k))
            if k % 7 == 0:
                f.append("match_mark = \"0x%x/0xff\"" % (i & 0xff))
            if k % 9 == 0:
                f.append("in_iface = \"lo\"")
            elif k % 11 == 0:
                f.append("out_iface = \"eth+\"")
            if k % 13 == 0:
                f.append("rate = \"%d/s\"" % (10 + k))
            v = verdicts[k % 3]
            f.append("verdict = \"%s\"" % v)
            if v == "accept" and k % 2 == 0:
                f.append("mark = %d" % (1 + (i & 0xffff)))
        rows.append("  { " + "; ".join(f) + "; }")
    w(",\n".join(rows))
    w(");")
    tmp = a.o + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.rename(tmp, a.o)


if __name__ == "__main__":
    main()
