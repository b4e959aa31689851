"""Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package (IDX files, gzipped).

Nothing is downloaded: the files are read from ``FASHION_MNIST_DIR`` or the package's folder.
"""

from __future__ import annotations

import gzip
import os
import struct
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class DatasetMissing(FileNotFoundError):
    pass


def data_dir() -> Path:
    return Path(os.environ.get("FASHION_MNIST_DIR", DEFAULT_DIR))


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {shape}, found {data.size} bytes")
    return data.reshape(shape)


@lru_cache(maxsize=4)
def load_fashion_mnist(
    split: Literal["train", "test"], root: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)``: uint8 arrays of shape (N, 28, 28) and (N,).

    N is 60,000 for ``train`` and 10,000 for ``test``. Arrays are read-only.
    """
    folder = Path(root) if root else data_dir()
    image_name, label_name = _FILES[split]
    image_path, label_path = folder / image_name, folder / label_name
    for p in (image_path, label_path):
        if not p.exists():
            raise DatasetMissing(
                f"{p} not found: install Debian's dataset-fashion-mnist or set FASHION_MNIST_DIR"
            )
    images, labels = _read_idx(image_path), _read_idx(label_path)
    if len(images) != len(labels):
        raise ValueError(f"{folder}: {len(images)} images but {len(labels)} labels")
    return images, labels
