# The CPU grader image, built OFFLINE by docker/build-grader-image.sh:
#   base   = a debootstrapped Debian bookworm (minbase + python3 + pip), `docker import`ed
#   wheels = build/grader-image/wheelhouse, filled on the host by `pip download` (cp311 CPU wheels)
# The build runs with --network none, so nothing here can reach a registry: a CUDA torch
# can never sneak in.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}

COPY wheelhouse/ /tmp/wheelhouse/
# pip byte-compiles while installing: the root file system is read-only at run time, and
# without .pyc files every sandbox would spend seconds compiling torch on import.
RUN python3 -m pip install --no-index --find-links /tmp/wheelhouse --break-system-packages \
        torch==2.13.0 numpy safetensors Pillow \
    && rm -rf /tmp/wheelhouse /root/.cache \
    && python3 -c "import torch, numpy, safetensors, PIL; assert torch.version.cuda is None, torch.version.cuda" \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin grader \
    && mkdir -p /opt/grader /out /job \
    && chown grader:grader /out /job

# The harness is bind-mounted read-only at run time (it is part of the grader, versioned with it);
# PYTHONPATH makes `import grader.harness` work for the assignment's tasks.py.
ENV PYTHONPATH=/opt/grader \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_NUM_THREADS=1 \
    HOME=/tmp \
    LANG=C.UTF-8
USER 10001:10001
WORKDIR /tmp
