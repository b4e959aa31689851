"""HW1 through the real grading engine: the reference gets full marks on every sandbox, each
planted bug loses points exactly on the checks its BUG.toml names, the starter gets zero.

The reference, the starter and the planted bugs are staff code: they are graded with the
``trusted`` backend, two at a time in separate processes, so that the whole module stays
within a few minutes on two cores. The reference is graded again inside each real sandbox.
"""

from __future__ import annotations

import tomllib
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from grader import grade
from grader.spec import load_spec
from tests.grader.conftest import require_sandbox

HW1 = Path(__file__).resolve().parents[2] / "assignments" / "hw1"
BUGS = sorted(p.name for p in (HW1 / "bugs").iterdir() if (p / "BUG.toml").is_file())
SEED = 20230911


def _fails(bug: str) -> set[str]:
    return set(tomllib.loads((HW1 / "bugs" / bug / "BUG.toml").read_text())["fails"])


def _summary(report) -> dict:
    """What the tests need from a report, picklable across processes."""
    return {
        "gradable": report.gradable,
        "score": report.score,
        "output": report.output,
        "tests": [(t.name, t.score, t.max_score, t.output) for t in report.tests],
        "metrics": {t.name: dict(t.metrics) for t in report.tests},
    }


def _grade_trusted(folder: str) -> dict:
    seed = {"reference": SEED, "starter": SEED + 3}.get(folder, SEED + 1)
    return _summary(grade(HW1, HW1 / folder, backend="trusted", seed=seed))


def _lost(summary: dict) -> set[str]:
    return {name for name, score, max_score, _ in summary["tests"] if score < max_score}


def _explain(summary: dict) -> str:
    return (
        "\n".join(f"{n}: {s}/{m} {o[:300]}" for n, s, m, o in summary["tests"] if s < m)
        or summary["output"]
    )


@pytest.fixture(scope="module")
def trusted_reports() -> dict[str, dict]:
    folders = ["reference", "starter", *(f"bugs/{b}" for b in BUGS)]
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        return dict(zip(folders, pool.map(_grade_trusted, folders), strict=True))


def test_spec_is_valid_and_bugs_name_real_checks():
    spec = load_spec(HW1)
    assert spec.max_score == 100
    assert len(BUGS) >= 8
    checks = {c.name for c in spec.checks}
    assert {c.visibility for c in spec.checks} >= {"visible", "hidden"}
    for bug in BUGS:
        fails = _fails(bug)
        assert fails and fails <= checks, bug
    for name in ("autoregressive.py", "vae.py", "flows.py"):
        for folder in ("reference", "starter", *(f"bugs/{b}" for b in BUGS)):
            assert (HW1 / folder / name).is_file(), f"{folder}/{name}"


def test_reference_gets_full_marks_trusted(trusted_reports):
    summary = trusted_reports["reference"]
    assert summary["gradable"], summary["output"]
    assert summary["score"] == pytest.approx(100), _explain(summary)
    assert summary["metrics"]["made_heldout_bpd"]["bpd"] < 0.36
    assert summary["metrics"]["vae_heldout_nll"]["neg_elbo_nats"] < 43


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("bwrap", marks=pytest.mark.bwrap),
        pytest.param("docker", marks=pytest.mark.docker),
    ],
)
def test_reference_gets_full_marks_in_sandbox(backend):
    require_sandbox(backend)
    report = grade(HW1, HW1 / "reference", backend=backend, seed=SEED + 2)
    assert report.gradable, report.output
    assert report.score == pytest.approx(100), _explain(_summary(report))


@pytest.mark.parametrize("bug", BUGS)
def test_planted_bug_loses_points_only_on_its_checks(bug, trusted_reports):
    summary = trusted_reports[f"bugs/{bug}"]
    assert summary["gradable"], summary["output"]
    assert _lost(summary) == _fails(bug), _explain(summary)


def test_starter_gets_zero_without_breaking_the_grader(trusted_reports):
    summary = trusted_reports["starter"]
    assert summary["gradable"], summary["output"]
    assert summary["score"] == 0, _explain(summary)
    assert all("NotImplementedError" in output for _, _, _, output in summary["tests"])


def _hw1_module(name: str):
    import importlib.util
    import sys

    key = f"hw1_{name}" if name == "common" else f"hw1_test_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HW1 / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def test_secret_inputs_catch_what_they_are_for():
    import torch

    common = _hw1_module("common")
    for seed in range(300):
        # the sampler's order is never its own inverse: sampling in argsort(order) differs
        order = common.small_order(seed)
        assert not torch.equal(order[order], torch.arange(order.numel())), seed
    inputs = common.vae_inputs(SEED)
    # iwae_bound: the examples lie further apart than exp's range (745 in float64, 104 in float32)
    for key, gap in (("lw64", 745), ("lw32", 104)):
        per_example = inputs[key].double().mean(0)
        assert float(per_example.max() - per_example.min()) > 4 * gap, key
