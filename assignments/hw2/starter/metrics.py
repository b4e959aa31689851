"""HW2, part 3: evaluating generative models.

Inputs are numpy float64 arrays. Return Python floats.
"""

from __future__ import annotations

import numpy as np
import torch  # noqa: F401  (kid must draw its subsets with torch's generator)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2):

        |mu1 − mu2|² + tr sigma1 + tr sigma2 − 2 tr sqrt(sigma1 sigma2)

    Compute in float64. Covariances may be rank-deficient (fewer samples than dimensions):
    no NaN, no complex result. Do not clip the result at 0. Hint: ``sigma1 sigma2`` is similar
    to a symmetric PSD matrix."""
    raise NotImplementedError  # TODO


def kid(
    features1: np.ndarray, features2: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Kernel Inception Distance: ``(mean, std)`` over ``subsets`` subsets of the unbiased MMD²
    estimate with the kernel k(x, y) = (xᵀy / d + 1)³ (d = feature dimension). Not clipped: it
    may be negative. ``std`` is the population standard deviation (``numpy.std``, ddof = 0).

    Subsets, exactly: ``g = torch.Generator().manual_seed(seed)``, ``m = min(subset_size, n1, n2)``;
    for each subset, ``torch.randperm(n1, generator=g)[:m]`` indexes features1 and then
    ``torch.randperm(n2, generator=g)[:m]`` indexes features2."""
    raise NotImplementedError  # TODO


def precision_recall(real_features: np.ndarray, generated_features: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019). Returns ``(precision, recall)``.

    The radius of a point is the Euclidean distance to its k-th nearest *other* point of its own
    set. Precision: the fraction of generated points within (``<=``) the radius of at least one
    real point. Recall: the fraction of real points within the radius of at least one generated
    point. Use exact distances (``torch.cdist(..., compute_mode='donot_use_mm_for_euclid_dist')``
    or a direct difference)."""
    raise NotImplementedError  # TODO
