#!/usr/bin/env python3
"""Writes and reads users the way the original Node.js service did, with boto3.

  original_service.py write TABLE N [--rotation]
                                             create N legacy users; prints one JSON line per user
                                             {"id", "email", "password"} (test fixtures only);
                                             --rotation: turn on their keys' rotation afterwards
  original_service.py write-records TABLE N  N records of the same legacy shape, fast (BatchWriteItem),
                                             with random bytes standing in for the ciphertext and no
                                             KMS key: for jobs that never read credentials (export)
  original_service.py plant TABLE ID...      plant legacy-style defects on those users, one kind each
                                             in this order (shared-key takes two: borrower, owner):
                                             plaintext-string plaintext-bytes random-bytes
                                             truncated-ciphertext missing-credentials disabled-key
                                             pending-deletion-key shared-key; prints one JSON line per
                                             defect {"kind", "userId", "otherUserId"?}
  original_service.py decrypt TABLE ID       decrypt a UserVault-written user's credentials with
                                             context {"userId": ID}; prints the plaintext
  original_service.py create-table TABLE     the original table: id (S) + GSI EmailIndex on email

Aimed at moto through AWS_ENDPOINT_URL; never at real AWS.
"""
import json
import os
import sys
import uuid

import boto3

endpoint = os.environ["AWS_ENDPOINT_URL"]
assert endpoint.startswith("http://127.0.0.1:"), "fixtures run against a loopback moto only"
region = os.environ.get("AWS_REGION", "us-east-1")
dynamo = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region)
kms = boto3.client("kms", endpoint_url=endpoint, region_name=region)


def create_table(table):
    dynamo.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                              {"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "EmailIndex",
            "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE",
                           "NonKeyAttributes": ["type", "firstname", "lastname", "username"]},
        }],
        BillingMode="PAY_PER_REQUEST",
    )


def write(table, count, rotation=False):
    for index in range(count):
        user_id = str(uuid.uuid4())
        email = f"Legacy.User{index}@Example.com"
        password = f"legacy-password-{index}"
        key = kms.create_key(Description=f"key for {user_id}", Tags=[{"TagKey": "CreatedBy", "TagValue": user_id}])
        blob = kms.encrypt(KeyId=key["KeyMetadata"]["KeyId"], Plaintext=password.encode())["CiphertextBlob"]
        if rotation:
            kms.enable_key_rotation(KeyId=key["KeyMetadata"]["KeyId"])
        dynamo.put_item(TableName=table, Item={
            "id": {"S": user_id}, "type": {"S": "users"}, "firstname": {"S": "Legacy"},
            "lastname": {"S": f"User{index}"}, "email": {"S": email}, "username": {"S": f"legacy{index}"},
            "credentials": {"B": blob},
        })
        print(json.dumps({"id": user_id, "email": email, "password": password}))


def write_records(table, count):
    items = [{"PutRequest": {"Item": {
        "id": {"S": str(uuid.uuid4())}, "type": {"S": "users"}, "firstname": {"S": "Legacy"},
        "lastname": {"S": f"User{index}"}, "email": {"S": f"Legacy.User{index}@Example.com"},
        "username": {"S": f"legacy{index}"}, "credentials": {"B": os.urandom(184)},
    }}} for index in range(count)]
    for start in range(0, count, 25):
        pending = {table: items[start:start + 25]}
        while pending:
            pending = dynamo.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None


def key_of(user_id):
    for key in kms.list_keys()["Keys"]:
        tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
        if {"TagKey": "CreatedBy", "TagValue": user_id} in tags:
            return key["KeyId"]
    raise SystemExit(f"no key tagged CreatedBy={user_id}")


def plant(table, ids):
    kinds = ["plaintext-string", "plaintext-bytes", "random-bytes", "truncated-ciphertext", "missing-credentials",
             "disabled-key", "pending-deletion-key", "shared-key"]
    ids = list(ids)
    for kind in kinds:
        user_id = ids.pop(0)
        item = dynamo.get_item(TableName=table, Key={"id": {"S": user_id}})["Item"]
        other = None
        if kind == "plaintext-string":
            item["credentials"] = {"S": "plaintext-password"}
        elif kind == "plaintext-bytes":
            item["credentials"] = {"B": b"plaintext-password"}
        elif kind == "random-bytes":
            item["credentials"] = {"B": os.urandom(150)}
        elif kind == "truncated-ciphertext":
            # moto's ciphertexts begin with the key id in ASCII: cut where the prefix is no longer
            # all printable, or the defect would read as a plaintext password.
            blob = item["credentials"]["B"]
            cut = 40
            while cut < len(blob) - 1 and all(0x20 <= b <= 0x7E for b in blob[:cut]):
                cut += 1
            item["credentials"] = {"B": blob[:cut]}
        elif kind == "missing-credentials":
            del item["credentials"]
        elif kind == "disabled-key":
            kms.disable_key(KeyId=key_of(user_id))
        elif kind == "pending-deletion-key":
            kms.schedule_key_deletion(KeyId=key_of(user_id), PendingWindowInDays=7)
        elif kind == "shared-key":
            # The borrower's credentials, re-encrypted under the owner's key (the borrower keeps its own).
            other = ids.pop(0)
            item["credentials"] = {"B": kms.re_encrypt(CiphertextBlob=item["credentials"]["B"],
                                                       DestinationKeyId=key_of(other))["CiphertextBlob"]}
        dynamo.put_item(TableName=table, Item=item)
        print(json.dumps({"kind": kind, "userId": user_id, **({"otherUserId": other} if other else {})}))


def decrypt(table, user_id):
    item = dynamo.get_item(TableName=table, Key={"id": {"S": user_id}})["Item"]
    plaintext = kms.decrypt(CiphertextBlob=item["credentials"]["B"], EncryptionContext={"userId": user_id})["Plaintext"]
    print(plaintext.decode())


if __name__ == "__main__":
    command, table = sys.argv[1], sys.argv[2]
    if command == "create-table":
        create_table(table)
    elif command == "write":
        write(table, int(sys.argv[3]), rotation="--rotation" in sys.argv[4:])
    elif command == "write-records":
        write_records(table, int(sys.argv[3]))
    elif command == "plant":
        plant(table, sys.argv[3:])
    elif command == "decrypt":
        decrypt(table, sys.argv[3])
    else:
        sys.exit(f"unknown command {command}")
