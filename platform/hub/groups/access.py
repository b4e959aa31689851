"""Reaching a group set or a group always goes through the course's access checks first."""

from __future__ import annotations

from django.http import Http404

from hub.courses.access import access_course, access_course_as_instructor, access_course_as_staff
from hub.courses.models import Membership

from .models import Group, GroupSet, PresentationSlot


def _id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such object") from None


_CHECKS = {
    "member": access_course,
    "staff": access_course_as_staff,
    "instructor": access_course_as_instructor,
}


def access_group_set(
    user, slug: str, set_id: int, *, role: str = "member"
) -> tuple[GroupSet, Membership]:
    course, membership = _CHECKS[role](user, slug)
    group_set = (
        GroupSet.objects.select_related("course").filter(course=course, pk=_id(set_id)).first()
    )
    if group_set is None:
        raise Http404("No such group set")
    return group_set, membership


def access_group(
    user, slug: str, set_id: int, group_id: int, *, role: str = "member"
) -> tuple[Group, Membership]:
    group_set, membership = access_group_set(user, slug, set_id, role=role)
    group = (
        Group.objects.select_related("group_set__course")
        .filter(group_set=group_set, pk=_id(group_id))
        .first()
    )
    if group is None:
        raise Http404("No such group")
    return group, membership


def slot_in(group_set: GroupSet, slot_id) -> PresentationSlot:
    slot = (
        PresentationSlot.objects.select_related("session")
        .filter(group_set=group_set, pk=_id(slot_id))
        .first()
    )
    if slot is None:
        raise Http404("No such slot")
    return slot
