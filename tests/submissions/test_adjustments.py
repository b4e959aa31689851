"""Points 6, 7, 8, 10: extensions, accommodations, correction windows — one deadline function."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from hub.courses.models import Membership
from hub.courses.selectors import deadlines_for
from hub.submissions.deadlines import deadline_effective_for
from hub.submissions.services import (
    SubmissionRefused,
    accommodation_register,
    correction_window_grant,
    extension_grant,
    submission_create,
)

from .conftest import py, uploads, utc

pytestmark = pytest.mark.django_db

HW1_DUE = utc(2023, 9, 23, 3, 59)
GRANTED = utc(2023, 9, 20, 12, 0)


def submit(assignment, student, now):
    return submission_create(
        assignment=assignment,
        student=student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        now=now,
    )


# --- 6. extensions ------------------------------------------------------------------------------


def test_extension_moves_the_deadline_and_the_late_window_counts_from_it(
    hw1, student, other_student, instructor
):
    new_due = HW1_DUE + timedelta(days=3)
    extension_grant(
        assignment=hw1,
        student=student,
        due_at=new_due,
        reason="illness",
        by=instructor,
        now=GRANTED,
    )
    mine = deadline_effective_for(student=student, assignment=hw1)
    assert mine.due_at == new_due
    assert mine.late_until == new_due + hw1.course.late_window
    assert any("illness" in r for r in mine.reasons)
    assert submit(hw1, student, new_due - timedelta(minutes=1)).lateness == "on_time"
    assert submit(hw1, student, new_due + timedelta(hours=23)).lateness == "late"
    with pytest.raises(SubmissionRefused):
        submit(hw1, student, new_due + timedelta(hours=25))
    # Nobody else's deadline moved.
    assert deadline_effective_for(student=other_student, assignment=hw1).due_at == HW1_DUE
    with pytest.raises(SubmissionRefused):
        submit(hw1, other_student, HW1_DUE + timedelta(hours=25))


def test_extension_on_an_assignment_without_late_submission_has_no_late_window(
    midterm, student, instructor
):
    new_due = midterm.due_at + timedelta(days=1)
    extension_grant(
        assignment=midterm,
        student=student,
        due_at=new_due,
        reason="conflict",
        by=instructor,
        now=GRANTED,
    )
    deadline = deadline_effective_for(student=student, assignment=midterm)
    assert (deadline.due_at, deadline.late_until) == (new_due, None)


def test_only_the_instructor_grants_extensions(hw1, student, ta):
    with pytest.raises(PermissionDenied):
        extension_grant(
            assignment=hw1, student=student, due_at=HW1_DUE + timedelta(days=1), reason="x", by=ta
        )


def test_an_extension_cannot_shorten_the_deadline(hw1, student, instructor):
    with pytest.raises(ValidationError):
        extension_grant(
            assignment=hw1,
            student=student,
            due_at=HW1_DUE - timedelta(hours=1),
            reason="x",
            by=instructor,
        )


def test_extension_emails_the_student(hw1, student, instructor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        extension_grant(
            assignment=hw1,
            student=student,
            due_at=HW1_DUE + timedelta(days=2),
            reason="illness",
            by=instructor,
            now=GRANTED,
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [student.email]
    assert "Extension granted: HW 1" in mail.outbox[0].subject
    assert "Mon 25 Sep 2023, 11:59 PM EDT" in mail.outbox[0].body


def test_schedule_and_calendar_show_the_students_own_deadline(hw1, student, instructor):
    new_due = HW1_DUE + timedelta(days=3)
    extension_grant(
        assignment=hw1,
        student=student,
        due_at=new_due,
        reason="illness",
        by=instructor,
        now=GRANTED,
    )
    membership = Membership.objects.get(course=hw1.course, user=student)
    shown = {
        d.assignment.slug: d.deadline
        for d in deadlines_for(course=hw1.course, membership=membership)
    }
    assert shown["hw1"].due_at == new_due
    staff_view = {
        d.assignment.slug: d.deadline
        for d in deadlines_for(
            course=hw1.course, membership=Membership.objects.get(course=hw1.course, user=instructor)
        )
    }
    assert staff_view["hw1"].due_at == HW1_DUE


# --- 7. accommodations --------------------------------------------------------------------------


def test_accommodation_of_extra_hours_applies_from_its_effective_date(
    course, hw1, student, instructor
):
    hw2 = course.assignments.get(slug="hw2")
    # Effective 1 Oct: after HW 1's deadline (22 Sep), before HW 2's (13 Oct).
    accommodation_register(
        course=course,
        student=student,
        effective_on=date(2023, 10, 1),
        extra_hours=Decimal(48),
        by=instructor,
        now=utc(2023, 10, 1, 12),
    )
    assert (
        deadline_effective_for(student=student, assignment=hw1).due_at == HW1_DUE
    )  # not retroactive
    hw2_deadline = deadline_effective_for(student=student, assignment=hw2)
    assert hw2_deadline.due_at == hw2.due_at + timedelta(hours=48)
    assert hw2_deadline.late_until == hw2.due_at + timedelta(hours=48) + course.late_window
    assert any("48 extra hours" in r for r in hw2_deadline.reasons)


def test_accommodation_effective_on_the_deadline_day_applies(course, hw1, student, instructor):
    accommodation_register(
        course=course,
        student=student,
        effective_on=date(2023, 9, 22),
        extra_hours=Decimal(12),
        by=instructor,
    )
    assert deadline_effective_for(student=student, assignment=hw1).due_at == HW1_DUE + timedelta(
        hours=12
    )


def test_accommodation_effective_the_day_after_the_deadline_does_not_apply(
    course, hw1, student, instructor
):
    accommodation_register(
        course=course,
        student=student,
        effective_on=date(2023, 9, 23),
        extra_hours=Decimal(12),
        by=instructor,
    )
    assert deadline_effective_for(student=student, assignment=hw1).due_at == HW1_DUE


def test_accommodation_as_a_percentage_of_the_open_time(course, midterm, student, instructor):
    assert midterm.opens_at is not None
    accommodation_register(
        course=course,
        student=student,
        effective_on=date(2023, 9, 1),
        extra_percent=50,
        by=instructor,
    )
    open_time = midterm.due_at - midterm.opens_at
    deadline = deadline_effective_for(student=student, assignment=midterm)
    assert deadline.due_at == midterm.due_at + open_time / 2
    assert deadline.late_until is None  # the midterm still takes no late work
    assert submit(midterm, student, midterm.due_at + open_time / 4).lateness == "on_time"


def test_percentage_without_an_opening_time_is_shown_not_guessed(course, hw1, student, instructor):
    assert hw1.opens_at is None
    accommodation_register(
        course=course,
        student=student,
        effective_on=date(2023, 9, 1),
        extra_percent=50,
        by=instructor,
    )
    deadline = deadline_effective_for(student=student, assignment=hw1)
    assert deadline.due_at == HW1_DUE
    assert any("not applied" in r for r in deadline.reasons)


def test_an_accommodation_has_exactly_one_rule(course, student, instructor):
    with pytest.raises(ValidationError):
        accommodation_register(
            course=course, student=student, effective_on=date(2023, 9, 1), by=instructor
        )
    with pytest.raises(ValidationError):
        accommodation_register(
            course=course,
            student=student,
            effective_on=date(2023, 9, 1),
            extra_percent=10,
            extra_hours=Decimal(2),
            by=instructor,
        )


def test_extension_and_accommodation_together_take_the_later(course, hw1, student, instructor):
    accommodation_register(
        course=course,
        student=student,
        effective_on=date(2023, 9, 1),
        extra_hours=Decimal(72),
        by=instructor,
    )
    extension_grant(
        assignment=hw1,
        student=student,
        due_at=HW1_DUE + timedelta(hours=24),
        reason="travel",
        by=instructor,
    )
    assert deadline_effective_for(student=student, assignment=hw1).due_at == HW1_DUE + timedelta(
        hours=72
    )


# --- 8. correction windows ----------------------------------------------------------------------


@pytest.fixture
def hw1_with_solutions(hw1):
    hw1.solution_release_at = HW1_DUE + timedelta(days=5)
    hw1.save()
    return hw1


def test_correction_inside_the_window_has_no_late_penalty(hw1_with_solutions, student, ta):
    hw1 = hw1_with_solutions
    submit(hw1, student, HW1_DUE - timedelta(hours=1))
    until = HW1_DUE + timedelta(days=3)
    correction_window_grant(
        assignment=hw1,
        student=student,
        until=until,
        reason="fix the import",
        by=ta,
        now=HW1_DUE + timedelta(days=2),
    )
    corrected = submit(
        hw1, student, HW1_DUE + timedelta(days=2, hours=12)
    )  # long after the late window
    assert (corrected.lateness, corrected.late_penalty, corrected.is_correction) == (
        "correction",
        0,
        True,
    )
    with pytest.raises(SubmissionRefused):
        submit(hw1, student, until + timedelta(seconds=1))


def test_correction_inside_the_late_window_is_not_late(hw1_with_solutions, student, instructor):
    correction_window_grant(
        assignment=hw1_with_solutions,
        student=student,
        until=HW1_DUE + timedelta(hours=12),
        reason="typo",
        by=instructor,
        now=HW1_DUE,
    )
    sub = submit(hw1_with_solutions, student, HW1_DUE + timedelta(hours=6))
    assert (sub.lateness, sub.late_penalty) == ("correction", 0)
    assert submit(hw1_with_solutions, student, HW1_DUE + timedelta(hours=13)).lateness == "late"


def test_correction_window_must_end_before_the_solution_release(hw1_with_solutions, student, ta):
    with pytest.raises(ValidationError) as err:
        correction_window_grant(
            assignment=hw1_with_solutions,
            student=student,
            until=hw1_with_solutions.solution_release_at,
            reason="x",
            by=ta,
            now=HW1_DUE,
        )
    assert "before the solutions are released" in err.value.messages[0]


def test_correction_window_needs_a_solution_release_time(hw1, student, ta):
    with pytest.raises(ValidationError):
        correction_window_grant(
            assignment=hw1,
            student=student,
            until=HW1_DUE + timedelta(days=1),
            reason="x",
            by=ta,
            now=HW1_DUE,
        )


def test_nothing_is_accepted_after_the_solution_release(hw1, student, instructor):
    hw1.solution_release_at = HW1_DUE + timedelta(hours=6)  # inside the late window
    hw1.save()
    extension_grant(
        assignment=hw1,
        student=student,
        due_at=HW1_DUE + timedelta(hours=5),
        reason="x",
        by=instructor,
    )
    assert submit(hw1, student, HW1_DUE + timedelta(hours=5, minutes=30)).lateness == "late"
    with pytest.raises(SubmissionRefused) as refused:
        submit(hw1, student, HW1_DUE + timedelta(hours=6, seconds=1))
    assert refused.value.code == "after_solution_release"
    assert "solutions were released" in refused.value.messages[0]


def test_correction_window_emails_the_student(
    hw1_with_solutions, student, ta, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        correction_window_grant(
            assignment=hw1_with_solutions,
            student=student,
            until=HW1_DUE + timedelta(days=1),
            reason="fix the shapes",
            by=ta,
            now=HW1_DUE,
        )
    assert [m.to for m in mail.outbox] == [[student.email]]
    assert "fix the shapes" in mail.outbox[0].body
    assert "Sat 23 Sep 2023, 11:59 PM EDT" in mail.outbox[0].body


def test_students_cannot_grant_correction_windows(hw1_with_solutions, student, other_student):
    with pytest.raises(PermissionDenied):
        correction_window_grant(
            assignment=hw1_with_solutions,
            student=student,
            until=HW1_DUE + timedelta(days=1),
            reason="x",
            by=other_student,
            now=HW1_DUE,
        )


# --- 10. one computation, many callers ----------------------------------------------------------


def test_the_bulk_deadlines_are_the_same_computation(
    course, hw1, student, other_student, instructor, ta
):
    from hub.submissions.deadlines import deadlines_effective_for

    hw1.solution_release_at = HW1_DUE + timedelta(days=5)
    hw1.save()
    midterm = course.assignments.get(slug="midterm")
    accommodation_register(
        course=course,
        student=student,
        effective_on=date(2023, 9, 1),
        extra_percent=25,
        by=instructor,
    )
    extension_grant(
        assignment=hw1,
        student=other_student,
        due_at=HW1_DUE + timedelta(days=1),
        reason="x",
        by=instructor,
    )
    correction_window_grant(
        assignment=hw1,
        student=student,
        until=HW1_DUE + timedelta(days=2),
        reason="y",
        by=ta,
        now=HW1_DUE,
    )
    bulk = deadlines_effective_for(assignments=[hw1, midterm], students=[student, other_student])
    for s in (student, other_student):
        for a in (hw1, midterm):
            assert bulk[(s.pk, a.pk)] == deadline_effective_for(student=s, assignment=a)


def test_the_staff_table_needs_the_same_queries_for_2_or_12_students(open_hw1_staff, ta):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from ..factories import MembershipFactory, UserFactory

    client = Client()
    client.force_login(ta)
    url = reverse("submissions:staff", args=[open_hw1_staff.course.slug, open_hw1_staff.slug])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(10):
        MembershipFactory(course=open_hw1_staff.course, user=UserFactory(username=f"extra{i}"))
    assert count() == few


@pytest.fixture
def open_hw1_staff(hw1, student, other_student):
    return hw1
