#!/usr/bin/python3
"""dnspipe: DNS queries sent one after another in one TCP segment.

    dnspipe.py ADDRESS NAME [NAME ...]

Writes an A query for each NAME, each with its two-byte length (RFC 1035
4.2.2), in one send() on one connection with TCP_NODELAY (one segment:
a server reads them all, pipelined), then reads answers for up to 2
seconds.  Prints "NAME=ADDRESS" for each answer with an A record, in the
order the queries were sent, or "silent" when none came.
"""
import socket
import struct
import sys
import time


def query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 1, 1)
    return struct.pack("!H", len(q)) + q


def skip_name(m, i):
    while True:
        n = m[i]
        if n == 0:
            return i + 1
        if n & 0xc0:
            return i + 2
        i += 1 + n


def first_a(m):
    an = struct.unpack("!H", m[6:8])[0]
    i = skip_name(m, 12) + 4
    for _ in range(an):
        i = skip_name(m, i)
        t, _, _, rdlen = struct.unpack("!HHIH", m[i:i + 10])
        i += 10
        if t == 1 and rdlen == 4:
            return socket.inet_ntoa(m[i:i + 4])
        i += rdlen
    return None


def main():
    addr, names = sys.argv[1], sys.argv[2:]
    s = socket.create_connection((addr, 53), timeout=2)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"".join(query(0x100 + i, n) for i, n in enumerate(names)))
    got, buf, end = {}, b"", time.monotonic() + 2
    try:
        while len(got) < len(names) and time.monotonic() < end:
            d = s.recv(4096)
            if not d:
                break
            buf += d
            while len(buf) >= 2 and len(buf) >= 2 + \
                    struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                m, buf = buf[2:2 + n], buf[2 + n:]
                got[struct.unpack("!H", m[:2])[0] - 0x100] = first_a(m)
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    out = ["%s=%s" % (names[i], got[i]) for i in sorted(got)]
    print(" ".join(out) if out else "silent")


if __name__ == "__main__":
    main()
