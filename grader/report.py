"""The Report: Gradescope-compatible ``results.json`` plus the platform's extra keys.

Gradescope's keys: score, max_score, execution_time, output, tests[name, score, max_score,
status, output, visibility]. Ours on top: failure_kind, gradable, backend, sandboxed, tasks,
artifacts, metrics, resources, stdout, stderr, phases.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

FailureKind = Literal["wrong", "crashed", "timeout", "oom", "infrastructure"]
FAILURE_KINDS: tuple[str, ...] = ("wrong", "crashed", "timeout", "oom", "infrastructure")
OUTPUT_CAP = 64 * 1024


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, despite its name

    name: str
    score: float
    max_score: float
    passed: bool
    output: str = ""
    visibility: str = "visible"
    description: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score": round(self.score, 6),
            "max_score": self.max_score,
            "status": "passed" if self.passed else "failed",
            "output": _cap(self.output, 8192),
            "visibility": self.visibility,
            "description": self.description,
        }


@dataclass
class Attachment:
    name: str  # file name in the report folder, e.g. "image_pattern-board.png"
    check: str
    visibility: str
    data: bytes


@dataclass
class Report:
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""
    failure_kind: FailureKind | None = None
    gradable: bool = True
    backend: str = ""
    sandboxed: bool = True
    execution_time: float = 0.0
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    phases: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    max_score_override: float | None = None

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        if self.max_score_override is not None:
            return self.max_score_override
        return sum(t.max_score for t in self.tests)

    def to_results_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 6),
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "output": _cap(self.output, OUTPUT_CAP),
            "tests": [t.to_json() for t in self.tests],
            "failure_kind": self.failure_kind,
            "gradable": self.gradable,
            "backend": self.backend,
            "sandboxed": self.sandboxed,
            "tasks": {name: {k: v for k, v in s.items() if k not in ("stdout", "stderr")}
                      for name, s in self.tasks.items()},
            "artifacts": [{"name": a.name, "check": a.check, "visibility": a.visibility}
                          for a in self.attachments],
            "metrics": {t.name: t.metrics for t in self.tests if t.metrics},
            "resources": self.resources,
            "stdout": _cap(self.stdout, OUTPUT_CAP),
            "stderr": _cap(self.stderr, OUTPUT_CAP),
            "phases": self.phases,
        }

    def for_viewer(self, staff: bool = False, after_due: bool = False, published: bool = False) -> dict[str, Any]:
        """results.json as this viewer may see it (see ``results_for_viewer``)."""
        return results_for_viewer(self.to_results_json(), staff=staff, after_due=after_due, published=published)

    def write(self, folder: Path) -> Path:
        """Write results.json and the attached PNGs into ``folder``; return results.json's path."""
        folder.mkdir(parents=True, exist_ok=True)
        for attachment in self.attachments:
            (folder / attachment.name).write_bytes(attachment.data)
        path = folder / "results.json"
        path.write_text(json.dumps(self.to_results_json(), indent=2))
        return path


def results_for_viewer(results: dict[str, Any], *, staff: bool, after_due: bool, published: bool) -> dict[str, Any]:
    """A stored results.json as this viewer may see it.

    Staff see everything. Students see visible tests, after_due_date tests once the due
    date has passed and after_published tests once grades are published; hidden tests
    never. Until publication the student's score and max_score count only the tests shown,
    so hidden points cannot be inferred; metrics and attachments follow their test.
    """
    results = copy.deepcopy(results)
    if staff:
        return results
    tests = results.get("tests", [])
    shown = {t["name"] for t in tests if _visible(t.get("visibility", "visible"), after_due, published)}
    results["tests"] = [t for t in tests if t["name"] in shown]
    results["hidden_tests"] = len(tests) - len(results["tests"])
    results["metrics"] = {k: v for k, v in results.get("metrics", {}).items() if k in shown}
    results["artifacts"] = [a for a in results.get("artifacts", []) if a.get("check") in shown]
    if not published:
        results["score"] = round(sum(t["score"] for t in results["tests"]), 6)
        results["max_score"] = sum(t["max_score"] for t in results["tests"])
    # The harness's own diagnostics are for staff; the student's prints stay theirs.
    results["tasks"] = {n: {"status": s.get("status"), "message": s.get("message")}
                        for n, s in results.get("tasks", {}).items()}
    return results


def _visible(visibility: str, after_due: bool, published: bool) -> bool:
    return (
        visibility == "visible"
        or (visibility == "after_due_date" and after_due)
        or (visibility == "after_published" and published)
    )


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters cut]"
