"""TF32 for the tests: copies of a solution that turn it on (CUDA) or emulate it (CPU).

On Ampere and later GPUs, float32 convolutions run in TF32 by default (cuDNN) and float32
matrix products do once a student's code asks for it: each input is rounded to 10 mantissa
bits and the products are summed in float32. The emulation does that rounding on the CPU in
front of every float32 matrix product and convolution, so that the homeworks' tolerances and
thresholds can be tested against TF32 numerics on a machine without a GPU. It is pessimistic:
bias terms and einsum operands are rounded too. Backward passes are not emulated.

This file is also copied into a solution as ``_tf32_emulation.py``; keep it self-contained.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_map

MODULE_NAME = "_tf32_emulation"
ACTIVE_LINE = "@@tf32-emulation-active"
_LOW_BITS = (1 << 13) - 1  # float32 keeps 23 mantissa bits, TF32 keeps 10
# The argument positions that are multiplied; everything else passes untouched.
_OPERANDS = {
    **dict.fromkeys(("matmul", "mm", "bmm", "linear", "__matmul__", "__rmatmul__"), (0, 1)),
    **dict.fromkeys(("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"), (0, 1)),
    **dict.fromkeys(("addmm", "baddbmm", "addbmm"), (1, 2)),
}


def round_to_tf32(t: torch.Tensor) -> torch.Tensor:
    """The float32 tensor rounded to the nearest TF32 value, gradients passing straight through."""
    bits = t.detach().contiguous().view(torch.int32)
    rounded = ((bits + (1 << 12)) & ~_LOW_BITS).view(torch.float32).view_as(t)
    rounded = torch.where(torch.isfinite(t), rounded, t.detach())  # NaN bits could wrap around
    return t + (rounded - t).detach() if t.requires_grad else rounded


def _tf32(x):
    return round_to_tf32(x) if isinstance(x, torch.Tensor) and x.dtype == torch.float32 else x


class TF32Emulation(TorchFunctionMode):
    """Rounds the float32 operands of matrix products and convolutions to TF32."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name == "einsum":
            self.calls += 1
            args = (args[0], *tree_map(_tf32, list(args[1:])))
        elif name in _OPERANDS:
            self.calls += 1
            args = tuple(_tf32(a) if i in _OPERANDS[name] else a for i, a in enumerate(args))
        return func(*args, **kwargs)


_mode: TF32Emulation | None = None


def activate() -> None:
    """Enter the emulation for the rest of this process (once), and say so on stderr."""
    global _mode
    if _mode is None:
        _mode = TF32Emulation()
        _mode.__enter__()
        print(ACTIVE_LINE, file=sys.stderr, flush=True)


# Appended to every .py file of a solution copy. Appended, not prepended: a file's
# `from __future__` import must stay its first statement.
CUDA_SNIPPET = '\nimport torch as _torch\n_torch.backends.cuda.matmul.allow_tf32 = True\n_torch.backends.cudnn.allow_tf32 = True\n'
CPU_SNIPPET = f"\nimport {MODULE_NAME} as _tf32_emulation\n_tf32_emulation.activate()\n"


def solution_with_tf32(source: Path, dest: Path, *, emulate: bool) -> Path:
    """A copy of a solution folder that turns TF32 on (CUDA) or emulates it (``emulate``)."""
    shutil.copytree(source, dest)
    for py in dest.rglob("*.py"):
        py.write_text(py.read_text() + (CPU_SNIPPET if emulate else CUDA_SNIPPET))
    if emulate:
        shutil.copyfile(Path(__file__), dest / f"{MODULE_NAME}.py")
    return dest
