#!/usr/bin/python3
"""h2seq: HTTP/2 requests one after another on one cleartext connection.

    h2seq.py ADDRESS PORT "AUTHORITY PATH" ["AUTHORITY PATH" ...]

Starts HTTP/2 with prior knowledge (RFC 9113 3.3) and sends each GET in
turn, waiting for its whole answer before the next, so that every request
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


def main():
    addr, port, reqs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    s = socket.create_connection((addr, port), timeout=3)
    c = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True))
    c.initiate_connection()
    s.sendall(c.data_to_send())
    out = []
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
