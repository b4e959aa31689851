"""Our Fréchet distance against the scipy.linalg.sqrtm route (pytorch-fid's), same run.

    python bench/bench_fid.py [--dim 2048] [--n 1000] [--repeats 1]

Prints both values (they must agree to 1e-6 relative) and the speed-up:
- from statistics at d = 2048 (target ≥ 5×): Cholesky + one symmetric eigvalsh against sqrtm;
- from features, n = 1000 per set at d = 2048 (target ≥ 20×): the nuclear norm of A Bᵀ
  against covariances + sqrtm.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_models.metrics import frechet_distance, frechet_distance_from_features  # noqa: E402


def sqrtm_route(mu1, sigma1, mu2, sigma2) -> float:
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean.real))


def timed(fn, repeats: int):
    best, value = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return value, best


def features(n: int, d: int, seed: int) -> np.ndarray:
    """Feature-like data: a few hundred strong directions plus isotropic noise, non-negative
    shift (like pooled activations)."""
    rng = np.random.default_rng(seed)
    k = min(256, d)
    basis = rng.normal(size=(k, d)) / np.sqrt(d)
    return (
        rng.normal(size=(n, k)) * np.linspace(3, 0.3, k) @ basis * 4
        + 0.3 * rng.normal(size=(n, d))
        + 0.5
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument(
        "--stats-n", type=int, default=5000, help="samples behind the full-rank statistics"
    )
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    d = args.dim

    big1, big2 = features(args.stats_n, d, 0), features(args.stats_n, d, 1) * 1.05 + 0.02
    mu1, s1 = big1.mean(0), np.cov(big1, rowvar=False)
    mu2, s2 = big2.mean(0), np.cov(big2, rowvar=False)
    ref, t_ref = timed(lambda: sqrtm_route(mu1, s1, mu2, s2), args.repeats)
    ours, t_ours = timed(lambda: frechet_distance(mu1, s1, mu2, s2), args.repeats)
    rel = abs(ours - ref) / abs(ref)
    print(
        f"statistics, d = {d}: sqrtm {ref:.10g} in {t_ref:.2f} s; ours {ours:.10g} in {t_ours:.2f} s; "
        f"relative difference {rel:.2e}; speed-up {t_ref / t_ours:.1f}x (target >= 5x)"
    )

    f1, f2 = features(args.n, d, 2), features(args.n, d, 3) * 1.05 + 0.02

    def sqrtm_from_features():
        return sqrtm_route(
            f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False)
        )

    ref_f, t_ref_f = timed(sqrtm_from_features, args.repeats)
    ours_f, t_ours_f = timed(lambda: frechet_distance_from_features(f1, f2), args.repeats)
    rel_f = abs(ours_f - ref_f) / abs(ref_f)
    print(
        f"features, n = {args.n} per set, d = {d}: sqrtm {ref_f:.10g} in {t_ref_f:.2f} s; ours {ours_f:.10g} "
        f"in {t_ours_f:.2f} s; relative difference {rel_f:.2e}; speed-up {t_ref_f / t_ours_f:.1f}x (target >= 20x)"
    )
    ok = rel < 1e-6 and rel_f < 1e-6
    print("values agree to 1e-6 relative" if ok else "VALUES DISAGREE")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
