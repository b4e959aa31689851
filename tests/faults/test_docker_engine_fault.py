"""The Docker engine stops while a worker grades, and starts again: the job is not charged to
the student (no verdict from a dead engine), it is retried with backoff, and once the engine is
back it is graded, once, with full marks for the reference solution.

The engine here is a private dockerd this test starts (its own socket, data root and no
networking), so the machine's engine, which others use, is never touched; the grader image is
copied into it with `docker save | docker load`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.docker]

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "grader" / "fixtures"
IMAGE = os.environ.get("GRADER_IMAGE", "grader-cpu:latest")

from .test_grading_faults import SUBMIT  # noqa: E402

REPORTS = """
import json, sys
sys.path.insert(0, 'bench/load')
from seed import django_setup
django_setup()
from hub.grading.models import GradingJob, Report
print(json.dumps({'jobs': list(GradingJob.objects.values('status', 'attempts', 'last_error')),
                  'reports': list(Report.objects.values('score', 'max_score', 'failure_kind'))}))
"""


class PrivateEngine:
    def __init__(self, root: Path):
        self.root = root
        self.sock = root / "docker.sock"
        self.host = f"unix://{self.sock}"
        self.proc: subprocess.Popen | None = None

    def start(self, stack) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        cmd = ["dockerd", "--host", self.host, "--data-root", str(self.root / "data"),
               "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "docker.pid"),
               "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false"]
        self.proc = subprocess.Popen(cmd, stdout=open(self.root / "dockerd.log", "ab"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        stack.wait_until(self.answers, timeout=60, what="the private dockerd")

    def answers(self) -> bool:
        out = subprocess.run(["docker", "-H", self.host, "info"], capture_output=True, timeout=30)
        return out.returncode == 0

    def stop(self, stack) -> None:
        if self.proc is not None:
            stack.stop(self.proc, timeout=60)
            self.proc = None


def test_docker_engine_stopped_during_grading_and_started_again(postgres, tmp_path):
    stack = postgres
    if not shutil.which("dockerd"):
        pytest.skip("needs dockerd")
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode != 0:
        pytest.skip(f"needs the grader image {IMAGE} (make grader-image)")
    engine = PrivateEngine(Path("/tmp") / f"faults-dockerd-{os.getpid()}")
    dbname = "coursehub_fault_docker"
    worker = None
    try:
        engine.start(stack)
        load = subprocess.run(f"docker save {IMAGE} | docker -H {engine.host} load", shell=True,
                              capture_output=True, text=True, timeout=600)
        assert load.returncode == 0, load.stderr
        env = stack.app_env(
            database_url=stack.scratch_database(dbname), store=tmp_path / "store",
            broker="redis://127.0.0.1:6379/12", ASSIGNMENTS_DIR=TOY, SANDBOX_BACKEND="docker",
            DOCKER_HOST=engine.host, GRADER_IMAGE=IMAGE,
            GRADING_BACKOFF_SECONDS=10, GRADING_MAX_ATTEMPTS=6, GRADING_LEASE_SECONDS=30,
        )
        stack.migrate(env)
        import redis

        redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
        ids = json.loads(stack.run_python(env, "-c", SUBMIT).stdout.strip().splitlines()[-1])
        assert len(ids) == 3

        def state():
            return json.loads(stack.run_python(env, "-c", REPORTS).stdout.strip().splitlines()[-1])

        worker = stack.start_worker(env, queues="cpu,default", name="engine", log=tmp_path / "worker.log")
        # Stop the engine as soon as the worker has claimed a job (grading is under way).
        stack.wait_until(lambda: any(j["status"] == "running" for j in state()["jobs"]) or None,
                         timeout=120, interval=0.3, what="a job to start")
        engine.stop(stack)
        # With the engine gone, jobs fail as infrastructure (retried), never as the student's fault.
        stack.wait_until(lambda: any(j["attempts"] >= 1 and j["status"] == "queued" and j["last_error"]
                                     for j in state()["jobs"]) or None,
                         timeout=120, interval=1, what="a job to be put back in the queue")
        assert not any(r["score"] < r["max_score"] for r in state()["reports"])
        engine.start(stack)

        final = stack.wait_until(lambda: (s := state()) and all(j["status"] == "done" for j in s["jobs"]) and s,
                                 timeout=300, interval=2, what="grading to resume once the engine is back")
        assert len(final["reports"]) == 3
        assert all(r["score"] == r["max_score"] for r in final["reports"]), final["reports"]
        assert any(j["attempts"] > 1 for j in final["jobs"])  # the interrupted job was retried
    finally:
        if worker is not None:
            stack.stop(worker)
        engine.stop(stack)
        stack.drop_database(dbname)
        shutil.rmtree(engine.root, ignore_errors=True)
