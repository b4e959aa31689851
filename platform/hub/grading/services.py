"""Writes of the grading app: grading jobs for submissions. (Being built: see grading/models.py.)"""

from __future__ import annotations


def grading_job_enqueue(*, submission) -> None:
    """Create the durable GradingJob row for an autograded submission and queue it on commit.

    Called by `hub.submissions.services` inside its transaction. No-op until the grading models
    exist; the contract (name and keyword) is fixed.
    """
    from django.apps import apps

    if not submission.assignment.autograder:
        return
    try:
        apps.get_model("grading", "GradingJob")
    except LookupError:
        return
    from .jobs import job_create_for_submission

    job_create_for_submission(submission=submission)
