"""The real services for benchmarks and fault tests: a scratch PostgreSQL database, gunicorn
and Celery workers as separate processes, all on 127.0.0.1.

Everything here is bounded: waits poll with a deadline, processes are stopped by their own id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
PYTHON = sys.executable


def pg_url(dbname: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{dbname}"


def pg_available() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", PG["host"], "-p", PG["port"]], timeout=10).returncode == 0


def psql(sql: str, dbname: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", dbname, "-tAc", sql],
        capture_output=True, text=True, timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"psql {sql!r}: {out.stderr}")
    return out.stdout.strip()


def scratch_database(name: str) -> str:
    """A fresh, empty database called `name` (dropped first if it exists)."""
    drop_database(name)
    psql(f'CREATE DATABASE "{name}"')
    return pg_url(name)


def drop_database(name: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(*, database_url: str, store: Path, broker: str = "redis://127.0.0.1:6379/0", **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "USER", "DOCKER_HOST", "GRADER_IMAGE")}
    env.update(
        PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        SUBMISSION_STORE=str(store),
        GRADER_WORK_DIR=str(store.parent / "grading"),
        CELERY_BROKER_URL=broker,
        SECRET_KEY="bench-" + "x" * 44,
        DEBUG="0",
        TESTING="0",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_python(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    out = subprocess.run([PYTHON, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return out


def migrate(env: dict) -> None:
    run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_gunicorn(env: dict, *, port: int, workers: int = 3, threads: int = 1, log: Path | None = None,
                   timeout: float = 60) -> subprocess.Popen:
    cmd = [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--threads", str(threads), "--timeout", "120",
           "--graceful-timeout", "10", "--backlog", "2048"]
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: proc.poll() is None and _answers(f"http://127.0.0.1:{port}/accounts/login/"),
                   timeout=timeout, what="gunicorn")
    except TimeoutError:
        stop(proc)
        raise
    return proc


def start_worker(env: dict, *, queues: str = "cpu", concurrency: int = 1, name: str = "w1",
                 log: Path | None = None, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-n", f"{name}@%h",
           "--concurrency", str(concurrency), "--pool", "prefork", "--loglevel", "INFO", "--without-gossip",
           "--without-mingle", *extra]
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Stop a process group this module started (by its own id), then make sure it is gone."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
