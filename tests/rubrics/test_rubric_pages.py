"""The rubric pages: editor, queue, grading page with the PDF beside the rubric, htmx toggles."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hub.rubrics.models import RubricApplication, RubricItem
from hub.submissions.models import Grade

pytestmark = pytest.mark.django_db


def _grade_url(course, hw1, submission):
    return reverse("rubrics:grade", args=[course.slug, hw1.slug, submission.pk])


def test_grading_page_shows_the_pdf_beside_the_rubric_with_shortcuts(
    client, course, ta, student, hw1, rubric, submit_pdf
):
    submission = submit_pdf(student, hw1)
    client.force_login(ta)
    response = client.get(_grade_url(course, hw1, submission))
    assert response.status_code == 200
    body = response.content.decode()
    pdf = submission.files.get(name="answers.pdf")
    assert (
        f'src="{reverse("rubrics:file", args=[course.slug, hw1.slug, submission.pk, pdf.pk])}"'
        in body
    )
    assert 'title="Submitted PDF: answers.pdf"' in body
    assert 'aria-keyshortcuts="1"' in body and 'aria-pressed="false"' in body
    assert "rubrics/grading.js" in body


def test_the_pdf_is_served_inline_to_staff_and_may_be_framed_by_the_site(
    client, course, ta, student, hw1, submit_pdf
):
    submission = submit_pdf(student, hw1)
    pdf = submission.files.get(name="answers.pdf")
    url = reverse("rubrics:file", args=[course.slug, hw1.slug, submission.pk, pdf.pk])
    client.force_login(ta)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
    txt = submission.files.get(name="vae.py")
    response = client.get(
        reverse("rubrics:file", args=[course.slug, hw1.slug, submission.pk, txt.pk])
    )
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Security-Policy"] == "sandbox"


def test_htmx_toggle_returns_the_panel_with_the_item_pressed(
    client, course, ta, student, hw1, rubric, submit_pdf
):
    _, _, items = rubric
    submission = submit_pdf(student, hw1)
    client.force_login(ta)
    url = reverse(
        "rubrics:toggle", args=[course.slug, hw1.slug, submission.pk, items["q1_full"].pk]
    )
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="rubric-panel"')
    assert body.count('aria-pressed="true"') == 1
    # Q2 deducts from full credit, so it shows 5 of 5 already, but it is not graded yet.
    assert "Rubric: 15 / 15" in body and "1 of 2 questions graded" in body
    assert RubricApplication.objects.filter(submission=submission, item=items["q1_full"]).exists()


def test_plain_form_toggle_redirects_back_to_the_grading_page(
    client, course, ta, student, hw1, rubric, submit_pdf
):
    _, _, items = rubric
    submission = submit_pdf(student, hw1)
    client.force_login(ta)
    for key in ("q1_partial", "q2_ok"):
        response = client.post(
            reverse("rubrics:toggle", args=[course.slug, hw1.slug, submission.pk, items[key].pk])
        )
        assert response.status_code == 302 and response["Location"] == _grade_url(
            course, hw1, submission
        )
    assert Grade.objects.get(student=student, assignment=hw1).total == Decimal(9)


def test_editor_edits_an_item_for_everyone_and_says_how_many(
    client, course, ta, students, hw1, rubric, submit_pdf
):
    _, _, items = rubric
    client.force_login(ta)
    for s in students[:2]:
        sub = submit_pdf(s, hw1)
        for key in ("q1_partial", "q2_ok"):
            client.post(
                reverse("rubrics:toggle", args=[course.slug, hw1.slug, sub.pk, items[key].pk])
            )
    response = client.post(
        reverse("rubrics:item_update", args=[course.slug, hw1.slug, items["q1_partial"].pk]),
        {"title": "Jensen step only", "points": "5", "comment": "Half credit"},
        follow=True,
    )
    assert "applies to 2 submissions, rescored" in response.content.decode()
    assert [
        g.total for g in Grade.objects.filter(assignment=hw1).order_by("student__username")
    ] == [Decimal(10)] * 2
    assert RubricItem.objects.get(pk=items["q1_partial"].pk).comment == "Half credit"


def test_editor_adds_questions_and_items(client, course, ta, hw1):
    client.force_login(ta)
    edit = reverse("rubrics:edit", args=[course.slug, hw1.slug])
    client.post(
        reverse("rubrics:question_create", args=[course.slug, hw1.slug]),
        {"title": "Reparameterisation", "max_points": "6", "scoring": "positive"},
    )
    question = hw1.rubric_questions.get()
    client.post(
        reverse("rubrics:item_create", args=[course.slug, hw1.slug, question.pk]),
        {"title": "Correct", "points": "6", "comment": ""},
    )
    body = client.get(edit).content.decode()
    assert "Q1. Reparameterisation" in body and "Correct" in body and "<kbd>1</kbd>" in body
    response = client.post(
        reverse("rubrics:question_update", args=[course.slug, hw1.slug, question.pk]),
        {"title": "Reparameterisation trick", "max_points": "7", "scoring": "negative"},
        follow=True,
    )
    assert "Question 1 saved; 0 graded submissions rescored." in response.content.decode()
    question.refresh_from_db()
    assert (question.title, question.max_points, question.scoring) == (
        "Reparameterisation trick",
        7,
        "negative",
    )
    bad = client.post(
        reverse("rubrics:question_create", args=[course.slug, hw1.slug]),
        {"title": "Too much", "max_points": "500", "scoring": "positive"},
    )
    assert bad.status_code == 422 and "worth" in bad.content.decode()


def test_only_staff_reach_the_rubric_pages(
    client, course, student, outsider, other_ta, hw1, rubric, submit_pdf
):
    _, _, items = rubric
    submission = submit_pdf(student, hw1)
    pdf = submission.files.get(name="answers.pdf")
    gets = [
        reverse("rubrics:edit", args=[course.slug, hw1.slug]),
        reverse("rubrics:queue", args=[course.slug, hw1.slug]),
        _grade_url(course, hw1, submission),
        reverse("rubrics:file", args=[course.slug, hw1.slug, submission.pk, pdf.pk]),
    ]
    posts = [
        reverse("rubrics:toggle", args=[course.slug, hw1.slug, submission.pk, items["q1_full"].pk]),
        reverse("rubrics:item_update", args=[course.slug, hw1.slug, items["q1_full"].pk]),
    ]
    for user, expected in ((student, 403), (outsider, 404), (other_ta, 404)):
        client.force_login(user)
        for url in gets:
            assert client.get(url).status_code == expected, url
        for url in posts:
            assert client.post(url, {"title": "x", "points": "100"}).status_code == expected, url
    assert not RubricApplication.objects.exists()
    assert RubricItem.objects.get(pk=items["q1_full"].pk).points == 10


def test_queue_lists_submissions_with_progress(
    client, course, ta, students, hw1, rubric, submit_pdf
):
    _, _, items = rubric
    subs = [submit_pdf(s, hw1) for s in students]
    client.force_login(ta)
    client.post(
        reverse("rubrics:toggle", args=[course.slug, hw1.slug, subs[0].pk, items["q1_full"].pk])
    )
    response = client.get(reverse("rubrics:queue", args=[course.slug, hw1.slug]))
    body = response.content.decode()
    assert "0 of 3 submissions fully graded" in body and "1 / 2" in body
    assert reverse("rubrics:grade", args=[course.slug, hw1.slug, subs[0].pk]) in body


def test_grading_page_queries_do_not_grow_with_the_number_of_submissions(
    client, course, ta, hw1, rubric, submit_pdf, django_user_model
):
    from hub.courses.models import Membership

    from ..factories import MembershipFactory, UserFactory

    def enroll(n, prefix):
        return [
            MembershipFactory(
                course=course,
                user=UserFactory(username=f"{prefix}{i}"),
                role=Membership.Role.STUDENT,
            ).user
            for i in range(n)
        ]

    first = [submit_pdf(s, hw1) for s in enroll(2, "a")]
    client.force_login(ta)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_grade_url(course, hw1, first[0])).status_code == 200
            assert (
                client.get(reverse("rubrics:queue", args=[course.slug, hw1.slug])).status_code
                == 200
            )
        return len(ctx.captured_queries)

    small = count()
    for s in enroll(6, "b"):
        submit_pdf(s, hw1)
    assert count() == small


def test_students_read_their_own_rubric_feedback_once_released(
    client, course, instructor, ta, student, other_student, hw1, rubric, submit_pdf
):
    from hub.submissions.services import grade_release

    _, _, items = rubric
    mine = submit_pdf(student, hw1)
    theirs = submit_pdf(other_student, hw1)
    for sub, keys in (
        (mine, ("q1_sign", "q1_full", "q2_ok")),
        (theirs, ("q1_partial", "q2_missing")),
    ):
        for key in keys:
            client.force_login(ta)
            client.post(
                reverse("rubrics:toggle", args=[course.slug, hw1.slug, sub.pk, items[key].pk])
            )
    url = reverse("rubrics:feedback", args=[course.slug, hw1.slug])
    client.force_login(student)
    assert "has not been released yet" in client.get(url).content.decode()
    grade_release(assignment=hw1, by=instructor)
    body = client.get(url).content.decode()
    assert (
        "Check the sign of the KL" in body
        and "Well done" in body
        and "<strong>13.000</strong>" in body
    )
    assert "Jensen step only" not in body  # applied to someone else, not shown here
    client.force_login(other_student)
    other = client.get(url).content.decode()
    assert "Missing closed form" in other and "Check the sign of the KL" not in other
