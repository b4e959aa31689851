"""Run each check of checks.py against the artifacts; every failure becomes data."""

from __future__ import annotations

import importlib.util
import math
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from grader.report import TestResult
from grader.spec import CheckSpec, Spec
from grader.verify.artifacts import ArtifactRejected, CheckFailed
from grader.verify.context import CheckContext, CheckResult, TaskStatus


@dataclass
class Verified:
    tests: list[TestResult] = field(default_factory=list)
    attachments: list[tuple[CheckSpec, str, Path]] = field(default_factory=list)


def run_checks(spec: Spec, *, out_root: Path, seed: int, device: str,
               statuses: dict[str, TaskStatus], rejected: dict[str, str] | None = None) -> Verified:
    verified = Verified()
    with _assignment_modules(spec.path) as load:
        try:
            checks = load("checks")
        except Exception as exc:  # noqa: BLE001 - a broken checks.py is staff's bug, reported as such
            raise RuntimeError(f"{spec.path}/checks.py failed to import: {exc}") from exc
        for check in spec.checks:
            test, attached = _run_one(check, checks, spec, out_root, seed, device, statuses, rejected or {})
            verified.tests.append(test)
            verified.attachments += [(check, name, path) for name, path in attached]
    return verified


def _run_one(check: CheckSpec, checks: ModuleType, spec: Spec, out_root: Path, seed: int, device: str,
             statuses: dict[str, TaskStatus], rejected: dict[str, str]) -> tuple[TestResult, list[tuple[str, Path]]]:
    test = TestResult(name=check.name, score=0.0, max_score=check.points, passed=False,
                      visibility=check.visibility, description=check.description)
    status = statuses.get(check.task, TaskStatus("not_run", f"task {check.task!r} did not run"))
    if not status.ok:
        test.output = f"Not checked: {status.message}"
        return test, []
    ctx = CheckContext(check=check.name, task=check.task, seed=seed, device=device, out_root=out_root,
                       statuses=statuses, rejected=rejected)
    try:
        result = getattr(checks, check.function)(ctx)
        if not isinstance(result, CheckResult):
            raise TypeError(f"{check.function} returned {type(result).__name__}, not CheckResult")
        fraction, test.output, test.metrics = result.score, result.output, dict(result.metrics)
    except ArtifactRejected as exc:
        fraction, test.output = 0.0, f"Rejected artifact: {exc.message}"
    except CheckFailed as exc:
        fraction, test.output = exc.score, exc.message
    except Exception as exc:  # noqa: BLE001 - a check's exception is the check's failure
        last = traceback.extract_tb(exc.__traceback__)[-1]
        fraction = 0.0
        test.output = (f"The check could not judge the artifacts: {type(exc).__name__}: {exc} "
                       f"({Path(last.filename).name}:{last.lineno})")
    fraction = fraction if isinstance(fraction, int | float) and math.isfinite(fraction) else 0.0
    fraction = min(1.0, max(0.0, float(fraction)))
    test.score = fraction * check.points
    test.passed = fraction >= 1.0
    return test, ctx.attached


@contextmanager
def _assignment_modules(folder: Path) -> Iterator[Callable[[str], ModuleType]]:
    """Import the assignment's modules (checks, common) fresh, then forget them.

    Every assignment has its own ``common``; a worker grades many assignments in one process,
    so a cached ``common`` from another one must never be reused.
    """
    local_names = {p.stem for p in folder.glob("*.py")}
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name in local_names}
    sys.path.insert(0, str(folder))

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    try:
        yield load
    finally:
        sys.path.remove(str(folder))
        for name in local_names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
