#!/usr/bin/env bash
# Issue #4's speed comparison: a standard-depth audit of USERS legacy users (per-user CMKs tagged
# CreatedBy, no encryption context) in moto, by `uservault audit` and by a plain boto3
# implementation (Benchmarks/peers/boto3_audit.py), same segments and concurrency.
# Target: client CPU per audited user <= 0.25x boto3's (see Benchmarks/lib/moto-bench.sh).
#   Benchmarks/audit-moto.sh [USERS]      (default 300; moto creates ~20 keys/s, so 300 take ~15 s)
source "$(dirname "$0")/lib/moto-bench.sh"

measure_startup '"dynamodb", "kms", "resourcegroupstaggingapi"'
echo "== audit, 4 segments, 4 in flight (best of $runs)"
before_each="rm -rf $work/reports"
measure uservault "$uservault" --backend aws --table bench --endpoint-url "$endpoint" --region us-east-1 --log-level warning \
    audit --segments 4 --concurrency 4 --report-dir "$work/reports" --progress never
echo "uservault: $(head -n 1 "$work/uservault.out")"
measure boto3 python3 Benchmarks/peers/boto3_audit.py "$endpoint" bench 4 4
echo "boto3:     $(cat "$work/boto3.out")"
summarize
