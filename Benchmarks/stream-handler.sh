#!/usr/bin/env bash
# Issue #26: the stream function's throughput and client cost, against the latency fixture
# (`uservault-bench latency-fixture`: GetItem and every KMS request answered after 5 ms,
# keep-alive, 1% of keys in a bad state), on a loopback Lambda Runtime API
# (Benchmarks/lib/stream_bench.py), release build.
#   Benchmarks/stream-handler.sh [USERS]      (default 20000; BUILD=.build-x: another build folder)
# Prints:
#   1. per invocation, records proven per second (batches of 100 and 1,000 KEYS_ONLY MODIFY
#      records: each user read again with a consistent GetItem, then proven with ReEncrypt,
#      --key-state proof as on AWS KMS), and the function's CPU per record;
#   2. the nightly audit's CPU per user on the same fixture (proof mode, budgets lifted), the
#      median of AUDIT_RUNS runs (default 3), for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-20000}
audit_runs=${AUDIT_RUNS:-3}
build=${BUILD:-.build}
swift build -c release --scratch-path "$build" --product uservault >/dev/null
swift build -c release --scratch-path "$build" --product uservault-bench >/dev/null
work=$(mktemp -d)
fixture_pid=
trap '[[ -n $fixture_pid ]] && kill "$fixture_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
"$build"/release/uservault-bench latency-fixture "$users" 20 1000 --kms-delay-ms 5 --item-delay-ms 5 --defects 0.01 >"$work/fixture.out" 2>&1 &
fixture_pid=$!
for _ in $(seq 100); do grep -q '^endpoint ' "$work/fixture.out" && break; sleep 0.1; done
endpoint=$(awk '/^endpoint / { print $2 }' "$work/fixture.out")
[[ -n $endpoint ]] || { echo "the fixture did not start" >&2; exit 2; }

echo "== 1. the stream function: $users users, GetItem and KMS after 5 ms"
python3 Benchmarks/lib/stream_bench.py "$build"/release/uservault "$endpoint" "$users" 100 1000 --invocations "${INVOCATIONS:-5}" \
    --log "$work/function.log"

echo "== 2. the nightly audit on the same fixture: CPU per user (proof mode, budgets lifted)"
per_user=()
for run in $(seq "$audit_runs"); do
    AWS_ACCESS_KEY_ID=AKIDaudit AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 /usr/bin/time -o "$work/audit.time" -f '%e %U %S' \
        "$build"/release/uservault --backend aws --endpoint-url "$endpoint" --log-level warning audit --progress never \
        --key-state proof --segments 16 --kms-rate Cryptographic=0 --kms-rate DescribeKey=0 --concurrency 16 \
        --report-dir "$work/reports" >"$work/audit.out" 2>"$work/audit.err" || true
    grep -q "audit of" "$work/audit.out" || { echo "the audit failed: $(cat "$work/audit.err")" >&2; exit 2; }
    # The last line: /usr/bin/time puts "Command exited with non-zero status 1" (findings) first.
    read -r wall user sys < <(tail -n 1 "$work/audit.time")
    per_user+=("$(awk -v u="$user" -v s="$sys" -v n="$users" 'BEGIN { printf "%.1f", (u + s) / n * 1e6 }')")
    echo "audit run $run: wall $wall s, CPU $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') s = ${per_user[-1]} µs/user"
done
echo "audit: median $(printf '%s\n' "${per_user[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') µs/user of $audit_runs runs"
