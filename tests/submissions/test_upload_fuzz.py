"""Point 3: malformed archives thrown at the endpoint never give a 500 nor leave a partial file."""

import hashlib
import io
import random
import tarfile
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from hub.submissions.models import Submission, SubmissionFile

from .conftest import NOTEBOOK, PDF, leftover_temp_files, make_targz, make_zip, py, stored_blobs

pytestmark = pytest.mark.django_db

SEEDS = {
    "zip": make_zip(
        {"hw/model.py": py("import torch\n" * 40), "hw/notes.ipynb": NOTEBOOK, "hw/a.pdf": PDF}
    ),
    "targz": make_targz({"hw/model.py": py("import torch\n" * 40), "hw/a.pdf": PDF}),
}


def _zip_stored() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("m.py", "x = 1\n" * 30)
    return buf.getvalue()


def _tar_with(**kw) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo(kw.get("name", "m.py"))
        data = kw.get("data", b"x = 1\n")
        info.size = kw.get("size", len(data))
        info.type = kw.get("type", tarfile.REGTYPE)
        tf.addfile(info, io.BytesIO(data.ljust(info.size, b"\0")))
    return buf.getvalue()


def mutations(rng: random.Random):
    seeds = {"zip": SEEDS["zip"], "zip_stored": _zip_stored(), "targz": SEEDS["targz"]}
    for kind, seed in seeds.items():
        ext = ".zip" if kind.startswith("zip") else ".tar.gz"
        for _ in range(25):  # truncations
            yield kind + "-trunc", ext, seed[: rng.randrange(len(seed))]
        for _ in range(35):  # flipped bytes
            data = bytearray(seed)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            yield kind + "-flip", ext, bytes(data)
        for _ in range(10):  # inserted and deleted runs
            data = bytearray(seed)
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[at:at] = rng.randbytes(rng.randint(1, 64))
            else:
                del data[at : at + rng.randint(1, 64)]
            yield kind + "-splice", ext, bytes(data)
    for _ in range(15):
        yield (
            "garbage",
            rng.choice([".zip", ".tar.gz", ".tgz"]),
            rng.randbytes(rng.randint(0, 4096)),
        )
    yield "zip-in-targz-name", ".tar.gz", seeds["zip"]
    yield "targz-in-zip-name", ".zip", seeds["targz"]
    yield "tar-size-lies", ".tar.gz", _tar_with(data=b"x" * 10, size=10_000_000)[:200]
    yield "tar-negative-ish", ".tar.gz", _tar_with(name="a" * 300 + ".py")
    yield "tar-nul-name", ".tar.gz", _tar_with(name="m\x00.py")
    yield "tar-dir-type-with-data", ".tar.gz", _tar_with(type=tarfile.DIRTYPE, data=b"zz")
    yield "tar-contiguous", ".tar.gz", _tar_with(type=tarfile.CONTTYPE)
    yield "tar-gnu-sparse", ".tar.gz", _tar_with(type=tarfile.GNUTYPE_SPARSE)
    yield "zip-empty", ".zip", b"PK\x05\x06" + b"\x00" * 18
    yield "zip-then-junk", ".zip", seeds["zip"] + rng.randbytes(100)


@pytest.fixture
def client(student, hw1):
    hw1.due_at = timezone.now() + timedelta(days=1)
    hw1.save()
    c = APIClient()
    c.force_authenticate(student)
    return c


def test_fuzzed_archives_give_201_or_400_and_never_a_partial_file(client, hw1, store):
    url = reverse(
        "api-submission-create", kwargs={"slug": hw1.course.slug, "assignment_slug": hw1.slug}
    )
    rng = random.Random(20231105)
    outcomes = {201: 0, 400: 0}
    for label, ext, data in mutations(rng):
        blobs_before = stored_blobs(store)
        rows_before = Submission.objects.count(), SubmissionFile.objects.count()
        # The test client re-raises any exception in the view, so a 500 fails the test right here.
        response = client.post(
            url,
            {"files": [SimpleUploadedFile("work" + ext, data)], "sources_statement": "None"},
            format="multipart",
        )
        assert response.status_code in (201, 400), (
            label,
            response.status_code,
            response.content[:300],
        )
        outcomes[response.status_code] += 1
        assert leftover_temp_files(store) == [], label
        if response.status_code == 400:
            body = response.json()
            assert body["detail"] and body["code"], label
            assert stored_blobs(store) == blobs_before, label
            assert (Submission.objects.count(), SubmissionFile.objects.count()) == rows_before, (
                label
            )
        else:
            sub = Submission.objects.get(pk=response.json()["id"])
            assert sub.files.filter(kind="archive").get().sha256 == hashlib.sha256(data).hexdigest()
        # Every blob in the store is whole: its bytes hash to its name.
        for blob in stored_blobs(store):
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.parent.name + blob.name, (
                label
            )
    assert outcomes[400] > 150  # the fuzzing did exercise the refusals
