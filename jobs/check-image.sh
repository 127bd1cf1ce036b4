#!/usr/bin/env bash
# Checks the Lambda image's runtime stage without Docker: builds the binary as jobs/Dockerfile's
# build stage does, assembles the runtime stage's root filesystem (debootstrap --variant=minbase,
# then exactly the packages the Dockerfile installs), puts the binary and the job files where the
# Dockerfile puts them, and runs the entrypoint under chroot against a loopback Runtime API
# stand-in (scripts/runtime-api-stand-in.py): the API function (the Dockerfile's CMD) serves
# POST /users and GET, the job function (CMD job, as the template sets it) runs a scheduled
# audit and the weekly export, on the embedded store. Not part of `make test` (root, network).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: jobs/check-image.sh [--help]

Checks that jobs/Dockerfile's runtime stage runs the binary, without Docker. Needs root
(debootstrap, chroot, mount), python3, a Swift toolchain, and network to the Debian mirror.

Environment:
  DOCKERFILE   the Dockerfile to check (default jobs/Dockerfile); its last stage's
               `apt-get install` packages and COPY destinations are what the script uses
  MIRROR       the Debian mirror (default http://deb.debian.org/debian)
  TIMEOUT      seconds to wait for each invocation's answer (default 120)

Work folders (in the repository, ignored by git): .build-image (the release build) and
.build-image-rootfs (the pristine debootstrap, reused between runs; a copy per run; the
downloaded .deb files; logs/). Exits 0 when both functions answer as expected, 1 with one
line saying why otherwise (a missing shared library, an invocation error, a timeout...),
2 on a usage error.
EOF
}

case "${1:-}" in
    "") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "check-image: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
dockerfile=${DOCKERFILE:-jobs/Dockerfile}
mirror=${MIRROR:-http://deb.debian.org/debian}
timeout=${TIMEOUT:-120}
work=$repo/.build-image-rootfs
logs=$work/logs
root=$work/run
started=$SECONDS

fail() { echo "check-image: FAIL: $*" >&2; exit 1; }
step() { printf '[%4ds] %s\n' $((SECONDS - started)) "$*"; }
# A failed step: its one-line reason and where the whole log is.
fail_with_log() { fail "$1: $(grep -v '^\s*$' "$2" | tail -n 1) (log: $2)"; }

[[ $(id -u) -eq 0 ]] || fail "needs root (debootstrap, chroot and mount)"
[[ -f $dockerfile ]] || fail "no Dockerfile at $dockerfile"
mkdir -p "$logs"

# ------------------------------------------------------------------ what the Dockerfile says
# Continuation lines joined; the last FROM starts the runtime stage.
parsed=$(python3 - "$dockerfile" <<'EOF'
import json, re, shlex, sys
text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
starts = [i for i, line in enumerate(lines) if line.upper().startswith("FROM ")]
if len(starts) < 2:
    sys.exit("check-image: FAIL: expected a build stage and a runtime stage in " + sys.argv[1])
build, runtime = lines[starts[-2]:starts[-1]], lines[starts[-1]:]
def pick(stage, pattern, what):
    found = [m for line in stage for m in [re.search(pattern, line)] if m]
    if not found:
        sys.exit(f"check-image: FAIL: the Dockerfile has no {what}")
    return found[-1]
out = {
    "base": runtime[0].split()[1],
    "build_command": pick(build, r"RUN\s+(swift build[^&;]*)", "`swift build` in its build stage").group(1).strip(),
    "build_output": pick(build, r"install\s+.*\s(\S+)\s+(\S+)\s*$", "`install` of the binary in its build stage").group(2),
    "packages": " ".join(t for t in pick(runtime, r"apt-get install\s+([^&;]*)", "`apt-get install` in its runtime stage")
                         .group(1).split() if not t.startswith("-")),
    "binary_from": pick(runtime, r"COPY\s+--from=\S+\s+(\S+)\s+(\S+)", "COPY --from=build").group(1),
    "binary": pick(runtime, r"COPY\s+--from=\S+\s+(\S+)\s+(\S+)", "COPY --from=build").group(2),
    "jobs_glob": pick(runtime, r"COPY\s+(jobs/\S+)\s+(\S+)", "COPY of jobs/").group(1),
    "jobs_dir": pick(runtime, r"COPY\s+(jobs/\S+)\s+(\S+)", "COPY of jobs/").group(2),
    "entrypoint": " ".join(json.loads(pick(runtime, r"ENTRYPOINT\s+(\[.*\])", "exec-form ENTRYPOINT").group(1))),
    "cmd": " ".join(json.loads(pick(runtime, r"CMD\s+(\[.*\])", "exec-form CMD").group(1))),
}
if out["binary_from"] != out["build_output"]:
    sys.exit(f"check-image: FAIL: the runtime stage copies {out['binary_from']}, the build stage installs {out['build_output']}")
for name, value in out.items():
    print(f"{name}={shlex.quote(value)}")
EOF
) || exit 1  # the parser said why
eval "$parsed"
[[ $base =~ ^debian:([a-z]+)(-slim)?$ ]] || fail "the runtime stage's base is $base, not debian:<suite>[-slim]"
suite=${BASH_REMATCH[1]}
step "$dockerfile: FROM $base; apt-get install $packages; $binary; $jobs_dir; ENTRYPOINT $entrypoint; CMD $cmd"

# ------------------------------------------------------------------ the binary, as the build stage makes it
# The host's toolchain stands in for the build stage's image (ARG SWIFT_IMAGE): same command, same flags.
step "building: $build_command (scratch path .build-image; $(swift --version 2>/dev/null | head -n 1))"
read -r -a build_args <<<"$build_command"
"${build_args[@]}" --scratch-path "$repo/.build-image" >"$logs/build.log" 2>&1 || fail_with_log "the release build failed" "$logs/build.log"
built=$("${build_args[@]}" --scratch-path "$repo/.build-image" --show-bin-path)/uservault
[[ -x $built ]] || fail "the build made no $built"

# ------------------------------------------------------------------ the runtime stage's root filesystem
pristine=$work/$suite-minbase
if [[ ! -d $pristine ]]; then
    if ! command -v debootstrap >/dev/null; then
        step "installing debootstrap"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } >"$logs/apt-host.log" 2>&1 \
            || fail_with_log "cannot install debootstrap" "$logs/apt-host.log"
    fi
    step "debootstrap --variant=minbase $suite (once; kept in $pristine)"
    rm -rf "$pristine.tmp"
    debootstrap --variant=minbase "$suite" "$pristine.tmp" "$mirror" >"$logs/debootstrap.log" 2>&1 \
        || fail_with_log "debootstrap failed" "$logs/debootstrap.log"
    mv "$pristine.tmp" "$pristine"
