"""HW2 through the real grading engine: the reference gets full marks on every sandbox, each
planted bug loses points exactly on the checks its BUG.toml names, the starter gets zero."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from grader import grade
from grader.spec import load_spec
from tests.grader.conftest import require_sandbox

HW2 = Path(__file__).resolve().parents[2] / "assignments" / "hw2"
BUGS = sorted(p.name for p in (HW2 / "bugs").iterdir() if (p / "BUG.toml").is_file())
SEED = 20231016


@pytest.fixture(autouse=True, scope="module")
def _one_verify_thread():
    """The checks run in this process; on a shared two-core machine one thread is faster than
    two spinning OpenMP threads (the tasks set the same in the sandbox)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _scores(report) -> dict[str, float]:
    return {t.name: t.score / t.max_score if t.max_score else 1.0 for t in report.tests}


def _explain(report) -> str:
    return "\n".join(
        f"{t.name}: {t.score}/{t.max_score} {t.output[:300]}"
        for t in report.tests
        if t.score < t.max_score
    )


def test_spec_declares_tasks_checks_and_the_leaderboard():
    spec = load_spec(HW2)
    assert spec.max_score == 100
    raw = tomllib.loads((HW2 / "spec.toml").read_text())
    assert raw["leaderboard"] == {"metric": "fid", "order": "asc"}
    assert len(BUGS) >= 8
    checks = {c.name for c in spec.checks}
    for bug in BUGS:
        fails = tomllib.loads((HW2 / "bugs" / bug / "BUG.toml").read_text())["fails"]
        assert fails and set(fails) <= checks, bug


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("bwrap", marks=pytest.mark.bwrap),
        pytest.param("docker", marks=pytest.mark.docker),
    ],
)
def test_reference_gets_full_marks(backend):
    require_sandbox(backend)
    report = grade(HW2, HW2 / "reference", backend=backend, seed=SEED)
    assert report.gradable, report.output
    assert report.score == pytest.approx(100), _explain(report)
    samples = next(t for t in report.tests if t.name == "samples")
    assert 0 < samples.metrics["fid"] < 1000


@pytest.mark.parametrize("bug", BUGS)
def test_planted_bug_loses_points_only_on_its_checks(bug):
    expected = set(tomllib.loads((HW2 / "bugs" / bug / "BUG.toml").read_text())["fails"])
    report = grade(HW2, HW2 / "bugs" / bug, backend="trusted", seed=SEED + 1)
    assert report.gradable, report.output
    scores = _scores(report)
    lost = {name for name, s in scores.items() if s < 1.0}
    assert lost == expected, _explain(report)


@pytest.mark.bwrap
def test_a_planted_bug_is_caught_inside_bwrap_too():
    require_sandbox("bwrap")
    report = grade(HW2, HW2 / "bugs" / "ddim_swapped_sqrt", backend="bwrap", seed=SEED + 2)
    lost = {name for name, s in _scores(report).items() if s < 1.0}
    assert lost == {"ddim_step", "ddim_oracle", "samples"}, _explain(report)


def test_starter_gets_zero_without_breaking_the_grader():
    report = grade(HW2, HW2 / "starter", backend="trusted", seed=SEED + 3)
    assert report.gradable, report.output
    assert report.score == 0, _explain(report)
    assert all("NotImplementedError" in t.output or t.score == 0 for t in report.tests)


SQRTM_FRECHET = '''

def frechet_distance(mu1, sigma1, mu2, sigma2):
    """The textbook route (pytorch-fid's): scipy.linalg.sqrtm, real part."""
    import scipy.linalg

    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean.real))
'''


def test_a_valid_alternative_frechet_route_gets_full_marks(tmp_path):
    """The check must accept the common scipy.linalg.sqrtm implementation, not only ours."""
    import shutil

    submission = tmp_path / "sqrtm"
    shutil.copytree(HW2 / "reference", submission, ignore=shutil.ignore_patterns("__pycache__"))
    metrics = submission / "metrics.py"
    metrics.write_text(metrics.read_text() + SQRTM_FRECHET)
    report = grade(HW2, submission, backend="trusted", seed=SEED + 4)
    frechet = next(t for t in report.tests if t.name == "frechet")
    assert frechet.score == frechet.max_score, frechet.output


COPYING_SAMPLER = '''


@torch.no_grad()
def ddim_sample(eps_model, x_T, betas, steps=50):
    """Returns lightly perturbed training images instead of samples."""
    import gzip

    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        raw = f.read()
    images = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(-1, 784)[: x_T.shape[0]]
    x = images.float() / 127.5 - 1
    return (x + 0.01 * torch.randn_like(x)).to(x_T.device)
'''


def test_samples_that_copy_the_training_data_fail_and_say_so(tmp_path):
    import shutil

    submission = tmp_path / "copier"
    shutil.copytree(HW2 / "reference", submission, ignore=shutil.ignore_patterns("__pycache__"))
    diffusion = submission / "diffusion.py"
    diffusion.write_text(diffusion.read_text() + COPYING_SAMPLER)
    report = grade(HW2, submission, backend="trusted", seed=SEED + 5)
    samples = next(t for t in report.tests if t.name == "samples")
    assert samples.score == 0
    assert "copies or near-copies" in samples.output
