"""Points 4, 9, 14, 15 (receipt): which submission counts, emailed work, sources statement."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from hub.submissions.models import Submission
from hub.submissions.selectors import submission_active_for
from hub.submissions.services import SubmissionRefused, submission_activate, submission_create

from .conftest import py, uploads, utc

pytestmark = pytest.mark.django_db

HW1_DUE = utc(2023, 9, 23, 3, 59)


def submit(assignment, student, now, text="x = 1\n", **kwargs):
    return submission_create(
        assignment=assignment,
        student=student,
        uploads=uploads(("model.py", py(text))),
        sources_statement=kwargs.pop("sources", "None"),
        now=now,
        **kwargs,
    )


# --- 4. which submission counts -----------------------------------------------------------------


def test_the_latest_submission_is_active(hw1, student):
    first = submit(hw1, student, HW1_DUE - timedelta(hours=3), "a = 1\n")
    second = submit(hw1, student, HW1_DUE - timedelta(hours=2), "a = 2\n")
    first.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    assert submission_active_for(student=student, assignment=hw1) == second


def test_before_the_deadline_an_earlier_one_can_count_again(hw1, student):
    first = submit(hw1, student, HW1_DUE - timedelta(hours=3), "a = 1\n")
    second = submit(hw1, student, HW1_DUE - timedelta(hours=2), "a = 2\n")
    submission_activate(submission=first, by=student, now=HW1_DUE - timedelta(seconds=1))
    second.refresh_from_db()
    assert submission_active_for(student=student, assignment=hw1) == first
    assert second.is_active is False


def test_after_the_deadline_the_choice_is_frozen(hw1, student):
    first = submit(hw1, student, HW1_DUE - timedelta(hours=3), "a = 1\n")
    submit(hw1, student, HW1_DUE - timedelta(hours=2), "a = 2\n")
    with pytest.raises(ValidationError) as err:
        submission_activate(submission=first, by=student, now=HW1_DUE + timedelta(seconds=1))
    assert "deadline" in err.value.messages[0]


def test_nobody_else_chooses_for_the_student(hw1, student, other_student, ta):
    first = submit(hw1, student, HW1_DUE - timedelta(hours=3), "a = 1\n")
    submit(hw1, student, HW1_DUE - timedelta(hours=2), "a = 2\n")
    for who in (other_student, ta):
        with pytest.raises(PermissionDenied):
            submission_activate(submission=first, by=who, now=HW1_DUE - timedelta(hours=1))


def test_the_database_refuses_two_active_submissions(hw1, student):
    sub = submit(hw1, student, HW1_DUE - timedelta(hours=3))
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(
            assignment=hw1,
            student=student,
            submitted_by=student,
            created_at=sub.created_at,
            sha256=sub.sha256,
            size=1,
            lateness="on_time",
            sources_statement="x",
        )


# --- 9. emailed submissions ---------------------------------------------------------------------


def test_staff_enter_emailed_work_at_the_emails_time(
    hw1, student, ta, django_capture_on_commit_callbacks
):
    emailed_at = HW1_DUE - timedelta(minutes=5)
    entered = HW1_DUE + timedelta(days=2)  # long after the late window
    with django_capture_on_commit_callbacks(execute=True):
        sub = submit(
            hw1,
            student,
            entered,
            by=ta,
            emailed_at=emailed_at,
            staff_note="Site down 23:40-00:30; email received 23:54",
        )
    assert sub.lateness == "on_time" and sub.late_penalty == 0
    assert (sub.submitted_by, sub.student, sub.emailed_at, sub.created_at) == (
        ta,
        student,
        emailed_at,
        entered,
    )
    assert sub.submitted_at == emailed_at
    assert [m.to for m in mail.outbox] == [[student.email]]
    body = mail.outbox[0].body
    assert "Entered by: terry — Site down" in body
    assert "Fri 22 Sep 2023, 11:54:00 PM EDT (the time your email arrived)" in body


def test_emailed_work_is_judged_by_the_emails_time(hw1, student, instructor):
    sub = submit(
        hw1,
        student,
        HW1_DUE + timedelta(days=3),
        by=instructor,
        emailed_at=HW1_DUE + timedelta(hours=3),
        staff_note="email",
    )
    assert sub.lateness == "late"
    with pytest.raises(SubmissionRefused):
        submit(
            hw1,
            student,
            HW1_DUE + timedelta(days=3),
            by=instructor,
            emailed_at=HW1_DUE + timedelta(hours=30),
            staff_note="email",
        )


def test_emailed_work_needs_the_time_and_a_note(hw1, student, ta):
    with pytest.raises(ValidationError):
        submit(hw1, student, HW1_DUE, by=ta, emailed_at=None, staff_note="x")
    with pytest.raises(ValidationError):
        submit(hw1, student, HW1_DUE, by=ta, emailed_at=HW1_DUE, staff_note="  ")


def test_students_cannot_enter_work_for_each_other(hw1, student, other_student):
    with pytest.raises(PermissionDenied):
        submit(hw1, student, HW1_DUE, by=other_student, emailed_at=HW1_DUE, staff_note="x")


def test_students_cannot_backdate_their_own_work(hw1, student):
    with pytest.raises(PermissionDenied):
        submit(hw1, student, HW1_DUE + timedelta(days=3), emailed_at=HW1_DUE, staff_note="trust me")


def test_email_time_in_the_future_is_refused(hw1, student, ta):
    with pytest.raises(ValidationError):
        submit(
            hw1, student, HW1_DUE, by=ta, emailed_at=HW1_DUE + timedelta(minutes=1), staff_note="x"
        )


# --- 14. sources statement / 15. receipt email --------------------------------------------------


def test_each_submission_carries_the_sources_statement(hw1, student):
    sub = submit(
        hw1, student, HW1_DUE, sources="Adapted the training loop from the PyTorch DCGAN tutorial"
    )
    assert sub.sources_statement == "Adapted the training loop from the PyTorch DCGAN tutorial"


def test_receipt_email_has_hash_size_files_and_local_time(
    hw1, student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sub = submit(hw1, student, HW1_DUE - timedelta(minutes=30), sources="None")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    f = sub.files.get()
    assert sub.sha256 in body and f.sha256 in body
    assert f"{f.size}  model.py" in body
    assert "Fri 22 Sep 2023, 11:29:00 PM EDT" in body
    assert "Receipt: HW 1" in mail.outbox[0].subject


def test_no_receipt_email_when_nothing_was_stored(hw1, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SubmissionRefused):
        submit(hw1, student, HW1_DUE + timedelta(days=2))
    assert mail.outbox == []


def test_an_upload_received_earlier_but_recorded_later_does_not_displace_the_latest(hw1, student):
    # Two uploads a moment apart may take the lock in the other order.
    later = submit(hw1, student, HW1_DUE - timedelta(seconds=1), "a = 2\n")
    earlier = submit(hw1, student, HW1_DUE - timedelta(seconds=2), "a = 1\n")
    later.refresh_from_db()
    assert (later.is_active, earlier.is_active) == (True, False)