fi

mounts=()
cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true; done
}
trap cleanup EXIT
mount_in_root() { mount "$@"; mounts+=("${*: -1}"); }

# A run begins from the pristine copy: nothing from an earlier run (or another package list) stays.
if grep -q " $root/" /proc/mounts; then fail "$root still has mounts: umount them first"; fi
rm -rf "$root"
cp -a "$pristine" "$root"
mount_in_root -t proc proc "$root/proc"
mkdir -p "$work/debs" "$root/var/cache/apt/archives"
mount_in_root --bind "$work/debs" "$root/var/cache/apt/archives"  # downloads kept between runs
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The sources of Debian's own $suite images: the release, its updates, its security updates.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR_SECURITY:-http://deb.debian.org/debian-security}
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# A command in the root filesystem, with nothing of this shell's environment.
in_root_command=(chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
in_root() { "${in_root_command[@]}" "$@"; }
step "apt-get install --no-install-recommends $packages (in the root filesystem)"
read -r -a package_list <<<"$packages"
{ in_root apt-get update -qq \
    && in_root DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${package_list[@]}" \
    && rm -rf "$root"/var/lib/apt/lists/*; } >"$logs/apt.log" 2>&1 || fail_with_log "apt-get in the root filesystem failed" "$logs/apt.log"

install -D -m 0755 "$built" "$root$binary"
mkdir -p "$root$jobs_dir"
cp $jobs_glob "$root$jobs_dir"
# The binary's TLS (NIOSSL, to the AWS endpoints) trusts this bundle; loopback never uses it.
[[ -s $root/etc/ssl/certs/ca-certificates.crt ]] \
    || fail "no /etc/ssl/certs/ca-certificates.crt in the root filesystem (is ca-certificates installed?): TLS to AWS would fail"

# ------------------------------------------------------------------ the functions, under chroot
store=/tmp/uservault/store.sqlite
users=12
function_env=(AWS_REGION=us-east-1 USERVAULT_BACKEND=local "USERVAULT_STORE=$store" USERVAULT_LOG_LEVEL=info)
step "seeding $users users into the embedded store at $store (the same binary, in the root filesystem)"
read -r -a entry <<<"$entrypoint"
in_root "${function_env[@]}" "${entry[@]}" seed --users "$users" --defects 0 --log-level warning >"$logs/seed.log" 2>&1 \
    || fail_with_log "uservault seed in the root filesystem failed" "$logs/seed.log"

run_function() {  # scenario, CMD, extra stand-in options
    local scenario=$1 command=$2
    shift 2
    : >"$logs/$scenario.log"
    local reason
    # The stand-in's ok lines to stdout; its one-line reason, if any, into $reason.
    reason=$(python3 scripts/runtime-api-stand-in.py "$scenario" --root "$root" --log "$logs/$scenario.log" --timeout "$timeout" \
        "$@" -- "${in_root_command[@]}" "AWS_LAMBDA_RUNTIME_API={api}" "${function_env[@]}" "${entry[@]}" $command 2>&1 >&3) \
        || fail "${reason:-the $scenario function failed} (log: $logs/$scenario.log)"
}
exec 3>&1
step "API function: ENTRYPOINT $entrypoint, CMD $cmd"
run_function api "$cmd"
# The API created one user; the job function's Command is `job` (jobs/template.yaml, ImageConfig).
step "job function: ENTRYPOINT $entrypoint, CMD job"
run_function job job --users $((users + 1)) --template jobs/template.yaml

step "PASS: the runtime stage ($base + $packages) runs both functions"
