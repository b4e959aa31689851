"""Checking what a student uploads, before a single byte is stored.

An upload is a set of files: .py, .ipynb, .pdf, or .zip / .tar.gz archives of them. Archives
are read entry by entry with hard limits on the bytes actually decompressed and on the number
of entries, whatever their headers claim. Every problem raises `BundleRejected` with a message
meant for the student; nothing here writes to disk.
"""

from __future__ import annotations

import io
import json
import re
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_SUFFIXES = (".py", ".ipynb", ".pdf")
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
# Junk that archivers add on their own; skipped, not refused.
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|\.ipynb_checkpoints/|__pycache__/)")
# Letters (any script), digits and a few safe marks; no leading dot or dash, no control characters.
_SAFE_PART = re.compile(r"^[\w(][\w.,+() -]{0,99}$")
_CHUNK = 64 * 1024


class BundleRejected(ValidationError):
    """The upload is refused; `message` says why, in words for the student."""


def max_expanded_bytes() -> int:
    return getattr(settings, "SUBMISSION_MAX_EXPANDED_BYTES", 256 * 1024 * 1024)


def max_file_count() -> int:
    return getattr(settings, "SUBMISSION_MAX_FILES", 500)


@dataclass
class BundleFile:
    name: str  # checked relative path
    data: bytes
    archive: str = ""  # the archive it came from, if any


@dataclass
class Bundle:
    files: list[BundleFile] = field(default_factory=list)  # what the grader sees
    archives: list[BundleFile] = field(default_factory=list)  # archives as uploaded

    @property
    def uploaded_bytes(self) -> int:
        return sum(len(f.data) for f in self.files if not f.archive) + sum(
            len(a.data) for a in self.archives
        )


@dataclass
class Upload:
    name: str  # as the client sent it; used for messages and the suffix only
    data: bytes


def _suffix(name: str) -> str:
    low = name.lower()
    for s in ARCHIVE_SUFFIXES:
        if low.endswith(s):
            return s
    return PurePosixPath(low).suffix


def _allowed_suffixes(required_files: list[str]) -> set[str]:
    allowed = set(getattr(settings, "SUBMISSION_ALLOWED_SUFFIXES", DEFAULT_SUFFIXES))
    # A file the assignment requires by name is allowed whatever its type.
    allowed |= {PurePosixPath(r).suffix.lower() for r in required_files if PurePosixPath(r).suffix}
    return allowed


def _display(name: str) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in name)
    return printable[:120]


def clean_name(raw: str, *, where: str = "") -> str:
    """A relative path safe to join under a folder we chose, or BundleRejected."""
    shown = _display(raw)
    ctx = f" in {where}" if where else ""
    if "\x00" in raw:
        raise BundleRejected(f"The name {shown!r}{ctx} contains a NUL byte.", code="bad_name")
    if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw):
        raise BundleRejected(
            f"{shown!r}{ctx} is an absolute path; archives must hold relative paths.",
            code="absolute_path",
        )
    parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise BundleRejected(
            f"{shown!r}{ctx} climbs out of its folder ('..'); that is not allowed.",
            code="parent_path",
        )
    if not parts:
        raise BundleRejected(f"An entry{ctx} has an empty name.", code="bad_name")
    for p in parts:
        if not _SAFE_PART.match(p):
            raise BundleRejected(
                f"The name {shown!r}{ctx} has characters we do not accept: use letters, digits, "
                "spaces and . _ - + , ( ), not starting with a dot or a dash.",
                code="bad_name",
            )
    if len(parts) > 16:
        raise BundleRejected(f"{shown!r}{ctx} is nested too deeply.", code="bad_name")
    return "/".join(parts)


def _check_content(name: str, data: bytes, *, where: str = "") -> None:
    ctx = f" (in {where})" if where else ""
    suffix = _suffix(name)
    if not data:
        raise BundleRejected(f"{name}{ctx} is empty.", code="empty_file")
    if suffix == ".pdf" and b"%PDF-" not in data[:1024]:
        raise BundleRejected(f"{name}{ctx} is not a PDF file.", code="bad_content")
    if suffix == ".ipynb":
        try:
            nb = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise BundleRejected(
                f"{name}{ctx} is not a notebook (not valid JSON).", code="bad_content"
            ) from None
        if not isinstance(nb, dict) or "cells" not in nb:
            raise BundleRejected(
                f"{name}{ctx} is not a Jupyter notebook (no cells).", code="bad_content"
            )
    if suffix == ".py" and b"\x00" in data:
        raise BundleRejected(
            f"{name}{ctx} is not a Python source file (binary data).", code="bad_content"
        )


