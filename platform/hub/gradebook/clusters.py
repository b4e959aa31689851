"""Letter-grade thresholds from clusters in the numeric totals (the syllabus's "Letter Grades").

Pure functions over floats; no Django. Two ways to propose k-1 thresholds, both placed in the
middle of a gap between neighbouring totals:

- the k-1 widest gaps between consecutive distinct totals;
- optimal one-dimensional k-means: the dynamic program of Ckmeans.1d.dp (Wang & Song, 2011),
  which finds the partition of the sorted totals into k contiguous groups with the least
  within-group sum of squares. Rows of the table are computed with numpy over all split points
  at once: O(k n^2) time, O(n^2) memory, instant for a class of a few hundred.

A student whose total is at or above a threshold is in the cluster above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Threshold:
    value: float  # totals >= value are in the cluster above
    below: float | None  # the highest total under the threshold (None: nobody)
    above: float | None  # the lowest total at or over the threshold (None: nobody)

    @property
    def gap(self) -> float:
        """Width of the gap the threshold sits in: how far apart the two students it separates are."""
        if self.below is None or self.above is None:
            return 0.0
        return self.above - self.below


@dataclass(frozen=True)
class CkmeansResult:
    labels: np.ndarray  # cluster of each input value, in input order; 0 is the lowest cluster
    centers: np.ndarray
    sizes: np.ndarray
    withinss: np.ndarray  # sum of squared distances to the center, per cluster

    @property
    def k(self) -> int:
        return len(self.centers)


def _sorted_distinct(totals: Sequence[float]) -> np.ndarray:
    return np.unique(np.asarray(totals, dtype=np.float64))


def threshold_in_gap(*, totals: Sequence[float], value: float) -> Threshold:
    """Describe where a threshold at `value` falls among the totals."""
    x = np.asarray(totals, dtype=np.float64)
    under = x[x < value]
    over = x[x >= value]
    return Threshold(
        value=float(value),
        below=float(under.max()) if under.size else None,
        above=float(over.min()) if over.size else None,
    )


def _midpoint_thresholds(distinct: np.ndarray, gap_indices: Sequence[int]) -> list[Threshold]:
    """Thresholds in the middle of the gaps distinct[i] .. distinct[i + 1]."""
    out = []
    for i in sorted(gap_indices):
        lo, hi = float(distinct[i]), float(distinct[i + 1])
        out.append(Threshold(value=(lo + hi) / 2, below=lo, above=hi))
    return out


def thresholds_by_widest_gaps(*, totals: Sequence[float], k: int) -> list[Threshold]:
    """k-1 thresholds in the k-1 widest gaps between consecutive distinct totals, ascending.

    Among gaps of equal width the higher one is taken first (a deterministic choice).
    """
    distinct = _sorted_distinct(totals)
    k = _clamp_k(k, distinct.size)
    if k <= 1:
        return []
    gaps = np.diff(distinct)
    # Sort by width descending, then by position descending; lexsort sorts by the last key first.
    order = np.lexsort((-np.arange(gaps.size), -gaps))
    return _midpoint_thresholds(distinct, order[: k - 1].tolist())


def _clamp_k(k: int, n_distinct: int) -> int:
    if k < 1:
        raise ValueError("k must be at least 1")
    return min(k, max(n_distinct, 1))


def ckmeans(values: Sequence[float], k: int) -> CkmeansResult:
    """Optimal k-means clustering of one-dimensional data (the Ckmeans.1d.dp dynamic program).

    D[q, i] is the least within-cluster sum of squares of the i+1 smallest values split into q+1
    clusters; D[q, i] = min over j of D[q-1, j-1] + ssq(j..i), where j is the first index of the
    last cluster. k is lowered to the number of distinct values when there are fewer.
    """
    x_in = np.asarray(values, dtype=np.float64)
    if x_in.ndim != 1 or x_in.size == 0:
        raise ValueError("ckmeans needs a non-empty one-dimensional sequence")
    if not np.all(np.isfinite(x_in)):
        raise ValueError("ckmeans needs finite values")
    k = _clamp_k(k, np.unique(x_in).size)
    order = np.argsort(x_in, kind="stable")
    x = x_in[order]
    n = x.size
    # Shift by the median so the prefix sums of squares lose less to cancellation.
    shifted = x - x[n // 2]
    s1 = np.concatenate(([0.0], np.cumsum(shifted)))
    s2 = np.concatenate(([0.0], np.cumsum(shifted * shifted)))

    j = np.arange(n)[:, None]  # first index of the last cluster
    i = np.arange(n)[None, :]  # last index
    with np.errstate(divide="ignore", invalid="ignore"):
        count = (i - j + 1).astype(np.float64)
        seg_sum = s1[i + 1] - s1[j]
        cost = s2[i + 1] - s2[j] - seg_sum * seg_sum / count
    cost = np.where(j <= i, np.maximum(cost, 0.0), np.inf)

    table = np.empty((k, n))
    split = np.zeros((k, n), dtype=np.int64)
    table[0] = cost[0]
    for q in range(1, k):
        # previous[j] = D[q-1, j-1]: the first j clusters' cost; j must leave q values before it.
        previous = np.full(n, np.inf)
        previous[1:] = table[q - 1, :-1]
        previous[:q] = np.inf
        candidates = previous[:, None] + cost
        split[q] = np.argmin(candidates, axis=0)
        table[q] = candidates[split[q], np.arange(n)]

    labels_sorted = np.empty(n, dtype=np.int64)
    last = n - 1
    for q in range(k - 1, -1, -1):
        first = int(split[q, last]) if q > 0 else 0
        labels_sorted[first : last + 1] = q
        last = first - 1

    labels = np.empty(n, dtype=np.int64)
    labels[order] = labels_sorted
    sizes = np.bincount(labels_sorted, minlength=k)
    centers = np.bincount(labels_sorted, weights=x, minlength=k) / sizes
    withinss = np.bincount(labels_sorted, weights=(x - centers[labels_sorted]) ** 2, minlength=k)
    return CkmeansResult(labels=labels, centers=centers, sizes=sizes, withinss=withinss)


def thresholds_by_kmeans(*, totals: Sequence[float], k: int) -> list[Threshold]:
    """k-1 thresholds in the middle of the gaps between the optimal 1-D k-means clusters."""
    x = np.asarray(totals, dtype=np.float64)
    if x.size == 0:
        return []
    result = ckmeans(x, k)
    out = []
    for q in range(result.k - 1):
        lo = float(x[result.labels == q].max())
        hi = float(x[result.labels == q + 1].min())
        out.append(Threshold(value=(lo + hi) / 2, below=lo, above=hi))
    return out


def clusters_assign(*, totals: Sequence[float], thresholds: Sequence[float]) -> list[int]:
    """The cluster of each total: how many thresholds are at or below it (0 is the lowest)."""
    cuts = np.sort(np.asarray(thresholds, dtype=np.float64))
    return np.searchsorted(cuts, np.asarray(totals, dtype=np.float64), side="right").tolist()


def thresholds_check(
    *, totals: Sequence[float], thresholds: Sequence[float], tolerance: float
) -> list[str]:
    """Warnings for thresholds that do not sit in a real gap.

    A threshold must not separate two students whose totals differ by `tolerance` or less (the
    same total, or nearly), and thresholds must be distinct; an empty list means none of that.
    """
    warnings = []
    ordered = sorted(thresholds)
    if len(set(ordered)) != len(ordered):
        warnings.append("Two thresholds are equal: one cluster would be empty.")
    for t in ordered:
        where = threshold_in_gap(totals=totals, value=t)
        if where.below is None or where.above is None:
            warnings.append(
                f"The threshold {t:.2f} is outside the totals: a cluster would be empty."
            )
        elif where.gap <= tolerance:
            warnings.append(
                f"The threshold {t:.2f} separates totals {where.below:.2f} and {where.above:.2f}, "
                f"only {where.gap:.2f} apart (tolerance {tolerance:.2f})."
            )
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        if not any(lower <= v < upper for v in totals):
            if lower != upper:
                warnings.append(
                    f"No total lies between {lower:.2f} and {upper:.2f}: a cluster would be empty."
                )
    return warnings
