"""Letter-grade thresholds: the widest gaps, and optimal 1-D k-means checked against ckwrap."""

import ckwrap
import numpy as np
import pytest

from hub.gradebook.clusters import (
    ckmeans,
    clusters_assign,
    threshold_in_gap,
    thresholds_by_kmeans,
    thresholds_by_widest_gaps,
    thresholds_check,
)

THREE_GROUPS = [91.0, 93.5, 95.2, 78.0, 80.1, 81.0, 82.4, 60.0, 64.5]


def test_widest_gaps_put_thresholds_in_the_middle_of_the_two_widest_gaps():
    cuts = thresholds_by_widest_gaps(totals=THREE_GROUPS, k=3)
    assert [round(c.value, 2) for c in cuts] == [71.25, 86.7]
    assert [round(c.gap, 2) for c in cuts] == [13.5, 8.6]
    assert (cuts[0].below, cuts[0].above) == (64.5, 78.0)


def test_widest_gaps_ignore_duplicate_totals():
    cuts = thresholds_by_widest_gaps(totals=[50, 50, 50, 70, 70, 90], k=3)
    assert [c.value for c in cuts] == [60.0, 80.0]


def test_k_is_lowered_to_the_number_of_distinct_totals():
    assert len(thresholds_by_widest_gaps(totals=[80, 80, 90], k=5)) == 1
    assert ckmeans([80, 80, 90], 5).k == 2
    assert thresholds_by_kmeans(totals=[70, 70], k=3) == []


def test_kmeans_finds_the_obvious_groups():
    cuts = thresholds_by_kmeans(totals=THREE_GROUPS, k=3)
    assert [(c.below, c.above) for c in cuts] == [(64.5, 78.0), (82.4, 91.0)]
    assert clusters_assign(totals=THREE_GROUPS, thresholds=[c.value for c in cuts]) == [
        2,
        2,
        2,
        1,
        1,
        1,
        1,
        0,
        0,
    ]


@pytest.mark.parametrize("seed", range(40))
def test_kmeans_matches_ckwrap_on_random_classes(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 160))
    k = int(rng.integers(2, 7))
    # A mixture, rounded to hundredths like real totals (so there are ties too).
    centers = rng.uniform(40, 100, size=k)
    totals = np.round(rng.normal(centers[rng.integers(0, k, n)], rng.uniform(1, 6)), 2)
    ours = ckmeans(totals, k)
    theirs = ckwrap.ckmeans(totals, k)
    assert np.isclose(ours.withinss.sum(), theirs.withinss.sum(), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    np.testing.assert_allclose(ours.centers, theirs.centers)
    np.testing.assert_array_equal(ours.sizes, theirs.sizes)


def test_kmeans_matches_ckwrap_on_a_class_of_300_with_many_ties():
    rng = np.random.default_rng(2023)
    totals = np.round(
        np.concatenate([rng.normal(92, 2, 80), rng.normal(84, 3, 120), rng.normal(70, 5, 100)]), 0
    )
    for k in (2, 3, 4, 5, 8):
        ours, theirs = ckmeans(totals, k), ckwrap.ckmeans(totals, k)
        assert np.isclose(ours.withinss.sum(), theirs.withinss.sum())
        np.testing.assert_array_equal(ours.labels, theirs.labels)


def test_kmeans_labels_follow_the_input_order():
    result = ckmeans([90.0, 10.0, 91.0, 11.0], 2)
    assert result.labels.tolist() == [1, 0, 1, 0]
    assert result.centers.tolist() == [10.5, 90.5]


def test_kmeans_rejects_empty_and_non_finite_input():
    with pytest.raises(ValueError):
        ckmeans([], 2)
    with pytest.raises(ValueError):
        ckmeans([1.0, float("nan")], 2)


def test_a_student_on_the_threshold_is_in_the_cluster_above():
    assert clusters_assign(totals=[79.99, 80.0, 80.01], thresholds=[80.0]) == [0, 1, 1]


def test_threshold_in_gap_reports_its_neighbours_and_width():
    where = threshold_in_gap(totals=THREE_GROUPS, value=85)
    assert (where.below, where.above) == (82.4, 91.0)
    assert round(where.gap, 2) == 8.6


def test_thresholds_in_real_gaps_raise_no_warning():
    assert thresholds_check(totals=THREE_GROUPS, thresholds=[71.25, 86.7], tolerance=0.5) == []


def test_a_threshold_between_nearly_equal_totals_warns():
    totals = [70.0, 80.0, 80.3, 90.0]
    warnings = thresholds_check(totals=totals, thresholds=[80.2], tolerance=0.5)
    assert len(warnings) == 1 and "80.00 and 80.30" in warnings[0]


def test_thresholds_leaving_an_empty_cluster_warn():
    assert thresholds_check(totals=[70.0, 90.0], thresholds=[95.0], tolerance=0.5)
    assert thresholds_check(totals=[70.0, 90.0], thresholds=[75.0, 80.0], tolerance=0.5)
    assert thresholds_check(totals=[70.0, 90.0], thresholds=[80.0, 80.0], tolerance=0.5)
