#!/usr/bin/env python3
"""Drives `uservault` as the stream function (`_HANDLER=stream`) through a loopback Lambda
Runtime API, with DynamoDB Streams events of the latency fixture's users.

    stream_bench.py BINARY ENDPOINT USERS BATCH [BATCH ...] [--invocations N] [--log FILE]

For each BATCH size: one warm-up invocation, then N (default 5) invocations of BATCH MODIFY
records each (distinct users, in order), one at a time. Per invocation: wall time from the event
handed to the function (its `next` answered) to its response; the function's CPU (utime+stime
from /proc/PID/stat) over the N. Prints, per batch: median and min/max records proven per
second per invocation, CPU microseconds per record, and the failures the answers named.
"""
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime/"
args = [a for a in sys.argv[1:]]
invocations = 5
log_path = "/dev/null"
if "--invocations" in args:
    i = args.index("--invocations"); invocations = int(args[i + 1]); del args[i:i + 2]
if "--log" in args:
    i = args.index("--log"); log_path = args[i + 1]; del args[i:i + 2]
binary, endpoint, users, batches = args[0], args[1], int(args[2]), [int(b) for b in args[3:]]

events = queue.Queue()
answers = {}
answered = threading.Condition()
handed = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body=b"{}", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != PREFIX + "invocation/next":
            return self.reply(404)
        request_id, body = events.get()
        handed[request_id] = time.monotonic()
        deadline = str(int((time.time() + 600) * 1000))
        self.reply(200, body, [("Lambda-Runtime-Aws-Request-Id", request_id), ("Lambda-Runtime-Deadline-Ms", deadline),
                               ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:111122223333:function:stream")])

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        parts = self.path[len(PREFIX):].split("/")
        if len(parts) == 3 and parts[0] == "invocation":
            with answered:
                answers[parts[1]] = (time.monotonic(), parts[2], body)
                answered.notify_all()
            return self.reply(202)
        self.reply(202)

    def log_message(self, *a):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}", _HANDLER="stream",
           USERVAULT_BACKEND="aws", AWS_ENDPOINT_URL=endpoint, AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="streambench",
           AWS_SECRET_ACCESS_KEY="bench", USERVAULT_KEY_STATE="proof", USERVAULT_LOG_LEVEL="warning")
log = open(log_path, "ab")
function = subprocess.Popen([binary], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)


def cpu():
    fields = open(f"/proc/{function.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


sequence = 10**20
next_user = 0


def invoke(batch):
    global sequence, next_user
    records = []
    now = time.time()
    for _ in range(batch):
        index = next_user % users
        next_user += 1
        sequence += 1
        records.append({"eventID": uuid.uuid4().hex, "eventName": "MODIFY", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                        "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:dynamodb:us-east-1:111122223333:table/users/stream/2026-12-06T00:00:00.000",
                        "dynamodb": {"ApproximateCreationDateTime": int(now), "Keys": {"id": {"S": "00000000-0000-4000-8000-%012x" % index}},
                                     "SequenceNumber": str(sequence), "SizeBytes": 60, "StreamViewType": "KEYS_ONLY"}})
    request_id = str(uuid.uuid4())
    events.put((request_id, json.dumps({"Records": records}).encode()))
    with answered:
        while request_id not in answers:
            if function.poll() is not None:
                sys.exit(f"the function exited ({function.returncode}): see {log_path}")
            answered.wait(1)
    at, kind, body = answers.pop(request_id)
    if kind != "response":
        sys.exit(f"invocation error: {body[:300]!r}")
    failures = len(json.loads(body).get("batchItemFailures", []))
    return at - handed.pop(request_id), failures


try:
    for batch in batches:
        invoke(batch)  # warm-up: connections, credentials
        start_cpu = cpu()
        walls, failed = [], 0
        for _ in range(invocations):
            wall, failures = invoke(batch)
            walls.append(wall)
            failed += failures
        used = cpu() - start_cpu
        rates = sorted(batch / w for w in walls)
        print(f"batch {batch}: {statistics.median(rates):.0f} records/s per invocation (min {rates[0]:.0f}, max {rates[-1]:.0f}; "
              f"median wall {statistics.median(walls) * 1000:.0f} ms), CPU {used / (batch * invocations) * 1e6:.0f} µs/record, "
              f"{failed} failures named, {invocations} invocations")
finally:
    function.terminate()
    function.wait()
    server.shutdown()
