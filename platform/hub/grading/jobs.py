"""Grading jobs: create, claim fairly, run, finish exactly once, and recover.

The database is the source of truth. A Celery message names only a queue: it wakes one worker,
which claims the fairest queued job with a conditional update (a row count of 0 means another
worker has it). So a redelivered or duplicated message can never grade a job twice, a lost
message is re-sent by the sweeper, and a job whose worker died is re-queued when its lease
expires.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import GradingJob, Report

log = logging.getLogger(__name__)
Status = GradingJob.Status


class InfrastructureError(RuntimeError):
    """The grading machinery failed (engine down, image missing): never the student's fault."""


def lease_length() -> timedelta:
    return timedelta(seconds=getattr(settings, "GRADING_LEASE_SECONDS", 60))


def max_attempts() -> int:
    return getattr(settings, "GRADING_MAX_ATTEMPTS", 4)


def _spec_queue(autograder: str) -> str:
    from grader.spec import load_spec

    try:
        spec = load_spec(Path(settings.ASSIGNMENTS_DIR) / autograder)
    except Exception:  # a broken spec is reported when the job runs, not at upload
        return "cpu"
    return "gpu" if spec.limits.gpu else "cpu"


# --- creating -------------------------------------------------------------------------------


def job_create_for_submission(
    *, submission, reason: str = GradingJob.Reason.SUBMISSION, requested_by=None, note: str = ""
) -> GradingJob:
    """Queue a grading of `submission`; an older queued job of the same student and assignment
    is superseded (marked, never graded). Sends the wake-up message on commit."""
    assignment = submission.assignment
    with transaction.atomic():
        pending = GradingJob.objects.filter(status=Status.QUEUED)
        if reason == GradingJob.Reason.SUBMISSION:
            pending = pending.filter(assignment=assignment, student=submission.student)
        else:
            pending = pending.filter(submission=submission)
        pending.update(status=Status.SUPERSEDED, finished_at=timezone.now())
        job = GradingJob.objects.create(
            submission=submission,
            assignment=assignment,
            student=submission.student,
            autograder=assignment.autograder,
            queue=_spec_queue(assignment.autograder),
            reason=reason,
            requested_by=requested_by,
            note=note,
            phases={"queued": timezone.now().isoformat()},
        )
        transaction.on_commit(lambda: job_signal(job_id=job.pk))
    return job


def job_signal(*, job_id: int) -> None:
    """Send one wake-up message for the job's queue and note when."""
    from .tasks import run_next_job

    job = GradingJob.objects.filter(pk=job_id).only("queue", "not_before").first()
    if job is None:
        return
    countdown = None
    if job.not_before and job.not_before > timezone.now():
        countdown = (job.not_before - timezone.now()).total_seconds()
    run_next_job.apply_async(kwargs={"queue": job.queue}, queue=job.queue, countdown=countdown)
    GradingJob.objects.filter(pk=job_id).update(signalled_at=timezone.now())


# --- claiming -------------------------------------------------------------------------------


def _fair_order(queryset, now: datetime):
    """Round-robin across students: who has been served least recently goes first.

    A student's thirty resubmissions are at most one queued job per assignment (superseding),
    and each job they had started in the last hour pushes their next one back behind students
    who had fewer. Ties go to the oldest job.
    """
    recent = (
        GradingJob.objects.filter(student=OuterRef("student"), started_at__gte=now - timedelta(hours=1))
        .order_by()
        .values("student")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(served=Coalesce(Subquery(recent), Value(0))).order_by("served", "queued_at", "pk")


def _queued(queue: str, now: datetime):
    return GradingJob.objects.filter(status=Status.QUEUED, queue=queue).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )


def job_claim_next(*, queue: str, worker: str | None = None, now: datetime | None = None) -> GradingJob | None:
    now = now or timezone.now()
    worker = worker or socket.gethostname()
    for _ in range(10):
        candidates = list(_fair_order(_queued(queue, now), now).values_list("pk", flat=True)[:5])
        if not candidates:
            return None
        for pk in candidates:
            claimed = GradingJob.objects.filter(pk=pk, status=Status.QUEUED).update(
                status=Status.RUNNING,
                attempts=F("attempts") + 1,
                started_at=now,
                lease_expires_at=now + lease_length(),
                claimed_by=worker,
            )
            if claimed:
                return GradingJob.objects.select_related("submission", "assignment").get(pk=pk)
    return None


# --- running --------------------------------------------------------------------------------


