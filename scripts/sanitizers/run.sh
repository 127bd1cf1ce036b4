#!/usr/bin/env bash
# Builds and runs the test suite under one sanitizer, then summarises every report it logged.
#   scripts/sanitizers/run.sh thread|address [swift test arguments, e.g. --filter ServeTests]
#
# Each sanitizer has its own build folder (.build-tsan, .build-asan), so the normal .build is
# never rebuilt. Every instrumented process (the test bundle and each `uservault` child the tests
# start) writes its reports to <build folder>/sanitizer-logs/<tsan|asan>.<executable>.<pid>;
# scripts/sanitizers/summarize.py groups them. Fails when the build or a test fails, or when any
# process logged a report. Suppressions: scripts/sanitizers/<tsan|lsan>.supp, one explained entry each.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
swift=${SWIFT:-swift}

sanitizer=${1:-}
shift || true
case "$sanitizer" in
    thread) short=tsan ;;
    address) short=asan ;;
    *) echo "usage: $0 thread|address [swift test arguments]" >&2; exit 2 ;;
esac
scratch=.build-$short
logs=$root/$scratch/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"

# The toolchain's own symbolizer (Debian's llvm-symbolizer may come first on PATH and be older).
symbolizer=$(dirname "$(readlink -f "$(command -v "$swift")")")/llvm-symbolizer
[[ -x $symbolizer ]] || symbolizer=$(command -v llvm-symbolizer || true)
common="log_path=$logs/$short:log_exe_name=1:external_symbolizer_path=$symbolizer"
# Reports do not stop a process (halt_on_error=0, TSan only: ASan cannot go on after an error),
# so one run finds them all; a process that had one exits 66 at its end.
export TSAN_OPTIONS="$common:halt_on_error=0:exitcode=66:second_deadlock_stack=1:suppressions=$root/scripts/sanitizers/tsan.supp"
# A crash is reported by the sanitizer, with its stack (SIGILL: a Swift precondition or a
# debug assertion), not by Swift's own backtracer, which forks a helper and reads other threads'
# stacks: under ASan that read is itself reported (stack-buffer-underflow in memserver_read) and
# under TSan the fork trips the runtime (CHECK failed in FindSlotAndLock), so the crash's own
# stack was lost.
export SWIFT_BACKTRACE=enable=no
asan="$common:exitcode=66:check_initialization_order=1:strict_init_order=1:handle_sigill=1:handle_abort=1"
# Leaks are checked in the product's processes (every uservault and uservault-bench the tests
# start; Tests/TestSupport/CLIRunner.swift childEnvironment gives them USERVAULT_CHILD_ASAN_OPTIONS),
# not in the test bundle, whose process ends with XCTest's, Foundation's and the fixtures' objects
# alive and unreleased (hundreds of reports, none of them the product's).
export ASAN_OPTIONS="$asan:detect_leaks=0"
export USERVAULT_CHILD_ASAN_OPTIONS="$asan:detect_leaks=1"
export LSAN_OPTIONS="suppressions=$root/scripts/sanitizers/lsan.supp:print_suppressions=0"
# Tests that measure what a sanitizer distorts (peak RSS, request pacing) are skipped
# (Tests/TestSupport/TestTimeScale.swift sanitizerRun).
export USERVAULT_SANITIZER=$sanitizer
# Tests that bound a wait (a child's answer, a server's start) allow this much more time
# (Tests/TestSupport/TestTimeScale.swift).
export USERVAULT_TEST_TIME_SCALE=${USERVAULT_TEST_TIME_SCALE:-10}
# At most this many tests at once: every test's code and its `uservault` children run several times
# slower, and all of them at once on 2 cores starve each other's event loops past the product's own
# timeouts (a refused connection took 500 s in a run with no limit).
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-4}

started=$SECONDS
link=()
if [[ $sanitizer == thread ]]; then
    # Synchronization.Mutex's contended paths, made visible to TSan (see tsan-mutex.c).
    toolchain=$(dirname "$(readlink -f "$(command -v "$swift")")")
    mkdir -p "$scratch"
    "$toolchain/clang" -O1 -c scripts/sanitizers/tsan-mutex.c -o "$scratch/tsan-mutex.o" || exit 1
    link=(-Xlinker "$root/$scratch/tsan-mutex.o")
    for member in 9_lockSlowyys6UInt32VF 12_tryLockSlowSbyF 11_unlockSlowyyF; do
        symbol="\$s15Synchronization12_MutexHandleV$member"
        nm -D "$toolchain/../lib/swift/linux/libswiftSynchronization.so" | grep -cF " $symbol" >/dev/null \
            || echo "sanitize[thread]: warning: this Swift has no $symbol; contended Mutexes will be reported as races" >&2
        link+=(-Xlinker "--wrap=$symbol")
    done
fi
echo "sanitize[$sanitizer]: building into $scratch"
"$swift" build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" "${link[@]}"
build_status=$?
built=$SECONDS
test_status=1
if (( build_status == 0 )); then
    echo "sanitize[$sanitizer]: testing (reports go to $logs)"
    "$swift" test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "${link[@]}" "$@" 2>&1 | tee "$root/$scratch/test.log"
    test_status=${PIPESTATUS[0]}
fi
tested=$SECONDS

echo
echo "sanitize[$sanitizer]: build $((built - started)) s (status $build_status), tests $((tested - built)) s (status $test_status)"
grep -E "^.{0,4}Test run with [0-9]+ tests" "$root/$scratch/test.log" 2>/dev/null | tail -1
python3 scripts/sanitizers/summarize.py "$logs"
summary_status=$?
(( build_status == 0 && test_status == 0 && summary_status == 0 ))
