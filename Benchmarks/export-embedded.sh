#!/usr/bin/env bash
# Issue #5's embedded speed check: an export of USERS users (default 1,000,000) from the embedded
# store, tar.zst (the target) and tar.gz (beside it), next to the raw read of the same SQLite file
# by the sqlite3 CLI. Targets: tar.zst wall time within 5x the raw read of the users; peak RSS
# <= 256 MB. Each archive is checked with verify-export afterwards (not timed). Release build.
#   Benchmarks/export-embedded.sh [USERS] [SEGMENTS]
# STORE=path keeps (or reuses) the fixture there instead of a temporary one.
segments=${2:-}
source "$(dirname "$0")/lib/embedded-bench.sh"
for format in tar.zst tar.gz; do
    echo "== uservault export --format $format${segments:+ --segments $segments}"
    for _ in 1 2; do
        rm -f "$work/users.$format" "$work/users.$format.sha256"
        /usr/bin/time -f "export $format: %e s wall, %U s user, %S s sys, %M KB max RSS" \
            .build/release/uservault --store "$store" --log-level warning export --output "$work/users.$format" \
            ${segments:+--segments "$segments"} --progress never
    done
    .build/release/uservault verify-export "$work/users.$format"
done
