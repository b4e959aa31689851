from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from hub.courses.models import Assignment, Session
from hub.groups.models import Group, GroupMembership, GroupSet, PresentationSlot, SlotAssignment
from hub.groups.selectors import (
    group_for,
    group_may_view_submission,
    group_members,
    group_submitters_for,
    member_grade_for,
)
from hub.groups.services import (
    group_create,
    group_grade_record,
    group_join,
    group_leave,
    group_member_add,
    group_set_update,
    group_topic_set,
    member_adjustment_set,
    slot_assign,
    slot_choose,
    slots_assign_remaining,
)

pytestmark = pytest.mark.django_db


def report(course):
    return Assignment.objects.get(course=course, slug="paper-discussion-report")


# --- sets ------------------------------------------------------------------------------------------


def test_discussion_set_gets_a_slot_per_paper_discussion_session_of_weeks_8_to_11(discussion_set):
    slots = list(discussion_set.slots.select_related("session"))
    assert {s.session.week for s in slots} == {8, 9, 10, 11}
    assert all(s.session.kind == Session.Kind.DISCUSSION for s in slots)
    assert {s.round for s in slots} == {PresentationSlot.Round.DISCUSSION}
    assert list(discussion_set.assignments.values_list("slug", flat=True)) == [
        "paper-discussion-report"
    ]


def test_project_set_has_the_proposal_and_weeks_14_15_presentations_and_the_final_report(
    project_set,
):
    rounds = {}
    for s in project_set.slots.select_related("session"):
        rounds.setdefault(s.round, set()).add(s.session.week)
    assert rounds == {PresentationSlot.Round.PROPOSAL: {6}, PresentationSlot.Round.FINAL: {14, 15}}
    assert set(project_set.assignments.values_list("slug", flat=True)) == {
        "project-proposal",
        "project-presentation",
        "final-report",
    }


def test_size_range_must_be_ordered(course):
    from hub.groups.services import group_set_create

    with pytest.raises(ValidationError):
        group_set_create(course=course, kind=GroupSet.Kind.PAPER_DISCUSSION, min_size=4, max_size=2)
    with transaction.atomic(), pytest.raises(IntegrityError):
        GroupSet.objects.create(
            course=course, kind=GroupSet.Kind.PROJECT, title="x", min_size=3, max_size=2
        )


# --- joining ---------------------------------------------------------------------------------------


