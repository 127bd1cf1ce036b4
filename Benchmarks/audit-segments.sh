#!/usr/bin/env bash
# Issue #4's parallel speed-up: a standard-depth audit against a loopback fixture
# (`uservault-bench latency-fixture`) that answers every Scan page after a fixed delay (20 ms,
# a real DynamoDB page) and every KMS request at once, with 1, 2, 4, ... 64 segments (as many
# in flight). Prints wall time, speed-up over 1 segment, and the audit's own CPU.
# Target: 16 segments >= 12x faster than 1.
#   Benchmarks/audit-segments.sh [USERS] [PAGE_ITEMS] [DELAY_MS]   (defaults 20000 1000 20)
# PAGE_ITEMS caps the users per Scan page (the audit asks for 1,000, as DynamoDB's 1 MB would give).
# The KMS request budgets are lifted (--kms-rate ...=0): they exist for AWS's quotas, and with
# them DescribeKey's 2,000/s alone would set the pace here.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-20000}
page=${2:-1000}
delay=${3:-20}
swift build -c release --product uservault >/dev/null
swift build -c release --product uservault-bench >/dev/null
work=$(mktemp -d)
.build/release/uservault-bench latency-fixture "$users" "$delay" "$page" >"$work/fixture.out" 2>&1 &
fixture=$!
trap 'kill $fixture 2>/dev/null; wait $fixture 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q '^endpoint ' "$work/fixture.out" && break; sleep 0.1; done
endpoint=$(awk '/^endpoint / { print $2 }' "$work/fixture.out")
[[ -n $endpoint ]] || { echo "the fixture did not start" >&2; cat "$work/fixture.out" >&2; exit 2; }
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
echo "== $users users, pages of up to $page, Scan answered after $delay ms, KMS at once ($endpoint)"
# the fixture's CPU seconds so far (utime + stime, in clock ticks)
fixture_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$fixture/stat"; }
printf "%9s %9s %9s %11s %13s %13s\n" segments "wall s" speed-up "audit CPU s" "CPU ms/user" "fixture CPU s"
base=
for segments in 1 2 4 8 16 32 64; do
    rc=0
    before=$(fixture_cpu)
    /usr/bin/time -o "$work/time" -f '%e %U %S' .build/release/uservault --backend aws --table users \
        --endpoint-url "$endpoint" --log-level warning audit --segments "$segments" --concurrency "$segments" \
        --kms-rate DescribeKey=0 --kms-rate Cryptographic=0 --report-dir "$work/reports" --progress never >"$work/out" 2>"$work/err" || rc=$?
    if ((rc != 0)); then
        echo "the audit with $segments segments exited with $rc:" >&2
        cat "$work/err" >&2
        exit 2
    fi
    grep -q "audit of $users users" "$work/out" || { echo "unexpected: $(cat "$work/out")" >&2; exit 2; }
    read -r wall user sys < <(tail -n 1 "$work/time")
    base=${base:-$wall}
    awk -v s="$segments" -v w="$wall" -v b="$base" -v u="$user" -v y="$sys" -v n="$users" -v f="$(fixture_cpu)" -v f0="$before" \
        'BEGIN { printf "%9d %9.2f %8.1fx %11.2f %13.3f %13.2f\n", s, w, b / w, u + y, (u + y) / n * 1000, f - f0 }'
done
echo "($(getconf _NPROCESSORS_ONLN) CPUs: a run cannot take less than (audit CPU + fixture CPU) / CPUs)"
