# Shared by Benchmarks/audit-embedded.sh and Benchmarks/export-embedded.sh (sourced, not run):
# a release build, an embedded store of USERS synthetic users (STORE=path keeps or reuses it),
# and the raw read of the same file by the sqlite3 CLI, the speed targets' yardstick.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-1000000}
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
cat "$store" >/dev/null
echo "== raw read of the same file by sqlite3 (users; then users + keys, which the audit also reads)"
/usr/bin/time -f "sqlite3 items:        %e s wall, %M KB max RSS" \
    sqlite3 "$store" "SELECT * FROM items WHERE type = 'users';" >/dev/null
/usr/bin/time -f "sqlite3 items + keys: %e s wall, %M KB max RSS" \
    sqlite3 "$store" "SELECT * FROM items WHERE type = 'users'; SELECT * FROM kms_keys; SELECT * FROM kms_key_versions; SELECT * FROM kms_tags;" >/dev/null
/usr/bin/time -f "sqlite3 .dump:         %e s wall, %M KB max RSS" sqlite3 "$store" .dump >/dev/null
