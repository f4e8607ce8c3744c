#!/usr/bin/python3
"""A TLS 1.3 client that makes the server ask again, for nfqd's tests.

Over an ordinary (kernel) TCP connection it sends a ClientHello for NAME1
with an empty key_share (RFC 8446 4.2.8: the client asks the server to
choose among X25519 and P-256), reads the server's answer, and when that
is a HelloRetryRequest sends a ChangeCipherSpec and a second ClientHello,
for NAME2, with a key share for the group the server chose (P-256's base
point is a valid public key).  It prints one line for each hello, what
the server sent back:

    first hrr
    second answered

first: "hrr" (a HelloRetryRequest), "hello" (a ServerHello: it did not
ask again), "alert", "closed" (the connection ended), "silent" (nothing
within --wait seconds).  second: the same words ("hello": the server
took the second hello and goes on).  The second hello is sent only after
"hrr"; otherwise its line is "second none" and the exit status 1.

    hrr.py ADDR PORT NAME1 NAME2 [--wait S] [--seg N] [--early N]
           [--no-ccs]

  --seg N       the second hello in segments of N bytes (TCP_NODELAY,
                a pause between them)
  --early N     the first hello offers early data (an early_data and a
                pre_shared_key extension with an identity no server
                knows) and is followed by N bytes of application-data
                records (64 bytes each) before the server's answer is read
  --no-ccs      no ChangeCipherSpec before the second hello
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

HRR_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
X25519, P256 = 0x001d, 0x0017
P256_G = bytes.fromhex(
    "04"
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")


def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


def client_hello(name, group, early):
    """group: the key share's (0: an empty key_share list)."""
    n = name.encode()
    sni = struct.pack("!HBH", len(n) + 3, 0, len(n)) + n
    exts = ext(0, sni)
    exts += ext(10, struct.pack("!HHH", 4, X25519, P256))
    algs = [0x0804, 0x0805, 0x0806, 0x0403, 0x0503, 0x0603, 0x0401,
            0x0501, 0x0601]
    exts += ext(13, struct.pack("!H", 2 * len(algs)) +
                b"".join(struct.pack("!H", a) for a in algs))
    exts += ext(43, bytes([2, 3, 4]))
    exts += ext(45, bytes([1, 1]))
    if group:
        key = P256_G if group == P256 else os.urandom(32)
        ks = struct.pack("!HH", group, len(key)) + key
        exts += ext(51, struct.pack("!H", len(ks)) + ks)
    else:
        exts += ext(51, struct.pack("!H", 0))
    if early:
        exts += ext(42, b"")
        ident = os.urandom(32)
        ids = struct.pack("!H", len(ident)) + ident + struct.pack("!I", 0)
        binders = bytes([32]) + os.urandom(32)
        exts += ext(41, struct.pack("!H", len(ids)) + ids +
                    struct.pack("!H", len(binders)) + binders)
    body = struct.pack("!H", 0x0303) + os.urandom(32)
    body += bytes([32]) + os.urandom(32)
    suites = [0x1301, 0x1302, 0x1303]
    body += struct.pack("!H", 2 * len(suites))
    body += b"".join(struct.pack("!H", s) for s in suites)
    body += bytes([1, 0])
    body += struct.pack("!H", len(exts)) + exts
    msg = bytes([1]) + struct.pack("!I", len(body))[1:] + body
    return bytes([22, 3, 1]) + struct.pack("!H", len(msg)) + msg


def hrr_group(buf):
    """The group a HelloRetryRequest in buf (whole, one record) asks for."""
    msg = buf[5:5 + struct.unpack("!H", buf[3:5])[0]]
    i = 4 + 2 + 32
    i += 1 + msg[i]                     # session id
    i += 2 + 1                          # cipher suite, compression
    end = i + 2 + struct.unpack("!H", msg[i:i + 2])[0]
    i += 2
    while i + 4 <= end:
        t, n = struct.unpack("!HH", msg[i:i + 4])
        if t == 51:
            return struct.unpack("!H", msg[i + 4:i + 6])[0]
        i += 4 + n
    return X25519


def read_answer(s, wait, keep=None):
    """What the server sent first: hrr, hello, alert, closed or silent;
    keep (a list) gets the bytes."""
    buf = b""
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return "silent" if not buf else "short"
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        try:
            d = s.recv(65536)
        except OSError:
            return "closed"
        if not d:
            return "closed" if not buf else "short"
        buf += d
        if len(buf) < 5:
            continue
        if buf[0] == 21:
            return "alert"
        if buf[0] != 22:
            return "other"
        if len(buf) < 5 + 4 + 2 + 32:
            continue
        if buf[5] != 2:
            return "other"
        if buf[11:43] != HRR_RANDOM:
            return "hello"
        if len(buf) < 5 + struct.unpack("!H", buf[3:5])[0]:
            continue
        if keep is not None:
            keep.append(buf)
        return "hrr"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("name1")
    ap.add_argument("name2")
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--seg", type=int, default=0)
    ap.add_argument("--early", type=int, default=-1)
    ap.add_argument("--no-ccs", action="store_true")
    a = ap.parse_args()

    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    s.connect((a.addr, a.port))
    s.settimeout(None)
    s.sendall(client_hello(a.name1, 0, a.early >= 0))
    if a.early > 0:
        left = a.early
        while left > 0:
            n = min(64, left)
            s.sendall(bytes([23, 3, 3]) + struct.pack("!H", n) +
                      os.urandom(n))
            left -= n
    got = []
    first = read_answer(s, a.wait, got)
    print("first", first, flush=True)
    if first != "hrr":
        print("second none", flush=True)
        return 1
    out = b"" if a.no_ccs else bytes([20, 3, 3, 0, 1, 1])
    out += client_hello(a.name2, hrr_group(got[0]), False)
    if a.seg > 0:
        for i in range(0, len(out), a.seg):
            s.sendall(out[i:i + a.seg])
            time.sleep(0.02)
    else:
        s.sendall(out)
    second = read_answer(s, a.wait)
    print("second", second, flush=True)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
