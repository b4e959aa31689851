"""The homeworks' tolerances and thresholds hold under TF32 numerics, emulated on the CPU.

A GPU worker runs float32 convolutions in TF32 (cuDNN's default) and matrix products too when
a student turns it on. `tests/gpu` checks this on a real GPU; here every float32 product and
convolution of the student's code is fed TF32-rounded operands (`tests/tf32.py`), so the same
property is checked on every CI run: the references keep full marks and planted bugs are
still caught, while the emulation demonstrably changes the numbers.
"""

from __future__ import annotations

import tomllib
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
import torch

from grader import grade
from tests.tf32 import ACTIVE_LINE, TF32Emulation, round_to_tf32, solution_with_tf32

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"
SEED = 4321
BUGS = [
    ("hw1", "made_output_sees_own_input"),
    ("hw1", "made_mask_only_at_init"),
    ("hw2", "ddpm_alpha_for_alphabar"),
    ("hw2", "gp_on_real"),
]


def test_rounding_keeps_ten_mantissa_bits_to_nearest():
    x = torch.tensor([1 + 2**-12, 1 + 2**-11 + 2**-13, -3.3, 1e-30, float("inf"), float("nan")])
    r = round_to_tf32(x)
    assert (r[:4].view(torch.int32) & ((1 << 13) - 1) == 0).all()
    assert r[0] == 1.0 and r[1] == 1 + 2**-10  # nearest: down below half an ulp, up above it
    assert r[2] == pytest.approx(-3.3, rel=2**-11) and r[2] != torch.tensor(-3.3)
    assert r[4] == float("inf") and r[5].isnan()


def test_emulation_blurs_float32_products_only_and_keeps_gradients():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 256, generator=g)
    w = torch.randn(128, 256, generator=g, requires_grad=True)
    exact = x.double() @ w.detach().double().T
    conv = torch.nn.Conv2d(3, 8, 3).double()
    image = torch.randn(2, 3, 16, 16, generator=g, dtype=torch.float64)

    def error(y: torch.Tensor) -> float:
        return float((y.detach().double() - exact).abs().max() / exact.abs().max())

    plain = error(x @ w.T)
    with TF32Emulation() as mode:
        emulated = x @ w.T
        linear = torch.nn.functional.linear(x, w)
        in_float64 = x.double() @ w.double().T
        conv64 = conv(image)
        emulated.sum().backward()
    assert plain < 1e-6 < 1e-4 < error(emulated) < 1e-3  # TF32's relative precision is 2**-11
    assert error(linear) > 1e-4
    assert torch.equal(in_float64, x.double() @ w.double().T)  # float64 is never rounded
    assert torch.equal(conv64, conv(image))
    assert w.grad is not None and torch.allclose(w.grad, round_to_tf32(x).sum(0).expand_as(w))
    assert mode.calls == 4


def _grade(job: tuple[str, str, bool]) -> dict:
    homework, folder, emulate = job
    source = ASSIGNMENTS / homework / folder
    if emulate:
        import tempfile

        source = solution_with_tf32(source, Path(tempfile.mkdtemp()) / "solution", emulate=True)
    results = grade(ASSIGNMENTS / homework, source, backend="trusted", seed=SEED).to_results_json()
    return {
        "score": results["score"],
        "max_score": results["max_score"],
        "lost": {t["name"]: t["output"][:300] for t in results["tests"] if t["score"] < t["max_score"]},
        "metrics": results["metrics"],
        "stderr": results["stderr"],
        "tasks": list(results["tasks"]),
    }


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str, bool], dict]:
    jobs = [(hw, "reference", emulate) for hw in ("hw1", "hw2") for emulate in (True, False)]
    jobs += [(hw, f"bugs/{bug}", True) for hw, bug in BUGS]
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        return dict(zip(jobs, pool.map(_grade, jobs), strict=True))


@pytest.mark.parametrize("homework", ["hw1", "hw2"])
def test_reference_keeps_full_marks_under_tf32(reports, homework):
    emulated = reports[(homework, "reference", True)]
    assert emulated["stderr"].count(ACTIVE_LINE) == len(emulated["tasks"]) > 0, emulated["stderr"][:500]
    assert not emulated["lost"], emulated["lost"]
    assert emulated["score"] == emulated["max_score"] > 0


@pytest.mark.parametrize("homework", ["hw1", "hw2"])
def test_tf32_changes_the_trained_metrics(reports, homework):
    """The control: same seed, same code; only the emulation differs, and the numbers move."""
    plain, emulated = reports[(homework, "reference", False)], reports[(homework, "reference", True)]
    assert plain["score"] == plain["max_score"]
    assert ACTIVE_LINE not in plain["stderr"]
    assert plain["metrics"].keys() == emulated["metrics"].keys()
    assert plain["metrics"] != emulated["metrics"]


@pytest.mark.parametrize("homework, bug", BUGS)
def test_planted_bugs_are_still_caught_under_tf32(reports, homework, bug):
    expected = set(tomllib.loads((ASSIGNMENTS / homework / "bugs" / bug / "BUG.toml").read_text())["fails"])
    assert set(reports[(homework, f"bugs/{bug}", True)]["lost"]) == expected
