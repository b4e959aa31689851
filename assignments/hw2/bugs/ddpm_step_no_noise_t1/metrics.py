"""HW2, part 3: evaluating generative models (reference)."""

from __future__ import annotations

import numpy as np
import torch


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    w, v = np.linalg.eigh((s1 + s1.T) / 2)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root @ s2 @ root
    tr_covmean = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    m, n = len(x), len(y)
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2 * kxy.mean()
    )


def kid(
    features1: np.ndarray,
    features2: np.ndarray,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    f1, f2 = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    m = min(subset_size, len(f1), len(f2))
    g = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(subsets):
        i1 = torch.randperm(len(f1), generator=g)[:m].numpy()
        i2 = torch.randperm(len(f2), generator=g)[:m].numpy()
        values.append(_mmd2_unbiased(f1[i1], f2[i2]))
    return float(np.mean(values)), float(np.std(values))


def _dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def precision_recall(
    real_features: np.ndarray, generated_features: np.ndarray, k: int = 3
) -> tuple[float, float]:
    real = torch.as_tensor(np.asarray(real_features, np.float64))
    gen = torch.as_tensor(np.asarray(generated_features, np.float64))
    real_radii = _dist(real, real).kthvalue(k + 1, dim=1).values
    gen_radii = _dist(gen, gen).kthvalue(k + 1, dim=1).values
    precision = (_dist(gen, real) <= real_radii[None, :]).any(dim=1).double().mean()
    recall = (_dist(real, gen) <= gen_radii[None, :]).any(dim=1).double().mean()
    return float(precision), float(recall)