def _backend() -> str:
    configured = getattr(settings, "SANDBOX_BACKEND", "auto")
    if configured != "auto":
        return configured
    return best_available_backend()


_warm_pools: dict = {}


def _sandbox_for(assignment_dir: Path):
    """The backend's name, or, on a docker worker with GRADER_WARM_POOL > 0, this worker's warm
    pool for the assignment's limits (containers with torch imported, one job each)."""
    name = _backend()
    size = int(getattr(settings, "GRADER_WARM_POOL", 0))
    if name != "docker" or size <= 0:
        return name
    from grader.engine import _data_files
    from grader.sandbox.pool import WarmPool
    from grader.spec import load_spec

    spec = load_spec(assignment_dir)
    pool = _warm_pools.get(spec.limits)
    if pool is None:
        pool = _warm_pools[spec.limits] = WarmPool(limits=spec.limits, size=size, data_files=_data_files(spec))
    pool.fill(wait=False)
    return pool


def best_available_backend() -> str:
    """docker where an engine answers and has the grader image, else bwrap; never unsandboxed."""
    try:
        import docker
        from grader.sandbox.docker import default_image

        client = docker.from_env(timeout=5)
        client.images.get(default_image())  # an engine without the grader image cannot grade
        return "docker"
    except Exception:
        pass
    if shutil.which("bwrap"):
        return "bwrap"
    raise InfrastructureError("no sandbox on this worker: start a Docker engine or install bubblewrap")


class _LeaseKeeper(threading.Thread):
    """Extends a running job's lease while this worker lives; a dead worker stops extending it."""

    def __init__(self, job_id: int, attempt: int):
        super().__init__(daemon=True)
        self.job_id, self.attempt = job_id, attempt
        self.stopped = threading.Event()

    def run(self) -> None:
        period = lease_length().total_seconds() / 3
        while not self.stopped.wait(period):
            try:
                GradingJob.objects.filter(pk=self.job_id, status=Status.RUNNING, attempts=self.attempt).update(
                    lease_expires_at=timezone.now() + lease_length()
                )
            finally:
                connection.close()


def job_run(*, job: GradingJob) -> Report | None:
    """Grade a claimed job and record its report. Returns None when the job was not ours to
    finish (its lease had expired and another worker took it)."""
    from grader import grade
    from hub.submissions.services import submission_materialize

    attempt = job.attempts
    keeper = _LeaseKeeper(job.pk, attempt)
    keeper.start()
    workdir = Path(tempfile.mkdtemp(prefix=f"job{job.pk}-", dir=_ensure(settings.GRADER_WORK_DIR)))
    try:
        submission_dir = workdir / "submission"
        submission_materialize(submission=job.submission, dest=submission_dir)
        assignment_dir = Path(settings.ASSIGNMENTS_DIR) / job.autograder
        artifacts = Path(settings.GRADER_WORK_DIR) / "reports" / str(job.pk) / str(attempt)
        gpu = job.queue == "gpu"
        try:
            report = grade(
                assignment_dir,
                submission_dir,
                backend=_sandbox_for(assignment_dir),
                seed=job.seed,
                device=getattr(settings, "GRADER_DEVICE", "cpu"),
                phases={"queued": job.queued_at.isoformat()},
                gpu_memory_fraction=getattr(settings, "GRADER_GPU_MEMORY_FRACTION", None) if gpu else None,
            )
        except InfrastructureError:
            raise
        except Exception as exc:  # the engine failed, not the student's code
            raise InfrastructureError(f"{type(exc).__name__}: {exc}") from exc
        results = report.to_results_json()
        if not report.gradable:
            raise InfrastructureError(results.get("output") or "the grader marked the job not gradable")
        report.write(artifacts)  # results.json and the PNGs the checks attached
        return _finish(job=job, attempt=attempt, results=results, report=report, artifacts=artifacts)
    finally:
        keeper.stopped.set()
        shutil.rmtree(workdir, ignore_errors=True)


def _ensure(path) -> Path:
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


def _finish(*, job: GradingJob, attempt: int, results: dict, report, artifacts: Path) -> Report | None:
    now = timezone.now()
    with transaction.atomic():
        owned = GradingJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=attempt).update(
            status=Status.DONE,
            finished_at=now,
            lease_expires_at=None,
            phases={**job.phases, **results.get("phases", {}), "done": now.isoformat()},
            gpu_seconds=_gpu_seconds(job, results),
        )
        if not owned:
            log.warning("job %s: lease lost before finishing; the other attempt reports", job.pk)
            return None
        record = Report.objects.create(
            job=job,
            submission=job.submission,
            score=float(results["score"]),
            max_score=float(results.get("max_score", 0)),
            gradable=True,
            failure_kind=results.get("failure_kind") or "",
            results=results,
            artifacts_dir=str(artifacts),
        )
        _record_grade(job=job, record=record)
    return record


