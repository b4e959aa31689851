"""The offline feature network: a small CNN classifier trained on Fashion-MNIST.

Its penultimate layer (128 features, taken before the ReLU so that the features are closer to
Gaussian and their covariance has full rank) stands in for Inception-v3's pool features in
FID, KID and precision/recall; its classifier head gives the class probabilities of the
Inception-Score-style score. Scores computed on it are NOT comparable with the Inception-based
numbers published in papers. Weights: ``weights/fmnist_features.safetensors``, trained by
``python -m course_models.train_feature_net`` (seeded, deterministic, a few minutes on a CPU).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn
from torch.nn import functional as F

WEIGHTS_PATH = Path(__file__).parent / "weights" / "fmnist_features.safetensors"
FEATURE_DIM = 128
NUM_CLASSES = 10
# Mean and standard deviation of Fashion-MNIST training pixels in [0, 1].
PIXEL_MEAN = 0.2860
PIXEL_STD = 0.3530


class FeatureNet(nn.Module):
    """conv(32) -> pool -> conv(64) -> pool -> conv(64) -> pool -> fc(128) -> fc(10).

    ``forward`` takes images as float tensors in [0, 1] of shape (N, 1, 28, 28) and returns
    logits; ``features`` returns the 128 penultimate pre-activations.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 3 * 3, FEATURE_DIM)
        self.fc2 = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - PIXEL_MEAN) / PIXEL_STD
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 14x14
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # 7x7
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)  # 3x3
        return self.fc1(x.flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.features(x)))


def to_unit_images(images: Any) -> torch.Tensor:
    """uint8 in [0, 255] or float in [0, 1], shape (N, 28, 28) or (N, 1, 28, 28) ->
    float32 (N, 1, 28, 28) in [0, 1]."""
    t = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.array(images))
    if t.dtype == torch.uint8:
        t = t.float() / 255.0
    else:
        t = t.float()
    if t.ndim == 3:
        t = t[:, None]
    if t.ndim != 4 or t.shape[1:] != (1, 28, 28):
        raise ValueError(
            f"expected images of shape (N, 28, 28) or (N, 1, 28, 28), got {tuple(t.shape)}"
        )
    return t


@lru_cache(maxsize=4)
def load_feature_net(device: str = "cpu") -> FeatureNet:
    """The trained network in eval mode (cached per device)."""
    net = FeatureNet()
    net.load_state_dict(load_file(str(WEIGHTS_PATH)))
    return net.eval().to(device)


@torch.no_grad()
def _apply(images: Any, fn: str, device: str | None, batch_size: int) -> torch.Tensor:
    x = to_unit_images(images)
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    net = load_feature_net(dev)
    out = []
    for start in range(0, x.shape[0], batch_size):
        batch = x[start : start + batch_size].to(dev)
        out.append(getattr(net, fn)(batch).double().cpu())
    return torch.cat(out) if out else torch.zeros(0, FEATURE_DIM, dtype=torch.float64)


def extract_features(
    images: Any, *, device: str | None = None, batch_size: int = 1000
) -> torch.Tensor:
    """(N, 128) float64 penultimate features, on the CPU."""
    return _apply(images, "features", device, batch_size)


def class_probabilities(
    images: Any, *, device: str | None = None, batch_size: int = 1000
) -> torch.Tensor:
    """(N, 10) float64 softmax class probabilities, on the CPU."""
    return torch.softmax(_apply(images, "forward", device, batch_size), dim=1)


_FEATURE_CACHE: dict[tuple[str, str], torch.Tensor] = {}


def extract_features_cached(images: Any, *, device: str | None = None) -> torch.Tensor:
    """``extract_features``, memoised on the images' bytes: the held-out set is scored against
    every submission a worker grades. Keeps at most four sets."""
    x = to_unit_images(images)
    key = (hashlib.sha256(x.numpy().tobytes()).hexdigest(), str(device))
    if key not in _FEATURE_CACHE:
        if len(_FEATURE_CACHE) >= 4:
            _FEATURE_CACHE.pop(next(iter(_FEATURE_CACHE)))
        _FEATURE_CACHE[key] = extract_features(x, device=device)
    return _FEATURE_CACHE[key]
