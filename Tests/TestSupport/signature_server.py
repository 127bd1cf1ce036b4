"""A loopback stand-in for AWS that checks SigV4 signatures, and nothing else.

Started by SignatureCheckingServer.swift:

    SIGCHECK_SECRET=<secret> python3 signature_server.py PORT_FILE REQUEST_LOG

It binds 127.0.0.1 on a free port, writes the port to PORT_FILE (atomically), and answers every
request after recomputing its signature with botocore (SigV4Auth; S3SigV4Auth for s3) from the
signed headers it received and the secret in SIGCHECK_SECRET:

- wrong signature, unparseable Authorization, stale X-Amz-Date (> 15 min) or a body that does not
  match x-amz-content-sha256: 400/403 with the service's error (JSON InvalidSignatureException,
  or S3's XML SignatureDoesNotMatch / XAmzContentSHA256Mismatch);
- right signature: 200 with a minimal valid answer (DynamoDB DescribeTable, KMS ListKeys, STS
  GetCallerIdentity, `{}` for other JSON calls; for S3 an empty body with an ETag, and an UploadId
  for CreateMultipartUpload).

Each request is appended to REQUEST_LOG as one JSON line:
{"method", "path", "service", "operation", "valid", "reason"}. It never logs secrets or bodies.
"""

import datetime
import hashlib
import http.server
import json
import os
import re
import sys
import threading
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SECRET = os.environ.get("SIGCHECK_SECRET", "")
AUTH_PATTERN = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[^,]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
JSON_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)
LOCK = threading.Lock()


def verify(method, path, headers, body):
    """Returns (service, reason): reason is None when the signature is right."""
    match = AUTH_PATTERN.match(headers.get("Authorization", ""))
    if not match:
        return None, "missing or malformed Authorization header"
    service, region = match["service"], match["region"]
    amz_date = headers.get("X-Amz-Date", "")
    try:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return service, "missing or malformed X-Amz-Date"
    if abs((datetime.datetime.now(datetime.timezone.utc) - signed_at).total_seconds()) > 15 * 60:
        return service, "Signature expired"
    if amz_date[:8] != match["date"]:
        return service, "the credential scope date is not the X-Amz-Date date"
    content_hash = headers.get("X-Amz-Content-SHA256")
    if content_hash and content_hash != "UNSIGNED-PAYLOAD" and content_hash != hashlib.sha256(body).hexdigest():
        return service, "XAmzContentSHA256Mismatch"

    signed_names = match["signed"].split(";")
    request = AWSRequest(method=method, url=f"http://{headers.get('Host', '')}{path}", data=body)
    for name in signed_names:
        for value in headers.get_all(name) or []:
            request.headers.add_header(name, value)
    request.context["timestamp"] = amz_date
    credentials = Credentials(match["akid"], SECRET, headers.get("X-Amz-Security-Token"))
    auth_class = S3SigV4Auth if service == "s3" else SigV4Auth
    auth = auth_class(credentials, service, region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != match["signature"]:
        return service, "signature mismatch"
    if auth.signed_headers(auth.headers_to_sign(request)) != match["signed"]:
        return service, "SignedHeaders is not canonical"
    return service, None


def success_body(service, method, path, headers, body):
    target = headers.get("X-Amz-Target", "")
    operation = target.rsplit(".", 1)[-1] if target else ""
    if service == "s3":
        query = [pair.partition("=")[0] for pair in urlsplit(path).query.split("&")]
        if method == "POST" and "uploads" in query:
            return None, "application/xml", (
                b"<InitiateMultipartUploadResult><UploadId>sigcheck-upload</UploadId></InitiateMultipartUploadResult>"
            )
        return None, "application/xml", b""
    if service == "sts":
        return "GetCallerIdentity", "text/xml", (
            b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/signature-check</Arn>"
            b"<UserId>AIDASIGNATURECHECK</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
            b"<ResponseMetadata><RequestId>sigcheck</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        )
    if operation == "DescribeTable":
        try:
            name = json.loads(body or b"{}").get("TableName", "users")
        except ValueError:
            name = "users"
        table = {
            "TableName": name, "TableStatus": "ACTIVE", "ItemCount": 0, "TableSizeBytes": 0,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "EmailIndex", "IndexStatus": "ACTIVE"}],
        }
        return operation, "application/x-amz-json-1.0", json.dumps({"Table": table}).encode()
    if operation == "ListKeys":
        return operation, "application/x-amz-json-1.1", b'{"Keys": [], "Truncated": false}'
    return operation, "application/x-amz-json-1.1", b"{}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        service, reason = verify(self.command, self.path, self.headers, body)
        if reason is None:
            operation, content_type, answer = success_body(service, self.command, self.path, self.headers, body)
            status = 200
        else:
            operation = (self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]) or None
            status, content_type, answer = self.failure(service, reason)
        with LOCK, open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps({"method": self.command, "path": self.path, "service": service,
                                  "operation": operation, "valid": reason is None, "reason": reason}) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.send_header("x-amzn-RequestId" if service != "s3" else "x-amz-request-id", "sigcheck-request")
        if service == "s3" and reason is None:
            self.send_header("ETag", '"sigcheck"')
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)
        self.close_connection = True

    @staticmethod
    def failure(service, reason):
        if service == "s3":
            code = "XAmzContentSHA256Mismatch" if reason == "XAmzContentSHA256Mismatch" else "SignatureDoesNotMatch"
            message = reason if code != "SignatureDoesNotMatch" else JSON_MISMATCH
            return 403, "application/xml", (
                f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>sigcheck-request</RequestId></Error>"
            ).encode()
        if service == "sts":
            return 403, "text/xml", (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>{JSON_MISMATCH}"
                f"</Message></Error><RequestId>sigcheck-request</RequestId></ErrorResponse>"
            ).encode()
        message = "Signature expired" if reason == "Signature expired" else JSON_MISMATCH
        if reason.startswith("missing or malformed Authorization"):
            return 400, "application/x-amz-json-1.1", json.dumps(
                {"__type": "com.amazon.coral.service#IncompleteSignatureException", "message": reason}).encode()
        return 400, "application/x-amz-json-1.1", json.dumps(
            {"__type": "com.amazon.coral.service#InvalidSignatureException", "message": message}).encode()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file = sys.argv[1]
    with open(port_file + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
