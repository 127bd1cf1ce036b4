#!/usr/bin/env bash
# Issue #5's speed comparison: a tar.gz export of USERS legacy users in moto, by
# `uservault export` and by a boto3 + tarfile implementation (Benchmarks/peers/boto3_export.py),
# same segments and concurrency. Target: client CPU per exported user <= 0.25x the peer's
# (see Benchmarks/lib/moto-bench.sh).
#   Benchmarks/export-moto.sh [USERS]      (default 300; the records carry random bytes as
#   credentials and no KMS key, since the export never reads them)
seed_command=write-records
source "$(dirname "$0")/lib/moto-bench.sh"

measure_startup '"dynamodb",'
echo "== export to tar.gz, 4 segments, 4 in flight (best of $runs)"
before_each="rm -f $work/u.tar.gz $work/u.tar.gz.sha256 $work/p.tar.gz $work/p.tar.gz.sha256"
measure uservault "$uservault" --backend aws --table bench --endpoint-url "$endpoint" --region us-east-1 --log-level warning \
    export --output "$work/u.tar.gz" --segments 4 --concurrency 4 --progress never
echo "uservault: $(head -n 1 "$work/uservault.out")"
"$uservault" verify-export "$work/u.tar.gz"
measure boto3 python3 Benchmarks/peers/boto3_export.py "$endpoint" bench "$work/p.tar.gz" 4 4
echo "boto3:     $(cat "$work/boto3.out")"
"$uservault" verify-export "$work/p.tar.gz" || echo "(the peer's archive is not a UserVault export in every detail)"
summarize
