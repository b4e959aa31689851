"""The report pages: who sees what, live status, artifacts, TA lists, reruns, leaderboards."""

import shutil
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hub.grading.models import GradingJob, Report

from .conftest import submit

pytestmark = pytest.mark.django_db

TESTS = [
    {"name": "visible_check", "score": 2, "max_score": 2, "status": "passed", "output": "ok", "visibility": "visible"},
    {"name": "secret_check", "score": 0, "max_score": 3, "status": "failed", "output": "nope", "visibility": "hidden"},
    {"name": "later_check", "score": 1, "max_score": 1, "status": "passed", "output": "", "visibility": "after_due_date"},
]


def make_report(submission, tests=TESTS, metrics=None, tmp_path=None, artifacts=()):
    job = GradingJob.objects.filter(submission=submission).order_by("-queued_at").first()
    GradingJob.objects.filter(pk=job.pk).update(status=GradingJob.Status.DONE, finished_at=timezone.now())
    results = {
        "score": sum(t["score"] for t in tests), "max_score": sum(t["max_score"] for t in tests),
        "tests": tests, "metrics": metrics or {}, "artifacts": [{"name": a, "check": "visible_check", "visibility": "visible"} for a in artifacts],
        "output": "", "stdout": "printed by the student", "stderr": "",
    }
    return Report.objects.create(
        job=job, submission=submission, score=results["score"], max_score=results["max_score"],
        results=results, artifacts_dir=str(tmp_path or ""),
    )


@pytest.fixture
def graded(toy, student):
    submission = submit(toy, student)
    make_report(submission)
    return submission


def _report_url(course, submission):
    return reverse("grading:report", args=[course.slug, submission.pk])


def test_student_sees_visible_checks_but_not_hidden_ones_before_the_due_date(client, course, graded, student):
    client.force_login(student)
    body = client.get(_report_url(course, graded)).content.decode()
    assert "visible_check" in body
    assert "secret_check" not in body and "later_check" not in body
    assert "hidden check" in body  # they are told some exist


def test_after_the_due_date_the_after_due_checks_appear(client, course, graded, student, toy):
    toy.due_at = timezone.now() - timedelta(hours=1)
    toy.save()
    client.force_login(student)
    body = client.get(_report_url(course, graded)).content.decode()
    assert "later_check" in body and "secret_check" not in body


def test_staff_see_every_check(client, course, graded, ta):
    client.force_login(ta)
    body = client.get(_report_url(course, graded)).content.decode()
    assert all(name in body for name in ("visible_check", "secret_check", "later_check"))


@pytest.mark.parametrize("who", ["other_student", "outsider", "other_ta"])
def test_nobody_else_sees_a_report(client, course, graded, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_report_url(course, graded)).status_code == 404


def test_api_status_filters_like_the_page(course, graded, student):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(student)
    data = api.get(f"/api/courses/{course.slug}/submissions/{graded.pk}/grading/").json()
    assert data["status"] == "done"
    assert [t["name"] for t in data["report"]["tests"]] == ["visible_check"]
    assert data["report"]["score"] == 2 and data["report"]["max_score"] == 2  # shown checks only


def test_live_status_polls_only_while_pending(client, course, toy, student):
    submission = submit(toy, student)
    client.force_login(student)
    url = reverse("grading:status", args=[course.slug, submission.pk])
    pending = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in pending and "Queued" in pending
    make_report(submission)
    done = client.get(url).content.decode()
    assert "hx-trigger" not in done and "visible_check" in done


def test_artifacts_are_served_by_listed_name_only(client, course, toy, student, tmp_path):
    submission = submit(toy, student)
    (tmp_path / "visible_check-grid.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret")
    report = make_report(submission, tmp_path=tmp_path, artifacts=["visible_check-grid.png"])
    client.force_login(student)
    url = lambda name: reverse("grading:artifact", args=[course.slug, submission.pk, report.pk, name])  # noqa: E731
    ok = client.get(url("visible_check-grid.png"))
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == b"\x89PNG fake"
    assert client.get(url("secret.png")).status_code == 404
    assert client.get(url("..%2F..%2Fetc%2Fpasswd")).status_code == 404


