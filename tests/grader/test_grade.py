"""grade() end to end on the toy assignment, on every backend."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from grader import grade

from .conftest import TOY, require_sandbox, scores


def test_reference_gets_full_marks_in_the_sandbox(sandbox: str) -> None:
    report = grade(TOY, TOY / "reference", backend=sandbox, seed=7)
    results = report.to_results_json()
    assert results["score"] == results["max_score"] == 5.0, results["output"]
    assert report.failure_kind is None and report.gradable
    assert results["sandboxed"] is True and "UNSANDBOXED" not in results["output"]
    assert {t["status"] for t in results["tests"]} == {"passed"}
    assert [a["name"] for a in results["artifacts"]] == ["image_pattern-board.png"]
    assert results["resources"]["wall_s"] > 0 and results["resources"]["peak_memory_bytes"] > 0
    assert {"started", "run_started", "verify_started", "done", "verify_s"} <= set(results["phases"])


def test_wrong_solution_fails_exactly_its_checks(sandbox: str) -> None:
    report = grade(TOY, TOY / "wrong", backend=sandbox)
    assert scores(report.to_results_json()) == {
        "affine_values": 0.0, "affine_shape": 1.0, "image_pattern": 1.0, "pixel_mean": 0.0,
    }
    assert report.failure_kind == "wrong" and report.gradable


def test_trusted_backend_says_loudly_it_is_unsandboxed(capfd: pytest.CaptureFixture[str]) -> None:
    report = grade(TOY, TOY / "reference", backend="trusted")
    results = report.to_results_json()
    assert results["score"] == 5.0
    assert results["sandboxed"] is False and results["output"].startswith("WARNING: UNSANDBOXED")
    assert "UNSANDBOXED" in capfd.readouterr().err


@pytest.mark.bwrap
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_archives_are_accepted_even_with_a_top_folder(tmp_path: Path, kind: str) -> None:
    require_sandbox("bwrap")
    archive = tmp_path / f"upload.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.write(TOY / "reference" / "solution.py", "hw/solution.py")
    else:
        with tarfile.open(archive, "w:gz") as t:
            t.add(TOY / "reference" / "solution.py", "hw/solution.py")
    report = grade(TOY, archive, backend="bwrap")
    assert report.score == 5.0, report.output


def test_missing_required_file_is_a_zero_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("")
    report = grade(TOY, tmp_path, backend="bwrap")
    assert report.score == 0 and report.gradable and report.failure_kind == "wrong"
    assert "missing required file(s): solution.py" in report.output


def test_a_broken_spec_is_an_infrastructure_failure(tmp_path: Path) -> None:
    shutil.copytree(TOY, tmp_path / "toy")
    (tmp_path / "toy" / "spec.toml").write_text("[assignment]\nslug = 'BAD SLUG'\n")
    report = grade(tmp_path / "toy", TOY / "reference", backend="trusted")
    assert report.gradable is False and report.failure_kind == "infrastructure"
    assert "slug" in report.output


def test_unknown_backend_is_refused_not_replaced() -> None:
    report = grade(TOY, TOY / "reference", backend="chroot")
    assert report.gradable is False and "unknown sandbox backend 'chroot'" in report.output


@pytest.mark.docker
def test_missing_docker_image_is_an_infrastructure_failure() -> None:
    require_sandbox("docker")
    report = grade(TOY, TOY / "reference", backend="docker",
                   backend_options={"image": "grader-cpu:does-not-exist"})
    assert report.gradable is False and "make grader-image" in report.output


def test_a_crashing_check_fails_only_itself(tmp_path: Path) -> None:
    shutil.copytree(TOY, tmp_path / "toy")
    checks = tmp_path / "toy" / "checks.py"
    checks.write_text(checks.read_text().replace(
        'def check_affine_shape(ctx: CheckContext) -> CheckResult:\n',
        'def check_affine_shape(ctx: CheckContext) -> CheckResult:\n    1 / 0\n'))
    report = grade(tmp_path / "toy", TOY / "reference", backend="trusted")
    assert scores(report.to_results_json())["affine_shape"] == 0.0
    assert report.score == 4.0 and report.gradable
    assert "ZeroDivisionError" in next(t.output for t in report.tests if t.name == "affine_shape")


@pytest.mark.bwrap
def test_a_harness_that_cannot_start_is_an_infrastructure_failure() -> None:
    require_sandbox("bwrap")
    report = grade(TOY, TOY / "reference", backend="bwrap", backend_options={"python": "/usr/bin/python3"})
    assert report.gradable is False and report.failure_kind == "infrastructure"
    assert "harness did not start" in report.output


def test_finished_tasks_keep_their_points_when_the_run_spends_its_budget(
    sandbox: str, tmp_path: Path, make_submission
) -> None:
    """wall_seconds bounds the whole RUN; the harness stops in time to hand back what is done."""
    shutil.copytree(TOY, tmp_path / "toy")
    spec = tmp_path / "toy" / "spec.toml"
    spec.write_text(spec.read_text().replace("wall_seconds = 30", "wall_seconds = 9"))
    submission = make_submission("""
        def checkerboard(n):
            import time
            time.sleep(60)

        def pixel_mean(images):
            import time
            time.sleep(60)
    """)
    report = grade(tmp_path / "toy", submission, backend=sandbox)
    results = report.to_results_json()
    assert scores(results) == {"affine_values": 2.0, "affine_shape": 1.0, "image_pattern": 0.0, "pixel_mean": 0.0}
    assert results["tasks"]["image"]["status"] == "timeout"
    assert results["tasks"]["stats"]["status"] in ("timeout", "not_run")
    assert "time budget" in results["output"]
    assert results["resources"]["wall_s"] < 9 + 5
