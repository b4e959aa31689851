"""The one place where a student's effective deadline for an assignment is computed.

Upload checks, late penalties, the calendar feed and the dashboards all call
`deadline_effective_for`; nothing else adds hours to a deadline.

The rules, in order:
1. the assignment's deadline;
2. an accommodation of the student whose effective date is on or before that deadline (local
   midnight in the course's zone) adds a percentage of the open time or a number of hours —
   accommodations are not retroactive;
3. an extension approved by the instructor sets a new deadline; where both apply the later
   instant counts, so neither takes away what the other gives;
4. the late window (course or assignment setting) counts from the resulting deadline, unless
   the assignment turns late submission off;
5. a correction window lets the student submit without penalty until its end;
6. after the solution release nothing is accepted, whatever the windows say.
All arithmetic is on instants (UTC): "24 hours late" is 24 real hours across a time change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from hub.courses.models import Assignment

# The values of Submission.lateness (models.Lateness has the same values, with labels).
ON_TIME, LATE, CORRECTION, CLOSED = "on_time", "late", "correction", "closed"


@dataclass(frozen=True)
class EffectiveDeadline:
    due_at: datetime  # on time until this instant
    late_until: datetime | None  # accepted late until this instant; None: no late window
    late_penalty: Decimal  # fraction taken off a late submission
    reasons: tuple[str, ...] = field(default=())  # why it differs from the assignment's
    correction_until: datetime | None = None  # accepted without penalty until this instant
    closes_at: datetime | None = None  # the solution release: nothing accepted after it
    assignment_due_at: datetime | None = None  # the deadline before any adjustment

    def status_at(self, when: datetime) -> str:
        if self.closes_at is not None and when > self.closes_at:
            return CLOSED
        if when <= self.due_at:
            return ON_TIME
        if self.correction_until is not None and when <= self.correction_until:
            return CORRECTION
        if self.late_until is not None and when <= self.late_until:
            return LATE
        return CLOSED

    def penalty_at(self, when: datetime) -> Decimal:
        return self.late_penalty if self.status_at(when) == LATE else Decimal(0)

    @property
    def accepted_until(self) -> datetime:
        """The last instant anything is accepted."""
        last = max(
            x for x in (self.due_at, self.late_until, self.correction_until) if x is not None
        )
        return min(last, self.closes_at) if self.closes_at is not None else last


def _accommodated_due(*, student, assignment: Assignment, reasons: list[str]) -> datetime:
    from .models import Accommodation

    due_at = assignment.due_at
    zone = assignment.course.zone
    due_local_day = due_at.astimezone(zone).date()
    candidates = Accommodation.objects.filter(
        course_id=assignment.course_id, student=student, effective_on__lte=due_local_day
    ).order_by("-effective_on", "-id")
    for acc in candidates:
        starts = datetime.combine(acc.effective_on, time.min, tzinfo=zone)
        if starts > due_at:  # same local day, but the deadline came before midnight's start
            continue
        if acc.extra_hours is not None:
            extra = timedelta(hours=float(acc.extra_hours))
            reasons.append(f"Accommodation: {acc.extra_hours.normalize():f} extra hours.")
            return due_at + extra
        if assignment.opens_at is None or assignment.opens_at >= due_at:
            reasons.append(
                f"Accommodation of +{acc.extra_percent}% of the open time not applied: the "
                "assignment has no opening time. The instructor can set one or grant an extension."
            )
            return due_at
        extra = (due_at - assignment.opens_at) * acc.extra_percent / 100
        reasons.append(
            f"Accommodation: {acc.extra_percent}% more time than the assignment's open time."
        )
        return due_at + extra
    return due_at


def deadline_effective_for(*, student, assignment: Assignment) -> EffectiveDeadline:
    """The deadline that applies to `student` (None: the assignment's own, for staff views)."""
    from .models import CorrectionWindow, Extension

    reasons: list[str] = []
    due_at = assignment.due_at
    correction_until = None
    if student is not None:
        due_at = _accommodated_due(student=student, assignment=assignment, reasons=reasons)
        extension = Extension.objects.filter(assignment=assignment, student=student).first()
        if extension is not None:
            if extension.due_at > due_at:
                due_at = extension.due_at
                reasons.append(f"Extension approved by the instructor: {extension.reason}")
            else:
                reasons.append("An extension was approved, but the accommodated deadline is later.")
        window = CorrectionWindow.objects.filter(assignment=assignment, student=student).first()
        if window is not None:
            correction_until = window.until
            reasons.append(f"Correction window: {window.reason}")
    late_until = due_at + assignment.effective_late_window if assignment.late_allowed else None
    return EffectiveDeadline(
        due_at=due_at,
        late_until=late_until,
        late_penalty=assignment.effective_late_penalty,
        reasons=tuple(reasons),
        correction_until=correction_until,
        closes_at=assignment.solution_release_at,
        assignment_due_at=assignment.due_at,
    )
