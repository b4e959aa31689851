"""The warm docker pool: one job per container, the same verdicts as a cold run."""

from __future__ import annotations

import pytest

from grader import grade
from grader.engine import _data_files
from grader.sandbox.pool import WarmPool
from grader.spec import load_spec

from .conftest import TOY, require_sandbox, scores

pytestmark = pytest.mark.docker


def test_warm_pool_grades_like_a_cold_run_and_uses_each_container_once() -> None:
    require_sandbox("docker")
    spec = load_spec(TOY)
    with WarmPool(limits=spec.limits, size=1, data_files=_data_files(spec)) as pool:
        first = [w.container.id for w in pool._all]
        reference = grade(TOY, TOY / "reference", backend=pool).to_results_json()
        assert reference["score"] == 5.0, reference["output"]
        pool.fill()
        wrong = grade(TOY, TOY / "wrong", backend=pool).to_results_json()
        assert scores(wrong) == {"affine_values": 0.0, "affine_shape": 1.0, "image_pattern": 1.0, "pixel_mean": 0.0}
        used = {c.id for c in pool.client.containers.list(all=True, filters={"id": first[0]})}
        assert used == set(), "a pool container outlived its one job"
        assert reference["phases"]["dequeue_to_warm_s"] < 1.0

