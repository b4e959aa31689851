"""The one place where a student's effective deadline for an assignment is computed.

Upload checks, late penalties, the calendar feed and the dashboards all call
`deadline_effective_for`; nothing else adds hours to a deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from hub.courses.models import Assignment


@dataclass(frozen=True)
class EffectiveDeadline:
    due_at: datetime  # on time until this instant
    late_until: datetime | None  # accepted late until this instant; None: no late window
    late_penalty: Decimal  # fraction taken off a late submission
    reasons: tuple[str, ...] = field(default=())  # why it differs from the assignment's

    def status_at(self, when: datetime) -> str:
        if when <= self.due_at:
            return "on_time"
        if self.late_until is not None and when <= self.late_until:
            return "late"
        return "closed"


def deadline_effective_for(*, student, assignment: Assignment) -> EffectiveDeadline:
    due_at = assignment.due_at
    late_until = due_at + assignment.effective_late_window if assignment.late_allowed else None
    return EffectiveDeadline(due_at=due_at, late_until=late_until, late_penalty=assignment.effective_late_penalty)
