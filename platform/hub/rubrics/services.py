"""Writes of the rubrics app: build the rubric, apply items to a submission, edit an item for
everyone who has it. Grades change only through `grade_record_rubric` of the submissions app."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from hub.courses.models import Assignment, Membership
from hub.submissions.models import Submission
from hub.submissions.services import grade_record_rubric

from .models import QuestionNote, RubricApplication, RubricItem, RubricQuestion
from .selectors import grading_state_for


def _require_staff(*, assignment: Assignment, user) -> None:
    membership = Membership.objects.filter(course_id=assignment.course_id, user=user).first()
    if membership is None or not membership.is_staff:
        raise PermissionDenied("Only the course's staff grade with rubrics")


def _decimal(value, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(f"{what} must be a number.") from exc
    if not number.is_finite():
        raise ValidationError(f"{what} must be a number.")
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def rubric_question_create(
    *,
    assignment: Assignment,
    by,
    title: str,
    max_points,
    scoring: str = RubricQuestion.Scoring.POSITIVE,
) -> RubricQuestion:
    _require_staff(assignment=assignment, user=by)
    max_points = _decimal(max_points, "The question's points")
    already = RubricQuestion.objects.filter(assignment=assignment).aggregate(
        s=Sum("max_points"), n=Max("number")
    )
    if (already["s"] or 0) + max_points > assignment.max_points:
        raise ValidationError(
            f"The questions would be worth {(already['s'] or 0) + max_points} points; "
            f"{assignment.title} is worth {assignment.max_points}."
        )
    question = RubricQuestion(
        assignment=assignment,
        number=(already["n"] or 0) + 1,
        title=title.strip(),
        max_points=max_points,
        scoring=scoring,
    )
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def rubric_question_update(
    *, question: RubricQuestion, by, title: str, max_points, scoring: str
) -> tuple[RubricQuestion, int]:
    """Change a question; every submission graded on it is rescored (its score is clamped to the
    new maximum, and counts from full credit or from 0 as the scoring now says).

    Returns the question and how many submissions were rescored.
    """
    question = (
        RubricQuestion.objects.select_for_update()
        .select_related("assignment__course")
        .get(pk=question.pk)
    )
    assignment = question.assignment
    _require_staff(assignment=assignment, user=by)
    max_points = _decimal(max_points, "The question's points")
    others = (
        RubricQuestion.objects.filter(assignment=assignment)
        .exclude(pk=question.pk)
        .aggregate(s=Sum("max_points"))["s"]
        or 0
    )
    if others + max_points > assignment.max_points:
        raise ValidationError(
            f"The questions would be worth {others + max_points} points; "
            f"{assignment.title} is worth {assignment.max_points}."
        )
    changed = (max_points, scoring) != (question.max_points, question.scoring)
    old = f"{question.max_points} points, {question.get_scoring_display().lower()}"
    question.title, question.max_points, question.scoring = title.strip(), max_points, scoring
    question.full_clean()
    question.save()
    submission_ids = set(
        RubricApplication.objects.filter(item__question=question).values_list(
            "submission_id", flat=True
        )
    ) | set(QuestionNote.objects.filter(question=question).values_list("submission_id", flat=True))
    if changed:
        why = (
            f"Rubric question {question.number} changed from {old} to {question.max_points} points, "
            f"{question.get_scoring_display().lower()}"
        )
        for submission in Submission.objects.filter(pk__in=submission_ids).select_related(
            "student", "assignment__course", "group"
        ):
            _sync_grade(submission=submission, by=by, why=why)
    return question, len(submission_ids)


@transaction.atomic
def rubric_item_create(
    *, question: RubricQuestion, by, title: str, points, comment: str = ""
) -> RubricItem:
    _require_staff(assignment=question.assignment, user=by)
    number = (question.items.aggregate(n=Max("number"))["n"] or 0) + 1
    item = RubricItem(
        question=question,
        number=number,
        title=title.strip(),
        points=_decimal(points, "The item's points"),
        comment=comment.strip(),
        updated_by=by,
    )
    item.full_clean()
    item.save()
    return item


def _sync_grade(*, submission: Submission, by, why: str) -> bool:
    """Send the submission's rubric points to the grade once every question is graded.

    A group's submission is graded once for the group: the groups app gives every member the
    group's points (plus any member adjustment) through the same `grade_record_rubric`.
    """
    state = grading_state_for(submission=submission)
    if not state.complete:
        return False
    if submission.group_id is not None:
        from hub.groups.services import group_grade_record

        group_grade_record(
            group=submission.group,
            assignment=submission.assignment,
            points=state.total,
            by=by,
            comment=why,
        )
        return True
    grade_record_rubric(
        student=submission.student,
        assignment=submission.assignment,
        points=state.total,
        by=by,
        why=why,
    )
    return True


@transaction.atomic
def rubric_item_update(
    *, item: RubricItem, by, title: str, points, comment: str
) -> tuple[RubricItem, int]:
    """Change an item; every submission that has it is rescored and its grade updated.

    Returns the item and how many submissions it applies to.
    """
    item = (
        RubricItem.objects.select_for_update()
        .select_related("question__assignment__course")
        .get(pk=item.pk)
    )
    _require_staff(assignment=item.question.assignment, user=by)
    old_points, old_title = item.points, item.title
    item.title = title.strip()
    item.points = _decimal(points, "The item's points")
    item.comment = comment.strip()
    item.updated_by = by
    item.full_clean()
    item.save()
    applications = list(
        RubricApplication.objects.filter(item=item).select_related(
            "submission__student", "submission__assignment__course", "submission__group"
        )
    )
    if item.points != old_points:
        why = (
            f"Rubric item “{old_title}” of question {item.question.number} changed from "
            f"{old_points:+} to {item.points:+} points, for everyone who has it"
        )
        for application in applications:
            _sync_grade(submission=application.submission, by=by, why=why)
    return item, len(applications)


@transaction.atomic
def rubric_item_delete(*, item: RubricItem, by) -> None:
    _require_staff(assignment=item.question.assignment, user=by)
    if item.applications.exists():
        raise ValidationError(
            "This item is applied to submissions; remove it from them first, or edit it."
        )
    item.delete()


def _gradable(submission: Submission) -> Submission:
    submission = Submission.objects.select_related("assignment__course", "student", "group").get(
        pk=submission.pk
    )
    if not submission.is_active:
        raise ValidationError("A newer submission replaced this one; grade the active submission.")
    return submission


@transaction.atomic
def rubric_item_toggle(*, item: RubricItem, submission: Submission, by) -> bool:
    """Apply the item to the submission, or remove it if it is applied. Returns True if now applied."""
    submission = _gradable(submission)
    item = RubricItem.objects.select_related("question").get(pk=item.pk)
    if item.question.assignment_id != submission.assignment_id:
        raise ValidationError("This item belongs to another assignment's rubric.")
    _require_staff(assignment=submission.assignment, user=by)
    # Lock the submission row so two graders clicking at once apply items one after the other.
    Submission.objects.select_for_update().filter(pk=submission.pk).first()
    deleted, _ = RubricApplication.objects.filter(item=item, submission=submission).delete()
    if not deleted:
        RubricApplication.objects.create(
            item=item, submission=submission, applied_by=by, applied_at=timezone.now()
        )
    verb = "removed" if deleted else "applied"
    _sync_grade(
        submission=submission,
        by=by,
        why=f"Rubric: “{item.title}” {verb} on question {item.question.number}",
    )
    return not deleted


@transaction.atomic
def rubric_note_set(
    *, question: RubricQuestion, submission: Submission, by, adjustment, comment: str
) -> QuestionNote:
    submission = _gradable(submission)
    if question.assignment_id != submission.assignment_id:
        raise ValidationError("This question belongs to another assignment's rubric.")
    _require_staff(assignment=submission.assignment, user=by)
    note, _ = QuestionNote.objects.select_for_update().get_or_create(
        question=question,
        submission=submission,
        defaults={"updated_by": by, "updated_at": timezone.now()},
    )
    note.adjustment = _decimal(adjustment or 0, "The adjustment")
    note.comment = comment.strip()
    note.updated_by = by
    note.updated_at = timezone.now()
    note.save()
    _sync_grade(
        submission=submission, by=by, why=f"Rubric: adjustment on question {question.number}"
    )
    return note
