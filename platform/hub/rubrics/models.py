"""Rubrics for the written and mathematical parts: questions, items with points and comments,
and which items a grader applied to which submission.

A question's score is its base (0 when points are added, full credit when they are deducted)
plus the points of the items applied and a per-submission adjustment, kept between 0 and the
question's maximum. The submission's rubric points, the sum over questions, go to the grade
through `hub.submissions.services.grade_record_rubric` (the grade adds the autograde and applies
the late penalty once, to the total).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class RubricQuestion(models.Model):
    class Scoring(models.TextChoices):
        POSITIVE = "positive", "Add points from 0"
        NEGATIVE = "negative", "Deduct points from full credit"

    assignment = models.ForeignKey(
        "courses.Assignment", on_delete=models.CASCADE, related_name="rubric_questions"
    )
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    max_points = models.DecimalField(max_digits=7, decimal_places=2)
    scoring = models.CharField(max_length=8, choices=Scoring.choices, default=Scoring.POSITIVE)

    class Meta:
        ordering = ["assignment", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "number"], name="rubric_question_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(max_points__gte=0), name="rubric_question_max_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Q{self.number}. {self.title} ({self.max_points} pts)"

    @property
    def base_points(self):
        return self.max_points if self.scoring == self.Scoring.NEGATIVE else 0


class RubricItem(models.Model):
    question = models.ForeignKey(RubricQuestion, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField()  # also its keyboard shortcut (1-9) while grading
    title = models.CharField(max_length=200)
    points = models.DecimalField(max_digits=7, decimal_places=2)  # signed: credit or deduction
    comment = models.TextField(blank=True)  # feedback the student reads with the grade
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "number"], name="rubric_item_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.points:+} pts)"


class RubricApplication(models.Model):
    """One rubric item applied to one submission."""

    item = models.ForeignKey(RubricItem, on_delete=models.PROTECT, related_name="applications")
    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="rubric_applications"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField()

    class Meta:
        ordering = ["item__question__number", "item__number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "submission"], name="rubric_item_applied_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item} on submission {self.submission_id}"


class QuestionNote(models.Model):
    """A grader's adjustment and comment on one question of one submission."""

    question = models.ForeignKey(RubricQuestion, on_delete=models.CASCADE, related_name="notes")
    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="rubric_notes"
    )
    adjustment = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    comment = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "submission"], name="one_note_per_question_and_submission"
            ),
        ]

    def __str__(self) -> str:
        return f"Note on {self.question} for submission {self.submission_id}"
