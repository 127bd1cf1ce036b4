#!/usr/bin/env python3
"""The boto3 peer of `uservault-bench aws-rps`: the same calls, the same number in flight
(threads), the same endpoint; prints requests/s and client CPU per request.

    boto3_rps.py ENDPOINT getitem|describekey TARGET [REQUESTS] [IN_FLIGHT]
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

endpoint, operation, target = sys.argv[1], sys.argv[2], sys.argv[3]
requests = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
in_flight = int(sys.argv[5]) if len(sys.argv) > 5 else 32
config = Config(max_pool_connections=in_flight, retries={"mode": "standard"})
session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
if operation == "getitem":
    table, key = target.split("/", 1)
    client = session.client("dynamodb", endpoint_url=endpoint, config=config)
    call = lambda _: client.get_item(TableName=table, Key={"id": {"S": key}})
else:
    client = session.client("kms", endpoint_url=endpoint, config=config)
    call = lambda _: client.describe_key(KeyId=target)
call(0)  # warm up
cpu_start = time.process_time()
start = time.perf_counter()
with ThreadPoolExecutor(max_workers=in_flight) as pool:
    list(pool.map(call, range(requests)))
wall = time.perf_counter() - start
cpu = time.process_time() - cpu_start
print(f"boto3 {operation}: {requests} requests, {in_flight} in flight: {requests / wall:.0f} req/s, "
      f"client CPU {cpu / requests * 1e6:.1f} µs/request")
