"""A real worker grades for real; killed mid-job or robbed of its messages, nothing is lost."""

from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from hub.grading import jobs
from hub.grading.models import GradingJob, Report
from hub.submissions.models import Grade

from .conftest import submit
from .workers import celery_worker, flush_broker, kill_hard, require_shared_database, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = GradingJob.Status


@pytest.fixture(autouse=True)
def _shared_db(settings, tmp_path):
    require_shared_database()
    settings.GRADER_WORK_DIR = tmp_path / "grading"
    settings.GRADER_WORK_DIR.mkdir()


def _job(submission) -> GradingJob:
    close_old_connections()
    return GradingJob.objects.filter(submission=submission).order_by("-queued_at").first()


def test_a_worker_grades_a_submission_and_records_the_grade(toy, student):
    submission = submit(toy, student)
    with celery_worker("w1"):
        wait_for(lambda: _job(submission).status == Status.DONE, timeout=180, what="the job to finish")
    report = Report.objects.get(submission=submission)
    assert report.score == report.max_score == 5
    assert {t["name"] for t in report.results["tests"]} >= {"affine_values", "pixel_mean"}
    assert float(Grade.objects.get(student=student, assignment=toy).autograde_points) == 5


def test_a_worker_killed_mid_job_loses_nothing_and_reports_once(toy, student, settings):
    settings.GRADING_LEASE_SECONDS = 6
    slow = "\nimport time\ntime.sleep(3)  # slow to import: the job is killed while it runs\n"
    submission = submit(toy, student, extra=slow)
    with celery_worker("doomed", GRADING_LEASE_SECONDS="6") as doomed:
        wait_for(lambda: _job(submission).status == Status.RUNNING, timeout=120, what="the job to start")
        kill_hard(doomed)
    job = _job(submission)
    assert job.status == Status.RUNNING and job.attempts == 1  # nobody finishes it: the worker is gone
    wait_for(lambda: _job(submission).lease_expires_at < timezone.now(), timeout=30, what="the lease to expire")
    assert jobs.jobs_sweep()["requeued"] == 1
    with celery_worker("rescuer", GRADING_LEASE_SECONDS="6"):
        wait_for(lambda: _job(submission).status == Status.DONE, timeout=180, what="the rescued job to finish")
    job = _job(submission)
    assert job.attempts == 2
    assert Report.objects.filter(submission=submission).count() == 1
    assert Report.objects.get(submission=submission).score == 5


def test_flushed_broker_messages_are_sent_again_by_the_sweeper(toy, student, other_student):
    mine, theirs = submit(toy, student), submit(toy, other_student)
    assert all(_job(s).signalled_at for s in (mine, theirs))  # messages were sent on commit
    flush_broker()
    later = timezone.now() + timedelta(seconds=600)
    assert jobs.jobs_sweep(now=later)["resignalled"] == 2
    with celery_worker("after-flush"):
        wait_for(
            lambda: all(_job(s).status == Status.DONE for s in (mine, theirs)),
            timeout=240, what="both jobs to finish",
        )
    assert Report.objects.filter(submission__in=[mine, theirs]).count() == 2


@pytest.mark.docker
def test_a_docker_worker_with_a_warm_pool_grades(toy, student, settings):
    import shutil

    import docker

    try:
        docker.from_env(timeout=5).images.get("grader-cpu:latest")
    except Exception:
        if shutil.os.environ.get("CI"):
            raise
        pytest.skip("needs the Docker engine and the grader image")
    submission = submit(toy, student)
    with celery_worker("warm", SANDBOX_BACKEND="docker", GRADER_WARM_POOL="1"):
        wait_for(lambda: _job(submission).status == Status.DONE, timeout=240, what="the job to finish")
    report = Report.objects.get(submission=submission)
    assert report.score == report.max_score
    assert report.results["backend"] == "docker"
    assert "dequeue_to_warm_s" in report.results["phases"]
