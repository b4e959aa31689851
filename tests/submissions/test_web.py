"""Point 1 (web form), 2 (receipt, list, download), 9 (student sees emailed), 14 (staff see statement)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hub.submissions.models import Extension, Submission
from hub.submissions.services import grade_record_rubric, grade_release, submission_create

from .conftest import PDF, make_zip, py, uploads

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_hw1(hw1):
    hw1.due_at = timezone.now() + timedelta(days=2)
    hw1.save()
    return hw1


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(name, a, *args):
    return reverse(f"submissions:{name}", args=[a.course.slug, a.slug, *args])


def test_the_page_has_a_drop_zone_a_progress_bar_and_htmx(open_hw1, student):
    page = client_for(student).get(url("assignment", open_hw1))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="dropzone"' in html and "<progress" in html and "htmx:xhr:progress" in html
    assert 'hx-encoding="multipart/form-data"' in html and "hub/htmx.min.js" in html
    assert "Public sources you used" in html
    assert ">On time</strong>" in html  # what a submission right now would be


def test_form_upload_without_javascript_redirects_to_the_receipt(open_hw1, student, store):
    c = client_for(student)
    response = c.post(
        url("create", open_hw1),
        {
            "files": [SimpleUploadedFile("model.py", py()), SimpleUploadedFile("answers.pdf", PDF)],
            "sources_statement": "None",
        },
    )
    sub = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == url("receipt", open_hw1, sub.pk)
    receipt = c.get(response["Location"]).content.decode()
    assert sub.sha256 in receipt
    local = sub.created_at.astimezone(open_hw1.course.zone)
    assert local.strftime("%a %-d %b %Y") in receipt and local.tzname() in receipt
    assert "model.py" in receipt and "answers.pdf" in receipt and f"{sub.size} bytes" in receipt


def test_htmx_upload_answers_with_the_receipt_fragment(open_hw1, student):
    response = client_for(student).post(
        url("create", open_hw1),
        {"files": [SimpleUploadedFile("model.py", py())], "sources_statement": "None"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "submission-created"
    assert Submission.objects.get().sha256 in response.content.decode()
    assert "<html" not in response.content.decode()


def test_htmx_upload_error_is_a_clear_message_and_nothing_is_stored(open_hw1, student):
    response = client_for(student).post(
        url("create", open_hw1),
        {
            "files": [SimpleUploadedFile("evil.zip", make_zip({"../x.py": py()}))],
            "sources_statement": "None",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "Not submitted." in html and "climbs out of its folder" in html
    assert not Submission.objects.exists()


def test_form_upload_error_without_javascript_is_a_400_page(open_hw1, student):
    response = client_for(student).post(url("create", open_hw1), {"sources_statement": "None"})
    assert response.status_code == 400
    assert "The submission is empty" in response.content.decode()


def test_student_lists_and_downloads_everything(open_hw1, student, other_student):
    sub = submission_create(
        assignment=open_hw1,
        student=student,
        sources_statement="None",
        uploads=uploads(("hw.zip", make_zip({"model.py": py("z = 3\n")}))),
    )
    c = client_for(student)
    mine = c.get(reverse("submissions:mine", args=[open_hw1.course.slug])).content.decode()
    assert "model.py" in mine and "hw.zip" in mine
    for f in sub.files.all():
        response = c.get(url("file", open_hw1, sub.pk, f.pk))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == (
            py("z = 3\n") if f.kind == "file" else make_zip({"model.py": py("z = 3\n")})
        )
    # Someone else's submission does not exist, as far as another student can tell.
    other = client_for(other_student)
    assert other.get(url("receipt", open_hw1, sub.pk)).status_code == 404
    assert other.get(url("file", open_hw1, sub.pk, sub.files.first().pk)).status_code == 404


def test_activate_an_earlier_submission_from_the_page(open_hw1, student):
    first = submission_create(
        assignment=open_hw1,
        student=student,
        sources_statement="None",
        uploads=uploads(("a.py", py("a\n"))),
    )
    submission_create(
        assignment=open_hw1,
        student=student,
        sources_statement="None",
        uploads=uploads(("a.py", py("b\n"))),
    )
    c = client_for(student)
    assert "Make this the one that counts" in c.get(url("assignment", open_hw1)).content.decode()
    c.post(url("activate", open_hw1, first.pk))
    first.refresh_from_db()
    assert first.is_active


def test_staff_see_the_sources_statement_beside_the_code(open_hw1, student, ta):
    sub = submission_create(
        assignment=open_hw1,
        student=student,
        uploads=uploads(("model.py", py("import torch\n"))),
        sources_statement="Loss from the WGAN-GP paper's reference code",
    )
    html = client_for(ta).get(url("receipt", open_hw1, sub.pk)).content.decode()
    assert "import torch" in html
    assert 'aria-label="Sources statement"' in html and "WGAN-GP paper" in html
    staff = client_for(ta).get(url("staff", open_hw1)).content.decode()
    assert "WGAN-GP paper" in staff
    # The student's own receipt has the statement but no code preview panel.
    assert (
        'aria-label="Sources statement"'
        not in client_for(student).get(url("receipt", open_hw1, sub.pk)).content.decode()
    )


def test_student_sees_who_entered_emailed_work(hw1, student, ta):
    due = hw1.due_at
    submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        by=ta,
        emailed_at=due - timedelta(minutes=3),
        staff_note="Site unreachable at 23:50",
        now=due + timedelta(hours=30),
    )
    html = client_for(student).get(url("assignment", hw1)).content.decode()
    assert "entered by terry" in html
    assert "Fri 22 Sep, 11:56 PM EDT" in html


def test_instructor_grants_an_extension_with_the_form_in_course_time(open_hw1, student, instructor):
    response = client_for(instructor).post(
        url("extension-grant", open_hw1),
        {
            "student": student.memberships.get().pk,
            "due_at": "2030-01-10T23:59",
            "reason": "surgery",
        },
    )
    assert response.status_code == 302
    ext = Extension.objects.get()
    assert (
        ext.due_at.astimezone(open_hw1.course.zone).strftime("%Y-%m-%d %H:%M %Z")
        == "2030-01-10 23:59 EST"
    )


def test_ta_cannot_grant_extensions(open_hw1, student, ta):
    response = client_for(ta).post(
        url("extension-grant", open_hw1),
        {
            "student": student.memberships.get().pk,
            "due_at": "2030-01-10T23:59",
            "reason": "x",
        },
    )
    assert response.status_code == 403 and not Extension.objects.exists()


def test_staff_record_emailed_work_with_the_form(hw1, student, ta):
    response = client_for(ta).post(
        url("emailed-create", hw1),
        {
            "student": student.memberships.get().pk,
            "emailed_at": "2023-09-22T23:58:30",
            "staff_note": "Site down",
            "sources_statement": "None",
            "files": [SimpleUploadedFile("model.py", py())],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sub = Submission.objects.get()
    assert (sub.lateness, sub.submitted_by, sub.student) == ("on_time", ta, student)


def test_regrade_form_warns_and_needs_the_checkbox(hw1, student, ta, instructor):
    submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        now=hw1.due_at - timedelta(hours=1),
    )
    grade_record_rubric(student=student, assignment=hw1, points=50, by=ta, why="rubric")
    grade_release(assignment=hw1, by=instructor)
    c = client_for(student)
    page = c.get(url("assignment", hw1)).content.decode()
    assert "may be higher or lower" in page and 'name="acknowledged_may_lower"' in page
    c.post(url("regrade", hw1), {"reason": "Q2"})
    assert not student.grades.get().regrade_requests.exists()
    c.post(url("regrade", hw1), {"reason": "Q2", "acknowledged_may_lower": "on"})
    assert student.grades.get().regrade_requests.count() == 1


def test_pages_are_only_for_the_course(open_hw1, outsider, student):
    assert client_for(outsider).get(url("assignment", open_hw1)).status_code == 404
    assert client_for(student).get(url("staff", open_hw1)).status_code == 403
    anonymous = Client().get(url("assignment", open_hw1))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
