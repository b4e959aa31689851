"""The objects every security test reaches for: one course with all the personas, a submission
of `student` with a stored file, a grading job and report with an artifact, and what other
apps add (group sets, regrades) when they exist.

`world` maps the names of URL parameters to values, so the authorization matrix can fill any
URL of the resolver from it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from hub.courses.models import Assignment, Membership

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class World:
    course: object
    other_course: object
    assignment: object
    users: dict  # persona -> user (None for anonymous)
    params: dict = field(default_factory=dict)  # URL parameter name -> value
    objects: dict = field(default_factory=dict)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's million rounds cost half a second a persona; the matrix makes seven per cell.
    tests/security/test_accounts.py checks the production hasher separately."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def store_dir(tmp_path, settings):
    settings.SUBMISSION_STORE = tmp_path / "store"
    settings.GRADER_WORK_DIR = tmp_path / "grading"
    return settings.SUBMISSION_STORE


def submission_make(*, student, assignment, files: dict[str, bytes], sources: str = "none"):
    """The rows an accepted upload leaves (blobs in the store first, then the rows), written
    directly: the matrix needs a submission whatever the deadline says today."""
    from hub.submissions import models as sm
    from hub.submissions import store

    entries = []
    for name, data in files.items():
        sha, _ = store.blob_put(data)
        entries.append((name, sha, len(data)))
    submission = sm.Submission.objects.create(
        assignment=assignment,
        student=student,
        submitted_by=student,
        created_at=timezone.now(),
        sha256=store.bundle_sha256(entries),
        size=sum(size for _, _, size in entries),
        lateness=sm.Lateness.ON_TIME,
        sources_statement=sources,
    )
    for name, sha, size in entries:
        sm.SubmissionFile.objects.create(submission=submission, name=name, sha256=sha, size=size)
    return submission


def report_make(*, submission, artifacts_root: Path):
    from hub.grading.models import GradingJob, Report

    job = GradingJob.objects.create(
        submission=submission,
        assignment=submission.assignment,
        student=submission.student,
        autograder=submission.assignment.autograder or "hw1",
        status=GradingJob.Status.DONE,
        attempts=1,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    folder = artifacts_root / "reports" / str(job.pk)
    folder.mkdir(parents=True)
    (folder / "samples.png").write_bytes(PNG_1X1)
    results = {
        "score": 7.0,
        "max_score": 10.0,
        "tests": [{"name": "shapes", "score": 7, "max_score": 10, "status": "passed", "visibility": "visible"}],
        "artifacts": [{"name": "samples.png", "path": "samples.png", "check": "shapes"}],
    }
    report = Report.objects.create(
        job=job, submission=submission, score=7.0, max_score=10.0, results=results, artifacts_dir=str(folder)
    )
    return job, report


def _group_objects(world: World) -> None:
    """A paper-discussion group set with one group of `student` and its slots."""
    from hub.groups.models import GroupSet
    from hub.groups.services import group_create, group_set_create

    now = timezone.now()
    group_set = group_set_create(
        course=world.course,
        kind=GroupSet.Kind.PAPER_DISCUSSION,
        min_size=1,
        max_size=3,
        signup_opens_at=now - timedelta(days=1),
        signup_closes_at=now + timedelta(days=7),
    )
    group = group_create(group_set=group_set, name="Flow matchers", by=world.users["student"])
    world.params.update(set_id=group_set.pk, group_id=group.pk)
    slot = group_set.slots.first()
    if slot is not None:
        world.params["slot_id"] = slot.pk
    link = group_set.set_assignments.select_related("assignment").first()
    if link is not None:
        world.params["group_assignment_slug"] = link.assignment.slug
    world.objects.update(group_set=group_set, group=group)


def _regrade_objects(world: World) -> None:
    """`student`'s released grade on the assignment, and an open regrade request about it."""
    from hub.submissions.services import (
        grade_record_autograde,
        grade_release,
        regrade_request_create,
    )

    grade_record_autograde(submission=world.objects["submission"], points=7, max_points=10)
    grade_release(assignment=world.assignment, by=world.users["instructor"])
    regrade = regrade_request_create(
        student=world.users["student"],
        assignment=world.assignment,
        reason="Check 3 was graded against the wrong seed.",
        acknowledged_may_lower=True,
    )
    world.params["regrade_id"] = regrade.pk
    world.objects["regrade"] = regrade


def _rubric_objects(world: World) -> None:
    from hub.rubrics.services import rubric_item_create, rubric_question_create

    question = rubric_question_create(
        assignment=world.assignment, by=world.users["ta"], title="Derivation of the ELBO", max_points=5
    )
    item = rubric_item_create(question=question, by=world.users["ta"], title="Jensen step", points=2)
    world.params.update(question_id=question.pk, item_id=item.pk)


@pytest.fixture
def world(course, other_course, student, other_student, outsider, ta, other_ta, instructor, store_dir, settings):
    assignment = Assignment.objects.get(course=course, slug="hw1")
    assignment.autograder = "hw1"
    assignment.save(update_fields=["autograder"])
    # HW 2's spec has a leaderboard (a sample-quality metric); the leaderboard page needs one.
    Assignment.objects.filter(course=course, slug="hw2").update(autograder="hw2")
    submission = submission_make(
        student=student, assignment=assignment, files={"model.py": b"import torch\n"}
    )
    other_submission = submission_make(
        student=other_student, assignment=assignment, files={"model.py": b"import torch  # bob\n"}
    )
    job, report = report_make(submission=submission, artifacts_root=Path(settings.GRADER_WORK_DIR))
    users = {
        "anonymous": None,
        "student": student,
        "other_student": other_student,
        "outsider": outsider,
        "ta": ta,
        "other_ta": other_ta,
        "instructor": instructor,
    }
    w = World(course=course, other_course=other_course, assignment=assignment, users=users)
    w.params.update(
        slug=course.slug,
        assignment_slug=assignment.slug,
        submission_id=submission.pk,
        file_id=submission.files.first().pk,
        report_id=report.pk,
        job_id=job.pk,
        name="samples.png",
        token=Membership.objects.get(course=course, user=student).calendar_token,
        leaderboard_assignment_slug="hw2",
        a_id=submission.pk,
        b_id=other_submission.pk,
        sha256=hashlib.sha256(b"import torch\n").hexdigest(),
    )
    w.objects.update(submission=submission, job=job, report=report)
    _group_objects(w)
    _regrade_objects(w)
    _rubric_objects(w)
    return w
