#!/usr/bin/python3
"""A DNS query over IPv6 with a UDP length of 0, sent through a raw
socket (the kernel sums the checksum over the whole datagram, as its
receiver's __udp6_lib_rcv() reads a length of 0: the rest of it).

    udp6len0.py SERVER NAME

Prints the answer's first address (A record) or "none" after 3 s.
"""
import socket
import struct
import sys

IPV6_CHECKSUM = 7


def query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def first_a(msg):
    qd, an = struct.unpack("!HH", msg[4:8])
    off = 12
    for _ in range(qd):
        while msg[off] != 0:
            off += 1 + msg[off]
        off += 5
    for _ in range(an):
        if msg[off] & 0xc0 == 0xc0:
            off += 2
        else:
            while msg[off] != 0:
                off += 1 + msg[off]
            off += 1
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            return socket.inet_ntoa(msg[off:off + 4])
        off += rdlen
    return "none"


def main():
    server, name = sys.argv[1], sys.argv[2]
    # The answer comes to this socket's port; it also keeps the kernel
    # from answering with a port unreachable.
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.bind(("::", 0))
    u.settimeout(3)
    sport = u.getsockname()[1]
    r = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_UDP)
    r.setsockopt(socket.IPPROTO_IPV6, IPV6_CHECKSUM, 6)
    qid = 0x4c30
    r.sendto(struct.pack("!HHHH", sport, 53, 0, 0) + query(qid, name),
             (server, 0))
    try:
        while True:
            msg = u.recv(4096)
            if len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
                print(first_a(msg))
                return
    except socket.timeout:
        print("none")


main()
