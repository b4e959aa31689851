"""Point 11 and 15: grades with a history, release, regrades within the window (may go down)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from hub.submissions.models import GradeChange, RegradeRequest
from hub.submissions.selectors import grade_history, grade_visible_to, regrades_open
from hub.submissions.services import (
    REGRADE_WARNING,
    grade_record_autograde,
    grade_record_rubric,
    grade_release,
    regrade_decide,
    regrade_request_create,
    submission_create,
)

from .conftest import py, uploads, utc

pytestmark = pytest.mark.django_db

HW1_DUE = utc(2023, 9, 23, 3, 59)
RELEASED = utc(2023, 10, 2, 16, 0)


def submit(assignment, student, now):
    return submission_create(
        assignment=assignment,
        student=student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        now=now,
    )


@pytest.fixture
def graded(hw1, student, ta, instructor):
    sub = submit(hw1, student, HW1_DUE - timedelta(hours=1))
    grade_record_autograde(
        submission=sub, points=40, max_points=50, report_id=7, now=RELEASED - timedelta(days=3)
    )
    grade_record_rubric(
        student=student,
        assignment=hw1,
        points=30,
        by=ta,
        why="rubric pass 1",
        now=RELEASED - timedelta(days=1),
    )
    grade_release(assignment=hw1, by=instructor, now=RELEASED)
    return grade_visible_to(student=student, assignment=hw1)


def test_total_is_autograde_plus_rubric_times_one_minus_penalty(hw1, student, ta):
    sub = submit(hw1, student, HW1_DUE + timedelta(hours=1))  # late: 25 %
    grade = grade_record_autograde(submission=sub, points=Decimal("40"), max_points=50)
    assert grade.total == Decimal("30.000")
    grade = grade_record_rubric(student=student, assignment=hw1, points=20, by=ta, why="rubric")
    assert grade.total == Decimal("45.000")  # (40 + 20) × 0.75, the penalty once
    assert grade.submission == sub and grade.late_penalty == Decimal("0.25")


def test_every_change_keeps_who_when_old_new_and_why(graded, ta):
    history = list(grade_history(grade=graded))
    rubric = [c for c in history if c.part == GradeChange.Part.RUBRIC]
    assert len(rubric) == 1
    change = rubric[0]
    assert (change.by, change.old_value, change.new_value, change.why) == (
        ta,
        "",
        "30.000",
        "rubric pass 1",
    )
    assert (change.old_total, change.new_total) == (Decimal("40.000"), Decimal("70.000"))
    assert change.at == RELEASED - timedelta(days=1)
    autograde = [c for c in history if c.part == GradeChange.Part.AUTOGRADE]
    assert autograde[0].by is None and autograde[0].new_value == "40.000"
    assert history[-1].part == GradeChange.Part.RELEASE


def test_a_grade_is_hidden_until_released(hw1, student, ta):
    grade_record_rubric(student=student, assignment=hw1, points=30, by=ta, why="rubric")
    assert grade_visible_to(student=student, assignment=hw1) is None


def test_students_cannot_grade(hw1, student, other_student):
    with pytest.raises(PermissionDenied):
        grade_record_rubric(student=student, assignment=hw1, points=100, by=other_student, why="me")


def test_autograde_of_a_replaced_submission_is_ignored(hw1, student):
    old = submit(hw1, student, HW1_DUE - timedelta(hours=2))
    submit(hw1, student, HW1_DUE - timedelta(hours=1))
    assert grade_record_autograde(submission=old, points=50, max_points=50) is None


def test_grade_release_emails_each_student(
    hw1, student, ta, instructor, django_capture_on_commit_callbacks
):
    grade_record_rubric(student=student, assignment=hw1, points=30, by=ta, why="rubric")
    with django_capture_on_commit_callbacks(execute=True):
        assert grade_release(assignment=hw1, by=instructor, now=RELEASED) == 1
    assert [m.to for m in mail.outbox] == [[student.email]]
    assert "Grade released: HW 1" in mail.outbox[0].subject
    # 14 days after Mon 2 Oct, 12:00 pm EDT.
    assert "regrade until Mon 16 Oct 2023, 12:00 PM EDT" in mail.outbox[0].body
    hw1.refresh_from_db()
    assert hw1.grades_released_at == RELEASED


def test_regrade_within_the_window(graded, student, hw1):
    last_day = RELEASED + hw1.course.regrade_window
    regrade = regrade_request_create(
        student=student,
        assignment=hw1,
        reason="Q3 was graded against the wrong key",
        acknowledged_may_lower=True,
        now=last_day,
    )
    assert regrade.status == RegradeRequest.Status.OPEN
    assert regrade.total_before == Decimal("70.000")
    assert list(regrades_open(assignment=hw1)) == [regrade]


def test_regrade_one_second_after_the_window_is_refused(graded, student, hw1):
    with pytest.raises(ValidationError) as err:
        regrade_request_create(
            student=student,
            assignment=hw1,
            reason="late",
            acknowledged_may_lower=True,
            now=RELEASED + hw1.course.regrade_window + timedelta(seconds=1),
        )
    assert err.value.code == "regrade_window_passed"
    assert "until Mon 16 Oct 2023, 12:00 PM EDT" in err.value.messages[0]


def test_the_student_is_told_the_grade_may_go_down_before_confirming(graded, student, hw1):
    assert "may be higher or lower" in REGRADE_WARNING
    with pytest.raises(ValidationError) as err:
        regrade_request_create(
            student=student,
            assignment=hw1,
            reason="Q3",
            acknowledged_may_lower=False,
            now=RELEASED + timedelta(days=1),
        )
    assert err.value.code == "not_acknowledged"
    assert "lower" in err.value.messages[0]
    assert not RegradeRequest.objects.exists()


def test_regrade_needs_a_reason(graded, student, hw1):
    with pytest.raises(ValidationError):
        regrade_request_create(
            student=student,
            assignment=hw1,
            reason=" ",
            acknowledged_may_lower=True,
            now=RELEASED + timedelta(days=1),
        )


def test_no_regrade_of_an_unreleased_grade(hw1, student, ta):
    grade_record_rubric(student=student, assignment=hw1, points=30, by=ta, why="rubric")
    with pytest.raises(ValidationError):
        regrade_request_create(
            student=student, assignment=hw1, reason="x", acknowledged_may_lower=True
        )


def test_regrade_may_lower_the_grade_and_the_student_is_told(
    graded, student, ta, hw1, django_capture_on_commit_callbacks
):
    regrade = regrade_request_create(
        student=student,
        assignment=hw1,
        reason="Q3",
        acknowledged_may_lower=True,
        now=RELEASED + timedelta(days=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        decided = regrade_decide(
            regrade=regrade,
            by=ta,
            rubric_points=22,
            decision="Q3 fine, but Q5 had been over-credited",
            now=RELEASED + timedelta(days=3),
        )
    assert (decided.total_before, decided.total_after) == (Decimal("70.000"), Decimal("62.000"))
    change = grade_history(grade=graded).filter(part=GradeChange.Part.RUBRIC).last()
    assert (change.old_value, change.new_value, change.by) == ("30.000", "22.000", ta)
    assert change.why.startswith(f"Regrade {regrade.pk}:")
    assert [m.to for m in mail.outbox] == [[student.email]]
    assert (
        "Total before: 70.000" in mail.outbox[0].body and "Total now: 62.000" in mail.outbox[0].body
    )


def test_one_open_regrade_at_a_time(graded, student, hw1):
    regrade_request_create(
        student=student,
        assignment=hw1,
        reason="Q3",
        acknowledged_may_lower=True,
        now=RELEASED + timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        regrade_request_create(
            student=student,
            assignment=hw1,
            reason="Q4",
            acknowledged_may_lower=True,
            now=RELEASED + timedelta(days=1),
        )


def test_regrade_reruns_the_autograder(graded, student, hw1):
    from hub.grading.models import GradingJob

    hw1.autograder = "hw1"
    hw1.save()
    regrade = regrade_request_create(
        student=student,
        assignment=hw1,
        reason="Q3",
        acknowledged_may_lower=True,
        now=RELEASED + timedelta(days=1),
    )
    job = GradingJob.objects.get(submission=graded.submission)
    assert job.reason == GradingJob.Reason.REGRADE
    assert job.note == f"Regrade request {regrade.pk}: Q3"


def test_regrade_decided_after_the_rubric_was_regraded_item_by_item(graded, student, ta, hw1):
    regrade = regrade_request_create(
        student=student,
        assignment=hw1,
        reason="Q3",
        acknowledged_may_lower=True,
        now=RELEASED + timedelta(days=1),
    )
    grade_record_rubric(
        student=student,
        assignment=hw1,
        points=35,
        by=ta,
        why="Q3 re-marked",
        now=RELEASED + timedelta(days=2),
    )
    decided = regrade_decide(
        regrade=regrade, by=ta, decision="Q3 now full marks", now=RELEASED + timedelta(days=2)
    )
    assert (decided.total_before, decided.total_after) == (Decimal("70.000"), Decimal("75.000"))
