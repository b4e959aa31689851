"""Writes of the groups app.

Every state change is one transaction; emails leave on commit, never for a change that rolled back.
Rows that a concurrent request could fill (a group's last place, a slot's last place) are locked
with select_for_update before they are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from hub.courses.models import Assignment, Course, GradeComponent, Membership, Session

from .models import (
    DEFAULT_SLOT_CAPACITY,
    Group,
    GroupGrade,
    GroupMembership,
    GroupSet,
    GroupSetAssignment,
    MemberAdjustment,
    PresentationSlot,
    SlotAssignment,
)
from .topics import paper_url_key_for, topic_key_for

COMPONENT_OF_KIND = {
    GroupSet.Kind.PAPER_DISCUSSION: GradeComponent.Key.PAPER_DISCUSSION,
    GroupSet.Kind.PROJECT: GradeComponent.Key.FINAL_PROJECT,
}
SESSION_KIND_OF_ROUND = {
    PresentationSlot.Round.DISCUSSION: Session.Kind.DISCUSSION,
    PresentationSlot.Round.PROPOSAL: Session.Kind.PRESENTATION,
    PresentationSlot.Round.FINAL: Session.Kind.PRESENTATION,
}
ROUNDS_OF_KIND = {
    GroupSet.Kind.PAPER_DISCUSSION: (PresentationSlot.Round.DISCUSSION,),
    GroupSet.Kind.PROJECT: (PresentationSlot.Round.PROPOSAL, PresentationSlot.Round.FINAL),
}


# --- helpers -------------------------------------------------------------------------------------


def _is_student_of(course: Course, user) -> bool:
    return Membership.objects.filter(
        course=course, user=user, role=Membership.Role.STUDENT
    ).exists()


def _require_student(course: Course, user) -> None:
    if not _is_student_of(course, user):
        raise ValidationError(f"{user} is not a student of this course.")


def _require_signup_open(group_set: GroupSet) -> None:
    if not group_set.signup_open_at(timezone.now()):
        raise ValidationError("Group sign-up is closed; ask the instructor.")


def _notify(*, users, subject: str, body: str) -> None:
    """Email each user separately (no one sees the others' addresses), once the transaction commits."""
    from django.conf import settings

    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users if u.email]
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))


def _session_label(session: Session, course: Course) -> str:
    local = session.starts_at.astimezone(course.zone)
    return f"{local:%A %d %B %Y, %I:%M %p} {local.tzname()} (week {session.week}: {session.topic})"


def _members(group: Group) -> list:
    return [
        m.student for m in GroupMembership.objects.filter(group=group).select_related("student")
    ]


# --- group sets ----------------------------------------------------------------------------------


def _round_of(group_set: GroupSet, session: Session) -> str | None:
    if group_set.kind == GroupSet.Kind.PAPER_DISCUSSION:
        return (
            PresentationSlot.Round.DISCUSSION if session.kind == Session.Kind.DISCUSSION else None
        )
    if session.kind != Session.Kind.PRESENTATION:
        return None
    return (
        PresentationSlot.Round.PROPOSAL
        if "proposal" in session.topic.lower()
        else PresentationSlot.Round.FINAL
    )


@transaction.atomic
def group_set_create(
    *,
    course: Course,
    kind: str,
    min_size: int,
    max_size: int,
    signup_opens_at: datetime | None = None,
    signup_closes_at: datetime | None = None,
    title: str = "",
    slot_capacity: int = DEFAULT_SLOT_CAPACITY,
    assignments: list[Assignment] | None = None,
) -> GroupSet:
    """The set, its group-work assignments and one slot per session of the right kind.

    Without `assignments`, the course's group-work assignments of the matching grade component
    (the paper-discussion report; the proposal, presentations and final report) are linked.
    """
    group_set = GroupSet(
        course=course,
        kind=kind,
        title=title or GroupSet.Kind(kind).label + " groups",
        min_size=min_size,
        max_size=max_size,
        signup_opens_at=signup_opens_at,
        signup_closes_at=signup_closes_at,
    )
    group_set.full_clean()
    group_set.save()
    if assignments is None:
        assignments = list(
            Assignment.objects.filter(
                course=course, group_work=True, component__key=COMPONENT_OF_KIND[kind]
            )
        )
    for assignment in assignments:
        if assignment.course_id != course.pk:
            raise ValidationError(f"{assignment} is not an assignment of this course.")
        link = GroupSetAssignment(group_set=group_set, assignment=assignment)
        link.full_clean()
        link.save()
    sessions = [
        s
        for s in Session.objects.filter(course=course).order_by("starts_at")
        if _round_of(group_set, s)
    ]
    per_round: dict[str, int] = {}
    for s in sessions:
        per_round[_round_of(group_set, s)] = per_round.get(_round_of(group_set, s), 0) + 1
    students = Membership.objects.filter(course=course, role=Membership.Role.STUDENT).count()
    for s in sessions:
        round_ = _round_of(group_set, s)
        # A round held in one session (the proposal presentations) hears every group that day.
        capacity = max(slot_capacity, students) if per_round[round_] == 1 else slot_capacity
        PresentationSlot.objects.create(
            group_set=group_set, session=s, round=round_, capacity=capacity
        )
    return group_set


