#!/usr/bin/python3
"""Evasion table for nfqd (tests/net/test_evasion.sh).

Packet shapes that try to carry a datagram past a drop rule (fragments,
IPv4 options, AH, long IPv6 extension header chains, IPv6 UDP with a length
of 0), each sent to ports the
rules drop and to ports they allow, and judged against what the kernel
itself delivers with no queue at all.

  evasion.py build CASES
      build the table (needs scapy) and pickle it to CASES
  evasion.py run CASES SENDER RECEIVER RUN OUT
      send every case as raw frames on veth0 in namespace SENDER, record
      which datagrams the IP layer of namespace RECEIVER delivers, write
      OUT (JSON); RUN (0-15) keeps fragment ids of different runs apart
  evasion.py judge CASES REFERENCE [control:]LABEL=COPY=RESULT...
      one PASS/FAIL line per class and configuration, failing cases, and a
      summary table; a control (nfqd without rules) must deliver exactly
      what the reference does
  evasion.py which CASES RESULT K
      the K-th packet (from 1) a run sent, in words

Always run it with /usr/bin/python3 (Debian's python3-scapy); "run" and
"judge" need only the standard library, so they start fast.

Delivery is seen after netfilter and reassembly: a raw socket of protocol
TCP or UDP in the receiver gets every TCP or UDP datagram the IP layer
delivers locally, reassembled (IPv4: ip_local_deliver reassembles before
INPUT; IPv6: the fragment header is processed, and the datagram
reassembled, among the extension headers after INPUT), and nothing else.
The case number is the source port.
"""

import ctypes
import fcntl
import json
import os
import pickle
import select
import socket
import struct
import sys
import time

SRC = {4: {"main": "10.77.0.1", "src66": "10.77.0.66"},
       6: {"main": "fd77::1", "src66": "fd77::66"}}
DST = {4: "10.77.0.2", 6: "fd77::2"}
AF = {4: socket.AF_INET, 6: socket.AF_INET6}
# DSCP 8 (CS1) on every packet of the test: the receiver counts exactly
# these with "-m dscp --dscp 8", whatever else (neighbour discovery, MLD)
# arrives on the link.
TOS = 0x20
TCP, UDP = 6, 17
PROTO_NAME = {TCP: "tcp", UDP: "udp"}
# Every transport segment is 64 bytes: a TCP SYN with 44 bytes of data or
# a UDP datagram with 56, so a first fragment of up to 40 bytes leaves
# at least one more.
L4LEN = 64
SPORT0 = 20000          # case n has source port SPORT0 + n
MARKER_SPORT = 19999
ALLOWED_PORT = 5555

# name, protocol, source, destination port, the rule that blocks it
TARGETS = [
    ("tcp2323", TCP, "main", 2323, "tcp2323"),
    ("udp7777", UDP, "main", 7777, "udp7777"),
    ("tcp66", TCP, "src66", ALLOWED_PORT, "src66"),
    ("udp66", UDP, "src66", ALLOWED_PORT, "src66"),
    ("tcp5555", TCP, "main", ALLOWED_PORT, None),
    ("udp5555", UDP, "main", ALLOWED_PORT, None),
]

IPV6_CHAIN_MAX = 40
# nfqd walks at most this many IPv6 extension headers (NFQD_PKT_MAX_EXT);
# past it, a packet the rules need the transport header of gets
# header_chain_verdict ("drop").  Chains around it are sent too.
NFQD_MAX_EXT = 64
LONG_CHAINS = range(60, 71)
V4_FIRST_FRAG = (8, 16, 24, 32, 40)
RFC7112_CUT = {  # where a first fragment of this many bytes ends
    8: "inside the first options header",
    16: "between the options headers",
    24: "inside the second options header",
    32: "before the transport header",
    40: "8 bytes into the transport header",
}
RFC7112_SPLITS = tuple(sorted(RFC7112_CUT))
BATCH = 256             # packets sent before each marker
MARKER_WAIT = 10.0      # seconds a marker may take to arrive
# Fragment ids: IPv4 ids of run r are base + r * V4_ID_STRIDE (16 bits);
# IPv6 ids are base | r << 24.  Fragments a drop left behind wait in the
# receiver's reassembly queues for 30 s (IPv4) or 60 s (IPv6): the next run
# must never complete them.
V4_ID_STRIDE = 4096
MAX_RUNS = 16


def die(msg):
    sys.stderr.write("evasion.py: %s\n" % msg)
    sys.exit(2)


def csum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def addr(family, a):
    return socket.inet_pton(AF[family], a)


# ---------------------------------------------------------------- build

