#!/usr/bin/python3
"""A kept-alive HTTP/1.1 server for nfqd's tests: every request a client
sends on a connection is answered, and one line per request it read goes
to stdout, so a test can say which requests reached the server:

    REQ HOST METHOD PATH BODYLEN SHA256-OF-BODY CLIENT-PORT

GET answers "HOST PATH" (or the file under the current directory the path
names, when there is one); POST and PUT read the body (Content-Length or
chunked) and answer its SHA-256.  One thread per connection.

    httpserve.py ADDR PORT
"""
import hashlib
import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self, body):
        print("REQ %s %s %s %d %s %d" % (self.headers.get("Host", "-"),
              self.command, self.path, len(body),
              hashlib.sha256(body).hexdigest(), self.client_address[1]),
              flush=True)

    def answer(self, data):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.note(b"")
        p = os.path.join(os.getcwd(), self.path.split("?")[0].lstrip("/"))
        if os.path.isfile(p):
            with open(p, "rb") as f:
                self.answer(f.read())
        else:
            self.answer(("%s %s\n" % (self.headers.get("Host", "-"),
                                      self.path)).encode())

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n",
                                                        b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_POST(self):
        b = self.body()
        self.note(b)
        self.answer((hashlib.sha256(b).hexdigest() + "\n").encode())

    do_PUT = do_POST


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


def main():
    Server((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()


if __name__ == "__main__":
    main()
