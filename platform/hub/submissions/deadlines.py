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


@dataclass(frozen=True)
class Adjustments:
    """One student's rows that can move a deadline (fetched by the callers below)."""

    accommodations: tuple = ()  # the student's, newest effective date first
    extension: object | None = None  # Extension for this assignment
    window: object | None = None  # CorrectionWindow for this assignment


def _accommodated_due(*, assignment: Assignment, accommodations, reasons: list[str]) -> datetime:
    due_at = assignment.due_at
    zone = assignment.course.zone
    for acc in accommodations:
        starts = datetime.combine(acc.effective_on, time.min, tzinfo=zone)
        if starts > due_at:  # registered after this deadline: not retroactive
            continue
        if acc.extra_hours is not None:
            reasons.append(f"Accommodation: {acc.extra_hours.normalize():f} extra hours.")
            return due_at + timedelta(hours=float(acc.extra_hours))
        if assignment.opens_at is None or assignment.opens_at >= due_at:
            reasons.append(
                f"Accommodation of +{acc.extra_percent}% of the open time not applied: the "
                "assignment has no opening time. The instructor can set one or grant an extension."
            )
            return due_at
        reasons.append(
            f"Accommodation: {acc.extra_percent}% more time than the assignment's open time."
        )
        return due_at + (due_at - assignment.opens_at) * acc.extra_percent / 100
    return due_at


def deadline_compute(
    *, assignment: Assignment, adjustments: Adjustments | None
) -> EffectiveDeadline:
    """The computation itself, on rows already fetched; the two functions below only fetch."""
    reasons: list[str] = []
    due_at = assignment.due_at
    correction_until = None
    if adjustments is not None:
        due_at = _accommodated_due(
            assignment=assignment, accommodations=adjustments.accommodations, reasons=reasons
        )
        extension = adjustments.extension
        if extension is not None:
            if extension.due_at > due_at:
                due_at = extension.due_at
                reasons.append(f"Extension approved by the instructor: {extension.reason}")
            else:
                reasons.append("An extension was approved, but the accommodated deadline is later.")
        if adjustments.window is not None:
            correction_until = adjustments.window.until
            reasons.append(f"Correction window: {adjustments.window.reason}")
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


def deadline_effective_for(*, student, assignment: Assignment) -> EffectiveDeadline:
    """The deadline that applies to `student` (None: the assignment's own, for staff views)."""
    from .models import Accommodation, CorrectionWindow, Extension

    if student is None:
        return deadline_compute(assignment=assignment, adjustments=None)
    adjustments = Adjustments(
        accommodations=tuple(
            Accommodation.objects.filter(course_id=assignment.course_id, student=student).order_by(
                "-effective_on", "-id"
            )
        ),
        extension=Extension.objects.filter(assignment=assignment, student=student).first(),
        window=CorrectionWindow.objects.filter(assignment=assignment, student=student).first(),
    )
    return deadline_compute(assignment=assignment, adjustments=adjustments)


def deadlines_effective_for(*, assignments, students) -> dict[tuple[int, int], EffectiveDeadline]:
    """{(student_id, assignment_id): deadline} for many at once, in three queries whatever the
    size of the class (gradebooks, staff tables). The same computation as `deadline_effective_for`.
    """
    from .models import Accommodation, CorrectionWindow, Extension

    assignments = list(assignments)
    student_ids = [getattr(s, "pk", s) for s in students]
    assignment_ids = [a.pk for a in assignments]
    course_ids = {a.course_id for a in assignments}
    accommodations: dict[tuple[int, int], list] = {}
    for acc in Accommodation.objects.filter(
        course_id__in=course_ids, student_id__in=student_ids
    ).order_by("-effective_on", "-id"):
        accommodations.setdefault((acc.course_id, acc.student_id), []).append(acc)
    extensions = {
        (e.student_id, e.assignment_id): e
        for e in Extension.objects.filter(
            assignment_id__in=assignment_ids, student_id__in=student_ids
        )
    }
    windows = {
        (w.student_id, w.assignment_id): w
        for w in CorrectionWindow.objects.filter(
            assignment_id__in=assignment_ids, student_id__in=student_ids
        )
    }
    out = {}
    for sid in student_ids:
        for a in assignments:
            adjustments = Adjustments(
                accommodations=tuple(accommodations.get((a.course_id, sid), ())),
                extension=extensions.get((sid, a.pk)),
                window=windows.get((sid, a.pk)),
            )
            out[(sid, a.pk)] = deadline_compute(assignment=a, adjustments=adjustments)
    return out
