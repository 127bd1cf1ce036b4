#!/usr/bin/env python3
"""Writes and reads users the way the original Node.js service did, with boto3.

  original_service.py write TABLE N          create N legacy users; prints one JSON line per user
                                             {"id", "email", "password"} (test fixtures only)
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


def write(table, count):
    for index in range(count):
        user_id = str(uuid.uuid4())
        email = f"Legacy.User{index}@Example.com"
        password = f"legacy-password-{index}"
        key = kms.create_key(Description=f"key for {user_id}", Tags=[{"TagKey": "CreatedBy", "TagValue": user_id}])
        blob = kms.encrypt(KeyId=key["KeyMetadata"]["KeyId"], Plaintext=password.encode())["CiphertextBlob"]
        dynamo.put_item(TableName=table, Item={
            "id": {"S": user_id}, "type": {"S": "users"}, "firstname": {"S": "Legacy"},
            "lastname": {"S": f"User{index}"}, "email": {"S": email}, "username": {"S": f"legacy{index}"},
            "credentials": {"B": blob},
        })
        print(json.dumps({"id": user_id, "email": email, "password": password}))


def decrypt(table, user_id):
    item = dynamo.get_item(TableName=table, Key={"id": {"S": user_id}})["Item"]
    plaintext = kms.decrypt(CiphertextBlob=item["credentials"]["B"], EncryptionContext={"userId": user_id})["Plaintext"]
    print(plaintext.decode())


if __name__ == "__main__":
    command, table = sys.argv[1], sys.argv[2]
    if command == "create-table":
        create_table(table)
    elif command == "write":
        write(table, int(sys.argv[3]))
    elif command == "decrypt":
        decrypt(table, sys.argv[3])
    else:
        sys.exit(f"unknown command {command}")
