#!/usr/bin/env bash
# Issue #4's embedded speed check: a standard-depth audit of USERS users (default 1,000,000) in
# the embedded store, beside the raw read of the same SQLite file by the sqlite3 CLI.
# Targets: audit wall time within 5x the raw read; peak RSS <= 256 MB. Release build.
#   Benchmarks/audit-embedded.sh [USERS] [SEGMENTS] [CONCURRENCY]
# STORE=path keeps (or reuses) the fixture there instead of a temporary one.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-1000000}
segments=${2:-16}
concurrency=${3:-4}
swift build -c release --product uservault >/dev/null
swift build -c release --product uservault-bench >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store=${STORE:-$work/store.sqlite}
if [[ ! -f $store ]]; then
    echo "== fixture: $users users, each with its own key, written like the create path (bulk transactions)"
    .build/release/uservault-bench fixture "$store" "$users" 1
fi
ls -l "$store" | awk '{ printf "store: %.0f MB\n", $5 / 1048576 }'
# Warm the page cache for both contenders alike.
cat "$store" >/dev/null
echo "== raw read of the same file by sqlite3 (users; then users + keys, which the audit also reads)"
/usr/bin/time -f "sqlite3 items:        %e s wall, %M KB max RSS" \
    sqlite3 "$store" "SELECT * FROM items WHERE type = 'users';" >/dev/null
/usr/bin/time -f "sqlite3 items + keys: %e s wall, %M KB max RSS" \
    sqlite3 "$store" "SELECT * FROM items WHERE type = 'users'; SELECT * FROM kms_keys; SELECT * FROM kms_key_versions; SELECT * FROM kms_tags;" >/dev/null
/usr/bin/time -f "sqlite3 .dump:         %e s wall, %M KB max RSS" sqlite3 "$store" .dump >/dev/null
echo "== uservault audit --segments $segments --concurrency $concurrency (standard depth)"
for _ in 1 2; do
    rc=0
    /usr/bin/time -f "audit: %e s wall, %U s user, %S s sys, %M KB max RSS" \
        .build/release/uservault --store "$store" --log-level warning audit --segments "$segments" \
        --concurrency "$concurrency" --report-dir "$work/reports" --progress never || rc=$?
    ((rc <= 1)) || exit "$rc"
done
