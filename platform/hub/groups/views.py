"""Pages of the groups app. Anonymous visitors are sent to log in; a member of another course
gets 404 (hub.courses.access). Forms post to one small view per operation; with htmx the set's panel
is re-rendered in place (`_set_panel.html`), without it the browser is redirected back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hub.courses.access import access_course, access_course_as_instructor
from hub.courses.models import Assignment, Membership

from . import selectors, services
from .access import access_group, access_group_set, slot_in
from .models import GroupSet, PresentationSlot

User = get_user_model()


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _panel_or_redirect(request, group_set: GroupSet, membership: Membership):
    if request.headers.get("HX-Request"):
        return render(
            request, "groups/_set_panel.html", _set_context(request, group_set, membership)
        )
    return redirect("groups:set", slug=group_set.course.slug, set_id=group_set.pk)


def _run(request, action, success: str) -> None:
    try:
        action()
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, success)


def _set_context(request, group_set: GroupSet, membership: Membership) -> dict:
    overview = selectors.group_set_overview(
        group_set=group_set, user=request.user, include_unassigned=membership.is_staff
    )
    group_work = []
    if overview.my_group is not None:
        group_work = selectors.group_work_of(student=request.user, group_set=group_set)
    return {
        "group_work": group_work,
        "course": group_set.course,
        "membership": membership,
        "overview": overview,
        "group_set": group_set,
        "signup_open": group_set.signup_open_at(timezone.now()),
        "topic_kinds": [("paper", "A paper"), ("survey", "A survey of an area")],
    }


def _student_of(course, username: str):
    user = User.objects.filter(
        username=username, memberships__course=course, memberships__role=Membership.Role.STUDENT
    ).first()
    if user is None:
        raise ValidationError(f"{username!r} is not a student of this course.")
    return user


def _local_datetime(value: str, course) -> datetime | None:
    """A datetime-local form value, read in the course's zone."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a date and time.") from None
    return naive.replace(tzinfo=course.zone) if naive.tzinfo is None else naive


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be a whole number.") from None


def _decimal(value: str, field: str) -> Decimal:
    try:
        return Decimal(value)
    except (TypeError, InvalidOperation):
        raise ValidationError(f"{field} must be a number.") from None


# --- pages ---------------------------------------------------------------------------------------


@login_required
def index(request, slug: str):
    course, membership = access_course(request.user, slug)
    sets = list(selectors.group_sets_of(course=course))
    existing = {s.kind for s in sets}
    context = {
        "course": course,
        "membership": membership,
        "group_sets": sets,
        "kinds_left": [(k, label) for k, label in GroupSet.Kind.choices if k not in existing],
    }
    return render(request, "groups/index.html", context)


@login_required
def group_set_page(request, slug: str, set_id: int):
    group_set, membership = access_group_set(request.user, slug, set_id)
    return render(request, "groups/set.html", _set_context(request, group_set, membership))


@login_required
def grades_page(request, slug: str, set_id: int, assignment_slug: str):
    group_set, membership = access_group_set(request.user, slug, set_id, role="staff")
    assignment = Assignment.objects.filter(
        group_set_link__group_set=group_set, slug=assignment_slug
    ).first()
    if assignment is None:
        raise Http404("No such group assignment")
    if request.method == "POST":
        group, _ = access_group(request.user, slug, set_id, request.POST.get("group"), role="staff")

        def record():
            if request.POST.get("student"):
                grade = group.grades.filter(assignment=assignment).first()
                if grade is None:
                    raise ValidationError("Grade the group first.")
                services.member_adjustment_set(
                    group_grade=grade,
                    student=_student_of(group_set.course, request.POST["student"]),
                    points=_decimal(request.POST.get("adjustment", ""), "The adjustment"),
                    reason=request.POST.get("reason", ""),
                    by=request.user,
                )
            else:
                services.group_grade_record(
                    group=group,
                    assignment=assignment,
                    by=request.user,
                    points=_decimal(request.POST.get("points", ""), "Points"),
                    comment=request.POST.get("comment", ""),
                )

        _run(request, record, f"Saved the grade of {group.name}.")
        return redirect("groups:grades", slug=slug, set_id=set_id, assignment_slug=assignment_slug)
    overview = selectors.group_set_overview(group_set=group_set, user=request.user)
    grades = selectors.group_grades_of(group_set=group_set, assignment=assignment)
    rows = []
    for row in overview.groups:
        grade = grades.get(row.group.pk)
        rows.append(
            {
                "row": row,
                "grade": grade,
                "members": services.member_grades_of(group_grade=grade) if grade else [],
            }
        )
    context = {
        "course": group_set.course,
        "membership": membership,
        "group_set": group_set,
        "assignment": assignment,
        "rows": rows,
    }
    return render(request, "groups/grades.html", context)


