import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from hub.groups.models import Group, GroupMembership, GroupSet, SlotAssignment
from hub.groups.services import group_create, group_join

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_groups_index_lists_sets_and_offers_setup_to_the_instructor(
    course, discussion_set, instructor, student
):
    url = reverse("groups:index", args=[course.slug])
    page = client_for(instructor).get(url).content.decode()
    assert "Paper discussion groups" in page and "Set up groups" in page
    assert "Set up groups" not in client_for(student).get(url).content.decode()


def test_instructor_sets_up_project_groups_from_the_page(course, instructor):
    response = client_for(instructor).post(
        reverse("groups:set_create", args=[course.slug]),
        {
            "kind": "project",
            "min_size": "1",
            "max_size": "4",
            "signup_closes_at": "2023-10-02T17:00",
        },
    )
    group_set = GroupSet.objects.get(course=course, kind="project")
    assert response.status_code == 302 and response.url == reverse(
        "groups:set", args=[course.slug, group_set.pk]
    )
    # 5 pm in New York on 2 Oct 2023 (EDT) is 21:00 UTC.
    assert group_set.signup_closes_at.isoformat() == "2023-10-02T21:00:00+00:00"


@pytest.mark.parametrize(
    "who, expected", [("outsider", 404), ("other_ta", 404), ("student", 200), ("ta", 200)]
)
def test_set_page_access(course, discussion_set, request, who, expected):
    response = client_for(request.getfixturevalue(who)).get(
        reverse("groups:set", args=[course.slug, discussion_set.pk])
    )
    assert response.status_code == expected


def test_student_starts_a_group_with_htmx_and_gets_the_panel_back(
    course, discussion_set, student, django_capture_on_commit_callbacks
):
    url = reverse("groups:create", args=[course.slug, discussion_set.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(student).post(url, {"name": "Diffusion Crew"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # the partial, not the whole page
    assert "Diffusion Crew" in body and "Your group" in body and "Save topic" in body
    assert GroupMembership.objects.filter(student=student, group__name="Diffusion Crew").exists()
    assert mail.outbox[0].to == [student.email]


def test_without_htmx_the_form_redirects_back_with_the_error(
    course, discussion_set, student, other_student
):
    group_create(group_set=discussion_set, name="Taken", by=student)
    client = client_for(other_student)
    response = client.post(
        reverse("groups:create", args=[course.slug, discussion_set.pk]),
        {"name": "taken"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(
        "groups:set", args=[course.slug, discussion_set.pk]
    )
    assert "already a group called" in response.content.decode()


def test_student_sees_join_buttons_only_for_groups_with_room(course, discussion_set, make_student):
    a, b, c, d = (make_student(n) for n in "abcd")
    full = group_create(group_set=discussion_set, name="Full", by=a)
    group_join(group=full, student=b)
    group_join(group=full, student=c)
    open_ = group_create(group_set=discussion_set, name="Open", by=make_student("e"))
    page = (
        client_for(d)
        .get(reverse("groups:set", args=[course.slug, discussion_set.pk]))
        .content.decode()
    )
    assert reverse("groups:join", args=[course.slug, discussion_set.pk, open_.pk]) in page
    assert reverse("groups:join", args=[course.slug, discussion_set.pk, full.pk]) not in page


def test_instructor_reassigns_a_slot_from_the_page(course, discussion_set, student, instructor):
    group = group_create(group_set=discussion_set, name="G", by=student)
    last = discussion_set.slots.order_by("session__starts_at").last()
    response = client_for(instructor).post(
        reverse("groups:slot_assign", args=[course.slug, discussion_set.pk, group.pk]),
        {"slot": last.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert SlotAssignment.objects.get(group=group).slot == last
    assert "G presents on" in response.content.decode()


def test_student_cannot_use_instructor_forms(course, discussion_set, student, other_student):
    group = group_create(group_set=discussion_set, name="G", by=student)
    response = client_for(other_student).post(
        reverse("groups:member_add", args=[course.slug, discussion_set.pk, group.pk]),
        {"student": "bob"},
    )
    assert response.status_code == 403
    assert not Group.objects.get(pk=group.pk).memberships.filter(student=other_student).exists()


def test_bad_ids_are_404_not_500(course, discussion_set, student, instructor):
    group = group_create(group_set=discussion_set, name="G", by=student)
    response = client_for(instructor).post(
        reverse("groups:slot_assign", args=[course.slug, discussion_set.pk, group.pk]),
        {"slot": "not-a-number"},
    )
    assert response.status_code == 404


def test_grades_page_records_group_grade_and_adjustment(
    course, discussion_set, student, other_student, ta
):
    group = group_create(group_set=discussion_set, name="G", by=student)
    group_join(group=group, student=other_student)
    url = reverse("groups:grades", args=[course.slug, discussion_set.pk, "paper-discussion-report"])
    client = client_for(ta)
    client.post(url, {"group": group.pk, "points": "80"})
    client.post(
        url,
        {
            "group": group.pk,
            "student": "alice",
            "adjustment": "-3",
            "reason": "Absent at rehearsal",
        },
    )
    page = client.get(url).content.decode()
    assert "<strong>alice</strong>: 77" in page and "<strong>bob</strong>: 80" in page
    assert client_for(student).get(url).status_code == 403


def test_set_page_queries_do_not_grow_with_the_class(
    course, discussion_set, make_student, instructor
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("groups:set", args=[course.slug, discussion_set.pk])
    client = client_for(instructor)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    group_create(group_set=discussion_set, name="G0", by=make_student("s0"))
    few = queries()
    for i in range(1, 6):
        g = group_create(group_set=discussion_set, name=f"G{i}", by=make_student(f"s{i}"))
        group_join(group=g, student=make_student(f"t{i}"))
    assert queries() == few


def test_member_sees_the_groups_report_on_the_group_page(
    course, discussion_set, student, other_student
):
    from django.utils import timezone

    from hub.courses.models import Assignment
    from hub.submissions.models import Lateness, Submission

    group = group_create(group_set=discussion_set, name="G", by=student)
    group_join(group=group, student=other_student)
    report = Assignment.objects.get(course=course, slug="paper-discussion-report")
    url = reverse("groups:set", args=[course.slug, discussion_set.pk])
    assert "not submitted yet" in client_for(other_student).get(url).content.decode()
    upload = Submission.objects.create(
        assignment=report,
        student=student,
        group=group,
        created_at=timezone.now(),
        sha256="0" * 64,
        size=1,
        lateness=Lateness.ON_TIME,
        sources_statement="None",
        submitted_by=student,
    )
    page = client_for(other_student).get(url).content.decode()
    assert reverse("submissions:receipt", args=[course.slug, report.slug, upload.pk]) in page
    assert "submitted</a> by alice" in page


@pytest.mark.parametrize("name, method", [("set", "get"), ("join", "post"), ("grades", "get")])
def test_anonymous_visitors_are_sent_to_log_in(course, discussion_set, student, name, method):
    group = group_create(group_set=discussion_set, name="G", by=student)
    args = {
        "set": [course.slug, discussion_set.pk],
        "join": [course.slug, discussion_set.pk, group.pk],
        "grades": [course.slug, discussion_set.pk, "paper-discussion-report"],
    }[name]
    url = reverse(f"groups:{name}", args=args)
    response = getattr(Client(), method)(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not GroupMembership.objects.filter(group=group).exclude(student=student).exists()
