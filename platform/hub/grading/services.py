"""Writes of the grading app, called by other apps."""

from __future__ import annotations

from .jobs import job_create_for_submission
from .models import GradingJob


def grading_job_enqueue(*, submission) -> GradingJob | None:
    """Queue the autograding of a new submission (inside the caller's transaction; the message
    goes on commit). No-op for an assignment without an autograder."""
    if not submission.assignment.autograder:
        return None
    return job_create_for_submission(submission=submission)


def grading_job_rerun(*, submission, reason: str = "", requested_by=None, regrade: bool | None = None) -> GradingJob | None:
    """Grade a submission again: a TA's rerun, or a regrade request. `reason` is free text kept
    on the job; a reason that names a regrade marks the job as one unless `regrade` says."""
    if not submission.assignment.autograder:
        return None
    if regrade is None:
        regrade = "regrade" in reason.lower()
    kind = GradingJob.Reason.REGRADE if regrade else GradingJob.Reason.RERUN
    return job_create_for_submission(submission=submission, reason=kind, requested_by=requested_by, note=reason)
