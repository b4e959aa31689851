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


def grading_job_rerun(*, submission, reason: str = GradingJob.Reason.RERUN, requested_by=None) -> GradingJob | None:
    """Grade a submission again (a TA's rerun, or a regrade request)."""
    if not submission.assignment.autograder:
        return None
    return job_create_for_submission(submission=submission, reason=reason, requested_by=requested_by)