def test_student_creates_a_group_and_is_its_first_member(
    discussion_set, student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        group = group_create(group_set=discussion_set, name="Diffusers", by=student)
    assert group_members(group=group) == [student]
    assert group_for(student=student, assignment=report(discussion_set.course)) == group
    assert [m.to for m in mail.outbox] == [[student.email]]


def test_group_refuses_a_member_past_max_size(discussion_set, make_student):
    a, b, c, d = (make_student(n) for n in "abcd")
    group = group_create(group_set=discussion_set, name="Flows", by=a)
    group_join(group=group, student=b)
    group_join(group=group, student=c)
    with pytest.raises(ValidationError, match="full"):
        group_join(group=group, student=d)
    assert GroupMembership.objects.filter(group=group).count() == 3


def test_a_student_is_in_one_group_per_set_enforced_by_the_database(
    discussion_set, student, other_student
):
    g1 = group_create(group_set=discussion_set, name="One", by=student)
    g2 = group_create(group_set=discussion_set, name="Two", by=other_student)
    with pytest.raises(ValidationError, match="already in a group"):
        group_join(group=g2, student=student)
    with transaction.atomic(), pytest.raises(IntegrityError):
        GroupMembership.objects.create(group=g2, group_set=discussion_set, student=student)
    assert group_for(student=student, assignment=report(discussion_set.course)) == g1


def test_a_student_may_be_in_a_discussion_group_and_a_project_group(
    discussion_set, project_set, student
):
    group_create(group_set=discussion_set, name="Papers", by=student)
    group_create(group_set=project_set, name="Project", by=student)
    assert GroupMembership.objects.filter(student=student).count() == 2


def test_joining_is_refused_outside_the_signup_window(discussion_set, student, other_student):
    group = group_create(group_set=discussion_set, name="Late", by=student)
    group_set_update(
        group_set=discussion_set,
        signup_closes_at=timezone.now() - timedelta(minutes=1),
        signup_opens_at=timezone.now() - timedelta(days=2),
    )
    with pytest.raises(ValidationError, match="closed"):
        group_join(group=group, student=other_student)


def test_staff_of_another_course_or_outsider_cannot_join(discussion_set, student, outsider, ta):
    group = group_create(group_set=discussion_set, name="Ours", by=student)
    for user in (outsider, ta):
        with pytest.raises(ValidationError, match="not a student"):
            group_join(group=group, student=user)


def test_last_member_leaving_dissolves_the_group_and_frees_the_paper(
    discussion_set, student, other_student
):
    group = group_create(
        group_set=discussion_set,
        name="Solo",
        by=student,
        topic_kind="paper",
        paper_title="Denoising Diffusion Probabilistic Models",
    )
    group_leave(group=group, student=student)
    assert not Group.objects.filter(pk=group.pk).exists()
    group_create(
        group_set=discussion_set,
        name="Next",
        by=other_student,
        topic_kind="paper",
        paper_title="Denoising diffusion probabilistic models",
    )


def test_instructor_moves_a_student_and_the_student_is_emailed(
    discussion_set, student, other_student, instructor, django_capture_on_commit_callbacks
):
    g1 = group_create(group_set=discussion_set, name="One", by=student)
    g2 = group_create(group_set=discussion_set, name="Two", by=other_student)
    with django_capture_on_commit_callbacks(execute=True):
        group_member_add(group=g2, student=student, by=instructor)
    assert group_members(group=g2) == [student, other_student]
    assert not Group.objects.filter(pk=g1.pk).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [student.email]
    assert "Two" in mail.outbox[0].subject and "bob" in mail.outbox[0].body


def test_no_email_leaves_when_the_change_rolls_back(
    discussion_set, student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            group_create(group_set=discussion_set, name="Ghost", by=student)
            raise RuntimeError("rolled back")
    assert callbacks == []
    assert mail.outbox == []
    assert not Group.objects.filter(name="Ghost").exists()


# --- topics ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "generative adversarial NETS",
        "  Generative   Adversarial Nets. ",
        "GENERATIVE-ADVERSARIAL nets",
    ],
)
def test_no_two_groups_on_the_same_paper_however_it_is_typed(
    discussion_set, student, other_student, title
):
    group_create(
        group_set=discussion_set,
        name="A",
        by=student,
        topic_kind="paper",
        paper_title="Generative Adversarial Nets",
        paper_url="https://arxiv.org/abs/1406.2661",
    )
    mine = group_create(group_set=discussion_set, name="B", by=other_student)
    with pytest.raises(ValidationError, match="already chosen"):
        group_topic_set(group=mine, by=other_student, topic_kind="paper", paper_title=title)
    mine.refresh_from_db()
    assert mine.topic_kind == ""


def test_same_paper_link_in_another_form_is_the_same_paper(discussion_set, student, other_student):
    group_create(
        group_set=discussion_set,
        name="A",
        by=student,
        topic_kind="paper",
        paper_title="GANs",
        paper_url="https://arxiv.org/abs/1406.2661",
    )
    mine = group_create(group_set=discussion_set, name="B", by=other_student)
    with pytest.raises(ValidationError, match="link"):
        group_topic_set(
            group=mine,
            by=other_student,
            topic_kind="paper",
            paper_title="The GAN paper",
            paper_url="http://www.arxiv.org/pdf/1406.2661v4.pdf",
        )


