"""Grading jobs as durable rows: superseding, fair claims, exactly one report, recovery."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hub.grading import jobs
from hub.grading.models import GradingJob, Report
from hub.submissions.models import Grade

from .conftest import submit

pytestmark = pytest.mark.django_db
Status = GradingJob.Status


def test_a_submission_to_an_autograded_assignment_queues_one_job(toy, student):
    submission = submit(toy, student)
    job = GradingJob.objects.get(submission=submission)
    assert job.status == Status.QUEUED
    assert job.queue == "cpu"
    assert job.seed > 0
    assert job.autograder == "toy"


def test_a_newer_submission_supersedes_the_queued_one(toy, student, other_student):
    first = submit(toy, student)
    theirs = submit(toy, other_student)
    second = submit(toy, student)
    assert GradingJob.objects.get(submission=first).status == Status.SUPERSEDED
    assert GradingJob.objects.get(submission=second).status == Status.QUEUED
    assert GradingJob.objects.get(submission=theirs).status == Status.QUEUED


def test_a_claimed_job_is_claimed_once(toy, student):
    submit(toy, student)
    job = jobs.job_claim_next(queue="cpu", worker="a")
    assert job is not None and job.status == Status.RUNNING and job.attempts == 1
    assert job.lease_expires_at > timezone.now()
    assert jobs.job_claim_next(queue="cpu", worker="b") is None


def test_claims_are_fair_across_students(toy, student, other_student, course):
    from ..factories import AssignmentFactory

    # Alice had three gradings started in the last hour; Bob none. Alice's job is older, but
    # Bob's goes first.
    others = [AssignmentFactory(course=course, autograder="toy", required_files=["solution.py"]) for _ in range(3)]
    for a in others:
        submit(a, student)
        claimed = jobs.job_claim_next(queue="cpu")
        assert claimed.student == student
        GradingJob.objects.filter(pk=claimed.pk).update(status=Status.DONE, lease_expires_at=None)
    mine = submit(toy, student)
    theirs = submit(toy, other_student)
    assert GradingJob.objects.get(submission=mine).queued_at <= GradingJob.objects.get(submission=theirs).queued_at
    assert jobs.job_claim_next(queue="cpu").submission == theirs
    assert jobs.job_claim_next(queue="cpu").submission == mine


def test_queue_place_counts_the_jobs_ahead(toy, student, other_student):
    first = submit(toy, student)
    second = submit(toy, other_student)
    place1 = jobs.job_queue_place(job=GradingJob.objects.get(submission=first))
    place2 = jobs.job_queue_place(job=GradingJob.objects.get(submission=second))
    assert (place1.position, place2.position) == (1, 2)
    assert place2.estimated_wait > place1.estimated_wait


def _fake_results(score=3.0, max_score=5.0):
    return {"score": score, "max_score": max_score, "tests": [], "phases": {}, "resources": {}}


def test_finishing_the_same_attempt_twice_makes_one_report(toy, student, tmp_path):
    submission = submit(toy, student)
    job = jobs.job_claim_next(queue="cpu")
    first = jobs._finish(job=job, attempt=1, results=_fake_results(), report=None, artifacts=tmp_path)
    again = jobs._finish(job=job, attempt=1, results=_fake_results(), report=None, artifacts=tmp_path)
    assert first is not None and again is None
    assert Report.objects.filter(submission=submission).count() == 1
    grade = Grade.objects.get(student=student, assignment=toy)
    assert float(grade.autograde_points) == 3.0


def test_a_worker_that_lost_its_lease_cannot_report(toy, student, tmp_path):
    submit(toy, student)
    stale = jobs.job_claim_next(queue="cpu", worker="slow")
    later = timezone.now() + jobs.lease_length() + timedelta(seconds=1)
    assert jobs.jobs_sweep(now=later)["requeued"] == 1
    fresh = jobs.job_claim_next(queue="cpu", worker="fast", now=later)
    assert fresh.pk == stale.pk and fresh.attempts == 2
    assert jobs._finish(job=stale, attempt=1, results=_fake_results(), report=None, artifacts=tmp_path) is None
    assert jobs._finish(job=fresh, attempt=2, results=_fake_results(), report=None, artifacts=tmp_path) is not None
    assert Report.objects.filter(job=fresh).count() == 1


def test_infrastructure_failures_back_off_then_give_up_without_charging_the_student(toy, student, settings):
    settings.GRADING_MAX_ATTEMPTS = 2
    submission = submit(toy, student)
    job = jobs.job_claim_next(queue="cpu")
    assert jobs.job_fail_infrastructure(job=job, attempt=1, error="engine down") is True
    job.refresh_from_db()
    assert job.status == Status.QUEUED and job.not_before > timezone.now()
    assert jobs.job_claim_next(queue="cpu") is None  # still backing off
    job = jobs.job_claim_next(queue="cpu", now=job.not_before + timedelta(seconds=1))
    assert job.attempts == 2
    assert jobs.job_fail_infrastructure(job=job, attempt=2, error="engine down") is False
    job.refresh_from_db()
    assert job.status == Status.FAILED_INFRASTRUCTURE
    assert not Report.objects.filter(submission=submission).exists()
    assert not Grade.objects.filter(student=student, assignment=toy, autograde_points__isnull=False).exists()


def test_sweeper_resends_messages_of_jobs_left_queued(toy, student, settings):
    submit(toy, student)
    job = GradingJob.objects.get()
    assert job.signalled_at is None  # on_commit has not run inside this test's transaction
    assert jobs.jobs_sweep()["resignalled"] == 1
    job.refresh_from_db()
    assert job.signalled_at is not None
    assert jobs.jobs_sweep()["resignalled"] == 0  # recently signalled: left alone


def test_rerun_keeps_the_reason_and_regrades_are_marked(toy, student, ta):
    from hub.grading.services import grading_job_rerun

    submission = submit(toy, student)
    rerun = grading_job_rerun(submission=submission, reason="checking a flaky check", requested_by=ta)
    regrade = grading_job_rerun(submission=submission, reason="Regrade request 3: my MADE is right")
    assert rerun.reason == GradingJob.Reason.RERUN and rerun.note == "checking a flaky check"
    assert regrade.reason == GradingJob.Reason.REGRADE
    # One queued grading per submission at a time.
    assert GradingJob.objects.filter(submission=submission, status=Status.QUEUED).count() == 1
