#!/usr/bin/env python3
"""The boto3 + tarfile peer of `uservault export --format tar.gz`, written the way a Python
engineer would: a parallel segmented Scan (threads over segments) with the allow-list
projection, one JSON:API document per page into a gzip tar (mode 0600 entries), manifest.json
with every part's count, size and SHA-256, and OUT.sha256 beside it. Prints one JSON line:
{"users", "files"}.

    boto3_export.py ENDPOINT TABLE OUT [SEGMENTS] [THREADS]      (defaults 4 4)
"""
import hashlib
import io
import json
import os
import sys
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

endpoint, table, out = sys.argv[1], sys.argv[2], sys.argv[3]
segments = int(sys.argv[4]) if len(sys.argv) > 4 else 4
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 4
config = Config(retries={"mode": "standard", "max_attempts": 8}, max_pool_connections=threads * 2)
session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
dynamodb = session.client("dynamodb", endpoint_url=endpoint, config=config)
ATTRIBUTES = ["firstname", "lastname", "email", "username", "createdAt"]
lock = threading.Lock()
files = []


def add(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
    archive.addfile(info, io.BytesIO(data))


def scan(segment, archive):
    names = {f"#a{i}": name for i, name in enumerate(["id", "type"] + ATTRIBUTES)}
    request = {"TableName": table, "Segment": segment, "TotalSegments": segments, "Limit": 1000,
               "ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names,
               "FilterExpression": "#a1 = :users", "ExpressionAttributeValues": {":users": {"S": "users"}}}
    sequence = 0
    while True:
        page = dynamodb.scan(**request)
        users = [{"type": "users", "id": item["id"]["S"],
                  "attributes": {name: item[name]["S"] for name in ATTRIBUTES if name in item}}
                 for item in page["Items"]]
        if users:
            path = f"users/part-0-{segment}-{sequence}.json"
            sequence += 1
            data = json.dumps({"jsonapi": {"version": "1.0"}, "data": users,
                               "meta": {"part": path, "count": len(users)}}).encode()
            with lock:
                add(archive, path, data)
                files.append({"path": path, "items": len(users), "bytes": len(data),
                              "sha256": hashlib.sha256(data).hexdigest()})
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


partial = out + ".partial"
descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda segment: scan(segment, archive), range(segments)))
    files.sort(key=lambda entry: entry["path"])
    manifest = {"jsonapi": {"version": "1.0"},
                "meta": {"table": table, "backend": "aws", "itemCount": sum(f["items"] for f in files), "files": files}}
    add(archive, "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
with open(partial, "rb") as handle:
    digest = hashlib.sha256(handle.read()).hexdigest()
with open(out + ".sha256", "w") as handle:
    handle.write(f"{digest}  {os.path.basename(out)}\n")
os.rename(partial, out)
print(json.dumps({"users": sum(f["items"] for f in files), "files": len(files)}))
