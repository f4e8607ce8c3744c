#!/usr/bin/python3
"""A TCP client that writes its own segments, for nfqd's layer-7 tests.

Opens a connection with raw packets (scapy), sends a first message (a real
TLS ClientHello made by Python's ssl module for --sni, or an HTTP request
for --host) cut into segments of --seg bytes, in the --order asked, then
each segment again (as a retransmission would), and reports how many
payload bytes the server sent back:

    segments 12
    reply 1234

A server that never received the whole message sends nothing.  When no
SYN-ACK comes, it prints "no-synack" instead (and, on stderr, the frames
of the connection it saw leave and arrive) and exits 1.  Run it in
a namespace whose kernel does not answer the server with a RST (the test
drops outgoing RSTs there), as root, with Debian's /usr/bin/python3.

Options:
  --dst ADDR --port N     the server
  --sni NAME | --host NAME [--path P] | --request TEXT
                          (TEXT: the request's bytes, with Python's
                          backslash escapes: '\\r\\n')
  --seg N                 bytes per segment (default: the whole message)
  --order in|reverse|shuffle|swap  the order segments are sent in
                          (swap: the first two exchanged)
  --conflict              send the first segment, then one that overlaps
                          its second half with other bytes (nfqd must
                          refuse the flow), then the message
  --badsum              also send, first, a whole message for another
                          name with a wrong TCP checksum
  --wait S                seconds to wait for the reply (default 2)
  --gap S                 seconds between the first pass's segments
                          (default 0): time for a flood in between
  --flood N               send N SYNs from random ports of this address
                          (never this tool's own ports, 16384-32767, nor
                          the kernel's ephemeral ones) in the middle of
                          the first pass (after its first segment)
  --flood-first N         the same before the first segment
  --sport N               the client's port, in 16384-19999 or 1-1023
                          (a privileged one, such as 53; default: a
                          random one in 20000-32767; with L7SEG_PORTS=FILE
                          in the environment, the next one of a sequence
                          kept in FILE, which starts at a random port of
                          that range: no two runs of one test share a
                          port, so none meets an earlier run's
                          conntrack entry or nfqd flow)
  --hold FILE             after the first pass, wait until FILE exists (at
                          most 10 s) before the retransmissions: for a test
                          that waits for nfqd's decision in between
  --rst-decoy             first a RST one byte past the stream's start,
                          carrying bytes 1.. of a whole message for
                          another name (Linux answers it with a challenge
                          ACK and keeps none of it: RFC 5961), then the
                          message's first byte alone, then the rest
  --rst-wait S            the message's first byte alone, then a RST with
                          the stream's first sequence number (stale for a
                          server that has that byte; conntrack, which has
                          not seen the server acknowledge it, takes it
                          and closes its entry), S seconds, then the rest
  --reopen S              the same with a SYN with another ISN before the
                          rest (a new conntrack entry, whose later packets
                          conntrack finds INVALID)
  --polyglot S            the message (--sni) gets a last extension of an
                          unknown type that holds a whole hello for
                          allowed.example; all but that hello first, S
                          seconds, then that hello (a whole message on its
                          own, the end of the blocked one to the server)
  --syn-jump              after the handshake, a SYN with the ISN moved by
                          2^31 (Linux: a challenge ACK, nothing changes)
  --syn-data other|same   the SYN carries a whole message: for another name
                          (Linux without a Fast Open cookie keeps none of
                          it), or this one (as a Fast Open client sends it)
  --decoy SHAPE           before the message, a whole message for another
                          name in one segment the server's TCP discards:
                          no-ack (PSH alone), md5 (an MD5 signature option
                          on a connection without one), paws (a timestamp
                          1000 older than the SYN's; with it every other
                          segment carries the SYN's), ttl (TTL 2: it
                          runs out at the second router, reaches a server
                          one hop away); or dropped: an ordinary segment,
                          for allowed.example, which the test's rules drop
                          before the server (the message must be as long)

Ports.  The kernel's clients in the same namespace (curl, openssl, dig)
take theirs from net.ipv4.ip_local_port_range (32768-60999 unless set),
and a connection of theirs that nfqd dropped leaves a conntrack entry
with the drop mark: a SYN of this tool on that port and server port gets
no SYN-ACK, and the other way round a fetch that must succeed fails.  So
this tool's ports (16384-32767) and the flood's (the rest of 1024-65535)
lie outside that range; where they do not, it says so and exits 2.
"""
import argparse
import codecs
import fcntl
import os
import random
import ssl
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, conf, sr1  # noqa: E402

