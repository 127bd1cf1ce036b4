#!/usr/bin/env bash
# Issue #26: `uservault watch`'s latency from a write to its printed line, p50/p99 over WRITES
# writes (default 100), on the embedded store and on moto (release build).
#   Benchmarks/watch-latency.sh [WRITES]      (BUILD=.build-x: another build folder)
# Each write is a user whose password is stored readable (CREDENTIALS_PLAINTEXT): the latency
# runs from the start of the write to the watch's line about it (`uservault-bench watch-latency`).
set -euo pipefail
cd "$(dirname "$0")/.."
writes=${1:-100}
build=${BUILD:-.build}
swift build -c release --scratch-path "$build" --product uservault >/dev/null
swift build -c release --scratch-path "$build" --product uservault-bench >/dev/null
work=$(mktemp -d)
moto_pid=
trap '[[ -n $moto_pid ]] && kill "$moto_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== embedded store"
"$build"/release/uservault --store "$work/store.sqlite" seed --users 100 --log-level warning >/dev/null
"$build"/release/uservault-bench watch-latency embedded "$work/store.sqlite" "$writes"

echo "== moto (the table's DynamoDB stream; watch --interval 0.2)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 200); do curl -s "http://127.0.0.1:$port/moto-api/data.json" >/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
"$build"/release/uservault --backend aws init --log-level warning >/dev/null
"$build"/release/uservault-bench watch-latency aws "$AWS_ENDPOINT_URL" users "$writes"
