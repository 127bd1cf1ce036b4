#!/usr/bin/env bash
# Release-build benchmark: seed N users through the real create path, scan them with 8
# segments, and compare with the raw read of the same file by the sqlite3 CLI.
#   Benchmarks/run.sh [USERS]        (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
swift build -c release --product uservault >/dev/null
swift build -c release --product uservault-bench >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store="$work/store.sqlite"
echo "== seed --users $users (release, embedded)"
.build/release/uservault --store "$store" --log-level warning seed --users "$users" --seed 1
echo "== full 8-segment scan (full projection, pages of 1000)"
.build/release/uservault-bench scan "$store" 8 1000
.build/release/uservault-bench scan "$store" 8 1000
echo "== raw read of the same file by sqlite3"
/usr/bin/time -f "sqlite3: %e s wall, %M KB max RSS" sqlite3 "$store" "SELECT * FROM items WHERE type = 'users';" >/dev/null
