#!/usr/bin/env python3
"""Differential check of nfqd's JA4 against FoxIO's expected outputs.

    tests/tools/ja4diff.py FOXIO_JA4_DIR [L7DUMP]

Each capture in FOXIO_JA4_DIR/pcap (converted to classic pcap with
editcap, as l7dump reads only that) goes through l7dump -j, nfqd's own
flow table, reassembly and parsers; the JA4 of each TCP stream's first
ClientHello is compared with python/test/testdata/FILE.json ("JA4.1")
and rust/ja4/src/snapshots/ja4__insta@FILE.snap ("ja4").  One line per
stream: SAME, DIFFERS (with both), NOT READ (no tls line from l7dump for that
stream: a link type l7dump does not read, or a stream that starts with
something else, such as SOCKS or HTTP CONNECT), or the references'
disagreement; the
ALPN "99" the references print for non-alphanumeric ends is reported as
ALPN-99 (JA4.md asks for hex digits there).  Exit 1 on a DIFFERS.
"""
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ja4vectors import py_expect, rust_expect  # noqa: E402


def main():
    top = sys.argv[1]
    l7dump = sys.argv[2] if len(sys.argv) > 2 else "build/tools/l7dump"
    differs = same = 0
    with tempfile.TemporaryDirectory() as tmp:
        for pcap in sorted(glob.glob(os.path.join(top, "pcap", "*"))):
            name = os.path.basename(pcap)
            conv = os.path.join(tmp, name + ".pcap")
            if subprocess.run(["editcap", "-F", "pcap", pcap, conv],
                              capture_output=True).returncode != 0:
                continue
            streams = {}
            r = subprocess.run(["tshark", "-r", conv, "-T", "fields", "-e",
                                "frame.number", "-e", "tcp.stream"],
                               capture_output=True, text=True)
            for line in r.stdout.splitlines():
                f = line.split("\t")
                if len(f) == 2 and f[1]:
                    streams[int(f[0])] = int(f[1])
            r = subprocess.run([l7dump, "-j", conv], capture_output=True,
                               text=True)
            ours = {}
            for line in r.stdout.splitlines():
                f = line.split("\t")
                if len(f) == 5 and f[1] == "tls":
                    ours.setdefault(streams.get(int(f[0])), f[4])
            py = py_expect(os.path.join(top, "python/test/testdata",
                                        name + ".json"))
            rs = rust_expect(os.path.join(top, "rust/ja4/src/snapshots",
                                          "ja4__insta@" + name + ".snap"))
            for s in sorted(set(py) | set(rs) | set(ours),
                            key=lambda x: -1 if x is None else x):
                got, p, q = ours.get(s), py.get(s), rs.get(s)
                want = p or q
                if p and q and p != q:
                    what = "REFERENCES DIFFER (python %s, rust %s)" % (p, q)
                elif got == want:
                    what = "SAME"
                    same += 1
                elif got is None:
                    what = "NOT READ by nfqd (l7dump: link type, or the " \
                        "stream does not start with the hello)"
                elif want and want[8:10] == "99" and \
                        got[:8] + got[10:] == want[:8] + want[10:]:
                    what = "ALPN-99 (ours %s)" % got
                else:
                    what = "DIFFERS (ours %s, expected %s)" % (got, want)
                    differs += 1
                print("%s stream %s: %s %s" % (name, s, want, what))
    print("ja4diff: %d same, %d differ" % (same, differs))
    return 1 if differs else 0


sys.exit(main())
