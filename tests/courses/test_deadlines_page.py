from datetime import UTC, datetime

import pytest
from django.urls import reverse

from hub.courses.models import Assignment
from hub.submissions.deadlines import deadline_effective_for

pytestmark = pytest.mark.django_db


def _row(course, slug="hw1"):
    return reverse("courses:deadline-row", args=[course.slug, slug])


def test_instructor_moves_a_deadline_in_place_across_the_time_change(client, course, instructor, student):
    client.force_login(instructor)
    assert client.get(reverse("courses:deadlines", args=[course.slug])).status_code == 200
    form = client.get(_row(course, "paper-discussion-report"), {"edit": "1"}, HTTP_HX_REQUEST="true")
    assert b'type="datetime-local"' in form.content
    response = client.post(
        _row(course, "paper-discussion-report"),
        {"due_at": "2023-11-06T09:00", "late_allowed": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and b"Mon 6 Nov 2023, 9:00 AM EST" in response.content
    a = Assignment.objects.get(course=course, slug="paper-discussion-report")
    assert a.due_at == datetime(2023, 11, 6, 14, 0, tzinfo=UTC)  # 9 am EST is 14:00 UTC
    assert a.due_assumed is False
    assert deadline_effective_for(student=student, assignment=a).due_at == a.due_at


def test_solutions_cannot_be_released_before_the_deadline(client, course, instructor):
    client.force_login(instructor)
    response = client.post(
        _row(course), {"due_at": "2023-09-22T23:59", "solution_release_at": "2023-09-20T12:00"}, HTTP_HX_REQUEST="true"
    )
    assert b"Solutions cannot be released before the deadline" in response.content
    assert Assignment.objects.get(course=course, slug="hw1").solution_release_at is None


def test_turning_late_submission_off(client, course, instructor):
    client.force_login(instructor)
    client.post(_row(course), {"due_at": "2023-09-22T23:59"})
    assert Assignment.objects.get(course=course, slug="hw1").late_allowed is False


@pytest.mark.parametrize("who, code", [("ta", 403), ("student", 403), ("outsider", 404)])
def test_only_the_instructor_edits_deadlines(client, course, who, code, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("courses:deadlines", args=[course.slug])).status_code == code
    assert client.post(_row(course), {"due_at": "2030-01-01T00:00"}).status_code == code
