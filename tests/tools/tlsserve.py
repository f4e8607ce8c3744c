#!/usr/bin/python3
"""An HTTPS server for nfqd's tests: serves the current directory over TLS
with one thread per connection, so a client that never finishes its
handshake (nfqd dropped its hello) holds up no other.

    tlsserve.py ADDR PORT CERT KEY
"""
import http.server
import ssl
import sys


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    addr, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = http.server.ThreadingHTTPServer((addr, port), Quiet)
    srv.daemon_threads = True
    # The handshake in the connection's thread, not in accept().
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                 do_handshake_on_connect=False)
    srv.serve_forever()


if __name__ == "__main__":
    main()
