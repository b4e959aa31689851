"""Point 3: bad input gets a clear message and stores nothing (through the API, as a student sends it)."""

import stat
import tarfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from hub.submissions.models import Submission, SubmissionFile

from .conftest import NOTEBOOK, PDF, leftover_temp_files, make_targz, make_zip, py, stored_blobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_hw1(hw1):
    """HW 1 with its deadline moved into the future, so only the content decides."""
    from datetime import timedelta

    from django.utils import timezone

    hw1.due_at = timezone.now() + timedelta(days=2)
    hw1.save()
    return hw1


@pytest.fixture
def post(open_hw1, student):
    client = APIClient()
    client.force_authenticate(student)
    url = reverse(
        "api-submission-create",
        kwargs={"slug": open_hw1.course.slug, "assignment_slug": open_hw1.slug},
    )

    def send(files: list[tuple[str, bytes]], sources: str = "None"):
        payload = {
            "files": [SimpleUploadedFile(n, d) for n, d in files],
            "sources_statement": sources,
        }
        return client.post(url, payload, format="multipart")

    return send


def assert_refused(response, store, *, code: str, says: str):
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert says in response.json()["detail"]
    assert stored_blobs(store) == []
    assert leftover_temp_files(store) == []
    assert not Submission.objects.exists() and not SubmissionFile.objects.exists()


def test_a_good_upload_is_accepted(post, store):
    response = post([("model.py", py()), ("nb.ipynb", NOTEBOOK), ("w.pdf", PDF)])
    assert response.status_code == 201, response.content
    assert len(stored_blobs(store)) == 3


def test_file_over_the_size_limit(post, open_hw1, store):
    open_hw1.max_upload_bytes = 1000
    open_hw1.save()
    assert_refused(post([("model.py", b"#" * 1001)]), store, code="too_large", says="the limit is")


def test_files_together_over_the_size_limit(post, open_hw1, store):
    open_hw1.max_upload_bytes = 1000
    open_hw1.save()
    assert_refused(
        post([("a.py", b"#" * 600), ("b.py", b"#" * 600)]), store, code="too_large", says="together"
    )


@pytest.mark.parametrize("name", ["model.exe", "data.csv", "archive.rar", "noext", "hw.tar"])
def test_unknown_type(post, store, name):
    assert_refused(
        post([(name, b"data")]), store, code="unknown_type", says="type we do not accept"
    )


def test_unknown_type_inside_an_archive(post, store):
    assert_refused(
        post([("w.zip", make_zip({"model.py": py(), "run.sh": b"rm -rf /"}))]),
        store,
        code="unknown_type",
        says="run.sh",
    )


def test_pdf_that_is_not_a_pdf(post, store):
    assert_refused(post([("w.pdf", b"hello")]), store, code="bad_content", says="not a PDF")


def test_notebook_that_is_not_json(post, store):
    assert_refused(
        post([("nb.ipynb", b"{not json")]), store, code="bad_content", says="not a notebook"
    )


def test_zip_bomb_by_total_size(post, store, settings):
    settings.SUBMISSION_MAX_EXPANDED_BYTES = 1024 * 1024
    bomb = make_zip({"big.py": b"#" * (5 * 1024 * 1024)})  # compresses to a few KiB
    assert len(bomb) < 64 * 1024
    assert_refused(
        post([("bomb.zip", bomb)]), store, code="too_large_expanded", says="expands to more than"
    )


