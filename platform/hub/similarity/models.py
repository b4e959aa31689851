from django.conf import settings
from django.db import models


class SimilarityRun(models.Model):
    """One comparison of all active submissions of an assignment (the collaboration policy):
    the ranked pairs are kept, so the page need not recompute them on every visit."""

    assignment = models.ForeignKey(
        "courses.Assignment", on_delete=models.CASCADE, related_name="similarity_runs"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    k_gram = models.PositiveSmallIntegerField()
    window = models.PositiveSmallIntegerField()
    submissions_compared = models.PositiveIntegerField()
    starter_files = models.JSONField(
        default=list, blank=True
    )  # names of the starter files subtracted
    # Most similar first: [{"a", "b" (submission ids), "similarity", "a_share", "b_share", "shared"}]
    pairs = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"Similarity of {self.assignment} at {self.created_at:%Y-%m-%d %H:%M}"
