from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from hub.courses.models import Assignment
from hub.groups.models import Group, GroupSet, SlotAssignment
from hub.groups.selectors import member_grade_for
from hub.groups.services import group_create, group_join

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def base(course, group_set=None):
    url = f"/api/courses/{course.slug}/groups/"
    return url if group_set is None else f"{url}{group_set.pk}/"


def test_instructor_sets_up_paper_discussion_groups(course, instructor):
    response = api(instructor).post(
        base(course) + "create/",
        {"kind": "paper_discussion", "min_size": 2, "max_size": 3},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["assignments"] == ["paper-discussion-report"]
    again = api(instructor).post(
        base(course) + "create/",
        {"kind": "paper_discussion", "min_size": 2, "max_size": 3},
        format="json",
    )
    assert again.status_code == 400


def test_size_range_refused_when_reversed(course, instructor):
    response = api(instructor).post(
        base(course) + "create/", {"kind": "project", "min_size": 5, "max_size": 2}, format="json"
    )
    assert response.status_code == 400
    assert not GroupSet.objects.exists()


@pytest.mark.parametrize(
    "who, expected", [("student", 403), ("ta", 403), ("outsider", 404), ("other_ta", 404)]
)
def test_only_the_instructor_sets_up_groups(course, request, who, expected):
    user = request.getfixturevalue(who)
    response = api(user).post(
        base(course) + "create/", {"kind": "project", "min_size": 1, "max_size": 3}, format="json"
    )
    assert response.status_code == expected


def test_anonymous_gets_401(course, discussion_set):
    assert api().get(base(course, discussion_set)).status_code in (401, 403)


def test_student_of_another_course_sees_404_everywhere(course, discussion_set, student, outsider):
    group = group_create(group_set=discussion_set, name="G", by=student)
    client = api(outsider)
    assert client.get(base(course)).status_code == 404
    assert client.get(base(course, discussion_set)).status_code == 404
    assert client.post(base(course, discussion_set) + f"groups/{group.pk}/join/").status_code == 404
    assert (
        client.post(
            base(course, discussion_set) + "groups/create/", {"name": "X"}, format="json"
        ).status_code
        == 404
    )


def test_a_set_of_another_course_is_404_even_for_its_own_staff(
    course, other_course, discussion_set, other_ta
):
    # other_ta is staff of other_course, asking for our set under their own course's slug.
    assert (
        api(other_ta)
        .get(f"/api/courses/{other_course.slug}/groups/{discussion_set.pk}/")
        .status_code
        == 404
    )


def test_student_creates_joins_chooses_topic_and_slot(
    course, discussion_set, student, other_student
):
    url = base(course, discussion_set)
    created = api(student).post(
        url + "groups/create/",
        {
            "name": "Scorers",
            "topic_kind": "paper",
            "paper_title": "Score-Based Generative Modeling through SDEs",
            "paper_url": "https://arxiv.org/abs/2011.13456",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    gid = created.json()["id"]
    assert api(other_student).post(url + f"groups/{gid}/join/").status_code == 200
    slot = discussion_set.slots.order_by("session__starts_at").first()
    chosen = api(other_student).post(url + f"groups/{gid}/slot/", {"slot": slot.pk}, format="json")
    assert chosen.status_code == 200, chosen.content
    detail = api(student).get(url).json()
    assert detail["my_group"] == gid
    [g] = detail["groups"]
    assert [m["username"] for m in g["members"]] == ["alice", "bob"]
    assert g["slots"] == {"discussion": slot.pk}
    assert {s["week"] for s in detail["slots"]} == {8, 9, 10, 11}


def test_taken_paper_is_a_400_with_the_reason(course, discussion_set, student, other_student):
    group_create(
        group_set=discussion_set, name="A", by=student, topic_kind="paper", paper_title="Glow"
    )
    response = api(other_student).post(
        base(course, discussion_set) + "groups/create/",
        {"name": "B", "topic_kind": "paper", "paper_title": "GLOW"},
        format="json",
    )
    assert response.status_code == 400
    assert "already chosen" in str(response.json())
    assert not Group.objects.filter(name="B").exists()


def test_full_group_join_is_400(course, discussion_set, make_student):
    a, b, c, d = (make_student(n) for n in "abcd")
    group = group_create(group_set=discussion_set, name="G", by=a)
    group_join(group=group, student=b)
    group_join(group=group, student=c)
    response = api(d).post(base(course, discussion_set) + f"groups/{group.pk}/join/")
    assert response.status_code == 400 and "full" in str(response.json())


@pytest.mark.parametrize("who, expected", [("student", 403), ("ta", 403), ("instructor", 200)])
def test_only_the_instructor_reassigns_slots_and_members(
    course, discussion_set, request, who, expected, make_student
):
    carol = make_student("carol")
    group = group_create(group_set=discussion_set, name="G", by=carol)
    user = request.getfixturevalue(who)
    slot = discussion_set.slots.order_by("session__starts_at").last()
    url = base(course, discussion_set) + f"groups/{group.pk}/"
    assert (
        api(user).post(url + "slot/assign/", {"slot": slot.pk}, format="json").status_code
        == expected
    )
    assert SlotAssignment.objects.filter(group=group, slot=slot).exists() == (expected == 200)
    dave = make_student("dave")
    assert (
        api(user).post(url + "members/add/", {"student": "dave"}, format="json").status_code
        == expected
    )
    assert Group.objects.get(pk=group.pk).memberships.filter(student=dave).exists() == (
        expected == 200
    )


def test_instructor_cannot_add_someone_outside_the_course(
    course, discussion_set, student, instructor, outsider
):
    group = group_create(group_set=discussion_set, name="G", by=student)
    response = api(instructor).post(
        base(course, discussion_set) + f"groups/{group.pk}/members/add/",
        {"student": outsider.username},
        format="json",
    )
    assert response.status_code == 400


def test_slot_of_another_set_is_404(course, discussion_set, project_set, student, instructor):
    group = group_create(group_set=discussion_set, name="G", by=student)
    foreign = project_set.slots.first()
    response = api(instructor).post(
        base(course, discussion_set) + f"groups/{group.pk}/slot/assign/",
        {"slot": foreign.pk},
        format="json",
    )
    assert response.status_code == 404


def test_ta_grades_the_group_and_adjusts_one_member(
    course, discussion_set, student, other_student, ta
):
    group = group_create(group_set=discussion_set, name="G", by=student)
    group_join(group=group, student=other_student)
    url = base(course, discussion_set) + f"groups/{group.pk}/grades/"
    recorded = api(ta).post(
        url, {"assignment": "paper-discussion-report", "points": "88"}, format="json"
    )
    assert recorded.status_code == 200, recorded.content
    adjusted = api(ta).post(
        url + "adjust/",
        {
            "assignment": "paper-discussion-report",
            "student": "bob",
            "points": "4",
            "reason": "Wrote most of the report",
        },
        format="json",
    )
    assert adjusted.status_code == 200, adjusted.content
    assert {m["student"]: Decimal(m["points"]) for m in adjusted.json()} == {"alice": 88, "bob": 92}
    report = Assignment.objects.get(course=course, slug="paper-discussion-report")
    assert member_grade_for(student=other_student, assignment=report).points == 92


def test_students_cannot_grade(course, discussion_set, student):
    group = group_create(group_set=discussion_set, name="G", by=student)
    url = base(course, discussion_set) + f"groups/{group.pk}/grades/"
    assert (
        api(student)
        .post(url, {"assignment": "paper-discussion-report", "points": "100"}, format="json")
        .status_code
        == 403
    )


def test_schema_documents_the_groups_endpoints(course, student):
    schema = api(student).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "groups_join" in schema and "groups_grade_adjust" in schema
