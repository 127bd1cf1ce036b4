#!/usr/bin/env bash
# Issue #25's benchmark: `export --from-export` (a DynamoDB export to S3, read from moto's S3)
# against scan exports of the same USERS users (default 200,000), release build:
#   - over DynamoDB's wire protocol: `--backend aws` against the latency fixture serving the same
#     users (`uservault-bench latency-fixture --store`: every Scan page after 20 ms, as a real
#     DynamoDB page takes), since moto re-sorts the whole table on every Scan page (a 200k scan
#     there takes hours);
#   - on the embedded store (SQLite, no network, no JSON: the floor of what any scan costs).
# For each: wall time, CPU (user+sys), peak RSS (/usr/bin/time -v), items/s; the DynamoDB
# read units a scan of those items consumes (from their size) against the export path's DynamoDB
# requests (from moto's log: none); beside them, a plain boto3 download of the same data files from
# moto (the yardstick of what moto's S3 can serve here). The export is read in FILES data files,
# in FILES/4 (each 4x larger) and in one, to show that peak RSS does not follow the data-file size.
# items/s counts what each path reads: users, and for the export also the email guards (two items
# a user). The three archives hold the same documents (the digests printed at the end). Figures for a ratio on a noisy machine: Benchmarks/README.md (farm-bench --vs).
#   Benchmarks/export-pitr.sh [USERS] [FILES]      (BUILD=.build-x: another build folder)
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-200000}
files=${2:-16}
build=${BUILD:-.build}
swift build -c release --scratch-path "$build" --product uservault >/dev/null
swift build -c release --scratch-path "$build" --product uservault-bench >/dev/null
uservault=$build/release/uservault
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; wait $moto 2>/dev/null || true; rm -rf "$work"' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$endpoint/moto-api/data.json" >/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1

echo "== fixture: $users users in an embedded store"
"$build/release/uservault-bench" fixture "$work/store.sqlite" "$users" 1
echo "== the same users behind DynamoDB's Scan (the latency fixture, a page every 20 ms)"
"$build/release/uservault-bench" latency-fixture 0 20 1000 --store "$work/store.sqlite" >"$work/fixture.out" 2>&1 &
fixture=$!
trap 'kill $moto $fixture 2>/dev/null; wait $moto $fixture 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1200); do grep -q '^endpoint ' "$work/fixture.out" && break; sleep 0.1; done
fixture_endpoint=$(awk '/^endpoint / { print $2 }' "$work/fixture.out")
echo "== the same items as DynamoDB exports on moto S3 ($files data files, $((files / 4)), and 1)"
python3 Benchmarks/peers/store_to_ddb_export.py "$work/store.sqlite" "$endpoint" staging small "$files" | tee "$work/small.json"
python3 Benchmarks/peers/store_to_ddb_export.py "$work/store.sqlite" "$endpoint" staging large "$((files / 4))" | tee "$work/large.json"
python3 Benchmarks/peers/store_to_ddb_export.py "$work/store.sqlite" "$endpoint" staging one 1 | tee "$work/one.json"
folder() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['folder'])" "$1"; }
items=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['items'])" "$work/small.json")
download='
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
for item in s3.list_objects_v2(Bucket="staging", Prefix=sys.argv[2] + "data/")["Contents"]:
    body = s3.get_object(Bucket="staging", Key=item["Key"])["Body"]
    while body.read(4 << 20):
        pass
'

# run NAME ITEMS COMMAND...: /usr/bin/time -v, summarised as one line.
run() {
    local name=$1 count=$2
    shift 2
    /usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time"
    awk -v n="$name" -v users="$count" -F': ' '
        /User time/ { user = $2 } /System time/ { sys = $2 } /Maximum resident/ { rss = $2 }
        /Elapsed \(wall clock\)/ { split($2, t, ":"); wall = (length(t) == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
        END { printf "%-22s wall %6.2f s  cpu %6.2f s (user %.2f + sys %.2f)  peak RSS %6.1f MB  %8.0f items/s\n",
                     n, wall, user + sys, user, sys, rss / 1024, users / wall }' "$work/$name.time"
}

for round in 1 2; do
    echo "== round $round"
    rm -f "$work"/*.tar.zst "$work"/*.sha256
    run "scan (DynamoDB wire)" "$users" "$uservault" --backend aws --endpoint-url "$fixture_endpoint" --log-level warning \
        export --segments 16 --output "$work/wire.tar.zst" --progress never
    run "scan (embedded)" "$users" "$uservault" --store "$work/store.sqlite" --log-level warning export --output "$work/scan.tar.zst" --progress never
    requests_before=$(grep -c '"POST / ' "$work/moto.log" || true)
    run "raw download ($files)" "$items" python3 -c "$download" "$endpoint" "$(folder "$work/small.json")"
    run "from-export ($files files)" "$items" "$uservault" --backend aws --endpoint-url "$endpoint" --table bench --log-level warning \
        export --from-export "s3://staging/$(folder "$work/small.json")" --output "$work/fx.tar.zst" --progress never
    run "from-export ($((files / 4)) files)" "$items" "$uservault" --backend aws --endpoint-url "$endpoint" --table bench --log-level warning \
        export --from-export "s3://staging/$(folder "$work/large.json")" --output "$work/fl.tar.zst" --progress never
    run "from-export (1 file)" "$items" "$uservault" --backend aws --endpoint-url "$endpoint" --table bench --log-level warning \
        export --from-export "s3://staging/$(folder "$work/one.json")" --output "$work/fo.tar.zst" --progress never
    echo "DynamoDB requests of the from-export runs (moto log): $(( $(grep -c '"POST / ' "$work/moto.log" || true) - requests_before ))"
done
python3 -c "import json; d = json.load(open('$work/small.json')); print('a scan of these items reads %d bytes: %.0f read units (eventually consistent); the export path: 0' % (d['itemBytes'], d['scanReadUnits']))"
"$uservault" verify-export "$work/scan.tar.zst"
"$uservault" verify-export "$work/wire.tar.zst"
"$uservault" verify-export "$work"/fx-asof-*.tar.zst
for archive in "$work/scan.tar.zst" "$work/wire.tar.zst" "$work"/fx-asof-*.tar.zst; do
    python3 Tests/TestSupport/Fixtures/read_export.py "$archive" "$work/x" | python3 -c "import json,sys; d = json.load(sys.stdin); print(d['users'], d['resourcesDigest'])"
done
