"""Point 1: the command-line client submits to a live server, shows progress and prints the receipt."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from hub.submissions.models import Submission

from .conftest import PDF, make_zip, py, stored_blobs

CLI = Path(__file__).resolve().parents[2] / "scripts" / "submit.py"


def run_cli(live_server, *args, env=None):
    return subprocess.run(
        [sys.executable, str(CLI), "--server", live_server.url, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def open_hw1(hw1):
    hw1.due_at = timezone.now() + timedelta(days=1)
    hw1.save()
    return hw1


@pytest.mark.django_db(transaction=True)
def test_cli_submits_and_prints_the_receipt(live_server, open_hw1, student, tmp_path, store):
    token = Token.objects.create(user=student)
    (tmp_path / "model.py").write_bytes(py("import torch\n" * 2000))
    (tmp_path / "answers.pdf").write_bytes(PDF)
    result = run_cli(
        live_server,
        "--course",
        open_hw1.course.slug,
        "--assignment",
        "hw1",
        "--token",
        token.key,
        "--sources",
        "DCGAN tutorial for the generator",
        str(tmp_path / "model.py"),
        str(tmp_path / "answers.pdf"),
    )
    assert result.returncode == 0, result.stderr
    sub = Submission.objects.get()
    assert "Uploading [" in result.stderr and "100.0%" in result.stderr
    assert f"sha256         : {sub.sha256}" in result.stdout
    assert f"Receipt number : {sub.pk}" in result.stdout
    assert (
        sub.created_at.astimezone(open_hw1.course.zone).strftime("%I:%M:%S %p %Z") in result.stdout
    )
    for f in sub.files.all():
        assert f"{f.sha256}  {f.size}  {f.name}" in result.stdout
    assert sub.sources_statement == "DCGAN tutorial for the generator"
    assert len(stored_blobs(store)) == 2


@pytest.mark.django_db(transaction=True)
def test_cli_logs_in_with_username_and_reports_a_refusal(
    live_server, open_hw1, student, tmp_path, store
):
    open_hw1.required_files = ["model.py"]
    open_hw1.save()
    bad = tmp_path / "work.zip"
    bad.write_bytes(make_zip({"notes.py": py()}))
    result = run_cli(
        live_server,
        "--course",
        open_hw1.course.slug,
        "--assignment",
        "hw1",
        "--username",
        "alice",
        "--sources",
        "None",
        str(bad),
        env={"COURSE_PASSWORD": "pw-for-tests-1"},
    )
    assert result.returncode == 1
    assert "NOT SUBMITTED (400): Missing required file: model.py" in result.stderr
    assert not Submission.objects.exists() and stored_blobs(store) == []


def test_cli_needs_a_sources_statement(tmp_path):
    (tmp_path / "model.py").write_bytes(py())
    result = subprocess.run(
        [
            sys.executable,
            str(CLI),
            "--course",
            "c",
            "--assignment",
            "a",
            "--token",
            "t",
            str(tmp_path / "model.py"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "public sources" in result.stderr
