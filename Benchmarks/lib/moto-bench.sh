# Shared by Benchmarks/audit-moto.sh and Benchmarks/export-moto.sh (sourced, not run): a release
# build, moto on a loopback port with USERS legacy users written by boto3 the way the Node service
# wrote them, and `measure` / `summarize` for client CPU per user, best of $runs.
# moto's own CPU is excluded: only the client's user+sys CPU is measured, by /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-300}
runs=3
swift build -c release --product uservault >/dev/null
uservault=.build/release/uservault
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; wait $moto 2>/dev/null || true; rm -rf "$work"' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$endpoint/moto-api/data.json" >/dev/null && break; sleep 0.1; done
curl -sf "$endpoint/moto-api/data.json" >/dev/null || { echo "moto did not start on $endpoint" >&2; exit 2; }
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1

echo "== seeding $users legacy users into moto ($endpoint)"
fixture() { AWS_ENDPOINT_URL=$endpoint python3 Tests/TestSupport/Fixtures/original_service.py "$@"; }
fixture create-table bench
# `write` makes a KMS key per user (moto: ~20/s); a job that never reads credentials can set
# seed_command=write-records before sourcing this file.
fixture "${seed_command:-write}" bench "$users" >/dev/null   # `write` prints passwords: not shown

# measure NAME COMMAND...: runs COMMAND $runs times under /usr/bin/time; appends
# "NAME cpu wall rss_kb" per run to $work/times and keeps the last run's stdout in $work/NAME.out.
# Exit 0 and 1 (an audit with findings) are fine; anything else stops the benchmark.
# $before_each, when set, runs before every run (e.g. to remove the last run's output).
measure() {
    local name=$1 rc
    shift
    for _ in $(seq "$runs"); do
        rc=0
        ${before_each:-true}
        /usr/bin/time -o "$work/time" -f '%U %S %e %M' "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
        if ((rc > 1)); then
            echo "$name exited with $rc:" >&2
            cat "$work/$name.err" >&2
            exit 2
        fi
        # GNU time puts "Command exited with non-zero status N" before the figures.
        tail -n 1 "$work/time" | awk -v n="$name" '{ printf "%s %.2f %.2f %d\n", n, $1 + $2, $3, $4 }' >>"$work/times"
    done
}

# Each tool's fixed start-up CPU, measured apart: uservault --help; boto3 imported, its clients made.
measure_startup() {
    echo "== start-up CPU (best of $runs)"
    measure uservault-startup "$uservault" --help
    measure boto3-startup python3 -c "import boto3; [boto3.client(s, region_name='us-east-1') for s in ($1)]"
}

# summarize: the table and the ratio, raw and with start-up subtracted from both sides.
summarize() {
    echo
    awk -v users="$users" '
        # best of the runs: the lowest CPU, with that run'"'"'s wall time and max RSS
        !($1 in cpu) || $2 < cpu[$1] { cpu[$1] = $2; wall[$1] = $3; rss[$1] = $4 }
        END {
            printf "%-10s %9s %9s %12s %14s %9s %10s\n", "tool", "CPU s", "start-up", "CPU ms/user", "adj. ms/user", "wall s", "max RSS"
            for (i = 1; i <= 2; i++) {
                t = i == 1 ? "uservault" : "boto3"
                s = t "-startup"
                per[t] = cpu[t] / users * 1000
                adj[t] = (cpu[t] - cpu[s]) / users * 1000
                printf "%-10s %9.2f %9.2f %12.3f %14.3f %9.2f %7.1f MB\n", t, cpu[t], cpu[s], per[t], adj[t], wall[t], rss[t] / 1024
            }
            printf "\nCPU per user, uservault / boto3: %.3f raw, %.3f start-up adjusted (target <= 0.25; %d users)\n",
                per["uservault"] / per["boto3"], (adj["boto3"] > 0 ? adj["uservault"] / adj["boto3"] : 0), users
        }' "$work/times"
}
