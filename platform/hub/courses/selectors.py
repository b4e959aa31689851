"""Reads of the courses app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hub.submissions.deadlines import (
    EffectiveDeadline,
    deadline_effective_for,
    deadlines_effective_for,
)

from .models import Assignment, Course, Membership, Session


@dataclass
class Week:
    number: int
    first_day: date
    sessions: list[Session]
    due: list[tuple[Assignment, EffectiveDeadline]]
    is_current: bool


@dataclass
class Deadline:
    assignment: Assignment
    deadline: EffectiveDeadline


def deadlines_for(*, course: Course, membership: Membership) -> list[Deadline]:
    """Every assignment with the deadline that applies to this member (their own, for a student)."""
    assignments = list(Assignment.objects.filter(course=course).select_related("course", "component"))
    if membership.role != Membership.Role.STUDENT:
        return [Deadline(a, deadline_effective_for(student=None, assignment=a)) for a in assignments]
    own = deadlines_effective_for(assignments=assignments, students=[membership.user_id])
    return [Deadline(a, own[(membership.user_id, a.pk)]) for a in assignments]


def upcoming_deadlines(*, course: Course, membership: Membership, now: datetime, limit: int = 3) -> list[Deadline]:
    """Deadlines still open at `now` (on time or in the late window), soonest first."""
    open_ = [
        d for d in deadlines_for(course=course, membership=membership)
        if d.deadline.status_at(now) != "closed"
    ]
    return sorted(open_, key=lambda d: d.deadline.due_at)[:limit]


def schedule_weeks(*, course: Course, membership: Membership, today: date) -> list[Week]:
    zone = course.zone
    sessions = list(Session.objects.filter(course=course).order_by("starts_at"))
    weeks: dict[int, Week] = {}
    for s in sessions:
        local_day = s.starts_at.astimezone(zone).date()
        week = weeks.setdefault(
            s.week,
            Week(s.week, local_day.fromordinal(local_day.toordinal() - local_day.weekday()), [], [], False),
        )
        week.sessions.append(s)
    ordered = sorted(weeks.values(), key=lambda w: w.number)
    for d in deadlines_for(course=course, membership=membership):
        if d.assignment.week in weeks:
            weeks[d.assignment.week].due.append((d.assignment, d.deadline))
    for w in ordered:
        w.is_current = w.first_day <= today < w.first_day.fromordinal(w.first_day.toordinal() + 7)
    return ordered


def late_deadlines(*, course: Course, membership: Membership) -> list[Deadline]:
    """Deadlines that fall outside the weekly table (the final report)."""
    return [d for d in deadlines_for(course=course, membership=membership) if d.assignment.week is None]


@dataclass
class StudentRow:
    assignment: Assignment
    deadline: EffectiveDeadline
    status: str  # on_time | late | correction | closed, at `now`
    time_left: object  # timedelta until the deadline, or None once it passed
    submission: object  # the active submission, or None
    job: object  # its latest grading job, or None
    grade: object  # the released grade, or None


def student_overview(*, course: Course, student, now: datetime) -> list[StudentRow]:
    """One row per assignment for a student's dashboard, in three queries whatever the course."""
    from hub.grading.models import GradingJob
    from hub.submissions.models import Grade, Submission

    assignments = list(Assignment.objects.filter(course=course).select_related("course"))
    active = {
        s.assignment_id: s
        for s in Submission.objects.filter(assignment__course=course, student=student, is_active=True)
    }
    jobs = {}
    for job in GradingJob.objects.filter(submission__in=active.values()).exclude(status="superseded").order_by("queued_at"):
        jobs[job.submission_id] = job
    grades = {
        g.assignment_id: g
        for g in Grade.objects.filter(assignment__course=course, student=student, released_at__lte=now)
    }
    own = deadlines_effective_for(assignments=assignments, students=[student])
    rows = []
    for a in assignments:
        d = own[(student.pk, a.pk)]
        submission = active.get(a.pk)
        rows.append(StudentRow(
            assignment=a,
            deadline=d,
            status=d.status_at(now),
            time_left=(d.due_at - now) if d.due_at > now else None,
            submission=submission,
            job=jobs.get(submission.pk) if submission else None,
            grade=grades.get(a.pk),
        ))
    return rows


def staff_assignment_overview(*, course: Course):
    """Per assignment: active submissions, gradings pending, infrastructure failures, open regrades."""
    from django.db.models import Count, Q

    return (
        Assignment.objects.filter(course=course)
        .annotate(
            active_submissions=Count("submissions", filter=Q(submissions__is_active=True), distinct=True),
            pending_jobs=Count(
                "submissions__grading_jobs",
                filter=Q(submissions__grading_jobs__status__in=["queued", "running"]),
                distinct=True,
            ),
            failed_jobs=Count(
                "submissions__grading_jobs",
                filter=Q(submissions__grading_jobs__status="failed_infrastructure"),
                distinct=True,
            ),
            open_regrades=Count("grades__regrade_requests", filter=Q(grades__regrade_requests__status="open"), distinct=True),
        )
        .order_by("due_at")
    )
