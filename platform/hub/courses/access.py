"""Every view and API endpoint reaches a course through these, so access rules live in one place.

A non-member gets 404, not 403: a student of one course cannot learn that another exists.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Course, Membership


def access_course(user, slug: str) -> tuple[Course, Membership]:
    if not user.is_authenticated:
        raise Http404("No such course")
    membership = (
        Membership.objects.select_related("course").filter(course__slug=slug, user=user).first()
    )
    if membership is None:
        raise Http404("No such course")
    return membership.course, membership


def access_course_as_staff(user, slug: str) -> tuple[Course, Membership]:
    course, membership = access_course(user, slug)
    if not membership.is_staff:
        raise PermissionDenied("Only the course's staff may do this")
    return course, membership


def access_course_as_instructor(user, slug: str) -> tuple[Course, Membership]:
    course, membership = access_course(user, slug)
    if not membership.is_instructor:
        raise PermissionDenied("Only the instructor may do this")
    return course, membership
