#!/usr/bin/env python3
"""Changes a KMS key on moto the way an operator would (boto3), for the key-event tests.

Usage: kms_admin.py ACTION KEY_ID [VALUE]
ACTION: disable, enable, schedule-deletion, cancel-deletion, deny-proof (a key policy that
denies ReEncrypt and DescribeKey to everyone), allow-all (the default policy back),
disable-rotation, enable-rotation, untag-owner, tag-owner VALUE.
The endpoint and credentials come from the environment (AWS_ENDPOINT_URL, AWS_REGION, ...).
"""
import json
import os
import sys

import boto3

action, key = sys.argv[1], sys.argv[2]
endpoint = os.environ["AWS_ENDPOINT_URL"]
assert endpoint.startswith("http://127.0.0.1:"), "fixtures run against a loopback moto only"
kms = boto3.client("kms", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))
if action == "disable":
    kms.disable_key(KeyId=key)
elif action == "enable":
    kms.enable_key(KeyId=key)
elif action == "schedule-deletion":
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
elif action == "cancel-deletion":
    kms.cancel_key_deletion(KeyId=key)
elif action in ("deny-proof", "allow-all"):
    statements = [{"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]
    if action == "deny-proof":
        statements.append({"Sid": "DenyTheProof", "Effect": "Deny", "Principal": {"AWS": "*"},
                           "Action": ["kms:ReEncrypt*", "kms:DescribeKey"], "Resource": "*"})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
elif action == "disable-rotation":
    kms.disable_key_rotation(KeyId=key)
elif action == "enable-rotation":
    kms.enable_key_rotation(KeyId=key)
elif action == "untag-owner":
    kms.untag_resource(KeyId=key, TagKeys=["CreatedBy"])
elif action == "tag-owner":
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "CreatedBy", "TagValue": sys.argv[3]}])
else:
    sys.exit(f"unknown action {action}")