# --- student operations --------------------------------------------------------------------------


@login_required
@require_POST
def group_create(request, slug: str, set_id: int):
    group_set, membership = access_group_set(request.user, slug, set_id)
    p = request.POST
    _run(
        request,
        lambda: services.group_create(
            group_set=group_set,
            name=p.get("name", ""),
            by=request.user,
            join=not membership.is_staff,
            as_staff=membership.is_staff,
            topic_kind=p.get("topic_kind", ""),
            paper_title=p.get("paper_title", ""),
            paper_url=p.get("paper_url", ""),
            survey_area=p.get("survey_area", ""),
        ),
        f"Group {p.get('name', '')} created.",
    )
    return _panel_or_redirect(request, group_set, membership)


@login_required
@require_POST
def group_join(request, slug: str, set_id: int, group_id: int):
    group, membership = access_group(request.user, slug, set_id, group_id)
    _run(
        request,
        lambda: services.group_join(group=group, student=request.user),
        f"You joined {group.name}.",
    )
    return _panel_or_redirect(request, group.group_set, membership)


@login_required
@require_POST
def group_leave(request, slug: str, set_id: int, group_id: int):
    group, membership = access_group(request.user, slug, set_id, group_id)
    _run(
        request,
        lambda: services.group_leave(group=group, student=request.user),
        f"You left {group.name}.",
    )
    return _panel_or_redirect(request, group.group_set, membership)


@login_required
@require_POST
def group_topic(request, slug: str, set_id: int, group_id: int):
    group, membership = access_group(request.user, slug, set_id, group_id)
    p = request.POST
    _run(
        request,
        lambda: services.group_topic_set(
            group=group,
            by=request.user,
            as_staff=membership.is_staff,
            topic_kind=p.get("topic_kind", ""),
            paper_title=p.get("paper_title", ""),
            paper_url=p.get("paper_url", ""),
            survey_area=p.get("survey_area", ""),
        ),
        f"Topic of {group.name} saved.",
    )
    return _panel_or_redirect(request, group.group_set, membership)


@login_required
@require_POST
def slot_choose(request, slug: str, set_id: int, group_id: int):
    group, membership = access_group(request.user, slug, set_id, group_id)
    slot = slot_in(group.group_set, request.POST.get("slot"))
    _run(
        request,
        lambda: services.slot_choose(group=group, slot=slot, student=request.user),
        "Slot chosen.",
    )
    return _panel_or_redirect(request, group.group_set, membership)


# --- instructor operations -----------------------------------------------------------------------


@login_required
@require_POST
def group_set_create(request, slug: str):
    course, _ = access_course_as_instructor(request.user, slug)
    p = request.POST
    kind = p.get("kind", "")

    def create():
        if kind not in GroupSet.Kind.values:
            raise ValidationError("Choose the kind of groups.")
        return services.group_set_create(
            course=course,
            kind=kind,
            title=p.get("title", ""),
            min_size=_int(p.get("min_size"), "The minimum size"),
            max_size=_int(p.get("max_size"), "The maximum size"),
            signup_opens_at=_local_datetime(p.get("signup_opens_at", ""), course),
            signup_closes_at=_local_datetime(p.get("signup_closes_at", ""), course),
        )

    _run(request, create, "Groups set up.")
    group_set = GroupSet.objects.filter(course=course, kind=kind).first()
    if group_set is None:
        return redirect("groups:index", slug=slug)
    return redirect("groups:set", slug=slug, set_id=group_set.pk)


