"""Point 2: nothing lost — content-addressed, fsynced, committed, with a receipt."""

import hashlib
from datetime import timedelta

import pytest

from hub.submissions.models import Submission, SubmissionFile
from hub.submissions.selectors import submission_manifest, submissions_for
from hub.submissions.services import submission_create, submission_materialize
from hub.submissions.store import blob_path

from .conftest import NOTEBOOK, PDF, make_zip, py, stored_blobs, uploads, utc

pytestmark = pytest.mark.django_db

BEFORE_HW1 = utc(2023, 9, 20, 12, 0)


def test_files_are_stored_under_their_sha256_with_the_row(hw1, student, store):
    code = py("import torch\n")
    sub = submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("model.py", code), ("answers.pdf", PDF)),
        sources_statement="None",
        now=BEFORE_HW1,
    )
    files = {f.name: f for f in sub.files.all()}
    assert set(files) == {"model.py", "answers.pdf"}
    sha = hashlib.sha256(code).hexdigest()
    assert files["model.py"].sha256 == sha
    assert blob_path(sha).read_bytes() == code
    assert blob_path(sha).is_relative_to(store)
    assert sub.size == len(code) + len(PDF)
    assert sub.created_at == BEFORE_HW1
    assert sub.lateness == "on_time" and sub.late_penalty == 0
    # The submission's hash is the hash of the manifest printed on the receipt.
    assert sub.sha256 == hashlib.sha256(submission_manifest(submission=sub).encode()).hexdigest()
    assert f"{sha}  {len(code)}  model.py" in submission_manifest(submission=sub)


def test_same_bytes_twice_are_stored_once(hw1, student, store):
    for minute in (0, 1):
        submission_create(
            assignment=hw1,
            student=student,
            uploads=uploads(("model.py", py())),
            sources_statement="None",
            now=BEFORE_HW1 + timedelta(minutes=minute),
        )
    assert len(stored_blobs(store)) == 1
    assert Submission.objects.filter(student=student).count() == 2


def test_archive_is_kept_as_uploaded_and_its_members_are_the_files(hw1, student, store):
    archive = make_zip({"hw1/model.py": py(), "hw1/notes.ipynb": NOTEBOOK})
    sub = submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("hw1.zip", archive)),
        sources_statement="None",
        now=BEFORE_HW1,
    )
    kinds = {(f.kind, f.name, f.archive) for f in sub.files.all()}
    assert kinds == {
        ("file", "model.py", "hw1.zip"),  # the common top folder is dropped
        ("file", "notes.ipynb", "hw1.zip"),
        ("archive", "hw1.zip", ""),
    }
    assert blob_path(hashlib.sha256(archive).hexdigest()).read_bytes() == archive


def test_materialize_writes_the_grader_files_only(hw1, student, tmp_path):
    archive = make_zip({"src/model.py": py("x = 1\n"), "report.pdf": PDF})
    sub = submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("work.zip", archive), ("extra.py", py("y = 2\n"))),
        sources_statement="None",
        now=BEFORE_HW1,
    )
    dest = tmp_path / "job"
    written = submission_materialize(submission=sub, dest=dest)
    assert sorted(p.relative_to(dest).as_posix() for p in written) == [
        "extra.py",
        "report.pdf",
        "src/model.py",
    ]
    assert (dest / "src" / "model.py").read_bytes() == b"x = 1\n"
    assert not (dest / "work.zip").exists()


def test_materialize_refuses_a_blob_that_no_longer_matches_its_hash(hw1, student, tmp_path):
    sub = submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        now=BEFORE_HW1,
    )
    f = sub.files.get()
    path = blob_path(f.sha256)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(OSError, match="does not match"):
        submission_materialize(submission=sub, dest=tmp_path / "job")
    assert not (tmp_path / "job" / "model.py").exists()


def test_student_lists_everything_submitted(hw1, student, other_student):
    for i in range(3):
        submission_create(
            assignment=hw1,
            student=student,
            uploads=uploads(("model.py", py(f"v = {i}\n"))),
            sources_statement="None",
            now=BEFORE_HW1 + timedelta(minutes=i),
        )
    submission_create(
        assignment=hw1,
        student=other_student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        now=BEFORE_HW1,
    )
    mine = list(submissions_for(student=student, assignment=hw1))
    assert len(mine) == 3
    assert [s.is_active for s in mine] == [True, False, False]  # newest first, the latest counts
    assert SubmissionFile.objects.filter(submission__student=student).count() == 3


def test_a_failing_database_write_leaves_no_row_and_only_whole_blobs_that_are_swept(
    hw1, student, store, monkeypatch
):
    from hub.submissions import services

    def boom(submission):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_grading_enqueue", boom)
    with pytest.raises(RuntimeError):
        submission_create(
            assignment=hw1,
            student=student,
            uploads=uploads(("model.py", py())),
            sources_statement="None",
            now=BEFORE_HW1,
        )
    assert not Submission.objects.exists()
    blobs = stored_blobs(store)
    assert [hashlib.sha256(b.read_bytes()).hexdigest() for b in blobs] == [
        b.parent.name + b.name for b in blobs
    ]
    # A fresh orphan is kept (a concurrent upload may be about to record it), an old one goes.
    assert services.store_orphans_sweep() == []
    assert len(services.store_orphans_sweep(older_than=timedelta(0))) == 1
    assert stored_blobs(store) == []


def test_the_sweep_keeps_blobs_that_rows_refer_to(hw1, student, store):
    from hub.submissions.services import store_orphans_sweep

    submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        now=BEFORE_HW1,
    )
    assert store_orphans_sweep(older_than=timedelta(0)) == []
    assert len(stored_blobs(store)) == 1


def test_bytes_and_their_directory_are_fsynced_before_the_row_exists(
    hw1, student, store, monkeypatch
):
    import os

    from hub.submissions import store as store_module

    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        synced.append((path, Submission.objects.exists()))
        return real_fsync(fd)

    monkeypatch.setattr(store_module.os, "fsync", recording_fsync)
    sub = submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("model.py", py("import os\n"))),
        sources_statement="None",
        now=BEFORE_HW1,
    )
    blob = blob_path(sub.files.get().sha256)
    paths = [p for p, _ in synced]
    assert any("upload-" in p for p in paths)  # the file, before it is linked into place
    assert str(blob.parent) in paths  # the directory that now names it
    assert not any(row_existed for _, row_existed in synced)


def test_an_autograded_submission_queues_a_grading_job(hw1, student):
    from hub.grading.models import GradingJob

    hw1.autograder = "hw1"
    hw1.save()
    sub = submission_create(
        assignment=hw1,
        student=student,
        uploads=uploads(("model.py", py())),
        sources_statement="None",
        now=BEFORE_HW1,
    )
    assert GradingJob.objects.filter(submission=sub).count() == 1
