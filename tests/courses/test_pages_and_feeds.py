from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from icalendar import Calendar
from rest_framework.test import APIClient

from hub.courses.models import Membership
from hub.courses.selectors import schedule_weeks, upcoming_deadlines

pytestmark = pytest.mark.django_db


def test_schedule_page_lists_every_week_for_a_member(client, course, student):
    client.force_login(student)
    response = client.get(reverse("courses:schedule", args=[course.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Labor Day Holiday" in body and "Generative AI with LLMs" in body
    assert body.count('<th scope="row">') == 16  # 15 weeks and the final report


def test_schedule_marks_the_current_week(course, student):
    membership = Membership.objects.get(user=student, course=course)
    weeks = schedule_weeks(course=course, membership=membership, today=date(2023, 10, 18))
    assert [w.number for w in weeks if w.is_current] == [8]
    weeks = schedule_weeks(course=course, membership=membership, today=date(2024, 3, 1))
    assert not any(w.is_current for w in weeks)


def test_next_deadlines_are_the_open_ones_soonest_first(course, student):
    membership = Membership.objects.get(user=student, course=course)
    # Saturday 23 Sep 2023, 2 am EDT: HW 1 is in its late window, HW 2 and the proposal are next.
    now = datetime(2023, 9, 23, 6, 0, tzinfo=UTC)
    titles = [d.assignment.slug for d in upcoming_deadlines(course=course, membership=membership, now=now)]
    assert titles == ["hw1", "project-proposal", "hw2"]
    later = datetime(2023, 9, 24, 5, 0, tzinfo=UTC)  # 25 h after HW 1's deadline
    titles = [d.assignment.slug for d in upcoming_deadlines(course=course, membership=membership, now=later)]
    assert "hw1" not in titles


def test_non_members_cannot_see_the_schedule(client, course, outsider):
    url = reverse("courses:schedule", args=[course.slug])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def _calendar(client, course, user):
    token = Membership.objects.get(course=course, user=user).calendar_token
    response = client.get(reverse("courses:calendar", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_calendar_has_lectures_holidays_and_deadlines(client, course, student):
    cal = _calendar(client, course, student)
    events = list(cal.walk("VEVENT"))
    summaries = [str(e["summary"]) for e in events]
    assert sum(s.startswith("No class") for s in summaries) == 2
    assert "Due: HW 1" in summaries and "Due: Final Report" in summaries
    assert len(events) == 30 + 7


def test_calendar_times_are_right_across_the_time_change(client, course, student):
    cal = _calendar(client, course, student)
    starts = {str(e["summary"]): e.decoded("dtstart") for e in cal.walk("VEVENT")}
    final = starts["Due: Final Report"]
    assert final.astimezone(UTC) == datetime(2023, 12, 18, 10, 0, tzinfo=UTC)
    assert final.hour == 5  # shown in the course's zone, with its VTIMEZONE
    lectures = [e.decoded("dtstart") for e in cal.walk("VEVENT") if "Paper Discussion" in str(e["summary"])]
    assert {d.hour for d in lectures} == {17}  # 5:30 pm local before and after 5 Nov
    assert {d.astimezone(UTC).hour for d in lectures} == {21, 22}
    assert any(c.name == "VTIMEZONE" for c in cal.walk())


def test_unknown_calendar_token_is_404(client, course):
    assert client.get(reverse("courses:calendar", args=["nope"])).status_code == 404


def test_api_reads_course_schedule_and_assignments_with_a_token(course, student):
    from rest_framework.authtoken.models import Token

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.create(user=student).key)
    courses = api.get("/api/courses/").json()
    assert [c["slug"] for c in courses] == [course.slug]
    assert courses[0]["role"] == "student"
    assert len(api.get(f"/api/courses/{course.slug}/schedule/").json()) == 30
    assignments = api.get(f"/api/courses/{course.slug}/assignments/").json()
    final = next(a for a in assignments if a["slug"] == "final-report")
    assert final["effective_due_at"] == "2023-12-18T10:00:00Z"
    hw1 = next(a for a in assignments if a["slug"] == "hw1")
    assert hw1["late_until"] == "2023-09-24T03:59:00Z"


def test_api_hides_other_courses(course, outsider):
    api = APIClient()
    api.force_authenticate(outsider)
    assert api.get(f"/api/courses/{course.slug}/").status_code == 404
    assert api.get(f"/api/courses/{course.slug}/assignments/").status_code == 404
    assert api.get("/api/courses/").json()[0]["slug"] != course.slug


def test_api_needs_authentication(course):
    assert APIClient().get("/api/courses/").status_code in (401, 403)


def test_openapi_schema_and_docs_answer(client, course, student):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/courses/{slug}/assignments/" in schema.content
    client.force_login(student)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_student_dashboard_shows_their_own_deadlines_and_grades(client, course, student):
    from datetime import timedelta

    from hub.courses.models import Assignment
    from hub.courses.selectors import student_overview

    hw1 = Assignment.objects.get(course=course, slug="hw1")
    rows = student_overview(course=course, student=student, now=hw1.due_at + timedelta(hours=2))
    row = next(r for r in rows if r.assignment == hw1)
    assert row.status == "late" and row.time_left is None and row.submission is None
    client.force_login(student)
    response = client.get(reverse("courses:dashboard", args=[course.slug]))
    assert response.status_code == 200
    assert b"Your deadline" in response.content and b"HW 1" in response.content


def test_staff_dashboard_lists_assignments_with_queues(client, course, ta, django_assert_max_num_queries):
    client.force_login(ta)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("courses:dashboard", args=[course.slug]))
    assert response.status_code == 200
    assert b"Active submissions" in response.content


def test_course_pages_render_times_in_the_course_zone(client, course, student):
    client.force_login(student)
    body = client.get(reverse("courses:schedule", args=[course.slug])).content.decode()
    assert "Mon 18 Dec 2023, 5:00 AM EST" in body  # the final report, 10:00 UTC
    assert "10:00 AM UTC" not in body


def test_a_user_gets_and_revokes_their_api_token(course, student):
    api = APIClient()
    token = api.post("/api/auth/token/", {"username": "alice", "password": "pw-for-tests-1"}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/courses/").status_code == 200
    assert api.delete("/api/auth/token/").status_code == 204
    assert api.get("/api/courses/").status_code == 401


def test_anonymous_visitors_are_sent_to_log_in(client, course):
    response = client.get(reverse("courses:schedule", args=[course.slug]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
