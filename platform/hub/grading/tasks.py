"""Celery tasks of the grading app: interfaces that take names, re-read rows and call services."""

from __future__ import annotations

import logging
import socket

from celery import shared_task
from django.conf import settings

from . import jobs

log = logging.getLogger(__name__)

# Sandbox wall limit < soft limit < hard limit < the broker's visibility timeout (settings).
SOFT_LIMIT = getattr(settings, "GRADING_SOFT_TIME_LIMIT", 900)
HARD_LIMIT = getattr(settings, "GRADING_HARD_TIME_LIMIT", 960)


@shared_task(
    name="grading.run_next_job",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_LIMIT,
    time_limit=HARD_LIMIT,
    ignore_result=True,
)
def run_next_job(queue: str = "cpu") -> int | None:
    """Claim the fairest queued job of `queue` and grade it. A message with nothing left to claim
    (its job was superseded, or graded through another message) does nothing."""
    job = jobs.job_claim_next(queue=queue, worker=f"{socket.gethostname()}:{queue}")
    if job is None:
        return None
    try:
        jobs.job_run(job=job)
    except jobs.InfrastructureError as exc:
        log.warning("job %s attempt %s: infrastructure failure: %s", job.pk, job.attempts, exc)
        jobs.job_fail_infrastructure(job=job, attempt=job.attempts, error=str(exc))
    return job.pk


@shared_task(name="grading.sweep_jobs", ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    return jobs.jobs_sweep()
