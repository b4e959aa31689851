"""Real Celery worker processes for tests: started against the test database and the broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def require_shared_database() -> None:
    """Worker processes must see the test's rows: PostgreSQL (CI) rather than in-memory SQLite."""
    if connection.vendor == "sqlite":
        if os.environ.get("CI"):
            pytest.fail("CI must run the worker tests on PostgreSQL (set DATABASE_URL)")
        pytest.skip("worker processes need a shared database: set DATABASE_URL to PostgreSQL")


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(name: str, *, queue: str = "cpu", **env_extra: str):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "worker-under-test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "ASSIGNMENTS_DIR": str(settings.ASSIGNMENTS_DIR),
        "GRADER_WORK_DIR": str(settings.GRADER_WORK_DIR),
        "SUBMISSION_STORE": str(settings.SUBMISSION_STORE),
        **env_extra,
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-P", "solo",
        "-n", f"{name}@%h", "--without-mingle", "--without-gossip", "--loglevel=INFO",
    ]
    log = open(Path(settings.GRADER_WORK_DIR) / f"worker-{name}.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def kill_hard(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.2):
    """Poll `predicate` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def flush_broker() -> None:
    """Lose every queued message, as a restarted broker without persistence would."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("redis://"):
        import redis

        redis.Redis.from_url(url).flushdb()
    elif url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        for message in folder.glob("*.msg"):
            message.unlink()
    else:
        pytest.fail(f"cannot flush the broker {url}")
