from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

# Totals within this many points of each other count as "nearly the same": a threshold between
# them is allowed only after a warning.
DEFAULT_TIE_TOLERANCE = Decimal("0.50")
# How many clusters (letters) the page proposes first.
DEFAULT_CLUSTER_COUNT = 4


class LetterCut(models.Model):
    """The instructor's letter-grade decision for a course: clusters in the totals, thresholds in
    the gaps between them, a letter per cluster. Locked cuts change only after an explicit unlock.

    `thresholds` are ascending decimal strings (a total at or above a threshold is in the cluster
    above it); `letters` has one letter per cluster, the lowest cluster first.
    """

    class Method(models.TextChoices):
        WIDEST_GAPS = "widest_gaps", "The k−1 widest gaps"
        KMEANS = "kmeans", "Optimal 1-D k-means"
        MANUAL = "manual", "Moved by hand"

    course = models.OneToOneField(
        "courses.Course", on_delete=models.CASCADE, related_name="letter_cut"
    )
    k = models.PositiveSmallIntegerField(default=DEFAULT_CLUSTER_COUNT)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.KMEANS)
    thresholds = models.JSONField(default=list, blank=True)
    letters = models.JSONField(default=list, blank=True)
    tie_tolerance = models.DecimalField(
        max_digits=5, decimal_places=2, default=DEFAULT_TIE_TOLERANCE
    )
    # Warnings the instructor saw and accepted when saving these thresholds.
    accepted_warnings = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # At lock time: [{"student_id", "username", "total", "letter"}], what was decided for whom.
    locked_letters = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(k__gte=1) & Q(k__lte=12), name="letter_cut_k_in_range"
            ),
            models.CheckConstraint(
                condition=Q(locked_at__isnull=True) | Q(locked_by__isnull=False),
                name="locked_cut_says_by_whom",
            ),
        ]

    def __str__(self) -> str:
        state = "locked" if self.locked_at else "draft"
        return f"Letter cut of {self.course_id} ({state}, k={self.k})"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def threshold_values(self) -> list[Decimal]:
        return [Decimal(t) for t in self.thresholds]


class LetterCutChange(models.Model):
    """History of the letter-grade decision: every save, lock and unlock, by whom."""

    class Action(models.TextChoices):
        SAVE = "save", "Saved"
        LOCK = "lock", "Locked"
        UNLOCK = "unlock", "Unlocked"

    cut = models.ForeignKey(LetterCut, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=8, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    k = models.PositiveSmallIntegerField()
    thresholds = models.JSONField(default=list)
    letters = models.JSONField(default=list)
    why = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.by} at {self.at:%Y-%m-%d %H:%M}"
