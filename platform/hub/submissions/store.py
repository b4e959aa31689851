"""The content-addressed store of submitted bytes: `<SUBMISSION_STORE>/objects/ab/cdef…`.

A blob is written to a temporary file in the same file system, fsynced, linked into place
and its directory fsynced, so that once `blob_put` returns the bytes survive a power cut.
Names given by students never reach this module: blobs are addressed by their sha256 only.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def store_root() -> Path:
    return Path(settings.SUBMISSION_STORE)


def blob_path(sha256: str) -> Path:
    if not _SHA256.match(sha256):
        raise ValueError("not a sha256")
    return store_root() / "objects" / sha256[:2] / sha256[2:]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_dir(path: Path) -> None:
    if path.is_dir():
        return
    _ensure_dir(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        return
    _fsync_dir(path.parent)


def blob_put(data: bytes) -> tuple[str, bool]:
    """Store `data`; return (sha256, created). An existing blob with that hash is reused."""
    sha256 = hashlib.sha256(data).hexdigest()
    final = blob_path(sha256)
    if final.exists():
        return sha256, False
    _ensure_dir(final.parent)
    tmp_dir = store_root() / "tmp"
    _ensure_dir(tmp_dir)
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, 0o444)
        try:
            # link() fails if another writer got there first; the bytes are the same then.
            os.link(tmp_name, final)
            created = True
        except FileExistsError:
            created = False
        _fsync_dir(final.parent)
    finally:
        os.unlink(tmp_name)
    return sha256, created


def blob_delete(sha256: str) -> None:
    """Remove a blob this request created and no row refers to (a rolled-back upload)."""
    path = blob_path(sha256)
    try:
        path.unlink()
    except FileNotFoundError:
        return
    _fsync_dir(path.parent)


def blob_open(sha256: str):
    return open(blob_path(sha256), "rb")


def bundle_sha256(files: Iterable[tuple[str, str, int]]) -> str:
    """The hash of a submission: sha256 of its manifest, one `sha256  size  name` line per file.

    The receipt prints the manifest's lines, so a student can recompute it with sha256sum.
    """
    return hashlib.sha256(manifest_text(files).encode()).hexdigest()


def manifest_entries(files) -> list[tuple[str, str, int]]:
    """(label, sha256, size) of SubmissionFile-like rows; an archive as uploaded is marked."""
    return [
        (f.name if f.kind == "file" else f"[archive] {f.name}", f.sha256, f.size) for f in files
    ]


def manifest_text(files: Iterable[tuple[str, str, int]]) -> str:
    return "".join(f"{sha}  {size}  {name}\n" for name, sha, size in sorted(files))
