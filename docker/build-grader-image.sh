#!/usr/bin/env bash
# Build the CPU grader image offline and print its tag.
#
#   1. debootstrap --variant=minbase bookworm (+ python3, pip) into build/grader-image/rootfs
#   2. docker import it as grader-base:<hash>
#   3. pip download the cp311 CPU wheels into build/grader-image/wheelhouse
#   4. docker build docker/grader-cpu.Dockerfile with --network none  -> grader-cpu:<hash>
#
# The tag is a hash of the inputs (this script, the Dockerfile, the wheel list), so an
# unchanged image is reused and `make grader-image` is cheap the second time. The image is
# also tagged grader-cpu:latest (GRADER_IMAGE_ALIAS), the docker backend's default.
# Environment: DEBIAN_MIRROR (default: the first deb.debian.org-like URI in apt's sources),
# GRADER_IMAGE_BUILD_DIR (default: build/grader-image), PIP (default: .venv/bin/pip).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${GRADER_IMAGE_BUILD_DIR:-$repo_root/build/grader-image}"
pip_bin="${PIP:-$repo_root/.venv/bin/pip}"
dockerfile="$repo_root/docker/grader-cpu.Dockerfile"
wheels=(torch==2.13.0 numpy safetensors Pillow)
debian_packages=python3,python3-pip,ca-certificates

log() { echo "build-grader-image: $*" >&2; }

mirror() {
    if [[ -n "${DEBIAN_MIRROR:-}" ]]; then echo "$DEBIAN_MIRROR"; return; fi
    # deb822 (URIs:) or one-line (deb URL suite ...) sources; the first Debian main archive wins.
    local uri
    uri="$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
        | grep -oE 'https?://[^ ]+/debian/?$|https?://[^ ]+/debian ' | grep -v security | head -n1 | tr -d ' ')"
    echo "${uri:-http://deb.debian.org/debian}"
}

inputs_hash="$(
    { cat "${BASH_SOURCE[0]}" "$dockerfile"; printf '%s\n' "${wheels[@]}" "$debian_packages"; } \
        | sha256sum | cut -c1-16
)"
# The base depends on the Debian package list only: editing this script keeps it.
base_hash="$(echo "$debian_packages" | sha256sum | cut -c1-12)"
base_tag="grader-base:bookworm-$base_hash"
image_tag="${GRADER_IMAGE:-grader-cpu:$inputs_hash}"

if docker image inspect "$image_tag" >/dev/null 2>&1; then
    log "reusing $image_tag (inputs unchanged)"
    docker tag "$image_tag" "${GRADER_IMAGE_ALIAS:-grader-cpu:latest}" >&2
    echo "$image_tag"
    exit 0
fi

mkdir -p "$build_dir"
if ! docker image inspect "$base_tag" >/dev/null 2>&1; then
    # Keyed by the package list only: editing this script must not redo the slow debootstrap.
    rootfs="$build_dir/rootfs-bookworm-$base_hash"
    if [[ ! -x "$rootfs/usr/bin/python3" ]]; then
        rm -rf "$rootfs"
        log "debootstrap bookworm from $(mirror) into $rootfs"
        debootstrap --variant=minbase --include="$debian_packages" bookworm "$rootfs" "$(mirror)" >&2
    fi
    # Trim what a grading run never needs; the image is pulled onto every worker.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc "$rootfs"/usr/share/man "$rootfs"/usr/share/locale
    log "docker import -> $base_tag"
    tar -C "$rootfs" -c . | docker import - "$base_tag" >&2
fi

# The build context holds the wheelhouse only (never the rootfs, which is large).
context="$build_dir/context"
wheelhouse="$context/wheelhouse"
mkdir -p "$wheelhouse"
log "pip download ${wheels[*]} -> $wheelhouse"
# --only-binary + explicit cp311/manylinux targets: the wheels must match bookworm's Python 3.11
# whatever the host's Python; torch==2.13.0 resolves to the CPU wheel in the local find-links.
"$pip_bin" download --quiet --dest "$wheelhouse" --only-binary=:all: \
    --python-version 3.11 --implementation cp --abi cp311 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any \
    "${wheels[@]}" >&2
if ls "$wheelhouse" | grep -qiE '^nvidia|cuda|^triton'; then
    log "refusing: a CUDA wheel is in $wheelhouse"; exit 1
fi

log "docker build -> $image_tag"
docker build --network none --build-arg BASE_IMAGE="$base_tag" \
    -f "$dockerfile" -t "$image_tag" "$context" >&2
docker tag "$image_tag" "${GRADER_IMAGE_ALIAS:-grader-cpu:latest}" >&2
echo "$image_tag"
