"""``TaskContext``: the API an assignment's tasks.py uses to call student code and save artifacts."""

from __future__ import annotations

import gzip
import hashlib
import importlib
import json
import re
import struct
from pathlib import Path
from types import ModuleType
from typing import Any

ARTIFACT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}$")
MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# Only the training split may be mounted; the trusted side holds the test split.
_IDX_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")}


class ArtifactError(ValueError):
    """An artifact name, type or size the grader will not accept."""


class TaskContext:
    """One task's view of the job: seed, device, where artifacts go, the student's modules."""

    def __init__(
        self,
        *,
        task: str,
        seed: int,
        device: str,
        out_root: Path,
        submission_dir: Path,
        data_dir: Path | None,
        output_bytes: int,
    ) -> None:
        self.task = task
        self.seed = seed
        self.device = device
        self.out_root = out_root
        self.out_dir = out_root / task
        self.submission_dir = submission_dir
        self._data_dir = data_dir
        self._output_bytes = output_bytes

    def import_student(self, module: str) -> ModuleType:
        """Import the student's ``<module>.py`` from the (read-only) submission folder."""
        if not MODULE_NAME.match(module):
            raise ValueError(f"not a module name: {module!r}")
        path = self.submission_dir / f"{module}.py"
        if not path.is_file() and not (self.submission_dir / module / "__init__.py").is_file():
            raise ModuleNotFoundError(f"the submission has no {module}.py")
        return importlib.import_module(module)

    def generator(self, salt: str = "") -> Any:
        """A CPU ``torch.Generator`` seeded from the job seed, the task name and ``salt``."""
        import torch

        return torch.Generator().manual_seed(derive_seed(self.seed, self.task, salt))

    def train_data(self) -> tuple[Any, Any]:
        """The mounted training split: ``(images uint8 [N, 28, 28], labels uint8 [N])``."""
        import torch

        if self._data_dir is None:
            raise FileNotFoundError("the assignment's spec.toml mounts no training data ([data] train)")
        images_name, labels_name = _IDX_FILES["train"]
        images = torch.from_numpy(read_idx(self._data_dir / images_name).copy())
        labels = torch.from_numpy(read_idx(self._data_dir / labels_name).copy())
        return images, labels

    def save_tensors(self, name: str, tensors: dict[str, Any]) -> Path:
        """Write ``<out>/<task>/<name>.safetensors`` (tensors are detached, moved to CPU)."""
        import torch
        from safetensors.torch import save

        if not isinstance(tensors, dict) or not tensors:
            raise ArtifactError(f"{name}: expected a non-empty dict of tensors")
        clean: dict[str, torch.Tensor] = {}
        for key, value in tensors.items():
            if not isinstance(key, str) or not isinstance(value, torch.Tensor):
                raise ArtifactError(f"{name}: {key!r} is not a str -> torch.Tensor entry")
            clean[key] = value.detach().to("cpu").contiguous().clone()
        return self._write(name, "safetensors", save(clean))

    def save_json(self, name: str, value: Any) -> Path:
        """Write ``<out>/<task>/<name>.json``."""
        return self._write(name, "json", json.dumps(value).encode())

    def save_png(self, name: str, image: Any) -> Path:
        """Write ``<out>/<task>/<name>.png`` from a uint8 array or tensor, HxW or HxWx3."""
        import io

        import numpy as np
        from PIL import Image

        array = image.detach().cpu().numpy() if hasattr(image, "detach") else np.asarray(image)
        if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
            raise ArtifactError(f"{name}: expected a uint8 HxW or HxWx3 image, got {array.dtype} {array.shape}")
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(array)).save(buffer, format="PNG")
        return self._write(name, "png", buffer.getvalue())

    def _write(self, name: str, suffix: str, data: bytes) -> Path:
        if not ARTIFACT_NAME.match(name):
            raise ArtifactError(f"artifact name {name!r}: letters, digits, _ and - only")
        # Blocks actually allocated: a sparse file the student planted must not block the other
        # tasks' artifacts (the harness leaves it out of the output by its apparent size).
        used = sum(p.lstat().st_blocks * 512 for p in self.out_root.rglob("*") if p.is_file() and not p.is_symlink())
        if used + len(data) > self._output_bytes:
            raise ArtifactError(
                f"{name}.{suffix}: {len(data)} bytes would exceed the {self._output_bytes} byte output cap"
            )
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{name}.{suffix}"
        path.write_bytes(data)
        return path


def derive_seed(seed: int, *parts: str) -> int:
    """A 63-bit seed from the job seed and names; the same on both sides of the sandbox."""
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def read_idx(path: Path) -> Any:
    """Read a (gzipped) unsigned-byte IDX file into a numpy array."""
    import numpy as np

    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path.name}: not an unsigned-byte IDX file")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