class _Budget:
    def __init__(self) -> None:
        self.bytes_left = max_expanded_bytes()
        self.files_left = max_file_count()

    def take_file(self, where: str) -> None:
        self.files_left -= 1
        if self.files_left < 0:
            raise BundleRejected(
                f"{where} holds more than {max_file_count()} files; that is the limit.",
                code="too_many_files",
            )

    def read(self, stream, where: str) -> bytes:
        out = bytearray()
        while True:
            chunk = stream.read(min(_CHUNK, self.bytes_left + 1))
            if not chunk:
                return bytes(out)
            out += chunk
            self.bytes_left -= len(chunk)
            if self.bytes_left < 0:
                raise BundleRejected(
                    f"{where} expands to more than {max_expanded_bytes() // (1024 * 1024)} MiB; "
                    "that is the limit for a submission.",
                    code="too_large_expanded",
                )


def _strip_common_folder(members: list[BundleFile]) -> None:
    """`hw2/model.py` and `hw2/README.pdf` become `model.py` and `README.pdf`."""
    tops = {m.name.split("/", 1)[0] for m in members}
    if len(tops) == 1 and all("/" in m.name for m in members):
        for m in members:
            m.name = m.name.split("/", 1)[1]


def _read_zip(upload: Upload, name: str, allowed: set[str], budget: _Budget) -> list[BundleFile]:
    members: list[BundleFile] = []
    try:
        with zipfile.ZipFile(io.BytesIO(upload.data)) as zf:
            for info in zf.infolist():
                raw = info.filename
                if _JUNK.search(raw):
                    continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise BundleRejected(
                        f"{_display(raw)!r} in {name} is a symbolic link; only regular files are accepted.",
                        code="link",
                    )
                # Many zip writers leave the type bits 0; only a stated non-regular type is refused.
                if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    raise BundleRejected(
                        f"{_display(raw)!r} in {name} is not a regular file.", code="special_file"
                    )
                member_name = clean_name(raw, where=name)
                if info.is_dir():
                    continue
                budget.take_file(name)
                if info.flag_bits & 0x1:
                    raise BundleRejected(f"{member_name} in {name} is encrypted.", code="encrypted")
                _check_member_type(member_name, name, allowed)
                with zf.open(info) as stream:
                    data = budget.read(stream, name)
                members.append(BundleFile(member_name, data, archive=name))
    except BundleRejected:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        KeyError,
    ) as exc:
        raise BundleRejected(
            f"{name} is not a readable zip archive ({type(exc).__name__}).", code="corrupt_archive"
        ) from None
    return members


def _read_tar(upload: Upload, name: str, allowed: set[str], budget: _Budget) -> list[BundleFile]:
    members: list[BundleFile] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(upload.data), mode="r:gz") as tf:
            while True:
                info = tf.next()
                if info is None:
                    break
                raw = info.name
                if _JUNK.search(raw) or raw.startswith("._") or "/._" in raw:
                    continue
                if info.issym() or info.islnk():
                    raise BundleRejected(
                        f"{_display(raw)!r} in {name} is a link; only regular files are accepted.",
                        code="link",
                    )
                if info.ischr() or info.isblk() or info.isfifo() or info.isdev():
                    raise BundleRejected(
                        f"{_display(raw)!r} in {name} is a device or pipe, not a regular file.",
                        code="special_file",
                    )
                member_name = clean_name(raw, where=name)
                if info.isdir():
                    continue
                if not info.isreg():
                    raise BundleRejected(
                        f"{member_name} in {name} is not a regular file.", code="special_file"
                    )
                budget.take_file(name)
                _check_member_type(member_name, name, allowed)
                if info.size > budget.bytes_left:
                    raise BundleRejected(
                        f"{name} expands to more than {max_expanded_bytes() // (1024 * 1024)} MiB; "
                        "that is the limit for a submission.",
                        code="too_large_expanded",
                    )
                stream = tf.extractfile(info)
                data = budget.read(stream, name) if stream is not None else b""
                if len(data) != info.size:
                    raise BundleRejected(f"{name} is truncated.", code="corrupt_archive")
                members.append(BundleFile(member_name, data, archive=name))
    except BundleRejected:
        raise
    except (tarfile.TarError, zlib.error, EOFError, OSError, ValueError, UnicodeError) as exc:
        raise BundleRejected(
            f"{name} is not a readable .tar.gz archive ({type(exc).__name__}).",
            code="corrupt_archive",
        ) from None
    return members


