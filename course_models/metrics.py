"""Metrics for generative models: Fréchet distance, KID, an Inception-Score-style score,
improved precision/recall and bits per dimension.

Everything accepts numpy arrays or torch tensors (CPU or CUDA) and computes in float64 on the
device of its input; scalars come back as Python floats.

The numbers are only comparable with numbers computed on the same feature network: FID and
KID here are computed on ``course_models.features`` (a small Fashion-MNIST classifier), not on
Inception-v3, so they cannot be compared with the FIDs published in papers.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import torch

ArrayLike = Any  # numpy array or torch tensor

KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
IS_SPLITS = 10
PR_K = 3


def _as_float64(x: ArrayLike, device: torch.device | str | None = None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        t = x.detach()
    else:
        t = torch.from_numpy(np.ascontiguousarray(np.asarray(x)))
    if device is not None:
        t = t.to(device)
    return t.to(torch.float64)


def _features_2d(x: ArrayLike, name: str) -> torch.Tensor:
    t = _as_float64(x)
    if t.ndim != 2:
        raise ValueError(f"{name}: expected an (N, D) feature matrix, got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name}: features contain NaN or infinity")
    return t


# --------------------------------------------------------------------------- Fréchet distance


def feature_statistics(features: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance (``ddof=1``, as ``numpy.cov`` and pytorch-fid) in float64."""
    f = _features_2d(features, "features")
    if f.shape[0] < 2:
        raise ValueError("need at least two feature vectors for a covariance")
    mu = f.mean(dim=0)
    centred = f - mu
    sigma = centred.T @ centred / (f.shape[0] - 1)
    return mu, sigma


