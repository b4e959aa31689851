import io
import json
import tarfile
import zipfile
from datetime import UTC, datetime

import pytest

from hub.courses.models import Assignment
from hub.submissions.bundles import Upload

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def store(settings, tmp_path):
    """Every test gets its own content-addressed store."""
    settings.SUBMISSION_STORE = tmp_path / "store"
    # The personas' passwords are hashed at creation; a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.SUBMISSION_STORE


def stored_blobs(store_dir) -> list:
    objects = store_dir / "objects"
    return sorted(p for p in objects.rglob("*") if p.is_file()) if objects.exists() else []


def leftover_temp_files(store_dir) -> list:
    tmp = store_dir / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


def make_zip(entries: dict[str, bytes], *, modes: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2023, 9, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            if modes and name in modes:
                info.external_attr = modes[name] << 16
            zf.writestr(info, data)
    return buf.getvalue()


def make_targz(
    entries: dict[str, bytes], *, special: dict[str, tuple[bytes, str]] | None = None
) -> bytes:
    """`special`: name -> (type flag, link target) for links and device files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, (kind, target) in (special or {}).items():
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


def py(text: str = "print('hello')\n") -> bytes:
    return text.encode()


@pytest.fixture
def hw1(course) -> Assignment:
    """HW 1: due Fri 22 Sep 2023, 11:59 pm EDT, late allowed (24 h, 25 %)."""
    a = Assignment.objects.get(course=course, slug="hw1")
    a.required_files = []
    a.autograder = ""
    a.save()
    return a


@pytest.fixture
def midterm(course) -> Assignment:
    return Assignment.objects.get(course=course, slug="midterm")


def uploads(*pairs) -> list[Upload]:
    return [Upload(name, data) for name, data in pairs]
