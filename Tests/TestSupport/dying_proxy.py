#!/usr/bin/env python3
"""An HTTP endpoint that forwards to another (moto) and dies after a number of requests.

    dying_proxy.py PORTFILE TARGET_PORT HEALTHY

Binds 127.0.0.1 port 0 and writes the port to PORTFILE. Forwards the first HEALTHY requests
to 127.0.0.1:TARGET_PORT as they came (method, path, headers, body) and returns the answers.
Request HEALTHY+1 kills the process at once, as a crashed endpoint: requests in flight get a
reset, every later connection is refused. Each request is counted as it arrives.
"""
import http.server
import os
import sys
import threading

from forwarding import forward

port_file, target, healthy = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
count = 0


class Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        global count
        with lock:
            count += 1
            if count > healthy:
                os._exit(0)
        length = int(self.headers.get("Content-Length") or 0)
        forward(self, target, self.rfile.read(length) if length else None)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_one

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