def _gpu_seconds(job: GradingJob, results: dict) -> float:
    if job.queue != "gpu":
        return 0.0
    resources = results.get("resources") or {}
    return float(resources.get("gpu_seconds") or resources.get("wall_s") or results.get("execution_time") or 0)


def _record_grade(*, job: GradingJob, record: Report) -> None:
    from hub.submissions import services as submission_services

    record_autograde = getattr(submission_services, "grade_record_autograde", None)
    if record_autograde is not None:
        record_autograde(
            submission=job.submission, points=record.score, max_points=record.max_score, report_id=record.pk
        )


def job_fail_infrastructure(*, job: GradingJob, attempt: int, error: str) -> bool:
    """Put a job whose grading broke back in the queue with backoff, or give up after the last
    attempt (not gradable: nothing is charged to the student). True if it was re-queued."""
    now = timezone.now()
    if attempt >= max_attempts():
        GradingJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=attempt).update(
            status=Status.FAILED_INFRASTRUCTURE, finished_at=now, lease_expires_at=None, last_error=error[-4000:]
        )
        return False
    backoff = timedelta(seconds=getattr(settings, "GRADING_BACKOFF_SECONDS", 30) * 2 ** (attempt - 1))
    requeued = GradingJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=attempt).update(
        status=Status.QUEUED, lease_expires_at=None, not_before=now + backoff, last_error=error[-4000:]
    )
    if requeued:
        transaction.on_commit(lambda: job_signal(job_id=job.pk))
    return bool(requeued)


# --- recovering -----------------------------------------------------------------------------


def jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-queue running jobs whose lease expired (their worker died) and re-send wake-up
    messages for queued jobs whose message may have been lost (a restarted or flushed broker)."""
    now = now or timezone.now()
    expired = GradingJob.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now)
    requeued = 0
    for job in expired:
        if job.attempts >= max_attempts():
            GradingJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(
                status=Status.FAILED_INFRASTRUCTURE, finished_at=now, lease_expires_at=None,
                last_error="the worker stopped answering on every attempt",
            )
            continue
        if GradingJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(
            status=Status.QUEUED, lease_expires_at=None, last_error=f"lease expired on {job.claimed_by}"
        ):
            requeued += 1
            job_signal(job_id=job.pk)
    stale = now - timedelta(seconds=getattr(settings, "GRADING_RESIGNAL_SECONDS", 120))
    lost = list(
        _queued_any(now).filter(Q(signalled_at__isnull=True) | Q(signalled_at__lt=stale)).values_list("pk", flat=True)
    )
    for pk in lost:
        job_signal(job_id=pk)
    return {"requeued": requeued, "resignalled": len(lost)}


def _queued_any(now: datetime):
    return GradingJob.objects.filter(status=Status.QUEUED).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuePlace:
    position: int  # 1: next to be graded
    ahead: int
    estimated_wait: timedelta


def job_queue_place(*, job: GradingJob, now: datetime | None = None) -> QueuePlace | None:
    """Where a queued job stands in the fair order, and a wait estimated from recent jobs."""
    if job.status != Status.QUEUED:
        return None
    now = now or timezone.now()
    order = list(_fair_order(_queued(job.queue, now), now).values_list("pk", flat=True))
    ahead = order.index(job.pk) if job.pk in order else len(order)
    recent = GradingJob.objects.filter(status=Status.DONE, finished_at__gte=now - timedelta(hours=6)).aggregate(
        mean=Avg(F("finished_at") - F("started_at"))
    )["mean"] or timedelta(seconds=30)
    workers = max(1, GradingJob.objects.filter(status=Status.RUNNING, queue=job.queue).count(), _worker_count())
    running = GradingJob.objects.filter(status=Status.RUNNING, queue=job.queue).count()
    wait = recent * ((ahead + running) / workers)
    return QueuePlace(position=ahead + 1, ahead=ahead, estimated_wait=wait)


def _worker_count() -> int:
    return int(getattr(settings, "GRADING_WORKERS", 1))
