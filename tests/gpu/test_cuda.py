"""On a GPU: the metrics in torch on CUDA, the homeworks graded on CUDA (TF32 on), the GPU
memory cap of a grading job. Skipped where there is no CUDA device; self-contained (no Django),
run with `pytest --noconftest tests/gpu`."""

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.tf32 import solution_with_tf32

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
ROOT = Path(__file__).resolve().parents[2]


def test_metrics_in_torch_on_cuda_match_the_cpu():
    from course_models import metrics

    rng = np.random.default_rng(0)
    a = rng.normal(size=(1000, 512))
    b = rng.normal(loc=0.1, scale=1.1, size=(1000, 512))
    ga, gb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    assert metrics.frechet_distance_from_features(ga, gb) == pytest.approx(
        metrics.frechet_distance_from_features(a, b), rel=1e-6
    )
    mu1, s1 = metrics.feature_statistics(ga)
    mu2, s2 = metrics.feature_statistics(gb)
    assert metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
        metrics.frechet_distance_from_features(a, b), rel=1e-6
    )
    assert metrics.mmd2_unbiased(ga, gb) == pytest.approx(metrics.mmd2_unbiased(a, b), rel=1e-6)
    assert metrics.precision_recall(ga, gb) == pytest.approx(metrics.precision_recall(a, b))


@pytest.mark.parametrize("homework", ["hw1", "hw2"])
def test_reference_gets_full_marks_on_cuda_with_tf32(homework, tmp_path):
    from grader import grade

    solution = solution_with_tf32(ROOT / "assignments" / homework / "reference", tmp_path / "solution", emulate=False)
    report = grade(ROOT / "assignments" / homework, solution, backend="trusted", device="cuda", seed=1234)
    results = report.to_results_json()
    failed = [(t["name"], t["output"][:300]) for t in results["tests"] if t["status"] != "passed"]
    assert not failed, failed
    assert results["score"] == results["max_score"] > 0
    assert results["resources"].get("gpu_peak_memory_bytes"), results["resources"]


BUGS = [("hw1", "made_output_sees_own_input"), ("hw1", "invconv_logdet_missing_hw"),
        ("hw2", "ddim_swapped_sqrt"), ("hw2", "gp_on_real")]


@pytest.mark.parametrize("homework, bug", BUGS)
def test_planted_bugs_are_still_caught_on_cuda(homework, bug, tmp_path):
    import tomllib

    from grader import grade

    folder = ROOT / "assignments" / homework / "bugs" / bug
    expected = set(tomllib.loads((folder / "BUG.toml").read_text())["fails"])
    solution = solution_with_tf32(folder, tmp_path / "solution", emulate=False)
    results = grade(ROOT / "assignments" / homework, solution, backend="trusted", device="cuda", seed=99).to_results_json()
    lost = {t["name"] for t in results["tests"] if t["score"] < t["max_score"]}
    assert lost == expected


def test_a_job_past_its_gpu_memory_share_fails_alone(tmp_path):
    from grader import grade

    assignment = Path(__file__).parent / "fixtures" / "gpumem"
    hog = grade(assignment, assignment / "hog", backend="trusted", device="cuda", gpu_memory_fraction=0.05)
    results = hog.to_results_json()
    assert results["tests"][0]["status"] == "failed"
    assert "memory" in (results["output"] + results["tests"][0]["output"]).lower()
    modest = grade(assignment, assignment / "modest", backend="trusted", device="cuda", gpu_memory_fraction=0.05)
    assert modest.to_results_json()["score"] == 1
    assert modest.to_results_json()["resources"]["gpu_peak_memory_bytes"] >= 1 << 30
