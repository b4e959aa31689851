"""VERIFY: the trusted phase. Reads artifacts as data, runs the assignment's checks."""

from grader.verify.artifacts import ArtifactMissing, ArtifactRejected, CheckFailed
from grader.verify.context import CheckContext, CheckResult, TaskStatus
from grader.verify.runner import run_checks

__all__ = [
    "ArtifactMissing",
    "ArtifactRejected",
    "CheckContext",
    "CheckFailed",
    "CheckResult",
    "TaskStatus",
    "run_checks",
]
