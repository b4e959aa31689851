import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


def _new_seed() -> int:
    # Per-job secret: the inputs the harness feeds the student's code are derived from it.
    return secrets.randbits(62)


class GradingJob(models.Model):
    """The durable record of one grading of one submission. The database is the source of truth:
    Celery messages only wake a worker up, and a worker claims a job with a conditional update."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED_INFRASTRUCTURE = "failed_infrastructure", "Not gradable (infrastructure failure)"
        SUPERSEDED = "superseded", "Superseded by a newer submission"

    class Reason(models.TextChoices):
        SUBMISSION = "submission", "New submission"
        RERUN = "rerun", "Rerun by staff"
        REGRADE = "regrade", "Regrade request"
        DEMO = "demo", "Demonstration"

    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="grading_jobs"
    )
    assignment = models.ForeignKey("courses.Assignment", on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    autograder = models.CharField(max_length=64)
    queue = models.CharField(max_length=16, default="cpu")
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.SUBMISSION)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seed = models.BigIntegerField(default=_new_seed)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    # When a wake-up message was last sent: the sweeper re-sends for jobs whose message was lost.
    signalled_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)  # backoff after an infrastructure fault
    phases = models.JSONField(default=dict, blank=True)  # queued/started/run/verify/done instants
    note = models.TextField(blank=True)  # why staff or a regrade asked for it
    last_error = models.TextField(blank=True)
    gpu_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-queued_at"]
        indexes = [
            models.Index(fields=["status", "queue", "queued_at"], name="job_queue_order"),
            models.Index(fields=["assignment", "student", "status"], name="job_by_student"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="running") | Q(lease_expires_at__isnull=False),
                name="running_job_has_a_lease",
            )
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.get_status_display()}) for submission {self.submission_id}"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class Report(models.Model):
    """The autograder's verdict for one job: at most one, whatever happens to the messages."""

    job = models.OneToOneField(GradingJob, on_delete=models.CASCADE, related_name="report")
    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="reports"
    )
    score = models.FloatField()
    max_score = models.FloatField()
    gradable = models.BooleanField(default=True)
    failure_kind = models.CharField(max_length=32, blank=True)
    results = models.JSONField()  # Gradescope-compatible results.json plus our extra keys
    artifacts_dir = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Report {self.pk}: {self.score:g}/{self.max_score:g}"


class LeaderboardAlias(models.Model):
    """The pseudonym a student chooses to appear under on the course's leaderboards."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    alias = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="one_alias_per_student"),
            models.UniqueConstraint(fields=["course", "alias"], name="aliases_unique_in_course"),
        ]

    def __str__(self) -> str:
        return self.alias


class LeaderboardSetting(models.Model):
    assignment = models.OneToOneField("courses.Assignment", on_delete=models.CASCADE, related_name="leaderboard")
    hidden = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Leaderboard of {self.assignment} ({'hidden' if self.hidden else 'shown'})"
