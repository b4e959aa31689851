"""Point 1 (API) and access: one code path for web, API and CLI; who may do what."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from hub.submissions.models import CorrectionWindow, Extension, Submission
from hub.submissions.services import grade_record_rubric, grade_release, submission_create

from .conftest import py, uploads

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_hw1(hw1):
    hw1.due_at = timezone.now() + timedelta(days=2)
    hw1.solution_release_at = timezone.now() + timedelta(days=7)
    hw1.save()
    return hw1


def api(user=None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def u(name, a, **kw):
    return reverse(name, kwargs={"slug": a.course.slug, "assignment_slug": a.slug, **kw})


def submit_api(client, a, text="x = 1\n"):
    return client.post(
        u("api-submission-create", a),
        {"files": [SimpleUploadedFile("model.py", py(text))], "sources_statement": "None"},
        format="multipart",
    )


def test_create_returns_the_receipt(open_hw1, student):
    r = submit_api(api(student), open_hw1)
    assert r.status_code == 201, r.content
    body = r.json()
    sub = Submission.objects.get()
    assert body["sha256"] == sub.sha256 and body["size"] == sub.size
    assert body["time_zone"] == "America/New_York"
    assert body["received_at_local"].endswith(("EST", "EDT"))
    assert [f["name"] for f in body["files"]] == ["model.py"]
    assert body["lateness"] == "on_time" and body["is_active"] is True


def test_list_detail_download_and_activate(open_hw1, student):
    c = api(student)
    first = submit_api(c, open_hw1, "a = 1\n").json()
    submit_api(c, open_hw1, "a = 2\n")
    listed = c.get(u("api-submissions", open_hw1)).json()
    assert [s["id"] for s in listed][::-1][0] == first["id"] and len(listed) == 2
    detail = c.get(u("api-submission", open_hw1, submission_id=first["id"])).json()
    assert detail["is_active"] is False
    download = c.get(first["files"][0]["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"a = 1\n"
    activated = c.post(u("api-submission-activate", open_hw1, submission_id=first["id"]))
    assert activated.status_code == 200 and activated.json()["is_active"] is True


def test_refused_late_submission_explains_itself(hw1, student):
    r = submit_api(api(student), hw1)  # HW 1 was due in 2023
    assert r.status_code == 400
    assert r.json()["code"] == "late_window_passed"
    assert "accepted until Sat 23 Sep 2023, 11:59 PM EDT" in r.json()["detail"]


@pytest.mark.parametrize(
    "persona, status",
    [
        ("student", 201),
        ("other_student", 201),
        ("ta", 403),
        ("instructor", 403),
        ("outsider", 404),
        (None, 401),
    ],
)
def test_who_may_submit(request, open_hw1, persona, status):
    user = request.getfixturevalue(persona) if persona else None
    assert submit_api(api(user), open_hw1).status_code == status


@pytest.mark.parametrize(
    "persona, status",
    [
        ("student", 200),
        ("ta", 200),
        ("instructor", 200),
        ("other_student", 404),
        ("outsider", 404),
        ("other_ta", 404),
    ],
)
def test_who_may_see_a_submission(request, open_hw1, student, persona, status):
    sub = submission_create(
        assignment=open_hw1, student=student, uploads=uploads(("m.py", py())), sources_statement="x"
    )
    user = request.getfixturevalue(persona)
    c = api(user)
    assert c.get(u("api-submission", open_hw1, submission_id=sub.pk)).status_code == status
    file_url = u("api-submission-file", open_hw1, submission_id=sub.pk, file_id=sub.files.get().pk)
    assert c.get(file_url).status_code == status


def test_staff_list_sees_every_student_a_student_only_their_own(
    open_hw1, student, other_student, ta
):
    for s in (student, other_student):
        submission_create(
            assignment=open_hw1, student=s, uploads=uploads(("m.py", py())), sources_statement="x"
        )
    assert {s["student"] for s in api(ta).get(u("api-submissions", open_hw1)).json()} == {
        "alice",
        "bob",
    }
    assert {s["student"] for s in api(student).get(u("api-submissions", open_hw1)).json()} == {
        "alice"
    }


def test_extension_only_by_the_instructor(open_hw1, student, ta, instructor):
    payload = {
        "student": "alice",
        "due_at": (open_hw1.due_at + timedelta(days=1)).isoformat(),
        "reason": "ill",
    }
    assert (
        api(ta).post(u("api-extension-grant", open_hw1), payload, format="json").status_code == 403
    )
    assert (
        api(student).post(u("api-extension-grant", open_hw1), payload, format="json").status_code
        == 403
    )
    r = api(instructor).post(u("api-extension-grant", open_hw1), payload, format="json")
    assert r.status_code == 201 and Extension.objects.count() == 1
    deadline = api(student).get(u("api-deadline", open_hw1)).json()
    assert parse_datetime(deadline["due_at"]) == open_hw1.due_at + timedelta(days=1)
    assert parse_datetime(deadline["late_until"]) == open_hw1.due_at + timedelta(days=2)
    assert any("ill" in r for r in deadline["reasons"])


def test_correction_window_by_a_ta(open_hw1, student, ta):
    payload = {
        "student": "alice",
        "until": (open_hw1.due_at + timedelta(days=3)).isoformat(),
        "reason": "imports",
    }
    r = api(ta).post(u("api-correction-grant", open_hw1), payload, format="json")
    assert r.status_code == 201 and CorrectionWindow.objects.count() == 1
    late = dict(payload, until=(open_hw1.solution_release_at + timedelta(hours=1)).isoformat())
    r = api(ta).post(u("api-correction-grant", open_hw1), late, format="json")
    assert r.status_code == 400 and r.json()["code"] == "after_solution_release"


def test_emailed_work_through_the_api(open_hw1, student, ta):
    r = api(ta).post(
        u("api-submission-emailed", open_hw1),
        {
            "student": "alice",
            "emailed_at": (timezone.now() - timedelta(minutes=10)).isoformat(),
            "staff_note": "site down",
            "sources_statement": "None",
            "files": [SimpleUploadedFile("m.py", py())],
        },
        format="multipart",
    )
    assert r.status_code == 201, r.content
    assert r.json()["submitted_by"] == "terry" and r.json()["emailed_at_local"]
    r = api(student).post(
        u("api-submission-emailed", open_hw1),
        {
            "student": "alice",
            "emailed_at": timezone.now().isoformat(),
            "staff_note": "x",
            "sources_statement": "x",
        },
        format="multipart",
    )
    assert r.status_code == 403


def test_accommodation_through_the_api(course, student, instructor, ta):
    url = reverse("api-accommodation-register", kwargs={"slug": course.slug})
    payload = {"student": "alice", "effective_on": "2023-10-01", "extra_hours": "24"}
    assert api(ta).post(url, payload, format="json").status_code == 403
    assert api(instructor).post(url, payload, format="json").status_code == 201


def test_regrade_through_the_api(open_hw1, student, ta, instructor):
    submission_create(
        assignment=open_hw1, student=student, uploads=uploads(("m.py", py())), sources_statement="x"
    )
    grade_record_rubric(student=student, assignment=open_hw1, points=50, by=ta, why="rubric")
    assert api(student).get(u("api-grade", open_hw1)).status_code == 404  # not released
    grade_release(assignment=open_hw1, by=instructor)
    assert api(student).get(u("api-grade", open_hw1)).json()["total"] == "50.000"
    r = api(student).post(u("api-regrade-request", open_hw1), {"reason": "Q1"}, format="json")
    assert (
        r.status_code == 400
        and r.json()["code"] == "not_acknowledged"
        and "lower" in r.json()["detail"]
    )
    r = api(student).post(
        u("api-regrade-request", open_hw1),
        {"reason": "Q1", "acknowledged_may_lower": True},
        format="json",
    )
    assert r.status_code == 201
    decide = u("api-regrade-decide", open_hw1, regrade_id=r.json()["id"])
    assert (
        api(student)
        .post(decide, {"rubric_points": "90", "decision": "me"}, format="json")
        .status_code
        == 403
    )
    r = api(ta).post(decide, {"rubric_points": "45", "decision": "Q1 over-credited"}, format="json")
    assert r.status_code == 200 and r.json()["total_after"] == "45.000"


def test_the_schema_describes_the_submission_endpoints(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    create = schema["paths"][
        "/api/courses/{slug}/assignments/{assignment_slug}/submissions/create/"
    ]["post"]
    assert "multipart/form-data" in create["requestBody"]["content"]
    assert "201" in create["responses"]
    ops = {
        op["operationId"]
        for path in schema["paths"].values()
        for op in path.values()
        if isinstance(op, dict)
    }
    assert {
        "submissions_create",
        "submissions_activate",
        "submissions_regrade_request",
        "submissions_file",
    } <= ops