@transaction.atomic
def group_set_update(
    *,
    group_set: GroupSet,
    min_size: int | None = None,
    max_size: int | None = None,
    signup_opens_at: datetime | None = None,
    signup_closes_at: datetime | None = None,
    clear_signup_window: bool = False,
) -> GroupSet:
    """Change the size range or the sign-up window. Existing groups above a lowered maximum keep
    their members; they only stop accepting new ones."""
    fields = []
    if min_size is not None:
        group_set.min_size = min_size
        fields.append("min_size")
    if max_size is not None:
        group_set.max_size = max_size
        fields.append("max_size")
    if clear_signup_window:
        group_set.signup_opens_at = group_set.signup_closes_at = None
        fields += ["signup_opens_at", "signup_closes_at"]
    if signup_opens_at is not None:
        group_set.signup_opens_at = signup_opens_at
        fields.append("signup_opens_at")
    if signup_closes_at is not None:
        group_set.signup_closes_at = signup_closes_at
        fields.append("signup_closes_at")
    group_set.full_clean(exclude=["course"])
    group_set.save(update_fields=sorted(set(fields)) or None)
    return group_set


@transaction.atomic
def slot_update(*, slot: PresentationSlot, capacity: int) -> PresentationSlot:
    if capacity < slot.assignments.count():
        raise ValidationError("More groups already present in this slot; move some first.")
    slot.capacity = capacity
    slot.full_clean()
    slot.save(update_fields=["capacity"])
    return slot


# --- groups and members --------------------------------------------------------------------------


def _add_member(*, group: Group, student, added_by, enforce_max: bool = True) -> GroupMembership:
    """Inside a transaction, with `group` locked: the count below cannot change under us."""
    count = GroupMembership.objects.filter(group=group).count()
    if enforce_max and count >= group.group_set.max_size:
        raise ValidationError(f"{group.name} is full ({group.group_set.max_size} members).")
    membership = GroupMembership(
        group=group, group_set_id=group.group_set_id, student=student, added_by=added_by
    )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        raise ValidationError(f"{student} is already in a group of this set.") from None
    others = [m for m in _members(group) if m.pk != student.pk]
    names = ", ".join(u.get_full_name() or u.username for u in others) or "no one else yet"
    _notify(
        users=[student],
        subject=f"[{group.group_set.course.code}] You are in the group {group.name}",
        body=(
            f"You have been added to the group {group.name} ({group.group_set.title}).\n"
            f"Members with you: {names}.\n"
        ),
    )
    return membership


def _lock_group(group: Group) -> Group:
    return Group.objects.select_for_update().select_related("group_set__course").get(pk=group.pk)


def _set_topic(
    group: Group, *, topic_kind: str, paper_title: str, paper_url: str, survey_area: str
) -> None:
    paper_title, paper_url, survey_area = (
        paper_title.strip(),
        paper_url.strip(),
        survey_area.strip(),
    )
    if topic_kind == Group.TopicKind.PAPER:
        if not paper_title:
            raise ValidationError({"paper_title": "A paper needs its title."})
        group.paper_title, group.paper_url, group.survey_area = paper_title, paper_url, ""
        group.topic_key = topic_key_for(kind="paper", text=paper_title)
        group.paper_url_key = paper_url_key_for(paper_url)
        if not group.topic_key:
            raise ValidationError({"paper_title": "The title has no words."})
    elif topic_kind == Group.TopicKind.SURVEY:
        if not survey_area:
            raise ValidationError({"survey_area": "Name the area of the survey."})
        group.paper_title, group.paper_url, group.survey_area = "", "", survey_area
        group.topic_key = topic_key_for(kind="survey", text=survey_area)
        group.paper_url_key = ""
        if not group.topic_key:
            raise ValidationError({"survey_area": "The area has no words."})
    elif topic_kind == Group.TopicKind.NONE:
        group.paper_title = group.paper_url = group.survey_area = group.topic_key = (
            group.paper_url_key
        ) = ""
    else:
        raise ValidationError({"topic_kind": f"Unknown topic kind {topic_kind!r}."})
    group.topic_kind = topic_kind