def _check_member_type(member_name: str, archive: str, allowed: set[str]) -> None:
    if _suffix(member_name) not in allowed:
        raise BundleRejected(
            f"{member_name} in {archive} has a type we do not accept; allowed: {', '.join(sorted(allowed))}.",
            code="unknown_type",
        )


def uploads_from_files(files, *, max_upload_bytes: int) -> list[Upload]:
    """Read Django's uploaded files into memory, refusing one over the limit before reading it."""
    out = []
    limit_mib = max_upload_bytes / (1024 * 1024)
    for f in files:
        if f.size is not None and f.size > max_upload_bytes:
            raise BundleRejected(
                f"{_display(f.name or '')} is {f.size / (1024 * 1024):.1f} MiB; the limit is {limit_mib:.0f} MiB.",
                code="too_large",
            )
        out.append(Upload(f.name or "", f.read(max_upload_bytes + 1)))
    return out


def bundle_from_uploads(
    uploads: list[Upload], *, max_upload_bytes: int, required_files: list[str]
) -> Bundle:
    """Check every upload and expand the archives; BundleRejected on the first problem."""
    if not uploads:
        raise BundleRejected("The submission is empty: add at least one file.", code="empty")
    total = sum(len(u.data) for u in uploads)
    limit_mib = max_upload_bytes / (1024 * 1024)
    for u in uploads:
        if len(u.data) > max_upload_bytes:
            raise BundleRejected(
                f"{_display(u.name)} is {len(u.data) / (1024 * 1024):.1f} MiB; the limit is {limit_mib:.0f} MiB.",
                code="too_large",
            )
    if total > max_upload_bytes:
        raise BundleRejected(
            f"The files together are {total / (1024 * 1024):.1f} MiB; the limit is {limit_mib:.0f} MiB.",
            code="too_large",
        )
    allowed = _allowed_suffixes(required_files)
    budget = _Budget()
    bundle = Bundle()
    for u in uploads:
        # Only the last component of an upload's name counts (browsers may send a path).
        base = (u.name or "").replace("\\", "/").rsplit("/", 1)[-1]
        name = clean_name(base)
        suffix = _suffix(name)
        if suffix in (".zip", ".tar.gz", ".tgz"):
            if not u.data:
                raise BundleRejected(f"{name} is empty.", code="empty_file")
            reader = _read_zip if suffix == ".zip" else _read_tar
            members = reader(u, name, allowed, budget)
            if not members:
                raise BundleRejected(f"{name} holds no files.", code="empty")
            _strip_common_folder(members)
            bundle.archives.append(BundleFile(name, u.data))
            for m in members:
                _check_content(m.name, m.data, where=name)
            bundle.files.extend(members)
        elif suffix in allowed:
            budget.take_file("The submission")
            _check_content(name, u.data)
            bundle.files.append(BundleFile(name, u.data))
        else:
            raise BundleRejected(
                f"{_display(name)} has a type we do not accept; allowed: "
                f"{', '.join(sorted(allowed | {'.zip', '.tar.gz'}))}.",
                code="unknown_type",
            )
    seen: set[str] = set()
    for f in bundle.files:
        if f.name in seen:
            raise BundleRejected(f"{f.name} appears twice in the submission.", code="duplicate")
        seen.add(f.name)
    archive_names = [a.name for a in bundle.archives]
    if len(set(archive_names)) != len(archive_names):
        raise BundleRejected("Two archives have the same name.", code="duplicate")
    missing = [r for r in required_files if r not in seen]
    if missing:
        raise BundleRejected(
            f"Missing required file{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            "The assignment asks for "
            f"{', '.join(required_files)} (at the top level of the submission or of its archive).",
            code="missing_required",
        )
    return bundle
