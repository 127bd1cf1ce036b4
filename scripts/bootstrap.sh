#!/usr/bin/env bash
# Installs what UserVault needs on a fresh Debian machine, and only what is missing.
#   scripts/bootstrap.sh          build dependencies (Debian packages)
#   scripts/bootstrap.sh --test   plus the test tools (Debian: zstd, unzip, chromium; PyPI: jsonschema-rs, moto[server], boto3,
#                                 cfn-lint, py-ocsf-models, openapi-spec-validator, schemathesis)
set -euo pipefail

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

debs=(libarchive-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3)
# The export tests read the archives with the standard tools; the report.html tests render the
# page in headless Chromium.
(( want_test )) && debs+=(zstd unzip tar chromium)
# pip comes from Debian only when the machine has none.
python3 -m pip --version >/dev/null 2>&1 || debs+=(python3-pip)
missing=()
for pkg in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if (( want_test )); then
    py_missing=()
    python3 -c "import jsonschema_rs" 2>/dev/null || py_missing+=("jsonschema-rs")
    # boto3 brings botocore, the reference the adaptive retry tests compare against.
    command -v moto_server >/dev/null 2>&1 && python3 -c "import moto, flask, boto3, botocore.retries.adaptive" 2>/dev/null \
        || py_missing+=("moto[server]" "boto3")
    command -v cfn-lint >/dev/null 2>&1 || py_missing+=("cfn-lint")
    # Prowler's OCSF models: the findings.ocsf.json tests validate every event with them.
    python3 -c "import py_ocsf_models.events.findings.detection_finding" 2>/dev/null || py_missing+=("py-ocsf-models")
    # The OpenAPI contract tests: openapi.yaml validated, and schemathesis 4.32+ (its CLI and
    # per-operation check settings) run against a live serve.
    python3 -c "import openapi_spec_validator, yaml, jsonschema" 2>/dev/null || py_missing+=("openapi-spec-validator>=0.7")
    python3 -c "import schemathesis as s; raise SystemExit(tuple(map(int, s.__version__.split('.')[:2])) < (4, 32))" 2>/dev/null \
        || py_missing+=("schemathesis>=4.32,<5")
    if (( ${#py_missing[@]} )); then
        echo "bootstrap: installing PyPI packages: ${py_missing[*]}"
        python3 -m pip install -q --disable-pip-version-check "${py_missing[@]}" \
            || python3 -m pip install -q --disable-pip-version-check --break-system-packages "${py_missing[@]}"
    fi
fi
