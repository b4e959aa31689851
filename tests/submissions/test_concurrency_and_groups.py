"""Two uploads at once, group work, and the calendar reading the one deadline function."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from hub.courses.ical import calendar_for
from hub.courses.models import Assignment, Membership
from hub.submissions.models import Submission
from hub.submissions.selectors import submission_active_for, submissions_for
from hub.submissions.services import extension_grant, submission_create

from .conftest import py, uploads


@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_the_same_moment_leave_exactly_one_active(hw1, student):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is tested; SQLite serialises every writer anyway")
    hw1.due_at = timezone.now() + timedelta(days=1)
    hw1.save()
    barrier = threading.Barrier(4)
    errors = []

    def upload(i):
        try:
            barrier.wait(timeout=10)
            submission_create(
                assignment=hw1,
                student=student,
                uploads=uploads(("m.py", py(f"v = {i}\n"))),
                sources_statement="x",
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert Submission.objects.filter(student=student).count() == 4
    assert Submission.objects.filter(student=student, is_active=True).count() == 1
    latest = Submission.objects.filter(student=student).order_by("-created_at", "-id").first()
    assert latest.is_active


@pytest.mark.django_db
def test_the_calendar_feed_shows_the_extended_deadline(hw1, student, other_student, instructor):
    extension_grant(
        assignment=hw1,
        student=student,
        due_at=hw1.due_at + timedelta(days=2),
        reason="illness",
        by=instructor,
    )
    mine = calendar_for(
        course=hw1.course, membership=Membership.objects.get(user=student), host="t"
    ).decode()
    theirs = calendar_for(
        course=hw1.course, membership=Membership.objects.get(user=other_student), host="t"
    ).decode()
    assert "HW 1 is due Sun 24 Sep 2023" in mine.replace("\r\n ", "")
    assert "HW 1 is due Fri 22 Sep 2023" in theirs.replace("\r\n ", "")


@pytest.fixture
def report_with_a_group(course, student, other_student):
    from hub.groups.models import Group, GroupMembership, GroupSet, GroupSetAssignment

    report = Assignment.objects.get(course=course, slug="paper-discussion-report")
    report.due_at = timezone.now() + timedelta(days=1)
    report.save()
    gs = GroupSet.objects.create(
        course=course, kind=GroupSet.Kind.PAPER_DISCUSSION, title="Paper discussion"
    )
    GroupSetAssignment.objects.create(group_set=gs, assignment=report)
    group = Group.objects.create(group_set=gs, name="Flow people")
    for s in (student, other_student):
        GroupMembership.objects.create(group=group, group_set=gs, student=s)
    return report, group


@pytest.mark.django_db
def test_on_group_work_the_groups_latest_submission_counts_for_every_member(
    report_with_a_group, student, other_student
):
    report, group = report_with_a_group
    assert report.group_work
    pdf = b"%PDF-1.4 report\n"
    first = submission_create(
        assignment=report, student=student, uploads=uploads(("r.pdf", pdf)), sources_statement="x"
    )
    second = submission_create(
        assignment=report,
        student=other_student,
        uploads=uploads(("r.pdf", pdf + b"v2")),
        sources_statement="x",
    )
    first.refresh_from_db()
    assert (first.group, second.group) == (group, group)
    assert first.is_active is False and second.is_active is True
    assert submission_active_for(student=student, assignment=report) == second
    assert set(submissions_for(student=student, assignment=report)) == {first, second}
