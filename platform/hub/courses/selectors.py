"""Reads of the courses app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hub.submissions.deadlines import EffectiveDeadline, deadline_effective_for

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
    assignments = Assignment.objects.filter(course=course).select_related("course", "component")
    student = membership.user if membership.role == Membership.Role.STUDENT else None
    return [Deadline(a, deadline_effective_for(student=student, assignment=a)) for a in assignments]


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