def _sqrt_psd(sigma: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a PSD matrix from ``eigh``, eigenvalues clipped at 0."""
    w, v = torch.linalg.eigh(sigma)
    return (v * w.clamp_min(0).sqrt()) @ v.T


def trace_sqrt_product(sigma1: ArrayLike, sigma2: ArrayLike) -> float:
    """``tr sqrt(Σ1 Σ2)`` for symmetric PSD matrices, in float64, without complex numbers.

    ``Σ1 Σ2`` is similar to the symmetric PSD matrix ``Fᵀ Σ2 F`` for any factor
    ``Σ1 = F Fᵀ``, so the trace is the sum of the square roots of that matrix's (clipped)
    eigenvalues. ``F`` is a Cholesky factor when ``Σ1`` is positive definite, and the
    symmetric square root from ``eigh`` when it is rank deficient (fewer samples than
    dimensions), where Cholesky fails.
    """
    s1 = _as_float64(sigma1)
    s2 = _as_float64(sigma2, s1.device)
    s1 = (s1 + s1.T) / 2
    s2 = (s2 + s2.T) / 2
    factor, info = torch.linalg.cholesky_ex(s1)
    if int(info) != 0:
        factor = _sqrt_psd(s1)
    m = factor.T @ s2 @ factor
    m = (m + m.T) / 2
    eig = torch.linalg.eigvalsh(m)
    return float(eig.clamp_min(0).sqrt().sum())


def frechet_distance(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> float:
    """``|μ1−μ2|² + tr Σ1 + tr Σ2 − 2 tr sqrt(Σ1 Σ2)`` in float64.

    Not clipped at 0: with fewer samples than dimensions the distance of a set to itself
    comes out around ``−1e-8 × trace``, whatever the route.
    """
    m1 = _as_float64(mu1)
    m2 = _as_float64(mu2, m1.device)
    s1 = _as_float64(sigma1, m1.device)
    s2 = _as_float64(sigma2, m1.device)
    if m1.shape != m2.shape or s1.shape != s2.shape or s1.shape != (m1.numel(), m1.numel()):
        raise ValueError(
            f"shapes do not match: mu {tuple(m1.shape)}, {tuple(m2.shape)}; "
            f"sigma {tuple(s1.shape)}, {tuple(s2.shape)}"
        )
    diff = m1 - m2
    tr_covmean = trace_sqrt_product(s1, s2)
    return float(diff @ diff + torch.trace(s1) + torch.trace(s2)) - 2.0 * tr_covmean


def frechet_distance_from_features(features1: ArrayLike, features2: ArrayLike) -> float:
    """Fréchet distance between the Gaussians fitted (``ddof=1``) to two feature sets.

    With few samples next to the dimension, ``tr sqrt(Σ1 Σ2)`` is the nuclear norm of
    ``A Bᵀ / sqrt((n1−1)(n2−1))`` (``A``, ``B`` the centred features; Mathiasen and Hvilshøj
    2020): an SVD of an n1×n2 matrix instead of d×d decompositions. The cheaper route is used.
    """
    f1 = _features_2d(features1, "features1")
    f2 = _features_2d(features2, "features2").to(f1.device)
    (n1, d), (n2, d2) = f1.shape, f2.shape
    if d != d2:
        raise ValueError(f"feature dimensions differ: {d} and {d2}")
    if n1 < 2 or n2 < 2:
        raise ValueError("need at least two feature vectors in each set")
    nuclear_cost = n1 * n2 * d + min(n1, n2) ** 2 * max(n1, n2)
    stats_cost = (n1 + n2) * d * d + 10 * d**3
    if nuclear_cost >= stats_cost:
        mu1, s1 = feature_statistics(f1)
        mu2, s2 = feature_statistics(f2)
        return frechet_distance(mu1, s1, mu2, s2)
    mu1, mu2 = f1.mean(dim=0), f2.mean(dim=0)
    a, b = f1 - mu1, f2 - mu2
    tr1 = float((a * a).sum()) / (n1 - 1)
    tr2 = float((b * b).sum()) / (n2 - 1)
    cross = a @ b.T / math.sqrt((n1 - 1) * (n2 - 1))
    nuclear = float(torch.linalg.svdvals(cross).sum())
    diff = mu1 - mu2
    return float(diff @ diff) + tr1 + tr2 - 2.0 * nuclear


# --------------------------------------------------------------------------------------- KID


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``k(x, y) = (xᵀy / d + 1)³`` (degree 3, γ = 1/d, coef0 = 1)."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _offdiag_mean(k: torch.Tensor) -> torch.Tensor:
    m = k.shape[0]
    return (k.sum() - k.diagonal().sum()) / (m * (m - 1))


def mmd2_unbiased(x: ArrayLike, y: ArrayLike) -> float:
    """Unbiased MMD² with the polynomial kernel; may be slightly negative."""
    fx = _features_2d(x, "x")
    fy = _features_2d(y, "y").to(fx.device)
    if fx.shape[0] < 2 or fy.shape[0] < 2:
        raise ValueError("need at least two samples in each set")
    kxy = polynomial_kernel(fx, fy)
    return float(
        _offdiag_mean(polynomial_kernel(fx, fx))
        + _offdiag_mean(polynomial_kernel(fy, fy))
        - 2 * kxy.mean()
    )


def kid(
    features1: ArrayLike,
    features2: ArrayLike,
    *,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET_SIZE,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel Inception Distance: mean and standard deviation (``ddof=0``) of the unbiased MMD²
    over ``subsets`` random subsets, not clipped.

    Subsets are drawn without replacement with ``torch.Generator().manual_seed(seed)`` on the
    CPU: for each subset, ``m = min(subset_size, n1, n2)``, then
    ``torch.randperm(n1, generator=g)[:m]`` for the first set and
    ``torch.randperm(n2, generator=g)[:m]`` for the second, in that order.
    """
    f1 = _features_2d(features1, "features1")
    f2 = _features_2d(features2, "features2").to(f1.device)
    n1, n2 = f1.shape[0], f2.shape[0]
    m = min(subset_size, n1, n2)
    if m < 2:
        raise ValueError("need at least two samples in each set")
    # A subset that is the whole set is a permutation of it: its kernel mean does not change.
    const_xx = _offdiag_mean(polynomial_kernel(f1, f1)) if m == n1 else None
    const_yy = _offdiag_mean(polynomial_kernel(f2, f2)) if m == n2 else None
    # The cross kernel once for all subsets when it is small enough (≤ 200 MB in float64),
    # stored (n2, n1) so that a subset of the second set is a gather of contiguous rows.
    full_yx = polynomial_kernel(f2, f1) if n1 * n2 <= 25_000_000 else None
    g = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(subsets):
        i1 = torch.randperm(n1, generator=g)[:m].to(f1.device)
        i2 = torch.randperm(n2, generator=g)[:m].to(f1.device)
        x, y = f1[i1], f2[i2]
        sxx = const_xx if const_xx is not None else _offdiag_mean(polynomial_kernel(x, x))
        syy = const_yy if const_yy is not None else _offdiag_mean(polynomial_kernel(y, y))
        if full_yx is not None:
            rows = full_yx.index_select(0, i2)
            sxy = (rows if m == n1 else rows.index_select(1, i1)).mean()  # i1 permutes all of set 1
        else:
            sxy = polynomial_kernel(x, y).mean()
        values.append(float(sxx + syy - 2 * sxy))
    v = np.asarray(values, dtype=np.float64)
    return float(v.mean()), float(v.std())


# ------------------------------------------------------------------------ Inception-style score


def inception_score(probs: ArrayLike, *, splits: int = IS_SPLITS) -> tuple[float, float]:
    """``exp(E_x KL(p(y|x) ‖ p(y)))`` over ``splits`` consecutive chunks (``numpy.array_split``
    boundaries); mean and standard deviation (``ddof=0``) over the chunks.

    ``probs``: (N, C) class probabilities (rows sum to 1). The score lies in [1, C].
    """
    p = _features_2d(probs, "probs")
    if (p < 0).any() or not torch.allclose(p.sum(dim=1), torch.ones_like(p[:, 0]), atol=1e-4):
        raise ValueError("probs must be non-negative with rows summing to 1")
    n = p.shape[0]
    sizes = [n // splits + (1 if i < n % splits else 0) for i in range(splits)]
    bounds = np.cumsum([0, *sizes])
    scores = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        part = p[int(lo) : int(hi)]
        if part.shape[0] == 0:
            raise ValueError(f"{n} samples cannot make {splits} splits")
        py = part.mean(dim=0, keepdim=True)
        kl = (torch.special.xlogy(part, part) - torch.special.xlogy(part, py)).sum(dim=1)
        scores.append(math.exp(float(kl.mean())))
    s = np.asarray(scores)
    return float(s.mean()), float(s.std())


# ------------------------------------------------------------------- improved precision/recall


def _pairwise(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # Exact distances: the matrix-multiplication formula breaks ties that ``<=`` relies on.
    return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")


def knn_radii(features: ArrayLike, k: int = PR_K, *, chunk: int = 1024) -> torch.Tensor:
    """Distance from each point to its k-th nearest *other* point of the same set."""
    f = _features_2d(features, "features")
    if f.shape[0] <= k:
        raise ValueError(f"need more than k = {k} points")
    out = []
    for start in range(0, f.shape[0], chunk):
        d = _pairwise(f[start : start + chunk], f)
        out.append(d.kthvalue(k + 1, dim=1).values)  # column 0 of the sort is the point itself
    return torch.cat(out)


def _fraction_inside(
    queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor, chunk: int
) -> float:
    inside = []
    for start in range(0, queries.shape[0], chunk):
        d = _pairwise(queries[start : start + chunk], points)
        inside.append((d <= radii[None, :]).any(dim=1))
    return float(torch.cat(inside).double().mean())


def precision_recall(
    real_features: ArrayLike, generated_features: ArrayLike, *, k: int = PR_K, chunk: int = 1024
) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019), in this argument order.

    Precision: fraction of generated points within the k-NN radius of some real point.
    Recall: fraction of real points within the k-NN radius of some generated point.
    """
    real = _features_2d(real_features, "real_features")
    gen = _features_2d(generated_features, "generated_features").to(real.device)
    precision = _fraction_inside(gen, real, knn_radii(real, k, chunk=chunk), chunk)
    recall = _fraction_inside(real, gen, knn_radii(gen, k, chunk=chunk), chunk)
    return precision, recall


# --------------------------------------------------------------------------- bits per dimension


def bits_per_dim(nll_nats: Any, num_dims: int, *, levels: int = 256) -> Any:
    """Bits per dimension from a negative log-likelihood in nats (per example).

    Default: ``nll_nats`` is the NLL of a *continuous density on data scaled to [0, 1)*, with
    uniform dequantisation ``(x + u) / 256`` of 8-bit pixels ``x``; the change of scale adds
    ``log 256`` per dimension: ``bpd = (nll / D + log 256) / log 2``. A uniform density on
    [0, 1)^D (NLL 0) gives exactly 8 bits per dimension.

    ``levels=1``: ``nll_nats`` is already the NLL of the discrete 8-bit data (or of a density
    on the unscaled [0, 256) range), so ``bpd = nll / (D log 2)``.

    Works elementwise on floats, numpy arrays and torch tensors.
    """
    if num_dims <= 0:
        raise ValueError("num_dims must be positive")
    return (nll_nats / num_dims + math.log(levels)) / math.log(2)


# ------------------------------------------------------------------------- copy detection

_POOLED_CACHE: dict[str, torch.Tensor] = {}


def _pooled_images(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float32 (N, 196): 2×2 average pooling of pixels in [0, 1]."""
    x = images.reshape(-1, 1, 28, 28).float() / 255
    return torch.nn.functional.avg_pool2d(x, 2).reshape(len(images), -1)


def near_copies(
    samples: torch.Tensor, data: torch.Tensor, *, rms: float, chunk: int = 20000
) -> tuple[torch.Tensor, float]:
    """Which samples lie within RMS pixel distance ``rms`` (pixels in [0, 1]) of some image of
    ``data`` (both uint8 (N, 28, 28)), and the smallest 14×14-pooled RMS distance seen.

    2×2 average pooling is a contraction, so the pooled distance never exceeds the full one: it
    prunes candidates cheaply (the pooled data are cached across calls), and the survivors are
    measured at full resolution."""
    key = hashlib.sha256(data.contiguous().numpy().tobytes()).hexdigest()
    if key not in _POOLED_CACHE:
        if len(_POOLED_CACHE) >= 4:
            _POOLED_CACHE.pop(next(iter(_POOLED_CACHE)))
        _POOLED_CACHE[key] = _pooled_images(data)
    pooled = _POOLED_CACHE[key]
    a, a_full = _pooled_images(samples), samples.reshape(len(samples), -1).float() / 255
    is_copy = torch.zeros(len(samples), dtype=torch.bool)
    smallest = math.inf
    for start in range(0, len(pooled), chunk):
        b = pooled[start : start + chunk]
        d2 = ((a * a).sum(1, keepdim=True) + (b * b).sum(1)[None] - 2 * a @ b.T).clamp_min(
            0
        ) / b.shape[1]
        smallest = min(smallest, float(d2.min().sqrt()))
        rows, cols = (d2 < rms**2 * 1.01).nonzero(as_tuple=True)
        if len(rows):
            full = data[start + cols].reshape(len(cols), -1).float() / 255
            dist = ((a_full[rows] - full) ** 2).mean(dim=1).sqrt()
            is_copy[rows[dist < rms]] = True
    return is_copy, smallest
