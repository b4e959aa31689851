"""Rubric grading: items applied to one submission, grades through the submissions app, an item's
edit reaching everyone who has it, the late penalty applied once to the total."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hub.rubrics.models import RubricApplication
from hub.rubrics.selectors import grading_state_for
from hub.rubrics.services import (
    rubric_item_delete,
    rubric_item_toggle,
    rubric_item_update,
    rubric_note_set,
    rubric_question_create,
)
from hub.submissions.models import Grade, GradeChange
from hub.submissions.services import grade_record_autograde

pytestmark = pytest.mark.django_db


def _grade(student, assignment):
    return Grade.objects.filter(student=student, assignment=assignment).first()


def test_rubric_points_reach_the_grade_once_every_question_is_graded(
    student, hw1, ta, rubric, submit_pdf
):
    q1, q2, items = rubric
    submission = submit_pdf(student, hw1)
    assert rubric_item_toggle(item=items["q1_partial"], submission=submission, by=ta) is True
    assert (
        _grade(student, hw1) is None or _grade(student, hw1).rubric_points is None
    )  # Q2 still ungraded
    rubric_item_toggle(item=items["q2_missing"], submission=submission, by=ta)
    state = grading_state_for(submission=submission)
    assert [q.score for q in state.questions] == [Decimal(4), Decimal(2)]  # 0 + 4; 5 − 3
    grade = _grade(student, hw1)
    assert grade.rubric_points == Decimal(6) and grade.total == Decimal(6)
    assert grade.changes.filter(part=GradeChange.Part.RUBRIC, by=ta).exists()


def test_applying_an_item_twice_removes_it(student, hw1, ta, rubric, submit_pdf):
    _, _, items = rubric
    submission = submit_pdf(student, hw1)
    rubric_item_toggle(item=items["q1_full"], submission=submission, by=ta)
    assert rubric_item_toggle(item=items["q1_full"], submission=submission, by=ta) is False
    assert not RubricApplication.objects.filter(submission=submission).exists()


def test_question_scores_stay_between_zero_and_the_maximum(student, hw1, ta, rubric, submit_pdf):
    _, _, items = rubric
    submission = submit_pdf(student, hw1)
    for key in ("q1_full", "q1_partial", "q2_missing"):
        rubric_item_toggle(item=items[key], submission=submission, by=ta)
    assert grading_state_for(submission=submission).questions[0].score == Decimal(10)  # 14 capped
    rubric_item_toggle(item=items["q1_full"], submission=submission, by=ta)
    rubric_item_toggle(item=items["q1_partial"], submission=submission, by=ta)
    rubric_item_toggle(item=items["q1_sign"], submission=submission, by=ta)
    assert grading_state_for(submission=submission).questions[0].score == Decimal(0)  # −2 floored


def test_the_grade_is_autograde_plus_rubric_with_the_late_penalty_applied_once(
    student, hw1, ta, rubric, submit_pdf
):
    _, _, items = rubric
    submission = submit_pdf(student, hw1, late=True)
    assert submission.late_penalty == Decimal("0.25")
    grade_record_autograde(submission=submission, points=80, max_points=85)
    rubric_item_toggle(item=items["q1_full"], submission=submission, by=ta)
    rubric_item_toggle(item=items["q2_ok"], submission=submission, by=ta)
    grade = _grade(student, hw1)
    assert (grade.autograde_points, grade.rubric_points, grade.late_penalty) == (
        80,
        15,
        Decimal("0.25"),
    )
    assert grade.total == Decimal("71.25")  # (80 + 15) × 0.75, not 80 × 0.75 + 15 × 0.75 twice


def test_editing_an_item_rescores_everyone_who_has_it(students, hw1, ta, rubric, submit_pdf):
    _, _, items = rubric
    subs = [submit_pdf(s, hw1) for s in students]
    for sub in subs[:2]:
        rubric_item_toggle(item=items["q1_sign"], submission=sub, by=ta)
        rubric_item_toggle(item=items["q1_full"], submission=sub, by=ta)
        rubric_item_toggle(item=items["q2_ok"], submission=sub, by=ta)
    rubric_item_toggle(item=items["q1_partial"], submission=subs[2], by=ta)
    rubric_item_toggle(item=items["q2_ok"], submission=subs[2], by=ta)
    assert [_grade(s, hw1).total for s in students] == [Decimal(13), Decimal(13), Decimal(9)]

    item, affected = rubric_item_update(
        item=items["q1_sign"], by=ta, title="Sign error", points="-1", comment="Sign"
    )
    assert affected == 2
    assert [_grade(s, hw1).total for s in students] == [Decimal(14), Decimal(14), Decimal(9)]
    change = GradeChange.objects.filter(
        grade__student=students[0], part=GradeChange.Part.RUBRIC
    ).latest("id")
    assert "changed from -2.00 to -1.00" in change.why and change.old_total == Decimal(13)
    assert not GradeChange.objects.filter(
        grade__student=students[2], why__contains="Sign error"
    ).exists()


def test_a_note_adjusts_a_question_and_counts_as_graded(student, hw1, ta, rubric, submit_pdf):
    _, _, items = rubric
    submission = submit_pdf(student, hw1)
    rubric_item_toggle(item=items["q1_partial"], submission=submission, by=ta)
    rubric_note_set(
        question=rubric[1],
        submission=submission,
        by=ta,
        adjustment="-0.5",
        comment="Sloppy notation",
    )
    assert _grade(student, hw1).rubric_points == Decimal("8.5")  # 4 + (5 − 0.5)


def test_questions_cannot_be_worth_more_than_the_assignment(hw1, ta, rubric):
    with pytest.raises(ValidationError):
        rubric_question_create(assignment=hw1, by=ta, title="Too much", max_points=90)


def test_an_applied_item_cannot_be_deleted(student, hw1, ta, rubric, submit_pdf):
    _, _, items = rubric
    rubric_item_toggle(item=items["q1_full"], submission=submit_pdf(student, hw1), by=ta)
    with pytest.raises(ValidationError):
        rubric_item_delete(item=items["q1_full"], by=ta)
    rubric_item_delete(item=items["q1_partial"], by=ta)


def test_a_replaced_submission_is_not_graded(student, hw1, ta, rubric, submit_pdf):
    _, _, items = rubric
    first = submit_pdf(student, hw1)
    submit_pdf(student, hw1, name="answers-v2.pdf")
    with pytest.raises(ValidationError):
        rubric_item_toggle(item=items["q1_full"], submission=first, by=ta)


def test_students_and_other_courses_staff_cannot_grade(
    student, other_student, other_ta, hw1, rubric, submit_pdf
):
    _, _, items = rubric
    submission = submit_pdf(other_student, hw1)
    for user in (student, other_ta):
        with pytest.raises(PermissionDenied):
            rubric_item_toggle(item=items["q1_full"], submission=submission, by=user)


def test_a_group_submission_is_graded_once_for_every_member(
    course, student, other_student, instructor, ta, submit_pdf
):
    from hub.courses.models import Assignment
    from hub.groups.services import group_create, group_member_add, group_set_create
    from hub.rubrics.services import rubric_item_create

    report = Assignment.objects.get(course=course, slug="paper-discussion-report")
    group_set = group_set_create(course=course, kind="paper_discussion", min_size=1, max_size=3)
    group = group_create(
        group_set=group_set, name="Diffusion readers", by=instructor, join=False, as_staff=True
    )
    group_member_add(group=group, student=student, by=instructor)
    group_member_add(group=group, student=other_student, by=instructor)
    submission = submit_pdf(student, report)
    assert submission.group_id == group.pk
    question = rubric_question_create(
        assignment=report, by=ta, title="Summary of the paper", max_points=20
    )
    item = rubric_item_create(question=question, by=ta, title="Clear and complete", points=18)
    rubric_item_toggle(item=item, submission=submission, by=ta)
    totals = {
        g.student.username: g.total
        for g in Grade.objects.filter(assignment=report).select_related("student")
    }
    assert totals == {"alice": Decimal(18), "bob": Decimal(18)}


def test_changing_a_question_rescores_the_submissions_graded_on_it(
    students, hw1, ta, rubric, submit_pdf
):
    from hub.rubrics.services import rubric_question_update

    q1, _, items = rubric
    graded = submit_pdf(students[0], hw1)
    submit_pdf(students[1], hw1)  # submitted, not graded yet
    for key in ("q1_full", "q2_ok"):
        rubric_item_toggle(item=items[key], submission=graded, by=ta)
    assert _grade(students[0], hw1).rubric_points == Decimal(15)
    question, affected = rubric_question_update(
        question=q1, by=ta, title="ELBO", max_points="8", scoring="positive"
    )
    assert affected == 1 and question.title == "ELBO"
    assert _grade(students[0], hw1).rubric_points == Decimal(13)  # 10 capped at the new 8, + 5
    assert _grade(students[1], hw1) is None  # not graded on the question: untouched
    with pytest.raises(ValidationError):
        rubric_question_update(
            question=q1, by=ta, title="ELBO", max_points="99", scoring="positive"
        )
