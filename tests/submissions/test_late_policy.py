"""Points 5 and 10: on time, up to 24 h late with 25 % off, later refused; the time change."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from hub.courses.models import Assignment
from hub.courses.policy import LATE_PENALTY, LATE_WINDOW
from hub.submissions.deadlines import deadline_effective_for
from hub.submissions.models import Submission
from hub.submissions.services import SubmissionRefused, grade_record_rubric, submission_create

from .conftest import py, stored_blobs, uploads, utc

pytestmark = pytest.mark.django_db

HW1_DUE = utc(2023, 9, 23, 3, 59)  # Fri 22 Sep 2023, 11:59 pm EDT


def submit(assignment, student, now):
    return submission_create(
        assignment=assignment,
        student=student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        now=now,
    )


def test_the_course_policy_comes_from_the_syllabus(course):
    assert course.late_window == LATE_WINDOW == timedelta(hours=24)
    assert course.late_penalty == LATE_PENALTY == Decimal("0.25")


def test_on_time_at_the_deadline_instant(hw1, student):
    sub = submit(hw1, student, HW1_DUE)
    assert (sub.lateness, sub.late_penalty) == ("on_time", 0)


def test_one_second_late_is_late_with_the_penalty(hw1, student):
    sub = submit(hw1, student, HW1_DUE + timedelta(seconds=1))
    assert sub.lateness == "late"
    assert sub.late_penalty == hw1.course.late_penalty


def test_exactly_24_hours_late_is_still_accepted(hw1, student):
    sub = submit(hw1, student, HW1_DUE + hw1.course.late_window)
    assert sub.lateness == "late"


def test_submission_25_hours_late_is_refused_with_why_and_until_when(hw1, student, store):
    with pytest.raises(SubmissionRefused) as refused:
        submit(hw1, student, HW1_DUE + timedelta(hours=25))
    message = refused.value.messages[0]
    assert refused.value.code == "late_window_passed"
    assert "HW 1 was due Fri 22 Sep 2023, 11:59 PM EDT" in message
    assert "accepted until Sat 23 Sep 2023, 11:59 PM EDT" in message
    assert "25% penalty" in message and "24 h" in message
    assert not Submission.objects.exists() and stored_blobs(store) == []


def test_a_deadline_a_few_seconds_away(hw1, student):
    hw1.due_at = timezone.now() + timedelta(seconds=5)
    hw1.save()
    on_time = submit(hw1, student, None)  # the server's own clock
    assert on_time.lateness == "on_time"
    assert on_time.created_at <= hw1.due_at
    late = submit(hw1, student, hw1.due_at + timedelta(seconds=2))
    assert late.lateness == "late"
    assert late.late_penalty == Decimal("0.25")


def test_the_server_receipt_time_is_the_submission_time(hw1, student):
    before = timezone.now()
    hw1.due_at = before + timedelta(hours=1)
    hw1.save()
    sub = submit(hw1, student, None)
    assert before <= sub.created_at <= timezone.now()
    assert sub.submitted_at == sub.created_at


def test_assignment_without_late_submission_refuses_one_second_late(midterm, student):
    assert midterm.late_allowed is False
    assert submit(midterm, student, midterm.due_at).lateness == "on_time"
    with pytest.raises(SubmissionRefused) as refused:
        submit(midterm, student, midterm.due_at + timedelta(seconds=1))
    assert refused.value.code == "deadline_passed"
    assert "does not accept late submissions" in refused.value.messages[0]
    assert (
        "would have been accepted until Fri 20 Oct 2023, 11:59 PM EDT" in refused.value.messages[0]
    )


def test_assignment_overrides_the_course_late_policy(hw1, student):
    hw1.late_window = timedelta(hours=48)
    hw1.late_penalty = Decimal("0.100")
    hw1.save()
    sub = submit(hw1, student, HW1_DUE + timedelta(hours=47))
    assert (sub.lateness, sub.late_penalty) == ("late", Decimal("0.100"))


@pytest.fixture
def due_before_time_change(hw1):
    # Sat 4 Nov 2023, 11:00 pm EDT; the clocks go back at 2 am on Sun 5 Nov.
    hw1.due_at = utc(2023, 11, 5, 3, 0)
    hw1.save()
    return hw1


def test_24_hours_late_across_the_time_change_is_24_real_hours(due_before_time_change, student):
    deadline = deadline_effective_for(student=student, assignment=due_before_time_change)
    assert deadline.late_until - deadline.due_at == timedelta(hours=24)
    local = deadline.late_until.astimezone(due_before_time_change.course.zone)
    # 24 real hours after 11 pm EDT is 10 pm EST on the wall clock, not 11 pm.
    assert (local.day, local.hour, local.tzname()) == (5, 22, "EST")


def test_wall_clock_23_and_a_half_hours_after_the_time_change_is_refused(
    due_before_time_change, student
):
    # Sun 5 Nov, 10:30 pm EST reads as 23½ h on the wall clock but is 24½ real hours.
    with pytest.raises(SubmissionRefused) as refused:
        submit(due_before_time_change, student, utc(2023, 11, 6, 3, 30))
    assert "accepted until Sun 05 Nov 2023, 10:00 PM EST" in refused.value.messages[0]
    assert submit(due_before_time_change, student, utc(2023, 11, 6, 2, 59)).lateness == "late"


def test_late_penalty_is_applied_once_to_the_total(hw1, student, ta):
    submit(hw1, student, HW1_DUE + timedelta(hours=2))
    grade = grade_record_rubric(student=student, assignment=hw1, points=80, by=ta, why="rubric")
    assert grade.late_penalty == Decimal("0.25")
    assert grade.total == Decimal("60.000")


def test_the_paper_discussion_report_due_after_the_time_change(course, student):
    report = Assignment.objects.get(course=course, slug="paper-discussion-report")
    deadline = deadline_effective_for(student=student, assignment=report)
    assert deadline.due_at.astimezone(course.zone).tzname() == "EST"
    assert deadline.late_until - deadline.due_at == course.late_window
