"""Grading under faults, with real processes: Redis restarted while jobs are queued.

A worker killed with SIGKILL mid-job and a broker whose messages were flushed are covered by
tests/grading/test_worker_faults.py (the grading app's own tests); this file restarts the real
redis-server, as an operator or a crash would, and checks that grading resumes by itself: the
sweeper, run by a real Celery beat, re-sends the lost wake-up messages and a worker grades
every job once.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "grader" / "fixtures"
# How CI starts Redis (.ci/run); used to start it again after the shutdown.
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
               "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]

SUBMIT = """
import json, sys
sys.path.insert(0, 'bench/load')
from seed import django_setup, seed
django_setup()
from django.contrib.auth import get_user_model
from hub.courses.models import Assignment
from hub.submissions.bundles import Upload
from hub.submissions.services import submission_create
data = seed(students=3, due_in_s=3600, autograder='toy')
Assignment.objects.filter(slug=data['assignment']).update(required_files=['solution.py'])
assignment = Assignment.objects.get(slug=data['assignment'])
source = open('tests/grader/fixtures/toy/reference/solution.py', 'rb').read()
ids = [submission_create(assignment=assignment, student=get_user_model().objects.get(username=s['username']),
                         uploads=[Upload('solution.py', source)], sources_statement='none').pk
       for s in data['students']]
print(json.dumps(ids))
"""

JOBS = """
import json, sys
sys.path.insert(0, 'bench/load')
from seed import django_setup
django_setup()
from hub.grading.models import GradingJob, Report
print(json.dumps({'jobs': list(GradingJob.objects.values_list('status', flat=True)),
                  'reports': Report.objects.count()}))
"""


def _redis(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", *args],
                          capture_output=True, text=True, timeout=30)


def _redis_up() -> bool:
    return _redis("ping").stdout.strip() == "PONG"


def restart_redis(stack) -> None:
    """Shut the real Redis down without saving (queued messages are lost), start it again."""
    _redis("shutdown", "nosave")
    stack.wait_until(lambda: not _redis_up(), timeout=30, what="Redis to stop")
    os.makedirs("/var/lib/redis", exist_ok=True)
    os.makedirs("/var/log/redis", exist_ok=True)
    subprocess.run(REDIS_START, check=True, timeout=30)
    stack.wait_until(_redis_up, timeout=30, what="Redis to start")


def test_redis_restarted_with_jobs_queued(postgres, tmp_path):
    stack = postgres
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    dbname = "coursehub_fault_redis"
    broker = "redis://127.0.0.1:6379/15"
    env = stack.app_env(
        database_url=stack.scratch_database(dbname), store=tmp_path / "store", broker=broker,
        ASSIGNMENTS_DIR=TOY, SANDBOX_BACKEND=os.environ.get("SANDBOX_BACKEND", "auto"),
        GRADING_RESIGNAL_SECONDS=5,
    )
    worker = beat = None
    try:
        stack.migrate(env)
        ids = json.loads(stack.run_python(env, "-c", SUBMIT).stdout.strip().splitlines()[-1])
        assert len(ids) == 3
        queued = json.loads(stack.run_python(env, "-c", JOBS).stdout.strip().splitlines()[-1])
        assert queued["jobs"] == ["queued"] * 3

        import redis

        assert redis.Redis.from_url(broker).llen("cpu") == 3  # one wake-up message per job
        restart_redis(stack)
        assert redis.Redis.from_url(broker).llen("cpu") == 0  # the messages are gone

        # The sweeper's task goes to the default queue: a deployment needs a worker that serves it.
        worker = stack.start_worker(env, queues="cpu,default", name="faults", log=tmp_path / "worker.log")
        beat = subprocess.Popen(
            [stack.PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--schedule", str(tmp_path / "beat-schedule")],
            env=env, cwd=ROOT, stdout=open(tmp_path / "beat.log", "ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def all_done():
            state = json.loads(stack.run_python(env, "-c", JOBS).stdout.strip().splitlines()[-1])
            return state if state["jobs"] and all(s == "done" for s in state["jobs"]) else None

        # The sweeper runs every 60 s; give it two rounds and the grading time.
        state = stack.wait_until(all_done, timeout=240, interval=3, what="grading to resume after the restart")
        assert state["reports"] == 3  # each job graded exactly once
    finally:
        for proc in (beat, worker):
            if proc is not None:
                stack.stop(proc)
        if not _redis_up():
            os.makedirs("/var/lib/redis", exist_ok=True)
            os.makedirs("/var/log/redis", exist_ok=True)
            subprocess.run(REDIS_START, check=False, timeout=30)
        stack.drop_database(dbname)
