#!/bin/sh
# The grading sandbox is a sibling container started through the HOST's Docker engine, which
# resolves bind-mount sources on the host. So everything the sandbox mounts (the harness, the
# job and submission folders, the assignments' data) must sit at the same absolute path inside
# this container and on the host: COURSEHUB_SHARED is such a folder (compose binds it to
# itself). The code is copied there once per image and run from there.
set -eu
if [ -n "${COURSEHUB_SHARED:-}" ]; then
    release="$COURSEHUB_SHARED/app-$(cat /srv/app/.release 2>/dev/null || echo dev)"
    if [ ! -f "$release/.complete" ]; then
        mkdir -p "$release"
        cp -a /srv/app/. "$release/"
        touch "$release/.complete"
    fi
    mkdir -p "$COURSEHUB_SHARED/grading"
    export PYTHONPATH="$release/platform:$release" \
        ASSIGNMENTS_DIR="$release/assignments" \
        GRADER_WORK_DIR="$COURSEHUB_SHARED/grading"
    cd "$release"
fi
exec "$@"
