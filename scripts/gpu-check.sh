#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one command, on a GPU host:
#   bash scripts/gpu-check.sh [OUTDIR]
# Needs python3 (or $PYTHON) with a CUDA build of torch, pytest, numpy, scipy, safetensors, Pillow and
# torchmetrics; no Django and no services. Fashion-MNIST comes from FASHION_MNIST_DIR (the IDX
# .gz files) or Debian's dataset-fashion-mnist. Writes the log and a JUnit file to OUTDIR.
#   - tests/gpu: the homeworks graded on CUDA with TF32 (references full marks, planted bugs
#     caught), the metrics in torch on CUDA against the CPU, and a job's GPU memory cap;
#   - tests/course_models: the reference models and metrics, on the CPU of the same host.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-var/gpu-check}}
mkdir -p "$out"
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
      "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)' | tee "$out/device.txt"
"$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA device: nothing to check here")' || exit 2
status=0
for suite in tests/gpu tests/course_models; do
  name=$(basename "$suite")
  python3 -m pytest --noconftest -p no:django -p no:cacheprovider -o addopts="" -ra -v \
    --junitxml="$out/$name.xml" "$suite" 2>&1 | tee "$out/$name.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
exit $status
