import secrets
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q

from . import policy


def _default_time_zone() -> str:
    return settings.COURSE_TIME_ZONE


def _new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class Course(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    code = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    term = models.CharField(max_length=64)
    credit_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    instructor_name = models.CharField(max_length=200, blank=True)
    instructor_email = models.EmailField(blank=True)
    institution = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    meeting_times = models.CharField(max_length=200, blank=True)
    office_hours = models.CharField(max_length=200, blank=True)
    office_location = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default=_default_time_zone)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    late_window = models.DurationField(default=policy.LATE_WINDOW)
    late_penalty = models.DecimalField(max_digits=4, decimal_places=3, default=policy.LATE_PENALTY)
    regrade_window = models.DurationField(default=policy.REGRADE_WINDOW)

    # What the syllabus importer assumed where the text was silent (shown to the instructor).
    import_notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(late_penalty__gte=0) & Q(late_penalty__lte=1),
                name="course_late_penalty_is_a_fraction",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title} ({self.term})"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class GradeComponent(models.Model):
    class Key(models.TextChoices):
        HOMEWORK = "homework", "Homework assignments"
        MIDTERM = "midterm", "Mid-term exam"
        PAPER_DISCUSSION = "paper_discussion", "Paper discussion"
        FINAL_PROJECT = "final_project", "Final project"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="components")
    key = models.CharField(max_length=32, choices=Key.choices)
    label = models.CharField(max_length=100)
    weight = models.DecimalField(max_digits=5, decimal_places=2)  # percent of the total

    class Meta:
        ordering = ["course", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="one_component_per_key"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="component_weight_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.weight}%)"


class Membership(models.Model):
    class Role(models.TextChoices):
        INSTRUCTOR = "instructor", "Instructor"
        TA = "ta", "Teaching assistant"
        STUDENT = "student", "Student"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    # Secret in the URL of the member's iCalendar feed: calendar apps cannot log in.
    calendar_token = models.CharField(max_length=64, unique=True, default=_new_calendar_token)

    class Meta:
        ordering = ["course", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="one_membership_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.course.slug}"

    @property
    def is_staff(self) -> bool:
        return self.role in (self.Role.INSTRUCTOR, self.Role.TA)

    @property
    def is_instructor(self) -> bool:
        return self.role == self.Role.INSTRUCTOR


class Session(models.Model):
    """One meeting slot of the schedule: a lecture, or a no-class day."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", "Lecture"
        GUEST = "guest", "Guest lecture"
        HOLIDAY = "holiday", "No class"
        EXAM = "exam", "Exam"
        DISCUSSION = "discussion", "Paper discussion"
        PRESENTATION = "presentation", "Presentations"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    week = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    topic = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.LECTURE)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "starts_at"], name="one_session_per_slot"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"Week {self.week}: {self.topic}"

    @property
    def no_class(self) -> bool:
        return self.kind == self.Kind.HOLIDAY


class Assignment(models.Model):
    class Kind(models.TextChoices):
        HOMEWORK = "homework", "Homework"
        EXAM = "exam", "Take-home exam"
        REPORT = "report", "Report"
        PRESENTATION = "presentation", "Presentation"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    slug = models.SlugField(max_length=64)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    component = models.ForeignKey(
        GradeComponent, on_delete=models.PROTECT, related_name="assignments", null=True, blank=True
    )
    week = models.PositiveSmallIntegerField(null=True, blank=True)
    opens_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    # True where the schedule gave no hour and the importer chose one (see Course.import_notes).
    due_assumed = models.BooleanField(default=False)
    max_points = models.DecimalField(max_digits=7, decimal_places=2, default=100)
    instructions = models.TextField(blank=True)

    late_allowed = models.BooleanField(default=True)
    # Per-assignment overrides of the course's late policy; null means the course's.
    late_window = models.DurationField(null=True, blank=True)
    late_penalty = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)

    solution_release_at = models.DateTimeField(null=True, blank=True)
    grades_released_at = models.DateTimeField(null=True, blank=True)

    # Folder name under assignments/ whose spec.toml the grader runs; blank: not autograded.
    autograder = models.CharField(max_length=64, blank=True)
    group_work = models.BooleanField(default=False)
    required_files = models.JSONField(default=list, blank=True)
    max_upload_bytes = models.PositiveBigIntegerField(default=50 * 1024 * 1024)

    class Meta:
        ordering = ["due_at", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="assignment_slug_unique_in_course"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_late_window(self):
        return self.late_window if self.late_window is not None else self.course.late_window

    @property
    def effective_late_penalty(self):
        return self.late_penalty if self.late_penalty is not None else self.course.late_penalty