def test_topic_uniqueness_is_a_database_constraint(discussion_set, student):
    group_create(
        group_set=discussion_set,
        name="A",
        by=student,
        topic_kind="survey",
        survey_area="Score-based models",
    )
    with transaction.atomic(), pytest.raises(IntegrityError):
        Group.objects.create(
            group_set=discussion_set,
            name="B",
            topic_kind="survey",
            survey_area="score based models",
            topic_key="survey:score based models",
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        Group.objects.create(
            group_set=discussion_set, name="a"
        )  # names are unique case-insensitively


def test_the_same_paper_in_different_sets_is_allowed(discussion_set, project_set, student):
    group_create(
        group_set=discussion_set, name="A", by=student, topic_kind="paper", paper_title="DDPM"
    )
    group_create(
        group_set=project_set, name="A", by=student, topic_kind="paper", paper_title="DDPM"
    )
    assert Group.objects.filter(topic_key="paper:ddpm").count() == 2


def test_only_members_choose_the_topic(discussion_set, student, other_student):
    group = group_create(group_set=discussion_set, name="A", by=student)
    with pytest.raises(ValidationError, match="members"):
        group_topic_set(group=group, by=other_student, topic_kind="survey", survey_area="Flows")
    group_topic_set(group=group, by=student, topic_kind="survey", survey_area="Flows")
    group.refresh_from_db()
    assert group.topic_label == "Survey: Flows"


# --- slots -----------------------------------------------------------------------------------------


def _full_group(group_set, name, students):
    group = group_create(group_set=group_set, name=name, by=students[0])
    for s in students[1:]:
        group_join(group=group, student=s)
    return group


def test_group_below_minimum_size_cannot_choose_a_slot(discussion_set, student):
    group = group_create(group_set=discussion_set, name="A", by=student)
    with pytest.raises(ValidationError, match="at least 2"):
        slot_choose(group=group, slot=discussion_set.slots.first(), student=student)


def test_slot_capacity_is_respected(discussion_set, make_student):
    slot = discussion_set.slots.order_by("session__starts_at").first()
    slot.capacity = 1
    slot.save(update_fields=["capacity"])
    g1 = _full_group(discussion_set, "G1", [make_student("a1"), make_student("a2")])
    g2 = _full_group(discussion_set, "G2", [make_student("b1"), make_student("b2")])
    slot_choose(group=g1, slot=slot, student=g1.memberships.first().student)
    with pytest.raises(ValidationError, match="full"):
        slot_choose(group=g2, slot=slot, student=g2.memberships.first().student)


def test_instructor_reassigns_a_slot_and_members_are_told_old_and_new(
    discussion_set, make_student, instructor, django_capture_on_commit_callbacks
):
    members = [make_student("m1"), make_student("m2")]
    group = _full_group(discussion_set, "G", members)
    first, second = discussion_set.slots.order_by("session__starts_at")[:2]
    with django_capture_on_commit_callbacks(execute=True):
        slot_assign(group=group, slot=first, by=instructor)
    assert len(mail.outbox) == 2 and "changed" not in mail.outbox[0].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        slot_assign(group=group, slot=second, by=instructor)
    assert SlotAssignment.objects.get(group=group).slot == second
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in members)
    body = mail.outbox[0].body
    assert "Was:" in body and "Now:" in body and "changed" in mail.outbox[0].subject
    # Shown in the course's zone: Wednesday 18 October 2023, 5:30 pm EDT.
    assert "Wednesday 18 October 2023, 05:30 PM EDT" in body


def test_one_slot_per_group_per_round_is_a_database_constraint(discussion_set, student, instructor):
    group = group_create(group_set=discussion_set, name="G", by=student)
    first, second = discussion_set.slots.order_by("session__starts_at")[:2]
    slot_assign(group=group, slot=first, by=instructor)
    with transaction.atomic(), pytest.raises(IntegrityError):
        SlotAssignment.objects.create(
            group=group, slot=second, round=second.round, assigned_at=timezone.now()
        )


def test_project_group_has_a_proposal_slot_and_a_final_slot(project_set, student, instructor):
    group = group_create(group_set=project_set, name="P", by=student)
    made = slots_assign_remaining(
        group_set=project_set, presentation_round="proposal", by=instructor
    )
    made += slots_assign_remaining(group_set=project_set, presentation_round="final", by=instructor)
    assert sorted((a.round, a.slot.session.week) for a in made) == [("final", 14), ("proposal", 6)]
    assert group.slot_assignments.count() == 2


def test_automatic_assignment_fills_slots_in_order(discussion_set, make_student, instructor):
    groups = [
        _full_group(discussion_set, f"G{i}", [make_student(f"s{i}a"), make_student(f"s{i}b")])
        for i in range(3)
    ]
    made = slots_assign_remaining(
        group_set=discussion_set, presentation_round="discussion", by=instructor
    )
    first, second = discussion_set.slots.order_by("session__starts_at")[:2]
    assert [(a.group, a.slot) for a in made] == [
        (groups[0], first),
        (groups[1], first),
        (groups[2], second),
    ]


# --- grades and visibility -------------------------------------------------------------------------


def test_every_member_gets_the_group_grade_plus_their_adjustment(
    discussion_set, student, other_student, ta
):
    group = group_create(group_set=discussion_set, name="G", by=student)
    group_join(group=group, student=other_student)
    assignment = report(discussion_set.course)
    grade = group_grade_record(group=group, assignment=assignment, points=Decimal("85"), by=ta)
    member_adjustment_set(
        group_grade=grade,
        student=other_student,
        points=Decimal("-10"),
        reason="Did not present",
        by=ta,
    )
    assert member_grade_for(student=student, assignment=assignment).points == Decimal("85")
    bob = member_grade_for(student=other_student, assignment=assignment)
    assert (bob.group_points, bob.adjustment, bob.points, bob.reason) == (
        85,
        -10,
        75,
        "Did not present",
    )


