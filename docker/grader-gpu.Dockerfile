# The CUDA grader image, for GPU workers (not built on the CPU machines: it needs a registry).
#   docker build -f docker/grader-gpu.Dockerfile -t grader-gpu:2.13 docker/
#   GRADER_IMAGE=grader-gpu:2.13 on the worker; the docker backend adds the GPU device request
#   for assignments whose spec says gpu = true, and the harness caps each task's share of GPU
#   memory with torch.cuda.set_per_process_memory_fraction (GRADER_GPU_MEMORY_FRACTION).
# Same contract as grader-cpu.Dockerfile: python3 with torch, numpy, safetensors and Pillow,
# a non-root user 10001, /out and /job owned by it, the harness bind-mounted at /opt/grader.
ARG BASE_IMAGE=pytorch/pytorch:2.13.0-cuda12.8-cudnn9-runtime
FROM ${BASE_IMAGE}

RUN python3 -m pip install --no-cache-dir "safetensors>=0.4" "Pillow>=10" numpy \
    && python3 -c "import torch, safetensors, PIL; assert torch.version.cuda, 'not a CUDA build'" \
    && (useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin grader 2>/dev/null || true) \
    && mkdir -p /opt/grader /out /job \
    && chown 10001:10001 /out /job

ENV PYTHONPATH=/opt/grader \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_NUM_THREADS=1 \
    HOME=/tmp \
    LANG=C.UTF-8
USER 10001:10001
WORKDIR /tmp