def test_reports_list_filters_by_failing_check_and_is_for_staff(client, course, toy, student, other_student, ta):
    make_report(submit(toy, student))
    make_report(submit(toy, other_student), tests=[dict(TESTS[0])])
    url = reverse("grading:reports", args=[course.slug, toy.slug])
    client.force_login(ta)
    everyone = client.get(url).content.decode()
    assert "alice" in everyone and "bob" in everyone
    failing = client.get(url, {"failing": "secret_check"}).content.decode()
    assert "alice" in failing and "bob" not in failing
    client.force_login(student)
    assert client.get(url).status_code == 403


def test_staff_rerun_queues_a_job_and_students_cannot(client, course, graded, ta, student):
    url = reverse("grading:rerun", args=[course.slug, graded.pk])
    client.force_login(student)
    assert client.post(url).status_code == 403
    client.force_login(ta)
    assert client.post(url).status_code == 302
    assert GradingJob.objects.filter(submission=graded, reason="rerun", status="queued").count() == 1


def test_after_a_regrade_old_and_new_reports_are_side_by_side(client, course, graded, ta):
    from hub.grading.services import grading_job_rerun

    grading_job_rerun(submission=graded, reason="Regrade request")
    better = [dict(TESTS[0]), dict(TESTS[1], score=3, status="passed"), dict(TESTS[2])]
    make_report(graded, tests=better)
    client.force_login(ta)
    body = client.get(_report_url(course, graded)).content.decode()
    assert "Compared with the previous report" in body
    assert body.count('class="badge">changed') == 1


def test_leaderboard_ranks_pseudonyms_and_the_instructor_can_hide_it(
    client, course, toy, student, other_student, instructor, tmp_path, settings
):
    shutil.copytree(settings.ASSIGNMENTS_DIR / "toy", tmp_path / "toy")
    spec = tmp_path / "toy" / "spec.toml"
    spec.write_text(spec.read_text() + '\n[leaderboard]\nmetric = "fid"\norder = "asc"\n')
    settings.ASSIGNMENTS_DIR = tmp_path
    make_report(submit(toy, student), metrics={"samples": {"fid": 12.5}})
    make_report(submit(toy, other_student), metrics={"samples": {"fid": 7.25}})
    url = reverse("grading:leaderboard", args=[course.slug, toy.slug])
    for user, alias in ((student, "Fréchet fan"), (other_student, "bob-the-builder")):
        client.force_login(user)
        client.post(url, {"alias": alias})
    client.force_login(other_student)
    assert client.post(url, {"alias": "Fréchet fan"}).status_code == 302  # taken: refused with a message
    body = client.get(url).content.decode()
    assert "is taken" in body
    table = body.split("<tbody>")[1]
    assert table.index("bob-the-builder") < table.index("Fréchet fan")  # lower FID ranks first
    assert "(you)" in body and "alice" not in body
    client.force_login(instructor)
    client.post(url, {"hidden": "1"})
    client.force_login(student)
    hidden = client.get(url).content.decode()
    assert "hidden this leaderboard" in hidden and "bob-the-builder" not in hidden
    client.post(url, {"hidden": "0"})  # students cannot show it again
    assert "bob-the-builder" not in client.get(url).content.decode()


def test_reports_list_and_report_page_queries_do_not_grow_with_the_class(client, course, toy, ta):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import MembershipFactory, UserFactory

    def add_students(n, start):
        for i in range(start, start + n):
            user = UserFactory(username=f"s{i}")
            MembershipFactory(course=course, user=user)
            make_report(submit(toy, user))

    client.force_login(ta)
    url = reverse("grading:reports", args=[course.slug, toy.slug])
    add_students(3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_students(9, 3)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert body.count("<tr>") - 1 == 12
    assert len(many) == len(few)
    submission = toy.submissions.first()
    with CaptureQueriesContext(connection) as page:
        assert client.get(_report_url(course, submission)).status_code == 200
    assert len(page) <= 20


def test_students_download_the_starter_code_with_the_files_the_grader_shares(client, course, student, outsider, settings):
    import io
    import zipfile
    from pathlib import Path

    from ..factories import AssignmentFactory

    settings.ASSIGNMENTS_DIR = Path(__file__).resolve().parents[2] / "assignments"
    hw2 = AssignmentFactory(course=course, slug="hw2-copy", autograder="hw2")
    url = reverse("grading:starter", args=[course.slug, hw2.slug])
    client.force_login(student)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert {"hw2-copy/README.md", "hw2-copy/common.py", "hw2-copy/denoiser.safetensors", "hw2-copy/gan.py"} <= names
    assert not any("checks.py" in n or "reference" in n or "bugs" in n for n in names)
    client.force_login(outsider)
    assert client.get(url).status_code == 404
