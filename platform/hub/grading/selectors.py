"""Reads of the grading app."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from grader.report import results_for_viewer
from hub.courses.access import access_course
from hub.submissions.deadlines import deadline_effective_for

from .models import GradingJob, Report


def access_submission_in_course(user, course_slug: str, submission_id: int):
    """The submission if `user` may see it (its student or the course's staff, as the
    submissions app decides), reached through the course in the URL: (course, membership, submission)."""
    from hub.submissions.access import access_submission_by_id

    course, _ = access_course(user, course_slug)
    submission, membership = access_submission_by_id(user, submission_id)
    if submission.assignment.course_id != course.pk:
        raise Http404("No such submission")
    return course, membership, submission


def latest_job(*, submission) -> GradingJob | None:
    return GradingJob.objects.filter(submission=submission).exclude(status=GradingJob.Status.SUPERSEDED).order_by("-queued_at").first()


def latest_report(*, submission) -> Report | None:
    return Report.objects.filter(submission=submission).order_by("-created_at").first()


def report_before(*, report: Report) -> Report | None:
    """The report this one replaced (a rerun or a regrade), to show them side by side."""
    return (
        Report.objects.filter(submission=report.submission, created_at__lt=report.created_at)
        .order_by("-created_at")
        .first()
    )


def report_changes(*, old: dict, new: dict) -> list[dict]:
    """Per check: the score before and after, and whether it changed."""
    before = {t["name"]: t for t in old.get("tests", [])}
    after = {t["name"]: t for t in new.get("tests", [])}
    rows = []
    for name in list(after) + [n for n in before if n not in after]:
        o, n = before.get(name, {}), after.get(name, {})
        rows.append({
            "name": name,
            "old": o.get("score"),
            "new": n.get("score"),
            "max": n.get("max_score", o.get("max_score")),
            "changed": o.get("score") != n.get("score") or o.get("status") != n.get("status"),
        })
    return rows


def report_view_for(*, report: Report, membership, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    submission = report.submission
    assignment = submission.assignment
    deadline = deadline_effective_for(student=submission.student, assignment=assignment)
    published = bool(assignment.grades_released_at and assignment.grades_released_at <= now)
    return results_for_viewer(
        report.results,
        staff=membership.is_staff,
        after_due=now > deadline.due_at,
        published=published,
    )


def require_staff(membership) -> None:
    if not membership.is_staff:
        raise PermissionDenied("Only the course's staff may do this")
