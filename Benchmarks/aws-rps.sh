#!/usr/bin/env bash
# Issue #3's benchmark: GetItem and DescribeKey against moto, 32 in flight from one process,
# UserVault's clients beside boto3's. Release build; moto on a loopback port.
#   Benchmarks/aws-rps.sh [REQUESTS]      (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
swift build -c release --product uservault-bench >/dev/null
port=$((20000 + RANDOM % 10000))
python3 -m moto.server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; wait $moto 2>/dev/null || true' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$endpoint/moto-api/data.json" >/dev/null && break; sleep 0.1; done
read -r key <<<"$(AWS_ENDPOINT_URL=$endpoint python3 - <<'PY'
import boto3, os
e = os.environ["AWS_ENDPOINT_URL"]
s = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
d = s.client("dynamodb", endpoint_url=e)
d.create_table(TableName="bench", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
d.put_item(TableName="bench", Item={"id": {"S": "u1"}, "type": {"S": "users"}, "email": {"S": "a@b.io"}})
print(s.client("kms", endpoint_url=e).create_key()["KeyMetadata"]["KeyId"])
PY
)"
for op in getitem describekey; do
    target=$([[ $op == getitem ]] && echo "bench/u1" || echo "$key")
    .build/release/uservault-bench aws-rps "$endpoint" "$op" "$target" "$requests" 32
    python3 Benchmarks/peers/boto3_rps.py "$endpoint" "$op" "$target" "$requests" 32
done
