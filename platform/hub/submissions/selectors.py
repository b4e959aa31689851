"""Reads of the submissions app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from hub.courses.models import Assignment, Membership

from .deadlines import EffectiveDeadline, deadlines_effective_for
from .models import Grade, GradeChange, RegradeRequest, Submission, SubmissionFile
from .store import manifest_entries, manifest_text


def _mine(*, student, assignment: Assignment) -> Q:
    """The student's own submissions, and on group work those of the student's group."""
    if assignment.group_work:
        from hub.groups.selectors import group_for

        group = group_for(student=student, assignment=assignment)
        if group is not None:
            return Q(student=student) | Q(group=group)
    return Q(student=student)


def submissions_for(*, student, assignment: Assignment) -> QuerySet[Submission]:
    """Every submission of a student (or their group) on an assignment, newest first."""
    return (
        Submission.objects.filter(
            _mine(student=student, assignment=assignment), assignment=assignment
        )
        .select_related("assignment__course", "submitted_by", "student")
        .prefetch_related("files")
        .order_by("-created_at", "-id")
    )


def submissions_of_student(*, student, course=None) -> QuerySet[Submission]:
    """Everything a student handed in (optionally in one course), for the 'my submissions' list."""
    qs = Submission.objects.filter(student=student).select_related(
        "assignment__course", "submitted_by"
    )
    if course is not None:
        qs = qs.filter(assignment__course=course)
    return qs.prefetch_related("files").order_by("-created_at", "-id")


def submission_active_for(*, student, assignment: Assignment) -> Submission | None:
    """The submission that counts for the student (their group's, on group work)."""
    return Submission.objects.filter(
        _mine(student=student, assignment=assignment), assignment=assignment, is_active=True
    ).first()


def submissions_active_for_assignment(*, assignment: Assignment) -> QuerySet[Submission]:
    """The submission that counts for each student, for the staff's view of an assignment."""
    return (
        Submission.objects.filter(assignment=assignment, is_active=True)
        .select_related("student", "submitted_by")
        .prefetch_related(
            Prefetch("files", queryset=SubmissionFile.objects.order_by("kind", "name"))
        )
        .order_by("student__username")
    )


def submission_manifest(*, submission: Submission) -> str:
    """The lines whose sha256 is the submission's sha256 (see store.bundle_sha256)."""
    return manifest_text(manifest_entries(submission.files.all()))


def grade_for(*, student, assignment: Assignment) -> Grade | None:
    return (
        Grade.objects.filter(student=student, assignment=assignment)
        .select_related("submission", "assignment__course")
        .first()
    )


def grade_visible_to(*, student, assignment: Assignment) -> Grade | None:
    """The grade as the student may see it: only once released."""
    grade = grade_for(student=student, assignment=assignment)
    return grade if grade is not None and grade.released_at is not None else None


def grade_history(*, grade: Grade) -> QuerySet[GradeChange]:
    return GradeChange.objects.filter(grade=grade).select_related("by").order_by("at", "id")


def regrade_requests_for(*, student, assignment: Assignment) -> QuerySet[RegradeRequest]:
    return RegradeRequest.objects.filter(
        grade__student=student, grade__assignment=assignment
    ).order_by("-created_at")


def regrades_open(*, assignment: Assignment) -> QuerySet[RegradeRequest]:
    """Open regrades: every manual part of these students' grades is to be graded again."""
    return (
        RegradeRequest.objects.filter(
            grade__assignment=assignment, status=RegradeRequest.Status.OPEN
        )
        .select_related("grade__student", "grade__submission")
        .order_by("created_at")
    )


def regrade_window_closes(*, grade: Grade) -> datetime | None:
    if grade.released_at is None:
        return None
    return grade.released_at + grade.assignment.course.regrade_window


@dataclass
class StudentDeadline:
    student: object
    deadline: EffectiveDeadline


def deadlines_of_students(*, assignment: Assignment) -> list[StudentDeadline]:
    """Each student's effective deadline on an assignment (the staff's view of who has what);
    a fixed number of queries whatever the size of the class."""
    members = list(
        Membership.objects.filter(course=assignment.course, role=Membership.Role.STUDENT)
        .select_related("user")
        .order_by("user__username")
    )
    deadlines = deadlines_effective_for(
        assignments=[assignment], students=[m.user for m in members]
    )
    return [StudentDeadline(m.user, deadlines[(m.user.pk, assignment.pk)]) for m in members]
