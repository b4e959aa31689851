"""Writes of the submissions app: submissions, deadline adjustments, grades and regrades.

Every function is keyword-only and takes an optional `now` (the server's clock by default), so
that tests can stand a few seconds either side of a deadline without sleeping.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hub.courses.models import Assignment, Course, Membership

from . import deadlines as dl
from .bundles import Upload, bundle_from_uploads
from .deadlines import deadline_effective_for
from .emails import email_on_commit
from .models import (
    Accommodation,
    CorrectionWindow,
    Extension,
    Grade,
    GradeChange,
    RegradeRequest,
    Submission,
    SubmissionFile,
)
from .store import blob_delete, blob_open, blob_put, bundle_sha256, manifest_entries, store_root

_POINTS = Decimal("0.001")


class SubmissionRefused(ValidationError):
    """The deadline rules refuse the submission; the message says why and until when."""


def _fmt(when: datetime, course: Course) -> str:
    return when.astimezone(course.zone).strftime("%a %d %b %Y, %I:%M %p %Z")


def _hours(delta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h"


def _percent(fraction: Decimal) -> str:
    return f"{float(fraction) * 100:g}%"


def _membership(course: Course, user) -> Membership | None:
    return Membership.objects.filter(course=course, user=user).first()


def _require_student(course: Course, student) -> None:
    m = _membership(course, student)
    if m is None or m.role != Membership.Role.STUDENT:
        raise ValidationError(f"{student} is not a student of {course.code}.", code="not_a_student")


def _require_staff(course: Course, user) -> Membership:
    m = _membership(course, user)
    if m is None or not m.is_staff:
        raise PermissionDenied("Only the course's staff may do this")
    return m


def _require_instructor(course: Course, user) -> Membership:
    m = _membership(course, user)
    if m is None or not m.is_instructor:
        raise PermissionDenied("Only the instructor may do this")
    return m


# --- submissions -----------------------------------------------------------------------------


def _refusal(
    *, assignment: Assignment, deadline: dl.EffectiveDeadline, when: datetime
) -> SubmissionRefused:
    course = assignment.course
    at = f"This submission counts as made {_fmt(when, course)}."
    if deadline.closes_at is not None and when > deadline.closes_at:
        return SubmissionRefused(
            f"{assignment.title}: the solutions were released {_fmt(deadline.closes_at, course)}; "
            f"no submission is accepted after that. {at}",
            code="after_solution_release",
        )
    if deadline.late_until is None:
        return SubmissionRefused(
            f"{assignment.title} was due {_fmt(deadline.due_at, course)} and does not accept late "
            f"submissions: it would have been accepted until {_fmt(deadline.accepted_until, course)}. {at} "
            "Only an extension approved by the instructor beforehand changes this.",
            code="deadline_passed",
        )
    return SubmissionRefused(
        f"{assignment.title} was due {_fmt(deadline.due_at, course)}; late submissions "
        f"({_hours(deadline.late_until - deadline.due_at)} with a {_percent(deadline.late_penalty)} penalty) "
        f"were accepted until {_fmt(deadline.accepted_until, course)}. {at} "
        "Later work is not accepted without an extension approved by the instructor beforehand.",
        code="late_window_passed",
    )


def submission_create(
    *,
    assignment: Assignment,
    student,
    uploads: list[Upload],
    sources_statement: str,
    by=None,
    emailed_at: datetime | None = None,
    staff_note: str = "",
    now: datetime | None = None,
) -> Submission:
    """Check, store (fsynced, content-addressed) and record a submission; it becomes the active one.

    `by` is the one who uploads: the student, or a member of staff entering work the student
    emailed when the site was unreachable — then `emailed_at` (when the email arrived) is the
    time the lateness is judged at, and `staff_note` says why.
    Raises `SubmissionRefused` / `BundleRejected` (both ValidationError) before storing anything.
    The bytes are fsynced before the transaction that records them starts. If that transaction
    fails, the (whole) blobs stay: another upload of the same bytes may be about to refer to
    them; `store_orphans_sweep` removes old unreferenced ones.
    """
    now = now or timezone.now()
    by = by or student
    course = assignment.course
    _require_student(course, student)
    if by.pk != student.pk:
        _require_staff(course, by)
        if emailed_at is None or not staff_note.strip():
            raise ValidationError(
                "Work entered on a student's behalf is emailed work: give the time the email "
                "arrived and a note saying why.",
                code="emailed_needs_time_and_note",
            )
    if emailed_at is not None:
        if by.pk == student.pk:
            raise PermissionDenied("Only staff record emailed work")
        if emailed_at > now:
            raise ValidationError(
                "The email's arrival time is in the future.", code="emailed_in_future"
            )
    statement = (sources_statement or "").strip()
    if not statement:
        raise ValidationError(
            "Say which public sources you used (the syllabus asks for it); write 'None' if you used none.",
            code="sources_statement_missing",
        )
    judged_at = emailed_at or now
    deadline = _deadline_open(assignment=assignment, student=student, when=judged_at)
    bundle = bundle_from_uploads(
        uploads,
        max_upload_bytes=assignment.max_upload_bytes,
        required_files=list(assignment.required_files or []),
    )
    rows = []
    for kind, items in (
        (SubmissionFile.Kind.FILE, bundle.files),
        (SubmissionFile.Kind.ARCHIVE, bundle.archives),
    ):
        for f in items:
            sha, _created = blob_put(f.data)
            rows.append(
                SubmissionFile(
                    kind=kind, name=f.name, archive=f.archive, sha256=sha, size=len(f.data)
                )
            )
    with transaction.atomic():
        group = _lock_submitter(assignment=assignment, student=student)
        status = deadline.status_at(judged_at)
        submission = _submission_record(
            assignment=assignment,
            student=student,
            rows=rows,
            size=bundle.uploaded_bytes,
            group=group,
            fields=dict(
                created_at=now,
                lateness=status,
                late_penalty=deadline.penalty_at(judged_at),
                sources_statement=statement,
                submitted_by=by,
                emailed_at=emailed_at,
                staff_note=staff_note.strip(),
                is_correction=status == dl.CORRECTION,
            ),
        )
        if submission.is_active:
            _grading_enqueue(submission)
        email_on_commit(
            to=student,
            template="receipt",
            subject=f"[{course.code}] Receipt: {assignment.title}",
            context={
                "submission": submission,
                "course": course,
                "assignment": assignment,
                "files": list(submission.files.all()),
                "deadline": deadline,
            },
        )
    return submission


def _deadline_open(*, assignment: Assignment, student, when: datetime) -> dl.EffectiveDeadline:
    deadline = deadline_effective_for(student=student, assignment=assignment)
    if deadline.status_at(when) == dl.CLOSED:
        raise _refusal(assignment=assignment, deadline=deadline, when=when)
    return deadline


def _lock_submitter(*, assignment: Assignment, student):
    """Serialize a student's (and their group's) submissions; return the group, if group work.

    The membership row (and the group row) is the lock: two uploads at once cannot both end
    up active.
    """
    Membership.objects.select_for_update().filter(course=assignment.course, user=student).first()
    if not assignment.group_work:
        return None
    from hub.groups.models import Group
    from hub.groups.selectors import group_for

    group = group_for(student=student, assignment=assignment)
    if group is not None:
        Group.objects.select_for_update().filter(pk=group.pk).first()
    return group


def _deactivate(*, assignment: Assignment, student, group) -> None:
    mine = Q(student=student) | Q(group=group) if group is not None else Q(student=student)
    Submission.objects.filter(mine, assignment=assignment, is_active=True).update(is_active=False)


def _submission_record(
    *, assignment, student, group, rows: list[SubmissionFile], size: int, fields: dict
) -> Submission:
    # The latest by receipt time counts. Two uploads received a moment apart can take the lock
    # in the other order; the earlier one then must not displace the later one.
    mine = Q(student=student) | Q(group=group) if group is not None else Q(student=student)
    newer_exists = Submission.objects.filter(
        mine, assignment=assignment, created_at__gt=fields["created_at"]
    ).exists()
    if not newer_exists:
        _deactivate(assignment=assignment, student=student, group=group)
    submission = Submission(
        assignment=assignment,
        student=student,
        group=group,
        sha256=bundle_sha256(manifest_entries(rows)),
        size=size,
        is_active=not newer_exists,
        **fields,
    )
    submission.full_clean()
    submission.save()
    for r in rows:
        r.submission = submission
    SubmissionFile.objects.bulk_create(rows)
    return submission


def _grading_enqueue(submission: Submission) -> None:
    if not submission.assignment.autograder:
        return
    from hub.grading.services import grading_job_enqueue

    grading_job_enqueue(submission=submission)


@transaction.atomic
def submission_activate(*, submission: Submission, by, now: datetime | None = None) -> Submission:
    """Make an earlier submission the one that counts again; only its student, only before the deadline."""
    now = now or timezone.now()
    if by.pk != submission.student_id and not _in_group_of(by, submission):
        raise PermissionDenied("Only the student (or their group) chooses which submission counts")
    assignment = submission.assignment
    deadline = deadline_effective_for(student=submission.student, assignment=assignment)
    if now > deadline.due_at:
        raise ValidationError(
            f"The deadline ({_fmt(deadline.due_at, assignment.course)}) has passed; the latest "
            "submission counts and can no longer be swapped.",
            code="deadline_passed",
        )
    _lock_submitter(assignment=assignment, student=submission.student)
    submission.refresh_from_db(fields=["is_active"])
    if submission.is_active:
        return submission
    _deactivate(assignment=assignment, student=submission.student, group=submission.group)
    submission.is_active = True
    submission.save(update_fields=["is_active"])
    _grading_enqueue(submission)
    return submission


def _in_group_of(user, submission: Submission) -> bool:
    if submission.group_id is None:
        return False
    from hub.groups.models import GroupMembership

    return GroupMembership.objects.filter(group_id=submission.group_id, student=user).exists()


def submission_materialize(*, submission: Submission, dest: Path) -> list[Path]:
    """Write the files the grader sees into `dest` (archives expanded); check every hash on the way."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    written = []
    for f in submission.files.filter(kind=SubmissionFile.Kind.FILE):
        target = (root / f.name).resolve()
        if root not in target.parents:  # names were checked at upload; this is the second lock
            raise ValueError(f"refusing to write outside {root}: {f.name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with blob_open(f.sha256) as src, open(target, "xb") as out:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != f.sha256:
            os.unlink(target)
            raise OSError(f"the store's copy of {f.name} does not match its sha256")
        written.append(target)
    return written


def store_orphans_sweep(
    *, older_than: timedelta = timedelta(hours=1), now: datetime | None = None
) -> list[str]:
    """Remove blobs no SubmissionFile refers to, once they are older than `older_than`.

    They are left by uploads whose database transaction failed after the bytes were written;
    the age keeps a blob that a concurrent upload is about to record.
    """
    now = now or timezone.now()
    objects = store_root() / "objects"
    if not objects.exists():
        return []
    removed = []
    for path in objects.glob("??/*"):
        sha = path.parent.name + path.name
        age = now.timestamp() - path.stat().st_mtime
        if age < older_than.total_seconds():
            continue
        if not SubmissionFile.objects.filter(sha256=sha).exists():
            blob_delete(sha)
            removed.append(sha)
    return removed


def submission_copy_file(*, file: SubmissionFile, out) -> None:
    with blob_open(file.sha256) as src:
        shutil.copyfileobj(src, out)


# --- deadline adjustments --------------------------------------------------------------------


@transaction.atomic
def extension_grant(
    *,
    assignment: Assignment,
    student,
    due_at: datetime,
    reason: str,
    by,
    now: datetime | None = None,
) -> Extension:
    """A new deadline for one student on one assignment; the late window counts from it."""
    now = now or timezone.now()
    course = assignment.course
    _require_instructor(course, by)
    _require_student(course, student)
    if due_at <= assignment.due_at:
        raise ValidationError(
            "An extension must end after the assignment's deadline.", code="not_later"
        )
    if assignment.solution_release_at is not None and due_at >= assignment.solution_release_at:
        raise ValidationError(
            f"The solutions are released {_fmt(assignment.solution_release_at, course)}; an extension must end before.",
            code="after_solution_release",
        )
    if not reason.strip():
        raise ValidationError("Say why the extension is granted.", code="reason_missing")
    extension, _ = Extension.objects.update_or_create(
        assignment=assignment,
        student=student,
        defaults=dict(due_at=due_at, reason=reason.strip(), granted_by=by, granted_at=now),
    )
    email_on_commit(
        to=student,
        template="extension",
        subject=f"[{course.code}] Extension granted: {assignment.title}",
        context={
            "extension": extension,
            "course": course,
            "assignment": assignment,
            "deadline": deadline_effective_for(student=student, assignment=assignment),
        },
    )
    return extension


@transaction.atomic
def accommodation_register(
    *,
    course: Course,
    student,
    effective_on: date,
    by,
    extra_percent: int | None = None,
    extra_hours: Decimal | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Accommodation:
    """Register extra time for deadlines from `effective_on` on; earlier deadlines do not change."""
    now = now or timezone.now()
    _require_instructor(course, by)
    _require_student(course, student)
    if (extra_percent is None) == (extra_hours is None):
        raise ValidationError(
            "Give exactly one rule: extra percent of open time, or extra hours.", code="one_rule"
        )
    accommodation = Accommodation(
        course=course,
        student=student,
        effective_on=effective_on,
        extra_percent=extra_percent,
        extra_hours=Decimal(extra_hours) if extra_hours is not None else None,
        note=note.strip(),
        registered_by=by,
        registered_at=now,
    )
    accommodation.full_clean()
    accommodation.save()
    return accommodation


@transaction.atomic
def correction_window_grant(
    *,
    assignment: Assignment,
    student,
    until: datetime,
    reason: str,
    by,
    now: datetime | None = None,
) -> CorrectionWindow:
    """Let one student correct a submission, without penalty, until `until` (before the solutions)."""
    now = now or timezone.now()
    course = assignment.course
    _require_staff(course, by)
    _require_student(course, student)
    if assignment.solution_release_at is None:
        raise ValidationError(
            "Set the assignment's solution release time first: a correction window must end before it.",
            code="no_solution_release",
        )
    if until >= assignment.solution_release_at:
        raise ValidationError(
            f"A correction window must end before the solutions are released "
            f"({_fmt(assignment.solution_release_at, course)}).",
            code="after_solution_release",
        )
    if until <= now:
        raise ValidationError("A correction window must end in the future.", code="in_the_past")
    if not reason.strip():
        raise ValidationError("Say what the student should correct.", code="reason_missing")
    window, _ = CorrectionWindow.objects.update_or_create(
        assignment=assignment,
        student=student,
        defaults=dict(until=until, reason=reason.strip(), granted_by=by, granted_at=now),
    )
    window.full_clean()
    email_on_commit(
        to=student,
        template="correction",
        subject=f"[{course.code}] Time-sensitive: you may correct {assignment.title}",
        context={"window": window, "course": course, "assignment": assignment},
    )
    return window


# --- grades ----------------------------------------------------------------------------------


def _grade_total(grade: Grade) -> Decimal | None:
    """The one formula: (autograde + rubric) × (1 − late penalty); the penalty applies once."""
    raw = grade.raw_points
    if raw is None:
        return None
    return (raw * (Decimal(1) - grade.late_penalty)).quantize(_POINTS, rounding=ROUND_HALF_UP)


def _points(value) -> Decimal:
    return Decimal(str(value)).quantize(_POINTS, rounding=ROUND_HALF_UP)


def _text(value) -> str:
    return "" if value is None else str(value)


def _grade_locked(*, student, assignment, now) -> Grade:
    grade = Grade.objects.select_for_update().filter(student=student, assignment=assignment).first()
    if grade is None:
        grade = Grade.objects.create(student=student, assignment=assignment, updated_at=now)
        grade = Grade.objects.select_for_update().get(pk=grade.pk)
    return grade


def _grade_apply(
    *, grade: Grade, changes: list[tuple[str, str, object, object]], by, why: str, now
) -> Grade:
    """Set `(part, field, old, new)` changes on the grade and record each one that differs."""
    if not why.strip():
        raise ValidationError("Every change of a grade says why.", code="why_missing")
    old_total = grade.total
    effective = [(part, field, old, new) for part, field, old, new in changes if old != new]
    if not effective:
        return grade
    for _part, field, _old, new in effective:
        setattr(grade, field, new)
    grade.total = _grade_total(grade)
    grade.updated_at = now
    grade.save()
    for part, _field, old, new in effective:
        old_text = str(old.pk) if hasattr(old, "pk") else _text(old)
        new_text = str(new.pk) if hasattr(new, "pk") else _text(new)
        GradeChange.objects.create(
            grade=grade,
            part=part,
            old_value=old_text,
            new_value=new_text,
            old_total=old_total,
            new_total=grade.total,
            by=by,
            at=now,
            why=why.strip(),
        )
    return grade


def _submission_changes(grade: Grade, submission: Submission | None) -> list:
    if submission is None:
        return []
    return [
        (GradeChange.Part.SUBMISSION, "submission", grade.submission, submission),
        (
            GradeChange.Part.LATE_PENALTY,
            "late_penalty",
            grade.late_penalty,
            submission.late_penalty,
        ),
    ]


@transaction.atomic
def grade_record_autograde(
    *,
    submission: Submission,
    points,
    max_points,
    report_id=None,
    why: str = "",
    now: datetime | None = None,
) -> Grade | None:
    """Record the autograder's score for the submission that counts; None if it no longer counts."""
    now = now or timezone.now()
    points, max_points = _points(points), _points(max_points)
    if max_points < 0 or points < 0 or points > max_points:
        raise ValidationError(
            f"Autograde points {points} out of range 0..{max_points}.", code="out_of_range"
        )
    submission = Submission.objects.select_related("assignment__course").get(pk=submission.pk)
    if not submission.is_active:
        return None
    grade = _grade_locked(student=submission.student, assignment=submission.assignment, now=now)
    if report_id is not None:
        grade.autograde_report_id = str(report_id)
    changes = _submission_changes(grade, submission) + [
        (GradeChange.Part.AUTOGRADE, "autograde_points", grade.autograde_points, points),
        (GradeChange.Part.AUTOGRADE, "autograde_max", grade.autograde_max, max_points),
    ]
    grade = _grade_apply(
        grade=grade,
        changes=changes,
        by=None,
        why=why or f"Autograder run on submission {submission.pk}",
        now=now,
    )
    if report_id is not None:
        grade.save(update_fields=["autograde_report_id"])
    return grade


@transaction.atomic
def grade_record_rubric(
    *, student, assignment: Assignment, points, by, why: str, now: datetime | None = None
) -> Grade:
    """Record the manual (rubric) points of a student's grade; staff only."""
    now = now or timezone.now()
    _require_staff(assignment.course, by)
    points = _points(points)
    if points < 0 or points > assignment.max_points:
        raise ValidationError(
            f"Rubric points must be between 0 and {assignment.max_points}.", code="out_of_range"
        )
    grade = _grade_locked(student=student, assignment=assignment, now=now)
    from .selectors import submission_active_for

    active = submission_active_for(student=student, assignment=assignment)
    changes = _submission_changes(grade, active) + [
        (GradeChange.Part.RUBRIC, "rubric_points", grade.rubric_points, points),
    ]
    return _grade_apply(grade=grade, changes=changes, by=by, why=why, now=now)


@transaction.atomic
def grade_release(*, assignment: Assignment, by, now: datetime | None = None) -> int:
    """Release every graded, unreleased grade of the assignment; each student gets an email."""
    now = now or timezone.now()
    course = assignment.course
    _require_instructor(course, by)
    grades = list(
        Grade.objects.select_for_update().filter(
            assignment=assignment, released_at__isnull=True, total__isnull=False
        )
    )
    for grade in grades:
        grade.released_at = now
        grade.save(update_fields=["released_at"])
        GradeChange.objects.create(
            grade=grade,
            part=GradeChange.Part.RELEASE,
            old_value="",
            new_value=now.isoformat(),
            old_total=grade.total,
            new_total=grade.total,
            by=by,
            at=now,
            why="Grades released",
        )
        email_on_commit(
            to=grade.student,
            template="grade_released",
            subject=f"[{course.code}] Grade released: {assignment.title}",
            context={
                "grade": grade,
                "course": course,
                "assignment": assignment,
                "regrade_until": now + course.regrade_window,
            },
        )
    if assignment.grades_released_at is None:
        assignment.grades_released_at = now
        assignment.save(update_fields=["grades_released_at"])
    return len(grades)


# --- regrades --------------------------------------------------------------------------------

REGRADE_WARNING = (
    "The whole assignment will be regraded: the autograder runs again and every manually graded "
    "part is graded again. The new grade may be higher or lower than the current one."
)


@transaction.atomic
def regrade_request_create(
    *,
    student,
    assignment: Assignment,
    reason: str,
    acknowledged_may_lower: bool,
    now: datetime | None = None,
) -> RegradeRequest:
    """Ask for the whole assignment to be regraded, within the course's regrade window."""
    now = now or timezone.now()
    course = assignment.course
    grade = Grade.objects.select_for_update().filter(student=student, assignment=assignment).first()
    if grade is None or grade.released_at is None:
        raise ValidationError(
            "There is no released grade to regrade yet.", code="no_released_grade"
        )
    closes = grade.released_at + course.regrade_window
    if now > closes:
        raise ValidationError(
            f"Regrades of {assignment.title} could be requested until {_fmt(closes, course)} "
            f"({course.regrade_window.days} days after the grade's release).",
            code="regrade_window_passed",
        )
    if not (reason or "").strip():
        raise ValidationError("Say why the assignment should be regraded.", code="reason_missing")
    if not acknowledged_may_lower:
        raise ValidationError(
            REGRADE_WARNING + " Confirm that you understand to continue.", code="not_acknowledged"
        )
    if RegradeRequest.objects.filter(grade=grade, status=RegradeRequest.Status.OPEN).exists():
        raise ValidationError("A regrade of this assignment is already open.", code="already_open")
    regrade = RegradeRequest.objects.create(
        grade=grade,
        reason=reason.strip(),
        acknowledged_may_lower=True,
        created_at=now,
        total_before=grade.total,
    )
    if assignment.autograder and grade.submission_id is not None:
        _grading_rerun(grade.submission, reason=f"Regrade request {regrade.pk}: {regrade.reason}")
    return regrade


def _grading_rerun(submission: Submission, *, reason: str) -> None:
    from hub.grading import services as grading_services

    rerun = getattr(grading_services, "grading_job_rerun", None)
    if rerun is not None:
        rerun(submission=submission, reason=reason, regrade=True)
    else:  # an older grading app: a fresh job is the rerun
        grading_services.grading_job_enqueue(submission=submission)


@transaction.atomic
def regrade_decide(
    *, regrade: RegradeRequest, by, decision: str, rubric_points=None, now: datetime | None = None
) -> RegradeRequest:
    """Close a regrade; the total may go down. The student is emailed the totals before and after.

    `rubric_points`: the manual part as graded again. None when it was already re-recorded
    (e.g. item by item through the rubrics app, which calls `grade_record_rubric`).
    """
    now = now or timezone.now()
    regrade = (
        RegradeRequest.objects.select_for_update()
        .select_related("grade__assignment__course", "grade__student")
        .get(pk=regrade.pk)
    )
    grade = regrade.grade
    assignment = grade.assignment
    _require_staff(assignment.course, by)
    if regrade.status != RegradeRequest.Status.OPEN:
        raise ValidationError("This regrade was already decided.", code="already_decided")
    if not decision.strip():
        raise ValidationError("Explain the decision to the student.", code="decision_missing")
    if rubric_points is not None:
        grade = grade_record_rubric(
            student=grade.student,
            assignment=assignment,
            points=rubric_points,
            by=by,
            why=f"Regrade {regrade.pk}: {decision.strip()}",
            now=now,
        )
    else:
        grade.refresh_from_db()
    regrade.status = RegradeRequest.Status.DECIDED
    regrade.decided_by = by
    regrade.decided_at = now
    regrade.decision = decision.strip()
    regrade.total_after = grade.total
    regrade.save(update_fields=["status", "decided_by", "decided_at", "decision", "total_after"])
    course = assignment.course
    email_on_commit(
        to=grade.student,
        template="regrade_decided",
        subject=f"[{course.code}] Regrade decided: {assignment.title}",
        context={"regrade": regrade, "grade": grade, "course": course, "assignment": assignment},
    )
    return regrade