def _save_group(group: Group, **kwargs) -> None:
    group.full_clean(exclude=["created_by"], validate_unique=False, validate_constraints=False)
    problem = _taken_problem(group)
    if problem:
        raise ValidationError(problem)
    # A concurrent request may take the name or paper between the check above and the write:
    # the database's unique constraints decide.
    try:
        with transaction.atomic():
            group.save(**kwargs)
    except IntegrityError:
        raise ValidationError(
            _taken_problem(group) or "This group's name or topic is already taken."
        ) from None


def _taken_problem(group: Group) -> str:
    others = Group.objects.filter(group_set_id=group.group_set_id).exclude(pk=group.pk)
    if others.filter(name__iexact=group.name).exists():
        return f"There is already a group called {group.name}."
    if group.topic_key and others.filter(topic_key=group.topic_key).exists():
        return f"Another group has already chosen “{group.topic_label}”."
    if group.paper_url_key and others.filter(paper_url_key=group.paper_url_key).exists():
        return "Another group has already chosen the paper at this link."
    return ""


@transaction.atomic
def group_create(
    *,
    group_set: GroupSet,
    name: str,
    by,
    join: bool = True,
    topic_kind: str = Group.TopicKind.NONE,
    paper_title: str = "",
    paper_url: str = "",
    survey_area: str = "",
    as_staff: bool = False,
) -> Group:
    """A student creates a group and joins it (sign-up must be open); staff may create empty ones."""
    if not as_staff:
        _require_signup_open(group_set)
        _require_student(group_set.course, by)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "The group needs a name."})
    group = Group(group_set=group_set, name=name, created_by=by)
    _set_topic(
        group,
        topic_kind=topic_kind,
        paper_title=paper_title,
        paper_url=paper_url,
        survey_area=survey_area,
    )
    _save_group(group)
    if join:
        _add_member(group=_lock_group(group), student=by, added_by=by)
    return group


@transaction.atomic
def group_join(*, group: Group, student) -> GroupMembership:
    """The student takes a place in the group; refused when it is full, even if two ask at once."""
    group = _lock_group(group)
    _require_signup_open(group.group_set)
    _require_student(group.group_set.course, student)
    return _add_member(group=group, student=student, added_by=student)


@transaction.atomic
def group_leave(*, group: Group, student) -> None:
    """A student leaves during sign-up; the last one out dissolves the group and frees its topic."""
    group = _lock_group(group)
    _require_signup_open(group.group_set)
    _remove_member(group=group, student=student)


def _remove_member(*, group: Group, student) -> None:
    deleted, _ = GroupMembership.objects.filter(group=group, student=student).delete()
    if not deleted:
        raise ValidationError(f"{student} is not in {group.name}.")
    if GroupMembership.objects.filter(group=group).exists() or group.grades.exists():
        return
    try:
        with transaction.atomic():
            group.delete()
    except ProtectedError:
        pass  # the group's submissions keep it (and its topic) on record


@transaction.atomic
def group_member_add(*, group: Group, student, by, over_max: bool = False) -> GroupMembership:
    """Staff put a student in a group, moving them out of their current group of the set if any.

    `over_max` lets the instructor exceed the size range deliberately.
    """
    _require_student(group.group_set.course, student)
    current = GroupMembership.objects.filter(
        group_set_id=group.group_set_id, student=student
    ).first()
    # Lock both groups in id order so that two moves in opposite directions cannot deadlock.
    ids = sorted({group.pk} | ({current.group_id} if current else set()))
    locked = {
        g.pk: g
        for g in Group.objects.select_for_update()
        .select_related("group_set__course")
        .filter(pk__in=ids)
    }
    if group.pk not in locked:
        raise ValidationError("That group no longer exists.")
    target = locked[group.pk]
    if current is not None:
        if current.group_id == target.pk:
            return current
        _remove_member(group=locked[current.group_id], student=student)
    return _add_member(group=target, student=student, added_by=by, enforce_max=not over_max)


