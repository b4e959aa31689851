"""schemathesis against the project's own OpenAPI schema on a live server: no generated request,
valid or not, may get a 5xx.

Three runs: a student and the instructor with the URL parameters pinned to real objects (so
requests reach the services, not only the 404 of an unknown course), and a student with every
parameter generated freely.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

pytestmark = [pytest.mark.slow]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
PINNED = ("slug", "assignment_slug", "submission_id", "file_id", "set_id", "group_id", "slot_id", "regrade_id")


def _config(path: Path, world, pinned: bool) -> Path:
    lines = []
    if pinned:
        lines.append("[parameters]")
        for name in PINNED:
            if name in world.params:
                value = world.params[name]
                lines.append(f'"path.{name}" = {value!r}'.replace("'", '"'))
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(live_server, world, tmp_path: Path, persona: str, *, pinned: bool) -> subprocess.CompletedProcess:
    token = Token.objects.get_or_create(user=world.users[persona])[0].key
    name = f"{persona}-{'pinned' if pinned else 'free'}"
    config = _config(tmp_path / f"{name}.toml", world, pinned)
    command = [
        str(SCHEMATHESIS), "--no-color", "--config-file", str(config), "run",
        f"{live_server.url}/api/schema/",
        "--checks", "not_a_server_error",
        "--header", f"Authorization: Token {token}",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", "20231105",
        "--generation-database", "none",
        # Revoking the caller's token would turn the rest of the run into 401s (and it is
        # tested in test_accounts.py).
        "--exclude-operation-id", "auth_token_revoke",
        # The token header is ours; generated Authorization/Cookie values would replace it.
        "--generation-with-security-parameters", "false",
        "--request-timeout", "20",
        "--workers", "1",
        "--report", "junit",
        "--report-junit-path", str(tmp_path / f"{name}.xml"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    (tmp_path / f"{name}.log").write_text(result.stdout + result.stderr)
    return result


@pytest.mark.parametrize(
    ("persona", "pinned"), [("student", True), ("instructor", True), ("student", False)],
    ids=["student-pinned", "instructor-pinned", "student-free"],
)
def test_no_generated_request_gets_a_server_error(transactional_db, live_server, world, tmp_path, persona, pinned):
    result = _run(live_server, world, tmp_path, persona, pinned=pinned)
    tail = (result.stdout + result.stderr)[-6000:]
    assert "Server error" not in result.stdout and "Failures:" not in result.stdout, tail
    if result.returncode != 0:
        # Django's test server (wsgiref) sometimes answers a malformed generated request with its
        # own HTML error page and drops the connection: a network error, not one of our answers.
        # A server that died would fail every request after it, so only a couple are tolerated.
        dropped = re.search(r"Network Error: (\d+)", result.stdout)
        assert dropped and int(dropped.group(1)) <= 2 and "Errors:" in result.stdout, tail
    tested = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", result.stdout)
    assert tested, tail
    selected, total, ran = map(int, tested.groups())
    assert selected == ran == total - 1 >= 30, tail  # every operation but the revocation ran
    assert "401 Unauthorized" not in result.stdout, tail  # the token held to the end
