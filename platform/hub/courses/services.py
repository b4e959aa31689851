"""Writes of the courses app."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .models import Assignment, Course, GradeComponent, Membership, Session
from .syllabus import ParsedSyllabus, parse_syllabus

COMPONENT_LABELS = dict(GradeComponent.Key.choices)


@transaction.atomic
def course_import_syllabus(*, text: str, time_zone: str | None = None) -> tuple[Course, ParsedSyllabus]:
    """Create or update the course described by a syllabus; idempotent, all or nothing.

    Raises `SyllabusError` (with the line number) before writing anything if the text is malformed.
    """
    parsed = parse_syllabus(text, time_zone=time_zone or settings.COURSE_TIME_ZONE)
    course, _ = Course.objects.update_or_create(
        slug=parsed.slug,
        defaults=dict(
            code=parsed.code,
            title=parsed.title,
            term=parsed.term,
            credit_hours=parsed.credit_hours,
            instructor_name=parsed.instructor_name,
            instructor_email=parsed.instructor_email,
            institution=parsed.institution,
            location=parsed.location,
            meeting_times=parsed.meeting_times,
            office_hours=parsed.office_hours,
            office_location=parsed.office_location,
            time_zone=parsed.time_zone,
            starts_on=parsed.starts_on,
            ends_on=parsed.ends_on,
            late_window=parsed.late_window,
            late_penalty=parsed.late_penalty,
            regrade_window=parsed.regrade_window,
            import_notes=parsed.notes,
        ),
    )
    components = {}
    for key, weight in parsed.weights.items():
        components[key], _ = GradeComponent.objects.update_or_create(
            course=course, key=key, defaults={"weight": weight, "label": COMPONENT_LABELS[key]}
        )
    for s in parsed.sessions:
        Session.objects.update_or_create(
            course=course,
            starts_at=s.starts_at,
            defaults=dict(week=s.week, ends_at=s.ends_at, topic=s.topic, kind=s.kind),
        )
    Session.objects.filter(course=course).exclude(starts_at__in=[s.starts_at for s in parsed.sessions]).delete()
    assignments_dir = Path(settings.ASSIGNMENTS_DIR)
    for a in parsed.assignments:
        autograder = a.slug if (assignments_dir / a.slug / "spec.toml").exists() else ""
        Assignment.objects.update_or_create(
            course=course,
            slug=a.slug,
            defaults=dict(
                title=a.title,
                kind=a.kind,
                component=components[a.component],
                week=a.week,
                due_at=a.due_at,
                due_assumed=a.due_assumed,
                opens_at=a.opens_at,
                late_allowed=a.late_allowed,
                group_work=a.group_work,
                autograder=autograder,
                required_files=_required_files(assignments_dir, autograder),
            ),
        )
    return course, parsed


def _required_files(assignments_dir: Path, autograder: str) -> list[str]:
    """The files the autograder's spec requires, read by the grader's own (validating) loader."""
    if not autograder:
        return []
    from grader.spec import load_spec

    return list(load_spec(assignments_dir / autograder).required_files)


@transaction.atomic
def membership_set(*, course: Course, user: AbstractBaseUser, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(course=course, user=user, defaults={"role": role})
    return membership


class ScheduleEditError(ValueError):
    pass


@transaction.atomic
def assignment_update_schedule(
    *,
    assignment,
    by,
    due_at=None,
    opens_at=None,
    solution_release_at=None,
    late_allowed: bool | None = None,
) -> Assignment:
    """The instructor moves an assignment's dates. Every student's effective deadline follows,
    since extensions and accommodations are computed from these at read time."""
    from .models import Membership

    if not Membership.objects.filter(course=assignment.course, user=by, role=Membership.Role.INSTRUCTOR).exists():
        raise ScheduleEditError("Only the instructor changes deadlines.")
    changed = []
    for name, value in (("due_at", due_at), ("opens_at", opens_at), ("solution_release_at", solution_release_at)):
        if value is not None and getattr(assignment, name) != value:
            setattr(assignment, name, value)
            changed.append(name)
    if late_allowed is not None and assignment.late_allowed != late_allowed:
        assignment.late_allowed = late_allowed
        changed.append("late_allowed")
    if assignment.opens_at and assignment.opens_at >= assignment.due_at:
        raise ScheduleEditError("An assignment must open before it is due.")
    if assignment.solution_release_at and assignment.solution_release_at < assignment.due_at:
        raise ScheduleEditError("Solutions cannot be released before the deadline.")
    if "due_at" in changed:
        assignment.due_assumed = False
        changed.append("due_assumed")
    if changed:
        assignment.full_clean()
        assignment.save(update_fields=changed)
    return assignment
