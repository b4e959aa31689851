#!/usr/bin/env bash
# Build the web and worker images OFFLINE and print their tags.
#
#   1. the base: the debootstrapped bookworm (python3 + pip) that build-grader-image.sh imports
#      as grader-base:<tag> (the newest one); tagged coursehub-base:latest (APP_BASE_IMAGE overrides)
#   2. pip download requirements.txt + docker/requirements-deploy.txt (cp311 wheels) into
#      build/app-image/context/wheelhouse
#   3. the source (platform, grader, course_models, assignments, manage.py; tracked and
#      untracked-but-not-ignored files) into build/app-image/context/src
#   4. docker build --network none docker/web.Dockerfile and docker/worker.Dockerfile
#      -> coursehub-web:<hash> and coursehub-worker:<hash>, also tagged :latest
# The tag is a hash of every input, so an unchanged tree reuses the images.
# Environment: APP_BASE_IMAGE, APP_IMAGE_BUILD_DIR (default build/app-image), PIP.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${APP_IMAGE_BUILD_DIR:-$repo_root/build/app-image}"
context="$build_dir/context"
pip_bin="${PIP:-$repo_root/.venv/bin/pip}"
sources=(platform grader course_models assignments manage.py)

log() { echo "build-app-images: $*" >&2; }

if [[ -n "${APP_BASE_IMAGE:-}" ]]; then
    base="$APP_BASE_IMAGE"
else
    # Builds (or reuses) the grader image and, on the way, its debootstrapped base.
    "$repo_root/docker/build-grader-image.sh" >/dev/null
    base="$(docker images grader-base --format '{{.Repository}}:{{.Tag}}' | head -n1)"
    [[ -n "$base" ]] || { log "no grader-base image after build-grader-image.sh"; exit 1; }
    docker tag "$base" coursehub-base:latest
fi
log "base image: $base"

mkdir -p "$context/wheelhouse"
rm -rf "$context/src" && mkdir -p "$context/src"
cd "$repo_root"
git ls-files -z --cached --others --exclude-standard -- "${sources[@]}" \
    | while IFS= read -r -d '' f; do [[ -f "$f" ]] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -C "$context/src" -xf -
cp requirements.txt docker/requirements-deploy.txt docker/web.Dockerfile docker/worker.Dockerfile \
    docker/worker-entrypoint.sh "$context/"

inputs_hash="$(
    { cat "${BASH_SOURCE[0]}" docker/web.Dockerfile docker/worker.Dockerfile docker/worker-entrypoint.sh \
          requirements.txt docker/requirements-deploy.txt; echo "$base";
      (cd "$context/src" && find . -type f -print0 | sort -z | xargs -0 sha256sum); } | sha256sum | cut -c1-16
)"
echo "$inputs_hash" > "$context/src/.release"
web_tag="coursehub-web:$inputs_hash"
worker_tag="coursehub-worker:$inputs_hash"
if docker image inspect "$web_tag" >/dev/null 2>&1 && docker image inspect "$worker_tag" >/dev/null 2>&1; then
    log "reusing $web_tag and $worker_tag (inputs unchanged)"
else
    # bookworm's Python is 3.11.2, but pip download judges python_full_version markers by the
    # host's interpreter: redis needs async-timeout below 3.11.3, so it is named here.
    log "pip download -> $context/wheelhouse"
    "$pip_bin" download --quiet --dest "$context/wheelhouse" --only-binary=:all: \
        --python-version 3.11.2 --implementation cp --abi cp311 \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 --platform any \
        -r requirements.txt -r docker/requirements-deploy.txt "async-timeout>=4.0.3" >&2
    if ls "$context/wheelhouse" | grep -qiE '^nvidia|^triton'; then
        log "refusing: a CUDA wheel is in the wheelhouse"; exit 1
    fi
    for kind in web worker; do
        log "docker build -> coursehub-$kind:$inputs_hash"
        docker build --network none --build-arg BASE_IMAGE="$base" \
            -f "$context/$kind.Dockerfile" -t "coursehub-$kind:$inputs_hash" "$context" >&2
    done
fi
docker tag "$web_tag" coursehub-web:latest
docker tag "$worker_tag" coursehub-worker:latest
echo "$web_tag"
echo "$worker_tag"
