"""Submissions, the deadline adjustments that apply to one student, regrades and grades.

Bytes never live in the database: a `SubmissionFile` names a blob of the content-addressed
store (see `store.py`) by its sha256.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hub.courses.models import Assignment, Course


class Lateness(models.TextChoices):
    ON_TIME = "on_time", "On time"
    LATE = "late", "Late"
    CORRECTION = "correction", "Correction (inside a correction window)"
    CLOSED = "closed", "Closed"


class Submission(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="submissions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions"
    )
    # Set on group-work assignments: the group's latest submission counts for every member.
    group = models.ForeignKey(
        "groups.Group", on_delete=models.PROTECT, related_name="submissions", null=True, blank=True
    )
    # The server's receipt time; for an emailed submission the lateness counts from `emailed_at`.
    created_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64)  # of the manifest: see store.bundle_sha256
    size = models.PositiveBigIntegerField()  # bytes uploaded, archives as uploaded
    is_active = models.BooleanField(default=True)
    lateness = models.CharField(max_length=16, choices=Lateness.choices)
    late_penalty = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal(0))
    sources_statement = models.TextField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions_entered"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    staff_note = models.TextField(blank=True)
    is_correction = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"],
                condition=Q(is_active=True),
                name="one_active_submission_per_student",
            ),
            models.UniqueConstraint(
                fields=["assignment", "group"],
                condition=Q(is_active=True) & Q(group__isnull=False),
                name="one_active_submission_per_group",
            ),
            models.CheckConstraint(
                condition=Q(late_penalty__gte=0) & Q(late_penalty__lte=1),
                name="submission_late_penalty_is_a_fraction",
            ),
            models.CheckConstraint(
                condition=~Q(lateness="closed"), name="submission_never_stored_when_closed"
            ),
            # Someone else entering a submission is only the emailed-work path, and says why.
            models.CheckConstraint(
                condition=Q(submitted_by=F("student"), emailed_at__isnull=True)
                | (Q(emailed_at__isnull=False) & ~Q(staff_note="")),
                name="submission_by_someone_else_is_emailed_with_a_note",
            ),
        ]
        indexes = [models.Index(fields=["assignment", "student", "created_at"])]

    def __str__(self) -> str:
        return f"Submission {self.pk} of {self.assignment} by {self.student}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse(
            "submissions:receipt",
            args=[self.assignment.course.slug, self.assignment.slug, self.pk],
        )

    @property
    def submitted_at(self):
        """The instant the lateness was judged at."""
        return self.emailed_at or self.created_at

    @property
    def is_emailed(self) -> bool:
        return self.emailed_at is not None


class SubmissionFile(models.Model):
    class Kind(models.TextChoices):
        FILE = "file", "File"  # what the grader sees: an uploaded file or an archive member
        ARCHIVE = "archive", "Archive as uploaded"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FILE)
    # A checked relative path ("src/model.py"); only ever joined under a folder we chose.
    name = models.CharField(max_length=255)
    archive = models.CharField(max_length=255, blank=True)  # the archive a member came from
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "kind", "name"], name="submission_file_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.size} B)"


class Extension(models.Model):
    """A new deadline for one student and one assignment, approved by the instructor."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions"
    )
    due_at = models.DateTimeField()
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="extensions_granted"
    )
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["assignment", "student"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="one_extension_per_student_and_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"Extension of {self.assignment} for {self.student} to {self.due_at:%Y-%m-%d %H:%M}Z"


class Accommodation(models.Model):
    """Extra time for one student on every deadline from `effective_on` (not retroactive)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="accommodations")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accommodations"
    )
    effective_on = models.DateField()  # from local midnight of this day, in the course's zone
    # Exactly one rule: a percentage of the assignment's open time, or a number of hours.
    extra_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    extra_hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accommodations_registered"
    )
    registered_at = models.DateTimeField()

    class Meta:
        ordering = ["course", "student", "-effective_on"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(extra_percent__isnull=False) & Q(extra_hours__isnull=True))
                | (Q(extra_percent__isnull=True) & Q(extra_hours__isnull=False)),
                name="accommodation_has_exactly_one_rule",
            ),
            models.CheckConstraint(
                condition=Q(extra_percent__isnull=True) | Q(extra_percent__gt=0),
                name="accommodation_percent_positive",
            ),
            models.CheckConstraint(
                condition=Q(extra_hours__isnull=True) | Q(extra_hours__gt=0),
                name="accommodation_hours_positive",
            ),
            models.UniqueConstraint(
                fields=["course", "student", "effective_on"],
                name="one_accommodation_per_student_and_day",
            ),
        ]

    def __str__(self) -> str:
        rule = (
            f"+{self.extra_percent}%"
            if self.extra_percent is not None
            else f"+{self.extra_hours} h"
        )
        return f"Accommodation {rule} for {self.student} from {self.effective_on}"


class CorrectionWindow(models.Model):
    """Until `until`, one student may correct a submission without a late penalty."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="correction_windows"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="correction_windows"
    )
    until = models.DateTimeField()
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="correction_windows_granted",
    )
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["assignment", "student"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="one_correction_window_per_student"
            ),
            models.CheckConstraint(
                condition=Q(until__gt=F("granted_at")), name="correction_window_ends_after_grant"
            ),
        ]

    def __str__(self) -> str:
        return f"Correction window on {self.assignment} for {self.student}"