def test_zip_whose_header_understates_its_size_is_refused(post, store, settings):
    settings.SUBMISSION_MAX_EXPANDED_BYTES = 1024 * 1024
    bomb = bytearray(make_zip({"big.py": b"#" * (3 * 1024 * 1024)}))
    # Rewrite the declared uncompressed size (local and central headers) to 10 bytes.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = bytes(bomb).find(sig)
        bomb[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    # Reading stops at the declared size, so the CRC check fails: refused as corrupt, never expanded.
    assert_refused(
        post([("bomb.zip", bytes(bomb))]), store, code="corrupt_archive", says="not a readable zip"
    )


def test_tar_bomb_by_total_size(post, store, settings):
    settings.SUBMISSION_MAX_EXPANDED_BYTES = 1024 * 1024
    bomb = make_targz({"big.py": b"#" * (3 * 1024 * 1024)})
    assert_refused(post([("bomb.tar.gz", bomb)]), store, code="too_large_expanded", says="expands")


def test_archive_with_too_many_files(post, store, settings):
    settings.SUBMISSION_MAX_FILES = 20
    many = make_zip({f"f{i}.py": py() for i in range(21)})
    assert_refused(
        post([("many.zip", many)]), store, code="too_many_files", says="more than 20 files"
    )


@pytest.mark.parametrize("maker", [make_zip, make_targz])
def test_entry_with_an_absolute_path(post, store, maker):
    assert_refused(
        post(
            [("w" + (".zip" if maker is make_zip else ".tar.gz"), maker({"/etc/model.py": py()}))]
        ),
        store,
        code="absolute_path",
        says="absolute path",
    )


@pytest.mark.parametrize("maker", [make_zip, make_targz])
def test_entry_that_climbs_out_with_dotdot(post, store, maker):
    ext = ".zip" if maker is make_zip else ".tar.gz"
    assert_refused(
        post([("w" + ext, maker({"src/../../model.py": py()}))]),
        store,
        code="parent_path",
        says="'..'",
    )


def test_zip_entry_that_is_a_symlink(post, store):
    archive = make_zip({"model.py": b"/etc/passwd"}, modes={"model.py": stat.S_IFLNK | 0o777})
    assert_refused(post([("w.zip", archive)]), store, code="link", says="symbolic link")


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_tar_entry_that_is_a_link(post, store, kind):
    archive = make_targz({"model.py": py()}, special={"evil.py": (kind, "/etc/passwd")})
    assert_refused(post([("w.tar.gz", archive)]), store, code="link", says="link")


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_tar_entry_that_is_a_device_file(post, store, kind):
    archive = make_targz({"model.py": py()}, special={"null.py": (kind, "")})
    assert_refused(post([("w.tar.gz", archive)]), store, code="special_file", says="device or pipe")


def test_zip_entry_that_is_a_device_file(post, store):
    archive = make_zip({"model.py": b"x"}, modes={"model.py": stat.S_IFCHR | 0o644})
    assert_refused(
        post([("w.zip", archive)]), store, code="special_file", says="not a regular file"
    )


@pytest.mark.parametrize(
    "name, data",
    [
        ("w.zip", b"PK\x03\x04 this is not really a zip"),
        ("w.zip", make_zip({"model.py": py()})[:-30]),
        ("w.tar.gz", b"\x1f\x8b\x08 not gzip at all"),
        ("w.tar.gz", make_targz({"model.py": py() * 100})[:40]),
        ("w.tgz", b"plain text"),
    ],
)
def test_corrupt_archive(post, store, name, data):
    assert_refused(post([(name, data)]), store, code="corrupt_archive", says="not a readable")


def test_corrupt_zip_member_is_caught_by_its_crc(post, store):
    archive = bytearray(make_zip({"model.py": py("x = 1\n" * 50)}))
    at = bytes(archive).find(b"model.py") + len("model.py") + 3  # inside the compressed data
    archive[at] ^= 0xFF
    response = post([("w.zip", bytes(archive))])
    assert_refused(response, store, code="corrupt_archive", says="not a readable zip")


def test_empty_submission(post, store):
    assert_refused(post([]), store, code="empty", says="empty")


def test_empty_file(post, store):
    assert_refused(post([("model.py", b"")]), store, code="empty_file", says="is empty")


def test_archive_with_no_files(post, store):
    assert_refused(
        post([("w.zip", make_zip({"folder/": b""}))]), store, code="empty", says="holds no files"
    )


def test_missing_required_file(post, open_hw1, store):
    open_hw1.required_files = ["model.py", "train.py"]
    open_hw1.save()
    response = post([("model.py", py())])
    assert_refused(response, store, code="missing_required", says="Missing required file: train.py")


def test_required_file_inside_an_archive_is_found(post, open_hw1, store):
    open_hw1.required_files = ["model.py"]
    open_hw1.save()
    response = post([("hw.zip", make_zip({"hw1/model.py": py()}))])
    assert response.status_code == 201, response.content


def test_missing_sources_statement(post, store):
    assert_refused(
        post([("model.py", py())], sources=""),
        store,
        code="sources_statement_missing",
        says="public sources",
    )


def test_duplicate_file_names(post, store):
    assert_refused(
        post([("model.py", py()), ("w.zip", make_zip({"model.py": py("y = 1\n")}))]),
        store,
        code="duplicate",
        says="appears twice",
    )


def test_upload_names_are_never_used_as_server_paths(post, store, tmp_path):
    # Browsers and scripts may send a path as a file name: only its last part is kept as a label,
    # and the bytes go to the store under their hash.
    response = post([("../../../../tmp/evil.py", py())])
    assert response.status_code == 201, response.content
    assert [f["name"] for f in response.json()["files"]] == ["evil.py"]
    assert [p.parent.parent.name for p in stored_blobs(store)] == ["objects"]
    assert not any("evil" in p.name for p in store.rglob("*"))


def test_strange_names_inside_archives_are_refused(post, store):
    assert_refused(
        post([("w.zip", make_zip({".hidden.py": py()}))]), store, code="bad_name", says="characters"
    )


@pytest.mark.parametrize("name", ["model (1).py", "Réponses.pdf", "hw1_v2,final.py"])
def test_ordinary_file_names_are_accepted(post, store, name):
    data = PDF if name.endswith(".pdf") else py()
    response = post([(name, data)])
    assert response.status_code == 201, response.content
    assert response.json()["files"][0]["name"] == name


@pytest.mark.parametrize("name", ["-rf.py", "tab\there.py", "a\u202egnp.py"])
def test_names_with_control_or_leading_dash_are_refused(open_hw1, student, store, name):
    # Django's multipart parser already cleans some of these; the rule itself is the service's.
    from hub.submissions.bundles import BundleRejected, Upload
    from hub.submissions.services import submission_create

    with pytest.raises(BundleRejected) as refused:
        submission_create(
            assignment=open_hw1,
            student=student,
            uploads=[Upload(name, py())],
            sources_statement="x",
        )
    assert refused.value.code == "bad_name"
    assert stored_blobs(store) == [] and not Submission.objects.exists()
