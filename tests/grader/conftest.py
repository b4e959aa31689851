"""Fixtures for the grader's tests: the toy assignment, submissions, and the sandboxes.

Sandbox tests run on the real thing (bubblewrap, the Docker engine and the grader image).
Where one is missing they are skipped on a laptop, but FAIL when CI=true: CI must prove them.
"""

from __future__ import annotations

import functools
import os
import shutil
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TOY = FIXTURES / "toy"
SANDBOXES = ("docker", "bwrap")


@functools.cache
def sandbox_problem(name: str) -> str | None:
    """Why the ``name`` sandbox cannot run here, or None when it can."""
    from grader.sandbox import SandboxUnavailable

    if name == "bwrap":
        return None if shutil.which("bwrap") else "bubblewrap (bwrap) is not installed"
    from grader.sandbox.docker import connect, default_image, ensure_image

    try:
        ensure_image(connect(), default_image())
    except SandboxUnavailable as exc:
        return str(exc)
    return None


def require_sandbox(name: str) -> None:
    problem = sandbox_problem(name)
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the {name} sandbox must run in CI: {problem}")
    pytest.skip(f"{name} sandbox unavailable here: {problem}")


@pytest.fixture(params=[pytest.param(n, marks=getattr(pytest.mark, n)) for n in SANDBOXES])
def sandbox(request: pytest.FixtureRequest) -> str:
    """Each sandboxing backend in turn (docker, bwrap)."""
    require_sandbox(request.param)
    return str(request.param)


@pytest.fixture
def toy() -> Path:
    return TOY


@pytest.fixture
def make_submission(tmp_path: Path) -> Callable[..., Path]:
    """A submission folder: the reference solution with some functions redefined.

    ``make_submission(code)`` appends ``code`` (dedented) to the reference solution.py, so a
    case only writes the function it subverts; the others stay correct.
    """

    def make(code: str = "", *, name: str | None = None) -> Path:
        folder = tmp_path / (name or f"submission-{uuid.uuid4().hex[:8]}")
        folder.mkdir()
        source = (TOY / "reference" / "solution.py").read_text()
        (folder / "solution.py").write_text(source + "\n\n" + textwrap.dedent(code))
        return folder

    return make


def scores(results: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in results["tests"]}


def outputs(results: dict) -> dict[str, str]:
    return {t["name"]: t["output"] for t in results["tests"]}
