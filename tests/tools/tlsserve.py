#!/usr/bin/python3
"""An HTTPS server for nfqd's tests: serves the current directory over TLS
with one thread per connection, so a client that never finishes its
handshake (nfqd dropped its hello) holds up no other.

    tlsserve.py ADDR PORT CERT KEY [GROUP]

GROUP: the only key exchange group it takes (an OpenSSL curve name such
as prime256v1): a client whose first hello has no key share for it gets
a HelloRetryRequest.
"""
import http.server
import ssl
import sys


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    # A connection the kernel could not queue for accept() stays half
    # open, and a RST then ends it (tcp_check_req()): with the default 5,
    # a loaded machine could end a test's connection that way.
    request_queue_size = 128


def main():
    addr, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if len(sys.argv) > 5:
        ctx.set_ecdh_curve(sys.argv[5])
    srv = Server((addr, port), Quiet)
    srv.daemon_threads = True
    # The handshake in the connection's thread, not in accept().
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                 do_handshake_on_connect=False)
    srv.serve_forever()


if __name__ == "__main__":
    main()