@transaction.atomic
def group_member_remove(*, group: Group, student, by) -> None:
    _remove_member(group=_lock_group(group), student=student)


@transaction.atomic
def group_topic_set(
    *,
    group: Group,
    by,
    topic_kind: str,
    paper_title: str = "",
    paper_url: str = "",
    survey_area: str = "",
    as_staff: bool = False,
) -> Group:
    """Choose the paper (title, link) or the survey area; no two groups of a set on one paper."""
    group = _lock_group(group)
    if not as_staff:
        _require_signup_open(group.group_set)
        if not GroupMembership.objects.filter(group=group, student=by).exists():
            raise ValidationError("Only the group's members choose its topic.")
    _set_topic(
        group,
        topic_kind=topic_kind,
        paper_title=paper_title,
        paper_url=paper_url,
        survey_area=survey_area,
    )
    _save_group(
        group,
        update_fields=[
            "topic_kind",
            "paper_title",
            "paper_url",
            "survey_area",
            "topic_key",
            "paper_url_key",
        ],
    )
    return group


# --- presentation slots --------------------------------------------------------------------------


def _assign_slot(
    *, group: Group, slot: PresentationSlot, by, enforce_capacity: bool = True
) -> SlotAssignment:
    """Inside a transaction. Locks the slot, so two groups cannot both take its last place."""
    slot = (
        PresentationSlot.objects.select_for_update()
        .select_related("session", "group_set__course")
        .get(pk=slot.pk)
    )
    if slot.group_set_id != group.group_set_id:
        raise ValidationError("That slot belongs to another set of groups.")
    current = (
        SlotAssignment.objects.select_for_update().filter(group=group, round=slot.round).first()
    )
    if current is not None and current.slot_id == slot.pk:
        return current
    taken = SlotAssignment.objects.filter(slot=slot).count()
    if enforce_capacity and taken >= slot.capacity:
        raise ValidationError(f"The slot on {slot.session.starts_at:%d %b} is full.")
    course = slot.group_set.course
    previous = None
    if current is not None:
        previous = PresentationSlot.objects.select_related("session").get(pk=current.slot_id)
        current.slot, current.assigned_by, current.assigned_at = slot, by, timezone.now()
        current.save(update_fields=["slot", "assigned_by", "assigned_at"])
        assignment = current
    else:
        assignment = SlotAssignment(
            group=group, slot=slot, round=slot.round, assigned_by=by, assigned_at=timezone.now()
        )
        try:
            with transaction.atomic():
                assignment.save()
        except IntegrityError:
            raise ValidationError(f"{group.name} already has a slot for this round.") from None
    when = _session_label(slot.session, course)
    if previous is None:
        body = f"{group.name} presents ({slot.get_round_display()}) on {when}.\n"
        subject = f"[{course.code}] Presentation slot for {group.name}"
    else:
        body = (
            f"{group.name}'s presentation ({slot.get_round_display()}) has moved.\n"
            f"Was: {_session_label(previous.session, course)}\nNow: {when}\n"
        )
        subject = f"[{course.code}] Presentation slot changed for {group.name}"
    _notify(users=_members(group), subject=subject, body=body)
    return assignment


@transaction.atomic
def slot_choose(*, group: Group, slot: PresentationSlot, student) -> SlotAssignment:
    """A member picks the group's slot during sign-up; the group must have reached the minimum size."""
    group = _lock_group(group)
    _require_signup_open(group.group_set)
    if not GroupMembership.objects.filter(group=group, student=student).exists():
        raise ValidationError("Only the group's members choose its slot.")
    if GroupMembership.objects.filter(group=group).count() < group.group_set.min_size:
        raise ValidationError(
            f"A group needs at least {group.group_set.min_size} members to choose a slot."
        )
    return _assign_slot(group=group, slot=slot, by=student)


@transaction.atomic
def slot_assign(
    *, group: Group, slot: PresentationSlot, by, over_capacity: bool = False
) -> SlotAssignment:
    """The instructor gives a group a slot, or moves it to another; members are emailed."""
    return _assign_slot(
        group=_lock_group(group), slot=slot, by=by, enforce_capacity=not over_capacity
    )


