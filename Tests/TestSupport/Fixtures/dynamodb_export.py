#!/usr/bin/env python3
"""Writes DynamoDB exports to S3 in AWS's documented layout ("DynamoDB table export output
format"), for the tests of UserVault's export reader: moto writes only one data file of
{"Item"} lines and no manifest, so the layout the reader must accept comes from here.

  dynamodb_export.py export TABLE BUCKET PREFIX [--files N] [--export-time T] [--format F]
        a full export of TABLE (a scan with boto3) in N data files (items dealt round-robin):
        PREFIX/AWSDynamoDB/<ExportId>/{_started, manifest-summary.json, manifest-files.json,
        data/<id>.json.gz}; each data file's md5Checksum (base64) and etag as S3 answered; prints
        {"exportArn", "folder", "dataFiles": [keys]}
  dynamodb_export.py complete-moto BUCKET PREFIX TABLE [--export-time T]
        the export moto wrote for TABLE's one completed export (its one PREFIX/AWSDynamoDB/<uuid>/data/<uuid>.gz,
        copied byte for byte) put where AWS would have it, PREFIX/AWSDynamoDB/<ARN's last part>/,
        with the manifests AWS writes beside it; prints {"exportArn", "folder", "dataFiles"}
  dynamodb_export.py enable-pitr TABLE       turn point-in-time recovery on
  dynamodb_export.py count-exports TABLE     print how many exports of TABLE DynamoDB knows
  dynamodb_export.py put-varied TABLE
        users whose items carry every DynamoDB attribute type beyond the public attributes
        (N, B, BOOL, NULL, M, L, SS, NS, BS; built with boto3's TypeSerializer), a legacy user
        (no createdAt), an item of another type and an email guard
  dynamodb_export.py tamper BUCKET FOLDER KEY (byte|drop-line|count)
        byte: one byte of the gzip header's MTIME changed (the data still inflates; the etag in
        manifest-files.json follows S3, so only the MD5 can tell); drop-line: the file rewritten
        without its first line (md5Checksum and etag follow, itemCount does not); count: the
        file's itemCount and the summary's raised by one (the totals still agree)

Aimed at moto through AWS_ENDPOINT_URL; never at real AWS.
"""
import base64
import gzip
import hashlib
import io
import json
import os
import sys
import uuid
from decimal import Decimal

import boto3
from boto3.dynamodb.types import Binary, TypeSerializer
from botocore.config import Config

endpoint = os.environ["AWS_ENDPOINT_URL"]
assert endpoint.startswith("http://127.0.0.1:"), "fixtures run against a loopback moto only"
region = os.environ.get("AWS_REGION", "us-east-1")
# moto answers slowly on a loaded machine (a Scan page re-sorts the table): wait, and retry.
patient = Config(read_timeout=600, retries={"mode": "standard", "max_attempts": 8})
dynamo = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region, config=patient)
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region, config=patient)
ACCOUNT = "123456789012"


def wire(value):
    """A low-level AttributeValue (bytes in it) as DynamoDB JSON (base64 for binaries)."""
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    return value


def item_json(item):
    # B and BS hold bytes: DynamoDB JSON writes them in base64.
    out = {}
    for name, value in item.items():
        ((kind, inner),) = value.items()
        if kind == "B":
            out[name] = {"B": base64.b64encode(bytes(inner)).decode()}
        elif kind == "BS":
            out[name] = {"BS": [base64.b64encode(bytes(b)).decode() for b in inner]}
        else:
            out[name] = wire(value)
    return out


def scan_all(table):
    items, start = [], None
    while True:
        kwargs = {"TableName": table}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = dynamo.scan(**kwargs)
        items += page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def put_data_file(bucket, key, body):
    answer = s3.put_object(Bucket=bucket, Key=key, Body=body)
    return {"itemCount": body_count(body), "md5Checksum": base64.b64encode(hashlib.md5(body).digest()).decode(),
            "etag": answer["ETag"].strip('"'), "dataFileS3Key": key}


def body_count(body):
    return sum(1 for line in gzip.decompress(body).split(b"\n") if line.strip())


def write_manifests(bucket, folder, export_arn, table_arn, export_time, entries, fmt="DYNAMODB_JSON"):
    files_key = folder + "manifest-files.json"
    s3.put_object(Bucket=bucket, Key=files_key, Body="".join(json.dumps(e) + "\n" for e in entries).encode())
    summary = {
        "version": "2020-06-30", "exportArn": export_arn, "startTime": export_time, "endTime": export_time,
        "tableArn": table_arn, "tableId": str(uuid.uuid4()), "exportTime": export_time, "s3Bucket": bucket,
        "s3Prefix": folder.split("/AWSDynamoDB/")[0], "s3SseAlgorithm": "AES256", "s3SseKmsKeyId": None,
        "manifestFilesS3Key": files_key, "billedSizeBytes": 0,
        "itemCount": sum(e["itemCount"] for e in entries), "outputFormat": fmt, "exportType": "FULL_EXPORT",
    }
    s3.put_object(Bucket=bucket, Key=folder + "manifest-summary.json", Body=json.dumps(summary).encode())


def gz(lines):
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as stream:
        stream.write("".join(lines).encode())
    return buffer.getvalue()


def export(table, bucket, prefix, files, export_time, fmt):
    table_arn = dynamo.describe_table(TableName=table)["Table"]["TableArn"]
    export_id = "01700000000000-" + uuid.uuid4().hex[:8]
    export_arn = f"{table_arn}/export/{export_id}"
    folder = f"{prefix}/AWSDynamoDB/{export_id}/"
    s3.put_object(Bucket=bucket, Key=folder + "_started", Body=b"")
    items = scan_all(table)
    groups = [items[i::files] for i in range(files)]
    entries = []
    for group in groups:
        key = f"{folder}data/{uuid.uuid4().hex}.json.gz"
        entries.append(put_data_file(bucket, key, gz(json.dumps({"Item": item_json(i)}) + "\n" for i in group)))
    write_manifests(bucket, folder, export_arn, table_arn, export_time, entries, fmt)
    print(json.dumps({"exportArn": export_arn, "folder": folder, "dataFiles": [e["dataFileS3Key"] for e in entries]}))


