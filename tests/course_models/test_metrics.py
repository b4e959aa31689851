"""Metrics against textbook formulas, torchmetrics, closed forms and invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from course_models import metrics as M

CUDA = [
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA"))
]


def sqrtm_frechet(mu1, sigma1, mu2, sigma2) -> float:
    """The pytorch-fid route, written out: scipy.linalg.sqrtm of Σ1Σ2, real part."""
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(axis=0), np.cov(x, rowvar=False)


@pytest.fixture
def two_sets() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    d = 48
    a = rng.normal(size=(600, d))
    b = rng.normal(size=(500, d)) @ (np.eye(d) + 0.3 * rng.normal(size=(d, d)) / math.sqrt(d)) + 0.2
    return a, b


def test_frechet_matches_scipy_sqrtm_route(two_sets):
    a, b = two_sets
    expected = sqrtm_frechet(*stats(a), *stats(b))
    assert M.frechet_distance(*stats(a), *stats(b)) == pytest.approx(expected, rel=1e-6)
    assert M.frechet_distance_from_features(a, b) == pytest.approx(expected, rel=1e-6)


def test_feature_statistics_use_ddof_1(two_sets):
    a, _ = two_sets
    mu, sigma = M.feature_statistics(a)
    np.testing.assert_allclose(sigma.numpy(), np.cov(a, rowvar=False), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mu.numpy(), a.mean(0), rtol=1e-12)


def test_frechet_nuclear_norm_route_when_fewer_samples_than_dimensions():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(40, 200))
    b = 1.5 * rng.normal(size=(30, 200)) + 0.1
    via_stats = M.frechet_distance(*M.feature_statistics(a), *M.feature_statistics(b))
    via_features = M.frechet_distance_from_features(a, b)
    # The d×d route takes square roots of eigenvalues that are rounding noise in the null space:
    # about 1e-8 relative here. The nuclear norm has no null space to round.
    assert via_features == pytest.approx(via_stats, rel=1e-7)
    assert np.isfinite(via_features)


def test_frechet_matches_torchmetrics_with_our_feature_network():
    from torchmetrics.image.fid import FrechetInceptionDistance

    from course_models.data import load_fashion_mnist
    from course_models.features import extract_features

    class Features(torch.nn.Module):
        num_features = 128

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return extract_features(x[:, :1], device="cpu")

    test_images, _ = load_fashion_mnist("test")
    real = torch.from_numpy(np.array(test_images[:600]))[:, None]
    fake = torch.from_numpy(np.array(test_images[600:1100]))[:, None].flip(3)
    fake = (fake.float() * 0.8).to(torch.uint8)
    fid = FrechetInceptionDistance(feature=Features())
    fid.update(real, real=True)
    fid.update(fake, real=False)
    theirs = float(fid.compute())
    ours = M.frechet_distance_from_features(extract_features(real), extract_features(fake))
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_frechet_closed_form_between_isotropic_gaussians():
    d = 64
    mu1, mu2 = np.zeros(d), np.full(d, 0.5)
    s1, s2 = 1.3, 0.4
    expected = float(((mu1 - mu2) ** 2).sum() + d * (s1 - s2) ** 2)
    got = M.frechet_distance(mu1, s1**2 * np.eye(d), mu2, s2**2 * np.eye(d))
    assert got == pytest.approx(expected, rel=1e-12)


def test_frechet_of_identical_sets_is_zero_relative_to_traces(two_sets):
    a, _ = two_sets
    mu, sigma = stats(a)
    assert abs(M.frechet_distance(mu, sigma, mu, sigma)) < 1e-8
    # Fewer samples than dimensions: not exactly 0 by any route; relative to the traces.
    rng = np.random.default_rng(2)
    few = rng.normal(size=(30, 100)) * 3
    trace = float(np.trace(np.cov(few, rowvar=False)))
    assert abs(M.frechet_distance_from_features(few, few)) < 1e-10 * trace
    assert abs(M.frechet_distance(*stats(few), *stats(few))) < 1e-7 * trace


def test_frechet_is_symmetric(two_sets):
    a, b = two_sets
    assert M.frechet_distance(*stats(a), *stats(b)) == pytest.approx(
        M.frechet_distance(*stats(b), *stats(a)), rel=1e-10
    )
    assert M.frechet_distance_from_features(a, b) == pytest.approx(
        M.frechet_distance_from_features(b, a), rel=1e-10
    )


def test_frechet_is_invariant_under_a_common_rotation(two_sets):
    a, b = two_sets
    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(a.shape[1], a.shape[1])))
    before = M.frechet_distance_from_features(a, b)
    assert M.frechet_distance_from_features(a @ q, b @ q) == pytest.approx(before, rel=1e-9)


def test_frechet_float32_fails_when_small_distance_meets_large_traces():
    """The regime where a float32 implementation is visibly wrong; ours is float64 throughout."""
    rng = np.random.default_rng(4)
    d = 256
    basis, _ = np.linalg.qr(rng.normal(size=(d, d)))
    sigma1 = basis @ np.diag(np.logspace(1.5, -3, d)) @ basis.T
    pert = rng.normal(size=(d, d)) * 1e-3
    sigma2 = sigma1 + pert @ pert.T
    mu1 = rng.normal(size=d)
    mu2 = mu1 + 1e-3
    exact = sqrtm_frechet(mu1, sigma1, mu2, sigma2)
    ours = M.frechet_distance(mu1, sigma1, mu2, sigma2)
    ours_from_float32_input = M.frechet_distance(
        mu1.astype(np.float32),
        sigma1.astype(np.float32),
        mu2.astype(np.float32),
        sigma2.astype(np.float32),
    )
    trace = np.trace(sigma1) + np.trace(sigma2)
    assert abs(ours - exact) < 1e-9 * trace
    # Sanity of the regime: arithmetic in float32 is off by far more than that tolerance.
    s1, s2 = sigma1.astype(np.float32), sigma2.astype(np.float32)
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    tr32 = np.sqrt(np.clip(np.linalg.eigvalsh(root @ s2 @ root), 0, None)).sum()
    float32_value = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr32)
    assert abs(float32_value - exact) > 100 * 1e-9 * trace
    assert np.isfinite(ours_from_float32_input)


def test_frechet_rank_deficient_covariances_give_finite_real_values():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(10, 50)), rng.normal(size=(12, 50)) + 1
    value = M.frechet_distance(*stats(a), *stats(b))
    assert np.isfinite(value)
    assert value == pytest.approx(M.frechet_distance_from_features(a, b), rel=1e-8)


def _mmd_direct(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    k = lambda u, v: (u @ v / d + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    sxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    syy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    sxy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return sxx + syy - 2 * sxy


def test_kid_unbiased_mmd_matches_the_direct_double_sum():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(15, 5)), rng.normal(size=(12, 5)) + 0.3
    assert M.mmd2_unbiased(x, y) == pytest.approx(_mmd_direct(x, y), rel=1e-10)
    # One subset as large as both sets: the estimate is deterministic.
    mean, std = M.kid(x[:12], y, subsets=1, subset_size=1000)
    assert mean == pytest.approx(_mmd_direct(x[:12], y), rel=1e-10)
    assert std == 0.0


def test_kid_is_not_clipped_and_can_be_negative():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(60, 8))
    y = x + 1e-3 * rng.normal(size=x.shape)
    value = M.mmd2_unbiased(x, y)
    assert value < 0
    mean, _ = M.kid(x, y, subsets=1, subset_size=60)
    assert mean == pytest.approx(value, rel=1e-10)


def test_kid_subsets_follow_the_documented_draw():
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(80, 6)), rng.normal(size=(70, 6)) * 1.2
    g = torch.Generator().manual_seed(11)
    values = []
    for _ in range(5):
        i1 = torch.randperm(80, generator=g)[:30].numpy()
        i2 = torch.randperm(70, generator=g)[:30].numpy()
        values.append(_mmd_direct(a[i1], b[i2]))
    mean, std = M.kid(a, b, subsets=5, subset_size=30, seed=11)
    assert mean == pytest.approx(np.mean(values), rel=1e-10)
    assert std == pytest.approx(np.std(values), rel=1e-8)


def test_inception_score_bounds():
    n, c = 1000, 10
    uniform = np.full((n, c), 1.0 / c)
    assert M.inception_score(uniform)[0] == pytest.approx(1.0)
    one_hot = np.eye(c)[np.arange(n) % c]
    mean, std = M.inception_score(one_hot)
    assert mean == pytest.approx(c, rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-9)


def _pr_direct(real: np.ndarray, gen: np.ndarray, k: int = 3) -> tuple[float, float]:
    def radii(x):
        d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
        return np.sort(d, axis=1)[:, k]

    def inside(q, p, r):
        d = np.sqrt(((q[:, None] - p[None]) ** 2).sum(-1))
        return float((d <= r[None]).any(1).mean())

    return inside(gen, real, radii(real)), inside(real, gen, radii(gen))


def test_precision_recall_match_direct_formulas():
    rng = np.random.default_rng(9)
    real, gen = rng.normal(size=(60, 4)), rng.normal(size=(50, 4)) * 1.5 + 0.4
    assert M.precision_recall(real, gen) == pytest.approx(_pr_direct(real, gen), abs=0)


def test_precision_recall_one_of_two_modes():
    rng = np.random.default_rng(10)
    real = np.concatenate([rng.normal(size=(300, 8)) + 6, rng.normal(size=(300, 8)) - 6])
    gen = rng.normal(size=(300, 8)) + 6
    precision, recall = M.precision_recall(real, gen)
    assert precision > 0.8
    assert 0.35 < recall <= 0.5  # only the covered mode's real points can be recalled
    assert precision - recall > 0.3


def test_precision_recall_ties_count_as_inside():
    """Integer coordinates make many distances tie exactly with a radius: ``<=`` counts them."""
    rng = np.random.default_rng(12)
    real = rng.integers(-4, 5, size=(60, 3)).astype(np.float64)
    gen = rng.integers(-6, 7, size=(50, 3)).astype(np.float64)
    ours = M.precision_recall(real, gen)
    assert ours == _pr_direct(real, gen)

    def strict(q, p, r):
        d = np.sqrt(((q[:, None] - p[None]) ** 2).sum(-1))
        return float((d < r[None]).any(1).mean())

    radii = np.sort(np.sqrt(((real[:, None] - real[None]) ** 2).sum(-1)), axis=1)[:, 3]
    assert strict(gen, real, radii) != ours[0]  # the ties matter here


def test_bits_per_dim_uniform_model_is_8():
    assert M.bits_per_dim(0.0, 784) == pytest.approx(8.0)
    nll = torch.tensor([0.0, 784 * math.log(2)])
    np.testing.assert_allclose(M.bits_per_dim(nll, 784).numpy(), [8.0, 9.0])
    assert M.bits_per_dim(784 * 8 * math.log(2), 784, levels=1) == pytest.approx(8.0)


@pytest.mark.parametrize("device", ["cpu", *CUDA])
def test_metrics_run_on_each_device(device):
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(200, 16)), rng.normal(size=(150, 16)) + 0.5
    ref_fd = M.frechet_distance_from_features(a, b)
    ta, tb = torch.from_numpy(a).to(device), torch.from_numpy(b).to(device)
    assert M.frechet_distance_from_features(ta, tb) == pytest.approx(ref_fd, rel=1e-9)
    assert M.frechet_distance(
        *M.feature_statistics(ta), *M.feature_statistics(tb)
    ) == pytest.approx(ref_fd, rel=1e-9)
    assert M.kid(ta, tb, subsets=3, subset_size=50) == pytest.approx(
        M.kid(a, b, subsets=3, subset_size=50), rel=1e-9
    )
    assert M.precision_recall(ta, tb) == M.precision_recall(a, b)
    probs = torch.softmax(torch.from_numpy(a[:, :10]), 1)
    assert M.inception_score(probs.to(device)) == pytest.approx(
        M.inception_score(probs.numpy()), rel=1e-9
    )


def test_near_copies_finds_perturbed_copies_only():
    from course_models.data import load_fashion_mnist

    train = torch.from_numpy(np.array(load_fashion_mnist("train")[0][:3000]))
    test = torch.from_numpy(np.array(load_fashion_mnist("test")[0][:50]))
    noisy = (
        train[:20].float() + torch.randn(20, 28, 28, generator=torch.Generator().manual_seed(0)) * 3
    ).clamp(0, 255)
    samples = torch.cat([noisy.round().to(torch.uint8), test])
    is_copy, smallest = M.near_copies(samples, train, rms=0.03)
    assert is_copy[:20].all()
    assert not is_copy[20:].any()
    assert smallest < 0.03