@transaction.atomic
def slots_assign_remaining(
    *, group_set: GroupSet, presentation_round: str, by
) -> list[SlotAssignment]:
    """Give every group without a slot in this round the earliest slot with room, in name order.

    Groups that do not fit stay without a slot (the result says who got one)."""
    made = []
    slots = list(
        PresentationSlot.objects.filter(group_set=group_set, round=presentation_round).order_by(
            "session__starts_at"
        )
    )
    waiting = (
        Group.objects.filter(group_set=group_set)
        .exclude(slot_assignments__round=presentation_round)
        .order_by("name")
    )
    for group in waiting:
        for slot in slots:
            if SlotAssignment.objects.filter(slot=slot).count() < slot.capacity:
                made.append(_assign_slot(group=_lock_group(group), slot=slot, by=by))
                break
    return made


# --- group grades --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberGrade:
    student: object
    group_points: Decimal
    adjustment: Decimal
    reason: str
    points: Decimal  # group points + adjustment, kept within 0..max points


def member_points(*, group_points: Decimal, adjustment: Decimal, max_points: Decimal) -> Decimal:
    return min(max(group_points + adjustment, Decimal(0)), Decimal(max_points))


def _require_group_assignment(group: Group, assignment: Assignment) -> None:
    if not GroupSetAssignment.objects.filter(
        group_set_id=group.group_set_id, assignment=assignment
    ).exists():
        raise ValidationError(f"{assignment} is not graded per group in {group.group_set.title}.")


@transaction.atomic
def group_grade_record(
    *, group: Group, assignment: Assignment, points: Decimal, by, comment: str = ""
) -> GroupGrade:
    """Record (or replace) the group's grade, then give each member their share."""
    _require_group_assignment(group, assignment)
    points = Decimal(points)
    if not 0 <= points <= assignment.max_points:
        raise ValidationError({"points": f"Points must be between 0 and {assignment.max_points}."})
    grade, _ = GroupGrade.objects.select_for_update().update_or_create(
        group=group,
        assignment=assignment,
        defaults={
            "points": points,
            "comment": comment,
            "recorded_by": by,
            "recorded_at": timezone.now(),
        },
    )
    group_grade_push(group_grade=grade, by=by)
    return grade


@transaction.atomic
def member_adjustment_set(
    *, group_grade: GroupGrade, student, points: Decimal, reason: str, by
) -> MemberAdjustment | None:
    """Set one member's adjustment (zero removes it) and push the member's new grade."""
    if not GroupMembership.objects.filter(group_id=group_grade.group_id, student=student).exists():
        raise ValidationError(f"{student} is not a member of {group_grade.group}.")
    points = Decimal(points)
    adjustment = None
    if points == 0:
        MemberAdjustment.objects.filter(group_grade=group_grade, student=student).delete()
    else:
        if not reason.strip():
            raise ValidationError(
                {"reason": "Say why this member's grade differs from the group's."}
            )
        adjustment, _ = MemberAdjustment.objects.update_or_create(
            group_grade=group_grade,
            student=student,
            defaults={
                "points": points,
                "reason": reason.strip(),
                "recorded_by": by,
                "recorded_at": timezone.now(),
            },
        )
    group_grade_push(group_grade=group_grade, by=by)
    return adjustment


def member_grades_of(*, group_grade: GroupGrade) -> list[MemberGrade]:
    adjustments = {a.student_id: a for a in group_grade.adjustments.all()}
    max_points = group_grade.assignment.max_points
    result = []
    for student in _members(group_grade.group):
        a = adjustments.get(student.pk)
        adjustment = a.points if a else Decimal(0)
        result.append(
            MemberGrade(
                student=student,
                group_points=group_grade.points,
                adjustment=adjustment,
                reason=a.reason if a else "",
                points=member_points(
                    group_points=group_grade.points, adjustment=adjustment, max_points=max_points
                ),
            )
        )
    return result


def group_grade_push(*, group_grade: GroupGrade, by) -> list[MemberGrade]:
    """Write each member's grade (group points + adjustment) through the submissions app's
    `grade_record_rubric`, which keeps the grade's history; unchanged grades record nothing."""
    from hub.submissions.services import grade_record_rubric

    grades = member_grades_of(group_grade=group_grade)
    for g in grades:
        why = f"Group grade of {group_grade.group.name}: {group_grade.points}"
        if g.adjustment:
            why += f", {g.adjustment:+} for this member ({g.reason})"
        grade_record_rubric(
            student=g.student, assignment=group_grade.assignment, points=g.points, by=by, why=why
        )
    return grades