def test_adjusted_grade_stays_within_the_assignment_points(discussion_set, student, ta):
    group = group_create(group_set=discussion_set, name="G", by=student)
    assignment = report(discussion_set.course)
    grade = group_grade_record(group=group, assignment=assignment, points=Decimal("98"), by=ta)
    member_adjustment_set(
        group_grade=grade, student=student, points=Decimal("5"), reason="Led the discussion", by=ta
    )
    assert member_grade_for(student=student, assignment=assignment).points == assignment.max_points


def test_adjustment_needs_a_reason_and_a_member(discussion_set, student, other_student, ta):
    group = group_create(group_set=discussion_set, name="G", by=student)
    grade = group_grade_record(
        group=group, assignment=report(discussion_set.course), points=80, by=ta
    )
    with pytest.raises(ValidationError, match="why"):
        member_adjustment_set(group_grade=grade, student=student, points=5, reason=" ", by=ta)
    with pytest.raises(ValidationError, match="not a member"):
        member_adjustment_set(group_grade=grade, student=other_student, points=5, reason="x", by=ta)


def test_group_grade_only_for_the_sets_assignments(discussion_set, student, ta, course):
    group = group_create(group_set=discussion_set, name="G", by=student)
    hw1 = Assignment.objects.get(course=course, slug="hw1")
    with pytest.raises(ValidationError, match="not graded per group"):
        group_grade_record(group=group, assignment=hw1, points=10, by=ta)


def test_group_submitters_and_submission_visibility(
    discussion_set, student, other_student, make_student, course
):
    carol = make_student("carol")
    group = group_create(group_set=discussion_set, name="G", by=student)
    group_join(group=group, student=other_student)
    assignment = report(course)
    assert group_submitters_for(student=other_student, assignment=assignment) == [
        student,
        other_student,
    ]
    assert group_submitters_for(student=carol, assignment=assignment) == [carol]
    hw1 = Assignment.objects.get(course=course, slug="hw1")
    assert group_submitters_for(student=student, assignment=hw1) == [student]

    report_upload = _submission(student=student, assignment=assignment, group=group)
    homework = _submission(student=student, assignment=hw1, group=None)
    assert group_may_view_submission(user=other_student, submission=report_upload)
    assert group_may_view_submission(user=student, submission=report_upload)
    assert not group_may_view_submission(user=carol, submission=report_upload)
    assert not group_may_view_submission(user=other_student, submission=homework)


def _submission(*, student, assignment, group):
    """A submission row as hub.submissions stores it (its files do not matter here)."""
    from hub.submissions.models import Lateness, Submission

    return Submission.objects.create(
        assignment=assignment,
        student=student,
        group=group,
        created_at=timezone.now(),
        sha256="0" * 64,
        size=1,
        lateness=Lateness.ON_TIME,
        sources_statement="None",
        submitted_by=student,
    )


def test_group_with_a_submission_survives_its_last_member_leaving(discussion_set, student, course):
    group = group_create(
        group_set=discussion_set, name="Kept", by=student, topic_kind="survey", survey_area="VAEs"
    )
    _submission(student=student, assignment=report(course), group=group)
    group_leave(group=group, student=student)
    assert Group.objects.filter(pk=group.pk).exists()
    assert group_members(group=group) == []


def test_a_member_who_joins_later_sees_the_groups_report(
    discussion_set, student, other_student, course
):
    from hub.submissions.access import access_submission_by_id

    group = group_create(group_set=discussion_set, name="G", by=student)
    upload = _submission(student=student, assignment=report(course), group=group)
    with pytest.raises(Http404):
        access_submission_by_id(other_student, upload.pk)
    group_join(group=group, student=other_student)
    seen, _ = access_submission_by_id(other_student, upload.pk)
    assert seen == upload


def test_member_grades_go_through_the_submissions_grade_service_with_history(
    discussion_set, student, other_student, ta
):
    from hub.submissions.models import Grade, GradeChange

    group = group_create(group_set=discussion_set, name="G", by=student)
    group_join(group=group, student=other_student)
    assignment = report(discussion_set.course)
    grade = group_grade_record(group=group, assignment=assignment, points=Decimal("90"), by=ta)
    member_adjustment_set(
        group_grade=grade, student=student, points=Decimal("-5"), reason="Missed rehearsal", by=ta
    )
    totals = {g.student.username: g.total for g in Grade.objects.filter(assignment=assignment)}
    assert totals == {"alice": Decimal("85"), "bob": Decimal("90")}
    history = GradeChange.objects.filter(
        grade__student=student, grade__assignment=assignment
    ).order_by("id")
    assert [(Decimal(c.new_value), c.by) for c in history if c.part == "rubric"] == [
        (90, ta),
        (85, ta),
    ]
    assert "Missed rehearsal" in history.last().why
