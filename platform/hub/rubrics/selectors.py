"""Reads of the rubrics app: the rubric of an assignment, one submission's grading state, the
grading queue. Each runs a fixed number of queries whatever the number of submissions or items."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch

from hub.courses.models import Assignment
from hub.submissions.models import Grade, Submission, SubmissionFile

from .models import QuestionNote, RubricApplication, RubricItem, RubricQuestion

MAX_SHORTCUT_ITEMS = 9  # items 1-9 of a question have a number key while grading


def rubric_for(*, assignment: Assignment) -> list[RubricQuestion]:
    """Questions in order, each with its items and, per item, how many submissions have it."""
    items = RubricItem.objects.annotate(applied_count=Count("applications")).order_by("number")
    return list(
        RubricQuestion.objects.filter(assignment=assignment)
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("number")
    )


def question_score(
    *, question: RubricQuestion, applied_points: list[Decimal], adjustment: Decimal
) -> Decimal:
    """Base (0, or full credit when deducting) + applied items + adjustment, within 0..max."""
    raw = Decimal(question.base_points) + sum(applied_points, Decimal(0)) + adjustment
    return min(max(raw, Decimal(0)), question.max_points)


@dataclass
class ItemState:
    item: RubricItem
    applied: bool
    shortcut: str  # the number key, or "" past the ninth item


@dataclass
class QuestionState:
    question: RubricQuestion
    items: list[ItemState]
    note: QuestionNote | None
    score: Decimal

    @property
    def graded(self) -> bool:
        """At least one item applied, or an adjustment or comment written."""
        return any(i.applied for i in self.items) or bool(
            self.note and (self.note.adjustment or self.note.comment)
        )


@dataclass
class GradingState:
    submission: Submission
    questions: list[QuestionState]

    @property
    def total(self) -> Decimal:
        return sum((q.score for q in self.questions), Decimal(0))

    @property
    def max_total(self) -> Decimal:
        return sum((q.question.max_points for q in self.questions), Decimal(0))

    @property
    def complete(self) -> bool:
        return bool(self.questions) and all(q.graded for q in self.questions)

    @property
    def graded_count(self) -> int:
        return sum(q.graded for q in self.questions)


def grading_state_for(
    *, submission: Submission, questions: list[RubricQuestion] | None = None
) -> GradingState:
    if questions is None:
        questions = rubric_for(assignment=submission.assignment)
    applied = set(
        RubricApplication.objects.filter(submission=submission).values_list("item_id", flat=True)
    )
    notes = {n.question_id: n for n in QuestionNote.objects.filter(submission=submission)}
    states = []
    for q in questions:
        items = [
            ItemState(
                item=i, applied=i.id in applied, shortcut=str(n) if n <= MAX_SHORTCUT_ITEMS else ""
            )
            for n, i in enumerate(q.items.all(), start=1)
        ]
        note = notes.get(q.id)
        score = question_score(
            question=q,
            applied_points=[s.item.points for s in items if s.applied],
            adjustment=note.adjustment if note else Decimal(0),
        )
        states.append(QuestionState(question=q, items=items, note=note, score=score))
    return GradingState(submission=submission, questions=states)


@dataclass
class QueueEntry:
    submission: Submission
    graded_questions: int
    grade: Grade | None


def grading_queue_for(*, assignment: Assignment) -> tuple[list[QueueEntry], int]:
    """Active submissions of the assignment (by student login) with how many questions are graded;
    and the number of questions."""
    submissions = list(
        Submission.objects.filter(assignment=assignment, is_active=True)
        .select_related("student")
        .order_by("student__username", "id")
    )
    n_questions = RubricQuestion.objects.filter(assignment=assignment).count()
    ids = [s.id for s in submissions]
    graded: dict[int, set[int]] = {}
    for sid, qid in (
        RubricApplication.objects.filter(submission_id__in=ids)
        .values_list("submission_id", "item__question_id")
        .distinct()
    ):
        graded.setdefault(sid, set()).add(qid)
    for sid, qid in (
        QuestionNote.objects.filter(submission_id__in=ids)
        .exclude(adjustment=0, comment="")
        .values_list("submission_id", "question_id")
    ):
        graded.setdefault(sid, set()).add(qid)
    grades = {g.student_id: g for g in Grade.objects.filter(assignment=assignment)}
    entries = [
        QueueEntry(
            submission=s, graded_questions=len(graded.get(s.id, ())), grade=grades.get(s.student_id)
        )
        for s in submissions
    ]
    return entries, n_questions


def neighbours_in_queue(
    *, entries: list[QueueEntry], submission: Submission
) -> tuple[int | None, int | None]:
    ids = [e.submission.id for e in entries]
    if submission.id not in ids:
        return None, None
    i = ids.index(submission.id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)


def submission_pdf(*, submission: Submission) -> SubmissionFile | None:
    """The PDF to show beside the rubric: the first PDF the student uploaded (by name)."""
    return (
        SubmissionFile.objects.filter(
            submission=submission, kind=SubmissionFile.Kind.FILE, name__iendswith=".pdf"
        )
        .order_by("name")
        .first()
    )


def rubric_feedback_for(*, submission: Submission) -> GradingState:
    """What a student reads with a released grade: per question, the items applied, their
    comments and the score (the same state the grader saw)."""
    return grading_state_for(submission=submission)