conf.verb = 0


def client_hello(name):
    """The first flight of a real TLS client for server name `name`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


# This tool's client ports: --sport's (below SEQPORTS) and the sequence's
# or the random ones (SEQPORTS).  None is in the kernel's ephemeral range
# (ports_check()).
SPORTS = (16384, 32767)
SEQPORTS = (20000, 32767)
# The flood's: every port of 1024-65535 outside SPORTS and the kernel's
# ephemeral range (flood_ranges()).
FLOODPORTS = (1024, 65535)


def ephemeral():
    """The kernel's ephemeral port range in this namespace."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo, hi = (int(x) for x in f.read().split())
    return lo, hi


def ports_check(sport):
    """Exit 2 when this tool's ports could meet the kernel's clients'."""
    lo, hi = ephemeral()
    why = None
    if sport and not (SPORTS[0] <= sport < SEQPORTS[0] or 0 < sport < 1024):
        why = "--sport %d is outside %d-%d and 1-1023" % (
            sport, SPORTS[0], SEQPORTS[0] - 1)
    elif lo <= SPORTS[1] and SPORTS[0] <= hi:
        why = ("net.ipv4.ip_local_port_range %d-%d overlaps this tool's "
               "ports %d-%d" % (lo, hi, SPORTS[0], SPORTS[1]))
    if why:
        print("l7seg: " + why, file=sys.stderr)
        sys.exit(2)


def flood_ranges():
    """The flood's port ranges: FLOODPORTS less SPORTS and the kernel's
    ephemeral range, as (first, last) pairs."""
    out = [FLOODPORTS]
    for cut in (SPORTS, ephemeral()):
        nxt = []
        for a, b in out:
            if cut[1] < a or b < cut[0]:
                nxt.append((a, b))
                continue
            if a < cut[0]:
                nxt.append((a, cut[0] - 1))
            if cut[1] < b:
                nxt.append((cut[1] + 1, b))
        out = nxt
    return out


def next_port(path, rnd):
    """The next client port of the sequence kept in the file at path
    (locked: runs in parallel get different ports)."""
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read().strip()
        port = int(text) if text else rnd.randint(*SEQPORTS)
        if not SEQPORTS[0] <= port <= SEQPORTS[1]:
            port = SEQPORTS[0]
        f.seek(0)
        f.truncate()
        f.write("%d\n" % (port + 1))
    return port


def polyglot(hello, inner):
    """hello (one record, one ClientHello) with a last extension of an
    unknown type (0xffaa) that holds inner whole; and where inner starts."""
    body = hello[9:]
    p = 34                                          # version, random
    p += 1 + body[p]                                # session_id
    p += 2 + int.from_bytes(body[p:p + 2], "big")   # cipher_suites
    p += 1 + body[p]                                # compression
    ext = (0xffaa).to_bytes(2, "big") + len(inner).to_bytes(2, "big") + inner
    n = int.from_bytes(body[p:p + 2], "big") + len(ext)
    body = body[:p] + n.to_bytes(2, "big") + body[p + 2:] + ext
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    out = hello[:3] + len(hs).to_bytes(2, "big") + hs
    return out, len(out) - len(inner)


def http_request(host, path):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: l7seg\r\n"
            "Accept: */*\r\n\r\n" % (path, host)).encode()


