#!/usr/bin/python3
"""h2upserve: an HTTP/1.1 server that switches to HTTP/2 on request
(Upgrade: h2c, RFC 7540 3.2), for nfqd's tests; nghttpd takes HTTP/2 with
prior knowledge only.  Every request it reads, HTTP/1.1 or HTTP/2, is
answered 200 with the body "AUTHORITY PATH", and one line goes to stdout
as it is read whole, so that a test can say which requests reached it:

    REQ VERSION STREAM AUTHORITY PATH

(VERSION 1.1 or 2, STREAM 1 for the request that asked to switch, and 0
for an HTTP/1.1 request that did not).  The python3-h2 library does the
HTTP/2.  One thread per connection.

    h2upserve.py ADDR PORT
"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events


def note(version, sid, auth, path):
    print("REQ %s %d %s %s" % (version, sid, auth, path), flush=True)


def answer(c, sid, auth, path):
    body = ("%s %s\n" % (auth, path)).encode()
    c.send_headers(sid, [(":status", "200"),
                         ("content-length", str(len(body)))])
    c.send_data(sid, body, end_stream=True)


def head(s, buf):
    """An HTTP/1.1 head from buf and s: (request line, fields, rest)."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None
        buf += d
    h, rest = buf.split(b"\r\n\r\n", 1)
    lines = h.decode("latin-1").split("\r\n")
    fields = {}
    for ln in lines[1:]:
        k, v = ln.split(":", 1)
        fields[k.strip().lower()] = v.strip()
    return lines[0], fields, rest


def serve(s):
    buf = b""
    while True:
        got = head(s, buf)
        if got is None:
            return
        line, fields, buf = got
        path = line.split(" ")[1]
        auth = fields.get("host", "-")
        tokens = [t.strip().lower() for t in
                  fields.get("upgrade", "").split(",")]
        if "h2c" not in tokens or "http2-settings" not in fields:
            note("1.1", 0, auth, path)
            body = ("%s %s\n" % (auth, path)).encode()
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                      % len(body) + body)
            continue
        note("1.1", 1, auth, path)
        s.sendall(b"HTTP/1.1 101 Switching Protocols\r\n"
                  b"Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        c = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=False))
        c.initiate_upgrade_connection(fields["http2-settings"])
        answer(c, 1, auth, path)
        s.sendall(c.data_to_send())
        d = buf
        while True:
            for ev in c.receive_data(d):
                if isinstance(ev, h2.events.RequestReceived):
                    h = dict(ev.headers)
                    a = h.get(b":authority", h.get(b"host", b"-")).decode()
                    p = h.get(b":path", b"-").decode()
                    note("2", ev.stream_id, a, p)
                    answer(c, ev.stream_id, a, p)
            s.sendall(c.data_to_send())
            d = s.recv(65536)
            if not d:
                return


def conn(s):
    try:
        serve(s)
    except (OSError, ValueError, h2.exceptions.ProtocolError):
        pass
    finally:
        s.close()


def main():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((sys.argv[1], int(sys.argv[2])))
    ls.listen(64)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=conn, args=(s,), daemon=True).start()


if __name__ == "__main__":
    main()
