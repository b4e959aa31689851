"""Reads of the groups app, including the functions the submissions and gradebook apps call."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from hub.courses.models import Assignment, Course

from .models import (
    Group,
    GroupGrade,
    GroupMembership,
    GroupSet,
    GroupSetAssignment,
    PresentationSlot,
    SlotAssignment,
)
from .services import MemberGrade, member_points

User = get_user_model()


# --- for the submissions app ---------------------------------------------------------------------


def group_for(*, student, assignment: Assignment) -> Group | None:
    """The student's group for a group-work assignment; None if the assignment is individual
    or the student has no group yet."""
    membership = (
        GroupMembership.objects.filter(
            student=student, group_set__set_assignments__assignment=assignment
        )
        .select_related("group__group_set")
        .first()
    )
    return membership.group if membership else None


def group_members(*, group: Group) -> list:
    return [
        m.student
        for m in GroupMembership.objects.filter(group=group)
        .select_related("student")
        .order_by("student__username")
    ]


def group_submitters_for(*, student, assignment: Assignment) -> list:
    """Whose submissions count as this student's for the assignment: the group's members, or
    the student alone. `Submission.objects.filter(assignment=a, student__in=...)` finds the
    group's one report whichever member uploaded it."""
    group = group_for(student=student, assignment=assignment)
    return group_members(group=group) if group is not None else [student]


def group_may_view_submission(*, user, submission) -> bool:
    """True when `user` submitted it or is in the same group for its assignment.

    Works from `submission.group_id` when the Submission model has a group link, otherwise from the
    submitter's group. Staff access is the caller's business (hub.courses.access)."""
    if submission.student_id == user.pk:
        return True
    group_id = getattr(submission, "group_id", None)
    if group_id is None:
        group = group_for(student=submission.student, assignment=submission.assignment)
        if group is None:
            return False
        group_id = group.pk
    return GroupMembership.objects.filter(group_id=group_id, student=user).exists()


def is_group_assignment(*, assignment: Assignment) -> bool:
    return GroupSetAssignment.objects.filter(assignment=assignment).exists()


# --- grades --------------------------------------------------------------------------------------


def member_grade_for(*, student, assignment: Assignment) -> MemberGrade | None:
    """The student's grade from their group's grade and their own adjustment; None if ungraded."""
    group = group_for(student=student, assignment=assignment)
    if group is None:
        return None
    grade = (
        GroupGrade.objects.filter(group=group, assignment=assignment)
        .select_related("assignment")
        .first()
    )
    if grade is None:
        return None
    adjustment = grade.adjustments.filter(student=student).first()
    delta = adjustment.points if adjustment else Decimal(0)
    return MemberGrade(
        student=student,
        group_points=grade.points,
        adjustment=delta,
        reason=adjustment.reason if adjustment else "",
        points=member_points(
            group_points=grade.points, adjustment=delta, max_points=assignment.max_points
        ),
    )


# --- pages ---------------------------------------------------------------------------------------


@dataclass
class GroupRow:
    group: Group
    members: list
    slots: dict  # round -> SlotAssignment
    is_full: bool
    is_incomplete: bool


@dataclass
class SlotRow:
    slot: PresentationSlot
    groups: list
    is_full: bool


@dataclass
class GroupSetOverview:
    group_set: GroupSet
    groups: list[GroupRow]
    slots: list[SlotRow]
    rounds: list[tuple[str, str]]
    assignments: list[Assignment]
    my_group: Group | None
    unassigned_students: list  # staff only: students of the course in no group of the set


def group_sets_of(*, course: Course) -> QuerySet[GroupSet]:
    return GroupSet.objects.filter(course=course).order_by("kind")


def group_set_overview(
    *, group_set: GroupSet, user, include_unassigned: bool = False
) -> GroupSetOverview:
    """Everything the set's page shows, in a fixed number of queries whatever the class size."""
    memberships = GroupMembership.objects.select_related("student").order_by("student__username")
    slot_assignments = SlotAssignment.objects.select_related("slot__session")
    groups = list(
        Group.objects.filter(group_set=group_set)
        .prefetch_related(
            Prefetch("memberships", queryset=memberships),
            Prefetch("slot_assignments", queryset=slot_assignments),
        )
        .order_by("name")
    )
    rows = []
    my_group = None
    for g in groups:
        members = [m.student for m in g.memberships.all()]
        if any(m.pk == user.pk for m in members):
            my_group = g
        rows.append(
            GroupRow(
                group=g,
                members=members,
                slots={a.round: a for a in g.slot_assignments.all()},
                is_full=len(members) >= group_set.max_size,
                is_incomplete=len(members) < group_set.min_size,
            )
        )
    by_id = {g.pk: g for g in groups}
    slots = []
    for slot in (
        PresentationSlot.objects.filter(group_set=group_set)
        .select_related("session")
        .prefetch_related("assignments")
        .order_by("session__starts_at")
    ):
        taken = [by_id[a.group_id] for a in slot.assignments.all() if a.group_id in by_id]
        slots.append(SlotRow(slot=slot, groups=taken, is_full=len(taken) >= slot.capacity))
    rounds = [
        (r, PresentationSlot.Round(r).label) for r in dict.fromkeys(s.slot.round for s in slots)
    ]
    unassigned = []
    if include_unassigned:
        unassigned = list(
            User.objects.filter(memberships__course=group_set.course, memberships__role="student")
            .exclude(group_memberships__group_set=group_set)
            .order_by("username")
        )
    assignments = list(
        Assignment.objects.filter(group_set_link__group_set=group_set).order_by("due_at")
    )
    return GroupSetOverview(group_set, rows, slots, rounds, assignments, my_group, unassigned)


def group_grades_of(*, group_set: GroupSet, assignment: Assignment) -> dict[int, GroupGrade]:
    grades = GroupGrade.objects.filter(
        group__group_set=group_set, assignment=assignment
    ).prefetch_related("adjustments")
    return {g.group_id: g for g in grades}


def group_work_of(*, student, group_set: GroupSet) -> list[tuple[Assignment, object]]:
    """Each of the set's deliverables with the submission that counts for the student's group."""
    from hub.submissions.selectors import submission_active_for

    assignments = Assignment.objects.filter(group_set_link__group_set=group_set).order_by("due_at")
    return [(a, submission_active_for(student=student, assignment=a)) for a in assignments]
