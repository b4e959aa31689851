"""Fault tests run the real services as separate processes (bench/load/stack.py): a scratch
PostgreSQL database, gunicorn, Celery workers on Redis. They need PostgreSQL on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parents[2] / "bench" / "load"
if str(LOAD) not in sys.path:
    sys.path.insert(0, str(LOAD))

import stack  # noqa: E402


@pytest.fixture
def postgres():
    if not stack.pg_available():
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 (CI starts it)")
    return stack