@login_required
@require_POST
def group_set_update(request, slug: str, set_id: int):
    group_set, membership = access_group_set(request.user, slug, set_id, role="instructor")
    p = request.POST
    course = group_set.course
    _run(
        request,
        lambda: services.group_set_update(
            group_set=group_set,
            min_size=_int(p["min_size"], "The minimum size") if p.get("min_size") else None,
            max_size=_int(p["max_size"], "The maximum size") if p.get("max_size") else None,
            signup_opens_at=_local_datetime(p.get("signup_opens_at", ""), course),
            signup_closes_at=_local_datetime(p.get("signup_closes_at", ""), course),
        ),
        "Settings saved.",
    )
    group_set.refresh_from_db()
    return _panel_or_redirect(request, group_set, membership)


@login_required
@require_POST
def member_add(request, slug: str, set_id: int, group_id: int):
    group, membership = access_group(request.user, slug, set_id, group_id, role="instructor")
    username = request.POST.get("student", "")
    _run(
        request,
        lambda: services.group_member_add(
            group=group,
            student=_student_of(group.group_set.course, username),
            by=request.user,
            over_max=bool(request.POST.get("over_max")),
        ),
        f"{username} is now in {group.name}.",
    )
    return _panel_or_redirect(request, group.group_set, membership)


@login_required
@require_POST
def member_remove(request, slug: str, set_id: int, group_id: int):
    group, membership = access_group(request.user, slug, set_id, group_id, role="instructor")
    username = request.POST.get("student", "")
    _run(
        request,
        lambda: services.group_member_remove(
            group=group, student=_student_of(group.group_set.course, username), by=request.user
        ),
        f"{username} removed from {group.name}.",
    )
    return _panel_or_redirect(request, group.group_set, membership)


@login_required
@require_POST
def slot_assign(request, slug: str, set_id: int, group_id: int):
    group, membership = access_group(request.user, slug, set_id, group_id, role="instructor")
    slot = slot_in(group.group_set, request.POST.get("slot"))
    _run(
        request,
        lambda: services.slot_assign(
            group=group,
            slot=slot,
            by=request.user,
            over_capacity=bool(request.POST.get("over_capacity")),
        ),
        f"{group.name} presents on {slot.session.starts_at.astimezone(group.group_set.course.zone):%a %d %b}.",
    )
    return _panel_or_redirect(request, group.group_set, membership)


@login_required
@require_POST
def slots_assign_remaining(request, slug: str, set_id: int):
    group_set, membership = access_group_set(request.user, slug, set_id, role="instructor")
    round_ = request.POST.get("round", "")

    def assign():
        if round_ not in PresentationSlot.Round.values:
            raise ValidationError("Choose a round.")
        made = services.slots_assign_remaining(
            group_set=group_set, presentation_round=round_, by=request.user
        )
        messages.info(request, f"{len(made)} group(s) given a slot.")

    _run(request, assign, "Slots assigned.")
    return _panel_or_redirect(request, group_set, membership)


@login_required
@require_POST
def slot_update(request, slug: str, set_id: int, slot_id: int):
    group_set, membership = access_group_set(request.user, slug, set_id, role="instructor")
    slot = slot_in(group_set, slot_id)
    _run(
        request,
        lambda: services.slot_update(
            slot=slot, capacity=_int(request.POST.get("capacity"), "The capacity")
        ),
        "Capacity saved.",
    )
    return _panel_or_redirect(request, group_set, membership)
