#!/usr/bin/env python3
"""Writes the users of an embedded store as a DynamoDB export to S3 in AWS's documented layout
(manifest-summary.json, manifest-files.json, data/*.json.gz of {"Item"} lines in DynamoDB JSON),
for Benchmarks/export-pitr.sh: the same items the embedded scan export reads, as
`export --from-export` reads them from S3.

  store_to_ddb_export.py STORE ENDPOINT BUCKET PREFIX FILES [TABLE]
Prints the export's folder; also the items' DynamoDB size in bytes and what a scan of them would
consume in read capacity units (eventually consistent: 0.5 RCU per 4 KB read).
"""
import base64
import gzip
import hashlib
import io
import json
import sqlite3
import sys

import boto3


def main(store, endpoint, bucket, prefix, files, table="bench"):
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    rows = sqlite3.connect(store).execute(
        "SELECT id, type, firstname, lastname, email, username, created_at, credentials, credentials_key_id, guard_user_id FROM items")
    export_id = f"01700000000000-{files:08d}"
    arn_table = f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"
    folder = f"{prefix}/AWSDynamoDB/{export_id}/"
    buffers = [io.BytesIO() for _ in range(files)]
    streams = [gzip.GzipFile(fileobj=b, mode="wb", mtime=0, compresslevel=6) for b in buffers]
    counts = [0] * files
    size = 0
    for index, row in enumerate(rows):
        names = ["id", "type", "firstname", "lastname", "email", "username", "createdAt", "credentials", "credentialsKeyId", "userId"]
        item = {}
        for name, value in zip(names, row):
            if value is None:
                continue
            if isinstance(value, bytes):
                item[name] = {"B": base64.b64encode(value).decode()}
                size += len(name) + len(value)
            else:
                item[name] = {"S": str(value)}
                size += len(name) + len(str(value).encode())
        # Compact, as AWS writes its data files ({"Item":{"id":{"S":"..."},...}}, no spaces).
        streams[index % files].write((json.dumps({"Item": item}, separators=(",", ":")) + "\n").encode())
        counts[index % files] += 1
    entries = []
    for number, (stream, buffer) in enumerate(zip(streams, buffers)):
        stream.close()
        body = buffer.getvalue()
        key = f"{folder}data/{number:04d}.json.gz"
        etag = s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')
        entries.append({"itemCount": counts[number], "md5Checksum": base64.b64encode(hashlib.md5(body).digest()).decode(),
                        "etag": etag, "dataFileS3Key": key})
    s3.put_object(Bucket=bucket, Key=folder + "manifest-files.json", Body="".join(json.dumps(e) + "\n" for e in entries).encode())
    summary = {"version": "2020-06-30", "exportArn": f"{arn_table}/export/{export_id}", "tableArn": arn_table,
               "exportTime": "2026-11-30T00:00:00.000Z", "startTime": "2026-11-30T00:00:00.000Z", "endTime": "2026-11-30T00:05:00.000Z",
               "s3Bucket": bucket, "s3Prefix": prefix, "manifestFilesS3Key": folder + "manifest-files.json",
               "itemCount": sum(counts), "outputFormat": "DYNAMODB_JSON", "exportType": "FULL_EXPORT"}
    s3.put_object(Bucket=bucket, Key=folder + "manifest-summary.json", Body=json.dumps(summary).encode())
    largest = max(len(b.getvalue()) for b in buffers)
    print(json.dumps({"folder": folder, "items": sum(counts), "dataFiles": files, "largestDataFileBytes": largest,
                      "itemBytes": size, "scanReadUnits": (size + 4095) // 4096 * 0.5}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), *sys.argv[6:])
