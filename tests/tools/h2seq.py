#!/usr/bin/python3
"""h2seq: HTTP/2 requests one after another on one cleartext connection.

    h2seq.py [--upgrade] ADDRESS PORT "AUTHORITY PATH" ["AUTHORITY PATH" ...]

Starts HTTP/2 with prior knowledge (RFC 9113 3.3), or with --upgrade as
an HTTP/1.1 GET for the first that asks to switch (Upgrade: h2c, RFC 7540
3.2: its answer comes on stream 1 after "101 Switching Protocols"), and
sends each GET in turn, waiting for its whole answer before the next, so that every request
after the first goes in a segment of its own and its fields are encoded
against the header table the ones before it filled (the h2 and hpack
libraries, python3-h2).  Prints the answers' status codes, space
separated, and "silent" for the first request that got none within 3
seconds (it stops there).
"""
import socket
import sys

import h2.config
import h2.connection
import h2.events


def get(s, c, auth, path):
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, [(":method", "GET"), (":scheme", "http"),
                         (":authority", auth), (":path", path),
                         ("user-agent", "h2seq")], end_stream=True)
    s.sendall(c.data_to_send())
    code, done = None, False
    try:
        while not done:
            d = s.recv(65536)
            if not d:
                break
            for ev in c.receive_data(d):
                if isinstance(ev, h2.events.ResponseReceived) and \
                        ev.stream_id == sid:
                    code = dict(ev.headers).get(b":status", b"?").decode()
                elif isinstance(ev, h2.events.DataReceived):
                    c.acknowledge_received_data(len(ev.data), ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded) and \
                        ev.stream_id == sid:
                    done = True
            s.sendall(c.data_to_send())
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    return code if done else None


def upgrade(s, c, auth, path):
    """The first request over HTTP/1.1, switching: its answer's code."""
    settings = c.initiate_upgrade_connection()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade, "
               "HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: %s\r\n"
               "\r\n" % (path, auth, settings.decode())).encode())
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                return None
            buf += d
    except (socket.timeout, ConnectionResetError):
        return None
    h, rest = buf.split(b"\r\n\r\n", 1)
    if not h.startswith(b"HTTP/1.1 101"):
        return None
    s.sendall(c.data_to_send())
    code, done = None, False
    try:
        d = rest
        while not done:
            for ev in c.receive_data(d):
                if isinstance(ev, h2.events.ResponseReceived) and \
                        ev.stream_id == 1:
                    code = dict(ev.headers).get(b":status", b"?").decode()
                elif isinstance(ev, h2.events.DataReceived):
                    c.acknowledge_received_data(len(ev.data), ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded) and \
                        ev.stream_id == 1:
                    done = True
            s.sendall(c.data_to_send())
            if not done:
                d = s.recv(65536)
                if not d:
                    break
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    return code if done else None


def main():
    args = sys.argv[1:]
    up = args[:1] == ["--upgrade"]
    if up:
        args = args[1:]
    addr, port, reqs = args[0], int(args[1]), args[2:]
    s = socket.create_connection((addr, port), timeout=3)
    c = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True))
    out = []
    if up:
        auth, path = reqs[0].split(" ", 1)
        code = upgrade(s, c, auth, path)
        out.append(code if code is not None else "silent")
        reqs = reqs[1:] if code is not None else []
    else:
        c.initiate_connection()
        s.sendall(c.data_to_send())
    for r in reqs:
        auth, path = r.split(" ", 1)
        code = get(s, c, auth, path)
        out.append(code if code is not None else "silent")
        if code is None:
            break
    print(" ".join(out))
    s.close()


if __name__ == "__main__":
    main()
