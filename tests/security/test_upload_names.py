"""Names that students send are data, never paths: the store addresses bytes by sha256 only, and
hostile names (in a form upload or inside an archive) are refused or reduced to a checked
relative name before anything is written."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from hub.submissions.models import Submission, SubmissionFile

from ..factories import AssignmentFactory

pytestmark = pytest.mark.django_db

HOSTILE_MEMBERS = [
    "../escape.py",
    "a/../../escape.py",
    "/tmp/escape.py",
    "C:\\escape.py",
    "..\\..\\escape.py",
    "ok/./../../escape.py",
    ".hidden/escape.py",
]


@pytest.fixture
def open_assignment(course):
    return AssignmentFactory(course=course, slug="hw-open", due_at=timezone.now() + timedelta(days=2), autograder="")


@pytest.fixture
def api(student):
    client = APIClient()
    client.force_authenticate(student)
    return client


def _url(course, assignment) -> str:
    return f"/api/courses/{course.slug}/assignments/{assignment.slug}/submissions/create/"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def _files_under(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _assert_store_holds_only_hashes(store) -> None:
    for rel in _files_under(store):
        assert re.fullmatch(r"objects/[0-9a-f]{2}/[0-9a-f]{62}", rel), f"unexpected file in the store: {rel}"


def test_a_form_upload_named_like_a_path_is_stored_by_hash(api, course, open_assignment, store_dir, tmp_path):
    hostile = SimpleUploadedFile("../../../../escape.py", b"print('hi')\n")
    response = api.post(_url(course, open_assignment), {"files": [hostile], "sources_statement": "none"})
    assert response.status_code == 201, response.content
    names = list(SubmissionFile.objects.values_list("name", flat=True))
    assert names and all(".." not in n and not n.startswith("/") for n in names)
    _assert_store_holds_only_hashes(store_dir)
    assert not any(p.name == "escape.py" for p in tmp_path.parent.rglob("escape.py"))


@pytest.mark.parametrize("member", HOSTILE_MEMBERS)
def test_an_archive_member_that_climbs_out_is_refused(api, course, open_assignment, store_dir, member):
    archive = SimpleUploadedFile("work.zip", _zip({"model.py": b"x = 1\n", member: b"boom = 1\n"}))
    response = api.post(_url(course, open_assignment), {"files": [archive], "sources_statement": "none"})
    assert response.status_code == 400, response.content
    assert response.json()  # a message for the student
    assert not Submission.objects.filter(assignment=open_assignment).exists()
    assert not store_dir.exists() or not _files_under(store_dir)


def test_a_symlink_in_a_tarball_is_refused(api, course, open_assignment, store_dir):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        link = tarfile.TarInfo("model.py")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    archive = SimpleUploadedFile("work.tar.gz", buf.getvalue())
    response = api.post(_url(course, open_assignment), {"files": [archive], "sources_statement": "none"})
    assert response.status_code == 400
    assert "link" in response.content.decode().lower()


def test_nested_names_stay_inside_the_folder_the_grader_gets(api, course, open_assignment, store_dir, tmp_path):
    from hub.submissions.services import submission_materialize

    archive = SimpleUploadedFile("work.zip", _zip({"pkg/model.py": b"x = 1\n", "pkg/sub/util.py": b"y = 2\n"}))
    response = api.post(_url(course, open_assignment), {"files": [archive], "sources_statement": "none"})
    assert response.status_code == 201, response.content
    _assert_store_holds_only_hashes(store_dir)
    submission = Submission.objects.get(assignment=open_assignment)
    dest = tmp_path / "job" / "submission"
    written = submission_materialize(submission=submission, dest=dest)
    assert written and all(dest.resolve() in p.resolve().parents for p in written)


def test_a_row_with_a_path_in_its_name_is_never_written_outside(course, student, open_assignment, store_dir, tmp_path):
    """The second lock: even a row that somehow holds '../x' is refused at materialization."""
    from hub.submissions.services import submission_materialize

    from .conftest import submission_make

    submission = submission_make(student=student, assignment=open_assignment, files={"ok.py": b"z = 3\n"})
    SubmissionFile.objects.filter(submission=submission).update(name="../../outside.py")
    with pytest.raises(ValueError):
        submission_materialize(submission=submission, dest=tmp_path / "dest")
    assert not (tmp_path / "outside.py").exists()
