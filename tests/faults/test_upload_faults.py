"""Uploads under faults: the database restarted while uploads are in flight, the store's disk
full. Whatever happens, an upload either has a receipt (and then its row and its bytes, with
the sha256 the receipt shows) or says that it failed; nothing half-stored counts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from hub.submissions.models import Submission

from ..factories import AssignmentFactory

pytestmark = [pytest.mark.slow]

MiB = 1024 * 1024

CHECK = """
import json, sys
sys.path.insert(0, 'bench/load')
from seed import django_setup
django_setup()
from integrity import store_check
from hub.submissions.models import Submission
print(json.dumps({'check': store_check(), 'ids': list(Submission.objects.values_list('id', flat=True))}))
"""


def _pg_cluster() -> tuple[str, str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or not shutil.which("pg_ctlcluster"):
        pytest.skip("needs a local PostgreSQL cluster managed by pg_ctlcluster")
    return versions[-1], "main"


def restart_postgres(stack) -> None:
    version, name = _pg_cluster()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
                   check=True, timeout=120, capture_output=True)


def _upload(base: str, token: str, seed: dict, i: int, size: int) -> dict:
    data = b"%PDF-1.4\n" + os.urandom(size)
    url = f"{base}/api/courses/{seed['course']}/assignments/{seed['assignment']}/submissions/create/"
    try:
        r = httpx.post(url, headers={"Authorization": f"Token {token}"}, timeout=60,
                       files=[("files", ("report.pdf", data, "application/pdf"))],
                       data={"sources_statement": "none"})
    except httpx.HTTPError as exc:
        return {"i": i, "status": None, "error": repr(exc)}
    out = {"i": i, "status": r.status_code, "body": r.text[:500]}
    if r.status_code == 201:
        out["receipt"] = r.json()
    return out


def test_database_restarted_during_uploads(postgres, tmp_path):
    """PostgreSQL restarts while 24 students upload. Receipts are all backed by rows and blobs;
    the others failed visibly; afterwards uploads work again without restarting anything."""
    stack = postgres
    dbname = "coursehub_fault_db_restart"
    env = stack.app_env(database_url=stack.scratch_database(dbname), store=tmp_path / "store",
                        broker="redis://127.0.0.1:6379/14")
    web = None
    try:
        stack.migrate(env)
        stack.run_python(env, "bench/load/seed.py", "--students", "25", "--due-in", "3600",
                         "--autograder", "", "--out", str(tmp_path / "seed.json"))
        seed = json.loads((tmp_path / "seed.json").read_text())
        port = stack.free_port()
        web = stack.start_gunicorn(env, port=port, workers=3, log=tmp_path / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        results: list[dict] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            r = _upload(base, seed["students"][i]["token"], seed, i, 2 * MiB)
            with lock:
                results.append(r)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
        for k, t in enumerate(threads):
            t.start()
            if k == 8:
                restart_postgres(stack)  # mid-stream: some uploads before, some during, some after
        for t in threads:
            t.join(timeout=180)
        assert len(results) == 24

        # After the restart, a new upload goes through by itself (new connections, no restart).
        def later_upload_ok():
            r = _upload(base, seed["students"][24]["token"], seed, 24, 1024)
            return r if r["status"] == 201 else None

        later = stack.wait_until(later_upload_ok, timeout=60, what="an upload after the restart")
        accepted = [r for r in results if r["status"] == 201] + [later]
        failed = [r for r in results if r["status"] != 201]
        for r in failed:  # a failure says so: an error status with a body, or a dropped connection
            assert r["status"] is None or (r["status"] >= 400 and r["body"]), r

        state = json.loads(stack.run_python(env, "-c", CHECK).stdout.strip().splitlines()[-1])
        assert state["check"]["ok"], state["check"]
        receipt_ids = {r["receipt"]["id"] for r in accepted}
        assert receipt_ids <= set(state["ids"])  # no receipt without its row (and blob, above)
        assert len(accepted) >= 10
        statuses = sorted(str(r["status"]) for r in results)
        print(f"database restart: {len(accepted)} receipts, failures {[s for s in statuses if s != '201']}")
    finally:
        if web is not None:
            stack.stop(web)
        stack.wait_until(stack.pg_available, timeout=120, what="PostgreSQL back up")
        stack.drop_database(dbname)


# --- the disk full --------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MiB tmpfs for the store (root only); grown to 64 MiB by `grow()`."""
    mount = tmp_path / "smalldisk"
    mount.mkdir()
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0755", "tmpfs", str(mount)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {out.stderr.strip()}")

    def grow() -> None:
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)

    try:
        yield mount, grow
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.django_db
def test_disk_full_during_upload(course, student, small_disk, settings):
    mount, grow = small_disk
    settings.SUBMISSION_STORE = mount / "store"
    assignment = AssignmentFactory(course=course, slug="hw-disk", due_at=timezone.now() + timezone.timedelta(days=1),
                                   autograder="", max_upload_bytes=8 * MiB)
    client = APIClient()
    client.raise_request_exception = False  # see the response a student would get
    client.force_authenticate(student)
    url = f"/api/courses/{course.slug}/assignments/{assignment.slug}/submissions/create/"

    def post(n: int):
        pdf = SimpleUploadedFile(f"report{n}.pdf", b"%PDF-1.4\n" + os.urandom(2 * MiB))
        return client.post(url, {"files": [pdf], "sources_statement": "none"})

    statuses = []
    for n in range(4):  # 6 MiB hold two 2 MiB blobs, not three (nor their temporary files)
        response = post(n)
        statuses.append(response.status_code)
        if response.status_code != 201:
            break
    assert statuses[:2] == [201, 201] and statuses[-1] != 201, statuses
    failure = response
    assert failure.status_code in (400, 500, 503, 507)
    assert Submission.objects.count() == statuses.count(201)  # no row for the failed upload
    # No half-written blob: every file in objects/ is complete, and the temporary files are gone.
    objects = [p for p in (mount / "store" / "objects").rglob("*") if p.is_file()]
    assert len(objects) == statuses.count(201)
    assert not any((mount / "store" / "tmp").iterdir())
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "load"))
    from integrity import store_check

    assert store_check()["ok"]

    grow()  # the operator frees space: the next upload is accepted, nothing restarted
    assert post(9).status_code == 201
    assert store_check()["ok"]


@pytest.mark.django_db
def test_disk_full_says_so_to_the_student(course, student, small_disk, settings):
    mount, _ = small_disk
    settings.SUBMISSION_STORE = mount / "store"
    assignment = AssignmentFactory(course=course, slug="hw-disk2", due_at=timezone.now() + timezone.timedelta(days=1),
                                   autograder="", max_upload_bytes=16 * MiB)
    client = APIClient()
    client.raise_request_exception = False  # see the response a student would get
    client.force_authenticate(student)
    pdf = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + os.urandom(7 * MiB))
    response = client.post(f"/api/courses/{course.slug}/assignments/{assignment.slug}/submissions/create/",
                           {"files": [pdf], "sources_statement": "none"})
    assert response.status_code in (503, 507)
    assert "space" in response.content.decode().lower() or "storage" in response.content.decode().lower()
