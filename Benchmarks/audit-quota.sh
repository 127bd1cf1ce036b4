#!/usr/bin/env bash
# Issue "Production scale": the audit at the account's KMS quota, against the latency fixture
# (`uservault-bench latency-fixture`: every Scan page after 20 ms, every KMS request after 5 ms,
# keep-alive, 1% of keys in a bad state, and an account that throttles above AWS's default
# quotas: 5,500 cryptographic requests/s, 2,000 DescribeKey/s, over all its clients).
#   Benchmarks/audit-quota.sh [USERS]     (default 50000)
# Prints, with the audit's CPU beside the fixture's (they share the machine's cores):
#   1. at the quota: one process, default settings (--kms-share 0.5, --key-state proof):
#      users/s against the job's share (0.5 x 5,500 = 2,750/s), throttled answers, CPU cores;
#   2. fan-out: 4 `--worker i/4` processes at once: combined users/s, throttled per KMS request;
#   3. client cost: budgets lifted, proof mode, a fixture without quotas: CPU µs per audited user,
#      the median of CLIENT_RUNS runs (default 5), beside Benchmarks/peers/boto3_audit.py
#      (threads over segments, the same requests).
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-50000}
client_runs=${CLIENT_RUNS:-5}
swift build -c release --product uservault >/dev/null
swift build -c release --product uservault-bench >/dev/null
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

start_fixture() {  # NAME ARGS... -> sets $endpoint, $fixture_pid
    local name=$1; shift
    .build/release/uservault-bench latency-fixture "$users" 20 1000 --kms-delay-ms 5 --defects 0.01 "$@" >"$work/$name.out" 2>&1 &
    fixture_pid=$!
    pids+=("$fixture_pid")
    for _ in $(seq 100); do grep -q '^endpoint ' "$work/$name.out" && break; sleep 0.1; done
    endpoint=$(awk '/^endpoint / { print $2 }' "$work/$name.out")
    [[ -n $endpoint ]] || { echo "the fixture did not start" >&2; cat "$work/$name.out" >&2; exit 2; }
}
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
stats() { curl -s "$endpoint/_fixture/stats"; }
throttled() { python3 -c 'import json,sys; print(json.load(sys.stdin)["throttled"])'; }
kms_requests() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(n for c in d["clients"].values() for q, n in c["requests"].items() if q in ("Cryptographic", "DescribeKey")))'; }
export AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
audit() {  # LABEL ARGS... (writes $work/LABEL.time: wall user sys)
    local label=$1; shift
    AWS_ACCESS_KEY_ID="AKID$label" /usr/bin/time -o "$work/$label.time" -f '%e %U %S' .build/release/uservault --backend aws \
        --endpoint-url "$endpoint" --log-level warning audit --progress never --key-state proof --segments 16 \
        --report-dir "$work/reports-$label" "$@" >"$work/$label.out" 2>"$work/$label.err" || true
    grep -q "audit of" "$work/$label.out" || { echo "audit $label failed: $(cat "$work/$label.err")" >&2; exit 2; }
}

echo "== 1. at the quota: $users users, one process, default budgets (share 0.5 of 5,500/s = 2,750 users/s)"
start_fixture quota --quota Cryptographic=5500 --quota DescribeKey=2000
f0=$(cpu_of "$fixture_pid")
audit single
read -r wall user sys < <(tail -1 "$work/single.time")
awk -v w="$wall" -v u="$user" -v s="$sys" -v n="$users" -v t="$(stats | throttled)" -v f="$(cpu_of "$fixture_pid")" -v f0="$f0" 'BEGIN {
    printf "wall %.2f s, %.0f users/s (%.0f%% of 2,750), throttled %d, audit CPU %.2f s = %.2f cores, %.1f µs/user; fixture CPU %.2f s\n",
        w, n / w, n / w / 2750 * 100, t, u + s, (u + s) / w, (u + s) / n * 1e6, f - f0 }'

echo "== 2. fan-out: 4 workers at once, default budgets (each 0.5/4 of the quotas)"
kill "$fixture_pid"; start_fixture fanout --quota Cryptographic=5500 --quota DescribeKey=2000
start=$(date +%s.%N)
workers=()
for i in 0 1 2 3; do audit "w$i" --worker "$i/4" & workers+=($!); done
for worker in "${workers[@]}"; do wait "$worker" || { echo "a worker failed" >&2; exit 2; }; done
end=$(date +%s.%N)
s=$(stats)
awk -v a="$start" -v b="$end" -v n="$users" -v t="$(echo "$s" | throttled)" -v k="$(echo "$s" | kms_requests)" 'BEGIN {
    printf "wall %.2f s, combined %.0f users/s (%.0f%% of 2,750), throttled %d of %d KMS requests (%.3f%%)\n",
        b - a, n / (b - a), n / (b - a) / 2750 * 100, t, k + t, (k + t) ? t / (k + t) * 100 : 0 }'
for i in 0 1 2 3; do read -r wall user sys < <(tail -1 "$work/w$i.time"); echo "   worker $i/4: wall $wall s, CPU $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') s"; done

echo "== 3. client cost: budgets lifted, proof mode, no quotas"
kill "$fixture_pid"; start_fixture cost
# The machine's speed drifts by +-10% within a minute: several runs, the median quoted.
per_user=()
for run in $(seq "$client_runs"); do
    f0=$(cpu_of "$fixture_pid")
    audit "lifted$run" --kms-rate Cryptographic=0 --kms-rate DescribeKey=0 --concurrency 16
    read -r wall user sys < <(tail -1 "$work/lifted$run.time")
    per_user+=("$(awk -v u="$user" -v s="$sys" -v n="$users" 'BEGIN { printf "%.1f", (u + s) / n * 1e6 }')")
    echo "uservault run $run: wall $wall s, CPU $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') s = ${per_user[-1]} µs/user (fixture CPU $(awk -v f="$(cpu_of "$fixture_pid")" -v f0="$f0" 'BEGIN { printf "%.2f", f - f0 }') s)"
done
ours=$(printf '%s\n' "${per_user[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "uservault: median $ours µs/user of $client_runs runs (min $(printf '%s\n' "${per_user[@]}" | sort -n | head -1), max $(printf '%s\n' "${per_user[@]}" | sort -n | tail -1))"
f0=$(cpu_of "$fixture_pid")
/usr/bin/time -o "$work/peer.time" -f '%e %U %S' python3 Benchmarks/peers/boto3_audit.py "$endpoint" users 16 16 proof >"$work/peer.out" 2>"$work/peer.err" \
    || { echo "the boto3 peer failed: $(tail -3 "$work/peer.err")" >&2; exit 2; }
read -r wall user sys < <(tail -1 "$work/peer.time")
peer=$(awk -v u="$user" -v s="$sys" -v n="$users" 'BEGIN { printf "%.1f", (u + s) / n * 1e6 }')
echo "boto3 peer: wall $wall s, CPU $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') s = $peer µs/user (fixture CPU $(awk -v f="$(cpu_of "$fixture_pid")" -v f0="$f0" 'BEGIN { printf "%.2f", f - f0 }') s); $(head -c 200 "$work/peer.out")"
awk -v a="$ours" -v b="$peer" 'BEGIN { printf "ratio uservault / boto3: %.3fx\n", a / b }'
