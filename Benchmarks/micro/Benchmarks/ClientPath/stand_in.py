"""A KMS/DynamoDB stand-in for the client-path micro-benchmark: answers at once, keep-alive.

ReEncrypt gets a fixed answer; Scan gets one fixed page of 1,000 items shaped like the users
table's. It runs in a process of its own, so the benchmark's CPU and malloc counts are the
client's alone. Prints "port N" once it listens on 127.0.0.1.
"""
import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REENCRYPT = json.dumps({
    "CiphertextBlob": base64.b64encode(bytes(range(200))).decode(),
    "SourceKeyId": KEY, "KeyId": KEY,
    "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT", "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
}).encode()
SCAN = json.dumps({
    "Items": [{
        "id": {"S": f"0000{i:04d}-aaaa-4bbb-8ccc-dddddddddddd"},
        "email": {"S": f"user{i}@example.com"},
        "name": {"S": f"User {i}"},
        "credentials": {"S": base64.b64encode(bytes(range(180))).decode()},
        "credentialsKeyId": {"S": KEY},
        "createdAt": {"S": "2026-01-01T00:00:00Z"},
    } for i in range(1000)],
    "Count": 1000, "ScannedCount": 1000,
    "ConsumedCapacity": {"TableName": "users", "CapacityUnits": 128.5},
}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffered: the head and the body leave in one segment (two would meet the client's delayed ACK).
    wbufsize = 1 << 20
    disable_nagle_algorithm = True

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = SCAN if self.headers.get("X-Amz-Target", "").endswith(".Scan") else REENCRYPT
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", "stand-in")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
