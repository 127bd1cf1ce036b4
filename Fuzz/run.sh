#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer driver with AddressSanitizer and runs each fuzz target for a
# bounded time from its committed seed corpus.
#   FUZZ_SECONDS=60          seconds per target
#   FUZZ_TARGETS="aws-xml"   the targets to run (default: every folder of Fuzz/corpus)
#   FUZZ_ARGS="-seed=1"      more libFuzzer options
# The corpus grown by a run stays in .build-fuzz/corpus/<target>/; a crash input, its log and
# libFuzzer's output go to .build-fuzz/findings/<target>/. Exits 1 when a target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-$(ls Fuzz/corpus)}
scratch=.build-fuzz
# SwiftPM's --sanitize=fuzzer links libFuzzer but does not instrument the code for coverage
# (Swift 6.3.1): the coverage flags are passed to every Swift module explicitly.
flags=(--scratch-path "$scratch" --sanitize=fuzzer --sanitize=address
       -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table)
export USERVAULT_FUZZ=1
swift build "${flags[@]}" --product uservault-fuzz 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" || true
bin="$(swift build "${flags[@]}" --show-bin-path)/uservault-fuzz"
[[ -x $bin ]] || { echo "fuzz: the build of uservault-fuzz failed" >&2; exit 2; }

mkdir -p "$scratch/tmp"
crashed=()
for target in $targets; do
    [[ -d Fuzz/corpus/$target ]] || { echo "fuzz: no target '$target' (Fuzz/corpus/<target>)" >&2; exit 2; }
    grown="$scratch/corpus/$target"
    findings="$scratch/findings/$target"
    mkdir -p "$grown" "$findings"
    dict=()
    [[ -f Fuzz/dict/$target.dict ]] && dict=("-dict=Fuzz/dict/$target.dict")
    echo "fuzz: $target for ${seconds}s (log: $findings/fuzz.log)"
    # Swift's own crash handler trips AddressSanitizer: libFuzzer's reports the crash instead.
    # No leak checks: the Swift runtime's caches live until exit.
    if FUZZ_TARGET=$target TMPDIR="$PWD/$scratch/tmp" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
        "$bin" "$grown" "Fuzz/corpus/$target" "${dict[@]}" -max_total_time="$seconds" -timeout=30 \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$findings/" ${FUZZ_ARGS:-} >"$findings/fuzz.log" 2>&1; then
        status="no crash"
    else
        status="CRASHED: $(ls -t "$findings" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | head -1)"
        crashed+=("$target")
        grep -E "Fatal error|ERROR: (libFuzzer|AddressSanitizer)|SUMMARY" "$findings/fuzz.log" | head -5 || true
    fi
    last=$(grep -E '^#[0-9]+' "$findings/fuzz.log" | tail -1 || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$findings/fuzz.log")
    echo "fuzz: $target: $status; ${runs:-?} runs; ${last:-no progress line}"
done
if (( ${#crashed[@]} )); then
    echo "fuzz: crashed: ${crashed[*]}. Reproduce: FUZZ_TARGET=<target> $bin <crash file>" >&2
    exit 1
fi
