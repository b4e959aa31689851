"""The restore drill of docs/deployment.md, performed: back up a database (pg_dump) and the
submissions store (tar), lose both, restore them into a new database and folder, and check
that every submission's files are there with the sha256 their rows record."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile

import pytest

pytestmark = [pytest.mark.slow]

SEED_SUBMISSIONS = """
import io, json, sys, zipfile
sys.path.insert(0, 'bench/load')
from seed import django_setup, seed
django_setup()
from hub.courses.models import Assignment
from hub.submissions.bundles import Upload
from hub.submissions.services import submission_create
from django.contrib.auth import get_user_model
data = seed(students=6, due_in_s=3600, autograder='')
assignment = Assignment.objects.get(course__slug=data['course'], slug=data['assignment'])
ids = []
for i, s in enumerate(data['students']):
    user = get_user_model().objects.get(username=s['username'])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('pkg/model.py', f'x = {i}\\n')
        z.writestr('pkg/util.py', 'y = 2\\n')
    uploads = [Upload('vae.py', f'# student {i}\\nimport torch\\n'.encode()),
               Upload('report.pdf', b'%PDF-1.4\\n' + bytes([i]) * 50000), Upload('work.zip', buf.getvalue())]
    for attempt in range(2):  # a resubmission: two submissions per student, blobs shared
        ids.append(submission_create(assignment=assignment, student=user, uploads=uploads[: 2 + attempt],
                                     sources_statement='none').pk)
print(json.dumps(ids))
"""

CHECK = """
import json, sys
sys.path.insert(0, 'bench/load')
from seed import django_setup
django_setup()
from integrity import store_check
print(json.dumps(store_check()))
"""


def _pg(*args: str) -> None:
    out = subprocess.run(list(args), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr


def test_backup_and_restore_keep_every_file_with_its_hash(postgres, tmp_path):
    stack = postgres
    source_db, restored_db = "coursehub_drill_source", "coursehub_drill_restored"
    store = tmp_path / "live" / "store"
    try:
        env = stack.app_env(database_url=stack.scratch_database(source_db), store=store)
        stack.migrate(env)
        ids = json.loads(stack.run_python(env, "-c", SEED_SUBMISSIONS).stdout.strip().splitlines()[-1])
        assert len(ids) == 12
        before = json.loads(stack.run_python(env, "-c", CHECK).stdout.strip().splitlines()[-1])
        assert before["ok"] and before["submissions"] == 12 and before["files"] > 24

        # Back up: the database in pg_dump's custom format, the store as a tarball.
        dump, archive = tmp_path / "coursehub.dump", tmp_path / "store.tar.gz"
        _pg("pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-Fc", "-f", str(dump), source_db)
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(store, arcname="store")

        # Disaster: both gone.
        stack.drop_database(source_db)
        shutil.rmtree(tmp_path / "live")

        # Restore into a new database and a new folder.
        stack.scratch_database(restored_db)
        _pg("pg_restore", "-h", "127.0.0.1", "-U", "postgres", "--no-owner", "-d", restored_db, str(dump))
        restored_root = tmp_path / "restored"
        restored_root.mkdir()
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(restored_root, filter="data")
        env = stack.app_env(database_url=stack.pg_url(restored_db), store=restored_root / "store")
        after = json.loads(stack.run_python(env, "-c", CHECK).stdout.strip().splitlines()[-1])
        assert after == before

        # The drill detects damage: one flipped byte in one blob is reported.
        blob = next(p for p in (restored_root / "store" / "objects").rglob("*") if p.is_file())
        blob.chmod(0o644)
        data = bytearray(blob.read_bytes())
        data[0] ^= 0xFF
        blob.write_bytes(bytes(data))
        damaged = json.loads(stack.run_python(env, "-c", CHECK).stdout.strip().splitlines()[-1])
        assert not damaged["ok"] and damaged["mismatched"]
    finally:
        stack.drop_database(source_db)
        stack.drop_database(restored_db)