class Grade(models.Model):
    """A student's grade on an assignment; the late penalty is applied once, to the total."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grades"
    )
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="grades")
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="grades", null=True, blank=True
    )
    autograde_points = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    autograde_max = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    autograde_report_id = models.CharField(max_length=64, blank=True)
    rubric_points = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    late_penalty = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal(0))
    total = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["assignment", "student"]
        constraints = [
            models.UniqueConstraint(fields=["student", "assignment"], name="one_grade_per_student"),
            models.CheckConstraint(
                condition=Q(late_penalty__gte=0) & Q(late_penalty__lte=1),
                name="grade_late_penalty_is_a_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} — {self.student}: {self.total}"

    @property
    def raw_points(self) -> Decimal | None:
        parts = [p for p in (self.autograde_points, self.rubric_points) if p is not None]
        return sum(parts, Decimal(0)) if parts else None


class GradeChange(models.Model):
    """The history of a grade: who changed which part, when, from what to what, and why."""

    class Part(models.TextChoices):
        AUTOGRADE = "autograde", "Autograder"
        RUBRIC = "rubric", "Manual grading"
        LATE_PENALTY = "late_penalty", "Late penalty"
        SUBMISSION = "submission", "Graded submission"
        RELEASE = "release", "Release"

    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="changes")
    part = models.CharField(max_length=16, choices=Part.choices)
    old_value = models.CharField(max_length=64, blank=True)
    new_value = models.CharField(max_length=64, blank=True)
    old_total = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    new_total = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    # Null: the autograder (a machine) made the change.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="grade_changes",
        null=True,
        blank=True,
    )
    at = models.DateTimeField()
    why = models.TextField()

    class Meta:
        ordering = ["grade", "at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(why=""), name="grade_change_says_why")]

    def __str__(self) -> str:
        return f"{self.grade}: {self.part} {self.old_value} → {self.new_value}"


class RegradeRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DECIDED = "decided", "Decided"

    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="regrade_requests")
    reason = models.TextField()
    # The student was told the whole assignment is regraded and the grade may go down.
    acknowledged_may_lower = models.BooleanField()
    created_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    total_before = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    total_after = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="regrades_decided",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_may_lower=True), name="regrade_acknowledges_it_may_lower"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="regrade_has_a_reason"),
            models.UniqueConstraint(
                fields=["grade"], condition=Q(status="open"), name="one_open_regrade_per_grade"
            ),
            models.CheckConstraint(
                condition=Q(status="open")
                | (Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="decided_regrade_says_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"Regrade of {self.grade} ({self.status})"
