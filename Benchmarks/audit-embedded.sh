#!/usr/bin/env bash
# Issue #4's embedded speed check: a standard-depth audit of USERS users (default 1,000,000) in
# the embedded store, beside the raw read of the same SQLite file by the sqlite3 CLI.
# Targets: audit wall time within 5x the raw read; peak RSS <= 256 MB. Release build.
#   Benchmarks/audit-embedded.sh [USERS] [SEGMENTS] [CONCURRENCY]
# STORE=path keeps (or reuses) the fixture there instead of a temporary one.
segments=${2:-16}
concurrency=${3:-4}
source "$(dirname "$0")/lib/embedded-bench.sh"
echo "== uservault audit --segments $segments --concurrency $concurrency (standard depth)"
for _ in 1 2; do
    rc=0
    /usr/bin/time -f "audit: %e s wall, %U s user, %S s sys, %M KB max RSS" \
        .build/release/uservault --store "$store" --log-level warning audit --segments "$segments" \
        --concurrency "$concurrency" --report-dir "$work/reports" --progress never || rc=$?
    ((rc <= 1)) || exit "$rc"
done
