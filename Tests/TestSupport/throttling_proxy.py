#!/usr/bin/env python3
"""An HTTP endpoint that forwards to another (moto), but throttles the requests about one thing.

    throttling_proxy.py PORTFILE TARGET_PORT MATCH

Binds 127.0.0.1 port 0 and writes the port to PORTFILE. A request whose body contains MATCH (a
key id) is answered 400 ThrottlingException, every time (its retries too), as a KMS that
throttles that key's requests; every other request is forwarded to 127.0.0.1:TARGET_PORT as it
came and its answer returned. Each throttled request is counted in PORTFILE.throttled.
"""
import http.server
import json
import os
import sys
import threading

from forwarding import forward

port_file, target, match = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
lock = threading.Lock()
throttled = 0


class Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        global throttled
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if match in body:
            with lock:
                throttled += 1
                with open(port_file + ".throttled", "w") as f:
                    f.write(str(throttled))
            answer = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-RequestId", "throttling-proxy")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        forward(self, target, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_one

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