def flood(send, ip, port, n):
    """n SYNs from random ports: n new flows for the server's side.  The
    ports are outside SPORTS, where this tool's own connections come
    from, and outside the kernel's ephemeral range: a later connection on
    a port the flood used would meet the server's and conntrack's state
    of that SYN and get no SYN-ACK."""
    rnd = random.SystemRandom()
    ranges = flood_ranges()
    total = sum(b - a + 1 for a, b in ranges)
    for _ in range(n):
        k = rnd.randrange(total)
        for a, b in ranges:
            if k <= b - a:
                sp = a + k
                break
            k -= b - a + 1
        send(ip / TCP(sport=sp, dport=port, flags="S",
                      seq=rnd.randint(0, 2**32 - 1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--sni")
    ap.add_argument("--host")
    ap.add_argument("--path", default="/")
    ap.add_argument("--request")
    ap.add_argument("--seg", type=int, default=0)
    ap.add_argument("--order", default="in",
                    choices=["in", "reverse", "shuffle", "swap"])
    ap.add_argument("--conflict", action="store_true")
    ap.add_argument("--badsum", action="store_true")
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gap", type=float, default=0.0)
    ap.add_argument("--flood", type=int, default=0)
    ap.add_argument("--flood-first", type=int, default=0)
    ap.add_argument("--hold")
    ap.add_argument("--sport", type=int, default=0)
    ap.add_argument("--rst-decoy", action="store_true")
    ap.add_argument("--rst-wait", type=float, default=-1)
    ap.add_argument("--reopen", type=float, default=-1)
    ap.add_argument("--polyglot", type=float, default=-1)
    ap.add_argument("--syn-jump", action="store_true")
    ap.add_argument("--syn-data", choices=["other", "same"])
    ap.add_argument("--decoy",
                    choices=["no-ack", "md5", "paws", "ttl", "dropped"])
    a = ap.parse_args()

    if a.sni:
        msg = client_hello(a.sni)
        other = client_hello("allowed.example")
    elif a.request:
        msg = codecs.decode(a.request, "unicode_escape").encode("latin-1")
        other = http_request("allowed.example", a.path)
    else:
        msg = http_request(a.host, a.path)
        other = http_request("allowed.example", a.path)
    if a.decoy == "dropped" and len(other) != len(msg):
        print("l7seg: --decoy dropped needs a message as long as the "
              "decoy (%d bytes, not %d)" % (len(other), len(msg)),
              file=sys.stderr)
        return 2
    seg = a.seg if a.seg > 0 else len(msg)
    segs = [(i, msg[i:i + seg]) for i in range(0, len(msg), seg)]
    rnd = random.Random(a.seed)
    if a.order == "reverse":
        segs.reverse()
    elif a.order == "shuffle":
        rnd.shuffle(segs)
    elif a.order == "swap" and len(segs) > 1:
        segs[0], segs[1] = segs[1], segs[0]

    # A fresh connection each run: the order is the seed's, the ports
    # and the sequence numbers are not (a reused pair would meet the last
    # run's conntrack entry and nfqd flow).  Random ports can still meet
    # (a few in a hundred tests of 50 runs): tests/net/lib.sh sets
    # L7SEG_PORTS, and one test's runs take ports in turn.
    # Neither meets the kernel's clients' ports (ports_check()).
    ports_check(a.sport)
    sysrnd = random.SystemRandom()
    if a.sport:
        sport = a.sport
    elif os.environ.get("L7SEG_PORTS"):
        sport = next_port(os.environ["L7SEG_PORTS"], sysrnd)
    else:
        sport = sysrnd.randint(*SEQPORTS)
    isn = sysrnd.randint(0, 2**32 - 1)
    ip = IP(dst=a.dst)
    sock = conf.L3socket()
    send = sock.send
    # The interface towards the server (the namespace may have no default
    # route, and scapy's default interface would then be lo).
    iface = conf.route.route(a.dst)[0]
    started = threading.Event()
    # Both directions: the server's bytes are counted, and a run with no
    # SYN-ACK can say what left and what came back.
    sniff = AsyncSniffer(iface=iface, filter="tcp and host %s and port %d and "
                         "port %d" % (a.dst, a.port, sport), store=True,
                         started_callback=started.set)
    sniff.start()
    # Its socket open before anything is sent.
    if not started.wait(10):
        print("l7seg: the sniffer did not start in 10 s", file=sys.stderr)
        return 2
    # With --decoy paws every segment but the decoy carries the SYN's
    # timestamp (the server keeps it as ts_recent).
    tsval = sysrnd.randint(2**20, 2**31)
    opts = [("Timestamp", (tsval, 0))] if a.decoy == "paws" else []
    syn = ip / TCP(sport=sport, dport=a.port, flags="S", seq=isn,
                   options=opts)
    if a.syn_data:
        syn = syn / (other if a.syn_data == "other" else msg)
    # A passing run takes the first SYN-ACK; the deadline is for a
    # loaded machine (a SYN-ACK lost is sent again after 1 s, 3 s, ...).
    t0 = time.time()
    synack = sr1(syn, timeout=10)
    if synack is None or not synack.haslayer(TCP) or \
            (synack[TCP].flags & 0x12) != 0x12:
        time.sleep(0.3)
        sniff.stop()
        print("no-synack")
        print("l7seg: no SYN-ACK (deadline 10 s): port %d -> %s:%d, ISN %d, sr1 "
              "got %s; %d frames on %s:" % (sport, a.dst, a.port, isn,
                                            synack.summary() if synack
                                            else "nothing",
                                            len(sniff.results), iface),
              file=sys.stderr)
        for p in sniff.results[:20]:
            macs = (p.src, p.dst) if p.haslayer("Ether") else ("?", "?")
            print("l7seg:   +%.3f s %s > %s %s" % (
                (float(p.time) - t0,) + macs +
                (p[IP].summary() if p.haslayer(IP) else p.summary(),)),
                file=sys.stderr)
        return 1
    ack = (synack[TCP].seq + 1) % 2**32
    seq0 = (isn + 1) % 2**32
    if opts:
        echo = dict(synack[TCP].options).get("Timestamp", (0, 0))[0]
        opts = [("Timestamp", (tsval, echo))]
    send(ip / TCP(sport=sport, dport=a.port, flags="A", seq=seq0, ack=ack,
                  options=opts))

    def pkt(off, data, flags="PA"):
        return ip / TCP(sport=sport, dport=a.port, flags=flags,
                        seq=(seq0 + off) % 2**32, ack=ack,
                        options=opts) / data

    if a.flood_first > 0:
        flood(send, ip, a.port, a.flood_first)
    if a.syn_jump:
        send(ip / TCP(sport=sport, dport=a.port, flags="S",
                      seq=(isn + 2**31) % 2**32))
    if a.rst_wait >= 0 or a.reopen >= 0:
        send(pkt(0, msg[:1]))
        send(ip / TCP(sport=sport, dport=a.port, flags="R", seq=seq0))
        time.sleep(max(a.rst_wait, a.reopen))
        if a.reopen >= 0:
            send(ip / TCP(sport=sport, dport=a.port, flags="S",
                          seq=(isn + 2**31) % 2**32))
            time.sleep(0.3)
        segs = [(1, msg[1:])]
    if a.polyglot >= 0:
        msg, cut = polyglot(msg, client_hello("allowed.example"))
        send(pkt(0, msg[:cut]))
        time.sleep(a.polyglot)
        segs = [(cut, msg[cut:])]
    if a.rst_decoy:
        send(ip / TCP(sport=sport, dport=a.port, flags="R",
                      seq=(seq0 + 1) % 2**32) / other[1:])
        send(pkt(0, msg[:1]))
        segs = [(1, msg[1:])]
    if a.decoy:
        p = pkt(0, other)
        if a.decoy == "no-ack":
            p[TCP].flags = "P"
        elif a.decoy == "md5":
            p[TCP].options = opts + [(19, bytes(16))]
        elif a.decoy == "paws":
            p[TCP].options = [("Timestamp", ((tsval - 1000) % 2**32,
                                             opts[0][1][1]))]
        elif a.decoy == "ttl":
            p[IP].ttl = 2
        # "dropped": as it is; the test's rules have it dropped.
        send(p)
    if a.badsum:
        p = pkt(0, other)
        p[TCP].chksum = 0x1234
        send(p)
    if a.conflict:
        half = seg // 2
        send(pkt(0, msg[:seg]))
        send(pkt(half, bytes(b ^ 0x55 for b in msg[half:half + seg])))
    for rnd_pass in range(2):
        for i, (off, data) in enumerate(segs):
            send(pkt(off, data))
            if rnd_pass == 0 and i == 0 and a.flood > 0:
                flood(send, ip, a.port, a.flood)
            if rnd_pass == 0 and a.gap > 0:
                time.sleep(a.gap)
        time.sleep(0.3)
        if rnd_pass == 0 and a.hold:
            end = time.monotonic() + 10
            while not os.path.exists(a.hold) and time.monotonic() < end:
                time.sleep(0.02)
    time.sleep(a.wait)
    sniff.stop()
    got = sum(len(bytes(p[TCP].payload)) for p in sniff.results
              if p.haslayer(TCP) and p[IP].src == a.dst and
              p[TCP].sport == a.port)
    # Close it: a RST, so the server frees the connection.
    send(ip / TCP(sport=sport, dport=a.port, flags="R",
                  seq=(seq0 + len(msg)) % 2**32))
    print("segments %d" % len(segs))
    print("reply %d" % got)
    return 0


if __name__ == "__main__":
    sys.exit(main())
