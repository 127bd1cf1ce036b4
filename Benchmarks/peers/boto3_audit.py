#!/usr/bin/env python3
"""The boto3 peer of `uservault audit` (standard depth), written the way a Python engineer
would: a CreatedBy -> CMK map from the tagging API, a parallel segmented Scan, then per user
DescribeKey + ReEncrypt to the same key as the proof. Prints one JSON line:
{"users", "verified", "findings": {code: count}, "kmsRequests"}. Never prints credentials.

    boto3_audit.py ENDPOINT TABLE [SEGMENTS] [THREADS] [describe|proof]      (defaults 4 4 describe)

`proof` makes the same requests as `uservault audit --key-state proof`: ReEncrypt alone, the key's
state read from its error (DescribeKey only for KMSInvalidStateException).
"""
import json
import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, table = sys.argv[1], sys.argv[2]
segments = int(sys.argv[3]) if len(sys.argv) > 3 else 4
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 4
proof_mode = len(sys.argv) > 5 and sys.argv[5] == "proof"
config = Config(retries={"mode": "standard", "max_attempts": 8}, max_pool_connections=threads * 2)
session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
dynamodb = session.client("dynamodb", endpoint_url=endpoint, config=config)
kms = session.client("kms", endpoint_url=endpoint, config=config)
tagging = session.client("resourcegroupstaggingapi", endpoint_url=endpoint, config=config)


def bare_key_id(key):
    return key.split("key/", 1)[-1]  # ARN or bare id -> bare id


def key_owners():
    """CreatedBy tag value -> key ARN, for legacy records without credentialsKeyId."""
    owners = {}
    for page in tagging.get_paginator("get_resources").paginate(
            ResourceTypeFilters=["kms:key"], TagFilters=[{"Key": "CreatedBy"}], ResourcesPerPage=50):
        for resource in page["ResourceTagMappingList"]:
            for tag in resource["Tags"]:
                if tag["Key"] == "CreatedBy":
                    owners[tag["Value"]] = resource["ResourceARN"]
    return owners


def looks_like_plaintext(data):
    return 0 < len(data) <= 1024 and all(0x20 <= b <= 0x7E for b in data)


def verify(item, owners):
    """-> (finding code or None, key the credentials are sealed under or None, KMS requests)"""
    user_id = item["id"]["S"]
    credentials = item.get("credentials")
    if credentials is None:
        return "CREDENTIALS_MISSING", None, 0
    if "S" in credentials:
        return "CREDENTIALS_PLAINTEXT", None, 0
    blob = credentials["B"]
    if looks_like_plaintext(blob):
        return "CREDENTIALS_PLAINTEXT", None, 0
    legacy = "credentialsKeyId" not in item
    key = owners.get(user_id) if legacy else item["credentialsKeyId"]["S"]
    if key is None:
        return "KEY_NOT_FOUND", None, 0
    described = 0
    if not proof_mode:
        try:
            state = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]
        except ClientError as error:
            code = error.response["Error"]["Code"]
            return ("KEY_NOT_FOUND" if code == "NotFoundException" else "UNVERIFIABLE"), key, 1
        if state != "Enabled":
            return {"Disabled": "KEY_DISABLED", "PendingDeletion": "KEY_PENDING_DELETION"}.get(state, "UNVERIFIABLE"), key, 1
        described = 1
    context = {} if legacy else {"SourceEncryptionContext": {"userId": user_id},
                                 "DestinationEncryptionContext": {"userId": user_id}}
    try:
        result = kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=key, DestinationKeyId=key, **context)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        by_code = {"InvalidCiphertextException": "NOT_KMS_CIPHERTEXT", "IncorrectKeyException": "KEY_OWNER_MISMATCH",
                   "DisabledException": "KEY_DISABLED", "NotFoundException": "KEY_NOT_FOUND"}
        if code == "KMSInvalidStateException":
            state = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]
            return ("KEY_PENDING_DELETION" if state == "PendingDeletion" else "UNVERIFIABLE"), key, described + 2
        return by_code.get(code, "UNVERIFIABLE"), key, described + 1
    if bare_key_id(result["SourceKeyId"]) != bare_key_id(key):
        return "KEY_OWNER_MISMATCH", result["SourceKeyId"], described + 1
    return None, key, described + 1


def audit_segment(segment, owners):
    results, start = [], {}
    while True:
        page = dynamodb.scan(TableName=table, Segment=segment, TotalSegments=segments, **start)
        for item in page["Items"]:
            if item.get("type", {}).get("S") == "users":
                results.append((item["id"]["S"], *verify(item, owners)))
        if "LastEvaluatedKey" not in page:
            return results
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def main():
    owners = key_owners()
    with ThreadPoolExecutor(max_workers=threads) as pool:  # one thread per segment with the defaults
        results = [r for part in pool.map(lambda s: audit_segment(s, owners), range(segments)) for r in part]
    findings, users_by_key = Counter(), defaultdict(set)
    for user_id, code, key, _ in results:
        if code:
            findings[code] += 1
        if key:
            users_by_key[bare_key_id(key)].add(user_id)
    shared = {u for users in users_by_key.values() if len(users) >= 2 for u in users}
    findings["KEY_SHARED"] += len(shared)
    verified = sum(1 for user_id, code, key, _ in results if code is None and user_id not in shared)
    print(json.dumps({"users": len(results), "verified": verified,
                      "findings": {code: n for code, n in sorted(findings.items()) if n},
                      "kmsRequests": sum(r[3] for r in results)}))


if __name__ == "__main__":
    main()
