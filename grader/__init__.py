"""The autograding engine: ``grade(assignment, submission, backend=...) -> Report``.

The engine is imported lazily so that ``import grader.harness`` inside a sandbox pulls in
nothing but the harness (no Docker SDK, no verify code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.engine import grade
    from grader.report import Report

__all__ = ["Report", "grade"]


def __getattr__(name: str) -> Any:
    if name == "grade":
        from grader.engine import grade

        return grade
    if name == "Report":
        from grader.report import Report

        return Report
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