def l4_segment(family, proto, src, dst, sport, dport, n):
    """The transport segment of case n, checksum over the pseudo header."""
    tag = b"nfqd evasion case %05d " % n
    if proto == TCP:
        hdr = struct.pack("!HHIIBBHHH", sport, dport, n, 0, 5 << 4, 0x02,
                          8192, 0, 0)
    else:
        hdr = struct.pack("!HHHH", sport, dport, L4LEN, 0)
    body = (tag * (L4LEN // len(tag) + 1))[:L4LEN - len(hdr)]
    seg = hdr + body
    if family == 4:
        pseudo = addr(4, src) + addr(4, dst) + struct.pack("!BBH", 0, proto,
                                                           L4LEN)
    else:
        pseudo = addr(6, src) + addr(6, dst) + struct.pack("!IxxxB", L4LEN,
                                                           proto)
    c = csum(pseudo + seg)
    if proto == UDP and c == 0:
        c = 0xffff
    off = 16 if proto == TCP else 6
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def ip4_header(src, dst, proto, paylen, ident, frag_units=0, mf=False,
               opts=b""):
    assert len(opts) % 4 == 0 and len(opts) <= 40
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, TOS, ihl * 4 + paylen,
                    ident, (0x2000 if mf else 0) | frag_units, 64, proto, 0,
                    addr(4, src), addr(4, dst)) + opts
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def ip6_header(src, dst, nh, paylen):
    return struct.pack("!IHBB16s16s", 0x60000000 | TOS << 20, paylen, nh, 64,
                       addr(6, src), addr(6, dst))


class Builder:
    """Collects cases.  A case: one datagram, sent as one or more packets."""

    def __init__(self, scapy):
        self.sc = scapy
        self.cases = []
        self.classes = []
        self.v4_ids = 0
        self.ext = self._ext_templates()

    def _ext_templates(self):
        sc = self.sc
        pad = [sc.PadN(optdata=b"\0" * 4)]
        t = {
            # kind: (header number, 8 bytes or more, next header at [0])
            "hbh": (0, bytes(sc.IPv6ExtHdrHopByHop(options=pad))),
            "rthdr": (43, bytes(sc.IPv6ExtHdrRouting(type=0, segleft=0))),
            "dstopts": (60, bytes(sc.IPv6ExtHdrDestOpt(options=pad))),
            "ah": (51, bytes(sc.AH(payloadlen=2, spi=0x100, seq=1,
                                   icv=b"\0" * 4))),
            "frag": (44, bytes(sc.IPv6ExtHdrFragment(offset=0, m=0, id=1))),
        }
        for kind, (nh, b) in t.items():
            assert len(b) % 8 == 0, kind
        return t

    def add_class(self, name):
        assert name not in self.classes
        self.classes.append(name)

    def targets(self, family):
        for name, proto, src, dport, rule in TARGETS:
            yield name, proto, SRC[family][src], dport, rule

    def case(self, cls, param, family, target, packets, ports_at, l4,
             detail, l4_first=L4LEN, nexts=0):
        """ports_at: where the transport header starts in the packet that
        holds its first bytes (None: that packet does not hold the ports);
        l4_first: transport bytes in that packet; nexts: headers between
        the IP header and the transport header there."""
        name, proto, src, dport, rule = target
        n = len(self.cases)
        self.cases.append({
            "n": n, "cls": cls, "param": param, "family": family,
            "target": name, "proto": proto, "src": src, "dport": dport,
            "rule": rule, "packets": packets, "ports_at": ports_at,
            "l4": l4, "detail": detail, "l4_first": l4_first,
            "nexts": nexts,
        })

    def next_case_l4(self, family, target):
        name, proto, src, dport, rule = target
        n = len(self.cases)
        return l4_segment(family, proto, src, DST[family], SPORT0 + n, dport,
                          n)

    def v4_id(self):
        """A fresh IPv4 id for a fragmented case (patched per run)."""
        self.v4_ids += 1
        assert self.v4_ids < V4_ID_STRIDE
        return self.v4_ids

    # IPv4 -------------------------------------------------------------

    def ipv4_plain(self):
        cls = "ipv4 plain"
        self.add_class(cls)
        for t in self.targets(4):
            l4 = self.next_case_l4(4, t)
            pkt = ip4_header(t[2], DST[4], t[1], len(l4), 1) + l4
            self.case(cls, 0, 4, t, [(pkt, None)], 20, l4, "plain")

    def ipv4_fragments(self):
        for first in V4_FIRST_FRAG:
            for order in ("in order", "reversed"):
                cls = "ipv4 first fragment %d bytes, %s" % (first, order)
                self.add_class(cls)
                for t in self.targets(4):
                    l4 = self.next_case_l4(4, t)
                    ident = self.v4_id()
                    cuts = [0, first, first + 16, L4LEN]
                    pkts = []
                    for a, b in zip(cuts, cuts[1:]):
                        h = ip4_header(t[2], DST[4], t[1], b - a, ident,
                                       a // 8, b < L4LEN)
                        pkts.append((h + l4[a:b], ("v4", 4, ident)))
                    if order == "reversed":
                        pkts.reverse()
                    self.case(cls, first, 4, t, pkts, 20, l4,
                              "fragments %s" % "+".join(
                                  str(b - a) for a, b in zip(cuts, cuts[1:])),
                              l4_first=first)

    def ipv4_options(self):
        sc = self.sc
        shapes = []
        for words in range(1, 11):
            shapes.append(("nop", 20 + 4 * words, b"\x01" * (4 * words)))
        for slots in range(1, 10):
            o = bytes(sc.IP(options=[sc.IPOption_RR(
                routers=["0.0.0.0"] * slots)]))[20:]
            shapes.append(("record-route", 20 + len(o), o))
        for kind in ("nop", "record-route"):
            lens = [h for k, h, o in shapes if k == kind]
            cls = "ipv4 options %s, header %d..%d" % (kind, min(lens),
                                                      max(lens))
            self.add_class(cls)
            for k, hlen, opts in shapes:
                if k != kind:
                    continue
                for t in self.targets(4):
                    l4 = self.next_case_l4(4, t)
                    pkt = ip4_header(t[2], DST[4], t[1], len(l4), 1,
                                     opts=opts) + l4
                    self.case(cls, hlen, 4, t, [(pkt, None)], hlen, l4,
                              "header %d bytes" % hlen)

    def ipv4_ah(self):
        cls = "ipv4 ah"
        self.add_class(cls)
        ah = bytearray(self.ext["ah"][1])
        for t in self.targets(4):
            l4 = self.next_case_l4(4, t)
            ah[0] = t[1]
            pay = bytes(ah) + l4
            pkt = ip4_header(t[2], DST[4], 51, len(pay), 1) + pay
            self.case(cls, 0, 4, t, [(pkt, None)], 20 + len(ah), l4, "ah",
                      nexts=1)

    # IPv6 -------------------------------------------------------------

    def chain(self, kinds, last_nh):
        """Extension headers of the given kinds; returns (first nh, bytes)."""
        out = b""
        nhs = [self.ext[k][0] for k in kinds] + [last_nh]
        for i, k in enumerate(kinds):
            h = bytearray(self.ext[k][1])
            h[0] = nhs[i + 1]
            out += bytes(h)
        return nhs[0], out

    def ipv6_plain(self):
        cls = "ipv6 plain"
        self.add_class(cls)
        for t in self.targets(6):
            l4 = self.next_case_l4(6, t)
            pkt = ip6_header(t[2], DST[6], t[1], len(l4)) + l4
            self.case(cls, 0, 6, t, [(pkt, None)], 40, l4, "plain")

    def ipv6_udp_len0(self):
        """UDP over IPv6 with a length field of 0: Linux's
        __udp6_lib_rcv() takes it as the rest of the datagram (the
        jumbogram rule, at any size), so it reaches the socket."""
        cls = "ipv6 udp length 0"
        self.add_class(cls)
        for t in self.targets(6):
            if t[1] != UDP:
                continue
            seg = bytearray(self.next_case_l4(6, t))
            seg[4:8] = b"\0\0\0\0"
            pseudo = addr(6, t[2]) + addr(6, DST[6]) + \
                struct.pack("!IxxxB", L4LEN, UDP)
            c = csum(pseudo + bytes(seg)) or 0xffff
            seg[6:8] = struct.pack("!H", c)
            pkt = ip6_header(t[2], DST[6], UDP, L4LEN) + bytes(seg)
            self.case(cls, 0, 6, t, [(pkt, None)], 40, bytes(seg),
                      "udp length 0")

    def ipv6_chains(self):
        for kind in ("hbh", "rthdr", "dstopts", "ah", "frag"):
            label = kind if kind != "frag" else "frag (atomic)"
            variants = [("", None)]
            for where in ("after", "before"):
                for order in ("in order", "reversed"):
                    variants.append((", fragmented %s the chain, %s" %
                                     (where, order), (where, order)))
            for suffix, frag in variants:
                cls = "ipv6 %s x1..%d%s" % (label, IPV6_CHAIN_MAX, suffix)
                self.add_class(cls)
                for n in range(1, IPV6_CHAIN_MAX + 1):
                    for t in self.targets(6):
                        self.ipv6_chain_case(cls, kind, n, frag, t)

    def ipv6_long_chains(self):
        cls = "ipv6 dstopts x%d..%d" % (LONG_CHAINS[0], LONG_CHAINS[-1])
        self.add_class(cls)
        for n in LONG_CHAINS:
            for t in self.targets(6):
                self.ipv6_chain_case(cls, "dstopts", n, None, t)

    def ipv6_chain_case(self, cls, kind, n, frag, t):
        l4 = self.next_case_l4(6, t)
        src, proto = t[2], t[1]
        if frag is None:
            nh, ch = self.chain([kind] * n, proto)
            pkt = ip6_header(src, DST[6], nh, len(ch) + len(l4)) + ch + l4
            self.case(cls, n, 6, t, [(pkt, None)], 40 + len(ch), l4,
                      "%d x %s" % (n, kind), nexts=n)
            return
        # A real fragment header and the datagram in two, the whole
        # transport header (and 12 more bytes) in the first fragment.
        # After the chain: the chain is per-fragment (unfragmentable) and
        # repeated in both.  Before it (where RFC 8200 puts destination
        # options and AH): the chain is fragmentable, in the first only.
        where, order = frag
        ident = len(self.cases) + 1
        if where == "after":
            nh, ch = self.chain([kind] * n, 44)
            fnh, unfrag, fragable = proto, ch, l4
        else:
            fnh, ch = self.chain([kind] * n, proto)
            nh, unfrag, fragable = 44, b"", ch + l4
        cut = len(fragable) - 32
        pkts = []
        for a, b in ((0, cut), (cut, len(fragable))):
            fh = struct.pack("!BxHI", fnh, (a // 8) << 3 |
                             (b < len(fragable)), ident)
            body = unfrag + fh + fragable[a:b]
            pkts.append((ip6_header(src, DST[6], nh, len(body)) + body,
                         ("v6", 40 + len(unfrag) + 4, ident)))
        if order == "reversed":
            pkts.reverse()
        self.case(cls, n, 6, t, pkts, 40 + len(ch) + 8, l4,
                  "%d x %s, fragment header %s them, %d+32" %
                  (n, kind, where, cut), l4_first=32, nexts=n + 1)

    def ipv6_rfc7112(self):
        """First fragments without the whole chain and transport header.

        IPv6, fragment header, two 16-byte destination options headers and
        the segment: the fragmentable part (96 bytes) is cut after 8..40
        bytes, inside the first options header, between them, inside the
        second, right before the transport header, and 8 bytes into it.
        """
        sc = self.sc
        # 16 bytes: an unknown option the receiver skips (type 0x1e: the
        # two high bits 00) and padding; the kernel refuses PadN over 7
        # bytes (RFC 4942 2.1.9.5).
        do16 = bytes(sc.IPv6ExtHdrDestOpt(options=[
            sc.HBHOptUnknown(otype=0x1e, optdata=b"\0" * 6),
            sc.PadN(optdata=b"\0" * 4)]))
        assert len(do16) == 16
        for order in ("in order", "reversed"):
            cls = "ipv6 header chain split over fragments (RFC 7112), %s" \
                % order
            self.add_class(cls)
            for split in RFC7112_SPLITS:
                for t in self.targets(6):
                    l4 = self.next_case_l4(6, t)
                    src, proto = t[2], t[1]
                    d1, d2 = bytearray(do16), bytearray(do16)
                    d1[0], d2[0] = 60, proto
                    frag = bytes(d1) + bytes(d2) + l4
                    ident = len(self.cases) + 1
                    pkts = []
                    for a, b in ((0, split), (split, len(frag))):
                        fh = struct.pack("!BxHI", 60, (a // 8) << 3 |
                                         (b < len(frag)), ident)
                        body = fh + frag[a:b]
                        pkts.append((ip6_header(src, DST[6], 44, len(body)) +
                                     body, ("v6", 44, ident)))
                    if order == "reversed":
                        pkts.reverse()
                    # The ports are in the first fragment only when it
                    # holds the 4 bytes after the two options headers.
                    ports_at = 48 + 32 if split >= 32 + 4 else None
                    self.case(cls, split, 6, t, pkts, ports_at, l4,
                              "first fragment %d of %d bytes: %s" %
                              (split, len(frag), RFC7112_CUT[split]),
                              l4_first=max(0, split - 32),
                              nexts=1 + min(split, 32) // 16)

    def check_with_scapy(self):
        """Dissect a sample of the datagrams with scapy: the ports and the
        transport checksum are what scapy reads and computes."""
        sc = self.sc
        checked = 0
        firsts = {}
        for c in self.cases:
            firsts.setdefault((c["cls"], c["target"]), c)
        sample = set(c["n"] for c in self.cases[::11])
        sample |= set(c["n"] for c in firsts.values())
        for c in (self.cases[n] for n in sorted(sample)):
            if c["cls"] == "ipv6 udp length 0":
                # scapy cuts the payload at the length field (0 - 8
                # bytes) and sums the rest; the kernel sums the whole.
                continue
            top = sc.IP if c["family"] == 4 else sc.IPv6
            l4cls = sc.TCP if c["proto"] == TCP else sc.UDP
            p = top(reassemble(c))
            if l4cls not in p:
                if " ah" in c["cls"]:
                    continue    # scapy does not decode what follows AH
                die("case %d: scapy finds no transport header" % c["n"])
            if (p[l4cls].sport, p[l4cls].dport) != (SPORT0 + c["n"],
                                                    c["dport"]):
                die("case %d: scapy reads other ports" % c["n"])
            want = p[l4cls].chksum
            del p[l4cls].chksum
            got = top(bytes(p))[l4cls].chksum
            if got != want:
                die("case %d: checksum %#x, scapy computes %#x" %
                    (c["n"], want, got))
            checked += 1
        return checked


def reassemble(c):
    """The datagram the packets of case c make: for the scapy check."""
    pk = [p for p, fix in c["packets"]]
    if len(pk) == 1:
        return pk[0]
    if c["family"] == 4:
        parts = sorted((struct.unpack("!H", p[6:8])[0] & 0x1fff, p)
                       for p in pk)
        first = parts[0][1]
        ihl = (first[0] & 15) * 4
        body = b"".join(p[(p[0] & 15) * 4:] for _, p in parts)
        h = bytearray(first[:ihl])
        struct.pack_into("!HH", h, 2, ihl + len(body), 0)
        h[10:12] = b"\0\0"
        h[10:12] = struct.pack("!H", csum(bytes(h)))
        return bytes(h) + body
    offs = [fix[1] for p, fix in c["packets"]]
    parts = sorted((struct.unpack("!H", p[o - 2:o])[0] >> 3, p, o)
                   for (p, _), o in zip(c["packets"], offs))
    first, fo = parts[0][1], parts[0][2]
    unfrag = bytearray(first[:fo - 4])
    body = b"".join(p[o + 4:] for _, p, o in parts)
    # The header before the fragment header takes over its next header.
    nh = first[fo - 4]
    if fo - 4 == 40:
        unfrag[6] = nh
    else:
        prev, off, cur = 40, 40, unfrag[6]
        while off < fo - 4:
            prev = off
            ln = 8 if cur == 44 else ((unfrag[off + 1] + 2) * 4 if cur == 51
                                      else (unfrag[off + 1] + 1) * 8)
            cur = unfrag[off]
            off += ln
        unfrag[prev] = nh
    struct.pack_into("!H", unfrag, 4, len(unfrag) - 40 + len(body))
    return bytes(unfrag) + body


def cmd_build(out):
    try:
        import scapy.all as scapy
    except ImportError:
        die("scapy is missing: apt-get install python3-scapy")
    b = Builder(scapy)
    b.ipv4_plain()
    b.ipv4_fragments()
    b.ipv4_options()
    b.ipv4_ah()
    b.ipv6_plain()
    b.ipv6_udp_len0()
    b.ipv6_chains()
    b.ipv6_long_chains()
    b.ipv6_rfc7112()
    # Cross-check the hand-assembled headers against scapy's.
    for fam, t in ((4, TARGETS[0]), (6, TARGETS[1])):
        c = next(c for c in b.cases if c["family"] == fam and
                 c["target"] == t[0])
        src = c["src"]
        if fam == 4:
            ref = scapy.IP(src=src, dst=DST[4], tos=TOS, id=1, ttl=64)
        else:
            ref = scapy.IPv6(src=src, dst=DST[6], tc=TOS, hlim=64)
        if t[1] == TCP:
            ref = ref / scapy.TCP(sport=SPORT0 + c["n"], dport=t[3],
                                  seq=c["n"], flags="S", window=8192)
        else:
            ref = ref / scapy.UDP(sport=SPORT0 + c["n"], dport=t[3])
        ref = ref / scapy.Raw(c["l4"][20 if t[1] == TCP else 8:])
        if bytes(ref) != c["packets"][0][0]:
            die("family %d: packet differs from scapy's:\n %s\n %s" %
                (fam, bytes(ref).hex(), c["packets"][0][0].hex()))
    checked = b.check_with_scapy()
    if len(b.cases) + SPORT0 > 65535:
        die("too many cases for one source port each")
    with open(out, "wb") as f:
        pickle.dump({"classes": b.classes, "cases": b.cases}, f)
    npk = sum(len(c["packets"]) for c in b.cases)
    print("%d cases, %d packets, %d classes (%d dissected by scapy)" %
          (len(b.cases), npk, len(b.classes), checked))


# ---------------------------------------------------------------- run

CLONE_NEWNET = 0x40000000
SIOCGIFHWADDR = 0x8927
ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD


def setns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            die("setns(%s): %s" % (name, os.strerror(e)))
    finally:
        os.close(fd)


def patch(pkt, fix, run):
    if fix is None:
        return pkt
    kind, off, base = fix
    b = bytearray(pkt)
    if kind == "v4":
        struct.pack_into("!H", b, 4, base + run * V4_ID_STRIDE)
        ihl = (b[0] & 15) * 4
        b[10:12] = b"\0\0"
        b[10:12] = struct.pack("!H", csum(bytes(b[:ihl])))
    else:
        struct.pack_into("!I", b, off, base | run << 24)
    return bytes(b)


def marker(run, batch):
    body = b"nfqd evasion marker %d %d" % (run, batch)
    l4 = struct.pack("!HHHH", MARKER_SPORT, ALLOWED_PORT, 8 + len(body), 0)
    l4 += body
    src, dst = SRC[4]["main"], DST[4]
    c = csum(addr(4, src) + addr(4, dst) + struct.pack("!BBH", 0, UDP,
                                                       len(l4)) + l4) or 0xffff
    l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
    return ip4_header(src, dst, UDP, len(l4), 1) + l4


def cmd_run(cases_file, sender, receiver, run, out):
    run = int(run)
    if not 0 <= run < MAX_RUNS:
        die("RUN must be 0..%d" % (MAX_RUNS - 1))
    with open(cases_file, "rb") as f:
        table = pickle.load(f)
    cases = table["cases"]
    by_port = {(c["family"], c["proto"], SPORT0 + c["n"]): c for c in cases}
    # One CPU: over veth the receive side runs on the sender's CPU, in the
    # order sent; two CPUs' backlogs could reorder a marker and the cases
    # before it.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    setns(receiver)
    rx = []
    for fam in (4, 6):
        for proto in (TCP, UDP):
            s = socket.socket(AF[fam], socket.SOCK_RAW, proto)
            s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE
            s.setblocking(False)
            rx.append((s, fam, proto))
    q = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mac = fcntl.ioctl(q.fileno(), SIOCGIFHWADDR,
                      struct.pack("256s", b"veth1"))[18:24]
    q.close()
    setns(sender)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
    ifname = "veth0"

    delivered = {}
    anomalies = []
    sent = {4: 0, 6: 0}
    poller = select.poll()
    for s, fam, proto in rx:
        poller.register(s.fileno(), select.POLLIN)
    fdmap = {s.fileno(): (s, fam, proto) for s, fam, proto in rx}

    def take(s, fam, proto, batch):
        """Read what s holds; returns the marker batches seen."""
        marks = []
        while True:
            try:
                data, peer = s.recvfrom(65535)
            except BlockingIOError:
                return marks
            if fam == 4:
                l4 = data[(data[0] & 15) * 4:]
            else:
                l4 = data
            if len(l4) < 4:
                anomalies.append("runt datagram from %s" % peer[0])
                continue
            sport = struct.unpack("!H", l4[:2])[0]
            if fam == 4 and proto == UDP and sport == MARKER_SPORT:
                try:
                    r, b = l4[8:].decode().split()[-2:]
                    marks.append((int(r), int(b)))
                except ValueError:
                    anomalies.append("bad marker %r" % l4[8:])
                continue
            c = by_port.get((fam, proto, sport))
            if c is None:
                anomalies.append("unknown %s datagram from [%s]:%d" %
                                 (PROTO_NAME.get(proto), peer[0], sport))
                continue
            if l4 != c["l4"] or peer[0] != c["src"]:
                anomalies.append("case %d delivered from %s with other "
                                 "bytes" % (c["n"], peer[0]))
            if c["n"] in delivered:
                anomalies.append("case %d delivered twice" % c["n"])
            delivered[c["n"]] = batch

    order = []      # the case of each packet sent, -1 for a marker

    def send(pkt, n=-1):
        order.append(n)
        fam = pkt[0] >> 4
        tx.sendto(pkt, (ifname, ETH_P_IP if fam == 4 else ETH_P_IPV6, 0, 0,
                        mac))
        sent[fam] += 1

    # Batches of whole cases, BATCH packets at most, each closed by a
    # marker the receiver must see before the next batch goes out: the
    # queue never holds more than one batch, and a marker delivered means
    # every packet before it has its verdict (one queue: verdicts in id
    # order) and has been delivered or not.
    batches, cur, npk = [], [], 0
    for c in cases:
        if cur and npk + len(c["packets"]) > BATCH:
            batches.append(cur)
            cur, npk = [], 0
        cur.append(c)
        npk += len(c["packets"])
    batches.append(cur)

    t0 = time.monotonic()
    for bi, batch in enumerate(batches):
        for c in batch:
            for pkt, fix in c["packets"]:
                send(patch(pkt, fix, run), c["n"])
        send(marker(run, bi))
        deadline = time.monotonic() + MARKER_WAIT
        seen = False
        while not seen:
            left = deadline - time.monotonic()
            if left <= 0:
                anomalies.append("marker %d not delivered in %.0f s" %
                                 (bi, MARKER_WAIT))
                break
            for fd, ev in poller.poll(left * 1000):
                s, fam, proto = fdmap[fd]
                for m in take(s, fam, proto, bi):
                    if m == (run, bi):
                        seen = True
                    else:
                        anomalies.append("marker %r out of place" % (m,))
        # Everything verdicted before the marker is in the sockets by now.
        for s, fam, proto in rx:
            take(s, fam, proto, bi)
        if not seen:
            break
    secs = time.monotonic() - t0
    late = [n for n, b in delivered.items() if b != batch_of(batches, n)]
    for n in late:
        anomalies.append("case %d delivered after its batch's marker" % n)
    with open(out, "w") as f:
        json.dump({"run": run, "sent4": sent[4], "sent6": sent[6],
                   "markers": len(batches), "seconds": round(secs, 3),
                   "delivered": sorted(delivered), "anomalies": anomalies,
                   "order": order}, f)
    print("run %d: %d cases in %d batches, %d IPv4 and %d IPv6 packets "
          "(markers included) in %.2f s, %d delivered, %d anomalies" %
          (run, len(cases), len(batches), sent[4], sent[6], secs,
           len(delivered), len(anomalies)))


def batch_of(batches, n, _memo={}):
    if not _memo:
        for bi, b in enumerate(batches):
            for c in b:
                _memo[c["n"]] = bi
    return _memo[n]


# ---------------------------------------------------------------- judge

def ranges(nums):
    """[1, 2, 3, 7] -> '1..3, 7'; [4, 10, 16] -> '4..16 step 6'"""
    nums = sorted(nums)
    steps = set(b - a for a, b in zip(nums, nums[1:]))
    if len(nums) > 2 and len(steps) == 1 and steps != {1}:
        return "%d..%d step %d" % (nums[0], nums[-1], steps.pop())
    out = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else "%d..%d" % (nums[i], nums[j]))
        i = j + 1
    return ", ".join(out)


def param_name(cls):
    if " x1.." in cls:
        return "x"
    if cls.startswith("ipv4 options"):
        return "header "
    if "RFC 7112" in cls:
        return "a first fragment of "
    return ""


def cmd_judge(cases_file, ref_file, configs):
    with open(cases_file, "rb") as f:
        table = pickle.load(f)
    cases, classes = table["cases"], table["classes"]
    with open(ref_file) as f:
        ref = set(json.load(f)["delivered"])
    bad = 0

    # The reference: the kernel cannot tell the targets apart, so each
    # shape must be delivered alike whatever its port and source.
    shapes = {}
    for c in cases:
        shapes.setdefault((c["cls"], c["param"], c["proto"]), set()).add(
            c["n"] in ref)
    odd = sorted(k for k, v in shapes.items() if len(v) > 1)
    if odd:
        bad += 1
        print("FAIL reference: shapes delivered for one port or source and "
              "not another: %s" % "; ".join("%s %s%s %s" % (
                  k[0], param_name(k[0]), k[1], PROTO_NAME[k[2]])
                  for k in odd[:10]))
    else:
        print("PASS reference: the kernel delivers each of %d shapes alike "
              "to every port and source" % len(shapes))

    results = []
    for spec in configs:
        label, copy, path = spec.split("=", 2)
        with open(path) as f:
            got = set(json.load(f)["delivered"])
        if label.startswith("control:"):
            bad += control(label[8:], cases, ref, got)
        else:
            results.append((label, int(copy), got))

    summary = {}
    for label, copy, got in results:
        for cls in classes:
            cc = [c for c in cases if c["cls"] == cls]
            blocked = [c for c in cc if c["rule"]]
            allowed = [c for c in cc if not c["rule"]]
            b_dl = [c for c in blocked if c["n"] in got]
            a_ref = [c for c in allowed if c["n"] in ref]
            a_vis = [c for c in a_ref if c["ports_at"] is not None and
                     c["ports_at"] + 4 <= copy and
                     c["nexts"] <= NFQD_MAX_EXT]
            a_dl = [c for c in allowed if c["n"] in got]
            a_exp = set(c["n"] for c in a_vis)
            a_wrong = [c for c in allowed if (c["n"] in got) !=
                       (c["n"] in a_exp)]
            ok = not b_dl and not a_wrong
            summary[(label, cls)] = (len(b_dl), len(a_wrong))
            head = ("%s: %s: %d of %d blocked delivered; allowed: %d of %d "
                    "delivered" % (label, cls, len(b_dl), len(blocked),
                                   len(a_dl), len(allowed)))
            if len(a_vis) == len(a_ref):
                why = "the kernel delivers %d" % len(a_ref)
            else:
                why = ("the kernel delivers %d, %d with the ports within "
                       "%d bytes and %d extension headers" % (
                           len(a_ref), len(a_vis), copy, NFQD_MAX_EXT))
            if ok:
                print("PASS %s, as expected (%s)" % (head, why))
                continue
            bad += 1
            print("FAIL %s, expected %d (%s)" % (head, len(a_vis), why))
            explain(cls, b_dl, a_wrong, got, ref, copy)

    # Summary: class x configuration.
    labels = [r[0] for r in results]
    w = max(len(c) for c in classes)
    print("")
    print("summary: \"kernel\": allowed datagrams the kernel delivers with "
          "no queue; per copy range: ok, or FAIL B/A: B blocked datagrams "
          "delivered, A allowed ones delivered or lost wrongly")
    print("%-*s  %-7s %s" % (w, "class", "kernel",
                             "  ".join("%-10s" % l for l in labels)))
    for cls in classes:
        cc = [c for c in cases if c["cls"] == cls and not c["rule"]]
        k = "%d/%d" % (sum(c["n"] in ref for c in cc), len(cc))
        cells = []
        for l in labels:
            b, a = summary[(l, cls)]
            cells.append("%-10s" % ("ok" if b == a == 0 else
                                    "FAIL %d/%d" % (b, a)))
        print("%-*s  %-7s %s" % (w, cls, k, "  ".join(cells)))
    return bad


def control(label, cases, ref, got):
    """nfqd accepting everything: exactly the reference is delivered."""
    diff = sorted(ref ^ got)
    if not diff:
        print("PASS %s: through the queue, accepted, the kernel delivers "
              "the same %d of %d datagrams as without it" %
              (label, len(got), len(cases)))
        return 0
    print("FAIL %s: through the queue, accepted, %d datagrams differ from "
          "the kernel's own delivery" % (label, len(diff)))
    for n in diff[:20]:
        c = cases[n]
        print("    case %d: %s, %s (%s): %s" % (
            n, c["cls"], c["target"], c["detail"], "delivered only through "
            "the queue" if n in got else "delivered only without it"))
    return 1


def sees(c, copy):
    """What the packet holding the start of the transport header gives
    nfqd, in words."""
    hlen = 20 if c["proto"] == TCP else 8
    name = PROTO_NAME[c["proto"]].upper()
    if c["ports_at"] is None:
        return "no ports in the first fragment"
    a = c["ports_at"]
    out = ["%s header at bytes %d..%d%s" % (
        name, a, a + hlen, ", copy %d" % copy if a + hlen > copy else "")]
    if c["l4_first"] < hlen:
        out.append("the first fragment ends %d bytes into it" %
                   c["l4_first"])
    if c["nexts"]:
        out.append("%d extension header%s before it" % (
            c["nexts"], "s" if c["nexts"] > 1 else ""))
    return "; ".join(out)


def explain(cls, b_dl, a_wrong, got, ref, copy):
    pn = param_name(cls)
    groups = {}
    for c in b_dl:
        groups.setdefault((c["target"], "blocked by rule %s, delivered" %
                           c["rule"]), []).append(c)
    for c in a_wrong:
        if c["n"] in got and c["n"] not in ref:
            what = "delivered, though the kernel alone does not deliver it"
        elif c["n"] in got:
            what = "delivered, though nfqd was not given its ports"
        else:
            what = "lost, though the kernel delivers it and nfqd has its ports"
        groups.setdefault((c["target"], what), []).append(c)
    for (target, what), cs in sorted(groups.items()):
        params = sorted(set(c["param"] for c in cs))
        where = (" at %s%s" % (pn, ranges(params))) if pn else ""
        e = cs[0]
        print("    %s%s: %s (case %s); e.g. case %d: %s, %d packet%s; "
              "nfqd gets: %s" % (
                  target, where, what, ranges([c["n"] for c in cs]), e["n"],
                  e["detail"], len(e["packets"]),
                  "s" if len(e["packets"]) > 1 else "", sees(e, copy)))


def cmd_which(cases_file, result_file, k):
    """The packet sent k-th (from 1) in a run: for nfqd's log lines."""
    with open(cases_file, "rb") as f:
        cases = pickle.load(f)["cases"]
    with open(result_file) as f:
        order = json.load(f)["order"]
    k = int(k)
    if not 1 <= k <= len(order):
        print("not a packet of the table")
        return
    n = order[k - 1]
    if n < 0:
        print("a marker")
        return
    c = cases[n]
    i = order[:k].count(n)
    print("case %d, packet %d of %d: %s, %s (%s)" % (
        n, i, len(c["packets"]), c["cls"], c["target"], c["detail"]))


def main(argv):
    if len(argv) >= 3 and argv[1] == "build":
        return cmd_build(argv[2])
    if len(argv) == 7 and argv[1] == "run":
        return cmd_run(*argv[2:])
    if len(argv) == 5 and argv[1] == "which":
        return cmd_which(*argv[2:])
    if len(argv) >= 4 and argv[1] == "judge":
        return 1 if cmd_judge(argv[2], argv[3], argv[4:]) else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
