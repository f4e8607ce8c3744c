#!/usr/bin/python3
"""JA4 of the first ClientHello in a capture, from tshark 4.0's fields
(Wireshark has no JA4 field before 4.2): an implementation of JA4.md
apart from nfqd's, for tests/net/test_ja4.sh to compare l7dump with.

    ja4tshark.py FILE.pcap

Prints the fingerprint, or fails when the hello holds delegated_credentials
(34): tshark's sig_hash_alg field then mixes its algorithms with those of
signature_algorithms (FoxIO's issue 41) and this script cannot tell them
apart.
"""
import hashlib
import subprocess
import sys

F = ["tls.handshake.version", "tls.handshake.ciphersuite",
     "tls.handshake.extension.type",
     "tls.handshake.extensions.supported_version",
     "tls.handshake.sig_hash_alg", "tls.handshake.extensions_alpn_str",
     "tls.handshake.extensions_server_name"]


def grease(v):
    return v & 0x0f0f == 0x0a0a and v >> 8 == v & 0xff


def vals(s, base=16):
    return [int(x, base) for x in s.split(",") if x != ""]


def h12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "0" * 12


def main():
    cmd = ["tshark", "-r", sys.argv[1], "-Y", "tls.handshake.type == 1",
           "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in F:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = out.stdout.splitlines()[0].split("\t")
    legacy = int(line[0], 16)
    ciphers = [v for v in vals(line[1]) if not grease(v)]
    exts = [v for v in vals(line[2], 10) if not grease(v)]
    if 34 in exts:
        sys.exit("ja4tshark: delegated_credentials: cannot tell its "
                 "algorithms from signature_algorithms'")
    svs = [v for v in vals(line[3]) if not grease(v)]
    sigs = [v for v in vals(line[4]) if not grease(v)]
    alpn = line[5].split(",")[0] if line[5] else ""
    if 43 in exts:
        version = max(svs) if svs else 0
    else:
        version = legacy
    vs = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10",
          0x0300: "s3", 0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2",
          0xfefc: "d3"}.get(version, "00")
    if not alpn:
        a = "00"
    elif alpn[0].isascii() and alpn[0].isalnum() and \
            alpn[-1].isascii() and alpn[-1].isalnum():
        a = alpn[0] + alpn[-1]
    else:
        raw = alpn.encode("latin-1")
        a = "%x" % (raw[0] >> 4) + "%x" % (raw[-1] & 0xf)
    part_a = "t%s%s%02d%02d%s" % (vs, "d" if 0 in exts else "i",
                                  min(len(ciphers), 99), min(len(exts), 99),
                                  a)
    b = h12(",".join("%04x" % v for v in sorted(ciphers)))
    c = ",".join("%04x" % v for v in sorted(e for e in exts
                                              if e not in (0, 16)))
    if sigs:
        c += "_" + ",".join("%04x" % v for v in sigs)
    print("%s_%s_%s" % (part_a, b, h12(c)))


main()
