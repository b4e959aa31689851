"""Access checks of the submissions app; every view and API endpoint goes through them.

Like `hub.courses.access`, someone outside the course gets 404; a student asking for another
student's submission also gets 404, so ids reveal nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from hub.courses.access import access_course, access_course_as_instructor, access_course_as_staff
from hub.courses.models import Assignment, Course, Membership

from .models import RegradeRequest, Submission, SubmissionFile


def _assignment(course: Course, assignment_slug: str) -> Assignment:
    assignment = (
        Assignment.objects.select_related("course")
        .filter(course=course, slug=assignment_slug)
        .first()
    )
    if assignment is None:
        raise Http404("No such assignment")
    return assignment


def access_assignment(user, slug: str, assignment_slug: str) -> tuple[Assignment, Membership]:
    course, membership = access_course(user, slug)
    return _assignment(course, assignment_slug), membership


def access_assignment_as_student(
    user, slug: str, assignment_slug: str
) -> tuple[Assignment, Membership]:
    assignment, membership = access_assignment(user, slug, assignment_slug)
    if membership.role != Membership.Role.STUDENT:
        raise PermissionDenied("Only students of the course submit work")
    return assignment, membership


def access_assignment_as_staff(
    user, slug: str, assignment_slug: str
) -> tuple[Assignment, Membership]:
    course, membership = access_course_as_staff(user, slug)
    return _assignment(course, assignment_slug), membership


def access_assignment_as_instructor(
    user, slug: str, assignment_slug: str
) -> tuple[Assignment, Membership]:
    course, membership = access_course_as_instructor(user, slug)
    return _assignment(course, assignment_slug), membership


def access_submission_by_id(
    user, submission_id: int, *, assignment: Assignment | None = None
) -> tuple[Submission, Membership]:
    """The submission's own student and the course's staff may see it; nobody else learns it exists."""
    if not user.is_authenticated:
        raise Http404("No such submission")
    submission = (
        Submission.objects.select_related("assignment__course", "student", "submitted_by")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or (assignment is not None and submission.assignment_id != assignment.pk):
        raise Http404("No such submission")
    membership = Membership.objects.filter(
        course_id=submission.assignment.course_id, user=user
    ).first()
    if membership is None:
        raise Http404("No such submission")
    if not (
        membership.is_staff or submission.student_id == user.pk or _same_group(user, submission)
    ):
        raise Http404("No such submission")
    return submission, membership


def _same_group(user, submission: Submission) -> bool:
    if submission.group_id is None:
        return False
    from hub.groups.selectors import group_may_view_submission

    return group_may_view_submission(user=user, submission=submission)


def access_submission_file(
    user, submission_id: int, file_id: int, *, assignment: Assignment | None = None
) -> SubmissionFile:
    submission, _ = access_submission_by_id(user, submission_id, assignment=assignment)
    file = SubmissionFile.objects.filter(submission=submission, pk=file_id).first()
    if file is None:
        raise Http404("No such file")
    return file


def access_regrade_as_staff(user, regrade_id: int, *, assignment: Assignment) -> RegradeRequest:
    regrade = (
        RegradeRequest.objects.select_related("grade__assignment__course", "grade__student")
        .filter(pk=regrade_id, grade__assignment=assignment)
        .first()
    )
    if regrade is None:
        raise Http404("No such regrade request")
    access_course_as_staff(user, assignment.course.slug)
    return regrade