def complete_moto(bucket, prefix, table, export_time):
    table_arn = dynamo.describe_table(TableName=table)["Table"]["TableArn"]
    exports = [e for e in dynamo.list_exports(TableArn=table_arn)["ExportSummaries"] if e["ExportStatus"] == "COMPLETED"]
    assert len(exports) == 1, f"one completed export of {table}: {exports}"
    export_arn = exports[0]["ExportArn"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/AWSDynamoDB/").get("Contents", [])
    moto_files = [o["Key"] for o in listed if "/data/" in o["Key"] and o["Key"].endswith(".gz")]
    assert len(moto_files) == 1, f"moto wrote one data file: {moto_files}"
    body = s3.get_object(Bucket=bucket, Key=moto_files[0])["Body"].read()
    export_id = export_arn.rsplit("/", 1)[-1]
    folder = f"{prefix}/AWSDynamoDB/{export_id}/"
    entry = put_data_file(bucket, folder + "data/" + moto_files[0].rsplit("/", 1)[-1], body)
    write_manifests(bucket, folder, export_arn, table_arn, export_time, [entry])
    print(json.dumps({"exportArn": export_arn, "folder": folder, "dataFiles": [entry["dataFileS3Key"]]}))


def put_varied(table):
    ser = TypeSerializer()
    users = [
        {"id": str(uuid.uuid4()), "type": "users", "firstname": "Ünïcode \"quoted\"", "lastname": "Tab\tNewline\n",
         "email": "varied.one@example.com", "username": "varied1", "createdAt": "2026-01-02T03:04:05Z",
         "credentials": Binary(os.urandom(64)), "credentialsKeyId": "arn:aws:kms:us-east-1:123456789012:key/" + str(uuid.uuid4()),
         "score": Decimal("12.50"), "active": True, "nothing": None,
         "profile": {"city": "Zürich", "floors": [Decimal(1), Decimal(2)], "blob": Binary(b"\x00\x01")},
         "history": ["a", Decimal(3), False, None, {"k": "v"}],
         "tags": {"x", "y"}, "lucky": {Decimal(7), Decimal(13)}, "blobs": {Binary(b"\x01"), Binary(b"\x02")}},
        {"id": str(uuid.uuid4()), "type": "users", "firstname": "Legacy", "lastname": "Record",
         "email": "Legacy.Varied@Example.com", "username": "legacy-varied", "credentials": Binary(os.urandom(48))},
        {"id": str(uuid.uuid4()), "type": "audit-note", "note": "not a user"},
        {"id": "EMAIL#varied.one@example.com", "type": "email-guard", "userId": "someone"},
    ]
    for user in users:
        dynamo.put_item(TableName=table, Item={k: ser.serialize(v) for k, v in user.items()})
    print(json.dumps({"ids": [u["id"] for u in users]}))


def tamper(bucket, folder, key, how):
    files_key = folder + "manifest-files.json"
    entries = [json.loads(l) for l in s3.get_object(Bucket=bucket, Key=files_key)["Body"].read().decode().splitlines() if l]
    summary = json.loads(s3.get_object(Bucket=bucket, Key=folder + "manifest-summary.json")["Body"].read())
    entry = next(e for e in entries if e["dataFileS3Key"] == key)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if how == "byte":
        changed = bytearray(body)
        changed[4] ^= 0x01  # MTIME: the data inflates the same
        answer = s3.put_object(Bucket=bucket, Key=key, Body=bytes(changed))
        entry["etag"] = answer["ETag"].strip('"')
    elif how == "drop-line":
        lines = gzip.decompress(body).decode().splitlines(keepends=True)
        changed = gz(lines[1:])
        answer = s3.put_object(Bucket=bucket, Key=key, Body=changed)
        entry["etag"] = answer["ETag"].strip('"')
        entry["md5Checksum"] = base64.b64encode(hashlib.md5(changed).digest()).decode()
    elif how == "count":
        entry["itemCount"] += 1
        summary["itemCount"] += 1
        s3.put_object(Bucket=bucket, Key=folder + "manifest-summary.json", Body=json.dumps(summary).encode())
    else:
        raise SystemExit(f"unknown tamper {how}")
    s3.put_object(Bucket=bucket, Key=files_key, Body="".join(json.dumps(e) + "\n" for e in entries).encode())


def option(args, name, default):
    return args[args.index(name) + 1] if name in args else default


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "export":
        export(args[0], args[1], args[2], int(option(args, "--files", "3")),
               option(args, "--export-time", "2026-11-30T00:00:00.000Z"), option(args, "--format", "DYNAMODB_JSON"))
    elif command == "complete-moto":
        complete_moto(args[0], args[1], args[2], option(args, "--export-time", "2026-11-30T00:00:00.000Z"))
    elif command == "enable-pitr":
        dynamo.update_continuous_backups(TableName=args[0], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    elif command == "count-exports":
        table_arn = dynamo.describe_table(TableName=args[0])["Table"]["TableArn"]
        print(len(dynamo.list_exports(TableArn=table_arn)["ExportSummaries"]))
    elif command == "put-varied":
        put_varied(args[0])
    elif command == "tamper":
        tamper(args[0], args[1], args[2], args[3])
    else:
        raise SystemExit(__doc__)
